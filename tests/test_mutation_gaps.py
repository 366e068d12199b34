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
