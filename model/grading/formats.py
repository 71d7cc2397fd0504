"""The output formats of a graded submission, all written from one GradeResult.

``text`` is what a student or instructor reads in a terminal; ``json`` is
the full result for scripts (:meth:`GradeResult.to_json`, with the envelope
of every tcpcheck JSON output: ``schema_version``, ``tool``, ``kind``; see
model/schemas/grade.schema.json).  Every format is
deterministic: the same submission and assignment give the same bytes.
What waits for the due date (the reference's expected step or answer)
appears only when ``after_due_date`` is true.

The platform formats write what each platform reads:

* ``gradescope``: Gradescope's ``results.json`` (its autograder specs),
  with nothing but the keys those specs list (model/schemas/gradescope.schema.json);
  the envelope (``schema_version``, ``tool``, ``kind``) goes in the top-level
  ``extra_data``, the one place the specs leave free.
  Gradescope enforces visibility itself, so every test is written with its
  visibility; the reference's expected step of a failing test goes into a
  0-point test of its own, visible only after the due date, whatever
  ``after_due_date`` says.  A test with a run carries it as a chart
  (``output_format`` ``html``: the escaped text in ``<pre>``, the chart an
  inline ``data:`` image below it, so the text remains if the platform's
  sanitiser removes the image: Gradescope does not document which ``data:``
  types it keeps, and Rails' usual sanitiser keeps PNG but not SVG, so an
  ``msc_png`` service is preferred when one is registered).
* ``prairielearn``: PrairieLearn's external-grader ``results.json``:
  ``score`` in [0, 1], ``gradable`` false with ``format_errors`` for a
  table that does not load, the charts in ``images``, kept under its 1 MB;
  only the keys its documentation lists (model/schemas/prairielearn.schema.json),
  so no envelope: it has no free-form field (the tool's version is in ``output``).
* ``junit``: JUnit XML as CI systems read it, one testsuite per submission;
  the feedback is the text of ``failure``/``error``/``skipped`` (what GitLab
  shows) and of ``system-out`` (what Jenkins and others show).  Not JSON: the
  tool's version is a ``<property>`` of the suite, as the XSDs allow.
* ``html``: a self-contained page of one submission's feedback, charts inline.

PrairieLearn, JUnit and HTML have no visibility of their own, so there a
``hidden`` test is listed with its points only, and an ``after_due_date``
or ``after_published`` test too until ``after_due_date`` is true.

Charts come from the ``tcpcheck.charts`` entry point (``msc_svg``, provided
by :mod:`tcpcheck.diagrams.charts`): ``model/`` never imports ``diagrams/``.
Without the service or without Graphviz the feedback is the text alone.

It formats; it grades nothing.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points

import wcwidth

from ..i18n import N_, translator
from ..interface import stamp
from .results import VISIBILITIES, GradeResult, TestResult

__all__ = ["FORMATS", "render", "chart_service"]


def _points(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.2f}"


#: How each status of a test is said (the JSON keeps the keys).
_STATUSES = {"passed": N_("passed", "status"), "failed": N_("failed", "status"),
             "unknown": N_("unknown", "status"), "error": N_("error", "status")}


def _status_word(status: str, _) -> str:
    return _(_STATUSES[status], "status") if status in _STATUSES else status


def _centre(text: str, width: int) -> str:
    """``text`` centred in ``width`` columns of a terminal (a CJK character takes two)."""
    room = max(width - wcwidth.width(text), 0)
    return " " * (room // 2) + text + " " * (room - room // 2)


def text(result: GradeResult, after_due_date: bool = False) -> str:
    """The result as a student reads it in a terminal, in the result's language."""
    _ = translator(result.lang)
    lines = [f"tcpcheck {result.tool_version}: {result.assignment}",
             "  " + _("submission: {file}").format(file=result.submission),
             "  " + _("score: {score} / {most}").format(score=_points(result.score), most=_points(result.max_score))
             + ("" if result.gradable else "  " + _("(not gradable: the file does not load)")), ""]
    for t in result.tests:
        lines.append(f"{t.number:>3}. [{_centre(_status_word(t.status, _), 7)}] "
                     f"{_points(t.score)}/{_points(t.max_score)}  {t.name}"
                     + ("" if t.visibility == "visible" else "  " + _("(visibility: {visibility})").format(
                         visibility=t.visibility)))
        for line in t.output.splitlines():
            lines.append(f"       {line}")
        if after_due_date and t.expected:
            lines.append("       " + _("after the due date, the expected answer:"))
            lines.extend(f"       {line}" for line in t.expected.splitlines())
    lines.append("")
    lines.append(_("reference sha256 {digest}").format(digest=result.reference_sha256))
    return "\n".join(lines) + "\n"


