"""``import mdptheory`` in a fresh interpreter; sympy must load lazily."""

from __future__ import annotations

import statistics
import subprocess
import sys

from ._common import Row

__all__ = ["run"]

_CODE = ("import time, sys; t = time.perf_counter(); import mdptheory; "
         "print(time.perf_counter() - t, 'sympy' in sys.modules)")


def _sympy_importer():
    """The mdptheory module under which sympy got imported, from ``-X importtime``."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import mdptheory"],
                         capture_output=True, text=True, check=True).stderr.splitlines()
    rows = []
    for line in out:
        if not line.startswith("import time:") or "|" not in line:
            continue
        name = line.split("|")[-1]
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((depth, name.strip()))
    for i, (depth, name) in enumerate(rows):
        if name == "sympy":
            chain = []
            d = depth
            for depth2, name2 in rows[i + 1:]:  # parents are printed after their children
                if depth2 < d:
                    chain.append(name2)
                    d = depth2
            inside = [c for c in chain if c.startswith("mdptheory")]
            return inside[0] if inside else (chain[0] if chain else "?")
    return None


def run(quick: bool) -> list[Row]:
    n = 3 if quick else 7
    times, sympy_loaded = [], False
    for _ in range(n):
        out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        sympy_loaded |= out[1] == "True"
    note = "sympy not imported"
    if sympy_loaded:
        note = f"sympy imported at import time, by {_sympy_importer()}"
    return [Row("import mdptheory (fresh interpreter)", statistics.median(times),
                anchor="target < 0.6 s", note=note)]
