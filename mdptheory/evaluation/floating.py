r"""Float64 evaluation: dense LAPACK LU or a sparse solver, with its certified error bound.

:math:`V^\pi = (I - \gamma P^\pi)^{-1} r^\pi` by :mod:`~mdptheory.evaluation.dense`
or :mod:`~mdptheory.evaluation.sparse`, :math:`Q^\pi = r + \gamma P V^\pi`, and
the a-posteriori bound of :mod:`~mdptheory.evaluation.certificates` (computed
on demand when a dense solve is a priori fine); warns when the bound is not
small.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import ConvergenceWarning, NumericalWarning
from ..fields import FLOAT
from ..policies.tabular import as_policy
from .certificates import WARN_RELATIVE_ERROR, _a_priori_fine, _row_sum_bound, _certify
from .dense import _DenseFactor
from .markov_chain import policy_matrices
from .result import PolicyEvaluation
from .sparse import _SparseDirect, _SparseKrylov, _prefers_direct

__all__: list[str] = []


def _evaluate_float(mdp, pi, method, tol, maxiter):
    pi = as_policy(mdp, pi, exact=False)
    fm = mdp.to_float() if mdp.is_exact else mdp
    gamma = float(fm.gamma)
    S, A = fm.n_states, fm.n_actions
    P_pi, r_pi = policy_matrices(fm, pi)
    if fm.is_sparse:
        import scipy.sparse as sp

        def system():  # I - gamma P_pi, formed only for the factorizations (Krylov works with P_pi)
            return (sp.identity(S, format="csr") - gamma * P_pi).tocsr()

        if tol is None:
            scale = float(np.max(np.abs(fm.r))) / (1.0 - gamma) if fm.r.size else 0.0
            tol_k = 1e-10 * max(1.0, scale)
        else:
            tol_k = tol
        if method == "dense":
            factor, solver = _DenseFactor(system().toarray()), "lapack-lu"
        elif method == "direct" or (method == "auto" and _prefers_direct(fm)):
            factor, solver = _SparseDirect(system()), "splu"
        else:
            factor, solver = _SparseKrylov(P_pi, gamma, tol_k, maxiter), "bicgstab"
        if solver == "bicgstab":
            # V and the visitation of rho in one Krylov space (BiCG); visitation() picks up the dual side
            V, _ = factor.solve_pair(r_pi, fm.rho)
        else:
            V = factor.solve(r_pi)
        Q = fm.P @ V  # Q = r + gamma P V, updated in place (no (S, A) temporaries)
        Q *= gamma
        Q += fm.r.reshape(-1)
        Q = Q.reshape(S, A)
    else:
        M = -gamma * P_pi  # a fresh C-ordered array: the factorization may overwrite it
        M.reshape(-1)[:: S + 1] += 1.0
        factor, solver = _DenseFactor(M), "lapack-lu"
        V = factor.solve(r_pi)
        Q = fm.r + gamma * (fm.P.reshape(S * A, S) @ V).reshape(S, A)
    ev = PolicyEvaluation(fm, pi, FLOAT, P_pi, r_pi, V, Q, factor, solver, gamma)

    def certificate():
        return _certify(P_pi, gamma, V, r_pi, transpose=False, abs_terms=(pi * np.abs(fm.r)).sum(axis=1), A=A,
                        rho_bound=None if fm.is_sparse else _row_sum_bound(fm))

    vmax = float(np.max(np.abs(V))) if V.size else 0.0
    if solver == "lapack-lu" and _a_priori_fine(S, A, gamma, vmax, float(np.max(np.abs(fm.r)))):
        ev._cert = certificate  # computed on first access of residual / error_bound
        return ev
    ev._cert = certificate()
    res, err = ev._cert
    if solver == "bicgstab" and not err <= tol_k:
        warnings.warn(f"sparse iterative solve reached a certified error bound {err:.3g} > requested {tol_k:.3g}",
                      ConvergenceWarning, stacklevel=3)
    if not np.all(np.isfinite(V)):
        warnings.warn(
            "float evaluation: V has non-finite entries (float64 overflow: rewards or values beyond "
            "the float64 range); no certificate (error_bound = inf). Rescale the rewards or use "
            "mode='exact'", NumericalWarning, stacklevel=3)
    elif not err <= WARN_RELATIVE_ERROR * vmax and not (tol is not None and err <= tol):
        warnings.warn(
            f"float evaluation: the certified error bound {err:.3g} on V exceeds {WARN_RELATIVE_ERROR:g} "
            f"x max|V| = {vmax:.3g} (gamma = {gamma}, ill-conditioned I - gamma P_pi or cancellation); "
            "use mode='exact' or mode='ball' for certified digits", NumericalWarning, stacklevel=3)
    return ev
