"""Tests written for surviving mutants of the mutation benchmark (docs/mutation.md): each pins a
behaviour that no other test exercised."""

import time
from fractions import Fraction
from fractions import Fraction as F_

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


# --- evaluation/result.py (second, 30-mutant run) --------------------------------------------------


def _dyadic_mdp():
    """A float MDP whose every entry is a short binary fraction: its float and exact forms are one MDP."""
    P = np.array([[[0.5, 0.5], [0.25, 0.75]], [[1.0, 0.0], [0.125, 0.875]]])
    r = np.array([[1e-3, 0.0], [2e-3, 5e-4]])
    return MDP(P, r, 0.5, np.array([0.5, 0.5]))


def test_float_visitation_accepts_an_object_array_of_numbers():
    """Float mode reads an object array of real numbers (e.g. Fractions) as floats; only strings,
    booleans and complex entries are rejected."""
    from fractions import Fraction as F

    m = _float_mdp()
    ev = evaluate(m, np.full((3, 2), 0.5))
    mu = [F(1, 4), F(1, 4), F(1, 2)]
    d_obj = ev.visitation(np.array(mu, dtype=object))
    d_ref = evaluate(m, np.full((3, 2), 0.5)).visitation(np.array([0.25, 0.25, 0.5]))
    assert np.allclose(d_obj, d_ref, rtol=0, atol=1e-15)
    with pytest.raises(InvalidParameterError, match="real numbers"):
        ev.visitation(np.array([0.5, "a", 0.5], dtype=object))


def test_q_error_bound_is_sound_and_within_its_documented_envelope():
    """The certified bound of Q-hat contains the exact error (exact rationals of the same MDP) and is no
    larger than its docstring formula with every elementwise term replaced by its maximum:
    gamma rho e + (S + 3)(eps (max|r| + gamma rho max|V|) + eta) + eta max|V|, rho <= 1 + 1e-9.
    Small rewards (|V| ~ 1e-3) make a wrong weighting of P|V| visible."""
    from fractions import Fraction as F

    m = _dyadic_mdp()
    pi = np.array([[0.5, 0.5], [0.25, 0.75]])
    ev = evaluate(m, pi)
    ex = evaluate(m.to_exact(), np.array([[F(1, 2), F(1, 2)], [F(1, 4), F(3, 4)]], dtype=object), mode="exact")
    err_q = max(abs(F(float(a)) - b) for a, b in zip(np.ravel(ev.Q), np.ravel(ex.Q)))
    q = ev.q_error_bound
    assert err_q <= q
    eps, eta = float(np.finfo(float).eps), float(np.finfo(float).tiny)
    S, g, rho = m.n_states, m.gamma, 1 + 1e-9
    vmax, rmax = float(np.max(np.abs(ev.V))), float(np.max(np.abs(m.r)))
    envelope = g * rho * ev.error_bound + (S + 3) * (eps * (rmax + g * rho * vmax) + eta) + eta * vmax
    assert q <= envelope * (1 + 1e-12)


def test_advantage_error_bound_keeps_its_underflow_allowance():
    """The advantage's bound is q_error_bound + e + eps max|A| + eta (documented): near the underflow
    range (rewards 1e-300, one action, so A-hat is at rounding level below q) the eta term is a visible
    part of it."""
    from mdptheory.exceptions import NumericalWarning

    m = MDP(np.array([[[0.5, 0.5]], [[0.25, 0.75]]]), np.array([[1e-300], [2e-300]]), 0.5, np.array([0.5, 0.5]))
    with pytest.warns(NumericalWarning):
        ev = evaluate(m, np.ones((2, 1)))
        a = ev.advantage_error_bound
        amax = float(np.max(np.abs(ev.advantage)))
    eta = float(np.finfo(float).tiny)
    assert ev.q_error_bound > amax
    assert a >= ev.q_error_bound + ev.error_bound + eta


def test_advantage_offset_warning_with_more_actions_than_states():
    """A large common reward offset makes Q - V cancel: the advantage warns, also when the MDP has
    more actions than states (the a-priori shortcut must not skip the certified check)."""
    from mdptheory.exceptions import NumericalWarning

    m = MDP(np.ones((1, 3, 1)), np.array([[1e12, 1e12 + 0.5, 1e12 + 1]]), 0.5, np.array([1.0]))
    ev = evaluate(m, np.full((1, 3), 1 / 3))
    with pytest.warns(NumericalWarning, match="advantage"):
        ev.advantage
    assert ev.advantage_error_bound > 1e-8 * 2.0


def test_exact_mode_rejects_a_float_start_distribution():
    """Exact mode on an exact MDP takes exact start distributions only (a float would enter the exact
    result unchecked); ball mode takes floats as their binary values."""
    from fractions import Fraction as F

    m = _float_mdp().to_exact()
    pi = np.array([[F(1, 2)] * 2] * 3, dtype=object)
    ev = evaluate(m, pi, mode="exact")
    with pytest.raises(InvalidParameterError):
        ev.visitation(np.array([0.25, 0.25, 0.5]))
    d = ev.visitation(np.array([F(1, 4), F(1, 4), F(1, 2)], dtype=object))
    assert sum(d) == 1


def test_float_start_distribution_sum_tolerance():
    """Float mode accepts a start distribution whose sum is within 1e-9 of one (rounding) and rejects
    one that misses by more."""
    m = _float_mdp()
    ev = evaluate(m, np.full((3, 2), 0.5))
    ev.visitation(np.array([0.2, 0.3, 0.5 + 5e-10]))
    with pytest.raises(InvalidParameterError, match="probability distribution"):
        ev.visitation(np.array([0.2, 0.3, 0.5 + 1.5e-9]))


def _ball_contains(x, q):
    """Whether the arb ball x contains the rational q, decided in exact rationals."""
    from fractions import Fraction as F

    def value(b):
        man, exp = b.man_exp()
        return F(int(man)) * F(2) ** int(exp)

    return abs(value(x.mid()) - q) <= value(x.rad())


@pytest.mark.parametrize("mode", ["float", "ball"])
def test_solve_rejects_a_right_hand_side_of_the_wrong_length(mode):
    ev = evaluate(_float_mdp(), np.full((3, 2), 0.5), mode=mode)
    for B in (np.ones(2), np.ones((2, 1)), np.ones((3, 1, 1))):
        with pytest.raises(InvalidParameterError, match="B must have shape"):
            ev.solve(B)


def test_ball_solve_encloses_the_exact_solution_for_exact_and_float_right_hand_sides():
    """Ball mode: solve(B) with B exact (Fractions) or float encloses the exact solution of the same
    system (a dyadic MDP, so float and exact are one problem); a non-finite float B is rejected."""
    from fractions import Fraction as F

    m = _dyadic_mdp()
    pi = np.array([[0.5, 0.5], [0.25, 0.75]])
    ex = evaluate(m.to_exact(), np.array([[F(1, 2), F(1, 2)], [F(1, 4), F(3, 4)]], dtype=object), mode="exact")
    ev = evaluate(m, pi, mode="ball")
    b_q = np.array([F(1), F(-3, 8)], dtype=object)
    ref = ex.solve(b_q)
    for B in (b_q, np.array([1.0, -0.375])):
        X = np.ravel(ev.solve(B))
        assert all(_ball_contains(x, y) and x.rad() < 1e-12 for x, y in zip(X, ref))
    with pytest.raises(InvalidParameterError, match="non-finite"):
        ev.solve(np.array([np.nan, 0.0]))


# --- derivatives.py ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["reset", "left"])
def test_chain_system_solves_match_a_dense_exact_solve(variant):
    """The O(N) chain solver (tridiagonal + a rank-one reset column) against FLINT's dense exact solve
    of M = I - gamma (diag(p) R + diag(1 - p) L), for one and for several right-hand sides, with M and
    with its transpose."""
    from flint import fmpq, fmpq_mat

    from mdptheory.derivatives import _ChainSystem

    N, gamma = 5, fmpq(9, 10)
    p = [fmpq(k + 1, 7) for k in range(N)]
    s = np.arange(N)
    R = np.minimum(s + 1, N - 1)
    L = np.maximum(s - 1, 0) if variant == "left" else np.zeros(N, dtype=np.int64)
    sysm = _ChainSystem(p, gamma, R, L, fmpq)
    M = fmpq_mat(N, N)
    for i in range(N):
        M[i, i] += 1
        M[i, int(R[i])] -= gamma * p[i]
        M[i, int(L[i])] -= gamma * (1 - p[i])
    D = np.array([[fmpq(i + 1, 3), fmpq((-1) ** i, i + 2)] for i in range(N)], dtype=object)
    for solve, A in ((sysm.solve, M), (sysm.solve_T, M.transpose())):
        ref = A.solve(fmpq_mat(N, 2, list(D.ravel())))
        X = solve(D.copy())
        assert [[X[i, j] for j in range(2)] for i in range(N)] == [[ref[i, j] for j in range(2)] for i in range(N)]
        x1 = solve(D[:, 0].copy())
        assert list(x1) == [ref[i, 0] for i in range(N)]


def test_chain_gradient_norm_precision_escalation_stops_at_eight_times_and_encloses_the_exact_norm():
    """prec doubles while the enclosure is loose, up to 8x the requested bits (documented); the result
    still encloses the exact squared norm (exact rationals), and ``bound`` is (1/3)^(H/4)."""
    from fractions import Fraction as F

    from mdptheory.derivatives import chain_gradient_norm

    exact = chain_gradient_norm(8, "1/5")
    assert exact.mode == "exact" and isinstance(exact.squared_norm, F)
    for prec in (4, 8):
        res = chain_gradient_norm(8, "1/5", prec=prec)
        assert res.prec <= 8 * prec
        assert _ball_contains(res.squared_norm, exact.squared_norm)
    res = chain_gradient_norm(8, "1/5", prec=4)
    assert res.prec == 32 and res.norm.rad() > res.norm.mid() * 2.0 ** -30  # still loose: stopped by the cap
    assert _ball_contains(res.bound, F(1, 9)) and _ball_contains(exact.bound, F(1, 9))
    t0 = time.perf_counter()  # the reported seconds are the call's own

    res = chain_gradient_norm(8, "1/5", prec=64)
    assert 0 <= res.seconds <= time.perf_counter() - t0


def test_exact_value_hessian_with_more_than_400_state_actions_matches_the_float_route():
    """The exact Hessian scales the rows of P dV one by one when S A > 400 (no S A x S A diagonal);
    it equals the float forward route's Hessian to rounding (chain with 201 states, log-linear policy)."""
    from fractions import Fraction as F

    from mdptheory import families
    from mdptheory.derivatives import value_hessian
    from mdptheory.policies import LogLinear, LogRational

    S = 201
    feat = np.zeros((S, 2, 2), dtype=int)
    for s in range(S):
        feat[s, 0, 0], feat[s, 1, 1] = (s % 3) - 1, (7 * s) % 5 - 2
    p = LogLinear(feat)
    He = value_hessian(families.chain(S, exact=True, gamma=F(1, 2), sparse=False), p,
                       LogRational([F(2), F(1, 3)]), mode="exact")
    Hf = value_hessian(families.chain(S, gamma=0.5, sparse=False), p, np.log([2.0, 1 / 3]))
    He_f = np.array([[float(x) for x in row] for row in He])
    assert np.all(He == He.T)
    assert np.max(np.abs(He_f - Hf)) <= 1e-10 * np.max(np.abs(He_f))


# --- gradients.py ------------------------------------------------------------------------------------


def _softmax_mp(theta_rows):
    import mpmath

    out = []
    for row in theta_rows:
        z = [mpmath.mpf(float(x)) for x in row]
        m = max(z)
        e = [mpmath.exp(x - m) for x in z]
        t = mpmath.fsum(e)
        out.append([x / t for x in e])
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_policy_rounding_and_contraction_bounds_hold_against_a_50_digit_reference(seed):
    """The certified ingredients of the float gradient bounds, for tabular softmax, against mpmath at 50
    digits: |pi_hat - pi| <= eta_rel pi_hat + eta_abs entrywise, and both forms of the contraction
    J(Y)_i >= sum_{s,a} |d pi(a|s) / d theta_i| Y(s, a) (= pi_a |1[a=b] - pi_b| Y(s, a) summed over a)
    for Y >= 0, at theta = 0 and at a random theta, for large and small Y."""
    import mpmath

    from mdptheory.families import garnet
    from mdptheory.gradients import _abs_contraction, _policy_rounding, _prepare
    from mdptheory.policies import TabularSoftmax

    mpmath.mp.dps = 50
    S, A = 3, 3
    mdp = garnet(S, A, 2, seed=seed)
    p = TabularSoftmax(S, A)
    rng = np.random.default_rng(seed)
    for theta in (np.zeros(S * A), rng.normal(size=S * A)):
        st = _prepare(mdp, p, theta, "float")
        pi_mp = _softmax_mp(theta.reshape(S, A))
        eta_rel, eta_abs = _policy_rounding(st)
        for s in range(S):
            for a in range(A):
                assert abs(mpmath.mpf(float(st.pi[s, a])) - pi_mp[s][a]) <= eta_rel * st.pi[s, a] + eta_abs
        for scale in (1e-3, 1.0, 1e3):
            Y = rng.uniform(0.5, 1.0, size=(S, A)) * scale
            ref = [mpmath.fsum(pi_mp[s][a] * abs((1 if a == b else 0) - pi_mp[s][b]) * mpmath.mpf(float(Y[s, a]))
                               for a in range(A)) for s in range(S) for b in range(A)]
            for tight in (False, True):
                J, _ = _abs_contraction(st, Y, tight=tight)
                assert all(mpmath.mpf(float(j)) >= x for j, x in zip(J, ref)), (tight, scale)


