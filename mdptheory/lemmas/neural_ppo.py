r"""statement section I: Neural PPO/TRPO (Liu, Cai, Yang, Wang 2019).

Conventions of Liu et al. 2019 used throughout: :math:`\nu_\pi` is the *stationary*
state distribution of the chain :math:`P^\pi` (:math:`\nu_\pi P^\pi = \nu_\pi`,
not the discounted visitation), :math:`\nu^* = \nu_{\pi^*}`; action values are
normalised by the paper's TD target, :math:`\tilde Q^\pi = (1-\gamma)Q^\pi`
(the fixed point of :math:`\tilde Q = (1-\gamma)r + \gamma P\Pi\tilde Q`),
:math:`\tilde V^\pi = (1-\gamma)V^\pi`, and
:math:`\mathcal L(\pi) = \mathbb E_{\nu^*}\tilde V^\pi`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..algorithms._common import optimum
from ..algorithms.neural_ppo import ideal_energies, ideal_neural_ppo, neural_ppo, ppo_schedule, \
    stationary_distribution
from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..fields import float_array
from ..mdp import MDP
from ..policies.softmax import log_softmax
from .framework.prologue import check_variant, dot, new_report, prepare_policy, resolve_mode, solve_linear
from .framework.routes import confirm_visitation, kl_moved_direct, optimality_gap_direct, q_direct, \
    transition_matrix_direct, values_direct
from .framework.registry import Statement, register
from .framework.report import FALSIFIED, UNDECIDED, VERIFIED, float_tolerance
from .framework.suite import GAMMAS, case_rng, random_case_mdp, random_case_policy, random_distribution
from .framework.convention import checker_convention

__all__ = ["kl_regularized_improvement", "ppo_schedule_identity", "stationary_performance_difference",
           "neural_ppo_rate"]


def _float_mode_only(mode, sid):
    if mode not in (None, "float"):
        raise InvalidParameterError(f"{sid} is checked in float mode only; got mode={mode!r}")
    return "float"


# ------------------------------------------------------- the ideal run, recomputed
def _confirm_optimum(rep, m, pi_star, mode, tol):
    r"""Record that :math:`\pi^*` of policy iteration is optimal by the checker's own route; returns :math:`V^{\pi^*}`.

    :math:`V^{\pi^*}` and :math:`Q^{\pi^*}` by forward solves formed here
    (:func:`~mdptheory.lemmas.framework.routes.optimality_gap_direct`); the
    Bellman optimality equation :math:`\max_a Q^{\pi^*}(s,a) = V^{\pi^*}(s)`
    holds at every state iff :math:`\pi^*` is optimal.
    """
    V, _, gap = optimality_gap_direct(m, pi_star, mode)
    rep.identity("pi* optimal: max_a Q^(pi*)(s,a) = V^(pi*)(s) (values by forward solves formed here)", V + gap, V,
                 tol=tol)
    return V


def _confirm_ideal_run(rep, m, res, *, beta, K):
    r"""Recompute the record of an ideal Neural PPO run by the checker's own routes (float).

    From the run's recorded policies :math:`\pi_0, \dots, \pi_K` and its
    :math:`\nu^*` only: :math:`\pi^*` optimal and :math:`\nu^*` stationary for
    it (:math:`P^{\pi^*}` formed here); :math:`V^{\pi_k}` and
    :math:`\tilde Q^{\pi_k} = (1-\gamma)(r + \gamma PV^{\pi_k})` by forward
    solves; the recorded objective values :math:`\mathcal L(\pi_k) = (1-\gamma)\nu^{*\top}V^{\pi_k}`
    and :math:`\mathcal L(\pi^*)`, the recorded :math:`\tilde Q^{\pi_k}`, the
    update :math:`\pi_{k+1}\propto\pi_k\exp(\tilde Q^{\pi_k}/(\beta\sqrt K))`
    and the recorded KL moved :math:`\mathbb E_{s\sim d_{\nu^*}^{\pi_k}}\mathrm{KL}(\pi_{k+1}\|\pi_k)`
    (visitation by forward solves) are compared with these, each as an
    identity part of ``rep``.  Rounding tolerances of
    :func:`~mdptheory.lemmas.framework.report.float_tolerance` with the size of
    the compared quantities.

    Returns
    -------
    Qs : list of ndarray, shape (S, A)
        :math:`\tilde Q^{\pi_k}`, :math:`k < K`, by the checker's route.
    gaps : ndarray, shape (K + 1,)
        :math:`\mathcal L(\pi^*) - \mathcal L(\pi_k)` by the checker's route.
    """
    g = float(m.gamma)
    rmax = float(np.max(np.abs(np.asarray(m.r, dtype=float))))
    nu = np.asarray(res.rho, dtype=float)
    pis = [np.asarray(p, dtype=float) for p in res.policies]
    pi_star = np.asarray(float_array(optimum(m).pi), dtype=float)
    tol_v, _ = float_tolerance(m, rmax / (1 - g) + 1.0, order=1)
    V_star = _confirm_optimum(rep, m, pi_star, "float", tol_v)
    tol_d, _ = float_tolerance(m, 1.0, order=1)
    rep.identity("nu* P^pi* = nu* (the run's nu*; P^pi* formed here)", nu @ transition_matrix_direct(m, pi_star, "float"),
                 nu, tol=tol_d)
    Vs = [values_direct(m, p, "float") for p in pis]
    Qs = [(1 - g) * q_direct(m, p, "float", V) for p, V in zip(pis[:K], Vs[:K])]
    own_L = np.array([(1 - g) * float(nu @ V) for V in Vs])
    own_star = (1 - g) * float(nu @ V_star)
    tol_L, _ = float_tolerance(m, rmax + 1.0, order=2)
    rep.identity("recorded L(pi*), L(pi_k) = (1-gamma) nu*^T V (values by forward solves formed here)",
                 np.array([float(res.v_star)] + [float(v) for v in res.values]), np.concatenate([[own_star], own_L]),
                 tol=tol_L)
    tol_Q, _ = float_tolerance(m, rmax + 1.0, order=1)
    rep.identity("recorded Q~^(pi_k) = (1-gamma)(r + gamma P V^(pi_k)) (forward solves formed here)",
                 np.array([np.asarray(Q, dtype=float) for Q in res.extras["Q"]]), np.array(Qs), tol=tol_Q)
    bk = float(beta) * math.sqrt(K)
    step = [np.exp(log_softmax(np.log(p) + Q / bk)) for p, Q in zip(pis[:K], Qs)]
    tol_p, _ = float_tolerance(m, 1.0 + (K + 1) * (rmax + 1.0) / bk, order=1)
    rep.identity("pi_(k+1) = pi_k exp(Q~^(pi_k)/(beta sqrt K)) / normaliser (the ideal update)",
                 np.array(pis[1:]), np.array(step), tol=tol_p)
    # the per-state KL is a finite sum over actions (no solve): rounding of order eps * sum_a p (1 + |log(p/q)|),
    # the size of its terms (the identity's scale: a run that does not move compares KLs of rounding size);
    # the visitation weights carry the relative error of one solve, times the size of the KL itself
    kls, kl_size, term_size = [], 0.0, 0.0
    for k in range(K):
        kl, _ = kl_moved_direct(m, pis[k + 1], pis[k], nu)
        kls.append(kl)
        p, q = pis[k + 1], pis[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = np.where(p > 0, np.log(np.where(p > 0, p, 1.0) / np.where(q > 0, q, 1.0)), 0.0)
        kl_size = max(kl_size, float(np.max((p * lr).sum(axis=1))))
        term_size = max(term_size, float(np.max((p * (1.0 + np.abs(lr))).sum(axis=1))))
    tol_kl = float_tolerance(m, kl_size, order=1)[0] + float_tolerance(m, term_size, order=0)[0]
    rep.identity("recorded E_(d_(nu*)^(pi_k)) KL(pi_(k+1) || pi_k) (visitation by forward solves formed here)",
                 np.array([float(x) for x in res.kl_moved]), np.array(kls), tol=tol_kl, scale=term_size)
    return Qs, own_star - own_L


# --------------------------------------------------------------------- I1
@checker_convention(takes_mdp=False, legacy=("Q", "f", "tau", "beta", "nu"))
def kl_regularized_improvement(Q, f, tau, beta, nu, *, mode=None, variant=None, seed=None):
    r"""Check Proposition 3.1 of Liu et al. 2019: the KL-regularised improvement step (statement I1).

    .. math::

        \arg\max_\pi\ \mathbb E_{s\sim\nu}\big[\langle Q(s,\cdot), \pi(\cdot|s)\rangle
            - \beta\,\mathrm{KL}(\pi(\cdot|s)\,\|\,\pi_k(\cdot|s))\big]
        \;\propto\; \exp(Q/\beta + f/\tau), \qquad \pi_k\propto\exp(f/\tau).

    Routes (float; the maximiser is transcendental): the claimed maximiser
    :math:`\hat\pi` from the log-sum-exp of :math:`Q/\beta + f/\tau`; (i) the
    KKT stationarity of the per-state Lagrangian,
    :math:`Q(s,a)/\beta - \log(\hat\pi(a|s)/\pi_k(a|s)) - 1 = \lambda_s` for
    every action (its spread over actions must vanish), from
    :math:`\log\pi_k` computed separately; (ii) a numerical maximiser of the
    :math:`\nu`-weighted objective (scipy BFGS over free logits, started at
    :math:`\pi_k`), whose policy must match :math:`\hat\pi` within the
    optimiser's tolerance (``1e-6``) and whose objective must not exceed
    :math:`\hat\pi`'s by more than rounding.  :math:`\nu > 0` so that every
    state's maximiser is determined.

    Data flow — left: the claimed maximiser from the log-sum-exp; right: the KKT spread from :math:`\log\pi_k`
    computed separately and a numerical maximiser (BFGS); shared: :math:`Q`, :math:`f`, :math:`\beta`,
    :math:`\tau`, :math:`\nu`.

    Broken variant: ``"beta_times_Q"`` (:math:`\hat\pi \propto \exp(\beta Q + f/\tau)`).
    """
    from scipy.optimize import minimize

    stmt = _I1
    check_variant(variant, stmt.variants)
    mode = _float_mode_only(mode, "I1")
    Q, f, nu = (np.asarray(x, dtype=float) for x in (Q, f, nu))
    tau, beta = float(tau), float(beta)
    if Q.shape != f.shape or Q.ndim != 2 or nu.shape != (Q.shape[0],):
        raise InvalidParameterError(f"Q and f must be (S, A) and nu (S,); got {Q.shape}, {f.shape}, {nu.shape}")
    rep = new_report(stmt, mode, {"Q": Q, "f": f, "tau": tau, "beta": beta, "nu": nu, "seed": seed}, variant)
    S, A = Q.shape
    eps = float(np.finfo(float).eps)
    scale = float(np.max(np.abs(Q))) / beta + float(np.max(np.abs(f))) / tau + 1.0
    tol = 64 * eps * A * scale
    rep.tolerance_rule = f"64*eps*A*(max|Q|/beta + max|f|/tau + 1) = {tol:.3g}; optimiser match 1e-6"
    log_pk = log_softmax(f / tau)
    log_hat = log_softmax((beta * Q if variant == "beta_times_Q" else Q / beta) + f / tau)
    g = Q / beta - (log_hat - log_pk) - 1.0
    spread = g.max(axis=1) - g.min(axis=1)
    worst = float(spread.max())
    rep.claim("KKT stationarity: max_s spread_a [Q/beta - log(pi_hat/pi_k) - 1] = 0 up to rounding",
              VERIFIED if worst <= tol else (UNDECIDED if worst <= 10 * tol else FALSIFIED),
              "spread against the rounding tolerance", spread=worst, tolerance=tol)
    pk = np.exp(log_pk)

    def objective(z):
        z = z.reshape(S, A)
        lp = log_softmax(z)
        p = np.exp(lp)
        val = nu @ ((p * Q).sum(axis=1) - beta * (p * (lp - log_pk)).sum(axis=1))
        # gradient through the softmax: d/dz_sa = p_sa (h_sa - <p, h>_s), h = Q - beta (lp - log_pk + 1)
        h = Q - beta * (lp - log_pk + 1.0)
        grad = nu[:, None] * p * (h - (p * h).sum(axis=1, keepdims=True))
        return -val, -grad.reshape(-1)

    opt = minimize(objective, log_pk.reshape(-1), jac=True, method="BFGS", options={"gtol": 1e-11, "maxiter": 2000})
    p_num = np.exp(log_softmax(opt.x.reshape(S, A)))
    p_hat = np.exp(log_hat)
    rep.identity("pi_hat = numerical maximiser (scipy BFGS), within the optimiser tolerance 1e-6", p_hat, p_num,
                 tol=1e-6)
    J_hat, J_num = -objective(np.log(p_hat).reshape(-1))[0], -opt.fun
    rep.claim("objective(numerical maximiser) <= objective(pi_hat) + rounding",
              VERIFIED if J_num <= J_hat + tol else (UNDECIDED if J_num <= J_hat + 10 * tol else FALSIFIED),
              "objective values compared", J_hat=J_hat, J_numerical=J_num, tolerance=tol)
    rep.details = {"pi_hat": p_hat, "pi_numerical": p_num, "pi_k": pk, "optimizer": str(opt.message)}
    return rep


# --------------------------------------------------------------------- I2
@checker_convention()
def ppo_schedule_identity(mdp, *, beta, K, pis=None, mode=None, variant=None, seed=None):
    r"""Check the schedule identity of Neural PPO's ideal energies (statement I2; Liu et al. 2019, Algorithm 1).

    .. math::

        \beta_k = \beta\sqrt K,\ \tau_0 = 1,\ \tau_{k+1} = \frac{\beta\sqrt K}{k+1},\ f_0 = 0,\ 
        f_{k+1} = \tau_{k+1}(\beta_k^{-1}Q_k + \tau_k^{-1}f_k)
        \;\Longrightarrow\; f_{k+1} = \frac1{k+1}\sum_{j\le k}Q_j.

    Float mode: the ideal algorithm itself (:func:`mdptheory.algorithms.ideal_neural_ppo`,
    exact :math:`\tilde Q^{\pi_k}` of each iterate), whose recorded energies
    are compared with the running averages of :math:`\tilde Q^{\pi_k}`
    recomputed here by forward solves from its recorded policies, and its
    policies with :math:`\mathrm{softmax}(\sum_{j\le k}\tilde Q_j/(\beta\sqrt K))`;
    the run's record (its :math:`\tilde Q`'s, objective values, update and
    KL moved) is confirmed against the same routes, so that a wrong library
    :math:`Q`, :math:`V` or visitation inside the run changes the verdict.
    Exact mode: the recursion (:func:`mdptheory.algorithms.ideal_energies`)
    applied to the exact normalised :math:`\tilde Q` of rational policies
    ``pis`` from :func:`mdptheory.evaluate` (the identity is linear in the
    :math:`Q_j`, so it holds for any sequence; the ideal iterates themselves
    are irrational), compared with the running averages of the same
    :math:`\tilde Q`'s from the checker's own exact forward solves, with
    rational :math:`\beta` and :math:`K` a perfect square: exact equality.

    Data flow — left: the recursion's energies (the ideal run's record in float; in exact mode
    :func:`mdptheory.algorithms.ideal_energies` on the :math:`\tilde Q`'s of :func:`mdptheory.evaluate`);
    right: running averages of :math:`\tilde Q^{\pi_j}` by forward solves formed here (from the run's recorded
    policies in float); shared: MDP, :math:`\beta`, :math:`K` (and the policies).

    Broken variant: ``"tau_off_by_one"`` (the average taken as
    :math:`\frac1{k+2}\sum_{j\le k}Q_j`, i.e. :math:`\tau_{k+1} = \beta\sqrt K/(k+2)`).
    """
    stmt = _I2
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, mode=mode)
    exact = mode == "exact"
    m = mdp if exact else mdp.to_float()
    K = int(K)
    rep = new_report(stmt, mode, {"mdp": m, "beta": beta, "K": K, "pis": pis, "seed": seed}, variant)
    off = 2 if variant == "tau_off_by_one" else 1
    if exact:
        rep.tolerance_rule = "none: exact rationals"
        if pis is None:
            raise InvalidParameterError("exact mode needs the rational policies pis whose Q define the sequence")
        one = Fraction(1)
        pols = [prepare_policy(m, p, mode) for p in pis][:K]
        Qs = [(one - m.gamma) * evaluate(m, p, mode=mode).Q for p in pols]
        own = [(one - m.gamma) * q_direct(m, p, mode) for p in pols]
        fs = ideal_energies(Qs, beta=Fraction(beta), K=K)
        for k in range(len(Qs)):
            avg = sum(own[: k + 1], np.full(own[0].shape, Fraction(0), dtype=object)) / (k + off)
            rep.identity(f"f_{k + 1} (recursion) = (1/{k + 1}) sum_(j<={k}) Q_j", fs[k + 1], avg)
        rep.details = {"f": fs}
        return rep
    res = ideal_neural_ppo(m, beta=float(beta), K=K)
    fs, taus = res.extras["f"], res.extras["tau"]
    Qs, _ = _confirm_ideal_run(rep, m, res, beta=beta, K=K)
    qmax = max(float(np.max(np.abs(Q))) for Q in Qs)
    tol, rule = float_tolerance(m, qmax * (K + 1), order=1)
    rep.tolerance_rule = rule + " (the run's record: the same rule with the size of each quantity)"
    betas, _ = ppo_schedule(float(beta), K)
    run = np.zeros_like(Qs[0])
    for k in range(K):
        run = run + Qs[k]
        rep.identity(f"f_{k + 1} (algorithm) = (1/{k + 1}) sum_(j<={k}) Q_j", fs[k], run / (k + off), tol=tol)
    pol = np.exp(log_softmax(run / betas[0]))
    rep.identity(f"pi_K = softmax(sum_(j<K) Q_j/(beta sqrt K))", res.policies[-1], pol, tol=tol / max(float(beta), 1e-3)
                 * K)
    rep.details = {"taus": taus, "gaps": res.float_gaps().tolist()}
    return rep


# --------------------------------------------------------------------- I3
@checker_convention(policy="policy", legacy=("pi",))
def stationary_performance_difference(mdp, pi, *, mode=None, variant=None, seed=None):
    r"""Check Lemma 5.1 of Liu et al. 2019: performance difference on the stationary distribution (statement I3).

    .. math::

        \mathcal L(\pi^*) - \mathcal L(\pi) = \frac{1}{1-\gamma}\,
            \mathbb E_{s\sim\nu^*}\big\langle\tilde Q^\pi(s,\cdot), \pi^*(\cdot|s) - \pi(\cdot|s)\big\rangle,
        \qquad \mathcal L(\pi) = \mathbb E_{s\sim\nu^*}\tilde V^\pi(s),

    where :math:`\nu^*` is the stationary state distribution of the chain of
    :math:`\pi^*` (:math:`\nu^* P^{\pi^*} = \nu^*`; it is unique here because
    the suite's transition matrices are dense), :math:`\tilde Q^\pi` the
    normalised action value (fixed point of
    :math:`\tilde Q = (1-\gamma)r + \gamma P\Pi\tilde Q`, the paper's TD target)
    and :math:`\tilde V^\pi(s) = \langle\tilde Q^\pi(s,\cdot),\pi(\cdot|s)\rangle`.
    (Both sides are homogeneous in the reward, so the identity reads the same
    with unnormalised :math:`Q^\pi`, :math:`V^\pi`.)  It is AJKS Lemma 1.16 with
    start distribution :math:`\nu^*`, because :math:`d_{\nu^*}^{\pi^*} = \nu^*`
    — which is checked too.

    Routes: :math:`\nu^*` from the exact linear system
    (:func:`mdptheory.algorithms.stationary_distribution`); the left side from
    two state-value solves (:func:`mdptheory.evaluate`); the right side from
    an independent :math:`SA\times SA` solve for :math:`\tilde Q^\pi`.

    :math:`\pi^*` (from policy iteration, :func:`mdptheory.solve`) is
    confirmed optimal by the checker's own forward solves (the Bellman
    optimality equation :math:`\max_a Q^{\pi^*} = V^{\pi^*}`), so that a
    policy iteration misled by a wrong library :math:`Q` changes the verdict.

    Data flow — left: two state-value solves of :func:`mdptheory.evaluate`; right: :math:`\nu^*` from its own
    linear system (its visitation confirmed by forward solves formed here) and :math:`\tilde Q^\pi` from an
    :math:`SA\times SA` solve; :math:`\pi^*` confirmed optimal by forward solves formed here; shared: MDP,
    :math:`\pi`.

    Broken variants: ``"drop_horizon"`` (the :math:`1/(1-\gamma)` dropped),
    ``"nu_of_pi"`` (the stationary distribution of :math:`\pi` used in place
    of :math:`\nu^*` on both sides).
    """
    stmt = _I3
    check_variant(variant, stmt.variants)
    mode = resolve_mode(mdp, pi, mode=mode)
    exact = mode == "exact"
    m = mdp if exact else mdp.to_float()
    pi = prepare_policy(m, pi, mode)
    rep = new_report(stmt, mode, {"mdp": m, "pi": pi, "seed": seed}, variant)
    one = Fraction(1) if exact else 1.0
    g = m.gamma
    S, A = m.n_states, m.n_actions
    tol = None
    if exact:
        rep.tolerance_rule = "none: exact rationals"
    else:
        rmax = float(np.max(np.abs(m.r)))
        tol, rule = float_tolerance(m, rmax / (1 - float(g)) + 1.0, order=2)
        rep.tolerance_rule = rule
    pi_star = optimum(m).pi
    _confirm_optimum(rep, m, pi_star, mode, tol)
    ev_star = evaluate(m, pi_star, mode=mode)
    nu = stationary_distribution(m, pi_star, mode=mode)
    nu_star = nu
    if variant == "nu_of_pi":
        nu = stationary_distribution(m, pi, mode=mode)
    P_star = ev_star.P_pi
    nuP = np.array([dot(nu_star, np.asarray(P_star)[:, s], mode) for s in range(S)],
                   dtype=object if exact else float)
    rep.identity("nu* P^pi* = nu* (stationarity)", nuP, nu_star, tol=tol)
    rep.identity("d_(nu*)^(pi*) = nu* (so Lemma 5.1 is the performance difference lemma from nu*)",
                 ev_star.visitation(nu_star), nu_star, tol=tol)
    # the same visitation by forward solves (a library visitation returning its start distribution would
    # pass the line above)
    confirm_visitation(rep, m, pi_star, nu_star, ev_star.visitation(nu_star), mode, what="d_(nu*)^(pi*)")
    ev = evaluate(m, pi, mode=mode)
    lhs = (one - g) * (dot(nu, ev_star.V, mode) - dot(nu, ev.V, mode))
    # normalised Q~ from its own state-action system (I - gamma P Pi) Q~ = (1 - gamma) r
    P2 = m.P_dense().reshape(S * A, S)
    M = -g * (P2[:, :, None] * pi[None, :, :]).reshape(S * A, S * A)
    for k in range(S * A):
        M[k, k] += 1
    Qn = solve_linear(M, (one - g) * m.r.reshape(-1), mode).reshape(S, A)
    inner = (Qn * (pi_star - pi)).sum(axis=1)
    horizon = one if variant == "drop_horizon" else one / (one - g)
    rhs = horizon * dot(nu, inner, mode)
    rep.identity("L(pi*) - L(pi) = (1-gamma)^-1 E_(nu*) <Q~^pi(s,.), pi*(.|s) - pi(.|s)>", np.array([lhs]),
                 np.array([rhs]), tol=tol)
    rep.details = {"nu_star": nu_star, "lhs": lhs, "rhs": rhs}
    return rep


# --------------------------------------------------------------------- I4
@checker_convention()
def neural_ppo_rate(mdp, *, beta, K, sampled=False, mode=None, variant=None, seed=None):
    r"""Check the derived :math:`O(1/\sqrt K)` bound of ideal Neural PPO and report the sampled algorithm (statement I4).

    .. math::

        \min_{0\le k<K}\big(\mathcal L(\pi^*) - \mathcal L(\pi_k)\big) \le
            \frac{\beta^2\log|\mathcal A| + R_{\max}^2/2}{(1-\gamma)\beta\sqrt K},
        \qquad R_{\max} = \max_{s,a}|r(s,a)|.

    **Derived, not the paper's constant** (Liu et al. (2019)'s theorem has
    :math:`M = 2\mathbb E_{\nu^*}\max_a Q_{\omega_0}^2 + 2R_f^2` and error
    terms): with exact evaluation and exact improvement
    (:math:`\epsilon_k = \epsilon'_k = 0`, :func:`mdptheory.algorithms.ideal_neural_ppo`)
    the update is :math:`\pi_{k+1}\propto\pi_k e^{\tilde Q_k/(\beta\sqrt K)}`
    and, per state, Hoeffding's lemma (range of :math:`\tilde Q_k` at most
    :math:`2R_{\max}`) gives
    :math:`\langle\tilde Q_k,\pi^*-\pi_k\rangle \le \beta\sqrt K[\mathrm{KL}(\pi^*\|\pi_k)
    - \mathrm{KL}(\pi^*\|\pi_{k+1})] + R_{\max}^2/(2\beta\sqrt K)`; summing,
    :math:`\mathrm{KL}(\pi^*\|\pi_0)\le\log|\mathcal A|` and Lemma 5.1 (I3) give
    the bound.  Only this ideal version is checked.  Reported as details: the
    gaps, :math:`\sqrt K\cdot\min_k` gap, and, when ``sampled``, the sampled
    algorithm (:func:`mdptheory.algorithms.neural_ppo`, small widths) with its
    measured evaluation and improvement errors.

    The run's record is confirmed by the checker's own routes from its
    recorded policies (forward solves for :math:`V^{\pi_k}`,
    :math:`\tilde Q^{\pi_k}` and the visitation; :math:`\pi^*` optimal,
    :math:`\nu^*` stationary; the update and the KL moved), and the gaps in the
    inequality are the recomputed ones, so that a wrong library :math:`V`,
    :math:`Q` or visitation inside the run changes the verdict.

    Data flow — left: the gaps :math:`\mathcal L(\pi^*) - \mathcal L(\pi_k)` recomputed by forward solves formed
    here from the ideal run's recorded policies and :math:`\nu^*` (the run's record confirmed against them);
    right: the derived bound from :math:`\beta`, :math:`K`, :math:`\gamma`, :math:`R_{\max}`, :math:`|\mathcal A|`;
    shared: MDP, :math:`\beta`, :math:`K`.

    Broken variant: ``"horizon_in_numerator"`` (the bound multiplied by
    :math:`(1-\gamma)` instead of divided).
    """
    stmt = _I4
    check_variant(variant, stmt.variants)
    mode = _float_mode_only(mode, "I4")
    m = mdp.to_float() if mdp.is_exact else mdp
    K = int(K)
    beta = float(beta)
    rep = new_report(stmt, mode, {"mdp": m, "beta": beta, "K": K, "seed": seed}, variant)
    tol, rule = float_tolerance(m, float(np.max(np.abs(m.r))) + 1.0, order=2)
    rep.tolerance_rule = rule
    res = ideal_neural_ppo(m, beta=beta, K=K)
    _, gaps = _confirm_ideal_run(rep, m, res, beta=beta, K=K)
    g = float(m.gamma)
    R = float(np.max(np.abs(m.r)))
    horizon = (1 - g) if variant == "horizon_in_numerator" else 1.0 / (1 - g)
    bound = horizon * (beta ** 2 * math.log(m.n_actions) + R ** 2 / 2) / (beta * math.sqrt(K))
    best = float(np.min(gaps[:K]))
    rep.inequality(f"min_(k<{K}) L* - L_k <= (beta^2 log|A| + R_max^2/2)/((1-gamma) beta sqrt K) (derived)",
                   np.array([best]), np.array([bound]), tol=tol)
    details = {"gaps": gaps.tolist(), "bound": bound, "sqrtK_times_min_gap": math.sqrt(K) * best}
    if sampled:
        run = neural_ppo(m, None, width=16, K=K, beta=beta, R=3.0, td_steps=60, sgd_steps=60, td_lr=1.0, sgd_lr=1.0,
                         seed=0 if seed is None else int(np.sum(np.atleast_1d(seed))))
        sg = run.float_gaps()
        details["sampled"] = {"gaps": sg.tolist(), "min_gap": float(np.min(sg[:K])),
                              "eval_error": run.extras["eval_error"],
                              "improvement_error": run.extras["improvement_error"]}
    rep.details = details
    return rep


# ------------------------------------------------------------ registration
def _dense_exact_mdp(rng, *, exact, max_states=4, max_actions=3):
    """A random MDP with every transition probability positive (irreducible chains: unique nu*)."""
    S = int(rng.integers(1, max_states + 1))
    A = int(rng.integers(2, max_actions + 1))
    w = rng.integers(1, 5, size=(S, A, S))
    r = rng.integers(-3, 4, size=(S, A))
    gamma = GAMMAS[int(rng.integers(len(GAMMAS)))]
    if exact:
        P = np.empty((S, A, S), dtype=object)
        for idx in np.ndindex(S, A, S):
            P[idx] = Fraction(int(w[idx]), int(w[idx[0], idx[1]].sum()))
        R = np.vectorize(lambda x: Fraction(int(x), 2), otypes=[object])(r)
        return MDP(P, R, gamma)
    wf = w + rng.random((S, A, S))
    return MDP(wf / wf.sum(axis=2, keepdims=True), r / 2.0 + 0.1 * rng.random((S, A)), float(gamma))


def _i1_cases(seed, n, mode):
    for i in range(n):
        rng = case_rng(seed, "I1", i)
        S, A = int(rng.integers(1, 5)), int(rng.integers(2, 4))
        yield {"Q": rng.normal(size=(S, A)), "f": rng.normal(size=(S, A)), "tau": float(rng.choice([0.5, 1.0, 2.0])),
               "beta": float(rng.choice([0.5, 2.0, 3.0])),
               "nu": random_distribution(rng, S, exact=False, positive=True), "seed": (seed, i)}


def _i2_cases(seed, n, mode):
    exact = mode == "exact"
    for i in range(n):
        rng = case_rng(seed, "I2", i)
        mdp = random_case_mdp(rng, exact=exact, max_states=3)
        K = (1, 4, 9)[i % 3]
        beta = Fraction(int(rng.integers(1, 5)), 2)
        case = {"mdp": mdp, "beta": beta if exact else float(beta), "K": K, "seed": (seed, i)}
        if exact:
            case["pis"] = [random_case_policy(rng, mdp, exact=True) for _ in range(K)]
        yield case


def _trap_mdp(rng, *, exact):
    r"""A dense 2-state "reward now or avoid the trap" MDP whose optimal policy depends on :math:`\gamma`.

    At state 0, action 0 pays :math:`c\in\{3/4, 1\}` and leads to the trap
    (state 1, reward :math:`-3/2` under both actions) with probability 9/10;
    action 1 pays 0 and leads there with probability 1/10.  The trap is left
    with probability :math:`q\in\{2/5, 3/5\}` (action 0) or
    :math:`1-q` (action 1), and :math:`\gamma\in\{2/5, 1/2\}`.  With this
    short horizon taking the reward is optimal, while a greedy step that weighs
    the future fully (:math:`r + PV` instead of :math:`r+\gamma PV`) avoids
    the trap: the case makes :math:`\pi^*` depend on the discount, so a
    policy iteration that drops :math:`\gamma` is seen.  No choice ties two actions (:math:`q\ne 1/2`),
    so :math:`\pi^*` is unique.
    """
    one = Fraction(1)
    c = (Fraction(3, 4), one)[int(rng.integers(2))]
    q = (Fraction(2, 5), Fraction(3, 5))[int(rng.integers(2))]
    g = (Fraction(2, 5), Fraction(1, 2))[int(rng.integers(2))]
    p = Fraction(9, 10)
    P = np.empty((2, 2, 2), dtype=object)
    P[0, 0], P[0, 1] = [1 - p, p], [p, 1 - p]
    P[1, 0], P[1, 1] = [q, 1 - q], [1 - q, q]
    R = np.array([[c, Fraction(0)], [Fraction(-3, 2), Fraction(-3, 2)]], dtype=object)
    m = MDP(P, R, g)
    return m if exact else m.to_float()


def _i3_cases(seed, n, mode):
    """Random dense MDPs; every fourth case a :func:`_trap_mdp` (optimal policy depends on the discount)."""
    exact = mode == "exact"
    for i in range(n):
        rng = case_rng(seed, "I3", i)
        if i % 4 == 1:
            # a policy with full support: it differs from the deterministic pi*, so L(pi*) - L(pi) > 0
            mdp = _trap_mdp(rng, exact=exact)
            pi = np.array([random_distribution(rng, 2, exact=exact, positive=True) for _ in range(2)])
        else:
            mdp = _dense_exact_mdp(rng, exact=exact)
            pi = random_case_policy(rng, mdp, exact=exact)
        yield {"mdp": mdp, "pi": pi, "seed": (seed, i)}


def _i4_cases(seed, n, mode):
    for i in range(n):
        rng = case_rng(seed, "I4", i)
        mdp = _dense_exact_mdp(rng, exact=False, max_states=3)
        yield {"mdp": mdp, "beta": float(rng.choice([0.25, 0.5, 1.0])), "K": (4, 16, 36)[i % 3],
               "sampled": i < 2, "seed": (seed, i)}


_I1 = register(Statement(
    id="I1", name="kl_regularized_improvement",
    text="argmax_pi E_nu[<Q, pi> - beta KL(pi || pi_k)] with pi_k ∝ exp(f/tau) is pi ∝ exp(Q/beta + f/tau)",
    source="Liu, Cai, Yang, Wang 2019, Proposition 3.1", check=kl_regularized_improvement,
    cases=_i1_cases, modes=("float",),
    variants={"beta_times_Q": "pi ∝ exp(beta Q + f/tau)"}))
_I2 = register(Statement(
    id="I2", name="ppo_schedule_identity",
    text="beta_k = beta sqrt K, tau_(k+1) = beta sqrt K/(k+1), tau_0 = 1, f_0 = 0: the ideal energies satisfy "
         "f_(k+1) = (1/(k+1)) sum_(j<=k) Q_j",
    source="Liu et al. 2019, Algorithm 1", check=ppo_schedule_identity, cases=_i2_cases,
    variants={"tau_off_by_one": "tau_(k+1) = beta sqrt K/(k+2): average with 1/(k+2)"}))
_I3 = register(Statement(
    id="I3", name="stationary_performance_difference",
    text="L(pi*) - L(pi) = (1-gamma)^-1 E_(nu*) <Q~^pi(s,.), pi*(.|s) - pi(.|s)>, L(pi) = E_(nu*) V~^pi, nu* the "
         "stationary distribution of pi*, Q~ = (1-gamma) Q normalised by the TD target (1-gamma) r",
    source="Liu et al. 2019, Lemma 5.1", check=stationary_performance_difference, cases=_i3_cases,
    variants={"drop_horizon": "the 1/(1-gamma) factor dropped",
              "nu_of_pi": "the stationary distribution of pi used in place of nu*"}))
_I4 = register(Statement(
    id="I4", name="neural_ppo_rate",
    text="(derived) ideal Neural PPO (exact Q, exact improvement): min_(k<K) L* - L_k <= (beta^2 log|A| + "
         "R_max^2/2)/((1-gamma) beta sqrt K); sampled Neural PPO reported",
    source="statement I4 (derived from Liu et al. (2019)'s theorem with eps = 0; not the paper's constant)",
    check=neural_ppo_rate, cases=_i4_cases, modes=("float",),
    variants={"horizon_in_numerator": "the bound multiplied by (1-gamma) instead of divided"}))
