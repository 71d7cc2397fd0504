"""The rule-table loader on untrusted tables (students' tables for grading):
every problem of a file in one error, "did you mean", the RFC's spellings of
states, size and content limits, and partial tables that still run.
"""

from __future__ import annotations

import os
import re

import pytest

from tcpcheck.model import table as table_module
from tcpcheck.model.actions import ACTIONS
from tcpcheck.model.checker import run
from tcpcheck.model.cli import main
from tcpcheck.model.config import preset
from tcpcheck.model.events import ARRIVALS, TEXT, arrival_events
from tcpcheck.model.table import (MAX_BYTES, MAX_ERRORS, RuleTable, TableError, canonical_state,
                                  load_table, parse_table)
from tcpcheck.model.tcb import STATES

from conftest import REFERENCE_TEXT, run_preset, verdict

NEXT_LINE = len(REFERENCE_TEXT.splitlines()) + 1  # where an appended row lands
COLUMNS = "expected 4 or 5 columns separated by '|' (from | event | actions | to | source), found 3"

# Rows of the reference table, each occurring exactly once.
LISTEN_CLOSE = "LISTEN       | CLOSE        | delete TCB                 | CLOSED      | F3, 3.10.4"
LISTEN_OTHER = "LISTEN       | rcv other segment       | -                          | same     | 3.10.7.2"
SYN_RCVD_ACK = "SYN_RCVD     | rcv ACK of SYN          | -                          | ESTABLISHED | F9, 3.10.7.4 fifth"
SYN_RCVD_RST = "SYN_RCVD[active]  | rcv RST            | delete TCB                 | CLOSED      | 3.10.7.4 second (connection refused)"
FW1_FIN = "FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING     | F15, 3.10.7.4 eighth (simultaneous close)"
FW2_FIN = "FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth"


def _line_of(fragment: str) -> int:
    hits = [n for n, line in enumerate(REFERENCE_TEXT.splitlines(), 1) if fragment in line]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def _edit(*edits: tuple[str, str]) -> str:
    """The reference text with each (old, new) applied; every old occurs once."""
    text = REFERENCE_TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _without(*rows: str) -> str:
    return _edit(*((row + "\n", "") for row in rows))


def _error(text: str, name: str = "student.rules", **kw) -> TableError:
    with pytest.raises(TableError) as info:
        parse_table(text, name, **kw)
    return info.value


def _cells(table: RuleTable) -> set[tuple]:
    return {(r.state, r.qualifier, r.event, r.actions, r.to) for r in table.rules}


REFERENCE_CELLS = _cells(load_table())


# --- every problem of a file, in one error ------------------------------------------

def test_three_errors_on_three_lines_are_all_reported_in_line_order():
    text = _edit((LISTEN_CLOSE, LISTEN_CLOSE.replace("delete TCB", "drop TCB  ")),
                 (LISTEN_OTHER, LISTEN_OTHER.replace("LISTEN", "LISTN ")),
                 (FW2_FIN, "FIN_WAIT_2 | rcv FIN | snd ACK"))
    err = _error(text)
    expected = [
        f"student.rules:{_line_of(LISTEN_CLOSE)}: unknown action 'drop TCB'; expected one of: {', '.join(ACTIONS)}",
        f"student.rules:{_line_of(LISTEN_OTHER)}: unknown state 'LISTN'; did you mean LISTEN?",
        f"student.rules:{_line_of(FW2_FIN)}: {COLUMNS}",
    ]
    # a faulty row's cells (LISTEN: rcv other segment, FIN_WAIT_2: rcv FIN) are not
    # also reported missing: the row's own error stands
    assert err.errors == expected
    assert err.omitted == 0
    assert str(err) == "\n".join(expected)


