r"""Exact policy gradients: implicit differentiation of the Bellman system and the PG theorem's forms.

For a parameterized policy :math:`\pi_\theta` the value solves the linear system

.. math::

    (I - \gamma P^{\pi_\theta})\, V = r^{\pi_\theta},

so, differentiating in :math:`\theta_i` (statement B1),

.. math::

    \partial_i V = (I - \gamma P^\pi)^{-1}\big(\partial_i r^\pi + \gamma(\partial_i P^\pi) V\big),
    \qquad
    \big[\partial_i r^\pi + \gamma(\partial_i P^\pi) V\big](s)
      = \sum_a \partial_i\pi(a|s)\Big(r(s,a) + \gamma\sum_{s'}P(s'|s,a)V(s')\Big).

:func:`value_gradient` computes :math:`\nabla_\theta V(\mu) = w^\top(\partial r^\pi + \gamma\,\partial P^\pi V)`
with one adjoint (transposed) solve :math:`w^\top = \mu^\top(I - \gamma P^\pi)^{-1}`,
reusing the evaluation's factorization (``ev.visitation``, :math:`w = d_\mu/(1-\gamma)`);
:func:`value_jacobian` does the forward multi-right-hand-side solve for the
full :math:`\partial V(s)/\partial\theta` (S, n).  This route needs only the
Jacobian :math:`\nabla\pi` of the parameterization, :math:`V`, and the
coefficients :math:`r + \gamma P V` of the differentiated system (equal to
:math:`Q^\pi` by the Bellman equation, but formed here from :math:`V`, not read
from the evaluation): it uses neither the score, nor :math:`Q` or :math:`A`
from the evaluation, nor the policy gradient theorem.

The theorem's forms are computed from their own formulas (AJKS Thm 9.4 /
statement B1, and Lemma 10.2 / statement D2 for tabular softmax):

.. math::

    \nabla V(\mu) = \frac{1}{1-\gamma}\, E_{s\sim d_\mu^\pi} E_{a\sim\pi(\cdot|s)}
        \big[Q^\pi(s,a)\nabla\log\pi(a|s)\big]
      = \frac{1}{1-\gamma}\, E_{s\sim d_\mu^\pi} E_{a\sim\pi(\cdot|s)}
        \big[A^\pi(s,a)\nabla\log\pi(a|s)\big],

    \frac{\partial V(\mu)}{\partial\theta_{s,a}} = \frac{1}{1-\gamma}\, d_\mu^\pi(s)\,\pi(a|s)\,A^\pi(s,a)
    \quad\text{(tabular softmax, temperature 1; divided by } \tau \text{ otherwise)}.

REINFORCE over a truncated horizon is in :mod:`mdptheory.trajectories`.

Float accuracy: centring and certified bounds
---------------------------------------------
A policy's rows sum to one identically, so :math:`\sum_a\partial\pi(a|s) = 0`
and every form above is unchanged when a per-state constant is subtracted
from its coefficients.  Rewards with a large common offset :math:`c`
(``r + 1e12``) make :math:`V` and :math:`Q` huge while :math:`\nabla V` and
:math:`A` stay small: formed from :math:`Q` or :math:`Q - V`, they would lose
every digit to cancellation.  In float mode, when the offset exceeds the
spread of the rewards, the rewards are therefore centred: with
:math:`c = (\max r + \min r)/2`, :math:`r' = r - c`,
:math:`M = I - \gamma P^\pi`, :math:`\delta(s,a) = \sum_t P(t|s,a) - 1` (the
row-sum defect of the float ``P``, correctly rounded) and two further solves
with the evaluation's factors,

.. math::

    M V'' = r'^\pi, \qquad M e = \frac{\gamma\,\delta^\pi}{1-\gamma}, \qquad
    V = V'' + c\Big(\frac{1}{1-\gamma} + e\Big),

    Q = \underbrace{r' + \gamma P V'' + c\Big(\frac{\gamma\delta}{1-\gamma} + \gamma P e\Big)}_{\tilde Q}
        + \frac{c}{1-\gamma}, \qquad
    A = r' + \gamma P V'' - V'' + c\Big(\frac{\gamma\delta}{1-\gamma} + \gamma P e - e\Big),

and :math:`\tilde Q` (a per-state shift of :math:`Q`) replaces :math:`Q` as the
coefficient.  Every term is of the size of :math:`A`, not of :math:`V`; the
defect terms keep the result that of the float ``P`` as given (rows summing
to one only within rounding), not of a renormalized one.  The policy is
read as the exact :math:`\pi_\theta` (rows summing to one); the rounding of
the float :math:`\hat\pi` is part of the bound.

With ``with_bound=True`` the float functions also return a certified bound
on :math:`\max_i|\hat g_i - g_i|`, propagated (to all orders) from

* the coefficients' bound :math:`E(s,a)` on :math:`|\hat X - X|`: the
  certified solve errors :math:`e_V` (of :math:`V` or :math:`V''`) and
  :math:`e_e`, as :math:`\gamma\rho e_V + |c|\gamma\rho e_e` (plus
  :math:`e_V + |c| e_e` for :math:`A`), the rounding of forming the
  coefficients, :math:`(S+4)(\varepsilon m + \eta)` with :math:`m` the
  absolute values of the terms and :math:`\eta` the smallest normal float,
  and the policy's rounding :math:`|\hat\pi - \pi| \le \eta_\pi\hat\pi + \eta_0`
  through :math:`M^{-1}` (below);
* the weights' l1 bound :math:`\|\hat w - w\|_1` (``visitation_bound``
  :math:`/(1-\gamma)`, plus the policy rounding through :math:`M^{-\top}`);
* the contraction's rounding, :math:`k\varepsilon` times the contraction of
  the absolute values,

as :math:`\mathcal{J}(|\hat w|E) + \|\hat w - w\|_1\mathcal{J}(|\hat X| + E)
+ (k\varepsilon + 2\eta_\pi)\bar{\mathcal{J}}(|\hat w||\hat X|) + 2k\cdot 2^{-1074}`, where
:math:`\mathcal{J}(Y)_i \ge \sum_{s,a}|\partial_i\pi(a|s)|\,Y(s,a)` (tabular softmax:
:math:`\pi_b((1-\pi_b)Y_b + \sum_{a\ne b}\pi_a Y_a)/\tau`, the sums over
:math:`a \ne b` formed without cancellation and enlarged by
:math:`1 + 3\eta_\pi + (A+4)\varepsilon`, so that it is small at near-deterministic
policies) and :math:`\bar{\mathcal{J}}(Y)_b = \pi_b(Y_b + \sum_a\pi_aY_a)/\tau`, the
scale of the rounding of the contraction as the package evaluates it (the closed
form :math:`d\pi A`, which equals the contraction only because
:math:`\sum_a\pi A = 0`, uses :math:`\bar{\mathcal{J}}` throughout; other
softmax families bound :math:`|\partial\pi|` by :math:`\pi(|\nabla f| + \sum_b\pi_b|\nabla f_b|)/\tau`,
the direct parameterization uses its exact :math:`|\partial\pi|`).
The policy's rounding enters as :math:`M_\pi(\hat V - V) = \sum_a\Delta_a(c_a - V)
+ V(\hat\sigma - 1)` with :math:`\Delta = \hat\pi - \pi`, :math:`|\Delta| \le \eta_\pi\hat\pi + \eta_0`
and :math:`\hat\sigma - 1 = \sum_a\hat\pi - 1` computed exactly, so it is of the size
of the advantage, not of :math:`V`.  A :class:`~mdptheory.exceptions.NumericalWarning`
is issued when the bound exceeds :data:`~mdptheory.evaluation.WARN_RELATIVE_ERROR` times
the gradient's scale :math:`\max(\|\hat g\|_\infty, \max_i\mathcal{J}(|\hat w|)_i
(\max r - \min r)/(1-\gamma))` (the largest gradient the reward spread allows:
:math:`|A| \le (\max r - \min r)/(1-\gamma)`), or a result is not finite; when the
evaluation's certificates are a-priori fine and no centring was needed, the bound
is computed only if asked for.

Modes: ``"exact"`` (exact MDP and an exact point of the parameterization:
:class:`~mdptheory.policies.LogRational` for softmax types, rational
:math:`\theta` for :class:`~mdptheory.policies.Direct`) returns object arrays
of :class:`fractions.Fraction`; ``"float"`` returns float64.  The default is
exact exactly when both inputs are exact.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from .evaluation import evaluate
from .evaluation.certificates import _row_sum_bound, WARN_RELATIVE_ERROR
from .exceptions import format_value, InvalidParameterError, NumericalWarning
from .mdp import check_mdp
from .fields import EXACT, FLOAT, from_fmpq_mat, to_fmpq_mat
from .policies.base import Parameterization
from .policies.direct import Direct
from .policies.softmax import SoftmaxFamily, TabularSoftmax

__all__ = [
    "value_gradient",
    "value_jacobian",
    "pg_q_form",
    "pg_advantage_form",
    "softmax_gradient_closed_form",
    "gradient_float_tolerance",
]


# ---------------------------------------------------------------- shared setup
class _Setup:
    """Validated inputs of a derivative computation, in one field."""

    __slots__ = ("mdp", "param", "theta", "mode", "pi", "ev", "gamma", "_coef")

    def __init__(self, mdp, param, theta, mode, pi, ev):
        self.mdp, self.param, self.theta, self.mode, self.pi, self.ev = mdp, param, theta, mode, pi, ev
        self._coef = None
        self.gamma = mdp.gamma if mode == EXACT else float(mdp.gamma)


def _prepare(mdp, param, theta, mode, *, evaluate_policy=True) -> _Setup:
    check_mdp(mdp)
    if not isinstance(param, Parameterization):
        raise InvalidParameterError(f"param must be a Parameterization (mdptheory.policies); got {type(param).__name__}")
    if (param.n_states, param.n_actions) != (mdp.n_states, mdp.n_actions):
        raise InvalidParameterError(
            f"parameterization has (S, A) = ({param.n_states}, {param.n_actions}) but the MDP has "
            f"({mdp.n_states}, {mdp.n_actions})")
    exact_point = param.is_exact_point(theta)
    if mode is None:
        mode = EXACT if (mdp.is_exact and exact_point) else FLOAT
    if mode == EXACT:
        if not mdp.is_exact:
            raise InvalidParameterError("mode='exact' needs an exact MDP (MDP.to_exact())")
        if not exact_point:
            raise InvalidParameterError(
                "mode='exact' needs an exact parameter point: LogRational(q) for softmax-type policies, "
                "rational theta for the direct parameterization")
    elif mode == FLOAT:
        theta = param.float_theta(theta)
        mdp = mdp.to_float()
    else:
        raise InvalidParameterError(f"mode must be 'float' or 'exact' (or None); got {format_value(mode)}")
    pi = param.probs(theta)
    ev = evaluate(mdp, pi, mode=mode) if evaluate_policy else None
    return _Setup(mdp, param, theta, mode, pi, ev)


def _P_nonzeros(mdp):
    """Nonzero entries of the exact ``P`` as (rows, cols, fmpq values) of the (S*A, S) matrix, cached."""
    nz = mdp._cache.get("gradients.P_nonzeros")
    if nz is None:
        from flint import fmpq

        Pm = mdp.P_matrix()
        rows, cols = np.nonzero(Pm != 0)
        vals = np.empty(rows.size, dtype=object)
        vals[:] = [fmpq(x.numerator, x.denominator) for x in (Fraction(v) for v in Pm[rows, cols])]
        nz = (rows, cols, vals)
        mdp._cache["gradients.P_nonzeros"] = nz
    return nz


def _fmpq_P(mdp):
    """``P`` as an (S*A, S) ``fmpq_mat``, cached on the MDP."""
    M = mdp._cache.get("gradients.fmpq_mat_P")
    if M is None:
        from flint import fmpq, fmpq_mat

        S, A = mdp.n_states, mdp.n_actions
        rows, cols, vals = _P_nonzeros(mdp)
        entries = np.full(S * A * S, fmpq(0), dtype=object)
        entries[rows * S + cols] = vals
        M = fmpq_mat(S * A, S, list(entries))
        mdp._cache["gradients.fmpq_mat_P"] = M
    return M


def _P_times(mdp, X, mode):
    r"""``(P X)[s, a, ...] = sum_t P[s, a, t] X[t, ...]`` for X of shape (S,) or (S, k)."""
    S, A = mdp.n_states, mdp.n_actions
    X = np.asarray(X)
    tail = X.shape[1:]
    if mode == EXACT:  # FLINT's product of the cached fmpq_mat of P
        X2 = X.reshape(S, -1)
        out = from_fmpq_mat(_fmpq_P(mdp) * to_fmpq_mat(X2))
        return out.reshape((S, A) + tail)
    return np.asarray(mdp.P_matrix() @ X).reshape((S, A) + tail)


def _bellman_coefficients(st):
    r""":math:`c(s,a) = r(s,a) + \gamma\sum_t P(t|s,a)V(t)`, the coefficient of :math:`\partial\pi(a|s)`.

    Float mode, rewards with a large common offset: the centred :math:`\tilde Q` of the
    module notes instead, :math:`c` minus the per-state constant :math:`c_0/(1-\gamma)`;
    every caller contracts it with :math:`\partial\pi` or :math:`\partial^2\pi`, whose
    sums over actions vanish, so the result is unchanged but free of the cancellation.
    """
    if st.mode == FLOAT:
        coef = _coefficients(st)
        if coef.centred:
            return coef.Q
    else:  # exact: c is Q^pi = r + gamma P V by definition; the evaluation's Q is kept over one
        return st.ev.Q  # common denominator and reduced entry by entry when read
    return st.mdp.r + st.gamma * _P_times(st.mdp, st.ev.V, st.mode)


def _system_matrix_exact(st):
    r""":math:`I - \gamma P^\pi` as an ``fmpq_mat`` (used by :mod:`mdptheory.derivatives`)."""
    from flint import fmpq_mat

    S = st.mdp.n_states
    P_pi = st.ev.P_pi
    M = to_fmpq_mat(-st.gamma * np.asarray(P_pi, dtype=object))
    return M + fmpq_mat(S, S, [1 if i == j else 0 for i in range(S) for j in range(S)])


def _solve_forward(st, B):
    r"""Solve :math:`(I - \gamma P^\pi) X = B` for B of shape (S,) or (S, k).

    Uses the evaluation's factors through :meth:`PolicyEvaluation.solve`
    (LAPACK/SuperLU for all columns at once, Krylov column by column, FLINT in
    exact mode), so no second factorization is made.
    """
    B = np.asarray(B)
    if st.mode == EXACT:
        return st.ev.solve(np.asarray(B, dtype=object))
    return st.ev.solve(np.asarray(B, dtype=float))


def _adjoint_weights(st, mu):
    r""":math:`w^\top = \mu^\top(I - \gamma P^\pi)^{-1} = d_\mu^\pi/(1-\gamma)` via the evaluation's transposed solve."""
    d = st.ev.visitation(mu)
    return d / (1 - st.gamma), d


