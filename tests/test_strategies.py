"""Tests of mdptheory.strategies: argument validation, validity of draws, shrinking."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mdptheory import MDP, evaluate, uniform_policy
from mdptheory.policies import TabularSoftmax
from mdptheory.strategies import (
    distributions,
    mdp_and_policy,
    mdps,
    policies,
    rational_weights,
    softmax_params,
)

_M2 = MDP([[[Fraction(1)], [Fraction(1)], [Fraction(1)]]], [[0, 0, 0]], Fraction(1, 2))  # S=1, A=3

BAD_ARGUMENTS = [
    (mdps, {"min_states": 0}, "min_states"),
    (mdps, {"min_states": 3, "max_states": 2}, "max_states"),
    (mdps, {"max_states": 1000}, "max_states"),
    (mdps, {"min_states": 1.5}, "min_states"),
    (mdps, {"min_states": True}, "min_states"),
    (mdps, {"min_actions": 0}, "min_actions"),
    (mdps, {"min_actions": 4, "max_actions": 2}, "max_actions"),
    (mdps, {"gamma": 1}, "gamma"),
    (mdps, {"gamma": -0.1}, "gamma"),
    (mdps, {"gamma": float("nan")}, "gamma"),
    (mdps, {"gamma": (0.5, 0.2)}, "gamma"),
    (mdps, {"gamma": (0.0, 1.0)}, "gamma"),
    (mdps, {"gamma": (0.1, 0.2, 0.3)}, "gamma"),
    (mdps, {"gamma": "fast"}, "gamma"),
    (mdps, {"gamma": (0.51, 0.52), "exact": True, "gamma_denominator": 10}, "gamma"),
    (mdps, {"exact": "yes"}, "exact"),
    (mdps, {"exact": True, "sparse": True}, "sparse"),
    (mdps, {"min_successors": 0}, "min_successors"),
    (mdps, {"min_successors": 3, "max_successors": 2}, "max_successors"),
    (mdps, {"min_successors": 5, "max_states": 4}, "min_successors"),
    (mdps, {"reward_range": (1, 0)}, "reward_range"),
    (mdps, {"reward_range": 1}, "reward_range"),
    (mdps, {"reward_range": (0, float("inf"))}, "reward_range"),
    (mdps, {"reward_range": ("1/3", "1/3"), "exact": True, "reward_denominator": 2}, "reward_range"),
    (mdps, {"rho": "gaussian"}, "rho"),
    (mdps, {"rho": "point", "positive_rho": True}, "positive_rho"),
    (mdps, {"gamma_denominator": 0}, "gamma_denominator"),
    (lambda **kw: policies(_M2, **kw), {"min_prob": 0.5}, "min_prob"),
    (lambda **kw: policies(_M2, **kw), {"min_prob": -0.1}, "min_prob"),
    (lambda **kw: policies(_M2, **kw), {"min_prob": 0.1, "deterministic": True}, "deterministic"),
    (lambda **kw: policies(_M2, **kw), {"exact": 1}, "exact"),
    (lambda **kw: policies(_M2, **kw), {"max_weight": 0}, "max_weight"),
    (lambda **kw: policies("not an mdp", **kw), {}, "mdp"),
    (lambda **kw: distributions(0, **kw), {}, "n"),
    (lambda **kw: distributions(3, **kw), {"positive": None}, "positive"),
    (lambda **kw: softmax_params(2, 2, **kw), {"max_abs": -1.0}, "max_abs"),
    (lambda **kw: softmax_params(2, 2, **kw), {"max_abs": float("nan")}, "max_abs"),
    (lambda **kw: softmax_params(0, 2, **kw), {}, "S"),
    (lambda **kw: rational_weights(2, 0, **kw), {}, "A"),
    (lambda **kw: rational_weights(2, 2, **kw), {"max_int": 0}, "max_int"),
    (mdp_and_policy, {"min_prob": 0.5, "max_actions": 3}, "min_prob"),
    (mdp_and_policy, {"min_states": -1}, "min_states"),
]


@pytest.mark.parametrize("factory, kwargs, name", BAD_ARGUMENTS)
def test_bad_arguments_raise_when_built(factory, kwargs, name):
    # raised by the call itself, before any example is drawn
    with pytest.raises(InvalidArgument, match=name):
        factory(**kwargs)


def _successors(mdp):
    return (np.asarray(mdp.P_dense()) != 0).sum(axis=2)


@given(mdps(min_states=2, max_states=5, min_actions=2, max_actions=3, max_successors=2,
            reward_range=(-1, 2), gamma=(0.25, 0.75), rho="random", positive_rho=True))
def test_float_mdps_respect_arguments(mdp):
    assert not mdp.is_exact and not mdp.is_sparse
    assert 2 <= mdp.n_states <= 5 and 2 <= mdp.n_actions <= 3
    k = _successors(mdp)
    assert ((1 <= k) & (k <= 2)).all()
    assert np.all((-1 <= mdp.r) & (mdp.r <= 2))
    assert 0.25 <= mdp.gamma <= 0.75
    assert (mdp.rho > 0).all()
    assert np.allclose(mdp.P_dense().sum(axis=2), 1.0, rtol=0, atol=1e-14)


@given(mdps(exact=True, max_states=4, reward_range=(-1, 1), rho="point", reward_denominator=4,
            gamma_denominator=10))
def test_exact_mdps_are_exact_and_on_the_grid(mdp):
    assert mdp.is_exact
    assert all(isinstance(x, Fraction) for x in mdp.P.flat)
    assert all(sum(row) == 1 for row in mdp.P.reshape(-1, mdp.n_states))
    assert all((4 * x).denominator == 1 and -1 <= x <= 1 for x in mdp.r.flat)
    assert (10 * mdp.gamma).denominator == 1 and 0 <= mdp.gamma <= Fraction(95, 100)
    assert sorted(mdp.rho.tolist()) == [0] * (mdp.n_states - 1) + [1]


@given(mdps(min_successors=1, max_successors=1, exact=True))
def test_max_successors_one_is_deterministic(mdp):
    assert set(mdp.P.flat) <= {0, 1}


@given(mdps(sparse=True, gamma=Fraction(1, 2)))
def test_sparse_and_fixed_gamma(mdp):
    assert mdp.is_sparse and mdp.gamma == 0.5


@given(mdps(exact=True, gamma="9/10"))
def test_fixed_exact_gamma(mdp):
    assert mdp.gamma == Fraction(9, 10)


@given(st.data())
def test_policies_are_valid(data):
    mdp = data.draw(mdps(max_actions=4))
    A = mdp.n_actions
    m = Fraction(1, 2 * A)
    pi = data.draw(policies(mdp, exact=True, min_prob=m))
    assert all(isinstance(x, Fraction) and x >= m for x in pi.flat)
    assert all(sum(row) == 1 for row in pi)
    pf = data.draw(policies(mdp, min_prob=0.05 if A <= 20 else 0))
    assert pf.dtype == np.float64 and (pf >= 0.05 - 1e-15).all()
    np.testing.assert_allclose(pf.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    det = data.draw(policies(mdp, deterministic=True))
    assert set(det.flat) <= {0.0, 1.0} and (det.sum(axis=1) == 1).all()


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), distributions(n, exact=True, positive=True))))
def test_distributions(nd):
    n, p = nd
    assert p.shape == (n,) and sum(p) == 1 and all(x > 0 for x in p)


@given(distributions(4))
def test_float_distributions(p):
    assert p.dtype == np.float64 and (p >= 0).all() and abs(p.sum() - 1) <= 4e-16 * 4


@given(rational_weights(3, 2))
def test_rational_weights_give_rational_softmax(q):
    theta = np.log(np.asarray(q, dtype=float))
    soft = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
    exact = np.array([[x / sum(row) for x in row] for row in q], dtype=object)
    assert all(isinstance(x, Fraction) and x > 0 for x in q.flat)
    np.testing.assert_allclose(soft, exact.astype(float), rtol=1e-13)


@given(softmax_params(3, 4, max_abs=2.0))
def test_softmax_params(theta):
    # the flat shape TabularSoftmax takes: theta[s * A + a]
    assert theta.shape == (12,) and theta.dtype == np.float64 and (np.abs(theta) <= 2.0).all()
    assert TabularSoftmax(3, 4).probs(theta).shape == (3, 4)


@given(mdp_and_policy(exact=True, min_prob="1/10", max_actions=3))
def test_mdp_and_policy_pairs(mp):
    mdp, pi = mp
    assert pi.shape == (mdp.n_states, mdp.n_actions)
    assert all(x >= Fraction(1, 10) for x in pi.flat)
    evaluate(mdp, pi)  # a valid pair evaluates without error


# ------------------------------------------------------------------ shrinking
def test_some_positive_value_shrinks_to_one_state_one_action():
    m = find(mdps(exact=True), lambda m: max(evaluate(m, uniform_policy(m)).V) > 0)
    assert (m.n_states, m.n_actions) == (1, 1)
    assert m.gamma == 0
    assert m.r[0, 0] == Fraction(1, 8)  # the smallest positive reward on the grid


def test_two_states_shrink_to_deterministic_zero_reward():
    m = find(mdps(exact=True, max_states=6, max_actions=4), lambda m: m.n_states >= 2)
    assert (m.n_states, m.n_actions) == (2, 1)
    assert set(m.P.flat) == {0, 1}
    assert all(x == 0 for x in m.r.flat)
    assert m.gamma == 0


def test_a_stochastic_row_shrinks_to_one_two_point_row():
    m = find(mdps(exact=True), lambda m: any(x not in (0, 1) for x in m.P.flat))
    assert (m.n_states, m.n_actions) == (2, 1)
    # one row is (1/2, 1/2), the other deterministic
    assert sorted(m.P.flat) == [0, Fraction(1, 2), Fraction(1, 2), 1]


def test_float_mdp_shrinks():
    m = find(mdps(), lambda m: m.n_actions >= 2)
    assert (m.n_states, m.n_actions) == (1, 2)
    assert float(m.gamma) == 0.0 and (m.r == 0).all()
    m = find(mdps(), lambda m: float(m.r.max()) > 0.5)
    assert (m.n_states, m.n_actions) == (1, 1) and m.r[0, 0] == 1.0
