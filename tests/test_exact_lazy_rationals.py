"""Exact Q and advantage kept over a common denominator and reduced when read.

The lazily reduced entries must be indistinguishable from the reduced
Fractions: compared here with Q and A computed independently from their
definitions (``r + gamma P V`` and ``Q - V`` in Fraction arithmetic), and
checked for lowest terms, hashing, ordering, copying and pickling.
"""

import copy
import math
import pickle
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import evaluate
from mdptheory.evaluation._rationals import _LazyFraction
from mdptheory.strategies import mdp_and_policy


@given(mdp_and_policy(exact=True, max_states=5, reward_range=(-3, 3)))
def test_lazy_Q_and_advantage_equal_the_reduced_definitions(mp):
    mdp, pi = mp
    ev = evaluate(mdp, pi)
    S, A = mdp.n_states, mdp.n_actions
    V = [Fraction(x) for x in ev.V]  # plain Fractions
    for s in range(S):
        for a in range(A):
            q = mdp.r[s, a] + mdp.gamma * sum((mdp.P[s, a, t] * V[t] for t in range(S)), Fraction(0))
            adv = q - V[s]
            for got, want in ((ev.Q[s, a], q), (ev.advantage[s, a], adv)):
                assert isinstance(got, Fraction)
                assert got == want and want == got
                assert hash(got) == hash(want)
                assert (got.numerator, got.denominator) == (want.numerator, want.denominator)
                assert math.gcd(got.numerator, got.denominator) == 1 and got.denominator > 0
                assert str(got) == str(want) and repr(got) == repr(want)
                assert float(got) == float(want)


@given(st.integers(-10**30, 10**30), st.integers(1, 10**30), st.integers(-10**6, 10**6), st.integers(1, 10**6))
def test_lazy_fraction_behaves_as_its_reduced_value(n, d, m, k):
    x, want, other = _LazyFraction(n, d), Fraction(n, d), Fraction(m, k)
    assert x == want and hash(x) == hash(want)
    assert (x < other) == (want < other) and (x >= other) == (want >= other)
    for op in (lambda u, v: u + v, lambda u, v: u - v, lambda u, v: u * v):
        assert op(_LazyFraction(n, d), other) == op(want, other)
        assert op(other, _LazyFraction(n, d)) == op(other, want)
    for clone in (pickle.loads(pickle.dumps(_LazyFraction(n, d))), copy.copy(_LazyFraction(n, d)),
                  copy.deepcopy(_LazyFraction(n, d))):
        assert type(clone) is Fraction and clone == want
    arr = np.array([_LazyFraction(n, d), _LazyFraction(2 * n, 2 * d)], dtype=object)
    assert arr.sum() == 2 * want and (arr == want).all()
    assert pickle.loads(pickle.dumps(arr)).tolist() == [want, want]


def test_pickled_exact_evaluation_keeps_Q_and_advantage():
    from mdptheory import MDP

    m = MDP.exact([[["1/3", "2/3"], [1, 0]], [[0, 1], ["1/2", "1/2"]]], [["1/2", 0], [1, "-1/4"]], "9/10")
    pi = np.array([[Fraction(1, 2)] * 2, [Fraction(1, 3), Fraction(2, 3)]], dtype=object)
    ev = evaluate(m, pi)
    Q, adv = pickle.loads(pickle.dumps((ev.Q, ev.advantage)))
    assert all(type(x) is Fraction for x in Q.flat) and (Q == ev.Q).all() and (adv == ev.advantage).all()


# ------------------------------------------------------------------ exact gradients
def _plain(a):
    return np.array([Fraction(x) for x in np.asarray(a, dtype=object).reshape(-1)],
                    dtype=object).reshape(np.shape(a))


def _canonical(g):
    return all(isinstance(x, Fraction) and x.denominator > 0 and math.gcd(x.numerator, x.denominator) == 1
               for x in g.flat)


@given(mdp_and_policy(exact=True, max_states=4, reward_range=(-2, 2)), st.integers(0, 2**32 - 1))
def test_exact_gradients_equal_plain_fraction_definitions(mp, seed):
    from mdptheory.gradients import pg_advantage_form, pg_q_form, softmax_gradient_closed_form, value_gradient
    from mdptheory.policies import Direct, LogLinear, LogRational, TabularSoftmax

    mdp, _ = mp
    S, A = mdp.n_states, mdp.n_actions
    rng = np.random.default_rng(seed)
    g_, P, r = mdp.gamma, mdp.P, mdp.r
    w = rng.integers(1, 6, size=(S, A))
    cases = [(TabularSoftmax(S, A), LogRational(w)),
             (LogLinear(rng.integers(-2, 3, size=(S, A, 2))), LogRational([Fraction(int(x), 3) for x in w[0, :2]]
                                                                          if A >= 2 else [1, 2])),
             (Direct(S, A), np.array([Fraction(int(x), int(row.sum())) for row in w for x in row[:-1]],
                                     dtype=object))]
    for param, th in cases:
        pi = _plain(param.probs(th))
        # V, d, Q, A from their definitions in plain Fractions (no FLINT, no lazy entries)
        from mdptheory.evaluation import evaluate as ev_
        V = _plain(ev_(mdp, pi).V)
        d = _plain(ev_(mdp, pi).visitation())
        Q = _plain(r) + g_ * np.array([[sum((P[s, a, t] * V[t] for t in range(S)), Fraction(0))
                                        for a in range(A)] for s in range(S)], dtype=object)
        Adv = Q - V[:, None]
        want_vg = _plain(param.jacobian_vjp(th, _plain((d / (1 - g_))[:, None] * Q)))
        got = value_gradient(mdp, param, th)
        assert _canonical(got) and (got == want_vg).all()
        for form, X in ((pg_q_form, Q), (pg_advantage_form, Adv)):
            want = _plain(param.score_vjp(th, _plain(d[:, None] * pi * X))) / (1 - g_)
            got = form(mdp, param, th)
            assert _canonical(got) and (got == want).all() and (got == want_vg).all()
        if isinstance(param, TabularSoftmax):
            got = softmax_gradient_closed_form(mdp, param, th)
            assert _canonical(got) and (got == (d[:, None] * pi * Adv / (1 - g_)).reshape(-1)).all()
