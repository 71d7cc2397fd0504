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

import numpy as np

from .explorer import Exploration
from .invariants import CHECKED, REASONS as INVARIANT_REASONS, Invariant, checker
from .liveness import FAIRNESS, Lasso, _Graph as _LiveGraph, leads_to_masks
from .system import State
from .tcb import STATES, Concrete, describe_segment

__all__ = ["Text", "REASONS", "Property", "Verdict", "PROPERTIES", "FAIRNESS", "check_properties", "Monitor",
           "on_the_fly", "reads", "when",
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


def reads(*fields: str):
    """Mark a test on states as reading only these fields of :class:`State`,
    so that the checker may remember its answer per combination of their values
    (and evaluate it while the states are found).  A test without the mark is
    evaluated on every state, after the search.  On a step property's test it
    means the fields it reads of the states before and after the step: its
    answer is then remembered per step and combination of those values."""
    def mark(fn):
        fn.reads = fields
        return fn
    return mark


def when(relevant: Callable):
    """Mark a step property's test as able to fail only on a step for which
    ``relevant(step)`` holds, so that the checker asks it about those steps alone
    (and while the transitions are found)."""
    def mark(fn):
        fn.when = relevant
        return fn
    return mark


_TCBS_AND_NETWORK = ("A", "B", "net_AB", "net_BA")


def _invariant(inv: Invariant) -> Callable:
    """The test of a checked invariant on a state: its first failing fact, said as a Text."""
    check = checker(D, inv)

    @reads(*_TCBS_AND_NETWORK)
    def test(s: State):
        why = check(s.A, s.B, s.net_AB, s.net_BA)
        return None if why is None else _why(why[0], **why[1])
    # the same test as a conjunction of parts, each on fewer fields (far fewer values
    # than whole states): the pair facts, and (if it has any) the segment facts of each
    # segment in flight in each direction, which read that one segment and the TCBs the
    # facts written out read (model.tcb.written_out's reads)
    pair, segment = check.pair, check.segment
    test.parts = ((("A", "B"), lambda s: pair(s.A, s.B) and pair(s.B, s.A)),)
    if segment is not None:
        # (a segment part need not repeat the pair facts: they are a part of their own); it reads
        # the sender's TCB only if the facts written out read it (INV1's read the receiver's alone)
        sender = "X" in getattr(segment, "reads", "X")
        test.parts += (((("A",) if sender else ()) + ("B", "net_AB"),
                        lambda s, seg: segment(seg, s.A, s.B), "net_AB"),
                       ((("B",) if sender else ()) + ("A", "net_BA"),
                        lambda s, seg: segment(seg, s.B, s.A), "net_BA"))
    return test


@when(lambda step: step.kind == "rcv" and step.segment.RST)
@reads("A", "B")
def _passive_closer_not_reset(before: State, step, after: State):
    if step.kind == "rcv" and step.segment.RST:
        b, a = getattr(before, step.actor), getattr(after, step.actor)
        if b.state == "LAST_ACK" and a.state == "CLOSED":
            return _why("reset-in-last-ack", actor=step.actor, segment=describe_segment(step.segment))
    return None


@reads(*_TCBS_AND_NETWORK)
def acceptable_end(s: State) -> bool:
    """Nothing in flight, and each endpoint CLOSED or LISTENing as a passive opener."""
    return _nothing_in_flight(s) and _ends(s)


def _nothing_in_flight(s: State) -> bool:
    return not s.net_AB and not s.net_BA


def _ends(s: State) -> bool:
    return all(t.state == "CLOSED" or (t.state == "LISTEN" and t.passive) for t in (s.A, s.B))


acceptable_end.parts = ((("net_AB", "net_BA"), _nothing_in_flight), (("A", "B"), _ends))


@reads("app_A", "app_B")
def _closed_by_app(s: State) -> bool:
    """Some application has closed (or given up on) its connection."""
    return not s.app_A.close or not s.app_B.close


def _in(who: str, *names: str):
    return reads(who)(lambda s: getattr(s, who).state in names)


def _reach(state_name):
    return reads("A", "B")(lambda s: None if state_name in (s.A.state, s.B.state) else "not here")


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


def on_the_fly(p: Property) -> bool:
    """Whether the checker can decide ``p`` while the states are found: its tests
    say what they read (:func:`reads`, :func:`when`).  Deadlock freedom always can."""
    if p.kind in ("invariant", "reachability"):
        return hasattr(p.test, "reads")
    if p.kind == "step":
        return hasattr(p.test, "when")
    if p.kind == "liveness":
        return all(hasattr(f, "reads") for pair in p.test for f in pair)
    return True


class _Group:
    """The state tests that read the same fields: their answers remembered per
    combination of those fields' values (an outcome number; the outcomes are
    interned), and for each state the bits of its liveness predicates.

    A test ``each`` segment of a field (see :func:`_parts`) is asked once per
    segment and combination of the group's other fields, its answers
    remembered in ``each_memo``: a new combination of channel contents is
    mostly made of segments already seen beside the same two TCBs."""

    def __init__(self, fields, index):
        self.fields = fields
        self.index = index
        self.key = None if index is None else _Memo(len(index))
        self.tests: list = []  # (what, name, fine, each): what is "invariant", "reach", "pred" or "seen"
        self.each: str | None = None  # the field whose segments the "each" tests take one by one
        self.each_tests: list[int] = []  # their positions in tests
        self.each_memo: dict = {}  # (the other fields' values, segment) -> each "each" test's answer
        self.segments: dict = {}  # value of the "each" field -> its segments (numbers, in a layout's group)
        self.segment_ids: dict = {}  # segment -> its number (in a layout's group of "each" tests alone)
        self.segment_items: list = []  # number -> segment
        self.seg_memo = _Memo(len(index)) if index is not None else None  # (other fields, segment number) -> mask
        self.all_fine: tuple | None = None  # when every test is an "each" one (and a layout): all true
        self.memo: dict = {}
        self.outcomes: list[tuple] = []  # outcome -> each test's answer: whether it is fine
        self.outcome_ids: dict = {}
        self.alert: list[bool] = []  # outcome -> whether it decides a property still open
        self.alerting = False  # whether any outcome does (else a batch's outcomes need no look)
        self.bits: list[int] = []  # outcome -> its liveness predicates' bits
        self.preds = 0
        self.flags = bytearray()  # state id -> bits (only when the group has liveness predicates)
        self.arrays = None  # (alert, bits) as numpy arrays, remade when they change

    def alert_and_bits(self):
        if self.arrays is None or len(self.arrays[0]) != len(self.alert):
            self.arrays = (np.array(self.alert, dtype=bool), np.array(self.bits, dtype=np.uint8))
        return self.arrays


def _parts(test, fine=None) -> tuple:
    """A state test as (fields, fine, each) parts, whose conjunction it is: its
    own ``parts`` (see :func:`_invariant`), else ``fine`` (default: the test) on
    what it reads.  A part holds when ``fine(state)`` is true or, when ``each``
    names a field (a channel's contents), when ``fine(state, segment)`` is true
    of every segment of that field."""
    parts = getattr(test, "parts", None) or ((getattr(test, "reads", None), fine or test),)
    return tuple((part + (None,))[:3] for part in parts)


class _Memo:
    """Answers remembered per key, a non-negative integer that combines the
    interned ids of a group's fields (each field its own bit field, widened when
    an id outgrows it: the answers are then forgotten, as they are when there are
    more than :data:`_MEMO` of them).  Looked up a whole batch at a time: a
    direct table when the keys' range is small, else a sorted array of the keys
    (searched for the batch's distinct keys) and a dict of those added since it
    was last sorted."""

    def __init__(self, n: int):
        self.widths = [0] * n
        self.direct_bits = _DIRECT_BITS
        self.clear()

    def clear(self) -> None:
        self.table = None  # outcome by key (-1: unknown), when the range is at most direct_bits
        self.keys = np.zeros(0, dtype=np.int64)  # else: sorted keys
        self.vals = np.zeros(0, dtype=np.int32)  # and their outcomes
        self.recent: dict = {}  # key -> outcome, not yet in keys
        if sum(self.widths) <= self.direct_bits:
            self.table = np.full(1 << sum(self.widths), -1, dtype=np.int32)

    def allow(self, bits: int) -> None:
        """Let the direct table have up to ``2**bits`` entries (it becomes one, with
        what is remembered, when the keys now fit)."""
        if bits <= self.direct_bits:
            return
        self.direct_bits = bits
        if self.table is None and sum(self.widths) <= bits:
            keys, vals = self.items()
            self.clear()
            self.put(keys, vals)

    def key(self, cols: list, tops: list) -> np.ndarray:
        """The keys of a batch: ``cols`` the fields' ids, ``tops`` their largest."""
        if any(t >> w for t, w in zip(tops, self.widths)):
            keys, vals = self.items()
            fields, at = [], sum(self.widths)
            for w in self.widths:  # the remembered keys, split into their fields' ids
                at -= w
                fields.append((keys >> at) & ((1 << w) - 1))
            self.widths = [max(w, t.bit_length() + 1) for t, w in zip(tops, self.widths)]
            if sum(self.widths) > 63:
                raise OverflowError(f"the memo's key needs {sum(self.widths)} bits, more than 63")
            self.clear()
            if len(keys):
                self.put(self._combine(fields), vals)  # remembered under their new keys
        return self._combine(cols)

    def _combine(self, cols: list) -> np.ndarray:
        key = cols[0]
        for c, w in zip(cols[1:], self.widths[1:]):
            key = (key << w) | c
        return key

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """The keys remembered and their outcomes."""
        if self.table is not None:
            keys = np.flatnonzero(self.table >= 0)
            return keys, self.table[keys]
        k = np.fromiter(self.recent, dtype=np.int64, count=len(self.recent))
        v = np.fromiter(self.recent.values(), dtype=np.int32, count=len(self.recent))
        return np.concatenate([self.keys, k]), np.concatenate([self.vals, v])

    def lookup(self, key: np.ndarray) -> np.ndarray:
        """The outcome of each key (-1 where none is remembered)."""
        if self.table is not None:
            return self.table[key]
        # the batch's distinct keys, sorted: far fewer, and searched for in order (cache-friendly)
        distinct, inverse = np.unique(key, return_inverse=True)
        out = np.full(len(distinct), -1, dtype=np.int32)
        if len(self.keys):
            pos = np.searchsorted(self.keys, distinct)
            np.minimum(pos, len(self.keys) - 1, out=pos)
            hit = self.keys[pos] == distinct
            out[hit] = self.vals[pos[hit]]
        if self.recent:
            get = self.recent.get
            miss = np.flatnonzero(out < 0)
            out[miss] = [get(k, -1) for k in distinct[miss].tolist()]
        return out[inverse.reshape(-1)]

    def put(self, ks: np.ndarray, outs: np.ndarray) -> None:
        if self.table is not None:
            self.table[ks] = outs
            return
        self.recent.update(zip(ks.tolist(), outs.tolist()))
        if len(self.recent) > max(4096, len(self.keys) >> 3):
            k, v = self.items()
            order = np.argsort(k, kind="stable")
            self.keys, self.vals, self.recent = k[order], v[order], {}
            if len(self.keys) > _MEMO:
                self.clear()


class Monitor:
    """Checks properties as the states and transitions of a search are found.

    Feed it the exploration as it grows (:meth:`feed`: everything new since the
    last call, in id order) and ask it for each property's :meth:`verdict` at
    the end.  Invariants and reachability are decided when a state is first
    seen, step properties when a transition is, deadlock freedom when a state
    is expanded; liveness needs the whole graph, so its predicates are recorded
    per state (one bit each) and the fair-cycle analysis runs on the arrays at
    the end.  States and transitions are taken in the order the search numbers
    them, so the first violation or witness found is the one at minimal depth,
    exactly as a pass over the finished exploration would find it.

    ``layout``: the :class:`State` field each component of an internal state
    becomes (for :class:`model.system.Model`, field i is decoded from component
    i alone).  Then each test (or each part of a test that is a conjunction of
    parts, like an invariant's pair and segment facts) is asked once per
    combination of the values of the fields it reads, and its answer
    remembered: states are decoded only where some answer is not yet known.
    Without it, every state is decoded and each test asked.  With it, a batch
    of new states is handled with numpy (:meth:`_feed_states`): each group's
    key per state is one int64 (:class:`_Memo`), looked up for the whole
    batch; the states come as columns of component ids (:meth:`_columns`: an
    exploration whose ``states`` has ``columns(n0, n1)`` gives them so, and is
    never unpacked a batch at a time).
    ``stop_at_first``: :meth:`feed` says ``"violation"`` as soon as an
    invariant, step property or deadlock is violated.
    """

    def __init__(self, properties, layout: tuple[str, ...] | None = None, stop_at_first: bool = False):
        self.properties = tuple(properties)
        self._by_name = {p.name: p for p in self.properties}
        self.stop_at_first = stop_at_first
        self.layout = layout
        self.decided: dict[str, Verdict] = {}
        self.n_states = self.n_edges = self.n_terminal = 0
        self.reached: dict[str, set] = {"A": set(), "B": set()}  # RFC states each endpoint was seen in
        self._groups: dict = {}
        self._live: dict[str, list] = {}  # liveness property -> [(P's parts, Q's parts)], each [(group, bit)]
        self._steps = [p for p in self.properties if p.kind == "step"]
        self._relevant: dict[str, list[bool]] = {p.name: [] for p in self._steps}
        # a step test that says what it reads: the steps and values already found fine
        self._fine_steps = {p.name: _Memo(1 + 2 * len(p.test.reads)) for p in self._steps
                            if layout is not None and getattr(p.test, "reads", None) is not None}
        self._deadlock = [p for p in self.properties if p.kind == "deadlock"]
        self._graph = None
        self._ids: list[dict] | None = None  # value -> id, for each component that is not an id
        for p in self.properties:
            if p.kind in ("invariant", "reachability"):
                what = "invariant" if p.kind == "invariant" else "reach"
                parts = (_parts(p.test, lambda s, t=p.test: t(s) is None) if what == "invariant"
                         else ((_fields(p.test), p.test, None),))
                for fields, fine, each in parts:
                    self._add(self._group(fields, each=each), (what, p.name, fine, each))
            elif p.kind == "liveness":
                self._live[p.name] = [tuple(self._predicate(f) for f in pair) for pair in p.test]
        if layout is not None:
            self._group(("A", "B")).tests.append(("seen", None, _endpoint_states, None))
            for g in self._groups.values():
                if g.each is not None and len(g.fields) > 1 and len(g.each_tests) == len(g.tests):
                    g.all_fine = (True,) * len(g.tests)

    @staticmethod
    def _add(g: _Group, test: tuple) -> None:
        if test[3] is not None:
            g.each_tests.append(len(g.tests))
        g.tests.append(test)

    def _group(self, fields, pred: bool = False, each: str | None = None) -> _Group:
        """The group of the tests that read ``fields`` (None: everything), or of
        one or two fields that include them (they have few values); with room for
        one more liveness predicate when ``pred``; for a test of ``each`` segment
        of that field, one whose "each" tests take the same field."""
        if self.layout is None or fields is None:
            fields = None
        else:
            fields = tuple(sorted(fields, key=self.layout.index))
        for (have, _), g in self._groups.items():
            if ((have == fields or (fields is not None and have is not None and len(have) <= 2
                                    and set(fields) <= set(have))) and (not pred or g.preds < 8)
                    and (each is None or g.each in (None, each))):
                if each is not None:
                    g.each = each
                return g
        index = None if fields is None else tuple(self.layout.index(f) for f in fields)
        g = self._groups[(fields, len(self._groups))] = _Group(fields, index)
        g.each = each
        return g

    def _predicate(self, f) -> list[tuple[_Group, int]]:
        """Where the bits of liveness predicate ``f`` (the conjunction of its parts) go."""
        out = []
        for fields, fine, each in _parts(f):
            g = self._group(fields, pred=True, each=each)
            self._add(g, ("pred", g.preds, fine, each))
            out.append((g, g.preds))
            g.preds += 1
        return out

    # --- while the search runs ------------------------------------------------------

    def _columns(self, states, n0: int, n1: int) -> list:
        """The component ids of states ``n0 .. n1-1``, one int64 array per component.

        The protocol: an exploration whose ``states`` are not a list of tuples
        (a packed engine's) gives them a method ``columns(n0, n1)`` returning this
        list (one int64 numpy array of length ``n1 - n0`` per component, in the
        order of the internal tuple), so that they need not be unpacked into
        tuples to be checked.  Components that are not ints (the states of a
        decoded exploration) are numbered here, in the order they are seen."""
        columns = getattr(states, "columns", None)
        if columns is not None:
            return list(columns(n0, n1))
        new = states[n0:n1]
        if isinstance(new[0][0], int):
            a = np.array(new, dtype=np.int64)
            return [a[:, i] for i in range(a.shape[1])]
        if self._ids is None:
            self._ids = [{} for _ in new[0]]
        return [np.fromiter((ids.setdefault(v, len(ids)) for v in column), dtype=np.int64, count=len(new))
                for ids, column in zip(self._ids, zip(*new))]

    def _each(self, g: _Group, s, key) -> list[bool]:
        """The answers of ``g``'s "each" tests on readable state ``s`` (``key``:
        its values of the group's fields, None without a layout): each true
        when true of every segment of the field."""
        tests = [g.tests[i][2] for i in g.each_tests]
        answers = [True] * len(tests)
        if key is None:
            for seg in getattr(s, g.each):
                answers = [a and bool(fine(s, seg)) for a, fine in zip(answers, tests)]
            return answers
        at = g.fields.index(g.each)
        others = key[:at] + key[at + 1:] if isinstance(key, tuple) else ()
        memo = g.each_memo
        for seg in getattr(s, g.each):
            k = (others, seg)
            hit = memo.get(k)
            if hit is None:
                hit = memo[k] = tuple(bool(fine(s, seg)) for fine in tests)
            answers = [a and h for a, h in zip(answers, hit)]
        return answers

    def _outcomes_by_segments(self, g: _Group, raws, firsts: np.ndarray, cs: list, decode) -> np.ndarray:
        """The outcomes, in a group of "each" tests alone, of the batch's states
        ``firsts`` (each the first of its key; ``raws(rows)``: those internal
        states; ``cs``: the batch's ids of the group's fields): from the segments of each one's channel (remembered per
        channel, as segment numbers) and the answers on each segment beside the
        other fields' ids (remembered in ``g.seg_memo`` as a bit mask of the
        tests that hold), a state decoded only where one of them is not yet known."""
        at = g.fields.index(g.each)
        chans = cs[at][firsts].tolist()
        segments, numbers, items = g.segments, g.segment_ids, g.segment_items
        for raw, ch in zip(raws(firsts), chans):
            if ch not in segments:
                segs = getattr(decode(raw), g.each)
                for seg in segs:
                    if seg not in numbers:
                        numbers[seg] = len(items)
                        items.append(seg)
                segments[ch] = np.array([numbers[seg] for seg in segs], dtype=np.int64)
        lists = [segments[ch] for ch in chans]
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        owner = np.repeat(np.arange(len(lists)), counts)  # the state each segment is in
        full = (1 << len(g.tests)) - 1
        masks = np.full(len(lists), full, dtype=np.int32)
        if len(owner):
            segs = np.concatenate(lists)
            rows = firsts[owner]
            fields = [c[rows] for j, c in enumerate(cs) if j != at] + [segs]
            key = g.seg_memo.key(fields, [int(f.max()) for f in fields])
            answers = g.seg_memo.lookup(key)
            miss = np.flatnonzero(answers < 0)
            if len(miss):
                uk, first, inverse = np.unique(key[miss], return_index=True, return_inverse=True)
                new = np.empty(len(uk), dtype=np.int32)
                tests, decoded = [(1 << t, test[2]) for t, test in enumerate(g.tests)], {}
                order = np.argsort(first)  # in id order: asked of the first state with it
                picked = miss[first[order]]
                for j, raw, number in zip(order.tolist(), raws(rows[picked]), segs[picked].tolist()):
                    st = decoded.get(raw)
                    if st is None:
                        st = decoded[raw] = decode(raw)
                    seg = items[number]
                    new[j] = sum(bit for bit, fine in tests if fine(st, seg))
                g.seg_memo.put(uk, new)
                answers[miss] = new[inverse.reshape(-1)]
            np.bitwise_and.at(masks, owner, answers)
        distinct, inverse = np.unique(masks, return_inverse=True)
        ids = []
        for mask in distinct.tolist():
            o = tuple(bool(mask >> t & 1) for t in range(len(g.tests)))
            k = g.outcome_ids.get(o)
            ids.append(self._new_outcome(g, o) if k is None else k)
        return np.array(ids, dtype=np.int32)[inverse.reshape(-1)]

    def _new_outcome(self, g: _Group, out: tuple) -> int:
        k = g.outcome_ids[out] = len(g.outcomes)
        g.outcomes.append(out)
        g.alert.append(self._alerts(g, out))
        g.alerting = g.alerting or g.alert[-1]
        g.bits.append(sum(1 << t[1] for t, o in zip(g.tests, out) if t[0] == "pred" and o))
        return k

    def _outcome(self, g: _Group, s, key=None) -> int:
        """The outcome number of readable state ``s`` in group ``g`` (``key``:
        its values of the group's fields, when the group has them)."""
        out = []
        each = iter(self._each(g, s, key)) if g.each_tests else None
        decided = self.decided
        for what, name, fine, by_segment in g.tests:
            if by_segment is not None:
                out.append(next(each))
            elif what == "invariant":
                out.append(bool(fine(s)))
            elif what == "reach":  # not a witness (one found already decides it: not asked again)
                out.append(name in decided or fine(s) is not None)
            elif what == "pred":
                out.append(bool(fine(s)))
            else:  # the RFC states the endpoints are in, for Result.reachable
                out.append(True)
                self.reached["A"].add(s.A.state)
                self.reached["B"].add(s.B.state)
        out = tuple(out)
        k = g.outcome_ids.get(out)
        return self._new_outcome(g, out) if k is None else k

    def _alerts(self, g: _Group, out: tuple) -> bool:
        return any(not o and what in ("invariant", "reach") and name not in self.decided
                   for (what, name, _, _), o in zip(g.tests, out))

    def feed(self, x: Exploration, final: bool | None = None) -> str | None:
        """Check what ``x`` found since the last call; ``"violation"`` when asked
        to stop at the first violation and one was found, else None.

        The new states are looked at in batches of at least :data:`_BATCH`
        while the search runs (at every call when stopping at the first
        violation, to stop as soon as the explorer's first look finds it), and all of them once it is over (``final``; by default,
        when ``x`` was stopped or every state of it was expanded).  Which state
        decides a property does not depend on the batches: it is the first."""
        if final is None:
            final = x.stopped is not None or x.expanded >= len(x.states)
        n0, n1 = self.n_states, len(x.states)
        if not final and not self.stop_at_first and n1 - n0 < _BATCH:
            return None
        if n1 > n0:
            self._feed_states(x, n0, n1)
        if self._steps:
            self.feed_steps(x)
        if self._deadlock and len(x.terminal) > self.n_terminal:
            for i in x.terminal[self.n_terminal:]:
                for p in self._deadlock:
                    if p.name not in self.decided:
                        s = x.state(i)
                        if not acceptable_end(s):
                            self.decided[p.name] = Verdict(p.name, p.kind, p.statement, "violated", i,
                                                           _why("stuck", a=s.A.state, b=s.B.state,
                                                                n=len(s.net_AB) + len(s.net_BA)), id=p.id)
            self.n_terminal = len(x.terminal)
        if self.stop_at_first and any(v.verdict == "violated" for v in self.decided.values()):
            return "violation"
        return None

    def _feed_states(self, x: Exploration, n0: int, n1: int) -> None:
        """Check states ``n0 .. n1-1``: each group's outcome of each state, looked up
        for the whole batch by its key (see :class:`_Memo`), the tests asked only of
        the first state of each key not yet remembered."""
        states, decode = x.states, x.decode
        cols = tops = None
        first: dict[str, int] = {}  # property -> the first state of the batch that decides it
        # a direct table may have up to about twice as many entries as there are states (4 bytes each)
        direct = min(_DIRECT_MAX_BITS, max(_DIRECT_BITS, n1.bit_length()))
        for g in self._groups.values():
            for memo in (g.key, g.seg_memo):
                if memo is not None:
                    memo.allow(direct)
            if g.key is None:
                rids = np.array([self._outcome(g, decode(t)) for t in states[n0:n1]], dtype=np.int32)
            else:
                if cols is None:
                    cols = self._columns(states, n0, n1)
                    tops = [int(c.max()) for c in cols]
                    if self._ids is None:  # internal states made from the columns: a packed one is not unpacked
                        def raws(rows, cols=cols):
                            return _rows(cols, rows)
                    else:  # the columns number the states' values: the states themselves
                        def raws(rows):
                            return [states[n0 + i] for i in rows.tolist()]
                memo, cs = g.key, [cols[i] for i in g.index]
                key = memo.key(cs, [tops[i] for i in g.index])
                rids = memo.lookup(key)
                miss = np.flatnonzero(rids < 0)
                if len(miss):
                    uk, at, inverse = np.unique(key[miss], return_index=True, return_inverse=True)
                    order = np.argsort(at)  # in id order: the first state of each key is asked
                    firsts = miss[at[order]]
                    if g.all_fine is not None:
                        computed = self._outcomes_by_segments(g, raws, firsts, cs, decode)
                    else:
                        computed = [self._outcome(g, decode(raw), values) for raw, values
                                    in zip(raws(firsts), _rows(cs, firsts))]
                    outs = np.empty(len(uk), dtype=np.int32)
                    outs[order] = computed
                    memo.put(uk, outs)
                    rids[miss] = outs[inverse.reshape(-1)]
                    if len(g.each_memo) > _MEMO:
                        g.each_memo.clear()
            alert, bits = g.alert_and_bits()
            if g.alerting:
                hits = np.flatnonzero(alert[rids])
                if len(hits):
                    outcomes, at = np.unique(rids[hits], return_index=True)
                    for o, i in zip(outcomes.tolist(), hits[at].tolist()):
                        for (what, name, _, _), ok in zip(g.tests, g.outcomes[o]):
                            if not ok and what in ("invariant", "reach") and name not in self.decided:
                                first[name] = min(first.get(name, n0 + i), n0 + i)
            if g.preds:
                g.flags += bits[rids].tobytes()
        for name, sid in first.items():
            p = self._by_name[name]
            if p.kind == "invariant":
                v = Verdict(p.name, p.kind, p.statement, "violated", sid, p.test(x.state(sid)), id=p.id)
            else:
                v = Verdict(p.name, p.kind, p.statement, "holds", sid, "", id=p.id)
            self.decided[name] = v
        if first:
            for g in self._groups.values():
                g.alert = [self._alerts(g, out) for out in g.outcomes]
                g.alerting, g.arrays = any(g.alert), None
        self.n_states = n1

    def feed_steps(self, x: Exploration) -> None:
        """Check the step properties on the edges of ``x`` from edge ``n_edges`` on
        (what :meth:`feed` does to the edges; a partition of the cluster's search
        feeds each level's steps so, as an exploration of their own)."""
        e0, e1 = self.n_edges, len(x.src)
        if e1 <= e0:
            return
        for p in self._steps:
            if p.name in self.decided:
                continue
            relevant = self._relevant[p.name]
            while len(relevant) < len(x.labels):
                relevant.append(bool(p.test.when(x.label(len(relevant)))) if hasattr(p.test, "when") else True)
            asked = np.flatnonzero(np.array(relevant, dtype=bool)[np.asarray(x.lab[e0:e1])]) + e0
            if not len(asked):
                continue
            src, dst = np.asarray(x.src)[asked], np.asarray(x.dst)[asked]
            fine = self._fine_steps.get(p.name)
            cu = None if fine is None else _columns_of(x.states, src)
            if cu is not None:  # asked once per step and values read, of the first edge with them
                at = [self.layout.index(f) for f in p.test.reads]
                cv = _columns_of(x.states, dst)
                parts = [np.asarray(x.lab)[asked].astype(np.int64), *(cu[i] for i in at), *(cv[i] for i in at)]
                key = fine.key(parts, [int(c.max()) for c in parts])
                new = np.flatnonzero(fine.lookup(key) < 0)
                keys, first = np.unique(key[new], return_index=True)
                pick = new[np.sort(first)]  # the first edge of each key not yet known, in order
                asked, src, dst = asked[pick], src[pick], dst[pick]
            ends = np.concatenate([src, dst])
            readable = dict(zip(ends.tolist(), map(x.decode, _take(x.states, ends))))
            for j, u, v in zip(asked.tolist(), src.tolist(), dst.tolist()):
                k = x.lab[j]
                why = p.test(readable[u], x.label(k), readable[v])
                if why is not None:
                    # the violating step itself is kept: another step may join the same two states
                    self.decided[p.name] = Verdict(p.name, p.kind, p.statement, "violated", None, why,
                                                   Lasso(x.ids_to(u) + [v], [], x.labels_to(u) + [k], []), id=p.id)
                    break
            else:
                if cu is not None and len(keys):
                    fine.put(keys, np.zeros(len(keys), dtype=np.int32))
        self.n_edges = e1

    # --- at the end ----------------------------------------------------------------

    @staticmethod
    def _mask(parts):
        """A liveness predicate as a boolean array over the states: the conjunction of its parts' bits."""
        import numpy as np
        out = None
        for g, bit in parts:
            m = (np.frombuffer(bytes(g.flags), dtype=np.uint8) >> bit) & 1 == 1  # a copy: flags may grow
            out = m if out is None else out & m
        return out

    def verdict(self, p: Property, x: Exploration, should_stop=None) -> Verdict:
        """The verdict of ``p`` (one of this monitor's properties) once ``x`` has been fed.
        ``should_stop`` is handed to the liveness analysis (see :func:`liveness.leads_to`)."""
        head = (p.name, p.kind, p.statement)
        if self.n_states < len(x.states):
            self.feed(x, final=True)
        if p.name in self.decided:
            return self.decided[p.name]
        if p.kind == "reachability":
            return Verdict(*head, "violated" if x.complete else "unknown", None, _why("unreached"), id=p.id)
        if p.kind != "liveness" or not x.complete:
            return Verdict(*head, "holds" if x.complete else "unknown", None, "", id=p.id)
        for n, _ in enumerate(self._live[p.name]):
            lasso = self._leads_to(x, p.name, n, should_stop)
            if lasso is not None:
                end = x.state(lasso.stem[-1])
                how = _why("goes-round", n=len(lasso.cycle) - 1) if lasso.cycle else _why("stops")
                return Verdict(*head, "violated", None,
                               _why("never-gets-there", how=how, a=end.A.state, b=end.B.state), lasso, id=p.id)
        return Verdict(*head, "holds", None, "", id=p.id)

    def _leads_to(self, x: Exploration, name: str, n: int, should_stop):
        """The lasso of the ``n``-th (P, Q) pair of liveness property ``name``, or None."""
        if self._graph is None:
            self._graph = _LiveGraph(x)
        ps, qs = self._live[name][n]
        return leads_to_masks(x, self._mask(ps), self._mask(qs), self._graph, should_stop=should_stop)


def _take(states, ids: np.ndarray) -> list:
    """The internal states ``ids`` of an exploration's ``states``, by its
    ``take(ids)`` when it has one (a packed store unpacks them at once)."""
    take = getattr(states, "take", None)
    return take(ids) if take is not None else [states[i] for i in ids.tolist()]


def _columns_of(states, ids: np.ndarray) -> list[np.ndarray] | None:
    """The component ids of the states ``ids`` (an integer array, any order), one
    int64 array per component: by the store's ``columns_of(ids)`` when it has one
    (the packed and column stores), else from the tuples; None when the states
    are not tuples of ints (a decoded exploration's)."""
    columns_of = getattr(states, "columns_of", None)
    if columns_of is not None:
        return list(columns_of(ids))
    rows = _take(states, ids)
    if not rows or not isinstance(rows[0], tuple) or not isinstance(rows[0][0], int):
        return None
    a = np.array(rows, dtype=np.int64)
    return [a[:, i] for i in range(a.shape[1])]


def _rows(cols: list, rows: np.ndarray) -> list[tuple]:
    """Rows ``rows`` of columns ``cols`` as tuples of ints: internal states, or a group's values."""
    return list(zip(*(c[rows].tolist() for c in cols)))


def _fields(test):
    return getattr(test, "reads", None)


@reads("A", "B")
def _endpoint_states(s: State):
    return True


#: How many answers a group remembers before it forgets them all (bounds its memory).
_MEMO = 1 << 18

#: A memo whose keys fit in this many bits is a direct table (4 bytes an entry);
#: up to :data:`_DIRECT_MAX_BITS` when there are at least half as many states as
#: entries (at 45 M states the pair of channels has 25-bit keys: 128 MiB, where a
#: sorted array's lookups took 2.3 s and forgot its 254,175 keys near :data:`_MEMO`).
_DIRECT_BITS = 20
_DIRECT_MAX_BITS = 26

#: The fewest new states :meth:`Monitor.feed` looks at together while the search runs
#: (each batch costs a few dozen numpy calls), unless it is to stop at the first violation.
_BATCH = 8192


def _layout_of(x: Exploration) -> tuple[str, ...] | None:
    """The layout of ``x``'s states when they are readable :class:`State` values."""
    if x.states and x.decode(x.states[0]) is x.states[0] and isinstance(x.states[0], State):
        return State._fields
    return None


def check_properties(x: Exploration, properties=PROPERTIES, layout: tuple[str, ...] | None = None) -> list[Verdict]:
    """Check each property on the explored states; states are visited in BFS
    order, so the first violation or witness found is at minimal depth.
    ``layout`` is the :class:`Monitor`'s (for a :class:`model.system.Model`'s
    exploration, ``State._fields``)."""
    m = Monitor(properties, layout if layout is not None else _layout_of(x))
    m.feed(x)
    return [m.verdict(p, x) for p in m.properties]
