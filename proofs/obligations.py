"""The proof obligations and the z3 queries that settle them.

* Segment semantics: in every state and stage, exactly one arrival event
  applies to every segment (all 32-bit values, any non-zero RCV.WND).
* Each invariant of :mod:`proofs.invariants` (written once in ``model/invariants.py``): initiation (it holds when both
  endpoints are CLOSED and nothing is in flight) and consecution, one query
  per (step shape, invariant): from any state satisfying *all* the invariants
  (for the arriving segment and for one more arbitrary segment in flight, in
  either direction), the step leads to a state satisfying this one, for the
  pair, for every segment sent and for that other segment.  Losing or
  duplicating a segment cannot break a property of every segment in flight,
  so the network's own steps need no query.
* Liveness (:mod:`proofs.liveness`).

A verdict is ``proved`` only when every query of the obligation is
unsatisfiable; ``refuted`` carries the values z3 found; ``unknown`` (a
timeout, or z3 undecided) is never counted as proved.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import z3

from tcpcheck.model.actions import Params
from tcpcheck.model.events import CONTROL, TEXT, arrival_events, has_text
from tcpcheck.model.tcb import CLOSED_TCB, STATES, TCB, Segment, describe_segment

from .domain import Symbolic, bv, fresh_segment, fresh_tcb
from .encoding import encode, fresh_side, shapes, valid_state
from .invariants import DATA_LIMIT, INVARIANTS, MAX_WINDOW, Invariant, Side

__all__ = ["Outcome", "PROVED", "REFUTED", "UNKNOWN", "IDS", "classification", "invariant", "Context"]

D = Symbolic
PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"

#: The stable short ids of the obligations, in the order ``tcpcheck prove`` settles
#: them (like a linter's rule codes; never changed nor given to another one): SEG1
#: the segment semantics, IND1-IND6 the inductive invariants of model/invariants.py,
#: END1 liveness (proofs/liveness.py; its supporting invariants are SUP1-SUP3).
CLASSIFICATION_ID, LIVENESS_ID = "SEG1", "END1"
IDS: tuple[str, ...] = (CLASSIFICATION_ID, *(inv.id for inv in INVARIANTS), LIVENESS_ID)


class Outcome(NamedTuple):
    """The verdict on one obligation."""

    name: str
    statement: str
    verdict: str
    seconds: float
    queries: int
    counterexample: dict | None = None  # when refuted: what z3 found, as numbers
    reason: str = ""  # when unknown: why
    id: str = ""  # the obligation's stable short id (see IDS)


class Context(NamedTuple):
    """What the obligations are proved about: a rule table (with the segment
    semantics it runs with), the action vocabulary, and the solver's time limit
    per query, in seconds."""

    table: object
    actions: dict | None = None
    timeout: float = 60.0


#: How each query is solved: z3's own preprocessing (simplify, propagate the
#: values, solve the equations, drop the variables nothing else constrains: an
#: encoded step defines most of the state after by equations), then its SMT core.
#: On the reference table this proves every obligation in half the time of
#: ``SolverFor("QF_BV")`` (24 s of CPU against 48 s, measured with ``prove --bench``).
TACTIC = ("simplify", "propagate-values", "solve-eqs", "elim-uncnstr", "smt")


def solver(timeout: float) -> z3.Solver:
    s = z3.Then(*TACTIC).solver()
    s.set("timeout", max(1, int(timeout * 1000)))
    return s


def _num(model, x) -> int:
    return model.eval(bv(x), model_completion=True).as_long()


def _bool(model, x) -> bool:
    return z3.is_true(model.eval(x if isinstance(x, z3.ExprRef) else z3.BoolVal(bool(x)),
                                 model_completion=True))


def _state(model, t) -> str:
    return t.state if isinstance(t.state, str) else STATES[model.eval(t.state, model_completion=True).as_long()]


def concrete_tcb(model, t) -> TCB:
    """The TCB z3 found, as numbers."""
    return TCB(_state(model, t), *(_num(model, getattr(t, f)) for f in ("iss", "irs", "snd_una", "snd_nxt", "rcv_nxt")),
               _bool(model, t.passive), _num(model, t.budget))


def concrete_segment(model, s: Segment) -> Segment:
    """The segment z3 found, as numbers."""
    return Segment(*(_bool(model, getattr(s, c)) for c in ("SYN", "ACK", "FIN", "RST")),
                   *(_num(model, getattr(s, f)) for f in ("seq", "ack", "len")))


def tcb_dict(t: TCB) -> dict:
    d = {"state": t.state}
    if t.state != "CLOSED":
        d.update({"ISS": t.iss, "IRS": t.irs, "SND.UNA": t.snd_una, "SND.NXT": t.snd_nxt,
                  "RCV.NXT": t.rcv_nxt, "passive": t.passive, "retransmissions left": t.budget})
    return d


def seg_dict(s: Segment) -> dict:
    return {"segment": describe_segment(s), "SEG.SEQ": s.seq, "SEG.ACK": s.ack, "SEG.LEN": s.len,
            "control": [c for c in ("SYN", "ACK", "FIN", "RST") if getattr(s, c)]}


def check(s: z3.Solver):
    """sat, unsat or unknown, with z3's reason for unknown."""
    r = s.check()
    return r, (s.reason_unknown() if r == z3.unknown else "")


