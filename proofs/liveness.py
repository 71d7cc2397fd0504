"""Liveness: every connection ends with both endpoints CLOSED or LISTEN.

Four kinds of z3 query, all from states satisfying the proved invariants:

1. A ranking of each endpoint: (how far its state is from CLOSED or LISTEN
   in the order of Figure 5, data its application may still send,
   retransmissions left), compared lexicographically.  For every step shape
   of the rule table that starts outside CLOSED and LISTEN, an arriving
   segment never increases the rank (the network cannot push an endpoint
   back towards the start of its connection), and a call or timeout of the
   endpoint itself strictly decreases it.
2. A way on: in every state but CLOSED, LISTEN and FIN_WAIT_2, a step of the
   endpoint's own is always possible: with its SYN or FIN unacknowledged
   (SYN_SENT, SYN_RCVD, FIN_WAIT_1, CLOSING, LAST_ACK) the retransmission or
   the user timeout; in TIME_WAIT the 2MSL timeout; in ESTABLISHED and
   CLOSE_WAIT the application's CLOSE.
3. A SYN account: the SYNs in flight (without ACK: those that pull a LISTEN
   into SYN_RCVD) plus those each endpoint may still send (its OPEN and its
   retransmissions in SYN_SENT).  No step adds to it but the network's
   duplication and a SEND in LISTEN, and every step that takes an endpoint
   out of CLOSED or LISTEN uses one up.
4. The way on from FIN_WAIT_2, which has no step of its own (RFC 9293 gives
   it no timer): the invariants of :data:`SUPPORT`, proved here by initiation
   and one consecution query per step shape, as those of
   :mod:`proofs.invariants` are (each step assumes both sets), say that an
   endpoint that has taken its peer's FIN is in CLOSE_WAIT, LAST_ACK, CLOSING
   or TIME_WAIT, and that a FIN is acknowledged only by an endpoint that has
   taken it.  From them one query shows that the peer of an endpoint in
   FIN_WAIT_2 is CLOSED or in one of those four states, each of which has a
   way on of its own (2): never in FIN_WAIT_2 too, and never in LISTEN (a
   return to LISTEN comes from SYN_RCVD, before any FIN is acknowledged).

Under the fairness below, 1 and 2 bring each endpoint to CLOSED, LISTEN or
FIN_WAIT_2 (a rank that falls at every own step, which keeps being possible,
cannot fall for ever), and 3 lets it leave CLOSED and LISTEN only finitely
often.  By 4 two endpoints never both wait in FIN_WAIT_2, and the peer of
one that waits there moves on until it deletes its TCB; the FIN it sends on
the way, if it arrives, moves FIN_WAIT_2 on to a state that has received it
(the consecution of SUPPORT checks every rule that takes a FIN).  So at some
time both endpoints are CLOSED or LISTEN, unless one stays in FIN_WAIT_2
because its peer deleted its TCB (gave up on its FIN at the user timeout,
aborted, or was reset) without its FIN arriving.  That is the stated
exception, the one RFC 9293 leaves open; the explicit checker shows such a
run, and the tests check that it finds no other kind.  A peer that reopens
is outside the one-incarnation assumption of the proofs.
"""

from __future__ import annotations

import time

import z3

from tcpcheck.model.tcb import FIN_SENT

from .domain import Symbolic, bv, fresh_segment
from .encoding import fresh_side, shapes, valid_state
from .invariants import FIN_OUT, FIN_RECEIVED, Fact, Invariant, has_tcb as _has_tcb, implies as _implies
from .obligations import (LIVENESS_ID, PROVED, REFUTED, UNKNOWN, Context, Outcome, assume_invariants, broken_after,
                          check, concrete_tcb, initiation, solver, step_counterexample, step_query, tcb_dict)

__all__ = ["FAIRNESS", "ORDER", "ENDED", "WAITS_FOR_PEER", "PEER_MOVES", "SUPPORT", "connection_ends",
           "peer_of_fin_wait_2"]

