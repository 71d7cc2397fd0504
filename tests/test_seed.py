"""Claims C1-C7 of the seed note, on preset ``seed``.

Preset ``seed``: no faults, no data, the server already listens, the client (A,
ISS 2**32-2) may close only in ESTABLISHED and the server (B, ISS 300) only in
CLOSE_WAIT.  The shortest complete exchange is the note's segments 1-7, with
the client's sequence numbers wrapping through 0.
"""

import pytest

from tcpcheck.model.tcb import MOD, Segment, describe_segment, seg_len

from conftest import A_ISS, B_ISS, endpoint_states, preset_graph, run_preset, steps_of


def _closed_again():
    """The shortest path to the first state (after state 0) where both are CLOSED, nothing in flight."""
    x = run_preset("seed").exploration
    ids = [i for i in range(1, len(x.states))
           if x.state(i).A.state == x.state(i).B.state == "CLOSED"
           and not x.state(i).net_AB and not x.state(i).net_BA]
    assert ids, "the seed exchange never closes"
    return ids[0], x.path(ids[0])


def _sent(path):
    """Every segment put on the wire along the path, with its sender."""
    return [(step.actor, seg) for step in steps_of(path) for seg in step.sent]


SEVEN = [
    # (sender, segment), the note's numbering 1-7
    ("A", Segment(SYN=True, ACK=False, FIN=False, RST=False, seq=4294967294, ack=0)),
    ("B", Segment(SYN=True, ACK=True, FIN=False, RST=False, seq=300, ack=4294967295)),
    ("A", Segment(SYN=False, ACK=True, FIN=False, RST=False, seq=4294967295, ack=301)),
    ("A", Segment(SYN=False, ACK=True, FIN=True, RST=False, seq=4294967295, ack=301)),
    ("B", Segment(SYN=False, ACK=True, FIN=False, RST=False, seq=301, ack=0)),
    ("B", Segment(SYN=False, ACK=True, FIN=True, RST=False, seq=301, ack=0)),
    ("A", Segment(SYN=False, ACK=True, FIN=False, RST=False, seq=0, ack=302)),
]


def test_seed_preset_settings():
    cfg = run_preset("seed").config
    assert (cfg.A.open, cfg.A.iss, cfg.A.data, cfg.A.close_in) == ("active", A_ISS, 0, ("ESTABLISHED",))
    assert (cfg.B.open, cfg.B.opened, cfg.B.iss, cfg.B.data, cfg.B.close_in) == \
        ("passive", True, B_ISS, 0, ("CLOSE_WAIT",))
    assert (cfg.loss, cfg.duplication, cfg.reordering) == (False, False, False)
    x = run_preset("seed").exploration
    assert (x.state(0).A.state, x.state(0).B.state) == ("CLOSED", "LISTEN")


def test_shortest_close_is_exactly_the_seven_segments():
    sid, path = _closed_again()
    assert sid == 13
    assert len(path) - 1 == 11
    assert _sent(path) == SEVEN
    assert [describe_segment(seg) for _, seg in _sent(path)] == [
        "<SEQ=4294967294><CTL=SYN>",
        "<SEQ=300><ACK=4294967295><CTL=SYN,ACK>",
        "<SEQ=4294967295><ACK=301><CTL=ACK>",
        "<SEQ=4294967295><ACK=301><CTL=FIN,ACK>",
        "<SEQ=301><ACK=0><CTL=ACK>",
        "<SEQ=301><ACK=0><CTL=FIN,ACK>",
        "<SEQ=0><ACK=302><CTL=ACK>",
    ]
    # nothing was dropped, lost or duplicated on the way
    assert all(step.kind in ("call", "rcv", "timer") and not step.dropped for step in steps_of(path))


def test_state_sequence_of_both_endpoints():
    _, path = _closed_again()
    assert endpoint_states(path, "A") == [
        "CLOSED", "SYN_SENT", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_1",
        "FIN_WAIT_1", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "TIME_WAIT", "CLOSED"]
    assert endpoint_states(path, "B") == [
        "LISTEN", "LISTEN", "SYN_RCVD", "SYN_RCVD", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT",
        "LAST_ACK", "LAST_ACK", "LAST_ACK", "CLOSED", "CLOSED"]


def test_step_sequence():
    _, path = _closed_again()
    assert [(s.actor, s.kind, s.event) for s in steps_of(path)] == [
        ("A", "call", "active OPEN"),
        ("B", "rcv", "rcv SYN"),
        ("A", "rcv", "rcv SYN,ACK"),
        ("A", "call", "CLOSE"),
        ("B", "rcv", "rcv ACK of SYN"),
        ("B", "rcv", "rcv ACK; rcv FIN"),
        ("B", "call", "CLOSE"),
        ("A", "rcv", "rcv ACK of FIN"),
        ("A", "rcv", "rcv ACK; rcv FIN"),
        ("B", "rcv", "rcv ACK of FIN"),
        ("A", "timer", "timeout 2MSL"),
    ]
    # every segment sent is received, in order, by the other endpoint
    received = [(s.actor, s.segment) for s in steps_of(path) if s.kind == "rcv"]
    assert [seg for _, seg in received] == [seg for _, seg in SEVEN]
    assert [who for who, _ in received] == ["B" if w == "A" else "A" for w, _ in SEVEN]


def test_c1_client_opens_with_syn():
    (who, seg), = _sent(_closed_again()[1])[:1]
    assert who == "A" and seg.SYN and not seg.ACK and seg.seq == A_ISS


