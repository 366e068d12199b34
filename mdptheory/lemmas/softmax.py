r"""THEORY section D (D1, D2, D4): the tabular softmax score, gradient and smoothness (AJKS Ch. 10).

Tabular softmax :math:`\pi_\theta(a|s) = e^{\theta_{s,a}}/\sum_b e^{\theta_{s,b}}`
(:class:`mdptheory.policies.TabularSoftmax`, parameter index ``s*A + a``).
Exact checks run at :class:`~mdptheory.policies.LogRational` points
:math:`\theta = \log q`, where the policy is ``q`` normalised per state and
every quantity below is rational.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..mdp import MDP
from ._common import check_variant, new_report, resolve_mode
from .registry import Statement, register
from .report import FALSIFIED, UNDECIDED, VERIFIED, float_tolerance
from .suite import case_rng, random_case_mdp, random_distribution

__all__ = ["softmax_score", "softmax_gradient", "softmax_smoothness", "exact_softmax_derivative"]

_EPS = float(np.finfo(np.float64).eps)


def _param_and_point(S, A, theta, mode):
    """TabularSoftmax(S, A) and the point in the checker's field."""
    from ..policies import LogRational, TabularSoftmax

    param = TabularSoftmax(S, A)
    if mode == "exact":
        if not isinstance(theta, LogRational):
            raise InvalidParameterError("exact mode needs theta as LogRational(q) (theta = log q)")
        return param, theta
    th = param.float_theta(theta)
    return param, th


def _theta_mode(theta, mode):
    from ..policies import LogRational

    if mode is None:
        return "exact" if isinstance(theta, LogRational) else "float"
    if mode not in ("float", "exact"):
        raise InvalidParameterError(f"mode must be 'float' or 'exact'; got {mode!r}")
    return mode


def exact_softmax_derivative(param, q):
    r"""Exact :math:`\partial\pi(a|s)/\partial\theta_i` at :math:`\theta = \log q` from policy values only.

    Along coordinate :math:`i`, with :math:`u = e^{t}`, the probabilities
    :math:`f(h) = \pi_{\theta + \log(1+h) e_i}(a|s)` are Möbius functions of
    :math:`h` (numerator and denominator affine in :math:`h`), so the
    difference quotient :math:`g(h) = (f(h) - f(0))/h` satisfies
    :math:`1/g(h)` affine in :math:`h` and

    .. math::

        \frac{\partial\pi(a|s)}{\partial\theta_i} = f'(0) = g(0) = \Big(\frac{2}{g(1)} - \frac{1}{g(2)}\Big)^{-1}

    (and 0 when :math:`g(1) = g(2) = 0`: a Möbius function taking one value
    three times is constant).  Three exact policy evaluations per coordinate,
    no derivative code: an independent route to the score.

    Returns
    -------
    ndarray of Fraction, shape (S, A, n)
    """
    from ..policies import LogRational

    qv = np.asarray(LogRational(q).q, dtype=object)
    f0 = param.probs(LogRational(qv))
    S, A = f0.shape
    n = qv.shape[0]
    out = np.empty((S, A, n), dtype=object)
    for i in range(n):
        vals = []
        for h in (1, 2):
            qh = qv.copy()
            qh[i] = qh[i] * (1 + h)
            vals.append((param.probs(LogRational(qh)) - f0) / h)
        g1, g2 = vals
        for s in range(S):
            for a in range(A):
                x, y = g1[s, a], g2[s, a]
                out[s, a, i] = Fraction(0) if (x == 0 and y == 0) else 1 / (2 / x - 1 / y)
    return out


