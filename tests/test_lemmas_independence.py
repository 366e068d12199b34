"""The two sides of a checker share nothing computed: a wrong library visitation changes the verdict.

Each test injects one fault into :meth:`PolicyEvaluation.visitation` at run
time (``monkeypatch``) and runs a statement over a few suite cases; a checker
whose sides both read the visitation would stay VERIFIED.  The second routes
themselves (:mod:`mdptheory.lemmas.framework.routes`) are compared with the
library where it is right.
"""

from __future__ import annotations

import numpy as np
import pytest

from mdptheory import evaluate
from mdptheory.evaluation.result import PolicyEvaluation
from mdptheory.gradients import value_gradient
from mdptheory.lemmas import FALSIFIED, VERIFIED
from mdptheory.lemmas.framework.parameterized import _param_case
from mdptheory.lemmas.framework.registry import get_statement
from mdptheory.lemmas.framework.routes import gradient_direct, q_direct, values_direct, visitation_direct
from mdptheory.lemmas.framework.runner import run_statement

_ORIG = PolicyEvaluation.visitation


def _rho(self, mu=None):
    """d replaced by the start distribution."""
    return self._mu(mu)


def _no_one_minus_gamma(self, mu=None):
    """d without its factor 1 - gamma."""
    return _ORIG(self, mu) / (1 - self._gamma)


def _forward(self, mu=None):
    """The forward solve (I - gamma P)^-1 mu in place of the transposed one."""
    return (1 - self._gamma) * self.solve(self._mu(mu))


FAULTS = {"rho": _rho, "no_one_minus_gamma": _no_one_minus_gamma, "forward_solve": _forward}
#: statements whose verdict depends on the visitation, and the modes in which they read it
STATEMENTS = {"B1": ("float", "exact"), "D2": ("float", "exact"), "E1": ("float", "exact"),
              "E2": ("float", "exact"), "F1": ("float", "exact"), "F2": ("float", "exact"),
              "G3": ("float", "exact"), "H1": ("float",), "D7": ("float", "exact")}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("sid", sorted(STATEMENTS))
def test_visitation_fault_is_caught(monkeypatch, sid, fault):
    monkeypatch.setattr(PolicyEvaluation, "visitation", FAULTS[fault])
    st = get_statement(sid)
    for mode in STATEMENTS[sid]:
        res = run_statement(st, mode=mode, seed=0, n=4)
        assert res.verdict == FALSIFIED, (sid, mode, fault, res.verdict)


@pytest.mark.parametrize("sid", sorted(STATEMENTS))
def test_without_fault_verified(sid):
    st = get_statement(sid)
    for mode in STATEMENTS[sid]:
        assert run_statement(st, mode=mode, seed=0, n=4).verdict == VERIFIED


@pytest.mark.parametrize("kind", ["softmax", "loglinear"])
@pytest.mark.parametrize("mode", ["exact", "float"])
def test_routes_agree_with_library(kind, mode):
    rng = np.random.default_rng(11)
    m, p, th = _param_case(rng, mode, kind=kind)
    m = m if mode == "exact" else m.to_float()
    pi = p.probs(th)
    ev = evaluate(m, pi, mode=mode)
    pairs = [(gradient_direct(m, p, th, m.rho, mode), value_gradient(m, p, th, mode=mode)),
             (visitation_direct(m, pi, m.rho, mode), ev.visitation()),
             (values_direct(m, pi, mode), ev.V), (q_direct(m, pi, mode), ev.Q)]
    for a, b in pairs:
        diff = np.asarray(a, dtype=object) - np.asarray(b, dtype=object)
        if mode == "exact":
            assert all(x == 0 for x in diff.reshape(-1))
        else:
            assert np.max(np.abs(diff.astype(float))) < 1e-12
