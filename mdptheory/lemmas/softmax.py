r"""statement section D: the tabular softmax score, gradient, smoothness and convergence (AJKS Ch. 10).

Tabular softmax :math:`\pi_\theta(a|s) = e^{\theta_{s,a}}/\sum_b e^{\theta_{s,b}}`
(:class:`mdptheory.policies.TabularSoftmax`, parameter index ``s*A + a``).
Exact checks run at :class:`~mdptheory.policies.LogRational` points
:math:`\theta = \log q`, where the policy is ``q`` normalised per state and
every quantity below is rational.

D3, D5, D6 and D7 check the convergence theorems of softmax policy gradient
(plain and log-barrier) at every iterate (:mod:`mdptheory.lemmas.framework.rates`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..mdp import MDP
from ..policies import LogRational, TabularSoftmax
from .framework.prologue import check_variant, new_report
from .framework.rates import _HALF, _NINE, _cases, _fm, _log_slope, _optimum, _rmax, _tol
from .framework.registry import Statement, register
from .framework.routes import (advantage_direct, confirm_ascent_steps, confirm_gradient_norms,
                               confirm_squared_gradient_norms, confirm_visitation, softmax_gradient_direct,
                               values_direct)
from .framework.report import FALSIFIED, UNDECIDED, VERIFIED, float_tolerance
from ..fields import to_fmpq_mat
from .framework.suite import case_rng, random_case_mdp, random_distribution
from .framework.convention import checker_convention

__all__ = [
    "softmax_score",
    "softmax_gradient",
    "softmax_smoothness",
    "exact_softmax_derivative",
    "softmax_pg_monotone",
    "log_barrier_stationarity",
    "log_barrier_corollary",
    "mei_rates",
]


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
@checker_convention(policy="sizes", legacy=("n_states", "n_actions", "theta"))
def softmax_score(n_states, n_actions, theta, *, mode=None, variant=None, seed=None, h=1e-4):
    r"""Check the tabular softmax score (statement D1; AJKS Ch. 10).

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

    Data flow — left: the parameterization's score, and the derivative of the policy values alone; right: the
    closed form built here from :math:`\pi_\theta`; shared: :math:`\theta`.

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
@checker_convention(policy="softmax", legacy=("theta",))
def softmax_gradient(mdp, theta, *, mu=None, mode=None, variant=None, seed=None):
    r"""Check the softmax policy gradient in closed form (statement D2; AJKS Lemma 10.2).

    .. math::

        \frac{\partial V^{\pi_\theta}(\mu)}{\partial\theta_{s,a}}
            = \frac{1}{1-\gamma}\, d_\mu^{\pi_\theta}(s)\,\pi_\theta(a|s)\,A^{\pi_\theta}(s,a).

    Data flow — left: :math:`\nabla V(\mu)` by the forward
    multi-right-hand-side solve of the differentiated Bellman system formed in
    the checker (:func:`mdptheory.lemmas.framework.routes.gradient_direct`:
    Jacobian of :math:`\pi`, own :math:`V`; no visitation, :math:`Q`,
    :math:`A`, score or :func:`~mdptheory.evaluate`); right:
    :func:`mdptheory.evaluate`'s advantage and visitation :math:`d_\mu` (its
    transposed solve); shared: MDP, :math:`\theta`, :math:`\mu`.

    Broken variants: ``"drop_horizon"`` (the :math:`1/(1-\gamma)` dropped),
    ``"mu_for_d"`` (:math:`\mu` where :math:`d_\mu^\pi` belongs),
    ``"q_for_advantage"`` (:math:`Q` in place of :math:`A`).
    """
    from .framework.routes import gradient_direct

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
    lhs = gradient_direct(m, param, th, mu, mode)
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


