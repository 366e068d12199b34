"""Policy gradients: implicit differentiation vs the PG theorem's forms, REINFORCE_T vs grad V_T."""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, evaluate
from mdptheory.exceptions import InvalidParameterError
from mdptheory.finite_diff import central_difference, value_gradient_fd
from mdptheory.gradients import (
    gradient_float_tolerance,
    pg_advantage_form,
    pg_q_form,
    softmax_gradient_closed_form,
    value_gradient,
    value_jacobian,
)
from mdptheory.policies import Direct, EnergyPolicy, LogLinear, LogRational, NeuralSoftmax, TabularSoftmax
from mdptheory.strategies import mdps, rational_weights
from mdptheory.trajectories import (
    REINFORCE_ESTIMATORS,
    enumerate_trajectories,
    pg_reinforce_truncated,
    truncated_value,
    truncated_value_gradient,
)

SEEDS = st.integers(0, 2**32 - 1)


def _exact_direct_point(rng, S, A):
    w = rng.integers(1, 6, size=(S, A))
    return np.array([F(int(x), int(row.sum())) for row in w for x in row[:-1]], dtype=object)


def _all_equal(*arrays):
    first = arrays[0]
    return all(a.shape == first.shape and all(x == y for x, y in zip(a.flat, first.flat)) for a in arrays[1:])


# ------------------------------------------------------------------ exact agreement
@given(mdps(exact=True, max_states=3, max_actions=3, reward_range=(-1, 1), rho="random"), st.data())
def test_softmax_gradient_routes_agree_exactly(mdp, data):
    S, A = mdp.n_states, mdp.n_actions
    q = data.draw(rational_weights(S, A))
    p, th = TabularSoftmax(S, A), LogRational(q)
    g = value_gradient(mdp, p, th)
    assert all(isinstance(x, F) for x in g)
    assert _all_equal(g, pg_q_form(mdp, p, th), pg_advantage_form(mdp, p, th),
                      softmax_gradient_closed_form(mdp, p, th))
    J = value_jacobian(mdp, p, th)
    assert _all_equal(g, mdp.rho @ J)
    # the same gradient through the generic (dense) energy-based implementation
    assert _all_equal(g, value_gradient(mdp, EnergyPolicy(S, A), th))


@given(mdps(exact=True, max_states=3, min_actions=2, max_actions=3, reward_range=(-1, 1)), SEEDS)
def test_direct_and_loglinear_gradient_routes_agree_exactly(mdp, seed):
    rng = np.random.default_rng(seed)
    S, A = mdp.n_states, mdp.n_actions
    mu = np.array([F(int(x), 1) for x in rng.integers(1, 4, size=S)], dtype=object)
    mu = mu / sum(mu)
    d = Direct(S, A)
    th = _exact_direct_point(rng, S, A)
    g = value_gradient(mdp, d, th, mu=mu)
    assert _all_equal(g, pg_q_form(mdp, d, th, mu=mu), pg_advantage_form(mdp, d, th, mu=mu))
    phi = rng.integers(-2, 3, size=(S, A, 2))
    ll = LogLinear(phi)
    qv = LogRational([F(int(a), int(b)) for a, b in rng.integers(1, 5, size=(2, 2))])
    g2 = value_gradient(mdp, ll, qv, mu=mu)
    assert _all_equal(g2, pg_q_form(mdp, ll, qv, mu=mu), pg_advantage_form(mdp, ll, qv, mu=mu))


def test_gradient_of_a_two_state_example_by_hand():
    # s0: a0 stays (reward 0), a1 -> absorbing s1 (reward 1); gamma = 1/2; uniform softmax
    m = MDP([[[1, 0], [0, 1]], [[0, 1], [0, 1]]], [[0, 1], [0, 0]], F(1, 2), [1, 0])
    g = value_gradient(m, TabularSoftmax(2, 2), LogRational([1, 1, 1, 1]))
    # V(s0) = 2/3, A(s0) = (-1/3, 1/3), d(s0) = 2/3: grad = d pi A / (1 - gamma) = (-2/9, 2/9)
    assert g.tolist() == [F(-2, 9), F(2, 9), 0, 0]
    # V(s0) = q1/(q0/2 + q1) at theta = log q in closed form; d/dtheta_1 at q = (1, 1): 1/2 * 4/9 = 2/9
    gt = value_gradient(m, TabularSoftmax(2, 2), LogRational([1, 3, 1, 1]))
    # pi(a1) = 3/4: V = 3/4 / (1 - 1/8) = 6/7; dV/dtheta_1 = pi0 pi1 * (1/2) / (1 - pi0/2)^2
    assert gt[1] == F(1, 4) * F(3, 4) * F(1, 2) / (1 - F(1, 8)) ** 2


