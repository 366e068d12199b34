"""Mutation strength of the tests and the statement suite for one module of the package.

    python -m benchmarks.mutation mdptheory/kl.py [--n 30] [--seed 0] [--timeout SECONDS]
    python -m benchmarks.mutation kl --n 10 --tests tests/test_kl.py

Applies ``n`` random AST mutations (chosen with ``seed`` among all sites of the
module) one at a time: arithmetic operator swaps (+ -, * /, ** *), flipped or
negated comparisons (< <=, > >=, == !=), changed numeric constants (0 <-> 1,
k -> k + 1, x -> 2x), a dropped unary minus, ``and`` <-> ``or`` and a dropped
``not``.  Code inside ``raise`` statements, messages, ``stacklevel=`` of warnings and
the module's docstrings is not mutated.  Every mutant is written into a temporary copy of the package tree
(the checkout is never modified) and judged by

1. ``python -m proofs_check --select <statements that call the module> --cases 3``
   (the statements are found by counting calls of the module's functions
   during a run of each statement, as the fault-injection matrix does), then
2. ``python -m pytest -x <the module's test files>``,

each with a timeout; the mutant is *killed* when either fails or times out.
Both are first run on the unmutated (unparsed) copy, which must pass.
The report gives the kill rate and, for every survivor, its diff.  A benchmark,
not a test: it costs one test run per mutant.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Test files of the modules the benchmark is usually run on (others: every test file importing the module).
#: ``tests/test_mutation_gaps.py`` holds the tests written for earlier survivors, so it judges every module.
_GAPS = "tests/test_mutation_gaps.py"
TESTS = {
    "mdptheory/evaluation": ["tests/test_evaluation.py", "tests/test_conditioning.py", _GAPS],
    "mdptheory/gradients.py": ["tests/test_gradients.py", _GAPS],
    "mdptheory/fisher_information.py": ["tests/test_geometry.py", _GAPS],
    "mdptheory/natural_gradients.py": ["tests/test_geometry.py", _GAPS],
    "mdptheory/compatible_fa.py": ["tests/test_geometry.py", "tests/test_lemmas_function_approximation.py", _GAPS],
    "mdptheory/policies/softmax.py": ["tests/test_policies.py", _GAPS],
    "mdptheory/kl.py": ["tests/test_kl.py", _GAPS],
    "mdptheory/optimal.py": ["tests/test_optimal.py", _GAPS],
    "mdptheory/lemmas/framework/report.py": ["tests/test_lemmas_report.py", "tests/test_report_rendering.py", _GAPS],
    "mdptheory/derivatives.py": ["tests/test_derivatives.py", _GAPS],
}

_SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
             ast.FloorDiv: ast.Div, ast.MatMult: ast.Mult}
_SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}


def _resolve_module(arg: str) -> Path:
    """``mdptheory/kl.py``, ``mdptheory.kl`` or ``kl`` -> the file's path relative to the checkout."""
    cands = [arg, arg.replace(".", "/") + ".py", "mdptheory/" + arg.replace(".", "/") + ".py",
             "mdptheory/" + arg]
    for c in cands:
        p = ROOT / c
        if p.is_file() and p.suffix == ".py":
            return p.relative_to(ROOT)
    raise SystemExit(f"error: no module {arg!r} in the package (try mdptheory/kl.py)")


def _docstring_nodes(tree):
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def mutation_sites(source: str) -> list:
    """Every mutation of ``source``: a list of (node path, kind, description, line)."""
    tree = ast.parse(source)
    skip = _docstring_nodes(tree)
    in_raise = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.JoinedStr, ast.Assert)):
            for sub in ast.walk(node):
                in_raise.add(id(sub))
        elif isinstance(node, ast.keyword) and node.arg == "stacklevel":  # which frame a warning names
            in_raise.add(id(node.value))
    sites = []
    for idx, node in enumerate(ast.walk(tree)):
        if id(node) in in_raise or id(node) in skip:
            continue
        line = getattr(node, "lineno", None)
        if isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BIN:
            sites.append((idx, "binop", f"{type(node.op).__name__} -> {_SWAP_BIN[type(node.op)].__name__}", line))
        elif isinstance(node, ast.AugAssign) and type(node.op) in _SWAP_BIN:
            sites.append((idx, "augop", f"{type(node.op).__name__}= -> {_SWAP_BIN[type(node.op)].__name__}=", line))
        elif isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in _SWAP_CMP:
                    sites.append((idx, f"cmp{k}", f"{type(op).__name__} -> {_SWAP_CMP[type(op)].__name__}", line))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            sites.append((idx, "const", f"constant {node.value!r} changed", line))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            sites.append((idx, "unary", f"dropped {type(node.op).__name__}", line))
        elif isinstance(node, ast.BoolOp):
            sites.append((idx, "boolop", f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}",
                          line))
    return sites


