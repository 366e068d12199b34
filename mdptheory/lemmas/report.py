"""Deprecated alias of :mod:`mdptheory.lemmas.framework.report` (formerly ``mdptheory.lemmas.report``)."""

import warnings

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

warnings.warn("mdptheory.lemmas.report is deprecated; use mdptheory.lemmas.framework.report",
              DeprecationWarning, stacklevel=2)
