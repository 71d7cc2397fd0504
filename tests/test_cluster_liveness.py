"""Liveness over a partitioned exploration (model/cluster_liveness.py) gives
exactly liveness.leads_to_masks's lasso (stem, cycle, their labels) or None:
real explorations split in-process into 1, 2 and 3 partitions (by
distributed.owner and at random), on the presets, the mutants and random
graphs; each deliberately broken step changes some lasso; the coordinator
gathers a residue far smaller than the edges; and the same code runs over
Dask actors."""

from __future__ import annotations

import random
from functools import lru_cache

import numpy as np
import pytest
from test_liveness import _random_toys

from tcpcheck.model import cluster_liveness as cl
from tcpcheck.model import distributed
from tcpcheck.model import liveness as lv
from tcpcheck.model.checker import build
from tcpcheck.model.cluster_liveness import LivePart, leads_to_partitioned
from tcpcheck.model.config import PRESETS, preset
from tcpcheck.model.explorer import explore
from tcpcheck.model.mutants import MUTANTS, apply_mutant, mutant_config
from tcpcheck.model.properties import PROPERTIES

#: Presets above this many states are left out (a split costs a pass in Python over the states).
_LARGEST = 300_000


def _parts_data(x, own, masks):
    """For each partition of ``own`` (partition by state id): its states' ids, CSR rows,
    targets, labels, terminal flags and the masks of each predicate pair, as a
    partition that kept its share of the exploration holds them."""
    g = lv._Graph(x)
    out = []
    for i in range(int(own.max()) + 1 if len(own) else 1):
        gids = np.flatnonzero(own == i)
        e = lv._out_edges(g.indptr, gids)
        rows = np.concatenate([[0], np.cumsum(g.indptr[gids + 1] - g.indptr[gids])])
        out.append(((gids, rows, g.dst[e], g.lab[e], g.terminal[gids]),
                    {name: (p[gids], q[gids]) for name, (p, q) in masks.items()}))
    return out


def _split(x, own, masks):
    parts = []
    for data, preds in _parts_data(x, own, masks):
        part = LivePart(*data)
        for name, (p, q) in preds.items():
            part.set_predicates(name, p, q)
        parts.append(part)
    return parts


def _owners(x, seed=7):
    """The partition of each state: one; two and three by distributed.owner; two and three at random."""
    n = len(x.states)
    states = [x.state(i) for i in range(n)]
    rng = np.random.default_rng(seed)
    yield "one", np.zeros(n, dtype=np.uint8)
    for k in (2, 3):
        yield f"owner/{k}", np.array([distributed.owner(s, k) for s in states], dtype=np.uint8)
    for k in (2, 3):
        yield f"random/{k}", rng.integers(0, k, n).astype(np.uint8)


def _masks(x, pairs):
    """The P and Q masks of each named (P, Q) pair over the readable states."""
    states = [x.state(i) for i in range(len(x.states))]
    return {name: (np.array([p(s) for s in states], dtype=bool), np.array([q(s) for s in states], dtype=bool))
            for name, (p, q) in pairs.items()}


_LIVENESS = {f"{p.id}/{j}": pq for p in PROPERTIES if p.kind == "liveness" for j, pq in enumerate(p.test)}


@lru_cache(maxsize=None)
def _tcp(name):
    """The exploration of a preset or mutant and its liveness properties' masks."""
    if name in PRESETS:
        x = explore(build(preset(name)))
    else:
        x = explore(build(*apply_mutant(name, mutant_config(name))))
    return x, _masks(x, _LIVENESS)


def _tcp_names():
    return [*PRESETS, *MUTANTS]


def _path(x):
    return lambda i: (x.ids_to(i), x.labels_to(i))


def _outcome(lasso):
    return "holds" if lasso is None else "stops" if not lasso.cycle else "cycle"


def _compare(x, masks, seed=7):
    """Each (assignment, predicate name, expected outcome, whether the partitioned lasso equals leads_to_masks's)."""
    kinds = lv._Kinds.of(x)
    out = []
    for how, own in _owners(x, seed):
        parts = _split(x, own, masks)
        for name, (p, q) in masks.items():
            want = lv.leads_to_masks(x, p, q)
            got = leads_to_partitioned(parts, len(x.states), own, kinds, name, _path(x))
            out.append((how, name, _outcome(want), got == want))
    return out


