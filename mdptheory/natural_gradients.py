r"""Natural policy gradient directions and steps, and the TRPO trust-region step.

The natural policy gradient direction is the minimum-norm solution
:math:`F_\rho^\dagger \nabla_\theta V^{\pi_\theta}(\rho)`
(:func:`natural_gradient`, with the Fisher matrix of
:mod:`mdptheory.fisher_information`).  For the tabular softmax it has the closed
form :math:`F^\dagger \nabla V = A^{\pi_\theta} / (1-\gamma)` up to the null
space (AJKS Lemma 10.6, :func:`npg_closed_form`), and the NPG update is the
multiplicative-weights step
:math:`\pi_{t+1}(a|s) \propto \pi_t(a|s)\, e^{\eta A^{\pi_t}(s,a)/(1-\gamma)}`
(:func:`npg_update`).  :func:`trpo_step` is the trust-region step of TRPO.

Every function computes in the field of its inputs (exact rationals or float64).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._geometry_common import (
    _evaluation,
    _exact_temperature,
    _is_exact_array,
    _policy_and_score,
    _policy_only,
    _value_gradient,
    _weighted_gram,
)
from .deprecation import renamed_keyword
from .exceptions import InvalidParameterError
from .fields import (
    EXACT,
    exact_array,
    float_array,
    is_exact_scalar,
)
from .fisher_information import BlockDiagonal, pinv_solve, softmax_fisher_blocks

__all__ = [
    "natural_gradient",
    "npg_closed_form",
    "npg_update",
    "trpo_step",
]


def _is_tabular_softmax(param) -> bool:
    try:
        from .policies import TabularSoftmax
    except ImportError:
        return False
    return isinstance(param, TabularSoftmax)


def natural_gradient(mdp, param, theta, *, mu=None, mode=None, rho=None) -> np.ndarray:
    r"""The natural policy gradient direction :math:`F_\rho(\theta)^\dagger\nabla_\theta V^{\pi_\theta}(\rho)`.

    .. math::

        w = F_\rho^\dagger\, \nabla_\theta V^{\pi_\theta}(\rho)

    (AJKS §10.3; statement E2).  The gradient comes from implicit differentiation
    of the Bellman system (:func:`mdptheory.gradients.value_gradient`).  For
    :class:`~mdptheory.policies.TabularSoftmax` the block-diagonal Fisher and its
    closed-form pseudo-inverse are used (never the dense matrix); for other
    parameterizations the dense :func:`fisher` and :func:`pinv_solve`.  In exact
    mode the pseudo-inverse is exact (rational null-space projection).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta : array_like, shape (n_params,)
    mu : array_like, shape (S,), optional, keyword-only
        The start distribution (default ``mdp.rho``), used both for the
        visitation in :math:`F_\rho` and for :math:`V(\rho)`.
    mode : {"float", "exact"}, optional, keyword-only
    rho : array_like, optional, keyword-only
        Deprecated name of ``mu`` (``DeprecationWarning``).

    Returns
    -------
    ndarray, shape (n_params,)
        For the tabular softmax it equals :func:`npg_closed_form` on the states
        with :math:`d_\rho(s) > 0` and is 0 elsewhere.
    """
    rho = renamed_keyword("natural_gradient", "rho", "mu", old_value=rho, new_value=mu)
    if _is_tabular_softmax(param):
        # block form: no (S, A, S*A) score, memory O(S A^2) (sparse MDPs up to 10^6 states)
        pi, mode = _policy_only(mdp, param, theta, mode)
        ev = _evaluation(mdp, pi, mode)
        d = ev.visitation(rho)
        g = _value_gradient(mdp, param, theta, rho, mode)
        tau = getattr(param, "temperature", 1)
        F = softmax_fisher_blocks(pi, d, temperature=tau)
        # sum_a dV/dtheta_{s,a} = 0 (adding a constant to theta_s leaves pi unchanged):
        # g is in the range of F, so no rounding-level range component is divided by pi
        return F.pinv_solve(g, in_range=True)
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(rho)
    g = _value_gradient(mdp, param, theta, rho, mode)
    S, A, n = score.shape
    nu = (d[:, None] * pi).reshape(-1)
    F = _weighted_gram(nu, score.reshape(S * A, n), exact=mode == EXACT)
    return pinv_solve(F, g)


def npg_closed_form(ev, *, temperature=1, d=None) -> np.ndarray:
    r"""The tabular-softmax NPG direction in closed form (AJKS Lemma 10.6; statement E2).

    .. math::

        F_\rho^\dagger \nabla_\theta V(\rho)
        = \frac{\tau}{1-\gamma}\left(A^\pi(s, a) - \frac{1}{|A|}\sum_{a'} A^\pi(s, a')\right)

    With :math:`\nabla_{\theta_{s,a}} V = \tau^{-1}(1-\gamma)^{-1} d(s)\pi(a|s)A(s,a)`
    (Lemma 10.2) and the blocks of :func:`softmax_fisher_blocks`, the equation
    :math:`F w = \nabla V` reads, state by state,
    :math:`(\operatorname{diag}\pi_s - \pi_s\pi_s^\top) w_s = \tau\pi_s A_s/(1-\gamma)`
    (when :math:`d(s) > 0`), whose solutions are
    :math:`w_s = \tau A_s/(1-\gamma) + c_s\mathbf 1` for any :math:`c_s`
    (:math:`\ker = \operatorname{span}\mathbf 1` when :math:`\pi_s > 0`, and
    :math:`\pi_s^\top A_s = 0`).  The lecture states the lemma as
    :math:`(1-\gamma)^{-1}A` (the :math:`\pi`-weighted shift :math:`c_s = 0`);
    the *minimum-norm* solution :math:`F^\dagger\nabla V` removes the plain
    unweighted mean, :math:`c_s = -\tau\,\overline{A_s}/(1-\gamma)`.  Both give
    the same NPG update, since a per-state constant cancels in the softmax.

    Parameters
    ----------
    ev : PolicyEvaluation
        From :func:`mdptheory.evaluate`.
    temperature : number, keyword-only
        :math:`\tau` of the softmax.
    d : ndarray, shape (S,), optional, keyword-only
        If given, states with ``d[s] == 0`` get 0 (as :math:`F^\dagger\nabla V` does).

    Returns
    -------
    ndarray, shape (S, A)
        Exact when ``ev`` is exact and ``temperature`` rational.
    """
    A_ = ev.advantage
    S, nA = A_.shape
    exact = ev.mode == EXACT
    if exact:
        c = _exact_temperature(temperature) / (1 - ev.mdp.gamma)
        w = c * (A_ - (A_.sum(axis=1) / nA)[:, None])
        zero = Fraction(0)
    else:
        Af = float_array(A_, name="A")
        w = float(temperature) / (1.0 - float(ev.mdp.gamma)) * (Af - Af.mean(axis=1, keepdims=True))
        zero = 0.0
    if d is not None:
        d = np.asarray(d)
        if d.shape != (S,):
            raise InvalidParameterError(f"d must have shape ({S},); got {d.shape}")
        w = np.where((d > 0)[:, None], w, zero)
    return w


def npg_update(pi, A, eta, gamma) -> np.ndarray:
    r"""The tabular NPG policy update (AJKS Lemma 10.6 / eq. (0.5); statement E2).

    .. math::

        \pi_{t+1}(a|s) = \frac{\pi_t(a|s)\exp(\eta A_t(s,a)/(1-\gamma))}{Z_t(s)}

    computed in log space with the per-state maximum subtracted (no overflow
    for large :math:`\eta A/(1-\gamma)`; actions with :math:`\pi_t = 0` stay at 0).
    The update is in float64 (it is transcendental); ``gamma`` and ``eta`` may be
    exact numbers.

    Parameters
    ----------
    pi : array_like, shape (S, A)
    A : array_like, shape (S, A)
        Advantages :math:`A^{\pi_t}` (any per-state shift gives the same result).
    eta : float
        Step size.
    gamma : float
        Discount factor.

    Returns
    -------
    ndarray, shape (S, A)
    """
    pi = float_array(pi, name="pi")
    A = float_array(A, name="A")
    if pi.shape != A.shape or pi.ndim != 2:
        raise InvalidParameterError(f"pi and A must both be (S, A); got {pi.shape} and {A.shape}")
    g = float(Fraction(gamma)) if is_exact_scalar(gamma) else float(gamma)
    e = float(Fraction(eta)) if is_exact_scalar(eta) else float(eta)
    if not 0 <= g < 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {gamma!r}")
    with np.errstate(divide="ignore"):
        logits = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)) + e * A / (1.0 - g), -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    return w / w.sum(axis=1, keepdims=True)




# ---------------------------------------------------------------- TRPO
def trpo_step(g, F, delta, *, convention="half") -> np.ndarray:
    r"""The trust-region step (statement G3, AJKS §12.3).

    Solves :math:`\max_\Delta \langle g, \Delta\rangle` subject to
    :math:`\tfrac12\Delta^\top F\Delta \le \delta` (``convention="half"``, the
    second-order expansion of the KL; the default) or
    :math:`\Delta^\top F\Delta \le \delta` (``convention="lecture"``):

    .. math::

        \Delta = \sqrt{\frac{2\delta}{g^\top F^\dagger g}}\, F^\dagger g
        \quad\text{("half")}, \qquad
        \Delta = \sqrt{\frac{\delta}{g^\top F^\dagger g}}\, F^\dagger g
        \quad\text{("lecture")}.

    The constraint is then active: :math:`\tfrac12\Delta^\top F\Delta = \delta`
    (resp. :math:`\Delta^\top F\Delta = \delta`).  The problem is bounded only
    when :math:`g \in \operatorname{range} F` (always so for
    :math:`g = \nabla V` and the Fisher matrix of the same :math:`\rho`);
    otherwise :class:`InvalidParameterError` is raised.

    Parameters
    ----------
    g : array_like, shape (n,)
    F : ndarray (n, n) or BlockDiagonal
        Symmetric positive semidefinite.
    delta : number
        Trust-region radius, > 0.
    convention : {"half", "lecture"}, keyword-only

    Returns
    -------
    ndarray, shape (n,)
        float64 for float inputs.  For exact inputs the entries are exact
        ``sympy`` numbers (rationals times :math:`\sqrt{q}`), so that the
        constraint holds with exact equality.  ``g = 0`` gives the zero step.

    Raises
    ------
    InvalidParameterError
        For a bad convention or radius, or ``g`` outside the range of ``F``.
    """
    if convention not in ("half", "lecture"):
        raise InvalidParameterError(f"convention must be 'half' or 'lecture'; got {convention!r}")
    Fd = F.to_dense() if isinstance(F, BlockDiagonal) else F
    exact = _is_exact_array(Fd) and _is_exact_array(g) and is_exact_scalar(delta)
    if exact:
        g = exact_array(g, name="g").reshape(-1)
        delta = Fraction(delta)
    else:
        g = float_array(g, name="g").reshape(-1)
        delta = float(delta)
    if not delta > 0:
        raise InvalidParameterError(f"delta must be positive; got {delta!r}")
    x = pinv_solve(F if isinstance(F, BlockDiagonal) else Fd, g)
    x = np.asarray(x).reshape(-1)
    Fx = (F @ x) if isinstance(F, BlockDiagonal) else (exact_array(Fd) if exact else float_array(Fd)) @ x
    q = (g * x).sum()
    if exact:
        off = [i for i in range(g.size) if Fx[i] != g[i]]
        if off:
            i = off[0]
            raise InvalidParameterError(
                f"g is not in the range of F (component {i}: (F F^+ g)[{i}] = {Fx[i]} != g[{i}] = {g[i]}); "
                "the trust-region problem is unbounded")
        if q == 0:
            return np.array([Fraction(0)] * g.size, dtype=object)
        import sympy

        c2 = (2 * delta if convention == "half" else delta) / q
        c = sympy.sqrt(sympy.Rational(c2.numerator, c2.denominator))
        return np.array([c * sympy.Rational(v.numerator, v.denominator) for v in x], dtype=object)
    # F x - g is the component of g in the (numerical) null space of F; a
    # backward-stable eigensolver leaves a residual of order n eps (||F|| ||x|| + ||g||)
    Fnorm = float(np.max(np.abs(F.blocks).sum(axis=2))) if isinstance(F, BlockDiagonal) else float(np.linalg.norm(Fd, 1))
    tol = 100.0 * g.size * np.finfo(float).eps * (Fnorm * float(np.linalg.norm(x)) + float(np.linalg.norm(g)))
    resid = float(np.linalg.norm(Fx - g))
    if resid > tol:
        raise InvalidParameterError(
            f"g is not in the range of F (||F F^+ g - g|| = {resid:.3g} > {tol:.3g}, the rounding level); "
            "the trust-region problem is unbounded")
    if q <= 0:
        return np.zeros_like(g)
    c = np.sqrt((2.0 * delta if convention == "half" else delta) / q)
    return c * x
