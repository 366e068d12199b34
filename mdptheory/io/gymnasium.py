r"""MDPs from gymnasium toy-text environments.

The table is ``env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]``;
:func:`from_gymnasium` builds ``P[s, a, s']`` and the expected reward
``r[s, a]`` from it (exactly, recovering simple rationals, with ``exact=True``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..exceptions import InvalidMDPError, MalformedFileError
from ..fields import to_fraction
from ..mdp import MDP
from ._common import _short, _index_int

__all__ = [
    "MAX_GYM_ENTRIES",
    "from_gymnasium",
]


#: Largest dense ``P`` (S * A * S entries) that :func:`from_gymnasium` builds.
MAX_GYM_ENTRIES = 50_000_000


def _simple_fraction(x, *, max_denominator: int = 10**6, ulps: int = 8) -> Fraction:
    """The simplest rational within ``ulps`` units in the last place of float ``x``.

    Used to recover the probabilities of toy-text tables (``0.33333333333333337``
    is 1/3 plus one ulp); falls back to the shortest decimal.
    """
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return Fraction(int(x))
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"non-finite value {x!r}")
    c = Fraction(f).limit_denominator(max_denominator)
    if abs(c - Fraction(f)) <= ulps * Fraction(math.ulp(f)):
        return c
    return Fraction(repr(f))


def from_gymnasium(env_or_P_table, *, gamma, terminal: str = "absorbing", exact: bool = False,
                   rho="env") -> MDP:
    r"""Build an MDP from a gymnasium toy-text environment or its ``P`` table.

    The table has ``P[s][a] = [(prob, next_state, reward, terminated), ...]``
    (FrozenLake, CliffWalking, Taxi expose it as ``env.unwrapped.P``).
    Rewards are attached to transitions there, so the expected reward is

    .. math::

        r(s, a) = \sum_{(p, s', R, \text{term}) \in P[s][a]} p \cdot R .

    Terminated transitions end the episode; two ways to express that in a
    discounted MDP (the value of every original state equals the expected
    discounted episodic return either way, as long as in ``"self-loop"``
    mode the landing states are entered only through terminating transitions):

    ``terminal="absorbing"`` (default)
        One extra state, index ``S``, absorbing with zero reward; every
        terminated transition goes there.  Always faithful.
    ``terminal="self-loop"``
        A terminated transition lands in its ``next_state`` as written, and
        every such state is made absorbing with zero reward under all actions
        (its own row of the table is replaced).  Keeps ``S`` states; right for
        FrozenLake's holes and goal, CliffWalking's goal and Taxi's delivered
        states, which the episode never leaves.

    Parameters
    ----------
    env_or_P_table : gymnasium.Env or dict
        An environment (``env.unwrapped.P`` is used) or the table itself.
        gymnasium is not imported.
    gamma : float or exact rational, keyword-only
    terminal : {"absorbing", "self-loop"}, keyword-only
    exact : bool, keyword-only
        Build an exact MDP: each probability becomes the simplest rational
        (denominator at most 10^6) within 8 ulps of the float, so the
        tables' ``0.33333333333333337`` reads as 1/3 and Taxi's
        ``0.09999999999999998`` as 1/10; rewards are read as their shortest
        decimals.  Rows must then sum to one exactly.
    rho : "env", "uniform" or array_like, keyword-only
        ``"env"`` uses the environment's ``initial_state_distrib`` when it has
        one, else uniform over the table's states; the absorbing state gets 0.

    Raises
    ------
    MalformedFileError
        If the table is not of the form above (states/actions not
        ``0..n-1``, entries not 4-tuples, next states out of range).
    InvalidMDPError
        If the probabilities do not form stochastic rows.

    Examples
    --------
    >>> table = {0: {0: [(1.0, 1, 1.0, True)]}, 1: {0: [(1.0, 1, 0.0, True)]}}
    >>> m = from_gymnasium(table, gamma=0.9)
    >>> m.n_states, m.r.tolist()
    (3, [[1.0], [0.0], [0.0]])
    """
    if terminal not in ("absorbing", "self-loop"):
        raise InvalidMDPError(f"terminal must be 'absorbing' or 'self-loop'; got {terminal!r}")
    env = None
    table = env_or_P_table
    if not isinstance(table, dict):
        env = getattr(table, "unwrapped", table)
        table = getattr(env, "P", None)
        if not isinstance(table, dict):
            raise MalformedFileError(
                f"{type(env_or_P_table).__name__} has no toy-text transition table .P (dict s -> dict a -> list)")
    S = len(table)
    if S == 0:
        raise MalformedFileError("the transition table has no states")
    if sorted(_table_keys(table, "P")) != list(range(S)):
        raise MalformedFileError(f"states must be the integers 0..{S - 1}")
    first = table[next(iter(table))] if 0 not in table else table[0]
    if not isinstance(first, dict) or len(first) == 0:
        raise MalformedFileError("P[0] must be a non-empty dict a -> list of transitions")
    A = len(first)
    S_out = S + 1 if terminal == "absorbing" else S
    if S_out * S_out * A > MAX_GYM_ENTRIES:
        raise MalformedFileError(f"a dense P of shape ({S_out}, {A}, {S_out}) exceeds "
                                 f"MAX_GYM_ENTRIES = {MAX_GYM_ENTRIES} entries")
    num = (lambda v, where: _gym_number(v, where, exact))
    zero = Fraction(0) if exact else 0.0
    P = np.full((S_out, A, S_out), zero, dtype=object if exact else np.float64)
    r = np.full((S_out, A), zero, dtype=object if exact else np.float64)
    absorbed = set()
    for s in range(S):
        row = table[s]
        if not isinstance(row, dict) or sorted(_table_keys(row, f"P[{s}]")) != list(range(A)):
            raise MalformedFileError(f"P[{s}] must be a dict with actions 0..{A - 1}")
        for a in range(A):
            trans = row[a]
            if not isinstance(trans, (list, tuple)) or len(trans) == 0:
                raise MalformedFileError(f"P[{s}][{a}] must be a non-empty list of transitions")
            for k, t in enumerate(trans):
                where = f"P[{s}][{a}][{k}]"
                if not isinstance(t, (list, tuple)) or len(t) not in (3, 4):
                    raise MalformedFileError(f"{where} must be (prob, next_state, reward, terminated); got {_short(t)}")
                p = num(t[0], where + " prob")
                s2 = _index_int(t[1], where + " next_state", S)
                rew = num(t[2], where + " reward")
                term = bool(t[3]) if len(t) == 4 else False
                if term and terminal == "absorbing":
                    s2 = S
                elif term:
                    absorbed.add(s2)
                P[s, a, s2] += p
                r[s, a] += p * rew
    one = Fraction(1) if exact else 1.0
    if terminal == "absorbing":
        P[S, :, S] = one
    for s2 in absorbed:
        P[s2] = zero
        P[s2, :, s2] = one
        r[s2] = zero
    rho_arr = _gym_rho(rho, env, S, S_out, exact)
    g = to_fraction(gamma, allow_float=True) if exact else gamma
    try:
        return MDP(P, r, g, rho_arr)
    except InvalidMDPError as exc:
        raise InvalidMDPError(f"gymnasium table: {exc}") from None


def _table_keys(d, where):
    keys = list(d.keys())
    for k in keys:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise MalformedFileError(f"{where} has a non-integer key {_short(k)}")
    return [int(k) for k in keys]


def _gym_number(v, where, exact):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating, Fraction)):
        raise MalformedFileError(f"{where} = {_short(v)} is not a number")
    if not math.isfinite(float(v)):
        raise MalformedFileError(f"{where} = {v!r} is not finite")
    if not exact:
        return float(v)
    if isinstance(v, Fraction):
        return v
    return _simple_fraction(v) if "prob" in where else to_fraction(v, allow_float=True)


def _gym_rho(rho, env, S, S_out, exact):
    if isinstance(rho, str):
        if rho not in ("env", "uniform"):
            raise InvalidMDPError(f"rho must be 'env', 'uniform' or an array; got {rho!r}")
        isd = getattr(env, "initial_state_distrib", None) if rho == "env" else None
        if isd is None:
            base = np.array([Fraction(1, S)] * S, dtype=object) if exact else np.full(S, 1.0 / S)
        else:
            isd = np.asarray(isd, dtype=np.float64).ravel()
            if isd.shape != (S,):
                raise MalformedFileError(f"initial_state_distrib has shape {isd.shape}, expected ({S},)")
            base = np.array([_simple_fraction(x) for x in isd], dtype=object) if exact else isd / isd.sum()
    else:
        return rho
    out = np.full(S_out, Fraction(0) if exact else 0.0, dtype=object if exact else np.float64)
    out[:S] = base
    return out