@checker_convention(policy="softmax", legacy=("theta",))
def softmax_smoothness(mdp, theta, *, lam=Fraction(1), mode=None, variant=None, seed=None):
    r"""Check the smoothness of the softmax value and of the log-barrier objective (statement D4).

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
    system twice), first checked against an independent derivative of the
    gradient: :math:`\nabla^2V(\rho)\,u` for two fixed integer directions
    :math:`u` by forward-mode (jet) differentiation of the forward-solve
    gradient formed in the checker
    (:func:`mdptheory.lemmas.framework.routes.hessian_vector_direct`, run on
    the softmax's :math:`\nabla\pi` and :math:`\nabla^2\pi` in closed form from
    :math:`\pi`, :class:`~mdptheory.lemmas.framework.routes.TabularSoftmaxClosedForm`,
    not on the parameterization's derivative code; exact in
    rationals at exact points) — so a wrong Hessian cannot hide below the
    bound, which sits far above it; the barrier's Hessian
    :math:`\frac{\lambda}{|S||A|}\sum_{s,a}(\nabla^2\pi/\pi - \nabla\log\pi\nabla\log\pi^\top)`
    from the parameterization's ``probs_hessian`` and ``score``, checked
    against its closed form
    :math:`-\frac{\lambda}{|S|}\operatorname{blockdiag}_s(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)`
    built from :math:`\pi`.  Float mode:
    operator norm from the eigenvalues (symmetric), inequality with a
    tolerance of order 3.  Exact mode: certified without floats deciding —
    :math:`\|H\|_2^{2k} \le \operatorname{tr}(H^{2k})` for
    :math:`k = 1` (Frobenius), 2, 4, … proves the bound; an exact Rayleigh
    quotient above :math:`\beta` disproves it; otherwise UNDECIDED.

    The factor :math:`\gamma` in :math:`\beta_\lambda` is taken from AJKS as
    the statement list states it; it cannot hold down to :math:`\gamma = 0` (a one-state
    bandit with small :math:`\lambda` has :math:`\|\nabla^2 L_\lambda\| > 2\lambda/|S|`),
    so the suite uses :math:`\gamma \ge 1/2`, where :math:`8\gamma/(1-\gamma)^3 \ge 32`.

    Data flow — left: :func:`mdptheory.derivatives.value_hessian` (and the barrier term from ``probs_hessian``
    and ``score``); right: the jet of the forward-solve gradient formed here on the closed-form softmax
    derivatives (and the barrier term's closed form from :math:`\pi`), then the bound; shared: MDP,
    :math:`\theta`, :math:`\lambda`.

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
    _hessian_cross_check(rep, m, param, th, HV, mode)
    beta = (one * 5 / 2) if variant == "bandit_constant" else 8 * one / (one - g) ** 3
    beta_lam = 8 * g / (one - g) ** 3 + (0 if variant == "drop_barrier_term" else 2 * lam / S)
    # barrier Hessian: lam/(S A) sum_{s,a} (hess pi / pi - score score^T), confirmed against its closed form
    n = S * A
    HB = _barrier_hessian(param, th, lam)
    _barrier_cross_check(rep, m, param.probs(th), HB, lam, mode)
    HL = HV + HB
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


def _barrier_cross_check(rep, m, pi, HB, lam, mode):
    r"""D4: the barrier Hessian against its closed form from :math:`\pi`.

    For the tabular softmax :math:`\nabla^2\log\pi(a|s) = -(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)`
    on the block of state :math:`s` for every :math:`a`, so
    :math:`\frac{\lambda}{|S||A|}\sum_{s,a}\nabla^2\log\pi(a|s)
    = -\frac{\lambda}{|S|}\operatorname{blockdiag}_s(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)`.
    Float tolerance of order 0 (no solve), magnitude :math:`\lambda n`.
    """
    S, A = pi.shape
    exact = mode == "exact"
    closed = np.full((S * A, S * A), Fraction(0), dtype=object) if exact else np.zeros((S * A, S * A))
    for s in range(S):
        blk = -np.outer(pi[s], pi[s])
        for a in range(A):
            blk[a, a] = blk[a, a] + pi[s, a]
        closed[s * A:(s + 1) * A, s * A:(s + 1) * A] = -(lam / S) * blk
    tol = None
    if not exact:
        tol, _ = float_tolerance(m, float(lam) * S * A, order=0)
    rep.identity("barrier Hessian (probs_hessian / pi - score score^T) = -(lambda/|S|) blockdiag(diag pi_s - "
                 "pi_s pi_s^T) (closed form)", HB, closed, tol=tol)


def _hessian_cross_check(rep, m, param, th, HV, mode):
    """D4: value_hessian times two fixed directions against the jet of the forward-solve gradient."""
    from .framework.routes import TabularSoftmaxClosedForm, hessian_vector_direct

    n = param.n_params
    for k, u in enumerate((np.array([(i % 3) - 1 for i in range(n)]), np.array([((2 * i + 1) % 5) - 2
                                                                                  for i in range(n)]))):
        if not u.any():
            continue
        uu = np.array([Fraction(int(x)) for x in u], dtype=object) if mode == "exact" else u.astype(float)
        lhs = np.asarray(HV, dtype=object if mode == "exact" else float) @ uu
        # the jet runs on the closed-form softmax derivatives formed from pi: it shares neither the
        # parameterization's Jacobian nor its probs_hessian with value_hessian
        rhs = hessian_vector_direct(m, TabularSoftmaxClosedForm(m.n_states, m.n_actions), th, m.rho, uu, mode)
        tol = None
        if mode != "exact":
            mag = max(float(np.max(np.abs(np.asarray(HV, dtype=float)))) * float(np.sum(np.abs(u))), 1.0)
            tol, _ = float_tolerance(m, mag, order=3)
        rep.identity(f"value_hessian u = d/de grad V(theta + e u) (jet of the forward-solve gradient), u no. {k + 1}",
                     lhs, rhs, tol=tol)


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
            m = _unit_rewards(random_case_mdp(rng, exact=exact, max_states=3, gamma=Fraction(1, 2), min_states=2),
                              exact)
            q = _random_q(rng, m.n_states, m.n_actions, mode)
            lam = lams[3]
        else:
            # at least two states: the Hessian's cross-check then exercises the visitation of the solve
            m = _unit_rewards(random_case_mdp(rng, exact=exact, max_states=3, min_states=2), exact)
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


# ------------------------------------------------------------------ convergence
def _grad_sq_norm(mdp, theta, mu, mode):
    """||grad_theta V(mu)||^2 for the tabular softmax by implicit differentiation (exact or float)."""
    from ..gradients import value_gradient

    param = TabularSoftmax(mdp.n_states, mdp.n_actions)
    g = value_gradient(mdp, param, theta, mu=mu, mode=mode)
    if mode == "exact":
        return sum((x * x for x in g), Fraction(0))
    g = np.asarray(g, dtype=float)
    return float(g @ g)


@checker_convention()
def softmax_pg_monotone(mdp, *, T=30, mode=None, variant=None, seed=None):
    r"""Softmax policy gradient improves monotonically (AJKS Thm 10.3; statement D3).

    With :math:`\mu > 0` and :math:`\eta = (1-\gamma)^3/8 = 1/\beta`, at every step

    .. math::

        V^{(t+1)}(\mu) - V^{(t)}(\mu) \ \ge\ \frac{\eta}{2}\,\|\nabla_\theta V^{(t)}(\mu)\|_2^2 \ \ge 0,

    the ascent lemma for a :math:`\beta`-smooth function that the proof of
    Thm 10.3 rests on (it implies monotone improvement), and the gap
    :math:`V^\star(\mu) - V^{(t)}(\mu)` shrinks at every step.  The theorem's
    conclusion :math:`V^{(t)}\to V^\star` is asymptotic; ``details`` reports the
    measured slope of :math:`\log\text{gap}_t`.  Independent routes: values
    from the run's evaluations; gradient norms recomputed by implicit
    differentiation at each recorded :math:`\theta^{(t)}`; the run itself is
    confirmed step by step — :math:`\theta_{t+1} - \theta_t = \eta\nabla V_t(\mu)`
    and the recorded :math:`V_t(\mu)` against the gradient (forward solve,
    closed-form softmax Jacobian) and values formed in the checker
    (:func:`mdptheory.lemmas.framework.routes.confirm_ascent_steps`), so an
    algorithm that steps along a wrong advantage or visitation is FALSIFIED.

    Data flow — left: the run's values; right: the gradient norms at the run's iterates by the library
    (confirmed against the forward-solve gradient formed here); the run's steps and values confirmed against
    the gradient and values formed here; shared: MDP.

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
    confirm_gradient_norms(rep, m, TabularSoftmax(m.n_states, m.n_actions), res.thetas[:-1], m.rho, np.sqrt(g2),
                           what="||grad V_t(mu)|| (library value_gradient at the run's iterates)")
    confirm_ascent_steps(rep, m, res.thetas, m.rho, eta, values=v)
    c = 0.5 if variant != "ascent_constant_2" else 2.0
    tol = _tol(rep, m, _rmax(m) / (1 - float(m.gamma)), order=2)
    rep.inequality("(eta/2) ||grad V_t(mu)||^2 <= V_{t+1}(mu) - V_t(mu) for every t", c * eta * g2,
                   v[1:] - v[:-1], tol=tol)
    gaps = res.float_gaps()
    rep.inequality("gap_{t+1} <= gap_t (V* - V_t at mu = rho)", gaps[1:], gaps[:-1], tol=tol)
    rep.details = {"eta": eta, "gaps": gaps.tolist(), "measured_log_gap_slope": _log_slope(gaps),
                   "theoretical_rate": "asymptotic convergence (Thm 10.3); O(1/t) in Mei et al. (D7)"}
    return rep