def test_gradient_bound_is_finite_with_an_absorbing_zero_reward_state():
    """Q(s, a) = 0 exactly where the reward and every successor value are 0: the certified gradient
    bound stays finite (no 0 * inf from the underflow allowance) and holds against exact arithmetic."""
    from fractions import Fraction as F

    from mdptheory.gradients import value_gradient
    from mdptheory.policies import LogRational, TabularSoftmax

    P = np.array([[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], [[0.25, 0.25, 0.5], [1.0, 0.0, 0.0]],
                  [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]])
    r = np.array([[1.0, 0.0], [0.5, 0.25], [0.0, 0.0]])
    m = MDP(P, r, 0.75, np.array([0.5, 0.5, 0.0]))
    p = TabularSoftmax(3, 2)
    g, bound = value_gradient(m, p, np.zeros(6), with_bound=True)
    g_exact = value_gradient(m.to_exact(), p, LogRational([F(1)] * 6), mode="exact")
    err = max(abs(F(float(a)) - b) for a, b in zip(g, g_exact))
    assert err <= bound < 1e-12


def test_gradient_float_tolerance_is_linear_in_the_score_bound():
    """tol = c eps (S + n) (1 + gamma)/(1 - gamma) R_max G / (1 - gamma)^2 (documented): doubling the
    score bound G or the factor c doubles it."""
    from mdptheory.gradients import gradient_float_tolerance

    m = _float_mdp()
    t1 = gradient_float_tolerance(m, n_params=6)
    assert gradient_float_tolerance(m, n_params=6, score_bound=2.0) == pytest.approx(2 * t1, rel=1e-12, abs=0)
    assert gradient_float_tolerance(m, n_params=6, factor=128.0) == pytest.approx(2 * t1, rel=1e-12, abs=0)
    eps, g = float(np.finfo(float).eps), 0.9
    assert t1 == pytest.approx(64 * eps * (3 + 6) * (1 + g) / (1 - g) * 2.0 / (1 - g) ** 2, rel=1e-12, abs=0)


# --- optimal.py --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["policy_iteration", "value_iteration"])
def test_solve_reports_float_overflow_as_no_certificate(method):
    """Rewards near the float64 maximum overflow V: no success, an infinite bound, and a warning."""
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.optimal import solve

    m = MDP(np.array([[[1.0]]]), np.array([[1e308]]), 0.9, np.array([1.0]))
    with pytest.warns(NumericalWarning, match="non-finite"), np.errstate(over="ignore"):
        sol = solve(m, method=method)
    assert not sol.success and sol.error_bound == np.inf and "overflow" in sol.message


def test_float_value_iteration_honours_max_iter_and_converges_at_small_gamma():
    """Float value iteration stops at max_iter (warning, no success); without it, its a-priori
    iteration cap suffices at gamma = 0.01: converged, certified within tol against the exact optimum."""
    from fractions import Fraction as F

    from mdptheory.exceptions import ConvergenceWarning
    from mdptheory.families import chain
    from mdptheory.optimal import solve

    with pytest.warns(ConvergenceWarning):
        short = solve(chain(4, gamma=0.9), method="value_iteration", max_iter=1)
    assert short.n_iter == 1 and not short.success
    sol = solve(chain(4, gamma=0.01), method="value_iteration")
    exact = solve(chain(4, gamma=F(1, 100), exact=True))
    assert sol.success and sol.error_bound <= 1e-9
    assert max(abs(F(float(a)) - b) for a, b in zip(sol.V, exact.V)) <= sol.error_bound


def test_exact_value_iteration_reports_its_bellman_residual():
    """Exact value iteration's bellman_residual is max_s |max_a (r + gamma P V)(s, a) - V(s)| of the
    returned V, recomputed here from the MDP in rationals."""
    from fractions import Fraction as F

    from mdptheory.families import chain
    from mdptheory.optimal import solve

    m = chain(4, exact=True)
    sol = solve(m, method="value_iteration")
    P, r, g = np.asarray(m.P_dense(), dtype=object), np.asarray(m.r, dtype=object), F(m.gamma)
    V = [F(v) for v in sol.V]
    S, A = r.shape
    TV = [max(F(r[s, a]) + g * sum(F(P[s, a, t]) * V[t] for t in range(S)) for a in range(A)) for s in range(S)]
    assert sol.bellman_residual == max(abs(t - v) for t, v in zip(TV, V))
    assert sol.bellman_residual > 0  # value iteration stops before the exact fixed point here


# --- kl.py -------------------------------------------------------------------------------------------


def test_horizon_state_distributions_with_mixed_exact_and_float_inputs():
    """Exact only when both the MDP and pi are exact: an exact MDP with a float policy, or a float MDP
    with an exact policy, gives the float marginals of the float problem (same numbers, float dtype),
    and the all-exact case gives Fractions equal to them within rounding."""
    from fractions import Fraction as F

    from mdptheory.kl import horizon_state_distributions

    mf = _dyadic_mdp()
    mq = mf.to_exact()
    pi_f = np.array([[0.5, 0.5], [0.25, 0.75]])
    pi_q = np.array([[F(1, 2), F(1, 2)], [F(1, 4), F(3, 4)]], dtype=object)
    ref = horizon_state_distributions(mf, pi_f, 3)
    exact = horizon_state_distributions(mq, pi_q, 3)
    assert all(isinstance(x, F) for x in np.ravel(exact))
    assert np.allclose(np.asarray(exact, dtype=float), ref, rtol=0, atol=1e-15)
    for m, pi in ((mq, pi_f), (mf, pi_q)):
        out = horizon_state_distributions(m, pi, 3)
        assert out.dtype == float
        assert np.allclose(out, ref, rtol=0, atol=1e-15)


def _kl_case():
    """Three states, state 2 unreachable from rho = e_0 (its state-action weights are 0)."""
    P = np.array([[[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]],
                  [[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]])
    return MDP(P, np.zeros((3, 2)), 0.5, np.array([1.0, 0.0, 0.0]))


def test_trajectory_kl_routes_agree_in_float_and_exact_with_an_unreachable_state():
    """Float: the enumerated trajectory KL equals the propagated one; exact (LogRational points, a
    certified ball) encloses the float value to rounding; the exact and float KL Hessians agree (the
    weights vanish on the unreachable state)."""
    from fractions import Fraction as F

    from mdptheory.kl import trajectory_kl, trajectory_kl_hessian
    from mdptheory.policies import LogRational, TabularSoftmax

    m, p = _kl_case(), TabularSoftmax(3, 2)
    qt = [F(2), F(1, 2), F(3, 2), F(1), F(3), F(1, 3)]
    q = [F(1), F(2), F(2, 3), F(2), F(1), F(1)]
    tht, th = np.log([float(x) for x in qt]), np.log([float(x) for x in q])
    kp, ke = trajectory_kl(m, p, tht, th, 3), trajectory_kl(m, p, tht, th, 3, method="enumerate")
    assert kp > 0.1 and abs(kp - ke) <= 1e-14
    kq = trajectory_kl(m.to_exact(), p, LogRational(qt), LogRational(q), 3)
    assert abs(float(kq.mid()) - kp) <= 1e-14 and kq.rad() < 1e-15
    He = trajectory_kl_hessian(m.to_exact(), p, LogRational(qt), LogRational(q), 3)
    Hf = trajectory_kl_hessian(m, p, tht, th, 3)
    assert np.max(np.abs(np.asarray(He, dtype=float) - Hf)) <= 1e-14


def test_trajectory_kl_warns_only_when_float_underflow_makes_it_infinite():
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.kl import trajectory_kl
    from mdptheory.policies import TabularSoftmax

    m, p = _kl_case(), TabularSoftmax(3, 2)
    tht = np.array([0.5, -0.5, 0.25, 0.0, 1.0, -1.0])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)
        assert np.isfinite(trajectory_kl(m, p, tht, np.zeros(6), 3))
    with pytest.warns(NumericalWarning, match="underflowed"):
        assert trajectory_kl(m, p, tht, np.array([0.0, -800.0, 0, 0, 0, 0]), 3) == np.inf


def test_trajectory_kl_gradient_names_the_action_outside_the_support():
    """pi_theta = 0 on an action taken under theta_t (direct parameterization): an error naming it."""
    from mdptheory.kl import trajectory_kl_gradient
    from mdptheory.policies import Direct

    m, p = _kl_case(), Direct(3, 2)
    tht = np.full(3, 0.5)
    th = tht.copy()
    th[0] = 1.0  # pi_theta(a_1 | s_0) = 0
    with pytest.raises(InvalidParameterError, match=r"pi_theta\[0, 1\] = 0"):
        trajectory_kl_gradient(m, p, tht, th, 2)


# --- lemmas/framework/report.py -----------------------------------------------------------------------


@pytest.mark.parametrize("gamma, order", [(0.5, 1), (0.9, 2), (0.99, 3), (0.9, 0)])
def test_float_tolerance_follows_its_documented_formula(gamma, order):
    """tol = c eps S k kappa m with kappa = (1 + gamma)/(1 - gamma), k = order (order 0: c eps S m)."""
    from mdptheory.families import garnet
    from mdptheory.lemmas.framework.report import float_tolerance

    m = garnet(5, 2, 2, seed=0, gamma=gamma)
    eps = float(np.finfo(float).eps)
    tol, rule = float_tolerance(m, 3.0, order=order)
    want = 64 * eps * 5 * 3.0 * (order * (1 + gamma) / (1 - gamma) if order else 1)
    assert tol == pytest.approx(want, rel=1e-12, abs=0) and "S=5" in rule
    assert float_tolerance(m, 3.0, order=order, factor=128.0)[0] == pytest.approx(2 * want, rel=1e-12, abs=0)


def test_default_tolerance_with_and_without_an_mdp():
    """With an MDP: float_tolerance at the size max(|sides|, 1, max|r|/(1 - gamma)); without one:
    64 eps m, m the larger side."""
    from mdptheory.lemmas.framework.report import default_tolerance, float_tolerance

    m = _float_mdp()  # max|r| = 2, gamma = 0.9: value scale 20
    eps = float(np.finfo(float).eps)
    assert default_tolerance([0.5, 3.0], [1.0, 2.0], mdp=m)[0] == pytest.approx(
        float_tolerance(m, 20.0)[0], rel=1e-12, abs=0)
    assert default_tolerance([50.0], [1.0], mdp=m, order=2)[0] == pytest.approx(
        float_tolerance(m, 50.0, order=2)[0], rel=1e-12, abs=0)
    assert default_tolerance([0.5, -3.0], [1.0, 2.0])[0] == pytest.approx(64 * eps * 3.0, rel=1e-12, abs=0)


def test_compare_identity_defaults_broadcasting_and_huge_exact_values():
    """Float mode without tol uses the default tolerance; a scalar side stands for every entry of the
    other; exact mode compares rationals beyond the float range exactly."""
    from fractions import Fraction as F

    from mdptheory.lemmas.framework.report import FALSIFIED, VERIFIED, compare_identity

    x = np.array([1.0, 2.0, 3.0])
    assert compare_identity(x, x + 1e-15, mode="float")[0] == VERIFIED
    assert compare_identity(x, x + 1e-6, mode="float")[0] == FALSIFIED
    assert compare_identity(np.full(3, 0.5), 0.5, mode="float", tol=1e-12)[0] == VERIFIED
    assert compare_identity(0.5, np.full(3, 0.5), mode="float", tol=1e-12)[0] == VERIFIED
    big = np.array([F(10) ** 400, F(1, 3)], dtype=object)
    assert compare_identity(big, big.copy(), mode="exact") == (VERIFIED, F(0), "exact equality")


def test_compare_identity_of_symbolic_sides():
    """Sides with free sympy symbols: an identity is proved (residual 0), a non-identity falsified,
    entrywise over arrays."""
    import sympy

    from mdptheory.lemmas.framework.report import FALSIFIED, VERIFIED, compare_identity

    x, y = sympy.symbols("x y")
    lhs = np.array([[(x + y) ** 2, x * (y + 1)]], dtype=object)
    rhs = np.array([[x**2 + 2 * x * y + y**2, x * y + x]], dtype=object)
    verdict, res, _ = compare_identity(lhs, rhs, mode="exact")
    assert verdict == VERIFIED and res == 0
    bad = np.array([[x**2 + 2 * x * y + y**2, x * y - x]], dtype=object)
    assert compare_identity(lhs, bad, mode="exact")[0] == FALSIFIED


def test_compare_identity_of_symbolic_sides_neither_proved_nor_refuted():
    """|x| - x vanishes at every sampled point of (0, 1) but is not identically zero over the reals, and
    no proof is found: beside an entry that is proved, the comparison is UNDECIDED, not FALSIFIED."""
    import sympy

    from mdptheory.lemmas.framework.report import UNDECIDED, compare_identity
    from mdptheory.symbolic import is_zero

    x = sympy.Symbol("x", real=True)
    assert is_zero(sympy.Abs(x) - x) is None
    lhs = np.array([x + 1, sympy.Abs(x)], dtype=object)
    rhs = np.array([1 + x, x], dtype=object)
    assert compare_identity(lhs, rhs, mode="exact")[0] == UNDECIDED


def test_check_report_tracks_worst_residual_slack_and_their_ratios():
    """A float report keeps the largest residual and the smallest slack over its parts, and ratio()
    is residual / tolerance (identities) and slack / tolerance (inequalities)."""
    from mdptheory.lemmas.framework.report import VERIFIED, CheckReport

    rep = CheckReport("X1", "x", "text", "src", "float")
    rep.identity("a", [1.0, 2.0], [1.0, 2.0 + 2e-10], tol=1e-8)
    rep.identity("b", [1.0], [1.0 + 5e-10], tol=1e-8)
    rep.identity("c", [3.0], [3.0 + 1e-10], tol=1e-8)
    assert rep.verdict == VERIFIED
    assert rep.residual == pytest.approx(5e-10, rel=1e-3, abs=0)
    assert rep.ratio("identity") == pytest.approx(5e-10 / 1e-8, rel=1e-3, abs=0)
    rep.inequality("d", [1.0], [1.5], tol=1e-8)
    rep.inequality("e", [1.0], [1.25], tol=1e-8)
    assert rep.slack == pytest.approx(0.25, rel=1e-12, abs=0)
    assert rep.ratio("inequality") == pytest.approx(0.25 / 1e-8, rel=1e-12, abs=0)


