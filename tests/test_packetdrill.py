"""packetdrill scripts run against the model (model/conformance/packetdrill.py).

The scripts in tests/packetdrill/ are our own, written in packetdrill's syntax: the
handshake and the close from both sides, a reset with an unacceptable ACK in SYN_SENT
(ignored, RFC 9293 3.10.7.3), challenge ACKs (RFC 5961), SO_LINGER 0 as ABORT, SO_ERROR after a
reset and a refusal, TIME_WAIT's 2MSL and the user timeout inferred from the script's clock, a
write cut to the MSS; each feature with a deliberately wrong script that fails at its line.
The Chinese report (--lang zh) is pinned and read for English words.  Malformed lines are written here.  The FreeBSD matrix is pinned
in tests/packetdrill/freebsd-matrix.json and the README's table must say the same.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tcpcheck.model.conformance.packetdrill import (LOCAL_ISS, ScriptError, matrix, matrix_markdown, read_script,
                                                    run_path, run_script)
from tcpcheck.model.table import LINUX, REFERENCE, load_table

from test_i18n_more import run as tcpcheck  # main(argv) in-process: (exit code, stdout, stderr)

HERE = Path(__file__).with_name("packetdrill")
RFC = load_table(REFERENCE)


def run(name: str, table=RFC, defines=()):
    return run_script(read_script(HERE / name, defines), table)



# --- the scripts that pass, each with its exact steps ------------------------------------

def steps(o):
    return [(s.line.number, s.what, s.state) for s in o.steps if s.what != "skip"]


def test_passive_handshake():
    o = run("handshake-passive.pkt")
    assert (o.verdict, o.checked, o.failure, o.unchecked) == ("passes", 4, None, ())
    assert steps(o) == [(6, "call", "LISTEN"), (7, "state", "LISTEN"), (8, "arrival", "SYN_RCVD"),
                        (9, "sent", "SYN_RCVD"), (10, "state", "SYN_RCVD"), (11, "arrival", "ESTABLISHED"),
                        (12, "call", "ESTABLISHED"), (13, "state", "ESTABLISHED")]
    # the SYN,ACK carries the model's own ISS; the script says 0 (relative to it)
    syn = next(s for s in o.steps if s.line.number == 8)
    assert syn.sent[0].seq == LOCAL_ISS and syn.shown == ("S. 0:0(0) ack 1",)


def test_active_handshake_infers_the_syn_retransmission():
    o = run("handshake-active.pkt")
    assert (o.verdict, o.checked) == ("passes", 5)
    assert steps(o) == [(3, "call", "SYN_SENT"), (4, "sent", "SYN_SENT"), (5, "state", "SYN_SENT"),
                        (6, "timeout", "SYN_SENT"), (7, "arrival", "ESTABLISHED"), (8, "sent", "ESTABLISHED"),
                        (9, "state", "ESTABLISHED")]
    assert o.steps[4].note == "retransmission timeout inferred (the timer is not modelled)"


def test_close_from_this_side_crosses_2_to_the_32():
    o = run("close-active.pkt")
    assert (o.verdict, o.checked) == ("passes", 8)
    assert [s.state for s in o.steps if s.what == "state"] == ["FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]
    fin = next(s for s in o.steps if s.line.number == 11)
    # ISS + 11 wraps around 2**32: the FIN's real SEQ is 11 - 256 + 2**32... modulo 2**32
    assert fin.sent[0].seq == (LOCAL_ISS + 11) % 2**32 == 4294967051


def test_close_from_the_other_side_with_a_delayed_ack():
    o = run("close-passive.pkt")
    assert (o.verdict, o.checked) == ("passes", 7)
    assert [s.state for s in o.steps if s.what == "state"] == ["CLOSE_WAIT", "LAST_ACK", "CLOSED"]
    ack = next(s for s in o.steps if s.line.number == 12)
    assert ack.note == "the model's ACK of line(s) 10 delayed and covered by this segment (RFC 9293 3.8.6.3)"
    assert [(n, why) for n, _, why in o.skipped] == [
        (3, "socket(): no RFC 9293 call of its own (the TCB is created by OPEN: listen or connect)"),
        (4, "bind(): no RFC 9293 call of its own (part of the passive OPEN at listen)"),
        (13, "read(): RECEIVE is not modelled (data handed to the application)"),
        (22, "close(): closes the listener; the accepted connection (socket 4) goes on")]


def test_a_reset_with_an_unacceptable_ack_is_ignored_in_syn_sent():
    o = run("rst-syn-sent-unacceptable.pkt")
    assert (o.verdict, o.checked) == ("passes", 4)
    rst = next(s for s in o.steps if s.line.number == 6)
    assert (rst.what, rst.state, rst.sent) == ("arrival", "SYN_SENT", ())
    assert RFC.rules[rst.rules[0]].event == "rcv unacceptable RST"


def test_challenge_acks():
    o = run("challenge-ack.pkt")
    assert (o.verdict, o.checked) == ("passes", 7)
    events = [RFC.rules[s.rules[0]].event for s in o.steps if s.what == "arrival" and s.line.number > 6]
    assert events == ["rcv RST in window", "rcv SYN", "rcv RST"]
    assert o.steps[-1].state == "CLOSED"


def test_linger_zero_then_close_is_abort():
    o = run("linger-abort.pkt")
    assert (o.verdict, o.checked) == ("passes", 4)
    close = next(s for s in o.steps if s.line.number == 8)
    assert (close.note, close.shown) == ("ABORT", ("R 1:1(0)",))
    # Linux resets with RST,ACK: under the linux profile the same script fails there
    lin = run("linger-abort.pkt", load_table(LINUX))
    assert (lin.verdict, lin.failure.line.number) == ("fails", 9)
    assert lin.failure.model.startswith("sends R. 1:1(0) ack 1 ")


# --- deliberately wrong scripts fail at the exact line, with the model's answer -------------

def test_an_expected_segment_the_model_does_not_send():
    o = run("wrong-segment.pkt")
    assert (o.verdict, o.failure.line.number, o.failure.expected) == ("fails", 11, "> F. 1:1(0) ack 2")
    assert o.failure.model == ("sends . 2:2(0) ack 2 <SEQ=4294967042><ACK=2><CTL=ACK> (in reply to line 10, by "
                               "rfc9293.rules:87 (FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING))")
    assert o.failure.state == "CLOSING"


def test_a_wrong_tcpi_state():
    o = run("wrong-state.pkt")
    assert (o.verdict, o.failure.line.number, o.failure.expected) == ("fails", 8, "state CLOSE_WAIT")
    assert o.failure.model == ("is in ESTABLISHED (after line 7, by rfc9293.rules:75 (SYN_RCVD --rcv ACK of "
                               "SYN--> ESTABLISHED))")


def test_a_script_that_checks_nothing_is_not_a_pass(tmp_path):
    p = tmp_path / "calls.pkt"
    p.write_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 close(3) = 0\n")
    o = run_script(read_script(p), RFC)
    assert (o.verdict, o.checked) == ("nothing checked", 0)
    assert tcpcheck("conform", str(p))[0] == 4


# --- skipped lines and fields not checked -----------------------------------------------------

def test_skipped_lines_are_listed_never_passed():
    o = run("skipped.pkt")
    assert (o.verdict, o.checked) == ("passes", 2)
    assert [(n, why) for n, _, why in o.skipped] == [
        (2, "--tolerance_usecs: a timing tolerance: timing is not modelled"),
        (3, "a shell command: outside the model"),
        (4, "socket(): no RFC 9293 call of its own (the TCB is created by OPEN: listen or connect)"),
        (5, "setsockopt SO_REUSEADDR: a socket option outside the model"),
        (6, "fcntl(): a system call outside the model"),
        (7, "bind(): no RFC 9293 call of its own (part of the passive OPEN at listen)"),
        (9, "getsockopt SO_RCVBUF: outside the model"),
        (10, "python code in %{ }%: outside the model"),
        (14, "in a branch of #ifdef OTHER that is not defined (--define)")]
    assert o.not_checked == {"time": [8, 11, 12, 16], "win": [11], "options": [11, 12], "timing range": [11],
                             "return values": [8]}
    # defined, the branch's reset is expected and the model does not send it
    d = run("skipped.pkt", defines=("OTHER",))
    assert (d.verdict, d.failure.line.number, d.failure.model) == ("fails", 14, "sends nothing here (in SYN_RCVD)")


# --- malformed lines: exit 2 with FILE:LINE ------------------------------------------------

@pytest.mark.parametrize("text, line, message", [
    ("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\nfoo < S 0:0(0) win 1\n", 2,
     "expected a time at the start of the line (0.100, +0.1, * or 0.1~0.2), not 'foo'"),
    ("+0 < Q 0:0(0) win 1\n", 1, "expected TCP flags made of S F R P . U E W (such as S., F. or R) after '<', not 'Q'"),
    ("+0 < S 0:5(3) win 1\n", 1, "inconsistent sequence numbers 0:5(3): the end must be the start plus the length (0+3 = 3)"),
    ("+0 > S. 0 ack 1\n", 1, "expected SEQ:SEQ(LEN), such as 1:11(10), not '0'"),
    ("+0 < . 1:1(0) ack 1 wnd 5\n", 1, "expected 'ack N', 'win N', 'urg N' or <options> after the sequence numbers, not 'wnd 5'"),
    ("+0 close 3\n", 1, "expected a system call NAME(ARGUMENTS) = RESULT, such as close(3) = 0, not 'close 3'"),
    ("+0 %{ assert tcpi_state == TCP_OPEN }%\n", 1,
     "expected a TCP state such as TCP_ESTABLISHED, TCPI_SYN_RECEIVED or TIME_WAIT, not 'TCP_OPEN'"),
    ("+0 %{\nx = 1\n", 1, "the python block %{ is not closed by }%"),
    ("#ifdef FreeBSD\n+0 close(3) = 0\n", 1, "#ifdef FreeBSD is not closed by #endif"),
    ("+0 shutdown(3, SHUT_SOME) = 0\n", 1, "expected shutdown(FD, SHUT_WR), SHUT_RD or SHUT_RDWR"),
])
def test_malformed_lines_are_exit_2_with_file_and_line(tmp_path, text, line, message):
    p = tmp_path / "bad.pkt"
    p.write_text(text)
    with pytest.raises(ScriptError) as exc:
        read_script(p)
    assert str(exc.value) == f"{p}:{line}: {message}"
    code, out, err = tcpcheck("conform", str(p))
    assert (code, out) == (2, "")
    assert err == f"tcpcheck: error: {p}:{line}: {message}\n"
    assert "Traceback" not in err


def test_a_directory_runs_every_script_one_line_each_and_a_total(tmp_path):
    code, out, _ = tcpcheck("conform", str(HERE))
    lines = out.splitlines()
    assert code == 1
    assert lines[-1] == "total: 20 script(s): 14 pass, 6 fail, 0 check nothing"
    assert lines[0] == "challenge-ack.pkt: passes (7 checked, 1 skipped)"
    assert lines[-4].startswith("wrong-state.pkt: fails at line 8: expected state CLOSE_WAIT; the model is in "
                                "ESTABLISHED")
    assert [x.split(":")[0] for x in lines if ": fails at line" in x] == [
        "wrong-segment.pkt", "wrong-segmentation.pkt", "wrong-so-error.pkt", "wrong-state.pkt", "wrong-time-wait.pkt",
        "wrong-user-timeout.pkt"]
    # one unreadable script in a directory is reported on its line, and the run exits 2
    for f in HERE.glob("*.pkt"):
        (tmp_path / f.name).write_text(f.read_text())
    (tmp_path / "zz-bad.pkt").write_text("+0 < Q 0:0(0)\n")
    code, out, _ = tcpcheck("conform", str(tmp_path))
    assert code == 2
    assert out.splitlines()[-2] == (f"error: {tmp_path / 'zz-bad.pkt'}:1: expected TCP flags made of S F R P . U E W "
                                    f"(such as S., F. or R) after '<', not 'Q'")
    assert out.splitlines()[-1] == "total: 21 script(s): 14 pass, 6 fail, 0 check nothing, 1 cannot be read"


def test_the_text_of_one_script():
    code, out, _ = tcpcheck("conform", str(HERE / "wrong-state.pkt"))
    assert code == 1
    assert out.splitlines()[:2] == [
        f"{HERE / 'wrong-state.pkt'}: fails, against rfc9293.rules",
        f"  the model's endpoint is the script's local one; its ISS is {LOCAL_ISS} (script numbers as packetdrill "
        f"writes them, then RFC 9293 notation)"]
    assert "  fails at line 8: %{ assert tcpi_state == TCP_CLOSE_WAIT }%" in out.splitlines()


# --- the FreeBSD matrix ------------------------------------------------------------------

FIXTURE = json.loads((HERE / "freebsd-matrix.json").read_text())


def test_the_pinned_matrix_adds_up():
    for name, doc in FIXTURE["profiles"].items():
        cells = [c for row in doc["cells"].values() for c in row.values()]
        assert sum(c["scripts"] for c in cells) == 614
        assert sum(c["scripts"] - c["agree"] for c in cells) == len(doc["disagreements"])
    agree = {n: sum(c["agree"] for row in d["cells"].values() for c in row.values())
             for n, d in FIXTURE["profiles"].items()}
    assert agree == {"rfc9293": 458, "linux": 466}


def test_the_readme_table_is_the_pinned_matrix():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for doc in FIXTURE["profiles"].values():
        assert "\n".join(matrix_markdown(doc)) in readme, doc["rules"]


SUITE = os.environ.get("TCPCHECK_FREEBSD_SUITE")  # a tcp-testsuite checkout's state-event-engine/


@pytest.mark.skipif(not SUITE, reason="set TCPCHECK_FREEBSD_SUITE to a tcp-testsuite state-event-engine directory")
def test_the_matrix_regenerates_from_the_snapshot():
    for name, path in (("rfc9293", REFERENCE), ("linux", LINUX)):
        doc = matrix(run_path(SUITE, load_table(path), ("FreeBSD",)), SUITE)
        assert doc == FIXTURE["profiles"][name]


@pytest.mark.skipif(not SUITE, reason="set TCPCHECK_FREEBSD_SUITE to a tcp-testsuite state-event-engine directory")
def test_the_whole_matrix_in_chinese():
    lines = chinese("--matrix", SUITE)
    assert len(lines) == 789
    assert english_left(lines, *sorted(Path(SUITE).rglob("*.pkt"))) == []


def test_the_matrix_reads_its_cells_from_the_directory_names(tmp_path):
    cell = tmp_path / "rcv-rst-ack-fin-wait-1"
    cell.mkdir()
    (cell / "a.pkt").write_text((HERE / "wrong-state.pkt").read_text())
    (tmp_path / "rcv-syn-syn-rcvd").mkdir()
    (tmp_path / "rcv-syn-syn-rcvd" / "b.pkt").write_text((HERE / "handshake-passive.pkt").read_text())
    doc = matrix(run_path(tmp_path, RFC), tmp_path)
    assert doc["cells"]["FIN_WAIT_1"]["rst-ack"] == {"agree": 0, "scripts": 1}
    assert doc["cells"]["SYN_RCVD"]["syn"] == {"agree": 1, "scripts": 1}
    assert [d["script"] for d in doc["disagreements"]] == ["rcv-rst-ack-fin-wait-1/a.pkt"]
    code, out, _ = tcpcheck("conform", "--matrix", str(tmp_path))
    assert "| FIN_WAIT_1 | - | - | - | - | - | - | - | 0/1 |" in out.splitlines()
    assert tcpcheck("conform", "--matrix", str(HERE / "wrong-state.pkt"))[0] == 2


# --- SO_ERROR: whether a reset (or a refusal) deleted the model's TCB -------------------------

def test_so_error_after_a_reset_is_econnreset_read_once():
    o = run("so-error-reset.pkt")
    assert (o.verdict, o.checked) == ("passes", 6)
    assert [(s.line.number, s.note, s.state) for s in o.steps if s.what == "error"] == [
        (8, "0", "ESTABLISHED"), (11, "ECONNRESET", "CLOSED"), (12, "0", "CLOSED")]


def test_so_error_after_a_refusal_is_econnrefused():
    o = run("so-error-refused.pkt")
    assert (o.verdict, o.checked) == ("passes", 5)
    assert [(s.line.number, s.note) for s in o.steps if s.what == "error"] == [(11, "ECONNREFUSED")]


def test_a_challenge_ack_is_no_reset_for_so_error():
    o = run("wrong-so-error.pkt")
    assert (o.verdict, o.failure.line.number, o.failure.expected) == ("fails", 10, "SO_ERROR ECONNRESET")
    assert o.failure.model == "reports 0: no event signalled an error (in ESTABLISHED)"


def test_so_error_names_the_reset_and_the_rfc_signal(tmp_path):
    # the same reset as so-error-reset.pkt, with the wrong error expected
    p = tmp_path / "refused.pkt"
    p.write_text((HERE / "so-error-reset.pkt").read_text().replace("[ECONNRESET]", "[ECONNREFUSED]"))
    o = run_script(read_script(p), RFC)
    assert (o.verdict, o.failure.line.number) == ("fails", 11)
    assert o.failure.model == ('reports ECONNRESET: the event of line 9 in ESTABLISHED deleted its TCB, and RFC '
                               '9293 signals "connection reset" there')
    # an errno no event of the model signals is skipped, never passed
    p.write_text((HERE / "so-error-reset.pkt").read_text().replace("[ECONNRESET]", "[EPIPE]"))
    o = run_script(read_script(p), RFC)
    assert (11, "getsockopt SO_ERROR EPIPE: an error no event of the model signals") in [
        (n, why) for n, _, why in o.skipped]


@pytest.mark.parametrize("state, passive, error", [
    ("SYN_SENT", False, "ECONNRESET"), ("SYN_RCVD", False, "ECONNREFUSED"), ("SYN_RCVD", True, None),
    ("ESTABLISHED", False, "ECONNRESET"), ("CLOSE_WAIT", True, "ECONNRESET"), ("CLOSING", False, None),
    ("LAST_ACK", False, None), ("TIME_WAIT", False, None)])
def test_the_error_a_reset_signals_is_the_rfcs(state, passive, error):
    from tcpcheck.model.conformance.packetdrill import _reset_error
    assert _reset_error(state, passive) == error


# --- timeouts inferred from the script's clock -----------------------------------------------

def test_time_wait_ends_after_2msl():
    o = run("time-wait-2msl.pkt")
    assert (o.verdict, o.checked) == ("passes", 9)
    timeout = next(s for s in o.steps if s.what == "timeout")
    assert (timeout.line.number, timeout.state, RFC.rules[timeout.rules[0]].event) == (15, "CLOSED", "timeout 2MSL")
    assert timeout.note == ("2MSL timeout inferred: TIME_WAIT since line 11, 240 s before this line "
                            "(2MSL = 240 s, RFC 9293 3.10.8)")
    assert [(s.line.number, s.state) for s in o.steps if s.what == "state"] == [
        (13, "TIME_WAIT"), (14, "TIME_WAIT"), (15, "CLOSED")]
    reset = next(s for s in o.steps if s.line.number == 17 and s.what == "arrival")
    assert reset.shown == ("R. 256:256(0) ack 1001",)


def test_a_retransmitted_fin_restarts_the_2msl_timer():
    o = run("wrong-time-wait.pkt")
    assert (o.verdict, o.failure.line.number, o.failure.expected) == ("fails", 14, "state CLOSED")
    assert o.failure.model.startswith("is in TIME_WAIT (after line 13, by rfc9293.rules:61 ")
    assert not any(s.what == "timeout" for s in o.steps)


def test_the_user_timeout_aborts_unacknowledged_data():
    o = run("user-timeout.pkt")
    assert (o.verdict, o.checked) == ("passes", 7)
    assert [(s.line.number, s.what, RFC.rules[s.rules[0]].event) for s in o.steps if s.what == "timeout"] == [
        (11, "timeout", "retransmission timeout"), (13, "timeout", "user timeout")]
    assert o.steps[-3].note == ("user timeout inferred: sequence space unacknowledged for 3 s (the user timeout, "
                                "3 s: set by TCP_USER_TIMEOUT; RFC 9293 3.10.8)")
    assert (o.steps[-1].note, o.steps[-1].state) == ("ETIMEDOUT", "CLOSED")


def test_acknowledged_data_restarts_the_user_timeout(tmp_path):
    o = run("wrong-user-timeout.pkt")
    assert (o.verdict, o.failure.line.number, o.failure.model[:17]) == ("fails", 14, "is in ESTABLISHED")
    # without the ACK of line 11 the first write's octets have waited 4 s at line 14: aborted
    p = tmp_path / "no-ack.pkt"
    p.write_text((HERE / "wrong-user-timeout.pkt").read_text().replace(
        "+2    < . 1:1(0) ack 11 win 32792", "+2    %{ assert tcpi_state == TCP_ESTABLISHED }%"))
    o = run_script(read_script(p), RFC)
    assert (o.verdict, [(s.line.number, s.state) for s in o.steps if s.what == "timeout"]) == ("passes", [(14, "CLOSED")])


def test_no_timeout_without_its_row(tmp_path):
    # a table without TIME_WAIT's timeout row keeps the endpoint in TIME_WAIT for ever
    rules = tmp_path / "no2msl.rules"
    rules.write_text("\n".join(line for line in REFERENCE.read_text().splitlines()
                               if not line.startswith("TIME_WAIT    | timeout 2MSL")) + "\n")
    o = run("time-wait-2msl.pkt", load_table(rules))
    assert (o.verdict, o.failure.line.number, o.failure.model[:15]) == ("fails", 15, "is in TIME_WAIT")


# --- a write larger than the MSS is cut into segments -------------------------------------------

def test_a_write_is_cut_to_the_peers_mss():
    o = run("segmentation.pkt")
    assert (o.verdict, o.checked) == ("passes", 6)
    write = next(s for s in o.steps if s.line.number == 8)
    assert write.shown == (". 1:1001(1000) ack 1", ". 1001:2001(1000) ack 1", ". 2001:2501(500) ack 1")
    assert write.note == ("SEND: 2500 octets sent as 3 segments of at most 1000 (the MSS of the peer's SYN, "
                          "line 6, RFC 9293 3.7.1)")


def test_without_an_mss_option_the_mss_is_536():
    o = run("segmentation-default.pkt")
    assert (o.verdict, o.checked) == ("passes", 4)
    write = next(s for s in o.steps if s.line.number == 9)
    assert write.shown == (". 1:537(536) ack 1", ". 537:601(64) ack 1")
    assert write.note.endswith("of at most 536 (the MSS by default: the peer's SYN has no MSS option, RFC 9293 3.7.1)")


def test_over_ipv6_the_default_mss_is_1220(tmp_path):
    p = tmp_path / "v6.pkt"
    p.write_text((HERE / "segmentation-default.pkt").read_text().replace("ipv4", "ipv6")
                 .replace("600) = 600", "1300) = 1300").replace("1:537(536)", "1:1221(1220)")
                 .replace("537:601(64)", "1221:1301(80)"))
    assert run_script(read_script(p), RFC).verdict == "passes"


def test_one_segment_larger_than_the_mss_is_not_what_the_model_sends():
    o = run("wrong-segmentation.pkt")
    assert (o.verdict, o.failure.line.number, o.failure.expected) == ("fails", 8, "> P. 1:2501(2500) ack 1")
    assert o.failure.model.startswith("sends . 1:1001(1000) ack 1 <SEQ=4294967041><ACK=1><CTL=ACK><DATA=1000> "
                                      "(in reply to line 7, ")


# --- Chinese (--lang zh): every word from the catalogue, the columns by display width ------------

def chinese(*argv) -> list[str]:
    code, out, err = tcpcheck("conform", *argv, "--lang", "zh")
    assert err == ""
    return out.splitlines()


def english_left(lines: list[str], *paths) -> list[str]:
    """The English words of Chinese output outside what stays as written: the script's own lines,
    segments in packetdrill's and the RFC's notation, file names, system calls and tool names."""
    from test_i18n_commands import english_words

    texts = sorted({line.text for p in paths for line in read_script(p).lines}, key=len, reverse=True)
    kept = []
    for line in lines:
        for t in texts:
            line = line.replace(t.split(None, 1)[-1] if t[:1] in "+0123456789*" else t, " ")
        line = re.sub(r"\S+\.pkt|[SFRP.]+ (?:\d+:\d+|\.\.\.)\(\d+\)(?: ack \d+)?|\b\w+\(\)", " ", line)
        kept.append(line)
    names = {"packetdrill", "python", "shell", "listen", "connect", "close", "tcp-testsuite", "state-event-engine",
             "FreeBSD", "rfc9293.rules", "SO_ERROR", "TCP_USER_TIMEOUT", "SO_LINGER", "getsockopt", "setsockopt",
             "SYN-ACK", "SYN-FIN", "FIN-ACK", "RST-ACK"}  # the suite's kinds of segment, as its directories say
    return [w for w in english_words(kept) if w not in names]


def test_one_script_in_chinese():
    lines = chinese(str(HERE / "user-timeout.pkt"))
    assert lines[0] == f"{HERE / 'user-timeout.pkt'}：通过，对照 rfc9293.rules"
    assert lines[1] == ("  模型的端点即脚本的本地端点；其 ISS 为 4294967040（先按 packetdrill 的写法给出脚本中的序号，"
                        "再给出 RFC 9293 记法）")
    assert lines[11] == ("  第 13 行  超时    -> CLOSED  [rfc9293.rules:34]  （推断出用户超时：序号空间已有 3 秒未被确认"
                         "（用户超时 3 秒：由 TCP_USER_TIMEOUT 设定；RFC 9293 3.10.8））")
    assert lines[13] == "  第 14 行  错误    getsockopt(3, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0  -> CLOSED  （报告 ETIMEDOUT）"
    assert lines[-1] == "  已运行的行中未检查：时间（第 4-14 行）；窗口（第 6-7 行）；PSH（第 10-11 行）；返回值（第 4-5、9 行）"
    assert english_left(lines, HERE / "user-timeout.pkt") == []
    # the check finds the English of the English report
    english = tcpcheck("conform", str(HERE / "user-timeout.pkt"))[1].splitlines()
    assert {"inferred", "timeout", "skipped", "checked"} <= set(english_left(english, HERE / "user-timeout.pkt"))


def test_a_failing_script_in_chinese_names_the_rule_in_chinese():
    lines = chinese(str(HERE / "wrong-segment.pkt"))
    assert lines[-5:-3] == [
        "  在第 11 行失败：> F. 1:1(0) ack 2",
        "    脚本期望 > F. 1:1(0) ack 2；模型发送 . 2:2(0) ack 2 <SEQ=4294967042><ACK=2><CTL=ACK>（回应第 10 行，"
        "由 rfc9293.rules:87（FIN_WAIT_1 --收到 FIN / 发送 ACK--> CLOSING））"]
    assert english_left(lines, HERE / "wrong-segment.pkt") == []


def test_the_step_table_is_aligned_by_display_columns():
    import wcwidth

    for lang in ("zh", "en"):
        code, out, _ = tcpcheck("conform", str(HERE / "time-wait-2msl.pkt"), "--lang", lang)
        rows = [x for x in out.splitlines() if re.match(r"  (line|第) ", x)]
        assert len(rows) == 15
        # the script's text (or the arrow of a timeout) starts at one display column on every row
        starts = {wcwidth.width(x[:[m.start() for m in re.finditer(r"\S+(?: \S+)*", x)][2]]) for x in rows}
        assert starts == {20}, (lang, starts)
    # padded by characters (str.ljust), "调用" and "已发送" would end at different columns
    assert wcwidth.width("调用".ljust(3)) != wcwidth.width("已发送".ljust(3))


def test_every_script_of_the_directory_in_chinese():
    lines = chinese(str(HERE))
    assert lines[0] == "challenge-ack.pkt：通过（检查 7 项，跳过 1 行）"
    assert lines[-1] == "合计：20 个脚本：14 个通过，6 个失败，0 个未检查任何内容"
    assert "wrong-so-error.pkt：在第 10 行失败：期望 SO_ERROR 为 ECONNRESET；模型报告 0：没有事件报告错误（处于 " \
           "ESTABLISHED）（检查 4 项，跳过 1 行）" in lines
    assert english_left(lines, *HERE.glob("*.pkt")) == []


def test_every_skip_reason_is_said_in_chinese():
    from tcpcheck.model.conformance.packetdrill import say
    from tcpcheck.model.i18n import translator

    zh = translator("zh")
    reasons = [why for p in sorted(HERE.glob("*.pkt")) for _n, _t, why in run(p.name).skipped]
    assert len(reasons) == 36
    assert [w for r in reasons for w in [say(r, zh)] if w == r] == []
    assert say(run("skipped.pkt").skipped[0][2], zh) == "--tolerance_usecs：时间容差：时间未建模"


def test_the_matrix_in_chinese(tmp_path):
    cell = tmp_path / "rcv-rst-established"
    cell.mkdir()
    (cell / "a.pkt").write_text((HERE / "wrong-so-error.pkt").read_text())
    (cell / "b.pkt").write_text((HERE / "so-error-reset.pkt").read_text())
    lines = chinese("--matrix", str(tmp_path))
    assert lines[:4] == [
        "FreeBSD tcp-testsuite 的 state-event-engine 对照 rfc9293.rules（已定义：FreeBSD）：模型通过的脚本数 / 脚本数", "",
        "| 状态 | SYN | SYN-ACK | SYN-FIN | ACK | FIN | FIN-ACK | RST | RST-ACK |", "|:--|:-:|:-:|:-:|:-:|:-:|:-:|:-:|:-:|"]
    assert "| ESTABLISHED | - | - | - | - | - | - | 1/2 | - |" in lines
    assert lines[lines.index("不一致之处（模型首次不同的行）：") + 1] == (
        "  rcv-rst-established/a.pkt：第 10 行：期望 SO_ERROR 为 ECONNRESET；模型报告 0：没有事件报告错误（处于 ESTABLISHED）")
    assert english_left(lines, cell / "a.pkt", cell / "b.pkt") == []
