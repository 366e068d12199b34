r"""Information geometry of parameterized policies: the umbrella of three modules.

=====================================  ==============================================================
:mod:`mdptheory.fisher_information`    :math:`F_\rho(\theta) = \mathbb{E}_{d_\rho^{\pi_\theta}}\mathbb{E}_{\pi_\theta}
                                       [\nabla\log\pi_\theta \nabla\log\pi_\theta^\top]`
                                       (:func:`fisher`), its tabular-softmax blocks
                                       (:func:`softmax_fisher_blocks`, :class:`BlockDiagonal`) and
                                       minimum-norm solves :math:`F^\dagger g` (:func:`pinv_solve`)
:mod:`mdptheory.natural_gradients`     :math:`F_\rho^\dagger\nabla_\theta V^{\pi_\theta}(\rho)`
                                       (:func:`natural_gradient`, :func:`npg_closed_form`),
                                       the NPG update (:func:`npg_update`) and the TRPO step
                                       (:func:`trpo_step`)
:mod:`mdptheory.compatible_fa`         compatible function approximation (:func:`compatible_fa`,
                                       :func:`q_npg_weights`, :class:`CompatibleFit`)
=====================================  ==============================================================

Every name is re-exported here, so ``mdptheory.geometry.X`` is the same object
as the one in its own module.
"""

from __future__ import annotations

from .compatible_fa import CompatibleFit
from .compatible_fa import compatible_fa
from .compatible_fa import q_npg_weights
from .fisher_information import BlockDiagonal
from .fisher_information import fisher
from .fisher_information import pinv_solve
from .fisher_information import softmax_fisher_blocks
from .natural_gradients import natural_gradient
from .natural_gradients import npg_closed_form
from .natural_gradients import npg_update
from .natural_gradients import trpo_step

__all__ = [
    "BlockDiagonal",
    "CompatibleFit",
    "fisher",
    "softmax_fisher_blocks",
    "pinv_solve",
    "natural_gradient",
    "npg_closed_form",
    "npg_update",
    "compatible_fa",
    "q_npg_weights",
    "trpo_step",
]
