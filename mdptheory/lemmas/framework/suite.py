"""The default suite: small generated MDPs and policies, reproducible from a seed.

Every case is a plain dict of keyword arguments for a checker plus a ``seed``
entry, so that a report's witness reproduces it.  Exact cases draw small
integer weights and normalise them to Fractions, so that exact arithmetic stays
cheap and witnesses stay readable.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...mdp import MDP

__all__ = [
    "GAMMAS",
    "case_rng",
    "random_case_mdp",
    "random_case_policy",
    "random_distribution",
    "policy_cases",
]

#: Discount factors used by the suite (as exact rationals; floats use their value).
GAMMAS = (Fraction(1, 2), Fraction(9, 10), Fraction(99, 100))


def case_rng(seed: int, statement_id: str, index: int) -> np.random.Generator:
    """An independent generator for one case: the same for any worker count."""
    key = [int(seed), index] + [ord(c) for c in statement_id]
    return np.random.default_rng(key)


def _weights(rng, shape, exact, zero_prob=0.3, high=5):
    w = rng.integers(0 if zero_prob else 1, high, size=shape)
    if zero_prob:
        w = np.where(rng.random(shape) < zero_prob, 0, w)
    # make every row nonempty
    flat = w.reshape(-1, shape[-1])
    empty = flat.sum(axis=1) == 0
    flat[empty, rng.integers(0, shape[-1], size=int(empty.sum()))] = 1
    w = flat.reshape(shape)
    if exact:
        tot = w.sum(axis=-1, keepdims=True)
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(*shape):
            out[idx] = Fraction(int(w[idx]), int(tot[idx[:-1] + (0,)]))
        return out
    w = w.astype(float) + (rng.random(shape) * (w > 0))
    return w / w.sum(axis=-1, keepdims=True)


def random_case_mdp(rng, *, exact: bool, max_states: int = 5, max_actions: int = 3, min_actions: int = 2,
                    gamma=None, rho: str = "random") -> MDP:
    """A small random MDP for the suite (integer-valued rewards).

    Exact cases have sparse transitions (tight inequalities, unreachable
    states: exact arithmetic decides them); float cases have dense transitions
    and full-support start distributions, so that inequalities hold with a
    margin that rounding cannot explain.
    """
    S = int(rng.integers(1, max_states + 1))
    A = int(rng.integers(min_actions, max_actions + 1))
    P = _weights(rng, (S, A, S), exact, zero_prob=0.3 if exact else 0.0)
    r_int = rng.integers(-3, 4, size=(S, A))
    if exact:
        r = np.empty((S, A), dtype=object)
        for idx in np.ndindex(S, A):
            r[idx] = Fraction(int(r_int[idx]), 2)
        g = gamma if gamma is not None else GAMMAS[int(rng.integers(len(GAMMAS)))]
    else:
        r = r_int / 2.0 + rng.random((S, A)) * 0.1
        g = float(gamma) if gamma is not None else float(GAMMAS[int(rng.integers(len(GAMMAS)))])
    mu = None
    if rho == "random":
        mu = random_distribution(rng, S, exact=exact, positive=not exact)
    elif rho == "positive":
        mu = random_distribution(rng, S, exact=exact, positive=True)
    return MDP(P, r, Fraction(g) if exact else g, mu)


def random_distribution(rng, n: int, *, exact: bool, positive: bool = False):
    """A random distribution on ``n`` points (full support if ``positive``)."""
    w = rng.integers(1 if positive else 0, 6, size=n)
    if w.sum() == 0:
        w[int(rng.integers(n))] = 1
    if exact:
        tot = int(w.sum())
        return np.array([Fraction(int(x), tot) for x in w], dtype=object)
    w = w.astype(float) + rng.random(n) * (w > 0)
    return w / w.sum()


def random_case_policy(rng, mdp, *, exact: bool, positive: bool = False):
    """A random policy on ``mdp`` (full support if ``positive``)."""
    S, A = mdp.n_states, mdp.n_actions
    w = rng.integers(1 if positive else 0, 5, size=(S, A))
    w[w.sum(axis=1) == 0, 0] = 1
    if exact:
        out = np.empty((S, A), dtype=object)
        tot = w.sum(axis=1)
        for s in range(S):
            for a in range(A):
                out[s, a] = Fraction(int(w[s, a]), int(tot[s]))
        return out
    w = w.astype(float) + rng.random((S, A)) * (w > 0)
    return w / w.sum(axis=1, keepdims=True)


def policy_cases(statement_id: str, *, n_policies: int = 1, with_mu: bool = False, with_f: bool = False,
                 positive_policy: bool = False):
    """A case generator ``cases(seed, n, mode)`` of (MDP, policies[, mu][, f]) cases."""

    def cases(seed, n, mode):
        exact = mode in ("exact", "symbolic")
        for i in range(n):
            rng = case_rng(seed, statement_id, i)
            mdp = random_case_mdp(rng, exact=exact)
            case = {"mdp": mdp}
            names = ["pi", "pi2", "pi3"][:n_policies]
            for nm in names:
                case[nm] = random_case_policy(rng, mdp, exact=exact, positive=positive_policy)
            if with_mu:
                case["mu"] = random_distribution(rng, mdp.n_states, exact=exact, positive=not exact)
            if with_f:
                fi = rng.integers(-4, 5, size=(mdp.n_states, mdp.n_actions))
                case["f"] = (np.vectorize(lambda x: Fraction(int(x)), otypes=[object])(fi) if exact
                             else fi.astype(float))
            case["seed"] = (seed, i)
            yield case

    return cases