def _as_output(x, mode):
    if mode == EXACT:
        out = np.empty(np.shape(x), dtype=object)
        out[...] = x
        flat = out.reshape(-1)
        for k, v in enumerate(flat):
            if not isinstance(v, Fraction):
                flat[k] = Fraction(v)
        return out
    return np.asarray(x, dtype=np.float64)


# ---------------------------------------------------------------- float accuracy
_EPS = float(np.finfo(float).eps)
#: Smallest normal float64: absolute rounding floor (underflow) of the bounds.
_TINY = float(np.finfo(float).tiny)


def _row_defects(mdp):
    r""":math:`\delta(s,a) = \sum_t P(t|s,a) - 1` for a float MDP, correctly rounded (``math.fsum``), cached."""
    d = mdp._cache.get("gradients.row_defects")
    if d is None:
        Pm = mdp.P_matrix()
        if hasattr(Pm, "tocsr"):
            Pm = Pm.tocsr()
            rows = [Pm.data[Pm.indptr[k]:Pm.indptr[k + 1]].tolist() for k in range(Pm.shape[0])]
        else:
            rows = np.asarray(Pm).tolist()
        d = np.array([math.fsum(row + [-1.0]) for row in rows], dtype=float).reshape(mdp.n_states, mdp.n_actions)
        d.flags.writeable = False
        mdp._cache["gradients.row_defects"] = d
    return d


