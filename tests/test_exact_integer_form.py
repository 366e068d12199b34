r"""Exact evaluation in integer form, against an independent Fraction solve.

:func:`evaluate` in exact mode builds ``K = diag(c)(I - gamma P_pi)`` over
the integers (int64 when it fits, Python ints otherwise), divides factors
common to a row and its right-hand side out of both, solves ``K x = b`` and
``K^T z = u`` with FLINT, forms Q's numerators as one integer product and
validates an array of Fractions in one pass.  Every route must give the same
canonical rationals as plain Gaussian elimination in
:class:`~fractions.Fraction` arithmetic written here, on generated cases and
on the degenerate ones (one state, absorbing states, gamma = 0 and 999/1000,
zero rewards, deterministic policies, entries too long for int64).
"""

import copy
import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from flint import fmpz
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, InvalidPolicyError, evaluate
from mdptheory.evaluation._rationals import _coprime_fraction, _LazyFraction, _raw
from mdptheory.evaluation.exact import _exact_policy
from mdptheory.policies.tabular import as_policy
from mdptheory.strategies import distributions, mdp_and_policy


# ------------------------------------------------------------------ the independent reference
def _solve(M, b):
    """``M x = b`` by Gauss-Jordan elimination in Fractions (``M`` nonsingular, lists of Fractions)."""
    n = len(M)
    T = [list(row) + [rhs] for row, rhs in zip(M, b)]
    for j in range(n):
        p = next(i for i in range(j, n) if T[i][j] != 0)
        T[j], T[p] = T[p], T[j]
        piv = T[j][j]
        T[j] = [x / piv for x in T[j]]
        for i in range(n):
            if i != j and T[i][j] != 0:
                f = T[i][j]
                T[i] = [x - f * y for x, y in zip(T[i], T[j])]
    return [T[i][n] for i in range(n)]


def _reference(mdp, pi, mu=None):
    """V, Q, A, d (for ``mu``, default rho), r_pi and P_pi from their definitions, in Fractions."""
    S, A = mdp.n_states, mdp.n_actions
    g = Fraction(mdp.gamma)
    P = [[[Fraction(mdp.P[s, a, t]) for t in range(S)] for a in range(A)] for s in range(S)]
    r = [[Fraction(mdp.r[s, a]) for a in range(A)] for s in range(S)]
    p = [[Fraction(pi[s][a]) for a in range(A)] for s in range(S)]
    P_pi = [[sum((p[s][a] * P[s][a][t] for a in range(A)), Fraction(0)) for t in range(S)] for s in range(S)]
    r_pi = [sum((p[s][a] * r[s][a] for a in range(A)), Fraction(0)) for s in range(S)]
    M = [[(1 if s == t else 0) - g * P_pi[s][t] for t in range(S)] for s in range(S)]
    V = _solve(M, r_pi)
    Q = [[r[s][a] + g * sum((P[s][a][t] * V[t] for t in range(S)), Fraction(0)) for a in range(A)]
         for s in range(S)]
    adv = [[Q[s][a] - V[s] for a in range(A)] for s in range(S)]
    mu = [Fraction(x) for x in (mdp.rho if mu is None else mu)]
    y = _solve([[M[t][s] for t in range(S)] for s in range(S)], mu)
    d = [(1 - g) * x for x in y]
    return {"V": V, "Q": Q, "A": adv, "d": d, "r_pi": r_pi, "P_pi": P_pi}


def _canonical(values):
    """Flat list of ``(numerator, denominator)``, each entry checked to be a Fraction in lowest terms."""
    out = []
    for x in np.asarray(values, dtype=object).reshape(-1):
        assert isinstance(x, Fraction)
        n, d = x.numerator, x.denominator
        assert type(n) is int and type(d) is int and d > 0 and math.gcd(n, d) == 1
        out.append((n, d))
    return out


