"""``tcpcheck grade`` on realistic wrong tables: each one's pinned score, the
shortest run that tells it from the reference, the row it names and the cells
the rows test marks wrong.

One assignment, written into a temporary folder by the tests, is graded with
the real grader in-process: the builtin reference, four configurations (the
seed note's exchange, the default lossy network, a simultaneous open and a
reliable network), a rows test, one behaviour test per configuration and two
properties tests, with feedback "expected" so every detail is there.  The
tables are the reference's text with whole rows replaced
(``grading_tables.py``), so they never drift from it.

Scores are pinned to two decimals, as the grader prints them.  A behaviour
test earns points x agreement, the share of the reference's transitions (a
reachable state and a step from it) the lockstep search takes the same way
and never differently, over the reference's transitions plus the steps only
the submission can take; the counts behind each score are pinned in
:data:`AGREEMENT`, recounted by an independent lockstep search written in the
tests (``test_agreement_recounted_independently`` on the small configurations)
and counted by hand for the seed exchange, whose 15 steps
``test_agreement_on_the_seed_exchange_by_hand`` lists.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import math

import pytest

from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.formats import render
from tcpcheck.model.grading.grade import Prepared, grade_file
from tcpcheck.model.table import load_table

from grading_tables import (ABORT_ROW, CLOSING_UNACC_ROW, EXTRA_ROW, EXTRA_TIMER_ROW, FIXTURES, R_CLOSING_ACK,
                            R_LAST_ACK, REFERENCE_TEXT, TYPO_ROW, equivalent_rewrite, line_of)

ASSIGNMENT = '''\
title = "Lab T: the TCP state table"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "expected"
partial = true

[limits]
max_states = 300000
seconds = 60

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "lossy"
preset = "default"

[[configurations]]
name = "simultaneous"
preset = "simultaneous-open"

[[configurations]]
name = "reliable"
preset = "reliable"

[[tests]]
kind = "rows"
points = 20

[[tests]]
kind = "behaviour"
configuration = "seed"
points = 10

[[tests]]
kind = "behaviour"
configuration = "lossy"
points = 25

[[tests]]
kind = "behaviour"
configuration = "simultaneous"
points = 15

[[tests]]
kind = "behaviour"
configuration = "reliable"
points = 15

[[tests]]
kind = "properties"
configuration = "reliable"
properties = "all"
points = 10

[[tests]]
kind = "properties"
name = "lossy"
configuration = "lossy"
properties = ["deadlock freedom", "CLOSING is reachable"]
points = 5
'''

#: The same grading of the table alone, without partial: a table with blanks does not load.
ROWS_ONLY = '''\
title = "Lab R"
reference = "builtin:rfc9293"
feedback = "expected"

[[tests]]
kind = "rows"
points = 10
'''

CONFIGS = ("seed", "lossy", "simultaneous", "reliable")
RELIABLE_PROPERTIES = 19  # the properties the reference holds over the reliable network: 10 points shared


class Run(NamedTuple):
    """A behaviour test's shortest distinguishing run."""

    step: int  # details["step"]
    last: str  # the run's final numbered line, whitespace runs as one space
    named: str | None  # the rule of the submission named (describe()); None: no row named
    reference_row: str | None  # the reference's row the expected step names; None: it cannot take the step


class Pin(NamedTuple):
    total: str  # "score: TOTAL / 100" as the text output prints it
    scores: tuple[str, ...]  # "SCORE STATUS" of rows, seed, lossy, simultaneous, reliable
    failed: tuple[str, ...] = ()  # the property tests that fail (all others pass)
    wrong: tuple[tuple, ...] = ()  # (state, event, status, by_row_only, rows of the table listed)
    runs: dict = {}  # configuration -> Run, for each behaviour test that finds a difference


FULL = ("20.00 passed", "10.00 passed", "25.00 passed", "15.00 passed", "15.00 passed")
ROWS_1 = "19.86 failed"  # 143 of 144 cells right


def _r(name: str) -> str:
    return f"'{name}' in configuration 'reliable'"


def _l(name: str) -> str:
    return f"lossy: '{name}' in configuration 'lossy'"


