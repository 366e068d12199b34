"""The catalogue: every refuted conjecture is found with its budget and seed, is state-minimal,
reloads and still fails exactly; the true counterparts survive the search; the documented
witnesses (docstrings and docs/counterexamples.md) are the ones the pinned search finds."""

import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from mdptheory.counterexamples import CATALOGUE, check_true_counterpart, conjecture_names, get_conjecture
from mdptheory.counterexamples.minimize import is_state_minimal
from mdptheory.exceptions import InvalidParameterError
from mdptheory.counterexamples import load_counterexample

#: Largest witness (S, A) accepted per entry (the sizes found are in each docstring).
MAX_SIZE = {
    "value_concave_softmax": (1, 2),
    "value_concave_direct": (2, 2),
    "visitation_geq_rho": (2, 1),
    "small_gradient_point_mass": (2, 2),
    "approximate_greedy_improves": (1, 2),
    "surrogate_equals_improvement": (2, 2),
    "trpo_step_improves": (1, 3),
    "greedy_on_visited_optimal": (2, 2),
}
#: Entries whose step is transcendental: confirmed in float64 on the rationalized witness.
FLOAT_STEP = {"trpo_step_improves"}
_RUNS = {}


def _run(name):
    """Each entry's search once per test session (the docs test reuses them)."""
    if name not in _RUNS:
        _RUNS[name] = get_conjecture(name).run()
    return _RUNS[name]
REFUTED = [n for n in conjecture_names() if get_conjecture(n).expected == "refuted"]


def test_catalogue_lists_every_entry():
    assert set(REFUTED) == set(MAX_SIZE)
    assert get_conjecture("npg_uniform_fisher").expected == "holds"
    for n in CATALOGUE:
        c = get_conjecture(n)
        assert c.doc and c.true_claim and c.search["budget"] <= 300
    with pytest.raises(InvalidParameterError):
        get_conjecture("no_such_entry")


@pytest.mark.parametrize("name", REFUTED)
def test_refuted_with_budget_and_seed(name, tmp_path):
    c = get_conjecture(name)
    ce = _run(name)
    assert ce.found and ce.mdp.is_exact, ce.summary()
    if name in FLOAT_STEP:
        assert ce.confirmation == "float64 on a rationalized MDP" and not ce.exact
        assert "float64 on a rationalized MDP" in ce.summary() and "(exact)" not in ce.summary()
    else:
        assert ce.confirmation == "exact" and ce.exact
    assert ce.n_examples <= c.search["budget"]
    assert ce.evidence.verdict == "FALSIFIED" and ce.evidence.mode == "exact"
    S, A = MAX_SIZE[name]
    assert ce.n_states <= S and ce.n_actions <= A, ce.summary()
    assert ce.state_minimal and is_state_minimal(c.property, ce.case)
    path = tmp_path / f"{name}.json"
    ce.save(path)
    back = load_counterexample(path)
    assert back.mdp.is_exact and back.mdp == ce.mdp and back.confirmation == ce.confirmation
    assert type(back.evidence) is type(ce.evidence) and str(back.evidence) == str(ce.evidence)
    rep = c.property(back.case)               # re-check exactly from the file
    assert rep.mode == "exact" and rep.verdict == "FALSIFIED"


def _doc_witness(doc):
    """(S, A, gamma) stated in the docstring's "Minimal witness" paragraph."""
    para = doc[doc.index("Minimal witness"):]
    para = para[:para.index("\n\n")]
    S = int(re.search(r"``S = (\d+)``", para).group(1))
    A = int(re.search(r"``A = (\d+)``", para).group(1))
    g = Fraction(re.search(r"\\gamma = ([0-9/]+)`", para).group(1))
    return S, A, g


@pytest.mark.parametrize("name", REFUTED)
def test_docstring_describes_the_witness_found(name):
    ce = _run(name)
    assert _doc_witness(get_conjecture(name).doc) == (ce.n_states, ce.n_actions, ce.mdp.gamma)
    assert "state-minimal" in get_conjecture(name).doc


def test_generated_catalogue_page_is_fresh():
    from mdptheory.counterexamples.docs import catalogue_markdown

    page = Path(__file__).resolve().parent.parent / "docs" / "counterexamples.md"
    expected = catalogue_markdown({n: _run(n) for n in REFUTED})
    assert page.read_text(encoding="utf-8") == expected, (
        "docs/counterexamples.md is stale: run python -m proofs_check counterexample --docs docs/counterexamples.md")


def test_renamed_entry_still_works():
    with pytest.warns(DeprecationWarning):
        assert get_conjecture("trpo_large_delta").name == "trpo_step_improves"


@pytest.mark.parametrize("name", conjecture_names())
def test_true_counterpart_survives(name):
    ce = check_true_counterpart(name)
    assert not ce.found, ce.summary()


def test_npg_uniform_fisher_is_not_refuted():
    c = get_conjecture("npg_uniform_fisher")
    assert not c.run().found


def test_command_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "proofs_check", "counterexample", "--list"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "visitation_geq_rho" in out.stdout
    path = tmp_path / "w.json"
    out = subprocess.run([sys.executable, "-m", "proofs_check", "counterexample", "visitation_geq_rho",
                          "--save", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "FALSIFIED" in out.stdout
    assert "source: \n" not in out.stdout and "—0 (1, 0)→ 0" in out.stdout
    assert max(len(line) for line in path.read_text().splitlines()) < 200
    assert load_counterexample(path).exact
    out = subprocess.run([sys.executable, "-m", "proofs_check", "counterexample", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