@lru_cache(maxsize=None)
def _toy_cases(count=150):
    """Random graphs (parallel steps, loops, losses and duplications) with four (P, Q) pairs each."""
    pairs = {"0->3": (lambda s: s == 0, lambda s: s == 3), "even->3": (lambda s: s % 2 == 0, lambda s: s == 3),
             "all->none": (lambda s: True, lambda s: False), "2mod3->3": (lambda s: s % 3 == 2, lambda s: s == 3)}
    return [(x, _masks(x, pairs)) for x in _random_toys(count)]


def _mismatches(cases, first: bool = False) -> int:
    """The (case, split, predicate) whose lasso differs from leads_to_masks's, up to
    the first one when ``first``; a broken variant may also fail outright (fair_cycle
    finds no fair cycle where it is told there is one): that case counts as one."""
    bad = 0
    for x, masks in cases:
        try:
            bad += sum(not same for *_, same in _compare(x, masks))
        except AssertionError:
            bad += 1
        if bad and first:
            break
    return bad


@pytest.mark.parametrize("name", _tcp_names())
def test_the_lasso_is_leads_to_masks_s_on_every_preset_and_mutant(name):
    """On each preset and mutant, each liveness property's (P, Q) pair, split into
    1, 2, 3 partitions by distributed.owner and at random: the same lasso or None."""
    x, masks = _tcp(name)
    if len(x.states) > _LARGEST:
        pytest.skip(f"{len(x.states)} states")
    results = _compare(x, masks)
    assert len(results) == 5 * len(_LIVENESS) == 15
    assert [r for r in results if not r[3]] == []


def test_the_corpus_has_runs_that_stop_cycles_and_properties_that_hold():
    """The presets' and mutants' answers include all three outcomes: 'every close
    completes' stops at default (A closed, B in FIN_WAIT_2 for ever) and goes round a
    cycle at fin-no-seq and time-wait-forever; reliable's properties all hold."""
    outcomes = {name: {k: _outcome(lv.leads_to_masks(_tcp(name)[0], *pq)) for k, pq in _tcp(name)[1].items()}
                for name in ("default", "reliable", "fin-no-seq", "time-wait-forever")}
    assert outcomes == {
        "default": {"LIVE1/0": "stops", "LIVE2/0": "holds", "LIVE2/1": "holds"},
        "reliable": {"LIVE1/0": "holds", "LIVE2/0": "holds", "LIVE2/1": "holds"},
        "fin-no-seq": {"LIVE1/0": "cycle", "LIVE2/0": "holds", "LIVE2/1": "holds"},
        "time-wait-forever": {"LIVE1/0": "cycle", "LIVE2/0": "holds", "LIVE2/1": "holds"},
    }
    x, masks = _tcp("fin-no-seq")
    own = np.array([distributed.owner(x.state(i), 3) for i in range(len(x.states))], dtype=np.uint8)
    got = leads_to_partitioned(_split(x, own, masks), len(x.states), own, lv._Kinds.of(x), "LIVE1/0", _path(x))
    assert got == lv.leads_to_masks(x, *masks["LIVE1/0"]) and len(got.cycle) == 3 and len(got.stem) == 9


