r"""Hypothesis strategies for MDPs, policies, distributions and policy parameters.

Every strategy takes keyword-only, bounded, documented arguments that are
checked when the strategy is built: a bad argument raises
:class:`hypothesis.errors.InvalidArgument` naming it, before any example is
drawn.  Values are drawn lazily, so they shrink well:

* probabilities are small positive integer weights normalised to one
  (``P[s, a, :] = w / sum(w)``), exact as :class:`~fractions.Fraction` or
  rounded to float64; the number of successors of each ``(s, a)`` shrinks to
  one and the successor to state 0, so failing examples shrink toward
  **few states and actions, deterministic transitions and zero rewards**;
* exact rewards are multiples of ``1/reward_denominator``, exact discounts
  multiples of ``1/gamma_denominator``.

Every drawn value prints as Python that rebuilds it (``MDP.exact(P=..., ...)``,
``array([[...]])``, ``LogRational([...])``), so a failing example reported by
Hypothesis can be pasted back; ``st.from_type(MDP)`` draws from :func:`mdps`.

Rows of ``P`` are drawn before the rewards, state by state.  A property that
fails only because of one reward in a late state may therefore shrink to a
small but not minimal number of states: the shrinker cannot move that reward
to state 0 while deleting the states before it.

Examples
--------
>>> from hypothesis import given
>>> from mdptheory import evaluate
>>> @given(mdp_and_policy(exact=True, max_states=3))
... def test_values_are_bounded(mp):
...     mdp, pi = mp
...     ev = evaluate(mdp, pi)
...     assert all(0 <= v <= 1 / (1 - mdp.gamma) for v in ev.V)
>>> test_values_are_bounded()
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .exceptions import format_value
from .fields import to_fraction
from .mdp import MDP

__all__ = [
    "mdps",
    "policies",
    "distributions",
    "softmax_params",
    "rational_weights",
    "mdp_and_policy",
    "parameters",
    "mdp_and_theta",
]

#: Largest integer weight used to build probabilities.
MAX_WEIGHT = 16
#: Largest number of states or actions a strategy accepts (examples are meant to be small).
MAX_SIZE = 64
_RHO_KINDS = ("uniform", "random", "point")


# ------------------------------------------------------------------ checks
def _check_int(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{name}={format_value(value)} must be an integer")
    if value < lo or (hi is not None and value > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise InvalidArgument(f"{name}={format_value(value)} must be in {rng}")
    return int(value)


def _check_real(name, value):
    if isinstance(value, bool):
        raise InvalidArgument(f"{name}={format_value(value)} must be a real number, not a boolean")
    try:
        x = float(to_fraction(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidArgument(f"{name}={format_value(value)} must be a real number") from None
    if not math.isfinite(x):
        raise InvalidArgument(f"{name}={format_value(value)} must be finite")
    return value


def _num(value) -> float:
    """A checked real argument (number or rational string) as a float."""
    return float(to_fraction(value)) if isinstance(value, str) else float(value)


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidArgument(f"{name}={format_value(value)} must be True or False")
    return bool(value)


def _exact(name, value):
    try:
        return to_fraction(value, allow_float=True)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{name}={format_value(value)} cannot be read as a rational: {exc}") from None


def _normalise(weights, exact):
    """Weights (ints >= 0, not all zero) -> a probability vector."""
    tot = sum(weights)
    if exact:
        return [Fraction(w, tot) for w in weights]
    return [w / tot for w in weights]


# ------------------------------------------------------------------ distributions
def distributions(n, *, exact: bool = False, positive: bool = False, max_weight: int = MAX_WEIGHT):
    r"""Probability vectors of length ``n``: :math:`p = w / \sum_i w_i`, :math:`w_i \in \{0, \dots, W\}`.

    Parameters
    ----------
    n : int
        Length, 1 <= n <= 64.
    exact : bool, keyword-only
        Return a list of Fractions (else floats).
    positive : bool, keyword-only
        Every entry > 0 (weights drawn from 1..W).
    max_weight : int, keyword-only
        ``W``, 1 <= W <= 10**6.

    Returns
    -------
    SearchStrategy of ndarray, shape (n,)
        Object array of Fractions (exact) or float64; sums to one (exactly, or
        to within rounding).  An all-zero weight draw becomes the point mass
        on index 0, the shrink target when ``positive=False``.
    """
    n = _check_int("n", n, 1, MAX_SIZE)
    exact = _check_bool("exact", exact)
    positive = _check_bool("positive", positive)
    max_weight = _check_int("max_weight", max_weight, 1, 10**6)
    weights = st.lists(st.integers(1 if positive else 0, max_weight), min_size=n, max_size=n)
    return _built(weights, lambda w: _as_array(_normalise(w if any(w) else [1] + [0] * (n - 1), exact), exact))


@st.composite
def _built(draw, strategy, build):
    """``strategy.map(build)`` without Hypothesis recording the call: failing examples print the
    built value itself (an array, an MDP), not ``build(<drawn arguments>)``."""
    return build(draw(strategy))


def _as_array(vals, exact):
    if exact:
        out = np.empty(len(vals), dtype=object)
        out[:] = vals
        return out
    return np.asarray(vals, dtype=np.float64)


# ------------------------------------------------------------------ MDPs
def mdps(*, min_states: int = 1, max_states: int = 4, min_actions: int = 1, max_actions: int = 3,
         gamma=(0, 0.95), exact: bool = False, min_successors: int = 1, max_successors: int | None = None,
         reward_range=(0, 1), rho: str = "uniform", positive_rho: bool = False, sparse: bool = False,
         gamma_denominator: int = 20, reward_denominator: int = 8):
    r"""Random finite MDPs :math:`(P, r, \gamma, \rho)`.

    Each row ``P[s, a, :]`` puts integer weights ``1..16`` on ``k`` distinct
    successor states, ``min_successors <= k <= max_successors``, and is
    normalised to sum to one.

    Parameters
    ----------
    min_states, max_states : int, keyword-only
        ``1 <= min_states <= max_states <= 64``.
    min_actions, max_actions : int, keyword-only
        ``1 <= min_actions <= max_actions <= 64``.
    gamma : (lo, hi) or number, keyword-only
        A range ``0 <= lo <= hi < 1`` or a fixed discount.  Exact discounts are
        multiples of ``1/gamma_denominator`` in the range (the range must
        contain one); a fixed exact discount is read as a rational.
    exact : bool, keyword-only
        Exact rational MDPs (Fractions) instead of float64.
    min_successors, max_successors : int, keyword-only
        Sparsity: the number of states each ``(s, a)`` can reach (clipped to
        ``S``).  ``max_successors=None`` means up to ``S``; ``1`` gives
        deterministic MDPs.
    reward_range : (lo, hi), keyword-only
        Rewards in ``[lo, hi]`` (default ``[0, 1]``, the usual assumption of
        AJKS).  Exact rewards are multiples of ``1/reward_denominator``.
    rho : {"uniform", "random", "point"}, keyword-only
        Start distribution: uniform, drawn with :func:`distributions`, or a
        point mass on a drawn state.
    positive_rho : bool, keyword-only
        Require ``rho > 0`` everywhere (not with ``rho="point"`` unless
        ``max_states == 1``).
    sparse : bool, keyword-only
        Store ``P`` as a scipy CSR matrix (float only).
    gamma_denominator, reward_denominator : int, keyword-only
        Grids of exact discounts and rewards, in ``[1, 10**6]``.

    Returns
    -------
    SearchStrategy of MDP

    Raises
    ------
    hypothesis.errors.InvalidArgument
        When the strategy is built, naming the offending argument.
    """
    min_states = _check_int("min_states", min_states, 1, MAX_SIZE)
    max_states = _check_int("max_states", max_states, 1, MAX_SIZE)
    if max_states < min_states:
        raise InvalidArgument(f"max_states={max_states} < min_states={min_states}")
    min_actions = _check_int("min_actions", min_actions, 1, MAX_SIZE)
    max_actions = _check_int("max_actions", max_actions, 1, MAX_SIZE)
    if max_actions < min_actions:
        raise InvalidArgument(f"max_actions={max_actions} < min_actions={min_actions}")
    exact = _check_bool("exact", exact)
    sparse = _check_bool("sparse", sparse)
    positive_rho = _check_bool("positive_rho", positive_rho)
    if sparse and exact:
        raise InvalidArgument("sparse=True is for float MDPs only; got exact=True")
    min_successors = _check_int("min_successors", min_successors, 1, MAX_SIZE)
    if max_successors is not None:
        max_successors = _check_int("max_successors", max_successors, 1, MAX_SIZE)
        if max_successors < min_successors:
            raise InvalidArgument(f"max_successors={max_successors} < min_successors={min_successors}")
    if min_successors > max_states:
        raise InvalidArgument(f"min_successors={min_successors} > max_states={max_states}: "
                              "a row cannot reach more states than there are")
    gamma_denominator = _check_int("gamma_denominator", gamma_denominator, 1, 10**6)
    reward_denominator = _check_int("reward_denominator", reward_denominator, 1, 10**6)
    if rho not in _RHO_KINDS:
        raise InvalidArgument(f"rho={format_value(rho)} must be one of {_RHO_KINDS}")
    if positive_rho and rho == "point" and max_states > 1:
        raise InvalidArgument("positive_rho=True contradicts rho='point' when max_states > 1")

    gamma_strategy = _gamma_strategy(gamma, exact, gamma_denominator)
    reward_strategy = _reward_strategy(reward_range, exact, reward_denominator)
    cfg = dict(min_states=min_states, max_states=max_states, min_actions=min_actions,
               max_actions=max_actions, exact=exact, min_successors=min_successors,
               max_successors=max_successors, rho=rho, positive_rho=positive_rho, sparse=sparse,
               gamma=gamma_strategy, reward=reward_strategy)
    return _draw_mdp(cfg)


def _gamma_strategy(gamma, exact, den):
    if isinstance(gamma, (tuple, list)):
        if len(gamma) != 2:
            raise InvalidArgument(f"gamma={format_value(gamma)} must be a number or a pair (lo, hi)")
        lo, hi = (_check_real("gamma", g) for g in gamma)
        if not (0 <= _num(lo) <= _num(hi) < 1):
            raise InvalidArgument(f"gamma={format_value(gamma)} must satisfy 0 <= lo <= hi < 1")
        if exact:
            qlo, qhi = _exact("gamma", lo), _exact("gamma", hi)
            klo, khi = math.ceil(qlo * den), math.floor(qhi * den)
            if klo > khi:
                raise InvalidArgument(f"gamma={format_value(gamma)} contains no multiple of 1/gamma_denominator = 1/{den}")
            return st.integers(klo, khi).map(lambda k: Fraction(k, den))
        return st.floats(_num(lo), _num(hi), allow_nan=False, allow_infinity=False)
    _check_real("gamma", gamma)
    if not 0 <= _num(gamma) < 1:
        raise InvalidArgument(f"gamma={format_value(gamma)} must satisfy 0 <= gamma < 1")
    return st.just(_exact("gamma", gamma) if exact else _num(gamma))


def _reward_strategy(reward_range, exact, den):
    if not isinstance(reward_range, (tuple, list)) or len(reward_range) != 2:
        raise InvalidArgument(f"reward_range={format_value(reward_range)} must be a pair (lo, hi)")
    lo, hi = (_check_real("reward_range", x) for x in reward_range)
    if _num(lo) > _num(hi):
        raise InvalidArgument(f"reward_range={format_value(reward_range)} has lo > hi")
    if exact:
        qlo, qhi = _exact("reward_range", lo), _exact("reward_range", hi)
        klo, khi = math.ceil(qlo * den), math.floor(qhi * den)
        if klo > khi:
            raise InvalidArgument(f"reward_range={format_value(reward_range)} contains no multiple of "
                                  f"1/reward_denominator = 1/{den}")
        return st.integers(klo, khi).map(lambda k: Fraction(k, den))
    return st.floats(_num(lo), _num(hi), allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def _draw_mdp(draw, cfg):
    S = draw(st.integers(max(cfg["min_states"], cfg["min_successors"]), cfg["max_states"]))
    A = draw(st.integers(cfg["min_actions"], cfg["max_actions"]))
    exact = cfg["exact"]
    kmax = S if cfg["max_successors"] is None else min(S, cfg["max_successors"])
    kmin = min(cfg["min_successors"], kmax)
    zero = Fraction(0) if exact else 0.0
    P = np.full((S, A, S), zero, dtype=object if exact else np.float64)
    for s in range(S):
        for a in range(A):
            k = draw(st.integers(kmin, kmax))
            succ = draw(st.lists(st.integers(0, S - 1), min_size=k, max_size=k, unique=True))
            w = draw(st.lists(st.integers(1, MAX_WEIGHT), min_size=k, max_size=k))
            P[s, a, succ] = _normalise(w, exact)
    r = np.array([[draw(cfg["reward"]) for _ in range(A)] for _ in range(S)],
                 dtype=object if exact else np.float64)
    g = draw(cfg["gamma"])
    if cfg["rho"] == "uniform":
        rho = None
    elif cfg["rho"] == "random":
        rho = draw(distributions(S, exact=exact, positive=cfg["positive_rho"]))
    else:
        rho = np.full(S, zero, dtype=object if exact else np.float64)
        rho[draw(st.integers(0, S - 1))] = Fraction(1) if exact else 1.0
    mdp = MDP(P, r, g, rho)
    return mdp.to_sparse() if cfg["sparse"] else mdp


# ------------------------------------------------------------------ policies
def policies(mdp, *, exact: bool | None = None, min_prob=0, deterministic: bool = False,
             max_weight: int = MAX_WEIGHT):
    r"""Tabular policies ``pi[s, a]`` for ``mdp``.

    .. math::

        \pi(a|s) = m + (1 - A m) \frac{w_{s,a}}{\sum_b w_{s,b}},
        \qquad w_{s,a} \in \{0, \dots, W\},

    so every probability is at least ``m = min_prob``; with ``m > 0`` the
    policy has full support.  An all-zero weight row becomes the point mass
    on action 0 (plus ``m``), the shrink target.

    Parameters
    ----------
    mdp : MDP
    exact : bool, optional, keyword-only
        Fractions (default: exact iff the MDP is exact) or float64.
    min_prob : number, keyword-only
        ``0 <= min_prob <= 1/A``.  Read as a rational when ``exact``.
    deterministic : bool, keyword-only
        One action per state with probability 1 (requires ``min_prob == 0``).
    max_weight : int, keyword-only
        ``W``, 1 <= W <= 10**6.

    Returns
    -------
    SearchStrategy of ndarray, shape (S, A)

    Raises
    ------
    hypothesis.errors.InvalidArgument
        When the strategy is built, naming the offending argument.
    """
    if not isinstance(mdp, MDP):
        raise InvalidArgument(f"mdp={format_value(mdp)} must be an MDP")
    if exact is None:
        exact = mdp.is_exact
    exact = _check_bool("exact", exact)
    deterministic = _check_bool("deterministic", deterministic)
    max_weight = _check_int("max_weight", max_weight, 1, 10**6)
    _check_real("min_prob", min_prob)
    S, A = mdp.n_states, mdp.n_actions
    m = _exact("min_prob", min_prob) if exact else _num(min_prob)
    if m < 0 or m * A > 1:
        raise InvalidArgument(f"min_prob={format_value(min_prob)} must satisfy 0 <= min_prob <= 1/A = 1/{A}")
    if deterministic and m > 0 and A > 1:
        raise InvalidArgument(f"deterministic=True contradicts min_prob={format_value(min_prob)} > 0")
    dtype = object if exact else np.float64
    if deterministic:
        def build_det(actions):
            pi = np.full((S, A), Fraction(0) if exact else 0.0, dtype=dtype)
            pi[np.arange(S), actions] = Fraction(1) if exact else 1.0
            return pi
        return _built(st.lists(st.integers(0, A - 1), min_size=S, max_size=S), build_det)

    def build(rows):
        out = np.empty((S, A), dtype=dtype)
        for s, w in enumerate(rows):
            p = _normalise(w if any(w) else [1] + [0] * (A - 1), exact)
            out[s] = [m + (1 - A * m) * x for x in p]
        return out

    row = st.lists(st.integers(0, max_weight), min_size=A, max_size=A)
    return _built(st.lists(row, min_size=S, max_size=S), build)


# ------------------------------------------------------------------ parameters
def softmax_params(S, A, *, max_abs: float = 5.0):
    r"""Float softmax parameters :math:`\theta \in [-c, c]^{S A}`, ``c = max_abs``, flat as :class:`TabularSoftmax` takes them.

    :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_b e^{\theta_{s,b}}` with
    :math:`\theta_{s,a}` = ``theta[s * A + a]`` (the shape of
    :class:`~mdptheory.policies.TabularSoftmax`; earlier releases drew an
    (S, A) array, which ``TabularSoftmax`` rejects); the bound keeps every
    probability at least :math:`e^{-2c}/A`, away from the boundary where
    float gradients lose accuracy.  :func:`mdp_and_theta` draws an MDP with a
    point of any parameterization.

    Parameters
    ----------
    S, A : int
        ``1 <= S, A <= 64``.
    max_abs : float, keyword-only
        ``0 <= max_abs <= 50``.

    Returns
    -------
    SearchStrategy of float64 ndarray, shape (S * A,)
    """
    from hypothesis.extra.numpy import arrays

    S = _check_int("S", S, 1, MAX_SIZE)
    A = _check_int("A", A, 1, MAX_SIZE)
    _check_real("max_abs", max_abs)
    if not 0 <= float(max_abs) <= 50:
        raise InvalidArgument(f"max_abs={format_value(max_abs)} must be in [0, 50]")
    c = float(max_abs)
    return arrays(np.float64, (S * A,), elements=st.floats(-c, c, allow_nan=False, allow_subnormal=False))


def rational_weights(S, A, *, max_int: int = 9):
    r"""Positive rationals :math:`q_{s,a} = n/d`, ``1 <= n, d <= max_int``, as an object array.

    With :math:`\theta = \log q` the softmax policy is rational,

    .. math::

        \pi_\theta(a|s) = \frac{q_{s,a}}{\sum_b q_{s,b}},

    which lets exact-mode checkers evaluate softmax policies without
    tolerance.  Shrinks toward all ones (the uniform policy).

    Parameters
    ----------
    S, A : int
        ``1 <= S, A <= 64``.
    max_int : int, keyword-only
        ``1 <= max_int <= 10**6``.

    Returns
    -------
    SearchStrategy of object ndarray of Fraction, shape (S, A)
    """
    S = _check_int("S", S, 1, MAX_SIZE)
    A = _check_int("A", A, 1, MAX_SIZE)
    max_int = _check_int("max_int", max_int, 1, 10**6)
    q = st.builds(Fraction, st.integers(1, max_int), st.integers(1, max_int))

    def build(vals):
        out = np.empty(S * A, dtype=object)
        out[:] = vals
        return out.reshape(S, A)

    return _built(st.lists(q, min_size=S * A, max_size=S * A), build)


# ------------------------------------------------------------------ pairs
def mdp_and_policy(*, policy_exact: bool | None = None, min_prob=0, deterministic: bool = False, **mdp_kwargs):
    """Pairs ``(mdp, pi)``: an MDP from :func:`mdps` and a policy from :func:`policies` for it.

    Parameters
    ----------
    policy_exact, min_prob, deterministic : keyword-only
        Passed to :func:`policies` (``policy_exact`` as its ``exact``).
    **mdp_kwargs
        Passed to :func:`mdps`.

    Returns
    -------
    SearchStrategy of (MDP, ndarray)

    Raises
    ------
    hypothesis.errors.InvalidArgument
        When the strategy is built (for the MDP arguments, and for policy
        arguments that no MDP of the requested sizes could satisfy).
    """
    mdp_strategy = mdps(**mdp_kwargs)
    _check_bool("deterministic", deterministic)
    if policy_exact is not None:
        _check_bool("policy_exact", policy_exact)
    _check_real("min_prob", min_prob)
    max_a = mdp_kwargs.get("max_actions", 3)
    if _num(min_prob) < 0 or _num(min_prob) * max_a > 1:
        raise InvalidArgument(f"min_prob={format_value(min_prob)} must satisfy 0 <= min_prob <= 1/max_actions = 1/{max_a}")
    if deterministic and _num(min_prob) > 0 and max_a > 1:
        raise InvalidArgument(f"deterministic=True contradicts min_prob={format_value(min_prob)} > 0")

    @st.composite
    def pair(draw):
        mdp = draw(mdp_strategy)
        pi = draw(policies(mdp, exact=policy_exact, min_prob=min_prob, deterministic=deterministic))
        return mdp, pi

    return pair()


# ------------------------------------------------------------------ parameterized policies
def parameters(param, *, exact: bool = False, max_abs: float = 3.0, max_int: int = 9, max_weight: int = MAX_WEIGHT):
    r"""Points :math:`\theta` of a parameterization, in its own shape ``(param.n_params,)``.

    * softmax family (:class:`TabularSoftmax`, :class:`LogLinear`,
      :class:`EnergyPolicy`, :class:`NeuralSoftmax`): floats in
      :math:`[-c, c]` (``c = max_abs``), or with ``exact=True`` a
      :class:`~mdptheory.policies.LogRational` :math:`\theta = \log q`,
      :math:`q = n/d` with ``1 <= n, d <= max_int`` (a rational policy at
      temperature 1; shrinks to :math:`\theta = 0`);
    * :class:`Direct`: the first ``A - 1`` probabilities of a policy drawn as
      normalised integer weights (Fractions with ``exact=True``), flat.

    Parameters
    ----------
    param : Parameterization
        An object (names need the sizes: use :func:`mdp_and_theta`).
    exact : bool, keyword-only
    max_abs, max_int, max_weight : keyword-only
        Bounds of the float entries, of the rationals ``q`` and of the direct weights.

    Returns
    -------
    SearchStrategy of ndarray, shape (n_params,), or LogRational
    """
    from .policies import Direct, LogRational, Parameterization

    if not isinstance(param, Parameterization):
        raise InvalidArgument(f"param={param!r} must be a Parameterization object (a name needs an MDP: "
                              f"use mdp_and_theta)")
    exact = _check_bool("exact", exact)
    _check_real("max_abs", max_abs)
    if not 0 <= float(max_abs) <= 50:
        raise InvalidArgument(f"max_abs={max_abs!r} must be in [0, 50]")
    max_int = _check_int("max_int", max_int, 1, 10**6)
    max_weight = _check_int("max_weight", max_weight, 1, 10**6)
    S, A, n = param.n_states, param.n_actions, param.n_params
    if isinstance(param, Direct):
        def build(rows):
            out = []
            for w in rows:
                p = _normalise(w if any(w) else [1] + [0] * (A - 1), exact)
                out.extend(p[:-1])
            return np.array(out, dtype=object if exact else np.float64).reshape(n)

        row = st.lists(st.integers(0, max_weight), min_size=A, max_size=A)
        return _built(st.lists(row, min_size=S, max_size=S), build)
    if exact:
        if getattr(param, "temperature", 1) != 1 or getattr(param, "accepts_log_rational", True) is False:
            raise InvalidArgument(f"exact=True needs a softmax-family parameterization at temperature 1; got {param!r}")
        q = st.builds(Fraction, st.integers(1, max_int), st.integers(1, max_int))
        return _built(st.lists(q, min_size=n, max_size=n), LogRational)
    from hypothesis.extra.numpy import arrays

    c = float(max_abs)
    return arrays(np.float64, (n,), elements=st.floats(-c, c, allow_nan=False, allow_subnormal=False))


def mdp_and_theta(param="softmax", *, exact: bool = False, theta_exact: bool | None = None, **mdp_kwargs):
    """Pairs ``(mdp, theta)``: an MDP from :func:`mdps` and a point of the parameterization ``param`` for it.

    ``theta`` has the parameterization's own shape (``(S·A,)`` for softmax,
    ``(S·(A−1),)`` for direct, ``(d,)`` for log-linear) and goes straight into
    ``param.probs(theta)``, :func:`mdptheory.gradients.value_gradient` or a
    checker of :mod:`mdptheory.lemmas` with the same ``param``.

    Parameters
    ----------
    param : str or Parameterization
        A name of :data:`mdptheory.policies.names.PARAMETERIZATIONS`, built for
        the drawn sizes (``"loglinear"``: its one-hot features), or an object
        (then the MDP has its sizes).
    exact : bool, keyword-only
        Exact MDPs (passed to :func:`mdps`).
    theta_exact : bool, optional, keyword-only
        Exact points (default: as ``exact``); see :func:`parameters`.  For
        log-linear policies with other features pass a ``LogLinear`` object.
    **mdp_kwargs
        Passed to :func:`mdps` (sizes are fixed by a param object).

    Returns
    -------
    SearchStrategy of (MDP, ndarray or LogRational)

    Examples
    --------
    >>> from hypothesis import given
    >>> from mdptheory.policies import Direct
    >>> @given(mdp_and_theta("direct", exact=True, max_states=2))
    ... def test_direct_points_are_policies(mt):
    ...     mdp, theta = mt
    ...     pi = Direct(mdp.n_states, mdp.n_actions).probs(theta)
    ...     assert all(sum(row) == 1 for row in pi)
    >>> test_direct_points_are_policies()
    """
    from .policies import Parameterization
    from .policies.names import PARAMETERIZATIONS, resolve_parameterization

    exact = _check_bool("exact", exact)
    theta_exact = exact if theta_exact is None else _check_bool("theta_exact", theta_exact)
    if isinstance(param, Parameterization):
        for k, v in (("min_states", param.n_states), ("max_states", param.n_states),
                     ("min_actions", param.n_actions), ("max_actions", param.n_actions)):
            if k in mdp_kwargs and mdp_kwargs[k] != v:
                raise InvalidArgument(f"{k}={mdp_kwargs[k]} contradicts param={param!r}")
            mdp_kwargs[k] = v
    elif not (isinstance(param, str) and param in PARAMETERIZATIONS) or param == "neural":
        raise InvalidArgument(f"param={param!r} must be a Parameterization or one of "
                              f"{sorted(k for k in PARAMETERIZATIONS if k != 'neural')}")
    mdp_strategy = mdps(exact=exact, **mdp_kwargs)

    @st.composite
    def pair(draw):
        mdp = draw(mdp_strategy)
        prm = param if isinstance(param, Parameterization) else resolve_parameterization(
            param, n_states=mdp.n_states, n_actions=mdp.n_actions)
        return mdp, draw(parameters(prm, exact=theta_exact))

    return pair()


def _register_types():
    """``st.from_type(MDP)`` draws from :func:`mdps` (small float MDPs)."""
    st.register_type_strategy(MDP, mdps())


_register_types()
