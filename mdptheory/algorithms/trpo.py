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
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError
from ..fields import float_array
from ..geometry import trpo_step
from ._common import (check_T, check_positive, distribution, evaluate_float, float_mdp, gram_moment, kl_rows,
                      kl_trace, softmax_theta0, v_star, visitation_from)
from .result import OptimizationResult

__all__ = ["trpo"]


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
        raise InvalidParameterError(f"convention must be 'half' or 'lecture'; got {convention!r}")
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
    for t in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        if t == T:
            break
        # compatible_fa on this iteration's evaluation: F (the Gram of the score) and (1 - gamma) grad V
        d_mu = ev.visitation(mu)
        F, b, _, _ = gram_moment(ev, float_array(param.score(theta), name="score").reshape(S * A, n), d_mu,
                                 target="advantage")
        g = b / (1.0 - g_)
        with np.errstate(over="ignore", invalid="ignore"):
            step = np.asarray(trpo_step(g, F, delta, convention=convention), dtype=float)
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
        kl, kl_max = kl_trace(pi_next, pi, visitation_from(ev, rho, g_))
        res._record_step(grad_norm=float(np.linalg.norm(g)), step_size=float(np.linalg.norm(step)), kl=kl,
                        kl_max=kl_max, quadratic_kl=0.5 * float(step @ F @ step), true_kl=true_kl)
        theta, pi = new_theta, pi_next
        ev = ev_next if ev_next is not None else evaluate_float(fm, pi)
    return res._finish(True, f"completed T = {T} iterations")
