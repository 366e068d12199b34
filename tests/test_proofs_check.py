"""The proofs_check command line and the sweep runner: exit codes, reports,
determinism across worker counts and on a Dask cluster."""

import json
import subprocess
import sys

import pytest

from mdptheory.lemmas import run_suite
from proofs_check.__main__ import main


def _strip(suite):
    d = suite.to_dict()
    d.pop("seconds")
    for r in d["results"]:
        r.pop("seconds")
    return d


def test_list_and_select(capsys):
    assert main(["--list", "--select", "A"]) == 0
    out = capsys.readouterr().out
    assert "A1" in out and "bellman_equations" in out and "broken variant" in out


def test_unknown_statement_is_a_usage_error(capsys):
    assert main(["--select", "Z9"]) == 2
    assert "unknown statement" in capsys.readouterr().err


def test_run_writes_reports(tmp_path, capsys):
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    code = main(["--select", "A1", "A2", "--cases", "3", "--quiet", "--json", str(js), "--markdown", str(md)])
    assert code == 0
    data = json.loads(js.read_text())
    assert {r["id"] for r in data["results"]} == {"A1", "A2"}
    assert all(r["verdict"] == "VERIFIED" and r["cases"] == 3 for r in data["results"])
    assert "| A1 |" in md.read_text()
    assert "Foundations" in capsys.readouterr().out


def test_broken_variants_exit_zero_only_when_all_falsified(capsys):
    assert main(["--select", "A1", "--broken", "--cases", "4", "--quiet"]) == 0


def test_falsified_run_exits_nonzero_and_saves_witness(tmp_path, monkeypatch, capsys):
    # a registry holding only a broken statement: the run must fail and save an exact witness
    from mdptheory.lemmas.framework import registry
    from mdptheory.lemmas.foundations import _A1, bellman_equations
    from mdptheory.lemmas.framework.registry import Statement

    def broken(**kw):
        kw["variant"] = "drop_gamma"
        return bellman_equations(**kw)

    bad = Statement(id="Z1", name="broken_bellman", text="deliberately broken", source="test",
                    check=broken, cases=_A1.cases, modes=("exact",), variants={"x": "y"})
    monkeypatch.setitem(registry._REGISTRY, "Z1", bad)
    code = main(["--select", "Z1", "--cases", "2", "--quiet", "--witness-dir", str(tmp_path)])
    assert code == 1
    files = list(tmp_path.iterdir())
    assert files
    w = json.loads(files[0].read_text())
    assert w["verdict"] == "FALSIFIED" and w["witness"]["mdp"]["field"] == "exact"
    from mdptheory.io import mdp_from_dict

    m = mdp_from_dict(w["witness"]["mdp"])
    assert m.is_exact


def test_same_report_for_any_worker_count():
    one = run_suite(["A1", "A2"], n=4, workers=1)
    two = run_suite(["A1", "A2"], n=4, workers=2)
    assert _strip(one) == _strip(two)


def test_chunked_statements_merge_to_the_single_pass_report(monkeypatch):
    """Heavy statements split into case ranges across workers merge back to the one-process report:
    counts, worst ratios and the first notable (FALSIFIED) cases in case order."""
    from mdptheory.lemmas.framework import runner

    one = run_suite(["A1"], n=7, workers=1, broken=True)
    monkeypatch.setattr(runner, "CHUNK_COST", 0.0)
    monkeypatch.setattr(runner, "CHUNK_CASES", 2)
    assert len(runner._ranges(runner.statements(["A1"])[0], 7, 2)) == 4
    two = run_suite(["A1"], n=7, workers=2, broken=True)
    assert _strip(one) == _strip(two)
    assert any(r["notable"] for r in _strip(two)["results"])


def test_same_report_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        on_cluster = run_suite(["A1"], n=3, scheduler=cluster.scheduler_address)
    local = run_suite(["A1"], n=3)
    assert _strip(on_cluster) == _strip(local)


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "proofs_check", "--select", "A1", "--cases", "2", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "VERIFIED" in proc.stdout
