"""'Did you mean': a mistyped name in a configuration file, a scenario, an
experiment, a property or a trace file is answered with the name most likely
meant, and a name like no known one with the list alone (issue 11)."""

from __future__ import annotations

import pytest

from tcpcheck.model.config import ConfigError, parse_config

NETWORK = "expected capacity, loss, duplication, reordering or loss_budget"
TOP = "expected one of A, B, iss_step, network, preset, profile, rcv_wnd, rules, timers"
ENDPOINT = ("expected one of abort, close_in, data, foreign_socket, iss, iss_step, open, opened, opens, "
            "reaches, retransmissions")


@pytest.mark.parametrize("text, message", [
    ("[network]\ncapasity = 2\n", f"2: unknown key 'capasity' in [network]; did you mean 'capacity'? {NETWORK}"),
    ("\npresett = 'seed'\n", f"2: unknown key 'presett'; did you mean 'preset'? {TOP}"),
    ("netwrk.capacity = 2\n", f"1: unknown key 'netwrk'; did you mean 'network'? {TOP}"),
    ("[A]\niss = 1\n\nisss = 1\n", f"4: unknown key 'isss' in [A]; did you mean 'iss'? {ENDPOINT}"),
    ("[timers]\ntime_wait_outlast_rto = true\n",
     "2: unknown key 'time_wait_outlast_rto' in [timers]; did you mean 'time_wait_outlasts_rto'? "
     "expected time_wait_outlasts_rto or time_wait_waits_for_network"),
    ("[B]\nopen = 'pasive'\n", "2: open must be one of active, passive, none, not 'pasive'; did you mean 'passive'?"),
    # nothing like a known name: the list alone
    ("[network]\nxyz = 1\n", f"2: unknown key 'xyz' in [network]; {NETWORK}"),
    ("[A]\nopen = 'sideways'\n", "2: open must be one of active, passive, none, not 'sideways'"),
    ("[A]\nopen = 3\n", "2: open must be one of active, passive, none, not 3"),
    # a TOML error's own line (tomllines.error_line)
    ("[A]\niss = 1\niss = = 2\n", "3: not valid TOML: Invalid value (at line 3, column 7)"),
])
def test_config_did_you_mean(text, message):
    with pytest.raises(ConfigError) as e:
        parse_config(text, "c.toml")
    assert str(e.value) == f"c.toml:{message}"


# --- scenarios, experiments ------------------------------------------------------------

import doctest  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

from tcpcheck.model.cli import main  # noqa: E402
from tcpcheck.model.errors import InputError, UnknownName  # noqa: E402
from tcpcheck.model.experiments import experiment_name, run_experiment  # noqa: E402
from tcpcheck.model.report import result_json  # noqa: E402
from tcpcheck.model.scenarios import scenario_path  # noqa: E402

from conftest import run_preset  # noqa: E402

SCENARIO_LIST = "known scenarios: seed, simultaneous-open, simultaneous-close, lost-final-ack"
EXPERIMENT_LIST = ("known experiments: handshake, half-close, active-passive, fin-sequence, closed-listen, "
                   "syn-rcvd-held, syn-sent, fin-wait, time-wait-shortcut, closing, last-ack, three-vs-four, "
                   "time-wait-reason (or their ids, EXP1-EXP13)")


