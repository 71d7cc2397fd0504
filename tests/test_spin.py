"""``tcpcheck check --engine spin`` and ``bench --vs spin`` (model/spin.py, issue 13).

SPIN decides the safety properties on the generated Promela; each violation's
trail is read back into the model's own states and steps, so the
counterexample is a run of tcpcheck's model (checked here step by step),
printed and drawn by the same code as the other engines'.  Skipped where
``spin`` or ``gcc`` is absent, except the test that their absence is a clear
error (exit 2).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tcpcheck.model import spin
from tcpcheck.model.checker import build, run
from tcpcheck.model.cli import main
from tcpcheck.model.config import preset
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.properties import path_of

HAVE = bool(shutil.which("spin") and shutil.which("gcc"))
needs_spin = pytest.mark.skipif(not HAVE, reason="needs spin and gcc (apt-get install spin gcc)")

CHECKED = ["INV1", "INV2", "INV3", "INV4", "STEP1", "DEAD1"]


def _mutant(name):
    return apply_mutant(name, mutant_config(name))


def _verdicts(r):
    return {v.id: v.verdict for v in r.verdicts}


def _is_a_run(r, v) -> list:
    """The counterexample of ``v`` replayed on a fresh model: each step one of its
    successors, from its initial state; returns the steps' (actor, kind, event)."""
    m = build(r.config, r.table)
    path = path_of(r.exploration, v)
    s = m.initial_states()[0]
    assert m.decode(s) == path[0][1]
    out = []
    for step, state in path[1:]:
        nxt = [t for label, t in m.successors(s) if m.step(label) == step and m.decode(t) == state]
        assert nxt, (step, state)
        s = nxt[0]
        out.append((step.actor, step.kind, step.event))
    return out


@needs_spin
def test_a_mutant_whose_invariant_spin_refutes_gives_a_run_of_the_model():
    cfg, table = _mutant("fin-no-seq")
    r = spin.check(cfg, table)
    bfs = run(cfg, table)
    v = {x.id: x for x in r.verdicts}
    # the same verdicts as the breadth-first search on every property SPIN checks
    assert {k: _verdicts(r)[k] for k in CHECKED} == {k: _verdicts(bfs)[k] for k in CHECKED} == {
        "INV1": "violated", "INV2": "violated", "INV3": "holds", "INV4": "holds", "STEP1": "holds", "DEAD1": "holds"}
    assert r.pan.states == len(bfs.exploration.states) == 30 and r.runs == 3
    # SPIN's trail (depth first, 7 steps) is not BFS's shortest (6 steps, to another violating state),
    # but it is a run of the model
    assert len(path_of(r.exploration, v["INV1"])) - 1 == 7
    assert len(path_of(bfs.exploration, next(x for x in bfs.verdicts if x.id == "INV1"))) - 1 == 6
    assert _is_a_run(r, v["INV1"]) == [
        ("A", "call", "active OPEN"), ("B", "rcv", "rcv SYN"), ("A", "rcv", "rcv SYN,ACK"), ("A", "call", "CLOSE"),
        ("B", "rcv", "rcv ACK of SYN"), ("B", "call", "CLOSE"), ("A", "rcv", "rcv ACK; rcv FIN")]
    assert v["INV1"].detail == "A.RCV.NXT=302 acknowledges beyond B.SND.NXT=301"
    assert v["INV1"].detail == next(p for p in __import__("tcpcheck.model.properties", fromlist=["x"]).PROPERTIES
                                    if p.id == "INV1").test(path_of(r.exploration, v["INV1"])[-1][1])
    # reachability and liveness are not checked by SPIN, and say so
    assert {x.verdict for x in r.verdicts if x.kind in ("reachability", "liveness")} == {"not checked"}


@needs_spin
def test_the_step_property_and_the_deadlock_on_default():
    r = spin.check(preset("default"))
    assert r.pan.states == 28817 and r.runs == 3
    assert {k: _verdicts(r)[k] for k in CHECKED} == {
        "INV1": "holds", "INV2": "holds", "INV3": "holds", "INV4": "holds", "STEP1": "violated", "DEAD1": "violated"}
    v = {x.id: x for x in r.verdicts}
    dead = _is_a_run(r, v["DEAD1"])
    m = build(preset("default"))
    end = path_of(r.exploration, v["DEAD1"])[-1][1]
    assert not m.successors(m.encode(end))  # a state without successors ...
    assert str(v["DEAD1"].detail).startswith("stuck with ")  # ... and not an acceptable end
    assert dead and str(v["STEP1"].detail).endswith("is reset by <SEQ=302><CTL=RST>")
    last = path_of(r.exploration, v["STEP1"])[-1]
    assert last[0].kind == "rcv" and last[0].segment.RST and last[1].A.state == "CLOSED"
    _is_a_run(r, v["STEP1"])


