r"""The common interface of policy parameterizations, and exact points ``LogRational``.

A parameterization maps a flat parameter vector :math:`\theta \in \mathbb{R}^n`
to a policy :math:`\pi_\theta(a|s)`.  Every parameterization in
:mod:`mdptheory.policies` exposes

``n_states, n_actions, n_params``
    sizes; parameter vectors are FLAT 1-D arrays of length ``n_params``;
``probs(theta) -> (S, A)``
    :math:`\pi_\theta(a|s)`;
``log_probs(theta) -> (S, A)``
    :math:`\log\pi_\theta(a|s)` in float64 (computed stably, never ``log(0)``
    for softmax-type policies);
``score(theta) -> (S, A, n)``
    :math:`\nabla_\theta \log\pi_\theta(a|s)`;
``jacobian(theta) -> (S, A, n)``
    :math:`\nabla_\theta \pi_\theta(a|s) = \pi_\theta(a|s)\,\nabla_\theta\log\pi_\theta(a|s)`;
``probs_hessian(theta) -> (S, A, n, n)``
    :math:`\nabla^2_\theta \pi_\theta(a|s)`;

and the contractions the gradient code needs, which structured
parameterizations (tabular softmax) implement without dense tensors:

``jacobian_dot_actions(theta, c) -> (S, n)``
    :math:`G[s, i] = \sum_a \partial_i \pi(a|s)\, c[s, a]`;
``jacobian_vjp(theta, C) -> (n, ...)``
    :math:`\sum_{s, a} C[s, a, \ldots]\, \partial_i \pi(a|s)`;
``score_vjp(theta, C) -> (n,)``
    :math:`\sum_{s, a} C[s, a]\, \partial_i \log\pi(a|s)`;
``probs_hessian_vjp(theta, W) -> (n, n)``
    :math:`\sum_{s, a} W[s, a]\, \partial_i\partial_j \pi(a|s)`.

Exactness
---------
A float ``theta`` gives float64 results.  An exact point gives exact
:class:`fractions.Fraction` results wherever the mathematics allows: for the
direct parameterization a rational ``theta``; for softmax-type policies
(:math:`\pi \propto e^{f_\theta/\tau}`) a :class:`LogRational` ``q``, meaning
:math:`\theta = \log q` componentwise, for which :math:`e^{\theta}` is the
rational ``q`` and the policy is ``q`` normalised per state.  The score,
Jacobian and Hessians of softmax depend on :math:`\pi` (and the features) only,
so they are exact at exact points; ``log_probs`` is always float64, since the
logarithm of a rational is irrational.
"""

from __future__ import annotations

import abc
import math
from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from ..fields import exact_array, is_exact_scalar

__all__ = ["LogRational", "Parameterization", "check_sizes", "check_temperature", "FLOAT_POINT",
           "EXACT_POINT", "LOG_RATIONAL_POINT", "COMPLEX_POINT"]

#: Kinds of parameter points returned by :meth:`Parameterization.check_theta`.
FLOAT_POINT = "float"
EXACT_POINT = "exact"
LOG_RATIONAL_POINT = "logq"
COMPLEX_POINT = "complex"


def _log_fraction(x: Fraction) -> float:
    """``log(x)`` for a positive Fraction, valid for numerators and denominators beyond float range."""
    return math.log(x.numerator) - math.log(x.denominator)


