r"""Convergence theorems of policy optimization, checked at every iterate (THEORY B6, D3, D5–D7, E3, E4, F4, G1).

Each checker runs an algorithm of :mod:`mdptheory.algorithms` with exact
expectations on a small generated MDP, and checks the theorem's bound at every
iterate against the exact optimum :math:`V^\star` (exact policy iteration,
:func:`mdptheory.optimal.solve`).  The bound's two sides come from different
computations: the left side from the run's trace, the right side from the
exact optimum, the stated constants and (where a visitation or a KL appears)
separate evaluations.  Each report's ``details`` carries the measured rate
beside the theoretical one: the slope of :math:`\log\text{gap}_t` (linear
rates), :math:`t\cdot\text{gap}_t` (:math:`O(1/t)` rates) or the worst ratio of
the two sides.

Theorems stated for rewards in :math:`[0, 1]` (D6, E4, G1) are checked on
suite MDPs whose rewards are rescaled affinely to :math:`[0, 1]`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..fields import float_array
from ..kl import kl_policy
from ..mdp import MDP
from ..policies import LogLinear, LogRational, TabularSoftmax
from ._common import check_variant, new_report, resolve_mode
from .registry import Statement, register
from .report import float_tolerance
from .suite import case_rng, random_case_mdp, random_distribution

__all__ = [
    "gradient_ascent_rate",
    "softmax_pg_monotone",
    "log_barrier_stationarity",
    "log_barrier_corollary",
    "mei_rates",
    "npg_improvement",
    "npg_rate",
    "npg_regret",
    "cpi_improvement",
]


# ----------------------------------------------------------------- helpers
def _unit_rewards(mdp):
    """The MDP with rewards mapped affinely onto [0, 1] (unchanged if constant)."""
    r = mdp.r
    lo, hi = r.min(), r.max()
    if hi == lo:
        r2 = r - lo
    else:
        r2 = (r - lo) / (hi - lo)
    return MDP(mdp.P_dense(), r2, mdp.gamma, mdp.rho)


def _cases(stmt_id, *, gammas, max_states=4, max_actions=3, unit_rewards=False, exact_in=("exact",), extra=None):
    """Case generator: a small MDP with full-support start distribution (float) and extra parameters."""

    def cases(seed, n, mode):
        exact = mode in exact_in
        for i in range(n):
            rng = case_rng(seed, stmt_id, i)
            g = gammas[int(rng.integers(len(gammas)))]
            mdp = random_case_mdp(rng, exact=exact, max_states=max_states, max_actions=max_actions,
                                  gamma=g, rho="positive")
            if unit_rewards:
                mdp = _unit_rewards(mdp)
            case = {"mdp": mdp}
            if extra is not None:
                case.update(extra(rng, mdp, exact, i))
            case["seed"] = (seed, i)
            yield case

    return cases


def _fm(mdp):
    return mdp.to_float() if mdp.is_exact else mdp


def _rmax(mdp):
    return float(np.max(np.abs(float_array(mdp.r)))) + 1.0


def _tol(rep, mdp, magnitude, order=2):
    tol, rule = float_tolerance(mdp, magnitude, order=order)
    rep.tolerance_rule = rule
    return tol


def _optimum(mdp):
    from ..optimal import solve

    return solve(mdp)


def _log_slope(gaps):
    """Least-squares slope of log(gap_t) against t over the positive gaps (NaN if < 2 points)."""
    g = np.asarray(gaps, dtype=float)
    t = np.arange(g.size)
    keep = g > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(t[keep], np.log(g[keep]), 1)[0])


def _grad_sq_norm(mdp, theta, mu, mode):
    """||grad_theta V(mu)||^2 for the tabular softmax by implicit differentiation (exact or float)."""
    from ..gradients import value_gradient

    param = TabularSoftmax(mdp.n_states, mdp.n_actions)
    g = value_gradient(mdp, param, theta, mu=mu, mode=mode)
    if mode == "exact":
        return sum((x * x for x in g), Fraction(0))
    g = np.asarray(g, dtype=float)
    return float(g @ g)


# ----------------------------------------------------------------- B6
def gradient_ascent_rate(mdp, *, T=30, mode=None, variant=None, seed=None):
    r"""Exact gradient ascent on a :math:`\beta`-smooth objective (AJKS Lemma 9.6; THEORY B6).

    .. math::

        \min_{t<T}\|\nabla_\theta V^{(t)}(\mu)\|_2^2 \le \frac{2\beta\,(V^\star(\mu) - V^{(0)}(\mu))}{T}
        \quad\text{for every } T,

    for softmax policy gradient with :math:`\eta = 1/\beta`,
    :math:`\beta = 8/(1-\gamma)^3` (the softmax smoothness constant, THEORY D4),
    :math:`\mu` = the MDP's start distribution, from :math:`\theta^{(0)} = 0`.
    The lemma needs an upper bound on the objective: :math:`V^\star(\mu)`.
    Independent routes: gradient norms by implicit differentiation of the
    Bellman system (:func:`mdptheory.gradients.value_gradient`) inside the run;
    :math:`V^\star` by exact policy iteration.

    Broken variant ``"beta_inverted"``: the bound :math:`2(V^\star - V^{(0)})/(\beta T)`.
    """
    stmt = _B6
    check_variant(variant, stmt.variants)
    from ..algorithms import softmax_beta, softmax_policy_gradient

    mode = resolve_mode(mdp, mode=mode) if mode is None else mode
    m = _fm(mdp)
    rep = new_report(stmt, "float", {"mdp": m, "T": T, "seed": seed}, variant)
    beta = softmax_beta(m.gamma)
    res = softmax_policy_gradient(m, eta=1.0 / beta, T=T, mu=m.rho, rho=m.rho, gradient="implicit")
    g2 = np.asarray(res.grad_norms, dtype=float) ** 2
    sol = _optimum(m)
    gap0 = float(m.rho @ np.asarray(sol.V, dtype=float)) - res.extras["value_mu"][0]
    Ts = np.arange(1, T + 1)
    lhs = np.minimum.accumulate(g2)
    rhs = 2 * beta * gap0 / Ts if variant != "beta_inverted" else 2 * gap0 / (beta * Ts)
    tol = _tol(rep, m, (_rmax(m) / (1 - float(m.gamma))) ** 2 + float(np.max(rhs)), order=2)
    rep.inequality("min_{t<T} ||grad V_t||^2 <= 2 beta (V*(mu) - V_0(mu)) / T for T = 1..T_max", lhs, rhs, tol=tol)
    rep.details = {"beta": beta, "eta": 1.0 / beta, "gap0": gap0,
                   "measured_T_times_min_grad_sq": float(T * lhs[-1]),
                   "theoretical_T_times_min_grad_sq": 2 * beta * gap0,
                   "grad_sq": g2.tolist()}
    return rep


# ----------------------------------------------------------------- D3
def softmax_pg_monotone(mdp, *, T=30, mode=None, variant=None, seed=None):
    r"""Softmax policy gradient improves monotonically (AJKS Thm 10.3; THEORY D3).

    With :math:`\mu > 0` and :math:`\eta = (1-\gamma)^3/8 = 1/\beta`, at every step

    .. math::

        V^{(t+1)}(\mu) - V^{(t)}(\mu) \ \ge\ \frac{\eta}{2}\,\|\nabla_\theta V^{(t)}(\mu)\|_2^2 \ \ge 0,

    the ascent lemma for a :math:`\beta`-smooth function that the proof of
    Thm 10.3 rests on (it implies monotone improvement), and the gap
    :math:`V^\star(\mu) - V^{(t)}(\mu)` shrinks at every step.  The theorem's
    conclusion :math:`V^{(t)}\to V^\star` is asymptotic; ``details`` reports the
    measured slope of :math:`\log\text{gap}_t`.  Independent routes: values
    from the run's evaluations; gradient norms recomputed by implicit
    differentiation at each recorded :math:`\theta^{(t)}`.

    Broken variant ``"ascent_constant_2"``: the improvement claimed as
    :math:`2\eta\|\nabla V\|^2` (a first-order step gains about :math:`\eta\|\nabla V\|^2`).
    """
    stmt = _D3
    check_variant(variant, stmt.variants)
    from ..algorithms import softmax_policy_gradient

    m = _fm(mdp)
    rep = new_report(stmt, "float", {"mdp": m, "T": T, "seed": seed}, variant)
    eta = (1.0 - float(m.gamma)) ** 3 / 8.0
    res = softmax_policy_gradient(m, eta=eta, T=T, mu=m.rho, rho=m.rho)
    v = np.asarray(res.extras["value_mu"], dtype=float)
    g2 = np.array([_grad_sq_norm(m, th, m.rho, "float") for th in res.thetas[:-1]])
    c = 0.5 if variant != "ascent_constant_2" else 2.0
    tol = _tol(rep, m, _rmax(m) / (1 - float(m.gamma)), order=2)
    rep.inequality("(eta/2) ||grad V_t(mu)||^2 <= V_{t+1}(mu) - V_t(mu) for every t", c * eta * g2,
                   v[1:] - v[:-1], tol=tol)
    gaps = res.float_gaps()
    rep.inequality("gap_{t+1} <= gap_t (V* - V_t at mu = rho)", gaps[1:], gaps[:-1], tol=tol)
    rep.details = {"eta": eta, "gaps": gaps.tolist(), "measured_log_gap_slope": _log_slope(gaps),
                   "theoretical_rate": "asymptotic convergence (Thm 10.3); O(1/t) in Mei et al. (D7)"}
    return rep


# ----------------------------------------------------------------- D5
def _lb_run(m, lam, *, T, theta0=None, gtol=None, eta=None):
    from ..algorithms import log_barrier_policy_gradient

    return log_barrier_policy_gradient(m, lam=lam, T=T, mu=m.rho, rho=m.rho, gtol=gtol, theta0=theta0, eta=eta)


def _d_star_ratio(m, sol, rho, mu):
    """||d_rho^{pi*} / mu||_inf."""
    d = evaluate(m, np.asarray(sol.pi, dtype=float)).visitation(rho)
    return float(np.max(d / mu))


def log_barrier_stationarity(mdp, *, lam=0.3, T=3000, mode=None, variant=None, seed=None):
    r"""Approximate stationary points of the log-barrier objective are near-optimal (AJKS Thm 10.4; THEORY D5).

    With :math:`L_\lambda(\theta) = V(\mu) + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi(a|s)`
    and :math:`\|\nabla L_\lambda(\theta)\|_2 \le \lambda/(2|S||A|)`:

    .. math::

        \pi(a|s) \ge \frac{1}{2|A|}\ \text{when } A(s,a) \ge 0, \qquad
        \max_a A(s,a) \le \frac{2\lambda}{\mu(s)|S|}, \qquad
        V(\rho) \ge V^\star(\rho) - \frac{2\lambda}{1-\gamma}\Big\|\frac{d_\rho^{\pi^\star}}{\mu}\Big\|_\infty

    for every :math:`\rho`; checked for :math:`\rho` = each point mass and the
    MDP's start distribution.  The stationary point is reached by
    :func:`mdptheory.algorithms.log_barrier_policy_gradient` run until the
    gradient condition holds, with :math:`\eta = 4/\beta_\lambda` (the theorem
    concerns any such point, however found; four times the smoothness step
    reaches it four times faster on the suite, and a run that does not reach
    it is reported UNDECIDED); ``details`` records the iterations.
    Independent routes: the advantages and values of the stationary policy
    come from a fresh evaluation; :math:`V^\star`, :math:`d_\rho^{\pi^\star}` from
    exact policy iteration.

    Broken variants: ``"bound_over_10"`` (the value bound with :math:`\lambda/10`),
    ``"pi_lower_2_over_A"`` (:math:`\pi(a|s)\ge 2/|A|` claimed when :math:`A(s,a)\ge 0`:
    the constant moved the wrong way by a factor 4).
    """
    stmt = _D5
    check_variant(variant, stmt.variants)
    m = _fm(mdp)
    S, A = m.n_states, m.n_actions
    mu = np.asarray(m.rho, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "lam": lam, "seed": seed}, variant)
    eps_opt = lam / (2 * S * A)
    from ..algorithms import log_barrier_beta

    res = _lb_run(m, lam, T=T, gtol=eps_opt, eta=4.0 / log_barrier_beta(m.gamma, lam, S))
    gnorm = res.extras["final_grad_norm"][-1]
    tol = _tol(rep, m, _rmax(m) / (1 - float(m.gamma)), order=2)
    if gnorm > eps_opt:
        rep.claim("reach ||grad L|| <= lambda/(2|S||A|)", "UNDECIDED",
                  f"gradient norm {gnorm:.3e} > {eps_opt:.3e} after {res.n_iter} iterations")
        return rep
    pi = np.asarray(res.policy, dtype=float)
    ev = evaluate(m, pi)
    Adv = ev.advantage
    sol = _optimum(m)
    Vs = np.asarray(sol.V, dtype=float)
    lower = 1.0 / (2 * A) if variant != "pi_lower_2_over_A" else 2.0 / A
    nonneg = Adv >= 0
    rep.inequality("pi(a|s) >= 1/(2|A|) where A(s,a) >= 0", np.where(nonneg, lower, 0.0),
                   np.where(nonneg, pi, 1.0), tol=tol)
    rep.inequality("max_a A(s,a) <= 2 lambda / (mu(s) |S|)", Adv.max(axis=1), 2 * lam / (mu * S), tol=tol)
    lam_b = lam if variant != "bound_over_10" else lam / 10
    rhos = [np.eye(S)[s] for s in range(S)] + [mu]
    lhs, rhs = [], []
    for rho in rhos:
        ratio = _d_star_ratio(m, sol, rho, mu)
        lhs.append(float(rho @ (Vs - ev.V)))
        rhs.append(2 * lam_b / (1 - float(m.gamma)) * ratio)
    rep.inequality("V*(rho) - V(rho) <= 2 lambda/(1-gamma) ||d_rho^{pi*}/mu||_inf (rho = e_s, mu)",
                   np.array(lhs), np.array(rhs), tol=tol)
    rep.details = {"iterations": res.n_iter, "grad_norm": gnorm, "eps_opt": eps_opt,
                   "gap_over_bound": (np.array(lhs) / np.array(rhs)).tolist()}
    return rep


# ----------------------------------------------------------------- D6
def log_barrier_corollary(mdp, *, eps=0.5, T=150, mode=None, variant=None, seed=None):
    r"""What is checkable of AJKS Cor. 10.5 (THEORY D6) along a feasible run.

    Cor. 10.5: with :math:`\lambda = \epsilon(1-\gamma)/(2\|d_\rho^{\pi^\star}/\mu\|_\infty)`,
    :math:`\eta = 1/\beta_\lambda` and :math:`\theta^{(0)} = 0`,
    :math:`\min_{t<T} V^\star(\rho) - V^{(t)}(\rho) \le \epsilon` once
    :math:`T \ge 320|S|^2|A|^2\|d_\rho^{\pi^\star}/\mu\|_\infty^2/((1-\gamma)^6\epsilon^2)`.
    That :math:`T` is astronomically large (reported in ``details``), so the
    conclusion itself is not checked.  Checked instead, at every iterate of a
    run of feasible length, are the two steps of the proof:

    1. (uses :math:`\theta^{(0)} = 0`, which the lecture omits; the uniform
       policy maximises the barrier) for every :math:`t`,
       :math:`L_\lambda(\theta^{(t)}) - L_\lambda(\theta^{(0)}) \le V^\star(\mu) - V^{(0)}(\mu)`;
    2. (Lemma 9.6 on :math:`L_\lambda`) for every :math:`T`,
       :math:`\min_{t<T}\|\nabla L_\lambda(\theta^{(t)})\|_2^2 \le 2\beta_\lambda (V^\star(\mu) - V^{(0)}(\mu))/T`;

    and, if some iterate reaches :math:`\|\nabla L_\lambda\| \le \lambda/(2|S||A|)`,
    Thm 10.4's consequence :math:`V^\star(\rho) - V^{(t)}(\rho) \le \epsilon` there.
    Rewards are rescaled to :math:`[0, 1]`; :math:`\rho` is uniform, :math:`\mu` the MDP's.

    Broken variant ``"theta0_nonzero"``: the run starts from a parameter
    concentrated on :math:`\pi^\star` (:math:`\theta^{(0)} = 8\,\pi^\star`),
    where step 1 fails: the barrier term alone can increase :math:`L_\lambda`
    by more than :math:`V^\star(\mu) - V^{(0)}(\mu)`.
    """
    stmt = _D6
    check_variant(variant, stmt.variants)
    from ..algorithms import log_barrier_beta

    m = _fm(mdp)
    S, A = m.n_states, m.n_actions
    mu = np.asarray(m.rho, dtype=float)
    rho = np.full(S, 1.0 / S)
    sol = _optimum(m)
    ratio = _d_star_ratio(m, sol, rho, mu)
    g = float(m.gamma)
    lam = eps * (1 - g) / (2 * ratio)
    beta = log_barrier_beta(g, lam, S)
    rep = new_report(stmt, "float", {"mdp": m, "eps": eps, "T": T, "seed": seed}, variant)
    theta0 = None if variant != "theta0_nonzero" else 8.0 * np.asarray(sol.pi, dtype=float).reshape(-1)
    res = _lb_run(m, lam, T=T, theta0=theta0)
    L = np.asarray(res.extras["objective"], dtype=float)
    Vs_mu = float(mu @ np.asarray(sol.V, dtype=float))
    gap0 = Vs_mu - res.extras["value_mu"][0]
    tol = _tol(rep, m, 1.0 / (1 - g) + lam * np.log(A) * 50, order=2)
    rep.inequality("L(theta_t) - L(theta_0) <= V*(mu) - V_0(mu) for every t (theta_0 = 0)", L - L[0],
                   np.full(L.size, gap0), tol=tol)
    gn = np.asarray(res.grad_norms, dtype=float) ** 2
    Ts = np.arange(1, gn.size + 1)
    rep.inequality("min_{t<T} ||grad L_t||^2 <= 2 beta_lambda (V*(mu) - V_0(mu)) / T", np.minimum.accumulate(gn),
                   2 * beta * gap0 / Ts, tol=tol * beta)
    eps_opt = lam / (2 * S * A)
    allg = np.append(np.asarray(res.grad_norms, dtype=float), res.extras["final_grad_norm"][-1])
    hit = np.flatnonzero(allg <= eps_opt)
    Vs_rho = float(rho @ np.asarray(sol.V, dtype=float))
    if hit.size:
        t = int(hit[0])
        v_t = float(rho @ evaluate(m, np.asarray(res.policies[t], dtype=float)).V)
        rep.inequality("gap at the first eps-stationary iterate <= eps", Vs_rho - v_t, eps, tol=tol)
    T_needed = 320 * S**2 * A**2 * ratio**2 / ((1 - g) ** 6 * eps**2)
    rep.details = {"lambda": lam, "beta_lambda": beta, "T_required_by_corollary": T_needed, "T_run": res.n_iter,
                   "eps_stationary_reached_at": int(hit[0]) if hit.size else None,
                   "min_gap_rho": float(np.min(Vs_rho - np.array([float(rho @ evaluate(m, np.asarray(p, dtype=float)).V)
                                                                  for p in res.policies[::max(1, T // 10)]]))),
                   "note": "the corollary's conclusion needs T >= T_required; only its proof steps are checked"}
    return rep


# ----------------------------------------------------------------- D7
def _lojasiewicz_sides(m, theta, sol, rho, mu, mode):
    """(lhs^2, rhs^2) of Mei et al.'s Lemma 8 (squared: exact comparison without square roots)."""
    param = TabularSoftmax(m.n_states, m.n_actions)
    pi = param.probs(theta)
    ev = evaluate(m, pi, mode=mode)
    S = m.n_states
    a_star = np.asarray(sol.actions)
    c = min(pi[s, a_star[s]] for s in range(S))
    d_star = evaluate(m, sol.pi, mode=mode).visitation(rho)
    d_mu = ev.visitation(mu)
    ratio = max(d_star[s] / d_mu[s] for s in range(S))
    gap = sum((rho[s] * (sol.V[s] - ev.V[s]) for s in range(S)), Fraction(0) if mode == "exact" else 0.0)
    g2 = _grad_sq_norm(m, theta, mu, mode)
    return g2, c, ratio, gap


