r"""statement section B: policy-gradient expressions and the rate of gradient ascent (AJKS Ch. 9).

B1 (policy gradient theorem), B2 (baselines), B3 (REINFORCE with reward to
go) compare the derivative of the Bellman linear system (implicit
differentiation, :func:`mdptheory.gradients.value_gradient`, which uses
neither Q, nor A, nor the score) with the lecture's expressions.  The
REINFORCE forms have an infinite sum; they are checked on the horizon-``T``
truncation by exact enumeration of trajectories
(:mod:`mdptheory.trajectories`), against the derivative of the truncated value
:math:`\nabla V_T` computed by differentiating the finite sum.  Monte Carlo
REINFORCE is checked statistically (B1mc–B3mc): the exact truncated gradient
must lie in Bonferroni-corrected confidence intervals of the sampled estimator
(:mod:`mdptheory.lemmas.framework.sampling`).

B4 and B5 are the named non-concavity witnesses, checked exactly
(:func:`mdptheory.families.nonconcave_tree`,
:func:`mdptheory.families.bandit_mei`).  B6 checks the rate of softmax gradient
ascent at every iterate (:mod:`mdptheory.lemmas.framework.rates`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..estimators import reinforce_samples
from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..mdp import MDP
from ..policies import Direct, LogRational, TabularSoftmax
from ..trajectories import truncated_value_gradient
from .framework.prologue import check_variant, new_report, resolve_mode
from .framework.rates import _HALF, _NINE, _cases, _fm, _optimum, _rmax, _tol
from .framework.registry import Statement, register
from .framework.report import float_tolerance
from .framework.sampling import MC_CONFIDENCE, _ci_verdict
from .framework.suite import GAMMAS, case_rng, random_case_mdp, random_distribution
from .framework.convention import checker_convention

__all__ = [
    "policy_gradient_theorem",
    "baselines",
    "reinforce_reward_to_go",
    "nonconcavity_tree",
    "bandit_nonconcavity",
    "reinforce_monte_carlo",
    "baseline_monte_carlo",
    "reward_to_go_monte_carlo",
    "MC_CONFIDENCE",
    "gradient_ascent_rate",
]


def _log_rational_or_float(q, mode):
    """The softmax point theta = log q: a LogRational (exact) or float log q."""
    from ..policies import LogRational

    lr = LogRational(q)
    return lr if mode == "exact" else lr.to_float()


def _value_at(mdp, param, theta, mode):
    pi = param.probs(theta)
    ev = evaluate(mdp if mode == "exact" else mdp.to_float(), pi, mode=mode)
    return ev.value(), pi


def _setup(mdp, param_kind, theta, mu, mode):
    """Mode, MDP in the field, parameterization, point and start distribution of a B1-B3 case."""
    from ..policies import Direct, LogRational, TabularSoftmax

    if param_kind not in ("softmax", "direct"):
        raise InvalidParameterError(f"param must be 'softmax' or 'direct'; got {param_kind!r}")
    S, A = mdp.n_states, mdp.n_actions
    param = TabularSoftmax(S, A) if param_kind == "softmax" else Direct(S, A)
    exact_point = isinstance(theta, LogRational) or (
        param_kind == "direct" and np.asarray(theta).dtype == object)
    if mode is None:
        mode = "exact" if (mdp.is_exact and exact_point) else "float"
    if mode not in ("exact", "float"):
        raise InvalidParameterError(f"mode must be 'float' or 'exact'; got {mode!r}")
    if mode == "exact" and not (mdp.is_exact and exact_point):
        raise InvalidParameterError("mode='exact' needs an exact MDP and an exact point (LogRational for softmax, "
                                    "rational theta for direct)")
    m = mdp if mode == "exact" else mdp.to_float()
    th = theta if mode == "exact" else param.float_theta(theta)
    if mu is None:
        mu = m.rho
    mu = np.asarray(mu, dtype=object if mode == "exact" else float)
    return mode, m, param, th, mu


def _grad_tol(rep, m, mode, T=None):
    if mode == "exact":
        rep.tolerance_rule = "none: exact rationals"
        return None
    rmax = float(np.max(np.abs(m.r))) if m.r.size else 0.0
    tol, rule = float_tolerance(m, rmax / (1 - float(m.gamma)) + 1.0, order=2)
    rep.tolerance_rule = rule
    return tol


def _trunc_tol(rep, m, mode, prm, th, T):
    r"""Float tolerance of the truncated-horizon (REINFORCE) parts: no linear solve.

    :func:`~mdptheory.lemmas.framework.report.float_tolerance` with order 0
    and magnitude :math:`m = T\cdot T r_{\max}\cdot\max|\nabla\log\pi|`
    (the sum of :math:`T` scores times a truncated return, :math:`|R_T| \le T r_{\max}`),
    added to the report's rule.
    """
    if mode == "exact":
        return None
    rmax = float(np.max(np.abs(m.r))) if m.r.size else 0.0
    smax = float(np.max(np.abs(np.asarray(prm.score(th), dtype=float)))) if m.r.size else 0.0
    tol, rule = float_tolerance(m, T * T * rmax * max(smax, 1.0) + 1.0, order=0)
    rep.tolerance_rule = (rep.tolerance_rule + "; " if rep.tolerance_rule else "") + \
        f"truncated-horizon parts (no solve): {rule}"
    return tol


def _score_expectation(param, th, pi, weights):
    """sum_{s,a} weights[s, a] pi(a|s) score(s, a, :), from the parameterization's score."""
    return np.einsum("sai,sa->i", param.score(th), weights * pi)


