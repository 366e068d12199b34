r"""Policy parameterizations :math:`\theta \mapsto \pi_\theta` with a common interface.

Tabular policies ``pi[s, a]`` (validation and simple constructors:
:func:`as_policy`, :func:`uniform_policy`, :func:`deterministic_policy`,
:func:`greedy_policy`) are in :mod:`mdptheory.policies.tabular`.

See :mod:`mdptheory.policies.base` for the interface (``probs``,
``log_probs``, ``score``, ``jacobian``, ``probs_hessian`` and the structured
contractions) and for exact points (:class:`LogRational`).

=====================  ==========================================================
:class:`TabularSoftmax`  :math:`\pi \propto e^{\theta_{s,a}/\tau}` (block-structured score)
:class:`LogLinear`       :math:`\pi \propto e^{\theta^\top\phi(s,a)/\tau}`
:class:`Direct`          :math:`\pi(a|s) = \theta_{s,a}`, last action = remainder (statement C1)
:class:`NeuralSoftmax`   two-layer ReLU energy of Liu et al. 2019, with projection
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
from .tabular import DEFAULT_POLICY_ATOL
from .tabular import as_policy
from .tabular import deterministic_policy
from .tabular import greedy_policy
from .tabular import policy_is_exact
from .tabular import uniform_policy

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
    "DEFAULT_POLICY_ATOL",
    "as_policy",
    "deterministic_policy",
    "greedy_policy",
    "policy_is_exact",
    "uniform_policy",
]
