r"""Write a statement of your own: the ``@statement`` decorator.

The body of a statement computes its two sides and says how to compare them;
the framework does the rest — it resolves the mode from the inputs, puts the
MDP and the arrays in that field (float64, exact rationals, or a generic
symbolic MDP), chooses a principled float tolerance, records the witness, checks
the broken-variant name, builds the :class:`~mdptheory.lemmas.CheckReport`, and
registers the statement so that ``python -m proofs_check`` runs it with the
others (``--module mypkg.claims``, or the entry-point group
``mdptheory.statements`` of an installed package).

>>> from mdptheory.lemmas import statement
>>> @statement(id="X1", text=r"\sum_a \pi(a|s) A^\pi(s,a) = 0", source="AJKS Ch. 1",
...            modes=("float", "exact"), variants={"q_for_a": "Q in place of A"})
... def advantage_mean_zero(c, mdp, pi):
...     ev = c.evaluate(mdp, pi)
...     A = ev.Q if c.variant == "q_for_a" else ev.A
...     c.identity("sum_a pi(a|s) A(s,a) = 0", (pi * A).sum(axis=1), 0)
>>> from mdptheory.families import forest
>>> from mdptheory.policies import uniform_policy
>>> m = forest(3, exact=True)
>>> advantage_mean_zero(m, uniform_policy(m)).verdict
'VERIFIED'
>>> advantage_mean_zero(m, uniform_policy(m), variant="q_for_a").verdict
'FALSIFIED'
>>> from mdptheory.lemmas.framework.registry import unregister
>>> unregister("X1")

The body receives a :class:`Check` ``c`` followed by the case's inputs
(``mdp``, policies ``pi``, ``pi2``, … and any other keyword). Without
``cases=`` the suite draws small random MDPs and policies (float and exact) and
one generic symbolic MDP with its symbolic softmax policy (symbolic), for
bodies whose inputs are among ``mdp``, ``pi``, ``pi2``, ``pi3``, ``mu``.
"""

from __future__ import annotations

import functools
import inspect
from fractions import Fraction

import numpy as np

from ...exceptions import InvalidParameterError, format_value
from .prologue import check_variant, prepare_policy, resolve_mode
from .registry import Statement, _load_all, register
from .report import FALSIFIED, UNDECIDED, VERIFIED, CheckReport
from .suite import case_rng, random_case_mdp, random_case_policy, random_distribution

__all__ = ["statement", "Check", "MODES"]

#: The modes a statement may declare.
MODES = ("float", "exact", "symbolic")
_POLICY_NAMES = ("pi", "pi2", "pi3")
_DEFAULT_INPUTS = ("mdp",) + _POLICY_NAMES + ("mu",)


def _is_symbolic_mdp(x) -> bool:
    return type(x).__name__ == "SymbolicMDP"


class Check:
    """What a statement's body works with: the case in its mode's field and the comparisons.

    Attributes
    ----------
    mode : {"float", "exact", "symbolic"}
    mdp : MDP or SymbolicMDP or None
        The case's MDP in the mode's field.
    variant : str or None
        The broken variant being checked (None: the statement itself).
    report : CheckReport
        The report being built (its ``details`` dict takes anything worth showing).
    """

    def __init__(self, report: CheckReport, mdp, variants):
        self.report = report
        self.mode = report.mode
        self.mdp = mdp
        self.variant = report.variant
        self._variants = variants

    # -- comparisons: the report chooses the tolerance in float mode
    def identity(self, part: str, lhs, rhs, *, tol=None, order: int = 1, scale=None) -> str:
        r"""Claim ``lhs == rhs`` (componentwise).

        Scalars, Fractions, arrays, nested lists and sympy expressions are
        accepted.  Exact mode: exact equality.  Symbolic mode: the difference
        is proved identically zero (:func:`mdptheory.symbolic.is_zero`).  Float
        mode: the residual against ``tol``, by default
        :math:`64\,\varepsilon\,S\,\kappa^{\text{order}}\,m` for the case's MDP
        (:func:`~mdptheory.lemmas.float_tolerance`; ``order`` counts the
        linear solves the sides went through, ``m`` is the size of the sides).
        Returns the part's verdict.
        """
        return self.report.identity(part, lhs, rhs, tol=tol, order=order, scale=scale)

    def inequality(self, part: str, lhs, rhs, *, tol=None, order: int = 1, strict: bool = False) -> str:
        """Claim ``lhs <= rhs`` (componentwise; ``<`` if ``strict``); same inputs and tolerance as :meth:`identity`."""
        return self.report.inequality(part, lhs, rhs, tol=tol, order=order, strict=strict)

    def claim(self, part: str, holds, reason: str = "", **values) -> str:
        """Record a sub-claim decided by other means: ``holds`` True, False or None (undecided)."""
        if holds is not None and not isinstance(holds, (bool, np.bool_)):
            raise InvalidParameterError(f"holds must be True, False or None; got {format_value(holds)}")
        verdict = UNDECIDED if holds is None else (VERIFIED if holds else FALSIFIED)
        return self.report.claim(part, verdict, reason or ("holds" if holds else "fails" if holds is not None
                                                           else "undecided"), **values)

    # -- helpers
    def broken(self, name: str) -> bool:
        """True when the broken variant ``name`` (which must be declared) is being checked."""
        if name not in self._variants:
            raise InvalidParameterError(f"variant {format_value(name)} is not declared; declared: "
                                        f"{', '.join(sorted(self._variants)) or 'none'}")
        return self.variant == name

    def evaluate(self, mdp=None, pi=None, *, mu=None):
        """V, Q, A (and the visitation) of ``pi`` on ``mdp`` in the check's mode.

        Float and exact: :func:`mdptheory.evaluate` (``.V``, ``.Q``, ``.A``,
        ``.visitation(mu)``).  Symbolic: :func:`mdptheory.symbolic.symbolic_evaluation`
        of the symbolic MDP with its own softmax policy (``.V``, ``.Q``,
        ``.A``, ``.d``); ``pi`` must then be that policy or None.
        """
        mdp = self.mdp if mdp is None else mdp
        if self.mode == "symbolic":
            from ...symbolic import symbolic_evaluation

            if pi is not None and pi is not mdp.pi:
                raise InvalidParameterError("in symbolic mode the policy is the symbolic MDP's own softmax policy "
                                            "(mdp.pi)")
            return symbolic_evaluation(mdp, mu=mu)
        from ...evaluation import evaluate

        return evaluate(mdp, pi, mode=self.mode)

    @property
    def one(self):
        """1 in the mode's field (``Fraction(1)`` or ``1.0``; exact 1 in symbolic mode)."""
        return 1.0 if self.mode == "float" else Fraction(1)

    def __repr__(self):
        return f"Check({self.report.statement}, mode={self.mode!r}, variant={self.variant!r})"