def mei_rates(mdp, *, eps_bandit, skew, T=40, mode=None, variant=None, seed=None):
    r"""Softmax policy gradient rates of Mei et al. (2020) (THEORY D7; partly unconfirmed).

    Checked:

    1. (float) the :math:`O(1/t)` rate (Mei et al. 2020, Thm 4), with
       :math:`\eta = (1-\gamma)^3/8`, :math:`\mu > 0`, at every iterate :math:`t \ge 1`:

       .. math::

           V^\star(\rho) - V^{(t)}(\rho) \le
           \frac{16\,S\,\|d_\mu^{\pi^\star}/\mu\|_\infty^2\,\|1/\mu\|_\infty}{c_t^2(1-\gamma)^6\,t},

       with :math:`c_t = \min_{t' \le t}\min_s \pi_{t'}(a^\star(s)|s)` the running
       minimum (the theorem's :math:`c` is the infimum over the whole run; the
       proof uses it only for iterates up to :math:`t`), :math:`\rho` uniform;
    2. the Łojasiewicz inequality (Mei et al. 2020, Lemma 8) at every iterate
       (float) and at skewed policies (float and exact; squared to stay rational):

       .. math::

           \Big\|\frac{\partial V^{\pi_\theta}(\mu)}{\partial\theta}\Big\|_2 \ge
           \frac{\min_s \pi_\theta(a^\star(s)|s)}{\sqrt S\,\|d_\rho^{\pi^\star}/d_\mu^{\pi_\theta}\|_\infty}
           \big(V^\star(\rho) - V^{\pi_\theta}(\rho)\big);

    3. the bandit remark (Mei et al. 2020, Remark after Lemma 8): for
       :math:`r = (5, 4, 4)`, :math:`\pi = (2\epsilon, \tfrac12 - 2\epsilon, \tfrac12)`,
       the gap is :math:`1 - 2\epsilon` while
       :math:`\|\nabla V\|_2 = \epsilon\sqrt{6 - 24\epsilon + 32\epsilon^2}` (an
       identity, exact in exact mode; the formula of THEORY D7 agrees with the
       direct computation :math:`\partial_a V = \pi_a(r_a - V)`).

    The constants of items 1 and 2 are taken from THEORY D7, which marks them as
    not confirmed in the primary source.  Gradients by implicit
    differentiation; :math:`V^\star`, :math:`a^\star` by exact policy iteration.

    Broken variant ``"no_pi_star_factor"``: the Łojasiewicz inequality without
    the factor :math:`\min_s\pi(a^\star(s)|s)` (false at skewed policies — the
    reason plateaus exist).
    """
    stmt = _D7
    check_variant(variant, stmt.variants)
    mode = "exact" if (mode == "exact" or (mode is None and mdp.is_exact)) else "float"
    m = mdp if mode == "exact" else _fm(mdp)
    S, A = m.n_states, m.n_actions
    rep = new_report(stmt, mode, {"mdp": m, "eps_bandit": eps_bandit, "skew": skew, "T": T, "seed": seed}, variant)
    sol = _optimum(m)
    exact = mode == "exact"
    one = Fraction(1) if exact else 1.0
    mu = m.rho
    rho = np.array([one / S] * S, dtype=object if exact else float)
    tol = None if exact else _tol(rep, m, (_rmax(m) / (1 - float(m.gamma))) ** 2, order=2)
    # --- bandit remark
    from ..families import bandit

    eb = Fraction(eps_bandit) if exact else float(eps_bandit)
    bm = bandit([5, 4, 4]) if exact else bandit([5.0, 4.0, 4.0])
    pb = [2 * eb, one / 2 - 2 * eb, one / 2]
    theta_b = LogRational(pb) if exact else np.log(np.array(pb, dtype=float))
    g2 = _grad_sq_norm(bm, theta_b, bm.rho, mode)
    Vb = sum((p * r for p, r in zip(pb, [5, 4, 4])), 0 * one)
    rep.identity("bandit: gap = 1 - 2 eps", 5 - Vb, 1 - 2 * eb, tol=tol)
    rep.identity("bandit: ||grad V||^2 = eps^2 (6 - 24 eps + 32 eps^2)", g2,
                 eb**2 * (6 - 24 * eb + 32 * eb**2), tol=tol)
    # --- Lojasiewicz at a skewed policy: weight 1 on a*(s), `skew` on the others
    a_star = np.asarray(sol.actions)
    q = [one if a == a_star[s] else one * skew for s in range(S) for a in range(A)]
    th = LogRational(q) if exact else np.log(np.array(q, dtype=float))
    points = [th]
    lo, hi, details = [], [], {}
    if not exact:
        from ..algorithms import softmax_policy_gradient

        res = softmax_policy_gradient(m, T=T, mu=mu, rho=rho)
        points += list(res.thetas)
        gaps = res.float_gaps()
        c_run = np.minimum.accumulate([float(np.min(np.asarray(p)[np.arange(S), a_star])) for p in res.policies])
        dstar_mu = evaluate(m, np.asarray(sol.pi, dtype=float)).visitation(mu)
        mu_f = np.asarray(mu, dtype=float)
        C = 16 * S * float(np.max(dstar_mu / mu_f)) ** 2 * float(np.max(1 / mu_f)) / (1 - float(m.gamma)) ** 6
        t = np.arange(1, T + 1)
        bound = C / (c_run[1:] ** 2 * t)
        rep.inequality("gap_t(rho) <= 16 S ||d*/mu||^2 ||1/mu|| / (c_t^2 (1-gamma)^6 t), t >= 1", gaps[1:], bound,
                       tol=tol)
        details.update({"measured_max_t_gap": float(np.max(t * gaps[1:])), "theoretical_t_gap": float(C / c_run[-1] ** 2),
                        "measured_log_gap_slope": _log_slope(gaps)})
    for p in points:
        g2p, c, ratio, gap = _lojasiewicz_sides(m, p, sol, rho, mu, mode)
        cc = c if variant != "no_pi_star_factor" else one
        lo.append(cc * cc * gap * gap * (1 if gap >= 0 else -1))
        hi.append(g2p * S * ratio * ratio)
    rep.inequality("Lojasiewicz (squared): (min_s pi(a*|s))^2 gap^2 <= S ||d*_rho/d_mu||^2 ||grad V(mu)||^2",
                   np.array(lo, dtype=object if exact else float), np.array(hi, dtype=object if exact else float),
                   tol=None if exact else tol * (1 + float(max(hi))))
    rep.details = details
    return rep


