r"""Optimal values and policies: exact policy iteration and certified value iteration.

The Bellman optimality operator of an MDP :math:`(P, r, \gamma)` is

.. math::

    (T V)(s) = \max_a \Big( r(s, a) + \gamma \sum_{s'} P(s'|s, a) V(s') \Big),

a :math:`\gamma`-contraction in :math:`\|\cdot\|_\infty` whose fixed point is
:math:`V^*`; every policy greedy with respect to :math:`Q^* = r + \gamma P V^*`
is optimal, and some deterministic policy is (Puterman 1994, Thm 6.2.10;
AJKS Ch. 1, Thm 1.7).  Two consequences are used throughout:

* for any :math:`V`, :math:`\|V - V^*\|_\infty \le \|TV - V\|_\infty / (1-\gamma)`
  (the Bellman residual bounds the error), and
* value iteration :math:`V_{k+1} = T V_k` satisfies
  :math:`\|V_{k+1} - V^*\|_\infty \le \frac{\gamma}{1-\gamma} \|V_{k+1} - V_k\|_\infty`.

:func:`solve` runs **policy iteration** (Howard; Puterman 1994, Thm 6.4.2:
it terminates with an optimal policy after finitely many improvements) or
**value iteration** (Puterman 1994, Thm 6.3.1).  For an exact MDP policy
iteration works in exact rationals throughout — every evaluation is an exact
solve by :func:`mdptheory.evaluate`, every comparison is exact — and returns
:math:`V^*`, :math:`Q^*` and a deterministic :math:`\pi^*` with Bellman
optimality residual exactly 0, which is checked (statement A4).

References: M. L. Puterman (1994), *Markov Decision Processes*, Wiley, §6.3–6.4;
A. Agarwal, N. Jiang, S. Kakade, W. Sun, *Reinforcement Learning: Theory and
Algorithms* (AJKS), Ch. 1.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np

from .evaluation import evaluate
from .evaluation.deterministic import _DeterministicEvaluator
from .evaluation.sparse import _prefers_direct
from .exceptions import ConvergenceWarning, InvalidParameterError, InvalidPolicyError, NumericalWarning, format_value
from .mdp import MDP, check_mdp
from .fields import EXACT, FLOAT, exact_array, float_array, fraction_from_fmpq, is_exact_scalar, to_fraction
from .policies.tabular import as_policy, deterministic_policy

__all__ = [
    "OptimalSolution",
    "solve",
    "bellman_optimality_residual",
    "q_from_v",
    "METHODS",
]

#: Methods accepted by :func:`solve`.
METHODS = ("policy_iteration", "value_iteration")

_EPS = float(np.finfo(float).eps)
#: Dense float MDPs with at least this many states are solved through a sparse
#: copy when at most _SPARSE_DENSITY of their transition entries are nonzero.
_SPARSE_MIN_STATES = 256
_SPARSE_DENSITY = 0.05
#: Bytes of ``P`` per block when counting its nonzeros (:func:`_sparse_copy_if_sparse`).
_COUNT_BLOCK_BYTES = 1 << 22


# ------------------------------------------------------------------ result
class OptimalSolution:
    r"""The result of :func:`solve`.

    Attributes
    ----------
    V : ndarray, shape (S,)
        The optimal value :math:`V^*` (policy iteration: :math:`V^{\pi}` of the
        returned policy; value iteration: the last iterate).  Fractions in exact
        mode.
    Q : ndarray, shape (S, A)
        :math:`Q = r + \gamma P V`.
    pi : ndarray, shape (S, A)
        A deterministic policy greedy in ``Q`` (one-hot rows, in the MDP's field).
    actions : ndarray of int, shape (S,)
        ``pi``'s action in each state.
    method : {"policy_iteration", "value_iteration"}
    mode : {"float", "exact"}
    n_iter : int
        Policy evaluations (policy iteration) or Bellman updates (value iteration).
    bellman_residual : Fraction or float
        :math:`\|\max_a Q(\cdot, a) - V\|_\infty = \|TV - V\|_\infty`.  Exact mode
        policy iteration checks that it is exactly ``Fraction(0)``.
    error_bound : Fraction or float
        Certified bound on :math:`\|V - V^*\|_\infty`: 0 for exact policy
        iteration; otherwise the smaller of :math:`\|TV - V\|_\infty/(1-\gamma)`
        and (value iteration) :math:`\gamma\|V_{k+1}-V_k\|_\infty/(1-\gamma)`,
        plus, in float mode, an allowance for rounding in computing :math:`TV`.
    success : bool
        True if the method met its stopping rule (and, in exact mode, the
        residual is exactly zero).
    message : str
    evaluation : PolicyEvaluation or None
        Policy iteration: the evaluation of ``pi`` (reusable for visitations).
    """

    __slots__ = ("V", "Q", "pi", "actions", "method", "mode", "n_iter", "bellman_residual",
                 "error_bound", "success", "message", "_evaluation")

    def __init__(self, *, V, Q, pi, actions, method, mode, n_iter, bellman_residual, error_bound,
                 success, message, evaluation=None):
        self.V, self.Q, self.pi, self.actions = V, Q, pi, actions
        self.method, self.mode, self.n_iter = method, mode, n_iter
        self.bellman_residual, self.error_bound = bellman_residual, error_bound
        self.success, self.message, self._evaluation = success, message, evaluation
        for arr in (V, Q, pi, actions):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False

    @property
    def evaluation(self):
        """The :class:`~mdptheory.evaluation.PolicyEvaluation` of ``pi`` (policy iteration), or None.

        Built on first access when policy iteration ran on arrays (the fast
        float path): one evaluation of the final policy, with the method the
        iteration used.
        """
        ev = self._evaluation
        if isinstance(ev, _DeferredEvaluation):
            ev = self._evaluation = ev()
        return ev

    @evaluation.setter
    def evaluation(self, value):
        self._evaluation = value

    def __repr__(self):
        from .policies.tabular import format_actions

        actions = format_actions(self.pi)
        return (f"OptimalSolution(actions={actions}, method={self.method!r}, mode={self.mode!r}, n_iter={self.n_iter}, "
                f"success={self.success}, bellman_residual={_short(self.bellman_residual)}, "
                f"error_bound={_short(self.error_bound)})")


def _short(x):
    """A number for display: exact Fractions with long digits shown approximately."""
    if isinstance(x, Fraction) and len(str(x)) > 40:
        return f"~{float(x):.6g}"
    return str(x)


# ------------------------------------------------------------------ helpers
def _exact_ops(mdp):
    """(P as fmpq_mat (S*A, S), r as fmpq_mat (S*A, 1), gamma as fmpq), cached on the MDP."""
    c = mdp._cache.get("optimal_fmpq")
    if c is None:
        from flint import fmpq, fmpq_mat

        def q(x):
            return fmpq(x.numerator, x.denominator)

        S, A = mdp.n_states, mdp.n_actions
        Pm = fmpq_mat(S * A, S, [q(x) for x in mdp.P_dense().reshape(-1)])
        rm = fmpq_mat(S * A, 1, [q(x) for x in mdp.r.reshape(-1)])
        c = (Pm, rm, q(mdp.gamma))
        mdp._cache["optimal_fmpq"] = c
    return c


def _q_exact_fmpq(mdp, V_fmpq):
    """Q = r + gamma P V for an fmpq column V; an (S, A) object array of fmpq."""
    Pm, rm, g = _exact_ops(mdp)
    Qm = rm + Pm * V_fmpq * g
    out = np.empty(mdp.n_states * mdp.n_actions, dtype=object)
    out[:] = Qm.entries()
    return out.reshape(mdp.n_states, mdp.n_actions)


def _fmpq_col(values):
    from flint import fmpq, fmpq_mat

    vals = [v if type(v).__name__ == "fmpq" else fmpq(v.numerator, v.denominator) for v in values]
    return fmpq_mat(len(vals), 1, vals)


def _to_fractions(a):
    out = np.empty(np.shape(a), dtype=object)
    flat = out.reshape(-1)
    for k, x in enumerate(np.asarray(a, dtype=object).reshape(-1)):
        flat[k] = fraction_from_fmpq(x) if type(x).__name__ in ("fmpq", "fmpz") else Fraction(x)
    return out


def _q_float(mdp, V):
    S, A = mdp.n_states, mdp.n_actions
    gamma = float(mdp.gamma)
    return mdp.r + gamma * np.asarray(mdp.P_matrix() @ V).reshape(S, A)


def _check_V(mdp, V, exact):
    S = mdp.n_states
    if exact:
        arr = np.asarray(V, dtype=object) if not isinstance(V, np.ndarray) else V
        if arr.shape != (S,):
            raise InvalidParameterError(f"V must have shape ({S},); got {arr.shape}")
        return exact_array(arr, name="V")
    try:
        arr = np.asarray(float_array(V, name="V"), dtype=float)
    except InvalidParameterError:
        raise
    except Exception as exc:
        raise InvalidParameterError(f"V cannot be read as an array: {exc}") from None
    if arr.shape != (S,):
        raise InvalidParameterError(f"V must have shape ({S},); got {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        s = int(np.argmax(bad))
        raise InvalidParameterError(f"V[{s}] = {format_value(arr[s])} is not finite")
    return arr


def _is_exact_vector(V):
    arr = V if isinstance(V, np.ndarray) else np.asarray(V, dtype=object)
    if arr.dtype.kind in "iu":
        return True
    return arr.dtype == object and arr.size > 0 and all(is_exact_scalar(x) for x in arr.flat)


def q_from_v(mdp, V) -> np.ndarray:
    r"""The one-step lookahead :math:`Q = r + \gamma P V`.

    .. math::

        Q(s, a) = r(s, a) + \gamma \sum_{s'} P(s'|s, a)\, V(s')

    (AJKS Ch. 1; for :math:`V = V^\pi` this is :math:`Q^\pi`, statement A1).  Exact
    rationals when the MDP and ``V`` are exact, float64 otherwise; sparse MDPs
    use their CSR matrix.

    Parameters
    ----------
    mdp : MDP
    V : array_like, shape (S,)

    Returns
    -------
    ndarray, shape (S, A)

    Raises
    ------
    InvalidParameterError
        If ``V`` has the wrong shape or non-finite entries.

    Examples
    --------
    >>> from mdptheory.families import chain
    >>> q_from_v(chain(2, exact=True), [0, 10]).tolist()
    [[Fraction(0, 1), Fraction(9, 1)], [Fraction(1, 1), Fraction(10, 1)]]
    """
    if mdp.is_exact and _is_exact_vector(V):
        Vq = _check_V(mdp, V, True)
        return _to_fractions(_q_exact_fmpq(mdp, _fmpq_col(Vq)))
    fm = mdp.to_float() if mdp.is_exact else mdp
    return _q_float(fm, _check_V(mdp, V, False))


def bellman_optimality_residual(mdp, V):
    r"""The Bellman optimality residual :math:`\|TV - V\|_\infty`.

    .. math::

        \|TV - V\|_\infty = \max_s \Big| \max_a \big(r(s,a) + \gamma P(\cdot|s,a)^\top V\big) - V(s) \Big|

    It is 0 exactly when :math:`V = V^*`, and :math:`\|V - V^*\|_\infty \le
    \|TV - V\|_\infty / (1-\gamma)` for every :math:`V` (Puterman 1994,
    Thm 6.2.3 and Prop. 6.6.1; AJKS Ch. 1).  Exact (a Fraction) when the MDP and
    ``V`` are exact, a float otherwise.

    Parameters
    ----------
    mdp : MDP
    V : array_like, shape (S,)

    Returns
    -------
    Fraction or float

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from mdptheory.families import chain
    >>> bellman_optimality_residual(chain(2, exact=True), [F(9), F(10)])
    Fraction(0, 1)
    """
    Q = q_from_v(mdp, V)
    if Q.dtype == object:
        Vq = exact_array(np.asarray(V, dtype=object), name="V")
        return max((abs(m - v) for m, v in zip(Q.max(axis=1), Vq)), default=Fraction(0))
    return float(np.max(np.abs(Q.max(axis=1) - _check_V(mdp, V, False))))


def _sparse_copy_if_sparse(fm):
    """A CSR copy of a dense float MDP whose transitions are at most
    _SPARSE_DENSITY nonzero, else the MDP itself.

    The nonzeros are counted in blocks of about :data:`_COUNT_BLOCK_BYTES`,
    stopping at the first block that takes the count past the threshold (a
    50%-dense ``P`` is decided after about a tenth of its rows).  A block no
    denser than the threshold has its positions listed as it is counted (one
    pass over a sparse ``P``); a denser one is listed in a second pass, only
    if the whole ``P`` turns out sparse.
    """
    import scipy.sparse as sp

    S, A = fm.n_states, fm.n_actions
    Pm = fm.P_matrix()
    limit = _SPARSE_DENSITY * S * S * A
    step = max(1, _COUNT_BLOCK_BYTES // (8 * max(S, 1)))
    parts, nnz = {}, 0
    for lo in range(0, S * A, step):
        mask = Pm[lo:lo + step] != 0  # positions from a bool mask: 4x faster than from the floats
        k = int(np.count_nonzero(mask))
        nnz += k
        if nnz > limit:
            return fm
        if k:
            parts[lo] = np.flatnonzero(mask) + lo * S if k <= _SPARSE_DENSITY * mask.size else None
    for lo, part in parts.items():
        if part is None:
            parts[lo] = np.flatnonzero(Pm[lo:lo + step] != 0) + lo * S
    flat = np.concatenate(list(parts.values())) if parts else np.zeros(0, dtype=np.intp)
    rows, cols = np.divmod(flat, S)
    indptr = np.zeros(S * A + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=S * A), out=indptr[1:])
    C = sp.csr_matrix((Pm.reshape(-1)[flat], cols, indptr), shape=(S * A, S))
    return MDP(C, fm.r, fm.gamma, fm.rho)


def _float_work(mdp):
    """The float MDP policy iteration works on, and the evaluate() method to use.

    A dense MDP whose transitions are sparse (at least _SPARSE_MIN_STATES states
    and at most _SPARSE_DENSITY nonzero entries) is converted to CSR once and
    cached, so that e.g. ``forest(2000)`` does not pay a dense ``S^3`` LU per
    iteration; dense random MDPs stay on LAPACK.
    """
    c = mdp._cache.get("optimal_float_work")
    if c is not None:
        return c
    fm = mdp.to_float() if mdp.is_exact else mdp
    S, A = fm.n_states, fm.n_actions
    if not fm.is_sparse and S >= _SPARSE_MIN_STATES:
        fm = _sparse_copy_if_sparse(fm)
    if fm.is_sparse:
        # one cost model for evaluate() and solve(): mdptheory.evaluation.sparse._prefers_direct
        method = "direct" if _prefers_direct(fm) else "krylov"
    else:
        method = "dense"
    c = (fm, method)
    mdp._cache["optimal_float_work"] = c
    return c


def _greedy_actions(Q, current, tie):
    """Improvement step: keep ``current[s]`` if it is among the maximisers of
    ``Q[s]`` (within ``tie`` in float mode), else the lowest maximising index."""
    Qmax = Q.max(axis=1)
    if tie is None:  # exact comparisons
        is_max = np.asarray(Q == Qmax[:, None], dtype=bool)
    else:
        is_max = Q >= (Qmax - tie)[:, None]
    lowest = np.argmax(is_max, axis=1)
    if current is None:
        return lowest
    keep = is_max[np.arange(Q.shape[0]), current]
    return np.where(keep, current, lowest)


def _initial(mdp, pi0, exact):
    """(actions or None, policy to evaluate first or None) from ``pi0``."""
    S, A = mdp.n_states, mdp.n_actions
    if pi0 is None:
        return None, None
    arr = np.asarray(pi0) if not isinstance(pi0, np.ndarray) else pi0
    if arr.ndim == 1:
        if arr.dtype.kind not in "iu":
            raise InvalidParameterError(f"pi0 given as actions must be integers; got dtype {arr.dtype}")
        try:
            deterministic_policy(mdp, arr.astype(np.int64))
        except InvalidPolicyError as exc:
            raise InvalidParameterError(f"pi0: {exc}") from None
        return arr.astype(np.int64), None
    try:
        pol = as_policy(mdp, pi0, exact=exact)
    except InvalidPolicyError as exc:
        raise InvalidParameterError(f"pi0: {exc}") from None
    onehot = np.asarray(pol == 1, dtype=bool)
    if onehot.sum(axis=1).min() == 1 and np.asarray(pol != 0, dtype=bool).sum(axis=1).max() == 1:
        return np.argmax(onehot, axis=1).astype(np.int64), None
    return None, pol


# ------------------------------------------------------------------ solve
def solve(mdp, *, method: str = "policy_iteration", mode: str | None = None, tol=None,
          max_iter: int | None = None, pi0=None) -> OptimalSolution:
    r"""Compute :math:`V^*`, :math:`Q^*` and a deterministic optimal policy.

    **Policy iteration** (Puterman 1994, Thm 6.4.2; AJKS Ch. 1): evaluate the
    current deterministic policy with :func:`mdptheory.evaluate` (one
    factorization per iteration), then improve greedily,

    .. math::

        \pi_{k+1}(s) \in \arg\max_a Q^{\pi_k}(s, a),

    keeping the current action when it is among the maximisers and otherwise
    taking the lowest maximising index.  Each change strictly increases
    :math:`V^{\pi_k}`, so no policy repeats and the loop stops at a policy
    greedy in its own :math:`Q`, i.e. :math:`V^{\pi} = TV^{\pi} = V^*`.  For
    an exact MDP every solve and comparison is exact: ``V``, ``Q`` are
    :math:`V^*`, :math:`Q^*` as Fractions and the Bellman optimality residual is
    verified to be exactly 0.  In float mode a switch needs an improvement
    larger than ``tol`` (default: a bound on the solve's rounding error,
    :math:`8\,\epsilon\,\frac{1+\gamma}{1-\gamma}\|Q\|_\infty`, or twice the
    Krylov solver's certified error); should rounding noise still make a
    policy repeat, the loop stops there (every policy on such a cycle is
    optimal up to the reported ``error_bound``).
    Dense MDPs with very sparse transitions are solved through a sparse copy;
    sparse ones with sparse LU (banded or hub-plus-band graphs) or Krylov
    (random graphs).

    **Value iteration** (Puterman 1994, Thm 6.3.1):
    :math:`V_{k+1} = T V_k` from :math:`V_0 = 0` (or :math:`V^{\pi_0}`),
    stopping at the first :math:`k` with

    .. math::

        \frac{\gamma}{1-\gamma} \|V_{k+1} - V_k\|_\infty \le \text{tol},

    which certifies :math:`\|V_{k+1} - V^*\|_\infty \le \text{tol}` (unlike a
    span-based stop, which bounds only the greedy policy's suboptimality and
    can return values far from :math:`V^*`).  ``error_bound`` reports the
    certified bound.  Exact mode runs value iteration in rationals with an
    exact ``tol``.

    Parameters
    ----------
    mdp : MDP
    method : {"policy_iteration", "value_iteration"}, keyword-only
    mode : {"float", "exact"}, optional, keyword-only
        Default: "exact" for exact MDPs, else "float".  "exact" needs an exact MDP.
    tol : real, optional, keyword-only
        Policy iteration, float mode: minimum improvement for a switch (derived
        from conditioning by default); not accepted in exact mode, which uses
        none.  Value iteration: target for :math:`\|V - V^*\|_\infty` (default
        :math:`10^{-10}\max(1, \|r\|_\infty/(1-\gamma))`; read exactly in exact
        mode, so ``1e-6`` means 1/10^6).
    max_iter : int, optional, keyword-only
        Iteration cap.  Default: ``max(1000, 10 S A)`` for policy iteration;
        for value iteration the a-priori count
        :math:`\lceil \log(\text{tol}(1-\gamma)/(\gamma\|V_1-V_0\|_\infty))/\log\gamma \rceil`
        plus slack.
    pi0 : array_like, optional, keyword-only
        Initial policy: actions, shape (S,), or a policy, shape (S, A).  Policy
        iteration starts from it (a stochastic ``pi0`` is evaluated once and
        then improved); value iteration starts from :math:`V^{\pi_0}`.
        Default: greedy in ``r`` (policy iteration), :math:`V_0 = 0` (value
        iteration).

    Returns
    -------
    OptimalSolution

    Raises
    ------
    InvalidParameterError
        Unknown method or mode, exact mode on a float MDP, bad ``tol``,
        ``max_iter`` or ``pi0``.

    Warns
    -----
    ConvergenceWarning
        If ``max_iter`` is reached before the stopping rule holds.

    Examples
    --------
    >>> from mdptheory.families import forest
    >>> sol = solve(forest(exact=True))
    >>> sol.V.tolist(), sol.actions.tolist(), sol.bellman_residual
    ([Fraction(6561, 250), Fraction(7371, 250), Fraction(8371, 250)], [0, 0, 0], Fraction(0, 1))
    >>> vi = solve(forest(), method="value_iteration", tol=1e-6)
    >>> bool(abs(vi.V[0] - 6561 / 250) <= vi.error_bound <= 1e-6)
    True
    """
    check_mdp(mdp)
    if method not in METHODS:
        raise InvalidParameterError(f"method must be one of {METHODS}; got {format_value(method)}")
    if mode is None:
        mode = EXACT if mdp.is_exact else FLOAT
    if mode not in (FLOAT, EXACT):
        raise InvalidParameterError(f"mode must be 'float' or 'exact'; got {format_value(mode)}")
    if mode == EXACT and not mdp.is_exact:
        raise InvalidParameterError("mode='exact' needs an exact MDP; this one holds floats "
                                    "(convert with MDP.to_exact())")
    if max_iter is not None:
        if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
            raise InvalidParameterError(f"max_iter must be a positive integer; got {format_value(max_iter)}")
        max_iter = int(max_iter)
    if method == "policy_iteration":
        if mode == EXACT:
            if tol is not None:
                raise InvalidParameterError(f"exact policy iteration uses no tolerance; got tol={format_value(tol)}")
            return _pi_exact(mdp, max_iter, pi0)
        return _pi_float(mdp, _float_tol(tol, allow_zero=True), max_iter, pi0)
    if mode == EXACT:
        return _vi_exact(mdp, tol, max_iter, pi0)
    return _vi_float(mdp, _float_tol(tol, allow_zero=False), max_iter, pi0)


def _float_tol(tol, *, allow_zero):
    if tol is None:
        return None
    if isinstance(tol, (bool, np.bool_)):
        raise InvalidParameterError(f"tol must be a number; got {format_value(tol)}")
    try:
        t = float(tol)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"tol must be a finite number; got {format_value(tol)}") from None
    if not math.isfinite(t) or t < 0 or (t == 0 and not allow_zero):
        raise InvalidParameterError(f"tol must be finite and {'>= 0' if allow_zero else '> 0'}; got {format_value(tol)}")
    return t


def _pi_max_iter(mdp, max_iter):
    return max_iter if max_iter is not None else max(1000, 10 * mdp.n_states * mdp.n_actions)


def _pi_exact(mdp, max_iter, pi0):
    max_iter = _pi_max_iter(mdp, max_iter)
    actions, first = _initial(mdp, pi0, True)
    if actions is None and first is None:
        actions = _greedy_actions(mdp.r, None, None)
    n_iter, converged, ev = 0, False, None
    while n_iter < max_iter:
        pol = first if first is not None else deterministic_policy(mdp, actions)
        ev = evaluate(mdp, pol, mode=EXACT)
        n_iter += 1
        new = _greedy_actions(ev.Q, actions if first is None else None, None)
        if first is None and np.array_equal(new, actions):
            converged = True
            break
        first, actions = None, new
    if not converged:
        warnings.warn(f"policy iteration stopped after max_iter={max_iter} evaluations without a "
                      "stable policy", ConvergenceWarning, stacklevel=3)
        pol = deterministic_policy(mdp, actions)
        ev = evaluate(mdp, pol, mode=EXACT)
    pi = deterministic_policy(mdp, actions)
    residual = bellman_optimality_residual(mdp, ev.V)  # independent check of optimality
    ok = converged and residual == 0
    if ok:
        msg = f"policy iteration converged after {n_iter} evaluations; Bellman residual is exactly 0"
    elif converged:
        msg = (f"policy iteration found a stable policy but the exact Bellman residual is {residual}, "
               "not 0: internal inconsistency")
    else:
        msg = f"max_iter={max_iter} reached; Bellman residual {residual}"
    bound = Fraction(0) if ok else residual / (1 - mdp.gamma)
    return OptimalSolution(V=ev.V, Q=ev.Q, pi=pi, actions=actions, method="policy_iteration", mode=EXACT,
                           n_iter=n_iter, bellman_residual=residual, error_bound=bound, success=ok,
                           message=msg, evaluation=ev)


def _rounding_allowance(fm, V):
    """Bound on the float rounding error of computing ``T V`` (per entry)."""
    gamma = float(fm.gamma)
    if fm.is_sparse:
        k = int(np.max(np.diff(fm.P.indptr))) if fm.P.nnz else 0
    else:
        k = fm.n_states
    scale = float(np.max(np.abs(fm.r))) + gamma * float(np.max(np.abs(V)) if V.size else 0.0)
    return (k + 2) * _EPS * scale


def _finite_outcome(V, Q, bound, success, msg):
    """``(bound, success, msg)`` for a float solution: non-finite values are never a success.

    Overflow (rewards near the float64 range, e.g. ``|r| ~ 1e308``) leaves
    ``inf``/``nan`` in ``V`` or ``Q``; then the bound is ``inf`` (no
    certificate), ``success`` is False and a NumericalWarning is issued.
    """
    if np.all(np.isfinite(V)) and np.all(np.isfinite(Q)) and not math.isnan(bound):
        return bound, success, msg
    warnings.warn("solve: the float solution has non-finite entries (overflow: rewards or values beyond "
                  "the float64 range); no certificate. Rescale the rewards or use mode='exact'",
                  NumericalWarning, stacklevel=4)
    return math.inf, False, "non-finite values (float64 overflow); " + msg


class _DeferredEvaluation:
    """``evaluate(fm, pi, mode="float", method=method)``, run when first asked for (picklable)."""

    __slots__ = ("fm", "pi", "method")

    def __init__(self, fm, pi, method):
        self.fm, self.pi, self.method = fm, pi, method

    def __call__(self):
        return evaluate(self.fm, self.pi, mode=FLOAT, method=self.method)


def _pi_float_outcome(fm, V, Q, gamma, *, n_iter, solver, cycled, converged, max_iter):
    """``(residual, bound, converged, message)`` of a float policy iteration that stopped with ``V``, ``Q``."""
    with np.errstate(invalid="ignore", over="ignore"):
        residual = float(np.max(np.abs(Q.max(axis=1) - V)))
        bound = (residual + _rounding_allowance(fm, V)) / (1 - gamma)
    msg = (f"policy iteration converged after {n_iter} evaluations ({solver}); "
           f"Bellman residual {residual:.3g}"
           + ("; stopped at a repeated policy (near-ties within rounding)" if cycled else "")
           if converged else
           f"max_iter={max_iter} reached; Bellman residual {residual:.3g}")
    bound, converged, msg = _finite_outcome(V, Q, bound, converged, msg)
    return residual, bound, converged, msg


def _pi_float_arrays(fm, tol, max_iter, actions):
    """Policy iteration from deterministic ``actions`` with :class:`_DeterministicEvaluator`.

    The steps of :func:`_pi_float` (the same tie threshold, improvement and
    cycle guard); returns ``(actions, V, Q, n_iter, converged, cycled, solver)``.
    """
    evaluator = _DeterministicEvaluator(fm)
    gamma = float(fm.gamma)
    rmax = float(np.max(np.abs(fm.r)))
    n_iter, converged, cycled = 0, False, False
    seen = set()
    V = Q = None
    while n_iter < max_iter:
        V, Q, err = evaluator(actions)
        n_iter += 1
        if tol is None:
            qscale = max(float(np.max(np.abs(Q))), rmax)
            tie = 8 * _EPS * (1 + gamma) / (1 - gamma) * qscale
            tie = max(tie, 2 * gamma * err)
        else:
            tie = tol
        new = _greedy_actions(Q, actions, tie)
        if np.array_equal(new, actions):
            converged = True
            break
        seen.add(actions.tobytes())
        if new.tobytes() in seen:  # only possible through rounding: near-ties
            converged = cycled = True
            break
        actions = new
    if not converged:
        V, Q, _ = evaluator(actions)
    return actions, V, Q, n_iter, converged, cycled, evaluator.solver


def _pi_float(mdp, tol, max_iter, pi0):
    fm, emethod = _float_work(mdp)
    gamma = float(fm.gamma)
    max_iter = _pi_max_iter(mdp, max_iter)
    actions, first = _initial(fm, pi0, False)
    if actions is None and first is None:
        actions = _greedy_actions(fm.r, None, 0.0)
    if first is None and emethod in ("dense", "direct"):
        # deterministic policies throughout: evaluate on arrays, build the PolicyEvaluation lazily
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite values: _finite_outcome reports them
            actions, V, Q, n_iter, converged, cycled, solver = _pi_float_arrays(fm, tol, max_iter, actions)
        if not converged:
            warnings.warn(f"policy iteration stopped after max_iter={max_iter} evaluations without a "
                          "stable policy", ConvergenceWarning, stacklevel=3)
        pi = deterministic_policy(fm, actions)
        residual, bound, converged, msg = _pi_float_outcome(fm, V, Q, gamma, n_iter=n_iter, solver=solver,
                                                            cycled=cycled, converged=converged, max_iter=max_iter)
        return OptimalSolution(V=V, Q=Q, pi=pi, actions=actions, method="policy_iteration", mode=FLOAT,
                               n_iter=n_iter, bellman_residual=residual, error_bound=bound, success=converged,
                               message=msg, evaluation=_DeferredEvaluation(fm, pi, emethod))
    n_iter, converged, ev, cycled = 0, False, None, False
    seen = set()
    while n_iter < max_iter:
        pol = first if first is not None else deterministic_policy(fm, actions)
        ev = evaluate(fm, pol, mode=FLOAT, method=emethod)
        n_iter += 1
        if tol is None:
            qscale = max(float(np.max(np.abs(ev.Q))), float(np.max(np.abs(fm.r))))
            tie = 8 * _EPS * (1 + gamma) / (1 - gamma) * qscale
            if ev.error_bound is not None:
                tie = max(tie, 2 * gamma * ev.error_bound)
        else:
            tie = tol
        new = _greedy_actions(ev.Q, actions if first is None else None, tie)
        if first is None and np.array_equal(new, actions):
            converged = True
            break
        if first is None:
            seen.add(actions.tobytes())
        if new.tobytes() in seen:  # only possible through rounding: near-ties
            converged = cycled = True
            break
        first, actions = None, new
    if not converged:
        warnings.warn(f"policy iteration stopped after max_iter={max_iter} evaluations without a "
                      "stable policy", ConvergenceWarning, stacklevel=3)
        ev = evaluate(fm, deterministic_policy(fm, actions), mode=FLOAT, method=emethod)
    pi = deterministic_policy(fm, actions)
    V = np.asarray(ev.V, dtype=float)
    residual, bound, converged, msg = _pi_float_outcome(fm, V, ev.Q, gamma, n_iter=n_iter, solver=ev.solver,
                                                        cycled=cycled, converged=converged, max_iter=max_iter)
    return OptimalSolution(V=ev.V, Q=ev.Q, pi=pi, actions=actions, method="policy_iteration", mode=FLOAT,
                           n_iter=n_iter, bellman_residual=residual, error_bound=bound, success=converged,
                           message=msg, evaluation=ev)


def _vi_start(mdp, pi0, exact):
    actions, first = _initial(mdp, pi0, exact)
    if actions is None and first is None:
        return None
    pol = first if first is not None else deterministic_policy(mdp, actions)
    return evaluate(mdp, pol, mode=EXACT if exact else FLOAT).V


def _vi_cap(gamma, tol, delta1):
    """A-priori iteration count of value iteration, from ||V_1 - V_0|| = delta1 (when no max_iter is given)."""
    if gamma == 0 or delta1 == 0 or not math.isfinite(tol):  # tol = inf: r / (1 - gamma) overflows
        return 2
    need = math.log(tol * (1 - gamma) / (gamma * delta1)) / math.log(gamma)
    return max(2, int(math.ceil(need)) + 2) * 2 + 10


def _vi_float(mdp, tol, max_iter, pi0):
    fm, emethod = _float_work(mdp)
    gamma = float(fm.gamma)
    r_max = float(np.max(np.abs(fm.r)))
    if tol is None:
        tol = 1e-10 * max(1.0, r_max / (1 - gamma))
    V0 = _vi_start(fm, pi0, False)
    V = np.zeros(fm.n_states) if V0 is None else np.asarray(V0, dtype=float)
    factor = gamma / (1 - gamma)
    k, cap, converged, bound_vi = 0, max_iter, False, math.inf
    while cap is None or k < cap:
        Vn = _q_float(fm, V).max(axis=1)
        delta = float(np.max(np.abs(Vn - V)))
        k += 1
        if not math.isfinite(delta):  # overflow: reported as non-finite below
            V = Vn
            break
        if cap is None:
            cap = _vi_cap(gamma, tol, delta)
        V = Vn
        bound_vi = factor * delta
        if bound_vi <= tol:
            converged = True
            break
    if not converged:
        warnings.warn(f"value iteration stopped after max_iter={cap} updates with certified bound "
                      f"{bound_vi:.3g} > tol={tol:.3g}", ConvergenceWarning, stacklevel=3)
    Q = _q_float(fm, V)
    residual = float(np.max(np.abs(Q.max(axis=1) - V)))
    allowance = _rounding_allowance(fm, V) / (1 - gamma)
    bound = min(bound_vi, residual / (1 - gamma)) + allowance
    actions = np.argmax(Q, axis=1).astype(np.int64)
    msg = (f"value iteration stopped after {k} updates: gamma/(1-gamma)*||V_k+1 - V_k|| = {bound_vi:.3g} "
           f"<= tol = {tol:.3g}" if converged else f"max_iter={cap} reached; certified bound {bound:.3g}")
    bound, converged, msg = _finite_outcome(V, Q, bound, converged, msg)
    return OptimalSolution(V=V, Q=Q, pi=deterministic_policy(fm, actions), actions=actions,
                           method="value_iteration", mode=FLOAT, n_iter=k, bellman_residual=residual,
                           error_bound=bound, success=converged, message=msg)


#: Largest a-priori iteration count exact value iteration accepts; beyond it
#: (gamma near 1, a tiny tol) exact policy iteration is the method to use.
MAX_EXACT_VI_ITER = 1000


def _log_fraction(x: Fraction) -> float:
    """``log(x)`` for a positive Fraction of any size (no float conversion of ``x``)."""
    return math.log(x.numerator) - math.log(x.denominator)


def _vi_cap_exact(gamma: Fraction, tol: Fraction, delta1: Fraction) -> int:
    r"""An upper bound on the iterations exact value iteration needs, without converting gamma to float.

    Uses :math:`-\log\gamma \ge 1 - \gamma`, so that
    :math:`\log(\gamma\delta_1/(\text{tol}(1-\gamma)))/(1-\gamma)` bounds the
    a-priori count for any rational :math:`\gamma < 1`.
    """
    if gamma == 0 or delta1 == 0:
        return 2
    ratio = gamma * delta1 / (tol * (1 - gamma))
    if ratio <= 1:
        return 2
    L = _log_fraction(ratio)
    one_minus = 1 - gamma
    # -log(gamma): exact logs when gamma is not near 1 (no cancellation), else the bound 1 - gamma
    neg_log = -_log_fraction(gamma) if gamma <= Fraction(1, 2) else (
        float(one_minus) if one_minus > Fraction(1, 10**300) else 0.0)
    if neg_log <= 0:
        return MAX_EXACT_VI_ITER * 10 + 1
    need = L / neg_log
    if need > 10 * MAX_EXACT_VI_ITER:
        return int(10 * MAX_EXACT_VI_ITER) + 1
    return max(2, int(math.ceil(need)) + 2) * 2 + 10


def _vi_exact(mdp, tol, max_iter, pi0):
    from flint import fmpq, fmpq_mat

    gamma = mdp.gamma
    r_max = max((abs(x) for x in mdp.r.flat), default=Fraction(0))
    if tol is None:
        tol = Fraction(1, 10 ** 10) * max(Fraction(1), r_max / (1 - gamma))
    else:
        if isinstance(tol, (bool, np.bool_)):
            raise InvalidParameterError(f"tol must be a number; got {format_value(tol)}")
        try:
            tol = to_fraction(tol, allow_float=True)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"tol = {format_value(tol)}: {exc}") from None
        if tol <= 0:
            raise InvalidParameterError(f"tol must be > 0; got {format_value(tol)}")
    V0 = _vi_start(mdp, pi0, True)
    S = mdp.n_states
    V = fmpq_mat(S, 1, [fmpq(0)] * S) if V0 is None else _fmpq_col(V0)
    factor = _fmpq_col([gamma / (1 - gamma)]).entries()[0]
    tol_q = fmpq(tol.numerator, tol.denominator)
    k, cap, converged, bound_vi = 0, max_iter, False, None
    while cap is None or k < cap:
        Q = _q_exact_fmpq(mdp, V)
        Vn_list = list(Q.max(axis=1))
        delta = max(abs(a - b) for a, b in zip(Vn_list, V.entries()))
        k += 1
        if cap is None:
            cap = _vi_cap_exact(gamma, tol, fraction_from_fmpq(delta))
            if cap > MAX_EXACT_VI_ITER:
                raise InvalidParameterError(
                    f"exact value iteration would need {'about' if cap <= 10 * MAX_EXACT_VI_ITER else 'more than'} "
                    f"{min(cap, 10 * MAX_EXACT_VI_ITER)} iterations (the limit is {MAX_EXACT_VI_ITER}) "
                    f"for gamma = {format_value(gamma)} and tol = {format_value(tol)}; use "
                    "method='policy_iteration' (exact in a few solves), a larger tol, or an explicit max_iter")
        V = fmpq_mat(S, 1, Vn_list)
        bound_vi = factor * delta
        if bound_vi <= tol_q:
            converged = True
            break
    bound_vi = fraction_from_fmpq(bound_vi)
    if not converged:
        warnings.warn(f"value iteration stopped after max_iter={cap} updates with certified bound "
                      f"{format_value(bound_vi)} > tol={format_value(tol)}", ConvergenceWarning, stacklevel=3)
    Qq = _q_exact_fmpq(mdp, V)
    Q = _to_fractions(Qq)
    Vf = _to_fractions(V.entries())
    residual = max(abs(m - v) for m, v in zip(Q.max(axis=1), Vf))
    bound = min(bound_vi, residual / (1 - gamma))
    actions = _greedy_actions(Q, None, None).astype(np.int64)
    msg = (f"value iteration stopped after {k} updates with exact certified bound {format_value(bound)}"
           if converged else f"max_iter={cap} reached; certified bound {format_value(bound)}")
    return OptimalSolution(V=Vf, Q=Q, pi=deterministic_policy(mdp, actions), actions=actions,
                           method="value_iteration", mode=EXACT, n_iter=k, bellman_residual=residual,
                           error_bound=bound, success=converged, message=msg)
