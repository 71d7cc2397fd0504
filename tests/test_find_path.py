"""explorer.find_path and the named scenarios, checked against an independent
search over the full exploration (conftest.Graph.monitored_path)."""

from __future__ import annotations

import pytest

from tcpcheck.model.checker import build, run
from tcpcheck.model.explorer import find_path
from tcpcheck.model.scenarios import SCENARIOS, scenario_path
from tcpcheck.model.tcb import describe_segment

from conftest import Graph, run_preset, steps_of


def _sent(path):
    return [describe_segment(q) for step in steps_of(path) for q in step.sent]


def _independent(sc):
    """The same question answered by a BFS over the whole explored graph."""
    g = Graph(run(sc.config).exploration)

    def advance(notes, before, step, after):
        return sc.observe(notes, step, after) if sc.observe else notes

    return g.monitored_path(frozenset(), advance, lambda notes, s: sc.goal(s, notes))


def test_the_four_scenarios():
    assert list(SCENARIOS) == ["seed", "simultaneous-open", "simultaneous-close", "lost-final-ack"]


@pytest.mark.parametrize("name, length", [
    ("seed", 11), ("simultaneous-open", 8), ("simultaneous-close", 12), ("lost-final-ack", 14)])
def test_scenario_is_the_shortest_run(name, length):
    cfg, table, path = scenario_path(name)
    assert len(path) - 1 == length
    other = _independent(SCENARIOS[name])
    assert other is not None and len(other) - 1 == length
    # the same run, step for step (both searches take successors in the model's order)
    assert steps_of(path) == steps_of(other)
    assert [s for _, s in path] == [s for _, s in other]


def test_seed_scenario_is_the_seven_segments():
    _, _, path = scenario_path("seed")
    assert path == run_preset("seed").exploration.path(13)
    assert _sent(path) == [
        "<SEQ=4294967294><CTL=SYN>", "<SEQ=300><ACK=4294967295><CTL=SYN,ACK>",
        "<SEQ=4294967295><ACK=301><CTL=ACK>", "<SEQ=4294967295><ACK=301><CTL=FIN,ACK>",
        "<SEQ=301><ACK=0><CTL=ACK>", "<SEQ=301><ACK=0><CTL=FIN,ACK>", "<SEQ=0><ACK=302><CTL=ACK>"]


def test_simultaneous_close_scenario_passes_closing_on_both_sides():
    _, _, path = scenario_path("simultaneous-close")
    for who in "AB":
        states = [getattr(s, who).state for _, s in path]
        assert "CLOSING" in states and states[-1] == "CLOSED"
        assert "FIN_WAIT_2" not in states and "CLOSE_WAIT" not in states


def test_lost_final_ack_scenario():
    _, _, path = scenario_path("lost-final-ack")
    events = [(st.actor, st.kind, st.event) for st in steps_of(path)]
    assert events[-5:] == [
        ("network", "lose", "A->B"),
        ("B", "timer", "retransmission timeout"),
        ("A", "rcv", "rcv retransmitted FIN"),
        ("B", "rcv", "rcv ACK of FIN"),
        ("A", "timer", "timeout 2MSL"),
    ]
    assert all(s.A.state == "TIME_WAIT" for _, s in path[-6:-1])


def test_unknown_scenario():
    with pytest.raises(KeyError, match="unknown scenario 'nope'; known scenarios: seed, "):
        scenario_path("nope")


def test_find_path_without_a_run_returns_none():
    model = build(run_preset("seed").config)
    assert find_path(model, lambda s, n: s.A.state == "CLOSING") is None


def test_find_path_gives_up_at_its_budget():
    """With too small a budget the search says so, rather than answer 'no such run'."""
    model = build(run_preset("seed").config)
    with pytest.raises(RuntimeError, match="gave up after 5"):
        find_path(model, lambda s, n: s.A.state == "TIME_WAIT", max_states=5)
    assert len(find_path(model, lambda s, n: s.A.state == "TIME_WAIT")) - 1 == 9
