"""The search on a Dask cluster: states partitioned by hash over the workers.

``tcpcheck check --engine dask`` (issue 13, "Beyond one machine").  The
breadth-first search of :mod:`explorer` runs level by level on a Dask
cluster: each state belongs to one *partition* (a Dask actor on a worker,
chosen by a hash of the state's readable form), which keeps the states it
owns in its visited set and expands them with its own copy of the model.
Per level, the coordinator (this process):

1. asks every partition to expand its frontier: each successor comes back
   with its cause, ``(i, k)`` = the k-th step of state i, and the states
   themselves pickled per owner;
2. hands each partition the pickles of the successors it owns, unread; the
   partition says which it has seen (their id) and which are new, and sends
   back the new ones (each once);
3. numbers the new states in ``(i, k)`` order of their first discovery and
   tells each partition the ids of its new states (its next frontier).

Step 3 is exactly the order in which the one-process search numbers states
(it expands states in id order and appends each new successor as it is met),
so the :class:`~explorer.Exploration` built here has the same states, ids,
parents, steps, depths and edges, and every verdict and counterexample is
the same; tests/test_distributed.py compares the two on the presets and the
mutants.  The coordinator keeps the exploration the properties read, but
compactly: the states as columns of component ids (:class:`ColumnStates`,
4 bytes per component, 24 per state of the TCP model, where a list of
tuples costs about 120 and a visited dict about 200 more), which the
properties' monitor reads batch by batch as columns, and the parents, steps,
depths and edges as integer arrays.  What the partitions spread over the
cluster is the visited sets and the expansion.

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
import zlib
from array import array
from typing import Callable

import numpy as np

from .errors import InputError
from .explorer import Exploration

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


def _pack(value) -> bytes:
    """What crosses the network: one pickle.  Dask serialises a list item by
    item, about 40 times slower than one pickle of it."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_unpack = pickle.loads


class Partition:
    """One part of the visited set, on a worker: the states it owns (in the
    model's internal form, interned by this worker's copy of the model) with
    their global ids, and the frontier it expands next."""

    def __init__(self, model, index: int, count: int):
        self.model, self.index, self.count = model, index, count
        self.decode = getattr(model, "decode", _identity)
        self.encode = getattr(model, "encode", _identity)
        self.describe = getattr(model, "step", _identity)
        self.seen: dict = {}  # state -> global id
        self.frontier: list = []  # (global id, state), ascending ids
        self.new: list = []  # states said new by the last resolve, by token
        self._hashes: dict = {}  # id(field of a readable state) -> its hash (see owner)
        self._steps: dict = {}  # the model's label -> its readable step

    def seed(self, pairs: bytes) -> int:
        """Own the initial states ``(id, readable state)``: the first frontier."""
        for j, r in _unpack(pairs):
            s = self.encode(r)
            self.seen[s] = j
            self.frontier.append((j, s))
        return len(self.frontier)

    def expand(self) -> bytes:
        """Expand the frontier: per partition, the successors it owns, as their
        causes ``(i, k, step, n)`` (the k-th step of state i leads to the n-th
        state sent to that partition: a state met again in the level is sent
        once) and, apart, those states, readable (one pickle per partition,
        which the coordinator hands on without reading it); the ids without
        successors."""
        causes: list[list] = [[] for _ in range(self.count)]
        states: list[list] = [[] for _ in range(self.count)]
        terminal = []
        decode, count, memo, steps = self.decode, self.count, self._hashes, self._steps
        sent: dict = {}  # successor -> (its owner, its number in what that owner is sent)
        for i, s in self.frontier:
            succ = self.model.successors(s)
            if not succ:
                terminal.append(i)
            for k, (label, t) in enumerate(succ):
                at = sent.get(t)
                if at is None:
                    r = decode(t)
                    q = owner(r, count, memo)
                    at = sent[t] = (q, len(states[q]))
                    states[q].append(r)
                step = steps.get(label)
                if step is None:
                    step = steps[label] = self.describe(label)
                causes[at[0]].append((i, k, step, at[1]))
        self.frontier = []
        return _pack((causes, [_pack(part) for part in states], [len(part) for part in states], terminal))

    def resolve(self, blobs: list) -> bytes:
        """For each readable state of the pickles ``blobs`` (in their order):
        its id if seen before, else ``-1 - token`` (the same token for the same
        new state); and the new states, readable, by token."""
        self.new = []
        tokens: dict = {}
        out, fresh = [], []
        seen, encode = self.seen, self.encode
        for blob in blobs:
            for r in _unpack(blob):
                s = encode(r)
                j = seen.get(s)
                if j is None:
                    j = tokens.get(s)
                    if j is None:
                        j = tokens[s] = -1 - len(self.new)
                        self.new.append(s)
                        fresh.append(r)
                out.append(j)
        return _pack((out, fresh))

    def assign(self, ids: bytes) -> int:
        """Record the ids given to the new states (token -> id); those not
        given one (the state budget ran out) are forgotten.  The next frontier."""
        for token, j in sorted(_unpack(ids).items(), key=lambda kv: kv[1]):
            s = self.new[token]
            self.seen[s] = j
            self.frontier.append((j, s))
        self.new = []
        return len(self.frontier)


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
            **_ignored) -> Exploration:
    """Explore ``model`` breadth-first on a Dask cluster, with the contract of
    :func:`tcpcheck.model.explorer.explore` (the same exploration, state for
    state).  ``client`` is a ``dask.distributed.Client`` (default: see the
    module's docstring); ``partitions`` the number of parts of the visited
    set (default: one per worker); ``partition`` the class of the actors that
    hold them.  ``progress``, ``stop`` and ``observe`` are called after each
    level."""
    closing = []
    if client is None:
        client, closing = _client()
    try:
        count = partitions or max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        parts = [client.submit(partition, model, p, count, actor=True, pure=False) for p in range(count)]
        parts = [f.result() for f in parts]
        return _search(model, parts, count, max_states, progress, stop, interruptible, observe)
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


