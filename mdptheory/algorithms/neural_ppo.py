r"""Neural PPO / TRPO (Liu, Cai, Yang, Wang 2019; statement I1–I4).

Energy-based policies :math:`\pi_{\theta_k}\propto\exp(\tau_k^{-1}f_{\theta_k})` whose
energy :math:`f_\theta = \mathrm{NN}(\theta; m_f)` and critic
:math:`Q_\omega = \mathrm{NN}(\omega; m_Q)` are two-layer ReLU networks

.. math::

    u_\alpha(s,a) = \frac{1}{\sqrt m}\sum_{i=1}^m b_i\,\mathrm{ReLU}(\alpha_i^\top\phi(s,a)),
    \quad b_i\sim\mathrm{Unif}([-1,1])\text{ fixed},\quad \alpha_i(0)\sim N(0, I_d/d),
    \quad \|\alpha - \alpha(0)\|_2\le R

(:class:`mdptheory.policies.NeuralSoftmax` supplies the network, its Jacobian
and the projection).  Iteration :math:`k` of Algorithm 1:

1. :math:`\beta_k = \beta\sqrt K`, :math:`\tau_{k+1} = \beta\sqrt K/(k+1)`
   (:math:`\tau_0 = 1`, :math:`f_0 = 0`: :math:`\pi_0` uniform);
2. sample :math:`(s_t, a_t)\sim\sigma_k = \nu_k\pi_{\theta_k}`, :math:`a_t^0\sim\pi_0(\cdot|s_t)`,
   :math:`s_t'\sim P(\cdot|s_t,a_t)`, :math:`a_t'\sim\pi_{\theta_k}(\cdot|s_t')`;
3. TD (Algorithm 3) for the critic, with the paper's normalised target
   :math:`\omega \leftarrow \Pi_{R_Q}\big(\omega - \eta(Q_\omega(s,a) - (1-\gamma)r(s,a) - \gamma Q_\omega(s',a'))\nabla_\omega Q_\omega(s,a)\big)`;
4. projected SGD (Algorithm 2) on
   :math:`\mathbb E_{\tilde\sigma_k}\big(f_\theta - \tau_{k+1}(\beta_k^{-1}Q_{\omega_k} + \tau_k^{-1}f_{\theta_k})\big)^2`,
   :math:`\tilde\sigma_k = \nu_k\pi_0`;
5. :math:`\pi_{\theta_{k+1}}\propto\exp(\tau_{k+1}^{-1}f_{\theta_{k+1}})`.

The step is the closed form of the KL-regularised improvement (Proposition 3.1;
statement I1): :math:`\arg\max_\pi\mathbb E_{\nu_k}[\langle Q,\pi\rangle - \beta_k\mathrm{KL}(\pi\|\pi_{\theta_k})]
\propto\exp(\beta_k^{-1}Q + \tau_k^{-1}f_{\theta_k})`.

Conventions (the paper's): :math:`\nu_\pi` is the *stationary* state
distribution of the chain :math:`P^\pi` (:func:`stationary_distribution`),
:math:`\sigma_\pi = \nu_\pi\pi`; the action-value function is normalised,
:math:`\tilde Q^\pi = (1-\gamma)Q^\pi`, the fixed point of
:math:`\tilde Q = (1-\gamma)r + \gamma P\Pi\tilde Q`, and
:math:`\tilde V^\pi = (1-\gamma)V^\pi`; the objective is
:math:`\mathcal L(\pi) = \mathbb E_{s\sim\nu^*}\tilde V^\pi(s)`, :math:`\nu^*` the
stationary distribution of :math:`\pi^*`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError, format_value
from ..deprecation import renamed_keyword
from ..fields import exact_array, float_array, is_exact_scalar
from ..modes import resolve_mode, solve_linear
from ..policies import NeuralSoftmax
from ..policies.softmax import log_softmax
from ..policies.tabular import as_policy
from ._common import check_T, check_positive, distribution, float_mdp, kl_moved, optimum
from .result import OptimizationResult

__all__ = ["stationary_distribution", "ppo_schedule", "ideal_energies", "neural_ppo_objective",
           "ideal_neural_ppo", "neural_ppo"]


# ---------------------------------------------------------------- stationary distributions
def stationary_distribution(mdp, pi, *, start=None, mode=None) -> np.ndarray:
    r"""A stationary distribution :math:`\nu = \nu P^\pi` of the chain of ``pi`` (Liu et al. (2019)'s :math:`\nu_\pi`).

    .. math::

        \nu = \lim_{n\to\infty}\frac1n\sum_{t<n}\text{start}^\top(P^\pi)^t

    (the Cesàro limit from ``start``, default ``mdp.rho``), which is the unique
    stationary distribution when the chain has a single recurrent class.

    Float mode: the limit is computed by repeated squaring of the lazy chain
    :math:`(I + P^\pi)/2` (aperiodic, same stationary distributions), 64
    squarings.  Exact mode: the linear system :math:`\nu(I - P^\pi) = 0`,
    :math:`\sum_s\nu(s) = 1` solved in rationals; it must have a unique
    solution (a single recurrent class), otherwise
    :class:`~mdptheory.exceptions.InvalidParameterError` is raised.

    Parameters
    ----------
    mdp : MDP
    pi : array_like, shape (S, A)
    start : array_like, shape (S,), keyword-only
    mode : {None, "float", "exact"}, keyword-only

    Returns
    -------
    ndarray, shape (S,)
    """
    mode = resolve_mode(mdp, pi, mode=mode)
    exact = mode == "exact"
    m = mdp if exact else float_mdp(mdp)
    pi = as_policy(m, pi, exact=exact)
    P_pi = evaluate(m, pi, mode=mode).P_pi
    S = m.n_states
    if exact:
        P_pi = np.asarray(P_pi, dtype=object)
        M = np.empty((S, S), dtype=object)
        for i in range(S):
            for j in range(S):
                M[i, j] = (Fraction(1) if i == j else Fraction(0)) - P_pi[j, i]
        M[S - 1, :] = Fraction(1)
        b = np.array([Fraction(0)] * (S - 1) + [Fraction(1)], dtype=object)
        try:
            nu = solve_linear(M, b, "exact")
        except (ZeroDivisionError, ValueError):
            raise InvalidParameterError("the chain of pi has several recurrent classes: its stationary "
                                        "distribution is not unique (use float mode with a start)") from None
        return np.array([Fraction(x) for x in nu], dtype=object)
    start = distribution(m, start, "start", exact=False)
    L = 0.5 * (np.eye(S) + np.asarray(P_pi.toarray() if hasattr(P_pi, "toarray") else P_pi, dtype=float))
    for _ in range(64):
        L = L @ L
        L /= L.sum(axis=1, keepdims=True)
    nu = start @ L
    return nu / nu.sum()


# ---------------------------------------------------------------- schedules and ideal energies
def ppo_schedule(beta, K: int):
    r"""Penalties and temperatures of Neural PPO (Liu et al. 2019, Algorithm 1; statement I2).

    .. math::

        \beta_k = \beta\sqrt K\ (k < K), \qquad \tau_0 = 1,\quad \tau_{k+1} = \frac{\beta\sqrt K}{k+1}.

    Exact (Fractions) when ``beta`` is exact and ``K`` a perfect square.

    Returns
    -------
    betas : list, length K
    taus : list, length K + 1
    """
    K = check_T(K, "K")
    if K < 1:
        raise InvalidParameterError(f"K must be at least 1; got {K}")
    r = math.isqrt(K)
    exact = is_exact_scalar(beta) and r * r == K
    beta = check_positive(beta, "beta", exact=exact)
    bk = beta * r if exact else float(beta) * math.sqrt(K)
    one = Fraction(1) if exact else 1.0
    return [bk] * K, [one] + [bk / (k + 1) for k in range(K)]


def ideal_energies(Qs, *, beta, K: int) -> list:
    r"""Energies of the ideal update, by the recursion of Algorithm 1 (Liu et al. 2019; statement I2).

    .. math::

        f_0 = 0, \qquad f_{k+1} = \tau_{k+1}\big(\beta_k^{-1}Q_k + \tau_k^{-1}f_k\big)

    for a given sequence :math:`Q_0, Q_1, \dots` (exact when the :math:`Q_k`,
    ``beta`` are exact and ``K`` is a perfect square).  With the schedule of
    :func:`ppo_schedule` the result equals
    :math:`\frac1{k+1}\sum_{j\le k}Q_j` (checked by
    :func:`mdptheory.lemmas.ppo_schedule_identity`).

    Returns
    -------
    list of ndarray, shape (S, A)
        :math:`f_0, \dots, f_{\mathrm{len}(Qs)}`.
    """
    betas, taus = ppo_schedule(beta, K)
    if len(Qs) > K:
        raise InvalidParameterError(f"at most K = {K} action-value functions; got {len(Qs)}")
    Q0 = np.asarray(Qs[0]) if len(Qs) else None
    exact = isinstance(betas[0], Fraction)
    if exact and Q0 is not None:
        Qs = [exact_array(np.asarray(Q, dtype=object), name="Q") for Q in Qs]
    else:
        Qs = [float_array(Q, name="Q") for Q in Qs]
    f = (np.full(Q0.shape, Fraction(0), dtype=object) if exact else np.zeros(Q0.shape)) if Q0 is not None else None
    out = [f]
    for k, Q in enumerate(Qs):
        f = taus[k + 1] * (Q / betas[k] + f / taus[k])
        out.append(f)
    return out


def _normalised_Q(ev, gamma):
    return (1.0 - float(gamma)) * np.asarray(ev.Q, dtype=float)


def neural_ppo_objective(mdp, *, start=None):
    r"""The objective of Liu et al. 2019: :math:`\pi\mapsto\mathcal L(\pi) = \mathbb E_{s\sim\nu^*}\tilde V^\pi(s)`.

    .. math::

        \mathcal L(\pi) = (1-\gamma)\sum_s\nu^*(s)V^\pi(s), \qquad \nu^* = \nu^*P^{\pi^*}

    with :math:`\pi^*` from exact policy iteration and :math:`\nu^*` from
    :func:`stationary_distribution` (Cesàro limit from ``start``).  Float.

    Returns
    -------
    L : callable
        ``L(pi) -> float``.
    nu_star : ndarray, shape (S,)
    L_star : float
    """
    fm = float_mdp(mdp)
    pi_star = np.asarray(float_array(optimum(mdp).pi), dtype=float)
    nu = stationary_distribution(fm, pi_star, start=start, mode="float")
    g = float(mdp.gamma)

    def L(pi):
        return (1.0 - g) * float(nu @ evaluate(fm, np.asarray(pi, dtype=float), mode="float").V)

    return L, nu, L(pi_star)


def _kl_rows(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - np.log(np.where(q > 0, q, 1.0))), 0.0)
    return t.sum(axis=1)


def _trpo_beta(Q, log_pi, nu, delta, lo, hi):
    """Bisection (in log beta) for E_nu KL(pi ∝ pi exp(Q/beta) || pi) = delta; the KL decreases in beta."""
    pi = np.exp(log_pi)

    def kl(b):
        return float(nu @ _kl_rows(np.exp(log_softmax(log_pi + Q / b)), pi))

    if kl(hi) >= delta:
        return hi
    if kl(lo) <= delta:
        return lo
    a, c = math.log(lo), math.log(hi)
    for _ in range(60):
        mid = 0.5 * (a + c)
        if kl(math.exp(mid)) > delta:
            a = mid
        else:
            c = mid
    return math.exp(c)


def ideal_neural_ppo(mdp, *, beta, K: int, start=None, progress=None) -> OptimizationResult:
    r"""Neural PPO with exact policy evaluation and exact improvement (Liu et al. 2019; statement I2, I4).

    .. math::

        \pi_{k+1}\propto\exp\big(\tau_{k+1}^{-1}f_{k+1}\big),\qquad
        f_{k+1} = \tau_{k+1}\big(\beta_k^{-1}\tilde Q^{\pi_k} + \tau_k^{-1}f_k\big),

    i.e. :math:`\pi_{k+1}\propto\pi_k\exp(\tilde Q^{\pi_k}/(\beta\sqrt K))`:
    mirror descent on :math:`\mathcal L` with the errors
    :math:`\epsilon_k = \epsilon_k' = 0` of the paper's theorem.

    Returns
    -------
    OptimizationResult
        ``values`` are :math:`\mathcal L(\pi_k)`, ``gaps``
        :math:`\mathcal L(\pi^*) - \mathcal L(\pi_k)` (``rho`` is :math:`\nu^*`),
        ``step_sizes`` the :math:`\beta_k`; ``extras["Q"]`` the normalised
        :math:`\tilde Q^{\pi_k}`, ``extras["f"]`` the energies :math:`f_{k+1}`,
        ``extras["tau"]`` :math:`\tau_{k+1}`.
    """
    betas, taus = ppo_schedule(float(beta), K)
    fm = float_mdp(mdp)
    L, nu, L_star = neural_ppo_objective(mdp, start=start)
    S, A = fm.n_states, fm.n_actions
    res = OptimizationResult("ideal_neural_ppo", options={"beta": float(beta), "K": int(K)}, rho=nu,
                             v_star=L_star, exact=False, progress=progress)
    f = np.zeros((S, A))
    pi = np.full((S, A), 1.0 / A)
    for k in range(K + 1):
        ev = evaluate(fm, pi, mode="float")
        res._record_iterate(pi, (1.0 - float(fm.gamma)) * float(nu @ ev.V))
        if k == K:
            break
        Q = _normalised_Q(ev, fm.gamma)
        f = taus[k + 1] * (Q / betas[k] + f / taus[k])
        pi_next = np.exp(log_softmax(f / taus[k + 1]))
        kl, kl_max = kl_moved(pi_next, pi, ev.visitation(nu))
        res._record_step(step_size=betas[k], kl=kl, kl_max=kl_max, Q=Q, f=f, tau=taus[k + 1])
        pi = pi_next
    return res._finish(True, f"completed K = {K} iterations")


def _sample_index(rng, cdf_rows):
    """One draw per row from the categorical distributions with the given row-wise CDFs."""
    u = rng.random(cdf_rows.shape[0])
    idx = (cdf_rows < u[:, None]).sum(axis=1)
    return np.minimum(idx, cdf_rows.shape[1] - 1)


def neural_ppo(mdp, features=None, *, width: int = 16, width_q: int | None = None, K: int = 10, beta=1.0,
               R=1.0, R_q=None, td_steps: int = 200, sgd_steps: int = 200, td_lr=None, sgd_lr=None,
               update: str = "ppo", delta=0.1, start=None, seed=None, progress=None,
               variant=None) -> OptimizationResult:
    r"""Neural PPO/TRPO, Algorithm 1 of Liu, Cai, Yang, Wang (2019) (Liu et al. 2019; statement I4).

    .. math::

        \tau_{k+1} = \frac{\beta\sqrt K}{k+1},\quad \beta_k = \beta\sqrt K,\quad
        \theta_{k+1}\approx\arg\min_{\|\theta-\theta(0)\|\le R_f}\mathbb E_{\tilde\sigma_k}
            \big(f_\theta - \tau_{k+1}(\beta_k^{-1}Q_{\omega_k} + \tau_k^{-1}f_{\theta_k})\big)^2,

        \omega_k\approx\arg\min_{\|\omega-\omega(0)\|\le R_Q}\mathbb E_{\sigma_k}
            \big(Q_\omega - \mathcal T^{\pi_{\theta_k}}Q_\omega\big)^2,\quad
        \pi_{\theta_{k+1}}\propto\exp(\tau_{k+1}^{-1}f_{\theta_{k+1}}),

    on ``td_steps`` sampled tuples :math:`(s, a, a^0, s', a')` per iteration
    (the TD and the SGD solvers each use them once, in order, as in the
    paper's Algorithm 1 with :math:`T` = ``td_steps``; ``sgd_steps`` more
    :math:`(s, a^0)` pairs are drawn if ``sgd_steps > td_steps``).  Both solvers
    restart from the random initialisation at every iteration, take
    projected steps, and return the average of their iterates (Algorithms 2
    and 3).  Sampling uses the model: :math:`\nu_k` is the stationary
    distribution of :math:`\pi_{\theta_k}` (:func:`stationary_distribution`,
    Cesàro limit from ``start``).

    ``update="trpo"`` replaces the fixed penalty by the trust region
    :math:`\mathbb E_{\nu_k}\mathrm{KL}(\pi\|\pi_{\theta_k})\le\delta`: its
    maximiser is the same exponential update with :math:`\beta_k` the KKT
    multiplier, found here by bisection on the critic's :math:`Q_{\omega_k}`
    (clipped to :math:`[10^{-3}, 10^3]\beta\sqrt K`), and the temperature
    :math:`\tau_{k+1} = (\sum_{j\le k}\beta_j^{-1})^{-1}`, which keeps
    :math:`f_{k+1}` an average of the critics as in the PPO schedule.  Seed 000
    shows only the penalty (PPO) form; this constrained form is the library's
    reading of "TRPO", not the paper's text.

    Parameters
    ----------
    mdp : MDP
    features : array_like, shape (S, A, d), optional
        :math:`\phi(s,a)` (default: one-hot, :math:`d = SA`).
    width, width_q : int, keyword-only
        :math:`m_f` and :math:`m_Q` (default :math:`m_Q = m_f`).
    K : int, keyword-only
        Number of iterations.
    beta : float, keyword-only
    R, R_q : float, keyword-only
        Projection radii :math:`R_f` and :math:`R_Q` (default :math:`R_Q = R_f`; the paper asks :math:`R_f\ge R_Q`).
    td_steps, sgd_steps : int, keyword-only
    td_lr, sgd_lr : float, keyword-only
        Step sizes (default :math:`T^{-1/2}`, the paper's choice).
    update : {"ppo", "trpo"}, keyword-only
        The policy-improvement step (``variant`` is its deprecated name).
    delta : float, keyword-only
        Trust-region radius of ``update="trpo"``.
    start : array_like, shape (S,), keyword-only
        Start of the Cesàro limits defining the stationary distributions (default ``mdp.rho``).
    seed : int or Generator, keyword-only
        The networks' initialisation and every sample derive from it.
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        ``values`` :math:`\mathcal L(\pi_{\theta_k})` (exact evaluation),
        ``gaps`` :math:`\mathcal L(\pi^*) - \mathcal L(\pi_{\theta_k})`,
        ``rho`` :math:`\nu^*`, ``thetas`` the energy network's weights
        (``None`` at :math:`k = 0`, where :math:`f_0 = 0`), ``step_sizes``
        :math:`\beta_k`, ``grad_norms`` :math:`\|\theta_{k+1} - \theta(0)\|_2`.
        ``extras``: ``"eval_error"`` — the policy-evaluation error
        :math:`\mathbb E_{\sigma_k}(Q_{\omega_k} - \tilde Q^{\pi_{\theta_k}})^2`
        (Liu et al. (2019)'s :math:`\epsilon'_k`); ``"improvement_error"`` —
        :math:`\mathbb E_{\tilde\sigma_k}(f_{\theta_{k+1}} - \tau_{k+1}(\beta_k^{-1}Q_{\omega_k}
        + \tau_k^{-1}f_{\theta_k}))^2` (Liu et al. (2019)'s :math:`\epsilon_{k+1}`);
        ``"ideal_improvement_error"`` — the same against the exact
        :math:`\tilde Q^{\pi_{\theta_k}}`; ``"tau"`` — :math:`\tau_{k+1}`;
        all expectations exact (the model's distributions), not sampled.
    """
    variant = renamed_keyword("neural_ppo", "variant", "update", old_value=variant, new_value=update,
                              default="ppo")
    if variant not in ("ppo", "trpo"):
        raise InvalidParameterError(f"update must be 'ppo' or 'trpo'; got {format_value(variant)}")
    K = check_T(K, "K")
    if K < 1:
        raise InvalidParameterError(f"K must be at least 1; got {K}")
    td_steps = check_T(td_steps, "td_steps")
    sgd_steps = check_T(sgd_steps, "sgd_steps")
    if td_steps < 1 or sgd_steps < 1:
        raise InvalidParameterError(f"td_steps and sgd_steps must be positive; got {td_steps}, {sgd_steps}")
    R = check_positive(R, "R")
    R_q = R if R_q is None else check_positive(R_q, "R_q")
    td_lr = 1.0 / math.sqrt(td_steps) if td_lr is None else check_positive(td_lr, "td_lr")
    sgd_lr = 1.0 / math.sqrt(sgd_steps) if sgd_lr is None else check_positive(sgd_lr, "sgd_lr")
    delta = check_positive(delta, "delta")
    fm = float_mdp(mdp)
    S, A = fm.n_states, fm.n_actions
    g = float(fm.gamma)
    if features is None:
        features = np.eye(S * A).reshape(S, A, S * A)
    rng = np.random.default_rng(seed)
    net_seeds = rng.integers(0, 2**63 - 1, size=2)
    f_net = NeuralSoftmax(features, width, radius=R, seed=int(net_seeds[0]))
    q_net = NeuralSoftmax(features, width if width_q is None else width_q, radius=R_q, seed=int(net_seeds[1]))
    if (f_net.n_states, f_net.n_actions) != (S, A):
        raise InvalidParameterError(f"features are for (S, A) = ({f_net.n_states}, {f_net.n_actions}); the MDP has "
                                    f"({S}, {A})")
    betas, taus = ppo_schedule(float(beta), K)
    L, nu_star, L_star = neural_ppo_objective(mdp, start=start)
    res = OptimizationResult(f"neural_{variant}", options={
        "width": f_net.width, "width_q": q_net.width, "K": K, "beta": float(beta), "R": R, "R_q": R_q,
        "td_steps": td_steps, "sgd_steps": sgd_steps, "td_lr": td_lr, "sgd_lr": sgd_lr, "update": variant,
        "delta": delta, "seed": seed if isinstance(seed, (int, type(None))) else "generator"},
        rho=nu_star, v_star=L_star, exact=False, progress=progress)
    P = fm.P_dense()
    P_cdf = np.cumsum(P, axis=2)
    r = np.asarray(fm.r, dtype=float)
    pi0 = np.full((S, A), 1.0 / A)
    f_k = np.zeros((S, A))       # f_0 = 0
    tau_k = 1.0                  # tau_0 = 1
    inv_tau_sum = 0.0            # trpo temperatures
    theta_k = None
    pi = pi0.copy()
    for k in range(K + 1):
        ev = evaluate(fm, pi, mode="float")
        res._record_iterate(pi, (1.0 - g) * float(nu_star @ ev.V), theta=theta_k)
        if k == K:
            break
        Q_true = _normalised_Q(ev, g)
        nu_k = stationary_distribution(fm, pi, start=start, mode="float")
        # ---- samples (s, a) ~ sigma_k, a0 ~ pi_0, s' ~ P(.|s, a), a' ~ pi_k(.|s')
        n_samp = max(td_steps, sgd_steps)
        s = _sample_index(rng, np.cumsum(nu_k)[None, :].repeat(n_samp, axis=0))
        pi_cdf = np.cumsum(pi, axis=1)
        a = _sample_index(rng, pi_cdf[s])
        a0 = rng.integers(0, A, size=n_samp)
        s2 = _sample_index(rng, P_cdf[s, a])
        a2 = _sample_index(rng, pi_cdf[s2])
        # ---- Algorithm 3: projected TD for the critic
        omega = q_net.theta0
        omega_sum = np.zeros_like(omega)
        for t in range(td_steps):
            omega_sum += omega
            q = q_net.energy(omega)
            J = q_net.energy_jacobian(omega)
            td = q[s[t], a[t]] - (1.0 - g) * r[s[t], a[t]] - g * q[s2[t], a2[t]]
            omega = q_net.project(omega - td_lr * td * J[s[t], a[t]])
        omega_bar = omega_sum / td_steps
        Q_hat = np.asarray(q_net.energy(omega_bar), dtype=float)
        sigma_k = nu_k[:, None] * pi
        eval_error = float(np.sum(sigma_k * (Q_hat - Q_true) ** 2))
        # ---- penalty (PPO) or trust-region multiplier (TRPO), temperature
        if variant == "ppo":
            beta_k, tau_next = betas[k], taus[k + 1]
        else:
            beta_k = _trpo_beta(Q_hat, np.log(pi), nu_k, delta, betas[k] * 1e-3, betas[k] * 1e3)
            inv_tau_sum += 1.0 / beta_k
            tau_next = 1.0 / inv_tau_sum
        target = tau_next * (Q_hat / beta_k + f_k / tau_k)
        ideal_target = tau_next * (Q_true / beta_k + f_k / tau_k)
        # ---- Algorithm 2: projected SGD for the energy, (s, a0) ~ nu_k pi_0
        theta = f_net.theta0
        theta_sum = np.zeros_like(theta)
        for t in range(sgd_steps):
            theta_sum += theta
            fv = f_net.energy(theta)
            J = f_net.energy_jacobian(theta)
            err = fv[s[t], a0[t]] - target[s[t], a0[t]]
            theta = f_net.project(theta - sgd_lr * err * J[s[t], a0[t]])
        theta_next = theta_sum / sgd_steps
        f_next = np.asarray(f_net.energy(theta_next), dtype=float)
        sigma_tilde = nu_k[:, None] * pi0
        impr_error = float(np.sum(sigma_tilde * (f_next - target) ** 2))
        ideal_error = float(np.sum(sigma_tilde * (f_next - ideal_target) ** 2))
        pi_next = np.exp(log_softmax(f_next / tau_next))
        kl, kl_max = kl_moved(pi_next, pi, ev.visitation(nu_star))
        res._record_step(grad_norm=float(np.linalg.norm(theta_next - f_net.theta0)), step_size=beta_k, kl=kl,
                        kl_max=kl_max, eval_error=eval_error, improvement_error=impr_error,
                        ideal_improvement_error=ideal_error, tau=tau_next)
        f_k, tau_k, theta_k, pi = f_next, tau_next, theta_next, pi_next
    return res._finish(True, f"completed K = {K} iterations")
