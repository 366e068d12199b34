r"""Batched policy evaluation: many policies on one MDP, many small MDPs at once.

Property tests and lemma sweeps evaluate thousands of tiny MDPs; evaluated
one by one, the per-call Python overhead (validation, dispatch, result
objects) costs more than the linear algebra.  This module stacks the problems
and evaluates them together:

* :func:`evaluate_policies` — ``K`` policies ``pis[k, s, a]`` on one MDP;
* :func:`evaluate_batch` — ``B`` MDPs of the same size, given as stacked arrays
  ``P[b, s, a, s']``, ``r[b, s, a]``, ``pi[b, s, a]``.

For every item :math:`k` the quantities are those of
:func:`mdptheory.evaluate` (AJKS Ch. 1, statement A1–A2):

.. math::

    P^{\pi_k}[s, t] = \sum_a \pi_k(a|s) P(t|s, a), \qquad
    r^{\pi_k}[s] = \sum_a \pi_k(a|s) r(s, a),

    (I - \gamma P^{\pi_k}) V_k = r^{\pi_k}, \qquad
    Q_k = r + \gamma P V_k, \qquad A_k = Q_k - V_k,

    (I - \gamma P^{\pi_k})^\top d_k = (1 - \gamma) \mu .

How the solves are organized (float64)
--------------------------------------
NumPy's ``numpy.linalg.solve`` factors and solves a stack of ``(K, S, S)``
systems in one call, but it does not return the factors, so the visitation
(the transposed system) cannot reuse them.  Two strategies are used:

* small ``S`` (``S <= BATCH_REFACTOR_MAX_STATES``, 24): one stacked
  ``numpy.linalg.solve`` for ``V`` and, on demand, a second stacked solve of
  the transposed systems for ``d``.  Re-factoring a tiny matrix costs less
  than a Python-level call per item.
* larger ``S``: one LAPACK ``getrf`` per item (a loop over ``K``, negligible
  beside the :math:`O(S^3)` factorization), whose factors serve both ``V``
  and every visitation, as in :func:`mdptheory.evaluate`.

Measured (2-core machine, V and d per item): S = 5: 0.6 µs stacked against
2.4 µs for the loop of kept factors; S = 16: 3.9 against 4.7 µs; S = 32: 16
against 9 µs; S = 128: 280 against 120 µs.  The crossover lies between 16
and 32.

Exact inputs (an exact MDP and exact policies) are evaluated item by item
with :func:`mdptheory.evaluate` in exact rational arithmetic.

Certificates (float64)
----------------------
Every float item carries the certificate of :func:`mdptheory.evaluate`,
computed for all items at once (one stacked product with :math:`P^{\pi_k}`,
no second solve):

.. math::

    \|\hat V_k - V_k\|_\infty \le \frac{\|r^{\pi_k} - (I - \gamma_k P^{\pi_k})\hat V_k\|_\infty
        + \text{rounding}}{1 - \gamma_k\rho_k},

``rounding`` being :math:`(S + A + 5)(\varepsilon\,m + \eta)` with :math:`m`
the sum of the absolute values of the residual's terms, :math:`\eta` the
smallest normal float (underflow: subnormal rewards and values; only where a term is
nonzero), plus
:math:`\eta\|\hat V_k\|_\infty`; :math:`\rho_k` bounds the row sums of
:math:`P_k`.  ``inf``/``nan`` anywhere means no certificate: the bound is
``inf``.  Bounds on ``Q`` and ``A`` follow from it (see
:attr:`BatchEvaluation.q_error_bound`).  When some item's bound exceeds
:data:`~mdptheory.evaluation.WARN_RELATIVE_ERROR` times its :math:`\|\hat V_k\|_\infty`,
one :class:`~mdptheory.exceptions.NumericalWarning` names the items.  As in
:func:`mdptheory.evaluate`, when a dense LU solve is certain a priori to stay
far below that threshold, the bounds are computed on first access only.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np

from .evaluation import evaluate
from .evaluation.certificates import WARN_RELATIVE_ERROR, _row_sum_bound
from .evaluation.dense import _lapack
from .exceptions import format_value, InvalidMDPError, InvalidParameterError, InvalidPolicyError, NumericalWarning
from .fields import EXACT, FLOAT, check_exact_distribution, exact_array, format_index, is_exact_scalar
from .mdp import DEFAULT_ROW_SUM_ATOL
from .policies.tabular import DEFAULT_POLICY_ATOL, policy_is_exact

__all__ = [
    "BATCH_REFACTOR_MAX_STATES",
    "BatchEvaluation",
    "evaluate_policies",
    "evaluate_batch",
]

#: Largest S for which the visitation re-solves the stacked transposed
#: systems instead of keeping one LU factorization per item (see module notes).
BATCH_REFACTOR_MAX_STATES = 24

#: Tolerance on ``|sum(mu) - 1|`` for float start distributions passed to
#: :meth:`BatchEvaluation.visitation` (as in :meth:`PolicyEvaluation.visitation`).
_MU_ATOL = 1e-9


_EPS = float(np.finfo(float).eps)
#: Smallest normal float64: the absolute rounding floor of the certificates (underflow).
_TINY = float(np.finfo(float).tiny)


# ---------------------------------------------------------------- certificates
def _a_priori_fine_stack(S, A, gamma, vmax, rmax):
    r"""Per item: is a dense solve certain a priori to stay below the warning threshold?

    The vectorized form of the test of :func:`mdptheory.evaluate`:
    :math:`100(S + A)\varepsilon(\kappa\|\hat V\|_\infty + \|r\|_\infty/(1-\gamma))
    \le 10^{-2}\,\mathrm{WARN}\,\|\hat V\|_\infty` with :math:`\kappa = (1+\gamma)/(1-\gamma)`,
    and :math:`\|\hat V\|_\infty` far above the underflow floor
    :math:`100 (S + A + 6)\eta / ((1-\gamma)\,10^{-2}\,\mathrm{WARN})`; non-finite values never are.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        one = 1.0 - gamma
        est = 100.0 * (S + A) * _EPS * ((1.0 + gamma) / one * vmax + rmax / one)
        floor = 100.0 * (S + A + 6) * _TINY / one
        ok = (est <= 0.01 * WARN_RELATIVE_ERROR * vmax) & (floor <= 0.01 * WARN_RELATIVE_ERROR * vmax)
        ok &= np.isfinite(vmax) & np.isfinite(est) & (one > 0)
    return ok


