r"""Two-layer ReLU softmax policies of Neural PPO/TRPO (Liu et al. 2019; statement I4).

The energy is the two-layer network of Liu, Cai, Yang and Wang (2019),

.. math::

    f_\alpha(s, a) = \frac{1}{\sqrt m}\sum_{i=1}^m b_i\,\mathrm{ReLU}(\alpha_i^\top\phi(s, a)),
    \qquad \pi_\alpha(a|s) \propto \exp(f_\alpha(s,a)/\tau),

with output weights :math:`b_i \sim \mathrm{Unif}([-1, 1])` drawn once and kept
fixed, input weights initialised :math:`\alpha_i(0) \sim N(0, I_d/d)`, and
training restricted to the ball :math:`\|\alpha - \alpha(0)\|_2 \le R`
(:meth:`NeuralSoftmax.project`).  Only :math:`\alpha` is a parameter:
``theta = alpha.ravel()``, ``theta[i * d + j]`` = :math:`\alpha_{i,j}`.

The ReLU is differentiated almost everywhere:
:math:`\partial f/\partial\alpha_i = m^{-1/2} b_i\mathbf{1}[\alpha_i^\top\phi(s,a) > 0]\phi(s,a)`
and :math:`\nabla^2 f = 0` off the measure-zero kinks, so the policy
Hessian is that of a log-linear policy in the features :math:`\nabla f`.
Float only: no exact points.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import InvalidParameterError
from .softmax import SoftmaxFamily

__all__ = ["NeuralSoftmax"]


class NeuralSoftmax(SoftmaxFamily):
    r"""Softmax of a two-layer ReLU network with fixed output weights (Liu et al. 2019).

    Parameters
    ----------
    features : array_like, shape (S, A, d)
        :math:`\phi(s, a)`.
    width : int
        :math:`m`, the number of hidden units.
    temperature : float, keyword-only
        :math:`\tau > 0` (default 1).
    radius : float, keyword-only
        :math:`R > 0`, radius of the projection ball around :math:`\alpha(0)` (default 1).
    seed : int or numpy Generator, keyword-only
        Draws, in this order, :math:`b \sim \mathrm{Unif}([-1,1])^m` and
        :math:`\alpha(0) \sim N(0, I_d/d)^m`.

    Attributes
    ----------
    b : ndarray, shape (m,)
    alpha0 : ndarray, shape (m, d)
    theta0 : ndarray, shape (m * d,)
        The initial parameter :math:`\alpha(0)` flattened.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.policies import NeuralSoftmax
    >>> phi = np.random.default_rng(0).normal(size=(3, 2, 4))
    >>> p = NeuralSoftmax(phi, 8, radius=2.0, seed=1)
    >>> p.n_params, np.allclose(p.probs(p.theta0).sum(axis=1), 1)
    (32, True)
    """

    accepts_log_rational = False

    def __init__(self, features, width, *, temperature=1.0, radius=1.0, seed=None):
        try:
            phi = np.array(features, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"features cannot be read as real numbers: {exc}") from None
        if phi.ndim != 3 or phi.shape[2] < 1:
            raise InvalidParameterError(f"features must have shape (S, A, d) with d >= 1; got {phi.shape}")
        bad = ~np.isfinite(phi)
        if bad.any():
            s, a, j = np.argwhere(bad)[0]
            raise InvalidParameterError(f"features[{s}, {a}, {j}] = {phi[s, a, j]!r} is not finite")
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise InvalidParameterError(f"width must be a positive integer; got {width!r}")
        R = float(radius)
        if not R > 0:
            raise InvalidParameterError(f"radius must be positive; got {radius!r}")
        S, A, d = phi.shape
        m = int(width)
        super().__init__(S, A, m * d, temperature)
        phi.flags.writeable = False
        self.features = phi
        self.width = m
        self.radius = R
        rng = np.random.default_rng(seed)
        self.b = rng.uniform(-1.0, 1.0, size=m)
        self.alpha0 = rng.normal(0.0, 1.0 / math.sqrt(d), size=(m, d))
        self.b.flags.writeable = False
        self.alpha0.flags.writeable = False

    @property
    def theta0(self) -> np.ndarray:
        """:math:`\\alpha(0)` flattened (a fresh copy)."""
        return self.alpha0.reshape(-1).copy()

    def with_temperature(self, temperature) -> "NeuralSoftmax":
        """The same network (same :math:`b`, :math:`\\alpha(0)`) at another temperature."""
        new = object.__new__(NeuralSoftmax)
        new.__dict__.update(self.__dict__)
        SoftmaxFamily.__init__(new, self.n_states, self.n_actions, self.n_params, temperature)
        return new

    def _pre(self, theta):
        alpha = theta.reshape(self.width, -1)
        return np.einsum("sad,md->sam", self.features, alpha)

    def energy(self, theta):
        pre = self._pre(theta)
        relu = np.where(pre.real > 0, pre, 0)
        return relu @ self.b / math.sqrt(self.width)

    def energy_jacobian(self, theta):
        pre = self._pre(theta)
        gate = (pre.real > 0) * self.b[None, None, :] / math.sqrt(self.width)  # (S, A, m)
        S, A = self.n_states, self.n_actions
        return (gate[:, :, :, None] * self.features[:, :, None, :]).reshape(S, A, self.n_params)

    def project(self, theta) -> np.ndarray:
        r"""Euclidean projection onto :math:`\{\alpha : \|\alpha - \alpha(0)\|_2 \le R\}`.

        .. math::

            \Pi(\alpha) = \alpha(0) + (\alpha - \alpha(0))\min\Big(1, \frac{R}{\|\alpha - \alpha(0)\|_2}\Big)
        """
        th = self.float_theta(theta)
        delta = th - self.alpha0.reshape(-1)
        nrm = float(np.linalg.norm(delta))
        if nrm <= self.radius:
            return th.copy()
        return self.alpha0.reshape(-1) + delta * (self.radius / nrm)

    def in_ball(self, theta, *, atol: float = 1e-12) -> bool:
        """True if :math:`\\|\\alpha - \\alpha(0)\\|_2 \\le R(1 + atol)`."""
        th = self.float_theta(theta)
        return bool(np.linalg.norm(th - self.alpha0.reshape(-1)) <= self.radius * (1 + atol))
