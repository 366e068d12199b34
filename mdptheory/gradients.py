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

Modes: ``"exact"`` (exact MDP and an exact point of the parameterization:
:class:`~mdptheory.policies.LogRational` for softmax types, rational
:math:`\theta` for :class:`~mdptheory.policies.Direct`) returns object arrays
of :class:`fractions.Fraction`; ``"float"`` returns float64.  The default is
exact exactly when both inputs are exact.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .evaluation import evaluate
from .exceptions import InvalidParameterError
from .fields import EXACT, FLOAT, fraction_from_fmpq, from_fmpq_mat, to_fmpq_mat
from .policies.base import Parameterization
from .policies.softmax import TabularSoftmax

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

    __slots__ = ("mdp", "param", "theta", "mode", "pi", "ev", "gamma")

    def __init__(self, mdp, param, theta, mode, pi, ev):
        self.mdp, self.param, self.theta, self.mode, self.pi, self.ev = mdp, param, theta, mode, pi, ev
        self.gamma = mdp.gamma if mode == EXACT else float(mdp.gamma)


def _prepare(mdp, param, theta, mode, *, evaluate_policy=True) -> _Setup:
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
        raise InvalidParameterError(f"mode must be 'float' or 'exact' (or None); got {mode!r}")
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
    if mode == EXACT:
        if X.ndim == 1:  # sparse product over the nonzeros of P, in FLINT's fmpq
            from flint import fmpq

            rows, cols, vals = _P_nonzeros(mdp)
            Xq = np.empty(S, dtype=object)
            Xq[:] = [fmpq(v.numerator, v.denominator) for v in (Fraction(x) for x in X)]
            out = np.full(S * A, fmpq(0), dtype=object)
            np.add.at(out, rows, vals * Xq[cols])
            res = np.empty(S * A, dtype=object)
            res[:] = [fraction_from_fmpq(v) for v in out]
            return res.reshape(S, A)
        out = from_fmpq_mat(_fmpq_P(mdp) * to_fmpq_mat(X))
        return out.reshape((S, A) + tail)
    return np.asarray(mdp.P_matrix() @ X).reshape((S, A) + tail)


def _bellman_coefficients(st):
    r""":math:`c(s,a) = r(s,a) + \gamma\sum_t P(t|s,a)V(t)`, the coefficient of :math:`\partial\pi(a|s)`."""
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


# ---------------------------------------------------------------- implicit differentiation
def value_gradient(mdp, param, theta, *, mu=None, mode=None) -> np.ndarray:
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

    Returns
    -------
    ndarray, shape (n_params,)
        Fractions in exact mode, float64 otherwise.

    Raises
    ------
    InvalidParameterError
        Mismatched sizes, an invalid point, or ``mode="exact"`` with float inputs.

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
    c = _bellman_coefficients(st)
    w, _ = _adjoint_weights(st, mu)
    return _as_output(param.jacobian_vjp(st.theta, w[:, None] * c), st.mode)


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
def pg_q_form(mdp, param, theta, *, mu=None, mode=None) -> np.ndarray:
    r"""Policy gradient theorem, Q-form (AJKS Thm 9.4; statement B1).

    .. math::

        \nabla V(\mu) = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\sum_a \pi(a|s)\,Q^\pi(s,a)\,\nabla\log\pi(a|s)

    computed from the visitation, :math:`Q^\pi` and the score
    (``param.score_vjp``).  Same parameters and returns as :func:`value_gradient`.
    """
    st = _prepare(mdp, param, theta, mode)
    _, d = _adjoint_weights(st, mu)
    C = d[:, None] * st.pi * st.ev.Q
    return _as_output(param.score_vjp(st.theta, C) / (1 - st.gamma), st.mode)


def pg_advantage_form(mdp, param, theta, *, mu=None, mode=None) -> np.ndarray:
    r"""Policy gradient theorem, advantage form (AJKS Thm 9.4 with the baseline :math:`V^\pi`; statement B1).

    .. math::

        \nabla V(\mu) = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\sum_a \pi(a|s)\,A^\pi(s,a)\,\nabla\log\pi(a|s)

    Same parameters and returns as :func:`value_gradient`.
    """
    st = _prepare(mdp, param, theta, mode)
    _, d = _adjoint_weights(st, mu)
    C = d[:, None] * st.pi * st.ev.advantage
    return _as_output(param.score_vjp(st.theta, C) / (1 - st.gamma), st.mode)


def softmax_gradient_closed_form(mdp, param, theta, *, mu=None, mode=None) -> np.ndarray:
    r"""Tabular softmax gradient in closed form (AJKS Lemma 10.2; statement D2).

    .. math::

        \frac{\partial V^{\pi_\theta}(\mu)}{\partial\theta_{s,a}}
          = \frac{1}{(1-\gamma)\tau}\, d_\mu^{\pi_\theta}(s)\,\pi_\theta(a|s)\,A^{\pi_\theta}(s,a)

    (:math:`\tau = 1` in the lemma).  Returns the flat vector, index ``s*A + a``.

    Raises
    ------
    InvalidParameterError
        If ``param`` is not a :class:`~mdptheory.policies.TabularSoftmax`.
    """
    if not isinstance(param, TabularSoftmax):
        raise InvalidParameterError(f"Lemma 10.2 is about tabular softmax; got {type(param).__name__}")
    st = _prepare(mdp, param, theta, mode)
    _, d = _adjoint_weights(st, mu)
    tau = Fraction(1) if st.mode == EXACT else float(param.temperature)
    g = d[:, None] * st.pi * st.ev.advantage / ((1 - st.gamma) * tau)
    return _as_output(g.reshape(-1), st.mode)


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
