"""Reports worth reading: HTML and Markdown tables, concise reprs, ReportCollection, wrapped CLI names."""

import re
from fractions import Fraction

import pytest

from mdptheory import lemmas
from mdptheory.families import forest
from mdptheory.lemmas import CheckReport, ReportCollection, run_suite
from mdptheory.lemmas.framework.collection import FalsifiedError
from mdptheory.lemmas.framework.rendering import fmt
from mdptheory.policies import uniform_policy


@pytest.fixture(scope="module")
def reports():
    m = forest(3, exact=True)
    pi = uniform_policy(m)
    exact = lemmas.bellman_equations(m, pi)
    flt = lemmas.bellman_equations(m.to_float(), uniform_policy(m.to_float()))
    broken = lemmas.visitation_identities(m, pi, variant="mu_for_d")
    return exact, flt, broken


def test_numbers_are_rounded_to_three_digits():
    assert fmt(0.1234567) == "0.123" and fmt(1234567.0) == "1.23e+06" and fmt(None) == ""
    assert fmt(Fraction(3, 7)) == "3/7" and fmt(Fraction(10**9 + 7, 10**9)) == "1"
    assert fmt(float("inf")) == "inf" and fmt(0) == "0"


def test_huge_exact_numbers_render():
    rep = CheckReport("Z1", "z", "t", "s", "exact", witness={"x": 1})
    huge = Fraction(3 ** 20000, 2 ** 31700 + 1)   # about 0.59, with 9500-digit terms
    rep.inequality("huge", huge, huge + 1)
    rep.details = {"big": huge}               # too long for str(int): only the witness is rendered
    assert "huge" in rep._repr_html_() and "Z1" in ReportCollection([rep])._repr_markdown_()
    assert "Z1" in ReportCollection([rep])._repr_html_()
    assert fmt(huge) == f"{float(huge):.3g}"


def test_repr_is_one_line(reports):
    for rep in reports:
        r = repr(rep)
        assert "\n" not in r and len(r) < 200 and rep.statement in r and rep.verdict in r


def test_html_has_latex_rounded_figures_rule_and_witness(reports):
    exact, flt, _ = reports
    h = flt._repr_html_()
    assert "$$" in h and "\\gamma" in h                        # the statement in LaTeX
    assert "<details>" in h and "witness" in h                  # the witness on demand
    assert "kappa" in h                                          # the tolerance rule
    figures = re.findall(r"residual ([0-9.e+-]+)", h)
    assert figures and all(len(f.split("e")[0].replace("-", "").replace(".", "")) <= 3 for f in figures), figures
    assert "no tolerance" in exact._repr_html_()


def test_markdown_has_no_none_cells(reports):
    for rep in reports:
        md = rep._repr_markdown_()
        assert "None" not in md and "$$" in md
        assert not re.search(r"\d\.\d{5,}", md), md                # no 16-digit floats


def test_collection_renders_one_table_and_counts(reports):
    exact, flt, broken = reports
    c = ReportCollection([exact, flt])
    assert c.summary() == "2 checks: VERIFIED 2" and len(c) == 2
    c.raise_if_falsified()
    assert c.add(broken) is broken
    with pytest.raises(FalsifiedError, match="A2 visitation_identities"):
        c.raise_if_falsified()
    h = c._repr_html_()
    assert h.count("<table>") == 1 and "FALSIFIED" in h and "<details>" in h
    md = c._repr_markdown_()
    assert "None" not in md and md.count("\n| A") == 3
    assert "\n" not in repr(c)
    with pytest.raises(ValueError, match="CheckReport"):
        c.add("not a report")


def test_run_suite_returns_a_collection():
    suite = run_suite(["A1"], n=2)
    assert isinstance(suite, ReportCollection)
    assert "<table>" in suite._repr_html_() and suite.summary().startswith("2 checks")
    assert "\n" not in repr(suite) and "\n" not in repr(suite.results[0])
    both = ReportCollection().extend(suite)
    assert len(both) == 2


def test_cli_table_wraps_long_names_instead_of_cutting():
    suite = run_suite(["A2"], n=1, broken=True, modes=["exact"])
    text = suite.table()
    assert "visitation_identities [drop_one_minus_gamma]" in text
    assert "visitation_identities [mu_for_d]" in text
    from mdptheory.lemmas.framework.runner import StatementResult, SuiteResult

    long = StatementResult("Z1", "a_checker_name_long_enough_to_need_more_than_one_line", "exact", "t", "s",
                           variant="a_broken_variant_with_a_long_name")
    table = SuiteResult([long], 0, 1).table()
    lines = table.splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("Z1"))
    width = lines[k - 1].index("mode") - 7
    fragments = [lines[k][6:6 + width]] + [line.strip() for line in lines[k + 1:] if line.startswith("      ")]
    full = "a_checker_name_long_enough_to_need_more_than_one_line [a_broken_variant_with_a_long_name]"
    assert "".join(fragments).replace(" ", "") == full.replace(" ", ""), fragments
    assert all(len(f) <= width for f in fragments)
