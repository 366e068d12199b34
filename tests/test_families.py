"""Tests of mdptheory.families: structure, textbook values, closed forms,
counterexample witnesses, argument validation and scale."""

import math
import time
from fractions import Fraction as F

import numpy as np
import pytest

from mdptheory import MDP, evaluate, uniform_policy
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import (bandit, bandit_mei, chain, forest, garnet, gridworld, gridworld_5x5,
                                nonconcave_tree, random_mdp, vanishing_gradient_chain)


def successors(m):
    return (m.P_dense() != 0).sum(axis=2)


# ------------------------------------------------------------ random families
def test_random_mdp_structure_and_seed():
    for exact in (False, True):
        a = random_mdp(7, 3, density=0.4, seed=5, exact=exact)
        b = random_mdp(7, 3, density=0.4, seed=5, exact=exact)
        assert a == b and a.is_exact == exact
        assert np.all(successors(a) == round(0.4 * 7))
    assert random_mdp(7, 3, seed=1) != random_mdp(7, 3, seed=2)
    m = random_mdp(5, 2, density=1.0, seed=0)
    assert np.all(successors(m) == 5)
    assert random_mdp(5, 2, density=1e-9, seed=0).P_dense().max() == 1.0  # one successor
    e = random_mdp(4, 2, seed=3, exact=True, gamma=0.95)
    assert e.gamma == F(19, 20)
    assert all(isinstance(x, F) and 0 <= x <= 1 for x in e.r.flat)


def test_garnet_branching_sparse_and_dense_agree():
    d = garnet(50, 3, 4, seed=7)
    s = garnet(50, 3, 4, seed=7, sparse=True)
    assert np.all(successors(d) == 4)
    assert np.array_equal(d.P_dense(), s.P_dense()) and np.array_equal(d.r, s.r)
    e = garnet(6, 2, 2, seed=1, exact=True)
    assert np.all(successors(e) == 2)
    # exact rows sum to one exactly (the MDP checks it; check independently too)
    assert all(sum(row, F(0)) == 1 for row in e.P.reshape(-1, 6))


def test_distinct_successors_rejection_path_is_uniform():
    # large sparse path: rows are distinct k-subsets; columns are hit uniformly
    m = garnet(20000, 1, 8, seed=3, sparse=True)
    C = m.P.tocsr()
    assert np.all(np.diff(C.indptr) == 8)
    counts = np.bincount(C.indices, minlength=20000)
    # each column is hit Binomial(20000, 8/20000) ~ mean 8 times
    assert abs(counts.mean() - 8) < 1e-12 and counts.max() < 40


def test_large_sparse_constructors_scale():
    # array construction: 10^6 states in seconds (generous limits for shared CI machines)
    for build, S in ((lambda: gridworld(1000, 1000, slip=0.1, sparse=True), 10 ** 6),
                     (lambda: garnet(10 ** 5, 2, 3, seed=0, sparse=True), 10 ** 5),
                     (lambda: random_mdp(10 ** 5, 2, density=3e-5, seed=0, sparse=True), 10 ** 5)):
        t = time.perf_counter()
        m = build()
        assert time.perf_counter() - t < 20
        assert m.n_states == S and m.is_sparse
        assert m.P.nnz <= 4 * m.n_states * m.n_actions


# ------------------------------------------------------------ textbook MDPs
def test_chain_values_and_slip():
    g = F(9, 10)
    m = chain(4, exact=True)
    right = np.zeros((4, 2), dtype=object)
    right[:, 0], right[:, 1] = F(0), F(1)
    V = evaluate(m, right).V
    assert V.tolist() == [g ** (3 - s) / (1 - g) for s in range(4)]
    ms = chain(3, slip=F(1, 4), exact=True)
    assert ms.P[1, 1].tolist() == [F(1, 4), 0, F(3, 4)]
    assert ms.P[0, 0].tolist() == [F(3, 4), F(1, 4), 0]  # "left" at the wall stays put
    assert chain(3, slip=0.25).P[0, 0].tolist() == [0.75, 0.25, 0.0]


