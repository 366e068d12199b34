r"""Second routes for the checkers: values, visitations and gradients computed here, not by the library.

A checker compares two sides that share nothing computed except the MDP and
the policy (or its parameters).  The library computes :math:`V^\pi`,
:math:`Q^\pi` and :math:`d_\mu^\pi` from one factorization of
:math:`I - \gamma P^\pi` (:func:`mdptheory.evaluate`, the visitation by the
transposed solve), and :func:`mdptheory.gradients.value_gradient` takes its
adjoint weights from that visitation.  The helpers below give the other side
its own route, from the MDP's arrays and a generic dense linear solve
(``numpy.linalg.solve`` in float, FLINT's exact ``fmpq_mat.solve`` on
rationals), never through :func:`~mdptheory.evaluate`:

.. math::

    M &= I - \gamma P^\pi, \qquad P^\pi[s, t] = \sum_a\pi(a|s)P(t|s,a), \\
    V &= M^{-1} r^\pi, \qquad
    d_\mu^\top = (1-\gamma)\,\mu^\top M^{-1}
      \quad\text{(forward solves with the identity as right-hand sides)}, \\
    \nabla_\theta V(\mu) &= \mu^\top M^{-1} G, \qquad
      G[s, i] = \sum_a \partial_i\pi(a|s)\Big(r(s,a) + \gamma\sum_t P(t|s,a)V(t)\Big)

(the forward multi-right-hand-side solve of the differentiated Bellman
system; no transposed solve, no visitation, no score, no :math:`Q` from the
library).  Float results carry the usual rounding; the checkers' tolerances
(:func:`~mdptheory.lemmas.framework.report.float_tolerance`) cover it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...fields import exact_array, from_fmpq_mat, to_fmpq_mat

__all__ = [
    "system_matrix",
    "solve_system",
    "values_direct",
    "q_direct",
    "visitation_direct",
    "gradient_direct",
    "jacobian_direct",
    "hessian_vector_direct",
    "confirm_visitation",
    "confirm_values",
    "confirm_gradient_norms",
    "score_direct",
    "gradient_own_score",
    "compatible_normal_equations",
    "trajectories_direct",
]


def _exact(mode):
    return mode == "exact"


def _P(m):
    return np.asarray(m.P_dense(), dtype=object if m.is_exact else float)


def _spread(x, S, A):
    r"""The (S, S*A) matrix with ``x[s, a]`` at ``[s, s*A + a]`` (an ``fmpq_mat``): row-wise sums over actions."""
    from flint import fmpq_mat

    M = fmpq_mat(S, S * A)
    for s in range(S):
        for a in range(A):
            v = x[s, a]
            if v != 0:
                M[s, s * A + a] = _q(v)
    return M


def _q(v):
    from flint import fmpq

    v = Fraction(v)
    return fmpq(v.numerator, v.denominator)


def _sparse_fmpq(X):
    """A 2-D array of rationals as an ``fmpq_mat``, converting only its nonzero entries."""
    from flint import fmpq_mat

    M = fmpq_mat(X.shape[0], X.shape[1])
    for i, j in zip(*np.nonzero(X != 0)):
        M[int(i), int(j)] = _q(X[i, j])
    return M


def _solve_many(M, B):
    r""":math:`M^{-1}B` for an ``fmpq_mat`` ``B`` by forward solves, the same exact rationals either way.

    With more right-hand sides than rows, FLINT's ``fmpq_mat.solve`` of all of
    them costs several times the columns of :math:`M^{-1}` (the identity as
    right-hand side) followed by one product; below that, one solve of ``B``.
    """
    S = M.nrows()
    if B.ncols() <= S:
        return M.solve(B)
    from flint import fmpq_mat

    return M.solve(fmpq_mat(S, S, [1 if i == j else 0 for i in range(S) for j in range(S)])) * B


def _exact_system(m, pi):
    r"""``(M, Pm)``: :math:`I - \gamma P^\pi` and ``P`` as (S*A, S), both ``fmpq_mat``."""
    from flint import fmpq_mat

    S, A = m.n_states, m.n_actions
    Pm = _sparse_fmpq(np.asarray(m.P_dense(), dtype=object).reshape(S * A, S))
    pi = exact_array(np.asarray(pi, dtype=object), name="pi")
    P_pi = _spread(pi, S, A) * Pm
    I = fmpq_mat(S, S, [1 if i == j else 0 for i in range(S) for j in range(S)])
    return I - _q(m.gamma) * P_pi, Pm


def system_matrix(m, pi, mode):
    r""":math:`I - \gamma P^\pi` (S, S), formed from ``m.P`` and ``pi`` here."""
    if _exact(mode):
        return from_fmpq_mat(_exact_system(m, pi)[0])
    S = m.n_states
    P_pi = np.einsum("sa,sat->st", np.asarray(pi, dtype=float), np.asarray(_P(m), dtype=float))
    return np.eye(S) - float(m.gamma) * P_pi


def solve_system(M, B, mode):
    """``M^{-1} B`` (B of shape (S,) or (S, k)) by a generic dense solve: FLINT exact or LAPACK."""
    B = np.asarray(B, dtype=object if _exact(mode) else float)
    if _exact(mode):
        X = to_fmpq_mat(M).solve(to_fmpq_mat(B))
        return from_fmpq_mat(X, B.shape)
    return np.linalg.solve(np.asarray(M, dtype=float), B)


def _exact_values(m, pi):
    S, A = m.n_states, m.n_actions
    M, Pm = _exact_system(m, pi)
    r = exact_array(np.asarray(m.r, dtype=object), name="r")
    pi = exact_array(np.asarray(pi, dtype=object), name="pi")
    r_pi = _spread(pi, S, A) * to_fmpq_mat(r.reshape(-1))
    V = M.solve(r_pi)
    return M, Pm, V


def _exact_q(m, Pm, V):
    S, A = m.n_states, m.n_actions
    r = exact_array(np.asarray(m.r, dtype=object), name="r")
    return to_fmpq_mat(r.reshape(-1)) + _q(m.gamma) * (Pm * V)  # (S*A, 1)


def values_direct(m, pi, mode):
    r""":math:`V^\pi = (I - \gamma P^\pi)^{-1} r^\pi`, shape (S,)."""
    if _exact(mode):
        return from_fmpq_mat(_exact_values(m, pi)[2], (m.n_states,))
    M = system_matrix(m, pi, mode)
    r = np.asarray(m.r, dtype=float)
    return solve_system(M, (np.asarray(pi, dtype=float) * r).sum(axis=1), mode)


def q_direct(m, pi, mode, V=None):
    r""":math:`Q^\pi = r + \gamma P V^\pi`, shape (S, A), from :func:`values_direct` (or the given ``V``)."""
    S, A = m.n_states, m.n_actions
    if _exact(mode):
        if V is None:
            _, Pm, Vq = _exact_values(m, pi)
        else:
            Pm = to_fmpq_mat(np.asarray(m.P_dense(), dtype=object).reshape(S * A, S))
            Vq = to_fmpq_mat(exact_array(np.asarray(V, dtype=object), name="V"))
        return from_fmpq_mat(_exact_q(m, Pm, Vq), (S, A))
    V = values_direct(m, pi, mode) if V is None else V
    return np.asarray(m.r, dtype=float) + float(m.gamma) * np.asarray(_P(m), dtype=float) @ np.asarray(V, dtype=float)


def visitation_direct(m, pi, mu, mode):
    r""":math:`d_\mu^\pi = (1-\gamma)\mu^\top(I - \gamma P^\pi)^{-1}` by forward solves (columns of the inverse)."""
    S = m.n_states
    if _exact(mode):
        from flint import fmpq_mat

        M, _ = _exact_system(m, pi)
        Minv = M.solve(fmpq_mat(S, S, [1 if i == j else 0 for i in range(S) for j in range(S)]))
        mu = exact_array(np.asarray(mu, dtype=object), name="mu")
        row = to_fmpq_mat(mu).transpose() * Minv
        return (1 - m.gamma) * from_fmpq_mat(row, (S,))
    M = system_matrix(m, pi, mode)
    Minv = solve_system(M, np.eye(S), mode)
    return (1.0 - float(m.gamma)) * (np.asarray(mu, dtype=float) @ Minv)


def _jacobian_exact(m, param, theta):
    S, A = m.n_states, m.n_actions
    pi = param.probs(theta)
    M, Pm, V = _exact_values(m, pi)
    c = from_fmpq_mat(_exact_q(m, Pm, V), (S, A))
    J = exact_array(np.asarray(param.jacobian(theta), dtype=object), name="jacobian")
    n = J.shape[2]
    G = _spread(c, S, A) * _sparse_fmpq(J.reshape(S * A, n))
    return _solve_many(M, G)  # (S, n)


def jacobian_direct(m, param, theta, mode):
    r""":math:`\partial V(s)/\partial\theta_i` (S, n) by the forward multi-right-hand-side solve."""
    if _exact(mode):
        X = _jacobian_exact(m, param, theta)
        return from_fmpq_mat(X)
    pi = param.probs(theta)
    V = values_direct(m, pi, mode)
    c = q_direct(m, pi, mode, V)
    J = np.asarray(param.jacobian(theta), dtype=float)
    G = np.einsum("sai,sa->si", J, np.asarray(c, dtype=float))
    return solve_system(system_matrix(m, pi, mode), G, mode)


def gradient_direct(m, param, theta, mu, mode):
    r""":math:`\nabla_\theta V(\mu) = \mu^\top\,\partial V/\partial\theta`, shape (n,) (see :func:`jacobian_direct`)."""
    if _exact(mode):
        X = _jacobian_exact(m, param, theta)
        mu = exact_array(np.asarray(mu, dtype=object), name="mu")
        return from_fmpq_mat(to_fmpq_mat(mu).transpose() * X, (X.ncols(),))
    return np.asarray(mu, dtype=float) @ jacobian_direct(m, param, theta, mode)


def hessian_vector_direct(m, param, theta, mu, u, mode):
    r""":math:`\nabla^2_\theta V(\mu)\,u` by forward-mode differentiation of :func:`gradient_direct` (a jet).

    Every quantity of :func:`jacobian_direct` is carried with its derivative
    along :math:`u` (dual numbers :math:`x + \epsilon x_1`,
    :math:`\epsilon^2 = 0`): :math:`\pi_1 = \nabla\pi\,u`,
    :math:`(\nabla\pi)_1 = \nabla^2\pi\,u` (the parameterization's
    ``probs_hessian``), and

    .. math::

        V_1 = M^{-1}\big(r^{\pi_1} + \gamma P^{\pi_1}V\big),\quad
        c_1 = \gamma P V_1,\quad
        G_1 = (\nabla\pi)_1\cdot c + \nabla\pi\cdot c_1,\quad
        X_1 = M^{-1}\big(G_1 + \gamma P^{\pi_1}X\big),\quad
        \nabla^2V(\mu)\,u = \mu^\top X_1,

    exact in rationals at exact points.  Independent of
    :func:`mdptheory.derivatives.value_hessian` (no symmetrisation, no adjoint).
    """
    S, A = m.n_states, m.n_actions
    pi = param.probs(theta)
    if _exact(mode):
        J = exact_array(np.asarray(param.jacobian(theta), dtype=object), name="jacobian")
        Hp = exact_array(np.asarray(param.probs_hessian(theta), dtype=object), name="probs_hessian")
        u = exact_array(np.asarray(u, dtype=object), name="u")
        n = J.shape[2]
        pi1 = np.einsum("sai,i->sa", J, u)
        J1 = np.einsum("saij,j->sai", Hp, u)
        M, Pm, V = _exact_values(m, pi)
        c = from_fmpq_mat(_exact_q(m, Pm, V), (S, A))
        r = exact_array(np.asarray(m.r, dtype=object), name="r")
        g = _q(m.gamma)
        Pi1 = _spread(pi1, S, A)
        P1 = Pi1 * Pm  # P^{pi_1}
        V1 = M.solve(Pi1 * to_fmpq_mat(r.reshape(-1)) + g * (P1 * V))
        c1 = from_fmpq_mat(g * (Pm * V1), (S, A))
        X = _solve_many(M, _spread(c, S, A) * _sparse_fmpq(J.reshape(S * A, n)))
        G1 = _spread(c, S, A) * _sparse_fmpq(J1.reshape(S * A, n)) + _spread(c1, S, A) * _sparse_fmpq(
            J.reshape(S * A, n))
        X1 = _solve_many(M, G1 + g * (P1 * X))
        mu = exact_array(np.asarray(mu, dtype=object), name="mu")
        return from_fmpq_mat(to_fmpq_mat(mu).transpose() * X1, (n,))
    J = np.asarray(param.jacobian(theta), dtype=float)
    Hp = np.asarray(param.probs_hessian(theta), dtype=float)
    u = np.asarray(u, dtype=float)
    g = float(m.gamma)
    P = np.asarray(_P(m), dtype=float)
    r = np.asarray(m.r, dtype=float)
    pi1 = np.einsum("sai,i->sa", J, u)
    J1 = np.einsum("saij,j->sai", Hp, u)
    M = system_matrix(m, pi, mode)
    V = np.linalg.solve(M, (np.asarray(pi, dtype=float) * r).sum(axis=1))
    c = r + g * P @ V
    P1 = np.einsum("sa,sat->st", pi1, P)
    V1 = np.linalg.solve(M, (pi1 * r).sum(axis=1) + g * P1 @ V)
    c1 = g * P @ V1
    X = np.linalg.solve(M, np.einsum("sai,sa->si", J, c))
    G1 = np.einsum("sai,sa->si", J1, c) + np.einsum("sai,sa->si", J, c1)
    X1 = np.linalg.solve(M, G1 + g * P1 @ X)
    return np.asarray(mu, dtype=float) @ X1


def confirm_visitation(rep, m, pi, mu, d_lib, mode, *, what="d"):
    r"""Record that the library's visitation ``d_lib`` used by a checker equals :func:`visitation_direct`.

    A checker whose bound or constant is built from :meth:`PolicyEvaluation.visitation`
    (the transposed solve) confirms it here by the forward solves, as an
    identity part of the report, so that a wrong visitation changes the
    verdict even where the bound has room to spare.  Returns ``d_lib``.
    """
    from .report import float_tolerance

    d_own = visitation_direct(m, pi, mu, mode)
    tol = None
    if mode != "exact":
        tol, _ = float_tolerance(m, 1.0, order=1)
    rep.identity(f"{what}: library visitation (transposed solve) = forward solves formed here",
                 np.asarray(d_lib, dtype=object if mode == "exact" else float),
                 np.asarray(d_own, dtype=object if mode == "exact" else float), tol=tol)
    return d_lib


def confirm_values(rep, m, policies, values, mode, *, mu=None, what="V"):
    r"""Record that library values a checker uses equal :func:`values_direct` of the same policies.

    ``values[k]`` is :math:`V^{\pi_k}` (shape (S,)) or, with ``mu``, the
    scalar :math:`V^{\pi_k}(\mu)` — as :func:`mdptheory.evaluate` or an
    algorithm's trace reported them.  A bound, rate or improvement with room
    to spare would not notice a small error in them; the identity part added
    here (exact in rationals; float tolerance of order 1 at the scale
    :math:`\max|r|/(1-\gamma)`) does.  Returns the values computed here.
    """
    from .report import float_tolerance

    exact = _exact(mode)
    own = [values_direct(m, p, mode) for p in policies]
    if mu is not None:
        muv = np.asarray(mu, dtype=object if exact else float)
        own = [(muv * v).sum() for v in own]
    dt = object if exact else float
    own = np.array(own, dtype=dt)
    tol = None
    if not exact:
        rmax = float(np.max(np.abs(np.asarray(m.r, dtype=float)))) if m.n_states else 0.0
        tol, _ = float_tolerance(m, rmax / (1 - float(m.gamma)) + 1.0, order=1)
    rep.identity(f"{what}: library values = forward solves formed here", np.array(list(values), dtype=dt).reshape(
        own.shape), own, tol=tol)
    return own


def confirm_gradient_norms(rep, m, param, thetas, mu, norms, *, what="||grad V(mu)|| recorded by the run"):
    r"""Record that gradient norms a run recorded (float) equal :math:`\|\nabla V(\mu)\|` by :func:`gradient_direct`.

    Rate checkers read the norms from the algorithm's trace, where the library
    gradient (adjoint weights from the visitation) produced them; an
    inequality with room to spare would not notice a wrong gradient.  The
    norms at every recorded iterate are compared here, tolerance of order 2.
    """
    from .report import float_tolerance

    own = np.array([float(np.linalg.norm(np.asarray(gradient_direct(m, param, np.asarray(th, dtype=float), mu,
                                                                    "float"), dtype=float)))
                    for th in thetas], dtype=float)
    rmax = float(np.max(np.abs(np.asarray(m.r, dtype=float)))) if m.n_states else 0.0
    tol, _ = float_tolerance(m, rmax / (1 - float(m.gamma)) ** 2 + 1.0, order=2)
    rep.identity(f"{what} = ||grad V(mu)|| by forward solves formed here", np.asarray(norms, dtype=float), own,
                 tol=tol)
    return own


# --- algorithm runs of section I ---
# Routes for the Neural PPO/TRPO checkers (section I): the quantities an algorithm run records (its policies'
# normalised action values, the objective E_(nu*) V~, the KL it moved) and the optimality of pi*, recomputed
# here from the MDP's arrays and the recorded policies.
__all__ += ["transition_matrix_direct", "optimality_gap_direct", "kl_moved_direct"]


def transition_matrix_direct(m, pi, mode):
    r""":math:`P^\pi[s, t] = \sum_a\pi(a|s)P(t|s,a)`, shape (S, S), formed from ``m.P`` and ``pi`` here."""
    if _exact(mode):
        S, A = m.n_states, m.n_actions
        pi = exact_array(np.asarray(pi, dtype=object), name="pi")
        Pm = _sparse_fmpq(np.asarray(m.P_dense(), dtype=object).reshape(S * A, S))
        return from_fmpq_mat(_spread(pi, S, A) * Pm)
    return np.einsum("sa,sat->st", np.asarray(pi, dtype=float), np.asarray(_P(m), dtype=float))


def optimality_gap_direct(m, pi, mode):
    r"""``(V, Q, gap)``: :math:`V^\pi`, :math:`Q^\pi` by :func:`values_direct`/:func:`q_direct` and

    .. math::

        \mathrm{gap}(s) = \max_a Q^\pi(s,a) - V^\pi(s) \;\ge 0,

    which vanishes at every state if and only if :math:`\pi` is optimal (the
    Bellman optimality equation for :math:`V^\pi`).  Exact in rationals.
    """
    V = values_direct(m, pi, mode)
    Q = q_direct(m, pi, mode, V)
    S = m.n_states
    best = np.array([max(Q[s, a] for a in range(m.n_actions)) for s in range(S)],
                    dtype=object if _exact(mode) else float)
    return V, Q, best - V


def kl_moved_direct(m, pi_next, pi, mu):
    r""":math:`\mathbb E_{s\sim d_\mu^\pi}\mathrm{KL}(\pi'(\cdot|s)\,\|\,\pi(\cdot|s))` (float), ``d`` by :func:`visitation_direct`.

    The per-state KL is summed here from the two policies
    (:math:`0\log 0 = 0`); the weights are the discounted visitation of the
    old policy ``pi`` from ``mu`` by forward solves.  Returns ``(kl, d)``.
    """
    p = np.asarray(pi_next, dtype=float)
    q = np.asarray(pi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / np.where(q > 0, q, 1.0)), 0.0)
    d = visitation_direct(m, pi, mu, "float")
    return float(d @ terms.sum(axis=1)), d


# --- the score, the compatible regression and trajectories, formed without the parameterization's code ---
def score_direct(param, theta, mode):
    r""":math:`\nabla_\theta\log\pi_\theta(a|s)`, shape (S, A, n), without the parameterization's score or Jacobian.

    Float: the complex-step derivative of the log-probabilities,
    :math:`\partial_i\log\pi = \operatorname{Im}\log\pi_{\theta + \mathrm{i}h e_i}/h`
    (:math:`h = 10^{-30}`, no cancellation: exact to rounding), which uses only
    the energy :math:`f_\theta` of the parameterization.  Exact (rational
    points of a tabular-softmax or log-linear policy): the definition
    :math:`(\phi(s,a) - \sum_b\pi(b|s)\phi(s,b))/\tau` with :math:`\phi` the
    stored features (the one-hot pairs for the tabular softmax), never the
    energy Jacobian.
    """
    from ...exceptions import InvalidParameterError

    S, A = param.n_states, param.n_actions
    if _exact(mode):
        pi = exact_array(np.asarray(param.probs(theta), dtype=object), name="pi")
        feats = getattr(param, "_phi_exact", None)
        if feats is None and getattr(param, "features", None) is None and param.n_params == S * A:
            feats = np.eye(S * A, dtype=int).astype(object).reshape(S, A, S * A) * Fraction(1)
        if feats is None:
            raise InvalidParameterError(
                f"score_direct needs rational features for exact mode; {type(param).__name__} has none")
        phi = exact_array(np.asarray(feats, dtype=object), name="features")
        mean = (pi[:, :, None] * phi).sum(axis=1)
        return (phi - mean[:, None, :]) / Fraction(param.temperature)
    th = np.asarray(param.float_theta(theta), dtype=float)
    n = th.shape[0]
    h = 1e-30
    out = np.empty((S, A, n))
    for i in range(n):
        z = th.astype(complex)
        z[i] += 1j * h
        out[:, :, i] = np.imag(np.asarray(param.log_probs(z))) / h
    return out


def gradient_own_score(m, param, theta, mu, mode):
    r""":math:`\nabla_\theta V(\mu) = \mu^\top M^{-1}G` as :func:`gradient_direct`, with
    :math:`\nabla\pi = \pi\,\nabla\log\pi` from :func:`score_direct` (not the parameterization's Jacobian)."""
    S, A = m.n_states, m.n_actions
    sc = score_direct(param, theta, mode)
    if _exact(mode):
        pi = exact_array(np.asarray(param.probs(theta), dtype=object), name="pi")
        J = pi[:, :, None] * sc
        n = J.shape[2]
        M, Pm, V = _exact_values(m, pi)
        c = from_fmpq_mat(_exact_q(m, Pm, V), (S, A))
        X = M.solve(_spread(c, S, A) * _sparse_fmpq(J.reshape(S * A, n)))
        mu = exact_array(np.asarray(mu, dtype=object), name="mu")
        return from_fmpq_mat(to_fmpq_mat(mu).transpose() * X, (n,))
    pi = np.asarray(param.probs(param.float_theta(theta)), dtype=float)
    J = pi[:, :, None] * sc
    V = values_direct(m, pi, mode)
    c = q_direct(m, pi, mode, V)
    G = np.einsum("sai,sa->si", J, np.asarray(c, dtype=float))
    return np.asarray(mu, dtype=float) @ solve_system(system_matrix(m, pi, mode), G, mode)


def compatible_normal_equations(m, pi, X, mu, mode, *, target="advantage"):
    r"""``(F, b)`` of the compatible regression, every weight and target formed here by forward solves.

    .. math::

        F = \sum_{s,a} d_\mu^\pi(s)\pi(a|s)\,x_{sa}x_{sa}^\top,\qquad
        b = \sum_{s,a} d_\mu^\pi(s)\pi(a|s)\,x_{sa}\,y(s,a),

    ``X`` of shape (S, A, n) (the regressors: a score or features), ``y`` the
    advantage (``target="advantage"``) or :math:`Q^\pi` (``"q"``) of
    :func:`q_direct`, :math:`d_\mu^\pi` of :func:`visitation_direct`.  A weight
    ``w`` minimises the regression exactly when :math:`Fw = b`.
    """
    S, A = m.n_states, m.n_actions
    ex = _exact(mode)
    dt = object if ex else float
    pi = np.asarray(pi, dtype=dt)
    X = np.asarray(X, dtype=dt).reshape(S * A, -1)
    V = np.asarray(values_direct(m, pi, mode), dtype=dt)
    Q = np.asarray(q_direct(m, pi, mode, V), dtype=dt)
    y = Q - V[:, None] if target == "advantage" else Q
    d = np.asarray(visitation_direct(m, pi, mu, mode), dtype=dt)
    nu = (d[:, None] * pi).reshape(-1)
    F = X.T.dot(nu[:, None] * X)
    b = X.T.dot(nu * y.reshape(-1))
    return F, b


def trajectories_direct(m, pi, T, mu):
    r"""Every trajectory :math:`(s_0, a_0, \ldots, s_{T-1}, a_{T-1})` of positive probability, enumerated here.

    .. math::

        \Pr(\tau) = \mu(s_0)\prod_{t<T}\pi(a_t|s_t)\prod_{t<T-1}P(s_{t+1}|s_t, a_t),

    by a depth-first product over the MDP's arrays (exact in the field of
    ``pi``), independent of :func:`mdptheory.trajectories.enumerate_trajectories`.
    Returns a dict ``{(states, actions): probability}`` with tuples of length ``T``.
    """
    if T == 0:
        return {((), ()): Fraction(1) if m.is_exact else 1.0}
    P = np.asarray(m.P_dense(), dtype=object if m.is_exact else float)
    S, A = m.n_states, m.n_actions
    out = {}
    # frontier of (states s_0..s_t, actions a_0..a_(t-1), probability): a_t is chosen next
    stack = [((s0,), (), mu[s0]) for s0 in range(S) if mu[s0] != 0]
    while stack:
        states, actions, p = stack.pop()
        s = states[-1]
        for a in range(A):
            pa = p * pi[s, a]
            if pa == 0:
                continue
            if len(states) == T:
                out[(states, actions + (a,))] = pa
                continue
            for t in range(S):
                pt = pa * P[s, a, t]
                if pt != 0:
                    stack.append((states + (t,), actions + (a,), pt))
    return out


# --- closed-form softmax derivatives and confirmations of a run's steps ---
# Routes that do not trust the parameterization's derivative code (the tabular softmax
# Jacobian and Hessian in closed form from the probabilities) and confirmations of an
# algorithm's trace (its steps and values) against quantities recomputed here.

__all__ += [
    "TabularSoftmaxClosedForm",
    "softmax_gradient_direct",
    "advantage_direct",
    "confirm_ascent_steps",
    "confirm_npg_steps",
    "confirm_squared_gradient_norms",
]


class TabularSoftmaxClosedForm:
    r"""The tabular softmax's derivatives in closed form from its probabilities (no score, no Jacobian code).

    .. math::

        \frac{\partial\pi(a|s)}{\partial\theta_{s,b}} = \pi_a(\delta_{ab} - \pi_b), \qquad
        \frac{\partial^2\pi(a|s)}{\partial\theta_{s,b}\,\partial\theta_{s,c}}
            = \pi_a\big[(\delta_{ab} - \pi_b)(\delta_{ac} - \pi_c) - \pi_b(\delta_{bc} - \pi_c)\big]

    (all other entries zero), with :math:`\pi_a = \pi_\theta(a|s)` from
    :meth:`mdptheory.policies.TabularSoftmax.probs` at temperature 1 (the
    definition :math:`\theta\mapsto\pi`, shared by both sides).  Exact in
    rationals at :class:`~mdptheory.policies.LogRational` points.  It has the
    ``probs`` / ``jacobian`` / ``probs_hessian`` / ``n_params`` interface that
    :func:`gradient_direct`, :func:`jacobian_direct` and
    :func:`hessian_vector_direct` use, so those routes run on it without
    touching the parameterization's ``jacobian``, ``score`` or ``probs_hessian``.
    """

    def __init__(self, n_states, n_actions):
        from ...policies import TabularSoftmax

        self.n_states, self.n_actions = int(n_states), int(n_actions)
        self.n_params = self.n_states * self.n_actions
        self._param = TabularSoftmax(self.n_states, self.n_actions)

    def probs(self, theta):
        return self._param.probs(theta)

    def _blocks(self, pi):
        S, A = pi.shape
        exact = pi.dtype == object
        one, zero = (Fraction(1), Fraction(0)) if exact else (1.0, 0.0)
        eye = np.array([[one if a == b else zero for b in range(A)] for a in range(A)],
                       dtype=object if exact else float)
        return eye, eye[None, :, :] - pi[:, None, :]  # D[s, a, b] = delta_ab - pi_b

    def jacobian(self, theta):
        pi = np.asarray(self.probs(theta))
        S, A = pi.shape
        _, D = self._blocks(pi)
        J = np.zeros((S, A, S, A), dtype=pi.dtype) if pi.dtype != object else np.full((S, A, S, A), Fraction(0),
                                                                                       dtype=object)
        for s in range(S):
            J[s, :, s, :] = pi[s][:, None] * D[s]
        return J.reshape(S, A, S * A)

    def probs_hessian(self, theta):
        pi = np.asarray(self.probs(theta))
        S, A = pi.shape
        eye, D = self._blocks(pi)
        n = S * A
        H = np.zeros((S, A, n, n), dtype=pi.dtype) if pi.dtype != object else np.full((S, A, n, n), Fraction(0),
                                                                                       dtype=object)
        for s in range(S):
            blk = (D[s][:, :, None] * D[s][:, None, :]
                   - (pi[s][:, None] * D[s])[None, :, :])  # [a, b, c]: D_ab D_ac - pi_b (delta_bc - pi_c)
            blk = pi[s][:, None, None] * blk
            H[s, :, s * A:(s + 1) * A, s * A:(s + 1) * A] = blk
        return H


def softmax_gradient_direct(m, theta, mu, mode):
    r""":math:`\nabla_\theta V(\mu)` of the tabular softmax by :func:`gradient_direct` on :class:`TabularSoftmaxClosedForm`.

    .. math::

        \nabla_\theta V(\mu) = \mu^\top(I - \gamma P^\pi)^{-1}G, \qquad
        G[s, (s, b)] = \sum_a \pi_a(\delta_{ab} - \pi_b)\big(r(s,a) + \gamma\textstyle\sum_t P(t|s,a)V(t)\big)

    (own :math:`V`, own Jacobian; no visitation, score, advantage or library gradient).
    """
    return gradient_direct(m, TabularSoftmaxClosedForm(m.n_states, m.n_actions), theta, mu, mode)


def advantage_direct(m, pi, mode):
    r""":math:`A^\pi = Q^\pi - V^\pi` (S, A) from :func:`values_direct` and :func:`q_direct` (no :func:`~mdptheory.evaluate`)."""
    V = values_direct(m, pi, mode)
    Q = q_direct(m, pi, mode, V)
    return np.asarray(Q, dtype=object if _exact(mode) else float) - np.asarray(V)[:, None]


def _softmax_float(theta, S, A):
    z = np.asarray(theta, dtype=float).reshape(S, A)
    z = z - z.max(axis=1, keepdims=True)
    w = np.exp(z)
    return w / w.sum(axis=1, keepdims=True)


def confirm_ascent_steps(rep, m, thetas, mu, eta, *, lam=None, values=None, grad_norms=None, max_checks=25,
                         what="softmax policy gradient"):
    r"""Record that a float softmax gradient-ascent run took the steps its algorithm prescribes.

    For recorded iterates :math:`\theta_t` (all of them, or ``max_checks``
    evenly spread ones, first and last included):

    .. math::

        \theta_{t+1} - \theta_t = \eta\Big(\nabla_\theta V^{\pi_{\theta_t}}(\mu)
            + \tfrac{\lambda}{|S|}\big(\tfrac{1}{|A|} - \pi_{\theta_t}\big)\Big)

    (the barrier term only when ``lam`` is given), with :math:`\nabla V(\mu)`
    by :func:`softmax_gradient_direct` (own solves, closed-form Jacobian) and
    :math:`\pi_{\theta_t}` by a softmax formed here; ``values[t]`` (the run's
    :math:`V_t(\mu)`) against :func:`values_direct`; ``grad_norms[t]`` (the
    run's recorded :math:`\|\nabla\|`) against the norm of the own gradient.
    An algorithm that computes its step from a faulty library quantity (an
    advantage, a visitation, a gradient) thereby changes the verdict.

    Tolerances: the gradient has order 2 (:func:`~mdptheory.lemmas.framework.report.float_tolerance`
    with magnitude :math:`r_{max}/(1-\gamma)^2 + 1`); the step comparison adds
    the rounding of the recorded parameters, :math:`4\varepsilon\max(|\theta_t|, |\theta_{t+1}|)`.
    Returns the indices checked.
    """
    from .report import float_tolerance

    S, A = m.n_states, m.n_actions
    eps = float(np.finfo(np.float64).eps)
    th = [np.asarray(t, dtype=float).reshape(-1) for t in thetas]
    n_steps = len(th) - 1
    if n_steps < 1:
        return []
    if n_steps <= max_checks:
        idx = list(range(n_steps))
    else:
        idx = sorted(set(int(round(x)) for x in np.linspace(0, n_steps - 1, max_checks)))
    g = float(m.gamma)
    rmax = float(np.max(np.abs(np.asarray(m.r, dtype=float)))) if m.r.size else 0.0
    mag = rmax / (1 - g) ** 2 + 1.0 + (float(lam) if lam is not None else 0.0)
    tol_g, _ = float_tolerance(m, mag, order=2)
    tol_v, _ = float_tolerance(m, rmax / (1 - g) + 1.0, order=1)
    mu = np.asarray(mu, dtype=float)
    lhs, rhs, tols, own_norms, own_vals = [], [], [], [], []
    for t in idx:
        grad = np.asarray(softmax_gradient_direct(m, th[t], mu, "float"), dtype=float)
        if lam is not None:
            pi = _softmax_float(th[t], S, A)
            grad = grad + (float(lam) / S) * (1.0 / A - pi).reshape(-1)
        lhs.append(th[t + 1] - th[t])
        rhs.append(float(eta) * grad)
        tols.append(float(eta) * tol_g + 4 * eps * max(float(np.max(np.abs(th[t]))), float(np.max(np.abs(th[t + 1]))),
                                                       1.0))
        own_norms.append(float(np.linalg.norm(grad)))
        if values is not None:
            own_vals.append(float(mu @ values_direct(m, _softmax_float(th[t], S, A), "float")))
    rep.identity(f"{what}: theta_(t+1) - theta_t = eta x (gradient by forward solves formed here"
                 + (", + barrier term" if lam is not None else "") + f"), {len(idx)} of {n_steps} steps",
                 np.array(lhs), np.array(rhs), tol=max(tols))
    if values is not None:
        rep.identity(f"{what}: recorded V_t(mu) = mu^T (I - gamma P^pi_t)^-1 r^pi_t (solve formed here)",
                     np.asarray([values[t] for t in idx], dtype=float), np.array(own_vals), tol=tol_v)
    if grad_norms is not None:
        rep.identity(f"{what}: recorded gradient norms = norms of the gradient formed here",
                     np.asarray([grad_norms[t] for t in idx], dtype=float), np.array(own_norms), tol=tol_g)
    return idx


def confirm_npg_steps(rep, m, policies, eta, *, what="tabular NPG"):
    r"""Record that a float tabular NPG run made the multiplicative updates of its algorithm.

    .. math::

        \pi_{t+1}(a|s) = \frac{\pi_t(a|s)\exp\big(\eta A^{\pi_t}(s,a)/(1-\gamma)\big)}
                              {\sum_b \pi_t(b|s)\exp\big(\eta A^{\pi_t}(s,b)/(1-\gamma)\big)}

    at every recorded step, with :math:`A^{\pi_t}` by :func:`advantage_direct`
    (own solves; actions with :math:`\pi_t(a|s) = 0` stay at 0).  Tolerance on
    the probabilities: an error :math:`\delta` of the exponents moves
    :math:`\pi_{t+1}` by at most :math:`2\delta`, with
    :math:`\delta = \eta\,\mathrm{tol}_A/(1-\gamma) + 4\varepsilon(\max|\log\pi_t| + \eta\max|A|/(1-\gamma))`,
    :math:`\mathrm{tol}_A` of order 1 and magnitude :math:`r_{max}/(1-\gamma)`.
    """
    from .report import float_tolerance

    eps = float(np.finfo(np.float64).eps)
    g = float(m.gamma)
    rmax = float(np.max(np.abs(np.asarray(m.r, dtype=float)))) if m.r.size else 0.0
    tol_a, _ = float_tolerance(m, rmax / (1 - g) + 1.0, order=1)
    lhs, rhs, tol = [], [], 0.0
    for t in range(len(policies) - 1):
        pi = np.asarray(policies[t], dtype=float)
        Adv = advantage_direct(m, pi, "float")
        x = float(eta) * Adv / (1 - g)
        with np.errstate(divide="ignore"):
            logits = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)) + x, -np.inf)
        mx = logits.max(axis=1, keepdims=True)
        w = np.exp(logits - mx)
        own = w / w.sum(axis=1, keepdims=True)
        lhs.append(np.asarray(policies[t + 1], dtype=float))
        rhs.append(own)
        finite = np.isfinite(logits)
        spread = float(np.max(np.abs(np.where(finite, logits, 0.0)))) if finite.any() else 0.0
        delta = float(eta) * tol_a / (1 - g) + 4 * eps * (spread + 1.0)
        tol = max(tol, 2 * delta)
    if lhs:
        rep.identity(f"{what}: pi_(t+1) = pi_t exp(eta A_t/(1-gamma))/Z_t with A_t by solves formed here "
                     f"({len(lhs)} steps)", np.array(lhs), np.array(rhs), tol=tol)


