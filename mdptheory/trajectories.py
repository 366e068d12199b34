r"""Exact truncated-horizon trajectory expectations: REINFORCE against :math:`\nabla V_T`.

REINFORCE (AJKS Thm 9.4, statement B1) has an infinite sum; over a horizon
:math:`T` it becomes checkable exactly.  With
:math:`R_T = \sum_{t<T}\gamma^t r(s_t, a_t)`, :math:`s_0\sim\mu`,
:math:`a_t\sim\pi(\cdot|s_t)`, :math:`s_{t+1}\sim P(\cdot|s_t,a_t)`:

.. math::

    V_T(\mu) = E[R_T] = \sum_{t<T}\gamma^t\mu^\top(P^\pi)^t r^\pi,

    \nabla V_T(\mu) = E\Big[R_T\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big]
      = E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\sum_{u=t}^{T-1}\gamma^u r(s_u,a_u)\Big]
      = E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big(\sum_{u=t}^{T-1}\gamma^u r(s_u,a_u) - \gamma^t b(s_t)\Big)\Big]

(the full-return, reward-to-go (Lemma 9.7, statement B3) and baseline (Lemma 9.9,
statement B2) estimators).  :func:`pg_reinforce_truncated` computes the chosen
expectation either by literally enumerating every trajectory of positive
probability (``method="enumerate"``, the reference for tiny problems) or by
dynamic programming (``method="dp"``, see the function for what exactly is
propagated).  :func:`truncated_value_gradient` differentiates the finite sum
directly (forward recursion on :math:`V_k` and :math:`\partial V_k`, using the
Jacobian :math:`\nabla\pi`, not the score) — an independent route, so
``REINFORCE_T == grad V_T`` can be checked exactly in rationals.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .evaluation import policy_matrices
from .exceptions import InvalidParameterError
from .fields import EXACT, exact_array
from .gradients import _as_output, _prepare

__all__ = [
    "enumerate_trajectories",
    "truncated_value",
    "truncated_value_gradient",
    "pg_reinforce_truncated",
    "REINFORCE_ESTIMATORS",
]

#: Estimators of :func:`pg_reinforce_truncated`.
REINFORCE_ESTIMATORS = ("total", "reward_to_go", "baseline")


def _check_T(T):
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise InvalidParameterError(f"horizon T must be a non-negative integer; got {T!r}")
    return int(T)


def _start(mdp, mu, mode):
    S = mdp.n_states
    if mu is None:
        mu = mdp.rho
    if mode == EXACT:
        m = exact_array(np.asarray(mu, dtype=object), name="mu")
        ok = m.shape == (S,) and all(x >= 0 for x in m) and sum(m, Fraction(0)) == 1
    else:
        m = np.asarray(mu, dtype=np.float64)
        ok = m.shape == (S,) and np.all(np.isfinite(m)) and np.all(m >= 0) and abs(m.sum() - 1) <= 1e-9
    if not ok:
        raise InvalidParameterError(f"mu must be a probability distribution of shape ({S},)")
    return m


def enumerate_trajectories(mdp, pi, T, *, mu=None, max_trajectories: int = 1_000_000):
    r"""Every trajectory :math:`(s_0, a_0, \ldots, s_{T-1}, a_{T-1})` of positive probability.

    .. math::

        \Pr(\tau) = \mu(s_0)\prod_{t<T}\pi(a_t|s_t)\prod_{t<T-1}P(s_{t+1}|s_t, a_t)

    Parameters
    ----------
    mdp : MDP
    pi : ndarray, shape (S, A)
        In the MDP's field (Fractions for exact MDPs).
    T : int
    mu : array_like, optional, keyword-only
    max_trajectories : int, keyword-only
        Guard against combinatorial explosion.

    Returns
    -------
    list of (states, actions, probability)
        ``states`` and ``actions`` are tuples of length ``T``; the
        probabilities sum to 1 (exactly, in exact mode).

    Raises
    ------
    InvalidParameterError
        If more than ``max_trajectories`` trajectories have positive probability.
    """
    T = _check_T(T)
    mode = EXACT if mdp.is_exact else "float"
    m = _start(mdp, mu, mode)
    P = mdp.P_dense()
    S, A = mdp.n_states, mdp.n_actions
    one = Fraction(1) if mode == EXACT else 1.0
    if T == 0:
        return [((), (), one)]
    frontier = [((s,), (), m[s]) for s in range(S) if m[s] > 0]
    out = []
    while frontier:
        states, actions, p = frontier.pop()
        s = states[-1]
        for a in range(A):
            pa = p * pi[s, a]
            if not pa > 0:
                continue
            acts = actions + (a,)
            if len(acts) == T:
                out.append((states, acts, pa))
                if len(out) > max_trajectories:
                    raise InvalidParameterError(f"more than max_trajectories = {max_trajectories} trajectories; "
                                                "use method='dp'")
                continue
            for t in range(S):
                pt = pa * P[s, a, t]
                if pt > 0:
                    frontier.append((states + (t,), acts, pt))
                    if len(frontier) > max_trajectories:
                        raise InvalidParameterError(f"more than max_trajectories = {max_trajectories} partial "
                                                    "trajectories; use method='dp'")
    return out


def truncated_value(mdp, param, theta, T, *, mu=None, mode=None):
    r""":math:`V_T(\mu) = \sum_{t<T}\gamma^t\mu^\top(P^\pi)^t r^\pi` (Fraction in exact mode)."""
    T = _check_T(T)
    st = _prepare(mdp, param, theta, mode, evaluate_policy=False)
    m = _start(st.mdp, mu, st.mode)
    P_pi, r_pi = policy_matrices(st.mdp, st.pi)
    V = r_pi * 0
    for _ in range(T):
        V = r_pi + st.gamma * (P_pi @ V)
    val = m @ V
    return Fraction(val) if st.mode == EXACT else float(val)


def truncated_value_gradient(mdp, param, theta, T, *, mu=None, mode=None) -> np.ndarray:
    r""":math:`\nabla_\theta V_T(\mu)` by differentiating the finite sum (statement B1).

    Forward recursion from :math:`V_0 = 0`, :math:`\partial V_0 = 0`:

    .. math::

        V_{k+1} = r^\pi + \gamma P^\pi V_k, \qquad
        \partial V_{k+1}(s) = \sum_a\partial\pi(a|s)\big(r(s,a) + \gamma (P V_k)(s,a)\big)
            + \gamma (P^\pi\,\partial V_k)(s),

    returning :math:`\mu^\top\partial V_T`.  Uses the Jacobian of the
    parameterization (``jacobian_dot_actions``), never the score or any
    trajectory: an independent route to the quantity REINFORCE estimates.

    Returns
    -------
    ndarray, shape (n_params,)
    """
    T = _check_T(T)
    st = _prepare(mdp, param, theta, mode, evaluate_policy=False)
    m = _start(st.mdp, mu, st.mode)
    fm = st.mdp
    S, A, n = fm.n_states, fm.n_actions, param.n_params
    P_pi, r_pi = policy_matrices(fm, st.pi)
    Pm = fm.P_matrix()
    zero = Fraction(0) if st.mode == EXACT else 0.0
    V = np.full(S, zero, dtype=object if st.mode == EXACT else float)
    X = np.full((S, n), zero, dtype=object if st.mode == EXACT else float)
    for _ in range(T):
        c = fm.r + st.gamma * np.asarray(Pm @ V).reshape(S, A)
        X = np.asarray(param.jacobian_dot_actions(st.theta, c)) + st.gamma * np.asarray(P_pi @ X)
        V = r_pi + st.gamma * np.asarray(P_pi @ V)
    return _as_output(m @ X, st.mode)


def pg_reinforce_truncated(mdp, param, theta, T, *, mu=None, estimator: str = "total", baseline=None,
                           method: str = "dp", mode=None, max_trajectories: int = 1_000_000) -> np.ndarray:
    r"""Exact expectation of a truncated REINFORCE estimator (AJKS Thm 9.4, Lemmas 9.7, 9.9).

    .. math::

        \text{total:}\quad & E\Big[R_T\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big],
            \qquad R_T = \sum_{t<T}\gamma^t r(s_t,a_t) \\
        \text{reward\_to\_go:}\quad & E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\sum_{u=t}^{T-1}\gamma^u r(s_u,a_u)\Big] \\
        \text{baseline:}\quad & E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)
            \Big(\sum_{u=t}^{T-1}\gamma^u r(s_u,a_u) - \gamma^t b(s_t)\Big)\Big]

    All three equal :math:`\nabla V_T(\mu)` (:func:`truncated_value_gradient`)
    when the score has zero mean under :math:`\pi` (softmax types; direct
    parameterization on the simplex).

    Parameters
    ----------
    mdp : MDP
    param : Parameterization
    theta : array_like or LogRational
    T : int
        Horizon (number of actions taken).
    mu : array_like, optional, keyword-only
    estimator : {"total", "reward_to_go", "baseline"}, keyword-only
    baseline : array_like, shape (S,), keyword-only
        :math:`b(s)`, required for ``estimator="baseline"`` (exact rationals in exact mode).
    method : {"dp", "enumerate"}, keyword-only
        ``"enumerate"``: sum over every trajectory of positive probability
        (:func:`enumerate_trajectories`) of probability times the estimator —
        literal, exponential in ``T``.  ``"dp"``: for ``"total"``, a forward
        recursion over states carrying the moments
        :math:`E[\mathbf{1}\{s_t=s\}]`, :math:`E[R_{<t}\mathbf{1}\{s_t=s\}]`,
        :math:`E[G_{<t}\mathbf{1}\{s_t=s\}]` and :math:`E[R_{<t}G_{<t}\mathbf{1}\{s_t=s\}]`
        (:math:`G` the accumulated score), updated with
        :math:`(R + \gamma^t r)(G + g) = RG + Rg + \gamma^t rG + \gamma^t rg`;
        for ``"reward_to_go"``/``"baseline"``, the tower rule
        :math:`\sum_t\sum_{s,a}\Pr(s_t=s)\pi(a|s)\nabla\log\pi(a|s)(\gamma^t Q_{T-t}(s,a) - \gamma^t b(s))`
        with the finite-horizon :math:`Q_k = r + \gamma P V_{k-1}`,
        :math:`V_k = \sum_a\pi Q_k`.  Cost O(T S^2 A n).
    mode : {"float", "exact"}, optional, keyword-only

    Returns
    -------
    ndarray, shape (n_params,)
    """
    T = _check_T(T)
    if estimator not in REINFORCE_ESTIMATORS:
        raise InvalidParameterError(f"estimator must be one of {REINFORCE_ESTIMATORS}; got {estimator!r}")
    if method not in ("dp", "enumerate"):
        raise InvalidParameterError(f"method must be 'dp' or 'enumerate'; got {method!r}")
    st = _prepare(mdp, param, theta, mode, evaluate_policy=False)
    fm, exact = st.mdp, st.mode == EXACT
    S, A, n = fm.n_states, fm.n_actions, param.n_params
    m = _start(fm, mu, st.mode)
    g = st.gamma
    if estimator == "baseline":
        if baseline is None:
            raise InvalidParameterError("estimator='baseline' needs baseline b(s), shape (S,)")
        b = exact_array(np.asarray(baseline, dtype=object), name="baseline") if exact \
            else np.asarray(baseline, dtype=np.float64)
        if b.shape != (S,):
            raise InvalidParameterError(f"baseline must have shape ({S},); got {b.shape}")
    else:
        b = None
    score = np.asarray(param.score(st.theta))
    pi = st.pi
    zero = Fraction(0) if exact else 0.0
    dtype = object if exact else float
    P = fm.P_dense()
    r = fm.r

    if method == "enumerate":
        total = np.full(n, zero, dtype=dtype)
        for states, actions, p in enumerate_trajectories(fm, pi, T, mu=m, max_trajectories=max_trajectories):
            disc = [g ** t * r[s, a] for t, (s, a) in enumerate(zip(states, actions))]
            scores = [score[s, a] for s, a in zip(states, actions)]
            if estimator == "total":
                est = sum(disc, zero) * sum(scores, np.full(n, zero, dtype=dtype))
            else:
                est = np.full(n, zero, dtype=dtype)
                for t in range(T):
                    togo = sum(disc[t:], zero)
                    if b is not None:
                        togo = togo - g ** t * b[states[t]]
                    est = est + scores[t] * togo
            total = total + p * est
        return _as_output(total, st.mode)

    if estimator == "total":
        p = m.astype(dtype)
        rho = np.full(S, zero, dtype=dtype)
        mm = np.full((S, n), zero, dtype=dtype)
        cc = np.full((S, n), zero, dtype=dtype)
        result = np.full(n, zero, dtype=dtype)
        for t in range(T):
            gt = g ** t
            rr = gt * r                                  # (S, A) discounted reward at time t
            pa = p[:, None] * pi                         # Pr(s_t = s, a_t = a)
            rho_a = (rho[:, None] + p[:, None] * rr) * pi
            m_a = (mm[:, None, :] + p[:, None, None] * score) * pi[:, :, None]
            c_a = (cc[:, None, :] + rho[:, None, None] * score + rr[:, :, None] * mm[:, None, :]
                   + (p[:, None] * rr)[:, :, None] * score) * pi[:, :, None]
            if t == T - 1:
                result = c_a.sum(axis=(0, 1))
                break
            p = np.einsum("sa,sat->t", pa, P)
            rho = np.einsum("sa,sat->t", rho_a, P)
            mm = np.einsum("sai,sat->ti", m_a, P)
            cc = np.einsum("sai,sat->ti", c_a, P)
        return _as_output(result, st.mode)

    # reward-to-go / baseline: tower rule with finite-horizon Q_k
    Qs = [None] * (T + 1)  # Qs[k] = Q_k, k steps to go
    V = np.full(S, zero, dtype=dtype)
    for k in range(1, T + 1):
        Qk = r + g * np.einsum("sat,t->sa", P, V)
        Qs[k] = Qk
        V = (pi * Qk).sum(axis=1)
    result = np.full(n, zero, dtype=dtype)
    p = m.astype(dtype)
    for t in range(T):
        adv = Qs[T - t] if b is None else Qs[T - t] - b[:, None]
        C = (g ** t) * p[:, None] * pi * adv
        result = result + np.einsum("sai,sa->i", score, C)
        p = np.einsum("sa,sat->t", p[:, None] * pi, P)
    return _as_output(result, st.mode)
