"""The search on a Dask cluster: states partitioned by hash over the workers.

``tcpcheck check --engine dask`` (issue 13, "Beyond one machine").  The
breadth-first search of :mod:`explorer` runs level by level on a Dask
cluster: each state belongs to one *partition* (a Dask actor on a worker,
chosen by a hash of the state's readable form), which keeps the states it
owns in its visited set and expands them with its own copy of the model.
Per level, the coordinator (this process):

1. asks every partition to expand its frontier: it keeps each step's cause,
   ``(i, k)`` = the k-th step of state i, and sends back, per owner, the
   successors it owns (each once, with its first cause) as one compressed
   pickle, and its readable steps with the first cause of each.  The states
   travel as columns of component ids with each distinct component's
   readable value once (:class:`_Columns`; any other model's readable);
2. hands each owner the pickles of the successors it owns, unread; the owner
   says which it has seen (their id) and which are new, and answers with the
   first cause of each new state over all its senders;
3. numbers the new states in the order of their first causes, and the labels
   met first likewise; tells each owner the ids of its new states (its next
   frontier), which answers each expander's targets' ids, handed on unread
   to the expanders, which make their edges from them.

Step 3 is exactly the order in which the one-process search numbers states
(it expands states in id order and appends each new successor as it is met),
so the :class:`~explorer.Exploration` built here has the same states, ids,
parents, steps, depths and edges, and every verdict and counterexample is
the same; tests/test_distributed.py compares the two on the presets and the
mutants.  To number a level the coordinator handles a few numbers per new
state and per readable step (:func:`_number`), never one per transition:
those stay with the partitions (the search alone gathers the edges after,
as it keeps them), and only pickles it does not read pass through it.

What the exploration is kept by depends on the caller.  For ``check``
(``explore(..., monitor=...)``) the partitions keep it and check its
properties themselves (:class:`_Kept`); the coordinator keeps a byte per
state (:mod:`cluster_check`).  For the search alone (the API, ``bench
--scale``) the coordinator keeps it, compactly: the states as columns of
component ids (:class:`ColumnStates`, 4 bytes per component, 24 per state
of the TCP model), the parents, steps, depths and edges as integer arrays.

The cluster is the one ``TCPCHECK_DASK_SCHEDULER`` names (``tcp://host:8786``,
a running ``dask scheduler`` with workers), else a local cluster of
``TCPCHECK_DASK_WORKERS`` worker processes (default 2), started for the run.
Chosen over Ray because Dask's scheduler, workers and actors install from
PyPI with no service of their own and a local cluster starts in about a
second, so the same code is tested here on two local workers and runs
unchanged on a real cluster.  The budgets (``stop``, ``observe``,
``max_states``) are looked at between levels.
"""

from __future__ import annotations

import os
import pickle
import time
import warnings
import zlib
from array import array
from typing import Callable, NamedTuple

import numpy as np

from .errors import InputError
from .explorer import Exploration
from .packed import _bits, _Index, _Layout

__all__ = ["explore", "Partition", "ColumnStates", "owner"]


def _identity(s):
    return s


def owner(readable, count: int, memo: dict | None = None) -> int:
    """The partition of a state: a hash of its readable form that every
    process computes alike (Python's own ``hash`` of strings is not; that of
    a tuple of ints is).  With ``memo``, a tuple state's fields are hashed
    once each (the model shares one object per distinct TCB, application and
    channel content), keyed by identity; the memo keeps each object alive,
    so that its identity is never reused for another."""
    if memo is None or not isinstance(readable, tuple):
        return zlib.crc32(repr(readable).encode()) % count
    hashes = []
    for field in readable:
        seen = memo.get(id(field))
        if seen is None or seen[0] is not field:
            seen = memo[id(field)] = (field, zlib.crc32(repr(field).encode()))
        hashes.append(seen[1])
    return hash(tuple(hashes)) % count


def _named(properties, back: bool = False) -> tuple:
    """The built-in properties by their index in PROPERTIES (their tests are made
    by functions, which pickle cannot send), the others as they are; and back."""
    from .properties import PROPERTIES

    if back:
        return tuple(PROPERTIES[p] if isinstance(p, int) else p for p in properties)
    index = {id(p): n for n, p in enumerate(PROPERTIES)}
    return tuple(index.get(id(p), p) for p in properties)


