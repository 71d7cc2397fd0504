"""tcpcheck conform: real Linux captures and hand-made traces against the rule table.

The fixtures in tests/captures/ were made by model/conformance/make_captures.py
(two namespaces, a TAP relay as the capture point, ``ss`` at checkpoints).
Every fixture's verdict and checkpoint states, under both profiles, are pinned
in tests/test_conform_captures.py; here, where Linux parts from RFC 9293 the
deviation is pinned with what the table allows there.  Each hand-made illegal
trace is rejected at the right segment, and bad input exits 2 naming the file
and the packet or line.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import dpkt
import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.conformance.capture_files import read_trace
from tcpcheck.model.conformance.cli import check_file
from tcpcheck.model.conformance.follow import follow
from tcpcheck.model.conformance.make_captures import checkpoints
from tcpcheck.model.conformance.trace import split
from tcpcheck.model.table import load_table

CAPTURES = Path(__file__).with_name("captures")
TABLE = load_table()

def fixture(name):
    """A capture's metadata, and its one connection followed through the reference table
    with the kernel's states recorded at its checkpoints (the verdicts and states of every
    capture, under both profiles, are pinned in tests/test_conform_captures.py)."""
    meta = json.loads((CAPTURES / f"{name}.json").read_text())
    conns = split(read_trace(CAPTURES / f"{name}.pcap").segments)
    assert len(conns) == 1
    return meta, follow(conns[0], TABLE, meta["vantage"], checkpoints(meta))


@pytest.mark.parametrize("name", ["abort-linger0", "reset-unread"])
def test_linux_resets_with_an_ack_where_rfc9293_aborts_without_one(name):
    """Pinned deviation: Linux's ABORT (SO_LINGER 0, or close with unread data) sends
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>; RFC 9293 3.10.5 sends <SEQ=SND.NXT><CTL=RST>."""
    _, r = fixture(name)
    d = r.deviation
    o = r.conn.segments[d.index]
    assert (d.who, d.states, sorted(o.flags)) == ("A", ("ESTABLISHED",), ["ACK", "RST"])
    abort = [a for a in d.allowed if a[0] == "ABORT"]
    assert abort == [("ABORT", f"<SEQ={o.seq}><CTL=RST>", (TABLE.lookup("ESTABLISHED", "ABORT", False).id,))]


def test_lost_final_ack_infers_the_retransmission_and_the_loss():
    _, r = fixture("lost-final-ack")
    # the kernel's states after packet 9 (quiet: B CLOSED) rule out #9 lost; one unseen event
    # explains the rest: #7 lost (B retransmits its FIN, #9 arrives), or #7 only delayed past
    # B's retransmission (#9 then reaches a CLOSED B, whose reset is not seen)
    assert [(row.index + 1, row.lost, row.arrived) for row in r.rows if row.lost] == [(7, True, True)]
    assert [e for e, _, _ in r.rows[8].received] == ["rcv ACK of FIN", "rcv segment with ACK"]
    assert ("B", "retransmission timeout", 7) in r.inferred
    row8 = r.rows[7]
    assert row8.explained == (("retransmission timeout", (TABLE.lookup("LAST_ACK", "retransmission timeout", False).id,), None),)
    assert [e for e, _, _ in row8.received] == ["rcv retransmitted FIN"]
    assert r.final == {"A": ("TIME_WAIT",), "B": ("CLOSED",)}


def test_the_vantage_point_decides_what_a_missing_segment_means():
    """Seen at B, A's final ACK arrived at B: B's retransmitted FIN then has no row."""
    trace = read_trace(CAPTURES / "lost-final-ack.pcap")
    conn = split(trace.segments)[0]
    assert follow(conn, TABLE, "a").verdict == "conforms"
    r = follow(conn, TABLE, "b")
    assert (r.verdict, r.deviation.index + 1, r.deviation.who, r.deviation.states) == ("deviates", 8, "B", ("CLOSED",))


def test_refused_connection_is_the_closed_rows_reset():
    _, r = fixture("refused")
    assert [row.explained[0][0] for row in r.rows] == ["active OPEN", "reply"]
    assert r.rows[1].obs.seq == 0 and sorted(r.rows[1].obs.flags) == ["ACK", "RST"]
    assert [e for e, _, _ in r.rows[0].received] == ["rcv segment without ACK"]


def test_simultaneous_close_goes_through_closing_on_both_sides():
    _, r = fixture("simultaneous-close")
    fins = [row for row in r.rows if row.obs.FIN]
    assert [(row.who, row.sender_states, tuple(s for _, _, s in row.received)) for row in fins] == [
        ("A", ("FIN_WAIT_1",), ("CLOSING",)), ("B", ("FIN_WAIT_1",), ("CLOSING",))]


# --- hand-made traces ------------------------------------------------------------------

def trace(tmp_path, segments, **extra):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"format": "tcpcheck-trace", "version": 1, "segments": segments, **extra}))
    return p


def seg(frm, flags, seq, ack=0, n=0, window=1000):
    return {"from": frm, "flags": flags, "seq": seq, "ack": ack, "len": n, "window": window}


HANDSHAKE = [seg("A", ["SYN"], 100), seg("B", ["SYN", "ACK"], 300, 101), seg("A", ["ACK"], 101, 301)]


def one(path, vantage=None):
    _, results, _, _, _ = check_file(path, vantage=vantage)
    assert len(results) == 1
    return results[0]


def test_a_reply_to_a_syn_never_sent_deviates_there(tmp_path):
    r = one(trace(tmp_path, [seg("A", ["SYN"], 100), seg("B", ["SYN", "ACK"], 300, 501)]), "b")
    assert (r.verdict, r.deviation.index + 1, r.deviation.who, r.deviation.states) == ("deviates", 2, "B", ("CLOSED", "SYN_RCVD"))
    assert ("reply", "<SEQ=300><ACK=101><CTL=SYN,ACK>", (TABLE.lookup("LISTEN", "rcv SYN", True).id,)) in r.deviation.allowed


def test_data_beyond_the_window_accepted_deviates_at_the_ack(tmp_path):
    segs = [seg("A", ["SYN"], 100), seg("B", ["SYN", "ACK"], 300, 101, window=10), seg("A", ["ACK"], 101, 301),
            seg("A", ["ACK"], 101, 301, 10), seg("A", ["ACK"], 111, 301, 10), seg("B", ["ACK"], 301, 121, window=10)]
    r = one(trace(tmp_path, segs), "b")
    assert (r.verdict, r.deviation.index + 1) == ("deviates", 6)
    assert ("reply", "<SEQ=301><ACK=111><CTL=ACK>") in [a[:2] for a in r.deviation.allowed]


def test_an_ack_of_a_fin_never_sent_deviates_there(tmp_path):
    segs = HANDSHAKE + [seg("A", ["ACK"], 101, 301, 5), seg("B", ["ACK"], 301, 107)]
    r = one(trace(tmp_path, segs), "b")
    assert (r.verdict, r.deviation.index + 1, r.deviation.states) == ("deviates", 5, ("ESTABLISHED",))


#: The fourth illegal trace: a reset honoured that should be ignored.  A reset out of A's window
#: (spoofed, or from an older connection: no row of B sends it) reaches A in ESTABLISHED, with
#: nothing of A's unacknowledged that a user timeout could have given up on this early (R2).
#: A must ignore it (RFC 9293 3.10.7.4 first: an unacceptable RST is dropped); this A took it as
#: a reset and answers B's next data from CLOSED, <SEQ=SEG.ACK><CTL=RST> (3.10.7.1).
RESET_HONOURED = HANDSHAKE + [seg("A", ["ACK"], 101, 301, 10), seg("B", ["RST"], 5000),
                              seg("B", ["ACK"], 301, 101, 5), seg("A", ["RST"], 101)]


def test_a_reset_honoured_that_should_be_ignored_deviates_at_the_answer_from_closed(tmp_path, capsys):
    r = one(trace(tmp_path, RESET_HONOURED), "a")
    assert (r.verdict, r.deviation.index + 1, r.deviation.who, r.deviation.states) == ("deviates", 7, "A", ("ESTABLISHED",))
    rst = TABLE.lookup("ESTABLISHED", "rcv unacceptable RST", False)
    assert r.rows[4].explained == (("stray", (), None),)
    assert r.rows[4].received == (("rcv unacceptable RST", (rst.id,), "ESTABLISHED"),)
    abort = TABLE.lookup("ESTABLISHED", "ABORT", False)
    assert r.deviation.allowed == (
        ("ABORT", "<SEQ=111><CTL=RST>", (abort.id,)),
        ("CLOSE", "<SEQ=111><ACK=306><CTL=FIN,ACK>", (TABLE.lookup("ESTABLISHED", "CLOSE", False).id,)),
        ("SEND", "<SEQ=111><ACK=306><CTL=ACK><DATA=1>", (TABLE.lookup("ESTABLISHED", "SEND", False).id,)),
        ("reply", "<SEQ=111><ACK=306><CTL=ACK>", (TABLE.lookup("ESTABLISHED", "rcv data", False).id,)),
        ("retransmission timeout", "<SEQ=101><ACK=306><CTL=ACK><DATA=1>",
         (TABLE.lookup("ESTABLISHED", "retransmission timeout", False).id,)))
    code, out, _ = run(capsys, trace(tmp_path, RESET_HONOURED, vantage="a"))
    lines = out.splitlines()
    assert code == 1
    assert "  A ignored the reset #5 before it, as the table says (rcv unacceptable RST [rfc9293.rules:59], " \
           "RFC 9293 3.10.7.4 first): it was not reset there" in lines
    assert "  #5 is a reset no row of B sends (spoofed, or from an older connection on these ports): followed as " \
           "its receiver must take it, ignored" in lines
    assert any(x.startswith("  5  5 ") and "stray reset (no row of B sends it)  rcv unacceptable RST [59]" in x
               for x in lines)


def test_a_stray_reset_ignored_conforms(tmp_path):
    """The same reset, ignored as the table says: A acknowledges B's data and the trace conforms."""
    segs = RESET_HONOURED[:-1] + [seg("A", ["ACK"], 111, 306)]
    r = one(trace(tmp_path, segs), "a")
    assert (r.verdict, r.deviation) == ("incomplete", None)
    assert [row.explained[0][0] for row in r.rows] == ["active OPEN", "reply", "reply", "SEND", "stray", "SEND", "reply"]
    assert r.final == {"A": ("ESTABLISHED",), "B": ("ESTABLISHED",)}


