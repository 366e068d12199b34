"""Shared helpers of the checkers: mode resolution, exact/float linear solves, report skeletons."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...exceptions import InvalidParameterError
from ...fields import from_fmpq_mat, to_fmpq_mat
from ...policy import as_policy, policy_is_exact
from .report import CheckReport

__all__ = ["resolve_mode", "solve_linear", "new_report", "prepare_policy", "check_variant", "dot"]


def resolve_mode(mdp, *arrays, mode=None) -> str:
    """``"exact"`` if the MDP and every array are exact (or mode says so), else ``"float"``."""
    all_exact = mdp.is_exact and all(a is None or policy_is_exact(np.asarray(a, dtype=object)) or
                                     (np.asarray(a).dtype.kind in "iu") for a in arrays)
    if mode is None:
        return "exact" if all_exact else "float"
    if mode not in ("float", "exact"):
        raise InvalidParameterError(f"mode must be 'float' or 'exact' for this checker; got {mode!r}")
    if mode == "exact" and not all_exact:
        raise InvalidParameterError("mode='exact' needs an exact MDP and exact arrays")
    return mode


def prepare_policy(mdp, pi, mode):
    """Validate a policy and put it in the checker's field."""
    return as_policy(mdp, pi, exact=(mode == "exact"))


def solve_linear(M, b, mode):
    """Solve ``M x = b`` exactly (FLINT) or in float (LAPACK); ``b`` may be 1-D or 2-D."""
    if mode == "exact":
        x = to_fmpq_mat(M).solve(to_fmpq_mat(b))
        out = from_fmpq_mat(x)
        return out[:, 0] if np.ndim(b) == 1 else out
    return np.linalg.solve(np.asarray(M, dtype=float), np.asarray(b, dtype=float))


def dot(u, v, mode):
    """Inner product in the field (exact sums of Fractions, or float)."""
    if mode == "exact":
        return sum((x * y for x, y in zip(np.asarray(u, dtype=object).reshape(-1),
                                          np.asarray(v, dtype=object).reshape(-1))), Fraction(0))
    return float(np.dot(np.asarray(u, dtype=float).reshape(-1), np.asarray(v, dtype=float).reshape(-1)))


def check_variant(variant, allowed):
    """Raise on an unknown broken-variant name."""
    if variant is not None and variant not in allowed:
        raise InvalidParameterError(f"unknown variant {variant!r}; known: {', '.join(sorted(allowed))}")


def new_report(stmt, mode, witness, variant=None) -> CheckReport:
    """An empty report for registered statement ``stmt``."""
    return CheckReport(statement=stmt.id, name=stmt.name, text=stmt.text, source=stmt.source, mode=mode,
                       witness=witness, variant=variant)
