"""Run registered statements over a suite of cases and aggregate the verdicts.

The suite is deterministic: case ``i`` of statement ``X`` is generated from
``(seed, i, X)`` alone, so the report is the same for any number of workers.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

from .collection import ReportCollection
from .registry import CHAPTERS, statements
from .report import FALSIFIED, UNDECIDED, VERIFIED, combine_verdicts

__all__ = ["StatementResult", "SuiteResult", "run_statement", "run_suite", "default_workers", "ERROR",
           "DEFAULT_CASES", "THOROUGH_CASES"]

ERROR = "ERROR"
#: Seconds allowed to connect to a Dask scheduler.
SCHEDULER_TIMEOUT = 10
#: Cases per (statement, mode) in the default and the thorough suite.
DEFAULT_CASES = 12
THOROUGH_CASES = 100


@dataclass
class StatementResult:
    """Aggregate of one statement in one mode over the suite's cases."""

    id: str
    name: str
    mode: str
    text: str
    source: str
    variant: str | None = None
    cases: int = 0
    counts: dict = field(default_factory=lambda: {VERIFIED: 0, FALSIFIED: 0, UNDECIDED: 0, ERROR: 0})
    worst_ratio: float | None = None
    min_slack_ratio: float | None = None
    worst_residual: object = None
    worst_slack: object = None
    seconds: float = 0.0
    notable: list = field(default_factory=list)  # reports (dicts) of FALSIFIED / UNDECIDED / ERROR cases

    def __repr__(self) -> str:
        var = f" [{self.variant}]" if self.variant else ""
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items() if v)
        return f"<StatementResult {self.id} {self.name}{var} ({self.mode}): {self.verdict}; {self.cases} cases: {counts}>"

    @property
    def verdict(self) -> str:
        """ERROR if a checker raised, else FALSIFIED/UNDECIDED/VERIFIED as combined over cases."""
        if self.counts[ERROR]:
            return ERROR
        vs = [v for v, c in self.counts.items() if c]
        return combine_verdicts(vs)

    def add(self, report):
        self.cases += 1
        self.counts[report.verdict] += 1
        r = report.ratio("identity")
        if r is not None and (self.worst_ratio is None or r > self.worst_ratio):
            self.worst_ratio = r
        r = report.ratio("inequality")
        if r is not None and (self.min_slack_ratio is None or r < self.min_slack_ratio):
            self.min_slack_ratio = r
        if report.residual is not None and (self.worst_residual is None or report.residual > self.worst_residual):
            self.worst_residual = report.residual
        if report.slack is not None and (self.worst_slack is None or report.slack < self.worst_slack):
            self.worst_slack = report.slack
        if report.verdict != VERIFIED and len(self.notable) < 3:
            self.notable.append(report)

    def add_error(self, case_index, exc_text):
        self.cases += 1
        self.counts[ERROR] += 1
        if len(self.notable) < 3:
            self.notable.append({"case": case_index, "error": exc_text})

    def to_dict(self) -> dict:
        """JSON-ready summary (notable reports in full)."""
        from .report import _jsonable

        return {
            "id": self.id, "name": self.name, "mode": self.mode, "text": self.text, "source": self.source,
            "variant": self.variant, "cases": self.cases, "verdict": self.verdict, "counts": self.counts,
            "worst_residual_over_tolerance": self.worst_ratio,
            "min_slack_over_tolerance": self.min_slack_ratio, "worst_residual": _jsonable(self.worst_residual),
            "worst_slack": _jsonable(self.worst_slack), "seconds": round(self.seconds, 3),
            "notable": [n.to_dict() if hasattr(n, "to_dict") else n for n in self.notable],
        }


