"""What grading produces: one result per test, one per submission.

Every output format (text, JSON, Gradescope, PrairieLearn, JUnit, the class
summary) is written from these two types, so they all say the same thing.
A test's ``output`` is already cut to the assignment's feedback level; what
must wait for the due date (the reference's expected step or answer) is kept
apart in ``expected`` and shown only by outputs that are told the due date
has passed.  Nothing here depends on the clock: results are deterministic.

It holds and serialises results; it grades nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..interface import SCHEMA_VERSION, stamp

__all__ = ["STATUSES", "VISIBILITIES", "TestResult", "GradeResult", "SCHEMA_VERSION"]

#: ``passed``: full marks; ``failed``: less; ``unknown``: a budget was hit or a
#: solver gave up (never any points); ``error``: the grader itself failed on
#: this test (never any points, and the message says so).
STATUSES = ("passed", "failed", "unknown", "error")

#: Gradescope's names (its results.json ``visibility`` values).
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


@dataclass
class TestResult:
    """One graded test: a layer of scoring in one configuration, or one question."""

    number: str  # "1", "2", ... in the assignment's order (Gradescope sorts by it)
    name: str  # what the student sees, e.g. "behaviour in configuration 'default'"
    kind: str  # "loads", "rows", "behaviour", "property", "prove" or "question"
    max_score: float
    score: float
    status: str  # one of STATUSES
    visibility: str = "visible"  # one of VISIBILITIES
    output: str = ""  # student-facing feedback, already cut to the feedback level
    configuration: str | None = None  # the configuration it was graded in, if any
    details: dict = field(default_factory=dict)  # structured facts (JSON-able), same cut as output
    expected: str = ""  # what the reference does or answers: only after the due date
    run: list | None = None  # the student's distinguishing run as check --json steps, to draw

    def to_json(self, after_due_date: bool = False) -> dict:
        out = dataclasses.asdict(self)
        out["score"] = round(self.score, 4)
        if not after_due_date:
            out.pop("expected")
        if out["run"] is None:
            out.pop("run")
        return out


@dataclass
class GradeResult:
    """Everything one submission earned, with what is needed to trust it."""

    assignment: str  # the assignment's title
    submission: str  # the file graded, as given
    student: str  # the student's id (file stem or folder name)
    gradable: bool  # False: the submission could not be read at all
    messages: list[str]  # the loader's messages (file:line: ...), warnings included
    tests: list[TestResult]
    tool_version: str
    reference_sha256: str
    submission_sha256: str = ""
    lang: str = "en"  # the language its texts are in (the assignment's); the formats speak it too

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0

    def to_json(self, after_due_date: bool = False) -> dict:
        """The ``grade --format json`` object (model/schemas/grade.schema.json): the
        envelope of every JSON output, the submission, its score and its tests."""
        return stamp("grade", {
            "assignment": self.assignment,
            "reference_sha256": self.reference_sha256,
            "submission": self.submission,
            "submission_sha256": self.submission_sha256,
            "student": self.student,
            "gradable": self.gradable,
            "score": self.score,
            "max_score": self.max_score,
            "messages": list(self.messages),
            "tests": [t.to_json(after_due_date) for t in self.tests],
        })
