"""Fisher matrices, natural gradients, compatible function approximation, TRPO step.

Every identity is checked against an independently computed side: the dense
Fisher from the scores against the block formula, F^+ grad V (gradient by
implicit differentiation, pseudo-inverse by an exact null-space projection)
against the closed form of Lemma 10.6, and so on.
"""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, evaluate
from mdptheory.exceptions import InvalidParameterError
from mdptheory.geometry import (
    BlockDiagonal,
    compatible_fa,
    fisher,
    natural_gradient,
    npg_closed_form,
    npg_update,
    pinv_solve,
    q_npg_weights,
    softmax_fisher_blocks,
    trpo_step,
)
from mdptheory.gradients import value_gradient
from mdptheory.policies import LogLinear, LogRational, TabularSoftmax
from mdptheory.strategies import mdps, rational_weights


def exact_mdp_and_q(max_states=3, max_actions=3, positive_rho=True):
    return mdps(exact=True, max_states=max_states, max_actions=max_actions, positive_rho=positive_rho,
                rho="random").flatmap(
        lambda m: st.tuples(st.just(m), rational_weights(m.n_states, m.n_actions, max_int=6)))


def small_exact_mdp():
    """A fixed 3-state, 2-action rational MDP with a positive start distribution."""
    P = [[[F(1, 2), F(1, 4), F(1, 4)], [0, 1, 0]],
         [[F(1, 3), 0, F(2, 3)], [F(1, 5), F(2, 5), F(2, 5)]],
         [[0, 0, 1], [F(3, 4), F(1, 4), 0]]]
    r = [[1, 0], [F(1, 2), F(3, 4)], [0, F(1, 3)]]
    return MDP(P, r, F(4, 5), rho=[F(1, 2), F(1, 3), F(1, 6)])


def sq_norm(x):
    return sum((v * v for v in x), F(0))


# ---------------------------------------------------------------- Fisher
@given(exact_mdp_and_q())
def test_structured_fisher_equals_dense_exactly(mq):
    mdp, q = mq
    S, A = mdp.n_states, mdp.n_actions
    param = TabularSoftmax(S, A)
    theta = LogRational(q)
    dense = fisher(mdp, param, theta)
    pi = param.probs(theta)
    d = evaluate(mdp, pi).visitation()
    blocks = softmax_fisher_blocks(pi, d)
    assert dense.dtype == object and blocks.is_exact
    assert (blocks.to_dense() == dense).all()
    # a third route: the parameterization's own E_pi[score score^T] blocks
    assert (param.fisher_blocks(theta, weights=d) == blocks.blocks).all()
    # the Fisher matrix is symmetric positive semidefinite with ker containing each state's 1-vector
    assert (dense == dense.T).all()
    for s in range(S):
        one = np.zeros(S * A, dtype=object)
        one[:] = F(0)
        one[s * A:(s + 1) * A] = F(1)
        assert all(v == 0 for v in dense @ one)


def test_softmax_fisher_blocks_temperature_matches_dense():
    mdp = small_exact_mdp().to_float()
    tau = 0.5
    param = TabularSoftmax(3, 2, temperature=tau)
    theta = np.array([0.3, -0.2, 1.0, 0.1, -0.7, 0.4])
    pi = param.probs(theta)
    ev = evaluate(mdp, pi)
    d = ev.visitation()
    dense = fisher(mdp, param, theta)
    B = softmax_fisher_blocks(pi, d, temperature=tau)
    np.testing.assert_allclose(B.to_dense(), dense, rtol=1e-12, atol=1e-14)
    # block s is d(s)/tau^2 (diag pi - pi pi^T): tau^2 B at tau equals B at tau = 1
    np.testing.assert_allclose(tau ** 2 * B.blocks, softmax_fisher_blocks(pi, d).blocks, rtol=1e-13)
    w = natural_gradient(mdp, param, theta)
    np.testing.assert_allclose(w.reshape(3, 2), npg_closed_form(ev, temperature=tau), rtol=1e-9, atol=1e-11)


