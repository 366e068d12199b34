"""Layout of mdptheory.lemmas: one module per section, a framework that imports no statement, deprecated aliases."""

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

import mdptheory.lemmas as lemmas
from mdptheory.lemmas import SECTION_MODULES, STATEMENT_MODULES, statements

FRAMEWORK = Path(lemmas.__file__).parent / "framework"

#: Old module -> (new modules, the old module's __all__).
ALIASES = {
    "convergence": (("policy_gradients", "softmax", "natural_gradient", "function_approximation", "trust_regions"),
                    ["gradient_ascent_rate", "softmax_pg_monotone", "log_barrier_stationarity", "log_barrier_corollary",
                     "mei_rates", "npg_improvement", "npg_rate", "npg_regret", "cpi_improvement"]),
    "npg": (("natural_gradient",), ["fisher_block_form", "npg_closed_form_check"]),
    "approx": (("function_approximation",), ["compatible_gradient", "npg_compatible_weights", "loglinear_npg"]),
    "trust": (("trust_regions",), ["clipped_objective", "clipped_objective_derivative", "ppo_clipping",
                                   "trpo_is_npg", "trajectory_kl_fisher"]),
    "mirror": (("mirror_descent",), ["pmd_step_improvement", "pmd_linear_convergence", "ampo_reduction"]),
    "neural": (("neural_ppo",), ["kl_regularized_improvement", "ppo_schedule_identity",
                                 "stationary_performance_difference", "neural_ppo_rate"]),
    "pg": (("policy_gradients",), ["policy_gradient_theorem", "baselines", "reinforce_reward_to_go",
                                   "nonconcavity_tree", "bandit_nonconcavity"]),
    "vanishing": (("vanishing_gradients",), ["vanishing_gradients", "derivative_order_range", "chain_region_theta"]),
    "sampling": (("policy_gradients", "framework.sampling"),
                 ["reinforce_monte_carlo", "baseline_monte_carlo", "reward_to_go_monte_carlo", "MC_CONFIDENCE"]),
    "registry": (("framework.registry",), ["Statement", "register", "statements", "get_statement", "CHAPTERS"]),
    "report": (("framework.report",), ["VERIFIED", "FALSIFIED", "UNDECIDED", "CheckReport", "float_tolerance",
                                       "compare_identity", "compare_inequality", "combine_verdicts"]),
    "runner": (("framework.runner",), ["StatementResult", "SuiteResult", "run_statement", "run_suite", "ERROR",
                                       "DEFAULT_CASES", "THOROUGH_CASES"]),
    "suite": (("framework.suite",), ["GAMMAS", "case_rng", "random_case_mdp", "random_distribution",
                                     "random_case_policy", "policy_cases"]),
    "symbolic_proofs": (tuple(f"{SECTION_MODULES[s]}_symbolic" for s in "ABDEFG"),
                        ["bellman_symbolic", "visitation_symbolic", "performance_difference_symbolic",
                         "policy_gradient_symbolic", "baseline_symbolic", "softmax_score_symbolic",
                         "softmax_gradient_symbolic", "npg_closed_form_symbolic", "compatible_gradient_symbolic",
                         "npg_compatible_weights_symbolic", "trajectory_kl_symbolic"]),
    "_common": (("framework.prologue",), ["resolve_mode", "solve_linear", "new_report", "prepare_policy",
                                          "check_variant", "dot"]),
}
#: Aliases still imported by modules outside the lemmas package; they stay silent until those move.
SILENT_ALIASES = set()


def _expected_module(stmt):
    module = SECTION_MODULES[stmt.chapter]
    return module + "_symbolic" if "symbolic" in stmt.modes else module


def test_every_checker_lives_in_the_module_of_its_section():
    found = set()
    for stmt in statements():
        expected = f"mdptheory.lemmas.{_expected_module(stmt)}"
        assert stmt.check.__module__ == expected, (stmt.id, stmt.check.__module__, expected)
        assert getattr(lemmas, stmt.name) is stmt.check
        found.add(_expected_module(stmt))
    # every statement module holds checkers, and only checkers of its own section are registered from it
    assert found == set(STATEMENT_MODULES)


def test_statement_modules_are_the_section_modules_and_their_symbolic_proofs():
    assert set(SECTION_MODULES) == set("ABCDEFGHI")
    for name in STATEMENT_MODULES:
        module = importlib.import_module(f"mdptheory.lemmas.{name}")
        base = name.removesuffix("_symbolic")
        letter = next(k for k, v in SECTION_MODULES.items() if v == base)
        for public in module.__all__:
            obj = getattr(module, public)
            ids = [s.id for s in statements() if s.check is obj]
            assert all(i[0] == letter for i in ids), (name, public, ids)


@pytest.mark.parametrize("old", sorted(ALIASES))
def test_old_module_paths_still_import_and_expose_the_same_objects(old):
    new_modules, names = ALIASES[old]
    sys.modules.pop(f"mdptheory.lemmas.{old}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        __import__(f"mdptheory.lemmas.{old}")
    alias = sys.modules[f"mdptheory.lemmas.{old}"]
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning) and old in str(w.message)]
    if old in SILENT_ALIASES:
        assert not deprecations
    else:
        assert len(deprecations) == 1
        assert deprecations[0].filename == __file__  # stacklevel points at the importer
    homes = [importlib.import_module(f"mdptheory.lemmas.{m}") for m in new_modules]
    for name in names:
        owners = [h for h in homes if hasattr(h, name)]
        assert owners, (old, name)
        assert getattr(alias, name) is getattr(owners[0], name), (old, name)
        if name in lemmas.__all__:
            assert getattr(alias, name) is getattr(lemmas, name)


def _imported_modules(path, package):
    """Absolute names of the modules (and from-imported names) a file imports statically."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield module
            for a in node.names:
                yield f"{module}.{a.name}"


def test_framework_imports_no_statement_module():
    forbidden = {f"mdptheory.lemmas.{m}" for m in STATEMENT_MODULES} | {f"mdptheory.lemmas.{m}" for m in ALIASES}
    files = sorted(FRAMEWORK.glob("*.py"))
    assert {f.stem for f in files} >= {"registry", "report", "runner", "suite", "sampling", "prologue", "symbolic"}
    for path in files:
        for module in _imported_modules(path, "mdptheory.lemmas.framework"):
            assert module not in forbidden, (path.name, module)
            # the lemmas package itself imports every statement module
            assert module != "mdptheory.lemmas", (path.name, module)


def test_registry_discovers_by_name_and_skips_the_aliases():
    for old in ALIASES:
        sys.modules.pop(f"mdptheory.lemmas.{old}", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert len(statements()) == len({s.id for s in statements()})
    assert not any(f"mdptheory.lemmas.{old}" in sys.modules for old in ALIASES if old not in SILENT_ALIASES)