def _policy_rounding(st):
    r"""``(eta_rel, eta_abs)``: :math:`|\hat\pi - \pi_\theta| \le \eta_{rel}\hat\pi + \eta_{abs}` entrywise.

    Softmax family: :math:`\hat\pi = \exp(\mathrm{log\_softmax}(z))` with :math:`z = f_\theta/\tau`
    has relative error at most :math:`(A + 4 + 4\max|z|)\varepsilon` (``z - max z`` is
    accurate to :math:`2\varepsilon\max|z|` absolutely, the log-sum-exp of values in
    :math:`(-\infty, 0]` to :math:`(A+2)\varepsilon`, and ``exp`` adds :math:`\varepsilon`
    relative) and may underflow by :math:`\eta`.  Direct: only the remainder entry is rounded, by at most
    :math:`A\varepsilon`.  Other parameterizations: the softmax-family figure with
    :math:`\max|z| = 0` is assumed for their own rounding.
    """
    A = st.mdp.n_actions
    param = st.param
    if isinstance(param, Direct):
        return 0.0, A * _EPS
    zmax = 0.0
    if isinstance(param, SoftmaxFamily):
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.asarray(param.energy(st.theta), dtype=float) / float(param.temperature)
        zmax = float(np.max(np.abs(z))) if z.size else 0.0
    return (A + 4 + 4.0 * zmax) * _EPS, _TINY