def _d7_extra(rng, mdp, exact, i):
    k = int(rng.integers(5, 40))
    return {"eps_bandit": Fraction(1, k) if exact else 1.0 / k,
            "skew": Fraction(int(rng.integers(20, 200))) if exact else float(rng.integers(20, 200))}


# ----------------------------------------------------------------- E3
def npg_improvement(mdp, *, eta, T=4, mode=None, variant=None, seed=None):
    r"""NPG improvement lemma and the per-step identity (AJKS Lemma 10.8; THEORY E3).

    With :math:`Z_t(s) = \sum_a\pi_t(a|s)\exp(\eta A^{(t)}(s,a)/(1-\gamma))` (the
    normalisation of the update :math:`\pi_{t+1} = \pi_t e^{\eta A^{(t)}/(1-\gamma)}/Z_t`),
    the performance difference lemma and
    :math:`A^{(t)} = \frac{1-\gamma}{\eta}(\log\frac{\pi_{t+1}}{\pi_t} + \log Z_t)` give,
    for every state :math:`s` (hence, by linearity, every :math:`\mu`):

    .. math::

        V^{(t+1)}(s) - V^{(t)}(s) = \frac1\eta\,\mathbb{E}_{s'\sim d_s^{\pi_{t+1}}}
           \big[\mathrm{KL}(\pi_{t+1,s'}\|\pi_{t,s'}) + \log Z_t(s')\big]
           \ \ge\ \frac{1-\gamma}{\eta}\log Z_t(s) \ \ge 0,

    (using :math:`d_s \ge (1-\gamma)e_s` and :math:`\log Z_t \ge 0`), where
    :math:`\log Z_t(s) = \mathrm{KL}(\pi_{t,s}\|\pi_{t+1,s})` (checked as an identity:
    nonnegativity is Gibbs' inequality, and the identity is not tight near
    convergence as the inequality would be), and, with
    :math:`d^\star = d_\rho^{\pi^\star}` (the comparator's visitation; no extra
    :math:`1-\gamma` factor),

    .. math::

        V^\star(\rho) - V^{(t)}(\rho) = \frac1\eta\,\mathbb{E}_{s\sim d^\star}
           \big[\mathrm{KL}(\pi^\star_s\|\pi_{t,s}) - \mathrm{KL}(\pi^\star_s\|\pi_{t+1,s}) + \log Z_t(s)\big]

    for :math:`\rho` = every point mass.  Run: :func:`mdptheory.algorithms.natural_policy_gradient`
    from :math:`\theta^{(0)} = 0`.  Independent routes: value differences from
    separate evaluations; right sides from visitations (transposed solves), KL
    divergences (:func:`mdptheory.kl.kl_policy`) and the recorded :math:`\log Z_t`.

    Broken variants: ``"wrong_visitation"`` (the second identity with
    :math:`d_\rho^{\pi_t}` in place of :math:`d_\rho^{\pi^\star}`),
    ``"drop_one_minus_gamma"`` (the improvement bound :math:`\frac1\eta\log Z_t(s)`).
    """
    stmt = _E3
    check_variant(variant, stmt.variants)
    from ..algorithms import natural_policy_gradient

    m = _fm(mdp)
    S = m.n_states
    g = float(m.gamma)
    rep = new_report(stmt, "float", {"mdp": m, "eta": eta, "T": T, "seed": seed}, variant)
    res = natural_policy_gradient(m, eta=eta, T=T)
    sol = _optimum(m)
    pi_star = np.asarray(sol.pi, dtype=float)
    Vs = np.asarray(sol.V, dtype=float)
    E = np.eye(S)
    ev_star = evaluate(m, pi_star)
    D_star = np.array([ev_star.visitation(E[s]) for s in range(S)])  # row s: d_{e_s}^{pi*}
    tol = _tol(rep, m, (_rmax(m) / (1 - g)) * (1 + 1 / eta), order=2)
    evs = [evaluate(m, np.asarray(p, dtype=float)) for p in res.policies]
    worst_ratio = []
    for t in range(res.n_iter):
        logZ = np.asarray(res.extras["log_Z"][t], dtype=float)
        kl_step = np.asarray(kl_policy(res.policies[t + 1], res.policies[t], mode="float"), dtype=float)
        D_next = np.array([evs[t + 1].visitation(E[s]) for s in range(S)])
        dV = evs[t + 1].V - evs[t].V
        rep.identity(f"t={t}: V_(t+1)(s) - V_t(s) = (1/eta) E_(d_s^(t+1)) [KL(pi_(t+1)||pi_t) + log Z_t]", dV,
                     D_next @ (kl_step + logZ) / eta, tol=tol)
        c = (1 - g) if variant != "drop_one_minus_gamma" else 1.0
        rep.inequality(f"t={t}: ((1-gamma)/eta) log Z_t(s) <= V_(t+1)(s) - V_t(s)", c * logZ / eta, dV, tol=tol)
        kl_back = np.asarray(kl_policy(res.policies[t], res.policies[t + 1], mode="float"), dtype=float)
        rep.identity(f"t={t}: log Z_t(s) = KL(pi_t||pi_(t+1))(s) (>= 0 by Gibbs)", logZ, kl_back, tol=tol)
        kl_t = np.asarray(kl_policy(pi_star, res.policies[t], mode="float"), dtype=float)
        kl_t1 = np.asarray(kl_policy(pi_star, res.policies[t + 1], mode="float"), dtype=float)
        D = D_star if variant != "wrong_visitation" else np.array([evs[t].visitation(E[s]) for s in range(S)])
        rep.identity(f"t={t}: V*(s) - V_t(s) = (1/eta) E_(d_s^*)[KL(pi*||pi_t) - KL(pi*||pi_(t+1)) + log Z_t]",
                     Vs - evs[t].V, D @ (kl_t - kl_t1 + logZ) / eta, tol=tol)
        worst_ratio.append(float(np.max(c * logZ / eta / np.maximum(dV, 1e-300))))
    gaps = res.float_gaps()
    rep.details = {"gaps": gaps.tolist(), "measured_log_gap_slope": _log_slope(gaps),
                   "max_bound_over_improvement": max(worst_ratio) if worst_ratio else None}
    return rep


