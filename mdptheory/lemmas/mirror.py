"""Deprecated alias of :mod:`mdptheory.lemmas.mirror_descent` (formerly ``mdptheory.lemmas.mirror``)."""

import warnings

from .mirror_descent import (FALSIFIED, UNDECIDED, VERIFIED, GAMMAS, _rmax, _value_tol, pmd_step_improvement,
    _pmd_run, _divergence, pmd_linear_convergence, ampo_reduction, _strict_improvement, _h1_cases, _h2_cases,
    _h3_cases, _H1, _H2, _H3)  # noqa: F401

__all__ = [
    "pmd_step_improvement",
    "pmd_linear_convergence",
    "ampo_reduction",
]

warnings.warn("mdptheory.lemmas.mirror is deprecated; use mdptheory.lemmas.mirror_descent",
              DeprecationWarning, stacklevel=2)
