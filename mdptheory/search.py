"""Deprecated alias of :mod:`mdptheory.counterexamples.search`.

Importing this module emits a :class:`DeprecationWarning`; the names are the
same objects as in :mod:`mdptheory.counterexamples`.
"""

from __future__ import annotations

import warnings as _warnings

from .counterexamples.search import Case
from .counterexamples.search import Counterexample
from .counterexamples.search import cases
from .counterexamples.search import find_counterexample
from .counterexamples.search import margin_search
from .counterexamples.search import load_counterexample
from .counterexamples.search import rationalize
from .counterexamples.search import rational_policy
from .counterexamples.search import is_violation
from .counterexamples.search import COUNTEREXAMPLE_FORMAT
from .counterexamples.search import MAX_DENOMINATOR

__all__ = [
    "Case",
    "Counterexample",
    "cases",
    "find_counterexample",
    "margin_search",
    "load_counterexample",
    "rationalize",
    "rational_policy",
    "is_violation",
]

_warnings.warn(
    "mdptheory.search is deprecated; import from mdptheory.counterexamples instead",
    DeprecationWarning,
    stacklevel=2,
)
