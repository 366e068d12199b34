r"""Exact evaluation with FLINT: :math:`I - \gamma P^\pi = \operatorname{diag}(c)^{-1} K` over the integers.

No float anywhere: the system is cleared of denominators row by row into an
integer matrix ``K`` and solved by FLINT; ``Q``, ``A`` and ``P_pi`` (as
Fractions) are built on first access, ``Q`` and ``A`` over one common
denominator with each entry brought to lowest terms only when read.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..fields import EXACT
from ._rationals import _fractions_canonical, _int_rewards, _int_rows, _lazy_fractions
from .result import PolicyEvaluation

__all__: list[str] = []


class _ExactFactor:
    """Exact rational solves with FLINT on an integer matrix.

    ``I - gamma P_pi = diag(c)^{-1} K`` with ``K`` an integer matrix and ``c``
    positive integers (row-wise common denominators).  Then
    ``(I - gamma P_pi) x = b`` is ``K x = c * b`` and
    ``(I - gamma P_pi)^T y = b`` is ``K^T z = b`` with ``y = c * z``.  Solving
    with the integer ``K^T`` rather than the rational transpose matters: FLINT
    clears denominators row by row, and the rows of the rational transpose
    carry the lcm of all row denominators (five times slower at S = 100).
    FLINT exposes no reusable LU for these matrices, so the transposed system
    is solved on demand and cached per start distribution by
    :class:`PolicyEvaluation`.  Inputs and outputs are arrays of ``fmpq``
    (shape (S,) or (S, k)).
    """

    def __init__(self, K, c):
        from flint import fmpq

        self.K = K
        self.c = np.array([fmpq(int(x)) for x in c], dtype=object)
        self._KT = None

    @staticmethod
    def _mat(b):
        from flint import fmpq_mat

        b = np.asarray(b, dtype=object)
        B = b.reshape(b.shape[0], -1)
        return fmpq_mat(B.shape[0], B.shape[1], list(B.reshape(-1))), b.shape

    def solve(self, b):
        b = np.asarray(b, dtype=object)
        cb = b * (self.c if b.ndim == 1 else self.c[:, None])
        return self.solve_scaled(cb)

    def solve_scaled(self, cb):
        """Solve ``K x = cb`` (the right-hand side already multiplied by ``c``)."""
        from flint import fmpq_mat

        B, shape = self._mat(cb)
        return np.array(fmpq_mat(self.K).solve(B).entries(), dtype=object).reshape(shape)

    def solve_T(self, b):
        from flint import fmpq_mat

        if self._KT is None:
            self._KT = fmpq_mat(self.K.transpose())
        B, shape = self._mat(b)
        z = np.array(self._KT.solve(B).entries(), dtype=object).reshape(shape)
        return z * (self.c if z.ndim == 1 else self.c[:, None])


def _evaluate_exact(mdp, pi):
    r"""Exact evaluation in integer form.

    With ``P[s, a, t] = N[s, a, t] / L[s]`` (cached), ``pi[s, a] = n[s, a] / e[s]``
    and ``gamma = g / h`` (all integers),

    .. math::

        K = \operatorname{diag}(c) - g \sum_a n[s, a] N[s, a, t], \qquad
        c_s = h\, e_s L_s, \qquad I - \gamma P^\pi = \operatorname{diag}(c)^{-1} K,

    so ``K`` is built with integer (int64 when it fits) array operations and
    handed to FLINT once.  ``Q = r + gamma P V`` is an integer matrix-vector
    product with ``V``'s common denominator cleared; it and the advantage are
    built on first access, as Fractions over that common denominator each
    reduced when first read, since reducing ``2 S A`` rationals as long as
    ``V``'s entries (one gcd each) can cost more than the solve itself.
    ``P_pi`` as Fractions is likewise built on first access.
    """
    from flint import fmpq, fmpq_mat, fmpz_mat

    S, A = mdp.n_states, mdp.n_actions
    N, L, N_fmpz = _int_rows(mdp)
    g_num, g_den = mdp.gamma.numerator, mdp.gamma.denominator
    pnum = np.frompyfunc(lambda x: x.numerator, 1, 1)(pi)
    pden = np.frompyfunc(lambda x: x.denominator, 1, 1)(pi)
    e = np.lcm.reduce(pden, axis=1)
    n = pnum * (e[:, None] // pden)
    c = g_den * e * L  # object array of Python ints
    n_max = int(np.max(n))
    if N.dtype == np.int64 and n_max * int(np.max(N)) * A < 2**62:
        sum_pi = np.einsum("sat,sa->st", N, n.astype(np.int64))  # exact in int64
    else:
        sum_pi = np.einsum("sat,sa->st", N.astype(object), n)
    K = (-g_num) * sum_pi.astype(object)
    K.reshape(-1)[:: S + 1] += c
    factor = _ExactFactor(fmpz_mat(S, S, K.reshape(-1).tolist()), c)
    # r = m / R: r_pi[s] = (n m)[s] / (e[s] R) and c[s] r_pi[s] = h L[s] (n m)[s] / R
    m, R = _int_rewards(mdp)
    nm = (n * m).sum(axis=1)
    r_pi = np.frompyfunc(Fraction, 2, 1)(nm, e * R)
    Vq = factor.solve_scaled([fmpq(int(x), R) for x in (g_den * L) * nm])

    def Q_and_advantage():
        # Over integers: V = v / w, P = N / L, r = m / R, gamma = g / h, so
        # Q[s, a] = (m[s, a] L[s] w h + R g (N v)[s, a]) / (R L[s] w h) and
        # A[s, a] = Q[s, a] - V[s] shares that denominator.  The entries are kept
        # over it and each is reduced (one gcd of integers as long as V's) only
        # when read: see _LazyFraction.
        v, w = fmpq_mat(S, 1, list(Vq)).numer_denom()
        w = int(w)
        Nv = np.array([int(x) for x in (N_fmpz * v).entries()], dtype=object).reshape(S, A)
        v = np.array([int(x) for x in v.entries()], dtype=object)
        den = ((R * w * g_den) * L)[:, None]
        num_Q = m * (L * (w * g_den))[:, None] + (R * g_num) * Nv
        num_A = num_Q - (v * (R * g_den) * L)[:, None]
        return _lazy_fractions(num_Q, den), _lazy_fractions(num_A, den)

    def P_pi_fractions():
        den = e * L
        return np.frompyfunc(Fraction, 2, 1)(sum_pi.astype(object), den[:, None])

    return PolicyEvaluation(mdp, pi, EXACT, P_pi_fractions, r_pi,
                            _fractions_canonical(Vq, (S,)), Q_and_advantage, factor, "flint-fmpq", mdp.gamma)