@dataclass(repr=False)
class SuiteResult(ReportCollection):
    """All statement results of one run: a :class:`~mdptheory.lemmas.framework.collection.ReportCollection`
    of one ``StatementResult`` per (statement, mode[, variant])."""

    results: list
    seed: int
    cases: int
    seconds: float = 0.0

    @property
    def falsified(self) -> list:
        """Results whose verdict is FALSIFIED or ERROR."""
        return [r for r in self.results if r.verdict in (FALSIFIED, ERROR)]

    def to_dict(self) -> dict:
        return {"seed": self.seed, "cases_per_statement": self.cases, "seconds": round(self.seconds, 3),
                "results": [r.to_dict() for r in self.results]}

    def __repr__(self) -> str:
        return f"<SuiteResult seed {self.seed}, {self.cases} cases per statement and mode: {self.summary()}>"

    def table(self) -> str:
        """The summary table grouped by chapter (plain text; long names wrap, never cut)."""
        import textwrap

        lines = []
        names = [r.name + (f" [{r.variant}]" if r.variant else "") for r in self.results]
        width = min(max([30] + [len(n) for n in names]), 46)
        head = (f"{'id':<5} {'statement':<{width}} {'mode':<8} {'cases':>5}  {'worst res/tol':>13}  "
                f"{'min slack/tol':>13}  {'verdict':<10}")
        current = None
        for r in self.results:
            ch = r.id[0]
            if ch != current:
                lines.append("")
                lines.append(f"{ch}. {CHAPTERS.get(ch, '')}")
                lines.append(head)
                current = ch
            ratio, slack = _ratios(r)
            name = r.name + (f" [{r.variant}]" if r.variant else "")
            wrapped = textwrap.wrap(name, width, break_on_hyphens=False) or [""]
            lines.append(f"{r.id:<5} {wrapped[0]:<{width}} {r.mode:<8} {r.cases:>5}  {ratio:>13}  {slack:>13}  "
                         f"{r.verdict:<10}")
            lines += [f"{'':<5} {more}" for more in wrapped[1:]]
        totals = {}
        for r in self.results:
            totals[r.verdict] = totals.get(r.verdict, 0) + 1
        lines.append("")
        lines.append("totals: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())) +
                     f"  ({self.seconds:.1f} s)")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The summary as a Markdown report."""
        out = ["# proofs_check report", "", f"seed {self.seed}, {self.cases} cases per statement and mode, "
               f"{self.seconds:.1f} s", ""]
        current = None
        for r in self.results:
            ch = r.id[0]
            if ch != current:
                out += ["", f"## {ch}. {CHAPTERS.get(ch, '')}", "",
                        "| id | statement | source | mode | cases | worst residual/tol | min slack/tol | verdict |",
                        "|---|---|---|---|---|---|---|---|"]
                current = ch
            ratio, slack = _ratios(r)
            out.append(f"| {r.id} | {r.name} | {r.source} | {r.mode} | {r.cases} | {ratio} | {slack} | "
                       f"**{r.verdict}** |")
        return "\n".join(out) + "\n"


def _ratios(r):
    """Table cells: worst residual/tol and smallest slack/tol ("exact" outside float mode)."""
    if r.mode not in ("float",):
        return "exact" if r.mode in ("exact", "symbolic") else "certified", "-"
    ratio = f"{r.worst_ratio:.2e}" if r.worst_ratio is not None else "-"
    slack = f"{r.min_slack_ratio:.2e}" if r.min_slack_ratio is not None else "-"
    return ratio, slack


def _run_cases(stmt, mode, seed, n, variant, indices=None, stop_at_falsified=False, start=0, stop=None):
    """Cases ``start <= i < stop`` (default: all ``n``) of one statement in one mode, as a StatementResult."""
    res = StatementResult(stmt.id, stmt.name, mode, stmt.text, stmt.source, variant)
    t0 = time.perf_counter()
    for i, case in enumerate(stmt.cases(seed, n, mode)):
        if stop is not None and i >= stop:
            break
        if i < start or (indices is not None and i not in indices):
            continue
        try:
            rep = stmt.check(**case, mode=mode, variant=variant)
        except Exception:  # a checker that raises is a defect: report it, never hide it
            res.add_error(i, traceback.format_exc(limit=4))
            if stop_at_falsified:
                break
            continue
        res.add(rep)
        if stop_at_falsified and rep.verdict == FALSIFIED:
            break
    res.seconds = time.perf_counter() - t0
    return res


def _merge(parts):
    """One StatementResult from the results of consecutive case ranges, as if run in one pass.

    Every aggregate is taken in case order with the rule :meth:`StatementResult.add` applies
    (strict improvements only, the first three notable cases), so the merged result is the
    same as a single run's; ``seconds`` is the sum.
    """
    out = parts[0]
    for p in parts[1:]:
        out.cases += p.cases
        for k, v in p.counts.items():
            out.counts[k] = out.counts.get(k, 0) + v
        if p.worst_ratio is not None and (out.worst_ratio is None or p.worst_ratio > out.worst_ratio):
            out.worst_ratio = p.worst_ratio
        if p.min_slack_ratio is not None and (out.min_slack_ratio is None or p.min_slack_ratio < out.min_slack_ratio):
            out.min_slack_ratio = p.min_slack_ratio
        if p.worst_residual is not None and (out.worst_residual is None or p.worst_residual > out.worst_residual):
            out.worst_residual = p.worst_residual
        if p.worst_slack is not None and (out.worst_slack is None or p.worst_slack < out.worst_slack):
            out.worst_slack = p.worst_slack
        out.notable.extend(p.notable[:max(0, 3 - len(out.notable))])
        out.seconds += p.seconds
    return out


def run_statement(stmt, *, mode: str, seed: int = 0, n: int = DEFAULT_CASES, variant=None,
                  stop_at_falsified: bool = False) -> StatementResult:
    """Run one statement in one mode over ``n`` suite cases.

    ``stop_at_falsified``: stop at the first FALSIFIED (or raising) case, when
    only the combined verdict matters (fault injection, broken variants).
    """
    return _run_cases(stmt, mode, seed, n, variant, stop_at_falsified=stop_at_falsified)


def _task(args):
    sid, mode, seed, n, variant, *rest = args
    from .registry import get_statement, load_statement_modules

    if rest and rest[0]:
        load_statement_modules(rest[0])  # user statements, in a fresh worker process
    start, stop = rest[1] if len(rest) > 1 else (0, None)
    return _run_cases(get_statement(sid), mode, seed, n, variant, start=start, stop=stop)


#: Statements whose cases cost at least this much (``Statement.cost``) are split into ranges of at
#: least :data:`CHUNK_CASES` cases (about four per worker) when several workers run the suite, so
#: that one heavy statement does not keep a single worker busy while the others idle.
CHUNK_COST = 3.0
CHUNK_CASES = 10


def _ranges(st, n, workers):
    """Case ranges of one (statement, mode) task: the whole range, or chunks for a heavy statement."""
    size = max(CHUNK_CASES, -(-n // (4 * workers)))  # at most about 4 chunks per worker
    if workers > 1 and st.cost >= CHUNK_COST and n > size:
        return [(lo, min(n, lo + size)) for lo in range(0, n, size)]
    return [(0, None)]


def default_workers() -> int:
    """Worker processes of the command line's default: the usable cores, at most :data:`DEFAULT_MAX_WORKERS`."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(DEFAULT_MAX_WORKERS, cores))


