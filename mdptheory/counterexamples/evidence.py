r"""The evidence of a counterexample: which arithmetic confirmed it, and a report that survives a file.

**Confirmation labels.**  A witness is confirmed in one of three ways, and the
label says which (:func:`confirmation_label`):

``"exact"``
    the property ran in exact rational arithmetic on the exact witness: a
    report in exact mode whose compared values are all exact numbers, or a
    property declaring ``property.arithmetic = "exact"``;
``"certified (ball)"``
    a report in ball mode (every compared value an enclosure), or a property
    declaring ``"ball"``;
``"float64 on a rationalized MDP"``
    the witness was made exact but the property computed (part of) its
    values in float64 — a report whose compared values include floats, one
    that says so in ``details["arithmetic"] = "float"``, a property
    declaring ``"float"``, or a plain boolean property that declares
    nothing (its arithmetic cannot be seen).

**Reports as evidence.**  A property returning a ``bool`` gives no numbers;
:func:`bool_report` wraps a ``False`` into a report, and :func:`claim_report`
lets a property return the two sides of its claim instead of a bool.
:func:`report_to_data` / :func:`report_from_data` write a
:class:`~mdptheory.lemmas.CheckReport` as tagged JSON data (exact numbers as
``"p/q"`` strings, floats as floats, arrays with their shapes) and read it back
as the same type with the same values, so a saved witness renders the same
report after :func:`~mdptheory.counterexamples.load_counterexample`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError, MalformedFileError, format_value
from ..fields import is_exact_scalar, to_fraction

__all__ = [
    "is_violation",
    "EXACT",
    "BALL",
    "FLOAT_ON_RATIONAL",
    "CONFIRMATIONS",
    "confirmation_label",
    "bool_report",
    "claim_report",
    "report_to_data",
    "report_from_data",
    "encode_value",
    "decode_value",
]

EXACT = "exact"
BALL = "certified (ball)"
FLOAT_ON_RATIONAL = "float64 on a rationalized MDP"
#: The three ways a witness can be confirmed, strongest first.
CONFIRMATIONS = (EXACT, BALL, FLOAT_ON_RATIONAL)


def is_violation(value) -> bool:
    """True when a property's value says the claim fails on the case.

    ``False`` (or a falsy numpy boolean) and a report with verdict
    ``"FALSIFIED"`` are violations; ``True``, ``VERIFIED`` and ``UNDECIDED``
    are not.
    """
    verdict = getattr(value, "verdict", None)
    if verdict is not None:
        return verdict == "FALSIFIED"
    if isinstance(value, (bool, np.bool_)):
        return not bool(value)
    raise InvalidParameterError(f"a property must return a bool or a CheckReport; got {type(value).__name__}: "
                                f"{format_value(value)}")


# ------------------------------------------------------------------ labels
def _values_in(report):
    for p in getattr(report, "parts", []):
        for k in ("lhs", "rhs"):
            if k in p:
                yield from np.asarray(p[k], dtype=object).reshape(-1)


def confirmation_label(value, property=None, case=None) -> str:
    """How the property's value ``value`` on ``case`` was computed (one of :data:`CONFIRMATIONS`)."""
    declared = getattr(property, "arithmetic", None)
    exact_case = case is None or getattr(case, "exact", True)
    if declared is not None:
        if declared not in ("exact", "ball", "float"):
            raise InvalidParameterError(f"property.arithmetic must be 'exact', 'ball' or 'float'; got {format_value(declared)}")
        if declared == "exact" and exact_case:
            return EXACT
        return BALL if declared == "ball" else FLOAT_ON_RATIONAL
    mode = getattr(value, "mode", None)
    if mode is None:  # a bool: its arithmetic cannot be seen
        return FLOAT_ON_RATIONAL
    if getattr(value, "details", {}).get("arithmetic") == "float":
        return FLOAT_ON_RATIONAL
    if mode == "ball":
        return BALL
    if mode in ("exact", "symbolic") and exact_case:
        vals = list(_values_in(value))
        if all(is_exact_scalar(v) for v in vals):
            return EXACT
        if all(is_exact_scalar(v) or type(v).__name__ == "arb" for v in vals):
            return BALL
    return FLOAT_ON_RATIONAL