def test_a_reset_the_receiver_must_take_is_never_stray(tmp_path):
    """A reset at RCV.NXT that no row of B sends (RFC 9293's ABORT sends RST without ACK)
    would reset A: it cannot be a stray one, so B's reset is where the trace deviates."""
    segs = HANDSHAKE + [seg("B", ["RST", "ACK"], 301, 101), seg("B", ["ACK"], 301, 101, 5)]
    r = one(trace(tmp_path, segs), "a")
    assert (r.verdict, r.deviation.index + 1, r.deviation.who) == ("deviates", 4, "B")
    assert all(how != "stray" for row in r.rows for how, _r, _c in row.explained)


def test_a_user_timeout_is_not_inferred_sooner_than_r2(tmp_path):
    """The same honoured reset 100 s later: A's unacknowledged data may have timed out (R2,
    RFC 9293 3.8.3), and from CLOSED its reset is a reply: the trace is explained."""
    segs = [dict(x, time=float(i)) for i, x in enumerate(RESET_HONOURED)]
    segs[5]["time"], segs[6]["time"] = 104.0, 104.5
    r = one(trace(tmp_path, segs), "a")
    assert (r.verdict, r.deviation) == ("incomplete", None)
    assert ("A", "user timeout", 6) in r.inferred


def test_sequence_numbers_wrap_around(tmp_path):
    top = 2 ** 32 - 3
    segs = [seg("A", ["SYN"], top), seg("B", ["SYN", "ACK"], 7, top + 1), seg("A", ["ACK"], top + 1, 8),
            seg("A", ["ACK"], top + 1, 8, 10), seg("B", ["ACK"], 8, (top + 11) % 2 ** 32),
            seg("A", ["FIN", "ACK"], (top + 11) % 2 ** 32, 8), seg("B", ["FIN", "ACK"], 8, (top + 12) % 2 ** 32),
            seg("A", ["ACK"], (top + 12) % 2 ** 32, 9)]
    r = one(trace(tmp_path, segs), "a")
    assert r.verdict == "conforms" and r.final == {"A": ("TIME_WAIT",), "B": ("CLOSED",)}
    assert [row.explained[0][0] for row in r.rows] == ["active OPEN", "reply", "reply", "SEND", "reply", "CLOSE",
                                                      "CLOSE", "reply"]


