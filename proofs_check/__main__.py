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
    python -m proofs_check counterexample NAME   # the catalogue of refuted conjectures
    python -m proofs_check tightness ID          # how tight is a bound's constant
    python -m proofs_check --module mypkg.claims   # add your own statements (repeatable)
    python -m proofs_check docs             # regenerate docs/statements.md (--check: exit 1 if stale)

Exit status:
    0    every statement VERIFIED (with --broken: every broken variant FALSIFIED)
    1    some statement FALSIFIED, or a checker raised (with --broken: a variant not FALSIFIED)
    2    bad usage: unknown option or statement, a non-positive --cases/--workers, a bad --seed,
         a malformed or unreachable --scheduler, a selection that runs nothing
    3    nothing FALSIFIED, but some statement UNDECIDED
    4    the verdicts were all reported, but a witness or a --json/--markdown file could not be written
    130  interrupted (Ctrl-C): the statements that finished are printed and written, marked partial
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
from urllib.parse import urlsplit

__all__ = ["main", "EXIT_VERIFIED", "EXIT_FALSIFIED", "EXIT_USAGE", "EXIT_UNDECIDED", "EXIT_INTERRUPTED",
           "EXIT_WRITE"]

#: Exit statuses (documented in the module docstring, the --help text and the README).
EXIT_VERIFIED = 0
EXIT_FALSIFIED = 1
EXIT_USAGE = 2
EXIT_UNDECIDED = 3
EXIT_INTERRUPTED = 130
#: Every verdict was reported, but a witness or report file could not be written.
EXIT_WRITE = 4
#: Seconds allowed to reach a Dask scheduler before giving up.
SCHEDULER_CONNECT_TIMEOUT = 5.0
_MAX_CASES = 10**6
_MAX_WORKERS = 1024