def _lb_run(m, lam, *, T, theta0=None, gtol=None, eta=None):
    from ..algorithms import log_barrier_policy_gradient

    return log_barrier_policy_gradient(m, lam=lam, T=T, mu=m.rho, rho=m.rho, gtol=gtol, theta0=theta0, eta=eta)


def _d_star_ratio(m, sol, rho, mu, rep=None):
    """||d_rho^{pi*} / mu||_inf (the visitation confirmed by forward solves in ``rep`` when given)."""
    pi_star = np.asarray(sol.pi, dtype=float)
    d = evaluate(m, pi_star).visitation(rho)
    if rep is not None:
        confirm_visitation(rep, m, pi_star, rho, d, "float", what="d_rho^pi* in the bound")
    return float(np.max(d / mu))


@checker_convention()
def log_barrier_stationarity(mdp, *, lam=0.3, T=3000, mode=None, variant=None, seed=None):
    r"""Approximate stationary points of the log-barrier objective are near-optimal (AJKS Thm 10.4; statement D5).

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
    Independent routes: the run's steps and recorded values are confirmed
    against the gradient of :math:`L_\lambda` and the values formed in the
    checker (:func:`mdptheory.lemmas.framework.routes.confirm_ascent_steps`),
    the stationarity hypothesis is decided on :math:`\|\nabla L_\lambda\|`
    formed here at the final parameter, and the advantages and values of the
    stationary policy come from the checker's own solves
    (:func:`~mdptheory.lemmas.framework.routes.advantage_direct`,
    :func:`~mdptheory.lemmas.framework.routes.values_direct`);
    :math:`V^\star`, :math:`d_\rho^{\pi^\star}` from exact policy iteration.

    Data flow — left: the stationary policy of the run, its advantages and values by solves formed here;
    right: :math:`V^*` of exact policy iteration and :math:`d_\rho^{\pi^*}` (confirmed by forward solves
    formed here); shared: MDP, :math:`\lambda`.

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

    eta = 4.0 / log_barrier_beta(m.gamma, lam, S)
    res = _lb_run(m, lam, T=T, gtol=eps_opt, eta=eta)
    tol = _tol(rep, m, _rmax(m) / (1 - float(m.gamma)), order=2)
    # the run is only a way to find a stationary point: its steps are confirmed against the gradient of
    # L formed here, and the hypothesis is decided on the gradient formed here at the final parameter
    confirm_ascent_steps(rep, m, res.thetas, mu, eta, lam=lam, values=res.extras["value_mu"],
                         what="log-barrier gradient ascent")
    theta_f = np.asarray(res.thetas[-1], dtype=float)
    pi = TabularSoftmax(S, A).probs(theta_f)
    grad_L = (np.asarray(softmax_gradient_direct(m, theta_f, mu, "float"), dtype=float)
              + (lam / S) * (1.0 / A - pi).reshape(-1))
    gnorm = float(np.linalg.norm(grad_L))
    rep.identity("log-barrier gradient ascent: recorded final ||grad L|| = ||grad L|| formed here",
                 np.array([res.extras["final_grad_norm"][-1]]), np.array([gnorm]), tol=tol)
    if gnorm > eps_opt:
        rep.claim("reach ||grad L|| <= lambda/(2|S||A|)", "UNDECIDED",
                  f"gradient norm {gnorm:.3e} > {eps_opt:.3e} after {res.n_iter} iterations")
        return rep
    Adv = advantage_direct(m, pi, "float")
    V_pi = values_direct(m, pi, "float")
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
        ratio = _d_star_ratio(m, sol, rho, mu, rep)
        lhs.append(float(rho @ (Vs - V_pi)))
        rhs.append(2 * lam_b / (1 - float(m.gamma)) * ratio)
    rep.inequality("V*(rho) - V(rho) <= 2 lambda/(1-gamma) ||d_rho^{pi*}/mu||_inf (rho = e_s, mu)",
                   np.array(lhs), np.array(rhs), tol=tol)
    rep.details = {"iterations": res.n_iter, "grad_norm": gnorm, "eps_opt": eps_opt,
                   "gap_over_bound": (np.array(lhs) / np.array(rhs)).tolist()}
    return rep


@checker_convention()
def log_barrier_corollary(mdp, *, eps=0.5, T=150, mode=None, variant=None, seed=None):
    r"""What is checkable of AJKS Cor. 10.5 (statement D6) along a feasible run.

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

    The run's steps :math:`\theta_{t+1} - \theta_t = \eta\nabla L_\lambda(\theta_t)`,
    its recorded values and gradient norms are confirmed against the gradient
    and values formed in the checker
    (:func:`mdptheory.lemmas.framework.routes.confirm_ascent_steps`).

    Data flow — left: the run's objective values and gradient norms (its steps, values and norms confirmed
    against the gradient and values formed here); right: :math:`V^*` of exact policy iteration and
    :math:`d_\rho^{\pi^*}` in :math:`\lambda` (confirmed by forward solves formed here); shared: MDP,
    :math:`\epsilon`.

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
    rep = new_report(stmt, "float", {"mdp": m, "eps": eps, "T": T, "seed": seed}, variant)
    ratio = _d_star_ratio(m, sol, rho, mu, rep)
    g = float(m.gamma)
    lam = eps * (1 - g) / (2 * ratio)
    beta = log_barrier_beta(g, lam, S)
    theta0 = None if variant != "theta0_nonzero" else 8.0 * np.asarray(sol.pi, dtype=float).reshape(-1)
    res = _lb_run(m, lam, T=T, theta0=theta0)
    # the proof steps concern log-barrier gradient ascent: its steps, recorded values and gradient norms
    # are confirmed against the gradient of L and the values formed here
    confirm_ascent_steps(rep, m, res.thetas, mu, 1.0 / beta, lam=lam, values=res.extras["value_mu"],
                         grad_norms=res.grad_norms, what="log-barrier gradient ascent")
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


