"""Wrong (and rightly rewritten) rule tables for the grading tests, made in code.

Every table here is the reference text of ``model/rfc9293.rules`` with whole
rows replaced, deleted or added.  A row to replace must be a line of the
reference exactly once, character for character, or building the table fails
loudly: a fixture can never drift from the reference, nor silently turn into
it.  The tests compute line numbers from the generated text
(:func:`line_of`), never by hand.

Each :class:`Fixture` is a realistic student mistake (or an equivalent
rewrite that must score full marks), with the row it changed, so a test can
ask the grader to name that row at ``file:line``.
"""

from __future__ import annotations

from typing import NamedTuple

from tcpcheck.model.table import REFERENCE

__all__ = ["REFERENCE_TEXT", "Fixture", "FIXTURES", "edited", "line_of", "equivalent_rewrite"]

REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def edited(text: str, *edits: tuple[str, str | None]) -> str:
    """``text`` with each ``(old row, new)`` edit applied: ``old`` must be one
    whole line of ``text`` exactly once; ``new`` replaces it (several lines
    joined by newlines), or deletes it when None.  Raises AssertionError when
    a row is not found exactly once, so a fixture cannot drift."""
    lines = _lines(text)
    for old, new in edits:
        n = lines.count(old)
        if n != 1:
            raise AssertionError(f"the row to replace is a line of the table {n} times, not once: {old!r}")
        i = lines.index(old)
        lines[i:i + 1] = [] if new is None else new.split("\n")
    out = "\n".join(lines)
    if out == text:
        raise AssertionError("the edits leave the table as it was")
    return out


def line_of(text: str, line: str) -> int:
    """The 1-based number of the one line of ``text`` that is ``line``."""
    lines = _lines(text)
    n = lines.count(line)
    if n != 1:
        raise AssertionError(f"{line!r} is a line of the table {n} times, not once")
    return lines.index(line) + 1


class Fixture(NamedTuple):
    name: str  # the file stem the table is written under
    what: str  # the student's mistake, in words
    text: str  # the table
    row: str | None  # the row of the table the grader should name (a whole line of ``text``)
    replaced: tuple[str, ...]  # the reference's rows the edits replaced or deleted


# --- the reference rows that the fixtures change ---------------------------------

R_FW1_FIN = "FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING     | F15, 3.10.7.4 eighth (simultaneous close)"
R_FW1_ACK_OF_FIN = "FIN_WAIT_1   | rcv ACK of FIN          | -                          | FIN_WAIT_2  | F14, 3.10.7.4 fifth"
R_LAST_ACK = "LAST_ACK     | rcv ACK of FIN          | delete TCB                 | CLOSED      | F19, 3.10.7.4 fifth"
R_CLOSING_ACK = "CLOSING      | rcv ACK of FIN          | -                          | TIME_WAIT   | F18, 3.10.7.4 fifth"
R_EST_CLOSE = "ESTABLISHED  | CLOSE        | snd FIN                    | FIN_WAIT_1  | F12, 3.10.4"
R_FW2_FIN = "FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth"
R_ABORT_LATE = "CLOSING, LAST_ACK, TIME_WAIT | ABORT | delete TCB        | CLOSED      | 3.10.5"
R_UNACC_ACK = ("ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, CLOSE_WAIT, LAST_ACK, TIME_WAIT | rcv unacceptable ACK "
               "| snd ACK | same | 3.10.7.4 fifth (acks something not yet sent)")
R_SYN_RCVD_RST = "SYN_RCVD[passive] | rcv RST            | return to LISTEN           | LISTEN      | F11, note 1, 3.10.7.4 second"
R_LISTEN_SYN = "LISTEN       | rcv SYN                 | snd SYN,ACK                | SYN_RCVD | F4, 3.10.7.2"
R_CW_CLOSE = "CLOSE_WAIT   | CLOSE        | snd FIN                    | LAST_ACK    | F17, 3.10.4"
R_TW_RETX_FIN = "TIME_WAIT    | rcv retransmitted FIN   | snd ACK                    | same        | 3.10.7.4 fifth: acknowledge it, restart the 2MSL timeout"
R_SYN_SENT_SYNACK = "SYN_SENT     | rcv SYN,ACK             | snd ACK                    | ESTABLISHED | F8, 3.10.7.3"
R_EST_FIN = "ESTABLISHED  | rcv FIN                 | snd ACK                    | CLOSE_WAIT  | F13, 3.10.7.4 eighth"


