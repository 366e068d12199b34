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
    "confirm_gradient_norms",
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
