"""Optimal solve: ``mdptheory.optimal.solve`` (policy iteration) on forest(S = 2000)
beside pymdptoolbox and QuantEcon policy iteration, and on a 50%-dense random
S = 2000 MDP beside a bare LAPACK policy iteration.

The bare policy iteration starts from the myopic policy ``argmax_a r``, forms
``P_pi`` by indexing, solves with ``numpy.linalg.solve``, improves greedily
and stops when the policy repeats.  mdpsolver (C++), quoted in the anchors,
is not run here.
"""

from __future__ import annotations

import numpy as np

from ._common import Row, median_time, peer

__all__ = ["run", "bare_policy_iteration"]


def bare_policy_iteration(P, r, gamma):
    """Dense policy iteration with LAPACK solves; returns (V, actions, iterations)."""
    S, A, _ = P.shape
    idx = np.arange(S)
    actions = np.argmax(r, axis=1)
    for it in range(1, 10_000):
        V = np.linalg.solve(np.eye(S) - gamma * P[idx, actions], r[idx, actions])
        Q = r + gamma * (P.reshape(S * A, S) @ V).reshape(S, A)
        new = np.argmax(Q, axis=1)
        keep = Q[idx, actions] >= Q[idx, new] - 1e-12 * max(1.0, np.abs(V).max())
        new[keep] = actions[keep]
        if np.array_equal(new, actions):
            return V, actions, it
        actions = new
    raise RuntimeError("bare policy iteration did not stop")


def run(quick: bool) -> list[Row]:
    try:
        from mdptheory.families import forest, random_mdp
        from mdptheory.optimal import solve
    except ImportError as exc:
        return [Row("optimal solve", None, note=f"not available: {exc}")]
    rows = []
    repeat = 3
    S = 500 if quick else 2000
    m = forest(S)
    sol = solve(m)
    t_ours = median_time(lambda: solve(m), repeat=repeat)
    rows.append(Row(f"mdptheory.optimal.solve forest(S={S})", t_ours, anchor="mdpsolver 8 ms; sparse-LU PI 8 ms",
                    note=f"{sol.n_iter} iterations, Bellman residual {float(sol.bellman_residual):.1e}"))
    P = np.asarray(m.P_dense(), dtype=float)
    r = np.asarray(m.r, dtype=float)
    mdptoolbox = peer("mdptoolbox.mdp")
    if mdptoolbox is not None:
        P_ass = np.ascontiguousarray(P.transpose(1, 0, 2))

        def tb():
            pit = mdptoolbox.PolicyIteration(P_ass, r, 0.9)
            pit.run()
            return pit

        pit = tb()
        t = median_time(tb, repeat=repeat, warmup=0)
        np.testing.assert_allclose(np.asarray(pit.V), sol.V, rtol=1e-8)
        rows.append(Row(f"pymdptoolbox PolicyIteration forest(S={S})", t, "mdptheory", t_ours,
                        anchor="1.5-1.8 s", note=f"{pit.iter} iterations"))
    else:
        rows.append(Row("pymdptoolbox", None, note="not installed"))
    quantecon = peer("quantecon")
    if quantecon is not None:
        ddp = quantecon.markov.DiscreteDP(r, P, 0.9)
        res = ddp.solve(method="policy_iteration")
        np.testing.assert_allclose(res.v, sol.V, rtol=1e-8)
        t = median_time(lambda: ddp.solve(method="policy_iteration"), repeat=repeat, warmup=0)
        rows.append(Row(f"QuantEcon DiscreteDP PI forest(S={S})", t, "mdptheory", t_ours, anchor="1.5-1.8 s",
                        note=f"{res.num_iter} iterations"))
    else:
        rows.append(Row("QuantEcon", None, note="not installed"))
    del P, m

    A = 5
    m = random_mdp(S, A, density=0.5, seed=0)
    P = m.P_dense()
    r = m.r
    V_bare, _, it_bare = bare_policy_iteration(P, r, m.gamma)
    sol = solve(m)
    np.testing.assert_allclose(sol.V, V_bare, rtol=1e-9)
    t_bare = median_time(lambda: bare_policy_iteration(P, r, m.gamma), repeat=repeat)
    t_ours = median_time(lambda: solve(m), repeat=repeat)
    tag = f"random S={S}, A={A}, 50% dense"
    rows.append(Row(f"bare LAPACK policy iteration ({tag})", t_bare, anchor="dense LAPACK 0.5 s; mdpsolver 6 s",
                    note=f"{it_bare} iterations"))
    rows.append(Row(f"mdptheory.optimal.solve ({tag})", t_ours, "bare LAPACK PI", t_bare,
                    anchor="target <= 1.2x LAPACK", note=f"{sol.n_iter} iterations"))
    return rows
