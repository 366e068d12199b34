"""``python -m benchmarks [section ...] [--quick] [--markdown]``: print a table of timings.

Sections: import, evaluation, batch, exact, sparse, optimal, scale, algorithms, verification (all by default).
Each figure is the median of several runs; "ratio" divides it by the named
baseline measured in the same run; "anchor" quotes the project's reference
figures for this 2-core class of machine.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
import time

from . import SECTIONS

_MODULES = {"import": "import_time", "algorithms": "bench_algorithms"}


def _fmt_time(seconds, per):
    if seconds is None:
        return "-"
    t = seconds / per
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.2f} us"


def _versions():
    from importlib.metadata import PackageNotFoundError, version

    out = [f"python {platform.python_version()}"]
    for dist in ("numpy", "scipy", "python-flint", "pymdptoolbox", "quantecon", "mdpsolver"):
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            out.append(f"{dist} not installed")
    return ", ".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="section",
                        help=f"any of: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    bad = [s for s in args.sections if s not in SECTIONS]
    if bad:
        parser.error(f"unknown section(s) {bad}; choose from {', '.join(SECTIONS)}")
    sections = args.sections or list(SECTIONS)
    print(f"mdptheory benchmarks, {datetime.date.today().isoformat()}, {os.cpu_count()} cores "
          f"({platform.machine()}), {'quick' if args.quick else 'full'} run, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print(_versions())
    header = ("section", "case", "median", "baseline", "ratio", "anchor / note")
    lines = []
    for name in sections:
        mod = importlib.import_module(f"benchmarks.{_MODULES.get(name, name)}")
        t0 = time.perf_counter()
        print(f"[{name}] running...", file=sys.stderr, flush=True)
        for row in mod.run(args.quick):
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
            unit = " each" if row.per > 1 else ""
            notes = "; ".join(x for x in (row.anchor, row.note) if x)
            line = (name, row.case, _fmt_time(row.seconds, row.per) + unit, row.ref or "-", ratio, notes)
            lines.append(line)
            if not args.markdown:
                print("  ".join(str(x) for x in (f"{name:10s}", f"{row.case:62s}", f"{line[2]:>14s}",
                                                  f"{line[3]:18s}", f"{ratio:>7s}", notes)), flush=True)
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