def _average_rounding(pi, X):
    r"""Bound on the rounding of :math:`\mathrm{fl}(\sum_a\pi(a|s)X(s,a))` per state (``einsum``).

    .. math:: (A + 2)\,\varepsilon\sum_a\pi(a|s)|X(s,a)| + (A + 2)\,\mathrm{tiny}

    for exactly stored ``pi`` and ``X``: :math:`A` products and :math:`A - 1` sums, each within
    :math:`\varepsilon/2` relative of its exact result (the sum of :math:`A` terms within
    :math:`\gamma_A\sum|\cdot|`, :math:`\gamma_A \le A\varepsilon`), and an underflow allowance
    per product.
    """
    A = pi.shape[1]
    return (A + 2) * _EPS * np.einsum("sa,sa->s", pi, np.abs(X)) + (A + 2) * _TINY


def _last_rounding(X_hat):
    r""":math:`3\varepsilon|\hat X|`: bound on the rounding of the last operation that formed ``X_hat``.

    A correctly rounded operation gives :math:`\hat X = X(1 + \delta)`, :math:`|\delta| \le
    \varepsilon/2`, so :math:`|\hat X - X| \le \tfrac{\varepsilon}{2}|X| \le
    \tfrac{\varepsilon}{2 - \varepsilon}|\hat X|`; the factor 3 leaves a margin (the
    operations' results are in the normal range wherever this term matters: below it
    the ``tiny`` allowances of the other terms cover the absolute error).
    """
    return 3 * _EPS * np.abs(X_hat)


def _difference_rounding(X_bound, V):
    r""":math:`\varepsilon(X + |V|)`: bound on the rounding of :math:`\mathrm{fl}(\hat Q(s,a) - \hat V(s))` when :math:`|\hat Q| \le X`.

    One correctly rounded subtraction errs by at most :math:`\tfrac{\varepsilon}{2}|\hat Q - \hat V|
    \le \tfrac{\varepsilon}{2}(X + |\hat V|)`; ``X_bound`` is (S, A), ``V`` is (S,).
    """
    return _EPS * (X_bound + np.abs(V)[:, None])


def _sum_defects(pi):
    r""":math:`\sum_a\hat\pi(a|s) - 1` per state, correctly rounded (``math.fsum``)."""
    return np.array([math.fsum(row + [-1.0]) for row in np.asarray(pi, dtype=float).tolist()])


def _abs_contraction(st, Y, *, tight=False):
    r""":math:`\mathcal{J}(Y)_i \ge \sum_{s,a}|\partial_i\pi(a|s)|\,Y(s,a)` for ``Y >= 0``, and the rounding factor ``k``.

    ``k`` bounds the relative rounding of the package's contraction
    (``jacobian_vjp``/``score_vjp``): :math:`|fl(\cdot) - \cdot| \le k\varepsilon\,\mathcal{J}(|\cdot|)`.
    For tabular softmax, :math:`|\partial\pi(a|s)/\partial\theta_{s,b}| = \pi_a|1[a=b] - \pi_b|/\tau`;
    the default form bounds :math:`|1[a=b] - \pi_b|` by :math:`1[a=b] + \pi_b` (the scale of the
    rounding of the contraction), ``tight=True`` uses :math:`1 - \pi_b = \sum_{a\ne b}\pi_a`
    summed without cancellation and enlarged for the policy's rounding (the scale of the
    exact derivative, small at near-deterministic policies).
    """
    param, pi = st.param, st.pi
    S, A = pi.shape
    if isinstance(param, TabularSoftmax):
        if tight:
            eta_rel, eta_abs = _policy_rounding(st)
            off = 1.0 - np.eye(A)
            others = pi @ off  # sum_{a != b} pi_a
            piY = pi * Y
            out = pi * (others * Y + piY @ off)
            out = out * (1.0 + 3 * eta_rel + (A + 4) * _EPS) + A * eta_abs * (Y + Y.sum(axis=1)[:, None])
            return out.reshape(-1) / float(param.temperature), A + 6
        out = (pi * Y + pi * (pi * Y).sum(axis=1)[:, None]) / float(param.temperature)
        return out.reshape(-1), A + 6
    if isinstance(param, Direct):
        return (Y[:, :-1] + Y[:, -1:]).reshape(-1), 3
    if isinstance(param, SoftmaxFamily):  # |J| <= pi (|dF| + sum_b pi_b |dF_b|) / tau
        adF = np.abs(np.asarray(param.energy_jacobian(st.theta), dtype=float))
        piY = pi * Y
        out = np.einsum("sai,sa->i", adF, piY) + np.einsum("sbi,sb->i", adF, pi * piY.sum(axis=1)[:, None])
        return out / float(param.temperature), S * A + param.n_params + 6
    J = np.abs(np.asarray(param.jacobian(st.theta), dtype=float))
    return np.einsum("sai,sa->i", J, Y), S * A + 6


def _P_abs_times(mdp, X):
    r""":math:`P|X|` as (S, A)."""
    S, A = mdp.n_states, mdp.n_actions
    return np.asarray(mdp.P_matrix() @ np.abs(X)).reshape(S, A)


class _Bounds(NamedTuple):
    """Certified bounds of :class:`_Coefficients`: entrywise on Q and A, the policy's rounding, the row sums."""

    E_Q: np.ndarray
    E_A: np.ndarray
    eta_rel: float
    eta_abs: float
    rho: float


