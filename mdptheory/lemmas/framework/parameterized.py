r"""Shared helpers of the parameterized checkers of sections E, F and G.

The prologue of a checker at a parameter point (mode, working MDP, policy and
score: :func:`_param_setup`), the field-aware linear algebra (exact with FLINT
on rationals, or float), the generator of small MDPs with a parameter point
(:func:`_param_case`), the reference gradient by implicit differentiation and
the witness record.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...fields import exact_array, float_array, from_fmpq_mat, to_fmpq_mat
from .suite import case_rng, random_case_mdp, random_distribution

__all__ = [
    "_working_mdp",
    "_field",
    "_gram",
    "_matvec",
    "_zeros",
    "_one",
    "_param_case",
    "_policy_score",
    "_witness",
    "_softmax_cases",
    "_value_gradient",
    "_param_setup",
]


def _working_mdp(mdp, mode):
    return mdp if mode == "exact" else (mdp.to_float() if mdp.is_exact else mdp)


def _field(x, mode, name="array"):
    return exact_array(np.asarray(x, dtype=object), name=name) if mode == "exact" else float_array(x, name=name)


def _gram(weights, X, mode, Y=None):
    r""":math:`\sum_i w_i X_i Y_i^\top` for X (N, n), Y (N, m), exactly with FLINT or in float."""
    Y = X if Y is None else Y
    if mode == "exact":
        return from_fmpq_mat(to_fmpq_mat(weights[:, None] * X).transpose() * to_fmpq_mat(Y))
    return (X * weights[:, None]).T @ Y


def _matvec(M, x, mode):
    if mode == "exact":
        return from_fmpq_mat(to_fmpq_mat(M) * to_fmpq_mat(np.asarray(x, dtype=object).reshape(-1)),
                             (M.shape[0],))
    return M @ x


def _zeros(shape, mode):
    return np.full(shape, Fraction(0), dtype=object) if mode == "exact" else np.zeros(shape)


def _one(mode):
    return Fraction(1) if mode == "exact" else 1.0


def _param_case(rng, mode, *, kind="softmax", max_states=3, max_actions=3, n_features=None):
    r"""A small MDP with a full-support start distribution and a parameter point.

    ``kind="softmax"``: :class:`~mdptheory.policies.TabularSoftmax` at
    :math:`\theta = \log q`, ``q`` integers in 1..4 (exact) or a Gaussian
    ``theta`` (float).  ``kind="loglinear"``: :class:`~mdptheory.policies.LogLinear`
    with integer features in -2..2 of dimension ``n_features`` (random if None),
    at :math:`\theta = \log q` (rational policy, since the features are integers).
    ``kind="onehot"``: log-linear with random features followed by the one-hot
    features of the pairs (s, a), so that every function of (s, a) is linear in
    the features (zero approximation error).
    """
    from ...policies import LogRational, TabularSoftmax

    exact = mode == "exact"
    mdp = random_case_mdp(rng, exact=exact, max_states=max_states, max_actions=max_actions, rho="positive")
    S, A = mdp.n_states, mdp.n_actions
    if kind == "softmax":
        # an exact temperature (1, not 1.0) keeps every derived quantity rational
        param = TabularSoftmax(S, A, temperature=1 if exact else 1.0)
    else:
        from ...policies import LogLinear

        k = int(n_features) if n_features is not None else int(rng.integers(1, 4))
        phi = rng.integers(-2, 3, size=(S, A, k))
        if kind == "onehot":
            phi = np.concatenate([phi, np.eye(S * A, dtype=np.int64).reshape(S, A, S * A)], axis=2)
        param = LogLinear(phi.astype(object) * Fraction(1) if exact else phi.astype(float),
                          temperature=1 if exact else 1.0)
    n = param.n_params
    if exact:
        theta = LogRational(rng.integers(1, 4, size=n))
    else:
        theta = rng.normal(size=n) * 0.7
    return mdp, param, theta


def _policy_score(param, theta, mode):
    pi = _field(param.probs(theta), mode, "pi")
    score = _field(param.score(theta), mode, "score")
    return pi, score


def _witness(m, param, theta, **extra):
    feats = getattr(param, "features", None)
    w = {"mdp": m, "parameterization": type(param).__name__, "theta": theta if not hasattr(theta, "q") else
         {"log_q": theta.q}}
    if feats is not None:
        w["features"] = np.asarray(feats)
    w.update(extra)
    return w


def _softmax_cases(statement_id, *, kinds=("softmax",), max_states=3, max_actions=3, with_rho2=False):
    def cases(seed, n, mode):
        for i in range(n):
            rng = case_rng(seed, statement_id, i)
            kind = kinds[i % len(kinds)]
            mdp, param, theta = _param_case(rng, mode, kind=kind, max_states=max_states, max_actions=max_actions)
            case = {"mdp": mdp, "param": param, "theta": theta}
            if with_rho2:
                case["rho2"] = random_distribution(rng, mdp.n_states, exact=mode == "exact", positive=True)
            case["seed"] = (seed, i)
            yield case

    return cases


def _value_gradient(m, param, theta, rho, mode):
    """grad V(rho) by implicit differentiation of the Bellman system (:mod:`mdptheory.gradients`)."""
    from ...gradients import value_gradient

    return _field(np.asarray(value_gradient(m, param, theta, mu=rho, mode=mode)).reshape(-1), mode, "grad V")


def _param_setup(mdp, param, theta, mode):
    """Common prologue of the parameterized checkers: the mode (exact when the MDP
    and the parameter point are exact), the MDP in that field, the policy and its
    score (S, A, n)."""
    mode = mode or ("exact" if mdp.is_exact and param.is_exact_point(theta) else "float")
    m = _working_mdp(mdp, mode)
    pi, score = _policy_score(param, theta, mode)
    return mode, m, pi, score
