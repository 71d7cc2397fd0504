"""Property names given in Chinese are accepted wherever English ones are
(issue 11): diagram --highlight/--counterexample, a trace file's --property,
an assignment's properties test and a questions file's claim; a wrong name
in either language is refused with the name likely meant."""

from __future__ import annotations

import json
import tomllib

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.grading.assignment import AssignmentError, load_assignment
from tcpcheck.model.grading.questions import QuestionError, parse_questions
from tcpcheck.model.properties import PROPERTIES
from tcpcheck.model.report import result_json
from tcpcheck.model.table import load_table

from conftest import run_preset


def usage_error(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    return err.removeprefix("tcpcheck: error: ").removesuffix("\n")


def dot(capsys, *argv) -> str:
    assert main([*map(str, argv), "--format", "dot"]) == 0
    return capsys.readouterr().out


def test_highlight_in_chinese_is_the_english_property(capsys):
    english = dot(capsys, "diagram", "states", "--preset", "seed", "--highlight", "TIME_WAIT is reachable")
    assert dot(capsys, "diagram", "states", "--preset", "seed", "--highlight", "TIME_WAIT 可达") == english
    assert dot(capsys, "diagram", "states", "--preset", "seed", "--highlight", "TIME_WAIT可达") == english
    assert "highlighted: TIME_WAIT is reachable" in english


def test_counterexample_in_chinese_is_the_english_property(capsys):
    english = dot(capsys, "diagram", "trace", "--counterexample", "deadlock freedom")
    assert dot(capsys, "diagram", "trace", "--counterexample", "无死锁") == english
    assert "default: counterexample to 'deadlock freedom'" in english


def test_a_wrong_chinese_name_is_refused_with_the_name_meant(capsys):
    listed = "; ".join(p.name for p in PROPERTIES)
    assert usage_error(capsys, "diagram", "trace", "--counterexample", "无死所", "--format", "dot") == (
        f"unknown property '无死所'; did you mean '无死锁'? the properties are: {listed}")
    assert usage_error(capsys, "diagram", "states", "--highlight", "被动关闭方从不被重置", "--format", "dot") == (
        f"unknown property '被动关闭方从不被重置'; did you mean '被动关闭方从不被复位'? the properties are: {listed}")


def test_trace_file_property_in_chinese(tmp_path, capsys):
    f = tmp_path / "r.json"
    f.write_text(json.dumps(result_json(run_preset("default"))))
    english = dot(capsys, "diagram", "trace", "--file", f, "--property", "deadlock freedom")
    assert dot(capsys, "diagram", "trace", "--file", f, "--property", "无死锁") == english
    err = usage_error(capsys, "diagram", "trace", "--file", f, "--property", "无死所", "--format", "dot")
    assert err.startswith(f"{f}: no property named '无死所' with a counterexample or witness in this "
                          f"'tcpcheck check --json' output; did you mean '无死锁'? those with one: ")


ASSIGNMENT = '''\
title = "Lab"
kind = "table"
reference = "builtin:rfc9293"

[[configurations]]
name = "lossy"
preset = "default"

[[tests]]
kind = "properties"
configuration = "lossy"
points = 10
properties = [PROPS]
'''


def test_assignment_properties_in_chinese(tmp_path):
    p = tmp_path / "lab.toml"
    p.write_text(ASSIGNMENT.replace("PROPS", '"无死锁", "TIME_WAIT 可达", "every close completes"'), encoding="utf-8")
    (test,) = load_assignment(p).tests
    assert test.properties == ("deadlock freedom", "TIME_WAIT is reachable", "every close completes")
    p.write_text(ASSIGNMENT.replace("PROPS", '"无死所", "qqq"'), encoding="utf-8")
    with pytest.raises(AssignmentError) as e:
        load_assignment(p)
    assert e.value.errors == [
        f"{p}:13: unknown property '无死所'; did you mean '无死锁'?",
        f"{p}:13: unknown property 'qqq'; expected one of: " + ", ".join(q.name for q in PROPERTIES)]


def _claim(prop: str):
    text = ('[[questions]]\nid = "c"\nask = "claim"\npoints = 2\nconfiguration = "default"\n'
            f'property = "{prop}"\n')
    from tcpcheck.model.config import preset
    return parse_questions(tomllib.loads(text)["questions"], text, "lab.toml", {"default": preset("default")},
                           load_table())


def test_a_claim_in_chinese():
    (q,) = _claim("无死锁")
    assert q.property == "deadlock freedom" and q.expected["holds"] is False
    with pytest.raises(QuestionError) as e:
        _claim("无死所")
    assert e.value.errors == [
        "lab.toml:6: unknown property \"无死所\" (did you mean '无死锁'?); the properties are: "
        + "; ".join(p.name for p in PROPERTIES)]