# ------------------------------------------------------------------ D7: entropy-regularised identity
def _soft_optimal_values(m, tau, *, tol=8 * np.finfo(float).eps, max_iter=5000):
    r"""Float :math:`\tilde V^\star` by soft value iteration, with the certified bound of its error.

    :math:`\tilde V \leftarrow \tau\log\sum_a\exp\big((r + \gamma P\tilde V)/\tau\big)`, a
    :math:`\gamma`-contraction: :math:`\|v_k - \tilde V^\star\|_\infty \le
    \gamma\|v_k - v_{k-1}\|_\infty/(1-\gamma)` (plus rounding).
    """
    P = np.asarray(m.P_dense(), dtype=float)
    r = np.asarray(m.r, dtype=float)
    g, t = float(m.gamma), float(tau)
    v = np.zeros(m.n_states)
    step = np.inf
    for _ in range(max_iter):
        Q = r + g * P @ v
        mx = Q.max(axis=1)
        v_new = mx + t * np.log(np.exp((Q - mx[:, None]) / t).sum(axis=1))
        step = float(np.max(np.abs(v_new - v)))
        v = v_new
        if step <= tol * (1 + float(np.max(np.abs(v)))):
            break
    return v, g * step / (1 - g)


def _soft_identity(rep, m, pi, tau, rho, d, mode, *, variant=None, prec=128):
    r"""Mei et al.'s soft sub-optimality identity at the policy ``pi`` (rational in exact mode).

    .. math::

        \tilde V^{\pi^\star_\tau}(\rho) - \tilde V^{\pi}(\rho)
          = \frac{\tau}{1-\gamma}\sum_s d_\rho^{\pi}(s)\,
            \mathrm{KL}\big(\pi(\cdot|s)\,\|\,\pi^\star_\tau(\cdot|s)\big),
        \qquad \tilde V^\pi = (I-\gamma P^\pi)^{-1}\Big(r^\pi - \tau\sum_a\pi\log\pi\Big).

    Left: :math:`\tilde V^\star` by soft value iteration and
    :math:`\tilde V^\pi` by the checker's own solve of :math:`I-\gamma P^\pi`;
    right: the library's visitation ``d`` of ``rho`` (its transposed solve) and the KL
    to the soft-optimal policy :math:`\pi^\star_\tau \propto \exp(\tilde Q^\star/\tau)`.
    Exact mode: both sides in certified arb balls (``prec`` bits) from the
    exact MDP, the rational policy and :math:`\tau`; :math:`\tilde V^\star` is
    enclosed by :math:`\|T v - v\|/(1-\gamma)` around a midpoint iterate
    refined in arb, so the check is VERIFIED when the certified difference
    contains 0 with a radius below :math:`10^{-20}`, FALSIFIED when it excludes 0.
    """
    from .framework.routes import system_matrix

    S, A = m.n_states, m.n_actions
    horizon_factor = 1 if variant == "soft_drop_horizon" else None
    part = (f"entropy-regularised (tau = {tau}): Vsoft*(rho) - Vsoft^pi(rho) = tau/(1-gamma) sum_s d_rho^pi(s) "
            "KL(pi_s || pi*_tau,s)")
    if mode != "exact":
        pi = np.asarray(pi, dtype=float)
        t, g = float(tau), float(m.gamma)
        v_star, err = _soft_optimal_values(m, t)
        P = np.asarray(m.P_dense(), dtype=float)
        r = np.asarray(m.r, dtype=float)
        Q = r + g * P @ v_star
        logpi_star = (Q - v_star[:, None]) / t
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1.0)), 0.0)
            kl = (plogp - np.where(pi > 0, pi * logpi_star, 0.0)).sum(axis=1)
        M = system_matrix(m, pi, "float")
        v_pi = np.linalg.solve(M, (pi * r).sum(axis=1) - t * plogp.sum(axis=1))
        lhs = float(np.asarray(rho, dtype=float) @ (v_star - v_pi))
        fac = 1.0 if horizon_factor else 1.0 / (1 - g)
        rhs = t * fac * float(np.asarray(d, dtype=float) @ kl)
        mag = (float(np.max(np.abs(r))) + t * np.log(max(A, 2))) / (1 - g) + 1.0
        rnd, _ = float_tolerance(m, mag, order=2)
        tol = rnd + err * (1 + 2 * g / (1 - g))
        rep.identity(part, np.array([lhs]), np.array([rhs]), tol=tol)
        return lhs, rhs
    from flint import arb, arb_mat, ctx, fmpq

    old = ctx.prec
    ctx.prec = prec
    try:
        q = lambda x: fmpq(Fraction(x).numerator, Fraction(x).denominator)  # noqa: E731
        g, t = q(m.gamma), q(tau)
        P = np.asarray(m.P_dense(), dtype=object)
        r = np.asarray(m.r, dtype=object)
        v_f, _ = _soft_optimal_values(m.to_float(), float(tau))
        v = [arb(float(x)) for x in v_f]

        def T(vv):
            out = []
            for s in range(S):
                Qs = [arb(q(r[s, a])) + arb(g) * sum((arb(q(P[s, a, s2])) * vv[s2] for s2 in range(S)
                                                      if P[s, a, s2] != 0), arb(0)) for a in range(A)]
                mx = max(Qs, key=lambda x: float(x.mid()))
                out.append(mx + arb(t) * sum(((Qa - mx) / arb(t)).exp() for Qa in Qs).log())
            return out

        gf = float(m.gamma)
        # from the float fixed point (about 1e-15) to about 1e-27: the enclosure radius stays below 1e-20
        for _ in range(int(np.ceil(12 * np.log(10) / -np.log(gf))) + 5 if gf > 0 else 2):
            v = [x.mid() for x in T(v)]
            v = [arb(x) for x in v]
        Tv = T(v)
        delta = max(float(abs(a - b).upper()) for a, b in zip(Tv, v))
        rad = arb(0, delta / (1 - gf) * (1 + 1e-9))
        v_star = [x + rad for x in v]
        logpi_star = []
        for s in range(S):
            Qs = [arb(q(r[s, a])) + arb(g) * sum((arb(q(P[s, a, s2])) * v_star[s2] for s2 in range(S)
                                                  if P[s, a, s2] != 0), arb(0)) for a in range(A)]
            lse = arb(t) * sum((Qa / arb(t)).exp() for Qa in Qs).log()
            logpi_star.append([(Qa - lse) / arb(t) for Qa in Qs])
        pi = np.asarray(pi, dtype=object)
        kl, h = [], []
        for s in range(S):
            ks, hs = arb(0), arb(0)
            for a in range(A):
                p = Fraction(pi[s, a])
                if p != 0:
                    lp = arb(q(p)).log()
                    hs += arb(q(p)) * lp
                    ks += arb(q(p)) * (lp - logpi_star[s][a])
            kl.append(ks)
            h.append(hs)
        Mq = to_fmpq_mat(system_matrix(m, pi, "exact"))
        Minv = arb_mat(Mq.inv())
        rhs_vec = arb_mat(S, 1, [arb(q(sum((Fraction(pi[s, a]) * r[s, a] for a in range(A)), Fraction(0))))
                                 - arb(t) * h[s] for s in range(S)])
        v_pi = Minv * rhs_vec
        lhs = sum((arb(q(rho[s])) * (v_star[s] - v_pi[s, 0]) for s in range(S)), arb(0))
        fac = arb(1) if horizon_factor else arb(1) / (1 - arb(g))
        rhs = arb(t) * fac * sum((arb(q(d[s])) * kl[s] for s in range(S)), arb(0))
        diff = lhs - rhs
    finally:
        ctx.prec = old
    if diff.contains(0) and float(diff.rad()) < 1e-20:
        verdict, why = VERIFIED, f"certified difference {diff} contains 0 (radius below 1e-20)"
    elif not diff.contains(0):
        verdict, why = FALSIFIED, f"certified difference {diff} excludes 0"
    else:
        verdict, why = UNDECIDED, f"certified difference {diff} contains 0 but is wide"
    rep.claim(part + " (certified arb balls)", verdict, why, difference=str(diff))
    return float(lhs.mid()), float(rhs.mid())