class LogRational:
    r"""An exact parameter point :math:`\theta = \log q` with ``q`` positive rationals.

    For softmax-type parameterizations :math:`e^{\theta} = q` is rational, so
    :math:`\pi_\theta` and every derived quantity (score, Jacobian, gradient,
    Fisher matrix) is an exact rational.

    Parameters
    ----------
    q : array_like of positive exact rationals
        Any shape; it is flattened in C order (``q[s, a]`` of a tabular
        softmax becomes ``theta[s * A + a]``).  Entries may be ints,
        :class:`~fractions.Fraction`, ``sympy.Rational``, ``flint.fmpq`` or
        strings such as ``"3/4"``; floats are refused (use a float ``theta``).

    Attributes
    ----------
    q : ndarray of Fraction, shape (n,)

    Raises
    ------
    InvalidParameterError
        If an entry is not an exact rational or is not positive; the message
        names its index.

    Examples
    --------
    >>> from mdptheory.policies import TabularSoftmax, LogRational
    >>> TabularSoftmax(1, 3).probs(LogRational([[1, 2, 5]])).tolist()
    [[Fraction(1, 8), Fraction(1, 4), Fraction(5, 8)]]
    """

    __slots__ = ("q",)

    def __init__(self, q):
        if isinstance(q, LogRational):
            q = q.q
        arr = np.asarray(q, dtype=object)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        arr = exact_array(arr.reshape(-1), name="q")
        for k, x in enumerate(arr):
            if not x > 0:
                raise InvalidParameterError(f"q[{k}] = {x} must be positive (theta = log q)")
        arr.flags.writeable = False
        object.__setattr__(self, "q", arr)

    def __setattr__(self, name, value):
        raise AttributeError("LogRational is immutable")

    def __reduce__(self):
        # pickled by value (worker processes return reports holding LogRational points): rebuilt by the
        # constructor, since the slot cannot be set on an existing object
        return (LogRational, (self.q,))

    @classmethod
    def from_probs(cls, pi) -> "LogRational":
        r"""The point :math:`\theta = \log\pi` of a policy with all entries positive.

        With tabular softmax (temperature 1) it reproduces ``pi`` exactly.
        """
        return cls(pi)

    def __len__(self) -> int:
        return int(self.q.shape[0])

    @property
    def size(self) -> int:
        """Number of parameters."""
        return len(self)

    def to_float(self) -> np.ndarray:
        """:math:`\\log q` in float64 (correct even for huge numerators/denominators)."""
        return np.array([_log_fraction(x) for x in self.q], dtype=np.float64)

    def __eq__(self, other):
        if not isinstance(other, LogRational):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self.q, other.q))

    __hash__ = None

    def __repr__(self):
        """``LogRational([1, "1/2", ...])``: Python that rebuilds the point (a summary beyond 64 entries)."""
        if len(self) > REPR_MAX_PARAMS:
            body = ", ".join(_rational_literal(x) for x in self.q[:6])
            return f"<LogRational of {len(self)} entries: [{body}, ...]>"
        return f"LogRational([{', '.join(_rational_literal(x) for x in self.q)}])"


#: Largest number of entries printed in full by the reprs of points and parameterizations.
REPR_MAX_PARAMS = 64


def _rational_literal(x) -> str:
    """An int literal for integers, a ``"p/q"`` string for other rationals (read back exactly)."""
    q = Fraction(x)
    return str(q.numerator) if q.denominator == 1 else f'"{q}"'


def _is_exact_object_array(arr: np.ndarray) -> bool:
    return arr.dtype == object and arr.size > 0 and all(is_exact_scalar(x) or isinstance(x, str) for x in arr.flat)


