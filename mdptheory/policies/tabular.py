"""Tabular policies ``pi[s, a]``: validation and simple constructors.

A policy is an array of shape ``(S, A)`` whose rows lie on the probability
simplex.  Wherever a policy is accepted (:func:`as_policy`, hence
:func:`mdptheory.evaluate`), a 1-D integer vector of length ``S`` is read as
the deterministic policy taking ``actions[s]`` in state ``s`` (the idiom of
pymdptoolbox and QuantEcon); a stochastic policy is always 2-D, so this is
unambiguous even when ``S == A``.  Float policies are float64 arrays; exact policies are object arrays
of :class:`fractions.Fraction`.  Parameterized policies (softmax, log-linear,
direct, neural) live in :mod:`mdptheory.policies`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError, InvalidPolicyError, format_value
from ..fields import exact_array, float_array, format_index, is_exact_scalar
from ..mdp import check_mdp

__all__ = [
    "DEFAULT_POLICY_ATOL",
    "as_policy",
    "policy_is_exact",
    "uniform_policy",
    "deterministic_policy",
    "greedy_policy",
    "policy_actions",
    "format_actions",
]

#: Tolerance on ``|sum_a pi[s, a] - 1|`` for float policies.
DEFAULT_POLICY_ATOL = 1e-10


def policy_is_exact(pi) -> bool:
    """True if ``pi`` holds exact rationals (integer dtype or exact objects)."""
    arr = pi if isinstance(pi, np.ndarray) else np.asarray(pi, dtype=object)
    if arr.dtype.kind in "iu":
        return True
    if arr.dtype == object:
        return arr.size > 0 and all(is_exact_scalar(x) for x in arr.flat)
    return False


def _check_policy_options(exact, atol):
    """``exact`` is None or a bool; ``atol`` a finite nonnegative real (returned as float)."""
    if exact is not None and not isinstance(exact, (bool, np.bool_)):
        raise InvalidParameterError(f"exact must be True, False or None; got {format_value(exact)}")
    if isinstance(atol, (bool, np.bool_)) or not (isinstance(atol, (int, float, np.integer, np.floating))
                                                   or is_exact_scalar(atol)):
        raise InvalidParameterError(f"atol must be a nonnegative real number; got {format_value(atol)}")
    try:
        t = float(atol)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"atol must be a finite nonnegative number; got {format_value(atol)}") from None
    if not (math.isfinite(t) and t >= 0):
        raise InvalidParameterError(f"atol must be a finite nonnegative number; got {format_value(atol)}")
    return (None if exact is None else bool(exact)), t


def as_policy(mdp, pi, *, exact: bool | None = None, atol: float = DEFAULT_POLICY_ATOL) -> np.ndarray:
    """Validate ``pi`` against ``mdp`` and return it as a read-only array.

    Parameters
    ----------
    mdp : MDP
    pi : array_like, shape (S, A)
        ``pi[s, a]`` = probability of action ``a`` in state ``s``.
    exact : bool, optional
        Force the field: True returns Fractions (the policy must be exact),
        False returns float64.  By default the policy keeps its own field.
    atol : float, keyword-only
        Tolerance on float row sums.

    Raises
    ------
    InvalidPolicyError
        Wrong shape, NaN/inf, negative entries or rows not summing to one;
        the message names the state and the value.
    """
    check_mdp(mdp)
    if (type(pi) is np.ndarray and pi.dtype == np.float64 and (exact is None or exact is False)
            and atol is DEFAULT_POLICY_ATOL and pi.shape == (mdp.n_states, mdp.n_actions)):
        # the common case (a float64 array of the right shape, default options): the checks of the
        # float branch below, without re-reading the options and the array; failures take the full path
        out = np.array(pi, dtype=np.float64, copy=True)
        if out.size and out.min() >= 0 and bool(np.all(np.abs(out.sum(axis=1) - 1.0) <= atol)):
            out.flags.writeable = False
            return out
    exact, atol = _check_policy_options(exact, atol)
    S, A = mdp.n_states, mdp.n_actions
    try:
        one_d = np.ndim(pi) == 1
    except (TypeError, ValueError):  # ragged: reported below
        one_d = False
    if one_d:
        return _from_actions(mdp, pi, exact)
    try:
        arr = pi if isinstance(pi, np.ndarray) else np.asarray(pi, dtype=object)
        if arr.dtype == object and arr.ndim == 2 and not policy_is_exact(arr):
            arr = float_array(arr, name="pi")
    except InvalidParameterError as exc:
        raise InvalidPolicyError(str(exc)) from None
    except Exception as exc:
        raise InvalidPolicyError(f"pi cannot be read as an array: {exc}") from None
    if arr.shape != (S, A):
        raise InvalidPolicyError(f"pi must have shape (S, A) = ({S}, {A}) to match the MDP; got {arr.shape}")
    is_exact = policy_is_exact(arr)
    if exact is None:
        exact = is_exact
    if exact:
        if not is_exact:
            raise InvalidPolicyError("an exact policy was required but pi holds floats")
        out = exact_array(arr, name="pi")
        neg = np.asarray(out < 0, dtype=bool)  # one elementwise comparison, no loop over states
        if neg.any():
            s, a = np.argwhere(neg)[0]
            raise InvalidPolicyError(f"pi[{s}, {a}] = {format_value(out[s, a])} is negative")
        sums = out.sum(axis=1)  # one reduction of Fractions per row, exact
        bad = np.asarray(sums != 1, dtype=bool)
        if bad.any():
            s = int(np.argmax(bad))
            raise InvalidPolicyError(f"pi[{s}, :] sums to {format_value(sums[s])}, must sum to 1")
    else:
        try:
            out = np.array(float_array(arr, name="pi"), dtype=np.float64, copy=True)
        except InvalidParameterError as exc:
            raise InvalidPolicyError(str(exc)) from None
        sums = out.sum(axis=1)
        # one combined test: a NaN or inf anywhere makes its row sum fail; details only on failure
        if not (out.size == 0 or (out.min() >= 0 and bool(np.all(np.abs(sums - 1.0) <= atol)))):
            bad = ~np.isfinite(out)
            if bad.any():
                s, a = np.argwhere(bad)[0]
                raise InvalidPolicyError(f"pi[{s}, {a}] = {float(out[s, a])!r} is not finite")
            if (out < 0).any():
                s, a = np.argwhere(out < 0)[0]
                raise InvalidPolicyError(f"pi[{s}, {a}] = {float(out[s, a])!r} is negative")
            bad = ~(np.abs(sums - 1.0) <= atol)
            s = int(np.argmax(bad))
            raise InvalidPolicyError(f"pi[{s}, :] sums to {float(sums[s])!r}, must sum to 1 (tolerance {atol:g})")
    out.flags.writeable = False
    return out


def uniform_policy(mdp) -> np.ndarray:
    """The uniform policy ``pi[s, a] = 1/A`` (exact for exact MDPs)."""
    check_mdp(mdp)
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_exact:
        return np.full((S, A), Fraction(1, A), dtype=object)
    return np.full((S, A), 1.0 / A)


def _from_actions(mdp, actions, exact):
    """The one-hot policy of an action vector, read-only, in the requested field."""
    S, A = mdp.n_states, mdp.n_actions
    vec = np.asarray(actions, dtype=object) if not isinstance(actions, np.ndarray) else actions
    ints = vec.dtype.kind in "iu" or (vec.dtype == object and all(
        isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) for x in vec))
    if not ints:
        raise InvalidPolicyError(f"pi must have shape (S, A) = ({S}, {A}), or be an action vector of {S} integer "
                                 f"action indices (read as deterministic_policy(mdp, actions)); got {vec.shape} "
                                 f"of dtype {np.asarray(actions).dtype}")
    if vec.shape != (S,):
        raise InvalidPolicyError(f"pi is an action vector of length {vec.shape[0]}; the MDP has S = {S} states "
                                 f"(see deterministic_policy)")
    for s, x in enumerate(vec):
        if not 0 <= int(x) < A:
            raise InvalidPolicyError(f"pi is an action vector; actions[{s}] = {format_value(x)} is not an "
                                     f"action index in [0, {A})")
    exact = mdp.is_exact if exact is None else exact
    pi = deterministic_policy(mdp, np.asarray([int(x) for x in vec], dtype=np.int64))
    if exact and not mdp.is_exact:
        pi = np.where(pi == 1, Fraction(1), Fraction(0)).astype(object)
    elif not exact and mdp.is_exact:
        pi = np.asarray(pi, dtype=np.float64)
    pi.flags.writeable = False
    return pi


def policy_actions(pi):
    """The action vector of a deterministic policy (one-hot rows), or None if ``pi`` is not deterministic.

    >>> policy_actions(np.array([[0.0, 1.0], [1.0, 0.0]])).tolist(), policy_actions(np.full((1, 2), 0.5))
    ([1, 0], None)
    """
    arr = np.asarray(pi)
    if arr.ndim != 2 or arr.shape[1] == 0:
        return None
    one = np.asarray(arr == 1, dtype=bool)
    zero = np.asarray(arr == 0, dtype=bool)
    if not (np.all(one | zero) and np.all(one.sum(axis=1) == 1)):
        return None
    return np.argmax(one, axis=1).astype(np.int64)


def format_actions(pi, *, max_states: int = 32) -> str | None:
    """``"[0, 1, 1]"`` for a deterministic policy (a summary beyond ``max_states``), None otherwise."""
    actions = policy_actions(pi)
    if actions is None:
        return None
    if actions.shape[0] > max_states:
        return "[" + ", ".join(map(str, actions[:8].tolist())) + f", ... ({actions.shape[0]} states)]"
    return str(actions.tolist())


def deterministic_policy(mdp, actions) -> np.ndarray:
    """The deterministic policy taking ``actions[s]`` in state ``s`` (exact 0/1 for exact MDPs)."""
    check_mdp(mdp)
    S, A = mdp.n_states, mdp.n_actions
    actions = np.asarray(actions)
    if actions.shape != (S,) or actions.dtype.kind not in "iu":
        raise InvalidPolicyError(f"actions must be an integer array of shape ({S},); got {actions.shape} {actions.dtype}")
    bad = (actions < 0) | (actions >= A)
    if bad.any():
        s = int(np.argmax(bad))
        raise InvalidPolicyError(f"actions[{s}] = {int(actions[s])} is not an action index in [0, {A})")
    if mdp.is_exact:
        pi = np.full((S, A), Fraction(0), dtype=object)
    else:
        pi = np.zeros((S, A))
    pi[np.arange(S), actions] = Fraction(1) if mdp.is_exact else 1.0
    return pi


def greedy_policy(mdp, Q) -> np.ndarray:
    """Deterministic policy greedy in ``Q[s, a]``, ties broken toward the lowest action index."""
    check_mdp(mdp)
    Q = np.asarray(Q)
    if Q.shape != (mdp.n_states, mdp.n_actions):
        raise InvalidParameterError(f"Q must have shape {(mdp.n_states, mdp.n_actions)}; got {Q.shape}")
    if Q.dtype == object:
        actions = np.array([max(range(Q.shape[1]), key=lambda a, row=row: (row[a], -a)) for row in Q])
    else:
        actions = np.argmax(Q, axis=1)
    return deterministic_policy(mdp, actions.astype(np.int64))
