"""The arithmetic mode of a computation: float64 or exact rationals.

Quantities that can be computed either way (a checker's sides, an algorithm's
stationary distribution) decide their mode once, from their inputs, and then do
their linear algebra in that field: exact solves go through FLINT's rational
matrices, float solves through LAPACK.

>>> from mdptheory.families import forest
>>> resolve_mode(forest(3, exact=True))
'exact'
>>> solve_linear([[2, 0], [0, 4]], [1, 1], "exact")
array([Fraction(1, 2), Fraction(1, 4)], dtype=object)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .exceptions import InvalidParameterError
from .fields import from_fmpq_mat, to_fmpq_mat
from .policies.tabular import policy_is_exact

__all__ = ["resolve_mode", "solve_linear", "dot"]


def resolve_mode(mdp, *arrays, mode=None) -> str:
    """``"exact"`` if the MDP and every array are exact (or mode says so), else ``"float"``."""
    all_exact = mdp.is_exact and all(a is None or policy_is_exact(np.asarray(a, dtype=object)) or
                                     (np.asarray(a).dtype.kind in "iu") for a in arrays)
    if mode is None:
        return "exact" if all_exact else "float"
    if mode not in ("float", "exact"):
        raise InvalidParameterError(f"mode must be 'float' or 'exact' here; got {mode!r}")
    if mode == "exact" and not all_exact:
        raise InvalidParameterError("mode='exact' needs an exact MDP and exact arrays")
    return mode


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
