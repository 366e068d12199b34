"""A collection of check reports: one table, one verdict count, one place to ask "was anything falsified?".

:class:`ReportCollection` gathers :class:`~mdptheory.lemmas.CheckReport` objects
(one case each) and suite aggregates
(:class:`~mdptheory.lemmas.framework.runner.StatementResult`); the suite's
result (:class:`~mdptheory.lemmas.framework.runner.SuiteResult`, returned by
:func:`~mdptheory.lemmas.run_suite`) is one.  In Jupyter it renders as one HTML
table — the statement in LaTeX, figures to three significant digits, the
tolerance rule, the witness of a failure on demand.

>>> from mdptheory.families import forest
>>> from mdptheory.policies import uniform_policy
>>> from mdptheory import lemmas
>>> m = forest(3, exact=True)
>>> reports = lemmas.ReportCollection()
>>> _ = reports.add(lemmas.bellman_equations(m, uniform_policy(m)))
>>> _ = reports.add(lemmas.visitation_identities(m, uniform_policy(m)))
>>> print(reports.summary())
2 checks: VERIFIED 2
>>> reports.raise_if_falsified()
"""

from __future__ import annotations

from .report import FALSIFIED

__all__ = ["ReportCollection", "FalsifiedError"]

_ERROR = "ERROR"


class FalsifiedError(AssertionError):
    """Raised by :meth:`ReportCollection.raise_if_falsified` when a statement was FALSIFIED (or raised)."""


class ReportCollection:
    """Check reports and suite results, shown together.

    Parameters
    ----------
    reports : iterable, optional
        :class:`~mdptheory.lemmas.CheckReport` or ``StatementResult`` objects.
    title : str, optional
        Caption of the table.
    """

    #: Caption of the table.
    title = ""

    def __init__(self, reports=(), *, title: str = ""):
        self.results = []
        self.title = title
        for r in reports:
            self.add(r)

    # -- building
    def add(self, report):
        """Add a report (or a suite result) and return it, so a cell can end with ``reports.add(checker(...))``."""
        if not (hasattr(report, "verdict") and (hasattr(report, "parts") or hasattr(report, "counts"))):
            from ...exceptions import InvalidParameterError

            raise InvalidParameterError(f"report must be a CheckReport or a StatementResult; got "
                                        f"{type(report).__name__}")
        self.results.append(report)
        return report

    def extend(self, reports):
        """Add several reports (or every result of another collection)."""
        for r in getattr(reports, "results", reports):
            self.add(r)
        return self

    def latest(self) -> "ReportCollection":
        """The entries added since the previous call (all of them the first time), as a new collection.

        A notebook cell that runs several checkers ends with ``reports.latest()``
        to show its own checks as one table.
        """
        start = getattr(self, "_mark", 0)
        self._mark = len(self.results)
        return ReportCollection(self.results[start:])

    # -- reading
    def __len__(self):
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def __getitem__(self, k):
        return self.results[k]

    def counts(self) -> dict:
        """Number of entries per verdict."""
        out = {}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out

    @property
    def falsified(self) -> list:
        """The entries whose verdict is FALSIFIED (or ERROR: a checker that raised)."""
        return [r for r in self.results if r.verdict in (FALSIFIED, _ERROR)]

    def summary(self) -> str:
        """``"12 checks: UNDECIDED 1, VERIFIED 11"``."""
        c = self.counts()
        return f"{len(self.results)} checks: " + (", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none")

    def raise_if_falsified(self) -> None:
        """Raise :class:`FalsifiedError` naming every FALSIFIED (or failed) entry."""
        bad = self.falsified
        if bad:
            names = ", ".join(f"{getattr(r, 'statement', getattr(r, 'id', '?'))} {r.name} ({r.mode})" for r in bad)
            raise FalsifiedError(f"{len(bad)} of {len(self.results)} checks FALSIFIED or failed: {names}")

    # -- showing
    def _repr_html_(self):  # Jupyter
        from .rendering import rows_html

        return rows_html(self.results, title=self.title)

    def _repr_markdown_(self):
        from .rendering import rows_markdown

        return rows_markdown(self.results, title=self.title)

    def to_markdown(self) -> str:
        """The collection as a Markdown table."""
        return self._repr_markdown_()

    def to_html(self) -> str:
        """The collection as an HTML table."""
        return self._repr_html_()

    def __repr__(self):
        return f"<{type(self).__name__}: {self.summary()}>"