def test_completeness_comes_after_the_row_problems():
    text = _edit((FW2_FIN + "\n", ""), (LISTEN_CLOSE, LISTEN_CLOSE.replace("CLOSED ", "CLOSD  ")))
    err = _error(text)
    assert err.errors == [
        f"student.rules:{_line_of(LISTEN_CLOSE)}: unknown next state 'CLOSD'; did you mean CLOSED?",
        # FIN_WAIT_2's first row is the ABORT row of line 29
        "student.rules:29: the table does not say what to do on 1 arrival event(s): FIN_WAIT_2: rcv FIN",
    ]


def test_problems_after_the_first_are_still_checked():
    """Duplicates, consistency and qualifiers are checked in the rows after a faulty one."""
    text = REFERENCE_TEXT + "\n".join([
        "FOO | CLOSE | - | same",
        "LISTEN | CLOSE | delete TCB | CLOSED",
        "FIN_WAIT_2 | timeout 2MSL | - | CLOSED",
        "ESTABLISHED[passive] | SEND | snd data | same",
    ]) + "\n"
    n = NEXT_LINE
    assert _error(text).errors == [
        f"student.rules:{n}: unknown state 'FOO'; expected one of {', '.join(STATES)}",
        f"student.rules:{n + 1}: LISTEN already has a rule for 'CLOSE' at student.rules:{_line_of(LISTEN_CLOSE)}",
        f"student.rules:{n + 2}: FIN_WAIT_2 --timeout 2MSL--> CLOSED must 'delete TCB'",
        f"student.rules:{n + 3}: ESTABLISHED[passive] and ESTABLISHED both handle 'SEND'; "
        f"use either the qualified rows or the plain one",
    ]


def test_every_problem_of_one_row():
    err = _error(REFERENCE_TEXT + "LISTN | rcv bogus | drop TCB; snd ACK | CLOSD\n")
    w = f"student.rules:{NEXT_LINE}"
    assert err.errors == [
        f"{w}: unknown state 'LISTN'; did you mean LISTEN?",
        f"{w}: unknown event 'rcv bogus'; expected a user call (passive OPEN, active OPEN, SEND, CLOSE, "
        f"ABORT), a timeout (retransmission timeout, user timeout, timeout 2MSL, FIN_WAIT_2 timeout) or an arrival event "
        f"such as 'rcv SYN' (see events.py)",
        f"{w}: unknown action 'drop TCB'; expected one of: {', '.join(ACTIONS)}",
        f"{w}: unknown next state 'CLOSD'; did you mean CLOSED?",
    ]


@pytest.mark.parametrize("old, new, message", [
    (FW2_FIN, FW2_FIN.replace("snd ACK ", "snd ACKK"), "unknown action 'snd ACKK'; did you mean 'snd ACK'?"),
    (FW2_FIN, FW2_FIN.replace("rcv FIN", "rcv FN "), "unknown event 'rcv FN'; did you mean 'rcv FIN'?"),
    (FW2_FIN, FW2_FIN.replace("FIN_WAIT_2", "FIN_WAIT2 "), "unknown state 'FIN_WAIT2'; did you mean FIN_WAIT_2?"),
    # the partner of SYN_RCVD[passive] is there, only faulty: no "[active] does not" on top
    (SYN_RCVD_RST, SYN_RCVD_RST.replace("delete TCB", "delete TCP"), "unknown action 'delete TCP'; did you mean 'delete TCB'?"),
    (SYN_RCVD_RST, SYN_RCVD_RST.replace("[active]", "[actve] "), "unknown qualifier [actve]; did you mean [active]?"),
], ids=["action", "event", "state", "qualified partner", "qualifier"])
def test_a_faulty_row_is_not_reported_again_by_later_checks(old, new, message):
    assert _error(_edit((old, new))).errors == [f"student.rules:{_line_of(old)}: {message}"]


