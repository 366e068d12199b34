"""Focused tests of the NPG checkers (statement E1, E2)."""

from fractions import Fraction as F

import numpy as np

from mdptheory.evaluation import evaluate
from mdptheory.geometry import fisher, pinv_solve
from mdptheory.families import random_mdp
from mdptheory.gradients import value_gradient
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.natural_gradient import fisher_block_form, npg_closed_form_check, npg_improvement, npg_rate
from mdptheory.mdp import MDP
from mdptheory.policies import LogRational, TabularSoftmax


def _mdp():
    P = np.empty((2, 3, 2), dtype=object)
    P[0] = [[F(1, 2), F(1, 2)], [F(1), F(0)], [F(1, 4), F(3, 4)]]
    P[1] = [[F(0), F(1)], [F(2, 3), F(1, 3)], [F(1, 2), F(1, 2)]]
    r = np.array([[F(1), F(0), F(-1)], [F(2), F(0), F(1, 2)]], dtype=object)
    return MDP(P, r, F(9, 10), np.array([F(1, 4), F(3, 4)], dtype=object))


def test_fisher_block_by_hand_single_state():
    # one state, pi = (1/4, 3/4): the block is diag(pi) - pi pi^T = [[3/16, -3/16], [-3/16, 3/16]]
    P = np.array([[[F(1)], [F(1)]]], dtype=object)
    m = MDP(P, np.array([[F(0), F(1)]], dtype=object), F(1, 2), np.array([F(1)], dtype=object))
    p = TabularSoftmax(1, 2, temperature=1)
    rep = fisher_block_form(m, p, LogRational([1, 3]))
    assert rep.verdict == VERIFIED
    assert rep.details["F"].tolist() == [[F(3, 16), F(-3, 16)], [F(-3, 16), F(3, 16)]]


def test_npg_min_norm_is_the_unweighted_mean_shift():
    m = _mdp()
    p = TabularSoftmax(2, 3, temperature=1)
    th = LogRational([1, 2, 3, 2, 1, 1])
    rep = npg_closed_form_check(m, p, th, rho2=np.array([F(1, 2), F(1, 2)], dtype=object))
    assert rep.mode == "exact" and rep.verdict == VERIFIED
    # independent of the checker: the min-norm direction has zero unweighted mean per state and differs
    # from the lecture's (1-gamma)^-1 A, whose pi-weighted mean is zero
    w = pinv_solve(fisher(m, p, th), value_gradient(m, p, th)).reshape(2, 3)
    assert all(sum(row) == 0 for row in w)
    A = evaluate(m, p.probs(th)).advantage
    assert any(w[s, a] != A[s, a] * 10 for s in range(2) for a in range(3))
    assert npg_closed_form_check(m, p, th, variant="pi_weighted_shift").verdict == FALSIFIED


def test_npg_float_update_independent_of_rho():
    m = _mdp().to_float()
    p = TabularSoftmax(2, 3)
    th = np.array([0.1, -0.4, 0.3, 0.0, 0.2, -0.1])
    rep = npg_closed_form_check(m, p, th, rho2=np.array([0.9, 0.1]), eta=0.7)
    assert rep.verdict == VERIFIED
    assert any("npg_update" in part["part"] for part in rep.parts)


def test_uniform_fisher_is_falsified_when_visitation_is_not_uniform():
    m = _mdp()
    p = TabularSoftmax(2, 3, temperature=1)
    th = LogRational([1, 2, 3, 2, 1, 1])
    assert npg_closed_form_check(m, p, th, variant="uniform_fisher").verdict == FALSIFIED
    assert fisher_block_form(m, p, th, variant="rho_for_d").verdict == FALSIFIED


# ------------------------------------------------ convergence checkers of this section
def test_npg_rate_reported():
    m = random_mdp(3, 2, gamma=0.5, seed=2)
    rep = npg_rate(m, eta=0.5, T=10)
    assert rep.verdict == VERIFIED and np.isfinite(rep.details["measured_log_gap_slope"])
    assert rep.details["measured_log_gap_slope"] < 0


def test_hand_made_broken_npg_step():
    """A broken statement beyond the registered ones: E3's identity with eta doubled fails."""
    m = random_mdp(3, 2, gamma=0.5, seed=6)
    good = npg_improvement(m, eta=0.5, T=2)
    assert good.verdict == VERIFIED
    from mdptheory.lemmas.framework.report import CheckReport
    from mdptheory.algorithms import natural_policy_gradient
    from mdptheory.evaluation import evaluate
    from mdptheory.kl import kl_policy

    res = natural_policy_gradient(m, eta=0.5, T=1)
    ev0, ev1 = evaluate(m, res.policies[0]), evaluate(m, res.policies[1])
    kl = np.asarray(kl_policy(res.policies[1], res.policies[0], mode="float"), dtype=float)
    D = np.array([ev1.visitation(np.eye(3)[s]) for s in range(3)])
    rhs_wrong = D @ (kl + res.extras["log_Z"][0]) / (2 * 0.5)
    assert np.max(np.abs((ev1.V - ev0.V) - rhs_wrong)) > 1e-6
    rhs = D @ (kl + res.extras["log_Z"][0]) / 0.5
    np.testing.assert_allclose(ev1.V - ev0.V, rhs, atol=1e-12)
