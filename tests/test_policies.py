"""Policy parameterizations: probabilities, scores, Jacobians, Hessians, exact points, stability."""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory.exceptions import InvalidParameterError
from mdptheory.finite_diff import central_difference, probs_jacobian_complex_step
from mdptheory.policies import (
    Direct,
    EnergyPolicy,
    LogLinear,
    LogRational,
    NeuralSoftmax,
    TabularSoftmax,
)

SEEDS = st.integers(0, 2**32 - 1)


def _family(seed):
    """One instance of every float parameterization with a random interior point."""
    rng = np.random.default_rng(seed)
    S, A, d = int(rng.integers(1, 4)), int(rng.integers(2, 4)), int(rng.integers(1, 4))
    phi = rng.normal(size=(S, A, d))
    tau = float(rng.uniform(0.3, 2.0))
    out = [
        (TabularSoftmax(S, A, temperature=tau), rng.normal(size=S * A) * 2),
        (LogLinear(phi, temperature=tau), rng.normal(size=d)),
        (EnergyPolicy(S, A, temperature=tau), rng.normal(size=S * A)),
    ]
    nn = NeuralSoftmax(phi, int(rng.integers(1, 5)), temperature=tau, radius=1.0, seed=seed)
    out.append((nn, nn.theta0 + 0.1 * rng.normal(size=nn.n_params)))
    pi = rng.dirichlet(np.ones(A), size=S) * 0.9 + 0.1 / A  # interior of the simplex
    out.append((Direct(S, A), Direct(S, A).from_policy(pi)))
    return out


def _exact_family(seed):
    rng = np.random.default_rng(seed)
    S, A = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    q = [F(int(a), int(b)) for a, b in rng.integers(1, 9, size=(S * A, 2))]
    phi = rng.integers(-2, 3, size=(S, A, 2))
    qd = [F(int(a), int(b)) for a, b in rng.integers(1, 9, size=(2, 2))]
    w = rng.integers(1, 9, size=(S, A)).astype(object)
    pi = w / w.sum(axis=1)[:, None]
    pi = np.vectorize(F, otypes=[object])(pi)
    return [
        (TabularSoftmax(S, A), LogRational(q)),
        (EnergyPolicy(S, A), LogRational(q)),
        (LogLinear(phi), LogRational(qd)),
        (Direct(S, A), Direct(S, A).from_policy(pi)),
    ]


# ------------------------------------------------------------------ invariants
@given(SEEDS)
def test_probs_on_simplex_and_score_has_zero_mean(seed):
    for param, th in _family(seed):
        pi = param.probs(th)
        assert pi.shape == (param.n_states, param.n_actions)
        assert np.all(pi >= 0)
        np.testing.assert_allclose(pi.sum(axis=1), 1.0, atol=1e-12)
        sc = param.score(th)
        assert sc.shape == (param.n_states, param.n_actions, param.n_params)
        # Lemma 9.9 / statement B2: sum_a pi(a|s) grad log pi(a|s) = 0
        mean = np.einsum("sa,sai->si", pi, sc)
        np.testing.assert_allclose(mean, 0.0, atol=1e-12 * max(1.0, np.abs(sc).max()))
        np.testing.assert_allclose(param.jacobian(th), pi[:, :, None] * sc, atol=1e-14)
        np.testing.assert_allclose(param.jacobian(th).sum(axis=1), 0.0, atol=1e-12 * max(1.0, np.abs(sc).max()))


@given(SEEDS)
def test_exact_points_give_exact_zero_mean_scores(seed):
    for param, th in _exact_family(seed):
        pi = param.probs(th)
        assert all(isinstance(x, F) for x in pi.flat)
        assert all(x == 1 for x in pi.sum(axis=1))
        sc = param.score(th)
        assert all(isinstance(x, F) for x in sc.flat)
        mean = np.einsum("sa,sai->si", pi, sc)
        assert all(x == 0 for x in mean.flat)
        H = param.probs_hessian(th)
        # sum_a pi(a|s) = 1 for every theta, so sum_a of the Hessian vanishes exactly
        assert all(x == 0 for x in H.sum(axis=1).flat)


