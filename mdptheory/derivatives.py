r"""Second and higher derivatives of :math:`V^{\pi_\theta}(\mu)`; the vanishing-gradient chain.

**Hessian** (differentiate :math:`(I - \gamma P^\pi)V = r^\pi` twice; statement D4, C1).
With :math:`M = I - \gamma P^\pi`, :math:`c = r + \gamma P V` and
:math:`w^\top = \mu^\top M^{-1}`,

.. math::

    \partial_{ij} V(\mu) = \sum_s w(s)\Big[\sum_a \partial_{ij}\pi(a|s)\,c(s,a)
       + \gamma\sum_a\partial_i\pi(a|s)\,(P\,\partial_j V)(s,a)
       + \gamma\sum_a\partial_j\pi(a|s)\,(P\,\partial_i V)(s,a)\Big],

the first term being :math:`\partial_{ij}r^\pi + \gamma(\partial_{ij}P^\pi)V`, and
:math:`\partial V = M^{-1}(\partial r^\pi + \gamma\,\partial P^\pi V)` from one
forward solve with ``n`` right-hand sides.

**Higher derivatives for the direct parameterization** (affine
:math:`\theta\mapsto\pi_\theta`, so :math:`\partial_{ij}P^\pi = 0`,
:math:`\partial_{ij}r^\pi = 0` and :math:`V` is a rational function of
:math:`\theta`).  With :math:`D_i = \partial_i P^\pi` (constant), Leibniz's rule
applied to :math:`M(\theta)V(\theta) = r^\pi(\theta)` gives, for a multi-index
:math:`I = (i_1, \ldots, i_k)`,

.. math::

    \partial_I V = M^{-1}\Big(\gamma\sum_{p=1}^{k} D_{i_p}\,\partial_{I\setminus i_p}V
       + \mathbf{1}[k=1]\,\partial_{i_1} r^\pi\Big),

i.e. :math:`\nabla^k V = k\gamma M^{-1}\,\mathrm{Sym}(D\otimes\nabla^{k-1}V)` for
:math:`k\ge 2`.  :func:`value_derivative_tensor` runs this recursion in exact
rationals (the last step through the adjoint :math:`w`).

**The chain of Prop. 10.1** (statement C1): :func:`chain_gradient_norm` and
:func:`chain_hessian_norm` compute :math:`\|\nabla V(s_0)\|_2` and
:math:`\|\nabla^2 V(s_0)\|_F` at the horizons where the bound
:math:`(1/3)^{H/4}` is meaningful (H ≥ 562, H ≥ 900), in exact rationals or
certified arb balls, using the chain's structure instead of dense tensors
(the certified Hessian norm in O(H) ball operations from the semiseparable
structure of :math:`M^{-1}`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .exceptions import InvalidParameterError, format_value
from .deprecation import renamed_keyword
from .fields import EXACT, fraction_from_fmpq, from_fmpq_mat, is_exact_scalar, to_fmpq_mat, to_fraction
from .gradients import (
    _adjoint_weights,
    _as_output,
    _bellman_coefficients,
    _fmpq_P,
    _P_times,
    _prepare,
    _solve_forward,
    _system_matrix_exact,
)

__all__ = [
    "value_hessian",
    "value_derivative_tensor",
    "frobenius_norm",
    "chain_gradient_norm",
    "chain_hessian_norm",
    "chain_derivatives",
    "ChainDerivativeNorm",
    "DEFAULT_CHAIN_PREC",
]

#: Default working precision (bits) of the chain routines' ball arithmetic.
DEFAULT_CHAIN_PREC = 256

#: Largest number of entries of an intermediate tensor of value_derivative_tensor.
_MAX_TENSOR_ENTRIES = 4_000_000


# ---------------------------------------------------------------- Hessian
def value_hessian(mdp, param, theta, *, mu=None, mode=None) -> np.ndarray:
    r"""Exact Hessian :math:`\nabla^2_\theta V^{\pi_\theta}(\mu)` by differentiating the Bellman system twice.

    .. math::

        \nabla^2 V(\mu) = \sum_{s,a} w(s)\,c(s,a)\,\nabla^2\pi(a|s) + \gamma(K + K^\top),\qquad
        K_{ij} = \sum_{s,a} w(s)\,\partial_i\pi(a|s)\,(P\,\partial_j V)(s,a),

    with :math:`w^\top = \mu^\top(I-\gamma P^\pi)^{-1}`, :math:`c = r + \gamma PV`
    and :math:`\partial V` from :func:`mdptheory.gradients.value_jacobian`'s
    solve.  Symmetric by construction (exactly, in exact mode; symmetrised in
    float).  Cost: one forward solve with ``n`` right-hand sides plus the
    parameterization's contractions (block-structured for tabular softmax).

    Parameters
    ----------
    mdp : MDP
    param : Parameterization
    theta : array_like or LogRational
    mu : array_like, optional, keyword-only
    mode : {"float", "exact"}, optional, keyword-only

    Returns
    -------
    ndarray, shape (n_params, n_params)
    """
    st = _prepare(mdp, param, theta, mode)
    c = _bellman_coefficients(st)
    w, _ = _adjoint_weights(st, mu)
    G = param.jacobian_dot_actions(st.theta, c)
    if st.mode == EXACT and st.mdp.n_states * st.mdp.n_actions * param.n_params <= _MAX_TENSOR_ENTRIES:
        return _value_hessian_exact(st, param, c, w, G)
    X = _solve_forward(st, G)                          # dV/dtheta, (S, n)
    PX = _P_times(st.mdp, X, st.mode)                  # (S, A, n)
    K = np.asarray(param.jacobian_vjp(st.theta, w[:, None, None] * PX))
    Hc = np.asarray(param.probs_hessian_vjp(st.theta, w[:, None] * c))
    H = Hc + st.gamma * (K + K.T)
    if st.mode != EXACT:
        H = 0.5 * (H + H.T)
    return _as_output(H, st.mode)


def _value_hessian_exact(st, param, c, w, G):
    """The exact Hessian with every large product in FLINT ``fmpq_mat`` (same formula as above).

    ``K = J^T diag(w) P dV`` is formed as a matrix product of the dense
    (S*A, n) Jacobian, so no O(S A n) Fraction arithmetic is done in Python.
    """
    from flint import fmpq, fmpq_mat

    S, A, n = st.mdp.n_states, st.mdp.n_actions, param.n_params
    Xq = _system_matrix_exact(st).solve(to_fmpq_mat(G))             # dV/dtheta, (S, n)
    PXq = _fmpq_P(st.mdp) * Xq                                      # (S*A, n)
    wq = [fmpq(x.numerator, x.denominator) for x in (Fraction(v) for v in w)]
    Dw = fmpq_mat(S * A, S * A, [wq[i // A] if i == j else 0 for i in range(S * A) for j in range(S * A)]) \
        if S * A <= 400 else None
    Jq = to_fmpq_mat(np.asarray(param.jacobian(st.theta)).reshape(S * A, n))
    if Dw is not None:
        Kq = Jq.transpose() * (Dw * PXq)
    else:  # scale the rows of P dV one by one
        rows = PXq.entries()
        scaled = [rows[k] * wq[k // n // A] for k in range(len(rows))]
        Kq = Jq.transpose() * fmpq_mat(S * A, n, scaled)
    Hc = to_fmpq_mat(np.asarray(param.probs_hessian_vjp(st.theta, w[:, None] * c)))
    g = Fraction(st.gamma)
    Hq = Hc + (Kq + Kq.transpose()) * fmpq(g.numerator, g.denominator)
    return from_fmpq_mat(Hq)


# ---------------------------------------------------------------- k-th derivatives (direct)
def _sym_sum(U, k):
    """sum over the k positions p of U with its axis 1 moved to position p (axes 1..k)."""
    out = U
    for p in range(2, k + 1):
        out = out + np.moveaxis(U, 1, p)
    return out


def value_derivative_tensor(mdp, param, theta, k, *, mu=None, mode=None) -> np.ndarray:
    r"""The k-th derivative tensor :math:`\nabla^k_\theta V^{\pi_\theta}(\mu)` for affine parameterizations.

    For the direct parameterization (statement C1) :math:`P^\pi` and :math:`r^\pi`
    are affine in :math:`\theta`, so with :math:`D_i = \partial_i P^\pi`,
    :math:`T_1 = M^{-1}(\partial r^\pi + \gamma\,\partial P^\pi V)` and

    .. math::

        T_k[\cdot, i_1..i_k] = \gamma M^{-1}\sum_{p=1}^k D_{i_p}\,T_{k-1}[\cdot, I\setminus i_p]
        \quad(k\ge2), \qquad
        \nabla^k V(\mu) = \mu^\top T_k,

    where the last step uses :math:`\mu^\top M^{-1} = w^\top` (adjoint).  The
    tensor is symmetric.  Intended for small MDPs: it has
    ``n_params**k`` entries.

    Parameters
    ----------
    mdp : MDP
    param : Parameterization
        Must be affine (``param.affine``), i.e. :class:`~mdptheory.policies.Direct`.
    theta : array_like
    k : int
        Order, ``k >= 1``.
    mu, mode : keyword-only

    Returns
    -------
    ndarray, shape (n_params,) * k

    Raises
    ------
    InvalidParameterError
        If ``param`` is not affine, ``k < 1``, or the tensors would exceed
        4e6 entries.
    """
    if not getattr(param, "affine", False):
        raise InvalidParameterError(f"value_derivative_tensor needs an affine parameterization (Direct); "
                                    f"got {type(param).__name__}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidParameterError(f"order k must be an integer >= 1; got {format_value(k)}")
    k = int(k)
    st = _prepare(mdp, param, theta, mode)
    S, A, n = st.mdp.n_states, st.mdp.n_actions, param.n_params
    if S * n ** k > _MAX_TENSOR_ENTRIES:
        raise InvalidParameterError(f"S * n^k = {S} * {n}^{k} entries exceed {_MAX_TENSOR_ENTRIES}")
    c = _bellman_coefficients(st)
    w, _ = _adjoint_weights(st, mu)
    G = np.asarray(param.jacobian_dot_actions(st.theta, c))      # (S, n): dr + gamma dP V
    if k == 1:
        return _as_output(w @ G, st.mode)
    J = np.asarray(param.jacobian(st.theta))                      # (S, A, n), constant
    T = _solve_forward(st, G)                                     # T_1, (S, n)
    for j in range(2, k + 1):
        flat = T.reshape(S, -1)
        PT = _P_times(st.mdp, flat, st.mode)                      # (S, A, n^(j-1))
        U = np.einsum("sai,sak->sik", J, PT).reshape((S, n) + (n,) * (j - 1))
        rhs = st.gamma * _sym_sum(U, j)                           # (S, n, ..., n)
        if j == k:
            return _as_output(np.tensordot(w, rhs, axes=(0, 0)), st.mode)
        T = _solve_forward(st, rhs.reshape(S, -1)).reshape((S,) + (n,) * j)
    raise AssertionError("unreachable")  # pragma: no cover


def frobenius_norm(T, *, squared: bool = False, prec: int | None = None):
    r"""Frobenius norm :math:`\|T\|_F = (\sum T_{i_1\ldots i_k}^2)^{1/2}` of a derivative tensor.

    Parameters
    ----------
    T : ndarray
        Exact (Fractions/ints), float, or ``flint.arb`` entries.
    squared : bool, keyword-only
        Return :math:`\|T\|_F^2`: an exact :class:`~fractions.Fraction` for
        exact ``T`` (no rounding at all).
    prec : int, keyword-only
        Return the norm as a certified ``flint.arb`` ball at ``prec`` bits
        (exact or arb input).  Default: float64 for exact/float input (0.0
        below the float range — use ``prec`` for tiny norms), arb for arb input.
    """
    arr = np.asarray(T, dtype=object)
    flat = arr.reshape(-1)
    is_arb = any(type(x).__name__ == "arb" for x in flat)
    if is_arb:
        from flint import arb, ctx

        old = ctx.prec
        if prec is not None:
            ctx.prec = prec
        try:
            sq = sum((arb(x) * arb(x) for x in flat), arb(0))
            return sq if squared else sq.sqrt()
        finally:
            ctx.prec = old
    if all(is_exact_scalar(x) for x in flat):
        sq = sum((Fraction(x) ** 2 for x in flat), Fraction(0))
        if squared:
            return sq
        if prec is not None:
            from flint import arb, ctx, fmpq

            old = ctx.prec
            ctx.prec = prec
            try:
                return arb(fmpq(sq.numerator, sq.denominator)).sqrt()
            finally:
                ctx.prec = old
        return _sqrt_fraction_float(sq)
    f = np.asarray(T, dtype=np.float64)
    if squared:
        return float(np.sum(f * f))
    if prec is not None:
        raise InvalidParameterError("prec (certified balls) needs exact or arb entries, not floats")
    return float(np.linalg.norm(f.reshape(-1)))


def _sqrt_fraction_float(q: Fraction) -> float:
    """sqrt of a non-negative Fraction as a float, without overflow in the conversion."""
    if q == 0:
        return 0.0
    lg = (math.log(q.numerator) - math.log(q.denominator)) / 2
    if lg < -745:
        return 0.0
    from flint import arb, ctx, fmpq

    old = ctx.prec
    ctx.prec = 80
    try:
        return float(arb(fmpq(q.numerator, q.denominator)).sqrt().mid())
    finally:
        ctx.prec = old


# ---------------------------------------------------------------- the chain (statement C1)
@dataclass(frozen=True)
class ChainDerivativeNorm:
    r"""Norm of a derivative of :math:`V(s_0)` on the vanishing-gradient chain (statement C1).

    Attributes
    ----------
    H : int
    back_move : {"left", "reset"}
        Where :math:`a_2, a_3, a_4` lead (``variant``: its deprecated name).
    order : int
        1 (gradient, Euclidean norm) or 2 (Hessian, Frobenius norm).
    mode : {"exact", "ball"}
    prec : int or None
        Working precision in bits (ball mode).
    squared_norm : Fraction or flint.arb
        :math:`\|\nabla^k V(s_0)\|^2` (exact in exact mode; a certified ball otherwise).
    norm : flint.arb
        Certified enclosure of the norm.
    norm_upper : float
        A float upper bound of the norm (rounded up; 0.0 if below the float range
        only when the enclosure is exactly 0).
    bound : flint.arb
        :math:`(1/3)^{H/4}`.
    below_bound : bool or None
        True if the norm's enclosure lies below the bound's, False if above,
        None if the balls overlap.
    in_stated_range : bool
        Whether ``k <= H / (40 log(2H)) - 1`` (natural log), the range of the
        derivative claim of Prop. 10.1.
    seconds : float
        Wall-clock time of the computation.
    """

    H: int
    back_move: str
    order: int
    mode: str
    prec: int | None
    squared_norm: object
    norm: object
    norm_upper: float
    bound: object
    below_bound: bool | None
    in_stated_range: bool
    seconds: float

    @property
    def variant(self) -> str:
        """Deprecated name of :attr:`back_move`."""
        import warnings

        warnings.warn("ChainDerivativeNorm.variant is deprecated; use back_move", DeprecationWarning, stacklevel=2)
        return self.back_move


def _chain_inputs(H, theta_a1, variant):
    if isinstance(H, bool) or not isinstance(H, (int, np.integer)) or H < 1:
        raise InvalidParameterError(f"H must be an integer >= 1; got {format_value(H)}")
    H = int(H)
    if variant not in ("left", "reset"):
        raise InvalidParameterError(f"back_move must be 'left' or 'reset'; got {format_value(variant)}")
    N = H + 2
    arr = np.asarray(theta_a1, dtype=object)
    if arr.ndim == 0:
        arr = np.array([arr.item()] * N, dtype=object)
    if arr.shape != (N,):
        raise InvalidParameterError(f"theta_a1 must be a scalar or have shape (H + 2,) = ({N},); got {arr.shape}")
    p = []
    for s, x in enumerate(arr):
        try:
            q = to_fraction(x, allow_float=True)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"theta_a1[{s}] = {format_value(x)}: {exc}") from None
        if not (0 <= q <= 1):
            raise InvalidParameterError(f"theta_a1[{s}] = {q} must lie in [0, 1] (it is pi(a1|s_{s}))")
        p.append(q)
    s = np.arange(N)
    R = np.minimum(s + 1, N - 1)
    L = np.maximum(s - 1, 0) if variant == "left" else np.zeros(N, dtype=np.int64)
    return H, N, p, R, L, Fraction(H, H + 1)


def _chain_bands(N, R, L, diag, right, left, zero):
    r"""The bands of :math:`M = \mathrm{diag} - \text{(moves)}` on the chain: ``(a, b, c, f)``.

    Row :math:`s` starts from ``diag[s]`` on the diagonal and subtracts
    ``right[s]`` at column ``R[s]`` and ``left[s]`` at column ``L[s]`` (the
    weights of the two moves, e.g. :math:`\gamma p_s` and
    :math:`\gamma(1-p_s)`); every move lands on the diagonal, the
    sub-diagonal ``a[s] = M[s, s-1]``, the super-diagonal ``c[s] = M[s, s+1]``
    or the reset column ``f[s] = M[s, 0]`` (for :math:`s\ge 2`).
    """
    a, b, c, f = [zero] * N, list(diag), [zero] * N, [zero] * N
    for s in range(N):
        for col, val in ((int(R[s]), right[s]), (int(L[s]), left[s])):
            if col == s:
                b[s] = b[s] - val
            elif col == s + 1:
                c[s] = c[s] - val
            elif col == s - 1:
                a[s] = a[s] - val
            elif col == 0:
                f[s] = f[s] - val
            else:  # pragma: no cover - structure guarantees the cases above
                raise AssertionError
    return a, b, c, f


class _ChainSystem:
    r"""Solves with :math:`M = I - \gamma(\mathrm{diag}(p)R + \mathrm{diag}(1-p)L)` in O(N) per right-hand side.

    :math:`M = T + f e_0^\top` with :math:`T` tridiagonal and :math:`f` the
    reset column (zero for the "left" variant).  :math:`T` and :math:`T^\top`
    are diagonally dominant M-matrices, so the Thomas algorithm needs no
    pivoting; the rank-one reset column is handled by Sherman–Morrison.
    Arithmetic is in ``flint.fmpq`` (exact) or ``flint.arb`` (balls).
    """

    def __init__(self, p, gamma, R, L, num):
        N = len(p)
        self.N = N
        zero, one = num(0), num(1)
        g = num(gamma)
        pn = [num(x) for x in p]
        a, b, c, f = _chain_bands(N, R, L, [one] * N, [g * x for x in pn], [g * (one - x) for x in pn], zero)
        self.zero, self.one = zero, one
        self.a, self.b, self.c = a, b, c
        self.f = np.array(f, dtype=object)
        self.has_f = any(x != 0 for x in f)
        if self.has_f:
            self._q = self._thomas(a, b, c, self.f.copy())           # T^{-1} f
            e0 = np.array([one] + [zero] * (N - 1), dtype=object)
            self._qT = self._thomas(self._Ta(), b, self._Tc(), e0)   # T^{-T} e_0
            self._den = one + self._q[0]                             # = 1 + f^T T^{-T} e_0

    def _Ta(self):
        # sub-diagonal of T^T: T^T[i, i-1] = T[i-1, i] = c[i-1]
        return [self.zero] + self.c[:-1]

    def _Tc(self):
        return self.a[1:] + [self.zero]

    @staticmethod
    def _thomas(a, b, c, D):
        """Tridiagonal solve; D has shape (N,) or (N, k) (object arrays); rows are vector-updated."""
        N = len(b)
        cp = [None] * N
        Dp = np.empty_like(D)
        den = b[0]
        cp[0] = c[0] / den
        Dp[0] = D[0] / den
        for i in range(1, N):
            den = b[i] - a[i] * cp[i - 1]
            cp[i] = c[i] / den
            Dp[i] = (D[i] - a[i] * Dp[i - 1]) / den
        X = np.empty_like(D)
        X[N - 1] = Dp[N - 1]
        for i in range(N - 2, -1, -1):
            X[i] = Dp[i] - cp[i] * X[i + 1]
        return X

    def solve(self, D):
        X = self._thomas(self.a, self.b, self.c, D)
        if self.has_f:
            X = X - np.multiply.outer(self._q, X[0]) / self._den if X.ndim == 2 else X - self._q * (X[0] / self._den)
        return X

    def solve_T(self, D):
        Y = self._thomas(self._Ta(), self.b, self._Tc(), D)
        if self.has_f:
            if Y.ndim == 2:
                Y = Y - np.multiply.outer(self._qT, self.f @ Y) / self._den
            else:
                Y = Y - self._qT * ((self.f @ Y) / self._den)
        return Y


def _chain_core(N, p, R, L, gamma, num, order):
    """Gradient (and Hessian) of V(s_0) with respect to p = theta_{., a1} in the field of ``num``."""
    sysm = _ChainSystem(p, gamma, R, L, num)
    zero, one = sysm.zero, sysm.one
    g = num(gamma)
    r_pi = np.array([zero] * (N - 1) + [num(p[N - 1])], dtype=object)
    V = sysm.solve(r_pi)
    e0 = np.array([one] + [zero] * (N - 1), dtype=object)
    w = sysm.solve_T(e0)
    dr = np.array([zero] * (N - 1) + [one], dtype=object)
    c = dr + g * (V[R] - V[L])                       # dr^pi/dp_s + gamma (dP^pi/dp_s V)(s)
    grad = w * c
    if order == 1:
        return grad, None
    eye = np.empty((N, N), dtype=object)
    eye[:] = zero
    for i in range(N):
        eye[i, i] = one
    Z = sysm.solve(eye)                              # M^{-1}
    Y = Z[R, :] - Z[L, :]                            # (R - L) M^{-1}
    Amat = (w[:, None] * Y) * c[None, :]
    Hess = g * (Amat + Amat.T)
    return grad, Hess


def _int_tridiagonal_solve(a, b, c, y):
    r"""``(X, det)`` with :math:`T^{-1}y = X/\det T` for an integer tridiagonal ``T``, fraction-free.

    With the continuants :math:`\theta_i = b_i\theta_{i-1} - a_i c_{i-1}\theta_{i-2}`
    (the leading principal minors, :math:`\theta_{-1} = 1`), the forward sweep
    :math:`Z_i = y_i\theta_{i-1} - a_i Z_{i-1}` and the back substitution
    :math:`X_i = (Z_i\det T - c_i\theta_{i-1}X_{i+1})/\theta_i` are integer
    (Cramer: :math:`X = \operatorname{adj}(T)\,y`), the divisions exact.  None
    when a minor vanishes or a division is not exact (the caller then takes
    the rational route).
    """
    N = len(b)
    theta = [None] * N
    Z = [None] * N
    prev2, prev = 0, 1  # theta_{i-2}, theta_{i-1}
    for i in range(N):
        t = b[i] * prev - (a[i] * c[i - 1] * prev2 if i else 0)
        Z[i] = y[i] * prev - (a[i] * Z[i - 1] if i else 0)
        theta[i] = t
        prev2, prev = prev, t
    det = theta[N - 1]
    if any(t == 0 for t in theta):
        return None
    X = [None] * N
    X[N - 1] = Z[N - 1]
    for i in range(N - 2, -1, -1):
        q, r = divmod(Z[i] * det - c[i] * (theta[i - 1] if i else 1) * X[i + 1], theta[i])
        if r != 0:
            return None
        X[i] = q
    return X, det


def _chain_gradient_sq_exact(N, p, R, L, H):
    r""":math:`\|\nabla V(s_0)\|^2` on the chain as an exact ``fmpq``, in integers (no rational reductions).

    The same rational as the sum of the squares of :func:`_chain_core`'s exact
    gradient: every row :math:`s` of :math:`M` is scaled by
    :math:`D_s = (H+1)\,\mathrm{den}(p_s)` to an integer matrix
    :math:`K = DM = T + f e_0^\top` (``f`` the reset column), :math:`V = K^{-1}Dr^\pi`
    and :math:`w = D K^{-\top}e_0` by :func:`_int_tridiagonal_solve` and
    Sherman–Morrison over a common denominator, and
    :math:`\sum_s (w_s c_s)^2` is one integer sum over one denominator, reduced
    once.  None when the integer route declines (see :func:`_int_tridiagonal_solve`).
    """
    from flint import fmpq, fmpz

    Hz = fmpz(H)
    Ds, gp, gq = [], [], []
    for x in p:
        k, q = fmpz(x.numerator), fmpz(x.denominator)
        Ds.append((Hz + 1) * q)
        gp.append(Hz * k)            # D_s * gamma * p_s
        gq.append(Hz * (q - k))      # D_s * gamma * (1 - p_s)
    zero = fmpz(0)
    a, b, c, f = _chain_bands(N, R, L, list(Ds), gp, gq, zero)
    has_f = any(x != 0 for x in f)
    # V = K^{-1} (D r_pi): r_pi = p at the last state only
    y = [zero] * (N - 1) + [Ds[N - 1] * fmpz(p[N - 1].numerator) // fmpz(p[N - 1].denominator)]
    sol = _int_tridiagonal_solve(a, b, c, y)
    if sol is None:
        return None
    X, det = sol
    if has_f:
        solf = _int_tridiagonal_solve(a, b, c, f)
        if solf is None:
            return None
        F, _ = solf
        NV = [x * (det + F[0]) - fi * X[0] for x, fi in zip(X, F)]
        dV = det * (det + F[0])
    else:
        NV, dV = X, det
    # w = D K^{-T} e0, K^T = T^T + e0 f^T: K^{-T} e0 = G / (det + f.G) with T^{-T} e0 = G / det
    e0 = [fmpz(1)] + [zero] * (N - 1)
    solT = _int_tridiagonal_solve([zero] + c[:-1], b, a[1:] + [zero], e0)
    if solT is None:
        return None
    G, detT = solT
    dW = detT + sum((fi * gi for fi, gi in zip(f, G)), zero) if has_f else detT
    NW = [d * g for d, g in zip(Ds, G)]
    # c_s = [s = N-1] + gamma (V[R(s)] - V[L(s)]) = NC_s / ((H+1) dV)
    total = zero
    for s in range(N):
        nc = Hz * (NV[int(R[s])] - NV[int(L[s])])
        if s == N - 1:
            nc += (Hz + 1) * dV
        t = NW[s] * nc
        total += t * t
    den = dW * (Hz + 1) * dV
    return fmpq(total, den * den)


def _chain_gradient_parts(N, p, gamma, R, L, num):
    r"""``(system, gamma, w, c, grad)`` of the chain's gradient :math:`\nabla V(s_0) = w\odot c`.

    :math:`V = M^{-1}r^\pi` (reward at the last state only),
    :math:`w = M^{-\top}e_0` and the Bellman coefficients
    :math:`c = \partial r^\pi + \gamma(V_R - V_L)`, in the arithmetic ``num``.
    """
    sysm = _ChainSystem(p, gamma, R, L, num)
    zero, one = sysm.zero, sysm.one
    g = num(gamma)
    V = sysm.solve(np.array([zero] * (N - 1) + [num(p[N - 1])], dtype=object))
    w = sysm.solve_T(np.array([one] + [zero] * (N - 1), dtype=object))
    c = np.array([zero] * (N - 1) + [one], dtype=object) + g * (V[R] - V[L])
    return sysm, g, w, c, w * c


def _chain_hessian_sq_ball(N, p, R, L, gamma, num):
    r"""``(grad, sq)``: the gradient of :func:`_chain_core` and a ball enclosing :math:`\|\nabla^2 V(s_0)\|_F^2`.

    Ball arithmetic throughout, so ``sq`` is a certified enclosure of the same
    real number as the sum of the squares of :func:`_chain_core`'s Hessian
    entries (the balls differ, the operations being different).  With
    :math:`A = \mathrm{diag}(w)\,(R - L)\,M^{-1}\mathrm{diag}(c)` the Hessian is
    :math:`\gamma(A + A^\top)` and

    .. math::

        \|\nabla^2 V(s_0)\|_F^2 = \gamma^2\Big[\sum_i (2A_{ii})^2
            + 2\sum_{i<j}(A_{ij} + A_{ji})^2\Big].

    Fewer ball operations than forming the Hessian: :math:`M^{-1}\mathrm{diag}(c)`
    comes from one Thomas sweep on :math:`\mathrm{diag}(c)` (the forward sweep
    keeps only the lower triangle, where row :math:`i` is row :math:`i-1`
    times :math:`-a_i/\mathrm{pivot}_i`; the backward sweep right of the
    diagonal is a scaling), the reset column's Sherman–Morrison term is applied
    to the rows of :math:`(R - L)M^{-1}` only, and the squares are summed over
    the upper triangle by dot products.  About half the ball operations of the
    general route.  None when a pivot contains zero (the caller then takes the
    general route).
    """
    sysm, g, w, c, grad = _chain_gradient_parts(N, p, gamma, R, L, num)
    zero = sysm.zero
    # forward Thomas sweep on diag(c): Dp is lower triangular
    a, b, cc = sysm.a, sysm.b, sysm.c
    ncp = [None] * N  # minus the modified super-diagonal
    Dp = np.empty((N, N), dtype=object)
    den = b[0]
    if den.contains(0):
        return None
    ncp[0] = -(cc[0] / den)
    Dp[0, 0] = c[0] / den
    for i in range(1, N):
        den = b[i] + a[i] * ncp[i - 1]
        if den.contains(0):
            return None
        ncp[i] = -(cc[i] / den)
        Dp[i, :i] = Dp[i - 1, :i] * (-(a[i] / den))
        Dp[i, i] = c[i] / den
    # backward sweep: Z = T^{-1} diag(c)
    Z = np.empty((N, N), dtype=object)
    Z[N - 1] = Dp[N - 1]
    for i in range(N - 2, -1, -1):
        Z[i, :i + 1] = Dp[i, :i + 1] + ncp[i] * Z[i + 1, :i + 1]
        Z[i, i + 1:] = Z[i + 1, i + 1:] * ncp[i]
    del Dp
    Y = Z[R, :] - Z[L, :]                         # (R - L) T^{-1} diag(c)
    if sysm.has_f:                                # M^{-1} = T^{-1} - q e_0^T T^{-1} / den
        q = sysm._q
        Y = Y - np.multiply.outer((q[R] - q[L]) / sysm._den, Z[0])
    del Z
    A = w[:, None] * Y
    del Y
    d = A.diagonal() * 2
    total = d.dot(d)
    off = zero
    for i in range(N - 1):
        s = A[i, i + 1:] + A[i + 1:, i]
        off = off + s.dot(s)
    return grad, (g * g) * (total + 2 * off)


def _chain_hessian_sq_linear(N, p, R, L, gamma, num):
    r"""``(grad, sq)`` like :func:`_chain_hessian_sq_ball` in O(N) ball operations (the semiseparable route).

    Write :math:`M = T + f e_0^\top` with :math:`T` tridiagonal (for the reset
    move every entry of column 0 below the diagonal goes into ``f``, so ``T`` is
    upper bidiagonal).  The Thomas sweep of :math:`T` on :math:`\mathrm{diag}(c)`
    (pivots :math:`\delta_i`, :math:`\nu_i = -T_{i,i+1}/\delta_i`,
    :math:`t_i = -T_{i,i-1}/\delta_i`, :math:`d_i = c_i/\delta_i`) gives, with
    :math:`P_i = \prod_{k<i}\nu_k`, :math:`Q_i = \prod_{1\le k\le i} t_k` and
    :math:`\sigma_j = P_j + t_{j+1}\sigma_{j+1}`,

    .. math::

        (T^{-1}\mathrm{diag}(c))_{ij} = \begin{cases}\alpha_i\beta_j, & i \le j,\\
            \gamma_i\delta_j, & i > j,\end{cases}\qquad
        \alpha_i = 1/P_i,\ \beta_j = d_j\sigma_j,\ \gamma_i = Q_i\sigma_i/P_i,\ \delta_j = d_j/Q_j,

    (the strict lower part is 0 when ``T`` is upper bidiagonal), and
    Sherman–Morrison subtracts :math:`\rho_i\beta_j`,
    :math:`\rho = T^{-1}f/(1 + (T^{-1}f)_0)`.  So in each of the three column
    ranges of row :math:`i` of :math:`A = \mathrm{diag}(w)(R-L)M^{-1}\mathrm{diag}(c)`
    cut at :math:`L(i)` and :math:`R(i)`, :math:`A_{ij} = x_i\beta_j + y_i\delta_j`,
    and :math:`\sum_{ij}A_{ij}^2` and :math:`\sum_{ij}A_{ij}A_{ji}` are sums of
    products of those coefficients with prefix or suffix sums (short ranges
    summed directly).  Then
    :math:`\|\nabla^2 V(s_0)\|_F^2 = 2\gamma^2(\sum_{ij}A_{ij}^2 + \sum_{ij}A_{ij}A_{ji})`.
    Every step is ball arithmetic, so ``sq`` is a certified enclosure (prefix
    and suffix sums of positive terms lose no relative accuracy; signed sums may
    widen the ball, which the caller's precision loop then tightens).  None when
    a pivot or a product contains zero or the chain is not of this shape (the
    caller then takes the O(N^2) route).
    """
    sysm, g, w, cvec, grad = _chain_gradient_parts(N, p, gamma, R, L, num)
    zero, one = sysm.zero, sysm.one
    R = [int(x) for x in R]
    L = [int(x) for x in L]
    a, b, cc = list(sysm.a), list(sysm.b), list(sysm.c)
    f = list(sysm.f)
    has_f = sysm.has_f
    if has_f and N > 1:  # column 0 entirely into f
        f[1], a[1] = f[1] + a[1], zero
    lower = not all(x == 0 for x in a[1:])  # exactly zero (reset) or every entry nonzero (left)
    if lower and any(x.contains(0) for x in a[1:]):
        return None
    if any(x.contains(0) for x in cc[:N - 1]):
        return None
    m = [min(R[i], L[i]) for i in range(N)]
    Mx = [max(R[i], L[i]) for i in range(N)]
    if any(m[i] > m[i + 1] or Mx[i] > Mx[i + 1] for i in range(N - 1)) or any(Mx[i] < i for i in range(N)):
        return None
    # Thomas sweep
    nu, t, d = [zero] * N, [zero] * N, [zero] * N
    den = b[0]
    for i in range(N):
        if i:
            den = b[i] + a[i] * nu[i - 1]
            t[i] = -(a[i] / den)
        if den.contains(0):
            return None
        nu[i] = -(cc[i] / den) if i < N - 1 else zero
        d[i] = cvec[i] / den
    P = [one] * N
    for i in range(1, N):
        P[i] = P[i - 1] * nu[i - 1]
    sig = [zero] * N
    sig[N - 1] = P[N - 1]
    for j in range(N - 2, -1, -1):
        sig[j] = P[j] + t[j + 1] * sig[j + 1]
    alpha = [one / x for x in P]
    beta = [d[j] * sig[j] for j in range(N)]
    if lower:
        Q = [one] * N
        for i in range(1, N):
            Q[i] = Q[i - 1] * t[i]
        gam = [Q[i] * sig[i] * alpha[i] for i in range(N)]
        delta = [d[j] / Q[j] for j in range(N)]
    else:
        gam = [zero] * N
        delta = [zero] * N
    if has_f:
        qf = sysm._thomas(a, b, cc, np.array(f, dtype=object))
        den_sm = one + qf[0]
        if den_sm.contains(0):
            return None
        rho = [x / den_sm for x in qf]
    else:
        rho = [zero] * N
    # row pieces: LL = [0, m), MX = [m, M), UU = [M, N); A_ij = xb beta_j + xd delta_j
    xLL, yLL, xMX, yMX, xUU = ([zero] * N for _ in range(5))
    for i in range(N):
        r, l = R[i], L[i]
        if r == l:
            continue
        drho = rho[r] - rho[l]
        xLL[i] = -(w[i] * drho)
        yLL[i] = w[i] * (gam[r] - gam[l])
        ks, sl = (r, -1) if r > l else (l, 1)  # the larger index is on its lower side in MX
        ksmall, ss = (l, -1) if r > l else (r, 1)
        xMX[i] = w[i] * (ss * alpha[ksmall] - drho)
        yMX[i] = w[i] * (-sl * gam[ks])
        xUU[i] = w[i] * (alpha[r] - alpha[l] - drho)

    def piece(i, j):
        if j < m[i]:
            return xLL[i], yLL[i]
        if j < Mx[i]:
            return xMX[i], yMX[i]
        return xUU[i], zero

    def entry(i, j):
        x, y = piece(i, j)
        return x * beta[j] + (y * delta[j] if lower else zero)

    def sums(seq):
        pre = [zero] * (N + 1)
        for j in range(N):
            pre[j + 1] = pre[j] + seq[j]
        suf = [zero] * (N + 1)
        for j in range(N - 1, -1, -1):
            suf[j] = suf[j + 1] + seq[j]
        return seq, pre, suf

    def isum(S, lo, hi):
        seq, pre, suf = S
        if hi <= lo:
            return zero
        if hi - lo <= 4:
            out = seq[lo]
            for j in range(lo + 1, hi):
                out = out + seq[j]
            return out
        if hi == N:
            return suf[lo]
        if lo == 0:
            return pre[hi]
        return pre[hi] - pre[lo]

    Sbb = sums([x * x for x in beta])
    if lower:
        Sbd = sums([x * y for x, y in zip(beta, delta)])
        Sdd = sums([y * y for y in delta])
    sum1 = zero
    for i in range(N):
        if R[i] == L[i]:
            continue
        for lo, hi, x, y in ((0, m[i], xLL[i], yLL[i]), (m[i], Mx[i], xMX[i], yMX[i]), (Mx[i], N, xUU[i], zero)):
            if hi <= lo:
                continue
            part = x * x * isum(Sbb, lo, hi)
            if lower:
                part = part + 2 * x * y * isum(Sbd, lo, hi) + y * y * isum(Sdd, lo, hi)
            sum1 = sum1 + part
    # sum_{i<j} A_ij A_ji: for j > i, row i is in MX (j < M_i) or UU; row j in LL (i < m_j) or MX
    seqs = {}
    for name, X, Yc in (("LL", xLL, yLL), ("MX", xMX, yMX)):
        seqs[name] = (sums([beta[j] * X[j] for j in range(N)]),
                      sums([delta[j] * X[j] for j in range(N)]) if lower else None,
                      sums([beta[j] * Yc[j] for j in range(N)]),
                      sums([delta[j] * Yc[j] for j in range(N)]) if lower else None)
    marr = np.asarray(m)
    sum2 = zero
    for i in range(N - 1):
        J1 = int(np.searchsorted(marr, i, side="right"))  # row j has i in its LL piece iff j >= J1
        cuts = sorted({i + 1, max(i + 1, min(Mx[i], N)), max(i + 1, min(J1, N)), N})
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            if hi <= lo:
                continue
            xi, yi = piece(i, lo)
            name = "LL" if lo >= J1 else "MX"
            Sbx, Sdx, Sby, Sdy = seqs[name]
            # sum_j (xi b_j + yi d_j)(X_j b_i + Y_j d_i)
            part = xi * beta[i] * isum(Sbx, lo, hi) + xi * delta[i] * isum(Sby, lo, hi) if lower \
                else xi * beta[i] * isum(Sbx, lo, hi)
            if lower:
                part = part + yi * beta[i] * isum(Sdx, lo, hi) + yi * delta[i] * isum(Sdy, lo, hi)
            sum2 = sum2 + part
    diag = zero
    for i in range(N):
        x = entry(i, i)
        diag = diag + x * x
    return grad, 2 * (g * g) * (sum1 + diag + 2 * sum2)


def chain_derivatives(H, theta_a1, *, back_move: str = "left", order: int = 2, prec: int | None = None,
                      variant=None):
    r"""Gradient and Hessian of :math:`V(s_0)` on the chain with respect to :math:`p_s = \theta_{s,a_1}`.

    Returns ``(grad, hess)`` (``hess`` is None for ``order=1``) as object
    arrays of Fractions (``prec=None``) or ``flint.arb`` balls, of shapes
    (H+2,) and (H+2, H+2).  In the direct parameterization's full parameter
    vector (3 per state) these are the entries at the :math:`a_1` coordinates;
    every other entry is 0 (see :func:`chain_gradient_norm`).  ``variant`` is
    the deprecated name of ``back_move``.
    """
    back_move = renamed_keyword("chain_derivatives", "variant", "back_move", old_value=variant,
                                new_value=back_move, default="left")
    H, N, p, R, L, gamma = _chain_inputs(H, theta_a1, back_move)
    if order not in (1, 2):
        raise InvalidParameterError(f"order must be 1 or 2; got {format_value(order)}")
    if prec is None:
        from flint import fmpq

        def num(x):
            x = Fraction(x)
            return fmpq(x.numerator, x.denominator)

        grad, hess = _chain_core(N, p, R, L, gamma, num, order)
        conv = np.frompyfunc(fraction_from_fmpq, 1, 1)
        return conv(grad), (None if hess is None else conv(hess))
    from flint import arb, ctx, fmpq

    old = ctx.prec
    ctx.prec = int(prec)
    try:
        def num(x):
            x = Fraction(x)
            return arb(fmpq(x.numerator, x.denominator))

        return _chain_core(N, p, R, L, gamma, num, order)
    finally:
        ctx.prec = old


def _chain_norm(H, theta_a1, variant, prec, order):
    from flint import arb, ctx, fmpq, fmpq_mat

    t0 = time.perf_counter()
    H, N, p, R, L, gamma = _chain_inputs(H, theta_a1, variant)
    old = ctx.prec
    try:
        if prec is None:
            def num(x):
                x = Fraction(x)
                return fmpq(x.numerator, x.denominator)

            sq = _chain_gradient_sq_exact(N, p, R, L, H) if order == 1 else None
            if sq is None:
                grad, hess = _chain_core(N, p, R, L, gamma, num, order)
                T = grad if order == 1 else hess
                # sum of squares as one 1 x n times n x 1 product: FLINT clears the denominators once
                # (the same rational as the running sum, which reduces a fraction per entry)
                flat = list(T.reshape(-1))
                row = fmpq_mat(1, len(flat), flat)
                sq = (row * row.transpose())[0, 0] if flat else fmpq(0)
            sq_out = fraction_from_fmpq(sq)
            ctx.prec = 128
            norm = arb(sq).sqrt()
            used = None
            mode = EXACT
        else:
            used = int(prec)
            while True:
                ctx.prec = used

                def num(x):
                    x = Fraction(x)
                    return arb(fmpq(x.numerator, x.denominator))

                fast = None
                if order == 2:
                    fast = _chain_hessian_sq_linear(N, p, R, L, gamma, num)
                    if fast is None:
                        fast = _chain_hessian_sq_ball(N, p, R, L, gamma, num)
                sq = arb(0)
                if fast is not None:
                    sq = fast[1]
                else:
                    grad, hess = _chain_core(N, p, R, L, gamma, num, order)
                    T = grad if order == 1 else hess
                    for x in T.reshape(-1):
                        sq += x * x
                norm = sq.sqrt()
                # tighten automatically if the enclosure is loose (results are certified either way)
                if (norm.rad() <= norm.mid().abs_lower() * arb(2) ** -30) or used >= 8 * int(prec):
                    break
                used *= 2
            sq_out = sq
            mode = "ball"
        ctx.prec = max(used or 128, 128)
        bound = arb(fmpq(1, 3)) ** (arb(H) / 4)
        if norm.upper() < bound.lower():
            below = True
        elif norm.lower() > bound.upper():
            below = False
        else:
            below = None
        lim = arb(H) / (40 * arb(2 * H).log()) - 1
        in_range = bool(arb(order) <= lim)
        up = float(norm.upper().mid())
        up = float(np.nextafter(up, np.inf)) if up > 0 or norm.upper() > 0 else 0.0
    finally:
        ctx.prec = old
    return ChainDerivativeNorm(H=H, back_move=variant, order=order, mode=mode, prec=used, squared_norm=sq_out,
                               norm=norm, norm_upper=up, bound=bound, below_bound=below,
                               in_stated_range=in_range, seconds=time.perf_counter() - t0)


def chain_gradient_norm(H, theta_a1, *, back_move: str = "left", prec: int | None = None,
                        variant=None) -> ChainDerivativeNorm:
    r""":math:`\|\nabla_\theta V^{\pi_\theta}(s_0)\|_2` on the vanishing-gradient chain (statement C1, AJKS Prop. 10.1).

    The chain (:func:`mdptheory.families.vanishing_gradient_chain`): states
    :math:`s_0..s_{H+1}`, :math:`\gamma = H/(H+1)`, :math:`a_1` moves right
    (:math:`s_{H+1}` loops, reward 1), :math:`a_2, a_3, a_4` move left
    (``back_move="left"``: to the left neighbour, :math:`s_0` stays) or to
    :math:`s_0` (``"reset"``); direct parameterization
    :math:`\pi(a|s) = \theta_{s,a}` for :math:`a_1..a_3`,
    :math:`\pi(a_4|s) = 1 - \sum`.

    **Only** :math:`\theta_{s,a_1}` **matters.** Since :math:`a_2, a_3, a_4` have
    identical transitions and rewards,
    :math:`P^\pi(\cdot|s) = p_s P(\cdot|s,a_1) + (1-p_s)P(\cdot|s,\mathrm{left})`
    and :math:`r^\pi(s) = p_s r(s,a_1)` with :math:`p_s = \theta_{s,a_1}`:
    :math:`\theta_{s,a_2}, \theta_{s,a_3}` cancel against :math:`\pi(a_4|s)`.
    So :math:`V(\theta) = g(p)` exactly, every derivative tensor of :math:`V` of
    any order is that of :math:`g` placed at the :math:`a_1` coordinates with
    zeros elsewhere, and its Frobenius norm is that of :math:`\nabla^k g`.
    (Verified against :func:`value_hessian` / :func:`value_derivative_tensor`
    on small H in the tests.)

    **Structure.** :math:`M = I - \gamma P^\pi` is tridiagonal plus, for the
    reset variant, a rank-one column; :math:`V = M^{-1}r^\pi` and
    :math:`w^\top = e_{s_0}^\top M^{-1}` cost O(H) each (Thomas algorithm +
    Sherman–Morrison), and

    .. math::

        \frac{\partial V(s_0)}{\partial p_s} = w(s)\Big(\mathbf{1}[s = s_{H+1}]
            + \gamma\big(V(R(s)) - V(L(s))\big)\Big),

    :math:`R(s), L(s)` the right and left successors.  Total O(H).

    Parameters
    ----------
    H : int
    theta_a1 : rational or array_like of shape (H + 2,)
        :math:`\pi(a_1|s)` (one value for all states, or per state); floats
        are read as their shortest decimal.  Prop. 10.1 assumes
        :math:`0 < \theta_{s,a_1} < 1/4`.
    back_move : {"left", "reset"}, keyword-only
        Where :math:`a_2, a_3, a_4` lead.
    prec : int, optional, keyword-only
        ``None``: exact rationals (FLINT fmpq), the squared norm returned
        exactly.  An integer: certified arb balls at that many bits (doubled
        automatically, up to 8x, while the enclosure is loose).
    variant : {"left", "reset"}, keyword-only
        Deprecated name of ``back_move`` (``DeprecationWarning``).

    Returns
    -------
    ChainDerivativeNorm

    Examples
    --------
    >>> res = chain_gradient_norm(600, "1/5", prec=256)
    >>> res.below_bound, res.in_stated_range
    (True, True)
    """
    back_move = renamed_keyword("chain_gradient_norm", "variant", "back_move", old_value=variant,
                                new_value=back_move, default="left")
    return _chain_norm(H, theta_a1, back_move, prec, 1)


def chain_hessian_norm(H, theta_a1, *, back_move: str = "left", prec: int | None = DEFAULT_CHAIN_PREC,
                       variant=None) -> ChainDerivativeNorm:
    r""":math:`\|\nabla^2_\theta V^{\pi_\theta}(s_0)\|_F` on the vanishing-gradient chain (statement C1).

    As in :func:`chain_gradient_norm`, only :math:`p_s = \theta_{s,a_1}` matters and

    .. math::

        \frac{\partial^2 V(s_0)}{\partial p_i\partial p_j}
          = \gamma\big[w_i\,Y_{ij}\,c_j + w_j\,Y_{ji}\,c_i\big],\qquad
        Y = (R - L)M^{-1},\quad c_j = \mathbf{1}[j = s_{H+1}] + \gamma(V(R(j)) - V(L(j))),

    (the general Hessian formula of :func:`value_hessian` with
    :math:`\nabla^2\pi = 0` and :math:`\partial_j V = c_j M^{-1}e_j`).
    In ball mode the squared norm is summed in O(H) ball operations from the
    semiseparable form of :math:`M^{-1}` (the inverse of a tridiagonal matrix
    is rank one above and below the diagonal; the reset column adds a rank-one
    term), without forming the Hessian; when a generator of that form vanishes
    (some :math:`\theta_{s,a_1}` equal to 0 or 1) the Hessian is formed from
    N Thomas sweeps instead, O(H^2) ball operations.  Either way the result is
    a certified enclosure of the same number; the balls of different routes
    differ slightly.  The default is ball arithmetic at 256 bits;
    ``prec=None`` runs exactly through the Hessian's entries, which at
    H ≈ 900 stores ~10^6 rationals of ~10^4 bits (slow; fine for small H).
    ``variant`` is the deprecated name of ``back_move``.
    """
    back_move = renamed_keyword("chain_hessian_norm", "variant", "back_move", old_value=variant,
                                new_value=back_move, default="left")
    return _chain_norm(H, theta_a1, back_move, prec, 2)
