r"""The finite discounted MDP: validated once, immutable, exact or float.

An MDP is a tuple :math:`(S, A, P, r, \gamma, \rho)` with
``P[s, a, s'] = Pr(s' | s, a)``, rewards ``r[s, a]``, discount
:math:`\gamma \in [0, 1)` and a start distribution :math:`\rho` (uniform by
default).  Its number field is decided by its entries:

* **exact** when every entry of ``P``, ``r``, ``gamma`` and ``rho`` is an exact
  rational (``int``, :class:`~fractions.Fraction`, ``sympy.Rational``,
  ``flint.fmpq``; integer arrays count as exact).  Entries are stored as
  :class:`~fractions.Fraction` in object arrays.
* **float** when the entries are floats (integer arrays and integer ``gamma``
  mix freely with floats).

Exact and float entries are never silently mixed: ``MDP(P_fraction, r_float,
...)`` raises :class:`~mdptheory.exceptions.InvalidMDPError`.  Use
:meth:`MDP.exact` to read floats and strings (``"3/4"``) as exact rationals, and
:meth:`MDP.to_float` / :meth:`MDP.to_exact` to convert.

Large MDPs may give ``P`` as a ``scipy.sparse`` matrix of shape ``(S*A, S)``
whose row ``s*A + a`` is ``P[s, a, :]`` (float only).
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from .exceptions import InvalidMDPError, InvalidParameterError, format_value
from .fields import (
    check_exact_distribution,
    EXACT,
    FLOAT,
    exact_array,
    float_array,
    format_index,
    is_exact_scalar,
    to_fraction,
)

__all__ = ["MDP", "DEFAULT_ROW_SUM_ATOL", "MAX_SPARSE_ROWS", "check_mdp"]

#: Default tolerance on ``|sum_s' P[s, a, s'] - 1|`` for float MDPs (and on the
#: start distribution's sum).  Exact MDPs must sum to one exactly.
DEFAULT_ROW_SUM_ATOL = 1e-10


#: Bytes of ``P`` read per block by the one-pass validation of a dense float ``P``
#: (its copy and its checks: a 4 MB block stays in the shared cache between them).
_BLOCK_BYTES = 1 << 22

#: Largest number of entries of ``P`` (S * A * S) for which ``repr(mdp)`` prints the arrays.
REPR_MAX_ENTRIES = 512


def _exact_literal(x) -> str:
    """A nested-list literal of rationals: ints as ints, other rationals as ``"p/q"`` strings."""
    if isinstance(x, np.ndarray):
        return "[" + ", ".join(_exact_literal(v) for v in x) + "]"
    q = Fraction(x)
    return str(q.numerator) if q.denominator == 1 else f'"{q}"'


def _float_literal(x) -> str:
    """``np.array([...])`` with every float printed so that it round-trips."""
    def rec(v):
        if isinstance(v, np.ndarray):
            return "[" + ", ".join(rec(w) for w in v) + "]"
        return repr(float(v))

    return f"np.array({rec(np.asarray(x))})"


def _is_sparse(x) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover
        return False
    return sp.issparse(x)


#: Largest number of rows ``S*A`` of a sparse ``P`` (its row pointer alone is
#: ``8*(S*A + 1)`` bytes); beyond it the matrix cannot be processed in memory.
MAX_SPARSE_ROWS = 10**8


def _check_sparse_P(P):
    """Refuse a sparse ``P`` of a non-real dtype or of a size beyond memory (before any copy)."""
    kind = np.dtype(P.dtype).kind
    if kind == "b":
        raise InvalidMDPError("sparse P has boolean dtype; probabilities must be numbers")
    if kind == "c":
        raise InvalidMDPError(f"sparse P has complex dtype {P.dtype}; probabilities must be real")
    if kind not in "fiu":
        raise InvalidMDPError(f"sparse P has unsupported dtype {P.dtype}")
    rows, cols = (int(n) for n in P.shape)
    if rows > MAX_SPARSE_ROWS or cols > MAX_SPARSE_ROWS:
        raise InvalidMDPError(f"sparse P has shape {(rows, cols)}: more than {MAX_SPARSE_ROWS:g} rows or "
                              "columns does not fit in memory")


def _classify(x, name):
    """Return 'exact', 'float' or 'int' (neutral) for an array-like or scalar."""
    if _is_sparse(x):
        _check_sparse_P(x)
        return FLOAT
    if isinstance(x, (bool, np.bool_)):
        raise InvalidMDPError(f"{name} is a boolean ({x!r}), not a number")
    if isinstance(x, str):
        raise InvalidMDPError(
            f"{name} is the string {format_value(x)}; use MDP.exact(...) to read strings as rationals"
        )
    if is_exact_scalar(x):
        return "int" if isinstance(x, (int, np.integer)) else EXACT
    if isinstance(x, (float, np.floating)):
        return FLOAT
    if isinstance(x, numbers.Number) and not isinstance(x, numbers.Real):
        raise InvalidMDPError(f"{name} = {format_value(x)} is not a real number")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists etc.
        raise InvalidMDPError(f"{name} cannot be read as an array: {exc}") from None
    if arr.dtype.kind in "iu":
        return "int"
    if arr.dtype.kind == "f":
        return FLOAT
    if arr.dtype.kind == "b":
        raise InvalidMDPError(f"{name} has boolean dtype; probabilities and rewards must be numbers")
    if arr.dtype.kind == "c":
        raise InvalidMDPError(f"{name} has complex dtype {arr.dtype}")
    if arr.dtype.kind in "US":
        raise InvalidMDPError(f"{name} holds strings (dtype {arr.dtype}); use MDP.exact(...) to read strings "
                              "such as '3/4' as rationals")
    if arr.dtype == object:
        kinds = set()
        for k, v in enumerate(arr.reshape(-1)):
            if isinstance(v, (float, np.floating)):
                kinds.add(FLOAT)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                kinds.add("int")
            elif is_exact_scalar(v):
                kinds.add(EXACT)
            else:
                idx = np.unravel_index(k, arr.shape)
                where = f"{name}[{format_index(idx)}]" if arr.ndim else name
                if isinstance(v, str):
                    raise InvalidMDPError(
                        f"{where} is the string {format_value(v)}; use MDP.exact(...) to read strings as rationals"
                    )
                raise InvalidMDPError(f"{where} = {format_value(v)} ({type(v).__name__}) is not a real number")
        if FLOAT in kinds and EXACT in kinds:
            raise InvalidMDPError(f"{name} mixes float and exact rational entries")
        if EXACT in kinds:
            return EXACT
        if FLOAT in kinds:
            return FLOAT
        return "int"
    raise InvalidMDPError(f"{name} has unsupported dtype {arr.dtype}")


def check_mdp(mdp, name: str = "mdp") -> "MDP":
    """Return ``mdp`` if it is an :class:`MDP`, else raise :class:`InvalidParameterError` naming it."""
    if not isinstance(mdp, MDP):
        raise InvalidParameterError(f"{name} must be an MDP (mdptheory.MDP); got {type(mdp).__name__} "
                                    f"{format_value(mdp)}")
    return mdp


def _plain(v):
    """A NumPy scalar as the plain Python number, for messages."""
    return v.item() if isinstance(v, np.generic) else v


def _first_bad(mask, arr, name):
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"{name}[{format_index(idx)}] = {format_value(arr[idx])}"


class MDP:
    r"""A finite discounted Markov decision process.

    Parameters
    ----------
    P : array_like, shape (S, A, S), or scipy.sparse matrix, shape (S*A, S)
        Transition probabilities ``P[s, a, s'] = Pr(s' | s, a)``.
    r : array_like, shape (S, A)
        Rewards ``r[s, a]``.
    gamma : float or exact rational
        Discount factor, :math:`0 \le \gamma < 1`.
    rho : array_like, shape (S,), optional
        Start distribution; uniform by default.
    atol : float, keyword-only
        Tolerance for float row sums, ``|sum_s' P[s, a, s'] - 1| <= atol``
        (default :data:`DEFAULT_ROW_SUM_ATOL` = 1e-10).  Exact MDPs use none.

    Attributes
    ----------
    P : ndarray (S, A, S) or scipy.sparse.csr_matrix (S*A, S), read-only
    r : ndarray (S, A), read-only
    gamma : float or Fraction
    rho : ndarray (S,), read-only
    n_states, n_actions : int
    is_exact : bool
        True for exact rational MDPs.
    field : {"float", "exact"}
    is_sparse : bool

    Raises
    ------
    InvalidMDPError
        With a message naming the offending index and value, e.g.
        ``"P[2, 1, :] sums to 0.9, must sum to 1"``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> m = MDP([[[F(1, 2), F(1, 2)]], [[0, 1]]], [[1], [0]], F(9, 10))
    >>> m.n_states, m.n_actions, m.is_exact
    (2, 1, True)
    >>> MDP([[[0.5, 0.4]], [[0.0, 1.0]]], [[0.0], [1.0]], 0.9)
    Traceback (most recent call last):
    ...
    mdptheory.exceptions.InvalidMDPError: P[0, 0, :] sums to 0.9, must sum to 1 (tolerance 1e-10)
    """

    __slots__ = ("_P", "_r", "_gamma", "_rho", "_field", "_sparse", "_cache", "_frozen")

    def __init__(self, P, r, gamma, rho=None, *, atol: float = DEFAULT_ROW_SUM_ATOL):
        self._build(P, r, gamma, rho, atol, adopt=False)

    @classmethod
    def from_arrays(cls, P, r, gamma, rho=None, *, atol: float = DEFAULT_ROW_SUM_ATOL,
                    copy: bool = True) -> "MDP":
        r"""Build an MDP, optionally taking ownership of a dense float ``P`` instead of copying it.

        ``MDP(...)`` copies ``P`` so that nothing the caller does afterwards can
        change the MDP; for a dense 64 MB ``P`` that copy costs more than all
        the checks.  With ``copy=False`` a ``P`` that is a C-contiguous
        float64 ``ndarray`` owning its memory (not a view) is validated in
        place and *adopted*: it becomes the MDP's ``P`` and is made read-only
        (``P.flags.writeable = False``), so that writing through it raises.
        The caller hands it over: it must not turn writing back on, nor write
        through views of it made earlier.  Any other ``P`` (a view, another
        dtype or layout, a list, a sparse matrix, exact entries) is copied as
        by ``MDP(...)``; ``r`` and ``rho`` are always copied.  ``copy=True``
        is ``MDP(...)``.

        Parameters
        ----------
        P, r, gamma, rho, atol
            As for :class:`MDP`.
        copy : bool, keyword-only
            Whether ``P`` is copied (default) or adopted where possible.

        Raises
        ------
        InvalidParameterError
            ``copy`` is not a bool.
        InvalidMDPError
            As :class:`MDP`; a ``P`` that fails validation is left writeable.

        Examples
        --------
        >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
        >>> m = MDP.from_arrays(P, [[1.0], [0.0]], 0.9, copy=False)
        >>> m.P is P, P.flags.writeable
        (True, False)
        """
        if not isinstance(copy, (bool, np.bool_)):
            raise InvalidParameterError(f"copy must be True or False; got {format_value(copy)}")
        self = cls.__new__(cls)
        self._build(P, r, gamma, rho, atol, adopt=not copy)
        return self

    def _build(self, P, r, gamma, rho, atol, adopt):
        object.__setattr__(self, "_frozen", False)
        kinds = {
            "P": _classify(P, "P"),
            "r": _classify(r, "r"),
            "gamma": _classify(gamma, "gamma"),
        }
        if rho is not None:
            kinds["rho"] = _classify(rho, "rho")
        has_exact = [k for k, v in kinds.items() if v == EXACT]
        has_float = [k for k, v in kinds.items() if v == FLOAT]
        if has_exact and has_float:
            raise InvalidMDPError(
                f"exact entries in {', '.join(has_exact)} mixed with float entries in "
                f"{', '.join(has_float)}; convert explicitly (MDP.exact(...) or floats throughout)"
            )
        exact = bool(has_exact) or not has_float
        sparse = _is_sparse(P)
        if sparse and exact:
            raise InvalidMDPError("sparse P is supported for float MDPs only")
        self._field = EXACT if exact else FLOAT
        self._sparse = sparse
        self._cache = {}
        if exact:
            self._init_exact(P, r, gamma, rho)
        else:
            self._init_float(P, r, gamma, rho, atol, adopt)
        stored = (self._P.data, self._P.indices, self._P.indptr) if sparse else (self._P,)
        for arr in (self._r, self._rho) + stored:
            arr.flags.writeable = False
        self._frozen = True

    # ------------------------------------------------------------------ build
    def _shapes(self, P_shape, r, rho):
        if len(P_shape) != 3:
            raise InvalidMDPError(f"P must have shape (S, A, S); got shape {tuple(P_shape)}")
        S, A, S2 = P_shape
        if S == 0 or A == 0:
            raise InvalidMDPError(f"P must have at least one state and one action; got shape {tuple(P_shape)}")
        if S2 != S:
            raise InvalidMDPError(f"P must have shape (S, A, S); got shape {tuple(P_shape)} ({S} != {S2})")
        if r.shape != (S, A):
            raise InvalidMDPError(f"r must have shape (S, A) = ({S}, {A}); got shape {r.shape}")
        if rho is not None and rho.shape != (S,):
            raise InvalidMDPError(f"rho must have shape (S,) = ({S},); got shape {rho.shape}")
        return S, A

    def _init_exact(self, P, r, gamma, rho):
        try:
            P = exact_array(np.asarray(P, dtype=object) if not isinstance(P, np.ndarray) else P, name="P")
            r = exact_array(np.asarray(r, dtype=object) if not isinstance(r, np.ndarray) else r, name="r")
            rho_a = None if rho is None else exact_array(
                np.asarray(rho, dtype=object) if not isinstance(rho, np.ndarray) else rho, name="rho")
        except InvalidParameterError as exc:
            raise InvalidMDPError(str(exc)) from None
        S, A = self._shapes(P.shape, r, rho_a)
        g = to_fraction(gamma)
        if not (0 <= g < 1):
            raise InvalidMDPError(f"gamma = {format_value(g)} must satisfy 0 <= gamma < 1")
        neg = np.vectorize(lambda x: x < 0, otypes=[bool])(P)
        if neg.any():
            raise InvalidMDPError(_first_bad(neg, P, "P") + " is negative")
        sums = P.sum(axis=2)
        for idx in zip(*np.nonzero(np.vectorize(lambda x: x != 1, otypes=[bool])(sums))):
            s, a = int(idx[0]), int(idx[1])
            raise InvalidMDPError(f"P[{s}, {a}, :] sums to {format_value(sums[s, a])}, must sum to 1")
        if rho_a is None:
            rho_a = np.array([Fraction(1, S)] * S, dtype=object)
        else:
            self._check_rho_exact(rho_a)
        self._P, self._r, self._gamma, self._rho = P, r, g, rho_a

    @staticmethod
    def _check_rho_exact(rho):
        check_exact_distribution(rho, "rho", InvalidMDPError)

    def _init_float(self, P, r, gamma, rho, atol, adopt=False):
        if self._sparse:
            import scipy.sparse as sp

            Pm = sp.csr_matrix(P, dtype=np.float64, copy=True)
            Pm.sum_duplicates()
            Pm.eliminate_zeros()
            SA, S = Pm.shape
            if S == 0 or SA == 0 or SA % S != 0:
                raise InvalidMDPError(f"sparse P must have shape (S*A, S); got shape {Pm.shape}")
            A = SA // S
            r_a = self._float(r, "r")
            self._shapes((S, A, S), r_a, None if rho is None else np.asarray(rho))
            data = Pm.data
            bad = ~np.isfinite(data)
            if bad.any():
                k = int(np.argmax(bad))
                row = int(np.searchsorted(Pm.indptr, k, side="right") - 1)
                raise InvalidMDPError(
                    f"P[{row // A}, {row % A}, {int(Pm.indices[k])}] = {_plain(data[k])!r} is not finite")
            if (data < 0).any():
                k = int(np.argmax(data < 0))
                row = int(np.searchsorted(Pm.indptr, k, side="right") - 1)
                raise InvalidMDPError(
                    f"P[{row // A}, {row % A}, {int(Pm.indices[k])}] = {_plain(data[k])!r} is negative")
            sums = np.asarray(Pm.sum(axis=1)).ravel().reshape(S, A)
            self._check_sums(sums, atol)
            P_store = Pm
        else:
            if (adopt and type(P) is np.ndarray and P.dtype == np.float64 and P.flags.c_contiguous
                    and P.flags.owndata):
                src = P_store = P  # adopted (from_arrays(copy=False)): checked in place, made read-only below
            elif isinstance(P, np.ndarray) and P.dtype.kind in "fiu":
                # the defensive copy (and float64 conversion) and the checks in one pass, block by block
                src, P_store = P, np.empty(P.shape, dtype=np.float64)
            else:  # lists, object arrays: the conversion makes a fresh array, checked in place
                src = P_store = self._float(P, "P")
            r_a = self._float(r, "r")
            S, A = self._shapes(P_store.shape, r_a, None if rho is None else np.asarray(rho))
            if not self._dense_rows_ok(src, atol, out=None if src is P_store else P_store):
                # the slow checks, in their order, only to name the first bad entry or row
                bad = ~np.isfinite(P_store)
                if bad.any():
                    raise InvalidMDPError(_first_bad(bad, P_store, "P") + " is not finite")
                neg = P_store < 0
                if neg.any():
                    raise InvalidMDPError(_first_bad(neg, P_store, "P") + " is negative")
                self._check_sums(P_store.sum(axis=2), atol)
        bad = ~np.isfinite(r_a)
        if bad.any():
            raise InvalidMDPError(_first_bad(bad, r_a, "r") + " is not finite")
        try:
            g = float(gamma)
        except (TypeError, ValueError, OverflowError):
            raise InvalidMDPError(f"gamma = {format_value(gamma)} is not a number in float range") from None
        if not (0.0 <= g < 1.0):  # also rejects NaN
            raise InvalidMDPError(f"gamma = {g!r} must satisfy 0 <= gamma < 1")
        if rho is None:
            rho_a = np.full(S, 1.0 / S)
        else:
            rho_a = self._float(rho, "rho")
            bad = ~np.isfinite(rho_a)
            if bad.any():
                raise InvalidMDPError(_first_bad(bad, rho_a, "rho") + " is not finite")
            if (rho_a < 0).any():
                raise InvalidMDPError(_first_bad(rho_a < 0, rho_a, "rho") + " is negative")
            tot = float(rho_a.sum())
            if abs(tot - 1.0) > atol * max(1, S):
                raise InvalidMDPError(f"rho sums to {tot!r}, must sum to 1")
        self._P, self._r, self._gamma, self._rho = P_store, r_a, g, rho_a

    @staticmethod
    def _float(x, name):
        try:
            arr = float_array(x, name=name)
        except InvalidParameterError as exc:
            raise InvalidMDPError(str(exc)) from None
        if arr is not x and arr.base is None and arr.flags.c_contiguous:
            return arr  # a fresh array from the conversion (ints, objects, lists): no second copy
        return np.array(arr, dtype=np.float64, copy=True)

    @staticmethod
    def _dense_rows_ok(P, atol, *, out=None):
        r"""Whether a dense ``P`` passes every check, in one pass and no (S, A, S) temporary.

        ``P`` is read in blocks of states of about :data:`_BLOCK_BYTES` (a
        block stays in cache between its reductions); with ``out`` (a float64
        array of ``P``'s shape), each block is first copied (converted) into
        ``out`` and checked there, so that the defensive copy and the checks
        read ``P`` from memory once.  ``out`` is filled completely whatever
        the answer.  Per block, ``min >= 0`` is False for a NaN entry (the
        minimum propagates it) and for a negative one; then, with every entry
        nonnegative, finite row sums within ``atol`` of one bound every entry
        by :math:`1 + \mathrm{atol}`, so no entry is infinite.  ``-0.0``
        entries (accepted: not ``< 0``) make the minimum ``-0.0 >= 0``, still
        True.  The row sums are those of ``np.add.reduce(P, axis=2)`` (each
        row is reduced alone).  False sends the caller to the entry-by-entry
        checks, which name the first offending entry or row.
        """
        if P.size == 0:
            if out is not None:
                np.copyto(out, P)
            return False
        S = P.shape[0]
        step = max(1, _BLOCK_BYTES // (8 * (P.size // S)))
        ok = True
        for i in range(0, S, step):
            blk = P[i:i + step]
            if out is not None:
                np.copyto(out[i:i + step], blk, casting="unsafe")
                blk = out[i:i + step]
            elif blk.dtype != np.float64:
                blk = blk.astype(np.float64)
            if ok:
                ok = bool(blk.min() >= 0) and bool(np.all(np.abs(np.add.reduce(blk, axis=2) - 1.0) <= atol))
                if not ok and out is None:
                    return False
        return ok

    @staticmethod
    def _check_sums(sums, atol):
        dev = np.abs(sums - 1.0)
        bad = ~(dev <= atol)  # NaN counts as bad
        if bad.any():
            s, a = (int(i) for i in np.argwhere(bad)[0])
            raise InvalidMDPError(
                f"P[{s}, {a}, :] sums to {float(sums[s, a])!r}, must sum to 1 (tolerance {atol:g})")

    # -------------------------------------------------------------- accessors
    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError("MDP is immutable; build a new one")
        object.__setattr__(self, name, value)

    def __getstate__(self):
        """The data only: caches (FLINT matrices, integer forms) are rebuilt on demand, not pickled.

        An MDP crosses process boundaries (``--workers``, a Dask cluster) as
        plain arrays and rationals, so a report that carries one as its witness
        pickles whatever was computed on it before.
        """
        return {name: getattr(self, name) for name in self.__slots__ if name not in ("_cache", "_frozen")}

    def __setstate__(self, state):
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_cache", {})
        stored = (self._P.data, self._P.indices, self._P.indptr) if self._sparse else (self._P,)
        for arr in (self._r, self._rho) + stored:
            arr.flags.writeable = False
        object.__setattr__(self, "_frozen", True)

    @property
    def P(self):
        """Transitions ``P[s, a, s']`` (dense) or the ``(S*A, S)`` sparse matrix."""
        return self._P

    @property
    def r(self) -> np.ndarray:
        """Rewards ``r[s, a]``, shape (S, A)."""
        return self._r

    @property
    def gamma(self):
        """Discount factor (float or Fraction)."""
        return self._gamma

    @property
    def rho(self) -> np.ndarray:
        """Start distribution, shape (S,)."""
        return self._rho

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return int(self._r.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return int(self._r.shape[1])

    S = n_states
    A = n_actions

    @property
    def is_exact(self) -> bool:
        """True if every entry is an exact rational."""
        return self._field == EXACT

    @property
    def field(self) -> str:
        """``"exact"`` or ``"float"``."""
        return self._field

    @property
    def is_sparse(self) -> bool:
        """True if ``P`` is stored as a sparse ``(S*A, S)`` matrix."""
        return self._sparse

    def P_matrix(self):
        """``P`` as an ``(S*A, S)`` matrix (a reshaped view, or the sparse matrix)."""
        if self._sparse:
            return self._P
        S, A = self.n_states, self.n_actions
        return self._P.reshape(S * A, S)

    def P_dense(self) -> np.ndarray:
        """``P`` as a dense ``(S, A, S)`` array (converts a sparse ``P``)."""
        if self._sparse:
            S, A = self.n_states, self.n_actions
            return np.asarray(self._P.toarray()).reshape(S, A, S)
        return self._P

    # ------------------------------------------------------------ conversions
    @classmethod
    def exact(cls, P, r, gamma, rho=None):  # noqa: D401 - alternate constructor
        """Build an exact MDP, reading every entry as a rational.

        Accepts ints, Fractions, sympy Rationals, strings such as ``"3/4"`` or
        ``"0.1"``, and floats, which are read as the shortest decimal that
        round-trips (``0.1 -> 1/10``).  Rows of ``P`` must then sum to one
        exactly.

        Examples
        --------
        >>> m = MDP.exact([[["1/3", "2/3"]], [[0, 1]]], [["1/2"], [0]], "9/10")
        >>> m.gamma
        Fraction(9, 10)
        """
        def conv(x, name):
            if _is_sparse(x):
                x = np.asarray(x.toarray())
            try:
                return exact_array(np.asarray(x, dtype=object), name=name, allow_float=True)
            except InvalidParameterError as exc:
                raise InvalidMDPError(str(exc)) from None

        Pq = conv(P, "P")
        if Pq.ndim == 2 and Pq.shape[1] > 0 and Pq.shape[0] % Pq.shape[1] == 0 and np.ndim(r) == 2:
            S = Pq.shape[1]
            Pq = Pq.reshape(S, Pq.shape[0] // S, S)
        try:
            g = to_fraction(gamma, allow_float=True)
        except (TypeError, ValueError) as exc:
            raise InvalidMDPError(f"gamma = {format_value(gamma)}: {exc}") from None
        return cls(Pq, conv(r, "r"), g, None if rho is None else conv(rho, "rho"))

    def to_exact(self) -> "MDP":
        """This MDP in exact rationals.

        Every float is read as its shortest round-tripping decimal.  A float
        MDP's rows sum to one only within its tolerance, so where a row's
        decimals do not sum to one exactly, its largest entry absorbs the
        difference (at most the row-sum tolerance, 1e-10 by default); the same
        holds for ``rho``.  The result is an exact MDP within that distance of
        this one.
        """
        if self.is_exact:
            return self
        P = exact_array(self.P_dense().astype(object), name="P", allow_float=True)
        S, A = self.n_states, self.n_actions
        for s in range(S):
            for a in range(A):
                row = P[s, a]
                tot = sum(row, Fraction(0))
                if tot != 1:
                    k = int(np.argmax(self.P_dense()[s, a]))
                    row[k] += 1 - tot
        rho = exact_array(self._rho.astype(object), name="rho", allow_float=True)
        tot = sum(rho, Fraction(0))
        if tot != 1:
            rho[int(np.argmax(self._rho))] += 1 - tot
        return MDP.exact(P, self._r, self._gamma, rho)

    def to_float(self) -> "MDP":
        """This MDP in float64 (exact entries correctly rounded)."""
        if not self.is_exact:
            return self
        return MDP(float_array(self._P), float_array(self._r), float(self._gamma), float_array(self._rho),
                   atol=1e-12)

    def to_sparse(self) -> "MDP":
        """A float MDP with ``P`` stored as a CSR matrix of shape ``(S*A, S)``."""
        import scipy.sparse as sp

        m = self.to_float()
        if m.is_sparse:
            return m
        return MDP(sp.csr_matrix(m.P_matrix()), m.r, m.gamma, m.rho)

    def with_rho(self, rho) -> "MDP":
        """The same MDP with another start distribution."""
        if self.is_exact:
            return MDP(self._P, self._r, self._gamma, rho)
        return MDP(self._P, self._r, self._gamma, rho)

    def with_gamma(self, gamma) -> "MDP":
        """The same MDP with another discount factor."""
        return MDP(self._P, self._r, gamma, self._rho)

    def __repr__(self) -> str:
        """Python that rebuilds this MDP, for small dense MDPs; a summary otherwise.

        Exact MDPs print as ``MDP.exact(P=..., r=..., gamma="9/10", rho=...)``
        (integers as ints, other rationals as strings ``"p/q"``), float MDPs as
        ``MDP(P=np.array(...), r=np.array(...), gamma=..., rho=np.array(...))``
        with round-tripping floats, so a failing example can be pasted back
        into Python.  Above :data:`REPR_MAX_ENTRIES` entries of ``P``, or for a
        sparse ``P``, the summary ``MDP(S=.., A=.., gamma=.., exact|float)``.

        >>> MDP.exact([[["1/3", "2/3"]], [[0, 1]]], [["1/2"], [0]], "9/10")
        MDP.exact(P=[[["1/3", "2/3"]], [[0, 1]]], r=[["1/2"], [0]], gamma="9/10", rho=["1/2", "1/2"])
        """
        S, A = self.n_states, self.n_actions
        kind = "sparse " if self._sparse else ""
        summary = f"MDP(S={S}, A={A}, gamma={format_value(self._gamma)}, {kind}{self._field})"
        if self._sparse or S * A * S > REPR_MAX_ENTRIES:
            return summary
        try:
            if self.is_exact:
                return (f"MDP.exact(P={_exact_literal(self._P)}, r={_exact_literal(self._r)}, "
                        f"gamma={_exact_literal(self._gamma)}, rho={_exact_literal(self._rho)})")
            return (f"MDP(P={_float_literal(self._P)}, r={_float_literal(self._r)}, gamma={float(self._gamma)!r}, "
                    f"rho={_float_literal(self._rho)})")
        except ValueError:  # an entry with more digits than Python prints: the summary
            return summary

    def _repr_pretty_(self, p, cycle):
        """IPython and Hypothesis print the same reproducible form as :meth:`__repr__`."""
        p.text(repr(self))

    def __eq__(self, other) -> bool:
        if not isinstance(other, MDP):
            return NotImplemented
        if self._field != other._field or self.n_states != other.n_states or self.n_actions != other.n_actions:
            return False
        return (self._gamma == other._gamma and np.array_equal(self.P_dense(), other.P_dense())
                and np.array_equal(self._r, other._r) and np.array_equal(self._rho, other._rho))

    __hash__ = None  # arrays inside: equality by value, not hashable
