r"""Shared helpers of the convergence checkers (statement B6, D3, D5–D7, E3, E4, F4, G1).

Each convergence checker runs an algorithm of :mod:`mdptheory.algorithms` with exact
expectations on a small generated MDP, and checks the theorem's bound at every
iterate against the exact optimum :math:`V^\star` (exact policy iteration,
:func:`mdptheory.optimal.solve`).  The bound's two sides come from different
computations: the left side from the run's trace, the right side from the
exact optimum, the stated constants and (where a visitation or a KL appears)
separate evaluations.  Each report's ``details`` carries the measured rate
beside the theoretical one: the slope of :math:`\log\text{gap}_t` (linear
rates), :math:`t\cdot\text{gap}_t` (:math:`O(1/t)` rates) or the worst ratio of
the two sides.

Theorems stated for rewards in :math:`[0, 1]` (D6, E4, G1) are checked on
suite MDPs whose rewards are rescaled affinely to :math:`[0, 1]`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...fields import float_array
from ...mdp import MDP
from .report import float_tolerance
from .suite import case_rng, random_case_mdp

__all__ = [
    "_HALF",
    "_NINE",
    "_unit_rewards",
    "_cases",
    "_fm",
    "_rmax",
    "_tol",
    "_optimum",
    "_log_slope",
]


#: The discounts of the convergence suites.
_HALF, _NINE = Fraction(1, 2), Fraction(9, 10)


def _unit_rewards(mdp):
    """The MDP with rewards mapped affinely onto [0, 1] (unchanged if constant)."""
    r = mdp.r
    lo, hi = r.min(), r.max()
    if hi == lo:
        r2 = r - lo
    else:
        r2 = (r - lo) / (hi - lo)
    return MDP(mdp.P_dense(), r2, mdp.gamma, mdp.rho)


def _cases(stmt_id, *, gammas, max_states=4, max_actions=3, unit_rewards=False, exact_in=("exact",), extra=None):
    """Case generator: a small MDP with full-support start distribution (float) and extra parameters."""

    def cases(seed, n, mode):
        exact = mode in exact_in
        for i in range(n):
            rng = case_rng(seed, stmt_id, i)
            g = gammas[int(rng.integers(len(gammas)))]
            mdp = random_case_mdp(rng, exact=exact, max_states=max_states, max_actions=max_actions,
                                  gamma=g, rho="positive")
            if unit_rewards:
                mdp = _unit_rewards(mdp)
            case = {"mdp": mdp}
            if extra is not None:
                case.update(extra(rng, mdp, exact, i))
            case["seed"] = (seed, i)
            yield case

    return cases


def _fm(mdp):
    return mdp.to_float() if mdp.is_exact else mdp


def _rmax(mdp):
    return float(np.max(np.abs(float_array(mdp.r)))) + 1.0


def _tol(rep, mdp, magnitude, order=2):
    tol, rule = float_tolerance(mdp, magnitude, order=order)
    rep.tolerance_rule = rule
    return tol


def _optimum(mdp):
    from ...optimal import solve

    return solve(mdp)


def _log_slope(gaps):
    """Least-squares slope of log(gap_t) against t over the positive gaps (NaN if < 2 points)."""
    g = np.asarray(gaps, dtype=float)
    t = np.arange(g.size)
    keep = g > 0
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(t[keep], np.log(g[keep]), 1)[0])