@given(SEEDS)
def test_jacobian_matches_complex_step_and_central_differences(seed):
    for param, th in _family(seed):
        J = param.jacobian(th)
        if param.accepts_complex:
            cs = probs_jacobian_complex_step(param, th)
            np.testing.assert_allclose(J, cs.derivative, atol=1e-13)
        else:
            fd = central_difference(param.probs, th, h=1e-4)
            assert np.all(np.abs(J - fd.derivative) <= fd.error_estimate + 1e-12)


@given(SEEDS)
def test_probs_hessian_matches_differences_of_the_jacobian(seed):
    for param, th in _family(seed):
        H = param.probs_hessian(th)
        assert H.shape == (param.n_states, param.n_actions, param.n_params, param.n_params)
        np.testing.assert_allclose(H, np.swapaxes(H, 2, 3), atol=1e-13)
        fd = central_difference(param.jacobian, th)
        tol = 100 * fd.error_estimate + 1e-9
        assert np.all(np.abs(H - fd.derivative) <= tol)
        W = np.random.default_rng(seed).normal(size=(param.n_states, param.n_actions))
        np.testing.assert_allclose(param.probs_hessian_vjp(th, W), np.einsum("saij,sa->ij", H, W), atol=1e-12)


@given(SEEDS)
def test_structured_tabular_softmax_equals_generic_energy_policy(seed):
    rng = np.random.default_rng(seed)
    S, A = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    tau = float(rng.uniform(0.2, 3))
    tab, gen = TabularSoftmax(S, A, temperature=tau), EnergyPolicy(S, A, temperature=tau)
    th = rng.normal(size=S * A) * 3
    c, C = rng.normal(size=(S, A)), rng.normal(size=(S, A, 3))
    for name in ("probs", "score", "jacobian", "probs_hessian"):
        np.testing.assert_allclose(getattr(tab, name)(th), getattr(gen, name)(th), atol=1e-14)
    np.testing.assert_allclose(tab.jacobian_dot_actions(th, c), gen.jacobian_dot_actions(th, c), atol=1e-13)
    np.testing.assert_allclose(tab.jacobian_vjp(th, c), gen.jacobian_vjp(th, c), atol=1e-13)
    np.testing.assert_allclose(tab.jacobian_vjp(th, C), gen.jacobian_vjp(th, C), atol=1e-13)
    np.testing.assert_allclose(tab.score_vjp(th, c), gen.score_vjp(th, c), atol=1e-13)
    np.testing.assert_allclose(tab.probs_hessian_vjp(th, c), gen.probs_hessian_vjp(th, c), atol=1e-13)


def test_tabular_score_blocks_are_theory_d1_exactly():
    q = LogRational([[1, 2, 5], [3, 3, 2]])
    p = TabularSoftmax(2, 3)
    pi = p.probs(q)
    assert pi.tolist() == [[F(1, 8), F(1, 4), F(5, 8)], [F(3, 8), F(3, 8), F(1, 4)]]
    blocks = p.score_blocks(q)
    for s in range(2):
        for a in range(3):
            for b in range(3):
                assert blocks[s, a, b] == (1 if a == b else 0) - pi[s, b]
    dense = p.score(q)
    for s in range(2):
        for s2 in range(2):
            blk = dense[s, :, s2 * 3:(s2 + 1) * 3]
            assert (blk == (blocks[s] if s == s2 else 0)).all()


def test_loglinear_exact_weights_and_one_hot_reduction():
    phi = np.array([[[1, 0], [0, 1], [1, 1]], [[2, -1], [0, 0], [0, 3]]])
    p = LogLinear(phi)
    q = LogRational([2, 3])
    w = np.array([[F(2), F(3), F(6)], [F(4, 3), F(1), F(27)]], dtype=object)
    assert (p.probs(q) == w / w.sum(axis=1)[:, None]).all()
    # one-hot features reproduce the tabular softmax exactly
    S, A = 2, 3
    onehot = np.eye(S * A, dtype=int).reshape(S, A, S * A)
    qq = LogRational([1, 2, 3, 4, 5, 6])
    assert (LogLinear(onehot).probs(qq) == TabularSoftmax(S, A).probs(qq)).all()
    assert (LogLinear(onehot).score(qq) == TabularSoftmax(S, A).score(qq)).all()
    with pytest.raises(InvalidParameterError, match="integer features"):
        LogLinear(phi / 2.0 + 0.25).probs(q)


