r"""Large sparse MDPs: solver choice, certified bounds, memory proportional to nnz.

Sizes S = 10^4 to 10^5 (4 actions, 5 successors per pair).  References are
independent of :func:`mdptheory.evaluate`: a plain NumPy :math:`\gamma`-contracting
iteration with its a-priori bound, the exact rational solve on small
instances, and the dense LAPACK path.  No time is asserted.
"""

import tracemalloc
import warnings
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, evaluate
from mdptheory.evaluation.sparse import _prefers_direct
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import chain, forest, garnet, gridworld
from mdptheory.geometry import natural_gradient, npg_closed_form
from mdptheory.gradients import gradient_float_tolerance, softmax_gradient_closed_form, value_gradient
from mdptheory.optimal import bellman_optimality_residual, solve
from mdptheory.policies import TabularSoftmax
from mdptheory.strategies import mdp_and_policy

EPS = np.finfo(float).eps


def _policy_system(mdp, pi):
    """``(P_pi, r_pi)`` built here with SciPy, independently of mdptheory."""
    S, A = mdp.n_states, mdp.n_actions
    Pi = sp.csr_matrix((pi.ravel(), (np.repeat(np.arange(S), A), np.arange(S * A))), shape=(S, S * A))
    return (Pi @ mdp.P).tocsr(), (pi * mdp.r).sum(axis=1)


def _contraction_reference(P_pi, b, gamma, *, transpose=False, rtol=1e-13):
    r"""Fixed point of :math:`x = b + \gamma P x` (or :math:`P^\top`) with the bound
    :math:`\|x_k - x\| \le \gamma^k \|x_0 - x\| ...`: iterate until
    :math:`\gamma\|x_{k+1} - x_k\|/(1-\gamma)` is below ``rtol`` times the scale."""
    M = P_pi.T.tocsr() if transpose else P_pi
    x = b.copy()
    norm = (lambda v: np.abs(v).sum()) if transpose else (lambda v: np.abs(v).max())
    scale = norm(b) / (1 - gamma)
    for _ in range(100_000):
        xn = b + gamma * (M @ x)
        step = norm(xn - x)
        x = xn
        if gamma * step / (1 - gamma) <= rtol * scale:
            return x, gamma * step / (1 - gamma) + 10 * M.shape[0] * EPS * scale
    raise AssertionError("reference iteration did not converge")  # pragma: no cover


# ------------------------------------------------------------------ solver choice
def test_solver_choice_follows_structure():
    def solver(m):
        A = m.n_actions
        return evaluate(m, np.full((m.n_states, A), 1.0 / A)).solver

    assert solver(garnet(2000, 4, 5, seed=0, sparse=True)) == "bicgstab"  # random graph: LU fills in
    assert solver(forest(3000, sparse=True)) == "splu"  # band + one reset hub
    assert solver(chain(50).to_sparse()) == "splu"
    assert solver(gridworld(8, 8, sparse=True)) == "splu"  # small
    assert solver(gridworld(100, 100, sparse=True, gamma=0.9)) == "bicgstab"  # contraction is cheap
    assert solver(gridworld(100, 100, sparse=True, gamma=0.999)) == "splu"  # banded, slow contraction
    # the same cost model drives policy iteration
    g = garnet(2000, 4, 5, seed=0, sparse=True)
    assert not _prefers_direct(g) and solve(g).evaluation.solver == "bicgstab"
    f = forest(3000, sparse=True)
    assert _prefers_direct(f) and solve(f).evaluation.solver == "splu"


def test_direct_solver_respects_the_fill_cap(monkeypatch):
    from mdptheory.evaluation import sparse as evaluation

    m = gridworld(300, 300, sparse=True, gamma=0.9999)
    b, h, _ = evaluation._sparse_structure(m)
    assert b == 300 and h == 0  # the band of a row-major grid is its number of columns
    assert _prefers_direct(m)  # fill ~ 9e4 * 301 entries: under the cap
    monkeypatch.setattr(evaluation, "_DIRECT_MAX_FILL", 1e6)
    assert not _prefers_direct(m)  # e.g. 1000 x 1000: ~1e9 entries would not fit


