"""Neural PPO/TRPO: determinism, improvement, the ideal version, schedules, stationary distributions, I checkers."""

from fractions import Fraction

import numpy as np
import pytest

from mdptheory import MDP, evaluate
from mdptheory.algorithms import (ideal_energies, ideal_neural_ppo, neural_ppo, ppo_schedule,
                                  stationary_distribution)
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import random_mdp
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.neural_ppo import (kl_regularized_improvement, neural_ppo_rate, ppo_schedule_identity,
                                     stationary_performance_difference)

F = Fraction


def _mdp():
    return random_mdp(4, 3, gamma=0.9, seed=1)


def test_schedule_exact_named_values():
    betas, taus = ppo_schedule(F(1, 2), 4)
    assert betas == [F(1)] * 4
    assert taus == [F(1), F(1), F(1, 2), F(1, 3), F(1, 4)]
    Qs = [np.array([[F(1), F(3)]], dtype=object), np.array([[F(2), F(-1)]], dtype=object)]
    fs = ideal_energies(Qs, beta=F(1, 2), K=4)
    assert fs[2].tolist() == [[F(3, 2), F(1)]]          # (Q_0 + Q_1)/2 exactly


def test_stationary_distribution_exact_and_float_agree():
    m = MDP.exact([[["1/2", "1/2"], ["1/3", "2/3"]], [["1/4", "3/4"], ["1", "0"]]], [["1", "0"], ["0", "2"]], "9/10")
    pi = np.array([[F(1, 2), F(1, 2)], [F(1, 3), F(2, 3)]], dtype=object)
    nu = stationary_distribution(m, pi)
    P_pi = evaluate(m, pi, mode="exact").P_pi
    assert list(nu @ P_pi) == list(nu) and sum(nu) == 1
    nuf = stationary_distribution(m.to_float(), np.array(pi, dtype=float))
    assert np.allclose(nuf, np.array(nu, dtype=float), atol=1e-12)


def test_neural_ppo_deterministic_and_improves():
    m = _mdp()
    kw = dict(width=32, K=6, beta=0.1, R=5.0, td_steps=150, sgd_steps=150, td_lr=2.0, sgd_lr=2.0, seed=3)
    a, b = neural_ppo(m, **kw), neural_ppo(m, **kw)
    assert np.array_equal(a.float_gaps(), b.float_gaps())
    assert a.float_gaps()[-1] < a.float_gaps()[0]
    assert len(a.extras["eval_error"]) == 6 and all(e >= 0 for e in a.extras["improvement_error"])
    assert a.thetas[0] is None and all(np.isfinite(th).all() for th in a.thetas[1:])
    c = neural_ppo(m, **{**kw, "seed": 4})
    assert not np.array_equal(a.float_gaps(), c.float_gaps())


def test_neural_trpo_respects_trust_region_multiplier():
    m = _mdp()
    res = neural_ppo(m, width=16, K=3, beta=0.1, R=5.0, td_steps=60, sgd_steps=60, td_lr=2.0, sgd_lr=2.0,
                     update="trpo", delta=0.05, seed=0)
    assert res.algorithm == "neural_trpo" and all(b > 0 for b in res.step_sizes)
    with pytest.raises(InvalidParameterError):
        neural_ppo(m, K=1, update="sac")


def test_ideal_neural_ppo_energies_are_averages_and_rate():
    m = _mdp()
    res = ideal_neural_ppo(m, beta=0.25, K=16)
    Qs, fs = res.extras["Q"], res.extras["f"]
    for k in range(16):
        assert np.allclose(fs[k], np.mean(Qs[: k + 1], axis=0), atol=1e-12)
    gaps = res.float_gaps()
    bound = (0.25 ** 2 * np.log(3) + float(np.max(np.abs(m.r))) ** 2 / 2) / ((1 - 0.9) * 0.25 * 4)
    assert gaps[:16].min() <= bound
    assert gaps[-1] < gaps[0]