# ----------------------------------------------------------------- inputs
def _resolve(inputs, mode, statement_id):
    mdp = inputs.get("mdp")
    if mode is not None and mode not in MODES:
        raise InvalidParameterError(f"mode must be one of {MODES}; got {format_value(mode)}")
    if _is_symbolic_mdp(mdp):
        if mode not in (None, "symbolic"):
            raise InvalidParameterError(f"{statement_id}: a SymbolicMDP is checked in mode 'symbolic'; got {format_value(mode)}")
        return "symbolic"
    if mode == "symbolic":
        raise InvalidParameterError(f"{statement_id}: mode='symbolic' needs a SymbolicMDP as mdp "
                                    "(mdptheory.symbolic.symbolic_mdp); got "
                                    f"{type(mdp).__name__}")
    arrays = [v for k, v in inputs.items() if k != "mdp" and isinstance(v, (np.ndarray, list, tuple))]
    if mdp is not None and hasattr(mdp, "is_exact"):
        return resolve_mode(mdp, *arrays, mode=mode)
    if mode is not None:
        return mode
    exact = all(np.asarray(a, dtype=object).dtype == object or np.asarray(a).dtype.kind in "iu" for a in arrays)
    return "exact" if exact and arrays else "float"


def _to_field(inputs, mode):
    if mode == "symbolic":
        return dict(inputs)
    out = {}
    mdp = inputs.get("mdp")
    if mdp is not None and hasattr(mdp, "is_exact"):
        mdp = mdp if mode == "exact" else (mdp.to_float() if mdp.is_exact else mdp)
        out["mdp"] = mdp
    from ...fields import exact_array, float_array

    for k, v in inputs.items():
        if k == "mdp":
            continue
        if k in _POLICY_NAMES and v is not None and mdp is not None:
            out[k] = prepare_policy(mdp, v, mode)
        elif isinstance(v, (np.ndarray, list, tuple)):
            out[k] = exact_array(v, name=k) if mode == "exact" else float_array(v, name=k)
        elif isinstance(v, Fraction) and mode == "float":
            out[k] = float(v)
        else:
            out[k] = v
    return out


def _default_cases(statement_id, params):
    def cases(seed, n, mode):
        if mode == "symbolic":
            from ...symbolic import symbolic_mdp

            if set(params) - {"mdp", "pi"}:
                raise InvalidParameterError(f"{statement_id}: the default symbolic case gives only mdp and pi; "
                                            "pass cases=")
            smdp = symbolic_mdp(2, 2)
            case = {"mdp": smdp}
            if "pi" in params:
                case["pi"] = smdp.pi
            case["seed"] = (seed, 0)
            yield case  # one generic case: a proof for all values of the symbols
            return
        exact = mode == "exact"
        for i in range(n):
            rng = case_rng(seed, statement_id, i)
            mdp = random_case_mdp(rng, exact=exact)
            case = {"mdp": mdp}
            for name in _POLICY_NAMES:
                if name in params:
                    case[name] = random_case_policy(rng, mdp, exact=exact)
            if "mu" in params:
                case["mu"] = random_distribution(rng, mdp.n_states, exact=exact, positive=not exact)
            case["seed"] = (seed, i)
            yield case

    return cases


