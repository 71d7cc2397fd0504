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

The components are those of the Emerson-Lei refinement: decompose the
region into strongly connected components; in a component that has loss or
duplication edges inside, remove them and decompose that component again;
repeat until no component changes, then keep those whose every owed step is
taken inside or is impossible somewhere in them.  (Rejecting a whole
component for one loss edge would miss a fair cycle that avoids it.)  Here
that takes one decomposition, of the region without its losses and
duplications: a component the refinement keeps at once has none inside, so it
is strongly connected without them too, and every other one it decomposes
without them; a component of the region without them lies inside one of the
whole region, so the two ways give the same components.  (Weak fairness needs
no refinement: a part of a component that ignores an owed step ignores it
too.)  Everything but the cycle shown runs on integer arrays over the
exploration's compact edge arrays (``src``, ``dst``, ``lab``, read by numpy
without copying): the components are Pearce's strongly connected components
compiled from C (:data:`_SCC_C`; scipy's over CSR arrays without a compiler),
straight over the edge arrays and a mask, the region a breadth-first search whose order is
exactly a FIFO queue's (level by level while it is small, else scipy's
compiled one), the fairness test one bit per kind of step, asked only of the
components where it decides.  No graph object of the whole space is built.

A counterexample is a lasso: the path to a P-state, on to the component (or
to the terminal state), and a cycle through the component that is itself
fair (it passes a state where each owed step is impossible, or takes it).
:func:`fair_components` and :func:`fair_cycle` give the same analysis to
other readers (the diagrams mark the fair cycles of a state graph).  What
this cannot see: anything beyond the explored bounds, and unfair runs, by
design.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, NamedTuple

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .explorer import Exploration

__all__ = ["FAIRNESS", "UNFAIR", "Lasso", "Stopped", "leads_to", "leads_to_masks", "fair_components", "fair_cycle"]

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


def _arrays(x: Exploration):
    """The exploration's edge arrays as numpy views (no copy): src, dst, lab."""
    len(x.src)  # an exploration that kept no edges says so here (EdgesNotKept), not in numpy
    return (np.frombuffer(x.src, dtype=np.int32), np.frombuffer(x.dst, dtype=np.int32),
            np.frombuffer(x.lab, dtype=np.int32))


class _Kinds:
    """Each label's kind of step, ``kind`` (actor, kind), by label id; whether a
    fair run takes it only finitely often, ``unfair``; and the same as integer
    arrays by label: ``kindbit`` (one bit per kind of step, of ``bits_type``)
    and ``unfair_label``.  The labels are an exploration's (:meth:`of`) or a
    partitioned one's, whose coordinator has the label list
    (:mod:`cluster_liveness`)."""

    def __init__(self, kind: list[tuple[str, str]]):
        self.kind = kind
        self.unfair = [k[1] in UNFAIR for k in self.kind]
        kinds = sorted(set(self.kind))
        if len(kinds) > 63:
            raise ValueError(f"liveness: {len(kinds)} kinds of step, at most 63")
        bit = {k: 1 << i for i, k in enumerate(kinds)}
        self.bits_type = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                              if len(kinds) <= 8 * np.dtype(t).itemsize)
        self.kindbit = np.array([bit[k] for k in self.kind] or [0], dtype=self.bits_type)
        self.unfair_label = np.array(self.unfair or [False], dtype=bool)

    @staticmethod
    def of(x: Exploration) -> list[tuple[str, str]]:
        """The (actor, kind) of each of ``x``'s labels, by label id."""
        return [(step.actor, step.kind) for step in map(x.label, range(len(x.labels)))]