def _eta_extra(etas):
    def extra(rng, mdp, exact, i):
        return {"eta": etas[int(rng.integers(len(etas)))]}

    return extra


# ----------------------------------------------------------------- E4
def npg_rate(mdp, *, eta, T=30, mode=None, variant=None, seed=None):
    r"""NPG's :math:`O(1/T)` rate (AJKS Thm 10.7; THEORY E4).

    For rewards in :math:`[0, 1]`, from :math:`\theta^{(0)} = 0` and any :math:`\eta > 0`,
    for every :math:`T \ge 1` and (checked) every point mass :math:`\rho = e_s`:

    .. math::

        V^{(T)}(\rho) \ge V^\star(\rho) - \frac{\log|A|}{\eta T} - \frac{1}{(1-\gamma)^2 T}.

    Rewards of the suite MDP are rescaled to :math:`[0, 1]`.  ``details``
    reports the measured :math:`\max_T T\cdot\text{gap}_T` and the slope of
    :math:`\log\text{gap}_t` (NPG with exact advantages converges linearly in
    practice).  Independent routes: the gaps from the run's evaluations and
    :math:`V^\star` from exact policy iteration.

    Broken variant ``"bound_over_4"``: both terms divided by 4 (on the suite the
    measured :math:`T\cdot\text{gap}_T` reaches about 0.4 of :math:`\log|A|/\eta`
    for small :math:`\eta`, so a quarter of the bound fails).
    """
    stmt = _E4
    check_variant(variant, stmt.variants)
    from ..algorithms import natural_policy_gradient

    m = _fm(mdp)
    S, A = m.n_states, m.n_actions
    g = float(m.gamma)
    rep = new_report(stmt, "float", {"mdp": m, "eta": eta, "T": T, "seed": seed}, variant)
    res = natural_policy_gradient(m, eta=eta, T=T)
    Vs = np.asarray(_optimum(m).V, dtype=float)
    gaps = np.array([Vs - evaluate(m, np.asarray(p, dtype=float)).V for p in res.policies[1:]])  # (T, S)
    Ts = np.arange(1, T + 1)
    bound = np.log(A) / (eta * Ts) + 1.0 / ((1 - g) ** 2 * Ts)
    if variant == "bound_over_4":
        bound = bound / 4
    tol = _tol(rep, m, 1.0 / (1 - g), order=2)
    rep.inequality("V*(s) - V_T(s) <= log|A|/(eta T) + 1/((1-gamma)^2 T), every s and T", gaps,
                   np.broadcast_to(bound[:, None], gaps.shape), tol=tol)
    worst = gaps.max(axis=1)
    rep.details = {"measured_max_T_gap": float(np.max(Ts * worst)),
                   "theoretical_T_gap": float(np.log(A) / eta + 1 / (1 - g) ** 2),
                   "measured_log_gap_slope": _log_slope(np.concatenate([[float(np.max(Vs - evaluate(
                       m, np.asarray(res.policies[0], dtype=float)).V))], worst]))}
    return rep


