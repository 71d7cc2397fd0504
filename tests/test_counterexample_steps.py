"""A counterexample shows the very transitions that make it, not merely some
step between the same two states.

Several different steps can join the same two states (in the default model,
about half of all pairs of states joined by a step are joined by more than
one: a segment lost, or received and ignored).  A run kept as state ids
alone does not say which one was taken, so a step property's violating step
and a lasso's steps are kept as label ids with the verdict, and every report
(the summary, ``--json``, ``tcpcheck diagram trace --counterexample``, the
state graph's highlight) shows those.
"""

from __future__ import annotations

import pytest

from tcpcheck.model.checker import Result, run
from tcpcheck.model.config import preset
from tcpcheck.model.explorer import explore
from tcpcheck.model.liveness import leads_to
from tcpcheck.model.properties import (PROPERTIES, Property, check_properties, labels_of, path_of,
                                       run_of)
from tcpcheck.model.report import result_json, summary_lines
from tcpcheck.model.system import APP_DONE, State, Step
from tcpcheck.model.table import load_table
from tcpcheck.model.tcb import CLOSED_TCB, TCB, Segment

PASSIVE_CLOSER = next(p for p in PROPERTIES if p.name == "the passive closer is never reset")

# A in LAST_ACK, then A in CLOSED: two different steps lead from the one to the other.
LAST_ACK = State(TCB("LAST_ACK", 100, 300, 100, 102, 302, False, 0), CLOSED_TCB, APP_DONE, APP_DONE, (), ())
CLOSED = LAST_ACK._replace(A=CLOSED_TCB)
RST = Segment(False, False, False, True, 302, 0)
GIVES_UP = Step("A", "timer", "user timeout", None, (), ())
IS_RESET = Step("A", "rcv", "rcv RST", RST, (), ())


class Edges:
    """A model given by its edges: {state: [(step, next state), ...]}, in order."""

    def __init__(self, initial, edges):
        self.initial, self.edges = initial, edges

    def initial_states(self):
        return [self.initial]

    def successors(self, s):
        return self.edges.get(s, [])


def two_ways_to_close():
    """LAST_ACK -> CLOSED by the user timeout (found first, so the BFS's parent
    step) and by a reset (found second): only the second violates the property."""
    return explore(Edges(LAST_ACK, {LAST_ACK: [(GIVES_UP, CLOSED), (IS_RESET, CLOSED)]}))


def test_the_case_is_the_one_that_used_to_go_wrong():
    x = two_ways_to_close()
    assert [x.label(k) for k in x.labels_between(0, 1)] == [GIVES_UP, IS_RESET]
    assert x.label(x.via[1]) == GIVES_UP  # the BFS reached CLOSED by the timeout
    # from the states alone, the step shown would be the harmless one
    assert x.walk([0, 1])[-1][0] == GIVES_UP


def test_a_step_counterexample_keeps_the_violating_step():
    x = two_ways_to_close()
    (v,) = check_properties(x, (PASSIVE_CLOSER,))
    assert v.verdict == "violated"
    assert v.detail == "A in LAST_ACK is reset by <SEQ=302><CTL=RST>"
    assert run_of(x, v) == [0, 1]
    assert [x.label(k) for k in labels_of(x, v)] == [IS_RESET]
    assert path_of(x, v) == [(None, LAST_ACK), (IS_RESET, CLOSED)]


