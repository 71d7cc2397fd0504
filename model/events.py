"""Segment semantics: which RFC event an arriving segment is (RFC 9293 3.10.7).

Layer 1 of the model.  Given an endpoint's TCB and an arriving segment, this
module names the event the RFC's "SEGMENT ARRIVES" procedure makes of it:
``rcv SYN``, ``rcv ACK of FIN``, ``rcv unacceptable segment`` and so on.  Each
event is declared with a *guard* (when it applies), an *effect* (what
receiving it means for the TCB: IRS, RCV.NXT, SND.UNA) and whether processing
goes on to the segment's text and FIN.  What the endpoint then *does* (sends,
next state) is not here: that is the rule table's business.

The guards are written against a domain object (see ``tcb.Concrete``) so the
same declarations can be evaluated on integers or on z3 bit-vectors; within
one state and stage they are meant to be exhaustive and mutually exclusive,
and :func:`classify` refuses to guess when they are not.

Synchronized states process a segment in two stages, as section 3.10.7.4
does: first the sequence, RST, SYN and ACK checks (stage ``control``), then,
if the segment carries text or a FIN and the first stage let it through, the
text and FIN checks (stage ``text``).  That is how FIN-WAIT-1 reaches
TIME-WAIT on a FIN that also acknowledges our FIN (Figure 5, note 2): the
ACK moves it to FIN-WAIT-2, where the FIN is processed.

User calls and timeouts are events too; they are listed here so that the
rule table has one vocabulary, but when they are enabled is decided by the
system layer.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

from .tcb import FIN_SENT, STATES, SYNCHRONIZED, TCB, Concrete, Segment, written_out

__all__ = [
    "CALLS", "TIMERS", "CONTROL", "TEXT", "Event", "ARRIVALS",
    "arrival_events", "classify", "checked", "PLAIN_ACK_STATES", "has_text", "text_follows", "ClassificationError",
    "Refinement", "REFINEMENTS", "refined_arrivals", "refinement", "TIMER_STATES",
]

#: User calls (RFC 9293 3.10.1-3.10.5) the applications may make.
CALLS = ("passive OPEN", "active OPEN", "SEND", "CLOSE", "ABORT")

#: Timeouts (RFC 9293 3.10.8); "timeout 2MSL" is Figure 5's Timeout=2MSL.
#: "FIN_WAIT_2 timeout" is not RFC 9293's: RFC 9293 gives FIN-WAIT-2 no timer,
#: but Linux ends an orphaned FIN-WAIT-2 after net.ipv4.tcp_fin_timeout (60 s by
#: default, the length of TIME-WAIT, TCP_TIMEWAIT_LEN: tcp_close() in
#: net/ipv4/tcp.c hands the socket to tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)),
#: and so do the BSDs (tcp_timer_2msl, after TCPTV_FINWAIT2_TIMEOUT).  The
#: reference table has no row for it, so it never happens there; a table that
#: has one (the linux profile) lets it expire as 2MSL does (model/system.py).
TIMERS = ("retransmission timeout", "user timeout", "timeout 2MSL", "FIN_WAIT_2 timeout")

#: The states a timer may have a row in, for the timers bound to one state
#: (the loader refuses a row elsewhere): the others may be named anywhere.
TIMER_STATES = {"FIN_WAIT_2 timeout": ("FIN_WAIT_2",)}

CONTROL = "control"
TEXT = "text"


class Event(NamedTuple):
    """An arrival event: its name, where it applies and what it means."""

    name: str
    states: tuple[str, ...]
    stage: str
    guard: Callable  # (D, tcb, seg, rcv_wnd) -> bool
    effect: Callable | None  # (D, tcb, seg) -> tcb
    proceed: bool  # after this event, the segment's text and FIN are processed
    ref: str


class ClassificationError(RuntimeError):
    """No event, or more than one, applies: the guards are not a partition."""


# --- predicates (RFC 9293 3.4, 3.10.7) ----------------------------------------

def _seg_len(D, s):
    return D.add(D.add(s.len, D.num(s.SYN)), D.num(s.FIN))


def _in_window(D, x, t, wnd):
    """RCV.NXT =< x < RCV.NXT+RCV.WND, measured as an offset from RCV.NXT."""
    return D.ult(D.sub(x, t.rcv_nxt), wnd)


def _acceptable(D, t, s, wnd):
    """The acceptability test of Table 6 (RCV.WND > 0)."""
    n = _seg_len(D, s)
    first = _in_window(D, s.seq, t, wnd)
    last = _in_window(D, D.sub(D.add(s.seq, n), 1), t, wnd)
    return D.If(D.eq(n, 0), first, D.Or(first, last))


def _new_ack(D, t, s):
    """SND.UNA < SEG.ACK =< SND.NXT, measured as an offset from SND.UNA."""
    return D.And(D.Not(D.eq(s.ack, t.snd_una)),
                 D.ule(D.sub(s.ack, t.snd_una), D.sub(t.snd_nxt, t.snd_una)))


def _unsent_ack(D, t, s):
    """SEG.ACK > SND.NXT: it acknowledges something not yet sent."""
    return D.And(D.Not(_new_ack(D, t, s)), D.lt(t.snd_nxt, s.ack))


def checked(D, t, s, wnd):
    """Acceptable, no RST, no SYN, ACK on: what reaches the ACK check proper."""
    return D.And(_acceptable(D, t, s, wnd), D.Not(s.RST), D.Not(s.SYN), s.ACK)


def _acks_fin(D, t, s):
    return D.And(_new_ack(D, t, s), D.eq(s.ack, t.snd_nxt))


def _retransmitted_fin(D, t, s, wnd):
    return D.And(D.Not(_acceptable(D, t, s, wnd)), D.Not(s.RST), s.FIN,
                 D.eq(D.add(s.seq, 1), t.rcv_nxt))


def _in_order_data(D, t, s, wnd):
    return D.And(D.Not(D.eq(s.len, 0)), D.eq(s.seq, t.rcv_nxt))


def text_follows(ev: "Event", stage: str, state_after: str) -> bool:
    """Whether, after ``ev`` at ``stage`` left the TCB in ``state_after``, the
    segment goes on to the text stage (when it carries text or a FIN: :func:`has_text`)."""
    return stage == CONTROL and ev.proceed and state_after != "CLOSED"


def has_text(D, s):
    """Whether the text stage applies: the segment carries data or a FIN."""
    return D.Or(D.Not(D.eq(s.len, 0)), s.FIN)


# --- effects: what receiving the event means for the TCB ---------------------

def _record_syn(D, t: TCB, s: Segment) -> TCB:
    """IRS <- SEG.SEQ, RCV.NXT <- SEG.SEQ+1."""
    return t._replace(irs=s.seq, rcv_nxt=D.add(s.seq, 1))


def _record_syn_ack(D, t: TCB, s: Segment) -> TCB:
    """As for SYN, and SND.UNA <- SEG.ACK (our SYN is acknowledged)."""
    return _record_syn(D, t, s)._replace(snd_una=s.ack)


def _take_ack(D, t: TCB, s: Segment) -> TCB:
    """SND.UNA <- SEG.ACK when it acknowledges something new."""
    return t._replace(snd_una=D.If(_new_ack(D, t, s), s.ack, t.snd_una))


def _take_text(D, t: TCB, s: Segment) -> TCB:
    """Advance RCV.NXT over the data accepted."""
    return t._replace(rcv_nxt=D.add(t.rcv_nxt, s.len))


def _take_ack_of_syn(D, t: TCB, s: Segment) -> TCB:
    """SND.UNA <- SEG.ACK: the crossing SYN,ACK acknowledges our SYN."""
    return t._replace(snd_una=s.ack)


def _take_fin(D, t: TCB, s: Segment) -> TCB:
    """Advance RCV.NXT over the FIN (a FIN occupies one sequence number)."""
    return t._replace(rcv_nxt=D.add(t.rcv_nxt, 1))


# --- the declarations ---------------------------------------------------------

_SYNC = SYNCHRONIZED
PLAIN_ACK_STATES = tuple(x for x in _SYNC if x != "SYN_RCVD" and x not in FIN_SENT)
# SYN-RECEIVED has no text stage: the only ACK it lets through moves it to ESTABLISHED.
_TEXT_STATES = tuple(x for x in _SYNC if x != "SYN_RCVD")
# States that accept text (3.10.7.4 seventh); the others have received a FIN and ignore it.
_ACCEPTS_TEXT = ("ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2")


def _E(name, states, stage, guard, effect=None, proceed=False, ref=""):
    return Event(name, tuple(states), stage, guard, effect, proceed, ref)


ARRIVALS: tuple[Event, ...] = (
    # CLOSED (3.10.7.1): all data is discarded; a reset answers anything but a reset.
    _E("rcv RST", ["CLOSED"], CONTROL, lambda D, t, s, w: s.RST, ref="3.10.7.1"),
    _E("rcv segment with ACK", ["CLOSED"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), s.ACK), ref="3.10.7.1"),
    _E("rcv segment without ACK", ["CLOSED"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), D.Not(s.ACK)), ref="3.10.7.1"),

    # LISTEN (3.10.7.2): checks in order RST, ACK, SYN, other.
    _E("rcv RST", ["LISTEN"], CONTROL, lambda D, t, s, w: s.RST, ref="3.10.7.2"),
    _E("rcv segment with ACK", ["LISTEN"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), s.ACK), ref="3.10.7.2"),
    _E("rcv SYN", ["LISTEN"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), D.Not(s.ACK), s.SYN), _record_syn, ref="3.10.7.2"),
    _E("rcv other segment", ["LISTEN"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), D.Not(s.ACK), D.Not(s.SYN)), ref="3.10.7.2"),

    # SYN-SENT (3.10.7.3): checks in order ACK, RST, SYN.  Here SND.UNA = ISS,
    # so "ISS < SEG.ACK =< SND.NXT" is the new-ACK test.
    _E("rcv unacceptable ACK", ["SYN_SENT"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), s.ACK, D.Not(_new_ack(D, t, s))), ref="3.10.7.3"),
    _E("rcv unacceptable RST", ["SYN_SENT"], CONTROL,
       lambda D, t, s, w: D.And(s.RST, D.Or(D.Not(s.ACK), D.Not(_new_ack(D, t, s)))),
       ref="3.10.7.3"),
    _E("rcv RST", ["SYN_SENT"], CONTROL,
       lambda D, t, s, w: D.And(s.RST, s.ACK, _new_ack(D, t, s)), ref="3.10.7.3"),
    _E("rcv SYN,ACK", ["SYN_SENT"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), s.SYN, s.ACK, _new_ack(D, t, s)),
       _record_syn_ack, ref="3.10.7.3"),
    _E("rcv SYN", ["SYN_SENT"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), s.SYN, D.Not(s.ACK)), _record_syn, ref="3.10.7.3"),
    _E("rcv other segment", ["SYN_SENT"], CONTROL,
       lambda D, t, s, w: D.And(D.Not(s.RST), D.Not(s.SYN),
                                D.Or(D.Not(s.ACK), _new_ack(D, t, s))), ref="3.10.7.3"),

    # Synchronized states (3.10.7.4), first the sequence number check ...
    _E("rcv unacceptable segment", _SYNC, CONTROL,
       lambda D, t, s, w: D.And(D.Not(_acceptable(D, t, s, w)), D.Not(s.RST),
                                D.Not(_retransmitted_fin(D, t, s, w))), ref="3.10.7.4 first"),
    _E("rcv retransmitted FIN", _SYNC, CONTROL, _retransmitted_fin, ref="3.10.7.4 first, TIME-WAIT"),
    _E("rcv unacceptable RST", _SYNC, CONTROL,
       lambda D, t, s, w: D.And(D.Not(_acceptable(D, t, s, w)), s.RST), ref="3.10.7.4 first"),
    # ... then the RST bit, as RFC 5961 section 3 has it ...
    _E("rcv RST", _SYNC, CONTROL,
       lambda D, t, s, w: D.And(_acceptable(D, t, s, w), s.RST, D.eq(s.seq, t.rcv_nxt)),
       ref="3.10.7.4 second"),
    _E("rcv RST in window", _SYNC, CONTROL,
       lambda D, t, s, w: D.And(_acceptable(D, t, s, w), s.RST, D.Not(D.eq(s.seq, t.rcv_nxt))),
       ref="3.10.7.4 second"),
    # ... the SYN bit ...
    _E("rcv SYN", _SYNC, CONTROL,
       lambda D, t, s, w: D.And(_acceptable(D, t, s, w), D.Not(s.RST), s.SYN), ref="3.10.7.4 fourth"),
    # ... and the ACK field.
    _E("rcv segment without ACK", _SYNC, CONTROL,
       lambda D, t, s, w: D.And(_acceptable(D, t, s, w), D.Not(s.RST), D.Not(s.SYN), D.Not(s.ACK)),
       ref="3.10.7.4 fifth"),
    _E("rcv ACK of SYN", ["SYN_RCVD"], CONTROL,
       lambda D, t, s, w: D.And(checked(D, t, s, w), _new_ack(D, t, s)), _take_ack, True,
       ref="3.10.7.4 fifth, SYN-RECEIVED"),
    _E("rcv unacceptable ACK", ["SYN_RCVD"], CONTROL,
       lambda D, t, s, w: D.And(checked(D, t, s, w), D.Not(_new_ack(D, t, s))),
       ref="3.10.7.4 fifth, SYN-RECEIVED"),
    _E("rcv unacceptable ACK", [x for x in _SYNC if x != "SYN_RCVD"], CONTROL,
       lambda D, t, s, w: D.And(checked(D, t, s, w), _unsent_ack(D, t, s)),
       ref="3.10.7.4 fifth, ESTABLISHED"),
    _E("rcv ACK of FIN", FIN_SENT, CONTROL,
       lambda D, t, s, w: D.And(checked(D, t, s, w), _acks_fin(D, t, s)), _take_ack, True,
       ref="3.10.7.4 fifth"),
    _E("rcv ACK", FIN_SENT, CONTROL,
       lambda D, t, s, w: D.And(checked(D, t, s, w), D.Not(_unsent_ack(D, t, s)),
                                D.Not(_acks_fin(D, t, s))), _take_ack, True,
       ref="3.10.7.4 fifth"),
    _E("rcv ACK", PLAIN_ACK_STATES, CONTROL,
       lambda D, t, s, w: D.And(checked(D, t, s, w), D.Not(_unsent_ack(D, t, s))), _take_ack, True,
       ref="3.10.7.4 fifth"),

    # Synchronized states, second stage: the segment text and the FIN bit.
    _E("rcv data", _ACCEPTS_TEXT, TEXT, _in_order_data, _take_text, ref="3.10.7.4 seventh"),
    _E("rcv data", [x for x in _TEXT_STATES if x not in _ACCEPTS_TEXT], TEXT, _in_order_data,
       ref="3.10.7.4 seventh (a FIN was received: the text is ignored, RCV.NXT stays)"),
    _E("rcv FIN", _TEXT_STATES, TEXT,
       lambda D, t, s, w: D.And(D.eq(s.len, 0), s.FIN, D.eq(s.seq, t.rcv_nxt)), _take_fin,
       ref="3.10.7.4 eighth"),
    _E("rcv out-of-order segment", _TEXT_STATES, TEXT,
       lambda D, t, s, w: D.And(has_text(D, s), D.Not(D.eq(s.seq, t.rcv_nxt))),
       ref="3.10.7.4 first (held or dropped; here dropped)"),
)


# --- refinements: events a table may use to split an RFC event in one state ---------

class Refinement(NamedTuple):
    """An arrival event finer than RFC 9293's, for tables that part from it.

    ``event`` applies in its states at its stage where its guard holds, and
    takes those segments away from the RFC events named in ``narrows`` (its
    guard holds only where one of theirs does, so the events still partition
    the segments).  A table that has no row for it runs with the RFC's events
    unchanged: the reference table and every student table never see it."""

    event: Event
    narrows: tuple[str, ...]


def _syn_above_rcv_nxt(D, t, s, w):
    """A SYN (no ACK, no RST) whose SEG.SEQ is beyond RCV.NXT (serial order)."""
    return D.And(s.SYN, D.Not(s.ACK), D.Not(s.RST), D.lt(t.rcv_nxt, s.seq))


def _retransmitted_syn(D, t, s, w):
    """The peer's SYN again: SEG.SEQ = IRS (= RCV.NXT-1 in SYN-RECEIVED), no ACK, no RST,
    no text.  (Linux takes one with text too and drops the text; here a SYN with text
    that reaches into the window stays RFC 9293's 'rcv SYN', so the events still
    partition the segments: proved by tcpcheck prove --profile linux, SEG1.)"""
    return D.And(s.SYN, D.Not(s.ACK), D.Not(s.RST), D.Not(s.FIN), D.eq(s.len, 0),
                 D.eq(D.add(s.seq, 1), t.rcv_nxt))


def _crossing_syn_ack(D, t, s, w):
    """The peer's SYN,ACK of a simultaneous open: at an actively opened endpoint,
    SEG.SEQ = IRS, SEG.ACK = SND.NXT, no text.  (A passive SYN-RECEIVED is Linux's
    request socket, whose tcp_check_req() finds the segment out of the window: for
    it the segment stays RFC 9293's unacceptable one.)"""
    return D.And(D.Not(t.passive), s.SYN, s.ACK, D.Not(s.RST), D.Not(s.FIN), D.eq(s.len, 0),
                 D.eq(D.add(s.seq, 1), t.rcv_nxt), D.eq(s.ack, t.snd_nxt))


#: The refinements a rule table may name (the linux profile does, model/linux.rules).
REFINEMENTS: tuple[Refinement, ...] = (
    # RFC 9293 3.6.1 (MAY-2), RFC 1122 4.2.2.13, RFC 6191: a new SYN may reopen the
    # connection from TIME-WAIT.  Linux: tcp_timewait_state_process() in
    # net/ipv4/tcp_minisocks.c returns TCP_TW_SYN for a SYN without RST or ACK
    # whose SEG.SEQ is after the TIME-WAIT socket's RCV.NXT (or whose timestamp is
    # newer), and tcp_v4_rcv() gives it to the listener.  Within the window it is
    # RFC 9293's 'rcv SYN', beyond it 'rcv unacceptable segment'.  It has no effect
    # of its own: the new connection's action records the SYN (actions.py), so a
    # row that only acknowledges it leaves the TIME-WAIT TCB as it was.
    Refinement(_E("rcv SYN above RCV.NXT", ["TIME_WAIT"], CONTROL, _syn_above_rcv_nxt,
                  ref="3.6.1 (MAY-2); RFC 6191"),
               ("rcv unacceptable segment", "rcv SYN")),
    # The peer's SYN again in SYN-RECEIVED (its SYN,ACK was lost or is slow): out of
    # the window, so RFC 9293 answers it with an ACK.  Linux's tcp_check_req()
    # (net/ipv4/tcp_minisocks.c, "Check for pure retransmitted SYN") sends the
    # SYN,ACK again instead (inet_rtx_syn_ack()).
    Refinement(_E("rcv retransmitted SYN", ["SYN_RCVD"], CONTROL, _retransmitted_syn,
                  ref="3.10.7.4 first (an unacceptable segment)"),
               ("rcv unacceptable segment",)),
    # A simultaneous open: in SYN-RECEIVED the peer's SYN,ACK carries SEG.SEQ =
    # IRS = RCV.NXT-1 and so fails the sequence check (3.10.7.4 first), though
    # Figure 7 shows it taking the endpoint to ESTABLISHED.  Linux (since 6.10,
    # commit 23e89e8ee7be, "tcp: Don't drop SYN+ACK for simultaneous connect()")
    # lets it through tcp_validate_incoming() and takes its ACK.
    Refinement(_E("rcv crossing SYN,ACK", ["SYN_RCVD"], CONTROL, _crossing_syn_ack, _take_ack_of_syn,
                  ref="3.10.7.4 first; Figure 7"),
               ("rcv unacceptable segment",)),
)

_REFINED = {(s, r.event.name): r for r in REFINEMENTS for s in r.event.states}


def refinement(state: str, name: str) -> Refinement | None:
    """The refinement called ``name`` in ``state``, or None."""
    return _REFINED.get((state, name))


def refined_arrivals(used, arrivals: tuple[Event, ...] = ARRIVALS) -> tuple[Event, ...]:
    """``arrivals`` with the refinements named in ``used`` ((state, event name)
    pairs) split out: in each such state the events a refinement narrows lose
    its segments, and the refinement follows the first of them.  With nothing
    used, ``arrivals`` itself.  The same pairs give the same tuple (cached)."""
    return _refined(frozenset(used), arrivals)


@functools.lru_cache(maxsize=64)
def _refined(used: frozenset, arrivals: tuple[Event, ...]) -> tuple[Event, ...]:
    cut: dict[tuple[str, str], list[Refinement]] = {}
    for state, name in sorted(set(used)):
        r = refinement(state, name)
        if r is not None:
            for base in r.narrows:
                cut.setdefault((state, base), []).append(r)
    if not cut:
        return arrivals
    out, placed = [], set()
    for e in arrivals:
        here = tuple(s for s in e.states if (s, e.name) in cut)
        if not here:
            out.append(e)
            continue
        if len(here) < len(e.states):
            out.append(e._replace(states=tuple(s for s in e.states if s not in here)))
        for s in here:
            refs = tuple(cut[(s, e.name)])
            out.append(e._replace(states=(s,), guard=_without(e.guard, refs)))
            for r in refs:
                if (s, r.event.name) not in placed:
                    placed.add((s, r.event.name))
                    out.append(r.event._replace(states=(s,)))
    return tuple(out)


def _without(guard, refs: tuple[Refinement, ...]):
    def narrowed(D, t, s, w):
        return D.And(guard(D, t, s, w), *(D.Not(r.event.guard(D, t, s, w)) for r in refs))
    return narrowed


@functools.lru_cache(maxsize=None)
def _index(arrivals: tuple[Event, ...]) -> dict[tuple[str, str], tuple[Event, ...]]:
    return {(state, stage): tuple(e for e in arrivals if state in e.states and e.stage == stage)
            for state in STATES for stage in (CONTROL, TEXT)}


@functools.lru_cache(maxsize=None)
def _written_guards(arrivals: tuple[Event, ...]) -> dict[tuple[str, str], tuple[tuple[Event, Callable], ...]]:
    """:func:`_index` with each event's guard as a function of (TCB, segment,
    RCV.WND) on integers: written out as Python where it can be, else the
    guard itself on ``Concrete``."""
    def holds(e):
        return written_out(e.guard, "t", "s", "w", name=e.name) or (
            lambda t, s, w, guard=e.guard: bool(guard(Concrete, t, s, w)))
    written = {e: holds(e) for e in arrivals}
    return {key: tuple((e, written[e]) for e in events) for key, events in _index(arrivals).items()}


def arrival_events(state: str, stage: str = CONTROL, arrivals: tuple[Event, ...] = ARRIVALS) -> tuple[Event, ...]:
    """The arrival events declared for ``state`` at ``stage``, in declaration order
    (of ``arrivals``: this module's, unless a variant of the semantics is given).

    >>> [e.name for e in arrival_events("LISTEN")]
    ['rcv RST', 'rcv segment with ACK', 'rcv SYN', 'rcv other segment']
    """
    return _index(arrivals)[(state, stage)]


def classify(stage: str, tcb: TCB, seg: Segment, rcv_wnd: int, D=Concrete,
             arrivals: tuple[Event, ...] = ARRIVALS) -> Event:
    """The one event that ``seg`` arriving at ``tcb`` is, at ``stage``.

    Raises :class:`ClassificationError` when no event or several apply.
    On integers (``Concrete``) each guard is asked written out as Python
    (:func:`model.tcb.written_out`), which answers as the guard does.
    """
    if D is Concrete:
        found = [e for e, holds in _written_guards(arrivals)[(tcb.state, stage)] if holds(tcb, seg, rcv_wnd)]
    else:
        found = [e for e in _index(arrivals)[(tcb.state, stage)] if e.guard(D, tcb, seg, rcv_wnd)]
    if len(found) != 1:
        names = ", ".join(e.name for e in found) or "none"
        raise ClassificationError(
            f"{tcb.state}: segment {seg} matches {names} at stage {stage}")
    return found[0]
