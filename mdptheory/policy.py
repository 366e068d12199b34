"""Deprecated alias of :mod:`mdptheory.policies.tabular`.

The tabular policy helpers (``as_policy``, ``uniform_policy``,
``deterministic_policy``, ``greedy_policy``, ``policy_is_exact``) live in
:mod:`mdptheory.policies.tabular` and are re-exported by
:mod:`mdptheory.policies` and :mod:`mdptheory`.  Importing this module
emits a :class:`DeprecationWarning`; the names are the same objects.
"""

from __future__ import annotations

import warnings as _warnings

from .policies.tabular import DEFAULT_POLICY_ATOL
from .policies.tabular import as_policy
from .policies.tabular import deterministic_policy
from .policies.tabular import greedy_policy
from .policies.tabular import policy_is_exact
from .policies.tabular import uniform_policy

__all__ = [
    "DEFAULT_POLICY_ATOL",
    "as_policy",
    "policy_is_exact",
    "uniform_policy",
    "deterministic_policy",
    "greedy_policy",
]

_warnings.warn(
    "mdptheory.policy is deprecated; import from mdptheory.policies (or mdptheory) instead",
    DeprecationWarning,
    stacklevel=2,
)
