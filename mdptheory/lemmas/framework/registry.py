"""The registry of statements that ``python -m proofs_check`` runs.

Each :class:`Statement` ties a statement id (``"A1"``) to a checker function
(importable as ``mdptheory.lemmas.<name>``), the modes it supports, a case
generator for the default suite, and its deliberately broken variants (each of
which must come back FALSIFIED on the default suite: a check that cannot fail
is a defect).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ...exceptions import InvalidParameterError

__all__ = ["Statement", "register", "statements", "get_statement", "CHAPTERS"]

#: Chapter titles used to group the report.
CHAPTERS = {
    "A": "Foundations (AJKS Ch. 1)",
    "B": "Policy-gradient expressions (Ch. 9)",
    "C": "Vanishing gradients (Prop. 10.1)",
    "D": "Softmax policy gradient (Ch. 10)",
    "E": "Natural policy gradient (Ch. 10)",
    "F": "Function approximation (Ch. 11)",
    "G": "Trust regions (Ch. 12)",
    "H": "Policy mirror descent and AMPO (Alfano et al. 2023)",
    "I": "Neural PPO/TRPO (Liu et al. 2019)",
}

_REGISTRY: dict[str, "Statement"] = {}


@dataclass(frozen=True)
class Statement:
    """A registered statement.

    Attributes
    ----------
    id : str
        statement id, e.g. ``"A3"``.
    name : str
        Checker name, the attribute of :mod:`mdptheory.lemmas`.
    text : str
        The statement in words and symbols.
    source : str
        Lemma / theorem reference.
    check : callable
        ``check(**case, mode=..., variant=None) -> CheckReport``.
    cases : callable
        ``cases(rng, n, mode) -> iterable of dict`` (keyword arguments of ``check``).
    modes : tuple of str
        Modes run by default (``"float"``, ``"exact"``, ``"symbolic"``).
    variants : dict
        Broken variants: name -> description.
    cost : float
        Rough relative cost of one case, for ordering and budgeting.
    """

    id: str
    name: str
    text: str
    source: str
    check: Callable
    cases: Callable
    modes: tuple = ("float", "exact")
    variants: dict = field(default_factory=dict)
    cost: float = 1.0

    @property
    def chapter(self) -> str:
        """The letter of the docs/statements.md section."""
        return self.id[0]


def register(statement: Statement) -> Statement:
    """Add a statement to the registry (ids and names must be unique)."""
    for other in _REGISTRY.values():
        if other.name == statement.name and other.id != statement.id:
            raise InvalidParameterError(f"checker name {statement.name!r} already registered as {other.id}")
    _REGISTRY[statement.id] = statement
    return statement


def _load_all():
    """Import every statement module of the lemmas package (importing registers its statements).

    The modules are named by ``mdptheory.lemmas.STATEMENT_MODULES``; the
    framework imports them by name only, so it never depends on them statically.
    """
    import importlib

    package = __package__.rpartition(".")[0]
    lemmas = importlib.import_module(package)
    for name in lemmas.STATEMENT_MODULES:
        importlib.import_module(f"{package}.{name}")
    return lemmas


def statements(select=None) -> list:
    """All registered statements in id order, optionally filtered.

    Parameters
    ----------
    select : iterable of str, optional
        Ids (``"A1"``), chapter letters (``"B"``) or checker names.
    """
    lemmas = _load_all()
    out = sorted(_REGISTRY.values(), key=lambda s: (s.id[0], int("".join(c for c in s.id[1:] if c.isdigit()) or 0), s.id))
    if select:
        keys = set(select)
        renamed = getattr(lemmas, "DEPRECATED_NAMES", {})
        for old in sorted(keys & set(renamed)):
            import warnings

            warnings.warn(f"statement name {old!r} is deprecated; use {renamed[old]!r}", DeprecationWarning,
                          stacklevel=2)
            keys = (keys - {old}) | {renamed[old]}
        unknown = {k for k in keys if not any(k in (s.id, s.name, s.chapter) for s in out)}
        if unknown:
            raise InvalidParameterError(f"unknown statement(s): {', '.join(sorted(unknown))}")
        out = [s for s in out if s.id in keys or s.name in keys or s.chapter in keys]
    return out


def get_statement(key: str) -> Statement:
    """The statement with this id or checker name."""
    found = statements([key])
    return found[0]
