"""Convergence checkers: exact named values, hand-made broken statements, witnesses and rates in reports."""

from fractions import Fraction

import numpy as np
import pytest

from mdptheory import MDP
from mdptheory.families import bandit, random_mdp
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.convergence import (cpi_improvement, gradient_ascent_rate, mei_rates, npg_improvement,
                                          npg_rate, softmax_pg_monotone)


def test_bandit_remark_exact_values():
    """Mei et al.'s remark, by hand: r = (5, 4, 4), pi = (2e, 1/2 - 2e, 1/2)."""
    from mdptheory.gradients import value_gradient
    from mdptheory.policies import LogRational, TabularSoftmax

    m = bandit([5, 4, 4])
    e = Fraction(1, 10)
    g = value_gradient(m, TabularSoftmax(1, 3), LogRational([2 * e, Fraction(1, 2) - 2 * e, Fraction(1, 2)]))
    # d V / d theta_a = pi_a (r_a - V), V = 4 + 2e
    assert list(g) == [2 * e * (1 - 2 * e), (Fraction(1, 2) - 2 * e) * (-2 * e), Fraction(1, 2) * (-2 * e)]
    assert sum(x * x for x in g) == e**2 * (6 - 24 * e + 32 * e**2)


def test_mei_exact_report_verified_and_witnessed():
    m = random_mdp(2, 2, gamma=Fraction(1, 2), seed=4, exact=True)
    rep = mei_rates(m, eps_bandit=Fraction(1, 7), skew=Fraction(50), mode="exact")
    assert rep.verdict == VERIFIED and rep.mode == "exact"
    assert rep.witness["mdp"] is m


def test_cpi_exact_and_broken_alpha_shift():
    m = random_mdp(3, 3, gamma=Fraction(9, 10), seed=1, exact=True)
    m = MDP(m.P, (m.r - m.r.min()) / (m.r.max() - m.r.min()), m.gamma, m.rho)
    assert cpi_improvement(m, alpha=Fraction(1, 4)).verdict == VERIFIED
    assert cpi_improvement(m, alpha=Fraction(1, 4), variant="pi_shift_alpha").verdict == FALSIFIED


def test_rates_reported():
    m = random_mdp(3, 2, gamma=0.5, seed=2)
    rep = gradient_ascent_rate(m, T=10)
    assert rep.verdict == VERIFIED
    assert rep.details["measured_T_times_min_grad_sq"] <= rep.details["theoretical_T_times_min_grad_sq"]
    rep = npg_rate(m, eta=0.5, T=10)
    assert rep.verdict == VERIFIED and np.isfinite(rep.details["measured_log_gap_slope"])
    assert rep.details["measured_log_gap_slope"] < 0


def test_hand_made_broken_npg_step():
    """A broken statement beyond the registered ones: E3's identity with eta doubled fails."""
    m = random_mdp(3, 2, gamma=0.5, seed=6)
    good = npg_improvement(m, eta=0.5, T=2)
    assert good.verdict == VERIFIED
    from mdptheory.lemmas.report import CheckReport
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


def test_monotone_checker_reports_slope():
    m = random_mdp(3, 2, gamma=0.5, seed=8)
    rep = softmax_pg_monotone(m, T=10)
    assert rep.verdict == VERIFIED
    assert rep.details["measured_log_gap_slope"] < 0