def _changed_constant(v):
    if v == 0:
        return 1
    if v == 1:
        return 0 if isinstance(v, int) else 2.0
    return v + 1 if isinstance(v, int) else v * 2


class _Mutator(ast.NodeTransformer):
    def __init__(self, idx, kind):
        self.idx, self.kind = idx, kind
        self.order = {}

    def mutate(self, tree):
        for k, node in enumerate(ast.walk(tree)):
            self.order[id(node)] = k
        return self.visit(tree)

    def generic_visit(self, node):
        node = super().generic_visit(node)
        if self.order.get(id(node)) != self.idx:
            return node
        if self.kind == "binop":
            node.op = _SWAP_BIN[type(node.op)]()
        elif self.kind == "augop":
            node.op = _SWAP_BIN[type(node.op)]()
        elif self.kind.startswith("cmp"):
            k = int(self.kind[3:])
            node.ops[k] = _SWAP_CMP[type(node.ops[k])]()
        elif self.kind == "const":
            return ast.copy_location(ast.Constant(_changed_constant(node.value)), node)
        elif self.kind == "unary":
            return node.operand
        elif self.kind == "boolop":
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node


def mutate(source: str, site) -> str:
    """The source with one mutation applied (unparsed from the AST)."""
    tree = ast.parse(source)
    new = _Mutator(site[0], site[1]).mutate(tree)
    ast.fix_missing_locations(new)
    return ast.unparse(new)


def _module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def touching_statements(rel: Path, cases: int = 2) -> list:
    """Statement ids whose run calls a function or method defined in the module."""
    import importlib
    import inspect

    sys.path.insert(0, str(ROOT))
    from mdptheory.lemmas.framework import faults
    from mdptheory.lemmas.framework.registry import statements
    from mdptheory.lemmas.framework.runner import run_statement

    modname = _module_name(rel)
    mod = importlib.import_module(modname)
    paths = []
    for name, obj in vars(mod).items():
        if inspect.isfunction(obj) and obj.__module__ == modname:
            paths.append(f"{modname}:{name}")
        elif inspect.isclass(obj) and obj.__module__ == modname:
            for attr, raw in vars(obj).items():
                if inspect.isfunction(raw) or isinstance(raw, property):
                    paths.append(f"{modname}:{name}.{attr}")
    out = []
    for st in statements():
        for m in st.modes:
            counts = {}
            with faults._patched([(p, lambda orig: orig) for p in paths], counts):
                run_statement(st, mode=m, n=cases)
            if any(counts.values()):
                out.append(st.id)
                break
    return out


def _test_files(rel: Path) -> list:
    key = str(rel)
    for k, v in TESTS.items():
        if key == k or key.startswith(k + "/"):
            return v
    name = _module_name(rel)
    short = name.rpartition(".")[2]
    out = []
    for t in sorted((ROOT / "tests").glob("test_*.py")):
        text = t.read_text()
        if name in text or f"import {short}" in text:
            out.append(str(t.relative_to(ROOT)))
    return out


