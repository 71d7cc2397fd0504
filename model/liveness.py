"""Liveness: ``P leads to Q`` under stated fairness, on the explored graph.

An exhaustive exploration is a finite graph, so a run that never reaches Q
either stops in a state without Q (a terminal state) or, from some point on,
stays for ever in one strongly connected component of states without Q.
This module looks for both among the states reachable from a P-state through
states without Q, and keeps only the components a *fair* run can stay in:

* the network duplicates a segment only finitely often, and loses one only
  finitely often: a fair run takes such an edge finitely often, so from
  some point on it moves along the other edges only;
* a step that stays possible is eventually taken (weak fairness, per endpoint
  and kind of step: calls, timers, arrivals; the network's losses and
  duplications are never owed): a component in every state of which such a
  step is possible, but which has no such step inside, holds no fair run.

The components are found by the Emerson-Lei refinement: decompose the
region into strongly connected components; in a component that has loss or
duplication edges inside, remove them and decompose that component again;
repeat until no component changes, then keep those whose every owed step is
taken inside or is impossible somewhere in them.  (Rejecting a whole
component for one loss edge would miss a fair cycle that avoids it.)  The
components are computed with networkx over the exploration's compact edge
arrays (``src``, ``dst``, ``lab``), indexed by source without copying.

A counterexample is a lasso: the path to a P-state, on to the component (or
to the terminal state), and a cycle through the component that is itself
fair (it passes a state where each owed step is impossible, or takes it).
:func:`fair_components` and :func:`fair_cycle` give the same analysis to
other readers (the diagrams mark the fair cycles of a state graph).  What
this cannot see: anything beyond the explored bounds, and unfair runs, by
design.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import Callable, NamedTuple

import networkx as nx

from .explorer import Exploration

__all__ = ["FAIRNESS", "UNFAIR", "Lasso", "leads_to", "fair_components", "fair_cycle"]

#: The fairness assumptions, one sentence each, as the report prints them.
FAIRNESS = (
    "the network duplicates a segment only finitely often",
    "the network loses a segment only finitely often",
    "a step that stays possible (a call its application has decided on, a timeout, an "
    "arrival) is eventually taken",
)

#: The kinds of step a fair run takes only finitely often.
UNFAIR = ("lose", "duplicate")


class Lasso(NamedTuple):
    """A run that never reaches Q: ``stem`` leads from the initial state to the
    first state of ``cycle`` (state ids); an empty cycle means the run stops there.
    The cycle ends where it starts, and may pass a state more than once (it
    visits what fairness asks of it).

    ``stem_labels`` and ``cycle_labels`` are the label ids of the steps between
    consecutive states of ``stem`` and of ``cycle``, exactly the transitions
    the run takes: several different steps can join the same two states, so
    the states alone do not say which step was taken.  None when not known
    (then :meth:`Exploration.walk` picks one)."""

    stem: list[int]
    cycle: list[int]
    stem_labels: list[int] | None = None
    cycle_labels: list[int] | None = None

    @property
    def ids(self) -> list[int]:
        """The whole run as state ids: the stem, then the cycle once round."""
        return self.stem + self.cycle[1:]

    @property
    def labels(self) -> list[int] | None:
        """The label ids of the steps of :attr:`ids`; None when not known."""
        if self.stem_labels is None or (self.cycle and self.cycle_labels is None):
            return None
        return list(self.stem_labels) + list(self.cycle_labels or [])


class _Graph:
    """The exploration's edges indexed by source (``first[u]:first[u+1]`` are
    the edge numbers out of ``u``: the explorer stores them in source order),
    and each label's (actor, kind)."""

    def __init__(self, x: Exploration):
        self.x = x
        n = len(x.states)
        first = array("i", [0]) * (n + 1)
        for u in x.src:
            first[u + 1] += 1
        for u in range(n):
            first[u + 1] += first[u]
        self.first = first
        self.kind = [(step.actor, step.kind) for step in map(x.label, range(len(x.labels)))]
        self.unfair = [k[1] in UNFAIR for k in self.kind]

    def out(self, u: int) -> range:
        return range(self.first[u], self.first[u + 1])

    def owed(self, u: int) -> set[tuple[str, str]]:
        """The steps possible in ``u`` that a fair run must not ignore for ever."""
        return {self.kind[self.x.lab[j]] for j in self.out(u) if not self.unfair[self.x.lab[j]]}


def _components(g: _Graph, nodes, terminal=frozenset()) -> list[set[int]]:
    """The fair strongly connected components of the subgraph on ``nodes``
    (Emerson-Lei), each with a cycle (or a terminal state: an empty set is
    never returned; a terminal one is ``{u}`` with ``u in terminal``)."""
    x, inside = g.x, set(nodes)
    work = [(inside, False)]  # (nodes, whether its unfair edges are already removed)
    found: list[set[int]] = []
    while work:
        nodes, fair_only = work.pop()
        dg = nx.DiGraph()
        dg.add_nodes_from(nodes)
        dg.add_edges_from((u, x.dst[j]) for u in nodes for j in g.out(u)
                          if x.dst[j] in nodes and not (fair_only and g.unfair[x.lab[j]]))
        for comp in nx.strongly_connected_components(dg):
            if len(comp) == 1:
                (u,) = comp
                if u in terminal:
                    found.append(comp)
                    continue
                if not dg.has_edge(u, u):
                    continue
            edges = [j for u in comp for j in g.out(u) if x.dst[j] in comp]
            if any(g.unfair[x.lab[j]] for j in edges) and not fair_only:
                work.append((comp, True))  # refine: without its unfair edges, decompose again
                continue
            taken = {g.kind[x.lab[j]] for j in edges}
            always = set.intersection(*(g.owed(u) for u in comp))
            if always <= taken:
                found.append(comp)
    return sorted(found, key=min)


