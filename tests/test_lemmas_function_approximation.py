"""Focused tests of the compatible-function-approximation checkers (statement F1-F3)."""

from fractions import Fraction as F

import numpy as np

from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.function_approximation import compatible_gradient, loglinear_npg_update, npg_compatible_weights
from mdptheory.mdp import MDP
from mdptheory.policies import LogLinear, LogRational, TabularSoftmax


def _mdp():
    P = np.empty((2, 2, 2), dtype=object)
    P[0] = [[F(1, 2), F(1, 2)], [F(1, 5), F(4, 5)]]
    P[1] = [[F(1), F(0)], [F(1, 3), F(2, 3)]]
    r = np.array([[F(1), F(-1)], [F(0), F(3, 2)]], dtype=object)
    return MDP(P, r, F(1, 2), np.array([F(2, 5), F(3, 5)], dtype=object))


def test_compatible_gradient_loglinear_exact():
    phi = np.array([[[1, 0], [0, 1]], [[1, 1], [-1, 2]]])
    p = LogLinear(phi, temperature=1)
    rep = compatible_gradient(_mdp(), p, LogRational([2, 3]))
    assert rep.mode == "exact" and rep.verdict == VERIFIED
    assert compatible_gradient(_mdp(), p, LogRational([2, 3]), variant="rho_for_d").verdict == FALSIFIED


def test_general_minimiser_is_not_the_npg_direction_for_softmax():
    p = TabularSoftmax(2, 2, temperature=1)
    th = LogRational([1, 2, 2, 1])
    assert npg_compatible_weights(_mdp(), p, th).verdict == VERIFIED
    rep = npg_compatible_weights(_mdp(), p, th, variant="general_minimiser")
    assert rep.verdict == FALSIFIED
    # but the general minimiser still satisfies F w = (1-gamma) grad V (recorded as VERIFIED part)
    part = [q for q in rep.parts if q["part"].startswith("a general minimiser")]
    assert part and part[0]["verdict"] == VERIFIED


def test_onehot_features_npg_equals_qnpg_exactly():
    # one-hot features: log-linear = tabular softmax, zero regression error, updates coincide
    p = LogLinear(np.eye(4, dtype=int).reshape(2, 2, 4), temperature=1)
    rep = loglinear_npg_update(_mdp(), p, LogRational([1, 2, 3, 1]))
    assert rep.verdict == VERIFIED
    assert rep.details["q_npg_error"] == 0 and rep.details["npg_error"] == 0
    assert any("coincide" in q["part"] for q in rep.parts)
    assert all(x == 0 for x in np.asarray(rep.details["update_difference"]).reshape(-1))


def test_poor_features_make_npg_and_qnpg_differ():
    # a single feature cannot represent Q: positive error and different updates (reported, not a verdict)
    phi = np.array([[[1], [0]], [[0], [2]]])
    p = LogLinear(phi, temperature=1)
    rep = loglinear_npg_update(_mdp(), p, LogRational([2]))
    assert rep.verdict == VERIFIED
    assert rep.details["q_npg_error"] > 0
    assert any(x != 0 for x in np.asarray(rep.details["update_difference"]).reshape(-1))
    assert loglinear_npg_update(_mdp(), p, LogRational([2]), variant="uncentred_score").verdict == FALSIFIED
