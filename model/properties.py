"""Named properties of the TCP model, checked on an exploration.

Layer 7.  Five kinds, after stateright's vocabulary:

* ``invariant``: true in every reachable state (a counterexample is the
  shortest path to a state where it is false);
* ``step``: true of every transition (a counterexample is the shortest path
  through a transition where it is false, kept as a lasso without a cycle
  that names that very transition: another may join the same two states);
* ``reachability``: true in some reachable state (the witness is the shortest
  path to one);
* ``deadlock``: every terminal state is an acceptable end;
* ``liveness``: ``P leads to Q`` under the fairness of :mod:`liveness` (a
  counterexample is a lasso: a path to a cycle, or to a stop, without Q).

Each property has a one-sentence statement and a stable short id (:data:`IDS`,
like a linter's rule codes).  The invariants are those of
:mod:`model.invariants`, where each fact is written once for this checker and
for the proofs.  On an incomplete exploration a
property that was neither violated nor witnessed is ``unknown``.  Why a
property fails is said in English as a :class:`Text` made from one of the
templates of :data:`REASONS`, so that a report can say it in another language
(the translations are kept outside the model, keyed by template name).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .explorer import Exploration
from .invariants import CHECKED, REASONS as INVARIANT_REASONS, Invariant, checker
from .liveness import FAIRNESS, Lasso, leads_to
from .system import State
from .tcb import STATES, Concrete, describe_segment

__all__ = ["Text", "REASONS", "Property", "Verdict", "PROPERTIES", "FAIRNESS", "check_properties",
           "IDS", "acceptable_end", "run_of", "labels_of", "path_of"]

D = Concrete


class Text(str):
    """English prose that remembers how it was made, so that it can be said in
    another language without the model knowing any: ``Text(key, template,
    **facts)`` is the string ``template.format(**facts)`` and keeps ``key``
    (the template's name, under which translations are kept), ``template`` and
    ``facts``.  A fact may itself be a Text, to be translated in its turn.

    >>> t = Text("stuck", "stuck with A in {a}", a="CLOSED")
    >>> t, t.key, t.facts
    ('stuck with A in CLOSED', 'stuck', {'a': 'CLOSED'})
    """

    key: str
    template: str
    facts: dict

    def __new__(cls, key: str, template: str, /, **facts):
        self = super().__new__(cls, template.format(**facts))
        self.key, self.template, self.facts = key, template, facts
        return self

    def __getnewargs_ex__(self):
        return (self.key, self.template), self.facts


#: Why a property fails, one English template per kind of failure, by name.
REASONS: dict[str, str] = {
    **INVARIANT_REASONS,  # the invariants', with their facts (model/invariants.py)
    "reset-in-last-ack": "{actor} in LAST_ACK is reset by {segment}",
    "unreached": "no explored state has it",
    "stuck": "stuck with A in {a}, B in {b}, {n} segment(s) in flight",
    "never-gets-there": "a fair run never gets there: {how} with A in {a}, B in {b}",
    "goes-round": "it goes round a cycle of {n} steps",
    "stops": "it stops",
}


def _why(key: str, **facts) -> Text:
    return Text(key, REASONS[key], **facts)


class Property(NamedTuple):
    """A named property: its sentence, its kind, its test and its stable short id
    (see :data:`IDS`), printed beside the name."""

    name: str
    kind: str  # "invariant", "step", "reachability", "deadlock" or "liveness"
    statement: str
    test: object  # invariant/reachability: state -> None if fine, else why not;
    #               step: (state before, step, state after) -> None if fine, else why not;
    #               liveness: ((P, Q), ...) predicate pairs on states, each "P leads to Q"
    id: str = ""  # the stable short id: INV1, STEP1, REACH-CLOSED, DEAD1, LIVE1, ...


class Verdict(NamedTuple):
    name: str
    kind: str
    statement: str
    verdict: str  # "holds", "violated" or "unknown"
    state: int | None  # counterexample (violated) or witness (reachability holds)
    detail: str  # why it is violated: a Text (English, translatable) for the built-in properties
    lasso: Lasso | None = None  # a liveness or step counterexample, with its exact steps
    id: str = ""  # the property's stable short id


def _invariant(inv: Invariant) -> Callable:
    """The test of a checked invariant on a state: its first failing fact, said as a Text."""
    check = checker(D, inv)

    def test(s: State):
        why = check(s.A, s.B, s.net_AB, s.net_BA)
        return None if why is None else _why(why[0], **why[1])
    return test


def _passive_closer_not_reset(before: State, step, after: State):
    if step.kind == "rcv" and step.segment.RST:
        b, a = getattr(before, step.actor), getattr(after, step.actor)
        if b.state == "LAST_ACK" and a.state == "CLOSED":
            return _why("reset-in-last-ack", actor=step.actor, segment=describe_segment(step.segment))
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
    *(Property(inv.name, "invariant", inv.statement, _invariant(inv), inv.id) for inv in CHECKED),
    Property("the passive closer is never reset", "step",
             "An endpoint in LAST_ACK is never moved to CLOSED by a reset: its FIN is "
             "acknowledged (claim C17).", _passive_closer_not_reset, "STEP1"),
    *(Property(f"{name} is reachable", "reachability",
               f"Some endpoint reaches {name}.", _reach(name), f"REACH-{name}") for name in STATES),
    Property("deadlock freedom", "deadlock",
             "Every state without successors has nothing in flight and each endpoint CLOSED "
             "(or in LISTEN, for a passive opener).", None, "DEAD1"),
    Property("every close completes", "liveness",
             "Once an application has closed, every fair run ends with nothing in flight and "
             "each endpoint CLOSED (or in LISTEN, for a passive opener).",
             ((_closed_by_app, acceptable_end),), "LIVE1"),
    Property("SYN_SENT leads to ESTABLISHED or CLOSED", "liveness",
             "Every fair run in which an endpoint is in SYN_SENT later finds it ESTABLISHED or "
             "CLOSED.",
             tuple((_in(w, "SYN_SENT"), _in(w, "ESTABLISHED", "CLOSED")) for w in ("A", "B")), "LIVE2"),
)


#: The stable short ids of the built-in properties, in order (like a linter's rule
#: codes): INV1-INV4 the invariants (model/invariants.py), STEP1 the step property,
#: REACH-<state> reachability of each state, DEAD1 deadlock freedom, LIVE1-LIVE2
#: liveness.  An id is never changed nor given to another property.
IDS: tuple[str, ...] = tuple(p.id for p in PROPERTIES)


def run_of(x: Exploration, v: Verdict) -> list[int]:
    """The state ids of the run that shows verdict ``v``: its lasso (stem, then
    the cycle once round), or the shortest path to its state; [] if it has none."""
    if v.lasso is not None:
        return v.lasso.ids
    return x.ids_to(v.state) if v.state is not None else []


def labels_of(x: Exploration, v: Verdict) -> list[int] | None:
    """The label ids of the steps of :func:`run_of`: exactly the transitions
    the check found (a step property's violating step, a lasso's cycle), not
    merely some step between the same two states.  None when not known."""
    if v.lasso is not None:
        return v.lasso.labels
    return x.labels_to(v.state) if v.state is not None else []


def path_of(x: Exploration, v: Verdict) -> list[tuple[object, object]]:
    """The run that shows verdict ``v``, step by step: [(None, s0), (step1, s1), ...],
    each step the exact transition of the counterexample or witness; [] if it has none."""
    ids = run_of(x, v)
    return x.walk(ids, labels_of(x, v)) if ids else []


def check_properties(x: Exploration, properties=PROPERTIES) -> list[Verdict]:
    """Check each property on the explored states; states are visited in BFS
    order, so the first violation or witness found is at minimal depth."""
    verdicts = []
    n = x.expanded if not x.complete else len(x.states)
    states = [x.state(i) for i in range(len(x.states))]
    for p in properties:
        head = (p.name, p.kind, p.statement)
        if p.kind == "invariant":
            for i in range(len(states)):
                why = p.test(states[i])
                if why is not None:
                    verdicts.append(Verdict(*head, "violated", i, why))
                    break
            else:
                verdicts.append(Verdict(*head,
                                        "holds" if x.complete else "unknown", None, ""))
        elif p.kind == "reachability":
            for i in range(len(states)):
                if p.test(states[i]) is None:
                    verdicts.append(Verdict(*head, "holds", i, ""))
                    break
            else:
                verdicts.append(Verdict(*head,
                                        "violated" if x.complete else "unknown", None,
                                        _why("unreached")))
        elif p.kind == "step":
            found = None
            for u, v, k in zip(x.src, x.dst, x.lab):  # sources in BFS order: shallowest first
                why = p.test(states[u], x.label(k), states[v])
                if why is not None:
                    found = (u, v, k, why)
                    break
            if found is None:
                verdicts.append(Verdict(*head,
                                        "holds" if x.complete else "unknown", None, ""))
            else:
                # the violating step itself is kept: another step may join the same two states
                u, v, k, why = found
                verdicts.append(Verdict(*head, "violated", None, why,
                                        Lasso(x.ids_to(u) + [v], [], x.labels_to(u) + [k], [])))
        elif p.kind == "liveness":
            if not x.complete:
                verdicts.append(Verdict(*head, "unknown", None, ""))
                continue
            lasso = next((lasso for pq in p.test if (lasso := leads_to(x, *pq)) is not None), None)
            if lasso is None:
                verdicts.append(Verdict(*head, "holds", None, ""))
            else:
                end = states[lasso.stem[-1]]
                how = _why("goes-round", n=len(lasso.cycle) - 1) if lasso.cycle else _why("stops")
                verdicts.append(Verdict(*head, "violated", None,
                                        _why("never-gets-there", how=how, a=end.A.state, b=end.B.state),
                                        lasso))
        else:
            bad = [i for i in x.terminal if i < n and not acceptable_end(states[i])]
            if bad:
                s = states[bad[0]]
                verdicts.append(Verdict(*head, "violated", bad[0],
                                        _why("stuck", a=s.A.state, b=s.B.state,
                                             n=len(s.net_AB) + len(s.net_BA))))
            else:
                verdicts.append(Verdict(*head,
                                        "holds" if x.complete else "unknown", None, ""))
    return [v._replace(id=p.id) for v, p in zip(verdicts, properties)]