class _Coefficients:
    """Float coefficients of the gradient forms (centred when it helps) and their certified bounds.

    ``Q`` is :math:`Q` up to a per-state constant and ``A`` the advantage, each with an
    entrywise bound (``E_Q``, ``E_A``) on its error against the exact value of the
    float MDP and the exact policy :math:`\\pi_\\theta`; ``c`` is the centring offset (0
    when none).  The bounds are built on first access of :meth:`bounds`.
    """

    def __init__(self, st):
        self.st = st
        mdp, ev, g = st.mdp, st.ev, st.gamma
        r = mdp.r
        S, A = mdp.n_states, mdp.n_actions
        rmax, rmin = (float(np.max(r)), float(np.min(r))) if r.size else (0.0, 0.0)
        c = 0.5 * rmax + 0.5 * rmin
        with np.errstate(over="ignore", invalid="ignore"):
            self.centred = bool(abs(c) > rmax - rmin) and math.isfinite(c)
        self.c = c if self.centred else 0.0
        pi = st.pi
        with np.errstate(over="ignore", invalid="ignore"):
            if self.centred:
                rp = r - c
                delta = _row_defects(mdp)
                self.rhs_V = np.einsum("sa,sa->s", pi, rp)
                self.rhs_e = g * np.einsum("sa,sa->s", pi, delta) / (1.0 - g)
                sol = ev.solve(np.stack([self.rhs_V, self.rhs_e], axis=1))
                self.V2, self.e = sol[:, 0], sol[:, 1]
                PV = _P_times(mdp, self.V2, FLOAT)
                Pe = _P_times(mdp, self.e, FLOAT)
                self.base = rp + g * PV  # r' + gamma P V''
                self.c1 = g * delta / (1.0 - g) + g * Pe
                self.Q = self.base + c * self.c1
                self.A = (self.base - self.V2[:, None]) + c * (self.c1 - self.e[:, None])
                self.rp, self.delta = rp, delta
            else:  # the callers use the evaluation's own Q, A or r + gamma P V
                self.V2 = np.asarray(ev.V, dtype=float)
                self.Q = self.A = None
        self._bounds = None
        #: the right-hand side errors and what the solves make of them (for inspection and tests):
        #: ``rnd_V``, ``eV``, ``rnd_e``, ``ee``, ``Xb`` (centred), ``X2`` (not centred: the bound on
        #: :math:`|r| + \gamma P|V|` the rounding of forming Q scales with), ``num``, ``dV``; filled by
        #: :meth:`bounds`
        self.parts = {}

    def bounds(self):
        """``_Bounds(E_Q, E_A, eta_rel, eta_abs, rho)``: entrywise bounds, the policy rounding and the row sums."""
        if self._bounds is not None:
            return self._bounds
        st = self.st
        mdp, ev, g, pi = st.mdp, st.ev, st.gamma, st.pi
        S, A = mdp.n_states, mdp.n_actions
        r = mdp.r
        rho = _row_sum_bound(mdp) * (1.0 + (S + A + 2) * _EPS)
        denom = 1.0 - g * rho
        eta_rel, eta_abs = _policy_rounding(st)
        k = S + 4
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.centred:
                c = abs(self.c)
                # solve errors: certified residual of the computed right-hand sides, plus their rounding
                rnd_V = _average_rounding(pi, self.rp)
                rnd_e = ((A + 4) * _EPS * np.abs(g * np.einsum("sa,sa->s", pi, np.abs(self.delta)) / (1.0 - g))
                         + (A + 4) * _TINY)
                eV = ev.residual_bound(self.V2, self.rhs_V) + float(np.max(rnd_V)) / denom
                ee = ev.residual_bound(self.e, self.rhs_e) + float(np.max(rnd_e)) / denom
                self.parts.update(rnd_V=rnd_V, eV=eV, rnd_e=rnd_e, ee=ee)
                PaV = _P_abs_times(mdp, self.V2)
                Pae = _P_abs_times(mdp, self.e)
                Xb = np.abs(self.rp) + g * PaV  # |base| <= |r'| + gamma P|V''|: the scale of its rounding
                self.parts.update(Xb=Xb)
                E_base = (_EPS * np.abs(self.rp) + g * rho * eV + k * (_EPS * Xb + _TINY)
                          + _TINY * np.max(np.abs(self.V2)))
                E_c1 = (g * rho * ee + k * (_EPS * (g * np.abs(self.delta) / (1.0 - g) + g * Pae) + _TINY)
                        + _TINY * np.max(np.abs(self.e)) + 2 * _EPS * np.abs(self.delta) * g / (1.0 - g))
                E_Q = E_base + c * E_c1 + _last_rounding(self.Q)
                E_A = E_Q + eV + c * ee + _last_rounding(self.A)
                # |r' + gamma P V'' - V''| (exactly, for the computed V'') and c |c1''|: see below
                A2 = np.abs(self.base - self.V2[:, None]) + E_base + eV
                C1 = c * (np.abs(self.c1) + E_c1)
            else:  # Q = fl(r + gamma fl(P V)), A = fl(Q - V): |Q| <= |r| + gamma P|V| (k covers the last add)
                eV = ev.error_bound
                X2 = np.abs(r) + g * _P_abs_times(mdp, self.V2)
                self.parts.update(X2=X2)
                E_Q = g * rho * eV + k * (_EPS * X2 + _TINY * (X2 > 0)) + _TINY * np.max(np.abs(self.V2))
                E_A = E_Q + eV + _difference_rounding(X2, self.V2) + _TINY * (E_Q > 0)
                A2 = np.abs(np.asarray(ev.advantage, dtype=float)) + E_A
                C1 = 0.0
            # The policy's rounding: with Delta = pi_hat - pi (|Delta| <= eta_rel pi_hat + eta_abs,
            # sum_a Delta = sigma_hat - 1 as pi sums to one), the computed V'' solves the
            # exact-pi system up to M_pi (V_hat - V) = sum_a Delta_a c''_a
            # = sum_a Delta_a (c''_a - V''_s) + V''_s (sigma_hat_s - 1), and likewise c e.
            d_pi = eta_rel * pi + eta_abs
            sig = np.abs(_sum_defects(pi))
            denom = 1.0 - g * rho
            num = (np.einsum("sa,sa->s", d_pi, A2) + np.abs(self.V2) * sig
                   + np.einsum("sa,sa->s", d_pi, np.broadcast_to(C1, pi.shape)))
            dV = float(np.max(num)) / denom if denom > 0 else math.inf
            self.parts.update(num=num, dV=dV)
            E_Q = E_Q + g * rho * dV
            E_A = E_A + (1.0 + g * rho) * dV
        for E in (E_Q, E_A):
            E[~np.isfinite(E)] = math.inf
        self._bounds = _Bounds(E_Q, E_A, eta_rel, eta_abs, rho)
        return self._bounds


