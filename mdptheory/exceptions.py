"""Error and warning classes of mdptheory.

Every input error is a subclass of :class:`MDPTheoryError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers that do
not care about the distinction.  Messages name the offending index and value,
e.g. ``"P[2, 1, :] sums to 0.9, must sum to 1"``.
"""

__all__ = [
    "MDPTheoryError",
    "InvalidMDPError",
    "InvalidPolicyError",
    "InvalidParameterError",
    "MalformedFileError",
    "NumericalWarning",
    "ConvergenceWarning",
    "format_value",
]

from fractions import Fraction as _Fraction

#: Longest rendering of one number in a message; longer ones are abbreviated.
_MAX_CHARS = 60
#: Integers with more bits than this are never converted to decimal text
#: (Python refuses int-to-str beyond 4300 digits, and it is slow before that).
_MAX_BITS = 3000


def _int_text(n: int, max_chars: int) -> str:
    bits = abs(n).bit_length()
    if bits <= _MAX_BITS:
        t = str(n)
        if len(t) <= max_chars:
            return t
        digits = len(t.lstrip("-"))
        return f"{t[:12]}...{t[-6:]} ({digits} digits)"
    digits = int(bits * 0.30102999566398120) + 1
    sign = "-" if n < 0 else ""
    return f"{sign}<integer of about {digits} digits>"


def format_value(x, *, max_chars: int = _MAX_CHARS) -> str:
    """Render a number (or any value) for an error message, safely and briefly.

    Never raises and never converts a huge integer to decimal text (Python's
    int-to-str limit of 4300 digits): long integers become ``"123456789012...
    456789 (5001 digits)"`` or ``"<integer of about 10000 digits>"``, long
    rationals ``"p/q ≈ 0.3333"`` with abbreviated ``p`` and ``q``, long strings
    are cut.  Floats use ``repr``.

    Parameters
    ----------
    x : object
        The value to show.
    max_chars : int, keyword-only
        Length beyond which a rendering is abbreviated.

    Examples
    --------
    >>> format_value(10**400)
    '100000000000...000000 (401 digits)'
    >>> format_value(0.5)
    '0.5'
    """
    try:
        if hasattr(x, "item") and type(x).__module__ == "numpy" and getattr(x, "ndim", 1) == 0:
            x = x.item()
        if isinstance(x, bool) or x is None:
            return repr(x)
        if isinstance(x, int):
            return _int_text(x, max_chars)
        if isinstance(x, float):
            return repr(x)
        mod = type(x).__module__ or ""
        if not isinstance(x, _Fraction) and hasattr(x, "numerator") and hasattr(x, "denominator") and (
                mod.startswith("sympy") or mod.startswith("flint")):
            try:
                x = _Fraction(int(x.numerator), int(x.denominator))
            except Exception:
                pass
        elif mod.startswith("flint") and hasattr(x, "p") and hasattr(x, "q"):
            x = _Fraction(int(x.p), int(x.q))
        if isinstance(x, _Fraction):
            if x.denominator == 1:
                return _int_text(x.numerator, max_chars)
            num = _int_text(x.numerator, max_chars)
            den = _int_text(x.denominator, max_chars)
            text = f"{num}/{den}"
            if len(text) <= max_chars:
                return text
            try:
                approx = float(x)
            except OverflowError:
                return f"{num}/{den}"
            return f"{num}/{den} (≈ {approx:.6g})" if approx != 0 else f"{num}/{den}"
        if isinstance(x, str):
            if len(x) <= max_chars:
                return repr(x)
            return repr(x[: max_chars - 10]) + f"... ({len(x)} characters)"
        text = repr(x)
        if len(text) > 4 * max_chars:
            text = text[: 4 * max_chars] + f"... ({type(x).__name__})"
        return text
    except Exception:  # a hostile __repr__, or one that prints a huge integer
        return f"<{type(x).__name__} object>"



class MDPTheoryError(ValueError):
    """Base class of every input error raised by mdptheory."""


class InvalidMDPError(MDPTheoryError):
    """An MDP's P, r, gamma or start distribution breaks a rule.

    Raised where the MDP is built: wrong shapes, NaN/inf, negative
    probabilities, rows of ``P`` that do not sum to one, ``gamma`` outside
    ``[0, 1)``, a start distribution that is not a distribution, or exact and
    float entries mixed in one MDP.
    """


class InvalidPolicyError(MDPTheoryError):
    """A policy ``pi[s, a]`` does not match its MDP or is not on the simplex."""


class InvalidParameterError(MDPTheoryError):
    """A parameter vector, option or distribution argument is invalid."""


class MalformedFileError(MDPTheoryError):
    """A file could not be read as an MDP: wrong structure, types or values."""


class NumericalWarning(UserWarning):
    """A float result may not meet its stated error bound.

    The message says why (conditioning, magnitude) and suggests the exact
    (``mode="exact"``) or certified ball (``mode="ball"``) mode.
    """


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its requested accuracy."""