def test_log_rational_round_trip_and_validation():
    pi = np.array([[F(1, 3), F(2, 3)]], dtype=object)
    assert (TabularSoftmax(1, 2).probs(LogRational.from_probs(pi)) == pi).all()
    np.testing.assert_allclose(LogRational([F(1, 3), 2]).to_float(), np.log([1 / 3, 2]))
    huge = LogRational([F(1, 10**400), 10**400])
    np.testing.assert_allclose(huge.to_float(), [-400 * np.log(10), 400 * np.log(10)])
    with pytest.raises(InvalidParameterError, match=r"q\[1\]"):
        LogRational([1, 0])
    with pytest.raises(InvalidParameterError, match=r"q\[0\]"):
        LogRational([0.5, 1])
    with pytest.raises(InvalidParameterError, match="temperature"):
        TabularSoftmax(1, 2, temperature=2).probs(LogRational([1, 2]))
    with pytest.raises(InvalidParameterError, match="LogRational"):
        TabularSoftmax(1, 2).probs(np.array([F(1), F(2)], dtype=object))
    with pytest.raises(InvalidParameterError, match="n_params"):
        TabularSoftmax(1, 2).probs(LogRational([1, 2, 3]))
    with pytest.raises(InvalidParameterError, match="LogRational|rational theta"):
        Direct(1, 2).probs(LogRational([1]))


# ------------------------------------------------------------------ stability
@pytest.mark.parametrize("tau", [1.0, 0.01])
def test_extreme_theta_no_overflow_no_nan(tau):
    rng = np.random.default_rng(0)
    S, A = 4, 5
    th = rng.choice([-1e3, 1e3, 0.0, 999.0], size=S * A)
    phi = rng.normal(size=(S, A, 3))
    cases = [(TabularSoftmax(S, A, temperature=tau), th), (EnergyPolicy(S, A, temperature=tau), th),
             (LogLinear(phi, temperature=tau), np.array([1e3, -1e3, 500.0]))]
    nn = NeuralSoftmax(phi, 4, temperature=tau, seed=1)
    cases.append((nn, nn.theta0 * 1e3))
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for p, t in cases:
            pi, lp = p.probs(t), p.log_probs(t)
            assert np.all(np.isfinite(pi)) and np.all(np.isfinite(lp))
            np.testing.assert_allclose(pi.sum(axis=1), 1.0, atol=1e-12)
            assert np.all(lp <= 0)
            for arr in (p.score(t), p.jacobian(t), p.probs_hessian(t)):
                assert np.all(np.isfinite(arr))
    # log pi reaches -1e3/tau-scale values without log(0): exactly theta - max for a 2-action state
    lp = TabularSoftmax(1, 2).log_probs(np.array([1e3, -1e3]))
    np.testing.assert_allclose(lp, [[0.0, -2e3]], atol=1e-9)
    assert TabularSoftmax(1, 2).probs(np.array([1e3, -1e3]))[0, 1] == 0.0  # underflow, but no NaN


def test_invalid_theta_is_rejected_with_index():
    p = TabularSoftmax(2, 2)
    with pytest.raises(InvalidParameterError, match=r"theta\[2\]"):
        p.probs(np.array([0.0, 1.0, np.nan, 0.0]))
    with pytest.raises(InvalidParameterError, match="shape"):
        p.probs(np.zeros(3))
    with pytest.raises(InvalidParameterError):
        p.score(np.zeros(4, dtype=complex))


