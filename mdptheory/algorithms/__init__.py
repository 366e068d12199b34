"""Policy-optimization algorithms with exact expectations (AJKS Ch. 9-12, seeds 000 and 001).

Every algorithm is a pure function of the MDP, its parameterization and
keyword-only options, and returns an :class:`OptimizationResult` holding the
full trace of the run (policies, parameters, values, optimality gaps against
the exact optimum, gradient norms, step sizes, KL moved per step).

=================================  ==============================================
:func:`softmax_policy_gradient`     exact softmax gradient ascent (Thm 10.3)
:func:`log_barrier_policy_gradient` log-barrier regularised ascent (Thm 10.4)
:func:`natural_policy_gradient`     tabular NPG, closed form or through F^+ (Thm 10.7)
:func:`loglinear_npg`               log-linear NPG / Q-NPG with exact regression (Lemma 11.3)
:func:`cpi`                         conservative policy iteration, exact in rationals (Thm 12.2)
:func:`trpo`                        TRPO with the exact Fisher trust region
:func:`ppo`                         PPO with the exact clipped surrogate
=================================  ==============================================
"""

from .result import OptimizationResult
from .result import ProgressReporter
from .result import make_progress
from .gradient_ascent import log_barrier_policy_gradient
from .gradient_ascent import log_barrier_beta
from .gradient_ascent import softmax_policy_gradient
from .gradient_ascent import softmax_beta
from .npg import loglinear_npg
from .npg import natural_policy_gradient
from .npg import npg_log_normalizer
from .cpi import cpi
from .cpi import cpi_step_size
from .trpo import trpo
from .ppo import clipped_surrogate
from .ppo import clipped_surrogate_gradient
from .ppo import ppo
from .mirror import *  # noqa: F401,F403
from .neural_ppo import *  # noqa: F401,F403

__all__ = [
    "OptimizationResult",
    "ProgressReporter",
    "make_progress",
    "log_barrier_policy_gradient",
    "log_barrier_beta",
    "softmax_policy_gradient",
    "softmax_beta",
    "loglinear_npg",
    "natural_policy_gradient",
    "npg_log_normalizer",
    "cpi",
    "cpi_step_size",
    "trpo",
    "clipped_surrogate",
    "clipped_surrogate_gradient",
    "ppo",
    "simplex_projection",
    "pmd_step",
    "pmd_step_sizes",
    "policy_mirror_descent",
    "ampo",
    "ampo_target",
    "stationary_distribution",
    "ppo_schedule",
    "ideal_energies",
    "neural_ppo_objective",
    "ideal_neural_ppo",
    "neural_ppo",
]
