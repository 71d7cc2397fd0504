"""``tcpcheck.grade``: grade one submission against an assignment, as ``tcpcheck grade`` does.

It runs :func:`tcpcheck.model.grading.grade.grade_file` and wraps the
:class:`~tcpcheck.model.grading.results.GradeResult` in a :class:`Grade`
whose table of tests displays in Jupyter.  A small lab (its rows, and its
behaviour in the seed note's exchange), and the reference table handed in:

>>> import tempfile
>>> from pathlib import Path
>>> from tcpcheck.model.table import REFERENCE
>>> lab = Path(tempfile.mkdtemp()) / "lab.toml"
>>> _ = lab.write_text('''title = "Lab 3: the TCP state table"
... kind = "table"
... reference = "builtin:rfc9293"
... submission = "tcp.rules"
... [[configurations]]
... name = "seed"
... preset = "seed"
... [[tests]]
... kind = "rows"
... points = 50
... [[tests]]
... kind = "behaviour"
... configuration = "seed"
... points = 50
... ''', encoding="utf-8")
>>> g = grade(lab, REFERENCE, student="alice")
>>> g.score, g.max_score, [t.name for t in g.raw.tests][1:]
(100.0, 100.0, ['the table, cell by cell', "behaviour in configuration 'seed'"])
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from .display import Table

__all__ = ["grade", "Grade"]


def grade(assignment: str | Path, submission: str | Path, student: str | None = None) -> "Grade":
    """Grade the ``submission`` file (a rule table, or an answer file) against the
    ``assignment`` TOML file."""
    from tcpcheck.model.grading.assignment import load_assignment
    from tcpcheck.model.grading.grade import Prepared, grade_file

    return Grade(grade_file(Prepared(load_assignment(assignment)), submission, student))


class Grade:
    """One graded submission: ``raw`` is the GradeResult (score, tests, messages)."""

    def __init__(self, raw):
        self.raw = raw

    @property
    def score(self) -> float:
        return self.raw.score

    @property
    def max_score(self) -> float:
        return self.raw.max_score

    def text(self, after_due_date: bool = False) -> str:
        """The feedback ``tcpcheck grade`` prints."""
        from tcpcheck.model.grading.formats import text
        return text(self.raw, after_due_date)

    def json(self, after_due_date: bool = False) -> dict:
        """The ``tcpcheck grade --format json`` object."""
        return self.raw.to_json(after_due_date)

    def table(self) -> Table:
        """number, test, status, score, max_score."""
        return Table(("number", "test", "status", "score", "max_score"),
                     [(t.number, t.name, t.status, f"{t.score:g}", f"{t.max_score:g}") for t in self.raw.tests],
                     title=self.raw.assignment, verdict_column="status")

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return (f"<p><b>{escape(self.raw.student)}: {self.score:g} / {self.max_score:g}</b></p>"
                f"{self.table()._repr_html_()}")
