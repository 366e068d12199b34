r"""Information geometry of parameterized policies: Fisher matrices, natural gradients,
compatible function approximation and the TRPO step.

For a parameterized policy :math:`\pi_\theta` and a start distribution
:math:`\rho`, the Fisher information is

.. math::

    F_\rho(\theta) = \mathbb{E}_{s \sim d_\rho^{\pi_\theta}}\,
    \mathbb{E}_{a \sim \pi_\theta(\cdot|s)}
    \left[\nabla_\theta \log \pi_\theta(a|s)\, \nabla_\theta \log \pi_\theta(a|s)^\top\right]

(AJKS Ch. 10; THEORY E1), and the natural policy gradient direction is the
minimum-norm solution :math:`F_\rho^\dagger \nabla_\theta V^{\pi_\theta}(\rho)`.
For the tabular softmax :math:`F_\rho` is block diagonal with one
:math:`A \times A` block per state (:func:`softmax_fisher_blocks`), and
:math:`F^\dagger \nabla V` has the closed form of AJKS Lemma 10.6
(:func:`npg_closed_form`, THEORY E2).  Compatible function approximation
(AJKS Lemmas 11.1 and 11.2, THEORY F1–F3) is :func:`compatible_fa` and
:func:`q_npg_weights`; the trust-region step of TRPO (THEORY G3) is
:func:`trpo_step`.

Every function computes in the field of its inputs: exact rationals (object
arrays of :class:`fractions.Fraction`, linear algebra in FLINT's ``fmpq_mat``,
no tolerance and no float anywhere) when the MDP and the policy are exact, and
float64 otherwise.

Parameterizations are objects with ``n_states``, ``n_actions``, ``n_params``,
``probs(theta) -> (S, A)`` and ``score(theta) -> (S, A, n_params)`` (see
:mod:`mdptheory.policies`); ``theta`` is a flat vector.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np

from .evaluation import evaluate
from .exceptions import InvalidParameterError, NumericalWarning
from .fields import (
    EXACT,
    FLOAT,
    exact_array,
    float_array,
    from_fmpq_mat,
    is_exact_scalar,
    to_fmpq_mat,
    to_fraction,
)
from .policies.tabular import as_policy, policy_is_exact

__all__ = [
    "BlockDiagonal",
    "CompatibleFit",
    "fisher",
    "softmax_fisher_blocks",
    "pinv_solve",
    "natural_gradient",
    "npg_closed_form",
    "npg_update",
    "compatible_fa",
    "q_npg_weights",
    "trpo_step",
]


# ---------------------------------------------------------------- helpers
def _is_exact_array(a) -> bool:
    a = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
    if a.dtype.kind in "iu":
        return True
    return a.dtype == object and a.size > 0 and all(is_exact_scalar(x) for x in a.flat)


def _exact_temperature(tau) -> Fraction:
    """A temperature as an exact rational (a float is read as its shortest decimal, 1.0 -> 1)."""
    try:
        return to_fraction(tau, allow_float=True)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"temperature = {tau!r}: {exc}") from None


def _resolve_mode(mdp, pi, mode):
    if mode is not None and mode not in (FLOAT, EXACT):
        raise InvalidParameterError(f"mode must be 'float' or 'exact' (or None); got {mode!r}")
    exact_inputs = mdp.is_exact and policy_is_exact(pi)
    if mode is None:
        return EXACT if exact_inputs else FLOAT
    if mode == EXACT and not exact_inputs:
        which = "the MDP" if not mdp.is_exact else "the policy given by theta"
        raise InvalidParameterError(f"mode='exact' needs exact inputs, but {which} holds floats")
    return mode


def _policy_and_score(mdp, param, theta, mode):
    """pi (S, A) and score (S, A, n) of ``param`` at ``theta``, in the field of ``mode``."""
    S, A = mdp.n_states, mdp.n_actions
    if (getattr(param, "n_states", S), getattr(param, "n_actions", A)) != (S, A):
        raise InvalidParameterError(
            f"parameterization is for (S, A) = ({param.n_states}, {param.n_actions}); "
            f"the MDP has ({S}, {A})")
    pi = param.probs(theta)
    mode = _resolve_mode(mdp, pi, mode)
    score = np.asarray(param.score(theta))
    n = int(getattr(param, "n_params", score.shape[-1]))
    if score.shape != (S, A, n):
        raise InvalidParameterError(f"score must have shape (S, A, n_params) = ({S}, {A}, {n}); got {score.shape}")
    if mode == EXACT:
        pi = as_policy(mdp, pi, exact=True)
        score = exact_array(score, name="score")
    else:
        pi = as_policy(mdp, np.asarray(float_array(pi, name="pi")), exact=False)
        score = float_array(score, name="score")
    return pi, score, mode


def _policy_only(mdp, param, theta, mode):
    """pi (S, A) of ``param`` at ``theta`` in the field of ``mode``, without the score."""
    S, A = mdp.n_states, mdp.n_actions
    if (getattr(param, "n_states", S), getattr(param, "n_actions", A)) != (S, A):
        raise InvalidParameterError(
            f"parameterization is for (S, A) = ({param.n_states}, {param.n_actions}); "
            f"the MDP has ({S}, {A})")
    pi = param.probs(theta)
    mode = _resolve_mode(mdp, pi, mode)
    if mode == EXACT:
        return as_policy(mdp, pi, exact=True), mode
    return as_policy(mdp, np.asarray(float_array(pi, name="pi")), exact=False), mode


def _evaluation(mdp, pi, mode):
    if mode == FLOAT and mdp.is_exact:
        mdp = mdp.to_float()
    return evaluate(mdp, pi, mode=mode)


def _weighted_gram(weights, X, Y=None, exact=False):
    r"""``sum_i weights[i] X[i] Y[i]^T`` for X (N, n), Y (N, m), weights (N,)."""
    Y = X if Y is None else Y
    if exact:
        WX = to_fmpq_mat((weights[:, None] * X))
        return from_fmpq_mat(WX.transpose() * to_fmpq_mat(Y))
    return (X * weights[:, None]).T @ Y


def _value_gradient(mdp, param, theta, rho, mode):
    r"""``grad_theta V(rho)`` by implicit differentiation of the Bellman system
    (:func:`mdptheory.gradients.value_gradient`), in the field of ``mode``."""
    from .gradients import value_gradient

    g = np.asarray(value_gradient(mdp, param, theta, mu=rho, mode=mode)).reshape(-1)
    return exact_array(g, name="grad V") if mode == EXACT else float_array(g, name="grad V")


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
            every state (true of the softmax gradient, THEORY D2), so the range
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
    r"""The tabular-softmax Fisher matrix in block-diagonal form (THEORY E1).

    For :math:`\pi_\theta(a|s) \propto \exp(\theta_{s,a}/\tau)` the score is
    :math:`\partial_{\theta_{s',a'}} \log\pi(a|s) = \tau^{-1} 1[s = s'](1[a = a'] - \pi(a'|s))`
    (THEORY D1 divided by :math:`\tau`), so
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
        raise InvalidParameterError(f"temperature must be positive; got {temperature!r}")
    scale = 1 / (tau * tau)
    S, A = pi.shape
    if exact:
        eye = np.array([[Fraction(int(i == j)) for j in range(A)] for i in range(A)], dtype=object)
    else:
        eye = np.eye(A)
    blocks = (scale * d)[:, None, None] * (pi[:, :, None] * eye[None] - pi[:, :, None] * pi[:, None, :])
    return BlockDiagonal(blocks, pi=pi, d=d, scale=scale)