class Parameterization(abc.ABC):
    r"""Abstract base of differentiable policy parameterizations :math:`\theta \mapsto \pi_\theta`.

    Subclasses set ``n_states``, ``n_actions``, ``n_params`` and implement
    :meth:`probs`, :meth:`log_probs`, :meth:`score`, :meth:`jacobian` and
    :meth:`probs_hessian`.  The contractions (:meth:`jacobian_dot_actions`,
    :meth:`jacobian_vjp`, :meth:`score_vjp`, :meth:`probs_hessian_vjp`) default
    to dense tensor contractions and are overridden where structure makes
    them cheaper.

    Class attributes
    ----------------
    affine : bool
        :math:`\pi_\theta` is affine in :math:`\theta` (so
        :math:`\nabla^2\pi = 0`): the direct parameterization.
    accepts_log_rational : bool
        :class:`LogRational` points are exact points (softmax family).
    accepts_rational : bool
        Rational ``theta`` arrays are exact points (direct parameterization).
    accepts_complex : bool
        :meth:`probs` accepts complex ``theta`` (analytic continuation, used
        by the complex-step cross-check of :mod:`mdptheory.finite_diff`).
    """

    n_states: int
    n_actions: int
    n_params: int
    affine = False
    accepts_log_rational = False
    accepts_rational = False
    accepts_complex = False

    # ------------------------------------------------------------ validation
    def check_theta(self, theta, *, allow_complex: bool = False):
        """Validate a parameter point and classify it.

        Returns
        -------
        theta : ndarray or LogRational
            float64 array, Fraction object array, complex array or the
            LogRational itself.
        kind : {"float", "exact", "logq", "complex"}

        Raises
        ------
        InvalidParameterError
            Wrong length, non-finite entries (naming the index), or an exact
            point of a kind this parameterization cannot evaluate exactly.
        """
        n = self.n_params
        name = type(self).__name__
        if isinstance(theta, LogRational):
            if not self.accepts_log_rational:
                raise InvalidParameterError(
                    f"{name} has no exact points of the form theta = log q; pass a "
                    f"{'rational theta' if self.accepts_rational else 'float theta'}")
            if len(theta) != n:
                raise InvalidParameterError(f"theta must have n_params = {n} entries; LogRational has {len(theta)}")
            return theta, LOG_RATIONAL_POINT
        try:
            arr = np.asarray(theta)
        except Exception as exc:  # ragged input
            raise InvalidParameterError(f"theta cannot be read as an array: {exc}") from None
        if arr.ndim != 1 or arr.shape[0] != n:
            raise InvalidParameterError(f"theta must be a flat array of shape ({n},) for {name}; got shape {arr.shape}")
        if arr.dtype.kind == "c":
            if not (allow_complex and self.accepts_complex):
                raise InvalidParameterError(f"{name} does not accept complex theta here")
            bad = ~np.isfinite(arr)
            if bad.any():
                k = int(np.argmax(bad))
                raise InvalidParameterError(f"theta[{k}] = {format_value(arr[k])} is not finite")
            return arr.astype(np.complex128), COMPLEX_POINT
        exact_in = arr.dtype.kind in "iu" or _is_exact_object_array(arr)
        if exact_in and self.accepts_rational:
            return exact_array(arr.astype(object), name="theta"), EXACT_POINT
        if arr.dtype == object and _is_exact_object_array(arr) and arr.dtype.kind not in "iu":
            raise InvalidParameterError(
                f"{name}: exp of a rational theta is irrational, so an exact point must be given as "
                "LogRational(q) (theta = log q); pass floats for a float point")
        if arr.dtype.kind not in "fiu" and arr.dtype != object:
            raise InvalidParameterError(f"theta must be real numbers; got dtype {arr.dtype}")
        try:
            out = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidParameterError(f"theta cannot be read as float64: {exc}") from None
        bad = ~np.isfinite(out)
        if bad.any():
            k = int(np.argmax(bad))
            raise InvalidParameterError(f"theta[{k}] = {format_value(out[k])} is not finite")
        return out, FLOAT_POINT

    def is_exact_point(self, theta) -> bool:
        """True if ``theta`` is a point at which this parameterization computes exactly."""
        _, kind = self.check_theta(theta)
        return kind in (EXACT_POINT, LOG_RATIONAL_POINT)

    def float_theta(self, theta) -> np.ndarray:
        """``theta`` as float64 (a LogRational ``q`` becomes ``log q``)."""
        th, kind = self.check_theta(theta)
        if kind == LOG_RATIONAL_POINT:
            return th.to_float()
        if kind == EXACT_POINT:
            return np.array([float(x) for x in th], dtype=np.float64)
        return th

    # ------------------------------------------------------------ interface
    @abc.abstractmethod
    def probs(self, theta) -> np.ndarray:
        r"""Policy :math:`\pi_\theta(a|s)`, shape (S, A)."""

    @abc.abstractmethod
    def log_probs(self, theta) -> np.ndarray:
        r""":math:`\log\pi_\theta(a|s)`, shape (S, A), float64."""

    @abc.abstractmethod
    def score(self, theta) -> np.ndarray:
        r"""Score :math:`\nabla_\theta\log\pi_\theta(a|s)`, shape (S, A, n)."""

    @abc.abstractmethod
    def jacobian(self, theta) -> np.ndarray:
        r"""Jacobian :math:`\nabla_\theta\pi_\theta(a|s)`, shape (S, A, n)."""

    @abc.abstractmethod
    def probs_hessian(self, theta) -> np.ndarray:
        r"""Hessian :math:`\nabla^2_\theta\pi_\theta(a|s)`, shape (S, A, n, n)."""

    # ------------------------------------------------------------ contractions
    def _check_sa(self, c, name, extra_dims=(0,)):
        c = np.asarray(c)
        S, A = self.n_states, self.n_actions
        if c.shape[:2] != (S, A) or (c.ndim - 2) not in extra_dims:
            raise InvalidParameterError(f"{name} must have shape (S, A{', ...' if max(extra_dims) else ''}) "
                                        f"= ({S}, {A}...); got {c.shape}")
        return c

    def jacobian_dot_actions(self, theta, c) -> np.ndarray:
        r""":math:`G[s, i] = \sum_a \partial_{\theta_i}\pi_\theta(a|s)\, c[s, a]`, shape (S, n).

        With ``c = r + gamma P V`` this is :math:`\partial r^\pi + \gamma(\partial P^\pi)V`,
        the right-hand side of the differentiated Bellman system.
        """
        c = self._check_sa(c, "c")
        return np.einsum("sai,sa->si", self.jacobian(theta), c)

    def jacobian_vjp(self, theta, C) -> np.ndarray:
        r""":math:`\sum_{s,a} C[s, a, \ldots]\,\partial_{\theta_i}\pi_\theta(a|s)`, shape (n, ...)."""
        C = self._check_sa(C, "C", (0, 1))
        J = self.jacobian(theta)
        if C.ndim == 2:
            return np.einsum("sai,sa->i", J, C)
        return np.einsum("sai,sak->ik", J, C)

    def score_vjp(self, theta, C) -> np.ndarray:
        r""":math:`\sum_{s,a} C[s, a]\,\partial_{\theta_i}\log\pi_\theta(a|s)`, shape (n,)."""
        C = self._check_sa(C, "C")
        return np.einsum("sai,sa->i", self.score(theta), C)

    def probs_hessian_vjp(self, theta, W) -> np.ndarray:
        r""":math:`\sum_{s,a} W[s, a]\,\partial_{\theta_i}\partial_{\theta_j}\pi_\theta(a|s)`, shape (n, n)."""
        W = self._check_sa(W, "W")
        return np.einsum("saij,sa->ij", self.probs_hessian(theta), W)

    def __repr__(self):
        # the named parameterizations print as Python that rebuilds them; this summary is not code
        return f"<{type(self).__name__} S={self.n_states}, A={self.n_actions}, n_params={self.n_params}>"


def check_sizes(n_states, n_actions):
    """Validate the state and action counts of a parameterization."""
    for name, v in (("n_states", n_states), ("n_actions", n_actions)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InvalidParameterError(f"{name} must be a positive integer; got {format_value(v)}")
    return int(n_states), int(n_actions)


def check_temperature(tau):
    """Validate a temperature: a positive finite number (exact or float)."""
    if is_exact_scalar(tau):
        t = Fraction(int(tau.numerator), int(tau.denominator)) if hasattr(tau, "numerator") else Fraction(tau)
        if not t > 0:
            raise InvalidParameterError(f"temperature must be positive; got {format_value(tau)}")
        try:  # float mode divides by float(tau): it must be a positive float too
            ok = 0 < float(t) < math.inf
        except OverflowError:
            ok = False
        if not ok:
            raise InvalidParameterError(f"temperature = {format_value(tau)} is beyond float range")
        return t
    try:
        t = float(tau)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"temperature must be a positive number; got {format_value(tau)}") from None
    if not (math.isfinite(t) and t > 0):
        raise InvalidParameterError(f"temperature must be positive and finite; got {format_value(tau)}")
    return t
