"""Deprecated alias of :mod:`mdptheory.lemmas.framework.registry` (formerly ``mdptheory.lemmas.registry``).
"""

import warnings

from .framework.registry import (CHAPTERS, _REGISTRY, Statement, register, _load_all, statements,
    get_statement)  # noqa: F401

__all__ = [
    "Statement",
    "register",
    "statements",
    "get_statement",
    "CHAPTERS",
]

warnings.warn("mdptheory.lemmas.registry is deprecated; use mdptheory.lemmas.framework.registry",
              DeprecationWarning, stacklevel=2)
