r"""statement section H: policy mirror descent and AMPO (Alfano, Yuan, Rebeschini 2023; Xiao 2022).

H1 checks one PMD step: the KL step against the NPG update computed through
the Fisher pseudo-inverse and the implicit-differentiation gradient (a route
that never touches :math:`Q`), the Euclidean step against the optimality
conditions of the simplex projection, and monotone improvement on every
state.  H2 checks the derived linear rate with geometrically increasing step
sizes at every iterate, exactly in rationals for the Euclidean mirror map.
H3 checks that AMPO with an exact (tabular) Step I reproduces KL-PMD, and
reports the measured rate and floor when the energy class is too small.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..algorithms._common import optimum
from ..algorithms.mirror import ampo, pmd_step, pmd_step_sizes, policy_mirror_descent
from ..evaluation import evaluate
from ..fields import float_array
from ..policies import LogLinear, TabularSoftmax
from ..policies.tabular import uniform_policy
from .framework.prologue import check_variant, dot, new_report, prepare_policy, resolve_mode
from .framework.routes import confirm_values, confirm_visitation
from .framework.registry import Statement, register
from .framework.report import FALSIFIED, UNDECIDED, VERIFIED, float_tolerance
from .framework.suite import GAMMAS, case_rng, random_case_mdp, random_case_policy
from .framework.convention import checker_convention

__all__ = ["pmd_step_improvement", "pmd_linear_convergence", "ampo_reduction"]


def _rmax(m):
    return float(np.max(np.abs(np.asarray(m.r, dtype=float)))) if m.r.size else 0.0


def _value_tol(rep, m, order=2):
    tol, rule = float_tolerance(m, _rmax(m) / (1 - float(m.gamma)) + 1.0, order=order)
    rep.tolerance_rule = rule
    return tol


# --------------------------------------------------------------------- H1
@checker_convention(policy="policy", legacy=("pi", "eta"))
def pmd_step_improvement(mdp, pi, eta, *, mode=None, variant=None, seed=None):
    r"""Check one policy-mirror-descent step (statement H1; Alfano et al. 2023; Xiao 2022).

    .. math::

        \pi^+(\cdot|s) = \arg\max_{p\in\Delta}\{\eta\langle Q^\pi(s,\cdot), p\rangle - D(p,\pi(\cdot|s))\},
        \qquad V^{\pi^+} \ge V^\pi \text{ on every state.}

    KL mirror map (float): :math:`\pi^+ \propto \pi e^{\eta Q^\pi}`
    (:func:`mdptheory.algorithms.pmd_step`) is compared with the NPG update
    :math:`\theta^+ = \theta + \eta(1-\gamma)F_\rho^\dagger\nabla V(\rho)` at
    :math:`\theta = \log\pi`; the factor :math:`1-\gamma` converts PMD's
    :math:`\eta` into NPG's, which scales :math:`A` by :math:`1/(1-\gamma)`.
    Data flow of this part — left: :func:`mdptheory.evaluate`'s :math:`Q` and
    the library step; right: :math:`F_\rho` of
    :func:`mdptheory.geometry.fisher` (the library's visitation) with
    :math:`\nabla V(\rho)` by the forward solve of the differentiated Bellman
    system formed in the checker
    (:func:`mdptheory.lemmas.framework.routes.gradient_direct`: no
    :math:`Q`, no visitation), so a wrong visitation no longer cancels between
    :math:`F` and :math:`\nabla V`; :func:`mdptheory.geometry.natural_gradient`
    is compared with that direction (:math:`F^\dagger\nabla V` by the generic
    pseudo-inverse here: the minimum-norm solution) and with its step; shared: MDP, :math:`\pi`,
    :math:`\eta`.  Euclidean mirror map (float and
    exact): the projection :math:`p = \Pi_\Delta(y)`, :math:`y = \pi + \eta Q^\pi`,
    must satisfy the optimality condition of the projection,
    :math:`\max_a (y - p)_a = \langle y - p, p\rangle` on every state (exactly in
    rationals).  Monotone improvement is checked on every state for each map,
    from two separate evaluations.

    Broken variant: ``"descent"`` (the step taken with :math:`-\eta Q`).
    """
    stmt = _H1
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, pi, mode=mode)
    exact = mode == "exact"
    pi = prepare_policy(mdp, pi, mode)
    m = mdp if exact else mdp.to_float()
    eta = Fraction(eta) if exact else float(eta)
    rep = new_report(stmt, mode, {"mdp": m, "pi": pi, "eta": eta, "seed": seed}, variant)
    tol = None if exact else _value_tol(rep, m)
    if exact:
        rep.tolerance_rule = "none: exact rationals"
    sign = -1 if variant == "descent" else 1
    ev = evaluate(m, pi, mode=mode)
    mirrors = ("euclidean",) if exact else ("kl", "euclidean")
    details = {}
    for mirror in mirrors:
        pi_next = pmd_step(pi, ev.Q, sign * eta, mirror=mirror)
        if mirror == "kl":
            from ..geometry import fisher, natural_gradient, pinv_solve
            from .framework.routes import gradient_direct

            prm = TabularSoftmax(m.n_states, m.n_actions)
            theta = np.log(np.asarray(pi, dtype=float)).reshape(-1)
            F = np.asarray(fisher(m, prm, theta, mu=m.rho, mode="float"), dtype=float)
            grad = np.asarray(gradient_direct(m, prm, theta, m.rho, "float"), dtype=float)
            w = np.asarray(pinv_solve(F, grad), dtype=float)
            pi_npg = prm.probs(theta + eta * (1 - float(m.gamma)) * w)
            tol_p, _ = float_tolerance(m, 1.0 + eta * float(np.max(np.abs(ev.Q))), order=2)
            rep.identity("KL-PMD step pi exp(eta Q)/Z = NPG step theta + eta(1-gamma) F^+ grad V (Fisher route)",
                         pi_next, pi_npg, tol=tol_p)
            w_lib = np.asarray(natural_gradient(m, prm, theta, mu=m.rho, mode="float"), dtype=float)
            rep.identity("NPG step with geometry.natural_gradient = NPG step with F^+ grad V (forward solves)",
                         prm.probs(theta + eta * (1 - float(m.gamma)) * w_lib), pi_npg, tol=tol_p)
            # the direction itself: the step cannot see a solution of F w = grad V that is not the
            # minimum-norm one (tabular softmax: they differ by per-state constants, the same policy)
            eig = np.linalg.eigvalsh(F)
            top = max(float(eig.max()), 1e-300)
            pos = eig[eig > F.shape[0] * np.finfo(float).eps * top]
            cond = float(top / pos.min()) if pos.size else 1.0
            tol_w, _ = float_tolerance(m, cond * (float(np.max(np.abs(w))) + 1.0), order=2)
            rep.identity("geometry.natural_gradient = F^+ grad V, the minimum-norm solution (pinv of F here, "
                         "grad V by forward solves)", w_lib, w, tol=tol_w)
        else:
            y = pi + (sign * eta) * ev.Q
            gap = y - pi_next
            if exact:
                lhs = np.array([max(row) for row in gap], dtype=object)
                rhs = np.array([dot(gap[s], pi_next[s], mode) for s in range(m.n_states)], dtype=object)
            else:
                lhs, rhs = gap.max(axis=1), (gap * pi_next).sum(axis=1)
            tol_y = None if exact else float_tolerance(m, 1.0 + eta * float(np.max(np.abs(ev.Q))), order=1)[0]
            rep.identity("Euclidean step: max_a (y - p)_a = <y - p, p> (projection optimality), y = pi + eta Q",
                         lhs, rhs, tol=tol_y)
        V_next = evaluate(m, pi_next, mode=mode).V
        rep.inequality(f"{mirror} PMD: V^(pi+)(s) >= V^pi(s) for every s", ev.V, V_next, tol=tol)
        details[mirror] = {"pi_next": pi_next, "V": ev.V, "V_next": V_next}
    rep.details = details
    return rep


# --------------------------------------------------------------------- H2
def _pmd_run(m, mirror, etas, mode):
    exact = mode == "exact"
    pi = uniform_policy(m)
    pis, Vs = [pi], []
    for eta in etas:
        ev = evaluate(m, pi, mode=mode)
        Vs.append(ev.V)
        pi = pmd_step(pi, ev.Q, eta, mirror=mirror)
        pis.append(pi)
    Vs.append(evaluate(m, pi, mode=mode).V)
    return pis, Vs


def _divergence(p, q, mirror, exact):
    """Per-state D(p_s, q_s): KL (float) or half the squared Euclidean distance (exact if the inputs are)."""
    if mirror == "euclidean":
        diff = p - q
        return (diff * diff).sum(axis=1) / 2
    pf, qf = np.asarray(float_array(p), dtype=float), np.asarray(float_array(q), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(pf > 0, pf * (np.log(np.where(pf > 0, pf, 1.0)) - np.log(np.where(qf > 0, qf, 1.0))), 0.0)
    return t.sum(axis=1)


def _confirm_pmd_run(rep, m, mirror, etas, pis, Vs, mode):
    r"""Each iterate of the run against the checker's own routes: :math:`V_k` and the step from :math:`Q_k`.

    :math:`V^{\pi_k}` and :math:`Q^{\pi_k}` by forward solves formed here
    (:mod:`mdptheory.lemmas.framework.routes`); the run's :math:`\pi_{k+1}` must
    be the mirror step from :math:`\pi_k` with that :math:`Q` and the run's
    values its :math:`V`, so a wrong library :math:`Q` or :math:`V` inside the
    run changes the verdict.
    """
    from .framework.routes import q_direct, values_direct

    exact = mode == "exact"
    arr = object if exact else float
    own_next, run_next, V_own = [], [], []
    for k, eta in enumerate(etas):
        V_k = values_direct(m, pis[k], mode)
        V_own.append(V_k)
        own_next.append(pmd_step(pis[k], np.asarray(q_direct(m, pis[k], mode, V_k), dtype=arr), eta,
                                 mirror=mirror))
        run_next.append(pis[k + 1])
    V_own.append(values_direct(m, pis[-1], mode))
    tol_v = tol_p = None
    if not exact:
        tol_v, _ = float_tolerance(m, _rmax(m) / (1 - float(m.gamma)) + 1.0, order=1)
        qmax = _rmax(m) / (1 - float(m.gamma)) + 1.0
        tol_p, _ = float_tolerance(m, 1.0 + float(max(etas, default=0.0)) * qmax, order=2)
    if etas:
        rep.identity(f"{mirror}: the run's pi_(k+1) = mirror step from pi_k with Q^(pi_k) by forward solves",
                     np.concatenate([np.asarray(x, dtype=arr).reshape(-1) for x in run_next]),
                     np.concatenate([np.asarray(x, dtype=arr).reshape(-1) for x in own_next]), tol=tol_p)
    rep.identity(f"{mirror}: the run's V^(pi_k) = forward solves formed here",
                 np.concatenate([np.asarray(x, dtype=arr).reshape(-1) for x in Vs]),
                 np.concatenate([np.asarray(x, dtype=arr).reshape(-1) for x in V_own]), tol=tol_v)


@checker_convention()
def pmd_linear_convergence(mdp, *, eta0, T=8, mode=None, variant=None, seed=None):
    r"""Check the linear rate of PMD with :math:`\eta_{k+1} = \eta_k/\gamma` at every iterate (statement H2, derived).

    .. math::

        V^*(\rho) - V^{\pi_k}(\rho) \le \Big(1 - \frac1\vartheta\Big)^k
            \Big[V^*(\rho) - V^{\pi_0}(\rho)
            + \frac{\mathbb E_{s\sim d_\rho^{\pi^*}} D(\pi^*_s, \pi_{0,s})}{(1-\gamma)\eta_0(\vartheta - 1)}\Big],
        \qquad \vartheta = \frac{1}{1-\gamma}\Big\|\frac{d_\rho^{\pi^*}}{\rho}\Big\|_\infty,

    under the step-size condition :math:`\eta_{k+1} \ge \eta_k\vartheta/(\vartheta-1)`,
    which :math:`\eta_{k+1} = \eta_k/\gamma` satisfies (since
    :math:`(1-\gamma)\vartheta \ge 1`); the condition is checked too.

    **Derived, not the published statement**: this is statement H2's form of the
    linear rate of Xiao (2022) for PMD with increasing step sizes, with the
    constants as derived there; Xiao's published constants could not be
    confirmed.  What is checked is exactly the inequality above, with
    :math:`\pi^*` the deterministic optimal policy of exact policy iteration,
    :math:`\pi_0` uniform, :math:`\rho > 0`, and :math:`D` the mirror map's
    Bregman divergence (KL; or :math:`\tfrac12\|\cdot\|_2^2` for the Euclidean
    map).  Float mode runs both maps; exact mode the Euclidean one, whose
    iterates, :math:`\vartheta`, :math:`D` and the bound are exact rationals.

    Data flow — left: the run's values from separate evaluations; right: the bound from :math:`V^*` of exact
    policy iteration, :math:`d_\rho^{\pi^*}` (confirmed by forward solves formed here) and the divergences;
    shared: MDP, :math:`\eta_0`.  Every iterate of the run is confirmed by the checker's own
    forward solves: its values, and its step recomputed from :math:`Q^{\pi_k}` formed here.

    Broken variants: ``"no_initial_gap"`` (the bound without its
    :math:`V^*(\rho) - V^{\pi_0}(\rho)` term), ``"shrinking_steps"`` (the run and
    the condition with :math:`\eta_{k+1} = \gamma\eta_k`).
    """
    stmt = _H2
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, mode=mode)
    exact = mode == "exact"
    m = mdp if exact else mdp.to_float()
    one = Fraction(1) if exact else 1.0
    g = m.gamma
    eta0 = Fraction(eta0) if exact else float(eta0)
    rho = m.rho
    rep = new_report(stmt, mode, {"mdp": m, "eta0": eta0, "T": T, "rho": rho, "seed": seed}, variant)
    tol = None if exact else _value_tol(rep, m)
    if exact:
        rep.tolerance_rule = "none: exact rationals"
    sol = optimum(m)
    pi_star = sol.pi
    d_star = confirm_visitation(rep, m, pi_star, rho, evaluate(m, pi_star, mode=mode).visitation(rho), mode,
                                what="d_rho^pi* in theta")
    ratio = max(d_star[s] / rho[s] for s in range(m.n_states))
    theta = ratio / (one - g)
    v_star = dot(rho, sol.V, mode)
    etas = pmd_step_sizes(eta0, g, T, schedule="geometric")
    if variant == "shrinking_steps":
        etas = [eta0 * g ** k for k in range(T)]
    # the step-size condition, decided in exact rationals (a float MDP is read as the rationals it stores):
    # with eta_(k+1) = eta_k/gamma it is (1-gamma) theta >= 1, an equality when d_rho^pi* = rho
    me = m if exact else m.to_exact()
    ge = me.gamma
    de = evaluate(me, optimum(me).pi, mode="exact").visitation(me.rho)
    theta_e = max(de[s] / me.rho[s] for s in range(me.n_states)) / (1 - ge)
    etas_e = [Fraction(eta0)] if not etas else [Fraction(e) for e in pmd_step_sizes(Fraction(eta0), ge, T)]
    if variant == "shrinking_steps":
        etas_e = [Fraction(eta0) * ge ** k for k in range(T)]
    cond = [etas_e[k + 1] - etas_e[k] * theta_e / (theta_e - 1) for k in range(T - 1)]
    worst = min(cond, default=Fraction(0))
    rep.claim("step sizes: eta_(k+1) >= eta_k theta/(theta - 1) (decided in exact rationals)",
              VERIFIED if worst >= 0 else FALSIFIED, "exact comparison", slack=worst)
    details = {"theta": theta, "etas": etas}
    for mirror in (("euclidean",) if exact else ("kl", "euclidean")):
        pis, Vs = _pmd_run(m, mirror, etas, mode)
        _confirm_pmd_run(rep, m, mirror, etas, pis, Vs, mode)
        gaps = [v_star - dot(rho, V, mode) for V in Vs]
        D0 = dot(d_star, _divergence(pi_star, pis[0], mirror, exact), mode)
        const = (gaps[0] if variant != "no_initial_gap" else 0) + D0 / ((one - g) * eta0 * (theta - 1))
        rate = one - one / theta
        bound = [rate ** k * const for k in range(T + 1)]
        arr = object if exact else float
        rep.inequality(f"{mirror}: V*(rho) - V_k(rho) <= (1 - 1/theta)^k [gap_0 + E_d* D / ((1-gamma) eta_0 "
                       f"(theta-1))], k = 0..{T}", np.array(gaps, dtype=arr), np.array(bound, dtype=arr), tol=tol)
        gf = np.array([float(x) for x in gaps])
        pos = gf > 1e-300
        slope = float(np.polyfit(np.arange(T + 1)[pos], np.log(gf[pos]), 1)[0]) if pos.sum() >= 2 else None
        details[mirror] = {"gaps": gaps, "bound": bound, "D0": D0, "measured_log_rate": slope,
                           "bound_log_rate": math.log(float(rate)) if float(rate) > 0 else None}
    rep.details = details
    return rep


# --------------------------------------------------------------------- H3
@checker_convention()
def ampo_reduction(mdp, *, eta0, T=4, n_features=(1, 2), mode=None, variant=None, seed=None):
    r"""Check that tabular AMPO with an exact Step I is KL-PMD, and measure the floor of limited features (statement H3).

    .. math::

        f^{\theta_{k+1}} = Q^{\pi_k} + \eta_k^{-1}(\log\pi_k + 1)
        \;\Longrightarrow\; \pi_{k+1} \propto e^{\eta_k f^{\theta_{k+1}}} \propto \pi_k e^{\eta_k Q^{\pi_k}}.

    Routes: :func:`mdptheory.algorithms.ampo` with a
    :class:`~mdptheory.policies.TabularSoftmax` energy and least-squares
    Step I (:math:`\mathcal D_k = d_\rho^{\pi_k}\times\mathrm{Unif}(\mathcal A)`,
    :math:`\rho > 0`) against :func:`mdptheory.algorithms.policy_mirror_descent`
    (KL, exact :math:`Q`), both with :math:`\eta_{k+1} = \eta_k/\gamma`: every
    iterate must agree (float; the step exponentiates).  Also checked: the
    approximation error of Step I is zero (below rounding) and the gap
    :math:`V^*(\rho) - V^{\pi_k}(\rho)` is non-increasing (PMD improves
    monotonically).  Reported, not checked (Alfano et al. (2023)'s constants are
    unconfirmed): for random log-linear features of rank ``n_features``, the
    measured :math:`\max_k\epsilon_k`, the final gap (the floor) and the slope
    of :math:`\log` gap.

    Modes: ``"float"`` compares with the library's float KL-PMD; ``"ball"``
    (exact MDP, rational :math:`\eta_0`) compares the library's float AMPO
    iterates with KL-PMD iterates computed here from the exact MDP in
    certified arb balls (:func:`_pmd_reference_ball`: :math:`Q^{\pi_k}` by an
    ``arb_mat`` solve), the float tolerance plus the balls' radii.  Data flow —
    left: :func:`mdptheory.algorithms.ampo` (its Step I regression and
    evaluations); right: :func:`mdptheory.algorithms.policy_mirror_descent`
    (float) or the arb recursion (ball); shared: MDP, :math:`\eta_0`, ``T``.
    The Step I fits of the limited-feature runs are confirmed by the
    checker's own routes (:func:`_confirm_ampo_fits`: the normal equations and
    the reported :math:`\epsilon_k` with :math:`Q`, :math:`d_\rho^{\pi_k}` by
    forward solves and the features drawn here), so that the measured floor
    is that of true least-squares fits; the run's values
    :math:`V^{\pi_k}(\rho)` are confirmed by forward solves, which the gap
    check uses.

    Broken variant: ``"drop_mirror_term"`` (Step I fitted to :math:`Q^{\pi_k}`
    alone, without :math:`\eta_k^{-1}(\log\pi_k + 1)`; Step II then gives
    :math:`\pi_{k+1}\propto e^{\eta_k Q^{\pi_k}}`).
    """
    stmt = _H3
    check_variant(variant, stmt.variants)
    mode = "float" if mode is None else mode
    if mode not in ("float", "ball"):
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(f"H3 is checked in float or ball mode (the mirror step exponentiates); got {mode!r}")
    if mode == "ball" and not mdp.is_exact:
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError("mode='ball' needs an exact MDP (the reference is computed from it in arb)")
    m_exact = mdp if mode == "ball" else None
    m = mdp.to_float() if mdp.is_exact else mdp
    S, A = m.n_states, m.n_actions
    eta0_in = eta0
    eta0 = float(eta0)
    rep = new_report(stmt, mode, {"mdp": m, "eta0": eta0, "T": T, "seed": seed}, variant)
    tol = _value_tol(rep, m)
    pmd = policy_mirror_descent(m, mirror="kl", eta0=eta0, schedule="geometric", T=T)
    if variant == "drop_mirror_term":
        etas = pmd_step_sizes(eta0, float(m.gamma), T, schedule="geometric")
        pol = [uniform_policy(m)]
        for k in range(T):
            Q = np.asarray(evaluate(m, pol[-1], mode="float").Q, dtype=float)
            z = etas[k] * Q
            z = z - z.max(axis=1, keepdims=True)
            pol.append(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
        errs = [0.0] * T
        values = [float(m.rho @ evaluate(m, p, mode="float").V) for p in pol]
    else:
        res = ampo(m, TabularSoftmax(S, A), eta0=eta0, schedule="geometric", T=T, step1="lstsq", mu=m.rho)
        pol, errs, values = res.policies, res.extras["approx_error"], res.values
    tol_p, _ = float_tolerance(m, 1.0 + eta0 * float(m.gamma) ** (-T) * _rmax(m) / (1 - float(m.gamma)), order=2)
    if mode == "ball":
        # the KL-PMD side from the exact MDP in certified arb balls (no library evaluation, no float)
        ref = _pmd_reference_ball(m_exact, Fraction(eta0_in).limit_denominator(10 ** 6) if not isinstance(
            eta0_in, Fraction) else eta0_in, T)
        mids = np.array([[[float(x.mid()) for x in row] for row in p] for p in ref])
        rads = max(float(x.rad()) for p in ref for row in p for x in row)
        rep.identity(f"tabular AMPO (exact Step I, library, float) iterates = KL-PMD iterates (certified arb "
                     f"reference from the exact MDP), k = 0..{T}", np.array(pol), mids, tol=tol_p + rads)
    else:
        rep.identity(f"tabular AMPO (exact Step I) iterates = KL-PMD iterates, k = 0..{T}", np.array(pol),
                     np.array(pmd.policies), tol=tol_p)
    err_tol, _ = float_tolerance(m, (1.0 + _rmax(m) / (1 - float(m.gamma)) + 10.0 / eta0) ** 2, order=2)
    worst = float(max(errs, default=0.0))
    rep.claim("Step I approximation error eps_k is zero up to rounding",
              VERIFIED if worst <= err_tol else (UNDECIDED if worst <= 10 * err_tol else FALSIFIED),
              "max_k eps_k against the rounding tolerance", max_error=worst, tolerance=err_tol)
    # the run's recorded V^(pi_k)(rho) confirmed by forward solves; the gaps use the values formed here
    own_values = confirm_values(rep, m, pol, values, "float", mu=m.rho, what="V^(pi_k)(rho), k = 0..T, of the run")
    gaps = pmd.v_star - np.asarray(own_values, dtype=float)
    if T and _strict_improvement(gaps, tol):
        rep.inequality("gap non-increasing: gap_(k+1) <= gap_k", gaps[1:], gaps[:-1], tol=tol)
    else:
        rep.claim("gap non-increasing", VERIFIED, "changes below rounding (monotonicity itself is checked by H1)",
                  gaps=gaps)
    # measured floor with limited log-linear features (reported only)
    floors = {}
    rng = np.random.default_rng([0 if seed is None else int(np.sum(np.atleast_1d(seed))), 7])
    for d in n_features:
        d = int(min(d, S * A))
        phi = rng.normal(size=(S, A, d))
        r2 = ampo(m, LogLinear(phi), eta0=eta0, schedule="geometric", T=max(T, 6), step1="lstsq", mu=m.rho)
        _confirm_ampo_fits(rep, m, phi, r2, eta0, what=f"log-linear features, d = {d}")
        gf = r2.float_gaps()
        pos = gf > 1e-14
        floors[d] = {"max_approx_error": float(max(r2.extras["approx_error"], default=0.0)),
                     "final_gap": float(gf[-1]), "gaps": gf.tolist(),
                     "log_gap_slope": float(np.polyfit(np.arange(gf.size)[pos], np.log(gf[pos]), 1)[0])
                     if pos.sum() >= 2 else None}
    rep.details = {"pmd_gaps": pmd.float_gaps().tolist(), "ampo_values": values, "approx_error": errs,
                   "limited_features": floors}
    return rep


def _confirm_ampo_fits(rep, m, phi, run, eta0, *, what):
    r"""The Step I fits of an AMPO run with a linear energy :math:`\phi\theta`, confirmed by the checker's own routes.

    For each iterate, :math:`Q^{\pi_k}` and :math:`d_\rho^{\pi_k}` by forward
    solves formed here (:mod:`mdptheory.lemmas.framework.routes`), the target
    :math:`y_k = Q^{\pi_k} + \eta_k^{-1}(\log\pi_k + 1)`, the weights
    :math:`\mathcal D_k = d_\rho^{\pi_k}/|\mathcal A|` and the features
    ``phi`` the checker drew (not the parameterization's energy Jacobian):
    the run's :math:`\theta_{k+1}` must solve the normal equations
    :math:`\Phi^\top D_k\Phi\,\theta_{k+1} = \Phi^\top D_k y_k` and its
    reported :math:`\epsilon_k` must be :math:`\sum D_k(\Phi\theta_{k+1} - y_k)^2`.
    """
    from .framework.routes import q_direct, values_direct, visitation_direct

    S, A = m.n_states, m.n_actions
    X = np.asarray(phi, dtype=float).reshape(S * A, -1)
    rho = np.asarray(m.rho, dtype=float)
    K = len(run.extras["approx_error"])
    etas = [float(e) for e in pmd_step_sizes(float(eta0), float(m.gamma), K, schedule="geometric")]
    lhs, rhs, err_run, err_own, mag, emag = [], [], [], [], 1.0, 1.0
    for k in range(K):
        pi = np.asarray(run.policies[k], dtype=float)
        if np.any(pi <= 0):  # log pi_k not finite from the probabilities: stop confirming here
            break
        V = values_direct(m, pi, "float")
        y = (q_direct(m, pi, "float", V) + (np.log(pi) + 1.0) / etas[k]).reshape(-1)
        W = np.repeat(visitation_direct(m, pi, rho, "float")[:, None] / A, A, axis=1).reshape(-1)
        th = np.asarray(run.thetas[k + 1], dtype=float)
        G = X.T @ (W[:, None] * X)
        b = X.T @ (W * y)
        lhs.append(G @ th)
        rhs.append(b)
        mag = max(mag, float(np.max(np.abs(G))) * float(np.max(np.abs(th))) + float(np.max(np.abs(b))))
        res = X @ th - y
        err_run.append(float(run.extras["approx_error"][k]))
        err_own.append(float(W @ (res * res)))
        emag = max(emag, float(np.max(y * y)))
    if not lhs:
        return
    tol_n, _ = float_tolerance(m, mag, order=2)
    rep.identity(f"AMPO Step I ({what}): theta_(k+1) solves Phi^T D_k Phi theta = Phi^T D_k y_k with Q, d_rho^pi_k "
                 "by forward solves and the features drawn here", np.concatenate(lhs), np.concatenate(rhs), tol=tol_n)
    tol_e, _ = float_tolerance(m, emag, order=2)
    err_run, err_own = np.array(err_run), np.array(err_own)
    if max(float(np.max(np.abs(err_run))), float(np.max(np.abs(err_own)))) <= tol_e:
        # an exact fit (as many features as pairs): both errors are rounding; compared shifted by 1
        rep.identity(f"AMPO Step I ({what}): exact fit, the run's eps_k + 1 = 1 + sum D_k (Phi theta_(k+1) - "
                     "y_k)^2 formed here", err_run + 1.0, err_own + 1.0, tol=tol_e)
    else:
        rep.identity(f"AMPO Step I ({what}): the run's eps_k = sum D_k (Phi theta_(k+1) - y_k)^2 formed here",
                     err_run, err_own, tol=tol_e)


def _pmd_reference_ball(m, eta0, T, prec=128):
    r"""KL-PMD iterates :math:`\pi_{k+1} = \pi_k e^{\eta_k Q^{\pi_k}}/Z`, :math:`\eta_k = \eta_0\gamma^{-k}`,
    from the uniform policy, in arb balls: :math:`Q^{\pi_k}` by an ``arb_mat`` solve of the exact MDP."""
    from flint import arb, arb_mat, ctx, fmpq

    S, A = m.n_states, m.n_actions
    q = lambda x: fmpq(Fraction(x).numerator, Fraction(x).denominator)  # noqa: E731
    P = np.asarray(m.P_dense(), dtype=object)
    r = np.asarray(m.r, dtype=object)
    old = ctx.prec
    ctx.prec = prec
    try:
        g = arb(q(m.gamma))
        pi = [[arb(1) / A for _ in range(A)] for _ in range(S)]
        out = [pi]
        eta = arb(q(eta0))
        for _ in range(T):
            M = arb_mat(S, S)
            rp = arb_mat(S, 1)
            for s in range(S):
                rp[s, 0] = sum((pi[s][a] * arb(q(r[s, a])) for a in range(A)), arb(0))
                for t in range(S):
                    M[s, t] = (arb(1) if s == t else arb(0)) - g * sum(
                        (pi[s][a] * arb(q(P[s, a, t])) for a in range(A) if P[s, a, t] != 0), arb(0))
            V = M.solve(rp)
            new = []
            for s in range(S):
                Qs = [arb(q(r[s, a])) + g * sum((arb(q(P[s, a, t])) * V[t, 0] for t in range(S) if P[s, a, t] != 0),
                                                arb(0)) for a in range(A)]
                w = [pi[s][a] * (eta * Qs[a]).exp() for a in range(A)]
                Z = sum(w, arb(0))
                new.append([x / Z for x in w])
            pi = new
            out.append(pi)
            eta = eta / g
    finally:
        ctx.prec = old
    return out


def _strict_improvement(gaps, tol):
    return bool(np.all(np.abs(np.diff(gaps)) > tol)) if len(gaps) > 1 else False


# ------------------------------------------------------------ registration
def _h1_cases(seed, n, mode):
    exact = mode == "exact"
    for i in range(n):
        rng = case_rng(seed, "H1", i)
        mdp = random_case_mdp(rng, exact=exact, max_states=4)
        pi = random_case_policy(rng, mdp, exact=exact, positive=True)
        eta = Fraction(int(rng.integers(1, 5)), 2)
        yield {"mdp": mdp, "pi": pi, "eta": eta if exact else float(eta), "seed": (seed, i)}


def _h2_cases(seed, n, mode):
    exact = mode == "exact"
    for i in range(n):
        rng = case_rng(seed, "H2", i)
        mdp = random_case_mdp(rng, exact=exact, max_states=3, rho="positive", gamma=GAMMAS[i % 2])
        eta0 = Fraction(int(rng.integers(1, 4)), 4)
        yield {"mdp": mdp, "eta0": eta0 if exact else float(eta0), "T": 6, "seed": (seed, i)}


def _h3_cases(seed, n, mode):
    exact = mode == "ball"
    for i in range(n):
        rng = case_rng(seed, "H3", i)
        mdp = random_case_mdp(rng, exact=exact, max_states=4, rho="positive", gamma=GAMMAS[i % 2])
        eta0 = [Fraction(1, 10), Fraction(1, 4), Fraction(1, 2)][int(rng.integers(3))]
        yield {"mdp": mdp, "eta0": eta0 if exact else float(eta0), "T": 4, "seed": (seed, i)}


_H1 = register(Statement(
    id="H1", name="pmd_step_improvement",
    text="PMD step argmax_p {eta <Q_k(s,.), p> - D(p, pi_k(.|s))}: with KL it is pi_k exp(eta Q_k)/Z (the NPG "
         "update); with the Euclidean map it is the simplex projection of pi_k + eta Q_k; V_(k+1) >= V_k pointwise",
    source="Alfano, Yuan, Rebeschini 2023; Xiao 2022", check=pmd_step_improvement, cases=_h1_cases,
    variants={"descent": "the step taken with -eta Q"}))
_H2 = register(Statement(
    id="H2", name="pmd_linear_convergence",
    text="(derived) eta_(k+1) = eta_k/gamma: V*(rho) - V_k(rho) <= (1 - 1/theta)^k [V*(rho) - V_0(rho) + "
         "E_{d*} D(pi*_s, pi_0s)/((1-gamma) eta_0 (theta - 1))], theta = ||d_rho^pi*/rho||_inf/(1-gamma); "
         "eta_(k+1) >= eta_k theta/(theta-1)",
    source="statement H2 (derived from Xiao 2022; published constants unconfirmed)", check=pmd_linear_convergence,
    cases=_h2_cases,
    variants={"no_initial_gap": "the bound without its V*(rho) - V_0(rho) term",
              "shrinking_steps": "eta_(k+1) = gamma eta_k (violates the step-size condition)"}))
_H3 = register(Statement(
    id="H3", name="ampo_reduction",
    text="AMPO (Step I: f ~ Q_k + (log pi_k + 1)/eta_k; Step II: pi_(k+1) ∝ exp(eta_k f)) with tabular f and an "
         "exact fit equals KL-PMD; measured rate and floor of limited log-linear features reported",
    source="Alfano, Yuan, Rebeschini 2023", check=ampo_reduction, cases=_h3_cases, modes=("float", "ball"),
    variants={"drop_mirror_term": "Step I fitted to Q_k alone (no (log pi_k + 1)/eta_k term)"}))
