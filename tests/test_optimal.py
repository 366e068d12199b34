"""Tests of mdptheory.optimal: exact references, invariants, agreement across
representations, and brute force over all deterministic policies."""

import itertools
import warnings
from fractions import Fraction as F

import numpy as np
import pytest

from mdptheory import MDP, evaluate, uniform_policy, deterministic_policy
from mdptheory.exceptions import ConvergenceWarning, InvalidParameterError
from mdptheory.families import (chain, forest, garnet, gridworld, gridworld_5x5, random_mdp,
                                vanishing_gradient_chain)
from mdptheory.optimal import OptimalSolution, bellman_optimality_residual, q_from_v, solve

FOREST_V_STAR = [F(6561, 250), F(7371, 250), F(8371, 250)]


def brute_force_v_star(mdp):
    """Pointwise max of V^pi over all A^S deterministic policies (exact)."""
    S, A = mdp.n_states, mdp.n_actions
    best = None
    for acts in itertools.product(range(A), repeat=S):
        V = evaluate(mdp, deterministic_policy(mdp, np.array(acts, dtype=np.int64))).V
        best = V.copy() if best is None else np.array([max(a, b) for a, b in zip(best, V)], dtype=object)
    return best


# ------------------------------------------------------------ exact reference
def test_forest_exact_reference():
    m = forest(S=3, r1=4, r2=2, p=0.1, gamma=F(9, 10), exact=True)
    sol = solve(m)
    assert isinstance(sol, OptimalSolution)
    assert sol.mode == "exact" and sol.success
    assert sol.V.tolist() == FOREST_V_STAR
    assert all(isinstance(v, F) for v in sol.V)
    assert sol.actions.tolist() == [0, 0, 0]  # wait everywhere
    assert sol.pi.tolist() == [[1, 0], [1, 0], [1, 0]]
    assert sol.bellman_residual == 0 and isinstance(sol.bellman_residual, F)
    assert sol.error_bound == 0


def test_forest_float_and_sparse_agree_with_exact():
    exact = np.array(FOREST_V_STAR, dtype=float)
    for m in (forest(), forest(sparse=True), forest(exact=True).to_float()):
        sol = solve(m)
        assert sol.mode == "float" and sol.success
        assert sol.actions.tolist() == [0, 0, 0]
        err = np.max(np.abs(sol.V - exact))
        assert err <= sol.error_bound
        assert sol.error_bound < 1e-12


def test_value_iteration_bound_holds_against_exact():
    m = forest(exact=True)
    for tol in (1e-2, 1e-6, 1e-10):
        vi = solve(m.to_float(), method="value_iteration", tol=tol)
        assert vi.success and vi.error_bound <= tol
        err = max(abs(F(float(v)) - w) for v, w in zip(vi.V, FOREST_V_STAR))
        assert err <= F(vi.error_bound)
    # exact value iteration: the certified bound is an exact rational
    vi = solve(m, method="value_iteration", tol=F(1, 1000))
    assert vi.mode == "exact" and vi.error_bound <= F(1, 1000)
    assert max(abs(v - w) for v, w in zip(vi.V, FOREST_V_STAR)) <= vi.error_bound


def test_value_iteration_stops_near_v_star_unlike_span_rule():
    # the stopping rule bounds ||V - V*||, not the span of V_{k+1} - V_k
    m = forest(S=10, r1=4, r2=2, p=0.1)
    exact = solve(m.to_exact()).V
    vi = solve(m, method="value_iteration", tol=1e-3)
    err = max(abs(F(float(v)) - w) for v, w in zip(vi.V, exact))
    assert err <= F(vi.error_bound) <= F(1, 1000)


