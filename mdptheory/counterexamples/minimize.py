r"""Structural minimisation of a counterexample: fewer states, fewer actions, simpler numbers.

Hypothesis shrinks the *draw* that produced a witness, not the MDP: a witness
can keep a state that is never reached, two copies of one state, or an action
nobody takes.  :func:`minimize_case` takes an exact witness and a property and
applies, while the property still fails (re-checked after every step, in the
witness's arithmetic), the moves

1. **delete a state** :math:`s`: the column :math:`P[\cdot, \cdot, s]` is
   removed and its mass redirected — to the source state itself (a self
   loop), to each other state :math:`t` (merging :math:`s` into :math:`t`:
   duplicate states disappear this way), or spread by renormalising the row;
   :math:`\rho(s)` goes to the same place (renormalised for a self loop);
   arrays of ``case.data`` indexed by state lose the row;
2. **drop an action** :math:`a` (policies are renormalised row by row; a
   policy row that only played :math:`a` rules the move out);
3. **simplify numbers**: :math:`\gamma` and each reward become the simplest
   rational (smallest denominator, then numerator) that keeps the violation,
   among :math:`0, 1` and the continued-fraction approximations
   ``x.limit_denominator(q)``; a transition row or policy row becomes a point
   mass or uniform on its support.

until no move applies.  The result is **state-minimal** when no single state
deletion (with any of the redirections) keeps it a counterexample — which the
final pass of the loop establishes.

Arrays of ``case.data`` follow the witness by shape: an axis of length ``S``
in first position is a state axis, an axis of length ``A`` in second position
(or first position for the arrays of action indices, integer vectors of
length ``S``) an action axis; a cell vector of integers of length ``S`` with
values below ``A`` is read as one action per state and renumbered when an
action is dropped.  Moves whose data cannot follow are skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from ..exceptions import InvalidParameterError, MDPTheoryError, format_value
from ..fields import is_exact_scalar
from ..mdp import MDP

__all__ = ["MinimizeResult", "minimize_case", "is_state_minimal", "simpler_rationals"]


@dataclass
class MinimizeResult:
    """The outcome of :func:`minimize_case`.

    Attributes
    ----------
    case : Case
        The minimised witness (still violating the property).
    steps : list of str
        The moves applied, in order.
    state_minimal : bool
        No single state deletion keeps the case a counterexample.
    size_before, size_after : (int, int)
        ``(S, A)`` before and after.
    n_calls : int
        Property evaluations.
    seconds : float
    """

    case: object
    steps: list = field(default_factory=list)
    state_minimal: bool = False
    size_before: tuple = (0, 0)
    size_after: tuple = (0, 0)
    n_calls: int = 0
    seconds: float = 0.0


# ------------------------------------------------------------------ rationals
def _complexity(q: Fraction):
    return (q.denominator, abs(q.numerator))


def simpler_rationals(x, *, lo=None, hi=None) -> list:
    r"""Rationals simpler than ``x`` (smaller denominator, then numerator), simplest first.

    Candidates are :math:`0`, :math:`1`, :math:`\lfloor x\rceil` and the
    best approximations ``x.limit_denominator(q)`` for ``q < denominator(x)``
    (the convergents and semiconvergents of the Stern–Brocot tree), restricted
    to ``[lo, hi]`` when given.
    """
    x = Fraction(x)
    cands = {Fraction(0), Fraction(1), Fraction(round(x))}
    for q in range(1, min(x.denominator, 64)):
        cands.add(x.limit_denominator(q))
    out = [c for c in cands if _complexity(c) < _complexity(x)
           and (lo is None or c >= lo) and (hi is None or c <= hi)]
    return sorted(out, key=_complexity)


# ------------------------------------------------------------------ data following the witness
def _obj(a):
    return np.asarray(a, dtype=object)


def _is_dist_rows(a) -> bool:
    """Exact array whose rows (last axis) are probability vectors."""
    if not isinstance(a, np.ndarray) or a.ndim < 1 or a.size == 0:
        return False
    if not all(is_exact_scalar(x) for x in a.flat):
        return False
    try:
        return all(sum(row) == 1 and all(v >= 0 for v in row) for row in a.reshape(-1, a.shape[-1]))
    except TypeError:
        return False


def _is_action_index(a, S, A) -> bool:
    return (isinstance(a, np.ndarray) and a.shape == (S,) and a.dtype.kind in "iu"
            and bool(np.all((a >= 0) & (a < A))))


def _drop_state_value(v, s, S, A):
    if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == S:
        return np.delete(v, s, axis=0)
    return v


def _drop_action_value(v, a, S, A):
    if not isinstance(v, np.ndarray):
        return v
    if _is_action_index(v, S, A) and A > 1:
        if np.any(v == a):
            raise _Skip
        return np.where(v > a, v - 1, v).astype(v.dtype)
    if v.ndim >= 2 and v.shape[0] == S and v.shape[1] == A:
        dist = _is_dist_rows(v) and v.ndim == 2
        out = np.delete(v, a, axis=1)
        if dist:
            tot = out.sum(axis=1)
            if any(t == 0 for t in tot):
                raise _Skip
            out = _obj(out) / _obj(tot)[:, None]
        return out
    return v


class _Skip(Exception):
    """A move the case's data cannot follow."""