def test_the_number_of_messages_is_capped():
    text = REFERENCE_TEXT + "".join(f"FOO{i} | CLOSE | - | same\n" for i in range(MAX_ERRORS + 10))
    err = _error(text)
    assert MAX_ERRORS == 50
    assert len(err.errors) == 50 and err.omitted == 10
    assert err.errors[0].startswith(f"student.rules:{NEXT_LINE}: unknown state 'FOO0'")
    assert err.errors[-1].startswith(f"student.rules:{NEXT_LINE + 49}: unknown state 'FOO49'")
    assert str(err).splitlines()[-1] == "... and 10 more"
    assert len(str(err).splitlines()) == 51


def test_a_huge_faulty_file_is_reported_quickly_and_briefly():
    """256 KiB of junk rows: the messages are capped, the quoted text clipped."""
    text = ("X" * 200 + " | rcv bogus | drop it | nowhere\n") * 1100
    err = _error(text)
    assert len(err.errors) == 50 and err.omitted == 4 * 1100 - 50 + 1  # + the completeness message
    assert err.errors[0] == f"student.rules:1: unknown state '{'X' * 77}...'; expected one of {', '.join(STATES)}"


def test_table_error_from_one_message():
    err = TableError("x.rules:3: wrong")
    assert (err.errors, err.omitted, str(err)) == (["x.rules:3: wrong"], 0, "x.rules:3: wrong")


# --- did you mean -------------------------------------------------------------------

DID_YOU_MEAN = [
    # the five kinds of name
    ("state", "ESTABLISED | SEND | snd data | same",
     "unknown state 'ESTABLISED'; did you mean ESTABLISHED?"),
    ("next state", "LISTEN | CLOSE | delete TCB | CLOSD",
     "unknown next state 'CLOSD'; did you mean CLOSED?"),
    ("event", "LISTEN | rcv SYN ACK | snd SYN,ACK | SYN_RCVD",
     "unknown event 'rcv SYN ACK'; did you mean 'rcv SYN,ACK'?"),
    ("action", "ESTABLISHED | CLOSE | snd FIN,ACK | FIN_WAIT_1",
     "unknown action 'snd FIN,ACK'; did you mean 'snd FIN'?"),
    ("qualifier", "SYN_RCVD[pasive] | rcv RST | return to LISTEN | LISTEN",
     "unknown qualifier [pasive]; did you mean [passive]?"),
    # more typos students make
    ("misspelt SYN-RECEIVED", "SYN_RECIEVED | CLOSE | snd FIN | FIN_WAIT_1",
     "unknown state 'SYN_RECIEVED'; did you mean SYN_RCVD?"),
    ("Linux's SYN_RECV", "LISTEN | rcv SYN | snd SYN,ACK | SYN_RECV",
     "unknown next state 'SYN_RECV'; did you mean SYN_RCVD?"),
    ("no separator", "TIMEWAIT | timeout 2MSL | delete TCB | CLOSED",
     "unknown state 'TIMEWAIT'; did you mean TIME_WAIT?"),
    ("which FIN-WAIT", "FIN_WAIT | CLOSE | - | same",
     "unknown state 'FIN_WAIT'; did you mean FIN_WAIT_1 or FIN_WAIT_2?"),
    ("stay", "ESTABLISHED | SEND | snd data | stay",
     "unknown next state 'stay'; did you mean 'same'?"),
    ("case of a call", "LISTEN | close | delete TCB | CLOSED",
     "unknown event 'close'; did you mean 'CLOSE'?"),
    ("for/of", "FIN_WAIT_1 | rcv ACK for FIN | - | FIN_WAIT_2",
     "unknown event 'rcv ACK for FIN'; did you mean 'rcv ACK of FIN'?"),
    ("word order", "TIME_WAIT | 2MSL timeout | delete TCB | CLOSED",
     "unknown event '2MSL timeout'; did you mean 'timeout 2MSL'?"),
    ("which timeout", "ESTABLISHED | timeout | retransmit | same",
     "unknown event 'timeout'; did you mean 'retransmission timeout', 'user timeout' or 'timeout 2MSL'?"),
    ("comma for semicolon", "CLOSED | active OPEN | create TCB, snd SYN | SYN_SENT",
     "unknown action 'create TCB, snd SYN'; did you mean 'create TCB; snd SYN'? (actions are separated by ';')"),
    ("comma and a wrong action", "ESTABLISHED | ABORT | delete TCB, snd RST | CLOSED",
     "unknown action 'delete TCB, snd RST'; actions are separated by ';', not ','"),
    ("dropped letter", "LISTEN | CLOSE | delte TCB | CLOSED",
     "unknown action 'delte TCB'; did you mean 'delete TCB'?"),
    ("which reset", "ESTABLISHED | ABORT | snd RST; delete TCB | CLOSED",
     "unknown action 'snd RST'; did you mean 'snd <SEQ=SND.NXT><CTL=RST>', 'snd <SEQ=SEG.ACK><CTL=RST>' "
     "or 'snd <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>'?"),
    ("not the mutants' action", "SYN_SENT | retransmission timeout | retransmit FIN | same",
     "unknown action 'retransmit FIN'; did you mean 'retransmit'?"),
    ("server", "SYN_RCVD[server] | rcv RST | return to LISTEN | LISTEN",
     "unknown qualifier [server]; did you mean [passive]?"),
    ("no comma between states", "ESTABLISHED CLOSE_WAIT | SEND | snd data | same",
     "unknown state 'ESTABLISHED CLOSE_WAIT'; did you mean ESTABLISHED, CLOSE_WAIT? (states are separated by ',')"),
    ("empty next state", "ESTABLISHED | SEND | snd data |",
     f"no next state (fourth column); expected 'same' or one of {', '.join(STATES)}"),
]


