"""Scenarios the model must exhibit: simultaneous close, FIN_WAIT_1 straight to
TIME_WAIT, a lost final handshake ACK (C9), sequence-number wraparound,
simultaneous open, and TIME_WAIT re-acknowledging a retransmitted FIN (C17).

Paths are found by a BFS over the explored state graph (see conftest.Graph),
so each is the shortest one with the required shape, and pinned exactly.
"""

import pytest

from tcpcheck.model.checker import run
from tcpcheck.model.config import preset
from tcpcheck.model.tcb import MOD, Segment, describe_segment

from conftest import (A_ISS, B_ISS, Graph, endpoint_states, preset_graph, run_preset, steps_of,
                      verdict, with_endpoint)


def _trace(path):
    """A compact, exact rendering of a path: who did what, what was sent, both states after."""
    out = []
    for step, s in path[1:]:
        seg = f" {describe_segment(step.segment)}" if step.segment is not None else ""
        sent = "".join(f" -> {describe_segment(q)}" for q in step.sent)
        out.append(f"{step.actor} {step.kind} {step.event}{seg}{sent} | {s.A.state} {s.B.state}")
    return out


def _peer(who):
    return "B" if who == "A" else "A"


# --- (a) simultaneous close passes through CLOSING -------------------------------

@pytest.mark.parametrize("name, sid", [("reliable", 43), ("default", 101)])
def test_closing_is_reached_by_a_simultaneous_close(name, sid):
    r = run_preset(name)
    v = verdict(r, "CLOSING is reachable")
    assert v.verdict == "holds" and v.state == sid
    path = r.exploration.path(v.state)
    assert len(path) - 1 == 7
    end = path[-1][1]
    closer = "A" if end.A.state == "CLOSING" else "B"
    assert getattr(end, _peer(closer)).state == "FIN_WAIT_1"
    steps = steps_of(path)
    fin_sent = {who: [i for i, st in enumerate(steps) if st.actor == who and any(q.FIN for q in st.sent)]
                for who in "AB"}
    fin_rcvd = [i for i, st in enumerate(steps) if st.kind == "rcv" and st.segment.FIN]
    assert fin_sent["A"] and fin_sent["B"] and fin_rcvd
    # both FINs were on the wire before either endpoint received the other's
    assert max(fin_sent["A"][0], fin_sent["B"][0]) < fin_rcvd[0]
    # the step into CLOSING is the receipt of the peer's FIN while in FIN_WAIT_1
    last = steps[-1]
    assert (last.actor, last.kind, last.event) == (closer, "rcv", "rcv ACK; rcv FIN")
    mine = getattr(end, closer)
    assert last.segment.FIN
    assert last.sent == (Segment(False, True, False, False, mine.snd_nxt, (last.segment.seq + 1) % MOD),)
    # CLOSING: our FIN (the last number we sent) is still unacknowledged
    assert (mine.snd_nxt - mine.snd_una) % MOD == 1


def test_closing_shortest_path_reliable():
    path = run_preset("reliable").exploration.path(43)
    assert _trace(path) == [
        "A call active OPEN -> <SEQ=4294967294><CTL=SYN> | SYN_SENT CLOSED",
        "B call passive OPEN | SYN_SENT LISTEN",
        "B rcv rcv SYN <SEQ=4294967294><CTL=SYN> -> <SEQ=300><ACK=4294967295><CTL=SYN,ACK> | SYN_SENT SYN_RCVD",
        "B call CLOSE -> <SEQ=301><ACK=4294967295><CTL=FIN,ACK> | SYN_SENT FIN_WAIT_1",
        "A rcv rcv SYN,ACK <SEQ=300><ACK=4294967295><CTL=SYN,ACK> -> <SEQ=4294967295><ACK=301><CTL=ACK> | ESTABLISHED FIN_WAIT_1",
        "A call CLOSE -> <SEQ=4294967295><ACK=301><CTL=FIN,ACK> | FIN_WAIT_1 FIN_WAIT_1",
        "A rcv rcv ACK; rcv FIN <SEQ=301><ACK=4294967295><CTL=FIN,ACK> -> <SEQ=0><ACK=302><CTL=ACK> | CLOSING FIN_WAIT_1",
    ]


