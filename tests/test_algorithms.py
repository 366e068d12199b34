"""Exact-expectation policy-optimization algorithms: optimality, invariants, agreement across routes."""

import json
from fractions import Fraction

import numpy as np
import pytest

from mdptheory import MDP, evaluate
from mdptheory.algorithms import (OptimizationResult, clipped_surrogate, clipped_surrogate_gradient, cpi,
                                  log_barrier_policy_gradient, loglinear_npg, natural_policy_gradient, ppo,
                                  softmax_policy_gradient, trpo)
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import bandit, random_mdp
from mdptheory.optimal import solve
from mdptheory.policies import TabularSoftmax


@pytest.fixture(scope="module")
def small():
    return random_mdp(4, 3, gamma=0.8, seed=3)


def test_softmax_pg_reaches_optimum(small):
    # softmax PG converges at rate O(1/t) (Mei et al. 2020): 1e-8 is out of reach in
    # feasible T, so check the O(1/t) behaviour: t * gap_t stays bounded and gap -> 0
    res = softmax_policy_gradient(small, T=3000, eta=20.0)
    g = res.float_gaps()
    assert g[-1] < 1e-4
    assert 3000 * g[-1] <= 2 * 1500 * g[1500]
    v = res.float_values()
    assert np.all(np.diff(v) >= -1e-12)


def test_softmax_pg_closed_form_equals_implicit(small):
    a = softmax_policy_gradient(small, T=5)
    b = softmax_policy_gradient(small, T=5, gradient="implicit")
    np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.grad_norms, b.grad_norms, rtol=1e-10)


def test_npg_reaches_optimum_and_is_rho_independent(small):
    res = natural_policy_gradient(small, eta=2.0, T=60)
    assert res.gap < 1e-8
    rho2 = np.array([0.7, 0.1, 0.1, 0.1])
    res2 = natural_policy_gradient(small, eta=2.0, T=60, rho=rho2)
    for p, q in zip(res.policies, res2.policies):
        assert np.array_equal(p, q)
    # the gap against V*(rho2) is computed from the same policies
    Vs = np.asarray(solve(small).V, dtype=float)
    assert res2.gap == pytest.approx(float(rho2 @ Vs) - float(rho2 @ evaluate(small, res2.policy).V), abs=1e-12)


def test_npg_closed_form_equals_fisher(small):
    a = natural_policy_gradient(small, eta=0.3, T=6)
    b = natural_policy_gradient(small, eta=0.3, T=6, via="fisher", mu=np.full(4, 0.25))
    for p, q in zip(a.policies, b.policies):
        np.testing.assert_allclose(p, q, atol=1e-10)


def test_npg_log_normalizer_is_kl(small):
    from mdptheory.kl import kl_policy

    res = natural_policy_gradient(small, eta=0.5, T=3)
    for t in range(3):
        kl = np.asarray(kl_policy(res.policies[t], res.policies[t + 1], mode="float"), dtype=float)
        np.testing.assert_allclose(res.extras["log_Z"][t], kl, atol=1e-12)


def test_log_barrier_reaches_stationarity():
    m = random_mdp(3, 2, gamma=0.5, seed=1)
    lam = 0.3
    res = log_barrier_policy_gradient(m, lam=lam, T=5000, gtol=lam / 12)
    assert res.extras["final_grad_norm"][-1] <= lam / 12
    obj = np.asarray(res.extras["objective"])
    assert np.all(np.diff(obj) >= -1e-12)  # eta = 1/beta_lambda: monotone ascent


def test_loglinear_npg_with_tabular_features_matches_tabular_npg(small):
    S, A = small.n_states, small.n_actions
    phi = np.eye(S * A).reshape(S, A, S * A)
    # w* regresses A on the score: w* = A - mean_a A = (1 - gamma) F^+ grad V (Lemma 11.2),
    # so log-linear NPG with step eta is tabular NPG with step eta (1 - gamma)
    a = loglinear_npg(small, phi, eta=0.5, T=5, mu=np.full(S, 1 / S))
    b = natural_policy_gradient(small, eta=0.5 * (1 - small.gamma), T=5)
    for p, q in zip(a.policies, b.policies):
        np.testing.assert_allclose(p, q, atol=1e-9)
    assert max(a.extras["fit_error"]) < 1e-12
    c = loglinear_npg(small, phi, eta=0.5, T=5, update="q_npg", mu=np.full(S, 1 / S))
    for p, q in zip(c.policies, b.policies):
        np.testing.assert_allclose(p, q, atol=1e-9)


