"""Budgets, interrupts, phase timings and progress of ``tcpcheck check`` (issue 11).

Every budget is tried tiny, so that the outcome is exact: where the search
stopped, which properties are unknown, the stop reason and the exit code.
The search asks its budget every 4,096 expansions, so a budget already
exceeded stops it after exactly 4,096.  No test here measures speed.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time

import pytest

from tcpcheck.model.checker import build, default_max_memory, machine_memory, resident_memory, run
from tcpcheck.model.cli import main, seconds, size
from tcpcheck.model.config import preset
from tcpcheck.model.explorer import explore
from tcpcheck.model.properties import PROPERTIES, Property

from conftest import interrupt_when

CHECK = [sys.executable, "-m", "tcpcheck.model", "check"]
NAMES = [p.name for p in PROPERTIES]


def cli(*args, timeout=120):
    return subprocess.run([*CHECK, *args], capture_output=True, text=True, timeout=timeout)


# --- the option values -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, n", [("512M", 512 * 2 ** 20), ("4G", 4 * 2 ** 30), ("1.5GiB", 3 * 2 ** 29),
                                     ("64k", 64 * 1024), ("2 MB", 2 * 2 ** 20), ("1T", 2 ** 40), ("none", 0),
                                     (".5G", 2 ** 29)])
def test_sizes(text, n):
    assert size(text) == n


@pytest.mark.parametrize("text", ["12X", "512", "0M", "-1G", "", "G", "1.2.3M", "nanG", "4 G B"])
def test_bad_sizes(text):
    with pytest.raises(argparse.ArgumentTypeError) as exc:
        size(text)
    assert str(exc.value) == f"expected a size like 512M, 4G or 1.5GiB, or none, not '{text}'"


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "soon", ""])
def test_bad_seconds(text):
    with pytest.raises(argparse.ArgumentTypeError) as exc:
        seconds(text)
    assert str(exc.value) == f"expected a number of seconds greater than 0, not '{text}'"
    assert seconds("2.5") == 2.5


@pytest.mark.parametrize("argv, message", [
    (["--max-memory", "lots"], "argument --max-memory: expected a size like 512M, 4G or 1.5GiB, or none, not 'lots'"),
    (["--max-seconds", "0"], "argument --max-seconds: expected a number of seconds greater than 0, not '0'"),
    (["-q", "-v"], "argument -v/--verbose: not allowed with argument -q/--quiet"),
])
def test_bad_option_values_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["check", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"tcpcheck check: error: {message}"
    assert "Traceback" not in err


def test_default_memory_budget_is_three_quarters_of_the_machine():
    total = machine_memory()
    assert total is not None and total > 0  # Linux: /proc/meminfo
    assert default_max_memory() == int(total * 0.75)
    assert 0 < resident_memory() < total


def test_help_states_budgets_defaults_and_every_exit_code(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert f"(default: 75% of this machine's memory, here {default_max_memory() / 2 ** 20:,.0f} MiB)" in flat
    assert "--max-seconds S stop when the run has taken S seconds (default: no limit)" in flat
    for line in ("  0    every property holds",
                 "  1    a property is violated (also when a budget stopped the run after it was",
                 "       found)",
                 "  2    bad input (an option, a configuration or rule file)",
                 "  3    internal error",
                 "  4    incomplete: no violation found, but a budget stopped the run and some",
                 "  130  interrupted (Ctrl-C): the summary printed is what was found so far"):
        assert line in out.splitlines()


# --- budgets in the search ------------------------------------------------------------------------

def _prefix_counts():
    """default's states and transitions after its first 4,096 expansions, by a second
    search that stops there through its state-independent stop hook."""
    x = explore(build(preset("default")),
                stop=lambda x: "enough")
    return len(x.states), x.transitions


@pytest.mark.parametrize("budget, reason", [({"max_seconds": 1e-9}, "max-seconds"),
                                            ({"max_memory": 1}, "max-memory")])
def test_a_budget_stops_the_search_and_decides_nothing(budget, reason):
    r = run(preset("default"), **budget)
    x = r.exploration
    assert (r.stopped, x.stopped, x.complete, x.expanded) == (reason, reason, False, 4096)
    assert (len(x.states), x.transitions) == _prefix_counts() == (7168, 17291)
    assert [v.verdict for v in r.verdicts] == ["unknown"] * len(PROPERTIES)
    assert [v.name for v in r.verdicts] == NAMES
    assert r.property_seconds == {}
    assert set(r.timings) == {"search", "properties", "total"}


def test_the_stop_hook_of_the_explorer():
    calls = []
    x = explore(build(preset("default")),
                stop=lambda x: calls.append(x.expanded))
    assert x.complete and x.stopped is None and len(x.states) == 28817
    assert calls == [4096 * k for k in range(1, 28817 // 4096 + 1)]


def test_max_states_keeps_its_meaning():
    r = run(preset("reliable"), max_states=100)
    assert (r.stopped, r.exploration.stopped, len(r.exploration.states)) == ("max-states", "max-states", 100)
    assert list(r.property_seconds) == NAMES  # the properties are checked on the states found
    unknown = [v.name for v in r.verdicts if v.verdict == "unknown"]
    assert unknown == NAMES[:5] + ["TIME_WAIT is reachable"] + NAMES[-3:]


# --- budgets and interrupts in the property phase ---------------------------------------------------

def _never_established(s):
    return "ESTABLISHED" if "ESTABLISHED" in (s.A.state, s.B.state) else None


NEVER_ESTABLISHED = Property("never ESTABLISHED", "invariant", "No endpoint is ever ESTABLISHED.",
                             _never_established)
REACH_CLOSED = PROPERTIES[5]
assert REACH_CLOSED.name == "CLOSED is reachable"


def _forever(s):
    while True:  # only the budget's ticker gets it out of here
        time.sleep(0.01)


def _hoard(s, _kept=[]):
    while True:  # about 100 MB a second, until the memory budget stops it
        _kept.append(bytearray(1 << 20))
        time.sleep(0.01)


def _interrupt(s):
    raise KeyboardInterrupt


def _props(test):
    stuck = Property("stuck", "invariant", "A property that is never decided.", test)
    return (NEVER_ESTABLISHED, stuck, REACH_CLOSED)


def test_the_time_budget_stops_a_property_and_keeps_the_violation_found():
    r = run(preset("seed"), properties=_props(_forever), max_seconds=1.0)
    assert r.stopped == "max-seconds" and r.exploration.complete
    assert [(v.name, v.verdict) for v in r.verdicts] == [
        ("never ESTABLISHED", "violated"), ("stuck", "unknown"), ("CLOSED is reachable", "unknown")]
    v = r.verdicts[0]
    assert r.exploration.state(v.state).A.state == "ESTABLISHED" or r.exploration.state(v.state).B.state == "ESTABLISHED"
    assert list(r.property_seconds) == ["never ESTABLISHED", "stuck"]  # the stuck one's time before the stop
    assert r.timings["total"] >= 1.0


def test_the_memory_budget_stops_a_property():
    _hoard.__defaults__[0].clear()
    budget = resident_memory() + 200 * 2 ** 20
    r = run(preset("seed"), properties=_props(_hoard), max_memory=budget)
    _hoard.__defaults__[0].clear()
    assert r.stopped == "max-memory"
    assert [v.verdict for v in r.verdicts] == ["violated", "unknown", "unknown"]


def test_an_interrupt_in_a_property_keeps_what_was_decided():
    r = run(preset("seed"), properties=_props(_interrupt), interruptible=True)
    assert r.stopped == "interrupted"
    assert [v.verdict for v in r.verdicts] == ["violated", "unknown", "unknown"]
    with pytest.raises(KeyboardInterrupt):  # library callers that did not ask keep the exception
        run(preset("seed"), properties=_props(_interrupt))


class _Tree:
    """A binary tree, state s -> 2s+1, 2s+2; expanding state ``at`` is interrupted
    after its first edge (the second label's hash raises KeyboardInterrupt)."""

    class Boom:
        def __hash__(self):
            raise KeyboardInterrupt

    def __init__(self, at):
        self.at = at

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [("l", 2 * s + 1), (self.Boom() if s == self.at else "r", 2 * s + 2)]


def test_an_interrupt_in_the_middle_of_an_expansion_leaves_a_consistent_exploration():
    x = explore(_Tree(5), interruptible=True)
    assert (x.stopped, x.complete, x.expanded) == ("interrupted", False, 5)
    assert x.states == list(range(12))  # 11 is found from 5 before the interrupt, and kept
    assert (len(x.parent), len(x.via), len(x.depth)) == (12, 12, 12)
    assert list(x.src) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # none of state 5's edges
    assert x.ids_to(11) == [0, 2, 5, 11]
    with pytest.raises(KeyboardInterrupt):
        explore(_Tree(5))


def test_an_interrupt_in_the_search_decides_nothing(monkeypatch):
    # Ctrl-C arrives while the 1,000th state is expanded (a progress callback would depend on
    # how fast the machine is: the search may end before its first report)
    from tcpcheck.model.system import Model

    real, calls = Model.successors, [0]

    def successors(self, s):
        calls[0] += 1
        if calls[0] == 1000:
            raise KeyboardInterrupt
        return real(self, s)

    monkeypatch.setattr(Model, "successors", successors)
    r = run(preset("default"), interruptible=True)
    x = r.exploration
    assert (r.stopped, x.complete) == ("interrupted", False)
    assert [v.verdict for v in r.verdicts] == ["unknown"] * len(PROPERTIES)


# --- timings and progress --------------------------------------------------------------------------

def test_timings_and_property_seconds():
    r = run(preset("default"))
    assert r.stopped is None
    assert set(r.timings) == {"search", "properties", "total"}
    assert r.timings["search"] == r.exploration.seconds
    assert r.timings["total"] >= r.timings["search"] + r.timings["properties"]
    assert list(r.property_seconds) == NAMES
    assert sum(r.property_seconds.values()) <= r.timings["properties"]


def test_started_counts_in_the_total():
    t0 = time.perf_counter() - 5.0
    r = run(preset("seed"), started=t0)
    assert r.timings["total"] >= 5.0


class _Recorder:
    def __init__(self):
        self.search, self.props = [], []

    def __call__(self, x):
        self.search.append(x.expanded)

    def property(self, i, total, prop, seconds):
        item = (i, total, prop.name if prop else None)
        if not self.props or self.props[-1] != item:
            self.props.append(item)


def test_progress_goes_through_each_property_in_turn():
    rec = _Recorder()
    run(preset("seed"), progress=rec)
    n = len(PROPERTIES)
    assert rec.props == [(0, n, None)] + [(i, n, name) for i, name in enumerate(NAMES)]


# --- the command: exit codes, JSON, Ctrl-C -----------------------------------------------------------

@pytest.mark.parametrize("args, reason", [(["--max-memory", "1K"], "max-memory"),
                                          (["--max-seconds", "0.000001"], "max-seconds")])
def test_the_command_stops_at_a_budget_with_exit_4(args, reason):
    proc = cli("--json", *args)
    assert proc.returncode == 4, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["stopped"], out["complete"], out["states"]) == (reason, False, 7168)
    assert {p["verdict"] for p in out["properties"]} == {"unknown"}