def test_a_capture_that_starts_or_ends_mid_connection_is_incomplete(tmp_path):
    assert one(trace(tmp_path, HANDSHAKE[2:])).verdict == "incomplete"
    r = one(trace(tmp_path, HANDSHAKE))
    assert (r.verdict, tuple(map(str, r.reasons))) == ("incomplete", ("the capture ends before the connection does "
                                                     "(A ESTABLISHED, B ESTABLISHED)",))


# --- other link types, pcapng ----------------------------------------------------------

def frames(name):
    with open(CAPTURES / f"{name}.pcap", "rb") as f:
        return [(ts, buf) for ts, buf in dpkt.pcap.Reader(f)]


def rewrite(tmp_path, name, linktype, wrap, ng=False):
    p = tmp_path / f"{name}.{'pcapng' if ng else 'pcap'}"
    with open(p, "wb") as f:
        w = (dpkt.pcapng.Writer if ng else dpkt.pcap.Writer)(f, linktype=linktype)
        for ts, buf in frames(name):
            w.writepkt(wrap(bytes(dpkt.ethernet.Ethernet(buf).data)), ts)
    return p


@pytest.mark.parametrize("linktype,wrap,ng", [
    (1, lambda ip: bytes(dpkt.ethernet.Ethernet(data=ip, type=0x0800)), True),
    (113, lambda ip: struct.pack("!HHH8sH", 0, 1, 6, b"\0" * 8, 0x0800) + ip, False),
    (276, lambda ip: struct.pack("!HHiHBB8s", 0x0800, 0, 1, 1, 0, 6, b"\0" * 8) + ip, False),
    (0, lambda ip: struct.pack("=I", 2) + ip, False),
    (101, lambda ip: ip, False),
])
def test_other_link_types_and_pcapng_give_the_same_verdict(tmp_path, linktype, wrap, ng):
    p = rewrite(tmp_path, "lost-final-ack", linktype, wrap, ng)
    r = one(p)
    assert (r.verdict, len(r.rows), r.final) == ("conforms", 9, {"A": ("TIME_WAIT",), "B": ("CLOSED",)})


