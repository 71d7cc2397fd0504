"""The transition relation of one endpoint, generated from the rule table for z3.

A *step shape* is one way an endpoint can move: a user call or timeout (one
rule), or an arriving segment classified by the segment semantics (one rule,
or two when the segment goes on to the text stage, as
``model.system.Model.receive`` does).  :func:`shapes` lists them all from a
rule table; :func:`encode` turns one into constraints over bit-vectors by
running the model's own guards, effects and actions (``model/events.py``,
``model/actions.py``) on the :class:`~proofs.domain.Symbolic` domain.
Nothing here restates what a rule does.

When calls and timeouts may happen is the system's decision
(``model/system.py``); here it is over-approximated, which is sound for
invariants: OPEN at most once, SEND while data is left, the retransmission
timeout while something is unacknowledged and retransmissions are left (the
user timeout when none are), 2MSL at any time, and the network anything
(arrival of any segment that satisfies the invariants, in any order).
"""

from __future__ import annotations

from typing import NamedTuple

import z3

from tcpcheck.model.actions import ACTIONS, Params, fire
from tcpcheck.model.events import CALLS, CONTROL, TEXT, TIMERS, Event, arrival_events, has_text, text_follows
from tcpcheck.model.table import Rule, RuleTable
from tcpcheck.model.tcb import STATES, Segment

from .domain import Guarded, Symbolic, bv, fresh_tcb
from .invariants import Side

__all__ = ["Shape", "Step", "shapes", "encode", "fresh_side", "valid_state"]

D = Symbolic


class Shape(NamedTuple):
    """One way an endpoint can move: the rules that fire, in order, and for an
    arrival the events the segment was classified as."""

    kind: str  # "call", "timer" or "rcv"
    rules: tuple[Rule, ...]
    events: tuple[Event, ...] = ()

    def describe(self) -> str:
        return " then ".join(f"{r.describe()} ({r.where})" for r in self.rules)


class Step(NamedTuple):
    """An encoded step of endpoint X: when it can happen, X after it, what it sends."""

    condition: z3.BoolRef
    after: Side
    sent: tuple[tuple[Segment, z3.BoolRef], ...]  # (segment, whether it is sent)


def shapes(table: RuleTable) -> list[Shape]:
    """Every step shape of ``table``, in table order: calls and timeouts, then
    arrivals state by state."""
    out = [Shape("call" if r.event in CALLS else "timer", (r,))
           for r in table.rules if r.event in CALLS or r.event in TIMERS]
    for state in STATES:
        for ev in arrival_events(state, CONTROL, table.arrivals):
            for r in table.rules_for(state, ev.name):
                out.append(Shape("rcv", (r,), (ev,)))
                if text_follows(ev, CONTROL, r.to):
                    out.extend(Shape("rcv", (r, r2), (ev, ev2))
                               for ev2 in arrival_events(r.to, TEXT, table.arrivals) for r2 in table.rules_for(r.to, ev2.name))
    return out


def fresh_side(name: str, state: str | None = None) -> Side:
    """An endpoint about which nothing is known (but its state, if given)."""
    return Side(fresh_tcb(name, state), z3.Bool(f"{name}.opened"), z3.BitVec(f"{name}.data", 32))


def valid_state(side: Side) -> z3.BoolRef:
    """A symbolic state is one of the eleven."""
    st = side.tcb.state
    return z3.BoolVal(True) if isinstance(st, str) else z3.ULT(st, len(STATES))


def _qualified(rule: Rule, tcb) -> z3.BoolRef:
    if rule.qualifier is None:
        return z3.BoolVal(True)
    return tcb.passive if rule.qualifier == "passive" else z3.Not(tcb.passive)


def _sent(outs) -> tuple:
    return tuple((o.segment, o.present) if isinstance(o, Guarded) else (o, z3.BoolVal(True)) for o in outs)


def encode(shape: Shape, X: Side, seg: Segment | None, wnd, params: Params,
           actions: dict | None = None) -> Step:
    """Endpoint X takes a step of ``shape``; ``seg`` is the arriving segment
    (for ``rcv`` shapes), ``wnd`` its RCV.WND and ``params`` what an OPEN
    would choose (ISS, retransmissions)."""
    actions = ACTIONS if actions is None else actions
    t, opened, data = X
    cond = []
    outs: list = []
    first = shape.rules[0]
    if shape.kind != "rcv":
        ev = first.event
        cond.append(_qualified(first, t))
        if ev.endswith("OPEN"):
            cond.append(z3.Not(opened))
            opened = z3.BoolVal(True)
        elif ev == "SEND":
            cond.append(data != 0)
            if "snd data" in first.actions:
                data = data - 1
        elif ev in ("CLOSE", "ABORT"):
            data = bv(0)
        elif ev in ("retransmission timeout", "user timeout"):
            cond.append(t.snd_una != t.snd_nxt)
            cond.append(t.budget != 0 if ev == "retransmission timeout" else t.budget == 0)
        t, outs = fire(D, actions, first, t, None, params)
    else:
        for stage, ev, rule in zip((CONTROL, TEXT), shape.events, shape.rules):
            cond.append(_qualified(rule, t))
            cond.append(ev.guard(D, t, seg, wnd))
            if ev.effect is not None:
                t = ev.effect(D, t, seg)
            t, sent = fire(D, actions, rule, t, seg, params)
            outs.extend(sent)
        if text_follows(shape.events[0], CONTROL, first.to):
            text = has_text(D, seg)
            cond.append(text if len(shape.rules) == 2 else z3.Not(text))
    return Step(z3.And(*cond), Side(t, opened, data), _sent(outs))
