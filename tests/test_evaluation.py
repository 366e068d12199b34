r"""Invariants of policy evaluation on generated MDPs and policies (statement A1, A2).

Exact mode is checked with no tolerance.  Float results are compared with the
exact ones under a tolerance derived from conditioning:
:math:`\kappa_\infty(I - \gamma P^\pi) \le (1+\gamma)/(1-\gamma)` and
:math:`\|V\|_\infty \le \max|r| / (1-\gamma)`, so backward-stable LU plus the
rounding of the inputs gives

.. math:: \|V_{float} - V\|_\infty \le 50\, S\, \varepsilon \frac{1+\gamma}{(1-\gamma)^2} \max|r|.
"""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from flint import arb, ctx, fmpq
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, ConvergenceWarning, InvalidParameterError, evaluate, uniform_policy
from mdptheory.strategies import distributions, mdp_and_policy, policies

EPS = np.finfo(float).eps


def _v_tol(mdp):
    g = float(mdp.gamma)
    rmax = max(float(np.max(np.abs(np.asarray(mdp.r, dtype=float)))), 1e-300)
    return 50 * mdp.n_states * EPS * (1 + g) / (1 - g) ** 2 * rmax


def _d_tol(mdp):
    g = float(mdp.gamma)
    return 50 * mdp.n_states * EPS * (1 + g) / (1 - g)


def _is_fraction_array(a):
    return all(isinstance(x, Fraction) for x in np.asarray(a).flat)


# ------------------------------------------------------------------ exact Bellman equations
@given(mdp_and_policy(exact=True, max_states=5, reward_range=(-1, 1)))
def test_exact_bellman_equations_hold_exactly(mp):
    mdp, pi = mp
    ev = evaluate(mdp, pi)
    assert ev.mode == "exact"
    for a in (ev.V, ev.Q, ev.advantage, ev.P_pi, ev.r_pi):
        assert _is_fraction_array(a)
    g, P, r = mdp.gamma, mdp.P, mdp.r
    # P_pi and r_pi from their definitions
    assert (ev.P_pi == np.einsum("sat,sa->st", P, pi)).all()
    assert (ev.r_pi == (pi * r).sum(axis=1)).all()
    # V = r_pi + gamma P_pi V, Q = r + gamma P V, V = sum_a pi Q, sum_a pi A = 0: residual exactly zero
    assert (ev.V - ev.r_pi - g * ev.P_pi.dot(ev.V) == 0).all()
    assert (ev.Q - r - g * np.einsum("sat,t->sa", P, ev.V) == 0).all()
    assert (ev.V == (pi * ev.Q).sum(axis=1)).all()
    assert ((pi * ev.advantage).sum(axis=1) == 0).all()
    assert (ev.advantage == ev.Q - ev.V[:, None]).all()
    # |V| <= max|r| / (1 - gamma)
    rmax = max(abs(x) for x in r.flat)
    assert all(abs(v) <= rmax / (1 - g) for v in ev.V)


@given(mdp_and_policy(exact=True, max_states=4, min_prob=0), st.data())
def test_exact_visitation_and_occupancy(mp, data):
    mdp, pi = mp
    g = mdp.gamma
    mu = data.draw(distributions(mdp.n_states, exact=True))
    ev = evaluate(mdp, pi)
    d = ev.visitation(mu)
    assert _is_fraction_array(d)
    assert sum(d) == 1
    assert all(ds >= (1 - g) * m for ds, m in zip(d, mu))
    # d = (1 - gamma) mu + gamma d P_pi  (transposed Bellman equation)
    assert (d - (1 - g) * mu - g * ev.P_pi.T.dot(d) == 0).all()
    nu = ev.occupancy(mu)
    assert (nu == d[:, None] * pi).all()
    # flow constraint: sum_a nu(s, a) = (1 - gamma) mu(s) + gamma sum_{s', a'} P(s | s', a') nu(s', a')
    inflow = np.einsum("sat,sa->t", mdp.P, nu)
    assert (nu.sum(axis=1) == (1 - g) * mu + g * inflow).all()
    # V(mu) = (1 - gamma)^{-1} E_nu[r]
    assert ev.value(mu) == (nu * mdp.r).sum() / (1 - g)
    assert ev.value(mu) == sum(m * v for m, v in zip(mu, ev.V))
    # default start distribution is the MDP's rho
    assert (ev.visitation() == ev.visitation(mdp.rho)).all()


def test_textbook_two_state_values():
    # s0 -> (1/2 stay, 1/2 go to absorbing s1), reward 1 in s0: V(s0) = 1 / (1 - gamma/2)
    m = MDP.exact([[["1/2", "1/2"]], [[0, 1]]], [[1], [0]], "9/10")
    ev = evaluate(m, [[1], [1]])
    assert ev.V.tolist() == [Fraction(1) / (1 - Fraction(9, 20)), 0]
    # d_mu with mu = e_0: d(s0) = (1 - gamma) / (1 - gamma/2)
    d = ev.visitation([1, 0])
    assert d[0] == Fraction(1, 10) / Fraction(11, 20) and sum(d) == 1


