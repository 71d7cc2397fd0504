"""The system layer and the network: initial states, successor order, one
endpoint's receive, the applications, timers, channels, and structural
invariants of every reachable state of every preset.
"""

from __future__ import annotations

import pytest

from tcpcheck.model.actions import front_segment
from tcpcheck.model.channel import Channel
from tcpcheck.model.checker import build
from tcpcheck.model.config import PRESETS, preset
from tcpcheck.model.system import APP_DONE, App, State
from tcpcheck.model.tcb import CLOSED_TCB, FIN_SENT, MOD, TCB, Concrete, Segment

from conftest import preset_graph, run_preset, with_endpoint

SYN = Segment(True, False, False, False, 4294967294, 0)


def _seg(flags, seq, ack=0, n=0):
    return Segment("SYN" in flags, "ACK" in flags, "FIN" in flags, "RST" in flags, seq, ack, n)


# --- initial states and the first steps -----------------------------------------------

def test_default_initial_state_and_first_successors():
    m = build(preset("default"))
    (s0,) = m.initial_states()
    st = m.decode(s0)
    assert st == State(CLOSED_TCB, CLOSED_TCB, App("active", 1, True, False), App("passive", 1, True, False), (), ())
    assert m.encode(st) == s0
    succ = [(m.step(k), m.decode(t)) for k, t in m.successors(s0)]
    assert [(s.actor, s.kind, s.event, s.rules) for s, _ in succ] == [
        ("A", "call", "active OPEN", (1,)), ("B", "call", "passive OPEN", (0,))]
    a_open, b_open = succ
    assert a_open[1].A == TCB("SYN_SENT", 4294967294, 0, 4294967294, 4294967295, 0, False, 1)
    assert a_open[1].net_AB == (SYN,) and a_open[1].app_A == App("", 1, True, False)
    assert b_open[1].B == TCB("LISTEN", 300, 0, 300, 300, 0, True, 1)
    assert b_open[1].net_BA == ()


def test_opened_endpoint_starts_listening():
    """``opened`` makes the OPEN before the run, through the table's own rule."""
    m = build(preset("seed"))
    (s0,) = m.initial_states()
    st = m.decode(s0)
    assert st.B == TCB("LISTEN", 300, 0, 300, 300, 0, True, 1)
    assert st.app_B == App("", 0, True, False)
    assert st.A == CLOSED_TCB and st.app_A == App("active", 0, True, False)


def test_opened_active_endpoint_starts_with_its_syn_in_flight():
    m = build(with_endpoint(preset("reliable"), "A", opened=True))
    st = m.decode(m.initial_states()[0])
    assert st.A.state == "SYN_SENT" and st.net_AB == (SYN,) and st.app_A.open == ""


