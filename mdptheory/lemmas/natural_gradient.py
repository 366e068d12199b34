r"""statement section E: the Fisher matrix and the natural policy gradient (AJKS Ch. 10).

E1 checks the block-diagonal form of the tabular-softmax Fisher matrix against
its definition; E2 checks the closed form of the NPG direction (AJKS Lemma 10.6)
against an exact minimum-norm solve of the Fisher system.  Both run exactly on
rational MDPs at rational softmax points :math:`\theta = \log q`
(:class:`~mdptheory.policies.LogRational`), where every quantity is rational.

E3 and E4 check the improvement lemma and the rate of tabular NPG at every
iterate (:mod:`mdptheory.lemmas.framework.rates`).  The helpers shared with
the checkers of sections F and G are in
:mod:`mdptheory.lemmas.framework.parameterized`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..fields import to_fmpq_mat
from ..kl import kl_policy
from .framework.parameterized import (_field, _gram, _matvec, _one, _param_setup, _softmax_cases, _value_gradient,
    _witness, _zeros)
from .framework.prologue import check_variant, new_report
from .framework.rates import _HALF, _NINE, _cases, _fm, _log_slope, _optimum, _rmax, _tol
from .framework.registry import Statement, register
from .framework.report import float_tolerance
from .framework.routes import confirm_npg_steps, values_direct
from .framework.convention import checker_convention

__all__ = [
    "fisher_block_form",
    "npg_closed_form_check",
    "npg_improvement",
    "npg_rate",
]


@checker_convention(policy="param")
def fisher_block_form(mdp, param, theta, *, mode=None, variant=None, seed=None):
    r"""Check the block-diagonal form of the tabular-softmax Fisher matrix (statement E1; AJKS §10.3).

    .. math::

        F_\rho(\theta) = \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta(\cdot|s)}
        \big[\nabla\log\pi_\theta(a|s)\nabla\log\pi_\theta(a|s)^\top\big]
        = \operatorname{blockdiag}_s\ d_\rho^{\pi_\theta}(s)\big(\operatorname{diag}\pi_s - \pi_s\pi_s^\top\big).

    Data flow — left: the definition, a dense sum over :math:`(s, a)` of
    outer products of the parameterization's score
    (:meth:`~mdptheory.policies.TabularSoftmax.score`), weighted by
    :math:`d_\rho^\pi` from forward solves of :math:`I - \gamma P^\pi` formed in
    the checker (:func:`mdptheory.lemmas.framework.routes.visitation_direct`);
    right: :func:`mdptheory.geometry.softmax_fisher_blocks` from :math:`\pi` and
    the visitation of :func:`mdptheory.evaluate` (its transposed solve);
    shared: MDP, :math:`\theta`.  Also checked: each per-state constant
    vector :math:`\mathbf 1_s` lies in the kernel (:math:`F\mathbf 1_s = 0`).

    Broken variants: ``"uniform_states"`` (blocks weighted by :math:`1/|S|`
    instead of :math:`d_\rho^\pi`), ``"rho_for_d"`` (:math:`\rho` where
    :math:`d_\rho^\pi` belongs), ``"drop_outer"`` (blocks
    :math:`d(s)\operatorname{diag}\pi_s`, the outer product dropped).
    """
    from ..geometry import softmax_fisher_blocks
    from .framework.routes import visitation_direct

    stmt = _E1
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    rho = _field(m.rho, mode, "rho")
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, seed=seed), variant)
    ev = evaluate(m, pi, mode=mode)
    d = ev.visitation(rho)
    d_own = _field(visitation_direct(m, pi, rho, mode), mode, "d")
    nu = (d_own[:, None] * pi).reshape(-1)
    F_def = _gram(nu, score.reshape(S * A, n), mode)
    w = d
    if variant == "uniform_states":
        w = _zeros(S, mode) + _one(mode) / S
    elif variant == "rho_for_d":
        w = rho
    if variant == "drop_outer":
        blocks = np.empty((S, A, A), dtype=object if mode == "exact" else float)
        for s in range(S):
            blocks[s] = _zeros((A, A), mode)
            for a in range(A):
                blocks[s, a, a] = d[s] * pi[s, a]
        from ..geometry import BlockDiagonal

        F_blk = BlockDiagonal(blocks).to_dense()
    else:
        F_blk = softmax_fisher_blocks(pi, w).to_dense()
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m, 1.0, order=1)
        rep.tolerance_rule = rule
    rep.identity("E_{d,pi}[score score^T] (definition) = blockdiag d(s)(diag pi_s - pi_s pi_s^T)",
                 F_def, F_blk, tol=tol)
    # kernel: F (x + c 1_s) = F x for a fixed x and per-state constants c (a comparison of
    # nonzero vectors, which float rounding cannot make undecidable)
    x = np.array([Fraction((3 * k) % 7 - 3, 2) for k in range(n)], dtype=object)
    c = np.repeat(np.array([Fraction(k + 1) for k in range(S)], dtype=object), A)
    if mode == "float":
        x, c = x.astype(float), c.astype(float)
    rep.identity("F (x + sum_s c_s 1_s) = F x (per-state constants in the kernel)", _matvec(F_def, x + c, mode),
                 _matvec(F_def, x, mode), tol=tol)
    rep.details = {"F": F_def, "d": d, "pi": pi}
    return rep


# ---------------------------------------------------------------------- E2
@checker_convention(policy="param")
def npg_closed_form_check(mdp, param, theta, *, rho2=None, mode=None, variant=None, seed=None, eta=None):
    r"""Check the closed form of the softmax NPG direction (statement E2; AJKS Lemma 10.6).

    .. math::

        F_\rho^\dagger\nabla_\theta V^{\pi_\theta}(\rho)
        = \frac{1}{1-\gamma}\Big(A^{\pi_\theta}(s,a) - \frac{1}{|A|}\sum_{a'}A^{\pi_\theta}(s,a')\Big),

    every solution of :math:`F_\rho w = \nabla V(\rho)` is
    :math:`(1-\gamma)^{-1}A^{\pi_\theta} + (c_s)_{s}` (a per-state constant),
    and the update :math:`\pi_{t+1} = \pi_t\exp(\eta A_t/(1-\gamma))/Z_t` does
    not depend on :math:`\rho`.  Hypothesis: :math:`d_\rho^{\pi}(s) > 0` for
    every state (the suite uses full-support :math:`\rho`, so
    :math:`d_\rho \ge (1-\gamma)\rho > 0`) and :math:`\pi > 0` (softmax).

    What differs from the lecture: the lecture derives that all solutions are
    :math:`(1-\gamma)^{-1}A + c_s` and names :math:`(1-\gamma)^{-1}A` itself
    (the :math:`\pi`-weighted shift, :math:`\sum_a\pi(a|s)A(s,a) = 0`) as the
    direction.  The pseudo-inverse :math:`F^\dagger\nabla V` is the
    *minimum-norm* solution, which subtracts the plain unweighted mean of
    :math:`A(s,\cdot)`; the two differ by a per-state constant, so the policy
    update is the same.  This checker checks the minimum-norm statement, and
    the lecture's choice is the broken variant ``"pi_weighted_shift"``.

    Data flow — left: :math:`F_\rho^\dagger\nabla V(\rho)`, with
    :math:`\nabla V(\rho)` by the forward solve of the differentiated Bellman
    system formed in the checker
    (:func:`mdptheory.lemmas.framework.routes.gradient_direct`, no visitation)
    and :math:`F_\rho` from the library (its visitation); right: the
    advantage of :func:`mdptheory.evaluate`; shared: MDP, :math:`\theta`.
    In detail: :math:`F_\rho` dense from
    its definition (:func:`mdptheory.geometry.fisher`) and
    :math:`F^\dagger\nabla V` by the generic exact pseudo-inverse
    (:func:`mdptheory.geometry.pinv_solve`, an exact null-space projection,
    not the softmax closed form); the right side from the advantage of
    :func:`mdptheory.evaluate`.  "Every solution" is checked as
    :math:`F((1-\gamma)^{-1}A + c) = \nabla V` for a random per-state
    :math:`c` together with :math:`\operatorname{rank}F = |S|(|A|-1)`, so the
    solution set is exactly that affine space.  :math:`\rho`-independence:
    the minimum-norm direction for a second full-support :math:`\rho_2` is
    the same vector; in float mode the updated policies
    :math:`\pi_{\theta+\eta w_\rho}` and :math:`\pi_{\theta+\eta w_{\rho_2}}`
    are also compared with :func:`mdptheory.geometry.npg_update`.

    Broken variants: ``"pi_weighted_shift"`` (the lecture's
    :math:`(1-\gamma)^{-1}A`, not minimum-norm), ``"uniform_fisher"`` (the
    Fisher matrix weighted uniformly over states instead of by
    :math:`d_\rho^\pi`), ``"drop_horizon"`` (the :math:`1/(1-\gamma)` dropped).
    """
    from ..geometry import fisher, npg_update, pinv_solve

    stmt = _E2
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    rho = _field(m.rho, mode, "rho")
    rho2 = _field(rho2, mode, "rho2") if rho2 is not None else None
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, rho2=rho2, seed=seed), variant)
    one = _one(mode)
    g = m.gamma
    ev = evaluate(m, pi, mode=mode)
    grad = _value_gradient(m, param, theta, rho, mode)
    if variant == "uniform_fisher":
        nu = np.repeat(_zeros(S, mode) + one / S, A) * pi.reshape(-1)
        F = _gram(nu, score.reshape(S * A, n), mode)
    else:
        F = _field(fisher(m, param, theta, mu=rho, mode=mode), mode, "F")
    w = pinv_solve(F, grad)
    Adv = ev.advantage
    horizon = one if variant == "drop_horizon" else one / (one - g)
    if variant == "pi_weighted_shift":
        shift = (pi * Adv).sum(axis=1)
    else:
        shift = Adv.sum(axis=1) / A
    closed = (horizon * (Adv - shift[:, None])).reshape(-1)
    tol = None
    if mode == "float":
        scale = float(np.max(np.abs(Adv))) / (1 - float(g)) + 1.0
        # F^+ amplifies rounding by the conditioning of F (its smallest nonzero eigenvalue)
        eig = np.linalg.eigvalsh(F)
        pos = eig[eig > S * A * np.finfo(float).eps * max(eig.max(), 1e-300)]
        cond = float(eig.max() / pos.min()) if pos.size else 1.0
        tol, rule = float_tolerance(m, scale * cond, order=2)
        rep.tolerance_rule = rule + f", times cond(F restricted to its range) = {cond:.3g}"
    rep.identity("F_rho^+ grad V(rho) = (A - mean_a A)/(1-gamma)", w, closed, tol=tol)
    # every solution: (1-gamma)^-1 A + per-state constant, and nothing else (rank)
    c = np.repeat(np.array([Fraction(int(k), 3) for k in range(-S, S, 2)][:S], dtype=object), A)
    cand = (one / (one - g)) * Adv.reshape(-1) + (c if mode == "exact" else c.astype(float))
    rep.identity("F ((1-gamma)^-1 A + c_s) = grad V for a per-state constant c", _matvec(F, cand, mode), grad,
                 tol=tol)
    rank = to_fmpq_mat(F).rank() if mode == "exact" else int(np.linalg.matrix_rank(F))
    rep.claim("rank F = |S|(|A|-1): the solutions form exactly (1-gamma)^-1 A + per-state constants",
              "VERIFIED" if rank == S * (A - 1) else "FALSIFIED", f"rank {rank}, |S|(|A|-1) = {S * (A - 1)}",
              rank=rank)
    if rho2 is not None:
        grad2 = _value_gradient(m, param, theta, rho2, mode)
        F2 = _field(fisher(m, param, theta, mu=rho2, mode=mode), mode, "F")
        w2 = pinv_solve(F2, grad2)
        rep.identity("rho-independence: F_rho^+ grad V(rho) = F_rho2^+ grad V(rho2)", w, w2, tol=tol)
        if mode == "float":
            e = float(eta) if eta is not None else 0.5
            th = param.float_theta(theta)
            p1 = param.probs(th + e * w)
            p2 = param.probs(th + e * w2)
            ref = npg_update(pi, Adv, e, g)
            rep.identity("pi_{theta + eta w_rho} = pi exp(eta A/(1-gamma))/Z (npg_update)", p1, ref, tol=tol)
            rep.identity("pi_{theta + eta w_rho2} = pi exp(eta A/(1-gamma))/Z (npg_update)", p2, ref, tol=tol)
    rep.details = {"w": w, "closed_form": closed, "grad": grad}
    return rep


# ------------------------------------------------------------ registration
_E1 = register(Statement(
    id="E1", name="fisher_block_form",
    text="F_rho(theta) = E_{s~d_rho} E_{a~pi}[grad log pi grad log pi^T] = blockdiag_s d_rho(s)(diag pi_s - pi_s pi_s^T) "
         "for the tabular softmax",
    source="AJKS Ch. 10 (§10.3, Fisher information of the softmax)", check=fisher_block_form,
    cases=_softmax_cases("E1", max_states=4),
    variants={"uniform_states": "blocks weighted uniformly over states instead of by d_rho^pi",
              "rho_for_d": "rho used where d_rho^pi belongs",
              "drop_outer": "blocks d(s) diag(pi_s): the outer product pi_s pi_s^T dropped"}))
_E2 = register(Statement(
    id="E2", name="npg_closed_form_check",
    text="F_rho^+ grad V(rho) = (1-gamma)^-1 (A - c_s), c_s = unweighted mean of A(s,.) (minimum norm, d_rho > 0); "
         "all solutions of F w = grad V are (1-gamma)^-1 A + per-state constants; the update "
         "pi exp(eta A/(1-gamma))/Z does not depend on rho",
    source="AJKS Lemma 10.6", check=npg_closed_form_check,
    cases=_softmax_cases("E2", with_rho2=True),
    variants={"pi_weighted_shift": "the lecture's (1-gamma)^-1 A (pi-weighted shift) instead of the minimum-norm one",
              "uniform_fisher": "Fisher matrix weighted uniformly over states instead of by d_rho^pi",
              "drop_horizon": "the 1/(1-gamma) factor dropped"}))


# ------------------------------------------------------------------ convergence
@checker_convention()
def npg_improvement(mdp, *, eta, T=4, mode=None, variant=None, seed=None):
    r"""NPG improvement lemma and the per-step identity (AJKS Lemma 10.8; statement E3).

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
    from :math:`\theta^{(0)} = 0`; iterates converged to rounding (every gap
    :math:`V^\star(s) - V_t(s)` below 1000 tolerances) are listed in
    ``rep.details["converged_iterates_not_checked"]`` and not checked, and the
    improvement inequality is checked on the states not yet converged.
    Independent routes: value differences from
    separate evaluations; right sides from visitations (transposed solves), KL
    divergences (:func:`mdptheory.kl.kl_policy`) and the recorded :math:`\log Z_t`.

    Data flow — left: value differences from separate evaluations; right: visitations (transposed solves), KL
    divergences and the run's recorded :math:`\log Z_t` (itself checked against a KL); shared: MDP,
    :math:`\eta`.

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
    # iterates that have converged to rounding (every gap V*(s) - V_t(s) below 1000 tolerances) relate
    # quantities rounding can explain: they are reported, not checked; the inequality is checked on the
    # states not yet converged (where it is not 0 <= 0 up to rounding)
    floor = 1000 * tol
    checked = [t for t in range(res.n_iter) if float(np.max(Vs - evs[t].V)) > floor]
    rep.details["converged_iterates_not_checked"] = [t for t in range(res.n_iter) if t not in checked]
    for t in checked:
        live = (Vs - evs[t].V) > floor
        logZ = np.asarray(res.extras["log_Z"][t], dtype=float)
        kl_step = np.asarray(kl_policy(res.policies[t + 1], res.policies[t], mode="float"), dtype=float)
        D_next = np.array([evs[t + 1].visitation(E[s]) for s in range(S)])
        dV = evs[t + 1].V - evs[t].V
        rep.identity(f"t={t}: V_(t+1)(s) - V_t(s) = (1/eta) E_(d_s^(t+1)) [KL(pi_(t+1)||pi_t) + log Z_t]", dV,
                     D_next @ (kl_step + logZ) / eta, tol=tol)
        c = (1 - g) if variant != "drop_one_minus_gamma" else 1.0
        rep.inequality(f"t={t}: ((1-gamma)/eta) log Z_t(s) <= V_(t+1)(s) - V_t(s) (states with V*(s) - V_t(s) "
                       "above 1000 tolerances)", (c * logZ / eta)[live], dV[live], tol=tol)
        kl_back = np.asarray(kl_policy(res.policies[t], res.policies[t + 1], mode="float"), dtype=float)
        rep.identity(f"t={t}: log Z_t(s) = KL(pi_t||pi_(t+1))(s) (>= 0 by Gibbs)", logZ, kl_back, tol=tol)
        kl_t = np.asarray(kl_policy(pi_star, res.policies[t], mode="float"), dtype=float)
        kl_t1 = np.asarray(kl_policy(pi_star, res.policies[t + 1], mode="float"), dtype=float)
        D = D_star if variant != "wrong_visitation" else np.array([evs[t].visitation(E[s]) for s in range(S)])
        rep.identity(f"t={t}: V*(s) - V_t(s) = (1/eta) E_(d_s^*)[KL(pi*||pi_t) - KL(pi*||pi_(t+1)) + log Z_t]",
                     Vs - evs[t].V, D @ (kl_t - kl_t1 + logZ) / eta, tol=tol)
        worst_ratio.append(float(np.max(c * logZ / eta / np.maximum(dV, 1e-300))))
    gaps = res.float_gaps()
    if not checked:
        rep.claim("degenerate case: pi_0 is optimal to rounding (no improvement to check)", "UNDECIDED",
                  "every gap V*(s) - V_0(s) is below 1000 tolerances")
    rep.details.update({"gaps": gaps.tolist(), "measured_log_gap_slope": _log_slope(gaps),
                        "max_bound_over_improvement": max(worst_ratio) if worst_ratio else None})
    return rep


