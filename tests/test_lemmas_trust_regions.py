"""Focused tests of the trust-region checkers (statement G2-G4) and the PPO helpers."""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import random_mdp
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.trust_regions import (
    clipped_objective,
    clipped_objective_derivative,
    cpi_improvement,
    ppo_clipping,
    trajectory_kl_fisher,
    trpo_is_npg,
)
from mdptheory.mdp import MDP
from mdptheory.policies import LogRational, TabularSoftmax

rationals = st.fractions(min_value=0, max_value=3, max_denominator=12)
advs = st.fractions(min_value=-3, max_value=3, max_denominator=12)
epss = st.sampled_from([F(1, 10), F(1, 5), F(1, 4), F(1, 2)])


def _two_state():
    P = np.empty((2, 2, 2), dtype=object)
    P[0, 0] = [F(1, 2), F(1, 2)]
    P[0, 1] = [F(0), F(1)]
    P[1, 0] = [F(1), F(0)]
    P[1, 1] = [F(1, 3), F(2, 3)]
    r = np.array([[F(1), F(0)], [F(0), F(2)]], dtype=object)
    return MDP(P, r, F(1, 2), np.array([F(1, 3), F(2, 3)], dtype=object))


def test_clipped_objective_values_by_hand():
    # A > 0: capped at (1 + eps) A; A < 0: floored at (1 - eps) A
    L = clipped_objective([F(3, 2), F(1, 2), F(1, 2), F(3, 2), F(1)], [2, -1, 2, -1, 5], F(1, 5))
    assert L.tolist() == [F(12, 5), F(-4, 5), F(1), F(-3, 2), F(5)]


@given(rationals, advs, epss)
def test_clipped_derivative_matches_difference_quotient(r, A, eps):
    h = F(1, 10**6)
    for side in ("right", "left"):
        if side == "left" and r < h:
            continue
        # a step this small never crosses a kink other than r itself (rationals with denominator <= 12)
        x0, x1 = (r, r + h) if side == "right" else (r - h, r)
        q = (clipped_objective([x1], [A], eps)[0] - clipped_objective([x0], [A], eps)[0]) / h
        assert q == clipped_objective_derivative([r], [A], eps, side=side)[0]


@given(rationals, advs, epss)
def test_clipped_objective_is_pessimistic(r, A, eps):
    assert clipped_objective([r], [A], eps)[0] <= r * A


def test_gradient_is_not_zero_outside_interval_on_the_unclipped_branch():
    # the lecture's "gradient vanishes once r leaves [1-eps, 1+eps]" is false here:
    eps = F(1, 5)
    assert clipped_objective_derivative([F(1, 2)], [F(1)], eps)[0] == 1      # A > 0, r < 1 - eps
    assert clipped_objective_derivative([F(2)], [F(-1)], eps)[0] == -1       # A < 0, r > 1 + eps
    assert clipped_objective_derivative([F(2)], [F(1)], eps)[0] == 0         # active clipped branch


def test_ppo_bad_inputs():
    with pytest.raises(InvalidParameterError, match="eps"):
        clipped_objective([1], [1], F(3, 2))
    with pytest.raises(InvalidParameterError, match="ratio\\[1\\]"):
        clipped_objective([1, -1], [1, 1], F(1, 5))


def test_ppo_checker_exact_and_broken():
    r = [F(k, 4) for k in range(9)]
    A = [F(1), F(-1), F(2), F(-2), F(1), F(-1), F(1), F(-3), F(1)]
    assert ppo_clipping(r, A, F(1, 5)).verdict == VERIFIED
    assert ppo_clipping(r, A, F(1, 5), variant="vanish_outside_interval").verdict == FALSIFIED


def test_trpo_exact_step_on_named_mdp():
    m = _two_state()
    p = TabularSoftmax(2, 2, temperature=1)
    rep = trpo_is_npg(m, p, LogRational([1, 2, 3, 1]), delta=F(1, 2))
    assert rep.mode == "exact" and rep.verdict == VERIFIED
    # the lecture's step leaves the 1/2-constraint at delta/2: falsified
    assert trpo_is_npg(m, p, LogRational([1, 2, 3, 1]), delta=F(1, 2), variant="lecture_sqrt").verdict == FALSIFIED


def test_trpo_step_beats_a_numerical_constrained_maximiser():
    from scipy.optimize import minimize

    from mdptheory.geometry import fisher, trpo_step
    from mdptheory.gradients import value_gradient

    m = _two_state().to_float()
    p = TabularSoftmax(2, 2)
    theta = np.array([0.3, -0.2, 0.5, 0.1])
    g = value_gradient(m, p, theta)
    Fm = fisher(m, p, theta)
    delta = 0.1
    D = trpo_step(g, Fm, delta)
    res = minimize(lambda x: -g @ x, x0=np.full(4, 0.01), method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda x: delta - 0.5 * x @ Fm @ x}],
                   options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    assert g @ D >= -res.fun - 1e-7
    assert abs(g @ D + res.fun) < 1e-5 * abs(g @ D)


def test_kl_hessian_is_fisher_exact_and_broken_weighting():
    m = _two_state()
    p = TabularSoftmax(2, 2, temperature=1)
    th = LogRational([1, 3, 2, 1])
    assert trajectory_kl_fisher(m, p, th, H=3).verdict == VERIFIED
    assert trajectory_kl_fisher(m, p, th, H=3, variant="mu_for_states").verdict == FALSIFIED
    assert trajectory_kl_fisher(m, p, th, H=3, variant="drop_H").verdict == FALSIFIED


# ------------------------------------------------ convergence checkers of this section
def test_cpi_exact_and_broken_alpha_shift():
    m = random_mdp(3, 3, gamma=F(9, 10), seed=1, exact=True)
    m = MDP(m.P, (m.r - m.r.min()) / (m.r.max() - m.r.min()), m.gamma, m.rho)
    assert cpi_improvement(m, alpha=F(1, 4)).verdict == VERIFIED
    assert cpi_improvement(m, alpha=F(1, 4), variant="pi_shift_alpha").verdict == FALSIFIED