#: The fairness the argument needs, one sentence each.
FAIRNESS = (
    "a timeout that stays possible eventually happens (retransmission, user timeout, 2MSL)",
    "an application eventually calls CLOSE on a connection that is ESTABLISHED or in CLOSE_WAIT",
    "the network duplicates a segment only finitely often",
    "an application in LISTEN calls SEND (an active open) only finitely often",
)

#: The states in which an endpoint's connection has ended (or not begun).
ENDED = ("CLOSED", "LISTEN")

#: How far each state is from CLOSED or LISTEN (Figure 5, read from the top).
ORDER = {"SYN_SENT": 7, "SYN_RCVD": 6, "ESTABLISHED": 5, "CLOSE_WAIT": 4, "FIN_WAIT_1": 4,
         "LAST_ACK": 3, "CLOSING": 3, "FIN_WAIT_2": 3, "TIME_WAIT": 2, "CLOSED": 0, "LISTEN": 0}

#: The state left only by the peer's doing.
WAITS_FOR_PEER = "FIN_WAIT_2"

#: The states whose own way on is a timeout: what they wait to have acknowledged.
UNACKNOWLEDGED = {"SYN_SENT": "SYN", "SYN_RCVD": "SYN", **{s: "FIN" for s in FIN_SENT}}

#: The states whose own way on is one other event of theirs.
OWN_EVENT = {"TIME_WAIT": ("the 2MSL timeout", "timeout 2MSL"),
             "ESTABLISHED": ("the application's CLOSE", "CLOSE"),
             "CLOSE_WAIT": ("the application's CLOSE", "CLOSE")}

NAME = "every connection ends"
STATEMENT = ("every run ends with both endpoints CLOSED or LISTEN, unless one stays in FIN_WAIT_2 after its "
             "peer has deleted its TCB without its FIN arriving (RFC 9293 gives FIN_WAIT_2 no timer): an "
             "endpoint in any other state reaches CLOSED or LISTEN; the peer of one in FIN_WAIT_2 is CLOSED or "
             "in a state with a way on of its own, never in FIN_WAIT_2 too, and a FIN that arrives moves "
             "FIN_WAIT_2 on; and an endpoint leaves CLOSED and LISTEN again only by its OPEN, by a SEND in "
             "LISTEN or on a SYN, of which finitely many are ever sent (under the fairness listed)")


# --- what the argument for FIN_WAIT_2 needs: invariants proved here, from the others ---------

D = Symbolic
#: The synchronized states that have not received the peer's FIN.
FIN_AWAITED = ("SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2")
#: The states the peer of an endpoint in FIN_WAIT_2 can be in while it has a TCB:
#: it has received the FIN, and each has a way on of its own (CLOSE, a timeout, 2MSL).
PEER_MOVES = FIN_RECEIVED
assert not set(PEER_MOVES) & {*ENDED, WAITS_FOR_PEER}


def _taken_pair(D, X, Y):
    return _implies(D, D.And(D.in_states(X.tcb, FIN_AWAITED), _has_tcb(D, Y.tcb), D.in_states(Y.tcb, FIN_OUT)),
                    D.Not(D.eq(X.tcb.rcv_nxt, Y.tcb.snd_nxt)))


def _acked_pair(D, X, Y):
    return _implies(D, D.And(D.in_states(X.tcb, (WAITS_FOR_PEER,)), _has_tcb(D, Y.tcb)),
                    D.And(D.in_states(Y.tcb, FIN_RECEIVED), D.eq(Y.tcb.rcv_nxt, X.tcb.snd_nxt)))


def _acked_segment(D, s, sender, receiver):
    r = receiver.tcb
    return _implies(D, D.And(s.ACK, D.Not(s.RST), _has_tcb(D, sender.tcb), D.in_states(r, FIN_OUT),
                             D.eq(s.ack, r.snd_nxt)),
                    D.And(D.in_states(sender.tcb, FIN_RECEIVED), D.eq(sender.tcb.rcv_nxt, r.snd_nxt)))


