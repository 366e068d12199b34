r"""Counterexample search: find the smallest MDP that breaks a claim, and save it exactly.

A *property* is a function of a :class:`Case` (an MDP, optionally a policy,
a parameter vector and other drawn data) returning a ``bool`` (True: the claim
holds on this case) or a :class:`~mdptheory.lemmas.CheckReport` (the claim
fails when the verdict is ``FALSIFIED``; ``UNDECIDED``, a float comparison that
rounding could explain, is not a counterexample).

:func:`find_counterexample` draws cases with the strategies of
:mod:`mdptheory.strategies` and lets Hypothesis search and **shrink**: a
failing case is reduced toward few states and actions, deterministic
transitions, zero rewards and point-mass policies, so the witness is small and
simple.  The search is reproducible: no example database is used and the
random source is seeded.  A float witness is then converted to exact rationals
(entries built from small integer weights are recovered exactly, see
:func:`rationalize`) and the property is re-checked there, with no tolerance;
whether the exact re-check agrees is part of the result, and
:attr:`Counterexample.confirmation` says in which arithmetic the property ran
(see :mod:`mdptheory.counterexamples.evidence`).  An exact witness is then
minimised structurally (:mod:`mdptheory.counterexamples.minimize`).

:func:`margin_search` treats a *quantitative* property ``margin(case) -> float``
(positive = violated, e.g. ``V_before - V_after`` for a claimed improvement)
and maximises the violation: random restarts plus local optimisation
(:func:`scipy.optimize.minimize`) over the policy parameters, the MDP entries,
or both.  It returns the worst case found, not just any.

:class:`Counterexample` holds the witness with its evidence; :meth:`Counterexample.save`
writes it as exact JSON (rationals as strings, via :mod:`mdptheory.io`) and
:func:`load_counterexample` reads it back.

Examples
--------
Is the discounted visitation at least the start distribution?  No:

>>> from mdptheory import evaluate
>>> def d_geq_rho(case):
...     d = evaluate(case.mdp, case.pi).visitation()
...     return bool((d >= case.mdp.rho).all())
>>> d_geq_rho.arithmetic = "exact"   # evaluate() on an exact MDP computes exactly
>>> ce = find_counterexample(d_geq_rho, budget=100, seed=0)
>>> ce.found, ce.confirmation, ce.n_states, ce.state_minimal
(True, 'exact', 2, True)

A boolean property that declares nothing is confirmed as ``"float64 on a
rationalized MDP"``: its arithmetic cannot be seen.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..exceptions import InvalidParameterError, MDPTheoryError, MalformedFileError, format_value
from ..fields import is_exact_scalar, to_fraction
from ..mdp import MDP
from ..policies.softmax import log_softmax
from .evidence import is_violation

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

#: Tag of the ``extra`` block of a saved counterexample.
COUNTEREXAMPLE_FORMAT = "mdptheory.counterexample"
#: Largest denominator tried when recovering a rational from a float.
MAX_DENOMINATOR = 10**6
_SEARCHES = ("hypothesis", "margin")
_OVER = ("theta", "mdp", "both")


# ------------------------------------------------------------------ cases
@dataclass
class Case:
    """One point of the search space: an MDP and what a property needs besides it.

    Attributes
    ----------
    mdp : MDP
    pi : ndarray, shape (S, A), or None
        A policy (exact or float, in the field of ``mdp``).
    theta : ndarray or LogRational or None
        Policy parameters.
    data : dict
        Other drawn values by name (arrays, numbers).
    """

    mdp: MDP
    pi: Any = None
    theta: Any = None
    data: dict = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        """True when the MDP is exact (the case then holds rationals throughout)."""
        return self.mdp.is_exact

    @property
    def n_states(self) -> int:
        return self.mdp.n_states

    @property
    def n_actions(self) -> int:
        return self.mdp.n_actions

    def to_exact(self, *, max_denominator: int = MAX_DENOMINATOR) -> "Case":
        """The case in exact rationals (see :func:`rationalize`); exact cases are returned unchanged."""
        if self.exact:
            return self
        return Case(rationalize(self.mdp, max_denominator=max_denominator),
                    None if self.pi is None else rational_policy(self.pi, max_denominator=max_denominator),
                    _rationalize_value(self.theta, max_denominator),
                    {k: _rationalize_value(v, max_denominator) for k, v in self.data.items()})


def _simple_fraction(x: float, max_denominator: int) -> Fraction:
    """The simplest rational within a few ulps of ``x``, else ``x``'s exact binary value."""
    exact = Fraction(x)
    q = exact.limit_denominator(max_denominator)
    if abs(float(q) - x) <= 4 * math.ulp(x) + 1e-300:
        return q
    return exact


