"""Tests for mdptheory.counterexamples.search: search, shrinking, exact re-check, saving, margin search."""

from fractions import Fraction

import numpy as np
import pytest

from mdptheory import MDP, evaluate
from mdptheory.counterexamples import performance_difference
from mdptheory.exceptions import InvalidParameterError, MalformedFileError
from mdptheory.counterexamples import (Case, find_counterexample, is_violation, load_counterexample, margin_search,
                              rational_policy, rationalize)
from mdptheory.strategies import policies


def d_geq_rho(case):
    d = evaluate(case.mdp, case.pi).visitation()
    return bool((d >= case.mdp.rho).all())


def test_finds_shrinks_and_confirms_exactly(tmp_path):
    ce = find_counterexample(d_geq_rho, budget=100, seed=0)
    # a plain boolean property shows no numbers: the confirmation does not claim exact arithmetic
    assert ce.found and ce.exact_agrees and not ce.exact
    assert ce.confirmation == "float64 on a rationalized MDP" and ce.state_minimal
    assert (ce.n_states, ce.n_actions) == (2, 1)          # the smallest possible witness
    assert ce.mdp.is_exact and ce.n_examples <= 100
    # the witness really violates the claim, exactly
    d = evaluate(ce.mdp, ce.pi).visitation()
    assert any(d[s] < ce.mdp.rho[s] for s in range(ce.n_states))
    path = tmp_path / "w.json"
    ce.save(path)
    back = load_counterexample(path)
    assert back.confirmation == ce.confirmation and back.mdp == ce.mdp and back.recheck(d_geq_rho)
    assert all(isinstance(x, Fraction) for x in back.pi.reshape(-1))


def test_same_seed_same_witness():
    a = find_counterexample(d_geq_rho, budget=30, seed=3, states=(1, 3))
    b = find_counterexample(d_geq_rho, budget=30, seed=3, states=(1, 3))
    assert a.mdp == b.mdp and (a.pi == b.pi).all() and a.n_calls == b.n_calls


def test_true_property_has_no_counterexample():
    ce = find_counterexample(performance_difference, budget=60, seed=0,
                             extras={"pi2": lambda m: policies(m)})
    assert not ce.found and ce.case is None
    with pytest.raises(InvalidParameterError):
        ce.save("never_written.json")


def test_exact_search_space():
    ce = find_counterexample(d_geq_rho, budget=50, seed=0, exact=True)
    assert ce.found and ce.mdp.is_exact and ce.float_evidence is None


def test_exact_recheck_disagreement_is_reported():
    # float-only artefact: 0.1 + 0.2 != 0.3 in binary, but 1/10 + 2/10 = 3/10 exactly
    def prop(case):
        if case.exact:
            return True
        return case.n_states < 2
    ce = find_counterexample(prop, budget=20, seed=0)
    assert ce.found and not ce.exact and ce.exact_agrees is False and "DISAGREES" in ce.note


def test_rationalize_recovers_small_rationals():
    m = MDP([[[5 / 13, 8 / 13]], [[0.1, 0.9]]], [[0.125], [0.3]], 0.9, [1 / 3, 2 / 3])
    e = rationalize(m)
    assert e.is_exact and e.P[0, 0, 0] == Fraction(5, 13) and e.r[1, 0] == Fraction(3, 10)
    assert e.gamma == Fraction(9, 10) and e.rho[0] == Fraction(1, 3)
    pi = rational_policy(np.array([[1 / 3, 2 / 3]]))
    assert pi[0, 0] == Fraction(1, 3) and sum(pi[0]) == 1


def test_case_to_exact_keeps_data():
    m = MDP([[[1.0]]], [[0.5]], 0.5)
    c = Case(m, np.array([[1.0]]), np.array([0.25]), {"k": 3, "x": np.array([0.5])}).to_exact()
    assert c.exact and c.theta[0] == Fraction(1, 4) and c.data["x"][0] == Fraction(1, 2) and c.data["k"] == 3


def test_bad_arguments():
    with pytest.raises(InvalidParameterError):
        find_counterexample(d_geq_rho, budget=0)
    with pytest.raises(InvalidParameterError):
        find_counterexample(d_geq_rho, search="random")
    with pytest.raises(InvalidParameterError):
        is_violation(0.5)
    with pytest.raises(InvalidParameterError):
        find_counterexample(lambda c: 1.0, budget=5)


def test_load_rejects_plain_mdp(tmp_path):
    from mdptheory.io import save_json
    p = tmp_path / "m.json"
    save_json(MDP([[[1.0]]], [[0.5]], 0.5), p)
    with pytest.raises(MalformedFileError):
        load_counterexample(p)


def test_margin_search_finds_worst_bandit_nonconcavity():
    # softmax bandit with r = (1, 0): V(theta) = sigmoid(theta_0 - theta_1), whose midpoint
    # concavity gap V(x) + V(y) - 2 V((x+y)/2) has supremum 1 (x -> +inf, y -> -inf faster)
    from mdptheory.policies import TabularSoftmax
    m = MDP([[[1.0], [1.0]]], [[1.0, 0.0]], 0.0)
    param = TabularSoftmax(1, 2)

    def margin(case):
        t = case.theta
        V = [evaluate(m, param.probs(x)).V[0] for x in (t[:2], t[2:], (t[:2] + t[2:]) / 2)]
        return V[0] + V[1] - 2 * V[2]

    class Pair:  # two points of the same softmax, as one parameter vector
        n_states, n_actions, n_params = 1, 2, 4

        @staticmethod
        def probs(th):
            return param.probs(th[:2])

    res = margin_search(margin, mdp=m, param=Pair(), over="theta", n_restarts=4, seed=0, max_iter=300)
    assert res.found and 0.99 < res.margin <= 1
    assert res.margin == pytest.approx(margin(res.case))


def test_margin_search_over_mdp_entries():
    # the margin rho(s) - d(s): largest violation of d >= rho over random 2-state MDPs
    def margin(case):
        d = evaluate(case.mdp, case.pi).visitation()
        return float(np.max(case.mdp.rho - d))

    res = margin_search(margin, over="mdp", states=2, actions=1, gamma=0.5, n_restarts=3, seed=0, max_iter=200)
    # sup over MDPs of rho(s) - d(s) is (1/2)(1 - (1 - gamma)) = gamma/2 for uniform rho
    assert res.found and res.margin <= 0.25 + 1e-12 and res.margin > 0.2