def test_cpi_alpha_one_is_policy_iteration_exactly():
    m = random_mdp(4, 3, gamma=Fraction(9, 10), seed=5, exact=True)
    res = cpi(m, T=20, alpha=1)
    assert res.exact and res.gap == 0 and isinstance(res.gap, Fraction)
    assert "optimal" in res.message


def test_cpi_adaptive_exact_monotone():
    m = random_mdp(3, 2, gamma=Fraction(1, 2), seed=2, exact=True)
    res = cpi(m, T=4)
    assert all(isinstance(v, Fraction) for v in res.values)
    vm = res.extras["value_mu"]
    assert all(b >= a for a, b in zip(vm, vm[1:]))
    assert all(0 < a <= 1 for a in res.step_sizes)


def test_trpo_reaches_optimum_and_respects_quadratic_radius(small):
    res = trpo(small, TabularSoftmax(4, 3), delta=0.05, T=150)
    assert res.gap < 1e-8
    q = [x for x, g in zip(res.extras["quadratic_kl"], res.grad_norms) if g > 1e-6]
    np.testing.assert_allclose(q, 0.05, rtol=1e-8)
    ls = trpo(small, TabularSoftmax(4, 3), delta=0.05, T=5, line_search=True)
    assert all(k <= 0.05 + 1e-12 for k in ls.extras["true_kl"])


def test_ppo_reaches_optimum(small):
    # with plain gradient inner steps on the tabular softmax, the ratio of a vanishing
    # action moves by O(pi) per step (the softmax plateau): the rate is sublinear and 1e-8
    # is out of reach in feasible T
    res = ppo(small, TabularSoftmax(4, 3), lr=500.0, T=300)
    assert res.gap < 1e-5
    assert np.all(np.diff(res.float_values()) >= -1e-10)


def test_ppo_clipped_branch_never_gains(small):
    """Pairs on the clipped branch have zero gradient, and the surrogate equals the one with
    the ratio capped on the side that would gain: no objective is gained past 1 +- eps."""
    rng = np.random.default_rng(0)
    param = TabularSoftmax(4, 3)
    eps = 0.2
    theta_old = rng.normal(size=12)
    pi_old = param.probs(theta_old)
    ev = evaluate(small, pi_old)
    d = ev.visitation()
    Adv = ev.advantage
    for _ in range(20):
        theta = theta_old + rng.normal(scale=1.0, size=12)
        pi = param.probs(theta)
        ratio = pi / pi_old
        L = clipped_surrogate(pi, pi_old, Adv, d, eps=eps)
        capped = np.where(Adv > 0, np.minimum(ratio, 1 + eps), np.maximum(ratio, 1 - eps))
        assert L == pytest.approx(float(d @ (pi_old * capped * Adv).sum(axis=1)), abs=1e-12)
        grad, active = clipped_surrogate_gradient(param, theta, pi_old, Adv, d, eps=eps)
        # finite differences of the exact surrogate agree with the gradient (away from kinks)
        h = 1e-6
        fd = np.array([(clipped_surrogate(param.probs(theta + h * e), pi_old, Adv, d, eps=eps)
                        - clipped_surrogate(param.probs(theta - h * e), pi_old, Adv, d, eps=eps)) / (2 * h)
                       for e in np.eye(12)])
        np.testing.assert_allclose(grad, fd, atol=1e-6)
        # pairs on the clipped branch contribute nothing: gradient of their terms alone is zero
        C = np.where(active, d[:, None] * Adv, 0.0)
        full = np.asarray(param.jacobian_vjp(theta, np.where(active, 0.0, d[:, None] * Adv)))
        np.testing.assert_allclose(grad, full, atol=1e-14)
        assert np.any(C != 0) or not active.any()


def test_ppo_inner_steps_do_not_push_ratio_past_clip_for_gain(small):
    res = ppo(small, TabularSoftmax(4, 3), lr=1.0, T=3, inner_steps=50, eps=0.2)
    for t in range(3):
        ev = evaluate(small, res.policies[t])
        ratio = res.policies[t + 1] / res.policies[t]
        # any pair beyond the clip in its improving direction sits on a zero-gradient branch,
        # so its surrogate term is at its cap
        d = ev.visitation()
        L = clipped_surrogate(res.policies[t + 1], res.policies[t], ev.advantage, d, eps=0.2)
        capped = np.where(ev.advantage > 0, np.minimum(ratio, 1.2), np.maximum(ratio, 0.8))
        assert L == pytest.approx(float(d @ (res.policies[t] * capped * ev.advantage).sum(axis=1)), abs=1e-12)


