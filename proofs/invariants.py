"""The sequence-number invariants, written once for integers and for bit-vectors.

Each invariant is stated about a pair of endpoints (``X`` and its peer ``Y``,
each a :class:`Side`: TCB, whether its application has opened, data it may
still send) and about one segment in flight from a sender to a receiver.  A
global state satisfies it when the pair part holds both ways round (A, B and
B, A) and the segment part holds for every segment in flight.  The formulas
go through a domain object, so the same functions are evaluated by the z3
proofs (``proofs.domain.Symbolic``) and on every state the explorer reaches
(``model.tcb.Concrete``, see :func:`holds_in`).

Numbers are compared as offsets from the ISS of the endpoint whose sequence
space they are in (``SEG.ACK - ISS``), which is serial order (RFC 1982)
within one connection and is exact across wraparound.

It states invariants; it does not prove them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from tcpcheck.model.tcb import FIN_SENT, SYNCHRONIZED

__all__ = ["Side", "Invariant", "INVARIANTS", "DATA_LIMIT", "MAX_WINDOW", "ASSUMPTIONS", "holds_in", "sides_of"]

#: The proofs assume an application sends fewer data segments than this in one
#: connection (each carries one octet), so a connection never uses more than a
#: quarter of the sequence space, as TCP's windows and MSL also require.
DATA_LIMIT = 1 << 30

#: The largest receive window TCP can announce (RFC 7323 section 2.3: 2**16 scaled by 2**14).
MAX_WINDOW = 1 << 30

ASSUMPTIONS = (
    "each endpoint opens the connection at most once (one incarnation), with any ISS",
    f"an application sends at most {DATA_LIMIT:,} data segments of one octet each",
    f"RCV.WND is between 1 and {MAX_WINDOW:,} octets, the largest window TCP can announce "
    "(RFC 7323 section 2.3); segment classification is proved for every non-zero 32-bit window",
)

#: States in which the peer's FIN has been received (RCV.NXT is past it).
FIN_RECEIVED = ("CLOSE_WAIT", "LAST_ACK", "CLOSING", "TIME_WAIT")
#: States in which our FIN has been sent.
FIN_OUT = (*FIN_SENT, "FIN_WAIT_2", "TIME_WAIT")


class Side(NamedTuple):
    """One endpoint as the invariants see it."""

    tcb: object  # model.tcb.TCB, with integer or bit-vector fields
    opened: object  # its application has made its OPEN call
    data: object  # data segments its application may still SEND


class Invariant(NamedTuple):
    """A named invariant: a sentence, a pair part and a segment part."""

    name: str
    statement: str
    pair: Callable | None  # (D, X: Side, Y: Side) -> formula
    segment: Callable | None  # (D, seg, sender: Side, receiver: Side) -> formula


# --- vocabulary ---------------------------------------------------------------

def _has_tcb(D, t):
    return D.Not(D.in_states(t, ("CLOSED",)))


def _off(D, x, t):
    """``x`` as an offset into ``t``'s sequence space: x - ISS modulo 2**32."""
    return D.sub(x, t.iss)


def _sent(D, t):
    """How far ``t`` has sent, as an offset from its ISS: SND.NXT - ISS; in LISTEN
    (after a reset in SYN-RECEIVED) the SYN,ACK it may have sent, so 1."""
    return D.If(D.in_states(t, ("LISTEN",)), 1, _off(D, t.snd_nxt, t))


def _implies(D, a, b):
    return D.Or(D.Not(a), b)


def _seg_len(D, s):
    return D.add(D.add(s.len, D.num(s.SYN)), D.num(s.FIN))


# --- the invariants -------------------------------------------------------------

def _una_pair(D, X, Y):
    t = X.tcb
    fin = D.If(D.in_states(t, FIN_OUT), 1, 0)
    return D.And(D.ule(X.data, DATA_LIMIT), _implies(D, _has_tcb(D, t), D.And(
        D.ule(_off(D, t.snd_una, t), _off(D, t.snd_nxt, t)),
        D.ule(_off(D, t.snd_nxt, t), D.add(D.sub(DATA_LIMIT + 1, X.data), fin)))))


def _ack_pair(D, X, Y):
    return _implies(D, D.And(D.in_states(X.tcb, SYNCHRONIZED), _has_tcb(D, Y.tcb)),
                    D.ule(_off(D, X.tcb.rcv_nxt, Y.tcb), _sent(D, Y.tcb)))


def _ack_segment(D, s, sender, receiver):
    return _implies(D, D.And(s.ACK, _has_tcb(D, receiver.tcb)),
                    D.ule(_off(D, s.ack, receiver.tcb), _sent(D, receiver.tcb)))


def _rcv_pair(D, X, Y):
    x, y = X.tcb, Y.tcb
    return _implies(D, D.And(D.in_states(x, SYNCHRONIZED), _has_tcb(D, y)), D.And(
        D.eq(x.irs, y.iss),
        D.ule(1, _off(D, x.rcv_nxt, y)), D.ule(_off(D, x.rcv_nxt, y), _sent(D, y))))