# --------------------------------------------------------------------- D1
def softmax_score(n_states, n_actions, theta, *, mode=None, variant=None, seed=None, h=1e-4):
    r"""Check the tabular softmax score (THEORY D1; AJKS Ch. 10).

    .. math::

        \frac{\partial \log\pi_\theta(a|s)}{\partial\theta_{s',a'}}
            = \mathbf 1[s=s']\big(\mathbf 1[a=a'] - \pi_\theta(a'|s)\big).

    Right side: the closed form built here from :math:`\pi_\theta`.  Left
    side, two routes: the parameterization's ``score``; and an independent
    derivative of the policy values alone — exactly, by the Möbius
    extrapolation of :func:`exact_softmax_derivative` divided by :math:`\pi`
    (exact mode), or by central differences of ``log_probs`` with step ``h``
    (float mode), with tolerance
    :math:`h^2 \max|f'''|/6 + 8\varepsilon(\max|\theta| + \log A + 1)/h`,
    where :math:`|\partial^3_{\theta_b}\log\pi(a|s)| = |p(1-p)(1-2p)| \le 1/(6\sqrt3)`.

    Broken variants: ``"pi_of_a"`` (:math:`\mathbf 1[a=a'] - \pi(a|s)`, the
    wrong action's probability), ``"no_state_indicator"`` (the
    :math:`\mathbf 1[s=s']` dropped).
    """
    stmt = _D1
    check_variant(variant, stmt.variants)
    mode = _theta_mode(theta, mode)
    S, A = int(n_states), int(n_actions)
    param, th = _param_and_point(S, A, theta, mode)
    pi = param.probs(th)
    n = S * A
    rep = new_report(stmt, mode, {"n_states": S, "n_actions": A, "theta": theta, "seed": seed}, variant)
    # closed form
    exact = mode == "exact"
    one = Fraction(1) if exact else 1.0
    closed = np.full((S, A, S, A), Fraction(0) if exact else 0.0, dtype=object if exact else float)
    for s in range(S):
        for a in range(A):
            for s2 in range(S):
                if s2 != s and variant != "no_state_indicator":
                    continue
                for a2 in range(A):
                    p = pi[s, a] if variant == "pi_of_a" else pi[s, a2]
                    closed[s, a, s2, a2] = (one if a == a2 else 0 * one) - p
    closed = closed.reshape(S, A, n)
    tol_sc = None
    if not exact:
        tol_sc = 16 * _EPS
    rep.identity("param.score = 1[s=s'](1[a=a'] - pi(a'|s))", param.score(th), closed, tol=tol_sc)
    if exact:
        J = exact_softmax_derivative(param, theta)
        indep = J / pi[:, :, None]
        rep.identity("(d pi / d theta from policy values, Moebius extrapolation) / pi = closed form", indep, closed)
        rep.tolerance_rule = "none: exact rationals"
    else:
        th = np.asarray(th, dtype=float)
        fd = np.empty((S, A, n))
        for i in range(n):
            e = np.zeros(n)
            e[i] = h
            fd[:, :, i] = (param.log_probs(th + e) - param.log_probs(th - e)) / (2 * h)
        trunc = h**2 / (6 * 6 * np.sqrt(3))
        rnd = 8 * _EPS * (float(np.max(np.abs(th))) + np.log(A) + 1) / h
        tol = trunc + rnd
        rep.tolerance_rule = (f"h^2/(36 sqrt 3) + 8 eps (max|theta| + log A + 1)/h = {trunc:.3g} + {rnd:.3g} "
                              f"(h = {h:g}); score vs closed form: 16 eps")
        rep.identity(f"central differences of log pi (h = {h:g}) = closed form", fd, closed, tol=tol)
    rep.details = {"pi": pi}
    return rep


