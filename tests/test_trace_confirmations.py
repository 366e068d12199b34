"""The checkers' confirmations of an algorithm's trace and the closed-form softmax routes (issue 12).

Rate checkers (D3, D5, D6, D7, E4) confirm the run they check step by step
against quantities formed in the checker; D4's Hessian cross-check and D7's
gradient norms use the tabular softmax's derivatives in closed form from the
probabilities.  Each comparison is exercised here both ways: it passes on the
library's own output and fails on a relative error of 1e-7 (float) or any
error (exact), and a library fault inside the algorithm changes the verdict of
the statement that runs it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from mdptheory.algorithms import log_barrier_policy_gradient, natural_policy_gradient, softmax_policy_gradient
from mdptheory.families import chain
from mdptheory.gradients import value_gradient
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.framework import faults as F
from mdptheory.lemmas.framework.prologue import new_report
from mdptheory.lemmas.framework.registry import get_statement
from mdptheory.lemmas.framework.routes import (TabularSoftmaxClosedForm, advantage_direct, confirm_ascent_steps,
                                               confirm_npg_steps, confirm_squared_gradient_norms,
                                               softmax_gradient_direct)
from mdptheory.lemmas.framework.runner import run_statement
from mdptheory.lemmas.framework.suite import case_rng, random_case_mdp
from mdptheory.policies import LogRational, TabularSoftmax
from mdptheory import evaluate


def _mdp(i=0, exact=False, gamma=Fraction(9, 10)):
    return random_case_mdp(case_rng(7, "trace", i), exact=exact, max_states=3, gamma=gamma, rho="positive",
                           min_states=2)


def _report(sid="D3"):
    return new_report(get_statement(sid), "float", {"seed": None}, None)


@pytest.mark.parametrize("exact", [False, True])
def test_closed_form_softmax_derivatives_match_the_parameterization(exact):
    rng = np.random.default_rng(3)
    S, A = 2, 3
    p, c = TabularSoftmax(S, A), TabularSoftmaxClosedForm(S, A)
    th = LogRational([[1, 2, 5], [3, 1, 1]]) if exact else rng.normal(size=S * A)
    for name in ("probs", "jacobian", "probs_hessian"):
        a, b = getattr(p, name)(th), getattr(c, name)(th)
        if exact:
            assert a.shape == b.shape and all(x == y for x, y in zip(a.reshape(-1), b.reshape(-1))), name
        else:
            np.testing.assert_allclose(np.asarray(b, dtype=float), a, rtol=0, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("exact", [False, True])
def test_softmax_gradient_direct_and_advantage_direct_match_the_library(exact):
    m = _mdp(1, exact=exact)
    S, A = m.n_states, m.n_actions
    th = LogRational([[k + 1 for k in range(A)]] * S) if exact else np.linspace(-1, 1, S * A)
    param = TabularSoftmax(S, A)
    own = softmax_gradient_direct(m, th, m.rho, "exact" if exact else "float")
    lib = value_gradient(m, param, th, mu=m.rho, mode="exact" if exact else "float")
    pi = param.probs(th)
    adv = advantage_direct(m, pi, "exact" if exact else "float")
    ev = evaluate(m, pi, mode="exact" if exact else "float")
    if exact:
        assert list(own) == list(lib)
        assert (adv == ev.advantage).all()
    else:
        np.testing.assert_allclose(own, lib, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(adv, ev.advantage, rtol=1e-12, atol=1e-13)


def _verdicts(rep):
    return [p["verdict"] for p in rep.parts]


@pytest.mark.parametrize("lam", [None, 0.3])
def test_confirm_ascent_steps_passes_the_run_and_catches_a_relative_error_of_1e_7(lam):
    m = _mdp(2).to_float()
    mu = np.asarray(m.rho, dtype=float)
    eta = (1 - float(m.gamma)) ** 3 / 8
    if lam is None:
        res = softmax_policy_gradient(m, T=20, mu=mu, rho=mu)
    else:
        res = log_barrier_policy_gradient(m, lam=lam, T=20, mu=mu, rho=mu)
        eta = res.options["eta"]
    rep = _report()
    confirm_ascent_steps(rep, m, res.thetas, mu, eta, lam=lam, values=res.extras["value_mu"],
                         grad_norms=res.grad_norms)
    assert _verdicts(rep) == [VERIFIED] * 3
    # one step 1e-7 too long, one value and one norm off by 1e-7 relative
    th = [np.array(t, copy=True) for t in res.thetas]
    th[1] = th[0] + (th[1] - th[0]) * (1 + 1e-7)
    vals = list(res.extras["value_mu"])
    vals[0] *= 1 + 1e-7
    norms = list(res.grad_norms)
    norms[0] *= 1 + 1e-7
    rep = _report()
    confirm_ascent_steps(rep, m, th, mu, eta, lam=lam, values=vals, grad_norms=norms)
    assert _verdicts(rep) == [FALSIFIED] * 3


def test_confirm_ascent_steps_samples_long_runs():
    m = _mdp(3).to_float()
    mu = np.asarray(m.rho, dtype=float)
    res = softmax_policy_gradient(m, T=100, mu=mu, rho=mu)
    rep = _report()
    idx = confirm_ascent_steps(rep, m, res.thetas, mu, (1 - float(m.gamma)) ** 3 / 8, max_checks=10)
    assert idx[0] == 0 and idx[-1] == 99 and len(idx) == 10
    assert _verdicts(rep) == [VERIFIED]


def test_confirm_npg_steps_passes_the_run_and_catches_a_relative_error_of_1e_7():
    m = _mdp(4).to_float()
    res = natural_policy_gradient(m, eta=0.5, T=10)
    rep = _report("E4")
    confirm_npg_steps(rep, m, res.policies, 0.5)
    assert _verdicts(rep) == [VERIFIED]
    pols = [np.array(p, dtype=float, copy=True) for p in res.policies]
    pols[3][0] = pols[3][0] * (1 + 1e-7)
    rep = _report("E4")
    confirm_npg_steps(rep, m, pols, 0.5)
    assert _verdicts(rep) == [FALSIFIED]
    rep = _report("E4")
    confirm_npg_steps(rep, m, res.policies, 0.5 * (1 + 1e-7))  # a step size off by 1e-7
    assert _verdicts(rep) == [FALSIFIED]


@pytest.mark.parametrize("exact", [False, True])
def test_confirm_squared_gradient_norms(exact):
    m = _mdp(5, exact=exact)
    S, A = m.n_states, m.n_actions
    mode = "exact" if exact else "float"
    ths = ([LogRational([[k + 1 for k in range(A)]] * S), LogRational([[1] * A] * S)] if exact
           else [np.linspace(-1, 1, S * A), np.linspace(2, -1, S * A)])
    param = TabularSoftmax(S, A)
    sq = []
    for th in ths:
        g = value_gradient(m, param, th, mu=m.rho, mode=mode)
        sq.append(sum((x * x for x in g), Fraction(0)) if exact else float(np.asarray(g) @ np.asarray(g)))
    rep = _report("D7")
    confirm_squared_gradient_norms(rep, m, ths, m.rho, sq, mode)
    assert _verdicts(rep) == [VERIFIED]
    bad = list(sq)
    bad[1] = bad[1] * (1 + Fraction(1, 10**7) if exact else 1 + 1e-7)
    rep = _report("D7")
    confirm_squared_gradient_norms(rep, m, ths, m.rho, bad, mode)
    assert _verdicts(rep) == [FALSIFIED]


def test_a4_checks_the_returned_q_star_and_pi_star():
    """A4 compares policy iteration's Q* with r + gamma P V* and evaluates pi* itself."""
    st = get_statement("A4")
    with F.inject("q_without_gamma"):
        res = run_statement(st, mode="exact", seed=0, n=2)
    assert res.verdict == FALSIFIED
    rep = st.check(mdp=chain(4, exact=True), mode="exact")
    parts = {p["part"]: p["verdict"] for p in rep.parts}
    assert any(k.startswith("Q* (returned") for k in parts) and set(parts.values()) == {VERIFIED}


