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

import math
import warnings
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
from .evaluation.certificates import WARN_RELATIVE_ERROR
from .exceptions import InvalidParameterError, NumericalWarning, format_value
from .deprecation import renamed_keyword
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


def natural_gradient(mdp, param, theta, *, mu=None, mode=None, rho=None, with_bound=False):
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
    with_bound : bool, keyword-only
        Tabular softmax only: also return a certified bound on
        :math:`\max_i|\hat w_i - w_i|` (``Fraction(0)`` in exact mode), see Notes.
    rho : array_like, optional, keyword-only
        Deprecated name of ``mu`` (``DeprecationWarning``).

    Returns
    -------
    ndarray, shape (n_params,)
        For the tabular softmax it equals :func:`npg_closed_form` on the states
        with :math:`d_\rho(s) > 0` and is 0 elsewhere.  ``(w, bound)`` with
        ``with_bound``.

    Warns
    -----
    NumericalWarning
        Tabular softmax, float mode: where :math:`d(s)\pi(a|s)` underflows (those
        entries are dropped from the support; the bound is then ``inf``), and when
        the certified bound exceeds ``WARN_RELATIVE_ERROR`` times the direction's
        scale :math:`\max(\|\hat w\|_\infty, \tau(\max r - \min r)/(1-\gamma)^2)`.

    Notes
    -----
    Float bound (tabular softmax).  Per state, on the support :math:`T`,
    :math:`y_a = g_a/(\tau^{-2} d\,\pi_a)` and :math:`w = y - \mathrm{mean}_T\,y`.  With
    :math:`E_a` the certified entrywise bound of the gradient
    (:mod:`mdptheory.gradients`), :math:`\beta_s = \|\hat d - d\|_1/\hat d_s + \eta_\pi + 4\varepsilon`
    the relative error of the divisor (visitation bound, the policy's rounding),

    .. math::

        |\hat y_a - y_a| \le \frac{E_a/(\tau^{-2}\hat d\hat\pi_a) + \beta_s|\hat y_a|}{1 - \beta_s},
        \qquad
        |\hat w_a - w_a| \le |\Delta y_a| + \mathrm{mean}_T|\Delta y| + (m + 4)\varepsilon(|\hat y_a| + \mathrm{mean}_T|\hat y|),

    ``inf`` when :math:`\beta_s \ge 1` or an entry underflowed.  The gradient's own
    error is proportional to :math:`\pi_a` (it enters through :math:`\partial\pi`),
    so tiny probabilities do not inflate the bound; an uncertain visitation does.
    """
    rho = renamed_keyword("natural_gradient", "rho", "mu", old_value=rho, new_value=mu)
    if _is_tabular_softmax(param):
        # block form: no (S, A, S*A) score, memory O(S A^2) (sparse MDPs up to 10^6 states)
        pi, mode = _policy_only(mdp, param, theta, mode)
        ev = _evaluation(mdp, pi, mode)
        d = ev.visitation(rho)
        tau = getattr(param, "temperature", 1)
        if mode == EXACT:
            g = _value_gradient(mdp, param, theta, rho, mode)
            F = softmax_fisher_blocks(pi, d, temperature=tau)
            x = F.pinv_solve(g, in_range=True)
            return (x, Fraction(0)) if with_bound else x
        from .gradients import _value_gradient_entrywise

        g, Eg = _value_gradient_entrywise(mdp, param, theta, mu=rho)
        F = softmax_fisher_blocks(pi, d, temperature=tau)
        # sum_a dV/dtheta_{s,a} = 0 (adding a constant to theta_s leaves pi unchanged):
        # g is in the range of F, so no rounding-level range component is divided by pi
        x = F.pinv_solve(g, in_range=True)
        mu = None if rho is None else np.asarray(float_array(rho, name="rho"), dtype=float)
        bound = _npg_bound(mdp, param, theta, pi, d, ev.visitation_bound(rho), g, Eg, x, float(tau), mu=mu)
        scale = float(np.max(np.abs(x))) if x.size else 0.0
        r = np.asarray(mdp.to_float().r if mdp.is_exact else mdp.r, dtype=float)
        gam = float(mdp.gamma)
        with np.errstate(over="ignore", invalid="ignore"):
            natural = float(tau) * (float(np.max(r)) - float(np.min(r))) / (1.0 - gam) ** 2 if r.size else 0.0
        scale = max(scale, natural) if math.isfinite(natural) else scale
        if not bound <= WARN_RELATIVE_ERROR * scale:
            warnings.warn(
                f"natural_gradient: the certified error bound {bound:.3g} exceeds {WARN_RELATIVE_ERROR:g} x the "
                f"direction's scale {scale:.3g} (underflowing d(s) pi(a|s), an uncertain visitation or an "
                "ill-conditioned I - gamma P_pi); use mode='exact'", NumericalWarning, stacklevel=2)
        return (x, bound) if with_bound else x
    if with_bound:
        raise InvalidParameterError(
            f"with_bound is available for TabularSoftmax (the closed-form pseudo-inverse); got {type(param).__name__}")
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(rho)
    g = _value_gradient(mdp, param, theta, rho, mode)
    S, A, n = score.shape
    nu = (d[:, None] * pi).reshape(-1)
    F = _weighted_gram(nu, score.reshape(S * A, n), exact=mode == EXACT)
    return pinv_solve(F, g)


def _reachable(mdp, rho_support=None):
    """States reachable from the support of ``rho`` (default the MDP's) along nonzero transitions.

    A softmax policy is positive everywhere, so exactly these states have :math:`d(s) > 0`.
    """
    S = mdp.n_states
    fm = mdp.to_float() if mdp.is_exact else mdp
    Pm = fm.P_matrix()
    adj = (abs(Pm) > 0)
    adj = adj.toarray() if hasattr(adj, "toarray") else np.asarray(adj)
    adj = adj.reshape(S, -1, S).any(axis=1)
    reach = np.asarray(fm.rho > 0 if rho_support is None else rho_support, dtype=bool)
    while True:
        new = reach | adj[reach].any(axis=0)
        if np.array_equal(new, reach):
            return reach
        reach = new


def _npg_bound(mdp, param, theta, pi, d, vb, g, Eg, x, tau, mu=None):
    """Certified max |w_hat - w| of the tabular softmax NPG direction (see natural_gradient's Notes)."""
    from .gradients import _EPS, _TINY
    from .policies.softmax import SoftmaxFamily

    S, A = pi.shape
    pi = np.asarray(pi, dtype=float)
    d = np.asarray(d, dtype=float)
    eta = 0.0
    if isinstance(param, SoftmaxFamily):
        z = np.asarray(param.energy(param.float_theta(theta)), dtype=float) / tau
        eta = (A + 4 + 4.0 * float(np.max(np.abs(z)))) * _EPS
    vb = math.inf if vb is None or not math.isfinite(vb) else float(vb)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        den = d[:, None] * pi / (tau * tau)
        support = (pi > 0) & (d[:, None] > 0)
        if np.any(support & ~(den >= _TINY)):  # dropped entries (warned by the pseudo-inverse)
            return math.inf
        if np.any(~(pi > 0)):  # the exact softmax is positive: an entry underflowed to 0
            return math.inf
        if np.any((d > 0) & ~(d > vb)):  # the exact d(s) may be 0: another support
            return math.inf
        if np.any(d == 0) and np.any(_reachable(mdp, rho_support=None if mu is None else mu > 0)[d == 0]):
            return math.inf  # a computed d(s) = 0 where the exact d(s) > 0 is possible
        beta = vb / np.where(d > 0, d, 1.0) + eta + 4 * _EPS
        if np.any(beta >= 1):
            return math.inf
        g2 = np.asarray(g, dtype=float).reshape(S, A)
        E2 = np.asarray(Eg, dtype=float).reshape(S, A)
        y = np.where(support, g2 / np.where(support, den, 1.0), 0.0)
        dy = np.where(support, (E2 / np.where(support, den, 1.0) + beta[:, None] * np.abs(y)) / (1 - beta[:, None]), 0.0)
        m = np.maximum(support.sum(axis=1), 1)[:, None]
        ay = np.abs(y)
        dx = dy + dy.sum(axis=1, keepdims=True) / m + (A + 4) * _EPS * (ay + ay.sum(axis=1, keepdims=True) / m)
        bound = float(np.max(dx)) * (1.0 + 8 * _EPS) if dx.size else 0.0
    return bound if math.isfinite(bound) else math.inf


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
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {format_value(gamma)}")
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
        raise InvalidParameterError(f"convention must be 'half' or 'lecture'; got {format_value(convention)}")
    Fd = F.to_dense() if isinstance(F, BlockDiagonal) else F
    exact = _is_exact_array(Fd) and _is_exact_array(g) and is_exact_scalar(delta)
    if exact:
        g = exact_array(g, name="g").reshape(-1)
        delta = Fraction(delta)
    else:
        g = float_array(g, name="g").reshape(-1)
        delta = float(delta)
    if not delta > 0:
        raise InvalidParameterError(f"delta must be positive; got {format_value(delta)}")
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
