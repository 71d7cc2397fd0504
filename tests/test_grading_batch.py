"""Grading a class folder: tcpcheck grade --assignment A.toml DIR --out OUT.

One small assignment (the seed and reliable presets) and one class of eight
students, graded once with one worker and once with two; the tests read what
was written.  Every figure comes from a real grading run.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from pathlib import Path

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.errors import InputError
from tcpcheck.model.grading import batch
from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.batch import discover, grade_folder
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.table import REFERENCE

REF = REFERENCE.read_text(encoding="utf-8")

ASSIGNMENT = """\
title = "Lab: batch test"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "run"
partial = true

[limits]
max_states = 100000
seconds = 30

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "reliable"
preset = "reliable"

[[tests]]
kind = "rows"
points = 40

[[tests]]
kind = "behaviour"
configuration = "seed"
points = 20

[[tests]]
kind = "behaviour"
configuration = "reliable"
points = 20

[[tests]]
kind = "properties"
configuration = "reliable"
points = 20
"""

#: id -> (score, max_score, gradable) as summary.csv writes them
EXPECTED = {
    "alice": ("100", "100", "true"),  # the reference
    "bob": ("92.4343", "100", "true"),  # FIN_WAIT_1 / rcv FIN stays in FIN_WAIT_1
    "carol": ("92.4343", "100", "true"),  # the same mistake as bob
    "dave": ("96.7696", "100", "true"),  # TIME_WAIT never times out
    "eve": ("0", "100", "false"),  # does not load
    "frank": ("61.0796", "100", "true"),  # frank/tcp.rules: a two-way handshake
    "grace": ("0", "100", "false"),  # grace/: two files, neither tcp.rules
    "heidi": ("99.7222", "100", "true"),  # heidi/mine.rules, its only file: a row left out
}


def _mutant(name: str) -> str:
    return MUTANTS[name].edited(REF)


def _class(root: Path) -> Path:
    d = root / "submissions"
    d.mkdir()
    (d / "alice.rules").write_text(REF)
    (d / "bob.rules").write_text(_mutant("no-closing"))
    (d / "carol.rules").write_text(_mutant("no-closing"))
    (d / "dave.rules").write_text(_mutant("time-wait-forever"))
    (d / "eve.rules").write_text(REF.replace("| F17, 3.10.4", "| F17 | extra | columns", 1))
    (d / "frank").mkdir()
    (d / "frank" / "tcp.rules").write_text(_mutant("two-way-handshake"))
    (d / "grace").mkdir()
    (d / "grace" / "draft.rules").write_text(REF)
    (d / "grace" / "final.rules").write_text(REF)
    (d / "heidi").mkdir()
    (d / "heidi" / "mine.rules").write_text(_mutant("last-ack-silent"))
    (d / "heidi" / ".mine.rules.swp").write_text("junk")
    (d / ".DS_Store").write_text("junk")
    return d


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    a = root / "lab.toml"
    a.write_text(ASSIGNMENT)
    folder = _class(root)
    assignment = load_assignment(a)
    codes = {}
    for jobs in (1, 2):
        codes[jobs] = grade_folder(assignment, folder, root / f"out{jobs}", jobs=jobs)
    return root, codes


def _csv(out: Path) -> dict[str, dict]:
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_scores_pinned_in_summary_csv(graded):
    root, codes = graded
    rows = _csv(root / "out1")
    assert list(rows) == sorted(EXPECTED)  # hidden files skipped, sorted by id
    assert {k: (r["score"], r["max_score"], r["gradable"]) for k, r in rows.items()} == EXPECTED
    header = next(csv.reader(open(root / "out1" / "summary.csv", encoding="utf-8")))
    assert header[:6] == ["id", "score", "max_score", "gradable", "1. the table, cell by cell",
                          "2. behaviour in configuration 'seed'"]
    assert rows["bob"]["1. the table, cell by cell"] == "39.7222"  # 143 of 144 cells
    assert rows["alice"]["2. behaviour in configuration 'seed'"] == "20"
    # eve's table does not load and grace's folder has no single file: exit code 1 with 1 or 2 workers
    assert codes == {1: 1, 2: 1}


def test_every_student_has_a_result_file(graded):
    root, _ = graded
    out = root / "out1"
    pages = {p.stem for p in out.iterdir() if p.suffix in (".html", ".txt")} - {"summary"}
    assert pages == set(EXPECTED)
    for sid, (score, _, gradable) in EXPECTED.items():
        data = json.loads((out / f"{sid}.json").read_text(encoding="utf-8"))
        assert data["student"] == sid
        assert data["gradable"] is (gradable == "true")
        assert f"{data['score']:g}" == f"{float(score):g}"
    grace = json.loads((out / "grace.json").read_text(encoding="utf-8"))
    assert "no file called tcp.rules" in grace["tests"][0]["output"]
    assert "draft.rules, final.rules" in grace["tests"][0]["output"]
    assert json.loads((out / "heidi.json").read_text(encoding="utf-8"))["submission"].endswith("mine.rules")


def test_one_worker_and_two_write_the_same_bytes(graded):
    root, _ = graded
    one = {p.name: p.read_bytes() for p in (root / "out1").iterdir()}
    two = {p.name: p.read_bytes() for p in (root / "out2").iterdir()}
    assert sorted(one) == sorted(two)
    assert [n for n in one if one[n] != two[n]] == []


def _groups(html: str) -> list[str]:
    return html.split('<div class="group">')[1:]


def test_identical_mistakes_are_one_group(graded):
    root, _ = graded
    html = (root / "out1" / "summary.html").read_text(encoding="utf-8")
    groups = _groups(html)
    assert len(groups) == 4  # bob+carol, dave, frank, heidi (alice has full marks; eve, grace not graded)
    first = groups[0]
    assert "Group 1: 2 student(s), score 92.4343 / 100" in first
    assert ">bob</a>" in first and ">carol</a>" in first
    assert "FIN_WAIT_1 / rcv FIN" in first
    for g in groups[1:]:
        assert "1 student(s)" in g
        assert ">bob</a>" not in g and ">carol</a>" not in g
    assert sum(">dave</a>" in g for g in groups) == 1


def test_most_often_wrong_cells(graded):
    root, _ = graded
    html = (root / "out1" / "summary.html").read_text(encoding="utf-8")
    section = html.split("<h2>The cells most often wrong</h2>")[1].split("<h2>")[0]
    row = r'<tr><td class="nw">([A-Z_0-9]+)</td><td class="nw">([^<]+)</td><td class="n">(\d+)</td>'
    rows = re.findall(row, section)
    counts = {(s, e): int(n) for s, e, n in rows}
    assert counts == {("FIN_WAIT_1", "rcv FIN"): 2, ("TIME_WAIT", "timeout 2MSL"): 1,
                      ("LISTEN", "rcv SYN"): 1, ("LAST_ACK", "retransmission timeout"): 1}
    assert (rows[0][0], rows[0][1]) == ("FIN_WAIT_1", "rcv FIN")  # most often first
    assert "Over the 6 graded table(s)" in section
    assert "<script" not in html and "src=" not in html  # self-contained


def test_exit_codes_and_bad_usage(tmp_path, capsys):
    a = tmp_path / "lab.toml"
    a.write_text(ASSIGNMENT)
    assert main(["grade", "--assignment", str(a), str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("x")
    assert main(["grade", "--assignment", str(a), str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    # every submission graded (one with less than full marks): exit 0, even with OUT inside the folder
    d = tmp_path / "two"
    d.mkdir()
    (d / "alice.rules").write_text(REF)
    (d / "bob.rules").write_text(_mutant("time-wait-forever"))
    for _ in range(2):
        assert main(["grade", "--assignment", str(a), str(d), "--out", str(d / "graded"), "--jobs", "2"]) == 0
    assert list(_csv(d / "graded")) == ["alice", "bob"]
    assert "2 submission(s)" in capsys.readouterr().err


def test_discover_ids(tmp_path):
    for name in ("alice.rules", "alice.txt", "summary.rules", "bob.rules"):
        (tmp_path / name).write_text(REF)
    (tmp_path / "carol").mkdir()
    (tmp_path / "out").mkdir()
    subs = discover(tmp_path, "tcp.rules", skip=tmp_path / "out")
    assert [(s.student, s.stem) for s in subs] == [("alice.rules", "alice.rules"), ("alice.txt", "alice.txt"),
                                                   ("bob", "bob"), ("carol", "carol"),
                                                   ("summary", "student-summary")]
    carol = subs[3]
    assert carol.path is None and "holds no file" in carol.problem
    with pytest.raises(InputError):
        discover(tmp_path / "alice.rules", "tcp.rules")


def _flaky(original):
    def grade(prepared, path, student):
        if student == "slow":
            time.sleep(60)
        if student.startswith("<i>crash"):
            os._exit(7)
        return original(prepared, path, student)
    return grade


def test_a_hung_or_dead_worker_still_gives_a_result(tmp_path, monkeypatch):
    a = tmp_path / "lab.toml"
    a.write_text(ASSIGNMENT)
    d = tmp_path / "s"
    d.mkdir()
    for sid in ("alice", "slow", "<i>crash&", "zoe"):
        (d / f"{sid}.rules").write_text(REF)
    monkeypatch.setattr(batch, "_grade_one", _flaky(batch._grade_one))  # inherited by the forked workers
    monkeypatch.setattr(batch, "submission_budget", lambda prepared: 2.0)
    started = time.monotonic()
    code = grade_folder(load_assignment(a), d, tmp_path / "out", jobs=2)
    assert time.monotonic() - started < 30
    assert code == 1
    out = tmp_path / "out"
    rows = _csv(out)
    assert sorted(rows) == ["<i>crash&", "alice", "slow", "zoe"]
    assert rows["alice"]["score"] == rows["zoe"]["score"] == "100"  # graded by a worker forked afresh
    slow = json.loads((out / "slow.json").read_text(encoding="utf-8"))
    assert slow["score"] == 0 and {t["status"] for t in slow["tests"]} == {"unknown"}
    assert "longer than its budget of 2 s" in slow["tests"][0]["output"]
    crash = json.loads((out / "<i>crash&.json").read_text(encoding="utf-8"))
    assert {t["status"] for t in crash["tests"]} == {"error"}
    assert "exited with code 7" in crash["tests"][0]["output"]
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "<i>crash" not in html and "&lt;i&gt;crash&amp;" in html
    assert "timed out" in html and "grader failed" in html