@pytest.mark.parametrize("sid,fault", [("D3", "q_without_gamma"), ("D5", "advantage_sign"),
                                       ("D6", "advantage_sign"), ("D7", "bellman_coefficients_without_gamma"),
                                       ("E4", "q_without_gamma"), ("D4", "softmax_jacobian_without_outer")])
def test_a_fault_inside_the_run_or_the_derivative_code_changes_the_verdict(sid, fault):
    st = get_statement(sid)
    with F.inject(fault):
        res = run_statement(st, mode="float", seed=0, n=F.MATRIX_CASES, stop_at_falsified=True)
    assert res.verdict == FALSIFIED


@pytest.mark.parametrize("exact", [False, True])
def test_d4_barrier_hessian_against_its_closed_form(exact):
    from mdptheory.lemmas.softmax import _barrier_cross_check, _barrier_hessian

    m = _mdp(6, exact=exact)
    S, A = m.n_states, m.n_actions
    param = TabularSoftmax(S, A)
    th = LogRational([[k + 1 for k in range(A)]] * S) if exact else np.linspace(-2, 1, S * A)
    lam = Fraction(3, 10) if exact else 0.3
    HB = _barrier_hessian(param, th, lam)
    mode = "exact" if exact else "float"
    rep = new_report(get_statement("D4"), mode, {"seed": None}, None)
    _barrier_cross_check(rep, m, param.probs(th), HB, lam, mode)
    bad = HB * (1 + Fraction(1, 10**7) if exact else 1 + 1e-7)
    _barrier_cross_check(rep, m, param.probs(th), bad, lam, mode)
    assert _verdicts(rep) == [VERIFIED, FALSIFIED]


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("with_mu", [False, True])
def test_confirm_values_passes_the_library_and_catches_a_relative_error_of_1e_7(exact, with_mu):
    from mdptheory.lemmas.framework.routes import confirm_values
    from mdptheory.lemmas.framework.suite import random_case_policy

    mode = "exact" if exact else "float"
    m = _mdp(3, exact=exact, gamma=Fraction(99, 100))
    rng = case_rng(7, "values", 0)
    pis = [random_case_policy(rng, m, exact=exact) for _ in range(3)]
    mu = m.rho if with_mu else None

    def lib(p):
        V = evaluate(m, p, mode=mode).V
        return (np.asarray(mu) * V).sum() if with_mu else V

    rep = new_report(get_statement("G1"), mode, {"seed": None}, None)
    confirm_values(rep, m, pis, [lib(p) for p in pis], mode, mu=mu)
    assert _verdicts(rep) == [VERIFIED]
    scale = Fraction(1) + Fraction(1, 10 ** 7) if exact else 1 + 1e-7
    bad = new_report(get_statement("G1"), mode, {"seed": None}, None)
    confirm_values(bad, m, pis, [lib(pis[0])] + [lib(p) * scale for p in pis[1:]], mode, mu=mu)
    assert _verdicts(bad) == [FALSIFIED]


@pytest.mark.parametrize("sid", ["G1", "H3"])
def test_a_scaled_library_value_changes_the_verdict_of_the_run_checkers(sid):
    st = get_statement(sid)
    with F.inject("value_relative_1e-6"):
        res = run_statement(st, mode="float", seed=0, n=F.MATRIX_CASES, stop_at_falsified=True)
    assert res.verdict == FALSIFIED