def _certify_stack(P_pi, r_pi, V, gamma, abs_r_pi, rho_bound, A):
    r"""Per-item certified bound on :math:`\|\hat V_k - V_k\|_\infty`, shape (K,).

    :math:`(\max_s |\hat\varrho| + (S + A + 5)(\varepsilon m + \eta) + \eta\|\hat V_k\|_\infty)
    (1 + 4\varepsilon) / (1 - \gamma_k\rho_k)`, with :math:`\hat\varrho = r^\pi - \hat V + \gamma P^\pi\hat V`
    evaluated in float64, :math:`m = |r^\pi| + |\hat V| + \gamma P^\pi|\hat V| + \sum_a\pi|r|`
    (rounding in the residual and in forming :math:`P^\pi, r^\pi`; ``abs_r_pi`` is the last
    term), :math:`\eta` the smallest normal float (each of the at most ``S + A + 5``
    operations behind an entry underflows by at most :math:`\eta`; the underflow of the
    entries of :math:`P^\pi` contributes at most :math:`SA\eta\varepsilon\|\hat V\|_\infty/2
    \le \eta\|\hat V\|_\infty`) and :math:`\rho_k` (``rho_bound``, shape () or (K,)) an upper
    bound on the row sums of :math:`P^{\pi_k}`.  Non-finite values give ``inf``.
    """
    K, S, _ = P_pi.shape
    with np.errstate(over="ignore", invalid="ignore"):
        both = np.stack([V, np.abs(V)], axis=2)
        PX = np.matmul(P_pi, both)
        g = gamma[:, None]
        res = r_pi - V + g * PX[:, :, 0]
        mag = np.abs(r_pi) + both[:, :, 1] + g * PX[:, :, 1] + abs_r_pi
        vmax = np.max(both[:, :, 1], axis=1)
        allow = (S + A + 5) * (_EPS * mag + _TINY * (mag > 0)) + _TINY * vmax[:, None]
        rn = np.max(np.abs(res) + allow, axis=1) * (1.0 + 4 * _EPS)
        rho = np.asarray(rho_bound, dtype=float) * (1.0 + (S + A + 2) * _EPS)
        denom = 1.0 - gamma * rho
        err = np.full(K, math.inf)
        ok = (denom > 0) & np.isfinite(rn)
        err[ok] = rn[ok] / denom[ok] if np.ndim(denom) else rn[ok] / denom
        err[~np.isfinite(err)] = math.inf
    return err


def _show(x):
    x = float(x)
    return f"{x:.3g}" if math.isfinite(x) else "non-finite"


def _warn_bounds(err, V, what, stacklevel):
    """One NumericalWarning when an item's bound is not below WARN_RELATIVE_ERROR * max|V_k|."""
    vmax = np.max(np.abs(V), axis=1) if V.size else np.zeros(len(err))
    bad = ~(err <= WARN_RELATIVE_ERROR * vmax) | ~np.isfinite(vmax)
    if not bad.any():
        return
    ratio = np.where(bad, err / np.where(vmax > 0, vmax, _TINY), 0.0)
    with np.errstate(invalid="ignore"):
        worst = int(np.argmax(np.where(np.isnan(ratio), np.inf, ratio)))
    nonfinite = int(np.count_nonzero(~np.all(np.isfinite(V), axis=1)))
    extra = f"; {nonfinite} with non-finite V (float64 overflow)" if nonfinite else ""
    warnings.warn(
        f"{what}: the certified error bound on V exceeds {WARN_RELATIVE_ERROR:g} x max|V| for "
        f"{int(bad.sum())} of {len(err)} items (worst: item {worst}, bound {float(err[worst]):.3g} on "
        f"max|V| = {_show(vmax[worst])}{extra}); ill-conditioned I - gamma P_pi (gamma near 1), "
        "cancellation or over/underflow: evaluate those items with mdptheory.evaluate(..., mode='exact') "
        "or mode='ball'", NumericalWarning, stacklevel=stacklevel)