# ----------------------------------------------------------------- F4
def npg_regret(mdp, *, features, eta, T=20, mode=None, variant=None, seed=None):
    r"""The NPG regret lemma for log-linear policies (AJKS Lemma 11.3; THEORY F4).

    For :math:`\theta^{(t+1)} = \theta^{(t)} + \eta w_t` from :math:`\theta^{(0)} = 0`
    (uniform :math:`\pi_0`), with :math:`\log\pi_\theta` :math:`\beta`-smooth
    (log-linear: :math:`\beta = B^2`, :math:`B = \max_{s,a}\|\phi(s,a)\|_2`, since
    :math:`\nabla^2\log\pi = -\mathrm{Cov}_\pi(\phi)`) and
    :math:`W = \max_{t<T}\|w_t\|_2`, for every :math:`T`:

    .. math::

        \min_{t<T}\big(V^{\tilde\pi}(\rho) - V^{(t)}(\rho)\big) \le \frac{1}{1-\gamma}
        \Big(\frac{\log|A|}{\eta T} + \frac{\eta\beta W^2}{2} + \frac1T\sum_{t<T}\mathrm{err}_t\Big),

        \mathrm{err}_t = \mathbb{E}_{s\sim d_\rho^{\tilde\pi}}\mathbb{E}_{a\sim\tilde\pi(\cdot|s)}
            \big[A^{(t)}(s,a) - w_t\cdot\nabla_\theta\log\pi^{(t)}(a|s)\big]

    (AJKS's definition: the signed transfer error under the comparator's
    distribution, which is what the proof's telescoping uses).  Comparator
    :math:`\tilde\pi = \pi^\star`; :math:`w_t` from log-linear NPG
    (:func:`mdptheory.algorithms.loglinear_npg`, exact regression under the
    MDP's start distribution); features random with fewer dimensions than
    state-action pairs, so that :math:`\mathrm{err}_t \ne 0`.  Independent
    routes: :math:`\mathrm{err}_t` from fresh evaluations and the policy's score,
    the gaps from the run, :math:`V^\star` from exact policy iteration.

    Broken variant ``"drop_smoothness_term"``: the bound without
    :math:`\eta\beta W^2/2` (the price of the step size; dropping it claims
    the tabular rate for any feature map).
    """
    stmt = _F4
    check_variant(variant, stmt.variants)
    from ..algorithms import loglinear_npg

    m = _fm(mdp)
    A = m.n_actions
    g = float(m.gamma)
    rep = new_report(stmt, "float", {"mdp": m, "features": features, "eta": eta, "T": T, "seed": seed}, variant)
    param = LogLinear(features)
    res = loglinear_npg(m, param, eta=eta, T=T, variant="npg")
    sol = _optimum(m)
    pi_star = np.asarray(sol.pi, dtype=float)
    rho = np.asarray(m.rho, dtype=float)
    d_star = evaluate(m, pi_star).visitation(rho)
    nu_star = d_star[:, None] * pi_star
    errs = []
    for t in range(T):
        ev = evaluate(m, np.asarray(res.policies[t], dtype=float))
        score = np.asarray(param.score(res.thetas[t]), dtype=float)
        w = np.asarray(res.extras["w"][t], dtype=float)
        errs.append(float((nu_star * (ev.advantage - score @ w)).sum()))
    errs = np.array(errs)
    B2 = float(np.max(np.sum(np.asarray(features, dtype=float) ** 2, axis=2)))
    W = np.maximum.accumulate(np.asarray(res.extras["w_norm"], dtype=float))
    Ts = np.arange(1, T + 1)
    gaps = res.float_gaps()[:T]
    lhs = np.minimum.accumulate(gaps)
    smooth_term = eta * B2 * W**2 / 2 if variant != "drop_smoothness_term" else 0.0
    rhs = (np.log(A) / (eta * Ts) + smooth_term + np.cumsum(errs) / Ts) / (1 - g)
    tol = _tol(rep, m, (_rmax(m) / (1 - g)) * (1 + B2 * float(W[-1] ** 2)), order=2)
    rep.inequality("min_{t<T} (V*(rho) - V_t(rho)) <= (log|A|/(eta T) + eta beta W^2/2 + mean err_t)/(1-gamma)",
                   lhs, rhs, tol=tol)
    rep.details = {"beta": B2, "W": float(W[-1]), "err": errs.tolist(), "gaps": gaps.tolist(),
                   "measured_log_gap_slope": _log_slope(gaps)}
    return rep


