"""No false alarms and no vacuous cases: true statements come out VERIFIED under any suite seed.

The CI run checks the default suite (12 cases per statement and mode) at
seeds 1-8 for the statements that once raised false alarms there (G3 on
degenerate log-linear cases, G2, E3 on converged iterates, G1 on an optimal
start policy).  The nightly profile (``HYPOTHESIS_PROFILE=nightly``) runs the
thorough suite of every statement over several seeds.
"""

from __future__ import annotations

import os

import pytest

from mdptheory.lemmas import VERIFIED
from mdptheory.lemmas.framework.runner import THOROUGH_CASES, run_suite

#: Statements that raised false alarms (FALSIFIED or UNDECIDED) on some seed of the default suite.
ONCE_FALSE_ALARMS = ("G1", "G2", "G3", "E3")
NIGHTLY = os.environ.get("HYPOTHESIS_PROFILE", "") == "nightly"


def _not_verified(suite):
    return [(r.id, r.mode, r.verdict) for r in suite.results if r.verdict != VERIFIED]


@pytest.mark.parametrize("seed", range(1, 9))
def test_default_suite_seeds_no_false_alarm(seed):
    suite = run_suite(ONCE_FALSE_ALARMS, seed=seed)
    assert _not_verified(suite) == []


@pytest.mark.skipif(not NIGHTLY, reason="nightly profile only (HYPOTHESIS_PROFILE=nightly)")
@pytest.mark.parametrize("seed", range(0, 4))
def test_thorough_suite_seeds_no_false_alarm(seed):
    suite = run_suite(None, modes=("float", "exact", "ball"), seed=seed, n=THOROUGH_CASES)
    assert _not_verified(suite) == []