def test_ipv6_segments_are_read(tmp_path):
    p = tmp_path / "v6.pcap"
    with open(p, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=1)
        for ts, buf in frames("refused"):
            ip = dpkt.ethernet.Ethernet(buf).data
            tcp = ip.data
            a, b = (b"\x01", b"\x02") if ip.src.endswith(b"\x01") else (b"\x02", b"\x01")
            ip6 = dpkt.ip6.IP6(src=b"\xfd" + b"\0" * 14 + a, dst=b"\xfd" + b"\0" * 14 + b,
                               nxt=6, hlim=64, data=tcp, plen=len(bytes(tcp)))
            w.writepkt(bytes(dpkt.ethernet.Ethernet(data=ip6, type=0x86DD)), ts)
    r = one(p)
    assert r.verdict == "conforms" and r.conn.a == ("fd00::1", 40005)


# --- bad input ----------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(["conform", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_truncated_capture_exits_2_naming_the_packet(tmp_path, capsys):
    data = (CAPTURES / "refused.pcap").read_bytes()
    p = tmp_path / "cut.pcap"
    p.write_bytes(data[:-10])
    assert run(capsys, p) == (2, "", f"tcpcheck: error: {p}: packet 2: the capture is cut off in the middle "
                                     f"of this packet (its record says 54 more bytes; the file has 44 left: the "
                                     f"file ends early, or the record's length is corrupt)\n")