@given(mdp_and_policy(exact=True, max_states=1, max_actions=3))
def test_single_state_closed_form(mp):
    mdp, pi = mp
    ev = evaluate(mdp, pi)
    assert ev.V[0] == (pi[0] * mdp.r[0]).sum() / (1 - mdp.gamma)
    assert ev.visitation()[0] == 1


# ------------------------------------------------------------------ float vs sparse vs exact
@given(mdp_and_policy(exact=True, max_states=6, reward_range=(-1, 1), gamma=(0, 0.95)))
def test_dense_sparse_exact_agree_within_conditioning_tolerance(mp):
    mdp, pi = mp
    ex = evaluate(mdp, pi)
    V = np.asarray(ex.V, dtype=float)
    Q = np.asarray(ex.Q, dtype=float)
    d = np.asarray(ex.visitation(), dtype=float)
    pi_f = np.asarray(pi, dtype=float)
    tv, td = _v_tol(mdp), _d_tol(mdp)
    dense = evaluate(mdp.to_float(), pi_f)
    sparse = evaluate(mdp.to_sparse(), pi_f)
    mixed = evaluate(mdp, pi_f)  # exact MDP, float policy: float mode
    for ev in (dense, sparse, mixed):
        assert ev.mode == "float"
        assert np.max(np.abs(ev.V - V)) <= tv
        assert np.max(np.abs(ev.Q - Q)) <= tv
        assert np.max(np.abs(ev.visitation() - d)) <= td
    assert dense.solver == "lapack-lu" and sparse.solver == "splu"


@given(mdp_and_policy(max_states=6, reward_range=(-1, 1), rho="random"))
def test_float_invariants(mp):
    mdp, pi = mp
    ev = evaluate(mdp, pi)
    g = mdp.gamma
    tv, td = _v_tol(mdp), _d_tol(mdp)
    assert np.max(np.abs(ev.V - ev.r_pi - g * ev.P_pi @ ev.V)) <= tv
    assert np.max(np.abs((pi * ev.advantage).sum(axis=1))) <= tv
    d = ev.visitation()
    assert abs(d.sum() - 1) <= td
    assert (d >= (1 - g) * mdp.rho - td).all()


# ------------------------------------------------------------------ ball mode
@given(mdp_and_policy(exact=True, max_states=4, gamma=(0, 0.95), reward_range=(-1, 1)))
def test_ball_mode_encloses_the_exact_values(mp):
    mdp, pi = mp
    ex = evaluate(mdp, pi)
    ball = evaluate(mdp, pi, mode="ball")
    assert ball.mode == "ball"
    old = ctx.prec
    ctx.prec = 2000  # the exact values below are converted at this precision: radius ~ 2^-2000
    try:
        for b_arr, e_arr in ((ball.V, ex.V), (ball.Q, ex.Q), (ball.visitation(), ex.visitation())):
            for b, e in zip(np.asarray(b_arr).flat, np.asarray(e_arr).flat):
                assert isinstance(b, arb)
                assert b.contains(fmpq(e.numerator, e.denominator)), (b, e)
                assert b.rad() < 1e-30  # and the ball is tight at 170 bits
    finally:
        ctx.prec = old


# ------------------------------------------------------------------ Krylov error bound
@given(mdp_and_policy(exact=True, min_states=3, max_states=8, gamma=(0.5, 0.95), reward_range=(-1, 1)),
       st.sampled_from([None, 1e-4, 1e-8]))
def test_krylov_error_bound_bounds_the_true_error(mp, tol):
    mdp, pi = mp
    ex = np.asarray(evaluate(mdp, pi).V, dtype=float)
    with warnings.catch_warnings():  # a loose tol may stop early: the bound must still hold
        warnings.simplefilter("ignore", ConvergenceWarning)
        ev = evaluate(mdp.to_sparse(), np.asarray(pi, dtype=float), method="krylov", tol=tol)
    assert ev.solver in ("bicgstab", "gmres")
    assert ev.error_bound is not None and ev.residual is not None
    assert ev.error_bound == pytest.approx(ev.residual / (1 - float(mdp.gamma)))
    err = np.max(np.abs(ev.V - ex))
    # the certificate covers the float problem; the rounding of P, r and pi adds at most _v_tol
    assert err <= ev.error_bound + _v_tol(mdp)


# ------------------------------------------------------------------ modes
def test_exact_mode_with_float_inputs_raises():
    mq = MDP.exact([[["1/2", "1/2"]], [[0, 1]]], [[1], [0]], "1/2")
    mf = mq.to_float()
    with pytest.raises(InvalidParameterError, match="the MDP holds floats"):
        evaluate(mf, uniform_policy(mq), mode="exact")
    with pytest.raises(InvalidParameterError, match="the policy holds floats"):
        evaluate(mq, np.ones((2, 1)), mode="exact")
    with pytest.raises(InvalidParameterError, match="mode"):
        evaluate(mq, uniform_policy(mq), mode="interval")
    with pytest.raises(InvalidParameterError, match="method"):
        evaluate(mf, uniform_policy(mf), method="cholesky")


@given(mdp_and_policy(exact=True, max_states=3), st.data())
def test_exact_policy_on_exact_mdp_defaults_to_exact(mp, data):
    mdp, pi = mp
    assert evaluate(mdp, pi).mode == "exact"
    pf = data.draw(policies(mdp, exact=False))
    assert evaluate(mdp, pf).mode == "float"