# ---------------------------------------------------------------- dense Fisher
def fisher(mdp, param, theta, *, rho=None, mode=None) -> np.ndarray:
    r"""The Fisher information matrix of a parameterized policy (THEORY E1).

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
    rho : array_like, shape (S,), optional, keyword-only
        Start distribution of the visitation (default ``mdp.rho``).
    mode : {"float", "exact"}, optional, keyword-only
        Default: exact when the MDP and ``param.probs(theta)`` are exact.

    Returns
    -------
    ndarray, shape (n_params, n_params)
        Dense and symmetric; Fractions in exact mode.  For the tabular softmax
        prefer :func:`softmax_fisher_blocks`.
    """
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(rho)
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


def _is_tabular_softmax(param) -> bool:
    try:
        from .policies import TabularSoftmax
    except ImportError:
        return False
    return isinstance(param, TabularSoftmax)


def natural_gradient(mdp, param, theta, *, rho=None, mode=None) -> np.ndarray:
    r"""The natural policy gradient direction :math:`F_\rho(\theta)^\dagger\nabla_\theta V^{\pi_\theta}(\rho)`.

    .. math::

        w = F_\rho^\dagger\, \nabla_\theta V^{\pi_\theta}(\rho)

    (AJKS §10.3; THEORY E2).  The gradient comes from implicit differentiation
    of the Bellman system (:func:`mdptheory.gradients.value_gradient`).  For
    :class:`~mdptheory.policies.TabularSoftmax` the block-diagonal Fisher and its
    closed-form pseudo-inverse are used (never the dense matrix); for other
    parameterizations the dense :func:`fisher` and :func:`pinv_solve`.  In exact
    mode the pseudo-inverse is exact (rational null-space projection).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta : array_like, shape (n_params,)
    rho : array_like, shape (S,), optional, keyword-only
        Used both for the visitation in :math:`F_\rho` and for :math:`V(\rho)`.
    mode : {"float", "exact"}, optional, keyword-only

    Returns
    -------
    ndarray, shape (n_params,)
        For the tabular softmax it equals :func:`npg_closed_form` on the states
        with :math:`d_\rho(s) > 0` and is 0 elsewhere.
    """
    if _is_tabular_softmax(param):
        # block form: no (S, A, S*A) score, memory O(S A^2) (sparse MDPs up to 10^6 states)
        pi, mode = _policy_only(mdp, param, theta, mode)
        ev = _evaluation(mdp, pi, mode)
        d = ev.visitation(rho)
        g = _value_gradient(mdp, param, theta, rho, mode)
        tau = getattr(param, "temperature", 1)
        F = softmax_fisher_blocks(pi, d, temperature=tau)
        # sum_a dV/dtheta_{s,a} = 0 (adding a constant to theta_s leaves pi unchanged):
        # g is in the range of F, so no rounding-level range component is divided by pi
        return F.pinv_solve(g, in_range=True)
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(rho)
    g = _value_gradient(mdp, param, theta, rho, mode)
    S, A, n = score.shape
    nu = (d[:, None] * pi).reshape(-1)
    F = _weighted_gram(nu, score.reshape(S * A, n), exact=mode == EXACT)
    return pinv_solve(F, g)