def test_endpoint_that_never_opens():
    r = run_preset_with(with_endpoint(preset("reliable"), "A", open="none"))
    x = r.exploration
    # B listens, and may close again; nothing else ever happens
    assert [x.state(i).B.state for i in range(len(x.states))] == ["CLOSED", "LISTEN", "CLOSED"]
    assert {x.state(i).A.state for i in range(len(x.states))} == {"CLOSED"}
    assert x.terminal == [2]
    assert [v.name for v in r.verdicts if v.verdict == "violated"] == [
        f"{s} is reachable" for s in ("SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                      "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK")]


def run_preset_with(cfg):
    from tcpcheck.model.checker import run
    return run(cfg)


# --- one endpoint receiving -----------------------------------------------------------

def test_receive_in_two_stages():
    """FIN_WAIT_1 + <FIN,ACK of our FIN>: rcv ACK of FIN (-> FIN_WAIT_2), then rcv FIN (-> TIME_WAIT)."""
    m = build(preset("default"))
    t = m.table
    tcb = TCB("FIN_WAIT_1", MOD - 2, 300, MOD - 1, 0, 301, False, 1)
    out, sent, rules, events = m.receive(0, tcb, _seg("FIN,ACK", 301, 0))
    assert events == "rcv ACK of FIN; rcv FIN"
    assert rules == (t.lookup("FIN_WAIT_1", "rcv ACK of FIN", False).id, t.lookup("FIN_WAIT_2", "rcv FIN", False).id)
    assert out == TCB("TIME_WAIT", MOD - 2, 300, 0, 0, 302, False, 1)
    assert sent == (_seg("ACK", 0, 302),)


def test_receive_stops_after_a_deleting_rule():
    m = build(preset("default"))
    tcb = TCB("LAST_ACK", 300, MOD - 2, 301, 302, 0, True, 1)
    out, sent, rules, events = m.receive(1, tcb, _seg("FIN,ACK", 0, 302))
    assert (out, sent, events) == (CLOSED_TCB, (), "rcv ACK of FIN")


def test_receive_rst_in_syn_rcvd_depends_on_how_it_was_opened():
    m = build(preset("default"))
    rst = _seg("RST", MOD - 1)
    passive = TCB("SYN_RCVD", 300, MOD - 2, 300, 301, MOD - 1, True, 1)
    out, sent, _, events = m.receive(1, passive, rst)
    assert (out, sent, events) == (TCB("LISTEN", 300, 0, 300, 300, 0, True, 1), (), "rcv RST")
    out, sent, _, events = m.receive(1, passive._replace(passive=False), rst)
    assert (out, events) == (CLOSED_TCB, "rcv RST")


AFTER_PEER_FIN = ["CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"]


def _after_fin_tcb(state):
    """B (ISS 300) has received A's FIN: A's numbers IRS=99, FIN at 100, RCV.NXT=101."""
    nxt = 302 if state in FIN_SENT else 301
    return TCB(state, 300, 99, 301, nxt, 101, True, 1)


@pytest.mark.parametrize("state", AFTER_PEER_FIN)
def test_text_after_the_peers_fin_is_ignored(state):
    m = build(preset("default"))
    tcb = _after_fin_tcb(state)
    out, sent, rules, events = m.receive(1, tcb, _seg("ACK", 101, 301, 1))
    assert events == "rcv ACK; rcv data"
    assert m.table.rules[rules[-1]].actions == ()
    assert out.rcv_nxt == tcb.rcv_nxt  # the text was ignored


@pytest.mark.parametrize("state", AFTER_PEER_FIN)
def test_text_after_the_peers_fin_is_latent(state):
    """The rows of the bug above never fire in any preset (so no pinned count depends on it)."""
    rule = build(preset("default")).table.lookup(state, "rcv data", True)
    for name in PRESETS:
        assert rule.id in run_preset(name).dead, name


def test_closed_endpoint_answers_with_resets():
    m = build(preset("default"))
    _, sent, _, _ = m.receive(1, CLOSED_TCB, SYN)
    assert sent == (Segment(False, True, False, True, 0, 4294967295),)  # <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    _, sent, _, _ = m.receive(1, CLOSED_TCB, _seg("ACK", 5, 77, 1))
    assert sent == (Segment(False, False, False, True, 77, 0),)  # <SEQ=SEG.ACK><CTL=RST>
    _, sent, _, _ = m.receive(1, CLOSED_TCB, _seg("RST", 5))
    assert sent == ()


def test_front_segment_of_the_retransmission_queue():
    D = Concrete
    assert front_segment(D, TCB("SYN_SENT", 7, 0, 7, 8, 0)) == _seg("SYN", 7)
    assert front_segment(D, TCB("SYN_RCVD", 7, 99, 7, 8, 100)) == _seg("SYN,ACK", 7, 100)
    # SYN_RCVD closed before its SYN was acknowledged: the SYN,ACK goes first
    assert front_segment(D, TCB("FIN_WAIT_1", 7, 99, 7, 9, 100)) == _seg("SYN,ACK", 7, 100)
    for state in FIN_SENT:
        assert front_segment(D, TCB(state, MOD - 2, 99, MOD - 1, 0, 100)) == _seg("FIN,ACK", MOD - 1, 100)
    assert front_segment(D, TCB("LAST_ACK", MOD - 2, 99, MOD - 1, 1, 100)) == _seg("ACK", MOD - 1, 100, 1)
    assert front_segment(D, TCB("ESTABLISHED", MOD - 2, 99, MOD - 1, 0, 100)) == _seg("ACK", MOD - 1, 100, 1)


# --- applications and timers --------------------------------------------------------

def test_timers_fire_only_when_nothing_is_in_flight():
    g = preset_graph("default")
    for u, step, v in g.edges():
        if step.kind == "timer":
            s = g.states[u]
            assert not s.net_AB and not s.net_BA
            t = getattr(s, step.actor)
            if step.event == "timeout 2MSL":
                assert t.state == "TIME_WAIT"
            else:
                assert t.snd_una != t.snd_nxt
                assert (step.event == "retransmission timeout") == (t.budget > 0)


def test_applications_open_close_and_send_within_their_bounds():
    g = preset_graph("default")
    counts = {}
    for u, step, v in g.edges():
        if step.kind != "call":
            continue
        before, after = getattr(g.states[u], f"app_{step.actor}"), getattr(g.states[v], f"app_{step.actor}")
        if step.event.endswith("OPEN"):
            assert before.open and getattr(g.states[u], step.actor).state == "CLOSED"
            assert not after.open
        elif step.event == "SEND":
            assert before.data == 1 and after.data in (0, APP_DONE.data)
        elif step.event == "CLOSE":
            assert before.close and not after.close and after.data == 0
        counts[step.event] = counts.get(step.event, 0) + 1
    assert set(counts) == {"active OPEN", "passive OPEN", "SEND", "CLOSE"}


def test_close_only_where_configured():
    g = preset_graph("seed")
    closes = {(step.actor, getattr(g.states[u], step.actor).state) for u, step, v in g.edges() if step.event == "CLOSE"}
    assert closes == {("A", "ESTABLISHED"), ("B", "CLOSE_WAIT")}


def test_send_from_listen_needs_a_foreign_socket():
    for name, expected in (("default", False), ("abort", True)):
        g = preset_graph(name)
        sends = [u for u, step, v in g.edges()
                 if step.event == "SEND" and getattr(g.states[u], step.actor).state == "LISTEN"]
        assert bool(sends) is expected
        if sends:
            u = sends[0]
            (k, v), = [(k, v) for k, v in g.out[u] if g.labels[k].event == "SEND"
                       and getattr(g.states[u], g.labels[k].actor).state == "LISTEN"]
            step = g.labels[k]
            # the SYN goes out and the data waits: the application keeps its data segment
            assert step.sent[0].SYN and getattr(g.states[v], step.actor).state == "SYN_SENT"
            assert getattr(g.states[v], f"app_{step.actor}").data == getattr(g.states[u], f"app_{step.actor}").data


# --- the network ------------------------------------------------------------------------

def test_channel_fifo_push_drop_deliver():
    ch = Channel(capacity=2, loss=False, duplication=False, reordering=False)
    a, b, c = _seg("ACK", 1), _seg("ACK", 2), _seg("ACK", 3)
    f, dropped = ch.push((), b)
    f, dropped2 = ch.push(f, a)
    assert f == (b, a) and not dropped and not dropped2
    assert ch.push(f, c) == ((b, a), True)
    assert list(ch.deliveries(f)) == [(b, (a,))]
    assert list(ch.losses(f)) == [] and list(ch.duplications(f)) == []
    assert list(ch.deliveries(())) == []


def test_channel_reordering_and_faults():
    ch = Channel(capacity=3, loss=True, duplication=True, reordering=True)
    a, b = _seg("ACK", 1), _seg("ACK", 2)
    f, _ = ch.push((), b)
    f, _ = ch.push(f, a)
    assert f == (a, b)  # kept sorted: same contents, same state
    f, _ = ch.push(f, a)
    assert f == (a, a, b)
    # each distinct segment once, with what stays
    assert list(ch.deliveries(f)) == [(a, (a, b)), (b, (a, a))]
    assert list(ch.losses(f)) == [(a, (a, b)), (b, (a, a))]
    assert list(ch.duplications(f)) == []  # full: no room for a copy
    assert list(ch.duplications((a, b))) == [(a, (a, a, b)), (b, (a, b, b))]


def test_fifo_duplicate_follows_its_original():
    ch = Channel(capacity=3, loss=False, duplication=True, reordering=False)
    a, b = _seg("ACK", 2), _seg("ACK", 1)
    assert list(ch.duplications((a, b))) == [(a, (a, a, b)), (b, (a, b, b))]


def test_drops_are_recorded_on_the_step():
    g = preset_graph("default")
    drops = [(u, step, v) for u, step, v in g.edges() if step.dropped]
    assert drops
    for u, step, v in drops:
        who = step.actor
        flight_before = g.states[u].net_AB if who == "A" else g.states[u].net_BA
        assert len(flight_before) == 2  # the channel was full
        for seg in step.dropped:
            assert seg in step.sent


# --- structural invariants of every reachable state -----------------------------------

def _off(a, b):
    return (a - b) % MOD


@pytest.mark.parametrize("name", list(PRESETS))
def test_tcbs_are_consistent_with_their_states(name):
    x = run_preset(name).exploration
    cfg = preset(name)
    for i in range(len(x.states)):
        s = x.state(i)
        for who in "AB":
            t, e = getattr(s, who), getattr(cfg, who)
            if t.state == "CLOSED":
                assert t == CLOSED_TCB
                continue
            assert t.iss == e.iss
            assert 0 <= t.budget <= e.retransmissions
            assert _off(t.snd_nxt, t.iss) <= e.data + 2  # SYN, the data, FIN
            if t.state == "LISTEN":
                assert t.snd_una == t.snd_nxt == t.iss and t.passive and t.irs == t.rcv_nxt == 0
            if t.state == "SYN_SENT":
                assert t.snd_una == t.iss and t.snd_nxt == (t.iss + 1) % MOD
            if t.state in ("FIN_WAIT_2", "TIME_WAIT"):
                assert t.snd_una == t.snd_nxt  # our FIN is acknowledged
            if t.state in FIN_SENT:
                assert t.snd_una != t.snd_nxt  # our FIN is not
            if t.state in FIN_SENT + ("FIN_WAIT_2", "TIME_WAIT"):
                assert _off(t.snd_nxt, t.iss) >= 2  # a FIN was sent
            if t.state in ("CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT"):
                assert _off(t.rcv_nxt, t.irs) >= 2  # the peer's FIN was received
            # every segment it has in flight lies within what it has numbered
            for q in (s.net_AB if who == "A" else s.net_BA):
                if not q.RST and t.state != "LISTEN":
                    assert _off(q.seq, t.iss) <= _off(t.snd_nxt, t.iss)