F = FIXTURES
PINS: dict[str, Pin] = {
    "no_closing": Pin(
        "82.26", (ROWS_1, "10.00 passed", "17.81 failed", "11.77 failed", "11.90 failed"),
        (_r("CLOSING is reachable"), _r("deadlock freedom"), _r("every close completes"), _l("CLOSING is reachable")),
        (("FIN_WAIT_1", "rcv FIN", "differs", False, (F["no_closing"].row,)),),
        {"lossy": Run(7, "7. B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                         "A FIN_WAIT_1 | B FIN_WAIT_1", "FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1", F["no_closing"].replaced[0]),
         "simultaneous": Run(8, "8. B receives <SEQ=101><ACK=301><CTL=FIN,ACK>: rcv ACK; rcv FIN A FIN_WAIT_1 | B FIN_WAIT_1",
                             "FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1", F["no_closing"].replaced[0]),
         "reliable": Run(7, "7. A receives <SEQ=301><ACK=4294967295><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                            "A FIN_WAIT_1 | B FIN_WAIT_1", "FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1", F["no_closing"].replaced[0])}),
    "fw1_to_time_wait": Pin(
        "86.21", (ROWS_1, "6.00 failed", "19.49 failed", "14.33 failed", "12.58 failed"),
        (_r("the passive closer is never reset"), _r("FIN_WAIT_2 is reachable")),
        (("FIN_WAIT_1", "rcv ACK of FIN", "differs", False, (F["fw1_to_time_wait"].row,)),),
        {c: Run(n, last, "FIN_WAIT_1 --rcv ACK of FIN--> TIME_WAIT", F["fw1_to_time_wait"].replaced[0]) for c, n, last in (
            ("seed", 7, "7. A receives <SEQ=301><ACK=0><CTL=ACK>: rcv ACK of FIN A FIN_WAIT_1 -> TIME_WAIT | B CLOSE_WAIT"),
            ("lossy", 7, "7. B receives <SEQ=4294967295><ACK=302><CTL=ACK>: rcv ACK of FIN "
                         "A CLOSE_WAIT | B FIN_WAIT_1 -> TIME_WAIT"),
            ("simultaneous", 9, "9. A receives <SEQ=301><ACK=102><CTL=ACK>: rcv ACK of FIN "
                                "A FIN_WAIT_1 -> TIME_WAIT | B CLOSE_WAIT"),
            ("reliable", 8, "8. B receives <SEQ=4294967295><ACK=302><CTL=ACK>: rcv ACK of FIN "
                            "A CLOSE_WAIT | B FIN_WAIT_1 -> TIME_WAIT"))}),
    "last_ack_stays": Pin(
        "96.60", (ROWS_1, "8.66 failed", "24.38 failed", "14.96 failed", "14.79 failed"),
        (_r("deadlock freedom"), _r("every close completes")),
        (("LAST_ACK", "rcv ACK of FIN", "differs", False, (F["last_ack_stays"].row,)),),
        {c: Run(n, last, "LAST_ACK --rcv ACK of FIN--> LAST_ACK", F["last_ack_stays"].replaced[0]) for c, n, last in (
            ("seed", 10, "10. B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN A TIME_WAIT | B LAST_ACK"),
            ("lossy", 9, "9. B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN A TIME_WAIT | B LAST_ACK"),
            ("simultaneous", 12, "12. B receives <SEQ=102><ACK=302><CTL=ACK>: rcv ACK of FIN A TIME_WAIT | B LAST_ACK"),
            ("reliable", 11, "11. A receives <SEQ=302><ACK=0><CTL=ACK>: rcv ACK of FIN A LAST_ACK | B TIME_WAIT"))}),
    "rfc_spelling": Pin("100", FULL),
    "equivalent": Pin("100", FULL),
    "abort_changed": Pin(
        "99.86", (ROWS_1,) + FULL[1:], (),
        (("TIME_WAIT", "ABORT", "differs", True, (ABORT_ROW,)),)),
    "closing_unacceptable_ack": Pin(
        "99.86", (ROWS_1,) + FULL[1:], (),
        (("CLOSING", "rcv unacceptable ACK", "differs", True, (CLOSING_UNACC_ROW,)),)),
    "syn_rcvd_rst_closes": Pin(
        # lossy: 116,479 of 116,481 steps agree: 24.9996, rounded down to 24.99 (see
        # test_a_difference_is_never_shown_as_full_agreement)
        "99.82", (ROWS_1, "10.00 passed", "24.99 failed", "15.00 passed", "14.97 failed"),
        (),
        # only the [passive] row, which differs: the table's SYN_RCVD[active] row is the reference's
        (("SYN_RCVD", "rcv RST", "differs", False, (F["syn_rcvd_rst_closes"].row,)),),
        {c: Run(6, "6. B receives <SEQ=4294967295><CTL=RST>: rcv RST A CLOSED | B SYN_RCVD -> CLOSED",
                "SYN_RCVD[passive] --rcv RST / delete TCB--> CLOSED", F["syn_rcvd_rst_closes"].replaced[0])
         for c in ("lossy", "reliable")}),
    "two_way_handshake": Pin(
        "50.81", (ROWS_1, "0.66 failed", "0.01 failed", "15.00 passed", "0.81 failed"),
        (_r("SYN_RCVD is reachable"),),
        (("LISTEN", "rcv SYN", "differs", False, (F["two_way_handshake"].row,)),),
        {"seed": Run(2, "2. B receives <SEQ=4294967294><CTL=SYN>: rcv SYN A SYN_SENT | B LISTEN -> ESTABLISHED",
                     "LISTEN --rcv SYN / snd SYN,ACK--> ESTABLISHED", F["two_way_handshake"].replaced[0]),
         "lossy": Run(3, "3. B receives <SEQ=4294967294><CTL=SYN>: rcv SYN A SYN_SENT | B LISTEN -> ESTABLISHED",
                      "LISTEN --rcv SYN / snd SYN,ACK--> ESTABLISHED", F["two_way_handshake"].replaced[0]),
         "reliable": Run(3, "3. B receives <SEQ=4294967294><CTL=SYN>: rcv SYN A SYN_SENT | B LISTEN -> ESTABLISHED",
                         "LISTEN --rcv SYN / snd SYN,ACK--> ESTABLISHED", F["two_way_handshake"].replaced[0])}),
    "no_time_wait": Pin(
        "94.18", (ROWS_1, "8.00 failed", "22.50 failed", "14.45 failed", "14.37 failed"), (),
        (("FIN_WAIT_2", "rcv FIN", "differs", False, (F["no_time_wait"].row,)),),
        {c: Run(n, last, "FIN_WAIT_2 --rcv FIN / snd ACK; delete TCB--> CLOSED", F["no_time_wait"].replaced[0])
         for c, n, last in (
            ("seed", 9, "9. A receives <SEQ=301><ACK=0><CTL=FIN,ACK>: rcv ACK; rcv FIN A FIN_WAIT_2 -> CLOSED | B LAST_ACK"),
            ("lossy", 8, "8. A receives <SEQ=301><ACK=0><CTL=FIN,ACK>: rcv ACK of FIN; rcv FIN "
                         "A FIN_WAIT_1 -> CLOSED | B LAST_ACK"),
            ("simultaneous", 11, "11. A receives <SEQ=301><ACK=102><CTL=FIN,ACK>: rcv ACK of FIN; rcv FIN "
                                 "A FIN_WAIT_1 -> CLOSED | B LAST_ACK"),
            ("reliable", 10, "10. B receives <SEQ=4294967295><ACK=302><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                             "A LAST_ACK | B FIN_WAIT_2 -> CLOSED"))}),
    "close_wait_no_close": Pin(
        "80.45", (ROWS_1, "6.00 failed", "17.18 failed", "12.25 failed", "11.74 failed"),
        (_r("LAST_ACK is reachable"), _r("deadlock freedom"), _r("every close completes")),
        (("CLOSE_WAIT", "CLOSE", "missing", False, ()),),
        # the missing kind: the run stops before the step only the reference can take
        {c: Run(n, last, None, F["close_wait_no_close"].replaced[0]) for c, n, last in (
            ("seed", 7, "6. B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                        "A FIN_WAIT_1 | B ESTABLISHED -> CLOSE_WAIT"),
            ("lossy", 7, "6. A receives <SEQ=301><ACK=4294967295><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                         "A ESTABLISHED -> CLOSE_WAIT | B FIN_WAIT_1"),
            ("simultaneous", 8, "7. B receives <SEQ=101><ACK=301><CTL=FIN,ACK>: rcv ACK of SYN; rcv FIN "
                                "A FIN_WAIT_1 | B SYN_RCVD -> CLOSE_WAIT"),
            ("reliable", 7, "6. A receives <SEQ=301><ACK=4294967295><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                            "A ESTABLISHED -> CLOSE_WAIT | B FIN_WAIT_1"))}),
    "extra_close_row": Pin(
        "99.86", ("19.86 failed",) + FULL[1:], (),  # 144 of 145 cells
        (("FIN_WAIT_2", "CLOSE", "extra", True, (EXTRA_ROW,)),)),
    "extra_fin_wait_2_timer": Pin(
        # every reference step agrees; the steps only this table takes (the timer) count against it
        "98.38", ("19.86 failed", "9.37 failed", "24.95 failed", "14.93 failed", "14.79 failed"),
        (_r("the passive closer is never reset"),),
        # the row fires in every behaviour search, so it is not "checked by row only"
        (("FIN_WAIT_2", "timeout 2MSL", "extra", False, (EXTRA_TIMER_ROW,)),),
        {c: Run(n, last, "FIN_WAIT_2 --timeout 2MSL / delete TCB--> CLOSED", None) for c, n, last in (
            ("seed", 8, "8. A: timeout 2MSL A FIN_WAIT_2 -> CLOSED | B CLOSE_WAIT"),
            ("lossy", 9, "9. B: timeout 2MSL A CLOSE_WAIT | B FIN_WAIT_2 -> CLOSED"),
            ("simultaneous", 10, "10. A: timeout 2MSL A FIN_WAIT_2 -> CLOSED | B CLOSE_WAIT"),
            ("reliable", 9, "9. B: timeout 2MSL A CLOSE_WAIT | B FIN_WAIT_2 -> CLOSED"))}),
    "partial": Pin(
        "94.51", ("19.72 failed", "8.66 failed", "23.75 failed", "14.69 failed", "13.74 failed"),
        (_r("deadlock freedom"), _r("every close completes")),
        (("CLOSING", "rcv ACK of FIN", "missing", False, ()), ("LAST_ACK", "rcv ACK of FIN", "missing", False, ())),
        {"seed": Run(10, "10. B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN A TIME_WAIT | B LAST_ACK",
                     "no row for 'rcv ACK of FIN' in LAST_ACK (a blank: graded as ignoring the segment)", R_LAST_ACK),
         **{c: Run(n, last, "no row for 'rcv ACK of FIN' in CLOSING (a blank: graded as ignoring the segment)",
                   R_CLOSING_ACK) for c, n, last in (
             ("lossy", 9, "9. B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN A CLOSING | B CLOSING"),
             ("simultaneous", 11, "11. B receives <SEQ=102><ACK=302><CTL=ACK>: rcv ACK of FIN A CLOSING | B CLOSING"),
             ("reliable", 10, "10. B receives <SEQ=0><ACK=302><CTL=ACK>: rcv ACK of FIN A CLOSING | B CLOSING"))}}),
    "time_wait_silent": Pin(
        "99.83", (ROWS_1, "10.00 passed", "24.99 failed", "14.98 failed", "15.00 passed"),
        (),
        (("TIME_WAIT", "rcv retransmitted FIN", "differs", False, (F["time_wait_silent"].row,)),),
        {"lossy": Run(12, "12. A receives <SEQ=301><ACK=0><CTL=FIN,ACK>: rcv retransmitted FIN A TIME_WAIT | B CLOSING",
                      "TIME_WAIT --rcv retransmitted FIN--> TIME_WAIT", F["time_wait_silent"].replaced[0]),
         "simultaneous": Run(13, "13. B receives <SEQ=101><ACK=302><CTL=FIN,ACK>: rcv retransmitted FIN "
                                 "A CLOSING | B TIME_WAIT",
                             "TIME_WAIT --rcv retransmitted FIN--> TIME_WAIT", F["time_wait_silent"].replaced[0])}),
    "no_third_ack": Pin(
        "51.35", (ROWS_1, "1.33 failed", "0.07 failed", "14.94 failed", "1.20 failed"),
        (_r("deadlock freedom"), _r("every close completes")),
        (("SYN_SENT", "rcv SYN,ACK", "differs", False, (F["no_third_ack"].row,)),),
        {c: Run(n, last, "SYN_SENT --rcv SYN,ACK--> ESTABLISHED", F["no_third_ack"].replaced[0]) for c, n, last in (
            ("seed", 3, "3. A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>: rcv SYN,ACK "
                        "A SYN_SENT -> ESTABLISHED | B SYN_RCVD"),
            ("lossy", 4, "4. A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>: rcv SYN,ACK "
                         "A SYN_SENT -> ESTABLISHED | B SYN_RCVD"),
            ("simultaneous", 5, "5. A receives <SEQ=300><ACK=101><CTL=SYN,ACK>: rcv SYN,ACK "
                                "A SYN_SENT -> ESTABLISHED | B SYN_RCVD"),
            ("reliable", 4, "4. A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>: rcv SYN,ACK "
                            "A SYN_SENT -> ESTABLISHED | B SYN_RCVD"))}),
    "fin_not_acked": Pin(
        "75.04", (ROWS_1, "4.66 failed", "14.90 failed", "11.18 failed", "9.44 failed"), (),
        (("ESTABLISHED", "rcv FIN", "differs", False, (F["fin_not_acked"].row,)),),
        {c: Run(n, last, "ESTABLISHED --rcv FIN--> CLOSE_WAIT", F["fin_not_acked"].replaced[0]) for c, n, last in (
            ("seed", 6, "6. B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                        "A FIN_WAIT_1 | B ESTABLISHED -> CLOSE_WAIT"),
            ("lossy", 6, "6. A receives <SEQ=301><ACK=4294967295><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                         "A ESTABLISHED -> CLOSE_WAIT | B FIN_WAIT_1"),
            ("simultaneous", 7, "7. B receives <SEQ=101><ACK=301><CTL=FIN,ACK>: rcv ACK of SYN; rcv FIN "
                                "A FIN_WAIT_1 | B SYN_RCVD -> CLOSE_WAIT"),
            ("reliable", 6, "6. A receives <SEQ=301><ACK=4294967295><CTL=FIN,ACK>: rcv ACK; rcv FIN "
                            "A ESTABLISHED -> CLOSE_WAIT | B FIN_WAIT_1"))}),
}

GRADABLE = sorted(PINS)

#: The reference's side of each configuration: (reachable states, transitions),
#: a transition being a state and a step from it.
REFERENCE_SIZE = {"seed": (14, 15), "lossy": (28_817, 116_481), "simultaneous": (1_896, 6_132),
                  "reliable": (307, 572)}

#: table -> configuration -> (reference transitions taken the same way and never
#: differently, steps only the table takes), for each behaviour test that finds
#: a difference; the agreement is the first over REFERENCE_SIZE's transitions plus
#: the second.  Recounted by _recount (below, independent of the grader's code)
#: on every configuration when these were pinned; the tests recount seed and reliable.
AGREEMENT: dict[str, dict[str, tuple[int, int]]] = {
    "close_wait_no_close": {"seed": (9, 0), "lossy": (80_059, 0), "simultaneous": (5_008, 0), "reliable": (448, 0)},
    "extra_fin_wait_2_timer": {"seed": (15, 1), "lossy": (116_481, 208), "simultaneous": (6_132, 28),
                               "reliable": (572, 8)},
    "fin_not_acked": {"seed": (7, 0), "lossy": (69_431, 0), "simultaneous": (4_572, 0), "reliable": (360, 0)},
    "fw1_to_time_wait": {"seed": (9, 0), "lossy": (90_819, 0), "simultaneous": (5_860, 0), "reliable": (480, 0)},
    "last_ack_stays": {"seed": (13, 0), "lossy": (113_595, 0), "simultaneous": (6_116, 0), "reliable": (564, 0)},
    "no_closing": {"lossy": (82_991, 0), "simultaneous": (4_812, 0), "reliable": (454, 0)},
    "no_third_ack": {"seed": (2, 0), "lossy": (363, 0), "simultaneous": (6_108, 0), "reliable": (46, 0)},
    "no_time_wait": {"seed": (12, 0), "lossy": (104_833, 0), "simultaneous": (5_908, 0), "reliable": (548, 0)},
    "partial": {"seed": (13, 0), "lossy": (110_679, 0), "simultaneous": (6_008, 0), "reliable": (524, 0)},
    "syn_rcvd_rst_closes": {"lossy": (116_479, 0), "reliable": (571, 0)},
    "time_wait_silent": {"lossy": (116_449, 0), "simultaneous": (6_124, 0)},
    "two_way_handshake": {"seed": (1, 0), "lossy": (80, 0), "reliable": (31, 0)},
}

#: Every (table, configuration) whose behaviour test finds a difference.
DIFFERING = [(name, c) for name in GRADABLE for c in CONFIGS if c in PINS[name].runs]


# --- fixtures ------------------------------------------------------------------

@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("grading")
    (d / "lab.toml").write_text(ASSIGNMENT, encoding="utf-8")
    (d / "rows-only.toml").write_text(ROWS_ONLY, encoding="utf-8")
    for f in FIXTURES.values():
        (d / f"{f.name}.rules").write_text(f.text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def prepared(folder):
    return Prepared(load_assignment(folder / "lab.toml"))


@pytest.fixture(scope="module")
def graded(folder, prepared):
    """name -> (path, GradeResult): each table graded once, on first use."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            path = folder / f"{name}.rules"
            cache[name] = (str(path), grade_file(prepared, path))
        return cache[name]
    return get


def _by_config(result, config: str):
    found = [t for t in result.tests if t.kind == "behaviour" and t.configuration == config]
    assert len(found) == 1
    return found[0]


def _rows_test(result):
    found = [t for t in result.tests if t.kind == "rows"]
    assert len(found) == 1
    return found[0]


def _numbered_lines(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines()
            if line[:5].strip().rstrip(".").isdigit() and line[:5].strip().endswith(".")]


def _step_line(output: str, step: int) -> str:
    """The one line of a behaviour test's feedback that says what step ``step`` does."""
    found = [line for line in output.splitlines() if line.startswith(f"Step {step}: ")]
    assert len(found) == 1, output
    return found[0]


def _named(path: str, fixture, describe: str) -> str:
    if describe.startswith("no row for "):  # a blank of a partial table
        return describe
    return f"{path}:{line_of(fixture.text, fixture.row)}: {describe}"


# --- the fixtures themselves -------------------------------------------------------

def test_fixtures_are_made_from_the_reference_by_whole_rows():
    from grading_tables import edited
    assert len(FIXTURES) >= 13
    for f in FIXTURES.values():
        assert f.text != REFERENCE_TEXT, f.name
    with pytest.raises(AssertionError, match="not once"):
        edited(REFERENCE_TEXT, ("CLOSED | no such row", None))
    with pytest.raises(AssertionError, match="2 times"):  # a row that two tables share is found twice
        edited(REFERENCE_TEXT + REFERENCE_TEXT.splitlines()[18] + "\n", (REFERENCE_TEXT.splitlines()[18], None))


def test_the_equivalent_rewrite_really_rewrites(tmp_path):
    text = equivalent_rewrite()
    rows = [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]
    assert not any("| same" in r for r in rows)
    assert not any("," in r.split("|")[0] for r in rows)  # every row names one state
    assert "ESTABLISHED[passive] | CLOSE | snd FIN | FIN_WAIT_1" in rows
    assert "ESTABLISHED[active]  | CLOSE | snd FIN | FIN_WAIT_1" in rows
    assert rows[0].startswith("TIME_WAIT | rcv out-of-order segment")  # reversed
    p = tmp_path / "equivalent.rules"
    p.write_text(text, encoding="utf-8")
    assert len(load_table(p).rules) == len(load_table().rules) + 1  # one plain rule became two


# --- the pins ------------------------------------------------------------------

@pytest.mark.parametrize("name", GRADABLE)
def test_total_score_as_printed(graded, name):
    path, r = graded(name)
    assert r.gradable and r.max_score == 100
    assert f"  score: {PINS[name].total} / 100\n" in render(r, "text")
    assert round(r.score, 2) == float(PINS[name].total)


@pytest.mark.parametrize("name", GRADABLE)
def test_each_test_score_and_status(graded, name):
    _, r = graded(name)
    pin = PINS[name]
    assert r.tests[0].kind == "loads" and r.tests[0].status == "passed"
    got = [f"{_rows_test(r).score:.2f} {_rows_test(r).status}"]
    got += [f"{_by_config(r, c).score:.2f} {_by_config(r, c).status}" for c in CONFIGS]
    assert tuple(got) == pin.scores
    props = [t for t in r.tests if t.kind == "property"]
    assert len(props) == RELIABLE_PROPERTIES + 2
    assert tuple(t.name for t in props if t.status != "passed") == pin.failed
    for t in props:
        share = 10 / RELIABLE_PROPERTIES if t.configuration == "reliable" else 2.5
        assert t.max_score == pytest.approx(share)
        assert t.score == (0 if t.name in pin.failed else pytest.approx(share))
    # a property the reference itself violates in lossy is not held against anyone
    dl = next(t for t in props if t.name == _l("deadlock freedom"))
    assert dl.status == "passed" and dl.details == {"reference": "violated"}
    assert "The reference table itself violates 'deadlock freedom'" in dl.output
    assert sum(t.score for t in r.tests) == pytest.approx(r.score, abs=1e-3)


@pytest.mark.parametrize("name", GRADABLE)
def test_distinguishing_runs_and_the_rows_they_name(graded, name):
    path, r = graded(name)
    f, pin = FIXTURES[name], PINS[name]
    for c in CONFIGS:
        t = _by_config(r, c)
        if c not in pin.runs:
            assert "step" not in t.details and t.status == "passed", c
            assert t.output == f"No run of configuration '{c}' tells your table from the reference " \
                               f"({t.details['reference_states']:,} states)."
            continue
        run = pin.runs[c]
        assert t.details["step"] == run.step, c
        assert _numbered_lines(t.output)[-1] == run.last, c
        assert t.run[-1]["step"] == (run.step if run.named else run.step - 1)
        final = _step_line(t.output, run.step)
        if run.named is None:  # the missing kind: the submission has no row to name
            assert "rows" not in t.details, c
            assert final.endswith("it has no row for it, and the reference has one."), c
        elif run.reference_row is None:  # the extra kind: only the submission takes the step
            assert t.details["rows"] == [_named(path, f, run.named)], c
            assert final.endswith(f"({_named(path, f, run.named)}), but cannot happen with the reference here."), c
        else:
            assert t.details["rows"] == [_named(path, f, run.named)], c
            assert final.endswith(f"the reference does otherwise. Your row(s): {_named(path, f, run.named)}"), c


@pytest.mark.parametrize("name", GRADABLE)
def test_rows_test_marks_the_wrong_cells(graded, name):
    path, r = graded(name)
    f, pin = FIXTURES[name], PINS[name]
    t = _rows_test(r)
    wrong = t.details.get("wrong", [])
    assert [(w["state"], w["event"], w["status"], w["by_row_only"]) for w in wrong] == [p[:4] for p in pin.wrong]
    for w, p in zip(wrong, pin.wrong):
        assert w["where"] == [f"{path}:{line_of(f.text, row)}" for row in p[4]]
        only = "  [checked by row only: no configuration exercises it]" if p[3] else ""
        where = ", ".join(w["where"]) or "no row"
        assert any(line.strip() == f"{w['state']} / {w['event']} ({where}): " + {
            "missing": "your table has no row for it", "extra": "your table has a row the reference has not",
            "differs": f"yours: {w['yours']}"}[w["status"]] + only for line in t.output.splitlines())
    cells = t.details["cells"]
    assert t.output.splitlines()[0] == f"{cells - len(wrong)} of {cells} cells are right " \
                                       f"({100 * (cells - len(wrong)) / cells:.0f}%)."


@pytest.mark.parametrize("name", GRADABLE)
def test_the_reference_is_kept_for_after_the_due_date(graded, name):
    path, r = graded(name)
    f, pin = FIXTURES[name], PINS[name]
    before = render(r, "text") + render(r, "json")
    for t in r.tests:
        assert "rfc9293.rules:" not in t.output + json.dumps(t.details) + json.dumps(t.run), t.name
    assert "rfc9293.rules:" not in before
    assert '"expected"' not in render(r, "json")
    for old in f.replaced:  # the reference's own rows, as the grader describes them, are not shown either
        for rule in load_table().rules:
            if rule.where == f"rfc9293.rules:{line_of(REFERENCE_TEXT, old)}":
                assert rule.describe() not in before, rule.describe()
    after = render(r, "text", after_due_date=True)
    for c, run in pin.runs.items():
        t = _by_config(r, c)
        if run.reference_row is None:
            assert t.expected == f"Step {run.step} cannot happen with the reference."
        else:
            assert t.expected.startswith(f"Step {run.step} with the reference: ")
            assert f"rfc9293.rules:{line_of(REFERENCE_TEXT, run.reference_row)}: " in t.expected
        assert t.expected.splitlines()[0] in after
    rows = _rows_test(r)
    if pin.wrong:
        assert rows.expected.startswith("The reference's cells:\n")
        assert len(rows.expected.splitlines()) == 1 + len(pin.wrong)


# --- the tables one by one ----------------------------------------------------------

def test_typo_is_not_gradable_with_did_you_mean(graded):
    path, r = graded("typo")
    line = line_of(FIXTURES["typo"].text, TYPO_ROW)
    message = f"{path}:{line}: unknown state 'ESTABLISED'; did you mean ESTABLISHED?"
    assert not r.gradable and r.score == 0 and r.messages == [message]
    assert r.tests[0].output == f"Your table could not be read, so nothing else was graded:\n{message}"
    assert all(t.score == 0 and t.status == "failed" for t in r.tests)
    assert all(t.output == "not graded: your table does not load (see 'the table loads')" for t in r.tests[1:])
    assert len(r.tests) == 1 + 5 + RELIABLE_PROPERTIES + 2
    assert "  score: 0 / 100  (not gradable: the file does not load)\n" in render(r, "text")


def test_rfc_spelling_is_the_same_table(graded):
    _, r = graded("rfc_spelling")
    text = FIXTURES["rfc_spelling"].text
    assert "TIME-WAIT" in text and "ESTAB " in text and "syn-received[passive]" in text
    assert r.score == 100 and all(t.status == "passed" for t in r.tests)
    assert _rows_test(r).output == "144 of 144 cells are right (100%)."


def test_equivalent_rewrite_scores_full_marks_exactly(graded):
    _, r = graded("equivalent")
    assert r.score == r.max_score == 100
    assert all(t.status == "passed" and t.score == t.max_score for t in r.tests)
    assert _rows_test(r).details == {"cells": 144, "right": 144}
    assert all(_by_config(r, c).details["agreement"] == 1.0 for c in CONFIGS)


@pytest.mark.parametrize("name", ["abort_changed", "closing_unacceptable_ack", "extra_close_row"])
def test_a_row_no_configuration_fires(graded, name):
    _, r = graded(name)
    assert all(_by_config(r, c).status == "passed" for c in CONFIGS)
    rows = _rows_test(r)
    assert "[checked by row only: no configuration exercises it]" in rows.output
    assert all(w["by_row_only"] for w in rows.details["wrong"])


def test_missing_call_is_the_missing_kind_of_difference(graded):
    _, r = graded("close_wait_no_close")
    t = _by_config(r, "seed")
    assert _step_line(t.output, 7) == ("Step 7: B: CLOSE cannot happen with your table in CLOSE_WAIT: it has no "
                                         "row for it, and the reference has one.")
    assert t.expected == ("Step 7 with the reference: B ends in LAST_ACK and sends <SEQ=301><ACK=0><CTL=FIN,ACK> "
                          f"(rfc9293.rules:{line_of(REFERENCE_TEXT, FIXTURES['close_wait_no_close'].replaced[0])}: "
                          "CLOSE_WAIT --CLOSE / snd FIN--> LAST_ACK).")
    # 9 of the seed's 15 steps agree: see test_agreement_on_the_seed_exchange_by_hand (B's CLOSE is
    # missing on 7->8 and 9->10, and 8->10 ... 12->13 are never reached)
    assert t.output.splitlines()[0] == ("Your table behaves differently in configuration 'seed': agreement 60.0%. "
                                        "It takes 9 of the reference's 15 steps (from 14 states) the same way and "
                                        "never differently; the shortest run that shows a difference has 7 steps.")


def test_extra_row_that_fires_is_the_extra_kind_of_difference(graded):
    path, r = graded("extra_fin_wait_2_timer")
    t = _by_config(r, "seed")
    line = line_of(FIXTURES["extra_fin_wait_2_timer"].text, EXTRA_TIMER_ROW)
    assert _step_line(t.output, 8) == (f"Step 8: A: timeout 2MSL happens with your table ({path}:{line}: "
                                         "FIN_WAIT_2 --timeout 2MSL / delete TCB--> CLOSED), but cannot happen "
                                         "with the reference here.")
    assert t.expected == "Step 8 cannot happen with the reference."


def test_differing_step_names_only_the_row_that_differs(graded):
    """The FIN arrives with an ACK: two rows fire (rcv ACK; rcv FIN); only the changed one is named,
    while the reference's expected step names both of its rows."""
    path, r = graded("no_closing")
    t = _by_config(r, "lossy")
    line = line_of(FIXTURES["no_closing"].text, FIXTURES["no_closing"].row)
    assert _step_line(t.output, 7) == (
        "Step 7: B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>: with your table B ends in FIN_WAIT_1 and "
        f"sends nothing; the reference does otherwise. Your row(s): {path}:{line}: FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1")
    ack = line_of(REFERENCE_TEXT, "ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, CLOSE_WAIT, LAST_ACK, TIME_WAIT "
                                  "| rcv ACK | - | same | 3.10.7.4 fifth")
    fin = line_of(REFERENCE_TEXT, FIXTURES["no_closing"].replaced[0])
    assert t.expected == ("Step 7 with the reference: B ends in CLOSING and sends <SEQ=302><ACK=0><CTL=ACK> "
                          f"(rfc9293.rules:{ack}: FIN_WAIT_1 --rcv ACK--> FIN_WAIT_1; "
                          f"rfc9293.rules:{fin}: FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING).")


def test_property_feedback_names_the_row(graded):
    path, r = graded("last_ack_stays")
    t = next(t for t in r.tests if t.name == _r("deadlock freedom"))
    line = line_of(FIXTURES["last_ack_stays"].text, FIXTURES["last_ack_stays"].row)
    # stuck: the chart ends the deadlock in a wait for ever
    assert t.details == {"verdict": "violated", "reference": "holds", "stuck": True,
                         "rows": [f"{path}:{line}: LAST_ACK --rcv ACK of FIN--> LAST_ACK"]}
    assert t.output.splitlines()[0] == ("'deadlock freedom' is violated on your table: stuck with A in LAST_ACK, "
                                        "B in CLOSED, 0 segment(s) in flight.")


def test_partial_table_marks_the_blank_cells(graded):
    path, r = graded("partial")
    message = (f"{path}: 2 cell(s) have no row and are marked wrong (graded as if the segment were ignored): "
               "CLOSING / rcv ACK of FIN, LAST_ACK / rcv ACK of FIN")
    assert r.gradable and r.messages == [message]
    assert r.tests[0].output == f"Your table loads.\n{message}"
    rows = _rows_test(r)
    assert rows.details["right"] == 142 and rows.details["cells"] == 144
    assert [line.strip() for line in rows.output.splitlines()[2:]] == [
        "CLOSING / rcv ACK of FIN (no row): your table has no row for it",
        "LAST_ACK / rcv ACK of FIN (no row): your table has no row for it"]
    assert rows.expected.splitlines()[1:] == ["  CLOSING / rcv ACK of FIN: the reference does - -> TIME_WAIT",
                                              "  LAST_ACK / rcv ACK of FIN: the reference does delete TCB -> CLOSED"]


def test_partial_table_without_partial_is_not_gradable(folder):
    p = Prepared(load_assignment(folder / "rows-only.toml"))
    path = folder / "partial.rules"
    r = grade_file(p, path)
    text = FIXTURES["partial"].text
    first_closing = next(n for n, line in enumerate(text.splitlines(), 1)
                         if "CLOSING" in line.split("#")[0].split("|")[0])
    assert not r.gradable and r.score == 0
    assert r.messages == [f"{path}:{first_closing}: the table does not say what to do on 2 arrival event(s): "
                          "CLOSING: rcv ACK of FIN; LAST_ACK: rcv ACK of FIN"]


def test_good_table_full_marks(folder, prepared, tmp_path):
    p = tmp_path / "good.rules"
    p.write_text(REFERENCE_TEXT, encoding="utf-8")
    r = grade_file(prepared, p)
    assert r.score == 100 and all(t.status == "passed" for t in r.tests)


# --- the agreement: reference transitions taken the same way ------------------------------

def _cause(st) -> tuple:
    if st.kind in ("call", "timer"):
        return (st.actor, st.kind, st.event)
    if st.kind == "rcv":
        return (st.actor, "rcv", st.segment)
    return ("network", st.kind, st.event, st.segment)


def _recount(ref, sub) -> tuple[int, int, int]:
    """An independent recount of the agreement of two Models of one configuration:
    (reference transitions, those the lockstep search takes with an equal step and
    never with a different one, (reference state, cause) pairs only ``sub`` can
    take).  Two steps are equal when the acting endpoint ends in the same RFC
    state and sends the same segments; a pair after a difference is not explored."""
    from collections import deque

    def by_cause(m, s):
        out: dict = {}
        for label, t in m.successors(s):
            assert _cause(m.step(label)) not in out  # one step per cause, or the matching is ambiguous
            out[_cause(m.step(label))] = (label, t)
        return out

    def effect(m, label, t):
        st = m.step(label)
        return () if st.actor == "network" else (getattr(m.decode(t), st.actor).state, st.sent)

    seen, queue, transitions = set(ref.initial_states()), deque(ref.initial_states()), set()
    while queue:
        r = queue.popleft()
        for label, t in ref.successors(r):
            transitions.add((r, label))
            if t not in seen:
                seen.add(t)
                queue.append(t)
    start = list(zip(ref.initial_states(), sub.initial_states()))
    seen, queue = set(start), deque(start)
    same, different, extra = set(), set(), set()
    while queue:
        r, s = queue.popleft()
        rs, ss = by_cause(ref, r), by_cause(sub, s)
        for c in rs.keys() | ss.keys():
            if c not in rs:
                extra.add((r, c))
            elif c not in ss or effect(ref, *rs[c]) != effect(sub, *ss[c]):
                different.add((r, rs[c][0]))
            else:
                same.add((r, rs[c][0]))
                pair = (rs[c][1], ss[c][1])
                if pair not in seen:
                    seen.add(pair)
                    queue.append(pair)
    return len(transitions), len(same - different), len(extra)


@pytest.mark.parametrize("config", ["seed", "reliable"])
def test_agreement_recounted_independently(graded, prepared, config):
    """The grader's counts for every table in the small configurations, against _recount."""
    from tcpcheck.model.system import Model
    cfg, reference = prepared.assignment.configurations[config], prepared.assignment.reference
    for name in GRADABLE:
        path, r = graded(name)
        t = _by_config(r, config)
        transitions, agreed, extra = _recount(Model(cfg, reference), Model(cfg, load_table(path, partial=True)))
        assert (transitions, agreed, extra) == (REFERENCE_SIZE[config][1], *AGREEMENT.get(name, {}).get(
            config, (transitions, 0))), name
        assert (t.details["reference_transitions"], t.details["agreeing_transitions"],
                t.details["extra_transitions"]) == (transitions, agreed, extra), name


@pytest.mark.parametrize("name", GRADABLE)
def test_agreement_counts(graded, name):
    _, r = graded(name)
    for c in CONFIGS:
        t = _by_config(r, c)
        states, transitions = REFERENCE_SIZE[c]
        agreed, extra = AGREEMENT.get(name, {}).get(c, (transitions, 0))
        assert t.details["reference_states"] == states and t.details["reference_transitions"] == transitions, c
        assert (t.details["agreeing_transitions"], t.details["extra_transitions"]) == (agreed, extra), c
        agreement = agreed / (transitions + extra)
        # to four decimals, rounded down
        assert t.details["agreement"] == pytest.approx(agreement, abs=1e-4) and t.details["complete"] is True, c
        # points x agreement, rounded down to the hundredth (a difference never shows as full points)
        expected = t.max_score if agreement == 1 else math.floor(t.max_score * agreement * 100 + 1e-9) / 100
        assert t.score == pytest.approx(expected, abs=1e-9), c
        assert (agreement < 1) == (c in AGREEMENT.get(name, {})) == ("step" in t.details), c


def test_agreement_on_the_seed_exchange_by_hand(graded, prepared):
    """The seed exchange (A opens actively, B listens) has 14 reference states and
    15 steps, numbered here by the order of the breadth-first search:

        0 -A: active OPEN-> 1 -B: rcv SYN-> 2 -A: rcv SYN,ACK-> 3
        3 -A: CLOSE-> 4        3 -B: rcv ACK of SYN-> 5
        4 -B: rcv ACK of SYN-> 6        5 -A: CLOSE-> 6
        6 -B: rcv FIN (A FIN_WAIT_1, B -> CLOSE_WAIT)-> 7
        7 -B: CLOSE-> 8        7 -A: rcv ACK of FIN (A -> FIN_WAIT_2)-> 9
        8 -A: rcv ACK of FIN-> 10        9 -B: CLOSE-> 10
        10 -A: rcv FIN (A -> TIME_WAIT)-> 11 -B: rcv ACK of FIN (B -> CLOSED)-> 12 -A: timeout 2MSL-> 13

    fw1_to_time_wait (FIN_WAIT_1 on the ACK of its FIN goes to TIME_WAIT) takes the
    first 9 steps (0->1 ... 7->8) the same way, differs on 7->9 and 8->10 (A ends in
    TIME_WAIT, not FIN_WAIT_2), and so never reaches 9->10, 10->11, 11->12, 12->13:
    9 of 15 = 60%, 6.00 of 10 points.  fin_not_acked differs on 6->7 (B sends no ACK),
    after the 7 steps before it: 7 of 15.  two_way_handshake differs on 1->2 (B is
    ESTABLISHED at once): 1 of 15.  extra_fin_wait_2_timer takes all 15 the same way
    and has one more of its own, its timer in state 9 (A FIN_WAIT_2, nothing in
    flight): 15 of 16 = 93.75%."""
    from tcpcheck.model.explorer import explore
    from tcpcheck.model.system import Model
    a = prepared.assignment
    x = explore(Model(a.configurations["seed"], a.reference))
    steps = [(x.src[k], x.dst[k], x.label(x.lab[k]).actor, x.label(x.lab[k]).event) for k in range(x.transitions)]
    assert steps == [(0, 1, "A", "active OPEN"), (1, 2, "B", "rcv SYN"), (2, 3, "A", "rcv SYN,ACK"),
                     (3, 4, "A", "CLOSE"), (3, 5, "B", "rcv ACK of SYN"), (4, 6, "B", "rcv ACK of SYN"),
                     (5, 6, "A", "CLOSE"), (6, 7, "B", "rcv ACK; rcv FIN"), (7, 8, "B", "CLOSE"),
                     (7, 9, "A", "rcv ACK of FIN"), (8, 10, "A", "rcv ACK of FIN"), (9, 10, "B", "CLOSE"),
                     (10, 11, "A", "rcv ACK; rcv FIN"), (11, 12, "B", "rcv ACK of FIN"),
                     (12, 13, "A", "timeout 2MSL")]
    assert len(x.states) == 14 and len(set(zip(x.src, x.lab))) == 15
    # agreement to four decimals, the percentage to one and the score to two: each rounded down
    for name, agreed, extra, score, shown in (("fw1_to_time_wait", 9, 0, "6.00", "60.0%"),
                                              ("fin_not_acked", 7, 0, "4.66", "46.6%"),
                                              ("two_way_handshake", 1, 0, "0.66", "6.6%"),
                                              ("extra_fin_wait_2_timer", 15, 1, "9.37", "93.7%")):
        t = _by_config(graded(name)[1], "seed")
        assert {k: t.details[k] for k in ("reference_states", "reference_transitions", "agreeing_transitions",
                                          "extra_transitions", "agreement")} == {
            "reference_states": 14, "reference_transitions": 15, "agreeing_transitions": agreed,
            "extra_transitions": extra, "agreement": math.floor(agreed / (15 + extra) * 10_000) / 10_000}, name
        assert f"{t.score:.2f}" == score, name
        assert t.output.splitlines()[0] == (
            f"Your table behaves differently in configuration 'seed': agreement {shown}. It takes {agreed} of the "
            f"reference's 15 steps (from 14 states) the same way and never differently"
            + (f", and has {extra} step(s) the reference cannot take" if extra else "")
            + f"; the shortest run that shows a difference has {PINS[name].runs['seed'].step} steps."), name


@pytest.mark.parametrize("name, config", DIFFERING)
def test_a_difference_never_earns_full_points(graded, name, config):
    _, r = graded(name)
    t = _by_config(r, config)
    assert "step" in t.details  # the search found a run that tells the tables apart
    assert t.status == "failed" and t.score < t.max_score
    assert t.details["agreeing_transitions"] < t.details["reference_transitions"] + t.details["extra_transitions"]


@pytest.mark.parametrize("name, config", DIFFERING)
def test_a_difference_is_never_shown_as_full_agreement(graded, name, config):
    _, r = graded(name)
    t = _by_config(r, config)
    assert "100.0% of the reference's" not in t.output
    assert t.details["agreement"] < 1
    assert f"{t.score:.2f}" != f"{t.max_score:.2f}"


def test_an_extra_row_that_fires_is_not_checked_by_row_only(graded):
    _, r = graded("extra_fin_wait_2_timer")
    assert all("step" in _by_config(r, c).details for c in CONFIGS)  # the row fires in every configuration
    rows = _rows_test(r)
    assert [w["by_row_only"] for w in rows.details["wrong"]] == [False]
    assert "checked by row only" not in rows.output


def test_expected_answer_for_an_extra_cell_says_the_reference_has_no_row(graded):
    _, r = graded("extra_close_row")
    assert _rows_test(r).expected.splitlines()[1:] == ["  FIN_WAIT_2 / CLOSE: the reference has no row for it"]
