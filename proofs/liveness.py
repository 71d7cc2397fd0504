"""Liveness: an endpoint that has begun to close reaches CLOSED, by a ranking function.

The rank of an endpoint in a closing state is the triple (how far its state
is from CLOSED in the order of Figure 5, data its application may still
send, retransmissions left), compared lexicographically.  z3 shows, from
every state satisfying the proved invariants and for every step shape of
the rule table that starts in a closing state:

* an arriving segment never increases the rank (the network cannot push a
  closing endpoint back);
* a call or timeout of the endpoint itself strictly decreases it.

and, for every closing state but FIN_WAIT_2, that a step of the endpoint's
own is always possible: with the FIN unacknowledged, the retransmission
timeout or the user timeout; in TIME_WAIT the 2MSL timeout; in CLOSE_WAIT
the application's CLOSE.  Under the fairness below, each such step is
eventually taken and lowers the rank, which cannot fall for ever: the
endpoint reaches CLOSED.  FIN_WAIT_2 is the stated exception: RFC 9293 gives
it no timer, so only the peer's FIN moves it on; the explicit checker shows
a run where that FIN never comes (``every close completes``), and the tests
check that this is the only kind of run it finds.
"""

from __future__ import annotations

import time

import z3

from tcpcheck.model.tcb import FIN_SENT

from .domain import Symbolic, bv, fresh_segment
from .encoding import fresh_side, shapes, valid_state
from .obligations import (PROVED, assume_invariants, step_query, REFUTED, UNKNOWN, Context, Outcome, check, seg_dict,
                          solver, tcb_dict, concrete_segment, concrete_tcb)

__all__ = ["FAIRNESS", "CLOSING_ORDER", "WAITS_FOR_PEER", "closing_terminates"]

D = Symbolic

#: The fairness the argument needs, one sentence each.
FAIRNESS = (
    "a timeout that stays possible eventually happens (retransmission, user timeout, 2MSL)",
    "an application that has decided to close eventually calls CLOSE",
)

#: How far each closing state is from CLOSED (Figure 5); CLOSED itself is 0.
CLOSING_ORDER = {"CLOSE_WAIT": 4, "FIN_WAIT_1": 4, "LAST_ACK": 3, "CLOSING": 3, "FIN_WAIT_2": 3,
                 "TIME_WAIT": 2, "CLOSED": 0}

#: The closing state left only by the peer's doing.
WAITS_FOR_PEER = "FIN_WAIT_2"

NAME = "a closing endpoint reaches CLOSED"
STATEMENT = ("an endpoint in CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK or TIME_WAIT reaches CLOSED, "
             "one in FIN_WAIT_2 does once the peer's FIN arrives (RFC 9293 gives FIN_WAIT_2 no timer); "
             "fairness: " + "; ".join(FAIRNESS))


def _rank(side):
    """The rank as three 32-bit numbers; a state outside the closing order ranks highest."""
    t = side.tcb
    return (bv(CLOSING_ORDER.get(t.state, 15)), side.data, t.budget)


def _lex_less(a, b, strict: bool):
    """a < b (or a =< b) lexicographically, unsigned."""
    if not a:
        return z3.BoolVal(not strict)
    return z3.Or(z3.ULT(a[0], b[0]), z3.And(a[0] == b[0], _lex_less(a[1:], b[1:], strict)))


def _own_step_possible(ctx: Context, state: str) -> tuple[str, z3.BoolRef | None]:
    """What step of its own an endpoint in ``state`` can always take: its
    description and, when it needs the invariants, the condition z3 must find
    impossible (None when the table alone settles it)."""
    table = ctx.table
    has = lambda ev: table.has(state, ev)  # noqa: E731
    if state == "TIME_WAIT":
        return ("the 2MSL timeout", None) if has("timeout 2MSL") else ("no rule for 'timeout 2MSL'", False)
    if state == "CLOSE_WAIT":
        return ("the application's CLOSE", None) if has("CLOSE") else ("no rule for CLOSE", False)
    if state in FIN_SENT:
        if not (has("retransmission timeout") and has("user timeout")):
            return ("no rule for the retransmission timeout or the user timeout", False)
        return ("a timeout, the FIN being unacknowledged", True)
    return ("", None)


def closing_terminates(ctx: Context) -> Outcome:
    """The liveness obligation: the ranking queries, then the way-on queries."""
    start = time.perf_counter()
    queries = 0

    def out(verdict, cx=None, reason=""):
        return Outcome(NAME, STATEMENT, verdict, time.perf_counter() - start, queries, cx, reason)

    for shape in shapes(ctx.table):
        first = shape.rules[0]
        if first.state not in CLOSING_ORDER or first.state == "CLOSED":
            continue
        s, X, Y, arriving, other, other_to_X, step = step_query(shape, ctx)
        s.add(z3.Not(_lex_less(_rank(step.after), _rank(X), strict=shape.kind != "rcv")))
        queries += 1
        r, why = check(s)
        if r == z3.sat:
            m = s.model()
            cx = {"rule": shape.describe(),
                  "before": {"X": tcb_dict(concrete_tcb(m, X.tcb))},
                  "after": {"X": tcb_dict(concrete_tcb(m, step.after.tcb))},
                  "breaks": ["an arrival moves the endpoint back" if shape.kind == "rcv"
                             else "the endpoint's own step does not bring it nearer to CLOSED"]}
            if arriving is not None:
                cx["arriving"] = seg_dict(concrete_segment(m, arriving))
            return out(REFUTED, cx)
        if r == z3.unknown:
            return out(UNKNOWN, reason=f"{shape.describe()}: {why}")
    for state in CLOSING_ORDER:
        if state in ("CLOSED", WAITS_FOR_PEER):
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