_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet, snap length 65535


@pytest.mark.parametrize("records,packet,asked,left", [
    # a record whose length field is 0xffffffff: read as far as the file goes, never allocated whole
    (struct.pack("<IIII", 1, 0, 0xFFFFFFFF, 60) + b"\0" * 12, 1, 4294967295, 12),
    (struct.pack("<IIII", 1, 0, 0xFFFFFFFF, 60), 1, 4294967295, 0),
    # a record header itself cut off after 5 of its 16 bytes
    (b"\0" * 5, 1, 16, 5),
])
def test_a_record_longer_than_the_file_exits_2_naming_it(tmp_path, capsys, records, packet, asked, left):
    p = tmp_path / "huge.pcap"
    p.write_bytes(_PCAP_HEADER + records)
    assert run(capsys, p) == (2, "", f"tcpcheck: error: {p}: packet {packet}: the capture is cut off in the "
                                     f"middle of this packet (its record says {asked} more bytes; the file has "
                                     f"{left} left: the file ends early, or the record's length is corrupt)\n")


def test_a_huge_record_after_good_packets_names_its_packet(tmp_path, capsys):
    good = (CAPTURES / "refused.pcap").read_bytes()
    p = tmp_path / "huge2.pcap"
    p.write_bytes(good + struct.pack("<IIII", 9, 0, 0xFFFFFFFF, 60) + b"\0" * 40)
    code, out, err = run(capsys, p)
    assert (code, out) == (2, "") and err.startswith(f"tcpcheck: error: {p}: packet 3: the capture is cut off "
                                                     f"in the middle of this packet (its record says 4294967295")


def test_a_pcapng_block_longer_than_the_file_exits_2(tmp_path, capsys):
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    idb = struct.pack("<IIHHI", 1, 20, 1, 0, 65535) + struct.pack("<I", 20)
    epb = struct.pack("<II", 6, 0xFFFFFFF0) + b"\0" * 30
    p = tmp_path / "huge.pcapng"
    p.write_bytes(shb + idb + epb)
    assert run(capsys, p) == (2, "", f"tcpcheck: error: {p}: packet 1: the capture is cut off in the middle "
                                     f"of this packet (its record says {0xFFFFFFF0 - 8} more bytes; the file has "
                                     f"30 left: the file ends early, or the record's length is corrupt)\n")


def test_a_corrupt_packet_exits_2_naming_it(tmp_path, capsys):
    ts_buf = frames("refused")
    p = tmp_path / "bad.pcap"
    with open(p, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=1)
        w.writepkt(ts_buf[0][1], 1.0)
        w.writepkt(ts_buf[1][1][:14 + 20 + 8], 2.0)  # the IP header says more than the TCP header there
    code, out, err = run(capsys, p)
    assert code == 2 and err.startswith(f"tcpcheck: error: {p}: packet 2: ") and "Traceback" not in err


def test_a_capture_without_tcp_exits_2(tmp_path, capsys):
    p = tmp_path / "udp.pcap"
    with open(p, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=1)
        udp = dpkt.udp.UDP(sport=1, dport=2, data=b"x")
        ip = dpkt.ip.IP(src=b"\x0a\0\0\1", dst=b"\x0a\0\0\2", p=17, data=udp)
        w.writepkt(bytes(dpkt.ethernet.Ethernet(data=ip, type=0x0800)), 1.0)
    assert run(capsys, p) == (2, "", f"tcpcheck: error: {p}: no TCP segment in the capture (1 packet; Ethernet)\n")