@pytest.mark.parametrize("problem, row, message", DID_YOU_MEAN, ids=[p for p, _, _ in DID_YOU_MEAN])
def test_did_you_mean(problem, row, message):
    assert str(_error(REFERENCE_TEXT + row + "\n")) == f"student.rules:{NEXT_LINE}: {message}"


@pytest.mark.parametrize("row, message", [
    ("FOO | CLOSE | - | same", f"unknown state 'FOO'; expected one of {', '.join(STATES)}"),
    ("LISTEN | CLOSE | delete TCB | NOWHERE", f"unknown next state 'NOWHERE'; expected 'same' or one of {', '.join(STATES)}"),
    ("ESTABLISHED[sideways] | SEND | snd data | same", "unknown qualifier [sideways]; expected [passive] or [active]"),
    ("LISTEN | CLOSE | drop TCB | CLOSED", f"unknown action 'drop TCB'; expected one of: {', '.join(ACTIONS)}"),
])
def test_without_a_close_match_the_vocabulary_is_listed(row, message):
    assert str(_error(REFERENCE_TEXT + row + "\n")) == f"student.rules:{NEXT_LINE}: {message}"


# --- the RFC's spellings of states ----------------------------------------------------

SPELLINGS = {
    "hyphens": {"TIME_WAIT": "TIME-WAIT", "SYN_RCVD": "SYN-RECEIVED", "FIN_WAIT_1": "FIN-WAIT-1",
                "FIN_WAIT_2": "fin_wait_2", "CLOSE_WAIT": "CLOSE-WAIT", "LAST_ACK": "LAST-ACK",
                "SYN_SENT": "SYN-SENT", "ESTABLISHED": "ESTAB"},
    "other": {"TIME_WAIT": "time_wait", "SYN_RCVD": "SYN_RECEIVED", "FIN_WAIT_1": "Fin-Wait-1",
              "FIN_WAIT_2": "FIN WAIT-2", "ESTABLISHED": "established", "LISTEN": "listen", "CLOSED": "Closed"},
}


def _respelled(spelling: dict[str, str]) -> str:
    """The reference text with the states of the from and to columns respelled
    (not in the actions: 'return to LISTEN' is an action's name)."""
    pattern = re.compile(r"\b(" + "|".join(STATES) + r")\b")
    out = []
    for line in REFERENCE_TEXT.splitlines():
        if line.startswith("#") or "|" not in line:
            out.append(line)
            continue
        cols = line.split("|")
        for i in (0, 3):
            cols[i] = pattern.sub(lambda m: spelling.get(m.group(), m.group()), cols[i])
        out.append("|".join(cols))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("which", SPELLINGS)