def _fin_last_pair(D, X, Y):
    t = X.tcb
    return _implies(D, D.in_states(t, FIN_OUT), D.Not(D.eq(t.snd_nxt, D.add(t.iss, 1))))


def _fin_last_segment(D, s, sender, receiver):
    t = sender.tcb
    return _implies(D, D.And(D.Not(D.eq(s.len, 0)), D.in_states(t, FIN_OUT)),
                    D.Not(D.eq(D.add(s.seq, s.len), t.snd_nxt)))


#: The invariants the FIN_WAIT_2 part of the argument adds to those of
#: :mod:`proofs.invariants`, proved here by initiation and consecution in the same
#: way (each step assumes these and all the others).  Together they mean that
#: the FIN of an endpoint in FIN_WAIT_2 was acknowledged by a peer that had taken
#: it, so the peer, while it has a TCB, is in one of :data:`PEER_MOVES`, not in
#: FIN_WAIT_2 too (which the invariants of proofs.invariants alone allow).
SUPPORT: tuple[Invariant, ...] = (
    Invariant("SUP1", "a FIN received is known",
              "an endpoint that has taken its peer's FIN (RCV.NXT is the peer's SND.NXT, past the FIN) is "
              "in CLOSE_WAIT, LAST_ACK, CLOSING or TIME_WAIT, not in a state that still waits for it",
              (Fact("pair", _taken_pair),)),
    Invariant("SUP2", "an acknowledged FIN has been received",
              "an ACK of a FIN in flight (not a reset's) comes from an endpoint that has taken the FIN, and "
              "the peer of an endpoint in FIN_WAIT_2, while it has a TCB, has taken its FIN",
              (Fact("pair", _acked_pair), Fact("segment", _acked_segment))),
    Invariant("SUP3", "the FIN comes last",
              "a FIN follows the SYN and every octet of data its sender has sent",
              (Fact("pair", _fin_last_pair), Fact("segment", _fin_last_segment))),
)


def _rank(side):
    """The rank as three 32-bit numbers."""
    t = side.tcb
    return (bv(ORDER[t.state]), side.data, t.budget)


def _lex_less(a, b, strict: bool):
    """a < b (or a =< b) lexicographically, unsigned."""
    if not a:
        return z3.BoolVal(not strict)
    return z3.Or(z3.ULT(a[0], b[0]), z3.And(a[0] == b[0], _lex_less(a[1:], b[1:], strict)))


def _own_step_possible(ctx: Context, state: str) -> tuple[str, bool | None]:
    """What step of its own an endpoint in ``state`` can always take: its
    description and whether z3 must show, from the invariants, that something
    is unacknowledged (None: the table alone settles it; False: no such step)."""
    has = lambda ev: ctx.table.has(state, ev)  # noqa: E731
    if state in OWN_EVENT:
        what, event = OWN_EVENT[state]
        return (what, None) if has(event) else (f"no rule for {event!r}", False)
    if state in UNACKNOWLEDGED:
        if not (has("retransmission timeout") and has("user timeout")):
            return ("no rule for the retransmission timeout or the user timeout", False)
        return (f"a timeout, the {UNACKNOWLEDGED[state]} being unacknowledged", True)
    return ("", None)


WIDE = 40  # bits of the SYN account: no sum of a few 32-bit numbers overflows it


def _wide(n: int) -> z3.BitVecRef:
    return z3.BitVecVal(n, WIDE)


def _syns(side, params) -> z3.BitVecRef:
    """An endpoint's share of the SYN account: the SYNs it may still send
    (its retransmissions left in SYN_SENT; an OPEN and its retransmissions
    before its application has opened, counted one more so that OPEN uses one up)."""
    t = side.tcb
    if t.state == "CLOSED":
        return z3.If(side.opened, _wide(0), _wide(2) + z3.ZeroExt(WIDE - 32, params.retransmissions))
    return z3.ZeroExt(WIDE - 32, t.budget) if t.state == "SYN_SENT" else _wide(0)


