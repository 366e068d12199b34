"""Command line: run every registered statement over the default suite.

    python -m proofs_check                  # default suite, all statements and modes
    python -m proofs_check --select A B1    # some statements or chapters
    python -m proofs_check --thorough       # many more cases
    python -m proofs_check --broken         # every broken variant: each must be FALSIFIED
    python -m proofs_check --json r.json --markdown r.md
    python -m proofs_check --list
    python -m proofs_check --inject list            # the catalogue of library faults
    python -m proofs_check --inject kl_doubled      # run the suite with one library fault injected
    python -m proofs_check --sensitivity --markdown docs/sensitivity.md   # float sensitivity table

Exit status: 0 if nothing is FALSIFIED (or, with --broken, if every broken
variant is FALSIFIED), 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def _parser():
    p = argparse.ArgumentParser(prog="python -m proofs_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--select", nargs="+", metavar="ID", help="statement ids, chapter letters or checker names")
    p.add_argument("--modes", nargs="+", choices=["float", "exact", "ball", "symbolic"], help="restrict to these modes")
    p.add_argument("--symbolic", action="store_true", help="run the symbolic proofs only (same as --modes symbolic)")
    p.add_argument("--cases", type=int, default=None, help="cases per statement and mode")
    p.add_argument("--thorough", action="store_true", help="many more cases")
    p.add_argument("--seed", type=int, default=0, help="suite seed (default 0)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (same report for any N)")
    p.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    p.add_argument("--broken", action="store_true", help="run the deliberately broken variants instead")
    p.add_argument("--json", metavar="PATH", help="write the JSON report here")
    p.add_argument("--markdown", metavar="PATH", help="write the Markdown report here")
    p.add_argument("--witness-dir", default="proofs_check_witnesses",
                   help="where FALSIFIED witnesses are saved as exact JSON")
    p.add_argument("--list", action="store_true", help="list the registered statements and exit")
    p.add_argument("--inject", metavar="FAULT",
                   help="run with a library fault injected (see --inject list); each statement whose "
                        "computation calls the faulted code should come back FALSIFIED")
    p.add_argument("--sensitivity", action="store_true",
                   help="measure the smallest relative error of one side each float identity detects")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "counterexample":
        from .counterexample import main as ce_main

        return ce_main(argv[1:])
    args = _parser().parse_args(argv)
    from mdptheory.exceptions import InvalidParameterError
    from mdptheory.lemmas import FALSIFIED, statements
    from mdptheory.lemmas.framework.runner import DEFAULT_CASES, ERROR, THOROUGH_CASES, run_suite

    try:
        sts = statements(args.select)
    except InvalidParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for st in sts:
            print(f"{st.id:<5} {st.name:<34} modes={','.join(st.modes):<22} {st.source}")
            if st.variants:
                for v, desc in st.variants.items():
                    print(f"{'':<6}broken variant {v}: {desc}")
        return 0
    modes = ["symbolic"] if args.symbolic else args.modes
    n = args.cases if args.cases is not None else (THOROUGH_CASES if args.thorough else DEFAULT_CASES)
    if args.inject is not None:
        return _run_injected(args, sts, modes, n)
    if args.sensitivity:
        return _run_sensitivity(args, sts)
    tty = sys.stderr.isatty()

    def progress(done, total, res):
        if args.quiet:
            return
        msg = f"[{done}/{total}] {res.id} {res.name} ({res.mode}{', ' + res.variant if res.variant else ''}): " \
              f"{res.verdict} in {res.seconds:.2f} s"
        print(("\r" + msg.ljust(100)) if tty else msg, file=sys.stderr, end="" if tty else "\n", flush=True)

    suite = run_suite([s.id for s in sts], modes=modes, seed=args.seed, n=n, workers=args.workers,
                      broken=args.broken, progress=progress, scheduler=args.scheduler)
    if tty and not args.quiet:
        print(file=sys.stderr)
    print(suite.table())
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(suite.to_dict(), fh, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(suite.markdown())
    bad = [r for r in suite.results if r.verdict in (FALSIFIED, ERROR)]
    if args.broken:
        missed = [r for r in suite.results if r.verdict != FALSIFIED]
        for r in missed:
            print(f"broken variant NOT falsified: {r.id} {r.variant} ({r.mode}): {r.verdict}", file=sys.stderr)
        return 1 if missed else 0
    for r in bad:
        for rep in r.notable:
            if hasattr(rep, "to_dict") and rep.verdict == FALSIFIED:
                os.makedirs(args.witness_dir, exist_ok=True)
                path = os.path.join(args.witness_dir, f"{r.id}_{r.mode}_{len(os.listdir(args.witness_dir))}.json")
                with open(path, "w") as fh:
                    fh.write(rep.to_json(indent=1))
                print(f"FALSIFIED {r.id} ({r.mode}): witness saved to {path}", file=sys.stderr)
            elif isinstance(rep, dict) and "error" in rep:
                print(f"ERROR in {r.id} ({r.mode}) case {rep['case']}:\n{rep['error']}", file=sys.stderr)
    return 1 if bad else 0


def _run_sensitivity(args, sts) -> int:
    """``--sensitivity``: the float sensitivity table (Markdown to stdout, or to ``--markdown``)."""
    from mdptheory.io.atomic import atomic_write
    from mdptheory.lemmas.framework.sensitivity import SENSITIVITY_CASES, measure_sensitivity, \
        sensitivity_markdown

    n = args.cases if args.cases is not None else SENSITIVITY_CASES
    rows = measure_sensitivity([s.id for s in sts] if args.select else None, n=n, seed=args.seed)
    text = sensitivity_markdown(rows, n=n, seed=args.seed)
    if args.markdown:
        with atomic_write(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text, end="")
    return 0


def _run_injected(args, sts, modes, n) -> int:
    """``--inject FAULT``: every selected statement with the fault in place; exit 1 on a MISSED statement."""
    from mdptheory.lemmas.framework.faults import FAULTS, get_fault, inject
    from mdptheory.lemmas.framework.runner import ERROR, run_statement
    from mdptheory.lemmas import FALSIFIED

    if args.inject == "list":
        for f in FAULTS.values():
            print(f"{f.name:<38} {f.area:<13} {f.description}")
            for t in f.touches:
                print(f"{'':<39}patches {t}")
        return 0
    try:
        fault = get_fault(args.inject)
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"fault {fault.name}: {fault.description}")
    print(f"{'id':<5} {'statement':<34} {'mode':<8} {'calls':>6}  {'verdict':<10} outcome")
    missed = 0
    for st in sts:
        for mode in st.modes:
            if modes is not None and mode not in modes:
                continue
            with inject(fault) as inj:
                res = run_statement(st, mode=mode, seed=args.seed, n=n)
            calls = sum(inj.calls.values())
            if not calls:
                outcome = "not touched"
            elif res.verdict in (FALSIFIED, ERROR):
                outcome = "caught"
            else:
                outcome = "MISSED"
                missed += 1
            print(f"{st.id:<5} {st.name[:34]:<34} {mode:<8} {calls:>6}  {res.verdict:<10} {outcome}", flush=True)
    print(f"\n{missed} statement run(s) touched the fault without being FALSIFIED")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
