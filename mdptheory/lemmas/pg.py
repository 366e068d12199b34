"""Deprecated alias of :mod:`mdptheory.lemmas.policy_gradients` (formerly ``mdptheory.lemmas.pg``)."""

import warnings

from .policy_gradients import (GAMMAS, _log_rational_or_float, _value_at, _setup, _grad_tol, _score_expectation,
    policy_gradient_theorem, _UnconstrainedDirect, baselines, reinforce_reward_to_go, nonconcavity_tree,
    bandit_nonconcavity, _pg_cases, _tree_cases, _bandit_cases, _B1, _B2, _B3, _B4, _B5)  # noqa: F401

__all__ = [
    "policy_gradient_theorem",
    "baselines",
    "reinforce_reward_to_go",
    "nonconcavity_tree",
    "bandit_nonconcavity",
]

warnings.warn("mdptheory.lemmas.pg is deprecated; use mdptheory.lemmas.policy_gradients",
              DeprecationWarning, stacklevel=2)