def as_json(result: GradeResult, after_due_date: bool = False) -> str:
    """The whole result as one JSON object (schema_version, tool, tests...)."""
    return json.dumps(result.to_json(after_due_date), indent=2, ensure_ascii=False) + "\n"


# --- shared by the platform formats ----------------------------------------------

#: The chart services of the ``tcpcheck.charts`` entry point group: name -> media type.
CHART_MEDIA = {"msc_svg": "image/svg+xml", "msc_png": "image/png"}


@functools.lru_cache(maxsize=None)
def chart_service(name: str = "msc_svg"):
    """The function registered as ``name`` in the ``tcpcheck.charts`` entry
    point group (``msc_svg(trace, title) -> str``), or None when nothing
    provides it or it does not load (then feedback is text only)."""
    found = sorted((ep for ep in entry_points(group="tcpcheck.charts") if ep.name == name),
                   key=lambda ep: ep.value)
    for ep in found:
        try:
            return ep.load()
        except Exception:  # noqa: BLE001 - a missing chart must never cost a result
            continue
    return None


def _chart_title(t: TestResult, _) -> str:
    return _("{number}. {name}: the run on your table").format(number=t.number, name=t.name)


def _chart_url(t: TestResult, services: tuple[str, ...] = ("msc_svg",), lang: str = "en") -> str:
    """The chart of the student's run of ``t`` as a ``data:`` URL, from the
    first of ``services`` that draws it, in ``lang``, with the marks of how
    the run ends (``cycle_from``, ``stuck``, from its details); "" when there
    is no run or no chart."""
    if not t.run:
        return ""
    title = _chart_title(t, translator(lang))
    for name in services:
        fn = chart_service(name)
        if fn is None:
            continue
        try:
            data = fn(t.run, title, cycle_from=t.details.get("cycle_from"), stuck=t.details.get("stuck", False),
                      lang=lang)
        except Exception:  # noqa: BLE001 - as above: fall back to the text
            continue
        if data:
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            return f"data:{CHART_MEDIA[name]};base64,{base64.b64encode(raw).decode('ascii')}"
    return ""


def _num(x: float) -> float:
    """A score as JSON writes it: 4 decimals, never -0.0."""
    return round(float(x), 4) + 0.0


def _scores(result: GradeResult, t: TestResult) -> tuple[float, float]:
    """(score, max_score) of ``t``: 0 in a result that is not gradable, never above the maximum."""
    most = _num(max(t.max_score, 0.0))
    return (0.0 if not result.gradable else min(max(_num(t.score), 0.0), most)), most


def _expected(t: TestResult) -> str:
    """The reference's expected step or answer of a test that did not pass ("" otherwise)."""
    return t.expected.strip() if t.status != "passed" and t.expected.strip() else ""


def _shown(t: TestResult, after_due_date: bool) -> bool:
    """Whether a platform without visibility may show the test's feedback."""
    if t.visibility == "visible":
        return True
    if t.visibility in ("after_due_date", "after_published"):
        return after_due_date
    return False  # hidden, or a value no platform knows


def _withheld(t: TestResult, _) -> str:
    if t.visibility in ("after_due_date", "after_published"):
        return _("The feedback on this test is shown after the due date.")
    return _("The feedback on this test is hidden.")


def _feedback(t: TestResult, after_due_date: bool, _) -> str:
    """The test's feedback as text, with the expected step once the due date has passed."""
    text = t.output.strip("\n")
    if not text and t.status in ("unknown", "error"):
        text = _("{status}: this test earns no points.").format(status=_status_word(t.status, _))
    if after_due_date and _expected(t):
        text += ("\n\n" if text else "") + _("After the due date, the expected answer:") + "\n" + _expected(t)
    return text