def _search(model, parts, count, max_states, progress, stop, interruptible, observe) -> Exploration:
    x = _Exploration()
    initial = list(model.initial_states())
    if _compact(initial):
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
    for s in initial:
        if s not in index:
            index[s] = len(x.states)
            r = decode(s)
            seeds[owner(r, count)].append((index[s], r))
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
            x.expanded = level_start
            expansions = [_unpack(f.result()) for f in [part.expand() for part in parts]]
            terminal = sorted(i for *_, t in expansions for i in t)
            # each owner is handed the states it owns, as the expanders pickled them
            futures = [parts[q].resolve([blobs[q] for _, blobs, _, _ in expansions]) for q in range(count)]
            answers = [_unpack(f.result()) for f in futures]
            # every successor in order of discovery: (i, k, step, owner, mark); the n-th state expander p
            # sent owner q is the (offset + n)-th that q answered, and a new one's readable form is q's
            # answer for its token
            found = []
            for q in range(count):
                marks, offset = answers[q][0], 0
                for causes, _, sizes, _ in expansions:
                    found += [(i, k, step, q, marks[offset + n]) for i, k, step, n in causes[q]]
                    offset += sizes[q]
            found.sort(key=lambda f: (f[0], f[1]))
            given: list[dict] = [{} for _ in range(count)]
            cut = None  # the state whose expansion the state budget stopped
            for i, k, step, q, m in found:
                if cut is not None and i > cut:
                    break
                label = intern_step(step)
                kk = label_index.get(label)
                if kk is None:
                    kk = label_index[label] = len(x.labels)
                    x.labels.append(label)
                if m >= 0:
                    j = m
                else:
                    j = given[q].get(-1 - m)
                    if j is None:
                        if len(x.states) >= limit:
                            x.complete, x.stopped = False, "max-states"
                            cut = i
                            continue
                        j = given[q][-1 - m] = len(x.states)
                        x.states.append(encode(answers[q][1][-1 - m]))
                        x.parent.append(i)
                        x.via.append(kk)
                        x.depth.append(x.depth[i] + 1)
                x.src.append(i)
                x.dst.append(j)
                x.lab.append(kk)
            x.terminal += [i for i in terminal if cut is None or i <= cut]
            for f in [parts[q].assign(_pack(given[q])) for q in range(count)]:
                f.result()
            if cut is not None:
                x.expanded = cut + 1
                break
            x.expanded = level_start = level_end
            x.seconds = time.perf_counter() - started
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
        x._cut(level_start)
        x.complete, x.stopped = False, "interrupted"
    x.seconds = time.perf_counter() - started
    return x