def fair_components(x: Exploration, keep: Callable[[int], bool] | None = None) -> list[list[int]]:
    """The state ids of each strongly connected component of the explored graph
    (restricted to the states ``keep`` accepts) in which a fair run can stay for
    ever, each sorted, the components ordered by their smallest id.  A fair run
    moves inside along edges other than losses and duplications.

    >>> from tcpcheck.model.checker import build
    >>> from tcpcheck.model.config import preset
    >>> from tcpcheck.model.explorer import explore
    >>> fair_components(explore(build(preset("reliable"))))
    []
    """
    g = _Graph(x)
    nodes = [u for u in range(len(x.states)) if keep is None or keep(u)]
    return [sorted(c) for c in _components(g, nodes)]


def _bfs(g: _Graph, start: int, goal: Callable[[int], bool], allowed, steps: int) -> tuple[list[int], list[int]]:
    """A shortest path from ``start`` to a node satisfying ``goal``, along fair
    edges between ``allowed`` nodes, at least ``steps`` (0 or 1) long: its nodes
    and the label ids of its steps.  Edges are tried in the exploration's order."""
    x = g.x
    if steps == 0 and goal(start):
        return [start], []
    parent: dict[int, tuple[int, int]] = {}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for j in g.out(u):
            v, k = x.dst[j], x.lab[j]
            if v in allowed and not g.unfair[k] and v not in parent:
                parent[v] = (u, k)
                if goal(v):
                    path, labels, cur = [v], [], v
                    while True:
                        prev, kk = parent[cur]
                        labels.append(kk)
                        path.append(prev)
                        if prev == start:
                            return path[::-1], labels[::-1]
                        cur = prev
                queue.append(v)
    raise AssertionError("no path inside a strongly connected component")


def fair_cycle(x: Exploration, comp, entry: int, _g: _Graph | None = None) -> tuple[list[int], list[int]]:
    """A fair cycle through state ``entry`` of the fair component ``comp`` (one of
    :func:`fair_components`): its state ids, from ``entry`` back to it, and the
    label ids of its steps.  It is the shortest cycle through ``entry``, with a
    detour for each step that would be possible all the way round it and never
    taken: to the nearest state where that step is impossible, or through the
    nearest such step."""
    g = _g or _Graph(x)
    comp = set(comp)
    cycle, labels = _bfs(g, entry, lambda u: u == entry, comp, 1)
    while True:
        taken = {g.kind[k] for k in labels}
        missing = sorted(set.intersection(*(g.owed(u) for u in cycle)) - taken)
        if not missing:
            return cycle, labels
        want = missing[0]

        def witness(u, want=want):
            return want not in g.owed(u) or any(
                g.kind[x.lab[j]] == want and x.dst[j] in comp for j in g.out(u))
        there, there_labels = _bfs(g, entry, witness, comp, 0)
        w = there[-1]
        if want in g.owed(w):  # take the step itself
            j = next(j for j in g.out(w) if g.kind[x.lab[j]] == want and x.dst[j] in comp)
            there, there_labels = there + [x.dst[j]], there_labels + [x.lab[j]]
        back, back_labels = _bfs(g, there[-1], lambda u: u == entry, comp, 0)
        cycle = cycle + there[1:] + back[1:]
        labels = labels + there_labels + back_labels


def leads_to(x: Exploration, p: Callable, q: Callable) -> Lasso | None:
    """A fair run that reaches a state where ``p`` holds and never afterwards
    one where ``q`` holds, as a lasso; None when every fair run does reach Q.

    ``p`` and ``q`` take a readable state.  The exploration must be complete.
    """
    g = _Graph(x)
    states = [x.state(i) for i in range(len(x.states))]
    not_q = [not q(s) for s in states]
    starts = [i for i, s in enumerate(states) if not_q[i] and p(s)]
    # The region: everything reachable from a P-state through states without Q,
    # with the multi-source BFS tree that leads there (parent, label of the step).
    came_from: dict[int, tuple[int, int]] = {i: (-1, -1) for i in starts}
    order = list(starts)
    for u in order:
        for j in g.out(u):
            v = x.dst[j]
            if not_q[v] and v not in came_from:
                came_from[v] = (u, x.lab[j])
                order.append(v)
    bad: dict[int, set[int]] = {}  # node -> its fair component (empty: terminal)
    for comp in _components(g, order, frozenset(x.terminal)):
        if len(comp) == 1 and next(iter(comp)) in x.terminal:
            bad[next(iter(comp))] = set()
        else:
            bad.update(dict.fromkeys(comp, comp))
    if not bad:
        return None
    entry = next(u for u in order if u in bad)  # the first one the BFS met
    stem, labels = [entry], []
    while came_from[stem[-1]][0] >= 0:
        u, k = came_from[stem[-1]]
        stem.append(u)
        labels.append(k)
    head = stem[-1]  # a P-state: the shortest path of the exploration leads to it
    stem = x.ids_to(head)[:-1] + stem[::-1]
    labels = x.labels_to(head) + labels[::-1]
    comp = bad[entry]
    cycle, cycle_labels = fair_cycle(x, comp, entry, g) if comp else ([], [])
    return Lasso(stem, cycle, labels, cycle_labels)
