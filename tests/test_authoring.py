"""Writing a statement of your own: the @statement decorator, the comparisons it offers,
user modules in ``python -m proofs_check --module`` and the ``mdptheory.statements`` entry points."""

import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from mdptheory.exceptions import InvalidParameterError, MDPTheoryError
from mdptheory.families import forest
from mdptheory.lemmas import FALSIFIED, UNDECIDED, VERIFIED, CheckReport, run_suite, statement, statements
from mdptheory.lemmas.framework import registry
from mdptheory.lemmas.framework.registry import StatementIdError, load_statement_modules, unregister
from mdptheory.policies import uniform_policy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_registry(monkeypatch):
    """Statements defined by a test disappear with it."""
    statements()  # built-ins loaded
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "USER_MODULES", list(registry.USER_MODULES))
    yield


def _adv_mean_zero():
    @statement(id="U1", text=r"\sum_a \pi(a|s) A^\pi(s,a) = 0", source="AJKS Ch. 1",
               modes=("float", "exact", "symbolic"), variants={"q_for_a": "Q in place of A"})
    def advantage_mean_zero(c, mdp, pi):
        ev = c.evaluate(mdp, pi)
        A = ev.Q if c.broken("q_for_a") else ev.A
        c.identity("sum_a pi(a|s) A(s,a) = 0", (pi * A).sum(axis=1), 0)

    return advantage_mean_zero


# ------------------------------------------------------------------ the comparisons themselves
def test_inequality_between_fractions_in_every_mode():
    for mode in ("exact", "float", "symbolic"):
        rep = CheckReport("Z1", "z", "t", "s", mode)
        assert rep.inequality("1 <= 2", Fraction(1), Fraction(2)) == VERIFIED
        assert rep.inequality("2 <= 1", Fraction(2), Fraction(1)) == FALSIFIED


def test_float_comparisons_without_tol_use_a_principled_default():
    rep = CheckReport("Z1", "z", "t", "s", "float")
    assert rep.identity("0.1 + 0.2 = 0.3", 0.1 + 0.2, 0.3) == VERIFIED
    assert 0 < rep.tolerance < 1e-12 and "eps" in rep.tolerance_rule
    assert rep.identity("a real difference", 1.0, 1.0 + 1e-9) == FALSIFIED
    # with an MDP in the witness the tolerance is the conditioning rule of float_tolerance
    m = forest(3).to_float() if forest(3).is_exact else forest(3)
    rep = CheckReport("Z1", "z", "t", "s", "float", witness={"mdp": m})
    rep.identity("x", np.array([1.0]), np.array([1.0]))
    assert "kappa" in rep.tolerance_rule


def test_sympy_sides_are_decided_for_all_values():
    import sympy

    x = sympy.Symbol("x")
    rep = CheckReport("Z1", "z", "t", "s", "symbolic")
    assert rep.identity("square", (x + 1) ** 2, x ** 2 + 2 * x + 1) == VERIFIED
    assert rep.identity("off by one", x, x + 1) == FALSIFIED
    assert rep.inequality("x <= x^2 + 1", x, x ** 2 + 1) == UNDECIDED


# ------------------------------------------------------------------ the decorator
def test_true_statement_verified_in_float_exact_and_symbolic(clean_registry):
    chk = _adv_mean_zero()
    m = forest(3, exact=True)
    assert chk(m, uniform_policy(m)).verdict == VERIFIED
    assert chk(m, uniform_policy(m), mode="float").verdict == VERIFIED
    assert chk(m, uniform_policy(m), variant="q_for_a").verdict == FALSIFIED
    suite = run_suite(["U1"], n=4)
    assert [r.mode for r in suite.results] == ["float", "exact", "symbolic"]
    assert all(r.verdict == VERIFIED for r in suite.results), suite.table()
    broken = run_suite(["U1"], n=4, broken=True)
    assert all(r.verdict == FALSIFIED for r in broken.results), broken.table()


def test_false_statement_falsified_with_witness_and_shrunk(clean_registry):
    from mdptheory.counterexamples import find_counterexample

    @statement(id="U2", text=r"d_\rho^\pi \ge \rho", source="a conjecture")
    def visitation_geq_start(c, mdp, pi):
        ev = c.evaluate(mdp, pi)
        c.inequality("rho <= d_rho^pi", mdp.rho, ev.visitation(mdp.rho))

    suite = run_suite(["U2"], n=6)
    assert all(r.verdict == FALSIFIED for r in suite.results)
    rep = suite.results[1].notable[0]
    assert rep.witness["mdp"].is_exact and "pi" in rep.witness and rep.witness["seed"] is not None
    ce = find_counterexample(visitation_geq_start.as_property(), budget=60, seed=0)
    assert ce.found and ce.exact and ce.n_states <= 2
    assert ce.evidence.verdict == FALSIFIED


def test_witness_mode_and_variant_validation(clean_registry):
    chk = _adv_mean_zero()
    m = forest(3, exact=True)
    rep = chk(m, uniform_policy(m), seed=7)
    assert rep.witness["seed"] == 7 and rep.witness["pi"].shape == (3, 2)
    with pytest.raises(InvalidParameterError, match="unknown variant"):
        chk(m, uniform_policy(m), variant="nope")
    with pytest.raises(InvalidParameterError, match="SymbolicMDP"):
        chk(m, uniform_policy(m), mode="symbolic")
    with pytest.raises(InvalidParameterError, match="advantage_mean_zero"):
        chk(m, uniform_policy(m), uniform_policy(m))


