"""Timing helpers and the result row shared by the benchmark sections."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

__all__ = ["Row", "median_time", "paired_times", "peer"]


@dataclass
class Row:
    """One line of the results table.

    ``seconds`` is the median time of ``case``; ``ref`` names the baseline
    measured in the same run and ``ref_seconds`` its median, so that
    ``ratio = seconds / ref_seconds``, unless ``paired_ratio`` gives it (the
    median of per-pair ratios of the two sides timed in alternating pairs);
    ``anchor`` quotes the figure from the project's issue for comparison;
    ``per`` divides both times (e.g. per MDP).
    """

    case: str
    seconds: float | None
    ref: str = ""
    ref_seconds: float | None = None
    anchor: str = ""
    note: str = ""
    per: int = 1
    paired_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        if self.seconds is None or not self.ref_seconds:
            return None
        return self.seconds / self.ref_seconds


def median_time(fn, *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def paired_times(fn_a, fn_b, pairs, *, before=None):
    """``fn_a`` and ``fn_b`` timed in ``pairs`` adjacent pairs, the order alternating (after one
    warm-up each), so that a drifting load and whichever side ran last weigh on both alike.

    ``before()``, if given, runs untimed before each call.  Returns a dict: ``a`` and ``b`` the
    per-call times, ``ratios`` the per-pair ``b / a``, ``median_a``, ``median_b``,
    ``median_ratio``, ``min_ratio`` and ``max_ratio``.
    """
    fn_a(), fn_b()
    ta, tb = [], []
    for k in range(pairs):
        order = ((fn_a, ta), (fn_b, tb)) if k % 2 == 0 else ((fn_b, tb), (fn_a, ta))
        for fn, out in order:
            if before is not None:
                before()
            gc.collect()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    ratios = [b / a for a, b in zip(ta, tb)]
    return {"a": ta, "b": tb, "ratios": ratios, "median_a": statistics.median(ta),
            "median_b": statistics.median(tb), "median_ratio": statistics.median(ratios),
            "min_ratio": min(ratios), "max_ratio": max(ratios)}


def peer(name):
    """Import an optional peer package, or return None (reported as not installed)."""
    try:
        return __import__(name, fromlist=["_"])
    except Exception:  # ImportError, or a peer failing on this Python
        return None
