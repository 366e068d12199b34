r"""The Fisher information of a parameterized policy and minimum-norm solves with it.

For a parameterized policy :math:`\pi_\theta` and a start distribution
:math:`\rho`,

.. math::

    F_\rho(\theta) = \mathbb{E}_{s \sim d_\rho^{\pi_\theta}}\,
    \mathbb{E}_{a \sim \pi_\theta(\cdot|s)}
    \left[\nabla_\theta \log \pi_\theta(a|s)\, \nabla_\theta \log \pi_\theta(a|s)^\top\right]

(AJKS Ch. 10) is :func:`fisher`.  For the tabular softmax :math:`F_\rho` is
block diagonal with one :math:`A \times A` block per state
(:func:`softmax_fisher_blocks`, a :class:`BlockDiagonal`), and
:func:`pinv_solve` gives the minimum-norm solution :math:`F^\dagger g`.

Every function computes in the field of its inputs: exact rationals (object
arrays of :class:`fractions.Fraction`, linear algebra in FLINT's ``fmpq_mat``,
no tolerance and no float anywhere) when the MDP and the policy are exact, and
float64 otherwise.  Parameterizations are objects with ``n_states``,
``n_actions``, ``n_params``, ``probs(theta)`` and ``score(theta)`` (see
:mod:`mdptheory.policies`); ``theta`` is a flat vector.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np

from ._geometry_common import (
    _evaluation,
    _exact_temperature,
    _is_exact_array,
    _policy_and_score,
    _weighted_gram,
)
from .exceptions import InvalidParameterError, NumericalWarning, format_value
from .deprecation import renamed_keyword
from .fields import (
    EXACT,
    exact_array,
    float_array,
    from_fmpq_mat,
    to_fmpq_mat,
)

__all__ = [
    "BlockDiagonal",
    "fisher",
    "softmax_fisher_blocks",
    "pinv_solve",
]


# ---------------------------------------------------------------- exact min-norm solves
def _exact_null_space(Fq):
    """Basis (n, k) of the null space of an fmpq_mat, from its reduced row echelon form."""
    from flint import fmpq, fmpq_mat

    n = Fq.ncols()
    R, rank = Fq.rref()
    pivots = []
    for i in range(rank):
        j = pivots[-1] + 1 if pivots else 0
        while R[i, j] == 0:
            j += 1
        pivots.append(j)
    free = [j for j in range(n) if j not in set(pivots)]
    if not free:
        return None
    N = fmpq_mat(n, len(free))
    for k, j in enumerate(free):
        N[j, k] = fmpq(1)
        for i, p in enumerate(pivots):
            N[p, k] = -R[i, j]
    return N


def _exact_pinv_solve_sym(F, g):
    r"""Exact :math:`F^\dagger g` for a symmetric rational matrix F (object arrays of Fraction).

    With N a basis of :math:`\ker F` (from the reduced row echelon form) and
    :math:`\Pi = I - N (N^\top N)^{-1} N^\top` the orthogonal projection onto
    :math:`\ker F^\perp = \operatorname{range} F` (F is symmetric):
    :math:`F^\dagger g` is the unique solution of :math:`F x = \Pi g` lying in
    :math:`\operatorname{range} F`, i.e. :math:`\Pi x_0` for any solution
    :math:`x_0`.  A particular solution comes from the echelon form of the
    augmented system (free variables set to zero).
    """
    from flint import fmpq_mat

    n = F.shape[0]
    Fq = to_fmpq_mat(F)
    gq = to_fmpq_mat(np.asarray(g, dtype=object).reshape(-1))
    N = _exact_null_space(Fq)
    if N is None:
        return from_fmpq_mat(Fq.solve(gq), (n,))
    NtN = N.transpose() * N

    def project(v):
        return v - N * NtN.solve(N.transpose() * v)

    gr = project(gq)
    aug = fmpq_mat(n, n + 1)
    for i in range(n):
        for j in range(n):
            aug[i, j] = Fq[i, j]
        aug[i, n] = gr[i, 0]
    R, rank = aug.rref()
    x0 = fmpq_mat(n, 1)
    for i in range(rank):
        j = 0
        while R[i, j] == 0:
            j += 1
        x0[j, 0] = R[i, n]
    return from_fmpq_mat(project(x0), (n,))


def _float_pinv_solve_sym(F, g, rcond=None):
    w, U = np.linalg.eigh(F)
    wmax = float(np.max(np.abs(w))) if w.size else 0.0
    if rcond is None:
        rcond = F.shape[0] * np.finfo(float).eps
    keep = np.abs(w) > rcond * wmax
    c = U.T @ g
    c[keep] /= w[keep]
    c[~keep] = 0.0
    return U @ c


# ---------------------------------------------------------------- block-diagonal Fisher
class BlockDiagonal:
    r"""A symmetric block-diagonal matrix with S blocks of size A x A.

    Row/column index ``s * A + a`` (the tabular softmax order).  Exact when the
    blocks hold rationals.

    Parameters
    ----------
    blocks : ndarray, shape (S, A, A)
    pi, d : ndarray, optional
        When given (by :func:`softmax_fisher_blocks`), the blocks are
        :math:`B_s = c\, d(s)(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)` with
        ``c = scale`` and :meth:`pinv_solve` uses the closed form.
    scale : number, optional
        The factor ``c`` above (``1 / temperature**2``).

    Attributes
    ----------
    blocks : ndarray, shape (S, A, A)
    shape : tuple
        ``(S*A, S*A)``.
    is_exact : bool
    """

    def __init__(self, blocks, *, pi=None, d=None, scale=1):
        blocks = np.asarray(blocks, dtype=object if _is_exact_array(blocks) else float)
        if blocks.ndim != 3 or blocks.shape[1] != blocks.shape[2]:
            raise InvalidParameterError(f"blocks must have shape (S, A, A); got {blocks.shape}")
        self.blocks = blocks
        self.is_exact = blocks.dtype == object
        self._pi, self._d, self._scale = pi, d, scale
        S, A, _ = blocks.shape
        self.shape = (S * A, S * A)

    @property
    def n_blocks(self) -> int:
        return self.blocks.shape[0]

    def to_dense(self) -> np.ndarray:
        """The dense ``(S*A, S*A)`` matrix."""
        S, A, _ = self.blocks.shape
        out = np.zeros((S, A, S, A), dtype=self.blocks.dtype)
        if self.is_exact:
            out[...] = Fraction(0)
        idx = np.arange(S)
        out[idx, :, idx, :] = self.blocks
        return out.reshape(S * A, S * A)

    def _as_blocks(self, x, name):
        S, A, _ = self.blocks.shape
        x = np.asarray(x, dtype=object if (self.is_exact and _is_exact_array(x)) else None)
        if x.shape not in ((S * A,), (S, A)):
            raise InvalidParameterError(f"{name} must have shape ({S * A},) or ({S}, {A}); got {x.shape}")
        if not self.is_exact or x.dtype != object:
            x = float_array(x, name=name) if not self.is_exact else exact_array(x, name=name)
        return x.reshape(S, A), x.shape

    def __matmul__(self, x):
        xb, shape = self._as_blocks(x, "x")
        if self.is_exact:
            y = (self.blocks * xb[:, None, :]).sum(axis=2)
        else:
            y = np.einsum("sab,sb->sa", self.blocks, xb)
        return y.reshape(shape)

    def pinv_solve(self, g, *, rcond=None, in_range=False):
        r"""The minimum-norm least-squares solution :math:`F^\dagger g`, block by block.

        For softmax blocks :math:`B = c\,d\,(\operatorname{diag}\pi - \pi\pi^\top)`
        (from :func:`softmax_fisher_blocks`) the closed form is used, exact in
        rationals and vectorized over states.  Let :math:`T = \{a : \pi_a > 0\}`
        (all of it when ``d(s) = 0``: then the block is 0 and so is the answer).
        :math:`\ker B = \{x : x_T \text{ constant}\}` and
        :math:`\operatorname{range} B = \{y : y_{T^c} = 0,\ \mathbf 1^\top y_T = 0\}`.
        Projecting :math:`g` onto the range, :math:`\hat g_T = g_T - \bar g_T`, every
        solution of :math:`B x = \hat g` is
        :math:`x_T = \hat g_T / (c\,d\,\pi_T) + \kappa\mathbf 1` with :math:`x_{T^c}` free,
        since :math:`\pi^\top x = \kappa` and :math:`\operatorname{diag}(\pi)x - \pi\kappa = \hat g/(c d)`.
        The minimum-norm one sets :math:`x_{T^c} = 0` and
        :math:`\kappa = -\operatorname{mean}_{a\in T}\hat g_a/(c\,d\,\pi_a)`:

        .. math::

            B^\dagger g = y - \bar y\,\mathbf 1_T, \qquad
            y_a = \frac{g_a - \bar g_T}{c\, d\, \pi_a}\ (a \in T).

        For other blocks: float uses a batched symmetric eigendecomposition
        (eigenvalues below ``rcond * A * eps * max|eig|`` of each block treated
        as zero); exact uses an exact null-space projection per block.

        Parameters
        ----------
        g : array_like, shape (S*A,) or (S, A)
        rcond : float, optional, keyword-only
            Float generic path only: relative eigenvalue cutoff (default ``A * eps``).
        in_range : bool, optional, keyword-only
            Softmax blocks, float: declare that :math:`\sum_{a\in T} g_a = 0` in
            every state (true of the softmax gradient, statement D2), so the range
            projection :math:`\bar g_T` is exactly 0.  Otherwise the float sum
            is used unless it is within its own rounding; since it is divided
            by :math:`\pi_a`, rounding noise in ``g`` is amplified by
            :math:`1/\pi_a` when some :math:`\pi_a` is tiny (this is the
            conditioning of :math:`F^\dagger`, not of the method).

        Returns
        -------
        ndarray, same shape as ``g``
        """
        gb, shape = self._as_blocks(g, "g")
        S, A, _ = self.blocks.shape
        if self._pi is not None:
            x = _softmax_block_pinv(self._pi, self._d, self._scale, gb, self.is_exact, in_range=in_range)
        elif self.is_exact:
            x = np.empty((S, A), dtype=object)
            for s in range(S):  # generic exact blocks: no closed form
                x[s] = _exact_pinv_solve_sym(self.blocks[s], gb[s])
        else:
            w, U = np.linalg.eigh(self.blocks)
            cut = (A * np.finfo(float).eps if rcond is None else rcond) * np.max(np.abs(w), axis=1, keepdims=True)
            keep = np.abs(w) > cut
            c = np.einsum("sab,sa->sb", U, gb)
            c = np.where(keep, c / np.where(keep, w, 1.0), 0.0)
            x = np.einsum("sab,sb->sa", U, c)
        return x.reshape(shape)

    def __repr__(self):
        S, A, _ = self.blocks.shape
        return f"BlockDiagonal(S={S}, A={A}, exact={self.is_exact})"


def _softmax_block_pinv(pi, d, scale, g, exact, in_range=False):
    r"""Closed-form :math:`B_s^\dagger g_s` for softmax blocks, vectorized over states.

    Float mode divides first: :math:`u_a = g_a / (c\,d\,\pi_a)` on the support
    :math:`T`, then :math:`y_a = u_a - \bar g_T / (c\,d\,\pi_a)` and
    :math:`x = y - \operatorname{mean}_T y` (the same :math:`B^\dagger g` as
    the docstring of :meth:`BlockDiagonal.pinv_solve`).  The range component
    :math:`\bar g_T` is set to exactly 0 when ``in_range`` (the caller knows
    :math:`\mathbf 1^\top g_T = 0`, as for a softmax gradient) or when the
    float sum is within its own rounding, :math:`|\sum_T g| \le (m+2)\varepsilon\sum_T|g|`:
    otherwise that rounding noise, divided by :math:`\pi_a`, swamps the
    answer once some :math:`\pi_a \lesssim 10^{-16}`.  Actions whose
    :math:`c\,d\,\pi_a` underflows below the smallest normal float cannot be
    divided by reliably: they are treated as outside the support (x = 0 there)
    with a NumericalWarning.
    """
    S, A = pi.shape
    support = (pi > 0) & (d[:, None] > 0)
    if exact:
        m = support.sum(axis=1)
        zero = Fraction(0)
        m_obj = np.array([max(int(k), 1) for k in m], dtype=object)
        gs = np.where(support, g, zero)
        gh = np.where(support, g - (gs.sum(axis=1) / m_obj)[:, None], zero)
        den = np.where(support, scale * d[:, None] * pi, Fraction(1))
        y = np.where(support, gh / den, zero)
        x = np.where(support, y - (y.sum(axis=1) / m_obj)[:, None], zero)
        return np.asarray(x, dtype=object)
    den = scale * d[:, None] * pi
    tiny = np.finfo(float).tiny
    lost = support & ~(den >= tiny)
    if lost.any():
        s_, a_ = np.argwhere(lost)[0]
        warnings.warn(
            f"softmax Fisher pseudo-inverse: d(s) pi(a|s) / tau^2 underflows at {int(lost.sum())} entries "
            f"(first at s={s_}, a={a_}: pi = {float(pi[s_, a_]):.3g}, d = {float(d[s_]):.3g}); they are "
            "treated as outside the support; use mode='exact' for the exact pseudo-inverse",
            NumericalWarning, stacklevel=4)
        support = support & ~lost
    m = support.sum(axis=1)
    mf = np.maximum(m, 1)[:, None]
    gs = np.where(support, g, 0.0)
    den = np.where(support, den, 1.0)
    u = np.where(support, gs / den, 0.0)
    if in_range:
        y = u
    else:
        tot = gs.sum(axis=1)
        noise = (m + 2) * np.finfo(float).eps * np.abs(gs).sum(axis=1)
        gbar = np.where(np.abs(tot) <= noise, 0.0, tot / np.maximum(m, 1))
        y = np.where(support, u - gbar[:, None] / den, 0.0)
    return np.where(support, y - y.sum(axis=1, keepdims=True) / mf, 0.0)


def softmax_fisher_blocks(pi, d, *, temperature=1) -> BlockDiagonal:
    r"""The tabular-softmax Fisher matrix in block-diagonal form (statement E1).

    For :math:`\pi_\theta(a|s) \propto \exp(\theta_{s,a}/\tau)` the score is
    :math:`\partial_{\theta_{s',a'}} \log\pi(a|s) = \tau^{-1} 1[s = s'](1[a = a'] - \pi(a'|s))`
    (statement D1 divided by :math:`\tau`), so
    :math:`\mathbb{E}_{a\sim\pi_s}[\nabla\log\pi\nabla\log\pi^\top]` restricted to
    state :math:`s` is :math:`\tau^{-2}(\operatorname{diag}\pi_s - \pi_s\pi_s^\top)`
    and, weighting by the visitation,

    .. math::

        F_\rho = \operatorname{blockdiag}_s\
        \frac{d_\rho(s)}{\tau^2}\left(\operatorname{diag}\pi_s - \pi_s\pi_s^\top\right).

    Parameters
    ----------
    pi : ndarray, shape (S, A)
    d : ndarray, shape (S,)
        The visitation :math:`d_\rho^{\pi}` (``evaluate(mdp, pi).visitation(rho)``).
    temperature : number, keyword-only
        :math:`\tau > 0` (exact when rational).

    Returns
    -------
    BlockDiagonal
        ``.blocks`` is the ``(S, A, A)`` array of blocks; ``.pinv_solve`` uses
        the closed form.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> import numpy as np
    >>> pi = np.array([[F(1, 2), F(1, 2)]], dtype=object)
    >>> softmax_fisher_blocks(pi, np.array([F(1)], dtype=object)).blocks[0].tolist()
    [[Fraction(1, 4), Fraction(-1, 4)], [Fraction(-1, 4), Fraction(1, 4)]]
    """
    exact = _is_exact_array(pi) and _is_exact_array(d)
    if exact:
        pi = exact_array(pi, name="pi")
        d = exact_array(d, name="d")
        tau = _exact_temperature(temperature)
    else:
        pi = float_array(pi, name="pi")
        d = float_array(d, name="d")
        tau = float(temperature)
    if pi.ndim != 2 or d.shape != (pi.shape[0],):
        raise InvalidParameterError(f"pi must have shape (S, A) and d shape (S,); got {pi.shape} and {d.shape}")
    if not tau > 0:
        raise InvalidParameterError(f"temperature must be positive; got {format_value(temperature)}")
    scale = 1 / (tau * tau)
    S, A = pi.shape
    if exact:
        eye = np.array([[Fraction(int(i == j)) for j in range(A)] for i in range(A)], dtype=object)
    else:
        eye = np.eye(A)
    blocks = (scale * d)[:, None, None] * (pi[:, :, None] * eye[None] - pi[:, :, None] * pi[:, None, :])
    return BlockDiagonal(blocks, pi=pi, d=d, scale=scale)


# ---------------------------------------------------------------- dense Fisher
def fisher(mdp, param, theta, *, mu=None, mode=None, rho=None) -> np.ndarray:
    r"""The Fisher information matrix of a parameterized policy (statement E1).

    .. math::

        F_\rho(\theta) = \sum_s d_\rho^{\pi_\theta}(s) \sum_a \pi_\theta(a|s)\,
        \nabla_\theta\log\pi_\theta(a|s)\,\nabla_\theta\log\pi_\theta(a|s)^\top

    (AJKS Ch. 10, the Fisher of the state-action distribution
    :math:`d_\rho^{\pi}(s)\pi(a|s)` with the state distribution held fixed).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
        Any object with ``probs(theta)`` and ``score(theta)``.
    theta : array_like, shape (n_params,)
    mu : array_like, shape (S,), optional, keyword-only
        Start distribution of the visitation (default ``mdp.rho``).
    mode : {"float", "exact"}, optional, keyword-only
        Default: exact when the MDP and ``param.probs(theta)`` are exact.
    rho : array_like, optional, keyword-only
        Deprecated name of ``mu`` (``DeprecationWarning``).

    Returns
    -------
    ndarray, shape (n_params, n_params)
        Dense and symmetric; Fractions in exact mode.  For the tabular softmax
        prefer :func:`softmax_fisher_blocks`.
    """
    mu = renamed_keyword("fisher", "rho", "mu", old_value=rho, new_value=mu)
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(mu)
    S, A, n = score.shape
    nu = (d[:, None] * pi).reshape(-1)
    return _weighted_gram(nu, score.reshape(S * A, n), exact=mode == EXACT)


def pinv_solve(F, g, *, rcond=None) -> np.ndarray:
    r"""The minimum-norm least-squares solution :math:`F^\dagger g` of a symmetric system.

    Parameters
    ----------
    F : ndarray (n, n) or BlockDiagonal
        Symmetric positive semidefinite (a Fisher matrix).
    g : array_like, shape (n,)
    rcond : float, optional, keyword-only
        Float only: eigenvalues of magnitude at most ``rcond * max|eig|`` are
        treated as zero (default ``n * eps``, the rounding level of a
        backward-stable eigensolver).  Exact inputs use no tolerance: the null
        space comes from the exact reduced row echelon form.

    Returns
    -------
    ndarray, shape (n,)
    """
    if isinstance(F, BlockDiagonal):
        return F.pinv_solve(g, rcond=rcond)
    exact = _is_exact_array(F) and _is_exact_array(g)
    F = exact_array(F, name="F") if exact else float_array(F, name="F")
    g = exact_array(g, name="g") if exact else float_array(g, name="g")
    if F.ndim != 2 or F.shape[0] != F.shape[1] or g.shape != (F.shape[0],):
        raise InvalidParameterError(f"F must be square (n, n) and g (n,); got {F.shape} and {g.shape}")
    if exact:
        return _exact_pinv_solve_sym(F, g)
    return _float_pinv_solve_sym(F, g, rcond)