def test_figure_13_both_sides_pass_closing_into_time_wait():
    """RFC 9293 Figure 13: both endpoints go FIN_WAIT_1 -> CLOSING -> TIME_WAIT."""
    g = preset_graph("reliable")

    def seen_closing(m, before, step, after):
        return (m[0] or after.A.state == "CLOSING", m[1] or after.B.state == "CLOSING")

    path = g.monitored_path((False, False), seen_closing,
                            lambda m, s: m == (True, True) and s.A.state == s.B.state == "TIME_WAIT")
    assert path is not None and len(path) - 1 == 11
    for who in "AB":
        states = [s for i, s in enumerate(endpoint_states(path, who))
                  if i == 0 or s != endpoint_states(path, who)[i - 1]]
        assert states[-3:] == ["FIN_WAIT_1", "CLOSING", "TIME_WAIT"]
    assert [st.event for st in steps_of(path)[-4:]] == [
        "rcv ACK; rcv FIN", "rcv ACK; rcv FIN", "rcv ACK of FIN", "rcv ACK of FIN"]


# --- (b) FIN_WAIT_1 -> TIME_WAIT on one segment (Figure 5 note 2, claim C12) -------

def test_fin_wait_1_straight_to_time_wait():
    g = preset_graph("default")
    jumps = [(u, step, v) for u, step, v in g.edges()
             for who in "AB"
             if getattr(g.states[u], who).state == "FIN_WAIT_1"
             and getattr(g.states[v], who).state == "TIME_WAIT"]
    assert len(jumps) == 956
    for u, step, v in jumps:
        who = step.actor
        before = getattr(g.states[u], who)
        assert step.kind == "rcv"
        assert step.event == "rcv ACK of FIN; rcv FIN"
        seg = step.segment
        assert seg.FIN and seg.ACK and not seg.SYN and not seg.RST
        assert seg.ack == before.snd_nxt  # it acknowledges our FIN
        assert seg.seq == before.rcv_nxt  # and its FIN is the next thing expected
        after = getattr(g.states[v], who)
        assert after.snd_una == after.snd_nxt and after.rcv_nxt == (seg.seq + 1) % MOD
        assert step.sent == (Segment(False, True, False, False, before.snd_nxt, after.rcv_nxt),)


def test_fin_wait_1_to_time_wait_edge_in_the_networkx_graph():
    """The same edge as the graph() view shows it, with its rules and segments."""
    x = run_preset("default").exploration
    G = x.graph()
    assert G.number_of_nodes() == 28817
    edges = [(u, v, d) for u, v, d in G.edges(data=True)
             if any(G.nodes[u]["state"][i].state == "FIN_WAIT_1" and G.nodes[v]["state"][i].state == "TIME_WAIT"
                    for i in (0, 1))]
    assert edges
    u, v, d = edges[0]
    assert d["label"].event == "rcv ACK of FIN; rcv FIN"
    assert d["label"].kind == "rcv"
    assert d["label"].segment.FIN and d["label"].segment.ACK


def test_fin_wait_1_to_time_wait_never_happens_on_a_fifo_lossless_network():
    """Over the reliable FIFO network the peer's ACK always arrives before its FIN."""
    g = preset_graph("reliable")
    assert not [1 for u, step, v in g.edges() for who in "AB"
                if getattr(g.states[u], who).state == "FIN_WAIT_1"
                and getattr(g.states[v], who).state == "TIME_WAIT"]


# --- (c) claim C9: SYN_RCVD held when the final handshake ACK is lost ------------

