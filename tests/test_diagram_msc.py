"""Message sequence charts (diagrams/msc.py) of real traces.

Every trace here comes from an exploration: the seed note's exchange, the
default model's deadlock counterexample (a drop, a retransmission, a loss, a
user timeout), a lost SYN,ACK answered by a retransmission, a lost SYN whose
retransmission is still in flight, and a duplicated SYN,ACK.  The DOT is read
back: its arrows (edges ``segN``, with class and tooltip), the pinned
positions of their ends, the state boxes and the notes.
"""

from __future__ import annotations

import copy
import functools
import re
import shutil

import pytest

from tcpcheck.diagrams.msc import msc_dot, segment_label
from tcpcheck.diagrams.render import font_for, render
from tcpcheck.model.report import trace_json

from conftest import preset_graph, run_preset

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")

NAMES = {"A": "A (client)", "B": "B (server)"}


# --- traces -----------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def seed_trace():
    """The seed note's segments 1-7: the first state after the start where both are CLOSED again."""
    r = run_preset("seed")
    x = r.exploration
    i = next(i for i in range(1, len(x.states))
             if (s := x.state(i)).A.state == s.B.state == "CLOSED" and not s.net_AB and not s.net_BA)
    return trace_json(x.path(i), r.table)


@functools.lru_cache(maxsize=None)
def counterexample_trace():
    """The default model's first violated property's counterexample."""
    r = run_preset("default")
    v = next(v for v in r.verdicts if v.name == "deadlock freedom")
    return trace_json(r.exploration.path(v.state), r.table)


def _path_trace(preset: str, phases):
    path = preset_graph(preset).constrained_path(phases)
    assert path is not None, f"no such path in preset {preset}"
    return trace_json(path, run_preset(preset).table)


def _both_established(b, s, a):
    return a.A.state == a.B.state == "ESTABLISHED" and not a.net_AB and not a.net_BA


def _no_loss(b, s, a):
    return s.kind != "lose"


@functools.lru_cache(maxsize=None)
def retransmission_trace():
    """A segment lost, then retransmitted on a timeout, then the handshake completes."""
    return _path_trace("default", [(lambda b, s, a: s.kind == "lose", None),
                                   (lambda b, s, a: s.event == "retransmission timeout", None),
                                   (_both_established, _no_loss)])


@functools.lru_cache(maxsize=None)
def in_flight_trace():
    """The shortest loss followed by a retransmission: the copy is still on its way at the end."""
    return _path_trace("default", [(lambda b, s, a: s.kind == "lose", None),
                                   (lambda b, s, a: s.event == "retransmission timeout", None)])


@functools.lru_cache(maxsize=None)
def duplicate_trace():
    """A SYN,ACK duplicated by the network, both copies received by A."""
    got_syn = lambda b, s, a: s.kind == "rcv" and s.actor == "A" and s.segment.SYN  # noqa: E731
    return _path_trace("duplicating", [(lambda b, s, a: s.kind == "duplicate", None), (got_syn, None),
                                       (got_syn, None), (_both_established, _no_loss)])


# --- reading the DOT back -------------------------------------------------------------

_ARROW = re.compile(r'^\s*seg(\d+)_a -> seg\1_b \[id="seg\1", class="([^"]*)", tooltip="([^"]*)", (.*)\];$', re.M)
_POS = re.compile(r'^\s*(\w+) \[pos="(-?[\d.]+),(-?[\d.]+)!"(.*)\];$', re.M)
_STATE = re.compile(r'^\s*state([AB])_(\d+) \[.*label=<<b>([^<]*)</b>>', re.M)
_NOTE = re.compile(r'^\s*note([AB])_(\d+) \[.*label="([^"]*?)\\[lr]"', re.M)


def arrows(dot: str) -> list[dict]:
    """The segment arrows, in order: number, direction, class, label, attributes, ends."""
    pos = positions(dot)
    out = []
    for n, klass, tooltip, attrs in _ARROW.findall(dot):
        way = re.search(r"\b([AB])-([AB])\b", klass).groups()
        out.append({"n": int(n), "way": "->".join(way), "class": klass.split(), "label": tooltip,
                    "attrs": attrs, "p0": pos[f"seg{n}_a"], "p1": pos[f"seg{n}_b"]})
    return sorted(out, key=lambda a: a["n"])


def positions(dot: str) -> dict[str, tuple[float, float]]:
    """Every node's pinned position, in points, y downwards (as time runs)."""
    return {name: (float(x), -float(y)) for name, x, y, _ in _POS.findall(dot)}


