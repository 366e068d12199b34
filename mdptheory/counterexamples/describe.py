r"""Counterexamples for a reader: the witness MDP written out, drawn, and pasteable.

:func:`describe` prints a :class:`~mdptheory.counterexamples.Counterexample` as a
theorist would write it: the transitions as ``s —a (p, r)→ s′`` (from state
``s`` action ``a`` leads to ``s′`` with probability ``p`` and pays ``r``),
:math:`\rho`, :math:`\gamma`, the policies involved, their values
:math:`V^\pi` and visitations :math:`d_\rho^\pi` (recomputed from the
witness, exact when it is), the optimum, and the violated claim with both sides
in exact form.  :func:`draw` draws the MDP as a graph (matplotlib; networkx for
the layout when installed).  :func:`counterexample_repr` is a ``repr`` that
can be pasted back into Python for small witnesses (``MDP.exact(P=..., r=...,
gamma="9/10", rho=...)``), and :func:`format_json` indents saved witnesses
with innermost lists on one line.
"""

from __future__ import annotations

import json
import numpy as np

from ..exceptions import InvalidParameterError
from ..fields import is_exact_scalar, to_fraction

__all__ = ["describe", "draw", "counterexample_repr", "mdp_repr", "format_json", "format_number",
           "transitions_text", "MAX_REPR_ENTRIES"]

#: Witnesses with at most this many entries of ``P`` get a pasteable ``repr``.
MAX_REPR_ENTRIES = 128


# ------------------------------------------------------------------ numbers
def format_number(x, *, digits: int = 6) -> str:
    """``p/q`` for exact numbers, ``%.{digits}g`` for floats, ``repr`` otherwise."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if is_exact_scalar(x):
        return str(to_fraction(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.{digits}g}"
    return str(x)


def _vec(v) -> str:
    a = np.asarray(v, dtype=object)
    if a.ndim == 0:
        return format_number(a[()])
    if a.ndim == 1:
        return "(" + ", ".join(format_number(x) for x in a) + ")"
    return "[" + "; ".join(_vec(row) for row in a) + "]"


# ------------------------------------------------------------------ JSON
def format_json(data, *, indent: int = 2) -> str:
    """JSON text indented by ``indent``, with lists of scalars (innermost rows) kept on one line."""
    if isinstance(indent, bool) or not isinstance(indent, int) or indent < 0:
        raise InvalidParameterError(f"indent must be a non-negative integer; got {indent!r}")

    def leaf(x):
        return not isinstance(x, (list, dict))

    def fmt(x, level):
        pad, pad1 = " " * (indent * level), " " * (indent * (level + 1))
        if isinstance(x, dict):
            if not x:
                return "{}"
            items = [f"{pad1}{json.dumps(str(k))}: {fmt(v, level + 1)}" for k, v in x.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(x, list):
            if all(leaf(v) for v in x):
                return json.dumps(x, allow_nan=False)
            return "[\n" + ",\n".join(pad1 + fmt(v, level + 1) for v in x) + "\n" + pad + "]"
        return json.dumps(x, allow_nan=False)

    return fmt(data, 0) + "\n"


# ------------------------------------------------------------------ text
def transitions_text(mdp, *, indent: str = "  ") -> list:
    """One line ``s —a (p, r)→ s′`` per positive transition probability."""
    P, r = mdp.P_dense(), mdp.r
    lines = []
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            for t in range(mdp.n_states):
                p = P[s, a, t]
                if p != 0:
                    lines.append(f"{indent}{s} —{a} ({format_number(p)}, {format_number(r[s, a])})→ {t}")
    return lines


def _policy_text(pi, indent="  "):
    pi = np.asarray(pi, dtype=object)
    out = []
    for s in range(pi.shape[0]):
        row = pi[s]
        nz = [a for a in range(row.size) if row[a] != 0]
        if len(nz) == 1 and row[nz[0]] == 1:
            out.append(f"{indent}state {s}: action {nz[0]}")
        else:
            out.append(f"{indent}state {s}: " + ", ".join(f"a{a}: {format_number(row[a])}" for a in range(row.size)))
    return out


def _policies(ce):
    """The policies involved: case.pi, policy-shaped arrays of case.data, and those in the evidence's witness."""
    S, A = ce.n_states, ce.n_actions
    found = []
    if ce.pi is not None:
        found.append(("pi", ce.pi))
    cands = list(ce.data.items())
    wit = getattr(ce.evidence, "witness", None)
    if isinstance(wit, dict):
        cands += [(k, v) for k, v in wit.items() if k.startswith("pi")]
    for k, v in cands:
        if isinstance(v, np.ndarray) and v.shape == (S, A) and not (k == "pi" and ce.pi is not None):
            try:
                rows = np.asarray(v, dtype=object).sum(axis=1)
                if all(abs(float(x) - 1) < 1e-9 for x in rows) and all(float(x) >= 0 for x in v.reshape(-1)):
                    found.append((k, v))
            except (TypeError, ValueError):
                continue
    return found