# ---------------------------------------------------------------- validation
def _where(name, idx, batched=True):
    """``name[b][s, a]`` for a batch index followed by the entry's index."""
    idx = tuple(int(i) for i in idx)
    if not batched:
        return f"{name}[{format_index(idx)}]"
    if len(idx) == 1:
        return f"{name}[{idx[0]}]"
    return f"{name}[{idx[0]}][{format_index(idx[1:])}]"


def _as_float_stack(x, name, error, *, allow_exact=False):
    """``x`` as a float64 array; exact rationals are rejected unless ``allow_exact``."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists
        raise error(f"{name} cannot be read as an array: {exc}") from None
    if arr.dtype.kind in "fiu":
        return np.asarray(arr, dtype=np.float64)
    if arr.dtype.kind == "b":
        raise error(f"{name} has boolean dtype; expected numbers")
    if arr.dtype == object:
        if not allow_exact and any(is_exact_scalar(v) and not isinstance(v, (int, np.integer)) for v in arr.flat):
            raise error(f"{name} holds exact rationals; this function computes in float64 only "
                        "(build MDP(...) objects and use mdptheory.evaluate for exact arithmetic)")
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise error(f"{name} holds entries that are not real numbers in float range: {exc}") from None
    raise error(f"{name} has unsupported dtype {arr.dtype}")


def _check_finite(arr, name, error):
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.argwhere(bad)[0]
        raise error(f"{_where(name, idx)} = {float(arr[tuple(idx)])!r} is not finite")


def _check_nonnegative(arr, name, error):
    if arr.min(initial=0.0) < 0:
        idx = np.argwhere(arr < 0)[0]
        raise error(f"{_where(name, idx)} = {float(arr[tuple(idx)])!r} is negative")


def _check_rows(arr, name, error, atol):
    """Rows along the last axis sum to one within ``atol`` (arr finite, >= 0)."""
    n = arr.shape[-1]
    sums = (arr.reshape(-1, n) @ np.ones(n)).reshape(arr.shape[:-1])
    bad = ~(np.abs(sums - 1.0) <= atol)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"{name}[{idx[0]}][{', '.join(str(i) for i in idx[1:] + (':',))}]"
        raise error(f"{where} sums to {float(sums[idx])!r}, must sum to 1 (tolerance {atol:g})")


def _validate_policies(pis, name, S, A, lead):
    """Vectorized checks of stacked float policies of shape ``lead + (S, A)``."""
    if pis.shape != lead + (S, A):
        raise InvalidPolicyError(f"{name} must have shape {lead + (S, A)}; got {pis.shape}")
    _check_finite(pis, name, InvalidPolicyError)
    _check_nonnegative(pis, name, InvalidPolicyError)
    _check_rows(pis, name, InvalidPolicyError, DEFAULT_POLICY_ATOL)


def _validate_mu(mu, K, S):
    """Start distribution(s) for the visitation: shape (S,) or (K, S), float."""
    mu = _as_float_stack(mu, "mu", InvalidParameterError)
    if mu.shape not in ((S,), (K, S)):
        raise InvalidParameterError(f"mu must have shape ({S},) or ({K}, {S}); got {mu.shape}")
    mu2 = np.broadcast_to(mu, (K, S))
    batched = mu.ndim == 2
    bad = ~np.isfinite(mu2) | (mu2 < 0)
    if bad.any():
        idx = np.argwhere(bad)[0]
        idx = tuple(idx) if batched else tuple(idx[1:])
        raise InvalidParameterError(f"{_where('mu', idx, batched)} = {float(mu[idx])!r} must be finite and >= 0")
    sums = mu2.sum(axis=1)
    bad = ~(np.abs(sums - 1.0) <= _MU_ATOL)
    if bad.any():
        k = int(np.argmax(bad))
        where = f"mu[{k}]" if batched else "mu"
        raise InvalidParameterError(f"{where} sums to {float(sums[k])!r}, must sum to 1")
    return mu2


def _validate_mu_exact(mu, K, S):
    """Exact start distribution(s), shape (S,) or (K, S): nonnegative rationals summing to one exactly."""
    arr = exact_array(mu, name="mu")
    if arr.shape not in ((S,), (K, S)):
        raise InvalidParameterError(f"mu must have shape ({S},) or ({K}, {S}); got {arr.shape}")
    rows = arr.reshape(-1, S)
    for k, row in enumerate(rows):
        check_exact_distribution(row, f"mu[{k}]" if arr.ndim == 2 else "mu")
    return np.broadcast_to(arr, (K, S))


# ---------------------------------------------------------------- result
class BatchEvaluation:
    r"""Evaluations of ``K`` (policy, MDP) pairs, stacked along the first axis.

    Returned by :func:`evaluate_policies` and :func:`evaluate_batch`; item
    ``k`` holds what :func:`mdptheory.evaluate` would return for pair ``k``.

    Attributes
    ----------
    V : ndarray, shape (K, S)
        :math:`V^{\pi_k}`.
    Q : ndarray, shape (K, S, A)
        :math:`Q^{\pi_k} = r + \gamma P V^{\pi_k}`.
    advantage : ndarray, shape (K, S, A)
        :math:`A^{\pi_k} = Q^{\pi_k} - V^{\pi_k}` (also available as ``A``).
    P_pi : ndarray, shape (K, S, S)
    r_pi : ndarray, shape (K, S)
    pi : ndarray, shape (K, S, A)
    gamma : ndarray, shape (K,)
    rho : ndarray, shape (K, S)
        Default start distributions of :meth:`visitation`.
    mode : {"float", "exact"}
    solver : str
        ``"numpy-stacked"`` (stacked ``numpy.linalg.solve``), ``"lapack-lu"``
        (one kept LU per item) or ``"per-item"`` (one :func:`mdptheory.evaluate`
        call per item: exact or sparse inputs).

    error_bound : ndarray, shape (K,), or None
        Float mode: certified :math:`\|\hat V_k - V^{\pi_k}\|_\infty` per item (see the
        module notes; ``inf`` when no certificate holds).  None in exact mode.
    q_error_bound, advantage_error_bound : ndarray, shape (K,), or None
        Float mode: certified :math:`\max_{s,a}|\hat Q_k - Q^{\pi_k}|` and the same for
        :math:`A`, derived from ``error_bound`` (see :attr:`q_error_bound`).

    Arrays are read-only.  Exact results are object arrays of
    :class:`fractions.Fraction`.
    """

    def __init__(self, *, pi, gamma, rho, P_pi, r_pi, V, Q, mode, solver, factors=None, items=None,
                 error_bound=None, q_terms=None):
        self.pi = pi
        self.gamma = gamma
        self.rho = rho
        self.P_pi = P_pi
        self.r_pi = r_pi
        self.V = V
        self.Q = Q
        self.advantage = Q - V[:, :, None]
        self.mode = mode
        self.solver = solver
        self._factors = factors  # ("stack", M) or ("lu", [(lu, piv), ...])
        self._items = items  # PolicyEvaluation per item (per-item solver)
        self._visits = {}
        self._error_bound = error_bound  # (K,) array, or a function computing it on first access
        self._q_terms = q_terms  # function -> (P|V|, |r|, rho): the terms of the Q bound
        self._qa_bounds = None
        for arr in (self.pi, self.gamma, self.rho, self.P_pi, self.r_pi, self.V, self.Q, self.advantage):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False

    @property
    def A(self) -> np.ndarray:
        """Alias of :attr:`advantage`."""
        return self.advantage

    @property
    def error_bound(self):
        """Float mode: certified ``||V_k - V^pi_k||_inf`` per item, shape (K,) (None in exact mode)."""
        if callable(self._error_bound):
            b = self._error_bound()
            b.flags.writeable = False
            self._error_bound = b
        return self._error_bound

    def _qa(self):
        if self._qa_bounds is None:
            err = self.error_bound
            if err is None or self._q_terms is None:
                self._qa_bounds = (None, None)
            else:
                K, S, A = self.Q.shape
                PV, abs_r, rho = self._q_terms()
                g = self.gamma[:, None, None]
                vmax = np.max(np.abs(self.V), axis=1)
                with np.errstate(over="ignore", invalid="ignore"):
                    q = (self.gamma * rho * (1.0 + (S + 2) * _EPS) * err
                         + np.max((S + 3) * (_EPS * (abs_r + g * PV) + _TINY * ((abs_r + g * PV) > 0)), axis=(1, 2))
                         + _TINY * vmax)
                    q *= 1.0 + 4 * _EPS
                    amax = np.max(np.abs(self.advantage), axis=(1, 2))
                    a = (q + err + _EPS * amax + _TINY * ((amax + q) > 0)) * (1.0 + 4 * _EPS)
                for x in (q, a):
                    x[~np.isfinite(x)] = math.inf
                    x.flags.writeable = False
                self._qa_bounds = (q, a)
        return self._qa_bounds

    @property
    def q_error_bound(self):
        r"""Float mode: certified :math:`\max_{s,a}|\hat Q_k(s,a) - Q^{\pi_k}(s,a)|`, shape (K,).

        With :math:`e_k` = ``error_bound`` and :math:`\hat Q = fl(r + \gamma\,fl(P\hat V))`,

        .. math::

            |\hat Q - Q| \le \gamma\rho\,e_k + (S + 3)\big(\varepsilon(|r| + \gamma P|\hat V|) + \eta\big)
                + \eta\|\hat V_k\|_\infty

        (:math:`\rho` bounds the row sums of ``P``, :math:`\eta` the smallest normal float).
        None in exact mode.
        """
        return self._qa()[0]

    @property
    def advantage_error_bound(self):
        r"""Float mode: certified :math:`\max_{s,a}|\hat A_k - A^{\pi_k}|`, shape (K,).

        :math:`\hat A = fl(\hat Q - \hat V)`, so the bound is
        ``q_error_bound`` :math:`+ e_k + \varepsilon\max|\hat A| + \eta`.  When the rewards
        carry a large common offset this is large beside :math:`|A|` (cancellation in
        :math:`Q - V`); :func:`mdptheory.gradients.value_gradient` and the policy-gradient
        forms centre the rewards instead.  None in exact mode.
        """
        return self._qa()[1]

    def __len__(self) -> int:
        return self.V.shape[0]

    def visitation(self, mu=None) -> np.ndarray:
        r"""Discounted state visitations :math:`d_{\mu}^{\pi_k} = (1-\gamma)\mu^\top(I-\gamma P^{\pi_k})^{-1}`.

        Parameters
        ----------
        mu : array_like, shape (S,) or (K, S), optional
            One start distribution for every item, or one per item (default:
            each MDP's ``rho``).

        Returns
        -------
        ndarray, shape (K, S)
            Each row sums to one and :math:`d_k \ge (1-\gamma)\mu_k` (statement A2).

        Raises
        ------
        InvalidParameterError
            If ``mu`` is not a distribution (or a stack of them).
        """
        K, S = self.V.shape
        if self._items is not None:
            if mu is None:
                rows = [ev.visitation() for ev in self._items]
            else:
                mu_arr = np.asarray(mu, dtype=object)
                if mu_arr.shape not in ((S,), (K, S)):
                    raise InvalidParameterError(f"mu must have shape ({S},) or ({K}, {S}); got {mu_arr.shape}")
                rows = [ev.visitation(mu_arr if mu_arr.ndim == 1 else mu_arr[k])
                        for k, ev in enumerate(self._items)]
            d = np.empty((K, S), dtype=object if self.mode == EXACT else np.float64)
            for k, row in enumerate(rows):
                d[k] = row
            d.flags.writeable = False
            return d
        if mu is None:
            key, mu2 = None, self.rho
        else:
            mu2 = _validate_mu(mu, K, S)
            key = mu2.tobytes()
        d = self._visits.get(key)
        if d is not None:
            return d
        kind, data = self._factors
        if kind == "stack":
            y = np.linalg.solve(np.swapaxes(data, 1, 2), mu2[:, :, None])[:, :, 0]
        else:
            _, getrs = _lapack()
            y = np.empty((K, S))
            for k, (lu, piv) in enumerate(data):
                y[k], _ = getrs(lu, piv, mu2[k], trans=0)
        d = (1.0 - self.gamma)[:, None] * y
        d.flags.writeable = False
        self._visits[key] = d
        return d

    def occupancy(self, mu=None) -> np.ndarray:
        r"""State-action occupancies :math:`\nu_k(s, a) = d_{\mu}^{\pi_k}(s)\,\pi_k(a|s)`, shape (K, S, A)."""
        return self.visitation(mu)[:, :, None] * self.pi

    def value(self, mu=None) -> np.ndarray:
        r""":math:`V^{\pi_k}(\mu) = \sum_s \mu(s) V^{\pi_k}(s)`, shape (K,) (default ``mu = rho``)."""
        K, S = self.V.shape
        if self.mode == EXACT:
            mu_arr = self.rho if mu is None else _validate_mu_exact(mu, K, S)
            return np.array([sum(m * v for m, v in zip(mu_arr[k], self.V[k])) for k in range(K)], dtype=object)
        mu2 = self.rho if mu is None else _validate_mu(mu, K, S)
        return np.einsum("ks,ks->k", mu2, self.V)

    def __repr__(self):
        K, S, A = self.Q.shape
        return f"BatchEvaluation(K={K}, S={S}, A={A}, mode={self.mode!r}, solver={self.solver!r})"


# ---------------------------------------------------------------- solves
def _solve_float(P, r, gamma, pis, rho, *, shared_mdp, rho_bound=None, what="evaluate_batch"):
    """Float evaluation of stacked problems.

    ``P`` is (S, A, S) when ``shared_mdp`` (one MDP, K policies) and
    (K, S, A, S) otherwise; ``r`` likewise (S, A) or (K, S, A).
    """
    K, S, A = pis.shape
    if shared_mdp:
        # P_pi[k, s, t] = sum_a pis[k, s, a] P[s, a, t]: a (1, A) @ (A, S) product per (k, s)
        P_pi = np.matmul(pis[:, :, None, :], P[None])[:, :, 0, :]
        r_pi = np.einsum("ksa,sa->ks", pis, r)
    else:
        P_pi = np.einsum("ksat,ksa->kst", P, pis)
        r_pi = np.einsum("ksa,ksa->ks", pis, r)
    M = -gamma[:, None, None] * P_pi
    M.reshape(K, S * S)[:, :: S + 1] += 1.0
    if S <= BATCH_REFACTOR_MAX_STATES:
        try:
            V = np.linalg.solve(M, r_pi[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # an exactly singular item (gamma rho = 1 in rounding): item by item
            V = np.stack([_solve_or_nan(M[k], r_pi[k]) for k in range(K)])
        factors, solver = ("stack", M), "numpy-stacked"
    else:
        getrf, getrs = _lapack()
        V = np.empty((K, S))
        lus = []
        for k in range(K):
            # M[k] is C-ordered, so M[k].T is Fortran-ordered: factor M^T in place
            lu, piv, _ = getrf(M[k].T, overwrite_a=1)
            V[k], _ = getrs(lu, piv, r_pi[k], trans=1)
            lus.append((lu, piv))
        factors, solver = ("lu", lus), "lapack-lu"
    with np.errstate(over="ignore", invalid="ignore"):
        if shared_mdp:
            PV = (P.reshape(S * A, S) @ V.T).T.reshape(K, S, A)
            Q = r[None] + gamma[:, None, None] * PV
        else:
            PV = np.matmul(P.reshape(K, S * A, S), V[:, :, None]).reshape(K, S, A)
            Q = r + gamma[:, None, None] * PV
    abs_r = np.abs(r)
    if rho_bound is None:  # largest row sum of each P_k, rounded up
        rho_bound = P.sum(axis=3).max(axis=(1, 2)) * (1.0 + (S + 2) * _EPS)

    def bound():
        abs_r_pi = np.einsum("ksa,sa->ks", pis, abs_r) if shared_mdp else np.einsum("ksa,ksa->ks", pis, abs_r)
        return _certify_stack(P_pi, r_pi, V, gamma, abs_r_pi, rho_bound, A)

    def q_terms():
        aV = np.abs(V)
        if shared_mdp:
            PaV = (P.reshape(S * A, S) @ aV.T).T.reshape(K, S, A)
        else:
            PaV = np.matmul(P.reshape(K, S * A, S), aV[:, :, None]).reshape(K, S, A)
        return PaV, abs_r if not shared_mdp else abs_r[None], rho_bound

    vmax = np.max(np.abs(V), axis=1)
    rmax = np.max(abs_r.reshape(K, -1), axis=1) if not shared_mdp else float(np.max(abs_r))
    if np.all(_a_priori_fine_stack(S, A, gamma, vmax, rmax)):
        err = bound  # certified on first access: rounding cannot reach the threshold
    else:
        err = bound()
        _warn_bounds(err, V, what, stacklevel=4)
    return BatchEvaluation(pi=pis, gamma=gamma, rho=rho, P_pi=P_pi, r_pi=r_pi, V=V, Q=Q, mode=FLOAT,
                           solver=solver, factors=factors, error_bound=err, q_terms=q_terms)


def _solve_or_nan(M, b):
    """``M^{-1} b``, or NaN (no certificate: reported by the bounds) for a singular ``M``."""
    try:
        return np.linalg.solve(M, b)
    except np.linalg.LinAlgError:
        return np.full(b.shape, np.nan)


def _from_items(items, pis, gamma, rho, mode):
    """Stack per-item :class:`PolicyEvaluation` results."""
    K = len(items)
    S, A = items[0].Q.shape
    dtype = object if mode == EXACT else np.float64

    def stack(name, shape):
        out = np.empty((K,) + shape, dtype=dtype)
        for k, ev in enumerate(items):
            x = getattr(ev, name)
            out[k] = x.toarray() if hasattr(x, "toarray") else x
        return out

    err = None
    if mode != EXACT:
        def err():
            return np.array([ev.error_bound for ev in items], dtype=float)
    return BatchEvaluation(pi=pis, gamma=gamma, rho=rho, P_pi=stack("P_pi", (S, S)), r_pi=stack("r_pi", (S,)),
                           V=stack("V", (S,)), Q=stack("Q", (S, A)), mode=mode, solver="per-item", items=items,
                           error_bound=err, q_terms=None if mode == EXACT else (lambda: _item_q_terms(items)))


def _item_q_terms(items):
    """The terms of the Q bound for per-item (sparse) float evaluations."""
    fm = items[0].mdp
    S, A = fm.n_states, fm.n_actions
    PaV = np.stack([np.asarray(fm.P_matrix() @ np.abs(ev.V)).reshape(S, A) for ev in items])
    return PaV, np.abs(fm.r)[None], _row_sum_bound(fm)


# ---------------------------------------------------------------- public
def evaluate_policies(mdp, pis, *, mode: str | None = None) -> BatchEvaluation:
    r"""Evaluate ``K`` policies on one MDP with one stacked solve.

    .. math::

        (I - \gamma P^{\pi_k}) V_k = r^{\pi_k}, \quad
        Q_k = r + \gamma P V_k, \quad A_k = Q_k - V_k \qquad (k = 1, \dots, K)

    (AJKS Ch. 1; statement A1).  Item ``k`` equals
    ``mdptheory.evaluate(mdp, pis[k])``.

    Parameters
    ----------
    mdp : MDP
    pis : array_like, shape (K, S, A)
        Policies ``pis[k, s, a]`` with rows on the simplex (checked with
        vectorized tests; float rows must sum to one within 1e-10).
    mode : {"float", "exact"}, optional, keyword-only
        Default: "exact" if the MDP and the policies are exact, else "float".
        Exact evaluation runs :func:`mdptheory.evaluate` per item in exact
        rationals.

    Returns
    -------
    BatchEvaluation

    Raises
    ------
    InvalidPolicyError
        Wrong shape, NaN/inf, negative entries or rows not summing to one; the
        message names the policy index and the entry, e.g.
        ``"pis[4][2, :] sums to 0.9, must sum to 1 (tolerance 1e-10)"``.
    InvalidParameterError
        For an unknown mode, or ``mode="exact"`` with float inputs.

    Warns
    -----
    NumericalWarning
        Float mode, when some item's certified bound ``error_bound[k]`` exceeds
        :data:`~mdptheory.evaluation.WARN_RELATIVE_ERROR` times ``max|V_k|``
        (or ``V_k`` is not finite).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import MDP
    >>> m = MDP([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]], [[1.0, 0.0], [0.0, 2.0]], 0.5)
    >>> pis = np.array([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> be = evaluate_policies(m, pis)
    >>> be.V.round(6).tolist()
    [[1.333333, 0.0], [1.333333, 2.666667]]
    >>> be.visitation().sum(axis=1).round(12).tolist()
    [1.0, 1.0]
    """
    if mode not in (None, FLOAT, EXACT):
        raise InvalidParameterError(f"mode must be 'float' or 'exact'; got {format_value(mode)}")
    S, A = mdp.n_states, mdp.n_actions
    pis_exact = policy_is_exact(pis)
    if mode is None:
        mode = EXACT if (mdp.is_exact and pis_exact) else FLOAT
    if mode == EXACT:
        if not (mdp.is_exact and pis_exact):
            which = "the MDP" if not mdp.is_exact else "the policies"
            raise InvalidParameterError(f"mode='exact' needs exact inputs, but {which} hold floats")
        arr = np.asarray(pis, dtype=object)
        if arr.ndim != 3 or arr.shape[1:] != (S, A):
            raise InvalidPolicyError(f"pis must have shape (K, {S}, {A}); got {arr.shape}")
        if arr.shape[0] == 0:
            raise InvalidPolicyError("pis holds no policies (K = 0)")
        items = []
        for k in range(arr.shape[0]):
            try:
                items.append(evaluate(mdp, arr[k], mode=EXACT))
            except InvalidPolicyError as exc:
                raise InvalidPolicyError(re.sub(r"\bpi\[", f"pis[{k}][", str(exc))) from None
        pis_q = np.stack([ev.pi for ev in items])
        K = len(items)
        gamma = np.full(K, mdp.gamma, dtype=object)
        rho = np.empty((K, S), dtype=object)
        rho[:] = mdp.rho
        return _from_items(items, pis_q, gamma, rho, EXACT)

    arr = _as_float_stack(pis, "pis", InvalidPolicyError, allow_exact=True)
    if arr.ndim != 3:
        raise InvalidPolicyError(f"pis must have shape (K, {S}, {A}); got {arr.shape}")
    if arr.shape[0] == 0:
        raise InvalidPolicyError("pis holds no policies (K = 0)")
    _validate_policies(arr, "pis", S, A, (arr.shape[0],))
    K = arr.shape[0]
    arr = np.array(arr, dtype=np.float64, copy=True)
    fm = mdp.to_float() if mdp.is_exact else mdp
    gamma = np.full(K, float(fm.gamma))
    rho = np.broadcast_to(fm.rho, (K, S))
    if fm.is_sparse:
        items = [evaluate(fm, arr[k]) for k in range(K)]
        return _from_items(items, arr, gamma, rho, FLOAT)
    return _solve_float(fm.P, fm.r, gamma, arr, rho, shared_mdp=True, rho_bound=_row_sum_bound(fm),
                        what="evaluate_policies")


def evaluate_batch(P, r, gamma, pi, rho=None) -> BatchEvaluation:
    r"""Evaluate ``B`` small MDPs of the same size at once (stacked arrays, one solve).

    .. math::

        (I - \gamma_b P_b^{\pi_b}) V_b = r_b^{\pi_b}, \quad
        Q_b = r_b + \gamma_b P_b V_b, \quad
        (I - \gamma_b P_b^{\pi_b})^\top d_b = (1-\gamma_b)\rho_b

    (AJKS Ch. 1; statement A1–A2).  Item ``b`` equals
    ``mdptheory.evaluate(MDP(P[b], r[b], gamma[b], rho[b]), pi[b])`` in float64.

    Parameters
    ----------
    P : array_like, shape (B, S, A, S)
        ``P[b, s, a, t]``: transitions of MDP ``b``; each ``P[b, s, a, :]`` must
        sum to one within 1e-10.
    r : array_like, shape (B, S, A)
    gamma : float or array_like, shape (B,)
        One discount factor for all MDPs or one each, in ``[0, 1)``.
    pi : array_like, shape (B, S, A)
        One policy per MDP.
    rho : array_like, shape (S,) or (B, S), optional
        Start distributions (uniform by default), the default ``mu`` of
        :meth:`BatchEvaluation.visitation`.

    Returns
    -------
    BatchEvaluation

    Raises
    ------
    InvalidMDPError
        Shapes, NaN/inf, negative probabilities, rows of ``P`` not summing to
        one, ``gamma`` outside ``[0, 1)`` or a bad ``rho``; the message names the
        batch index and the entry, e.g.
        ``"P[3][2, 1, :] sums to 0.9, must sum to 1 (tolerance 1e-10)"``.
    InvalidPolicyError
        The same for ``pi``, e.g. ``"pi[7][0, 2] = -0.1 is negative"``.

    Warns
    -----
    NumericalWarning
        When some item's certified bound ``error_bound[b]`` exceeds
        :data:`~mdptheory.evaluation.WARN_RELATIVE_ERROR` times ``max|V_b|``
        (or ``V_b`` is not finite), e.g. at :math:`\gamma = 1 - 2^{-40}`.

    Notes
    -----
    Float64 only: exact entries (Fractions, object arrays) are rejected; for
    exact evaluation build :class:`~mdptheory.MDP` objects and use
    :func:`mdptheory.evaluate`, or :func:`evaluate_policies` on one exact MDP.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[[[0.5, 0.5]], [[0.0, 1.0]]]] * 3)   # B = 3, S = 2, A = 1
    >>> r = np.array([[[1.0], [0.0]]] * 3)
    >>> be = evaluate_batch(P, r, [0.0, 0.5, 0.9], np.ones((3, 2, 1)))
    >>> be.V[:, 0].round(6).tolist()
    [1.0, 1.333333, 1.818182]
    """
    P = _as_float_stack(P, "P", InvalidMDPError)
    if P.ndim != 4 or P.shape[1] != P.shape[3]:
        raise InvalidMDPError(f"P must have shape (B, S, A, S); got {P.shape}")
    B, S, A, _ = P.shape
    if B == 0 or S == 0 or A == 0:
        raise InvalidMDPError(f"P must have at least one MDP, state and action; got shape {P.shape}")
    r = _as_float_stack(r, "r", InvalidMDPError)
    if r.shape != (B, S, A):
        raise InvalidMDPError(f"r must have shape (B, S, A) = ({B}, {S}, {A}); got {r.shape}")
    g = _as_float_stack(gamma, "gamma", InvalidMDPError)
    if g.shape not in ((), (B,)):
        raise InvalidMDPError(f"gamma must be a scalar or have shape ({B},); got {g.shape}")
    g = np.array(np.broadcast_to(g, (B,)), dtype=np.float64)
    _check_finite(P, "P", InvalidMDPError)
    _check_nonnegative(P, "P", InvalidMDPError)
    _check_rows(P, "P", InvalidMDPError, DEFAULT_ROW_SUM_ATOL)
    _check_finite(r, "r", InvalidMDPError)
    bad = ~((g >= 0.0) & (g < 1.0))
    if bad.any():
        b = int(np.argmax(bad))
        raise InvalidMDPError(f"gamma[{b}] = {float(g[b])!r} must satisfy 0 <= gamma < 1")
    pi = _as_float_stack(pi, "pi", InvalidPolicyError)
    _validate_policies(pi, "pi", S, A, (B,))
    if rho is None:
        rho2 = np.full((B, S), 1.0 / S)
    else:
        rho_a = _as_float_stack(rho, "rho", InvalidMDPError)
        if rho_a.shape not in ((S,), (B, S)):
            raise InvalidMDPError(f"rho must have shape ({S},) or ({B}, {S}); got {rho_a.shape}")
        rho2 = np.array(np.broadcast_to(rho_a, (B, S)))
        bad = ~np.isfinite(rho2) | (rho2 < 0)
        if bad.any():
            b, s = (int(i) for i in np.argwhere(bad)[0])
            where = f"rho[{b}][{s}]" if rho_a.ndim == 2 else f"rho[{s}]"
            raise InvalidMDPError(f"{where} = {float(rho2[b, s])!r} must be finite and >= 0")
        sums = rho2.sum(axis=1)
        bad = ~(np.abs(sums - 1.0) <= DEFAULT_ROW_SUM_ATOL * max(1, S))
        if bad.any():
            b = int(np.argmax(bad))
            where = f"rho[{b}]" if rho_a.ndim == 2 else "rho"
            raise InvalidMDPError(f"{where} sums to {float(sums[b])!r}, must sum to 1")
    return _solve_float(P, r, g, np.array(pi, dtype=np.float64, copy=True), rho2, shared_mdp=False)