def _fin_pair(D, X, Y):
    return _implies(D, D.And(D.in_states(X.tcb, FIN_RECEIVED), _has_tcb(D, Y.tcb)),
                    D.And(D.eq(X.tcb.rcv_nxt, Y.tcb.snd_nxt), D.in_states(Y.tcb, FIN_OUT)))


def _fin_segment(D, s, sender, receiver):
    return _implies(D, D.And(s.FIN, _has_tcb(D, sender.tcb)),
                    D.And(D.eq(D.add(s.seq, 1), sender.tcb.snd_nxt), D.in_states(sender.tcb, FIN_OUT)))


def _range_segment(D, s, sender, receiver):
    t = sender.tcb
    well_formed = D.And(D.ule(s.len, 1), _implies(D, D.Or(s.SYN, s.FIN, s.RST), D.eq(s.len, 0)),
                        D.Not(D.And(s.SYN, s.FIN)), _implies(D, s.RST, D.And(D.Not(s.SYN), D.Not(s.FIN))))
    return D.And(well_formed, _implies(D, D.And(D.Not(s.RST), _has_tcb(D, t)), D.And(
        D.ule(_off(D, s.seq, t), _sent(D, t)),
        D.ule(D.add(_off(D, s.seq, t), _seg_len(D, s)), _sent(D, t)),
        _implies(D, s.SYN, D.eq(s.seq, t.iss)),
        _implies(D, D.Not(s.SYN), D.Not(D.eq(s.seq, t.iss))))))


def _support_pair(D, X, Y):
    t = X.tcb
    return D.And(
        _implies(D, D.Not(X.opened), D.And(D.in_states(t, ("CLOSED",)),
                                           D.Not(D.in_states(Y.tcb, SYNCHRONIZED)))),
        _implies(D, D.in_states(t, ("SYN_SENT", "SYN_RCVD")),
                 D.And(D.eq(t.snd_una, t.iss), D.eq(t.snd_nxt, D.add(t.iss, 1)))),
        _implies(D, D.in_states(t, ("LISTEN",)),
                 D.And(D.eq(t.snd_una, t.iss), D.eq(t.snd_nxt, t.iss))),
        _implies(D, D.Not(D.in_states(t, ("CLOSED", "LISTEN"))), D.ule(1, _off(D, t.snd_nxt, t))),
        _implies(D, D.in_states(t, FIN_SENT), D.Not(D.eq(t.snd_una, t.snd_nxt))))


def _support_segment(D, s, sender, receiver):
    return D.And(_implies(D, D.Not(sender.opened), s.RST),
                 _implies(D, D.Not(receiver.opened), D.Not(s.ACK)))


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("SND.UNA never passes SND.NXT",
              "ISS =< SND.UNA =< SND.NXT in serial order (RFC 1982), for every ISS and across wraparound, "
              "and SND.NXT never runs further than the SYN, the data and the FIN",
              _una_pair, None),
    Invariant("no acknowledgment of unsent data",
              "no ACK in flight and no RCV.NXT covers a sequence number its peer has not sent",
              _ack_pair, _ack_segment),
    Invariant("RCV.NXT within the peer's sent range",
              "once synchronized, IRS is the peer's ISS and ISS+1 =< RCV.NXT =< SND.NXT of the peer",
              _rcv_pair, None),
    Invariant("the ACK of a FIN is its sequence number plus one",
              "a FIN in flight is its sender's last sequence number, and an endpoint that has "
              "received the FIN has RCV.NXT = FIN's SEQ + 1 (claim C6)",
              _fin_pair, _fin_segment),
    Invariant("segments in flight lie in their sender's sent range",
              "every segment in flight is well formed and, unless a reset, ISS =< SEG.SEQ and "
              "SEG.SEQ+SEG.LEN =< SND.NXT of its sender; a SYN carries the ISS",
              None, _range_segment),
    Invariant("supporting facts",
              "an endpoint that has not opened has sent only resets and is acknowledged by "
              "nobody; in SYN_SENT and SYN_RCVD only the SYN is outstanding; once a SYN is sent, "
              "SND.NXT is past it; in FIN_WAIT_1, CLOSING and LAST_ACK the FIN is unacknowledged",
              _support_pair, _support_segment),
)


def holds_in(D, inv: Invariant, A: Side, B: Side, flights) -> bool:
    """Whether ``inv`` holds in a state with sides A and B and segments in flight
    ``flights = (A to B, B to A)``, on a domain that answers with Python bools."""
    pairs = inv.pair is None or (inv.pair(D, A, B) and inv.pair(D, B, A))
    segs = inv.segment is None or (all(inv.segment(D, s, A, B) for s in flights[0])
                                   and all(inv.segment(D, s, B, A) for s in flights[1]))
    return bool(pairs and segs)


def sides_of(state, opens: tuple[bool, bool]) -> tuple[Side, Side]:
    """The sides of an explorer state (``model.system.State``); ``opens[i]``
    says whether endpoint i's configuration opens at all."""
    out = []
    for tcb, app, will_open in ((state.A, state.app_A, opens[0]), (state.B, state.app_B, opens[1])):
        out.append(Side(tcb, will_open and (app.open == "" or tcb.state != "CLOSED"), app.data))
    return tuple(out)
