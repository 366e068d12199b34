"""Focused tests of the C1 checker (the registry test covers the default suite)."""

from fractions import Fraction as F

import numpy as np
import pytest

from mdptheory.exceptions import InvalidParameterError
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.vanishing_gradients import chain_region_theta, derivative_order_range, vanishing_gradients


def test_derivative_range_thresholds():
    # k <= H/(40 ln 2H) - 1 admits k = 1 from H = 562, k = 2 from 900, k = 3 from 1253
    assert [derivative_order_range(H) for H in (40, 561, 562, 899, 900, 1252, 1253)] == [0, 0, 1, 1, 2, 2, 3]


@pytest.mark.parametrize("chain", ["left", "reset"])
def test_suboptimality_bound_H_4_to_40(chain):
    rng = np.random.default_rng(7)
    for H in range(4 if chain == "left" else 5, 41, 2):
        rep = vanishing_gradients(H, chain_region_theta(rng, H), chain=chain, illustrate=False)
        assert rep.verdict == VERIFIED, (H, chain, [p for p in rep.parts])
        g = F(H, H + 1)
        assert rep.details["V_star_s0"] == g ** (H + 1) / (1 - g)
        assert rep.details["bound"] == F(H + 1, 8) - F((H + 1) ** 2, 3 ** H)


def test_illustration_is_labelled_and_not_a_part():
    rng = np.random.default_rng(1)
    rep = vanishing_gradients(10, chain_region_theta(rng, 10))
    ill = rep.details["outside_range"]
    assert "outside the statement's range" in ill["label"] and ill["holds"] is True
    assert not any("grad" in p["part"] for p in rep.parts)


def test_region_and_range_are_enforced():
    rng = np.random.default_rng(2)
    th = chain_region_theta(rng, 6)
    bad = th.copy()
    bad[3, 0] = F(1, 4)
    with pytest.raises(InvalidParameterError, match=r"theta\[3, a1\]"):
        vanishing_gradients(6, bad)
    with pytest.raises(InvalidParameterError, match="outside the statement's range"):
        vanishing_gradients(6, th, derivative_H=561, derivative_order=1)


def test_gradient_bound_in_range_exact_and_ball():
    rng = np.random.default_rng(3)
    th = chain_region_theta(rng, 4)
    for mode in ("exact", "ball"):
        rep = vanishing_gradients(4, th, mode=mode, derivative_H=562, derivative_theta_a1=F(24, 100),
                                  illustrate=False)
        assert rep.verdict == VERIFIED and len(rep.parts) == 3
        bad = vanishing_gradients(4, th, mode=mode, derivative_H=562, derivative_theta_a1=F(24, 100),
                                  variant="gradient_bound_fourth_power", illustrate=False)
        assert bad.verdict == FALSIFIED
    rep.to_json()  # huge rationals stay printable
