"""Focused tests of the B1-B5 checkers (the registry test covers the default suite)."""

from fractions import Fraction as F

import numpy as np
import pytest

from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import forest, random_mdp
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.policy_gradients import (_UnconstrainedDirect, bandit_nonconcavity, baselines, gradient_ascent_rate,
                                              nonconcavity_tree, policy_gradient_theorem, reinforce_reward_to_go)
from mdptheory.policies import LogRational


@pytest.mark.parametrize("r, gamma", [(1, F(9, 10)), (F(5, 2), F(1, 2)), (7, F(99, 100))])
def test_tree_exact_values(r, gamma):
    rep = nonconcavity_tree(r, gamma)
    assert rep.verdict == VERIFIED and rep.mode == "exact"
    v = rep.details["values"]
    # V(s1) = gamma pi(a2|s1) pi(a1|s2) r with pi = 3/4, 1/4 and 1/2 at the three points
    assert v["theta1"] == gamma * F(3, 4) * F(3, 4) * r
    assert v["theta2"] == gamma * F(1, 4) * F(1, 4) * r
    assert v["mid"] == gamma * F(1, 2) * F(1, 2) * r
    assert v["theta1"] + v["theta2"] - 2 * v["mid"] == gamma * r / 8
    assert rep.details["pi_theta1"][0, 1] == F(3, 4) and rep.details["pi_theta1"][1, 0] == F(3, 4)


def test_tree_broken_variants():
    assert nonconcavity_tree(1, F(9, 10), variant="drop_gamma").verdict == FALSIFIED
    assert nonconcavity_tree(1, F(9, 10), variant="concave_claim").verdict == FALSIFIED


def test_bandit_witness_exact_values():
    rep = bandit_nonconcavity()
    assert rep.verdict == VERIFIED
    v = rep.details["values"]
    assert (v["zero"], v["far"], v["mid"]) == (F(2, 3), F(259, 500), F(71, 120))
    assert list(rep.details["policies"]["far"][0]) == [F(9, 50), F(16, 50), F(25, 50)]
    assert rep.slack == F(2, 3) + F(259, 500) - 2 * F(71, 120)
    assert bandit_nonconcavity(mode="float").verdict == VERIFIED
    assert bandit_nonconcavity(variant="probability_midpoint").verdict == FALSIFIED


def test_pg_theorem_exact_softmax_and_direct_on_forest():
    m = forest(3, exact=True)
    rep = policy_gradient_theorem(m, LogRational([[1, 2], [3, 1], [2, 5]]), T=3)
    assert rep.verdict == VERIFIED and rep.residual == 0
    theta = np.array([F(1, 3), F(2, 5), F(1, 2)], dtype=object)
    rep = policy_gradient_theorem(m, theta, param="direct", T=2)
    assert rep.verdict == VERIFIED
    assert policy_gradient_theorem(m, theta, param="direct", T=2, variant="drop_horizon").verdict == FALSIFIED


def test_pg_theorem_float_and_mode_errors():
    m = forest(3)
    rep = policy_gradient_theorem(m, np.array([0.1, -0.4, 1.0, 0.0, 0.3, 0.3]), T=3)
    assert rep.verdict == VERIFIED and rep.mode == "float" and rep.tolerance > 0
    with pytest.raises(InvalidParameterError):
        policy_gradient_theorem(m, np.zeros(6), mode="exact")
    with pytest.raises(InvalidParameterError):
        policy_gradient_theorem(m, np.zeros(6), param="neural")


def test_unconstrained_direct_score_has_nonzero_mean():
    # the reason Lemma 9.9 needs the simplex: E_pi[grad log pi] is the indicator of the state's block
    prm = _UnconstrainedDirect(2, 3)
    th = np.array([F(1, 2), F(1, 3), F(1, 6), F(1, 4), F(1, 4), F(1, 2)], dtype=object)
    pi = prm.probs(th)
    mean = np.einsum("sai,sa->si", prm.score(th), pi)
    for s in range(2):
        assert list(mean[s]) == [1 if i // 3 == s else 0 for i in range(6)]


def test_baselines_and_reward_to_go_exact():
    m = forest(3, exact=True)
    q = LogRational([[1, 2], [3, 1], [2, 5]])
    b = np.array([F(5), F(-2), F(1, 3)], dtype=object)
    assert baselines(m, q, b, T=3).verdict == VERIFIED
    assert baselines(m, q, b, T=3, variant="unconstrained_direct").verdict == FALSIFIED
    rep = reinforce_reward_to_go(m, q, T=3)
    assert rep.verdict == VERIFIED and rep.residual == 0
    assert reinforce_reward_to_go(m, q, T=3, variant="restart_discount").verdict == FALSIFIED


# ------------------------------------------------ convergence checkers of this section
def test_gradient_ascent_rate_reported():
    m = random_mdp(3, 2, gamma=0.5, seed=2)
    rep = gradient_ascent_rate(m, T=10)
    assert rep.verdict == VERIFIED
    assert rep.details["measured_T_times_min_grad_sq"] <= rep.details["theoretical_T_times_min_grad_sq"]