def test_random_pi_vi_and_brute_force_agree():
    for seed in range(6):
        S, A = 2 + seed % 3, 2 + seed % 2
        m = random_mdp(S, A, density=0.7, seed=seed, exact=True, gamma=F(4, 5))
        vstar = brute_force_v_star(m)
        sol = solve(m)
        assert sol.V.tolist() == vstar.tolist()
        assert bellman_optimality_residual(m, sol.V) == 0
        # the returned deterministic policy attains V* exactly
        assert evaluate(m, sol.pi).V.tolist() == vstar.tolist()
        # max_a Q* = V* exactly, and Q* = r + gamma P V*
        assert [max(row) for row in sol.Q] == vstar.tolist()
        assert sol.Q.tolist() == q_from_v(m, vstar).tolist()
        # float policy iteration and value iteration agree within their bounds
        fsol = solve(m.to_float())
        assert max(abs(F(float(v)) - w) for v, w in zip(fsol.V, vstar)) <= F(fsol.error_bound)
        vi = solve(m.to_float(), method="value_iteration", tol=1e-8)
        assert max(abs(F(float(v)) - w) for v, w in zip(vi.V, vstar)) <= F(vi.error_bound)


def test_policy_iteration_start_policies():
    m = random_mdp(4, 3, seed=11, exact=True)
    ref = solve(m).V.tolist()
    for pi0 in (np.zeros(4, dtype=np.int64), np.full(4, 2), uniform_policy(m),
                deterministic_policy(m, np.array([1, 0, 2, 1]))):
        sol = solve(m, pi0=pi0)
        assert sol.V.tolist() == ref and sol.bellman_residual == 0
    vi = solve(m.to_float(), method="value_iteration", pi0=uniform_policy(m.to_float()), tol=1e-9)
    assert max(abs(F(float(v)) - w) for v, w in zip(vi.V, ref)) <= F(vi.error_bound)


def test_ties_keep_current_action():
    # both actions identical: every policy is optimal, PI keeps the start policy
    P = np.zeros((2, 2, 2), dtype=np.int64)
    P[:, :, 0] = 1
    m = MDP(P, [[1, 1], [0, 0]], F(1, 2))
    assert solve(m, pi0=np.array([1, 0])).actions.tolist() == [1, 0]
    assert solve(m).actions.tolist() == [0, 0]  # default start: lowest index
    assert solve(m.to_float(), pi0=np.array([1, 1])).actions.tolist() == [1, 1]


def test_chain_closed_form():
    for n in (1, 2, 5):
        m = chain(n, gamma=F(3, 4), exact=True)
        sol = solve(m)
        g = F(3, 4)
        assert sol.V.tolist() == [g ** (n - 1 - s) / (1 - g) for s in range(n)]


def test_vanishing_gradient_chain_v_star():
    for H in (1, 2, 5, 12):
        for back_move in ("left", "reset"):
            m = vanishing_gradient_chain(H, back_move=back_move)
            g = F(H, H + 1)
            sol = solve(m)
            assert sol.V[0] == g ** (H + 1) / (1 - g)
            assert all(a == 0 for a in sol.actions)  # a1 everywhere


def test_gridworld_5x5_optimal_value():
    m = gridworld_5x5(exact=True)
    sol = solve(m)
    assert sol.bellman_residual == 0
    book = [[22.0, 24.4, 22.0, 19.4, 17.5], [19.8, 22.0, 19.8, 17.8, 16.0],
            [17.8, 19.8, 17.8, 16.0, 14.4], [16.0, 17.8, 16.0, 14.4, 13.0],
            [14.4, 16.0, 14.4, 13.0, 11.7]]
    got = np.array([float(v) for v in sol.V]).reshape(5, 5)
    assert np.array_equal(np.round(got, 1), np.array(book))


def test_sparse_dense_exact_agree_on_gridworld_and_garnet():
    for m in (gridworld(6, 7, slip=F(1, 5), exact=True), garnet(12, 3, 3, seed=4, exact=True)):
        ref = solve(m).V
        for fm in (m.to_float(), m.to_sparse()):
            for method in ("policy_iteration", "value_iteration"):
                sol = solve(fm, method=method)
                err = max(abs(F(float(v)) - w) for v, w in zip(sol.V, ref))
                assert err <= F(sol.error_bound), (method, fm.is_sparse)


def test_large_sparse_paths():
    # forest(2000) dense goes through a sparse LU; a garnet through Krylov
    sol = solve(forest(2000))
    assert sol.success and sol.evaluation.solver == "splu"
    assert np.all(sol.actions[:-1] >= 0) and sol.error_bound < 1e-9
    assert bellman_optimality_residual(forest(2000, sparse=True), sol.V) <= sol.bellman_residual + 1e-12
    g = garnet(3000, 3, 4, seed=0, sparse=True)
    sol = solve(g)
    assert sol.success and sol.evaluation.solver == "bicgstab"
    vi = solve(g, method="value_iteration", tol=1e-6)
    assert np.max(np.abs(vi.V - sol.V)) <= vi.error_bound + sol.error_bound