@needs_spin
def test_two_cores_and_bitstate_give_the_same_verdicts():
    cfg, table = _mutant("two-way-handshake")
    one = spin.check(cfg, table)
    two = spin.check(cfg, table, cores=2)
    bits = spin.check(cfg, table, bitstate=True)
    assert _verdicts(one) == _verdicts(two) == _verdicts(bits)
    assert {k: _verdicts(one)[k] for k in ("INV1", "INV4")} == {"INV1": "violated", "INV4": "violated"}
    assert one.pan.states == two.pan.states == bits.pan.states == 232
    assert "-DNCORE=2" in two.flags and "-DBITSTATE" in bits.flags
    for r in (two, bits):
        for v in r.verdicts:
            if v.verdict == "violated":
                _is_a_run(r, v)
    text = "\n".join(spin.lines(bits))
    assert "states may be missed, so a 'holds' is not a proof" in text
    assert "Coverage: exhaustive" in "\n".join(spin.lines(one))


@needs_spin
def test_the_command_prints_json_that_diagram_trace_draws(tmp_path, capsys):
    assert main(["check", "--engine", "spin", "--mutant", "no-time-wait", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "check-spin" and doc["coverage"] == "exhaustive" and doc["states"] == 165
    props = {p["id"]: p for p in doc["properties"]}
    assert props["STEP1"]["verdict"] == "violated" and props["STEP1"]["shortest"] is False
    assert props["LIVE1"] == {**props["LIVE1"], "verdict": "not checked", "detail": "not checked by this engine"}
    steps = props["STEP1"]["counterexample"]
    assert steps[-1]["kind"] == "rcv" and steps[-1]["B"]["state"] == "CLOSED"
    f = tmp_path / "spin.json"
    f.write_text(json.dumps(doc))
    assert main(["diagram", "trace", "--file", str(f), "-o", str(tmp_path / "t.svg")]) == 0
    svg = (tmp_path / "t.svg").read_text()
    assert "the passive closer is never reset" in svg and "LAST_ACK" in svg
    capsys.readouterr()
    assert main(["check", "--engine", "spin", "--mutant", "no-time-wait"]) == 1
    out = capsys.readouterr().out
    assert "Result: 1 of 6 checked properties violated; 13 not checked by this engine" in out
    assert "a depth-first path, not necessarily the shortest" in out


def test_options_of_the_spin_engine_are_refused_elsewhere(capsys):
    assert main(["check", "--preset", "seed", "--bitstate"]) == 2
    assert "--spin-cores and --bitstate are options of --engine spin" in capsys.readouterr().err
    assert main(["check", "--preset", "seed", "--engine", "spin", "--max-states", "5"]) == 2
    assert "--max-states and --stop-at-first are for the tcpcheck engines" in capsys.readouterr().err


def test_without_spin_or_gcc_on_path_exit_2_with_an_install_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: neither spin nor gcc
    assert main(["check", "--preset", "seed", "--engine", "spin"]) == 2
    err = capsys.readouterr().err
    assert err == ("tcpcheck: error: SPIN needs spin and gcc on PATH, which are not there "
                   "(Debian/Ubuntu: apt-get install spin gcc)\n")
    assert main(["bench", "--vs", "spin", "--configs", "default"]) == 2
    assert "apt-get install spin gcc" in capsys.readouterr().err


def test_a_bench_configuration_that_is_not_there_is_named(capsys):
    if not HAVE:
        pytest.skip("needs spin and gcc")
    assert main(["bench", "--vs", "spin", "--configs", "defualt"]) == 2
    assert "no configuration 'defualt'; did you mean 'default'?" in capsys.readouterr().err


@needs_spin
def test_bench_vs_spin_counts_the_same_and_prints_the_ratios(capsys):
    assert main(["bench", "--vs", "spin", "--configs", "seed,reliable", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "bench-spin" and doc["counts_equal"] is True
    assert [(r["config"], r["states"], r["spin"]["states"], r["equal"]) for r in doc["rows"]] == [
        ("seed", 14, 14, True), ("reliable", 307, 307, True)]
    for r in doc["rows"]:
        assert r["spin"]["flags"] == ["-O2", "-DNOREDUCE", "-DSAFETY"] and r["spin"]["state_vector_bytes"] > 0
        assert r["memory_ratio"] == pytest.approx(r["tcpcheck"]["bytes_per_state"] / r["spin"]["state_vector_bytes"])
    assert main(["bench", "--vs", "spin", "--configs", "seed"]) == 0
    out = capsys.readouterr().out
    assert "target at seed: tcpcheck's states/s at least SPIN's: " in out
    assert "bytes/state at most SPIN's state vector: " in out


@needs_spin
def test_bench_fails_when_the_counts_differ(monkeypatch, capsys):
    """Broken: the Promela given to SPIN lets the timers expire with segments in flight."""
    import re

    from tcpcheck.model import promela as promela_module

    real = promela_module.promela

    def broken(*args, **kw):
        p = real(*args, **kw)
        q = promela_module.Promela(re.sub(r"#define TIMERS_A .*", "#define TIMERS_A 3", p))
        q.__dict__.update(p.__dict__)
        return q

    monkeypatch.setattr(promela_module, "promela", broken)
    assert main(["bench", "--vs", "spin", "--configs", "reliable"]) == 1
    captured = capsys.readouterr()
    assert "the counts DIFFER: tcpcheck 307 states, SPIN " in captured.out
    assert "the state counts differ on reliable" in captured.err
