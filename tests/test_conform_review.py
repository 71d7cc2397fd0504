"""tcpcheck conform: what a deviation says the table allows, as a user reads it.

Found by walking the command with hand-made traces: an endpoint that was reset
(or aborted) was offered an ACK it owed from before, which it can never send
from CLOSED, and which came with an empty "()" for its rows; a row written for
several states was named once per state.
"""

from __future__ import annotations

import json

from tcpcheck.model.cli import main
from tcpcheck.model.conformance.cli import check_file
from tcpcheck.model.table import load_table

TABLE = load_table()


def trace(tmp_path, segments, name="t.json"):
    p = tmp_path / name
    p.write_text(json.dumps({"format": "tcpcheck-trace", "version": 1, "segments": segments}))
    return p


def seg(frm, flags, seq, ack=0, n=0):
    return {"from": frm, "flags": flags, "seq": seq, "ack": ack, "len": n, "window": 1000}


def deviation_lines(capsys, path, vantage):
    code = main(["conform", str(path), "--vantage", vantage])
    out = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("  deviation:"))
    end = next(i for i, line in enumerate(out) if line == "  the segments after it are not followed")
    return code, out[start:end]


#: A capture that starts mid-connection with A's reset, then a second reset from A: after the
#: first, A is CLOSED (an inferred ABORT), where the table lets it send only a SYN.
TWO_RESETS = [seg("A", ["RST"], 12345), seg("A", ["RST"], 12345)]


def test_an_endpoint_in_closed_is_not_offered_the_ack_it_owed_before(tmp_path, capsys):
    path = trace(tmp_path, TWO_RESETS)
    for vantage in ("a", "b", "path"):
        code, lines = deviation_lines(capsys, path, vantage)
        assert code == 1
        assert lines == [
            "  deviation: A sent <SEQ=12345><CTL=RST>, which no row of the table allows in A's state there (CLOSED)",
            "  what the table allows A to send there:",
            "    active OPEN: <SEQ=12345><CTL=SYN>  (rfc9293.rules:20, RFC 9293 F2, 3.10.1)"], vantage
        _, results, _, _, _ = check_file(path, vantage=vantage)
        assert results[0].deviation.allowed == (
            ("active OPEN", "<SEQ=12345><CTL=SYN>", (TABLE.lookup("CLOSED", "active OPEN", False).id,)),)


def test_an_ack_owed_from_before_the_capture_names_no_rows(tmp_path, capsys):
    """B may owe an ACK for what came before the capture: offered, with no row to name (no "()")."""
    path = trace(tmp_path, [seg("A", ["ACK"], 100, 300), seg("B", ["SYN"], 300)])
    code, lines = deviation_lines(capsys, path, "b")
    assert code == 1
    assert lines == [
        "  deviation: B sent <SEQ=300><CTL=SYN>, which no row of the table allows in B's state there "
        "(CLOSE_WAIT / ESTABLISHED / FIN_WAIT_2)",
        "  what the table allows B to send there:",
        "    ABORT: <SEQ=300><CTL=RST>  (rfc9293.rules:29, RFC 9293 3.10.5, note 3)",
        "    CLOSE: <SEQ=300><ACK=100><CTL=FIN,ACK>  (rfc9293.rules:26, RFC 9293 F12, 3.10.4; "
        "rfc9293.rules:27, RFC 9293 F17, 3.10.4)",
        "    SEND: <SEQ=300><ACK=100><CTL=ACK><DATA=1>  (rfc9293.rules:22, RFC 9293 3.10.2)",
        "    reply: <SEQ=300><ACK=100><CTL=ACK>",
        "    retransmission timeout: <SEQ=300><ACK=100><CTL=ACK><DATA=1>  (rfc9293.rules:33, RFC 9293 3.10.8, 3.8.1)"]
    # the JSON still names every state's rule of a row written for several states
    main(["conform", str(path), "--vantage", "b", "--json"])
    allowed = json.loads(capsys.readouterr().out)["connections"][0]["deviation"]["allowed"]
    assert [(a["what"], [r["where"] for r in a["rules"]]) for a in allowed] == [
        ("ABORT", ["rfc9293.rules:29"] * 3), ("CLOSE", ["rfc9293.rules:26", "rfc9293.rules:27"]),
        ("SEND", ["rfc9293.rules:22"] * 2), ("reply", []), ("retransmission timeout", ["rfc9293.rules:33"] * 2)]


def test_the_chinese_report_names_a_row_once_too(tmp_path, capsys):
    path = trace(tmp_path, [seg("A", ["ACK"], 100, 300), seg("B", ["SYN"], 300)])
    main(["conform", str(path), "--vantage", "b", "--lang", "zh"])
    out = capsys.readouterr().out
    assert out.count("rfc9293.rules:29") == 1 and out.count("rfc9293.rules:22") == 1
    assert "()" not in out and "（）" not in out
    assert "    回复：<SEQ=300><ACK=100><CTL=ACK>" in out.splitlines()


# --- pcapng captures on several interfaces -------------------------------------------------------

import struct  # noqa: E402
from pathlib import Path  # noqa: E402

import dpkt  # noqa: E402

CAPTURES = Path(__file__).with_name("captures")


def _frames(name):
    with open(CAPTURES / f"{name}.pcap", "rb") as f:
        return list(dpkt.pcap.Reader(f))


