r"""Finite-difference and complex-step derivatives, used only to cross-check exact derivatives.

Central differences with one Richardson extrapolation step:

.. math::

    D(h) = \frac{f(x + h e_i) - f(x - h e_i)}{2h} = f'(x) + \frac{h^2}{6}f'''(x) + O(h^4),
    \qquad
    D_R = \frac{4D(h/2) - D(h)}{3} = f'(x) + O(h^4),

with the error estimate :math:`|D_R - D(h/2)|` (the size of the eliminated
:math:`h^2` term, an over-estimate of the error of :math:`D_R`) plus the
rounding term :math:`\varepsilon\,|f|/h`.

The complex step :math:`f'(x) \approx \mathrm{Im}\,f(x + ih e_i)/h` has no
subtractive cancellation (error :math:`O(h^2)`, so :math:`h = 10^{-30}` gives
full precision) but needs :math:`f` analytic and implemented for complex
arguments.  In mdptheory this holds for ``probs`` of the softmax family
(:class:`~mdptheory.policies.TabularSoftmax`, ``LogLinear``, ``EnergyPolicy``;
``NeuralSoftmax`` away from ReLU kinks), so :func:`probs_jacobian_complex_step`
cross-checks their Jacobians.  It does **not** hold for
:math:`\theta \mapsto V^{\pi_\theta}(\mu)`: policy evaluation
(:func:`mdptheory.evaluate`) is real-valued, so value derivatives are
cross-checked with central differences (:func:`value_gradient_fd`,
:func:`value_hessian_fd`).  The direct parameterization validates that
:math:`\theta` stays on the simplex, so differencing at the boundary raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evaluation import evaluate
from .exceptions import InvalidParameterError

__all__ = [
    "FiniteDifferenceResult",
    "central_difference",
    "complex_step",
    "value_gradient_fd",
    "value_hessian_fd",
    "probs_jacobian_complex_step",
]

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class FiniteDifferenceResult:
    """A finite-difference derivative with its error estimate.

    Attributes
    ----------
    derivative : ndarray, shape f(x).shape + (n,)
    error_estimate : ndarray, same shape
        Estimated absolute error per entry.
    step : ndarray, shape (n,)
        Step used per coordinate.
    method : str
        ``"central"``, ``"central-richardson"`` or ``"complex-step"``.
    """

    derivative: np.ndarray
    error_estimate: np.ndarray
    step: np.ndarray
    method: str


def _x(x):
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"x must be a finite 1-D float array; got shape {arr.shape}")
    return arr


def _steps(x, h, power):
    if h is None:
        return _EPS ** power * np.maximum(1.0, np.abs(x))
    h = np.broadcast_to(np.asarray(h, dtype=np.float64), x.shape).copy()
    if not np.all(h > 0):
        raise InvalidParameterError("step h must be positive")
    return h


def central_difference(f, x, *, h=None, richardson: bool = True) -> FiniteDifferenceResult:
    r"""Jacobian of ``f`` at ``x`` by central differences (with Richardson extrapolation).

    Parameters
    ----------
    f : callable
        ``f(x) -> float or ndarray`` for a float vector ``x``.
    x : array_like, shape (n,)
    h : float or array_like, keyword-only
        Step (per coordinate).  Default :math:`\varepsilon^{1/5}\max(1,|x_i|)`
        with Richardson, :math:`\varepsilon^{1/3}\max(1,|x_i|)` without.
    richardson : bool, keyword-only

    Returns
    -------
    FiniteDifferenceResult
    """
    x = _x(x)
    hs = _steps(x, h, 0.2 if richardson else 1 / 3)
    f0 = np.asarray(f(x), dtype=np.float64)
    n = x.size
    D1 = np.empty(f0.shape + (n,))
    D2 = np.empty(f0.shape + (n,))
    for i in range(n):
        e = np.zeros(n)
        e[i] = hs[i]
        D1[..., i] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * hs[i])
        if richardson:
            D2[..., i] = (np.asarray(f(x + e / 2)) - np.asarray(f(x - e / 2))) / hs[i]
    scale = np.abs(f0)[..., None] + 1e-300
    if richardson:
        D = (4 * D2 - D1) / 3
        err = np.abs(D - D2) + 4 * _EPS * scale / hs
        return FiniteDifferenceResult(D, err, hs, "central-richardson")
    return FiniteDifferenceResult(D1, 4 * _EPS * scale / hs + np.abs(D1) * hs ** 2, hs, "central")


def complex_step(f, x, *, h: float = 1e-30) -> FiniteDifferenceResult:
    r"""Jacobian by the complex step :math:`\mathrm{Im}\,f(x + ih e_i)/h` (``f`` analytic, complex-capable).

    The error is :math:`O(h^2)` with no cancellation; the estimate reported is
    :math:`4\varepsilon|D| + h^2|f|`.
    """
    x = _x(x)
    if not h > 0:
        raise InvalidParameterError(f"step h must be positive; got {h!r}")
    n = x.size
    f0 = np.asarray(f(x.astype(complex)))
    D = np.empty(f0.shape + (n,))
    for i in range(n):
        z = x.astype(complex)
        z[i] += 1j * h
        D[..., i] = np.imag(np.asarray(f(z))) / h
    err = 4 * _EPS * np.abs(D) + h * h * (np.abs(f0)[..., None] + 1.0)
    return FiniteDifferenceResult(D, err, np.full(n, h), "complex-step")


def _value_fn(mdp, param, mu):
    fm = mdp.to_float()

    def V(theta):
        return evaluate(fm, param.probs(theta), mode="float").value(mu)

    return V


def value_gradient_fd(mdp, param, theta, *, mu=None, h=None) -> FiniteDifferenceResult:
    r"""Central-difference (Richardson) estimate of :math:`\nabla_\theta V^{\pi_\theta}(\mu)` in float64.

    A cross-check of :func:`mdptheory.gradients.value_gradient`.
    """
    return central_difference(_value_fn(mdp, param, mu), param.float_theta(theta), h=h)


def value_hessian_fd(mdp, param, theta, *, mu=None, h=None) -> FiniteDifferenceResult:
    r"""Central differences of the exact-route gradient :func:`~mdptheory.gradients.value_gradient`.

    :math:`\partial_j\nabla V \approx (\nabla V(\theta + h e_j) - \nabla V(\theta - h e_j))/(2h)`
    with Richardson extrapolation; a cross-check of
    :func:`mdptheory.derivatives.value_hessian`.  The result is symmetrised
    only in the error estimate (the asymmetry is added to it).
    """
    from .gradients import value_gradient

    def g(th):
        return value_gradient(mdp, param, th, mu=mu, mode="float")

    res = central_difference(g, param.float_theta(theta), h=h)
    D = res.derivative
    err = res.error_estimate + 0.5 * np.abs(D - D.T)
    return FiniteDifferenceResult(D, err, res.step, res.method)


def probs_jacobian_complex_step(param, theta, *, h: float = 1e-30) -> FiniteDifferenceResult:
    r"""Complex-step Jacobian of ``param.probs``, shape (S, A, n); cross-checks ``param.jacobian``.

    Raises
    ------
    InvalidParameterError
        If the parameterization does not accept complex :math:`\theta`
        (:class:`~mdptheory.policies.Direct`: affine, so central differences
        are exact up to rounding anyway).
    """
    if not getattr(param, "accepts_complex", False):
        raise InvalidParameterError(f"{type(param).__name__}.probs does not accept complex theta")
    return complex_step(param.probs, param.float_theta(theta), h=h)
