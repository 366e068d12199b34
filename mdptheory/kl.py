r"""Kullback–Leibler divergences between policies and between trajectory distributions.

Per state, :math:`\mathrm{KL}(\pi_s \,\|\, \pi'_s) = \sum_a \pi(a|s)\log\frac{\pi(a|s)}{\pi'(a|s)}`
with :math:`0\log 0 = 0` and :math:`+\infty` when :math:`\pi'(a|s) = 0 < \pi(a|s)`.

For a horizon-:math:`H` MDP started from :math:`\mu`, a trajectory
:math:`\tau = (s_0, a_0, \dots, s_{H-1}, a_{H-1})` has probability
:math:`\Pr^\theta(\tau) = \mu(s_0)\prod_{h<H}\pi_\theta(a_h|s_h)\prod_{h<H-1}P(s_{h+1}|s_h,a_h)`;
the transition factors cancel in the likelihood ratio, so

.. math::

    \mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)
    = \sum_{h<H}\mathbb{E}_{s_h\sim\Pr^{\theta_t}}
      \mathrm{KL}\big(\pi_{\theta_t}(\cdot|s_h)\,\|\,\pi_\theta(\cdot|s_h)\big),

and at :math:`\theta = \theta_t` its gradient vanishes and its Hessian is the
summed Fisher information
:math:`\sum_{h<H}\mathbb{E}_{s_h}\mathbb{E}_{a\sim\pi}[\nabla\log\pi\,\nabla\log\pi^\top]`
(AJKS Claim 12.5; statement G2).  This module computes each side by its own
route: the divergence, its gradient and its Hessian either by propagating the
state distributions :math:`\Pr(s_h = \cdot)` or by literal enumeration of all
trajectories (tiny MDPs), and the Fisher sum (:func:`trajectory_fisher`)
separately from the scores.

Divergences of exact policies are logarithms of rationals: they come back as
certified FLINT ``arb`` balls (``mode="ball"``), exactly 0 when the two rows are
equal, and ``math.inf`` on a support mismatch.  Gradients and Hessians of exact
(rational) parameterizations are exact rationals.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .evaluation import DEFAULT_BALL_PREC, policy_matrices
from .exceptions import InvalidParameterError
from .fields import BALL, EXACT, FLOAT, exact_array, float_array, from_fmpq_mat, is_exact_scalar, to_fmpq_mat
from .policies.tabular import as_policy, policy_is_exact

__all__ = [
    "kl_policy",
    "weighted_kl",
    "horizon_state_distributions",
    "trajectory_kl",
    "trajectory_kl_gradient",
    "trajectory_kl_hessian",
    "trajectory_fisher",
]

#: Default cap on the number of trajectories enumerated by ``method="enumerate"``.
DEFAULT_MAX_TRAJECTORIES = 200_000


def _exact(a) -> bool:
    a = a if isinstance(a, np.ndarray) else np.asarray(a, dtype=object)
    if a.dtype.kind in "iu":
        return True
    return a.dtype == object and a.size > 0 and all(is_exact_scalar(x) for x in a.flat)


def _check_pair(pi, pi2):
    if pi.shape != pi2.shape or pi.ndim != 2:
        raise InvalidParameterError(f"pi and pi2 must both have shape (S, A); got {pi.shape} and {pi2.shape}")
    for name, p in (("pi", pi), ("pi2", pi2)):
        neg = np.argwhere(p < 0)
        if neg.size:
            s, a = neg[0]
            raise InvalidParameterError(f"{name}[{s}, {a}] = {p[s, a]!r} is negative")


def _kl_mode(exact_inputs, mode):
    if mode is None:
        return BALL if exact_inputs else FLOAT
    if mode not in (FLOAT, BALL):
        raise InvalidParameterError(f"mode must be 'float' or 'ball' (or None); got {mode!r}")
    return mode


def kl_policy(pi, pi2, *, mode=None, prec=DEFAULT_BALL_PREC) -> np.ndarray:
    r"""Per-state divergence :math:`\mathrm{KL}(\pi_s\,\|\,\pi'_s)`.

    .. math::

        \mathrm{KL}(\pi_s\,\|\,\pi'_s) = \sum_a \pi(a|s)\log\frac{\pi(a|s)}{\pi'(a|s)}
        \ \ge 0,

    with :math:`0\log(0/x) = 0` and :math:`+\infty` when some
    :math:`\pi'(a|s) = 0 < \pi(a|s)` (Gibbs' inequality; statement D7, E3).

    Parameters
    ----------
    pi, pi2 : array_like, shape (S, A)
        Rows on the simplex (not re-validated beyond shape and signs).
    mode : {"float", "ball"}, optional, keyword-only
        Default "ball" when both are exact rationals, else "float".
    prec : int, keyword-only
        Working precision (bits) of ball mode.

    Returns
    -------
    ndarray, shape (S,)
        float64, or (ball mode) an object array of ``flint.arb`` balls certified
        to contain the exact divergence, exactly ``arb(0)`` for identical rows
        and ``math.inf`` on a support mismatch.

    Examples
    --------
    >>> import numpy as np
    >>> kl_policy(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])).tolist()
    [inf]
    """
    exact_inputs = _exact(pi) and _exact(pi2)
    mode = _kl_mode(exact_inputs, mode)
    if mode == FLOAT:
        from scipy.special import rel_entr

        p, q = float_array(pi, name="pi"), float_array(pi2, name="pi2")
        _check_pair(p, q)
        return rel_entr(p, q).sum(axis=1)
    from flint import arb, ctx, fmpq

    if exact_inputs:
        p, q = exact_array(pi, name="pi"), exact_array(pi2, name="pi2")
    else:  # floats are dyadic rationals: exact conversion
        p = np.frompyfunc(lambda x: Fraction(float(x)), 1, 1)(float_array(pi, name="pi"))
        q = np.frompyfunc(lambda x: Fraction(float(x)), 1, 1)(float_array(pi2, name="pi2"))
    _check_pair(p, q)
    S, A = p.shape
    out = np.empty(S, dtype=object)
    old = ctx.prec
    ctx.prec = prec
    try:
        for s in range(S):  # one arb log per entry: object arithmetic, no vector form
            tot = arb(0)
            for a in range(A):
                x, y = p[s, a], q[s, a]
                if x == 0 or x == y:
                    continue
                if y == 0:
                    tot = math.inf
                    break
                ratio = x / y
                tot += arb(fmpq(x.numerator, x.denominator)) * arb(fmpq(ratio.numerator, ratio.denominator)).log()
            out[s] = tot
    finally:
        ctx.prec = old
    return out


def weighted_kl(d, pi, pi2, *, mode=None, prec=DEFAULT_BALL_PREC):
    r"""Visitation-weighted divergence :math:`\sum_s d(s)\,\mathrm{KL}(\pi_s\,\|\,\pi'_s)`.

    .. math::

        \mathbb{E}_{s\sim d}\,\mathrm{KL}(\pi_s\,\|\,\pi'_s)

    (statement E3, D7).  States with :math:`d(s) = 0` contribute 0 even when their
    divergence is infinite.

    Parameters
    ----------
    d : array_like, shape (S,)
        Nonnegative weights (a distribution, or a sum of distributions).
    pi, pi2 : array_like, shape (S, A)
    mode, prec : as in :func:`kl_policy`

    Returns
    -------
    float or flint.arb (or math.inf)
    """
    kl = kl_policy(pi, pi2, mode=mode, prec=prec)
    S = kl.shape[0]
    ball = kl.dtype == object
    if ball:
        dd = exact_array(d, name="d", allow_float=True) if not _exact(d) else exact_array(d, name="d")
    else:
        dd = float_array(d, name="d")
    if dd.shape != (S,):
        raise InvalidParameterError(f"d must have shape ({S},); got {dd.shape}")
    neg = np.argwhere(dd < 0)
    if neg.size:
        s = int(neg[0][0])
        raise InvalidParameterError(f"d[{s}] = {dd[s]!r} is negative")
    if not ball:
        mask = dd > 0
        return float(np.sum(dd[mask] * kl[mask]))
    from flint import arb, ctx, fmpq

    old = ctx.prec
    ctx.prec = prec
    try:
        tot = arb(0)
        for w, k in zip(dd, kl):
            if w == 0:
                continue
            if k is math.inf:
                return math.inf
            tot += arb(fmpq(w.numerator, w.denominator)) * k
    finally:
        ctx.prec = old
    return tot


# ---------------------------------------------------------------- horizon-H trajectories
def _validate_H(H):
    if isinstance(H, (bool, np.bool_)) or not isinstance(H, (int, np.integer)) or H < 1:
        raise InvalidParameterError(f"horizon H must be a positive integer; got {H!r}")
    return int(H)


def _start(mdp, mu, exact):
    mu = mdp.rho if mu is None else mu
    if exact:
        m = exact_array(mu, name="mu")
        total = sum(m, Fraction(0))
    else:
        m = float_array(mu, name="mu")
        total = float(m.sum())
    if m.shape != (mdp.n_states,):
        raise InvalidParameterError(f"mu must have shape ({mdp.n_states},); got {m.shape}")
    neg = np.argwhere(m < 0)
    if neg.size:
        s = int(neg[0][0])
        raise InvalidParameterError(f"mu[{s}] = {m[s]!r} is negative")
    if (exact and total != 1) or (not exact and abs(total - 1.0) > 1e-9):
        raise InvalidParameterError(f"mu must sum to 1; got {total!r}")
    return m


def horizon_state_distributions(mdp, pi, H, *, mu=None) -> np.ndarray:
    r"""State distributions :math:`\Pr(s_h = \cdot)` for :math:`h = 0, \dots, H-1` under :math:`\pi`.

    .. math::

        p_0 = \mu, \qquad p_{h+1} = p_h^\top P^\pi

    Parameters
    ----------
    mdp : MDP
    pi : array_like, shape (S, A)
    H : int
    mu : array_like, shape (S,), optional, keyword-only
        Start distribution (default ``mdp.rho``).

    Returns
    -------
    ndarray, shape (H, S)
        Exact (Fractions) when the MDP and ``pi`` are exact.
    """
    H = _validate_H(H)
    exact = mdp.is_exact and policy_is_exact(pi)
    m = mdp if (exact or not mdp.is_exact) else mdp.to_float()
    pi = as_policy(m, pi, exact=exact)
    p = _start(m, mu, exact)
    P_pi, _ = policy_matrices(m, pi)
    if exact:
        Pq = to_fmpq_mat(P_pi)
        row = to_fmpq_mat(p).transpose()
        rows = [row]
        for _ in range(H - 1):
            row = row * Pq
            rows.append(row)
        return np.stack([from_fmpq_mat(r, (m.n_states,)) for r in rows])
    out = np.empty((H, m.n_states))
    out[0] = p
    PT = P_pi.T
    for h in range(1, H):
        out[h] = PT @ out[h - 1]
    return out


def _pair(mdp, param, theta_t, theta, mode):
    """pi_t, pi (at theta; theta=None means theta_t), and the working field."""
    pi_t = param.probs(theta_t)
    pi = pi_t if theta is None else param.probs(theta)
    exact_inputs = mdp.is_exact and policy_is_exact(pi_t) and policy_is_exact(pi)
    if mode is None:
        mode = EXACT if exact_inputs else FLOAT
    if mode not in (FLOAT, EXACT):
        raise InvalidParameterError(f"mode must be 'float' or 'exact' (or None); got {mode!r}")
    if mode == EXACT and not exact_inputs:
        raise InvalidParameterError("mode='exact' needs an exact MDP and exact policies at theta_t and theta")
    m = mdp if (mode == EXACT or not mdp.is_exact) else mdp.to_float()
    pi_t = as_policy(m, pi_t, exact=mode == EXACT)
    pi = as_policy(m, pi, exact=mode == EXACT)
    return m, pi_t, pi, mode


def _enumerate_counts(mdp, pi_t, H, mu, exact, max_trajectories):
    r"""Literal enumeration of all length-H trajectories under ``pi_t`` with positive probability.

    Returns ``(trajs, probs)``: each trajectory as a tuple of (s_h, a_h) pairs and
    its probability :math:`\mu(s_0)\prod_h\pi(a_h|s_h)\prod_{h<H-1}P(s_{h+1}|s_h,a_h)`.
    """
    P = mdp.P_dense()
    S, A = pi_t.shape
    m = _start(mdp, mu, exact)
    trajs, probs = [], []
    stack = [((), m[s], s) for s in range(S) if m[s] != 0]
    while stack:
        prefix, pr, s = stack.pop()
        for a in range(A):
            pa = pr * pi_t[s, a]
            if pa == 0:
                continue
            tau = prefix + ((s, a),)
            if len(tau) == H:
                trajs.append(tau)
                probs.append(pa)
                if len(trajs) > max_trajectories:
                    raise InvalidParameterError(
                        f"more than max_trajectories = {max_trajectories} trajectories of positive probability; "
                        "use method='propagate' or a smaller H")
                continue
            for s2 in range(S):
                p2 = pa * P[s, a, s2]
                if p2 != 0:
                    stack.append((tau, p2, s2))
    return trajs, probs


def _state_action_weights(mdp, pi_t, H, mu, exact, method, max_trajectories):
    r"""c[s, a] = E_{tau ~ Pr^{theta_t}} #{h < H : (s_h, a_h) = (s, a)}."""
    S, A = pi_t.shape
    if method == "propagate":
        p = horizon_state_distributions(mdp, pi_t, H, mu=mu)
        return p.sum(axis=0)[:, None] * pi_t
    if method != "enumerate":
        raise InvalidParameterError(f"method must be 'propagate' or 'enumerate'; got {method!r}")
    trajs, probs = _enumerate_counts(mdp, pi_t, H, mu, exact, max_trajectories)
    c = np.full((S, A), Fraction(0), dtype=object) if exact else np.zeros((S, A))
    for tau, pr in zip(trajs, probs):
        for s, a in tau:
            c[s, a] += pr
    return c


def trajectory_kl(mdp, param, theta_t, theta, H, *, mu=None, method="propagate",
                  prec=DEFAULT_BALL_PREC, max_trajectories=DEFAULT_MAX_TRAJECTORIES):
    r"""KL divergence between the length-:math:`H` trajectory distributions of two parameters.

    .. math::

        \mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)
        = \sum_\tau \Pr^{\theta_t}(\tau)\log\frac{\Pr^{\theta_t}(\tau)}{\Pr^\theta(\tau)}
        = \sum_{h<H}\mathbb{E}_{s_h\sim\Pr^{\theta_t}}
          \mathrm{KL}\big(\pi_{\theta_t}(\cdot|s_h)\,\|\,\pi_\theta(\cdot|s_h)\big)

    (AJKS §12.3; statement G2).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta_t, theta : array_like, shape (n_params,)
    H : int
        Horizon (number of actions per trajectory).
    mu : array_like, shape (S,), optional, keyword-only
        Start distribution (default ``mdp.rho``).
    method : {"propagate", "enumerate"}, keyword-only
        "propagate": the right-hand side, with :math:`\Pr(s_h = \cdot)` from
        :func:`horizon_state_distributions`.  "enumerate": the left-hand side,
        a literal sum over every trajectory of positive probability (tiny MDPs).
    prec : int, keyword-only
        Ball precision for exact inputs.
    max_trajectories : int, keyword-only

    Returns
    -------
    float, flint.arb or math.inf
        A certified ball when the MDP and both policies are exact.
    """
    H = _validate_H(H)
    m, pi_t, pi, mode = _pair(mdp, param, theta_t, theta, None)
    exact = mode == EXACT
    if method == "propagate":
        w = horizon_state_distributions(m, pi_t, H, mu=mu).sum(axis=0)
        return weighted_kl(w, pi_t, pi, mode=BALL if exact else FLOAT, prec=prec)
    if method != "enumerate":
        raise InvalidParameterError(f"method must be 'propagate' or 'enumerate'; got {method!r}")
    trajs, probs = _enumerate_counts(m, pi_t, H, mu, exact, max_trajectories)
    if not exact:
        tot = 0.0
        for tau, pr in zip(trajs, probs):
            lr = 0.0
            for s, a in tau:
                if pi[s, a] == 0:
                    return math.inf
                lr += math.log(pi_t[s, a]) - math.log(pi[s, a])
            tot += pr * lr
        return tot
    from flint import arb, ctx, fmpq

    old = ctx.prec
    ctx.prec = prec
    try:
        tot = arb(0)
        for tau, pr in zip(trajs, probs):
            ratio = Fraction(1)
            for s, a in tau:
                if pi[s, a] == 0:
                    return math.inf
                ratio *= pi_t[s, a] / pi[s, a]
            if ratio != 1:
                tot += arb(fmpq(pr.numerator, pr.denominator)) * arb(fmpq(ratio.numerator, ratio.denominator)).log()
    finally:
        ctx.prec = old
    return tot


def _score_at(m, param, theta, mode):
    S, A = m.n_states, m.n_actions
    sc = np.asarray(param.score(theta))
    if sc.ndim != 3 or sc.shape[:2] != (S, A):
        raise InvalidParameterError(f"score must have shape (S, A, n_params); got {sc.shape}")
    return exact_array(sc, name="score") if mode == EXACT else float_array(sc, name="score")


def _check_support(c, pi):
    bad = np.argwhere((c != 0) & (pi == 0))
    if bad.size:
        s, a = bad[0]
        raise InvalidParameterError(
            f"pi_theta[{s}, {a}] = 0 on an action taken under theta_t: the divergence is infinite there")


def trajectory_kl_gradient(mdp, param, theta_t, theta=None, H=1, *, mu=None, mode=None, method="propagate",
                           max_trajectories=DEFAULT_MAX_TRAJECTORIES) -> np.ndarray:
    r"""Gradient in :math:`\theta` of :math:`\mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)`.

    .. math::

        \nabla_\theta\mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)
        = -\sum_\tau\Pr^{\theta_t}(\tau)\sum_{h<H}\nabla_\theta\log\pi_\theta(a_h|s_h)
        = -\sum_{s,a} c(s,a)\,\nabla_\theta\log\pi_\theta(a|s),

    :math:`c(s,a) = \mathbb{E}_{\tau\sim\Pr^{\theta_t}}\#\{h<H : (s_h,a_h) = (s,a)\}`.
    At :math:`\theta = \theta_t` it is 0, since the score has mean zero under
    :math:`\pi_{\theta_t}` (AJKS Claim 12.5; statement G2).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta_t : array_like, shape (n_params,)
    theta : array_like, shape (n_params,), optional
        Where to differentiate (default ``theta_t``).
    H : int
    mu : array_like, shape (S,), optional, keyword-only
    mode : {"float", "exact"}, optional, keyword-only
    method : {"propagate", "enumerate"}, keyword-only
        How :math:`c(s,a)` is computed: from :func:`horizon_state_distributions`
        or by literal enumeration of all trajectories.
    max_trajectories : int, keyword-only

    Returns
    -------
    ndarray, shape (n_params,)
    """
    H = _validate_H(H)
    m, pi_t, pi, mode = _pair(mdp, param, theta_t, theta, mode)
    c = _state_action_weights(m, pi_t, H, mu, mode == EXACT, method, max_trajectories)
    _check_support(c, pi)
    sc = _score_at(m, param, theta_t if theta is None else theta, mode)
    S, A, n = sc.shape
    return -(c.reshape(-1)[:, None] * sc.reshape(S * A, n)).sum(axis=0)


def trajectory_kl_hessian(mdp, param, theta_t, theta=None, H=1, *, mu=None, mode=None, method="propagate",
                          max_trajectories=DEFAULT_MAX_TRAJECTORIES) -> np.ndarray:
    r"""Hessian in :math:`\theta` of :math:`\mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)`.

    .. math::

        \nabla^2_\theta\mathrm{KL}(\Pr^{\theta_t}\,\|\,\Pr^\theta)
        = -\sum_\tau\Pr^{\theta_t}(\tau)\sum_{h<H}\nabla^2_\theta\log\pi_\theta(a_h|s_h),
        \qquad
        \nabla^2\log\pi = \frac{\nabla^2\pi}{\pi} - \nabla\log\pi\,\nabla\log\pi^\top,

    computed from ``param.probs_hessian`` and ``param.score`` (no Fisher-matrix
    formula is used).  At :math:`\theta = \theta_t`, Claim 12.5 (statement G2)
    says it equals :func:`trajectory_fisher`; ``method="enumerate"`` sums over
    every trajectory literally, which makes that comparison an independent check.

    Parameters
    ----------
    As in :func:`trajectory_kl_gradient`; ``param`` must provide ``probs_hessian``.

    Returns
    -------
    ndarray, shape (n_params, n_params)
    """
    H = _validate_H(H)
    m, pi_t, pi, mode = _pair(mdp, param, theta_t, theta, mode)
    exact = mode == EXACT
    c = _state_action_weights(m, pi_t, H, mu, exact, method, max_trajectories)
    _check_support(c, pi)
    th = theta_t if theta is None else theta
    sc = _score_at(m, param, th, mode)
    S, A, n = sc.shape
    hp = np.asarray(param.probs_hessian(th))
    if hp.shape != (S, A, n, n):
        raise InvalidParameterError(f"probs_hessian must have shape (S, A, n, n) = ({S}, {A}, {n}, {n}); got {hp.shape}")
    hp = exact_array(hp, name="probs_hessian") if exact else float_array(hp, name="probs_hessian")
    live = c != 0
    one = Fraction(1) if exact else 1.0
    w_h = np.where(live, c / np.where(live, pi, one), 0 * one)  # c / pi on the support
    out = -(w_h.reshape(-1)[:, None] * hp.reshape(S * A, n * n)).sum(axis=0).reshape(n, n)
    X = sc.reshape(S * A, n)
    if exact:
        out = out + from_fmpq_mat(to_fmpq_mat(c.reshape(-1)[:, None] * X).transpose() * to_fmpq_mat(X))
    else:
        out = out + (X * c.reshape(-1)[:, None]).T @ X
    return out


def trajectory_fisher(mdp, param, theta, H, *, mu=None, mode=None) -> np.ndarray:
    r"""Summed Fisher information over a horizon (the right-hand side of AJKS Claim 12.5).

    .. math::

        \sum_{h<H}\mathbb{E}_{s_h\sim\Pr^\theta}\mathbb{E}_{a\sim\pi_\theta(\cdot|s_h)}
        \left[\nabla\log\pi_\theta(a|s_h)\,\nabla\log\pi_\theta(a|s_h)^\top\right]

    with the state distributions propagated by :func:`horizon_state_distributions`
    (statement G2: :math:`H` times the Fisher matrix of the average visitation).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta : array_like, shape (n_params,)
    H : int
    mu : array_like, shape (S,), optional, keyword-only
    mode : {"float", "exact"}, optional, keyword-only

    Returns
    -------
    ndarray, shape (n_params, n_params)
    """
    H = _validate_H(H)
    m, pi, _, mode = _pair(mdp, param, theta, None, mode)
    p = horizon_state_distributions(m, pi, H, mu=mu).sum(axis=0)
    sc = _score_at(m, param, theta, mode)
    S, A, n = sc.shape
    X = sc.reshape(S * A, n)
    w = (p[:, None] * pi).reshape(-1)
    if mode == EXACT:
        return from_fmpq_mat(to_fmpq_mat(w[:, None] * X).transpose() * to_fmpq_mat(X))
    return (X * w[:, None]).T @ X
