"""Old import paths kept when modules became packages: each resolves to the same object as the new path.

``mdptheory.io``, ``mdptheory.evaluation`` and ``mdptheory.geometry`` stay valid
without a warning; ``mdptheory.policy``, ``mdptheory.search`` and
``mdptheory.conjectures`` are deprecated aliases that warn on import.
"""

import importlib
import sys
import warnings

import pytest

# (old module, new module, names the old module offered)
KEPT = [
    ("mdptheory.io", "mdptheory.io._common", ["FORMAT_TAG", "FORMAT_VERSION", "MAX_NUMBER_CHARS"]),
    ("mdptheory.io", "mdptheory.io.json", [
        "mdp_to_dict", "mdp_from_dict", "policy_to_json_data", "policy_from_json_data",
        "to_json", "from_json", "save_json", "load_json"]),
    ("mdptheory.io", "mdptheory.io.npz", ["save_npz", "load_npz"]),
    ("mdptheory.io", "mdptheory.io.gymnasium", ["MAX_GYM_ENTRIES", "from_gymnasium"]),
    ("mdptheory.io", "mdptheory.io.peers", [
        "from_pymdptoolbox", "to_pymdptoolbox", "from_quantecon", "to_quantecon"]),
    ("mdptheory.evaluation", "mdptheory.evaluation.result", ["PolicyEvaluation"]),
    ("mdptheory.evaluation", "mdptheory.evaluation.markov_chain", ["policy_matrices"]),
    ("mdptheory.evaluation", "mdptheory.evaluation.ball", ["DEFAULT_BALL_PREC"]),
    ("mdptheory.evaluation", "mdptheory.evaluation.certificates", ["WARN_RELATIVE_ERROR"]),
    ("mdptheory.geometry", "mdptheory.fisher_information", [
        "BlockDiagonal", "fisher", "softmax_fisher_blocks", "pinv_solve"]),
    ("mdptheory.geometry", "mdptheory.natural_gradients", [
        "natural_gradient", "npg_closed_form", "npg_update", "trpo_step"]),
    ("mdptheory.geometry", "mdptheory.compatible_fa", ["CompatibleFit", "compatible_fa", "q_npg_weights"]),
]

DEPRECATED = [
    ("mdptheory.policy", "mdptheory.policies.tabular", [
        "DEFAULT_POLICY_ATOL", "as_policy", "policy_is_exact", "uniform_policy", "deterministic_policy",
        "greedy_policy"]),
    ("mdptheory.search", "mdptheory.counterexamples.search", [
        "Case", "Counterexample", "cases", "find_counterexample", "margin_search", "load_counterexample",
        "rationalize", "rational_policy", "is_violation", "COUNTEREXAMPLE_FORMAT", "MAX_DENOMINATOR"]),
    ("mdptheory.conjectures", "mdptheory.counterexamples.catalogue", [
        "Conjecture", "CATALOGUE", "conjecture_names", "get_conjecture", "run_conjecture",
        "check_true_counterpart", "value_concave_softmax", "value_concave_direct", "visitation_geq_rho",
        "small_gradient_point_mass", "approximate_greedy_improves", "surrogate_equals_improvement",
        "npg_uniform_fisher", "trpo_large_delta", "greedy_on_visited_optimal", "performance_difference",
        "REFUTED", "HOLDS"]),
]

# new umbrella paths: the package re-exports of the moved modules
UMBRELLA = {
    "mdptheory.policies.tabular": "mdptheory.policies",
    "mdptheory.counterexamples.search": "mdptheory.counterexamples",
    "mdptheory.counterexamples.catalogue": "mdptheory.counterexamples",
}


def _fresh_import(name):
    """Import ``name`` anew (so that its import-time warning fires again), recording warnings."""
    sys.modules.pop(name, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mod = importlib.import_module(name)
    return mod, caught


@pytest.mark.parametrize("old, new, names", KEPT, ids=[f"{o}<-{n}" for o, n, _ in KEPT])
def test_kept_paths_resolve_to_the_new_objects_without_warning(old, new, names):
    old_mod, caught = _fresh_import(old) if old == "mdptheory.geometry" else (importlib.import_module(old), [])
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]
    new_mod = importlib.import_module(new)
    for name in names:
        assert getattr(old_mod, name) is getattr(new_mod, name), name
        assert name in old_mod.__all__ or name.isupper(), name


@pytest.mark.parametrize("old, new, names", DEPRECATED, ids=[o for o, _, _ in DEPRECATED])
def test_deprecated_aliases_warn_and_resolve_to_the_new_objects(old, new, names):
    old_mod, caught = _fresh_import(old)
    dep = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert dep and old in str(dep[0].message)
    new_mod = importlib.import_module(new)
    umbrella = importlib.import_module(UMBRELLA[new])
    for name in names:
        assert getattr(old_mod, name) is getattr(new_mod, name), name
        if not name.isupper():
            assert getattr(umbrella, name) is getattr(new_mod, name), name


def test_top_level_names_are_the_package_objects():
    import mdptheory
    from mdptheory import evaluation, io, policies
    from mdptheory.fisher_information import fisher
    from mdptheory.natural_gradients import natural_gradient

    assert mdptheory.evaluate is evaluation.evaluate and mdptheory.PolicyEvaluation is evaluation.PolicyEvaluation
    assert mdptheory.save_json is io.save_json and mdptheory.from_json is io.from_json
    assert mdptheory.as_policy is policies.as_policy and mdptheory.greedy_policy is policies.greedy_policy
    assert mdptheory.fisher is fisher and mdptheory.natural_gradient is natural_gradient


def test_optimization_result_builders_are_private():
    from mdptheory.algorithms.result import OptimizationResult

    for name in ("record_iterate", "record_step", "finish"):
        assert not hasattr(OptimizationResult, name)
        assert callable(getattr(OptimizationResult, "_" + name))