# ------------------------------------------------------------------ direct
def test_direct_is_exact_affine_and_rejects_points_off_the_simplex():
    p = Direct(2, 3)
    th = [F(1, 2), F(1, 3), 0, 1]
    pi = p.probs(th)
    assert pi.tolist() == [[F(1, 2), F(1, 3), F(1, 6)], [0, 1, 0]]
    J = p.jacobian(th)
    assert (J.sum(axis=1) == 0).all()
    assert all(x == 0 for x in p.probs_hessian(th).flat)
    # score only where pi > 0; zero by convention elsewhere
    sc = p.score(th)
    assert sc[1, 0, 2] == 0 and sc[1, 2, 2] == 0 and sc[1, 1, 3] == 1
    with pytest.raises(InvalidParameterError, match=r"theta\[1\] = pi\[0, 1\] = -1/10"):
        p.probs([F(1, 2), F(-1, 10), 0, 0])
    with pytest.raises(InvalidParameterError, match=r"pi\[1, 2\] = 1 - .* = -1/5"):
        p.probs([0, 0, F(3, 5), F(3, 5)])
    with pytest.raises(InvalidParameterError, match=r"pi\[0, 2\]"):
        p.probs([0.7, 0.3 + 1e-9, 0.0, 0.0])
    # boundary points within rounding are accepted in float
    np.testing.assert_allclose(p.probs([0.1, 0.9, 0.3, 0.7]).sum(axis=1), 1.0)


@given(SEEDS)
def test_direct_structured_contractions_match_dense(seed):
    rng = np.random.default_rng(seed)
    S, A = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    p = Direct(S, A)
    th = p.from_policy(rng.dirichlet(np.ones(A), size=S))
    c, C = rng.normal(size=(S, A)), rng.normal(size=(S, A, 2))
    J = p.jacobian(th)
    np.testing.assert_allclose(p.jacobian_dot_actions(th, c), np.einsum("sai,sa->si", J, c), atol=1e-14)
    np.testing.assert_allclose(p.jacobian_vjp(th, C), np.einsum("sai,sak->ik", J, C), atol=1e-14)
    np.testing.assert_allclose(p.score_vjp(th, c), np.einsum("sai,sa->i", p.score(th), c), atol=1e-12)


# ------------------------------------------------------------------ neural
def test_neural_softmax_follows_seed_000():
    rng = np.random.default_rng(5)
    S, A, d, m = 3, 2, 4, 50
    phi = rng.normal(size=(S, A, d))
    p = NeuralSoftmax(phi, m, temperature=0.5, radius=0.3, seed=11)
    assert p.n_params == m * d
    assert np.all(np.abs(p.b) <= 1) and p.alpha0.shape == (m, d)
    again = NeuralSoftmax(phi, m, temperature=0.5, radius=0.3, seed=11)
    assert np.array_equal(p.b, again.b) and np.array_equal(p.alpha0, again.alpha0)
    th = p.theta0 + rng.normal(size=m * d)
    # the energy by its definition, unit by unit
    alpha = th.reshape(m, d)
    f = np.zeros((S, A))
    for i in range(m):
        f += p.b[i] * np.maximum(phi @ alpha[i], 0.0)
    f /= np.sqrt(m)
    np.testing.assert_allclose(p.energy(th), f, atol=1e-12)
    e = np.exp((f - f.max(axis=1, keepdims=True)) / 0.5)
    np.testing.assert_allclose(p.probs(th), e / e.sum(axis=1, keepdims=True), atol=1e-12)
    # projection onto the ball around alpha(0)
    pr = p.project(th)
    assert np.linalg.norm(pr - p.theta0) <= 0.3 * (1 + 1e-12)
    np.testing.assert_allclose(p.project(pr), pr)
    inside = p.theta0 + 0.01 * rng.normal(size=m * d) / np.sqrt(m * d)
    np.testing.assert_allclose(p.project(inside), inside)
    assert p.in_ball(pr) and not p.in_ball(th)
    q = p.with_temperature(2.0)
    assert np.array_equal(q.b, p.b) and q.temperature == 2.0
    with pytest.raises(InvalidParameterError):
        p.probs(LogRational(np.ones(m * d, dtype=int)))


def test_log_rational_pickles_by_value():
    """Reports holding a LogRational point cross process boundaries (proofs_check's workers)."""
    import pickle

    from mdptheory.policies import LogRational

    x = LogRational([[1, 2, F(5, 3)]])
    y = pickle.loads(pickle.dumps(x))
    assert isinstance(y, LogRational) and y.q.tolist() == x.q.tolist()
    with pytest.raises(AttributeError):
        y.q = x.q