# --------------------------------------------------------------------- D2
def softmax_gradient(mdp, theta, *, mu=None, mode=None, variant=None, seed=None):
    r"""Check the softmax policy gradient in closed form (THEORY D2; AJKS Lemma 10.2).

    .. math::

        \frac{\partial V^{\pi_\theta}(\mu)}{\partial\theta_{s,a}}
            = \frac{1}{1-\gamma}\, d_\mu^{\pi_\theta}(s)\,\pi_\theta(a|s)\,A^{\pi_\theta}(s,a).

    Left side: :func:`mdptheory.gradients.value_gradient` (implicit
    differentiation of the Bellman system: one adjoint solve with the
    Jacobian of :math:`\pi`; no :math:`Q`, :math:`A` or score).  Right side:
    built here from :func:`mdptheory.evaluate` (its advantage and the
    transposed solve for :math:`d_\mu`).

    Broken variants: ``"drop_horizon"`` (the :math:`1/(1-\gamma)` dropped),
    ``"mu_for_d"`` (:math:`\mu` where :math:`d_\mu^\pi` belongs),
    ``"q_for_advantage"`` (:math:`Q` in place of :math:`A`).
    """
    from ..gradients import value_gradient

    stmt = _D2
    check_variant(variant, stmt.variants)
    mode = _theta_mode(theta, mode)
    if mode == "exact" and not mdp.is_exact:
        raise InvalidParameterError("mode='exact' needs an exact MDP")
    m = mdp if mode == "exact" else mdp.to_float()
    S, A = m.n_states, m.n_actions
    param, th = _param_and_point(S, A, theta, mode)
    if mu is None:
        mu = m.rho
    mu = np.asarray(mu, dtype=object if mode == "exact" else float)
    rep = new_report(stmt, mode, {"mdp": m, "theta": theta, "mu": mu, "seed": seed}, variant)
    pi = param.probs(th)
    ev = evaluate(m, pi, mode=mode)
    d = ev.visitation(mu)
    one = Fraction(1) if mode == "exact" else 1.0
    g = m.gamma
    if variant == "mu_for_d":
        d = mu
    adv = ev.Q if variant == "q_for_advantage" else ev.advantage
    horizon = one if variant == "drop_horizon" else one / (one - g)
    rhs = (horizon * d[:, None] * pi * adv).reshape(-1)
    lhs = value_gradient(m, param, th, mu=mu, mode=mode)
    tol = None
    if mode == "float":
        rmax = float(np.max(np.abs(m.r))) if m.r.size else 0.0
        tol, rule = float_tolerance(m, rmax / (1 - float(g)) + 1.0, order=2)
        rep.tolerance_rule = rule
    else:
        rep.tolerance_rule = "none: exact rationals"
    rep.identity("dV(mu)/dtheta (implicit differentiation) = (1-gamma)^-1 d_mu(s) pi(a|s) A(s,a)", lhs, rhs, tol=tol)
    rep.details = {"gradient": lhs, "closed_form": rhs, "d_mu": d}
    return rep


# --------------------------------------------------------------------- D4
def _exact_sym_upper_check(Hm, beta):
    """Certified exact test of ``||H||_2 <= beta`` for a symmetric rational matrix.

    ``||H||_2^(2k) = lambda_max(H^2)^k <= tr(H^(2k))`` for k = 1, 2, 4, ..., 64:
    each trace is an exact rational; the first power with
    ``tr(H^(2k)) <= beta^(2k)`` proves the bound.  A rational Rayleigh
    quotient ``|v^T H v| / v^T v`` (v from a float eigenvector, rounded to
    rationals) is an exact lower bound: above ``beta`` it disproves it.

    Returns
    -------
    verdict, reason, certificate : str, str, dict
    """
    from flint import fmpq, fmpq_mat

    n = Hm.shape[0]
    M = fmpq_mat(n, n, [fmpq(x.numerator, x.denominator) for x in Hm.reshape(-1)])
    b2 = beta * beta
    P = M * M
    k = 1
    while True:
        tr = sum((P[i, i] for i in range(n)), fmpq(0))
        trf = Fraction(int(tr.p), int(tr.q))
        if trf <= b2 ** k:
            return VERIFIED, f"exact: tr(H^{2 * k}) <= beta^{2 * k}", {"power": 2 * k, "trace": trf}
        if k >= 64:
            break
        P = P * P
        k *= 2
    Hf = np.array([[float(x) for x in row] for row in Hm])
    w, V = np.linalg.eigh(Hf)
    v = V[:, int(np.argmax(np.abs(w)))]
    vq = [Fraction(x).limit_denominator(10**12) for x in v]
    num = sum(vq[i] * Hm[i, j] * vq[j] for i in range(n) for j in range(n))
    den = sum(x * x for x in vq)
    lower = abs(num) / den
    if lower > beta:
        return FALSIFIED, "exact Rayleigh quotient |v^T H v|/v^T v exceeds beta", {"lower_bound": lower}
    return UNDECIDED, "neither a trace power nor a Rayleigh quotient separates ||H|| from beta", {"lower_bound": lower}