def test_forest_2000_is_fast():
    import time

    m = forest(2000)
    solve(m)  # first call builds the sparse copy once
    t = time.perf_counter()
    for _ in range(3):
        solve(m)
    assert (time.perf_counter() - t) / 3 < 0.5  # ~10 ms in practice; generous for shared CI


def test_helpers():
    m = forest(exact=True)
    V = FOREST_V_STAR
    assert bellman_optimality_residual(m, V) == 0
    V_bad = [v + 1 for v in V]
    # T(V + 1) = TV + gamma, so the residual is exactly 1 - gamma
    assert bellman_optimality_residual(m, V_bad) == F(1, 10)
    assert abs(bellman_optimality_residual(m.to_float(), [float(v) for v in V])) < 1e-12
    Q = q_from_v(m, V)
    assert [max(row) for row in Q] == V
    Qs = q_from_v(forest(sparse=True), np.array([float(v) for v in V]))
    assert np.allclose(Qs, np.array(Q, dtype=float), rtol=0, atol=1e-12)
    with pytest.raises(InvalidParameterError, match="shape"):
        q_from_v(m, [1, 2])
    with pytest.raises(InvalidParameterError, match="not finite"):
        bellman_optimality_residual(m.to_float(), [0.0, np.nan, 0.0])


def test_bad_arguments():
    m = forest(exact=True)
    with pytest.raises(InvalidParameterError, match="method"):
        solve(m, method="linear_programming")
    with pytest.raises(InvalidParameterError, match="mode"):
        solve(m, mode="ball")
    with pytest.raises(InvalidParameterError, match="exact MDP"):
        solve(forest(), mode="exact")
    with pytest.raises(InvalidParameterError, match="no tolerance"):
        solve(m, tol=1e-9)
    with pytest.raises(InvalidParameterError, match="max_iter"):
        solve(m, max_iter=0)
    with pytest.raises(InvalidParameterError, match="tol"):
        solve(forest(), method="value_iteration", tol=-1.0)
    with pytest.raises(InvalidParameterError, match="pi0"):
        solve(m, pi0=np.array([0, 5, 0]))
    with pytest.raises(InvalidParameterError, match="pi0"):
        solve(m, pi0=[[0.5, 0.5]] * 3)  # float policy in exact mode


def test_max_iter_reached_is_reported():
    m = forest(S=8)
    with pytest.warns(ConvergenceWarning):
        vi = solve(m, method="value_iteration", tol=1e-12, max_iter=3)
    assert not vi.success and vi.n_iter == 3
    exact = solve(m.to_exact()).V
    assert max(abs(F(float(v)) - w) for v, w in zip(vi.V, exact)) <= F(vi.error_bound)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert solve(m, max_iter=100).success


def test_float_mode_on_exact_mdp():
    sol = solve(forest(exact=True), mode="float")
    assert sol.mode == "float" and sol.V.dtype == float
    assert np.max(np.abs(sol.V - np.array(FOREST_V_STAR, dtype=float))) <= sol.error_bound


def _reference_policy_iteration(m):
    """Howard's policy iteration through the public evaluate(), keeping the current action on ties."""
    from mdptheory import evaluate
    from mdptheory.policy import deterministic_policy

    S = m.n_states
    actions = np.argmax(np.asarray(m.r, dtype=float), axis=1)
    for _ in range(10_000):
        ev = evaluate(m, deterministic_policy(m, actions))
        Q = ev.Q
        best = np.argmax(Q, axis=1)
        keep = Q[np.arange(S), actions] >= Q[np.arange(S), best] - 1e-14 * max(1.0, float(np.abs(ev.V).max()))
        new = np.where(keep, actions, best)
        if np.array_equal(new, actions):
            return actions, ev.V
        actions = new
    raise AssertionError("reference policy iteration did not stop")


