"""Deprecated alias of :mod:`mdptheory.lemmas.neural_ppo` (formerly ``mdptheory.lemmas.neural``)."""

import warnings

from .neural_ppo import (MDP, FALSIFIED, UNDECIDED, VERIFIED, GAMMAS, _float_mode_only, kl_regularized_improvement,
    ppo_schedule_identity, stationary_performance_difference, neural_ppo_rate, _dense_exact_mdp, _i1_cases, _i2_cases,
    _i3_cases, _i4_cases, _I1, _I2, _I3, _I4)  # noqa: F401

__all__ = [
    "kl_regularized_improvement",
    "ppo_schedule_identity",
    "stationary_performance_difference",
    "neural_ppo_rate",
]

warnings.warn("mdptheory.lemmas.neural is deprecated; use mdptheory.lemmas.neural_ppo",
              DeprecationWarning, stacklevel=2)
