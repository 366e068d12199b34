"""Symbolic mode: identities proven for all parameter values, and agreement with the exact evaluator."""

import subprocess
import sys
import time
from fractions import Fraction as F

import numpy as np
import pytest

sympy = pytest.importorskip("sympy")

from mdptheory import MDP, evaluate  # noqa: E402
from mdptheory.exceptions import InvalidParameterError  # noqa: E402
from mdptheory.gradients import value_gradient  # noqa: E402
from mdptheory.policies import LogRational, TabularSoftmax  # noqa: E402
from mdptheory.symbolic import (  # noqa: E402
    is_zero,
    symbolic_evaluation,
    symbolic_fisher,
    symbolic_gradient,
    symbolic_mdp,
    symbolic_score,
    symbolic_softmax_gradient,
)


def rational_mdp():
    P = [[[F(1, 2), F(1, 2)], [F(1, 5), F(4, 5)]], [[1, 0], [F(1, 3), F(2, 3)]]]
    return MDP(P, [[1, 0], [F(1, 2), F(1, 4)]], F(2, 3), rho=[F(1, 4), F(3, 4)])


def Q(x):
    return sympy.Rational(x.numerator, x.denominator)


def test_lemma_10_2_proven_fully_symbolic_2x2():
    """d V / d theta = (1-gamma)^{-1} d pi A for all z > 0, all r, gamma and P (S = A = 2)."""
    t0 = time.perf_counter()
    m = symbolic_mdp(2, 2, symbolic_P=True, symbolic_r=True, symbolic_gamma=True)
    grad = symbolic_gradient(m)
    closed = symbolic_softmax_gradient(m)
    for s in range(2):
        for a in range(2):
            assert sympy.simplify(grad[s, a] - closed[s, a]) == 0
            assert is_zero(grad[s, a] - closed[s, a]) is True
    assert time.perf_counter() - t0 < 20
    # a wrong statement is refuted: the pi-weighting dropped
    ev = symbolic_evaluation(m)
    wrong = ev.d[0] * ev.A[0, 0] / (1 - m.gamma)
    assert is_zero(grad[0, 0] - wrong) is False


def test_symbolic_values_match_exact_evaluation():
    mdp = rational_mdp()
    m = symbolic_mdp(2, 2, symbolic_r=False, symbolic_gamma=False, mdp=mdp)
    q = [[F(1), F(3)], [F(2), F(5)]]
    point = {m.z[s, a]: Q(q[s][a]) for s in range(2) for a in range(2)}
    ev_s = symbolic_evaluation(m)
    param = TabularSoftmax(2, 2)
    theta = LogRational(q)
    ev = evaluate(mdp, param.probs(theta))
    for s in range(2):
        assert ev_s.V[s].xreplace(point) == Q(ev.V[s])
        assert ev_s.d[s].xreplace(point) == Q(ev.visitation()[s])
        for a in range(2):
            assert ev_s.Q[s, a].xreplace(point) == Q(ev.Q[s, a])
            assert ev_s.A[s, a].xreplace(point) == Q(ev.advantage[s, a])
    assert ev_s.value.xreplace(point) == Q(ev.value())
    grad = symbolic_gradient(m)
    g = value_gradient(mdp, param, theta)  # implicit differentiation, exact
    assert [grad[s, a].xreplace(point) for s in range(2) for a in range(2)] == [Q(x) for x in g]
    # theta-form: z = exp(theta) at theta = log q gives the same value
    th = {m.theta[s, a]: sympy.log(Q(q[s][a])) for s in range(2) for a in range(2)}
    assert sympy.nsimplify(m.to_theta(ev_s.V[0]).xreplace(th)) == Q(ev.V[0])


def test_symbolic_score_is_theory_d1():
    m = symbolic_mdp(2, 2)
    sc = symbolic_score(m)
    for s in range(2):
        for a in range(2):
            for t in range(2):
                for b in range(2):
                    expected = (int(s == t) * (int(a == b) - m.pi[t, b]))
                    assert is_zero(sc[s, a, t * 2 + b] - expected) is True