# --- the fixtures -----------------------------------------------------------------

_FIRST = "the first new row"


def _fix(name: str, what: str, *edits: tuple[str, str | None], named: str | None = _FIRST) -> Fixture:
    text = edited(REFERENCE_TEXT, *edits)
    if named is _FIRST:
        news = [new for _, new in edits if new is not None]
        named = news[0].split("\n")[0] if news else None
    if named is not None:
        line_of(text, named)  # fails now, not in a test, if it is not one line of the table
    return Fixture(name, what, text, named, tuple(old for old, _ in edits))


# The same typo written twice: once as the loader rejects it, once in the RFC's
# own spelling, which it accepts.
TYPO_ROW = "ESTABLISED   | CLOSE        | snd FIN                    | FIN_WAIT_1  | F12, 3.10.4"
RFC_SPELLING_ROWS = (
    (R_FW2_FIN, "fin-wait-2   | rcv FIN                 | snd ACK                    | TIME-WAIT   | F16, 3.10.7.4 eighth"),
    (R_CLOSING_ACK, "Closing      | rcv ACK of FIN          | -                          | time wait   | F18, 3.10.7.4 fifth"),
    (R_EST_CLOSE, "ESTAB        | CLOSE        | snd FIN                    | FIN-WAIT-1  | F12, 3.10.4"),
    (R_SYN_RCVD_RST, "syn-received[passive] | rcv RST     | return to LISTEN           | listen      | F11, note 1"),
)

ABORT_ROW = "TIME_WAIT    | ABORT        | snd <SEQ=SND.NXT><CTL=RST>; delete TCB | CLOSED | my guess"
CLOSING_UNACC_ROW = "CLOSING      | rcv unacceptable ACK    | -                          | same        | ignore it"
EXTRA_TIMER_ROW = "FIN_WAIT_2   | timeout 2MSL | delete TCB                 | CLOSED      | a FIN-WAIT-2 timer, as Linux's tcp_fin_timeout"
EXTRA_ROW = "FIN_WAIT_2   | CLOSE        | -                          | same        | (an extra row: the RFC says 'error: connection closing')"


def equivalent_rewrite(text: str = REFERENCE_TEXT) -> str:
    """The table rewritten the way a student might, with the same meaning:
    other comments, rows in reverse order, every row naming several states
    split into one row per state, ``same`` written as the state itself, one
    plain row (ESTABLISHED | CLOSE) written as its [passive] and [active]
    halves, ``-`` actions left empty, and the source column left out."""
    out = ["# My TCP table (rewritten from my notes; same meaning as the RFC)", ""]
    rows = []
    for raw in _lines(text):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        states, event, actions, to, _source = [c.strip() for c in line.split("|")]
        for state in (s.strip() for s in states.split(",")):
            base = state.split("[", 1)[0]
            target = base if to == "same" else to
            acts = "" if actions == "-" else actions
            if base == "ESTABLISHED" and event == "CLOSE" and "[" not in state:
                rows.append(f"ESTABLISHED[passive] | {event} | {acts} | {target}")
                rows.append(f"ESTABLISHED[active]  | {event} | {acts} | {target}   # the client's half")
            else:
                rows.append(f"{state} | {event} | {acts} | {target}")
    rows.reverse()
    out += rows
    assert len(rows) > 100, len(rows)
    return "\n".join(out) + "\n"


