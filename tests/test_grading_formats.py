"""The platform formats of ``tcpcheck grade`` (model/grading/formats.py), on real grades.

Every result here comes from the real grader: an assignment written into a
temporary folder (the built-in reference, the ``seed``, ``default`` and
``simultaneous-open`` presets, rows, behaviour and property tests, one test
visible only after the due date, feedback ``expected``) and tables derived
from the reference: the reference itself, one with FIN_WAIT_1's ``rcv FIN``
row broken (simultaneous close never reaches CLOSING) and one that does not
parse.  The field lists the formats are checked against are written out
here from the platforms' own documentation.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from tcpcheck.model import cli
from tcpcheck.model.grading import formats, grade
from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.behaviour import BudgetExceeded
from tcpcheck.model.grading.formats import FORMATS, render
from tcpcheck.model.grading.grade import Prepared, grade_file

from conftest import REFERENCE_TEXT

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")

# --- the platforms' field lists ------------------------------------------------------

#: Gradescope autograder_samples docs/specs.md: the top-level keys of results.json ...
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
#: ... the keys of one test ...
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}
#: ... and the values of its enumerations.
GRADESCOPE_STATUS = {"passed", "failed"}
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
GRADESCOPE_FORMAT = {"text", "html", "simple_format", "md", "ansi"}

#: PrairieLearn docs/externalGrading.md: the keys of results.json and of one test.
PRAIRIELEARN_TOP = {"gradable", "score", "format_errors", "message", "output", "images", "tests"}
PRAIRIELEARN_TEST = {"name", "description", "points", "max_points", "message", "output", "images"}

BROKEN_ROW = ("FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING",
              "FIN_WAIT_1   | rcv FIN                 | -                          | same   ")

ASSIGNMENT = """\
title = "Lab: the formats"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "expected"
partial = true

[limits]
max_states = 300000
seconds = 120

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "default"
preset = "default"

[[configurations]]
name = "simultaneous"
preset = "simultaneous-open"

[[tests]]
kind = "rows"
points = 30

[[tests]]
kind = "behaviour"
configuration = "seed"
points = 10

[[tests]]
kind = "behaviour"
configuration = "default"
points = 25

[[tests]]
kind = "behaviour"
configuration = "simultaneous"
points = 15
visibility = "after_due_date"