class _Graph(_Kinds):
    """The exploration's edges indexed by source (``indptr[u]:indptr[u+1]``
    are the edge numbers out of ``u``: the explorer stores them in source
    order; an exploration that counted them as it went gives them as its
    ``edge_offsets``, as the packed engine does), each label's (actor, kind),
    and the same as integer arrays:
    ``kindbit`` (one bit per kind of step, by label), ``unfair_label`` (by
    label), ``loops`` (the edges from a state to itself) and ``terminal`` (by
    state)."""

    def __init__(self, x: Exploration):
        self.x = x
        n = len(x.states)
        src, dst, lab = _arrays(x)
        self.src, self.dst, self.lab = src, dst, lab
        offsets = getattr(x, "edge_offsets", None)
        if offsets is not None and len(offsets) == n + 1 and int(offsets[-1]) == len(src):
            self.indptr = np.asarray(offsets)
        else:
            self.indptr = _indptr(n, src)
        _Kinds.__init__(self, _Kinds.of(x))
        self.loops = np.flatnonzero(src == dst)
        self.terminal = np.zeros(n, dtype=bool)
        self.terminal[np.asarray(x.terminal, dtype=np.int64)] = True

    def out(self, u: int) -> range:
        return range(int(self.indptr[u]), int(self.indptr[u + 1]))

    def owed_bits_of(self, states) -> np.ndarray:
        """The bits of the steps a fair run must not ignore for ever in each of ``states`` (:func:`_owed`)."""
        return _owed(self, states)

    def owed(self, u: int) -> set[tuple[str, str]]:
        """The steps possible in ``u`` that a fair run must not ignore for ever."""
        return {self.kind[self.x.lab[j]] for j in self.out(u) if not self.unfair[self.x.lab[j]]}


#: Edges per slice of the per-edge array work, which bounds its temporary memory.
_SLICE = 1 << 20


def _slices(m: int):
    return (slice(i, min(i + _SLICE, m)) for i in range(0, m, _SLICE))


def _indptr(n: int, rows) -> np.ndarray:
    """The CSR row pointers of the sorted ``rows`` (``rows[indptr[u]:indptr[u+1]]``
    are the entries of row ``u``), int32 below 2**31 entries: where each row's
    run ends, then a running maximum over the rows without one."""
    m = len(rows)
    indptr = np.zeros(n + 1, dtype=np.int32 if m < 2 ** 31 else np.int64)
    if m:
        ends = np.flatnonzero(rows[1:] != rows[:-1])
        indptr[rows[ends] + 1] = ends + 1
        indptr[rows[-1] + 1] = m
        np.maximum.accumulate(indptr, out=indptr)
    return indptr


def _kept_rows(indptr, keep) -> np.ndarray:
    """The row pointers of the entries ``keep`` (a mask) of a CSR array whose
    rows are ``indptr``: the kept entries before each row's first, counted
    slice by slice (:data:`_SLICE`)."""
    rows = np.zeros(len(indptr), dtype=indptr.dtype)
    kept = 0
    for sl in _slices(len(keep)):
        before = np.cumsum(keep[sl], dtype=indptr.dtype)  # before[j]: kept up to entry sl.start + j
        # the rows starting inside (the bounds in indptr's type: else numpy converts all of indptr)
        u0, u1 = np.searchsorted(indptr, np.array((sl.start, sl.stop), dtype=indptr.dtype), side="right")
        rows[u0:u1] = before[indptr[u0:u1] - sl.start - 1]
        rows[u0:u1] += kept
        kept += int(before[-1])
    rows[np.searchsorted(indptr, indptr.dtype.type(len(keep)), side="left"):] = kept  # those starting at the end
    return rows