def node_line(dot: str, name: str) -> str:
    found = [line for line in dot.splitlines() if line.strip().startswith(f"{name} [")]
    assert len(found) == 1, name
    return found[0]


def label_text(dot: str, name: str) -> str:
    """The text of a node's label, HTML markup and line breaks taken out."""
    line = node_line(dot, name)
    m = re.search(r"label=<(.*)>, fontsize", line)
    assert m, line
    lines = re.sub(r"<[^>]*>", "", re.sub(r"<br[^>]*>", "\n", m.group(1))).split("\n")
    return " ".join(x for x in lines if x)


def states(dot: str) -> dict[str, list[tuple[int, str]]]:
    out = {"A": [], "B": []}
    for who, k, s in _STATE.findall(dot):
        out[who].append((int(k), s))
    return {w: sorted(v) for w, v in out.items()}


def notes(dot: str) -> dict[tuple[str, int], str]:
    return {(who, int(k)): text for who, k, text in _NOTE.findall(dot)}


def row_y(dot: str, step: int) -> float:
    """The y of a step's row: where its number is written in the margin."""
    return positions(dot)[f"step{step}"][1]


# --- the seed exchange -------------------------------------------------------------

SEED_SEGMENTS = [
    ("A->B", "SYN  SEQ=4294967294"),
    ("B->A", "SYN,ACK  SEQ=300 ACK=4294967295"),
    ("A->B", "ACK  SEQ=4294967295 ACK=301"),
    ("A->B", "FIN,ACK  SEQ=4294967295 ACK=301"),
    ("B->A", "ACK  SEQ=301 ACK=0"),  # 4294967295 + 1 wraps to 0
    ("B->A", "FIN,ACK  SEQ=301 ACK=0"),
    ("A->B", "ACK  SEQ=0 ACK=302"),
]


@pytest.fixture(scope="module")
def seed_dot():
    return msc_dot(seed_trace(), title="seed", names=NAMES)


def test_seed_has_the_seven_segments_in_order_with_their_labels(seed_dot):
    got = arrows(seed_dot)
    assert [(a["way"], a["label"]) for a in got] == SEED_SEGMENTS
    assert all(a["class"] == ["segment", a["way"].replace("->", "-"), "received"] for a in got)
    assert all("arrowhead=normal" in a["attrs"] for a in got)
    # The label drawn by each arrow says the same (flags in bold), after the segment's
    # number as the seed note counts them: segment 1 is the SYN, 7 the last ACK.
    for a in got:
        assert label_text(seed_dot, f"seg{a['n']}_label") == f"({a['n']}) {a['label']}"


def test_seed_arrows_go_from_the_sending_step_to_the_receiving_step(seed_dot):
    trace = seed_trace()
    sent = [(st["step"], st["actor"]) for st in trace[1:] for _ in st["sent"]]
    received = [(st["step"], st["actor"]) for st in trace[1:] if st["kind"] == "rcv"]
    assert [s for s, _ in sent] == [1, 2, 3, 4, 6, 7, 9]
    assert [r for r, _ in received] == [2, 3, 5, 6, 8, 9, 10]
    x_a, x_b = positions(seed_dot)["lifeA_a"][0], positions(seed_dot)["lifeB_a"][0]
    assert x_a < x_b
    for a, (s, who), (r, to) in zip(arrows(seed_dot), sent, received):
        assert a["way"] == f"{who}->{to}"
        assert a["p0"] == ({"A": x_a, "B": x_b}[who], row_y(seed_dot, s))
        assert a["p1"] == ({"A": x_a, "B": x_b}[to], row_y(seed_dot, r))
        assert a["p1"][1] > a["p0"][1]  # slanted downwards: time runs down the page


