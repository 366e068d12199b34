"""Lemma checkers: each statement of docs/statements.md, checked on concrete MDPs.

Every checker is importable as ``mdptheory.lemmas.<name>``, takes a ``mode``
(``"float"``, ``"exact"``; ``"symbolic"`` where it applies) and returns a
:class:`CheckReport` whose verdict is ``VERIFIED``, ``FALSIFIED`` or
``UNDECIDED``.  :func:`statements` lists the registry that
``python -m proofs_check`` runs.

Every checker is called the same way (:mod:`mdptheory.lemmas.framework.convention`):
``checker(mdp, param=..., theta=..., *, mu=None, mode=None, variant=None, seed=None,
**statement_options)``, with ``param`` a parameterization name (``"softmax"``,
``"direct"``, ``"loglinear"``, …) or object and ``theta`` in its own flat shape:

>>> from fractions import Fraction
>>> from mdptheory.families import forest
>>> from mdptheory.policies import LogRational, uniform_policy
>>> m = forest(3, exact=True)
>>> bellman_equations(m, pi=uniform_policy(m)).verdict
'VERIFIED'
>>> policy_gradient_theorem(m, "softmax", LogRational([1, 2] * 3)).verdict
'VERIFIED'
>>> bellman_equations(m, "direct", [Fraction(1, 3)] * 3).verdict
'VERIFIED'

The package is laid out by section of the statement list: one module per
section holds exactly that section's checkers (``foundations`` A,
``policy_gradients`` B, ``vanishing_gradients`` C, ``softmax`` D,
``natural_gradient`` E, ``function_approximation`` F, ``trust_regions`` G,
``mirror_descent`` H, ``neural_ppo`` I), and ``<section>_symbolic`` its
symbolic proofs; the registry, reports, runner, case suites and shared helpers
are in :mod:`mdptheory.lemmas.framework`.
"""

from .framework.report import FALSIFIED
from .framework.report import UNDECIDED
from .framework.report import VERIFIED
from .framework.report import CheckReport
from .framework.report import float_tolerance
from .framework.registry import Statement
from .framework.registry import get_statement
from .framework.registry import register
from .framework.registry import statements
from .framework.runner import run_statement
from .framework.runner import run_suite
from .framework.authoring import Check
from .framework.authoring import statement
from .framework.collection import ReportCollection
from .foundations import bellman_equations
from .foundations import optimality
from .foundations import performance_difference
from .foundations import visitation_identities
from .policy_gradients import bandit_nonconcavity
from .policy_gradients import baselines
from .policy_gradients import nonconcavity_tree
from .policy_gradients import policy_gradient_theorem
from .policy_gradients import reinforce_reward_to_go
from .policy_gradients import baseline_monte_carlo
from .policy_gradients import reinforce_monte_carlo
from .policy_gradients import reward_to_go_monte_carlo
from .vanishing_gradients import vanishing_gradients
from .softmax import softmax_gradient
from .softmax import softmax_score
from .softmax import softmax_smoothness
from .trust_regions import cpi_improvement
from .policy_gradients import gradient_ascent_rate
from .softmax import log_barrier_corollary
from .softmax import log_barrier_stationarity
from .softmax import mei_rates
from .natural_gradient import npg_improvement
from .natural_gradient import npg_rate
from .function_approximation import npg_regret
from .softmax import softmax_pg_monotone
from .natural_gradient import fisher_block_form
from .natural_gradient import npg_closed_form_check
from .function_approximation import compatible_gradient
from .function_approximation import loglinear_npg_update
from .function_approximation import npg_compatible_weights
from .trust_regions import ppo_clipping
from .trust_regions import trajectory_kl_fisher
from .trust_regions import trpo_is_npg
from .mirror_descent import ampo_reduction
from .mirror_descent import pmd_linear_convergence
from .mirror_descent import pmd_step_improvement
from .neural_ppo import kl_regularized_improvement
from .neural_ppo import neural_ppo_rate
from .neural_ppo import ppo_schedule_identity
from .neural_ppo import stationary_performance_difference
from .policy_gradients_symbolic import baseline_symbolic
from .foundations_symbolic import bellman_symbolic
from .function_approximation_symbolic import compatible_gradient_symbolic
from .natural_gradient_symbolic import npg_closed_form_symbolic
from .function_approximation_symbolic import npg_compatible_weights_symbolic
from .foundations_symbolic import performance_difference_symbolic
from .policy_gradients_symbolic import policy_gradient_symbolic
from .softmax_symbolic import softmax_gradient_symbolic
from .softmax_symbolic import softmax_score_symbolic
from .trust_regions_symbolic import trajectory_kl_symbolic
from .foundations_symbolic import visitation_symbolic

#: Deprecated checker names -> their new names (importable for one release, with a DeprecationWarning).
DEPRECATED_NAMES = {
    # the algorithm mdptheory.algorithms.loglinear_npg has that name
    "loglinear_npg": "loglinear_npg_update",
}


def __getattr__(name):
    if name in DEPRECATED_NAMES:
        import warnings

        new = DEPRECATED_NAMES[name]
        warnings.warn(f"mdptheory.lemmas.{name} is deprecated; use mdptheory.lemmas.{new}", DeprecationWarning,
                      stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The statement modules, by section letter (the registry imports these to register every statement).
SECTION_MODULES = {
    "A": "foundations",
    "B": "policy_gradients",
    "C": "vanishing_gradients",
    "D": "softmax",
    "E": "natural_gradient",
    "F": "function_approximation",
    "G": "trust_regions",
    "H": "mirror_descent",
    "I": "neural_ppo",
}
#: Every statement module: the section modules and their symbolic proofs.
STATEMENT_MODULES = tuple(SECTION_MODULES.values()) + tuple(
    f"{SECTION_MODULES[s]}_symbolic" for s in "ABDEFG")

__all__ = [
    "DEPRECATED_NAMES",
    "SECTION_MODULES",
    "STATEMENT_MODULES",
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
    "Check",
    "statement",
    "ReportCollection",
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
    "loglinear_npg_update",
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