# Pearce's space-efficient strongly connected components ("A space-efficient
# algorithm for finding strongly connected components", Information Processing
# Letters 116(1), 2016, PEA_FIND_SCC2), written iteratively: one array rindex
# (a state's visit index, lowered to the least it reaches, then its component
# number, counted down from n - 1), the stack S of states whose component is
# not yet known, and the depth-first path (state, next edge, root flag).
# Over the CSR rows indptr, the edges e with keep[e]; or, with keep NULL, the
# edges between two states of nodes whose label is not unfair (a loss or a
# duplication), so that no mask over the edges is made: a state outside nodes
# starts with rindex INT32_MAX, as if its component were known (it lowers
# nothing and is never entered), so that an edge costs one look at its target,
# and only when its label is fair; it ends with component -1.  Repeated edges
# and loops need no care.  Returns the number of components; comp[u] =
# n-1-rindex[u], big[k] = 1 when component k has more than one state, and
# the states of those components are put in members (*n_members of them),
# so that no pass over every state or component is needed to find the few.
_SCC_C = r"""
#include <stdint.h>
#include <string.h>
#define SCC(NAME, IDX)                                                                  \
int64_t NAME(int64_t n, const IDX *indptr, const int32_t *dst, const uint8_t *keep,    \
             const uint8_t *nodes, const int32_t *lab, const uint8_t *unfair,          \
             int32_t *rindex, int32_t *S, int32_t *path, IDX *next, uint8_t *root,     \
             uint8_t *big, int32_t *members, int64_t *n_members) {                      \
    int64_t index = 1, c = n - 1, sp = 0, out = 0;                                      \
    if (keep) memset(rindex, 0, n * sizeof(int32_t));                                   \
    else for (int64_t u = 0; u < n; u++) rindex[u] = nodes[u] ? 0 : INT32_MAX;         \
    for (int64_t s = 0; s < n; s++) {                                                   \
        if (rindex[s]) continue;                                                        \
        int64_t top = 0;                                                                \
        path[0] = (int32_t)s; next[0] = indptr[s]; root[0] = 1; rindex[s] = (int32_t)index++; \
        while (top >= 0) {                                                              \
            int32_t v = path[top];                                                      \
            IDX e = next[top], end = indptr[v + 1];                                     \
            int descended = 0;                                                          \
            for (; e < end; e++) {                                                      \
                if (keep ? !keep[e] : unfair[lab[e]]) continue;                         \
                int32_t w = dst[e];                                                     \
                if (!rindex[w]) {                                                       \
                    next[top] = e;                                                      \
                    top++; path[top] = w; next[top] = indptr[w]; root[top] = 1;         \
                    rindex[w] = (int32_t)index++;                                       \
                    descended = 1; break;                                               \
                }                                                                       \
                if (rindex[w] < rindex[v]) { rindex[v] = rindex[w]; root[top] = 0; }    \
            }                                                                           \
            if (descended) continue;                                                    \
            if (root[top]) {                                                            \
                int64_t was = sp;                                                       \
                index--;                                                                \
                while (sp > 0 && rindex[v] <= rindex[S[sp - 1]]) {                      \
                    rindex[S[--sp]] = (int32_t)c; index--;                              \
                }                                                                       \
                rindex[v] = (int32_t)c; big[n - 1 - c] = sp < was; c--;                 \
                if (sp < was) {                                                         \
                    memcpy(members + out, S + sp, (was - sp) * sizeof(int32_t));        \
                    out += was - sp; members[out++] = v;                                \
                }                                                                       \
            } else {                                                                    \
                S[sp++] = v;                                                            \
            }                                                                           \
            if (--top >= 0) {  /* back in the parent: its edge to v, then the next */   \
                int32_t u = path[top];                                                  \
                if (rindex[v] < rindex[u]) { rindex[u] = rindex[v]; root[top] = 0; }    \
                next[top]++;                                                            \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
    if (!keep) for (int64_t u = 0; u < n; u++) if (rindex[u] == INT32_MAX) rindex[u] = (int32_t)n; \
    *n_members = out;                                                                   \
    return n - 1 - c;                                                                   \
}
SCC(scc32, int32_t)
SCC(scc64, int64_t)
"""

#: "c" for the compiled strong components, "scipy" for scipy's (no gcc, or the tests comparing both).
SCC = "c"
_scc_lib = None  # the loaded kernel, False when it cannot be built


