r"""Ill-conditioned inputs: float results meet their certified bounds or warn.

Cases: :math:`\gamma` up to 0.9999 (and :math:`1 - 2^{-50}`), rewards up to
:math:`10^{12}`, near-deterministic policies (probabilities :math:`10^{-300}`),
absorbing states, softmax parameters up to :math:`\pm 10^3`.  References are
ball arithmetic (``mode="ball"``, certified enclosures of the float problem as
given) and exact rationals.  The checkers' float verdicts are compared with
their exact verdicts: never FALSIFIED on a true statement, never VERIFIED on a
broken variant.
"""

import warnings
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, evaluate
from mdptheory.evaluation import WARN_RELATIVE_ERROR
from mdptheory.exceptions import NumericalWarning
from mdptheory.families import garnet, gridworld
from mdptheory.geometry import natural_gradient, npg_closed_form, softmax_fisher_blocks
from mdptheory.gradients import gradient_float_tolerance, softmax_gradient_closed_form, value_gradient
from mdptheory.lemmas.foundations import bellman_equations, performance_difference, visitation_identities
from mdptheory.lemmas.framework.report import FALSIFIED, UNDECIDED, VERIFIED
from mdptheory.policies import TabularSoftmax


def _mid(a):
    return np.array([float(x.mid()) for x in np.asarray(a).reshape(-1)])


def _rad(a):
    return np.array([float(x.rad()) for x in np.asarray(a).reshape(-1)])


