"""Deprecated alias of :mod:`mdptheory.lemmas.framework.suite` (formerly ``mdptheory.lemmas.suite``)."""

import warnings

from .framework.suite import (MDP, GAMMAS, case_rng, _weights, random_case_mdp, random_distribution,
    random_case_policy, policy_cases)  # noqa: F401

__all__ = [
    "GAMMAS",
    "case_rng",
    "random_case_mdp",
    "random_case_policy",
    "random_distribution",
    "policy_cases",
]

warnings.warn("mdptheory.lemmas.suite is deprecated; use mdptheory.lemmas.framework.suite",
              DeprecationWarning, stacklevel=2)