def test_rfc_spellings_load_as_the_reference(which):
    text = _respelled(SPELLINGS[which])
    for spelt in SPELLINGS[which].values():
        assert re.search(rf"(^|[|,]) *{re.escape(spelt)} *[|,\[]", text, re.M), spelt  # really respelled
    table = parse_table(text, "rfc-spelling.rules")
    assert len(table.rules) == 146
    assert _cells(table) == REFERENCE_CELLS


def test_spelling_of_a_qualified_state():
    text = _edit(("SYN_RCVD[active]  | rcv RST", "syn-received[Active] | rcv RST"))
    assert _cells(parse_table(text, "q.rules")) == REFERENCE_CELLS


@pytest.mark.parametrize("text, state", [
    ("TIME-WAIT", "TIME_WAIT"), ("time_wait", "TIME_WAIT"), ("  Time Wait ", "TIME_WAIT"),
    ("SYN-RECEIVED", "SYN_RCVD"), ("SYN_RECEIVED", "SYN_RCVD"), ("syn-rcvd", "SYN_RCVD"),
    ("ESTAB", "ESTABLISHED"), ("FIN-WAIT-1", "FIN_WAIT_1"), ("fin_wait_2", "FIN_WAIT_2"),
    ("CLOSE-WAIT", "CLOSE_WAIT"), ("LAST-ACK", "LAST_ACK"), ("SYN-SENT", "SYN_SENT"), ("CLOSED", "CLOSED"),
    ("FIN_WAIT", None), ("SYN", None), ("", None), ("same", None), ("ESTABLISED", None), ("SYN_RECV", None),
])
def test_canonical_state(text, state):
    assert canonical_state(text) == state


def test_canonical_state_is_public_and_covers_every_state():
    assert "canonical_state" in table_module.__all__
    assert all(canonical_state(s) == s and canonical_state(s.replace("_", "-").lower()) == s for s in STATES)


# --- limits for untrusted files ---------------------------------------------------------

def test_a_file_over_256_kib_is_refused(tmp_path):
    path = tmp_path / "big.rules"
    path.write_bytes((REFERENCE_TEXT + "#" * (300 * 1024 - len(REFERENCE_TEXT) - 1) + "\n").encode())
    assert path.stat().st_size == 300 * 1024
    with pytest.raises(TableError) as info:
        load_table(path)
    assert str(info.value) == f"{path}: the rule table is 307,200 bytes; the limit is 262,144"


def test_a_file_of_exactly_256_kib_loads(tmp_path):
    path = tmp_path / "full.rules"
    path.write_bytes((REFERENCE_TEXT + "#" * (MAX_BYTES - len(REFERENCE_TEXT) - 1) + "\n").encode())
    assert path.stat().st_size == MAX_BYTES == 262_144
    assert len(load_table(path).rules) == 146


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_file_is_not_read_to_the_end():
    with pytest.raises(TableError) as info:
        load_table("/dev/zero")
    assert str(info.value) == "/dev/zero: the rule table is more than 262,144 bytes; the limit is 262,144"


def test_a_nul_byte_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "nul.rules"
    bad = LISTEN_OTHER.replace("3.10.7.2", "3.10\0.7.2")
    path.write_bytes(_edit((LISTEN_OTHER, bad)).encode())
    with pytest.raises(TableError) as info:
        load_table(path)
    assert info.value.errors == [f"{path}:{_line_of(LISTEN_OTHER)}: a NUL byte (U+0000) at column "
                                 f"{bad.index(chr(0)) + 1}; a rule table is plain text"]