def test_c9_syn_rcvd_survives_a_lost_final_ack():
    g = preset_graph("default")
    final_ack = Segment(False, True, False, False, (A_ISS + 1) % MOD, B_ISS + 1)
    syn_ack = Segment(True, True, False, False, B_ISS, (A_ISS + 1) % MOD)

    def lose_final_ack(before, step, after):
        return (step.kind == "lose" and step.event == "A->B" and step.segment == final_ack
                and before.B.state == after.B.state == "SYN_RCVD")

    def resend_syn_ack(before, step, after):
        return (step.actor == "B" and step.kind == "timer" and step.event == "retransmission timeout"
                and step.sent == (syn_ack,) and after.B.state == "SYN_RCVD")

    def client_reacks(before, step, after):
        return step.actor == "A" and step.kind == "rcv" and step.segment == syn_ack

    def established_by_the_new_ack(before, step, after):
        return (step.actor == "B" and step.event == "rcv ACK of SYN" and step.segment == final_ack
                and after.B.state == "ESTABLISHED")

    def held(before, step, after):
        return after.B.state == "SYN_RCVD"

    path = g.constrained_path([(lose_final_ack, None), (resend_syn_ack, held),
                               (client_reacks, held), (established_by_the_new_ack, held)])
    assert path is not None
    assert _trace(path) == [
        "A call active OPEN -> <SEQ=4294967294><CTL=SYN> | SYN_SENT CLOSED",
        "B call passive OPEN | SYN_SENT LISTEN",
        "B rcv rcv SYN <SEQ=4294967294><CTL=SYN> -> <SEQ=300><ACK=4294967295><CTL=SYN,ACK> | SYN_SENT SYN_RCVD",
        "A rcv rcv SYN,ACK <SEQ=300><ACK=4294967295><CTL=SYN,ACK> -> <SEQ=4294967295><ACK=301><CTL=ACK> | ESTABLISHED SYN_RCVD",
        "network lose A->B <SEQ=4294967295><ACK=301><CTL=ACK> | ESTABLISHED SYN_RCVD",
        "B timer retransmission timeout -> <SEQ=300><ACK=4294967295><CTL=SYN,ACK> | ESTABLISHED SYN_RCVD",
        # the duplicate SYN,ACK is below RCV.NXT: unacceptable, answered with an ACK
        "A rcv rcv unacceptable segment <SEQ=300><ACK=4294967295><CTL=SYN,ACK> -> <SEQ=4294967295><ACK=301><CTL=ACK> | ESTABLISHED SYN_RCVD",
        "B rcv rcv ACK of SYN <SEQ=4294967295><ACK=301><CTL=ACK> | ESTABLISHED ESTABLISHED",
    ]
    # the retransmission spent the server's one retransmission
    assert path[-1][1].B.budget == 0 and path[4][1].B.budget == 1


def test_c9_without_retransmissions_the_server_gives_up_in_syn_rcvd():
    """With no retransmission budget, a server whose final ACK was lost gives up:
    its user timeout fires in SYN_RCVD and deletes the TCB."""
    g = Graph(run(with_endpoint(preset("default"), "B", retransmissions=0)).exploration)
    assert not [1 for _, step, _ in g.edges() if step.actor == "B" and step.event == "retransmission timeout"]
    final_ack = Segment(False, True, False, False, (A_ISS + 1) % MOD, B_ISS + 1)
    path = g.constrained_path([
        (lambda b, st, a: st.kind == "lose" and st.segment == final_ack and a.B.state == "SYN_RCVD", None),
        (lambda b, st, a: st.actor == "B" and st.event == "user timeout" and b.B.state == "SYN_RCVD",
         lambda b, st, a: a.B.state == "SYN_RCVD"),
    ])
    assert path is not None and len(path) - 1 == 6
    assert path[-1][1].B.state == "CLOSED" and path[-1][1].A.state == "ESTABLISHED"


# --- (d) sequence numbers wrap past 2**32 ---------------------------------------

@pytest.mark.parametrize("iss", [4294967294, 4294967295])
def test_wraparound_keeps_every_property(iss):
    cfg = with_endpoint(preset("reliable"), "A", iss=iss)
    r = run(cfg)
    x = r.exploration
    assert all(v.verdict == "holds" for v in r.verdicts), \
        [(v.name, v.verdict, v.detail) for v in r.verdicts if v.verdict != "holds"]
    invariants = [v for v in r.verdicts if v.kind == "invariant"]
    assert len(invariants) == 4
    assert verdict(r, "deadlock freedom").verdict == "holds"
    states = [x.state(i) for i in range(len(x.states))]
    # the numbers really wrap: SND.NXT below the ISS, and B's RCV.NXT too
    wrapped = [s for s in states if s.A.state != "CLOSED" and s.A.snd_nxt < s.A.iss]
    assert wrapped
    assert any(s.B.state not in ("CLOSED", "LISTEN") and s.B.rcv_nxt < iss and s.B.irs == iss
               for s in states)
    # every segment A ever sent is numbered modulo 2**32
    sent = {q for k in range(len(x.labels)) for q in x.label(k).sent if x.label(k).actor == "A"}
    assert all(0 <= q.seq < MOD and 0 <= q.ack < MOD for q in sent)
    # SYN at ISS, the data octet at ISS+1, the FIN at ISS+1 or ISS+2, ACKs up to ISS+3
    assert {(q.seq - iss) % MOD for q in sent if not q.RST} == {0, 1, 2, 3}
    assert {q.seq for q in sent if not q.RST} == {(iss + d) % MOD for d in range(4)}
    assert 0 in {q.seq for q in sent}