def _rationalize_array(a, max_denominator):
    arr = np.asarray(a)
    out = np.empty(arr.shape, dtype=object)
    flat = out.reshape(-1)
    for k, v in enumerate(arr.reshape(-1)):
        flat[k] = to_fraction(v) if is_exact_scalar(v) else _simple_fraction(float(v), max_denominator)
    return out


def _rationalize_value(v, max_denominator):
    if v is None or isinstance(v, (str, bool)):
        return v
    if type(v).__name__ == "LogRational":
        return v
    if isinstance(v, (int, Fraction)) or is_exact_scalar(v):
        return to_fraction(v)
    if isinstance(v, float):
        return _simple_fraction(v, max_denominator)
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiuO":
        return _rationalize_array(v, max_denominator)
    return v


def _normalise_rows(M):
    """Divide each row (last axis) by its exact sum; zero entries stay zero."""
    tot = M.sum(axis=-1, keepdims=True)
    return M / tot


def rationalize(mdp: MDP, *, max_denominator: int = MAX_DENOMINATOR) -> MDP:
    r"""An exact MDP recovered from a float one.

    Each entry :math:`x` becomes the simplest rational with denominator at most
    ``max_denominator`` within four ulps of :math:`x` (so ``0.1 -> 1/10`` and
    ``5/13`` rounded to float64 comes back as ``5/13``), or the exact binary
    value of :math:`x` if there is none; each row of ``P`` and ``rho`` is then
    divided by its exact sum, so it sums to one exactly and keeps its zeros.
    Strategies of :mod:`mdptheory.strategies` build probabilities from small
    integer weights, so their float MDPs are recovered exactly.

    Parameters
    ----------
    mdp : MDP
    max_denominator : int, keyword-only

    Returns
    -------
    MDP
        Exact; ``mdp`` itself when it is already exact.
    """
    if mdp.is_exact:
        return mdp
    P = _normalise_rows(_rationalize_array(mdp.P_dense(), max_denominator))
    r = _rationalize_array(mdp.r, max_denominator)
    rho = _normalise_rows(_rationalize_array(mdp.rho, max_denominator))
    g = _simple_fraction(float(mdp.gamma), max_denominator)
    return MDP(P, r, g, rho)


def rational_policy(pi, *, max_denominator: int = MAX_DENOMINATOR) -> np.ndarray:
    """A rational policy close to ``pi``: entries as in :func:`rationalize`, rows renormalised exactly.

    Returns
    -------
    ndarray of Fraction, shape (S, A)
        Exact policies are returned as Fractions unchanged.  For a float ``pi``
        the distance is a few ulps per entry when entries are simple rationals,
        else at most the row-sum rounding of ``pi``.
    """
    return _normalise_rows(_rationalize_array(pi, max_denominator))


def cases(*, states=(1, 4), actions=(1, 3), gamma=(0, 0.95), exact: bool = False, policy: bool = True,
          deterministic: bool = False, min_prob=0, rho: str = "uniform", max_successors: int | None = None,
          reward_range=(0, 1), extras: dict | None = None):
    r"""Hypothesis strategy of :class:`Case` objects.

    Parameters
    ----------
    states, actions : int or (lo, hi), keyword-only
        Size ranges of the MDP.
    gamma : number or (lo, hi), keyword-only
    exact : bool, keyword-only
        Exact rational MDPs and policies.
    policy : bool, keyword-only
        Draw a policy (:func:`mdptheory.strategies.policies`) into ``case.pi``.
    deterministic, min_prob : keyword-only
        Passed to the policy strategy.
    rho, max_successors, reward_range : keyword-only
        Passed to :func:`mdptheory.strategies.mdps`.
    extras : dict of name -> callable, optional, keyword-only
        ``extras[name](mdp)`` returns a strategy; its draw is stored in
        ``case.data[name]`` (e.g. a second policy, a perturbation, weights).

    Returns
    -------
    SearchStrategy of Case
    """
    from hypothesis import strategies as st

    from ..strategies import mdps, policies

    (s_lo, s_hi), (a_lo, a_hi) = _size_range("states", states), _size_range("actions", actions)
    mdp_st = _strategy_options(mdps, policies, s_lo, s_hi, a_lo, a_hi, gamma, exact, rho, max_successors,
                               reward_range, policy, deterministic, min_prob)
    extras = dict(extras or {})
    for k, f in extras.items():
        if not callable(f):
            raise InvalidParameterError(f"extras[{format_value(k)}] = {format_value(f)} must be a callable mdp -> strategy")

    @st.composite
    def draw_case(draw):
        mdp = draw(mdp_st)
        pi = draw(policies(mdp, deterministic=deterministic, min_prob=min_prob)) if policy else None
        data = {k: draw(f(mdp)) for k, f in extras.items()}
        return Case(mdp, pi, None, data)

    return draw_case()


#: Largest MDP size a search draws (the strategies' own bound).
_MAX_SEARCH_SIZE = 64


