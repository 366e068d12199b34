"""Hessians, k-th derivative tensors, the vanishing-gradient chain, finite-difference helpers."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP
from mdptheory.derivatives import (
    chain_derivatives,
    chain_gradient_norm,
    chain_hessian_norm,
    frobenius_norm,
    value_derivative_tensor,
    value_hessian,
)
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import vanishing_gradient_chain
from mdptheory.finite_diff import (
    central_difference,
    complex_step,
    probs_jacobian_complex_step,
    value_hessian_fd,
)
from mdptheory.gradients import value_gradient
from mdptheory.policies import Direct, EnergyPolicy, LogLinear, LogRational, NeuralSoftmax, TabularSoftmax
from mdptheory.strategies import mdps, rational_weights

SEEDS = st.integers(0, 2**32 - 1)


def _exact_direct_point(rng, S, A):
    w = rng.integers(1, 6, size=(S, A))
    return np.array([F(int(x), int(row.sum())) for row in w for x in row[:-1]], dtype=object)


def _float_mdp(rng, S, A, gamma):
    P = rng.random((S, A, S)) ** 2
    P /= P.sum(axis=2, keepdims=True)
    return MDP(P, rng.random((S, A)), gamma)


# ------------------------------------------------------------------ Hessian
@given(SEEDS)
def test_hessian_is_symmetric_and_matches_differences_of_the_gradient(seed):
    rng = np.random.default_rng(seed)
    S, A = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    mdp = _float_mdp(rng, S, A, float(rng.choice([0.5, 0.9])))
    phi = rng.normal(size=(S, A, 2))
    nn = NeuralSoftmax(phi, 2, seed=seed)
    cases = [(TabularSoftmax(S, A, temperature=0.8), rng.normal(size=S * A)),
             (LogLinear(phi), rng.normal(size=2)), (nn, nn.theta0),
             (Direct(S, A), Direct(S, A).from_policy(rng.dirichlet(np.ones(A), size=S) * 0.8 + 0.2 / A))]
    for param, th in cases:
        H = value_hessian(mdp, param, th)
        assert H.shape == (param.n_params,) * 2
        np.testing.assert_allclose(H, H.T, atol=1e-12)
        fd = value_hessian_fd(mdp, param, th)
        scale = 1.0 / (1 - mdp.gamma) ** 3
        assert np.all(np.abs(H - fd.derivative) <= 10 * fd.error_estimate + 1e-11 * scale)


@given(mdps(exact=True, max_states=3, max_actions=3, reward_range=(0, 1), rho="random"), st.data())
def test_exact_softmax_hessian_structured_equals_dense_and_is_smooth(mdp, data):
    S, A = mdp.n_states, mdp.n_actions
    q = LogRational(data.draw(rational_weights(S, A)))
    H = value_hessian(mdp, TabularSoftmax(S, A), q)
    assert all(isinstance(x, F) for x in H.flat)
    assert (H == H.T).all()
    assert (H == value_hessian(mdp, EnergyPolicy(S, A), q)).all()  # dense generic route
    # statement D4: V(rho) is 8/(1-gamma)^3-smooth for rewards in [0, 1]; ||H||_2 <= ||H||_F
    beta = 8 / (1 - mdp.gamma) ** 3
    assert np.linalg.norm(H.astype(float), 2) <= float(beta) * (1 + 1e-9)


@given(mdps(exact=True, max_states=3, min_actions=2, max_actions=3, reward_range=(-1, 1)), SEEDS)
def test_direct_tensors_agree_with_gradient_and_hessian_exactly(mdp, seed):
    rng = np.random.default_rng(seed)
    S, A = mdp.n_states, mdp.n_actions
    d = Direct(S, A)
    th = _exact_direct_point(rng, S, A)
    g = value_gradient(mdp, d, th)
    assert (value_derivative_tensor(mdp, d, th, 1) == g).all()
    H = value_hessian(mdp, d, th)
    T2 = value_derivative_tensor(mdp, d, th, 2)
    assert (T2 == H).all()
    if d.n_params <= 4:
        T3 = value_derivative_tensor(mdp, d, th, 3)
        for perm in [(1, 0, 2), (0, 2, 1), (2, 1, 0)]:
            assert (T3 == np.transpose(T3, perm)).all()


def test_direct_third_derivative_equals_symbolic_differentiation():
    # V(s0)(theta + t h) as a sympy rational function of t, differentiated 3 times at t = 0
    m = MDP([[[F(1, 2), F(1, 2)], [0, 1]], [[1, 0], [F(1, 3), F(2, 3)]]], [[1, 0], [F(1, 2), 2]], F(3, 4), [1, 0])
    d = Direct(2, 2)
    th = np.array([F(1, 3), F(2, 5)], dtype=object)
    h = [F(1), F(-2)]
    t = sp.symbols("t")
    pi = [[sp.Rational(1, 3) + t * h[0], 1 - sp.Rational(1, 3) - t * h[0]],
          [sp.Rational(2, 5) + t * h[1], 1 - sp.Rational(2, 5) - t * h[1]]]
    P = [[[sp.Rational(x.numerator, x.denominator) for x in row] for row in Ps] for Ps in m.P]
    Ppi = sp.Matrix(2, 2, lambda s, u: sum(pi[s][a] * P[s][a][u] for a in range(2)))
    rpi = sp.Matrix(2, 1, lambda s, _: sum(pi[s][a] * sp.Rational(m.r[s, a].numerator, m.r[s, a].denominator)
                                           for a in range(2)))
    V = (sp.eye(2) - sp.Rational(3, 4) * Ppi).LUsolve(rpi)[0]
    d3 = sp.diff(V, t, 3).subs(t, 0)
    T3 = value_derivative_tensor(m, d, th, 3)
    contracted = sum(T3[i, j, k] * h[i] * h[j] * h[k] for i in range(2) for j in range(2) for k in range(2))
    assert sp.Rational(contracted.numerator, contracted.denominator) == sp.nsimplify(d3)


def test_derivative_tensor_rejects_non_affine_and_bad_orders():
    m = MDP([[[F(1)]]], [[F(0)]], F(1, 2))
    m2 = MDP([[[F(1)], [F(1)]]], [[F(0), F(1)]], F(1, 2))
    with pytest.raises(InvalidParameterError, match="affine"):
        value_derivative_tensor(m2, TabularSoftmax(1, 2), LogRational([1, 1]), 2)
    with pytest.raises(InvalidParameterError, match="order"):
        value_derivative_tensor(m, Direct(1, 1), [], 0)


# ------------------------------------------------------------------ the chain of Prop. 10.1
@pytest.mark.parametrize("back_move", ["left", "reset"])
@pytest.mark.parametrize("H", [1, 3, 5])
def test_chain_routines_equal_generic_exact_derivatives(back_move, H):
    rng = np.random.default_rng(H)
    N = H + 2
    mdp = vanishing_gradient_chain(H, back_move=back_move)
    p = [F(int(x), 24) for x in rng.integers(1, 6, size=N)]
    th = []
    for s in range(N):  # arbitrary a2, a3 parameters: they must not matter
        th += [p[s], F(int(rng.integers(0, 6)), 24), F(int(rng.integers(0, 6)), 24)]
    d = Direct(N, 4)
    g, Hs = value_gradient(mdp, d, th), value_hessian(mdp, d, th)
    gc, hc = chain_derivatives(H, p, back_move=back_move)
    assert (g[0::3] == gc).all() and (g[1::3] == 0).all() and (g[2::3] == 0).all()
    assert (Hs[0::3, 0::3] == hc).all()
    assert (Hs[1::3] == 0).all() and (Hs[2::3] == 0).all() and (Hs[:, 1::3] == 0).all()
    assert chain_gradient_norm(H, p, back_move=back_move).squared_norm == frobenius_norm(g, squared=True)
    ex = chain_hessian_norm(H, p, back_move=back_move, prec=None)
    assert ex.squared_norm == frobenius_norm(Hs, squared=True)
    ball = chain_hessian_norm(H, p, back_move=back_move, prec=128)
    from flint import arb, ctx, fmpq

    old = ctx.prec
    ctx.prec = 512
    try:
        q = ex.squared_norm
        assert ball.squared_norm.overlaps(arb(fmpq(q.numerator, q.denominator)))
    finally:
        ctx.prec = old
    if H == 1:  # third derivatives vanish off the a1 coordinates too
        T3 = value_derivative_tensor(mdp, d, th, 3)
        mask = np.zeros(d.n_params, dtype=bool)
        mask[0::3] = True
        assert all(x == 0 for x in T3[~mask].flat)


def test_chain_gradient_bound_in_the_stated_range():
    res = chain_gradient_norm(562, F(1, 5), prec=256)
    assert res.in_stated_range and res.below_bound is True
    assert res.mode == "ball" and res.norm.upper() < res.bound.lower()
    exact = chain_gradient_norm(562, F(1, 5))
    assert exact.mode == "exact" and isinstance(exact.squared_norm, F)
    assert exact.below_bound is True
    # H = 40 lies outside the stated range (k = 1 needs H >= 562)
    assert not chain_gradient_norm(40, F(1, 5), prec=128).in_stated_range
    with pytest.raises(InvalidParameterError, match=r"theta_a1\[0\]"):
        chain_gradient_norm(5, F(5, 4))
    with pytest.raises(InvalidParameterError, match="back_move"):
        chain_gradient_norm(5, F(1, 5), back_move="up")


def test_chain_hessian_certified_at_moderate_H_matches_exact():
    ex = chain_hessian_norm(30, "1/5", back_move="reset", prec=None)
    ball = chain_hessian_norm(30, "1/5", back_move="reset", prec=256)
    from flint import arb, ctx, fmpq

    old = ctx.prec
    ctx.prec = 512
    try:
        q = ex.squared_norm
        assert ball.squared_norm.overlaps(arb(fmpq(q.numerator, q.denominator)))
    finally:
        ctx.prec = old
    assert not ball.in_stated_range and ball.below_bound is True


# ------------------------------------------------------------------ norms and finite differences
def test_frobenius_norm_fields():
    T = np.array([[F(3), F(0)], [F(0), F(4)]], dtype=object)
    assert frobenius_norm(T, squared=True) == 25
    assert frobenius_norm(T) == 5.0
    assert frobenius_norm(T, prec=64).contains(5)
    assert frobenius_norm(np.array([3.0, 4.0])) == 5.0
    tiny = np.array([F(1, 10**400)], dtype=object)
    assert frobenius_norm(tiny, squared=True) == F(1, 10**800)
    assert frobenius_norm(tiny, prec=64) > 0


def test_finite_difference_error_estimates_cover_the_error():
    x = np.array([0.3, -1.2])

    def f(v):
        return np.exp(v[0]) * np.sin(v[1]) if np.iscomplexobj(v) else math.exp(v[0]) * math.sin(v[1])

    exact = np.array([math.exp(0.3) * math.sin(-1.2), math.exp(0.3) * math.cos(-1.2)])
    for res in (central_difference(f, x), central_difference(f, x, richardson=False)):
        assert np.all(np.abs(res.derivative - exact) <= res.error_estimate)
    cs = complex_step(lambda v: np.exp(v[0]) * np.sin(v[1]), x)
    assert np.all(np.abs(cs.derivative - exact) <= cs.error_estimate + 1e-300)
    with pytest.raises(InvalidParameterError, match="complex"):
        probs_jacobian_complex_step(Direct(1, 2), [0.5])


def _arb_of(q):
    from flint import arb, fmpq

    q = F(q)
    return arb(fmpq(q.numerator, q.denominator))


@pytest.mark.parametrize("back_move", ["left", "reset"])
@pytest.mark.parametrize("H, theta", [(1, F(1, 5)), (2, F(0)), (3, F(1)), (9, F(3, 20)), (23, F(3, 20)),
                                      (12, [F(k % 5, 7 + k) for k in range(14)]),
                                      (12, [F(k % 5 + 1, 7 + k) for k in range(14)])])
@pytest.mark.parametrize("route", ["_chain_hessian_sq_linear", "_chain_hessian_sq_ball"])
def test_chain_hessian_ball_route_encloses_the_exact_squared_norm(back_move, H, theta, route):
    """Both ball routes of chain_hessian_norm (the O(N) semiseparable one; the O(N^2) one: a Thomas sweep
    on diag(c), upper-triangle sums) enclose the exact squared Frobenius norm of _chain_core's rational
    Hessian, and their gradients the exact gradient; at low precision too (wide balls must still
    contain the truth)."""
    from flint import ctx

    from mdptheory import derivatives as dv

    fn = getattr(dv, route)

    _, N, p, R, L, gamma = dv._chain_inputs(H, theta, back_move)
    exact = dv.chain_derivatives(H, theta, back_move=back_move, order=2)
    sq_exact = sum((x * x for x in exact[1].reshape(-1)), F(0))
    old = ctx.prec
    try:
        for prec in (30, 96):
            ctx.prec = prec
            fast = fn(N, p, R, L, gamma, _arb_of)
            if all(0 < x < 1 for x in p):  # no vanishing generator: the route must not decline
                assert fast is not None
            if fast is None:  # declined (a zero pivot or generator, p = 0 or 1): the next route takes over
                continue
            grad, sq = fast
            assert sq.contains(_arb_of(sq_exact))
            assert all(g.contains(_arb_of(x)) for g, x in zip(grad, exact[0]))
            # and the general ball route's sum of squares encloses the same number: the balls overlap
            _, hess = dv._chain_core(N, p, R, L, gamma, _arb_of, 2)
            assert sq.overlaps(sum((x * x for x in hess.reshape(-1)), _arb_of(0)))
    finally:
        ctx.prec = old


@pytest.mark.parametrize("back_move", ["left", "reset"])
def test_chain_hessian_ball_route_overlaps_the_general_route_at_large_H(back_move):
    """At a horizon of the statement's range (H = 900, where exact rationals are too slow) the certified
    norm overlaps the general route's (every Hessian entry formed and squared) and the O(N^2) ball
    route's, and lies below the bound (1/3)^(H/4)."""
    from flint import arb, ctx

    from mdptheory import derivatives as dv

    H, theta = 900, F(24, 100)
    res = dv.chain_hessian_norm(H, theta, back_move=back_move)
    assert res.mode == "ball" and res.below_bound is True
    _, N, p, R, L, gamma = dv._chain_inputs(H, theta, back_move)
    old = ctx.prec
    ctx.prec = res.prec
    try:
        _, hess = dv._chain_core(N, p, R, L, gamma, _arb_of, 2)
        sq = arb(0)
        for x in hess.reshape(-1):
            sq += x * x
        assert res.squared_norm.overlaps(sq)
        assert sq.sqrt().upper() < res.bound.lower()
        # the O(N) route is the one taken, and it overlaps the O(N^2) ball route
        lin = dv._chain_hessian_sq_linear(N, p, R, L, gamma, _arb_of)
        assert lin is not None and lin[1].overlaps(dv._chain_hessian_sq_ball(N, p, R, L, gamma, _arb_of)[1])
        assert lin[1].overlaps(res.squared_norm)
    finally:
        ctx.prec = old


@pytest.mark.parametrize("back_move", ["left", "reset"])
@pytest.mark.parametrize("H, theta", [(1, F(1, 5)), (2, F(0)), (3, F(1)), (17, F(7, 100)),
                                      (12, [F(k % 5, 7 + k) for k in range(14)])])
def test_chain_gradient_integer_route_is_the_rational_sum_of_squares(back_move, H, theta):
    """The fraction-free integer route of the exact gradient norm gives the same rational as summing
    the squares of _chain_core's exact gradient."""
    from flint import fmpq

    from mdptheory import derivatives as dv

    _, N, p, R, L, gamma = dv._chain_inputs(H, theta, back_move)

    def num(x):
        x = F(x)
        return fmpq(x.numerator, x.denominator)

    grad, _ = dv._chain_core(N, p, R, L, gamma, num, 1)
    expected = sum((x * x for x in grad), fmpq(0))
    assert dv._chain_gradient_sq_exact(N, p, R, L, H) == expected