# --------------------------------------------------------------------- B1
@checker_convention(policy="name", legacy=("theta",))
def policy_gradient_theorem(mdp, theta, *, param="softmax", mu=None, T=3, mode=None, variant=None, seed=None):
    r"""Check the policy gradient theorem in its three forms (statement B1; AJKS Thm 9.4).

    .. math::

        \nabla V(\mu) &= \frac{1}{1-\gamma}\mathbb E_{s\sim d_\mu^\pi}\mathbb E_{a\sim\pi}
            [Q^\pi(s,a)\nabla\log\pi(a|s)]
          = \frac{1}{1-\gamma}\mathbb E_{s\sim d_\mu^\pi}\mathbb E_{a\sim\pi}
            [A^\pi(s,a)\nabla\log\pi(a|s)], \\
        \nabla V_T(\mu) &= \mathbb E\Big[R_T\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big],
            \qquad R_T = \sum_{t<T}\gamma^t r(s_t,a_t).

    Data flow (theorem forms) — left: :math:`\nabla V(\mu)` by the forward
    multi-right-hand-side solve of the differentiated Bellman system
    :math:`\mu^\top(I-\gamma P^\pi)^{-1}(\partial r^\pi + \gamma(\partial P^\pi)V)`,
    with :math:`V` and the system formed in the checker from the MDP's arrays
    (:func:`mdptheory.lemmas.framework.routes.gradient_direct`: Jacobian of
    :math:`\pi`, no score, no Q, no visitation, no :func:`~mdptheory.evaluate`);
    right: :func:`mdptheory.evaluate`'s Q, A and visitation :math:`d_\mu`
    (its transposed solve) with the parameterization's score; shared: MDP,
    :math:`\theta`, :math:`\mu`.  A wrong visitation (:math:`\rho` for
    :math:`d`, :math:`d` without its :math:`1-\gamma`, the forward for the
    transposed solve) therefore changes the verdict.

    Data flow (REINFORCE) — left: literal enumeration of every trajectory
    (:func:`mdptheory.trajectories.pg_reinforce_truncated`,
    ``method="enumerate"``); right: the derivative of the finite sum
    :func:`~mdptheory.trajectories.truncated_value_gradient`; shared: MDP,
    :math:`\theta`, :math:`\mu`, ``T``.  The infinite sum is checked on its
    horizon-``T`` truncation.  No linear solve is involved, so the float
    tolerance has order 0 and magnitude :math:`T^2 r_{\max}\max|\nabla\log\pi|`
    (:func:`_trunc_tol`).

    ``param`` is ``"softmax"`` (exact at :class:`~mdptheory.policies.LogRational`
    points) or ``"direct"`` (exact at rational points; interior points, so the
    score exists).

    Broken variants: ``"drop_horizon"`` (the :math:`1/(1-\gamma)` dropped in
    the Q and advantage forms), ``"mu_for_d"`` (:math:`\mu` where
    :math:`d_\mu^\pi` belongs), ``"reinforce_off_by_one"`` (REINFORCE over
    :math:`T` steps compared with :math:`\nabla V_{T+1}`).
    """
    from ..trajectories import pg_reinforce_truncated, truncated_value_gradient
    from .framework.routes import gradient_direct

    stmt = _B1
    check_variant(variant, stmt.variants)
    mode, m, prm, th, mu = _setup(mdp, param, theta, mu, mode)
    rep = new_report(stmt, mode, {"mdp": m, "param": param, "theta": theta, "mu": mu, "T": T, "seed": seed},
                     variant)
    one = Fraction(1) if mode == "exact" else 1.0
    g = m.gamma
    pi = prm.probs(th)
    ev = evaluate(m, pi, mode=mode)
    d = mu if variant == "mu_for_d" else ev.visitation(mu)
    horizon = one if variant == "drop_horizon" else one / (one - g)
    tol = _grad_tol(rep, m, mode)
    grad = gradient_direct(m, prm, th, mu, mode)
    q_form = horizon * _score_expectation(prm, th, pi, d[:, None] * ev.Q)
    a_form = horizon * _score_expectation(prm, th, pi, d[:, None] * ev.advantage)
    rep.identity("grad V(mu) (implicit differentiation) = (1-gamma)^-1 E_d E_pi[Q grad log pi]", grad, q_form,
                 tol=tol)
    rep.identity("grad V(mu) (implicit differentiation) = (1-gamma)^-1 E_d E_pi[A grad log pi]", grad, a_form,
                 tol=tol)
    T = int(T)
    reinf = pg_reinforce_truncated(m, prm, th, T, mu=mu, estimator="total", method="enumerate", mode=mode)
    T_ref = T + 1 if variant == "reinforce_off_by_one" else T
    gT = truncated_value_gradient(m, prm, th, T_ref, mu=mu, mode=mode)
    rep.identity(f"E[R_T sum_t grad log pi(a_t|s_t)] (enumeration) = grad V_T (finite sum), T = {T}", reinf, gT,
                 tol=_trunc_tol(rep, m, mode, prm, th, T))
    rep.details = {"gradient": grad, "q_form": q_form, "advantage_form": a_form, "reinforce_T": reinf,
                   "grad_V_T": gT}
    return rep


class _UnconstrainedDirect:
    r"""The unconstrained direct parameterization :math:`\pi(a|s) = \theta_{s,a}` for *all* actions.

    A deliberately wrong model of Lemma 9.9 (broken variant of B2): its score
    :math:`\partial\log\pi(a|s)/\partial\theta_{s,b} = \mathbf 1[a=b]/\pi(a|s)` has
    :math:`\mathbb E_{a\sim\pi}[\nabla\log\pi] = \mathbf 1_{\text{block } s} \ne 0`, because
    :math:`\sum_a\theta_{s,a}` is not held at 1.
    """

    def __new__(cls, S, A):
        from ..policies.base import Parameterization

        class UnconstrainedDirect(Parameterization):
            affine = True
            accepts_rational = True

            def __init__(self):
                self.n_states, self.n_actions, self.n_params = S, A, S * A

            def _th(self, theta):
                th, kind = self.check_theta(theta)
                return th, kind == "exact"

            def probs(self, theta):
                th, _ = self._th(theta)
                return th.reshape(S, A).copy()

            def log_probs(self, theta):
                return np.log(np.asarray(self.probs(theta), dtype=float))

            def jacobian(self, theta):
                th, exact = self._th(theta)
                J = np.eye(S * A, dtype=int)
                J = J.astype(object) * Fraction(1) if exact else J.astype(float)
                return J.reshape(S, A, S * A)

            def score(self, theta):
                pi = self.probs(theta)
                return self.jacobian(theta) / pi[:, :, None]

            def probs_hessian(self, theta):
                th, exact = self._th(theta)
                z = np.zeros((S, A, S * A, S * A), dtype=object if exact else float)
                if exact:
                    z[...] = Fraction(0)
                return z

        return UnconstrainedDirect()


