r"""statement section G: trust regions — CPI, the trajectory KL (Claim 12.5), TRPO = NPG, PPO clipping.

G1 checks the bounds of conservative policy iteration at every iterate
(:mod:`mdptheory.lemmas.framework.rates`), G2 that the Hessian of the
trajectory KL at :math:`\theta_t` is the summed Fisher information, G3 that
the trust-region step is the natural gradient with a self-normalised step
(optimality by the KKT conditions and by Cauchy–Schwarz), G4 the derivative
of PPO's clipped surrogate.  Everything is exact on rational inputs; the PPO helpers :func:`clipped_objective` and
:func:`clipped_objective_derivative` live here.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..fields import from_fmpq_mat, is_exact_scalar, to_fmpq_mat
from ..policies import LogRational
from .framework.parameterized import (_field, _gram, _matvec, _one, _param_case, _param_setup,
                                     _witness)
from .framework.prologue import check_variant, new_report, resolve_mode
from .framework.rates import _HALF, _NINE, _cases, _fm, _tol
from .framework.routes import confirm_values, confirm_visitation
from .framework.registry import Statement, register
from .framework.report import float_tolerance
from .framework.suite import case_rng, random_case_mdp, random_case_policy
from .framework.convention import checker_convention

__all__ = [
    "clipped_objective",
    "clipped_objective_derivative",
    "trajectory_kl_fisher",
    "trpo_is_npg",
    "ppo_clipping",
    "cpi_improvement",
]


# ------------------------------------------------------------------ PPO helpers
def _check_eps(eps):
    if not 0 < eps < 1:
        raise InvalidParameterError(f"eps must lie in (0, 1); got {eps!r}")


def clipped_objective(ratio, A, eps):
    r"""PPO's clipped surrogate, elementwise (Schulman et al. 2017; AJKS §12.4; statement G4).

    .. math::

        L^{\mathrm{clip}}(r; A) = \min\big(r A,\ \operatorname{clip}(r, 1-\epsilon, 1+\epsilon)\,A\big)

    Parameters
    ----------
    ratio : array_like
        Density ratios :math:`r = \pi_\theta(a|s)/\pi_{\theta_t}(a|s) \ge 0`.
    A : array_like
        Advantages :math:`A^{\pi_{\theta_t}}(s,a)`, broadcastable against ``ratio``.
    eps : number
        Clipping parameter, :math:`0 < \epsilon < 1`.

    Returns
    -------
    ndarray
        Exact (object array of Fractions) when every input is exact, else float64.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> clipped_objective([F(3, 2), F(1, 2)], [2, -1], F(1, 5)).tolist()
    [Fraction(12, 5), Fraction(-4, 5)]
    """
    r, a, e, exact = _ppo_inputs(ratio, A, eps)
    lo, hi = 1 - e, 1 + e
    clipped = np.minimum(np.maximum(r, lo), hi) if not exact else np.vectorize(
        lambda x: min(max(x, lo), hi), otypes=[object])(r)
    u, c = r * a, clipped * a
    return np.minimum(u, c) if not exact else np.vectorize(min, otypes=[object])(u, c)


def clipped_objective_derivative(ratio, A, eps, *, side="right"):
    r"""One-sided derivative in the ratio of :func:`clipped_objective`, by its branch formula.

    For :math:`A > 0`, :math:`L^{\mathrm{clip}} = A\min(r, 1+\epsilon)`; for
    :math:`A < 0`, :math:`L^{\mathrm{clip}} = A\max(r, 1-\epsilon)`; so

    .. math::

        \partial_r L^{\mathrm{clip}} =
        \begin{cases}
          0 & \text{if } A > 0,\ r > 1+\epsilon \ \text{ or }\ A < 0,\ r < 1-\epsilon
              \quad\text{(clipped branch active)},\\
          A & \text{otherwise,}
        \end{cases}

    with the kinks :math:`r = 1+\epsilon` (:math:`A > 0`) and
    :math:`r = 1-\epsilon` (:math:`A < 0`) resolved by ``side``: the right
    derivative at :math:`1+\epsilon` is 0 and the left one :math:`A`; the right
    derivative at :math:`1-\epsilon` is :math:`A` and the left one 0.

    Parameters
    ----------
    ratio, A, eps : as in :func:`clipped_objective`
    side : {"right", "left"}, keyword-only

    Returns
    -------
    ndarray
    """
    if side not in ("right", "left"):
        raise InvalidParameterError(f"side must be 'right' or 'left'; got {side!r}")
    r, a, e, exact = _ppo_inputs(ratio, A, eps)
    lo, hi = 1 - e, 1 + e
    r, a = np.broadcast_arrays(r, a)
    if side == "right":
        flat = ((a > 0) & (r >= hi)) | ((a < 0) & (r < lo))
    else:
        flat = ((a > 0) & (r > hi)) | ((a < 0) & (r <= lo))
    zero = Fraction(0) if exact else 0.0
    return np.where(flat, zero, a).astype(object if exact else float)


def _ppo_inputs(ratio, A, eps):
    r = np.atleast_1d(np.asarray(ratio, dtype=object))  # scalars are checked as 1-element arrays
    a = np.atleast_1d(np.asarray(A, dtype=object))
    exact = all(is_exact_scalar(x) for x in list(r.flat) + list(a.flat)) and is_exact_scalar(eps)
    if exact:
        r = np.vectorize(Fraction, otypes=[object])(r) if r.size else r
        a = np.vectorize(Fraction, otypes=[object])(a) if a.size else a
        e = Fraction(eps)
    else:
        r, a, e = r.astype(float), a.astype(float), float(eps)
    _check_eps(e)
    if np.any(r < 0):
        k = int(np.argmax((r < 0).reshape(-1)))
        raise InvalidParameterError(f"ratio[{k}] = {r.reshape(-1)[k]} is negative; density ratios are >= 0")
    return r, a, e, exact


# ---------------------------------------------------------------------- G4
@checker_convention(takes_mdp=False, legacy=("ratio", "A", "eps"))
def ppo_clipping(ratio, A, eps, *, mode=None, variant=None, seed=None, witness=None):
    r"""Check the derivative of PPO's clipped objective (statement G4; AJKS §12.4, Schulman et al. 2017).

    .. math::

        L^{\mathrm{clip}}(r) = \min\big(rA,\ \operatorname{clip}(r,1-\epsilon,1+\epsilon)A\big),\qquad
        \partial_r L^{\mathrm{clip}} = 0 \iff
        (r > 1+\epsilon,\ A > 0)\ \text{or}\ (r < 1-\epsilon,\ A < 0)\ \text{(or } A = 0),

    elsewhere :math:`\partial_r L^{\mathrm{clip}} = A`, the derivative of the
    unclipped surrogate :math:`rA`; and :math:`L^{\mathrm{clip}} \le rA`
    pointwise.

    What differs from the lecture: the lecture says that "once the ratio
    leaves :math:`[1-\epsilon, 1+\epsilon]` the gradient vanishes".  That holds
    only on the *active* clipped branch: for :math:`A > 0` and
    :math:`r < 1-\epsilon` (or :math:`A < 0` and :math:`r > 1+\epsilon`) the
    minimum picks the unclipped term and the derivative is :math:`A \ne 0`.
    The lecture's reading is the broken variant ``"vanish_outside_interval"``.

    Independent routes: the derivative from the branch formula
    (:func:`clipped_objective_derivative`, both one-sided derivatives) against
    exact one-sided difference quotients
    :math:`(L(r+h)-L(r))/h` and :math:`(L(r)-L(r-h))/h` of
    :func:`clipped_objective`, with a rational step :math:`h` below the
    distance from :math:`r` to the nearest other kink (the function is linear
    on each side, so the quotients are the one-sided derivatives exactly).  The
    characterisation is checked as: both one-sided quotients vanish iff the
    clipped branch is active (away from :math:`A = 0`), else both equal
    :math:`A` (away from the kinks).

    Parameters
    ----------
    ratio, A : array_like, same shape
    eps : number
    mode : {"float", "exact"}, optional

    Data flow — left: the branch formula of the derivative; right: exact one-sided difference quotients of the
    objective; shared: :math:`r`, :math:`A`, :math:`\epsilon`.

    Broken variants: ``"vanish_outside_interval"`` (the lecture's reading: zero
    derivative whenever :math:`r \notin [1-\epsilon, 1+\epsilon]`),
    ``"max_instead_of_min"`` (the optimistic :math:`\max` of the two terms).
    """
    stmt = _G4
    check_variant(variant, stmt.variants)
    r, a, e, exact_in = _ppo_inputs(ratio, A, eps)
    mode = mode or ("exact" if exact_in else "float")
    if mode == "exact" and not exact_in:
        raise InvalidParameterError("mode='exact' needs exact ratios, advantages and eps")
    if mode == "float":
        r, a, e = r.astype(float), a.astype(float), float(e)
    r, a = np.broadcast_arrays(r, a)
    rep = new_report(stmt, mode, {"ratio": r, "A": a, "eps": e, "seed": seed, **(witness or {})}, variant)

    def L(x):
        if variant == "max_instead_of_min":
            lo, hi = 1 - e, 1 + e
            cl = np.vectorize(lambda t: min(max(t, lo), hi), otypes=[object])(x) if mode == "exact" else np.clip(x, lo, hi)
            u, c = x * a, cl * a
            return np.vectorize(max, otypes=[object])(u, c) if mode == "exact" else np.maximum(u, c)
        return clipped_objective(x, a, e)

    kinks = [1 - e, 1 + e]
    flat_r = r.reshape(-1)
    steps = []
    for x in flat_r:
        dist = [abs(x - k) for k in kinks if x != k] + [abs(kinks[1] - kinks[0])]
        h = min(dist) / 2
        if x != 0:
            h = min(h, x / 2)  # stay in r >= 0
        steps.append(min(h, Fraction(1, 8) if mode == "exact" else 0.125))
    h = np.array(steps, dtype=object if mode == "exact" else float).reshape(r.shape)
    Lr = L(r)
    right = (L(r + h) - Lr) / h
    left = np.where(r > 0, (Lr - L(np.where(r > 0, r - h, r))) / h, right)
    right_f = clipped_objective_derivative(r, a, e, side="right")
    left_f = np.where(r > 0, clipped_objective_derivative(r, a, e, side="left"), right_f)
    tol = None
    if mode == "float":
        eps64 = float(np.finfo(float).eps)
        mag = float(np.max(np.abs(r * a))) + float(np.max(np.abs(a))) + 1.0
        tol = 16.0 * eps64 * mag / float(np.min(h))
        rep.tolerance_rule = (f"16*eps*(max|rA| + max|A| + 1)/h_min = 16*eps*{mag:.4g}/{float(np.min(h)):.4g} "
                              "(rounding of a difference quotient with step h)")
    rep.identity("right difference quotient of L_clip = branch formula", right, right_f, tol=tol)
    rep.identity("left difference quotient of L_clip = branch formula", left, left_f, tol=tol)
    # characterisation of where the derivative vanishes (away from the kinks and A = 0)
    lo, hi = 1 - e, 1 + e
    interior = (r != lo) & (r != hi) & (a != 0)
    active = ((a > 0) & (r > hi)) | ((a < 0) & (r < lo))
    if variant == "vanish_outside_interval":
        active = (r > hi) | (r < lo)
    zero = Fraction(0) if mode == "exact" else 0.0
    pred = np.where(active, zero, a)
    idx = np.nonzero(interior.reshape(-1))[0]
    rep.identity("derivative = 0 exactly on the active clipped branch, = A elsewhere (both sides)",
                 np.concatenate([right.reshape(-1)[idx], left.reshape(-1)[idx]]),
                 np.concatenate([pred.reshape(-1)[idx], pred.reshape(-1)[idx]]), tol=tol)
    if mode == "exact":
        rep.inequality("L_clip(r) <= r A pointwise", Lr, r * a)
    else:
        # float min() returns one of its arguments, so r A - L_clip >= 0 holds without rounding:
        # check that its negative part is exactly zero (an inequality with zero slack would be UNDECIDED)
        rep.identity("L_clip(r) <= r A pointwise: min(r A - L_clip, 0) = 0", np.minimum(r * a - Lr, 0.0),
                     np.zeros(Lr.shape), tol=tol)
    rep.details = {"L_clip": Lr, "right_derivative": right, "left_derivative": left, "active": active}
    return rep


def _ppo_cases(seed, n, mode):
    r"""Ratios and advantages from pairs of policies on a random MDP, plus a grid over every branch."""
    exact = mode == "exact"
    for i in range(n):
        rng = case_rng(seed, "G4", i)
        mdp = random_case_mdp(rng, exact=exact, max_states=3)
        pi_t = random_case_policy(rng, mdp, exact=exact, positive=True)
        pi = random_case_policy(rng, mdp, exact=exact)
        ev = evaluate(mdp, pi_t, mode="exact" if exact else "float")
        eps = [Fraction(1, 10), Fraction(1, 5), Fraction(1, 4)][i % 3]
        ratio = (pi / pi_t).reshape(-1)
        adv = ev.advantage.reshape(-1)
        grid = [0, 1 - 2 * eps, 1 - eps, 1 - eps / 2, 1, 1 + eps / 2, 1 + eps, 1 + 2 * eps, 3]
        grid_r = [Fraction(x) for x in grid for _ in (1, -1, 0)]
        grid_a = [Fraction(sgn * (1 + i % 3), 2) for _ in grid for sgn in (1, -1, 0)]
        r_all = np.concatenate([ratio, np.array(grid_r, dtype=object)])
        a_all = np.concatenate([adv, np.array(grid_a, dtype=object)])
        if not exact:
            r_all, a_all, eps = r_all.astype(float), a_all.astype(float), float(eps)
        yield {"ratio": r_all, "A": a_all, "eps": eps, "witness": {"mdp": mdp, "pi_t": pi_t, "pi": pi},
               "seed": (seed, i)}


# ---------------------------------------------------------------------- G3
def _particular_solution(F, g):
    """Some exact solution of F w = g (free variables 0), from the reduced row echelon form."""
    from flint import fmpq_mat

    n = F.shape[0]
    aug = to_fmpq_mat(np.concatenate([F, np.asarray(g, dtype=object)[:, None]], axis=1))
    R, rank = aug.rref()
    w = fmpq_mat(n, 1)
    for i in range(rank):
        j = 0
        while R[i, j] == 0:
            j += 1
        if j == n:
            raise InvalidParameterError("g is not in the range of F: F w = g has no solution")
        w[j, 0] = R[i, n]
    return from_fmpq_mat(w, (n,))


def _sym_dot(u, v):
    import sympy

    return sympy.Add(*[x * y for x, y in zip(u, v)])


@checker_convention(policy="param")
def trpo_is_npg(mdp, param, theta, *, delta, mode=None, variant=None, seed=None):
    r"""Check that the TRPO step is the natural gradient step (statement G3; AJKS §12.3).

    With :math:`g = \nabla_\theta V^{\pi_\theta}(\rho)` and :math:`F = F_\rho(\theta)`,

    .. math::

        \Delta^\star = \sqrt{\frac{2\delta}{g^\top F^\dagger g}}\,F^\dagger g
        \quad\text{solves}\quad
        \max_\Delta\ \langle g, \Delta\rangle \ \text{ s.t. }\ \tfrac12\Delta^\top F\Delta \le \delta,
        \qquad \langle g, \Delta^\star\rangle = \sqrt{2\delta\, g^\top F^\dagger g}.

    Convention: the constraint carries the :math:`\tfrac12` of the second-order
    expansion of the KL, :math:`\mathrm{KL} \approx \tfrac12\Delta^\top F\Delta`
    (the lecture's QP writes it too).  The lecture's closed form
    :math:`\sqrt{\delta/(g^\top F^{-1}g)}\,F^{-1}g` drops the factor 2 that the
    :math:`\tfrac12` produces (it solves :math:`\Delta^\top F\Delta \le \delta`);
    it is the broken variant ``"lecture_sqrt"``.  The step is
    :func:`mdptheory.geometry.trpo_step` with ``convention="half"``.

    Independent checks of optimality (the problem is convex, so the KKT
    conditions are sufficient): feasibility with the constraint active,
    :math:`\tfrac12\Delta^\top F\Delta = \delta`; stationarity,
    :math:`F\Delta \parallel g` with a positive multiplier
    (:math:`g^\top F\Delta > 0`); the optimal value
    :math:`\langle g, \Delta\rangle^2 = 2\delta\, g^\top w` for a solution
    :math:`w` of :math:`F w = g` found by an exact echelon solve (not the
    pseudo-inverse; :math:`g^\top w` does not depend on which solution); and
    that no sampled direction :math:`u` does better once scaled to the
    boundary, :math:`2\delta\langle g,u\rangle^2/(u^\top F u) \le \langle g,\Delta\rangle^2`.
    In exact mode :math:`\Delta` has entries :math:`\sqrt{q}\times` rational
    (``sympy``) and every check is exact.  :math:`g` is the advantage form
    :math:`(1-\gamma)^{-1}\mathbb{E}_{d_\rho,\pi}[\nabla\log\pi\,A]` of the policy
    gradient (always in the range of :math:`F`).

    Data flow — left: the step :math:`\Delta` of
    :func:`mdptheory.geometry.trpo_step` on the library's :math:`g` (advantage
    form: :func:`mdptheory.evaluate`'s advantage and visitation) and
    :math:`F` (:func:`mdptheory.geometry.fisher`); right: the optimality
    conditions with :math:`g = \nabla V(\rho)` and :math:`F` (score Gram matrix
    under :math:`d_\rho^\pi`) formed in the checker by forward solves and the
    checker's own score route (:mod:`mdptheory.lemmas.framework.routes`:
    complex-step derivative of :math:`\log\pi_\theta` in float, features
    centred here in exact mode; not the parameterization's score); shared: MDP, :math:`\theta`,
    :math:`\delta`.  Degenerate case: when :math:`g = 0` (e.g. log-linear
    features constant over the actions of every state) every feasible
    :math:`\Delta` is optimal with value 0 and the constraint need not be
    active; the checker then checks exactly that (feasibility and
    :math:`\langle g, \Delta\rangle = 0`) and says so in the report.  The suite's
    cases are non-degenerate (:func:`_trpo_cases` redraws a case whose
    gradient vanishes).

    Broken variants: ``"lecture_sqrt"`` (:math:`\sqrt{\delta/g^\top F^\dagger g}`
    with the :math:`\tfrac12` constraint), ``"plain_gradient"`` (the step along
    :math:`g` scaled to the boundary, not along :math:`F^\dagger g`).
    """
    import sympy

    from ..geometry import fisher, pinv_solve, trpo_step
    from .framework.routes import gradient_own_score, score_direct, visitation_direct

    stmt = _G3
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    rho = _field(m.rho, mode, "rho")
    delta = Fraction(delta) if mode == "exact" else float(delta)
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, delta=delta, seed=seed), variant)
    one = _one(mode)
    ev = evaluate(m, pi, mode=mode)
    d = ev.visitation(rho)
    nu = (d[:, None] * pi).reshape(-1)
    X = score.reshape(S * A, n)
    # left: the library's g and F, and the step
    g_lib = _gram(nu, X, mode, ev.advantage.reshape(-1)[:, None])[:, 0] / (one - m.gamma)
    F_lib = _field(fisher(m, param, theta, mu=rho, mode=mode), mode, "F")
    if variant == "plain_gradient":
        q = sum(x * y for x, y in zip(g_lib, _matvec(F_lib, g_lib, mode)))
        c2 = 2 * delta / q
        Delta = (np.array([sympy.sqrt(sympy.Rational(c2.numerator, c2.denominator)) * sympy.Rational(
            x.numerator, x.denominator) for x in g_lib], dtype=object) if mode == "exact" else np.sqrt(c2) * g_lib)
    else:
        conv = "lecture" if variant == "lecture_sqrt" else "half"
        Delta = np.asarray(trpo_step(g_lib, F_lib, delta, convention=conv))
    # right: g and F of the optimality conditions by the checker's own forward solves
    th_own = theta if mode == "exact" else param.float_theta(theta)
    g = _field(np.asarray(gradient_own_score(m, param, th_own, rho, mode)).reshape(-1), mode, "grad V")
    d_own = _field(visitation_direct(m, pi, rho, mode), mode, "d")
    X_own = _field(score_direct(param, th_own, mode), mode, "score").reshape(S * A, n)
    F = _gram((d_own[:, None] * pi).reshape(-1), X_own, mode)
    if mode == "exact" and all(x == 0 for x in g):
        return _trpo_degenerate(rep, F, g, Delta, delta, n)
    # exact linear algebra with sympy scalars sqrt(q) * rational
    if mode == "exact":
        Fs = [[sympy.Rational(x.numerator, x.denominator) for x in row] for row in F]
        gs = [sympy.Rational(x.numerator, x.denominator) for x in g]
        FD = [_sym_dot(row, Delta) for row in Fs]
        half_quad = sympy.Rational(1, 2) * _sym_dot(Delta, FD)
        gFD = _sym_dot(gs, FD)
        gg = _sym_dot(gs, gs)
        value = _sym_dot(gs, Delta)
        par = np.array([gi * gFD - fi * gg for gi, fi in zip(gs, FD)], dtype=object)
        w = _particular_solution(F, g)
        gw = sum((x * y for x, y in zip(g, w)), Fraction(0))
        val2 = sympy.expand(value ** 2)
        to_q = (lambda x: Fraction(int(x.p), int(x.q)) if getattr(x, "is_Rational", False) else x)
        tol = None
        rep.identity("constraint active: (1/2) Delta^T F Delta = delta", np.array([to_q(half_quad)], dtype=object),
                     np.array([delta], dtype=object))
        rep.identity("stationarity: F Delta parallel to g, (g^T F Delta) g - (g^T g) F Delta = 0",
                     np.array([to_q(sympy.expand(x)) for x in par], dtype=object),
                     np.array([Fraction(0)] * n, dtype=object))
        if gg != 0:
            pos = sympy.sympify(gFD).is_positive
            rep.claim("positive multiplier: g^T F Delta > 0",
                      {True: "VERIFIED", False: "FALSIFIED"}.get(pos, "UNDECIDED"),
                      "sign of the exact number g^T F Delta (sympy)", value=str(gFD))
        rep.identity("optimal value: <g, Delta>^2 = 2 delta g^T w (w any solution of F w = g)",
                     np.array([to_q(val2)], dtype=object), np.array([2 * delta * gw], dtype=object))
        value_sq = to_q(val2)
    else:
        FD = F @ Delta
        half_quad = 0.5 * float(Delta @ FD)
        ng = float(np.linalg.norm(g))
        w = pinv_solve(F, g)
        gw = float(g @ w)
        value = float(g @ Delta)
        eig = np.linalg.eigvalsh(F)
        pos = eig[eig > n * np.finfo(float).eps * max(eig.max(), 1e-300)]
        cond = float(eig.max() / pos.min()) if pos.size else 1.0
        tol, rule = float_tolerance(m, cond, order=2)
        rep.tolerance_rule = rule + f" (relative; m = cond(F on its range) = {cond:.3g})"
        rep.identity("constraint active: (1/2) Delta^T F Delta / delta = 1", np.array([half_quad / delta]),
                     np.array([1.0]), tol=tol)
        if ng > 0:
            nFD = float(np.linalg.norm(FD))
            rep.identity("stationarity: F Delta / |F Delta| = g / |g|", FD / nFD, g / ng, tol=tol)
            rep.inequality("positive multiplier: g^T F Delta > 0", np.array([0.0]),
                           np.array([float(g @ FD) / (ng * nFD)]), tol=tol)
        rep.identity("optimal value: <g, Delta>^2 / (2 delta g^T F^+ g) = 1", np.array([value ** 2 / (2 * delta * gw)])
                     if gw > 0 else np.array([1.0]), np.array([1.0]), tol=tol)
        value_sq = value ** 2
    # sampled competitors scaled to the boundary
    rng = np.random.default_rng([7, n, S])
    comp = []
    for _ in range(6):
        u = rng.integers(-3, 4, size=n)
        u = np.array([Fraction(int(x)) for x in u], dtype=object) if mode == "exact" else u.astype(float)
        uFu = sum(x * y for x, y in zip(u, _matvec(F, u, mode)))
        if uFu > 0:
            gu = sum(x * y for x, y in zip(g, u))
            comp.append(2 * delta * gu * gu / uFu)
    if comp:
        comp = np.array(comp, dtype=object if mode == "exact" else float)
        if mode == "exact":
            rep.inequality("no sampled direction beats Delta: 2 delta <g,u>^2/(u^T F u) <= <g,Delta>^2", comp,
                           np.array([value_sq] * len(comp), dtype=object))
        else:
            # relative slack, with the optimum itself excluded (a competitor parallel to Delta ties)
            rel = comp / value_sq if value_sq > 0 else comp
            keep = rel < 1 - 1e-6
            if keep.any():
                rep.inequality("no sampled direction beats Delta: 2 delta <g,u>^2/(u^T F u) <= <g,Delta>^2 "
                               "(relative)", rel[keep], np.ones(int(keep.sum())), tol=tol)
    rep.details = {"Delta": Delta, "g": g, "half_quad": half_quad}
    return rep


def _trpo_degenerate(rep, F, g, Delta, delta, n):
    """G3 when g = 0 exactly: every feasible step is optimal (value 0); check feasibility and the value."""
    import sympy

    Fs = [[sympy.Rational(x.numerator, x.denominator) for x in row] for row in F]
    half_quad = sympy.Rational(1, 2) * _sym_dot(Delta, [_sym_dot(row, Delta) for row in Fs])
    hq = Fraction(int(half_quad.p), int(half_quad.q)) if getattr(half_quad, "is_Rational", False) else None
    rep.claim("degenerate case g = grad V(rho) = 0: every feasible Delta is optimal, value 0",
              "VERIFIED", "the exact gradient (forward solves) is zero")
    if hq is None:
        rep.claim("feasibility: (1/2) Delta^T F Delta <= delta", "UNDECIDED", "not a rational number")
    else:
        rep.inequality("feasibility: (1/2) Delta^T F Delta <= delta", np.array([hq], dtype=object),
                       np.array([delta], dtype=object))
    value = sympy.expand(_sym_dot([sympy.Integer(0)] * n, Delta))
    rep.identity("optimal value <g, Delta> = 0", np.array([Fraction(int(value))], dtype=object),
                 np.array([Fraction(0)], dtype=object))
    rep.details = {"Delta": Delta, "g": g, "degenerate": True}
    return rep


def _nondegenerate(m, param, theta, mode):
    """True when grad V(rho) (forward solves) is not negligible: |g|_inf > 1e-3 r_max / (1 - gamma)."""
    from .framework.routes import gradient_own_score

    gr = np.asarray(gradient_own_score(m if mode == "exact" else m.to_float(), param,
                                       theta if mode == "exact" else param.float_theta(theta), m.rho, mode),
                    dtype=object)
    gmax = max((abs(float(x)) for x in gr), default=0.0)
    rmax = float(np.max(np.abs(np.asarray(m.to_float().r, dtype=float)))) if m.n_states else 0.0
    return gmax > 1e-3 * max(rmax, 1e-12) / (1 - float(m.gamma))


def _trpo_cases(seed, n, mode):
    """G3 cases; a case whose gradient vanishes (TRPO's constraint cannot be active) is redrawn."""
    kinds = ("softmax", "loglinear")
    for i in range(n):
        rng = case_rng(seed, "G3", i)
        for _ in range(20):
            mdp, param, theta = _param_case(rng, mode, kind=kinds[i % 2], max_states=3, max_actions=3)
            if _nondegenerate(mdp, param, theta, mode):
                break
        delta = [Fraction(1, 10), Fraction(1, 2), Fraction(2)][i % 3]
        yield {"mdp": mdp, "param": param, "theta": theta, "delta": delta if mode == "exact" else float(delta),
               "seed": (seed, i)}


# ---------------------------------------------------------------------- G2
@checker_convention(policy="param")
def trajectory_kl_fisher(mdp, param, theta, *, H, mode=None, variant=None, seed=None):
    r"""Check that the trajectory KL is locally the Fisher metric (statement G2; AJKS Claim 12.5).

    For the horizon-:math:`H` trajectory distributions started from :math:`\mu`,

    .. math::

        \nabla_\theta\mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)\big|_{\theta=\theta_t} = 0, \qquad
        \nabla^2_\theta\mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)\big|_{\theta=\theta_t}
        = \sum_{h<H}\mathbb{E}_{s_h\sim\Pr^{\theta_t}}\mathbb{E}_{a\sim\pi_{\theta_t}}
          \big[\nabla\log\pi_{\theta_t}(a|s_h)\nabla\log\pi_{\theta_t}(a|s_h)^\top\big].

    The lecture writes the right side as :math:`H\,\mathbb{E}_{s,a\sim d}[\cdot]`
    with :math:`d` the *average* (undiscounted) state distribution over the
    :math:`H` steps, which is the same matrix.

    Independent routes: the gradient and Hessian of the KL by literal
    enumeration of every trajectory of positive probability
    (:func:`mdptheory.kl.trajectory_kl_gradient` /
    :func:`~mdptheory.kl.trajectory_kl_hessian` with ``method="enumerate"``:
    :math:`-\sum_\tau\Pr(\tau)\sum_h\nabla^2\log\pi(a_h|s_h)`, from the
    parameterization's second derivatives of :math:`\pi`); the Fisher sum
    from the propagated state distributions :math:`\Pr(s_h=\cdot)` and the
    score alone (:func:`mdptheory.kl.trajectory_fisher`), and once more here
    as :math:`H` times the Fisher of the average distribution.  Exact for
    rational softmax points.

    Second route for the Hessian: the KL itself is differentiated.  Along a
    direction :math:`u = \log c` (:math:`c` rational, close to 1), so that
    :math:`\theta_t \pm u` are exact points again, the symmetric second
    difference of :func:`mdptheory.kl.trajectory_kl` (a certified arb ball in
    exact mode, float otherwise)
    :math:`D_2 = \mathrm{KL}(\theta_t\|\theta_t+u) + \mathrm{KL}(\theta_t\|\theta_t-u)`
    satisfies :math:`|D_2 - u^\top\nabla^2\mathrm{KL}\,u| \le \max|f^{(4)}|/12`
    with :math:`f(\epsilon) = \mathrm{KL}(\theta_t\|\theta_t+\epsilon u)`; for a
    linear energy :math:`f^{(4)}` is a weighted sum (weights summing to
    :math:`H`) of fourth cumulants of :math:`X_s(a) = u\cdot\nabla f_\theta(s,a)/\tau`,
    and :math:`|\kappa_4| \le R_s^4/4` for a variable of range :math:`R_s`, so
    the remainder is at most :math:`H\max_s R_s^4/48`.  The quadratic form of
    the enumerated Hessian must lie within that distance of :math:`D_2` (exact
    mode: a claim, VERIFIED when the whole enclosure is inside, FALSIFIED when
    it is outside).

    Data flow — left: the KL's derivatives by enumeration (score and
    second derivatives of :math:`\pi`) and the second difference of the KL's
    values; right: the Fisher sum from the propagated state distributions and
    the score, and :math:`H` times the Fisher of the average distribution;
    shared: MDP, :math:`\theta_t`, :math:`\mu`, ``H``.

    Broken variants: ``"discounted_visitation"`` (the normalised discounted
    visitation :math:`d_\mu^\pi` in place of the average over the horizon),
    ``"mu_for_states"`` (:math:`\mu` used where :math:`\Pr(s_h = \cdot)`
    belongs), ``"drop_H"`` (the Fisher of the average distribution without
    the factor :math:`H`).
    """
    from ..kl import horizon_state_distributions, trajectory_fisher, trajectory_kl_gradient, trajectory_kl_hessian

    stmt = _G2
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    mu = _field(m.rho, mode, "mu")
    rep = new_report(stmt, mode, _witness(m, param, theta, mu=mu, H=H, seed=seed), variant)
    grad = _field(trajectory_kl_gradient(m, param, theta, None, H, mu=mu, mode=mode, method="enumerate"), mode)
    hess = _field(trajectory_kl_hessian(m, param, theta, None, H, mu=mu, mode=mode, method="enumerate"), mode)
    fis = _field(trajectory_fisher(m, param, theta, H, mu=mu, mode=mode), mode)
    one = _one(mode)
    p = horizon_state_distributions(m, pi, H, mu=mu)
    avg = p.sum(axis=0) / H
    scale = H * one
    if variant == "discounted_visitation":
        avg = evaluate(m, pi, mode=mode).visitation(mu)
    elif variant == "mu_for_states":
        avg = mu
    elif variant == "drop_H":
        scale = one
    F_avg = scale * _gram((avg[:, None] * pi).reshape(-1), score.reshape(S * A, n), mode)
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m, float(H), order=1)
        rep.tolerance_rule = rule + " (gamma plays no role here: kappa is a conservative factor)"
    # the gradient is compared through a nonzero vector: grad + F x = F x
    x = np.array([Fraction((5 * k) % 7 - 3, 3) for k in range(n)], dtype=object)
    if mode == "float":
        x = x.astype(float)
    Fx = _matvec(fis, x, mode)
    rep.identity("grad_theta KL(Pr^theta_t || Pr^theta) at theta_t = 0 (enumerated; tested as grad + F x = F x)",
                 grad + Fx, Fx, tol=tol)
    rep.identity("Hessian of the KL at theta_t (enumerated) = sum_h E_{s_h} E_pi[score score^T] (propagated)",
                 hess, fis, tol=tol)
    rep.identity("Hessian of the KL at theta_t = H * Fisher of the average state distribution", hess, F_avg, tol=tol)
    d2 = _kl_second_difference(rep, m, param, theta, None, H, mu, hess, mode)
    # the same away from theta_t, where the KL's Hessian also has the term of the second derivatives of pi
    # (zero at theta_t): a point theta' = theta_t + log c'
    n = param.n_params
    c_off = [Fraction(4 + (2 * i) % 3, 4) for i in range(n)]
    if mode == "exact":
        theta_b = LogRational([Fraction(x) * ci for x, ci in zip(theta.q, c_off)])
    else:
        theta_b = param.float_theta(theta) + np.log(np.array([float(x) for x in c_off]))
    hess_b = _field(trajectory_kl_hessian(m, param, theta, theta_b, H, mu=mu, mode=mode, method="enumerate"), mode)
    _kl_second_difference(rep, m, param, theta, theta_b, H, mu, hess_b, mode)
    rep.details = {"hessian": hess, "fisher_sum": fis, "kl_second_difference": d2}
    return rep


def _kl_second_difference(rep, m, param, theta, theta_b, H, mu, hess, mode):
    """G2's second route: u^T hess u against KL(t||b + u) + KL(t||b - u) - 2 KL(t||b), b = theta_b or theta_t."""
    from ..kl import trajectory_kl

    n = param.n_params
    at = "theta_t" if theta_b is None else "theta' = theta_t + log c'"
    part = (f"u^T Hess u (enumerated, at {at}) = KL(t||b+u) + KL(t||b-u) - 2 KL(t||b) (the KL differentiated: "
            "second difference of trajectory_kl, u = log c) within the certified Taylor remainder H max R^4/48")
    base = theta if theta_b is None else theta_b
    th_f = param.float_theta(theta)
    if not hasattr(param, "energy_jacobian") or np.any(np.asarray(param.energy_hessian(th_f), dtype=float) != 0):
        rep.claim(part, "UNDECIDED", "the remainder bound needs a linear energy")
        return None
    N = 64
    ks = np.array([((3 * i + 1) % 5) - 2 for i in range(n)])
    if not ks.any():
        ks[0] = 1
    c = [Fraction(N + int(k), N) for k in ks]
    u = np.log(np.array([float(x) for x in c]))
    tau = float(param.temperature)
    J = np.asarray(param.energy_jacobian(th_f), dtype=float)
    X = np.einsum("sai,i->sa", J, np.abs(u) * (1 + 1e-12) * np.sign(u)) / tau
    R = float(np.max(X.max(axis=1) - X.min(axis=1))) * (1 + 1e-9)
    rem = H * R ** 4 / 48
    if mode == "exact":
        from flint import arb, fmpq

        q = [Fraction(x) for x in base.q]
        plus = LogRational([x * ci for x, ci in zip(q, c)])
        minus = LogRational([x / ci for x, ci in zip(q, c)])
        d2 = trajectory_kl(m, param, theta, plus, H, mu=mu) + trajectory_kl(m, param, theta, minus, H, mu=mu)
        if theta_b is not None:
            d2 = d2 - 2 * trajectory_kl(m, param, theta, base, H, mu=mu)
        ua = [arb(fmpq(ci.numerator, ci.denominator)).log() for ci in c]
        quad = arb(0)
        for i in range(n):
            for j in range(n):
                if hess[i, j] != 0:
                    quad += arb(fmpq(hess[i, j].numerator, hess[i, j].denominator)) * ua[i] * ua[j]
        diff = d2 - quad
        mid, rad = float(diff.mid()), float(diff.rad())
        hi, lo = abs(mid) + rad, abs(mid) - rad
        if hi <= rem:
            verdict, why = "VERIFIED", "the certified |D2 - u^T H u| is within the Taylor remainder"
        elif lo > rem * (1 + 1e-6):
            verdict, why = "FALSIFIED", "the certified |D2 - u^T H u| exceeds the Taylor remainder"
        else:
            verdict, why = "UNDECIDED", "the enclosure straddles the remainder bound"
        rep.claim(part, verdict, why, difference=hi, remainder=rem, quadratic_form=float(quad.mid()))
        return float(d2.mid())
    b_f = th_f if theta_b is None else np.asarray(theta_b, dtype=float)
    d2 = trajectory_kl(m, param, th_f, b_f + u, H, mu=mu) + trajectory_kl(m, param, th_f, b_f - u, H, mu=mu)
    if theta_b is not None:
        d2 -= 2 * trajectory_kl(m, param, th_f, b_f, H, mu=mu)
    quad = float(u @ np.asarray(hess, dtype=float) @ u)
    logpi = float(np.max(np.abs(np.log(np.asarray(param.probs(th_f), dtype=float))))) + 1.0
    rnd, _ = float_tolerance(m, H * logpi * (1 + R), order=0)
    rep.identity(part, np.array([d2]), np.array([quad]), tol=rem + rnd)
    return d2


def _kl_cases(seed, n, mode):
    kinds = ("softmax", "loglinear")
    for i in range(n):
        rng = case_rng(seed, "G2", i)
        # log-linear cases with three actions: with two, a permutation of the actions' features only flips
        # the sign of the score, which the (quadratic) Fisher and KL Hessian cannot see
        while True:
            mdp, param, theta = _param_case(rng, mode, kind=kinds[i % 2], max_states=3, max_actions=2 + i % 2)
            if kinds[i % 2] == "softmax" or mdp.n_actions == 3:
                break
        yield {"mdp": mdp, "param": param, "theta": theta, "H": 1 + i % 3, "seed": (seed, i)}


# ------------------------------------------------------------ registration
_G2 = register(Statement(
    id="G2", name="trajectory_kl_fisher",
    text="grad_theta KL(Pr^theta_t || Pr^theta) = 0 at theta_t, and its Hessian there is "
         "sum_{h<H} E[grad log pi grad log pi^T] (= H times the Fisher of the average state distribution)",
    source="AJKS Claim 12.5", check=trajectory_kl_fisher, cases=_kl_cases,
    variants={"discounted_visitation": "the discounted visitation d_mu^pi in place of the horizon average",
              "mu_for_states": "mu used where Pr(s_h = .) belongs",
              "drop_H": "Fisher of the average distribution without the factor H"}))
_G3 = register(Statement(
    id="G3", name="trpo_is_npg",
    text="Delta = sqrt(2 delta / (g^T F^+ g)) F^+ g solves max <g, Delta> s.t. (1/2) Delta^T F Delta <= delta",
    source="AJKS §12.3 (TRPO = NPG)", check=trpo_is_npg, cases=_trpo_cases,
    variants={"lecture_sqrt": "the lecture's sqrt(delta/(g^T F^+ g)) with the 1/2 constraint",
              "plain_gradient": "step along g instead of F^+ g"}))
_G4 = register(Statement(
    id="G4", name="ppo_clipping",
    text="d/dr min(r A, clip(r, 1-eps, 1+eps) A) = 0 exactly on the active clipped branch "
         "(r > 1+eps, A > 0 or r < 1-eps, A < 0), = A elsewhere; L_clip <= r A",
    source="AJKS §12.4; Schulman et al. (2017), PPO", check=ppo_clipping, cases=_ppo_cases,
    variants={"vanish_outside_interval": "the lecture's reading: zero derivative whenever r is outside [1-eps, 1+eps]",
              "max_instead_of_min": "the optimistic max of the two terms"}))


# ------------------------------------------------------------------ convergence
@checker_convention()
def cpi_improvement(mdp, *, alpha, T=3, mode=None, variant=None, seed=None):
    r"""CPI's conservative-update bounds (AJKS Lemma 12.1, Thm 12.2; statement G1).

    For :math:`\pi_{t+1} = (1-\alpha)\pi_t + \alpha\pi'_t`, :math:`\pi'_t` greedy in
    :math:`A^{\pi_t}`, :math:`r\in[0,1]`, :math:`d^t = d_\mu^{\pi_t}`, at every step:

    .. math::

        \|\pi_{t+1}(\cdot|s) - \pi_t(\cdot|s)\|_1 \le 2\alpha, \qquad
        \|d^{t+1} - d^t\|_1 \le \frac{2\alpha\gamma}{1-\gamma},

        V^{(t+1)}(\mu) - V^{(t)}(\mu) \ge \frac{\alpha}{1-\gamma}\Big(\mathbb{A}_t - \frac{2\alpha\gamma}{(1-\gamma)^2}\Big),
        \quad \mathbb{A}_t = \mathbb{E}_{s\sim d^t}A^{\pi_t}(s, \pi'_t(s)).

    Exact in rationals (the run is :func:`mdptheory.algorithms.cpi`, which is
    exact on exact MDPs).  Data flow — left: the run's iterates and its
    recorded :math:`\mathbb{A}_t`; right: the visitations and values of
    :math:`\pi_t, \pi_{t+1}` from separate evaluations (each confirmed by
    forward solves formed here), and :math:`\mathbb{A}_t`
    recomputed from the iterate as :math:`\mathbb{E}_{s\sim d^t}\max_a A^{\pi_t}(s,a)`
    (the value bound uses the recomputed one; the recorded one is compared
    with it); shared: MDP, :math:`\alpha`.  Degenerate case: a start policy
    that is already optimal makes CPI stop at once; the checker then checks
    :math:`\mathbb{A}_0 = 0` (the suite's cases avoid it: :func:`_g1_cases`).

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
    confirm_values(rep, m, res.policies, [ev.V for ev in evs], mode, what="V^(pi_t), t = 0..T")
    ds = [confirm_visitation(rep, m, p, mu, ev.visitation(mu), mode, what=f"d^{k}")
          for k, (p, ev) in enumerate(zip(res.policies, evs))]
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
        # AA_t recomputed from the iterate: E_{s~d^t} max_a A^{pi_t}(s, a) (the greedy pi'_t attains the max)
        adv = evs[t].advantage
        AA = sum((ds[t][s] * max(adv[s]) for s in range(m.n_states)), Fraction(0) if exact else 0.0)
        rep.identity(f"t={t}: AA_t recorded by the run = E_(d^t) max_a A^(pi_t)(s, a) (recomputed)",
                     _vec(res.extras["advantage_gap"][t], exact), _vec(AA, exact),
                     tol=None if exact else tol, scale=None if exact else 1.0)
        low = a / (1 - g) * (AA - 2 * a * g / (1 - g) ** 2)
        rep.inequality(f"t={t}: Delta V(mu) >= alpha/(1-gamma) (AA - 2 alpha gamma/(1-gamma)^2)", _vec(low, exact),
                       _vec(dV, exact), tol=tol)
        ratios.append(float(shift) / float(bound) if bound else 0.0)
    if res.n_iter == 0:
        # degenerate case: pi_0 optimal, CPI makes no step; what the statement says there is that nothing
        # moves, i.e. the greedy improvement is zero: max_a A^(pi_0)(s, a) = 0 wherever d^0 > 0
        adv = evs[0].advantage
        AA0 = sum((ds[0][s] * max(adv[s]) for s in range(m.n_states)), Fraction(0) if exact else 0.0)
        rep.identity("degenerate case (pi_0 optimal, no CPI step): AA_0 = E_(d^0) max_a A^(pi_0)(s, a) = 0",
                     _vec(AA0, exact), _vec(Fraction(0) if exact else 0.0, exact), tol=tol,
                     scale=None if exact else 1.0)
    rep.details = {"n_steps": res.n_iter, "max_shift_over_bound": max(ratios) if ratios else None,
                   "gaps": [float(x) for x in res.gaps], "message": res.message}
    return rep


def _vec(x, exact):
    return np.array([x], dtype=object if exact else float)


def _g1_extra(rng, mdp, exact, i):
    alphas = [Fraction(1, 10), Fraction(1, 4), Fraction(1, 2)]
    a = alphas[int(rng.integers(len(alphas)))]
    return {"alpha": a if exact else float(a)}


def _g1_cases(seed, n, mode):
    """G1 cases: those of the section's generator with at least two states whose uniform start policy is not
    optimal (CPI moves)."""
    from ..policies.tabular import uniform_policy

    base = _cases("G1", gammas=(_HALF, _NINE), unit_rewards=True, extra=_g1_extra)
    k = 0
    for case in base(seed, 4 * n + 8, mode):
        m = case["mdp"] if mode == "exact" else _fm(case["mdp"])
        if m.n_states < 2:  # one state: d = mu for every policy, the visitation bound is not exercised
            continue
        adv = evaluate(m, uniform_policy(m), mode="exact" if mode == "exact" else "float").advantage
        if float(np.max(np.asarray(adv, dtype=float))) <= 1e-9:
            continue
        yield case
        k += 1
        if k == n:
            return


# --------------------------------------------------- registration (convergence)
_G1 = register(Statement(
    id="G1", name="cpi_improvement",
    text="CPI: ||pi_(t+1)(.|s) - pi_t(.|s)||_1 <= 2 alpha; ||d^(t+1) - d^t||_1 <= 2 alpha gamma/(1-gamma); "
         "Delta V(mu) >= alpha/(1-gamma) (AA - 2 alpha gamma/(1-gamma)^2), r in [0,1]",
    source="AJKS Lemma 12.1, Thm 12.2", check=cpi_improvement,
    cases=_g1_cases, modes=("float", "exact"),
    variants={"pi_shift_alpha": "||pi_(t+1)(.|s) - pi_t(.|s)||_1 <= alpha"}, cost=2.0))
