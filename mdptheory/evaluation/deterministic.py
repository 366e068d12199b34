r"""Evaluation of deterministic policies on arrays, for policy iteration.

Policy iteration evaluates one deterministic policy per step.  Rather than
building a policy matrix and a :class:`~mdptheory.evaluation.PolicyEvaluation`
each time, :class:`_DeterministicEvaluator` gathers the rows of ``P`` the
actions select and solves in place (dense: LAPACK on a reused buffer; sparse:
a row gather of the precomputed rows of :math:`I - \gamma P`, solved by SuperLU
or, for a band plus a few hub columns, by a banded LU and Woodbury), with the
certified bound of :mod:`~mdptheory.evaluation.certificates`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..exceptions import NumericalWarning
from .certificates import _row_sum_bound

__all__: list[str] = []

_EPS = float(np.finfo(float).eps)
#: Policy iteration on a sparse MDP solves I - gamma P_pi as a banded matrix plus a few hub
#: columns (Woodbury) when at most this many columns are hubs ...
_BANDED_MAX_HUBS = 8
#: ... and the other entries lie within this distance of the diagonal; otherwise SuperLU.
_BANDED_MAX_HALF_WIDTH = 16


class _DeterministicEvaluator:
    r"""Evaluation of deterministic policies for policy iteration, on arrays.

    For actions :math:`a_s` it solves :math:`(I - \gamma P^\pi)V = r^\pi` and returns
    ``(V, Q, err)`` with :math:`Q = r + \gamma P V` and ``err`` a certified bound
    on :math:`\|V - V^\pi\|_\infty` (the bound of :func:`mdptheory.evaluation._certify`):

    .. math::

        \mathrm{err} = \frac{(1 + 4\varepsilon)\max_s\big(|r^\pi - V + \gamma P^\pi V|
            + (k + A + 5)\varepsilon\,(|r^\pi| + |V| + \gamma w)\big)}{1 - \gamma\rho'},

    :math:`k` the nonzeros per row of :math:`P^\pi` (``S`` when dense),
    :math:`\rho' = \rho(1 + (k + A + 2)\varepsilon)` and :math:`\rho` a bound on its row sums.
    :math:`P^\pi V` is read off :math:`PV`, which ``Q`` needs anyway; :math:`w` is
    :math:`P^\pi|V|` (sparse: one more sparse product) or its bound
    :math:`\rho\|V\|_\infty` (dense: no second pass over :math:`P`).

    Dense: the rows :math:`P[s, a_s]` are gathered into one reused buffer
    which LAPACK ``getrf`` factors in place (as :math:`M^\top`, Fortran order;
    ``getrs`` with the transpose flag then solves :math:`M V = r^\pi`): the
    operations of :func:`mdptheory.evaluate`, so ``V`` has the same digits,
    without a fresh :math:`S\times S` array, a policy validation or a
    second pass for the certificate per iteration.  :math:`PV` is then
    computed by SciPy's BLAS, the library that factors (``dgemv`` on the
    Fortran view ``P.T``, no copy; the kernel numpy's ``P @ V`` calls): with
    numpy's product, the idle threads of one OpenBLAS pool would compete
    with the other's for the cores at every switch (on 2 cores, a
    factorization at :math:`S = 2000` took 1.5 to 2 times as long right
    after a numpy call).  :math:`\rho` is the MDP's cached row-sum bound
    (:func:`~mdptheory.evaluation.certificates._row_sum_bound`, shared with
    :func:`mdptheory.evaluate`).  Sparse (sparse-LU
    route): the rows :math:`e_s - \gamma P[s, a, :]` of every action are built
    once, and each policy's :math:`I - \gamma P^\pi` is a row gather of them
    (the matrix ``evaluate`` factors with SuperLU, without its sparse
    products); a matrix banded but for a few hub columns (chains, forests:
    a band plus a reset state) is solved by a banded LU and Woodbury instead
    (:meth:`_solve_banded_hubs`), in :math:`O(S)`.
    """

    def __init__(self, fm):
        self.fm = fm
        self.S, self.A = fm.n_states, fm.n_actions
        self.gamma = float(fm.gamma)
        self.idx = np.arange(self.S)
        P = fm.P_matrix()
        self.sparse = fm.is_sparse
        if self.sparse:
            P = P.tocsr()
            self.P = P
            self.row_sums = np.asarray(P.sum(axis=1)).ravel()
            self.row_nnz = np.diff(P.indptr)
            self._rows_of_M = None
            self._banded_structure()
            self.solver = "splu" if self.band is None else "banded LU + Woodbury"
        else:
            from scipy.linalg import blas, lapack

            self.P = np.ascontiguousarray(P)  # (S*A, S) view of the dense P (C-ordered: P.T is Fortran)
            self.getrf, self.getrs, self.gemv = lapack.dgetrf, lapack.dgetrs, blas.dgemv
            self.buf = np.empty((self.S, self.S))
            self.rho = _row_sum_bound(fm)  # cached on the MDP, shared with evaluate()
            self.solver = "lapack-lu"

    def __call__(self, actions):
        S, A, gamma, idx = self.S, self.A, self.gamma, self.idx
        rows = idx * A + actions
        r_pi = self.fm.r[idx, actions]
        if self.sparse:
            V, k, rho = self._solve_sparse(rows, r_pi)
        else:
            M = self.buf
            # rows < S*A by construction; mode="clip" skips take's buffered copy (mode="raise" with out=)
            np.take(self.P, rows, axis=0, out=M, mode="clip")
            np.multiply(M, -gamma, out=M)
            M.reshape(-1)[:: S + 1] += 1.0
            lu, piv, info = self.getrf(M.T, overwrite_a=1)
            if info > 0:
                warnings.warn(f"I - gamma P_pi is numerically singular (zero pivot at {info - 1})",
                              NumericalWarning, stacklevel=4)
            V, _ = self.getrs(lu, piv, r_pi, trans=1)
            k, rho = S, self.rho
        absV = np.abs(V)
        if self.sparse:
            PV = np.asarray(self.P @ V).reshape(S, A)  # evaluate()'s product, the same digits
        else:
            # P V by the BLAS that factored (dgemv_t on P's transposed view: no copy; the kernel of
            # numpy's P @ V, so the digits of evaluate()'s product): one BLAS thread pool per
            # iteration, whose idle threads do not contend with the other library's
            PV = self.gemv(1.0, self.P.T, V, trans=1).reshape(S, A)
        Q = self.fm.r + gamma * PV
        rho = rho * (1.0 + (k + A + 2) * _EPS)
        res = r_pi - V + gamma * PV[idx, actions]
        if self.sparse:  # P^pi |V| exactly: one more sparse product
            P_absV = np.asarray(self.P @ absV)[rows]
        else:  # P^pi |V| <= rho ||V||_inf: no second pass over the dense P
            P_absV = rho * (float(absV.max()) if V.size else 0.0)
        mag = np.abs(r_pi) + absV + gamma * P_absV
        rn = float(np.max(np.abs(res) + (k + A + 5) * _EPS * mag)) * (1.0 + 4 * _EPS) if V.size else 0.0
        den = 1.0 - gamma * rho
        return V, Q, (rn / den if den > 0 else math.inf)

    def _banded_structure(self):
        """Hub columns and half-bandwidth of the rest, for :meth:`_solve_banded_hubs` (else ``band = None``).

        Hubs are the columns with more than ``max(64, 4 sqrt(S))`` entries (as in
        :func:`mdptheory.evaluation._sparse_structure`); the banded route is taken
        when there are at most :data:`_BANDED_MAX_HUBS` of them, no state has that
        many successors and the other entries lie within :data:`_BANDED_MAX_HALF_WIDTH`
        of the diagonal (chains, forests).
        """
        P, S, A = self.P, self.S, self.A
        self.band = None
        limit = max(64, int(4 * math.sqrt(S)))
        col_count = np.bincount(P.indices, minlength=S)
        succ = self.row_nnz.reshape(S, A).sum(axis=1)
        hubs = np.flatnonzero(col_count > limit)
        if hubs.size > _BANDED_MAX_HUBS or (succ > limit * A).any():
            return
        is_hub = np.zeros(S, dtype=bool)
        is_hub[hubs] = True
        state = np.repeat(np.arange(S * A) // A, self.row_nnz)
        keep = ~is_hub[P.indices]
        b = int(np.max(np.abs(state[keep] - P.indices[keep]))) if keep.any() else 0
        if b > _BANDED_MAX_HALF_WIDTH:
            return
        self.band, self.hubs, self.is_hub = b, hubs, is_hub
        self.hub_pos = np.zeros(S, dtype=np.int64)
        self.hub_pos[hubs] = np.arange(hubs.size)

    def _solve_banded_hubs(self, M, r_pi):
        r"""Solve :math:`MV = r^\pi` for a CSR ``M`` banded except for a few hub columns.

        :math:`M = B + U E_H^\top`: :math:`B` holds the diagonal and the entries within
        the band (LAPACK ``gbsv``), :math:`U` the off-diagonal entries of the hub columns
        :math:`H`.  By Woodbury, with :math:`y = B^{-1}r^\pi` and :math:`Z = B^{-1}U`
        (one banded solve with :math:`1 + |H|` right-hand sides),

        .. math::

            V = y - Z\,(I + Z_H)^{-1} y_H .

        :math:`B` is :math:`I - \gamma P^\pi` with some off-diagonal entries removed, so
        it stays strictly diagonally dominant by rows (nonsingular, stable without
        pivoting growth); the certificate of :meth:`__call__` bounds the error a posteriori.
        """
        from scipy.linalg import solve_banded

        S, b, hubs = self.S, self.band, self.hubs
        i = np.repeat(self.idx, np.diff(M.indptr))
        j, v = M.indices, M.data
        hub_entry = self.is_hub[j] & (i != j)
        kb = ~hub_entry
        ab = np.zeros((2 * b + 1, S))
        ab[b + i[kb] - j[kb], j[kb]] = v[kb]  # canonical CSR: no duplicate (i, j)
        rhs = np.zeros((S, 1 + hubs.size))
        rhs[:, 0] = r_pi
        rhs[i[hub_entry], 1 + self.hub_pos[j[hub_entry]]] = v[hub_entry]
        Y = solve_banded((b, b), ab, rhs, overwrite_ab=True, overwrite_b=True, check_finite=False)
        y = Y[:, 0]
        if hubs.size:
            Z = Y[:, 1:]
            cap = np.eye(hubs.size) + Z[hubs]
            y = y - Z @ np.linalg.solve(cap, y[hubs])
        return y

    def _solve_sparse(self, rows, r_pi):
        import scipy.sparse as sp
        from scipy.sparse.linalg import splu

        if self._rows_of_M is None:
            # every candidate row of I - gamma P_pi at once: row s*A + a is e_s - gamma P[s, a, :],
            # with evaluate()'s arithmetic (1 - gamma p on the diagonal, -gamma p elsewhere)
            S, A = self.S, self.A
            E = sp.csr_matrix((np.ones(S * A), np.repeat(self.idx, A), np.arange(S * A + 1)), shape=(S * A, S))
            self._rows_of_M = (E - self.gamma * self.P).tocsr()
        M = self._rows_of_M[rows]  # a row gather: the canonical CSR of I - gamma P_pi
        if self.band is not None:
            V = self._solve_banded_hubs(M, np.asarray(r_pi, dtype=float))
        else:
            V = splu(M.tocsc()).solve(np.asarray(r_pi, dtype=float))
        k = int(self.row_nnz[rows].max()) if rows.size else 0
        rho = float(self.row_sums[rows].max()) if rows.size else 0.0
        return V, k, rho