def _f4_extra(rng, mdp, exact, i):
    S, A = mdp.n_states, mdp.n_actions
    d = max(1, min(3, S * A - 2))
    return {"features": rng.normal(size=(S, A, d)).round(3), "eta": [0.1, 0.5, 1.0][int(rng.integers(3))]}


# ----------------------------------------------------------------- G1
def cpi_improvement(mdp, *, alpha, T=3, mode=None, variant=None, seed=None):
    r"""CPI's conservative-update bounds (AJKS Lemma 12.1, Thm 12.2; THEORY G1).

    For :math:`\pi_{t+1} = (1-\alpha)\pi_t + \alpha\pi'_t`, :math:`\pi'_t` greedy in
    :math:`A^{\pi_t}`, :math:`r\in[0,1]`, :math:`d^t = d_\mu^{\pi_t}`, at every step:

    .. math::

        \|\pi_{t+1}(\cdot|s) - \pi_t(\cdot|s)\|_1 \le 2\alpha, \qquad
        \|d^{t+1} - d^t\|_1 \le \frac{2\alpha\gamma}{1-\gamma},

        V^{(t+1)}(\mu) - V^{(t)}(\mu) \ge \frac{\alpha}{1-\gamma}\Big(\mathbb{A}_t - \frac{2\alpha\gamma}{(1-\gamma)^2}\Big),
        \quad \mathbb{A}_t = \mathbb{E}_{s\sim d^t}A^{\pi_t}(s, \pi'_t(s)).

    Exact in rationals (the run is :func:`mdptheory.algorithms.cpi`, which is
    exact on exact MDPs).  Independent routes: the visitations and values of
    :math:`\pi_t, \pi_{t+1}` from separate solves; :math:`\mathbb{A}_t` from the run.

    Broken variant ``"pi_shift_alpha"``: :math:`\|\pi_{t+1}(\cdot|s) - \pi_t(\cdot|s)\|_1 \le \alpha`
    (false as soon as :math:`\|\pi'_t(\cdot|s) - \pi_t(\cdot|s)\|_1 > 1`, e.g. from the
    uniform policy with three actions).
    """
    stmt = _G1
    check_variant(variant, stmt.variants)
    from ..algorithms import cpi

    mode = resolve_mode(mdp, mode=mode)
    exact = mode == "exact"
    m = mdp if exact else _fm(mdp)
    a = Fraction(alpha) if exact else float(alpha)
    rep = new_report(stmt, mode, {"mdp": m, "alpha": alpha, "T": T, "seed": seed}, variant)
    res = cpi(m, T=T, alpha=a, exact=exact)
    g = m.gamma
    mu = m.rho
    tol = None if exact else _tol(rep, m, 1.0 / (1 - float(g)), order=2)
    evs = [evaluate(m, p) for p in res.policies]
    ds = [ev.visitation(mu) for ev in evs]
    ratios = []
    for t in range(res.n_iter):
        dp = np.abs(res.policies[t + 1] - res.policies[t]).sum(axis=1)
        c_pi = 2 * a if variant != "pi_shift_alpha" else a
        rep.inequality(f"t={t}: ||pi_(t+1)(.|s) - pi_t(.|s)||_1 <= 2 alpha", dp, np.array([c_pi] * m.n_states,
                       dtype=object if exact else float), tol=tol)
        shift = np.abs(ds[t + 1] - ds[t]).sum()
        bound = 2 * a * g / (1 - g)
        rep.inequality(f"t={t}: ||d^(t+1) - d^t||_1 <= 2 alpha gamma/(1-gamma)", _vec(shift, exact), _vec(bound, exact),
                       tol=tol)
        dV = (mu * evs[t + 1].V).sum() - (mu * evs[t].V).sum()
        AA = res.extras["advantage_gap"][t]
        low = a / (1 - g) * (AA - 2 * a * g / (1 - g) ** 2)
        rep.inequality(f"t={t}: Delta V(mu) >= alpha/(1-gamma) (AA - 2 alpha gamma/(1-gamma)^2)", _vec(low, exact),
                       _vec(dV, exact), tol=tol)
        ratios.append(float(shift) / float(bound) if bound else 0.0)
    rep.details = {"n_steps": res.n_iter, "max_shift_over_bound": max(ratios) if ratios else None,
                   "gaps": [float(x) for x in res.gaps], "message": res.message}
    return rep


