"""Focused tests of the symbolic proofs: proven identities are VERIFIED, broken ones FALSIFIED,
and an identity sympy cannot settle is UNDECIDED, never VERIFIED."""

import pytest

from mdptheory.exceptions import InvalidParameterError
from mdptheory.lemmas import FALSIFIED, UNDECIDED, VERIFIED, statements
from mdptheory import lemmas as sp


def test_every_symbolic_statement_is_symbolic_only_with_one_case():
    sym = [s for s in statements() if s.id.endswith("s") and s.name.endswith("_symbolic")]
    assert {s.id for s in sym} >= {"A1s", "A2s", "A3s", "B1s", "B2s", "D1s", "D2s", "E2s", "F1s", "F2s", "G2s"}
    for s in sym:
        assert s.modes == ("symbolic",) and s.variants
        assert len(list(s.cases(0, 12, "symbolic"))) == 1


def test_softmax_gradient_proof_and_refutation():
    assert sp.softmax_gradient_symbolic(mode="symbolic").verdict == VERIFIED
    assert sp.softmax_gradient_symbolic(mode="symbolic", variant="drop_horizon").verdict == FALSIFIED


def test_score_and_baseline_proofs():
    assert sp.softmax_score_symbolic().verdict == VERIFIED
    assert sp.softmax_score_symbolic(variant="pi_of_a").verdict == FALSIFIED
    assert sp.baseline_symbolic().verdict == VERIFIED


def test_undecided_is_never_verified(monkeypatch):
    import mdptheory.symbolic as symbolic

    monkeypatch.setattr(symbolic, "is_zero", lambda *a, **k: None)
    rep = sp.softmax_score_symbolic()
    assert rep.verdict == UNDECIDED
    assert all(p["verdict"] == UNDECIDED for p in rep.parts)


def test_symbolic_only_mode():
    with pytest.raises(InvalidParameterError, match="symbolic mode only"):
        sp.baseline_symbolic(mode="exact")
