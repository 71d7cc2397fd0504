"""tcpcheck grade: a submission with no rows of its own is not gradable.

Found by grading a folder of uploads as an instructor would: with ``partial =
true``, an empty file (or one of comments only) loaded as a table of blanks,
so it was "graded", earned the points of every property that holds when
nothing ever happens (the four invariants, CLOSED reachable, the SYN_SENT
liveness: 7.50 of the example assignment's 100), and its 144 blank cells
filled the class summary's "cells most often wrong".  It is an upload gone
wrong, and the student is told so.
"""

from __future__ import annotations

import json

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.grade import Prepared, grade_file

ASSIGNMENT = '''\
title = "Lab E"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "run"
partial = true

[[configurations]]
name = "seed"
preset = "seed"

[[tests]]
kind = "rows"
points = 40

[[tests]]
kind = "behaviour"
configuration = "seed"
points = 30

[[tests]]
kind = "properties"
configuration = "seed"
properties = "all"
points = 30
'''

EMPTY = {"empty": "", "comments": "# my table\n\n   \n# (to do)\n", "blank": "\n\n\n"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    d = tmp_path_factory.mktemp("lab")
    (d / "lab.toml").write_text(ASSIGNMENT, encoding="utf-8")
    for name, text in EMPTY.items():
        (d / f"{name}.rules").write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def prepared(lab):
    return Prepared(load_assignment(lab / "lab.toml"))


def message(path) -> str:
    return (f"{path}: the table has no rows (the file is empty, or holds only comments and blank lines): "
            "upload the file with your rows")


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_a_table_without_rows_is_not_gradable_and_earns_nothing(lab, prepared, name):
    path = lab / f"{name}.rules"
    r = grade_file(prepared, path)
    assert (r.gradable, r.score, r.max_score) == (False, 0, 100)
    assert r.messages == [message(path)]
    assert r.tests[0].status == "failed" and r.tests[0].details == {"reason": "does-not-load"}
    assert r.tests[0].output == "Your table could not be read, so nothing else was graded:\n" + message(path)
    assert [t.score for t in r.tests] == [0] * len(r.tests)
    assert all(t.output == "not graded: your table does not load (see 'the table loads')" for t in r.tests[1:])


def test_a_table_with_one_row_is_still_graded_as_partial(lab, prepared):
    """The rule is about no rows at all: one row of the reference is a (poor) answer, graded."""
    path = lab / "one.rules"
    path.write_text("CLOSED | passive OPEN | create TCB | LISTEN | F1\n", encoding="utf-8")
    r = grade_file(prepared, path)
    assert r.gradable and 0 < r.score < 100


def test_the_platforms_get_the_message_and_a_zero(lab, capsys):
    path = lab / "empty.rules"
    out = lab / "results.json"
    code = main(["grade", "--assignment", str(lab / "lab.toml"), str(path), "--format", "gradescope", "-o", str(out)])
    capsys.readouterr()
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert code == 1
    assert (doc["score"], doc["extra_data"]["gradable"]) == (0.0, False)
    assert doc["tests"][0]["output"] == "Your table could not be read, so nothing else was graded:\n" + message(path)


def test_a_class_with_an_empty_upload_counts_it_not_gradable(lab, capsys):
    subs = lab / "subs"
    subs.mkdir()
    (subs / "empty.rules").write_text("", encoding="utf-8")
    (subs / "good.rules").write_text((lab / "one.rules").read_text(encoding="utf-8"), encoding="utf-8")
    code = main(["grade", "--assignment", str(lab / "lab.toml"), str(subs), "--out", str(lab / "graded")])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 submission(s)" in err and "1 graded, 1 not gradable, 0 not finished" in err
    rows = (lab / "graded" / "summary.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1].startswith("empty,0,100,false,")


def test_the_message_is_chinese_with_lang_zh(lab):
    text = ASSIGNMENT.replace('feedback = "run"', 'feedback = "run"\nlang = "zh"')
    (lab / "zh.toml").write_text(text, encoding="utf-8")
    r = grade_file(Prepared(load_assignment(lab / "zh.toml")), lab / "empty.rules")
    assert not r.gradable
    assert r.messages == [f"{lab / 'empty.rules'}：这张表没有任何规则行（文件是空的，或只有注释和空行）：请上传写有你的规则行的文件"]
