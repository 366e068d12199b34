r"""Reading and writing MDPs: exact JSON, npz, and the formats of peer libraries.

Formats
-------
JSON (:func:`to_json`, :func:`from_json`, :func:`save_json`, :func:`load_json`)
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
    float64, so a float MDP round-trips bit for bit (readers also accept
    C99 hexadecimal strings such as ``"0x1.8p-1"`` from :meth:`float.hex`).
    A sparse float ``P`` is stored as COO triplets under ``"P_coo"``
    (``{"row": [...], "col": [...], "value": [...]}`` with row index
    ``s*A + a`` and column ``s'``) instead of ``"P"``.  Optional ``"policy"``
    (see :func:`policy_to_json_data`) and ``"extra"`` (any JSON data) ride
    along, which is how checker witnesses embed an MDP.
npz (:func:`save_npz`, :func:`load_npz`)
    NumPy's zip of arrays, always read with ``allow_pickle=False``.  Exact
    arrays are stored as Unicode string arrays of ``"p/q"``.
gymnasium toy-text tables (:func:`from_gymnasium`)
    ``env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]``.
pymdptoolbox (:func:`from_pymdptoolbox`, :func:`to_pymdptoolbox`)
    ``P`` of shape ``(A, S, S)``, ``R`` of shape ``(S, A)``, ``(A, S, S)`` or ``(S,)``.
QuantEcon (:func:`from_quantecon`, :func:`to_quantecon`)
    ``DiscreteDP(R, Q, beta)`` with ``R[s, a]``, ``Q[s, a, s']`` (the layout of
    :class:`~mdptheory.mdp.MDP`), or its state-action-pair form.

Hostile input
-------------
Readers never unpickle, never evaluate, and cap the length of every number
(:data:`MAX_NUMBER_CHARS` characters, exponents of at most three digits), so
``"1e999999"`` or a 100,000-digit integer is rejected at once instead of
hanging.  Any file that cannot be read as an MDP raises
:class:`~mdptheory.exceptions.MalformedFileError`; a well-formed file that
describes an invalid MDP (a row of ``P`` summing to 0.9, ``gamma = 1``) raises
:class:`~mdptheory.exceptions.InvalidMDPError` from the MDP's own validation.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from fractions import Fraction

import numpy as np

from .exceptions import InvalidMDPError, InvalidPolicyError, MalformedFileError
from .fields import to_fraction
from .mdp import MDP
from .policies.tabular import as_policy, policy_is_exact

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "MAX_NUMBER_CHARS",
    "MAX_GYM_ENTRIES",
    "mdp_to_dict",
    "mdp_from_dict",
    "policy_to_json_data",
    "policy_from_json_data",
    "to_json",
    "from_json",
    "save_json",
    "load_json",
    "save_npz",
    "load_npz",
    "from_gymnasium",
    "from_pymdptoolbox",
    "to_pymdptoolbox",
    "from_quantecon",
    "to_quantecon",
]

#: The ``"format"`` tag of mdptheory's JSON and npz files.
FORMAT_TAG = "mdptheory.mdp"
#: The current file format version; readers accept versions up to this one.
FORMAT_VERSION = 1
#: Longest accepted string form of one number (Python refuses to convert
#: integers of more than 4300 digits anyway).
MAX_NUMBER_CHARS = 4096

#: Largest dense ``P`` (S * A * S entries) that :func:`from_gymnasium` builds.
MAX_GYM_ENTRIES = 50_000_000

_RATIONAL_RE = re.compile(r"[+-]?\d+(?:/\d+)?|[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d{1,3})?")
_HEX_RE = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d{1,4})?")
_EXACT, _FLOAT = "exact", "float"


class _Reject(Exception):
    """Internal: a value that cannot be read; turned into MalformedFileError."""


# ------------------------------------------------------------------ numbers
def _fraction_to_str(x) -> str:
    x = to_fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _read_exact(v, where: str) -> Fraction:
    if isinstance(v, bool) or v is None:
        raise MalformedFileError(f"{where} = {v!r} is not a number")
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, str):
        s = v.strip()
        if len(s) > MAX_NUMBER_CHARS:
            raise MalformedFileError(f"{where}: number string of {len(s)} characters exceeds "
                                     f"MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}")
        if not _RATIONAL_RE.fullmatch(s):
            raise MalformedFileError(f"{where} = {_short(v)} is not a rational number such as '3/4'")
        try:
            return Fraction(s)
        except (ValueError, ZeroDivisionError) as exc:
            raise MalformedFileError(f"{where} = {_short(v)}: {exc}") from None
    if isinstance(v, float):
        raise MalformedFileError(f"{where} = {v!r} is a float in an exact file; write it as a string 'p/q'")
    raise MalformedFileError(f"{where} has type {type(v).__name__}, expected a rational string")


def _read_float(v, where: str) -> float:
    if isinstance(v, bool) or v is None:
        raise MalformedFileError(f"{where} = {v!r} is not a number")
    if isinstance(v, (int, float)):
        try:
            x = float(v)
        except OverflowError:
            raise MalformedFileError(f"{where} = {_short(v)} overflows float64") from None
    elif isinstance(v, str):
        s = v.strip()
        if len(s) > MAX_NUMBER_CHARS or not _HEX_RE.fullmatch(s):
            raise MalformedFileError(f"{where} = {_short(v)} is not a float (number or float.hex string)")
        try:
            x = float.fromhex(s)
        except (ValueError, OverflowError) as exc:
            raise MalformedFileError(f"{where} = {_short(v)}: {exc}") from None
    else:
        raise MalformedFileError(f"{where} has type {type(v).__name__}, expected a number")
    if not math.isfinite(x):
        raise MalformedFileError(f"{where} = {_short(v)} is not a finite float64")
    return x


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:40] + f"...<{len(s)} characters>"


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


# ------------------------------------------------------------------ shapes
def _index_int(v, where: str, upper: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise MalformedFileError(f"{where} = {_short(v)} is not an integer")
    v = int(v)
    if v < 0 or (upper is not None and v >= upper):
        bound = f"[0, {upper})" if upper is not None else ">= 0"
        raise MalformedFileError(f"{where} = {v} is out of range {bound}")
    return v


def _nested(obj, shape, where: str, read) -> np.ndarray:
    """Read a nested list of exactly ``shape`` into an array, entry by entry.

    The structure is checked while walking and the array is allocated only
    afterwards, so a file that claims a huge shape cannot trigger a huge
    allocation.
    """
    vals = []

    def walk(o, depth, idx):
        if depth == len(shape):
            vals.append(read(o, f"{where}[{', '.join(map(str, idx))}]"))
            return
        loc = f"{where}[{', '.join(map(str, idx))}]" if idx else where
        if not isinstance(o, list):
            raise MalformedFileError(f"{loc} must be a list of length {shape[depth]}; got {type(o).__name__}")
        if len(o) != shape[depth]:
            raise MalformedFileError(f"{loc} has length {len(o)}, expected {shape[depth]} "
                                     f"(shape {tuple(shape)})")
        for i, item in enumerate(o):
            walk(item, depth + 1, idx + (i,))

    walk(obj, 0, ())
    out = np.empty(len(vals), dtype=object if read is _read_exact else np.float64)
    out[:] = vals
    return out.reshape(shape)


def _require(d: dict, key: str):
    if key not in d:
        raise MalformedFileError(f"missing key {key!r}")
    return d[key]


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
        return json.dumps(d, indent=indent, allow_nan=False)
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
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except _Reject as exc:
        raise MalformedFileError(str(exc)) from None
    except RecursionError:
        raise MalformedFileError("JSON nested too deeply") from None
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
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
    """Write :func:`to_json` text to ``path`` (UTF-8)."""
    text = to_json(mdp, policy=policy, extra=extra, indent=indent)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def load_json(path, *, with_extras: bool = False):
    """Read an MDP from a JSON file written by :func:`save_json` (see :func:`from_json`)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError as exc:
        raise MalformedFileError(f"{path}: {exc}") from None
    return from_json(data, with_extras=with_extras)