# --------------------------------------------------------------------- B2
@checker_convention(policy="name", legacy=("theta", "b"))
def baselines(mdp, theta, b, *, param="softmax", mu=None, T=3, mode=None, variant=None, seed=None):
    r"""Check that a state-dependent baseline adds no bias (statement B2; AJKS Lemma 9.9).

    .. math::

        \mathbb E_{a\sim\pi(\cdot|s)}[\nabla\log\pi(a|s)\, b(s)] = 0 \quad\text{for every } s, b,

        \mathbb E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big(\sum_{u=t}^{T-1}\gamma^u r(s_u,a_u)
            - \gamma^t b(s_t)\Big)\Big] = \nabla V_T(\mu).

    The first identity holds because :math:`\sum_a\pi(a|s)\nabla\log\pi(a|s)
    = \nabla\sum_a\pi(a|s) = 0`: for softmax, and for the direct
    parameterization on the simplex (last action :math:`1-\sum` of the
    others), **not** for unconstrained direct parameters
    :math:`\pi(a|s) = \theta_{s,a}` (broken variant ``"unconstrained_direct"``).
    Data flow — per-state identity: left, the score expectation of
    :math:`b` (resp. of :math:`Q - b`) from the parameterization's score;
    right, zero (resp. the score expectation of :math:`Q`, any function of
    :math:`(s, a)` serving as the test function); baseline estimator: left,
    exact enumeration
    (:func:`mdptheory.trajectories.pg_reinforce_truncated`,
    ``estimator="baseline"``), right, the derivative of the finite sum;
    shared: MDP, :math:`\theta`, :math:`b`, :math:`\mu`, ``T``.  No linear
    solve in the truncated part: float tolerance of order 0, magnitude
    :math:`T^2 r_{\max}\max|\nabla\log\pi|`.

    Broken variants: ``"unconstrained_direct"`` (the score of
    :math:`\pi(a|s) = \theta_{s,a}` with all :math:`|A|` parameters free),
    ``"action_dependent_baseline"`` (a baseline :math:`b(s) + a` that depends
    on the action).
    """
    from ..trajectories import pg_reinforce_truncated, truncated_value_gradient

    stmt = _B2
    check_variant(variant, stmt.variants)
    mode, m, prm, th, mu = _setup(mdp, param, theta, mu, mode)
    S, A = m.n_states, m.n_actions
    b = np.asarray(b, dtype=object if mode == "exact" else float)
    if b.shape != (S,):
        raise InvalidParameterError(f"b must have shape ({S},); got {b.shape}")
    rep = new_report(stmt, mode, {"mdp": m, "param": param, "theta": theta, "b": b, "mu": mu, "T": T,
                                  "seed": seed}, variant)
    rep.tolerance_rule = "none: exact rationals" if mode == "exact" else ""
    pi = prm.probs(th)
    if variant == "unconstrained_direct":
        prm = _UnconstrainedDirect(S, A)
        th = pi.reshape(-1)
    sc = np.asarray(prm.score(th))
    bb = b[:, None] + np.arange(A)[None, :] * (Fraction(1) if mode == "exact" else 1.0) \
        if variant == "action_dependent_baseline" else np.repeat(b[:, None], A, axis=1)
    per_state = np.einsum("sai,sa->si", sc, pi * bb)
    if mode == "exact":
        zero = np.full(per_state.shape, Fraction(0), dtype=object)
        rep.identity("E_{a~pi(.|s)}[grad log pi(a|s) b(s)] = 0 for every s", per_state, zero)
    # the same fact as the baseline's use: subtracting b(s) from Q leaves the expected score term unchanged
    # (two nonzero sides, so that float rounding can be told apart from agreement)
    Q = evaluate(m, pi, mode=mode).Q
    shifted = np.einsum("sai,sa->si", sc, pi * (Q - bb))
    plain = np.einsum("sai,sa->si", sc, pi * Q)
    tol0 = None
    if mode == "float":
        qmax = float(np.max(np.abs(Q))) + float(np.max(np.abs(b)))
        tol0 = 16 * float(np.finfo(float).eps) * A * qmax * max(1.0, float(np.max(np.abs(sc))))
    rep.identity("E_{a~pi(.|s)}[grad log pi(a|s)(Q(s,a) - b(s))] = E_{a~pi(.|s)}[grad log pi(a|s) Q(s,a)]",
                 shifted, plain, tol=tol0)
    est = pg_reinforce_truncated(m, prm, th, int(T), mu=mu, estimator="baseline", baseline=b, method="enumerate",
                                 mode=mode)
    gT = truncated_value_gradient(m, prm, th, int(T), mu=mu, mode=mode)
    rep.identity(f"baseline REINFORCE (enumeration) = grad V_T (finite sum), T = {T}", est, gT,
                 tol=_trunc_tol(rep, m, mode, prm, th, int(T)))
    rep.details = {"per_state": per_state, "estimator": est, "grad_V_T": gT}
    return rep


