"""Values print as Python that rebuilds them, and Hypothesis failures can be pasted back.

MDPs (exact and float), parameterizations and exact points have reprs that ``eval``
back to equal objects for small sizes; failing Hypothesis examples show them (not
``MDP(S=1, A=2, gamma=0, exact)`` or ``build_det([1])``); ``mdp_and_theta`` draws
points in the parameterization's own shape; ``st.from_type(MDP)`` works; ``evaluate``
reads a 1-D integer vector as a deterministic policy and results print action vectors.
"""

import re
from fractions import Fraction  # noqa: F401  (used by eval of reprs)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.reporting import with_reporter

from mdptheory import MDP, evaluate, solve
from mdptheory.exceptions import InvalidPolicyError
from mdptheory.families import forest, vanishing_gradient_chain
from mdptheory.gradients import value_gradient
from mdptheory.policies import (
    Direct,
    EnergyPolicy,
    LogLinear,
    LogRational,
    NeuralSoftmax,
    TabularSoftmax,
    deterministic_policy,
)
from mdptheory.policies.names import resolve_parameterization
from mdptheory.policies.tabular import policy_actions
from mdptheory.strategies import mdp_and_policy, mdp_and_theta, mdps, parameters

NAMESPACE = {"MDP": MDP, "np": np, "array": np.array, "Fraction": Fraction, "LogRational": LogRational,
             "TabularSoftmax": TabularSoftmax, "Direct": Direct, "LogLinear": LogLinear,
             "EnergyPolicy": EnergyPolicy}


def _rebuild(obj):
    return eval(repr(obj), dict(NAMESPACE))  # noqa: S307 - the point of the test


@settings(max_examples=40, deadline=None)
@given(mdps(exact=True, max_states=3, rho="random"))
def test_exact_mdp_repr_rebuilds_it(m):
    text = repr(m)
    assert text.startswith("MDP.exact(") and "Fraction" not in text
    assert _rebuild(m) == m


@settings(max_examples=40, deadline=None)
@given(mdps(max_states=3, rho="random"))
def test_float_mdp_repr_rebuilds_it_bit_for_bit(m):
    back = _rebuild(m)
    assert back == m and back.gamma == m.gamma
    assert np.array_equal(back.P_dense(), m.P_dense()) and np.array_equal(back.rho, m.rho)


def test_large_and_sparse_mdps_print_a_summary():
    big = vanishing_gradient_chain(10)
    assert repr(big) == "MDP(S=12, A=4, gamma=10/11, exact)"
    assert repr(forest(3).to_sparse()).endswith("sparse float)")


def test_parameterizations_and_points_rebuild():
    phi = np.array([[[1, 0], [0, 1]], [[2, -1], [0, 0]]])
    objs = [TabularSoftmax(2, 3), TabularSoftmax(2, 3, temperature=0.5), Direct(3, 2), EnergyPolicy(2, 2),
            LogLinear(phi), LogLinear(phi * 0.5, temperature=2.0),
            LogLinear(np.array([[[Fraction(1, 3)], [Fraction(2)]]], dtype=object))]
    for p in objs:
        q = _rebuild(p)
        assert type(q) is type(p) and repr(q) == repr(p)
        assert (q.n_states, q.n_actions, q.n_params) == (p.n_states, p.n_actions, p.n_params)
        theta = np.full(p.n_params, 0.25)
        if not isinstance(p, Direct):
            assert np.array_equal(q.probs(theta), p.probs(theta))
    point = LogRational(["1/2", 3, "7/5"])
    assert repr(point) == 'LogRational(["1/2", 3, "7/5"])'
    assert _rebuild(point) == point
    neural = NeuralSoftmax(np.ones((2, 2, 3)), 4, seed=0)
    assert repr(neural).startswith("<NeuralSoftmax")  # not code: it says so with angle brackets


def _falsifying_output(test):
    lines = []
    with with_reporter(lines.append):
        with pytest.raises(AssertionError) as info:
            test()
    return "\n".join(map(str, lines + list(getattr(info.value, "__notes__", []))))