[[tests]]
kind = "properties"
configuration = "default"
properties = ["CLOSING is reachable", "SND.UNA within [ISS, SND.NXT]"]
points = 10
"""

#: What a student might put into a table to see whether feedback pages run it.
MARKUP = '<img src=x onerror="alert(1)">&amp;'

#: Words only the reference's expected step uses (grade.py's ``expected`` texts).
EXPECTED_MARK = "with the reference"


# --- real grades ----------------------------------------------------------------------


@dataclass
class Lab:
    folder: Path
    prepared: Prepared
    graded: dict


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    """The assignment and the three tables in a folder, each table graded once."""
    d = tmp_path_factory.mktemp("formats")
    (d / "lab.toml").write_text(ASSIGNMENT, encoding="utf-8")
    (d / "good.rules").write_text(REFERENCE_TEXT, encoding="utf-8")
    assert REFERENCE_TEXT.count(BROKEN_ROW[0]) == 1
    (d / "bad.rules").write_text(REFERENCE_TEXT.replace(*BROKEN_ROW), encoding="utf-8")
    lines = REFERENCE_TEXT.splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("ESTABLISHED "))
    lines[row] = "ESTABLISHED | rcv FIN | snd ACK\n"  # three columns: does not parse
    (d / "syntax.rules").write_text("".join(lines), encoding="utf-8")
    lines[row] = f"ESTABLISHED{MARKUP}\x01 | rcv FIN | snd ACK | CLOSE_WAIT\n"  # markup, a control character
    (d / "markup.rules").write_text("".join(lines), encoding="utf-8")
    prepared = Prepared(load_assignment(d / "lab.toml")).warm()
    return Lab(d, prepared, {n: grade_file(prepared, d / f"{n}.rules")
                             for n in ("good", "bad", "syntax", "markup")})


def gradescope_of(result, after_due_date=False) -> dict:
    return json.loads(render(result, "gradescope", after_due_date))


def failing_behaviour(result):
    return next(t for t in result.tests if t.kind == "behaviour" and t.status == "failed"
                and t.visibility == "visible")


def test_the_grades_are_what_the_formats_are_tested_on(lab):
    good, bad, syntax = lab.graded["good"], lab.graded["bad"], lab.graded["syntax"]
    assert good.gradable and good.score == good.max_score == 90
    assert bad.gradable and 0 < bad.score < bad.max_score
    statuses = {(t.kind, t.configuration, t.visibility): t.status for t in bad.tests}
    assert statuses[("behaviour", "seed", "visible")] == "passed"
    assert statuses[("behaviour", "default", "visible")] == "failed"
    assert statuses[("behaviour", "simultaneous", "after_due_date")] == "failed"
    assert all(t.expected for t in bad.tests if t.kind == "behaviour" and t.status == "failed")
    assert failing_behaviour(bad).run
    assert not syntax.gradable and syntax.messages


# --- Gradescope -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["good", "bad", "syntax"])
def test_gradescope_has_only_the_documented_fields_with_their_types(lab, name):
    result = lab.graded[name]
    out = gradescope_of(result)
    assert set(out) <= GRADESCOPE_TOP
    assert "execution_time" not in out  # not deterministic: left out
    assert isinstance(out["score"], (int, float)) and not isinstance(out["score"], bool)
    assert isinstance(out["output"], str) and f"tcpcheck {result.tool_version}" in out["output"]
    assert result.reference_sha256 in out["output"]
    assert out["output_format"] in GRADESCOPE_FORMAT
    assert out["visibility"] in GRADESCOPE_VISIBILITY and out["stdout_visibility"] in GRADESCOPE_VISIBILITY
    assert isinstance(out["extra_data"], dict)
    numbers = []
    for t in out["tests"]:
        assert set(t) <= GRADESCOPE_TEST, set(t) - GRADESCOPE_TEST
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["number"], str)
        numbers.append(t["number"])
        for key in ("score", "max_score"):
            assert isinstance(t[key], (int, float)) and not isinstance(t[key], bool)
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in GRADESCOPE_STATUS
        assert t["visibility"] in GRADESCOPE_VISIBILITY
        assert isinstance(t["output"], str)
        assert t["output_format"] in GRADESCOPE_FORMAT
        assert isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"])
        assert isinstance(t["extra_data"], dict)
    assert len(set(numbers)) == len(numbers)
    assert out["score"] == pytest.approx(sum(t["score"] for t in out["tests"]), abs=1e-3)
    assert out["score"] == pytest.approx(result.score if result.gradable else 0)


def test_gradescope_status_follows_the_grade(lab):
    result = lab.graded["bad"]
    by_number = {t["number"]: t for t in gradescope_of(result)["tests"]}
    for t in result.tests:
        assert by_number[t.number]["status"] == ("passed" if t.status == "passed" else "failed")
        assert by_number[t.number]["visibility"] == t.visibility
        assert by_number[t.number]["score"] == pytest.approx(t.score, abs=1e-4)


def test_gradescope_puts_the_expected_step_only_in_after_due_date_tests(lab):
    result = lab.graded["bad"]
    failing = [t for t in result.tests if t.status != "passed" and t.expected.strip()]
    assert len(failing) >= 3  # the rows, the default and the simultaneous behaviour
    out = gradescope_of(result)
    expected_tests = [t for t in out["tests"] if t["name"].endswith(": the expected step")]
    assert len(expected_tests) == len(failing)
    for t in failing:
        [e] = [x for x in expected_tests if x["number"] == f"{t.number}.1"]
        assert e["name"] == f"{t.name}: the expected step"
        assert e["output"] == t.expected.strip()
        assert e["visibility"] == "after_due_date"
        assert e["score"] == e["max_score"] == 0
    for x in out["tests"]:
        if x in expected_tests:
            continue
        dumped = json.dumps(x, ensure_ascii=False)
        assert EXPECTED_MARK not in dumped
        for t in failing:
            assert t.expected.strip() not in dumped
    assert EXPECTED_MARK not in out["output"] and EXPECTED_MARK not in json.dumps(out["extra_data"])
    # Gradescope enforces the date itself: the flag changes nothing.
    assert render(result, "gradescope", True) == render(result, "gradescope", False)


@needs_dot
def test_gradescope_draws_the_failing_run_as_an_inline_chart_over_the_text(lab):
    result = lab.graded["bad"]
    t = failing_behaviour(result)
    [g] = [x for x in gradescope_of(result)["tests"] if x["number"] == t.number]
    assert g["output_format"] == "html"
    # PNG: Gradescope's HTML sanitiser keeps data: images of PNG (not SVG)
    m = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', g["output"])
    assert m, g["output"][:300]
    assert base64.b64decode(m.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    from tcpcheck.diagrams.charts import msc_svg
    svg = msc_svg(t.run)
    assert "<svg" in svg
    # One arrow per segment of the run (it has no drops or duplicates).
    assert not any(step.get("dropped") for step in t.run) and all(step.get("kind") != "duplicate" for step in t.run)
    assert len(re.findall(r'<g id="seg\d+" class="edge segment', svg)) == sum(len(step.get("sent", []))
                                                                          for step in t.run) >= 4
    # The text fallback comes first, escaped: every line of the run is there.
    pre = re.search(r"<pre>(.*?)</pre>", g["output"], re.S).group(1)
    assert "&lt;SEQ=" in pre and "<SEQ=" not in g["output"]
    assert pre.count("\n") >= t.output.count("\n")
    assert "<script" not in g["output"].lower()
    # Tests without a run stay plain text.
    rows = next(x for x in gradescope_of(result)["tests"] if x["name"] == "the table, cell by cell")
    assert rows["output_format"] == "text" and "<" not in rows["output"].replace("<SEQ", "")


def test_gradescope_not_gradable_fails_the_load_test_and_scores_nothing(lab):
    result = lab.graded["syntax"]
    out = gradescope_of(result)
    assert out["score"] == 0
    loads = out["tests"][0]
    assert loads["name"] == "the table loads" and loads["status"] == "failed" and loads["max_score"] == 0
    for message in result.messages:
        assert message in loads["output"]
    assert len(out["tests"]) == len(result.tests)  # no expected steps
    assert all(t["score"] == 0 for t in out["tests"])
    assert all(t["status"] == "failed" for t in out["tests"])
    assert "could not be read" in out["output"]


# --- PrairieLearn -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["good", "bad"])
def test_prairielearn_score_is_the_fraction(lab, name):
    result = lab.graded[name]
    out = json.loads(render(result, "prairielearn"))
    assert set(out) <= PRAIRIELEARN_TOP
    assert out["gradable"] is True
    assert 0 <= out["score"] <= 1
    assert out["score"] == pytest.approx(result.fraction)
    assert sum(t["points"] for t in out["tests"]) == pytest.approx(result.score, abs=1e-3)
    for t in out["tests"]:
        assert set(t) <= PRAIRIELEARN_TEST
        assert 0 <= t["points"] <= t["max_points"]
        assert all(isinstance(t[k], str) for k in ("name", "description", "message", "output"))
    assert len(render(result, "prairielearn").encode("utf-8")) <= formats.PRAIRIELEARN_LIMIT


def test_prairielearn_not_gradable_has_format_errors_and_no_score(lab):
    result = lab.graded["syntax"]
    out = json.loads(render(result, "prairielearn"))
    assert set(out) <= PRAIRIELEARN_TOP
    assert out["gradable"] is False
    assert "score" not in out
    assert out["format_errors"] == result.messages
    assert any(":" in m and "syntax.rules" in m for m in out["format_errors"])


def test_prairielearn_withholds_what_waits_for_the_due_date(lab):
    result = lab.graded["bad"]
    later = next(t for t in result.tests if t.visibility == "after_due_date")
    before = json.loads(render(result, "prairielearn", False))
    after = json.loads(render(result, "prairielearn", True))
    [b] = [t for t in before["tests"] if t["name"].startswith(f"{later.number}. ")]
    [a] = [t for t in after["tests"] if t["name"].startswith(f"{later.number}. ")]
    assert b["output"] == "" and "after the due date" in b["message"]
    assert b["points"] == a["points"] == pytest.approx(later.score, abs=1e-4)
    assert later.expected.strip() in a["output"]
    assert EXPECTED_MARK not in json.dumps(before) and EXPECTED_MARK in json.dumps(after)


@needs_dot
def test_prairielearn_charts_are_images_of_the_shown_runs(lab):
    result = lab.graded["bad"]
    before = json.loads(render(result, "prairielearn", False))
    after = json.loads(render(result, "prairielearn", True))
    shown = [t for t in result.tests if t.run and t.visibility == "visible"]
    assert len(before["images"]) == len(shown) >= 1
    assert len(after["images"]) == len([t for t in result.tests if t.run]) > len(shown)
    for image in after["images"]:
        assert set(image) == {"label", "url"}
        assert image["url"].startswith("data:image/svg+xml;base64,")
        assert b"<svg" in base64.b64decode(image["url"].split(",", 1)[1])


@needs_dot
def test_prairielearn_stays_under_its_limit(lab, monkeypatch):
    result = lab.graded["bad"]
    full = render(result, "prairielearn", True)
    limit = len(full.encode("utf-8")) // 2
    assert limit > 5000
    monkeypatch.setattr(formats, "PRAIRIELEARN_LIMIT", limit)
    cut = json.loads(render(result, "prairielearn", True))
    assert len(render(result, "prairielearn", True).encode("utf-8")) <= limit
    assert len(cut["images"]) < len(json.loads(full)["images"])
    assert "1 MB" in cut["message"]
    assert cut["score"] == pytest.approx(result.fraction)
    # So small that the outputs themselves must be cut, with a note.
    monkeypatch.setattr(formats, "PRAIRIELEARN_LIMIT", 6000)
    tiny = json.loads(render(result, "prairielearn", True))
    assert tiny["images"] == []
    assert any("left out" in t["output"] for t in tiny["tests"])


# --- JUnit ------------------------------------------------------------------------------


def _counts(result) -> dict:
    return {"tests": len(result.tests),
            "failures": sum(t.status == "failed" for t in result.tests),
            "errors": sum(t.status == "error" for t in result.tests),
            "skipped": sum(t.status == "unknown" for t in result.tests)}


def _check_junit(result, after_due_date=False):
    root = ET.fromstring(render(result, "junit", after_due_date))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    found = {"tests": len(cases),
             "failures": sum(c.find("failure") is not None for c in cases),
             "errors": sum(c.find("error") is not None for c in cases),
             "skipped": sum(c.find("skipped") is not None for c in cases)}
    assert found == _counts(result)
    for node in (root, suite):
        assert {k: int(node.get(k)) for k in found} == found
        assert node.get("time") == "0"
    for c in cases:
        assert c.get("classname") and c.get("name") and c.get("time") == "0"
        assert list(c.attrib) == ["classname", "name", "time"]
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["tool_version"] == result.tool_version
    assert props["reference_sha256"] == result.reference_sha256
    return root, cases


def test_junit_parses_back_with_the_right_counts(lab):
    bad = lab.graded["bad"]
    root, cases = _check_junit(bad)
    assert _counts(bad)["failures"] >= 4
    t = failing_behaviour(bad)
    case = next(c for c in cases if c.get("name") == f"{t.number}. {t.name}")
    failure = case.find("failure")
    assert failure.get("type") == "behaviour" and "of 25 points" in failure.get("message")
    assert case.find("system-out").text.startswith("Your table behaves differently")
    assert EXPECTED_MARK not in ET.tostring(root, encoding="unicode")
    after, _ = _check_junit(bad, after_due_date=True)
    assert EXPECTED_MARK in ET.tostring(after, encoding="unicode")
    _check_junit(lab.graded["good"])
    _check_junit(lab.graded["syntax"])


def test_junit_maps_unknown_to_skipped_and_grader_failures_to_errors(lab, monkeypatch):
    real = grade.compare

    def compare(reference, submission, *args, **kwargs):
        name = reference.config.name
        if name == "seed":
            raise BudgetExceeded("states")
        if name == "simultaneous":
            raise RuntimeError("the lockstep search broke")
        return real(reference, submission, *args, **kwargs)

    monkeypatch.setattr(grade, "compare", compare)
    result = grade_file(lab.prepared, lab.folder / "bad.rules")
    statuses = {t.configuration: t.status for t in result.tests if t.kind == "behaviour"}
    assert statuses == {"seed": "unknown", "default": "failed", "simultaneous": "error"}
    root, cases = _check_junit(result, after_due_date=True)
    skipped = next(c.find("skipped") for c in cases if c.find("skipped") is not None)
    assert skipped.get("message").startswith("unknown")
    error = next(c.find("error") for c in cases if c.find("error") is not None)
    assert "the lockstep search broke" in error.text
    # Gradescope: both are failures that say why, and earn nothing.
    by_number = {x["number"]: x for x in gradescope_of(result)["tests"]}
    for t in result.tests:
        if t.status in ("unknown", "error"):
            assert by_number[t.number]["status"] == "failed" and by_number[t.number]["score"] == 0
            assert by_number[t.number]["output"] == t.output and t.output


# --- HTML -------------------------------------------------------------------------------


@needs_dot
def test_html_page_shows_the_chart_and_no_reference_step_before_the_due_date(lab):
    result = lab.graded["bad"]
    page = render(result, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "data:image/svg+xml;base64," in page or "<svg" in page
    t = failing_behaviour(result)
    section = re.search(rf'<section class="test failed" id="test-{t.number}">(.*?)</section>', page, re.S).group(1)
    assert "data:image/svg+xml;base64," in section
    assert EXPECTED_MARK not in page
    later = next(t for t in result.tests if t.visibility == "after_due_date")
    hidden = re.search(rf'id="test-{later.number}">(.*?)</section>', page, re.S).group(1)
    assert "shown after the due date" in hidden and "<pre>" not in hidden and "<img" not in hidden
    after = render(result, "html", True)
    assert EXPECTED_MARK in after
    assert after.count("data:image/svg+xml;base64,") > page.count("data:image/svg+xml;base64,")


def test_html_page_is_self_contained_and_escaped(lab):
    for name in ("good", "bad", "syntax", "markup"):
        page = render(lab.graded[name], "html", True)
        assert "<script" not in page.lower() and "<link" not in page.lower()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
        assert "<SEQ=" not in page and "--> B" not in page
    markup = lab.graded["markup"]
    assert not markup.gradable and any("<img src=x" in m for m in markup.messages)
    page = render(markup, "html")
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;" in page
    for message in markup.messages:
        assert html.escape(message) in page


def test_student_text_stays_text_in_every_format(lab):
    markup = lab.graded["markup"]
    out = gradescope_of(markup)
    assert all(t["output_format"] == "text" for t in out["tests"]) and out["output_format"] == "text"
    assert any(MARKUP in t["output"] for t in out["tests"])
    assert any(MARKUP in e for e in json.loads(render(markup, "prairielearn"))["format_errors"])
    root, cases = _check_junit(markup)
    assert MARKUP in cases[0].find("failure").text


# --- every format ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_is_byte_identical_across_runs(lab, fmt):
    first = lab.graded["bad"]
    again = grade_file(Prepared(load_assignment(lab.folder / "lab.toml")), lab.folder / "bad.rules")
    formats.chart_service.cache_clear()
    for after in (False, True):
        assert render(first, fmt, after) == render(again, fmt, after)


def test_the_chart_service_is_found_through_the_entry_point(lab):
    from tcpcheck.diagrams.charts import msc_svg

    formats.chart_service.cache_clear()
    assert formats.chart_service("msc_svg") is msc_svg
    assert formats.chart_service("no such chart") is None
    source = Path(formats.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+\S*diagrams", source, re.M)


def test_without_dot_the_chart_is_empty_and_the_feedback_is_text(lab, monkeypatch, tmp_path):
    from tcpcheck.diagrams.charts import msc_svg

    t = failing_behaviour(lab.graded["bad"])
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    assert msc_svg(t.run, "no dot") == ""
    [g] = [x for x in gradescope_of(lab.graded["bad"])["tests"] if x["number"] == t.number]
    assert g["output_format"] == "text" and g["output"] == t.output
    assert json.loads(render(lab.graded["bad"], "prairielearn"))["images"] == []


@needs_dot
def test_gradescope_prefers_a_png_chart_when_one_is_registered(lab, monkeypatch):
    from tcpcheck.diagrams.charts import msc_png, msc_svg

    monkeypatch.setattr(formats, "chart_service", lambda name="msc_svg": {"msc_png": msc_png,
                                                                         "msc_svg": msc_svg}.get(name))
    result = lab.graded["bad"]
    t = failing_behaviour(result)
    [g] = [x for x in gradescope_of(result)["tests"] if x["number"] == t.number]
    m = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', g["output"])
    assert m and base64.b64decode(m.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    # PrairieLearn keeps the SVG, which it shows as it is.
    assert json.loads(render(result, "prairielearn"))["images"][0]["url"].startswith("data:image/svg+xml")


def test_grade_command_writes_gradescope_results(lab, tmp_path, capsys):
    out = tmp_path / "r.json"
    code = cli.main(["grade", "--assignment", str(lab.folder / "lab.toml"), str(lab.folder / "bad.rules"),
                     "--format", "gradescope", "-o", str(out)])
    assert code == 1  # graded, with less than full marks
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) <= GRADESCOPE_TOP
    assert data["score"] == pytest.approx(lab.graded["bad"].score)
    assert [t["number"] for t in data["tests"] if not t["name"].endswith(": the expected step")] == \
        [t.number for t in lab.graded["bad"].tests]
    assert "wrote" in capsys.readouterr().err