# ------------------------------------------------------------------ npz
def save_npz(mdp: MDP, path) -> None:
    """Write an MDP to a NumPy ``.npz`` file that loads without pickle.

    Arrays: ``format``, ``version``, ``field``, ``gamma``, ``r``, ``rho`` and
    either ``P`` (S, A, S) or the COO triplets ``P_row``, ``P_col``,
    ``P_value`` of a sparse ``P`` (row index ``s*A + a``).  Exact values are
    Unicode string arrays of ``"p/q"``; float values are float64.
    """
    arrays = {"format": np.array(FORMAT_TAG), "version": np.array(FORMAT_VERSION, dtype=np.int64),
              "field": np.array(mdp.field), "shape": np.array([mdp.n_states, mdp.n_actions], dtype=np.int64)}
    if mdp.is_exact:
        conv = np.frompyfunc(_fraction_to_str, 1, 1)
        arrays["gamma"] = np.array(_fraction_to_str(mdp.gamma))
        for name, a in (("P", mdp.P), ("r", mdp.r), ("rho", mdp.rho)):
            arrays[name] = conv(a).astype(str)
    else:
        arrays["gamma"] = np.array(float(mdp.gamma))
        arrays["r"] = np.asarray(mdp.r, dtype=np.float64)
        arrays["rho"] = np.asarray(mdp.rho, dtype=np.float64)
        if mdp.is_sparse:
            C = mdp.P.tocoo()
            arrays["P_row"] = C.row.astype(np.int64)
            arrays["P_col"] = C.col.astype(np.int64)
            arrays["P_value"] = C.data.astype(np.float64)
        else:
            arrays["P"] = np.asarray(mdp.P, dtype=np.float64)
    np.savez(path, **arrays)