@checker_convention()
def mei_rates(mdp, *, eps_bandit, skew, T=40, mode=None, variant=None, seed=None):
    r"""Softmax policy gradient rates of Mei et al. (2020) (statement D7; partly unconfirmed).

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
       identity, exact in exact mode; the formula of statement D7 agrees with the
       direct computation :math:`\partial_a V = \pi_a(r_a - V)`).

    4. the entropy-regularised soft sub-optimality identity (Mei et al. 2020,
       Lemma 26) at the skewed policy, :math:`\tau = 1/2`, :math:`\rho` uniform:

       .. math::

           \tilde V^{\pi^\star_\tau}(\rho) - \tilde V^{\pi}(\rho)
             = \frac{\tau}{1-\gamma}\sum_s d_\rho^{\pi}(s)\,
               \mathrm{KL}\big(\pi(\cdot|s)\,\|\,\pi^\star_\tau(\cdot|s)\big)

       (float: soft value iteration with its certified error in the
       tolerance; exact: certified arb balls at the rational policy, see
       :func:`_soft_identity`).

    The constants of items 1 and 2 are taken from statement D7, which marks them as
    not confirmed in the primary source.  :math:`V^\star`, :math:`a^\star` by
    exact policy iteration.  Data flow — item 3: left, the closed form; right,
    :func:`mdptheory.gradients.value_gradient`; item 4: left,
    :math:`\tilde V^\star` by soft value iteration and :math:`\tilde V^\pi` by
    the checker's own solve; right, :func:`mdptheory.evaluate`'s visitation
    and the KL to :math:`\pi^\star_\tau`; items 1, 2: inequalities between
    library quantities (gradients, visitations, values), the library gradient
    norms confirmed at every point against the forward solve with the
    closed-form softmax Jacobian formed here
    (:func:`mdptheory.lemmas.framework.routes.confirm_squared_gradient_norms`),
    and the run's steps and recorded values against the gradient and values
    formed here (:func:`~mdptheory.lemmas.framework.routes.confirm_ascent_steps`);
    shared: MDP and the policy points.

    Broken variants: ``"no_pi_star_factor"``, the Łojasiewicz inequality without
    the factor :math:`\min_s\pi(a^\star(s)|s)` (false at skewed policies — the
    reason plateaus exist); ``"soft_drop_horizon"``, the soft identity without
    its :math:`1/(1-\gamma)`.
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
    confirm_squared_gradient_norms(rep, bm, [theta_b], bm.rho, [g2], mode,
                                   what="bandit: ||grad V||^2 (library value_gradient)")
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
        # the rate concerns softmax policy gradient: its steps and recorded values are confirmed against
        # the gradient and values formed here
        confirm_ascent_steps(rep, m, res.thetas, mu, (1.0 - float(m.gamma)) ** 3 / 8.0,
                             values=res.extras["value_mu"])
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
    g2s = []
    for p in points:
        g2p, c, ratio, gap = _lojasiewicz_sides(m, p, sol, rho, mu, mode)
        g2s.append(g2p)
        cc = c if variant != "no_pi_star_factor" else one
        lo.append(cc * cc * gap * gap * (1 if gap >= 0 else -1))
        hi.append(g2p * S * ratio * ratio)
    rep.inequality("Lojasiewicz (squared): (min_s pi(a*|s))^2 gap^2 <= S ||d*_rho/d_mu||^2 ||grad V(mu)||^2",
                   np.array(lo, dtype=object if exact else float), np.array(hi, dtype=object if exact else float),
                   tol=None if exact else tol * (1 + float(max(hi))))
    # the gradient norms of the inequality come from the library (adjoint weights, Bellman coefficients):
    # confirmed against the forward solve with the closed-form softmax Jacobian at every point
    confirm_squared_gradient_norms(rep, m, points, mu, g2s, mode,
                                   what="Lojasiewicz: ||grad V(mu)||^2 (library value_gradient) at every point")
    # --- entropy-regularised soft sub-optimality identity (tau = 1/2) at the skewed policy
    tau = Fraction(1, 2) if exact else 0.5
    pi_skew = TabularSoftmax(S, A).probs(th)
    d_lib = evaluate(m, pi_skew, mode=mode).visitation(rho)
    details["soft_identity"] = _soft_identity(rep, m, pi_skew, tau, rho, d_lib, mode, variant=variant)
    rep.details = details
    return rep


def _d7_extra(rng, mdp, exact, i):
    k = int(rng.integers(5, 40))
    return {"eps_bandit": Fraction(1, k) if exact else 1.0 / k,
            "skew": Fraction(int(rng.integers(20, 200))) if exact else float(rng.integers(20, 200))}


# --------------------------------------------------- registration (convergence)
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
         "min_s pi(a*|s)/(sqrt(S) ||d*_rho/d_mu||) gap(rho); bandit r = (5,4,4): ||grad|| = eps sqrt(6-24eps+32eps^2); "
         "soft (tau = 1/2): Vsoft*(rho) - Vsoft^pi(rho) = tau/(1-gamma) sum_s d_rho^pi(s) KL(pi_s || pi*_tau,s)",
    source="Mei et al. (2020) Thm 4, Lemma 8, remark and Lemma 26 (constants unconfirmed)", check=mei_rates,
    cases=_cases("D7", gammas=(_HALF, _NINE), max_states=3, extra=_d7_extra), modes=("float", "exact"),
    variants={"no_pi_star_factor": "Lojasiewicz inequality without min_s pi(a*(s)|s)",
              "soft_drop_horizon": "the soft sub-optimality identity without its 1/(1-gamma)"}, cost=3.0))