# ------------------------------------------------------------------ correctness at S = 10^4 .. 10^5
@pytest.mark.parametrize("S, gamma", [(10_000, 0.9), (100_000, 0.8)])
def test_garnet_value_and_visitation_within_certified_bounds(S, gamma):
    m = garnet(S, 4, 5, gamma=gamma, seed=3, sparse=True)
    rng = np.random.default_rng(0)
    pi = rng.random((S, 4))
    pi /= pi.sum(axis=1, keepdims=True)
    ev = evaluate(m, pi)
    assert ev.solver == "bicgstab"
    P_pi, r_pi = _policy_system(m, pi)
    V_ref, V_err = _contraction_reference(P_pi, r_pi, gamma)
    assert np.max(np.abs(ev.V - V_ref)) <= ev.error_bound + V_err
    assert ev.error_bound <= 1e-10 * max(1.0, np.abs(m.r).max() / (1 - gamma)) * 1.01
    d = ev.visitation()
    y_ref, y_err = _contraction_reference(P_pi, np.asarray(m.rho, dtype=float), gamma, transpose=True)
    d_ref = (1 - gamma) * y_ref
    assert np.sum(np.abs(d - d_ref)) <= ev.visitation_bound() + (1 - gamma) * y_err
    assert ev.visitation_bound() <= 1e-9
    assert abs(d.sum() - 1) <= ev.visitation_bound() + S * EPS
    assert np.all(d >= (1 - gamma) * np.asarray(m.rho) - ev.visitation_bound())
    # Q from V: the Bellman equation with an independent product
    Q = m.r + gamma * (m.P @ ev.V).reshape(S, 4)
    assert np.max(np.abs(ev.Q - Q)) <= 4 * EPS * np.max(np.abs(Q))


def test_gridworld_direct_and_krylov_agree_within_their_bounds():
    m = gridworld(100, 100, slip=0.1, sparse=True, gamma=0.99)
    pi = np.full((m.n_states, m.n_actions), 1.0 / m.n_actions)
    direct = evaluate(m, pi, method="direct")
    krylov = evaluate(m, pi, method="krylov")
    assert direct.solver == "splu" and krylov.solver == "bicgstab"
    assert np.max(np.abs(direct.V - krylov.V)) <= direct.error_bound + krylov.error_bound
    dd, dk = direct.visitation(), krylov.visitation()
    assert np.sum(np.abs(dd - dk)) <= direct.visitation_bound() + krylov.visitation_bound()


@given(mdp_and_policy(exact=True, min_states=2, max_states=7, gamma=(0.3, 0.99), reward_range=(-5, 5),
                      rho="random"),
       st.sampled_from(["direct", "krylov", "auto"]))
def test_sparse_paths_match_exact_within_bounds(mp, method):
    mdp, pi = mp
    ex = evaluate(mdp, pi)
    pf = np.asarray(pi, dtype=float)
    ev = evaluate(mdp.to_sparse(), pf, method=method)
    V = np.array([float(v) for v in ex.V])
    # the certificate covers the float problem; the rounding of P, r, pi to floats adds a little
    g = float(mdp.gamma)
    rmax = max(float(np.max(np.abs(np.asarray(mdp.r, dtype=float)))), 1e-300)
    conv = 50 * mdp.n_states * EPS * (1 + g) / (1 - g) ** 2 * rmax
    assert np.max(np.abs(ev.V - V)) <= ev.error_bound + conv
    d = np.array([float(v) for v in ex.visitation()])
    assert np.sum(np.abs(ev.visitation() - d)) <= ev.visitation_bound() + 50 * mdp.n_states * EPS * (1 + g) / (1 - g)