def npg_closed_form(ev, *, temperature=1, d=None) -> np.ndarray:
    r"""The tabular-softmax NPG direction in closed form (AJKS Lemma 10.6; THEORY E2).

    .. math::

        F_\rho^\dagger \nabla_\theta V(\rho)
        = \frac{\tau}{1-\gamma}\left(A^\pi(s, a) - \frac{1}{|A|}\sum_{a'} A^\pi(s, a')\right)

    With :math:`\nabla_{\theta_{s,a}} V = \tau^{-1}(1-\gamma)^{-1} d(s)\pi(a|s)A(s,a)`
    (Lemma 10.2) and the blocks of :func:`softmax_fisher_blocks`, the equation
    :math:`F w = \nabla V` reads, state by state,
    :math:`(\operatorname{diag}\pi_s - \pi_s\pi_s^\top) w_s = \tau\pi_s A_s/(1-\gamma)`
    (when :math:`d(s) > 0`), whose solutions are
    :math:`w_s = \tau A_s/(1-\gamma) + c_s\mathbf 1` for any :math:`c_s`
    (:math:`\ker = \operatorname{span}\mathbf 1` when :math:`\pi_s > 0`, and
    :math:`\pi_s^\top A_s = 0`).  The lecture states the lemma as
    :math:`(1-\gamma)^{-1}A` (the :math:`\pi`-weighted shift :math:`c_s = 0`);
    the *minimum-norm* solution :math:`F^\dagger\nabla V` removes the plain
    unweighted mean, :math:`c_s = -\tau\,\overline{A_s}/(1-\gamma)`.  Both give
    the same NPG update, since a per-state constant cancels in the softmax.

    Parameters
    ----------
    ev : PolicyEvaluation
        From :func:`mdptheory.evaluate`.
    temperature : number, keyword-only
        :math:`\tau` of the softmax.
    d : ndarray, shape (S,), optional, keyword-only
        If given, states with ``d[s] == 0`` get 0 (as :math:`F^\dagger\nabla V` does).

    Returns
    -------
    ndarray, shape (S, A)
        Exact when ``ev`` is exact and ``temperature`` rational.
    """
    A_ = ev.advantage
    S, nA = A_.shape
    exact = ev.mode == EXACT
    if exact:
        c = _exact_temperature(temperature) / (1 - ev.mdp.gamma)
        w = c * (A_ - (A_.sum(axis=1) / nA)[:, None])
        zero = Fraction(0)
    else:
        Af = float_array(A_, name="A")
        w = float(temperature) / (1.0 - float(ev.mdp.gamma)) * (Af - Af.mean(axis=1, keepdims=True))
        zero = 0.0
    if d is not None:
        d = np.asarray(d)
        if d.shape != (S,):
            raise InvalidParameterError(f"d must have shape ({S},); got {d.shape}")
        w = np.where((d > 0)[:, None], w, zero)
    return w