@pytest.mark.parametrize("build", [
    lambda: random_mdp(80, 4, seed=3),
    lambda: random_mdp(30, 3, density=0.4, seed=4),
    lambda: random_mdp(7, 2, seed=5),
    lambda: forest(1500),
    lambda: forest(40, p=0.05, sparse=True),
    lambda: chain(1200, slip=0.2, gamma=0.99),
    lambda: gridworld(30, 40, slip=0.1, gamma=0.99),
], ids=["dense80", "dense30", "dense7", "forest1500", "forest40sp", "chain1200", "grid"])
def test_array_policy_iteration_matches_the_public_evaluation_route(build):
    m = build()
    sol = solve(m)
    actions, V = _reference_policy_iteration(m)
    assert sol.success
    assert np.max(np.abs(sol.V - V)) <= sol.error_bound + 1e-12
    if not m.is_sparse:  # random instances have no ties: the same policy
        np.testing.assert_array_equal(sol.actions, actions)
    # (gridworlds and chains have exact ties and near-ties below rounding: the policies may differ
    # there, the values may not, beyond the certified bound above)
    # the PolicyEvaluation is built on first access, with the iteration's method and the same digits
    ev = sol.evaluation
    assert ev is sol.evaluation
    assert ev.solver == ("splu" if m.is_sparse else "lapack-lu")
    if m.is_sparse:  # a banded + Woodbury solve (chains, forests) or SuperLU (the others)
        np.testing.assert_allclose(ev.V, sol.V, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ev.Q, sol.Q, rtol=1e-12, atol=1e-12)
    else:  # the same LAPACK calls on the same matrix
        np.testing.assert_array_equal(ev.V, sol.V)
        np.testing.assert_array_equal(ev.Q, sol.Q)
    assert bellman_optimality_residual(m, sol.V) <= sol.bellman_residual * (1 + 1e-12) + 1e-15
    assert sol.error_bound < 1e-8
    np.testing.assert_allclose(ev.visitation().sum(), 1.0, rtol=1e-12)


def test_array_policy_iteration_max_iter_and_warm_start():
    import warnings

    from mdptheory.exceptions import ConvergenceWarning

    m = random_mdp(90, 4, seed=11)
    full = solve(m)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        one = solve(m, max_iter=1)
    if full.n_iter > 1:
        assert not one.success and any(issubclass(w.category, ConvergenceWarning) for w in rec)
        assert "max_iter=1" in one.message
    warm = solve(m, pi0=full.actions)
    assert warm.n_iter == 1 and np.array_equal(warm.actions, full.actions)