def _scc_kernel():
    global _scc_lib
    if SCC != "c":
        return None
    if _scc_lib is None:
        import ctypes

        from .compiled import load

        lib = load("liveness-scc", _SCC_C)
        if lib is not None:
            p = ctypes.c_void_p
            for f in (lib.scc32, lib.scc64):
                f.argtypes = [ctypes.c_int64] + [p] * 14
                f.restype = ctypes.c_int64
        _scc_lib = lib or False
    return _scc_lib or None


def _scc(n: int, indptr, keep, dst, of=None, big: bool = False):
    """The strongly connected component of each of ``n`` states over the edges
    ``keep`` (a mask over the edge arrays, whose rows are ``indptr``), or,
    with ``of`` = (graph, nodes) and ``keep`` None, over the edges between two
    states of ``nodes`` that are neither a loss nor a duplication (compiled
    kernel only: see :func:`_fair_labels`; a state outside ``nodes`` is then
    in no component, -1): by the compiled kernel above, straight over the edge
    arrays, else by scipy's compiled algorithm over a CSR copy of the kept
    edges.  With ``big``, also whether each component has more than one state
    (a boolean array by component number) and the states of those components
    (sorted)."""
    lib = _scc_kernel()
    if lib is not None and n < 2 ** 31 - 1 and n:
        import ctypes

        rindex, stack, path, members = (np.empty(n, dtype=np.int32) for _ in range(4))
        nxt = np.empty(n, dtype=indptr.dtype)
        root, many = np.empty(n, dtype=np.uint8), np.empty(n, dtype=bool)
        if keep is not None:
            masks = (np.ascontiguousarray(keep, dtype=bool), None, None, None)
        else:
            g, nodes = of
            masks = (None, np.ascontiguousarray(nodes, dtype=bool), np.ascontiguousarray(g.lab, dtype=np.int32),
                     np.ascontiguousarray(g.unfair_label, dtype=bool))
        f = lib.scc32 if indptr.dtype == np.int32 else lib.scc64
        found = ctypes.c_int64(0)
        count = f(n, *(None if a is None else a.ctypes.data
                       for a in (np.ascontiguousarray(indptr), np.ascontiguousarray(dst, dtype=np.int32), *masks,
                                 rindex, stack, path, nxt, root, many, members)), ctypes.byref(found))
        del stack, path, nxt, root
        np.subtract(n - 1, rindex, out=rindex)
        return (rindex, many[:count], np.sort(members[:found.value])) if big else rindex
    if keep is None:
        keep = _arcs(*of)
    rows = _kept_rows(indptr, keep)
    m = csr_matrix((np.ones(int(rows[-1]), dtype=np.int8), dst[keep].astype(rows.dtype, copy=False), rows),
                   shape=(n, n))
    # scipy's strong components need each row without a repeated target (with two steps
    # between the same states scipy 1.17.1's Pearce traversal pushes the target onto its
    # own stack entry and never returns): sorted and merged here, in place, on the kept targets
    m.sum_duplicates()
    # and float64 weights, else it makes a float64 copy of the whole graph: the weights are
    # never read, so one broadcast 1.0 stands for all of them (no memory)
    m.data = np.broadcast_to(np.float64(1.0), (m.nnz,))
    count, scc = connected_components(m, directed=True, connection="strong")
    if not big:
        return scc
    many = np.bincount(scc, minlength=count) > 1
    return scc, many, np.flatnonzero(many[scc])


def _owed(g, states) -> np.ndarray:
    """The bits of the steps a fair run must not ignore for ever in each of
    ``states`` (sorted): those possible there, losses and duplications aside."""
    e = _out_edges(g.indptr, states)
    bits = g.kindbit[g.lab[e]]
    bits[g.unfair_label[g.lab[e]]] = 0
    counts = g.indptr[states + 1] - g.indptr[states]
    out = np.zeros(len(states), dtype=g.bits_type)
    some = counts > 0
    if some.any():
        starts = np.cumsum(counts, dtype=counts.dtype) - counts
        out[some] = np.bitwise_or.reduceat(bits, starts[some])
    return out


