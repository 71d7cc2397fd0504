"""Every real Linux capture in tests/captures/ against both rule tables (issue 12,
"Evidence the tests keep").

The captures were made by model/conformance/make_captures.py: real sockets in
two network namespaces, a TAP relay as the capture point that drops, holds or
delays frames, and the kernel's own states from ``ss`` at checkpoints.  For
each capture this pins

* its verdict under ``rfc9293``, connection by connection: conforms, or
  deviates at segment N with what Linux sent and what the table allows there;
* its verdict under ``linux``: every connection conforms;
* under both tables, the states inferred at each checkpoint against the ones
  the kernel showed (before a deviation; at and after one, none are inferred);
* what each scenario is about: the rows that explain its telling segments
  (a SYN,ACK repeated for a repeated SYN, a server's timer in SYN_RCVD, data and
  FIN in one segment, crossing SYN,ACKs, a new SYN on a port pair in TIME_WAIT).

A capture deliberately broken (a segment cut out) must deviate where the cut
shows, and a checkpoint with a wrong kernel state must be reported.  Where a
capture is not followed as the kernel went, the case is a strict xfail naming
the cause in the follower.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import dpkt
import pytest

from tcpcheck.model.conformance.capture_files import read_trace
from tcpcheck.model.conformance.follow import follow, follow_all
from tcpcheck.model.conformance.make_captures import SCENARIOS, checkpoints
from tcpcheck.model.conformance.trace import split
from tcpcheck.model.profiles import PROFILES, profile_table

CAPTURES = Path(__file__).with_name("captures")
NAMES = sorted(p.stem for p in CAPTURES.glob("*.pcap"))
TABLES = {name: profile_table(name) for name in PROFILES}

#: capture -> its connections' (verdict, segment it deviates at or after) under rfc9293, with
#: the capture's checkpoints
RFC9293 = {
    "abort-linger0": [("deviates", 4)],
    "close-by-client": [("conforms", None)],
    "close-by-server": [("conforms", None)],
    "fin-wait-2-timeout": [("deviates", 5)],  # after segment 5, at a recorded state (RFC9293_MISMATCHES)
    "fin-with-data": [("conforms", None)],
    "half-close": [("conforms", None)],
    "lost-final-ack": [("conforms", None)],
    "refused": [("conforms", None)],
    "reset-unread": [("deviates", 6)],
    "simultaneous-close": [("conforms", None)],
    "simultaneous-open": [("conforms", None)],
    "syn-rcvd-held": [("conforms", None)],
    "syn-retransmitted": [("conforms", None)],
    "synack-retransmitted": [("conforms", None)],
    "time-wait-reuse": [("conforms", None), ("deviates", 2)],
}

#: capture -> (after packet, side, kernel's state, states rfc9293 allows) of each recorded state
#: that no explanation under rfc9293 has: RFC 9293 gives FIN-WAIT-2 no timer (3.10.8 has only
#: the user, retransmission and TIME-WAIT timeouts), so A's socket, deleted by Linux's
#: tcp_fin_timeout with nothing sent, is still in FIN_WAIT_2 for the table
RFC9293_MISMATCHES = {
    "fin-wait-2-timeout": [(5, "A", "CLOSED", ("FIN_WAIT_2",))],
}

#: (profile, capture, checkpoint number) -> why the inferred states differ from the kernel's
CHECKPOINTS_NOT_FOLLOWED: dict = {}


def meta(name: str) -> dict:
    return json.loads((CAPTURES / f"{name}.json").read_text())


@functools.cache
def followed(name: str, profile: str) -> tuple:
    """Each connection of capture ``name`` followed through ``profile``'s table, with the
    capture's checkpoints."""
    m = meta(name)
    conns = split(read_trace(CAPTURES / f"{name}.pcap").segments)
    return tuple(follow_all(conns, TABLES[profile], m["vantage"], checkpoints(m)))


def at_checkpoints(m: dict, results) -> list:
    """(checkpoint number, packet, the kernel's states, the inferred states) for every
    checkpoint of the capture ``m``, from the connection that packet belongs to."""
    out = []
    met: dict = {}  # connection -> how many of its checkpoints were met so far (several may share a packet)
    for k, (after, kernel) in enumerate(checkpoints(m)):
        (i,) = [i for i, r in enumerate(results) if any(o.number == after for o in r.conn.segments)]
        n = met[i] = met.get(i, -1) + 1
        assert results[i].checkpoints[n][0] == after
        out.append((k, after, {side: (state,) for side, state in kernel.items()}, results[i].checkpoints[n][1]))
    return out