def _assert_matches_reference(mdp, pi, mu=None):
    ev = evaluate(mdp, pi, mode="exact")
    want = _reference(mdp, pi, mu)
    got = {"V": ev.V, "Q": ev.Q, "A": ev.advantage, "d": ev.visitation(mu), "r_pi": ev.r_pi, "P_pi": ev.P_pi}
    for key, value in got.items():
        assert _canonical(value) == _canonical(want[key]), key
    return ev


def _mdp(W, r, gamma, rho=None):
    """An exact MDP from nonnegative integer weights ``W[s, a, t]`` (rows normalised) and exact rewards."""
    W = np.asarray(W, dtype=object)
    P = np.frompyfunc(Fraction, 2, 1)(W, W.sum(axis=2, keepdims=True))
    return MDP(P, np.asarray(r, dtype=object), Fraction(gamma), rho)


def _frac_policy(weights):
    w = np.asarray(weights, dtype=object)
    return np.frompyfunc(Fraction, 2, 1)(w, w.sum(axis=1, keepdims=True))


# ------------------------------------------------------------------ generated cases
@given(mdp_and_policy(exact=True, max_states=5, max_actions=3, reward_range=(-3, 3)), st.data())
def test_generated_cases_match_the_fraction_reference(mp, data):
    mdp, pi = mp
    _assert_matches_reference(mdp, pi)
    mu = data.draw(distributions(mdp.n_states, exact=True))
    ev = evaluate(mdp, pi, mode="exact")
    assert _canonical(ev.visitation(mu)) == _canonical(_reference(mdp, pi, mu)["d"])


@given(mdp_and_policy(exact=True, max_states=4, max_actions=3, min_prob=Fraction(1, 4)))
def test_full_support_policies_match_the_reference(mp):
    _assert_matches_reference(*mp)


def test_the_bellman_identities_check_the_solve_rather_than_hold_by_construction(monkeypatch):
    # Q is r + gamma P V for every action (none taken from V = sum_a pi Q), so a wrong V shows up as
    # sum_a pi(a|s) A(s, a) != 0: the checkers' identity stays a test of the solve
    from flint import fmpq, fmpq_mat

    from mdptheory.evaluation.exact import _ExactFactor

    rng = np.random.default_rng(5)
    mdp = _mdp(rng.integers(1, 6, size=(4, 3, 4)), np.frompyfunc(Fraction, 2, 1)(
        rng.integers(-4, 5, size=(4, 3)), 5), Fraction(3, 4))
    pi = _frac_policy(rng.integers(1, 4, size=(4, 3)))
    ev = evaluate(mdp, pi)
    assert all(sum(pi[s] * ev.advantage[s]) == 0 for s in range(4))
    solve_int = _ExactFactor.solve_int
    monkeypatch.setattr(_ExactFactor, "solve_int", lambda self, b: solve_int(self, b) + fmpq_mat(4, 1, [fmpq(1, 10**6)] * 4))
    bad = evaluate(mdp, pi)
    assert all(sum(pi[s] * bad.advantage[s]) != 0 for s in range(4))


@given(mdp_and_policy(exact=True, max_states=4, max_actions=3, deterministic=True))
def test_deterministic_policies_match_the_reference(mp):
    _assert_matches_reference(*mp)


@given(mdp_and_policy(exact=True, max_states=3, max_actions=3), st.data())
def test_public_solves_match_the_reference(mp, data):
    mdp, pi = mp
    S = mdp.n_states
    ev = evaluate(mdp, pi, mode="exact")
    B = data.draw(st.lists(st.lists(st.fractions(-5, 5, max_denominator=7), min_size=2, max_size=2),
                           min_size=S, max_size=S))
    g = Fraction(mdp.gamma)
    P_pi = _reference(mdp, pi)["P_pi"]
    M = [[(1 if s == t else 0) - g * P_pi[s][t] for t in range(S)] for s in range(S)]
    MT = [[M[t][s] for t in range(S)] for s in range(S)]
    for col in range(2):
        b = [row[col] for row in B]
        X, Y = ev.solve(np.array(B, dtype=object)), ev.solve_T(np.array(B, dtype=object))
        assert _canonical(X[:, col]) == _canonical(_solve(M, b))
        assert _canonical(Y[:, col]) == _canonical(_solve(MT, b))