def _arcs(g, nodes) -> np.ndarray:
    """The edges between two states of ``nodes`` (a mask) that are neither a
    loss nor a duplication, as a mask over the edge arrays (in slices)."""
    src, dst, lab = g.src, g.dst, g.lab
    arcs = np.empty(len(src), dtype=bool)
    for sl in _slices(len(src)):
        a = arcs[sl]
        np.logical_and(nodes[src[sl]], nodes[dst[sl]], out=a)
        a &= ~g.unfair_label[lab[sl]]
    return arcs


def _fair_labels(g, nodes, should_stop=None) -> np.ndarray:
    """The fair strongly connected components of the subgraph of ``g`` on
    ``nodes`` (a boolean mask): for each state, the number of its fair
    component, or -1.  A terminal state in ``nodes`` is a component of its own
    (a run that stops); a component is otherwise one with a cycle.

    The components of the Emerson-Lei refinement, in its one decomposition
    of the subgraph without losses and duplications (see the module's
    docstring for why that is the same).
    The steps taken inside a component are gathered only for the components
    where they decide (a cycle, and a step owed in every state of it).  The
    work over edges goes in slices (:data:`_SLICE`), so that its temporary
    arrays stay small beside the exploration's."""
    n = len(nodes)
    src, dst, lab = g.src, g.dst, g.lab
    comp = np.full(n, -1, dtype=np.int32 if n < 2 ** 30 else np.int64)
    if not nodes.any():
        return comp
    # the edges a fair run can take inside: a mask only for scipy (the kernel reads them as it goes)
    arcs = None if _scc_kernel() is not None else _arcs(g, nodes)
    loops = g.loops[nodes[src[g.loops]] & ~g.unfair_label[lab[g.loops]]]
    stop = nodes & g.terminal
    done = int(stop.sum())
    comp[stop] = np.arange(done)
    del stop
    _poll(should_stop)
    scc, _, inside = _scc(n, g.indptr, arcs, dst, of=(g, nodes), big=True)
    if len(loops):  # a state with a fair loop is a cycle of its own
        inside = np.union1d(inside, src[loops])
    if not len(inside):  # every state a component of its own, none with a loop: no cycle
        return comp
    # the components with a cycle, numbered 0, 1, ... (k), and each state's of them (of_state)
    cyclic, of_state = np.unique(scc[inside], return_inverse=True)
    of_state = of_state.reshape(-1)
    # a component is fair if every step owed all round it is taken inside
    always = np.full(len(cyclic), ~g.bits_type(0), dtype=g.bits_type)
    np.bitwise_and.at(always, of_state, g.owed_bits_of(inside))
    ask = always != 0
    if ask.any():  # over the edges out of the states of those components, a slice of states at a time
        taken = np.zeros(len(cyclic), dtype=g.bits_type)
        asked = inside[ask[of_state]]
        for sl in _slices(len(asked)):
            e = _out_edges(g.indptr, asked[sl])
            c, t = scc[src[e]], dst[e]
            k = arcs[e] if arcs is not None else nodes[t] & ~g.unfair_label[lab[e]]
            k &= c == scc[t]
            np.bitwise_or.at(taken, np.searchsorted(cyclic, c[k]), g.kindbit[lab[e][k]])
        fair = (always & ~taken) == 0
    else:
        fair = np.ones(len(cyclic), dtype=bool)
    keep = inside[fair[of_state]]
    comp[keep] = done + scc[keep]
    return comp


