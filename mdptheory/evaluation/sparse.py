r"""Sparse float solves of :math:`(I - \gamma P^\pi) x = b` and the choice of solver.

A sparse LU (SuperLU) when its estimated cost is below that of an iterative
solve (banded or hub-plus-band graphs: chains, forests, gridworlds at large
:math:`\gamma`), and otherwise BiCGSTAB with GMRES as fallback: a direct LU
fills in catastrophically on random transition graphs.  The choice is made in
one place, ``_prefers_direct`` (a fill and flop cost model on the structure
given by ``_sparse_structure``), shared with :mod:`mdptheory.optimal`.
"""

from __future__ import annotations

import math

import numpy as np

__all__: list[str] = []


#: A sparse LU is considered only when its estimated fill ``S (b + h + 1)``
#: stays below this many entries (about 1.6 GB with indices).
_DIRECT_MAX_FILL = 1e8
#: Sparse LU below this (weighted) flop estimate is always used: it costs well under a millisecond.
_DIRECT_ALWAYS_FLOPS = 1e6
#: Relative accuracy assumed by the iteration-count estimate of the Krylov cost.
_KRYLOV_COST_RTOL = 1e-10
#: Sparse LU works at a fraction of peak speed: weight of its flop estimate.
_DIRECT_FLOP_WEIGHT = 4.0


class _SparseDirect:
    """SuperLU factors of ``I - gamma P_pi`` serving both ``M x = b`` and ``M^T y = b``."""

    def __init__(self, M):
        from scipy.sparse.linalg import splu

        self.lu = splu(M.tocsc())

    def solve(self, b):
        return self.lu.solve(np.asarray(b, dtype=float))

    def solve_T(self, b):
        return self.lu.solve(np.asarray(b, dtype=float), trans="T")


class _SparseKrylov:
    """BiCGSTAB (GMRES fallback) on ``I - gamma P_pi``, one right-hand side at a time.

    The stopping rule targets the certified bounds: ``||res||_inf <= tol (1 - gamma)``
    for forward solves (so ``||x - x_true||_inf <= tol``) and an l1 residual of
    ``1e-10`` for transposed ones (visitations, whose l1 norm is ``1/(1 - gamma)``).
    """

    def __init__(self, M, gamma, tol, maxiter):
        self.M = M.tocsr()
        self._MT = None  # built on the first transposed solve
        self.gamma = float(gamma)
        self.tol = tol
        self.maxiter = maxiter

    def _run(self, M, b, norm_ord, tol):
        from scipy.sparse.linalg import bicgstab, gmres

        b = np.asarray(b, dtype=float)
        target = tol * (1.0 - self.gamma)  # residual target for the certified bound
        if not np.any(b):
            return np.zeros_like(b)
        # bicgstab stops on ||res||_2 <= rtol ||b||_2; ||res||_inf <= ||res||_2 and
        # ||res||_1 <= sqrt(n) ||res||_2
        bnorm = max(float(np.linalg.norm(b)), 1e-300)
        rtol = target / bnorm / (math.sqrt(b.size) if norm_ord == 1 else 1.0)
        rtol = max(rtol, 1e-15)
        x, _ = bicgstab(M, b, x0=b.copy(), rtol=rtol, atol=0.0, maxiter=self.maxiter)
        res = b - M @ x
        if not np.all(np.isfinite(x)) or np.linalg.norm(res, norm_ord) > target:
            x2, _ = gmres(M, b, x0=b.copy() if not np.all(np.isfinite(x)) else x, rtol=rtol, atol=0.0,
                          restart=50, maxiter=self.maxiter)
            res2 = b - M @ x2
            if np.linalg.norm(res2, norm_ord) < np.linalg.norm(res, norm_ord) or not np.all(np.isfinite(x)):
                x = x2
        return x

    def _columns(self, M, B, norm_ord, tol):
        B = np.asarray(B, dtype=float)
        if B.ndim == 1:
            return self._run(M, B, norm_ord, tol)
        out = np.empty_like(B)
        for k in range(B.shape[1]):  # Krylov methods take one right-hand side
            out[:, k] = self._run(M, B[:, k], norm_ord, tol)
        return out

    def solve(self, b):
        return self._columns(self.M, b, np.inf, self.tol)

    def solve_T(self, b):
        if self._MT is None:
            self._MT = self.M.T.tocsr()
        return self._columns(self._MT, b, 1, 1e-10 / (1.0 - self.gamma))


