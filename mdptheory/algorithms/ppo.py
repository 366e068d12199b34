r"""PPO with the exact clipped surrogate (Schulman et al. 2017; AJKS §12.4; statement G4).

At iteration :math:`t`, with :math:`d = d_\mu^{\pi_t}`, :math:`A_t = A^{\pi_t}` and
the ratio :math:`\rho_\theta(s,a) = \pi_\theta(a|s)/\pi_t(a|s)`, PPO maximises

.. math::

    L^{\mathrm{clip}}_t(\theta) = \sum_s d(s)\sum_a \pi_t(a|s)\,
        \min\big(\rho_\theta(s,a)A_t(s,a),\ \operatorname{clip}(\rho_\theta(s,a), 1-\epsilon, 1+\epsilon)A_t(s,a)\big)

by ``inner_steps`` exact gradient-ascent steps from :math:`\theta^{(t)}`.  Every
expectation is an exact sum (no sampling).  The min picks the clipped branch
exactly when :math:`\rho > 1+\epsilon` with :math:`A > 0`, or :math:`\rho < 1-\epsilon`
with :math:`A < 0`; there the term is constant in :math:`\theta` and its gradient
vanishes (statement G4).  Elsewhere the gradient of the term is
:math:`d(s)A_t(s,a)\nabla_\theta\pi_\theta(a|s)`.  At the kink (:math:`\rho = 1\pm\epsilon`
exactly) the one-sided gradient of the unclipped branch is used when it points
back inside, i.e. the clipped set is open.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError
from ..fields import float_array
from ..policies import TabularSoftmax
from ._common import (check_T, check_positive, distribution, evaluate_float, float_mdp, kl_trace, softmax_theta0,
                      v_star, visitation_from)
from .result import OptimizationResult

__all__ = ["ppo", "clipped_surrogate", "clipped_surrogate_gradient"]


def _ratio(pi_new, pi_old):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pi_old > 0, pi_new / np.where(pi_old > 0, pi_old, 1.0), 1.0)


def _surrogate_value(r, pi_old, A, d, eps):
    term = np.minimum(r * A, np.clip(r, 1.0 - eps, 1.0 + eps) * A)
    return float(d @ (pi_old * term).sum(axis=1))


def clipped_surrogate(pi_new, pi_old, advantage, d, *, eps=0.2):
    r"""The exact PPO clipped surrogate (statement G4).

    .. math::

        L^{\mathrm{clip}} = \sum_s d(s)\sum_a \pi_{\mathrm{old}}(a|s)\,
        \min\big(\rho A,\ \operatorname{clip}(\rho, 1-\epsilon, 1+\epsilon) A\big),
        \qquad \rho = \pi_{\mathrm{new}}/\pi_{\mathrm{old}}

    (actions with :math:`\pi_\mathrm{old}(a|s) = 0` contribute 0).

    Parameters
    ----------
    pi_new, pi_old : array_like, shape (S, A)
    advantage : array_like, shape (S, A)
        :math:`A^{\pi_\mathrm{old}}`.
    d : array_like, shape (S,)
        State weights (:math:`d_\mu^{\pi_\mathrm{old}}`).
    eps : float, keyword-only
        Clipping parameter :math:`\epsilon \in (0, 1)`.

    Returns
    -------
    float
    """
    pi_new, pi_old = float_array(pi_new, name="pi_new"), float_array(pi_old, name="pi_old")
    A, d = float_array(advantage, name="advantage"), float_array(d, name="d")
    return _surrogate_value(_ratio(pi_new, pi_old), pi_old, A, d, eps)


def clipped_active(ratio, advantage, *, eps):
    r"""Mask of the pairs on the clipped branch: :math:`\rho > 1+\epsilon, A > 0` or :math:`\rho < 1-\epsilon, A < 0`."""
    return ((ratio > 1.0 + eps) & (advantage > 0)) | ((ratio < 1.0 - eps) & (advantage < 0))


def clipped_surrogate_gradient(param, theta, pi_old, advantage, d, *, eps=0.2):
    r"""Exact gradient of :func:`clipped_surrogate` in :math:`\theta` (statement G4).

    .. math::

        \nabla_\theta L^{\mathrm{clip}} = \sum_{s,a} d(s)\,A(s,a)\,
            \mathbf 1[(s,a)\ \text{not on the clipped branch}]\,\nabla_\theta\pi_\theta(a|s)

    Returns
    -------
    grad : ndarray, shape (n_params,)
    active : ndarray of bool, shape (S, A)
        The clipped-branch mask (zero gradient there).
    """
    pi_old = float_array(pi_old, name="pi_old")
    A, d = float_array(advantage, name="advantage"), float_array(d, name="d")
    pi_new = np.asarray(param.probs(theta), dtype=float)
    active = clipped_active(_ratio(pi_new, pi_old), A, eps=eps)
    C = np.where(active | (pi_old == 0), 0.0, d[:, None] * A)
    return np.asarray(param.jacobian_vjp(theta, C), dtype=float).reshape(-1), active


def _surrogate_gradient(param, theta, pi_old, pos, pi_old_safe, A, dA, eps):
    """:func:`clipped_surrogate_gradient` for the validated arrays of a run: ``pos = pi_old > 0``,
    ``pi_old_safe`` = ``pi_old`` with 1 off its support, ``dA = d[:, None] * A`` (same digits)."""
    pi_new = np.asarray(param.probs(theta), dtype=float)
    active = clipped_active(np.where(pos, pi_new / pi_old_safe, 1.0), A, eps=eps)
    C = np.where(active | ~pos, 0.0, dA)
    return np.asarray(param.jacobian_vjp(theta, C), dtype=float).reshape(-1)


def _tabular_inner_steps(param, theta, K, lr, pi_old, pos, pi_old_safe, A, dA, eps):
    r"""``K`` ascent steps on the surrogate for :class:`~mdptheory.policies.TabularSoftmax`, on arrays.

    The same operations as ``param.probs`` and ``param.jacobian_vjp`` (hence
    the same digits), without re-validating :math:`\theta` at every step:

    .. math::

        \pi = \exp\big(\operatorname{log\_softmax}(\theta/\tau)\big),\qquad
        \nabla_{\theta_{s,b}} L = \tau^{-1}\pi_b\Big(C_b - \sum_a\pi_aC_a\Big),\qquad
        C = \mathbf 1[\text{unclipped}]\,d\,A.

    Returns ``(theta_K, pi_K, ||grad_0||)``; a non-finite iterate is handed
    to ``param.probs``, which raises the parameterization's error.
    """
    S, nA = pi_old.shape
    ftau = float(param.temperature)
    inv_tau = 1.0 / ftau
    # the unclipped mask as one division and one comparison: pi_new / (sign(A) pi_old) <= thr with
    # thr = 1 + eps (A > 0), -(1 - eps) (A < 0), +inf (A = 0: never clipped); dividing by -pi_old
    # negates the ratio exactly, so this is not clipped_active(pi_new / pi_old, A) entry for entry.
    # Off the support (pi_old = 0) dA0 is 0, so the mask does not matter there.
    sgn = np.sign(A)
    den = np.where(sgn != 0, pi_old_safe * sgn, 1.0)
    thr = np.where(A > 0, 1.0 + eps, np.where(A < 0, -(1.0 - eps), np.inf))
    dA0 = np.where(pos, dA, 0.0)
    th = np.array(theta, dtype=float)  # updated in place: th + lr * grad, the same digits
    th2 = th.reshape(S, nA)
    z = th2 if ftau == 1.0 else np.empty((S, nA))
    r, C, tmp, y, pi_new = (np.empty((S, nA)) for _ in range(5))
    mask = np.empty((S, nA), dtype=bool)
    col = np.empty((S, 1))
    grad = np.empty(S * nA)
    grad2 = grad.reshape(S, nA)

    def probs():  # log_softmax(th / tau), then exp: mdptheory.policies.softmax.log_softmax's operations
        if z is not th2:
            np.divide(th2, ftau, out=z)
        np.maximum.reduce(z, axis=1, keepdims=True, out=col)
        np.subtract(z, col, out=y)
        np.exp(y, out=tmp)
        np.add.reduce(tmp, axis=1, keepdims=True, out=col)
        np.log(col, out=col)
        np.subtract(y, col, out=y)
        np.exp(y, out=pi_new)

    probs()
    g0 = None
    for _ in range(K):
        np.divide(pi_new, den, out=r)
        np.less_equal(r, thr, out=mask)
        np.multiply(dA0, mask, out=C)  # d A on the unclipped branch, 0 (possibly -0.0) on the clipped one
        np.multiply(pi_new, C, out=tmp)
        np.add.reduce(tmp, axis=1, keepdims=True, out=col)
        np.subtract(C, col, out=tmp)
        np.multiply(pi_new, tmp, out=grad2)
        if ftau != 1.0:
            np.multiply(grad, inv_tau, out=grad)
        if g0 is None:
            g0 = float(np.linalg.norm(grad))
        np.multiply(grad, lr, out=grad)
        np.add(th, grad, out=th)
        probs()
    if not np.isfinite(th).all():
        param.probs(th)  # raises, naming the entry
    return th, pi_new, g0


def ppo(mdp, param, *, T: int, lr, eps=0.2, inner_steps: int = 10, theta0=None, mu=None, rho=None,
        progress=None) -> OptimizationResult:
    r"""PPO with the exact clipped surrogate and several inner ascent steps (statement G4).

    .. math::

        \theta^{(t, k+1)} = \theta^{(t, k)} + \mathrm{lr}\,\nabla_\theta L^{\mathrm{clip}}_t(\theta^{(t,k)}),
        \quad k < K, \qquad \theta^{(t+1)} = \theta^{(t, K)}.

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    T : int, keyword-only
        Outer iterations (one exact evaluation each).
    lr : float, keyword-only
        Inner step size.
    eps : float, keyword-only
        Clipping parameter in (0, 1) (default 0.2).
    inner_steps : int, keyword-only
        :math:`K \ge 1` ascent steps on the surrogate per iteration (default 10).
    theta0, mu, rho, progress
        As in :func:`mdptheory.algorithms.trpo`.

    Returns
    -------
    OptimizationResult
        ``grad_norms[t]`` is :math:`\|\nabla L^{\mathrm{clip}}_t(\theta^{(t)})\|_2 = \|\nabla V^{(t)}(\mu)\|_2(1-\gamma)`
        at the start of the inner loop; ``step_sizes`` the ``lr``;
        ``extras["surrogate"]`` the final surrogate value,
        ``extras["clipped_fraction"]`` the :math:`d\pi_t`-mass on the clipped branch at the end,
        ``extras["max_ratio"]``/``extras["min_ratio"]`` the extreme ratios on the support of :math:`d`.
    """
    T = check_T(T)
    lr = check_positive(lr, "lr")
    eps = check_positive(eps, "eps")
    if not eps < 1:
        raise InvalidParameterError(f"eps must lie in (0, 1); got eps={eps}")
    K = check_T(inner_steps, "inner_steps")
    if K < 1:
        raise InvalidParameterError(f"inner_steps must be at least 1; got {inner_steps}")
    fm = float_mdp(mdp)
    mu = distribution(mdp, mu, "mu", exact=False)
    rho = distribution(mdp, rho, "rho", exact=False)
    theta = softmax_theta0(mdp, theta0, int(param.n_params))
    options = {"lr": lr, "eps": eps, "inner_steps": K, "T": T, "param": type(param).__name__,
               "theta0": "zeros" if theta0 is None else "given"}
    res = OptimizationResult("ppo", options=options, rho=rho, v_star=v_star(mdp, rho, exact=False), exact=False,
                             progress=progress)
    g = float(mdp.gamma)
    same_rho = np.array_equal(mu, rho)  # then the KL trace reuses d_mu
    tabular = isinstance(param, TabularSoftmax)
    pi = np.asarray(param.probs(theta), dtype=float)
    ev = evaluate_float(fm, pi)
    for t in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        if t == T:
            break
        d = ev.visitation(mu)
        Adv = ev.advantage
        pos = pi > 0
        pi_safe = np.where(pos, pi, 1.0)
        dA = d[:, None] * Adv
        if tabular:
            # the inner steps reuse this iteration's evaluation and work on arrays (no per-step validation)
            th, pi_next, g0 = _tabular_inner_steps(param, theta, K, lr, pi, pos, pi_safe, Adv, dA, eps)
        else:
            th = theta
            g0 = None
            for _ in range(K):
                grad = _surrogate_gradient(param, th, pi, pos, pi_safe, Adv, dA, eps)
                if g0 is None:
                    g0 = float(np.linalg.norm(grad))
                th = th + lr * grad
            pi_next = np.asarray(param.probs(th), dtype=float)
        r = np.where(pos, pi_next / pi_safe, 1.0)
        act = clipped_active(r, Adv, eps=eps)
        supp = (d[:, None] > 0) & pos
        kl, kl_max = kl_trace(pi_next, pi, d if same_rho else visitation_from(ev, rho, g))
        res._record_step(grad_norm=g0, step_size=lr, kl=kl, kl_max=kl_max,
                        surrogate=_surrogate_value(r, pi, Adv, d, eps),
                        clipped_fraction=float((d[:, None] * pi * act).sum()),
                        max_ratio=float(r[supp].max()), min_ratio=float(r[supp].min()))
        theta, pi = th, pi_next
        ev = evaluate_float(fm, pi)
    return res._finish(True, f"completed T = {T} iterations")