def _cut(text: str, limit: int, _) -> str:
    """``text`` cut to about ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return (text[:limit].rstrip() + "\n... " + _("[{n} more characters left out to keep the results within the "
                                                  "platform's size limit]").format(n=f"{len(text) - limit:,}"))


def _header(result: GradeResult) -> str:
    _ = translator(result.lang)
    lines = [f"tcpcheck {result.tool_version}: {result.assignment}",
             _("Graded against the reference table with sha256 {digest}.").format(digest=result.reference_sha256),
             (_("Submission {file}, sha256 {digest}.") if result.submission_sha256 else _("Submission {file}.")
              ).format(file=result.submission, digest=result.submission_sha256)]
    if not result.gradable:
        lines.append(_("Your table could not be read, so it was not graded: see '{test}'.").format(
            test=_("the table loads")))
    return "\n".join(lines)


def _summary(result: GradeResult, t: TestResult, _) -> str:
    score, most = _scores(result, t)
    if t.status == "passed":
        return _("passed: {score} of {most} points").format(score=_points(score), most=_points(most))
    if t.status == "unknown":
        return _("unknown: a budget was hit, so no points")
    if t.status == "error":
        return _("error: the grader failed on this test, so no points")
    return _("failed: {score} of {most} points").format(score=_points(score), most=_points(most))


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- Gradescope ---------------------------------------------------------------------

#: The charts Gradescope gets, in order of preference: a PNG when a service
#: provides one (the common HTML sanitisers, Rails' Loofah among them, keep
#: data:image/png but strip data:image/svg+xml), else the SVG.
GRADESCOPE_CHARTS = ("msc_png", "msc_svg")


def _gradescope_html(text: str, url: str, alt: str, _) -> str:
    parts = [f"<pre>{html.escape(text)}</pre>"] if text else []
    parts.append("<p>" + html.escape(_("The run as a message sequence chart (A on the left, B on the right, time "
                                       "running downwards):")) + "</p>")
    parts.append(f'<p><img src="{url}" alt="{html.escape(alt)}"></p>')
    return "\n".join(parts)


def _alt(t: TestResult, _) -> str:
    return _("message sequence chart of the run of test {number}").format(number=t.number)


def gradescope(result: GradeResult, after_due_date: bool = False) -> str:
    """Gradescope's results.json.  ``after_due_date`` is not read: Gradescope
    shows each test by its own ``visibility``, so the expected step of a
    failing test is always a 0-point test of its own, ``after_due_date``."""
    _ = translator(result.lang)
    tests = []
    for t in result.tests:
        score, most = _scores(result, t)
        text = _feedback(t, False, _)
        url = _chart_url(t, GRADESCOPE_CHARTS, result.lang) if result.gradable else ""
        visibility = t.visibility if t.visibility in VISIBILITIES else "hidden"
        extra = {"kind": t.kind, "status": t.status, "details": t.details}
        if t.configuration is not None:
            extra["configuration"] = t.configuration
        tags = [t.kind] + ([f"configuration:{t.configuration}"] if t.configuration is not None else [])
        tests.append({
            "name": t.name, "number": t.number, "score": score, "max_score": most,
            "status": "passed" if t.status == "passed" else "failed", "visibility": visibility,
            "output": _gradescope_html(text, url, _alt(t, _), _) if url else text,
            "output_format": "html" if url else "text", "tags": tags, "extra_data": extra,
        })
        if _expected(t) and result.gradable:
            later = visibility if visibility in ("hidden", "after_published") else "after_due_date"
            tests.append({
                "name": _("{name}: the expected step").format(name=t.name), "number": f"{t.number}.1", "score": 0.0,
                "max_score": 0.0, "status": "failed", "visibility": later, "output": _expected(t),
                "output_format": "text", "tags": [t.kind, "expected"],
                "extra_data": {"kind": "expected", "for_test": t.number},
            })
    return _dump({
        "score": _num(result.score) if result.gradable else 0.0,
        "output": _header(result), "output_format": "text",
        "visibility": "visible", "stdout_visibility": "hidden",
        "extra_data": stamp("gradescope", {"reference_sha256": result.reference_sha256,
                                           "submission_sha256": result.submission_sha256,
                                           "gradable": result.gradable, "max_score": result.max_score}),
        "tests": tests,
    })


# --- PrairieLearn -------------------------------------------------------------------

#: PrairieLearn's limit on results.json, in bytes.
PRAIRIELEARN_LIMIT = 1_000_000
#: Cuts tried in turn on each test's output (characters) when the results are too big.
_PL_CUTS = (20_000, 4_000, 1_000, 200, 0)

_DESCRIPTIONS = {
    "loads": N_("the submission is read"),
    "rows": N_("each (state, event) cell against the reference's"),
    "behaviour": N_("every run of the configuration, your table against the reference's"),
    "property": N_("the property's verdict on your table against the reference's"),
    "prove": N_("the proof obligation on your table"),
    "question": N_("the answer against the model's"),
}


def _fits(obj) -> bool:
    return len(_dump(obj).encode("utf-8")) <= PRAIRIELEARN_LIMIT


def prairielearn(result: GradeResult, after_due_date: bool = False) -> str:
    """PrairieLearn's external-grader results.json."""
    _ = translator(result.lang)
    if not result.gradable:
        errors = [m for m in result.messages if m.strip()]
        if not errors:
            errors = ([t.output for t in result.tests if t.kind == "loads" and t.output]
                      or [_("the file does not load")])
        obj = {"gradable": False, "format_errors": errors, "output": _header(result),
               "message": _("Your table could not be read, so it was not graded (no attempt is used up).")}
        for cut in _PL_CUTS[1:]:
            if _fits(obj):
                break
            obj["format_errors"] = [_cut(e, cut, _) for e in errors[:100]]
        return _dump(obj)
    tests, images = [], []
    for t in result.tests:
        score, most = _scores(result, t)
        shown = _shown(t, after_due_date)
        tests.append({"name": f"{t.number}. {t.name}",
                      "description": _(_DESCRIPTIONS[t.kind]) if t.kind in _DESCRIPTIONS else t.kind,
                      "points": score, "max_points": most,
                      "message": _summary(result, t, _) if shown else _withheld(t, _),
                      "output": _feedback(t, after_due_date, _) if shown else ""})
        url = _chart_url(t, lang=result.lang) if shown else ""
        if url:
            images.append({"label": _chart_title(t, _), "url": url})
    message = _("{score} of {most} points.").format(score=_points(result.score), most=_points(result.max_score))
    obj = {"gradable": True, "score": min(max(result.fraction, 0.0), 1.0), "message": message,
           "output": _header(result), "tests": tests, "images": images}
    full = [x["output"] for x in tests]
    for x, text in zip(tests, full):
        x["output"] = _cut(text, _PL_CUTS[0], _)
    dropped = 0
    while images and not _fits(obj):
        images.pop()
        dropped += 1
        obj["message"] = message + " " + _("{n} chart(s) left out to stay within PrairieLearn's 1 MB limit; the "
                                           "runs are written out in the tests' output.").format(n=dropped)
    for cut in _PL_CUTS[1:]:
        if _fits(obj):
            break
        for x, text in zip(tests, full):
            x["output"] = _cut(text, cut, _)
    return _dump(obj)