def confirm_squared_gradient_norms(rep, m, thetas, mu, sq_norms, mode, *,
                                   what="||grad V(mu)||^2 (library value_gradient)"):
    r"""Record that squared softmax gradient norms equal :math:`\|\nabla V(\mu)\|^2` by :func:`softmax_gradient_direct`.

    Exact mode: exact rational equality at :class:`~mdptheory.policies.LogRational`
    points; float: :math:`2\max\|g\|\,t + t^2`, with :math:`t` the gradient's
    tolerance of order 2 and magnitude :math:`r_{max}/(1-\gamma)^2 + 1`.
    """
    from .report import float_tolerance

    own = []
    for th in thetas:
        gv = softmax_gradient_direct(m, th, mu, mode)
        if _exact(mode):
            own.append(sum((Fraction(x) * Fraction(x) for x in gv), Fraction(0)))
        else:
            gv = np.asarray(gv, dtype=float)
            own.append(float(gv @ gv))
    tol = None
    if not _exact(mode):
        rmax = float(np.max(np.abs(np.asarray(m.r, dtype=float)))) if m.r.size else 0.0
        tol_g, _ = float_tolerance(m, rmax / (1 - float(m.gamma)) ** 2 + 1.0, order=2)
        g_max = float(np.sqrt(max(max(own), max(float(x) for x in sq_norms)))) if own else 0.0
        tol = 2 * g_max * tol_g + tol_g * tol_g  # | ||a||^2 - ||b||^2 | <= (||a|| + ||b||) ||a - b||
    dt = object if _exact(mode) else float
    rep.identity(f"{what} = ||grad V(mu)||^2 by forward solves and the closed-form softmax Jacobian formed here",
                 np.asarray(sq_norms, dtype=dt), np.asarray(own, dtype=dt), tol=tol)
    return own
