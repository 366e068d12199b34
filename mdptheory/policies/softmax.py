r"""Softmax (energy-based) policies :math:`\pi_\theta(a|s) \propto \exp(f_\theta(s, a)/\tau)`.

:class:`SoftmaxFamily` implements everything from the energy
:math:`f_\theta(s, a)`, its Jacobian :math:`\nabla_\theta f` and (for
non-linear energies) its Hessian:

.. math::

    \log\pi(a|s) = \frac{f(s,a)}{\tau} - \log\sum_b e^{f(s,b)/\tau}, \qquad
    \nabla\log\pi(a|s) = \frac{1}{\tau}\Big(\nabla f(s,a) - \sum_b \pi(b|s)\nabla f(s,b)\Big),

    \nabla^2\log\pi(a|s) = \frac{1}{\tau}\Big(\nabla^2 f(s,a) - \sum_b\pi(b|s)\nabla^2 f(s,b)\Big)
        - \sum_b \pi(b|s)\, \nabla\log\pi(b|s)\nabla\log\pi(b|s)^\top,

    \nabla\pi = \pi\,\nabla\log\pi, \qquad
    \nabla^2\pi = \pi\,(\nabla\log\pi\,\nabla\log\pi^\top + \nabla^2\log\pi).

The log-sum-exp subtracts the per-state maximum, so energies of size 1e3 (and
far beyond) neither overflow nor produce ``log(0)``: ``log_probs`` stays finite
even where ``probs`` underflows to 0.

:class:`TabularSoftmax` (:math:`f(s,a) = \theta_{s,a}`, index ``s*A + a``)
adds the block structure of AJKS Ch. 10 / statement D1,

.. math::

    \frac{\partial\log\pi_\theta(a|s)}{\partial\theta_{s',a'}}
      = \frac{1}{\tau}\mathbf{1}[s=s']\big(\mathbf{1}[a=a'] - \pi(a'|s)\big),

and never builds dense ``(S*A) x (S*A)`` objects in its contractions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from ..fields import exact_array
from .base import (
    LOG_RATIONAL_POINT,
    Parameterization,
    _log_fraction,
    check_sizes,
    check_temperature,
)

__all__ = ["SoftmaxFamily", "TabularSoftmax", "log_softmax", "exact_features"]

_ZERO = Fraction(0)


def log_softmax(z: np.ndarray) -> np.ndarray:
    r"""Row-wise :math:`z - \log\sum_b e^{z_b}` with the row maximum subtracted first.

    Works for float and complex ``z`` (the maximum of the real part is
    subtracted).  Finite for any finite input: no overflow, no ``log(0)``.
    """
    m = np.max(z.real, axis=-1, keepdims=True)
    y = z - m
    return y - np.log(np.sum(np.exp(y), axis=-1, keepdims=True))


def _exact_normalise(w: np.ndarray) -> np.ndarray:
    tot = w.sum(axis=1)
    return w / tot[:, None]


class SoftmaxFamily(Parameterization):
    r"""Base of policies :math:`\pi_\theta(a|s) \propto \exp(f_\theta(s,a)/\tau)`.

    Subclasses implement ``energy(theta) -> (S, A)`` and
    ``energy_jacobian(theta) -> (S, A, n)``; non-linear energies set
    ``energy_is_linear = False`` and implement ``energy_hessian``.  Exact
    points (:class:`LogRational`) need ``_exact_weights(q)``, the rational
    values of :math:`e^{f}` at :math:`\theta = \log q`, and
    ``_exact_energy_jacobian()``; they are exact only at temperature 1.
    """

    accepts_log_rational = True
    accepts_complex = True
    energy_is_linear = True

    def __init__(self, n_states, n_actions, n_params, temperature=1.0):
        self.n_states, self.n_actions = check_sizes(n_states, n_actions)
        self.n_params = int(n_params)
        self.temperature = check_temperature(temperature)
        self._ftau = float(self.temperature)

    # ---------------------------------------------------------------- hooks
    def energy(self, theta) -> np.ndarray:  # pragma: no cover - abstract
        """Energy :math:`f_\\theta(s, a)`, shape (S, A)."""
        raise NotImplementedError

    def energy_jacobian(self, theta) -> np.ndarray:  # pragma: no cover - abstract
        """:math:`\\nabla_\\theta f_\\theta(s, a)`, shape (S, A, n)."""
        raise NotImplementedError

    def energy_hessian(self, theta) -> np.ndarray:
        """:math:`\\nabla^2_\\theta f_\\theta(s, a)`, shape (S, A, n, n) (zero for linear energies)."""
        S, A, n = self.n_states, self.n_actions, self.n_params
        return np.zeros((S, A, n, n))

    def _exact_weights(self, q) -> np.ndarray:
        raise InvalidParameterError(f"{type(self).__name__} has no exact points")

    def _exact_energy_jacobian(self) -> np.ndarray:
        raise InvalidParameterError(f"{type(self).__name__} has no exact points")

    # ---------------------------------------------------------------- points
    def _point(self, theta, allow_complex=False):
        th, kind = self.check_theta(theta, allow_complex=allow_complex)
        if kind == LOG_RATIONAL_POINT:
            if self.temperature != 1:
                raise InvalidParameterError(
                    f"an exact point theta = log q gives a rational policy only at temperature 1; "
                    f"this {type(self).__name__} has temperature {self.temperature}")
            return th, kind, True
        return th, kind, False

    def _pi(self, th, kind):
        if kind == LOG_RATIONAL_POINT:
            w = self._exact_weights(th.q)
            return _exact_normalise(w)
        z = self.energy(th) / self._ftau
        if not np.all(np.isfinite(z)):
            s, a = np.argwhere(~np.isfinite(z))[0]
            raise InvalidParameterError(f"energy/temperature at (s, a) = ({s}, {a}) is {format_value(z[s, a])}, not finite")
        return np.exp(log_softmax(z))

    def _inv_tau(self, exact):
        return Fraction(1) if exact else 1.0 / self._ftau

    def _dF(self, th, kind, exact):
        return self._exact_energy_jacobian() if exact else self.energy_jacobian(th)

    # ---------------------------------------------------------------- interface
    def probs(self, theta) -> np.ndarray:
        r"""Policy :math:`\pi_\theta(a|s)`, shape (S, A).

        Exact (Fractions) at a :class:`LogRational` point; float64 for float
        ``theta``; complex for complex ``theta`` (analytic continuation).
        """
        th, kind, _ = self._point(theta, allow_complex=True)
        return self._pi(th, kind)

    def log_probs(self, theta) -> np.ndarray:
        r""":math:`\log\pi_\theta(a|s)` in float64 (complex for complex ``theta``); finite for finite ``theta``."""
        th, kind, exact = self._point(theta, allow_complex=True)
        if exact:
            pi = self._pi(th, kind)
            return np.vectorize(_log_fraction, otypes=[np.float64])(pi)
        return log_softmax(self.energy(th) / self._ftau)

    def score(self, theta) -> np.ndarray:
        r"""Score :math:`\nabla_\theta\log\pi_\theta(a|s) = (\nabla f(s,a) - E_{b\sim\pi}\nabla f(s,b))/\tau`, shape (S, A, n)."""
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        return self._score(th, kind, exact, pi)

    def _score(self, th, kind, exact, pi):
        dF = self._dF(th, kind, exact)
        mean = np.einsum("sb,sbi->si", pi, dF)
        return (dF - mean[:, None, :]) * self._inv_tau(exact)

    def jacobian(self, theta) -> np.ndarray:
        r"""Jacobian :math:`\nabla_\theta\pi(a|s) = \pi(a|s)\nabla_\theta\log\pi(a|s)`, shape (S, A, n)."""
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        return pi[:, :, None] * self._score(th, kind, exact, pi)

    def _log_hessian_energy_part(self, th, pi, exact):
        if self.energy_is_linear:
            return None
        d2F = self.energy_hessian(th)
        mean = np.einsum("sb,sbij->sij", pi, d2F)
        return (d2F - mean[:, None]) * self._inv_tau(exact)

    def probs_hessian(self, theta) -> np.ndarray:
        r"""Hessian :math:`\nabla^2_\theta\pi(a|s) = \pi(a|s)(\nabla\log\pi\nabla\log\pi^\top + \nabla^2\log\pi)`, shape (S, A, n, n)."""
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        sc = self._score(th, kind, exact, pi)
        F_s = np.einsum("sb,sbi,sbj->sij", pi, sc, sc)
        outer = np.einsum("sai,saj->saij", sc, sc)
        hlog = -F_s[:, None]
        e = self._log_hessian_energy_part(th, pi, exact)
        if e is not None:
            hlog = hlog + e
        return pi[:, :, None, None] * (outer + hlog)

    # ---------------------------------------------------------------- contractions
    def probs_hessian_vjp(self, theta, W) -> np.ndarray:
        r""":math:`\sum_{s,a} W[s,a]\nabla^2\pi(a|s) = \sum_{s,a}\kappa_{sa}(g_{sa}g_{sa}^\top + \nabla^2 f_{sa}/\tau)`.

        Here :math:`g = \nabla\log\pi`, :math:`\omega = W\pi` and
        :math:`\kappa_{sa} = \omega_{sa} - \pi(a|s)\sum_b\omega_{sb}`; cost
        O(S A n^2), no (S, A, n, n) tensor.
        """
        W = self._check_sa(W, "W")
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        sc = self._score(th, kind, exact, pi)
        omega = W * pi
        kappa = omega - pi * omega.sum(axis=1)[:, None]
        out = np.einsum("sa,sai,saj->ij", kappa, sc, sc)
        if not self.energy_is_linear:
            out = out + np.einsum("sa,saij->ij", kappa, self.energy_hessian(th)) * self._inv_tau(exact)
        return out


class TabularSoftmax(SoftmaxFamily):
    r"""Tabular softmax :math:`\pi_\theta(a|s) = e^{\theta_{s,a}/\tau} / \sum_b e^{\theta_{s,b}/\tau}`.

    Parameters
    ----------
    n_states, n_actions : int
    temperature : float or rational, keyword-only
        :math:`\tau > 0` (default 1).  Exact points need :math:`\tau = 1`.

    Notes
    -----
    ``n_params = S * A``; ``theta[s * A + a]`` is :math:`\theta_{s,a}`.  The
    score is block-diagonal (statement D1, AJKS Ch. 10):
    :math:`\partial\log\pi(a|s)/\partial\theta_{s',a'} = \tau^{-1}\mathbf{1}[s=s'](\mathbf{1}[a=a'] - \pi(a'|s))`;
    :meth:`score_blocks` returns the (S, A, A) blocks, and every contraction
    works block by block in O(S A) or O(S A^2).

    Examples
    --------
    >>> from mdptheory.policies import TabularSoftmax, LogRational
    >>> p = TabularSoftmax(1, 2)
    >>> p.probs(LogRational([1, 3])).tolist()
    [[Fraction(1, 4), Fraction(3, 4)]]
    >>> p.score_blocks(LogRational([1, 3]))[0].tolist()
    [[Fraction(3, 4), Fraction(-3, 4)], [Fraction(-1, 4), Fraction(1, 4)]]
    """

    def __init__(self, n_states, n_actions, *, temperature=1.0):
        S, A = check_sizes(n_states, n_actions)
        super().__init__(S, A, S * A, temperature)

    def __repr__(self):
        tau = "" if self.temperature == 1 else f", temperature={self.temperature!r}"
        return f"TabularSoftmax({self.n_states}, {self.n_actions}{tau})"

    def energy(self, theta):
        return theta.reshape(self.n_states, self.n_actions)

    def energy_jacobian(self, theta):
        S, A = self.n_states, self.n_actions
        return np.eye(S * A).reshape(S, A, S * A)

    def _exact_weights(self, q):
        return q.reshape(self.n_states, self.n_actions).copy()

    def _exact_energy_jacobian(self):
        S, A = self.n_states, self.n_actions
        E = np.full((S * A, S * A), _ZERO, dtype=object)
        E[np.diag_indices(S * A)] = Fraction(1)
        return E.reshape(S, A, S * A)

    # ------------------------------------------------------------ structure
    def _blocks_from_pi(self, pi, exact):
        S, A = pi.shape
        eye = np.eye(A, dtype=int)
        if exact:
            eye = eye.astype(object) * Fraction(1)
        return (eye[None, :, :] - pi[:, None, :]) * self._inv_tau(exact)

    def score_blocks(self, theta) -> np.ndarray:
        r"""Per-state score blocks, shape (S, A, A).

        ``blocks[s, a, b]`` = :math:`\partial\log\pi(a|s)/\partial\theta_{s,b}
        = \tau^{-1}(\mathbf{1}[a=b] - \pi(b|s))`; every other entry of the
        score is zero.
        """
        th, kind, exact = self._point(theta)
        return self._blocks_from_pi(self._pi(th, kind), exact)

    def _embed(self, blocks, exact):
        S, A = self.n_states, self.n_actions
        if exact:
            out = np.full((S, A, S, A), _ZERO, dtype=object)
        else:
            out = np.zeros((S, A, S, A), dtype=blocks.dtype)
        idx = np.arange(S)
        out[idx, :, idx, :] = blocks
        return out.reshape(S, A, S * A)

    def _score(self, th, kind, exact, pi):
        return self._embed(self._blocks_from_pi(pi, exact), exact)

    def probs_hessian(self, theta) -> np.ndarray:
        r"""Dense :math:`\nabla^2\pi(a|s)`, shape (S, A, SA, SA); only block (s, s) is non-zero.

        :math:`\partial^2\pi(a|s)/\partial\theta_{s,b}\partial\theta_{s,c}
        = \tau^{-2}\pi(a|s)[u_{ab}u_{ac} - (\mathbf{1}[b=c]\pi_b - \pi_b\pi_c)]`,
        :math:`u_{ab} = \mathbf{1}[a=b]-\pi_b`.  Prefer :meth:`probs_hessian_vjp`.
        """
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        S, A = pi.shape
        U = self._blocks_from_pi(pi, exact)  # (S, A, A), already / tau
        cov = np.einsum("sb,sbi,sbj->sij", pi, U, U)  # = (diag pi - pi pi^T) / tau^2
        blk = pi[:, :, None, None] * (np.einsum("sai,saj->saij", U, U) - cov[:, None])
        if exact:
            out = np.full((S, A, S, A, S, A), _ZERO, dtype=object)
        else:
            out = np.zeros((S, A, S, A, S, A))
        idx = np.arange(S)
        out[idx, :, idx, :, idx, :] = blk
        return out.reshape(S, A, S * A, S * A)

    def jacobian_dot_actions(self, theta, c) -> np.ndarray:
        r""":math:`G[s, (s,b)] = \tau^{-1}\pi(b|s)(c[s,b] - \sum_a\pi(a|s)c[s,a])`; zero off the block of ``s``."""
        c = self._check_sa(c, "c")
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        blk = pi * (c - (pi * c).sum(axis=1)[:, None]) * self._inv_tau(exact)
        S, A = pi.shape
        out = np.full((S, S, A), _ZERO, dtype=object) if (exact or blk.dtype == object) else np.zeros((S, S, A))
        out[np.arange(S), np.arange(S), :] = blk
        return out.reshape(S, S * A)

    def jacobian_vjp(self, theta, C) -> np.ndarray:
        r""":math:`\sum_{s,a} C[s,a,\ldots]\partial\pi(a|s)/\partial\theta_{s,b} = \tau^{-1}\pi(b|s)(C[s,b,\ldots] - \sum_a\pi(a|s)C[s,a,\ldots])`."""
        C = self._check_sa(C, "C", (0, 1))
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        if C.ndim == 2:
            out = pi * (C - (pi * C).sum(axis=1)[:, None])
            return (out * self._inv_tau(exact)).reshape(-1)
        p3 = pi[:, :, None]
        out = p3 * (C - (p3 * C).sum(axis=1)[:, None, :])
        return (out * self._inv_tau(exact)).reshape(self.n_params, C.shape[2])

    def score_vjp(self, theta, C) -> np.ndarray:
        r""":math:`\sum_{s,a} C[s,a]\partial\log\pi(a|s)/\partial\theta_{s,b} = \tau^{-1}(C[s,b] - \pi(b|s)\sum_a C[s,a])`."""
        C = self._check_sa(C, "C")
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        return ((C - pi * C.sum(axis=1)[:, None]) * self._inv_tau(exact)).reshape(-1)

    def probs_hessian_vjp(self, theta, W) -> np.ndarray:
        r"""Block-diagonal :math:`\sum_{s,a}W[s,a]\nabla^2\pi(a|s)`, returned dense (n, n).

        Block ``s`` is :math:`\tau^{-2}[\mathrm{diag}(\omega - \Omega\pi) - \omega\pi^\top - \pi\omega^\top
        + 2\Omega\pi\pi^\top]` with :math:`\omega_a = W[s,a]\pi(a|s)`, :math:`\Omega = \sum_a\omega_a`.
        """
        W = self._check_sa(W, "W")
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        S, A = pi.shape
        om = W * pi
        Om = om.sum(axis=1)[:, None]
        blk = (-np.einsum("sa,sb->sab", om, pi) - np.einsum("sa,sb->sab", pi, om)
               + 2 * Om[:, :, None] * np.einsum("sa,sb->sab", pi, pi))
        diag = om - Om * pi
        ia = np.arange(A)
        blk[:, ia, ia] = blk[:, ia, ia] + diag
        it = self._inv_tau(exact)
        blk = blk * (it * it)
        if exact or blk.dtype == object:
            out = np.full((S, A, S, A), _ZERO, dtype=object)
        else:
            out = np.zeros((S, A, S, A))
        idx = np.arange(S)
        out[idx, :, idx, :] = blk
        return out.reshape(S * A, S * A)

    def fisher_blocks(self, theta, weights=None) -> np.ndarray:
        r"""Per-state blocks :math:`w(s)\,\tau^{-2}(\mathrm{diag}\,\pi_s - \pi_s\pi_s^\top)`, shape (S, A, A).

        With ``weights = d_rho`` this is the block-diagonal Fisher matrix of
        statement E1; ``weights=None`` means 1 for every state.
        """
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        U = self._blocks_from_pi(pi, exact)
        F = np.einsum("sb,sbi,sbj->sij", pi, U, U)
        if weights is not None:
            w = np.asarray(weights, dtype=object if exact else float)
            if w.shape != (self.n_states,):
                raise InvalidParameterError(f"weights must have shape ({self.n_states},); got {w.shape}")
            F = F * w[:, None, None]
        return F


def exact_features(features):
    """Features as an exact Fraction array if every entry is exact (ints, Fractions), else None."""
    arr = np.asarray(features)
    if arr.dtype.kind in "iu":
        return exact_array(arr.astype(object), name="features")
    if arr.dtype == object:
        try:
            return exact_array(arr, name="features")
        except InvalidParameterError:
            return None
    return None