# --- obligation 1: the segment semantics is a partition -------------------------------

CLASSIFICATION = ("segment classification is total and unambiguous",
                  "in every state and processing stage, exactly one arrival event applies to every "
                  "segment (all 32-bit SEQ, ACK and LEN, any control bits, any non-zero RCV.WND)")


def classification(ctx: Context) -> Outcome:
    """Obligation 1: for each (state, stage), one query: is there a TCB, a
    segment and a window for which the number of events applying is not one?"""
    start = time.perf_counter()
    queries = 0
    for state in STATES:
        for stage in (CONTROL, TEXT):
            events = arrival_events(state, stage, ctx.table.arrivals)
            if not events:
                continue
            t, seg, wnd = fresh_tcb("tcb", state), fresh_segment("seg"), z3.BitVec("RCV.WND", 32)
            s = solver(ctx.timeout)
            s.add(wnd != 0)
            if stage == TEXT:
                s.add(has_text(D, seg))
            guards = [e.guard(D, t, seg, wnd) for e in events]
            s.add(z3.Sum(*[z3.If(g, z3.BitVecVal(1, 8), z3.BitVecVal(0, 8)) for g in guards]) != 1)
            queries += 1
            r, why = check(s)
            if r == z3.sat:
                m = s.model()
                matched = [e.name for e, g in zip(events, guards) if _bool(m, g)]
                cx = {"state": state, "stage": stage, "tcb": tcb_dict(concrete_tcb(m, t)),
                      "segment": seg_dict(concrete_segment(m, seg)), "RCV.WND": _num(m, wnd),
                      "events that apply": matched}
                return Outcome(*CLASSIFICATION, REFUTED, time.perf_counter() - start, queries, cx, id=CLASSIFICATION_ID)
            if r == z3.unknown:
                return Outcome(*CLASSIFICATION, UNKNOWN, time.perf_counter() - start, queries,
                               reason=f"{state}, {stage} stage: {why}", id=CLASSIFICATION_ID)
    return Outcome(*CLASSIFICATION, PROVED, time.perf_counter() - start, queries, id=CLASSIFICATION_ID)


# --- obligation 2: inductive invariants ------------------------------------------------

def assume_invariants(X: Side, Y: Side, arriving, other, other_to_X, invariants=INVARIANTS) -> list:
    """Every invariant (of ``invariants``: by default those of :mod:`proofs.invariants`)
    in the state before: the pair both ways, the arriving segment (Y to X) and the
    other segment in flight (either way)."""
    out = []
    for inv in invariants:
        if inv.pair is not None:
            out += [inv.pair(D, X, Y), inv.pair(D, Y, X)]
        if inv.segment is not None:
            if arriving is not None:
                out.append(inv.segment(D, arriving, Y, X))
            out.append(z3.If(other_to_X, inv.segment(D, other, Y, X), inv.segment(D, other, X, Y)))
    return out


def broken_after(inv: Invariant, X2: Side, Y: Side, sent, other, other_to_X) -> list[tuple[str, z3.BoolRef]]:
    """The ways the state after can break ``inv``: (what breaks, condition)."""
    out = []
    if inv.pair is not None:
        out += [("X after the step", z3.Not(inv.pair(D, X2, Y))), ("Y, the peer, after X's step", z3.Not(inv.pair(D, Y, X2)))]
    if inv.segment is not None:
        out += [(f"the segment X sends" + (f" (#{i + 1})" if len(sent) > 1 else ""), z3.And(present, z3.Not(inv.segment(D, seg, X2, Y))))
                for i, (seg, present) in enumerate(sent)]
        out.append(("another segment in flight",
                    z3.If(other_to_X, z3.Not(inv.segment(D, other, Y, X2)), z3.Not(inv.segment(D, other, X2, Y)))))
    return out


