"""The framework of the lemma checkers: registry, reports, runner, case suites and shared helpers.

Nothing here imports a statement module: the registry finds them by the names
in ``mdptheory.lemmas.STATEMENT_MODULES``.
"""

__all__ = []