@pytest.mark.parametrize("scc", ["c", "scipy"])
def test_the_lasso_is_leads_to_masks_s_on_random_graphs(scc, monkeypatch):
    """150 random graphs, four (P, Q) pairs each, five splits: the same lasso or None,
    with every outcome present many times, and both orders of the work taken many
    times: with P-states at least half the states without Q, the components first
    (then a search only when no P-state is bad: 'bfs to bad'); else the region first.
    With the compiled strong components and with scipy's (on both sides)."""
    monkeypatch.setattr(lv, "SCC", scc)
    calls = []
    first_bad, bfs = cl._first_bad, cl._bfs
    monkeypatch.setattr(cl, "_first_bad", lambda *a: calls.append("components first") or first_bad(*a))
    monkeypatch.setattr(cl, "_bfs", lambda *a: calls.append("region first" if a[4] is None else "bfs to bad")
                        or bfs(*a))
    cases = _toy_cases()
    results = [r for x, masks in cases for r in _compare(x, masks)]
    assert [r for r in results if not r[3]] == []
    tally = {o: sum(r[2] == o for r in results) // 5 for o in ("holds", "stops", "cycle")}
    assert tally == {"holds": 117, "stops": 194, "cycle": 289}
    assert {k: calls.count(k) // 5 for k in sorted(set(calls))} == {
        "bfs to bad": 42, "components first": 362, "region first": 135}


def test_the_residue_s_components_are_those_of_all_the_states_without_q():
    """Step 1 alone: the fair components found on the gathered residue are exactly
    liveness._fair_labels over all the states without Q (terminal ones included), on
    the mutants and random graphs, split in three at random."""
    checked = 0
    for x, masks in [_tcp(name) for name in MUTANTS] + _toy_cases(60):
        own = np.random.default_rng(3).integers(0, 3, len(x.states)).astype(np.uint8)
        parts = _split(x, own, masks)
        kinds = lv._Kinds(lv._Kinds.of(x))
        g = lv._Graph(x)
        for name, (p, q) in masks.items():
            got = cl._each([(part, "begin", (name, len(x.states), kinds)) for part in parts])
            alive = cl._or([a for a, _, _ in got])
            res, comp = cl._components(parts, len(x.states), kinds, alive, {}, None)
            mine = np.full(len(x.states), -1)
            mine[res.ids] = comp
            assert lv._grouped(mine) == lv._grouped(lv._fair_labels(g, ~q))
            checked += 1
    assert checked == 3 * len(MUTANTS) + 4 * 60


def _broken_mismatches(monkeypatch, patch, first: bool = True) -> int:
    """With ``patch`` applied, the lassos that differ on the mutants, 60 random graphs
    and the presets (the cheap ones first), up to the first one when ``first``.
    Without it there are none (the tests above)."""
    cases = [_tcp(name) for name in [*MUTANTS, *PRESETS] if len(_tcp(name)[0].states) <= _LARGEST]
    cases[len(MUTANTS):len(MUTANTS)] = _toy_cases(60)
    with monkeypatch.context() as m:
        patch(m)
        return _mismatches(cases, first)


def test_a_trimming_that_drops_terminal_states_changes_some_lasso(monkeypatch):
    real = LivePart.trim

    def trim(self, alive):
        out, into = real(self, alive)
        stops = self.gids[self.terminal]
        out[stops >> 3] &= ~np.left_shift(1, stops & 7).astype(np.uint8)
        return out, into
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "trim", trim)) > 0


def test_trimming_by_the_steps_out_alone_is_still_right_but_the_opposite_test_is_not(monkeypatch):
    """Trimming only the states with no fair step into the live ones (not also those
    with none from them) leaves a larger residue with the same answers; a trimming that
    keeps exactly the states it should drop changes some lasso."""
    real = LivePart.trim

    def out_only(self, alive):
        out, _ = real(self, alive)
        return out, alive.copy()

    def opposite(self, alive):
        out, into = real(self, alive)
        here = np.zeros(len(out), dtype=np.uint8)
        cl._set(here, self.gids[cl._test(alive, self.gids)])
        return here & ~out, alive.copy()
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "trim", out_only), first=False) == 0
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "trim", opposite)) > 0


def test_a_level_order_that_is_not_first_appearance_changes_some_lasso(monkeypatch):
    """The new states of a level in order of their ids (not of first appearance), or in
    first-appearance order but found by their last appearance (another step, or another
    state of the level before): each changes some lasso."""
    def by_id(dst):
        return np.unique(dst, return_index=True)[1]

    real = cl._next_level

    def found_last(dst):
        at = real(dst)
        last = len(dst) - 1 - np.unique(dst[::-1], return_index=True)[1]  # by target id
        return last[np.searchsorted(np.unique(dst), dst[at])]
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(cl, "_next_level", by_id)) > 0
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(cl, "_next_level", found_last)) > 0


