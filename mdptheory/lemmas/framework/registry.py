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

__all__ = ["Statement", "StatementIdError", "register", "unregister", "statements", "get_statement", "CHAPTERS",
           "load_statement_modules"]

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
#: Modules of user statements loaded so far (worker processes import them again).
USER_MODULES: list = []


class StatementIdError(InvalidParameterError):
    """A statement id or checker name is already taken by another statement."""


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
        ``cases(seed, n, mode) -> iterable of dict``: ``seed`` is the suite's
        integer seed (derive one generator per case from it, e.g.
        :func:`~mdptheory.lemmas.framework.suite.case_rng`), ``n`` the number
        of cases; each dict holds keyword arguments of ``check`` (and a
        ``seed`` entry that reproduces the case).
    modes : tuple of str
        Modes run by default (``"float"``, ``"exact"``, ``"symbolic"``).
    variants : dict
        Broken variants: name -> description.
    cost : float
        Rough relative cost of one case, for ordering and budgeting.
    derivation : str
        Markdown derivation of derived or unconfirmed constants, copied into
        the statement list (the package's own statements keep theirs in
        ``mdptheory/lemmas/derivations/``).
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
    derivation: str = ""

    @property
    def chapter(self) -> str:
        """The letter of the docs/statements.md section."""
        return self.id[0]


def _origin(statement) -> tuple:
    fn = getattr(statement.check, "__wrapped__", statement.check)
    return getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)


def register(statement: Statement) -> Statement:
    """Add a statement to the registry (ids and names must be unique).

    Registering the same definition again (the same id from the same
    function, e.g. a notebook cell run twice) replaces it.

    Raises
    ------
    StatementIdError
        The id or the checker name belongs to another statement.
    """
    if not isinstance(statement, Statement):
        raise InvalidParameterError(f"register() takes a Statement; got {type(statement).__name__}")
    old = _REGISTRY.get(statement.id)
    if old is not None and old is not statement and _origin(old) != _origin(statement):
        raise StatementIdError(f"statement id {statement.id!r} is already registered "
                               f"(checker {old.name!r} of {_origin(old)[0]}); choose another id")
    for other in _REGISTRY.values():
        if other.name == statement.name and other.id != statement.id:
            raise StatementIdError(f"checker name {statement.name!r} already registered as {other.id}")
    _REGISTRY[statement.id] = statement
    return statement


def unregister(key: str) -> None:
    """Remove a statement (by id) from the registry; unknown ids are ignored."""
    _REGISTRY.pop(key, None)


#: Entry-point group through which installed packages add statements to every run.
ENTRY_POINT_GROUP = "mdptheory.statements"
_ENTRY_POINTS_LOADED = []


def _load_all():
    """Import every statement module of the lemmas package (importing registers its statements),
    then the statements of installed packages (entry-point group ``mdptheory.statements``).

    The modules are named by ``mdptheory.lemmas.STATEMENT_MODULES``; the
    framework imports them by name only, so it never depends on them statically.
    """
    import importlib

    package = __package__.rpartition(".")[0]
    lemmas = importlib.import_module(package)
    for name in lemmas.STATEMENT_MODULES:
        importlib.import_module(f"{package}.{name}")
    if not _ENTRY_POINTS_LOADED:
        _ENTRY_POINTS_LOADED.append(True)
        _load_entry_points()
    return lemmas


def _load_entry_points():
    import types
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except StatementIdError:
            raise
        except Exception as exc:
            raise InvalidParameterError(f"entry point {ep.name!r} = {ep.value!r} of group {ENTRY_POINT_GROUP!r} "
                                        f"failed to load: {exc}") from exc
        if callable(obj) and not isinstance(obj, types.ModuleType):
            obj()  # an entry point may name a function that registers statements
        module = ep.value.split(":")[0]
        if module not in USER_MODULES:
            USER_MODULES.append(module)


def load_statement_modules(modules=()) -> list:
    """Import modules of user statements (their ``@statement`` definitions register them).

    The package's own statements are loaded first, so that a user id that
    clashes with a built-in one raises :class:`StatementIdError` naming it.

    Parameters
    ----------
    modules : iterable of str
        Importable module names (``"mypkg.claims"``).

    Returns
    -------
    list of str
        The ids the modules added.
    """
    import importlib

    _load_all()
    before = set(_REGISTRY)
    for name in modules:
        if not isinstance(name, str) or not name:
            raise InvalidParameterError(f"module must be an importable module name; got {name!r}")
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            raise InvalidParameterError(f"module {name!r} cannot be imported: {exc}") from exc
        if name not in USER_MODULES:
            USER_MODULES.append(name)
    return sorted(set(_REGISTRY) - before)


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