def _hard_instance(seed, gamma, reward_scale, tiny_prob, n_absorbing, S=6, A=3):
    """A dense float MDP with huge rewards, absorbing states and a near-deterministic policy."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(S, 0.3), size=(S, A))
    for s in range(n_absorbing):  # absorbing: every action stays
        P[s] = 0.0
        P[s, :, s] = 1.0
    r = rng.uniform(-reward_scale, reward_scale, size=(S, A))
    pi = rng.dirichlet(np.ones(A), size=S)
    pi[:, 0] = tiny_prob
    pi /= pi.sum(axis=1, keepdims=True)
    return MDP(P, r, gamma), pi


# ------------------------------------------------------------------ evaluation bounds
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.9, 0.99, 0.9999]), st.sampled_from([1.0, 1e6, 1e12]),
       st.sampled_from([0.3, 1e-20, 1e-300, 0.0]), st.integers(0, 2))
def test_float_evaluation_meets_its_certified_bound_or_warns(seed, gamma, scale, tiny, n_abs):
    mdp, pi = _hard_instance(seed, gamma, scale, tiny, n_abs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = evaluate(mdp, pi)
        d = ev.visitation()
    ball = evaluate(mdp, pi, mode="ball", prec=200)
    V_ref, V_rad = _mid(ball.V), _rad(ball.V)
    d_ref, d_rad = _mid(ball.visitation()), _rad(ball.visitation())
    err = np.max(np.abs(ev.V - V_ref) - V_rad)
    assert err <= ev.error_bound
    assert np.sum(np.maximum(np.abs(d - d_ref) - d_rad, 0)) <= ev.visitation_bound()
    assert ev.error_bound == pytest.approx(ev.residual / (1 - gamma), rel=1e-9)
    warned = any(issubclass(w.category, NumericalWarning) for w in caught)
    needs_warning = (ev.error_bound > WARN_RELATIVE_ERROR * np.max(np.abs(ev.V))
                     or ev.visitation_bound() > WARN_RELATIVE_ERROR)
    assert warned == needs_warning


def test_nearly_singular_system_warns_and_says_what_to_do():
    gamma = 1 - 2.0**-50
    mdp = garnet(20, 3, 3, seed=1, gamma=gamma)
    pi = np.full((20, 3), 1 / 3)
    with pytest.warns(NumericalWarning, match="mode='exact' or mode='ball'"):
        ev = evaluate(mdp, pi)
    ball = evaluate(mdp, pi, mode="ball", prec=300)
    # the true error is large (rounding of 1 - gamma alone is 2^-50 relative) and within the bound
    err = np.max(np.abs(ev.V - _mid(ball.V)))
    assert err > 1e-6 * np.max(np.abs(_mid(ball.V)))
    assert err <= ev.error_bound  # here: inf, since gamma * ||P_pi|| may reach 1 within rounding


def test_sparse_krylov_and_direct_bounds_at_gamma_0_9999():
    mdp = gridworld(12, 12, slip=0.1, gamma=0.9999, sparse=True)
    pi = np.full((144, mdp.n_actions), 1 / mdp.n_actions)
    ref = evaluate(mdp.to_exact(), np.full((144, mdp.n_actions), F(1, mdp.n_actions), dtype=object))
    V_ref = np.array([float(v) for v in ref.V])
    d_ref = np.array([float(v) for v in ref.visitation()])
    for method in ("direct", "krylov"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", NumericalWarning)
            ev = evaluate(mdp, pi, method=method)
            d = ev.visitation()
        assert np.max(np.abs(ev.V - V_ref)) <= ev.error_bound + 1e-15 * np.max(np.abs(V_ref))
        assert np.sum(np.abs(d - d_ref)) <= ev.visitation_bound() + 1e-14


# ------------------------------------------------------------------ checkers at gamma = 0.9999, r ~ 1e12
def _exact_instance(seed, S=4, A=2):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 4, size=(S, A, S))
    counts[..., 0] += 1
    P = np.empty((S, A, S), dtype=object)
    P[...] = [[[F(int(c), int(row.sum())) for c in row] for row in blk] for blk in counts]
    r = np.empty((S, A), dtype=object)
    r[...] = [[F(int(x)) for x in row] for row in rng.integers(-10**12, 10**12, size=(S, A))]
    mdp = MDP(P, r, F(9999, 10000))
    w = rng.integers(1, 5, size=(S, A))
    pi = np.empty((S, A), dtype=object)
    pi[...] = [[F(int(x), int(row.sum())) for x in row] for row in w]
    return mdp, pi


_CHECKS = {
    "A1": lambda m, p, p2, v, mode: bellman_equations(m, p, mode=mode, variant=v),
    "A2": lambda m, p, p2, v, mode: visitation_identities(m, p, mode=mode, variant=v),
    "A3": lambda m, p, p2, v, mode: performance_difference(m, p, p2, mode=mode, variant=v),
}
_BROKEN = {"A1": "drop_gamma", "A2": "drop_one_minus_gamma", "A3": "drop_horizon"}


@given(st.integers(0, 2**32 - 1), st.sampled_from(sorted(_CHECKS)))
def test_float_checkers_agree_with_exact_or_stay_undecided(seed, sid):
    mdp, pi = _exact_instance(seed)
    _, pi2 = _exact_instance(seed + 1)
    check = _CHECKS[sid]
    pf, pf2 = np.asarray(pi, dtype=float), np.asarray(pi2, dtype=float)
    for variant in (None, _BROKEN[sid]):
        exact = check(mdp, pi, pi2, variant, "exact")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumericalWarning)
            flt = check(mdp.to_float(), pf, pf2, variant, "float")
        assert exact.verdict in (VERIFIED, FALSIFIED)
        if flt.verdict == VERIFIED:
            assert exact.verdict == VERIFIED, (sid, variant, flt)
        if flt.verdict == FALSIFIED:
            assert exact.verdict == FALSIFIED, (sid, variant, flt)
        if flt.verdict == UNDECIDED:
            assert flt.reason if hasattr(flt, "reason") else True
        if variant is None:
            assert exact.verdict == VERIFIED and flt.verdict != FALSIFIED
        else:
            assert exact.verdict == FALSIFIED and flt.verdict != VERIFIED


def test_performance_difference_of_nearly_equal_policies_is_undecided_in_float():
    # V^pi - V^pi' is ~1e-12 of V ~ 1e16: both sides lie below the rounding tolerance
    mdp, pi = _exact_instance(7)
    pf = np.asarray(pi, dtype=float)
    pf2 = pf.copy()
    pf2[:, 0] += 1e-13
    pf2[:, 1] -= 1e-13
    rep = performance_difference(mdp.to_float(), pf, pf2)
    assert rep.verdict == UNDECIDED
    assert "rounding tolerance" in str(rep)


# ------------------------------------------------------------------ softmax at |theta| up to 1e3
@given(st.integers(0, 2**32 - 1), st.sampled_from([1.0, 30.0, 1e3]), st.sampled_from([0.9, 0.9999]))
def test_softmax_gradient_routes_agree_at_extreme_theta(seed, theta_scale, gamma):
    rng = np.random.default_rng(seed)
    mdp = garnet(5, 3, 3, seed=seed % 1000, gamma=gamma)
    p = TabularSoftmax(5, 3)
    theta = rng.uniform(-theta_scale, theta_scale, size=15)
    g1 = value_gradient(mdp, p, theta)
    g2 = softmax_gradient_closed_form(mdp, p, theta)
    tol = gradient_float_tolerance(mdp, n_params=15, score_bound=2.0)
    assert np.max(np.abs(g1 - g2)) <= tol
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = natural_gradient(mdp, p, theta)
    pi = p.probs(theta)
    ev = evaluate(mdp, pi)
    d = ev.visitation()
    cf = npg_closed_form(ev, d=d).reshape(-1)
    dpi = d[:, None] * pi
    # F^dagger is the closed form in states where every d(s) pi(a|s) is a normal float;
    # where one underflows, the pseudo-inverse drops it from the support and warns
    underflow = (pi > 0) & (d[:, None] > 0) & (dpi < np.finfo(float).tiny)
    assert any(issubclass(x.category, NumericalWarning) for x in caught) == bool(underflow.any())
    full = np.all(dpi >= np.finfo(float).tiny, axis=1).repeat(3)
    tol = 64 * np.finfo(float).eps * np.max(np.abs(ev.Q)) / (1 - gamma) ** 2
    assert np.max(np.abs(w - cf)[full], initial=0.0) <= tol


# ------------------------------------------------------------------ 4c: Fisher pseudo-inverse at tiny pi
@pytest.mark.parametrize("tiny", [1e-20, 1e-300])
def test_npg_through_block_pinv_matches_closed_form_at_tiny_probabilities(tiny):
    mdp = garnet(6, 3, 3, seed=2, gamma=0.9)
    p = TabularSoftmax(6, 3)
    theta = np.zeros((6, 3))
    theta[:, 0] = np.log(tiny)  # pi(0|s) ~ tiny, the rest ~ 1/2
    theta = theta.reshape(-1)
    pi = p.probs(theta)
    assert np.all(pi[:, 0] > 0) and np.all(pi[:, 0] < 10 * tiny)
    ev = evaluate(mdp, pi)
    cf = npg_closed_form(ev).reshape(-1)
    tol = 64 * np.finfo(float).eps * np.max(np.abs(ev.Q)) / (1 - 0.9) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)
        w = natural_gradient(mdp, p, theta)
        F_ = softmax_fisher_blocks(pi, ev.visitation())
        w_blocks = F_.pinv_solve(value_gradient(mdp, p, theta), in_range=True)
    assert np.max(np.abs(w - cf)) <= tol
    assert np.max(np.abs(w_blocks - cf)) <= tol
    # the same g through the generic projection: 1/pi amplifies g's rounding (the
    # conditioning of F^dagger), unless the range component is dropped as above
    g_exact_range = softmax_gradient_closed_form(mdp, p, theta)
    assert np.max(np.abs(F_.pinv_solve(g_exact_range, in_range=True) - cf)) <= tol


def test_block_pinv_warns_when_d_pi_underflows():
    pi = np.array([[1e-320, 1 - 1e-16, 1e-16]])  # a subnormal probability
    d = np.array([1.0])
    F_ = softmax_fisher_blocks(pi, d)
    with pytest.warns(NumericalWarning, match="underflows"):
        x = F_.pinv_solve(np.array([0.0, 1e-16, -1e-16]))
    assert x[0] == 0 and np.all(np.isfinite(x))


def test_block_pinv_drops_a_range_component_at_rounding_level_only():
    # g with sum 0 up to rounding: projected as in range; a real component is kept
    pi = np.array([[0.25, 0.25, 0.5]])
    F_ = softmax_fisher_blocks(pi, np.array([1.0]))
    g = np.array([0.1, 0.2, -0.3])
    x = F_.pinv_solve(g)
    assert np.allclose(F_ @ x, g, atol=1e-15)
    g2 = np.array([0.1, 0.2, 0.0])  # not in the range: F x is its projection
    x2 = F_.pinv_solve(g2)
    proj = g2 - g2.mean()
    assert np.allclose(F_ @ x2, proj, atol=1e-15)