def rows_of(table, ids) -> tuple:
    """The (state, event) of each rule id."""
    by_id = {r.id: r for r in table.rules}
    return tuple((by_id[i].state, by_id[i].event) for i in ids)


# --- verdicts ----------------------------------------------------------------------

def test_every_capture_is_pinned_and_every_scenario_has_its_capture():
    assert NAMES == sorted(RFC9293) == sorted(SCENARIOS)
    for name in NAMES:
        m = meta(name)
        assert (m["scenario"], m["vantage"], m["A"].split(":")[0], m["B"]) == (
            name, "path", "10.77.0.1", "10.77.0.2:5001")
        assert m["checkpoints"], name


@pytest.mark.parametrize("name", NAMES)
def test_each_capture_has_its_verdict_under_rfc9293(name):
    results = followed(name, "rfc9293")
    got = [(r.verdict, r.deviates_at + 1 if r.deviates_at is not None else None) for r in results]
    assert got == RFC9293[name]
    assert [(m.after, m.side, m.recorded, m.inferred) for r in results for m in r.mismatches] == \
        RFC9293_MISMATCHES.get(name, [])


@pytest.mark.parametrize("name", ["abort-linger0", "reset-unread"])
def test_rfc9293_deviation_linux_resets_with_an_ack(name):
    """Linux's abort (SO_LINGER 0; close with unread data, RFC 2525 2.17) sends RST,ACK
    from ESTABLISHED; RFC 9293 3.10.5 sends <SEQ=SND.NXT><CTL=RST>, and no other row of
    ESTABLISHED sends a reset."""
    (r,) = followed(name, "rfc9293")
    d = r.deviation
    o = r.conn.segments[d.index]
    assert (d.who, d.states, sorted(o.flags), o.len) == ("A", ("ESTABLISHED",), ["ACK", "RST"], 0)
    assert [what for what, _, _ in d.allowed] == ["ABORT", "CLOSE", "SEND", "retransmission timeout"]
    assert d.allowed[0][1] == f"<SEQ={o.seq}><CTL=RST>"
    assert not any("RST" in seg for _, seg, _ in d.allowed[1:])


@pytest.mark.parametrize("name", NAMES)
def test_each_capture_conforms_under_linux(name):
    results = followed(name, "linux")
    assert [r.verdict for r in results] == ["conforms"] * len(RFC9293[name])
    assert all(r.deviation is None for r in results)


def checkpoint_cases() -> list:
    cases = []
    for profile in TABLES:
        for name in NAMES:
            for k in range(len(meta(name)["checkpoints"])):
                why = CHECKPOINTS_NOT_FOLLOWED.get((profile, name, k))
                marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
                cases.append(pytest.param(profile, name, k, marks=marks, id=f"{profile}-{name}-{k}"))
    return cases


@pytest.mark.parametrize("profile, name, k", checkpoint_cases())
def test_the_inferred_states_are_the_kernels_at_each_checkpoint(profile, name, k):
    _, after, kernel, inferred = at_checkpoints(meta(name), followed(name, profile))[k]
    (r,) = [r for r in followed(name, profile) if any(o.number == after for o in r.conn.segments)]
    mismatch = [(side, allowed) for a, side, _state, allowed in RFC9293_MISMATCHES.get(name, ())
                if profile == "rfc9293" and a == after and kernel[side] == (_state,)]
    if r.deviation is not None and after >= r.conn.segments[r.deviation.index].number:
        assert inferred == {"A": (), "B": ()}  # the connection is not followed past its deviation
    elif mismatch and inferred != kernel:  # the pinned recorded state the table does not allow
        assert [(side, inferred[side]) for side, _ in mismatch] == mismatch
    else:
        assert inferred == kernel, (after, meta(name)["checkpoints"][k]["note"])


def test_a_wrong_kernel_state_at_a_checkpoint_is_reported():
    m = meta("syn-retransmitted")
    m["checkpoints"][0]["B"] = "SYN_RCVD"
    results = followed("syn-retransmitted", "linux")
    assert [(k, after, kernel) for k, after, kernel, inferred in at_checkpoints(m, results)
            if inferred != kernel] == [(0, 4, {"A": ("ESTABLISHED",), "B": ("SYN_RCVD",)})]