def test_reports_show_the_violating_step(monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # the report's prose unwrapped
    x = two_ways_to_close()
    result = Result(preset("seed"), load_table(), x, check_properties(x, (PASSIVE_CLOSER,)))
    lines = summary_lines(result)
    at = lines.index("Counterexample to 'the passive closer is never reset' (1 steps): "
                     "A in LAST_ACK is reset by <SEQ=302><CTL=RST>")
    assert lines[at + 2].split() == ["1.", "A", "receives", "<SEQ=302><CTL=RST>:", "rcv", "RST",
                                     "A", "LAST_ACK", "->", "CLOSED", "|", "B", "CLOSED"]
    assert not any("user timeout" in line for line in lines[at:])
    (prop,) = result_json(result)["properties"]
    step = prop["counterexample"][-1]
    assert (step["kind"], step["event"], step["segment"]["text"]) == ("rcv", "rcv RST", "<SEQ=302><CTL=RST>")


def test_walk_takes_the_steps_it_is_given_and_checks_them():
    x = two_ways_to_close()
    reset = x.labels_between(0, 1)[1]
    assert x.walk([0, 1], [reset])[-1][0] == IS_RESET
    with pytest.raises(ValueError, match="no step"):
        x.walk([1, 0], [reset])
    with pytest.raises(ValueError, match="2 states need 1 step labels"):
        x.walk([0, 1], [])


def test_state_graph_highlight_labels_the_exact_step():
    from tcpcheck.diagrams.states import states_dot

    x = two_ways_to_close()
    (v,) = check_properties(x, (PASSIVE_CLOSER,))
    dot = states_dot(x, "two ways", quotient=False, path=run_of(x, v), steps=labels_of(x, v))
    (edge,) = [line for line in dot.splitlines() if "s0 -> s1" in line]
    assert "rcv RST" in edge and "#c0392b" in edge
    plain = states_dot(x, "two ways", quotient=False)
    assert "user timeout" in next(line for line in plain.splitlines() if "s0 -> s1" in line)


# --- on the TCP model ---------------------------------------------------------------

NO_LOST_FIN = Property("the network never loses a FIN", "step", "No FIN is ever lost.",
                       lambda before, step, after: "a FIN is lost"
                       if step.kind == "lose" and step.segment.FIN else None)


@pytest.fixture(scope="module")
def lost_fin():
    return run(preset("default"), properties=(NO_LOST_FIN,))


def test_tcp_a_loss_and_an_ignored_arrival_join_the_same_states(lost_fin):
    """In the default model the first FIN lost is the server's, while the client
    is in SYN_SENT: the client would have ignored it anyway, so receiving it
    (found first) and losing it (found second) lead to the same state."""
    x = lost_fin.exploration
    (v,) = lost_fin.verdicts
    ids = run_of(x, v)
    both = [x.label(k) for k in x.labels_between(ids[-2], ids[-1])]
    assert [(s.actor, s.kind, s.event) for s in both] == [("A", "rcv", "rcv other segment"),
                                                          ("network", "lose", "B->A")]
    assert x.walk(ids)[-1][0] == both[0]  # what the states alone would show
    assert path_of(x, v)[-1][0] == both[1]


def test_tcp_summary_and_json_show_the_loss(lost_fin, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")
    lines = summary_lines(lost_fin)
    at = lines.index("Counterexample to 'the network never loses a FIN' (5 steps): a FIN is lost")
    assert lines[at + 9].split()[:3] == ["5.", "network", "loses"]
    assert "<CTL=FIN,ACK> (B->A)" in lines[at + 9]
    step = result_json(lost_fin)["properties"][0]["counterexample"][-1]
    assert (step["kind"], step["event"]) == ("lose", "B->A")


def test_tcp_trace_diagram_of_the_counterexample_shows_the_loss(lost_fin, monkeypatch, capsys):
    import tcpcheck.diagrams.cli as diagram_cli
    from tcpcheck.model.cli import main

    monkeypatch.setattr(diagram_cli, "run", lambda cfg, table, max_states=None: lost_fin)
    assert main(["diagram", "trace", "--counterexample", "the network never loses a FIN",
                 "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert 'class="segment B-A lost"' in dot  # the FIN,ACK ends in a cross
    assert "rcv other segment" not in dot


# --- lassos -------------------------------------------------------------------------------

def step(actor, kind, event):
    return Step(actor, kind, event, None, (), ())


def test_a_lasso_keeps_its_steps():
    # 0 -> 1, then round 1 -> 2 -> 1 for ever; 1 -> 2 by either of two steps
    ab, ba = step("B", "rcv", "first"), step("B", "rcv", "second")
    edges = {0: [(step("A", "call", "open"), 1)], 1: [(ab, 2), (ba, 2)], 2: [(step("A", "rcv", "back"), 1)]}
    x = explore(Edges(0, edges))
    lasso = leads_to(x, lambda s: s == 0, lambda s: s == 3)
    assert (lasso.stem, lasso.cycle) == ([0, 1], [1, 2, 1])
    assert [x.label(k).event for k in lasso.stem_labels] == ["open"]
    assert [x.label(k).event for k in lasso.cycle_labels] == ["first", "back"]
    assert lasso.ids == [0, 1, 2, 1] and len(lasso.labels) == 3


def test_liveness_counterexamples_walk_with_their_own_steps():
    """On the TCP model: every step of a liveness lasso is a step between its two
    states, and the report's run is the one the analysis found."""
    r = run(preset("default"))
    x = r.exploration
    v = next(v for v in r.verdicts if v.name == "every close completes")
    ids, labels = run_of(x, v), labels_of(x, v)
    assert len(labels) == len(ids) - 1
    assert all(k in x.labels_between(u, w) for u, w, k in zip(ids, ids[1:], labels))
    assert [s for s, _ in path_of(x, v)[1:]] == [x.label(k) for k in labels]
