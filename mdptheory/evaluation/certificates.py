r"""Certified error bounds of float solves of :math:`(I - \gamma P^\pi) x = b`.

With :math:`\rho = \|P^\pi\|_\infty` (1 up to rounding),

.. math::

    \|V - V^\pi\|_\infty \le \frac{\|r^\pi - (I - \gamma P^\pi)V\|_\infty}{1-\gamma\rho},
    \qquad
    \|d - d_\mu^\pi\|_1 \le \frac{(1-\gamma)\,\|\mu - (I - \gamma P^\pi)^\top y\|_1}{1-\gamma\rho}
    + \varepsilon\|d\|_1,

where the residual is evaluated in float64 and enlarged by a bound on its own
rounding error and on the rounding in forming :math:`P^\pi, r^\pi`
(:math:`(k + A + 5)\,\varepsilon` times the absolute values of the terms,
:math:`k` the largest number of non-zeros in a row, or column, of
:math:`P^\pi`, plus an absolute floor of :math:`(k + A + 5)\,\eta + \eta\|x\|_\infty`,
:math:`\eta` the smallest normal float, for underflow into the subnormal range):
``_certify``.  Overflow (``inf``/``nan`` anywhere) means no certificate: the bound
is ``inf``, never ``nan``.  ``_a_priori_fine`` decides when a dense LU is
certain, a priori, to stay below :data:`WARN_RELATIVE_ERROR`, so that the
certificate can be computed on demand.
"""

from __future__ import annotations

import math

import numpy as np

from .sparse import _column_counts, _max_row_sum

__all__ = [
    "WARN_RELATIVE_ERROR",
]


#: A float evaluation warns (NumericalWarning) when its certified bound exceeds
#: this fraction of ``||V||_inf`` (V), or this much in l1 (the visitation).
WARN_RELATIVE_ERROR = 1e-8

_EPS = float(np.finfo(float).eps)
#: Smallest normal float64: the certificates' absolute rounding floor (underflow, subnormals).
_TINY = float(np.finfo(float).tiny)


def _a_priori_fine(S, A, gamma, vmax, rmax):
    r"""Whether a dense LU solve is certain, a priori, to stay below the warning threshold.

    LU with partial pivoting of :math:`(I - \gamma P^\pi)^\top` (column
    diagonally dominant: growth factor at most 2) is backward stable, and
    forming :math:`P^\pi, r^\pi` rounds each entry by at most :math:`A\varepsilon`
    relative, so :math:`\|\hat V - V\|_\infty \lesssim c\,(S + A)\,\varepsilon
    \big(\kappa\|\hat V\|_\infty + \|r\|_\infty/(1-\gamma)\big)` with
    :math:`\kappa = (1+\gamma)/(1-\gamma)`.  With ``c = 100``: when this is
    below :data:`WARN_RELATIVE_ERROR` / 100 times :math:`\|\hat V\|_\infty`
    (``vmax = 1, rmax = 0`` for the visitation, whose l1 norm is 1) the
    a-posteriori certificate is computed only on demand, which keeps the
    per-call cost of small evaluations low.  Values near the underflow range
    (below :math:`10^4 (S + A + 6)\eta / ((1-\gamma)\,\mathrm{WARN})`, :math:`\eta` the
    smallest normal float) or non-finite ones are never a-priori fine.
    """
    if not 0 <= gamma < 1 or not vmax > 0 or not math.isfinite(vmax) or not math.isfinite(rmax):
        return False
    # Python floats: overflow gives inf, silently
    est = 100.0 * (S + A) * _EPS * ((1.0 + gamma) / (1.0 - gamma) * vmax + rmax / (1.0 - gamma))
    floor = 100.0 * (S + A + 6) * _TINY / (1.0 - gamma)  # the underflow floor of the certificate
    return est <= 0.01 * WARN_RELATIVE_ERROR * vmax and floor <= 0.01 * WARN_RELATIVE_ERROR * vmax


def _row_sum_bound(mdp):
    """Largest row sum of ``P`` (cached on the MDP), rounded up; every row of any
    ``P_pi`` is a convex combination of these rows."""
    c = mdp._cache.get("evaluation.row_sum_bound")
    if c is None:
        P = mdp.P_matrix()
        if mdp.is_sparse:  # the same row sums, without SciPy's row-pointer-sized temporaries
            top = _max_row_sum(P)
        else:
            top = float((np.asarray(P.sum(axis=1)).ravel() if P.shape[0] else np.zeros(1)).max())
        c = top * (1.0 + (P.shape[1] + 2) * _EPS)
        mdp._cache["evaluation.row_sum_bound"] = c
    return c