# --- what each scenario is about ----------------------------------------------------

def test_synack_retransmitted_the_repeated_syn_gets_the_synack_again():
    """B's first SYN,ACK (#2) is lost; A's SYN repeats (#3) and B repeats its SYN,ACK (#4).
    RFC 9293 finds the repeated SYN unacceptable in SYN_RCVD (3.10.7.4 first: it would
    answer with an ACK), so #4 can only be B's retransmission timeout; Linux answers the
    repeated SYN with its SYN,ACK (tcp_check_req)."""
    for profile, received3, sent4 in [
            ("rfc9293", [("SYN_RCVD", "rcv unacceptable segment")],
             [("retransmission timeout", ("SYN_RCVD", "retransmission timeout"))]),
            ("linux", [("SYN_RCVD", "rcv retransmitted SYN")],
             [("reply", ("SYN_RCVD", "rcv retransmitted SYN"))])]:
        (r,) = followed("synack-retransmitted", profile)
        t = TABLES[profile]
        assert [(row.who, "".join(sorted(row.obs.flags))) for row in r.rows[:5]] == [
            ("A", "SYN"), ("B", "ACKSYN"), ("A", "SYN"), ("B", "ACKSYN"), ("A", "ACK")]
        assert (r.rows[2].explained, r.rows[2].sender_states) == (
            (("retransmission timeout", (t.lookup("SYN_SENT", "retransmission timeout", False).id,), None),),
            ("SYN_SENT",))
        assert [rows_of(t, ids)[0] for _, ids, _ in r.rows[2].received] == received3
        assert [(how, rows_of(t, ids)[0]) for how, ids, _ in r.rows[3].explained] == sent4


def test_syn_rcvd_held_the_server_retransmits_its_synack_from_syn_rcvd():
    """A's ACK (#3) is lost; B, in SYN_RCVD, retransmits its SYN,ACK (#4) on its timer and
    A, ESTABLISHED, acknowledges it again (#5): the same rows in both tables."""
    for profile, t in TABLES.items():
        (r,) = followed("syn-rcvd-held", profile)
        row4, row5 = r.rows[3], r.rows[4]
        assert (row4.who, sorted(row4.obs.flags), row4.sender_states) == ("B", ["ACK", "SYN"], ("SYN_RCVD",))
        assert [(how, rows_of(t, ids)) for how, ids, _ in row4.explained] == [
            ("retransmission timeout", (("SYN_RCVD", "retransmission timeout"),))]
        assert [(rows_of(t, ids), state) for _, ids, state in row4.received] == [
            ((("ESTABLISHED", "rcv unacceptable segment"),), "ESTABLISHED")]
        assert [(how, cause) for how, _, cause in row5.explained] == [("reply", 3)]
        assert [state for _, _, state in row5.received] == ["ESTABLISHED"]


@pytest.mark.parametrize("profile", TABLES)
def test_syn_rcvd_held_the_lost_ack_is_lost_and_the_second_ack_ends_syn_rcvd(profile):
    t = TABLES[profile]
    (r,) = followed("syn-rcvd-held", profile)
    assert (r.rows[2].lost, r.rows[2].arrived) == (True, False)
    assert [(rows_of(t, ids), state) for _, ids, state in r.rows[4].received] == [
        ((("SYN_RCVD", "rcv ACK of SYN"),), "ESTABLISHED")]


def test_fin_with_data_is_sent_as_send_then_close_and_received_as_text_then_fin():
    for profile, t in TABLES.items():
        (r,) = followed("fin-with-data", profile)
        row = r.rows[3]
        assert (row.who, sorted(row.obs.flags), row.obs.len) == ("A", ["ACK", "FIN", "PSH"], 10)
        assert [(how, rows_of(t, ids)) for how, ids, _ in row.explained] == [
            ("SEND", (("ESTABLISHED", "SEND"), ("ESTABLISHED", "CLOSE")))]
        assert [(events, state) for events, _, state in row.received] == [
            ("rcv ACK; rcv data; rcv ACK; rcv FIN", "CLOSE_WAIT")]
        ack = r.rows[4].obs
        assert (ack.ack - row.obs.seq) % 2**32 == 11  # ten octets and the FIN


