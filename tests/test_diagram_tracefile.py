"""``diagram trace --file``: a trace file is a run of the model, or it is refused.

Every trace here comes from a real check (``check --json`` output, made in
process by :func:`~tcpcheck.model.report.result_json`), and each broken one is
that trace with one thing changed: the test says at which step it must be
refused, and with what message.  The command line is run in-process.
"""

from __future__ import annotations

import copy
import functools
import json
import re

import pytest

from tcpcheck.model.checker import run
from tcpcheck.model.cli import main
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.report import result_json

from conftest import run_preset


def usage_error(capsys, argv, pattern):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert "internal error" not in err and "Traceback" not in err
    assert re.fullmatch(f"tcpcheck: error: {pattern}\n", err), err
    return err


def draw(capsys, *argv) -> str:
    code = main(["diagram", "trace", *map(str, argv), "--format", "dot"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@functools.lru_cache(maxsize=None)
def report(name: str) -> str:
    """``tcpcheck check --preset NAME --json`` as text."""
    return json.dumps(result_json(run_preset(name)), indent=2)


@functools.lru_cache(maxsize=None)
def mutant_report(name: str) -> str:
    """``tcpcheck check --mutant NAME --json`` as text."""
    cfg, table = apply_mutant(name, mutant_config(name))
    return json.dumps(result_json(run(cfg, table)), indent=2)


def prop(text: str, name: str) -> dict:
    return next(q for q in json.loads(text)["properties"] if q["name"] == name)


def seed_witness() -> list[dict]:
    """The seed preset's witness of 'ESTABLISHED is reachable': OPEN, SYN, SYN,ACK, ACK (4 steps)."""
    return copy.deepcopy(prop(report("seed"), "ESTABLISHED is reachable")["witness"])


def write(tmp_path, data, name="t.json"):
    f = tmp_path / name
    f.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return f


def arrows(dot: str) -> list[str]:
    return re.findall(r'id="seg\d+"', dot)


# --- what is accepted ------------------------------------------------------------------


def test_a_real_counterexample_is_accepted_and_drawn_in_its_recorded_configuration(tmp_path, capsys):
    f = write(tmp_path, report("default"))
    dot = draw(capsys, "--file", f, "--property", "deadlock freedom")
    # SYN, SYN,ACK, B's FIN, two ACKs, the data a full channel drops, its retransmission
    assert len(arrows(dot)) == 7
    assert "default: counterexample to 'deadlock freedom'" in dot


def test_segments_as_strings_and_as_objects_are_accepted(tmp_path, capsys):
    """Segments as segment_json's objects, {"text", "SEQ", "ACK", "CTL", "LEN"}, and as their text."""
    objects, strings = seed_witness(), seed_witness()
    assert objects[2]["segment"]["CTL"] == ["SYN"]
    for st in strings[1:]:
        st["sent"] = [s["text"] for s in st["sent"]]
        st["dropped"] = [s["text"] for s in st["dropped"]]
        st["segment"] = st["segment"] and st["segment"]["text"]
    assert strings[2]["segment"] == "<SEQ=4294967294><CTL=SYN>"
    as_objects = draw(capsys, "--file", write(tmp_path, objects), "--preset", "seed")
    as_strings = draw(capsys, "--file", write(tmp_path, strings, "s.json"), "--preset", "seed")
    assert len(arrows(as_objects)) == 3
    assert as_objects.replace("t.json", "s.json") == as_strings


def test_a_hand_written_trace_is_checked_in_the_preset_given(tmp_path, capsys):
    steps = seed_witness()
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--format", "dot"],
                r".*t\.json: step 0: configuration 'default' starts with B in CLOSED, not LISTEN "
                r"\(--preset or --config checks the trace in another configuration\)")
    assert len(arrows(draw(capsys, "--file", write(tmp_path, steps), "--preset", "seed"))) == 3


def test_a_seed_report_is_checked_in_seed_without_being_told(tmp_path, capsys):
    f = write(tmp_path, report("seed"))
    dot = draw(capsys, "--file", f, "--property", "ESTABLISHED is reachable")
    assert "seed: witness of 'ESTABLISHED is reachable'" in dot
    # and in another configuration it is not a run: default's server starts CLOSED
    usage_error(capsys, ["diagram", "trace", "--file", f, "--property", "ESTABLISHED is reachable",
                         "--preset", "default", "--format", "dot"],
                r".*t\.json: step 0: configuration 'default' starts with B in CLOSED, not LISTEN .*")


def test_a_mutants_lasso_is_checked_with_the_mutant_and_its_cycle_framed(tmp_path, capsys):
    text = mutant_report("time-wait-forever")
    q = prop(text, "every close completes")
    assert q["cycle_from"] == 10 and len(q["counterexample"]) == 12
    dot = draw(capsys, "--file", write(tmp_path, text))
    assert "// steps 11-11 repeat for ever" in dot
    assert 'label="step 11 repeats\\rfor ever\\r"' in dot
    # without the mutant, TIME_WAIT's 2MSL leads to CLOSED: the cycle is not a run of RFC 9293
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, text), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 11: after 'A: timeout 2MSL' the model has A in CLOSED, not TIME_WAIT")


