"""Deprecated alias of :mod:`mdptheory.lemmas.natural_gradient` (formerly ``mdptheory.lemmas.npg``)."""

import warnings

from .natural_gradient import (_field, _gram, _matvec, _zeros, _one, _witness, _softmax_cases, _value_gradient,
    _param_setup, fisher_block_form, npg_closed_form_check, _E1, _E2)  # noqa: F401
from .framework.parameterized import _working_mdp, _param_case, _policy_score  # noqa: F401

__all__ = [
    "fisher_block_form",
    "npg_closed_form_check",
]

warnings.warn("mdptheory.lemmas.npg is deprecated; use mdptheory.lemmas.natural_gradient",
              DeprecationWarning, stacklevel=2)
