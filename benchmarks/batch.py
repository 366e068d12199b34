"""10,000 tiny MDPs (S = 5, A = 3): batched against one by one, and plain NumPy.

"Plain NumPy" is the stacked computation written directly: einsum for P_pi,
one ``numpy.linalg.solve`` on the (B, S, S) stack for V, Q and A by einsum,
a second stacked solve for d; no validation.  The one-by-one rows evaluate
pre-built MDP objects (building an MDP, i.e. validating it, is listed apart).
"""

from __future__ import annotations

import numpy as np

from mdptheory import MDP, evaluate
from mdptheory.batch import evaluate_batch

from ._common import Row, median_time

__all__ = ["run"]


def run(quick: bool) -> list[Row]:
    B, S, A = (2000 if quick else 10_000), 5, 3
    repeat = 3 if quick else 7
    gamma = 0.9
    rng = np.random.default_rng(0)
    P = rng.random((B, S, A, S))
    P /= P.sum(axis=-1, keepdims=True)
    r = rng.random((B, S, A))
    pi = rng.random((B, S, A))
    pi /= pi.sum(axis=-1, keepdims=True)
    mu = np.full(S, 1.0 / S)
    g = np.full(B, gamma)

    def plain_batched():
        P_pi = np.einsum("bsat,bsa->bst", P, pi)
        r_pi = np.einsum("bsa,bsa->bs", pi, r)
        M = np.eye(S) - g[:, None, None] * P_pi
        V = np.linalg.solve(M, r_pi[..., None])[..., 0]
        Q = r + g[:, None, None] * np.einsum("bsat,bt->bsa", P, V)
        adv = Q - V[..., None]
        d = (1 - g)[:, None] * np.linalg.solve(np.swapaxes(M, 1, 2), np.broadcast_to(mu, (B, S))[..., None])[..., 0]
        return V, Q, adv, d

    def batched():
        be = evaluate_batch(P, r, gamma, pi)
        return be.V, be.Q, be.A, be.visitation()

    def plain_one(b):
        P_pi = np.einsum("sat,sa->st", P[b], pi[b])
        r_pi = np.einsum("sa,sa->s", pi[b], r[b])
        M = np.eye(S) - gamma * P_pi
        V = np.linalg.solve(M, r_pi)
        Q = r[b] + gamma * (P[b] @ V)
        return V, Q, Q - V[:, None], (1 - gamma) * np.linalg.solve(M.T, mu)

    n_loop = min(B, 2000)
    mdps = [MDP(P[b], r[b], gamma) for b in range(n_loop)]

    def loop_plain():
        for b in range(n_loop):
            plain_one(b)

    def loop_evaluate():
        for b in range(n_loop):
            ev = evaluate(mdps[b], pi[b])
            ev.A
            ev.visitation()

    def loop_build():
        for b in range(n_loop):
            MDP(P[b], r[b], gamma)

    t_plain = median_time(plain_batched, repeat=repeat)
    t_batch = median_time(batched, repeat=repeat)
    be = evaluate_batch(P, r, gamma, pi)
    ref = plain_batched()
    np.testing.assert_allclose(be.V, ref[0], rtol=1e-10)
    np.testing.assert_allclose(be.visitation(), ref[3], rtol=1e-10)
    t_lplain = median_time(loop_plain, repeat=repeat)
    t_leval = median_time(loop_evaluate, repeat=repeat)
    t_build = median_time(loop_build, repeat=repeat)
    tag = f"S={S}, A={A}, per MDP"
    return [
        Row(f"plain numpy batched, V Q A d ({B} MDPs, {tag})", t_plain, per=B, anchor="1.5 us each"),
        Row(f"evaluate_batch, V Q A d ({B} MDPs, {tag})", t_batch, "plain batched", t_plain, per=B,
            anchor="target <= 2x plain batched"),
        Row(f"plain numpy loop, V Q A d ({tag})", t_lplain, per=n_loop, anchor="20 us each"),
        Row(f"loop of evaluate, V Q A d ({tag})", t_leval, "plain loop", t_lplain, per=n_loop,
            anchor="target <= 2x plain loop"),
        Row(f"loop of MDP(...) construction ({tag})", t_build, per=n_loop, note="validation, not in the rows above"),
        Row(f"evaluate_batch vs loop of evaluate ({tag})", t_batch / B, "loop of evaluate", t_leval / n_loop),
    ]
