"""Exact rationals for the exact and ball solvers: FLINT ``fmpq`` forms and integer forms.

``_fmpq_cache`` holds ``P``, ``r`` and ``gamma`` of an MDP as ``fmpq`` (floats
are dyadic rationals, converted exactly); ``_int_rows`` writes an exact ``P``
as ``N[s, a, t] / L[s]`` with integers ``N`` and row denominators ``L``, and
``_int_rewards`` writes ``r = m / R``.  Both are cached on the MDP.
``_fractions_canonical`` turns canonical ``fmpq`` entries into Fractions
without a second gcd; ``_lazy_fractions`` makes Fractions from unreduced
numerators over a common denominator, each reduced (one gcd) only when read.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__: list[str] = []


# ---------------------------------------------------------------- helpers
def _fmpq_cache(mdp):
    """P (S, A, S), r and gamma as flint.fmpq objects, cached on the MDP."""
    c = mdp._cache.get("fmpq")
    if c is None:
        from flint import fmpq

        def q(x):
            x = x if isinstance(x, Fraction) else Fraction(x)
            return fmpq(x.numerator, x.denominator)

        if mdp.is_exact:
            P = np.frompyfunc(q, 1, 1)(mdp.P_dense())
            r = np.frompyfunc(q, 1, 1)(mdp.r)
            g = q(mdp.gamma)
        else:  # floats are dyadic rationals: exact conversion
            fq = np.frompyfunc(lambda x: q(Fraction(float(x))), 1, 1)
            P = fq(mdp.P_dense())
            r = fq(mdp.r)
            g = q(Fraction(float(mdp.gamma)))
        c = (P, r, g)
        mdp._cache["fmpq"] = c
    return c


def _to_fmpq_array(a, exact_input: bool):
    from flint import fmpq

    def q(x):
        x = x if isinstance(x, Fraction) else Fraction(x) if exact_input else Fraction(float(x))
        return fmpq(x.numerator, x.denominator)

    return np.frompyfunc(q, 1, 1)(np.asarray(a, dtype=object))


if hasattr(Fraction, "_from_coprime_ints"):  # Python >= 3.12
    _coprime_fraction = Fraction._from_coprime_ints
else:  # Python 3.10, 3.11
    def _coprime_fraction(n, d):
        return Fraction(n, d, _normalize=False)


def _fraction_canonical(q) -> Fraction:
    """A canonical ``fmpq`` (coprime, positive denominator) as a Fraction, without a gcd."""
    return _coprime_fraction(int(q.p), int(q.q))


def _fractions_canonical(entries, shape):
    """Object array of Fractions from canonical fmpq entries (no renormalization)."""
    out = np.empty(len(entries), dtype=object)
    out[:] = [_fraction_canonical(q) for q in entries]
    return out.reshape(shape)


def _int_rewards(mdp):
    """``(m, R)`` with ``r = m / R`` over the integers (R the lcm of r's denominators), cached."""
    c = mdp._cache.get("int_rewards")
    if c is None:
        num = np.frompyfunc(lambda x: x.numerator, 1, 1)(mdp.r)
        den = np.frompyfunc(lambda x: x.denominator, 1, 1)(mdp.r)
        R = int(np.lcm.reduce(den.reshape(-1)))
        c = (num * (R // den), R)
        mdp._cache["int_rewards"] = c
    return c


def _int_rows(mdp):
    """Integer form of an exact ``P``, cached on the MDP.

    With ``L[s]`` the lcm of the denominators in ``P[s, :, :]``,
    ``P[s, a, t] = N[s, a, t] / L[s]`` for integers ``N``.  Returns
    ``(N, L, N_fmpz)``: ``N`` an int64 array when it fits (else Python ints),
    ``L`` an object array of Python ints, ``N_fmpz`` the ``(S*A, S)`` fmpz_mat.
    """
    c = mdp._cache.get("int_rows")
    if c is None:
        from flint import fmpz_mat

        S, A = mdp.n_states, mdp.n_actions
        P = mdp.P
        num = np.frompyfunc(lambda x: x.numerator, 1, 1)(P)
        den = np.frompyfunc(lambda x: x.denominator, 1, 1)(P)
        L = np.lcm.reduce(den.reshape(S, A * S), axis=1)
        N = num * (L[:, None, None] // den)
        N_fmpz = fmpz_mat(S * A, S, N.reshape(-1).tolist())
        if int(np.max(N)) < 2**62:
            N = N.astype(np.int64)
        c = (N, L, N_fmpz)
        mdp._cache["int_rows"] = c
    return c


class _LazyFraction(Fraction):
    r"""A :class:`~fractions.Fraction` :math:`n/d` kept unreduced until it is read.

    Exact Q and advantage entries share the long common denominator of V, and
    bringing each to lowest terms costs one gcd of two long integers (more than
    the exact solve itself at S = 100).  A lazy entry stores ``n`` and ``d > 0``
    as given and divides both by :math:`\gcd(n, d)` on the first access of its
    numerator or denominator, which every Fraction operation goes through
    (arithmetic, comparison, equality, hashing, ``str``, ``float``).  It is
    an instance of Fraction, equal and hash-equal to the reduced Fraction, and
    pickles and copies as a plain Fraction.
    """

    __slots__ = ("_n", "_d", "_lowest")

    def __new__(cls, n: int, d: int):
        self = object.__new__(cls)
        self._n, self._d, self._lowest = n, d, False
        return self

    def _reduce(self):
        n, d = self._n, self._d
        g = math.gcd(n, d)
        if g != 1:
            n, d = n // g, d // g
        self._n, self._d, self._lowest = n, d, True

    @property
    def _numerator(self):
        if not self._lowest:
            self._reduce()
        return self._n

    @property
    def _denominator(self):
        if not self._lowest:
            self._reduce()
        return self._d

    def __reduce__(self):
        return (Fraction, (self._numerator, self._denominator))

    def __copy__(self):
        return _coprime_fraction(self._numerator, self._denominator)

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __repr__(self):
        return f"Fraction({self._numerator}, {self._denominator})"


def _lazy_fractions(num, den):
    """Object array of lazily reduced Fractions ``num / den`` (broadcast; ``den > 0`` Python ints)."""
    return np.frompyfunc(_LazyFraction, 2, 1)(num, den)
