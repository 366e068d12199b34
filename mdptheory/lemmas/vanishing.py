"""Deprecated alias of :mod:`mdptheory.lemmas.vanishing_gradients` (formerly ``mdptheory.lemmas.vanishing``).
"""

import warnings

from .vanishing_gradients import (FALSIFIED, UNDECIDED, VERIFIED, GRADIENT_MIN_H, HESSIAN_MIN_H,
    derivative_order_range, chain_region_theta, _in_region, _ball_le, _log10, _exact_le, _exact_eq, _exact_value_s0,
    _pi_from_theta, _chain_norm, _derivative_part, vanishing_gradients, SUITE_H, _cases, _C1)  # noqa: F401

__all__ = [
    "vanishing_gradients",
    "derivative_order_range",
    "chain_region_theta",
]

warnings.warn("mdptheory.lemmas.vanishing is deprecated; use mdptheory.lemmas.vanishing_gradients",
              DeprecationWarning, stacklevel=2)