@pytest.mark.parametrize("name, expected, shifts", [
    ("reliable", (307, 572, 17), (0, 1000, 2**31 - 1, 2**31, MOD - 3, MOD - 2, MOD - 1)),
    ("default", (28817, 116481, 21), (0, 2**31, MOD - 1)),
])
def test_state_space_does_not_depend_on_where_the_client_isn_sits(name, expected, shifts):
    """Sequence arithmetic is modular, so shifting the client's ISS (across the
    wrap point or not) gives a state space of the same shape.  (B answers A's
    SYN before B's OPEN with <SEQ=0>... RST,ACK, but A checks that reset by its
    ACK field only, so A's ISS does not interact with the absolute 0.)"""
    shapes = set()
    for iss in shifts:
        x = run(with_endpoint(preset(name), "A", iss=iss)).exploration
        shapes.add((len(x.states), x.transitions, x.max_depth))
    assert shapes == {expected}


def test_a_reset_at_seq_0_is_acceptable_only_when_rcv_nxt_is_0():
    """Surprising but RFC-faithful: a CLOSED endpoint answers a SYN with
    <SEQ=0><ACK=...><CTL=RST,ACK> (3.10.7.1).  In simultaneous open the peer may
    already be in SYN_RCVD, where the reset passes the sequence check only if
    RCV.NXT happens to be 0, i.e. when the other ISS is 2**32-1.  So the state
    space of simultaneous-open changes with A's ISS."""
    base = run_preset("simultaneous-open")
    shifted = run(with_endpoint(preset("simultaneous-open"), "A", iss=MOD - 1))
    assert (len(base.exploration.states), base.exploration.transitions) == (1896, 6132)
    assert (len(shifted.exploration.states), shifted.exploration.transitions) == (1900, 6143)

    def rst_events(r):
        x = r.exploration
        return {(s.actor, s.event) for s in (x.label(k) for k in range(len(x.labels)))
                if s.kind == "rcv" and s.segment.RST and s.segment.seq == 0 and s.segment.ACK}

    assert ("B", "rcv unacceptable RST") in rst_events(base)
    assert ("B", "rcv unacceptable RST") not in rst_events(shifted)
    assert ("B", "rcv RST") in rst_events(shifted)


# --- (e) simultaneous open ------------------------------------------------------

def test_simultaneous_open_both_sides_go_through_syn_rcvd():
    g = preset_graph("simultaneous-open")

    def through_syn_rcvd(m, before, step, after):
        return (m[0] or (before.A.state == "SYN_SENT" and after.A.state == "SYN_RCVD"),
                m[1] or (before.B.state == "SYN_SENT" and after.B.state == "SYN_RCVD"))

    path = g.monitored_path((False, False), through_syn_rcvd,
                            lambda m, s: m == (True, True) and s.A.state == s.B.state == "ESTABLISHED")
    assert path is not None
    for who in "AB":
        seq = endpoint_states(path, who)
        dedup = [s for i, s in enumerate(seq) if i == 0 or s != seq[i - 1]]
        assert dedup == ["CLOSED", "SYN_SENT", "SYN_RCVD", "ESTABLISHED"]
    assert _trace(path) == [
        "A call active OPEN -> <SEQ=100><CTL=SYN> | SYN_SENT CLOSED",
        "B call active OPEN -> <SEQ=300><CTL=SYN> | SYN_SENT SYN_SENT",
        "B rcv rcv SYN <SEQ=100><CTL=SYN> -> <SEQ=300><ACK=101><CTL=SYN,ACK> | SYN_SENT SYN_RCVD",
        "A rcv rcv SYN <SEQ=300><CTL=SYN> -> <SEQ=100><ACK=301><CTL=SYN,ACK> | SYN_RCVD SYN_RCVD",
        # RFC 9293 Figure 7 shows this SYN,ACK taking SYN-RECEIVED to ESTABLISHED;
        # the event processing of 3.10.7.4 (which the model follows) finds
        # SEG.SEQ = 100 < RCV.NXT = 101 unacceptable and answers with an ACK,
        # and that ACK is what establishes the connection.
        "B rcv rcv unacceptable segment <SEQ=100><ACK=301><CTL=SYN,ACK> -> <SEQ=301><ACK=101><CTL=ACK> | SYN_RCVD SYN_RCVD",
        "A rcv rcv unacceptable segment <SEQ=300><ACK=101><CTL=SYN,ACK> -> <SEQ=101><ACK=301><CTL=ACK> | SYN_RCVD SYN_RCVD",
        "B rcv rcv ACK of SYN <SEQ=101><ACK=301><CTL=ACK> | SYN_RCVD ESTABLISHED",
        "A rcv rcv ACK of SYN <SEQ=301><ACK=101><CTL=ACK> | ESTABLISHED ESTABLISHED",
    ]
    end = path[-1][1]
    assert (end.A.snd_una, end.A.snd_nxt, end.A.rcv_nxt, end.A.irs) == (101, 101, 301, 300)
    assert (end.B.snd_una, end.B.snd_nxt, end.B.rcv_nxt, end.B.irs) == (301, 301, 101, 100)
    # both connections were opened actively (Figure 5 note 1)
    assert not end.A.passive and not end.B.passive


