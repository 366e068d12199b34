"""Landscapes along paths (mdptheory.landscape): values, derivatives, the rational function
of a policy segment, and concavity/convexity checks on the known non-concave examples."""

from fractions import Fraction as F

import numpy as np
import pytest
import sympy

from mdptheory import MDP, evaluate
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import bandit_mei, forest, nonconcave_tree
from mdptheory.finite_diff import value_gradient_fd
from mdptheory.landscape import (
    PathLandscape,
    ShapeCheck,
    check_concavity,
    check_convexity,
    parameter_line,
    policy_segment,
)
from mdptheory.policies import Direct, TabularSoftmax, uniform_policy

GAMMA = F(9, 10)


def _tree_policy(p, q):
    """pi(a2|s1) = p, pi(a1|s2) = q on nonconcave_tree (other states: a1)."""
    return np.array([[1 - p, p], [q, 1 - q]] + [[F(1), F(0)]] * 3, dtype=object)


# ------------------------------------------------------------------ softmax lines (float)
def test_tree_softmax_line_is_not_concave():
    """AJKS Lemma 9.5: theta1 = (0, ln 3, ln 3, 0), theta2 = -theta1, midpoint 0."""
    m = nonconcave_tree()
    th1 = np.zeros(10)
    th1[1] = th1[2] = np.log(3)
    f = parameter_line(m, "softmax", th1, -2 * th1)
    assert not f.is_exact and f.kind == "parameter"
    for t, closed in ((0, F(9, 16)), (0.5, F(1, 4)), (1, F(1, 16))):
        assert f(t) == pytest.approx(float(GAMMA * closed), rel=1e-13)
    c = check_concavity(f)
    assert isinstance(c, ShapeCheck) and c.holds is False
    assert c.second_derivative > 0 and 0 <= c.violation_t <= 1
    ch = c.chord
    assert ch["f(t-h)"] + ch["f(t+h)"] - 2 * ch["f(t)"] == pytest.approx(ch["second_difference"])
    assert ch["second_difference"] > c.tolerance > 0
    # the Hessian quadratic form agrees with a finite difference of the values
    h = 1e-3
    fd = (f(0.3 - h) + f(0.3 + h) - 2 * f(0.3)) / h**2
    assert f.second_derivative(0.3) == pytest.approx(fd, rel=1e-5)


def test_bandit_softmax_line_is_not_concave():
    """Mei et al. 2020: theta = 0 -> 2/3, theta = (ln 9, ln 16, ln 25) -> 259/500, midpoint 71/120."""
    m = bandit_mei()
    u = np.log([9.0, 16.0, 25.0])
    f = parameter_line(m, TabularSoftmax(1, 3), np.zeros(3), u)
    assert [f(t) for t in (0, 0.5, 1)] == pytest.approx([2 / 3, 71 / 120, 259 / 500], rel=1e-14)
    assert check_concavity(f).holds is False
    # and the derivative is the gradient along u (independent route: finite differences of V)
    fd = value_gradient_fd(m.to_float(), TabularSoftmax(1, 3), 0.4 * u).derivative @ u
    assert f.derivative(0.4) == pytest.approx(fd, rel=1e-6)


def test_float_no_violation_is_not_a_proof():
    m = bandit_mei()
    f = parameter_line(m, "softmax", np.zeros(3), np.array([0.0, 0.0, -1.0]))  # a -> pi(a3) shrinks
    c = check_concavity(f, interval=(0.0, 0.2), n_grid=5)
    assert c.holds is None and c.violation_t is None


# ------------------------------------------------------------------ policy segments (exact)
def test_tree_direct_segment_is_an_exact_convex_parabola():
    m = nonconcave_tree()
    f = policy_segment(m, _tree_policy(F(3, 4), F(3, 4)), _tree_policy(F(1, 4), F(1, 4)))
    assert f.is_exact and f.is_affine and f.kind == "policy"
    t = sympy.Symbol("t", real=True)
    # pi(a2|s1) = pi(a1|s2) = 3/4 - t/2 along the segment: V = gamma (3/4 - t/2)^2
    assert sympy.simplify(f.symbolic(t) - sympy.Rational(9, 10) * (sympy.Rational(3, 4) - t / 2) ** 2) == 0
    for x in (F(0), F(1, 3), F(1, 2), F(5, 7), F(1)):
        assert f(x) == GAMMA * (F(3, 4) - x / 2) ** 2          # exact, through evaluate
        assert f.derivative(x) == -GAMMA * (F(3, 4) - x / 2)   # exact gradient . u
        assert f.second_derivative(x) == GAMMA / 2             # exact Hessian quadratic form
    c = check_concavity(f)
    assert c.holds is False and c.second_derivative == GAMMA / 2 and isinstance(c.violation_t, F)
    assert c.chord["second_difference"] > 0 and isinstance(c.chord["second_difference"], F)
    assert check_convexity(f).holds is True


def test_segment_on_the_tree_with_negative_curvature_is_concave():
    m = nonconcave_tree()
    # p = pi(a2|s1) = 1/4 + t/2, q = pi(a1|s2) = 3/4 - t/2: f = gamma p q has f'' = -gamma/2
    f = policy_segment(m, _tree_policy(F(1, 4), F(3, 4)), _tree_policy(F(3, 4), F(1, 4)))
    assert check_concavity(f).holds is True
    c = check_convexity(f)
    assert c.holds is False and c.second_derivative == -GAMMA / 2 and c.chord["second_difference"] < 0


