r"""Exact evaluation with FLINT: :math:`I - \gamma P^\pi = \operatorname{diag}(c)^{-1} K` over the integers.

No float anywhere: the system is cleared of denominators row by row into an
integer matrix ``K`` and solved by FLINT with an integer right-hand side;
``Q``, ``A`` and ``P_pi`` (as Fractions) are built on first access, ``Q`` and
``A`` as one integer matrix product over one common denominator with each
entry brought to lowest terms only when read.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..fields import EXACT
from ._rationals import _coprime_fraction, _fraction_canonical, _int_rewards, _int_rows, _LazyFraction
from .result import PolicyEvaluation

__all__: list[str] = []

#: Entries of the integer system below this bound are formed in int64 (exactly) and handed to FLINT as such.
_INT64_SAFE = 2**62


class _ExactFactor:
    """Exact rational solves with FLINT on an integer matrix.

    ``I - gamma P_pi = diag(c)^{-1} K`` with ``K`` an integer matrix and ``c``
    positive rationals: row-wise common denominators, each divided by the
    factor ``k[s]`` taken out of row ``s`` of ``K`` when one was (FLINT's
    Dixon lifting runs until a bound that grows with the product of the
    norms of the system's rows, so shorter rows cost fewer lifting steps).
    Then
    ``(I - gamma P_pi) x = b`` is ``K x = c * b`` and
    ``(I - gamma P_pi)^T y = b`` is ``K^T z = b`` with ``y = c * z``.  Solving
    with the integer ``K^T`` rather than the rational transpose matters: FLINT
    clears denominators row by row, and the rows of the rational transpose
    carry the lcm of all row denominators (five times slower at S = 100).
    FLINT exposes no reusable LU for these matrices, so the transposed system
    is solved on demand and cached per start distribution by
    :class:`PolicyEvaluation`.  Inputs and outputs of :meth:`solve` and
    :meth:`solve_T` are arrays of ``fmpq`` (shape (S,) or (S, k)).
    """

    def __init__(self, K, c, k=None):
        self.K = K
        self._c_k = (c, k)
        self._c = self._Kq = self._KTq = None

    @property
    def c(self):
        """The row scales ``c`` as an object array of ``fmpq`` (made on first use)."""
        if self._c is None:
            from flint import fmpq

            c, k = self._c_k
            self._c = np.empty(len(c), dtype=object)
            self._c[:] = [fmpq(int(x)) for x in c] if k is None else [fmpq(int(x), y) for x, y in zip(c, k)]
        return self._c

    def _system(self, transpose):
        from flint import fmpq_mat

        if transpose:
            if self._KTq is None:
                self._KTq = fmpq_mat(self.K.transpose())
            return self._KTq
        if self._Kq is None:
            self._Kq = fmpq_mat(self.K)
        return self._Kq

    @staticmethod
    def _mat(b):
        from flint import fmpq_mat

        b = np.asarray(b, dtype=object)
        B = b.reshape(b.shape[0], -1)
        return fmpq_mat(B.shape[0], B.shape[1], list(B.reshape(-1))), b.shape

    def solve(self, b):
        b = np.asarray(b, dtype=object)
        cb = b * (self.c if b.ndim == 1 else self.c[:, None])
        B, shape = self._mat(cb)
        return np.array(self._system(False).solve(B).entries(), dtype=object).reshape(shape)

    def solve_int(self, b):
        """The ``fmpq_mat`` column ``x`` with ``K x = b`` for a list ``b`` of integers (the scaled right-hand side)."""
        from flint import fmpq_mat

        return self._system(False).solve(fmpq_mat(len(b), 1, b))

    def solve_T(self, b):
        B, shape = self._mat(b)
        z = np.array(self._system(True).solve(B).entries(), dtype=object).reshape(shape)
        return z * (self.c if z.ndim == 1 else self.c[:, None])

    def visitation(self, mu, gamma):
        r"""``(1 - gamma) y`` with ``(I - gamma P_pi)^T y = mu`` as canonical Fractions (``mu`` Fractions, shape (S,)).

        With ``mu = u / D`` over the integers, ``K^T z = u`` and
        :math:`d_s = (1-\gamma)\, c_s z_s / D`: one solve with an integer
        right-hand side, then one product of each canonical ``z_s`` by a short
        rational (FLINT's two gcds, each with a short operand).
        """
        from flint import fmpq, fmpq_mat

        raw = [(x.numerator, x.denominator) for x in mu]
        D = math.lcm(*(d for _, d in raw)) if raw else 1
        u = [n * (D // d) for n, d in raw]
        z = self._system(True).solve(fmpq_mat(len(u), 1, u)).entries()
        g, h = gamma.numerator, gamma.denominator
        c, k = self._c_k  # c[s] / k[s]: (1 - gamma) c[s] / D = (h - g) c[s] / (h D k[s])
        k = [1] * len(z) if k is None else k
        out = np.empty(len(z), dtype=object)
        out[:] = [_fraction_canonical(zs * fmpq((h - g) * int(cs), h * D * ks)) for zs, cs, ks in zip(z, c, k)]
        return out


def _policy_ints(pi):
    """``(n, e)``: ``pi[s, a] = n[s, a] / e[s]`` with integers (object arrays), ``e[s]`` the lcm of row ``s``."""
    pnum = np.frompyfunc(lambda x: x.numerator, 1, 1)(pi)
    pden = np.frompyfunc(lambda x: x.denominator, 1, 1)(pi)
    e = np.lcm.reduce(pden, axis=1)
    return pnum * (e[:, None] // pden), e


def _exact_policy(mdp, pi):
    """``as_policy(mdp, pi, exact=True)`` for an array of Fractions, with its integer form.

    Returns ``(policy, (n, e))`` (see :func:`_policy_ints`) when ``pi`` is an
    object ndarray of shape (S, A) whose entries are all of type Fraction,
    nonnegative, with rows summing to exactly one (checked over the integers:
    ``sum_a n[s, a] = e[s]``); otherwise None, and the caller validates with
    ``as_policy``, which names what is wrong.
    """
    S, A = mdp.n_states, mdp.n_actions
    if type(pi) is not np.ndarray or pi.dtype != object or pi.shape != (S, A) or pi.size == 0:
        return None
    flat = pi.reshape(-1).tolist()
    if not all(type(x) is Fraction for x in flat):
        return None
    nums = [x._numerator for x in flat]  # exactly Fractions (checked above): their two slots
    dens = [x._denominator for x in flat]
    if min(nums) < 0:
        return None
    e = [math.lcm(*dens[s * A:(s + 1) * A]) for s in range(S)]
    n = [x * (e[i // A] // d) for i, (x, d) in enumerate(zip(nums, dens))]
    if any(sum(n[s * A:(s + 1) * A]) != e[s] for s in range(S)):
        return None
    out = pi.copy()
    out.flags.writeable = False
    n_arr = np.empty(S * A, dtype=object)
    n_arr[:] = n
    e_arr = np.empty(S, dtype=object)
    e_arr[:] = e
    return out, (n_arr.reshape(S, A), e_arr)


def _evaluate_exact(mdp, pi, ints=None):
    r"""Exact evaluation in integer form.

    With ``P[s, a, t] = N[s, a, t] / L[s]`` (cached), ``pi[s, a] = n[s, a] / e[s]``,
    ``r = m / R`` and ``gamma = g / h`` (all integers),

    .. math::

        K = \operatorname{diag}(c) - g \sum_a n[s, a] N[s, a, t], \qquad
        c_s = h\, e_s L_s, \qquad I - \gamma P^\pi = \operatorname{diag}(c)^{-1} K,

    so ``K`` is built with integer (int64 when it fits) array operations and
    handed to FLINT once, with the integer right-hand side
    :math:`b_s = h L_s (n m)[s]`: :math:`K x = b`, :math:`V = x / R`.  A
    factor common to row ``s`` of ``K`` and to :math:`b_s` is divided out of
    both (int64 case), and out of :math:`c_s`, so the identity above holds
    with the shorter rows.  With ``V = v / W`` over one common denominator,

    .. math::

        Q[s, a] = \frac{m[s, a]\, h L_s W + R g (N v)[s, a]}{R h L_s W}, \qquad
        A[s, a] = Q[s, a] - \frac{v_s R h L_s}{R h L_s W},

    the numerators of ``Q`` one integer matrix product ``[N | m L] [R g v; h W]``
    (the matrix ``[N | m L]`` cached on the MDP).  Every entry of ``Q`` comes
    from that product, none from :math:`V_s = \sum_a \pi(a|s) Q(s, a)`, so
    that identity (and :math:`\sum_a \pi(a|s) A(s, a) = 0`) stays a check of
    the solve rather than holding by construction.  ``Q`` and the advantage are
    built on first access, as Fractions over that common denominator each
    reduced when first read, since reducing ``2 S A`` rationals as long as
    ``V``'s entries (one gcd each) can cost more than the solve itself.
    ``P_pi`` as Fractions is likewise built on first access.  ``ints`` is
    ``(n, e)`` when the caller already has them (see :func:`_exact_policy`).
    """
    from flint import fmpz_mat

    S, A = mdp.n_states, mdp.n_actions
    N, L = _int_rows(mdp)
    g_num, g_den = mdp.gamma.numerator, mdp.gamma.denominator
    n, e = _policy_ints(pi) if ints is None else ints
    c = g_den * e * L  # object array of Python ints
    m, R = _int_rewards(mdp)
    nm = (n * m).sum(axis=1)
    b = ((g_den * L) * nm).tolist()  # c[s] r_pi[s] = b[s] / R
    n_max = int(np.max(n))
    small = N.dtype == np.int64 and n_max * int(np.max(N)) * A < _INT64_SAFE
    if small:
        sum_pi = np.einsum("sat,sa->st", N, n.astype(np.int64))  # exact in int64
        small = int(np.max(c)) < _INT64_SAFE and g_num * int(np.max(sum_pi)) < _INT64_SAFE
    else:
        sum_pi = np.einsum("sat,sa->st", N.astype(object), n)
    if small:  # every entry of K below 2^62 in magnitude: formed in int64
        K = sum_pi * np.int64(-g_num)
        K.reshape(-1)[:: S + 1] += c.astype(np.int64)
        # divide row s of K and b[s] by a common factor (K[s, s] > 0, so the row's gcd is positive)
        k = [math.gcd(ks, bs) for ks, bs in zip(np.gcd.reduce(K, axis=1).tolist(), b)]
        if any(ks != 1 for ks in k):
            K //= np.array(k, dtype=np.int64)[:, None]
            b = [bs // ks for bs, ks in zip(b, k)]
    else:
        K = (-g_num) * sum_pi.astype(object)
        K.reshape(-1)[:: S + 1] += c
        k = None
    factor = _ExactFactor(fmpz_mat(K.tolist()), c, k)
    r_pi = np.empty(S, dtype=object)
    r_pi[:] = [_fraction_over(x, 1, y) for x, y in zip(nm.tolist(), (e * R).tolist())]
    X = factor.solve_int(b)  # x = R V
    V = np.empty(S, dtype=object)
    if R == 1:
        V[:] = [_fraction_canonical(x) for x in X.entries()]
    else:  # x = p / q in lowest terms: V = p / (q R), reduced by gcd(p, R) (R is short)
        V[:] = [_fraction_over(int(x.p), int(x.q), R) for x in X.entries()]

    def Q_and_advantage():
        # V = v / W with W = w R (x = v / w over FLINT's common denominator w); see the docstring
        v, w = X.numer_denom()
        W = int(w) * R
        col = fmpz_mat(S + 1, 1, (v * (R * g_num)).entries() + [g_den * W])
        RhL = ((R * g_den) * L).tolist()
        vRhL = [x * RhL[s] for s, x in enumerate(v.entries())]  # A = Q - vRhL / den
        num_Q = (_int_rows_rewards(mdp) * col).entries()
        return _lazy_q_and_advantage(num_Q, vRhL, [x * W for x in RhL], A)

    def P_pi_fractions():
        den = e * L
        return np.frompyfunc(Fraction, 2, 1)(sum_pi.astype(object), den[:, None])

    return PolicyEvaluation(mdp, pi, EXACT, P_pi_fractions, r_pi, V, Q_and_advantage, factor, "flint-fmpq",
                            mdp.gamma)


def _lazy_q_and_advantage(num_Q, off, den, A):
    """``(Q, A)``: lazily reduced Fractions ``num_Q[s*A + a] / den[s]`` and ``(num_Q[s*A + a] - off[s]) / den[s]``.

    Both made in one pass without going through the class call (their
    creation is a visible part of an evaluation's cost at S = 100).
    """
    new, cls = object.__new__, _LazyFraction
    q_out, a_out = [], []
    q_add, a_add = q_out.append, a_out.append
    for s, (o, d) in enumerate(zip(off, den)):
        for n in num_Q[s * A:(s + 1) * A]:
            x = new(cls)
            x._n, x._d, x._lowest = n, d, False
            q_add(x)
            x = new(cls)
            x._n, x._d, x._lowest = n - o, d, False
            a_add(x)
    Q = np.empty(len(q_out), dtype=object)
    Q[:] = q_out
    adv = np.empty(len(a_out), dtype=object)
    adv[:] = a_out
    return Q.reshape(len(den), A), adv.reshape(len(den), A)


def _fraction_over(p, q, R):
    """``p / (q R)`` as a Fraction, for ``p / q`` in lowest terms and ``R > 0``: one gcd with the short ``R``."""
    g = math.gcd(p % R, R)  # = gcd(p, R), with one division of the long p by the short R
    if g != 1:
        p, R = p // g, R // g
    return _coprime_fraction(p, q * R)


def _int_rows_rewards(mdp):
    """``[N | m L]``: the ``(S*A, S+1)`` fmpz_mat of :func:`_evaluate_exact`'s Q numerators, cached on the MDP."""
    c = mdp._cache.get("int_rows_rewards")
    if c is None:
        from flint import fmpz_mat

        S, A = mdp.n_states, mdp.n_actions
        N, L = _int_rows(mdp)
        m, _ = _int_rewards(mdp)
        aug = np.empty((S * A, S + 1), dtype=object)
        aug[:, :S] = N.reshape(S * A, S)
        aug[:, S] = (m * L[:, None]).reshape(-1)
        c = mdp._cache["int_rows_rewards"] = fmpz_mat(S * A, S + 1, aug.reshape(-1).tolist())
    return c