def test_block_diagonal_matvec_and_dense():
    B = BlockDiagonal(np.arange(2 * 3 * 3, dtype=float).reshape(2, 3, 3))
    x = np.arange(6, dtype=float) - 2.5
    np.testing.assert_allclose(B @ x, B.to_dense() @ x)
    np.testing.assert_allclose(B @ x.reshape(2, 3), (B.to_dense() @ x).reshape(2, 3))
    with pytest.raises(InvalidParameterError, match="shape"):
        B @ np.zeros(5)


# ---------------------------------------------------------------- pseudo-inverse
@st.composite
def softmax_blocks_with_holes(draw, exact):
    """(pi, d, g) with zero probabilities and zero-visitation states allowed."""
    S = draw(st.integers(1, 4))
    A = draw(st.integers(1, 4))
    w = draw(st.lists(st.lists(st.integers(0, 5), min_size=A, max_size=A), min_size=S, max_size=S))
    w = [row if sum(row) > 0 else [1] + row[1:] for row in w]
    dw = draw(st.lists(st.integers(0, 4), min_size=S, max_size=S))
    if sum(dw) == 0:
        dw[0] = 1
    g = draw(st.lists(st.integers(-5, 5), min_size=S * A, max_size=S * A))
    if exact:
        pi = np.array([[F(x, sum(row)) for x in row] for row in w], dtype=object)
        d = np.array([F(x, sum(dw)) for x in dw], dtype=object)
        g = np.array([F(x) for x in g], dtype=object)
    else:
        pi = np.array([[x / sum(row) for x in row] for row in w])
        d = np.array(dw, dtype=float) / sum(dw)
        g = np.array(g, dtype=float)
    return pi, d, g


@given(softmax_blocks_with_holes(exact=False))
def test_block_pinv_closed_form_is_moore_penrose_float(pdg):
    pi, d, g = pdg
    B = softmax_fisher_blocks(pi, d)
    x = B.pinv_solve(g)
    ref = np.linalg.pinv(B.to_dense(), rcond=1e-10, hermitian=True) @ g
    scale = 1.0 / max(1e-300, float(np.min(np.where(d[:, None] * pi > 0, d[:, None] * pi, np.inf))))
    np.testing.assert_allclose(x, ref, atol=1e-9 * scale * (1 + np.abs(g).max()))
    # the generic batched-eigh path of an unstructured BlockDiagonal agrees
    x2 = BlockDiagonal(B.blocks).pinv_solve(g, rcond=1e-10)
    np.testing.assert_allclose(x2, ref, atol=1e-9 * scale * (1 + np.abs(g).max()))


@given(softmax_blocks_with_holes(exact=True))
def test_block_pinv_closed_form_equals_exact_null_space_projection(pdg):
    pi, d, g = pdg
    B = softmax_fisher_blocks(pi, d)
    x = B.pinv_solve(g)
    generic = BlockDiagonal(B.blocks).pinv_solve(g)  # per-block exact rref route
    dense = pinv_solve(B.to_dense(), g)               # whole-matrix exact rref route
    assert x.dtype == object
    assert (x == generic).all() and (x == dense).all()
    # Penrose characterisation: B x = projection of g on range(B); x orthogonal to ker(B)
    Bx = B @ x
    r = g - Bx
    assert all(v == 0 for v in B @ r)  # residual lies in ker B (= range(B)^perp)


def test_exact_dense_pinv_solve_on_singular_matrix():
    # F = [[1, 1], [1, 1]]: F^+ = F / 4; ker = span(1, -1)
    Fm = np.array([[F(1), F(1)], [F(1), F(1)]], dtype=object)
    g = np.array([F(3), F(1)], dtype=object)
    assert pinv_solve(Fm, g).tolist() == [F(1), F(1)]
    np.testing.assert_allclose(pinv_solve(Fm.astype(float), g.astype(float)), [1.0, 1.0])


