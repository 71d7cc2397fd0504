"""Exact size of each preset's state space, and determinism of the exploration.

The numbers were read from a run of the model as it stands and pinned: any
change to the semantics, the table, the network or the explorer that changes
what is reachable shows up here as a changed count.
"""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from tcpcheck.model.checker import run
from tcpcheck.model.config import PRESETS, preset

from conftest import run_preset, verdict

# preset: (states, transitions, max depth, terminal states, rules fired, rules never fired)
PINNED = {
    "default": (28817, 116481, 21, 17, 71, 75),
    "reliable": (307, 572, 17, 1, 34, 112),
    "seed": (14, 15, 11, 1, 13, 133),
    "simultaneous-open": (1896, 6132, 16, 5, 53, 93),
    "duplicating": (17688, 96308, 22, 5, 64, 82),
    "abort": (5081, 12625, 22, 1, 60, 86),
}

# preset: the properties that do not hold there (all others hold)
# (the liveness properties fail exactly where a FIN_WAIT_2 endpoint can be stranded)
# and the passive closer is reset wherever untimed 2MSL may expire before the peer's
# retransmitted FIN arrives (lossy presets), or the peer may ABORT
VIOLATED = {
    "default": ["the passive closer is never reset", "deadlock freedom", "every close completes"],
    "reliable": [],
    "seed": ["CLOSING is reachable"],
    "simultaneous-open": ["the passive closer is never reset", "LISTEN is reachable",
                          "deadlock freedom", "every close completes",
                          "SYN_SENT leads to ESTABLISHED or CLOSED"],
    "duplicating": ["the passive closer is never reset", "deadlock freedom", "every close completes"],
    "abort": ["the passive closer is never reset"],
}


def test_every_preset_is_pinned():
    assert set(PINNED) == set(PRESETS) == set(VIOLATED)


@pytest.mark.parametrize("name", list(PINNED))
def test_state_space_size(name):
    r = run_preset(name)
    x = r.exploration
    states, transitions, depth, terminal, fired, dead = PINNED[name]
    assert x.complete
    assert len(x.states) == states
    assert x.transitions == transitions
    assert x.max_depth == depth
    assert len(x.terminal) == terminal
    assert x.expanded == states
    assert len(r.fired) == fired
    assert len(r.dead) == dead
    assert fired + dead == len(r.table.rules) == 146


@pytest.mark.parametrize("name", list(VIOLATED))
def test_verdicts_per_preset(name):
    r = run_preset(name)
    violated = [v.name for v in r.verdicts if v.verdict == "violated"]
    assert violated == VIOLATED[name]
    assert all(v.verdict in ("holds", "violated") for v in r.verdicts)


@pytest.mark.parametrize("name", ["reliable", "seed", "abort"])
def test_presets_without_loss_drop_nothing(name):
    """The no-fault presets have a capacity at which no channel overflows, and
    it is the smallest such: the channels do fill up to it, and one less drops."""
    cfg = preset(name)
    assert not cfg.loss and not cfg.duplication
    x = run_preset(name).exploration
    labels = [x.label(k) for k in range(len(x.labels))]
    assert not [step for step in labels if step.dropped]
    peak = max(max(len(s.net_AB), len(s.net_BA)) for s in (x.state(i) for i in range(len(x.states))))
    assert peak == cfg.capacity
    smaller = run(dataclasses.replace(cfg, capacity=cfg.capacity - 1)).exploration
    assert any(smaller.label(k).dropped for k in range(len(smaller.labels)))


def test_the_default_network_does_drop_at_capacity_2():
    """The counterpart: at capacity 2 the default network fills up and drops."""
    x = run_preset("default").exploration
    dropped = [x.label(k) for k in range(len(x.labels)) if x.label(k).dropped]
    assert len(dropped) == 172
    assert all(set(step.dropped) <= set(step.sent) for step in dropped)


def test_every_transition_is_recorded_once_per_label():
    """Edges are (source, target, label) triples without duplicates."""
    x = run_preset("reliable").exploration
    triples = list(zip(x.src, x.dst, x.lab))
    assert len(triples) == len(set(triples)) == 572


def test_bfs_depths_are_shortest_path_lengths():
    """Each state's depth is its parent's plus one, and equals len(path) - 1."""
    x = run_preset("simultaneous-open").exploration
    for i in range(1, len(x.states)):
        assert x.depth[i] == x.depth[x.parent[i]] + 1
    for i in (0, 1, 500, len(x.states) - 1):
        assert len(x.path(i)) - 1 == x.depth[i]
    # BFS order: depths never decrease along the numbering
    assert list(x.depth) == sorted(x.depth)


def _fingerprint(result):
    x = result.exploration
    v = verdict(result, "deadlock freedom")
    return (len(x.states), x.transitions, x.max_depth, v.state, x.path(v.state))


def test_two_runs_of_default_are_identical():
    first = run(preset("default"))
    second = run_preset("default")
    n1, t1, d1, s1, path1 = _fingerprint(first)
    n2, t2, d2, s2, path2 = _fingerprint(second)
    assert (n1, t1, d1, s1) == (n2, t2, d2, s2) == (28817, 116481, 21, 3959)
    # the same counterexample, Step by Step and state by state
    assert [step for step, _ in path1] == [step for step, _ in path2]
    assert [s for _, s in path1] == [s for _, s in path2]
    assert len(path1) - 1 == 12
    # and the same numbering of every state
    x1, x2 = first.exploration, second.exploration
    assert [x1.state(i) for i in range(0, len(x1.states), 97)] == \
        [x2.state(i) for i in range(0, len(x2.states), 97)]


def _json_run(hashseed: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    proc = subprocess.run([sys.executable, "-m", "tcpcheck.model", "check", "--preset",
                           "simultaneous-open", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    del out["seconds"], out["timings"]  # how long it took is the only thing that may differ
    for p in out["properties"]:
        p.pop("seconds", None)
    return out


def test_output_does_not_depend_on_string_hashing():
    """Two processes with different hash seeds print the same result, traces included."""
    a, b = _json_run("1"), _json_run("2")
    assert a == b
    assert (a["states"], a["transitions"], a["depth"]) == (1896, 6132, 16)


def test_progress_reports_during_exploration():
    from tcpcheck.model.checker import build
    from tcpcheck.model.explorer import explore

    seen = []
    x = explore(build(preset("default")), progress=lambda e: seen.append((len(e.states), e.expanded)),
                progress_every=0.0)
    assert len(seen) == 28817 // 1024
    assert [expanded for _, expanded in seen] == [1024 * k for k in range(1, len(seen) + 1)]
    assert all(found >= expanded for found, expanded in seen)
    assert (len(x.states), x.expanded) == (28817, 28817)