# ------------------------------------------------------------------ reports for bool properties
def _new_report(name, text, mode):
    from ..lemmas.framework.report import CheckReport

    return CheckReport(statement=name or "property", name=name or "property", text=text, source="", mode=mode)


def bool_report(value, *, name: str = "", case=None):
    """A report for a boolean property's value: one claim, ``FALSIFIED`` when ``value`` is false."""
    mode = "exact" if case is not None and getattr(case, "exact", False) else "float"
    rep = _new_report(name, "the property returned True", mode)
    ok = bool(value)
    rep.claim("property(case)", "VERIFIED" if ok else "FALSIFIED",
              "the property returned True" if ok else "the property returned False (it gives no quantities; "
              "return claim_report(...) to record both sides)", value=ok)
    return rep


def claim_report(lhs, rhs, *, relation: str = "<=", name: str = "", text: str = "", case=None, tol=None):
    r"""A report of the claim ``lhs <= rhs`` (``relation="<="``) or ``lhs == rhs`` (``"=="``).

    For properties that would return a bool: the two sides are kept, so the
    evidence of a failure shows the numbers.  Exact when both sides are exact;
    in float64 the tolerance is ``tol``, else
    :func:`~mdptheory.lemmas.framework.report.float_tolerance` of ``case.mdp``
    (conditioning of the Bellman system), else 64 unit roundoffs of the sides' size.
    """
    if relation not in ("<=", "=="):
        raise InvalidParameterError(f"relation must be '<=' or '=='; got {format_value(relation)}")
    l_arr, r_arr = _as_array(lhs), _as_array(rhs)
    exact = all(is_exact_scalar(v) for v in np.concatenate([l_arr.reshape(-1), r_arr.reshape(-1)]))
    mode = "exact" if exact else "float"
    if mode == "float" and tol is None:
        mag = float(np.max(np.abs(np.asarray(np.concatenate([l_arr.reshape(-1), r_arr.reshape(-1)]), dtype=float))))
        if case is not None:  # the conditioning-based rounding tolerance of the case's MDP
            from ..lemmas.framework.report import float_tolerance

            tol = float_tolerance(case.mdp, mag)[0]
        else:  # no MDP to condition on: 64 unit roundoffs of the compared size
            tol = 64 * float(np.finfo(float).eps) * max(mag, 1.0)
    rep = _new_report(name, text or f"lhs {relation} rhs", mode)
    if relation == "<=":
        rep.inequality(text or "lhs <= rhs", l_arr, r_arr, tol=tol)
    else:
        rep.identity(text or "lhs == rhs", l_arr, r_arr, tol=tol)
    return rep


def _as_array(x):
    if np.ndim(x) == 0:
        out = np.empty(1, dtype=object)
        out[0] = x
        return out
    return np.asarray(x, dtype=object if not isinstance(x, np.ndarray) else x.dtype)