def _three_hub_mdp(S=600, seed=0):
    """A band (moves to neighbours) plus three reset states every row can jump to: the banded
    route of policy iteration with a three-column Woodbury correction."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    s = np.arange(S)
    right, left = np.minimum(s + 1, S - 1), np.maximum(s - 1, 0)
    rows, cols, vals = [], [], []

    def add(a, c, p):
        rows.append(s * 3 + a), cols.append(c), vals.append(np.broadcast_to(p, (S,)).astype(float))

    add(0, right, 0.7), add(0, np.zeros(S, dtype=int), 0.2), add(0, np.full(S, S - 1), 0.1)
    add(1, left, 0.5), add(1, s, 0.5)
    add(2, np.full(S, S // 2), 1.0)
    P = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(3 * S, S))
    return MDP(P, rng.random((S, 3)), 0.95)


def test_banded_hub_route_matches_sparse_lu():
    from mdptheory.evaluation.deterministic import _DeterministicEvaluator

    for build in (_three_hub_mdp, lambda: forest(2000), lambda: chain(1500, slip=0.2)):
        m = build()
        ev = _DeterministicEvaluator(m)
        assert ev.band is not None and ev.band <= 1
        sol = solve(m)
        assert sol.success
        ref_actions, ref_V = _reference_policy_iteration(m)
        # near-ties below the rounding level (V ~ 1e-20 far from a chain's goal) may be broken
        # differently: the values agree within the certified bound
        assert np.max(np.abs(sol.V - ref_V)) <= sol.error_bound + 1e-12
        # the lazily built evaluation (SuperLU) agrees with the banded + Woodbury solve to rounding
        np.testing.assert_allclose(sol.evaluation.V, sol.V, rtol=1e-12, atol=1e-12)
        assert bellman_optimality_residual(m, sol.V) <= sol.bellman_residual * (1 + 1e-9) + 1e-14
    assert _DeterministicEvaluator(_three_hub_mdp()).hubs.tolist() == [0, 300, 599]
    # a gridworld's band (the number of columns) is too wide: SuperLU
    assert _DeterministicEvaluator(gridworld(40, 40, slip=0.1)).band is None


def test_deferred_evaluation_pickles_and_builds_once():
    import pickle

    for m in (forest(1200), random_mdp(70, 3, seed=2)):
        sol = solve(m)
        back = pickle.loads(pickle.dumps(sol))  # the evaluation is not built yet: plain data
        np.testing.assert_array_equal(back.V, sol.V)
        np.testing.assert_array_equal(back.evaluation.V, sol.evaluation.V)
        assert sol.evaluation is sol.evaluation


@pytest.mark.parametrize("block_bytes", [1 << 22, 8 * 300 * 7, 8])
def test_sparse_copy_of_a_dense_mdp_reads_in_blocks(monkeypatch, block_bytes):
    # the blocked count (stopping early on dense P) keeps the CSR copy of a one-pass mask
    import scipy.sparse as sp

    from mdptheory import optimal

    monkeypatch.setattr(optimal, "_COUNT_BLOCK_BYTES", block_bytes)
    m = forest(300, sparse=False)  # 2 or 3 nonzeros per row: far below the threshold
    P = np.array(m.P_dense())
    P[1:4, :, :] = 1.0 / 300  # 6 full rows: a block denser than the threshold, listed in a second pass
    hub = MDP(P, m.r, m.gamma)
    for mm in (m, hub):
        c = optimal._sparse_copy_if_sparse(mm)
        assert c is not mm and c.is_sparse
        ref = sp.csr_matrix(mm.P_matrix())
        got = c.P_matrix()
        assert got.nnz == ref.nnz and (got != ref).nnz == 0
        np.testing.assert_array_equal(got.indptr, ref.indptr)
        np.testing.assert_array_equal(got.indices, ref.indices)
        np.testing.assert_array_equal(got.data, ref.data)
    # dense: returned unchanged, whether the count passes the threshold in the first block or a later one
    d = random_mdp(300, 2, density=0.5, seed=1)
    assert optimal._sparse_copy_if_sparse(d) is d
    P = np.array(m.P_dense())
    P[-20:, :, :] = 1.0 / 300  # the last 20 states take the count past 5%: decided in a late block
    late = MDP(P, m.r, m.gamma)
    assert np.count_nonzero(late.P_matrix()) > optimal._SPARSE_DENSITY * 300 * 300 * 2
    assert np.count_nonzero(late.P_matrix()[:-30]) <= optimal._SPARSE_DENSITY * 300 * 300 * 2
    assert optimal._sparse_copy_if_sparse(late) is late


def test_dense_array_evaluator_reuses_the_cached_row_sum_bound():
    from mdptheory.evaluation.certificates import _row_sum_bound
    from mdptheory.evaluation.deterministic import _DeterministicEvaluator

    m = random_mdp(40, 3, seed=8)
    ev = _DeterministicEvaluator(m)
    sums = m.P_matrix().sum(axis=1)
    assert ev.rho == float(sums.max()) * (1 + (40 + 2) * np.finfo(float).eps) == _row_sum_bound(m)
    assert m._cache["evaluation.row_sum_bound"] == ev.rho
    # the product P V by scipy's BLAS has the digits of evaluate()'s numpy product
    actions = np.arange(40) % 3
    V, Q, err = ev(actions)
    np.testing.assert_array_equal(Q, m.r + m.gamma * (m.P_matrix() @ V).reshape(40, 3))
    ref = evaluate(m, deterministic_policy(m, actions))
    np.testing.assert_array_equal(V, ref.V)  # the same LAPACK calls on the same matrix
    np.testing.assert_array_equal(Q, ref.Q)
    assert 0 < err < 1e3 * 40 * np.finfo(float).eps * np.max(np.abs(V)) / (1 - m.gamma)