# ----------------------------------------------------------------- decorator
def statement(_fn=None, /, *, id: str = None, text: str = None, source: str = None, modes=("float", "exact"),
              variants=None, cases=None, name: str | None = None, derivation: str = "", cost: float = 1.0,
              register_it: bool = True):
    r"""Turn a function computing two sides into a registered, checkable statement.

    Parameters
    ----------
    id : str
        The statement id, unique across the registry (a clash with a built-in
        or another statement raises
        :class:`~mdptheory.lemmas.framework.registry.StatementIdError` naming it).
    text : str
        The statement (LaTeX welcome: it is shown as math in reports).
    source : str
        Where it comes from (book chapter, paper and theorem).
    modes : tuple of {"float", "exact", "symbolic"}
        The modes the suite runs.
    variants : dict, optional
        Broken variants, name -> description; the body reads ``c.variant``
        (or ``c.broken(name)``) and must then compute the broken statement,
        which the suite expects FALSIFIED.
    cases : callable, optional
        ``cases(seed, n, mode) -> iterable of dict`` of the body's inputs,
        ``seed`` the suite's integer seed.  Default: random small MDPs and
        policies (see the module documentation).
    name : str, optional
        The checker name (default: the function's name).
    derivation : str, optional
        Markdown derivation of any derived constant.
    cost : float
        Relative cost of one case.
    register_it : bool
        Add it to the registry (default True).

    Returns
    -------
    callable
        A decorator; the decorated name becomes the checker
        ``checker(*inputs, mode=None, variant=None, seed=None, **inputs) -> CheckReport``,
        with attributes ``statement`` (the registered
        :class:`~mdptheory.lemmas.Statement`) and ``as_property()`` (a property
        for :func:`mdptheory.counterexamples.find_counterexample`).
    """
    if _fn is not None:
        raise InvalidParameterError("use @statement(id=..., text=..., source=...) with its keywords, "
                                    "not a bare @statement")
    if not isinstance(id, str) or not id or not id[0].isalpha():
        raise InvalidParameterError(f"id must be a non-empty string starting with a letter; got {format_value(id)}")
    for arg, val in (("text", text), ("source", source)):
        if not isinstance(val, str) or not val.strip():
            raise InvalidParameterError(f"{arg} must be a non-empty string; got {format_value(val)}")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    bad = [m for m in modes if m not in MODES]
    if not modes or bad:
        raise InvalidParameterError(f"modes must be a non-empty subset of {MODES}; got {format_value(modes)}")
    variants = dict(variants or {})
    if cases is not None and not callable(cases):
        raise InvalidParameterError(f"cases must be callable as cases(seed, n, mode); got {format_value(cases)}")

    def decorate(fn):
        if not callable(fn):
            raise InvalidParameterError(f"@statement decorates a function; got {format_value(fn)}")
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if not params:
            raise InvalidParameterError(f"{fn.__name__}: the body takes the Check as its first argument")
        inputs = [p.name for p in params[1:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        for reserved in ("mode", "variant", "seed"):
            if reserved in inputs:
                raise InvalidParameterError(f"{fn.__name__}: {format_value(reserved)} is the framework's keyword; rename the input")
        gen = cases
        if gen is None:
            needed = [p.name for p in params[1:] if p.default is p.empty and
                      p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            unknown = [p for p in needed if p not in _DEFAULT_INPUTS]
            if unknown:
                raise InvalidParameterError(f"{fn.__name__}: no default cases for the inputs {unknown}; pass cases=")
            gen = _default_cases(id, needed)
        checker_name = name or fn.__name__

        @functools.wraps(fn)
        def checker(*args, mode=None, variant=None, seed=None, **kwargs):
            try:
                bound = sig.bind(None, *args, **kwargs)
            except TypeError as exc:
                raise InvalidParameterError(f"{checker_name}: {exc}") from None
            bound.apply_defaults()
            given = dict(list(bound.arguments.items())[1:])
            check_variant(variant, variants)
            m = _resolve(given, mode, id)
            given = _to_field(given, m)
            witness = {**given, "seed": seed}
            rep = CheckReport(statement=id, name=checker_name, text=text, source=source, mode=m,
                              witness=witness, variant=variant)
            fn(Check(rep, given.get("mdp"), variants), **given)
            if not rep.parts:
                rep.claim("the statement's body", UNDECIDED, "the body recorded no comparison")
            return rep

        def as_property(**fixed):
            """A property of a counterexample-search case: the checker on (case.mdp, case.pi, case.theta, case.data)."""

            def prop(case):
                kw = dict(fixed)
                for k in inputs:
                    if k in kw:
                        continue
                    if k in ("mdp", "pi", "theta") and getattr(case, k, None) is not None:
                        kw[k] = getattr(case, k)
                    elif k in getattr(case, "data", {}):
                        kw[k] = case.data[k]
                return checker(**kw)

            prop.__name__ = checker_name
            return prop

        stmt = Statement(id=id, name=checker_name, text=text, source=source, check=checker, cases=gen,
                         modes=modes, variants=variants, cost=cost, derivation=derivation)
        if register_it:
            _load_all()  # built-in ids first, so that a clash names them
            register(stmt)
        checker.statement = stmt
        checker.as_property = as_property
        return checker

    return decorate
