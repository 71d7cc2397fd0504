"""The output formats of a graded submission, all written from one GradeResult.

``text`` is what a student or instructor reads in a terminal; ``json`` is
the full result for scripts (:meth:`GradeResult.to_json`).  Every format is
deterministic: the same submission and assignment give the same bytes.
What waits for the due date (the reference's expected step or answer)
appears only when ``after_due_date`` is true.

It formats; it grades nothing.
"""

from __future__ import annotations

import json

from .results import GradeResult

__all__ = ["FORMATS", "render"]


def _points(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.2f}"


def text(result: GradeResult, after_due_date: bool = False) -> str:
    """The result as a student reads it in a terminal."""
    lines = [f"tcpcheck {result.tool_version}: {result.assignment}",
             f"  submission: {result.submission}",
             f"  score: {_points(result.score)} / {_points(result.max_score)}"
             + ("" if result.gradable else "  (not gradable: the file does not load)"), ""]
    for t in result.tests:
        lines.append(f"{t.number:>3}. [{t.status:^7}] {_points(t.score)}/{_points(t.max_score)}  {t.name}"
                     + ("" if t.visibility == "visible" else f"  (visibility: {t.visibility})"))
        for line in t.output.splitlines():
            lines.append(f"       {line}")
        if after_due_date and t.expected:
            lines.append("       after the due date, the expected answer:")
            lines.extend(f"       {line}" for line in t.expected.splitlines())
    lines.append("")
    lines.append(f"reference sha256 {result.reference_sha256}")
    return "\n".join(lines) + "\n"


def as_json(result: GradeResult, after_due_date: bool = False) -> str:
    """The whole result as one JSON object (schema_version, tool, tests...)."""
    return json.dumps(result.to_json(after_due_date), indent=2, ensure_ascii=False) + "\n"


#: name -> function(result, after_due_date) -> str
FORMATS = {"text": text, "json": as_json}


def render(result: GradeResult, fmt: str, after_due_date: bool = False) -> str:
    return FORMATS[fmt](result, after_due_date)
