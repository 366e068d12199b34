r"""TRPO with its exact trust region (Schulman et al. 2015; AJKS §12.3; statement G2, G3).

Each iteration solves the quadratic model of TRPO exactly,

.. math::

    \Delta_t = \arg\max_\Delta\ \langle\nabla_\theta V^{(t)}(\mu), \Delta\rangle
    \quad\text{s.t.}\quad \tfrac12\,\Delta^\top F_\mu(\theta^{(t)})\,\Delta \le \delta,
    \qquad
    \Delta_t = \sqrt{\frac{2\delta}{g^\top F^\dagger g}}\;F^\dagger g,

with :math:`g = \nabla_\theta V^{(t)}(\mu)` and the Fisher matrix
:math:`F_\mu = \mathbb{E}_{d_\mu^{(t)},\pi_t}[\nabla\log\pi\nabla\log\pi^\top]`, both
exact (:func:`mdptheory.geometry.compatible_fa`: ``gram`` is :math:`F_\mu` and
``moment`` is :math:`(1-\gamma)g`).  The ``½`` is the second-order expansion of
the KL divergence, :math:`\mathbb{E}_{d}\mathrm{KL}(\pi_t\|\pi_{\theta_t+\Delta}) = \tfrac12\Delta^\top F\Delta + O(\|\Delta\|^3)`
(the lecture writes the constraint without the ½, i.e. radius ``δ/2`` here;
``convention="lecture"`` selects it).  The step is NPG with an adaptive step size
(statement G3).

With ``line_search=True`` the step is halved (at most ``max_backtracks``
times) until the *true* constraint
:math:`\mathbb{E}_{s\sim d_\mu^{(t)}}\mathrm{KL}(\pi_t(\cdot|s)\|\pi_{\theta+\Delta}(\cdot|s)) \le \delta`
holds and :math:`V(\mu)` does not decrease, as in Schulman et al. (2015, App. C).

For :class:`~mdptheory.policies.TabularSoftmax` the Fisher matrix is never
formed densely: it is block-diagonal,
:math:`F_\mu = \operatorname{blockdiag}_s\, d_\mu(s)\tau^{-2}(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)`
(:func:`mdptheory.geometry.softmax_fisher_blocks`), the gradient is
:math:`g_{s,b} = \frac{d_\mu(s)}{\tau(1-\gamma)}\pi_b\big(A_b - \sum_a\pi_aA_a\big)`
(the same sum :math:`\sum_{s,a}\nu\,\phi\,A` as the dense moment, with the
block score :math:`\phi_{(s,a),(s,b)} = \tau^{-1}(1[a=b]-\pi_b)`), and
:math:`F^\dagger g` is the closed-form block pseudo-inverse, so an iteration
costs :math:`O(SA)` beyond the evaluation instead of an eigendecomposition of
the :math:`SA\times SA` matrix.  Other parameterizations use the dense Fisher.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from ..fields import float_array
from ..geometry import softmax_fisher_blocks, trpo_step
from ..policies import TabularSoftmax
from ._common import (check_T, check_positive, distribution, evaluate_float, float_mdp, gram_moment, kl_rows,
                      kl_trace, softmax_theta0, v_star, visitation_from)
from .result import OptimizationResult

__all__ = ["trpo"]


def _softmax_gradient(pi, adv, d, tau, one_minus_gamma):
    r""":math:`\nabla_\theta V(\mu)` of the tabular softmax as the moment of the dense route.

    .. math::

        g_{s,b} = \frac{d(s)}{\tau(1-\gamma)}\,\pi_b\Big(A_b - \sum_a \pi_a A_a\Big),

    i.e. :math:`(1-\gamma)^{-1}\sum_{a}d(s)\pi_a\,\phi_{(s,a),(s,b)}A_a` with the score
    :math:`\phi_{(s,a),(s,b)} = \tau^{-1}(1[a=b] - \pi_b)` (the :math:`\sum_a\pi_aA_a` term is
    0 up to rounding and kept so that both routes see the same vector).
    """
    piA = pi * adv
    return ((d / (tau * one_minus_gamma))[:, None] * (piA - pi * piA.sum(axis=1, keepdims=True))).reshape(-1)


_UNDERFLOW = object()


def _block_trpo_step_F(pi, d, tau, step):
    r""":math:`F\Delta` for the softmax Fisher blocks: :math:`d(s)\tau^{-2}\pi_s\circ(\Delta_s - \pi_s^\top\Delta_s)`."""
    x = step.reshape(pi.shape)
    return ((d / (tau * tau))[:, None] * pi * (x - (pi * x).sum(axis=1, keepdims=True))).reshape(-1)


def _softmax_pinv(pi, d, scale, g):
    r"""Closed-form :math:`F^\dagger g` and :math:`F F^\dagger g` for the softmax Fisher blocks.

    With :math:`B_s = c\,d(s)(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)`, ``c = scale``, and all
    :math:`c\,d(s)\pi(a|s)` normal floats (the usual case), the minimum-norm solution is

    .. math::

        B_s^\dagger g_s = y - \bar y\,\mathbf 1, \qquad y_a = \frac{g_a}{c\,d\,\pi_a},

    the formula (and the operation order) of
    :meth:`mdptheory.geometry.BlockDiagonal.pinv_solve` with ``in_range=True``: the
    softmax gradient has :math:`\sum_a g_{s,a} = 0` (a constant added to
    :math:`\theta_s` leaves :math:`\pi` unchanged), so its range projection is
    taken as exact and no rounding-level component is divided by :math:`\pi_a`.  Returns
    ``None`` when some :math:`c\,d\,\pi_a` is exactly 0 (the caller then uses
    :func:`mdptheory.geometry.softmax_fisher_blocks`, which leaves those entries
    out of the support) and ``_UNDERFLOW`` when some is a positive subnormal (no
    reliable division).
    """
    den = (scale * d)[:, None] * pi
    tiny = np.finfo(float).tiny
    if not den.min() >= tiny:
        if ((den < tiny) & (pi > 0) & (d > 0)[:, None]).any():
            return _UNDERFLOW
        return None
    G = g.reshape(pi.shape)
    y = G / den
    x = y - y.sum(axis=1, keepdims=True) / pi.shape[1]
    Fx = den * (x - (pi * x).sum(axis=1, keepdims=True))
    return x.reshape(-1), Fx.reshape(-1)


def _block_trpo_step(g, pi, d, temperature, delta, convention):
    r""":func:`mdptheory.geometry.trpo_step` for the tabular-softmax Fisher, without the dense matrix.

    .. math::

        \Delta = \sqrt{\frac{c\,\delta}{g^\top F^\dagger g}}\, F^\dagger g,
        \qquad c = 2\ \text{("half")},\ c = 1\ \text{("lecture")},

    with :math:`F^\dagger g` the closed-form block pseudo-inverse (:func:`_softmax_pinv`, or
    :meth:`mdptheory.geometry.BlockDiagonal.pinv_solve` when some :math:`d(s)\pi(a|s)`
    is 0; a non-finite step when one is subnormal, where the dense route's step
    overflows too) and the zero step when :math:`g^\top F^\dagger g \le 0`.
    ``trpo_step``'s range check is not needed: the softmax gradient lies in the
    range of its Fisher matrix by construction (per state it is
    :math:`d\,\pi\circ(A - \pi^\top A)`, a vector :math:`B_s u`), so the problem is
    bounded.  Returns ``(step, F @ step)``.
    """
    tau = float(temperature)
    fast = _softmax_pinv(pi, d, 1.0 / (tau * tau), g)
    if fast is _UNDERFLOW:
        # 0 < d(s) pi(a|s) / tau^2 < tiny: F^+ g divides by a subnormal and is rounding noise
        # times ~1e308, as the dense route's eigh would give; report a non-finite step
        nan = np.full_like(g, np.nan)
        return nan, nan
    if fast is not None:
        x, Fx = fast
    else:
        F = softmax_fisher_blocks(pi, d, temperature=temperature)
        x = np.asarray(F.pinv_solve(g, in_range=True), dtype=float).reshape(-1)
        Fx = np.asarray(F @ x, dtype=float).reshape(-1)
    q = float(g @ x)
    if q <= 0:
        return np.zeros_like(g), np.zeros_like(g)
    c = np.sqrt((2.0 * delta if convention == "half" else delta) / q)
    return c * x, c * Fx


def trpo(mdp, param, *, delta, T: int, theta0=None, mu=None, rho=None, convention="half", line_search=False,
         max_backtracks: int = 20, progress=None) -> OptimizationResult:
    r"""TRPO with the exact Fisher trust region (statement G3).

    .. math::

        \theta^{(t+1)} = \theta^{(t)} + \sqrt{\frac{2\delta}{g^\top F^\dagger g}}\,F^\dagger g

    Parameters
    ----------
    mdp : MDP
    param : parameterization
        Any :mod:`mdptheory.policies` parameterization (``probs``, ``score``).
    delta : float, keyword-only
        Trust-region radius :math:`\delta > 0`.
    T : int, keyword-only
    theta0 : array_like, shape (n_params,), keyword-only
        Default 0.
    mu : array_like, shape (S,), keyword-only
        Distribution of the objective and of the Fisher matrix (default ``mdp.rho``).
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution (default ``mdp.rho``).
    convention : {"half", "lecture"}, keyword-only
        Constraint :math:`\tfrac12\Delta^\top F\Delta\le\delta` (default) or
        :math:`\Delta^\top F\Delta\le\delta`; see :func:`mdptheory.geometry.trpo_step`.
    line_search : bool, keyword-only
        Backtrack on the true KL constraint and on improvement (see module docstring).
    max_backtracks : int, keyword-only
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        ``grad_norms[t]`` is :math:`\|\nabla V^{(t)}(\mu)\|_2`; ``step_sizes[t]``
        the step length :math:`\|\Delta_t\|_2`; ``extras["quadratic_kl"]`` the
        model :math:`\tfrac12\Delta^\top F\Delta` and ``extras["true_kl"]`` the
        true :math:`\mathbb{E}_{d_\mu^{(t)}}\mathrm{KL}(\pi_t\|\pi_{t+1})`.  If a
        step overflows (past the optimum, where :math:`g` is rounding noise and
        the normalised step grows without bound), the run stops there with
        ``success = False`` and says so in ``message``.
    """
    delta = check_positive(delta, "delta")
    T = check_T(T)
    if convention not in ("half", "lecture"):
        raise InvalidParameterError(f"convention must be 'half' or 'lecture'; got {format_value(convention)}")
    fm = float_mdp(mdp)
    g_ = float(mdp.gamma)
    mu = distribution(mdp, mu, "mu", exact=False)
    rho = distribution(mdp, rho, "rho", exact=False)
    theta = softmax_theta0(mdp, theta0, int(param.n_params))
    options = {"delta": delta, "T": T, "convention": convention, "line_search": bool(line_search),
               "param": type(param).__name__, "theta0": "zeros" if theta0 is None else "given"}
    res = OptimizationResult("trpo", options=options, rho=rho, v_star=v_star(mdp, rho, exact=False), exact=False,
                             progress=progress)
    S, A, n = mdp.n_states, mdp.n_actions, int(param.n_params)
    pi = np.asarray(param.probs(theta), dtype=float)
    ev = evaluate_float(fm, pi)
    radius = delta if convention == "half" else delta / 2.0
    tabular = isinstance(param, TabularSoftmax)
    tau = float(param.temperature) if tabular else 1.0
    same_rho = np.array_equal(mu, rho)  # then the KL trace reuses d_mu
    for t in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        if t == T:
            break
        d_mu = ev.visitation(mu)
        if tabular:
            # block-diagonal Fisher and closed-form pseudo-inverse: no (SA)x(SA) matrix, no eigh
            g = _softmax_gradient(pi, ev.advantage, d_mu, tau, 1.0 - g_)
            with np.errstate(over="ignore", invalid="ignore"):
                step, F_step = _block_trpo_step(g, pi, d_mu, param.temperature, delta, convention)
        else:
            # compatible_fa on this iteration's evaluation: F (the Gram of the score) and (1 - gamma) grad V
            F, b, _, _ = gram_moment(ev, float_array(param.score(theta), name="score").reshape(S * A, n), d_mu,
                                     target="advantage")
            g = b / (1.0 - g_)
            with np.errstate(over="ignore", invalid="ignore"):
                step = np.asarray(trpo_step(g, F, delta, convention=convention), dtype=float)
            F_step = None
        if not np.all(np.isfinite(step)):
            # at the optimum g is rounding noise and the normalised step sqrt(2 delta / g'F^+g) F^+g
            # can overflow; stop rather than step to a non-finite theta
            return res._finish(False, f"non-finite trust-region step at iteration {t} "
                                     f"(max |grad V| = {float(np.max(np.abs(g))):.3e})")
        v_mu = float(mu @ ev.V)
        new_theta = theta + step
        pi_next = np.asarray(param.probs(new_theta), dtype=float)
        ev_next = None
        if line_search:
            for _ in range(int(max_backtracks)):
                true_kl = float(d_mu @ kl_rows(pi, pi_next))
                if true_kl <= radius:
                    ev_next = evaluate_float(fm, pi_next)
                    if float(mu @ ev_next.V) >= v_mu:
                        break
                ev_next = None
                step = step / 2.0
                new_theta = theta + step
                pi_next = np.asarray(param.probs(new_theta), dtype=float)
        true_kl = float(d_mu @ kl_rows(pi, pi_next))
        kl, kl_max = kl_trace(pi_next, pi, d_mu if same_rho else visitation_from(ev, rho, g_))
        if line_search and tabular:
            F_step = _block_trpo_step_F(pi, d_mu, tau, step)
        elif F_step is None or line_search:
            F_step = F @ step
        res._record_step(grad_norm=float(np.linalg.norm(g)), step_size=float(np.linalg.norm(step)), kl=kl,
                        kl_max=kl_max, quadratic_kl=0.5 * float(step @ np.asarray(F_step).reshape(-1)),
                        true_kl=true_kl)
        theta, pi = new_theta, pi_next
        ev = ev_next if ev_next is not None else evaluate_float(fm, pi)
    return res._finish(True, f"completed T = {T} iterations")