# --------------------------------------------------------------------- B3
@checker_convention(policy="name", legacy=("theta",))
def reinforce_reward_to_go(mdp, theta, *, param="softmax", mu=None, T=3, mode=None, variant=None, seed=None):
    r"""Check REINFORCE with reward to go on the truncated horizon (statement B3; AJKS Lemma 9.7).

    .. math::

        \mathbb E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\sum_{u=t}^{T-1}\gamma^u r(s_u,a_u)\Big]
            = \nabla V_T(\mu).

    Routes: the left side by literal enumeration here — every trajectory of
    positive probability enumerated in the checker
    (:func:`mdptheory.lemmas.framework.routes.trajectories_direct`; the
    library's :func:`mdptheory.trajectories.enumerate_trajectories` is
    compared with it, trajectory by trajectory),
    weighted by its probability, with the parameterization's score — and
    again by the library's dynamic programme
    (:func:`~mdptheory.trajectories.pg_reinforce_truncated`,
    ``estimator="reward_to_go"``, ``method="dp"``); the right side by
    differentiating the finite sum
    (:func:`~mdptheory.trajectories.truncated_value_gradient`).  Data flow —
    left: enumeration in the checker (and the library's dynamic programme);
    right: the derivative of the finite sum; shared: MDP, :math:`\theta`,
    :math:`\mu`, ``T``.  No linear solve: float tolerance of order 0 with
    magnitude :math:`T^2 r_{\max}\max|\nabla\log\pi|`.

    Broken variants: ``"restart_discount"`` (rewards to go discounted from
    :math:`t`, :math:`\gamma^{u-t}`, instead of from 0), ``"past_rewards"``
    (the rewards before :math:`t` instead of after: mean zero).
    """
    from ..trajectories import enumerate_trajectories, pg_reinforce_truncated, truncated_value_gradient
    from .framework.routes import trajectories_direct

    stmt = _B3
    check_variant(variant, stmt.variants)
    mode, m, prm, th, mu = _setup(mdp, param, theta, mu, mode)
    rep = new_report(stmt, mode, {"mdp": m, "param": param, "theta": theta, "mu": mu, "T": T, "seed": seed},
                     variant)
    rep.tolerance_rule = "none: exact rationals" if mode == "exact" else ""
    T = int(T)
    tol = _trunc_tol(rep, m, mode, prm, th, T)
    pi = prm.probs(th)
    sc = np.asarray(prm.score(th))
    zero = Fraction(0) if mode == "exact" else 0.0
    n = prm.n_params
    g, r = m.gamma, m.r
    total = np.full(n, zero, dtype=object if mode == "exact" else float)
    own = trajectories_direct(m, pi, T, mu)
    # the library's enumeration is the checker's: the same trajectories of length T, the same probabilities
    lib = {(tuple(st), tuple(ac)): p for st, ac, p in enumerate_trajectories(m, pi, T, mu=mu)}
    same = set(lib) == set(own)
    rep.claim(f"trajectories.enumerate_trajectories(T) = the trajectories of length T enumerated here, T = {T}",
              "VERIFIED" if same else "FALSIFIED", "comparison of the two sets of (states, actions)",
              library=len(lib), here=len(own))
    if same and own:
        keys = sorted(own)
        rep.identity("their probabilities (library enumeration = product formed here)",
                     np.array([lib[k] for k in keys], dtype=object if mode == "exact" else float),
                     np.array([own[k] for k in keys], dtype=object if mode == "exact" else float),
                     tol=None if mode == "exact" else float_tolerance(m, 1.0, order=0)[0] * (2 * T + 1))
    for (states, actions), p in own.items():
        rew = [r[s, a] for s, a in zip(states, actions)]
        for t in range(T):
            if variant == "restart_discount":
                togo = sum((g ** (u - t) * rew[u] for u in range(t, T)), zero)
            elif variant == "past_rewards":
                togo = sum((g ** u * rew[u] for u in range(t)), zero)
            else:
                togo = sum((g ** u * rew[u] for u in range(t, T)), zero)
            total = total + (p * togo) * sc[states[t], actions[t]]
    if mode == "exact":
        total = np.array([Fraction(x) for x in total], dtype=object)
    gT = truncated_value_gradient(m, prm, th, T, mu=mu, mode=mode)
    rep.identity(f"E[sum_t grad log pi_t sum_(u>=t) gamma^u r_u] (enumeration) = grad V_T (finite sum), T = {T}",
                 total, gT, tol=tol)
    dp = pg_reinforce_truncated(m, prm, th, T, mu=mu, estimator="reward_to_go", method="dp", mode=mode)
    rep.identity("reward-to-go REINFORCE (library dynamic programme) = grad V_T", dp, gT, tol=tol)
    rep.details = {"enumeration": total, "dp": dp, "grad_V_T": gT}
    return rep