def npg_update(pi, A, eta, gamma) -> np.ndarray:
    r"""The tabular NPG policy update (AJKS Lemma 10.6 / eq. (0.5); THEORY E2).

    .. math::

        \pi_{t+1}(a|s) = \frac{\pi_t(a|s)\exp(\eta A_t(s,a)/(1-\gamma))}{Z_t(s)}

    computed in log space with the per-state maximum subtracted (no overflow
    for large :math:`\eta A/(1-\gamma)`; actions with :math:`\pi_t = 0` stay at 0).
    The update is in float64 (it is transcendental); ``gamma`` and ``eta`` may be
    exact numbers.

    Parameters
    ----------
    pi : array_like, shape (S, A)
    A : array_like, shape (S, A)
        Advantages :math:`A^{\pi_t}` (any per-state shift gives the same result).
    eta : float
        Step size.
    gamma : float
        Discount factor.

    Returns
    -------
    ndarray, shape (S, A)
    """
    pi = float_array(pi, name="pi")
    A = float_array(A, name="A")
    if pi.shape != A.shape or pi.ndim != 2:
        raise InvalidParameterError(f"pi and A must both be (S, A); got {pi.shape} and {A.shape}")
    g = float(Fraction(gamma)) if is_exact_scalar(gamma) else float(gamma)
    e = float(Fraction(eta)) if is_exact_scalar(eta) else float(eta)
    if not 0 <= g < 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {gamma!r}")
    with np.errstate(divide="ignore"):
        logits = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)) + e * A / (1.0 - g), -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    return w / w.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- compatible function approximation
class CompatibleFit:
    r"""Result of a weighted least-squares fit :math:`w^* = \arg\min_w \mathbb{E}_{\nu}(y - w\cdot\phi)^2`.

    Attributes
    ----------
    w : ndarray, shape (n,)
        The minimum-norm minimiser :math:`M^\dagger b`.
    error : Fraction or float
        :math:`\mathbb{E}_{s\sim d, a\sim\pi}(y(s,a) - w^*\cdot\phi(s,a))^2`.
    gram : ndarray, shape (n, n)
        :math:`M = \mathbb{E}_\nu[\phi\phi^\top]` (the Fisher matrix when
        :math:`\phi` is the score).
    moment : ndarray, shape (n,)
        :math:`b = \mathbb{E}_\nu[\phi\, y]`.
    target : str
        ``"advantage"`` or ``"q"``.
    mode : str
    """

    def __init__(self, w, error, gram, moment, target, mode):
        self.w, self.error, self.gram, self.moment = w, error, gram, moment
        self.target, self.mode = target, mode

    def __repr__(self):
        return f"CompatibleFit(n={self.w.shape[0]}, target={self.target!r}, error={self.error!r}, mode={self.mode!r})"


