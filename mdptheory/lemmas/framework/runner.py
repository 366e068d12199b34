"""Run registered statements over a suite of cases and aggregate the verdicts.

The suite is deterministic: case ``i`` of statement ``X`` is generated from
``(seed, i, X)`` alone, so the report is the same for any number of workers.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

from .registry import CHAPTERS, statements
from .report import FALSIFIED, UNDECIDED, VERIFIED, combine_verdicts

__all__ = ["StatementResult", "SuiteResult", "run_statement", "run_suite", "ERROR", "DEFAULT_CASES",
           "THOROUGH_CASES"]

ERROR = "ERROR"
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


@dataclass
class SuiteResult:
    """All statement results of one run."""

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

    def table(self) -> str:
        """The summary table grouped by chapter (plain text)."""
        lines = []
        head = (f"{'id':<5} {'statement':<30} {'mode':<8} {'cases':>5}  {'worst res/tol':>13}  "
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
            lines.append(f"{r.id:<5} {name[:30]:<30} {r.mode:<8} {r.cases:>5}  {ratio:>13}  {slack:>13}  "
                         f"{r.verdict:<10}")
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


def _run_cases(stmt, mode, seed, n, variant, indices=None, stop_at_falsified=False):
    res = StatementResult(stmt.id, stmt.name, mode, stmt.text, stmt.source, variant)
    t0 = time.perf_counter()
    for i, case in enumerate(stmt.cases(seed, n, mode)):
        if indices is not None and i not in indices:
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


def run_statement(stmt, *, mode: str, seed: int = 0, n: int = DEFAULT_CASES, variant=None,
                  stop_at_falsified: bool = False) -> StatementResult:
    """Run one statement in one mode over ``n`` suite cases.

    ``stop_at_falsified``: stop at the first FALSIFIED (or raising) case, when
    only the combined verdict matters (fault injection, broken variants).
    """
    return _run_cases(stmt, mode, seed, n, variant, stop_at_falsified=stop_at_falsified)


def _task(args):
    sid, mode, seed, n, variant = args
    from .registry import get_statement

    return _run_cases(get_statement(sid), mode, seed, n, variant)


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
    t0 = time.perf_counter()
    tasks = []
    for st in statements(select):
        st_modes = [m for m in st.modes if modes is None or m in modes]
        for mode in st_modes:
            if broken:
                for v in st.variants:
                    tasks.append((st.id, mode, seed, n, v))
            else:
                tasks.append((st.id, mode, seed, n, None))
    results = [None] * len(tasks)
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futs = client.map(_task, tasks, pure=False)
            for k, fut in enumerate(futs):
                results[k] = fut.result()
                if progress:
                    progress(k + 1, len(tasks), results[k])
    elif workers > 1 and len(tasks) > 1:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as ex:
            futs = {ex.submit(_task, t): k for k, t in enumerate(tasks)}
            for done, fut in enumerate(as_completed(futs), 1):
                k = futs[fut]
                results[k] = fut.result()
                if progress:
                    progress(done, len(tasks), results[k])
    else:
        for k, t in enumerate(tasks):
            results[k] = _task(t)
            if progress:
                progress(k + 1, len(tasks), results[k])
    return SuiteResult(results, seed, n, time.perf_counter() - t0)