def test_decorator_arguments_are_validated():
    with pytest.raises(InvalidParameterError, match="modes"):
        statement(id="U9", text="t", source="s", modes=("floaty",))
    with pytest.raises(InvalidParameterError, match="id"):
        statement(id="", text="t", source="s")
    with pytest.raises(InvalidParameterError, match="bare"):
        statement(lambda c, mdp, pi: None)
    with pytest.raises(InvalidParameterError, match="text"):
        statement(id="U9", source="s")
    with pytest.raises(InvalidParameterError, match="cases="):
        statement(id="U9", text="t", source="s", register_it=False)(lambda c, mdp, weird: None)


def test_id_clash_with_a_builtin_names_the_id(clean_registry):
    with pytest.raises(StatementIdError, match="'A1'"):
        @statement(id="A1", text="t", source="s")
        def mine(c, mdp, pi):
            pass


def test_redefinition_replaces(clean_registry):
    _adv_mean_zero()
    _adv_mean_zero()  # the same function defined again (a notebook cell run twice)
    assert [s.id for s in statements(["U1"])] == ["U1"]


def test_a_body_that_compares_nothing_is_undecided(clean_registry):
    @statement(id="U3", text="t", source="s")
    def empty(c, mdp, pi):
        pass

    m = forest(2, exact=True)
    assert empty(m, uniform_policy(m)).verdict == UNDECIDED


# ------------------------------------------------------------------ user modules in the CLI
USER_MODULE = '''
from mdptheory.lemmas import statement

@statement(id="{sid}", text=r"\\sum_s d(s) = 1", source="AJKS Ch. 1", modes=("float", "exact"),
           variants={{"drop_one_minus_gamma": "d without 1-gamma"}})
def visitation_sums_to_one_{sid}(c, mdp, pi):
    ev = c.evaluate(mdp, pi)
    d = ev.visitation(mdp.rho)
    if c.broken("drop_one_minus_gamma"):
        d = d / (1 - mdp.gamma)
    c.identity("sum_s d(s) = 1", d.sum(), 1)
'''


def _write_module(tmp_path, name, sid):
    (tmp_path / f"{name}.py").write_text(USER_MODULE.format(sid=sid))


def _cli(tmp_path, *args):
    import os

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "proofs_check", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_module_adds_user_statements(tmp_path):
    _write_module(tmp_path, "claims_one", "U7")
    _write_module(tmp_path, "claims_two", "U8")
    out = _cli(tmp_path, "--module", "claims_one", "--module", "claims_two", "--select", "U7", "U8", "A1",
               "--cases", "3", "--quiet", "--workers", "2")
    assert out.returncode == 0, out.stderr
    assert "U7" in out.stdout and "U8" in out.stdout and "A1" in out.stdout
    assert "FALSIFIED" not in out.stdout
    out = _cli(tmp_path, "--module", "claims_one", "--select", "U7", "--cases", "3", "--broken", "--quiet")
    assert out.returncode == 0, out.stdout + out.stderr


def test_cli_module_id_clash_is_an_error_naming_the_id(tmp_path):
    _write_module(tmp_path, "clashing", "B2")
    out = _cli(tmp_path, "--module", "clashing", "--list")
    assert out.returncode == 2 and "'B2'" in out.stderr, out.stderr
    out = _cli(tmp_path, "--module", "no_such_module_xyz", "--list")
    assert out.returncode == 2 and "no_such_module_xyz" in out.stderr


def test_entry_points_add_statements(tmp_path, monkeypatch, clean_registry):
    import importlib.metadata as md

    _write_module(tmp_path, "ep_claims", "U6")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="mine", value="ep_claims", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(md, "entry_points", lambda group=None: [ep] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry, "_ENTRY_POINTS_LOADED", [])
    assert "U6" in [s.id for s in statements()]
    assert "ep_claims" in registry.USER_MODULES
    assert run_suite(["U6"], n=3).results[0].verdict == VERIFIED


def test_custom_cases_and_inputs_in_each_field(clean_registry):
    from mdptheory.lemmas.framework.suite import case_rng, random_case_mdp, random_distribution

    def cases(seed, n, mode):
        assert isinstance(seed, int)  # the suite's integer seed
        for i in range(n):
            rng = case_rng(seed, "U4", i)
            m = random_case_mdp(rng, exact=mode == "exact")
            yield {"mdp": m, "mu": random_distribution(rng, m.n_states, exact=mode == "exact", positive=True),
                   "scale": Fraction(1, 2), "seed": (seed, i)}

    @statement(id="U4", text=r"d_\mu^\pi \ge (1-\gamma)\mu", source="AJKS Ch. 1", cases=cases)
    def visitation_lower_bound(c, mdp, mu, scale=1):
        pi = np.full((mdp.n_states, mdp.n_actions), c.one / mdp.n_actions)
        d = c.evaluate(mdp, pi).visitation(mu)
        assert c.mode == "exact" or not isinstance(scale, Fraction)   # Fractions become floats in float mode
        c.inequality("(1-gamma) mu <= d", (c.one - mdp.gamma) * mu, d)

    suite = run_suite(["U4"], n=3)
    assert [r.verdict for r in suite.results] == [VERIFIED, VERIFIED], suite.table()
    m = forest(3, exact=True)
    rep = visitation_lower_bound(m, [Fraction(1, 3)] * 3)
    assert rep.mode == "exact" and rep.verdict == VERIFIED
    assert visitation_lower_bound(m, [1 / 3] * 3).mode == "float"


def test_symbolic_mdp_input_runs_in_symbolic_mode(clean_registry):
    from mdptheory.symbolic import symbolic_mdp

    chk = _adv_mean_zero()
    sm = symbolic_mdp(2, 2)
    rep = chk(sm, sm.pi)
    assert rep.mode == "symbolic" and rep.verdict == VERIFIED
    with pytest.raises(MDPTheoryError, match="symbolic"):
        chk(sm, sm.pi, mode="float")
