"""Scale: sparse garnets with S = 10^4, 10^5, 10^6 states, 4 actions, 5 successors per pair.

Each (size, task) runs in a fresh interpreter (``python -m benchmarks.scale
--worker S TASK``), so that the peak resident memory (``ru_maxrss``) belongs
to that task alone; the worker also reports the tracemalloc peak of the timed
call (NumPy and SciPy array allocations) and the time and memory of building
the MDP, which every worker pays first.  Tasks:

``bare``      SciPy alone: form ``I - gamma P_pi`` and ``scipy.sparse.linalg.bicgstab``
              to the certified target ``1e-10 max(1, max|r|/(1-gamma))`` (V only).
``evaluate``  ``mdptheory.evaluate`` (V, Q, A, certified bound) and ``ev.visitation()``
              (transposed solve, certified l1 bound).
``pi``        ``mdptheory.optimal.solve`` by policy iteration (iterations reported).
``vi``        ``mdptheory.optimal.solve`` by value iteration to ``tol = 1e-6``.
``grad``      ``softmax_gradient_closed_form`` (Lemma 10.2) and ``value_gradient``
              (implicit differentiation) at a random softmax parameter.
``npg``       ``natural_gradient`` (block Fisher pseudo-inverse, no dense score).

Run ``python -m benchmarks scale`` (``--quick``: S = 10^4 and 10^5 only).
Workers run with ``OPENBLAS_NUM_THREADS=1`` unless it is set: a spinning
second BLAS thread on a shared 2-core machine slowed the bare solve's vector
operations several-fold.  The traced peak is also given as a multiple of the
CSR storage of ``P`` (data, indices and row pointer).  Nothing is asserted
about time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ._common import Row

__all__ = ["run", "SIZES", "TASKS", "worker"]

#: State counts of the full run (the quick run drops the largest).
SIZES = (10_000, 100_000, 1_000_000)
#: Tasks timed at every size, each in its own interpreter.
TASKS = ("bare", "evaluate", "pi", "vi", "grad", "npg")
A, K, GAMMA, SEED = 4, 5, 0.9, 0


def _instance(S):
    from mdptheory.families import garnet

    return garnet(S, A, K, gamma=GAMMA, seed=SEED, sparse=True)


def worker(S: int, task: str) -> dict:
    """Run one task at one size in this process; return times (s) and memory (MB)."""
    import resource
    import time
    import tracemalloc

    import numpy as np
    import scipy.sparse.linalg  # noqa: F401 - imported outside the timed region

    tracemalloc.start()
    t0 = time.perf_counter()
    m = _instance(S)
    t_build = time.perf_counter() - t0
    _, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rng = np.random.default_rng(1)
    theta = rng.normal(size=S * A)
    out = {"S": S, "task": task, "build_s": t_build, "build_peak_mb": build_peak / 2**20,
           "nnz": int(m.P.nnz), "csr_mb": (m.P.data.nbytes + m.P.indices.nbytes + m.P.indptr.nbytes) / 2**20}
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    if task == "bare":
        import scipy.sparse as sp
        from scipy.sparse.linalg import bicgstab

        pi = np.full((S, A), 1.0 / A)
        Pi = sp.csr_matrix((pi.ravel(), (np.repeat(np.arange(S), A), np.arange(S * A))), shape=(S, S * A))
        M = (sp.identity(S, format="csr") - GAMMA * (Pi @ m.P)).tocsr()
        b = (pi * m.r).sum(axis=1)
        tol = 1e-10 * max(1.0, float(np.abs(m.r).max()) / (1 - GAMMA))
        x, _ = bicgstab(M, b, x0=b.copy(), rtol=tol * (1 - GAMMA) / np.linalg.norm(b), atol=0.0)
        out["bound"] = float(np.abs(b - M @ x).max() / (1 - GAMMA))
    elif task == "evaluate":
        from mdptheory import evaluate

        pi = np.full((S, A), 1.0 / A)
        ev = evaluate(m, pi)
        ev.advantage
        ev.visitation()
        out.update(solver=ev.solver, bound=ev.error_bound, d_bound=ev.visitation_bound())
    elif task in ("pi", "vi"):
        from mdptheory.optimal import solve

        sol = solve(m, method="policy_iteration" if task == "pi" else "value_iteration",
                    **({} if task == "pi" else {"tol": 1e-6}))
        out.update(iterations=sol.n_iter, bound=float(sol.error_bound), success=bool(sol.success))
    elif task == "grad":
        from mdptheory.gradients import softmax_gradient_closed_form, value_gradient
        from mdptheory.policies import TabularSoftmax

        p = TabularSoftmax(S, A)
        t1 = time.perf_counter()
        g1 = softmax_gradient_closed_form(m, p, theta)
        out["closed_form_s"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        g2 = value_gradient(m, p, theta)
        out["implicit_s"] = time.perf_counter() - t1
        out["max_diff"] = float(np.abs(g1 - g2).max())
    elif task == "npg":
        from mdptheory.geometry import natural_gradient
        from mdptheory.policies import TabularSoftmax

        w = natural_gradient(m, TabularSoftmax(S, A), theta)
        out["max_abs"] = float(np.abs(w).max())
    else:
        raise ValueError(f"unknown task {task!r}")
    out["seconds"] = time.perf_counter() - t0
    out["traced_peak_mb"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.stop()
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return out


def measure(S: int, task: str) -> dict:
    """Run :func:`worker` in a fresh interpreter and return its figures."""
    env = dict(os.environ)
    # one BLAS thread unless the caller says otherwise: on a shared 2-core machine a second
    # spinning OpenBLAS thread made the bare bicgstab's vector operations up to 7x slower
    # (S = 1e5: 1.36 s against 0.18 s), and both sides of every ratio run alike
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--worker", str(S), task],
                          capture_output=True, text=True, env=env, check=True, cwd=root)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _row(res, ref_seconds):
    S, task = res["S"], res["task"]
    label = {"bare": "bare scipy bicgstab (V)", "evaluate": "evaluate: V, Q, A + visitation d",
             "pi": "solve: policy iteration", "vi": "solve: value iteration (tol 1e-6)",
             "grad": "softmax gradient: Lemma 10.2 + value_gradient", "npg": "natural_gradient (block Fisher)"}[task]
    notes = [f"peak RSS {res['maxrss_mb']:.0f} MB",
             f"traced peak {res['traced_peak_mb']:.0f} MB = {res['traced_peak_mb'] / res['csr_mb']:.2f}x "
             f"the CSR storage of P ({res['csr_mb']:.0f} MB)", f"build {res['build_s']:.1f} s"]
    if "iterations" in res:
        notes.append(f"{res['iterations']} iterations")
    if res.get("bound") is not None:
        notes.append(f"bound {res['bound']:.1e}")
    if res.get("d_bound") is not None:
        notes.append(f"d l1 bound {res['d_bound']:.1e}")
    if "solver" in res:
        notes.append(res["solver"])
    if "closed_form_s" in res:
        notes.append(f"closed form {res['closed_form_s']:.2f} s, implicit {res['implicit_s']:.2f} s")
    return Row(f"{label} (S={S:.0e}, A={A}, {K} succ.)", res["seconds"],
               "" if task == "bare" else "bare bicgstab", None if task == "bare" else ref_seconds,
               note="; ".join(notes))


def run(quick: bool) -> list[Row]:
    rows = []
    for S in SIZES[:2] if quick else SIZES:
        bare = measure(S, "bare")
        rows.append(_row(bare, None))
        for task in TASKS[1:]:
            rows.append(_row(measure(S, task), bare["seconds"]))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(worker(int(sys.argv[2]), sys.argv[3])))
    else:
        print("usage: python -m benchmarks.scale --worker S TASK  (or python -m benchmarks scale)", file=sys.stderr)
        sys.exit(2)
