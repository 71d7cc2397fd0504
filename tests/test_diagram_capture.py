"""``diagram trace --capture FILE``: a real connection drawn as a message sequence chart.

The captures are tests/captures/*.pcap (real Linux connections, made by
model/conformance/make_captures.py).  Each connection is followed by
``tcpcheck conform``'s follower; the steps the chart is drawn from are pinned
exactly (who, what, the segments in relative numbers, both ends' states), the
deviating segment of a deviating capture is marked, the verdict is in the
title, in English and Chinese; bad input is exit 2 with one line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tcpcheck.diagrams.cli import DiagramError, capture_chart, capture_trace, choose_connection
from tcpcheck.diagrams.msc import msc_dot
from tcpcheck.model.cli import main
from tcpcheck.model.conformance.cli import check_file

from test_i18n_commands import english_words

CAPTURES = Path(__file__).parent / "captures"


def steps_of(name: str, connection: int = 1) -> tuple[list[tuple], int | None]:
    _trace, results, table, _w, _why = check_file(CAPTURES / f"{name}.pcap")
    steps, deviating = capture_trace(results[connection - 1], table)
    assert steps[0] == {"step": 0, "A": {"state": "CLOSED"}, "B": {"state": "CLOSED"}}
    return [(st["actor"], st["kind"], st["event"], st["segment"], st["sent"], st["A"]["state"], st["B"]["state"])
            for st in steps[1:]], deviating


def draw(capsys, *argv) -> str:
    code = main(["diagram", "trace", *map(str, argv), "--format", "dot"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def usage_error(capsys, argv, message: str) -> None:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"tcpcheck: error: {message}\n"


CLOSE_BY_CLIENT = [
    ("B", "call", "passive OPEN", None, [], "CLOSED", "LISTEN"),
    ("A", "call", "active OPEN", None, ["<SEQ=0><CTL=SYN>"], "SYN_SENT", "LISTEN"),
    ("B", "rcv", "rcv SYN", "<SEQ=0><CTL=SYN>", ["<SEQ=0><ACK=1><CTL=SYN,ACK>"], "SYN_SENT", "SYN_RCVD"),
    ("A", "rcv", "rcv SYN,ACK", "<SEQ=0><ACK=1><CTL=SYN,ACK>", ["<SEQ=1><ACK=1><CTL=ACK>"], "ESTABLISHED", "SYN_RCVD"),
    # one run, each segment arriving as soon as it can have (the report keeps the other orders:
    # A may have closed before B's ACK arrived)
    ("B", "rcv", "rcv ACK of SYN", "<SEQ=1><ACK=1><CTL=ACK>", [], "ESTABLISHED", "ESTABLISHED"),
    ("A", "call", "SEND", None, ["<SEQ=1><ACK=1><CTL=ACK><DATA=5>"], "ESTABLISHED", "ESTABLISHED"),
    ("B", "rcv", "rcv ACK; rcv data", "<SEQ=1><ACK=1><CTL=ACK><DATA=5>", ["<SEQ=1><ACK=6><CTL=ACK>"], "ESTABLISHED",
     "ESTABLISHED"),
    ("A", "rcv", "rcv ACK", "<SEQ=1><ACK=6><CTL=ACK>", [], "ESTABLISHED", "ESTABLISHED"),
    ("A", "call", "CLOSE", None, ["<SEQ=6><ACK=1><CTL=FIN,ACK>"], "FIN_WAIT_1", "ESTABLISHED"),
    ("B", "rcv", "rcv ACK; rcv FIN", "<SEQ=6><ACK=1><CTL=FIN,ACK>", ["<SEQ=1><ACK=7><CTL=ACK>"], "FIN_WAIT_1",
     "CLOSE_WAIT"),
    ("A", "rcv", "rcv ACK of FIN", "<SEQ=1><ACK=7><CTL=ACK>", [], "FIN_WAIT_2", "CLOSE_WAIT"),
    ("B", "call", "CLOSE", None, ["<SEQ=1><ACK=7><CTL=FIN,ACK>"], "FIN_WAIT_2", "LAST_ACK"),
    ("A", "rcv", "rcv ACK; rcv FIN", "<SEQ=1><ACK=7><CTL=FIN,ACK>", ["<SEQ=7><ACK=2><CTL=ACK>"], "TIME_WAIT",
     "LAST_ACK"),
    ("B", "rcv", "rcv ACK of FIN", "<SEQ=7><ACK=2><CTL=ACK>", [], "TIME_WAIT", "CLOSED"),
]


def test_a_conforming_connection_is_drawn_as_the_follower_explains_it():
    assert steps_of("close-by-client") == (CLOSE_BY_CLIENT, None)


def test_a_lost_final_ack_is_drawn_lost_before_the_retransmitted_fin():
    steps, deviating = steps_of("lost-final-ack")
    assert deviating is None
    assert steps[-4:] == [
        (None, "lose", "A->B", "<SEQ=2><ACK=2><CTL=ACK>", [], "TIME_WAIT", "LAST_ACK"),
        ("B", "timer", "retransmission timeout", None, ["<SEQ=1><ACK=2><CTL=FIN,ACK>"], "TIME_WAIT", "LAST_ACK"),
        ("A", "rcv", "rcv retransmitted FIN", "<SEQ=1><ACK=2><CTL=FIN,ACK>", ["<SEQ=2><ACK=2><CTL=ACK>"],
         "TIME_WAIT", "LAST_ACK"),
        ("B", "rcv", "rcv ACK of FIN", "<SEQ=2><ACK=2><CTL=ACK>", [], "TIME_WAIT", "CLOSED")]


def test_a_deviating_connection_is_drawn_up_to_the_segment_no_row_allows():
    steps, deviating = steps_of("abort-linger0")
    assert deviating == 4  # Linux's RST,ACK of an abort with linger 0: segment 4 (packet 4)
    assert steps == [
        ("B", "call", "passive OPEN", None, [], "CLOSED", "LISTEN"),
        ("A", "call", "active OPEN", None, ["<SEQ=0><CTL=SYN>"], "SYN_SENT", "LISTEN"),
        ("B", "rcv", "rcv SYN", "<SEQ=0><CTL=SYN>", ["<SEQ=0><ACK=1><CTL=SYN,ACK>"], "SYN_SENT", "SYN_RCVD"),
        ("A", "rcv", "rcv SYN,ACK", "<SEQ=0><ACK=1><CTL=SYN,ACK>", ["<SEQ=1><ACK=1><CTL=ACK>"], "ESTABLISHED",
         "SYN_RCVD"),
        ("A", "send", "", None, ["<SEQ=1><ACK=1><CTL=RST,ACK>"], "ESTABLISHED", "SYN_RCVD")]
    dot, title = capture_chart(CAPTURES / "abort-linger0.pcap")
    assert title == ("abort-linger0.pcap, connection 1 (10.77.0.1:40004 -> 10.77.0.2:5001): deviates at segment 4 "
                     "(packet 4); SEQ and ACK relative to each side's first")
    edges = re.findall(r'id="(seg\d+)", class="([^"]*)"', dot)
    assert edges == [("seg1", "segment A-B received"), ("seg2", "segment B-A received"),
                     ("seg3", "segment A-B in-flight"), ("seg4", "segment A-B in-flight deviation")]
    assert "no row allows this segment" in dot and 'color="#c62828", penwidth=3' in dot
    assert "<b>A (client)</b>" not in dot and "<b>A (client) 10.77.0.1:40004</b>" in dot


def test_the_deviation_mark_is_drawn_only_when_asked():
    steps = [{"step": 0, "A": {"state": "CLOSED"}, "B": {"state": "LISTEN"}},
             {"step": 1, "actor": "A", "kind": "call", "event": "active OPEN", "segment": None,
              "sent": ["<SEQ=100><CTL=SYN>"], "dropped": []}]
    assert "deviation" not in msc_dot(steps) and "no row allows" not in msc_dot(steps)
    assert 'class="segment A-B in-flight deviation"' in msc_dot(steps, deviating=1)
    assert "deviation" not in msc_dot(steps, deviating=2)


def test_every_capture_draws(capsys):
    for pcap in sorted(CAPTURES.glob("*.pcap")):
        argv = ["--capture", pcap] + (["--connection", "2"] if pcap.stem == "time-wait-reuse" else [])
        dot = draw(capsys, *argv)
        assert dot.startswith("digraph msc {") and f"{pcap.name}, connection " in dot, pcap


def test_the_chart_in_chinese(capsys):
    dot = draw(capsys, "--capture", CAPTURES / "reset-unread.pcap", "--lang", "zh")
    title = re.search(r'label="([^"]*)", labelloc=t', dot).group(1).replace("\n", "")
    assert title == ("reset-unread.pcap，第 1 个连接（10.77.0.1:40006 -> 10.77.0.2:5001）：在第 6 个报文段（第 6 个"
                     "分组）处偏离；SEQ 和 ACK 相对于各方的第一个序号")
    assert "没有规则允许这个报文段" in dot and "A（客户端） 10.77.0.1:40006" in dot
    labels = [html for html in re.findall(r'label=(?:"([^"]*)"|<(.*?)>\])', dot) for html in html if html]
    words = english_words([re.sub(r"<[^>]*>", " ", x).replace("\\l", " ").replace("\\r", " ") for x in labels])
    assert [w for w in words if not re.fullmatch(r"reset-unread\.pcap|DATA|b|i", w)] == []


def test_a_capture_with_several_connections_needs_a_number(capsys):
    from tcpcheck.diagrams.cli import verdict_text

    f = CAPTURES / "time-wait-reuse.pcap"
    verdicts = [verdict_text(r, "en") for r in check_file(f)[1]]  # the follower's (tests/test_conformance pins them)
    two = (f"1 10.77.0.1:40012 -> 10.77.0.2:5001 ({verdicts[0]}, 7 segments); "
           f"2 10.77.0.1:40012 -> 10.77.0.2:5001 ({verdicts[1]}, 7 segments)")
    usage_error(capsys, ["diagram", "trace", "--capture", f],
                f"{f}: holds 2 connections; choose one with --connection N: {two}")
    usage_error(capsys, ["diagram", "trace", "--capture", f, "--connection", "3"],
                f"--connection 3: {f} holds 2 connections (1-2): {two}")
    one = draw(capsys, "--capture", f, "--connection", "1")
    assert "connection 1 (" in one and one != draw(capsys, "--capture", f, "--connection", "2")


def test_bad_input_is_exit_2(capsys, tmp_path):
    junk = tmp_path / "junk.pcap"
    junk.write_text("not a capture\n", encoding="utf-8")
    usage_error(capsys, ["diagram", "trace", "--capture", junk],
                f"{junk}: neither a pcap/pcapng capture nor a JSON trace (it starts with 6e6f7420)")
    f = CAPTURES / "refused.pcap"
    usage_error(capsys, ["diagram", "trace", "--capture", f, "--connection", "2"],
                f"--connection 2: {f} holds 1 connection (1-1): 1 10.77.0.1:40005 -> 10.77.0.2:5001 "
                f"(conforms, 2 segments)")
    usage_error(capsys, ["diagram", "trace", "--capture", f, "--preset", "seed"],
                "--preset: not with --capture (a capture is followed through a rule table, --rules or --profile, "
                "not a configuration)")
    usage_error(capsys, ["diagram", "trace", "seed", "--connection", "1"], "--connection: only with --capture FILE")
    usage_error(capsys, ["diagram", "trace", "seed", "--capture", f],
                "give exactly one of: a SCENARIO name (see --list), --counterexample PROPERTY, --file TRACE.json "
                "or --capture FILE")
    with pytest.raises(DiagramError, match="holds no TCP connection"):
        choose_connection("empty.pcap", [], None)


def test_the_profile_and_vantage_are_conform_s(capsys):
    f = CAPTURES / "abort-linger0.pcap"
    assert "deviates at segment 4" in draw(capsys, "--capture", f, "--vantage", "a")
    linux = draw(capsys, "--capture", f, "--profile", "linux")
    assert "): conforms; SEQ" in " ".join(linux.split())  # Linux's table sends RST,ACK on ABORT
    assert "deviation" not in linux


def test_a_counterexample_is_drawn_on_the_profile_named(capsys):
    """--profile works for counterexamples too: under linux the passive closer is
    reset because FIN_WAIT_2 timed out (a Linux timer RFC 9293 does not have)."""
    linux = draw(capsys, "--profile", "linux", "--counterexample", "the passive closer is never reset")
    rfc = draw(capsys, "--profile", "rfc9293", "--counterexample", "the passive closer is never reset")
    assert "FIN_WAIT_2 timeout" in linux and "FIN_WAIT_2 timeout" not in rfc
    assert "user timeout" in rfc
    usage_error(capsys, ["diagram", "trace", "seed", "--profile", "linux", "--rules", "x.rules"],
                "--profile and --rules both name a rule table: give one of them")


def test_the_chart_says_the_verdict_as_conform_does_a_recorded_state_mismatch_too(tmp_path):
    """verdict_text is conform's report.verdict: a connection that deviates only at a recorded
    state (no segment deviates, so no Deviation) is said as the report says it."""
    import json

    from tcpcheck.diagrams.cli import verdict_text
    from tcpcheck.model.conformance.report import verdict
    from tcpcheck.model.i18n import translator

    states = tmp_path / "wrong.json"
    states.write_text(json.dumps({"checkpoints": [{"after": 2, "A": "ESTABLISHED"}]}), encoding="utf-8")
    r = check_file(CAPTURES / "refused.pcap", states=states)[1][0]
    assert (r.verdict, r.deviation) == ("deviates", None)
    assert verdict_text(r, "en") == ("deviates after segment 2 (packet 2): a state recorded there is not one the "
                                     "trace allows")
    assert verdict_text(r, "zh") == verdict(r, translator("zh")) != verdict_text(r, "en")


def test_a_crossing_open_is_drawn_as_one_run_each_reply_beside_its_cause():
    """simultaneous-open: the SYNs cross and so do the SYN,ACKs.  The run drawn is one the
    follower kept: each SYN,ACK sent in the step its SYN arrives, each unacceptable SYN,ACK
    answered with an ACK (rfc9293), one state per endpoint at every step (the two endpoints'
    independent steps in one order of the many that are the same run)."""
    steps, deviating = steps_of("simultaneous-open")
    assert deviating is None
    assert steps[:8] == [
        ("A", "call", "active OPEN", None, ["<SEQ=0><CTL=SYN>"], "SYN_SENT", "CLOSED"),
        ("B", "call", "active OPEN", None, ["<SEQ=0><CTL=SYN>"], "SYN_SENT", "SYN_SENT"),
        ("B", "rcv", "rcv SYN", "<SEQ=0><CTL=SYN>", ["<SEQ=0><ACK=1><CTL=SYN,ACK>"], "SYN_SENT", "SYN_RCVD"),
        ("A", "rcv", "rcv SYN", "<SEQ=0><CTL=SYN>", ["<SEQ=0><ACK=1><CTL=SYN,ACK>"], "SYN_RCVD", "SYN_RCVD"),
        ("B", "rcv", "rcv unacceptable segment", "<SEQ=0><ACK=1><CTL=SYN,ACK>", ["<SEQ=1><ACK=1><CTL=ACK>"],
         "SYN_RCVD", "SYN_RCVD"),
        ("A", "rcv", "rcv unacceptable segment", "<SEQ=0><ACK=1><CTL=SYN,ACK>", ["<SEQ=1><ACK=1><CTL=ACK>"],
         "SYN_RCVD", "SYN_RCVD"),
        ("B", "rcv", "rcv ACK of SYN", "<SEQ=1><ACK=1><CTL=ACK>", [], "SYN_RCVD", "ESTABLISHED"),
        ("A", "rcv", "rcv ACK of SYN", "<SEQ=1><ACK=1><CTL=ACK>", [], "ESTABLISHED", "ESTABLISHED")]
    assert all(" / " not in a and " / " not in b for *_, a, b in steps)


def test_the_fin_wait_2_timer_is_drawn_where_linux_deletes_the_socket(capsys):
    from tcpcheck.model.profiles import profile_table

    _trace, results, table, _w, _why = check_file(CAPTURES / "fin-wait-2-timeout.pcap", profile_table("linux"))
    steps, deviating = capture_trace(results[0], table)
    got = [(st["actor"], st["kind"], st["event"], st["segment"], st["sent"], st["A"]["state"], st["B"]["state"])
           for st in steps[1:]]
    # the timer is drawn as soon as it can have fired, before B's late CLOSE (4.3 s after)
    assert deviating is None and got[-5:] == [
        ("A", "rcv", "rcv ACK of FIN", "<SEQ=1><ACK=2><CTL=ACK>", [], "FIN_WAIT_2", "CLOSE_WAIT"),
        ("A", "timer", "FIN_WAIT_2 timeout", None, [], "CLOSED", "CLOSE_WAIT"),
        ("B", "call", "CLOSE", None, ["<SEQ=1><ACK=2><CTL=FIN,ACK>"], "CLOSED", "LAST_ACK"),
        ("A", "rcv", "rcv segment with ACK", "<SEQ=1><ACK=2><CTL=FIN,ACK>", ["<SEQ=2><CTL=RST>"], "CLOSED",
         "LAST_ACK"),
        ("B", "rcv", "rcv RST", "<SEQ=2><CTL=RST>", [], "CLOSED", "CLOSED")]
    assert "FIN_WAIT_2 timeout" in draw(capsys, "--capture", CAPTURES / "fin-wait-2-timeout.pcap", "--profile", "linux")


@pytest.mark.parametrize("name, vantage, several", [
    ("close-by-client", "a", False), ("close-by-client", "path", True), ("refused", "path", False),
    ("syn-retransmitted", "b", False), ("syn-retransmitted", "a", True)])
def test_the_title_says_when_the_chart_is_one_run_of_several(capsys, name, vantage, several):
    """Seen at A, a normal close has one explanation; seen on the path its last ACK
    may be lost or arrive, and the chart draws one of those runs: the title says so."""
    dot = draw(capsys, "--capture", CAPTURES / f"{name}.pcap", "--vantage", vantage)
    assert ("one run of several" in dot) is several  # the title is wrapped after that