def test_a_cycle_that_does_not_come_back_is_refused(tmp_path, capsys):
    data = json.loads(mutant_report("time-wait-forever"))
    q = next(q for q in data["properties"] if q["name"] == "every close completes")
    q["cycle_from"] = 9
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, data), "--format", "dot"],
                r".*t\.json: the steps after step 9 are to repeat for ever \('cycle_from'\), but step 11 "
                r"does not come back to the state of step 9")
    q["cycle_from"] = 12
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, data), "--format", "dot"],
                r".*t\.json: 'cycle_from' must be a step number from 0 to 11, not 12")


# --- what is refused, at the right step ----------------------------------------------------


def test_a_segment_with_syn_fin_and_rst_is_refused_where_it_is_sent(tmp_path, capsys):
    steps = seed_witness()
    steps[1]["sent"] = ["<SEQ=4294967294><CTL=SYN,FIN,RST>"]
    steps[2]["segment"] = "<SEQ=4294967294><CTL=SYN,FIN,RST>"
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 1: after 'A: active OPEN' the model has sent <SEQ=4294967294><CTL=SYN>, "
                r"not <SEQ=4294967294><CTL=SYN,FIN,RST>")


def test_a_segment_with_syn_fin_and_rst_is_refused_where_it_arrives(tmp_path, capsys):
    steps = seed_witness()
    steps[2]["segment"] = "<SEQ=4294967294><CTL=SYN,FIN,RST>"
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 2: 'B receives <SEQ=4294967294><CTL=SYN,FIN,RST>' is not a step the model "
                r"can take: <SEQ=4294967294><CTL=SYN,FIN,RST> is not in flight to B \(in flight to B: "
                r"<SEQ=4294967294><CTL=SYN>\); from this state the model can: B receives <SEQ=4294967294><CTL=SYN>")


def test_a_state_the_previous_step_cannot_reach_is_refused(tmp_path, capsys):
    steps = seed_witness()
    steps[2]["B"]["state"] = "ESTABLISHED"  # LISTEN on a SYN goes to SYN_RCVD
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 2: after 'B receives <SEQ=4294967294><CTL=SYN>' the model has B in SYN_RCVD, "
                r"not ESTABLISHED")


def test_a_tcb_variable_the_step_does_not_give_is_refused(tmp_path, capsys):
    steps = seed_witness()
    steps[3]["A"]["RCV.NXT"] = 300  # the SYN,ACK's SYN takes one sequence number: 301
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 3: after 'A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>' the model has "
                r"A with RCV.NXT=301, not 300")


def test_a_reply_to_a_segment_never_sent_is_refused(tmp_path, capsys):
    steps = seed_witness()
    # A receives the SYN,ACK before B has received the SYN, let alone answered it
    steps[2] = {**steps[3], "step": 2}
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 2: 'A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>' is not a step the model "
                r"can take: nothing is in flight to A; from this state the model can: "
                r"B receives <SEQ=4294967294><CTL=SYN>")


def test_the_events_of_an_arrival_must_be_the_models(tmp_path, capsys):
    steps = seed_witness()
    steps[2]["event"] = "rcv ACK"
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: step 2: the model makes 'rcv SYN' of 'B receives <SEQ=4294967294><CTL=SYN>', "
                r"not 'rcv ACK'")


@pytest.mark.parametrize("change, message", [
    ({"kind": "send"}, r"step 1: 'kind' must be one of call, timer, rcv, lose, duplicate, not 'send'"),
    ({"actor": "network"}, r"step 1: 'actor' of a call step must be A or B, not 'network'"),
    ({"event": None}, r"step 1: a call step names its 'event', e.g. CLOSE"),
    ({"kind": "lose", "actor": "network", "event": "A-B"},
     r"step 1: the 'event' of a lose step is its direction, A->B or B->A"),
    ({"kind": "rcv", "event": "rcv SYN"}, r"step 1: a rcv step names its 'segment'"),
])
def test_a_step_that_cannot_be_read_as_one_names_its_field(tmp_path, capsys, change, message):
    steps = seed_witness()
    steps[1].update(change)
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, steps), "--preset", "seed", "--format", "dot"],
                r".*t\.json: " + message)


def test_a_recorded_configuration_that_cannot_be_checked_is_refused(tmp_path, capsys):
    data = json.loads(report("seed"))
    data["config"]["capacity"] = 99
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, data), "--format", "dot"],
                r".*t\.json: 'config' is not a configuration tcpcheck can check: capacity must be an "
                r"integer from 1 to 8, not 99")
    data["config"]["capacity"] = {"deep": [1]}
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, data), "--format", "dot"],
                r".*t\.json: 'config': capacity must be a number, a string, true, false or a list, "
                r"not \{\"deep\": \[1\]\}")
    data["config"] = "seed"
    usage_error(capsys, ["diagram", "trace", "--file", write(tmp_path, data), "--format", "dot"],
                r".*t\.json: 'config' must be the configuration object 'tcpcheck check --json' writes; "
                r"or say which to check the trace in with --preset or --config")
    # --preset checks it anyway, in the preset
    assert len(arrows(draw(capsys, "--file", write(tmp_path, data), "--preset", "seed",
                           "--property", "ESTABLISHED is reachable"))) == 3
