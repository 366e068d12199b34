"""Sampled estimators: trajectory statistics, unbiased REINFORCE (CI contains the exact gradient), baselines, TD(0)."""

import numpy as np
import pytest

from mdptheory import evaluate
from mdptheory.estimators import (baseline_variance_reduction, mc_estimate, normal_quantile, reinforce,
                                  reinforce_samples, sample_trajectories, td0_q)
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import random_mdp
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.policy_gradients import baseline_monte_carlo, reinforce_monte_carlo, reward_to_go_monte_carlo
from mdptheory.policies import Direct, TabularSoftmax
from mdptheory.trajectories import truncated_value, truncated_value_gradient


def _case():
    m = random_mdp(3, 2, gamma=0.9, seed=2)
    return m, TabularSoftmax(3, 2), np.random.default_rng(1).normal(size=6)


def test_trajectories_seeded_and_distributed_correctly():
    m, p, th = _case()
    pi = p.probs(th)
    a = sample_trajectories(m, pi, n=40000, T=4, seed=7)
    b = sample_trajectories(m, pi, n=40000, T=4, seed=7)
    assert np.array_equal(a.states, b.states) and np.array_equal(a.actions, b.actions)
    # the mean return estimates the truncated value V_4(rho)
    est = mc_estimate(a.returns(), confidence=0.9999)
    assert est.contains([truncated_value(m, p, th, 4)]).all()
    # start states follow rho
    freq = np.bincount(a.states[:, 0], minlength=3) / a.n
    assert np.allclose(freq, m.rho, atol=0.02)
    assert np.allclose(a.rewards_to_go()[:, 0], a.returns())


@pytest.mark.parametrize("estimator, baseline", [("total", None), ("reward_to_go", None), ("baseline", "value"),
                                                 ("baseline", 2.5), ("baseline", "value_infinite")])
def test_reinforce_unbiased(estimator, baseline):
    m, p, th = _case()
    g = truncated_value_gradient(m, p, th, 4)
    est = reinforce(m, p, th, n=30000, T=4, estimator=estimator, baseline=baseline, confidence=0.9999, seed=11)
    assert est.contains(g).all(), est.z_scores(g)


def test_reinforce_direct_parameterization_unbiased():
    m = random_mdp(2, 3, gamma=0.5, seed=4)
    p = Direct(2, 3)
    th = np.array([0.2, 0.5, 0.6, 0.1])
    g = truncated_value_gradient(m, p, th, 3)
    est = reinforce(m, p, th, n=30000, T=3, estimator="reward_to_go", confidence=0.9999, seed=0)
    assert est.contains(g).all()


def test_biased_estimators_are_detected():
    _, p, th = _case()
    m = random_mdp(3, 2, gamma=0.5, seed=2)  # a small gamma makes the missing gamma^t a large bias
    g = truncated_value_gradient(m, p, th, 4)
    samples, tr = reinforce_samples(m, p, th, n=30000, T=4, estimator="total", discount=False, seed=11)
    assert not mc_estimate(samples, confidence=0.9999).contains(g).all()
    bad, _ = reinforce_samples(m, p, th, n=30000, T=4, estimator="baseline",
                               baseline=np.array([[0.0, 20.0]] * 3), trajectories=tr)
    assert not mc_estimate(bad, confidence=0.9999).contains(g).all()


def test_value_baseline_reduces_variance():
    m, p, th = _case()
    out = baseline_variance_reduction(m, p, th, n=20000, T=4, seed=0)
    assert out["total_ratio"] < 0.5
    assert np.all(out["var_baseline"] <= out["var_plain"])


def test_confidence_interval_machinery():
    assert normal_quantile(0.95, bonferroni=False) == pytest.approx(1.959964, abs=1e-6)
    assert normal_quantile(0.95, n_components=2) == pytest.approx(2.241403, abs=1e-6)
    rng = np.random.default_rng(0)
    est = mc_estimate(rng.normal(3.0, 2.0, size=(10000, 1)), confidence=0.99)
    assert est.contains([3.0]).all() and est.stderr[0] == pytest.approx(0.02, rel=0.05)
    with pytest.raises(InvalidParameterError):
        mc_estimate([1.0])
    with pytest.raises(InvalidParameterError):
        normal_quantile(1.5)


def test_td0_converges_to_q():
    m, p, th = _case()
    pi = p.probs(th)
    Q = evaluate(m, pi).Q
    Qhat, visits = td0_q(m, pi, n_steps=20000, seed=0)
    assert visits.sum() == 20000
    assert np.max(np.abs(Qhat - Q)) < 0.1 * np.max(np.abs(Q))
    Qn, _ = td0_q(m, pi, n_steps=20000, seed=0, normalized=True)
    assert np.max(np.abs(Qn - 0.1 * Q)) < 0.1 * 0.1 * np.max(np.abs(Q))


def test_b_mc_checkers_named_case_and_broken_statements():
    m = random_mdp(2, 2, gamma=0.5, seed=0)
    th = np.array([0.3, -0.2, 1.0, 0.0])
    for chk, bad in ((reinforce_monte_carlo, "missing_discount"), (baseline_monte_carlo, "action_dependent_baseline"),
                     (reward_to_go_monte_carlo, "restart_discount")):
        assert chk(m, th, T=3, seed=0).verdict == VERIFIED
        assert chk(m, th, T=3, seed=0, variant=bad).verdict == FALSIFIED
    rep = baseline_monte_carlo(m, th, T=3, seed=0)
    assert rep.details["variance_ratio"] < 1