def compatible_fa(mdp, param, theta, *, rho=None, target="advantage", features=None, mode=None) -> CompatibleFit:
    r"""Compatible function approximation (AJKS Lemmas 11.1, 11.2; THEORY F1, F2).

    .. math::

        w^* = \arg\min_w \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta}
        \left(A^{\pi_\theta}(s,a) - w\cdot\nabla_\theta\log\pi_\theta(a|s)\right)^2

    taken as the minimum-norm minimiser :math:`w^* = F_\rho^\dagger\, \mathbb{E}[\nabla\log\pi\, A]`.
    Since :math:`\mathbb{E}[\nabla\log\pi\,A] = (1-\gamma)\nabla V(\rho)` (policy
    gradient theorem), Lemma 11.1 gives
    :math:`\nabla V(\rho) = (1-\gamma)^{-1}\mathbb{E}[\nabla\log\pi\,(w^*\cdot\nabla\log\pi)]`
    and Lemma 11.2 :math:`F_\rho^\dagger\nabla V(\rho) = w^*/(1-\gamma)` (for the
    minimum-norm minimiser; any minimiser satisfies :math:`F w^* = (1-\gamma)\nabla V`).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta : array_like, shape (n_params,)
    rho : array_like, shape (S,), optional, keyword-only
    target : {"advantage", "q"}, keyword-only
        Regress :math:`A^\pi` or :math:`Q^\pi`.
    features : array_like, shape (S, A, n), optional, keyword-only
        Regressors :math:`\phi(s, a)`; default the score :math:`\nabla\log\pi`
        (the compatible features).  In exact mode float features are taken at
        their exact binary value.
    mode : {"float", "exact"}, optional, keyword-only

    Returns
    -------
    CompatibleFit
    """
    if target not in ("advantage", "q"):
        raise InvalidParameterError(f"target must be 'advantage' or 'q'; got {target!r}")
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    exact = mode == EXACT
    S, A = pi.shape
    if features is None:
        phi = score
    else:
        phi = np.asarray(features)
        if phi.ndim != 3 or phi.shape[:2] != (S, A):
            raise InvalidParameterError(f"features must have shape (S, A, n) with (S, A) = ({S}, {A}); got {phi.shape}")
        if exact:
            if phi.dtype.kind == "f":  # floats are dyadic rationals: their exact binary value
                phi = np.frompyfunc(lambda x: Fraction(float(x)), 1, 1)(phi)
            phi = exact_array(phi, name="features")
        else:
            phi = float_array(phi, name="features")
    n = phi.shape[2]
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(rho)
    y = (ev.advantage if target == "advantage" else ev.Q).reshape(-1)
    nu = (d[:, None] * pi).reshape(-1)
    X = phi.reshape(S * A, n)
    M = _weighted_gram(nu, X, exact=exact)
    b = _weighted_gram(nu, X, y[:, None], exact=exact)[:, 0]
    w = pinv_solve(M, b)
    if exact:
        res = y - (X * w[None, :]).sum(axis=1) if n else y
        err = sum((v * r * r for v, r in zip(nu, res)), Fraction(0))
    else:
        res = y - X @ w
        err = float(nu @ (res * res))
    return CompatibleFit(w, err, M, b, target, mode)


def q_npg_weights(mdp, param, theta, *, rho=None, mode=None) -> CompatibleFit:
    r"""Q-NPG weights for a log-linear policy (AJKS §11.2; THEORY F3).

    .. math::

        w^* = \arg\min_w \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta}
        \left(Q^{\pi_\theta}(s,a) - w\cdot\phi(s,a)\right)^2

    on the raw features :math:`\phi` (minimum-norm minimiser); the update is
    :math:`\theta \leftarrow \theta + \eta w^*`, i.e.
    :math:`\pi \leftarrow \pi\exp(\eta\, w^*\cdot\phi)/Z`.  NPG instead regresses
    :math:`A` on the centred features :math:`\phi - \mathbb{E}_\pi\phi = \nabla\log\pi`
    (:func:`compatible_fa`); the two updates coincide when the compatible error is 0.

    Parameters
    ----------
    mdp : MDP
    param : parameterization with ``features`` of shape (S, A, d)
        A :class:`~mdptheory.policies.LogLinear` policy.
    theta : array_like, shape (d,)
    rho, mode : as in :func:`compatible_fa`

    Returns
    -------
    CompatibleFit
    """
    phi = getattr(param, "_phi_exact", None)  # LogLinear keeps rational features exactly
    if phi is None:
        phi = getattr(param, "features", None)
    if phi is None:
        raise InvalidParameterError("q_npg_weights needs a log-linear parameterization with a 'features' attribute")
    return compatible_fa(mdp, param, theta, rho=rho, target="q", features=phi, mode=mode)


