"""Sparse evaluation at S = 100,000 with 5 successors per (s, a).

mdptheory's ``evaluate`` on a sparse MDP picks the Krylov path (a direct sparse
LU fills in catastrophically on random transition graphs): one BiCG run gives V
and, from its shadow sequence, the visitation of rho; it reports the
certified bound ``||V - V^pi||_inf <= ||residual||_inf / (1 - gamma)``.  The
bare baseline forms ``I - gamma P_pi`` with SciPy and calls
``scipy.sparse.linalg.bicgstab`` with the relative tolerance that yields the
same certified target (``1e-10 * max(1, max|r| / (1 - gamma))``).
"""

from __future__ import annotations

import numpy as np

from mdptheory import MDP, evaluate

from ._common import Row, median_time

__all__ = ["run", "sparse_instance"]


def sparse_instance(S, A=5, k=5, *, seed=0, gamma=0.9):
    """A random sparse MDP: each (s, a) moves to ``k`` random states; a random policy."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    cols = rng.integers(S, size=(S * A, k))
    w = rng.random((S * A, k))
    w /= w.sum(axis=1, keepdims=True)
    P = sp.csr_matrix((w.ravel(), (np.repeat(np.arange(S * A), k), cols.ravel())), shape=(S * A, S))
    r = rng.random((S, A))
    pi = rng.random((S, A))
    pi /= pi.sum(axis=1, keepdims=True)
    return MDP(P, r, gamma), pi


def run(quick: bool) -> list[Row]:
    import scipy.sparse as sp
    from scipy.sparse.linalg import bicgstab

    S, A = (20_000 if quick else 100_000), 5
    repeat = 3 if quick else 5
    m, pi = sparse_instance(S, A)
    gamma = m.gamma
    tol = 1e-10 * max(1.0, float(np.abs(m.r).max()) / (1 - gamma))

    def bare():
        Pi = sp.csr_matrix((pi.ravel(), (np.repeat(np.arange(S), A), np.arange(S * A))), shape=(S, S * A))
        M = (sp.identity(S, format="csr") - gamma * (Pi @ m.P)).tocsr()
        b = (pi * m.r).sum(axis=1)
        x, info = bicgstab(M, b, x0=b.copy(), rtol=tol * (1 - gamma) / np.linalg.norm(b), atol=0.0)
        return x, np.abs(b - M @ x).max() / (1 - gamma)

    ev = evaluate(m, pi)
    assert ev.solver == "bicgstab", ev.solver
    x, bound_bare = bare()
    assert np.abs(ev.V - x).max() <= ev.error_bound + bound_bare
    t_bare = median_time(bare, repeat=repeat)
    t_V = median_time(lambda: evaluate(m, pi), repeat=repeat)
    t_all = median_time(lambda: (lambda e: (e.A, e.visitation()))(evaluate(m, pi)), repeat=repeat)
    tag = f"S={S}, A={A}, 5 successors"
    return [
        Row(f"bare scipy bicgstab ({tag})", t_bare, anchor="bicgstab 40 ms",
            note=f"certified bound {bound_bare:.1e}"),
        Row(f"mdptheory.evaluate sparse: V ({tag})", t_V, "bare bicgstab", t_bare, anchor="target <= 2x bare",
            note=f"certified bound {ev.error_bound:.1e} (target {tol:.0e})"),
        Row(f"mdptheory.evaluate sparse: V, Q, A, d ({tag})", t_all, "bare bicgstab", t_bare,
            note="d: the dual side of the same BiCG run"),
    ]
