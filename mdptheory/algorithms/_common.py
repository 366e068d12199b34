r"""Shared plumbing of the algorithms: distributions, the exact optimum, KL moved, option checks.

Inputs are validated once, when a run starts (:func:`check_T`,
:func:`check_positive`, :func:`distribution`, :func:`softmax_theta0`); the
per-iteration helpers below (:func:`visitation_from`, :func:`kl_trace`,
:func:`softmax_rows`) take arrays the run has already checked or computed
itself and skip the public functions' re-validation, which at
:math:`S = 100, A = 5` would cost as much as the evaluation each iteration
does.
"""

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
        bad = np.flatnonzero(np.asarray(out < 0, dtype=bool))
        if bad.size or total != 1:
            s = int(bad[0]) if bad.size else None
            raise InvalidParameterError(
                f"{name} must be a distribution: " + (f"{name}[{s}] = {out[s]} < 0" if bad.size else f"sums to {total}"))
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
    r"""``(E_{s~d} KL(pi_next_s || pi_s), max_s KL(pi_next_s || pi_s))`` in float64, from any field."""
    return kl_trace(np.asarray(float_array(pi_next), dtype=float), np.asarray(float_array(pi), dtype=float),
                    np.asarray(float_array(d), dtype=float))


def kl_rows(p, q):
    r"""Per-state :math:`\mathrm{KL}(p_s\,\|\,q_s) = \sum_a p(a|s)\log(p(a|s)/q(a|s))` of validated float policies.

    :math:`0\log 0 = 0` and :math:`+\infty` where :math:`q = 0 < p`: the float
    route of :func:`mdptheory.kl.kl_policy` (the same digits), without its checks.
    """
    from scipy.special import rel_entr

    return rel_entr(p, q).sum(axis=1)


def kl_trace(pi_next, pi, d):
    r"""The KL moved by one step, for float arrays the run has already validated.

    .. math::

        \Big(\sum_{s:\,d(s)>0} d(s)\,\mathrm{KL}(\pi_{t+1}(\cdot|s)\,\|\,\pi_t(\cdot|s)),\quad
        \max_s \mathrm{KL}(\pi_{t+1}(\cdot|s)\,\|\,\pi_t(\cdot|s))\Big)

    per state :math:`\sum_a \pi_{t+1}\log(\pi_{t+1}/\pi_t)` with :math:`0\log 0 = 0`
    (the float route of :func:`mdptheory.kl.kl_policy`, without its checks).
    """
    kl = kl_rows(pi_next, pi)
    pos = d > 0
    return float(np.dot(d[pos], kl[pos])), float(np.max(kl))


def visitation_from(ev, mu, gamma):
    r""":math:`d_\mu^\pi = (1-\gamma)(I-\gamma P^\pi)^{-\top}\mu` from the factors of a float evaluation.

    The same transposed solve as :meth:`PolicyEvaluation.visitation` (the
    same digits), for a ``mu`` validated when the run started, without the
    certified error bound: used only for the KL trace, which does not steer
    the iterates.
    """
    return (1.0 - gamma) * ev.solve_T(mu)


def compatible_fit(ev, X, d, *, target):
    r"""The regression of :func:`mdptheory.geometry.compatible_fa` on an evaluation the run already has.

    .. math::

        w^* = M^\dagger b,\qquad M = \sum_{s,a}\nu(s,a)\,\phi(s,a)\phi(s,a)^\top,\qquad
        b = \sum_{s,a}\nu(s,a)\,\phi(s,a)\,y(s,a),\qquad \nu = d(s)\pi(a|s),

    with :math:`y = A^\pi` (``target="advantage"``) or :math:`Q^\pi` (``"q"``)
    (AJKS Lemmas 11.1-11.2; statement F1-F3).  The same operations as
    ``compatible_fa`` (hence the same digits), reusing the factorization of
    ``ev`` instead of evaluating the policy a second time.

    Parameters
    ----------
    ev : PolicyEvaluation
        Float evaluation of the current policy.
    X : ndarray, shape (S*A, n)
        Validated float features (the score for NPG, :math:`\phi` for Q-NPG).
    d : ndarray, shape (S,)
        :math:`d_\mu^\pi` from ``ev``.
    target : {"advantage", "q"}, keyword-only

    Returns
    -------
    mdptheory.geometry.CompatibleFit
    """
    from ..geometry import CompatibleFit, pinv_solve

    M, b, y, nu = gram_moment(ev, X, d, target=target)
    w = pinv_solve(M, b)
    res = y - X @ w
    return CompatibleFit(w, float(nu @ (res * res)), M, b, target, "float")


def gram_moment(ev, X, d, *, target):
    r"""The normal equations of :func:`compatible_fit`: :math:`M = \sum\nu\phi\phi^\top`, :math:`b = \sum\nu\phi y`.

    Returns ``(M, b, y, nu)`` (``y`` the regression target and ``nu = d pi``
    flattened to (S*A,)).  With the score as features, ``M`` is the Fisher
    matrix :math:`F_\mu` and :math:`b = (1-\gamma)\nabla V(\mu)` (AJKS Lemma 11.1),
    all TRPO needs.
    """
    y = (ev.advantage if target == "advantage" else ev.Q).reshape(-1)
    nu = (d[:, None] * ev.pi).reshape(-1)
    WX = X * nu[:, None]
    return WX.T @ X, (WX.T @ y[:, None])[:, 0], y, nu


def softmax_rows(param, theta):
    r"""``(pi, log pi)`` of the tabular softmax at temperature 1, for a float ``theta`` of the run.

    .. math::

        \log\pi_\theta(a|s) = \theta_{s,a} - \log\sum_b e^{\theta_{s,b}},

    the same digits as ``param.probs`` / ``param.log_probs`` (one log-sum-exp
    for both); a non-finite ``theta`` is handed to ``param.probs``, which
    raises the parameterization's error.
    """
    from ..policies.softmax import log_softmax

    if not np.isfinite(theta).all():
        param.probs(theta)  # raises, naming the entry
    logp = log_softmax(theta.reshape(param.n_states, param.n_actions))
    return np.exp(logp), logp


def softmax_theta0(mdp, theta0, n_params):
    """Initial float parameter (default 0)."""
    if theta0 is None:
        return np.zeros(n_params)
    th = float_array(np.asarray(theta0, dtype=object) if not isinstance(theta0, np.ndarray) else theta0,
                     name="theta0").reshape(-1)
    if th.shape != (n_params,):
        raise InvalidParameterError(f"theta0 must have shape ({n_params},); got {th.shape}")
    return th.copy()
