"""Focused tests of the D1, D2, D4 checkers (the registry test covers the default suite)."""

from fractions import Fraction as F

import numpy as np
import pytest

from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import bandit, bandit_mei, forest, random_mdp
from mdptheory.lemmas import FALSIFIED, UNDECIDED, VERIFIED
from mdptheory.lemmas.softmax import (_barrier_hessian, _exact_sym_upper_check, exact_softmax_derivative,
                                      mei_rates, softmax_gradient, softmax_pg_monotone, softmax_score,
                                      softmax_smoothness)
from mdptheory.policies import LogRational, TabularSoftmax


def test_exact_derivative_matches_hand_computation():
    # pi = (1, 2, 5)/8; d pi_a / d theta_b = pi_a (1[a=b] - pi_b)
    J = exact_softmax_derivative(TabularSoftmax(1, 3), LogRational([[1, 2, 5]]))
    pi = [F(1, 8), F(1, 4), F(5, 8)]
    for a in range(3):
        for b in range(3):
            assert J[0, a, b] == pi[a] * ((1 if a == b else 0) - pi[b])


def test_exact_derivative_two_states_block_structure():
    J = exact_softmax_derivative(TabularSoftmax(2, 2), LogRational([[1, 3], [2, 2]]))
    assert all(J[0, a, 2 + b] == 0 and J[1, a, b] == 0 for a in range(2) for b in range(2))
    assert J[0, 0, 0] == F(1, 4) * F(3, 4)


def test_score_exact_and_float_verified_and_sign_error_caught():
    rep = softmax_score(2, 3, LogRational([[1, 2, 3], [5, 1, 1]]))
    assert rep.verdict == VERIFIED and rep.mode == "exact" and rep.residual == 0
    rep = softmax_score(2, 3, np.array([0.3, -1.0, 2.0, 0.0, 4.0, -3.0]))
    assert rep.verdict == VERIFIED and rep.mode == "float"
    # a hand-made broken statement: the sign of the score flipped is far from the independent derivative
    J = exact_softmax_derivative(TabularSoftmax(1, 2), LogRational([[1, 3]]))
    pi = TabularSoftmax(1, 2).probs(LogRational([[1, 3]]))
    flipped = np.array([[[pi[0, b] - (1 if a == b else 0) for b in range(2)] for a in range(2)]], dtype=object)
    assert not np.all(J / pi[:, :, None] == flipped)


def test_gradient_on_named_mdps():
    m = forest(3, exact=True)
    rep = softmax_gradient(m, LogRational([[1, 2], [3, 1], [1, 1]]))
    assert rep.verdict == VERIFIED
    # bandit: gamma = 0, d = mu, so dV/dtheta_a = pi_a (r_a - pi.r)
    rep = softmax_gradient(bandit_mei(), LogRational([[3, 4, 5]]))
    pi = np.array([F(3, 12), F(4, 12), F(5, 12)], dtype=object)
    r = [F(1), F(9, 10), F(1, 10)]
    v = sum(p * x for p, x in zip(pi, r))
    assert list(rep.details["gradient"]) == [p * (x - v) for p, x in zip(pi, r)]
    assert softmax_gradient(m, LogRational([[1, 2], [3, 1], [1, 1]]), variant="q_for_advantage").verdict == FALSIFIED


def test_trace_power_certificate():
    H = np.array([[F(3), F(0)], [F(0), F(-1)]], dtype=object)
    assert _exact_sym_upper_check(H, F(4))[0] == VERIFIED
    assert _exact_sym_upper_check(H, F(2))[0] == FALSIFIED
    assert _exact_sym_upper_check(H, F(3))[0] == UNDECIDED  # tight: no certificate either way


def test_barrier_hessian_closed_form():
    param = TabularSoftmax(2, 3)
    q = LogRational([[1, 2, 3], [4, 1, 1]])
    pi = param.probs(q)
    lam = F(7, 2)
    HB = _barrier_hessian(param, q, lam)
    # closed form: -(lam/|S|) blockdiag(diag pi_s - pi_s pi_s^T)
    for s in range(2):
        for a in range(3):
            for t in range(2):
                for b in range(3):
                    want = 0 if s != t else -(lam / 2) * ((pi[s, a] if a == b else 0) - pi[s, a] * pi[s, b])
                    assert HB[s * 3 + a, t * 3 + b] == want


def test_smoothness_bandit_loop_and_gamma_zero_barrier_constant():
    m = bandit([1, 0], gamma=F(99, 100))
    rep = softmax_smoothness(m, LogRational([4, 1]), lam=F(1))
    assert rep.verdict == VERIFIED
    assert softmax_smoothness(m, LogRational([4, 1]), variant="bandit_constant").verdict == FALSIFIED
    # beta_lambda = 8 gamma/(1-gamma)^3 + 2 lambda/|S| cannot hold at gamma = 0: a one-state bandit with a
    # small lambda has ||hess L|| ~ 0.19 > 2 lambda; the registered suite therefore uses gamma >= 1/2
    rep0 = softmax_smoothness(bandit([1, 0], gamma=0), LogRational([4, 1]), lam=F(1, 1000))
    assert rep0.parts[0]["verdict"] == VERIFIED and rep0.parts[1]["verdict"] == FALSIFIED


def test_smoothness_rejects_rewards_outside_unit_interval():
    with pytest.raises(InvalidParameterError, match=r"r\[0, 0\]"):
        softmax_smoothness(bandit([2, 0], gamma=F(1, 2)), LogRational([1, 1]))


# ------------------------------------------------ convergence checkers of this section
def test_bandit_remark_exact_values():
    """Mei et al.'s remark, by hand: r = (5, 4, 4), pi = (2e, 1/2 - 2e, 1/2)."""
    from mdptheory.gradients import value_gradient
    from mdptheory.policies import LogRational, TabularSoftmax

    m = bandit([5, 4, 4])
    e = F(1, 10)
    g = value_gradient(m, TabularSoftmax(1, 3), LogRational([2 * e, F(1, 2) - 2 * e, F(1, 2)]))
    # d V / d theta_a = pi_a (r_a - V), V = 4 + 2e
    assert list(g) == [2 * e * (1 - 2 * e), (F(1, 2) - 2 * e) * (-2 * e), F(1, 2) * (-2 * e)]
    assert sum(x * x for x in g) == e**2 * (6 - 24 * e + 32 * e**2)


def test_mei_exact_report_verified_and_witnessed():
    m = random_mdp(2, 2, gamma=F(1, 2), seed=4, exact=True)
    rep = mei_rates(m, eps_bandit=F(1, 7), skew=F(50), mode="exact")
    assert rep.verdict == VERIFIED and rep.mode == "exact"
    assert rep.witness["mdp"] is m


def test_monotone_checker_reports_slope():
    m = random_mdp(3, 2, gamma=0.5, seed=8)
    rep = softmax_pg_monotone(m, T=10)
    assert rep.verdict == VERIFIED
    assert rep.details["measured_log_gap_slope"] < 0