# ---------------------------------------------------------------- TRPO
def trpo_step(g, F, delta, *, convention="half") -> np.ndarray:
    r"""The trust-region step (THEORY G3, AJKS §12.3).

    Solves :math:`\max_\Delta \langle g, \Delta\rangle` subject to
    :math:`\tfrac12\Delta^\top F\Delta \le \delta` (``convention="half"``, the
    second-order expansion of the KL; the default) or
    :math:`\Delta^\top F\Delta \le \delta` (``convention="lecture"``):

    .. math::

        \Delta = \sqrt{\frac{2\delta}{g^\top F^\dagger g}}\, F^\dagger g
        \quad\text{("half")}, \qquad
        \Delta = \sqrt{\frac{\delta}{g^\top F^\dagger g}}\, F^\dagger g
        \quad\text{("lecture")}.

    The constraint is then active: :math:`\tfrac12\Delta^\top F\Delta = \delta`
    (resp. :math:`\Delta^\top F\Delta = \delta`).  The problem is bounded only
    when :math:`g \in \operatorname{range} F` (always so for
    :math:`g = \nabla V` and the Fisher matrix of the same :math:`\rho`);
    otherwise :class:`InvalidParameterError` is raised.

    Parameters
    ----------
    g : array_like, shape (n,)
    F : ndarray (n, n) or BlockDiagonal
        Symmetric positive semidefinite.
    delta : number
        Trust-region radius, > 0.
    convention : {"half", "lecture"}, keyword-only

    Returns
    -------
    ndarray, shape (n,)
        float64 for float inputs.  For exact inputs the entries are exact
        ``sympy`` numbers (rationals times :math:`\sqrt{q}`), so that the
        constraint holds with exact equality.  ``g = 0`` gives the zero step.

    Raises
    ------
    InvalidParameterError
        For a bad convention or radius, or ``g`` outside the range of ``F``.
    """
    if convention not in ("half", "lecture"):
        raise InvalidParameterError(f"convention must be 'half' or 'lecture'; got {convention!r}")
    Fd = F.to_dense() if isinstance(F, BlockDiagonal) else F
    exact = _is_exact_array(Fd) and _is_exact_array(g) and is_exact_scalar(delta)
    if exact:
        g = exact_array(g, name="g").reshape(-1)
        delta = Fraction(delta)
    else:
        g = float_array(g, name="g").reshape(-1)
        delta = float(delta)
    if not delta > 0:
        raise InvalidParameterError(f"delta must be positive; got {delta!r}")
    x = pinv_solve(F if isinstance(F, BlockDiagonal) else Fd, g)
    x = np.asarray(x).reshape(-1)
    Fx = (F @ x) if isinstance(F, BlockDiagonal) else (exact_array(Fd) if exact else float_array(Fd)) @ x
    q = (g * x).sum()
    if exact:
        off = [i for i in range(g.size) if Fx[i] != g[i]]
        if off:
            i = off[0]
            raise InvalidParameterError(
                f"g is not in the range of F (component {i}: (F F^+ g)[{i}] = {Fx[i]} != g[{i}] = {g[i]}); "
                "the trust-region problem is unbounded")
        if q == 0:
            return np.array([Fraction(0)] * g.size, dtype=object)
        import sympy

        c2 = (2 * delta if convention == "half" else delta) / q
        c = sympy.sqrt(sympy.Rational(c2.numerator, c2.denominator))
        return np.array([c * sympy.Rational(v.numerator, v.denominator) for v in x], dtype=object)
    # F x - g is the component of g in the (numerical) null space of F; a
    # backward-stable eigensolver leaves a residual of order n eps (||F|| ||x|| + ||g||)
    Fnorm = float(np.max(np.abs(F.blocks).sum(axis=2))) if isinstance(F, BlockDiagonal) else float(np.linalg.norm(Fd, 1))
    tol = 100.0 * g.size * np.finfo(float).eps * (Fnorm * float(np.linalg.norm(x)) + float(np.linalg.norm(g)))
    resid = float(np.linalg.norm(Fx - g))
    if resid > tol:
        raise InvalidParameterError(
            f"g is not in the range of F (||F F^+ g - g|| = {resid:.3g} > {tol:.3g}, the rounding level); "
            "the trust-region problem is unbounded")
    if q <= 0:
        return np.zeros_like(g)
    c = np.sqrt((2.0 * delta if convention == "half" else delta) / q)
    return c * x