#: Upper limit of :func:`default_workers` (more processes than this rarely pay for their start-up).
DEFAULT_MAX_WORKERS = 2


def run_suite(select=None, *, modes=None, seed: int = 0, n: int = DEFAULT_CASES, workers: int = 1,
              broken: bool = False, progress=None, scheduler: str | None = None) -> SuiteResult:
    """Run every selected statement over the suite.

    Parameters
    ----------
    select : iterable of str, optional
        Statement ids, chapter letters or checker names (default: all).
    modes : iterable of str, optional
        Restrict to these modes (default: each statement's own modes).
    seed, n : int
        Suite seed and cases per (statement, mode).
    workers : int
        Local processes; the result does not depend on it.
    broken : bool
        Run every registered broken variant instead of the statements (each
        should come back FALSIFIED).
    progress : callable, optional
        Called as ``progress(done, total, result)`` after each (statement, mode).
    scheduler : str, optional
        Address of a Dask distributed scheduler to run the tasks on.
    """
    from .registry import USER_MODULES

    t0 = time.perf_counter()
    groups = []  # one entry per StatementResult: (statement, mode, variant)
    user = tuple(USER_MODULES)
    for st in statements(select):
        st_modes = [m for m in st.modes if modes is None or m in modes]
        for mode in st_modes:
            for v in (st.variants if broken else (None,)):
                groups.append((st, mode, v))
    tasks, owner = [], []
    for g, (st, mode, v) in enumerate(groups):
        for rng in _ranges(st, n, max(workers, 2) if scheduler else workers):
            tasks.append((st.id, mode, seed, n, v, user, rng))
            owner.append(g)
    parallel = bool(scheduler) or (workers > 1 and len(tasks) > 1)
    parts = [None] * len(tasks)
    pending = [owner.count(g) for g in range(len(groups))]
    results = [None] * len(groups)
    done = 0

    def finish(k, res):
        nonlocal done
        parts[k] = res
        g = owner[k]
        pending[g] -= 1
        if pending[g] == 0:
            results[g] = _merge([parts[j] for j in range(len(tasks)) if owner[j] == g])
            done += 1
            if progress:
                progress(done, len(groups), results[g])

    # heaviest first (estimated cost x cases), so that the last tasks to start are short ones
    def estimate(k):
        st, mode, _ = groups[owner[k]]
        lo, hi = tasks[k][6]
        return st.cost * (1 if mode == "symbolic" else (n if hi is None else hi) - lo)  # one symbolic case

    order = sorted(range(len(tasks)), key=lambda k: -estimate(k))
    if scheduler:
        from distributed import Client

        with Client(scheduler, timeout=SCHEDULER_TIMEOUT) as client:
            futs = client.map(_task, [tasks[k] for k in order], pure=False)
            for k, fut in zip(order, futs):
                finish(k, fut.result())
    elif parallel:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        if any(mode == "symbolic" for _, mode, _ in groups):
            import sympy  # noqa: F401  -- imported once here, inherited by the forked workers
        ex = ProcessPoolExecutor(max_workers=min(workers, len(tasks)))
        try:
            futs = {ex.submit(_task, tasks[k]): k for k in order}
            for fut in as_completed(futs):
                finish(futs[fut], fut.result())
        except BaseException:  # Ctrl-C (or a failure): drop the queued tasks instead of running them all first
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)
    else:
        for k, t in enumerate(tasks):
            finish(k, _task(t))
    return SuiteResult(results, seed, n, time.perf_counter() - t0)