def test_check_report_default_tolerance_from_its_witness_mdp():
    """Float identity without tol: the tolerance is default_tolerance for the witness's MDP and its rule
    becomes the report's tolerance_rule; a residual far beyond it is FALSIFIED."""
    from mdptheory.lemmas.framework.report import FALSIFIED, VERIFIED, CheckReport, default_tolerance

    m = _float_mdp()
    rep = CheckReport("X1", "x", "text", "src", "float", witness={"mdp": m})
    assert rep.identity("a", [1.0, 2.0], [1.0, 2.0]) == VERIFIED
    tol, rule = default_tolerance([1.0, 2.0], [1.0, 2.0], mdp=m)
    assert rep.tolerance == tol and rep.tolerance_rule == rule
    assert rep.identity("b", [1.0], [1.0 + 1e-6]) == FALSIFIED


# --- evaluation/dense.py -----------------------------------------------------------------------------


def test_dense_factor_reports_a_zero_first_pivot():
    """gamma = 1 - 2^-53 and a self-loop of float mass 1 + 2^-52 (within the row-sum tolerance):
    fl(gamma P) = 1 exactly, so I - gamma P_pi has a zero pivot at index 0; the LU factor says so."""
    from mdptheory.exceptions import NumericalWarning

    m = MDP(np.array([[[1 + 2.0**-52]]]), np.array([[1.0]]), 1 - 2.0**-53, np.array([1.0]))
    import warnings

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        ev = evaluate(m, np.ones((1, 1)))
    assert any(issubclass(w.category, NumericalWarning) and "numerically singular" in str(w.message)
               for w in caught)
    assert ev.error_bound == np.inf


# --- policies/softmax.py -----------------------------------------------------------------------------


def test_probs_hessian_of_a_nonlinear_energy_matches_differences_of_its_jacobian():
    """A softmax policy of a non-linear energy F(theta)[s, a] = sin(theta_0) a + theta_1^2 (s + a):
    probs_hessian (with the energy's own Hessian term) against central differences of jacobian."""
    from mdptheory.policies import EnergyPolicy

    S, A = 2, 3
    sa = np.array([[s + a for a in range(A)] for s in range(S)], dtype=float)
    acts = np.tile(np.arange(A, dtype=float), (S, 1))

    def energy(th):
        return np.sin(th[0]) * acts + th[1] ** 2 * sa

    def jac(th):
        return np.stack([np.cos(th[0]) * acts, 2 * th[1] * sa], axis=-1)

    def hess(th):
        H = np.zeros((S, A, 2, 2))
        H[..., 0, 0] = -np.sin(th[0]) * acts
        H[..., 1, 1] = 2 * sa
        return H

    p = EnergyPolicy(S, A, energy=energy, energy_jacobian=jac, energy_hessian=hess, n_params=2)
    th, h = np.array([0.3, -0.7]), 1e-5
    fd = np.stack([(np.asarray(p.jacobian(th + h * e)) - np.asarray(p.jacobian(th - h * e))) / (2 * h)
                   for e in np.eye(2)], axis=-1)
    assert np.max(np.abs(np.asarray(p.probs_hessian(th)) - fd)) <= 1e-8


def test_tabular_softmax_repr_shows_a_temperature_other_than_one():
    from mdptheory.policies import TabularSoftmax

    assert repr(TabularSoftmax(2, 3)) == "TabularSoftmax(2, 3)"
    assert repr(TabularSoftmax(2, 3, temperature=0.5)) == "TabularSoftmax(2, 3, temperature=0.5)"


def test_tabular_fisher_blocks_with_and_without_state_weights():
    """fisher_blocks(theta)[s] = sum_a pi(a|s) u u^T with u the score's block (state s's own
    parameters), from score(); with weights w each block is scaled by w[s]."""
    from mdptheory.policies import TabularSoftmax

    S, A = 3, 2
    p = TabularSoftmax(S, A)
    th = np.array([0.3, -0.2, 1.0, 0.5, -1.0, 0.0])
    pi, sc = np.asarray(p.probs(th)), np.asarray(p.score(th))
    ref = np.stack([sum(pi[s, a] * np.outer(sc[s, a, s * A:(s + 1) * A], sc[s, a, s * A:(s + 1) * A])
                        for a in range(A)) for s in range(S)])
    assert np.allclose(p.fisher_blocks(th), ref, rtol=0, atol=1e-15)
    w = np.array([0.5, 0.25, 0.25])
    assert np.allclose(p.fisher_blocks(th, weights=w), ref * w[:, None, None], rtol=0, atol=1e-15)


# --- fisher_information.py ---------------------------------------------------------------------------


def test_block_diagonal_fisher_reports_its_shape_and_block_count():
    """softmax_fisher_blocks with S != A: S blocks of A x A, shape (S A, S A) like its dense form."""
    from mdptheory.fisher_information import softmax_fisher_blocks

    pi = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    F = softmax_fisher_blocks(pi, np.array([0.4, 0.6]))
    assert F.n_blocks == 2 and F.blocks.shape == (2, 3, 3)
    assert F.shape == (6, 6) == np.asarray(F.to_dense()).shape


@pytest.mark.parametrize("exact", [False, True])
def test_pinv_solve_rejects_a_non_square_matrix(exact):
    from fractions import Fraction as F

    from mdptheory.fisher_information import pinv_solve

    M = np.ones((2, 3)) if not exact else np.array([[F(1)] * 3] * 2, dtype=object)
    g = np.ones(2) if not exact else np.array([F(1)] * 2, dtype=object)
    with pytest.raises(InvalidParameterError, match="square"):
        pinv_solve(M, g)


# --- compatible_fa.py --------------------------------------------------------------------------------


def test_exact_compatible_fa_reads_float_features_as_their_binary_values():
    """Exact mode with float features (0.1 is not dyadic): the fit equals the one with the features
    given as the Fractions of their exact binary values."""
    from fractions import Fraction as F

    from mdptheory.compatible_fa import compatible_fa
    from mdptheory.policies import LogRational, TabularSoftmax

    m = _float_mdp().to_exact()
    p = TabularSoftmax(3, 2)
    th = LogRational([F(1), F(2), F(1, 2), F(1), F(3), F(1)])
    phi = np.array([[[0.1, 1.0], [0.5, -0.3]], [[0.0, 0.2], [1.5, 0.7]], [[-0.1, 0.4], [0.25, 0.0]]])
    phi_q = np.array([[[F(float(x)) for x in row] for row in s] for s in phi], dtype=object)
    a = compatible_fa(m, p, th, features=phi, mode="exact")
    b = compatible_fa(m, p, th, features=phi_q, mode="exact")
    assert list(a.w) == list(b.w) and a.error == b.error
    assert F(float(0.1)) != F(1, 10)  # the binary value, not the decimal


def test_float_compatible_fa_error_matches_the_exact_fit():
    """The float fit's weighted squared error E_nu (y - w.phi)^2 against the exact fit of the same
    (dyadic) problem, with a target (Q) outside the span of the features, so the error is not 0."""
    from fractions import Fraction as F

    from mdptheory.compatible_fa import compatible_fa
    from mdptheory.policies import LogRational, TabularSoftmax

    m = _dyadic_mdp()
    p = TabularSoftmax(2, 2)
    th_q = LogRational([F(1), F(2), F(1, 2), F(1)])
    th_f = np.log([1.0, 2.0, 0.5, 1.0])
    phi = np.array([[[1.0], [0.5]], [[0.0], [-1.0]]])
    a = compatible_fa(m, p, th_f, target="q", features=phi)
    b = compatible_fa(m.to_exact(), p, th_q, target="q", features=phi, mode="exact")
    assert b.error > 0
    assert abs(a.error - float(b.error)) <= 1e-12 * float(b.error)


# --- natural_gradients.py ----------------------------------------------------------------------------