def _coefficients(st):
    if getattr(st, "_coef", None) is None:
        st._coef = _Coefficients(st)
    return st._coef


def _policy_weights_error(st, w_hat, eta_rel, eta_abs, rho):
    r""":math:`\|\hat w - w\|_1` due to the policy's rounding alone (the solve taken as exact).

    :math:`\hat w^\top M_\pi - \mu^\top = \gamma\hat w^\top\sum_a\Delta_a P_a` with
    :math:`|\Delta| \le \eta_{rel}\hat\pi + \eta_{abs}`, so
    :math:`\|\hat w - w\|_1 \le \gamma\rho\sum_s|\hat w_s|(\eta_{rel}\sum_a\hat\pi + A\eta_{abs})/(1 - \gamma\rho)`.
    """
    g, A = st.gamma, st.mdp.n_actions
    denom = 1.0 - g * rho
    if not denom > 0:
        return math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.abs(w_hat) * (eta_rel * st.pi.sum(axis=1) + A * eta_abs))) * g * rho / denom


def _gradient_bound(st, w_hat, X_hat, E_X, d_bound_l1, *, tight=True, entrywise=False):
    r"""Certified :math:`\max_i|\hat g_i - g_i|` for :math:`g = \mathcal{C}(w \odot X)` (see the module notes).

    ``w_hat`` (S,) are the computed weights, ``X_hat``/``E_X`` the coefficients and
    their entrywise bounds, ``d_bound_l1`` the bound on :math:`\|\hat w - w\|_1` from the
    solve.  ``tight=False`` for a computation that is not the contraction with
    :math:`\partial\pi` itself (the closed form :math:`d\pi A`, which equals it only
    because :math:`\sum_a\pi A = 0` exactly): the errors of ``X`` then enter through
    :math:`\pi(a|s)` rather than :math:`|\partial\pi|`.  Returns ``(bound, scale)`` with ``scale`` :math:`\max_i\mathcal{J}(|\hat w||\hat X|)_i`.
    """
    _, _, eta_rel, eta_abs, rho = _coefficients(st).bounds()
    aw = np.abs(w_hat)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        dw = d_bound_l1 + _policy_weights_error(st, w_hat, eta_rel, eta_abs, rho)
        terms, k = _abs_contraction(st, aw * np.abs(X_hat))
        err = (_abs_contraction(st, aw * E_X, tight=tight)[0]
               + dw * _abs_contraction(st, np.abs(X_hat) + E_X, tight=tight)[0]
               + (k * _EPS + 2 * eta_rel) * terms + _TINY * _EPS * 2 * k * (terms > 0))  # underflow: 2^-1074 per op
        if entrywise:  # the bound per entry of the gradient (inf where there is none)
            out = err * (1.0 + 8 * _EPS)
            out[~np.isfinite(out)] = math.inf
            return out
        bound = float(np.max(err)) * (1.0 + 8 * _EPS) if err.size else 0.0
        scale = float(np.max(terms)) if terms.size else 0.0
    if not math.isfinite(bound):
        bound = math.inf
    return bound, scale


def _a_priori_fine(st, coef):
    """No centring, and the evaluation's certificates are a-priori fine (computed lazily)."""
    ev = st.ev
    return (not coef.centred and callable(ev._cert)
            and all(callable(b) for b in ev._visit_bounds.values()))


def _finish(st, g, w_hat, X_hat, E_fn, d_bound_fn, with_bound, what, *, stacklevel=3, tight=True):
    """Attach/check the bound of a float gradient ``g``: warn when it is not small."""
    finite = bool(np.all(np.isfinite(g)))
    coef = _coefficients(st)
    if finite and not with_bound and _a_priori_fine(st, coef):
        return g
    bound, _ = _gradient_bound(st, w_hat, X_hat, E_fn(), d_bound_fn(), tight=tight)
    if not finite:
        bound = math.inf
    gmax = float(np.max(np.abs(g))) if g.size and finite else 0.0
    r = st.mdp.r
    with np.errstate(over="ignore", invalid="ignore"):
        spread = float(np.max(r) - np.min(r)) if r.size else 0.0
        natural = float(np.max(_abs_contraction(st, np.broadcast_to(np.abs(w_hat)[:, None], st.pi.shape))[0],
                               initial=0.0))  # no parameters: an empty gradient
        natural *= spread / (1.0 - st.gamma)
    scale = max(gmax, natural) if math.isfinite(natural) else gmax
    if not (bound <= WARN_RELATIVE_ERROR * scale):
        warnings.warn(
            f"{what}: the certified error bound {bound:.3g} exceeds {WARN_RELATIVE_ERROR:g} x "
            f"the gradient's scale {scale:.3g} (gamma = {st.gamma}; ill-conditioned "
            "I - gamma P_pi, cancellation or over/underflow); use mode='exact' for certified digits",
            NumericalWarning, stacklevel=stacklevel)
    return (g, bound) if with_bound else g


# ---------------------------------------------------------------- implicit differentiation
def _weights_bound(st, mu, w):
    r"""Certified :math:`\|\hat w - w\|_1` of :math:`\hat w = fl(\hat d/(1-\gamma))`."""
    vb = st.ev.visitation_bound(mu)
    vb = math.inf if vb is None or not math.isfinite(vb) else vb
    return vb / (1.0 - st.gamma) * (1.0 + 2 * _EPS) + 2 * _EPS * float(np.sum(np.abs(w)))