# --------------------------------------------------------------------- B4
@checker_convention(takes_mdp=False, legacy=("r", "gamma"))
def nonconcavity_tree(r=1, gamma=Fraction(9, 10), *, mode="exact", variant=None, seed=None):
    r"""Check the non-concavity witness of AJKS Lemma 9.5 on the tree MDP (statement B4).

    On :func:`mdptheory.families.nonconcave_tree` (start :math:`s_1`;
    :math:`V^\pi(s_1) = \gamma\,\pi(a_2|s_1)\,\pi(a_1|s_2)\,r`), with tabular
    softmax and :math:`\theta` ordered
    :math:`(\theta_{s_1,a_1}, \theta_{s_1,a_2}, \theta_{s_2,a_1}, \theta_{s_2,a_2})`
    (the absorbing states' parameters 0):

    .. math::

        V(\theta^{(1)}) = \tfrac{9}{16}\gamma r, \quad
        V(\theta^{(2)}) = \tfrac{1}{16}\gamma r, \quad
        V\big(\tfrac{\theta^{(1)}+\theta^{(2)}}{2}\big) = \tfrac14\gamma r, \qquad
        V(\theta^{(1)}) + V(\theta^{(2)}) > 2\,V\big(\tfrac{\theta^{(1)}+\theta^{(2)}}{2}\big)

    for :math:`\theta^{(1)} = (0, \ln 3, \ln 3, 0)`,
    :math:`\theta^{(2)} = -\theta^{(1)}` (midpoint 0).  The lecture states the
    values as :math:`\tfrac{9}{16}r`, :math:`\tfrac{1}{16}r`,
    :math:`\tfrac14 r`; the reward is collected one step after the start, so
    with discounting every value carries the factor :math:`\gamma` (the
    strict inequality is unaffected).  The book writes :math:`a_1` at
    :math:`s_2` where the lecture writes :math:`a_2`: the same up to relabelling.

    Routes: each value from :func:`mdptheory.evaluate` on the policy
    :class:`~mdptheory.policies.TabularSoftmax` gives at the point (exact:
    :class:`~mdptheory.policies.LogRational` ``q = e^theta``), against the
    closed forms above.

    Data flow — left: values from :func:`mdptheory.evaluate` at the stated points; right: the closed forms;
    shared: the tree MDP and the points.

    Broken variants: ``"drop_gamma"`` (the values without the factor
    :math:`\gamma`, as the lecture prints them), ``"concave_claim"`` (the
    concavity inequality :math:`V(\theta^{(1)}) + V(\theta^{(2)}) \le 2V(\text{mid})`).
    """
    from ..families import nonconcave_tree
    from ..policies import TabularSoftmax

    stmt = _B4
    check_variant(variant, stmt.variants)
    if mode not in ("exact", "float"):
        raise InvalidParameterError(f"mode must be 'exact' or 'float'; got {mode!r}")
    m = nonconcave_tree(r, gamma=gamma, exact=True)
    mm = m if mode == "exact" else m.to_float()
    g, rr = m.gamma, m.r[1, 0]
    param = TabularSoftmax(5, 2)
    one = [1] * 10
    q1 = list(one)
    q1[1], q1[2] = 3, 3  # theta^(1) = (0, ln 3, ln 3, 0, 0, ...)
    q2 = list(one)
    q2[1], q2[2] = Fraction(1, 3), Fraction(1, 3)  # theta^(2) = -theta^(1)
    points = {"theta1": q1, "theta2": q2, "mid": one}
    rep = new_report(stmt, mode, {"mdp": m, "r": rr, "gamma": g, "seed": seed,
                                  "theta_exp": {k: [str(x) for x in v] for k, v in points.items()}}, variant)
    fac = 1 if variant == "drop_gamma" else g
    closed = {"theta1": Fraction(9, 16) * fac * rr, "theta2": Fraction(1, 16) * fac * rr,
              "mid": Fraction(1, 4) * fac * rr}
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(mm, float(rr) / (1 - float(g)))
        rep.tolerance_rule = rule
    vals = {}
    for name, q in points.items():
        v, pi = _value_at(m, param, _log_rational_or_float(q, mode), mode)
        vals[name] = v
        rhs = closed[name] if mode == "exact" else float(closed[name])
        rep.identity(f"V({name}) = {closed[name] / rr / g if variant != 'drop_gamma' else closed[name] / rr}"
                     f"{' gamma' if variant != 'drop_gamma' else ''} r (evaluate vs closed form)",
                     np.array([v]), np.array([rhs]), tol=tol)
        rep.details[f"pi_{name}"] = pi[:2]
    lhs, rhs = 2 * vals["mid"], vals["theta1"] + vals["theta2"]
    if variant == "concave_claim":
        rep.inequality("V(theta1) + V(theta2) <= 2 V(mid) (concavity)", np.array([rhs]), np.array([lhs]), tol=tol)
    else:
        rep.inequality("2 V(mid) < V(theta1) + V(theta2) (not concave)", np.array([lhs]), np.array([rhs]),
                       tol=tol, strict=True)
    rep.details["values"] = vals
    return rep


# --------------------------------------------------------------------- B5
@checker_convention(takes_mdp=False, legacy=("perm",))
def bandit_nonconcavity(perm=(0, 1, 2), *, mode="exact", variant=None, seed=None):
    r"""Check the bandit non-concavity witness of Mei et al. (2020), Prop. 1 (statement B5).

    On the three-armed bandit :math:`r = (1, 9/10, 1/10)`
    (:func:`mdptheory.families.bandit_mei`) with softmax
    :math:`\pi_\theta \propto e^\theta`:

    .. math::

        V(0) = \tfrac23, \quad V(\ln 9, \ln 16, \ln 25) = \tfrac{259}{500}, \quad
        V(\ln 3, \ln 4, \ln 5) = \tfrac{71}{120}, \qquad
        \tfrac23 + \tfrac{259}{500} > 2\cdot\tfrac{71}{120},

    the last point being the midpoint of the first two.  ``perm`` relabels the
    arms (the witness is invariant under relabelling arms and parameters
    together), so that the suite checks more than one layout.

    Routes: the policies :math:`(9,16,25)/50` and :math:`(3,4,5)/12` from
    :class:`~mdptheory.policies.TabularSoftmax` at
    :class:`~mdptheory.policies.LogRational` points, the values from
    :func:`mdptheory.evaluate`, against the stated rationals.

    Data flow — left: values from :func:`mdptheory.evaluate` at the stated points; right: the stated
    rationals; shared: the bandit and the points.

    Broken variants: ``"concave_claim"`` (the concavity inequality),
    ``"probability_midpoint"`` (the midpoint taken in the probabilities,
    :math:`(\pi^{(1)} + \pi^{(2)})/2`, instead of in :math:`\theta`: its value
    is the average, not 71/120).
    """
    from ..families import bandit_mei
    from ..mdp import MDP
    from ..policies import TabularSoftmax

    stmt = _B5
    check_variant(variant, stmt.variants)
    if mode not in ("exact", "float"):
        raise InvalidParameterError(f"mode must be 'exact' or 'float'; got {mode!r}")
    perm = [int(x) for x in perm]
    if sorted(perm) != [0, 1, 2]:
        raise InvalidParameterError(f"perm must be a permutation of (0, 1, 2); got {perm}")
    base = bandit_mei()
    m = MDP(base.P_dense(), base.r[:, perm], base.gamma)
    param = TabularSoftmax(1, 3)
    pts = {"zero": [1, 1, 1], "far": [9, 16, 25], "mid": [3, 4, 5]}
    pts = {k: [v[p] for p in perm] for k, v in pts.items()}
    closed = {"zero": Fraction(2, 3), "far": Fraction(259, 500), "mid": Fraction(71, 120)}
    rep = new_report(stmt, mode, {"mdp": m, "perm": perm, "seed": seed,
                                  "theta_exp": {k: [str(x) for x in v] for k, v in pts.items()}}, variant)
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m.to_float(), 1.0)
        rep.tolerance_rule = rule
    vals, pis = {}, {}
    for name, q in pts.items():
        v, pi = _value_at(m, param, _log_rational_or_float(q, mode), mode)
        if name == "mid" and variant == "probability_midpoint":
            pi = (pis["zero"] + pis["far"]) / 2
            v = evaluate(m if mode == "exact" else m.to_float(), pi, mode=mode).value()
        vals[name], pis[name] = v, pi
        rhs = closed[name] if mode == "exact" else float(closed[name])
        rep.identity(f"V({name}) = {closed[name]} (evaluate vs stated value)", np.array([v]), np.array([rhs]),
                     tol=tol)
    lhs, rhs = 2 * vals["mid"], vals["zero"] + vals["far"]
    if variant == "concave_claim":
        rep.inequality("V(0) + V(far) <= 2 V(mid) (concavity)", np.array([rhs]), np.array([lhs]), tol=tol)
    else:
        rep.inequality("2 V(mid) < V(0) + V(far) (not concave)", np.array([lhs]), np.array([rhs]), tol=tol,
                       strict=True)
    rep.details.update({"values": vals, "policies": pis})
    return rep


