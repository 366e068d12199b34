"""Lemma checkers: each statement of THEORY.md, checked on concrete MDPs.

Every checker is importable as ``mdptheory.lemmas.<name>``, takes a ``mode``
(``"float"``, ``"exact"``; ``"symbolic"`` where it applies) and returns a
:class:`CheckReport` whose verdict is ``VERIFIED``, ``FALSIFIED`` or
``UNDECIDED``.  :func:`statements` lists the registry that
``python -m proofs_check`` runs.

>>> from mdptheory.families import forest
>>> from mdptheory.policy import uniform_policy
>>> m = forest(3, exact=True)
>>> bellman_equations(m, uniform_policy(m)).verdict
'VERIFIED'
"""

from .report import FALSIFIED
from .report import UNDECIDED
from .report import VERIFIED
from .report import CheckReport
from .report import float_tolerance
from .registry import Statement
from .registry import get_statement
from .registry import register
from .registry import statements
from .runner import run_statement
from .runner import run_suite
from .foundations import bellman_equations
from .foundations import optimality
from .foundations import performance_difference
from .foundations import visitation_identities

__all__ = [
    "FALSIFIED",
    "UNDECIDED",
    "VERIFIED",
    "CheckReport",
    "float_tolerance",
    "Statement",
    "get_statement",
    "register",
    "statements",
    "run_statement",
    "run_suite",
    "bellman_equations",
    "optimality",
    "performance_difference",
    "visitation_identities",
]


def __getattr__(name):
    # checkers of later chapters are registered by their own modules
    from .registry import statements as _all

    for st in _all():
        if st.name == name:
            return st.check
    raise AttributeError(f"module 'mdptheory.lemmas' has no attribute {name!r}")