def _eta_extra(etas):
    def extra(rng, mdp, exact, i):
        return {"eta": etas[int(rng.integers(len(etas)))]}

    return extra


@checker_convention()
def npg_rate(mdp, *, eta, T=30, mode=None, variant=None, seed=None):
    r"""NPG's :math:`O(1/T)` rate (AJKS Thm 10.7; statement E4).

    For rewards in :math:`[0, 1]`, from :math:`\theta^{(0)} = 0` and any :math:`\eta > 0`,
    for every :math:`T \ge 1` and (checked) every point mass :math:`\rho = e_s`:

    .. math::

        V^{(T)}(\rho) \ge V^\star(\rho) - \frac{\log|A|}{\eta T} - \frac{1}{(1-\gamma)^2 T}.

    Rewards of the suite MDP are rescaled to :math:`[0, 1]`.  ``details``
    reports the measured :math:`\max_T T\cdot\text{gap}_T` and the slope of
    :math:`\log\text{gap}_t` (NPG with exact advantages converges linearly in
    practice).  Independent routes: the gaps from the run's evaluations and
    :math:`V^\star` from exact policy iteration.

    The run is confirmed step by step: each :math:`\pi_{t+1}` against
    :math:`\pi_t\exp(\eta A^{\pi_t}/(1-\gamma))/Z_t` with :math:`A^{\pi_t}` by
    solves formed in the checker
    (:func:`mdptheory.lemmas.framework.routes.confirm_npg_steps`), so a run
    driven by a wrong advantage is FALSIFIED.

    Data flow — left: the gaps of the run's iterates from separate evaluations (their values, and the run's
    updates, confirmed against values and advantages formed here); right: :math:`V^\star` of exact policy iteration and the bound; shared:
    MDP, :math:`\eta`.

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
    # the rate concerns NPG's multiplicative update with exact advantages: every step of the run is
    # confirmed against the update with advantages formed here
    confirm_npg_steps(rep, m, res.policies, eta)
    Vs = np.asarray(_optimum(m).V, dtype=float)
    V_run = np.array([evaluate(m, np.asarray(p, dtype=float)).V for p in res.policies[1:]])  # (T, S)
    # the iterates' values by the library against the checker's own solves
    V_own = np.array([values_direct(m, np.asarray(p, dtype=float), "float") for p in res.policies[1:]])
    tol_v = float_tolerance(m, _rmax(m) / (1 - g) + 1.0, order=1)[0]
    rep.identity("V_T(s) of every iterate (evaluate) = (I - gamma P^pi_T)^-1 r^pi_T (solve formed here)", V_run,
                 V_own, tol=tol_v)
    gaps = Vs - V_run
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


# --------------------------------------------------- registration (convergence)
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