@pytest.mark.parametrize("char", ["\x1b", "\x0c", "\x7f", "\u202e"])
def test_control_characters_are_refused_where_they_occur(char):
    """Even in a comment; a form feed does not end a line (lines are numbered as an editor does)."""
    text = _edit(("# Sources: Figure 5", f"# Sources: {char}Figure 5"), (LISTEN_CLOSE, LISTEN_CLOSE.replace("CLOSE ", "CLOSEX")))
    assert _error(text).errors == [
        f"student.rules:3: a control character (U+{ord(char):04X}) at column 12; a rule table is plain text",
        f"student.rules:{_line_of(LISTEN_CLOSE)}: unknown event 'CLOSEX'; did you mean 'CLOSE'?",
    ]


def test_tabs_are_fine():
    assert _cells(parse_table(REFERENCE_TEXT.replace(" | ", "\t|\t"), "tabs.rules")) == REFERENCE_CELLS


# --- partial tables --------------------------------------------------------------------

def test_partial_table_gets_a_filler_rule_per_missing_cell():
    text = _without(FW1_FIN, LISTEN_OTHER)
    table = parse_table(text, "p.rules", partial=True)
    assert len(table.rules) == 146 and table.missing == (144, 145)
    fillers = [table.rules[i] for i in table.missing]
    # in STATES order, after the table's own rules
    assert [(r.id, r.state, r.qualifier, r.event, r.actions, r.to, r.source, r.where) for r in fillers] == [
        (144, "LISTEN", None, "rcv other segment", (), "LISTEN", "missing", "p.rules: no row"),
        (145, "FIN_WAIT_1", None, "rcv FIN", (), "FIN_WAIT_1", "missing", "p.rules: no row"),
    ]
    assert [r.id for r in table.rules] == list(range(146))
    assert all(r.source != "missing" for r in table.rules[:144])
    assert _cells(table) - {(r.state, r.qualifier, r.event, r.actions, r.to) for r in fillers} == \
        REFERENCE_CELLS - {("LISTEN", None, "rcv other segment", (), "LISTEN"),
                           ("FIN_WAIT_1", None, "rcv FIN", ("snd ACK",), "CLOSING")}
    assert table.lookup("FIN_WAIT_1", "rcv FIN", passive=True) is fillers[1]
    assert fillers[1].describe() == "FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1"
    assert table.with_arrivals(table.arrivals, "again").missing == (144, 145)


def test_the_same_partial_text_without_partial_lists_both_cells():
    err = _error(_without(FW1_FIN, LISTEN_OTHER), "p.rules")
    assert err.errors == ["p.rules:21: the table does not say what to do on 2 arrival event(s): "
                          "LISTEN: rcv other segment; FIN_WAIT_1: rcv FIN"]


def test_load_table_partial(tmp_path):
    path = tmp_path / "p.rules"
    path.write_text(_without(FW1_FIN, LISTEN_OTHER))
    table = load_table(path, partial=True)
    assert [(table.rules[i].state, table.rules[i].event, table.rules[i].where) for i in table.missing] == [
        ("LISTEN", "rcv other segment", f"{path}: no row"), ("FIN_WAIT_1", "rcv FIN", f"{path}: no row")]
    with pytest.raises(TableError, match="does not say what to do on 2 arrival event"):
        load_table(path)


def test_a_complete_table_has_nothing_missing():
    assert load_table().missing == ()
    full = parse_table(REFERENCE_TEXT, "x", partial=True)
    assert full.missing == () and _cells(full) == REFERENCE_CELLS and full.arrivals is ARRIVALS


def test_an_empty_table_in_partial_mode_is_all_fillers():
    table = parse_table("# nothing yet\n", "empty.rules", partial=True)
    cells = [(s, e.name) for s in STATES for stage in ("control", "text") for e in arrival_events(s, stage)]
    assert [(r.state, r.event) for r in table.rules] == list(dict.fromkeys(cells))
    assert table.missing == tuple(range(len(table.rules)))