def test_simultaneous_open_crossing_synacks():
    """Both SYNs cross (#1, #2) and both SYN,ACKs (#3, #4).  RFC 9293 finds a SYN,ACK
    with SEG.SEQ = IRS unacceptable in SYN_RCVD (3.10.7.4 first: answered with an ACK,
    and the ACKs #5, #6 end the handshake); Linux accepts the crossing SYN,ACK and is
    ESTABLISHED at once (tcp_validate_incoming)."""
    for profile, event, after in [("rfc9293", "rcv unacceptable segment", "SYN_RCVD"),
                                  ("linux", "rcv crossing SYN,ACK", "ESTABLISHED")]:
        (r,) = followed("simultaneous-open", profile)
        t = TABLES[profile]
        assert [(row.who, "".join(sorted(row.obs.flags))) for row in r.rows[:4]] == [
            ("A", "SYN"), ("B", "SYN"), ("A", "ACKSYN"), ("B", "ACKSYN")]
        assert [how for how, _, _ in r.rows[1].explained] == ["SEND", "active OPEN"]  # from LISTEN or CLOSED
        for row in r.rows[2:4]:
            assert [how for how, _, _ in row.explained] and all(how == "reply" for how, _, _ in row.explained)
            assert row.sender_states[-1] == "SYN_RCVD"
            assert (rows_of(t, row.received[0][1]), row.received[0][2]) == ((("SYN_RCVD", event),), after)


def test_time_wait_reuse_a_new_syn_above_the_old_sequence_space():
    """A reconnects from the same port while B is in TIME_WAIT, with an ISN above the one
    B last acknowledged (Linux's clock-driven ISN): two connections on one port pair."""
    results = followed("time-wait-reuse", "rfc9293")
    assert [len(r.conn.segments) for r in results] == [7, 7]
    old, new = results
    assert old.final == {"A": ("CLOSED",), "B": ("TIME_WAIT",)}
    syn = new.conn.segments[0]
    assert (sorted(syn.flags), syn.number) == (["SYN"], 8)
    last_acked = old.conn.segments[-1].ack  # B's ACK of A's FIN: RCV.NXT in B's TIME_WAIT
    assert 0 < (syn.seq - last_acked) % 2**32 < 2**31


def test_time_wait_reuse_the_new_syn_arrives_in_time_wait_under_linux():
    t = TABLES["linux"]
    results = followed("time-wait-reuse", "linux")
    (row,) = [row for r in results for row in r.rows if row.obs.number == 8]
    assert [(rows_of(t, ids), state) for _, ids, state in row.received] == [
        ((("TIME_WAIT", "rcv SYN above RCV.NXT"),), "SYN_RCVD")]


def test_fin_wait_2_timeout_linux_deletes_the_orphaned_socket_and_the_late_fin_is_reset():
    """A closes (#4, #5: FIN_WAIT_2, the socket orphaned); after tcp_fin_timeout (2 s here)
    Linux deletes it with nothing sent.  B's FIN (#6), 4.3 s later, meets no socket: A
    answers it as CLOSED does (#7, <SEQ=SEG.ACK><CTL=RST>), and B's LAST_ACK ends on the reset.
    Under linux the timer is inferred, with the kernel's states at the three checkpoints."""
    t = TABLES["linux"]
    (r,) = followed("fin-wait-2-timeout", "linux")
    assert [(row.who, "".join(sorted(row.obs.flags)), row.obs.number) for row in r.rows] == [
        ("A", "SYN", 1), ("B", "ACKSYN", 2), ("A", "ACK", 3), ("A", "ACKFIN", 4), ("B", "ACK", 5),
        ("B", "ACKFIN", 6), ("A", "RST", 7)]
    assert r.verdict == "conforms" and ("A", "FIN_WAIT_2 timeout", 5) in r.inferred
    assert [(rows_of(t, ids), state) for _, ids, state in r.rows[5].received] == [
        ((("CLOSED", "rcv segment with ACK"),), "CLOSED")]
    assert [(how, rows_of(t, ids), cause) for how, ids, cause in r.rows[6].explained] == [
        ("reply", (("CLOSED", "rcv segment with ACK"),), 5)]
    assert [(rows_of(t, ids), state) for _, ids, state in r.rows[6].received] == [
        ((("LAST_ACK", "rcv RST"),), "CLOSED")]
    assert [states for _, states in r.checkpoints] == [
        {"A": ("FIN_WAIT_2",), "B": ("CLOSE_WAIT",)}, {"A": ("CLOSED",), "B": ("CLOSE_WAIT",)},
        {"A": ("CLOSED",), "B": ("CLOSED",)}]
    assert [c["A"] for c in meta("fin-wait-2-timeout")["checkpoints"]] == ["FIN_WAIT_2", "CLOSED", "CLOSED"]