def test_an_unknown_link_type_exits_2(tmp_path, capsys):
    p = tmp_path / "lt.pcap"
    with open(p, "wb") as f:
        dpkt.pcap.Writer(f, linktype=147).writepkt(b"\0" * 40, 1.0)
    code, out, err = run(capsys, p)
    assert code == 2 and err.startswith(f"tcpcheck: error: {p}: link type 147 is not one tcpcheck reads; it reads 0 (")


@pytest.mark.parametrize("text,message", [
    ('{"format": "tcpcheck-trace",\n "segments": [}', "{p}:2: not JSON: Expecting value (column 15)"),
    ('{"format": "tcpcheck-trace", "segments": [{"from": "C", "seq": 1}]}',
     "{p}: segment 1: 'from' must be \"A\" or \"B\", not \"C\""),
    ('{"format": "tcpcheck-trace", "segments": [{"from": "A", "seq": -1}]}',
     "{p}: segment 1: 'seq' must be a whole number from 0 to 4294967295, not -1"),
    ('{"format": "tcpcheck-trace", "segments": [{"from": "A", "seq": 1, "flags": ["SYM"]}]}',
     "{p}: segment 1: unknown flag 'SYM'; the flags are SYN, FIN, RST, PSH, ACK, URG, ECE, CWR"),
    ('{"segments": []}', '{p}: a JSON trace is an object with "format": "tcpcheck-trace"'),
    ('{"format": "tcpcheck-trace", "segments": ' + "[" * 100000, "{p}:1: nested too deeply to be a trace"),
    ('garbage', "{p}: neither a pcap/pcapng capture nor a JSON trace (it starts with 67617262)"),
])
def test_a_malformed_json_trace_exits_2_with_its_line_or_segment(tmp_path, capsys, text, message):
    p = tmp_path / "t.json"
    p.write_text(text)
    assert run(capsys, p) == (2, "", f"tcpcheck: error: {message.format(p=p)}\n")


# --- the command --------------------------------------------------------------------------

def test_the_command_prints_a_line_per_connection_and_a_table(capsys):
    code, out, err = run(capsys, CAPTURES / "lost-final-ack.pcap")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0] == f"{CAPTURES / 'lost-final-ack.pcap'}: 9 TCP segments in 9 packets (Ethernet); rules: rfc9293.rules"
    assert lines[2] == ("bounds: a segment seen arrives or is lost before its receiver has sent 4 segments seen "
                        "after it (--in-flight) and within an MSL (120 s, RFC 9293 3.4.1); explanations assuming "
                        "more than 2 losses beyond the fewest are dropped (--extra-losses)")
    assert lines[4] == "connection 1: 10.77.0.1:40008 -> 10.77.0.2:5001: conforms (9 segments)"
    assert any("retransmission timeout (inferred) [33]" in x and "rcv retransmitted FIN [61]" in x for x in lines)
    assert "  inferred (not seen in the trace): A active OPEN before #1; B passive OPEN before #1; A CLOSE before #4; " \
           "B CLOSE before #6; B retransmission timeout before #8" in lines


def test_exit_codes_json_and_many_connections(tmp_path, capsys):
    code, out, _ = run(capsys, CAPTURES / "abort-linger0.pcap", "--json")
    doc = json.loads(out)
    assert code == 1 and (doc["schema_version"], doc["kind"], doc["tool"]["name"]) == (1, "conform", "tcpcheck")
    c = doc["connections"][0]
    assert (c["verdict"], c["deviation"]["number"], c["deviation"]["segment"]["CTL"]) == ("deviates", 4, ["RST", "ACK"])
    assert c["segments"][0]["segment"]["CTL"] == ["SYN"] and c["segments"][0]["options"]["wscale"] == 10
    p = tmp_path / "two.pcap"
    with open(p, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=1)
        for name in ("refused", "close-by-client"):
            for ts, buf in frames(name):
                w.writepkt(buf, ts)
    code, out, _ = run(capsys, p)
    assert code == 0 and "total: 2 connections: 2 conform, 0 deviate, 0 incomplete" in out.splitlines()
    code, out, _ = run(capsys, trace(tmp_path, HANDSHAKE))
    assert code == 4


