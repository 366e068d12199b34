"""The verdict rules of reports: exact equality, float tolerances, gray zones."""

from fractions import Fraction

import numpy as np
import pytest

from mdptheory.lemmas.framework.report import (FALSIFIED, UNDECIDED, VERIFIED, CheckReport, compare_identity,
                                     compare_inequality, float_tolerance)


def test_exact_identity_needs_exact_equality():
    assert compare_identity([Fraction(1, 3)], [Fraction(1, 3)], mode="exact")[0] == VERIFIED
    v, res, _ = compare_identity([Fraction(1, 3)], [Fraction(1, 3) + Fraction(1, 10**30)], mode="exact")
    assert v == FALSIFIED and res == Fraction(1, 10**30)


def test_float_identity_bands():
    assert compare_identity([1.0], [1.0 + 1e-14], mode="float", tol=1e-12)[0] == VERIFIED
    assert compare_identity([1.0], [1.0 + 5e-12], mode="float", tol=1e-12)[0] == UNDECIDED
    assert compare_identity([1.0], [1.0 + 1e-9], mode="float", tol=1e-12)[0] == FALSIFIED
    # both sides below the tolerance: agreement means nothing
    assert compare_identity([1e-15], [3e-15], mode="float", tol=1e-12)[0] == UNDECIDED
    assert compare_identity([np.nan], [1.0], mode="float", tol=1e-12)[0] == UNDECIDED


def test_float_inequality_bands():
    assert compare_inequality([0.0], [1.0], mode="float", tol=1e-12)[0] == VERIFIED
    assert compare_inequality([0.0], [1e-14], mode="float", tol=1e-12)[0] == UNDECIDED
    assert compare_inequality([0.0], [-1e-14], mode="float", tol=1e-12)[0] == UNDECIDED
    assert compare_inequality([0.0], [-1e-6], mode="float", tol=1e-12)[0] == FALSIFIED
    assert compare_inequality([Fraction(0)], [Fraction(0)], mode="exact")[0] == VERIFIED
    assert compare_inequality([Fraction(0)], [Fraction(0)], mode="exact", strict=True)[0] == FALSIFIED


def test_tolerance_grows_with_conditioning():
    from mdptheory import MDP

    m1 = MDP(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), 0.5)
    m2 = MDP(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), 0.99)
    t1, rule = float_tolerance(m1, 1.0)
    t2, _ = float_tolerance(m2, 1.0)
    assert t2 > 50 * t1 and "kappa" in rule


def test_report_combines_parts_and_serializes():
    rep = CheckReport("X1", "x", "text", "src", "exact")
    rep.identity("a", [Fraction(1)], [Fraction(1)])
    assert rep.verdict == VERIFIED
    rep.inequality("b", [Fraction(2)], [Fraction(1)])
    assert rep.verdict == FALSIFIED and rep.slack == Fraction(-1)
    d = rep.to_dict()
    assert d["slack"] == "-1" and d["verdict"] == FALSIFIED
    assert "FALSIFIED" in str(rep)


def test_float_tolerance_order_zero_has_no_condition_number():
    """A quantity that went through no solve (a finite sum) gets c eps S m: neither 0 nor kappa-scaled."""
    from mdptheory.families import bandit
    from mdptheory.lemmas.framework.report import float_tolerance

    m = bandit([1.0, 0.0], gamma=0.99)
    t0, rule = float_tolerance(m, 2.0, order=0)
    t1, _ = float_tolerance(m, 2.0, order=1)
    assert t0 == 64 * np.finfo(float).eps * 1 * 2.0 and "no solve" in rule
    assert 0 < t0 < t1
