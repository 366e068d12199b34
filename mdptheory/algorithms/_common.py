"""Shared plumbing of the algorithms: distributions, the exact optimum, KL moved, option checks."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..fields import exact_array, float_array, is_exact_scalar

__all__ = []


def check_T(T, name="T"):
    """A nonnegative iteration count."""
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or int(T) < 0:
        raise InvalidParameterError(f"{name} must be a nonnegative integer; got {T!r}")
    return int(T)


def check_positive(x, name, *, exact=False):
    """A positive finite step size or radius (kept exact if it is exact and ``exact``)."""
    if exact and is_exact_scalar(x):
        v = Fraction(x)
        if not v > 0:
            raise InvalidParameterError(f"{name} must be positive; got {name}={x!r}")
        return v
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a positive number; got {name}={x!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise InvalidParameterError(f"{name} must be positive and finite; got {name}={x!r}")
    return v


def distribution(mdp, x, name, *, exact):
    """``x`` (default ``mdp.rho``) as a validated distribution in the run's field."""
    S = mdp.n_states
    if x is None:
        x = mdp.rho
    arr = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if arr.shape != (S,):
        raise InvalidParameterError(f"{name} must have shape ({S},); got {arr.shape}")
    if exact:
        out = exact_array(arr, name=name)
        total = sum(out, Fraction(0))
        bad = [s for s in range(S) if out[s] < 0]
        if bad or total != 1:
            s = bad[0] if bad else None
            raise InvalidParameterError(
                f"{name} must be a distribution: " + (f"{name}[{s}] = {out[s]} < 0" if bad else f"sums to {total}"))
        return out
    out = float_array(arr, name=name)
    bad = np.flatnonzero(~(out >= 0))
    if bad.size or abs(out.sum() - 1.0) > 1e-10:
        s = int(bad[0]) if bad.size else None
        raise InvalidParameterError(
            f"{name} must be a distribution: " + (f"{name}[{s}] = {out[s]!r} < 0" if bad.size else f"sums to {out.sum()!r}"))
    return out


def float_mdp(mdp):
    """The MDP in float64 (cached conversion of an exact MDP)."""
    if not mdp.is_exact:
        return mdp
    m = mdp._cache.get("algorithms_float")
    if m is None:
        m = mdp.to_float()
        mdp._cache["algorithms_float"] = m
    return m


def optimum(mdp):
    """Exact (for exact MDPs) or float optimal solution, cached on the MDP."""
    sol = mdp._cache.get("algorithms_optimum")
    if sol is None:
        from ..optimal import solve

        sol = solve(mdp)
        mdp._cache["algorithms_optimum"] = sol
    return sol


def v_star(mdp, rho, *, exact):
    r""":math:`V^\star(\rho)` from exact policy iteration (a Fraction when ``exact``)."""
    sol = optimum(mdp)
    if exact:
        return sum((Fraction(v) * p for v, p in zip(sol.V, rho)), Fraction(0))
    return float(np.dot(float_array(sol.V), np.asarray(rho, dtype=float)))


def evaluate_float(mdp, pi):
    """Float evaluation of a float policy on (the float copy of) ``mdp``."""
    return evaluate(float_mdp(mdp), pi, mode="float")


def kl_moved(pi_next, pi, d):
    r"""``(E_{s~d} KL(pi_next_s || pi_s), max_s KL(pi_next_s || pi_s))`` in float64."""
    from ..kl import kl_policy

    kl = np.asarray(kl_policy(np.asarray(float_array(pi_next)), np.asarray(float_array(pi)), mode="float"),
                    dtype=float)
    d = np.asarray(float_array(d), dtype=float)
    pos = d > 0
    return float(np.dot(d[pos], kl[pos])), float(np.max(kl))


def softmax_theta0(mdp, theta0, n_params):
    """Initial float parameter (default 0)."""
    if theta0 is None:
        return np.zeros(n_params)
    th = float_array(np.asarray(theta0, dtype=object) if not isinstance(theta0, np.ndarray) else theta0,
                     name="theta0").reshape(-1)
    if th.shape != (n_params,):
        raise InvalidParameterError(f"theta0 must have shape ({n_params},); got {th.shape}")
    return th.copy()