class _Sub(NamedTuple):
    """The subgraph of a :class:`_Graph` on some of its states, renumbered
    0, 1, ... in the order of their ids, with the edges between them in the
    same order (what :func:`_fair_labels` reads of a graph)."""

    src: np.ndarray
    dst: np.ndarray
    lab: np.ndarray
    indptr: np.ndarray
    loops: np.ndarray
    unfair_label: np.ndarray
    kindbit: np.ndarray
    bits_type: type
    terminal: np.ndarray
    whole: "_Graph"
    ids: np.ndarray  # state i of the subgraph is state ids[i] of the whole

    def owed_bits_of(self, states) -> np.ndarray:
        """:meth:`_Graph.owed_bits_of`, read off the whole graph: the steps possible in
        a state include those that leave the subgraph."""
        return _owed(self.whole, self.ids[states])


def _out_edges(indptr, frontier) -> np.ndarray:
    """The edge numbers out of the states ``frontier``, state after state (in
    ``indptr``'s integer type: int32 below 2**31 edges)."""
    lo, hi = indptr[frontier], indptr[frontier + 1]
    counts = hi - lo
    total = int(counts.sum())
    lo -= np.cumsum(counts, dtype=counts.dtype)
    lo += counts
    return np.repeat(lo, counts) + np.arange(total, dtype=counts.dtype)


def _fair_labels_of_region(g: _Graph, nodes, should_stop=None) -> np.ndarray:
    """:func:`_fair_labels` of ``g`` on ``nodes``; on a region of less than half
    the states, on its own subgraph (renumbered), so that the work over edges
    is over its edges alone.  The same components either way."""
    n = len(nodes)
    ids = np.flatnonzero(nodes)
    if 2 * len(ids) >= n:
        return _fair_labels(g, nodes, should_stop)
    e = _out_edges(g.indptr, ids)
    e = e[nodes[g.dst[e]]]
    local = np.full(n, -1, dtype=np.int32)
    local[ids] = np.arange(len(ids), dtype=np.int32)
    s, d = local[g.src[e]], local[g.dst[e]]
    sub = _Sub(s, d, g.lab[e], _indptr(len(ids), s), np.flatnonzero(s == d), g.unfair_label, g.kindbit,
               g.bits_type, g.terminal[ids], g, ids)
    del e, local, s, d
    comp = np.full(n, -1, dtype=np.int32 if n < 2 ** 30 else np.int64)
    comp[ids] = _fair_labels(sub, np.ones(len(ids), dtype=bool), should_stop)
    return comp


def _poll(should_stop):
    if should_stop is not None:
        why = should_stop()
        if why:
            raise Stopped(why)


class Stopped(BaseException):
    """Raised inside a liveness analysis when its ``should_stop()`` hook gives a
    reason (a BaseException, so that no ``except Exception`` swallows it)."""


def _grouped(comp: np.ndarray) -> list[list[int]]:
    """The states of each component number of ``comp`` (-1: none), each sorted,
    the components ordered by their smallest state."""
    ids = np.flatnonzero(comp >= 0)
    if not len(ids):
        return []
    c = comp[ids]
    order = np.argsort(c, kind="stable")
    c, ids = c[order], ids[order]
    cuts = np.flatnonzero(np.diff(c)) + 1
    return sorted((part.tolist() for part in np.split(ids, cuts)), key=lambda p: p[0])


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
    n = len(x.states)
    nodes = np.ones(n, dtype=bool) if keep is None else np.fromiter(map(keep, range(n)), dtype=bool, count=n)
    comp = _fair_labels(g, nodes & ~g.terminal)
    return _grouped(comp)


def _bfs(g: _Graph, start: int, goal: Callable[[int], bool], allowed, steps: int,
         should_stop=None) -> tuple[list[int], list[int]]:
    """A shortest path from ``start`` to a node satisfying ``goal``, along fair
    edges between ``allowed`` nodes, at least ``steps`` (0 or 1) long: its nodes
    and the label ids of its steps.  Edges are tried in the exploration's order."""
    x = g.x
    if steps == 0 and goal(start):
        return [start], []
    parent: dict[int, tuple[int, int]] = {}
    queue = deque([start])
    polled = 0
    while queue:
        u = queue.popleft()
        polled += 1
        if (polled & 4095) == 0:
            _poll(should_stop)
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