def _npz_get(z, key, *, kind, ndim=None):
    if key not in z.files:
        raise MalformedFileError(f"missing array {key!r}")
    a = z[key]
    if a.dtype.kind not in kind:
        raise MalformedFileError(f"array {key!r} has dtype {a.dtype}, expected kind {kind!r}")
    if ndim is not None and a.ndim != ndim:
        raise MalformedFileError(f"array {key!r} has {a.ndim} dimensions, expected {ndim}")
    if a.dtype.kind == "U" and a.dtype.itemsize // 4 > MAX_NUMBER_CHARS + 64:
        raise MalformedFileError(f"array {key!r} holds strings of up to {a.dtype.itemsize // 4} characters, "
                                 f"more than MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}")
    return a


def load_npz(path) -> MDP:
    """Read an MDP written by :func:`save_npz` (``allow_pickle=False``).

    Raises
    ------
    MalformedFileError
        Not an npz file, pickled/object arrays, missing or mistyped arrays,
        inconsistent shapes, overlong numbers.
    InvalidMDPError
        A well-formed file describing an invalid MDP.
    """
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, MemoryError) as exc:
        raise MalformedFileError(f"cannot read {path} as npz: {exc}") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise MalformedFileError(f"{path} is a single .npy array, not an npz archive")
    try:
        with z:
            return _load_npz_arrays(z)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, MemoryError, KeyError) as exc:
        if isinstance(exc, (InvalidMDPError, MalformedFileError)):
            raise
        raise MalformedFileError(f"cannot read {path} as an MDP: {exc}") from None