# ------------------------------------------------------------ registration
def _pg_cases(sid, *, with_b=False):
    """Small MDPs (S <= 3, A <= 3; enumeration of (S A)^T trajectories), softmax and direct points."""
    from ..policies import LogRational

    def cases(seed, n, mode):
        exact = mode == "exact"
        for i in range(n):
            rng = case_rng(seed, sid, i)
            m = random_case_mdp(rng, exact=exact, max_states=3)
            S, A = m.n_states, m.n_actions
            kind = "softmax" if i % 2 == 0 else "direct"
            w = rng.integers(1, 7, size=(S, A))
            if kind == "softmax":
                theta = (LogRational([[int(x) for x in row] for row in w]) if exact
                         else rng.normal(scale=1.5, size=S * A))
            elif exact:  # an interior point of the simplex: every action has positive probability
                theta = np.array([Fraction(int(w[s, a]), int(w[s].sum())) for s in range(S) for a in range(A - 1)],
                                 dtype=object)
            else:
                wf = w + rng.random((S, A))
                theta = (wf / wf.sum(axis=1, keepdims=True))[:, :-1].reshape(-1)
            case = {"mdp": m, "theta": theta, "param": kind,
                    "mu": random_distribution(rng, S, exact=exact, positive=not exact), "T": 3}
            if with_b:
                bi = rng.integers(1, 6, size=S)
                case["b"] = (np.array([Fraction(int(x), 2) for x in bi], dtype=object) if exact
                             else bi / 2.0 + rng.random(S))
            case["seed"] = (seed, i)
            yield case

    return cases


def _tree_cases(seed, n, mode):
    rewards = (1, 2, Fraction(1, 2), 3, Fraction(7, 3), 10)
    for i in range(n):
        rng = case_rng(seed, "B4", i)
        r = rewards[i % len(rewards)] if i < len(rewards) else Fraction(int(rng.integers(1, 20)), int(rng.integers(1, 5)))
        g = GAMMAS[i % len(GAMMAS)] if i < 6 else Fraction(int(rng.integers(1, 100)), 100)
        yield {"r": r, "gamma": g, "seed": (seed, i)}


def _bandit_cases(seed, n, mode):
    import itertools

    perms = list(itertools.permutations(range(3)))
    for i in range(n):
        yield {"perm": perms[i % len(perms)], "seed": (seed, i)}


_B1 = register(Statement(
    id="B1", name="policy_gradient_theorem",
    text="grad V(mu) = (1-gamma)^-1 E_{d_mu} E_pi[Q grad log pi] = (1-gamma)^-1 E_{d_mu} E_pi[A grad log pi]; "
         "truncated REINFORCE E[R_T sum_{t<T} grad log pi] = grad V_T",
    source="AJKS Thm 9.4", check=policy_gradient_theorem, cases=_pg_cases("B1"),
    variants={"drop_horizon": "the 1/(1-gamma) factor dropped in the Q and advantage forms",
              "mu_for_d": "mu used where d_mu^pi belongs",
              "reinforce_off_by_one": "REINFORCE over T steps compared with grad V_{T+1}"}))
_B2 = register(Statement(
    id="B2", name="baselines",
    text="E_{a~pi(.|s)}[grad log pi(a|s) b(s)] = 0 for any b (softmax; direct on the simplex); "
         "the truncated baseline estimator equals grad V_T",
    source="AJKS Lemma 9.9", check=baselines, cases=_pg_cases("B2", with_b=True),
    variants={"unconstrained_direct": "score of pi(a|s) = theta_{s,a} with all |A| parameters free",
              "action_dependent_baseline": "a baseline b(s) + a that depends on the action"}))
_B3 = register(Statement(
    id="B3", name="reinforce_reward_to_go",
    text="E[sum_{t<T} grad log pi(a_t|s_t) sum_{u=t}^{T-1} gamma^u r(s_u,a_u)] = grad V_T",
    source="AJKS Lemma 9.7", check=reinforce_reward_to_go, cases=_pg_cases("B3"),
    variants={"restart_discount": "rewards to go discounted from t (gamma^(u-t))",
              "past_rewards": "rewards before t instead of after"}))
_B4 = register(Statement(
    id="B4", name="nonconcavity_tree",
    text="tree MDP, softmax: V(theta1) = 9/16 gamma r, V(-theta1) = 1/16 gamma r, V(0) = 1/4 gamma r; "
         "V(theta1) + V(-theta1) > 2 V(0), so V is not concave in theta",
    source="AJKS Lemma 9.5", check=nonconcavity_tree, cases=_tree_cases,
    variants={"drop_gamma": "values 9/16 r, 1/16 r, 1/4 r without the discount factor",
              "concave_claim": "the concavity inequality V(theta1) + V(theta2) <= 2 V(mid)"}))
_B5 = register(Statement(
    id="B5", name="bandit_nonconcavity",
    text="bandit r = (1, 9/10, 1/10), softmax: V(0) = 2/3, V(ln 9, ln 16, ln 25) = 259/500, "
         "V(ln 3, ln 4, ln 5) = 71/120; 2/3 + 259/500 > 2 * 71/120",
    source="Mei et al. (2020) Prop. 1", check=bandit_nonconcavity, cases=_bandit_cases,
    variants={"concave_claim": "the concavity inequality V(0) + V(far) <= 2 V(mid)",
              "probability_midpoint": "midpoint taken in the probabilities instead of theta"}))


