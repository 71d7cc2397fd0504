"""Breadth-first exploration of a model's reachable states.

Layer 6.  Every state is interned to an integer in the order BFS discovers
it, so state 0 is the initial state and the parent pointers give shortest
paths.  Edges are kept as three integer arrays (source, target, step label),
in the order their sources were expanded; the reachable-state graph as a
networkx ``DiGraph`` is built from them on request.  Several different steps
may join the same two states, so a run is a list of state ids *and* the label
ids of its steps.  Exploration is deterministic: the same model gives the
same numbering, counts and paths on every run.

It knows nothing of TCP: it needs only ``initial_states()`` and
``successors(state) -> [(label, state)]``.
"""

from __future__ import annotations

import copy
import time
from array import array
from bisect import bisect_left, bisect_right
from typing import Callable

import networkx as nx

__all__ = ["Exploration", "EdgesNotKept", "explore", "find_path"]


class EdgesNotKept(RuntimeError):
    """An edge was read from an exploration that kept none (``explore(...,
    edges=False)``, the search SPIN's safety run is: states and parents only)."""


class _NoEdges:
    """``src``, ``dst`` and ``lab`` of an exploration without edges: any read
    raises :class:`EdgesNotKept`, saying what needs them."""

    def _refuse(self, *_):
        raise EdgesNotKept("this exploration kept no edges (explore(..., edges=False), as SPIN's safety run "
                           "keeps none): liveness, the step properties, graph(), walk() and export need a "
                           "search that keeps them (the default)")

    __len__ = __iter__ = __getitem__ = __contains__ = __buffer__ = append = frombytes = _refuse


def _identity(s):
    return s


class Exploration:
    """The result of a BFS: states, edges, shortest-path tree and statistics."""

    def __init__(self):
        self.states: list = []  # id -> state
        self.parent = array("i")  # id -> parent id (-1 for initial states)
        self.via = array("i")  # id -> label id of the edge from the parent
        self.depth = array("i")
        self.src = array("i")
        self.dst = array("i")
        self.lab = array("i")
        self.labels: list = []  # label id -> label
        self.has_edges = True  # False: a search without edges (src, dst, lab refuse to be read)
        self.n_transitions = 0  # the steps found, when there are no edges to count
        self.expanded = 0  # states whose successors were computed
        self.terminal: list[int] = []  # expanded states without successors
        self.complete = True
        self.stopped: str | None = None  # why the search stopped early: "max-states", a stop reason
        self.seconds = 0.0
        self.decode = lambda s: s  # internal state -> readable state
        self.describe = lambda label: label  # internal label -> readable label
        self.attributes = lambda label: {}  # internal label -> extra edge attributes

    def state(self, sid: int):
        """The readable form of state ``sid``."""
        return self.decode(self.states[sid])

    def label(self, k: int):
        """The readable form of label number ``k``."""
        return self.describe(self.labels[k])

    @property
    def transitions(self) -> int:
        return len(self.src) if self.has_edges else self.n_transitions

    @property
    def max_depth(self) -> int:
        return max(self.depth) if self.depth else 0

    def ids_to(self, sid: int) -> list[int]:
        """The state ids of the shortest path to state ``sid``, initial state first."""
        ids = []
        while sid >= 0:
            ids.append(sid)
            sid = self.parent[sid]
        return ids[::-1]

    def labels_to(self, sid: int) -> list[int]:
        """The label ids of the steps of the shortest path to state ``sid``
        (one per step of :meth:`ids_to`: the steps the BFS took)."""
        ks = []
        while self.parent[sid] >= 0:
            ks.append(self.via[sid])
            sid = self.parent[sid]
        return ks[::-1]

    def path(self, sid: int) -> list[tuple[object, object]]:
        """The shortest path to state ``sid``: [(None, s0), (label1, s1), ...],
        each step the one the BFS took."""
        ids = self.ids_to(sid)
        return [(None, self.state(ids[0]))] + [(self.label(self.via[v]), self.state(v)) for v in ids[1:]]

    def _edges_from(self, u: int) -> range:
        """The edge numbers of the steps out of state ``u`` (edges are stored in
        the order their sources were expanded, so these are consecutive)."""
        return range(bisect_left(self.src, u), bisect_right(self.src, u))

    def labels_between(self, u: int, v: int) -> list[int]:
        """The label ids of every step from state ``u`` to state ``v``, in the
        order the exploration found them (several different steps may join the
        same two states, e.g. a loss and an arrival that changes nothing)."""
        return [self.lab[j] for j in self._edges_from(u) if self.dst[j] == v]

    def walk(self, ids: list[int], labels: list[int] | None = None) -> list[tuple[object, object]]:
        """The path through the states ``ids`` (consecutive ones joined by an
        edge): [(None, s0), (label1, s1), ...].

        ``labels`` are the label ids of its steps, one per pair of consecutive
        states, as whoever found the path knew them; each must be a step from
        the one state to the next (ValueError otherwise).  Without them the
        step between two states is the one the BFS took where it reached the
        second from the first, otherwise the first step found between the two:
        when several steps join the same two states that may not be the one
        that was meant, so callers that know the step pass it."""
        if labels is not None and len(labels) != len(ids) - 1:
            raise ValueError(f"walk: {len(ids)} states need {len(ids) - 1} step labels, not {len(labels)}")
        out = [(None, self.state(ids[0]))]
        for n, (u, v) in enumerate(zip(ids, ids[1:])):
            if labels is not None:
                k = labels[n]
                if k not in self.labels_between(u, v):
                    raise ValueError(f"walk: no step {self.label(k)!r} from state {u} to state {v}")
            elif self.parent[v] == u:
                k = self.via[v]
            else:
                between = self.labels_between(u, v)
                if not between:
                    raise ValueError(f"walk: no step from state {u} to state {v}")
                k = between[0]
            out.append((self.label(k), self.state(v)))
        return out

    def decoded(self) -> "Exploration":
        """A view of this exploration whose states are held in readable form,
        for analyses that read every state more than once: the same ids,
        edges and labels (shared, not copied), each state decoded once."""
        view = copy.copy(self)
        view.states = [self.decode(s) for s in self.states]
        view.decode = _identity
        return view

    def _cut(self, expanded: int) -> None:
        """Make the exploration consistent after an interrupt that came at any
        point of the expansion of state ``expanded``: the arrays of states and
        of edges to a common length, and no edge or terminal of that state or
        later (it counts as not expanded; states already found from it stay)."""
        n = min(len(self.states), len(self.parent), len(self.via), len(self.depth))
        self._truncate_states(n)
        for a in (self.parent, self.via, self.depth):
            del a[n:]
        if self.has_edges:
            m = min(len(self.src), len(self.dst), len(self.lab))
            m = bisect_left(self.src, expanded, 0, m)
            for a in (self.src, self.dst, self.lab):
                del a[m:]
        while self.terminal and self.terminal[-1] >= expanded:
            self.terminal.pop()
        self.expanded = expanded

    def _truncate_states(self, n: int) -> None:
        """Keep the first ``n`` states (an engine that stores them otherwise says how)."""
        del self.states[n:]

    def graph(self) -> nx.DiGraph:
        """The reachable-state graph: nodes are state ids (attribute ``state``).
        Each edge carries the ``label`` of the first step found between its two
        states and the model's attributes for it (for TCP: ``rules``, ``segment``...)."""
        g = nx.DiGraph()
        g.add_nodes_from((i, {"state": self.state(i)}) for i in range(len(self.states)))
        attrs = [{"label": self.label(k), **self.attributes(self.labels[k])}
                 for k in range(len(self.labels))]
        for u, v, k in zip(self.src, self.dst, self.lab):
            if not g.has_edge(u, v):
                g.add_edge(u, v, **attrs[k])
        return g


