r"""How reports look: HTML (Jupyter), Markdown and one-line summaries.

Figures are rounded to three significant digits (exact rationals with short
numerators and denominators are shown as they are), the statement is shown in
LaTeX — the first display formula of its checker's docstring, or the
statement's own text when it is written in LaTeX — the float tolerance with its
rule, and the witness on demand (an HTML ``<details>`` element).
"""

from __future__ import annotations

import html
import json
import math
import re
from fractions import Fraction

__all__ = ["fmt", "statement_latex", "report_html", "report_markdown", "report_repr", "rows_html",
           "rows_markdown", "VERDICT_COLOURS"]

#: Background colours of the verdict cells.
VERDICT_COLOURS = {"VERIFIED": "#d9f2d9", "FALSIFIED": "#f8d0d0", "UNDECIDED": "#fbeecb", "ERROR": "#f8d0d0"}


def fmt(x, digits: int = 3) -> str:
    """A number for a table: 3 significant digits, short exact rationals as they are, ``""`` for None."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, Fraction):
        if max(abs(x.numerator), x.denominator).bit_length() > 1000:
            try:
                return f"{float(x):.{digits}g}"
            except OverflowError:
                return "±huge" if x else "0"
        if x.denominator == 1 and abs(x.numerator) < 10**6:
            return str(x.numerator)
        if abs(x.numerator) < 10**4 and x.denominator < 10**4:
            return f"{x.numerator}/{x.denominator}"
        return f"{float(x):.{digits}g}"
    if isinstance(x, int):
        return str(x) if abs(x) < 10**6 else f"{x:.{digits}g}"
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if type(x).__module__.startswith("sympy") and not isinstance(x, float):
        s = str(x)
        return s if len(s) <= 24 else f"{f:.{digits}g}"
    return f"{f:.{digits}g}"


_MATH = re.compile(r"^(\s*)\.\. math::\s*$")


def _first_math_block(doc: str) -> str | None:
    lines = (doc or "").split("\n")
    for i, line in enumerate(lines):
        m = _MATH.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        eqs, cur = [], []
        for nxt in lines[i + 1:]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            if nxt.strip():
                cur.append(nxt.strip())
            elif cur:
                eqs.append(" ".join(cur))
                cur = []
        if cur:
            eqs.append(" ".join(cur))
        # equations separated by a blank line in the docstring: one line, spaced apart
        return ", \\qquad ".join(e.rstrip(",. ") for e in eqs) or None
    return None


_LATEX_CACHE: dict = {}


def statement_latex(statement_id: str, text: str = "") -> str | None:
    r"""The statement in LaTeX: its checker's first display formula, or ``text`` if it is LaTeX (has a ``\``)."""
    key = (statement_id, text)
    if key in _LATEX_CACHE:
        return _LATEX_CACHE[key]
    out = None
    try:
        from .registry import _REGISTRY

        st = _REGISTRY.get(statement_id)
        if st is not None:
            out = _first_math_block(getattr(st.check, "__doc__", "") or "")
    except Exception:  # rendering must never fail because of the registry
        out = None
    if out is None and "\\" in (text or ""):
        out = text.strip().strip("$")
    _LATEX_CACHE[key] = out
    return out


def _statement_cell_html(statement_id, text):
    latex = statement_latex(statement_id, text)
    if latex:
        return f"$${html.escape(latex)}$$"
    return html.escape(text or "")


def _witness_data(item):
    """The witness of a report as JSON-ready data (its own ``to_dict``), or a plain dict as it is."""
    try:
        if hasattr(item, "witness_dict"):
            return item.witness_dict()
        if hasattr(item, "to_dict"):
            return item.to_dict().get("witness")
    except (ValueError, TypeError, OverflowError) as exc:  # rendering never fails on a witness
        return {"unavailable": f"{type(exc).__name__}: {exc}"}
    return item


def _compact(v) -> str:
    return json.dumps(v, separators=(", ", ": "))


def _witness_json(witness) -> str:
    """JSON, one line per entry (and per field of a nested record such as the MDP), arrays on one line."""
    try:
        if isinstance(witness, dict):
            lines = []
            for k, v in witness.items():
                if isinstance(v, dict):
                    lines.append(f"{_compact(k)}: {{")
                    lines += [f"  {_compact(k2)}: {_compact(v2)}," for k2, v2 in v.items()]
                    lines.append("},")
                else:
                    lines.append(f"{_compact(k)}: {_compact(v)},")
            s = "\n".join(lines)
        else:
            s = _compact(witness)
    except (TypeError, ValueError):
        s = repr(witness)
    return s if len(s) <= 20000 else s[:20000] + "\n… (truncated; CheckReport.to_json() has all of it)"