def test_hypothesis_failure_prints_an_mdp_and_policy_you_can_paste_back():
    @settings(max_examples=200, database=None, derandomize=True)
    @given(mdp_and_policy(exact=True, deterministic=True, max_states=2))
    def prop(mp):
        mdp, pi = mp
        assert max(evaluate(mdp, pi).V) == 0  # false as soon as a reward is positive

    out = _falsifying_output(prop)
    assert "build_det" not in out and "MDP(S=" not in out
    assert "Falsifying example" in out
    call = re.search(r"mp=(\(.*\)),\s*\)", out, re.S).group(1)
    mdp, pi = eval(call, dict(NAMESPACE))  # noqa: S307
    assert isinstance(mdp, MDP) and mdp.is_exact
    assert max(evaluate(mdp, pi).V) > 0  # the pasted example fails the property again


def test_mdp_and_theta_gives_theta_in_the_parameterization_shape():
    seen = set()

    @settings(max_examples=30, deadline=None, database=None)
    @given(st.sampled_from(["softmax", "direct", "loglinear", "energy"]).flatmap(
        lambda name: st.tuples(st.just(name), mdp_and_theta(name, exact=True, max_states=3))))
    def prop(drawn):
        name, (mdp, theta) = drawn
        prm = resolve_parameterization(name, n_states=mdp.n_states, n_actions=mdp.n_actions)
        prm.check_theta(theta)  # the parameterization's own shape, no reshaping
        pi = prm.probs(theta)
        assert all(sum(row) == 1 for row in pi)
        g = value_gradient(mdp, prm, theta)
        assert g.shape == (prm.n_params,) and (g.dtype == object or prm.n_params == 0)  # exact all the way
        seen.add(name)

    prop()
    assert seen == {"softmax", "direct", "loglinear", "energy"}

    fixed = TabularSoftmax(2, 3)

    @settings(max_examples=5, database=None)
    @given(mdp_and_theta(fixed))
    def fixed_sizes(mt):
        m, th = mt
        assert (m.n_states, m.n_actions) == (2, 3) and th.shape == (6,)

    fixed_sizes()
    with pytest.raises(InvalidArgument, match="param"):
        mdp_and_theta("neural").example()
    with pytest.raises(InvalidArgument, match="contradicts"):
        mdp_and_theta(fixed, max_states=1).example()
    with pytest.raises(InvalidArgument, match="temperature 1"):
        parameters(TabularSoftmax(2, 2, temperature=2.0), exact=True).example()


def test_from_type_mdp_is_registered():
    @settings(max_examples=10, database=None)
    @given(st.from_type(MDP))
    def prop(m):
        assert isinstance(m, MDP) and not m.is_exact and m.n_states <= 4

    prop()


# ------------------------------------------------------------------ action vectors
def test_evaluate_reads_an_integer_vector_as_a_deterministic_policy():
    m = forest(3, exact=True)
    for actions in ([0, 1, 1], np.array([1, 0, 1]), (1, 1, 0)):
        ev = evaluate(m, actions)
        ref = evaluate(m, deterministic_policy(m, np.asarray(actions)))
        assert np.array_equal(ev.V, ref.V) and ev.mode == "exact"
        assert f"actions={np.asarray(actions).tolist()}" in repr(ev)
    # S == A: a 1-D vector is never a stochastic policy (those are 2-D), so no ambiguity
    sq = MDP([[[1, 0], [0, 1]], [[0, 1], [1, 0]]], [[1, 0], [0, 1]], Fraction(1, 2))
    assert np.array_equal(evaluate(sq, [1, 0]).pi, np.array([[0, 1], [1, 0]]))
    with pytest.raises(InvalidPolicyError, match="action vector of length 2; the MDP has S = 3"):
        evaluate(m, [0, 1])
    with pytest.raises(InvalidPolicyError, match=r"integer action indices \(read as deterministic_policy"):
        evaluate(m, [0.0, 1.0, 1.0])
    with pytest.raises(InvalidPolicyError, match=r"actions\[2\] = 5"):
        evaluate(m, [0, 1, 5])
    fl = evaluate(m.to_float(), [0, 1, 1])
    assert fl.mode == "float" and np.allclose(fl.V, np.asarray(evaluate(m, [0, 1, 1]).V, dtype=float))


def test_results_show_the_policy_as_an_action_vector():
    m = forest(3, exact=True)
    sol = solve(m)
    assert f"actions={sol.actions.tolist()}" in repr(sol)
    assert policy_actions(sol.pi).tolist() == sol.actions.tolist()
    stochastic = evaluate(m, np.full((3, 2), Fraction(1, 2), dtype=object))
    assert "actions" not in repr(stochastic)