def _sparse_structure(fm):
    """``(b, h, nnz)`` of the state graph of a sparse float MDP, cached on the MDP.

    Collapse the actions (row ``s*A + a`` of ``P`` belongs to state ``s``) and
    set aside "hub" rows and columns, those with more than ``4 sqrt(S)``
    entries (e.g. a reset state: each adds at most one dense column or row to
    LU factors); ``h`` counts the hubs and ``b`` is the half-bandwidth of the
    remaining entries.  ``nnz`` is the number of stored entries of ``P``.
    """
    c = fm._cache.get("sparse_structure")
    if c is None:
        S, A = fm.n_states, fm.n_actions
        Pm = fm.P_matrix().tocsr()
        rows = np.repeat(np.arange(S, dtype=np.int64), np.diff(Pm.indptr).reshape(S, A).sum(axis=1))
        cols = Pm.indices.astype(np.int64)
        limit = max(64, int(4 * math.sqrt(S)))
        col_count = np.bincount(cols, minlength=S)
        row_count = np.bincount(rows, minlength=S)
        hub = (col_count[cols] > limit) | (row_count[rows] > limit * A)
        h = int(np.count_nonzero(col_count > limit) + np.count_nonzero(row_count > limit * A))
        keep = ~hub
        b = int(np.max(np.abs(rows[keep] - cols[keep]))) if keep.any() else 0
        c = (b, h, int(Pm.nnz))
        fm._cache["sparse_structure"] = c
    return c


def _prefers_direct(fm, gamma=None) -> bool:
    r"""Whether a sparse LU of :math:`I - \gamma P^\pi` is expected to beat Krylov.

    With the structure ``(b, h, nnz)`` of :func:`_sparse_structure`, a sparse
    LU (SuperLU, COLAMD ordering) fills in at most a band of width ``b + h``:
    about :math:`S (b+h+1)^2` flops (weighted by _DIRECT_FLOP_WEIGHT, as
    sparse LU runs far below peak) and :math:`S (b+h+1)` stored entries.  A
    Krylov or :math:`\gamma`-contracting solve costs at most
    :math:`n_{it}(2\,\mathrm{nnz} + 10 S)` flops with
    :math:`n_{it} = \lceil \log(10^{-10}) / \log\gamma \rceil` (the
    contraction count; BiCGSTAB usually needs far fewer).  The LU is used
    when it is cheaper (or below _DIRECT_ALWAYS_FLOPS) and its fill stays
    below _DIRECT_MAX_FILL.  Chains,
    forests (a band plus a reset hub) and small problems go direct; random
    graphs (garnets: ``b`` ~ S) go to Krylov; gridworlds (``b`` = number of
    columns) go direct when :math:`\gamma` is close to 1 and the grid fits,
    to Krylov otherwise.
    """
    b, h, nnz = _sparse_structure(fm)
    S = fm.n_states
    g = float(fm.gamma if gamma is None else gamma)
    w = float(b + h + 1)
    if S * w > _DIRECT_MAX_FILL:
        return False
    direct = _DIRECT_FLOP_WEIGHT * S * w * w
    n_it = 1.0 if g <= 0 else math.ceil(math.log(_KRYLOV_COST_RTOL) / math.log(g))
    krylov = n_it * (2.0 * nnz + 10.0 * S)
    return direct <= max(krylov, _DIRECT_ALWAYS_FLOPS)
