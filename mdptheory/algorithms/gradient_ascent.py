r"""Exact gradient ascent on the tabular softmax: plain and log-barrier regularised.

Softmax policy gradient (AJKS §10.1, Thm 10.3; statement D3, B6):

.. math::

    \theta^{(t+1)} = \theta^{(t)} + \eta\, \nabla_\theta V^{\pi_{\theta^{(t)}}}(\mu),
    \qquad
    \frac{\partial V^{\pi_\theta}(\mu)}{\partial \theta_{s,a}}
    = \frac{1}{1-\gamma}\, d_\mu^{\pi_\theta}(s)\, \pi_\theta(a|s)\, A^{\pi_\theta}(s,a)

(Lemma 10.2).  :math:`V^{\pi_\theta}(\mu)` is :math:`\beta`-smooth with
:math:`\beta = 8/(1-\gamma)^3` (statement D4), so :math:`\eta = 1/\beta = (1-\gamma)^3/8`
is the default step size.

Log-barrier gradient ascent (AJKS §10.2, Thm 10.4, Cor. 10.5; statement D5, D6)
ascends

.. math::

    L_\lambda(\theta) = V^{\pi_\theta}(\mu)
      + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s),
    \qquad
    \frac{\partial L_\lambda}{\partial\theta_{s,a}}
      = \frac{1}{1-\gamma}\, d_\mu(s)\,\pi(a|s)\,A(s,a)
        + \frac{\lambda}{|S|}\Big(\frac{1}{|A|} - \pi(a|s)\Big),

which is :math:`\beta_\lambda`-smooth with
:math:`\beta_\lambda = 8\gamma/(1-\gamma)^3 + 2\lambda/|S|` (default
:math:`\eta = 1/\beta_\lambda`).

Both algorithms are float64 (the softmax is transcendental).  Every iteration
costs one factorization of :math:`I-\gamma P^\pi` (values and, by the transposed
solve, the visitations).
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError
from ..policies import TabularSoftmax
from ._common import (check_T, check_positive, distribution, evaluate_float, float_mdp, kl_trace,
                      softmax_rows, softmax_theta0, v_star, visitation_from)
from .result import OptimizationResult

__all__ = ["softmax_policy_gradient", "log_barrier_policy_gradient", "softmax_beta",
           "log_barrier_beta"]


def softmax_beta(gamma) -> float:
    r"""Smoothness constant :math:`\beta = 8/(1-\gamma)^3` of :math:`\theta\mapsto V^{\pi_\theta}(\mu)`
    for the tabular softmax (Agarwal et al. 2021, Lemma D.4; Mei et al. 2020, Lemma 7; statement D4).

    .. math::

        \beta = \frac{8}{(1-\gamma)^3}
    """
    g = float(gamma)
    if not 0 <= g < 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {gamma!r}")
    return 8.0 / (1.0 - g) ** 3


def log_barrier_beta(gamma, lam, n_states) -> float:
    r"""Smoothness constant of the log-barrier objective (AJKS Thm 10.4 / Cor. 10.5; statement D4).

    .. math::

        \beta_\lambda = \frac{8\gamma}{(1-\gamma)^3} + \frac{2\lambda}{|S|}
    """
    g = float(gamma)
    if not 0 <= g < 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {gamma!r}")
    lam = check_positive(lam, "lam")
    return 8.0 * g / (1.0 - g) ** 3 + 2.0 * lam / int(n_states)


def _gradient(mdp, param, theta, ev, d_mu, gradient, mu):
    """Gradient of V(mu) at theta: Lemma 10.2 on the evaluation, or implicit differentiation."""
    if gradient == "closed_form":
        g = d_mu[:, None] * ev.pi * ev.advantage / (1.0 - float(mdp.gamma))  # Lemma 10.2
        return g.reshape(-1)
    from ..gradients import value_gradient

    return np.asarray(value_gradient(float_mdp(mdp), param, theta, mu=mu, mode="float"), dtype=float)


def _run(name, mdp, *, eta, T, theta0, mu, rho, gradient, lam, gtol, progress, options):
    if gradient not in ("closed_form", "implicit"):
        raise InvalidParameterError(f"gradient must be 'closed_form' or 'implicit'; got {gradient!r}")
    T = check_T(T)
    S, A = mdp.n_states, mdp.n_actions
    fm = float_mdp(mdp)
    mu = distribution(mdp, mu, "mu", exact=False)
    rho = distribution(mdp, rho, "rho", exact=False)
    param = TabularSoftmax(S, A)
    theta = softmax_theta0(mdp, theta0, param.n_params)
    res = OptimizationResult(name, options=options, rho=rho, v_star=v_star(mdp, rho, exact=False),
                             exact=False, progress=progress)
    res.extras["value_mu"] = []
    if lam is not None:
        res.extras["objective"] = []
    g = float(mdp.gamma)
    same_rho = np.array_equal(mu, rho)  # then the KL trace reuses d_mu
    pi, logp = softmax_rows(param, theta)
    ev = evaluate_float(fm, pi)
    stop = f"completed T = {T} iterations"
    for t in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        v_mu = float(mu @ ev.V)
        res.extras["value_mu"].append(v_mu)
        d_mu = ev.visitation(mu)
        grad = _gradient(fm, param, theta, ev, d_mu, gradient, mu)
        if lam is not None:
            grad = grad + (lam / S) * (1.0 / A - pi).reshape(-1)
            res.extras["objective"].append(v_mu + lam / (S * A) * float(np.sum(logp)))
        gnorm = float(np.linalg.norm(grad))
        if not np.all(np.isfinite(grad)):
            return res._finish(False, f"non-finite gradient at iteration {t}")
        if t == T:
            res.extras.setdefault("final_grad_norm", []).append(gnorm)
            break
        if gtol is not None and gnorm <= gtol:
            res.extras.setdefault("final_grad_norm", []).append(gnorm)
            stop = f"gradient norm {gnorm:.3e} <= gtol = {gtol:.3e} at iteration {t}"
            break
        theta = theta + eta * grad
        pi_next, logp = softmax_rows(param, theta)
        kl, kl_max = kl_trace(pi_next, pi, d_mu if same_rho else visitation_from(ev, rho, g))
        res._record_step(grad_norm=gnorm, step_size=eta, kl=kl, kl_max=kl_max)
        pi = pi_next
        ev = evaluate_float(fm, pi)
    return res._finish(True, stop)


def softmax_policy_gradient(mdp, *, T: int, eta=None, theta0=None, mu=None, rho=None, gradient="closed_form",
                            gtol=None, progress=None) -> OptimizationResult:
    r"""Exact softmax policy gradient ascent (AJKS Thm 10.3; statement D3, B6, D7).

    .. math::

        \theta^{(t+1)} = \theta^{(t)} + \eta\,\nabla_\theta V^{(t)}(\mu),
        \qquad
        \partial_{\theta_{s,a}} V(\mu) = \tfrac{1}{1-\gamma}\, d_\mu(s)\pi(a|s)A(s,a).

    Parameters
    ----------
    mdp : MDP
        Exact MDPs are run in float64 (the softmax is transcendental); the
        optimum :math:`V^\star` is computed exactly.
    T : int, keyword-only
        Number of steps.
    eta : float, keyword-only
        Step size; default :math:`(1-\gamma)^3/8 = 1/\beta` (Thm 10.3, Lemma 9.6).
    theta0 : array_like, shape (S*A,), keyword-only
        Initial parameter (default 0, the uniform policy); ``theta[s*A + a]``.
    mu : array_like, shape (S,), keyword-only
        Distribution whose value :math:`V(\mu)` is ascended (default ``mdp.rho``).
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution of ``values`` and ``gaps`` (default ``mdp.rho``).
    gradient : {"closed_form", "implicit"}, keyword-only
        Lemma 10.2 applied to the iteration's evaluation (one factorization per
        step), or :func:`mdptheory.gradients.value_gradient` (implicit
        differentiation of the Bellman system).
    gtol : float, optional, keyword-only
        Stop when :math:`\|\nabla V(\mu)\|_2 \le` ``gtol``.
    progress : None, bool, int or callable, keyword-only
        See :func:`mdptheory.algorithms.make_progress`.

    Returns
    -------
    OptimizationResult
        ``grad_norms[t]`` is :math:`\|\nabla_\theta V^{(t)}(\mu)\|_2`;
        ``extras["value_mu"]`` the values :math:`V^{(t)}(\mu)` (one per iterate)
        and ``extras["final_grad_norm"]`` the gradient norm at the last iterate.

    Examples
    --------
    >>> from mdptheory.families import bandit
    >>> res = softmax_policy_gradient(bandit([1.0, 0.0]), T=200, eta=10.0)
    >>> res.gap < 1e-2
    True
    """
    g = float(mdp.gamma)
    eta = (1.0 - g) ** 3 / 8.0 if eta is None else check_positive(eta, "eta")
    options = {"eta": eta, "T": T, "gradient": gradient, "gtol": gtol,
               "theta0": "zeros" if theta0 is None else "given"}
    return _run("softmax_policy_gradient", mdp, eta=eta, T=T, theta0=theta0, mu=mu, rho=rho, gradient=gradient,
                lam=None, gtol=gtol, progress=progress, options=options)


def log_barrier_policy_gradient(mdp, *, lam, T: int, eta=None, theta0=None, mu=None, rho=None,
                                gradient="closed_form", gtol=None, progress=None) -> OptimizationResult:
    r"""Gradient ascent on the log-barrier regularised objective (AJKS Thm 10.4, Cor. 10.5; statement D5, D6).

    .. math::

        L_\lambda(\theta) = V^{\pi_\theta}(\mu) + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s),
        \qquad
        \nabla_{\theta_{s,a}} L_\lambda = \tfrac{1}{1-\gamma} d_\mu(s)\pi(a|s)A(s,a)
            + \tfrac{\lambda}{|S|}\big(\tfrac{1}{|A|} - \pi(a|s)\big).

    Parameters
    ----------
    mdp : MDP
    lam : float, keyword-only
        Regularisation strength :math:`\lambda > 0`.
    T : int, keyword-only
        Maximum number of steps.
    eta : float, keyword-only
        Step size; default :math:`1/\beta_\lambda`,
        :math:`\beta_\lambda = 8\gamma/(1-\gamma)^3 + 2\lambda/|S|`.
    theta0, mu, rho, gradient, progress
        As in :func:`softmax_policy_gradient`.
    gtol : float, optional, keyword-only
        Stop at the first iterate with :math:`\|\nabla L_\lambda\|_2 \le` ``gtol``
        (Thm 10.4 uses :math:`\lambda/(2|S||A|)`).

    Returns
    -------
    OptimizationResult
        ``grad_norms[t]`` is :math:`\|\nabla L_\lambda(\theta^{(t)})\|_2`;
        ``extras["objective"]`` holds :math:`L_\lambda(\theta^{(t)})` and
        ``extras["value_mu"]`` :math:`V^{(t)}(\mu)` (one per iterate);
        ``extras["final_grad_norm"]`` the gradient norm at the last iterate.
    """
    lam = check_positive(lam, "lam")
    eta = 1.0 / log_barrier_beta(mdp.gamma, lam, mdp.n_states) if eta is None else check_positive(eta, "eta")
    options = {"lam": lam, "eta": eta, "T": T, "gradient": gradient, "gtol": gtol,
               "theta0": "zeros" if theta0 is None else "given"}
    return _run("log_barrier_policy_gradient", mdp, eta=eta, T=T, theta0=theta0, mu=mu, rho=rho,
                gradient=gradient, lam=lam, gtol=gtol, progress=progress, options=options)