# --- bounds on what stays in flight ------------------------------------------------------

def bench_connection(tmp_path, per):
    from tcpcheck.model.conformance.bench import synthetic

    p = tmp_path / f"bench{per}.pcap"
    synthetic(p, 1, per)
    return split(read_trace(p).segments)[0]


@pytest.mark.parametrize("per,unbounded", [(14, 10), (20, 28), (26, 55)])
def test_a_long_run_of_acks_on_the_path_keeps_a_bounded_number_of_worlds(tmp_path, per, unbounded):
    """A sends 100-octet segments, B only ACKs them: on the path every ACK may still be in
    flight, or lost, when A sends again.  Without bounds the worlds kept grow with every
    segment (a 1,000-connection capture of 100 packets each ran for more than ten minutes);
    with them they stop growing: 12 for 20 packets as for 100."""
    from tcpcheck.model.conformance.follow import _Follower

    conn = bench_connection(tmp_path, per)
    f = _Follower(conn, TABLE, "path", 10 ** 6, 10 ** 6)
    assert f.run()[2] is None and f.peak == unbounded
    f = _Follower(conn, TABLE, "path")
    assert f.run()[2] is None and f.peak == (9 if per == 14 else 12)


def test_the_bounded_long_run_conforms(tmp_path):
    from tcpcheck.model.conformance.follow import _Follower

    f = _Follower(bench_connection(tmp_path, 100), TABLE, "path")
    assert f.run()[2] is None and f.peak == 12
    r = follow(bench_connection(tmp_path, 100), TABLE, "path")
    assert (r.verdict, r.bounds, r.final) == ("conforms", (4, 2), {"A": ("TIME_WAIT",), "B": ("CLOSED",)})


def crossing(tmp_path):
    """A's data crosses two data segments of B, which acknowledge only what came before."""
    segs = HANDSHAKE + [seg("A", ["ACK"], 101, 301, 10), seg("B", ["ACK"], 301, 101, 5),
                        seg("B", ["ACK"], 306, 101, 5), seg("B", ["ACK"], 311, 111),
                        seg("A", ["ACK"], 111, 311)]
    return trace(tmp_path, segs)


@pytest.mark.parametrize("in_flight,verdict,at", [(1, "deviates", 7), (2, "deviates", 7), (3, "incomplete", None)])
def test_the_in_flight_bound_decides_how_many_segments_may_cross(tmp_path, in_flight, verdict, at):
    """With room for fewer than three of B's segments, A's data (#4) cannot have arrived after
    B's #5 and #6 (which acknowledge only what came before it): it was lost, and B's ACK of
    it (#7) has no row.  With three, it crossed them."""
    _, results, _, _, _ = check_file(crossing(tmp_path), vantage="path", in_flight=in_flight)
    r = results[0]
    assert (r.verdict, r.deviation.index + 1 if r.deviation else None) == (verdict, at)
    assert [row.index + 1 for row in r.rows if row.lost] == ([4] if at else [])
    if r.deviation:
        assert r.deviation.who == "B" and r.deviation.states == ("ESTABLISHED",)


def test_the_bounds_are_options_and_in_the_json(tmp_path, capsys):
    code, out, _ = run(capsys, crossing(tmp_path), "--in-flight", "3", "--extra-losses", "0", "--json")
    doc = json.loads(out)
    assert (code, doc["bounds"]) == (4, {"in_flight": 3, "extra_losses": 0, "msl": 120.0})
    with pytest.raises(SystemExit) as exit_:
        run(capsys, crossing(tmp_path), "--in-flight", "0")
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.endswith("argument --in-flight: expected a whole number from 1, not 0\n")


