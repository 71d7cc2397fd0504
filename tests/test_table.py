"""The rule table: the reference loads, the validator rejects bad tables with
``file:line: problem``, and the segment classifier's guards partition the
segment space in every state and stage.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from tcpcheck.model.actions import ACTIONS
from tcpcheck.model.events import (ARRIVALS, CALLS, CONTROL, TEXT, TIMERS, ClassificationError,
                                   arrival_events, classify, has_text)
from tcpcheck.model.table import TableError, load_table, parse_table
from tcpcheck.model.tcb import FIN_SENT, MOD, STATES, SYNCHRONIZED, TCB, Concrete, Segment

from conftest import REFERENCE_TEXT

NEXT_LINE = len(REFERENCE_TEXT.splitlines()) + 1  # where an appended row lands


def _line_of(fragment: str) -> int:
    """The 1-based line of the reference text that contains ``fragment`` (exactly one)."""
    hits = [n for n, line in enumerate(REFERENCE_TEXT.splitlines(), 1) if fragment in line]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def _error(text: str, name: str = "student.rules") -> str:
    with pytest.raises(TableError) as info:
        parse_table(text, name)
    return str(info.value)


# --- the reference table ---------------------------------------------------------

def test_reference_table_loads():
    t = load_table()
    assert t.name == "rfc9293.rules"
    assert len(REFERENCE_TEXT.splitlines()) == 90
    assert len(t.rules) == 146
    assert [r.id for r in t.rules] == list(range(146))
    assert sum(1 for r in t.rules if r.qualifier) == 4
    assert Counter(r.event for r in t.rules).most_common(3) == [
        ("rcv RST", 12), ("rcv SYN", 11), ("ABORT", 10)]
    # each rule knows where it came from
    first = t.rules[0]
    assert first.describe() == "CLOSED --passive OPEN / create TCB--> LISTEN"
    assert first.where == "rfc9293.rules:19"
    assert first.source == "F1, 3.10.1"


def test_reference_table_figure_5_rows():
    t = load_table()
    edges = {(r.state, r.qualifier, r.event): (r.actions, r.to) for r in t.rules}
    assert edges[("CLOSED", None, "active OPEN")] == (("create TCB", "snd SYN"), "SYN_SENT")
    assert edges[("LISTEN", None, "rcv SYN")] == (("snd SYN,ACK",), "SYN_RCVD")
    assert edges[("SYN_SENT", None, "rcv SYN")] == (("snd SYN,ACK",), "SYN_RCVD")
    assert edges[("SYN_SENT", None, "rcv SYN,ACK")] == (("snd ACK",), "ESTABLISHED")
    assert edges[("SYN_RCVD", "passive", "rcv RST")] == (("return to LISTEN",), "LISTEN")
    assert edges[("SYN_RCVD", "active", "rcv RST")] == (("delete TCB",), "CLOSED")
    assert edges[("FIN_WAIT_1", None, "rcv FIN")] == (("snd ACK",), "CLOSING")
    assert edges[("FIN_WAIT_2", None, "rcv FIN")] == (("snd ACK",), "TIME_WAIT")
    assert edges[("TIME_WAIT", None, "timeout 2MSL")] == (("delete TCB",), "CLOSED")
    # lookup: the qualifier decides, the plain row is the fallback
    assert t.lookup("SYN_RCVD", "rcv RST", passive=True).to == "LISTEN"
    assert t.lookup("SYN_RCVD", "rcv RST", passive=False).to == "CLOSED"
    assert t.lookup("ESTABLISHED", "CLOSE", passive=True).to == "FIN_WAIT_1"
    assert t.lookup("FIN_WAIT_2", "CLOSE", passive=True) is None
    assert t.has("SYN_RCVD", "rcv SYN") and not t.has("LISTEN", "rcv FIN")


def test_reference_table_is_complete_and_consistent():
    t = load_table()
    for state in STATES:
        for stage in (CONTROL, TEXT):
            for e in arrival_events(state, stage):
                assert t.has(state, e.name), (state, e.name)
    for r in t.rules:
        assert r.event in CALLS or r.event in TIMERS or r.event in {e.name for e in ARRIVALS}
        assert all(a in ACTIONS for a in r.actions)
        assert (r.to == "CLOSED" and r.state != "CLOSED") <= ("delete TCB" in r.actions)


def test_load_table_from_a_file(tmp_path):
    path = tmp_path / "copy.rules"
    path.write_text(REFERENCE_TEXT, encoding="utf-8")
    t = load_table(path)
    assert t.name == str(path) and len(t.rules) == 146
    assert t.rules[0].where == f"{path}:19"


def test_load_table_missing_and_binary(tmp_path):
    missing = tmp_path / "nope.rules"
    with pytest.raises(TableError, match=re.escape(f"{missing}: cannot read the rule table: No such file")):
        load_table(missing)
    binary = tmp_path / "bin.rules"
    binary.write_bytes(b"\xff\xfe\x00CLOSED")
    with pytest.raises(TableError, match=re.escape(f"{binary}:1: the rule table is UTF-16 text: save it as UTF-8")):
        load_table(binary)


# --- validator errors: file:line and the problem ----------------------------------

APPENDED = [
    ("unknown state",
     "FOO | CLOSE | - | same",
     "unknown state 'FOO'; expected one of CLOSED, LISTEN"),
    ("unknown next state",
     "LISTEN | CLOSE | delete TCB | NOWHERE",
     "unknown next state 'NOWHERE'; expected 'same' or one of CLOSED"),
    ("unknown event",
     "LISTEN | rcv bogus | - | same",
     "unknown event 'rcv bogus'; expected a user call (passive OPEN, active OPEN, SEND, CLOSE, ABORT)"),
    ("event not possible in that state",
     "LISTEN | rcv FIN | - | same",
     "event 'rcv FIN' cannot happen in LISTEN; the arrival events of LISTEN are: "
     "rcv RST, rcv SYN, rcv other segment, rcv segment with ACK"),
    ("unknown action",
     "LISTEN | CLOSE | drop TCB | CLOSED",
     "unknown action 'drop TCB'; expected one of: create TCB, delete TCB"),
    ("too few columns",
     "LISTEN | CLOSE | delete TCB",
     "expected 4 or 5 columns separated by '|' (from | event | actions | to | source), found 3"),
    ("too many columns",
     "LISTEN | CLOSE | delete TCB | CLOSED | F3 | extra",
     "expected 4 or 5 columns separated by '|' (from | event | actions | to | source), found 6"),
    ("duplicate rule",
     "LISTEN | CLOSE | delete TCB | CLOSED",
     f"LISTEN already has a rule for 'CLOSE' at student.rules:{_line_of('LISTEN       | CLOSE')}"),
    ("duplicate within one row",
     "ESTABLISHED, ESTABLISHED | ABORT | delete TCB | CLOSED",
     "ESTABLISHED already has a rule for 'ABORT' at student.rules:29"),
    ("empty state name",
     ", LISTEN | CLOSE | delete TCB | CLOSED",
     "empty state name in ', LISTEN'"),
    ("unknown qualifier",
     "ESTABLISHED[sideways] | SEND | snd data | same",
     "unknown qualifier [sideways]; expected [passive] or [active]"),
    ("qualified and plain rows for one event",
     "ESTABLISHED[passive] | SEND | snd data | same",
     "ESTABLISHED[passive] and ESTABLISHED both handle 'SEND'; use either the qualified rows or the plain one"),
]


@pytest.mark.parametrize("problem, row, message", APPENDED, ids=[p for p, _, _ in APPENDED])
def test_validator_rejects_an_appended_row(problem, row, message):
    err = _error(REFERENCE_TEXT + row + "\n")
    assert err.startswith(f"student.rules:{NEXT_LINE}: ")
    assert message in err
    assert "\n" not in err


EDITED = [
    ("rule into CLOSED without delete TCB",
     "SYN_SENT     | CLOSE        | delete TCB                 | CLOSED",
     "SYN_SENT     | CLOSE        | -                          | CLOSED",
     "SYN_SENT --CLOSE--> CLOSED must 'delete TCB'"),
    ("delete TCB that does not lead to CLOSED",
     "LISTEN       | rcv SYN                 | snd SYN,ACK                | SYN_RCVD",
     "LISTEN       | rcv SYN                 | snd SYN,ACK; delete TCB    | SYN_RCVD",
     "'delete TCB' must lead to CLOSED, not SYN_RCVD"),
    ("back to LISTEN without return to LISTEN",
     "ESTABLISHED  | rcv FIN                 | snd ACK                    | CLOSE_WAIT",
     "ESTABLISHED  | rcv FIN                 | snd ACK                    | LISTEN",
     "a rule that goes back to LISTEN from ESTABLISHED must 'return to LISTEN', and only such a rule may"),
    ("text processed in a state without a text stage",
     "SYN_RCVD     | rcv ACK of SYN          | -                          | ESTABLISHED",
     "SYN_RCVD     | rcv ACK of SYN          | -                          | SYN_SENT",
     "after 'rcv ACK of SYN' the segment's text and FIN are processed, but SYN_SENT has no text "
     "stage; lead to a synchronized state or CLOSED"),
    ("one qualifier without the other",
     "ESTABLISHED, CLOSE_WAIT | SEND | snd data                | same",
     "ESTABLISHED[passive], CLOSE_WAIT | SEND | snd data                | same",
     "ESTABLISHED[passive] handles 'SEND' but ESTABLISHED[active] does not"),
]


@pytest.mark.parametrize("problem, old, new, message", EDITED, ids=[p for p, *_ in EDITED])
def test_validator_rejects_an_edited_row(problem, old, new, message):
    line = _line_of(old)
    err = _error(REFERENCE_TEXT.replace(old, new))
    assert err == f"student.rules:{line}: {message}"


def test_validator_rejects_a_removed_qualified_row():
    """Dropping SYN_RCVD[active]'s RST row leaves [passive] without its partner."""
    old = "SYN_RCVD[active]  | rcv RST            | delete TCB                 | CLOSED      | 3.10.7.4 second (connection refused)\n"
    err = _error(REFERENCE_TEXT.replace(old, ""))
    assert err == (f"student.rules:{_line_of('SYN_RCVD[passive] | rcv RST')}: "
                   "SYN_RCVD[passive] handles 'rcv RST' but SYN_RCVD[active] does not")