def _load_npz_arrays(z) -> MDP:
    tag = _npz_get(z, "format", kind="U", ndim=0)
    if str(tag) != FORMAT_TAG:
        raise MalformedFileError(f"format = {_short(str(tag))}, expected {FORMAT_TAG!r}")
    version = _npz_get(z, "version", kind="iu", ndim=0)
    if not 1 <= int(version) <= FORMAT_VERSION:
        raise MalformedFileError(f"version = {int(version)} is not supported")
    field = str(_npz_get(z, "field", kind="U", ndim=0))
    if field not in (_EXACT, _FLOAT):
        raise MalformedFileError(f"field = {_short(field)}, expected 'exact' or 'float'")
    shape = _npz_get(z, "shape", kind="iu", ndim=1)
    if shape.shape != (2,) or (shape < 1).any():
        raise MalformedFileError(f"shape = {shape.tolist()} must be [S, A] with S, A >= 1")
    S, A = int(shape[0]), int(shape[1])
    if field == _EXACT:
        def read(key, shp):
            a = _npz_get(z, key, kind="U", ndim=len(shp))
            if a.shape != shp:
                raise MalformedFileError(f"array {key!r} has shape {a.shape}, expected {shp}")
            out = np.empty(shp, dtype=object)
            for k, v in enumerate(a.reshape(-1)):
                out.flat[k] = _read_exact(str(v), f"{key}[{k}]")
            return out

        r = read("r", (S, A))
        rho = read("rho", (S,))
        gamma = read("gamma", ())[()]
        if "P_row" in z.files:
            raise MalformedFileError("sparse storage (P_row, ...) is for float MDPs only")
        P = read("P", (S, A, S))
        return MDP(P, r, gamma, rho)

    def readf(key, shp):
        a = _npz_get(z, key, kind="f", ndim=len(shp))
        if a.shape != shp:
            raise MalformedFileError(f"array {key!r} has shape {a.shape}, expected {shp}")
        return np.asarray(a, dtype=np.float64)

    r = readf("r", (S, A))
    rho = readf("rho", (S,))
    gamma = float(readf("gamma", ()))
    if "P_row" in z.files:
        import scipy.sparse as sp

        row = _npz_get(z, "P_row", kind="iu", ndim=1)
        col = _npz_get(z, "P_col", kind="iu", ndim=1)
        val = _npz_get(z, "P_value", kind="f", ndim=1)
        if not (row.shape == col.shape == val.shape):
            raise MalformedFileError(f"P_row, P_col, P_value differ in length: "
                                     f"{row.size}, {col.size}, {val.size}")
        if row.size and (row.min() < 0 or row.max() >= S * A or col.min() < 0 or col.max() >= S):
            raise MalformedFileError(f"sparse P indices out of range for S={S}, A={A}")
        P = sp.csr_matrix((val.astype(np.float64), (row.astype(np.int64), col.astype(np.int64))),
                          shape=(S * A, S))
    else:
        P = readf("P", (S, A, S))
    return MDP(P, r, gamma, rho)


# ------------------------------------------------------------------ gymnasium
def _simple_fraction(x, *, max_denominator: int = 10**6, ulps: int = 8) -> Fraction:
    """The simplest rational within ``ulps`` units in the last place of float ``x``.

    Used to recover the probabilities of toy-text tables (``0.33333333333333337``
    is 1/3 plus one ulp); falls back to the shortest decimal.
    """
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return Fraction(int(x))
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"non-finite value {x!r}")
    c = Fraction(f).limit_denominator(max_denominator)
    if abs(c - Fraction(f)) <= ulps * Fraction(math.ulp(f)):
        return c
    return Fraction(repr(f))