def test_simultaneous_open_reaches_syn_rcvd_from_syn_sent_only():
    g = preset_graph("simultaneous-open")
    into = {getattr(g.states[u], who).state
            for u, step, v in g.edges() for who in "AB"
            if getattr(g.states[v], who).state == "SYN_RCVD" and getattr(g.states[u], who).state != "SYN_RCVD"}
    assert into == {"SYN_SENT"}


# --- claim C17: TIME_WAIT acknowledges a retransmitted FIN -----------------------

def test_c17_time_wait_reacknowledges_the_retransmitted_fin():
    g = preset_graph("default")

    def in_tw(before, step, after):
        return after.A.state == "TIME_WAIT"

    path = g.constrained_path([
        (lambda b, st, a: st.kind == "lose" and st.event == "A->B" and b.A.state == "TIME_WAIT"
         and b.B.state == "LAST_ACK" and st.segment.ACK and not st.segment.FIN, None),
        (lambda b, st, a: st.actor == "B" and st.event == "retransmission timeout"
         and b.B.state == "LAST_ACK" and st.sent[0].FIN, in_tw),
        (lambda b, st, a: st.actor == "A" and st.event == "rcv retransmitted FIN", in_tw),
        (lambda b, st, a: st.actor == "B" and st.event == "rcv ACK of FIN" and a.B.state == "CLOSED", in_tw),
    ])
    assert path is not None and len(path) - 1 == 14
    assert _trace(path)[-5:] == [
        "A rcv rcv ACK; rcv FIN <SEQ=301><ACK=0><CTL=FIN,ACK> -> <SEQ=0><ACK=302><CTL=ACK> | TIME_WAIT LAST_ACK",
        "network lose A->B <SEQ=0><ACK=302><CTL=ACK> | TIME_WAIT LAST_ACK",
        "B timer retransmission timeout -> <SEQ=301><ACK=0><CTL=FIN,ACK> | TIME_WAIT LAST_ACK",
        "A rcv rcv retransmitted FIN <SEQ=301><ACK=0><CTL=FIN,ACK> -> <SEQ=0><ACK=302><CTL=ACK> | TIME_WAIT LAST_ACK",
        "B rcv rcv ACK of FIN <SEQ=0><ACK=302><CTL=ACK> | TIME_WAIT CLOSED",
    ]


def test_2msl_may_expire_before_the_peer_retransmits_its_fin():
    """Surprising consequence of untimed timers: when the final ACK is lost, both
    TIME_WAIT's 2MSL and LAST_ACK's retransmission timer are enabled at once, so
    TIME_WAIT may close first; the retransmitted FIN then meets a CLOSED
    endpoint and LAST_ACK ends by a reset."""
    g = preset_graph("default")
    ends_by_reset = [(u, step) for u, step, v in g.edges()
                     if step.actor == "B" and g.states[u].B.state == "LAST_ACK" and step.event == "rcv RST"]
    assert len(ends_by_reset) == 24
    both_timers = [u for u, s in enumerate(g.states)
                   if s.A.state == "TIME_WAIT" and s.B.state == "LAST_ACK" and not s.net_AB and not s.net_BA]
    assert both_timers
    u = both_timers[0]
    enabled = {(step.actor, step.event) for k, v in g.out[u] for step in [g.labels[k]]}
    assert {("A", "timeout 2MSL"), ("B", "retransmission timeout")} <= enabled