def _strategy_options(mdps, policies, s_lo, s_hi, a_lo, a_hi, gamma, exact, rho, max_successors, reward_range,
                      policy, deterministic, min_prob):
    """Build the MDP strategy, validating every option up front: the strategies' own argument errors
    (hypothesis's InvalidArgument) become InvalidParameterError naming the option."""
    from hypothesis.errors import InvalidArgument

    for name, v in (("exact", exact), ("policy", policy), ("deterministic", deterministic)):
        if not isinstance(v, (bool, np.bool_)):
            raise InvalidParameterError(f"{name} must be True or False; got {format_value(v)}")
    for name, hi in (("states", s_hi), ("actions", a_hi)):
        if hi > _MAX_SEARCH_SIZE:
            raise InvalidParameterError(f"{name} up to {format_value(hi)} exceeds {_MAX_SEARCH_SIZE}")
    try:
        mdp_st = mdps(min_states=s_lo, max_states=s_hi, min_actions=a_lo, max_actions=a_hi, gamma=gamma,
                      exact=exact, rho=rho, max_successors=max_successors, reward_range=reward_range)
        if policy:  # the policy options, checked once on a one-state MDP
            from ..mdp import MDP

            policies(MDP([[[1]]], [[0]], 0), deterministic=deterministic, min_prob=min_prob)
    except InvalidArgument as exc:
        raise InvalidParameterError(f"find_counterexample / cases option: {exc}") from None
    return mdp_st


def _size_range(name, v):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise InvalidParameterError(f"{name}={format_value(v)} must be an integer or a pair (lo, hi)")
        lo, hi = v
    else:
        lo = hi = v
    for x in (lo, hi):
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1:
            raise InvalidParameterError(f"{name}={format_value(v)} must hold positive integers")
    if lo > hi:
        raise InvalidParameterError(f"{name}={format_value(v)} has lo > hi")
    return int(lo), int(hi)