def from_gymnasium(env_or_P_table, *, gamma, terminal: str = "absorbing", exact: bool = False,
                   rho="env") -> MDP:
    r"""Build an MDP from a gymnasium toy-text environment or its ``P`` table.

    The table has ``P[s][a] = [(prob, next_state, reward, terminated), ...]``
    (FrozenLake, CliffWalking, Taxi expose it as ``env.unwrapped.P``).
    Rewards are attached to transitions there, so the expected reward is

    .. math::

        r(s, a) = \sum_{(p, s', R, \text{term}) \in P[s][a]} p \cdot R .

    Terminated transitions end the episode; two ways to express that in a
    discounted MDP (the value of every original state equals the expected
    discounted episodic return either way, as long as in ``"self-loop"``
    mode the landing states are entered only through terminating transitions):

    ``terminal="absorbing"`` (default)
        One extra state, index ``S``, absorbing with zero reward; every
        terminated transition goes there.  Always faithful.
    ``terminal="self-loop"``
        A terminated transition lands in its ``next_state`` as written, and
        every such state is made absorbing with zero reward under all actions
        (its own row of the table is replaced).  Keeps ``S`` states; right for
        FrozenLake's holes and goal, CliffWalking's goal and Taxi's delivered
        states, which the episode never leaves.

    Parameters
    ----------
    env_or_P_table : gymnasium.Env or dict
        An environment (``env.unwrapped.P`` is used) or the table itself.
        gymnasium is not imported.
    gamma : float or exact rational, keyword-only
    terminal : {"absorbing", "self-loop"}, keyword-only
    exact : bool, keyword-only
        Build an exact MDP: each probability becomes the simplest rational
        (denominator at most 10^6) within 8 ulps of the float, so the
        tables' ``0.33333333333333337`` reads as 1/3 and Taxi's
        ``0.09999999999999998`` as 1/10; rewards are read as their shortest
        decimals.  Rows must then sum to one exactly.
    rho : "env", "uniform" or array_like, keyword-only
        ``"env"`` uses the environment's ``initial_state_distrib`` when it has
        one, else uniform over the table's states; the absorbing state gets 0.

    Raises
    ------
    MalformedFileError
        If the table is not of the form above (states/actions not
        ``0..n-1``, entries not 4-tuples, next states out of range).
    InvalidMDPError
        If the probabilities do not form stochastic rows.

    Examples
    --------
    >>> table = {0: {0: [(1.0, 1, 1.0, True)]}, 1: {0: [(1.0, 1, 0.0, True)]}}
    >>> m = from_gymnasium(table, gamma=0.9)
    >>> m.n_states, m.r.tolist()
    (3, [[1.0], [0.0], [0.0]])
    """
    if terminal not in ("absorbing", "self-loop"):
        raise InvalidMDPError(f"terminal must be 'absorbing' or 'self-loop'; got {terminal!r}")
    env = None
    table = env_or_P_table
    if not isinstance(table, dict):
        env = getattr(table, "unwrapped", table)
        table = getattr(env, "P", None)
        if not isinstance(table, dict):
            raise MalformedFileError(
                f"{type(env_or_P_table).__name__} has no toy-text transition table .P (dict s -> dict a -> list)")
    S = len(table)
    if S == 0:
        raise MalformedFileError("the transition table has no states")
    if sorted(_table_keys(table, "P")) != list(range(S)):
        raise MalformedFileError(f"states must be the integers 0..{S - 1}")
    first = table[next(iter(table))] if 0 not in table else table[0]
    if not isinstance(first, dict) or len(first) == 0:
        raise MalformedFileError("P[0] must be a non-empty dict a -> list of transitions")
    A = len(first)
    S_out = S + 1 if terminal == "absorbing" else S
    if S_out * S_out * A > MAX_GYM_ENTRIES:
        raise MalformedFileError(f"a dense P of shape ({S_out}, {A}, {S_out}) exceeds "
                                 f"MAX_GYM_ENTRIES = {MAX_GYM_ENTRIES} entries")
    num = (lambda v, where: _gym_number(v, where, exact))
    zero = Fraction(0) if exact else 0.0
    P = np.full((S_out, A, S_out), zero, dtype=object if exact else np.float64)
    r = np.full((S_out, A), zero, dtype=object if exact else np.float64)
    absorbed = set()
    for s in range(S):
        row = table[s]
        if not isinstance(row, dict) or sorted(_table_keys(row, f"P[{s}]")) != list(range(A)):
            raise MalformedFileError(f"P[{s}] must be a dict with actions 0..{A - 1}")
        for a in range(A):
            trans = row[a]
            if not isinstance(trans, (list, tuple)) or len(trans) == 0:
                raise MalformedFileError(f"P[{s}][{a}] must be a non-empty list of transitions")
            for k, t in enumerate(trans):
                where = f"P[{s}][{a}][{k}]"
                if not isinstance(t, (list, tuple)) or len(t) not in (3, 4):
                    raise MalformedFileError(f"{where} must be (prob, next_state, reward, terminated); got {_short(t)}")
                p = num(t[0], where + " prob")
                s2 = _index_int(t[1], where + " next_state", S)
                rew = num(t[2], where + " reward")
                term = bool(t[3]) if len(t) == 4 else False
                if term and terminal == "absorbing":
                    s2 = S
                elif term:
                    absorbed.add(s2)
                P[s, a, s2] += p
                r[s, a] += p * rew
    one = Fraction(1) if exact else 1.0
    if terminal == "absorbing":
        P[S, :, S] = one
    for s2 in absorbed:
        P[s2] = zero
        P[s2, :, s2] = one
        r[s2] = zero
    rho_arr = _gym_rho(rho, env, S, S_out, exact)
    g = to_fraction(gamma, allow_float=True) if exact else gamma
    try:
        return MDP(P, r, g, rho_arr)
    except InvalidMDPError as exc:
        raise InvalidMDPError(f"gymnasium table: {exc}") from None


