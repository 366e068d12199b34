r"""Ball evaluation: FLINT ``arb`` ball arithmetic at ``prec`` bits.

Every entry of :math:`V^\pi`, :math:`Q^\pi` and :math:`A^\pi` is a ball
certified to contain the exact value for the (float or exact) MDP and policy
as given (floats are dyadic rationals and are converted exactly).
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError
from ..fields import BALL
from ..policies.tabular import policy_is_exact
from ._rationals import _fmpq_cache, _to_fmpq_array
from .result import PolicyEvaluation

__all__ = [
    "DEFAULT_BALL_PREC",
]


#: Default working precision (bits) of ball mode: about 50 decimal digits.
DEFAULT_BALL_PREC = 170


class _BallFactor:
    def __init__(self, M, prec):
        self.M = M
        self.prec = prec
        self._MT = None

    def _solve(self, M, b):
        from flint import arb, arb_mat, ctx

        b = np.asarray(b, dtype=object)
        B = b.reshape(b.shape[0], -1)
        old = ctx.prec
        ctx.prec = self.prec
        try:
            x = M.solve(arb_mat(B.shape[0], B.shape[1], [arb(v) for v in B.reshape(-1)]))
        finally:
            ctx.prec = old
        return np.array(x.entries(), dtype=object).reshape(b.shape)

    def solve(self, b):
        return self._solve(self.M, b)

    def solve_T(self, b):
        if self._MT is None:
            self._MT = self.M.transpose()
        return self._solve(self._MT, b)


def _evaluate_ball(mdp, pi, prec):
    from flint import arb, arb_mat, ctx, fmpq

    if mdp.is_sparse:
        raise InvalidParameterError("mode='ball' is available for dense MDPs only")
    Pq, rq, gq = _fmpq_cache(mdp)
    piq = _to_fmpq_array(pi, policy_is_exact(pi))
    S, A = mdp.n_states, mdp.n_actions
    P_pi = np.einsum("sat,sa->st", Pq, piq)  # exact: floats are dyadic rationals
    r_pi = (piq * rq).sum(axis=1)
    flat = (-gq * P_pi).reshape(-1)
    flat[:: S + 1] += fmpq(1)
    old = ctx.prec
    ctx.prec = prec
    try:
        M = arb_mat(S, S, [arb(x) for x in flat])
        r_b = np.array([arb(x) for x in r_pi], dtype=object)
        factor = _BallFactor(M, prec)
        V = factor.solve(r_b)
        Pmat = arb_mat(S * A, S, [arb(x) for x in Pq.reshape(-1)])
        PV = np.array((Pmat * arb_mat(S, 1, list(V))).entries(), dtype=object).reshape(S, A)
        g = arb(gq)
        Q = np.frompyfunc(arb, 1, 1)(rq) + g * PV
        adv = Q - V[:, None]
    finally:
        ctx.prec = old
    ev = PolicyEvaluation(mdp, pi, BALL, P_pi, r_pi, V, Q, factor, "flint-arb", gq)
    ev.advantage = adv
    return ev
