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
    # pan -i shortens SPIN's trail to BFS's length (6 steps), and pan proved it the shortest
    assert r.trails["INV1"] == r.trails["INV1"]._replace(steps=6, search="iterative", complete=True, shortest=True)
    assert len(path_of(r.exploration, v["INV1"])) - 1 == 6
    assert len(path_of(bfs.exploration, next(x for x in bfs.verdicts if x.id == "INV1"))) - 1 == 6
    assert _is_a_run(r, v["INV1"]) == [
        ("A", "call", "active OPEN"), ("B", "rcv", "rcv SYN"), ("A", "rcv", "rcv SYN,ACK"),
        ("B", "rcv", "rcv ACK of SYN"), ("B", "call", "CLOSE"), ("A", "rcv", "rcv ACK; rcv FIN")]
    assert v["INV1"].detail == "A.RCV.NXT=302 acknowledges beyond B.SND.NXT=301"
    assert v["INV1"].detail == next(p for p in __import__("tcpcheck.model.properties", fromlist=["x"]).PROPERTIES
                                    if p.id == "INV1").test(path_of(r.exploration, v["INV1"])[-1][1])
    # reachability and liveness are not checked by SPIN, and say so
    assert {x.verdict for x in r.verdicts if x.kind in ("reachability", "liveness")} == {"not checked"}


@needs_spin
def test_the_step_property_and_the_deadlock_on_default(default_spin):
    r = default_spin
    assert r.pan.states == 28817 and r.runs == 3
    assert {k: _verdicts(r)[k] for k in CHECKED} == {
        "INV1": "holds", "INV2": "holds", "INV3": "holds", "INV4": "holds", "STEP1": "violated", "DEAD1": "violated"}
    v = {x.id: x for x in r.verdicts}
    dead = _is_a_run(r, v["DEAD1"])
    m = build(preset("default"))
    end = path_of(r.exploration, v["DEAD1"])[-1][1]
    assert not m.successors(m.encode(end))  # a state without successors ...
    assert str(v["DEAD1"].detail).startswith("stuck with ")  # ... and not an acceptable end
    assert dead and str(v["STEP1"].detail) == "B in LAST_ACK is reset by <SEQ=0><CTL=RST>"
    last = path_of(r.exploration, v["STEP1"])[-1]
    assert last[0].kind == "rcv" and last[0].segment.RST and last[1].B.state == "CLOSED"
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
    # pan -i finished on each, but on a bitstate search that is no proof of the shortest
    assert [(one.trails[k].shortest, two.trails[k].shortest, bits.trails[k].shortest) for k in ("INV1", "INV4")] == [
        (True, True, False), (True, True, False)]
    assert "(4 steps, not known to be the shortest: a bitstate search may miss shorter runs)" in \
        "\n".join(spin.lines(bits)).replace("\n    ", " ")
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
    assert props["STEP1"]["verdict"] == "violated" and props["STEP1"]["shortest"] is True
    assert props["STEP1"]["trail"] == {"steps": 13, "search": "iterative", "complete": True}
    assert "known_consequence" not in props["STEP1"]  # a mutant: not the reference model
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
    assert ("Result: 1 of 6 properties violated; 13 not checked by this engine (reachability and liveness: "
            "tcpcheck check --engine bfs checks them).") in " ".join(out.split())
    assert ("Counterexample to 'the passive closer is never reset' (13 steps, the shortest: pan -i searched every "
            "shorter run)") in " ".join(out.split())