@pytest.mark.parametrize("mu", [None, (0.5, 0.5, 0.0)])
def test_natural_gradient_bound_with_an_unreachable_state(mu):
    """A state no start state reaches has d(s) = 0 exactly, in float as in exact arithmetic: the
    certified NPG bound stays finite and holds against the exact NPG (its entries there are 0)."""
    from fractions import Fraction as F

    from mdptheory.natural_gradients import natural_gradient
    from mdptheory.policies import LogRational, TabularSoftmax

    P = np.array([[[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]],
                  [[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]])
    m = MDP(P, np.array([[1.0, 0.0], [0.5, 0.25], [0.0, 2.0]]), 0.5, np.array([1.0, 0.0, 0.0]))
    p = TabularSoftmax(3, 2)
    q = [F(1), F(2), F(1, 2), F(1), F(3), F(1)]
    mu_f = None if mu is None else np.array(mu)
    mu_q = None if mu is None else np.array([F(x) for x in mu], dtype=object)
    x, bound = natural_gradient(m, p, np.log([float(v) for v in q]), with_bound=True, mu=mu_f)
    xq = natural_gradient(m.to_exact(), p, LogRational(q), mode="exact", mu=mu_q)
    assert bound < 1e-10
    assert max(abs(F(float(a)) - b) for a, b in zip(x, xq)) <= bound


def test_natural_gradient_bound_is_infinite_when_a_reachable_visitation_underflows():
    """State 2 is reached from state 1 with the smallest subnormal probability 2^-1074: its float d(s)
    is 0 while the exact one is not, so the float NPG is not certified (infinite bound, a warning)."""
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.natural_gradients import natural_gradient
    from mdptheory.policies import TabularSoftmax

    tiny = 5e-324
    P = np.array([[[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], [[0.5, 0.5, tiny], [0.5, 0.5, tiny]],
                  [[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]])
    m = MDP(P, np.array([[1.0, 0.0], [0.5, 0.25], [0.0, 2.0]]), 0.5, np.array([1.0, 0.0, 0.0]))
    assert evaluate(m, np.full((3, 2), 0.5)).visitation()[2] == 0
    with pytest.warns(NumericalWarning, match="certified error bound inf"):
        _, bound = natural_gradient(m, TabularSoftmax(3, 2), np.zeros(6), with_bound=True)
    assert bound == np.inf


def test_npg_update_rejects_gamma_one():
    from mdptheory.natural_gradients import npg_update

    with pytest.raises(InvalidParameterError, match="gamma"):
        npg_update(np.full((2, 2), 0.5), np.zeros((2, 2)), 0.1, 1.0)


def test_trpo_step_is_exact_only_when_every_input_is_exact():
    """A float Fisher and gradient with a rational radius: a float step, equal to the all-float one."""
    from fractions import Fraction as F

    from mdptheory.natural_gradients import trpo_step

    Fm = np.array([[2.0, 0.5], [0.5, 1.0]])
    g = np.array([1.0, -0.5])
    a = trpo_step(g, Fm, F(1, 2))
    b = trpo_step(g, Fm, 0.5)
    assert np.asarray(a).dtype == float
    assert np.allclose(np.asarray(a, dtype=float), b, rtol=1e-14, atol=0)


# --- evaluation/certificates.py ----------------------------------------------------------------------


@pytest.mark.parametrize("S, A, gamma, vmax, rmax, fine", [
    (2, 2, 0.5, 1.0, 1.0, True),        # 100 (S+A) eps (3 + 2) ~ 4e-13, far below 1e-10
    (2, 2, 0.999, 1.0, 1.0, False),     # kappa = 1999: ~2.7e-10 > 1e-10
    (3, 1, 0.999, 1.0, 1.0, False),     # the same with S != A
    (2, 2, 0.9, 1.0, 1000.0, False),    # rmax / (1 - gamma) dominates: ~8.9e-10
    (2, 2, 0.5, 1.0, float("inf"), False),
    (2, 2, 1.0, 1.0, 1.0, False),
    (2, 2, 0.5, 0.0, 1.0, False),
    (2, 2, 0.9, 1e-294, 0.0, False),    # below the underflow floor 1e4 (S+A+6) eta / ((1 - gamma) WARN) ~ 2.2e-294
    (2, 2, 0.9, 1e-292, 0.0, True),
])
def test_a_priori_fine_follows_its_documented_rule(S, A, gamma, vmax, rmax, fine):
    """A dense LU solve is a-priori fine when 100 (S + A) eps (kappa vmax + rmax/(1 - gamma)) is below
    WARN / 100 times vmax (kappa = (1 + gamma)/(1 - gamma)), for finite vmax > 0, finite rmax and
    gamma in [0, 1); the chosen points are at least 2x away from the threshold."""
    from mdptheory.evaluation.certificates import _a_priori_fine

    assert _a_priori_fine(S, A, gamma, vmax, rmax) is fine


def _policy_q(mdp, pi):
    """Q^pi of a float MDP by the test's own dense solve of (I - gamma P_pi) V = r_pi."""
    P = np.asarray(mdp.P, dtype=float)
    r = np.asarray(mdp.r, dtype=float)
    g = float(mdp.gamma)
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = (pi * r).sum(axis=1)
    V = np.linalg.solve(np.eye(len(r_pi)) - g * P_pi, r_pi)
    return r + g * P @ V


_STOCHASTIC_STARTS = {
    "partly_stochastic": [[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]],
    "one_nonzero_below_one": [[0.0, 1 - 1e-12]] * 4,  # not one-hot: a (float) policy, not actions
    "one_entry_one_plus_tiny": [[1e-12, 1.0]] * 4,
}


@pytest.mark.parametrize("exact, start", [(False, k) for k in _STOCHASTIC_STARTS] + [(True, "partly_stochastic")])
def test_policy_iteration_evaluates_a_stochastic_start_policy_before_improving(exact, start):
    """solve's pi0 docstring: a stochastic start policy is evaluated once and then improved; only a
    policy whose every row is one-hot is read as actions.  With max_iter=1 the result is the greedy
    policy of Q^{pi0} (here without near-ties, so the argmax is unambiguous), not yet confirmed stable
    (ConvergenceWarning, success False)."""
    from mdptheory.families import chain
    from mdptheory.optimal import solve
    from mdptheory.exceptions import ConvergenceWarning

    fm = chain(4, gamma=0.9)
    pi0 = np.array(_STOCHASTIC_STARTS[start])
    Q = _policy_q(fm, pi0)
    top = np.sort(Q, axis=1)
    assert np.all(top[:, -1] - top[:, -2] > 1e-3)  # no near-ties: the greedy step is unambiguous
    expected = np.argmax(Q, axis=1)
    m = chain(4, gamma=0.9, exact=True) if exact else fm
    given = np.vectorize(Fraction, otypes=[object])(pi0) if exact else pi0
    with pytest.warns(ConvergenceWarning):
        sol = solve(m, max_iter=1, pi0=given)
    assert sol.n_iter == 1 and not sol.success
    assert sol.actions.tolist() == expected.tolist()


def test_float_policy_iteration_starts_greedy_in_r():
    """solve's pi0 docstring: by default policy iteration starts from the policy greedy in r.  When
    that policy is optimal (checked here over all deterministic policies by the test's own solves),
    one evaluation confirms it: success with n_iter = 1 under max_iter=1, even though the rewards
    differ by less than 1."""
    import itertools
    from mdptheory.optimal import solve

    # both actions move alike; action 1 pays 0.5 more everywhere
    P = np.array([[[0.3, 0.7], [0.3, 0.7]], [[0.6, 0.4], [0.6, 0.4]]])
    r = np.array([[0.0, 0.5], [0.25, 0.75]])
    m = MDP(P, r, 0.9)
    start = np.argmax(r, axis=1)
    values = {acts: _policy_q(m, np.eye(2)[list(acts)]).max(axis=1) for acts in itertools.product(range(2), repeat=2)}
    best = values[tuple(start)]
    assert all(np.all(best >= v - 1e-12) for v in values.values())
    assert any(np.any(best > v + 0.1) for v in values.values())  # another start would need a switch
    sol = solve(m, max_iter=1)
    assert sol.success and sol.n_iter == 1
    assert sol.actions.tolist() == start.tolist()


def _exact_solve(M, b):
    """Solve M x = b in Fractions (Gauss-Jordan), the test's own exact route."""
    n = len(b)
    a = [[Fraction(M[i][j]) for j in range(n)] + [Fraction(b[i])] for i in range(n)]
    for c in range(n):
        p = next(i for i in range(c, n) if a[i][c] != 0)
        a[c], a[p] = a[p], a[c]
        for i in range(n):
            if i != c and a[i][c] != 0:
                f = a[i][c] / a[c][c]
                a[i] = [x - f * y for x, y in zip(a[i], a[c])]
    return [a[i][n] / a[i][i] for i in range(n)]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("gamma", [0.5, 0.99])
def test_solve_certificate_is_attained_by_an_error_along_the_slowest_mode(sparse, transpose, gamma):
    """The certified error of a solve of (I - gamma P) x = b (or its transpose, in l1) is
    res / (1 - gamma rho) with rho = ||P||_inf.  For a row-stochastic P an error along the slowest mode
    (x = x_true + c 1, or y = y_true + c p with p^T P = p^T) makes the residual exactly (1 - gamma) times
    the error, so the bound is attained up to its rounding allowance: it must not fall below the true
    error (exact rationals) nor exceed it by more than a relative 1e-6 (the allowance here is ~1e-10)."""
    import scipy.sparse as sp
    from mdptheory.evaluation.certificates import _certify

    rng = np.random.default_rng(7)
    n = 6
    W = np.zeros((n, n), dtype=int)
    W[np.arange(n), (np.arange(n) + 1) % n] = 1  # irreducible: a cycle through every state
    for i in range(n):  # seven more eighths per row: dyadic rows, exact in float
        np.add.at(W[i], rng.integers(0, n, size=7), 1)
    P = [[Fraction(int(W[i, j]), 8) for j in range(n)] for i in range(n)]
    g = Fraction(gamma)
    b = [Fraction(int(v), 8) for v in rng.integers(-16, 17, size=n)]
    if transpose:
        M = [[(1 if i == j else 0) - g * P[j][i] for j in range(n)] for i in range(n)]
        # stationary distribution: p^T P = p^T, sum p = 1
        Ms = [[(1 if i == j else 0) - P[j][i] for j in range(n)] for i in range(n - 1)] + [[1] * n]
        mode = _exact_solve(Ms, [0] * (n - 1) + [1])
    else:
        M = [[(1 if i == j else 0) - g * P[i][j] for j in range(n)] for i in range(n)]
        mode = [Fraction(1)] * n
    x_true = _exact_solve(M, b)
    c = 3
    x = np.array([float(t + c * v) for t, v in zip(x_true, mode)])
    true_err = sum(abs(Fraction(v) - t) for v, t in zip(x, x_true)) if transpose else \
        max(abs(Fraction(v) - t) for v, t in zip(x, x_true))
    Pf = W / 8.0
    assert all(Fraction(Pf[i, j]) == P[i][j] for i in range(n) for j in range(n))
    P_pi = sp.csr_matrix(Pf) if sparse else Pf
    res, err = _certify(P_pi, gamma, x, np.array([float(v) for v in b]), transpose=transpose)
    assert Fraction(err) >= true_err
    assert err <= float(true_err) * (1 + 1e-6)
    assert res <= (1 - gamma) * float(true_err) * (1 + 1e-6)


def _rarely_visited_mdp(p, gamma=0.99):
    """Three states, rewards that do not depend on the action (but for 1e-3 in state 1), state 1
    entered with probability p per step."""
    P = np.zeros((3, 2, 3))
    P[0, :, 0], P[0, :, 1] = 1 - p, p
    P[1, :, 2] = 1.0
    P[2, :, 0] = 1.0
    r = np.array([[0.0, 0.0], [100.0, 100.001], [-100.0, -100.0]])
    return MDP(P, r, gamma, np.array([1.0, 0.0, 0.0]))


@pytest.mark.parametrize("p", [2.0 ** -10, 2.0 ** -30])
def test_natural_gradient_warning_uses_the_documented_natural_scale(p):
    """natural_gradient (tabular softmax, float) warns exactly when its certified bound exceeds
    WARN_RELATIVE_ERROR * max(||w_hat||_inf, tau (max r - min r) / (1 - gamma)^2) (its Warns section),
    the scale recomputed here from the inputs.  Rewards that do not depend on the action (advantages
    ~0, so ||w_hat|| is small) and a rarely visited state (transition probability p) put the bound
    above WARN * ||w_hat|| in both cases: the natural scale decides (p = 2^-10: no warning; p = 2^-30:
    a warning).  The bound also covers the exact direction of the same binary values."""
    import warnings
    from mdptheory.evaluation.certificates import WARN_RELATIVE_ERROR
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.natural_gradients import natural_gradient
    from mdptheory.policies import LogRational, TabularSoftmax

    m = _rarely_visited_mdp(p)
    gamma, r = m.gamma, m.r
    par, th = TabularSoftmax(3, 2), np.zeros(6)  # the uniform policy: theta = log 1 exactly
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w, bound = natural_gradient(m, par, th, with_bound=True)
    warned = any(issubclass(c.category, NumericalWarning) for c in caught)
    wmax = float(np.max(np.abs(w)))
    natural = 1.0 * (r.max() - r.min()) / (1 - gamma) ** 2
    assert bound > WARN_RELATIVE_ERROR * wmax  # the direction's own size would not decide
    assert warned == (bound > WARN_RELATIVE_ERROR * max(wmax, natural))
    assert warned == (p < 1e-6)
    exact = np.vectorize(Fraction, otypes=[object])
    m_exact = MDP(exact(m.P), exact(m.r), Fraction(m.gamma), exact(m.rho))  # the binary values, exactly
    w_exact = natural_gradient(m_exact, par, LogRational([1] * 6), mode="exact")
    assert max(abs(Fraction(a) - b) for a, b in zip(w, w_exact)) <= bound


@pytest.mark.parametrize("gamma", [0.99, 0.9999])
def test_natural_gradient_bound_follows_its_documented_formula(gamma):
    """natural_gradient's Notes (tabular softmax, float): with E_a the gradient's certified entrywise
    bound, beta_s = ||d_hat - d||_1 / d_hat_s + eta_pi + 4 eps and y_a = g_a / (tau^-2 d pi_a),
    |dy_a| <= (E_a / (tau^-2 d pi_a) + beta_s |y_a|) / (1 - beta_s) and
    |dw_a| <= |dy_a| + mean_T |dy| + (m + 4) eps (|y_a| + mean_T |y|).  The test evaluates this from
    the gradient's entrywise bound and the evaluation's visitation and its bound, with the
    rounding-level eta_pi left out: the returned bound may not be below it, nor above it by more than
    a relative 1e-6 (eta_pi ~ 10 eps, and beta <= 1e-7 here)."""
    import warnings
    from mdptheory.gradients import _value_gradient_entrywise
    from mdptheory.natural_gradients import natural_gradient
    from mdptheory.policies import TabularSoftmax

    m = _rarely_visited_mdp(1e-3, gamma)
    par, th = TabularSoftmax(3, 2), np.zeros(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, bound = natural_gradient(m, par, th, with_bound=True)
    eps = np.finfo(float).eps
    pi = np.full((3, 2), 0.5)  # theta = 0
    ev = evaluate(m, pi)
    d, vb = ev.visitation(), ev.visitation_bound()
    g, E = _value_gradient_entrywise(m, par, th)
    den = d[:, None] * pi
    y = g.reshape(3, 2) / den
    beta = (vb / d + 4 * eps)[:, None]
    assert np.all(beta < 1e-7)
    dy = (E.reshape(3, 2) / den + beta * np.abs(y)) / (1 - beta)
    dw = dy + dy.mean(axis=1, keepdims=True) + (2 + 4) * eps * (np.abs(y) + np.abs(y).mean(axis=1, keepdims=True))
    formula = float(dw.max())
    assert formula <= bound <= formula * (1 + 1e-6)


def test_softmax_fisher_pinv_keeps_an_entry_at_exactly_the_smallest_normal():
    """softmax Fisher pinv_solve drops (with a NumericalWarning) only entries whose d pi_a / tau^2
    underflows *below* the smallest normal float; at exactly the smallest normal it divides as usual
    and matches the exact pseudo-inverse y - mean y, y = g / (d pi), computed here in rationals."""
    import warnings
    from mdptheory.fisher_information import softmax_fisher_blocks

    tiny = np.finfo(float).tiny
    pi = np.array([[0.5, 0.5], [0.25, 0.75]])
    d = np.array([2 * tiny, 1.0])  # d pi = tiny exactly in state 0
    g = np.array([tiny / 4, -tiny / 4, 0.375, -0.375])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = softmax_fisher_blocks(pi, d).pinv_solve(g)
    for s in range(2):
        y = [Fraction(g[2 * s + a]) / (Fraction(d[s]) * Fraction(pi[s, a])) for a in range(2)]
        expected = [v - sum(y) / 2 for v in y]
        assert [Fraction(v) for v in x[2 * s:2 * s + 2]] == expected


def _exact_vi_sweeps(gamma, r, tol):
    """First k with gamma/(1-gamma) |V_k - V_{k-1}| <= tol for one state with reward r, from V_0 = 0
    (the test's own loop in Fractions)."""
    V, k = Fraction(0), 0
    while True:
        Vn = r + gamma * V
        k += 1
        if gamma / (1 - gamma) * abs(Vn - V) <= tol:
            return k, Vn
        V = Vn


def test_exact_value_iteration_default_cap_covers_the_a_priori_count():
    """solve's max_iter docstring: by default value iteration may run the a-priori count
    ceil(log(tol (1-gamma) / (gamma ||V_1 - V_0||)) / log gamma) plus slack.  On a one-state MDP with
    gamma = 9/10, r = 1 and tol = 1/50 that count is 58 (and so is the number of sweeps the stopping
    rule needs after the first, from the test's own loop): the default cap must let it finish."""
    import math
    from mdptheory.optimal import solve

    gamma, tol = Fraction(9, 10), Fraction(1, 50)
    m = MDP(np.array([[[Fraction(1)]]], dtype=object), np.array([[Fraction(1)]], dtype=object), gamma)
    k, V = _exact_vi_sweeps(gamma, Fraction(1), tol)
    a_priori = math.ceil(math.log(float(tol * (1 - gamma) / gamma)) / math.log(float(gamma)))
    assert k == a_priori + 1
    sol = solve(m, method="value_iteration", tol=tol)
    assert sol.success and sol.n_iter == k
    assert sol.V[0] == V and abs(sol.V[0] - 1 / (1 - gamma)) <= tol


def test_exact_value_iteration_accepts_an_a_priori_cap_equal_to_its_limit():
    """MAX_EXACT_VI_ITER is the largest a-priori iteration count exact value iteration accepts:
    a tol whose cap is exactly the limit runs (and stops by its rule after the test's own sweep count);
    a smaller tol is refused."""
    from mdptheory.optimal import MAX_EXACT_VI_ITER, _vi_cap_exact, solve

    gamma, r = Fraction(1, 2), Fraction(1)
    m = MDP(np.array([[[Fraction(1)]]], dtype=object), np.array([[r]], dtype=object), gamma)
    tol = next(Fraction(3, 2 ** e) for e in range(2, 5000)
               if _vi_cap_exact(gamma, Fraction(3, 2 ** e), r) >= MAX_EXACT_VI_ITER)
    assert _vi_cap_exact(gamma, tol, r) == MAX_EXACT_VI_ITER  # the boundary itself (delta_1 = r)
    k, V = _exact_vi_sweeps(gamma, r, tol)
    sol = solve(m, method="value_iteration", tol=tol)
    assert sol.success and sol.n_iter == k and sol.V[0] == V
    with pytest.raises(InvalidParameterError, match="limit"):
        solve(m, method="value_iteration", tol=tol / 4)


def test_value_error_bound_covers_rounding_in_forming_r_pi_with_cancelling_rewards():
    """Rewards of 1e8 that cancel under the policy (|r_pi| << sum_a pi|r|, V ~ 0.2): the error of V
    is then dominated by the rounding in forming r_pi, which the certificate covers through
    sum_a pi(a|s)|r(s, a)|.  The certified bound must cover the error against the exact solve of the
    MDP's and policy's binary values (rationals, the test's own 2x2 solve); here it is within 1000x."""
    P = np.array([[[0.5, 0.5], [0.25, 0.75]], [[1.0, 0.0], [0.5, 0.5]]])
    r = np.array([[1e8, -1e8 / 2 + 0.1], [3e7, -6e7 + 0.3]])
    pi = np.array([[1 / 3, 2 / 3], [2 / 3, 1 / 3]])
    from mdptheory.exceptions import NumericalWarning

    with pytest.warns(NumericalWarning, match="cancellation"):  # the bound is above 1e-8 max|V|: it says so
        ev = evaluate(MDP(P, r, 0.5), pi)
    g = Fraction(1, 2)
    Pq = [[sum(Fraction(pi[s, a]) * Fraction(P[s, a, t]) for a in range(2)) for t in range(2)] for s in range(2)]
    rq = [sum(Fraction(pi[s, a]) * Fraction(r[s, a]) for a in range(2)) for s in range(2)]
    V = _exact_solve([[(1 if s == t else 0) - g * Pq[s][t] for t in range(2)] for s in range(2)], rq)
    err = max(abs(Fraction(v) - w) for v, w in zip(ev.V, V))
    bound = ev.error_bound
    assert err <= Fraction(bound) <= 1000 * err


@pytest.mark.parametrize("S, A, gamma", [(1, 1, 0.0), (3, 2, 0.5)])
def test_a_priori_fine_underflow_floor_follows_its_documented_value(S, A, gamma):
    """_a_priori_fine's docstring: values below 10^4 (S + A + 6) eta / ((1 - gamma) WARN) are never
    a-priori fine.  Just above (x1.05) that floor, with rmax = 0, the rounding estimate is far below its
    own threshold, so the rule holds; just below (x0.95) it does not."""
    from mdptheory.evaluation.certificates import WARN_RELATIVE_ERROR, _a_priori_fine

    floor = 1e4 * (S + A + 6) * float(np.finfo(float).tiny) / ((1 - gamma) * WARN_RELATIVE_ERROR)
    assert _a_priori_fine(S, A, gamma, 1.05 * floor, 0.0) is True
    assert _a_priori_fine(S, A, gamma, 0.95 * floor, 0.0) is False


def _binary_gradient(P, r, gamma, mu, pi, dpi):
    """Exact gradient of the MDP with the float entries' binary values (rows that miss 1 by an ulp
    included), by the test's own rationals: g_i = sum_s w(s) sum_a dpi[s][a][i] Q(s, a), with
    w = mu^T (I - gamma P_pi)^-1 and Q = r + gamma P V."""
    S, A = r.shape
    Pq = [[[Fraction(P[s, a, t]) for t in range(S)] for a in range(A)] for s in range(S)]
    rq = [[Fraction(r[s, a]) for a in range(A)] for s in range(S)]
    g = Fraction(gamma)
    Ppi = [[sum(pi[s][a] * Pq[s][a][t] for a in range(A)) for t in range(S)] for s in range(S)]
    rpi = [sum(pi[s][a] * rq[s][a] for a in range(A)) for s in range(S)]
    V = _exact_solve([[(1 if s == t else 0) - g * Ppi[s][t] for t in range(S)] for s in range(S)], rpi)
    Q = [[rq[s][a] + g * sum(Pq[s][a][t] * V[t] for t in range(S)) for a in range(A)] for s in range(S)]
    w = _exact_solve([[(1 if s == t else 0) - g * Ppi[t][s] for t in range(S)] for s in range(S)],
                     [Fraction(x) for x in mu])
    return [sum(w[s] * sum(dpi[s][a][i] * Q[s][a] for a in range(A)) for s in range(S))
            for i in range(len(dpi[0][0]))]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("direct", [False, True])
def test_gradient_bound_with_offset_rewards_and_inexact_row_sums(sparse, direct):
    """Rewards 1000 + O(1) (the centred form of the certified gradient bound) and rows such as
    (0.1, 0.2, 0.7) whose float sums miss 1 by an ulp (the row defects it corrects for), stored dense
    and sparse: the bound must cover the error against the exact gradient of the same binary values
    (gamma, P and r read exactly, rows not renormalised), and stay below the warning threshold
    (value_gradient warns when it exceeds WARN_RELATIVE_ERROR times the gradient's scale)."""
    import math
    import warnings
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.gradients import value_gradient
    from mdptheory.policies import Direct, TabularSoftmax

    P = np.array([[[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]], [[0.7, 0.2, 0.1], [0.0, 0.1, 0.9]],
                  [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]])
    assert any(math.fsum(list(row) + [-1.0]) != 0 for row in P.reshape(-1, 3))
    r = 1e3 + np.array([[0.5, -0.25], [0.125, 0.75], [-0.5, 0.0]])
    mu = np.array([0.5, 0.25, 0.25])
    m = MDP(P, r, 0.9, mu)
    half = Fraction(1, 2)
    pi = [[half, half]] * 3
    if direct:  # pi(0|s) = theta_s = 1/2, pi(1|s) = 1 - theta_s
        par, th = Direct(3, 2), np.full(3, 0.5)
        dpi = [[[(1 - 2 * a) * (s == i) for i in range(3)] for a in range(2)] for s in range(3)]
    else:  # the uniform policy at theta = 0: d pi(a|s) / d theta_{s,b} = pi_a (1[a = b] - pi_b)
        par, th = TabularSoftmax(3, 2), np.zeros(6)
        dpi = [[[pi[s][a] * ((a == b) - pi[s][b]) * (s == i) for i in range(3) for b in range(2)]
                for a in range(2)] for s in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)
        g, bound = value_gradient(m.to_sparse() if sparse else m, par, th, with_bound=True)
    exact = _binary_gradient(P, r, 0.9, mu, pi, dpi)
    err = max(abs(Fraction(a) - e) for a, e in zip(g, exact))
    assert err <= Fraction(bound)


@pytest.mark.parametrize("sparse", [False, True])
def test_row_defects_are_the_correctly_rounded_exact_defects(sparse):
    """The gradient bound's row defects delta(s, a) = sum_t P(t|s, a) - 1 are correctly rounded
    (docstring of _row_defects), for dense and CSR storage alike: compared with the exact rational
    defect of the binary values, rounded once."""
    from mdptheory.gradients import _row_defects

    P = np.array([[[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]], [[0.7, 0.2, 0.1], [0.0, 0.1, 0.9]],
                  [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]])
    m = MDP(P, np.zeros((3, 2)), 0.9)
    d = _row_defects(m.to_sparse() if sparse else m)
    expected = [[float(sum(Fraction(p) for p in P[s, a]) - 1) for a in range(2)] for s in range(3)]
    assert d.tolist() == expected
    assert any(v != 0 for row in expected for v in row)


def test_exact_truncated_value_sums_rewards_over_actions_with_as_many_states_as_actions():
    """truncated_value in exact mode: V_T(mu) = sum_{t<T} gamma^t mu^T (P^pi)^t r^pi with
    r^pi(s) = sum_a pi(a|s) r(s, a); with S = A a sum over the wrong axis keeps the shape, so the
    test recomputes the sum from P, r and pi (pi(a|s) = q_a / sum_b q_b at theta = log q) in rationals."""
    from mdptheory.policies import LogRational, TabularSoftmax
    from mdptheory.trajectories import truncated_value

    F_ = Fraction
    P = np.array([[[F_(1, 4), F_(3, 4)], [F_(1), F_(0)]], [[F_(1, 2), F_(1, 2)], [F_(0), F_(1)]]], dtype=object)
    r = np.array([[F_(1), F_(-2)], [F_(5), F_(3, 2)]], dtype=object)
    gamma, mu, T = F_(3, 4), [F_(1, 3), F_(2, 3)], 4
    q = [1, 3, 2, 1]
    pi = [[F_(q[2 * s + a], q[2 * s] + q[2 * s + 1]) for a in range(2)] for s in range(2)]
    P_pi = [[sum(pi[s][a] * P[s, a, t] for a in range(2)) for t in range(2)] for s in range(2)]
    r_pi = [sum(pi[s][a] * r[s, a] for a in range(2)) for s in range(2)]
    expected, row = F_(0), list(mu)
    for t in range(T):
        expected += gamma ** t * sum(x * y for x, y in zip(row, r_pi))
        row = [sum(row[s] * P_pi[s][u] for s in range(2)) for u in range(2)]
    m = MDP(P, r, gamma, np.array(mu, dtype=object))
    assert truncated_value(m, TabularSoftmax(2, 2), LogRational(q), T, mode="exact") == expected


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_direct_contraction_covers_the_jacobian_of_the_definition(seed):
    r"""_abs_contraction's contract, :math:`\mathcal J(Y)_i \ge \sum_{s,a}|\partial_i\pi(a|s)|Y(s,a)` for
    ``Y >= 0``, for the direct parameterization: the derivatives are taken here from the definition
    (pi is linear in theta, so pi(theta + e_i) - pi(theta) is the exact partial derivative in rationals),
    up to the rounding of the float sum."""
    from fractions import Fraction as F

    from mdptheory.families import garnet
    from mdptheory.gradients import _abs_contraction, _prepare
    from mdptheory.policies import Direct

    S, A = 3, 3
    mdp = garnet(S, A, 2, seed=seed)
    p = Direct(S, A)
    rng = np.random.default_rng([seed, 8])
    theta = (rng.dirichlet(np.ones(A), size=S)[:, :-1] * 0.9).reshape(-1)
    st = _prepare(mdp, p, theta, "float")

    def probs(th):
        th = th.reshape(S, A - 1)
        return np.concatenate([th, 1 - th.sum(axis=1, keepdims=True)], axis=1)

    th_q = np.array([F(float(x)) for x in theta], dtype=object)
    for scale in (1e-3, 1.0, 1e3):
        Y = rng.uniform(0.5, 1.0, size=(S, A)) * scale
        J, _ = _abs_contraction(st, Y)
        for i in range(p.n_params):
            e = np.zeros(p.n_params, dtype=object) + F(0)
            e[i] = F(1)
            d = probs(th_q + e) - probs(th_q)
            ref = sum(abs(d[s, a]) * F(float(Y[s, a])) for s in range(S) for a in range(A))
            # J is a float sum of two entries of Y: it may round down by half a unit
            assert F(float(J[i])) * (1 + F(2) ** -52) >= ref, (i, scale)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_weights_bound_covers_the_worst_visitation_error_its_certificate_allows(gamma):
    r"""w = d/(1 - gamma): a visitation error of l1 size vb (what the visitation certificate allows)
    becomes a weights error of vb/(1 - gamma), so _weights_bound must be at least that."""
    from mdptheory.families import garnet
    from mdptheory.gradients import _prepare, _weights_bound
    from mdptheory.policies import TabularSoftmax

    mdp = garnet(6, 3, 3, gamma=gamma, seed=1)
    p = TabularSoftmax(6, 3)
    st = _prepare(mdp, p, np.random.default_rng(2).normal(size=18), "float")
    mu = mdp.rho
    d = st.ev.visitation(mu)
    vb = st.ev.visitation_bound(mu)
    assert vb is not None and 0 < vb < np.inf
    w = np.asarray(d, dtype=float) / (1 - gamma)
    assert _weights_bound(st, mu, w) >= vb / (1 - gamma)
    # and no more than that plus the weights' own rounding: the scaling by 1/(1 - gamma) is exact
    assert _weights_bound(st, mu, w) <= vb / (1 - gamma) * (1 + 1e-12) + 4 * np.finfo(float).eps * np.sum(w)


def test_policy_matrices_of_an_exact_mdp_and_a_float_policy_are_float():
    """Mixed input (documented): a float policy on an exact MDP gives float entries, on the general path and
    on the gather path of deterministic policies (S >= 64) alike; an exact policy gives Fractions."""
    from fractions import Fraction as F

    from mdptheory.evaluation.markov_chain import policy_matrices
    from mdptheory.families import chain

    m = chain(70, exact=True)
    S, A = m.n_states, m.n_actions
    acts = np.arange(S) % A
    det = np.zeros((S, A))
    det[np.arange(S), acts] = 1.0
    for pi in (det, np.full((S, A), 1.0 / A)):
        P_pi, r_pi = policy_matrices(m, pi)
        assert all(isinstance(x, float) for x in np.asarray(P_pi).ravel())
        assert all(isinstance(x, float) for x in np.asarray(r_pi).ravel())
    P_pi, r_pi = policy_matrices(m, det.astype(int).astype(object) * F(1))
    assert all(isinstance(x, F) for x in np.asarray(P_pi).ravel())


def test_average_rounding_covers_the_rounding_of_the_policy_average():
    r"""_average_rounding's contract: :math:`|\mathrm{fl}(\sum_a\pi X) - \sum_a\pi X|` per state is within
    the bound, for policies from a softmax and centred rewards of every size (exact rationals of the
    floats' binary values as the reference); and the bound is not vacuous: the largest error attains
    a fair share of it on some state."""
    from fractions import Fraction as F

    from mdptheory.gradients import _average_rounding

    rng = np.random.default_rng(11)
    for A in (2, 3, 5):
        for spread in (1e-3, 1.0, 1e3, 1e6):
            z = rng.normal(size=(300, A))
            pi = np.exp(z - z.max(axis=1, keepdims=True))
            pi /= pi.sum(axis=1, keepdims=True)
            X = rng.uniform(-spread, spread, size=(300, A))
            got = np.einsum("sa,sa->s", pi, X)
            bound = _average_rounding(pi, X)
            ratios = []
            for s in range(300):
                exact = sum(F(float(pi[s, a])) * F(float(X[s, a])) for a in range(A))
                err = abs(F(float(got[s])) - exact)
                assert err <= F(float(bound[s])), (A, spread, s)
                ratios.append(float(err) / float(bound[s]))
            assert max(ratios) > 0.02, (A, spread, max(ratios))


def test_last_rounding_covers_one_correctly_rounded_operation():
    r"""_last_rounding's contract: the rounding of the last operation that formed a value (here the
    sums Q = base + c·c1 and A = (base - V) + c·(c1 - e) of the centred coefficients) is within
    :math:`3\varepsilon|\hat X|`, for values of every size (exact rationals as the reference), and
    the largest error attains a fair share of the bound."""
    from fractions import Fraction as F

    from mdptheory.gradients import _last_rounding

    rng = np.random.default_rng(12)
    for scale in (1e-6, 1.0, 1e3, 1e8):
        x = rng.uniform(-scale, scale, size=2000)
        y = rng.uniform(-scale, scale, size=2000) * rng.choice([1e-3, 1.0], size=2000)
        got = x + y
        bound = _last_rounding(got)
        ratios = []
        for k in range(2000):
            err = abs(F(float(got[k])) - (F(float(x[k])) + F(float(y[k]))))
            assert err <= F(float(bound[k])), (scale, k)
            ratios.append(float(err) / float(bound[k]) if bound[k] > 0 else 0.0)
        assert max(ratios) > 0.1, (scale, max(ratios))


def test_difference_rounding_covers_the_advantage_subtraction():
    r"""_difference_rounding's contract: :math:`|\mathrm{fl}(\hat Q - \hat V) - (\hat Q - \hat V)| \le
    \varepsilon(X + |\hat V|)` whenever :math:`|\hat Q| \le X`, including values much larger than X
    (exact rationals as the reference); the largest error attains a fair share of the bound."""
    from fractions import Fraction as F

    from mdptheory.gradients import _difference_rounding

    rng = np.random.default_rng(13)
    for v_scale in (1e-3, 1.0, 1e4, 1e9):
        X = rng.uniform(0.0, 2.0, size=(400, 3))
        Q = X * rng.uniform(-1.0, 1.0, size=X.shape)
        V = rng.uniform(-v_scale, v_scale, size=400)
        got = Q - V[:, None]
        bound = _difference_rounding(X, V)
        ratios = []
        for s in range(400):
            for a in range(3):
                err = abs(F(float(got[s, a])) - (F(float(Q[s, a])) - F(float(V[s]))))
                assert err <= F(float(bound[s, a])), (v_scale, s, a)
                ratios.append(float(err) / float(bound[s, a]))
        assert max(ratios) > 0.1, (v_scale, max(ratios))


def test_gradient_bounds_stay_infinite_when_the_contraction_margin_is_exactly_zero():
    r"""At :math:`\gamma = 1 - n\varepsilon` the certified margin :math:`1 - \gamma\rho` of the row sums'
    bound :math:`\rho` is exactly 0 for some n: the gradient's bound is then infinite (with a warning),
    never a division by zero, for every form and for the entrywise bound."""
    import warnings

    from mdptheory.gradients import (_row_sum_bound, _value_gradient_entrywise, pg_advantage_form,
                                     value_gradient)
    from mdptheory.policies import TabularSoftmax

    S, A = 2, 2
    P = np.zeros((S, A, S))
    P[:, 0, 0] = P[:, 1, 1] = 1.0
    r = np.array([[1.0, 0.0], [0.0, 0.5]])
    eps = np.finfo(float).eps
    zero_margin = 0
    for n in range(1, 24):
        m = MDP(P, r, 1.0 - n * eps, np.array([0.5, 0.5]))
        rho = _row_sum_bound(m) * (1.0 + (S + A + 2) * eps)
        zero_margin += (1.0 - m.gamma * rho) == 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for form in (value_gradient, pg_advantage_form):
                g, bound = form(m, TabularSoftmax(S, A), np.zeros(S * A), with_bound=True)
                assert np.all(np.isfinite(g))
                if 1.0 - m.gamma * rho <= 0.0:
                    assert bound == np.inf
            _, err = _value_gradient_entrywise(m, TabularSoftmax(S, A), np.zeros(S * A))
            if 1.0 - m.gamma * rho <= 0.0:
                assert np.all(err == np.inf)
    assert zero_margin >= 1


@pytest.mark.parametrize("offset", [0.0, 1000.0])
def test_entrywise_gradient_bound_is_the_gradient_bound_entry_by_entry(offset):
    """The entrywise bound follows the rule of value_gradient's certified bound entry by entry, so its
    largest entry is that bound (same coefficients and weights bounds, same final enlargement), for
    uncentred and centred (offset) rewards alike."""
    from mdptheory.families import garnet
    from mdptheory.gradients import _value_gradient_entrywise, value_gradient
    from mdptheory.policies import TabularSoftmax

    base = garnet(5, 3, 2, gamma=0.9, seed=4)
    m = MDP(np.asarray(base.P), np.asarray(base.r) + offset, 0.9, np.asarray(base.rho))
    p = TabularSoftmax(5, 3)
    theta = np.random.default_rng(5).normal(size=15)
    g1, err = _value_gradient_entrywise(m, p, theta)
    g2, bound = value_gradient(m, p, theta, with_bound=True)
    assert np.array_equal(g1, g2)
    assert 0 < bound < np.inf
    assert np.max(err) == bound


def _tabular_softmax_dpi(pi, tau=1):
    r""":math:`\partial\pi(a|s)/\partial\theta_{s,b} = \pi_a(1[a=b] - \pi_b)/\tau` in rationals, as (S, A, S*A)."""
    from fractions import Fraction as F

    S, A = pi.shape
    q = [[F(float(pi[s, a])) for a in range(A)] for s in range(S)]
    out = np.zeros((S, A, S * A), dtype=object) + F(0)
    for s in range(S):
        for a in range(A):
            for b in range(A):
                out[s, a, s * A + b] = q[s][a] * ((1 if a == b else 0) - q[s][b]) / tau
    return out


@pytest.mark.parametrize("offset", [0.0, 1e6])
@pytest.mark.parametrize("form", ["value_gradient", "pg_q_form", "pg_advantage_form", "softmax_gradient_closed_form"])
def test_gradient_bound_covers_every_coefficient_its_certificate_allows(form, offset):
    r"""A certified float gradient promises to hold for any coefficients within their entrywise
    bound :math:`E_X` (E_Q for the Bellman coefficients and Q, E_A for the advantage).  For
    :math:`g = \mathcal C(w\odot X)` and each entry i, the coefficients
    :math:`\hat X + \mathrm{sign}(w\,\partial_i\pi)E_X` move it by
    :math:`\sum_{s,a}|w_s\,\partial_i\pi(a|s)|E_X(s,a)`; for the closed form
    :math:`g_{s,b} = w_s\pi(b|s)A(s,b)/\tau` the advantage moves entry (s, b) by
    :math:`w_s\pi(b|s)E_A(s,b)` (rationals; weights d/(1 - gamma) from the visitation).  The bound
    must cover that, with and without a large reward offset (centred coefficients).  Where the
    coefficients' bound is the dominant term (the advantage forms without offset at this model)
    the bound is also within a factor 3 of what it covers, so that a weight or a bound taken
    smaller than the rule's is seen."""
    from fractions import Fraction as F

    from mdptheory import gradients as G
    from mdptheory.families import garnet
    from mdptheory.policies import TabularSoftmax

    base = garnet(5, 3, 3, gamma=0.9, seed=7)
    m = MDP(np.asarray(base.P), np.asarray(base.r) + offset, 0.9, np.asarray(base.rho))
    p = TabularSoftmax(5, 3)
    theta = np.random.default_rng(8).normal(size=15)
    _, bound = getattr(G, form)(m, p, theta, with_bound=True)
    st = G._prepare(m, p, theta, "float")
    assert G._coefficients(st).centred == (offset > 0)
    b = G._coefficients(st).bounds()
    E = b.E_Q if form in ("value_gradient", "pg_q_form") else b.E_A
    d = np.asarray(evaluate(m, st.pi).visitation(), dtype=float)
    w = [F(float(x)) / (1 - F(0.9)) for x in d]
    if form == "softmax_gradient_closed_form":
        moved = max(w[s] * F(float(st.pi[s, a])) * F(float(E[s, a])) for s in range(5) for a in range(3))
    else:
        dpi = _tabular_softmax_dpi(st.pi)
        moved = max(sum(abs(w[s] * dpi[s, a, i]) * F(float(E[s, a])) for s in range(5) for a in range(3))
                    for i in range(15))
    assert 0 < moved <= F(bound)
    if form in ("pg_advantage_form", "softmax_gradient_closed_form") and offset == 0:
        assert moved >= F(bound) / 3


@pytest.mark.parametrize("form", ["value_gradient", "pg_q_form", "pg_advantage_form", "softmax_gradient_closed_form"])
def test_gradient_bound_warning_points_at_the_callers_line(form):
    """The warning that a float gradient's certified bound is not small names the line that called
    the public function (here: this test file), not a line inside the package."""
    import warnings

    from mdptheory import gradients as G
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.policies import TabularSoftmax

    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = P[:, 1, 1] = 1.0
    m = MDP(P, np.array([[1.0, 0.0], [0.0, 0.5]]), 1.0 - 10 * np.finfo(float).eps, np.array([0.5, 0.5]))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        getattr(G, form)(m, TabularSoftmax(2, 2), np.zeros(4))
    mine = [x for x in rec if issubclass(x.category, NumericalWarning) and str(x.message).startswith(form)]
    assert mine, [str(x.message) for x in rec]
    assert all(x.filename == __file__ for x in mine), [(x.filename, x.lineno) for x in mine]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_family_contraction_covers_the_jacobian_of_the_definition(seed):
    r"""_abs_contraction's contract for a log-linear policy (the softmax-family branch):
    :math:`\mathcal J(Y)_i \ge \sum_{s,a}|\partial_i\pi(a|s)|Y(s,a)` for ``Y >= 0``, with
    :math:`\partial_i\pi(a|s) = \pi(a|s)(\phi_i(s,a) - \sum_b\pi(b|s)\phi_i(s,b))/\tau` taken here in
    rationals of the computed policy, for features of both signs and weights of every size."""
    from fractions import Fraction as F

    from mdptheory.families import garnet
    from mdptheory.gradients import _abs_contraction, _prepare
    from mdptheory.policies import LogLinear

    S, A, n = 4, 3, 2
    rng = np.random.default_rng([seed, 9])
    phi = rng.choice([-1.0, 1.0], size=(S, A, n)) * rng.uniform(0.5, 2.0, size=(S, A, n))
    # one feature that is +1 on the first action and -1 on the others: where the policy prefers the
    # others, |phi - mean| is about twice |phi| on the first action (the centring term matters)
    phi[:, :, 0] = [1.0, -1.0, -1.0]
    p = LogLinear(phi, temperature=0.5)
    theta = np.array([-1.0 - seed, rng.normal()])
    st = _prepare(garnet(S, A, 2, seed=seed), p, theta, "float")
    q = [[F(float(st.pi[s, a])) for a in range(A)] for s in range(S)]
    for scale in (1e-3, 1.0, 1e3):
        Y = rng.uniform(0.5, 1.0, size=(S, A)) * scale
        Y[:, 1:] *= 1e-6  # weight on the first action only
        J, _ = _abs_contraction(st, Y)
        for i in range(n):
            ref = F(0)
            for s in range(S):
                mean = sum(q[s][b] * F(float(phi[s, b, i])) for b in range(A))
                ref += sum(abs(q[s][a] * (F(float(phi[s, a, i])) - mean)) * 2 * F(float(Y[s, a]))
                           for a in range(A))
            # J is a float sum of 2 S A products: it may round down by a few units
            assert F(float(J[i])) * (1 + F(4 * S * A) * F(2) ** -52) >= ref, (i, scale)


@pytest.mark.parametrize("seed", [0, 1])
def test_tight_softmax_contraction_is_the_exact_one_up_to_rounding(seed):
    r"""The tight tabular-softmax contraction is what its name says: within a relative
    :math:`3\eta_\pi + (A + 8)\varepsilon` (and the policy's absolute rounding) of the exact
    :math:`\sum_{s,a}|\partial_i\pi(a|s)|Y(s,a)` taken in rationals of the computed policy, from
    above -- not a multiple of it."""
    from fractions import Fraction as F

    from mdptheory.families import garnet
    from mdptheory.gradients import _abs_contraction, _policy_rounding, _prepare
    from mdptheory.policies import TabularSoftmax

    S, A = 4, 3
    p = TabularSoftmax(S, A)
    rng = np.random.default_rng([seed, 10])
    st = _prepare(garnet(S, A, 2, seed=seed), p, rng.normal(size=S * A) * 3, "float")
    eta_rel, eta_abs = _policy_rounding(st)
    dpi = _tabular_softmax_dpi(st.pi)
    Y = rng.uniform(0.5, 2.0, size=(S, A))
    J, _ = _abs_contraction(st, Y, tight=True)
    for i in range(S * A):
        exact = sum(abs(dpi[s, a, i]) * F(float(Y[s, a])) for s in range(S) for a in range(A))
        assert F(float(J[i])) >= exact * (1 - F(2) ** -50)
        assert float(J[i]) <= float(exact) * (1 + 3 * eta_rel + (A + 8) * 2.0 ** -52) + 2 * A * eta_abs * Y.sum()


def test_gradient_bound_of_a_user_parameterization_uses_its_jacobian():
    r"""A parameterization defined by a user (neither softmax family nor the package's direct one)
    takes the generic branch of the contraction, :math:`|\nabla\pi|` from its own ``jacobian``:
    its float gradient agrees with the exact one within the certified bound, and the contraction
    is exactly :math:`\sum_{s,a}|\partial_i\pi(a|s)|Y(s,a)` of that Jacobian."""
    from fractions import Fraction as F

    from mdptheory.families import garnet
    from mdptheory.gradients import _abs_contraction, _prepare, value_gradient
    from mdptheory.policies import Direct
    from mdptheory.policies.base import Parameterization

    class UserDirect(Parameterization):
        """The simplex with the last action as remainder, written by a user on top of Direct."""

        accepts_rational = True
        affine = True

        def __init__(self, S, A):
            self.inner = Direct(S, A)
            self.n_states, self.n_actions, self.n_params = S, A, self.inner.n_params

        def probs(self, theta):
            return self.inner.probs(theta)

        def log_probs(self, theta):
            return self.inner.log_probs(theta)

        def score(self, theta):
            return self.inner.score(theta)

        def jacobian(self, theta):
            return self.inner.jacobian(theta)

        def probs_hessian(self, theta):
            return self.inner.probs_hessian(theta)

    # a dyadic model: its floats are exactly the rationals of the exact reference
    S, A = 4, 4
    rng = np.random.default_rng(3)
    rows = np.array([[0.5, 0.25, 0.125, 0.125], [0.25, 0.25, 0.25, 0.25], [0.75, 0.0, 0.25, 0.0],
                     [0.0, 0.0, 0.0, 1.0]])
    P = np.stack([rng.permutation(rows) for _ in range(S)])
    r = rng.integers(-8, 9, size=(S, A)) / 8.0
    m = MDP(P, r, 0.875, np.full(S, 0.25))
    to_q = np.frompyfunc(F, 1, 1)
    exact_m = MDP(to_q(P), to_q(r), F(7, 8), np.full(S, F(1, 4), dtype=object))
    p = UserDirect(S, A)
    theta = np.tile([0.25, 0.125, 0.5], S)
    g, bound = value_gradient(m, p, theta, with_bound=True)
    exact = value_gradient(exact_m, Direct(S, A), [F(x) for x in theta], mode="exact")
    assert 0 < bound < 1e-10
    assert all(abs(F(float(a)) - b) <= F(bound) for a, b in zip(g, exact))
    st = _prepare(m, p, theta, "float")
    Y = rng.uniform(0.5, 2.0, size=(S, A))
    J, k = _abs_contraction(st, Y)
    ref = np.einsum("sai,sa->i", np.abs(np.asarray(p.jacobian(theta), dtype=float)), Y)
    assert np.array_equal(J, ref)
    # each entry is a float sum of S A products: its rounding is within (S A) u = (S A / 2) eps of the
    # sum of absolute values, so the rounding factor k (in units of eps) must be at least S A / 2
    assert k >= S * A / 2


@pytest.mark.parametrize("gamma", [0.7, 0.9, 0.99])  # 1/(1 - gamma) not a power of two: d/(1 - gamma) rounds
def test_weights_bound_covers_the_rounding_of_the_weights_themselves(gamma):
    r"""_weights_bound's own rounding allowance: with a visitation taken as exact (its certificate
    set to 0), the bound must still cover :math:`\|\mathrm{fl}(d/(1-\gamma)) - d/(1-\gamma)\|_1`,
    the rounding of forming the weights (exact rationals of the float d and gamma as the reference)."""
    from fractions import Fraction as F
    from types import SimpleNamespace

    from mdptheory.gradients import _weights_bound

    rng = np.random.default_rng(int(gamma * 100))
    worst = 0.0
    for _ in range(20):
        d = rng.dirichlet(np.ones(50))
        w = d / (1 - gamma)
        st = SimpleNamespace(gamma=gamma, ev=SimpleNamespace(visitation_bound=lambda mu: 0.0))
        bound = _weights_bound(st, None, w)
        err = sum(abs(F(float(x)) - F(float(y)) / (1 - F(gamma))) for x, y in zip(w, d))
        assert err <= F(bound)
        worst = max(worst, float(err) / bound)
    assert worst > 0.05


@pytest.mark.parametrize("shape", [(1, 2, 1), (2, 3, 2), (6, 4, 2)])
def test_softmax_family_contraction_counts_its_roundings(shape):
    """The rounding factor k of the softmax-family contraction (in units of eps) counts the
    roundings of the two sums of S A products and of the inner sums over A actions it adds: at
    least (S A + A + 2) / 2, whatever the sizes (one state and two actions included)."""
    from mdptheory.families import garnet
    from mdptheory.gradients import _abs_contraction, _prepare
    from mdptheory.policies import LogLinear

    S, A, n = shape
    phi = np.random.default_rng(S * A).normal(size=(S, A, n))
    st = _prepare(garnet(S, A, min(2, S), seed=1), LogLinear(phi), np.zeros(n), "float")
    _, k = _abs_contraction(st, np.ones((S, A)))
    assert k >= (S * A + A + 2) / 2


def _decimal_rows_mdp(offset, *, policy_seed=0):
    """S = 3, A = 2, rows of decimals whose float sums miss one, rewards with an optional offset."""
    rows = [(0.1, 0.2, 0.7), (0.3, 0.3, 0.4), (0.6, 0.3, 0.1)]
    rng = np.random.default_rng(policy_seed)
    P = np.array([[rows[(s + 2 * a) % 3][::(1 if a == 0 else -1)] for a in range(2)] for s in range(3)])
    r = rng.uniform(-1.0, 1.0, size=(3, 2)) + offset
    return MDP(P, r, 0.9, np.array([0.5, 0.25, 0.25]))


def _exact_inverse_times(m, pi, v, *, transpose=False, shift=0):
    r""":math:`M^{-1}v` (or :math:`M^{-\top}v`) with :math:`M = I - \gamma P^\pi`, in rationals of the floats
    (the policy's entries moved by the rational ``shift``)."""
    from flint import fmpq, fmpq_mat

    S, A = pi.shape
    q = lambda x: fmpq(*F_(float(x)).as_integer_ratio())  # noqa: E731
    g = q(m.gamma)
    P = np.asarray(m.P)
    M = fmpq_mat(S, S)
    for s in range(S):
        for t in range(S):
            M[s, t] = (1 if s == t else 0) - g * sum(((q(pi[s, a]) + shift) * q(P[s, a, t]) for a in range(A)),
                                                     fmpq(0))
    if transpose:
        M = M.transpose()
    x = M.solve(fmpq_mat(S, 1, [q(x) for x in v]))
    return [F_(int(x[i, 0].p), int(x[i, 0].q)) for i in range(S)]


def test_solve_parts_of_the_coefficients_bound_cover_what_they_propagate():
    r"""Each right-hand side error of the centred coefficients moves the solution by :math:`M^{-1}`
    of it, and the part of the bound that propagates it must cover that (the solves' residual
    certificates set to 0 to isolate it): :math:`e_V \ge \max M^{-1}\mathrm{rnd}_V`,
    :math:`e_e \ge \max M^{-1}\mathrm{rnd}_e` and, for the policy's rounding,
    :math:`dV \ge \max M^{-1}\mathrm{num}` (rationals of the floats of M)."""
    from mdptheory.gradients import _coefficients, _prepare
    from mdptheory.policies import TabularSoftmax

    m = _decimal_rows_mdp(1e6)
    st = _prepare(m, TabularSoftmax(3, 2), np.random.default_rng(1).normal(size=6) * 2, "float")
    st.ev.residual_bound = lambda x, b: 0.0
    coef = _coefficients(st)
    assert coef.centred
    coef.bounds()
    parts = coef.parts
    for rhs, sol in (("rnd_V", "eV"), ("rnd_e", "ee"), ("num", "dV")):
        moved = max(abs(x) for x in _exact_inverse_times(m, st.pi, parts[rhs]))
        assert 0 < moved <= F_(float(parts[sol])), (rhs, sol)


def test_policy_weights_error_covers_a_policy_moved_within_its_rounding():
    r"""The weights' error from the policy's rounding: a direct policy whose entries all move up by
    the absolute rounding :math:`\eta_0` changes :math:`w^\top = \mu^\top M_\pi^{-1}` by at most the
    bound (rationals of the floats; the solve taken as exact)."""
    from flint import fmpq

    from mdptheory.gradients import _coefficients, _policy_weights_error, _prepare
    from mdptheory.policies import Direct

    m = _decimal_rows_mdp(0.0)
    theta = np.array([0.3, 0.55, 0.7])
    st = _prepare(m, Direct(3, 2), theta, "float")
    b = _coefficients(st).bounds()
    eta_rel, eta_abs, rho = b.eta_rel, b.eta_abs, b.rho
    assert eta_rel == 0 and eta_abs > 0
    mu = np.asarray(m.rho)
    w = _exact_inverse_times(m, st.pi, mu, transpose=True)
    w_hat = np.array([float(x) for x in w])
    # every entry up by eta_0 (exactly): a policy the bound's rounding allows
    w2 = _exact_inverse_times(m, st.pi, mu, transpose=True, shift=fmpq(*F_(eta_abs).as_integer_ratio()))
    moved = sum(abs(a - b) for a, b in zip(w2, w))
    assert 0 < moved <= F_(_policy_weights_error(st, w_hat, eta_rel, eta_abs, rho))


@pytest.mark.parametrize("offset", [0.0, 1e6, 1e15])
def test_policy_rounding_right_hand_side_covers_the_worst_rounded_policy(offset):
    r"""The policy's rounding enters the value as :math:`M(\hat V - V) = \sum_a\Delta_a\hat A_a +
    \hat V(\hat\sigma - 1)` with :math:`|\Delta| \le \eta_{rel}\hat\pi + \eta_{abs}`: its bound ``num``
    must be at least :math:`\sum_a(\eta_{rel}\hat\pi + \eta_{abs})|\hat A| + |\hat V||\hat\sigma - 1|`
    (the worst signs), with and without centring (an offset of 1e15 makes the offset part of the
    centred advantage as large as the rest); and the bound on :math:`|r| + \gamma P|V|` that the
    rounding of forming Q scales with is at least :math:`|\hat Q|`."""
    from mdptheory.gradients import _coefficients, _prepare, _sum_defects
    from mdptheory.policies import TabularSoftmax

    m = _decimal_rows_mdp(offset)
    st = _prepare(m, TabularSoftmax(3, 2), np.random.default_rng(2).normal(size=6) * 2, "float")
    coef = _coefficients(st)
    b = coef.bounds()
    assert coef.centred == (offset > 0)
    A_hat = coef.A if coef.centred else np.asarray(st.ev.advantage, dtype=float)
    V_hat = coef.V2
    d_pi = b.eta_rel * st.pi + b.eta_abs
    sig = np.abs(_sum_defects(st.pi))
    assert np.any(sig > 0)
    for s in range(3):
        need = (sum(F_(float(d_pi[s, a])) * abs(F_(float(A_hat[s, a]))) for a in range(2))
                + abs(F_(float(V_hat[s]))) * F_(float(sig[s])))
        assert need <= F_(float(coef.parts["num"][s])), s
        # and, below an offset of 1e15 (whose certified errors are as large as A itself), no more
        # than twice that: num is that plus the certified errors of A
        if offset < 1e15:
            assert F_(float(coef.parts["num"][s])) <= 2 * need, s
    if coef.centred:
        assert np.all(coef.parts["Xb"] >= np.abs(coef.base))
    else:
        assert np.all(coef.parts["X2"] >= np.abs(np.asarray(st.ev.Q, dtype=float)))


@pytest.mark.parametrize("form", ["pg_q_form", "pg_advantage_form", "value_gradient", "softmax_gradient_closed_form"])
def test_exact_gradient_forms_report_a_zero_bound(form):
    """In exact mode every gradient form is exact: its bound is 0."""
    from fractions import Fraction as F

    from mdptheory import gradients as G
    from mdptheory.families import garnet
    from mdptheory.policies import LogRational, TabularSoftmax

    m = garnet(3, 2, 2, seed=0, exact=True)
    theta = LogRational([F(1), F(2), F(1, 2), F(1), F(3), F(1)])
    g, bound = getattr(G, form)(m, TabularSoftmax(3, 2), theta, with_bound=True)
    assert bound == 0 and all(isinstance(x, F) for x in g)


def test_gradient_warning_threshold_is_relative_to_the_documented_scale(monkeypatch):
    r"""The bound warning compares the bound with WARN_RELATIVE_ERROR times the gradient's scale
    :math:`\max(\|\hat g\|_\infty, \max_{s,b} 2\pi(b|s)|w_s|(\max r - \min r)/(1-\gamma))` (tabular
    softmax, temperature 1: :math:`\bar{\mathcal J}(|w|)`), w = d/(1 - gamma): with the threshold set
    just above and just below bound / scale, the warning is absent and present."""
    import warnings

    from mdptheory import gradients as G
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.families import garnet
    from mdptheory.policies import TabularSoftmax

    base = garnet(30, 2, 2, gamma=0.9, seed=5)  # many states: each visitation weight is small
    # rewards about 0 (max r + min r near 0, far from the spread), not enough offset to centre them
    m = MDP(np.asarray(base.P), np.asarray(base.r) - 0.5, 0.9, np.asarray(base.rho))
    p = TabularSoftmax(30, 2)
    theta = np.random.default_rng(6).normal(size=60)
    g, bound = G.value_gradient(m, p, theta, with_bound=True)
    pi = np.asarray(p.probs(theta), dtype=float)
    w = np.asarray(evaluate(m, pi).visitation(), dtype=float) / (1 - 0.9)
    r = np.asarray(m.r)
    natural = float(np.max(2 * pi * w[:, None])) * (r.max() - r.min()) / (1 - 0.9)
    scale = max(float(np.max(np.abs(g))), natural)
    assert natural > float(np.max(np.abs(g)))  # the reward spread's scale decides here
    for factor, expected in ((1.5, False), (1 / 1.5, True)):
        monkeypatch.setattr(G, "WARN_RELATIVE_ERROR", bound / scale * factor)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            G.value_gradient(m, p, theta, with_bound=True)
        assert any(issubclass(x.category, NumericalWarning) for x in rec) == expected, factor


def test_defect_right_hand_side_rounding_covers_its_float_formation():
    r"""The rounding bound ``rnd_e`` of the centred defect right-hand side
    :math:`\gamma\sum_a\pi\delta/(1-\gamma)` covers its float value's distance from the exact one
    (rationals of the floats of pi, delta and gamma), over many policies and rows whose float sums
    miss one; the largest error attains a fair share of it."""
    from mdptheory.gradients import _coefficients, _prepare
    from mdptheory.policies import TabularSoftmax

    worst = 0.0
    for seed in range(40):
        m = _decimal_rows_mdp(1e6, policy_seed=seed)
        st = _prepare(m, TabularSoftmax(3, 2), np.random.default_rng(seed).normal(size=6) * 3, "float")
        coef = _coefficients(st)
        coef.bounds()
        g = F_(0.9)
        for s in range(3):
            exact = g * sum(F_(float(st.pi[s, a])) * F_(float(coef.delta[s, a])) for a in range(2)) / (1 - g)
            err = abs(F_(float(coef.rhs_e[s])) - exact)
            bound = F_(float(coef.parts["rnd_e"][s]))
            assert err <= bound, (seed, s)
            worst = max(worst, float(err / bound))
    assert worst > 0.1, worst


def test_advantage_bound_covers_the_value_error_of_the_policy_rounding():
    r"""A = Q - V: the advantage's bound holds the coefficients' bound and the value's error, as the
    module notes state (:math:`E_A \ge E_Q + dV`, dV the policy rounding's share of the value's error),
    including at large logits where the policy's rounding dominates."""
    from mdptheory.gradients import _coefficients, _last_rounding, _prepare
    from mdptheory.policies import TabularSoftmax

    for offset in (0.0, 1e6):
        m = _decimal_rows_mdp(offset)
        st = _prepare(m, TabularSoftmax(3, 2), np.array([300.0, 299.0, -250.0, -251.0, 40.0, 41.5]), "float")
        coef = _coefficients(st)
        b = coef.bounds()
        assert coef.parts["dV"] > 0
        # the module notes: E_A = E_Q + e_V (+ |c| e_e when centred) + the policy rounding's dV, plus
        # the rounding of the subtraction (centred: of the last operation forming A)
        ee = abs(coef.c) * coef.parts["ee"] if coef.centred else 0.0
        eV = coef.parts["eV"] if coef.centred else st.ev.error_bound
        own = _last_rounding(coef.A) if coef.centred else 0.0
        assert np.all(b.E_A - own >= b.E_Q + eV + ee + coef.parts["dV"]), offset
        if coef.centred:  # and no more: the rule adds exactly these (up to the rounding of the sums)
            assert np.all(b.E_A <= (b.E_Q + eV + ee + coef.parts["dV"] + own) * (1 + 1e-12)), offset
        assert not coef.centred or np.all(ee > 0)


def test_centred_gradient_warns_without_being_asked_for_its_bound(monkeypatch):
    """With rewards offset (centred coefficients) the bound is always computed, so that its warning is
    issued even when the caller did not ask for the bound (threshold lowered so that any bound warns)."""
    import warnings

    from mdptheory import gradients as G
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.policies import TabularSoftmax

    monkeypatch.setattr(G, "WARN_RELATIVE_ERROR", 1e-300)
    for offset, expected in ((1e6, True), (0.0, False)):
        m = _decimal_rows_mdp(offset)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            G.value_gradient(m, TabularSoftmax(3, 2), np.zeros(6))
        assert any(issubclass(x.category, NumericalWarning) for x in rec) == expected, offset


def test_rewards_are_centred_only_when_their_offset_exceeds_their_spread():
    """The module notes: the rewards are centred when the offset c = (max r + min r)/2 exceeds the
    spread max r - min r, strictly; at equality (rewards in [1, 3]) the coefficients are not centred."""
    from mdptheory.gradients import _coefficients, _prepare
    from mdptheory.policies import TabularSoftmax

    P = np.full((2, 2, 2), 0.5)
    for r, centred in (([[1.0, 3.0], [2.0, 2.5]], False), ([[1.0, 2.9], [2.0, 2.5]], True)):
        st = _prepare(MDP(P, np.array(r), 0.9, np.array([0.5, 0.5])), TabularSoftmax(2, 2), np.zeros(4), "float")
        assert _coefficients(st).centred is centred, r


def test_exact_visitation_cache_is_keyed_by_values_not_by_objects():
    """Start distributions of Fractions used once and dropped: the next one's Fractions may reuse
    their memory, so a cache keyed by the objects' addresses (an object array's bytes) would return a
    previous distribution's visitation.  Each must equal a fresh evaluation's."""
    F = Fraction
    P = np.array([[[F(1, 2), F(1, 2)], [F(1), F(0)]], [[F(0), F(1)], [F(1, 3), F(2, 3)]]], dtype=object)
    r = np.array([[F(1), F(0)], [F(0), F(1)]], dtype=object)
    m = MDP(P, r, F(9, 10), np.array([F(1, 2), F(1, 2)], dtype=object))
    pi = np.array([[F(1, 2), F(1, 2)], [F(1, 4), F(3, 4)]], dtype=object)
    ev = evaluate(m, pi, mode="exact")
    got = [tuple(ev.visitation(np.array([F(i, 61), F(61 - i, 61)], dtype=object))) for i in range(1, 60)]
    for i, d in enumerate(got, start=1):
        fresh = evaluate(m, pi, mode="exact").visitation(np.array([F(i, 61), F(61 - i, 61)], dtype=object))
        assert d == tuple(fresh), i


# (8, 0.9): the reward spread sets the scale; (3, 0.995): V still a-priori fine (the shortcut is
# available) while the advantage's bound is near its threshold
@pytest.mark.parametrize(("S", "gamma"), [(8, 0.9), (3, 0.995)])
def test_advantage_warning_follows_its_certified_bound_and_documented_scale(S, gamma, monkeypatch):
    r"""The float advantage warns on first access exactly when its certified bound exceeds
    WARN_RELATIVE_ERROR times its scale :math:`\max(\max|\hat A|, (\max r - \min r)/(1-\gamma))`: with the
    threshold set just below and just above bound / scale, the warning is present and absent -- the
    a-priori shortcut (which skips the bound when V's estimate is small) never hides it."""
    import warnings

    from mdptheory.evaluation import result as R
    from mdptheory.exceptions import NumericalWarning
    from mdptheory.families import garnet

    base = garnet(S, 3, 3, gamma=gamma, seed=2)
    m = MDP(np.asarray(base.P), np.asarray(base.r) - 0.5, gamma, np.asarray(base.rho))
    pi = np.random.default_rng(3).dirichlet(np.ones(3), size=S)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = evaluate(m, pi)
        b, amax = ev.advantage_error_bound, float(np.max(np.abs(ev.advantage)))
    r = np.asarray(m.r)
    scale = max(amax, (r.max() - r.min()) / (1 - gamma))
    if S == 8:
        assert amax < (r.max() - r.min()) / (1 + gamma)  # the reward spread sets the scale
    for factor, expected in ((1 / 1.2, True), (1.5, False)):
        monkeypatch.setattr(R, "WARN_RELATIVE_ERROR", b / scale * factor)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            evaluate(m, pi).advantage
        got = any(issubclass(x.category, NumericalWarning) and "advantage" in str(x.message) for x in rec)
        assert got == expected, (factor, [str(x.message) for x in rec])


def test_float_start_distribution_rejects_object_arrays_of_non_numbers():
    """A float start distribution given as an object array holding booleans, strings or complex numbers
    is rejected naming mu (numpy would read True as 1.0 and '0.5' as 0.5)."""
    from mdptheory.exceptions import InvalidParameterError

    m = _float_mdp()
    ev = evaluate(m, np.full((3, 2), 0.5))
    for bad in ([True, False, False], ["0.5", 0.25, 0.25], [0.5 + 0j, 0.25, 0.25]):
        with pytest.raises(InvalidParameterError, match="mu"):
            ev.visitation(np.array(bad, dtype=object))


def test_ball_mode_float_start_distribution_with_zeros_and_its_sum_tolerance():
    """Ball mode on a float MDP reads a float start distribution as its exact binary values: entries
    equal to 0 are accepted, and the sum may miss one by rounding only (1e-9), as in float mode."""
    from mdptheory.exceptions import InvalidParameterError

    m = _float_mdp()
    pi = np.full((3, 2), 0.5)
    ev = evaluate(m, pi, mode="ball")
    d = ev.visitation(np.array([0.0, 0.5, 0.5]))
    ref = evaluate(m, pi).visitation(np.array([0.0, 0.5, 0.5]))
    assert np.allclose([float(x.mid()) for x in d], ref, rtol=0, atol=1e-12)
    ev.visitation(np.array([0.2, 0.3, 0.5 + 5e-10]))
    for mode in ("ball", "float"):
        with pytest.raises(InvalidParameterError, match="probability distribution"):
            evaluate(m, pi, mode=mode).visitation(np.array([0.2, 0.3, 0.5 + 1.5e-9]))


@pytest.mark.parametrize("exact", [False, True])
def test_value_iteration_stops_when_its_bound_equals_tol(exact):
    r"""Value iteration stops as soon as :math:`\gamma/(1-\gamma)\|V_{k+1} - V_k\| \le` tol, equality
    included: one state, r = 1, gamma = 1/2, so the k-th update moves V by :math:`2^{-(k-1)}` exactly
    (in floats too) and the bound after k updates is :math:`2^{-(k-1)}`; with tol = 2^-9 it stops after
    10 updates, not 11."""
    from mdptheory.optimal import solve

    if exact:
        m = MDP(np.array([[[Fraction(1)]]], dtype=object), np.array([[Fraction(1)]], dtype=object),
                Fraction(1, 2), np.array([Fraction(1)], dtype=object))
        tol = Fraction(1, 2**9)
    else:
        m = MDP(np.ones((1, 1, 1)), np.ones((1, 1)), 0.5, np.ones(1))
        tol = 2.0**-9
    sol = solve(m, method="value_iteration", tol=tol)
    assert sol.n_iter == 10 and sol.success


def test_exact_value_iteration_default_tol_scales_with_the_value():
    r"""Exact value iteration's default tol is :math:`10^{-10}\max(1, r_{max}/(1-\gamma))`: with
    r = 1000 and gamma = 1/2 (tol 2e-7) it stops after the first update whose bound
    :math:`1000 \cdot 2^{-(k-1)}` is at most that, k = 34 (with tol 1e-10 it would be 45)."""
    from mdptheory.optimal import solve

    m = MDP(np.array([[[Fraction(1)]]], dtype=object), np.array([[Fraction(1000)]], dtype=object),
            Fraction(1, 2), np.array([Fraction(1)], dtype=object))
    sol = solve(m, method="value_iteration", mode="exact")
    k = next(k for k in range(1, 200) if Fraction(1000, 2 ** (k - 1)) <= Fraction(2, 10**7))
    assert sol.n_iter == k == 34


def test_exact_value_iteration_refuses_a_gamma_within_1e_minus_300_of_one():
    """gamma = 1 - 10^-301: exact value iteration would need ~10^301 updates; it refuses up front naming
    the limit, rather than running a handful and reporting non-convergence."""
    from mdptheory.optimal import solve

    g = 1 - Fraction(1, 10**301)
    m = MDP(np.array([[[Fraction(1)]]], dtype=object), np.array([[Fraction(1)]], dtype=object), g,
            np.array([Fraction(1)], dtype=object))
    with pytest.raises(InvalidParameterError, match="exact value iteration would need"):
        solve(m, method="value_iteration", mode="exact")


def test_policy_iteration_honours_a_user_tie_tolerance_from_a_stochastic_start():
    """With a user tol, policy iteration (the general path: a stochastic start policy) treats actions
    whose Q is within tol of the best as ties and keeps the lowest-indexed one: r = (1, 1.05) in one
    state, tol = 0.5, so action 0 is kept."""
    from mdptheory.optimal import solve

    m = MDP(np.ones((1, 2, 1)), np.array([[1.0, 1.05]]), 0.5, np.ones(1))
    sol = solve(m, method="policy_iteration", tol=0.5, pi0=np.array([[0.5, 0.5]]))
    assert list(sol.actions) == [0]
    assert list(solve(m, method="policy_iteration", pi0=np.array([[0.5, 0.5]])).actions) == [1]


@pytest.mark.parametrize("exact", [False, True])
def test_value_iteration_starts_from_the_value_of_pi0(exact):
    """Value iteration started from an optimal deterministic pi0 starts at V* (the value of pi0), so its
    first update moves nothing and it stops after one update (from 0 it would need dozens)."""
    from mdptheory.optimal import solve

    if exact:
        m = MDP(np.array([[[Fraction(1)], [Fraction(1)]]], dtype=object),
                np.array([[Fraction(1), Fraction(1, 2)]], dtype=object), Fraction(1, 2),
                np.array([Fraction(1)], dtype=object))
    else:
        m = MDP(np.ones((1, 2, 1)), np.array([[1.0, 0.5]]), 0.5, np.ones(1))
    assert solve(m, method="value_iteration", pi0=np.array([0])).n_iter == 1
    assert solve(m, method="value_iteration").n_iter > 20