def test_result_as_dict_is_plain_json(small):
    res = cpi(random_mdp(3, 2, gamma=Fraction(1, 2), seed=2, exact=True), T=2)
    d = res.as_dict()
    json.dumps(d)
    res2 = natural_policy_gradient(small, eta=1.0, T=3)
    d2 = res2.as_dict()
    json.dumps(d2)
    assert d2["n_iter"] == 3 and len(d2["values"]) == 4 and len(d2["kl_moved"]) == 3
    assert isinstance(d2["policies"][0][0][0], float)


def test_progress_callback(small):
    seen = []
    softmax_policy_gradient(small, T=4, progress=lambda t, r: seen.append((t, r.n_iter)))
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)]


@pytest.mark.parametrize("kw", [{"T": -1}, {"T": 2, "eta": -1.0}, {"T": 2, "mu": [1.0, 0.0]}, {"T": 2, "progress": "x"}])
def test_bad_options(small, kw):
    with pytest.raises(InvalidParameterError):
        softmax_policy_gradient(small, **kw)


def test_bad_options_other():
    m = bandit([1.0, 0.0])
    with pytest.raises(InvalidParameterError):
        natural_policy_gradient(m, eta=1.0, T=1, via="newton")
    with pytest.raises(InvalidParameterError):
        cpi(m, T=1, alpha=1.5)
    with pytest.raises(InvalidParameterError):
        ppo(m, TabularSoftmax(1, 2), T=1, lr=1.0, eps=1.5)


# ---------------------------------------------------------------- the per-iteration fast paths
# Every run validates its inputs once and then works on unchecked arrays, one evaluation per
# iteration.  The traces must equal what the public, validating functions give on the recorded
# iterates.

def _count_evaluations(monkeypatch):
    """Count every PolicyEvaluation built, by any route (algorithms, geometry, gradients)."""
    from mdptheory import PolicyEvaluation

    calls = []
    real = PolicyEvaluation.__init__

    def counting(self, *args, **kw):
        calls.append(1)
        real(self, *args, **kw)

    monkeypatch.setattr(PolicyEvaluation, "__init__", counting)
    return calls


def test_npg_trace_matches_public_routes(small):
    from mdptheory.geometry import npg_closed_form, npg_update
    from mdptheory.kl import kl_policy
    from mdptheory.algorithms import npg_log_normalizer

    rho2 = np.array([0.1, 0.2, 0.3, 0.4])
    eta, g = 0.7, small.gamma
    res = natural_policy_gradient(small, eta=eta, T=4, rho=rho2)
    for t in range(4):
        pi, nxt = res.policies[t], res.policies[t + 1]
        ev = evaluate(small, pi)
        np.testing.assert_allclose(nxt, npg_update(pi, ev.advantage, eta, g), rtol=0, atol=1e-15)
        np.testing.assert_allclose(res.extras["log_Z"][t], npg_log_normalizer(pi, ev.advantage, eta, g), atol=1e-14)
        kl = np.asarray(kl_policy(nxt, pi, mode="float"), dtype=float)
        assert res.kl_moved[t] == pytest.approx(float(ev.visitation(rho2) @ kl), rel=1e-12, abs=1e-300)
        assert res.kl_moved_max[t] == pytest.approx(float(kl.max()), rel=1e-12)
        assert res.grad_norms[t] == pytest.approx(float(np.linalg.norm(npg_closed_form(ev))), rel=1e-12)
        # theta moves by eta A / (1 - gamma) (Lemma 10.6)
        np.testing.assert_allclose(res.thetas[t + 1] - res.thetas[t], eta * ev.advantage.reshape(-1) / (1 - g),
                                   atol=1e-12)