# ------------------------------------------------------------------ degenerate and edge cases
@pytest.mark.parametrize("A", [1, 3])
def test_one_state(A):
    mdp = _mdp(np.ones((1, A, 1), dtype=int), [[Fraction(k + 1, 3) for k in range(A)]], Fraction(999, 1000))
    for pi in (_frac_policy(np.ones((1, A), dtype=int)), _frac_policy([[1] + [0] * (A - 1)])):
        _assert_matches_reference(mdp, pi)


@pytest.mark.parametrize("gamma", [Fraction(0), Fraction(1, 2), Fraction(999, 1000)])
def test_absorbing_states_and_extreme_discounts(gamma):
    W = np.array([[[1, 0, 0], [0, 0, 1]],   # state 0: stay, or jump to the trap
                  [[2, 3, 5], [1, 1, 1]],
                  [[0, 0, 1], [0, 0, 1]]])  # state 2 absorbing
    r = [[Fraction(1, 10), Fraction(-7, 3)], [Fraction(0), Fraction(5, 2)], [Fraction(2), Fraction(2)]]
    mdp = _mdp(W, r, gamma, [Fraction(1, 2), Fraction(1, 3), Fraction(1, 6)])
    for w in ([[1, 1], [2, 3], [1, 0]], [[0, 1], [1, 0], [0, 1]], [[3, 1], [1, 4], [2, 5]]):
        _assert_matches_reference(mdp, _frac_policy(w))


def test_zero_rewards_give_zero_values_and_the_reference_visitation():
    rng = np.random.default_rng(3)
    mdp = _mdp(rng.integers(1, 10, size=(6, 3, 6)), np.full((6, 3), Fraction(0), dtype=object), Fraction(9, 10))
    ev = _assert_matches_reference(mdp, _frac_policy(rng.integers(1, 5, size=(6, 3))))
    assert all(x == 0 and x.denominator == 1 for x in np.concatenate([ev.V, ev.Q.ravel(), ev.advantage.ravel()]))


def test_entries_beyond_int64_take_the_python_integer_route():
    # denominators near 2^70: K does not fit int64, so it is formed with Python integers
    big = 2**70 + 1
    W = np.array([[[big - 1, 1], [1, big - 1]], [[3, big], [big, 5]]], dtype=object)
    r = [[Fraction(1, 3), Fraction(2, big)], [Fraction(-1), Fraction(big, 7)]]
    mdp = _mdp(W, r, Fraction(big - 2, big))
    for w in ([[1, 1], [1, 2]], [[1, 0], [0, 1]], [[big, 1], [1, big]]):
        _assert_matches_reference(mdp, _frac_policy(w))


def test_row_factors_common_to_K_and_b_are_divided_out():
    # the benchmark's kind of MDP (integer weights over row sums, rewards in tenths): K's rows share factors
    # with their right-hand sides; the evaluation must divide some out and still match the reference
    rng = np.random.default_rng(0)
    S, A = 12, 4
    W = rng.integers(1, 10, size=(S, A, S))
    r = np.frompyfunc(Fraction, 2, 1)(rng.integers(0, 10, size=(S, A)), 10)
    mdp = _mdp(W, r, Fraction(9, 10))
    pi = _frac_policy(np.ones((S, A), dtype=int))
    ev = _assert_matches_reference(mdp, pi)
    c, k = ev._factor._c_k
    assert k is not None and any(x != 1 for x in k)