@pytest.mark.parametrize("removed, missing, line", [
    ("FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth\n",
     "FIN_WAIT_2: rcv FIN", 29),
    ("SYN_RCVD     | rcv ACK of SYN          | -                          | ESTABLISHED | F9, 3.10.7.4 fifth\n",
     "SYN_RCVD: rcv ACK of SYN", 25),
])
def test_validator_rejects_an_incomplete_table(removed, missing, line):
    """The error points at the first row of the state that lacks a rule."""
    assert REFERENCE_TEXT.count(removed) == 1
    err = _error(REFERENCE_TEXT.replace(removed, ""))
    assert err == f"student.rules:{line}: the table does not say what to do on 1 arrival event(s): {missing}"


def test_incompleteness_lists_every_missing_event():
    row = "CLOSED       | rcv RST                 | -                          | same | 3.10.7.1\n"
    text = REFERENCE_TEXT.replace(row, "").replace(
        "LISTEN       | rcv other segment       | -                          | same     | 3.10.7.2\n", "")
    err = _error(text)
    assert err == ("student.rules:19: the table does not say what to do on 2 arrival event(s): "
                   "CLOSED: rcv RST; LISTEN: rcv other segment")


def test_incompleteness_error_names_a_line():
    removed = "FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth\n"
    err = _error(REFERENCE_TEXT.replace(removed, ""))
    assert re.match(r"student\.rules:\d+: ", err)