def test_gridworld_5x5_book_values():
    m = gridworld_5x5()
    V = evaluate(m, uniform_policy(m)).V.reshape(5, 5)
    book = [[3.3, 8.8, 4.4, 5.3, 1.5], [1.5, 3.0, 2.3, 1.9, 0.5], [0.1, 0.7, 0.7, 0.4, -0.4],
            [-1.0, -0.4, -0.4, -0.6, -1.2], [-1.9, -1.3, -1.2, -1.4, -2.0]]
    assert np.array_equal(np.round(V, 1), np.array(book))
    assert round(V[0, 1], 1) == 8.8 and round(V[0, 3], 1) == 5.3
    me = gridworld_5x5(exact=True)
    assert me.gamma == F(9, 10) and me.is_exact
    Ve = evaluate(me, uniform_policy(me)).V
    assert np.max(np.abs(np.array(Ve, dtype=float) - V.ravel())) < 1e-12


def test_gridworld_closed_form_and_representations():
    g = F(1, 2)
    m = gridworld(3, 4, gamma=g, goal=(1, 2), exact=True)
    from mdptheory.optimal import solve

    V = solve(m).V
    for s in range(12):
        d = abs(s // 4 - 1) + abs(s % 4 - 2)
        assert V[s] == g ** d / (1 - g)
    a = gridworld(4, 5, slip=0.2, goal=7)
    b = gridworld(4, 5, slip=0.2, goal=7, sparse=True)
    c = gridworld(4, 5, slip=F(1, 5), goal=7, exact=True)
    assert np.allclose(a.P_dense(), b.P_dense(), atol=1e-15)
    assert np.allclose(a.P_dense(), c.to_float().P_dense(), atol=1e-15)
    # slip: intended move gets 1 - slip + slip/4; an interior cell has 4 distinct successors
    s = 1 * 5 + 1
    assert math.isclose(a.P[s, 1, s + 1], 0.85) and math.isclose(a.P[s, 1, s - 5], 0.05)
    assert a.P[7, :, 7].tolist() == [1.0] * 4  # goal absorbing


def test_forest_matches_pymdptoolbox_layout():
    m = forest()
    # pymdptoolbox's forest(): P[0] (wait) and P[1] (cut), R
    P_wait = np.array([[0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.1, 0.0, 0.9]])
    P_cut = np.array([[1.0, 0, 0], [1.0, 0, 0], [1.0, 0, 0]])
    R = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 2.0]])
    assert np.allclose(m.P[:, 0, :], P_wait) and np.allclose(m.P[:, 1, :], P_cut)
    assert np.array_equal(m.r, R)
    big = forest(6, r1=3, r2=5, p=0.2)
    assert np.allclose(np.diag(big.P[:, 0, :], 1), 0.8) and big.P[5, 0, 5] == pytest.approx(0.8)
    assert big.r[:, 1].tolist() == [0, 1, 1, 1, 1, 5] and big.r[:, 0].tolist() == [0, 0, 0, 0, 0, 3]
    assert np.array_equal(forest(50, sparse=True).P_dense(), forest(50).P_dense())
    e = forest(exact=True)
    assert e.gamma == F(9, 10) and e.P[0, 0, 0] == F(1, 10)


def test_bandits():
    b = bandit([1, "9/10", F(1, 10)])
    assert b.is_exact and b.n_states == 1 and b.n_actions == 3 and b.gamma == 0
    pi = np.array([[F(1, 2), F(1, 4), F(1, 4)]], dtype=object)
    # with one state and gamma = 0, V = r . pi
    assert evaluate(b, pi).V[0] == F(1, 2) + F(9, 40) + F(1, 40)
    assert not bandit([0.5, 1.0]).is_exact
    m = bandit_mei()
    assert m.r.tolist() == [[1, F(9, 10), F(1, 10)]]
    # statement B5 witness: pi = (9, 16, 25)/50 and (3, 4, 5)/12
    v = lambda w: evaluate(m, np.array([[F(x, sum(w)) for x in w]], dtype=object)).V[0]  # noqa: E731
    assert v((1, 1, 1)) == F(2, 3) and v((9, 16, 25)) == F(259, 500) and v((3, 4, 5)) == F(71, 120)
    assert F(2, 3) + F(259, 500) > 2 * F(71, 120)


