"""tcpcheck conform on captures that start or end in the middle of a connection, or hold
packets cut short: made here from the Linux fixtures by cutting packets (dpkt writes the
cut capture).  Such a capture is followed, not refused: from every state the first
segments allow (both synchronized, SND/RCV variables from the first segment, what was
assumed said in the report), every segment still gets its rule and states, and the
verdict is ``incomplete`` with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import dpkt

from tcpcheck.model.cli import main
from tcpcheck.model.conformance.cli import check_file

CAPTURES = Path(__file__).with_name("captures")


def cut(tmp_path, name, first=1, last=None, snap=None, change=None):
    """Packets ``first``..``last`` (1-based, inclusive) of fixture ``name`` as a new pcap;
    ``snap`` = {packet: bytes kept} cuts frames short; ``change`` = {packet: {tcp field: value}}."""
    with open(CAPTURES / f"{name}.pcap", "rb") as f:
        packets = list(dpkt.pcap.Reader(f))
    p = tmp_path / f"{name}-{first}-{last}.pcap"
    with open(p, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=1)
        for n, (ts, buf) in enumerate(packets[first - 1:last], first):
            if change and n in change:
                eth = dpkt.ethernet.Ethernet(buf)
                for k, v in change[n].items():
                    setattr(eth.data.data, k, v)
                eth.data.data.sum = 0
                buf = bytes(eth)
            if snap and n in snap:
                buf = buf[:snap[n]]
            w.writepkt(buf, ts)
    return p


def conform(capsys, *argv):
    code = main(["conform", *map(str, argv)])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out.splitlines()


def test_a_capture_that_starts_after_the_handshake_is_followed_from_both_established(tmp_path, capsys):
    p = cut(tmp_path, "half-close", 4)
    code, lines = conform(capsys, p)
    assert code == 4
    assert lines[4:] == [
        "connection 1: 10.77.0.1:40003 -> 10.77.0.2:5001: incomplete (6 segments)",
        "",
        "connection 1: 10.77.0.1:40003 -> 10.77.0.2:5001 (A = 10.77.0.1:40003, B = 10.77.0.2:5001): incomplete",
        "  incomplete: the capture starts in the middle of the connection: its first segment, packet 1, is not a SYN",
        "  assumed at the start: both endpoints synchronized (ESTABLISHED, or one in FIN_WAIT_2 and the other in "
        "CLOSE_WAIT), nothing in flight, either may owe an ACK; A's SND.NXT = 790812649 and RCV.NXT = 522358015 "
        "from packet 1, and B's the other way round; windows scaled by 2^14, the most (the SYNs that said the "
        "scale were not captured)",
        "  #  pkt  time      dir   flags    seq rel (abs)   ack rel (abs)   len  win  sent as [rule line]    "
        "received as [rule line]     A           B",
        "  1  1    0.000000  A->B  FIN,ACK  0 (790812649)   0 (522358015)   0    63   CLOSE (inferred) [26]  "
        "rcv ACK; rcv FIN [78, 86]   FIN_WAIT_1  CLOSE_WAIT",
        "     options: ts=3838161501/28255312",
        "  2  2    0.001918  B->A  ACK      0 (522358015)   1 (790812650)   0    64   reply to #1 [86]       "
        "rcv ACK of FIN [79]         FIN_WAIT_2  CLOSE_WAIT",
        "     options: ts=28255314/3838161501",
        "  3  3    0.426615  B->A  PSH,ACK  0 (522358015)   1 (790812650)   13   64   SEND (inferred) [22]   "
        "rcv ACK; rcv data [78, 84]  FIN_WAIT_2  CLOSE_WAIT",
        "     options: ts=28255738/3838161501",
        "  4  4    0.426689  A->B  ACK      1 (790812650)   13 (522358028)  0    63   reply to #3 [84]       "
        "rcv ACK [78]                FIN_WAIT_2  CLOSE_WAIT / LAST_ACK",
        "     options: ts=3838161927/28255738",
        "  5  5    0.856665  B->A  FIN,ACK  13 (522358028)  1 (790812650)   0    64   CLOSE (inferred) [27]  "
        "rcv ACK; rcv FIN [78, 88]   TIME_WAIT   LAST_ACK",
        "     options: ts=28256168/3838161927",
        "  6  6    0.856727  A->B  ACK      1 (790812650)   14 (522358029)  0    63   reply to #5 [88]       "
        "rcv ACK of FIN [81]         TIME_WAIT   CLOSED",
        "     options: ts=3838162357/28256168",
        "  inferred (not seen in the trace): A CLOSE before #1; B SEND before #3; B CLOSE before #5",
        "  at the end: A TIME_WAIT, B CLOSED",
        "",
        "Parsed and shown, not checked: TCP options, the urgent pointer, PSH/ECE/CWR, window sizes (beyond whether "
        "a segment is in the window), checksums."]


def test_a_capture_that_starts_with_the_syn_ack_starts_in_syn_rcvd_and_syn_sent(tmp_path):
    _, (r,), _, _, _ = check_file(cut(tmp_path, "close-by-client", 2))
    assert r.verdict == "incomplete" and [str(x) for x in r.notes] == [
        "assumed at the start: A in SYN_RCVD owing this SYN,ACK to the SYN before the capture, B in SYN_SENT, "
        "nothing else in flight"]
    assert [(row.explained[0][0], row.sender_states) for row in r.rows[:2]] == [
        ("before the capture", ("SYN_RCVD",)), ("reply", ("ESTABLISHED",))]
    assert r.final == {"A": ("CLOSED",), "B": ("TIME_WAIT",)}


def test_a_capture_that_ends_before_the_close_is_incomplete_with_every_segment_explained(tmp_path):
    _, (r,), _, _, _ = check_file(cut(tmp_path, "close-by-client", 1, 5))
    assert (r.verdict, [str(x) for x in r.reasons]) == (
        "incomplete", ["the capture ends before the connection does (A ESTABLISHED, B ESTABLISHED)"])
    assert [row.explained[0][0] for row in r.rows] == ["active OPEN", "reply", "reply", "SEND", "reply"]


def test_a_capture_cut_at_both_ends_gives_both_reasons(tmp_path):
    _, (r,), _, _, _ = check_file(cut(tmp_path, "lost-final-ack", 4, 6))
    assert (r.verdict, [str(x) for x in r.reasons]) == ("incomplete", [
        "the capture starts in the middle of the connection: its first segment, packet 1, is not a SYN",
        "the capture ends before the connection does (A TIME_WAIT, B LAST_ACK)"])
    assert [(row.who, row.sender_states) for row in r.rows] == [("A", ("FIN_WAIT_1",)), ("B", ("CLOSE_WAIT",)),
                                                               ("B", ("LAST_ACK",))]


def test_a_packet_cut_short_by_the_snapshot_length_is_still_followed(tmp_path):
    """Packet 6 of half-close carries 13 octets; keep only its headers (14 + 20 + 32)."""
    _, (r,), _, _, _ = check_file(cut(tmp_path, "half-close", snap={6: 66}))
    assert (r.verdict, [str(x) for x in r.reasons]) == (
        "incomplete", ["packet 6 is cut short by the capture's snapshot length"])
    assert (r.rows[5].obs.len, r.rows[5].explained[0][0]) == (13, "SEND")
    assert r.final == {"A": ("TIME_WAIT",), "B": ("CLOSED",)}


def test_a_mid_connection_capture_still_deviates_where_a_stack_does_what_no_row_allows(tmp_path):
    """Cut after the handshake, with B acknowledging one octet more than A's FIN: in every
    state B may start in (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_2) and reach with A's FIN, no row
    sends that ACK."""
    p = cut(tmp_path, "half-close", 4, change={5: {"ack": 790812651}})
    _, (r,), _, _, _ = check_file(p)
    assert (r.verdict, r.deviation.index + 1, r.deviation.who, r.deviation.states) == (
        "deviates", 2, "B", ("CLOSE_WAIT", "ESTABLISHED", "FIN_WAIT_2", "TIME_WAIT"))
    assert ("reply", "<SEQ=522358015><ACK=790812650><CTL=ACK>") in [a[:2] for a in r.deviation.allowed]


def test_the_json_says_what_was_assumed(tmp_path, capsys):
    from schemacheck import errors

    code = main(["conform", str(cut(tmp_path, "half-close", 4)), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 4 and errors("conform", doc) == []
    c = doc["connections"][0]
    assert c["assumed"][0].startswith("assumed at the start: both endpoints synchronized")
    assert [s["sent"][0]["how"] for s in c["segments"]] == ["CLOSE", "reply", "SEND", "reply", "CLOSE", "reply"]