def _bounded_int(name, lo, hi):
    """An argparse type: an integer in [lo, hi], else an argparse usage error naming the option."""
    def conv(text):
        try:
            v = int(text, 10)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{name} must be an integer; got {text[:40]!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be between {lo} and {hi}; got {text[:40]}")
        return v
    conv.__name__ = name
    return conv


def _scheduler_address(text):
    """An argparse type: ``tcp://host:port`` or ``host:port`` (a Dask scheduler address)."""
    t = text.strip()
    url = urlsplit(t if "://" in t else "tcp://" + t)
    try:
        port = url.port
    except ValueError:
        port = None
    if url.scheme not in ("tcp", "tls", "ws", "wss", "inproc", "ucx") or not url.hostname or (
            url.scheme != "inproc" and port is None) or url.path not in ("", "/"):
        raise argparse.ArgumentTypeError(f"scheduler address must look like tcp://host:port; got {text[:80]!r}")
    return t


def _reachable(address, timeout):
    """None if a TCP connection to the scheduler opens within ``timeout`` seconds, else the reason."""
    url = urlsplit(address if "://" in address else "tcp://" + address)
    if url.scheme == "inproc":
        return None
    try:
        with socket.create_connection((url.hostname, url.port), timeout=timeout):
            return None
    except OSError as exc:
        return str(exc) or type(exc).__name__


def _parser():
    p = argparse.ArgumentParser(prog="python -m proofs_check", description=__doc__.split("\n\n")[0],
                                epilog=__doc__[__doc__.index("Exit status:"):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--select", nargs="+", metavar="ID", help="statement ids, chapter letters or checker names")
    p.add_argument("--modes", nargs="+", choices=["float", "exact", "ball", "symbolic"], help="restrict to these modes")
    p.add_argument("--symbolic", action="store_true", help="run the symbolic proofs only (same as --modes symbolic)")
    p.add_argument("--cases", type=_bounded_int("--cases", 1, _MAX_CASES), default=None,
                   help="cases per statement and mode (a positive integer)")
    p.add_argument("--thorough", action="store_true", help="many more cases")
    p.add_argument("--seed", type=_bounded_int("--seed", 0, 2**63 - 1), default=0,
                   help="suite seed, a nonnegative integer (default 0)")
    p.add_argument("--workers", type=_bounded_int("--workers", 1, _MAX_WORKERS), default=None,
                   help="local worker processes (default: the usable cores, at most 2; same report for any N)")
    p.add_argument("--scheduler", type=_scheduler_address, default=None,
                   help="Dask distributed scheduler address, tcp://host:port")
    p.add_argument("--broken", action="store_true", help="run the deliberately broken variants instead")
    p.add_argument("--json", metavar="PATH", help="write the JSON report here")
    p.add_argument("--markdown", metavar="PATH", help="write the Markdown report here")
    p.add_argument("--witness-dir", default="proofs_check_witnesses",
                   help="where FALSIFIED witnesses are saved as exact JSON")
    p.add_argument("--module", action="append", default=[], metavar="MODULE",
                   help="import this module of user statements (@statement) into the run; repeatable")
    p.add_argument("--list", action="store_true", help="list the registered statements and exit")
    p.add_argument("--inject", metavar="FAULT",
                   help="run with a library fault injected (see --inject list); each statement whose "
                        "computation calls the faulted code should come back FALSIFIED")
    p.add_argument("--sensitivity", action="store_true",
                   help="measure the smallest relative error of one side each float identity detects")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def _usage_error(parser, message) -> int:
    """Print an argparse-style usage error and return the usage exit status."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "counterexample":
        from .counterexample import main as ce_main

        return ce_main(argv[1:])
    if argv and argv[0] == "tightness":
        from .tightness import main as t_main

        return t_main(argv[1:])
    if argv and argv[0] == "docs":
        from mdptheory.lemmas.framework.docs import main as docs_main

        return docs_main(argv[1:])
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from mdptheory.exceptions import InvalidParameterError
    from mdptheory.lemmas import FALSIFIED, UNDECIDED, statements
    from mdptheory.lemmas.framework.runner import (DEFAULT_CASES, ERROR, THOROUGH_CASES, SuiteResult,
                                                   default_workers, run_suite)

    try:
        from mdptheory.lemmas.framework.registry import load_statement_modules

        load_statement_modules(args.module)
        sts = statements(args.select)
    except InvalidParameterError as exc:
        return _usage_error(parser, str(exc))
    if args.list:
        for st in sts:
            print(f"{st.id:<5} {st.name:<34} modes={','.join(st.modes):<22} {st.source}")
            if st.variants:
                for v, desc in st.variants.items():
                    print(f"{'':<6}broken variant {v}: {desc}")
        return EXIT_VERIFIED
    modes = ["symbolic"] if args.symbolic else args.modes
    runnable = [st for st in sts if any(modes is None or m in modes for m in st.modes)
                and (not args.broken or st.variants)]
    if not runnable:
        what = "broken variants" if args.broken else "statements"
        return _usage_error(parser, f"the selection runs nothing: no {what} of "
                                    f"{' '.join(args.select or ['(all)'])} in modes {' '.join(modes or [])}")
    if args.scheduler:
        reason = _reachable(args.scheduler, SCHEDULER_CONNECT_TIMEOUT)
        if reason is not None:
            return _usage_error(parser, f"cannot reach the scheduler at {args.scheduler} within "
                                        f"{SCHEDULER_CONNECT_TIMEOUT:g} s: {reason}")
    n = args.cases if args.cases is not None else (THOROUGH_CASES if args.thorough else DEFAULT_CASES)
    if args.inject is not None:
        return _run_injected(args, sts, modes, n)
    if args.sensitivity:
        return _run_sensitivity(args, sts)
    tty = sys.stderr.isatty()
    finished = []

    def progress(done, total, res):
        finished.append(res)
        if args.quiet:
            return
        msg = f"[{done}/{total}] {res.id} {res.name} ({res.mode}{', ' + res.variant if res.variant else ''}): " \
              f"{res.verdict} in {res.seconds:.2f} s"
        print(("\r" + msg.ljust(100)) if tty else msg, file=sys.stderr, end="" if tty else "\n", flush=True)

    interrupted = False
    try:
        workers = args.workers if args.workers is not None else default_workers()
        suite = run_suite([s.id for s in runnable], modes=modes, seed=args.seed, n=n, workers=workers,
                          broken=args.broken, progress=progress, scheduler=args.scheduler)
    except KeyboardInterrupt:
        interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the partial report
        suite = SuiteResult(list(finished), args.seed, n, sum(r.seconds for r in finished))
    if tty and not args.quiet:
        print(file=sys.stderr)
    if interrupted:
        print(f"INTERRUPTED: partial report, {len(finished)} (statement, mode) results finished")
    print(suite.table())
    from mdptheory.io.atomic import atomic_write

    # witnesses first (each in a new file, never overwriting), then the reports; a file that cannot
    # be written is reported and the others are still written
    write_failed = False
    bad = [r for r in suite.results if r.verdict in (FALSIFIED, ERROR)]
    if not args.broken:
        for r in bad:
            for k, rep in enumerate(r.notable):
                if hasattr(rep, "to_dict") and rep.verdict == FALSIFIED:
                    try:
                        path = _save_witness(args.witness_dir, r, k, rep)
                    except (OSError, ValueError) as exc:
                        write_failed = True
                        print(f"FALSIFIED {r.id} ({r.mode}): witness NOT saved: {exc}", file=sys.stderr)
                    else:
                        print(f"FALSIFIED {r.id} ({r.mode}): witness saved to {path}", file=sys.stderr)
                elif isinstance(rep, dict) and "error" in rep:
                    print(f"ERROR in {r.id} ({r.mode}) case {rep['case']}:\n{rep['error']}", file=sys.stderr)
    report = suite.to_dict()
    report["partial"] = interrupted
    outputs = []
    if args.json:
        outputs.append((args.json, lambda: json.dumps(report, indent=1)))
    if args.markdown:
        outputs.append((args.markdown, lambda: ("**partial report: interrupted**\n\n" if interrupted else "")
                        + suite.markdown()))
    for path, render in outputs:
        try:
            text = render()
            with atomic_write(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except (OSError, ValueError) as exc:
            write_failed = True
            print(f"could not write {path}: {exc}", file=sys.stderr)
    if interrupted:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.broken:
        missed = [r for r in suite.results if r.verdict != FALSIFIED]
        for r in missed:
            print(f"broken variant NOT falsified: {r.id} {r.variant} ({r.mode}): {r.verdict}", file=sys.stderr)
        return EXIT_FALSIFIED if missed else (EXIT_WRITE if write_failed else EXIT_VERIFIED)
    if bad:
        return EXIT_FALSIFIED
    if any(r.verdict == UNDECIDED for r in suite.results):
        return EXIT_UNDECIDED
    return EXIT_WRITE if write_failed else EXIT_VERIFIED


def _save_witness(directory, result, k, rep) -> str:
    """Save a FALSIFIED report as exact JSON in a new file named by statement, mode, case and content."""
    import hashlib

    from mdptheory.io.atomic import write_new

    text = rep.to_json(indent=1)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    variant = f"_{result.variant}" if getattr(result, "variant", None) else ""
    return write_new(directory, f"{result.id}_{result.mode}{variant}_case{k}_{digest}", text)


def _entry() -> int:
    try:
        return main()
    except KeyboardInterrupt:  # Ctrl-C outside the run (imports, report writing): no traceback
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


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


#: BLAS threads of the command line's process and its workers, unless the environment sets them: the
#: suite's matrices have a handful of rows, where more BLAS threads only spin (on two cores, with two
#: workers, they made the float statements' solves several times slower).
BLAS_THREADS = "1"


def _limit_blas_threads():
    """Before numpy is imported: one BLAS thread per process, unless the environment says otherwise."""
    import os

    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, BLAS_THREADS)


if __name__ == "__main__":
    _limit_blas_threads()
    sys.exit(_entry())
