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
]


def _exact(mode):
    return mode == "exact"


def _P(m):
    return np.asarray(m.P_dense(), dtype=object if m.is_exact else float)


def system_matrix(m, pi, mode):
    r""":math:`I - \gamma P^\pi` (S, S), formed from ``m.P`` and ``pi`` here."""
    S = m.n_states
    P = _P(m)
    if _exact(mode):
        pi = exact_array(np.asarray(pi, dtype=object), name="pi")
        P_pi = np.einsum("sa,sat->st", pi, P)
        I = np.empty((S, S), dtype=object)
        for i in range(S):
            for j in range(S):
                I[i, j] = Fraction(int(i == j))
        return I - m.gamma * P_pi
    P_pi = np.einsum("sa,sat->st", np.asarray(pi, dtype=float), np.asarray(P, dtype=float))
    return np.eye(S) - float(m.gamma) * P_pi


def solve_system(M, B, mode):
    """``M^{-1} B`` (B of shape (S,) or (S, k)) by a generic dense solve: FLINT exact or LAPACK."""
    B = np.asarray(B, dtype=object if _exact(mode) else float)
    if _exact(mode):
        X = to_fmpq_mat(M).solve(to_fmpq_mat(B))
        return from_fmpq_mat(X, B.shape)
    return np.linalg.solve(np.asarray(M, dtype=float), B)


def values_direct(m, pi, mode):
    r""":math:`V^\pi = (I - \gamma P^\pi)^{-1} r^\pi`, shape (S,)."""
    M = system_matrix(m, pi, mode)
    r = np.asarray(m.r, dtype=object if _exact(mode) else float)
    pi = np.asarray(pi, dtype=object if _exact(mode) else float)
    return solve_system(M, (pi * r).sum(axis=1), mode)


def q_direct(m, pi, mode, V=None):
    r""":math:`Q^\pi = r + \gamma P V^\pi`, shape (S, A), from :func:`values_direct`."""
    V = values_direct(m, pi, mode) if V is None else V
    P = _P(m)
    g = m.gamma if _exact(mode) else float(m.gamma)
    if _exact(mode):
        return np.asarray(m.r, dtype=object) + g * np.einsum("sat,t->sa", P, np.asarray(V, dtype=object))
    return np.asarray(m.r, dtype=float) + g * np.asarray(P, dtype=float) @ np.asarray(V, dtype=float)


def visitation_direct(m, pi, mu, mode):
    r""":math:`d_\mu^\pi = (1-\gamma)\mu^\top(I - \gamma P^\pi)^{-1}` by forward solves (columns of the inverse)."""
    S = m.n_states
    M = system_matrix(m, pi, mode)
    if _exact(mode):
        I = np.empty((S, S), dtype=object)
        for i in range(S):
            for j in range(S):
                I[i, j] = Fraction(int(i == j))
        Minv = solve_system(M, I, mode)
        mu = exact_array(np.asarray(mu, dtype=object), name="mu")
        return (1 - m.gamma) * np.array([sum((mu[s] * Minv[s, t] for s in range(S)), Fraction(0))
                                         for t in range(S)], dtype=object)
    Minv = solve_system(M, np.eye(S), mode)
    return (1.0 - float(m.gamma)) * (np.asarray(mu, dtype=float) @ Minv)


def jacobian_direct(m, param, theta, mode):
    r""":math:`\partial V(s)/\partial\theta_i` (S, n) by the forward multi-right-hand-side solve."""
    pi = param.probs(theta)
    V = values_direct(m, pi, mode)
    c = q_direct(m, pi, mode, V)
    J = np.asarray(param.jacobian(theta), dtype=object if _exact(mode) else float)
    if _exact(mode):
        J = exact_array(J, name="jacobian")
        G = np.einsum("sai,sa->si", J, np.asarray(c, dtype=object))
    else:
        G = np.einsum("sai,sa->si", J, np.asarray(c, dtype=float))
    return solve_system(system_matrix(m, pi, mode), G, mode)


def gradient_direct(m, param, theta, mu, mode):
    r""":math:`\nabla_\theta V(\mu) = \mu^\top\,\partial V/\partial\theta`, shape (n,) (see :func:`jacobian_direct`)."""
    X = jacobian_direct(m, param, theta, mode)
    if _exact(mode):
        mu = exact_array(np.asarray(mu, dtype=object), name="mu")
        n = X.shape[1]
        return np.array([sum((mu[s] * X[s, i] for s in range(m.n_states)), Fraction(0)) for i in range(n)],
                        dtype=object)
    return np.asarray(mu, dtype=float) @ X