def _table_keys(d, where):
    keys = list(d.keys())
    for k in keys:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise MalformedFileError(f"{where} has a non-integer key {_short(k)}")
    return [int(k) for k in keys]


def _gym_number(v, where, exact):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating, Fraction)):
        raise MalformedFileError(f"{where} = {_short(v)} is not a number")
    if not math.isfinite(float(v)):
        raise MalformedFileError(f"{where} = {v!r} is not finite")
    if not exact:
        return float(v)
    if isinstance(v, Fraction):
        return v
    return _simple_fraction(v) if "prob" in where else to_fraction(v, allow_float=True)


def _gym_rho(rho, env, S, S_out, exact):
    if isinstance(rho, str):
        if rho not in ("env", "uniform"):
            raise InvalidMDPError(f"rho must be 'env', 'uniform' or an array; got {rho!r}")
        isd = getattr(env, "initial_state_distrib", None) if rho == "env" else None
        if isd is None:
            base = np.array([Fraction(1, S)] * S, dtype=object) if exact else np.full(S, 1.0 / S)
        else:
            isd = np.asarray(isd, dtype=np.float64).ravel()
            if isd.shape != (S,):
                raise MalformedFileError(f"initial_state_distrib has shape {isd.shape}, expected ({S},)")
            base = np.array([_simple_fraction(x) for x in isd], dtype=object) if exact else isd / isd.sum()
    else:
        return rho
    out = np.full(S_out, Fraction(0) if exact else 0.0, dtype=object if exact else np.float64)
    out[:S] = base
    return out


