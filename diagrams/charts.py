"""Charts as a service for the grader: a trace in, the picture's bytes out.

:mod:`tcpcheck.model.grading` draws the run that tells a student's table
from the reference as a message sequence chart in its feedback (Gradescope,
PrairieLearn and the per-student HTML pages).  ``model/`` never imports
``diagrams/`` (the model must work without Graphviz), so the grader finds
these functions through the ``tcpcheck.charts`` entry point group declared
in ``pyproject.toml``::

    [project.entry-points."tcpcheck.charts"]
    msc_svg = "tcpcheck.diagrams.charts:msc_svg"

Each function takes a trace as ``check --json`` writes it
(:func:`tcpcheck.model.report.trace_json`) and a title (and, as a grader's
test result's ``details`` say them, ``cycle_from`` and ``stuck``), draws it with
:func:`~.msc.msc_dot` and renders it with :func:`~.render.render`.  Without
Graphviz's ``dot`` program it returns an empty result instead of raising,
so the feedback falls back to the text of the run.  The output is the same
bytes for the same trace (given the same Graphviz).
"""

from __future__ import annotations

from .msc import msc_dot
from .render import DotMissing, render

__all__ = ["msc_svg", "msc_png"]


def msc_svg(trace: list[dict], title: str = "", cycle_from: int | None = None, stuck: bool = False,
            lang: str = "en") -> str:
    """The message sequence chart of ``trace`` as SVG text ("" without ``dot``).
    As ``diagram trace`` draws it: with ``cycle_from``, the steps after it
    framed as repeating for ever (a lasso); with ``stuck``, the run's end
    marked as a wait for ever (a deadlock)."""
    try:
        return render(msc_dot(trace, title, lang=lang, cycle_from=cycle_from, stuck=stuck), "svg").decode("utf-8")
    except DotMissing:
        return ""


def msc_png(trace: list[dict], title: str = "", cycle_from: int | None = None, stuck: bool = False,
            lang: str = "en") -> bytes:
    """The same chart as PNG bytes (b"" without ``dot``): for HTML sanitisers
    that accept ``data:image/png`` but strip ``data:image/svg+xml``."""
    try:
        return render(msc_dot(trace, title, lang=lang, cycle_from=cycle_from, stuck=stuck), "png")
    except DotMissing:
        return b""