@pytest.mark.parametrize("extra, message", [
    ("ESTABLISED | SEND | snd data | same", "unknown state 'ESTABLISED'; did you mean ESTABLISHED?"),
    ("LISTEN | CLOSE | delete TCB", COLUMNS),
    ("FIN_WAIT_2 | timeout 2MSL | - | CLOSED", "FIN_WAIT_2 --timeout 2MSL--> CLOSED must 'delete TCB'"),
])
def test_a_partial_table_that_is_wrong_in_other_ways_still_fails(extra, message):
    text = _without(FW1_FIN, LISTEN_OTHER) + extra + "\n"
    err = _error(text, partial=True)
    assert err.errors == [f"student.rules:{NEXT_LINE - 2}: {message}"]  # and no completeness message


def test_a_missing_qualified_partner_is_an_error_in_partial_mode_too():
    err = _error(_without(SYN_RCVD_RST), partial=True)
    assert err.errors == [f"student.rules:{_line_of('SYN_RCVD[passive] | rcv RST')}: "
                          "SYN_RCVD[passive] handles 'rcv RST' but SYN_RCVD[active] does not"]


def test_a_partial_table_runs_in_the_model():
    """Without FIN_WAIT_1's 'rcv FIN' row the filler ignores the FIN: a simultaneous
    close no longer reaches CLOSING, and fewer states are reachable."""
    table = parse_table(_without(FW1_FIN), "p.rules", partial=True)
    (filler,) = table.missing
    seed = run(preset("seed"), table)
    assert len(seed.exploration.states) == len(run_preset("seed").exploration.states) == 14
    default = run(preset("default"), table)
    assert len(default.exploration.states) == 25_119
    assert len(run_preset("default").exploration.states) == 28_817
    assert verdict(default, "CLOSING is reachable").verdict == "violated"
    assert verdict(run_preset("default"), "CLOSING is reachable").verdict == "holds"
    assert filler in default.fired and filler not in seed.fired
    assert "CLOSING" not in default.reachable()["A"] + default.reachable()["B"]


def test_a_filler_in_a_state_without_a_text_stage():
    """SYN_RCVD has no text stage: a segment its filler for 'rcv ACK of SYN' ignores
    (an ACK with data, say) is dropped whole instead of going on to one."""
    table = parse_table(_without(SYN_RCVD_ACK), "p.rules", partial=True)
    assert [(table.rules[i].state, table.rules[i].event) for i in table.missing] == [("SYN_RCVD", "rcv ACK of SYN")]
    ev = [e for e in table.arrivals if e.name == "rcv ACK of SYN"]
    assert [(e.states, e.proceed) for e in ev] == [(("SYN_RCVD",), False)]
    assert not arrival_events("SYN_RCVD", TEXT, table.arrivals)
    result = run(preset("default"), table)
    assert len(result.exploration.states) == 4_599
    assert table.missing[0] in result.fired
    assert "ESTABLISHED" not in result.reachable()["B"]  # the passive opener never gets there


# --- the command line ------------------------------------------------------------------

def test_check_with_a_bad_table_prints_every_error_and_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.rules"
    path.write_text(_edit((LISTEN_CLOSE, LISTEN_CLOSE.replace("delete TCB", "drop TCB  ")),
                          (LISTEN_OTHER, LISTEN_OTHER.replace("LISTEN", "LISTN ")),
                          (FW2_FIN, "FIN_WAIT_2 | rcv FIN | snd ACK")))
    assert main(["check", "--preset", "seed", "--rules", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "".join(f"tcpcheck: error: {line}\n" for line in [
        f"{path}:{_line_of(LISTEN_CLOSE)}: unknown action 'drop TCB'; expected one of: {', '.join(ACTIONS)}",
        f"{path}:{_line_of(LISTEN_OTHER)}: unknown state 'LISTN'; did you mean LISTEN?",
        f"{path}:{_line_of(FW2_FIN)}: {COLUMNS}",
    ])


def test_docstring_examples():
    import doctest

    result = doctest.testmod(table_module)
    assert result.attempted > 0 and result.failed == 0
