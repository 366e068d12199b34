r"""Policy parameterizations :math:`\theta \mapsto \pi_\theta` with a common interface.

See :mod:`mdptheory.policies.base` for the interface (``probs``,
``log_probs``, ``score``, ``jacobian``, ``probs_hessian`` and the structured
contractions) and for exact points (:class:`LogRational`).

=====================  ==========================================================
:class:`TabularSoftmax`  :math:`\pi \propto e^{\theta_{s,a}/\tau}` (block-structured score)
:class:`LogLinear`       :math:`\pi \propto e^{\theta^\top\phi(s,a)/\tau}`
:class:`Direct`          :math:`\pi(a|s) = \theta_{s,a}`, last action = remainder (THEORY C1)
:class:`NeuralSoftmax`   two-layer ReLU energy of seed 000, with projection
:class:`EnergyPolicy`    :math:`\pi \propto e^{f(s,a)/\tau}` for a given energy
=====================  ==========================================================
"""

from .base import LogRational
from .base import Parameterization
from .direct import Direct
from .energy import EnergyPolicy
from .loglinear import LogLinear
from .neural import NeuralSoftmax
from .softmax import SoftmaxFamily
from .softmax import TabularSoftmax
from .softmax import log_softmax

__all__ = [
    "LogRational",
    "Parameterization",
    "Direct",
    "EnergyPolicy",
    "LogLinear",
    "NeuralSoftmax",
    "SoftmaxFamily",
    "TabularSoftmax",
    "log_softmax",
]
