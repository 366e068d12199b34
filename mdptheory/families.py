r"""Named MDPs: random instances, textbook examples and known counterexamples.

Every constructor returns a validated :class:`~mdptheory.mdp.MDP` with the
layout ``P[s, a, s']``, ``r[s, a]``.  Random constructors take ``seed`` (any
value accepted by :func:`numpy.random.default_rng`) and never touch global
random state.  Where an exact rational instance is meaningful the constructor
takes ``exact``; random exact instances draw small positive integer weights and
normalise them to :class:`~fractions.Fraction`, so their numbers stay short.

Large instances (``sparse=True``) are built with array operations only, in
memory proportional to the number of nonzero transitions, and store ``P`` as a
CSR matrix of shape ``(S*A, S)``; a million states take seconds.  The
structured families (:func:`chain`, :func:`gridworld`, :func:`forest`), whose
rows have at most five nonzeros, default to ``sparse=None``: sparse from
:data:`SPARSE_MIN_STATES` states on, dense below (a dense ``forest(2000)`` is a
64 MB array for 8000 nonzeros).  Exact instances are always dense.

Contents
--------
random_mdp, garnet
    Random transition graphs (dense or sparse, float or exact).
chain, gridworld, gridworld_5x5, forest, bandit
    Textbook and toolbox examples with known values.
nonconcave_tree, bandit_mei, vanishing_gradient_chain
    Counterexamples and lower-bound instances from the policy-gradient
    literature (statement B4, B5, C1).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from .exceptions import InvalidParameterError, format_value
from .deprecation import renamed_keyword
from .fields import is_exact_scalar, to_fraction
from .mdp import MDP

__all__ = [
    "random_mdp",
    "garnet",
    "chain",
    "gridworld",
    "gridworld_5x5",
    "forest",
    "bandit",
    "bandit_mei",
    "nonconcave_tree",
    "vanishing_gradient_chain",
    "SPARSE_MIN_STATES",
]

#: Largest integer weight drawn for exact random instances (weights in 1..MAX).
_EXACT_WEIGHT_MAX = 9
#: Rewards of exact random instances are k / _EXACT_REWARD_DEN, k in 0.._EXACT_REWARD_DEN.
_EXACT_REWARD_DEN = 10


# ------------------------------------------------------------------ checks
#: Largest size argument accepted (states, actions, rows...): beyond it no MDP fits in memory.
MAX_SIZE = 10**8
#: Largest number of stored transition entries (dense S*A*S, or sparse S*A*successors).
MAX_ENTRIES = 10**9


def _check_int(value, name, *, minimum=1, maximum=MAX_SIZE):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidParameterError(f"{name} must be an integer; got {format_value(value)}")
    if value < minimum:
        raise InvalidParameterError(f"{name} must be >= {minimum}; got {format_value(value)}")
    if value > maximum:
        raise InvalidParameterError(f"{name} = {format_value(value)} exceeds {maximum:g}: no such MDP fits in memory")
    return int(value)


#: Bytes of working memory per stored transition entry (float64 values, indices and the
#: temporaries of construction and validation).
_BYTES_PER_ENTRY = 40


def _available_memory() -> float:
    """Physical memory currently available, in bytes (inf where the platform does not say)."""
    import os

    try:
        return float(os.sysconf("SC_PAGE_SIZE")) * float(os.sysconf("SC_AVPHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return math.inf


def _check_entries(n_entries, what, *, hint="sparse=True or a smaller size"):
    """Refuse constructions whose transition storage cannot fit in memory (a fixed cap and the free memory)."""
    if n_entries > MAX_ENTRIES:
        raise InvalidParameterError(f"{what} would store {n_entries:.3g} transition entries "
                                    f"(limit {MAX_ENTRIES:g}); use {hint}")
    need = n_entries * _BYTES_PER_ENTRY
    free = _available_memory()
    if need > free:
        raise InvalidParameterError(f"{what} would store {n_entries:.3g} transition entries, about "
                                    f"{need / 2**30:.3g} GiB of working memory, but {free / 2**30:.3g} GiB are "
                                    f"available; use {hint}")


#: Largest number of dense exact transition entries (each a Fraction object).
MAX_EXACT_ENTRIES = 10**6


def _check_dense_size(S, A, exact, what):
    """Refuse a dense ``(S, A, S)`` construction beyond memory (Fractions when ``exact``)."""
    n = S * A * S
    _check_entries(n, what, hint="a smaller size")
    if exact and n > MAX_EXACT_ENTRIES:
        raise InvalidParameterError(f"{what} would store {n:.3g} exact transition entries "
                                    f"(limit {MAX_EXACT_ENTRIES:g}); use exact=False or a smaller size")


#: With ``sparse=None`` (the default of :func:`chain`, :func:`gridworld` and
#: :func:`forest`) float instances with at least this many states store ``P`` as
#: CSR; smaller ones and exact ones are dense.
SPARSE_MIN_STATES = 1000


def _resolve_sparse(sparse, exact, S, name):
    """``sparse`` as a bool: ``None`` means CSR for float instances with ``S >= SPARSE_MIN_STATES``."""
    if sparse is None:
        return (not exact) and S >= SPARSE_MIN_STATES
    if not isinstance(sparse, (bool, np.bool_)):
        raise InvalidParameterError(f"sparse must be True, False or None; got {format_value(sparse)}")
    sparse = bool(sparse)
    if exact and sparse:
        raise InvalidParameterError(f"{name}: exact=True and sparse=True cannot be combined "
                                    "(sparse MDPs are float only)")
    return sparse


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be True or False; got {format_value(value)}")
    return bool(value)


def _check_real(value, name, *, lo=None, hi=None, lo_open=False, hi_open=False, exact=False):
    """Check a real scalar (optionally in an interval); return it as Fraction or float."""
    if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, numbers.Real) or is_exact_scalar(value) or isinstance(value, str)):
        raise InvalidParameterError(f"{name} must be a real number; got {format_value(value)}")
    try:
        if exact or is_exact_scalar(value) or isinstance(value, str):
            x = to_fraction(value, allow_float=True)
        else:
            x = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} = {format_value(value)}: {exc}") from None
    if isinstance(x, float) and not math.isfinite(x):
        raise InvalidParameterError(f"{name} must be finite; got {format_value(value)}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise InvalidParameterError(f"{name} = {format_value(value)} is out of range; must be "
                                    f"{'>' if lo_open else '>='} {lo}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise InvalidParameterError(f"{name} = {format_value(value)} is out of range; must be "
                                    f"{'<' if hi_open else '<='} {hi}")
    return x


def _gamma(gamma, exact):
    """Validate a discount factor in [0, 1); exact rationals when ``exact``."""
    g = _check_real(gamma, "gamma", lo=0, hi=1, hi_open=True, exact=exact)
    return g if exact else float(g)


def _prob(x, name, exact):
    p = _check_real(x, name, lo=0, hi=1, exact=exact)
    return p if exact else float(p)


def _rng(seed):
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"seed = {format_value(seed)} cannot seed numpy.random.default_rng: {exc}") from None


def _fractions(num, den):
    """Object array ``num / den`` of Fractions (integer arrays, broadcasting)."""
    return np.frompyfunc(lambda n, d: Fraction(int(n), int(d)), 2, 1)(num, den)


# ------------------------------------------------------------ random graphs
def _distinct_columns(rng, n_rows, S, k):
    """``(n_rows, k)`` sorted column indices, each row a uniform random k-subset of range(S).

    Small or dense problems use random sort keys.  Large sparse ones draw with
    replacement and redraw only the repeated entries until each row is
    distinct; the procedure is invariant under relabelling the columns, so each
    row is a uniformly distributed k-subset.
    """
    if k == S:
        return np.broadcast_to(np.arange(S), (n_rows, S)).copy()
    if 2 * k > S or n_rows * S <= 1 << 22:
        out = np.empty((n_rows, k), dtype=np.int64)
        chunk = max(1, (1 << 22) // S)
        for start in range(0, n_rows, chunk):  # chunks of rows bound the memory
            stop = min(n_rows, start + chunk)
            keys = rng.random((stop - start, S))
            out[start:stop] = np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
        return out
    cols = rng.integers(0, S, size=(n_rows, k))
    while True:
        cols.sort(axis=1)
        dup = cols[:, 1:] == cols[:, :-1]
        n_dup = int(dup.sum())
        if n_dup == 0:
            return cols
        tail = cols[:, 1:]
        tail[dup] = rng.integers(0, S, size=n_dup)


def _random_instance(S, A, k, *, gamma, seed, exact, sparse, name):
    """Shared builder of :func:`random_mdp` and :func:`garnet`."""
    exact = _check_bool(exact, "exact")
    if sparse is None:  # random instances are dense unless asked (no size threshold)
        sparse = False
    sparse = _resolve_sparse(sparse, exact, S, name)
    g = _gamma(gamma, exact)
    rng = _rng(seed)
    n = S * A
    cols = _distinct_columns(rng, n, S, k)
    if exact:
        w = rng.integers(1, _EXACT_WEIGHT_MAX + 1, size=(n, k))
        vals = _fractions(w, w.sum(axis=1, keepdims=True))
        num = rng.integers(0, _EXACT_REWARD_DEN + 1, size=(S, A))
        r = _fractions(num, _EXACT_REWARD_DEN)
        P = np.full((n, S), Fraction(0), dtype=object)
        P[np.arange(n)[:, None], cols] = vals
        return MDP(P.reshape(S, A, S), r, g)
    # uniform on the simplex of the k successors (Dirichlet(1, ..., 1))
    w = rng.exponential(size=(n, k))
    w += np.finfo(float).tiny  # a zero draw would drop a successor
    vals = w / w.sum(axis=1, keepdims=True)
    r = rng.random((S, A))
    if sparse:
        import scipy.sparse as sp

        indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        P = sp.csr_matrix((vals.ravel(), cols.ravel(), indptr), shape=(n, S))
        return MDP(P, r, g)
    P = np.zeros((n, S))
    P[np.arange(n)[:, None], cols] = vals
    return MDP(P.reshape(S, A, S), r, g)


def random_mdp(S, A, *, gamma=0.9, density=1.0, seed=None, exact=False, sparse=False) -> MDP:
    r"""A random MDP with a given fraction of successors per state-action pair.

    Each pair :math:`(s, a)` gets :math:`k = \max(1, \operatorname{round}(\text{density}\cdot S))`
    distinct successors chosen uniformly at random; the probabilities on them are
    uniform on the simplex (Dirichlet(1, …, 1)); rewards are i.i.d. uniform on
    :math:`[0, 1)`.  With ``exact=True`` the probabilities are integer weights in
    ``1..9`` normalised to Fractions and the rewards are multiples of 1/10 in
    :math:`[0, 1]`; ``gamma`` is read as the decimal it prints as (0.9 → 9/10).
    Used as a generic test bed: dense instances exercise LAPACK, sparse ones the
    sparse solvers.

    Parameters
    ----------
    S, A : int
        Number of states and actions (at least 1).
    gamma : float or rational, keyword-only
        Discount factor in :math:`[0, 1)`.
    density : float, keyword-only
        Fraction of states that are successors of each pair, in :math:`(0, 1]`.
    seed : int or numpy.random.Generator, optional, keyword-only
    exact : bool, keyword-only
        Exact rational instance (dense only).
    sparse : bool, keyword-only
        Store ``P`` as a CSR matrix (float only); memory is proportional to
        :math:`S A k`.

    Returns
    -------
    MDP

    Raises
    ------
    InvalidParameterError
        For a bad size, density, gamma, seed, or ``exact`` with ``sparse``.

    Examples
    --------
    >>> m = random_mdp(4, 2, density=0.5, seed=0, exact=True)
    >>> m.is_exact, (m.P != 0).sum(axis=2).tolist()
    (True, [[2, 2], [2, 2], [2, 2], [2, 2]])
    """
    S = _check_int(S, "S")
    A = _check_int(A, "A")
    d = float(_check_real(density, "density", lo=0, hi=1, lo_open=True))
    k = min(S, max(1, int(round(d * S))))
    _check_entries(S * A * (k if sparse else S), "random_mdp")
    return _random_instance(S, A, k, gamma=gamma, seed=seed, exact=exact, sparse=sparse, name="random_mdp")


def garnet(S, A, branching, *, gamma=0.9, seed=None, exact=False, sparse=False) -> MDP:
    r"""A Garnet ("generic average reward non-stationary environment test-bench") MDP.

    Each state-action pair has exactly ``branching`` distinct successors drawn
    uniformly at random; their probabilities split the unit interval at
    ``branching - 1`` uniform cut points (equivalently Dirichlet(1, …, 1)); the
    reward of each pair is uniform on :math:`[0, 1)`.  With ``exact=True``
    probabilities are integer weights in ``1..9`` normalised to Fractions and
    rewards are multiples of 1/10 (a rational analogue, not the original
    distribution).  The standard random benchmark of the policy-evaluation and
    actor-critic literature.

    References: Archibald, McKinnon and Thomas (1995), "On the generation of
    Markov decision processes", J. Oper. Res. Soc. 46; Bhatnagar, Sutton,
    Ghavamzadeh and Lee (2009), "Natural actor-critic algorithms", Automatica 45.

    Parameters
    ----------
    S, A : int
        Number of states and actions.
    branching : int
        Successors per pair, ``1 <= branching <= S``.
    gamma, seed, exact, sparse
        As in :func:`random_mdp`.

    Returns
    -------
    MDP

    Examples
    --------
    >>> m = garnet(1000, 3, 5, seed=1, sparse=True)
    >>> m.P.shape, m.P.nnz
    ((3000, 1000), 15000)
    """
    S = _check_int(S, "S")
    A = _check_int(A, "A")
    b = _check_int(branching, "branching")
    if b > S:
        raise InvalidParameterError(f"branching = {b} exceeds the number of states S = {S}")
    _check_entries(S * A * (b if sparse else S), "garnet")
    return _random_instance(S, A, b, gamma=gamma, seed=seed, exact=exact, sparse=sparse, name="garnet")


# ------------------------------------------------------------ textbook MDPs
def chain(n, *, gamma=0.9, slip=0, exact=False, sparse=None) -> MDP:
    r"""A chain of ``n`` states with a reward at the right end.

    Action 0 moves left, action 1 moves right; with probability ``slip`` the
    move goes the other way.  Moves past either end stay put.  Every action in
    the rightmost state ``n - 1`` earns reward 1; all other rewards are 0.  With
    ``slip = 0`` the optimal policy moves right and

    .. math::

        V^*(s) = \frac{\gamma^{\,n-1-s}}{1-\gamma},

    the simplest MDP whose optimal value needs planning ``n - 1`` steps ahead.

    Parameters
    ----------
    n : int
        Number of states, at least 1.
    gamma : float or rational, keyword-only
    slip : float or rational, keyword-only
        Probability in :math:`[0, 1]` that a move is reversed.
    exact : bool, keyword-only
        Exact rationals (``gamma`` and ``slip`` read as decimals).
    sparse : bool or None, keyword-only
        CSR transitions (float only; at most two nonzeros per row).  ``None``
        (default): sparse when ``n >= SPARSE_MIN_STATES`` and not ``exact``.

    Examples
    --------
    >>> chain(3, exact=True).P[0, 1].tolist()
    [Fraction(0, 1), Fraction(1, 1), Fraction(0, 1)]
    """
    n = _check_int(n, "n")
    exact = _check_bool(exact, "exact")
    sparse = _resolve_sparse(sparse, exact, n, "chain")
    _check_entries(2 * n * (2 if sparse else n), "chain" if sparse else "chain (dense)")
    g = _gamma(gamma, exact)
    q = _prob(slip, "slip", exact)
    one, zero = (Fraction(1), Fraction(0)) if exact else (1.0, 0.0)
    s = np.arange(n)
    left, right = np.maximum(s - 1, 0), np.minimum(s + 1, n - 1)
    if sparse:
        import scipy.sparse as sp

        # the four (row, column, value) families of the dense np.add.at below; COO -> CSR sums
        # the (at most two) entries that fold onto one column, as add.at does
        rows = np.concatenate([2 * s, 2 * s, 2 * s + 1, 2 * s + 1])
        cols = np.concatenate([left, right, right, left])
        vals = np.concatenate([np.full(n, one - q), np.full(n, q), np.full(n, one - q), np.full(n, q)])
        r = np.zeros((n, 2))
        r[n - 1, :] = one
        return MDP(sp.csr_matrix((vals, (rows, cols)), shape=(2 * n, n)), r, g)
    P = np.full((n, 2, n), zero, dtype=object if exact else float)
    # np.add.at accumulates where left == right (n = 1) or a wall folds a move back
    np.add.at(P, (s, 0, left), one - q)
    np.add.at(P, (s, 0, right), q)
    np.add.at(P, (s, 1, right), one - q)
    np.add.at(P, (s, 1, left), q)
    r = np.full((n, 2), zero, dtype=object if exact else float)
    r[n - 1, :] = one
    return MDP(P, r, g)


#: Moves of the gridworlds, in action order: north, east, south, west.
_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])


def gridworld_5x5(*, gamma=0.9, exact=False) -> MDP:
    r"""Sutton and Barto's 5×5 gridworld (Example 3.5).

    States are the cells ``s = 5 * row + col`` (row 0 on top); actions 0–3 move
    north, east, south, west.  From cell A = (0, 1) every action moves to
    A' = (4, 1) with reward +10; from B = (0, 3) every action moves to
    B' = (2, 3) with reward +5; a move off the grid leaves the cell unchanged
    with reward −1; every other move earns 0.  With :math:`\gamma = 0.9` the
    book prints (to one decimal) :math:`V^\pi(A) = 8.8`, :math:`V^\pi(B) = 5.3`
    for the equiprobable random policy (Figure 3.2) and :math:`V^*(A) = 24.4`
    (Figure 3.5) — the classic first example of state values.

    Reference: Sutton and Barto (2018), *Reinforcement Learning: An
    Introduction*, 2nd ed., Examples 3.5 and 3.8.

    Parameters
    ----------
    gamma : float or rational, keyword-only
        Discount factor; 0.9 in the book.
    exact : bool, keyword-only
        Exact rationals (``gamma = 0.9`` becomes 9/10).

    Examples
    --------
    >>> m = gridworld_5x5(exact=True)
    >>> m.n_states, m.n_actions, m.gamma, m.r[1].tolist()
    (25, 4, Fraction(9, 10), [Fraction(10, 1), Fraction(10, 1), Fraction(10, 1), Fraction(10, 1)])
    """
    exact = _check_bool(exact, "exact")
    g = _gamma(gamma, exact)
    n = 5
    rows, cols = np.divmod(np.arange(n * n), n)
    tr = rows[:, None] + _MOVES[None, :, 0]
    tc = cols[:, None] + _MOVES[None, :, 1]
    off = (tr < 0) | (tr >= n) | (tc < 0) | (tc >= n)
    nxt = np.where(off, np.arange(n * n)[:, None], tr * n + tc)
    reward = np.where(off, -1, 0)
    A_cell, A_prime, B_cell, B_prime = 0 * n + 1, 4 * n + 1, 0 * n + 3, 2 * n + 3
    nxt[A_cell, :], reward[A_cell, :] = A_prime, 10
    nxt[B_cell, :], reward[B_cell, :] = B_prime, 5
    P = np.zeros((n * n, 4, n * n), dtype=np.int64)
    P[np.arange(n * n)[:, None], np.arange(4)[None, :], nxt] = 1
    if exact:
        return MDP(P, reward, g)
    return MDP(P.astype(float), reward.astype(float), g)


def _goal_index(goal, nrows, ncols):
    if goal is None:
        return nrows * ncols - 1
    if isinstance(goal, (tuple, list)) and len(goal) == 2:
        gr = _check_int(goal[0], "goal[0]", minimum=0)
        gc = _check_int(goal[1], "goal[1]", minimum=0)
        if gr >= nrows or gc >= ncols:
            raise InvalidParameterError(f"goal = {tuple(goal)} lies outside the {nrows}x{ncols} grid")
        return gr * ncols + gc
    gi = _check_int(goal, "goal", minimum=0)
    if gi >= nrows * ncols:
        raise InvalidParameterError(f"goal = {gi} is not a cell index in [0, {nrows * ncols})")
    return gi


def gridworld(nrows, ncols, *, gamma=0.9, slip=0.0, goal=None, sparse=None, exact=False) -> MDP:
    r"""A rectangular gridworld with one absorbing rewarding goal cell.

    States are cells ``s = ncols * row + col``; actions 0–3 move north, east,
    south, west.  With probability ``1 - slip`` the chosen move is made; with
    probability ``slip`` a uniformly random one of the four moves is made
    instead.  Moves off the grid stay put.  The goal cell is absorbing and every
    action there earns reward 1; all other rewards are 0.  With ``slip = 0``,

    .. math::

        V^*(s) = \frac{\gamma^{\,\|s - g\|_1}}{1-\gamma}

    (Manhattan distance to the goal).  The transition graph is banded with
    bandwidth ``ncols``, so sparse LU solves are cheap: the instance scales to
    :math:`10^6` states with ``sparse=True``.

    Parameters
    ----------
    nrows, ncols : int
        Grid size.
    gamma : float or rational, keyword-only
    slip : float or rational, keyword-only
        Probability in :math:`[0, 1]` of a uniformly random move.
    goal : int or (row, col), optional, keyword-only
        The goal cell (default: bottom-right).
    sparse : bool or None, keyword-only
        CSR transitions, built with array operations (float only).  ``None``
        (default): sparse when ``nrows * ncols >= SPARSE_MIN_STATES`` and not ``exact``.
    exact : bool, keyword-only
        Exact rationals (dense only).

    Examples
    --------
    >>> m = gridworld(1000, 1000, slip=0.1, sparse=True)
    >>> m.n_states, m.P.nnz <= 5 * m.n_states * m.n_actions
    (1000000, True)
    """
    nrows = _check_int(nrows, "nrows")
    ncols = _check_int(ncols, "ncols")
    exact = _check_bool(exact, "exact")
    sparse = _resolve_sparse(sparse, exact, nrows * ncols, "gridworld")
    _check_entries(4 * nrows * ncols * (5 if sparse else nrows * ncols), "gridworld")
    g = _gamma(gamma, exact)
    q = _prob(slip, "slip", exact)
    gi = _goal_index(goal, nrows, ncols)
    S, A = nrows * ncols, 4
    cells = np.arange(S, dtype=np.int64)
    rows, cols = np.divmod(cells, ncols)
    tr = rows[:, None] + _MOVES[None, :, 0]
    tc = cols[:, None] + _MOVES[None, :, 1]
    off = (tr < 0) | (tr >= nrows) | (tc < 0) | (tc >= ncols)
    dest = np.where(off, cells[:, None], tr * ncols + tc)  # (S, 4): where move m leads
    dest[gi, :] = gi
    r_num = np.zeros((S, A), dtype=np.int64)
    r_num[gi, :] = 1
    if exact:
        w_move = q / 4
        w_intended = 1 - q + w_move
    else:
        w_move = q / 4.0
        w_intended = 1.0 - q + w_move
    # entry (s, a, m): probability w_intended if m == a else w_move, landing in dest[s, m]
    if sparse:
        import scipy.sparse as sp

        indices = np.broadcast_to(dest[:, None, :], (S, A, 4)).reshape(-1)
        data = np.full((S, A, 4), w_move)
        data[:, np.arange(A), np.arange(A)] = w_intended
        data[gi] = 0.0  # the goal's four moves all lead to the goal: one entry of exactly 1
        data[gi, :, 0] = 1.0
        indptr = np.arange(0, S * A * 4 + 1, 4, dtype=np.int64)
        P = sp.csr_matrix((data.reshape(-1), indices, indptr), shape=(S * A, S))
        return MDP(P, r_num.astype(float), g)
    dtype = object if exact else float
    zero = Fraction(0) if exact else 0.0
    P = np.full((S, A, S), zero, dtype=dtype)
    s_idx = np.repeat(cells, A * 4)
    a_idx = np.tile(np.repeat(np.arange(A), 4), S)
    m_idx = np.tile(np.arange(4), S * A)
    vals = np.where(a_idx == m_idx, np.array(w_intended, dtype=dtype), np.array(w_move, dtype=dtype))
    np.add.at(P, (s_idx, a_idx, dest[s_idx, m_idx]), vals)
    P[gi] = zero
    P[gi, :, gi] = Fraction(1) if exact else 1.0
    return MDP(P, r_num if exact else r_num.astype(float), g)


def forest(S=3, r1=4, r2=2, p=0.1, *, gamma=0.9, exact=False, sparse=None) -> MDP:
    r"""pymdptoolbox's forest-management MDP.

    States ``0..S-1`` are the age classes of a forest (``S - 1`` the oldest).
    Action 0 (*wait*): with probability ``p`` a fire resets the forest to state
    0, otherwise it ages one class (the oldest class stays oldest); waiting in
    the oldest state earns ``r1``.  Action 1 (*cut*): the forest returns to
    state 0 and earns 1, except ``0`` in state 0 and ``r2`` in the oldest
    state.  In pymdptoolbox's layout ``P`` is ``(A, S, S)``; here it is
    ``P[s, a, s']`` with the same numbers.  The standard small example of
    MDP toolboxes (pymdptoolbox ``mdptoolbox.example.forest``, after the
    MATLAB/R MDPtoolbox of Chadès et al., 2014, Ecography 37).

    With the defaults and :math:`\gamma = 9/10` waiting is optimal everywhere
    and :math:`V^* = (6561/250,\ 7371/250,\ 8371/250)` exactly.

    Parameters
    ----------
    S : int
        Number of age classes, at least 2.
    r1, r2 : real
        Rewards of waiting and of cutting in the oldest state.
    p : real
        Fire probability in :math:`[0, 1]`.
    gamma : float or rational, keyword-only
        0.9 by default (9/10 when ``exact``).
    exact : bool, keyword-only
        Exact rationals (``p``, ``r1``, ``r2``, ``gamma`` read as decimals).
    sparse : bool or None, keyword-only
        CSR transitions (float only): two nonzeros per wait row, one per cut row.
        ``None`` (default): sparse when ``S >= SPARSE_MIN_STATES`` and not ``exact``
        (``forest(2000)`` is then 8000 stored entries instead of a 64 MB array).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> m = forest(exact=True)
    >>> m.P[:, 0].tolist() == [[F(1, 10), F(9, 10), 0], [F(1, 10), 0, F(9, 10)], [F(1, 10), 0, F(9, 10)]]
    True
    >>> m.r.tolist()
    [[Fraction(0, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1)], [Fraction(4, 1), Fraction(2, 1)]]
    """
    S = _check_int(S, "S", minimum=2)
    exact = _check_bool(exact, "exact")
    sparse = _resolve_sparse(sparse, exact, S, "forest")
    _check_entries(2 * S * (2 if sparse else S), "forest")
    g = _gamma(gamma, exact)
    p = _prob(p, "p", exact)
    r1 = _check_real(r1, "r1", exact=exact)
    r2 = _check_real(r2, "r2", exact=exact)
    one, zero = (Fraction(1), Fraction(0)) if exact else (1.0, 0.0)
    dtype = object if exact else float
    r = np.full((S, 2), zero, dtype=dtype)
    r[S - 1, 0] = r1
    r[1:, 1] = one
    r[S - 1, 1] = r2
    s = np.arange(S)
    older = np.minimum(s + 1, S - 1)
    if sparse:
        import scipy.sparse as sp

        # rows s*2 (wait): p -> 0 and 1-p -> older; rows s*2+1 (cut): 1 -> 0
        rows = np.concatenate([2 * s, 2 * s, 2 * s + 1])
        cols = np.concatenate([np.zeros(S, dtype=np.int64), older, np.zeros(S, dtype=np.int64)])
        vals = np.concatenate([np.full(S, p), np.full(S, 1.0 - p), np.ones(S)])
        P = sp.csr_matrix((vals, (rows, cols)), shape=(2 * S, S))
        return MDP(P, r, g)
    P = np.full((S, 2, S), zero, dtype=dtype)
    np.add.at(P, (s, 0, 0), p)  # add.at: state 0 ages into state 1, never onto itself
    np.add.at(P, (s, 0, older), one - p)
    P[:, 1, 0] = one
    return MDP(P, r, g)


def bandit(rewards, *, gamma=0) -> MDP:
    r"""A multi-armed bandit as a one-state MDP.

    One state, one action per arm, ``r[0, a] = rewards[a]``; every action
    returns to the state.  With :math:`\gamma = 0` the value of a policy is
    :math:`V^\pi = \sum_a \pi(a) r_a`, so bandit facts (softmax non-concavity,
    gradient-domination constants) become MDP facts.  Exact when the rewards
    are exact (ints, Fractions, strings such as ``"9/10"``); float otherwise.

    Parameters
    ----------
    rewards : sequence of real, length A >= 1
    gamma : real, keyword-only
        Discount in :math:`[0, 1)`; 0 by default.

    Examples
    --------
    >>> bandit([1, "9/10", "1/10"]).r.tolist()
    [[Fraction(1, 1), Fraction(9, 10), Fraction(1, 10)]]
    """
    try:
        arr = np.asarray(rewards, dtype=object)
    except Exception as exc:  # ragged input
        raise InvalidParameterError(f"rewards cannot be read as a sequence: {exc}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidParameterError(f"rewards must be a non-empty 1-D sequence; got shape {arr.shape}")
    exact = all(is_exact_scalar(x) or isinstance(x, str) for x in arr)
    vals = [_check_real(x, f"rewards[{a}]", exact=exact) for a, x in enumerate(arr)]
    A = len(vals)
    g = _gamma(gamma, exact)
    if exact:
        P = np.full((1, A, 1), Fraction(1), dtype=object)
        return MDP(P, np.array([vals], dtype=object), g)
    return MDP(np.ones((1, A, 1)), np.array([vals], dtype=float), g)


def bandit_mei() -> MDP:
    r"""The three-armed bandit :math:`r = (1, 9/10, 1/10)` of Mei et al. (2020), exact.

    Witness that the softmax objective :math:`\theta \mapsto \pi_\theta^\top r`
    is not concave (statement B5; Mei, Xiao, Szepesvári, Schuurmans 2020, "On the
    global convergence rates of softmax policy gradient methods", Prop. 1):
    :math:`\theta = 0` gives 2/3, :math:`\theta = (\ln 9, \ln 16, \ln 25)` gives
    259/500 and their midpoint :math:`(\ln 3, \ln 4, \ln 5)` gives 71/120, and
    :math:`2/3 + 259/500 > 2 \cdot 71/120`.

    Examples
    --------
    >>> bandit_mei().r.tolist()
    [[Fraction(1, 1), Fraction(9, 10), Fraction(1, 10)]]
    """
    return bandit([Fraction(1), Fraction(9, 10), Fraction(1, 10)])


# ------------------------------------------------------------ counterexamples
def nonconcave_tree(r=1, *, gamma=Fraction(9, 10), exact=True) -> MDP:
    r"""AJKS Lemma 9.5's deterministic tree: softmax policy optimisation is not concave.

    States :math:`s_1, \dots, s_5` are indices 0–4, actions :math:`a_1, a_2` are
    0, 1.  :math:`s_1 \xrightarrow{a_1} s_3`, :math:`s_1 \xrightarrow{a_2} s_2`
    (reward 0); :math:`s_2 \xrightarrow{a_1} s_4` with reward ``r`` > 0,
    :math:`s_2 \xrightarrow{a_2} s_5` with reward 0; :math:`s_3, s_4, s_5` are
    absorbing with reward 0.  The start distribution is the point mass on
    :math:`s_1`.  Hence
    :math:`V^\pi(s_1) = \gamma\, \pi(a_2|s_1)\, \pi(a_1|s_2)\, r`.

    With softmax parameters ordered
    :math:`(\theta_{s_1,a_1}, \theta_{s_1,a_2}, \theta_{s_2,a_1}, \theta_{s_2,a_2})`
    (other states' parameters irrelevant):
    :math:`\theta^{(1)} = (0, \ln 3, \ln 3, 0)` gives
    :math:`\pi(a_2|s_1) = \pi(a_1|s_2) = 3/4` and value :math:`\tfrac{9}{16}\gamma r`;
    :math:`\theta^{(2)} = -\theta^{(1)}` gives :math:`\tfrac{1}{16}\gamma r`; their
    midpoint :math:`\theta = 0` gives :math:`\tfrac14\gamma r`.  Since
    :math:`\tfrac{9}{16} + \tfrac{1}{16} > 2\cdot\tfrac14`, the value is not concave
    in :math:`\theta`: this refutes concavity (and hence any convexity-based
    global-optimality argument) of the softmax policy-gradient objective
    (statement B4; AJKS, *Reinforcement Learning: Theory and Algorithms*, Lemma 9.5).

    Parameters
    ----------
    r : real
        The reward at :math:`s_2 \xrightarrow{a_1} s_4`, positive.
    gamma : real, keyword-only
        Discount in :math:`[0, 1)` (9/10 by default).
    exact : bool, keyword-only
        Exact rationals (default) or float64.

    Examples
    --------
    >>> m = nonconcave_tree()
    >>> m.rho.tolist(), m.r[1].tolist()
    ([Fraction(1, 1), Fraction(0, 1), Fraction(0, 1), Fraction(0, 1), Fraction(0, 1)], [Fraction(1, 1), Fraction(0, 1)])
    """
    exact = _check_bool(exact, "exact")
    rr = _check_real(r, "r", lo=0, lo_open=True, exact=exact)
    g = _gamma(gamma, exact)
    nxt = np.array([[2, 1], [3, 4], [2, 2], [3, 3], [4, 4]])
    P = np.zeros((5, 2, 5), dtype=np.int64)
    P[np.arange(5)[:, None], np.arange(2)[None, :], nxt] = 1
    rho = np.array([1, 0, 0, 0, 0])
    if exact:
        rew = np.full((5, 2), Fraction(0), dtype=object)
        rew[1, 0] = rr
        return MDP(P, rew, g, rho)
    rew = np.zeros((5, 2))
    rew[1, 0] = rr
    return MDP(P.astype(float), rew, g, rho.astype(float))


def vanishing_gradient_chain(H, *, back_move="left", exact=True, variant=None) -> MDP:
    r"""AJKS Proposition 10.1's chain: exponentially vanishing policy gradients.

    States :math:`s_0, \dots, s_{H+1}` (indices ``0..H+1``), actions
    :math:`a_1, \dots, a_4` (indices 0–3), :math:`\gamma = H/(H+1)`, start
    :math:`s_0` (point mass).  :math:`a_1` moves :math:`s_i \to s_{i+1}`;
    :math:`s_{H+1}` is absorbing under :math:`a_1` with reward 1; all other
    rewards are 0.  :math:`a_2, a_3, a_4` move back: with ``back_move="left"`` to
    the left neighbour :math:`s_{i-1}` (:math:`s_0` stays at :math:`s_0`), as the
    book's figure draws them; with ``back_move="reset"`` to :math:`s_0`.  The
    same rule applies at :math:`s_{H+1}`: there :math:`a_2, a_3, a_4` lead to
    :math:`s_H` ("left") or :math:`s_0` ("reset").  Hence

    .. math::

        V^*(s_0) = \sum_{t \ge H+1} \gamma^t = \frac{\gamma^{H+1}}{1-\gamma}.

    Under the direct parameterisation with :math:`\pi(a_1|s) < 1/4` (e.g. the
    uniform initialisation) the gradient norms of :math:`V(s_0)` are at most
    :math:`(1/3)^{H/4}` while the suboptimality is at least
    :math:`(H+1)/8 - (H+1)^2/3^H`: this refutes the idea that exact gradient
    ascent from a uniform start makes polynomial progress (statement C1; AJKS,
    *Reinforcement Learning: Theory and Algorithms*, Prop. 10.1).

    Parameters
    ----------
    H : int
        Horizon parameter, at least 1; the chain has ``H + 2`` states.
    back_move : {"left", "reset"}, keyword-only
        Where :math:`a_2, a_3, a_4` lead.
    exact : bool, keyword-only
        Exact rationals (default) or float64.
    variant : {"left", "reset"}, keyword-only
        Deprecated name of ``back_move`` (``DeprecationWarning``).

    Examples
    --------
    >>> m = vanishing_gradient_chain(3)
    >>> m.n_states, m.n_actions, m.gamma, m.r[4, 0]
    (5, 4, Fraction(3, 4), Fraction(1, 1))
    """
    H = _check_int(H, "H")
    exact = _check_bool(exact, "exact")
    _check_dense_size(H + 2, 4, exact, f"vanishing_gradient_chain(H={H})")
    back_move = renamed_keyword("vanishing_gradient_chain", "variant", "back_move", old_value=variant,
                                new_value=back_move, default="left")
    if back_move not in ("left", "reset"):
        raise InvalidParameterError(f"back_move must be 'left' or 'reset'; got {format_value(back_move)}")
    S = H + 2
    s = np.arange(S)
    forward = np.minimum(s + 1, S - 1)
    back = np.maximum(s - 1, 0) if back_move == "left" else np.zeros(S, dtype=np.int64)
    nxt = np.column_stack([forward, back, back, back])
    P = np.zeros((S, 4, S), dtype=np.int64)
    P[s[:, None], np.arange(4)[None, :], nxt] = 1
    rew = np.zeros((S, 4), dtype=np.int64)
    rew[S - 1, 0] = 1
    rho = np.zeros(S, dtype=np.int64)
    rho[0] = 1
    if exact:
        return MDP(P, rew, Fraction(H, H + 1), rho)
    return MDP(P.astype(float), rew.astype(float), H / (H + 1), rho.astype(float))
