r"""Exact JSON for MDPs (and a policy and extra data riding along).

A plain JSON object (see :func:`mdp_to_dict`)::

    {"format": "mdptheory.mdp", "version": 1, "field": "exact",
     "n_states": 2, "n_actions": 1,
     "gamma": "9/10",
     "P": [[["1/2", "1/2"]], [["0", "1"]]],
     "r": [["1"], ["0"]],
     "rho": ["1/2", "1/2"]}

*Exact* MDPs store every number as a string ``"p/q"`` (or ``"p"``), so
rationals survive exactly.  *Float* MDPs store JSON numbers written with
Python's :func:`repr`, the shortest decimal that reads back to the same
float64, so a float MDP round-trips bit for bit (readers also accept C99
hexadecimal strings such as ``"0x1.8p-1"`` from :meth:`float.hex`).  A sparse
float ``P`` is stored as COO triplets under ``"P_coo"`` (``{"row": [...],
"col": [...], "value": [...]}`` with row index ``s*A + a`` and column ``s'``)
instead of ``"P"``.  Optional ``"policy"`` (see :func:`policy_to_json_data`)
and ``"extra"`` (any JSON data) ride along, which is how checker witnesses
embed an MDP.  Readers cap the length of every number
(:data:`~mdptheory.io.MAX_NUMBER_CHARS`); :func:`save_json` writes atomically.
"""

from __future__ import annotations

import json as _json  # the standard library (absolute import), not this module
import math

import numpy as np

from ..exceptions import InvalidMDPError, InvalidPolicyError, MalformedFileError
from ..mdp import MDP
from ..policies.tabular import as_policy, policy_is_exact
from ._common import (
    FORMAT_TAG,
    FORMAT_VERSION,
    MAX_NUMBER_CHARS,
    _EXACT,
    _FLOAT,
    _Reject,
    _fraction_to_str,
    _read_exact,
    _read_float,
    _short,
    _index_int,
    _nested,
    _require,
)
from .atomic import atomic_write

__all__ = [
    "mdp_to_dict",
    "mdp_from_dict",
    "policy_to_json_data",
    "policy_from_json_data",
    "to_json",
    "from_json",
    "save_json",
    "load_json",
]


def _json_int(s: str):
    if len(s) > MAX_NUMBER_CHARS:
        raise _Reject(f"integer literal of {len(s)} digits exceeds MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}")
    return int(s)


def _json_float(s: str):
    if len(s) > MAX_NUMBER_CHARS:
        raise _Reject(f"number literal of {len(s)} characters exceeds MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}")
    x = float(s)
    if not math.isfinite(x):
        raise _Reject(f"number literal {s[:40]!r} overflows float64")
    return x


def _json_constant(s: str):
    raise _Reject(f"non-standard JSON constant {s!r}")


# ------------------------------------------------------------------ dict form
def mdp_to_dict(mdp: MDP) -> dict:
    r"""The MDP as plain JSON data (dicts, lists, strings, numbers).

    Exact entries become strings ``"p/q"``; float entries stay Python floats
    (written by :mod:`json` with :func:`repr`, which round-trips bit for bit).
    A sparse ``P`` becomes COO triplets under ``"P_coo"``.  The inverse is
    :func:`mdp_from_dict`:

    .. math::

        \texttt{mdp\_from\_dict}(\texttt{mdp\_to\_dict}(M)) = M.

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    dict
        Keys ``format, version, field, n_states, n_actions, gamma, P`` (or
        ``P_coo``), ``r, rho``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> m = MDP([[[F(1, 2), F(1, 2)]], [[0, 1]]], [[1], [0]], F(9, 10))
    >>> d = mdp_to_dict(m)
    >>> d["gamma"], d["P"][0][0], d["rho"]
    ('9/10', ['1/2', '1/2'], ['1/2', '1/2'])
    >>> mdp_from_dict(d) == m
    True
    """
    if not isinstance(mdp, MDP):
        raise TypeError(f"expected an MDP, got {type(mdp).__name__}")
    S, A = mdp.n_states, mdp.n_actions
    d = {"format": FORMAT_TAG, "version": FORMAT_VERSION, "field": mdp.field,
         "n_states": S, "n_actions": A}
    if mdp.is_exact:
        conv = np.frompyfunc(_fraction_to_str, 1, 1)
        d["gamma"] = _fraction_to_str(mdp.gamma)
        d["P"] = conv(mdp.P).tolist()
        d["r"] = conv(mdp.r).tolist()
        d["rho"] = conv(mdp.rho).tolist()
        return d
    d["gamma"] = float(mdp.gamma)
    if mdp.is_sparse:
        C = mdp.P.tocoo()
        order = np.lexsort((C.col, C.row))
        d["P_coo"] = {"row": C.row[order].astype(np.int64).tolist(),
                      "col": C.col[order].astype(np.int64).tolist(),
                      "value": C.data[order].astype(np.float64).tolist()}
    else:
        d["P"] = mdp.P.tolist()
    d["r"] = mdp.r.tolist()
    d["rho"] = mdp.rho.tolist()
    return d


