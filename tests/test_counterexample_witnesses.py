"""Minimal, honest, readable witnesses: structural minimisation, confirmation labels, reports that
survive a file, describe() and a pasteable repr."""

from fractions import Fraction

import numpy as np
import pytest

from mdptheory import MDP, evaluate, solve
from mdptheory.counterexamples.evidence import (EXACT, FLOAT_ON_RATIONAL, claim_report, report_from_data,
                                                report_to_data)
from mdptheory.counterexamples.minimize import is_state_minimal, minimize_case, simpler_rationals
from mdptheory.exceptions import InvalidParameterError
from mdptheory.lemmas.framework.report import CheckReport
from mdptheory.counterexamples import Case, Counterexample, find_counterexample, load_counterexample

HALF, NINE = Fraction(1, 2), Fraction(9, 10)


def _with_gamma(mdp, g):
    return mdp.with_gamma(g if mdp.is_exact else float(g))


def optimal_at_half_is_optimal_at_nine_tenths(case):
    """The optimal policy at gamma = 1/2 is optimal at gamma = 9/10 (both sides reported)."""
    m9 = _with_gamma(case.mdp, NINE)
    pi_half = solve(_with_gamma(case.mdp, HALF)).pi
    return claim_report(solve(m9).V, evaluate(m9, pi_half).V, relation="==", name="optimal_at_half_and_nine",
                        text="V*_{9/10} == V^{pi*_{1/2}}_{9/10}")


def optimal_visitation_dominates(case):
    """d_rho^{pi*} >= d_rho^pi componentwise (a boolean property)."""
    m = case.mdp
    ds, d = evaluate(m, solve(m).pi).visitation(), evaluate(m, case.pi).visitation()
    if m.is_exact:
        return bool(all(ds >= d))
    return bool(np.all(np.asarray(ds, dtype=float) >= np.asarray(d, dtype=float) - 1e-9))


@pytest.fixture(scope="module")
def half_witness():
    # (no timing assertion: speed is measured in benchmarks/, not in tests)
    return find_counterexample(optimal_at_half_is_optimal_at_nine_tenths, budget=200, seed=0), None


def test_optimal_at_half_gives_a_two_state_witness(half_witness):
    ce = half_witness[0]
    assert ce.found and ce.n_states == 2 and ce.state_minimal and ce.confirmation == EXACT
    assert ce.size_found[0] > 2                                 # Hypothesis alone stopped bigger
    rep = optimal_at_half_is_optimal_at_nine_tenths(ce.case)    # recheck independently
    assert rep.verdict == "FALSIFIED" and rep.mode == "exact"
    assert is_state_minimal(optimal_at_half_is_optimal_at_nine_tenths, ce.case)


def test_the_issue_two_state_witness_is_state_minimal():
    m = MDP.exact(P=[[[1, 0], [0, 1]], [[0, 1], [0, 1]]], r=[["3/4", 0], [1, 1]], gamma="1/2")
    case = Case(m)
    assert optimal_at_half_is_optimal_at_nine_tenths(case).verdict == "FALSIFIED"
    assert is_state_minimal(optimal_at_half_is_optimal_at_nine_tenths, case)
    res = minimize_case(optimal_at_half_is_optimal_at_nine_tenths, case)
    assert res.size_after == (2, 2) and res.state_minimal


def test_optimal_visitation_gives_a_two_state_witness():
    ce = find_counterexample(optimal_visitation_dominates, budget=200, seed=0)
    assert ce.found and ce.n_states == 2 and ce.state_minimal
    # a boolean property shows no arithmetic: the label does not claim "exact"
    assert ce.confirmation == FLOAT_ON_RATIONAL and not ce.exact
    assert isinstance(ce.evidence, CheckReport) and ce.evidence.verdict == "FALSIFIED"
    assert not optimal_visitation_dominates(ce.case)


