"""Deprecated alias of :mod:`mdptheory.counterexamples.catalogue`.

Importing this module emits a :class:`DeprecationWarning`; the names are the
same objects as in :mod:`mdptheory.counterexamples`.
"""

from __future__ import annotations

import warnings as _warnings

from .counterexamples.catalogue import Conjecture
from .counterexamples.catalogue import CATALOGUE
from .counterexamples.catalogue import conjecture_names
from .counterexamples.catalogue import get_conjecture
from .counterexamples.catalogue import run_conjecture
from .counterexamples.catalogue import check_true_counterpart
from .counterexamples.catalogue import value_concave_softmax
from .counterexamples.catalogue import value_concave_direct
from .counterexamples.catalogue import visitation_geq_rho
from .counterexamples.catalogue import small_gradient_point_mass
from .counterexamples.catalogue import approximate_greedy_improves
from .counterexamples.catalogue import surrogate_equals_improvement
from .counterexamples.catalogue import npg_uniform_fisher
from .counterexamples.catalogue import trpo_step_improves
from .counterexamples.catalogue import trpo_large_delta
from .counterexamples.catalogue import greedy_on_visited_optimal
from .counterexamples.catalogue import performance_difference
from .counterexamples.catalogue import REFUTED
from .counterexamples.catalogue import HOLDS

__all__ = [
    "Conjecture",
    "CATALOGUE",
    "conjecture_names",
    "get_conjecture",
    "run_conjecture",
    "check_true_counterpart",
    "value_concave_softmax",
    "value_concave_direct",
    "visitation_geq_rho",
    "small_gradient_point_mass",
    "approximate_greedy_improves",
    "surrogate_equals_improvement",
    "npg_uniform_fisher",
    "trpo_step_improves",
    "trpo_large_delta",
    "greedy_on_visited_optimal",
    "performance_difference",
]

_warnings.warn(
    "mdptheory.conjectures is deprecated; import from mdptheory.counterexamples instead",
    DeprecationWarning,
    stacklevel=2,
)