def test_the_partitions_candidates_are_merged_in_the_level_s_order(monkeypatch):
    """Each partition's first appearances carry their source's key (its place in the
    level), by which the coordinator merges them: candidates whose keys are lost
    (merged in the partitions' order) change some lasso."""
    real = LivePart.step

    def keyless(self):
        key, src, dst, lab = real(self)
        return np.zeros_like(key), src, dst, lab
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "step", keyless)) > 0


def test_the_region_s_first_bad_state_is_by_level_then_position(monkeypatch):
    """When the region is searched first, the entry is the bad state met first: by
    level, then position in it.  The least id among those met instead, or position
    before level, changes some lasso."""
    real = LivePart.rank

    def ignored(self, ids):
        depth, order = real(self, ids)
        return np.where(depth >= 0, 0, -1).astype(depth.dtype), np.where(depth >= 0, 0, -1)

    def swapped(self, ids):
        depth, order = real(self, ids)
        return order.astype(depth.dtype), depth.astype(order.dtype)
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "rank", ignored)) > 0
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "rank", swapped)) > 0


def test_owed_steps_read_only_inside_the_residue_change_some_lasso(monkeypatch):
    """A residue state's owed steps must be read from all its out-edges (a step that
    leaves the residue is owed too): read from its residue edges only, some lasso changes."""
    real = LivePart.residue

    def inside_only(self, alive):
        ids, owed, terminal, es, ed, el = real(self, alive)
        k = self._run.kinds
        owed = np.zeros_like(owed)
        np.bitwise_or.at(owed, np.searchsorted(ids, es), k.kindbit[el])
        return ids, owed, terminal, es, ed, el
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(LivePart, "residue", inside_only)) > 0


def test_the_cycle_needs_the_component_s_edges_that_leave_it(monkeypatch):
    """The fair cycle is found over all the out-edges of the entry's component (owed
    steps include those leaving it): given only the edges inside, some cycle changes."""
    assert _broken_mismatches(monkeypatch, lambda m: m.setattr(cl, "fair_cycle", _inside_only_cycle)) > 0


def _inside_only_cycle(view, comp, entry, g, should_stop=None):
    """liveness.fair_cycle on the view without the edges that leave the component."""
    members = set(comp)
    keep = np.array([int(s) in members and int(d) in members for s, d in zip(view.src, view.dst)], dtype=bool)
    view.src, view.dst, view.lab = view.src[keep], view.dst[keep], view.lab[keep]
    view.edge_offsets = lv._indptr(len(view.ids), view.src).astype(np.int64)
    return lv.fair_cycle(view, comp, entry, lv._Graph(view), should_stop)


