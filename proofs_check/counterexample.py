"""``python -m proofs_check counterexample``: run an entry of the catalogue of refuted conjectures.

    python -m proofs_check counterexample --list
    python -m proofs_check counterexample visitation_geq_rho
    python -m proofs_check counterexample trpo_step_improves --save witness.json
    python -m proofs_check counterexample visitation_geq_rho --true   # search the true counterpart
    python -m proofs_check counterexample --docs docs/counterexamples.md

Runs the search of :mod:`mdptheory.counterexamples.catalogue` with the entry's budget and
seed and prints the witness as a theorist reads it
(:meth:`~mdptheory.counterexamples.Counterexample.describe`: transitions, rho, gamma,
policies, V, d, the violated claim with both sides); ``--json`` adds the
witness as indented exact JSON.  ``--docs PATH`` regenerates the catalogue
page of every entry's witness.
Exit status: 0 when the expected outcome is reached (a counterexample for a
refuted entry; none for an entry that holds, and none for ``--true``), 1
otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _parser():
    p = argparse.ArgumentParser(prog="python -m proofs_check counterexample",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("name", nargs="?", help="catalogue entry")
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.add_argument("--save", metavar="PATH", help="write the witness as exact JSON")
    p.add_argument("--json", action="store_true", help="also print the witness as exact JSON")
    p.add_argument("--docs", metavar="PATH", help="regenerate the catalogue page (every entry) at PATH")
    p.add_argument("--true", action="store_true", help="search the true counterpart instead (expect none)")
    p.add_argument("--budget", type=int, default=None, help="override the entry's budget")
    p.add_argument("--seed", type=int, default=None, help="override the entry's seed")
    return p


def main(argv=None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), without leaving main
        return exc.code if isinstance(exc.code, int) else 2
    from mdptheory.counterexamples import conjecture_names, get_conjecture
    from mdptheory.exceptions import InvalidParameterError

    if args.list:
        for n in conjecture_names():
            c = get_conjecture(n)
            print(f"{n:<30} [{c.expected}] budget={c.search.get('budget')} seed={c.search.get('seed')}")
            print(f"{'':<4}claim: {c.claim}")
            print(f"{'':<4}true:  {c.true_claim}")
        return 0
    if args.docs:
        from mdptheory.counterexamples.docs import catalogue_markdown, write_text_atomic

        print(f"wrote {write_text_atomic(args.docs, catalogue_markdown())}")
        return 0
    if not args.name:
        print("error: give a catalogue entry NAME, --list or --docs PATH", file=sys.stderr)
        return 2
    try:
        c = get_conjecture(args.name)
    except InvalidParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.budget is not None and not 1 <= args.budget <= 10**7:
        print(f"error: --budget must be a positive integer (at most 10^7); got {args.budget}", file=sys.stderr)
        return 2
    if args.seed is not None and not 0 <= args.seed < 2**63:
        print(f"error: --seed must be a nonnegative integer below 2^63; got {args.seed}", file=sys.stderr)
        return 2
    over = {k: v for k, v in (("budget", args.budget), ("seed", args.seed)) if v is not None}
    print(f"{c.name}: {c.true_claim if args.true else c.claim}")
    ce = c.run_true(**over) if args.true else c.run(**over)
    if ce.found:
        print(ce.describe())
        print(f"search time: {ce.seconds:.1f} s")
        if args.json:
            print(ce.to_json())
        if args.save:
            ce.save(args.save)
            print(f"witness saved to {args.save}", file=sys.stderr)
    else:
        print(ce.summary())
    if not ce.found and args.save:
        print("nothing to save: no counterexample found", file=sys.stderr)
    expect_found = (not args.true) and c.expected == "refuted"
    return 0 if ce.found == expect_found else 1
