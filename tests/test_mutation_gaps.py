"""Tests written for surviving mutants of the mutation benchmark (docs/mutation.md): each pins a
behaviour that no other test exercised."""

import numpy as np
import pytest

from mdptheory import MDP, evaluate
from mdptheory.exceptions import InvalidParameterError


def _float_mdp():
    P = np.array([[[0.5, 0.5, 0.0], [0.0, 0.25, 0.75]],
                  [[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]],
                  [[0.0, 0.0, 1.0], [0.6, 0.4, 0.0]]])
    r = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
    return MDP(P, r, 0.9, np.array([0.2, 0.3, 0.5]))


def test_ball_visitation_of_a_float_mdp_uses_its_float_rho_and_validates_mu():
    """Ball mode on a float MDP: the float start distribution is read as its exact binary values
    (summing to one up to rounding) and enclosed; invalid float distributions are rejected."""
    m = _float_mdp()
    pi = np.full((3, 2), 0.5)
    ev = evaluate(m, pi, mode="ball")
    d = ev.visitation()
    d_float = evaluate(m, pi).visitation()
    mids = np.array([float(x.mid()) for x in d])
    assert np.allclose(mids, d_float, rtol=0, atol=1e-12)
    d2 = ev.visitation(np.array([0.1, 0.1, 0.8]))
    assert np.allclose([float(x.mid()) for x in d2], evaluate(m, pi).visitation(np.array([0.1, 0.1, 0.8])),
                       rtol=0, atol=1e-12)
    for bad in ([-0.5, 0.5, 1.0], [np.nan, 0.5, 0.5], [0.5, 0.5, 0.5]):
        with pytest.raises(InvalidParameterError, match="probability distribution"):
            ev.visitation(np.array(bad))


@pytest.mark.parametrize("mode", ["float", "exact", "ball"])
def test_solve_with_no_right_hand_sides(mode):
    """``solve``/``solve_T`` with B of shape (S, 0) return an empty (S, 0) array in every mode."""
    m = _float_mdp() if mode == "float" else _float_mdp().to_exact()
    pi = np.full((3, 2), 0.5) if mode == "float" else np.array([[m.P[0, 0, 0]] * 2] * 3, dtype=object)
    ev = evaluate(m, pi, mode=mode)
    for fn in (ev.solve, ev.solve_T):
        X = fn(np.zeros((3, 0), dtype=float if mode == "float" else object))
        assert X.shape == (3, 0)


def test_exact_value_iteration_counts_sweeps_and_stops_at_max_iter():
    """Exact value iteration reports its sweeps and honours ``max_iter`` (with a ConvergenceWarning)."""
    from mdptheory.exceptions import ConvergenceWarning
    from mdptheory.families import chain
    from mdptheory.optimal import solve

    m = chain(4, exact=True)
    full = solve(m, method="value_iteration")
    assert full.n_iter >= 2
    with pytest.warns(ConvergenceWarning):
        short = solve(m, method="value_iteration", max_iter=1)
    assert short.n_iter == 1


def test_trajectory_kl_hessian_with_a_unit_state_action_weight():
    """One absorbing state, H = 2: KL(Pr^theta_t || Pr^theta) = 2 KL(pi_t || pi_theta), whose Hessian in
    the softmax logits is 2 (diag pi_theta - pi_theta pi_theta^T) whatever pi_t; here the state-action
    weights c(s, a) = sum_h Pr(s_h = s) pi_t(a|s) are exactly 1."""
    from fractions import Fraction as F

    from mdptheory.kl import trajectory_kl_hessian
    from mdptheory.policies import LogRational, TabularSoftmax

    m = MDP([[[F(1)], [F(1)]]], [[F(1), F(0)]], F(1, 2), [F(1)])
    p = TabularSoftmax(1, 2)
    Hkl = trajectory_kl_hessian(m, p, LogRational([F(1), F(1)]), LogRational([F(1), F(3)]), 2)
    assert np.asarray(Hkl).tolist() == [[F(3, 8), F(-3, 8)], [F(-3, 8), F(3, 8)]]


def test_log_softmax_of_a_single_row():
    from mdptheory.policies.softmax import log_softmax

    z = np.array([1.0, 2.0, 3.0])
    assert np.allclose(log_softmax(z), z - np.log(np.exp(z).sum()))


def test_frobenius_norm_of_arb_entries():
    """arb input: the certified squared norm contains the exact sum of squares, and the norm its root."""
    from flint import arb

    from mdptheory.derivatives import frobenius_norm

    T = np.array([[arb(3), arb(-4)], [arb(12), arb(0)]], dtype=object)
    sq = frobenius_norm(T, squared=True)
    assert sq.contains(169) and sq.rad() < 1e-10
    assert frobenius_norm(T).contains(13)


def test_exact_solve_with_general_right_hand_sides():
    """Exact ``solve``: (I - gamma P_pi) X = B exactly, for one and for several right-hand sides
    (the factor clears denominators row by row: the right-hand side must be scaled alike)."""
    from fractions import Fraction as F

    P = np.array([[[F(1, 3), F(2, 3)], [F(1, 7), F(6, 7)]], [[F(2, 5), F(3, 5)], [F(1), F(0)]]], dtype=object)
    r = np.array([[F(1), F(0)], [F(1, 2), F(-1)]], dtype=object)
    m = MDP(P, r, F(9, 10), [F(1, 2), F(1, 2)])
    pi = np.array([[F(1, 4), F(3, 4)], [F(2, 3), F(1, 3)]], dtype=object)
    ev = evaluate(m, pi)
    M = np.eye(2, dtype=int).astype(object) - F(9, 10) * np.asarray(ev.P_pi, dtype=object)
    b = np.array([F(1), F(-2, 3)], dtype=object)
    B = np.array([[F(1), F(0)], [F(5, 11), F(1)]], dtype=object)
    assert list(M.dot(ev.solve(b))) == list(b)
    assert (M.dot(ev.solve(B)) == B).all()


def test_nearly_singular_evaluation_warns_even_with_a_tolerance_it_misses():
    """A float evaluation whose certified bound exceeds both the warning level and the caller's ``tol``
    warns (a given tol silences the warning only when the bound meets it)."""
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.families import garnet

    mdp = garnet(20, 3, 3, seed=1, gamma=1 - 2.0**-50)
    pi = np.full((20, 3), 1 / 3)
    with pytest.warns(NumericalWarning, match="mode='exact' or mode='ball'"):
        evaluate(mdp, pi, tol=1e-12)
