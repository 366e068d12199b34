"""Check reports: the verdict of one statement on one case, with its evidence.

A checker compares two independently computed sides of an identity, or the two
sides of an inequality, and returns a :class:`CheckReport`.  Verdicts:

``VERIFIED``
    Exact/symbolic mode: the identity holds exactly (or the inequality holds).
    Float mode: the residual is within the stated tolerance *and* the
    tolerance is small against the quantities compared; for an inequality, the
    slack exceeds the tolerance (so rounding cannot explain the agreement).
``FALSIFIED``
    Exact mode: the statement fails.  Float mode: the residual exceeds ten
    times the tolerance, or an inequality is violated by more than the
    tolerance — rounding cannot explain the disagreement.
``UNDECIDED``
    Rounding could explain the agreement or the disagreement (a residual
    between one and ten tolerances, a slack within the tolerance, quantities
    no larger than the tolerance), or a symbolic simplification could not
    settle the statement.  The report says why; rerun in exact mode.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ...fields import rational_str

__all__ = [
    "VERIFIED",
    "FALSIFIED",
    "UNDECIDED",
    "CheckReport",
    "float_tolerance",
    "default_tolerance",
    "compare_identity",
    "compare_inequality",
    "combine_verdicts",
    "perturbed_identities",
]

VERIFIED = "VERIFIED"
FALSIFIED = "FALSIFIED"
UNDECIDED = "UNDECIDED"

#: Factor by which a float residual must exceed its tolerance to be called FALSIFIED.
FALSIFY_FACTOR = 10.0

#: Relative perturbation of the left side of every float identity, or None (see perturbed_identities).
_PERTURBATION = None


@contextlib.contextmanager
def perturbed_identities(eps: float):
    r"""Measure sensitivity: inside the block, every float-mode :meth:`CheckReport.identity`
    compares :math:`(1 + \varepsilon)\,\mathrm{lhs}` with rhs.

    Framework instrumentation for the float sensitivity table (the smallest
    relative error of one side a statement detects); exact and symbolic
    identities are untouched.  Not thread-safe.
    """
    global _PERTURBATION
    eps = float(eps)
    if not np.isfinite(eps):
        from ...exceptions import InvalidParameterError

        raise InvalidParameterError(f"eps must be finite; got {eps!r}")
    old, _PERTURBATION = _PERTURBATION, eps
    try:
        yield eps
    finally:
        _PERTURBATION = old


def float_tolerance(mdp, magnitude=1.0, *, order: int = 1, factor: float = 64.0):
    r"""Rounding tolerance for float quantities computed from ``mdp``.

    .. math::

        \mathrm{tol} = c\, \varepsilon\, S\, \max(1, k\kappa)\, m,
        \qquad \kappa = \frac{1 + \gamma}{1 - \gamma}

    where :math:`\kappa` bounds the infinity-norm condition number of
    :math:`I - \gamma P^\pi` (:math:`\|I-\gamma P^\pi\|_\infty \le 1+\gamma`,
    :math:`\|(I-\gamma P^\pi)^{-1}\|_\infty \le 1/(1-\gamma)`), ``m`` the size of
    the quantities compared, :math:`\varepsilon` the float64 unit roundoff and
    ``c`` a safety factor (64).  ``k = order`` counts the solves a quantity went
    through (a gradient: 2, a Hessian: 3); ``order = 0`` is a quantity that
    went through no solve (a finite sum, an enumeration over trajectories):
    :math:`\mathrm{tol} = c\,\varepsilon\,S\,m`.  To first order in
    :math:`\varepsilon` the relative errors of successive backward-stable solves
    add (a product :math:`w^\top G` of two solved quantities has relative error
    at most the sum of theirs, measured against the size ``m`` of the terms), so
    the bound is linear in :math:`k\kappa`, not :math:`\kappa^k`; ``order=0``
    (sums and products, no solve: truncated-horizon enumerations) leaves the
    rounding of the sums, :math:`c\,\varepsilon\,S\,m`.  A
    :math:`\kappa^k` rule let relative errors of :math:`10^{-7}` pass as
    rounding at :math:`\gamma = 0.99` (see docs/sensitivity.md).

    Returns
    -------
    tol : float
    rule : str
        The formula with its numbers, for the report.
    """
    eps = float(np.finfo(np.float64).eps)
    g = float(mdp.gamma)
    kappa = (1.0 + g) / (1.0 - g)
    S = mdp.n_states
    m = float(max(abs(float(magnitude)), np.finfo(float).tiny))
    if order == 0:  # no linear solve (finite sums, enumeration): the condition number does not enter
        tol = factor * eps * S * m
        return tol, f"{factor:g}*eps*S*m (order 0: no solve) with S={S}, m={m:.4g}"
    tol = factor * eps * S * order * kappa * m
    rule = f"{factor:g}*eps*S*order*kappa*m with S={S}, order={order}, kappa=(1+g)/(1-g)={kappa:.4g}, m={m:.4g}"
    return tol, rule


def _max_abs_float(x) -> float:
    a = _to_float_array(x)
    return float(np.max(np.abs(a))) if a.size else 0.0


def default_tolerance(lhs, rhs, *, mdp=None, order: int = 1, scale=None):
    r"""The tolerance used when a float comparison is given none: principled, from what is known.

    With the MDP the quantities come from, :func:`float_tolerance` with
    ``order`` solves (default 1: a value or a visitation) and

    .. math::

        m = \max\Big(\|\mathrm{lhs}\|_\infty, \|\mathrm{rhs}\|_\infty, \mathrm{scale},
            1, \frac{\max|r|}{1-\gamma}\Big):

    rounding errors scale with the quantities a side is computed from — values
    (at most :math:`\max|r|/(1-\gamma)`) and probabilities (at most 1) — not
    with the side itself, which may cancel to zero (e.g.
    :math:`\sum_a\pi(a|s)A^\pi(s,a)`).  Without an MDP
    the rule is that of a few floating-point operations on numbers of size
    :math:`m`, :math:`64\,\varepsilon\,m` (no linear solve is accounted for:
    pass ``tol`` or an MDP when the sides went through one).

    Returns
    -------
    tol : float
    rule : str
    """
    m = max(_max_abs_float(lhs), _max_abs_float(rhs), abs(float(scale)) if scale is not None else 0.0)
    if mdp is not None:
        r = np.asarray(mdp.r, dtype=float)
        value_scale = float(np.max(np.abs(r))) / (1.0 - float(mdp.gamma)) if r.size else 0.0
        return float_tolerance(mdp, max(m, 1.0, value_scale), order=order)
    eps = float(np.finfo(np.float64).eps)
    m = max(m, float(np.finfo(float).tiny))
    return 64.0 * eps * m, f"64*eps*m with m={m:.4g} (no MDP given: a few roundings of numbers of size m)"


def _has_symbols(*xs) -> bool:
    """True when an entry is a sympy expression with free symbols (a statement for all values)."""
    for x in xs:
        for v in np.asarray(x, dtype=object).reshape(-1):
            if type(v).__module__.startswith("sympy") and getattr(v, "free_symbols", None):
                return True
    return False


def _compare_symbolic_identity(lhs, rhs):
    """Decide ``lhs == rhs`` for all values of the symbols with :func:`mdptheory.symbolic.is_zero`."""
    from ...symbolic import is_zero

    diff = np.asarray(np.asarray(lhs, dtype=object) - np.asarray(rhs, dtype=object), dtype=object).reshape(-1)
    answers = [is_zero(e) for e in diff]
    if all(a is True for a in answers):
        return VERIFIED, Fraction(0), "proved identically zero (sympy)"
    if any(a is False for a in answers):
        return FALSIFIED, None, "the difference is nonzero at a rational point"
    return UNDECIDED, None, "zero at every sampled point but not proved"


def _to_float_array(x):
    a = np.asarray(x, dtype=object)
    return np.array([float(v) for v in a.reshape(-1)], dtype=float).reshape(a.shape)


def _exact_max_abs(x):
    a = np.asarray(x, dtype=object).reshape(-1)
    return max((abs(v) for v in a), default=Fraction(0))


def compare_identity(lhs, rhs, *, mode: str, tol: float | None = None, scale: float | None = None):
    r"""Compare two independently computed sides of an identity.

    ``scale`` is the size of the quantities the sides are computed from (for
    an identity ``x = 0`` such as :math:`\sum_a \pi A^\pi = 0`, the size of
    the terms summed); by default the larger side.  In float mode a match is
    only VERIFIED when ``scale`` exceeds the tolerance: otherwise rounding
    alone could explain the agreement and the verdict is UNDECIDED.

    In float mode without ``tol`` the tolerance is :func:`default_tolerance`
    (no MDP known here).  Sides holding sympy expressions with free symbols are
    compared for all values of the symbols (:func:`mdptheory.symbolic.is_zero`);
    scalars, Fractions, arrays and nested lists are all accepted.

    Returns
    -------
    verdict : str
    residual : float or Fraction or None
        ``max |lhs - rhs|`` (exact in exact mode; None for an unproved symbolic difference).
    reason : str
    """
    if _has_symbols(lhs, rhs):
        return _compare_symbolic_identity(lhs, rhs)
    if mode != "exact" and tol is None:
        tol, _ = default_tolerance(lhs, rhs, scale=scale)
    if mode == "exact":
        diff = np.asarray(lhs, dtype=object) - np.asarray(rhs, dtype=object)
        res = _exact_max_abs(diff)
        return (VERIFIED, res, "exact equality") if res == 0 else (FALSIFIED, res, "exact residual is nonzero")
    lf, rf = _to_float_array(lhs), _to_float_array(rhs)
    if lf.ndim == 0 or rf.ndim == 0:  # a scalar side stands for every entry of the other
        lf, rf = np.broadcast_arrays(lf, rf)
    if lf.shape != rf.shape:
        return FALSIFIED, float("inf"), f"shapes differ: {lf.shape} vs {rf.shape}"
    if not (np.all(np.isfinite(lf)) and np.all(np.isfinite(rf))):
        return UNDECIDED, float("nan"), "non-finite values: rerun in exact or ball mode"
    res = float(np.max(np.abs(lf - rf))) if lf.size else 0.0
    size = float(max(np.max(np.abs(lf)) if lf.size else 0.0, np.max(np.abs(rf)) if rf.size else 0.0))
    if scale is not None:
        size = max(size, float(scale))
    if res <= tol:
        if size <= tol and res > 0:
            return UNDECIDED, res, "both sides are below the rounding tolerance"
        return VERIFIED, res, "residual within tolerance"
    if res <= FALSIFY_FACTOR * tol:
        return UNDECIDED, res, f"residual between 1 and {FALSIFY_FACTOR:g} tolerances: rerun in exact mode"
    return FALSIFIED, res, "residual exceeds the tolerance"


def compare_inequality(lhs, rhs, *, mode: str, tol: float | None = None, strict: bool = False):
    """Check ``lhs <= rhs`` componentwise (``lhs < rhs`` if ``strict``).

    In float mode without ``tol`` the tolerance is :func:`default_tolerance`.
    An inequality between expressions with free symbols is UNDECIDED (prove it
    by other means and record it with :meth:`CheckReport.claim`).

    Returns
    -------
    verdict : str
    slack : float or Fraction or None
        ``min(rhs - lhs)`` (exact in exact mode); negative means violated.
    reason : str
    """
    if _has_symbols(lhs, rhs):
        return UNDECIDED, None, "an inequality between symbolic expressions is not decided here"
    if mode != "exact" and tol is None:
        tol, _ = default_tolerance(lhs, rhs)
    if mode == "exact":
        diff = np.asarray(np.asarray(rhs, dtype=object) - np.asarray(lhs, dtype=object), dtype=object)
        slack = min(diff.reshape(-1), default=Fraction(0))
        ok = slack > 0 if strict else slack >= 0
        return (VERIFIED if ok else FALSIFIED), slack, "exact comparison"
    lf, rf = _to_float_array(lhs), _to_float_array(rhs)
    diff = np.broadcast_to(rf, np.broadcast_shapes(lf.shape, rf.shape)) - lf
    if not np.all(np.isfinite(diff)):
        return UNDECIDED, float("nan"), "non-finite values: rerun in exact or ball mode"
    slack = float(np.min(diff)) if diff.size else 0.0
    if slack >= tol:
        return VERIFIED, slack, "slack exceeds the tolerance"
    if slack <= -tol:
        return FALSIFIED, slack, "violated by more than the tolerance"
    return UNDECIDED, slack, "slack within the rounding tolerance (tight case): rerun in exact mode"


def combine_verdicts(verdicts) -> str:
    """FALSIFIED if any is, else UNDECIDED if any is, else VERIFIED."""
    vs = list(verdicts)
    if FALSIFIED in vs:
        return FALSIFIED
    if UNDECIDED in vs or not vs:
        return UNDECIDED
    return VERIFIED


def _jsonable(x):
    if isinstance(x, Fraction):
        return rational_str(x)  # any number of digits (str() refuses beyond 4300)
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()] if x.dtype != object else [_jsonable(v) for v in x]
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if type(x).__name__ == "MDP":
        from ...io import mdp_to_dict

        return mdp_to_dict(x)
    if isinstance(x, (str, int, bool)) or x is None:
        return x
    return repr(x)


@dataclass
class CheckReport:
    """The result of checking one statement on one case.

    Attributes
    ----------
    statement : str
        Statement id from docs/statements.md, e.g. ``"A1"``.
    name : str
        Checker name (``mdptheory.lemmas.<name>``).
    text : str
        The statement checked.
    source : str
        Where it comes from (lemma/theorem number).
    mode : {"float", "exact", "symbolic", "ball"}
    verdict : {"VERIFIED", "FALSIFIED", "UNDECIDED"}
    residual : float or Fraction or None
        Worst ``|lhs - rhs|`` over the identities checked.
    slack : float or Fraction or None
        Worst slack ``rhs - lhs`` over the inequalities checked.
    tolerance : float or None
        Float mode only; exact and symbolic modes use none.
    tolerance_rule : str
    parts : list of dict
        One entry per sub-claim: name, kind, verdict, residual/slack, reason
        and, for identities and inequalities, the two sides ``lhs``, ``rhs``.
    witness : dict
        The MDP, policy, parameters and seed, to reproduce the case.
    variant : str or None
        Name of a deliberately broken variant, if one was checked.
    details : dict
        Anything else worth showing (both sides, intermediate values).
    """

    statement: str
    name: str
    text: str
    source: str
    mode: str
    verdict: str = UNDECIDED
    residual: Any = None
    slack: Any = None
    tolerance: Any = None
    tolerance_rule: str = ""
    parts: list = field(default_factory=list)
    witness: dict = field(default_factory=dict)
    variant: str | None = None
    details: dict = field(default_factory=dict)

    # -- building
    def identity(self, part: str, lhs, rhs, *, tol=None, scale=None, order: int = 1):
        """Record the identity ``lhs == rhs`` as a sub-claim; returns its verdict.

        ``lhs`` and ``rhs`` may be scalars, Fractions, arrays or sympy
        expressions.  ``scale``: see :func:`compare_identity`.  In float mode
        without ``tol``, the tolerance is :func:`default_tolerance` for the
        witness's MDP (``order`` solves), and its rule becomes the report's
        ``tolerance_rule`` if it has none.
        """
        tol, scale = self._default_tol(lhs, rhs, tol, order, scale)
        if _PERTURBATION is not None and self._cmp_mode == "float":
            lhs = _to_float_array(lhs) * (1.0 + _PERTURBATION)
        verdict, res, reason = compare_identity(lhs, rhs, mode=self._cmp_mode, tol=tol, scale=scale)
        self.parts.append({"part": part, "kind": "identity", "verdict": verdict, "residual": res,
                           "tolerance": tol, "reason": reason, "lhs": lhs, "rhs": rhs})
        if res is not None and (self.residual is None or res > self.residual or
                                (isinstance(res, float) and np.isnan(res))):
            self.residual = res
        self._update(tol)
        return verdict

    def inequality(self, part: str, lhs, rhs, *, tol=None, strict: bool = False, order: int = 1):
        """Record ``lhs <= rhs`` (componentwise) as a sub-claim; returns its verdict.

        Same inputs and default tolerance as :meth:`identity`.
        """
        tol, _ = self._default_tol(lhs, rhs, tol, order, None)
        verdict, slack, reason = compare_inequality(lhs, rhs, mode=self._cmp_mode, tol=tol, strict=strict)
        self.parts.append({"part": part, "kind": "inequality", "verdict": verdict, "slack": slack,
                           "tolerance": tol, "reason": reason, "lhs": lhs, "rhs": rhs})
        if slack is not None and (self.slack is None or slack < self.slack):
            self.slack = slack
        self._update(tol)
        return verdict

    def _default_tol(self, lhs, rhs, tol, order, scale):
        """The default tolerance and scale (see :func:`default_tolerance`) when no ``tol`` is given."""
        if tol is not None or self._cmp_mode != "float" or _has_symbols(lhs, rhs):
            return tol, scale
        mdp = self.witness.get("mdp") if isinstance(self.witness, dict) else None
        if not (hasattr(mdp, "gamma") and hasattr(mdp, "n_states")):
            mdp = None
        tol, rule = default_tolerance(lhs, rhs, mdp=mdp, order=order, scale=scale)
        if not self.tolerance_rule:
            self.tolerance_rule = rule
        if mdp is not None:  # the sides are computed from values and probabilities of this size
            r = np.asarray(mdp.r, dtype=float)
            vs = float(np.max(np.abs(r))) / (1.0 - float(mdp.gamma)) if r.size else 0.0
            scale = max(float(scale) if scale is not None else 0.0, 1.0, vs)
        return tol, scale

    def claim(self, part: str, verdict: str, reason: str, **values):
        """Record a sub-claim decided by other means (e.g. a symbolic simplification)."""
        self.parts.append({"part": part, "kind": "claim", "verdict": verdict, "reason": reason, **values})
        self._update(None)
        return verdict

    @property
    def _cmp_mode(self):
        return "exact" if self.mode in ("exact", "symbolic") else "float"

    def _update(self, tol):
        if tol is not None:
            self.tolerance = tol if self.tolerance is None else max(self.tolerance, tol)
        self.verdict = combine_verdicts(p["verdict"] for p in self.parts)

    # -- reading
    @property
    def ok(self) -> bool:
        """True when the verdict is VERIFIED."""
        return self.verdict == VERIFIED

    def ratio(self, kind: str = "identity") -> float | None:
        """Float mode: worst residual over tolerance (``kind="identity"``), or the
        smallest slack over tolerance (``kind="inequality"``; positive means
        holding with margin).  None if no such part has a tolerance."""
        worst = None
        for p in self.parts:
            t = p.get("tolerance")
            if not t or p["kind"] != kind:
                continue
            if kind == "identity":
                r = float(p["residual"]) / t
                worst = r if worst is None else max(worst, r)
            else:
                r = float(p["slack"]) / t
                worst = r if worst is None else min(worst, r)
        return worst

    def to_dict(self) -> dict:
        """Plain JSON-ready data (exact numbers as strings, the MDP in mdptheory's JSON format)."""
        return {
            "statement": self.statement, "name": self.name, "text": self.text, "source": self.source,
            "mode": self.mode, "verdict": self.verdict, "variant": self.variant,
            "residual": _jsonable(self.residual), "slack": _jsonable(self.slack),
            "tolerance": _jsonable(self.tolerance), "tolerance_rule": self.tolerance_rule,
            "parts": _jsonable(self.parts), "witness": _jsonable(self.witness),
            "details": _jsonable(self.details),
        }

    def witness_dict(self) -> dict:
        """The witness alone, JSON-ready (exact numbers as strings, the MDP in mdptheory's JSON format)."""
        return _jsonable(self.witness)

    def to_json(self, **kw) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), **kw)

    def __str__(self) -> str:
        lines = [f"[{self.statement}] {self.name} ({self.mode}): {self.verdict}", f"  {self.text}"]
        if self.source:
            lines.append(f"  source: {self.source}")
        if self.variant:
            lines.append(f"  broken variant checked: {self.variant}")
        for p in self.parts:
            val = p.get("residual", p.get("slack"))
            lines.append(f"  - {p['part']}: {p['verdict']} ({p['kind']}, "
                         f"{'residual' if 'residual' in p else 'slack'} {val}, tol {p.get('tolerance')}) {p['reason']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        from .rendering import report_repr

        return report_repr(self)

    def _repr_html_(self):  # Jupyter: the statement in LaTeX, rounded figures, the witness on demand
        from .rendering import report_html

        return report_html(self)

    def _repr_markdown_(self):
        from .rendering import report_markdown

        return report_markdown(self)