def _norm_part(rep, label, Hm, beta, mode, tol):
    if mode == "float":
        w = np.linalg.eigvalsh(np.asarray(Hm, dtype=float))
        nrm = float(np.max(np.abs(w))) if w.size else 0.0
        rep.inequality(label, np.array([nrm]), np.array([float(beta)]), tol=tol)
        return nrm
    verdict, reason, cert = _exact_sym_upper_check(Hm, beta)
    rep.claim(label, verdict, reason, beta=beta, **cert)
    return cert


def _barrier_hessian(param, th, lam):
    r"""Hessian of :math:`\frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s)`:
    :math:`\frac{\lambda}{|S||A|}\sum_{s,a}(\nabla^2\pi/\pi - \nabla\log\pi\,\nabla\log\pi^\top)`."""
    S, A = param.n_states, param.n_actions
    pi = param.probs(th)
    sc = param.score(th)
    H = np.einsum("saij,sa->ij", param.probs_hessian(th), 1 / pi) - np.einsum("sai,saj->ij", sc, sc)
    return H * (lam / (S * A))


def softmax_smoothness(mdp, theta, *, lam=Fraction(1), mode=None, variant=None, seed=None):
    r"""Check the smoothness of the softmax value and of the log-barrier objective (THEORY D4).

    .. math::

        \|\nabla^2_\theta V^{\pi_\theta}(\rho)\|_2 \le \beta = \frac{8}{(1-\gamma)^3},
        \qquad
        \|\nabla^2_\theta L_\lambda(\theta)\|_2 \le \beta_\lambda
            = \frac{8\gamma}{(1-\gamma)^3} + \frac{2\lambda}{|S|},

    for rewards in :math:`[0, 1]` (Agarwal et al. 2021 Lemma D.4 / Mei et al.
    2020 Lemma 7; AJKS Thm 10.4 for :math:`\beta_\lambda`), where
    :math:`L_\lambda(\theta) = V(\rho) + \frac{\lambda}{|S||A|}\sum_{s,a}\log\pi_\theta(a|s)`.

    Routes: :math:`\nabla^2 V` from
    :func:`mdptheory.derivatives.value_hessian` (differentiating the Bellman
    system twice); the barrier's Hessian
    :math:`\frac{\lambda}{|S||A|}\sum_{s,a}(\nabla^2\pi/\pi - \nabla\log\pi\nabla\log\pi^\top)`
    from the parameterization's ``probs_hessian`` and ``score``.  Float mode:
    operator norm from the eigenvalues (symmetric), inequality with a
    tolerance of order 3.  Exact mode: certified without floats deciding —
    :math:`\|H\|_2^{2k} \le \operatorname{tr}(H^{2k})` for
    :math:`k = 1` (Frobenius), 2, 4, … proves the bound; an exact Rayleigh
    quotient above :math:`\beta` disproves it; otherwise UNDECIDED.

    The factor :math:`\gamma` in :math:`\beta_\lambda` is taken from AJKS as
    THEORY states it; it cannot hold down to :math:`\gamma = 0` (a one-state
    bandit with small :math:`\lambda` has :math:`\|\nabla^2 L_\lambda\| > 2\lambda/|S|`),
    so the suite uses :math:`\gamma \ge 1/2`, where :math:`8\gamma/(1-\gamma)^3 \ge 32`.

    Broken variants: ``"bandit_constant"`` (:math:`\beta = 5/2`, the
    one-step bandit constant of Mei et al. Lemma 2, i.e. the horizon factors
    dropped), ``"drop_barrier_term"`` (:math:`\beta_\lambda = 8\gamma/(1-\gamma)^3`,
    as if the barrier did not change the smoothness).
    """
    from ..derivatives import value_hessian

    stmt = _D4
    check_variant(variant, stmt.variants)
    mode = _theta_mode(theta, mode)
    if mode == "exact" and not mdp.is_exact:
        raise InvalidParameterError("mode='exact' needs an exact MDP")
    m = mdp if mode == "exact" else mdp.to_float()
    rr = np.asarray(m.r, dtype=float)
    if rr.size and (rr.min() < 0 or rr.max() > 1):
        s, a = np.argwhere((rr < 0) | (rr > 1))[0]
        raise InvalidParameterError(f"the lemma assumes rewards in [0, 1]; r[{s}, {a}] = {m.r[s, a]}")
    S, A = m.n_states, m.n_actions
    param, th = _param_and_point(S, A, theta, mode)
    exact = mode == "exact"
    one = Fraction(1) if exact else 1.0
    lam = Fraction(lam) if exact else float(lam)
    if not lam > 0:
        raise InvalidParameterError(f"lam must be positive; got {lam}")
    g = m.gamma
    rep = new_report(stmt, mode, {"mdp": m, "theta": theta, "lam": lam, "seed": seed}, variant)
    HV = value_hessian(m, param, th, mu=m.rho, mode=mode)
    beta = (one * 5 / 2) if variant == "bandit_constant" else 8 * one / (one - g) ** 3
    beta_lam = 8 * g / (one - g) ** 3 + (0 if variant == "drop_barrier_term" else 2 * lam / S)
    # barrier Hessian: lam/(S A) sum_{s,a} (hess pi / pi - score score^T)
    n = S * A
    HL = HV + _barrier_hessian(param, th, lam)
    tol = tolL = None
    if not exact:
        mag = max(float(np.max(np.abs(HV))) if n else 0.0, 1.0)
        tol, rule = float_tolerance(m, mag * n, order=3)
        tolL = tol + 16 * _EPS * float(lam) * n
        rep.tolerance_rule = rule + "; barrier: + 16 eps lam n"
    else:
        rep.tolerance_rule = "none: exact rationals (trace-power certificates)"
    nv = _norm_part(rep, f"||hess V(rho)||_2 <= {'5/2' if variant == 'bandit_constant' else '8/(1-gamma)^3'}",
                    HV, beta, mode, tol)
    nl = _norm_part(rep, "||hess L_lambda||_2 <= 8 gamma/(1-gamma)^3"
                    + ("" if variant == "drop_barrier_term" else " + 2 lambda/|S|"), HL, beta_lam, mode, tolL)
    rep.details = {"beta": beta, "beta_lambda": beta_lam, "norm_hess_V": nv, "norm_hess_L": nl}
    return rep