def explore(model, max_states: int | None = None,
            progress: Callable[[Exploration], None] | None = None,
            progress_every: float = 0.5,
            stop: Callable[[Exploration], str | None] | None = None,
            interruptible: bool = False,
            observe: Callable[[Exploration], str | None] | None = None,
            observe_every: int = 64, edges: bool = True) -> Exploration:
    """Explore ``model`` breadth-first, stopping cleanly after ``max_states`` states.

    With ``edges=False`` no edge is kept (as SPIN's safety run keeps none):
    the same states, parents, steps and depths, ``x.has_edges`` False,
    ``x.transitions`` counted, and any read of ``x.src``/``dst``/``lab``
    raises :class:`EdgesNotKept`.

    ``progress(x)`` is called about every ``progress_every`` seconds.
    ``stop(x)`` is asked every 4,096 expansions whether to stop: a reason
    (a short string) stops the search there, incomplete, with ``x.stopped``
    that reason (``"max-states"`` when the state budget stopped it).  When
    ``interruptible``, Ctrl-C (KeyboardInterrupt) stops it too, at whatever
    point of an expansion it came, with ``x.stopped == "interrupted"`` and
    the states and edges found so far; otherwise the interrupt propagates.

    ``observe(x)`` is called after the initial states are found and then every
    ``observe_every`` expansions, to look at what is new (properties checked on
    the fly: :class:`model.properties.Monitor`); a reason it returns stops the
    search like ``stop``'s.  The caller observes the rest once it returns.

    >>> class Counter:                         # a toy model: 0 -> 1 -> 2
    ...     def initial_states(self): return [0]
    ...     def successors(self, s): return [("inc", s + 1)] if s < 2 else []
    >>> x = explore(Counter())
    >>> len(x.states), x.transitions, x.terminal, x.complete, x.stopped
    (3, 2, [2], True, None)
    >>> x = explore(Counter(), max_states=2)
    >>> len(x.states), x.expanded, x.complete, x.stopped
    (2, 2, False, 'max-states')
    >>> x = explore(Counter(), edges=False)
    >>> len(x.states), x.transitions, list(x.parent), x.has_edges
    (3, 2, [-1, 0, 1], False)
    """
    x = Exploration()
    x.decode = getattr(model, "decode", x.decode)
    x.describe = getattr(model, "step", x.describe)
    x.attributes = getattr(model, "edge_attributes", x.attributes)
    index: dict = {}
    label_index: dict = {}
    states, parent, via, depth = x.states, x.parent, x.via, x.depth
    if not edges:
        x.has_edges, x.src = False, _NoEdges()
        x.dst = x.lab = x.src
    src, dst, lab = x.src, x.dst, x.lab
    started = time.perf_counter()
    next_report = started + progress_every
    for s in model.initial_states():
        if s not in index:
            index[s] = len(states)
            states.append(s)
            parent.append(-1)
            via.append(-1)
            depth.append(0)
    limit = max_states if max_states is not None else float("inf")
    successors = model.successors
    every = max(1, observe_every)
    i = 0
    try:
        if observe is not None and (why := observe(x)) is not None:
            x.complete, x.stopped = False, why
            states = ()  # expand nothing
        while i < len(states):
            succ = successors(states[i])
            if not succ:
                x.terminal.append(i)
            d = depth[i] + 1
            for label, t in succ:
                k = label_index.get(label)
                if k is None:
                    k = label_index[label] = len(x.labels)
                    x.labels.append(label)
                j = index.get(t)
                if j is None:
                    if len(states) >= limit:
                        x.complete, x.stopped = False, "max-states"
                        continue
                    j = index[t] = len(states)
                    states.append(t)
                    parent.append(i)
                    via.append(k)
                    depth.append(d)
                if edges:
                    src.append(i)
                    dst.append(j)
                    lab.append(k)
                else:
                    x.n_transitions += 1
            i += 1
            if not x.complete:
                break
            if observe is not None and i % every == 0:
                why = observe(x)
                if why is not None:
                    x.complete, x.stopped = False, why
                    break
            if (i & 1023) == 0:
                if stop is not None and (i & 4095) == 0 and i < len(states):
                    x.expanded, x.seconds = i, time.perf_counter() - started
                    why = stop(x)
                    if why is not None:
                        x.complete, x.stopped = False, why
                        break
                if progress is not None:
                    now = time.perf_counter()
                    if now >= next_report:
                        x.expanded, x.seconds = i, now - started
                        progress(x)
                        next_report = now + progress_every
        x.expanded = i
    except KeyboardInterrupt:
        if not interruptible:
            raise
        x._cut(i)
        x.complete, x.stopped = False, "interrupted"
    x.seconds = time.perf_counter() - started
    return x