def describe(ce, *, values: bool = True, optimum: bool = True, evidence: bool = True) -> str:
    r"""The witness of ``ce`` as text (see the module docstring).

    Parameters
    ----------
    ce : Counterexample
    values : bool, keyword-only
        Recompute and show :math:`V^\pi` and :math:`d_\rho^\pi` for each policy involved.
    optimum : bool, keyword-only
        Show :math:`V^\star` and an optimal policy.
    evidence : bool, keyword-only
        Show the violated claim with both sides.
    """
    from ..evaluation import evaluate
    from ..optimal import solve

    if not ce.found or ce.case is None:
        return ce.summary()
    m = ce.mdp
    lines = [f"{ce.name or 'counterexample'}: {ce.summary()}"]
    lines.append(f"MDP: S = {m.n_states} states, A = {m.n_actions} actions, gamma = {format_number(m.gamma)}, "
                 f"rho = {_vec(m.rho)}")
    lines.append("transitions  s —a (p, r)→ s′:")
    lines += transitions_text(m)
    if ce.minimize_steps:
        lines.append("minimisation: " + "; ".join(ce.minimize_steps))
    extras = {k: v for k, v in ce.data.items()}
    if ce.theta is not None:
        extras["theta"] = ce.theta
    if extras:
        lines.append("data: " + ", ".join(f"{k} = {_data_text(v)}" for k, v in extras.items()))
    for name, pi in _policies(ce):
        lines.append(f"policy {name}:")
        lines += _policy_text(pi, "  ")
        if values:
            try:
                ev = evaluate(m, pi)
                lines.append(f"  V^{name} = {_vec(ev.V)},  d_rho^{name} = {_vec(ev.visitation())}")
            except Exception as exc:  # noqa: BLE001 - a description must not fail on one policy
                lines.append(f"  (not evaluated: {exc})")
    if optimum:
        try:
            sol = solve(m)
            lines.append(f"optimum: V* = {_vec(sol.V)}; pi* = "
                         + ", ".join(f"{s}→{int(np.argmax(np.asarray(sol.pi[s], dtype=float)))}"
                                     for s in range(m.n_states)))
        except Exception as exc:  # noqa: BLE001
            lines.append(f"optimum: not computed ({exc})")
    if evidence and ce.evidence is not None:
        lines += evidence_text(ce.evidence)
    return "\n".join(lines)


def _data_text(v):
    if type(v).__name__ == "LogRational":
        return "log(" + _vec(np.asarray(v.q, dtype=object)) + ")"
    if isinstance(v, np.ndarray) or is_exact_scalar(v) or isinstance(v, float):
        return _vec(v)
    return repr(v)