# ------------------------------------------------------------------ pymdptoolbox
def from_pymdptoolbox(P, R, gamma, *, rho=None) -> MDP:
    r"""Build an MDP from pymdptoolbox's ``(P, R)`` arrays.

    pymdptoolbox lays transitions out as ``P[a, s, s']``; here
    ``P_mdp[s, a, s'] = P[a, s, s']``.  Rewards may be

    * ``R[s, a]`` (shape (S, A)), used as is;
    * ``R[s]`` (shape (S,)), the same reward for every action;
    * ``R[a, s, s']`` (shape (A, S, S)), a reward per transition:

      .. math:: r(s, a) = \sum_{s'} P[a, s, s'] \, R[a, s, s'].

    ``P`` may also be a sequence of ``A`` scipy sparse ``(S, S)`` matrices
    (pymdptoolbox's sparse form); the MDP is then a sparse float MDP.  The
    field (exact or float) follows the entries, as for :class:`MDP`.

    Examples
    --------
    >>> P = [[[0.5, 0.5], [0.0, 1.0]]]            # one action
    >>> m = from_pymdptoolbox(P, [1.0, 0.0], 0.9)
    >>> m.r.tolist()
    [[1.0], [0.0]]
    """
    import scipy.sparse as sp

    if isinstance(P, (list, tuple)) and P and all(sp.issparse(p) for p in P) or (
            isinstance(P, np.ndarray) and P.dtype == object and P.ndim == 1 and P.size
            and all(sp.issparse(p) for p in P)):
        mats = [sp.csr_matrix(p, dtype=np.float64) for p in P]
        A = len(mats)
        S = mats[0].shape[0]
        if any(m.shape != (S, S) for m in mats):
            raise InvalidMDPError(f"every P[a] must have shape (S, S) = ({S}, {S}); got "
                                  f"{[m.shape for m in mats]}")
        stacked = sp.vstack(mats).tocsr()  # row a*S + s
        perm = (np.arange(A)[None, :] * S + np.arange(S)[:, None]).ravel()  # row s*A + a
        Pm = stacked[perm]
        R = np.asarray(R, dtype=np.float64) if not (isinstance(R, (list, tuple)) and R and sp.issparse(R[0])) else R
        if isinstance(R, (list, tuple)):
            r = np.stack([np.asarray(mats[a].multiply(R[a]).sum(axis=1)).ravel() for a in range(A)], axis=1)
        elif R.shape == (S,):
            r = np.repeat(R[:, None], A, axis=1)
        elif R.shape == (S, A):
            r = R
        elif R.shape == (A, S, S):
            r = np.stack([np.asarray(mats[a].multiply(R[a]).sum(axis=1)).ravel() for a in range(A)], axis=1)
        else:
            raise InvalidMDPError(f"R must have shape (S,), (S, A) or (A, S, S) = ({S},), ({S}, {A}) "
                                  f"or ({A}, {S}, {S}); got {R.shape}")
        return MDP(Pm, r, gamma, rho)
    Parr = _array(P, "P")
    if Parr.ndim != 3 or Parr.shape[1] != Parr.shape[2]:
        raise InvalidMDPError(f"P must have shape (A, S, S); got shape {Parr.shape}")
    A, S = Parr.shape[0], Parr.shape[1]
    P_sas = np.transpose(Parr, (1, 0, 2))
    Rarr = _array(R, "R")
    if Rarr.shape == (S,):
        r = np.repeat(Rarr[:, None], A, axis=1)
    elif Rarr.shape == (S, A):
        r = Rarr
    elif Rarr.shape == (A, S, S):
        r = np.einsum("ast,ast->sa", Parr, Rarr)
    else:
        raise InvalidMDPError(f"R must have shape (S,), (S, A) or (A, S, S) = ({S},), ({S}, {A}) "
                              f"or ({A}, {S}, {S}); got {Rarr.shape}")
    return MDP(P_sas, r, gamma, rho)


