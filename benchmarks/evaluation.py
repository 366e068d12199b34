"""Dense policy evaluation at S = 1000 and 3000 beside a bare solve and the peers.

All timings evaluate the same deterministic policy on the same MDP in the same
run.  The bare baseline forms ``P_pi`` with ``einsum`` from the (S, A) policy
matrix and calls ``numpy.linalg.solve`` once (V only); pymdptoolbox's
``PolicyIteration._evalPolicyMatrix`` and QuantEcon's
``DiscreteDP.evaluate_policy`` form ``P_pi`` by indexing with the action
vector and solve once.  mdptheory's figures include validating the policy,
V, Q and A, and the visitation ``d`` from the same LU factors.
"""

from __future__ import annotations

import numpy as np

import mdptheory
from mdptheory import MDP

from ._common import Row, median_time, peer

__all__ = ["run", "dense_instance"]


def dense_instance(S, A, *, seed=0, gamma=0.9):
    """A random dense MDP (NumPy arrays and the MDP) and a deterministic policy."""
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))
    P /= P.sum(axis=2, keepdims=True)
    r = rng.random((S, A))
    actions = rng.integers(A, size=S)
    pi = np.zeros((S, A))
    pi[np.arange(S), actions] = 1.0
    return P, r, gamma, pi, actions, MDP(P, r, gamma)


def run(quick: bool) -> list[Row]:
    rows = []
    A = 5
    sizes = (1000,) if quick else (1000, 3000)
    repeat = 3 if quick else 5
    anchors = {1000: "bare 26 ms; peers within noise", 3000: "bare 0.4 s; peers within noise"}
    mdptoolbox = peer("mdptoolbox.mdp")
    quantecon = peer("quantecon")
    for S in sizes:
        P, r, gamma, pi, actions, m = dense_instance(S, A)

        def bare():
            P_pi = np.einsum("sat,sa->st", P, pi)
            r_pi = np.einsum("sa,sa->s", pi, r)
            return np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)

        def full():
            ev = mdptheory.evaluate(m, pi)
            return ev.V, ev.Q, ev.A, ev.visitation()

        t_bare = median_time(bare, repeat=repeat)
        tag = f"S={S}, A={A}"
        rows.append(Row(f"bare numpy: form P_pi + solve ({tag})", t_bare, anchor=anchors[S]))
        rows.append(Row(f"mdptheory.evaluate: V only ({tag})",
                        median_time(lambda: mdptheory.evaluate(m, pi), repeat=repeat),
                        "bare", t_bare))
        rows.append(Row(f"mdptheory.evaluate: V, Q, A, d ({tag})", median_time(full, repeat=repeat),
                        "bare", t_bare, anchor="target <= 1.2x bare"))
        if mdptoolbox is not None:
            P_ass = np.ascontiguousarray(P.transpose(1, 0, 2))
            pit = mdptoolbox.PolicyIteration(P_ass, r, gamma, policy0=actions, eval_type=0)

            def mdptoolbox_eval():
                pit.policy = actions
                pit._evalPolicyMatrix()
                return pit.V

            rows.append(Row(f"pymdptoolbox _evalPolicyMatrix ({tag})", median_time(mdptoolbox_eval, repeat=repeat),
                            "bare", t_bare))
            np.testing.assert_allclose(np.asarray(mdptoolbox_eval()), bare(), rtol=1e-9)
        else:
            rows.append(Row(f"pymdptoolbox ({tag})", None, note="not installed"))
        if quantecon is not None:
            ddp = quantecon.markov.DiscreteDP(r, P, gamma)
            rows.append(Row(f"QuantEcon DiscreteDP.evaluate_policy ({tag})",
                            median_time(lambda: ddp.evaluate_policy(actions), repeat=repeat), "bare", t_bare))
            np.testing.assert_allclose(ddp.evaluate_policy(actions), bare(), rtol=1e-9)
        else:
            rows.append(Row(f"QuantEcon ({tag})", None, note="not installed"))
        np.testing.assert_allclose(mdptheory.evaluate(m, pi).V, bare(), rtol=1e-9)
        del P, m
    return rows