# ------------------------------------------------------------------ moves
def _with(case, mdp, pi=..., data=None):
    return type(case)(mdp, case.pi if pi is ... else pi, case.theta, case.data if data is None else data)


def _state_deletions(case):
    """Candidate cases with one state removed: (description, case) pairs."""
    m = case.mdp
    S, A = m.n_states, m.n_actions
    if S == 1 or case.theta is not None:
        return
    P, r, rho = _obj(m.P_dense()), _obj(m.r), _obj(m.rho)
    for s in range(S):
        keep = [t for t in range(S) if t != s]
        for target in ["self", "renormalize"] + keep:
            Pn = P[np.ix_(keep, range(A), keep)].copy()
            moved = P[np.ix_(keep, range(A), [s])][..., 0]
            ok = True
            for i, src in enumerate(keep):
                for a in range(A):
                    mass = moved[i, a]
                    if mass == 0:
                        continue
                    if target == "self":
                        Pn[i, a, i] += mass
                    elif target == "renormalize":
                        tot = sum(Pn[i, a])
                        if tot == 0:
                            ok = False
                            break
                        Pn[i, a] = Pn[i, a] / tot
                    else:
                        Pn[i, a, keep.index(target)] += mass
                if not ok:
                    break
            if not ok:
                continue
            rn = rho[keep].copy()
            if isinstance(target, int):
                rn[keep.index(target)] += rho[s]
            else:
                tot = sum(rn)
                if tot == 0:
                    continue
                rn = rn / tot
            try:
                mdp = MDP(Pn, r[keep], m.gamma, rn)
                pi = None if case.pi is None else np.delete(_obj(case.pi), s, axis=0)
                data = {k: _drop_state_value(v, s, S, A) for k, v in case.data.items()}
            except (_Skip, MDPTheoryError):
                continue
            where = "a self loop" if target == "self" else (
                "the other successors (renormalised)" if target == "renormalize" else f"state {target}")
            yield f"delete state {s} of {S} (its incoming mass to {where})", _with(case, mdp, pi, data)


def _action_drops(case):
    m = case.mdp
    S, A = m.n_states, m.n_actions
    if A == 1 or case.theta is not None:
        return
    for a in range(A):
        keep = [b for b in range(A) if b != a]
        try:
            mdp = MDP(_obj(m.P_dense())[:, keep, :], _obj(m.r)[:, keep], m.gamma, m.rho)
            pi = None
            if case.pi is not None:
                pi = _drop_action_value(_obj(case.pi), a, S, A)
            data = {k: _drop_action_value(v, a, S, A) for k, v in case.data.items()}
        except (_Skip, MDPTheoryError):
            continue
        yield f"drop action {a}", _with(case, mdp, pi, data)


def _number_moves(case):
    m = case.mdp
    g = Fraction(m.gamma)
    for c in simpler_rationals(g, lo=Fraction(0), hi=Fraction(1)):
        if c < 1:
            mdp = _mk(m.P_dense(), m.r, c, m.rho)
            if mdp is not None:
                yield f"gamma {g} -> {c}", _with(case, mdp)
    r = _obj(m.r)
    for idx in np.ndindex(r.shape):
        x = Fraction(r[idx])
        for c in simpler_rationals(x, lo=min(x, Fraction(0)), hi=max(x, Fraction(1))):
            rn = r.copy()
            rn[idx] = c
            mdp = _mk(m.P_dense(), rn, m.gamma, m.rho)
            if mdp is not None:
                yield f"r{list(idx)} {x} -> {c}", _with(case, mdp)
    P = _obj(m.P_dense())
    for s, a in np.ndindex(P.shape[:2]):
        supp = [t for t in range(P.shape[2]) if P[s, a, t] != 0]
        if len(supp) < 2:
            continue
        for row, what in _row_candidates(P[s, a], supp):
            Pn = P.copy()
            Pn[s, a] = row
            mdp = _mk(Pn, m.r, m.gamma, m.rho)
            if mdp is not None:
                yield f"P[{s}, {a}] -> {what}", _with(case, mdp)
    if case.pi is not None and _is_dist_rows(_obj(case.pi)):
        pi = _obj(case.pi)
        for s in range(pi.shape[0]):
            supp = [b for b in range(pi.shape[1]) if pi[s, b] != 0]
            if len(supp) < 2:
                continue
            for row, what in _row_candidates(pi[s], supp):
                pn = pi.copy()
                pn[s] = row
                yield f"pi[{s}] -> {what}", _with(case, m, pn)