def _a_syn(seg, present=True) -> z3.BitVecRef:
    """1 for a segment that can pull a LISTEN into SYN_RCVD (a SYN without ACK), else 0."""
    return z3.If(z3.And(present, seg.SYN, z3.Not(seg.ACK)), _wide(1), _wide(0))


def _goals(shape, q):
    """What z3 must show of one step shape, each as (what breaks if not, the goal)."""
    first, X, step = shape.rules[0], q.X, q.step
    goals = []
    if first.state not in ENDED:
        if shape.kind == "rcv":
            goals.append(("an arrival moves the endpoint back", _lex_less(_rank(step.after), _rank(X), False)))
        else:
            goals.append(("the endpoint's own step does not bring it nearer to CLOSED or LISTEN",
                          _lex_less(_rank(step.after), _rank(X), True)))
    if not (shape.kind == "call" and first.event == "SEND" and first.state == "LISTEN"):
        before = _syns(X, q.params) + (_a_syn(q.arriving) if q.arriving is not None else _wide(0))
        after = z3.Sum(_syns(step.after, q.params), *(_a_syn(seg, p) for seg, p in step.sent))
        if first.state in ENDED and step.after.tcb.state not in ENDED:
            goals.append(("the endpoint leaves CLOSED or LISTEN without using up a SYN", z3.ULT(after, before)))
        else:
            goals.append(("the step adds to the SYNs that can still arrive", z3.ULE(after, before)))
    return goals


def connection_ends(ctx: Context) -> Outcome:
    """The liveness obligation: the ranking and SYN-account queries, the way-on
    queries, then the FIN_WAIT_2 part (the invariants of :data:`SUPPORT`, and
    that its peer never waits in FIN_WAIT_2 too)."""
    start = time.perf_counter()
    queries = 0

    def out(verdict, cx=None, reason=""):
        return Outcome(NAME, STATEMENT, verdict, time.perf_counter() - start, queries, cx, reason, LIVENESS_ID)

    steps = []  # (shape, its query, what it asserts), for the SUPPORT consecution below
    for shape in shapes(ctx.table):
        q = step_query(shape, ctx)
        steps.append((shape, q._replace(solver=None), q.solver.assertions()))
        for breaks, goal in _goals(shape, q):
            q.solver.push()
            q.solver.add(z3.Not(goal))
            queries += 1
            r, why = check(q.solver)
            if r == z3.sat:
                return out(REFUTED, step_counterexample(q.solver.model(), shape, q, [breaks]))
            if r == z3.unknown:
                return out(UNKNOWN, reason=f"{shape.describe()}: {why}")
            q.solver.pop()
    for state in ORDER:
        if state in ENDED or state == WAITS_FOR_PEER:
            continue
        what, needs = _own_step_possible(ctx, state)
        if needs is False:
            return out(REFUTED, {"rule": f"{state}: {what}", "state": state,
                                 "breaks": [f"an endpoint in {state} has no step of its own, so it may wait for ever"]})
        if needs is True:
            X, Y = fresh_side("X", state), fresh_side("Y")
            s = solver(ctx.timeout)
            s.add(valid_state(Y), *assume_invariants(X, Y, None, fresh_segment("other"), z3.Bool("other.to_X")))
            s.add(X.tcb.snd_una == X.tcb.snd_nxt)
            queries += 1
            r, why = check(s)
            if r == z3.sat:
                m = s.model()
                return out(REFUTED, {"rule": f"{state}: nothing unacknowledged, so no timeout", "state": state,
                                     "before": {"X": tcb_dict(concrete_tcb(m, X.tcb))},
                                     "breaks": [f"an endpoint in {state} has no step of its own"]})
            if r == z3.unknown:
                return out(UNKNOWN, reason=f"{state}: {why}")
    # FIN_WAIT_2: first the invariants it needs, initiation and one consecution query per step shape ...
    for inv in SUPPORT:
        queries += 1
        r, why, _ = initiation(inv, ctx)
        if r == z3.sat:
            return out(REFUTED, {"rule": "the initial state (both endpoints CLOSED, nothing in flight)",
                                 "breaks": [inv.name]})
        if r == z3.unknown:
            return out(UNKNOWN, reason=f"{inv.name}, initial state: {why}")
    for shape, q, asserted in steps:
        q = q._replace(solver=solver(ctx.timeout))  # a fresh one: faster than one that has been pushed
        q.solver.add(asserted, *assume_invariants(q.X, q.Y, q.arriving, q.other, q.other_to_X, SUPPORT))
        ways = [(inv, what, c) for inv in SUPPORT
                for what, c in broken_after(inv, q.step.after, q.Y, q.step.sent, q.other, q.other_to_X)]
        q.solver.add(z3.Or(*[c for _, _, c in ways]))
        queries += 1
        r, why = check(q.solver)
        if r == z3.sat:
            m = q.solver.model()
            breaks = [_support_broken(inv, what, m, q) for inv, what, c in ways
                      if z3.is_true(m.eval(c, model_completion=True))]
            return out(REFUTED, step_counterexample(m, shape, q, breaks, peer=True))
        if r == z3.unknown:
            return out(UNKNOWN, reason=f"{shape.describe()}: {why}")
    # ... then its way on: its peer has deleted its TCB (the exception) or is in a state with a way on of its own
    r, why, m, sides = peer_of_fin_wait_2(ctx.timeout)
    queries += 1
    if r == z3.sat:
        peer = concrete_tcb(m, sides[1].tcb).state
        both = ", each waiting for the other" if peer == WAITS_FOR_PEER else ""
        return out(REFUTED, {"rule": f"{WAITS_FOR_PEER}: its peer, in {peer}, has the connection but need not move",
                             "state": WAITS_FOR_PEER,
                             "before": {w: tcb_dict(concrete_tcb(m, side.tcb)) for w, side in zip("XY", sides)},
                             "breaks": [f"X may wait in {WAITS_FOR_PEER} for ever while its peer, in {peer}, "
                                        f"has not deleted its TCB{both}"]})
    if r == z3.unknown:
        return out(UNKNOWN, reason=f"{WAITS_FOR_PEER} and its peer: {why}")
    return out(PROVED)