def fair_cycle(x: Exploration, comp, entry: int, _g: _Graph | None = None,
               should_stop=None) -> tuple[list[int], list[int]]:
    """A fair cycle through state ``entry`` of the fair component ``comp`` (one of
    :func:`fair_components`): its state ids, from ``entry`` back to it, and the
    label ids of its steps.  It is the shortest cycle through ``entry``, with a
    detour for each step that would be possible all the way round it and never
    taken: to the nearest state where that step is impossible, or through the
    nearest such step."""
    g = _g or _Graph(x)
    comp = set(comp)
    cycle, labels = _bfs(g, entry, lambda u: u == entry, comp, 1, should_stop)
    while True:
        taken = {g.kind[k] for k in labels}
        missing = sorted(set.intersection(*(g.owed(u) for u in cycle)) - taken)
        if not missing:
            return cycle, labels
        want = missing[0]

        def witness(u, want=want):
            return want not in g.owed(u) or any(
                g.kind[x.lab[j]] == want and x.dst[j] in comp for j in g.out(u))
        there, there_labels = _bfs(g, entry, witness, comp, 0, should_stop)
        w = there[-1]
        if want in g.owed(w):  # take the step itself
            j = next(j for j in g.out(w) if g.kind[x.lab[j]] == want and x.dst[j] in comp)
            there, there_labels = there + [x.dst[j]], there_labels + [x.lab[j]]
        back, back_labels = _bfs(g, there[-1], lambda u: u == entry, comp, 0, should_stop)
        cycle = cycle + there[1:] + back[1:]
        labels = labels + there_labels + back_labels


def leads_to(x: Exploration, p: Callable, q: Callable, should_stop=None) -> Lasso | None:
    """A fair run that reaches a state where ``p`` holds and never afterwards
    one where ``q`` holds, as a lasso; None when every fair run does reach Q.

    ``p`` and ``q`` take a readable state.  The exploration must be complete.
    ``should_stop()``, when given, is asked between the analysis' stages and
    inside its loops; a reason it returns stops it by raising :class:`Stopped`.
    """
    n = len(x.states)
    states = (x.state(i) for i in range(n))
    pq = np.fromiter(((p(s), q(s)) for s in states), dtype=np.dtype((bool, 2)), count=n)
    return leads_to_masks(x, pq[:, 0], pq[:, 1], should_stop=should_stop)


