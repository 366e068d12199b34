"""docs/statements.md is generated from the registry and stays fresh.

Regenerate with ``python -m proofs_check docs`` after changing a statement, its
checker's docstring or a derivation fragment (``mdptheory/lemmas/derivations/``).
"""

import re
import subprocess
import sys
from pathlib import Path

from mdptheory.lemmas import statements
from mdptheory.lemmas.framework.docs import data_flow, derivations, docstring_markdown, statements_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "statements.md"


def test_statements_doc_is_fresh():
    assert DOC.exists(), "docs/statements.md is missing: run python -m proofs_check docs"
    assert DOC.read_text(encoding="utf-8") == statements_markdown(), \
        "docs/statements.md is stale: run python -m proofs_check docs"


def test_every_statement_has_an_entry_with_source_modes_and_variants():
    text = DOC.read_text(encoding="utf-8")
    for st in statements():
        m = re.search(rf"^### {re.escape(st.id)}\n(.*?)(?=^### |\Z)", text, re.S | re.M)
        assert m, st.id
        entry = m.group(1)
        assert f"`mdptheory.lemmas.{st.name}`" in entry and st.source in entry, st.id
        assert "modes: " + ", ".join(st.modes) in entry, st.id
        for v in st.variants:
            assert f"`{v}`" in entry, (st.id, v)
        assert "$" in entry, f"{st.id}: no LaTeX"


def test_derived_constants_have_their_derivation():
    frags = derivations()
    ids = {st.id for st in statements()}
    assert set(frags) <= ids
    text = DOC.read_text(encoding="utf-8")
    for sid in ("D7", "H2", "H3", "I4"):
        assert len(frags.get(sid, "")) > 400, sid
        entry = re.search(rf"^### {sid}\n(.*?)(?=^### |\Z)", text, re.S | re.M).group(1)
        assert "**Derivation.**" in entry, sid


def test_docstring_conversion():
    doc = '''Summary line.

    .. math::

        a = b

        c = d

    Uses :math:`x^2` and :func:`~mdptheory.evaluate` with ``mode``.

    Returns
    -------
    CheckReport
    '''
    md = docstring_markdown(doc)
    assert md.count("$$") == 4 and "$x^2$" in md and "`evaluate`" in md and "`mode`" in md
    assert "Returns" not in md and "CheckReport" not in md


def test_data_flow_prefers_the_left_right_line():
    class Fake:
        def check():
            """Title.

            Independent routes: something.

            left: V by the forward solve; right: d by the transposed solve; shared: MDP, theta.
            """

    assert data_flow(Fake).startswith("left: V by the forward solve")

    class Two:
        def check():
            """Title.

            Data flow (identity) — left: the forward solve; right: the transposed solve; shared: MDP.

            Data flow (bound) — left: the run; right: the bound; shared: MDP.

            Routes: not this one.
            """

    flow = data_flow(Two)
    assert flow.count("Data flow") == 2 and "Routes" not in flow

    class Inside:
        def check():
            """Title.

            The run is exact.  Data flow — item 3: left, the closed form; right, the gradient;
            shared: MDP, theta.  Degenerate case: none.
            """

    assert data_flow(Inside) == "Data flow — item 3: left, the closed form; right, the gradient; shared: MDP, theta."
    from mdptheory.lemmas.framework.docs import _statement_body

    Inside.check.__module__ = "x"
    assert _statement_body(type("S", (), {"check": Inside.check})) == "The run is exact. Degenerate case: none."


def test_docs_command_check_mode(tmp_path):
    out = tmp_path / "s.md"
    run = [sys.executable, "-m", "proofs_check", "docs", "--output", str(out)]
    assert subprocess.run(run + ["--check"], cwd=ROOT, capture_output=True).returncode == 1
    assert subprocess.run(run, cwd=ROOT, capture_output=True).returncode == 0
    assert out.read_text(encoding="utf-8") == statements_markdown()
    assert subprocess.run(run + ["--check"], cwd=ROOT, capture_output=True).returncode == 0
