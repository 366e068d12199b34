"""Exact rationals for the exact and ball solvers: FLINT ``fmpq`` forms and integer forms.

``_fmpq_cache`` holds ``P``, ``r`` and ``gamma`` of an MDP as ``fmpq`` (floats
are dyadic rationals, converted exactly); ``_int_rows`` writes an exact ``P``
as ``N[s, a, t] / L[s]`` with integers ``N`` and row denominators ``L``, and
``_int_rewards`` writes ``r = m / R``.  Both are cached on the MDP.
``_fractions_canonical`` turns canonical ``fmpq`` entries into Fractions
without a second gcd; ``_LazyFraction`` is a Fraction from an unreduced
numerator and denominator, reduced (one gcd) only when read.
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
else:  # Python 3.10, 3.11: what 3.12's _from_coprime_ints does (Fraction's two slots, no checks)
    def _coprime_fraction(n, d):
        f = object.__new__(Fraction)
        f._numerator, f._denominator = n, d
        return f


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
    ``(N, L)``: ``N`` an int64 array when it fits (else Python ints), ``L``
    an object array of Python ints.
    """
    c = mdp._cache.get("int_rows_N_L")
    if c is None:
        S, A = mdp.n_states, mdp.n_actions
        P = mdp.P
        num = np.frompyfunc(lambda x: x.numerator, 1, 1)(P)
        den = np.frompyfunc(lambda x: x.denominator, 1, 1)(P)
        L = np.lcm.reduce(den.reshape(S, A * S), axis=1)
        N = num * (L[:, None, None] // den)
        if int(np.max(N)) < 2**62:
            N = N.astype(np.int64)
        c = (N, L)
        mdp._cache["int_rows_N_L"] = c
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
    pickles and copies as a plain Fraction.  ``n`` and ``d`` may be given as
    any integers with ``__int__`` (e.g. FLINT ``fmpz``); they are converted to
    Python ints when the entry is first read.
    """

    __slots__ = ("_n", "_d", "_lowest")

    def __new__(cls, n: int, d: int):
        self = object.__new__(cls)
        self._n, self._d, self._lowest = n, d, False
        return self

    def _reduce(self):
        n, d = int(self._n), int(self._d)  # a numerator may be a FLINT fmpz until read
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


def _raw(x):
    """``(n, d)`` with ``x = n / d``, ``d > 0``, without reducing a lazy entry."""
    if isinstance(x, _LazyFraction):
        return int(x._n), int(x._d)
    x = x if isinstance(x, Fraction) else Fraction(x)
    return x.numerator, x.denominator


def _lazy_product(a, b):
    """``a * b`` for exact rationals as a :class:`_LazyFraction` (no gcd: reduced when read)."""
    an, ad = _raw(a)
    bn, bd = _raw(b)
    return _LazyFraction(an * bn, ad * bd)


def _lazy_products(a, b):
    """Elementwise (broadcast) :func:`_lazy_product` of two object arrays."""
    return np.frompyfunc(_lazy_product, 2, 1)(a, b)


def _lazy_row_products(f, pi, X):
    r"""``f[s] * pi[s, a] * X[s, a]`` (shape (S, A)) as lazily reduced Fractions.

    The rows of ``X`` (exact Q or advantage) share one long unreduced
    denominator, so the long product of denominators is formed once per row
    and distinct denominator; each entry costs one long product (numerators).
    """
    S, A = X.shape
    out = np.empty((S, A), dtype=object)
    for s in range(S):
        fn, fd = _raw(f[s])
        row_den = {}
        for a in range(A):
            pn, pd = _raw(pi[s, a])
            xn, xd = _raw(X[s, a])
            dd = row_den.get(xd)
            if dd is None:
                dd = row_den[xd] = fd * xd
            out[s, a] = _LazyFraction(fn * xn * pn, dd * pd)
    return out


def _over_common_denominator(X):
    r"""``(N, D)``: integers ``N`` (object array, ``X``'s shape) and ``D > 0`` with ``X = N / D``.

    ``D`` is the lcm of the distinct (unreduced) denominators of the entries,
    so an array whose rows share a denominator costs one lcm per row, and no
    entry is reduced.  A linear map applied to ``N`` then needs no gcd of long
    integers; divide its result by ``D`` with :func:`_lazy_quotients`.
    """
    X = np.asarray(X, dtype=object)
    raw = [_raw(x) for x in X.reshape(-1)]
    dens = {}
    for _, d in raw:
        dens.setdefault(d, None)
    D = math.lcm(*dens) if dens else 1
    scale = {d: D // d for d in dens}
    N = np.empty(len(raw), dtype=object)
    N[:] = [n * scale[d] for n, d in raw]
    return N.reshape(X.shape), D


def _lazy_quotients(Y, D):
    """Elementwise ``Y / D`` (``Y`` exact rationals, ``D > 0`` an int) as lazily reduced Fractions."""
    def q(y):
        n, d = _raw(y)
        return _LazyFraction(n, d * D)

    return np.frompyfunc(q, 1, 1)(np.asarray(Y, dtype=object))
