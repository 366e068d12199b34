"""The checkers' own routes for scores, gradients, regressions and trajectories (issue 12).

Each route must agree with the library when the library is right, and must
not move when a library fault is injected into the code it replaces; each new
comparison built on them must turn its statement FALSIFIED under that fault.
"""

from fractions import Fraction

import numpy as np
import pytest

from mdptheory.lemmas.framework import faults as F
from mdptheory.lemmas.framework import routes as R
from mdptheory.lemmas.framework.parameterized import _param_case


def _cases():
    for mode in ("float", "exact"):
        for kind in ("softmax", "loglinear", "onehot"):
            for seed in (0, 1):
                yield mode, kind, seed


def _case(mode, kind, seed):
    return _param_case(np.random.default_rng([seed, 12]), mode, kind=kind)


def _close(a, b, mode, tol=1e-12):
    a = np.asarray(a, dtype=object if mode == "exact" else float)
    b = np.asarray(b, dtype=object if mode == "exact" else float)
    if mode == "exact":
        return a.shape == b.shape and all(x == y for x, y in zip(a.reshape(-1), b.reshape(-1)))
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode,kind,seed", list(_cases()))
def test_score_and_gradient_routes_agree_with_the_library(mode, kind, seed):
    m, param, theta = _case(mode, kind, seed)
    th = theta if mode == "exact" else param.float_theta(theta)
    assert _close(R.score_direct(param, th, mode), param.score(th), mode)
    assert _close(R.gradient_own_score(m, param, th, m.rho, mode), R.gradient_direct(m, param, th, m.rho, mode),
                  mode, tol=1e-10)


@pytest.mark.parametrize("fault", ["score_sign", "loglinear_features_transposed", "softmax_jacobian_without_outer"])
def test_score_route_does_not_use_the_library_score_or_jacobian(fault):
    for mode, kind, seed in _cases():
        m, param, theta = _case(mode, kind, seed)
        th = theta if mode == "exact" else param.float_theta(theta)
        before = R.score_direct(param, th, mode), R.gradient_own_score(m, param, th, m.rho, mode)
        with F.inject(fault):
            after = R.score_direct(param, th, mode), R.gradient_own_score(m, param, th, m.rho, mode)
        assert _close(before[0], after[0], mode, tol=0.0) and _close(before[1], after[1], mode, tol=0.0)


@pytest.mark.parametrize("mode", ["float", "exact"])
def test_compatible_normal_equations_hold_for_the_library_fit(mode):
    from mdptheory.geometry import compatible_fa

    m, param, theta = _case(mode, "loglinear", 3)
    fit = compatible_fa(m, param, theta, mu=m.rho, target="advantage", mode=mode)
    Fm, b = R.compatible_normal_equations(m, param.probs(theta), param.score(theta), m.rho, mode)
    w = np.asarray(fit.w, dtype=object if mode == "exact" else float)
    assert _close(Fm.dot(w), b, mode, tol=1e-9)
    # a wrong weight does not solve them
    assert not _close(Fm.dot(w * 2), b, mode, tol=1e-9) or not any(x != 0 for x in b)


@pytest.mark.parametrize("T", [0, 1, 2, 3])
def test_trajectories_direct_matches_the_library_enumeration(T):
    from mdptheory.families import chain
    from mdptheory.trajectories import enumerate_trajectories

    m = chain(3, exact=True)
    pi = np.array([[Fraction(1, 3), Fraction(2, 3)]] * m.n_states, dtype=object)
    own = R.trajectories_direct(m, pi, T, m.rho)
    lib = {(tuple(s), tuple(a)): p for s, a, p in enumerate_trajectories(m, pi, T)}
    assert own == lib
    assert sum(own.values()) == 1
    assert all(len(s) == T and len(a) == T for s, a in own)


#: (fault, statement) cells that the new comparisons catch when the statement runs alone.
CELLS = [
    ("loglinear_features_transposed", "F1"), ("loglinear_features_transposed", "F2"),
    ("loglinear_features_transposed", "F4"), ("loglinear_features_transposed", "G2"),
    ("loglinear_features_transposed", "G3"), ("loglinear_features_transposed", "H3"),
    ("q_without_gamma", "F4"), ("score_sign", "F4"), ("value_relative_1e-6", "F4"),
    ("q_without_gamma", "H2"), ("value_relative_1e-6", "H2"),
    ("visitation_is_rho", "H3"), ("visitation_without_1_minus_gamma", "H3"), ("visitation_forward_solve", "H3"),
    ("npg_without_min_norm_shift", "H1"), ("enumerate_horizon_off_by_one", "B3"),
    ("symbolic_score_dropped_term", "F1s"),
]


@pytest.mark.parametrize("fault,sid", CELLS)
def test_new_comparisons_catch_their_fault(fault, sid):
    m = F.fault_matrix([fault], [sid], n=F.MATRIX_CASES)
    assert m.cells[(fault, sid)] == F.CAUGHT, m.details[(fault, sid)]
