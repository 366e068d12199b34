"""Lemma checkers: each statement of THEORY.md, checked on concrete MDPs.

Every checker is importable as ``mdptheory.lemmas.<name>``, takes a ``mode``
(``"float"``, ``"exact"``; ``"symbolic"`` where it applies) and returns a
:class:`CheckReport` whose verdict is ``VERIFIED``, ``FALSIFIED`` or
``UNDECIDED``.  :func:`statements` lists the registry that
``python -m proofs_check`` runs.

>>> from mdptheory.families import forest
>>> from mdptheory.policy import uniform_policy
>>> m = forest(3, exact=True)
>>> bellman_equations(m, uniform_policy(m)).verdict
'VERIFIED'
"""

from .report import FALSIFIED
from .report import UNDECIDED
from .report import VERIFIED
from .report import CheckReport
from .report import float_tolerance
from .registry import Statement
from .registry import get_statement
from .registry import register
from .registry import statements
from .runner import run_statement
from .runner import run_suite
from .foundations import bellman_equations
from .foundations import optimality
from .foundations import performance_difference
from .foundations import visitation_identities
from .pg import bandit_nonconcavity
from .pg import baselines
from .pg import nonconcavity_tree
from .pg import policy_gradient_theorem
from .pg import reinforce_reward_to_go
from .sampling import baseline_monte_carlo
from .sampling import reinforce_monte_carlo
from .sampling import reward_to_go_monte_carlo
from .vanishing import vanishing_gradients
from .softmax import softmax_gradient
from .softmax import softmax_score
from .softmax import softmax_smoothness
from .convergence import cpi_improvement
from .convergence import gradient_ascent_rate
from .convergence import log_barrier_corollary
from .convergence import log_barrier_stationarity
from .convergence import mei_rates
from .convergence import npg_improvement
from .convergence import npg_rate
from .convergence import npg_regret
from .convergence import softmax_pg_monotone
from .npg import fisher_block_form
from .npg import npg_closed_form_check
from .approx import compatible_gradient
from .approx import loglinear_npg
from .approx import npg_compatible_weights
from .trust import ppo_clipping
from .trust import trajectory_kl_fisher
from .trust import trpo_is_npg
from .mirror import ampo_reduction
from .mirror import pmd_linear_convergence
from .mirror import pmd_step_improvement
from .neural import kl_regularized_improvement
from .neural import neural_ppo_rate
from .neural import ppo_schedule_identity
from .neural import stationary_performance_difference
from .symbolic_proofs import baseline_symbolic
from .symbolic_proofs import bellman_symbolic
from .symbolic_proofs import compatible_gradient_symbolic
from .symbolic_proofs import npg_closed_form_symbolic
from .symbolic_proofs import npg_compatible_weights_symbolic
from .symbolic_proofs import performance_difference_symbolic
from .symbolic_proofs import policy_gradient_symbolic
from .symbolic_proofs import softmax_gradient_symbolic
from .symbolic_proofs import softmax_score_symbolic
from .symbolic_proofs import trajectory_kl_symbolic
from .symbolic_proofs import visitation_symbolic

__all__ = [
    "FALSIFIED",
    "UNDECIDED",
    "VERIFIED",
    "CheckReport",
    "float_tolerance",
    "Statement",
    "get_statement",
    "register",
    "statements",
    "run_statement",
    "run_suite",
    "bellman_equations",
    "optimality",
    "performance_difference",
    "visitation_identities",
    "bandit_nonconcavity",
    "baselines",
    "nonconcavity_tree",
    "policy_gradient_theorem",
    "reinforce_reward_to_go",
    "baseline_monte_carlo",
    "reinforce_monte_carlo",
    "reward_to_go_monte_carlo",
    "vanishing_gradients",
    "softmax_gradient",
    "softmax_score",
    "softmax_smoothness",
    "cpi_improvement",
    "gradient_ascent_rate",
    "log_barrier_corollary",
    "log_barrier_stationarity",
    "mei_rates",
    "npg_improvement",
    "npg_rate",
    "npg_regret",
    "softmax_pg_monotone",
    "fisher_block_form",
    "npg_closed_form_check",
    "compatible_gradient",
    "loglinear_npg",
    "npg_compatible_weights",
    "ppo_clipping",
    "trajectory_kl_fisher",
    "trpo_is_npg",
    "ampo_reduction",
    "pmd_linear_convergence",
    "pmd_step_improvement",
    "kl_regularized_improvement",
    "neural_ppo_rate",
    "ppo_schedule_identity",
    "stationary_performance_difference",
    "baseline_symbolic",
    "bellman_symbolic",
    "compatible_gradient_symbolic",
    "npg_closed_form_symbolic",
    "npg_compatible_weights_symbolic",
    "performance_difference_symbolic",
    "policy_gradient_symbolic",
    "softmax_gradient_symbolic",
    "softmax_score_symbolic",
    "trajectory_kl_symbolic",
    "visitation_symbolic",
]

