"""Tightness search: every registered bound runs (small budget), its ratio is certified at the exact
witness and stays below 1; the sides functions agree with independent library computations; witnesses
are saved without overwriting; the docs table lists every bound."""

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from mdptheory import MDP, evaluate
from mdptheory.counterexamples.tightness import (BOUNDS, bound_ids, certified_ratio, get_bound, load_tightness_witness,
                                                 ratio_of, tightness_search)
from mdptheory.exceptions import InvalidParameterError

LISTED = ["B6", "C1", "D3", "D4", "D5", "E3", "E4", "F4", "G1", "H2", "I4"]


def test_every_listed_statement_has_a_bound():
    assert set(LISTED) <= set(bound_ids())
    with pytest.raises(InvalidParameterError):
        get_bound("Z9")
    with pytest.raises(InvalidParameterError):
        tightness_search("G1", budget=0)


@pytest.mark.parametrize("id", bound_ids())
def test_search_runs_and_certifies(id):
    budget = 12 if id in ("D4", "D5") else 20
    r = tightness_search(id, S=2, A=2, gamma=Fraction(1, 2), budget=budget, seed=0)
    assert r.n_evals >= budget and r.trajectory
    lo, hi = r.certified
    assert math.isfinite(lo) and lo <= hi and not r.falsified, r.summary()
    assert hi <= 1 + 1e-9, r.summary()
    # the ball recomputation and the float64 path agree at the exact witness
    assert abs(ratio_of(get_bound(id), _floated(r.point)) - (lo + hi) / 2) <= 1e-6 * max(1.0, abs(lo)), r.summary()


def _floated(point):
    out = {k: (np.asarray(v, dtype=float) if k != "gamma" else float(v)) for k, v in point.items() if k != "params"}
    pars = {}
    for k, v in point["params"].items():
        pars[k] = np.asarray(v, dtype=float) if isinstance(v, np.ndarray) else (v if isinstance(v, int) else float(v))
    if "pi" in pars:  # D4: the witness is the rational policy, theta = log pi
        pars["theta"] = np.log(pars.pop("pi")).reshape(-1)
    out["params"] = pars
    return out


def test_sides_agree_with_library_evaluation():
    # C1's right side V*(s0) - V(s0) against mdptheory.evaluate on the same chain and policy
    b = get_bound("C1")
    H = 4
    point = b.fixed({"H": H})
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(H + 2) * 4)
    point["params"] = {"H": H, "theta": theta}
    from mdptheory.counterexamples.tightness import _Ball, _c1_policy, _ctx, _M

    nb = _Ball()
    with _ctx(nb):
        m = _M(point, nb)
        lhs, rhs = b.sides(m, point["params"])
        pi = np.asarray(nb.mid(_c1_policy(m, theta)), dtype=float)
    mdp = MDP(np.asarray(point["P"], float), np.asarray(point["r"], float), float(point["gamma"]))
    V = evaluate(mdp, pi).V
    gamma = H / (H + 1)
    assert abs(float(rhs[0].mid()) - (gamma ** (H + 1) / (1 - gamma) - V[0])) < 1e-9
    assert (pi[:, 0] < 0.25).all()
    assert abs(float(lhs[0].mid()) - ((H + 1) / 8 - (H + 1) ** 2 / 3 ** H)) < 1e-12
    # D3's ascent-lemma ratio tends to 1/2 on a bandit with a small step
    lo, hi, *_ = certified_ratio(get_bound("D3"), {
        "P": np.full((1, 2, 1), Fraction(1), dtype=object), "r": np.array([[Fraction(1), Fraction(0)]], dtype=object),
        "gamma": Fraction(9, 10), "rho": np.array([Fraction(1)], dtype=object),
        "params": {"theta": np.array([Fraction(0), Fraction(0)], dtype=object)}})
    assert 0.5 < lo <= hi < 0.51


def test_witness_saved_exactly_and_never_overwritten(tmp_path):
    path = tmp_path / "w.json"
    a = tightness_search("G1", budget=15, seed=0, save=str(path))
    b = tightness_search("G1", budget=15, seed=1, save=str(path))
    assert a.saved == str(path) and b.saved != a.saved and Path(b.saved).exists()
    back = load_tightness_witness(a.saved)
    lo, hi, *_ = certified_ratio(get_bound("G1"), back["point"])
    assert (lo, hi) == tuple(a.certified)
    assert json.loads(Path(a.saved).read_text())["trajectory"]


def test_command_line_and_docs_table(tmp_path):
    out = subprocess.run([sys.executable, "-m", "proofs_check", "tightness", "E3", "--budget", "15",
                          "--gamma", "1/2"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "E3" in out.stdout and "certified" in out.stdout, out.stderr
    out = subprocess.run([sys.executable, "-m", "proofs_check", "tightness", "nope"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    table = (Path(__file__).resolve().parent.parent / "docs" / "tightness.md").read_text(encoding="utf-8")
    for i in BOUNDS:
        assert f"| {i} |" in table, i


def test_chain_gradient_witness_round_trip(tmp_path):
    r = tightness_search("C1.grad", budget=6, seed=0, save=str(tmp_path / "c1.json"))
    assert r.log_scale and r.certified[1] < 0          # log10 of the ratio: far below the constant
    back = load_tightness_witness(r.saved)
    lo, hi, *_ = certified_ratio(get_bound("C1.grad"), back["point"])
    assert (lo, hi) == tuple(r.certified)


def test_docs_table_row_is_what_the_search_finds():
    """Freshness of docs/tightness.md, checked on one cell (the whole table takes minutes)."""
    import re

    from proofs_check.tightness import table_markdown

    table = (Path(__file__).resolve().parent.parent / "docs" / "tightness.md").read_text(encoding="utf-8")
    budget, seed = (int(x) for x in re.search(r"--budget (\d+) --seed (\d+)", table).groups())
    r = tightness_search("G1", S=2, A=2, gamma=Fraction(1, 2), budget=budget, seed=seed)
    row = next(line for line in table_markdown([r], budget=budget, seed=seed).splitlines()
               if line.startswith("| G1 |"))
    assert row in table, row