# ------------------------------------------------------------ registration
def _random_q(rng, S, A, mode):
    from ..policies import LogRational

    if mode == "exact":
        w = rng.integers(1, 7, size=(S, A))
        return LogRational([[Fraction(int(x)) for x in row] for row in w])
    return rng.normal(scale=1.5, size=S * A)


def _score_cases(seed, n, mode):
    for i in range(n):
        rng = case_rng(seed, "D1", i)
        S, A = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        yield {"n_states": S, "n_actions": A, "theta": _random_q(rng, S, A, mode), "seed": (seed, i)}


def _gradient_cases(seed, n, mode):
    for i in range(n):
        rng = case_rng(seed, "D2", i)
        m = random_case_mdp(rng, exact=mode == "exact", max_states=4)
        yield {"mdp": m, "theta": _random_q(rng, m.n_states, m.n_actions, mode),
               "mu": random_distribution(rng, m.n_states, exact=mode == "exact", positive=mode != "exact"),
               "seed": (seed, i)}


def _unit_rewards(m, exact):
    """The same MDP with rewards mapped affinely into [0, 1]."""
    if exact:
        r = np.array([[(x + Fraction(3, 2)) / 3 for x in row] for row in m.r], dtype=object)
    else:
        r = np.clip((np.asarray(m.r) + 1.5) / 3.2, 0.0, 1.0)
    return MDP(m.P_dense(), r, m.gamma, m.rho)