# --- a port pair reused: the new SYN reaches the old connection's TIME_WAIT ---------------

def test_a_new_connection_on_a_port_pair_starts_where_the_old_one_left_its_endpoints():
    """time-wait-reuse: B closed first and is in TIME_WAIT when A connects again from the same
    port with a higher ISN.  The second connection starts with B's TIME_WAIT TCB, so the SYN
    is processed there: the linux table opens the new connection from TIME_WAIT (RFC 6191);
    RFC 9293's TIME_WAIT only acknowledges it (3.10.7.4 first), so B's SYN,ACK deviates."""
    from tcpcheck.model.profiles import profile_path, profile_table

    path = CAPTURES / "time-wait-reuse.pcap"
    _, (old, new), _, _, _ = check_file(path)
    assert (old.verdict, old.final, new.verdict, new.deviation.index + 1, new.deviation.who,
            new.deviation.states) == ("conforms", {"A": ("CLOSED",), "B": ("TIME_WAIT",)}, "deviates", 2, "B",
                                      ("TIME_WAIT",))
    assert [a[:2] for a in new.deviation.allowed] == [("ABORT", "nothing"),
                                                      ("reply", f"<SEQ={old.conn.segments[-1].seq}><ACK="
                                                                f"{old.conn.segments[-1].ack}><CTL=ACK>")]
    linux = profile_table("linux")
    _, results, _, _, _ = check_file(path, rules=profile_path("linux"))
    assert [r.verdict for r in results] == ["conforms", "conforms"]
    events, rules, state = results[1].rows[0].received[0]
    assert (events, linux.rules[rules[0]].state, state) == ("rcv SYN above RCV.NXT", "TIME_WAIT", "SYN_RCVD")
    # followed alone, the second connection starts from CLOSED/LISTEN and conforms under both
    assert follow(new.conn, TABLE, "path").verdict == "conforms"


# --- options of the other kind of FILE are refused, not ignored -----------------------------

PKT = Path(__file__).with_name("packetdrill")


@pytest.mark.parametrize("argv,message", [
    (["{pkt}/close-active.pkt", "--states", "{cap}/refused.json"],
     "--states: for a capture or JSON trace only; {pkt}/close-active.pkt is a packetdrill script, which it would "
     "not change"),
    (["{pkt}", "--vantage", "a", "--in-flight", "3"],
     "--vantage and --in-flight: for a capture or JSON trace only; {pkt} is a directory of packetdrill scripts, "
     "which they would not change"),
    (["{pkt}", "--matrix", "--states", "{cap}/refused.json", "--extra-losses", "0"],
     "--states and --extra-losses: for a capture or JSON trace only; --matrix runs a directory of packetdrill "
     "scripts, which they would not change"),
    (["{cap}/refused.pcap", "--define", "FreeBSD"],
     "--define: for packetdrill scripts only; {cap}/refused.pcap is a capture or JSON trace, which it would not "
     "change"),
])
def test_an_option_of_the_other_kind_of_file_exits_2(capsys, argv, message):
    fill = {"pkt": PKT, "cap": CAPTURES}
    assert run(capsys, *[a.format(**fill) for a in argv]) == (2, "", f"tcpcheck: error: {message.format(**fill)}\n")


def test_the_options_of_each_kind_of_file_still_work(capsys):
    assert run(capsys, CAPTURES / "refused.pcap", "--states", CAPTURES / "refused.json", "--vantage", "a")[0] == 0
    assert run(capsys, PKT / "close-active.pkt", "--define", "Linux")[0] == 0


def test_the_help_says_what_packetdrill_scripts_check_and_infer(capsys):
    with pytest.raises(SystemExit):
        main(["conform", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ("getsockopt(SO_ERROR) values are checks; 2MSL and user timeouts are inferred from the script's times; "
            "a write larger than the MSS is sent as several segments.") in text