def _certify(P_pi, gamma, X, B, *, transpose, abs_terms=None, A=1, rho_bound=None):
    r"""Certified bound on the residual and on the error of ``X`` against the exact solve.

    For ``transpose=False`` the system is ``(I - gamma P_pi) X = B`` and the
    returned pair is ``(res, err)`` with ``res`` an upper bound on
    :math:`\|B - (I - \gamma P^\pi)X\|_\infty` (per column, max over columns)
    and ``err = res / (1 - gamma rho)`` a bound on :math:`\|X - X_{true}\|_\infty`;
    ``transpose=True`` is the l1 version for :math:`(I - \gamma P^\pi)^\top`.
    The float residual is enlarged by :math:`(k + A + 5)(\varepsilon m + \eta)`,
    :math:`m` the sum of the absolute values of its terms (``abs_terms`` adds the
    absolute values behind ``B``, e.g. :math:`\sum_a\pi|r|`, for the rounding in
    forming :math:`r^\pi` and :math:`P^\pi`) and :math:`\eta` the smallest normal
    float (underflow; only where some term is nonzero), plus :math:`\eta\|X\|_\infty`;
    ``err`` is ``inf`` when :math:`\gamma\rho \ge 1` or anything is not finite
    (overflow: no certificate).  For dense ``P_pi`` pass ``rho_bound`` (an upper
    bound on its row sums, e.g. :func:`_row_sum_bound`): the nonzero count per
    row is then bounded by ``S`` and the bound needs a single product with
    ``P_pi``, no further pass over it.
    """
    sparse = not isinstance(P_pi, np.ndarray)
    X = np.asarray(X, dtype=float)
    B = np.asarray(B, dtype=float)
    Xc = X.reshape(X.shape[0], -1)
    Bc = B.reshape(B.shape[0], -1)
    both = np.concatenate([Xc, np.abs(Xc)], axis=1)
    if transpose:
        PX = np.asarray(P_pi.T @ both)
    else:
        PX = np.asarray(P_pi @ both)
    n = Xc.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        res = Bc - Xc + gamma * PX[:, :n]
        mag = np.abs(Bc) + np.abs(Xc) + gamma * PX[:, n:]
        if abs_terms is not None:
            mag = mag + np.asarray(abs_terms, dtype=float).reshape(mag.shape[0], -1)
    if sparse:
        P_pi = P_pi.tocsr()
        counts = _column_counts(P_pi) if transpose else np.diff(P_pi.indptr)
        k = int(counts.max()) if counts.size else 0
        rho = float(np.asarray(P_pi.sum(axis=1)).max()) if P_pi.shape[0] else 0.0  # P_pi >= 0
    elif rho_bound is not None:
        k = P_pi.shape[0]
        rho = float(rho_bound)
    else:
        k = int(np.count_nonzero(P_pi, axis=0 if transpose else 1).max()) if P_pi.size else 0
        rho = float(P_pi.sum(axis=1).max()) if P_pi.size else 0.0
    rho *= 1.0 + (k + A + 2) * _EPS
    with np.errstate(over="ignore", invalid="ignore"):
        # underflow: each of the k + A + 5 operations behind an entry with a nonzero term loses
        # at most eta (the smallest normal, covering the subnormal spacing with room), and the
        # subnormal rounding of P_pi's entries adds at most eta ||X||_inf (S A eps / 2 <= 1)
        xmax = float(np.max(np.abs(Xc))) if Xc.size else 0.0
        allow = (k + A + 5) * (_EPS * mag + _TINY * (mag > 0)) + _TINY * xmax
        total = np.abs(res) + allow
        if transpose:
            rn = float(np.max(total.sum(axis=0))) if total.size else 0.0
        else:
            rn = float(np.max(total)) if total.size else 0.0
    if not math.isfinite(rn):  # inf/nan anywhere (overflow): no certificate
        return math.inf, math.inf
    rn *= 1.0 + 4 * _EPS  # the reduction itself
    denom = 1.0 - gamma * rho
    err = rn / denom if denom > 0 else math.inf
    return rn, err if math.isfinite(err) else math.inf