def peer_of_fin_wait_2(timeout: float, support: tuple[Invariant, ...] = SUPPORT, peer: tuple[str, ...] | None = None):
    """The query of the way on from FIN_WAIT_2: a state satisfying the invariants
    (and ``support``) with X in FIN_WAIT_2 and its peer Y neither CLOSED nor in one
    of :data:`PEER_MOVES` (and, given ``peer``, in one of those states).  Returns
    z3's answer, its reason if unknown, the model if sat, and the sides (X, Y)."""
    X, Y = fresh_side("X", WAITS_FOR_PEER), fresh_side("Y")
    other, other_to_X = fresh_segment("other"), z3.Bool("other.to_X")
    s = solver(timeout)
    s.add(valid_state(Y), z3.Not(D.in_states(Y.tcb, ("CLOSED", *PEER_MOVES))),
          *assume_invariants(X, Y, None, other, other_to_X),
          *assume_invariants(X, Y, None, other, other_to_X, support))
    if peer is not None:
        s.add(D.in_states(Y.tcb, peer))
    r, why = check(s)
    return r, why, (s.model() if r == z3.sat else None), (X, Y)


def _support_broken(inv: Invariant, what: str, m, q) -> str:
    """What a refuted step breaks of :data:`SUPPORT`, in words."""
    if inv is SUPPORT[0] and what == "X after the step":
        after = concrete_tcb(m, q.step.after.tcb).state
        then = "stays there" if after == WAITS_FOR_PEER else f"may reach {WAITS_FOR_PEER} and wait there"
        return (f"{inv.name}, for X after the step: X has taken its peer's FIN but is in {after}: "
                f"it {then} for a FIN that has already come")
    return f"{inv.name}, for {what}"