def _array(x, name):
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise InvalidMDPError(f"{name} cannot be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "iufb":
        return arr
    raise InvalidMDPError(f"{name} has unsupported dtype {arr.dtype}")


def to_pymdptoolbox(mdp: MDP):
    """``(P, R)`` in pymdptoolbox's layout: ``P[a, s, s']`` and ``R[s, a]``, float64.

    pymdptoolbox computes in floats, so exact MDPs are rounded (correctly) to
    float64.  A sparse MDP gives ``P`` as a list of ``A`` CSR ``(S, S)``
    matrices, pymdptoolbox's sparse form.

    Examples
    --------
    >>> m = MDP([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]], [[1.0, 0.0], [0.0, 2.0]], 0.9)
    >>> P, R = to_pymdptoolbox(m)
    >>> P.shape, P[1, 0].tolist(), R.tolist()
    ((2, 2, 2), [1.0, 0.0], [[1.0, 0.0], [0.0, 2.0]])
    """
    fm = mdp.to_float()
    S, A = fm.n_states, fm.n_actions
    R = np.array(fm.r, dtype=np.float64)
    if fm.is_sparse:
        Pm = fm.P.tocsr()
        return [Pm[np.arange(S) * A + a].tocsr() for a in range(A)], R
    return np.ascontiguousarray(np.transpose(fm.P, (1, 0, 2)), dtype=np.float64), R


# ------------------------------------------------------------------ QuantEcon
def from_quantecon(ddp, *, rho=None) -> MDP:
    r"""Build an MDP from a QuantEcon ``DiscreteDP`` (or any object with its attributes).

    Dense form: ``R[s, a]``, ``Q[s, a, s']``, ``beta`` — exactly this
    package's ``r``, ``P``, ``gamma``.  State-action-pair form: ``R`` of shape
    (L,), ``Q`` of shape (L, S) (dense or sparse) and ``s_indices``,
    ``a_indices`` of length L; every pair ``(s, a)`` with ``a < A`` must occur
    exactly once.  QuantEcon marks infeasible actions by ``R = -inf``; an MDP
    here has every action available everywhere, so those raise.

    Raises
    ------
    InvalidMDPError
        Naming the infeasible or missing pair ``(s, a)``, or from validation.
    MalformedFileError
        If ``ddp`` lacks ``R``, ``Q`` or ``beta``.
    """
    import scipy.sparse as sp

    try:
        R, Q, beta = ddp.R, ddp.Q, ddp.beta
    except AttributeError as exc:
        raise MalformedFileError(f"not a DiscreteDP: {exc}") from None
    s_idx = getattr(ddp, "s_indices", None)
    a_idx = getattr(ddp, "a_indices", None)
    if s_idx is None:
        Rarr = _array(R, "R")
        if Rarr.ndim != 2:
            raise InvalidMDPError(f"R must have shape (S, A); got {Rarr.shape}")
        if Rarr.dtype.kind == "f" and np.isneginf(Rarr).any():
            s, a = (int(i) for i in np.argwhere(np.isneginf(Rarr))[0])
            raise InvalidMDPError(f"action {a} is infeasible in state {s} (R[{s}, {a}] = -inf); "
                                  "every action must be available in every state")
        Qd = Q.toarray() if sp.issparse(Q) else Q
        return MDP(Qd, Rarr, beta, rho)
    s_idx = np.asarray(s_idx)
    a_idx = np.asarray(a_idx)
    Rarr = _array(R, "R")
    L = Rarr.shape[0] if Rarr.ndim == 1 else -1
    if Rarr.ndim != 1 or s_idx.shape != (L,) or a_idx.shape != (L,) or s_idx.dtype.kind not in "iu" \
            or a_idx.dtype.kind not in "iu":
        raise InvalidMDPError("state-action-pair form needs R, s_indices, a_indices of one length L (integers)")
    S = Q.shape[1]
    A = int(a_idx.max()) + 1 if L else 0
    if L == 0 or s_idx.min() < 0 or s_idx.max() >= S or a_idx.min() < 0:
        raise InvalidMDPError(f"s_indices must lie in [0, {S}) and a_indices be >= 0")
    pos = s_idx.astype(np.int64) * A + a_idx.astype(np.int64)
    count = np.bincount(pos, minlength=S * A)
    if (count != 1).any():
        k = int(np.argmax(count != 1))
        s, a = divmod(k, A)
        what = "missing (infeasible)" if count[k] == 0 else f"listed {int(count[k])} times"
        raise InvalidMDPError(f"state-action pair ({s}, {a}) is {what}; every action must be available "
                              "in every state exactly once")
    order = np.argsort(pos)
    r = Rarr[order].reshape(S, A)
    if sp.issparse(Q):
        Pm = sp.csr_matrix(Q)[order]
        return MDP(Pm, np.asarray(r, dtype=np.float64), beta, rho)
    Qarr = _array(Q, "Q")
    return MDP(Qarr[order].reshape(S, A, S), r, beta, rho)


def to_quantecon(mdp: MDP):
    """A QuantEcon ``DiscreteDP`` with the same ``R``, ``Q``, ``beta`` (float64).

    Dense MDPs give the dense form ``DiscreteDP(r, P, gamma)``; sparse ones the
    state-action-pair form with a sparse ``Q`` of shape ``(S*A, S)``.
    quantecon is imported only here (``pip install quantecon``).

    Raises
    ------
    ImportError
        If quantecon is not installed.
    """
    try:
        from quantecon.markov import DiscreteDP
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("to_quantecon needs quantecon (pip install quantecon)") from exc
    fm = mdp.to_float()
    S, A = fm.n_states, fm.n_actions
    if fm.is_sparse:
        s_idx = np.repeat(np.arange(S), A)
        a_idx = np.tile(np.arange(A), S)
        return DiscreteDP(np.asarray(fm.r, dtype=np.float64).ravel(), fm.P.tocsr(), float(fm.gamma),
                          s_idx, a_idx)
    return DiscreteDP(np.array(fm.r, dtype=np.float64), np.array(fm.P, dtype=np.float64), float(fm.gamma))