def test_fin_wait_2_timeout_without_the_kernels_states():
    """Without the recorded states, linux has only the timer to explain the reset (its ABORT
    in FIN_WAIT_2 sends RST,ACK, not RST); rfc9293, which has no FIN-WAIT-2 timer, explains it
    as an ABORT before #7 (RFC 9293 3.10.4: <SEQ=SND.NXT><CTL=RST>): only the kernel's state
    after the timeout (CLOSED, nothing sent) shows that no application aborted."""
    (conn,) = split(read_trace(CAPTURES / "fin-wait-2-timeout.pcap").segments)
    linux = follow(conn, TABLES["linux"], "path")
    rfc = follow(conn, TABLES["rfc9293"], "path")
    assert (linux.verdict, rfc.verdict) == ("conforms", "conforms")
    assert [x for x in linux.inferred if x[0] == "A"][-1] == ("A", "FIN_WAIT_2 timeout", 6)
    assert [x for x in rfc.inferred if x[0] == "A"][-1] == ("A", "ABORT", 6)
    assert not any(ev == "FIN_WAIT_2 timeout" for _, ev, _ in rfc.inferred)
    assert [(how, rows_of(TABLES["rfc9293"], ids)) for how, ids, _ in rfc.rows[6].explained] == [
        ("ABORT", (("FIN_WAIT_2", "ABORT"),))]


def test_fin_wait_2_timeout_a_linux_table_without_the_timer_row_deviates_at_the_reset():
    """The broken input: linux.rules without its FIN_WAIT_2 timeout row.  A stays in
    FIN_WAIT_2 and no row of it sends a bare RST: the reset (#7) deviates."""
    from tcpcheck.model.profiles import profile_path
    from tcpcheck.model.table import parse_table

    text = profile_path("linux").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in text if not line.startswith("FIN_WAIT_2   | FIN_WAIT_2 timeout")]
    assert len(kept) == len(text) - 1
    (conn,) = split(read_trace(CAPTURES / "fin-wait-2-timeout.pcap").segments)
    r = follow(conn, parse_table("".join(kept), "no-fin-timer.rules"), "path")
    assert (r.verdict, r.deviation.index + 1, r.deviation.who) == ("deviates", 7, "A")
    assert "FIN_WAIT_2" in r.deviation.states and not any("FIN_WAIT_2 timeout" in ev for _, ev, _ in r.inferred)
    with_states = follow(conn, parse_table("".join(kept), "no-fin-timer.rules"), "path",
                         checkpoints(meta("fin-wait-2-timeout")))
    assert [(m.after, m.side, m.recorded, m.inferred) for m in with_states.mismatches] == [
        (5, "A", "CLOSED", ("FIN_WAIT_2",))]


# --- one run of each connection (Result.run, drawn by diagram trace --capture) ---------

