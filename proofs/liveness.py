"""Liveness: every connection ends with both endpoints CLOSED or LISTEN.

Three kinds of z3 query, all from states satisfying the proved invariants:

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

Under the fairness below, 1 and 2 bring each endpoint to CLOSED or LISTEN
(a rank that falls at every own step, which keeps being possible, cannot
fall for ever), and 3 lets it leave them only finitely often: after its
last departure, each endpoint reaches CLOSED or LISTEN and stays there, so
at some time both are.  FIN_WAIT_2 is the stated exception: RFC 9293 gives
it no timer, so only the peer's FIN moves it on; the explicit checker shows
a run where that FIN never comes, and the tests check that this is the only
kind of run it finds.
"""

from __future__ import annotations

import time

import z3

from tcpcheck.model.tcb import FIN_SENT

from .domain import bv, fresh_segment
from .encoding import fresh_side, shapes, valid_state
from .obligations import (PROVED, REFUTED, UNKNOWN, Context, Outcome, assume_invariants, check, concrete_tcb,
                          solver, step_counterexample, step_query, tcb_dict)

__all__ = ["FAIRNESS", "ORDER", "ENDED", "WAITS_FOR_PEER", "connection_ends"]

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
STATEMENT = ("every run ends with both endpoints CLOSED or LISTEN, unless one stays in FIN_WAIT_2 "
             "(RFC 9293 gives it no timer): an endpoint in any other state reaches CLOSED or LISTEN, "
             "and leaves them again only by its OPEN, by a SEND in LISTEN or on a SYN, of which finitely "
             "many are ever sent (under the fairness listed)")


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
    """The liveness obligation: the ranking and SYN-account queries, then the way-on queries."""
    start = time.perf_counter()
    queries = 0

    def out(verdict, cx=None, reason=""):
        return Outcome(NAME, STATEMENT, verdict, time.perf_counter() - start, queries, cx, reason)

    for shape in shapes(ctx.table):
        q = step_query(shape, ctx)
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
    return out(PROVED)
