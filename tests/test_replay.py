"""Replaying a run written in the step language (grading.questions.replay and
replays, and diagram trace --file which checks a trace file with them):
ReplayError gives the reason and the possible steps apart, and a step whose
text fits steps to different states keeps every one of them (issue 11)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tcpcheck.model.checker import build
from tcpcheck.model.cli import main
from tcpcheck.model.config import preset
from tcpcheck.model.explorer import find_path
from tcpcheck.model.grading.questions import ReplayError, replay, replays, step_text
from tcpcheck.model.report import trace_json
from tcpcheck.model.tcb import describe_segment

#: both open actively; a FIFO channel that loses and duplicates, room for three in flight
CONFIG = 'preset = "simultaneous-open"\n[network]\nreordering = false\nduplication = true\ncapacity = 4\n'
R, S = "<SEQ=0><ACK=101><CTL=RST,ACK>", "<SEQ=300><CTL=SYN>"
LOSE_R = f"network loses {R} (B->A)"


@pytest.fixture(scope="module")
def model():
    return build(replace(preset("simultaneous-open"), reordering=False, duplication=True, capacity=4))


@pytest.fixture(scope="module")
def to_rsr(model):
    """The shortest run after which B->A holds R, S, R: B, CLOSED, resets A's SYN, opens, closes, resets its copy."""
    path = find_path(model, lambda s, n: len(s.net_BA) == 3 and s.net_BA[0] == s.net_BA[2] != s.net_BA[1])
    texts = [step_text(st) for st, _ in path[1:]]
    assert texts == ["A: active OPEN", "network duplicates <SEQ=100><CTL=SYN> (A->B)",
                     "B receives <SEQ=100><CTL=SYN>", "B: active OPEN", "B: CLOSE", "B receives <SEQ=100><CTL=SYN>"]
    assert [describe_segment(x) for x in path[-1][1].net_BA] == [R, S, R]
    return texts


def flight(run) -> list[str]:
    return [describe_segment(x) for x in run.path[-1][1].net_BA]


def test_losing_either_of_two_equal_segments_keeps_both_states(model, to_rsr):
    runs = replays(model, to_rsr + [LOSE_R])
    assert [flight(r) for r in runs] == [[S, R], [R, S]]
    # the next arrival tells which: R can arrive only if the last R was lost
    run = replay(model, to_rsr + [LOSE_R, f"A receives {R}"])
    assert run.texts[-1] == f"A receives {R}" and run.path[-1][1].A.state == "CLOSED" and flight(run) == [S]
    run = replay(model, to_rsr + [LOSE_R, f"A receives {S}"])
    assert run.path[-1][1].A.state == "SYN_RCVD" and flight(run) == [R]
    # losing both comes to one state
    assert [flight(r) for r in replays(model, to_rsr + [LOSE_R, LOSE_R])] == [[S]]


def test_a_step_no_run_can_take_gives_its_reason_and_the_possible_steps_apart(model, to_rsr):
    with pytest.raises(ReplayError) as e:
        replay(model, to_rsr + [LOSE_R] * 3)
    assert (e.value.index, e.value.text) == (9, LOSE_R)
    assert e.value.reason == f"{R} is not in flight B->A (in flight B->A: {S})"
    assert e.value.possible == ["A: CLOSE", f"A receives {S}", f"network loses {S} (B->A)",
                                f"network duplicates {S} (B->A)"]
    assert str(e.value) == f"step 9 '{LOSE_R}': {e.value.reason}; possible steps here: " + "; ".join(e.value.possible)
    with pytest.raises(ReplayError) as e:  # unreadable: no list of possible steps
        replay(model, ["A: fly"])
    assert e.value.possible is None and "possible steps" not in str(e.value)


def test_nothing_possible_is_an_empty_list():
    from tcpcheck.model.scenarios import scenario_path

    cfg, table, path = scenario_path("seed")  # ends with both CLOSED, nothing in flight
    seed = build(cfg, table)
    with pytest.raises(ReplayError) as e:
        replay(seed, [step_text(st) for st, _ in path[1:]] + ["A: CLOSE"])
    assert e.value.possible == [] and str(e.value).endswith("; nothing can happen here any more")


def test_a_trace_file_that_loses_the_last_copy_is_accepted(tmp_path, capsys, model, to_rsr):
    (tmp_path / "c.toml").write_text(CONFIG)
    run = replay(model, to_rsr + [LOSE_R, f"A receives {R}"])
    f = tmp_path / "t.json"
    f.write_text(json.dumps(trace_json(run.path, model.table)))
    assert main(["diagram", "trace", "--file", str(f), "--config", str(tmp_path / "c.toml"), "--format", "dot"]) == 0
    assert "digraph" in capsys.readouterr().out
    # the file that says B->A then holds R (it holds S) is refused at that step
    steps = json.loads(f.read_text())
    steps[-1]["A"]["state"] = "SYN_RCVD"
    f.write_text(json.dumps(steps))
    assert main(["diagram", "trace", "--file", str(f), "--config", str(tmp_path / "c.toml"), "--format", "dot"]) == 2
    assert capsys.readouterr().err == (f"tcpcheck: error: {f}: step 8: after 'A receives {R}' the model has A in "
                                       f"CLOSED, not SYN_RCVD\n")


def test_a_trace_file_step_the_model_cannot_take_lists_what_it_can(tmp_path, capsys, model, to_rsr):
    (tmp_path / "c.toml").write_text(CONFIG)
    run = replay(model, to_rsr + [LOSE_R, LOSE_R])
    steps = trace_json(run.path, model.table)
    steps.append(dict(steps[-1]))  # a third loss of R
    f = tmp_path / "t.json"
    f.write_text(json.dumps(steps))
    assert main(["diagram", "trace", "--file", str(f), "--config", str(tmp_path / "c.toml"), "--format", "dot"]) == 2
    assert capsys.readouterr().err == (
        f"tcpcheck: error: {f}: step 9: '{LOSE_R}' is not a step the model can take: {R} is not in flight B->A "
        f"(in flight B->A: {S}); from this state the model can: A: CLOSE; A receives {S}; network loses {S} "
        f"(B->A); network duplicates {S} (B->A)\n")