def test_symbolic_fisher_is_block_diagonal_softmax_form():
    m = symbolic_mdp(2, 2, symbolic_P=True)
    Fm = symbolic_fisher(m)
    ev = symbolic_evaluation(m)
    for s in range(2):
        for t in range(2):
            for a in range(2):
                for b in range(2):
                    if s == t:
                        expected = ev.d[s] * (int(a == b) * m.pi[s, a] - m.pi[s, a] * m.pi[s, b])
                    else:
                        expected = 0
                    assert is_zero(Fm[s * 2 + a, t * 2 + b] - expected) is True


def test_npg_closed_form_solves_fisher_system_symbolically():
    """Lemma 10.6: F w = grad V for w = (A - mean_a A)/(1-gamma), for all z, r, gamma."""
    m = symbolic_mdp(2, 2, mdp=rational_mdp())
    Fm = symbolic_fisher(m)
    ev = symbolic_evaluation(m)
    grad = symbolic_gradient(m).reshape(-1)
    w = [(ev.A[s, a] - (ev.A[s, 0] + ev.A[s, 1]) / 2) / (1 - m.gamma) for s in range(2) for a in range(2)]
    for k in range(4):
        lhs = sum(Fm[k, j] * w[j] for j in range(4))
        assert is_zero(lhs - grad[k]) is True


def test_is_zero_true_false_and_undecided():
    x, y = sympy.symbols("x y", positive=True)
    a = sympy.Symbol("a", real=True)
    assert is_zero((x**2 - y**2) / (x - y) - (x + y)) is True
    assert is_zero(x - y) is False
    assert is_zero(sympy.exp(a) - 1 - a) is False
    e = sympy.exp(a)
    assert is_zero(sympy.exp(2 * a) / (e + 1) - e + e / (e + 1)) is True
    assert is_zero(0) is True and is_zero(sympy.Rational(1, 3)) is False
    # zero at every sampled point, but the proof is cut off by the time-out: undecided, never True
    big = (x + y + 1) ** 12 - sympy.expand((x + y + 1) ** 12)
    assert is_zero(big, timeout=1e-6) is None
    assert is_zero(big, timeout=30) is True


def test_symbolic_mdp_validation():
    with pytest.raises(InvalidParameterError, match="S must be"):
        symbolic_mdp(9, 2)
    with pytest.raises(InvalidParameterError, match="expected"):
        symbolic_mdp(3, 2, mdp=rational_mdp())
    with pytest.raises(InvalidParameterError, match="exact"):
        symbolic_mdp(2, 2, mdp=rational_mdp().to_float())
    m = symbolic_mdp(3, 2, symbolic_P=True)
    assert all(sympy.simplify(sum(m.P[s, a]) - 1) == 0 for s in range(3) for a in range(2))


def test_importing_symbolic_does_not_import_sympy():
    code = "import sys, mdptheory.symbolic; sys.exit(1 if 'sympy' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_is_zero_samples_rational_functions_of_exponentials_at_rational_exponentials():
    """A rational function of e^a is sampled exactly at rational e^a; a plain a beside e^a is not."""
    from mdptheory.symbolic import _exp_to_symbols, _is_rational_in_own_symbols, _ring_numerator_is_zero

    a, b = sympy.symbols("a b", real=True)
    rat = 1 / (sympy.exp(a) + 1) - sympy.exp(b) / (sympy.exp(a + b) + sympy.exp(b))
    assert _is_rational_in_own_symbols(rat, _exp_to_symbols(rat))
    mixed = sympy.exp(a) - 1 - a
    assert not _is_rational_in_own_symbols(mixed, _exp_to_symbols(mixed))
    assert is_zero(rat) is True
    assert is_zero(1 / (sympy.exp(a) + 1) - 1 / (sympy.exp(a) + 2)) is False
    assert is_zero(mixed) is False
    # the ring route: None on other atoms, a proof or a refutation on rational functions
    x, y = sympy.symbols("x y")
    assert _ring_numerator_is_zero(sympy.exp(x) - 1) is None
    assert _ring_numerator_is_zero((x**2 - y**2) / (x - y) - (x + y)) is True
    assert _ring_numerator_is_zero(x / (x + y) - 1) is False
