"""Deprecated alias of :mod:`mdptheory.lemmas.framework.prologue` (formerly ``mdptheory.lemmas._common``).
"""

import warnings

from .framework.prologue import resolve_mode, prepare_policy, solve_linear, dot, check_variant, new_report  # noqa: F401

__all__ = [
    "resolve_mode",
    "solve_linear",
    "new_report",
    "prepare_policy",
    "check_variant",
    "dot",
]

warnings.warn("mdptheory.lemmas._common is deprecated; use mdptheory.lemmas.framework.prologue",
              DeprecationWarning, stacklevel=2)
