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
#: Entries of ``P`` per block when ``_sparse_structure`` measures the bandwidth (bounds its temporaries).
_STRUCTURE_BLOCK = 1 << 16


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
    r"""Krylov solves on :math:`M = I - \gamma P^\pi`: BiCG for a primal-dual pair, else BiCGSTAB (GMRES fallback).

    ``M`` is never formed: products are :math:`x - \gamma (P^\pi x)` and
    :math:`y - \gamma (P^{\pi\top} y)` with the CSR ``P_pi`` (the transposed
    one through its transposed view), so the solver holds no matrix besides
    ``P_pi``, which the evaluation keeps anyway.

    The stopping rule targets the certified bounds: ``||res||_inf <= tol (1 - gamma)``
    for forward solves (so ``||x - x_true||_inf <= tol``) and an l1 residual of
    ``1e-10`` for transposed ones (visitations, whose l1 norm is ``1/(1 - gamma)``).

    :meth:`solve_pair` solves ``M x = b`` and ``M^T y = c`` in one Krylov space:
    BiCG's shadow sequence is the iteration for the transposed system, so V and
    the visitation of the MDP's own start distribution cost two sparse products
    per iteration together, as BiCGSTAB costs for V alone.  Its vector updates
    run in place in preallocated buffers (no temporary per operation).  The dual
    solution is kept and returned by the next :meth:`solve_T` for the same
    ``c``.  A pair BiCG has not settled within ``maxiter`` iterations, or a
    breakdown, hands the unfinished side to the one-sided solver.  A one-sided
    transposed solve (another start distribution) builds the CSR transpose of
    ``P_pi`` once.
    """

    def __init__(self, P_pi, gamma, tol, maxiter):
        self.P = P_pi.tocsr()
        self._PT = None  # CSR transpose of P_pi, built on the first one-sided transposed solve
        self.gamma = float(gamma)
        self.tol = tol
        self.maxiter = maxiter
        self._dual = {}  # c.tobytes() -> y with M^T y = c, from solve_pair

    def _targets(self):
        """Residual targets: inf-norm for forward solves, l1 for transposed ones."""
        return self.tol * (1.0 - self.gamma), 1e-10

    def _apply(self, P, x):
        """``x - gamma (P x)``, a fresh array (the product's, updated in place)."""
        y = P @ x
        y *= -self.gamma
        y += x
        return y

    def _operator(self, P):
        from scipy.sparse.linalg import LinearOperator

        return LinearOperator(P.shape, matvec=lambda x: self._apply(P, np.ravel(x)), dtype=np.float64)

    def solve_pair(self, b, c):
        """``(x, y)`` with ``M x = b`` and ``M^T y = c`` (1-D), by BiCG in one Krylov space."""
        P = self.P
        PT = P.T  # a transposed view: no copy
        b = np.asarray(b, dtype=float)
        c = np.asarray(c, dtype=float)
        tx, ty = self._targets()
        x, y = b.copy(), c.copy()  # (I - gamma P) x = b: b is the first Neumann term
        r = b - self._apply(P, x)
        s = c - self._apply(PT, y)
        p, q = r.copy(), s.copy()
        tmp = np.empty_like(b)
        rho = float(s @ r)
        done_x = float(np.abs(r).max(initial=0.0)) <= tx
        done_y = float(np.abs(s).sum()) <= ty
        limit = self.maxiter if self.maxiter is not None else 10 * b.size
        it = 0
        while not (done_x and done_y) and it < limit:
            it += 1
            Mp = self._apply(P, p)
            MTq = self._apply(PT, q)
            denom = float(q @ Mp)
            if denom == 0.0 or rho == 0.0 or not np.isfinite(denom):
                break  # breakdown: finish one-sided
            alpha = rho / denom
            np.multiply(p, alpha, out=tmp)
            x += tmp
            np.multiply(q, alpha, out=tmp)
            y += tmp
            Mp *= alpha
            r -= Mp
            MTq *= alpha
            s -= MTq
            done_x = float(np.abs(r, out=tmp).max()) <= tx
            done_y = float(np.abs(s, out=tmp).sum()) <= ty
            rho_new = float(s @ r)
            beta = rho_new / rho
            rho = rho_new
            p *= beta
            p += r
            q *= beta
            q += s
        if not (done_x and np.all(np.isfinite(x))):
            x = self._run(P, b, np.inf, self.tol, x0=x if np.all(np.isfinite(x)) else None)
        if not (done_y and np.all(np.isfinite(y))):
            y = self._run(self._transposed(), c, 1, 1e-10 / (1.0 - self.gamma),
                          x0=y if np.all(np.isfinite(y)) else None)
        self._dual[c.tobytes()] = y
        return x, y

    def _transposed(self):
        if self._PT is None:
            self._PT = self.P.T.tocsr()
        return self._PT

    def _run(self, P, b, norm_ord, tol, x0=None):
        """Solve ``(I - gamma P) x = b`` by BiCGSTAB (GMRES if it falls short), to the certified target."""
        from scipy.sparse.linalg import bicgstab, gmres

        b = np.asarray(b, dtype=float)
        target = tol * (1.0 - self.gamma)  # residual target for the certified bound
        if not np.any(b):
            return np.zeros_like(b)
        M = self._operator(P)
        # bicgstab stops on ||res||_2 <= rtol ||b||_2; ||res||_inf <= ||res||_2 and
        # ||res||_1 <= sqrt(n) ||res||_2
        bnorm = max(float(np.linalg.norm(b)), 1e-300)
        rtol = target / bnorm / (math.sqrt(b.size) if norm_ord == 1 else 1.0)
        rtol = max(rtol, 1e-15)
        x, _ = bicgstab(M, b, x0=b.copy() if x0 is None else x0, rtol=rtol, atol=0.0, maxiter=self.maxiter)
        res = b - self._apply(P, x)
        if not np.all(np.isfinite(x)) or np.linalg.norm(res, norm_ord) > target:
            x2, _ = gmres(M, b, x0=b.copy() if not np.all(np.isfinite(x)) else x, rtol=rtol, atol=0.0,
                          restart=50, maxiter=self.maxiter)
            res2 = b - self._apply(P, x2)
            if np.linalg.norm(res2, norm_ord) < np.linalg.norm(res, norm_ord) or not np.all(np.isfinite(x)):
                x = x2
        return x

    def _columns(self, P, B, norm_ord, tol):
        B = np.asarray(B, dtype=float)
        if B.ndim == 1:
            return self._run(P, B, norm_ord, tol)
        out = np.empty_like(B)
        for k in range(B.shape[1]):  # Krylov methods take one right-hand side
            out[:, k] = self._run(P, B[:, k], norm_ord, tol)
        return out

    def solve(self, b):
        return self._columns(self.P, b, np.inf, self.tol)

    def solve_T(self, b):
        b = np.asarray(b, dtype=float)
        if b.ndim == 1:
            y = self._dual.pop(b.tobytes(), None)  # the dual side of solve_pair, used once
            if y is not None:
                return y
        return self._columns(self._transposed(), b, 1, 1e-10 / (1.0 - self.gamma))