def _pack(value) -> bytes:
    """What crosses the network: one pickle.  Dask serialises a list item by
    item, about 40 times slower than one pickle of it."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_unpack = pickle.loads


def _np(a: array) -> np.ndarray:
    """An ``array`` as numpy (a copy that pickles compactly)."""
    return np.frombuffer(a, dtype=a.typecode).copy() if len(a) else np.zeros(0, a.typecode)


def _squeeze(states: list) -> bytes:
    """The successors an expander sends an owner through the coordinator: one
    pickle, compressed (zlib's fastest level: the readable states of a level
    repeat their parts, and this is what the coordinator holds while a level is
    numbered)."""
    return zlib.compress(_pack(states), 1)


def _unsqueeze(blob: bytes) -> list:
    return _unpack(zlib.decompress(blob))


class _Readable:
    """How the successors an expander sends an owner travel, for any model:
    each state readable (the model's ``decode``), hashed to its owner by
    :func:`owner`, made internal again by the owner's ``encode``."""

    def __init__(self, model, count: int):
        self.decode = getattr(model, "decode", _identity)
        self.encode = getattr(model, "encode", _identity)
        self.count, self._hashes = count, {}

    def payloads(self, states: list) -> tuple[np.ndarray, list, list]:
        """The owner of each of ``states`` (internal, distinct), the payload
        for each partition of those it owns (in their order), and the states
        as :meth:`_Kept.record` reads them."""
        readable = [self.decode(t) for t in states]
        owners = np.array([owner(r, self.count, self._hashes) for r in readable], dtype=np.int64)
        return owners, [[readable[d] for d in np.flatnonzero(owners == q).tolist()] for q in range(self.count)], states

    def receive(self, payload):
        """The states of a payload, internal (as this process's model numbers them)."""
        return [self.encode(r) for r in payload]


class _Columns:
    """How they travel for a model whose internal states are tuples of
    interned ids (``model.columns()``, :class:`~tcpcheck.model.system.Model`):
    a column of ids per component, renumbered 0, 1, ... per payload, with the
    readable value of each distinct id once, so that an owner interns each
    distinct TCB, application and channel content of a payload once and
    numbers its states with numpy.  The owner is a hash of the components'
    readable values (their reprs' CRC-32, computed once per id, combined
    with numpy)."""

    def __init__(self, model, count: int):
        self.columns, self.count = model.columns(), count
        self._crcs: list[array] = [array("q") for _ in self.columns]

    def _value(self, c: int, v: int):
        interner = self.columns[c]
        return v if interner is None else interner.items[v]

    def _crc(self, c: int, ids: np.ndarray) -> np.ndarray:
        crcs = self._crcs[c]
        for v in range(len(crcs), int(ids.max()) + 1):
            crcs.append(zlib.crc32(repr(self._value(c, v)).encode()))
        return np.frombuffer(crcs, dtype=np.int64)[ids].astype(np.uint64)

    def payloads(self, states: list) -> tuple[np.ndarray, list, np.ndarray]:
        rows = np.array(states, dtype=np.int64).reshape(len(states), len(self.columns))
        h = np.zeros(len(rows), dtype=np.uint64)
        for c in range(rows.shape[1] if len(rows) else 0):
            h = (h * np.uint64(1000003)) ^ self._crc(c, rows[:, c])
        owners = (h % np.uint64(self.count)).astype(np.int64)
        return owners, [self._pack(rows[owners == q]) for q in range(self.count)], rows

    def _pack(self, rows: np.ndarray):
        values, renumbered = [], np.empty(rows.shape, dtype=np.int32)
        for c in range(rows.shape[1]):
            ids, renumbered[:, c] = np.unique(rows[:, c], return_inverse=True)
            values.append([self._value(c, v) for v in ids.tolist()])
        return values, renumbered

    def receive(self, payload):
        values, renumbered = payload
        rows = np.empty(renumbered.shape, dtype=np.int64)
        for c, (interner, vs) in enumerate(zip(self.columns, values)):
            ids = np.array(vs if interner is None else [interner(v) for v in vs], dtype=np.int64)
            rows[:, c] = ids[renumbered[:, c]]
        return rows


def _wire(model, count: int):
    """How states travel between the partitions of ``model`` (see :class:`_Columns`)."""
    return _Columns(model, count) if callable(getattr(model, "columns", None)) else _Readable(model, count)


class Partition:
    """One part of the visited set, on a worker: the states it owns (in the
    model's internal form, interned by this worker's copy of the model) with
    their global ids, and the frontier it expands next."""

    def __init__(self, model, index: int, count: int):
        self.model, self.index, self.count = model, index, count
        self.decode = getattr(model, "decode", _identity)
        self.encode = getattr(model, "encode", _identity)
        self.describe = getattr(model, "step", _identity)
        self.visited = _Visited()  # the states it owns, by local number, with their global ids
        self.frontier = (0, 0)  # the local numbers lo .. hi-1 it expands next (ascending ids)
        self.new: list = []  # states said new by the last resolve, by token
        self.wire = _wire(model, count)  # how the states it sends and is sent travel
        self._steps: dict = {}  # the model's label -> its readable step
        self.kept: _Kept | None = None  # what it found, when it keeps it (see keep)

    def keep(self, properties, layout, stop_at_first: bool) -> None:
        """From now on keep what this partition finds (its states with their
        parents, and their out-edges) and check ``properties`` on it as it is
        found, as :class:`~tcpcheck.model.properties.Monitor` does in one process
        (see :class:`_Kept`)."""
        self.kept = _Kept(self, _named(properties, back=True), layout, stop_at_first)

    def seed(self, pairs: bytes) -> int:
        """Own the initial states ``(id, readable state)``: the first frontier."""
        pairs = _unpack(pairs)
        return self._own([self.encode(r) for _, r in pairs], np.array([j for j, _ in pairs], dtype=np.int64),
                         np.full(len(pairs), -1, dtype=np.int64), np.full(len(pairs), -1, dtype=np.int64))

    def _own(self, states: list, gids: np.ndarray, parents: np.ndarray, vias: np.ndarray) -> int:
        """Add ``states`` (new, in the order of their ids ``gids``): the next frontier."""
        lo = len(self.visited)
        self.visited.add(states, gids)
        if self.kept is not None and states:
            self.kept.add(self.visited.states, parents, vias)
        self.frontier = (lo, len(self.visited))
        return len(states)

    def expand(self) -> bytes:
        """Expand the frontier.  Kept here until :meth:`record`
        (:class:`_Expansion`): each step's cause (the k-th step of state i,
        the step-th of this expansion's readable steps) and its target, as a
        number among the level's distinct successors.  Returned: per
        partition, the successors it owns (as :func:`_wire` carries them),
        each with its first cause (i, k, step), as one compressed pickle that
        the coordinator hands on unread; the readable steps with the first
        cause of each; the ids without successors."""
        ci, ck, cs, cd = array("q"), array("i"), array("i"), array("q")  # each step: i, k, step, target
        fi, fk, fs = array("q"), array("i"), array("i")  # each distinct successor's first cause
        counts, terminal, step_i, step_k = array("i"), array("q"), array("q"), array("i")
        steps, successors = self._steps, self.model.successors
        said: dict = {}  # the model's label -> its number among this expansion's readable steps
        labels, readable = [], []
        sent: dict = {}  # successor -> its number among the distinct successors
        distinct: list = []
        lo, hi = self.frontier
        for i, s in zip(self.visited.gids[lo:hi], self.visited.states[lo:hi] if hi > lo else ()):
            succ = successors(s)
            counts.append(len(succ))
            if not succ:
                terminal.append(i)
            for k, (label, t) in enumerate(succ):
                number = said.get(label)
                if number is None:
                    step = steps.get(label)
                    if step is None:
                        step = steps[label] = self.describe(label)
                    number = said[label] = len(readable)
                    labels.append(label)
                    readable.append(step)
                    step_i.append(i)
                    step_k.append(k)
                d = sent.get(t)
                if d is None:
                    d = sent[t] = len(distinct)
                    distinct.append(t)
                    fi.append(i)
                    fk.append(k)
                    fs.append(number)
                ci.append(i)
                ck.append(k)
                cs.append(number)
                cd.append(d)
        self.frontier = (hi, hi)
        del sent
        owners, payloads, targets = self.wire.payloads(distinct)
        del distinct
        fi, fk, fs = _np(fi), _np(fk), _np(fs)
        blobs = [_squeeze((payloads[q], fi[owners == q], fk[owners == q], fs[owners == q])) for q in range(self.count)]
        self._expansion = _Expansion(lo, hi, _np(counts), _np(ci), _np(ck), _np(cs), _np(cd), owners, targets, labels)
        return _pack((blobs, readable, _np(step_i), _np(step_k), _np(terminal)))

    def resolve(self, blobs: list) -> bytes:
        """The states the partitions sent this one (``blobs[p]`` from partition
        p): for each, its id if seen before, else a token (the same for the
        same new state), kept until :meth:`assign`.  Returned: the first cause
        of each new state over all its senders (arrays by token: i, k, the
        sender and its step number), and the new states, readable, by token
        (none when this partition keeps its states: the coordinator needs them not)."""
        self.new, self.marks = [], []
        tokens: dict = {}
        fresh, found = [], ([], [], [], [], [])  # the new states' causes: token, i, k, sender, step
        gids = np.frombuffer(self.visited.gids, dtype=np.int64) if len(self.visited) else np.zeros(0, np.int64)
        for p, blob in enumerate(blobs):  # one at a time: a level's states are the partition's peak
            payload, fi, fk, fs = _unsqueeze(blob)
            states = self.wire.receive(payload)
            at = self.visited.find(states)
            mark = np.full(len(at), -1, dtype=np.int64)
            seen = np.flatnonzero(at >= 0)
            mark[seen] = gids[at[seen]]
            new = np.flatnonzero(at < 0)
            news = map(tuple, states[new].tolist()) if isinstance(states, np.ndarray) else (states[n] for n in new)
            for n, s in zip(new.tolist(), news):
                t = tokens.get(s)
                if t is None:
                    t = tokens[s] = len(self.new)
                    self.new.append(s)
                    if self.kept is None:
                        fresh.append(self.decode(s))
                mark[n] = -1 - t
            for into, values in zip(found, (-1 - mark[new], fi[new], fk[new], np.full(len(new), p, np.int16),
                                            fs[new])):
                into.append(values)
            self.marks.append(mark)
            del payload, states
        token, i, k, p, step = (np.concatenate(v) for v in found)
        order = np.lexsort((k, i, token))  # by token, then by cause
        first = order[np.flatnonzero(np.diff(token[order], prepend=-1))]  # each token's first cause, by token
        return _pack((i[first], k[first], p[first], step[first], fresh))

    def assign(self, ids: bytes) -> bytes:
        """Own the new states that got an id (numpy arrays of their tokens and
        ids, ascending, parents and label ids); those not given one (the state
        budget ran out) are forgotten.  Returned: the next frontier's size, and
        for each sender p the id of each state it sent (-1: none), which the
        coordinator hands on to p's :meth:`record`."""
        tokens, given, parents, vias = _unpack(ids)
        new, self.new = self.new, []
        n = self._own([new[t] for t in tokens.tolist()], given, parents, vias)
        ids_of = np.full(len(new) + 1, -1, dtype=np.int64)  # token -> id; the last: for ids seen before
        ids_of[tokens] = given
        targets = [np.where(m >= 0, m, ids_of[np.where(m < 0, -1 - m, len(new))]) for m in self.marks]
        self.marks = []
        return _pack((n, targets))

    def record(self, message: bytes):
        """The edges of the states this partition expanded in the level: the
        label ids of its readable steps, the state budget's cut (the states
        after it were not expanded) and, per owner q, the id of each state sent
        to q.  When keeping, they are kept (:meth:`_Kept.record`) and the
        answer is their number and ``"violation"`` when stopping at the first
        violation and one was found; else the edges, numpy arrays ``(i, k, j,
        label id)`` in the order of (i, k)."""
        lut, cut, targets = _unpack(message)
        e, self._expansion = self._expansion, None
        ids = np.empty(len(e.owners), dtype=np.int64)  # of each distinct successor
        for q, t in enumerate(targets):
            ids[e.owners == q] = t
        j = ids[e.cd]
        keep = (j >= 0) if cut is None else (j >= 0) & (e.ci <= cut)
        edges = (e.ci[keep], e.ck[keep], j[keep], lut[e.cs[keep]])  # in the order of (i, k), as expanded
        if self.kept is None:
            return _pack(edges)
        self.kept.record(edges, cut, e, keep)
        return len(edges[0]), self.kept.look()

    # --- what a partition that keeps its states is asked after the search (see keep) ---

    def finish(self) -> bytes:
        return _pack(self.kept.finish())

    def lookup(self, ids: bytes) -> bytes:
        return _pack(self.kept.lookup(_unpack(ids)))

    def edges_of(self, ids: bytes) -> bytes:
        return _pack(self.kept.edges_of(_unpack(ids)))

    def live(self, method: str, *args):
        """The liveness analysis' work on this partition: ``method`` of its
        :class:`~tcpcheck.model.cluster_liveness.LivePart`."""
        return self.kept.live(method, args)


class _Kept:
    """What a partition keeps of the search when the whole check runs on the
    cluster (``check --engine dask``), so that the coordinator need not: its
    states (numbered locally in the order of their global ids, which is the
    order they are found), each one's global id, parent and the label id of
    the step from it; the out-edges of each state it expanded (row offsets
    over the local numbers, the targets' global ids and the label ids); and
    two monitors (:class:`~tcpcheck.model.properties.Monitor`): one fed its
    states as they are added (invariants, reachability, deadlock, the bits of
    the liveness predicates), one fed the steps of each level it expands
    (the step properties: the expanding partition holds both ends of such a
    step at that moment).  Each monitor's first find is this partition's
    first; the coordinator takes the least over the partitions, which is the
    one-process search's first (:class:`~tcpcheck.model.cluster_check.ClusterMonitor`)."""

    def __init__(self, part: Partition, properties, layout, stop_at_first: bool):
        from .properties import Monitor

        self.part = part
        props = tuple(properties)
        self.x = Exploration()  # this partition's states, by local number (those of its visited set)
        self.x.decode = part.decode
        self.gids, self.parent, self.via = part.visited.gids, array("q"), array("i")
        self.indptr, self.dst, self.lab = array("q", [0]), array("q"), array("i")
        self.monitor = Monitor(tuple(p for p in props if p.kind != "step"), layout, stop_at_first)
        steps = tuple(p for p in props if p.kind == "step")
        self.steps = Monitor(steps, layout) if steps else None
        self.labels: list = []  # local label number -> this worker's model's label
        self.label_no: dict = {}  # and back
        self.first_step: dict = {}  # step property -> ((i, k), detail, i, j, label id) of its first violation
        self.stop_at_first = stop_at_first
        self.expanded = 0  # the local numbers below are expanded
        self._live = None  # the LivePart of the liveness analysis, once asked (see live)

    def add(self, states, parents: np.ndarray, vias: np.ndarray) -> None:
        """The parents and label ids of the states just added to ``states`` (the visited set's)."""
        self.x.states = states
        self.parent.frombytes(parents.astype(np.int64).tobytes())
        self.via.frombytes(vias.astype(np.int32).tobytes())

    def _local_label(self, label) -> int:
        k = self.label_no.get(label)
        if k is None:
            k = self.label_no[label] = len(self.labels)
            self.labels.append(label)
        return k

    def record(self, edges, cut: int | None, e: _Expansion, keep: np.ndarray) -> None:
        """The edges of the states this partition expanded in the level
        (:class:`_Expansion` ``e``), numpy arrays ``(i, k, j, label id)`` in
        the order of (i, k), those of the steps ``keep`` selects: the k-th step
        of state i leads to state j; states after ``cut`` were not expanded
        (the state budget ran out there).  The step properties are asked of
        them here."""
        gids = np.frombuffer(self.gids, dtype=np.int64)[e.lo:e.hi]
        done = len(gids) if cut is None else int(np.searchsorted(gids, cut, side="right"))
        self.x.terminal.extend((self.expanded + np.flatnonzero(e.counts[:done] == 0)).tolist())
        self.expanded += done
        ei, ek, ej, ekk = edges
        at = np.searchsorted(gids, ei)  # each edge's source, by its place in the level
        self.indptr.frombytes((len(self.dst) + np.cumsum(np.bincount(at, minlength=done))).astype(np.int64).tobytes())
        self.dst.frombytes(ej.astype(np.int64).tobytes())
        self.lab.frombytes(ekk.astype(np.int32).tobytes())
        if self.steps is not None and len(ei) and len(self.first_step) < len(self.steps.properties):
            self._check_steps(e, at, keep, edges)

    def _check_steps(self, e: _Expansion, at: np.ndarray, keep: np.ndarray, edges) -> None:
        """The step monitor over the level's steps: an exploration of the
        level's sources and targets, edge n from the source of the level's
        place ``at[n]`` to the n-th target."""
        places, src = np.unique(at, return_inverse=True)
        view = Exploration()
        view.decode, view.describe, view.labels = self.x.decode, self.part.describe, self.labels
        sources, targets = e.lo + places, e.cd[keep]
        if isinstance(self.x.states, ColumnStates):
            view.states = ColumnStates(self.x.states._width)
            view.states.extend(np.stack(self.x.states.columns_of(sources), axis=1))
            view.states.extend(e.targets[targets])
        else:
            ends = [e.targets[d] for d in targets.tolist()] if isinstance(e.targets, list) \
                else list(map(tuple, e.targets[targets].tolist()))
            view.states = [self.x.states[a] for a in sources.tolist()] + ends
        local = np.array([self._local_label(label) for label in e.labels], dtype=np.int32)
        view.parent = array("i", [-1]) * len(view.states)
        view.src = array("i", src.astype(np.int32).tobytes())
        view.lab = array("i", local[e.cs[keep]].tobytes())
        view.dst = array("i", range(len(places), len(view.states)))
        self.steps.n_edges = 0
        self.steps.feed_steps(view)
        for name, v in self.steps.decided.items():
            if name not in self.first_step:
                n = v.lasso.stem[1] - len(places)
                i, k, j, kk = (int(a[n]) for a in edges)
                self.first_step[name] = ((i, k), v.detail, i, j, kk)

    def look(self) -> str | None:
        """Feed the monitor the states added so far: ``"violation"`` when stopping
        at the first violation and one was found."""
        why = self.monitor.feed(self.x, final=False)
        return why or ("violation" if self.stop_at_first and self.first_step else None)

    def finish(self) -> dict:
        """After the search: the monitor's finds, with global ids."""
        self.monitor.feed(self.x, final=True)
        decided = {name: (v if v.state is None else v._replace(state=self.gids[v.state]))
                   for name, v in self.monitor.decided.items()}
        import resource

        return {"decided": decided, "steps": self.first_step, "reached": self.monitor.reached,
                "states": len(self.gids), "fed": self.monitor.n_states,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # the worker's, KiB

    def live(self, method: str, args: tuple):
        """``method(*args)`` of this partition's LivePart, made at the first call
        from what it keeps, with the predicates of each liveness property's
        n-th (P, Q) pair by the name ``"n name"``."""
        if self._live is None:
            from .cluster_liveness import LivePart

            terminal = np.zeros(len(self.gids), dtype=bool)
            terminal[np.asarray(self.x.terminal, dtype=np.int64)] = True
            self._live = LivePart(np.frombuffer(self.gids, dtype=np.int64), np.frombuffer(self.indptr, dtype=np.int64),
                                  np.frombuffer(self.dst, dtype=np.int64), np.frombuffer(self.lab, dtype=np.int32),
                                  terminal)
            for name, pairs in self.monitor._live.items():
                for n, (ps, qs) in enumerate(pairs):
                    self._live.set_predicates(f"{n} {name}", self.monitor._mask(ps), self.monitor._mask(qs))
        return getattr(self._live, method)(*args)

    def _local(self, ids) -> list[tuple[int, int]]:
        """(global id, local number) of each of ``ids`` this partition owns."""
        g = np.frombuffer(self.gids, dtype=np.int64)
        ids = np.asarray(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(g, ids), len(g) - 1)
        mine = g[at] == ids
        return list(zip(ids[mine].tolist(), at[mine].tolist()))

    def lookup(self, ids) -> dict:
        """Global id -> (readable state, parent, label id of the step from it), of those owned."""
        return {j: (self.part.decode(self.x.states[a]), self.parent[a], self.via[a]) for j, a in self._local(ids)}

    def edges_of(self, ids) -> dict:
        """Global id -> its out-edges [(target, label id)], of those owned and expanded."""
        out = {}
        for j, a in self._local(ids):
            lo, hi = (self.indptr[a], self.indptr[a + 1]) if a < self.expanded else (0, 0)
            out[j] = list(zip(self.dst[lo:hi], self.lab[lo:hi]))
        return out


class _Expansion(NamedTuple):
    """What a partition remembers of expanding its frontier (the local numbers
    lo .. hi-1) until the coordinator has numbered the level (:meth:`Partition.record`)."""

    lo: int
    hi: int
    counts: np.ndarray  # each state's number of steps
    ci: np.ndarray  # each step, in the order of (i, k): the k-th step of state i,
    ck: np.ndarray
    cs: np.ndarray  # the number of its readable step (its model label: labels[cs])
    cd: np.ndarray  # and its target's number among the level's distinct successors,
    owners: np.ndarray  # whose owners
    targets: object  # and internal states (rows of ids, or a list)
    labels: list


def _client():
    """A client of the cluster ``TCPCHECK_DASK_SCHEDULER`` names, else of a local
    cluster of ``TCPCHECK_DASK_WORKERS`` processes; and what to close after."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask needs Dask: pip install 'dask[distributed]==2026.8.0'") from None

    address = os.environ.get("TCPCHECK_DASK_SCHEDULER")
    if address:
        wait = os.environ.get("TCPCHECK_DASK_TIMEOUT", "30")
        try:
            client = Client(address, timeout=float(wait))
        except (OSError, ValueError, TypeError) as exc:  # TimeoutError is an OSError
            raise InputError(f"cannot reach the Dask scheduler at {address} (TCPCHECK_DASK_SCHEDULER) "
                             f"within {wait} s: {exc}".rstrip(": ")) from None
        return client, [client]
    workers = os.environ.get("TCPCHECK_DASK_WORKERS", "2")
    if not workers.isdigit() or int(workers) < 1:
        raise InputError(f"TCPCHECK_DASK_WORKERS={workers!r}: expected a number of worker processes, at least 1")
    try:
        with warnings.catch_warnings():  # the scheduler's HTTP server moves off a port in use: not the user's concern
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
            cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
    except (RuntimeError, OSError, TimeoutError) as exc:  # e.g. "Nanny failed to start" under a memory limit
        raise InputError(f"cannot start a local Dask cluster of {workers} worker process(es): {exc}; "
                         "or point TCPCHECK_DASK_SCHEDULER at a running one") from None
    client = Client(cluster)
    return client, [client, cluster]


def explore(model, max_states: int | None = None,
            progress: Callable[[Exploration], None] | None = None,
            stop: Callable[[Exploration], str | None] | None = None,
            interruptible: bool = False,
            observe: Callable[[Exploration], str | None] | None = None,
            client=None, partitions: int | None = None, partition=Partition,
            monitor=None, **_ignored) -> Exploration:
    """Explore ``model`` breadth-first on a Dask cluster, with the contract of
    :func:`tcpcheck.model.explorer.explore` (the same exploration, state for
    state).  ``client`` is a ``dask.distributed.Client`` (default: see the
    module's docstring); ``partitions`` the number of parts of the visited
    set (default: one per worker); ``partition`` the class of the actors that
    hold them.  ``progress``, ``stop`` and ``observe`` are called after each
    level.

    With ``monitor`` (a :class:`~tcpcheck.model.properties.Monitor`, as
    ``check`` makes one), the partitions keep what they find and check its
    properties themselves (:class:`_Kept`), instead of ``observe``: the
    result is a :class:`~tcpcheck.model.cluster_check.ClusterExploration`,
    which holds no state or edge but reads those it is asked for from the
    partitions, and whose ``monitor`` gives the verdicts; its ``settle()``
    gathers what the verdicts' runs need and closes the cluster."""
    closing = []
    if client is None:
        client, closing = _client()
    try:
        count = partitions or max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        parts = [client.submit(partition, model, p, count, actor=True, pure=False) for p in range(count)]
        parts = [f.result() for f in parts]
        if monitor is None:
            return _search(model, parts, count, max_states, progress, stop, interruptible, observe)
        from .cluster_check import ClusterExploration

        named = _named(monitor.properties)
        for f in [part.keep(named, monitor.layout, monitor.stop_at_first) for part in parts]:
            f.result()
        x = ClusterExploration(model, parts, monitor, closing)
        closing = []  # the exploration closes the cluster when it is settled
        try:
            return _search(model, parts, count, max_states, progress, stop, interruptible, None, x)
        except BaseException:
            x.settle([])
            raise
    finally:
        for c in closing:
            c.close()


class ColumnStates:
    """The states of the coordinator's exploration, by id, as one ``array('i')``
    of component ids per component (a state of the model is a tuple of small
    interned ids): a state is a tuple again when read (``states[i]``, slices,
    iteration); :meth:`columns` gives a batch as numpy columns, the protocol
    of :class:`tcpcheck.model.properties.Monitor`, without building tuples."""

    def __init__(self, width: int):
        self._cols = [array("i") for _ in range(width)]
        self._width = width

    def append(self, state: tuple) -> None:
        for col, v in zip(self._cols, state):
            col.append(v)

    def extend(self, rows: np.ndarray) -> None:
        """Append the states of an (n, width) integer array."""
        for c, col in enumerate(self._cols):
            col.frombytes(rows[:, c].astype(np.int32).tobytes())

    def __len__(self) -> int:
        return len(self._cols[0])

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(zip(*(col[i] for col in self._cols)))
        return tuple(col[i] for col in self._cols)

    def __iter__(self):
        return zip(*self._cols)

    def columns(self, lo: int, hi: int) -> list[np.ndarray]:
        return [np.frombuffer(col, dtype=np.int32)[lo:hi].astype(np.int64) for col in self._cols]

    def columns_of(self, ids: np.ndarray) -> list[np.ndarray]:
        return [np.frombuffer(col, dtype=np.int32)[ids].astype(np.int64) for col in self._cols]

    def take(self, ids: np.ndarray) -> list[tuple]:
        """The states ``ids`` (an integer array) as tuples, read together."""
        return list(zip(*(np.frombuffer(col, dtype=np.int32)[ids].tolist() for col in self._cols)))

    def truncate(self, n: int) -> None:
        for col in self._cols:
            del col[n:]

    def nbytes(self) -> int:
        return sum(col.buffer_info()[1] * col.itemsize for col in self._cols)


class _Visited:
    """A partition's visited set: the states it owns in the order they were
    added (its local numbers, which is the order of their global ids), with
    their global ids.  States that are tuples of small ids (the model's) are
    kept as columns (:class:`ColumnStates`, 4 bytes a component) and found by
    the packed engine's hash table (:class:`~tcpcheck.model.packed._Index`)
    of each state packed into 64 bits: about 50 bytes per state, where a dict
    of tuples costs about 170.  The bit fields are as wide as the largest id
    seen so far needs, with the room left spread over them; an id that
    outgrows its field widens the fields and packs the states again.  Other
    states, or ids that need more than 64 bits together, are found by a dict."""

    def __init__(self):
        self.states = None  # ColumnStates, else a list: made by the first add
        self.gids = array("q")
        self._seen: dict | None = None  # state -> local number, when the states cannot be packed
        self._index = self._layout = None
        self._top: np.ndarray | None = None  # the largest id of each component so far

    def __len__(self) -> int:
        return len(self.gids)

    def find(self, states: list) -> np.ndarray:
        """The local number of each of ``states``, -1 for those not here."""
        if self.states is None or not len(states):
            return np.full(len(states), -1, dtype=np.int64)
        rows = self._rows(states)
        if rows is None:
            get = self._seen.get
            if isinstance(states, np.ndarray):
                states = list(map(tuple, states.tolist()))
            return np.fromiter((get(s, -1) for s in states), dtype=np.int64, count=len(states))
        return self._index.find(self._layout.pack(rows.T))

    def add(self, states: list, gids: np.ndarray) -> None:
        """Add ``states`` (distinct, none here yet) with their global ids."""
        if not states:
            return
        if self.states is None:
            compact = _compact(states)
            self.states = ColumnStates(len(states[0])) if compact else []
            if compact:
                self._index, self._top = _Index(), np.zeros(len(states[0]), dtype=np.int64)
                self._layout = _Layout([1] * len(states[0]))
            else:
                self._seen = {}
        rows = self._rows(states)
        lo = len(self.gids)
        self.gids.frombytes(np.asarray(gids, dtype=np.int64).tobytes())
        if rows is not None:
            self.states.extend(rows)
            self._index.add(self._layout.pack(rows.T))
        else:
            for a, s in enumerate(states, lo):
                self.states.append(s)
                self._seen[s] = a

    def _rows(self, states: list) -> np.ndarray | None:
        """``states`` as an (n, width) array, the fields wide enough for them;
        None when they are found by the dict (from now on, if they just
        stopped fitting)."""
        if self._seen is not None:
            return None
        try:
            rows = states if isinstance(states, np.ndarray) else np.array(states, dtype=np.int64)
        except (ValueError, TypeError, OverflowError):
            rows = None
        if rows is None or rows.ndim != 2 or rows.shape[1] != len(self._top) \
                or rows.min() < 0 or rows.max() >= 2 ** 31:
            return self._to_dict(columns=False)
        top = np.maximum(self._top, rows.max(axis=0))
        if (top >= 1 << np.array(self._layout.widths)).any():
            need = [_bits(int(t) + 1) for t in top]
            if sum(need) > 64:
                return self._to_dict(columns=True)
            spare = 64 - sum(need)
            widths = [w + spare // len(need) + (c < spare % len(need)) for c, w in enumerate(need)]
            self._layout = _Layout(widths)
            n = len(self.gids)
            keys = self._index.keys
            for lo in range(0, n, 1 << 22):
                keys.a[lo:min(n, lo + (1 << 22))] = self._layout.pack(self.states.columns(lo, min(n, lo + (1 << 22))))
            self._index.rehash()
        self._top = top
        return rows

    def _to_dict(self, columns: bool) -> None:
        """Find the states by a dict from now on; keep them as columns only if
        they still fit (``columns``)."""
        if not columns:
            self.states = list(self.states)
        self._seen = {s: a for a, s in enumerate(self.states)}
        self._index = self._layout = None
        return None


class _Exploration(Exploration):
    def _truncate_states(self, n: int) -> None:
        if isinstance(self.states, ColumnStates):
            self.states.truncate(n)
        else:
            del self.states[n:]


def _compact(states) -> bool:
    """Whether the initial states are tuples of ids small enough for :class:`ColumnStates`."""
    return bool(states) and all(isinstance(s, tuple) and len(s) == len(states[0]) and s
                                and all(type(v) is int and 0 <= v < 2 ** 31 for v in s) for s in states)


class _Level(NamedTuple):
    """One level numbered (:func:`_number`): its new states in the order of
    their ids, the state budget's cut, and each expander's label ids."""

    owner: np.ndarray  # each new state's partition, its token there, parent and the label id of the step to it
    token: np.ndarray
    parent: np.ndarray
    via: np.ndarray
    cut: int | None  # the state whose expansion the state budget stopped (its later states not expanded)
    luts: list  # per expander: the label id of each of its readable steps (-1: met only after the cut)


def _number(expansions, answers, n0: int, limit, intern_step, label_index: dict, labels: list) -> _Level:
    """Number a level as the one-process search does: a new state gets the
    next id in the order of its first cause (i, k) (the k-th step of state
    i), until ``limit`` states; a label met first in the level the next label
    id in the order of its first cause among the states expanded (added to
    ``label_index`` and ``labels``).  The owners' answers give each new
    state's first cause, the expanders' each readable step's: the coordinator
    handles a few numbers per new state and per step, not one per transition."""
    owner = np.concatenate([np.full(len(a[0]), q, dtype=np.int16) for q, a in enumerate(answers)])
    token = np.concatenate([np.arange(len(a[0]), dtype=np.int64) for a in answers])
    i, k, sender, step = (np.concatenate([a[f] for a in answers]) for f in range(4))
    order = np.lexsort((k, i))  # the order of their ids
    room, cut = limit - n0, None
    if len(order) > room:
        cut = int(i[order[int(room)]])
        order = order[:int(room)]
    found = [[intern_step(r) for r in e[1]] for e in expansions]  # the model's label of each readable step
    first: dict = {}  # a label new in this level -> its first cause among the states expanded
    for names, e in zip(found, expansions):
        for n, label in enumerate(names):
            if label not in label_index and (cut is None or e[2][n] <= cut):
                cause = (int(e[2][n]), int(e[3][n]))
                if cause < first.get(label, (np.inf, 0)):
                    first[label] = cause
    for label in sorted(first, key=first.get):
        label_index[label] = len(labels)
        labels.append(label)
    luts = [np.array([label_index.get(label, -1) for label in names], dtype=np.int32) for names in found]
    at = np.cumsum([0] + [len(lut) for lut in luts])
    via = np.concatenate(luts + [np.zeros(0, np.int32)])[at[sender[order]] + step[order]] if len(order) \
        else np.zeros(0, np.int32)
    return _Level(owner[order], token[order], i[order], via, cut, luts)


def _search(model, parts, count, max_states, progress, stop, interruptible, observe,
            kept=None) -> Exploration:
    """The level-by-level search; into ``kept`` (a ClusterExploration: the
    partitions keep the states, parents and edges, the exploration counts
    them) when given, else into an exploration that holds them all."""
    x = kept if kept is not None else _Exploration()
    initial = list(model.initial_states())
    if kept is None and _compact(initial):
        x.states = ColumnStates(len(initial[0]))
    x.decode = getattr(model, "decode", x.decode)
    x.describe = getattr(model, "step", x.describe)
    x.attributes = getattr(model, "edge_attributes", x.attributes)
    encode = getattr(model, "encode", _identity)
    decode = x.decode
    intern_step = getattr(model, "step_ids", _identity)  # readable step -> the model's label
    label_index: dict = {}
    started = time.perf_counter()
    limit = max_states if max_states is not None else float("inf")

    # the initial states, numbered as given, each to its owner
    seeds: list[list] = [[] for _ in range(count)]
    index: dict = {}
    wire = _wire(model, count)
    for s in initial:
        if s not in index:
            index[s] = len(x.states)
            q = int(wire.payloads([s])[0][0])
            seeds[q].append((index[s], decode(s)))
            if kept is not None:
                kept.found(np.array([q]))
            else:
                x.states.append(s)
                x.parent.append(-1)
                x.via.append(-1)
                x.depth.append(0)
    for f in [part.seed(_pack(seeds[q])) for q, part in enumerate(parts)]:
        f.result()
    level_start = 0
    try:
        if observe is not None and (why := observe(x)) is not None:
            x.complete, x.stopped = False, why
            x.seconds = time.perf_counter() - started
            return x
        while level_start < len(x.states):
            level_end = len(x.states)
            depth = x.depth[level_start] + 1
            x.expanded = level_start
            expansions = [_unpack(f.result()) for f in [part.expand() for part in parts]]
            # each owner is handed the states it owns, as the expanders pickled them
            futures = [parts[q].resolve([e[0][q] for e in expansions]) for q in range(count)]
            answers = [_unpack(f.result()) for f in futures]
            level = _number(expansions, answers, level_end, limit, intern_step, label_index, x.labels)
            terminal = np.sort(np.concatenate([e[4] for e in expansions]))
            if level.cut is not None:
                x.complete, x.stopped = False, "max-states"
                terminal = terminal[terminal <= level.cut]
            mine = [level.owner == q for q in range(count)]
            if kept is not None:
                kept.found(level.owner)
                kept.level(level_end, len(terminal))
            else:
                for q, t in zip(level.owner.tolist(), level.token.tolist()):
                    x.states.append(encode(answers[q][4][t]))
                for column, values in ((x.parent, level.parent), (x.via, level.via)):
                    column.frombytes(values.astype(np.int32).tobytes())
                x.depth.frombytes(np.full(len(level.owner), depth, dtype=np.int32).tobytes())
                x.terminal += terminal.tolist()
            del answers
            futures = [parts[q].assign(_pack((level.token[mine[q]], level_end + np.flatnonzero(mine[q]),
                                              level.parent[mine[q]], level.via[mine[q]])))
                       for q in range(count)]
            owned = [_unpack(f.result())[1] for f in futures]  # per owner, per expander: the ids of what it sent
            futures = [parts[p].record(_pack((level.luts[p], level.cut, [o[p] for o in owned])))
                       for p in range(count)]
            del owned
            looks = []
            if kept is not None:
                for n, look in (f.result() for f in futures):
                    x.n_transitions += n
                    looks.append(look)
            else:
                edges = [_unpack(f.result()) for f in futures]
                i, k, j, lab = (np.concatenate(v) for v in zip(*edges))
                order = np.lexsort((k, i))
                for column, values in ((x.src, i), (x.dst, j), (x.lab, lab)):
                    column.frombytes(values[order].astype(np.int32).tobytes())
            if level.cut is not None:
                x.expanded = level.cut + 1
                break
            x.expanded = level_start = level_end
            x.seconds = time.perf_counter() - started
            if kept is not None and "violation" in looks:
                x.complete, x.stopped = False, "violation"
                break
            for check in (observe, stop):
                why = check(x) if check is not None and level_start < len(x.states) else None
                if why is not None:
                    x.complete, x.stopped = False, why
                    break
            if not x.complete:
                break
            if progress is not None:
                progress(x)
    except KeyboardInterrupt:
        if not interruptible:
            raise
        if kept is not None:  # the partitions' level is unfinished: nothing of it is decided
            x.expanded = level_start
        else:
            x._cut(level_start)
        x.complete, x.stopped = False, "interrupted"
    x.seconds = time.perf_counter() - started
    return x
