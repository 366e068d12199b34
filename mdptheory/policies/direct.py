r"""The direct parameterization :math:`\pi_\theta(a|s) = \theta_{s,a}` (AJKS Ch. 10, statement C1).

Each state has :math:`A - 1` free parameters; the last action takes the rest:

.. math::

    \pi_\theta(a|s) = \theta_{s,a} \ (a < A-1), \qquad
    \pi_\theta(A-1|s) = 1 - \sum_{a<A-1}\theta_{s,a},

``n_params = S (A - 1)``, ``theta[s * (A - 1) + a]`` = :math:`\theta_{s,a}`.
The policy is affine in :math:`\theta`: the Jacobian is the constant
:math:`\partial\pi(a|s)/\partial\theta_{s,b} = \mathbf{1}[a=b] - \mathbf{1}[a=A-1]`
and all second derivatives vanish, so :math:`V^{\pi_\theta}` is a rational
function of :math:`\theta` and every quantity is exact for rational
:math:`\theta`.

Since the last action absorbs the remainder, :math:`\sum_a\partial\pi(a|s) = 0`
and baselines stay unbiased (statement B2), unlike unconstrained direct
parameters.  The score :math:`\nabla\log\pi = \nabla\pi/\pi` exists only where
:math:`\pi(a|s) > 0`; where :math:`\pi(a|s) = 0` this module sets it to 0 (such
actions are never taken, so sampled or enumerated estimators never use it), and
``log_probs`` is :math:`-\infty` there.  Gradients use :meth:`Direct.jacobian`,
which exists everywhere.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError
from .base import EXACT_POINT, Parameterization, check_sizes

__all__ = ["Direct"]

_ZERO = Fraction(0)


class Direct(Parameterization):
    r"""Direct (simplex) parameterization with the last action as remainder (statement C1).

    Parameters
    ----------
    n_states, n_actions : int
    atol : float, keyword-only
        Float points only: entries and remainders in ``[-atol, 0)`` are
        accepted as 0 (rounding).  Exact points are checked exactly.

    Raises
    ------
    InvalidParameterError
        From :meth:`probs` (and everything built on it) when
        :math:`\theta_{s,a} < 0` or :math:`\sum_{a<A-1}\theta_{s,a} > 1`, naming
        the state, the action and the value.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from mdptheory.policies import Direct
    >>> Direct(1, 3).probs([F(1, 2), F(1, 3)]).tolist()
    [[Fraction(1, 2), Fraction(1, 3), Fraction(1, 6)]]
    >>> Direct(1, 3).probs([0.5, 0.7])
    Traceback (most recent call last):
    ...
    mdptheory.exceptions.InvalidParameterError: theta gives pi[0, 2] = 1 - (sum of theta[0:2]) = -0.2 < 0: not a policy
    """

    affine = True
    accepts_rational = True

    def __init__(self, n_states, n_actions, *, atol: float = 1e-12):
        S, A = check_sizes(n_states, n_actions)
        self.n_states, self.n_actions = S, A
        self.n_params = S * (A - 1)
        self.atol = float(atol)

    def __repr__(self):
        atol = "" if self.atol == 1e-12 else f", atol={self.atol!r}"
        return f"Direct({self.n_states}, {self.n_actions}{atol})"

    # ------------------------------------------------------------ points
    def from_policy(self, pi) -> np.ndarray:
        """The parameter of a policy: ``pi[:, :A-1]`` flattened (same field as ``pi``)."""
        arr = np.asarray(pi)
        if arr.shape != (self.n_states, self.n_actions):
            raise InvalidParameterError(f"pi must have shape {(self.n_states, self.n_actions)}; got {arr.shape}")
        return arr[:, :-1].reshape(-1).copy()

    def _point(self, theta):
        th, kind = self.check_theta(theta)
        return th, kind == EXACT_POINT

    def _pi(self, th, exact):
        S, A = self.n_states, self.n_actions
        T = th.reshape(S, A - 1)
        last = (Fraction(1) if exact else 1.0) - T.sum(axis=1)
        tol = _ZERO if exact else self.atol
        for s, a in zip(*np.nonzero(T < -tol)):
            raise InvalidParameterError(f"theta[{s * (A - 1) + a}] = pi[{s}, {a}] = {T[s, a]} < 0: not a policy")
        for s in np.nonzero(last < -tol)[0]:
            v = last[s] if exact else float(f"{last[s]:.12g}")
            raise InvalidParameterError(f"theta gives pi[{s}, {A - 1}] = 1 - (sum of theta[{s * (A - 1)}:"
                                        f"{(s + 1) * (A - 1)}]) = {v} < 0: not a policy")
        if exact:
            pi = np.empty((S, A), dtype=object)
            pi[:, :-1] = T
            pi[:, -1] = last
        else:
            pi = np.empty((S, A))
            pi[:, :-1] = np.maximum(T, 0.0)
            pi[:, -1] = np.maximum(last, 0.0)
        return pi

    # ------------------------------------------------------------ interface
    def probs(self, theta) -> np.ndarray:
        r""":math:`\pi_\theta`, shape (S, A); exact for rational ``theta``.  Validates the simplex."""
        th, exact = self._point(theta)
        return self._pi(th, exact)

    def log_probs(self, theta) -> np.ndarray:
        r""":math:`\log\pi_\theta` in float64; :math:`-\infty` where :math:`\pi = 0`."""
        th, exact = self._point(theta)
        pi = self._pi(th, exact)
        if exact:
            f = np.vectorize(lambda x: (math.log(x.numerator) - math.log(x.denominator)) if x > 0 else -math.inf,
                             otypes=[np.float64])
            return f(pi)
        with np.errstate(divide="ignore"):
            return np.log(pi)

    def _J(self, exact):
        S, A = self.n_states, self.n_actions
        one = Fraction(1) if exact else 1.0
        blk = np.zeros((A, A - 1), dtype=object if exact else np.float64)
        if exact:
            blk[:] = _ZERO
        blk[np.arange(A - 1), np.arange(A - 1)] = one
        blk[A - 1, :] = -one
        if exact:
            out = np.full((S, A, S, A - 1), _ZERO, dtype=object)
        else:
            out = np.zeros((S, A, S, A - 1))
        idx = np.arange(S)
        out[idx, :, idx, :] = blk
        return out.reshape(S, A, self.n_params)

    def jacobian(self, theta) -> np.ndarray:
        r"""Constant Jacobian :math:`\partial\pi(a|s)/\partial\theta_{s',b} = \mathbf{1}[s=s'](\mathbf{1}[a=b] - \mathbf{1}[a=A-1])`, shape (S, A, n)."""
        th, exact = self._point(theta)
        self._pi(th, exact)
        return self._J(exact)

    def score(self, theta) -> np.ndarray:
        r""":math:`\nabla\pi(a|s)/\pi(a|s)` where :math:`\pi(a|s) > 0`; 0 where :math:`\pi(a|s) = 0` (convention)."""
        th, exact = self._point(theta)
        pi = self._pi(th, exact)
        J = self._J(exact)
        if exact:
            inv = np.vectorize(lambda x: 1 / x if x != 0 else _ZERO, otypes=[object])(pi)
        else:
            with np.errstate(divide="ignore"):
                inv = np.where(pi > 0, 1.0 / np.where(pi > 0, pi, 1.0), 0.0)
        return J * inv[:, :, None]

    def probs_hessian(self, theta) -> np.ndarray:
        """Zero: the direct parameterization is affine.  Shape (S, A, n, n)."""
        th, exact = self._point(theta)
        self._pi(th, exact)
        S, A, n = self.n_states, self.n_actions, self.n_params
        if exact:
            return np.full((S, A, n, n), _ZERO, dtype=object)
        return np.zeros((S, A, n, n))

    # ------------------------------------------------------------ contractions
    def jacobian_dot_actions(self, theta, c) -> np.ndarray:
        r""":math:`G[s, (s,b)] = c[s,b] - c[s,A-1]`; zero off the block of ``s``."""
        c = self._check_sa(c, "c")
        th, exact = self._point(theta)
        self._pi(th, exact)
        S, A = self.n_states, self.n_actions
        blk = c[:, :-1] - c[:, -1:]
        if exact or blk.dtype == object:
            out = np.full((S, S, A - 1), _ZERO, dtype=object)
        else:
            out = np.zeros((S, S, A - 1), dtype=blk.dtype)
        out[np.arange(S), np.arange(S), :] = blk
        return out.reshape(S, self.n_params)

    def jacobian_vjp(self, theta, C) -> np.ndarray:
        r""":math:`\sum_{s,a}C[s,a,\ldots]\partial\pi(a|s)/\partial\theta_{s,b} = C[s,b,\ldots] - C[s,A-1,\ldots]`."""
        C = self._check_sa(C, "C", (0, 1))
        th, exact = self._point(theta)
        self._pi(th, exact)
        out = C[:, :-1] - C[:, -1:]
        return out.reshape((self.n_params,) + C.shape[2:])

    def score_vjp(self, theta, C) -> np.ndarray:
        r""":math:`\sum_{s,a}C[s,a]\partial\log\pi(a|s)/\partial\theta_{s,b}`, with the score's zero convention."""
        C = self._check_sa(C, "C")
        return np.einsum("sai,sa->i", self.score(theta), C)

    def probs_hessian_vjp(self, theta, W) -> np.ndarray:
        """Zero (n, n): the direct parameterization is affine."""
        self._check_sa(W, "W")
        th, exact = self._point(theta)
        self._pi(th, exact)
        n = self.n_params
        return np.full((n, n), _ZERO, dtype=object) if exact else np.zeros((n, n))
