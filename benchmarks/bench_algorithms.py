"""Algorithms: time per iteration of the exact-expectation algorithms against one evaluation.

Every iteration of NPG and softmax gradient ascent is one evaluation of the
current policy (V, Q, A and the visitations from one LU factorization of
``I - gamma P_pi``) plus the update and its trace (gap, KL moved, gradient
norm); the project's target is an iteration within 2x of one evaluation's
cost at S = 100, A = 5 and S = 1000, A = 10.  The baseline is ``evaluate`` of
a fresh policy followed by ``visitation()``, timed in the same run, as many
times as the algorithm iterates.  TRPO runs tabular (block-diagonal Fisher,
closed-form trust-region step; target within 2x) and on a log-linear policy
with 8 features (dense 8x8 Fisher); PPO takes 10 exact inner gradient steps
on the iteration's evaluation (target within 3x); CPI (alpha = 0.1) is listed
for comparison.

Run as a section, ``python -m benchmarks algorithms [--quick]``, or alone,
``python -m benchmarks.bench_algorithms [--quick]``.  Each row's baseline is
timed alternately with the algorithm (the ratio is robust to a drifting load
on a shared machine).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from ._common import Row

__all__ = ["run", "main"]


def _cases(m, S, A, T):
    """(name, run, iterations, note) for each algorithm at one size."""
    from mdptheory.algorithms import (cpi, log_barrier_policy_gradient, natural_policy_gradient, ppo,
                                      softmax_policy_gradient, trpo)
    from mdptheory.policies import LogLinear, TabularSoftmax

    phi = np.random.default_rng(1).normal(size=(S, A, 8))
    cases = [
        ("natural_policy_gradient (closed form)", lambda: natural_policy_gradient(m, eta=1.0, T=T), T,
         "target <= 2x one evaluation"),
        ("softmax_policy_gradient (Lemma 10.2)", lambda: softmax_policy_gradient(m, T=T), T,
         "target <= 2x one evaluation"),
        ("log_barrier_policy_gradient", lambda: log_barrier_policy_gradient(m, lam=0.1, T=T), T, ""),
        ("trpo, log-linear d=8", lambda: trpo(m, LogLinear(phi), delta=0.01, T=T), T, "one eigh of the 8x8 Fisher"),
        ("ppo, tabular, 10 inner steps", lambda: ppo(m, TabularSoftmax(S, A), lr=1.0, T=T), T,
         "target <= 3x one evaluation; 10 surrogate gradients per iteration (was 5.8x)"),
        ("cpi, alpha=0.1", lambda: cpi(m, T=T, alpha=0.1), T, ""),
    ]
    cases.insert(4, ("trpo, tabular", lambda: trpo(m, TabularSoftmax(S, A), delta=0.01, T=T), T,
                     "target <= 2x one evaluation; block-diagonal Fisher, closed form (was 50x: dense Fisher, eigh)"))
    return cases


def _interleaved(fn_a, fn_b, repeat):
    """Medians of ``fn_a()`` and ``fn_b()`` timed alternately (one warm-up each), so that a
    drifting machine load affects both alike."""
    import gc
    import statistics
    import time

    fn_a(), fn_b()
    ta, tb = [], []
    for _ in range(repeat):
        for fn, out in ((fn_a, ta), (fn_b, tb)):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(ta), statistics.median(tb)


def run(quick: bool) -> list[Row]:
    """Rows of the ``algorithms`` section: seconds per iteration, ratio to one evaluation.

    Each algorithm is timed alternately with as many evaluations as it has
    iterations, and its ratio uses that baseline.
    """
    from mdptheory import evaluate
    from mdptheory.families import random_mdp
    from mdptheory.optimal import solve

    rows = []
    sizes = [(100, 5)] if quick else [(100, 5), (1000, 10)]
    for S, A in sizes:
        m = random_mdp(S, A, gamma=0.9, seed=0)
        solve(m)  # V* is computed once per MDP and cached for every run's gaps
        big = S * A > 1000
        T = 3 if big else 20
        repeat = 3 if big else 21  # the small case takes milliseconds: many alternations steady its medians
        rng = np.random.default_rng(0)
        tag = f"(S={S}, A={A})"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. TRPO's steps near the optimum; not what is timed
            for name, fn, n_iter, note in _cases(m, S, A, T):

                def evaluations(n_iter=n_iter):
                    # fresh policies, as the algorithms see them (no cached factorization)
                    for _ in range(n_iter):
                        pi = rng.random((S, A)) + 0.1
                        evaluate(m, pi / pi.sum(axis=1, keepdims=True)).visitation()

                t_eval, t = _interleaved(evaluations, fn, repeat)
                target = note.startswith("target")
                rows.append(Row(f"{name} iteration {tag}", t / n_iter, "evaluate + visitation", t_eval / n_iter,
                                anchor=note if target else "", note="" if target else note))
    return rows


def main(argv=None) -> int:
    """Print the section's table (``--quick``: only S = 100, A = 5)."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_algorithms", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only S = 100, A = 5")
    args = ap.parse_args(argv)
    for row in run(args.quick):
        ratio = "" if row.ratio is None else f"{row.ratio:6.2f}x"
        notes = "; ".join(x for x in (row.anchor, row.note) if x)
        print(f"{row.case:62s} {row.seconds * 1e3:10.3f} ms {ratio:>8s}  {notes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
