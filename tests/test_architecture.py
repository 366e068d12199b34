"""The import direction between the package's layers (see docs/architecture.md).

Each module of ``mdptheory`` belongs to one layer; a module may import only from
its own layer or the layers below it, the statement-checking framework imports no
statement module, and the import graph has no cycles.  The check reads the source
(every ``import`` statement, including those inside functions, which are imports
all the same), so it fails on a new upward import before anything runs.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mdptheory"

#: Layers from the bottom up: first matching prefix wins (longest prefixes first).
LAYERS = [
    ("core", ["exceptions", "fields", "deprecation", "_moved"]),
    ("model", ["mdp", "policies", "policy", "modes", "families", "symbolic", "strategies"]),
    ("formats", ["io"]),
    ("evaluation", ["evaluation", "batch", "optimal"]),
    ("calculus", ["gradients", "derivatives", "finite_diff", "_geometry_common", "fisher_information",
                  "natural_gradients", "compatible_fa", "geometry", "kl", "trajectories", "estimators",
                  "landscape"]),
    ("algorithms", ["algorithms"]),
    ("framework", ["lemmas.framework"]),
    ("statements", ["lemmas"]),
    ("counterexamples", ["counterexamples", "search", "conjectures"]),
]
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        yield ".".join(parts), path, is_pkg


MODULES = {name: (path, is_pkg) for name, path, is_pkg in _modules()}


def layer_of(module: str):
    """The layer of a module path relative to the package ('' is the package itself)."""
    best = None
    for name, prefixes in LAYERS:
        for p in prefixes:
            if module == p or module.startswith(p + "."):
                if best is None or len(p) > len(best[1]):
                    best = (name, p)
    return None if best is None else best[0]


def _resolve(current: str, is_pkg: bool, level: int, target: str | None):
    """Absolute module path (relative to the package) of a relative import."""
    base = current.split(".") if current else []
    if not is_pkg:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    if target:
        base = base + target.split(".")
    return ".".join(base)


def imports(module: str):
    """Every in-package module that ``module`` imports (at any depth of its code)."""
    path, is_pkg = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if not (node.module or "").startswith("mdptheory"):
                    continue
                target = node.module[len("mdptheory"):].lstrip(".")
            else:
                target = _resolve(module, is_pkg, node.level, node.module)
            # ``from .pkg import sub`` imports the submodule when it exists
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                out.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mdptheory."):
                    out.add(alias.name[len("mdptheory."):])
    out.discard(module)
    return {m for m in out if m in MODULES}


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if m and layer_of(m) is None]
    assert not missing, f"modules with no layer (add them to LAYERS and docs/architecture.md): {missing}"


def test_imports_point_down():
    upward = []
    for module in MODULES:
        if not module:
            continue
        here = RANK[layer_of(module)]
        for target in imports(module):
            if target and RANK[layer_of(target)] > here:
                upward.append(f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})")
    assert not upward, "imports against the layer order:\n" + "\n".join(sorted(upward))


def test_framework_imports_no_statement_module():
    bad = [f"{m} imports {t}" for m in MODULES if m.startswith("lemmas.framework")
           for t in imports(m) if t == "lemmas" or (t.startswith("lemmas.") and not t.startswith("lemmas.framework"))]
    assert not bad, bad


def test_no_import_cycles():
    # edges into a package's __init__ stand for the package's re-exports; a child importing its
    # own package is how re-exports are reached, so those edges are left out
    graph = {m: {t for t in imports(m) if not (MODULES[t][1] and m.startswith(t + "."))} for m in MODULES if m}
    graph = {m: {t for t in ts if t} for m, ts in graph.items()}
    index, low, stack, on, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", ["evaluation", "lemmas"])
def test_the_check_sees_imports(module):
    # the check is not vacuous: these modules do import from the package
    assert imports(module)


def test_no_citation_of_files_outside_the_repository():
    # the project documents its statements itself (docs/statements.md); a reader of the package
    # has no other statement list, no slide extractions and no shared folder
    pattern = __import__("re").compile(r"THEORY\.md|THEORY [A-I][0-9]|\bseed 00[0-9]\b|shared/seeds|\.\./shared")
    hits = []
    for path in sorted(ROOT.rglob("*")):
        if ".git" in path.parts or path.suffix not in {".py", ".md", ".ipynb", ".toml", ".txt"}:
            continue
        if path.resolve() == pathlib.Path(__file__).resolve():
            continue
        for i, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not hits, "citations of files outside the repository:\n" + "\n".join(hits)


def test_architecture_document_names_every_layer_and_module():
    # docs/architecture.md is the map a newcomer reads: it names every module the layer check knows
    text = (ROOT / "docs" / "architecture.md").read_text()
    deprecated = {"policy", "search", "conjectures"}
    missing = [p for _, prefixes in LAYERS for p in prefixes
               if p not in deprecated and f"`{p.split('.')[-1]}" not in text and f"`{p}" not in text]
    assert not missing, f"modules missing from docs/architecture.md: {missing}"
    for name, _ in LAYERS:
        assert f"| {name} |" in text, name