def test_c2_server_answers_with_one_segment_carrying_syn_and_ack():
    _, path = _closed_again()
    step = steps_of(path)[1]
    assert step.actor == "B" and step.event == "rcv SYN"
    assert step.sent == (SEVEN[1][1],)
    seg = step.sent[0]
    assert seg.SYN and seg.ACK and seg.ack == (A_ISS + 1) % MOD and seg.seq == B_ISS


def test_c3_client_acks_and_both_are_established():
    """The first state where both are ESTABLISHED comes right after segment 3
    arrives; its shortest path carries exactly segments 1-3."""
    g = preset_graph("seed")
    both = [i for i, s in enumerate(g.states) if s.A.state == s.B.state == "ESTABLISHED"]
    assert both == [5]
    path = g.x.path(5)
    assert _sent(path) == SEVEN[:3]
    last = steps_of(path)[-1]
    assert (last.actor, last.event, last.segment, last.sent) == ("B", "rcv ACK of SYN", SEVEN[2][1], ())
    assert endpoint_states(path, "A") == ["CLOSED", "SYN_SENT", "SYN_SENT", "ESTABLISHED", "ESTABLISHED"]
    assert endpoint_states(path, "B") == ["LISTEN", "LISTEN", "SYN_RCVD", "SYN_RCVD", "ESTABLISHED"]


@pytest.mark.parametrize("fin, ack", [(3, 4), (5, 6)])
def test_c6_c7_the_ack_of_a_fin_is_its_seq_plus_one(fin, ack):
    """A FIN, like a SYN, consumes one sequence number, modulo 2**32."""
    (fin_from, f), (ack_from, a) = SEVEN[fin], SEVEN[ack]
    assert f.FIN and a.ACK and not a.FIN and fin_from != ack_from
    assert seg_len(f) == 1
    assert a.ack == (f.seq + 1) % MOD
    assert _sent(_closed_again()[1])[fin] == (fin_from, f)
    assert _sent(_closed_again()[1])[ack] == (ack_from, a)


def test_c6_the_client_fin_wraps():
    """The client's FIN sits at 2**32-1; its ACK is 0 and the final ACK's SEQ is 0."""
    sent = [seg for _, seg in _sent(_closed_again()[1])]
    assert sent[3].FIN and sent[3].seq == MOD - 1
    assert sent[4].ack == 0 == (sent[3].seq + 1) % MOD
    assert sent[6].seq == 0
    # and the client's TCB wrapped with it: in TIME_WAIT, SND.NXT = 0 < ISS
    _, path = _closed_again()
    (tw,) = {s.A for _, s in path if s.A.state == "TIME_WAIT"}
    assert (tw.iss, tw.snd_una, tw.snd_nxt, tw.rcv_nxt) == (A_ISS, 0, 0, 302)


def test_c5_active_and_passive_close():
    """The side that closes first goes FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT;
    the other CLOSE_WAIT -> LAST_ACK.  Neither passes through the other's states."""
    _, path = _closed_again()
    a, b = set(endpoint_states(path, "A")), set(endpoint_states(path, "B"))
    assert {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"} <= a
    assert not a & {"CLOSE_WAIT", "LAST_ACK"}
    assert {"CLOSE_WAIT", "LAST_ACK"} <= b
    assert not b & {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"}
    # in the whole seed state space, too
    assert run_preset("seed").reachable() == {
        "A": ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"],
        "B": ["CLOSED", "LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK"],
    }


def test_c4_half_close_the_side_that_received_a_fin_can_still_send():
    """In preset reliable, an endpoint in CLOSE_WAIT sends data and its peer,
    in FIN_WAIT_2, receives and acknowledges it."""
    g = preset_graph("reliable")
    sends = [(u, v) for u, step, v in g.edges()
             if step.kind == "call" and step.event == "SEND"
             and getattr(g.states[u], step.actor).state == "CLOSE_WAIT"]
    assert sends
    received = [(u, step) for u, step, v in g.edges()
                if step.kind == "rcv" and step.event == "rcv ACK; rcv data"
                and getattr(g.states[u], step.actor).state == "FIN_WAIT_2"
                and getattr(g.states[v], step.actor).state == "FIN_WAIT_2"]
    assert received
    u, step = received[0]
    (ack,) = step.sent
    assert ack.ACK and ack.ack == (step.segment.seq + 1) % MOD


def test_every_seed_state_is_on_a_path_to_the_end():
    """Seed has one terminal state, both CLOSED, and it is the end of the 7-segment exchange."""
    x = run_preset("seed").exploration
    assert x.terminal == [13]


def test_seed_state_graph_edges_carry_rules_and_segments():
    G = run_preset("seed").exploration.graph()
    assert (G.number_of_nodes(), G.number_of_edges()) == (14, 15)
    assert G.nodes[0]["state"].B.state == "LISTEN"
    d = G.edges[0, 1]
    assert (d["actor"], d["kind"], d["event"], d["segment"]) == ("A", "call", "active OPEN", None)
    assert d["rules"] == ["CLOSED --active OPEN / create TCB; snd SYN--> SYN_SENT"]
    assert d["sent"] == ["<SEQ=4294967294><CTL=SYN>"]
    d = G.edges[1, 2]
    assert d["event"] == "rcv SYN" and d["segment"] == "<SEQ=4294967294><CTL=SYN>"
    assert d["rules"] == ["LISTEN --rcv SYN / snd SYN,ACK--> SYN_RCVD"]
    # the closing exchange is a path of the graph
    import networkx as nx
    assert nx.shortest_path(G, 0, 13) == [0, 1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13]
