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