# ------------------------------------------------------------------ verdicts
# ------------------------------------------------------------------ result
@dataclass
class Counterexample:
    """The result of a counterexample search.

    Attributes
    ----------
    found : bool
        Whether a violation was found within the budget.
    case : Case or None
        The (shrunk) witness; exact when ``exact`` is True.
    evidence : bool or CheckReport or float
        The property's value on the witness (the exact re-check's when exact);
        the margin for :func:`margin_search`.
    exact : bool
        True when the violation was confirmed in exact rational arithmetic.
    exact_agrees : bool or None
        For a float witness: whether the exact re-check also fails (None when
        no exact re-check was possible).
    float_evidence : object
        The property's value on the float witness (None for exact searches).
    n_examples : int
        Cases examined until the first violation (all of the budget when none).
    n_calls : int
        Calls of the property, shrinking included.
    budget, seed : int
    search : {"hypothesis", "margin"}
    name : str
    note : str
        How the result was obtained (exact re-check, disagreements).
    margin : float or None
        :func:`margin_search` only: the worst violation found.
    confirmation : str
        How the violation was confirmed: ``"exact"``, ``"certified (ball)"``
        or ``"float64 on a rationalized MDP"``
        (:func:`mdptheory.counterexamples.evidence.confirmation_label`); ``""``
        for float witnesses and margins.
    state_minimal : bool or None
        No single state deletion keeps the witness a counterexample
        (:mod:`mdptheory.counterexamples.minimize`); None when not minimised.
    size_found : (int, int) or None
        ``(S, A)`` of the witness as Hypothesis shrank it, before minimisation.
    minimize_steps : list of str
        The minimisation moves applied.
    seconds : float
        Wall-clock time of the search (minimisation included).
    """

    found: bool
    case: Case | None = None
    evidence: Any = None
    exact: bool = False
    exact_agrees: bool | None = None
    float_evidence: Any = None
    n_examples: int = 0
    n_calls: int = 0
    budget: int = 0
    seed: int = 0
    search: str = "hypothesis"
    name: str = ""
    note: str = ""
    margin: float | None = None
    confirmation: str = ""
    state_minimal: bool | None = None
    size_found: tuple | None = None
    minimize_steps: list = field(default_factory=list)
    seconds: float = 0.0

    # -- convenience
    @property
    def mdp(self):
        return None if self.case is None else self.case.mdp

    @property
    def pi(self):
        return None if self.case is None else self.case.pi

    @property
    def theta(self):
        return None if self.case is None else self.case.theta

    @property
    def data(self):
        return {} if self.case is None else self.case.data

    @property
    def n_states(self):
        return None if self.case is None else self.case.n_states

    @property
    def n_actions(self):
        return None if self.case is None else self.case.n_actions

    def recheck(self, property) -> bool:
        """Re-run ``property`` on the witness; True when it is still violated."""
        if self.case is None:
            raise InvalidParameterError("no witness to re-check: the search found no counterexample")
        return is_violation(property(self.case))

    def summary(self) -> str:
        if not self.found:
            return (f"no counterexample found in {self.n_examples} examples "
                    f"(budget {self.budget}, seed {self.seed}, search {self.search})")
        kind = self.confirmation or ("exact" if self.exact else "float")
        size = f"S={self.n_states}, A={self.n_actions}"
        if self.state_minimal is not None:
            size += ", state-minimal" if self.state_minimal else ", not state-minimal"
        if self.size_found is not None and tuple(self.size_found) != (self.n_states, self.n_actions):
            size += f" (shrunk by Hypothesis to S={self.size_found[0]}, A={self.size_found[1]})"
        s = (f"counterexample ({kind}) with {size}, gamma={self.mdp.gamma}, "
             f"found after {self.n_examples} examples ({self.n_calls} calls with shrinking; "
             f"budget {self.budget}, seed {self.seed})")
        if self.margin is not None:
            s += f", margin {self.margin:.6g}"
        return s + (f"; {self.note}" if self.note else "")

    def __repr__(self):
        from .describe import counterexample_repr

        return counterexample_repr(self)

    def __str__(self):
        """The witness written out (:meth:`describe`); the one-line :meth:`summary` when there is none."""
        return self.describe() if self.found and self.case is not None else self.summary()

    def describe(self, **options) -> str:
        """The witness for a reader: transitions, rho, gamma, policies, V, d, the violated claim with both sides.

        See :func:`mdptheory.counterexamples.describe.describe`.
        """
        from .describe import describe

        return describe(self, **options)

    def draw(self, **options):
        """Draw the witness MDP as a graph (matplotlib); see :func:`mdptheory.counterexamples.describe.draw`."""
        from .describe import draw

        return draw(self, **options)

    # -- files
    def to_dict(self) -> dict:
        """Plain JSON data: the MDP in mdptheory's JSON format, policy, parameters, data and evidence."""
        from ..io import mdp_to_dict, policy_to_json_data

        if self.case is None:
            raise InvalidParameterError("no witness to save: the search found no counterexample")
        d = mdp_to_dict(self.case.mdp)
        if self.case.pi is not None:
            d["policy"] = policy_to_json_data(self.case.pi)
        d["extra"] = self._extra()
        return d

    def _extra(self):
        return {
            "format": COUNTEREXAMPLE_FORMAT, "name": self.name, "exact": self.exact,
            "exact_agrees": self.exact_agrees, "n_examples": self.n_examples, "n_calls": self.n_calls,
            "budget": self.budget, "seed": self.seed, "search": self.search, "note": self.note,
            "margin": self.margin, "confirmation": self.confirmation, "state_minimal": self.state_minimal,
            "size_found": None if self.size_found is None else list(self.size_found),
            "minimize_steps": list(self.minimize_steps), "theta": _encode(self.case.theta),
            "data": {k: _encode(v) for k, v in self.case.data.items()},
            "evidence": _evidence_json(self.evidence),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (exact numbers as ``"p/q"`` strings).

        Indented by ``indent`` with innermost lists of numbers kept on one line;
        ``indent=None`` gives one line.
        """
        from ..io import to_json

        if self.case is None:
            raise InvalidParameterError("no witness to save: the search found no counterexample")
        if indent is None:
            return to_json(self.case.mdp, policy=self.case.pi, extra=self._extra(), indent=None)
        from .describe import format_json

        return format_json(json.loads(to_json(self.case.mdp, policy=self.case.pi, extra=self._extra())),
                           indent=indent)

    def save(self, path) -> None:
        """Write :meth:`to_json` to ``path`` (UTF-8, atomically); read it back with :func:`load_counterexample`."""
        from ..io.atomic import atomic_write

        text = self.to_json()
        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def _evidence_json(ev):
    from .evidence import encode_value, report_to_data

    if hasattr(ev, "parts") and hasattr(ev, "verdict"):
        return report_to_data(ev)
    return encode_value(ev)


def _evidence_load(obj):
    from .evidence import decode_value, report_from_data

    if isinstance(obj, dict) and obj.get("kind") == "report":
        return report_from_data(obj)
    if isinstance(obj, dict) and "kind" in obj and "value" in obj:
        return decode_value(obj, "evidence")
    return obj  # files written before evidence was tagged: the plain summary


def _encode(v):
    """Tagged JSON form of a case value (exact numbers as strings)."""
    if v is None:
        return None
    if type(v).__name__ == "LogRational":
        return {"kind": "logq", "value": [str(x) for x in v.q]}
    if isinstance(v, (bool, str)):
        return {"kind": "json", "value": v}
    if isinstance(v, (int, Fraction, float)) or is_exact_scalar(v):
        v = np.asarray(v, dtype=object)
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "iu" or (v.dtype == object and all(is_exact_scalar(x) for x in v.flat)):
            s = np.frompyfunc(lambda x: str(to_fraction(x)), 1, 1)(v)
            return {"kind": "exact", "shape": list(v.shape), "value": np.asarray(s, dtype=object).reshape(-1).tolist()}
        return {"kind": "float", "shape": list(v.shape), "value": np.asarray(v, dtype=float).reshape(-1).tolist()}
    raise InvalidParameterError(f"cannot save a case value of type {type(v).__name__}")


def _decode(obj, where):
    if obj is None:
        return None
    if not isinstance(obj, dict) or "kind" not in obj or "value" not in obj:
        raise MalformedFileError(f"{where}: expected a tagged value {{'kind': ..., 'value': ...}}")
    kind, val = obj["kind"], obj["value"]
    try:
        if kind == "logq":
            from ..policies import LogRational

            return LogRational([to_fraction(x) for x in val])
        if kind == "json":
            return val
        shape = tuple(int(n) for n in obj.get("shape", []))
        if kind == "exact":
            arr = np.empty(len(val), dtype=object)
            arr[:] = [to_fraction(x) for x in val]
        elif kind == "float":
            arr = np.asarray([float(x) for x in val], dtype=float)
        else:
            raise MalformedFileError(f"{where}: unknown kind {format_value(kind)}")
        arr = arr.reshape(shape)
        return arr[()] if shape == () else arr
    except (TypeError, ValueError, MDPTheoryError) as exc:
        if isinstance(exc, MalformedFileError):
            raise
        raise MalformedFileError(f"{where}: {exc}") from None


def load_counterexample(path) -> Counterexample:
    """Read a counterexample written by :meth:`Counterexample.save`.

    Returns
    -------
    Counterexample
        With the witness case (exact MDP, policy, parameters and data as
        saved); ``evidence`` the saved report, read back as a
        :class:`~mdptheory.lemmas.CheckReport` with exact values (files of
        older releases give their plain summary) — re-check with
        :meth:`Counterexample.recheck`.

    Raises
    ------
    MalformedFileError
        If the file is not a saved counterexample.
    """
    from ..io import load_json

    mdp, pi, extra = load_json(path, with_extras=True)
    if not isinstance(extra, dict) or extra.get("format") != COUNTEREXAMPLE_FORMAT:
        raise MalformedFileError(f"{path}: not a saved counterexample (extra.format != {format_value(COUNTEREXAMPLE_FORMAT)})")
    data = extra.get("data") or {}
    if not isinstance(data, dict):
        raise MalformedFileError(f"{path}: extra.data must be an object")
    try:
        case = Case(mdp, pi, _decode(extra.get("theta"), "theta"),
                    {str(k): _decode(v, f"data[{format_value(k)}]") for k, v in data.items()})
        return _counterexample_from_extra(case, extra)
    except MDPTheoryError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise MalformedFileError(f"{path}: a field of the saved counterexample is malformed: "
                                 f"{type(exc).__name__}: {exc}") from None


def _counterexample_from_extra(case, extra):
    sf = extra.get("size_found")
    return Counterexample(found=True, case=case, evidence=_evidence_load(extra.get("evidence")),
                          exact=bool(extra.get("exact")), confirmation=str(extra.get("confirmation") or ""),
                          state_minimal=extra.get("state_minimal"), size_found=None if sf is None else tuple(sf),
                          minimize_steps=list(extra.get("minimize_steps") or []),
                          exact_agrees=extra.get("exact_agrees"), n_examples=int(extra.get("n_examples", 0)),
                          n_calls=int(extra.get("n_calls", 0)), budget=int(extra.get("budget", 0)),
                          seed=int(extra.get("seed", 0)), search=str(extra.get("search", "hypothesis")),
                          name=str(extra.get("name", "")), note=str(extra.get("note", "")),
                          margin=extra.get("margin"))


# ------------------------------------------------------------------ search
def _check_budget(budget, seed):
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise InvalidParameterError(f"budget must be a positive integer; got {format_value(budget)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer; got {format_value(seed)}")
    return int(budget), int(seed)


@contextlib.contextmanager
def _without_local_constants():
    """Hide the literals Hypothesis harvests from the caller's own modules.

    Hypothesis (6.13x and later) mixes constants found in every locally
    imported module into generation, so which modules happen to be imported
    changes the search — the same seed would give different witnesses in a
    notebook, a single test and a full test run.  For a reproducible search,
    this context swaps in an empty pool (and an empty cache of it) and
    restores both afterwards.  If a Hypothesis version lacks these internals,
    nothing is changed.
    """
    try:
        from hypothesis.internal.cache import LRUCache
        from hypothesis.internal.conjecture import providers as _prov
        from hypothesis.internal.floats import float_to_int
        from sortedcontainers import SortedSet

        empty = type(_prov._local_constants)(integers=SortedSet(), floats=SortedSet(key=float_to_int),
                                              bytes=SortedSet(), strings=SortedSet())
        saved = (_prov._get_local_constants, _prov.CONSTANTS_CACHE)
    except Exception:  # internals moved: fall back to Hypothesis's own behaviour
        yield
        return
    _prov._get_local_constants = lambda: empty
    _prov.CONSTANTS_CACHE = LRUCache(1024)
    try:
        yield
    finally:
        _prov._get_local_constants, _prov.CONSTANTS_CACHE = saved


def find_counterexample(property: Callable, *, states=(1, 4), actions=(1, 3), gamma=(0, 0.95),
                        exact: bool = False, budget: int = 200, seed: int = 0, search: str = "hypothesis",
                        strategy=None, policy: bool = True, deterministic: bool = False, min_prob=0,
                        rho: str = "uniform", max_successors: int | None = None, reward_range=(0, 1),
                        extras: dict | None = None, recheck_exactly: bool = True, name: str = "",
                        minimize: bool = True, resize: bool = True, **margin_options) -> Counterexample:
    r"""Search for a case on which ``property`` fails, shrink it, and confirm it exactly.

    With ``search="hypothesis"`` (default) cases are drawn by :func:`cases`
    (or ``strategy``) and :func:`hypothesis.find` looks for one with

    .. math::

        \texttt{is\_violation}(\texttt{property}(\text{case})),

    then shrinks it.  No example database is used and the random source is
    ``random.Random(seed)``, so the same arguments give the same witness.  A
    float witness is converted with :meth:`Case.to_exact` and ``property`` is
    called again on the exact case: if it fails there too the witness is
    exact (``exact=True``); if it holds, the disagreement is reported
    (``exact_agrees=False``) and the float witness kept.

    With ``search="margin"``, ``property`` must return a float margin
    (positive = violated) and the call is :func:`margin_search` with
    ``margin_options``.

    Parameters
    ----------
    property : callable
        ``property(case) -> bool | CheckReport`` (see :func:`is_violation`).
    states, actions, gamma, exact, policy, deterministic, min_prob, rho, max_successors, reward_range, extras
        Keyword-only; the search space, passed to :func:`cases`.
    budget : int, keyword-only
        Maximum number of generated examples (Hypothesis's ``max_examples``;
        shrinking calls come on top).
    seed : int, keyword-only
    search : {"hypothesis", "margin"}, keyword-only
    strategy : SearchStrategy of Case, optional, keyword-only
        Replaces :func:`cases`.
    recheck_exactly : bool, keyword-only
        Convert a float witness to rationals and re-check (default True).
    minimize : bool, keyword-only
        Minimise an exact witness structurally after Hypothesis's shrinking
        (:func:`mdptheory.counterexamples.minimize.minimize_case`: delete and
        merge states, drop actions, simplify numbers; default True).
    resize : bool, keyword-only
        With ``minimize`` and the default strategy: when the minimised witness
        has ``S`` states, search again (same budget and seed) among MDPs with
        fewer states, and keep a smaller witness if one is found (default True).
    name : str, keyword-only
        Label stored with the result.

    Returns
    -------
    Counterexample
        ``found=False`` (and no witness) when the budget is exhausted.

    Raises
    ------
    InvalidParameterError
        Bad budget, seed, search or sizes; a property returning something other
        than a bool or a report.
    """
    budget, seed = _check_budget(budget, seed)
    if search not in _SEARCHES:
        raise InvalidParameterError(f"search must be one of {_SEARCHES}; got {format_value(search)}")
    if search == "margin":
        return margin_search(property, states=states, actions=actions, gamma=gamma, seed=seed,
                             n_restarts=budget, name=name, **margin_options)
    if margin_options:
        raise InvalidParameterError(f"unknown options for search='hypothesis': {sorted(margin_options)}")
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    own_strategy = strategy is None
    if strategy is None:
        strategy = cases(states=states, actions=actions, gamma=gamma, exact=exact, policy=policy,
                         deterministic=deterministic, min_prob=min_prob, rho=rho, max_successors=max_successors,
                         reward_range=reward_range, extras=extras)
    counter = {"calls": 0, "first": None}
    t0 = time.perf_counter()
    research = None
    if own_strategy and minimize and resize:
        s_lo, _ = _size_range("states", states)

        def _research(s_hi):
            if s_hi < s_lo:
                return None
            sub = find_counterexample(property, states=(s_lo, s_hi), actions=actions, gamma=gamma, exact=exact,
                                      budget=budget, seed=seed, policy=policy, deterministic=deterministic,
                                      min_prob=min_prob, rho=rho, max_successors=max_successors,
                                      reward_range=reward_range, extras=extras, recheck_exactly=recheck_exactly,
                                      name=name, minimize=False, resize=False)
            return sub if sub.found and sub.case.exact and is_violation(property(sub.case)) else None

        research = _research

    def condition(case):
        counter["calls"] += 1
        bad = is_violation(property(case))
        if bad and counter["first"] is None:
            counter["first"] = counter["calls"]
        return bad

    cfg = settings(max_examples=budget, database=None, deadline=None, derandomize=False, print_blob=False,
                   phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    base = dict(budget=budget, seed=seed, search="hypothesis", name=name)
    try:
        with _without_local_constants():
            case = find(strategy, condition, settings=cfg, random=random.Random(seed))
    except NoSuchExample:
        return Counterexample(found=False, n_examples=counter["calls"], n_calls=counter["calls"],
                              seconds=time.perf_counter() - t0, **base)
    n_first, n_calls = counter["first"], counter["calls"]
    value = property(case)
    if case.exact or not recheck_exactly:
        ce = Counterexample(found=True, case=case, evidence=value, exact=case.exact, n_examples=n_first,
                            n_calls=n_calls, note="searched in exact arithmetic" if case.exact else
                            "float witness (no exact re-check requested)", **base)
        return _finish(ce, property, t0, minimize, resize, research)
    try:
        ecase = case.to_exact()
        evalue = property(ecase)
        agrees = is_violation(evalue)
    except MDPTheoryError as exc:
        return Counterexample(found=True, case=case, evidence=value, exact=False, exact_agrees=None,
                              float_evidence=value, n_examples=n_first, n_calls=n_calls,
                              note=f"float witness; the exact re-check could not run: {exc}",
                              seconds=time.perf_counter() - t0, **base)
    if agrees:
        ce = Counterexample(found=True, case=ecase, evidence=evalue, exact=True, exact_agrees=True,
                            float_evidence=value, n_examples=n_first, n_calls=n_calls,
                            note="found in float64, re-checked on the rationalized witness", **base)
        return _finish(ce, property, t0, minimize, resize, research)
    return Counterexample(found=True, case=case, evidence=value, exact=False, exact_agrees=False,
                          float_evidence=value, n_examples=n_first, n_calls=n_calls,
                          note=f"float witness; the exact re-check DISAGREES (the property holds on the "
                               f"rationalized case: {_short(evalue)})", seconds=time.perf_counter() - t0, **base)


def _finish(ce, property, t0, minimize, resize, research):
    """Minimise an exact witness, label its confirmation, and make its evidence a report."""
    from .evidence import EXACT, bool_report, confirmation_label

    if ce.case.exact and minimize:
        from .minimize import minimize_case

        ce.size_found = (ce.n_states, ce.n_actions)
        res = minimize_case(property, ce.case)
        ce.case, ce.state_minimal, ce.minimize_steps = res.case, res.state_minimal, list(res.steps)
        while resize and research is not None and ce.n_states > 1:
            smaller = research(ce.n_states - 1)
            if smaller is None:
                break
            res = minimize_case(property, smaller.case)
            ce.case, ce.state_minimal = res.case, res.state_minimal
            ce.minimize_steps = [f"search again with at most {smaller.n_states} states (found after "
                                 f"{smaller.n_examples} examples)"] + list(res.steps)
            ce.n_calls += smaller.n_calls
        ce.evidence = property(ce.case)
    if ce.case.exact:
        ce.confirmation = confirmation_label(ce.evidence, property, ce.case)
        ce.exact = ce.confirmation == EXACT
        if ce.note.startswith("found in float64"):
            ce.note = f"found in float64, confirmed on the rationalized witness ({ce.confirmation})"
        elif ce.confirmation != EXACT:
            ce.note = f"exact witness, confirmed in {ce.confirmation}"
    if isinstance(ce.evidence, (bool, np.bool_)):
        ce.evidence = bool_report(ce.evidence, name=ce.name, case=ce.case)
    ce.seconds = time.perf_counter() - t0
    return ce


def _short(v):
    return getattr(v, "verdict", None) or repr(v)


# ------------------------------------------------------------------ margin search
def margin_search(margin_fn: Callable, *, mdp: MDP | None = None, param=None, theta0=None, over: str = "theta",
                  states=2, actions=2, gamma=0.9, policy=None, n_restarts: int = 10, scale: float = 2.0,
                  method: str = "Nelder-Mead", max_iter: int = 400, seed: int = 0, name: str = "",
                  case_data: dict | None = None) -> Counterexample:
    r"""Maximise a violation margin by random restarts plus local optimisation.

    .. math::

        \max_x\; m(\text{case}(x)),

    where ``margin_fn(case) -> float`` is positive when the claim fails, and
    ``x`` is, by ``over``:

    ``"theta"``
        the policy parameters ``case.theta = x`` of ``param`` (``case.pi =
        param.probs(x)``) for the fixed ``mdp``;
    ``"mdp"``
        the MDP entries: ``P[s, a, :] = softmax(x_P[s, a, :])``,
        ``r = 1/(1 + e^{-x_r})`` (rewards in [0, 1]), fixed ``gamma`` and
        uniform ``rho``; sizes ``states`` and ``actions`` (integers); the
        policy is ``policy`` (default uniform), or ``param.probs(theta0)``;
    ``"both"``
        the MDP entries and the parameters.

    Each restart draws :math:`x_0 \sim \mathcal N(0, \text{scale}^2 I)` from
    ``numpy.random.default_rng(seed)`` (the first restart starts at
    ``theta0`` when given) and runs :func:`scipy.optimize.minimize` on
    :math:`-m`.  The best point over all restarts is returned.

    Parameters
    ----------
    margin_fn : callable
        ``margin_fn(case) -> float``.  Non-finite values count as :math:`-\infty`.
    mdp, param, theta0, over, states, actions, gamma, policy : keyword-only
        The search space (see above).
    n_restarts : int, keyword-only
    scale : float, keyword-only
    method : str, keyword-only
        Any derivative-free or finite-difference method of :func:`scipy.optimize.minimize`.
    max_iter : int, keyword-only
        Per restart.
    seed : int, keyword-only
    case_data : dict, optional, keyword-only
        Fixed ``case.data`` passed to every evaluation.

    Returns
    -------
    Counterexample
        ``margin`` the best margin, ``found = margin > 0``, ``case`` the worst
        case (float); ``n_calls`` evaluations of ``margin_fn``.
    """
    from scipy.optimize import minimize

    n_restarts, seed = _check_budget(n_restarts, seed)
    if over not in _OVER:
        raise InvalidParameterError(f"over must be one of {_OVER}; got {format_value(over)}")
    if over in ("theta", "both") and param is None:
        raise InvalidParameterError(f"over={format_value(over)} needs a parameterization param")
    if over == "theta" and mdp is None:
        raise InvalidParameterError("over='theta' needs a fixed mdp")
    if over != "theta":
        (S, _), (A, _) = _size_range("states", states), _size_range("actions", actions)
        if isinstance(states, (tuple, list)) and states[0] != states[1] or \
                isinstance(actions, (tuple, list)) and actions[0] != actions[1]:
            raise InvalidParameterError("margin_search over the MDP needs fixed sizes states=S, actions=A")
        g = float(gamma[1] if isinstance(gamma, (tuple, list)) else gamma)
        if not 0 <= g < 1:
            raise InvalidParameterError(f"gamma must lie in [0, 1); got {format_value(gamma)}")
    else:
        S, A = mdp.n_states, mdp.n_actions
    if param is not None and (param.n_states, param.n_actions) != (S, A):
        raise InvalidParameterError(f"param has sizes {(param.n_states, param.n_actions)}, the MDP {(S, A)}")
    n_theta = param.n_params if over in ("theta", "both") else 0
    n_mdp = S * A * S + S * A if over in ("mdp", "both") else 0
    data = dict(case_data or {})
    rng = np.random.default_rng(seed)

    def build(x):
        if n_mdp:
            P = np.exp(log_softmax(x[:S * A * S].reshape(S, A, S)))
            r = 1.0 / (1.0 + np.exp(-x[S * A * S:n_mdp].reshape(S, A)))
            m = MDP(P, r, g)
        else:
            m = mdp
        if n_theta:
            th = x[n_mdp:]
            return Case(m, param.probs(th), th.copy(), dict(data))
        if policy is not None:
            return Case(m, np.asarray(policy, dtype=float), None, dict(data))
        if param is not None and theta0 is not None:
            th = np.asarray(theta0, dtype=float)
            return Case(m, param.probs(th), th, dict(data))
        return Case(m, np.full((S, A), 1.0 / A), None, dict(data))

    calls = {"n": 0}
    best = {"m": -np.inf, "x": None}

    def objective(x):
        calls["n"] += 1
        try:
            val = float(margin_fn(build(x)))
        except MDPTheoryError:
            return np.inf
        if not math.isfinite(val):
            return np.inf
        if val > best["m"]:
            best["m"], best["x"] = val, x.copy()
        return -val

    n = n_theta + n_mdp
    for k in range(n_restarts):
        x0 = rng.normal(0.0, scale, size=n)
        if k == 0 and theta0 is not None and n_theta:
            x0[n_mdp:] = np.asarray(theta0, dtype=float)
        minimize(objective, x0, method=method, options={"maxiter": max_iter})
    if best["x"] is None:
        return Counterexample(found=False, n_examples=n_restarts, n_calls=calls["n"], budget=n_restarts, seed=seed,
                              search="margin", name=name, note="margin_fn failed at every point")
    case = build(best["x"])
    return Counterexample(found=best["m"] > 0, case=case, evidence=best["m"], exact=False, n_examples=n_restarts,
                          n_calls=calls["n"], budget=n_restarts, seed=seed, search="margin", name=name,
                          margin=best["m"], note=f"worst margin over {n_restarts} restarts")
