r"""THEORY section E: the Fisher matrix and the natural policy gradient (AJKS Ch. 10).

E1 checks the block-diagonal form of the tabular-softmax Fisher matrix against
its definition; E2 checks the closed form of the NPG direction (AJKS Lemma 10.6)
against an exact minimum-norm solve of the Fisher system.  Both run exactly on
rational MDPs at rational softmax points :math:`\theta = \log q`
(:class:`~mdptheory.policies.LogRational`), where every quantity is rational.

The helpers :func:`_param_case` and :func:`_gram` are shared with the checkers
of sections F and G.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..fields import exact_array, float_array, from_fmpq_mat, to_fmpq_mat
from ._common import check_variant, new_report
from .registry import Statement, register
from .report import float_tolerance
from .suite import case_rng, random_case_mdp, random_distribution

__all__ = ["fisher_block_form", "npg_closed_form_check"]


# ------------------------------------------------------------------ shared helpers
def _working_mdp(mdp, mode):
    return mdp if mode == "exact" else (mdp.to_float() if mdp.is_exact else mdp)


def _field(x, mode, name="array"):
    return exact_array(np.asarray(x, dtype=object), name=name) if mode == "exact" else float_array(x, name=name)


def _gram(weights, X, mode, Y=None):
    r""":math:`\sum_i w_i X_i Y_i^\top` for X (N, n), Y (N, m), exactly with FLINT or in float."""
    Y = X if Y is None else Y
    if mode == "exact":
        return from_fmpq_mat(to_fmpq_mat(weights[:, None] * X).transpose() * to_fmpq_mat(Y))
    return (X * weights[:, None]).T @ Y


def _matvec(M, x, mode):
    if mode == "exact":
        return from_fmpq_mat(to_fmpq_mat(M) * to_fmpq_mat(np.asarray(x, dtype=object).reshape(-1)),
                             (M.shape[0],))
    return M @ x


def _zeros(shape, mode):
    return np.full(shape, Fraction(0), dtype=object) if mode == "exact" else np.zeros(shape)


def _one(mode):
    return Fraction(1) if mode == "exact" else 1.0


def _param_case(rng, mode, *, kind="softmax", max_states=3, max_actions=3, n_features=None):
    r"""A small MDP with a full-support start distribution and a parameter point.

    ``kind="softmax"``: :class:`~mdptheory.policies.TabularSoftmax` at
    :math:`\theta = \log q`, ``q`` integers in 1..4 (exact) or a Gaussian
    ``theta`` (float).  ``kind="loglinear"``: :class:`~mdptheory.policies.LogLinear`
    with integer features in -2..2 of dimension ``n_features`` (random if None),
    at :math:`\theta = \log q` (rational policy, since the features are integers).
    ``kind="onehot"``: log-linear with random features followed by the one-hot
    features of the pairs (s, a), so that every function of (s, a) is linear in
    the features (zero approximation error).
    """
    from ..policies import LogRational, TabularSoftmax

    exact = mode == "exact"
    mdp = random_case_mdp(rng, exact=exact, max_states=max_states, max_actions=max_actions, rho="positive")
    S, A = mdp.n_states, mdp.n_actions
    if kind == "softmax":
        # an exact temperature (1, not 1.0) keeps every derived quantity rational
        param = TabularSoftmax(S, A, temperature=1 if exact else 1.0)
    else:
        from ..policies import LogLinear

        k = int(n_features) if n_features is not None else int(rng.integers(1, 4))
        phi = rng.integers(-2, 3, size=(S, A, k))
        if kind == "onehot":
            phi = np.concatenate([phi, np.eye(S * A, dtype=np.int64).reshape(S, A, S * A)], axis=2)
        param = LogLinear(phi.astype(object) * Fraction(1) if exact else phi.astype(float),
                          temperature=1 if exact else 1.0)
    n = param.n_params
    if exact:
        theta = LogRational(rng.integers(1, 4, size=n))
    else:
        theta = rng.normal(size=n) * 0.7
    return mdp, param, theta


def _policy_score(param, theta, mode):
    pi = _field(param.probs(theta), mode, "pi")
    score = _field(param.score(theta), mode, "score")
    return pi, score


def _witness(m, param, theta, **extra):
    feats = getattr(param, "features", None)
    w = {"mdp": m, "parameterization": type(param).__name__, "theta": theta if not hasattr(theta, "q") else
         {"log_q": theta.q}}
    if feats is not None:
        w["features"] = np.asarray(feats)
    w.update(extra)
    return w


def _softmax_cases(statement_id, *, kinds=("softmax",), max_states=3, max_actions=3, with_rho2=False):
    def cases(seed, n, mode):
        for i in range(n):
            rng = case_rng(seed, statement_id, i)
            kind = kinds[i % len(kinds)]
            mdp, param, theta = _param_case(rng, mode, kind=kind, max_states=max_states, max_actions=max_actions)
            case = {"mdp": mdp, "param": param, "theta": theta}
            if with_rho2:
                case["rho2"] = random_distribution(rng, mdp.n_states, exact=mode == "exact", positive=True)
            case["seed"] = (seed, i)
            yield case

    return cases


def _value_gradient(m, param, theta, rho, mode):
    """grad V(rho) by implicit differentiation of the Bellman system (:mod:`mdptheory.gradients`)."""
    from ..gradients import value_gradient

    return _field(np.asarray(value_gradient(m, param, theta, mu=rho, mode=mode)).reshape(-1), mode, "grad V")


# ---------------------------------------------------------------------- E1
def _param_setup(mdp, param, theta, mode):
    """Common prologue of the parameterized checkers: the mode (exact when the MDP
    and the parameter point are exact), the MDP in that field, the policy and its
    score (S, A, n)."""
    mode = mode or ("exact" if mdp.is_exact and param.is_exact_point(theta) else "float")
    m = _working_mdp(mdp, mode)
    pi, score = _policy_score(param, theta, mode)
    return mode, m, pi, score


def fisher_block_form(mdp, param, theta, *, mode=None, variant=None, seed=None):
    r"""Check the block-diagonal form of the tabular-softmax Fisher matrix (THEORY E1; AJKS §10.3).

    .. math::

        F_\rho(\theta) = \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta(\cdot|s)}
        \big[\nabla\log\pi_\theta(a|s)\nabla\log\pi_\theta(a|s)^\top\big]
        = \operatorname{blockdiag}_s\ d_\rho^{\pi_\theta}(s)\big(\operatorname{diag}\pi_s - \pi_s\pi_s^\top\big).

    Independent routes: the left side is the definition, a dense sum over
    :math:`(s, a)` of outer products of the score returned by the
    parameterization (:meth:`~mdptheory.policies.TabularSoftmax.score`),
    weighted by the visitation of :func:`mdptheory.evaluate`; the right side
    is :func:`mdptheory.geometry.softmax_fisher_blocks`, built from
    :math:`\pi` and :math:`d` alone.  Also checked: each per-state constant
    vector :math:`\mathbf 1_s` lies in the kernel (:math:`F\mathbf 1_s = 0`).

    Broken variants: ``"uniform_states"`` (blocks weighted by :math:`1/|S|`
    instead of :math:`d_\rho^\pi`), ``"rho_for_d"`` (:math:`\rho` where
    :math:`d_\rho^\pi` belongs), ``"drop_outer"`` (blocks
    :math:`d(s)\operatorname{diag}\pi_s`, the outer product dropped).
    """
    from ..geometry import softmax_fisher_blocks

    stmt = _E1
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    rho = _field(m.rho, mode, "rho")
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, seed=seed), variant)
    ev = evaluate(m, pi, mode=mode)
    d = ev.visitation(rho)
    nu = (d[:, None] * pi).reshape(-1)
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
def npg_closed_form_check(mdp, param, theta, *, rho2=None, mode=None, variant=None, seed=None, eta=None):
    r"""Check the closed form of the softmax NPG direction (THEORY E2; AJKS Lemma 10.6).

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

    Independent routes: :math:`\nabla V(\rho)` by implicit differentiation of
    the Bellman system (:mod:`mdptheory.gradients`); :math:`F_\rho` dense from
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
        F = _field(fisher(m, param, theta, rho=rho, mode=mode), mode, "F")
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
        F2 = _field(fisher(m, param, theta, rho=rho2, mode=mode), mode, "F")
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
