"""Deprecated alias of :mod:`mdptheory.lemmas.framework.runner` (formerly ``mdptheory.lemmas.runner``)."""

import warnings

from .framework.runner import (CHAPTERS, FALSIFIED, UNDECIDED, VERIFIED, ERROR, DEFAULT_CASES, THOROUGH_CASES,
    StatementResult, SuiteResult, _ratios, _run_cases, run_statement, _task, run_suite)  # noqa: F401

__all__ = [
    "StatementResult",
    "SuiteResult",
    "run_statement",
    "run_suite",
    "ERROR",
    "DEFAULT_CASES",
    "THOROUGH_CASES",
]

warnings.warn("mdptheory.lemmas.runner is deprecated; use mdptheory.lemmas.framework.runner",
              DeprecationWarning, stacklevel=2)