# ------------------------------------------------------------------ tagged values
def encode_value(v):
    """Tagged JSON data for a report or case value; exact numbers as strings, floats as floats."""
    if v is None or isinstance(v, (bool, str)):
        return {"kind": "json", "value": v}
    if type(v).__name__ == "MDP":
        from ..io import mdp_to_dict

        return {"kind": "mdp", "value": mdp_to_dict(v)}
    if type(v).__name__ == "LogRational":
        return {"kind": "logq", "value": [str(x) for x in v.q]}
    if isinstance(v, dict):
        return {"kind": "dict", "value": {str(k): encode_value(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return {"kind": "list", "value": [encode_value(x) for x in v]}
    if isinstance(v, (np.bool_,)):
        return {"kind": "json", "value": bool(v)}
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return {"kind": "int", "value": str(int(v))}
    if isinstance(v, Fraction) or (np.ndim(v) == 0 and is_exact_scalar(v) and not isinstance(v, np.ndarray)):
        return {"kind": "exact", "shape": [], "value": [str(to_fraction(v))]}
    if isinstance(v, (float, np.floating)):
        return {"kind": "float", "shape": [], "value": [float(v)]}
    if isinstance(v, np.ndarray):
        flat = v.reshape(-1)
        if v.dtype.kind in "iu" or (v.dtype == object and all(is_exact_scalar(x) for x in flat)):
            return {"kind": "exact", "shape": list(v.shape), "value": [str(to_fraction(x)) for x in flat],
                    "dtype": "int" if v.dtype.kind in "iu" else "object"}
        if v.dtype.kind == "b":
            return {"kind": "bool", "shape": list(v.shape), "value": [bool(x) for x in flat]}
        try:
            return {"kind": "float", "shape": list(v.shape), "value": [float(x) for x in flat]}
        except (TypeError, ValueError):
            pass
    return {"kind": "repr", "value": repr(v)}


def decode_value(obj, where: str = "value"):
    """Inverse of :func:`encode_value`."""
    if not isinstance(obj, dict) or "kind" not in obj or "value" not in obj:
        raise MalformedFileError(f"{where}: expected a tagged value {{'kind': ..., 'value': ...}}")
    kind, val = obj["kind"], obj["value"]
    try:
        if kind in ("json", "repr"):
            return val
        if kind == "mdp":
            from ..io import mdp_from_dict

            return mdp_from_dict(val)
        if kind == "logq":
            from ..policies import LogRational

            return LogRational([to_fraction(x) for x in val])
        if kind == "dict":
            return {k: decode_value(x, f"{where}[{k!r}]") for k, x in val.items()}
        if kind == "list":
            return [decode_value(x, f"{where}[{i}]") for i, x in enumerate(val)]
        if kind == "int":
            return int(val)
        shape = tuple(int(n) for n in obj.get("shape", []))
        if kind == "exact":
            if obj.get("dtype") == "int":
                arr = np.array([int(x) for x in val], dtype=np.int64)
            else:
                arr = np.empty(len(val), dtype=object)
                arr[:] = [to_fraction(x) for x in val]
        elif kind == "float":
            arr = np.asarray([float(x) for x in val], dtype=float)
        elif kind == "bool":
            arr = np.asarray([bool(x) for x in val], dtype=bool)
        else:
            raise MalformedFileError(f"{where}: unknown kind {format_value(kind)}")
        arr = arr.reshape(shape)
        return arr[()] if shape == () else arr
    except MalformedFileError:
        raise
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise MalformedFileError(f"{where}: {exc}") from None


_REPORT_FIELDS = ("statement", "name", "text", "source", "mode", "verdict", "residual", "slack", "tolerance",
                  "tolerance_rule", "parts", "witness", "variant", "details")


def report_to_data(report) -> dict:
    """A :class:`~mdptheory.lemmas.CheckReport` as tagged JSON data (exact values kept exact)."""
    return {"kind": "report", "value": {f: encode_value(getattr(report, f)) for f in _REPORT_FIELDS}}


def report_from_data(obj):
    """Read back :func:`report_to_data`'s output as a :class:`~mdptheory.lemmas.CheckReport`."""
    from ..lemmas.framework.report import CheckReport

    if not isinstance(obj, dict) or obj.get("kind") != "report" or not isinstance(obj.get("value"), dict):
        raise MalformedFileError("evidence: expected {'kind': 'report', 'value': {...}}")
    val = obj["value"]
    missing = [f for f in ("statement", "name", "text", "source", "mode") if f not in val]
    if missing:
        raise MalformedFileError(f"evidence: report fields missing: {missing}")
    kw = {f: decode_value(val[f], f"evidence.{f}") for f in _REPORT_FIELDS if f in val}
    return CheckReport(**kw)