def run_problems(r) -> list[str]:
    """What makes ``r.run`` not a run of its connection: each segment sent once, in the order
    captured (up to a deviating one); each arriving or lost at most once, after it was sent, in
    the order sent each way; every state along it one the report allows there; its last states
    among the report's final ones."""
    from tcpcheck.model.conformance.follow import Lose, Recv, Send, Silent

    problems, sent, done = [], [], set()
    handled = {0: [], 1: []}
    state = dict(zip("AB", r.run.start))
    upto = len(r.rows) if r.deviation is None else r.deviation.index
    for rec in r.run.steps:
        row = r.rows[rec.index] if not isinstance(rec, Silent) else None
        if isinstance(rec, Send):
            sent.append(rec.index)
            state["AB"[rec.who]] = rec.state
            if rec.state not in row.sender_states:
                problems.append(f"#{rec.index + 1} sent in {rec.state}, not {row.sender_states}")
        elif isinstance(rec, (Recv, Lose)):
            frm = 0 if row.who == "A" else 1
            if rec.index not in sent or rec.index in done:
                problems.append(f"#{rec.index + 1} handled before it was sent, or twice")
            if handled[frm] and handled[frm][-1] > rec.index:
                problems.append(f"#{rec.index + 1} handled after #{handled[frm][-1] + 1}, sent after it")
            handled[frm].append(rec.index)
            done.add(rec.index)
            if isinstance(rec, Recv):
                state["AB"[rec.who]] = rec.state
                if rec.state not in {st for _e, _r, st in row.received}:
                    problems.append(f"#{rec.index + 1} received into {rec.state}")
            elif not row.lost:
                problems.append(f"#{rec.index + 1} lost, which the report never loses")
        else:
            state["AB"[rec.who]] = rec.state
    if sent != list(range(upto)):
        problems.append(f"sent {sent}, not 0..{upto - 1}")
    if r.deviation is None and any(state[side] not in r.final[side] for side in "AB"):
        problems.append(f"ends in {state}, not {r.final}")
    return problems


@pytest.mark.parametrize("profile", TABLES)
@pytest.mark.parametrize("name", NAMES)
def test_each_connection_has_one_run_the_report_allows(profile, name):
    for r in followed(name, profile):
        assert r.run is not None and run_problems(r) == [], (name, profile)


def test_a_run_out_of_order_or_in_a_state_not_allowed_is_caught():
    """The broken inputs of run_problems: the run of close-by-client with two arrivals of one
    direction swapped, and with an arrival's state changed."""
    from tcpcheck.model.conformance.follow import Recv

    (r,) = followed("close-by-client", "rfc9293")
    steps = list(r.run.steps)
    at = [k for k, x in enumerate(steps) if isinstance(x, Recv) and x.who == 0]
    swapped = steps[:]
    swapped[at[1]], swapped[at[2]] = steps[at[2]], steps[at[1]]
    assert (steps[at[1]].index, steps[at[2]].index) == (4, 6)
    assert run_problems(r._replace(run=r.run._replace(steps=tuple(swapped)))) == [
        "#7 handled before it was sent, or twice", "#5 handled after #7, sent after it"]
    wrong = steps[:]
    wrong[at[0]] = steps[at[0]]._replace(state="CLOSING")
    assert run_problems(r._replace(run=r.run._replace(steps=tuple(wrong)))) == [
        f"#{steps[at[0]].index + 1} received into CLOSING"]


# --- broken captures ------------------------------------------------------------------

def without(tmp_path, name, *numbers) -> Path:
    """A copy of capture ``name`` with the packets ``numbers`` (1-based) cut out."""
    out = tmp_path / f"{name}-cut.pcap"
    with open(CAPTURES / f"{name}.pcap", "rb") as f, open(out, "wb") as g:
        w = dpkt.pcap.Writer(g, linktype=dpkt.pcap.DLT_EN10MB)
        for n, (ts, frame) in enumerate(dpkt.pcap.Reader(f), 1):
            if n not in numbers:
                w.writepkt(frame, ts)
    return out


@pytest.mark.parametrize("name, cut, at, who, states", [
    # A's SYN,ACK acknowledges a SYN of B's that was never sent
    ("simultaneous-open", (2,), 2, "A", {"rfc9293": ("SYN_SENT",), "linux": ("SYN_SENT",)}),
    # B's ACK acknowledges ten octets and a FIN A never sent (B may not have had #3 yet)
    ("fin-with-data", (4,), 4, "B", {"rfc9293": ("ESTABLISHED", "SYN_RCVD"),
                                     "linux": ("ESTABLISHED", "SYN_RCVD")}),
    # without B's SYN,ACKs, A's ACK acknowledges a SYN it never received
    ("synack-retransmitted", (2, 4), 3, "A", {"rfc9293": ("SYN_SENT",), "linux": ("SYN_SENT",)}),
])
@pytest.mark.parametrize("profile", TABLES)
def test_a_capture_with_a_segment_cut_out_deviates_where_the_cut_shows(tmp_path, profile, name, cut, at, who,
                                                                        states):
    (conn,) = split(read_trace(without(tmp_path, name, *cut)).segments)
    r = follow(conn, TABLES[profile], "path")
    assert (r.verdict, r.deviation.index + 1, r.deviation.who, r.deviation.states) == (
        "deviates", at, who, states[profile])