def value_gradient(mdp, param, theta, *, mu=None, mode=None, with_bound=False):
    r"""Exact :math:`\nabla_\theta V^{\pi_\theta}(\mu)` by implicit differentiation of the Bellman system.

    .. math::

        \nabla_\theta V(\mu) = \sum_s w(s)\sum_a \nabla_\theta\pi(a|s)\,
            \Big(r(s,a) + \gamma\sum_{s'}P(s'|s,a)V^\pi(s')\Big),
        \qquad w^\top = \mu^\top(I - \gamma P^\pi)^{-1},

    i.e. :math:`w^\top(\partial r^\pi + \gamma(\partial P^\pi)V)` (statement B1).
    One adjoint solve, shared with the evaluation's factorization; the
    Jacobian enters through ``param.jacobian_vjp``.  Independent of the policy
    gradient theorem: no score, no :math:`Q`/:math:`A` from the evaluation.

    Parameters
    ----------
    mdp : MDP
    param : Parameterization
    theta : array_like or LogRational, shape (n_params,)
    mu : array_like, shape (S,), optional, keyword-only
        Start distribution (default ``mdp.rho``).
    mode : {"float", "exact"}, optional, keyword-only
    with_bound : bool, keyword-only
        Also return a certified bound on :math:`\max_i|\hat g_i - g_i|` (float mode;
        ``Fraction(0)`` in exact mode).  See the module notes for its rule.

    Returns
    -------
    ndarray, shape (n_params,)
        Fractions in exact mode, float64 otherwise; ``(gradient, bound)`` with ``with_bound``.

    Raises
    ------
    InvalidParameterError
        Mismatched sizes, an invalid point, or ``mode="exact"`` with float inputs.

    Warns
    -----
    NumericalWarning
        Float mode, when the certified bound exceeds ``WARN_RELATIVE_ERROR`` times
        the size of the gradient or of its terms, or the result is not finite.
        Rewards with a large common offset are centred first (module notes), so
        the offset alone does not cost accuracy.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from mdptheory import MDP
    >>> from mdptheory.policies import TabularSoftmax, LogRational
    >>> m = MDP([[[1, 0], [0, 1]], [[0, 1], [0, 1]]], [[0, 1], [0, 0]], F(1, 2), [1, 0])
    >>> value_gradient(m, TabularSoftmax(2, 2), LogRational([1, 1, 1, 1])).tolist()
    [Fraction(-2, 9), Fraction(2, 9), Fraction(0, 1), Fraction(0, 1)]
    """
    st = _prepare(mdp, param, theta, mode)
    if st.mode == EXACT:
        from .evaluation._rationals import _lazy_quotients, _lazy_row_products, _over_common_denominator

        c = _bellman_coefficients(st)
        w, _ = _adjoint_weights(st, mu)
        # The vector-Jacobian product is linear in its argument: apply it to the integers
        # N = D w c (D the common denominator of w c) and divide by D, so that the
        # parameterization's arithmetic meets short denominators only (no gcd of long
        # integers); the entries are reduced when read.
        N, D = _over_common_denominator(_lazy_row_products(w, np.ones_like(w, shape=c.shape), c))
        g = _as_output(_lazy_quotients(param.jacobian_vjp(st.theta, N), D), st.mode)
        return (g, Fraction(0)) if with_bound else g
    coef = _coefficients(st)
    c = coef.Q if coef.centred else _bellman_coefficients(st)
    w, _ = _adjoint_weights(st, mu)
    g = _as_output(param.jacobian_vjp(st.theta, w[:, None] * c), st.mode)
    return _finish(st, g, w, c, lambda: coef.bounds().E_Q, lambda: _weights_bound(st, mu, w), with_bound,
                   "value_gradient")


def _value_gradient_entrywise(mdp, param, theta, *, mu=None):
    r"""Float :func:`value_gradient` and its certified bound per entry, shape (n_params,); no warning.

    The rule is that of the module notes, entry by entry (used by the natural
    gradient, which divides entries by :math:`d(s)\pi(a|s)`).
    """
    st = _prepare(mdp, param, theta, FLOAT)
    coef = _coefficients(st)
    c = _bellman_coefficients(st)
    w, _ = _adjoint_weights(st, mu)
    g = np.asarray(param.jacobian_vjp(st.theta, w[:, None] * c), dtype=np.float64)
    err = _gradient_bound(st, w, c, coef.bounds().E_Q, _weights_bound(st, mu, w), entrywise=True)
    if not np.all(np.isfinite(g)):
        err = np.full(err.shape, math.inf)
    return g, err


def value_jacobian(mdp, param, theta, *, mode=None) -> np.ndarray:
    r"""Full Jacobian :math:`\partial V^{\pi_\theta}(s)/\partial\theta_i`, shape (S, n_params).

    .. math::

        \partial V = (I - \gamma P^\pi)^{-1}\big(\partial r^\pi + \gamma(\partial P^\pi)V\big),

    one forward solve with ``n_params`` right-hand sides
    :math:`G[s, i] = \sum_a\partial_i\pi(a|s)(r + \gamma P V)(s, a)` (statement B1).
    :math:`\mu^\top` times the result equals :func:`value_gradient`.
    """
    st = _prepare(mdp, param, theta, mode)
    c = _bellman_coefficients(st)
    G = param.jacobian_dot_actions(st.theta, c)
    return _as_output(_solve_forward(st, G), st.mode)


# ---------------------------------------------------------------- policy gradient theorem
def pg_q_form(mdp, param, theta, *, mu=None, mode=None, with_bound=False):
    r"""Policy gradient theorem, Q-form (AJKS Thm 9.4; statement B1).

    .. math::

        \nabla V(\mu) = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\sum_a \pi(a|s)\,Q^\pi(s,a)\,\nabla\log\pi(a|s)

    computed from the visitation, :math:`Q^\pi` and the score
    (``param.score_vjp``).  Same parameters, returns and warnings as
    :func:`value_gradient`; in float mode with a large reward offset
    :math:`Q` is replaced by the centred :math:`\tilde Q` (a per-state shift,
    which leaves the form unchanged since :math:`\sum_a\pi\nabla\log\pi = 0`).
    """
    return _score_form(mdp, param, theta, mu, mode, with_bound, "Q")


