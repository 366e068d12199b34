"""Deprecated alias of :mod:`mdptheory.lemmas.trust_regions` (formerly ``mdptheory.lemmas.trust``)."""

import warnings

from .trust_regions import (_check_eps, clipped_objective, clipped_objective_derivative, _ppo_inputs, ppo_clipping,
    _ppo_cases, _particular_solution, _sym_dot, trpo_is_npg, _trpo_cases, trajectory_kl_fisher, _kl_cases, _G2, _G3,
    _G4)  # noqa: F401

__all__ = [
    "clipped_objective",
    "clipped_objective_derivative",
    "trajectory_kl_fisher",
    "trpo_is_npg",
    "ppo_clipping",
]

warnings.warn("mdptheory.lemmas.trust is deprecated; use mdptheory.lemmas.trust_regions",
              DeprecationWarning, stacklevel=2)
