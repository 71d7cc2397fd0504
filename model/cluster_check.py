"""The whole check on a Dask cluster, with the exploration kept by the partitions.

``tcpcheck check --engine dask`` (issue 13, "Beyond one machine").  The
search of :mod:`distributed` numbers the states level by level; here each
partition keeps what it owns of the exploration (its states, their parents,
their out-edges: :class:`distributed._Kept`) and checks the properties on it
as it is found, so that the coordinator (this process) keeps one byte per
state (which partition owns it) and the sizes of the BFS levels:

* :class:`ClusterExploration` is the :class:`~tcpcheck.model.explorer.Exploration`
  the checker and the report read.  It counts the states and transitions and
  reads a state, its parent or its out-edges from its owner when asked
  (a counterexample's path is at most the search's depth long); everything a
  report of the verdicts reads is gathered before the cluster is closed
  (:meth:`ClusterExploration.settle`).  A whole-graph reader (``graph()``,
  the edge arrays, the diagrams of the reachable states) is refused.
* :class:`ClusterMonitor` gives the verdicts: the first violation or witness
  of an invariant, a reachability property or deadlock freedom is the least
  state id any partition found (each finds its own first, and ids are given
  in the one-process search's order); a step property's is the least
  (state, step) any partition found; liveness runs on the partitions
  (:mod:`cluster_liveness`).  The verdicts and counterexamples are therefore
  those of the one-process check; tests/test_distributed.py compares them.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from .distributed import _pack, _unpack
from .errors import InputError
from .explorer import Exploration
from .liveness import Lasso
from .properties import Monitor, Verdict, run_of

__all__ = ["ClusterExploration", "ClusterMonitor"]


class NotGathered(RuntimeError):
    """A reader asked a cluster's exploration for what its partitions keep,
    after the cluster was closed (only what the verdicts' runs need is kept)."""


class _Refused:
    """The edge arrays of a cluster's exploration: the partitions keep them."""

    def _refuse(self, *_):
        raise InputError("the check on the Dask cluster keeps the states and edges on the workers: the "
                         "reachable-state graph, its export and its diagrams need --engine bfs or packed")

    __len__ = __iter__ = __getitem__ = __contains__ = __buffer__ = append = _refuse


class _Column:
    """``parent`` or ``via`` of a cluster's exploration: read from the owner, by id."""

    def __init__(self, x: "ClusterExploration", field: int):
        self.x, self.field = x, field

    def __len__(self) -> int:
        return len(self.x.owner)

    def __getitem__(self, i: int):
        return self.x._read(i)[self.field]


class _States(_Column):
    """``states`` of a cluster's exploration: its length, and a state (internal) by id."""

    def __init__(self, x: "ClusterExploration"):
        super().__init__(x, 0)

    def __getitem__(self, i: int):
        return self.x.encode(self.x._read(i)[0])


class _Depths:
    """``depth`` of a cluster's exploration: from the first id of each BFS level."""

    def __init__(self, starts: list[int], x: "ClusterExploration"):
        self.starts, self.x = starts, x

    def __len__(self) -> int:
        return len(self.x.owner)

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < len(self.x.owner):
            raise IndexError(i)
        return bisect_right(self.starts, i) - 1


class ClusterExploration(Exploration):
    """The exploration of a check on the cluster: counts, the label table and
    the owner of each state here; states, parents and edges on the partitions
    (``parts``, Dask actors of :class:`distributed.Partition` that keep them),
    read on request and cached.  ``closing``: what to close when it is settled."""

    def __init__(self, model, parts, monitor: Monitor, closing: list):
        super().__init__()
        self.parts, self._closing = parts, closing
        self.owner = bytearray()  # state id -> the partition that owns it
        self._starts = [0]  # the first state id of each depth
        self._known: dict[int, tuple] = {}  # state id -> (readable state, parent, label id)
        self._out: dict[int, list] = {}  # state id -> [(target, label id)]
        self.encode = getattr(model, "encode", lambda s: s)
        self.states, self.parent, self.via = _States(self), _Column(self, 1), _Column(self, 2)
        self.depth = _Depths(self._starts, self)
        self.has_edges = False
        self.src = self.dst = self.lab = _Refused()
        self.n_terminal = 0
        self.partition_peak_mib: list[float] = []  # each partition's worker's peak resident MiB, after the search
        self.monitor = ClusterMonitor(monitor, self)
        self.settled = False

    # --- the search counts here (distributed._search) ---

    def found(self, owners) -> None:
        """New states, owned by the partitions ``owners`` (an integer array): the next ids."""
        self.owner += np.asarray(owners, dtype=np.uint8).tobytes()

    def level(self, end: int, terminal: int) -> None:
        """A level expanded: the states from ``end`` on (if any) are one deeper."""
        if len(self.owner) > end:
            self._starts.append(end)
        self.n_terminal += terminal

    @property
    def max_depth(self) -> int:
        return len(self._starts) - 1 if self.owner else 0

    # --- what the partitions keep, on request ---

    def _ask(self, method: str, ids, into: dict) -> None:
        """Fill ``into`` with the answers of the owners of ``ids`` (not yet in it) to ``method``."""
        want: dict[int, list] = {}
        for i in ids:
            if i not in into:
                if not 0 <= i < len(self.owner):
                    raise IndexError(f"state {i} of {len(self.owner)}")
                want.setdefault(self.owner[i], []).append(i)
        if not want:
            return
        if self.settled:
            raise NotGathered(f"state {min(min(v) for v in want.values())} was not gathered before the "
                              "cluster was closed")
        for f in [getattr(self.parts[q], method)(_pack(ids)) for q, ids in sorted(want.items())]:
            into.update(_unpack(f.result()))

    def _read(self, i: int) -> tuple:
        self._ask("lookup", (i,), self._known)
        return self._known[i]

    def state(self, sid: int):
        return self._read(sid)[0]

    def labels_between(self, u: int, v: int) -> list[int]:
        self._ask("edges_of", (u,), self._out)
        return [k for t, k in self._out[u] if t == v]

    def graph(self):
        self.src._refuse()

    def decoded(self):
        raise InputError("the check on the Dask cluster checks the properties as the states are found: "
                         "a property that does not say what it reads (see properties.reads) needs "
                         "--engine bfs or packed")

    def settle(self, verdicts) -> None:
        """Gather the states and edges the runs of ``verdicts`` go through (what
        a report of them reads), then close the cluster."""
        if self.settled:
            return
        try:
            if self.parts and verdicts:
                ids = sorted({i for v in verdicts for i in run_of(self, v)})
                self._ask("lookup", ids, self._known)
                self._ask("edges_of", ids, self._out)
        finally:
            self.settled = True
            self.parts = []
            for c in self._closing:
                c.close()


class ClusterMonitor(Monitor):
    """The verdicts of a check on the cluster, from the partitions' monitors
    (see the module's docstring): :meth:`feed` gathers their finds once the
    search is over; :meth:`verdict` is :class:`Monitor`'s."""

    def __init__(self, monitor: Monitor, x: ClusterExploration):
        super().__init__(monitor.properties, monitor.layout, monitor.stop_at_first)
        self.x = x
        self._gathered = False
        self._kinds = None  # the kinds of step of the labels, for liveness

    def feed(self, x: Exploration, final: bool | None = None) -> str | None:
        if self._gathered:
            return None
        self._gathered = True
        finds = [_unpack(f.result()) for f in [part.finish() for part in self.x.parts]]
        self.n_states = sum(f["fed"] for f in finds)
        self.x.partition_peak_mib = [f["peak_mib"] for f in finds]
        for f in finds:
            for who in ("A", "B"):
                self.reached[who] |= f["reached"][who]
            for name, v in f["decided"].items():
                if name not in self.decided or v.state < self.decided[name].state:
                    self.decided[name] = v
        steps: dict = {}
        for f in finds:
            for name, first in f["steps"].items():
                if name not in steps or first[0] < steps[name][0]:
                    steps[name] = first
        for name, (_, detail, i, j, kk) in steps.items():
            p = self._by_name[name]
            self.decided[name] = Verdict(p.name, p.kind, p.statement, "violated", None, detail,
                                         Lasso(x.ids_to(i) + [j], [], x.labels_to(i) + [kk], []), id=p.id)
        if self.stop_at_first and any(v.verdict == "violated" for v in self.decided.values()):
            return "violation"
        return None

    def _leads_to(self, x: Exploration, name: str, n: int, should_stop):
        """The n-th (P, Q) pair of liveness property ``name``, on the partitions."""
        from .cluster_liveness import Relay, leads_to_partitioned
        from .liveness import _Kinds

        if self._kinds is None:
            self._kinds = _Kinds(_Kinds.of(x))
        return leads_to_partitioned([Relay(p) for p in self.x.parts], len(self.x.owner),
                                    np.frombuffer(self.x.owner, dtype=np.uint8), self._kinds, f"{n} {name}",
                                    lambda i: (x.ids_to(i), x.labels_to(i)), should_stop)