def softmax_rational(weights):
    """softmax(log q) = q / sum(q): exact."""
    tot = sum(weights, F(0))
    return [F(w) / tot for w in weights]


def test_nonconcave_tree_witness():
    g = F(9, 10)
    m = nonconcave_tree()
    assert m.n_states == 5 and m.n_actions == 2 and m.rho.tolist() == [1, 0, 0, 0, 0]

    def value(s1_weights, s2_weights):
        pi = np.array([softmax_rational(s1_weights), softmax_rational(s2_weights)]
                      + [[F(1, 2), F(1, 2)]] * 3, dtype=object)
        return evaluate(m, pi).value()

    v1 = value((1, 3), (3, 1))        # theta1 = (0, log 3, log 3, 0)
    v2 = value((3, 1), (1, 3))        # theta2 = -theta1 (shifted by log 3 per state)
    vmid = value((1, 1), (1, 1))      # midpoint theta = 0
    assert (v1, v2, vmid) == (F(9, 16) * g, F(1, 16) * g, F(1, 4) * g)
    assert v1 + v2 > 2 * vmid
    assert nonconcave_tree(r=2, exact=False).r[1, 0] == 2.0


def test_vanishing_gradient_chain_structure():
    H = 4
    for back_move, back in (("left", [0, 0, 1, 2, 3, 4]), ("reset", [0] * 6)):
        m = vanishing_gradient_chain(H, back_move=back_move)
        assert m.n_states == H + 2 and m.n_actions == 4 and m.gamma == F(H, H + 1)
        nxt = np.argmax(np.array(m.P_dense() != 0, dtype=bool), axis=2)
        assert nxt[:, 0].tolist() == [1, 2, 3, 4, 5, 5]
        for a in (1, 2, 3):
            assert nxt[:, a].tolist() == back
        assert m.r[H + 1, 0] == 1 and sum(m.r.flat) == 1
        assert m.rho[0] == 1
    f = vanishing_gradient_chain(3, exact=False)
    assert not f.is_exact and f.gamma == 0.75


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("call, match", [
    (lambda: random_mdp(0, 2), "S must be >= 1"),
    (lambda: random_mdp(3, 2.5), "A must be an integer"),
    (lambda: random_mdp(3, 2, density=0), "density"),
    (lambda: random_mdp(3, 2, density=1.5), "density"),
    (lambda: random_mdp(3, 2, gamma=1.0), "gamma"),
    (lambda: random_mdp(3, 2, exact=True, sparse=True), "sparse"),
    (lambda: random_mdp(3, 2, exact="yes"), "exact must be True or False"),
    (lambda: random_mdp(3, 2, seed="abc"), "seed"),
    (lambda: garnet(3, 2, 4), "branching = 4 exceeds"),
    (lambda: garnet(3, 2, 0), "branching must be >= 1"),
    (lambda: chain(0), "n must be >= 1"),
    (lambda: chain(3, slip=1.5), "slip"),
    (lambda: gridworld(3, 3, goal=(3, 0)), "goal"),
    (lambda: gridworld(3, 3, goal=9), "goal"),
    (lambda: gridworld(3, 3, slip=-0.1), "slip"),
    (lambda: gridworld(3, 3, sparse=True, exact=True), "sparse"),
    (lambda: forest(1), "S must be >= 2"),
    (lambda: forest(3, p=2), "p = 2"),
    (lambda: forest(3, r1=float("nan")), "r1"),
    (lambda: bandit([]), "non-empty"),
    (lambda: bandit([[1, 2]]), "1-D"),
    (lambda: bandit([1, None]), r"rewards\[1\]"),
    (lambda: nonconcave_tree(r=0), "r = 0"),
    (lambda: vanishing_gradient_chain(0), "H must be >= 1"),
    (lambda: vanishing_gradient_chain(3, back_move="right"), "back_move"),
    (lambda: gridworld_5x5(gamma=-0.5), "gamma"),
])
def test_bad_arguments(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


def test_every_family_returns_valid_mdp():
    built = [random_mdp(3, 2, seed=0), garnet(4, 2, 2, seed=0, exact=True), chain(3),
             gridworld(2, 3), gridworld_5x5(), forest(), bandit([1, 2]), bandit_mei(),
             nonconcave_tree(), vanishing_gradient_chain(2)]
    for m in built:
        assert isinstance(m, MDP)
        P = m.P_dense()
        if m.is_exact:
            assert all(sum(row, F(0)) == 1 for row in P.reshape(-1, m.n_states))
        else:
            assert np.allclose(P.sum(axis=2), 1.0, atol=1e-12)


_STRUCTURED = [
    ("chain", lambda sp: __import__("mdptheory.families", fromlist=["x"]).chain(9, slip=0.3, gamma=0.8, sparse=sp)),
    ("chain1", lambda sp: __import__("mdptheory.families", fromlist=["x"]).chain(1, slip=0.3, sparse=sp)),
    ("forest", lambda sp: __import__("mdptheory.families", fromlist=["x"]).forest(6, r1=3, r2=1.5, p=0.37, sparse=sp)),
    ("forest_p0", lambda sp: __import__("mdptheory.families", fromlist=["x"]).forest(3, p=0.0, sparse=sp)),
    ("gridworld", lambda sp: __import__("mdptheory.families", fromlist=["x"]).gridworld(3, 4, slip=0.3, goal=5,
                                                                                        sparse=sp)),
    ("gridworld_row", lambda sp: __import__("mdptheory.families", fromlist=["x"]).gridworld(1, 5, slip=0.7,
                                                                                            sparse=sp)),
]


@pytest.mark.parametrize("name, build", _STRUCTURED, ids=[n for n, _ in _STRUCTURED])
def test_forced_sparse_families_equal_dense_entry_for_entry(name, build):
    dense, sparse = build(False), build(True)
    assert sparse.is_sparse and not dense.is_sparse
    assert build(None).is_sparse is False  # below the threshold the default is dense
    np.testing.assert_array_equal(sparse.P_dense(), dense.P)
    np.testing.assert_array_equal(sparse.r, dense.r)
    np.testing.assert_array_equal(sparse.rho, dense.rho)
    assert sparse.gamma == dense.gamma
    # every consumer sees the same MDP: evaluation, optimal solve, io round trip
    from mdptheory.io import load_json, load_npz, save_json, save_npz
    from mdptheory.optimal import solve

    pi = np.full((dense.n_states, dense.n_actions), 1.0 / dense.n_actions)
    np.testing.assert_allclose(evaluate(sparse, pi).V, evaluate(dense, pi).V, rtol=1e-12, atol=1e-12)
    s1, s2 = solve(sparse), solve(dense)
    np.testing.assert_array_equal(s1.actions, s2.actions)
    np.testing.assert_allclose(s1.V, s2.V, rtol=1e-12, atol=1e-12)
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for save, load, ext in ((save_npz, load_npz, "npz"), (save_json, load_json, "json")):
            path = os.path.join(tmp, "m." + ext)
            save(sparse, path)
            back = load(path)
            np.testing.assert_array_equal(back.P_dense(), dense.P)


def test_structured_families_go_sparse_above_the_threshold():
    from mdptheory.families import SPARSE_MIN_STATES, chain, forest, gridworld

    n = SPARSE_MIN_STATES
    assert forest(n).is_sparse and not forest(n - 1).is_sparse
    assert chain(n).is_sparse and not chain(n - 1).is_sparse
    assert gridworld(n // 10, 10).is_sparse and not gridworld(n // 10 - 1, 10).is_sparse
    assert not forest(n, sparse=False).is_sparse
    # exact instances stay dense whatever their size; exact and sparse=True still conflict
    assert not chain(n, exact=True).is_sparse
    with pytest.raises(InvalidParameterError, match="exact=True and sparse=True"):
        forest(5, exact=True, sparse=True)
    with pytest.raises(InvalidParameterError, match="True, False or None"):
        chain(5, sparse="yes")
    from mdptheory.optimal import solve

    big = forest(2000)
    assert big.P.nnz == 3 * 2000  # two per wait row, one per cut row
    sol = solve(big)
    assert sol.success and sol.error_bound < 1e-9
