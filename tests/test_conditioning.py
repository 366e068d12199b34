r"""Ill-conditioned inputs: float results meet their certified bounds or warn.

Cases: :math:`\gamma` up to 0.9999 (and :math:`1 - 2^{-50}`), rewards up to
:math:`10^{12}`, near-deterministic policies (probabilities :math:`10^{-300}`),
absorbing states, softmax parameters up to :math:`\pm 10^3`.  References are
ball arithmetic (``mode="ball"``, certified enclosures of the float problem as
given) and exact rationals.  The checkers' float verdicts are compared with
their exact verdicts: never FALSIFIED on a true statement, never VERIFIED on a
broken variant.
"""

import math
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
        w, w_bound = natural_gradient(mdp, p, theta, with_bound=True)
    pi = p.probs(theta)
    ev = evaluate(mdp, pi)
    d = ev.visitation()
    cf = npg_closed_form(ev, d=d).reshape(-1)
    dpi = d[:, None] * pi
    # F^dagger is the closed form in states where every d(s) pi(a|s) is a normal float;
    # where one underflows, the pseudo-inverse drops it from the support and warns (no
    # certificate then); otherwise it warns only when its certified bound is not small
    underflow = (pi > 0) & (d[:, None] > 0) & (dpi < np.finfo(float).tiny)
    warned = any(issubclass(x.category, NumericalWarning) for x in caught)
    if underflow.any():
        assert warned and w_bound == math.inf
    elif warned:
        assert not w_bound <= WARN_RELATIVE_ERROR * np.max(np.abs(w)), w_bound
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


# ------------------------------------------------------------------ no silent wrong number
# Reference: the float problem as given (the float P, r, gamma and policy read as exact
# binary rationals), solved in mpmath at 60 digits, independently of the package.
import mpmath  # noqa: E402  (a sympy dependency)

from mdptheory import solve  # noqa: E402
from mdptheory.batch import evaluate_batch, evaluate_policies  # noqa: E402
from mdptheory.gradients import pg_advantage_form, pg_q_form  # noqa: E402

_DPS = 60


def _mp_reference(P, r, gamma, pi, mu=None):
    """``(V, Q, A, w)`` of the float problem as given, in mpmath (``w = mu^T (I - gamma P_pi)^{-1}``).

    ``pi`` may hold mpf entries (the exact policy of a parameterization) or floats.
    """
    with mpmath.workdps(_DPS):
        S, A = np.shape(r)
        mp = mpmath.mpf
        Pm = [[mp(float(x)) for x in row] for row in np.asarray(P, dtype=float).reshape(S * A, S)]
        rm = [[mp(float(x)) for x in row] for row in np.asarray(r, dtype=float)]
        pim = [[x if isinstance(x, mpmath.mpf) else mp(float(x)) for x in row] for row in pi]
        g = mp(float(gamma))
        M = mpmath.eye(S)
        rpi = mpmath.matrix(S, 1)
        for s in range(S):
            for a in range(A):
                rpi[s] += pim[s][a] * rm[s][a]
                for t in range(S):
                    M[s, t] -= g * pim[s][a] * Pm[s * A + a][t]
        V = mpmath.lu_solve(M, rpi)
        Q = [[rm[s][a] + g * mpmath.fsum(Pm[s * A + a][t] * V[t] for t in range(S)) for a in range(A)]
             for s in range(S)]
        Adv = [[Q[s][a] - V[s] for a in range(A)] for s in range(S)]
        w = None
        if mu is not None:
            w = mpmath.lu_solve(M.T, mpmath.matrix([mp(float(x)) for x in mu]))
        return [V[s] for s in range(S)], Q, Adv, w


def _mp_max_err(x_hat, x_ref):
    """``max |x_hat - x_ref|`` as a float (inf for non-finite x_hat), computed in mpmath."""
    flat = np.asarray(x_hat, dtype=float).reshape(-1)
    ref = [v for row in x_ref for v in (row if isinstance(row, list) else [row])]
    if not np.all(np.isfinite(flat)):
        return math.inf
    with mpmath.workdps(_DPS):
        return float(max(abs(mpmath.mpf(float(a)) - b) for a, b in zip(flat, ref)))


def _mp_softmax_gradient(P, r, gamma, theta, mu, S, A):
    """Exact gradient of V(mu) for tabular softmax at theta (exact softmax in mpmath)."""
    with mpmath.workdps(_DPS):
        th = np.asarray(theta, dtype=float).reshape(S, A)
        pi = []
        for row in th:
            m = max(mpmath.mpf(float(x)) for x in row)
            ex = [mpmath.exp(mpmath.mpf(float(x)) - m) for x in row]
            z = mpmath.fsum(ex)
            pi.append([e / z for e in ex])
        _, Q, _, w = _mp_reference(P, r, gamma, pi, mu)
        grad = [w[s] * mpmath.fsum(pi[s][a] * ((1 if a == b else 0) - pi[s][b]) * Q[s][a] for a in range(A))
                for s in range(S) for b in range(A)]
        return grad


def _warned(caught):
    return any(issubclass(w.category, NumericalWarning) for w in caught)