# ------------------------------------------------------------------ float agreement
def _float_cases(seed):
    rng = np.random.default_rng(seed)
    S, A = int(rng.integers(1, 5)), int(rng.integers(2, 4))
    P = rng.random((S, A, S)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    gamma = float(rng.choice([0.5, 0.9, 0.99]))
    mdp = MDP(P, rng.random((S, A)), gamma)
    phi = rng.normal(size=(S, A, 3))
    nn = NeuralSoftmax(phi, 3, seed=seed, temperature=0.7)
    return mdp, [
        (TabularSoftmax(S, A, temperature=0.5), rng.normal(size=S * A) * 2),
        (LogLinear(phi), rng.normal(size=3)),
        (nn, nn.theta0),
        (Direct(S, A), Direct(S, A).from_policy(rng.dirichlet(np.ones(A), size=S) * 0.8 + 0.2 / A)),
    ]


@given(SEEDS)
def test_float_gradient_routes_agree_within_conditioning_tolerance(seed):
    mdp, cases = _float_cases(seed)
    for param, th in cases:
        g = value_gradient(mdp, param, th)
        G = float(np.abs(param.score(th)).max()) * mdp.n_actions
        tol = gradient_float_tolerance(mdp, n_params=param.n_params, score_bound=max(G, 1.0))
        for other in (pg_q_form(mdp, param, th), pg_advantage_form(mdp, param, th),
                      mdp.rho @ value_jacobian(mdp, param, th)):
            assert np.max(np.abs(g - other)) <= tol
        if isinstance(param, TabularSoftmax):
            assert np.max(np.abs(g - softmax_gradient_closed_form(mdp, param, th))) <= tol
        if isinstance(param, NeuralSoftmax):
            # ReLU units: V is only piecewise smooth in alpha and a difference stencil can
            # straddle a kink, so finite differences are no reference here (the three
            # analytic routes above are)
            continue
        fd = value_gradient_fd(mdp, param, th)
        assert np.all(np.abs(g - fd.derivative) <= 10 * fd.error_estimate + tol)


def test_exact_and_float_modes_agree_and_sparse_matches_dense():
    rng = np.random.default_rng(7)
    S, A = 6, 3
    w = rng.integers(0, 4, size=(S, A, S))
    w[:, :, 0] += 1
    P = np.vectorize(F, otypes=[object])(w) / w.sum(axis=2, keepdims=True)
    m = MDP(P, rng.integers(0, 3, size=(S, A)), F(9, 10))
    p = TabularSoftmax(S, A)
    q = LogRational(rng.integers(1, 6, size=S * A))
    g = value_gradient(m, p, q)
    gf = value_gradient(m, p, q, mode="float")
    tol = gradient_float_tolerance(m, n_params=p.n_params)
    assert np.max(np.abs(g.astype(float) - gf)) <= tol
    gs = value_gradient(m.to_float().to_sparse(), p, q.to_float())
    assert np.max(np.abs(gs - gf)) <= tol
    Js = value_jacobian(m.to_float().to_sparse(), p, q.to_float())
    assert np.max(np.abs(m.to_float().rho @ Js - gf)) <= tol


def test_mode_and_shape_errors():
    m = MDP([[[F(1)]]], [[F(1)]], F(1, 2))
    with pytest.raises(InvalidParameterError, match=r"\(S, A\)"):
        value_gradient(m, TabularSoftmax(1, 2), np.zeros(2))
    with pytest.raises(InvalidParameterError, match="exact parameter point"):
        value_gradient(m, TabularSoftmax(1, 1), np.zeros(1), mode="exact")
    with pytest.raises(InvalidParameterError, match="exact MDP"):
        value_gradient(m.to_float(), TabularSoftmax(1, 1), LogRational([1]), mode="exact")
    with pytest.raises(InvalidParameterError, match="mode"):
        value_gradient(m, TabularSoftmax(1, 1), np.zeros(1), mode="ball")
    with pytest.raises(InvalidParameterError, match="tabular softmax"):
        softmax_gradient_closed_form(m, Direct(1, 1), [])


# ------------------------------------------------------------------ truncated REINFORCE
@given(mdps(exact=True, max_states=2, max_actions=2, reward_range=(-1, 1), rho="random"), SEEDS,
       st.integers(0, 3))
def test_truncated_reinforce_equals_grad_VT_exactly(mdp, seed, T):
    rng = np.random.default_rng(seed)
    S, A = mdp.n_states, mdp.n_actions
    b = np.array([F(int(x), 3) for x in rng.integers(-3, 4, size=S)], dtype=object)
    cases = [(TabularSoftmax(S, A), LogRational(rng.integers(1, 5, size=S * A)))]
    if A >= 2:
        cases.append((Direct(S, A), _exact_direct_point(rng, S, A)))
    for param, th in cases:
        target = truncated_value_gradient(mdp, param, th, T)
        for est in REINFORCE_ESTIMATORS:
            for method in ("dp", "enumerate"):
                got = pg_reinforce_truncated(mdp, param, th, T, estimator=est, method=method, baseline=b)
                assert _all_equal(got, target), (est, method)


def test_enumeration_probabilities_sum_to_one_exactly():
    m = MDP([[[F(1, 2), F(1, 2)], [0, 1]], [[1, 0], [F(1, 3), F(2, 3)]]], [[1, 0], [0, 2]], F(1, 2))
    pi = np.array([[F(1, 4), F(3, 4)], [F(1, 2), F(1, 2)]], dtype=object)
    for T in range(4):
        trajs = enumerate_trajectories(m, pi, T)
        assert sum(p for *_, p in trajs) == 1
        assert all(len(s) == T and len(a) == T for s, a, _ in trajs)
    with pytest.raises(InvalidParameterError, match="max_trajectories"):
        enumerate_trajectories(m, pi, 6, max_trajectories=10)


@given(SEEDS)
def test_truncated_gradient_converges_and_matches_differences(seed):
    mdp, cases = _float_cases(seed)
    mdp = mdp.with_gamma(0.5)
    for param, th in cases[:2]:
        g = value_gradient(mdp, param, th)
        T = 60  # gamma^T = 1e-18: the truncation error is below rounding
        np.testing.assert_allclose(truncated_value_gradient(mdp, param, th, T), g, atol=1e-12)
        fd = central_difference(lambda x, p=param: truncated_value(mdp, p, x, 4), th)
        gt = truncated_value_gradient(mdp, param, th, 4)
        assert np.all(np.abs(gt - fd.derivative) <= 10 * fd.error_estimate + 1e-12)
        np.testing.assert_allclose(pg_reinforce_truncated(mdp, param, th, 4), gt, atol=1e-12)


def test_truncated_value_is_the_finite_sum():
    m = MDP([[[F(1, 2), F(1, 2)]], [[0, 1]]], [[1], [F(1, 2)]], F(1, 2), [1, 0])
    p = TabularSoftmax(2, 1)
    # V_1 = 1, V_2 = 1 + 1/2 (1/2 * 1 + 1/2 * 1/2) = 11/8
    assert truncated_value(m, p, LogRational([1, 1]), 1) == 1
    assert truncated_value(m, p, LogRational([1, 1]), 2) == F(11, 8)
    ev = evaluate(m, [[1], [1]])
    assert abs(truncated_value(m, p, LogRational([1, 1]), 80) - ev.V[0]) < F(1, 2**70)


def test_gradient_with_no_parameters_is_empty_with_a_zero_bound():
    # Direct with one action has no free parameter: the gradient is empty, never a reduction error
    from mdptheory import MDP, Direct, value_gradient

    m = MDP.exact(P=[[[1]]], r=[[0]], gamma=0, rho=[1])
    assert value_gradient(m, Direct(1, 1), np.array([], dtype=object)).shape == (0,)
    g, bound = value_gradient(m.to_float(), Direct(1, 1), np.array([]), with_bound=True)
    assert g.shape == (0,) and bound == 0.0
