"""Number fields: float64, exact rationals and certified balls; conversions.

mdptheory computes in one of three fields, chosen by the inputs or by an
explicit ``mode``:

``"float"``
    IEEE float64, dense LAPACK or sparse solvers.
``"exact"``
    Exact rationals.  Public arrays are NumPy ``object`` arrays of
    :class:`fractions.Fraction`; the linear algebra runs in FLINT's ``fmpq_mat``
    (python-flint), which is orders of magnitude faster than ``sympy.Matrix``
    or hand-written Fraction elimination.  No float is ever involved.
``"ball"``
    Arbitrary-precision ball arithmetic (FLINT's ``arb``): every entry is an
    interval ``[mid - rad, mid + rad]`` guaranteed to contain the true value.

Exact scalars are ``int``, :class:`fractions.Fraction`, ``sympy.Rational``,
``flint.fmpq`` and strings such as ``"3/4"`` or ``"0.25"``.  Floats are never
silently taken as exact; :func:`to_fraction` accepts them only when
``allow_float=True``, and then reads the shortest decimal that round-trips
(``0.1 -> 1/10``), i.e. the number the user typed.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from .exceptions import InvalidParameterError, format_value

__all__ = [
    "FLOAT",
    "EXACT",
    "BALL",
    "MODES",
    "is_exact_scalar",
    "to_fraction",
    "exact_array",
    "float_array",
    "check_exact_distribution",
    "is_exact_array",
    "to_fmpq_mat",
    "from_fmpq_mat",
    "fraction_from_fmpq",
    "ball_bounds",
    "format_index",
    "MAX_NUMERIC_STRING",
    "MAX_DECIMAL_EXPONENT",
    "MIN_BALL_PREC",
    "MAX_BALL_PREC",
    "check_prec",
    "rational_str",
]

FLOAT = "float"
EXACT = "exact"
BALL = "ball"
MODES = (FLOAT, EXACT, BALL)


def rational_str(x) -> str:
    """``"p/q"`` (or ``"p"``) for an exact rational, at any number of digits.

    Python refuses ``str`` of integers beyond 4300 digits; exact results (a
    long run of exact value iteration, a high power of gamma) can be longer,
    so those digits are written by FLINT, which has no such limit.

    >>> rational_str(Fraction(-3, 4)), rational_str(5)
    ('-3/4', '5')
    >>> len(rational_str(Fraction(10**5000 + 1, 3)))
    5003
    """
    x = x if isinstance(x, Fraction) else to_fraction(x)

    def digits(n: int) -> str:
        if n.bit_length() < 10_000:  # well below the 4300-digit limit
            return str(n)
        from flint import fmpz

        return str(fmpz(n))

    num = digits(x.numerator)
    return num if x.denominator == 1 else f"{num}/{digits(x.denominator)}"


def format_index(idx) -> str:
    """Format a NumPy index tuple as ``"2, 1"`` for error messages."""
    if isinstance(idx, tuple):
        return ", ".join(str(int(i)) for i in idx)
    return str(int(idx))


def is_exact_scalar(x) -> bool:
    """Return True if ``x`` is an exact rational scalar (not a float, not a bool).

    Exact scalars are Python and NumPy integers, :class:`fractions.Fraction`,
    ``flint.fmpq`` and ``sympy.Rational``.
    """
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (int, np.integer, Fraction)):
        return True
    tname = type(x).__name__
    mod = type(x).__module__ or ""
    if mod.startswith("flint") and tname in ("fmpq", "fmpz"):
        return True
    if mod.startswith("sympy"):
        return bool(getattr(x, "is_Rational", False))
    return False


def to_fraction(x, *, allow_float: bool = False, allow_str: bool = True) -> Fraction:
    """Convert an exact scalar (or a rational string) to :class:`Fraction`.

    Parameters
    ----------
    x : int, Fraction, sympy.Rational, flint.fmpq, str or float
        The value.  Strings may be ``"3/4"``, ``"-2"``, ``"0.25"`` or ``"1e-3"``.
    allow_float : bool, keyword-only
        Accept Python/NumPy floats, read as the shortest round-tripping decimal
        (``0.1 -> Fraction(1, 10)``).  NaN and inf are always rejected.
    allow_str : bool, keyword-only
        Accept strings.

    Raises
    ------
    TypeError
        If ``x`` is not of an accepted type.
    ValueError
        If ``x`` is a malformed string or a non-finite float.
    """
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"booleans are not numbers here: got {x!r}")
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    mod = type(x).__module__ or ""
    if mod.startswith("flint") and type(x).__name__ in ("fmpq", "fmpz"):
        return fraction_from_fmpq(x)
    if mod.startswith("sympy") and getattr(x, "is_Rational", False):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, str):
        if not allow_str:
            raise TypeError(f"strings are not accepted here: got {format_value(x)}")
        s = x.strip()
        if len(s) > MAX_NUMERIC_STRING:
            raise ValueError(f"numeric string too long ({len(s)} characters, at most {MAX_NUMERIC_STRING})")
        _check_exponent(s)
        try:
            f = Fraction(s)
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"cannot read {format_value(x)} as a rational number") from exc
        return f
    if isinstance(x, (float, np.floating)):
        if not allow_float:
            raise TypeError(f"float {format_value(x)} where an exact number is required")
        if not math.isfinite(float(x)):
            raise ValueError(f"non-finite value {format_value(x)}")
        return Fraction(repr(float(x)))
    if isinstance(x, numbers.Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    raise TypeError(f"cannot use {type(x).__name__} {format_value(x)} as an exact number")


#: Longest numeric string read as a rational, and largest decimal exponent in
#: it: ``"1e99999999"`` would otherwise build a hundred-million-digit integer
#: before anything could look at it.
MAX_NUMERIC_STRING = 4000
MAX_DECIMAL_EXPONENT = 4000


def _check_exponent(s: str) -> None:
    """Reject a numeric string whose decimal exponent is beyond ``MAX_DECIMAL_EXPONENT`` (before parsing)."""
    k = max(s.rfind("e"), s.rfind("E"))
    if k < 0:
        return
    digits = s[k + 1:].lstrip("+-").replace("_", "")
    if not digits.isdigit():
        return  # malformed: Fraction's own parser says so
    if len(digits) > 6 or int(digits) > MAX_DECIMAL_EXPONENT:
        raise ValueError(f"decimal exponent in {format_value(s)} beyond 10^±{MAX_DECIMAL_EXPONENT}")


#: Working precisions (bits) accepted by ball mode: below the minimum no ball
#: separates anything; above the maximum FLINT aborts the process or the
#: arithmetic cannot finish.
MIN_BALL_PREC = 16
MAX_BALL_PREC = 1_000_000


def check_prec(prec, name: str = "prec") -> int:
    """Validate a ball-arithmetic working precision in bits: an integer in ``[MIN_BALL_PREC, MAX_BALL_PREC]``.

    Raises
    ------
    InvalidParameterError
        Naming ``name`` and the value.
    """
    if isinstance(prec, (bool, np.bool_)) or not isinstance(prec, (int, np.integer)):
        raise InvalidParameterError(f"{name} must be an integer number of bits; got {format_value(prec)}")
    if not MIN_BALL_PREC <= prec <= MAX_BALL_PREC:
        raise InvalidParameterError(f"{name} = {format_value(prec)} bits is out of range; must be between "
                                    f"{MIN_BALL_PREC} and {MAX_BALL_PREC}")
    return int(prec)


def fraction_from_fmpq(q) -> Fraction:
    """Convert a ``flint.fmpq`` (or ``fmpz``) to :class:`Fraction` exactly."""
    if type(q).__name__ == "fmpz":
        return Fraction(int(q))
    return Fraction(int(q.p), int(q.q))


def is_exact_array(a) -> bool:
    """Return True if ``a`` is an integer array or an object array of exact scalars."""
    a = np.asarray(a) if not isinstance(a, np.ndarray) else a
    if a.dtype.kind in "iu":
        return True
    if a.dtype == object:
        return all(is_exact_scalar(x) or isinstance(x, str) for x in a.flat)
    return False


def exact_array(a, *, name: str = "array", allow_float: bool = False) -> np.ndarray:
    """Return ``a`` as an object array of :class:`Fraction`.

    Raises
    ------
    InvalidParameterError
        Naming the first entry that cannot be read exactly.
    """
    arr = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
    out = np.empty(arr.shape, dtype=object)
    it = np.nditer(arr, flags=["multi_index", "refs_ok"]) if arr.size else ()
    flat_in = arr.reshape(-1)
    flat_out = out.reshape(-1)
    for k, x in enumerate(flat_in):
        try:
            flat_out[k] = to_fraction(x, allow_float=allow_float)
        except (TypeError, ValueError) as exc:
            idx = np.unravel_index(k, arr.shape)
            raise InvalidParameterError(f"{name}[{format_index(idx)}] = {format_value(x)}: {exc}") from None
    del it
    return out


def check_exact_distribution(values, name: str, error=InvalidParameterError) -> None:
    """Raise ``error`` unless the exact numbers ``values`` are nonnegative and sum to exactly 1."""
    for s, x in enumerate(values):
        if x < 0:
            raise error(f"{name}[{s}] = {format_value(x)} is negative")
    tot = sum(values, Fraction(0))
    if tot != 1:
        raise error(f"{name} sums to {format_value(tot)}, must sum to 1")


def float_array(a, *, name: str = "array") -> np.ndarray:
    """Return ``a`` as a float64 array, converting exact entries by correct rounding.

    Raises
    ------
    InvalidParameterError
        If an entry is not a real number.
    """
    if isinstance(a, np.ndarray) and a.dtype.kind in "fiu":
        return np.asarray(a, dtype=np.float64)
    arr = np.asarray(a, dtype=object)
    out = np.empty(arr.shape, dtype=np.float64)
    flat_in, flat_out = arr.reshape(-1), out.reshape(-1)
    for k, x in enumerate(flat_in):
        try:
            if isinstance(x, (float, np.floating)):
                flat_out[k] = float(x)
            elif isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
                flat_out[k] = float(x)  # OverflowError beyond float range: caught below
            else:
                flat_out[k] = float(to_fraction(x))
        except (TypeError, ValueError, OverflowError) as exc:
            idx = np.unravel_index(k, arr.shape)
            raise InvalidParameterError(f"{name}[{format_index(idx)}] = {format_value(x)}: {exc}") from None
    return out


def _fmpq(x):
    from flint import fmpq

    if isinstance(x, Fraction):
        return fmpq(x.numerator, x.denominator)
    return fmpq(x.numerator, x.denominator) if hasattr(x, "numerator") else fmpq(x)


def to_fmpq_mat(a):
    """Convert a 1-D or 2-D array of exact scalars to a ``flint.fmpq_mat``.

    A 1-D array becomes a column.
    """
    from flint import fmpq_mat

    arr = np.asarray(a, dtype=object)
    if arr.ndim == 1:
        arr = arr[:, None]
    n, m = arr.shape
    return fmpq_mat(n, m, [_fmpq(x) for x in arr.reshape(-1)])


def from_fmpq_mat(M, shape=None) -> np.ndarray:
    """Convert a ``flint.fmpq_mat`` to an object array of :class:`Fraction`."""
    flat = [fraction_from_fmpq(q) for q in M.entries()]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    if shape is None:
        shape = (M.nrows(), M.ncols())
    return out.reshape(shape)


def ball_bounds(a):
    """Midpoints and radii of an object array of ``flint.arb`` balls.

    Returns
    -------
    mid, rad : ndarray of float64
        ``rad`` is rounded upward so that ``[mid - rad, mid + rad]`` (in exact
        arithmetic) still contains the ball's value up to the float rounding of
        ``mid`` itself, which is added to ``rad``.
    """
    arr = np.asarray(a, dtype=object)
    mid = np.empty(arr.shape)
    rad = np.empty(arr.shape)
    for k, b in enumerate(arr.reshape(-1)):
        m = float(b.mid())
        r = float(b.rad())
        mid.flat[k] = m
        # the float midpoint can differ from the ball's by one rounding
        rad.flat[k] = np.nextafter(r + abs(m) * np.finfo(float).eps, np.inf)
    return mid, rad
