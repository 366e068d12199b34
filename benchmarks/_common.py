"""Timing helpers and the result row shared by the benchmark sections."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

__all__ = ["Row", "median_time", "peer"]


@dataclass
class Row:
    """One line of the results table.

    ``seconds`` is the median time of ``case``; ``ref`` names the baseline
    measured in the same run and ``ref_seconds`` its median, so that
    ``ratio = seconds / ref_seconds``; ``anchor`` quotes the figure from the
    project's issue for comparison; ``per`` divides both times (e.g. per MDP).
    """

    case: str
    seconds: float | None
    ref: str = ""
    ref_seconds: float | None = None
    anchor: str = ""
    note: str = ""
    per: int = 1

    @property
    def ratio(self) -> float | None:
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


def peer(name):
    """Import an optional peer package, or return None (reported as not installed)."""
    try:
        return __import__(name, fromlist=["_"])
    except Exception:  # ImportError, or a peer failing on this Python
        return None
