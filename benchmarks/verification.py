"""Verification throughput: statement-cases per second of ``proofs_check`` and examples per second of the search.

Rows:

* the whole default suite (12 cases per statement and mode) and, in a full
  run, the thorough suite (100), each run once as ``python -m proofs_check``
  in a fresh interpreter (start-up included) with the command line's
  default worker count, beside the time of the bare computation every case
  of it contains at least: one evaluation of V for each case's MDP (a
  ``numpy.linalg.solve`` of :math:`(I - \\gamma P^\\pi) V = r^\\pi`, FLINT's
  ``fmpq_mat.solve`` for an exact case), on the same cases, generated here;
* one row per (statement, mode): seconds per case (the per-statement time
  of that run's JSON report) and cases per second, beside the same bare solve of that statement's
  cases (statements whose cases hold no MDP, the chain of C1 and the symbolic
  proofs, have no baseline);
* the counterexample search (:func:`mdptheory.counterexamples.find_counterexample`
  on a property that holds, so that every example is generated and checked,
  no shrinking): seconds per example beside the bare solve of as many random
  MDPs of the same sizes.

The per-statement times come from the worker processes; with two workers on
two cores each includes the contention of the other worker.
"""

from __future__ import annotations

import time

import numpy as np

from ._common import Row

__all__ = ["run"]


def _bare_solve(case):
    """V of the case's MDP under its policy (uniform if it has none), by a bare dense solve; None if no MDP."""
    m = case.get("mdp")
    if m is None or not hasattr(m, "P_dense"):
        return None
    pi = case.get("pi")
    S, A = m.n_states, m.n_actions
    if m.is_exact:
        from fractions import Fraction

        from flint import fmpq, fmpq_mat

        P = m.P_dense()
        w = pi if pi is not None and np.asarray(pi).dtype == object else None
        rows = []
        rhs = []
        g = Fraction(m.gamma)
        for s in range(S):
            p_s = [w[s][a] if w is not None else Fraction(1, A) for a in range(A)]
            rows.extend((1 if s == t else 0) - g * sum((p_s[a] * P[s, a, t] for a in range(A)), Fraction(0))
                        for t in range(S))
            rhs.append(sum((p_s[a] * m.r[s, a] for a in range(A)), Fraction(0)))
        q = [fmpq(x.numerator, x.denominator) for x in rows]
        return fmpq_mat(S, S, q).solve(fmpq_mat(S, 1, [fmpq(x.numerator, x.denominator) for x in rhs]))
    P = np.asarray(m.P_dense(), dtype=float)
    p = np.full((S, A), 1.0 / A) if pi is None else np.asarray(pi, dtype=float)
    P_pi = np.einsum("sa,sat->st", p, P)
    return np.linalg.solve(np.eye(S) - float(m.gamma) * P_pi, (p * np.asarray(m.r, dtype=float)).sum(axis=1))


def _baseline(st, mode, n, seed=0):
    """Seconds of the bare solves of the statement's ``n`` cases (generated beforehand), or None."""
    import warnings

    with warnings.catch_warnings():  # some generators evaluate while drawing; their warnings are not news here
        warnings.simplefilter("ignore")
        cases = [c for c in st.cases(seed, n, mode)]
    if mode == "symbolic" or not cases or all("mdp" not in c for c in cases):
        return None
    t0 = time.perf_counter()
    for c in cases:
        _bare_solve(c)
    return time.perf_counter() - t0


def _suite_rows(label, n, workers, anchor):
    """Run ``python -m proofs_check --cases n`` in a fresh interpreter (start-up included) and read its report."""
    import json
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from mdptheory.lemmas import statements

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "proofs_check", "--quiet", "--cases", str(n), "--workers", str(workers),
                        "--json", out, "--witness-dir", tmp], cwd=root, stdout=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - t0
        with open(out, encoding="utf-8") as fh:
            results = json.load(fh)["results"]
    total_cases = sum(r["cases"] for r in results)
    by_id = {st.id: st for st in statements()}
    per, base_total = [], 0.0
    for r in results:
        base = _baseline(by_id[r["id"]], r["mode"], n)
        base_total += base or 0.0
        per.append((r, base))
    verdicts = {}
    for r in results:
        verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
    rows = [Row(f"{label}: python -m proofs_check --cases {n}, {workers} workers ({total_cases} statement-cases)",
                wall, "bare solves of its cases", base_total, anchor=anchor,
                note=f"{total_cases / wall:.3g} statement-cases/s; "
                     + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))]
    for r, base in sorted(per, key=lambda x: -x[0]["seconds"]):
        cps = r["cases"] / r["seconds"] if r["seconds"] > 0 else float("inf")
        rows.append(Row(f"{label}: {r['id']} {r['name']} ({r['mode']}), {r['cases']} cases", r["seconds"],
                        "bare solves" if base else "", base, per=max(r["cases"], 1),
                        note=f"{cps:.3g} cases/s"))
    return rows


def _search_rows(quick):
    from mdptheory import evaluate
    from mdptheory.counterexamples import find_counterexample

    budget = 100 if quick else 400

    def holds(case):
        return bool(np.all(np.isfinite(np.asarray(evaluate(case.mdp, case.pi).V, dtype=float))))

    find_counterexample(holds, budget=5, seed=1, states=(1, 4), actions=(1, 3))  # warm-up: imports, strategies
    t0 = time.perf_counter()
    ce = find_counterexample(holds, budget=budget, seed=0, states=(1, 4), actions=(1, 3))
    t_search = time.perf_counter() - t0
    n_ex = max(ce.n_examples, 1)
    rng = np.random.default_rng(0)
    sizes = [(int(rng.integers(1, 5)), int(rng.integers(1, 4))) for _ in range(n_ex)]
    data = []
    for S, A in sizes:
        P = rng.random((S, A, S))
        P /= P.sum(axis=2, keepdims=True)
        pi = rng.random((S, A))
        pi /= pi.sum(axis=1, keepdims=True)
        data.append((P, rng.random((S, A)), pi, S))
    t0 = time.perf_counter()
    for P, r, pi, S in data:
        np.linalg.solve(np.eye(S) - 0.9 * np.einsum("sa,sat->st", pi, P), (pi * r).sum(axis=1))
    t_bare = time.perf_counter() - t0
    return [Row(f"counterexample search (Hypothesis, S 1-4, A 1-3), property holds: {n_ex} examples",
                t_search, "bare solve per example", t_bare, per=n_ex,
                note=f"{n_ex / t_search:.3g} examples/s; found={ce.found}")]


def run(quick: bool) -> list[Row]:
    from mdptheory.lemmas.framework.runner import DEFAULT_CASES, THOROUGH_CASES, default_workers

    workers = default_workers()
    rows = _suite_rows("default", DEFAULT_CASES, workers, "target <= 8 s (2 cores)")
    if not quick:
        rows += _suite_rows("thorough", THOROUGH_CASES, workers, "target <= 45 s (2 cores)")
    rows += _search_rows(quick)
    return rows