def _check_against_reference(mdp, pi):
    """evaluate's V, Q and A within their bounds; a warning exactly when bound/|V| > WARN."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = evaluate(mdp, pi)
        eb = ev.error_bound
    V, Q, Adv, _ = _mp_reference(mdp.P, mdp.r, mdp.gamma, pi)
    err_V = _mp_max_err(ev.V, V)
    assert err_V <= eb, (err_V, eb)
    assert not math.isnan(eb) and (eb > 0 or err_V == 0)
    vmax = float(np.max(np.abs(ev.V)))
    needs = not np.all(np.isfinite(ev.V)) or not eb <= WARN_RELATIVE_ERROR * vmax
    assert _warned(caught) == needs, (eb, vmax)
    if math.isfinite(eb):
        assert _mp_max_err(ev.Q, Q) <= ev.q_error_bound
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumericalWarning)
            assert _mp_max_err(ev.advantage, Adv) <= ev.advantage_error_bound
    return err_V, eb


@given(st.integers(0, 2**32 - 1), st.sampled_from([0.9, 0.999, 1 - 2.0**-40]),
       st.sampled_from([0.0, 1e6, 1e12, -1e15]), st.sampled_from([1.0, 1e-300, 1e-320, 1e300]))
def test_evaluation_within_bound_against_mpmath_reference(seed, gamma, offset, scale):
    rng = np.random.default_rng(seed)
    mdp0 = garnet(4, 3, 2, seed=seed % 997, gamma=gamma)
    r = (mdp0.r * scale) + offset * (scale if scale < 1 else 1.0)
    pi = rng.dirichlet(np.ones(3), size=4)
    _check_against_reference(MDP(mdp0.P, r, gamma), pi)


def test_reproducer_rewards_at_float_max_are_never_a_silent_inf():
    # r = +-1.5e308: V overflows; evaluate, solve and the batch say so instead of returning inf quietly
    for r in ([[1.5e308], [1.5e308]], [[1.5e308], [-1.5e308]]):
        mdp = MDP([[[0.5, 0.5]], [[0.5, 0.5]]], r, 0.9)
        with pytest.warns(NumericalWarning, match="non-finite"):
            ev = evaluate(mdp, [[1.0], [1.0]])
        assert ev.error_bound == math.inf and ev.q_error_bound == math.inf
        with pytest.warns(NumericalWarning, match="non-finite"):
            sol = solve(mdp)
        assert not sol.success and sol.error_bound == math.inf
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sol = solve(mdp, method="value_iteration")
        if sol.success:  # r = (+x, -x): V* = r exactly, no overflow on the way
            assert np.all(np.isfinite(sol.V)) and np.all(np.isfinite(sol.Q)) and not _warned(caught)
        else:
            assert _warned(caught) and sol.error_bound == math.inf
        with pytest.warns(NumericalWarning):  # non-finite V, or a certificate that overflows
            be = evaluate_batch(np.asarray(mdp.P)[None], np.asarray(r, dtype=float)[None], 0.9, np.ones((1, 2, 1)))
        assert be.error_bound[0] == math.inf


def test_reproducer_subnormal_rewards_get_a_nonzero_bound_and_a_warning():
    # r = 1.5e-323 (three subnormal units): V is rounded by 11-33 %; the bound used to be 0.0
    mdp = MDP([[[0.5, 0.5]], [[0.25, 0.75]]], [[1.5e-323], [0.0]], 0.5)
    err, bound = _check_against_reference(mdp, np.ones((2, 1)))
    assert bound > 0 and err <= bound
    with pytest.warns(NumericalWarning):
        evaluate(mdp, np.ones((2, 1)))


def test_reproducer_batch_at_gamma_1_minus_2_pow_40_has_per_item_bounds_and_warns():
    gamma = 1 - 2.0**-40
    mdp = garnet(20, 3, 3, seed=1, gamma=gamma)
    pis = np.stack([np.full((20, 3), 1 / 3), np.eye(3)[np.arange(20) % 3]])
    with pytest.warns(NumericalWarning, match="items"):
        be = evaluate_batch(np.stack([mdp.P] * 2), np.stack([mdp.r] * 2), gamma, pis)
    with pytest.warns(NumericalWarning, match="items"):
        bp = evaluate_policies(mdp, pis)
    for k in range(2):
        V, Q, Adv, _ = _mp_reference(mdp.P, mdp.r, gamma, pis[k])
        for res in (be, bp):
            err = _mp_max_err(res.V[k], V)
            assert 1.0 < err <= res.error_bound[k]  # the error is real (~1e7 on |V| ~ 5e11) and bounded
            assert _mp_max_err(res.Q[k], Q) <= res.q_error_bound[k]
            assert _mp_max_err(res.advantage[k], Adv) <= res.advantage_error_bound[k]


@given(st.integers(0, 2**32 - 1), st.sampled_from([0.5, 0.99, 1 - 2.0**-40]), st.sampled_from([0.0, 1e12]))
def test_batch_items_within_their_bounds_warning_iff_some_bound_is_large(seed, gamma, offset):
    rng = np.random.default_rng(seed)
    B, S, A = 3, 4, 2
    P = rng.dirichlet(np.full(S, 0.5), size=(B, S, A))
    r = rng.uniform(-1, 1, size=(B, S, A)) + offset
    pi = rng.dirichlet(np.ones(A), size=(B, S))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        be = evaluate_batch(P, r, gamma, pi)
        eb = np.array(be.error_bound)
    vmax = np.max(np.abs(be.V), axis=1)
    assert _warned(caught) == bool(np.any(~(eb <= WARN_RELATIVE_ERROR * vmax)))
    for b in range(B):
        V, Q, _, _ = _mp_reference(P[b], r[b], gamma, pi[b])
        assert _mp_max_err(be.V[b], V) <= eb[b]
        assert _mp_max_err(be.Q[b], Q) <= be.q_error_bound[b]


def test_reproducer_reward_offset_costs_gradients_and_advantage_nothing():
    # garnet(5, 3, 3, gamma = 0.999) with r + 1e12: the gradient used to be off by 13.5 on |grad V| = 24
    # and the advantage by 0.26 on |A| = 0.49, silently.  (The exact gradient of the float problem
    # is not exactly that of r without offset: the float P's rows sum to one only within rounding.)
    base = garnet(5, 3, 3, seed=0, gamma=0.999)
    mdp = MDP(base.P, base.r + 1e12, 0.999)
    p = TabularSoftmax(5, 3)
    theta = np.random.default_rng(0).normal(size=15)
    ref = _mp_softmax_gradient(mdp.P, mdp.r, mdp.gamma, theta, mdp.rho, 5, 3)
    gmax = max(abs(float(x)) for x in ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)  # accurate now: nothing to warn about
        for fn in (value_gradient, pg_q_form, pg_advantage_form, softmax_gradient_closed_form):
            g, bound = fn(mdp, p, theta, with_bound=True)
            err = _mp_max_err(g, ref)
            assert err <= bound <= 1e-6 * gmax, (fn.__name__, err, bound)
    # ev.advantage itself is Q - V: its bound says it is worthless here, and a warning says so
    ev = evaluate(mdp, p.probs(theta))
    _, _, Adv, _ = _mp_reference(mdp.P, mdp.r, mdp.gamma, p.probs(theta))
    with pytest.warns(NumericalWarning, match="advantage"):
        A_hat = ev.advantage
    assert _mp_max_err(A_hat, Adv) <= ev.advantage_error_bound
    assert ev.advantage_error_bound > WARN_RELATIVE_ERROR * np.max(np.abs(A_hat))


@given(st.integers(0, 2**32 - 1), st.sampled_from([0.9, 0.999]), st.sampled_from([0.0, 1e6, 1e12]),
       st.sampled_from([1.0, 30.0]))
def test_gradient_routes_within_their_bounds_against_mpmath(seed, gamma, offset, theta_scale):
    rng = np.random.default_rng(seed)
    S, A = 4, 3
    base = garnet(S, A, 2, seed=seed % 991, gamma=gamma)
    mdp = MDP(base.P, base.r + offset, gamma)
    p = TabularSoftmax(S, A)
    theta = rng.uniform(-theta_scale, theta_scale, size=S * A)
    ref = _mp_softmax_gradient(mdp.P, mdp.r, gamma, theta, mdp.rho, S, A)
    for fn in (value_gradient, pg_q_form, pg_advantage_form, softmax_gradient_closed_form):
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            g, bound = fn(mdp, p, theta, with_bound=True)
        assert _mp_max_err(g, ref) <= bound, fn.__name__
        assert not math.isnan(bound) and bound > 0


@pytest.mark.parametrize("tiny, offset", [(0.3, 0.0), (1e-20, 0.0), (1e-300, 0.0), (1e-300, 1e12), (1e-20, 1e12)])
def test_npg_direction_within_its_bound_at_tiny_probabilities(tiny, offset):
    # F^dagger grad V = (A - mean_a A) / (1 - gamma) (tau = 1), from an mpmath reference at the exact softmax
    base = garnet(6, 3, 3, seed=2, gamma=0.9)
    mdp = MDP(base.P, base.r + offset, 0.9)
    p = TabularSoftmax(6, 3)
    theta = np.zeros((6, 3))
    theta[:, 0] = np.log(tiny)
    theta = theta.reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)  # nothing underflows: accurate, no warning
        w, bound = natural_gradient(mdp, p, theta, with_bound=True)
    with mpmath.workdps(_DPS):
        pi = []
        for row in theta.reshape(6, 3):
            ex = [mpmath.exp(mpmath.mpf(float(x))) for x in row]
            z = mpmath.fsum(ex)
            pi.append([e / z for e in ex])
        _, _, Adv, _ = _mp_reference(mdp.P, mdp.r, 0.9, pi)
        ref = [[(a - mpmath.fsum(row) / 3) / (1 - mpmath.mpf(0.9)) for a in row] for row in Adv]
    err = _mp_max_err(w, ref)
    assert 0 < bound and err <= bound <= 1e-6 * np.max(np.abs(w))
