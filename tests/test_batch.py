"""Batched evaluation: batched == one by one, invariants, closed forms, bad inputs."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, InvalidMDPError, InvalidParameterError, InvalidPolicyError, evaluate
from mdptheory.batch import BATCH_REFACTOR_MAX_STATES, BatchEvaluation, evaluate_batch, evaluate_policies


def _stochastic(rng, shape, zeros=True):
    x = rng.random(shape)
    if zeros:  # some structural zeros, never a whole row
        x = np.where(rng.random(shape) < 0.3, 0.0, x)
        x[..., 0] += 1e-3
    return x / x.sum(axis=-1, keepdims=True)


def _batch(seed, B, S, A):
    rng = np.random.default_rng(seed)
    P = _stochastic(rng, (B, S, A, S))
    r = rng.normal(size=(B, S, A))
    pi = _stochastic(rng, (B, S, A))
    gamma = rng.uniform(0.0, 0.99, size=B)
    rho = _stochastic(rng, (B, S), zeros=False)
    return P, r, gamma, pi, rho


def _tol(gamma):
    """Float agreement tolerance: errors grow like 1/(1 - gamma)."""
    return 1e-12 / (1.0 - np.max(gamma))


# ------------------------------------------------------------ batched == one by one
@given(seed=st.integers(0, 2**32 - 1), B=st.integers(1, 6), S=st.integers(1, 7), A=st.integers(1, 4))
def test_evaluate_batch_matches_evaluate(seed, B, S, A):
    P, r, gamma, pi, rho = _batch(seed, B, S, A)
    be = evaluate_batch(P, r, gamma, pi, rho)
    d = be.visitation()
    tol = _tol(gamma) * max(1.0, np.abs(r).max())
    for b in range(B):
        ev = evaluate(MDP(P[b], r[b], gamma[b], rho[b]), pi[b])
        np.testing.assert_allclose(be.V[b], ev.V, rtol=0, atol=tol)
        np.testing.assert_allclose(be.Q[b], ev.Q, rtol=0, atol=tol)
        np.testing.assert_allclose(be.advantage[b], ev.advantage, rtol=0, atol=tol)
        np.testing.assert_allclose(be.P_pi[b], ev.P_pi, rtol=0, atol=1e-15)
        np.testing.assert_allclose(d[b], ev.visitation(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("S", [4, BATCH_REFACTOR_MAX_STATES + 9])  # stacked solves and kept LU factors
def test_evaluate_policies_matches_evaluate(S):
    rng = np.random.default_rng(S)
    A, K = 3, 5
    m = MDP(_stochastic(rng, (S, A, S)), rng.normal(size=(S, A)), 0.95, _stochastic(rng, S, zeros=False))
    pis = _stochastic(rng, (K, S, A))
    mu_k = _stochastic(rng, (K, S), zeros=False)
    be = evaluate_policies(m, pis)
    assert be.solver == ("numpy-stacked" if S <= BATCH_REFACTOR_MAX_STATES else "lapack-lu")
    d_rho, d_mu = be.visitation(), be.visitation(mu_k)
    d_one = be.visitation(mu_k[0])
    occ = be.occupancy()
    vals = be.value(mu_k[1])
    tol = _tol(0.95) * np.abs(m.r).max()
    for k in range(K):
        ev = evaluate(m, pis[k])
        np.testing.assert_allclose(be.V[k], ev.V, rtol=0, atol=tol)
        np.testing.assert_allclose(be.Q[k], ev.Q, rtol=0, atol=tol)
        np.testing.assert_allclose(be.A[k], ev.A, rtol=0, atol=tol)
        np.testing.assert_allclose(d_rho[k], ev.visitation(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(d_mu[k], ev.visitation(mu_k[k]), rtol=0, atol=1e-12)
        np.testing.assert_allclose(d_one[k], ev.visitation(mu_k[0]), rtol=0, atol=1e-12)
        np.testing.assert_allclose(occ[k], ev.occupancy(), rtol=0, atol=1e-12)
        assert vals[k] == pytest.approx(ev.value(mu_k[1]), abs=tol)
    assert be.visitation() is d_rho  # cached, as in PolicyEvaluation


# ------------------------------------------------------------ invariants (independent of evaluate)
@given(seed=st.integers(0, 2**32 - 1), B=st.integers(1, 5), S=st.sampled_from([1, 2, 5, 30]), A=st.integers(1, 3))
def test_batch_invariants(seed, B, S, A):
    """Bellman equations, Q = r + gamma P V, d sums to one and d >= (1 - gamma) rho (statement A1-A2)."""
    P, r, gamma, pi, rho = _batch(seed, B, S, A)
    be = evaluate_batch(P, r, gamma, pi, rho)
    d = be.visitation()
    scale = max(1.0, np.abs(r).max()) / (1.0 - gamma.max())
    for b in range(B):
        P_pi = np.einsum("sat,sa->st", P[b], pi[b])
        r_pi = (pi[b] * r[b]).sum(axis=1)
        assert np.abs(be.V[b] - r_pi - gamma[b] * P_pi @ be.V[b]).max() <= 1e-12 * scale
        Q = r[b] + gamma[b] * np.einsum("sat,t->sa", P[b], be.V[b])
        np.testing.assert_allclose(be.Q[b], Q, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose((pi[b] * be.A[b]).sum(axis=1), 0.0, atol=1e-12 * scale)
        # d^T (I - gamma P_pi) = (1 - gamma) rho
        np.testing.assert_allclose(d[b] - gamma[b] * d[b] @ P_pi, (1 - gamma[b]) * rho[b], rtol=0, atol=1e-13)
    np.testing.assert_allclose(d.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (d >= (1 - gamma)[:, None] * rho - 1e-14).all()


def test_closed_forms():
    """One state: V = r / (1 - gamma).  Two-state cycle: V solves a 2x2 system by hand."""
    gammas = np.array([0.0, 0.5, 0.9, 0.99])
    r = np.array([1.0, -2.0, 3.0, 0.5]).reshape(4, 1, 1)
    be = evaluate_batch(np.ones((4, 1, 1, 1)), r, gammas, np.ones((4, 1, 1)))
    np.testing.assert_allclose(be.V[:, 0], r[:, 0, 0] / (1 - gammas), rtol=1e-14)
    np.testing.assert_allclose(be.visitation(), 1.0, rtol=1e-14)
    # s0 -> s1 -> s0 with rewards 1, 0: V0 = 1 / (1 - g^2), V1 = g / (1 - g^2)
    P = np.array([[[0.0, 1.0]], [[1.0, 0.0]]])
    be = evaluate_batch(np.stack([P] * 4), np.stack([[[1.0], [0.0]]] * 4), gammas, np.ones((4, 2, 1)))
    np.testing.assert_allclose(be.V, np.stack([1 / (1 - gammas**2), gammas / (1 - gammas**2)], axis=1),
                               rtol=1e-13)
    # d from s0: (1 - g) (1, g, g^2, ...) alternating -> (1/(1+g), g/(1+g))
    d = be.visitation([1.0, 0.0])
    np.testing.assert_allclose(d, np.stack([1 / (1 + gammas), gammas / (1 + gammas)], axis=1), rtol=1e-13)


def test_exact_policies_are_exact():
    m = MDP([[[F(1, 2), F(1, 2)], [0, 1]], [[0, 1], [1, 0]]], [[1, 0], [0, 2]], F(1, 2))
    pis = np.array([[[1, 0], [1, 0]], [[0, 1], [0, 1]], [[F(1, 3), F(2, 3)], [F(1, 2), F(1, 2)]]], dtype=object)
    be = evaluate_policies(m, pis)
    assert be.mode == "exact" and be.solver == "per-item"
    assert be.V[0].tolist() == [F(4, 3), F(0)]
    assert be.V[1].tolist() == [F(4, 3), F(8, 3)]
    d = be.visitation()
    for k in range(3):
        ev = evaluate(m, pis[k])
        assert be.V[k].tolist() == ev.V.tolist() and be.Q[k].tolist() == ev.Q.tolist()
        assert d[k].tolist() == ev.visitation().tolist()
        assert sum(d[k]) == 1 and all(isinstance(x, F) for x in d[k])
    assert be.value().tolist() == [sum(v * F(1, 2) for v in be.V[k]) for k in range(3)]
    # float mode on the same exact inputs
    bf = evaluate_policies(m, pis, mode="float")
    np.testing.assert_allclose(bf.V, be.V.astype(float), rtol=1e-14)


def test_sparse_mdp_falls_back_per_item():
    rng = np.random.default_rng(3)
    S, A = 6, 2
    m = MDP(_stochastic(rng, (S, A, S)), rng.normal(size=(S, A)), 0.9)
    pis = _stochastic(rng, (3, S, A))
    bs = evaluate_policies(m.to_sparse(), pis)
    bd = evaluate_policies(m, pis)
    assert bs.solver == "per-item"
    np.testing.assert_allclose(bs.V, bd.V, rtol=0, atol=1e-10)
    np.testing.assert_allclose(bs.visitation(), bd.visitation(), rtol=0, atol=1e-10)
    assert isinstance(bs, BatchEvaluation) and len(bs) == 3


def test_results_are_read_only():
    P, r, gamma, pi, rho = _batch(0, 2, 3, 2)
    be = evaluate_batch(P, r, gamma, pi, rho)
    for arr in (be.V, be.Q, be.A, be.visitation()):
        with pytest.raises(ValueError):
            arr[0] = 0.0


# ------------------------------------------------------------ bad inputs
def _good(B=5, S=3, A=2):
    P, r, gamma, pi, rho = _batch(11, B, S, A)
    return dict(P=P, r=r, gamma=gamma, pi=pi, rho=rho)


def _set(name, idx, value):
    def f(kw):
        kw[name] = kw[name].copy()
        kw[name][idx] = value
        return kw
    return f


def _row(name, idx, values):
    return _set(name, idx, np.asarray(values))


BAD_BATCH = [
    # (edit, error, message fragment)
    (_row("P", (3, 2, 1), [0.5, 0.3, 0.1]), InvalidMDPError, "P[3][2, 1, :] sums to 0.9"),
    (_set("P", (1, 0, 1, 2), np.nan), InvalidMDPError, "P[1][0, 1, 2] = nan is not finite"),
    (_row("P", (4, 1, 0), [1.5, -0.5, 0.0]), InvalidMDPError, "P[4][1, 0, 1] = -0.5 is negative"),
    (_set("r", (2, 1, 1), np.inf), InvalidMDPError, "r[2][1, 1] = inf is not finite"),
    (_set("gamma", 4, 1.0), InvalidMDPError, "gamma[4] = 1.0 must satisfy 0 <= gamma < 1"),
    (_set("gamma", 0, np.nan), InvalidMDPError, "gamma[0] = nan"),
    (_row("pi", (3, 2), [0.5, 0.4]), InvalidPolicyError, "pi[3][2, :] sums to 0.9"),
    (_row("pi", (1, 0), [1.1, -0.1]), InvalidPolicyError, "pi[1][0, 1] = -0.1 is negative"),
    (_set("pi", (2, 2, 0), np.nan), InvalidPolicyError, "pi[2][2, 0] = nan is not finite"),
    (_row("rho", 3, [0.5, 0.6, -0.1]), InvalidMDPError, "rho[3][2] = -0.1"),
    (_row("rho", 1, [0.5, 0.4, 0.0]), InvalidMDPError, "rho[1] sums to 0.9"),
    (lambda kw: {**kw, "P": kw["P"][:, :, :, :2]}, InvalidMDPError, "P must have shape (B, S, A, S)"),
    (lambda kw: {**kw, "r": kw["r"][:4]}, InvalidMDPError, "r must have shape (B, S, A) = (5, 3, 2)"),
    (lambda kw: {**kw, "pi": kw["pi"][:, :, :1]}, InvalidPolicyError, "pi must have shape (5, 3, 2)"),
    (lambda kw: {**kw, "gamma": np.full(4, 0.5)}, InvalidMDPError, "gamma must be a scalar or have shape (5,)"),
    (lambda kw: {**kw, "rho": np.full(4, 0.25)}, InvalidMDPError, "rho must have shape (3,) or (5, 3)"),
    (lambda kw: {**kw, "P": np.frompyfunc(F, 1, 1)(kw["P"])}, InvalidMDPError, "P holds exact rationals"),
    (lambda kw: {**kw, "r": np.full((5, 3, 2), "x")}, InvalidMDPError, "r has unsupported dtype"),
]


@pytest.mark.parametrize("edit, error, fragment", BAD_BATCH, ids=[b[2] for b in BAD_BATCH])
def test_evaluate_batch_bad_inputs(edit, error, fragment):
    kw = edit(_good())
    with pytest.raises(error) as info:
        evaluate_batch(kw["P"], kw["r"], kw["gamma"], kw["pi"], kw["rho"])
    assert fragment in str(info.value)


def test_evaluate_batch_rho_shared_and_bad():
    kw = _good()
    be = evaluate_batch(kw["P"], kw["r"], 0.9, kw["pi"], [0.2, 0.3, 0.5])
    assert be.rho.shape == (5, 3) and np.allclose(be.visitation().sum(axis=1), 1)
    with pytest.raises(InvalidMDPError, match=r"rho\[1\] = -0.1"):
        evaluate_batch(kw["P"], kw["r"], 0.9, kw["pi"], [0.6, -0.1, 0.5])


def test_evaluate_policies_bad_inputs():
    rng = np.random.default_rng(5)
    m = MDP(_stochastic(rng, (3, 2, 3)), rng.normal(size=(3, 2)), 0.9)
    pis = _stochastic(rng, (6, 3, 2))
    bad = pis.copy()
    bad[4, 2] = [0.5, 0.4]
    with pytest.raises(InvalidPolicyError, match=r"pis\[4\]\[2, :\] sums to 0\.9"):
        evaluate_policies(m, bad)
    bad = pis.copy()
    bad[2, 1] = [1.2, -0.2]
    with pytest.raises(InvalidPolicyError, match=r"pis\[2\]\[1, 1\] = -0\.2"):
        evaluate_policies(m, bad)
    with pytest.raises(InvalidPolicyError, match=r"shape \(6, 3, 2\)"):
        evaluate_policies(m, pis[:, :, :1])
    with pytest.raises(InvalidPolicyError, match="no policies"):
        evaluate_policies(m, np.zeros((0, 3, 2)))
    with pytest.raises(InvalidParameterError, match="mode"):
        evaluate_policies(m, pis, mode="ball")
    with pytest.raises(InvalidParameterError, match="exact inputs"):
        evaluate_policies(m, pis, mode="exact")
    be = evaluate_policies(m, pis)
    with pytest.raises(InvalidParameterError, match=r"mu\[3\] sums to 0\.5"):
        be.visitation(np.vstack([np.full((3, 3), 1 / 3), [[0.5, 0.0, 0.0]], np.full((2, 3), 1 / 3)]))
    with pytest.raises(InvalidParameterError, match=r"mu\[1\] = -0\.5"):
        be.visitation([1.0, -0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="mu must have shape"):
        be.visitation(np.full(4, 0.25))
    # exact MDP, exact policies: the per-item error names the policy index
    me = MDP([[[F(1, 2), F(1, 2)]], [[0, 1]]], [[1], [0]], F(1, 2))
    with pytest.raises(InvalidPolicyError, match=r"pis\[1\]\[0, :\] sums to 1/2"):
        evaluate_policies(me, np.array([[[1], [1]], [[F(1, 2)], [1]]], dtype=object))


def test_sparse_input_to_evaluate_policies_matches_dense_visitation_sparse_matrix():
    """A sparse MDP given as a CSR matrix keeps working when a single policy is stacked."""
    P = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    m = MDP(P, [[1.0], [0.0]], 0.5)
    be = evaluate_policies(m, np.ones((1, 2, 1)))
    np.testing.assert_allclose(be.V[0], [4 / 3, 2 / 3], rtol=1e-10)


# ------------------------------------------------------------ exact evaluation (integer form)
def _exact_mdp(seed, S, A, big):
    """Random exact MDP; ``big`` uses denominators beyond int64 to exercise the object path."""
    rng = np.random.default_rng(seed)
    P = np.empty((S, A, S), dtype=object)
    for s in range(S):
        for a in range(A):
            w = [int(x) for x in rng.integers(0, 7, size=S)]
            w[int(rng.integers(S))] += 1
            if big:
                w = [x * (2**70 + 2 * s + 1) + (1 if x else 0) for x in w]
            tot = sum(w)
            P[s, a] = [F(x, tot) for x in w]
    r = np.array([[F(int(rng.integers(-9, 10)), int(rng.integers(1, 12))) for _ in range(A)] for _ in range(S)],
                 dtype=object)
    pi = np.empty((S, A), dtype=object)
    for s in range(S):
        w = [int(x) for x in rng.integers(0, 4, size=A)]
        w[0] += 1
        pi[s] = [F(x, sum(w)) for x in w]
    return MDP(P, r, F(int(rng.integers(0, 10)), 10)), pi


@given(seed=st.integers(0, 2**32 - 1), S=st.integers(1, 6), A=st.integers(1, 3), big=st.booleans())
def test_exact_evaluation_identities(seed, S, A, big):
    """Exact mode: Bellman equations, Q, A, P_pi and d hold with equality (statement A1-A2)."""
    m, pi = _exact_mdp(seed, S, A, big)
    ev = evaluate(m, pi)
    g = m.gamma
    P_pi = np.array([[sum(pi[s, a] * m.P[s, a, t] for a in range(A)) for t in range(S)] for s in range(S)],
                    dtype=object)
    r_pi = np.array([sum(pi[s, a] * m.r[s, a] for a in range(A)) for s in range(S)], dtype=object)
    assert ev.P_pi.tolist() == P_pi.tolist() and ev.r_pi.tolist() == r_pi.tolist()
    V = ev.V
    assert all(isinstance(x, F) for x in V)
    assert [V[s] - r_pi[s] - g * sum(P_pi[s, t] * V[t] for t in range(S)) for s in range(S)] == [0] * S
    Q = [[m.r[s, a] + g * sum(m.P[s, a, t] * V[t] for t in range(S)) for a in range(A)] for s in range(S)]
    assert ev.Q.tolist() == Q
    assert ev.A.tolist() == [[Q[s][a] - V[s] for a in range(A)] for s in range(S)]
    # Fractions built without renormalization must still be canonical
    for x in list(ev.V) + list(ev.Q.ravel()) + list(ev.A.ravel()):
        assert F(x.numerator, x.denominator) == x and x.denominator > 0
        assert math.gcd(x.numerator, x.denominator) == 1
    mu = np.array([F(1, S)] * S, dtype=object)
    mu[0] += F(1, 2 * S)
    mu[-1] -= F(1, 2 * S)
    for d, m0 in ((ev.visitation(), m.rho), (ev.visitation(mu), mu)):
        assert sum(d) == 1
        assert [d[t] - g * sum(d[s] * P_pi[s, t] for s in range(S)) for t in range(S)] == [(1 - g) * x for x in m0]
    assert not ev.Q.flags.writeable and not ev.P_pi.flags.writeable
