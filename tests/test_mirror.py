"""Policy mirror descent and AMPO: exact Euclidean iterates, the derived linear rate, AMPO = PMD, H checkers."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, evaluate
from mdptheory.algorithms import ampo, pmd_step, policy_mirror_descent, simplex_projection
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import bandit, random_mdp
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.mirror_descent import ampo_reduction, pmd_linear_convergence, pmd_step_improvement
from mdptheory.optimal import solve
from mdptheory.policies import LogLinear, TabularSoftmax

F = Fraction


def _exact_mdp():
    return MDP.exact([[["1/2", "1/2", "0"], ["0", "1/3", "2/3"]],
                      [["1/4", "0", "3/4"], ["1", "0", "0"]],
                      [["0", "0", "1"], ["1/2", "1/2", "0"]]],
                     [["1", "0"], ["0", "2"], ["1/2", "-1"]], "9/10", ["1/3", "1/3", "1/3"])


def test_simplex_projection_exact_named_values():
    assert simplex_projection([[F(1), F(1, 2), F(-1)]]).tolist() == [[F(3, 4), F(1, 4), F(0)]]
    # a point of the simplex is its own projection
    p = [[F(1, 6), F(1, 3), F(1, 2)]]
    assert simplex_projection(p).tolist() == p


@given(st.lists(st.lists(st.integers(-20, 20), min_size=3, max_size=3), min_size=1, max_size=4))
def test_simplex_projection_optimality_exact(rows):
    Y = np.array([[F(x, 7) for x in row] for row in rows], dtype=object)
    P = simplex_projection(Y)
    for y, p in zip(Y, P):
        assert sum(p) == 1 and all(x >= 0 for x in p)
        g = y - p
        assert max(g) == sum(gi * pi for gi, pi in zip(g, p))   # variational inequality, exactly


def test_simplex_projection_float_matches_exact():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(6, 4))
    Ye = np.array([[F(float(x)) for x in row] for row in Y], dtype=object)
    exact = np.array(simplex_projection(Ye), dtype=float)
    assert np.allclose(simplex_projection(Y), exact, atol=1e-14)


def test_euclidean_pmd_stays_exact_and_improves_monotonically():
    m = _exact_mdp()
    res = policy_mirror_descent(m, mirror="euclidean", eta0=F(1, 2), schedule="geometric", T=6)
    assert res.exact
    assert all(isinstance(x, Fraction) for pi in res.policies for x in pi.flat)
    Vs = [evaluate(m, pi, mode="exact").V for pi in res.policies]
    for V0, V1 in zip(Vs, Vs[1:]):
        assert all(b >= a for a, b in zip(V0, V1))
    # the geometric Euclidean steps reach an optimal policy exactly
    assert res.gaps[-1] == 0
    assert res.step_sizes[1] == F(1, 2) / F(9, 10)


def test_kl_pmd_step_is_npg_update():
    from mdptheory.geometry import npg_update

    m = random_mdp(4, 3, gamma=0.8, seed=3)
    pi = np.random.default_rng(1).dirichlet(np.ones(3), size=4)
    ev = evaluate(m, pi)
    assert np.allclose(pmd_step(pi, ev.Q, 0.7), npg_update(pi, ev.advantage, 0.7 * (1 - 0.8), 0.8), atol=1e-14)


def test_pmd_geometric_rate_at_least_as_fast_as_derived_bound():
    m = random_mdp(4, 3, gamma=0.8, seed=5)
    res = policy_mirror_descent(m, mirror="kl", eta0=0.5, schedule="geometric", T=30)
    sol = solve(m)
    d_star = evaluate(m, sol.pi).visitation(m.rho)
    theta = float(np.max(d_star / m.rho)) / (1 - 0.8)
    D0 = float(np.log(3.0))  # E_{d*} KL(pi*_s || uniform) = log|A| for a deterministic pi*
    gaps = res.float_gaps()
    bound = (1 - 1 / theta) ** np.arange(31) * (gaps[0] + D0 / ((1 - 0.8) * 0.5 * (theta - 1)))
    assert np.all(gaps <= bound + 1e-12)
    assert gaps[-1] < 1e-8  # the growing steps approach policy iteration: far faster than the bound
    # linear rate: the gap shrinks geometrically
    assert gaps[8] < gaps[0] * (1 - 1 / theta) ** 8


def test_constant_step_pmd_converges_and_options_checked():
    res = policy_mirror_descent(bandit([1.0, 0.0, 0.5]), mirror="kl", eta0=1.0, T=60)
    assert res.gap < 1e-10
    with pytest.raises(InvalidParameterError):
        policy_mirror_descent(bandit([1.0, 0.0]), mirror="l1", eta0=1.0, T=1)
    with pytest.raises(InvalidParameterError):
        policy_mirror_descent(_exact_mdp(), mirror="kl", eta0=1, T=1, mode="exact")
    with pytest.raises(InvalidParameterError):
        policy_mirror_descent(bandit([1.0, 0.0]), mirror="kl", eta0=-1.0, T=1)


def test_ampo_tabular_reduces_to_pmd():
    m = random_mdp(4, 3, gamma=0.9, seed=2)
    a = ampo(m, TabularSoftmax(4, 3), eta0=0.3, schedule="geometric", T=8)
    p = policy_mirror_descent(m, mirror="kl", eta0=0.3, schedule="geometric", T=8)
    assert max(float(np.max(np.abs(x - y))) for x, y in zip(a.policies, p.policies)) < 1e-12
    assert max(a.extras["approx_error"]) < 1e-20
    s = ampo(m, TabularSoftmax(4, 3), eta0=0.3, schedule="geometric", T=8, step1="sgd", seed=0)
    assert max(float(np.max(np.abs(x - y))) for x, y in zip(s.policies, p.policies)) < 1e-4


def test_ampo_limited_features_have_a_floor():
    m = random_mdp(4, 3, gamma=0.9, seed=2)
    phi = np.random.default_rng(0).normal(size=(4, 3, 2))
    res = ampo(m, LogLinear(phi), eta0=0.3, schedule="geometric", T=10)
    assert min(res.extras["approx_error"]) > 1e-6          # the class cannot fit the target
    full = policy_mirror_descent(m, mirror="kl", eta0=0.3, schedule="geometric", T=10)
    assert res.gap > full.gap
    with pytest.raises(InvalidParameterError):
        ampo(m, LogLinear(phi), eta0=0.3, T=1, step1="newton")


def test_h_checkers_on_named_cases_and_handmade_broken_statements():
    m = _exact_mdp()
    pi = np.array([[F(1, 2), F(1, 2)], [F(1, 3), F(2, 3)], [F(1, 4), F(3, 4)]], dtype=object)
    assert pmd_step_improvement(m, pi, F(1)).verdict == VERIFIED
    assert pmd_step_improvement(m, pi, F(1), variant="descent").verdict == FALSIFIED
    assert pmd_linear_convergence(m, eta0=F(1, 4), T=6).verdict == VERIFIED
    assert pmd_linear_convergence(m, eta0=F(1, 4), T=6, variant="shrinking_steps").verdict == FALSIFIED
    mf = random_mdp(3, 2, gamma=0.5, seed=1)
    rep = ampo_reduction(mf, eta0=0.25, T=4)
    assert rep.verdict == VERIFIED
    assert set(rep.details["limited_features"]) == {1, 2}
    assert ampo_reduction(mf, eta0=0.25, T=4, variant="drop_mirror_term").verdict == FALSIFIED