def test_a_declared_exact_boolean_property_is_labelled_exact(half_witness):
    from mdptheory.counterexamples.evidence import BALL, confirmation_label

    def prop(case):
        return optimal_visitation_dominates(case)

    case = half_witness[0].case
    assert confirmation_label(False, prop, case) == FLOAT_ON_RATIONAL
    prop.arithmetic = "exact"
    assert confirmation_label(False, prop, case) == EXACT
    prop.arithmetic = "ball"
    assert confirmation_label(False, prop, case) == BALL
    prop.arithmetic = "sometimes"
    with pytest.raises(InvalidParameterError):
        confirmation_label(False, prop, case)
    # a report whose compared values are floats is not "exact", even in an exact-mode report
    rep = claim_report(0.5, 0.25)
    assert rep.mode == "float" and confirmation_label(rep, None, case) == FLOAT_ON_RATIONAL
    rep = claim_report(Fraction(1, 2), Fraction(1, 4))
    assert rep.mode == "exact" and confirmation_label(rep, None, case) == EXACT
    rep.details["arithmetic"] = "float"
    assert confirmation_label(rep, None, case) == FLOAT_ON_RATIONAL


def test_minimize_merges_a_duplicate_state_and_refuses_non_witnesses():
    # state 2 is a copy of state 0; the violation (d(1) < rho(1)) survives merging it
    m = MDP.exact(P=[[[1, 0, 0]], [[1, 0, 0]], [[0, 0, 1]]], r=[[0], [0], [0]], gamma="1/2")

    def d_geq_rho(case):
        d = evaluate(case.mdp, np.array([[Fraction(1)]] * case.n_states, dtype=object)).visitation()
        return claim_report(case.mdp.rho, d)

    res = minimize_case(d_geq_rho, Case(m))
    assert res.size_after == (2, 1) and res.state_minimal and res.steps
    assert d_geq_rho(res.case).verdict == "FALSIFIED"
    with pytest.raises(InvalidParameterError):
        minimize_case(lambda c: True, Case(m))
    with pytest.raises(InvalidParameterError):
        minimize_case(d_geq_rho, Case(m.to_float()))


def test_simpler_rationals_are_simpler_and_ordered():
    c = simpler_rationals(Fraction(7, 10), lo=0, hi=1)
    assert c[0] == 0 and Fraction(2, 3) in c and Fraction(7, 10) not in c
    assert all(q.denominator < 10 for q in c)
    assert [q.denominator for q in c] == sorted(q.denominator for q in c)


def test_report_survives_save_and_load(tmp_path, half_witness):
    ce = half_witness[0]
    path = tmp_path / "w.json"
    ce.save(path)
    back = load_counterexample(path)
    assert isinstance(back.evidence, CheckReport)
    assert str(back.evidence) == str(ce.evidence) and back.evidence.verdict == "FALSIFIED"
    lhs = back.evidence.parts[0]["lhs"]
    assert all(isinstance(x, Fraction) for x in lhs) and list(lhs) == list(ce.evidence.parts[0]["lhs"])
    assert back.describe() == ce.describe()
    assert back.state_minimal and back.size_found == ce.size_found
    text = path.read_text()
    assert max(len(line) for line in text.splitlines()) < 200 and text.count("\n") > 10
    # round trip of a report without a search
    rep = claim_report(Fraction(1, 3), Fraction(1, 4))
    assert str(report_from_data(report_to_data(rep))) == str(rep)


def test_describe_and_pasteable_repr(half_witness):
    ce = half_witness[0]
    text = ce.describe()
    for piece in ("—0 (", ")→ ", "rho = ", "gamma = ", "V* = ", "lhs = ", "rhs = ", "state-minimal"):
        assert piece in text, piece
    src = repr(ce)
    again = eval(src, {"MDP": MDP, "Case": Case, "Counterexample": Counterexample, "Fraction": Fraction,
                       "np": np})
    assert again.mdp == ce.mdp and again.name == ce.name
    assert optimal_at_half_is_optimal_at_nine_tenths(again.case).verdict == "FALSIFIED"
    assert str(ce) == ce.describe() and ce.summary() in str(ce)


def test_draw_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    m = MDP.exact(P=[[[1, 0], [0, 1]], [[0, 1], [0, 1]]], r=[["3/4", 0], [1, 1]], gamma="1/2")
    ce = Counterexample(found=True, case=Case(m), name="demo")
    ax = ce.draw()
    assert ax.patches and "demo" in ax.get_title()
