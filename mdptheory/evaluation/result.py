r"""Exact policy evaluation: V, Q, the advantage and the visitation from one factorization.

For a policy :math:`\pi` on an MDP :math:`(P, r, \gamma)`,

.. math::

    P^\pi[s, s'] = \sum_a \pi(a|s) P(s'|s, a), \qquad
    r^\pi[s] = \sum_a \pi(a|s) r(s, a),

    V^\pi = (I - \gamma P^\pi)^{-1} r^\pi, \qquad
    Q^\pi = r + \gamma P V^\pi, \qquad A^\pi = Q^\pi - V^\pi,

    d_\mu^\pi = (1-\gamma)\, \mu^\top (I - \gamma P^\pi)^{-1}, \qquad
    \nu_\mu^\pi(s, a) = d_\mu^\pi(s)\, \pi(a|s)

(AJKS Ch. 1, THEORY A1–A2).  :func:`evaluate` factors :math:`I - \gamma P^\pi`
once; :math:`V` is the forward solve and every visitation the transposed solve
with the same factors.  The number field follows the inputs (see
:mod:`mdptheory.fields`):

* float MDP or float policy: float64.  Dense problems use LAPACK's LU
  (``getrf``/``getrs`` called directly: about 2 us of overhead per
  evaluation instead of about 25 us through ``scipy.linalg.lu_factor``).
  Sparse problems use a sparse LU when its estimated cost is below that of an
  iterative solve (banded or hub-plus-band graphs: chains, forests, gridworlds
  at large :math:`\gamma`), and otherwise BiCGSTAB (GMRES as fallback): a
  direct LU fills in catastrophically on random transition graphs.  The
  choice is made in one place, :func:`_prefers_direct`, shared with
  :mod:`mdptheory.optimal`.
* every float solve carries an a-posteriori certificate: with
  :math:`\rho = \|P^\pi\|_\infty` (1 up to rounding),

  .. math::

      \|V - V^\pi\|_\infty \le \frac{\|r^\pi - (I - \gamma P^\pi)V\|_\infty}{1-\gamma\rho},
      \qquad
      \|d - d_\mu^\pi\|_1 \le \frac{(1-\gamma)\,\|\mu - (I - \gamma P^\pi)^\top y\|_1}{1-\gamma\rho}
      + \varepsilon\|d\|_1,

  where the residual is evaluated in float64 and enlarged by a bound on its
  own rounding error and on the rounding in forming :math:`P^\pi, r^\pi`
  (:math:`(k + A + 5)\,\varepsilon` times the absolute values of the terms,
  :math:`k` the largest number of non-zeros in a row, or column, of
  :math:`P^\pi`).  The first bound is ``ev.error_bound``, the second
  ``ev.visitation_bound(mu)``.  When the bound on V exceeds
  :data:`WARN_RELATIVE_ERROR` times :math:`\|V\|_\infty` (or the bound on
  d exceeds :data:`WARN_RELATIVE_ERROR`), a
  :class:`~mdptheory.exceptions.NumericalWarning` says so and suggests
  ``mode="exact"`` or ``mode="ball"``.
* exact MDP and exact policy: exact rationals; no float anywhere.  The
  system is cleared of denominators row by row into an integer matrix and
  solved by FLINT; Q, A and P_pi (as Fractions) are built on first access.
* ``mode="ball"``: FLINT ``arb`` ball arithmetic at ``prec`` bits; every
  entry is a ball certified to contain the exact value of the (float or
  exact) problem as given.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np

from .exceptions import ConvergenceWarning, InvalidParameterError, NumericalWarning
from .fields import BALL, EXACT, FLOAT, MODES, exact_array, float_array
from .policies.tabular import as_policy, policy_is_exact

__all__ = [
    "PolicyEvaluation",
    "evaluate",
    "policy_matrices",
    "DEFAULT_BALL_PREC",
    "WARN_RELATIVE_ERROR",
]

#: Default working precision (bits) of ball mode: about 50 decimal digits.
DEFAULT_BALL_PREC = 170

#: A float evaluation warns (NumericalWarning) when its certified bound exceeds
#: this fraction of ``||V||_inf`` (V), or this much in l1 (the visitation).
WARN_RELATIVE_ERROR = 1e-8

_EPS = float(np.finfo(float).eps)
#: A sparse LU is considered only when its estimated fill ``S (b + h + 1)``
#: stays below this many entries (about 1.6 GB with indices).
_DIRECT_MAX_FILL = 1e8
#: Sparse LU below this (weighted) flop estimate is always used: it costs well under a millisecond.
_DIRECT_ALWAYS_FLOPS = 1e6
#: Relative accuracy assumed by the iteration-count estimate of the Krylov cost.
_KRYLOV_COST_RTOL = 1e-10
#: Sparse LU works at a fraction of peak speed: weight of its flop estimate.
_DIRECT_FLOP_WEIGHT = 4.0


# ---------------------------------------------------------------- helpers
def _fmpq_cache(mdp):
    """P (S, A, S), r and gamma as flint.fmpq objects, cached on the MDP."""
    c = mdp._cache.get("fmpq")
    if c is None:
        from flint import fmpq

        def q(x):
            x = x if isinstance(x, Fraction) else Fraction(x)
            return fmpq(x.numerator, x.denominator)

        if mdp.is_exact:
            P = np.frompyfunc(q, 1, 1)(mdp.P_dense())
            r = np.frompyfunc(q, 1, 1)(mdp.r)
            g = q(mdp.gamma)
        else:  # floats are dyadic rationals: exact conversion
            fq = np.frompyfunc(lambda x: q(Fraction(float(x))), 1, 1)
            P = fq(mdp.P_dense())
            r = fq(mdp.r)
            g = q(Fraction(float(mdp.gamma)))
        c = (P, r, g)
        mdp._cache["fmpq"] = c
    return c


def _to_fmpq_array(a, exact_input: bool):
    from flint import fmpq

    def q(x):
        x = x if isinstance(x, Fraction) else Fraction(x) if exact_input else Fraction(float(x))
        return fmpq(x.numerator, x.denominator)

    return np.frompyfunc(q, 1, 1)(np.asarray(a, dtype=object))


if hasattr(Fraction, "_from_coprime_ints"):  # Python >= 3.12
    _coprime_fraction = Fraction._from_coprime_ints
else:  # Python 3.10, 3.11
    def _coprime_fraction(n, d):
        return Fraction(n, d, _normalize=False)


def _fraction_canonical(q) -> Fraction:
    """A canonical ``fmpq`` (coprime, positive denominator) as a Fraction, without a gcd."""
    return _coprime_fraction(int(q.p), int(q.q))


def _fractions_canonical(entries, shape):
    """Object array of Fractions from canonical fmpq entries (no renormalization)."""
    out = np.empty(len(entries), dtype=object)
    out[:] = [_fraction_canonical(q) for q in entries]
    return out.reshape(shape)


def _int_rewards(mdp):
    """``(m, R)`` with ``r = m / R`` over the integers (R the lcm of r's denominators), cached."""
    c = mdp._cache.get("int_rewards")
    if c is None:
        num = np.frompyfunc(lambda x: x.numerator, 1, 1)(mdp.r)
        den = np.frompyfunc(lambda x: x.denominator, 1, 1)(mdp.r)
        R = int(np.lcm.reduce(den.reshape(-1)))
        c = (num * (R // den), R)
        mdp._cache["int_rewards"] = c
    return c


def _int_rows(mdp):
    """Integer form of an exact ``P``, cached on the MDP.

    With ``L[s]`` the lcm of the denominators in ``P[s, :, :]``,
    ``P[s, a, t] = N[s, a, t] / L[s]`` for integers ``N``.  Returns
    ``(N, L, N_fmpz)``: ``N`` an int64 array when it fits (else Python ints),
    ``L`` an object array of Python ints, ``N_fmpz`` the ``(S*A, S)`` fmpz_mat.
    """
    c = mdp._cache.get("int_rows")
    if c is None:
        from flint import fmpz_mat

        S, A = mdp.n_states, mdp.n_actions
        P = mdp.P
        num = np.frompyfunc(lambda x: x.numerator, 1, 1)(P)
        den = np.frompyfunc(lambda x: x.denominator, 1, 1)(P)
        L = np.lcm.reduce(den.reshape(S, A * S), axis=1)
        N = num * (L[:, None, None] // den)
        N_fmpz = fmpz_mat(S * A, S, N.reshape(-1).tolist())
        if int(np.max(N)) < 2**62:
            N = N.astype(np.int64)
        c = (N, L, N_fmpz)
        mdp._cache["int_rows"] = c
    return c


def policy_matrices(mdp, pi):
    r"""Return ``(P_pi, r_pi)`` for a validated policy, in the MDP's field.

    ``P_pi[s, s'] = sum_a pi[s, a] P[s, a, s']`` and ``r_pi[s] = sum_a pi[s, a] r[s, a]``.
    For a sparse MDP, ``P_pi`` is a CSR matrix.
    """
    if mdp.is_sparse:
        import scipy.sparse as sp

        S, A = mdp.n_states, mdp.n_actions
        rows = np.repeat(np.arange(S), A)
        cols = np.arange(S * A)
        Pi = sp.csr_matrix((np.asarray(pi, dtype=float).ravel(), (rows, cols)), shape=(S, S * A))
        return (Pi @ mdp.P).tocsr(), (pi * mdp.r).sum(axis=1)
    P = mdp.P
    if P.dtype == object or np.asarray(pi).dtype == object:
        return np.einsum("sat,sa->st", P, pi), (pi * mdp.r).sum(axis=1)
    S = P.shape[0]
    if S >= 64:
        # deterministic policies (policy iteration, greedy steps): P_pi is a gather of rows,
        # bit-identical to the product (one term 1.0 * p, the others 0.0 * p)
        actions = np.argmax(pi, axis=1)
        if np.all(pi[np.arange(S), actions] == 1.0):
            rows = np.arange(S)
            return P[rows, actions], mdp.r[rows, actions]  # fancy indexing returns fresh arrays
    # batched row-vector times matrix: pi[s] @ P[s]
    return np.matmul(pi[:, None, :], P)[:, 0, :], np.einsum("sa,sa->s", pi, mdp.r)


_LAPACK = None


def _lapack():
    """LAPACK's dgetrf/dgetrs, looked up once (scipy's wrappers cost ~10 us a call)."""
    global _LAPACK
    if _LAPACK is None:
        from scipy.linalg import lapack

        _LAPACK = (lapack.dgetrf, lapack.dgetrs)
    return _LAPACK


class _DenseFactor:
    """One LU factorization (LAPACK getrf) serving both ``M x = b`` and ``M^T y = b``.

    ``M`` is C-ordered, so ``M.T`` is Fortran-ordered: it is factored in place
    (no copy) as ``M^T = P L U``; the forward system ``M x = b`` is then
    getrs with ``trans=1`` and the transposed one ``trans=0``.  Calling
    getrf/getrs directly, rather than through ``scipy.linalg.lu_factor``,
    keeps the per-call overhead at about 2 us, which matters for the many tiny
    MDPs of property tests and sweeps.
    """

    def __init__(self, M):
        getrf, self._getrs = _lapack()
        self.lu, self.piv, info = getrf(M.T, overwrite_a=1)
        if info > 0:
            warnings.warn(f"I - gamma P_pi is numerically singular (zero pivot at {info - 1})",
                          NumericalWarning, stacklevel=4)

    def solve(self, b):
        x, _ = self._getrs(self.lu, self.piv, b, trans=1)
        return x

    def solve_T(self, b):
        x, _ = self._getrs(self.lu, self.piv, b, trans=0)
        return x


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


class _ExactFactor:
    """Exact rational solves with FLINT on an integer matrix.

    ``I - gamma P_pi = diag(c)^{-1} K`` with ``K`` an integer matrix and ``c``
    positive integers (row-wise common denominators).  Then
    ``(I - gamma P_pi) x = b`` is ``K x = c * b`` and
    ``(I - gamma P_pi)^T y = b`` is ``K^T z = b`` with ``y = c * z``.  Solving
    with the integer ``K^T`` rather than the rational transpose matters: FLINT
    clears denominators row by row, and the rows of the rational transpose
    carry the lcm of all row denominators (five times slower at S = 100).
    FLINT exposes no reusable LU for these matrices, so the transposed system
    is solved on demand and cached per start distribution by
    :class:`PolicyEvaluation`.  Inputs and outputs are arrays of ``fmpq``
    (shape (S,) or (S, k)).
    """

    def __init__(self, K, c):
        from flint import fmpq

        self.K = K
        self.c = np.array([fmpq(int(x)) for x in c], dtype=object)
        self._KT = None

    @staticmethod
    def _mat(b):
        from flint import fmpq_mat

        b = np.asarray(b, dtype=object)
        B = b.reshape(b.shape[0], -1)
        return fmpq_mat(B.shape[0], B.shape[1], list(B.reshape(-1))), b.shape

    def solve(self, b):
        b = np.asarray(b, dtype=object)
        cb = b * (self.c if b.ndim == 1 else self.c[:, None])
        return self.solve_scaled(cb)

    def solve_scaled(self, cb):
        """Solve ``K x = cb`` (the right-hand side already multiplied by ``c``)."""
        from flint import fmpq_mat

        B, shape = self._mat(cb)
        return np.array(fmpq_mat(self.K).solve(B).entries(), dtype=object).reshape(shape)

    def solve_T(self, b):
        from flint import fmpq_mat

        if self._KT is None:
            self._KT = fmpq_mat(self.K.transpose())
        B, shape = self._mat(b)
        z = np.array(self._KT.solve(B).entries(), dtype=object).reshape(shape)
        return z * (self.c if z.ndim == 1 else self.c[:, None])


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


_NO_KEY = object()


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
    per-call cost of small evaluations low.
    """
    if not 0 <= gamma < 1 or vmax <= 0:
        return False
    est = 100.0 * (S + A) * _EPS * ((1.0 + gamma) / (1.0 - gamma) * vmax + rmax / (1.0 - gamma))
    return est <= 0.01 * WARN_RELATIVE_ERROR * vmax


def _row_sum_bound(mdp):
    """Largest row sum of ``P`` (cached on the MDP), rounded up; every row of any
    ``P_pi`` is a convex combination of these rows."""
    c = mdp._cache.get("evaluation.row_sum_bound")
    if c is None:
        P = mdp.P_matrix()
        sums = np.asarray(P.sum(axis=1)).ravel() if P.shape[0] else np.zeros(1)
        c = float(sums.max()) * (1.0 + (P.shape[1] + 2) * _EPS)
        mdp._cache["evaluation.row_sum_bound"] = c
    return c


def _certify(P_pi, gamma, X, B, *, transpose, abs_terms=None, A=1, rho_bound=None):
    r"""Certified bound on the residual and on the error of ``X`` against the exact solve.

    For ``transpose=False`` the system is ``(I - gamma P_pi) X = B`` and the
    returned pair is ``(res, err)`` with ``res`` an upper bound on
    :math:`\|B - (I - \gamma P^\pi)X\|_\infty` (per column, max over columns)
    and ``err = res / (1 - gamma rho)`` a bound on :math:`\|X - X_{true}\|_\infty`;
    ``transpose=True`` is the l1 version for :math:`(I - \gamma P^\pi)^\top`.
    The float residual is enlarged by :math:`(k + A + 5)\varepsilon` times the
    sum of the absolute values of its terms (``abs_terms`` adds the absolute
    values behind ``B``, e.g. :math:`\sum_a\pi|r|`, for the rounding in forming
    :math:`r^\pi` and :math:`P^\pi`); ``err`` is ``inf`` when
    :math:`\gamma\rho \ge 1`.  For dense ``P_pi`` pass ``rho_bound`` (an upper
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
    res = Bc - Xc + gamma * PX[:, :n]
    mag = np.abs(Bc) + np.abs(Xc) + gamma * PX[:, n:]
    if abs_terms is not None:
        mag = mag + np.asarray(abs_terms, dtype=float).reshape(mag.shape[0], -1)
    if sparse:
        P_pi = P_pi.tocsr()
        counts = (np.bincount(P_pi.indices, minlength=P_pi.shape[1]) if transpose
                  else np.diff(P_pi.indptr))
        k = int(counts.max()) if counts.size else 0
        rho = float(np.asarray(P_pi.sum(axis=1)).max()) if P_pi.shape[0] else 0.0  # P_pi >= 0
    elif rho_bound is not None:
        k = P_pi.shape[0]
        rho = float(rho_bound)
    else:
        k = int(np.count_nonzero(P_pi, axis=0 if transpose else 1).max()) if P_pi.size else 0
        rho = float(P_pi.sum(axis=1).max()) if P_pi.size else 0.0
    rho *= 1.0 + (k + A + 2) * _EPS
    allow = (k + A + 5) * _EPS * mag
    total = np.abs(res) + allow
    if transpose:
        rn = float(np.max(total.sum(axis=0))) if total.size else 0.0
    else:
        rn = float(np.max(total)) if total.size else 0.0
    rn *= 1.0 + 4 * _EPS  # the reduction itself
    denom = 1.0 - gamma * rho
    err = rn / denom if denom > 0 else math.inf
    return rn, err


# ---------------------------------------------------------------- result
class PolicyEvaluation:
    r"""The evaluation of one policy on one MDP (returned by :func:`evaluate`).

    Attributes
    ----------
    mdp : MDP
    pi : ndarray, shape (S, A)
    mode : {"float", "exact", "ball"}
    V : ndarray, shape (S,)
        :math:`V^\pi`.
    Q : ndarray, shape (S, A)
        :math:`Q^\pi = r + \gamma P V^\pi`.
    advantage : ndarray, shape (S, A)
        :math:`A^\pi = Q^\pi - V^\pi` (also available as ``A``).
    P_pi : ndarray (S, S) or sparse matrix
    r_pi : ndarray, shape (S,)
    solver : str
        ``"lapack-lu"``, ``"splu"``, ``"bicgstab"``, ``"flint-fmpq"`` or ``"flint-arb"``.
    residual : float or None
        Float mode: a certified upper bound on
        :math:`\|r^\pi - (I - \gamma P^\pi) V\|_\infty` (the float residual
        plus a bound on its own rounding and on the rounding in forming
        :math:`P^\pi, r^\pi`).  None in exact and ball modes.
    error_bound : float or None
        Float mode: the certified :math:`\|V - V^\pi\|_\infty \le
        \text{residual} / (1 - \gamma\rho)`, :math:`\rho = \|P^\pi\|_\infty`
        (one up to rounding), for the float MDP and policy as given.  None in
        exact mode (no error) and ball mode (every entry is an enclosure).
    visitation_error_bound : float or None
        The certified l1 bound of the most recent :meth:`visitation` (float mode).

    Methods ``visitation(mu)``, ``occupancy(mu)`` and ``value(mu)`` reuse the
    factorization, as do ``solve(B)`` and ``solve_T(B)`` for any right-hand
    sides; ``visitation_bound(mu)`` gives the certified l1 error of a visitation.
    """

    def __init__(self, mdp, pi, mode, P_pi, r_pi, V, Q, factor, solver, gamma_num, advantage=None):
        self.mdp = mdp
        self.pi = pi
        self.mode = mode
        # P_pi may be a function building it on first access, and Q a function
        # returning (Q, advantage) on first access (exact mode: canonical
        # rationals cost a gcd per entry, paid only when asked for)
        self._P_pi, self._P_pi_build = (None, P_pi) if callable(P_pi) else (P_pi, None)
        self.r_pi = r_pi
        self.V = V
        if callable(Q):
            self._Q = self._advantage = None
            self._QA_build = Q
        else:
            self._Q = Q
            self._advantage = Q - V[:, None] if advantage is None else advantage
            self._QA_build = None
        self.solver = solver
        self._factor = factor
        self._gamma = gamma_num
        self._visits = {}
        self._visit_bounds = {}  # key -> bound, or a function computing it on first access
        self._cert = None  # (residual, error_bound), or a function computing them
        self._last_visit_key = _NO_KEY
        for arr in (self.V, self._Q, self._advantage):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False

    @property
    def residual(self):
        """Float mode: certified bound on ``||r_pi - (I - gamma P_pi) V||_inf`` (None otherwise)."""
        return self._certificate()[0]

    @property
    def error_bound(self):
        """Float mode: certified bound on ``||V - V^pi||_inf`` (None otherwise)."""
        return self._certificate()[1]

    @property
    def visitation_error_bound(self):
        """The certified l1 bound of the most recent :meth:`visitation` (float mode; else None)."""
        if self.mode != FLOAT or self._last_visit_key is _NO_KEY:
            return None
        return self._visit_bound(self._last_visit_key)

    def _certificate(self):
        if callable(self._cert):
            self._cert = self._cert()
        return (None, None) if self._cert is None else self._cert

    def _visit_bound(self, key):
        b = self._visit_bounds.get(key)
        if callable(b):
            b = self._visit_bounds[key] = b()
        return b

    def _build_QA(self):
        Q, adv = self._QA_build()
        for arr in (Q, adv):
            arr.flags.writeable = False
        self._Q, self._advantage, self._QA_build = Q, adv, None

    @property
    def Q(self) -> np.ndarray:
        """:math:`Q^\\pi = r + \\gamma P V^\\pi`, shape (S, A)."""
        if self._QA_build is not None:
            self._build_QA()
        return self._Q

    @property
    def advantage(self) -> np.ndarray:
        """:math:`A^\\pi = Q^\\pi - V^\\pi`, shape (S, A)."""
        if self._QA_build is not None:
            self._build_QA()
        return self._advantage

    @advantage.setter
    def advantage(self, value):
        if self._QA_build is not None:
            self._build_QA()
        self._advantage = value

    @property
    def A(self) -> np.ndarray:
        """Alias of :attr:`advantage`."""
        return self.advantage

    @property
    def P_pi(self):
        """:math:`P^\\pi[s, s'] = \\sum_a \\pi(a|s) P(s'|s, a)`: ndarray (S, S) or a sparse matrix."""
        if self._P_pi is None:
            P_pi = self._P_pi_build()
            if isinstance(P_pi, np.ndarray):
                P_pi.flags.writeable = False
            self._P_pi, self._P_pi_build = P_pi, None
        return self._P_pi

    def _mu(self, mu):
        mdp = self.mdp
        if mu is None:
            mu = mdp.rho
        mu_arr = np.asarray(mu, dtype=object if self.mode != FLOAT else float)
        if mu_arr.shape != (mdp.n_states,):
            raise InvalidParameterError(f"mu must have shape ({mdp.n_states},); got {mu_arr.shape}")
        if self.mode == FLOAT:
            if not np.all(np.isfinite(mu_arr)) or (mu_arr < 0).any() or abs(mu_arr.sum() - 1) > 1e-9:
                raise InvalidParameterError("mu must be a probability distribution (finite, >= 0, summing to 1)")
            return mu_arr
        if self.mode == BALL and not policy_is_exact(mu_arr):
            # a float start distribution (e.g. a float MDP's rho): its exact binary values,
            # which sum to one only up to rounding, as float mode accepts them
            try:
                mu_f = np.array([float(x) for x in mu_arr], dtype=float)
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError(f"mu cannot be read as numbers: {exc}") from None
            if not np.all(np.isfinite(mu_f)) or (mu_f < 0).any() or abs(mu_f.sum() - 1) > 1e-9:
                raise InvalidParameterError("mu must be a probability distribution (finite, >= 0, summing to 1)")
            out = np.empty(mu_f.size, dtype=object)
            out[:] = [Fraction(x) for x in mu_f.tolist()]
            return out
        mu_q = exact_array(mu_arr, name="mu", allow_float=self.mode == BALL or not mdp.is_exact)
        if any(x < 0 for x in mu_q) or sum(mu_q, Fraction(0)) != 1:
            raise InvalidParameterError(f"mu must be a probability distribution; got sum {sum(mu_q, Fraction(0))}")
        return mu_q

    def visitation(self, mu=None) -> np.ndarray:
        r"""Discounted state visitation :math:`d_\mu^\pi = (1-\gamma)\mu^\top(I-\gamma P^\pi)^{-1}`.

        Parameters
        ----------
        mu : array_like, shape (S,), optional
            Start distribution (default: the MDP's ``rho``).

        Returns
        -------
        ndarray, shape (S,)
            Sums to one; :math:`d \ge (1-\gamma)\mu` (THEORY A2).
        """
        if mu is None:  # the MDP's own rho, validated when the MDP was built
            key = None
            d = self._visits.get(key)
            if d is not None:
                return d
            mu_v = self.mdp.rho if self.mode == FLOAT else self._mu(None)
        else:
            mu_v = self._mu(mu)
            key = tuple(mu_v.tolist()) if self.mode != FLOAT else mu_v.tobytes()
            d = self._visits.get(key)
            if d is not None:
                return d
        if self.mode == FLOAT:
            y = self._factor.solve_T(mu_v)
            d = (1.0 - self._gamma) * y
            g, nA = self._gamma, self.mdp.n_actions

            def bound_d(y=y, mu_v=mu_v, d=d):
                _, err_y = _certify(self.P_pi, g, y, mu_v, transpose=True, A=nA,
                                    rho_bound=None if self.mdp.is_sparse else _row_sum_bound(self.mdp))
                return (1.0 - g) * err_y * (1.0 + 2 * _EPS) + 2 * _EPS * float(np.abs(d).sum())

            self._last_visit_key = key
            if self.solver == "lapack-lu" and _a_priori_fine(self.mdp.n_states, nA, g, 1.0, 0.0):
                self._visit_bounds[key] = bound_d  # certified on demand: rounding cannot reach the threshold
                bound = 0.0
            else:
                bound = self._visit_bounds[key] = bound_d()
            if not bound <= WARN_RELATIVE_ERROR:
                warnings.warn(
                    f"the visitation's certified l1 error bound is {bound:.3g} > {WARN_RELATIVE_ERROR:g} "
                    "(ill-conditioned I - gamma P_pi or an inaccurate iterative solve); use mode='exact' "
                    "or mode='ball' for certified digits", NumericalWarning, stacklevel=2)
        elif self.mode == EXACT:
            from flint import fmpq

            mq = _to_fmpq_array(mu_v, True)
            one_minus_g = fmpq(1) - fmpq(self._gamma.numerator, self._gamma.denominator)
            y = self._factor.solve_T(mq)
            d = _fractions_canonical([one_minus_g * x for x in y], y.shape)
        else:
            from flint import ctx

            mq = _to_fmpq_array(mu_v, True)
            old = ctx.prec
            ctx.prec = self._factor.prec
            try:
                d = (1 - self._gamma) * self._factor.solve_T(mq)
            finally:
                ctx.prec = old
        if isinstance(d, np.ndarray):
            d.flags.writeable = False
        self._visits[key] = d
        return d

    def visitation_bound(self, mu=None) -> float | None:
        r"""Certified :math:`\|d - d_\mu^\pi\|_1` of :meth:`visitation` ``(mu)`` (float mode).

        .. math::

            \|\hat d - d_\mu^\pi\|_1 \le \frac{(1-\gamma)\,\|\mu - (I - \gamma P^\pi)^\top \hat y\|_1}
            {1 - \gamma\rho} + 2\varepsilon\|\hat d\|_1,
            \qquad \hat d = (1-\gamma)\hat y,

        since :math:`\|(I - \gamma P^\pi)^{-\top}\|_1 = \|(I - \gamma P^\pi)^{-1}\|_\infty
        \le 1/(1-\gamma\rho)`; the residual carries its rounding allowance.
        Returns None in exact mode (no error) and ball mode (enclosures).
        """
        if self.mode != FLOAT:
            return None
        d = self.visitation(mu)
        for key, val in self._visits.items():
            if val is d:
                return self._visit_bound(key)
        return None  # pragma: no cover - the visitation was just cached

    def solve(self, B):
        r"""Solve :math:`(I - \gamma P^\pi) X = B` with the evaluation's factors.

        Parameters
        ----------
        B : array_like, shape (S,) or (S, k)
            Right-hand sides: floats in float mode; exact rationals in exact
            mode (returned as Fractions); in ball mode exact or float entries
            (returned as ``arb`` balls certified to contain the solution).

        Returns
        -------
        ndarray, shape of ``B``

        Notes
        -----
        Dense float: LAPACK ``getrs`` on the LU of :func:`evaluate` (all
        columns at once); sparse direct: SuperLU's factors; Krylov: one
        BiCGSTAB run per column to the evaluation's certified tolerance (check
        any result with :meth:`residual_bound`).  Exact: FLINT on the integer
        form of the system.  Ball: ``arb_mat.solve``.
        """
        return self._solve(B, transpose=False)

    def solve_T(self, B):
        r"""Solve :math:`(I - \gamma P^\pi)^\top Y = B` with the evaluation's factors.

        The adjoint system: :math:`d_\mu^\pi = (1-\gamma) Y` for ``B = mu``.
        Parameters, returns and fields as :meth:`solve`; Krylov runs stop on
        an l1 residual of ``1e-10`` per column.
        """
        return self._solve(B, transpose=True)

    def _solve(self, B, *, transpose):
        S = self.mdp.n_states
        if self.mode == FLOAT:
            try:
                Bv = np.asarray(B)
                if Bv.dtype.kind not in "biuf":  # complex, strings or objects: not silently cast
                    Bv = np.asarray(float_array(Bv, name="B"), dtype=float) if Bv.dtype == object else None
                    if Bv is None:
                        raise InvalidParameterError(f"B must be a real array; got dtype {np.asarray(B).dtype}")
                Bv = Bv.astype(float, copy=False)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, InvalidParameterError):
                    raise
                raise InvalidParameterError(f"B must be a real array: {exc}") from None
        else:
            Bv = np.asarray(B, dtype=object) if not isinstance(B, np.ndarray) else B
        if Bv.ndim not in (1, 2) or Bv.shape[0] != S:
            raise InvalidParameterError(f"B must have shape ({S},) or ({S}, k); got {Bv.shape}")
        if Bv.ndim == 2 and Bv.shape[1] == 0:
            return np.zeros((S, 0), dtype=float if self.mode == FLOAT else object)
        fn = self._factor.solve_T if transpose else self._factor.solve
        if self.mode == FLOAT:
            if not np.all(np.isfinite(Bv)):
                raise InvalidParameterError("B has non-finite entries")
            X = np.asarray(fn(Bv))
            return X.reshape(Bv.shape)
        if self.mode == EXACT:
            Bq = exact_array(Bv, name="B")
            X = fn(_to_fmpq_array(Bq, True))
            return _fractions_canonical(list(X.reshape(-1)), X.shape)
        exact_B = policy_is_exact(Bv)
        Bc = exact_array(Bv, name="B") if exact_B else np.asarray(float_array(Bv, name="B"), dtype=float)
        if not exact_B and not np.all(np.isfinite(Bc)):
            raise InvalidParameterError("B has non-finite entries")
        return fn(_to_fmpq_array(Bc, exact_B))

    def residual_bound(self, X, B, *, transpose=False):
        r"""Certified bound on the error of a float solution ``X`` of the evaluation's system.

        .. math::

            \|X - (I - \gamma P^\pi)^{-1}B\|_\infty \le
            \frac{\|B - (I - \gamma P^\pi)X\|_\infty}{1 - \gamma\rho}

        (l1 norms and the transposed system when ``transpose=True``), the
        residual evaluated in float64 with a bound on its rounding added;
        max over columns.  Float mode only.

        Returns
        -------
        float
        """
        if self.mode != FLOAT:
            raise InvalidParameterError("residual_bound is for float evaluations")
        return _certify(self.P_pi, self._gamma, X, B, transpose=transpose, A=self.mdp.n_actions,
                        rho_bound=None if self.mdp.is_sparse else _row_sum_bound(self.mdp))[1]

    def occupancy(self, mu=None) -> np.ndarray:
        r"""State-action occupancy :math:`\nu(s, a) = d_\mu^\pi(s)\,\pi(a|s)`, shape (S, A)."""
        return self.visitation(mu)[:, None] * self.pi

    def value(self, mu=None):
        r""":math:`V^\pi(\mu) = \sum_s \mu(s) V^\pi(s)` (default ``mu = rho``)."""
        mu_v = self._mu(mu)
        if self.mode == FLOAT:
            return float(mu_v @ self.V)
        return sum((m * v for m, v in zip(mu_v, self.V)), Fraction(0) if self.mode == EXACT else 0)

    def __repr__(self):
        return f"PolicyEvaluation(S={self.mdp.n_states}, A={self.mdp.n_actions}, mode={self.mode!r}, solver={self.solver!r})"


# ---------------------------------------------------------------- main
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


def evaluate(mdp, pi, *, mode: str | None = None, method: str = "auto", tol: float | None = None,
             maxiter: int | None = None, prec: int = DEFAULT_BALL_PREC) -> PolicyEvaluation:
    r"""Evaluate policy ``pi`` on ``mdp``: V, Q, A, P_pi, r_pi and, on demand, d_mu.

    .. math::

        V^\pi = (I - \gamma P^\pi)^{-1} r^\pi, \quad Q^\pi = r + \gamma P V^\pi,
        \quad A^\pi = Q^\pi - V^\pi

    (AJKS Ch. 1; THEORY A1).  One factorization of :math:`I - \gamma P^\pi`
    serves V and every visitation ``ev.visitation(mu)``.

    Parameters
    ----------
    mdp : MDP
    pi : array_like, shape (S, A)
        Rows on the simplex (validated; see :func:`mdptheory.policies.tabular.as_policy`).
    mode : {"float", "exact", "ball"}, optional
        Default: "exact" if the MDP and the policy are both exact, else "float".
        "exact" requires both to be exact.  "ball" gives certified enclosures.
    method : {"auto", "dense", "direct", "krylov"}, keyword-only
        Float solver.  "auto": LAPACK for dense MDPs; for sparse ones a sparse
        LU when its estimated cost is below that of the iterative solve
        (chains, forests, small problems, gridworlds at large gamma; see
        ``_prefers_direct``), else BiCGSTAB/GMRES.
    tol : float, keyword-only
        Krylov target for the certified bound on ``||V - V^pi||_inf`` (default
        ``1e-10 * max(1, max|r| / (1 - gamma))``).  A given ``tol`` also
        silences the NumericalWarning when the bound meets it.
    maxiter : int, keyword-only
        Krylov iteration cap.
    prec : int, keyword-only
        Working precision in bits for ``mode="ball"``.

    Returns
    -------
    PolicyEvaluation

    Raises
    ------
    InvalidPolicyError
        If ``pi`` does not match the MDP or is not a policy.
    InvalidParameterError
        For an unknown mode or method, or an exact mode with float inputs.

    Warns
    -----
    NumericalWarning
        Float mode, when the certified bound ``error_bound`` exceeds
        :data:`WARN_RELATIVE_ERROR` times ``max|V|`` (and ``tol``, if given).
    ConvergenceWarning
        When a Krylov solve ends with a certified bound above ``tol``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from mdptheory import MDP
    >>> m = MDP([[[F(1, 2), F(1, 2)]], [[0, 1]]], [[1], [0]], F(1, 2))
    >>> ev = evaluate(m, [[1], [1]])
    >>> ev.V.tolist(), ev.visitation().tolist()
    ([Fraction(4, 3), Fraction(0, 1)], [Fraction(1, 3), Fraction(2, 3)])
    """
    if mode is not None and mode not in MODES:
        raise InvalidParameterError(f"mode must be one of {MODES}; got {mode!r}")
    pi_exact = policy_is_exact(pi)
    if mode is None:
        mode = EXACT if (mdp.is_exact and pi_exact) else FLOAT
    if mode == EXACT and not (mdp.is_exact and pi_exact):
        which = "the MDP" if not mdp.is_exact else "the policy"
        raise InvalidParameterError(f"mode='exact' needs exact inputs, but {which} holds floats "
                                    "(convert with MDP.to_exact() / exact rationals)")
    if method not in ("auto", "dense", "direct", "krylov"):
        raise InvalidParameterError(f"method must be 'auto', 'dense', 'direct' or 'krylov'; got {method!r}")

    if mode == FLOAT:
        return _evaluate_float(mdp, pi, method, tol, maxiter)
    if mode == EXACT:
        return _evaluate_exact(mdp, as_policy(mdp, pi, exact=True))
    return _evaluate_ball(mdp, as_policy(mdp, pi), prec)


def _evaluate_float(mdp, pi, method, tol, maxiter):
    pi = as_policy(mdp, pi, exact=False)
    fm = mdp.to_float() if mdp.is_exact else mdp
    gamma = float(fm.gamma)
    S, A = fm.n_states, fm.n_actions
    P_pi, r_pi = policy_matrices(fm, pi)
    if fm.is_sparse:
        import scipy.sparse as sp

        M = (sp.identity(S, format="csr") - gamma * P_pi).tocsr()
        if tol is None:
            scale = float(np.max(np.abs(fm.r))) / (1.0 - gamma) if fm.r.size else 0.0
            tol_k = 1e-10 * max(1.0, scale)
        else:
            tol_k = tol
        if method == "dense":
            factor, solver = _DenseFactor(M.toarray()), "lapack-lu"
        elif method == "direct" or (method == "auto" and _prefers_direct(fm)):
            factor, solver = _SparseDirect(M), "splu"
        else:
            factor, solver = _SparseKrylov(M, gamma, tol_k, maxiter), "bicgstab"
        V = factor.solve(r_pi)
        Q = fm.r + gamma * (fm.P @ V).reshape(S, A)
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
    if not err <= WARN_RELATIVE_ERROR * vmax and not (tol is not None and err <= tol) and err > 0:
        warnings.warn(
            f"float evaluation: the certified error bound {err:.3g} on V exceeds {WARN_RELATIVE_ERROR:g} "
            f"x max|V| = {vmax:.3g} (gamma = {gamma}, ill-conditioned I - gamma P_pi or cancellation); "
            "use mode='exact' or mode='ball' for certified digits", NumericalWarning, stacklevel=3)
    return ev


def _evaluate_exact(mdp, pi):
    r"""Exact evaluation in integer form.

    With ``P[s, a, t] = N[s, a, t] / L[s]`` (cached), ``pi[s, a] = n[s, a] / e[s]``
    and ``gamma = g / h`` (all integers),

    .. math::

        K = \operatorname{diag}(c) - g \sum_a n[s, a] N[s, a, t], \qquad
        c_s = h\, e_s L_s, \qquad I - \gamma P^\pi = \operatorname{diag}(c)^{-1} K,

    so ``K`` is built with integer (int64 when it fits) array operations and
    handed to FLINT once.  ``Q = r + gamma P V`` is an integer matrix-vector
    product with ``V``'s common denominator cleared; it and the advantage are
    built on first access, since reducing ``2 S A`` rationals as long as
    ``V``'s entries (one gcd each) can cost more than the solve itself.
    ``P_pi`` as Fractions is likewise built on first access.
    """
    from flint import fmpq, fmpq_mat, fmpz_mat

    S, A = mdp.n_states, mdp.n_actions
    N, L, N_fmpz = _int_rows(mdp)
    g_num, g_den = mdp.gamma.numerator, mdp.gamma.denominator
    pnum = np.frompyfunc(lambda x: x.numerator, 1, 1)(pi)
    pden = np.frompyfunc(lambda x: x.denominator, 1, 1)(pi)
    e = np.lcm.reduce(pden, axis=1)
    n = pnum * (e[:, None] // pden)
    c = g_den * e * L  # object array of Python ints
    n_max = int(np.max(n))
    if N.dtype == np.int64 and n_max * int(np.max(N)) * A < 2**62:
        sum_pi = np.einsum("sat,sa->st", N, n.astype(np.int64))  # exact in int64
    else:
        sum_pi = np.einsum("sat,sa->st", N.astype(object), n)
    K = (-g_num) * sum_pi.astype(object)
    K.reshape(-1)[:: S + 1] += c
    factor = _ExactFactor(fmpz_mat(S, S, K.reshape(-1).tolist()), c)
    # r = m / R: r_pi[s] = (n m)[s] / (e[s] R) and c[s] r_pi[s] = h L[s] (n m)[s] / R
    m, R = _int_rewards(mdp)
    nm = (n * m).sum(axis=1)
    r_pi = np.frompyfunc(Fraction, 2, 1)(nm, e * R)
    Vq = factor.solve_scaled([fmpq(int(x), R) for x in (g_den * L) * nm])

    def Q_and_advantage():
        # Over integers: V = v / w, P = N / L, r = m / R, gamma = g / h, so
        # Q[s, a] = (m[s, a] L[s] w h + R g (N v)[s, a]) / (R L[s] w h) and
        # A[s, a] = Q[s, a] - V[s] shares that denominator: one gcd per entry
        # (the dominant cost: the entries are as long as V's).
        v, w = fmpq_mat(S, 1, list(Vq)).numer_denom()
        w = int(w)
        Nv = np.array([int(x) for x in (N_fmpz * v).entries()], dtype=object).reshape(S, A)
        v = np.array([int(x) for x in v.entries()], dtype=object)
        den = ((R * w * g_den) * L)[:, None]
        num_Q = m * (L * (w * g_den))[:, None] + (R * g_num) * Nv
        num_A = num_Q - (v * (R * g_den) * L)[:, None]
        canon = np.frompyfunc(fmpq, 2, 1)
        return (_fractions_canonical(canon(num_Q, den).reshape(-1), (S, A)),
                _fractions_canonical(canon(num_A, den).reshape(-1), (S, A)))

    def P_pi_fractions():
        den = e * L
        return np.frompyfunc(Fraction, 2, 1)(sum_pi.astype(object), den[:, None])

    return PolicyEvaluation(mdp, pi, EXACT, P_pi_fractions, r_pi,
                            _fractions_canonical(Vq, (S,)), Q_and_advantage, factor, "flint-fmpq", mdp.gamma)


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
