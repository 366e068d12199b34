"""Deprecated alias: ``mdptheory.lemmas.convergence`` was split into the section modules (policy_gradients,
softmax, natural_gradient, function_approximation, trust_regions) and framework.rates.
"""

import warnings

from .framework.rates import (MDP, _unit_rewards, _cases, _fm, _rmax, _tol, _optimum, _log_slope, _HALF,
    _NINE)  # noqa: F401
from .policy_gradients import gradient_ascent_rate, _B6  # noqa: F401
from .softmax import (_grad_sq_norm, softmax_pg_monotone, _lb_run, _d_star_ratio, log_barrier_stationarity,
    log_barrier_corollary, _lojasiewicz_sides, mei_rates, _d7_extra, _D3, _D5, _D6, _D7)  # noqa: F401
from .natural_gradient import npg_improvement, _eta_extra, npg_rate, _E3, _E4  # noqa: F401
from .function_approximation import npg_regret, _f4_extra, _F4  # noqa: F401
from .trust_regions import cpi_improvement, _vec, _g1_extra, _G1  # noqa: F401

__all__ = [
    "gradient_ascent_rate",
    "softmax_pg_monotone",
    "log_barrier_stationarity",
    "log_barrier_corollary",
    "mei_rates",
    "npg_improvement",
    "npg_rate",
    "npg_regret",
    "cpi_improvement",
]

warnings.warn("mdptheory.lemmas.convergence is deprecated; use the section modules (policy_gradients, "
              "softmax, natural_gradient, function_approximation, trust_regions) and framework.rates",
              DeprecationWarning, stacklevel=2)