def test_rules_file_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.rules"
    path.write_text(REFERENCE_TEXT, encoding="utf-8-sig")
    assert len(load_table(path).rules) == 146


def test_rules_file_with_crlf_line_ends(tmp_path):
    path = tmp_path / "crlf.rules"
    path.write_bytes(REFERENCE_TEXT.replace("\n", "\r\n").encode())
    assert len(load_table(path).rules) == 146


def test_comments_blank_lines_and_dash_actions():
    text = "# a comment only\n\n" + REFERENCE_TEXT.replace(
        "LISTEN       | rcv other segment       | -                          | same     | 3.10.7.2",
        "LISTEN | rcv other segment | - | same   # trailing comment, no source column")
    t = parse_table(text, "x")
    r = t.lookup("LISTEN", "rcv other segment", False)
    assert (r.actions, r.to, r.source) == ((), "LISTEN", "")
    assert r.where == f"x:{_line_of('LISTEN       | rcv other segment') + 2}"


def test_user_calls_and_timers_need_no_rows():
    """Only arrival events must be covered; a table without ABORT rows is complete."""
    lines = [line for line in REFERENCE_TEXT.splitlines() if not re.search(r"\|\s*ABORT\s*\|", line)]
    assert len(lines) == 90 - 3
    t = parse_table("\n".join(lines) + "\n", "no-abort")
    assert len(t.rules) == 146 - 10
    assert t.lookup("ESTABLISHED", "ABORT", False) is None