def mdp_from_dict(d) -> MDP:
    """Build an MDP from the dict form written by :func:`mdp_to_dict`.

    Parameters
    ----------
    d : dict
        Unknown keys (``"policy"``, ``"extra"``, ...) are ignored.

    Returns
    -------
    MDP

    Raises
    ------
    MalformedFileError
        Wrong format tag or version, missing keys, wrong types or shapes,
        numbers that are not rationals/floats or too long.
    InvalidMDPError
        If the data is well formed but describes an invalid MDP.
    """
    if not isinstance(d, dict):
        raise MalformedFileError(f"an MDP must be a JSON object; got {type(d).__name__}")
    tag = _require(d, "format")
    if tag != FORMAT_TAG:
        raise MalformedFileError(f"format = {_short(tag)}, expected {FORMAT_TAG!r}")
    version = _require(d, "version")
    if isinstance(version, bool) or not isinstance(version, int) or not (1 <= version <= FORMAT_VERSION):
        raise MalformedFileError(f"version = {_short(version)} is not supported (this reader: 1..{FORMAT_VERSION})")
    field = _require(d, "field")
    if field not in (_EXACT, _FLOAT):
        raise MalformedFileError(f"field = {_short(field)}, expected 'exact' or 'float'")
    S = _index_int(_require(d, "n_states"), "n_states")
    A = _index_int(_require(d, "n_actions"), "n_actions")
    if S == 0 or A == 0:
        raise InvalidMDPError(f"an MDP needs at least one state and one action; file says S={S}, A={A}")
    read = _read_exact if field == _EXACT else _read_float
    # r first: its S*A entries are really in the file, so they bound every allocation below
    r = _nested(_require(d, "r"), (S, A), "r", read)
    rho = _nested(_require(d, "rho"), (S,), "rho", read)
    gamma = read(_require(d, "gamma"), "gamma")
    if "P" in d and "P_coo" in d:
        raise MalformedFileError("both 'P' and 'P_coo' given; a file stores one of them")
    if "P_coo" in d:
        if field == _EXACT:
            raise MalformedFileError("'P_coo' (sparse storage) is for float MDPs only")
        P = _read_coo(d["P_coo"], S, A)
    else:
        P = _nested(_require(d, "P"), (S, A, S), "P", read)
    return MDP(P, r, gamma, rho)


def _read_coo(obj, S: int, A: int):
    import scipy.sparse as sp

    if not isinstance(obj, dict):
        raise MalformedFileError(f"P_coo must be an object with row, col, value; got {type(obj).__name__}")
    lists = {}
    for key in ("row", "col", "value"):
        if key not in obj:
            raise MalformedFileError(f"missing key 'P_coo.{key}'")
        v = obj[key]
        if not isinstance(v, list):
            raise MalformedFileError(f"P_coo.{key} must be a list; got {type(v).__name__}")
        lists[key] = v
    n = len(lists["row"])
    if len(lists["col"]) != n or len(lists["value"]) != n:
        raise MalformedFileError(f"P_coo lists differ in length: row {n}, col {len(lists['col'])}, "
                                 f"value {len(lists['value'])}")
    row = np.array([_index_int(v, f"P_coo.row[{k}]", S * A) for k, v in enumerate(lists["row"])],
                   dtype=np.int64)
    col = np.array([_index_int(v, f"P_coo.col[{k}]", S) for k, v in enumerate(lists["col"])], dtype=np.int64)
    val = np.array([_read_float(v, f"P_coo.value[{k}]") for k, v in enumerate(lists["value"])],
                   dtype=np.float64)
    return sp.csr_matrix((val, (row, col)), shape=(S * A, S))


