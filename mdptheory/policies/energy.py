r"""Energy-based policies :math:`\pi(a|s) \propto \exp(f(s,a)/\tau)` (Liu et al. 2019, Liu et al. 2019).

The policy class of Neural PPO/TRPO: an energy :math:`f_\theta(s,a)` and a
temperature :math:`\tau`.  :class:`EnergyPolicy` takes the energy either as a
table (the simplest case, :math:`f(s,a) = \theta_{s,a}`, so that at
:math:`\tau = 1` it is the tabular softmax computed by the generic, dense
formulas of :class:`~mdptheory.policies.softmax.SoftmaxFamily`) or as user
functions for :math:`f_\theta`, :math:`\nabla f_\theta` and
:math:`\nabla^2 f_\theta`.  The two-layer ReLU energy of the seed is
:class:`~mdptheory.policies.NeuralSoftmax`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from .base import check_sizes
from .softmax import SoftmaxFamily

__all__ = ["EnergyPolicy"]


class EnergyPolicy(SoftmaxFamily):
    r"""Energy-based policy :math:`\pi_\theta(a|s) = e^{f_\theta(s,a)/\tau} / \sum_b e^{f_\theta(s,b)/\tau}`.

    Parameters
    ----------
    n_states, n_actions : int
    energy : callable, optional, keyword-only
        ``energy(theta) -> (S, A)``.  Default: tabular energies
        :math:`f(s, a) = \theta_{s A + a}` (``n_params = S * A``).
    energy_jacobian : callable, keyword-only
        ``energy_jacobian(theta) -> (S, A, n)``; required with ``energy``.
    energy_hessian : callable or "linear", keyword-only
        ``energy_hessian(theta) -> (S, A, n, n)``, or ``"linear"`` for
        energies affine in :math:`\theta`.  Without it the second-order
        methods raise :class:`~mdptheory.exceptions.InvalidParameterError`.
    n_params : int, keyword-only
        Required with ``energy``.
    temperature : float or rational, keyword-only
        :math:`\tau > 0`.

    Notes
    -----
    Exact points (:class:`~mdptheory.policies.LogRational`) exist for tabular
    energies at :math:`\tau = 1`; user energies are float-only.

    Examples
    --------
    >>> from mdptheory.policies import EnergyPolicy
    >>> import numpy as np
    >>> p = EnergyPolicy(1, 2, temperature=0.5)
    >>> np.round(p.probs(np.array([0.0, np.log(2.0)])), 6).tolist()   # weights 1, 2**2
    [[0.2, 0.8]]
    """

    def __init__(self, n_states, n_actions, *, energy=None, energy_jacobian=None, energy_hessian=None,
                 n_params=None, temperature=1.0):
        S, A = check_sizes(n_states, n_actions)
        self._fn = energy
        if energy is None:
            if energy_jacobian is not None or energy_hessian is not None or n_params not in (None, S * A):
                raise InvalidParameterError("tabular energies take no energy_jacobian/energy_hessian and "
                                            f"n_params = S*A = {S * A}")
            super().__init__(S, A, S * A, temperature)
            self.tabular = True
            self._jac = self._hess = None
            self.energy_is_linear = True
            return
        if not callable(energy) or not callable(energy_jacobian):
            raise InvalidParameterError("energy and energy_jacobian must both be callables")
        if isinstance(n_params, bool) or not isinstance(n_params, (int, np.integer)) or n_params < 1:
            raise InvalidParameterError(f"n_params must be a positive integer with a user energy; got {format_value(n_params)}")
        super().__init__(S, A, int(n_params), temperature)
        self.tabular = False
        self.accepts_log_rational = False
        self._jac = energy_jacobian
        if energy_hessian == "linear":
            self._hess = None
            self.energy_is_linear = True
        elif energy_hessian is None or callable(energy_hessian):
            self._hess = energy_hessian
            self.energy_is_linear = False
        else:
            raise InvalidParameterError(f"energy_hessian must be a callable or 'linear'; got {format_value(energy_hessian)}")

    def with_temperature(self, temperature) -> "EnergyPolicy":
        """The same energy at another temperature."""
        if self.tabular:
            return EnergyPolicy(self.n_states, self.n_actions, temperature=temperature)
        return EnergyPolicy(self.n_states, self.n_actions, energy=self._fn, energy_jacobian=self._jac,
                            energy_hessian="linear" if self.energy_is_linear else self._hess,
                            n_params=self.n_params, temperature=temperature)

    def _checked(self, out, shape, name):
        out = np.asarray(out)
        if out.shape != shape:
            raise InvalidParameterError(f"{name} returned shape {out.shape}; expected {shape}")
        return out

    def __repr__(self):
        tau = "" if self.temperature == 1 else f", temperature={self.temperature!r}"
        if self.tabular:
            return f"EnergyPolicy({self.n_states}, {self.n_actions}{tau})"
        return f"<EnergyPolicy S={self.n_states}, A={self.n_actions}, n_params={self.n_params}, energy={self._fn!r}>"

    def energy(self, theta):
        S, A = self.n_states, self.n_actions
        if self.tabular:
            return theta.reshape(S, A)
        return self._checked(self._fn(theta), (S, A), "energy")

    def energy_jacobian(self, theta):
        S, A, n = self.n_states, self.n_actions, self.n_params
        if self.tabular:
            return np.eye(n).reshape(S, A, n)
        return self._checked(self._jac(theta), (S, A, n), "energy_jacobian")

    def energy_hessian(self, theta):
        S, A, n = self.n_states, self.n_actions, self.n_params
        if self.energy_is_linear:
            return np.zeros((S, A, n, n))
        if self._hess is None:
            raise InvalidParameterError("second derivatives need energy_hessian (or energy_hessian='linear')")
        return self._checked(self._hess(theta), (S, A, n, n), "energy_hessian")

    def _exact_weights(self, q):
        if not self.tabular:
            raise InvalidParameterError("exact points need tabular energies")
        return q.reshape(self.n_states, self.n_actions).copy()

    def _exact_energy_jacobian(self):
        if not self.tabular:
            raise InvalidParameterError("exact points need tabular energies")
        n = self.n_params
        E = np.full((n, n), Fraction(0), dtype=object)
        E[np.diag_indices(n)] = Fraction(1)
        return E.reshape(self.n_states, self.n_actions, n)
