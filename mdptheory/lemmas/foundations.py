r"""statement section A: Bellman equations, visitation, performance difference, optimality.

Each checker computes both sides of its statement by independent routes and
returns a :class:`~mdptheory.lemmas.framework.report.CheckReport`.  ``variant`` selects
a deliberately broken version of the statement (used by the negative tests and
``python -m proofs_check --broken``): a correct checker must report it
FALSIFIED.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from .framework.prologue import check_variant, dot, new_report, prepare_policy, resolve_mode, solve_linear
from .framework.registry import Statement, register
from .framework.report import float_tolerance
from .framework.routes import values_direct
from .framework.suite import case_rng, policy_cases, random_case_mdp
from .framework.convention import checker_convention

__all__ = ["bellman_equations", "visitation_identities", "performance_difference", "optimality"]


def _max_abs_r(mdp):
    return float(np.max(np.abs(np.asarray(mdp.r, dtype=float)))) if mdp.r.size else 0.0


def _fmt_arr(x, mode):
    return np.asarray(x, dtype=object if mode == "exact" else float)


# --------------------------------------------------------------------- A1
@checker_convention(policy="policy", legacy=("pi",))
def bellman_equations(mdp, pi, *, mode=None, variant=None, seed=None):
    r"""Check the Bellman equations for a fixed policy (statement A1; AJKS Ch. 1).

    .. math::

        Q^\pi = r + \gamma P V^\pi, \quad V^\pi(s) = \sum_a \pi(a|s) Q^\pi(s,a),
        \quad V^\pi = r^\pi + \gamma P^\pi V^\pi.

    Independent routes: :math:`V^\pi` from the state system
    :math:`(I-\gamma P^\pi)V = r^\pi` (:func:`mdptheory.evaluate`);
    :math:`Q^\pi` from its own state-action system
    :math:`(I - \gamma P\Pi) Q = r` over :math:`SA` unknowns, where
    :math:`(P\Pi)[(s,a),(s',a')] = P(s'|s,a)\pi(a'|s')`.

    Data flow — left: V from :func:`mdptheory.evaluate` (state system); right: Q from the state-action system
    formed and solved here; shared: MDP, :math:`\pi`.

    Broken variants: ``"drop_gamma"`` (:math:`Q = r + PV`),
    ``"transpose_P_pi"`` (the Bellman residual with :math:`(P^\pi)^\top`).

    Returns
    -------
    CheckReport
    """
    stmt = _A1
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, pi, mode=mode)
    pi = prepare_policy(mdp, pi, mode)
    m = mdp if mode == "exact" else mdp.to_float()
    rep = new_report(stmt, mode, {"mdp": m, "pi": pi, "seed": seed}, variant)
    ev = evaluate(m, pi, mode=mode)
    S, A = m.n_states, m.n_actions
    g = m.gamma
    # state-action system, built independently of the evaluation
    P2 = m.P_dense().reshape(S * A, S)
    PPi = (P2[:, :, None] * pi[None, :, :]).reshape(S * A, S * A)
    M = -g * PPi
    for k in range(S * A):
        M[k, k] += 1
    Q_sa = solve_linear(M, m.r.reshape(-1), mode).reshape(S, A)
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m, _max_abs_r(m) / (1 - float(g)) + 1.0)
        rep.tolerance_rule = rule
    gq = 1 if variant == "drop_gamma" else g
    PV = (P2 @ ev.V).reshape(S, A) if mode == "float" else np.array(
        [dot(P2[k], ev.V, mode) for k in range(S * A)], dtype=object).reshape(S, A)
    rep.identity("Q^pi (state-action solve) = r + gamma P V^pi (state solve)", Q_sa, m.r + gq * PV, tol=tol)
    V_from_Q = (pi * Q_sa).sum(axis=1)
    rep.identity("V^pi(s) = sum_a pi(a|s) Q^pi(s,a)", ev.V, V_from_Q, tol=tol)
    P_pi = ev.P_pi if variant != "transpose_P_pi" else np.asarray(ev.P_pi).T
    rhs = ev.r_pi + g * (P_pi @ ev.V if mode == "float" else np.array([dot(row, ev.V, mode) for row in P_pi], dtype=object))
    rep.identity("V^pi = r^pi + gamma P^pi V^pi", ev.V, rhs, tol=tol)
    rep.details = {"V": ev.V, "Q": Q_sa}
    return rep


# --------------------------------------------------------------------- A2
@checker_convention(policy="policy", legacy=("pi",))
def visitation_identities(mdp, pi, *, mu=None, f=None, mode=None, variant=None, seed=None, horizon: int = 30):
    r"""Check the discounted visitation identities (statement A2; AJKS Ch. 1).

    .. math::

        d_\mu^\pi = (1-\gamma)\sum_t \gamma^t \Pr(s_t = \cdot \mid s_0\sim\mu), \quad
        \sum_s d_\mu^\pi(s) = 1, \quad d_\mu^\pi \ge (1-\gamma)\mu,

        \sum_a \nu(s,a) = (1-\gamma)\mu(s) + \gamma\sum_{s',a'} P(s|s',a')\nu(s',a'), \quad
        \mathbb E\Big[\sum_t \gamma^t f(s_t,a_t)\Big] = \frac{1}{1-\gamma}\mathbb E_{\nu}[f].

    Data flow — left: :math:`d` from the transposed solve of
    :func:`mdptheory.evaluate`; right: the flow constraint formed here from
    ``P`` and :math:`\pi`, the series by propagating :math:`\mu^\top (P^\pi)^t`
    for ``horizon`` steps, and the discounted sum of ``f`` by a *forward*
    solve with reward ``f`` (a matrix formed here); shared: MDP,
    :math:`\pi`, :math:`\mu`, ``f``.

    What each part decides: the flow constraint determines :math:`d` uniquely
    (:math:`I - \gamma (P^\pi)^\top` is invertible), so it is the decisive
    check of the visitation.  The series parts are weaker than they look: the
    partial sum :math:`d_T` must satisfy :math:`d_T \le d` componentwise and
    :math:`\sum_s (d - d_T)(s) = \gamma^T` (the tail's mass), exactly in exact
    mode; since the true tail is also nonnegative with mass :math:`\gamma^T`,
    together they give only :math:`\|d - d_{\text{series}}\|_1 \le 2\gamma^T`
    (about 0.08 at :math:`\gamma = 0.9`, ``horizon = 30``), not equality.

    Broken variants: ``"drop_one_minus_gamma"`` (d without its
    :math:`1-\gamma`), ``"mu_for_d"`` (:math:`\mu` used where :math:`d` belongs).
    """
    stmt = _A2
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, pi, mu, f, mode=mode)
    pi = prepare_policy(mdp, pi, mode)
    m = mdp if mode == "exact" else mdp.to_float()
    S, A = m.n_states, m.n_actions
    if mu is None:
        mu = m.rho
    mu = _fmt_arr(mu, mode)
    if f is None:
        f = m.r
    f = _fmt_arr(f, mode)
    rep = new_report(stmt, mode, {"mdp": m, "pi": pi, "mu": mu, "f": f, "seed": seed}, variant)
    g = m.gamma
    one = Fraction(1) if mode == "exact" else 1.0
    ev = evaluate(m, pi, mode=mode)
    d = ev.visitation(mu)
    if variant == "drop_one_minus_gamma":
        d = d / (one - g)
    if variant == "mu_for_d":
        d = mu
    tol = tol_d = None
    if mode == "float":
        tol_d, rule = float_tolerance(m, 1.0)
        tol, _ = float_tolerance(m, float(np.max(np.abs(f))) / (1 - float(g)) + 1.0)
        rep.tolerance_rule = rule
    rep.identity("sum_s d(s) = 1", np.array([d.sum()]), np.array([one]), tol=tol_d)
    rep.inequality("d >= (1-gamma) mu", (one - g) * mu, d, tol=tol_d)
    # truncated series: d_T <= d <= d_T + gamma^T
    x = mu.copy()
    dT = np.zeros(S, dtype=x.dtype)
    gt = one
    P_pi = ev.P_pi
    for _ in range(horizon):
        dT = dT + (one - g) * gt * x
        x = x @ P_pi if mode == "float" else np.array([dot(x, P_pi[:, s], mode) for s in range(S)], dtype=object)
        gt = gt * g
    rep.inequality(f"series partial sum d_{horizon} <= d", dT, d, tol=tol_d)
    rep.identity(f"tail mass: sum_s (d - d_{horizon})(s) = gamma^{horizon}", np.array([(d - dT).sum()]),
                 np.array([gt]), tol=tol_d)
    # flow constraint of the occupancy
    nu = d[:, None] * pi
    P = m.P_dense()
    inflow = np.einsum("sat,sa->t", P, nu) if mode == "float" else np.array(
        [sum((P[s, a, t] * nu[s, a] for s in range(S) for a in range(A)), Fraction(0)) for t in range(S)],
        dtype=object)
    rep.identity("flow: sum_a nu(s,a) = (1-gamma) mu(s) + gamma sum P(s|s',a') nu(s',a')",
                 nu.sum(axis=1), (one - g) * mu + g * inflow, tol=tol_d)
    # discounted sum of f by a forward solve (reward f), vs the occupancy expectation
    f_pi = (pi * f).sum(axis=1)
    M = -g * np.asarray(P_pi, dtype=object if mode == "exact" else float)
    for s in range(S):
        M[s, s] += 1
    Vf = solve_linear(M, f_pi, mode)
    lhs = dot(mu, Vf, mode)
    rhs = dot(nu, f, mode) / (one - g)
    rep.identity("E[sum_t gamma^t f(s_t,a_t)] = E_nu[f]/(1-gamma)", np.array([lhs]), np.array([rhs]), tol=tol)
    rep.details = {"d": d}
    return rep


# --------------------------------------------------------------------- A3
@checker_convention(policy="policy", legacy=("pi", "pi2"))
def performance_difference(mdp, pi, pi2, *, mu=None, mode=None, variant=None, seed=None):
    r"""Check the performance difference lemma and the advantage facts (statement A3; AJKS Lemma 1.16).

    .. math::

        V^\pi(\mu) - V^{\pi'}(\mu) = \frac{1}{1-\gamma}
            \mathbb E_{s\sim d_\mu^\pi}\mathbb E_{a\sim\pi(\cdot|s)}[A^{\pi'}(s,a)],
        \qquad \sum_a \pi(a|s) A^\pi(s,a) = 0, \qquad A^{\pi^*} \le 0.

    Independent routes: the left side from two forward evaluations; the right
    side from the transposed solve (visitation of :math:`\pi`) and the advantage
    of :math:`\pi'`.  :math:`A^{\pi^*} \le 0` is checked as
    :math:`\max_a A^{\pi^*}(s,a) = 0` for every state, which is equivalent; the
    optimal policy comes from exact policy iteration (:func:`mdptheory.optimal.solve`).

    Data flow — left: two value solves of :func:`mdptheory.evaluate`; right: the visitation of :math:`\pi`
    (transposed solve) and the advantage of :math:`\pi'` from a separate evaluation; shared: MDP, :math:`\pi`,
    :math:`\pi'`, :math:`\mu`.

    Broken variants: ``"d_of_pi2"`` (the visitation of :math:`\pi'` instead of
    :math:`\pi`), ``"drop_horizon"`` (the :math:`1/(1-\gamma)` factor dropped),
    ``"mu_for_d"`` (:math:`\mu` used where :math:`d_\mu^\pi` belongs).
    """
    from ..optimal import solve

    stmt = _A3
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, pi, pi2, mu, mode=mode)
    pi = prepare_policy(mdp, pi, mode)
    pi2 = prepare_policy(mdp, pi2, mode)
    m = mdp if mode == "exact" else mdp.to_float()
    if mu is None:
        mu = m.rho
    mu = _fmt_arr(mu, mode)
    rep = new_report(stmt, mode, {"mdp": m, "pi": pi, "pi2": pi2, "mu": mu, "seed": seed}, variant)
    one = Fraction(1) if mode == "exact" else 1.0
    g = m.gamma
    ev1 = evaluate(m, pi, mode=mode)
    ev2 = evaluate(m, pi2, mode=mode)
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m, _max_abs_r(m) / (1 - float(g)) + 1.0, order=2)
        rep.tolerance_rule = rule
    d = ev1.visitation(mu)
    if variant == "d_of_pi2":
        d = ev2.visitation(mu)
    if variant == "mu_for_d":
        d = mu
    horizon = one if variant == "drop_horizon" else one / (one - g)
    lhs = dot(mu, ev1.V, mode) - dot(mu, ev2.V, mode)
    rhs = horizon * dot(d[:, None] * pi, ev2.advantage, mode)
    rep.identity("V^pi(mu) - V^pi'(mu) = E_{d^pi} E_pi [A^pi'] / (1-gamma)", np.array([lhs]), np.array([rhs]), tol=tol)
    zero = np.zeros(m.n_states, dtype=object if mode == "exact" else float)
    if mode == "exact":
        zero[:] = Fraction(0)
    scale_A = None if mode == "exact" else float(np.max(np.abs(ev1.advantage)))
    rep.identity("sum_a pi(a|s) A^pi(s,a) = 0", (pi * ev1.advantage).sum(axis=1), zero, tol=tol, scale=scale_A)
    opt = solve(m)
    A_star = opt.Q - opt.V[:, None]
    max_A = np.array([max(row) for row in A_star], dtype=object) if mode == "exact" else A_star.max(axis=1)
    rep.identity("max_a A^{pi*}(s,a) = 0 (i.e. A^{pi*} <= 0)", max_A, zero, tol=tol,
                 scale=None if mode == "exact" else float(np.max(np.abs(opt.Q))))
    rep.details = {"lhs": lhs, "rhs": rhs}
    return rep


# --------------------------------------------------------------------- A4
@checker_convention()
def optimality(mdp, *, mode=None, variant=None, seed=None):
    r"""Check exact optimality of policy iteration's answer (statement A4; Puterman Thm 6.4.2).

    .. math::

        V^*(s) = \max_a \big(r(s,a) + \gamma \textstyle\sum_{s'} P(s'|s,a) V^*(s')\big), \qquad
        V^* \ge V^\pi \ \text{for every deterministic } \pi.

    Independent routes: :math:`V^*`, :math:`Q^*` and :math:`\pi^*` from
    :func:`mdptheory.optimal.solve`; the Bellman optimality backup and
    :math:`r + \gamma P V^*` (against the returned :math:`Q^*`) recomputed here
    from ``P`` and ``r``; :math:`V^{\pi^*}` by a solve of
    :math:`I - \gamma P^{\pi^*}` formed here
    (:func:`mdptheory.lemmas.framework.routes.values_direct`); on small
    MDPs (:math:`A^S \le 256`) :math:`V^*` is compared with the pointwise
    maximum over all deterministic policies, each evaluated separately.  In
    exact mode the residual must be exactly zero.

    Data flow — left: :math:`V^*`, :math:`Q^*`, :math:`\pi^*` of exact policy iteration; right: the
    optimality backup and :math:`r + \gamma P V^*` formed here from ``P`` and ``r``, :math:`V^{\pi^*}` by the
    checker's own solve, and the maximum over separately evaluated deterministic policies; shared: MDP.

    Broken variant: ``"min_backup"`` (the backup with :math:`\min_a`).
    """
    from ..optimal import solve
    from ..policies.tabular import deterministic_policy

    stmt = _A4
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, mode=mode)
    m = mdp if mode == "exact" else mdp.to_float()
    rep = new_report(stmt, mode, {"mdp": m, "seed": seed}, variant)
    opt = solve(m)
    S, A = m.n_states, m.n_actions
    g = m.gamma
    P2 = m.P_dense().reshape(S * A, S)
    backup_q = m.r + g * (np.array([dot(P2[k], opt.V, mode) for k in range(S * A)], dtype=object).reshape(S, A)
                          if mode == "exact" else (P2 @ opt.V).reshape(S, A))
    pick = min if variant == "min_backup" else max
    backup = np.array([pick(row) for row in backup_q], dtype=object) if mode == "exact" else (
        backup_q.min(axis=1) if variant == "min_backup" else backup_q.max(axis=1))
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m, _max_abs_r(m) / (1 - float(g)) + 1.0)
        rep.tolerance_rule = rule
    rep.identity("V* = max_a (r + gamma P V*)", opt.V, backup, tol=tol)
    # Q* as policy iteration returns it against r + gamma P V* formed here, and pi* greedy for it:
    # V^pi* by the checker's own solve of (I - gamma P^pi*) V = r^pi*
    rep.identity("Q* (returned by policy iteration) = r + gamma P V* (formed here)", opt.Q, backup_q, tol=tol)
    v_pi_star = values_direct(m, np.asarray(opt.pi, dtype=object if mode == "exact" else float), mode)
    rep.identity("V^pi* (pi* returned, evaluated by a solve formed here) = V*", v_pi_star, opt.V, tol=tol)
    if A**S <= 256:
        best = None
        for acts in np.ndindex(*([A] * S)):
            V = evaluate(m, deterministic_policy(m, np.array(acts, dtype=np.int64)), mode=mode).V
            best = V.copy() if best is None else np.array([max(x, y) for x, y in zip(best, V)], dtype=best.dtype)
        rep.identity("V* = max over deterministic policies of V^pi (enumerated)", opt.V, best, tol=tol)
    rep.details = {"V_star": opt.V, "actions": getattr(opt, "actions", None)}
    return rep


# ------------------------------------------------------------ registration
def _optimality_cases(seed, n, mode):
    exact = mode == "exact"
    for i in range(n):
        rng = case_rng(seed, "A4", i)
        yield {"mdp": random_case_mdp(rng, exact=exact, max_states=4), "seed": (seed, i)}


_A1 = register(Statement(
    id="A1", name="bellman_equations",
    text="Q^pi = r + gamma P V^pi; V^pi(s) = sum_a pi(a|s) Q^pi(s,a); V^pi = (I - gamma P^pi)^-1 r^pi",
    source="AJKS Ch. 1 (Bellman consistency)", check=bellman_equations, cases=policy_cases("A1"),
    variants={"drop_gamma": "Q = r + P V (discount dropped)",
              "transpose_P_pi": "Bellman residual with the transposed P^pi"}))
_A2 = register(Statement(
    id="A2", name="visitation_identities",
    text="d = (1-gamma) sum_t gamma^t Pr(s_t); sum d = 1; d >= (1-gamma) mu; occupancy flow constraint; "
         "E[sum_t gamma^t f] = E_nu[f]/(1-gamma)",
    source="AJKS Ch. 1 (discounted state visitation)", check=visitation_identities,
    cases=policy_cases("A2", with_mu=True, with_f=True),
    variants={"drop_one_minus_gamma": "d without the (1-gamma) factor",
              "mu_for_d": "the start distribution used in place of d"}))
_A3 = register(Statement(
    id="A3", name="performance_difference",
    text="V^pi(mu) - V^pi'(mu) = (1-gamma)^-1 E_{s~d_mu^pi} E_{a~pi}[A^pi'(s,a)]; "
         "sum_a pi A^pi = 0; A^pi* <= 0",
    source="AJKS Lemma 1.16", check=performance_difference, cases=policy_cases("A3", n_policies=2, with_mu=True),
    variants={"d_of_pi2": "visitation of pi' instead of pi", "drop_horizon": "1/(1-gamma) dropped",
              "mu_for_d": "mu used where d_mu^pi belongs"}))
_A4 = register(Statement(
    id="A4", name="optimality",
    text="policy iteration terminates with V*, Q*, pi*; the Bellman optimality residual is exactly 0; "
         "V* >= V^pi for every deterministic pi",
    source="Puterman (1994) Thm 6.4.2; AJKS Ch. 1", check=optimality, cases=_optimality_cases,
    variants={"min_backup": "Bellman backup with min_a instead of max_a"}))