def _mk(P, r, gamma, rho):
    try:
        return MDP(_obj(P), _obj(r), gamma, _obj(rho))
    except MDPTheoryError:
        return None


def _row_candidates(row, supp):
    n = len(row)
    for t in supp:
        e = np.array([Fraction(int(i == t)) for i in range(n)], dtype=object)
        yield e, f"point mass on {t}"
    u = np.array([Fraction(1, len(supp)) if i in supp else Fraction(0) for i in range(n)], dtype=object)
    if any(u[i] != row[i] for i in range(n)):
        yield u, f"uniform on {supp}"


# ------------------------------------------------------------------ driver
def minimize_case(property: Callable, case, *, max_calls: int = 3000, violates: Callable | None = None,
                  numbers: bool = True) -> MinimizeResult:
    r"""Minimise a counterexample structurally (see the module docstring).

    Parameters
    ----------
    property : callable
        ``property(case) -> bool | CheckReport``; the case is a counterexample
        when ``violates(property(case))``.
    case : Case
        An **exact** witness that violates the property.
    max_calls : int, keyword-only
        Budget of property evaluations (the moves stop when it is spent; the
        result is then marked state-minimal only if its last full deletion
        pass failed).
    violates : callable, optional, keyword-only
        Default :func:`mdptheory.counterexamples.is_violation`.
    numbers : bool, keyword-only
        Also simplify :math:`\gamma`, rewards, transition and policy rows.

    Returns
    -------
    MinimizeResult

    Raises
    ------
    InvalidParameterError
        If the case is not exact or does not violate the property.
    """
    from .evidence import is_violation

    if violates is None:
        violates = is_violation
    if isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 1:
        raise InvalidParameterError(f"max_calls must be a positive integer; got {format_value(max_calls)}")
    if not getattr(case, "exact", False):
        raise InvalidParameterError("minimize_case needs an exact witness (Case with an exact MDP)")
    t0 = time.perf_counter()
    calls = {"n": 0}

    def bad(c):
        calls["n"] += 1
        try:
            return bool(violates(property(c)))
        except (MDPTheoryError, ArithmeticError, ValueError, IndexError, KeyError):
            return False

    if not bad(case):
        raise InvalidParameterError("minimize_case: the case does not violate the property")
    before = (case.n_states, case.n_actions)
    steps: list = []
    cur = case
    state_minimal = False
    while calls["n"] < max_calls:
        changed = False
        deletion_failed = True
        for label, cand in _state_deletions(cur):
            if calls["n"] >= max_calls:
                deletion_failed = False
                break
            if bad(cand):
                cur, changed, deletion_failed = cand, True, False
                steps.append(label)
                break
        state_minimal = deletion_failed and not changed
        if changed:
            continue
        for label, cand in _action_drops(cur):
            if calls["n"] >= max_calls:
                break
            if bad(cand):
                cur, changed = cand, True
                steps.append(label)
                break
        if changed:
            continue
        if numbers:
            for label, cand in _number_moves(cur):
                if calls["n"] >= max_calls:
                    break
                if bad(cand):
                    cur, changed = cand, True
                    steps.append(label)
                    break
        if not changed:
            break
    return MinimizeResult(case=cur, steps=steps, state_minimal=state_minimal, size_before=before,
                          size_after=(cur.n_states, cur.n_actions), n_calls=calls["n"],
                          seconds=time.perf_counter() - t0)


def is_state_minimal(property: Callable, case, *, violates: Callable | None = None) -> bool:
    """True when no single state deletion (any redirection) keeps ``case`` a counterexample."""
    from .evidence import is_violation

    violates = violates or is_violation
    for _, cand in _state_deletions(case):
        try:
            if violates(property(cand)):
                return False
        except (MDPTheoryError, ArithmeticError, ValueError, IndexError, KeyError):
            continue
    return True
