r"""Private helpers shared by :mod:`mdptheory.fisher_information`,
:mod:`mdptheory.natural_gradients` and :mod:`mdptheory.compatible_fa`: the field
(``"exact"`` or ``"float"``) of a computation, a parameterization's policy and
score at ``theta`` in that field, the policy evaluation, weighted Gram matrices
:math:`\sum_i w_i x_i y_i^\top` and :math:`\nabla_\theta V^{\pi_\theta}(\rho)`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .evaluation import evaluate
from .exceptions import InvalidParameterError, format_value
from .mdp import check_mdp
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

__all__: list[str] = []


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
        raise InvalidParameterError(f"temperature = {format_value(tau)}: {exc}") from None


def _resolve_mode(mdp, pi, mode):
    check_mdp(mdp)
    if mode is not None and mode not in (FLOAT, EXACT):
        raise InvalidParameterError(f"mode must be 'float' or 'exact' (or None); got {format_value(mode)}")
    exact_inputs = mdp.is_exact and policy_is_exact(pi)
    if mode is None:
        return EXACT if exact_inputs else FLOAT
    if mode == EXACT and not exact_inputs:
        which = "the MDP" if not mdp.is_exact else "the policy given by theta"
        raise InvalidParameterError(f"mode='exact' needs exact inputs, but {which} holds floats")
    return mode


def _check_param(param):
    """A parameterization object (duck-typed: ``probs`` and ``score``); a name gets a pointed error."""
    if isinstance(param, str) or not callable(getattr(param, "probs", None)):
        raise InvalidParameterError(
            f"param must be a parameterization object with probs(theta) (mdptheory.policies); got {param!r}: "
            f"build one from a name with mdptheory.policies.names.resolve_parameterization(name, n_states=S, "
            f"n_actions=A)")


def _raw_policy(mdp, param, theta, mode):
    """``(pi, mode)``: the checks shared by both helpers below, pi as ``param`` returns it."""
    check_mdp(mdp)
    _check_param(param)
    S, A = mdp.n_states, mdp.n_actions
    if (getattr(param, "n_states", S), getattr(param, "n_actions", A)) != (S, A):
        raise InvalidParameterError(
            f"parameterization is for (S, A) = ({param.n_states}, {param.n_actions}); "
            f"the MDP has ({S}, {A})")
    pi = param.probs(theta)
    return pi, _resolve_mode(mdp, pi, mode)


def _policy_and_score(mdp, param, theta, mode):
    """pi (S, A) and score (S, A, n) of ``param`` at ``theta``, in the field of ``mode``."""
    pi, mode = _raw_policy(mdp, param, theta, mode)  # validates mdp first
    S, A = mdp.n_states, mdp.n_actions
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
    pi, mode = _raw_policy(mdp, param, theta, mode)
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