def _run(cmd, cwd, env, timeout):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True)
        return p.returncode, time.perf_counter() - t0, p.stdout[-2000:]
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, ""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__.split("\n\n")[0])
    p.add_argument("module", help="module file, e.g. mdptheory/kl.py (or mdptheory.kl, or kl)")
    p.add_argument("--n", type=int, default=30, help="number of mutants (default 30)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per command per mutant (default: 20 s + 5 times the command's baseline time, "
                        "so that a mutant looping forever costs little)")
    p.add_argument("--tests", nargs="*", default=None, help="test files (default: the module's)")
    p.add_argument("--select", nargs="*", default=None, help="statements (default: those calling the module)")
    p.add_argument("--no-tests", action="store_true", help="judge by the statement suite only")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("--n must be positive")
    rel = _resolve_module(args.module)
    source = (ROOT / rel).read_text()
    sites = mutation_sites(source)
    rng = random.Random(args.seed)
    chosen = sorted(rng.sample(sites, min(args.n, len(sites))), key=lambda s: (s[3] or 0, s[0], s[1]))
    tests = [] if args.no_tests else (args.tests if args.tests is not None else _test_files(rel))
    sel = args.select if args.select is not None else touching_statements(rel)
    print(f"module {rel}: {len(sites)} mutation sites, {len(chosen)} mutants (seed {args.seed})")
    print(f"statements: {' '.join(sel) or '(none)'}")
    print(f"tests: {' '.join(tests) or '(none)'}", flush=True)
    base_text = ast.unparse(ast.parse(source))  # diffs against the unparsed original: formatting-neutral
    killed, survivors, t_start = 0, [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mdptheory-mutation-") as tmp:
        for d in ("mdptheory", "proofs_check", "tests", "docs"):
            if (ROOT / d).exists():
                shutil.copytree(ROOT / d, Path(tmp) / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for f in ("pyproject.toml", "README.md"):
            if (ROOT / f).exists():
                shutil.copy2(ROOT / f, Path(tmp) / f)
        env = dict(os.environ, PYTHONPATH=tmp, PYTHONDONTWRITEBYTECODE="1", CI="true")
        target = Path(tmp) / rel
        target.write_text(ast.unparse(ast.parse(source)))  # every mutant is unparsed: so is the baseline
        judge = []
        limit = {}  # command kind -> timeout per mutant
        if sel:
            judge.append([sys.executable, "-m", "proofs_check", "--select", *sel, "--cases", "3", "--quiet",
                          "--witness-dir", str(Path(tmp) / "witnesses")])
        if tests:
            judge.append([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests])
        for cmd in judge:  # the unmutated copy must pass, or every mutant would count as killed
            rc, sec, out = _run(cmd, tmp, env, args.timeout if args.timeout is not None else 600.0)
            if rc != 0:
                print(f"error: the unmutated module fails {' '.join(cmd[1:4])} ...:\n{out}")
                return 2
            limit[cmd[2]] = args.timeout if args.timeout is not None else 20.0 + 5.0 * sec
        print(f"baseline passes ({len(judge)} command(s); timeouts per mutant: "
              f"{', '.join(f'{k} {v:.0f} s' for k, v in limit.items())})", flush=True)
        for k, site in enumerate(chosen, 1):
            mutated = mutate(source, site)
            target.write_text(mutated)
            verdict, where = "survived", ""
            if sel:
                rc, sec, out = _run([sys.executable, "-m", "proofs_check", "--select", *sel, "--cases", "3",
                                     "--quiet", "--witness-dir", str(Path(tmp) / "witnesses")], tmp, env,
                                    limit["proofs_check"])
                if rc != 0:
                    verdict, where = "killed", f"statements ({rc}, {sec:.0f} s)"
            if verdict == "survived" and tests:
                rc, sec, out = _run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                     *tests], tmp, env, limit["pytest"])
                if rc != 0:
                    verdict, where = "killed", f"tests ({rc}, {sec:.0f} s)"
            diff = "".join(difflib.unified_diff(base_text.splitlines(True), mutated.splitlines(True), n=0))
            diff = "\n".join(line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
            print(f"[{k}/{len(chosen)}] line {site[3]}: {site[2]}: {verdict} {where}", flush=True)
            if verdict == "killed":
                killed += 1
            else:
                survivors.append((site, diff))
        target.write_text(source)
    total = len(chosen)
    print(f"\nkilled {killed}/{total} ({100.0 * killed / total:.0f}%) in {time.perf_counter() - t_start:.0f} s")
    for site, diff in survivors:
        print(f"\nSURVIVOR line {site[3]}: {site[2]}\n{diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