# ------------------------------------------------------------------ multi-right-hand-side solves
@pytest.mark.parametrize("kind", ["dense", "direct", "krylov", "exact", "ball"])
def test_solve_and_solve_T_with_many_right_hand_sides(kind):
    mq = garnet(9, 3, 3, seed=5, exact=True)
    piq = np.full((9, 3), F(1, 3), dtype=object)
    rng = np.random.default_rng(1)
    B = rng.integers(-5, 6, size=(9, 4))
    if kind == "exact":
        ev = evaluate(mq, piq)
        Bq = np.vectorize(F, otypes=[object])(B)
        X, Y = ev.solve(Bq), ev.solve_T(Bq)
        P_pi = ev.P_pi
        I = np.vectorize(F, otypes=[object])(np.eye(9, dtype=int))
        M = I - mq.gamma * P_pi
        assert (M.dot(X) == Bq).all() and (M.T.dot(Y) == Bq).all()
        assert all(isinstance(x, F) for x in X.flat)
        assert (ev.solve(Bq[:, 0]) == X[:, 0]).all()
        return
    if kind == "ball":
        ev = evaluate(mq, piq, mode="ball")
        X = ev.solve(B.astype(object))
        ex = evaluate(mq, piq)
        Xq = ex.solve(np.vectorize(F, otypes=[object])(B))
        from flint import ctx, fmpq

        old, ctx.prec = ctx.prec, 300  # the exact values as (nearly) point balls
        try:
            assert all(x.contains(fmpq(q.numerator, q.denominator)) for x, q in zip(X.flat, Xq.flat))
            assert all(x.rad() < 1e-30 for x in X.flat)
        finally:
            ctx.prec = old
        return
    m = mq.to_float() if kind == "dense" else mq.to_sparse()
    ev = evaluate(m, np.full((9, 3), 1 / 3), method={"dense": "auto", "direct": "direct", "krylov": "krylov"}[kind])
    Bf = B.astype(float)
    X, Y = ev.solve(Bf), ev.solve_T(Bf)
    assert X.shape == Y.shape == (9, 4)
    P_pi = ev.P_pi.toarray() if hasattr(ev.P_pi, "toarray") else ev.P_pi
    M = np.eye(9) - 0.9 * P_pi
    assert ev.residual_bound(X, Bf) <= 1e-9 and ev.residual_bound(Y, Bf, transpose=True) <= 1e-8
    np.testing.assert_allclose(M @ X, Bf, atol=1e-8)
    np.testing.assert_allclose(M.T @ Y, Bf, atol=1e-8)
    np.testing.assert_allclose(ev.solve(Bf[:, 1]), X[:, 1], atol=1e-8)
    with pytest.raises(InvalidParameterError, match="shape"):
        ev.solve(np.ones(8))
    with pytest.raises(InvalidParameterError, match="non-finite"):
        ev.solve(np.full(9, np.nan))


# ------------------------------------------------------------------ gradients and NPG at S = 10^4
def test_softmax_gradient_and_npg_on_a_large_sparse_mdp():
    S, A = 10_000, 4
    m = garnet(S, A, 5, seed=2, sparse=True)
    p = TabularSoftmax(S, A)
    theta = np.random.default_rng(3).normal(size=S * A)
    g1 = softmax_gradient_closed_form(m, p, theta)  # Lemma 10.2
    g2 = value_gradient(m, p, theta)  # implicit differentiation, another route
    ev = evaluate(m, p.probs(theta))
    # both routes share the Krylov tolerance: the certified V and d bounds enter linearly
    vmax = np.max(np.abs(ev.Q))
    tol = (gradient_float_tolerance(m, n_params=S * A, score_bound=2.0)
           + 4 * (ev.error_bound + vmax * ev.visitation_bound()) / (1 - 0.9))
    assert np.max(np.abs(g1 - g2)) <= tol
    tracemalloc.start()
    w = natural_gradient(m, p, theta)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    cf = npg_closed_form(ev).reshape(-1)
    assert np.max(np.abs(w - cf)) <= 1e-6 * np.max(np.abs(cf))
    assert peak < 400 * (m.P.nnz + S * A)  # O(nnz): no (S, A, S*A) score (3.2 GB here)


def test_memory_of_evaluation_is_proportional_to_nnz():
    peaks = {}
    for S in (10_000, 40_000):
        m = garnet(S, 4, 5, seed=1, sparse=True)
        pi = np.full((S, 4), 0.25)
        tracemalloc.start()
        ev = evaluate(m, pi)
        ev.visitation()
        ev.advantage
        peaks[S] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peaks[S] < 200 * (m.P.nnz + S)  # bytes; an (S, S) float array alone is 8 S^2
    assert peaks[40_000] < 6 * peaks[10_000]  # linear, not quadratic, growth


def test_policy_and_value_iteration_at_scale_agree():
    m = garnet(20_000, 4, 5, seed=4, sparse=True)
    pi_sol = solve(m)
    vi_sol = solve(m, method="value_iteration", tol=1e-6)
    assert pi_sol.success and vi_sol.success
    assert np.max(np.abs(pi_sol.V - vi_sol.V)) <= pi_sol.error_bound + vi_sol.error_bound
    assert bellman_optimality_residual(m, pi_sol.V) <= pi_sol.bellman_residual + 1e-9