def test_max_memory_none_is_no_budget():
    proc = cli("--preset", "seed", "--max-memory", "none", "-q")
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def big_config(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text('preset = "default"\n[network]\ncapacity = 2\nduplication = true\n')
    return str(path)


def test_ctrl_c_in_the_search_prints_what_was_found_and_exits_130(big_config):
    code, out, err = interrupt_when([*CHECK, "--config", big_config, "--json"], "search:")
    assert code == 130
    doc = json.loads(out)
    assert (doc["stopped"], doc["complete"]) == ("interrupted", False)
    assert doc["states"] > 0
    assert {p["verdict"] for p in doc["properties"]} == {"unknown"}
    assert "tcpcheck: interrupted; the summary above is what was found so far" in err
    assert "Traceback" not in err


def test_ctrl_c_in_the_properties_keeps_the_verdicts_found(big_config):
    code, out, err = interrupt_when([*CHECK, "--config", big_config, "--json"], "properties: 2/19")
    assert code == 130
    doc = json.loads(out)
    assert (doc["stopped"], doc["complete"], doc["states"]) == ("interrupted", True, 435243)
    verdicts = [p["verdict"] for p in doc["properties"]]
    assert verdicts[0] == "holds" and verdicts[-1] == "unknown"
    assert "properties: 1/19 invariant: no acknowledgment of unsent data" in err


def test_a_callers_own_alarm_is_left_alone():
    """A grader's or a test's wall-clock limit (a pending SIGALRM timer) survives a
    run with budgets: the run then asks its budget between properties only."""
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        r = run(preset("seed"), max_seconds=100, max_memory=2 ** 40)
        assert r.stopped is None
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60
        assert signal.getsignal(signal.SIGALRM) is not None and not fired
        assert signal.getsignal(signal.SIGALRM).__name__ == "<lambda>"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_without_budgets_or_progress_no_alarm_is_used(monkeypatch):
    calls = []
    monkeypatch.setattr(signal, "setitimer", lambda *a: calls.append(a) or (0.0, 0.0))
    run(preset("seed"))
    assert calls == []
