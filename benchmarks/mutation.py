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
2. ``python -m pytest -x <the module's test files>`` (hypothesis with the CI profile, without
   shrinking: the first failing example kills),

each with a timeout (20 s + 5 times the unmutated run's time, unless ``--timeout``); the mutant is
*killed* when either fails or times out.  Both are first run on the unmutated (unparsed) copy,
which must pass.

To make a mutant cheap, one traced run of the unmutated copy records which lines of the module
each statement and each test executes; a mutant is then judged only by the statements and tests
that execute the statement it changes (all of them for lines run at import time).  A test that
never runs the changed line behaves identically on the mutant, so this changes the cost, not the
verdict -- except through state cached across tests or work done in subprocesses, which
``--confirm`` (re-judge each survivor by everything) or ``--full`` (no narrowing) rule out.  A
mutant whose line no statement or test executes is reported as such, without a run.

The report gives the kill rate and, for every survivor, its number (for ``--only``) and diff.
A benchmark, not a test: it costs one narrowed test run per mutant.
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
#: ``tests/test_mutation_gaps.py`` holds the tests written for earlier survivors, so it judges every module;
#: ``tests/test_conditioning.py`` checks the certified float bounds against mpmath references.
_GAPS = "tests/test_mutation_gaps.py"
TESTS = {
    "mdptheory/evaluation": ["tests/test_evaluation.py", "tests/test_exact_integer_form.py", "tests/test_conditioning.py",
                             _GAPS],
    "mdptheory/gradients.py": ["tests/test_gradients.py", "tests/test_conditioning.py", _GAPS],
    "mdptheory/fisher_information.py": ["tests/test_geometry.py", _GAPS],
    "mdptheory/natural_gradients.py": ["tests/test_geometry.py", "tests/test_conditioning.py", _GAPS],
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


_MUTATION_PROFILE = """

# Added by benchmarks/mutation.py to its temporary copy only.
from hypothesis import Phase as _Phase  # noqa: E402

settings.register_profile("mutation", parent=settings.get_profile("ci"),
                          phases=[_Phase.explicit, _Phase.reuse, _Phase.generate])
settings.load_profile("mutation")
"""


def _run(cmd, cwd, env, timeout):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True)
        return p.returncode, time.perf_counter() - t0, p.stdout[-2000:]
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0, ""


def site_lines(source: str) -> dict:
    """Node index -> the lines whose execution runs the node: those of its innermost statement.

    For a compound statement (``if``, ``while``, ``def`` ...) only its header counts (decorators,
    signature and condition), not its body: a node there runs when the header runs.
    """
    tree = ast.parse(source)
    parent = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parent[id(child)] = node
    out = {}
    for idx, node in enumerate(ast.walk(tree)):
        stmt = node
        while not isinstance(stmt, ast.stmt) and id(stmt) in parent:
            stmt = parent[id(stmt)]
        if not isinstance(stmt, ast.stmt):
            continue
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        last = stmt.end_lineno or stmt.lineno
        body = getattr(stmt, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            last = max(stmt.lineno, body[0].lineno - 1)
            if hasattr(body[0], "decorator_list") and body[0].decorator_list:
                last = max(stmt.lineno, min(d.lineno for d in body[0].decorator_list) - 1)
        out[idx] = set(range(first, last + 1))
    return out


class _Tracer:
    """Lines of one file executed, per context (a statement id or a test node id)."""

    def __init__(self, filename):
        self.filename = os.path.realpath(filename)
        self.context = "import"
        self.hits = {}
        self._mine = {}

    def _local(self, frame, event, arg):
        if event == "line":
            self.hits.setdefault(self.context, set()).add(frame.f_lineno)
        return self._local

    def __call__(self, frame, event, arg):
        code = frame.f_code
        mine = self._mine.get(code)
        if mine is None:
            mine = self._mine[code] = os.path.realpath(code.co_filename) == self.filename
        if not mine:
            return None
        self.hits.setdefault(self.context, set()).add(frame.f_lineno)
        return self._local


def _trace_main(argv) -> int:
    """``python -m benchmarks.mutation _trace FILE MODULE OUT WITNESS_DIR [statement ...] -- [test ...]``.

    Runs each statement (as ``proofs_check --select ID --cases 3``) and each test in this process
    with a line tracer on FILE, and writes ``{context: [line, ...]}`` as JSON to OUT.  Lines run
    while importing count for every context ("import"), lines run while pytest collects for every
    test ("collect").
    """
    import contextlib
    import importlib
    import io
    import json
    import threading

    target, modname, out, wdir, *rest = argv
    k = rest.index("--")
    sel, tests = rest[:k], rest[k + 1:]
    tracer = _Tracer(target)
    threading.settrace(tracer)
    sys.settrace(tracer)
    import proofs_check.__main__ as pc

    importlib.import_module("mdptheory.lemmas")
    importlib.import_module(modname)
    for sid in sel:
        tracer.context = "st:" + sid
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pc.main(["--select", sid, "--cases", "3", "--quiet", "--witness-dir", wdir])
    if tests:
        import pytest

        class _Contexts:
            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtest_protocol(self, item, nextitem):
                tracer.context = "t:" + item.nodeid
                yield

        tracer.context = "collect"
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main(["-q", "-p", "no:cacheprovider", *tests], plugins=[_Contexts()])
    sys.settrace(None)
    threading.settrace(None)
    Path(out).write_text(json.dumps({c: sorted(v) for c, v in tracer.hits.items()}))
    return 0


def _judges_of(lines, hits, sel, tests):
    """The statements and test node ids whose run executes one of ``lines`` (all, for import-time lines)."""
    if lines & hits.get("import", set()):
        return list(sel), list(tests)
    st = [sid for sid in sel if lines & hits.get("st:" + sid, set())]
    if lines & hits.get("collect", set()):
        return st, list(tests)
    ts = [c[2:] for c, v in hits.items() if c.startswith("t:") and lines & v]
    return st, ts


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "_trace":
        return _trace_main(argv[1:])
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
    p.add_argument("--only", type=int, nargs="*", default=None,
                   help="run only these mutants of the sample (1-based, as numbered in the report)")
    p.add_argument("--full", action="store_true",
                   help="judge every mutant by all the statements and test files (default: only the "
                        "statements and tests whose unmutated run executes the mutated statement)")
    p.add_argument("--confirm", action="store_true",
                   help="judge each survivor of the narrowed run again by all the statements and test files")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("--n must be positive")
    rel = _resolve_module(args.module)
    source = (ROOT / rel).read_text()
    sites = mutation_sites(source)
    # the copy under test holds the unparsed module (as every mutant does): lines are counted in it
    base_text = ast.unparse(ast.parse(source))
    if [s[:3] for s in mutation_sites(base_text)] != [s[:3] for s in sites]:
        raise SystemExit("error: the unparsed module does not have the same mutation sites")
    lines_of = site_lines(base_text)
    rng = random.Random(args.seed)
    chosen = sorted(rng.sample(sites, min(args.n, len(sites))), key=lambda s: (s[3] or 0, s[0], s[1]))
    tests = [] if args.no_tests else (args.tests if args.tests is not None else _test_files(rel))
    sel = args.select if args.select is not None else touching_statements(rel)
    print(f"module {rel}: {len(sites)} mutation sites, {len(chosen)} mutants (seed {args.seed})")
    print(f"statements: {' '.join(sel) or '(none)'}")
    print(f"tests: {' '.join(tests) or '(none)'}", flush=True)
    killed, survivors, t_start = 0, [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mdptheory-mutation-") as tmp:
        for d in ("mdptheory", "proofs_check", "tests", "docs", "benchmarks"):
            if (ROOT / d).exists():
                shutil.copytree(ROOT / d, Path(tmp) / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for f in ("pyproject.toml", "README.md"):
            if (ROOT / f).exists():
                shutil.copy2(ROOT / f, Path(tmp) / f)
        conftest = Path(tmp) / "tests" / "conftest.py"
        if conftest.exists():  # the CI profile without shrinking: a failing example kills, no minimal form needed
            conftest.write_text(conftest.read_text() + _MUTATION_PROFILE)
        env = dict(os.environ, PYTHONPATH=tmp, PYTHONDONTWRITEBYTECODE="1", CI="true")
        target = Path(tmp) / rel
        target.write_text(ast.unparse(ast.parse(source)))  # every mutant is unparsed: so is the baseline
        wdir = str(Path(tmp) / "witnesses")

        def statements_cmd(ids):
            return [sys.executable, "-m", "proofs_check", "--select", *ids, "--cases", "3", "--quiet",
                    "--witness-dir", wdir]

        def tests_cmd(ids):
            return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *ids]

        judge = []
        limit = {}  # command kind -> timeout per mutant
        if sel:
            judge.append(statements_cmd(sel))
        if tests:
            judge.append(tests_cmd(tests))
        for cmd in judge:  # the unmutated copy must pass, or every mutant would count as killed
            rc, sec, out = _run(cmd, tmp, env, args.timeout if args.timeout is not None else 600.0)
            if rc != 0:
                print(f"error: the unmutated module fails {' '.join(cmd[1:4])} ...:\n{out}")
                return 2
            limit[cmd[2]] = args.timeout if args.timeout is not None else 20.0 + 5.0 * sec
        print(f"baseline passes ({len(judge)} command(s); timeouts per mutant: "
              f"{', '.join(f'{k} {v:.0f} s' for k, v in limit.items())})", flush=True)
        hits = None
        if not args.full:
            import json

            out_json = Path(tmp) / "lines.json"
            rc, sec, out = _run([sys.executable, "-m", "benchmarks.mutation", "_trace", str(target),
                                 _module_name(rel), str(out_json), wdir, *sel, "--", *tests], tmp, env, 3600.0)
            if rc != 0 or not out_json.exists():
                print(f"error: the traced run failed ({rc}):\n{out}")
                return 2
            hits = {c: set(v) for c, v in json.loads(out_json.read_text()).items()}
            print(f"traced which statements and tests run each line ({sec:.0f} s)", flush=True)

        def judge_mutant(ids, tids):
            if ids:
                rc, sec, out = _run(statements_cmd(ids), tmp, env, limit["proofs_check"])
                if rc != 0:
                    return f"statements ({rc}, {sec:.0f} s)"
            if tids:
                rc, sec, out = _run(tests_cmd(tids), tmp, env, limit["pytest"])
                if rc != 0:
                    return f"tests ({rc}, {sec:.0f} s)"
            return ""

        for k, site in enumerate(chosen, 1):
            if args.only is not None and k not in args.only:
                continue
            mutated = mutate(source, site)
            target.write_text(mutated)
            if hits is None:
                ids, tids = sel, tests
            else:
                ids, tids = _judges_of(lines_of.get(site[0], set()), hits, sel, tests)
            where = judge_mutant(ids, tids)
            scope = f"[{len(ids)} statement(s), {len(tids)} test(s)]" if hits is not None else ""
            if not where and hits is not None and not ids and not tids:
                scope = "[not executed by any statement or test]"
            if not where and args.confirm and hits is not None:
                where = judge_mutant(sel, tests)
                scope += " confirmed by the full judge" if not where else " (killed only by the full judge)"
            verdict = "killed" if where else "survived"
            diff = "".join(difflib.unified_diff(base_text.splitlines(True), mutated.splitlines(True), n=0))
            diff = "\n".join(line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
            print(f"[{k}/{len(chosen)}] line {site[3]}: {site[2]}: {verdict} {where} {scope}".rstrip(), flush=True)
            if verdict == "killed":
                killed += 1
            else:
                survivors.append((k, site, diff))
        target.write_text(source)
    total = killed + len(survivors)
    print(f"\nkilled {killed}/{total} ({100.0 * killed / max(total, 1):.0f}%) in {time.perf_counter() - t_start:.0f} s")
    for k, site, diff in survivors:
        print(f"\nSURVIVOR {k}, line {site[3]}: {site[2]}\n{diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
