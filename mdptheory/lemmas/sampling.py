"""Deprecated alias: ``mdptheory.lemmas.sampling`` was split into policy_gradients (the checkers) and
framework.sampling (the statistics).
"""

import warnings

from .framework.sampling import FALSIFIED, VERIFIED, MC_CONFIDENCE, _ci_verdict  # noqa: F401
from .policy_gradients import (GAMMAS, _mc_setup as _setup, reinforce_monte_carlo, baseline_monte_carlo,
    reward_to_go_monte_carlo, _mc_cases, _B1mc, _B2mc, _B3mc)  # noqa: F401

__all__ = [
    "reinforce_monte_carlo",
    "baseline_monte_carlo",
    "reward_to_go_monte_carlo",
    "MC_CONFIDENCE",
]

warnings.warn("mdptheory.lemmas.sampling is deprecated; use policy_gradients (the checkers) and "
              "framework.sampling (the statistics)",
              DeprecationWarning, stacklevel=2)
