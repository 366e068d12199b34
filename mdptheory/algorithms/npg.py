r"""Natural policy gradient: tabular softmax (closed form and through :math:`F^\dagger`) and log-linear NPG / Q-NPG.

Tabular softmax NPG (AJKS §10.3, Lemma 10.6, Thm 10.7; statement E2–E4):

.. math::

    \theta^{(t+1)} = \theta^{(t)} + \eta\, F_\mu(\theta^{(t)})^\dagger \nabla_\theta V^{(t)}(\mu),
    \qquad\text{equivalently}\qquad
    \pi_{t+1}(a|s) = \frac{\pi_t(a|s)\exp\big(\eta A^{(t)}(s,a)/(1-\gamma)\big)}{Z_t(s)},

    Z_t(s) = \sum_a \pi_t(a|s)\exp\big(\eta A^{(t)}(s,a)/(1-\gamma)\big),

on every state with :math:`d_\mu^{\pi_t}(s) > 0` (Lemma 10.6: :math:`F^\dagger\nabla V`
is :math:`(1-\gamma)^{-1}A` up to a per-state constant, which cancels in the
softmax).  The closed-form update does not involve :math:`\mu` at all, so the
iterates are the same for every start distribution.

Log-linear NPG and Q-NPG (AJKS §11.2; statement F3, F4): for
:math:`\pi_\theta(a|s)\propto\exp(\theta^\top\phi(s,a))`,

.. math::

    w_t \in \arg\min_w \mathbb{E}_{s\sim d_\mu^{(t)}, a\sim\pi_t}
        \big(A^{(t)}(s,a) - w^\top\nabla_\theta\log\pi_t(a|s)\big)^2
    \quad\text{(NPG)}, \qquad
    w_t \in \arg\min_w \mathbb{E}\big(Q^{(t)}(s,a) - w^\top\phi(s,a)\big)^2
    \quad\text{(Q-NPG)},

    \theta^{(t+1)} = \theta^{(t)} + \eta\, w_t,

with the exact (minimum-norm) regression of :func:`mdptheory.geometry.compatible_fa`
and :func:`mdptheory.geometry.q_npg_weights`.  All of these are float64 (the
update exponentiates).

Every iteration costs one evaluation (one LU factorization of
:math:`I-\gamma P^{\pi_t}`), whose factors also give the visitations of the
regression and of the KL trace; options and distributions are validated once,
when the run starts.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from ..deprecation import renamed_keyword
from ..fields import float_array
from ..geometry import natural_gradient
from ..policies import LogLinear, TabularSoftmax
from ._common import (check_T, check_positive, compatible_fit, distribution, evaluate_float, float_mdp,
                      kl_trace, softmax_theta0, v_star, visitation_from)
from .result import OptimizationResult

__all__ = ["natural_policy_gradient", "loglinear_npg", "npg_log_normalizer"]


def npg_log_normalizer(pi, A, eta, gamma) -> np.ndarray:
    r"""Per-state log-normaliser of the NPG update (AJKS Lemma 10.8; statement E3).

    .. math::

        \log Z_t(s) = \log\sum_a \pi_t(a|s)\exp\big(\eta A^{(t)}(s,a)/(1-\gamma)\big) \;\ge\; 0

    (nonnegative by Jensen, since :math:`\sum_a\pi_t(a|s)A^{(t)}(s,a) = 0`),
    computed stably in log space.

    Parameters
    ----------
    pi, A : array_like, shape (S, A)
    eta, gamma : float

    Returns
    -------
    ndarray, shape (S,)
    """
    pi = float_array(pi, name="pi")
    A = float_array(A, name="A")
    x = float(eta) * A / (1.0 - float(gamma))
    with np.errstate(divide="ignore"):
        logits = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)) + x, -np.inf)
    m = logits.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]


def _npg_step(pi, Adv, eta, one_minus_gamma):
    r"""One closed-form NPG step and its log-normalisers from one log-sum-exp.

    .. math::

        \ell(s,a) = \log\pi_t(a|s) + \eta A^{(t)}(s,a)/(1-\gamma),\qquad
        \pi_{t+1} = e^{\ell - \log Z_t},\qquad
        \log Z_t(s) = \log\sum_a e^{\ell(s,a)},

    the same operations, hence the same digits, as
    :func:`mdptheory.geometry.npg_update` and :func:`npg_log_normalizer`, for
    the validated float arrays of a run (no re-validation, one exponential).
    """
    x = eta * Adv / one_minus_gamma
    if pi.min() > 0:  # the usual case for a softmax: no masking needed
        logits = np.log(pi) + x
    else:  # actions with pi_t = 0 stay at 0
        with np.errstate(divide="ignore"):
            logits = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)) + x, -np.inf)
    m = logits.max(axis=1, keepdims=True)
    w = np.exp(logits - m)
    z = w.sum(axis=1, keepdims=True)
    return w / z, (m + np.log(z))[:, 0]


def natural_policy_gradient(mdp, *, eta, T: int, via="closed_form", theta0=None, mu=None, rho=None,
                            progress=None) -> OptimizationResult:
    r"""Tabular softmax NPG with exact advantages (AJKS Lemma 10.6, Thm 10.7; statement E2–E4).

    .. math::

        \pi_{t+1}(a|s) = \pi_t(a|s)\,\frac{\exp(\eta A^{(t)}(s,a)/(1-\gamma))}{Z_t(s)},
        \qquad
        \theta^{(t+1)} = \theta^{(t)} + \eta F_\mu^\dagger\nabla V^{(t)}(\mu).

    Parameters
    ----------
    mdp : MDP
    eta : float, keyword-only
        Step size :math:`\eta > 0` (Thm 10.7 allows any).
    T : int, keyword-only
        Number of steps.
    via : {"closed_form", "fisher"}, keyword-only
        ``"closed_form"``: the multiplicative update above, with
        :math:`\theta^{(t+1)} = \theta^{(t)} + \eta A^{(t)}/(1-\gamma)` (independent
        of :math:`\mu`); ``"fisher"``: :math:`\theta^{(t+1)} = \theta^{(t)} + \eta w`
        with :math:`w = F_\mu^\dagger\nabla V(\mu)` from
        :func:`mdptheory.geometry.natural_gradient` (block-diagonal Fisher and
        implicit-differentiation gradient).  The two give the same policies
        when :math:`d_\mu^{\pi_t} > 0` on every state (e.g. :math:`\mu > 0`);
        the Fisher route does not move states that :math:`\mu` never visits.
    theta0 : array_like, shape (S*A,), keyword-only
        Initial parameter (default 0: the uniform policy, as Thm 10.7 assumes).
    mu : array_like, shape (S,), keyword-only
        Distribution of the Fisher route (default ``mdp.rho``); unused by the closed form.
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution of ``values`` and ``gaps`` (default ``mdp.rho``).
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        ``grad_norms[t]`` is :math:`\|F^\dagger\nabla V^{(t)}\|_2` (the minimum-norm
        NPG direction :math:`(1-\gamma)^{-1}(A - \bar A_s)`, closed form);
        ``extras["log_Z"]`` the per-state :math:`\log Z_t` (shape (S,)).

    Examples
    --------
    >>> from mdptheory.families import bandit
    >>> res = natural_policy_gradient(bandit([1.0, 0.0]), eta=1.0, T=30)
    >>> res.gap < 1e-10
    True
    """
    if via not in ("closed_form", "fisher"):
        raise InvalidParameterError(f"via must be 'closed_form' or 'fisher'; got {format_value(via)}")
    eta = check_positive(eta, "eta")
    T = check_T(T)
    S, A = mdp.n_states, mdp.n_actions
    fm = float_mdp(mdp)
    g = float(mdp.gamma)
    mu = distribution(mdp, mu, "mu", exact=False)
    rho = distribution(mdp, rho, "rho", exact=False)
    param = TabularSoftmax(S, A)
    theta = softmax_theta0(mdp, theta0, param.n_params)
    options = {"eta": eta, "T": T, "via": via, "theta0": "zeros" if theta0 is None else "given"}
    res = OptimizationResult("natural_policy_gradient", options=options, rho=rho,
                             v_star=v_star(mdp, rho, exact=False), exact=False, progress=progress)
    pi = param.probs(theta)
    ev = evaluate_float(fm, pi)
    c = 1.0 - g
    for t in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        if t == T:
            break
        Adv = ev.advantage
        # minimum-norm direction (1 - gamma)^{-1} (A - mean_a A) (Lemma 10.6), for the trace only
        w_min = (Adv - Adv.sum(axis=1, keepdims=True) / A) / c
        pi_closed, log_Z = _npg_step(pi, Adv, eta, c)
        if via == "closed_form":
            theta = theta + eta * (Adv / c).reshape(-1)
            pi_next = pi_closed
        else:
            w = np.asarray(natural_gradient(fm, param, theta, mu=mu, mode="float"), dtype=float)
            theta = theta + eta * w
            pi_next = param.probs(theta)
        kl, kl_max = kl_trace(pi_next, pi, visitation_from(ev, rho, g))
        res._record_step(grad_norm=float(np.linalg.norm(w_min)), step_size=eta, kl=kl, kl_max=kl_max,
                        log_Z=log_Z)
        pi = pi_next
        ev = evaluate_float(fm, pi)
    return res._finish(True, f"completed T = {T} iterations")


def loglinear_npg(mdp, features, *, eta, T: int, update="npg", theta0=None, mu=None, rho=None,
                  progress=None, variant=None) -> OptimizationResult:
    r"""NPG or Q-NPG for a log-linear policy with exact regression (AJKS §11.2, Lemma 11.3; statement F3, F4).

    .. math::

        \pi_\theta(a|s) \propto \exp(\theta^\top\phi(s,a)),\qquad
        \theta^{(t+1)} = \theta^{(t)} + \eta\, w_t,

    where ``update="npg"`` fits :math:`A^{(t)}` on the centred features
    :math:`\nabla_\theta\log\pi_t = \phi - \mathbb{E}_{\pi_t}\phi` and
    ``update="q_npg"`` fits :math:`Q^{(t)}` on :math:`\phi`, both under
    :math:`s\sim d_\mu^{(t)}, a\sim\pi_t` (minimum-norm minimisers).

    Parameters
    ----------
    mdp : MDP
    features : array_like, shape (S, A, d)
    eta : float, keyword-only
    T : int, keyword-only
    update : {"npg", "q_npg"}, keyword-only
        Which regression gives the step (``variant`` is its deprecated name).
    theta0 : array_like, shape (d,), keyword-only
        Default 0 (the uniform policy, as Lemma 11.3 assumes).
    mu : array_like, shape (S,), keyword-only
        Fitting distribution (default ``mdp.rho``).
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution (default ``mdp.rho``).
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        ``grad_norms[t]`` is :math:`\|w_t\|_2`; ``extras["w"]`` the weights
        :math:`w_t`, ``extras["w_norm"]`` their norms and
        ``extras["fit_error"]`` the regression loss
        :math:`\mathbb{E}_{d_\mu^{(t)},\pi_t}(y - w_t\cdot x)^2` (the
        transfer error ``err_t`` of Lemma 11.3 depends on a comparator policy
        and is computed by the F4 checker from ``policies`` and ``extras["w"]``).
    """
    variant = renamed_keyword("loglinear_npg", "variant", "update", old_value=variant, new_value=update,
                              default="npg")
    if variant not in ("npg", "q_npg"):
        raise InvalidParameterError(f"update must be 'npg' or 'q_npg'; got {format_value(variant)}")
    eta = check_positive(eta, "eta")
    T = check_T(T)
    param = features if isinstance(features, LogLinear) else LogLinear(features)
    if (param.n_states, param.n_actions) != (mdp.n_states, mdp.n_actions):
        raise InvalidParameterError(
            f"features are for (S, A) = ({param.n_states}, {param.n_actions}); the MDP has "
            f"({mdp.n_states}, {mdp.n_actions})")
    fm = float_mdp(mdp)
    mu = distribution(mdp, mu, "mu", exact=False)
    rho = distribution(mdp, rho, "rho", exact=False)
    theta = softmax_theta0(mdp, theta0, param.n_params)
    options = {"eta": eta, "T": T, "update": variant, "n_features": param.n_params,
               "theta0": "zeros" if theta0 is None else "given"}
    res = OptimizationResult("loglinear_npg", options=options, rho=rho, v_star=v_star(mdp, rho, exact=False),
                             exact=False, progress=progress)
    g = float(mdp.gamma)
    S, A, n = param.n_states, param.n_actions, param.n_params
    if variant == "q_npg":  # the raw features, fixed for the run
        phi = float_array(param.features, name="features").reshape(S * A, n)
    pi = param.probs(theta)
    ev = evaluate_float(fm, pi)
    for t in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        if t == T:
            break
        # compatible_fa / q_npg_weights on this iteration's evaluation (no second solve)
        X = (float_array(param.score(theta), name="score").reshape(S * A, n) if variant == "npg" else phi)
        fit = compatible_fit(ev, X, ev.visitation(mu), target="advantage" if variant == "npg" else "q")
        w = np.asarray(fit.w, dtype=float)
        theta = theta + eta * w
        pi_next = param.probs(theta)
        kl, kl_max = kl_trace(pi_next, pi, visitation_from(ev, rho, g))
        wn = float(np.linalg.norm(w))
        res._record_step(grad_norm=wn, step_size=eta, kl=kl, kl_max=kl_max, w=w, w_norm=wn,
                        fit_error=float(fit.error))
        pi = pi_next
        ev = evaluate_float(fm, pi)
    return res._finish(True, f"completed T = {T} iterations")
