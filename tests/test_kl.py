"""KL divergences between policies and trajectory distributions (statement G2, AJKS Claim 12.5)."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP
from mdptheory.exceptions import InvalidParameterError
from mdptheory.kl import (
    horizon_state_distributions,
    kl_policy,
    trajectory_fisher,
    trajectory_kl,
    trajectory_kl_gradient,
    trajectory_kl_hessian,
    weighted_kl,
)
from mdptheory.policies import LogLinear, LogRational, TabularSoftmax
from mdptheory.strategies import mdps, policies, rational_weights


def tiny_mdp():
    P = [[[F(1, 2), F(1, 2)], [F(1, 5), F(4, 5)]], [[1, 0], [F(1, 3), F(2, 3)]]]
    return MDP(P, [[1, 0], [0, 1]], F(1, 2), rho=[F(2, 3), F(1, 3)])


# ---------------------------------------------------------------- per-state KL
@given(mdps(exact=True, max_states=3, max_actions=3).flatmap(
    lambda m: st.tuples(policies(m, exact=True), policies(m, exact=True))))
def test_kl_nonnegative_and_zero_on_the_diagonal_exact(pair):
    pi, pi2 = pair
    kl = kl_policy(pi, pi2)
    for s, k in enumerate(kl):
        if k is math.inf:
            assert any(pi[s, a] > 0 and pi2[s, a] == 0 for a in range(pi.shape[1]))
            continue
        assert k >= 0 or k.contains(0)  # certified ball: never certainly negative
        assert not (k < 0)
        if (pi[s] == pi2[s]).all():
            assert k == 0  # exactly zero, not a ball around it
        else:
            assert k > 0  # Gibbs: strictly positive when the rows differ
    assert all(k == 0 for k in kl_policy(pi, pi))


@given(st.integers(0, 2**32 - 1))
def test_kl_float_matches_ball_and_definition(seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 4, size=(4, 3)).astype(float)
    w[:, 0] += 1
    pi = w / w.sum(axis=1, keepdims=True)
    w2 = rng.integers(1, 4, size=(4, 3)).astype(float)
    pi2 = w2 / w2.sum(axis=1, keepdims=True)
    kl = kl_policy(pi, pi2)
    ref = np.array([sum(p * math.log(p / q) for p, q in zip(r1, r2) if p > 0) for r1, r2 in zip(pi, pi2)])
    np.testing.assert_allclose(kl, ref, rtol=1e-12, atol=1e-15)
    assert (kl >= -1e-15).all()
    ball = kl_policy(pi, pi2, mode="ball")
    for k, b in zip(kl, ball):
        assert abs(float(b.mid()) - k) <= 1e-12 * max(1.0, abs(k))


def test_kl_support_conventions():
    pi = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    pi2 = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    kl = kl_policy(pi, pi2)
    assert kl[0] == math.inf
    assert kl[1] == pytest.approx(math.log(2))
    exact = kl_policy(np.array([[F(1, 2), F(1, 2)]], dtype=object), np.array([[F(1), F(0)]], dtype=object))
    assert exact[0] is math.inf
    # 0 log 0 = 0; zero weight kills an infinite divergence
    assert weighted_kl([0.0, 1.0], pi, pi2) == pytest.approx(math.log(2))
    assert weighted_kl([0.5, 0.5], pi, pi2) == math.inf


def test_weighted_kl_exact_ball_contains_closed_form():
    pi = np.array([[F(1, 4), F(3, 4)], [F(1, 2), F(1, 2)]], dtype=object)
    pi2 = np.array([[F(1, 2), F(1, 2)], [F(1, 3), F(2, 3)]], dtype=object)
    d = [F(1, 3), F(2, 3)]
    val = weighted_kl(d, pi, pi2)
    ref = (1 / 3) * (0.25 * math.log(0.5) + 0.75 * math.log(1.5)) + \
          (2 / 3) * (0.5 * math.log(1.5) + 0.5 * math.log(0.75))
    assert val.contains(val) and abs(float(val.mid()) - ref) < 1e-14
    assert float(val.rad()) < 1e-40


def test_kl_rejects_bad_input():
    with pytest.raises(InvalidParameterError, match="shape"):
        kl_policy(np.ones((2, 2)) / 2, np.ones((2, 3)) / 3)
    with pytest.raises(InvalidParameterError, match="negative"):
        kl_policy(np.array([[1.5, -0.5]]), np.array([[0.5, 0.5]]))
    with pytest.raises(InvalidParameterError, match="mode"):
        kl_policy(np.ones((1, 2)) / 2, np.ones((1, 2)) / 2, mode="exact")
    with pytest.raises(InvalidParameterError, match="negative"):
        weighted_kl([-1.0, 2.0], np.ones((2, 2)) / 2, np.ones((2, 2)) / 2)


# ---------------------------------------------------------------- horizon-H distributions
def test_horizon_state_distributions_sum_to_one_and_follow_P():
    mdp = tiny_mdp()
    pi = np.array([[F(1, 3), F(2, 3)], [F(1, 2), F(1, 2)]], dtype=object)
    p = horizon_state_distributions(mdp, pi, 4)
    assert p.shape == (4, 2)
    assert all(sum(row) == 1 for row in p)
    assert p[0].tolist() == [F(2, 3), F(1, 3)]
    # p_1(0) = sum_s p_0(s) sum_a pi(a|s) P(0|s,a) by hand
    p1_0 = F(2, 3) * (F(1, 3) * F(1, 2) + F(2, 3) * F(1, 5)) + F(1, 3) * (F(1, 2) * 1 + F(1, 2) * F(1, 3))
    assert p[1, 0] == p1_0


# ---------------------------------------------------------------- trajectory KL (Claim 12.5)
@st.composite
def small_instance(draw):
    mdp = draw(mdps(exact=True, max_states=2, max_actions=2))
    S, A = mdp.n_states, mdp.n_actions
    q_t = draw(rational_weights(S, A, max_int=5))
    q = draw(rational_weights(S, A, max_int=5))
    H = draw(st.integers(1, 3))
    return mdp, TabularSoftmax(S, A), LogRational(q_t), LogRational(q), H


@given(small_instance())
def test_claim_12_5_exact_by_enumeration(inst):
    """Gradient 0 and Hessian = sum_h E[score score^T] at theta_t, by literal trajectory enumeration."""
    mdp, param, theta_t, _, H = inst
    grad = trajectory_kl_gradient(mdp, param, theta_t, None, H, method="enumerate")
    assert grad.dtype == object and all(g == 0 for g in grad)
    hess = trajectory_kl_hessian(mdp, param, theta_t, None, H, method="enumerate")
    fisher_sum = trajectory_fisher(mdp, param, theta_t, H)
    assert hess.dtype == object
    assert (hess == fisher_sum).all()


@given(small_instance())
def test_enumeration_and_propagation_agree_away_from_theta_t(inst):
    mdp, param, theta_t, theta, H = inst
    for fn in (trajectory_kl_gradient, trajectory_kl_hessian):
        a = fn(mdp, param, theta_t, theta, H, method="enumerate")
        b = fn(mdp, param, theta_t, theta, H, method="propagate")
        assert (a == b).all()
    k1 = trajectory_kl(mdp, param, theta_t, theta, H, method="enumerate")
    k2 = trajectory_kl(mdp, param, theta_t, theta, H)
    assert k1.overlaps(k2) and not (k2 < 0)
    if theta == theta_t:
        assert k2 == 0


def test_trajectory_kl_derivatives_against_finite_differences():
    mdp = tiny_mdp().to_float()
    param = TabularSoftmax(2, 2)
    th_t = np.array([0.2, -0.4, 0.7, 0.1])
    th = np.array([-0.3, 0.5, 0.2, 0.9])
    H = 3

    def f(x):
        return trajectory_kl(mdp, param, th_t, x, H)

    e = 1e-5
    I = np.eye(4)
    g_fd = np.array([(f(th + e * I[i]) - f(th - e * I[i])) / (2 * e) for i in range(4)])
    np.testing.assert_allclose(trajectory_kl_gradient(mdp, param, th_t, th, H), g_fd, atol=1e-8)
    e = 1e-4
    H_fd = np.array([[(f(th + e * I[i] + e * I[j]) - f(th + e * I[i] - e * I[j])
                       - f(th - e * I[i] + e * I[j]) + f(th - e * I[i] - e * I[j])) / (4 * e * e)
                      for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(trajectory_kl_hessian(mdp, param, th_t, th, H), H_fd, atol=1e-6)
    assert f(th_t) == 0.0


def test_claim_12_5_loglinear_exact():
    """A non-tabular parameterization (shared features across states)."""
    mdp = tiny_mdp()
    param = LogLinear(np.array([[[1, 0], [0, 1]], [[1, 1], [2, 0]]]))
    theta_t = LogRational([2, 3])
    hess = trajectory_kl_hessian(mdp, param, theta_t, None, 3, method="enumerate")
    assert (hess == trajectory_fisher(mdp, param, theta_t, 3)).all()
    assert all(g == 0 for g in trajectory_kl_gradient(mdp, param, theta_t, None, 3, method="enumerate"))


def test_trajectory_enumeration_limits_and_errors():
    mdp = tiny_mdp()
    param = TabularSoftmax(2, 2)
    q = LogRational([1, 1, 1, 1])
    with pytest.raises(InvalidParameterError, match="max_trajectories"):
        trajectory_kl_hessian(mdp, param, q, None, 6, method="enumerate", max_trajectories=100)
    with pytest.raises(InvalidParameterError, match="horizon"):
        trajectory_kl(mdp, param, q, q, 0)
    with pytest.raises(InvalidParameterError, match="method"):
        trajectory_kl(mdp, param, q, q, 2, method="sample")
