"""Counterexample search and a catalogue of refuted conjectures.

:mod:`mdptheory.counterexamples.search`
    :func:`find_counterexample` (Hypothesis search with shrinking and an exact
    re-check of float witnesses), :func:`margin_search` (gradient search on a
    margin), :class:`Counterexample` (save / :func:`load_counterexample`).
:mod:`mdptheory.counterexamples.catalogue`
    :data:`CATALOGUE` of plausible conjectures refuted by the search, each with
    the true statement it is usually confused with.
:mod:`mdptheory.counterexamples.minimize`
    Structural minimisation of a witness (delete and merge states, drop
    actions, simplest rationals); state-minimality.
:mod:`mdptheory.counterexamples.evidence`
    Confirmation labels (exact / certified (ball) / float64 on a rationalized
    MDP) and reports as evidence that survive save/load.
:mod:`mdptheory.counterexamples.describe`
    Witnesses for a reader: ``describe``, ``draw``, a pasteable ``repr``.
:mod:`mdptheory.counterexamples.tightness`
    How tight is each constant: the largest ratio lhs/rhs a search finds, certified.
:mod:`mdptheory.counterexamples.docs`
    The generated catalogue page.
"""

from .search import Case
from .search import Counterexample
from .search import cases
from .search import find_counterexample
from .search import margin_search
from .search import load_counterexample
from .search import rationalize
from .search import rational_policy
from .search import is_violation
from .catalogue import Conjecture
from .catalogue import CATALOGUE
from .catalogue import conjecture_names
from .catalogue import get_conjecture
from .catalogue import run_conjecture
from .catalogue import check_true_counterpart
from .catalogue import value_concave_softmax
from .catalogue import value_concave_direct
from .catalogue import visitation_geq_rho
from .catalogue import small_gradient_point_mass
from .catalogue import approximate_greedy_improves
from .catalogue import surrogate_equals_improvement
from .catalogue import npg_uniform_fisher
from .catalogue import trpo_step_improves
from .catalogue import trpo_large_delta
from .catalogue import greedy_on_visited_optimal
from .catalogue import performance_difference

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
