"""Named properties of the TCP model, checked on an exploration.

Layer 7.  Three kinds, after stateright's vocabulary:

* ``invariant``: true in every reachable state (a counterexample is the
  shortest path to a state where it is false);
* ``step``: true of every transition (a counterexample is the shortest path
  through a transition where it is false);
* ``reachability``: true in some reachable state (the witness is the shortest
  path to one);
* ``deadlock``: every terminal state is an acceptable end;
* ``liveness``: ``P leads to Q`` under the fairness of :mod:`liveness` (a
  counterexample is a lasso: a path to a cycle, or to a stop, without Q).

Each property has a one-sentence statement.  On an incomplete exploration a
property that was neither violated nor witnessed is ``unknown``.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .explorer import Exploration
from .liveness import FAIRNESS, Lasso, leads_to
from .system import State
from .tcb import MASK, STATES, SYNCHRONIZED, Concrete, describe_segment

__all__ = ["Property", "Verdict", "PROPERTIES", "FAIRNESS", "check_properties", "acceptable_end", "run_of"]

D = Concrete
_HAS_PEER_SEQ = frozenset(SYNCHRONIZED)
_SENDING = frozenset(s for s in STATES if s not in ("CLOSED", "LISTEN"))


class Property(NamedTuple):
    name: str
    kind: str  # "invariant", "step", "reachability", "deadlock" or "liveness"
    statement: str
    test: object  # invariant/reachability: state -> None if fine, else why not;
    #               step: (state before, step, state after) -> None if fine, else why not;
    #               liveness: ((P, Q), ...) predicate pairs on states, each "P leads to Q"


class Verdict(NamedTuple):
    name: str
    kind: str
    statement: str
    verdict: str  # "holds", "violated" or "unknown"
    state: int | None  # counterexample (violated) or witness (reachability holds)
    detail: str
    lasso: Lasso | None = None  # a liveness counterexample


def _between(x, lo, hi):
    """lo =< x =< hi on the sequence-number circle."""
    return ((x - lo) & MASK) <= ((hi - lo) & MASK)


def _peers(s: State):
    yield "A", s.A, "B", s.B, s.net_AB
    yield "B", s.B, "A", s.A, s.net_BA


def _acks_only_sent(s: State):
    for x, tx, y, ty, flight in _peers(s):
        if ty.state not in _SENDING:
            continue
        if tx.state in _HAS_PEER_SEQ and not _between(tx.rcv_nxt, ty.iss, ty.snd_nxt):
            return (f"{x}.RCV.NXT={tx.rcv_nxt} acknowledges beyond {y}.SND.NXT={ty.snd_nxt}")
        for seg in flight:
            if seg.ACK and not _between(seg.ack, ty.iss, ty.snd_nxt) and not seg.RST:
                return (f"segment in flight {x}->{y} has ACK={seg.ack}, "
                        f"beyond {y}.SND.NXT={ty.snd_nxt}")
    return None


def _rcv_nxt_in_range(s: State):
    if s.A.state not in _HAS_PEER_SEQ or s.B.state not in _HAS_PEER_SEQ:
        return None
    for x, tx, y, ty, _ in _peers(s):
        if tx.irs != ty.iss:
            return f"{x}.IRS={tx.irs} but {y}.ISS={ty.iss}"
        if not _between(tx.rcv_nxt, D.add(ty.iss, 1), ty.snd_nxt):
            return (f"{x}.RCV.NXT={tx.rcv_nxt} is outside "
                    f"[{y}.ISS+1, {y}.SND.NXT] = [{D.add(ty.iss, 1)}, {ty.snd_nxt}]")
    return None


def _una_in_range(s: State):
    for x, tx, _, _, _ in _peers(s):
        if tx.state != "CLOSED" and not _between(tx.snd_una, tx.iss, tx.snd_nxt):
            return (f"{x}.SND.UNA={tx.snd_una} is outside "
                    f"[{x}.ISS, {x}.SND.NXT] = [{tx.iss}, {tx.snd_nxt}]")
    return None


def _established_on_current_syn(s: State):
    for x, tx, y, ty, _ in _peers(s):
        if tx.state == "ESTABLISHED" and ty.state not in ("CLOSED", "LISTEN") and tx.irs != ty.iss:
            return f"{x} is ESTABLISHED with IRS={tx.irs}, but {y}'s connection has ISS={ty.iss}"
    return None


def _passive_closer_not_reset(before: State, step, after: State):
    if step.kind == "rcv" and step.segment.RST:
        b, a = getattr(before, step.actor), getattr(after, step.actor)
        if b.state == "LAST_ACK" and a.state == "CLOSED":
            return f"{step.actor} in LAST_ACK is reset by {describe_segment(step.segment)}"
    return None


def acceptable_end(s: State) -> bool:
    """Nothing in flight, and each endpoint CLOSED or LISTENing as a passive opener."""
    if s.net_AB or s.net_BA:
        return False
    return all(t.state == "CLOSED" or (t.state == "LISTEN" and t.passive) for t in (s.A, s.B))


def _closed_by_app(s: State) -> bool:
    """Some application has closed (or given up on) its connection."""
    return not s.app_A.close or not s.app_B.close


def _in(who: str, *names: str):
    return lambda s: getattr(s, who).state in names


def _reach(state_name):
    return lambda s: None if state_name in (s.A.state, s.B.state) else "not here"


PROPERTIES: tuple[Property, ...] = (
    Property("no acknowledgment of unsent data", "invariant",
             "No endpoint's RCV.NXT, and no ACK in flight, acknowledges a sequence number "
             "its peer has not sent (it lies within [peer ISS, peer SND.NXT]).", _acks_only_sent),
    Property("RCV.NXT within the peer's sent range", "invariant",
             "When both endpoints are synchronized, each one's IRS is the other's ISS and its "
             "RCV.NXT lies between the other's ISS+1 and SND.NXT.", _rcv_nxt_in_range),
    Property("SND.UNA within [ISS, SND.NXT]", "invariant",
             "An endpoint never considers acknowledged more than it sent, nor less than its ISS.",
             _una_in_range),
    Property("ESTABLISHED only on the peer's current SYN", "invariant",
             "An endpoint in ESTABLISHED has as IRS the ISS of its peer's current connection, "
             "whenever the peer has one (is neither CLOSED nor LISTEN).", _established_on_current_syn),
    Property("the passive closer is never reset", "step",
             "An endpoint in LAST_ACK is never moved to CLOSED by a reset: its FIN is "
             "acknowledged (claim C17).", _passive_closer_not_reset),
    *(Property(f"{name} is reachable", "reachability",
               f"Some endpoint reaches {name}.", _reach(name)) for name in STATES),
    Property("deadlock freedom", "deadlock",
             "Every state without successors has nothing in flight and each endpoint CLOSED "
             "(or in LISTEN, for a passive opener).", None),
    Property("every close completes", "liveness",
             "Once an application has closed, every fair run ends with nothing in flight and "
             "each endpoint CLOSED (or in LISTEN, for a passive opener).",
             ((_closed_by_app, acceptable_end),)),
    Property("SYN_SENT leads to ESTABLISHED or CLOSED", "liveness",
             "Every fair run in which an endpoint is in SYN_SENT later finds it ESTABLISHED or "
             "CLOSED.",
             tuple((_in(w, "SYN_SENT"), _in(w, "ESTABLISHED", "CLOSED")) for w in ("A", "B"))),
)


def run_of(x: Exploration, v: Verdict) -> list[int]:
    """The state ids of the run that shows verdict ``v``: its lasso (stem, then
    the cycle once round), or the shortest path to its state; [] if it has none."""
    if v.lasso is not None:
        return v.lasso.stem + v.lasso.cycle[1:]
    return x.ids_to(v.state) if v.state is not None else []


def check_properties(x: Exploration, properties=PROPERTIES) -> list[Verdict]:
    """Check each property on the explored states; states are visited in BFS
    order, so the first violation or witness found is at minimal depth."""
    verdicts = []
    n = x.expanded if not x.complete else len(x.states)
    states = [x.state(i) for i in range(len(x.states))]
    for p in properties:
        if p.kind == "invariant":
            for i in range(len(states)):
                why = p.test(states[i])
                if why is not None:
                    verdicts.append(Verdict(p.name, p.kind, p.statement, "violated", i, why))
                    break
            else:
                verdicts.append(Verdict(p.name, p.kind, p.statement,
                                        "holds" if x.complete else "unknown", None, ""))
        elif p.kind == "reachability":
            for i in range(len(states)):
                if p.test(states[i]) is None:
                    verdicts.append(Verdict(p.name, p.kind, p.statement, "holds", i, ""))
                    break
            else:
                verdicts.append(Verdict(p.name, p.kind, p.statement,
                                        "violated" if x.complete else "unknown", None,
                                        "no explored state has it"))
        elif p.kind == "step":
            found = None
            for u, v, k in zip(x.src, x.dst, x.lab):  # sources in BFS order: shallowest first
                why = p.test(states[u], x.label(k), states[v])
                if why is not None:
                    found = (u, v, why)
                    break
            if found is None:
                verdicts.append(Verdict(p.name, p.kind, p.statement,
                                        "holds" if x.complete else "unknown", None, ""))
            else:
                u, v, why = found
                verdicts.append(Verdict(p.name, p.kind, p.statement, "violated", None, why,
                                        Lasso(x.ids_to(u) + [v], [])))
        elif p.kind == "liveness":
            if not x.complete:
                verdicts.append(Verdict(p.name, p.kind, p.statement, "unknown", None, ""))
                continue
            lasso = next((lasso for pq in p.test if (lasso := leads_to(x, *pq)) is not None), None)
            if lasso is None:
                verdicts.append(Verdict(p.name, p.kind, p.statement, "holds", None, ""))
            else:
                end = states[lasso.stem[-1]]
                how = (f"it goes round a cycle of {len(lasso.cycle) - 1} steps"
                       if lasso.cycle else "it stops")
                verdicts.append(Verdict(p.name, p.kind, p.statement, "violated", None,
                                        f"a fair run never gets there: {how} with A in "
                                        f"{end.A.state}, B in {end.B.state}", lasso))
        else:
            bad = [i for i in x.terminal if i < n and not acceptable_end(states[i])]
            if bad:
                s = states[bad[0]]
                verdicts.append(Verdict(p.name, p.kind, p.statement, "violated", bad[0],
                                        f"stuck with A in {s.A.state}, B in {s.B.state}, "
                                        f"{len(s.net_AB) + len(s.net_BA)} segment(s) in flight"))
            else:
                verdicts.append(Verdict(p.name, p.kind, p.statement,
                                        "holds" if x.complete else "unknown", None, ""))
    return verdicts