def _column_counts(P, block=1 << 17):
    """Stored entries per column of a CSR matrix, counted a block of entries at a time.

    ``np.bincount`` casts its input to the platform integer: over the whole
    int32 index array that is a temporary of two thirds of the CSR storage.
    """
    idx = P.indices
    counts = np.zeros(P.shape[1], dtype=np.int64)
    for k in range(0, idx.size, block):
        counts += np.bincount(idx[k:k + block], minlength=P.shape[1])
    return counts


def _max_row_sum(P, block=1 << 17):
    """``max(P.sum(axis=1))`` of a nonnegative CSR matrix (0 for no rows), a block of rows at a time.

    The row sums are those of ``P.sum(axis=1)`` (``np.add.reduceat`` over each
    row's stored entries, as SciPy computes them), without its temporaries of
    the size of the row pointer.
    """
    indptr, data = P.indptr, P.data
    best = 0.0  # every row sum of a nonnegative matrix is >= 0 (an empty row sums to 0)
    for i in range(0, P.shape[0], block):
        ptr = indptr[i:i + block + 1].astype(np.int64)
        starts = ptr[:-1][np.diff(ptr) > 0] - ptr[0]
        if starts.size:
            best = max(best, float(np.add.reduceat(data[ptr[0]:ptr[-1]], starts).max()))
    return best


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
        limit = max(64, int(4 * math.sqrt(S)))
        col_hub = _column_counts(Pm) > limit
        row_count = np.diff(Pm.indptr).reshape(S, A).sum(axis=1)
        row_hub = row_count > limit * A
        h = int(np.count_nonzero(col_hub) + np.count_nonzero(row_hub))
        # the half-bandwidth of the non-hub entries, a block of states at a time (bounded temporaries)
        b = 0
        step = max(1, _STRUCTURE_BLOCK * S // max(1, int(Pm.nnz)))
        for s0 in range(0, S, step):
            s1 = min(S, s0 + step)
            cols = Pm.indices[Pm.indptr[s0 * A]:Pm.indptr[s1 * A]].astype(np.int64)
            rows = np.repeat(np.arange(s0, s1, dtype=np.int64), row_count[s0:s1])
            keep = ~(col_hub[cols] | row_hub[rows])
            if keep.any():
                b = max(b, int(np.max(np.abs(rows[keep] - cols[keep]))))
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