def initiation(inv: Invariant, ctx: Context):
    """The invariant holds in the initial state: both CLOSED, nothing in flight."""
    s = solver(ctx.timeout)
    sides = [Side(CLOSED_TCB, z3.BoolVal(False), z3.BitVec(f"{w}.data", 32)) for w in "AB"]
    for side in sides:
        s.add(z3.ULE(side.data, DATA_LIMIT))
    if inv.pair is None:
        return z3.unsat, "", None
    s.add(z3.Or(z3.Not(inv.pair(D, sides[0], sides[1])), z3.Not(inv.pair(D, sides[1], sides[0]))))
    r, why = check(s)
    return r, why, (s.model() if r == z3.sat else None)


class StepQuery(NamedTuple):
    """A solver holding one step of endpoint X from a state where every invariant holds."""

    solver: z3.Solver
    X: Side
    Y: Side
    arriving: Segment | None
    other: Segment
    other_to_X: z3.BoolRef
    step: object  # encoding.Step
    params: Params  # what an OPEN of X would choose


def step_counterexample(model, shape, q: StepQuery, breaks: list[str], peer: bool = False) -> dict:
    """A refuted step query as numbers: the rule, X before and after (and its
    peer Y before, with ``peer``), what broke, the arriving segment, what X sent."""
    before = {"X": tcb_dict(concrete_tcb(model, q.X.tcb))}
    if peer:
        before["Y"] = tcb_dict(concrete_tcb(model, q.Y.tcb))
    cx = {"rule": shape.describe(), "before": before,
          "after": {"X": tcb_dict(concrete_tcb(model, q.step.after.tcb))}, "breaks": breaks}
    if q.arriving is not None:
        cx["arriving"] = seg_dict(concrete_segment(model, q.arriving))
    cx["sent"] = [seg_dict(concrete_segment(model, seg)) for seg, p in q.step.sent if _bool(model, p)]
    return cx


def step_query(shape, ctx: Context) -> StepQuery:
    """X (in the shape's first state) takes a step of ``shape``; Y, the arriving
    segment and one other segment in flight are arbitrary but satisfy the invariants."""
    X, Y = fresh_side("X", shape.rules[0].state), fresh_side("Y")
    arriving = fresh_segment("arriving") if shape.kind == "rcv" else None
    other, other_to_X = fresh_segment("other"), z3.Bool("other.to_X")
    wnd = z3.BitVec("RCV.WND", 32)
    params = Params(z3.BitVec("OPEN.ISS", 32), z3.BitVec("OPEN.retransmissions", 32))
    step = encode(shape, X, arriving, wnd, params, ctx.actions)
    s = solver(ctx.timeout)
    s.add(valid_state(Y), wnd != 0, z3.ULE(wnd, MAX_WINDOW), step.condition,
          *assume_invariants(X, Y, arriving, other, other_to_X))
    return StepQuery(s, X, Y, arriving, other, other_to_X, step, params)


def invariant(inv: Invariant, ctx: Context) -> Outcome:
    """Obligation 2, for one invariant: initiation, then one consecution query per step shape."""
    start = time.perf_counter()
    r, why, m = initiation(inv, ctx)
    queries = 1
    if r == z3.sat:
        return Outcome(inv.name, inv.statement, REFUTED, time.perf_counter() - start, queries,
                       {"rule": "the initial state (both endpoints CLOSED, nothing in flight)"}, id=inv.id)
    if r == z3.unknown:
        return Outcome(inv.name, inv.statement, UNKNOWN, time.perf_counter() - start, queries,
                       reason=f"initial state: {why}", id=inv.id)
    for shape in shapes(ctx.table):
        q = step_query(shape, ctx)
        ways = broken_after(inv, q.step.after, q.Y, q.step.sent, q.other, q.other_to_X)
        q.solver.add(z3.Or(*[c for _, c in ways]))
        queries += 1
        r, why = check(q.solver)
        if r == z3.sat:
            m = q.solver.model()
            cx = step_counterexample(m, shape, q, [w for w, c in ways if _bool(m, c)], peer=True)
            if "another segment in flight" in cx["breaks"]:
                cx["other"] = {**seg_dict(concrete_segment(m, q.other)),
                               "direction": "Y to X" if _bool(m, q.other_to_X) else "X to Y"}
            return Outcome(inv.name, inv.statement, REFUTED, time.perf_counter() - start, queries, cx, id=inv.id)
        if r == z3.unknown:
            return Outcome(inv.name, inv.statement, UNKNOWN, time.perf_counter() - start, queries,
                           reason=f"{shape.describe()}: {why}", id=inv.id)
    return Outcome(inv.name, inv.statement, PROVED, time.perf_counter() - start, queries, id=inv.id)
