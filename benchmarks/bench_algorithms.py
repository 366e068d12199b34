"""Iterations per second of exact-expectation NPG and softmax gradient ascent, against one evaluation.

Run: ``python -m benchmarks.bench_algorithms [--quick]``.  Each iteration of
either algorithm is one evaluation of the current policy (V, A and the
visitations from one factorization of I - gamma P^pi) plus the update; the
target is an iteration cost within 2x of one evaluation's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mdptheory import evaluate
from mdptheory.algorithms import natural_policy_gradient, softmax_policy_gradient
from mdptheory.families import random_mdp
from mdptheory.optimal import solve


def _median_time(fn, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="only S = 100, A = 5")
    args = ap.parse_args(argv)
    sizes = [(100, 5)] if args.quick else [(100, 5), (1000, 10)]
    print(f"{'S':>6} {'A':>4} {'evaluation':>12} {'NPG iter':>12} {'ratio':>7} {'GA iter':>12} {'ratio':>7}")
    for S, A in sizes:
        m = random_mdp(S, A, gamma=0.9, seed=0)
        solve(m)  # the optimum is computed once per MDP and cached by the algorithms
        natural_policy_gradient(m, eta=1.0, T=1)
        rng = np.random.default_rng(0)

        def one_evaluation():
            # a fresh policy each time, as in the algorithms (no cached factorization)
            pi = rng.random((S, A)) + 0.1
            evaluate(m, pi / pi.sum(axis=1, keepdims=True)).visitation()

        T = 20 if S <= 100 else 5
        t_eval = _median_time(one_evaluation, 7)
        t_npg = _median_time(lambda: natural_policy_gradient(m, eta=1.0, T=T), 3) / T
        t_ga = _median_time(lambda: softmax_policy_gradient(m, T=T), 3) / T
        print(f"{S:>6} {A:>4} {t_eval * 1e3:>10.2f}ms {t_npg * 1e3:>10.2f}ms {t_npg / t_eval:>7.2f} "
              f"{t_ga * 1e3:>10.2f}ms {t_ga / t_eval:>7.2f}")


if __name__ == "__main__":
    main()