def test_options_of_the_spin_engine_are_refused_elsewhere(capsys):
    assert main(["check", "--preset", "seed", "--bitstate"]) == 2
    assert "--spin-cores and --bitstate are options of --engine spin" in capsys.readouterr().err
    for option in (["--max-states", "5"], ["--max-seconds", "60"], ["--stop-at-first"]):
        assert main(["check", "--preset", "seed", "--engine", "spin", *option]) == 2
        assert ("bounded by --max-memory only: --max-states, --max-seconds and --stop-at-first are for the "
                "tcpcheck engines") in capsys.readouterr().err


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
        # bfs searches without edges for the comparison (SPIN's safety run keeps none), with edges beside it
        assert (r["tcpcheck"]["edges"], r["tcpcheck"]["transitions"]) == (False, r["tcpcheck_with_edges"]["transitions"])
        assert r["memory_ratio_with_edges"] == pytest.approx(
            r["tcpcheck_with_edges"]["bytes_per_state"] / r["spin"]["state_vector_bytes"])
        assert r["memory_ratio_to_spin_total"] == pytest.approx(
            r["tcpcheck"]["bytes_per_state"] / r["spin"]["bytes_per_state"])
    assert doc["compared_without_edges"] is True
    assert [r["tcpcheck"]["transitions"] for r in doc["rows"]] == [15, 572]
    assert [r["tcpcheck"]["precompute_seconds"] for r in doc["rows"]] == [0.0, 0.0]  # bfs precomputes nothing
    assert main(["bench", "--vs", "spin", "--configs", "seed"]) == 0
    out = capsys.readouterr().out
    assert "target at seed on 1 core: tcpcheck's states/s at least SPIN's, the search alone: " in out
    assert "; from the rule table to the count: met (ratio " in out
    # bfs does not say its store's size: the memory target is unmeasured, the peak is printed beside it
    assert ("target at seed on 1 core: stored bytes/state at most SPIN's state vector: unmeasured (engine bfs "
            "does not say its store's size); peak resident ") in out
    assert ("tcpcheck's search (engine bfs, without edges, as SPIN's safety run keeps none; on 1 core, one thread; "
            "a fresh process) and SPIN 6.5.2 (pan -O2 -DNOREDUCE -DSAFETY, on 1 core, no -DNCORE)") in out


def _allocated(arr) -> int:
    """The bytes an array('i') has allocated, by sys.getsizeof (its capacity, over-allocation included)."""
    from array import array
    import sys

    return sys.getsizeof(arr) - sys.getsizeof(array(arr.typecode))


def _store_by_hand(monkeypatch, cfg, edges):
    """A packed search of ``cfg`` on one core, and the bytes its store held as it ended, recomputed
    here: the hash table the visited set last allocated, the states' array before the search gave
    back its room (both watched as the search runs), and the arrays' allocated sizes."""
    from tcpcheck.model import packed

    tables, before_trim = {}, {}
    alloc, trim = packed._Index._alloc, packed._Grow.trim

    def watch_alloc(self, bits):
        alloc(self, bits)
        tables[id(self)] = self.table.size * self.table.itemsize

    def watch_trim(self):
        before_trim[id(self)] = len(self.a) * self.a.itemsize
        trim(self)

    with monkeypatch.context() as m:
        m.setattr(packed._Index, "_alloc", watch_alloc)
        m.setattr(packed._Grow, "trim", watch_trim)
        x = packed.explore(build(cfg), cores=1, edges=edges)
    arrays = ("parent", "via", "depth") + (("src", "dst", "lab") if edges else ())
    total = tables[id(x._engine.visited)] + before_trim[id(x._engine.states)] + sum(
        _allocated(getattr(x, a)) for a in arrays)
    if edges:  # the row offsets: the array their read-only view shows, its room included
        o = x.edge_offsets
        total += (o if o.base is None else o.base).nbytes
    return x, total