def test_the_coordinator_gathers_a_residue_far_smaller_than_the_edges(capsys):
    """What the coordinator holds besides its bit arrays, on the presets: the residue
    (states and fair edges) and one level's edges, printed; the residue's edges are
    below a hundredth of all the edges, and no level sends them all.  Two are pinned,
    one of each order of the work: at default, 'every close completes' has 28,317
    P-states, most of the 28,817: 23 trim rounds of all the states without Q leave 16
    (the terminal ones) and no edge, and a P-state is the entry, found without
    gathering the P-states; at simultaneous-open, 'SYN_SENT leads to ESTABLISHED or
    CLOSED' has 100: the region is searched first (11 levels, at most 357 states), then
    trimmed in 14 rounds to 2 terminal states."""
    rows = []
    for name in PRESETS:
        x, masks = _tcp(name)
        if len(x.states) > _LARGEST:
            continue
        own = np.array([distributed.owner(x.state(i), 3) for i in range(len(x.states))], dtype=np.uint8)
        parts = _split(x, own, masks)
        for pname in masks:
            stats = {}
            leads_to_partitioned(parts, len(x.states), own, lv._Kinds.of(x), pname, _path(x), stats=stats)
            rows.append((name, pname, len(x.states), len(x.src), stats))
            assert stats.get("residue_edges", 0) * 100 < len(x.src)
            assert stats.get("most_candidates", 0) < len(x.src)
    with capsys.disabled():
        print()
        for name, pname, n, m, stats in rows:
            print(f"{name:18} {pname:8} {n:7} states {m:7} edges: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
    assert rows[0][:2] == ("default", "LIVE1/0") and rows[0][4] == {
        "starts": 28317, "trim_rounds": 23, "residue_states": 16, "residue_edges": 0, "levels": 0,
        "widest_level": 0, "candidates": 0, "most_candidates": 0, "component_edges": 0}
    assert [r[4] for r in rows if r[:2] == ("simultaneous-open", "LIVE2/0")] == [{
        "starts": 100, "levels": 11, "widest_level": 357, "candidates": 2070, "most_candidates": 474,
        "trim_rounds": 14, "residue_states": 2, "residue_edges": 0, "component_edges": 0}]


def test_a_cycle_s_component_edges_are_gathered_and_counted():
    """fin-no-seq's 'every close completes' goes round a cycle: its component's
    out-edges are gathered, and they are counted."""
    x, masks = _tcp("fin-no-seq")
    own = np.zeros(len(x.states), dtype=np.uint8)
    stats = {}
    lasso = leads_to_partitioned(_split(x, own, masks), len(x.states), own, lv._Kinds.of(x), "LIVE1/0", _path(x),
                                 stats=stats)
    assert lasso.cycle and stats["component_edges"] > 0 and stats["residue_edges"] > 0


class _Actor:
    """A stand-in for a Dask actor handle: each method call returns a future
    (an object with ``result()``); the calls and the waits are logged."""

    def __init__(self, part, index, log):
        self._part, self._index, self._log = part, index, log

    def __getattr__(self, method):
        def call(*args):
            self._log.append(("call", method, self._index))
            log, index, value = self._log, self._index, getattr(self._part, method)(*args)

            class Future:
                def result(self):
                    log.append(("wait", method, index))
                    return value
            return Future()
        return call


def test_through_futures_every_partition_of_a_round_is_called_before_any_is_waited_on():
    """Through actor-like handles, the same lasso; in each round of trimming (and
    at begin and the residue) all three partitions are called before the first answer
    is waited on."""
    x, masks = _tcp("fin-no-seq")
    own = np.array([distributed.owner(x.state(i), 3) for i in range(len(x.states))], dtype=np.uint8)
    log = []
    actors = [_Actor(part, i, log) for i, part in enumerate(_split(x, own, masks))]
    got = leads_to_partitioned(actors, len(x.states), own, lv._Kinds.of(x), "LIVE1/0", _path(x))
    assert got == lv.leads_to_masks(x, *masks["LIVE1/0"])
    segments = []  # runs of calls, then the waits on them
    for event in log:
        if event[0] == "call" and (not segments or segments[-1][-1][0] == "wait"):
            segments.append([])
        segments[-1].append(event)
    for seg in segments:
        calls = [e for e in seg if e[0] == "call"]
        assert seg == calls + [("wait", m, i) for _, m, i in calls]
        assert len({m for _, m, _ in seg}) == 1
    sizes = {}
    for seg in segments:
        sizes.setdefault(seg[0][1], set()).add(len(seg) // 2)
    assert sizes["begin"] == sizes["trim"] == sizes["residue"] == {3} and sizes["found"] == {1}


def test_should_stop_is_polled_between_rounds():
    """A should_stop that gives a reason at its third poll stops the analysis there, by Stopped."""
    x, masks = _tcp("default")
    own = np.zeros(len(x.states), dtype=np.uint8)
    polls = []

    def should_stop():
        polls.append(1)
        return "budget" if len(polls) == 3 else None
    with pytest.raises(lv.Stopped, match="budget"):
        leads_to_partitioned(_split(x, own, masks), len(x.states), own, lv._Kinds.of(x), "LIVE1/0", _path(x),
                             should_stop=should_stop)
    assert len(polls) == 3


def test_a_partition_takes_the_search_s_arrays_as_they_are():
    """A partition that kept its share in array.array columns (as the search does) hands
    them over without conversion: the same lasso."""
    from array import array

    x, masks = _tcp("fin-no-seq")
    own = np.array([distributed.owner(x.state(i), 2) for i in range(len(x.states))], dtype=np.uint8)
    parts = []
    for (gids, rows, dst, lab, terminal), preds in _parts_data(x, own, masks):
        part = LivePart(array("q", gids.tolist()), array("q", rows.tolist()), array("q", dst.tolist()),
                        array("i", lab.tolist()), terminal.tolist())
        part.set_predicates("LIVE1/0", *preds["LIVE1/0"])
        parts.append(part)
    got = leads_to_partitioned(parts, len(x.states), own, lv._Kinds.of(x), "LIVE1/0", _path(x))
    assert got == lv.leads_to_masks(x, *masks["LIVE1/0"]) and got.cycle


def test_a_partition_refuses_data_that_does_not_fit():
    with pytest.raises(ValueError, match="one row per state"):
        LivePart([0, 1], [0, 1], [1], [0], [False, False])
    part = LivePart([0, 2], [0, 1, 1], [2], [0], [False, True])
    with pytest.raises(ValueError, match="one flag per state"):
        part.set_predicates("x", [True], [False, False])
    part.set_predicates("x", [True, False], [False, False])
    part.begin("x", 3, lv._Kinds([("A", "call")]))
    with pytest.raises(ValueError, match="not this partition's"):
        part.expand([1])


def test_over_dask_actors_on_a_local_cluster_the_lasso_is_the_same():
    """The partitions as Dask actors on a local cluster of two worker processes (the
    calls return futures, the arguments and answers are pickled): the same lassos as
    leads_to_masks, a cycle (fin-no-seq), a run that stops after seven levels
    (simultaneous-open, 'SYN_SENT leads to ESTABLISHED or CLOSED') and one that holds."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    cases = [("fin-no-seq", "LIVE1/0", "cycle"), ("simultaneous-open", "LIVE2/0", "stops"),
             ("reliable", "LIVE1/0", "holds")]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as client:
        for name, pname, outcome in cases:
            x, masks = _tcp(name)
            own = np.array([distributed.owner(x.state(i), 3) for i in range(len(x.states))], dtype=np.uint8)
            actors = []
            for data, preds in _parts_data(x, own, {pname: masks[pname]}):
                actor = client.submit(LivePart, *data, actor=True).result()
                actor.set_predicates(pname, *preds[pname]).result()
                actors.append(actor)
            got = leads_to_partitioned(actors, len(x.states), own, lv._Kinds.of(x), pname, _path(x))
            want = lv.leads_to_masks(x, *masks[pname])
            assert (got, _outcome(got)) == (want, outcome)


def test_through_a_relay_an_actor_that_holds_a_live_part_answers_for_it():
    """An actor that holds a LivePart (as a search partition does) and answers
    live(method, *args): through Relay handles, the same lasso, every call relayed."""
    class Holder:
        def __init__(self, part):
            self.part, self.asked = part, []

        def live(self, method, *args):
            self.asked.append(method)
            return getattr(self.part, method)(*args)
    x, masks = _tcp("time-wait-forever")
    own = np.array([distributed.owner(x.state(i), 2) for i in range(len(x.states))], dtype=np.uint8)
    holders = [Holder(part) for part in _split(x, own, masks)]
    got = leads_to_partitioned([cl.Relay(h) for h in holders], len(x.states), own, lv._Kinds.of(x), "LIVE1/0",
                               _path(x))
    assert got == lv.leads_to_masks(x, *masks["LIVE1/0"]) and got.cycle
    assert all(h.asked[:2] == ["begin", "trim"] for h in holders)
    with pytest.raises(AttributeError):
        cl.Relay(holders[0])._private


def test_a_partition_that_owns_no_state_takes_part_in_every_round():
    """Three partitions of which the middle one owns nothing (and one that owns
    everything but a state): the same lassos, on a cycle, a stop and a hold."""
    for name in ("fin-no-seq", "simultaneous-open", "reliable"):
        x, masks = _tcp(name)
        own = np.zeros(len(x.states), dtype=np.uint8)
        own[-1] = 2
        parts = _split(x, own, masks)
        assert [len(part.gids) for part in parts] == [len(x.states) - 1, 0, 1]
        for pname, (p, q) in masks.items():
            got = leads_to_partitioned(parts, len(x.states), own, lv._Kinds.of(x), pname, _path(x))
            assert got == lv.leads_to_masks(x, p, q)