FIXTURES: dict[str, Fixture] = {f.name: f for f in (
    _fix("no_closing", "FIN_WAIT_1 on the peer's FIN stays in FIN_WAIT_1 and does not acknowledge it: no CLOSING",
         (R_FW1_FIN, "FIN_WAIT_1   | rcv FIN                 | -                          | same        | my simultaneous close")),
    _fix("fw1_to_time_wait", "FIN_WAIT_1 on the ACK of its FIN goes straight to TIME_WAIT instead of FIN_WAIT_2",
         (R_FW1_ACK_OF_FIN, "FIN_WAIT_1   | rcv ACK of FIN          | -                          | TIME_WAIT   | F14")),
    _fix("last_ack_stays", "LAST_ACK never closes: on the ACK of its FIN it stays in LAST_ACK",
         (R_LAST_ACK, "LAST_ACK     | rcv ACK of FIN          | -                          | same        | F19")),
    _fix("typo", "ESTABLISHED misspelt ESTABLISED in the from column: the loader rejects the table",
         (R_EST_CLOSE, TYPO_ROW)),
    _fix("rfc_spelling", "states in the RFC's own spelling (TIME-WAIT, ESTAB, time wait, Closing): accepted, same meaning",
         *RFC_SPELLING_ROWS, named=None),
    _fix("abort_changed", "ABORT in TIME_WAIT sends a reset: a row no configuration of the assignment fires",
         (R_ABORT_LATE, "CLOSING, LAST_ACK | ABORT | delete TCB        | CLOSED      | 3.10.5\n" + ABORT_ROW),
         named=ABORT_ROW),
    _fix("closing_unacceptable_ack", "CLOSING drops an unacceptable ACK silently: a row no configuration fires",
         (R_UNACC_ACK, "ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, LAST_ACK, TIME_WAIT | rcv unacceptable ACK "
                       "| snd ACK | same | 3.10.7.4 fifth\n"
                       + CLOSING_UNACC_ROW), named=CLOSING_UNACC_ROW),
    _fix("syn_rcvd_rst_closes", "SYN_RCVD[passive] on a RST deletes the TCB instead of returning to LISTEN",
         (R_SYN_RCVD_RST, "SYN_RCVD[passive] | rcv RST            | delete TCB                 | CLOSED      | F11?")),
    _fix("two_way_handshake", "the listener is ESTABLISHED on the SYN alone (a two-way handshake)",
         (R_LISTEN_SYN, "LISTEN       | rcv SYN                 | snd SYN,ACK                | ESTABLISHED | F4")),
    _fix("no_time_wait", "TIME_WAIT skipped: FIN_WAIT_2 on the peer's FIN closes at once",
         (R_FW2_FIN, "FIN_WAIT_2   | rcv FIN                 | snd ACK; delete TCB        | CLOSED      | F16")),
    _fix("close_wait_no_close", "CLOSE_WAIT has no row for CLOSE: the passive closer can never close",
         (R_CW_CLOSE, None)),
    _fix("extra_close_row", "an extra row the reference lacks: CLOSE in FIN_WAIT_2 does nothing",
         (R_EST_CLOSE, R_EST_CLOSE + "\n" + EXTRA_ROW), named=EXTRA_ROW),
    _fix("extra_fin_wait_2_timer", "an extra row the reference lacks and the behaviour tests fire: "
         "a FIN_WAIT_2 timer (timeout 2MSL) that closes",
         (R_FW2_FIN, R_FW2_FIN + "\n" + EXTRA_TIMER_ROW), named=EXTRA_TIMER_ROW),
    _fix("partial", "two arrival rows deleted (CLOSING and LAST_ACK on the ACK of their FIN)",
         (R_CLOSING_ACK, None), (R_LAST_ACK, None)),
    _fix("time_wait_silent", "TIME_WAIT does not acknowledge a retransmitted FIN (the lost final ACK, claim C17)",
         (R_TW_RETX_FIN, "TIME_WAIT    | rcv retransmitted FIN   | -                          | same        | already acked")),
    _fix("no_third_ack", "SYN_SENT on the SYN,ACK is ESTABLISHED without sending the third segment",
         (R_SYN_SENT_SYNACK, "SYN_SENT     | rcv SYN,ACK             | -                          | ESTABLISHED | F8")),
    _fix("fin_not_acked", "ESTABLISHED goes to CLOSE_WAIT on a FIN without acknowledging it",
         (R_EST_FIN, "ESTABLISHED  | rcv FIN                 | -                          | CLOSE_WAIT  | F13")),
)}

FIXTURES["equivalent"] = Fixture("equivalent", "an equivalent rewrite: reordered, split, qualified halves, "
                                 "explicit states, other comments", equivalent_rewrite(), None, ())
