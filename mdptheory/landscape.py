r"""Value landscapes along paths: :math:`V(\mu)` on a line in parameter space or a segment of policies.

Two kinds of path, both returned as a :class:`PathLandscape` you can call:

* a line in parameter space, :math:`\theta(t) = \theta_0 + t\,u`, for any
  parameterization (:func:`parameter_line`);
* a segment of policies, :math:`\pi(t) = (1-t)\,\pi_0 + t\,\pi_1`
  (:func:`policy_segment`), the direct parameterization's lines.

Along a path,

.. math::

    f(t) = V^{\pi(t)}(\mu), \qquad
    f'(t) = \nabla_\theta V(\mu)\cdot u, \qquad
    f''(t) = u^\top \nabla^2_\theta V(\mu)\, u,

with the gradient and the Hessian's quadratic form from implicit
differentiation of the Bellman system (:mod:`mdptheory.gradients`,
:mod:`mdptheory.derivatives`).  A float ``t`` gives floats; on an *affine*
path (a policy segment or a direct-parameterization line) with an exact MDP
and exact end points, a rational ``t`` (int, :class:`~fractions.Fraction`,
``"1/3"``) gives exact rationals, and :meth:`PathLandscape.symbolic` gives
:math:`f` as a rational function of :math:`t` (sympy):
:math:`f(t) = \mu^\top (I - \gamma P^{\pi(t)})^{-1} r^{\pi(t)}` with
:math:`P^{\pi(t)}, r^{\pi(t)}` affine in :math:`t`.

:func:`check_concavity` and :func:`check_convexity` test the shape of
:math:`f` on an interval and return the violating :math:`t`:

* exact (affine paths): the sign of :math:`f''` on the interval is decided
  from the real roots of the numerator and denominator of the rational
  function :math:`f''`, isolated exactly; a violation comes with a rational
  :math:`t^\ast`, the exact :math:`f''(t^\ast)` and a chord certificate — a
  rational :math:`h` with :math:`f(t^\ast-h) + f(t^\ast+h) - 2f(t^\ast)` of
  the wrong sign, computed from exact policy evaluations (a route that shares
  nothing with the sympy algebra); no violation is a proof on the interval;
* float (any path): :math:`f''` on a grid; a violation is reported when the
  chord test exceeds its rounding allowance; no violation on the grid is
  *not* a proof (``holds`` is None).

Examples
--------
>>> from fractions import Fraction as F
>>> import numpy as np
>>> from mdptheory.families import nonconcave_tree
>>> m = nonconcave_tree()                                    # V = gamma pi(a2|s1) pi(a1|s2)
>>> pi0 = np.array([[F(1, 4), F(3, 4)], [F(3, 4), F(1, 4)]] + [[1, 0]] * 3, dtype=object)
>>> pi1 = np.array([[F(3, 4), F(1, 4)], [F(1, 4), F(3, 4)]] + [[1, 0]] * 3, dtype=object)
>>> f = policy_segment(m, pi0, pi1)
>>> f(0), f(F(1, 2)), f(1)
(Fraction(81, 160), Fraction(9, 40), Fraction(9, 160))
>>> f.symbolic().factor()
9*(2*t - 3)**2/160
>>> c = check_concavity(f)
>>> c.holds, c.violation_t, c.second_derivative
(False, Fraction(0, 1), Fraction(9, 20))
>>> check_convexity(f).holds
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .exceptions import InvalidParameterError, format_value
from .fields import to_fraction

__all__ = ["PathLandscape", "ShapeCheck", "parameter_line", "policy_segment", "check_concavity",
           "check_convexity"]

_EPS = float(np.finfo(np.float64).eps)


def _is_rational_t(t) -> bool:
    return isinstance(t, (int, Fraction, str, np.integer)) and not isinstance(t, (bool, np.bool_))


def _exact_vector(x, name):
    arr = np.asarray(x, dtype=object).reshape(-1)
    try:
        return np.array([to_fraction(v) for v in arr], dtype=object)
    except (TypeError, ValueError):
        return None


class PathLandscape:
    r""":math:`f(t) = V^{\pi(t)}(\mu)` along a path; build with :func:`parameter_line` or :func:`policy_segment`.

    Attributes
    ----------
    mdp : MDP
    param : Parameterization
        The parameterization of the path (:class:`~mdptheory.policies.Direct`
        for a policy segment).
    theta0, direction : ndarray
        :math:`\theta(t) = \theta_0 + t u`.
    mu : ndarray
        The start distribution (default the MDP's ``rho``).
    kind : {"parameter", "policy"}
    is_affine : bool
        :math:`\pi(t)` is affine in :math:`t` (then :math:`f` is a rational function).
    is_exact : bool
        Exact MDP, end points and start distribution on an affine path: rational
        ``t`` gives exact values and :meth:`symbolic` works.
    """

    def __init__(self, mdp, param, theta0, direction, mu, kind):
        self.mdp, self.param, self.kind = mdp, param, kind
        self.is_affine = bool(getattr(param, "affine", False))
        th0, u = _exact_vector(theta0, "theta0"), _exact_vector(direction, "direction")
        mu_q = None if mu is None else _exact_vector(mu, "mu")
        self.is_exact = bool(self.is_affine and mdp.is_exact and th0 is not None and u is not None
                             and (mu is None or mu_q is not None))
        if self.is_exact:
            self.theta0, self.direction = th0, u
            self.mu = mdp.rho if mu is None else mu_q
        else:
            self.theta0 = np.asarray(param.float_theta(theta0), dtype=float)
            self.direction = np.asarray(direction, dtype=float).reshape(-1)
            self.mu = np.asarray(mdp.rho if mu is None else mu, dtype=float)
        if self.direction.shape != (param.n_params,):
            raise InvalidParameterError(f"direction must have shape ({param.n_params},) like theta; got "
                                        f"{self.direction.shape}")
        if self.mu.shape != (mdp.n_states,):
            raise InvalidParameterError(f"mu must have shape ({mdp.n_states},); got {self.mu.shape}")

    # ------------------------------------------------------------ points of the path
    def _mode_t(self, t):
        if self.is_exact and _is_rational_t(t):
            return "exact", to_fraction(t)
        try:
            return "float", float(t)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"t must be a real number; got {format_value(t)}") from None

    def theta(self, t):
        r""":math:`\theta(t) = \theta_0 + t u` (Fractions for a rational ``t`` on an exact path)."""
        mode, tt = self._mode_t(t)
        if mode == "exact":
            return np.array([a + tt * b for a, b in zip(self.theta0, self.direction)], dtype=object)
        return np.asarray(self.theta0, dtype=float) + tt * np.asarray(self.direction, dtype=float)

    def policy(self, t) -> np.ndarray:
        r""":math:`\pi(t)`, shape (S, A)."""
        return self.param.probs(self.theta(t))

    def _mdp_mu(self, mode):
        if mode == "exact":
            return self.mdp, self.mu
        m = self.mdp.to_float() if self.mdp.is_exact else self.mdp
        return m, np.asarray(self.mu, dtype=float)

    def value(self, t):
        r""":math:`f(t) = V^{\pi(t)}(\mu)`: a Fraction for a rational ``t`` on an exact path, else a float."""
        from .evaluation import evaluate

        mode, _ = self._mode_t(t)
        m, mu = self._mdp_mu(mode)
        return evaluate(m, self.policy(t), mode=mode).value(mu)

    __call__ = value

    def values(self, ts) -> np.ndarray:
        """:math:`f` at each ``t`` of ``ts`` in float64 (for plots)."""
        return np.array([float(self.value(float(t))) for t in np.asarray(ts, dtype=float).reshape(-1)])

    def derivative(self, t):
        r""":math:`f'(t) = \nabla_\theta V^{\pi_\theta}(\mu)\cdot u` at :math:`\theta(t)`."""
        from .gradients import value_gradient

        mode, _ = self._mode_t(t)
        m, mu = self._mdp_mu(mode)
        g = value_gradient(m, self.param, self.theta(t), mu=mu, mode=mode)
        return _dot(g, self.direction, mode)

    def second_derivative(self, t):
        r""":math:`f''(t) = u^\top\nabla^2_\theta V^{\pi_\theta}(\mu)\,u` at :math:`\theta(t)` (the Hessian's quadratic form)."""
        from .derivatives import value_hessian

        mode, _ = self._mode_t(t)
        m, mu = self._mdp_mu(mode)
        H = value_hessian(m, self.param, self.theta(t), mu=mu, mode=mode)
        u = self.direction
        if mode == "exact":
            return sum((u[i] * H[i, j] * u[j] for i in range(len(u)) for j in range(len(u)) if u[i] and u[j]),
                       Fraction(0))
        uf = np.asarray(u, dtype=float)
        return float(uf @ np.asarray(H, dtype=float) @ uf)

    # ------------------------------------------------------------ the rational function
    def symbolic(self, t=None):
        r""":math:`f` as a sympy rational function of ``t`` (exact affine paths only).

        :math:`f(t) = \mu^\top(I - \gamma P^{\pi(t)})^{-1} r^{\pi(t)}`, with
        :math:`\pi(t) = \pi(0) + t(\pi(1) - \pi(0))`, solved by sympy and
        reduced with ``cancel``.
        """
        import sympy

        if not self.is_exact:
            raise InvalidParameterError("symbolic() needs an affine path (a policy segment or the direct "
                                        "parameterization) with an exact MDP and exact end points")
        t = sympy.Symbol("t", real=True) if t is None else t
        key = ("sym", t)
        cache = self.__dict__.setdefault("_cache", {})
        if key in cache:
            return cache[key]
        S, A = self.mdp.n_states, self.mdp.n_actions
        pi0 = self.policy(0)
        d = self.policy(1) - pi0
        P = self.mdp.P_dense()
        r = self.mdp.r
        R = sympy.Rational

        def q(x):
            x = Fraction(x)
            return R(x.numerator, x.denominator)

        pit = [[q(pi0[s, a]) + t * q(d[s, a]) for a in range(A)] for s in range(S)]
        g = q(self.mdp.gamma)
        M = sympy.zeros(S, S)
        rv = sympy.zeros(S, 1)
        for s in range(S):
            rv[s] = sum(pit[s][a] * q(r[s, a]) for a in range(A))
            for s2 in range(S):
                M[s, s2] = (1 if s == s2 else 0) - g * sum(pit[s][a] * q(P[s, a, s2]) for a in range(A))
        V = M.LUsolve(rv)
        f = sympy.cancel(sympy.together(sum(q(self.mu[s]) * V[s] for s in range(S))))
        cache[key] = f
        return f

    def check_concavity(self, **kw) -> "ShapeCheck":
        """:func:`check_concavity` of this landscape."""
        return check_concavity(self, **kw)

    def check_convexity(self, **kw) -> "ShapeCheck":
        """:func:`check_convexity` of this landscape."""
        return check_convexity(self, **kw)

    def __repr__(self):
        field_ = "exact" if self.is_exact else "float"
        return (f"PathLandscape(kind={self.kind!r}, param={self.param!r}, S={self.mdp.n_states}, "
                f"A={self.mdp.n_actions}, affine={self.is_affine}, {field_})")


def _dot(g, u, mode):
    if mode == "exact":
        return sum((a * b for a, b in zip(np.asarray(g).reshape(-1), u)), Fraction(0))
    return float(np.asarray(g, dtype=float).reshape(-1) @ np.asarray(u, dtype=float))


# ---------------------------------------------------------------- constructors
def parameter_line(mdp, param, theta0, direction, *, mu=None) -> PathLandscape:
    r"""The landscape :math:`f(t) = V^{\pi_{\theta_0 + t u}}(\mu)` along a line in parameter space.

    Parameters
    ----------
    mdp : MDP
    param : str or Parameterization
        A name (``"softmax"``, ``"direct"``, ``"loglinear"``, …) or an object.
    theta0 : array_like or LogRational, shape (n_params,)
        The point at :math:`t = 0`, in the parameterization's own shape.
    direction : array_like, shape (n_params,)
        :math:`u`; the point at :math:`t = 1` is :math:`\theta_0 + u`.
    mu : array_like, shape (S,), optional, keyword-only
        Start distribution (default ``mdp.rho``).

    Returns
    -------
    PathLandscape
    """
    from .mdp import MDP
    from .policies.names import resolve_parameterization

    if not isinstance(mdp, MDP):
        raise InvalidParameterError(f"mdp must be an MDP; got {type(mdp).__name__}")
    prm = resolve_parameterization(param, n_states=mdp.n_states, n_actions=mdp.n_actions)
    prm.check_theta(theta0)
    if hasattr(theta0, "to_float"):  # a LogRational: theta is log q, irrational in general
        theta0 = theta0.to_float()
    return PathLandscape(mdp, prm, theta0, direction, mu, "parameter")


def policy_segment(mdp, pi0, pi1, *, mu=None) -> PathLandscape:
    r"""The landscape :math:`f(t) = V^{(1-t)\pi_0 + t\pi_1}(\mu)`, :math:`t \in [0, 1]`.

    The segment is the line of the direct parameterization
    (:class:`~mdptheory.policies.Direct`, last action = remainder) through
    :math:`\pi_0` and :math:`\pi_1`; exact policies of an exact MDP give exact
    values at rational ``t`` and :meth:`PathLandscape.symbolic`.

    Parameters
    ----------
    mdp : MDP
    pi0, pi1 : array_like, shape (S, A), or action vectors of length S
    mu : array_like, shape (S,), optional, keyword-only
    """
    from .mdp import MDP
    from .policies.direct import Direct
    from .policies.tabular import as_policy

    if not isinstance(mdp, MDP):
        raise InvalidParameterError(f"mdp must be an MDP; got {type(mdp).__name__}")
    p0, p1 = as_policy(mdp, pi0), as_policy(mdp, pi1)
    S, A = mdp.n_states, mdp.n_actions
    if A < 2:
        raise InvalidParameterError("a policy segment needs at least two actions (with one, every policy is the same)")
    th0 = p0[:, :-1].reshape(-1)
    u = (p1[:, :-1] - p0[:, :-1]).reshape(-1)
    return PathLandscape(mdp, Direct(S, A), th0, u, mu, "policy")


# ---------------------------------------------------------------- shape checks
@dataclass(frozen=True)
class ShapeCheck:
    r"""The outcome of :func:`check_concavity` / :func:`check_convexity` on an interval.

    Attributes
    ----------
    shape : {"concave", "convex"}
    holds : bool or None
        True: proved on the interval (exact sign analysis of :math:`f''`);
        False: a violation with a chord certificate; None: no violation found
        on the float grid (not a proof).
    interval : (a, b)
    violation_t : Fraction or float or None
        A :math:`t^\ast` where :math:`f''` has the wrong sign (the worst grid
        point in float mode).
    second_derivative : Fraction or float or None
        :math:`f''(t^\ast)`.
    chord : dict or None
        ``{"t": t*, "h": h, "f(t-h)", "f(t)", "f(t+h)", "second_difference"}``:
        :math:`f(t^\ast-h) + f(t^\ast+h) - 2f(t^\ast)`, of the wrong sign
        (exact, or beyond ``tolerance`` in float).
    method : str
    tolerance : float or None
        Float mode: the rounding allowance of the chord test.
    details : dict
    """

    shape: str
    holds: bool | None
    interval: tuple
    violation_t: object = None
    second_derivative: object = None
    chord: dict | None = None
    method: str = ""
    tolerance: float | None = None
    details: dict = field(default_factory=dict)

    def __bool__(self):
        raise TypeError("a ShapeCheck has three outcomes: test .holds (True, False or None)")


def check_concavity(landscape: PathLandscape, *, interval=(0, 1), n_grid: int = 33) -> ShapeCheck:
    r"""Is :math:`f(t) = V^{\pi(t)}(\mu)` concave on ``interval``?  See the module notes for the method.

    Parameters
    ----------
    landscape : PathLandscape
    interval : (a, b), keyword-only
        Rational end points for the exact analysis (default [0, 1]).
    n_grid : int, keyword-only
        Grid points of the float analysis (at least 3).
    """
    return _check_shape(landscape, -1, interval, n_grid)


def check_convexity(landscape: PathLandscape, *, interval=(0, 1), n_grid: int = 33) -> ShapeCheck:
    r"""Is :math:`f(t) = V^{\pi(t)}(\mu)` convex on ``interval``?  (:func:`check_concavity` with the sign flipped.)"""
    return _check_shape(landscape, +1, interval, n_grid)


def _check_shape(f, sign, interval, n_grid):
    """sign = -1: concave (f'' <= 0 wanted); +1: convex (f'' >= 0 wanted)."""
    if not isinstance(f, PathLandscape):
        raise InvalidParameterError(f"landscape must be a PathLandscape; got {type(f).__name__}")
    if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 3:
        raise InvalidParameterError(f"n_grid must be an integer >= 3; got {format_value(n_grid)}")
    try:
        a, b = interval
    except (TypeError, ValueError):
        raise InvalidParameterError(f"interval must be a pair (a, b); got {format_value(interval)}") from None
    shape = "concave" if sign < 0 else "convex"
    if f.is_exact and _is_rational_t(a) and _is_rational_t(b):
        a, b = to_fraction(a), to_fraction(b)
        if not a < b:
            raise InvalidParameterError(f"interval must have a < b; got {format_value(interval)}")
        return _check_exact(f, sign, shape, a, b)
    a, b = float(a), float(b)
    if not a < b:
        raise InvalidParameterError(f"interval must have a < b; got {format_value(interval)}")
    return _check_float(f, sign, shape, a, b, int(n_grid))


def _check_exact(f, sign, shape, a, b):
    import sympy

    t = sympy.Symbol("t", real=True)
    f2 = sympy.cancel(sympy.diff(f.symbolic(t), t, 2))
    num, den = sympy.fraction(sympy.together(f2))
    points = {a, b}
    for poly in (num, den):
        p = sympy.Poly(poly, t)
        if p.degree() <= 0:
            continue
        for (lo, hi), _ in p.intervals():
            for x in (lo, hi):
                x = Fraction(int(sympy.numer(x)), int(sympy.denom(x)))
                if a <= x <= b:
                    points.add(x)
    pts = sorted(points)
    tests = pts + [(x + y) / 2 for x, y in zip(pts, pts[1:])]
    worst_t, worst = None, Fraction(0)
    for x in sorted(tests):
        xs = sympy.Rational(x.numerator, x.denominator)
        d = sympy.Rational(den.subs(t, xs))
        if d == 0:
            raise InvalidParameterError(f"f'' has a pole at t = {x} in the interval (the path leaves the policies)")
        val = sympy.Rational(num.subs(t, xs)) / d
        val = Fraction(int(val.p), int(val.q))
        if sign * val < 0 and (worst_t is None or sign * val < sign * worst):
            worst_t, worst = x, val
    method = "exact: sign of f'' = p/q on the interval from the isolated real roots of p and q (sympy)"
    details = {"f''": f2, "test_points": len(tests)}
    if worst_t is None:
        return ShapeCheck(shape, True, (a, b), method=method, details=details)
    return ShapeCheck(shape, False, (a, b), violation_t=worst_t, second_derivative=worst,
                      chord=_exact_chord(f, sign, worst_t, a, b), method=method, details=details)


def _exact_chord(f, sign, t0, a, b):
    """A rational h with f(t0-h) + f(t0+h) - 2 f(t0) of the wrong sign, from exact policy evaluations."""
    room = min(t0 - a, b - t0)
    for k in range(60):
        if room == 0:  # an end point: one-sided chord t0, t0 + h, t0 + 2h (second difference at t0 + h)
            h = (b - a) / 4 / 2 ** k
            c = t0 + h if t0 == a else t0 - h
        else:
            h, c = room / 2 ** k, t0
        vals = [f.value(c - h), f.value(c), f.value(c + h)]
        diff = vals[0] + vals[2] - 2 * vals[1]
        if sign * diff < 0:
            return {"t": c, "h": h, "f(t-h)": vals[0], "f(t)": vals[1], "f(t+h)": vals[2],
                    "second_difference": diff}
    return None


def _check_float(f, sign, shape, a, b, n):
    ts = np.linspace(a, b, n)
    f2 = np.array([f.second_derivative(float(x)) for x in ts])
    vals = np.array([float(f.value(float(x))) for x in ts])
    m = f.mdp
    gamma = float(m.gamma)
    kappa = (1 + gamma) / (1 - gamma)
    scale = max(float(np.max(np.abs(vals))), float(np.max(np.abs(np.asarray(m.r, dtype=float)))) / (1 - gamma))
    # each value carries a relative error of about S * kappa * eps (backward-stable solve of I - gamma P^pi);
    # a second difference of three of them at most 4 times that
    tol = 4 * 64 * _EPS * m.n_states * kappa * scale
    wrong = sign * f2 < 0
    method = f"float: f'' (Hessian quadratic form) on {n} grid points; chord test with rounding allowance"
    details = {"grid": ts, "f''": f2, "f": vals}
    if not wrong.any():
        return ShapeCheck(shape, None, (a, b), method=method, tolerance=tol, details=details)
    i = int(np.argmin(sign * f2))
    t0 = float(ts[i])
    chord = None
    room = min(t0 - a, b - t0)
    hs = [room / 2 ** k for k in range(30)] if room > 0 else [(b - a) / 4 / 2 ** k for k in range(30)]
    for h in hs:
        c = t0 if room > 0 else (t0 + h if t0 == a else t0 - h)
        v = [float(f.value(c - h)), float(f.value(c)), float(f.value(c + h))]
        diff = v[0] + v[2] - 2 * v[1]
        if sign * diff < -tol:
            chord = {"t": c, "h": h, "f(t-h)": v[0], "f(t)": v[1], "f(t+h)": v[2], "second_difference": diff}
            break
    return ShapeCheck(shape, False if chord is not None else None, (a, b), violation_t=t0,
                      second_derivative=float(f2[i]), chord=chord, method=method, tolerance=tol, details=details)