def _verdict_html(v):
    return f'<td style="background:{VERDICT_COLOURS.get(v, "#eee")};font-weight:bold">{html.escape(v)}</td>'


def report_html(rep) -> str:
    """One report as an HTML table: statement (LaTeX), parts with rounded figures, tolerance rule, witness."""
    title = f"[{rep.statement}] {rep.name} ({rep.mode}" + (f", broken variant {rep.variant}" if rep.variant else "") + ")"
    rows = []
    for p in rep.parts:
        val = p.get("residual", p.get("slack"))
        what = "residual" if p["kind"] == "identity" else ("slack" if p["kind"] == "inequality" else "")
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in (
            p["part"], p["kind"], (f"{what} {fmt(val)}" if what and val is not None else ""), fmt(p.get("tolerance")),
        )) + _verdict_html(p["verdict"]) + f"<td>{html.escape(str(p.get('reason', '')))}</td></tr>")
    tol = ""
    if rep.tolerance is not None or rep.tolerance_rule:
        tol = (f'<tr><td colspan="6">tolerance {fmt(rep.tolerance)}'
               f'{": " + html.escape(rep.tolerance_rule) if rep.tolerance_rule else ""}</td></tr>')
    elif rep.mode in ("exact", "symbolic"):
        tol = f'<tr><td colspan="6">{rep.mode} mode: no tolerance</td></tr>'
    witness = (f"<details><summary>witness</summary><pre>{html.escape(_witness_json(_witness_data(rep)))}</pre>"
               "</details>" if rep.witness else "")
    return (
        '<div class="mdptheory-report"><table>'
        f'<tr><th colspan="5" style="text-align:left">{html.escape(title)}</th>{_verdict_html(rep.verdict)}</tr>'
        f'<tr><td colspan="6" style="text-align:left">{_statement_cell_html(rep.statement, rep.text)}</td></tr>'
        f'<tr><td colspan="6" style="text-align:left">source: {html.escape(rep.source)}</td></tr>'
        "<tr><th>part</th><th>kind</th><th>residual / slack</th><th>tolerance</th><th>verdict</th><th>why</th></tr>"
        + "".join(rows) + tol + f"</table>{witness}</div>")


def _md_cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def report_markdown(rep) -> str:
    """One report in Markdown (no empty ``None`` cells; exact figures exact, floats to 3 digits)."""
    latex = statement_latex(rep.statement, rep.text)
    head = f"**[{rep.statement}] {rep.name}** ({rep.mode}" + (f", broken variant `{rep.variant}`" if rep.variant
                                                              else "") + f"): **{rep.verdict}**"
    body = f"$${latex}$$" if latex else rep.text
    lines = [head, "", body, "", f"source: {rep.source}", "",
             "| part | kind | residual / slack | tolerance | verdict |", "|---|---|---|---|---|"]
    for p in rep.parts:
        val = p.get("residual", p.get("slack"))
        tol = fmt(p.get("tolerance")) or ("exact" if rep.mode in ("exact", "symbolic") else "—")
        lines.append(f"| {_md_cell(p['part'])} | {p['kind']} | {fmt(val) or '—'} | {tol} | {p['verdict']} |")
    if rep.tolerance_rule:
        lines += ["", f"tolerance rule: `{rep.tolerance_rule}`"]
    return "\n".join(lines) + "\n"


def report_repr(rep) -> str:
    """One line: id, checker, mode, variant, verdict and the worst figure."""
    fig = ""
    if rep.residual is not None:
        fig = f", residual {fmt(rep.residual)}"
    if rep.slack is not None:
        fig += f", slack {fmt(rep.slack)}"
    if rep.tolerance is not None:
        fig += f", tol {fmt(rep.tolerance)}"
    var = f" [{rep.variant}]" if rep.variant else ""
    return f"<CheckReport {rep.statement} {rep.name}{var} ({rep.mode}): {rep.verdict}; {len(rep.parts)} parts{fig}>"