def evidence_text(rep) -> list:
    """Lines stating each part of a report with its verdict and both sides."""
    if not hasattr(rep, "parts"):
        return [f"evidence: {rep!r}"]
    lines = [f"evidence [{rep.statement}] ({rep.mode}): {rep.verdict} — {rep.text}"]
    wit = getattr(rep, "witness", None) or {}
    scalars = {k: v for k, v in wit.items()
               if np.ndim(v) == 0 and (is_exact_scalar(v) or isinstance(v, (float, np.floating)))}
    if scalars:
        lines.append("  values: " + ", ".join(f"{k} = {format_number(v)}" for k, v in scalars.items()))
    rel = {"inequality": "<=", "identity": "=="}
    for p in rep.parts:
        head = f"  {p['verdict']}: {p['part']}"
        if "lhs" in p and "rhs" in p:
            lhs, rhs = np.asarray(p["lhs"], dtype=object), np.asarray(p["rhs"], dtype=object)
            lines.append(head)
            lines.append(f"    lhs = {_vec(lhs)}")
            lines.append(f"    rhs = {_vec(rhs)}")
            if p["verdict"] == "FALSIFIED" and lhs.shape == rhs.shape and lhs.size > 1:
                bad = [i for i in range(lhs.size) if _violated(lhs.reshape(-1)[i], rhs.reshape(-1)[i], p["kind"])]
                if bad:
                    lines.append("    violated at " + ", ".join(
                        f"[{i}]: {format_number(lhs.reshape(-1)[i])} {_neg(rel[p['kind']])} "
                        f"{format_number(rhs.reshape(-1)[i])}" for i in bad))
            val = p.get("slack", p.get("residual"))
            lines.append(f"    {'slack' if 'slack' in p else 'residual'} {format_number(val)}"
                         + (f", tolerance {format_number(p['tolerance'])}" if p.get("tolerance") else ""))
        else:
            lines.append(f"{head} — {p.get('reason', '')}")
    return lines


def _violated(lv, rv, kind):
    try:
        return lv > rv if kind == "inequality" else lv != rv
    except TypeError:
        return False


def _neg(rel):
    return ">" if rel == "<=" else "!="


# ------------------------------------------------------------------ repr
def _qlist(a):
    a = np.asarray(a, dtype=object)
    if a.ndim == 0:
        return repr(str(to_fraction(a[()]))) if is_exact_scalar(a[()]) else repr(float(a[()]))
    return "[" + ", ".join(_qlist(x) for x in a) + "]"


def mdp_repr(mdp) -> str:
    """``MDP.exact(P=..., r=..., gamma=..., rho=...)`` (exact MDPs) or ``MDP(...)`` (float) source text."""
    if mdp.is_exact:
        return (f"MDP.exact(P={_qlist(mdp.P_dense())}, r={_qlist(mdp.r)}, gamma={_qlist(mdp.gamma)}, "
                f"rho={_qlist(mdp.rho)})")
    f = lambda a: repr(np.asarray(a, dtype=float).tolist())  # noqa: E731
    return f"MDP(P=np.array({f(mdp.P_dense())}), r=np.array({f(mdp.r)}), gamma={float(mdp.gamma)!r}, " \
           f"rho=np.array({f(mdp.rho)}))"


def _value_repr(v):
    if v is None or isinstance(v, (bool, str, int)):
        return repr(v)
    if type(v).__name__ == "LogRational":
        return f"LogRational([{', '.join(f'Fraction({str(x)!r})' for x in v.q)}])"
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "iu":
            return f"np.array({v.tolist()!r})"
        if v.dtype == object and all(is_exact_scalar(x) for x in v.reshape(-1)):
            return f"np.vectorize(Fraction, otypes=[object])(np.array({_qlist(v)}))"
        return f"np.array({np.asarray(v, dtype=float).tolist()!r})"
    if is_exact_scalar(v):
        return f"Fraction({str(to_fraction(v))!r})"
    return repr(v)


def counterexample_repr(ce) -> str:
    """Pasteable source text for a small witness; a one-line summary otherwise.

    The text needs ``from fractions import Fraction``, ``import numpy as np``,
    ``from mdptheory import MDP`` and ``from mdptheory.counterexamples import Case,
    Counterexample`` (and ``LogRational`` for log-parameters).
    """
    if not ce.found or ce.case is None or ce.mdp.P_dense().size > MAX_REPR_ENTRIES:
        return f"Counterexample({ce.summary()!r})" if ce.found else \
            f"Counterexample(found=False, n_examples={ce.n_examples}, budget={ce.budget}, seed={ce.seed})"
    c = ce.case
    parts = [f"mdp={mdp_repr(c.mdp)}"]
    if c.pi is not None:
        parts.append(f"pi={_value_repr(np.asarray(c.pi))}")
    if c.theta is not None:
        parts.append(f"theta={_value_repr(c.theta)}")
    if c.data:
        parts.append("data={" + ", ".join(f"{k!r}: {_value_repr(v)}" for k, v in c.data.items()) + "}")
    fields = ["found=True", f"case=Case({', '.join(parts)})", f"name={ce.name!r}", f"exact={ce.exact!r}",
              f"confirmation={ce.confirmation!r}", f"state_minimal={ce.state_minimal!r}",
              f"n_examples={ce.n_examples}", f"budget={ce.budget}", f"seed={ce.seed}"]
    return f"Counterexample({', '.join(fields)})"


