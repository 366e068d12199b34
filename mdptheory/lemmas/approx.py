"""Deprecated alias of :mod:`mdptheory.lemmas.function_approximation` (formerly ``mdptheory.lemmas.approx``).
"""

import warnings

from .function_approximation import (_cond_tolerance, _kernel_vector, compatible_gradient, npg_compatible_weights,
    loglinear_npg_update, _loglinear_cases, _F1, _F2, _F3)  # noqa: F401

loglinear_npg = loglinear_npg_update

__all__ = [
    "compatible_gradient",
    "npg_compatible_weights",
    "loglinear_npg",
]

warnings.warn("mdptheory.lemmas.approx is deprecated; use mdptheory.lemmas.function_approximation",
              DeprecationWarning, stacklevel=2)
