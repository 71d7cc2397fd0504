"""Liveness (``P leads to Q``) over a partitioned exploration, as on a Dask cluster.

``check --engine dask`` leaves each state, with its out-edges, at the
partition that owns it; the coordinator keeps a few bits per state.  The
liveness analysis of :mod:`liveness` needs the whole graph, so here it runs
in rounds: each partition (:class:`LivePart`, embedded in a Dask actor or
used in-process) does the work over its own states and edges, and the
coordinator (:func:`leads_to_partitioned`) exchanges only bit arrays over
the states (``np.packbits``), one breadth-first level at a time, and the
small subgraphs where the cycles are.  The answer is exactly
:func:`liveness.leads_to_masks`'s on the whole exploration: the same
:class:`~liveness.Lasso` (stem, cycle, their labels) or None.

1. **The fair components, by trimming.**  Of some states without Q, a state
   that is not terminal and has no fair step (not a loss or a duplication)
   into the others left, or none from them, is in no cycle a fair run can
   follow there; dropping such states round after round (one pass of each
   partition over its remaining edges and an exchange of two bit arrays per
   round) leaves a residue that holds every such cycle, and the terminal
   states.  The coordinator gathers the residue's fair edges and each of its
   states' owed steps (from all its out-edges, as :func:`liveness._owed`
   reads them) and runs :func:`liveness._fair_labels` on that small
   subgraph: the same fair components as over those states.
2. **The region's breadth-first order**, level by level from the P-states
   without Q (by id) through the states without Q, each level's new states
   in order of their first appearance among the previous level's out-edges
   (as :func:`liveness._bfs_order` defines it).  Each partition keeps the
   bits of the states allowed and found and its part of the level, and sends,
   for each new state, its first appearance among its part's out-edges; the
   coordinator merges those in the level's order, numbers the next level and
   hands it to every partition (to mark it found, and take its part).  The
   owner of each new state keeps the state and step that found it, its level
   and its position in it.  The entry is the first state met that is in a
   fair component (or terminal).

The two go in the order :func:`liveness.leads_to_masks` takes them.  When
the P-states are at least half the states without Q, the components of all
the states without Q come first (one that meets the region lies inside it),
then the search, which stops at the first level with a bad state; its first
level is the P-states, so the owners of the bad states say first which of
them are P-states, and when one is, the least is the entry and the P-states
are never gathered.  Otherwise the whole region is searched first, then
trimmed, and the owners of the bad states say which was met first (by
level, then position).

3. **The lasso**: back from the entry to a P-state, one question to an owner
   per step; the caller's ``path_to`` for the shortest path to that P-state;
   and, for a cycle, the out-edges of the entry's component, gathered into a
   small exploration-like view for :func:`liveness.fair_cycle`.

What the coordinator holds at once: a few bit arrays over the states, one
breadth-first level (the states of the next, and at most one candidate for
each from each partition), and the residue (its states, its fair edges).  The
residue is small when the cycles are (a few hundred states of the presets);
a configuration with a huge cyclic component of states without Q gathers
that component whole.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable, NamedTuple

import numpy as np

from .liveness import Lasso, _fair_labels, _indptr, _Graph, _Kinds, _out_edges, _owed, _poll, _Sub, fair_cycle

__all__ = ["LivePart", "Relay", "leads_to_partitioned"]


# --- bit arrays over the global state ids (np.packbits, little bit order) ------------------------

def _bits(n: int) -> np.ndarray:
    """An empty bit array over ``n`` states."""
    return np.zeros((n + 7) >> 3, dtype=np.uint8)


def _set(bits: np.ndarray, ids) -> np.ndarray:
    """Set the bits of ``ids`` (in place); the array."""
    ids = np.asarray(ids, dtype=np.int64)
    np.bitwise_or.at(bits, ids >> 3, np.left_shift(1, ids & 7).astype(np.uint8))
    return bits


def _test(bits: np.ndarray, ids) -> np.ndarray:
    """Whether the bit of each of ``ids`` is set, as a boolean array."""
    ids = np.asarray(ids, dtype=np.int64)
    return (bits[ids >> 3] >> (ids & 7).astype(np.uint8)) & 1 == 1


def _count(bits: np.ndarray) -> int:
    return int(np.bitwise_count(bits).sum(dtype=np.int64))


def _or(arrays) -> np.ndarray:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out |= a
    return out


def _index(m: int) -> type:
    """The integer type of an index below ``m``: int32 when it fits."""
    return np.int32 if m < 2 ** 31 else np.int64


# --- a partition ---------------------------------------------------------------------------------

class LivePart:
    """One partition's share of the liveness analysis: its states' global ids
    ``gids`` (ascending; local number = position), their out-edges as CSR
    rows ``indptr`` over the local numbers, the targets' global ids ``dst``
    and global label ids ``lab`` (each state's edges in the exploration's
    order), and whether each state is ``terminal``; the predicates of each
    ``P leads to Q`` by name (:meth:`set_predicates`).  Its methods return
    small numpy arrays, bit arrays over all the states, or ints (picklable:
    a Dask actor runs them on its worker).  One analysis at a time:
    :meth:`begin` starts one and forgets the last."""

    def __init__(self, gids, indptr, dst, lab, terminal):
        self.gids = np.asarray(gids, dtype=np.int64)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.dst = np.asarray(dst, dtype=np.int64)
        self.lab = np.asarray(lab, dtype=np.int32)
        self.terminal = np.asarray(terminal, dtype=bool)
        m = len(self.gids)
        if len(self.indptr) != m + 1 or len(self.terminal) != m or len(self.dst) != len(self.lab) \
                or int(self.indptr[-1]) != len(self.dst):
            raise ValueError("LivePart: indptr must have one row per state (and one more), "
                             "terminal one flag per state, dst and lab one entry per edge")
        self.predicates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._run: SimpleNamespace | None = None

    def set_predicates(self, name: str, p, q) -> None:
        """The masks (one bool per local state) of the predicates of ``P leads to Q`` called ``name``."""
        p, q = np.asarray(p, dtype=bool), np.asarray(q, dtype=bool)
        if len(p) != len(self.gids) or len(q) != len(self.gids):
            raise ValueError(f"LivePart: {name!r}: P and Q need one flag per state ({len(self.gids)})")
        self.predicates[name] = (p, q)

    def _local(self, ids) -> np.ndarray:
        """The local numbers of the global ids ``ids``, each this partition's."""
        ids = np.asarray(ids, dtype=np.int64)
        at = np.searchsorted(self.gids, ids)
        if len(ids) and (at.max() >= len(self.gids) or (self.gids[at] != ids).any()):
            raise ValueError("LivePart: asked about a state that is not this partition's")
        return at

    # step 1: the states without Q, trimmed to a residue that holds their cycles

    def begin(self, name: str, n: int, kinds: _Kinds) -> tuple[np.ndarray, np.ndarray, int]:
        """Start the analysis of ``name`` over ``n`` states with the label kinds
        ``kinds``: the bits of this partition's states without Q, those of its
        P-states without Q, and how many of those there are."""
        p, q = self.predicates[name]
        self._run = SimpleNamespace(name=name, n=n, kinds=kinds, states=None, found_by=None)
        start = p & ~q
        return _set(_bits(n), self.gids[~q]), _set(_bits(n), self.gids[start]), int(start.sum())

    def starts(self, among) -> np.ndarray:
        """Those of ``among`` (this partition's global ids) that are P-states without Q."""
        p, q = self.predicates[self._run.name]
        at = self._local(among)
        return self.gids[at[p[at] & ~q[at]]]

    def _live(self, alive: np.ndarray) -> np.ndarray:
        """The fair edges between live states (``alive``, bits) out of this
        partition's, kept as ``src`` (local) and ``edges``, and those states
        (local, ascending): at the first round, over the out-edges of the live
        states; after, over those kept (the live states only shrink), so that a
        round costs what is left, not the whole partition."""
        r = self._run
        if r.states is None:
            r.states = np.flatnonzero(_test(alive, self.gids)).astype(_index(len(self.gids)))
            counts = self.indptr[r.states + 1] - self.indptr[r.states]
            e = _out_edges(self.indptr, r.states)
            fair = ~r.kinds.unfair_label[self.lab[e]]
            r.src, r.edges = np.repeat(r.states, counts)[fair], e[fair].astype(_index(len(self.dst)))
        else:
            r.states = r.states[_test(alive, self.gids[r.states])]
        d = self.dst[r.edges]
        keep = _test(alive, self.gids[r.src]) & _test(alive, d)
        r.src, r.edges = r.src[keep], r.edges[keep]
        return d[keep]

    def trim(self, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One round of trimming of the states ``alive`` (bits): the bits of this
        partition's live states that are terminal or have a fair step to a live
        state (``out``), and those of the live states with a fair step into them
        from a live state of this partition, with this partition's live terminal
        states (``into``).  The states that stay are those in both, over all the
        partitions."""
        r = self._run
        d = self._live(alive)
        stops = self.gids[r.states[self.terminal[r.states]]]
        return _set(_set(_bits(r.n), self.gids[r.src]), stops), _set(_set(_bits(r.n), d), stops)

    def residue(self, alive: np.ndarray):
        """This partition's states of the residue ``alive`` (bits): their global
        ids, the bits of the steps owed in each (from all its out-edges, as
        :func:`liveness._owed`), whether each is terminal; and the fair edges
        between residue states out of them (source, target, label), in order."""
        r = self._run
        d = self._live(alive)
        states, k = r.states, r.kinds
        owed = _owed(SimpleNamespace(indptr=self.indptr, lab=self.lab, kindbit=k.kindbit,
                                     unfair_label=k.unfair_label, bits_type=k.bits_type), states)
        return (self.gids[states], owed, self.terminal[states],
                self.gids[r.src], d, self.lab[r.edges])

    # step 2: the region, level by level

    def search(self, allowed: np.ndarray, found: np.ndarray, keep_ranks: bool) -> int:
        """Start the region's search through the states ``allowed`` (bits), ``found``
        (bits) the P-states without Q: this partition's of those are its part of the
        first level, each with its id as its key (their order).  With ``keep_ranks``,
        each state met keeps its level and position in it (:meth:`rank`), the
        P-states too.  How many of the P-states are this partition's."""
        r = self._run
        p, q = self.predicates[r.name]
        r.allowed, r.found = allowed, found.copy()
        r.frontier = np.flatnonzero(p & ~q)
        r.keys = self.gids[r.frontier]
        m = len(self.gids)
        r.found_by, r.found_via = np.full(m, -1, dtype=np.int64), np.full(m, -1, dtype=np.int32)
        r.depth, r.order = np.full(m, -1, dtype=np.int32), np.full(m, -1, dtype=np.int64)
        if keep_ranks:
            r.depth[r.frontier], r.order[r.frontier] = 0, r.keys
        return len(r.frontier)

    def step(self) -> tuple[np.ndarray, ...]:
        """The first appearance of each allowed state not yet found among the
        out-edges of this partition's part of the level, in their order (by key,
        then each state's edges in order): its source's key and id, the state and
        the step's label."""
        r = self._run
        at = r.frontier
        counts = self.indptr[at + 1] - self.indptr[at]
        e = _out_edges(self.indptr, at)
        d = self.dst[e]
        ok = _test(r.allowed, d) & ~_test(r.found, d)
        src = np.repeat(np.arange(len(at)), counts)[ok]
        e, d = e[ok], d[ok]
        first = _next_level(d)
        e, d, src = e[first], d[first], src[first]
        return r.keys[src], self.gids[at[src]], d, self.lab[e]

    def advance(self, new, found_by, via, depth: int) -> int:
        """The next level ``new`` (global ids, in order): all are found now; this
        partition's of them are its part of the level, each keyed by its position,
        and keep the state that found it and the step's label (``found_by`` and
        ``via``, given for this partition's only, in their order), the level
        ``depth`` and the position; how many are this partition's."""
        r = self._run
        new = np.asarray(new, dtype=np.int64)
        _set(r.found, new)
        at = np.minimum(np.searchsorted(self.gids, new), max(len(self.gids) - 1, 0))
        mine = np.flatnonzero(self.gids[at] == new) if len(self.gids) else np.zeros(0, dtype=np.int64)
        r.frontier, r.keys = at[mine], mine
        r.found_by[r.frontier], r.found_via[r.frontier] = found_by, via
        r.depth[r.frontier], r.order[r.frontier] = depth, mine
        return len(mine)

    def expand(self, ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The out-edges of the states ``ids`` (this partition's global ids, in
        the order given), each state's in order: for each edge, the position of
        its source in ``ids``, its target's global id and its label id."""
        at = self._local(ids)
        counts = self.indptr[at + 1] - self.indptr[at]
        e = _out_edges(self.indptr, at)
        return np.repeat(np.arange(len(at), dtype=np.int64), counts), self.dst[e], self.lab[e]

    def region(self) -> np.ndarray:
        """The bits of the states the search found."""
        return self._run.found

    def rank(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """The level and the position in it of each of ``ids`` (this partition's),
        -1 for a state the search did not meet."""
        at = self._local(ids)
        return self._run.depth[at], self._run.order[at]

    def found(self, gid: int) -> tuple[int, int]:
        """The state that found ``gid`` (this partition's) and that step's label
        id; (-1, -1) for a P-state the search started from."""
        r = self._run
        if r.found_by is None:
            return -1, -1
        at = int(self._local([gid])[0])
        return int(r.found_by[at]), int(r.found_via[at])


# --- the coordinator -----------------------------------------------------------------------------

class Relay:
    """A partition for :func:`leads_to_partitioned` that is a Dask actor holding a
    :class:`LivePart` rather than being one: each call ``m(*args)`` is sent as
    ``actor.<method>(m, *args)``, the actor's method that calls its LivePart's
    ``m`` (by default ``live``), and returns the actor's future."""

    def __init__(self, actor, method: str = "live"):
        self._send = getattr(actor, method)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self._send(name, *args)


def _get(value):
    """A partition's answer: a Dask actor's future's result, or the value itself (in-process)."""
    result = getattr(value, "result", None)
    return result() if callable(result) else value


def _each(calls) -> list:
    """Call ``(part, method, args)`` of each of ``calls``, all before waiting on any
    (so that the partitions work at once), then their answers in order."""
    pending = [getattr(part, method)(*args) for part, method, args in calls]
    return [_get(v) for v in pending]


def _next_level(dst: np.ndarray) -> np.ndarray:
    """The positions of the first appearance of each distinct target of ``dst``, in
    the order of those appearances: a FIFO queue's order of the new states."""
    _, at = np.unique(dst, return_index=True)
    at.sort()
    return at


class _Residue(_Sub):
    """:class:`liveness._Sub` of the residue gathered from the partitions (what
    :func:`liveness._fair_labels` reads of a graph): its fair edges, numbered 0,
    1, ... in the order of the global ids ``ids``.  The whole graph is spread
    over the partitions, so ``whole`` is here each residue state's owed bits,
    as its owner read them off all its out-edges."""

    def owed_bits_of(self, states) -> np.ndarray:
        return self.whole[states]


class _Step(NamedTuple):
    actor: str
    kind: str


class _View:
    """Some states' out-edges as an exploration, for :func:`liveness.fair_cycle`:
    state i is global id ``ids[i]``, the states whose edges are given first (in
    the order given), then the other targets; the labels keep their global ids."""

    def __init__(self, ids, indptr, dst, lab, kinds: _Kinds):
        self.states = range(len(ids))
        self.ids = ids
        self.src = np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))
        self.dst, self.lab = dst.astype(np.int32), lab.astype(np.int32)
        self.edge_offsets = np.concatenate([indptr, np.full(len(ids) + 1 - len(indptr), indptr[-1])])
        self.labels = [_Step(*k) for k in kinds.kind]
        self.terminal: list[int] = []

    def label(self, k: int) -> _Step:
        return self.labels[k]


def _kinds(labels_kinds) -> _Kinds:
    return labels_kinds if isinstance(labels_kinds, _Kinds) else _Kinds(list(map(tuple, labels_kinds)))


def _gather_edges(parts, owner, ids):
    """The out-edges of the states ``ids`` (global ids, in that order), from their
    owners: each edge's position in ``ids`` (ascending, each state's edges in
    order), target and label."""
    own = owner[ids]
    where = [np.flatnonzero(own == i) for i in range(len(parts))]
    asked = [(i, w) for i, w in enumerate(where) if len(w)]
    got = _each([(parts[i], "expand", (ids[w],)) for i, w in asked])
    if not got:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty.astype(np.int32)
    pos = np.concatenate([w[p] for (_, w), (p, _, _) in zip(asked, got)])
    dst = np.concatenate([d for _, d, _ in got])
    lab = np.concatenate([k for _, _, k in got])
    order = np.argsort(pos, kind="stable")
    return pos[order], dst[order], lab[order]


def _components(parts, n, kinds, alive, stats, should_stop):
    """Trim ``alive`` (the states without Q) round by round, then the fair
    components of the residue: the residue (:class:`_Residue`) and each of its
    states' component number (-1: none)."""
    count, rounds = _count(alive), 0
    while True:
        _poll(should_stop)
        got = _each([(part, "trim", (alive,)) for part in parts])
        rounds += 1
        alive = _or([o for o, _ in got]) & _or([i for _, i in got])
        left = _count(alive)
        if left == count:
            break
        count = left
    got = _each([(part, "residue", (alive,)) for part in parts])
    ids, owed, terminal, es, ed, el = (np.concatenate(a) for a in zip(*got))
    order = np.argsort(ids)
    ids, owed, terminal = ids[order], owed[order].astype(kinds.bits_type), terminal[order]
    s = np.searchsorted(ids, es).astype(np.int32)
    d = np.searchsorted(ids, ed).astype(np.int32)
    order = np.argsort(s, kind="stable")  # each state's edges in order (from its one owner)
    s, d, el = s[order], d[order], el[order].astype(np.int32)
    res = _Residue(s, d, el, _indptr(len(ids), s), np.flatnonzero(s == d), kinds.unfair_label, kinds.kindbit,
                   kinds.bits_type, terminal, owed, ids)
    stats.update(trim_rounds=rounds, residue_states=len(ids), residue_edges=len(s))
    return res, _fair_labels(res, np.ones(len(ids), dtype=bool), should_stop)


def _ask(parts, owner, method, ids) -> tuple[np.ndarray, ...]:
    """The owners' answers ``method(their ids)`` about the states ``ids``, each a
    tuple of arrays: the same tuple over all of ``ids``, in their order."""
    own = owner[ids]
    where = [np.flatnonzero(own == i) for i in range(len(parts))]
    got = _each([(part, method, (ids[w],)) for part, w in zip(parts, where)])
    out = []
    for column in zip(*got):
        a = np.empty(len(ids), dtype=column[0].dtype)
        for w, c in zip(where, column):
            a[w] = c
        out.append(a)
    return tuple(out)


def _bfs(parts, owner, allowed, starts, bad, stats, should_stop):
    """The region's breadth-first search through the states ``allowed`` (bits)
    from the P-states ``starts`` (bits), level by level at the partitions: each
    sends the first appearance of each new state among its part of the level's
    out-edges; the coordinator merges those by their sources' keys (the level's
    order), numbers the next level and hands each partition its part.
    With ``bad`` (bits) it stops at the first level that meets a bad state: the
    first one met, or None; without, it runs to the end (each state found keeps
    its level and position): the bits of the region."""
    _each([(part, "search", (allowed, starts, bad is None)) for part in parts])
    depth, widest, sent, most = 0, 0, 0, 0
    try:
        while True:
            _poll(should_stop)
            got = _each([(part, "step", ()) for part in parts])
            key, src, dst, lab = (np.concatenate(a) for a in zip(*got))
            sent, most = sent + len(dst), max(most, len(dst))
            order = np.argsort(key, kind="stable")  # one source's candidates are one partition's, in order
            at = order[_next_level(dst[order])]
            new = dst[at]
            if not len(new):
                return None if bad is not None else _or(_each([(part, "region", ()) for part in parts]))
            depth, widest = depth + 1, max(widest, len(new))
            own = owner[new]
            by, via = src[at], lab[at]
            _each([(part, "advance", (new, by[own == i], via[own == i], depth)) for i, part in enumerate(parts)])
            if bad is not None:
                hit = _test(bad, new)
                if hit.any():
                    return int(new[int(np.argmax(hit))])
    finally:
        stats.update(levels=depth + 1, widest_level=widest, candidates=sent, most_candidates=most)


def _first_bad(parts, owner, allowed, starts, bad_ids, stats, should_stop):
    """The first of the states ``bad_ids`` the region's search meets, or None.  The
    first level is the P-states, often most of the states: the owners of the bad
    states say which of them are P-states, and when one is, the least is the entry
    and the search is not run."""
    own = owner[bad_ids]
    first = np.concatenate(_each([(part, "starts", (bad_ids[own == i],)) for i, part in enumerate(parts)]))
    if len(first):
        stats.update(levels=0, widest_level=0, candidates=0, most_candidates=0)
        return int(first.min())
    return _bfs(parts, owner, allowed, starts, _set(_bits(len(owner)), bad_ids), stats, should_stop)


def leads_to_partitioned(parts, n: int, owner, labels_kinds, name: str,
                         path_to: Callable[[int], tuple[list[int], list[int]]],
                         should_stop=None, stats: dict | None = None) -> Lasso | None:
    """:func:`liveness.leads_to_masks` of the predicates ``name`` (given to each
    partition by :meth:`LivePart.set_predicates`) over an exploration of ``n``
    states split over ``parts`` (each a :class:`LivePart`, a Dask actor of one,
    or a :class:`Relay` to an actor that holds one): ``owner[i]`` is the index in ``parts`` of state i's partition;
    ``labels_kinds`` the (actor, kind) of each label id (or a
    :class:`liveness._Kinds`); ``path_to(i)`` the state ids and label ids of
    the exploration's shortest path to state i.  The same lasso, or None.
    ``should_stop`` is polled between rounds (see :func:`liveness.leads_to`);
    ``stats``, when given, is filled with what the coordinator gathered:
    ``starts`` (the P-states without Q), ``trim_rounds``, ``residue_states``,
    ``residue_edges``; when some state is in a fair component, the breadth-first
    ``levels`` (the P-states' included; 0 when a P-state is the entry), the
    ``widest_level`` after the P-states, the ``candidates`` the partitions sent
    for the new states over all the levels and in the level with most
    (``most_candidates``), and the ``component_edges`` (the out-edges of the
    entry's component, for its cycle)."""
    stats = {} if stats is None else stats
    kinds = _kinds(labels_kinds)
    owner = np.asarray(owner)
    _poll(should_stop)
    got = _each([(part, "begin", (name, n, kinds)) for part in parts])
    allowed, starts = _or([a for a, _, _ in got]), _or([s for _, s, _ in got])
    stats["starts"] = sum(c for _, _, c in got)
    if not stats["starts"]:
        return None
    if 2 * stats["starts"] >= _count(allowed):
        # The P-states are at least half the states without Q (as in leads_to_masks):
        # the fair components of all of those, then the region until it meets one.
        res, comp = _components(parts, n, kinds, allowed, stats, should_stop)
        if not (comp >= 0).any():
            return None
        entry = _first_bad(parts, owner, allowed, starts, res.ids[comp >= 0], stats, should_stop)
    else:
        # Else the region first, its fair components then, and the first of their
        # states the search met (by level and position: asked of their owners).
        region = _bfs(parts, owner, allowed, starts, None, stats, should_stop)
        res, comp = _components(parts, n, kinds, region, stats, should_stop)
        bad_ids = res.ids[comp >= 0]
        depth, order = _ask(parts, owner, "rank", bad_ids)
        met = depth >= 0
        entry = int(bad_ids[met][np.lexsort((order[met], depth[met]))[0]]) if met.any() else None
    if entry is None:
        return None
    # back to a P-state, then the exploration's path to it
    stem, labels = [entry], []
    while True:
        u, k = _get(parts[int(owner[stem[-1]])].found(stem[-1]))
        if u < 0:
            break
        stem.append(u)
        labels.append(k)
    ids, ks = path_to(stem[-1])
    stem, labels = list(ids)[:-1] + stem[::-1], list(ks) + labels[::-1]
    at = int(np.searchsorted(res.ids, entry))
    stats["component_edges"] = 0
    if res.terminal[at]:
        return Lasso(stem, [], labels, [])
    # the fair cycle, over the component's out-edges
    members = res.ids[comp == comp[at]]
    pos, dst, lab = _gather_edges(parts, owner, members)
    stats["component_edges"] = len(dst)
    others = np.setdiff1d(dst, members)
    ids = np.concatenate([members, others])
    order = np.argsort(ids)
    local = order[np.searchsorted(ids, dst, sorter=order)]
    indptr = np.searchsorted(pos, np.arange(len(members) + 1), side="left")
    view = _View(ids, indptr, local, lab, kinds)
    cycle, cycle_labels = fair_cycle(view, range(len(members)), int(np.searchsorted(members, entry)),
                                     _Graph(view), should_stop)
    return Lasso(stem, [int(ids[u]) for u in cycle], labels, [int(k) for k in cycle_labels])