def usage_error(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    return err.removeprefix("tcpcheck: error: ").removesuffix("\n")


@pytest.mark.parametrize("module", ["tcpcheck.model.errors", "tcpcheck.model.scenarios",
                                    "tcpcheck.model.experiments"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_scenario_path_suggests():
    with pytest.raises(UnknownName) as e:
        scenario_path("lost-final-acks")
    assert str(e.value) == f"unknown scenario 'lost-final-acks'; did you mean 'lost-final-ack'? {SCENARIO_LIST}"
    assert isinstance(e.value, KeyError) and isinstance(e.value, InputError)
    with pytest.raises(UnknownName, match=f"^unknown scenario 'xyz'; {SCENARIO_LIST}$"):
        scenario_path("xyz")


def test_experiment_names_ids_and_suggestions():
    assert experiment_name("EXP13") == experiment_name("exp13") == "time-wait-reason"
    assert run_experiment("EXP1").verdict == run_experiment("handshake").verdict == "confirmed"
    with pytest.raises(UnknownName) as e:
        run_experiment("time-wait-reasn")
    assert str(e.value) == f"unknown experiment 'time-wait-reasn'; did you mean 'time-wait-reason'? {EXPERIMENT_LIST}"
    with pytest.raises(KeyError, match=f"^unknown experiment 'EXP14'; did you mean 'EXP4'\\? "):
        run_experiment("EXP14")
    with pytest.raises(KeyError, match=f"^unknown experiment 'xyz'; known experiments: handshake, "):
        run_experiment("xyz")


def test_experiment_command_suggests(capsys):
    assert usage_error(capsys, "experiment", "handshak") == (
        f"unknown experiment 'handshak'; did you mean 'handshake'? {EXPERIMENT_LIST}")
    assert usage_error(capsys, "experiment", "nothing-like-it") == f"unknown experiment 'nothing-like-it'; {EXPERIMENT_LIST}"


def test_diagram_trace_scenario_suggests(capsys):
    assert usage_error(capsys, "diagram", "trace", "sed", "--format", "dot") == (
        f"unknown scenario 'sed'; did you mean 'seed'? {SCENARIO_LIST}")
    assert usage_error(capsys, "diagram", "trace", "qqq", "--format", "dot") == f"unknown scenario 'qqq'; {SCENARIO_LIST}"


SEED_PROPERTIES = ("no acknowledgment of unsent data; RCV.NXT within the peer's sent range; SND.UNA within "
                   "[ISS, SND.NXT]; ESTABLISHED only on the peer's current SYN; the passive closer is never "
                   "reset; CLOSED is reachable; LISTEN is reachable; SYN_SENT is reachable; SYN_RCVD is "
                   "reachable; ESTABLISHED is reachable; FIN_WAIT_1 is reachable; FIN_WAIT_2 is reachable; "
                   "CLOSING is reachable; TIME_WAIT is reachable; CLOSE_WAIT is reachable; LAST_ACK is "
                   "reachable; deadlock freedom; every close completes; SYN_SENT leads to ESTABLISHED or CLOSED")


@pytest.mark.parametrize("option", ["--highlight", "--counterexample"])
def test_diagram_property_suggests(capsys, option):
    command = "states" if option == "--highlight" else "trace"
    assert usage_error(capsys, "diagram", command, "--preset", "seed", option, "CLOSING is reachble",
                       "--format", "dot") == (
        f"unknown property 'CLOSING is reachble'; did you mean 'CLOSING is reachable'? the properties are: "
        f"{SEED_PROPERTIES}")
    assert usage_error(capsys, "diagram", command, "--preset", "seed", option, "qqq", "--format", "dot") == (
        f"unknown property 'qqq'; the properties are: {SEED_PROPERTIES}")
    # an id names a property too
    assert main(["diagram", command, "--preset", "seed", option, "REACH-TIME_WAIT", "--format", "dot"]) == 0
    assert "TIME_WAIT is reachable" in capsys.readouterr().out


def _seed_report(tmp_path, change=None):
    data = result_json(run_preset("seed"))
    if change:
        change(data)
    f = tmp_path / "r.json"
    f.write_text(json.dumps(data))
    return f


WITH_ONE = ("those with one: CLOSED is reachable; LISTEN is reachable; SYN_SENT is reachable; SYN_RCVD is "
            "reachable; ESTABLISHED is reachable; FIN_WAIT_1 is reachable; FIN_WAIT_2 is reachable; "
            "TIME_WAIT is reachable; CLOSE_WAIT is reachable; LAST_ACK is reachable")


def test_trace_file_property_suggests(tmp_path, capsys):
    f = _seed_report(tmp_path)
    head = f"{f}: no property named '{{}}' with a counterexample or witness in this 'tcpcheck check --json' output; "
    assert usage_error(capsys, "diagram", "trace", "--file", f, "--property", "TIME_WAIT is reachble",
                       "--format", "dot") == (
        head.format("TIME_WAIT is reachble") + f"did you mean 'TIME_WAIT is reachable'? {WITH_ONE}")
    # CLOSING is never reached in seed: no witness to draw, and no suggestion of another property
    assert usage_error(capsys, "diagram", "trace", "--file", f, "--property", "CLOSING is reachable",
                       "--format", "dot") == head.format("CLOSING is reachable") + WITH_ONE


def _set(where, key, value):
    def change(data):
        target = data["config"] if where is None else data["config"][where]
        target[key] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_set(None, "capasity", 2), "'config': unknown setting 'capasity'; did you mean 'capacity'? the settings "
     "are those 'tcpcheck check --json' writes: A, B, capacity, duplication, loss, loss_budget, rcv_wnd, "
     "reordering, rules, time_wait_outlasts_rto, time_wait_waits_for_network"),
    (_set(None, "zzz", 2), "'config': unknown setting 'zzz'; the settings are those 'tcpcheck check --json' "
     "writes: A, B, capacity, duplication, loss, loss_budget, rcv_wnd, reordering, rules, "
     "time_wait_outlasts_rto, time_wait_waits_for_network"),
    (_set("A", "isss", 2), "'config' is not a configuration tcpcheck can check: unknown key 'isss' in [A]; did "
     f"you mean 'iss'? {ENDPOINT}"),
])
def test_trace_file_config_suggests(tmp_path, capsys, change, message):
    f = _seed_report(tmp_path, change)
    assert usage_error(capsys, "diagram", "trace", "--file", f, "--format", "dot") == f"{f}: {message}"


def test_trace_file_kind_suggests(tmp_path, capsys):
    steps = result_json(run_preset("seed"))["properties"]
    steps = next(q for q in steps if q["name"] == "ESTABLISHED is reachable")["witness"]
    f = tmp_path / "t.json"
    for kind, hint in (("rvc", "; did you mean 'rcv'?"), ("send", "")):
        steps[1]["kind"] = kind
        f.write_text(json.dumps(steps))
        assert usage_error(capsys, "diagram", "trace", "--file", f, "--preset", "seed", "--format", "dot") == (
            f"{f}: step 1: 'kind' must be one of call, timer, rcv, lose, duplicate, not '{kind}'{hint}")
