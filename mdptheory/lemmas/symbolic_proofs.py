"""Deprecated alias: ``mdptheory.lemmas.symbolic_proofs`` was split into the <section>_symbolic modules and
framework.symbolic.
"""

import warnings

from .framework.symbolic import (FALSIFIED, UNDECIDED, VERIFIED, PROOF_TIMEOUT, _symbolic_cases, _fixed_mdp, _setup,
    _prove, _score, _P_pi, _fisher_parts, _reg)  # noqa: F401
from .foundations_symbolic import (bellman_symbolic, visitation_symbolic, performance_difference_symbolic, _A1s, _A2s,
    _A3s)  # noqa: F401
from .policy_gradients_symbolic import policy_gradient_symbolic, baseline_symbolic, _B1s, _B2s  # noqa: F401
from .softmax_symbolic import softmax_score_symbolic, softmax_gradient_symbolic, _D1s, _D2s  # noqa: F401
from .natural_gradient_symbolic import npg_closed_form_symbolic, _E2s  # noqa: F401
from .function_approximation_symbolic import (compatible_gradient_symbolic, npg_compatible_weights_symbolic, _F1s,
    _F2s)  # noqa: F401
from .trust_regions_symbolic import trajectory_kl_symbolic, _G2s  # noqa: F401

__all__ = [
    "bellman_symbolic",
    "visitation_symbolic",
    "performance_difference_symbolic",
    "policy_gradient_symbolic",
    "baseline_symbolic",
    "softmax_score_symbolic",
    "softmax_gradient_symbolic",
    "npg_closed_form_symbolic",
    "compatible_gradient_symbolic",
    "npg_compatible_weights_symbolic",
    "trajectory_kl_symbolic",
]

warnings.warn("mdptheory.lemmas.symbolic_proofs is deprecated; use the <section>_symbolic modules and "
              "framework.symbolic",
              DeprecationWarning, stacklevel=2)