# --- the command ------------------------------------------------------------------------

@pytest.mark.parametrize("profile", TABLES)
def test_tcpcheck_conform_gives_every_capture_its_verdict_and_exit_code(capsys, profile):
    from tcpcheck.model.cli import main

    for name in NAMES:
        code = main(["conform", str(CAPTURES / f"{name}.pcap"), "--profile", profile,
                     "--states", str(CAPTURES / f"{name}.json")])
        out = capsys.readouterr().out
        pinned = RFC9293[name] if profile == "rfc9293" else [("conforms", None)] * len(RFC9293[name])
        assert code == (1 if any(v == "deviates" for v, _ in pinned) else 0), name
        lines = [line for line in out.splitlines() if line.startswith("connection ") and line.endswith(")")
                 and ": " in line and "(A = " not in line]
        mismatched = {after for after, *_ in RFC9293_MISMATCHES.get(name, ())} if profile == "rfc9293" else ()
        assert [line.split(": ", 2)[2].split(" (")[0] for line in lines] == [
            v if at is None else f"{v} after segment {at}" if mismatched else f"{v} at segment {at}"
            for v, at in pinned], (name, out)


# --- the capture script ---------------------------------------------------------------

def test_make_captures_help_lists_every_scenario_and_the_exit_codes(capsys):
    from tcpcheck.model.conformance.make_captures import main as make_main

    with pytest.raises(SystemExit) as e:
        make_main(["--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    for name in SCENARIOS:
        assert f"\n  {name} " in out
    for text in ("exit codes:", "examples:", "cannot reproduce the initial sequence numbers", "NAME.json"):
        assert text in " ".join(out.split()), text


def test_make_captures_refuses_an_unknown_scenario_and_a_user_who_is_not_root(tmp_path, capsys, monkeypatch):
    from tcpcheck.model.conformance import make_captures

    assert make_captures.main([str(tmp_path), "simultanous-open"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("make_captures: error: unknown scenario 'simultanous-open' (did you mean "
                          "'simultaneous-open'?); the scenarios are: close-by-client, ")
    monkeypatch.setattr(make_captures.os, "geteuid", lambda: 1000)
    assert make_captures.main([str(tmp_path / "out"), "refused"]) == 2
    assert capsys.readouterr().err == (
        "make_captures: error: needs root (it makes network namespaces and TAP devices)\n")
    assert not (tmp_path / "out").exists()


def shape(pcap: Path) -> list:
    """What a re-run reproduces: per connection, each segment's sender, flags, sequence and
    acknowledgment numbers relative to the two ISNs, and length."""
    from tcpcheck.model.conformance.trace import rel, relative

    out = []
    for c in split(read_trace(pcap).segments):
        base = relative(c)
        other = {"A": "B", "B": "A"}
        out.append([(c.sender(o), tuple(sorted(o.flags)), rel(o.seq, base[c.sender(o)]),
                     rel(o.ack, base.get(other[c.sender(o)])) if o.ACK else None, o.len) for o in c.segments])
    return out


def can_make_captures() -> bool:
    import os
    import shutil

    return os.geteuid() == 0 and shutil.which("ip") is not None and Path("/dev/net/tun").exists()


@pytest.mark.skipif(not can_make_captures(), reason="needs root, iproute2 and /dev/net/tun")
@pytest.mark.parametrize("name", ["fin-with-data", "simultaneous-open"])
def test_a_rerun_of_the_script_reproduces_the_fixture(tmp_path, name):
    """Re-made here on the running kernel: the same segments (up to ISNs and timestamps,
    which no re-run reproduces) and the same kernel states at the checkpoints."""
    from tcpcheck.model.conformance.make_captures import main as make_main

    assert make_main([str(tmp_path), name]) == 0
    again = json.loads((tmp_path / f"{name}.json").read_text())
    assert shape(tmp_path / f"{name}.pcap") == shape(CAPTURES / f"{name}.pcap")
    assert [{k: c[k] for k in ("after", "note", "A", "B")} for c in again["checkpoints"]] == meta(name)["checkpoints"]
    assert {k: again[k] for k in ("scenario", "description", "vantage", "A", "B")} == {
        k: meta(name)[k] for k in ("scenario", "description", "vantage", "A", "B")}