def _smoothness_cases(seed, n, mode):
    from ..families import bandit
    from ..policies import LogRational

    exact = mode == "exact"
    lams = (Fraction(1, 10), Fraction(1), Fraction(10), Fraction(10000))
    for i in range(n):
        rng = case_rng(seed, "D4", i)
        if i == 0:
            # one-state loop at gamma = 99/100 near the bandit's inflection point:
            # ||hess V|| ~ 0.19/(1-gamma), the closest the suite gets to the constant
            m = bandit([1, 0], gamma=Fraction(99, 100))
            if not exact:
                m = m.to_float()
            q = LogRational([4, 1]) if exact else np.log([4.0, 1.0])
            lam = lams[1]
        elif i == 1:
            # a barrier-dominated case: gamma = 1/2 (8 gamma/(1-gamma)^3 = 32) and lambda = 10^4
            m = _unit_rewards(random_case_mdp(rng, exact=exact, max_states=3, gamma=Fraction(1, 2)), exact)
            q = _random_q(rng, m.n_states, m.n_actions, mode)
            lam = lams[3]
        else:
            m = _unit_rewards(random_case_mdp(rng, exact=exact, max_states=3), exact)
            q = _random_q(rng, m.n_states, m.n_actions, mode)
            lam = lams[i % len(lams)]
        yield {"mdp": m, "theta": q, "lam": lam, "seed": (seed, i)}


_D1 = register(Statement(
    id="D1", name="softmax_score",
    text="d log pi(a|s) / d theta_{s',a'} = 1[s=s'] (1[a=a'] - pi(a'|s)) for tabular softmax",
    source="AJKS Ch. 10 (softmax score)", check=softmax_score, cases=_score_cases,
    variants={"pi_of_a": "1[a=a'] - pi(a|s) (the wrong action's probability)",
              "no_state_indicator": "the indicator 1[s=s'] dropped"}))
_D2 = register(Statement(
    id="D2", name="softmax_gradient",
    text="dV(mu)/dtheta_{s,a} = (1-gamma)^-1 d_mu^pi(s) pi(a|s) A^pi(s,a) for tabular softmax",
    source="AJKS Lemma 10.2", check=softmax_gradient, cases=_gradient_cases,
    variants={"drop_horizon": "the 1/(1-gamma) factor dropped",
              "mu_for_d": "mu used where d_mu^pi belongs",
              "q_for_advantage": "Q in place of the advantage A"}))
_D4 = register(Statement(
    id="D4", name="softmax_smoothness",
    text="rewards in [0,1], tabular softmax: ||hess V(rho)||_2 <= 8/(1-gamma)^3; the log-barrier objective "
         "L_lambda = V(rho) + lambda/(|S||A|) sum log pi has ||hess L_lambda||_2 <= 8 gamma/(1-gamma)^3 + 2 lambda/|S|",
    source="Agarwal et al. (2021) Lemma D.4; Mei et al. (2020) Lemma 7; AJKS Thm 10.4",
    check=softmax_smoothness, cases=_smoothness_cases,
    variants={"bandit_constant": "beta = 5/2 (the bandit constant, horizon factors dropped)",
              "drop_barrier_term": "beta_lambda without the 2 lambda/|S| term"}))