def policy_to_json_data(pi) -> dict:
    """A tabular policy ``pi[s, a]`` as plain JSON data.

    Exact policies (Fractions, integers) become ``{"field": "exact", "pi": [["1/3", ...], ...]}``;
    float policies keep their floats (bit-for-bit via :func:`repr`).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> policy_to_json_data([[F(1, 3), F(2, 3)]])
    {'field': 'exact', 'pi': [['1/3', '2/3']]}
    """
    arr = np.asarray(pi, dtype=object)
    if arr.ndim != 2:
        raise InvalidPolicyError(f"pi must have shape (S, A); got shape {arr.shape}")
    if policy_is_exact(arr):
        return {"field": _EXACT, "pi": np.frompyfunc(_fraction_to_str, 1, 1)(arr).tolist()}
    return {"field": _FLOAT, "pi": np.asarray(pi, dtype=np.float64).tolist()}


def policy_from_json_data(obj, mdp: MDP) -> np.ndarray:
    """Read a policy written by :func:`policy_to_json_data` and validate it against ``mdp``.

    Raises
    ------
    MalformedFileError
        Wrong structure or numbers.
    InvalidPolicyError
        Well formed, but not a policy of ``mdp`` (rows not on the simplex).
    """
    if not isinstance(obj, dict):
        raise MalformedFileError(f"a policy must be a JSON object; got {type(obj).__name__}")
    field = _require(obj, "field")
    if field not in (_EXACT, _FLOAT):
        raise MalformedFileError(f"policy field = {_short(field)}, expected 'exact' or 'float'")
    read = _read_exact if field == _EXACT else _read_float
    pi = _nested(_require(obj, "pi"), (mdp.n_states, mdp.n_actions), "pi", read)
    return as_policy(mdp, pi, exact=(field == _EXACT))


# ------------------------------------------------------------------ JSON text
def to_json(mdp: MDP, *, policy=None, extra=None, indent: int | None = None) -> str:
    """Serialize an MDP (and optionally a policy and extra JSON data) to JSON text.

    Parameters
    ----------
    mdp : MDP
    policy : array_like, shape (S, A), optional, keyword-only
        Validated against ``mdp`` and stored under ``"policy"``.
    extra : JSON data, optional, keyword-only
        Stored verbatim under ``"extra"`` (must be serializable by :mod:`json`).
    indent : int, optional, keyword-only

    Examples
    --------
    >>> m = MDP([[[1.0]]], [[0.1]], 0.9)
    >>> from_json(to_json(m)) == m
    True
    """
    d = mdp_to_dict(mdp)
    if policy is not None:
        d["policy"] = policy_to_json_data(as_policy(mdp, policy))
    if extra is not None:
        d["extra"] = extra
    try:
        return _json.dumps(d, indent=indent, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MalformedFileError(f"extra data is not plain JSON: {exc}") from None


def _loads(text):
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedFileError(f"not UTF-8 text: {exc}") from None
    if not isinstance(text, str):
        raise MalformedFileError(f"expected JSON text, got {type(text).__name__}")
    try:
        return _json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except _Reject as exc:
        raise MalformedFileError(str(exc)) from None
    except RecursionError:
        raise MalformedFileError("JSON nested too deeply") from None
    except (ValueError, TypeError) as exc:  # _json.JSONDecodeError is a ValueError
        raise MalformedFileError(f"not valid JSON: {exc}") from None


def from_json(text, *, with_extras: bool = False):
    """Read an MDP from JSON text written by :func:`to_json`.

    Parameters
    ----------
    text : str or bytes
    with_extras : bool, keyword-only
        If True, return ``(mdp, policy, extra)`` where ``policy`` (validated)
        and ``extra`` are None when absent.

    Raises
    ------
    MalformedFileError
        For anything that is not a well-formed mdptheory JSON MDP (truncated
        text, wrong types or shapes, overlong numbers, NaN/Infinity literals).
    InvalidMDPError
        For a well-formed file describing an invalid MDP.
    """
    d = _loads(text)
    mdp = mdp_from_dict(d)
    if not with_extras:
        return mdp
    pi = policy_from_json_data(d["policy"], mdp) if "policy" in d else None
    return mdp, pi, d.get("extra")


def save_json(mdp: MDP, path, *, policy=None, extra=None, indent: int | None = None) -> None:
    """Write :func:`to_json` text to ``path`` (UTF-8), atomically (temporary file, then rename)."""
    text = to_json(mdp, policy=policy, extra=extra, indent=indent)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def load_json(path, *, with_extras: bool = False):
    """Read an MDP from a JSON file written by :func:`save_json` (see :func:`from_json`)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError as exc:
        raise MalformedFileError(f"{path}: {exc}") from None
    return from_json(data, with_extras=with_extras)
