"""Deprecated alias of :mod:`mdptheory.lemmas.framework.report` (formerly ``mdptheory.lemmas.report``).

Kept without a warning while modules of the package still import it; import from
:mod:`mdptheory.lemmas.framework.report` instead.
"""

from .framework.report import (VERIFIED, FALSIFIED, UNDECIDED, FALSIFY_FACTOR, float_tolerance, _to_float_array,
    _exact_max_abs, compare_identity, compare_inequality, combine_verdicts, _jsonable, CheckReport)  # noqa: F401

__all__ = [
    "VERIFIED",
    "FALSIFIED",
    "UNDECIDED",
    "CheckReport",
    "float_tolerance",
    "compare_identity",
    "compare_inequality",
    "combine_verdicts",
]