def test_segment_whose_curvature_changes_sign_is_neither():
    # found by a search over small MDPs and printed by repr(mdp) (pasted back here)
    m = MDP.exact(P=[[["1/2", 0, "1/2"], [0, "1/3", "2/3"]], [[0, 1, 0], [0, "2/3", "1/3"]],
                     [[1, 0, 0], ["1/3", "1/3", "1/3"]]], r=[[1, -1], [1, 1], [2, 0]], gamma="9/10", rho=[1, 0, 0])
    f = policy_segment(m, [0, 1, 1], [1, 0, 0])
    t = sympy.Symbol("t", real=True)
    f2 = sympy.diff(f.symbolic(t), t, 2)
    assert f2.subs(t, 0) * f2.subs(t, 1) < 0  # f'' changes sign on [0, 1]
    conc, conv = check_concavity(f), check_convexity(f)
    assert conc.holds is False and conv.holds is False
    assert conc.second_derivative > 0 > conv.second_derivative
    assert conc.chord["second_difference"] > 0 > conv.chord["second_difference"]
    for res in (conc, conv):  # the chords recomputed by exact evaluation of the mixed policies
        ch = res.chord
        vals = [evaluate(m, f.policy(ch["t"] + k * ch["h"])).value() for k in (-1, 0, 1)]
        assert vals == [ch["f(t-h)"], ch["f(t)"], ch["f(t+h)"]]
    # on a sub-interval where f'' keeps one sign the check proves it
    root = [x for x in sympy.Poly(sympy.fraction(sympy.together(f2))[0], t).real_roots() if 0 <= x <= 1]
    assert len(root) == 1
    lo = F(0), F(int(sympy.floor(root[0] * 100)), 100)
    hi = F(int(sympy.ceiling(root[0] * 100)), 100), F(1)
    sign_lo = f2.subs(t, 0) > 0
    assert (check_convexity if sign_lo else check_concavity)(f, interval=lo).holds is True
    assert (check_concavity if sign_lo else check_convexity)(f, interval=hi).holds is True


def test_bandit_segment_is_linear():
    f = policy_segment(bandit_mei(), [[1, 0, 0]], [[0, 0, 1]])
    assert f.symbolic() == 1 - sympy.Rational(9, 10) * sympy.Symbol("t", real=True)
    assert check_concavity(f).holds is True and check_convexity(f).holds is True


def test_symbolic_function_matches_exact_values_and_derivatives_on_a_random_mdp():
    rng = np.random.default_rng(5)
    S, A = 3, 2
    w = rng.integers(1, 5, size=(S, A, S))
    P = np.array([[[F(int(x), int(row.sum())) for x in row] for row in ws] for ws in w], dtype=object)
    r = np.array([[F(int(x), 4) for x in row] for row in rng.integers(0, 5, size=(S, A))], dtype=object)
    m = MDP(P, r, F(3, 4), np.array([F(1, 2), F(1, 3), F(1, 6)], dtype=object))
    pi0 = uniform_policy(m)
    pi1 = np.array([[F(1), F(0)], [F(1, 5), F(4, 5)], [F(0), F(1)]], dtype=object)
    mu = np.array([F(1, 4), F(1, 4), F(1, 2)], dtype=object)
    f = policy_segment(m, pi0, pi1, mu=mu)
    t = sympy.Symbol("t", real=True)
    expr = f.symbolic(t)
    for x in (F(0), F(2, 7), F(1)):
        xs = sympy.Rational(x.numerator, x.denominator)
        assert expr.subs(t, xs) == sympy.Rational(str(f(x)))
        assert sympy.diff(expr, t).subs(t, xs) == sympy.Rational(str(f.derivative(x)))
        assert sympy.diff(expr, t, 2).subs(t, xs) == sympy.Rational(str(f.second_derivative(x)))
    # the value is V(mu) of the mixed policy
    mid = (pi0 + pi1) / 2
    assert f(F(1, 2)) == evaluate(m, mid).value(mu)


def test_direct_parameter_line_equals_the_policy_segment():
    m = nonconcave_tree()
    p0, p1 = _tree_policy(F(1, 3), F(1, 2)), _tree_policy(F(2, 3), F(1, 5))
    seg = policy_segment(m, p0, p1)
    th0 = p0[:, :-1].reshape(-1)
    line = parameter_line(m, Direct(5, 2), th0, p1[:, :-1].reshape(-1) - th0)
    assert line.is_exact
    for x in (F(0), F(1, 4), F(1)):
        assert line(x) == seg(x)
    assert sympy.simplify(line.symbolic() - seg.symbolic()) == 0


def test_float_t_on_an_exact_path_gives_floats_and_bad_arguments_raise():
    m = nonconcave_tree()
    f = policy_segment(m, _tree_policy(F(3, 4), F(3, 4)), _tree_policy(F(1, 4), F(1, 4)))
    assert isinstance(f(0.5), float) and f(0.5) == pytest.approx(float(f(F(1, 2))))
    assert isinstance(f.second_derivative(0.5), float)
    assert "PathLandscape(kind='policy'" in repr(f)
    with pytest.raises(InvalidParameterError, match="direction must have shape"):
        parameter_line(m, "softmax", np.zeros(10), np.zeros(3))
    with pytest.raises(InvalidParameterError, match="param"):
        parameter_line(m, 7, np.zeros(10), np.zeros(10))
    with pytest.raises(InvalidParameterError, match="symbolic"):
        parameter_line(m, "softmax", np.zeros(10), np.ones(10)).symbolic()
    with pytest.raises(InvalidParameterError, match="interval"):
        check_concavity(f, interval=(1, 0))
    with pytest.raises(InvalidParameterError, match="n_grid"):
        check_concavity(parameter_line(m, "softmax", np.zeros(10), np.ones(10)), n_grid=2)
    with pytest.raises(InvalidParameterError, match="landscape"):
        check_concavity("f")
    with pytest.raises(TypeError, match="three outcomes"):
        bool(check_convexity(f))
    assert isinstance(f, PathLandscape)
