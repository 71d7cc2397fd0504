"""The sequence-number invariants, each fact written once, for the checker and for the proofs.

A :class:`Fact` is one clause, stated over a domain object ``D``: about a
pair of endpoints (``X`` and its peer ``Y``, each a :class:`Side`: TCB,
whether its application has opened, data it may still send) or about one
segment in flight from a sender to a receiver.  A state satisfies it when
the pair clause holds both ways round (A, B and B, A) and the segment clause
for every segment in flight.  The same function is evaluated on Python
integers (``model.tcb.Concrete``: on every state the explorer reaches, by
the invariant properties of :mod:`model.properties`) and on z3 bit-vectors
(``proofs.domain.Symbolic``: the inductive invariants of the proofs).

Facts are grouped twice, from the same objects:

* :data:`CHECKED`, the invariants ``tcpcheck check`` reports (INV1-INV4):
  each fact there says, when it fails, why (a template of :data:`REASONS`
  and the numbers of the state).  They hold in every run the explorer makes,
  whatever the configuration: with several incarnations (``opens``) a
  segment of an earlier connection may still be in flight, and a LISTEN
  may already hold the next ISS.
* :data:`INVARIANTS`, the inductive invariants ``tcpcheck prove`` proves
  (IND1-IND6): every fact of :data:`CHECKED`, and the facts that hold only
  under the proofs' :data:`ASSUMPTIONS` (one incarnation, bounded data),
  which a run of the explorer need not meet and the checker does not check
  (``Fact.runs`` is False).

Numbers are compared as offsets from the ISS of the endpoint whose sequence
space they are in (``SEG.ACK - ISS``), which is serial order (RFC 1982)
within one connection and is exact across wraparound (RFC 9293 section 3.4).

It states invariants; it neither checks nor proves them, and needs no z3.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, NamedTuple

from .tcb import FIN_SENT, SYNCHRONIZED, Concrete, written_out

__all__ = ["Side", "Fact", "Invariant", "CHECKED", "INVARIANTS", "REASONS", "DATA_LIMIT", "MAX_WINDOW",
           "ASSUMPTIONS", "FIN_RECEIVED", "FIN_OUT", "has_tcb", "implies", "violation", "checker", "compiled", "holds_in",
           "sides_of"]

#: The proofs assume an application sends fewer data segments than this in one
#: connection (each carries one octet), so a connection never uses more than a
#: quarter of the sequence space, as TCP's windows and MSL also require.
DATA_LIMIT = 1 << 30

#: The largest receive window TCP can announce (RFC 7323 section 2.3: 2**16 scaled by 2**14).
MAX_WINDOW = 1 << 30

#: What the proofs assume, and the facts with ``runs=False`` rest on.
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
#: States without a sequence space of their own on the wire: no TCB, or a LISTEN
#: (which may already hold the ISS of a later incarnation).
_NOT_SENDING = ("CLOSED", "LISTEN")

#: Why a checked fact fails, one English template each, by name (the
#: checker's reasons; :data:`model.properties.REASONS` includes them).
REASONS: dict[str, str] = {
    "acks-beyond-sent": "{x}.RCV.NXT={rcv_nxt} acknowledges beyond {y}.SND.NXT={snd_nxt}",
    "ack-in-flight-beyond-sent": "segment in flight {x}->{y} has ACK={ack}, beyond {y}.SND.NXT={snd_nxt}",
    "irs-is-not-peer-iss": "{x}.IRS={irs} but {y}.ISS={iss}",
    "rcv-nxt-outside": "{x}.RCV.NXT={rcv_nxt} is outside [{y}.ISS+1, {y}.SND.NXT] = [{lo}, {hi}]",
    "snd-una-outside": "{x}.SND.UNA={snd_una} is outside [{x}.ISS, {x}.SND.NXT] = [{iss}, {snd_nxt}]",
    "established-on-old-syn": "{x} is ESTABLISHED with IRS={irs}, but {y}'s connection has ISS={iss}",
}


class Side(NamedTuple):
    """One endpoint as the invariants see it."""

    tcb: object  # model.tcb.TCB, with integer or bit-vector fields
    opened: object  # its application has made its OPEN call
    data: object  # data segments its application may still SEND


class Fact(NamedTuple):
    """One clause of an invariant, written once over a domain object.

    ``holds`` is ``(D, X, Y) -> formula`` for a ``pair`` fact, ``(D, seg,
    sender, receiver) -> formula`` for a ``segment`` fact.  A fact with
    ``runs`` holds in every run of the explorer and is checked there: it reads
    only TCBs and segments, and ``why`` names its reason in :data:`REASONS`,
    filled in by ``facts`` (``(D, x, X, y, Y)`` for a pair, ``(D, x, y, seg, X,
    Y)`` for a segment, ``x`` and ``y`` the endpoints' names).  One without
    ``runs`` rests on the proofs' :data:`ASSUMPTIONS` and is only proved."""

    part: str  # "pair" or "segment"
    holds: Callable
    runs: bool = False
    why: str = ""
    facts: Callable | None = None


class Invariant(NamedTuple):
    """A named invariant: a stable short id, a sentence and its facts."""

    id: str
    name: str
    statement: str
    facts: tuple[Fact, ...]

    @property
    def pair(self) -> Callable | None:
        """The pair part, ``(D, X, Y) -> formula``: its pair facts together; None if none."""
        return _conjoined([f.holds for f in self.facts if f.part == "pair"])

    @property
    def segment(self) -> Callable | None:
        """The segment part, ``(D, seg, sender, receiver) -> formula``; None if none."""
        return _conjoined([f.holds for f in self.facts if f.part == "segment"])


def _conjoined(parts: list[Callable]) -> Callable | None:
    if len(parts) <= 1:
        return parts[0] if parts else None
    return lambda D, *args: D.And(*[p(D, *args) for p in parts])


# --- vocabulary ---------------------------------------------------------------

def has_tcb(D, t):
    return D.Not(D.in_states(t, ("CLOSED",)))


def _off(D, x, t):
    """``x`` as an offset into ``t``'s sequence space: x - ISS modulo 2**32."""
    return D.sub(x, t.iss)


def _sent(D, t):
    """How far ``t`` has sent, as an offset from its ISS: SND.NXT - ISS; in LISTEN
    (after a reset in SYN-RECEIVED) the SYN,ACK it may have sent, so 1."""
    return D.If(D.in_states(t, ("LISTEN",)), 1, _off(D, t.snd_nxt, t))


def implies(D, a, b):
    return D.Or(D.Not(a), b)


def _synchronized(D, side):
    return D.in_states(side.tcb, SYNCHRONIZED)


def _sending(D, t):
    return D.Not(D.in_states(t, _NOT_SENDING))


def _seg_len(D, s):
    return D.add(D.add(s.len, D.num(s.SYN)), D.num(s.FIN))


# --- no acknowledgment of unsent data ---------------------------------------------

def _ack_rcv_nxt(D, X, Y):
    """RCV.NXT acknowledges only what the peer has sent."""
    return implies(D, D.And(_synchronized(D, X), _sending(D, Y.tcb)),
                   D.ule(_off(D, X.tcb.rcv_nxt, Y.tcb), _off(D, Y.tcb.snd_nxt, Y.tcb)))


def _ack_rcv_nxt_listen(D, X, Y):
    """... and of a peer in LISTEN at most its SYN (one incarnation: a LISTEN may hold a new ISS)."""
    return implies(D, D.And(_synchronized(D, X), D.in_states(Y.tcb, ("LISTEN",))),
                   D.ule(_off(D, X.tcb.rcv_nxt, Y.tcb), 1))


def _ack_in_flight(D, s, sender, receiver):
    """An ACK in flight (not a reset's) acknowledges only what its receiver has sent."""
    r = receiver.tcb
    return implies(D, D.And(s.ACK, D.Not(s.RST), _sending(D, r)),
                   D.ule(_off(D, s.ack, r), _off(D, r.snd_nxt, r)))


def _ack_in_flight_rest(D, s, sender, receiver):
    """... and so does a reset's, and one to a LISTEN (one incarnation: an old reset may ack an old ISS)."""
    r = receiver.tcb
    return implies(D, D.And(s.ACK, has_tcb(D, r), D.Or(s.RST, D.in_states(r, ("LISTEN",)))),
                   D.ule(_off(D, s.ack, r), _sent(D, r)))


ACK_RCV_NXT = Fact("pair", _ack_rcv_nxt, True, "acks-beyond-sent",
                   lambda D, x, X, y, Y: dict(x=x, rcv_nxt=X.tcb.rcv_nxt, y=y, snd_nxt=Y.tcb.snd_nxt))
ACK_IN_FLIGHT = Fact("segment", _ack_in_flight, True, "ack-in-flight-beyond-sent",
                     lambda D, x, y, s, X, Y: dict(x=x, y=y, ack=s.ack, snd_nxt=Y.tcb.snd_nxt))


# --- RCV.NXT within the peer's sent range ----------------------------------------------

def _irs_is_peer_iss(D, X, Y):
    return implies(D, D.And(_synchronized(D, X), _synchronized(D, Y)), D.eq(X.tcb.irs, Y.tcb.iss))


def _rcv_nxt_inside(D, X, Y):
    o = _off(D, X.tcb.rcv_nxt, Y.tcb)
    return implies(D, D.And(_synchronized(D, X), _synchronized(D, Y)),
                   D.And(D.ule(1, o), D.ule(o, _off(D, Y.tcb.snd_nxt, Y.tcb))))


def _rcv_nxt_before_peer_synchronized(D, X, Y):
    """The same while the peer is in SYN_SENT or LISTEN (one incarnation)."""
    x, y = X.tcb, Y.tcb
    o = _off(D, x.rcv_nxt, y)
    return implies(D, D.And(_synchronized(D, X), has_tcb(D, y), D.Not(_synchronized(D, Y))),
                   D.And(D.eq(x.irs, y.iss), D.ule(1, o), D.ule(o, _sent(D, y))))


def _established_on_current_syn(D, X, Y):
    return implies(D, D.And(D.in_states(X.tcb, ("ESTABLISHED",)), _sending(D, Y.tcb)), D.eq(X.tcb.irs, Y.tcb.iss))


IRS_IS_PEER_ISS = Fact("pair", _irs_is_peer_iss, True, "irs-is-not-peer-iss",
                       lambda D, x, X, y, Y: dict(x=x, irs=X.tcb.irs, y=y, iss=Y.tcb.iss))
RCV_NXT_INSIDE = Fact("pair", _rcv_nxt_inside, True, "rcv-nxt-outside",
                      lambda D, x, X, y, Y: dict(x=x, rcv_nxt=X.tcb.rcv_nxt, y=y, lo=D.add(Y.tcb.iss, 1),
                                                 hi=Y.tcb.snd_nxt))
ESTABLISHED_ON_CURRENT_SYN = Fact("pair", _established_on_current_syn, True, "established-on-old-syn",
                                  lambda D, x, X, y, Y: dict(x=x, irs=X.tcb.irs, y=y, iss=Y.tcb.iss))


# --- SND.UNA never passes SND.NXT ----------------------------------------------------------

def _una_inside(D, X, Y):
    t = X.tcb
    return implies(D, has_tcb(D, t), D.ule(_off(D, t.snd_una, t), _off(D, t.snd_nxt, t)))


def _data_bounded(D, X, Y):
    """SND.NXT never runs further than the SYN, the data and the FIN (bounded data)."""
    t = X.tcb
    fin = D.If(D.in_states(t, FIN_OUT), 1, 0)
    return D.And(D.ule(X.data, DATA_LIMIT), implies(D, has_tcb(D, t), D.ule(
        _off(D, t.snd_nxt, t), D.add(D.sub(DATA_LIMIT + 1, X.data), fin))))


UNA_INSIDE = Fact("pair", _una_inside, True, "snd-una-outside",
                  lambda D, x, X, y, Y: dict(x=x, snd_una=X.tcb.snd_una, iss=X.tcb.iss, snd_nxt=X.tcb.snd_nxt))


# --- proved only: FINs, segment ranges, supporting facts ----------------------------------------

def _fin_pair(D, X, Y):
    return implies(D, D.And(D.in_states(X.tcb, FIN_RECEIVED), has_tcb(D, Y.tcb)),
                   D.And(D.eq(X.tcb.rcv_nxt, Y.tcb.snd_nxt), D.in_states(Y.tcb, FIN_OUT)))


def _fin_segment(D, s, sender, receiver):
    return implies(D, D.And(s.FIN, has_tcb(D, sender.tcb)),
                   D.And(D.eq(D.add(s.seq, 1), sender.tcb.snd_nxt), D.in_states(sender.tcb, FIN_OUT)))


def _range_segment(D, s, sender, receiver):
    t = sender.tcb
    well_formed = D.And(D.ule(s.len, 1), implies(D, D.Or(s.SYN, s.FIN, s.RST), D.eq(s.len, 0)),
                        D.Not(D.And(s.SYN, s.FIN)), implies(D, s.RST, D.And(D.Not(s.SYN), D.Not(s.FIN))))
    return D.And(well_formed, implies(D, D.And(D.Not(s.RST), has_tcb(D, t)), D.And(
        D.ule(_off(D, s.seq, t), _sent(D, t)),
        D.ule(D.add(_off(D, s.seq, t), _seg_len(D, s)), _sent(D, t)),
        implies(D, s.SYN, D.eq(s.seq, t.iss)),
        implies(D, D.Not(s.SYN), D.Not(D.eq(s.seq, t.iss))))))


def _support_pair(D, X, Y):
    t = X.tcb
    return D.And(
        implies(D, D.Not(X.opened), D.And(D.in_states(t, ("CLOSED",)),
                                          D.Not(D.in_states(Y.tcb, SYNCHRONIZED)))),
        implies(D, D.in_states(t, ("SYN_SENT", "SYN_RCVD")),
                D.And(D.eq(t.snd_una, t.iss), D.eq(t.snd_nxt, D.add(t.iss, 1)))),
        implies(D, D.in_states(t, ("LISTEN",)),
                D.And(D.eq(t.snd_una, t.iss), D.eq(t.snd_nxt, t.iss))),
        implies(D, D.Not(D.in_states(t, ("CLOSED", "LISTEN"))), D.ule(1, _off(D, t.snd_nxt, t))),
        implies(D, D.in_states(t, FIN_SENT), D.Not(D.eq(t.snd_una, t.snd_nxt))))


def _support_segment(D, s, sender, receiver):
    return D.And(implies(D, D.Not(sender.opened), s.RST),
                 implies(D, D.Not(receiver.opened), D.Not(s.ACK)))


# --- the two groupings ------------------------------------------------------------------

#: The invariants ``tcpcheck check`` reports, in its order: the facts that hold in every run.
CHECKED: tuple[Invariant, ...] = (
    Invariant("INV1", "no acknowledgment of unsent data",
              "No endpoint's RCV.NXT, and no ACK in flight, acknowledges a sequence number "
              "its peer has not sent (it lies within [peer ISS, peer SND.NXT]).", (ACK_RCV_NXT, ACK_IN_FLIGHT)),
    Invariant("INV2", "RCV.NXT within the peer's sent range",
              "When both endpoints are synchronized, each one's IRS is the other's ISS and its "
              "RCV.NXT lies between the other's ISS+1 and SND.NXT.", (IRS_IS_PEER_ISS, RCV_NXT_INSIDE)),
    Invariant("INV3", "SND.UNA within [ISS, SND.NXT]",
              "An endpoint never considers acknowledged more than it sent, nor less than its ISS.",
              (UNA_INSIDE,)),
    Invariant("INV4", "ESTABLISHED only on the peer's current SYN",
              "An endpoint in ESTABLISHED has as IRS the ISS of its peer's current connection, "
              "whenever the peer has one (is neither CLOSED nor LISTEN).", (ESTABLISHED_ON_CURRENT_SYN,)),
)

#: The inductive invariants ``tcpcheck prove`` proves together, in its order: every
#: checked fact, and those that rest on the proofs' assumptions.
INVARIANTS: tuple[Invariant, ...] = (
    Invariant("IND1", "SND.UNA never passes SND.NXT",
              "ISS =< SND.UNA =< SND.NXT in serial order (RFC 1982), for every ISS and across wraparound, "
              "and SND.NXT never runs further than the SYN, the data and the FIN",
              (UNA_INSIDE, Fact("pair", _data_bounded))),
    Invariant("IND2", "no acknowledgment of unsent data",
              "no ACK in flight and no RCV.NXT covers a sequence number its peer has not sent",
              (ACK_RCV_NXT, Fact("pair", _ack_rcv_nxt_listen), ACK_IN_FLIGHT, Fact("segment", _ack_in_flight_rest))),
    Invariant("IND3", "RCV.NXT within the peer's sent range",
              "once synchronized, IRS is the peer's ISS and ISS+1 =< RCV.NXT =< SND.NXT of the peer "
              "(so an ESTABLISHED endpoint's IRS is its peer's current ISS)",
              (IRS_IS_PEER_ISS, RCV_NXT_INSIDE, Fact("pair", _rcv_nxt_before_peer_synchronized),
               ESTABLISHED_ON_CURRENT_SYN)),
    Invariant("IND4", "the ACK of a FIN is its sequence number plus one",
              "a FIN in flight is its sender's last sequence number, and an endpoint that has "
              "received the FIN has RCV.NXT = FIN's SEQ + 1 (claim C6)",
              (Fact("pair", _fin_pair), Fact("segment", _fin_segment))),
    Invariant("IND5", "segments in flight lie in their sender's sent range",
              "every segment in flight is well formed and, unless a reset, ISS =< SEG.SEQ and "
              "SEG.SEQ+SEG.LEN =< SND.NXT of its sender; a SYN carries the ISS",
              (Fact("segment", _range_segment),)),
    Invariant("IND6", "supporting facts",
              "an endpoint that has not opened has sent only resets and is acknowledged by "
              "nobody; in SYN_SENT and SYN_RCVD only the SYN is outstanding; once a SYN is sent, "
              "SND.NXT is past it; in FIN_WAIT_1, CLOSING and LAST_ACK the FIN is unacknowledged",
              (Fact("pair", _support_pair), Fact("segment", _support_segment))),
)


# --- evaluation on integers ---------------------------------------------------------------

def _pair_why(D, inv: Invariant, x, X: Side, y, Y: Side):
    for f in inv.facts:
        if f.runs and f.part == "pair" and not f.holds(D, X, Y):
            return f.why, f.facts(D, x, X, y, Y)
    return None


def _segment_why(D, inv: Invariant, x, y, s, X: Side, Y: Side):
    for f in inv.facts:
        if f.runs and f.part == "segment" and not f.holds(D, s, X, Y):
            return f.why, f.facts(D, x, y, s, X, Y)
    return None


def violation(D, inv: Invariant, A: Side, B: Side, flights) -> tuple[str, dict] | None:
    """The first checked fact of ``inv`` that fails in a state with sides A and B
    and segments in flight ``flights = (A to B, B to A)``, as its reason: (the
    template's name in :data:`REASONS`, its facts); None when all hold.  A's side
    is looked at first (its pair facts, then each segment it sent, each in the
    order of ``inv.facts``), then B's; the domain must answer with Python bools."""
    for x, X, y, Y, flight in (("A", A, "B", B, flights[0]), ("B", B, "A", A, flights[1])):
        why = _pair_why(D, inv, x, X, y, Y)
        for s in flight:
            if why is not None:
                break
            why = _segment_why(D, inv, x, y, s, X, Y)
        if why is not None:
            return why
    return None


# --- the checked facts as Python code ---------------------------------------------------

def compiled(facts, part: str) -> Callable:
    """The conjunction of ``facts`` (all of one ``part``) as one compiled Python
    function on integers: ``(X, Y) -> bool`` for pair facts, ``(s, X, Y) ->
    bool`` for segment facts (``X``, ``Y`` the TCBs, ``s`` the segment), true
    when every fact holds as it does on :class:`model.tcb.Concrete` with sides
    that know only their TCB (``Side(tcb, None, None)``, as the checker's).
    The checker asks it of every distinct pair of TCBs and every segment in
    flight: a few times faster than evaluating the facts call by call.

    >>> from tcpcheck.model.tcb import TCB
    >>> pair = compiled([UNA_INSIDE], "pair")
    >>> ok = TCB("ESTABLISHED", iss=2**32 - 1, snd_una=0, snd_nxt=1)  # across wraparound
    >>> pair(ok, ok), pair(ok._replace(snd_una=2), ok)
    (True, False)
    """
    def conjunction(D, *args):
        sides = [Side(t, None, None) for t in args[-2:]]
        return D.And(*(f.holds(D, *args[:-2], *sides) for f in facts))
    return written_out(conjunction, *(("X", "Y") if part == "pair" else ("s", "X", "Y")), name=f"{part} facts")


def checker(D, inv: Invariant, cache: int = 1 << 16) -> Callable:
    """:func:`violation` of ``inv`` as a function of the two TCBs and the segments in
    flight, ``(A, B, A to B, B to A) -> reason or None``, for the checker: its facts
    read only TCBs and segments, and many states share them, so the answers of each
    side and segment are remembered (up to ``cache`` of each).  Its ``pair(X, Y)``
    and ``segment(s, X, Y)`` say whether the pair facts hold of TCB ``X`` and its
    peer's ``Y``, and the segment facts of segment ``s`` from ``X`` to ``Y``, not
    remembered: for a caller that remembers its answers itself (the on-the-fly
    checker).  On :class:`model.tcb.Concrete` the facts are asked through
    :func:`compiled` (the reason is looked for only where one fails)."""
    pair_facts = [f for f in inv.facts if f.runs and f.part == "pair"]
    segment_facts = [f for f in inv.facts if f.runs and f.part == "segment"]

    def side(t):
        return Side(t, None, None)

    if D is Concrete:
        pair_holds, segment_holds = compiled(pair_facts, "pair"), compiled(segment_facts, "segment")
    else:
        def pair_holds(X, Y):
            return _pair_why(D, inv, "X", side(X), "Y", side(Y)) is None

        def segment_holds(s, X, Y):
            return _segment_why(D, inv, "X", "Y", s, side(X), side(Y)) is None

    @lru_cache(cache)
    def pair(x, X, y, Y):
        return None if pair_holds(X, Y) else _pair_why(D, inv, x, side(X), y, side(Y))

    @lru_cache(cache)
    def seg(x, y, s, X, Y):
        return None if segment_holds(s, X, Y) else _segment_why(D, inv, x, y, s, side(X), side(Y))

    def check(A, B, net_AB, net_BA):
        why = pair("A", A, "B", B)
        if why is None and segment_facts:
            for s in net_AB:
                why = seg("A", "B", s, A, B)
                if why is not None:
                    return why
        if why is None:
            why = pair("B", B, "A", A)
        if why is None and segment_facts:
            for s in net_BA:
                why = seg("B", "A", s, B, A)
                if why is not None:
                    return why
        return why
    check.pair, check.segment = pair_holds, (segment_holds if segment_facts else None)
    return check


def holds_in(D, inv: Invariant, A: Side, B: Side, flights) -> bool:
    """Whether ``inv`` (all its facts) holds in a state with sides A and B and segments
    in flight ``flights = (A to B, B to A)``, on a domain that answers with Python bools."""
    pair, segment = inv.pair, inv.segment
    pairs = pair is None or (pair(D, A, B) and pair(D, B, A))
    segs = segment is None or (all(segment(D, s, A, B) for s in flights[0])
                               and all(segment(D, s, B, A) for s in flights[1]))
    return bool(pairs and segs)


def sides_of(state, opens: tuple[bool, bool]) -> tuple[Side, Side]:
    """The sides of an explorer state (``model.system.State``); ``opens[i]``
    says whether endpoint i's configuration opens at all."""
    out = []
    for tcb, app, will_open in ((state.A, state.app_A, opens[0]), (state.B, state.app_B, opens[1])):
        out.append(Side(tcb, will_open and (app.open == "" or tcb.state != "CLOSED"), app.data))
    return tuple(out)
