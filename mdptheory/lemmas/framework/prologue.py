"""Shared helpers of the checkers: mode resolution and field arithmetic (from :mod:`mdptheory.modes`), report skeletons."""

from __future__ import annotations

from ...exceptions import InvalidParameterError
from ...modes import dot, resolve_mode, solve_linear
from ...policies.tabular import as_policy
from .report import CheckReport

__all__ = ["resolve_mode", "solve_linear", "new_report", "prepare_policy", "check_variant", "dot"]


def prepare_policy(mdp, pi, mode):
    """Validate a policy and put it in the checker's field."""
    return as_policy(mdp, pi, exact=(mode == "exact"))


def check_variant(variant, allowed):
    """Raise on an unknown broken-variant name."""
    if variant is not None and variant not in allowed:
        raise InvalidParameterError(f"unknown variant {variant!r}; known: {', '.join(sorted(allowed))}")


def new_report(stmt, mode, witness, variant=None) -> CheckReport:
    """An empty report for registered statement ``stmt``."""
    return CheckReport(statement=stmt.id, name=stmt.name, text=stmt.text, source=stmt.source, mode=mode,
                       witness=witness, variant=variant)