# --- the classifier's guards partition the segment space ------------------------------

def _tcbs_and_segments(state, rng, n):
    for _ in range(n):
        iss = rng.choice([0, 1, MOD - 1, MOD - 2, 300, rng.randrange(MOD)])
        una = (iss + rng.choice([0, 0, 1, 2])) % MOD
        nxt = (una + rng.choice([0, 1, 2, 3])) % MOD
        rcv = rng.choice([0, 1, MOD - 1, MOD - 2, 301, rng.randrange(MOD)])
        tcb = TCB(state, iss, (rcv - 1) % MOD, una, nxt, rcv, rng.random() < 0.5, rng.choice([0, 1]))
        wnd = rng.choice([1, 4, 4, 1 << 16, 1 << 30])
        interesting = [(x + d) % MOD for x in (rcv, nxt, una, iss, 0, (rcv + wnd) % MOD, MOD - 1, 1 << 31)
                       for d in (-2, -1, 0, 1, 2)]
        seq = rng.choice(interesting + [rng.randrange(MOD)])
        ack = rng.choice(interesting + [rng.randrange(MOD)])
        flags = [rng.random() < 0.5 for _ in range(4)]
        seg = Segment(*flags, seq, ack, rng.choice([0, 0, 1, 2]))
        yield tcb, seg, wnd


STAGES = [(s, CONTROL) for s in STATES] + [(s, TEXT) for s in STATES if arrival_events(s, TEXT)]


def test_text_stage_exists_exactly_in_synchronized_states_but_syn_rcvd():
    assert [s for s in STATES if arrival_events(s, TEXT)] == [s for s in SYNCHRONIZED if s != "SYN_RCVD"]


@pytest.mark.parametrize("state, stage", STAGES, ids=[f"{s}-{g}" for s, g in STAGES])
def test_guards_partition_the_segment_space(state, stage):
    """For random segments (fixed seed), exactly one declared event applies.

    At the text stage the domain is the segments that carry text or a FIN
    (Model.receive enters that stage only for those)."""
    rng = random.Random(f"{state}/{stage}/9293")
    declared = arrival_events(state, stage)
    seen = Counter()
    checked = 0
    for tcb, seg, wnd in _tcbs_and_segments(state, rng, 1500):
        if stage == TEXT and not has_text(Concrete, seg):
            continue
        matching = [e.name for e in declared if e.guard(Concrete, tcb, seg, wnd)]
        assert len(matching) == 1, (tcb, seg, wnd, matching)
        e = classify(stage, tcb, seg, wnd)
        assert e.name == matching[0]
        seen[e.name] += 1
        checked += 1
    assert checked >= 600
    # every declared event is produced by some segment: no guard is dead
    assert set(seen) == {e.name for e in declared}