# ---------------------------------------------------------------- natural gradient
@given(exact_mdp_and_q())
def test_npg_direction_is_centred_advantage_exactly(mq):
    """Lemma 10.6 with the minimum-norm shift: F^+ grad V = (A - mean_a A)/(1 - gamma)."""
    mdp, q = mq
    S, A = mdp.n_states, mdp.n_actions
    param = TabularSoftmax(S, A)
    theta = LogRational(q)
    w = natural_gradient(mdp, param, theta)
    ev = evaluate(mdp, param.probs(theta))
    assert all(x > 0 for x in ev.visitation())  # positive rho
    closed = npg_closed_form(ev)
    assert w.dtype == object
    assert (w.reshape(S, A) == closed).all()
    # the same through the dense Fisher and the exact whole-matrix pseudo-inverse
    g = value_gradient(mdp, param, theta)
    assert (pinv_solve(fisher(mdp, param, theta), g) == w).all()


def test_pi_weighted_shift_is_a_solution_but_not_minimum_norm():
    mdp = small_exact_mdp()
    param = TabularSoftmax(3, 2)
    theta = LogRational([1, 3, 2, 1, 1, 4])
    ev = evaluate(mdp, param.probs(theta))
    Fd = fisher(mdp, param, theta)
    g = value_gradient(mdp, param, theta)
    lecture = (ev.advantage / (1 - mdp.gamma)).reshape(-1)  # pi-weighted shift c_s = 0
    minimal = natural_gradient(mdp, param, theta)
    assert (Fd @ lecture == g).all() and (Fd @ minimal == g).all()  # both solve F w = grad V
    assert (lecture != minimal).any()
    assert sq_norm(minimal) < sq_norm(lecture)
    # every solution differs from the minimal one by a per-state constant
    diff = (lecture - minimal).reshape(3, 2)
    assert all(row[0] == row[1] for row in diff)


def test_natural_gradient_zero_visitation_state():
    # state 2 is unreachable from rho: its block is 0 and so is its NPG component
    P = [[[F(1, 2), F(1, 2), 0], [0, 1, 0]], [[1, 0, 0], [F(1, 2), F(1, 2), 0]], [[0, 0, 1], [0, 0, 1]]]
    mdp = MDP(P, [[1, 0], [0, 1], [1, 0]], F(1, 2), rho=[F(1, 2), F(1, 2), 0])
    param = TabularSoftmax(3, 2)
    theta = LogRational([1, 2, 3, 1, 1, 5])
    w = natural_gradient(mdp, param, theta).reshape(3, 2)
    ev = evaluate(mdp, param.probs(theta))
    d = ev.visitation()
    assert d[2] == 0
    assert (w == npg_closed_form(ev, d=d)).all()
    assert w[2].tolist() == [0, 0] and (npg_closed_form(ev)[2] != 0).any()


def test_natural_gradient_float_matches_exact():
    mdp = small_exact_mdp()
    param = TabularSoftmax(3, 2)
    q = np.array([1, 3, 2, 1, 1, 4])
    exact = natural_gradient(mdp, param, LogRational(q))
    flt = natural_gradient(mdp.to_float(), param, np.log(q.astype(float)))
    np.testing.assert_allclose(flt, exact.astype(float), rtol=1e-9)


def test_npg_update_is_softmax_step_and_stable():
    mdp = small_exact_mdp().to_float()
    param = TabularSoftmax(3, 2)
    theta = np.array([0.3, -0.2, 1.0, 0.1, -0.7, 0.4])
    ev = evaluate(mdp, param.probs(theta))
    eta = 0.7
    new = npg_update(ev.pi, ev.advantage, eta, mdp.gamma)
    # theta + eta * F^+ grad V: per-state shifts cancel in the softmax
    ref = param.probs(theta + eta * natural_gradient(mdp, param, theta))
    np.testing.assert_allclose(new, ref, rtol=1e-12)
    big = npg_update(ev.pi, 1e6 * ev.advantage, 1e3, 0.99)
    assert np.isfinite(big).all()
    np.testing.assert_allclose(big.sum(axis=1), 1.0)
    # the action with the largest advantage takes all the mass
    assert (big.argmax(axis=1) == ev.advantage.argmax(axis=1)).all()
    zero = npg_update(np.array([[1.0, 0.0]]), np.array([[0.0, 5.0]]), 1.0, 0.5)
    assert zero.tolist() == [[1.0, 0.0]]


