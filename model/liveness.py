"""Liveness: ``P leads to Q`` under stated fairness, on the explored graph.

An exhaustive exploration is a finite graph, so a run that never reaches Q
either stops in a state without Q (a terminal state) or goes round a cycle
of states without Q for ever.  This module looks for both among the states
reachable from a P-state through states without Q, using the strongly
connected components of that region (networkx), and keeps only the cycles
that a *fair* run could follow for ever:

* the network duplicates a segment only finitely often, so a cycle that
  duplicates is not a counterexample;
* the network loses a segment only finitely often, so neither is a cycle
  that loses;
* a step that stays possible is eventually taken (weak fairness, per endpoint
  and kind of step: calls, timers, arrivals): a cycle that keeps such a step
  possible in every state but never takes it is not a counterexample.

A counterexample is a lasso: the path to a P-state, on to the cycle (or to
the terminal state), and the cycle.  What this cannot see: anything beyond
the explored bounds, and unfair runs, by design.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, NamedTuple

import networkx as nx

from .explorer import Exploration

__all__ = ["FAIRNESS", "Lasso", "leads_to"]

#: The fairness assumptions, one sentence each, as the report prints them.
FAIRNESS = (
    "the network duplicates a segment only finitely often",
    "the network loses a segment only finitely often",
    "a step that stays possible (a call its application has decided on, a timeout, an "
    "arrival) is eventually taken",
)


class Lasso(NamedTuple):
    """A run that never reaches Q: ``stem`` leads from the initial state to the
    first state of ``cycle`` (state ids); an empty cycle means the run stops there.

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


def _out_edges(x: Exploration) -> list[list[tuple[int, int]]]:
    out: list[list[tuple[int, int]]] = [[] for _ in range(len(x.states))]
    for u, v, k in zip(x.src, x.dst, x.lab):
        out[u].append((v, k))
    return out


def _kind(x: Exploration, k: int) -> tuple[str, str]:
    step = x.label(k)
    return step.actor, step.kind


def _fair(x: Exploration, scc: set[int], out) -> bool:
    """Whether a fair run can stay in ``scc`` for ever."""
    inside = {_kind(x, k) for u in scc for v, k in out[u] if v in scc}
    if any(kind in ("lose", "duplicate") for _, kind in inside):
        return False
    always = None
    for u in scc:
        here = {_kind(x, k) for _, k in out[u]}
        always = here if always is None else always & here
    return not (always - inside)


def _path_within(out, start: int, goal: Callable[[int], bool], allowed) -> tuple[list[int], list[int]]:
    """A shortest path from ``start`` to a node satisfying ``goal``, moving
    only through ``allowed`` nodes; at least one step long.  Returns its nodes
    and the label ids of its steps."""
    parent = {}
    queue = deque()
    for v, k in out[start]:
        if v in allowed and v not in parent:
            parent[v] = (start, k)
            queue.append(v)
    while queue:
        u = queue.popleft()
        if goal(u):
            path, labels, cur = [u], [], u
            while True:
                prev, k = parent[cur]
                labels.append(k)
                path.append(prev)
                if prev == start:
                    break
                cur = prev
            return path[::-1], labels[::-1]
        for v, k in out[u]:
            if v in allowed and v not in parent:
                parent[v] = (u, k)
                queue.append(v)
    raise AssertionError("no path inside a strongly connected component")


def leads_to(x: Exploration, p: Callable, q: Callable) -> Lasso | None:
    """A fair run that reaches a state where ``p`` holds and never afterwards
    one where ``q`` holds, as a lasso; None when every fair run does reach Q.

    ``p`` and ``q`` take a readable state.  The exploration must be complete.
    """
    states = [x.state(i) for i in range(len(x.states))]
    out = _out_edges(x)
    not_q = [not q(s) for s in states]
    starts = [i for i, s in enumerate(states) if not_q[i] and p(s)]
    # The region: everything reachable from a P-state through states without Q,
    # with the multi-source BFS tree that leads there (parent, label of the step).
    came_from: dict[int, tuple[int, int]] = {i: (-1, -1) for i in starts}
    order = list(starts)
    for u in order:
        for v, k in out[u]:
            if not_q[v] and v not in came_from:
                came_from[v] = (u, k)
                order.append(v)
    region = set(order)
    terminal = set(x.terminal)
    g = nx.DiGraph()
    g.add_nodes_from(region)
    g.add_edges_from((u, v) for u in region for v, _ in out[u] if v in region)
    bad: dict[int, set[int]] = {}  # entry node -> its fair component (empty: terminal)
    for comp in nx.strongly_connected_components(g):
        if len(comp) == 1:
            (u,) = comp
            if u in terminal:
                bad[u] = set()
                continue
            if not g.has_edge(u, u):
                continue
        if _fair(x, comp, out):
            for u in comp:
                bad[u] = comp
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
    cycle, cycle_labels = _path_within(out, entry, lambda u: u == entry, comp) if comp else ([], [])
    return Lasso(stem, cycle, labels, cycle_labels)