def find_path(model, goal: Callable, observe: Callable | None = None, start=frozenset(),
              max_states: int = 2_000_000):
    """The shortest path to a state where ``goal(state, notes)`` holds.

    ``notes`` is what ``observe(notes, label, state)`` has recorded along the
    path (a small hashable value, e.g. a frozenset of facts), so a goal can ask
    for a path *through* something: the search runs on (state, notes) pairs.
    States and labels are passed in readable form (the model's ``decode`` and
    ``step``).  Returns [(None, s0), (label1, s1), ...], or None when no run
    reaches the goal; raises RuntimeError when more than ``max_states``
    (state, notes) pairs would be needed to decide.

    >>> class Counter:
    ...     def initial_states(self): return [0]
    ...     def successors(self, s): return [("inc", (s + 1) % 4), ("dec", (s - 1) % 4)]
    >>> [s for _, s in find_path(Counter(), lambda s, n: s == 0 and "3" in n,
    ...                          lambda n, lab, s: n | {str(s)})]
    [0, 3, 0]
    """
    decode = getattr(model, "decode", lambda s: s)
    describe = getattr(model, "step", lambda label: label)
    parent: dict = {}
    frontier = []
    for s in model.initial_states():
        key = (s, start)
        if key not in parent:
            parent[key] = None
            frontier.append(key)
    i = 0
    while i < len(frontier):
        key = frontier[i]
        s, notes = key
        if goal(decode(s), notes):
            path = []
            while key is not None:
                prev = parent[key]
                path.append((describe(prev[1]) if prev else None, decode(key[0])))
                key = prev[0] if prev else None
            return path[::-1]
        for label, t in model.successors(s):
            n2 = observe(notes, describe(label), decode(t)) if observe else notes
            k2 = (t, n2)
            if k2 not in parent:
                if len(parent) >= max_states:
                    raise RuntimeError(f"find_path: gave up after {max_states:,} (state, notes) pairs")
                parent[k2] = (key, label)
                frontier.append(k2)
        i += 1
    return None