# ---------------------------------------------------------------- compatible function approximation
def test_lemmas_11_1_and_11_2_tabular_exact():
    mdp = small_exact_mdp()
    param = TabularSoftmax(3, 2)
    theta = LogRational([1, 3, 2, 1, 1, 4])
    fit = compatible_fa(mdp, param, theta)
    g = value_gradient(mdp, param, theta)
    one_m_g = 1 - mdp.gamma
    assert fit.error == 0  # tabular: the advantage is exactly linear in the score
    assert (fit.w / one_m_g == natural_gradient(mdp, param, theta)).all()      # Lemma 11.2
    assert ((fit.gram @ fit.w) / one_m_g == g).all()                            # Lemma 11.1


def _loglinear_instance():
    mdp = small_exact_mdp()
    phi = np.array([[[1, 0], [0, 1]], [[1, 1], [0, 2]], [[2, 0], [1, 1]]])
    return mdp, LogLinear(phi), LogRational([2, 3])


def test_lemmas_11_1_and_11_2_loglinear_exact():
    """Dense path, nonzero approximation error: the lemmas still hold exactly."""
    mdp, param, theta = _loglinear_instance()
    fit = compatible_fa(mdp, param, theta)
    assert fit.mode == "exact" and fit.error > 0
    g = value_gradient(mdp, param, theta)
    one_m_g = 1 - mdp.gamma
    # Lemma 11.1: grad V = (1-gamma)^{-1} E[score (w* . score)], summed explicitly here
    pi = param.probs(theta)
    sc = param.score(theta)
    d = evaluate(mdp, pi).visitation()
    lhs = sum((d[s] * pi[s, a] * sc[s, a] * sum(sc[s, a] * fit.w) for s in range(3) for a in range(2)),
              np.array([F(0), F(0)], dtype=object)) / one_m_g
    assert (lhs == g).all()
    # Lemma 11.2
    assert (fit.w / one_m_g == natural_gradient(mdp, param, theta)).all()
    # w* minimises the weighted error: perturbations do not decrease it
    nu = (d[:, None] * pi).reshape(-1)
    y = evaluate(mdp, pi).advantage.reshape(-1)
    X = sc.reshape(6, 2)
    for e in ([F(1, 10), 0], [0, F(-1, 7)], [F(1, 3), F(1, 3)]):
        w2 = fit.w + np.array(e, dtype=object)
        err2 = sum(v * (t - sum(x * w2)) ** 2 for v, t, x in zip(nu, y, X))
        assert err2 >= fit.error


def test_q_npg_and_npg_coincide_with_tabular_features():
    """statement F3: with one-hot features the compatible error is 0 and the two updates coincide."""
    mdp = small_exact_mdp()
    phi = np.eye(6, dtype=int).reshape(3, 2, 6)
    param = LogLinear(phi)
    theta = LogRational([1, 3, 2, 1, 1, 4])
    qfit = q_npg_weights(mdp, param, theta)
    afit = compatible_fa(mdp, param, theta)
    assert qfit.error == 0 and afit.error == 0
    ev = evaluate(mdp, param.probs(theta))
    assert (qfit.w.reshape(3, 2) == ev.Q).all()
    # logits w . phi(s, a) differ by a per-state constant: same policy after normalisation
    diff = (qfit.w - afit.w).reshape(3, 2)
    assert all(row[0] == row[1] for row in diff)


