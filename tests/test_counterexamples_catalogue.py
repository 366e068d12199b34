"""The catalogue: every refuted conjecture is found with its budget and seed, reloads and still
fails exactly; the true counterparts survive the search; witnesses are small."""

import subprocess
import sys

import pytest

from mdptheory.counterexamples import CATALOGUE, check_true_counterpart, conjecture_names, get_conjecture
from mdptheory.exceptions import InvalidParameterError
from mdptheory.counterexamples import load_counterexample

#: Largest shrunk witness (S, A) accepted per entry (the sizes found are in each docstring).
MAX_SIZE = {
    "value_concave_softmax": (1, 2),
    "value_concave_direct": (3, 2),
    "visitation_geq_rho": (2, 1),
    "small_gradient_point_mass": (3, 2),
    "approximate_greedy_improves": (1, 2),
    "surrogate_equals_improvement": (3, 2),
    "trpo_large_delta": (3, 2),
    "greedy_on_visited_optimal": (4, 2),
}
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
    ce = c.run()
    assert ce.found and ce.exact, ce.summary()
    assert ce.n_examples <= c.search["budget"]
    assert ce.evidence.verdict == "FALSIFIED" and ce.evidence.mode == "exact"
    S, A = MAX_SIZE[name]
    assert ce.n_states <= S and ce.n_actions <= A, ce.summary()
    path = tmp_path / f"{name}.json"
    ce.save(path)
    back = load_counterexample(path)
    assert back.exact and back.mdp.is_exact and back.mdp == ce.mdp
    rep = c.property(back.case)               # re-check exactly from the file
    assert rep.mode == "exact" and rep.verdict == "FALSIFIED"


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
    assert load_counterexample(path).exact
    out = subprocess.run([sys.executable, "-m", "proofs_check", "counterexample", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