# ------------------------------------------------------------------ the one-pass policy validation
def test_the_fast_policy_path_and_as_policy_agree():
    rng = np.random.default_rng(1)
    mdp = _mdp(rng.integers(1, 6, size=(4, 3, 4)), np.frompyfunc(Fraction, 2, 1)(
        rng.integers(-4, 5, size=(4, 3)), 7), Fraction(4, 5))
    pi = _frac_policy(rng.integers(0, 4, size=(4, 3)) + np.eye(4, 3, dtype=int))
    fast = _exact_policy(mdp, pi)
    assert fast is not None
    checked, (n, e) = fast
    assert not checked.flags.writeable and checked.tolist() == as_policy(mdp, pi, exact=True).tolist()
    for s in range(4):
        assert sum(n[s]) == e[s] and all(Fraction(n[s][a], e[s]) == pi[s, a] for a in range(3))
    # other inputs (lists, ints, Fraction subclasses) take as_policy; the evaluations are identical
    ev = evaluate(mdp, pi)
    for other in (pi.tolist(), np.array([[_LazyFraction(x.numerator * 2, x.denominator * 2) for x in row]
                                         for row in pi], dtype=object)):
        assert _exact_policy(mdp, other) is None
        ev2 = evaluate(mdp, other)
        for a, b in ((ev.V, ev2.V), (ev.Q, ev2.Q), (ev.advantage, ev2.advantage), (ev.visitation(), ev2.visitation())):
            assert _canonical(a) == _canonical(b)


@pytest.mark.parametrize("bad, message", [
    ([[Fraction(1, 2), Fraction(1, 2)], [Fraction(3, 2), Fraction(-1, 2)]], "is negative"),
    ([[Fraction(1, 2), Fraction(1, 3)], [Fraction(1), Fraction(0)]], "must sum to 1"),
])
def test_invalid_fraction_policies_are_reported_as_by_as_policy(bad, message):
    mdp = _mdp(np.ones((2, 2, 2), dtype=int), [[1, 0], [0, 1]], Fraction(1, 2))
    arr = np.array(bad, dtype=object)
    assert _exact_policy(mdp, arr) is None
    with pytest.raises(InvalidPolicyError, match=message) as got:
        evaluate(mdp, arr)
    with pytest.raises(InvalidPolicyError) as want:
        as_policy(mdp, arr, exact=True)
    assert str(got.value) == str(want.value)


def test_a_fraction_policy_of_the_wrong_shape_is_reported():
    mdp = _mdp(np.ones((2, 2, 2), dtype=int), [[1, 0], [0, 1]], Fraction(1, 2))
    arr = np.full((2, 3), Fraction(1, 3), dtype=object)
    assert _exact_policy(mdp, arr) is None
    with pytest.raises(InvalidPolicyError, match="shape"):
        evaluate(mdp, arr)


# ------------------------------------------------------------------ the rationals it returns
@given(st.integers(-10**40, 10**40), st.integers(1, 10**40))
def test_lazy_entries_with_flint_integers_behave_as_their_reduced_value(n, d):
    want = Fraction(n, d)
    x = _LazyFraction(fmpz(n), fmpz(d))
    assert _raw(_LazyFraction(fmpz(n), d)) == (n, d) and all(type(v) is int for v in _raw(x))
    assert x == want and hash(x) == hash(want) and str(x) == str(want)
    assert type(x.numerator) is int and type(x.denominator) is int
    assert (x.numerator, x.denominator) == (want.numerator, want.denominator)
    for clone in (pickle.loads(pickle.dumps(_LazyFraction(fmpz(n), fmpz(d)))), copy.copy(x), copy.deepcopy(x)):
        assert type(clone) is Fraction and clone == want


@given(st.fractions(), st.fractions())
def test_coprime_fractions_are_plain_fractions(a, b):
    x = _coprime_fraction(a.numerator, a.denominator)
    assert type(x) is Fraction and x == a and hash(x) == hash(a) and repr(x) == repr(a)
    assert x + b == a + b and x * b == a * b and (x < b) == (a < b)
    assert pickle.loads(pickle.dumps(x)) == a and copy.deepcopy(x) == a