# --- JUnit XML ------------------------------------------------------------------------

_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text) -> str:
    """Text XML 1.0 can hold (control characters and stray surrogates removed)."""
    return _XML_BAD.sub("", str(text))


def junit(result: GradeResult, after_due_date: bool = False) -> str:
    """JUnit XML: testsuites > one testsuite (this submission) > a testcase per test."""
    _ = translator(result.lang)
    counts = {"tests": len(result.tests),
              "failures": sum(t.status == "failed" for t in result.tests),
              "errors": sum(t.status == "error" for t in result.tests),
              "skipped": sum(t.status == "unknown" for t in result.tests)}
    counts = {k: str(v) for k, v in counts.items()}
    student = result.student or result.submission or "submission"
    root = ET.Element("testsuites", {"name": _x(f"tcpcheck grade: {result.assignment}"), **counts, "time": "0"})
    suite = ET.SubElement(root, "testsuite", {"name": _x(student), **counts, "time": "0"})
    props = ET.SubElement(suite, "properties")
    for name, value in (("tool", f"tcpcheck {result.tool_version}"), ("tool_version", result.tool_version),
                        ("reference_sha256", result.reference_sha256), ("assignment", result.assignment),
                        ("submission", result.submission), ("submission_sha256", result.submission_sha256),
                        ("gradable", "true" if result.gradable else "false"),
                        ("score", _points(result.score if result.gradable else 0)),
                        ("max_score", _points(result.max_score))):
        ET.SubElement(props, "property", {"name": name, "value": _x(value)})
    for t in result.tests:
        case = ET.SubElement(suite, "testcase", {"classname": _x(student), "name": _x(f"{t.number}. {t.name}"),
                                                  "time": "0"})
        shown = _shown(t, after_due_date)
        text = _x(_feedback(t, after_due_date, _) if shown else _withheld(t, _))
        summary = _summary(result, t, _)
        first = text.splitlines()[0] if shown and text else ""
        message = _x(f"{summary}: {first}" if first else summary)
        if t.status == "failed":
            ET.SubElement(case, "failure", {"message": message, "type": t.kind}).text = text
        elif t.status == "error":
            ET.SubElement(case, "error", {"message": message, "type": "grader error"}).text = text
        elif t.status == "unknown":
            ET.SubElement(case, "skipped", {"message": message}).text = text
        if text:
            ET.SubElement(case, "system-out").text = text
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- HTML -----------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
.meta { color: #59636e; margin-top: 0; }
.score { font-size: 1.25rem; font-weight: 600; }
section.test { border: 1px solid #d1d9e0; border-left-width: .4rem; border-radius: .4rem;
               padding: .5rem 1rem; margin: 1rem 0; }
section.passed { border-left-color: #1a7f37; } section.failed { border-left-color: #cf222e; }
section.unknown { border-left-color: #9a6700; } section.error { border-left-color: #8250df; }
h2 { font-size: 1.05rem; margin: .4rem 0; display: flex; gap: .75rem; align-items: baseline; }
h2 .points { margin-left: auto; font-weight: 400; color: #59636e; white-space: nowrap; }
.status { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; padding: .05rem .4rem;
          border-radius: .3rem; color: #fff; background: #59636e; }
.passed .status { background: #1a7f37; } .failed .status { background: #cf222e; }
.unknown .status { background: #9a6700; } .error .status { background: #8250df; }
pre { background: #f6f8fa; padding: .75rem; border-radius: .3rem; overflow-x: auto; font-size: .85rem; }
figure { margin: .5rem 0; } figure img { max-width: 100%; height: auto; }
figcaption, .note, footer { color: #59636e; font-size: .85rem; }
footer { margin-top: 2rem; border-top: 1px solid #d1d9e0; padding-top: .5rem; word-break: break-all; }
""".strip()


def as_html(result: GradeResult, after_due_date: bool = False) -> str:
    """One submission's feedback as a self-contained HTML page, charts inline."""
    e = html.escape
    _ = translator(result.lang)
    score = result.score if result.gradable else 0
    out = ["<!DOCTYPE html>", f'<html lang="{e(result.lang)}">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
           "style-src 'unsafe-inline'\">",
           f"<title>{e(result.assignment)}: {e(result.student)}</title>", f"<style>\n{_CSS}\n</style>",
           "</head>", "<body>", f"<h1>{e(result.assignment)}</h1>",
           f'<p class="meta">{e(result.student)}: {e(result.submission)}</p>',
           '<p class="score">' + e(_("{score} / {most} points").format(score=_points(score),
                                                                         most=_points(result.max_score)))
           + ("" if result.gradable else " " + e(_("(not gradable: the file does not load)"))) + "</p>"]
    for t in result.tests:
        s, most = _scores(result, t)
        status = t.status if t.status in ("passed", "failed", "unknown", "error") else "failed"
        shown = _shown(t, after_due_date)
        out.append(f'<section class="test {status}" id="test-{e(t.number)}">')
        out.append(f'<h2><span class="status">{e(_status_word(status, _))}</span><span>{e(t.number)}. '
                   f'{e(t.name)}</span><span class="points">{_points(s)} / {_points(most)}</span></h2>')
        if not shown:
            out.append(f'<p class="note">{e(_withheld(t, _))}</p>')
        else:
            text = _feedback(t, after_due_date, _)
            if text:
                out.append(f"<pre>{e(text)}</pre>")
            url = _chart_url(t, lang=result.lang) if result.gradable else ""
            if url:
                out.append(f'<figure><img src="{url}" alt="{e(_alt(t, _))}">'
                           "<figcaption>" + e(_("The run on your table as a message sequence chart: A on the left, "
                                                "B on the right, time running downwards."))
                           + "</figcaption></figure>")
        out.append("</section>")
    sub = ("; " + _("submission sha256 {digest}").format(digest=e(result.submission_sha256))
           if result.submission_sha256 else "")
    out.append(f"<footer>tcpcheck {e(result.tool_version)}; "
               + _("reference sha256 {digest}").format(digest=e(result.reference_sha256)) + f"{sub}</footer>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


#: name -> function(result, after_due_date) -> str
FORMATS = {"text": text, "json": as_json, "gradescope": gradescope, "prairielearn": prairielearn,
           "junit": junit, "html": as_html}


def render(result: GradeResult, fmt: str, after_due_date: bool = False) -> str:
    return FORMATS[fmt](result, after_due_date)
