"""Nothing lost, nothing clobbered: witnesses, reports and saved files under failures.

* witnesses of FALSIFIED results go to new files (statement, mode, case and a
  content hash), never overwriting an earlier file, and are written before the
  reports;
* a report that cannot be written is reported, the other files are still written
  (exit status 4 when every verdict was VERIFIED);
* exact results cross process boundaries (``--workers``): an MDP pickles
  without its FLINT caches;
* a rewrite that fails half-way (a full disk, simulated with RLIMIT_FSIZE)
  leaves the earlier file intact;
* rationals of any length are written (Python's str() refuses beyond 4300 digits).
"""

import json
import os
import pickle
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from mdptheory import evaluate, load_json, save_json, uniform_policy
from mdptheory.families import forest, garnet
from mdptheory.fields import rational_str
from mdptheory.io.atomic import write_new
from mdptheory.lemmas.framework.report import CheckReport

ROOT = Path(__file__).resolve().parents[1]

FALSE_CLAIM = '''
from mdptheory.lemmas import statement


@statement(id="Z9", text=r"d_\\rho^\\pi \\ge \\rho", source="a false claim", modes=("exact",))
def visitation_dominates_rho(c, mdp, pi):
    ev = c.evaluate(mdp, pi)
    c.inequality("rho <= d", mdp.rho, ev.visitation())
'''


def _cli(tmp_path, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    return subprocess.run([sys.executable, "-m", "proofs_check", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_exact_mdp_pickles_without_its_caches():
    m = forest(3, exact=True)
    evaluate(m, uniform_policy(m))  # fills the FLINT caches
    assert m._cache
    m2 = pickle.loads(pickle.dumps(m))
    assert m2 == m and m2._cache == {}
    assert evaluate(m2, uniform_policy(m2)).V.tolist() == evaluate(m, uniform_policy(m)).V.tolist()
    with pytest.raises(AttributeError):
        m2._gamma = Fraction(1, 2)
    for s in (m2, pickle.loads(pickle.dumps(garnet(30, 2, 3, seed=0, sparse=True)))):
        arrays = (s._P.data, s._P.indices) if s.is_sparse else (s._P,)
        assert not any(a.flags.writeable for a in arrays + (s._r, s._rho))


def test_write_new_never_overwrites(tmp_path):
    first = write_new(tmp_path, "A1_exact", "one")
    second = write_new(tmp_path, "A1_exact", "two")
    assert first != second
    assert Path(first).read_text() == "one" and Path(second).read_text() == "two"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no staged file left behind


def test_cli_witnesses_with_two_workers_are_saved_and_never_clobbered(tmp_path):
    (tmp_path / "falseclaims.py").write_text(FALSE_CLAIM)
    wdir = tmp_path / "proofs_check_witnesses"
    wdir.mkdir()
    (wdir / "Z9_exact_1.json").write_text("an earlier result")
    # the report path cannot be written: the witness is written first, and the markdown still is
    res = _cli(tmp_path, "--module", "falseclaims", "--select", "Z9", "--workers", "2", "--cases", "4",
               "--json", str(tmp_path / "missing" / "r.json"), "--markdown", "r.md")
    assert res.returncode == 1, res.stderr
    assert "could not write" in res.stderr and "Traceback" not in res.stderr
    assert (tmp_path / "r.md").read_text().count("Z9") >= 1
    saved = sorted(p for p in os.listdir(wdir) if p != "Z9_exact_1.json")
    assert saved and all(p.startswith("Z9_exact_case") for p in saved)
    assert (wdir / "Z9_exact_1.json").read_text() == "an earlier result"
    witness = json.loads((wdir / saved[0]).read_text())
    assert witness["verdict"] == "FALSIFIED"
    res2 = _cli(tmp_path, "--module", "falseclaims", "--select", "Z9", "--workers", "2", "--cases", "4")
    assert res2.returncode == 1
    again = sorted(p for p in os.listdir(wdir) if p != "Z9_exact_1.json")
    assert len(again) == 2 * len(saved) and set(saved) <= set(again)  # the same witness, a new file


def test_cli_exit_status_4_when_only_a_report_failed(tmp_path):
    res = _cli(tmp_path, "--select", "A1", "--modes", "exact", "--cases", "2",
               "--json", str(tmp_path / "missing" / "r.json"))
    assert res.returncode == 4, (res.returncode, res.stderr)
    assert "could not write" in res.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_failed_rewrite_leaves_the_earlier_file_intact(tmp_path):
    path = tmp_path / "m.json"
    m = garnet(4, 2, 2, seed=0, exact=True)
    save_json(m, path)
    before = path.read_text()
    script = textwrap.dedent(f"""
        import resource, signal
        from mdptheory.families import garnet
        from mdptheory import save_json
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a full disk: writes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
        try:
            save_json(garnet(40, 3, 3, seed=1, exact=True), {str(path)!r})
        except OSError as exc:
            print("failed:", exc)
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert "failed:" in res.stdout, res.stdout + res.stderr
    assert path.read_text() == before and load_json(path) == m
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_rationals_of_any_length_are_written():
    big = Fraction(10**6000 + 1, 7)
    assert len(rational_str(big)) == 6003
    rep = CheckReport(statement="X", name="x", text="t", source="s", mode="exact", witness={"q": big})
    assert json.loads(rep.to_json())["witness"]["q"] == rational_str(big)
    assert rational_str(np.int64(5)) == "5"


def test_broken_report_with_rationals_beyond_4300_digits(tmp_path):
    # H2's exact broken variants carry rationals of thousands of digits into the JSON report
    res = _cli(tmp_path, "--broken", "--select", "H2", "--modes", "exact", "--json", "r.json")
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "r.json").read_text()
    assert json.loads(text)["results"] and max(map(len, __import__("re").findall(r"\d+", text))) > 4300