def _vec(x, exact):
    return np.array([x], dtype=object if exact else float)


def _g1_extra(rng, mdp, exact, i):
    alphas = [Fraction(1, 10), Fraction(1, 4), Fraction(1, 2)]
    a = alphas[int(rng.integers(len(alphas)))]
    return {"alpha": a if exact else float(a)}


# ----------------------------------------------------------------- registration
_HALF, _NINE = Fraction(1, 2), Fraction(9, 10)

_B6 = register(Statement(
    id="B6", name="gradient_ascent_rate",
    text="softmax PG with eta = 1/beta, beta = 8/(1-gamma)^3: min_{t<T} ||grad V_t(mu)||^2 <= "
         "2 beta (V*(mu) - V_0(mu))/T for every T",
    source="AJKS Lemma 9.6", check=gradient_ascent_rate,
    cases=_cases("B6", gammas=(_HALF, _NINE)), modes=("float",),
    variants={"beta_inverted": "bound 2 (V* - V_0)/(beta T)"}, cost=3.0))
_D3 = register(Statement(
    id="D3", name="softmax_pg_monotone",
    text="mu > 0, eta = (1-gamma)^3/8: V_(t+1)(mu) - V_t(mu) >= (eta/2)||grad V_t(mu)||^2 >= 0; the gap shrinks",
    source="AJKS Thm 10.3", check=softmax_pg_monotone,
    cases=_cases("D3", gammas=(_HALF, _NINE)), modes=("float",),
    variants={"ascent_constant_2": "improvement claimed as 2 eta ||grad V||^2"}, cost=3.0))