def test_npg_closed_form_keeps_zero_actions_at_zero(small):
    from mdptheory.geometry import npg_update

    pi0 = np.array([[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    theta0 = np.log(np.where(pi0 > 0, pi0, 1e-300)).reshape(-1)  # pi = 0 only up to 1e-300
    res = natural_policy_gradient(small, eta=1.0, T=2, theta0=theta0)
    ev = evaluate(small, res.policies[0])
    np.testing.assert_allclose(res.policies[1], npg_update(res.policies[0], ev.advantage, 1.0, small.gamma),
                               atol=1e-15)


def test_softmax_pg_trace_matches_public_routes(small):
    from mdptheory.gradients import value_gradient
    from mdptheory.kl import kl_policy

    mu = np.array([0.4, 0.3, 0.2, 0.1])
    rho2 = np.full(4, 0.25)
    param = TabularSoftmax(4, 3)
    res = softmax_policy_gradient(small, T=4, eta=2.0, mu=mu, rho=rho2)
    lam = 0.2
    lb = log_barrier_policy_gradient(small, lam=lam, T=3, mu=mu)
    for t in range(4):
        th = res.thetas[t]
        np.testing.assert_allclose(res.policies[t], param.probs(th), rtol=0, atol=1e-16)
        grad = np.asarray(value_gradient(small, param, th, mu=mu, mode="float"), dtype=float)
        np.testing.assert_allclose(res.thetas[t + 1] - th, 2.0 * grad, atol=1e-12)
        assert res.grad_norms[t] == pytest.approx(float(np.linalg.norm(grad)), rel=1e-10)
        kl = np.asarray(kl_policy(res.policies[t + 1], res.policies[t], mode="float"), dtype=float)
        d = evaluate(small, res.policies[t]).visitation(rho2)
        assert res.kl_moved[t] == pytest.approx(float(d @ kl), rel=1e-12)
    for t in range(4):
        th = lb.thetas[t]
        v_mu = float(mu @ evaluate(small, param.probs(th)).V)
        assert lb.extras["objective"][t] == pytest.approx(v_mu + lam / 12 * float(param.log_probs(th).sum()),
                                                          rel=1e-13)


def test_loglinear_npg_weights_match_compatible_fa(small):
    from mdptheory.geometry import compatible_fa, q_npg_weights
    from mdptheory.policies import LogLinear

    phi = np.random.default_rng(4).normal(size=(4, 3, 3))
    param = LogLinear(phi)
    mu = np.array([0.4, 0.3, 0.2, 0.1])
    for update, ref in (("npg", compatible_fa), ("q_npg", q_npg_weights)):
        res = loglinear_npg(small, phi, eta=0.5, T=3, update=update, mu=mu)
        for t in range(3):
            fit = ref(small, param, res.thetas[t], mu=mu, mode="float")
            np.testing.assert_allclose(res.extras["w"][t], fit.w, rtol=1e-10, atol=1e-13)
            assert res.extras["fit_error"][t] == pytest.approx(float(fit.error), rel=1e-9, abs=1e-15)


def test_trpo_trace_matches_public_routes(small):
    from mdptheory.geometry import compatible_fa
    from mdptheory.kl import kl_policy

    mu = np.array([0.4, 0.3, 0.2, 0.1])
    param = TabularSoftmax(4, 3)
    for line_search in (False, True):
        res = trpo(small, param, delta=0.5, T=4, mu=mu, line_search=line_search)
        for t in range(4):
            fit = compatible_fa(small, param, res.thetas[t], mu=mu, mode="float")
            g = np.asarray(fit.moment, dtype=float) / (1 - small.gamma)
            assert res.grad_norms[t] == pytest.approx(float(np.linalg.norm(g)), rel=1e-10)
            d = evaluate(small, res.policies[t]).visitation(mu)
            kl = np.asarray(kl_policy(res.policies[t], res.policies[t + 1], mode="float"), dtype=float)
            assert res.extras["true_kl"][t] == pytest.approx(float(d @ kl), rel=1e-12)
        if line_search:
            assert all(k <= 0.5 + 1e-12 for k in res.extras["true_kl"])
            vm = [float(mu @ evaluate(small, p).V) for p in res.policies]
            assert all(b >= a - 1e-15 for a, b in zip(vm, vm[1:]))


def test_trpo_stops_on_an_overflowing_step():
    # pi(a_2) = e^-720 is subnormal: g and F are at rounding level, and the normalised step
    # sqrt(2 delta / g'F^+g) F^+g overflows; the run stops and says so instead of raising
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = trpo(bandit([1.0, 0.0]), TabularSoftmax(1, 2), delta=0.1, T=3, theta0=[0.0, -720.0])
    assert not res.success and "non-finite" in res.message
    assert res.n_iter == 0 and len(res.policies) == 1


def test_ppo_trace_matches_public_surrogate(small):
    mu = np.array([0.4, 0.3, 0.2, 0.1])
    param = TabularSoftmax(4, 3)
    res = ppo(small, param, lr=2.0, T=3, inner_steps=4, mu=mu)
    for t in range(3):
        pi, nxt = res.policies[t], res.policies[t + 1]
        ev = evaluate(small, pi)
        d = ev.visitation(mu)
        assert res.extras["surrogate"][t] == pytest.approx(
            clipped_surrogate(nxt, pi, ev.advantage, d, eps=0.2), rel=1e-12, abs=1e-15)
        g0, _ = clipped_surrogate_gradient(param, res.thetas[t], pi, ev.advantage, d, eps=0.2)
        assert res.grad_norms[t] == pytest.approx(float(np.linalg.norm(g0)), rel=1e-12)


def test_cpi_steps_are_mixtures_with_the_greedy_policy():
    from mdptheory.policies import greedy_policy

    m = random_mdp(4, 3, gamma=0.8, seed=7)
    res = cpi(m, T=5, alpha=0.3)
    for t in range(res.n_iter):
        ev = evaluate(m, res.policies[t])
        G = greedy_policy(m, ev.advantage)
        np.testing.assert_allclose(res.policies[t + 1], 0.7 * res.policies[t] + 0.3 * G, atol=1e-15)
        best = ev.advantage.max(axis=1)
        assert res.extras["advantage_gap"][t] == pytest.approx(float(ev.visitation() @ best), rel=1e-12)
    me = random_mdp(3, 2, gamma=Fraction(1, 2), seed=2, exact=True)
    ex = cpi(me, T=3, alpha=Fraction(1, 3))
    for p in ex.policies:
        assert all(isinstance(x, Fraction) for x in p.flat)
        assert all(sum(row, Fraction(0)) == 1 for row in p)


@pytest.mark.parametrize("name", ["npg", "ga", "loglinear", "trpo", "trpo_ls", "ppo"])
def test_one_evaluation_per_iteration(small, monkeypatch, name):
    from mdptheory.policies import LogLinear

    calls = _count_evaluations(monkeypatch)
    T = 4
    run = {
        "npg": lambda: natural_policy_gradient(small, eta=1.0, T=T),
        "ga": lambda: softmax_policy_gradient(small, T=T, mu=np.full(4, 0.25)),
        "loglinear": lambda: loglinear_npg(small, np.eye(12).reshape(4, 3, 12), eta=0.5, T=T),
        "trpo": lambda: trpo(small, TabularSoftmax(4, 3), delta=0.05, T=T),
        # accepted on the first try (small radius): the line search's evaluation is reused
        "trpo_ls": lambda: trpo(small, TabularSoftmax(4, 3), delta=1e-4, T=T, line_search=True),
        "ppo": lambda: ppo(small, TabularSoftmax(4, 3), lr=1.0, T=T, inner_steps=3),
    }[name]
    res = run()
    assert res.n_iter == T
    assert len(calls) == T + 1


def test_result_as_dict_keeps_huge_rationals():
    big = Fraction(1, 7**6000)  # a 5,000-digit denominator: beyond str(int)'s default limit
    res = OptimizationResult("x", exact=True, v_star=big, rho=np.array([Fraction(1)], dtype=object))
    res._record_iterate(np.array([[Fraction(1)]], dtype=object), big)
    from flint import fmpz

    d = res.as_dict()
    s = json.dumps(d)
    num, den = d["values"][0].split("/")
    assert Fraction(int(fmpz(num)), int(fmpz(den))) == big and d["gaps"][0] == 0 and len(s) > 5000


def test_bad_exact_distribution_names_the_entry():
    m = random_mdp(3, 2, gamma=Fraction(1, 2), seed=2, exact=True)
    with pytest.raises(InvalidParameterError, match=r"mu\[1\] = -1/4 < 0"):
        cpi(m, T=1, mu=[Fraction(1), Fraction(-1, 4), Fraction(1, 4)])
    with pytest.raises(InvalidParameterError, match="sums to 7/8"):
        cpi(m, T=1, rho=[Fraction(1, 2), Fraction(1, 4), Fraction(1, 8)])


class _DenseRoute:
    """A TabularSoftmax seen through its generic interface only (probs, score, jacobian_vjp), so that
    the algorithms take their dense (S*A, S*A) Fisher / per-step validated routes."""

    def __init__(self, param):
        self._p = param
        self.n_params = param.n_params
        self.temperature = param.temperature

    def probs(self, theta):
        return self._p.probs(theta)

    def score(self, theta):
        return self._p.score(theta)

    def jacobian_vjp(self, theta, C):
        return self._p.jacobian_vjp(theta, C)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("tau", [1.0, 0.5])
@pytest.mark.parametrize("kw", [{}, {"line_search": True}, {"convention": "lecture"}, {"mu": "skewed"}])
def test_trpo_tabular_block_route_equals_dense_fisher(seed, tau, kw):
    # the block-diagonal closed form F^+ g and the dense (SA)x(SA) Fisher with eigh give the same iterates
    # to rounding, while the policy stays away from pi ~ eps (where eigh truncates the Fisher's rank)
    S, A = 5, 3
    m = random_mdp(S, A, gamma=0.9, seed=seed)
    kw = dict(kw)
    if kw.get("mu") == "skewed":
        kw["mu"] = np.arange(1, S + 1) / (S * (S + 1) / 2)
    p = TabularSoftmax(S, A, temperature=tau)
    th0 = np.random.default_rng(seed).normal(scale=0.5, size=S * A)
    fast = trpo(m, p, delta=0.01, T=6, theta0=th0, **kw)
    dense = trpo(m, _DenseRoute(p), delta=0.01, T=6, theta0=th0, **kw)
    assert fast.success and dense.success
    np.testing.assert_allclose(np.array(fast.thetas), np.array(dense.thetas), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.grad_norms, dense.grad_norms, rtol=1e-10)
    np.testing.assert_allclose(fast.step_sizes, dense.step_sizes, rtol=1e-10)
    for key in ("quadratic_kl", "true_kl"):
        np.testing.assert_allclose(fast.extras[key], dense.extras[key], rtol=1e-9, atol=1e-15)


def test_trpo_tabular_one_step_from_many_points_equals_dense_fisher():
    rng = np.random.default_rng(7)
    for k in range(20):
        S, A = int(rng.integers(1, 6)), int(rng.integers(2, 5))
        m = random_mdp(S, A, gamma=float(rng.uniform(0.1, 0.95)), seed=k)
        p = TabularSoftmax(S, A)
        th0 = rng.normal(scale=2.0, size=S * A)
        delta = float(rng.uniform(1e-3, 1.0))
        fast = trpo(m, p, delta=delta, T=1, theta0=th0)
        dense = trpo(m, _DenseRoute(p), delta=delta, T=1, theta0=th0)
        np.testing.assert_allclose(fast.thetas[1], dense.thetas[1], rtol=1e-10, atol=1e-10)
        # the quadratic model sits on the trust-region boundary: 1/2 step' F step = delta
        assert fast.extras["quadratic_kl"][0] == pytest.approx(delta, rel=1e-9)


def test_trpo_tabular_never_forms_the_dense_score(small, monkeypatch):
    def no_score(self, theta):
        raise AssertionError("the tabular TRPO route must not build the dense score")

    monkeypatch.setattr(TabularSoftmax, "score", no_score)
    res = trpo(small, TabularSoftmax(4, 3), delta=0.05, T=3)
    assert res.success and res.n_iter == 3


@pytest.mark.parametrize("tau", [1.0, 0.5])
@pytest.mark.parametrize("inner", [1, 4, 10])
def test_ppo_tabular_inner_steps_equal_generic_route(tau, inner):
    # the array-level inner loop performs the operations of param.probs / param.jacobian_vjp
    for seed in range(3):
        m = random_mdp(5, 3, gamma=0.9, seed=seed)
        p = TabularSoftmax(5, 3, temperature=tau)
        th0 = np.random.default_rng(seed).normal(size=15)
        mu = np.arange(1, 6) / 15.0
        fast = ppo(m, p, lr=20.0, T=5, theta0=th0, inner_steps=inner, eps=0.1, mu=mu)
        slow = ppo(m, _DenseRoute(p), lr=20.0, T=5, theta0=th0, inner_steps=inner, eps=0.1, mu=mu)
        np.testing.assert_allclose(np.array(fast.thetas), np.array(slow.thetas), rtol=0, atol=1e-13)
        np.testing.assert_allclose(fast.grad_norms, slow.grad_norms, rtol=1e-13)
        for key in ("surrogate", "clipped_fraction", "max_ratio", "min_ratio"):
            np.testing.assert_allclose(fast.extras[key], slow.extras[key], rtol=1e-12, atol=1e-15)
        if inner > 1:
            assert max(fast.extras["clipped_fraction"]) > 0  # the clipped branch is exercised