def _bfs_order(g: _Graph, starts, allowed, budget: int | None = None):
    """The states reachable from ``starts`` through states ``allowed`` (a mask),
    in the order a FIFO queue first meets them (``starts`` first, in their order;
    each state's edges in the exploration's order), and for each state the one
    whose edge first met it (``n`` for a start, -1 or anything for one not met).

    Level by level (each level's new states in the order of their first
    appearance among the out-edges of the level before: a FIFO queue's order)
    while the edges walked are few (``budget``, by default an eighth of all the
    edges); past that, over again
    by scipy's compiled breadth-first search from one more state, ``n``, with an
    edge to each start, over the edges into allowed states: the same order and
    tree, at a cost that does not depend on the levels' number."""
    n = len(allowed)
    found_by = np.full(n, -1, dtype=np.int32 if n < 2 ** 31 else np.int64)
    found_by[starts] = n
    levels, frontier, walked = [starts], starts, 0
    while len(frontier):
        walked += int(g.indptr[frontier + 1].sum()) - int(g.indptr[frontier].sum())
        if walked > (len(g.src) // 8 if budget is None else budget):
            del levels, frontier
            return _bfs_order_compiled(g, starts, allowed)
        e = _out_edges(g.indptr, frontier)
        t = g.dst[e]
        ok = allowed[t] & (found_by[t] < 0)
        e, t = e[ok], t[ok]
        _, at = np.unique(t, return_index=True)
        at.sort()
        e, t = e[at], t[at]
        found_by[t] = g.src[e]
        levels.append(t)
        frontier = t
    return np.concatenate(levels), found_by


def _bfs_order_compiled(g: _Graph, starts, allowed):
    """:func:`_bfs_order` by scipy's breadth-first search."""
    n = len(allowed)
    into = allowed[g.dst]  # the edges into an allowed state
    rows = np.empty(n + 2, dtype=g.indptr.dtype)
    rows[:n + 1] = _kept_rows(g.indptr, into)
    k = int(rows[n])
    rows[n + 1] = k + len(starts)
    targets = np.empty(k + len(starts), dtype=rows.dtype)
    at = 0
    for sl in _slices(len(into)):
        kept = g.dst[sl][into[sl]]
        targets[at:at + len(kept)] = kept
        at += len(kept)
    targets[k:] = starts
    del into
    m = csr_matrix((np.ones(len(targets), dtype=np.int8), targets, rows), shape=(n + 1, n + 1))
    m.data = np.broadcast_to(np.float64(1.0), (m.nnz,))  # as in _scc: no float64 copy
    order, found_by = breadth_first_order(m, n, directed=True, return_predecessors=True)
    return order[1:], found_by


def leads_to_masks(x: Exploration, p, q, g: _Graph | None = None, should_stop=None) -> Lasso | None:
    """:func:`leads_to` with P and Q given as boolean arrays over the state ids
    (as the checker records them while the states are found)."""
    g = g or _Graph(x)
    n = len(x.states)
    not_q = ~np.asarray(q, dtype=bool)
    starts = np.flatnonzero(not_q & np.asarray(p, dtype=bool))
    # The region: everything reachable from a P-state through states without Q, in
    # the order of a FIFO queue that starts with the P-states (by id) and follows
    # each state's edges in the exploration's order: scipy's compiled breadth-first
    # search from one more state, n, with an edge to each P-state, over the edges
    # into states without Q.  Its tree gives each state the one that found it.
    if not len(starts):
        return None
    _poll(should_stop)
    if 2 * len(starts) >= int(not_q.sum()):
        # The region holds the P-states, so at least half the states without Q: the
        # fair components are those of all the states without Q (a component of
        # theirs that meets the region lies inside it: the region is closed under
        # steps into states without Q), found at about the same cost, and the
        # breadth-first search is needed only when none of them is a P-state (the
        # P-states come first in the queue: the first bad one is the first met).
        comp = _fair_labels_of_region(g, not_q, should_stop)
        bad = comp[starts] >= 0
        if bad.any():
            order, found_by = starts[int(np.argmax(bad)):][:1], None
        elif not (comp >= 0).any():
            return None
        else:
            order, found_by = _bfs_order(g, starts, not_q)
    else:
        order, found_by = _bfs_order(g, starts, not_q)
        seen = np.zeros(n, dtype=bool)
        seen[order] = True
        comp = _fair_labels_of_region(g, seen, should_stop)
        del seen
    del not_q
    bad = comp[order] >= 0
    if not bad.any():
        return None
    entry = int(order[int(np.argmax(bad))])  # the first one the BFS met
    del order
    stem, labels = [entry], []
    while found_by is not None and found_by[stem[-1]] != n:  # back to a P-state, by the first edge that found each state
        v, u = stem[-1], int(found_by[stem[-1]])
        lo, hi = int(g.indptr[u]), int(g.indptr[u + 1])
        labels.append(int(g.lab[lo + int(np.argmax(g.dst[lo:hi] == v))]))
        stem.append(u)
    head = stem[-1]  # a P-state: the shortest path of the exploration leads to it
    stem = x.ids_to(head)[:-1] + stem[::-1]
    labels = x.labels_to(head) + labels[::-1]
    if g.terminal[entry]:
        return Lasso(stem, [], labels, [])
    members = np.flatnonzero(comp == comp[entry]).tolist()
    cycle, cycle_labels = fair_cycle(x, members, entry, g, should_stop)
    return Lasso(stem, cycle, labels, cycle_labels)