_D5 = register(Statement(
    id="D5", name="log_barrier_stationarity",
    text="||grad L_lambda|| <= lambda/(2|S||A|) => pi(a|s) >= 1/(2|A|) where A >= 0, max_a A(s,a) <= "
         "2 lambda/(mu(s)|S|), V(rho) >= V*(rho) - 2 lambda/(1-gamma) ||d_rho^pi*/mu||_inf",
    source="AJKS Thm 10.4", check=log_barrier_stationarity,
    cases=_cases("D5", gammas=(_HALF,), max_states=3, max_actions=3), modes=("float",),
    variants={"bound_over_10": "value bound with lambda/10",
              "pi_lower_2_over_A": "pi(a|s) >= 2/|A| claimed where A(s,a) >= 0"}, cost=5.0))
_D6 = register(Statement(
    id="D6", name="log_barrier_corollary",
    text="log-barrier GA with lambda = eps(1-gamma)/(2||d_rho^pi*/mu||), eta = 1/beta_lambda, theta_0 = 0: "
         "the proof steps L(theta_t) - L(theta_0) <= V*(mu) - V_0(mu) and min_{t<T}||grad L||^2 <= "
         "2 beta_lambda (V*(mu) - V_0(mu))/T at every iterate (the corollary's T is infeasible)",
    source="AJKS Cor. 10.5", check=log_barrier_corollary,
    cases=_cases("D6", gammas=(_HALF, _NINE), unit_rewards=True), modes=("float",),
    variants={"theta0_nonzero": "start concentrated on pi* instead of theta_0 = 0"}, cost=3.0))
_D7 = register(Statement(
    id="D7", name="mei_rates",
    text="softmax PG: gap_t <= 16 S ||d*/mu||^2 ||1/mu|| / (c^2 (1-gamma)^6 t); Lojasiewicz ||grad V(mu)|| >= "
         "min_s pi(a*|s)/(sqrt(S) ||d*_rho/d_mu||) gap(rho); bandit r = (5,4,4): ||grad|| = eps sqrt(6-24eps+32eps^2)",
    source="Mei et al. (2020) Thm 4, Lemma 8 and remark (constants unconfirmed)", check=mei_rates,
    cases=_cases("D7", gammas=(_HALF, _NINE), max_states=3, extra=_d7_extra), modes=("float", "exact"),
    variants={"no_pi_star_factor": "Lojasiewicz inequality without min_s pi(a*(s)|s)"}, cost=3.0))
_E3 = register(Statement(
    id="E3", name="npg_improvement",
    text="V_(t+1)(s) - V_t(s) = (1/eta) E_(d_s^(t+1))[KL + log Z_t] >= ((1-gamma)/eta) log Z_t(s) >= 0; "
         "V*(rho) - V_t(rho) = (1/eta) E_(d_rho^pi*)[KL(pi*||pi_t) - KL(pi*||pi_(t+1)) + log Z_t]",
    source="AJKS Lemma 10.8", check=npg_improvement,
    cases=_cases("E3", gammas=(_HALF, _NINE), extra=_eta_extra([0.1, 0.5])), modes=("float",),
    variants={"wrong_visitation": "d_rho^(pi_t) in place of d_rho^(pi*)",
              "drop_one_minus_gamma": "improvement bound (1/eta) log Z_t(s)"}, cost=2.0))
_E4 = register(Statement(
    id="E4", name="npg_rate",
    text="r in [0,1], theta_0 = 0, any eta: V_T(rho) >= V*(rho) - log|A|/(eta T) - 1/((1-gamma)^2 T)",
    source="AJKS Thm 10.7", check=npg_rate,
    cases=_cases("E4", gammas=(_HALF, _NINE), unit_rewards=True, extra=_eta_extra([0.05, 0.5, 5.0])),
    modes=("float",), variants={"bound_over_4": "both terms of the bound divided by 4"}, cost=2.0))
_F4 = register(Statement(
    id="F4", name="npg_regret",
    text="log-linear NPG from theta_0 = 0: min_{t<T}(V^pi~ - V_t)(rho) <= (log|A|/(eta T) + eta beta W^2/2 + "
         "mean_t err_t)/(1-gamma), beta = B^2",
    source="AJKS Lemma 11.3", check=npg_regret,
    cases=_cases("F4", gammas=(_HALF, _NINE), extra=_f4_extra), modes=("float",),
    variants={"drop_smoothness_term": "bound without eta beta W^2 / 2"}, cost=3.0))
_G1 = register(Statement(
    id="G1", name="cpi_improvement",
    text="CPI: ||pi_(t+1)(.|s) - pi_t(.|s)||_1 <= 2 alpha; ||d^(t+1) - d^t||_1 <= 2 alpha gamma/(1-gamma); "
         "Delta V(mu) >= alpha/(1-gamma) (AA - 2 alpha gamma/(1-gamma)^2), r in [0,1]",
    source="AJKS Lemma 12.1, Thm 12.2", check=cpi_improvement,
    cases=_cases("G1", gammas=(_HALF, _NINE), unit_rewards=True, extra=_g1_extra), modes=("float", "exact"),
    variants={"pi_shift_alpha": "||pi_(t+1)(.|s) - pi_t(.|s)||_1 <= alpha"}, cost=2.0))