# ----------------------------------------------------------------- collections
def _row(item):
    """A uniform view of a CheckReport (one case) or a StatementResult (a suite aggregate)."""
    if hasattr(item, "parts"):  # CheckReport
        return {"id": item.statement, "name": item.name, "text": item.text, "source": item.source,
                "mode": item.mode, "variant": item.variant, "cases": 1, "verdict": item.verdict,
                "ratio": item.ratio("identity") if item.mode == "float" else None,
                "slack": item.ratio("inequality") if item.mode == "float" else None,
                "residual": item.residual, "worst_slack": item.slack,
                "rule": item.tolerance_rule, "witness": _witness_data(item) if item.witness else None,
                "counts": None}
    witness = None
    for n in getattr(item, "notable", []):
        witness = _witness_data(n)
        break
    return {"id": item.id, "name": item.name, "text": item.text, "source": item.source, "mode": item.mode,
            "variant": item.variant, "cases": item.cases, "verdict": item.verdict, "ratio": item.worst_ratio,
            "slack": item.min_slack_ratio, "residual": item.worst_residual, "worst_slack": item.worst_slack,
            "rule": "", "witness": witness, "counts": {k: v for k, v in item.counts.items() if v}}


def _figures(r) -> tuple:
    if r["mode"] == "float":
        return fmt(r["ratio"]), fmt(r["slack"])
    if r["mode"] == "ball":
        return "certified", ""
    # exact and symbolic comparisons have no tolerance: the verdict is the exact sign
    return ("exact" if r["residual"] is not None else ""), ("exact" if r["worst_slack"] is not None else "")


def rows_html(items, *, title: str = "") -> str:
    """A collection as one HTML table (statement in LaTeX, figures rounded, witness of a failure on demand)."""
    from .registry import CHAPTERS

    rows = [_row(i) for i in items]
    counts = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    out = ['<div class="mdptheory-reports"><table>']
    if title or rows:
        out.append(f'<caption style="text-align:left">{html.escape(title)}{" — " if title else ""}'
                   f'{len(rows)} checks: {html.escape(summary)}</caption>')
    out.append("<tr><th>id</th><th>statement</th><th>mode</th><th>cases</th><th>worst residual / tol</th>"
               "<th>min slack / tol</th><th>verdict</th><th>witness</th></tr>")
    current = None
    for r in rows:
        ch = r["id"][0]
        if ch != current:
            current = ch
            out.append(f'<tr><th colspan="8" style="text-align:left">{html.escape(ch)}. '
                       f'{html.escape(CHAPTERS.get(ch, "Other statements"))}</th></tr>')
        name = html.escape(r["name"]) + (f" <i>[{html.escape(r['variant'])}]</i>" if r["variant"] else "")
        ratio, slack = _figures(r)
        stmt = (f"<b>{name}</b><br>{_statement_cell_html(r['id'], r['text'])}"
                f"<br><small>{html.escape(r['source'])}"
                f"{'; tolerance ' + html.escape(r['rule']) if r['rule'] else ''}</small>")
        wit = ""
        if r["witness"] and (r["verdict"] != "VERIFIED" or r["cases"] == 1):
            wit = f"<details><summary>show</summary><pre>{html.escape(_witness_json(r['witness']))}</pre></details>"
        out.append(f"<tr><td>{html.escape(r['id'])}</td><td style=\"text-align:left\">{stmt}</td>"
                   f"<td>{html.escape(r['mode'])}</td><td>{r['cases']}</td><td>{ratio}</td><td>{slack}</td>"
                   f"{_verdict_html(r['verdict'])}<td>{wit}</td></tr>")
    out.append("</table>")
    out.append('<small>float: worst residual and smallest slack in units of the tolerance '
               '64·eps·S·κ^k·m, κ = (1+γ)/(1−γ) (VERIFIED: residual ≤ 1 tol and slack ≥ 1 tol; '
               'FALSIFIED: residual > 10 tol or slack ≤ −1 tol); exact and symbolic: no tolerance.</small></div>')
    return "".join(out)


def rows_markdown(items, *, title: str = "") -> str:
    """A collection as one Markdown table (no empty ``None`` cells)."""
    rows = [_row(i) for i in items]
    out = []
    if title:
        out += [f"**{title}**", ""]
    out += ["| id | statement | source | mode | cases | worst residual/tol | min slack/tol | verdict |",
            "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        latex = statement_latex(r["id"], r["text"])
        name = f"`{r['name']}`" + (f" [`{r['variant']}`]" if r["variant"] else "")
        stmt = f"{name}: ${_md_cell(latex)}$" if latex else f"{name}: {_md_cell(r['text'])}"
        ratio, slack = _figures(r)
        out.append(f"| {r['id']} | {stmt} | {_md_cell(r['source'])} | {r['mode']} | {r['cases']} | "
                   f"{ratio or '—'} | {slack or '—'} | **{r['verdict']}** |")
    return "\n".join(out) + "\n"