def test_text_stage_outside_its_domain_raises():
    tcb = TCB("ESTABLISHED", 1, 1, 2, 2, 2, False, 1)
    bare_ack = Segment(False, True, False, False, 2, 2)
    with pytest.raises(ClassificationError, match="matches none at stage text"):
        classify(TEXT, tcb, bare_ack, 4)
    with pytest.raises(ClassificationError, match="matches none"):
        classify(TEXT, tcb._replace(state="LISTEN"), Segment(False, False, True, False, 2, 0), 4)


# --- classification at the wrap point: exact events ----------------------------------

def _ev(state, seg, stage=CONTROL, wnd=4, **tcb):
    fields = dict(iss=0, irs=0, snd_una=0, snd_nxt=0, rcv_nxt=0, passive=False, budget=1)
    fields.update(tcb)
    return classify(stage, TCB(state, **fields), seg, wnd).name


def _seg(flags, seq, ack=0, n=0):
    return Segment("SYN" in flags, "ACK" in flags, "FIN" in flags, "RST" in flags, seq, ack, n)


@pytest.mark.parametrize("seq, control, text", [
    (MOD - 2, "rcv unacceptable segment", None),  # below RCV.NXT
    (MOD - 1, "rcv ACK", "rcv data"),  # exactly RCV.NXT
    (0, "rcv ACK", "rcv out-of-order segment"),  # in the window, across the wrap
    (2, "rcv ACK", "rcv out-of-order segment"),  # last octet of the window
    (3, "rcv unacceptable segment", None),  # just past RCV.NXT+RCV.WND
])
def test_data_acceptability_across_the_wrap(seq, control, text):
    t = dict(iss=100, snd_una=101, snd_nxt=101, rcv_nxt=MOD - 1)
    seg = _seg("ACK", seq, 101, 1)
    assert _ev("ESTABLISHED", seg, **t) == control
    if text:
        assert _ev("ESTABLISHED", seg, TEXT, **t) == text


@pytest.mark.parametrize("ack, event", [
    (MOD - 2, "rcv ACK"),  # old duplicate, ignored
    (MOD - 1, "rcv ACK"),  # duplicate of SND.UNA
    (0, "rcv ACK"),  # acknowledges the data octet at 2**32-1, not the FIN
    (1, "rcv ACK of FIN"),  # the FIN sat at 0
    (2, "rcv unacceptable ACK"),  # beyond SND.NXT
])
def test_ack_of_fin_across_the_wrap(ack, event):
    assert _ev("FIN_WAIT_1", _seg("ACK", 301, ack), iss=MOD - 2, snd_una=MOD - 1, snd_nxt=1,
               rcv_nxt=301) == event


@pytest.mark.parametrize("flags, ack, event", [
    ("SYN,ACK", 0, "rcv SYN,ACK"),
    ("SYN,ACK", MOD - 1, "rcv unacceptable ACK"),
    ("SYN,ACK", 1, "rcv unacceptable ACK"),
    ("SYN", 0, "rcv SYN"),
    ("RST,ACK", 0, "rcv RST"),
    ("RST,ACK", 5, "rcv unacceptable RST"),
    ("RST", 0, "rcv unacceptable RST"),
    ("ACK", 0, "rcv other segment"),
    ("FIN", 0, "rcv other segment"),
])
def test_syn_sent_with_iss_2_32_minus_1(flags, ack, event):
    assert _ev("SYN_SENT", _seg(flags, 300, ack), iss=MOD - 1, snd_una=MOD - 1, snd_nxt=0) == event