# ------------------------------------------------------ Monte Carlo (B1mc-B3mc)
def _mc_setup(mdp, param, theta, mode):
    if mode not in (None, "float"):
        raise InvalidParameterError(f"Monte-Carlo checks run in float mode; got mode={mode!r}")
    if param not in ("softmax", "direct"):
        raise InvalidParameterError(f"param must be 'softmax' or 'direct'; got {param!r}")
    m = mdp.to_float() if mdp.is_exact else mdp
    S, A = m.n_states, m.n_actions
    prm = TabularSoftmax(S, A) if param == "softmax" else Direct(S, A)
    th = prm.float_theta(theta)
    return m, prm, th


@checker_convention(policy="name", legacy=("theta",))
def reinforce_monte_carlo(mdp, theta, *, param="softmax", mu=None, T=3, n=20000, mode=None, variant=None, seed=None):
    r"""Monte-Carlo REINFORCE against the exact truncated gradient (statement B1; AJKS Thm 9.4).

    .. math::

        \mathbb E\Big[\Big(\sum_{t<T}\gamma^t r_t\Big)\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big] = \nabla V_T(\mu),

    checked statistically (module docstring): the exact right side must lie in
    the Bonferroni-corrected 99.99% intervals of the sample mean of ``n``
    trajectories drawn with the case's seed.

    Data flow — left: the sampled estimator (:func:`mdptheory.estimators.reinforce_samples`, seeded); right:
    the exact truncated gradient :func:`mdptheory.trajectories.truncated_value_gradient`; shared: MDP,
    :math:`\theta`, :math:`\mu`, ``T``.

    Broken variant: ``"missing_discount"`` (the return without :math:`\gamma^t`).
    """
    stmt = _B1mc
    check_variant(variant, stmt.variants)
    m, prm, th = _mc_setup(mdp, param, theta, mode)
    mu = m.rho if mu is None else np.asarray(mu, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "param": param, "theta": th, "mu": mu, "T": T, "n": n,
                                     "seed": seed}, variant)
    rng_seed = [0] + list(np.atleast_1d(seed if seed is not None else 0))
    samples, _ = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="total",
                                   discount=variant != "missing_discount", seed=rng_seed)
    g = np.asarray(truncated_value_gradient(m, prm, th, T, mu=mu, mode="float"), dtype=float)
    est, worst = _ci_verdict(rep, f"exact grad V_T in the CI of Monte-Carlo REINFORCE (N = {n}, T = {T})", samples,
                             g, m)
    rep.details = {"mean": est.mean, "stderr": est.stderr, "grad_V_T": g, "worst_abs_z": worst}
    return rep


@checker_convention(policy="name", legacy=("theta",))
def baseline_monte_carlo(mdp, theta, *, param="softmax", mu=None, T=3, n=20000, mode=None, variant=None, seed=None):
    r"""Monte-Carlo REINFORCE with a value baseline against the exact gradient (statement B2; AJKS Lemma 9.9).

    .. math::

        \mathbb E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big(\sum_{u=t}^{T-1}\gamma^u r_u - \gamma^t b_t(s_t)\Big)\Big]
            = \nabla V_T(\mu),\qquad b_t(s) = V_{T-t}(s)

    (the exact finite-horizon value to go; any state- and time-dependent
    baseline is unbiased).  Checked statistically on the same trajectories as
    the plain reward-to-go estimator; the variance reduction
    :math:`\sum_i\mathrm{Var}[\hat g_{b,i}]/\sum_i\mathrm{Var}[\hat g_i]` is
    reported in ``details`` (not a claim: Lemma 9.9 promises no reduction).

    Data flow — left: the sampled baseline estimator (seeded); right: the exact truncated gradient; shared:
    MDP, :math:`\theta`, :math:`\mu`, ``T``.

    Broken variant: ``"action_dependent_baseline"`` (the table
    :math:`b_t(s,a) = V_{T-t}(s) + a`, which depends on the action).
    """
    stmt = _B2mc
    check_variant(variant, stmt.variants)
    m, prm, th = _mc_setup(mdp, param, theta, mode)
    mu = m.rho if mu is None else np.asarray(mu, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "param": param, "theta": th, "mu": mu, "T": T, "n": n,
                                     "seed": seed}, variant)
    rng_seed = [1] + list(np.atleast_1d(seed if seed is not None else 0))
    plain, tr = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="reward_to_go", seed=rng_seed)
    if variant == "action_dependent_baseline":
        from ..estimators import _baseline_table

        pi = np.asarray(prm.probs(th), dtype=float)
        b = _baseline_table(m, pi, "value", m.n_states, m.n_actions, T) + np.arange(m.n_actions)[None, None, :]
        G = tr.rewards_to_go() - tr.gamma ** np.arange(T)[None, :] * b[np.arange(T)[None, :], tr.states, tr.actions]
        sc = np.asarray(prm.score(th), dtype=float)[tr.states, tr.actions]
        based = np.einsum("ntk,nt->nk", sc, G)
    else:
        based, _ = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="baseline", baseline="value",
                                     trajectories=tr)
    g = np.asarray(truncated_value_gradient(m, prm, th, T, mu=mu, mode="float"), dtype=float)
    est, worst = _ci_verdict(rep, f"exact grad V_T in the CI of baseline REINFORCE (N = {n}, T = {T})", based, g, m)
    v0, v1 = plain.var(axis=0, ddof=1).sum(), based.var(axis=0, ddof=1).sum()
    rep.details = {"mean": est.mean, "stderr": est.stderr, "grad_V_T": g, "worst_abs_z": worst,
                   "variance_plain": float(v0), "variance_baseline": float(v1),
                   "variance_ratio": float(v1 / v0) if v0 > 0 else None}
    return rep