def test_i_checkers_named_cases_and_broken_statements():
    rng = np.random.default_rng(0)
    Q, f = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    nu = np.array([0.2, 0.3, 0.5])
    assert kl_regularized_improvement(Q, f, 0.5, 2.0, nu).verdict == VERIFIED
    assert kl_regularized_improvement(Q, f, 0.5, 2.0, nu, variant="beta_times_Q").verdict == FALSIFIED
    m = MDP.exact([[["1/2", "1/2"], ["1/3", "2/3"]], [["1/4", "3/4"], ["1/5", "4/5"]]], [["1", "0"], ["0", "2"]],
                  "9/10")
    pi = np.array([[F(1, 2), F(1, 2)], [F(1), F(0)]], dtype=object)
    assert stationary_performance_difference(m, pi).verdict == VERIFIED
    assert stationary_performance_difference(m, pi, variant="drop_horizon").verdict == FALSIFIED
    pis = [pi, np.array([[F(1), F(0)], [F(1, 3), F(2, 3)]], dtype=object)] * 2
    assert ppo_schedule_identity(m, beta=F(1, 2), K=4, pis=pis).verdict == VERIFIED
    assert ppo_schedule_identity(m, beta=F(1, 2), K=4, pis=pis, variant="tau_off_by_one").verdict == FALSIFIED
    rep = neural_ppo_rate(_mdp(), beta=0.5, K=9, sampled=True)
    assert rep.verdict == VERIFIED and "sampled" in rep.details
    assert neural_ppo_rate(random_mdp(3, 2, gamma=0.99, seed=0), beta=0.5, K=4,
                           variant="horizon_in_numerator").verdict == FALSIFIED


# ---------------------------------------------------------------- independent routes of the I checkers
def _misled_mdp():
    """A dense 2-state MDP whose optimal action at state 0 (take r = 1 now) differs from the greedy of r + P V."""
    return MDP.exact([[["1/10", "9/10"], ["9/10", "1/10"]], [["1/2", "1/2"], ["1/2", "1/2"]]],
                     [["1", "0"], ["-1", "-1"]], "1/2")


def test_i3_confirms_pi_star_optimal_by_its_own_route():
    from mdptheory.lemmas.framework import faults

    pi = np.full((2, 2), F(1, 2), dtype=object)
    rep = stationary_performance_difference(_misled_mdp(), pi=pi)
    assert rep.verdict == VERIFIED
    # policy iteration misled by Q = r + P V stops at a non-optimal pi*; the identity itself holds for any
    # policy in place of pi*, so only the optimality confirmation can see it
    with faults.inject("q_without_gamma"):
        bad = stationary_performance_difference(_misled_mdp(), pi=pi)
    assert bad.verdict == FALSIFIED
    parts = {p["part"]: p["verdict"] for p in bad.parts}
    assert [v for k, v in parts.items() if k.startswith("pi* optimal")] == [FALSIFIED]
    assert [v for k, v in parts.items() if k.startswith("L(pi*) - L(pi)")] == [VERIFIED]


@pytest.mark.parametrize("field", ["values", "v_star", "Q", "kl_moved", "policies"])
@pytest.mark.parametrize("check", ["I2", "I4"])
def test_i2_i4_confirm_the_run_record_against_their_own_routes(monkeypatch, field, check):
    """A relative error of 1e-7 in any recorded quantity of the ideal run changes the verdict."""
    import mdptheory.lemmas.neural_ppo as mod

    real = mod.ideal_neural_ppo

    def tampered(*args, **kwargs):
        res = real(*args, **kwargs)
        if field == "v_star":
            res.v_star = res.v_star * (1 + 1e-7)
        elif field == "Q":
            res.extras["Q"] = [Q * (1 + 1e-7) for Q in res.extras["Q"]]
        elif field == "policies":
            res.policies = [res.policies[0]] + [p * (1 + 1e-7) for p in res.policies[1:]]
        else:
            setattr(res, field, [x * (1 + 1e-7) for x in getattr(res, field)])
        return res

    m = random_mdp(3, 2, gamma=0.5, seed=3)
    run = (lambda: ppo_schedule_identity(m, beta=0.5, K=4)) if check == "I2" else \
        (lambda: neural_ppo_rate(m, beta=0.5, K=4))
    assert run().verdict == VERIFIED
    monkeypatch.setattr(mod, "ideal_neural_ppo", tampered)
    assert run().verdict == FALSIFIED


def test_i2_i4_run_that_does_not_move_is_not_undecided():
    """Identical actions: every Q~ is constant over actions, the run never moves (KL moved 0 up to rounding)."""
    P = np.array([[[0.5, 0.5], [0.5, 0.5]], [[0.3, 0.7], [0.3, 0.7]]])
    m = MDP(P, np.array([[1.0, 1.0], [0.0, 0.0]]), 0.9)
    assert neural_ppo_rate(m, beta=0.5, K=4).verdict == VERIFIED
    assert ppo_schedule_identity(m, beta=0.5, K=4).verdict == VERIFIED
