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
]


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