@pytest.mark.parametrize("state", SYNCHRONIZED)
@pytest.mark.parametrize("seq, event", [(0, "rcv RST"), (1, "rcv RST in window"),
                                        (3, "rcv RST in window"), (4, "rcv unacceptable RST"),
                                        (MOD - 1, "rcv unacceptable RST")])
def test_reset_checks_rfc5961(state, seq, event):
    assert _ev(state, _seg("RST", seq), iss=7, snd_una=8, snd_nxt=8, rcv_nxt=0) == event


@pytest.mark.parametrize("state", [s for s in SYNCHRONIZED])
def test_retransmitted_fin_just_below_rcv_nxt(state):
    assert _ev(state, _seg("FIN,ACK", MOD - 1, 8), iss=7, snd_una=8, snd_nxt=8, rcv_nxt=0) == \
        "rcv retransmitted FIN"
    assert _ev(state, _seg("FIN,ACK", MOD - 2, 8), iss=7, snd_una=8, snd_nxt=8, rcv_nxt=0) == \
        "rcv unacceptable segment"


def test_syn_rcvd_ack_check():
    t = dict(iss=MOD - 1, snd_una=MOD - 1, snd_nxt=0, rcv_nxt=301)
    assert _ev("SYN_RCVD", _seg("ACK", 301, 0), **t) == "rcv ACK of SYN"
    assert _ev("SYN_RCVD", _seg("ACK", 301, MOD - 1), **t) == "rcv unacceptable ACK"
    assert _ev("SYN_RCVD", _seg("ACK", 301, 1), **t) == "rcv unacceptable ACK"
    assert _ev("SYN_RCVD", _seg("SYN", 301), **t) == "rcv SYN"
    assert _ev("SYN_RCVD", _seg("", 301), **t) == "rcv segment without ACK"


def test_closed_and_listen_replies():
    assert _ev("CLOSED", _seg("RST", 5)) == "rcv RST"
    assert _ev("CLOSED", _seg("ACK", 5, 9)) == "rcv segment with ACK"
    assert _ev("CLOSED", _seg("SYN", 5)) == "rcv segment without ACK"
    assert _ev("LISTEN", _seg("RST,ACK", 5)) == "rcv RST"
    assert _ev("LISTEN", _seg("SYN,ACK", 5)) == "rcv segment with ACK"
    assert _ev("LISTEN", _seg("SYN", 5)) == "rcv SYN"
    assert _ev("LISTEN", _seg("FIN", 5)) == "rcv other segment"


def test_event_effects_wrap():
    """Receiving a SYN at 2**32-1 sets IRS and RCV.NXT = 0; a FIN at 2**32-1 too."""
    syn = next(e for e in arrival_events("LISTEN") if e.name == "rcv SYN")
    t = syn.effect(Concrete, TCB("LISTEN", 300, 0, 300, 300, 0, True, 1), _seg("SYN", MOD - 1))
    assert (t.irs, t.rcv_nxt) == (MOD - 1, 0)
    fin = next(e for e in arrival_events("ESTABLISHED", TEXT) if e.name == "rcv FIN")
    t = fin.effect(Concrete, TCB("ESTABLISHED", 300, 5, 301, 301, MOD - 1, True, 1), _seg("FIN,ACK", MOD - 1, 301))
    assert t.rcv_nxt == 0
    take = next(e for e in arrival_events("FIN_WAIT_1") if e.name == "rcv ACK of FIN")
    t = take.effect(Concrete, TCB("FIN_WAIT_1", MOD - 2, 5, MOD - 1, 1, 6, False, 1), _seg("ACK", 6, 1))
    assert t.snd_una == 1


def test_fin_sent_states_match_the_ack_of_fin_event():
    assert tuple(s for s in STATES if any(e.name == "rcv ACK of FIN" for e in arrival_events(s))) == FIN_SENT