def test_compatible_fa_rejects_bad_options():
    mdp, param, theta = _loglinear_instance()
    with pytest.raises(InvalidParameterError, match="target"):
        compatible_fa(mdp, param, theta, target="value")
    with pytest.raises(InvalidParameterError, match="features"):
        compatible_fa(mdp, param, theta, features=np.zeros((2, 2, 1)))
    with pytest.raises(InvalidParameterError, match="features"):
        q_npg_weights(mdp, TabularSoftmax(3, 2), LogRational([1] * 6))
    with pytest.raises(InvalidParameterError, match="exact"):
        fisher(mdp.to_float(), param, theta, mode="exact")


# ---------------------------------------------------------------- TRPO
@given(st.integers(0, 2**32 - 1), st.sampled_from(["half", "lecture"]))
def test_trpo_step_is_optimal_on_the_trust_region(seed, convention):
    rng = np.random.default_rng(seed)
    n, k = 6, 4
    G = rng.normal(size=(k, n))
    Fm = G.T @ G  # rank-deficient PSD
    g = Fm @ rng.normal(size=n)  # in range(F)
    delta = float(rng.uniform(0.01, 2.0))
    step = trpo_step(g, Fm, delta, convention=convention)
    c = 0.5 if convention == "half" else 1.0
    assert c * step @ Fm @ step == pytest.approx(delta, rel=1e-9)
    best = g @ step
    for _ in range(50):
        u = rng.normal(size=n)
        quad = c * u @ Fm @ u
        u = u * np.sqrt(delta / quad)  # on the boundary of the trust region
        assert g @ u <= best * (1 + 1e-9)


def test_trpo_step_exact_constraint_equality_and_conventions():
    mdp = small_exact_mdp()
    param = TabularSoftmax(3, 2)
    theta = LogRational([1, 3, 2, 1, 1, 4])
    pi = param.probs(theta)
    B = softmax_fisher_blocks(pi, evaluate(mdp, pi).visitation())
    g = value_gradient(mdp, param, theta)
    for convention, c in (("half", F(1, 2)), ("lecture", F(1))):
        step = trpo_step(g, B, F(1, 10), convention=convention)
        Fd = B.to_dense()
        quad = sum(step[i] * Fd[i, j] * step[j] for i in range(6) for j in range(6))
        import sympy

        assert sympy.simplify(c * quad - sympy.Rational(1, 10)) == 0
        # the step is a positive multiple of F^+ g
        x = B.pinv_solve(g)
        ratios = {sympy.nsimplify(s / v) for s, v in zip(step, x) if v != 0}
        assert len(ratios) == 1 and next(iter(ratios)) > 0
    # "half" allows twice the quadratic form of "lecture": ratio sqrt(2)
    s_half = trpo_step(g, B, F(1, 10))
    s_lect = trpo_step(g, B, F(1, 10), convention="lecture")
    import sympy

    assert sympy.simplify(s_half[0] / s_lect[0] - sympy.sqrt(2)) == 0


def test_trpo_step_rejects_unbounded_and_bad_arguments():
    Fm = np.array([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(InvalidParameterError, match="range"):
        trpo_step(np.array([1.0, 1.0]), Fm, 0.1)
    Fq = np.array([[F(1), F(0)], [F(0), F(0)]], dtype=object)
    with pytest.raises(InvalidParameterError, match="range"):
        trpo_step(np.array([F(1), F(1)], dtype=object), Fq, F(1, 10))
    with pytest.raises(InvalidParameterError, match="convention"):
        trpo_step(np.array([1.0, 0.0]), Fm, 0.1, convention="full")
    with pytest.raises(InvalidParameterError, match="delta"):
        trpo_step(np.array([1.0, 0.0]), Fm, 0.0)
    assert trpo_step(np.zeros(2), Fm, 0.1).tolist() == [0.0, 0.0]


def test_softmax_fisher_blocks_rejects_bad_input():
    with pytest.raises(InvalidParameterError, match="temperature"):
        softmax_fisher_blocks(np.array([[0.5, 0.5]]), np.array([1.0]), temperature=0.0)
    with pytest.raises(InvalidParameterError, match="shape"):
        softmax_fisher_blocks(np.array([[0.5, 0.5]]), np.array([0.5, 0.5]))