@needs_spin
def test_bench_vs_spin_on_one_core_judges_the_bytes_the_packed_search_stores(monkeypatch, capsys):
    assert main(["bench", "--vs", "spin", "--engine", "packed", "--configs", "seed,reliable", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["cores"], doc["tcpcheck_cores"], doc["counts_equal"]) == (1, 1, True)
    assert doc["targets"]["judged_bytes_per_state"] == "stored_bytes_per_state"
    for r, name in zip(doc["rows"], ["seed", "reliable"]):
        ours, edges, s = r["tcpcheck"], r["tcpcheck_with_edges"], r["spin"]
        # one core on both sides: the packed search recorded it ran on one, pan has no -DNCORE
        assert (ours["cores"], edges["cores"], s["cores"]) == (1, 1, 1)
        assert s["flags"] == ["-O2", "-DNOREDUCE", "-DSAFETY"]
        # the stored bytes are those of the search's own arrays, recomputed here from the same search
        for row, keep in ((ours, False), (edges, True)):
            x, total = _store_by_hand(monkeypatch, preset(name), keep)
            assert len(x.states) == r["states"] and x.cores == 1
            assert row["stored_bytes"] == total == x.stored_bytes()
            assert row["stored_bytes_per_state"] == pytest.approx(total / r["states"])
            assert sorted(row["store"]) == sorted(["states", "visited", "parent", "via", "depth"]
                                                  + (["src", "dst", "lab", "edge_offsets"] if keep else []))
        assert edges["stored_bytes"] > ours["stored_bytes"]  # src, dst, lab and edge_offsets
        assert r["stored_ratio"] == pytest.approx(ours["stored_bytes_per_state"] / s["state_vector_bytes"])
        assert r["target_met"]["memory"] is (ours["stored_bytes_per_state"] <= s["state_vector_bytes"])
        assert r["target_met"]["memory_with_edges"] is (edges["stored_bytes_per_state"] <= s["state_vector_bytes"])
        # from the rule table to the count takes at least the search, on both sides
        assert ours["total_seconds"] >= ours["seconds"] and ours["total_seconds"] >= ours["build_seconds"]
        # the compared search's endpoint tables were precomputed: in its build, not its search's seconds
        assert ours["precompute_seconds"] > 0 and edges["precompute_seconds"] == 0
        assert ours["build_seconds"] > ours["precompute_seconds"]
        assert ours["total_seconds"] >= ours["build_seconds"] + ours["seconds"]
        assert s["total_seconds"] >= s["seconds"] and s["pan_wall_seconds"] >= s["seconds"]
        assert s["total_seconds"] == pytest.approx(s["generate_seconds"] + s["spin_a_seconds"] + s["gcc_seconds"]
                                                   + s["pan_wall_seconds"])
        assert r["end_to_end_ratio"] == pytest.approx(
            (r["states"] / ours["total_seconds"]) / (r["states"] / s["total_seconds"]))
    # the seed's 14 states: a hash table of 1,024 slots (4 KiB), 4,096 packed states' room (32 KiB)
    assert doc["rows"][0]["tcpcheck"]["store"]["visited"] == 4096
    assert doc["rows"][0]["tcpcheck"]["store"]["states"] == 32768


@needs_spin
def test_bench_vs_spin_repeats_a_search_below_pans_timer(monkeypatch, capsys):
    """pan's elapsed time counts 1/100 s: a search quicker than 0.2 s is run again until its runs add
    up to 0.2 s, and the mean is what the speed ratio compares (here pan said 0.03 s each time: 7 runs)."""
    real = spin.run_pan
    calls = []

    def timed(*a, **kw):
        calls.append(a)
        return real(*a, **kw)._replace(seconds=0.03)
    monkeypatch.setattr(spin, "run_pan", timed)
    assert main(["bench", "--vs", "spin", "--engine", "packed", "--configs", "reliable", "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["rows"]
    assert (r["spin"]["runs"], len(calls), r["spin"]["first_seconds"]) == (7, 7, 0.03)
    assert r["spin"]["seconds"] == pytest.approx(0.03)
    assert r["spin"]["states_per_second"] == pytest.approx(307 / 0.03)
    o = r["tcpcheck"]  # reliable's 307 states take well under 0.2 s: run again, to the cap at most
    assert 1 < o["runs"] <= spin.MAX_RUNS and o["seconds"] * o["runs"] >= min(0.2, o["first_seconds"])
    assert r["speed_ratio"] == pytest.approx(o["states_per_second"] / r["spin"]["states_per_second"])
    assert r["tcpcheck_with_edges"]["runs"] == 1  # the search with edges is beside it, not compared
    assert main(["bench", "--vs", "spin", "--engine", "packed", "--configs", "reliable"]) == 0
    out = capsys.readouterr().out
    assert ("a search quicker than 0.2 s is run again until its runs add up to 0.2 s (at most 50 runs; "
            "tcpcheck's build() and search again in its fresh process, pan's run again) and its seconds are the "
            "mean per run, the first run included: runs at reliable (tcpcheck ") in out
    assert ", pan 7)" in out


def test_the_tcpcheck_row_repeats_its_search_to_the_seconds_asked(monkeypatch):
    """Exactly: runs until the seconds add up (each search said to take 0.03 s: 7 runs for 0.2 s), no
    more than MAX_RUNS, once when asked for nothing; the figures are the mean's."""
    from tcpcheck.model import engines, packed

    real = packed.explore

    def timed(*a, **kw):
        x = real(*a, **kw)
        x.seconds = 0.03
        return x
    monkeypatch.setattr(engines, "explore_function", lambda name: timed)
    row = spin._tcpcheck_row(preset("reliable"), "packed", False, 1, True, 0.2)
    assert (row["runs"], row["first_seconds"], row["states"]) == (7, 0.03, 307)
    assert row["seconds"] == pytest.approx(0.03) and row["states_per_second"] == pytest.approx(307 / 0.03)
    assert spin._tcpcheck_row(preset("reliable"), "packed", False, 1, True)["runs"] == 1
    monkeypatch.setattr(spin, "MAX_RUNS", 3)
    assert spin._tcpcheck_row(preset("reliable"), "packed", False, 1, True, 0.2)["runs"] == 3


@needs_spin
def test_bench_vs_spin_targets_fail_on_figures_that_miss_them(monkeypatch, capsys):
    """Broken: SPIN's state vector said to be 8 bytes (under what the packed search stores per state),
    pan's search 0.1 microseconds (quicker than tcpcheck's), and tcpcheck's way from the rule table to
    the count 1,000 s (slower than SPIN's)."""
    from tcpcheck.model import bench as bench_module

    real, fresh = spin.run_pan, bench_module._fresh
    monkeypatch.setattr(spin, "run_pan", lambda *a, **kw: real(*a, **kw)._replace(vector=8, seconds=1e-7))

    def slow(fn, *args):
        row = fresh(fn, *args)
        return {**row, "total_seconds": 1000.0, "total_states_per_second": row["states"] / 1000.0}
    monkeypatch.setattr(bench_module, "_fresh", slow)
    assert main(["bench", "--vs", "spin", "--engine", "packed", "--configs", "reliable"]) == 0
    out = capsys.readouterr().out
    assert ("target at reliable on 1 core: tcpcheck's states/s at least SPIN's, the search alone: NOT met (ratio "
            in out)
    assert "; from the rule table to the count: NOT met (ratio 0.00)" in out
    assert ("(where SPIN's search alone is quicker, as at reliable: both start with the endpoints' reactions in "
            "their tables (SPIN's Promela generated in ") in out
    assert " s) computes the channels' steps in its kernel as pan does, but pays a fixed cost per chunk " in out
    assert "tcpcheck's build is build() and the same precomputation: the endpoints' tables filled from " in out
    assert "target at reliable on 1 core: stored bytes/state at most SPIN's state vector: NOT met (" in out
    assert " B without edges against 8 B; with edges " in out and " B: NOT met); peak resident " in out


@needs_spin
def test_bench_vs_spin_on_two_cores_runs_both_on_two(capsys):
    assert main(["bench", "--vs", "spin", "--engine", "packed", "--cores", "2", "--configs", "seed,reliable",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["cores"], doc["tcpcheck_cores"], doc["counts_equal"]) == (2, 2, True)
    assert [(r["states"], r["spin"]["states"], r["tcpcheck"]["cores"], r["tcpcheck_with_edges"]["cores"],
             r["spin"]["cores"], r["spin"]["flags"][-1]) for r in doc["rows"]] == [
        (14, 14, 2, 2, 2, "-DNCORE=2"), (307, 307, 2, 2, 2, "-DNCORE=2")]
    assert [r["tcpcheck"]["transitions"] for r in doc["rows"]] == [15, 572]
    assert main(["bench", "--vs", "spin", "--engine", "packed", "--cores", "2", "--configs", "seed"]) == 0
    out = capsys.readouterr().out
    assert "(engine packed, without edges, as SPIN's safety run keeps none; on 2 cores, explore(cores=2)" in out
    assert "SPIN 6.5.2 (pan -O2 -DNOREDUCE -DSAFETY -DNCORE=2, on 2 cores)" in out
    assert "target at seed on 2 cores: " in out


@pytest.mark.parametrize("argv, message", [
    (["--vs", "spin", "--cores", "0"], "argument --cores: expected a positive whole number, not '0'"),
    (["--vs", "spin", "--cores", "x"], "argument --cores: expected a positive whole number, not 'x'"),
])
def test_bench_cores_that_are_not_a_positive_number_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--cores", "2"], "tcpcheck: error: --cores is an option of bench --vs spin\n"),
    (["--scale", "--cores", "1"], "tcpcheck: error: --cores is an option of bench --vs spin\n"),
    (["--vs", "spin", "--cores", "2", "--configs", "seed"],
     "tcpcheck: error: bench --vs spin --cores 2: engine bfs searches on one core (its explore takes no cores), "
     "so SPIN would run on more than tcpcheck: use --engine packed, or --cores 1\n"),
])
def test_bench_cores_elsewhere_or_beyond_the_engine_exit_2(argv, message, capsys):
    assert main(["bench", *argv]) == 2
    assert capsys.readouterr().err == message


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


# --- the report is check's: known consequences, the same lines, Chinese -----------------------------


@pytest.fixture(scope="module")
def default_spin():
    return spin.check(preset("default"))


def _unwrapped(lines) -> str:
    return " ".join(" ".join(lines).split())


@needs_spin
def test_on_default_spin_labels_the_known_consequences_as_check_does(default_spin, monkeypatch):
    from tcpcheck.model.report import known_consequence, result_json, summary_lines

    monkeypatch.setenv("COLUMNS", "80")
    r, bfs = default_spin, run(preset("default"))
    assert {k: (t.steps, t.shortest) for k, t in r.trails.items()} == {"STEP1": (14, True), "DEAD1": (12, True)}
    ours = {v.id: known_consequence(r.result, v) for v in r.result.verdicts}
    theirs = {v.id: known_consequence(bfs, v) for v in bfs.verdicts}
    assert {k for k, v in ours.items() if v} == {"STEP1", "DEAD1"}
    assert {k for k, v in theirs.items() if v} == {"STEP1", "DEAD1", "LIVE1"}
    # the same sections, claims and chart commands as check's (the why is read off each engine's own run)
    assert [(ours[k].sections, ours[k].claims, ours[k].chart) for k in ("STEP1", "DEAD1")] == [
        (theirs[k].sections, theirs[k].claims, theirs[k].chart) for k in ("STEP1", "DEAD1")] == [
        (("3.10.8", "3.10.7.1", "3.10.7.4"), ("C15",),
         'tcpcheck diagram trace --counterexample "the passive closer is never reset" '
         "-o the-passive-closer-is-never-reset.svg"),
        (("3.10.8",), ("C11",), 'tcpcheck diagram trace --counterexample "deadlock freedom" -o deadlock-freedom.svg')]
    text = spin.lines(r)
    assert ("Result: 2 of 6 properties violated, all known consequences of RFC 9293 itself, not mistakes of the "
            "model or of the table; 13 not checked by this engine (reachability and liveness: tcpcheck check "
            "--engine bfs checks them):") in _unwrapped(text)
    charts = [line for line in text if line.startswith("    chart: ")]
    assert charts == [line for line in summary_lines(bfs) if line.startswith("    chart: ")][:2]
    assert text[text.index("What to run next:"):] == summary_lines(bfs)[summary_lines(bfs).index("What to run next:"):]
    doc = spin.result_json(r)
    props = {p["id"]: p for p in doc["properties"]}
    assert props["DEAD1"]["known_consequence"] == {
        k: v for k, v in next(p for p in result_json(bfs)["properties"] if p["id"] == "DEAD1")[
            "known_consequence"].items()}
    assert props["STEP1"]["known_consequence"]["chart"] == theirs["STEP1"].chart


@needs_spin
def test_the_verdict_and_counterexample_lines_are_checks_own():
    """The two engines' reports cannot drift: SPIN's verdict lines, trace and TCBs are
    printed by check's code, so they are check's lines where the runs agree."""
    from tcpcheck.model.report import summary_lines

    cfg, table = _mutant("fin-no-seq")
    ours, theirs = spin.lines(spin.check(cfg, table)), summary_lines(run(cfg, table))
    start, head = ours.index("Properties:"), ours.index("")
    assert head > 5 and ours[:head] == theirs[:head]  # the header and the configuration
    listed = [line for line in ours[start:start + 12] if "  holds  " in line or "VIOLATED" in line]
    assert len(listed) == 6
    for line in listed:  # the runs differ (two shortest ones), so a violation's reason may too
        assert line in theirs if "holds" in line else any(t.startswith(line.split(":")[0] + ":") for t in theirs)
    first = ours.index(next(x for x in ours if x.startswith("   0. ")))
    assert ours[first:first + 3] == theirs[theirs.index(ours[first]):][:3]  # the trace's start, drawn alike


FIN_NO_SEQ_ZH = """\
性质：
  被违反    不变式        不确认未发送的数据 [INV1]：A.RCV.NXT=302 确认了超出
                          B.SND.NXT=301 的序列号
  被违反    不变式        RCV.NXT 在对端已发送的范围内 [INV2]：A.RCV.NXT=302 不
                          在 [B.ISS+1, B.SND.NXT] = [301, 301] 之内
  成立      不变式        SND.UNA 在 [ISS, SND.NXT] 之内 [INV3]
  成立      不变式        只凭对端当前连接的 SYN 进入 ESTABLISHED [INV4]
  成立      单步性质      被动关闭方从不被复位 [STEP1]
  成立      死锁          无死锁 [DEAD1]

“不确认未发送的数据”的反例（6 步，最短：pan -i 搜索过每个更短的运行）：
    A.RCV.NXT=302 确认了超出 B.SND.NXT=301 的序列号
   0. 初始状态                                                            A CLOSED | B LISTEN
   1. A：主动打开                                                         A CLOSED -> SYN_SENT | B LISTEN
          A --> B  <SEQ=4294967294><CTL=SYN>"""

FIN_NO_SEQ_ZH_END = """\
“RCV.NXT 在对端已发送的范围内”的反例：A.RCV.NXT=302 不在 [B.ISS+1, B.SND.NXT] =
    [301, 301] 之内；与上面“不确认未发送的数据”的反例是同一个运行。

结果：6 个性质中有 2 个被违反；另有 13 个性质此引擎不检查（可达性和活性：由
    “tcpcheck check --engine bfs”检查）。

接下来可以运行：
  把“不确认未发送的数据”的反例画成消息序列图："""

#: program names said as they are in Chinese too
SPIN_NAMES = {"pan", "Promela", "MiB"}


def _spin_english(lines):
    from test_i18n_commands import english_words

    return [w for w in english_words(lines) if w not in SPIN_NAMES]


@needs_spin
@pytest.mark.parametrize("how", ["--lang", "locale"])
def test_the_report_is_chinese_with_lang_zh_or_a_chinese_locale(how, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    argv = ["check", "--engine", "spin", "--mutant", "fin-no-seq"]
    if how == "--lang":
        argv += ["--lang", "zh"]
    else:
        monkeypatch.setenv("LC_ALL", "")
        monkeypatch.setenv("LC_MESSAGES", "")
        monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert FIN_NO_SEQ_ZH in out and FIN_NO_SEQ_ZH_END in out
    lines = out.splitlines()
    assert lines[0] == "tcpcheck：TCP 连接管理（RFC 9293），配置“变体 fin-no-seq 的演示配置（基于预设"
    assert any(line.startswith("引擎：SPIN ") for line in lines)
    assert "  覆盖：穷尽搜索：每个可达状态都被存储并探索过。" in lines
    assert _spin_english(lines) == []


@needs_spin
def test_the_word_check_finds_the_english_of_the_english_report(monkeypatch):
    """Broken on purpose: the English report, read by the same check, is full of English."""
    cfg, table = _mutant("fin-no-seq")
    r = spin.check(cfg, table)
    assert {"Engine", "stored", "Coverage", "shortest", "searched", "engine"} <= set(_spin_english(spin.lines(r)))
    zh = spin.lines(r, lang="zh")
    assert _spin_english(zh) == []
    # and an English sentence left in the Chinese report is found
    assert _spin_english(zh + ["  Trails: not shortened."]) == ["Trails", "not", "shortened"]


@needs_spin
def test_bitstate_and_the_quiet_report_in_chinese():
    cfg, table = _mutant("two-way-handshake")
    r = spin.check(cfg, table, bitstate=True)
    quiet = spin.lines(r, verbosity=-1, lang="zh")
    assert len(quiet) > 6 and _spin_english(quiet) == []
    assert "；位状态搜索可能遗漏了状态，所以成立的性质并未得到证明。" in "".join(x.strip() for x in quiet)
    full = "".join(x.strip() for x in spin.lines(r, lang="zh"))
    assert "（4 步，不知是否最短：位状态搜索可能遗漏更短的运行）" in full and "位状态搜索（-DBITSTATE，2^27 位）" in full


# --- the shortest trails -------------------------------------------------------------------------


@needs_spin
def test_trails_have_bfs_length_on_two_mutants_and_say_so():
    from tcpcheck.model.report import summary_lines

    for name, pid, steps in (("fin-no-seq", "INV1", 6), ("no-time-wait", "STEP1", 13)):
        cfg, table = _mutant(name)
        r, bfs = spin.check(cfg, table), run(cfg, table)
        v = next(x for x in bfs.verdicts if x.id == pid)
        assert len(path_of(bfs.exploration, v)) - 1 == steps
        assert r.trails[pid] == r.trails[pid]._replace(steps=steps, search="iterative", complete=True, shortest=True)
        mine = next(x for x in r.verdicts if x.id == pid)
        assert len(path_of(r.exploration, mine)) - 1 == steps
        _is_a_run(r, mine)
        assert f"({steps} steps, the shortest: pan -i searched every shorter run)" in _unwrapped(spin.lines(r))
        assert "the shortest" not in _unwrapped(summary_lines(bfs))  # check's own report does not say it


@needs_spin
def test_without_shortening_or_out_of_budget_the_trail_is_not_known_to_be_shortest():
    cfg, table = _mutant("fin-no-seq")
    first = spin.check(cfg, table, shorten_seconds=0)
    assert first.trails["INV1"] == first.trails["INV1"]._replace(steps=7, search="depth-first", complete=False,
                                                                 shortest=False)
    assert ("(7 steps, SPIN's depth-first trail, not known to be the shortest)" in _unwrapped(spin.lines(first)))
    assert "Trails: pan's first, depth-first trails, not shortened." in _unwrapped(spin.lines(first))
    # a budget that runs out before pan -i can start: pan's first trail, said to be not known shortest
    late = spin.check(cfg, table, shorten_seconds=1e-9)
    assert (late.trails["INV1"].steps, late.trails["INV1"].complete, late.trails["INV1"].shortest) == (7, False, False)
    assert "(7 steps, not known to be the shortest: pan -i's budget of 1e-09 s ran out first)" in _unwrapped(
        spin.lines(late))
    doc = spin.result_json(late)
    inv1 = next(p for p in doc["properties"] if p["id"] == "INV1")
    assert (inv1["shortest"], inv1["trail"]) == (False, {"steps": 7, "search": "iterative", "complete": False})
    _is_a_run(late, next(v for v in late.verdicts if v.id == "INV1"))


# --- every error a clear exit 2; a trail that is no run an internal error ---------------------------


def _kept(err: str) -> None:
    import re

    m = re.search(r"pan's files are kept in (\S+?)\)", err)
    assert m and os.path.isdir(m.group(1))
    shutil.rmtree(m.group(1))


@needs_spin
def test_gcc_failing_on_pan_is_exit_2_and_keeps_the_files(monkeypatch, capsys):
    monkeypatch.setattr(spin, "PAN_FLAGS", ("-O2", "-DNOREDUCE", "-DSAFETY", "-fno-such-option-at-all"))
    assert main(["check", "--engine", "spin", "--preset", "seed"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tcpcheck: error: gcc could not compile pan: 'gcc -O2 -DNOREDUCE -DSAFETY "
                          "-fno-such-option-at-all -DMEMLIM=")
    assert "fno-such-option-at-all" in err.split("exited with 1: ")[1] and err.count("\n") == 1
    _kept(err)


@needs_spin
def test_spin_refusing_the_promela_is_exit_2(monkeypatch, capsys):
    from tcpcheck.model import promela as promela_module

    real = promela_module.promela

    def broken(*args, **kw):
        p = real(*args, **kw)
        q = promela_module.Promela(p + "\nthis is not Promela\n")
        q.__dict__.update(p.__dict__)
        return q

    monkeypatch.setattr(promela_module, "promela", broken)
    assert main(["check", "--engine", "spin", "--preset", "seed"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tcpcheck: error: spin could not generate pan.c from the Promela: 'spin -a model.pml' "
                          "exited with ")
    assert "syntax error" in err
    _kept(err)


@needs_spin
def test_pan_out_of_memory_is_exit_2_and_no_verdict(capsys):
    assert main(["check", "--engine", "spin", "--preset", "seed", "--max-memory", "20M"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("tcpcheck: error: SPIN ran out of memory (reached -DMEMLIM bound, 128 MiB more needed): "
                            "give it more (--max-memory), or search with a bit per state (--bitstate)\n")
    # with enough memory the same check runs, and finds no violation in seed
    assert main(["check", "--engine", "spin", "--preset", "seed", "--max-memory", "1G", "-q"]) == 0
    assert "-DMEMLIM" not in capsys.readouterr().out  # -q: the verdicts only


def test_an_unfinished_search_is_no_verdict():
    """pan's output when it ran out of memory, or stopped for another reason, is refused;
    a search that stopped at an error is one it finished."""
    oom = "pan: reached -DMEMLIM bound\n\t1.34218e+08 bytes more needed\nWarning: Search not completed\n" \
          "State-vector 0 byte, depth reached 0, errors: 0\n        0 states, stored\n"
    with pytest.raises(spin.PanError, match=r"^SPIN ran out of memory \(reached -DMEMLIM bound, 128 MiB more"):
        spin._finished(oom, 0)
    with pytest.raises(spin.PanError, match=r"^pan ended without finishing its search \(exit -9\): "):
        spin._finished("pan: elapsed time 1\n", -9)
    with pytest.raises(spin.PanError, match="without finishing"):
        spin._finished("Warning: Search not completed\nerrors: 0\n  5 states, stored\n", 0)
    spin._finished("Warning: Search not completed\nerrors: 1\n  8 states, stored\n", 0)  # stopped at an error


@needs_spin
def test_a_trail_that_is_no_run_of_the_model_is_an_internal_error(monkeypatch, capsys):
    monkeypatch.setattr(spin._Trail, "_state", lambda self, values: ("no", "such", "state"))
    assert main(["check", "--engine", "spin", "--mutant", "fin-no-seq"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("tcpcheck: internal error: TrailError: SPIN's trail step 1 (line ")
    assert "is no step of the model (the generated Promela and tcpcheck's model disagree: a bug of tcpcheck; " in err
    _kept(err)


@needs_spin
def test_a_table_ambiguous_only_where_no_run_goes_is_checked(capsys):
    """ack-check-forgets-snd-nxt leaves 10 (local state, segment) pairs of the
    reaction tables undecided, none of them reachable: the bfs engine's verdicts."""
    cfg, table = apply_mutant("ack-check-forgets-snd-nxt", mutant_config("ack-check-forgets-snd-nxt"))
    r, q = run(cfg, table), spin.check(cfg, table)
    assert [(v.id, v.verdict) for v in q.result.verdicts if v.id in spin.SPIN_CHECKS] == \
        [(v.id, v.verdict) for v in r.verdicts if v.id in spin.SPIN_CHECKS] == \
        [("INV1", "holds"), ("INV2", "holds"), ("INV3", "holds"), ("INV4", "holds"), ("STEP1", "holds"),
         ("DEAD1", "holds")]
    assert main(["check", "--engine", "spin", "--mutant", "ack-check-forgets-snd-nxt"]) == 0
    assert "holds     deadlock      deadlock freedom [DEAD1]" in capsys.readouterr().out


def _takes_every_ack():
    """A hand-made table: in ESTABLISHED and the like, rcv ACK takes every segment with ACK on, so
    that rcv ACK and rcv unacceptable segment both apply to an old duplicate (reachable on default)."""
    from tcpcheck.model.events import PLAIN_ACK_STATES
    from tcpcheck.model.table import REFERENCE, load_table

    ref = load_table(REFERENCE)
    return ref.with_arrivals(tuple(e._replace(guard=lambda D, t, s, wnd: s.ACK)
                                   if e.name == "rcv ACK" and e.states == PLAIN_ACK_STATES else e
                                   for e in ref.arrivals), "rcv ACK takes every ACK")


@needs_spin
def test_a_reached_ambiguous_reaction_is_an_error():
    from tcpcheck.model.errors import InputError
    from tcpcheck.model.events import ClassificationError
    from tcpcheck.model.explorer import explore

    table = _takes_every_ack()
    with pytest.raises(ClassificationError, match="matches rcv unacceptable segment, rcv ACK at stage control"):
        explore(build(preset("default"), table))  # the bfs engine meets it too
    with pytest.raises(InputError) as e:
        spin.check(preset("default"), table)
    # SPIN's depth-first search meets another undecided pair first: the one its trail reached
    assert str(e.value) == ("the rule table does not decide a reaction that a run reaches: TIME_WAIT: segment "
                            "Segment(SYN=False, ACK=True, FIN=True, RST=False, seq=0, ack=302, len=0) matches rcv "
                            "retransmitted FIN, rcv ACK at stage control (SPIN's search reached it; no event, or "
                            "more than one, applies)")
    # where no run goes (seed: 14 states) the same table is checked
    assert [v.verdict for v in spin.check(preset("seed"), table).result.verdicts
            if v.id in spin.SPIN_CHECKS] == ["holds"] * 6