@checker_convention(policy="name", legacy=("theta",))
def reward_to_go_monte_carlo(mdp, theta, *, param="softmax", mu=None, T=3, n=20000, mode=None, variant=None,
                             seed=None):
    r"""Monte-Carlo REINFORCE with reward to go against the exact gradient (statement B3; AJKS Lemma 9.7).

    .. math::

        \mathbb E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\sum_{u=t}^{T-1}\gamma^u r_u\Big] = \nabla V_T(\mu),

    checked statistically (module docstring).

    Data flow — left: the sampled reward-to-go estimator (seeded); right: the exact truncated gradient;
    shared: MDP, :math:`\theta`, :math:`\mu`, ``T``.

    Broken variant: ``"restart_discount"`` (rewards to go discounted from
    :math:`t`, :math:`\gamma^{u-t}`: the :math:`\gamma^t` factor missing).
    """
    stmt = _B3mc
    check_variant(variant, stmt.variants)
    m, prm, th = _mc_setup(mdp, param, theta, mode)
    mu = m.rho if mu is None else np.asarray(mu, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "param": param, "theta": th, "mu": mu, "T": T, "n": n,
                                     "seed": seed}, variant)
    rng_seed = [2] + list(np.atleast_1d(seed if seed is not None else 0))
    samples, tr = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="reward_to_go", seed=rng_seed)
    if variant == "restart_discount":
        G = tr.rewards_to_go() / tr.gamma ** np.arange(T)[None, :] if tr.gamma > 0 else tr.rewards
        sc = np.asarray(prm.score(th), dtype=float)[tr.states, tr.actions]
        samples = np.einsum("ntk,nt->nk", sc, G)
    g = np.asarray(truncated_value_gradient(m, prm, th, T, mu=mu, mode="float"), dtype=float)
    est, worst = _ci_verdict(rep, f"exact grad V_T in the CI of reward-to-go REINFORCE (N = {n}, T = {T})",
                             samples, g, m)
    rep.details = {"mean": est.mean, "stderr": est.stderr, "grad_V_T": g, "worst_abs_z": worst}
    return rep


def _mc_cases(sid):
    def cases(seed, n, mode):
        for i in range(n):
            rng = case_rng(seed, sid, i)
            m = random_case_mdp(rng, exact=False, max_states=3, gamma=GAMMAS[i % 2])
            S, A = m.n_states, m.n_actions
            kind = "softmax" if i % 2 == 0 else "direct"
            w = rng.integers(1, 7, size=(S, A)) + rng.random((S, A))
            theta = (rng.normal(scale=1.5, size=S * A) if kind == "softmax"
                     else (w / w.sum(axis=1, keepdims=True))[:, :-1].reshape(-1))
            yield {"mdp": m, "theta": theta, "param": kind,
                   "mu": random_distribution(rng, S, exact=False, positive=True), "T": 3, "n": 20000,
                   "seed": (seed, i)}

    return cases


_B1mc = register(Statement(
    id="B1mc", name="reinforce_monte_carlo",
    text="Monte Carlo: E[R_T sum_{t<T} grad log pi(a_t|s_t)] = grad V_T; the exact value lies in the "
         "Bonferroni-corrected 99.99% CI (false-alarm probability 1e-4 per case, fixed seed)",
    source="AJKS Thm 9.4 (statistical check)", check=reinforce_monte_carlo, cases=_mc_cases("B1mc"),
    modes=("float",), variants={"missing_discount": "the return without gamma^t"}))
_B2mc = register(Statement(
    id="B2mc", name="baseline_monte_carlo",
    text="Monte Carlo: the baseline estimator with b_t(s) = V_(T-t)(s) is unbiased for grad V_T (CI check); "
         "variance reduction reported",
    source="AJKS Lemma 9.9 (statistical check)", check=baseline_monte_carlo, cases=_mc_cases("B2mc"),
    modes=("float",), variants={"action_dependent_baseline": "a baseline V_(T-t)(s) + a that depends on the action"}))
_B3mc = register(Statement(
    id="B3mc", name="reward_to_go_monte_carlo",
    text="Monte Carlo: E[sum_{t<T} grad log pi(a_t|s_t) sum_(u>=t) gamma^u r_u] = grad V_T (CI check)",
    source="AJKS Lemma 9.7 (statistical check)", check=reward_to_go_monte_carlo, cases=_mc_cases("B3mc"),
    modes=("float",), variants={"restart_discount": "rewards to go discounted from t (gamma^(u-t))"}))


# ------------------------------------------------------------------ convergence
@checker_convention()
def gradient_ascent_rate(mdp, *, T=30, mode=None, variant=None, seed=None):
    r"""Exact gradient ascent on a :math:`\beta`-smooth objective (AJKS Lemma 9.6; statement B6).

    .. math::

        \min_{t<T}\|\nabla_\theta V^{(t)}(\mu)\|_2^2 \le \frac{2\beta\,(V^\star(\mu) - V^{(0)}(\mu))}{T}
        \quad\text{for every } T,

    for softmax policy gradient with :math:`\eta = 1/\beta`,
    :math:`\beta = 8/(1-\gamma)^3` (the softmax smoothness constant, statement D4),
    :math:`\mu` = the MDP's start distribution, from :math:`\theta^{(0)} = 0`.
    The lemma needs an upper bound on the objective: :math:`V^\star(\mu)`.
    Independent routes: gradient norms by implicit differentiation of the
    Bellman system (:func:`mdptheory.gradients.value_gradient`) inside the run;
    :math:`V^\star` by exact policy iteration.

    Data flow — left: the run's gradient norms (confirmed against the forward-solve gradient formed here,
    :func:`mdptheory.lemmas.framework.routes.confirm_gradient_norms`); right: :math:`V^\star` of exact policy
    iteration and the run's first value; shared: MDP.

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
    from .framework.routes import confirm_gradient_norms

    confirm_gradient_norms(rep, m, TabularSoftmax(m.n_states, m.n_actions), res.thetas[:len(g2)], m.rho,
                           res.grad_norms)
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


# --------------------------------------------------- registration (convergence)
_B6 = register(Statement(
    id="B6", name="gradient_ascent_rate",
    text="softmax PG with eta = 1/beta, beta = 8/(1-gamma)^3: min_{t<T} ||grad V_t(mu)||^2 <= "
         "2 beta (V*(mu) - V_0(mu))/T for every T",
    source="AJKS Lemma 9.6", check=gradient_ascent_rate,
    cases=_cases("B6", gammas=(_HALF, _NINE)), modes=("float",),
    variants={"beta_inverted": "bound 2 (V* - V_0)/(beta T)"}, cost=3.0))