def _pcapng(path, sections):
    """A pcapng file by hand: ``sections`` is a list of (big-endian?, interfaces, packets), each
    interface (link type, if_tsresol or None), each packet (interface id, ticks, frame)."""
    out = bytearray()
    for big, interfaces, packets in sections:
        o = ">" if big else "<"

        def block(kind, body):
            body += b"\0" * (-len(body) % 4)
            out.extend(struct.pack(o + "II", kind, 12 + len(body)) + body + struct.pack(o + "I", 12 + len(body)))

        block(0x0A0D0D0A, struct.pack(o + "IHHq", 0x1A2B3C4D, 1, 0, -1))
        for link, resol in interfaces:
            opts = b"" if resol is None else struct.pack(o + "HH", 9, 1) + bytes([resol, 0, 0, 0]) + b"\0" * 4
            block(1, struct.pack(o + "HHI", link, 0, 65535) + opts)
        for iface, ticks, frame in packets:
            block(6, struct.pack(o + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    path.write_bytes(bytes(out))
    return path


def test_a_pcapng_on_two_interfaces_of_different_link_types_reads_every_packet(tmp_path, capsys):
    """Wireshark on eth0 and a tunnel: each packet has its own interface's link type.  dpkt's
    reader decoded every packet with the first interface's, so the raw-IP half was skipped as
    "non-IP" and the connection was followed on 5 of its 9 segments."""
    frames = _frames("lost-final-ack")
    packets = [(i % 2, round(ts * 1e6), buf if i % 2 == 0 else buf[14:]) for i, (ts, buf) in enumerate(frames)]
    p = _pcapng(tmp_path / "two.pcapng", [(False, [(1, None), (101, None)], packets)])
    _, results, _, _, _ = check_file(p)
    assert len(results) == 1 and (results[0].verdict, len(results[0].rows)) == ("conforms", 9)
    main(["conform", str(p)])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{p}: 9 TCP segments in 9 packets (Ethernet, raw IP); rules: rfc9293.rules"
    assert not any("skipped" in line for line in out)


def test_each_interface_has_its_own_time_resolution_and_a_section_its_own_interfaces(tmp_path, capsys):
    """Interface 1 counts nanoseconds (if_tsresol 9); a second section, big-endian, numbers its
    interfaces from 0 again.  The times are those of the original capture either way."""
    frames = _frames("lost-final-ack")
    first, second = frames[:4], frames[4:]
    sections = [(False, [(1, None), (1, 9)],
                 [(i % 2, round(ts * (1e6 if i % 2 == 0 else 1e9)), buf) for i, (ts, buf) in enumerate(first)]),
                (True, [(1, 9)], [(0, round(ts * 1e9), buf) for ts, buf in second])]
    p = _pcapng(tmp_path / "sections.pcapng", sections)
    _, results, _, _, _ = check_file(p)
    r = results[0]
    assert (r.verdict, len(r.rows)) == ("conforms", 9)
    t0 = frames[0][0]
    assert [round(o.time - r.conn.segments[0].time, 6) for o in r.conn.segments] == [
        round(ts - t0, 6) for ts, _ in frames]


def test_a_packet_on_an_undeclared_interface_exits_2_naming_it(tmp_path, capsys):
    frames = _frames("refused")
    p = _pcapng(tmp_path / "undeclared.pcapng",
                [(False, [(1, None)], [(0, 1_000_000, frames[0][1]), (3, 2_000_000, frames[1][1])])])
    code = main(["conform", str(p)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (f"tcpcheck: error: {p}: packet 2: the capture is damaged or cut off here (a packet on interface "
                   f"3, which no interface description block declares)\n")


def test_an_interface_of_an_unknown_link_type_is_refused_at_its_first_packet(tmp_path, capsys):
    frames = _frames("refused")
    p = _pcapng(tmp_path / "usb.pcapng",
                [(False, [(1, None), (189, None)], [(0, 1_000_000, frames[0][1]), (1, 2_000_000, b"\0" * 40)])])
    code = main(["conform", str(p)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"tcpcheck: error: {p}: packet 2: its interface's link type 189 is not one tcpcheck "
                          f"reads; it reads 0 (")
    # an interface nothing was captured on does not matter
    p = _pcapng(tmp_path / "idle.pcapng", [(False, [(1, None), (189, None)], [(0, 1_000_000 * i, buf)
                                                                              for i, (_, buf) in enumerate(frames)])])
    _, results, _, _, _ = check_file(p)
    assert results[0].verdict == "conforms"


def test_a_simple_packet_block_is_counted_and_said_not_silently_dropped(tmp_path, capsys):
    """A simple packet block has no time stamp to follow its segment by: it is numbered (as
    Wireshark numbers it) and the report says it was skipped; dpkt's reader dropped it unseen."""
    frames = _frames("refused")
    p = _pcapng(tmp_path / "spb.pcapng", [(False, [(1, None)], [(0, 1_000_000, frames[0][1])])])
    data = p.read_bytes()
    frame = frames[1][1] + b"\0" * (-len(frames[1][1]) % 4)
    spb = struct.pack("<III", 3, 16 + len(frame), len(frames[1][1])) + frame + struct.pack("<I", 16 + len(frame))
    p.write_bytes(data + spb + data[data.index(struct.pack("<I", 6)):])  # SHB, IDB, EPB 1, SPB 2, EPB 3
    main(["conform", str(p)])
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [f"{p}: 2 TCP segments in 3 packets (Ethernet); rules: rfc9293.rules",
                       "  1 pcapng simple (time-less) packet skipped"]
    assert any(line.startswith("  2  3 ") for line in out)  # the second segment is packet 3