# ------------------------------------------------------------------ drawing
def draw(ce_or_mdp, *, ax=None, policy=None, title: str | None = None):
    r"""Draw an MDP (or a counterexample's witness) as a directed graph.

    Nodes are states (labelled with :math:`\rho` when it is not uniform); an
    edge ``s → s′`` carries ``a: p, r`` for every action with positive
    probability; the edges of ``policy`` (default: the counterexample's
    ``pi``, if deterministic) are drawn thicker.  Self loops are drawn as
    small circles.  Uses networkx's spring layout when it is installed, a
    circle otherwise.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch

    mdp = getattr(ce_or_mdp, "mdp", ce_or_mdp)
    if mdp is None:
        raise InvalidParameterError("draw: the counterexample has no witness")
    if policy is None and getattr(ce_or_mdp, "pi", None) is not None:
        policy = ce_or_mdp.pi
    S, A = mdp.n_states, mdp.n_actions
    P, r = mdp.P_dense(), mdp.r
    pos = _layout(mdp)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 + 1.6 * S, 2.2 + 1.2 * S))
    uniform = all(x == mdp.rho[0] for x in mdp.rho)
    for s in range(S):
        x, y = pos[s]
        ax.add_patch(Circle((x, y), 0.12, fill=False, lw=1.5))
        label = f"{s}" if uniform else f"{s}\nρ={format_number(mdp.rho[s])}"
        ax.text(x, y, label, ha="center", va="center", fontsize=9)
    for s in range(S):
        for t in range(S):
            labels, bold = [], False
            for a in range(A):
                if P[s, a, t] != 0:
                    labels.append(f"{a}: {format_number(P[s, a, t])}, {format_number(r[s, a])}")
                    if policy is not None and float(np.asarray(policy, dtype=object)[s, a]) == 1.0:
                        bold = True
            if not labels:
                continue
            (x0, y0), (x1, y1) = pos[s], pos[t]
            lw = 2.5 if bold else 1.0
            if s == t:
                ax.add_patch(Circle((x0, y0 + 0.2), 0.08, fill=False, lw=lw))
                ax.text(x0, y0 + 0.32, "\n".join(labels), ha="center", va="bottom", fontsize=7)
                continue
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12, lw=lw,
                                         shrinkA=14, shrinkB=14, connectionstyle="arc3,rad=0.2"))
            mx, my = (x0 + x1) / 2 + 0.1 * (y1 - y0), (y0 + y1) / 2 - 0.1 * (x1 - x0)
            ax.text(mx, my, "\n".join(labels), ha="center", va="center", fontsize=7)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title if title is not None else
                 f"{getattr(ce_or_mdp, 'name', '') or 'MDP'} (γ = {format_number(mdp.gamma)}; edges a: p, r)",
                 fontsize=9)
    return ax


def _layout(mdp):
    S = mdp.n_states
    try:
        import networkx as nx
    except ImportError:
        nx = None
    if nx is not None and S > 2:
        g = nx.DiGraph()
        g.add_nodes_from(range(S))
        P = mdp.P_dense()
        g.add_edges_from((s, t) for s in range(S) for a in range(mdp.n_actions) for t in range(S)
                         if P[s, a, t] != 0 and s != t)
        return {k: tuple(v) for k, v in nx.spring_layout(g, seed=0).items()}
    if S == 1:
        return {0: (0.0, 0.0)}
    ang = np.linspace(0, 2 * np.pi, S, endpoint=False) + np.pi
    return {s: (float(np.cos(ang[s])), float(np.sin(ang[s]))) for s in range(S)}
