"""tcpcheck conform --states FILE: the states a user's stacks recorded (ss, a log) after some
packets, in the format of the fixtures' checkpoints (tests/captures/*.json), compared with the
states the trace allows there.  A recorded state no world has there makes the connection
deviate at that packet, and the report names it (time, endpoint, recorded, allowed).  A
bad states file exits 2 with FILE:LINE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcpcheck.model.cli import main
from schemacheck import errors

CAPTURES = Path(__file__).with_name("captures")
HALF_CLOSE = CAPTURES / "half-close.pcap"


def run(capsys, *argv):
    code = main(["conform", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def states_file(tmp_path, checkpoints, **extra):
    p = tmp_path / "states.json"
    p.write_text(json.dumps({**extra, "checkpoints": checkpoints}, indent=1))
    return p


def test_a_fixtures_own_checkpoints_file_is_a_states_file_and_agrees(capsys):
    code, out, err = run(capsys, HALF_CLOSE, "--states", CAPTURES / "half-close.json")
    assert (code, err) == (0, "")
    assert "connection 1: 10.77.0.1:40003 -> 10.77.0.2:5001: conforms (9 segments)" in out.splitlines()
    assert "recorded after" not in out


def test_a_recorded_state_the_trace_does_not_allow_deviates_there(tmp_path, capsys):
    """ss said B was still ESTABLISHED after packet 7; A's FIN (packet 4) was acknowledged
    by B (packet 5), so B can only be in CLOSE_WAIT there."""
    p = states_file(tmp_path, [{"after": 5, "A": "FIN-WAIT-2", "B": "CLOSE-WAIT"},
                               {"after": 7, "B": "ESTABLISHED", "note": "ss"},
                               {"after": 9, "A": "TIME-WAIT", "B": "CLOSED"}])
    code, out, err = run(capsys, HALF_CLOSE, "--states", p)
    lines = out.splitlines()
    assert (code, err) == (1, "")
    assert "connection 1: 10.77.0.1:40003 -> 10.77.0.2:5001: deviates after segment 7 (packet 7): a state " \
           "recorded there is not one the trace allows (9 segments)" in lines
    assert "  recorded after packet 7 (0.426841 s): B ESTABLISHED; the trace allows B only CLOSE_WAIT there" in lines
    code, out, _ = run(capsys, HALF_CLOSE, "--states", p, "--json")
    doc = json.loads(out)
    assert errors("conform", doc) == []
    c = doc["connections"][0]
    assert (c["verdict"], c["mismatches"]) == ("deviates", [
        {"after_packet": 7, "number": 7, "endpoint": "B", "time": c["segments"][6]["time"],
         "recorded": "ESTABLISHED", "allowed": ["CLOSE_WAIT"]}])


def test_a_checkpoint_is_a_quiet_point_that_keeps_the_worlds_agreeing_with_it(tmp_path, capsys):
    """States are recorded with the network quiet: after packet 8 (B's FIN) A is in TIME_WAIT
    if the FIN arrived, FIN_WAIT_2 if it was lost.  Recorded FIN_WAIT_2 keeps only the loss,
    and then A's ACK of the FIN (packet 9) has no row; recorded TIME_WAIT conforms."""
    p = states_file(tmp_path, [{"after": 8, "A": "TIME_WAIT", "B": "LAST_ACK"}])
    assert run(capsys, HALF_CLOSE, "--states", p)[0] == 0
    p = states_file(tmp_path, [{"after": 8, "A": "FIN_WAIT_2"}])
    code, out, _ = run(capsys, HALF_CLOSE, "--states", p)
    assert code == 1 and "connection 1: 10.77.0.1:40003 -> 10.77.0.2:5001: deviates at segment 9 (packet 9) " \
                         "(9 segments)" in out.splitlines()
    p = states_file(tmp_path, [{"after": 8, "A": "CLOSE_WAIT"}])
    code, out, _ = run(capsys, HALF_CLOSE, "--states", p)
    assert code == 1 and "  recorded after packet 8 (0.856817 s): A CLOSE_WAIT; the trace allows A only " \
                         "FIN_WAIT_2 / TIME_WAIT there" in out.splitlines()
    # two states each allowed, but not together: A's FIN_WAIT_2 means B's FIN was lost, yet B CLOSED
    p = states_file(tmp_path, [{"after": 9, "A": "FIN_WAIT_2", "B": "CLOSED"}])
    code, out, _ = run(capsys, HALF_CLOSE, "--states", p)
    assert code == 1 and "  recorded after packet 9 (0.856879 s): A FIN_WAIT_2; the trace allows A only " \
                         "TIME_WAIT there" in out.splitlines()


def test_the_endpoints_may_be_named_in_either_order(tmp_path, capsys):
    p = states_file(tmp_path, [{"after": 9, "A": "CLOSED", "B": "TIME_WAIT"}],
                    A="10.77.0.2:5001", B="10.77.0.1:40003")
    assert run(capsys, HALF_CLOSE, "--states", p)[0] == 0
    p = states_file(tmp_path, [{"after": 9, "A": "TIME_WAIT", "B": "CLOSED"}],
                    A="10.77.0.2:5001", B="10.77.0.1:40003")
    code, out, _ = run(capsys, HALF_CLOSE, "--states", p)
    assert code == 1 and "  recorded after packet 9 (0.856879 s): A CLOSED; the trace allows A only TIME_WAIT there" \
        in out.splitlines()


def test_in_chinese(tmp_path, capsys):
    p = states_file(tmp_path, [{"after": 7, "B": "ESTABLISHED"}])
    code, out, _ = run(capsys, HALF_CLOSE, "--states", p, "--lang", "zh")
    assert code == 1
    assert "  分组 7 之后（0.426841 秒）记录的：B ESTABLISHED；踪迹在那里只允许 B 处于 CLOSE_WAIT" in out.splitlines()


@pytest.mark.parametrize("text,message", [
    ('{"checkpoints": [\n {"after": 5, "A": "FIN-WAIT-2"},\n {"after": 7, "B": "ESTABLISHD"}]}',
     "{p}:3: checkpoint 2: 'B' must be a state such as ESTABLISHED, not \"ESTABLISHD\" (did you mean ESTABLISHED?)"),
    ('{"checkpoints": [\n {"after": 5, "A": "FIN-WAIT-2"},\n\n {"afterr": 7, "B": "CLOSED"}]}',
     "{p}:4: checkpoint 2: unknown field 'afterr' (did you mean 'after'?); the fields are A, B, after, note"),
    ('{"checkpoints": [\n {"after": 0, "A": "CLOSED"}]}',
     "{p}:2: checkpoint 1: 'after' must be a packet number (1 or more), not 0"),
    ('{"checkpoints": [\n {"after": 99, "A": "CLOSED"}]}',
     "{p}:2: 'after': packet 99 is not in {capture} (it has 9 packets)"),
    ('{"checkpoints": [\n {"after": 3, "note": "nothing"}]}', "{p}:2: checkpoint 1: name the state of A, of B, or of both"),
    ('{"checkpoints": []}', '{p}:1: a states file is an object with a non-empty list "checkpoints": '
                            '[{{"after": PACKET, "A": STATE, "B": STATE}}, ...]'),
    ('{"checkpoints": [\n {"after": 3, "A": "CLOSED"},\n]}', "{p}:3: not JSON: Expecting value (column 1)"),
    ('{"A": "10.0.0.1:1", "B": "10.0.0.2:2", "checkpoints": [{"after": 3, "A": "CLOSED"}]}',
     "{p}:1: no connection between 10.0.0.1:1 and 10.0.0.2:2 in {capture}"),
    ("[" * 100000, "{p}:1: nested too deeply to be a states file"),
    ('[1, 2]', '{p}:1: a states file is an object with a non-empty list "checkpoints": '
               '[{{"after": PACKET, "A": STATE, "B": STATE}}, ...]'),
    ('{"A": "10.0.0.1", "B": "10.0.0.2:2", "checkpoints": [{"after": 3, "A": "CLOSED"}]}',
     "{p}:1: 'A': an endpoint is ADDRESS:PORT, such as \"10.0.0.1:40000\", not \"10.0.0.1\""),
])
def test_a_bad_states_file_exits_2_with_its_line(tmp_path, capsys, text, message):
    p = tmp_path / "states.json"
    p.write_text(text)
    assert run(capsys, HALF_CLOSE, "--states", p) == (
        2, "", f"tcpcheck: error: {message.format(p=p, capture=HALF_CLOSE)}\n")


def test_a_states_file_for_a_capture_of_many_connections_names_one(tmp_path, capsys):
    import dpkt

    two = tmp_path / "two.pcap"
    with open(two, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=1)
        for name in ("refused", "half-close"):
            with open(CAPTURES / f"{name}.pcap", "rb") as g:
                for ts, buf in dpkt.pcap.Reader(g):
                    w.writepkt(buf, ts)
    p = states_file(tmp_path, [{"after": 3, "A": "CLOSED"}])
    assert run(capsys, two, "--states", p) == (2, "", f"tcpcheck: error: {p}:1: {two} has 2 connections: name the "
                                                      f"one the states are of with \"A\" and \"B\" (ADDRESS:PORT)\n")
    p = states_file(tmp_path, [{"after": 2, "A": "CLOSED"}], A="10.77.0.1:40003", B="10.77.0.2:5001")
    assert run(capsys, two, "--states", p) == (2, "", f"tcpcheck: error: {p}:5: 'after': packet 2 is outside the "
                                                      f"connection (packets 3 to 11)\n")
    p = states_file(tmp_path, [{"after": 9, "A": "FIN_WAIT_2", "B": "CLOSE_WAIT"}, {"after": 11, "B": "CLOSED"}],
                    A="10.77.0.1:40003", B="10.77.0.2:5001")
    code, out, _ = run(capsys, two, "--states", p)
    assert code == 0 and "total: 2 connections: 2 conform, 0 deviate, 0 incomplete" in out.splitlines()


def test_a_states_file_that_cannot_be_read_exits_2(tmp_path, capsys):
    assert run(capsys, HALF_CLOSE, "--states", tmp_path) == (
        2, "", f"tcpcheck: error: {tmp_path}: cannot read the states file: Is a directory\n")
    assert run(capsys, HALF_CLOSE, "--states", tmp_path / "none.json") == (
        2, "", f"tcpcheck: error: {tmp_path / 'none.json'}: cannot read the states file: No such file or directory\n")