def _score_form(mdp, param, theta, mu, mode, with_bound, table):
    r""":math:`(1-\gamma)^{-1}\sum_s d(s)\sum_a\pi X\nabla\log\pi` with ``X`` = Q or A (``table``), and its bound."""
    st = _prepare(mdp, param, theta, mode)
    _, d = _adjoint_weights(st, mu)
    if st.mode == EXACT:
        from .evaluation._rationals import (_lazy_products, _lazy_quotients, _lazy_row_products,
                                            _over_common_denominator)

        # score_vjp is linear in C: applied to the integers D C, divided by D (see value_gradient)
        C = _lazy_row_products(d, st.pi, st.ev.Q if table == "Q" else st.ev.advantage)
        N, D = _over_common_denominator(C)
        g = _lazy_products(_lazy_quotients(param.score_vjp(st.theta, N), D), 1 / (1 - st.gamma))
        g = _as_output(g, st.mode)
        return (g, Fraction(0)) if with_bound else g
    coef = _coefficients(st)
    if table == "Q":
        X, field, what = (coef.Q if coef.centred else st.ev.Q), "E_Q", "pg_q_form"
    else:
        X, field, what = (coef.A if coef.centred else st.ev.advantage), "E_A", "pg_advantage_form"
    C = d[:, None] * st.pi * X
    g = _as_output(param.score_vjp(st.theta, C) / (1 - st.gamma), st.mode)
    w = d / (1 - st.gamma)
    return _finish(st, g, w, X, lambda: getattr(coef.bounds(), field), lambda: _weights_bound(st, mu, w),
                   with_bound, what, stacklevel=4)


def pg_advantage_form(mdp, param, theta, *, mu=None, mode=None, with_bound=False):
    r"""Policy gradient theorem, advantage form (AJKS Thm 9.4 with the baseline :math:`V^\pi`; statement B1).

    .. math::

        \nabla V(\mu) = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\sum_a \pi(a|s)\,A^\pi(s,a)\,\nabla\log\pi(a|s)

    Same parameters, returns and warnings as :func:`value_gradient`; in float
    mode with a large reward offset the advantage is computed from centred
    rewards (module notes).
    """
    return _score_form(mdp, param, theta, mu, mode, with_bound, "A")


def softmax_gradient_closed_form(mdp, param, theta, *, mu=None, mode=None, with_bound=False):
    r"""Tabular softmax gradient in closed form (AJKS Lemma 10.2; statement D2).

    .. math::

        \frac{\partial V^{\pi_\theta}(\mu)}{\partial\theta_{s,a}}
          = \frac{1}{(1-\gamma)\tau}\, d_\mu^{\pi_\theta}(s)\,\pi_\theta(a|s)\,A^{\pi_\theta}(s,a)

    (:math:`\tau = 1` in the lemma).  Returns the flat vector, index ``s*A + a``.

    Same keyword ``with_bound`` and warnings as :func:`value_gradient` (float mode:
    the advantage from centred rewards when they carry a large offset).

    Raises
    ------
    InvalidParameterError
        If ``param`` is not a :class:`~mdptheory.policies.TabularSoftmax`.
    """
    if not isinstance(param, TabularSoftmax):
        raise InvalidParameterError(f"Lemma 10.2 is about tabular softmax; got {type(param).__name__}")
    st = _prepare(mdp, param, theta, mode)
    _, d = _adjoint_weights(st, mu)
    if st.mode == EXACT:
        from .evaluation._rationals import _lazy_products, _lazy_row_products

        # products kept over their unreduced denominators, each entry reduced when read
        g = _lazy_row_products(_lazy_products(d, 1 / (1 - st.gamma)), st.pi, st.ev.advantage)
        g = _as_output(g.reshape(-1), st.mode)
        return (g, Fraction(0)) if with_bound else g
    tau = float(param.temperature)
    coef = _coefficients(st)
    adv = coef.A if coef.centred else st.ev.advantage
    g = _as_output((d[:, None] * st.pi * adv / ((1 - st.gamma) * tau)).reshape(-1), st.mode)
    w = d / (1 - st.gamma)
    # entrywise |g - g_hat| <= w pi E_A / tau + ...: within the (non-tight) contraction bound
    return _finish(st, g, w, adv, lambda: coef.bounds().E_A, lambda: _weights_bound(st, mu, w), with_bound,
                   "softmax_gradient_closed_form", tight=False)


def gradient_float_tolerance(mdp, *, n_params: int, score_bound: float = 1.0, factor: float = 64.0) -> float:
    r"""Absolute tolerance for comparing float64 gradients computed by different routes.

    .. math::

        \mathrm{tol} = c\,\varepsilon\,(S + n)\,\frac{1+\gamma}{1-\gamma}\cdot
            \frac{R_{\max}\,G}{(1-\gamma)^2},

    with :math:`\varepsilon` the float64 machine epsilon, :math:`(1+\gamma)/(1-\gamma)`
    the :math:`\infty`-norm condition number bound of :math:`I - \gamma P^\pi`,
    :math:`R_{\max}/(1-\gamma)^2 \cdot G` the size of the gradient
    (:math:`|\nabla V| \le G R_{\max}/(1-\gamma)^2` when
    :math:`|\nabla\log\pi| \le G`), and a safety factor ``factor`` = c.
    """
    g = float(mdp.gamma)
    rmax = float(np.max(np.abs(np.asarray(mdp.to_float().r, dtype=float)))) if mdp.n_states else 0.0
    eps = np.finfo(float).eps
    return factor * eps * (mdp.n_states + n_params) * (1 + g) / (1 - g) * max(rmax, 1e-300) * score_bound / (1 - g) ** 2