def test_seed_states_are_written_on_the_lifelines_where_they_change(seed_dot):
    got = states(seed_dot)
    assert [s for _, s in got["A"]] == ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                        "TIME_WAIT", "CLOSED"]
    assert [k for k, _ in got["A"]] == [0, 1, 3, 4, 8, 9, 11]
    assert [s for _, s in got["B"]] == ["LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]
    assert [k for k, _ in got["B"]] == [0, 2, 5, 6, 7, 10]
    pos = positions(seed_dot)
    x_a, x_b = pos["lifeA_a"][0], pos["lifeB_a"][0]
    for who, seq in got.items():
        for k, _ in seq:
            x, y = pos[f"state{who}_{k}"]
            assert (x < x_a) if who == "A" else (x > x_b)  # beside its own lifeline
            if k:
                assert y > row_y(seed_dot, k)  # just after the step ...
            if k + 1 < len(seed_trace()):
                assert y < row_y(seed_dot, k + 1)  # ... before the next one


def test_seed_notes_calls_timeouts_and_received_events(seed_dot):
    got = notes(seed_dot)
    assert got[("A", 1)] == "active OPEN"
    assert got[("A", 4)] == "CLOSE"
    assert got[("B", 7)] == "CLOSE"
    assert got[("B", 6)] == "rcv ACK; rcv FIN"
    assert got[("A", 8)] == "rcv ACK of FIN"
    assert got[("A", 9)] == "rcv ACK; rcv FIN"
    assert got[("A", 11)] == "timeout 2MSL"
    assert len(got) == 11  # one per step, beside the endpoint that acted
    assert 'label=<<b>A (client)</b>>' in node_line(seed_dot, "headA")
    assert 'label=<<b>B (server)</b>>' in node_line(seed_dot, "headB")


def test_the_dot_pins_every_node_for_neato(seed_dot):
    assert "layout=neato" in seed_dot and "inputscale=72" in seed_dot
    nodes = re.findall(r"^\s*(\w+) \[", seed_dot, re.M)
    pinned = positions(seed_dot)
    assert set(nodes) - {"graph", "node", "edge"} == set(pinned)


def test_segment_label():
    assert segment_label("<SEQ=4294967294><CTL=SYN>") == "SYN  SEQ=4294967294"
    assert segment_label("<SEQ=301><ACK=0><CTL=FIN,ACK>") == "FIN,ACK  SEQ=301 ACK=0"
    assert segment_label("<SEQ=4294967295><ACK=302><CTL=ACK><DATA=1>") == "DATA,ACK  SEQ=4294967295 ACK=302"


# --- faults ------------------------------------------------------------------------


def test_counterexample_drop_loss_and_timeouts():
    trace = counterexample_trace()
    dot = msc_dot(trace, names=NAMES)
    got = arrows(dot)
    drop_step = next(st["step"] for st in trace[1:] if st["dropped"])
    lose_step = next(st["step"] for st in trace[1:] if st["kind"] == "lose")
    rto_step = next(st["step"] for st in trace[1:] if st["event"] == "retransmission timeout")

    dropped = [a for a in got if "dropped" in a["class"]]
    assert len(dropped) == 1
    d = dropped[0]
    assert d["label"] == "DATA,ACK  SEQ=4294967295 ACK=302" and d["way"] == "A->B"
    assert d["p0"] == (0.0, row_y(dot, drop_step))  # at the sender, at the step it was sent
    assert 0 < d["p1"][0] < 60 and "arrowhead=none" in d["attrs"]  # ends just off the sender ...
    assert f'seg{d["n"]}_cross1_a' in dot and 'class="cross dropped"' in dot  # ... in a cross
    assert label_text(dot, f"seg{d['n']}_label") == "(6) DATA,ACK SEQ=4294967295 ACK=302 dropped (channel full)"

    lost = [a for a in got if "lost" in a["class"]]
    assert len(lost) == 1
    lo = lost[0]
    # The copy lost is the retransmission (the dropped one never was in flight).
    assert lo["label"] == d["label"] and lo["p0"] == (0.0, row_y(dot, rto_step))
    x_b = positions(dot)["lifeB_a"][0]
    assert lo["p1"][1] == row_y(dot, lose_step) and 0 < lo["p1"][0] < x_b  # part-way across
    pos = positions(dot)
    cross = [pos[f"seg{lo['n']}_cross{i}_{e}"] for i in (1, 2) for e in "ab"]
    assert sum(x for x, _ in cross) / 4 == pytest.approx(lo["p1"][0])
    assert sum(y for _, y in cross) / 4 == pytest.approx(lo["p1"][1])
    assert len(re.findall(r'class="cross lost"', dot)) == 2
    assert label_text(dot, f"seg{lo['n']}_note") == "lost"

    n = notes(dot)
    assert n[("A", rto_step)] == "retransmission timeout"
    assert "user timeout" in n.values()
    assert 'fontcolor="#b35300"' in node_line(dot, f"noteA_{rto_step}")  # timeouts in their own ink
    assert states(dot)["A"][-1][1] == "CLOSED"


def test_loss_answered_by_a_retransmission():
    trace = retransmission_trace()
    dot = msc_dot(trace)
    got = arrows(dot)
    lose = next(st for st in trace[1:] if st["kind"] == "lose")
    rto = next(st for st in trace[1:] if st["event"] == "retransmission timeout")
    lost = [a for a in got if "lost" in a["class"]]
    assert [a["label"] for a in lost] == [segment_label(lose["segment"])]
    assert lost[0]["p1"][1] == row_y(dot, lose["step"])
    again = [a for a in got if a["label"] == lost[0]["label"] and "received" in a["class"]]
    assert len(again) == 1 and again[0]["p0"][1] == row_y(dot, rto["step"])
    assert notes(dot)[(rto["actor"], rto["step"])] == "retransmission timeout"
    assert [s for _, s in states(dot)["A"]][-1] == [s for _, s in states(dot)["B"]][-1] == "ESTABLISHED"


def test_a_segment_still_in_flight_ends_at_the_bottom_edge():
    trace = in_flight_trace()
    assert trace[-1]["in_flight"]["A->B"] or trace[-1]["in_flight"]["B->A"]
    dot = msc_dot(trace)
    got = arrows(dot)
    flying = [a for a in got if "in-flight" in a["class"]]
    assert len(flying) == 1
    f = flying[0]
    assert "arrowhead=empty" in f["attrs"]  # an open arrowhead ...
    assert f["p1"][1] == positions(dot)["lifeA_b"][1]  # ... at the bottom edge
    assert label_text(dot, f"seg{f['n']}_note") == "in flight"


def test_a_duplicate_is_a_second_arrow_from_the_point_of_duplication():
    trace = duplicate_trace()
    dot = msc_dot(trace)
    got = arrows(dot)
    dup_step = next(st["step"] for st in trace[1:] if st["kind"] == "duplicate")
    arrivals = [st["step"] for st in trace[1:] if st["kind"] == "rcv" and st["actor"] == "A"
                and "SYN" in segment_label(st["segment"])]
    dups = [a for a in got if "duplicate" in a["class"]]
    assert len(dups) == 1
    dup = dups[0]
    original = next(a for a in got if a["label"] == dup["label"] and a is not dup)
    assert dup["label"] == original["label"] == "SYN,ACK  SEQ=300 ACK=4294967295"
    # the copy is the same segment: it has its original's number, and the segments sent after it go on
    assert "style=dashed" in dup["attrs"] and label_text(dot, f"seg{dup['n']}_label") == f"({original['n']}) duplicate"
    later = [a for a in got if a["n"] > dup["n"]]
    assert later and all(label_text(dot, f"seg{a['n']}_label").startswith(f"({a['n'] - 1}) ") for a in later)
    # The original arrives first, the copy second (earliest copy first).
    assert original["p1"][1] == row_y(dot, arrivals[0]) and dup["p1"][1] == row_y(dot, arrivals[1])
    # The copy starts on the original's arrow, at the step the network copied it.
    (x0, y0), (x1, y1) = original["p0"], original["p1"]
    x, y = dup["p0"]
    assert y == row_y(dot, dup_step)
    assert x == pytest.approx(x0 + (y - y0) / (y1 - y0) * (x1 - x0), abs=0.2)
    assert f"seg{dup['n']}_copy" in positions(dot)


# --- language, stability, rendering ----------------------------------------------------


def test_same_trace_same_bytes():
    trace = counterexample_trace()
    first = msc_dot(trace, title="t", names=NAMES)
    assert msc_dot(copy.deepcopy(trace), title="t", names=NAMES) == first
    assert msc_dot(seed_trace(), lang="zh") == msc_dot(copy.deepcopy(seed_trace()), lang="zh")


def test_chinese_labels_and_font():
    dot = msc_dot(counterexample_trace(), title="反例", lang="zh",
                  names={"A": "A（客户端）", "B": "B（服务器）"})
    font = font_for("zh")
    assert font == "Noto Sans CJK SC"
    for default in ("graph", "node", "edge"):
        assert re.search(rf'^\s*{default} \[.*fontname="{font}"', dot, re.M)
    assert re.findall(r'fontname="([^"]*)"', dot) == [font] * 3  # and no other font anywhere
    n = notes(dot)
    assert n[("A", 1)] == "主动打开" and "重传超时" in n.values() and "用户超时" in n.values()
    assert "收到 ACK；收到 FIN" in n.values()
    assert "<i>丢失</i>" in dot and "丢弃（信道已满）" in dot
    assert [s for _, s in states(dot)["B"]][-1] == "FIN_WAIT_2"  # state names as in the RFC
    assert "SYN,ACK  SEQ=300 ACK=4294967295" in [a["label"] for a in arrows(dot)]


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        msc_dot(seed_trace(), lang="fr")


def test_initial_state_only():
    dot = msc_dot(seed_trace()[:1])
    assert arrows(dot) == [] and states(dot) == {"A": [(0, "CLOSED")], "B": [(0, "LISTEN")]}


@needs_dot
def test_renders_to_svg_at_the_pinned_positions(seed_dot):
    svg = render(seed_dot, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert len(re.findall(r'<g id="seg\d" class="edge segment', svg)) == 7
    assert "SEQ=300 ACK=4294967295" in svg and "FIN_WAIT_2" in svg
    # dot followed layout=neato and kept the pins: the lifelines are as far apart as asked.
    pos = positions(seed_dot)
    gap = pos["lifeB_a"][0] - pos["lifeA_a"][0]
    xs = []
    for name in ("lifeA", "lifeB"):
        m = re.search(rf'<title>{name}_a&#45;&gt;{name}_b</title>\s*<path [^>]*d="M(-?[\d.]+),', svg)
        assert m, name
        xs.append(float(m.group(1)))
    assert xs[1] - xs[0] == pytest.approx(gap, abs=0.6)


@needs_dot
def test_renders_chinese_to_png():
    png = render(msc_dot(seed_trace(), lang="zh"), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


# --- a lasso's cycle, a deadlock's wait -------------------------------------------------


def test_a_deadlock_ends_in_a_wait_for_ever_where_an_endpoint_is_not_closed():
    trace = counterexample_trace()  # stuck with A CLOSED and B in FIN_WAIT_2
    assert (trace[-1]["A"]["state"], trace[-1]["B"]["state"]) == ("CLOSED", "FIN_WAIT_2")
    dot = msc_dot(trace, names=NAMES, stuck=True)
    pos = positions(dot)
    assert "waitA_a" not in pos  # A is CLOSED: its lifeline just ends
    assert pos["waitB_a"] == pos["lifeB_b"] and pos["waitB_b"][1] == pos["lifeB_b"][1] + 34
    assert 'class="wait"' in dot and "style=dotted" in dot
    assert label_text(dot, "waitB_note") == "waits in FIN_WAIT_2 for ever"
    assert "waitB" not in msc_dot(trace, names=NAMES)  # a run not said to be stuck: no wait


def test_a_lassos_cycle_is_framed_from_the_step_after_cycle_from():
    trace = seed_trace()  # 11 steps; frame the last three as if they repeated
    dot = msc_dot(trace, cycle_from=8)
    pos = positions(dot)
    top, bottom = pos["cycle1_a"][1], pos["cycle3_a"][1]
    assert row_y(dot, 8) < top < row_y(dot, 9) and row_y(dot, 11) < bottom
    assert pos["cycle1_a"][0] < pos["step9"][0] and pos["cycle1_b"][0] > pos["lifeB_a"][0]
    back = re.search(r'cycle_back_a -> cycle_back_b \[id="cycle_back".*arrowhead=normal', dot)
    assert back and pos["cycle_back_a"][1] > pos["cycle_back_b"][1]  # the arrow points back up
    assert 'label="steps 9-11\\rrepeat for ever\\r"' in dot
    assert "cycle" not in msc_dot(trace)
    with pytest.raises(ValueError, match="cycle_from must be a step from 0 to 10, not 11"):
        msc_dot(trace, cycle_from=11)


def test_roles_and_the_events_of_one_arrival_in_chinese(capsys):
    """The lifelines' heads say the roles from the catalogue; an arrival's events are joined by '；'."""
    from tcpcheck.model.cli import main

    assert main(["diagram", "trace", "seed", "--format", "dot", "--lang", "zh"]) == 0
    dot = capsys.readouterr().out
    assert re.findall(r"head[AB] .*label=<<b>([^<]*)</b>>", dot) == ["A（客户端）", "B（服务器）"]
    assert sorted(set(re.findall(r'label="(收到 ACK[^"\\]*)', dot))) == ["收到 ACK；收到 FIN"]
    assert main(["diagram", "trace", "seed", "--format", "dot", "--lang", "en"]) == 0
    dot = capsys.readouterr().out
    assert re.findall(r"head[AB] .*label=<<b>([^<]*)</b>>", dot) == ["A (client)", "B (server)"]
    assert "rcv ACK; rcv FIN" in dot
