"""The packed engine (model/packed.py) against the breadth-first explorer: the
same states in the same order, parents, step labels, depths, edges and
terminal states on every preset and every mutant, the same verdicts and
counterexamples from ``checker.run``, the state budget cut at exactly the
same state, and a model it does not follow stopped with an error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tcpcheck.model import liveness, packed
from tcpcheck.model.checker import build, run
from tcpcheck.model.config import PRESETS, preset
from tcpcheck.model.engines import ENGINES, explore_function
from tcpcheck.model.explorer import explore as bfs
from tcpcheck.model.mutants import MUTANTS, apply_mutant, mutant_config
from tcpcheck.model.properties import path_of
from tcpcheck.model.system import Model


def _same(x, y) -> None:
    """Two explorations of the same model agree on everything the explorer's contract names."""
    assert len(y.states) == len(x.states)
    assert [y.state(i) for i in range(len(y.states))] == [x.state(i) for i in range(len(x.states))]
    assert [y.label(k) for k in range(len(y.labels))] == [x.label(k) for k in range(len(x.labels))]
    for name in ("parent", "via", "depth", "src", "dst", "lab"):
        assert getattr(y, name) == getattr(x, name), name
    assert (y.terminal, y.expanded, y.complete, y.stopped, y.max_depth, y.transitions) == \
        (x.terminal, x.expanded, x.complete, x.stopped, x.max_depth, x.transitions)
    if isinstance(y, packed.PackedExploration):
        assert _offsets_right(y)


def _offsets_right(y) -> bool:
    """The packed search's edge_offsets are exactly liveness's CSR row pointers of its src."""
    want = liveness._indptr(len(y.states), np.asarray(y.src))
    return y.edge_offsets.dtype == want.dtype and np.array_equal(y.edge_offsets, want)


def _configs():
    out = [(name, preset(name), None) for name in PRESETS]
    for name in MUTANTS:
        cfg, table = apply_mutant(name, mutant_config(name))
        out.append((f"mutant {name}", cfg, table))
    return out


CONFIGS = _configs()


def test_registered():
    assert "packed" in ENGINES and explore_function("packed") is packed.explore


@pytest.mark.parametrize("name,cfg,table", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_same_exploration_and_verdicts(name, cfg, table):
    x = bfs(build(cfg, table))
    y = packed.explore(build(cfg, table))
    assert isinstance(y, packed.PackedExploration)
    _same(x, y)
    r = run(cfg, table)
    q = run(cfg, table, engine="packed")
    assert isinstance(q.exploration, packed.PackedExploration)
    assert [(v.id, v.verdict, v.state, str(v.detail), v.lasso) for v in q.verdicts] == \
        [(v.id, v.verdict, v.state, str(v.detail), v.lasso) for v in r.verdicts]
    assert [path_of(q.exploration, v) for v in q.verdicts] == [path_of(r.exploration, v) for v in r.verdicts]
    assert q.reachable() == r.reachable() and q.fired == r.fired


def test_pinned_counts():
    """The default preset's figures, as tests/test_counts.py pins them for the explorer."""
    y = packed.explore(build(preset("default")))
    assert (len(y.states), y.transitions, len(y.terminal), y.max_depth) == (28_817, 116_481, 17, 21)
    assert y.terminal[:3] == [29, 3959, 5925]


@pytest.mark.parametrize("limit", [1, 2, 37, 1000, 4097, 28_816, 28_817, 40_000])
def test_state_budget_cut_where_the_explorer_cuts(limit):
    x = bfs(build(preset("default")), max_states=limit)
    y = packed.explore(build(preset("default")), max_states=limit)
    _same(x, y)


def test_state_budget_inside_a_chunk():
    """Small chunks: the budget runs out in the middle of one, after many chunks."""
    cfg = preset("duplicating")
    x = bfs(build(cfg), max_states=9_999)
    y = packed.explore(build(cfg), max_states=9_999, chunk=64)
    _same(x, y)
    assert y.stopped == "max-states" and len(y.states) == 9_999


def test_fields_widened_and_states_repacked(monkeypatch):
    """Without headroom every new TCB, application or channel content past a
    power of two widens the fields and repacks every state: the same result."""
    monkeypatch.setattr(packed, "_HEADROOM", False)
    calls = []
    relayout = packed._Engine._relayout

    def counting(self, force=False, more=0):
        before = self.layout
        relayout(self, force, more)
        if before is not None and self.layout is not before:
            calls.append(self.layout.widths)
    monkeypatch.setattr(packed._Engine, "_relayout", counting)
    cfg = dataclasses.replace(preset("default"), loss_budget=2)
    x = bfs(build(cfg))
    y = packed.explore(build(cfg), chunk=256)
    _same(x, y)
    assert len(calls) >= 3 and calls[-1][-1] == 2  # a loss budget of 2: losses 0-2 in two bits


def test_loss_budget_and_timer_switches():
    base = preset("default")
    for cfg in (dataclasses.replace(base, loss_budget=1),
                dataclasses.replace(base, time_wait_waits_for_network=False),
                dataclasses.replace(base, time_wait_outlasts_rto=True, capacity=1)):
        _same(bfs(build(cfg)), packed.explore(build(cfg), chunk=1000))


def test_states_view():
    y = packed.explore(build(preset("default")))
    s = y.states
    assert s[0] == s[:3][0] and s[-1] == s[len(s) - 1] and list(s)[5] == s[5]
    assert s[10:20:3] == [s[10], s[13], s[16], s[19]]
    assert len(s.packed()) == len(s) and s.packed().dtype == np.uint64
    with pytest.raises(IndexError):
        s[len(s)]
    assert y.decoded().states[7] == y.state(7)


def test_observe_stop_and_progress_between_chunks():
    cfg = preset("default")
    seen = []
    y = packed.explore(build(cfg), observe=lambda x: seen.append(len(x.states)), chunk=4096)
    # a chunk is at most 4,096 states, and at most what the queue holds: 1, then 2, 5, 8, ...
    assert seen[:5] == [1, 3, 8, 16, 28] and seen[-1] == 28_817 and len(seen) == 24
    y = packed.explore(build(cfg), stop=lambda x: "enough" if x.expanded >= 8192 else None, chunk=4096)
    assert (y.stopped, y.complete, y.expanded) == ("enough", False, 10_848)  # the first chunk's end past 8,192
    assert max(y.src) == 10_847 and len(y.parent) == len(y.states)
    assert _offsets_right(y) and len(y.edge_offsets) == len(y.states) + 1 > 10_849
    assert int(y.edge_offsets[10_848]) == int(y.edge_offsets[-1]) == len(y.src)  # the states not expanded have none


def test_interrupt_leaves_a_consistent_exploration():
    calls = []

    def observe(x):
        calls.append(x.expanded)
        if len(calls) == 12:
            raise KeyboardInterrupt
    y = packed.explore(build(preset("default")), observe=observe, chunk=1000, interruptible=True)
    assert (y.stopped, y.complete, y.expanded) == ("interrupted", False, calls[-1])
    assert len(y.parent) == len(y.via) == len(y.depth) == len(y.states) > y.expanded > 1000
    assert max(y.src) == y.expanded - 1 and len(y.src) == len(y.dst) == len(y.lab)
    assert _offsets_right(y)
    x = bfs(build(preset("default")), max_states=len(y.states))
    assert y.src == x.src[:len(y.src)] and y.parent == x.parent
    with pytest.raises(KeyboardInterrupt):
        calls.clear()
        packed.explore(build(preset("default")), observe=observe, chunk=1000)


def test_a_model_it_does_not_follow_is_refused(monkeypatch):
    """A change of Model.successors that the engine does not know of is caught
    by the comparison each chunk makes, not turned into other counts."""
    original = Model.successors
    monkeypatch.setattr(Model, "successors", lambda self, s: original(self, s)[::-1])
    with pytest.raises(RuntimeError, match="disagrees with Model.successors at state"):
        packed.explore(build(preset("reliable")))


def test_other_models_go_to_the_explorer():
    class Counter:
        def initial_states(self):
            return [0]

        def successors(self, s):
            return [("inc", s + 1)] if s < 4 else []
    y = packed.explore(Counter())
    assert not isinstance(y, packed.PackedExploration) and list(y.states) == [0, 1, 2, 3, 4]

    class Subclass(Model):
        def successors(self, s):
            return Model.successors(self, s)[:1]
    m = build(preset("seed"))
    m.__class__ = Subclass
    assert not isinstance(packed.explore(m), packed.PackedExploration)


def test_check_engine_on_the_command_line(capsys):
    from tcpcheck.model.cli import main

    assert main(["check", "--preset", "default", "--engine", "packed"]) == main(["check", "--preset", "default"])
    out = capsys.readouterr().out
    a, b = out[:len(out) // 2], out[len(out) // 2:]
    assert "28,817" in out and a.count("violated") == b.count("violated")


# --- bench --scale (model/scale_bench.py) ---------------------------------------------------

def _scale_validator():
    import json
    from importlib.resources import files

    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from tcpcheck.model.interface import schemas

    mine = json.loads(files("tcpcheck.model").joinpath("schemas", "bench-scale.schema.json").read_text())
    registry = Registry().with_resources((uri, DRAFT202012.create_resource(s))
                                         for uri, s in {**schemas(), mine["$id"]: mine}.items())
    return jsonschema.Draft202012Validator(mine, registry=registry)


def test_scale_bench_json(capsys):
    import json

    from tcpcheck.model.scale_bench import bench_scale

    assert bench_scale(["packed", "bfs"], names=["default", "dup-cap2"], as_json=True) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(_scale_validator().iter_errors(doc)) == []
    assert [(r["engine"], r["config"], r["states"], r["transitions"], r["complete"]) for r in doc["rows"]] == [
        ("packed", "default", 28_817, 116_481, True), ("packed", "dup-cap2", 435_243, 2_582_990, True),
        ("bfs", "default", 28_817, 116_481, True), ("bfs", "dup-cap2", 435_243, 2_582_990, True)]
    s = doc["summary"]["packed"]
    assert (s["largest"], s["largest_states"], s["fitted_runs"], s["time_exponent"]) == ("dup-cap2", 435_243, 1, None)
    broken = dict(doc, rows=[dict(doc["rows"][0], states=-1)])
    assert [list(e.path) for e in _scale_validator().iter_errors(broken)] == [["rows", 0, "states"]]


def test_scale_bench_checks_the_series_too(capsys):
    """bench --scale --check: each engine's whole check of each configuration (ENGINE/check),
    with the verdicts of check itself; a check out of its budget stops its series."""
    import json

    from tcpcheck.model.scale_bench import bench_scale

    assert bench_scale(["packed"], names=["default"], as_json=True, check=True) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(_scale_validator().iter_errors(doc)) == [] and doc["check"] is True
    assert [(r["engine"], r["check"], r["config"], r["states"], r["complete"]) for r in doc["rows"]] == [
        ("packed", False, "default", 28_817, True), ("packed", True, "default", 28_817, True)]
    checked = doc["rows"][1]
    assert checked["verdicts"] == {v.id: v.verdict for v in run(series_config("default")).verdicts}
    assert "verdicts" not in doc["rows"][0] and 0 < checked["search_seconds"] <= checked["seconds"]
    assert doc["summary"]["packed/check"]["largest"] == "default"
    assert bench_scale(["bfs"], max_seconds=0.05, names=["dup-cap2", "dup-cap2-retx2"], check=True) == 0
    out = capsys.readouterr().out
    assert "bfs/check dup-cap2" in out and out.count("stopped: max-seconds") == 2 and "retx2" not in out
    assert "bfs/check: largest configuration completed within 0.05 s, 8 GiB: none" in out


def series_config(name):
    from tcpcheck.model.scale_bench import series

    return series()[name][1]


def test_scale_bench_budget_stops_the_series(capsys):
    from tcpcheck.model.scale_bench import bench_scale

    assert bench_scale(["packed"], max_seconds=0.0001, names=["dup-cap2", "dup-cap2-retx2"]) == 0
    out = capsys.readouterr().out
    assert "stopped: max-seconds" in out and "dup-cap2-retx2" not in out
    assert "packed: largest configuration completed within 0.0001 s, 8 GiB: none" in out
    assert "time not enough runs, memory not enough runs" in out


def test_scale_series_sizes():
    from tcpcheck.model.scale_bench import SERIES, series

    assert tuple(series()) == SERIES
    y = packed.explore(build(series()["dup-cap2-retx2"][1]))
    assert (len(y.states), y.transitions) == (871_790, 5_145_502)


# --- the compiled kernel (C through ctypes) and its numpy fallback -------------------------

def _raw(y):
    """Everything an exploration holds, as plain lists; states and steps
    decoded (the model's ids for them depend on the order of its memo misses)."""
    return ([y.state(i) for i in range(len(y.states))], [y.label(k) for k in range(len(y.labels))], list(y.parent),
            list(y.via), list(y.depth), list(y.src), list(y.dst), list(y.lab), list(y.terminal), y.expanded,
            y.complete, y.stopped)


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    """Run with the kernel built afresh in a folder of the test's own, or
    without it (``kernel("numpy")``)."""
    monkeypatch.setenv("TCPCHECK_CACHE", str(tmp_path))
    monkeypatch.setattr(packed, "_lib", None)

    def use(which: str):
        monkeypatch.setattr(packed, "KERNEL", which)
        monkeypatch.setattr(packed, "_lib", None)
        assert (packed._kernel() is not None) == (which == "c")
    return use


def test_the_kernel_is_built_and_kept(kernel, tmp_path, monkeypatch):
    kernel("c")
    (so,) = tmp_path.glob("packed-kernel-*.so")
    assert so.stat().st_size > 0
    # a damaged file is built again; it is damaged by replacing it, as a crashed writer would
    # leave it: writing into the file itself would change the pages this process has mapped
    # (a bus error later, in whichever test calls the kernel next)
    bad = so.with_name("damaged.tmp")
    bad.write_bytes(b"not a shared library")
    bad.replace(so)
    monkeypatch.setattr(packed, "_lib", None)
    assert packed._kernel() is not None and so.read_bytes()[:4] == b"\x7fELF"
    monkeypatch.setenv("TCPCHECK_CACHE", "off")  # no cache: built in a temporary folder, nothing kept
    so.unlink()
    monkeypatch.setattr(packed, "_lib", None)
    assert packed._kernel() is not None and not list(tmp_path.iterdir())


def test_without_gcc_the_numpy_passes_run(kernel, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(packed, "_lib", None)
    assert packed._kernel() is None
    y = packed.explore(build(preset("default")))
    assert (len(y.states), y.transitions, len(y.terminal), y.max_depth) == (28_817, 116_481, 17, 21)


KERNEL_CASES = [("default", preset("default"), {}),
                ("duplicating", preset("duplicating"), {"chunk": 512}),
                ("loss budget 1", dataclasses.replace(preset("default"), loss_budget=1), {"chunk": 3000}),
                ("budget 9,999", preset("duplicating"), {"max_states": 9_999, "chunk": 700}),
                ("budget 28,816", preset("default"), {"max_states": 28_816})]


@pytest.mark.parametrize("name,cfg,kw", KERNEL_CASES, ids=[c[0] for c in KERNEL_CASES])
def test_kernel_and_numpy_passes_agree(kernel, name, cfg, kw):
    kernel("numpy")
    slow = _raw(packed.explore(build(cfg), **kw))
    kernel("c")
    assert _raw(packed.explore(build(cfg), **kw)) == slow


@pytest.mark.parametrize("limit", [1, 37, 4097, 28_817])
def test_state_budget_without_the_kernel(kernel, limit):
    kernel("numpy")
    _same(bfs(build(preset("default")), max_states=limit), packed.explore(build(preset("default")),
                                                                         max_states=limit))


def test_a_broken_kernel_changes_the_counts(kernel, monkeypatch):
    """A kernel that forgets to put new states in the table counts some twice:
    the comparisons above would catch it."""
    monkeypatch.setattr(packed, "_KERNEL_C", packed._KERNEL_C.replace("table[s] = (int32_t)id;", ""))
    kernel("c")
    y = packed.explore(build(preset("reliable")), max_states=50_000)
    x = bfs(build(preset("reliable")))
    assert len(y.states) > len(x.states)


@pytest.mark.parametrize("name,cfg,kw", KERNEL_CASES + [("dup chunks 100", preset("duplicating"), {"chunk": 100})],
                         ids=[c[0] for c in KERNEL_CASES] + ["dup chunks 100"])
def test_two_cores_search_as_one(name, cfg, kw):
    """The kernel visiting a chunk in a second thread while the next one is
    expanded: the same search, state for state and chunk for chunk."""
    seen = {}
    for cores in (1, 2):
        looks = []
        y = packed.explore(build(cfg), cores=cores, observe=lambda x: looks.append((len(x.states), x.expanded)),
                           **kw)
        seen[cores] = (_raw(y), looks)
    assert seen[2] == seen[1]


def test_two_cores_wait_for_the_visit_before_repacking(monkeypatch):
    """Fields widened while the other thread still stores a chunk's states:
    the repacking waits for it (else some states would keep the old layout)."""
    monkeypatch.setattr(packed, "_HEADROOM", False)
    cfg = dataclasses.replace(preset("default"), loss_budget=2)
    repacked_while_busy = []
    relayout = packed._Engine._relayout

    def watching(self, force=False, more=0):
        busy, before = self.busy is not None and self.busy._future is not None, self.layout
        relayout(self, force, more)
        if busy and self.layout is not before:
            repacked_while_busy.append(self.busy._future is None)  # the visit was waited for
    monkeypatch.setattr(packed._Engine, "_relayout", watching)
    _same(bfs(build(cfg)), packed.explore(build(cfg), chunk=64, cores=2))
    assert repacked_while_busy and all(repacked_while_busy)


def test_two_cores_stop_and_interrupt_like_one():
    cfg = preset("default")
    ys = [packed.explore(build(cfg), stop=lambda x: "enough" if x.expanded >= 8192 else None, chunk=1024,
                         cores=c) for c in (1, 2)]
    assert _raw(ys[0]) == _raw(ys[1]) and ys[1].stopped == "enough"
    calls = []

    def observe(x):
        calls.append(x.expanded)
        if len(calls) == 12:
            raise KeyboardInterrupt
    y = packed.explore(build(cfg), observe=observe, chunk=1000, interruptible=True, cores=2)
    assert (y.stopped, y.complete, y.expanded) == ("interrupted", False, calls[-1])
    assert len(y.parent) == len(y.via) == len(y.depth) == len(y.states) > y.expanded


@pytest.mark.parametrize("room,misses", [(0, 1), (1, 7), (0, 4096)])
def test_kernel_expansion_resumes_where_it_stopped(monkeypatch, room, misses):
    """The kernel's expansion stops when its output is full and at memo
    entries the model has not computed yet, and goes on where it stopped:
    with room for no successor and one missing entry at a time, the same search."""
    monkeypatch.setattr(packed, "_ROOM", room)
    monkeypatch.setattr(packed, "_MISSES", misses)
    for cfg in (preset("default"), dataclasses.replace(preset("default"), loss_budget=1)):
        _same(bfs(build(cfg)), packed.explore(build(cfg), chunk=2000))


def test_a_broken_kernel_expansion_is_caught(kernel, monkeypatch):
    """An expansion that gives an endpoint's new TCB to its peer is stopped by
    the comparison with Model.successors that every chunk makes."""
    broken = packed._KERNEL_C.replace("t[i] = m->col[1][a];", "t[1 - i] = m->col[1][a];")
    assert broken != packed._KERNEL_C
    monkeypatch.setattr(packed, "_KERNEL_C", broken)
    kernel("c")
    with pytest.raises(RuntimeError, match="disagrees with Model.successors at state"):
        packed.explore(build(preset("default")))


@pytest.mark.parametrize("room,misses", [(0, 1), (8, 4096)])
def test_two_halves_expanded_at_once(monkeypatch, room, misses):
    """Every chunk of two states or more cut in two halves expanded in two
    threads, each stopping at its own missing entries and full output: the
    search of one thread."""
    monkeypatch.setattr(packed, "_SPLIT", 2)
    monkeypatch.setattr(packed, "_ROOM", room)
    monkeypatch.setattr(packed, "_MISSES", misses)
    halves = []
    part = packed._Part.__init__

    def counting(self, lo, hi):
        halves.append((lo, hi))
        part(self, lo, hi)
    monkeypatch.setattr(packed._Part, "__init__", counting)
    for cfg in (preset("default"), dataclasses.replace(preset("default"), loss_budget=1)):
        _same(bfs(build(cfg)), packed.explore(build(cfg), chunk=700, cores=2))
    assert sum(1 for lo, hi in halves if lo > 0) > 50


# --- a search without edges (explore(..., edges=False), as SPIN's safety run keeps none) -----


def _same_without_edges(x, y) -> None:
    """``y`` (no edges) agrees with ``x`` (edges) on everything but the edges."""
    assert (x.has_edges, y.has_edges) == (True, False)
    assert [y.state(i) for i in range(len(y.states))] == [x.state(i) for i in range(len(x.states))]
    assert [y.label(k) for k in range(len(y.labels))] == [x.label(k) for k in range(len(x.labels))]
    for name in ("parent", "via", "depth"):
        assert getattr(y, name) == getattr(x, name), name
    assert (y.terminal, y.expanded, y.complete, y.stopped, y.max_depth, y.transitions) == \
        (x.terminal, x.expanded, x.complete, x.stopped, x.max_depth, x.transitions)


@pytest.mark.parametrize("engine", ["bfs", "packed"])
@pytest.mark.parametrize("limit", [None, 1, 37, 4097, 28_816])
def test_without_edges_the_same_states_and_parents(engine, limit):
    f = explore_function(engine)
    x = f(build(preset("default")), max_states=limit)
    y = f(build(preset("default")), max_states=limit, edges=False)
    _same_without_edges(x, y)
    if limit is None:
        assert (len(y.states), y.transitions, len(y.terminal), y.max_depth) == (28_817, 116_481, 17, 21)
    else:
        assert (len(y.states), y.stopped) == (limit, "max-states")
    # an invariant's counterexample needs only the parents: the same run, step for step
    assert y.path(28_816 if limit is None else limit - 1) == x.path(28_816 if limit is None else limit - 1)


@pytest.mark.parametrize("engine", ["bfs", "packed"])
def test_edge_readers_refuse_an_exploration_without_edges(engine):
    from tcpcheck.model.explorer import EdgesNotKept
    from tcpcheck.model.export import state_graph

    y = explore_function(engine)(build(preset("default")), edges=False)
    readers = {"graph": y.graph, "labels_between": lambda: y.labels_between(0, 1),
               "walk with labels": lambda: y.walk([0, 1], [y.via[1]]),
               "walk off the tree": lambda: y.walk([1, 0]), "len(src)": lambda: len(y.src),
               "dst[0]": lambda: y.dst[0], "zip(lab)": lambda: list(zip(y.lab)),
               "export": lambda: state_graph(y, build(preset("default")).table)}
    for name, read in readers.items():
        with pytest.raises(EdgesNotKept, match=r"kept no edges \(explore\(\.\.\., edges=False\)"):
            read()
    # along the shortest-path tree a walk needs no edge
    assert y.walk([0, 1]) == y.path(1)


def test_without_edges_on_the_duplicating_preset_in_small_chunks():
    cfg = preset("duplicating")
    x = packed.explore(build(cfg), chunk=512)
    y = packed.explore(build(cfg), chunk=512, edges=False)
    _same_without_edges(x, y)
    assert len(y.states) == len(x.states) and y.transitions == len(x.src)


def test_without_edges_an_interrupt_leaves_a_consistent_exploration():
    calls = []

    def observe(x):
        calls.append(x.expanded)
        if len(calls) == 12:
            raise KeyboardInterrupt
    y = packed.explore(build(preset("default")), observe=observe, chunk=1000, interruptible=True, edges=False)
    assert (y.stopped, y.complete, y.expanded, y.has_edges) == ("interrupted", False, calls[-1], False)
    assert len(y.parent) == len(y.via) == len(y.depth) == len(y.states) > y.expanded > 1000


def test_scale_bench_runs_the_series_without_edges_too(capsys):
    import json

    from tcpcheck.model.scale_bench import bench_scale, can_search_without_edges

    assert bench_scale(["packed", "bfs"], names=["default"], as_json=True, no_edges=True) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(_scale_validator().iter_errors(doc)) == []
    assert [(r["engine"], r["edges"], r["states"], r["transitions"], r["complete"]) for r in doc["rows"]] == [
        ("packed", True, 28_817, 116_481, True), ("packed", False, 28_817, 116_481, True),
        ("bfs", True, 28_817, 116_481, True), ("bfs", False, 28_817, 116_481, True)]
    assert list(doc["summary"]) == ["packed", "packed/no-edges", "bfs", "bfs/no-edges"] and doc["no_edges"] is True
    assert (can_search_without_edges("packed"), can_search_without_edges("dask")) == (True, False)
    assert bench_scale(["packed"], names=["default"], no_edges=True) == 0
    out = capsys.readouterr().out
    assert "\npacked/no-edges default                    28,817      116,481 " in out
    assert "packed/no-edges: largest configuration completed within 600 s, 8 GiB: default (28,817 states)" in out
    assert "ENGINE/no-edges: the search that keeps no edges, as SPIN's safety run keeps none)" in out
    broken = dict(doc, rows=[dict(doc["rows"][1], edges="no")])
    assert [list(e.path) for e in _scale_validator().iter_errors(broken)] == [["rows", 0, "edges"]]


def test_the_states_give_the_monitor_their_columns_without_tuples():
    """PackedStates.columns (the properties' monitor's protocol) is the unpacked
    states field by field, over any range, and the check reads it with the same
    verdicts as the explorer's."""
    x = packed.explore(build(preset("default")))
    tuples = x.states[:]
    for lo, hi in ((0, len(tuples)), (5, 6), (100, 4196), (len(tuples) - 3, len(tuples))):
        cols = x.states.columns(lo, hi)
        assert [list(map(int, c)) for c in cols] == [list(f) for f in zip(*tuples[lo:hi])]
    verdicts = lambda r: [(v.name, v.verdict, v.state) for v in r.verdicts]  # noqa: E731
    assert verdicts(run(preset("default"), engine="packed")) == verdicts(run(preset("default")))


def test_check_hands_its_engine_options_to_the_search():
    """run(engine_options=...) reaches the engine: bench --check runs the packed engine on one core."""
    one = run(preset("reliable"), engine="packed", engine_options={"cores": 1})
    assert one.exploration.cores == 1
    two = run(preset("reliable"), engine="packed", engine_options={"cores": 2})
    assert two.exploration.cores == (2 if packed._kernel() else 1)  # threads need the compiled kernel
    assert [v.verdict for v in one.verdicts] == [v.verdict for v in two.verdicts]
    with pytest.raises(TypeError):
        run(preset("reliable"), engine="packed", engine_options={"core": 1})


# --- the endpoints' tables precomputed (explore(..., precompute=True), as bench --vs spin runs it) ----


@pytest.mark.parametrize("name,cfg,table", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_precomputed_tables_give_the_same_exploration(name, cfg, table):
    x = bfs(build(cfg, table))
    y = packed.explore(build(cfg, table), precompute=True)
    _same(x, y)
    # a broken variant's endpoint that counts on for ever: the fixpoint is given up, the search computes all
    assert y.precomputed is (name != "mutant fin-resent-as-new") and y.precompute_seconds > 0
    assert packed.explore(build(cfg, table), precompute=False).precompute_seconds == 0.0


def test_precomputed_tables_are_the_endpoint_fixpoint():
    """default's fixpoint: 80 local states of A, 83 of B, 22 and 23 segments: 4 local entries (one per
    ``timers``) per local state, a reaction per local state and segment of its peer; the search then
    meets no endpoint entry the precomputation left out, and computes the channels' entries itself."""
    from tcpcheck.model.system import endpoint_closure

    m = build(preset("default"))
    locs, segs = endpoint_closure(m)
    assert ([len(ls) for ls in locs], [len(ss) for ss in segs]) == ([80, 83], [22, 23])
    y = packed.explore(build(preset("default")), precompute=True, cores=1)
    e = y._engine
    assert (e.local.index.keys.n, e.receive.index.keys.n) == (4 * (80 + 83), 80 * 23 + 83 * 22) == (652, 3666)
    z = packed.explore(build(preset("default")), cores=1)  # without: only the entries the search meets
    assert (z._engine.local.index.keys.n, z._engine.receive.index.keys.n) == (325, 1485)
    # the channels are the kernel's: 262 contents, the network entries of 263 (content, direction) pairs
    assert [(f.chan.n, len(f.chan.entries())) for f in (e, z._engine)] == [(262, 263)] * 2
    assert [n.index.keys.n for n in (e.push, e.deliveries, e.faults)] == [0, 0, 0]  # the numpy passes' memos
    _same(z, y)


def test_precomputed_tables_without_the_kernel(kernel):
    kernel("numpy")
    for cfg in (preset("default"), dataclasses.replace(preset("default"), loss_budget=1)):
        _same(bfs(build(cfg)), packed.explore(build(cfg), precompute=True))


def _broken_precompute(monkeypatch, which: str):
    """The precomputation, then one entry made wrong: A's local steps in the initial state (the
    TCB of its OPEN), or B's reaction to the SYN A's OPEN sends (the TCB it moves to)."""
    precompute = packed._Engine.precompute

    def broken(self):
        precompute(self)
        m = self.m
        s0 = m.initial_states()[0]
        if which == "local":
            memo, key = self.local, (s0[0] << 34) | (s0[2] << 4) | m.timers(True, s0[1])
        else:
            (step, _, _), = m.local_reactions(0, s0[0], s0[2], m.timers(True, s0[1]))
            (syn,) = m.step(step).sent
            memo, key = self.receive, (1 << 62) | (s0[1] << 41) | (s0[3] << 21) | self.segs[syn]
        (i,) = memo.index.find(np.array([key], dtype=np.uint64))
        assert i >= 0
        at = memo.start.a[i]
        memo.cols[1].a[at] = (memo.cols[1].a[at] + 1) % len(m.tcb_ids.items)  # another TCB
    monkeypatch.setattr(packed._Engine, "precompute", broken)


@pytest.mark.parametrize("which", ["local", "receive"])
@pytest.mark.parametrize("engine", ["c", "numpy"])
def test_a_wrong_precomputed_entry_is_caught(kernel, monkeypatch, which, engine):
    """A precomputed entry that is not the model's stops the search with the verify's error (the first
    chunks are compared whole with Model.successors), instead of giving other counts."""
    kernel(engine)
    _broken_precompute(monkeypatch, which)
    with pytest.raises(RuntimeError, match="disagrees with Model.successors at state"):
        packed.explore(build(preset("default")), precompute=True)
    # the same broken precomputation is not used without precompute: the search is right
    y = packed.explore(build(preset("default")))
    assert (len(y.states), y.transitions) == (28_817, 116_481)


# --- the edges' row offsets (x.edge_offsets, liveness's CSR row pointers without a pass over src) ---


def test_edge_offsets_pinned_on_default():
    y = packed.explore(build(preset("default")))
    o = y.edge_offsets
    assert (len(o), o.dtype.name, o.flags.writeable) == (28_818, "int32", False)
    assert o[:8].tolist() == [0, 2, 6, 8, 11, 15, 19, 22] and int(o[-1]) == 116_481
    assert y.store["edge_offsets"] >= o.nbytes and y.stored_bytes() == sum(y.store.values())
    assert packed.explore(build(preset("default")), edges=False).edge_offsets is None


@pytest.mark.parametrize("chunk", [1, 7, 333])
@pytest.mark.parametrize("name", ["default", "duplicating", "reliable"])
def test_edge_offsets_over_many_chunks(name, chunk):
    """Tiny chunks: thousands of chunks' offsets appended, the same row pointers."""
    cfg = preset(name)
    y = packed.explore(build(cfg), chunk=chunk, max_states=6_000)
    assert _offsets_right(y)
    _same(bfs(build(cfg), max_states=6_000), y)


@pytest.mark.parametrize("limit", [1, 2, 37, 4097, 28_816])
@pytest.mark.parametrize("cores", [1, 2])
def test_edge_offsets_after_a_budget_cut(limit, cores):
    y = packed.explore(build(preset("default")), max_states=limit, chunk=500, cores=cores)
    assert y.stopped == "max-states" and _offsets_right(y)
    assert int(y.edge_offsets[y.expanded]) == int(y.edge_offsets[-1]) == len(y.src)


@pytest.mark.parametrize("at", [4, 5, 6, 7, 8, 9, 10, 31, 32, 33, 34])  # 1-3: the initial states'
def test_edge_offsets_after_an_interrupt_anywhere(monkeypatch, at):
    """An interrupt at the at-th append of a chunk's arrays (between any two
    of parent, via, depth, src, dst, lab): the exploration is cut, and its
    offsets are those of its src."""
    calls = [0]
    append = packed._append

    def interrupting(arr, values):
        calls[0] += 1
        if calls[0] == at:
            raise KeyboardInterrupt
        append(arr, values)
    monkeypatch.setattr(packed, "_append", interrupting)
    y = packed.explore(build(preset("default")), chunk=100, interruptible=True)
    assert y.stopped == "interrupted" and _offsets_right(y)
    assert len(y.edge_offsets) == len(y.states) + 1 and int(y.edge_offsets[y.expanded]) == len(y.src)


def test_edge_offsets_widen_past_two_to_the_31():
    """Edges beyond int32: the offsets become int64 (as _indptr's do), and
    int32 again when the edges kept are fewer."""
    o = packed._Grow(np.int32, 4)
    o.extend([0, 2 ** 31 - 5])
    packed._extend_offsets(o, np.array([1, 3, 0, 2]))
    assert o.a.dtype == np.int64 and o.view().tolist() == [0, 2 ** 31 - 5, 2 ** 31 - 4, 2 ** 31 - 1, 2 ** 31 - 1,
                                                           2 ** 31 + 1]
    f = packed._finish_offsets(o, 5, 7, 2 ** 31 + 1)
    assert f.dtype == np.int64 and f[-3:].tolist() == [2 ** 31 + 1] * 3
    o.n = 3
    f = packed._finish_offsets(o, 1, 4, 2 ** 31 - 5)  # cut back (an interrupt) below 2**31
    assert f.dtype == np.int32 and f.tolist() == [0] + [2 ** 31 - 5] * 4
    with pytest.raises(RuntimeError, match="edge offsets"):
        packed._finish_offsets(o, 1, 4, 7)  # offsets that do not end at the edges kept


def test_wrong_edge_offsets_fail_the_comparison(monkeypatch):
    """The comparison is real: one entry one off fails it, and so do offsets
    whose counts are given to the wrong states (the same total)."""
    y = packed.explore(build(preset("default")))
    assert _offsets_right(y)
    good = y.edge_offsets
    y.edge_offsets = good.copy()
    y.edge_offsets[1000] += 1
    assert not _offsets_right(y)
    y.edge_offsets = good.astype(np.int64)
    assert not _offsets_right(y)  # the dtype is part of the contract
    extend = packed._extend_offsets
    monkeypatch.setattr(packed, "_extend_offsets", lambda o, counts: extend(o, np.roll(counts, 1)))
    assert not _offsets_right(packed.explore(build(preset("default")), chunk=1000))


# --- the search's fixed costs: the kernel's context from kept addresses, the memo's new keys, no GC --


def test_the_context_follows_the_arrays_as_they_move():
    """The kernel's context is made of the addresses each array keeps (_Grow.addr, _Index.words): after
    a memo's arrays grew (and moved) the context is made again with their new addresses, else kept."""
    import copy

    e = packed._Engine(build(preset("default")))
    ctx = e._context()
    assert e._context() is ctx  # nothing moved
    memo = e.deliveries
    before = memo.cols[0].addr
    memo.cols[0].extend(np.zeros(5000, dtype=np.int64))  # past its 1,024 of room: a new array
    assert memo.cols[0].addr == memo.cols[0].a.ctypes.data != before
    new = e._context()
    assert new is not ctx and memo.cols[0].a.ctypes.data in new.tolist()
    assert before not in new.tolist()
    g = copy.deepcopy(memo.cols[0])  # a copy points at its own array
    assert g.addr == g.a.ctypes.data != memo.cols[0].addr
    ix = copy.deepcopy(memo.index)
    assert ix.words[0] == ix.table.ctypes.data != memo.index.words[0]


def test_a_memo_adds_new_keys_with_their_rows():
    calls = []
    memo = packed._Memo(2, lambda k: calls.append(k) or [(k, 1), (k, 2)][:k % 3])
    assert memo.add_new(np.array([4, 6, 8], dtype=np.uint64)).tolist() == [0, 1, 2]
    assert (memo.start.view().tolist(), memo.count.view().tolist()) == ([0, 1, 1], [1, 0, 2])
    assert [c.view().tolist() for c in memo.cols] == [[4, 8, 8], [1, 1, 2]]
    assert memo._numbers(np.array([8, 5, 4, 5], dtype=np.uint64)).tolist() == [2, 3, 0, 3]
    assert calls == [4, 6, 8, 5]  # each key computed once


def test_the_garbage_collector_is_paused_for_the_search_only(monkeypatch):
    import gc

    seen = []
    monkeypatch.setattr(packed, "_explore", lambda *a, **kw: seen.append(gc.isenabled()) or "x")
    assert gc.isenabled() and packed.explore(build(preset("seed"))) == "x" and gc.isenabled()
    gc.disable()
    try:
        packed.explore(build(preset("seed")))
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()

    def failing(*a, **kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(packed, "_explore", failing)
    with pytest.raises(KeyboardInterrupt):
        packed.explore(build(preset("seed")))
    assert gc.isenabled() and seen == [False, False]


def test_a_wrong_entry_added_from_the_numpy_passes_misses_is_caught(kernel, monkeypatch):
    """A delivery that add_new keeps wrong (what stays in the channel said to be nothing) is stopped by
    the comparison with Model.successors, not turned into other counts; kept right, the same search."""
    kernel("numpy")
    engines, add = [], packed._Memo.add_new
    init = packed._Engine.__init__

    def keep(self, model):
        init(self, model)
        engines.append(self)

    def wrong(self, new):
        ids = add(self, new)
        e = engines[-1]
        if self is e.deliveries:
            rest = self.cols[1].view()
            rest[rest != e.empty] = e.empty
        return ids
    monkeypatch.setattr(packed._Engine, "__init__", keep)
    monkeypatch.setattr(packed._Memo, "add_new", wrong)
    with pytest.raises(RuntimeError, match="disagrees with Model.successors at state"):
        packed.explore(build(preset("default")), cores=1)
    monkeypatch.setattr(packed._Memo, "add_new", add)
    _same(bfs(build(preset("default"))), packed.explore(build(preset("default")), cores=1))


def _entries_made_wrong(monkeypatch):
    """After each kernel run, every delivery in its channel store leaves the channel empty."""
    engines, init, run = [], packed._Engine.__init__, packed._Part.run

    def keep(self, model):
        init(self, model)
        engines.append(self)

    def wrong(self, *a):
        run(self, *a)
        ch = engines[-1].chan
        for c, d in ch.entries():
            at = int(ch.net[2 * c + d])
            ch.eb[at:at + int(ch.nd[2 * c + d])] = engines[-1].empty
    monkeypatch.setattr(packed._Engine, "__init__", keep)
    monkeypatch.setattr(packed._Part, "run", wrong)


@pytest.mark.parametrize("cores", [1, 2])
def test_a_wrong_delivery_in_the_kernels_channel_store_is_caught(monkeypatch, cores):
    """The kernel's own network entries, made wrong after each run (a delivery leaves nothing in the
    channel), are stopped by the comparison with Model.successors; on one core and on two."""
    monkeypatch.setattr(packed, "_SPLIT", 2)
    _entries_made_wrong(monkeypatch)
    with pytest.raises(RuntimeError, match="disagrees with Model.successors at state"):
        packed.explore(build(preset("default")), cores=cores)


# a native channel step written wrong: (the preset it shows on, the kernel's line, the wrong line)
WRONG_CHANNELS = {
    "a sorted channel's delivery takes another segment out": (
        "default", "removed(s, n, i, rest);", "removed(s, n, n - 1 - i, rest);"),
    "a FIFO channel delivers its last segment": (
        "reliable", "h->ea[e] = s[0]; h->eb[e] = r; e++;", "h->ea[e] = s[n - 1]; h->eb[e] = r; e++;"),
    "a push into a sorted channel keeps the order of arrival": (
        "default", "h->rank[s[at - 1]] > h->rank[q]", "h->rank[s[at - 1]] > h->rank[q] && 0"),
    "a full channel keeps the segment": (
        "default", "if (n >= h->cap) { dropped++; continue; }", "if (n > h->cap) { dropped++; continue; }"),
    "a duplicate goes first": (  # (capacity 3: a channel of two segments may have one duplicated)
        dataclasses.replace(preset("duplicating"), capacity=3), "for (int64_t j = 0; j <= i; j++) out[j] = s[j];",
        "for (int64_t j = 0; j <= i; j++) out[j] = s[i];"),
    "a relabelled step says one segment fewer was dropped": (
        "default", "-1 - ((step << 4) | dropped)", "-1 - ((step << 4) | (dropped - 1))"),
    "a lost segment's step is its duplication": (
        "default", "int64_t what = label ? label[4 * s[i]] : s[i];",
        "int64_t what = label ? label[4 * s[i] + 2] : s[i];"),
}


@pytest.mark.parametrize("why", list(WRONG_CHANNELS))
def test_a_wrong_native_channel_step_is_caught(kernel, monkeypatch, why):
    """Each of the kernel's channel steps (deliveries from a sorted channel and a FIFO one, a push in
    order and at a full channel, a duplication, a loss's label) written wrong: the search stops with
    the verify's error, or the model's refusal of a content the kernel made, instead of other counts."""
    cfg, right, wrong = WRONG_CHANNELS[why]
    assert packed._KERNEL_C.count(right) == 1
    monkeypatch.setattr(packed, "_KERNEL_C", packed._KERNEL_C.replace(right, wrong))
    kernel("c")
    with pytest.raises(RuntimeError, match="disagrees with Model.successors at state|made channel content"):
        packed.explore(build(preset(cfg) if isinstance(cfg, str) else cfg), cores=1)


def test_relabelled_steps_the_kernel_cannot_label_are_missing_entries(kernel, monkeypatch):
    """A relabelling whose count of dropped segments does not fit a provisional label's 4 bits is a
    missing memo entry instead (the model computes it, the kernel runs again): here every one, the
    same search."""
    right = "if (i < 0 && dropped > 15)"
    assert packed._KERNEL_C.count(right) == 1
    monkeypatch.setattr(packed, "_KERNEL_C", packed._KERNEL_C.replace(right, "if (i < 0 && dropped > 0)"))
    kernel("c")
    runs = []
    run = packed._Part.run
    monkeypatch.setattr(packed._Part, "run", lambda self, *a: runs.append(1) or run(self, *a))
    _same(bfs(build(preset("default"))), packed.explore(build(preset("default")), cores=1, precompute=True))
    assert len(runs) == 34  # 22 chunks, and 12 rounds for the relabellings


@pytest.mark.parametrize("name", ["default", "duplicating", "reliable"])
def test_the_kernels_channels_are_those_of_the_states_found(monkeypatch, name):
    """The kernel interns the channel contents and computes their network entries as it meets them:
    on a whole search it holds exactly the contents of the states found, in the model's ids, and the
    entries of exactly the (content, direction) pairs found.  With the endpoints' tables precomputed
    and the relabelled steps resolved after each run, nothing is missing: default's 22 chunks need 22
    kernel runs (40 when Python computed the channels' entries in the rounds, 51 before)."""
    runs = []
    run = packed._Part.run
    monkeypatch.setattr(packed._Part, "run", lambda self, *a: runs.append(1) or run(self, *a))
    chunks, chunk = [], packed._expand_chunk
    monkeypatch.setattr(packed, "_expand_chunk", lambda *a: chunks.append(1) or chunk(*a))
    x = packed.explore(build(preset(name)), edges=False, cores=1, precompute=True)
    e = x._engine
    c = e.layout.unpack(e.states.view())
    met = {(int(f), 0) for f in c[4]} | {(int(f), 1) for f in c[5]}
    assert e.chan.entries() == met
    assert e.chan.n == len(e.m.flight_ids.items) == len(set(c[4].tolist()) | set(c[5].tolist()))
    assert [tuple(e.seg_items[q] for q in e.chan.content(i)) for i in range(e.chan.n)] == e.m.flight_ids.items
    if name == "default":
        assert (len(met), len(runs), len(chunks)) == (263, 22, 22)
    _same_without_edges(packed.explore(build(preset(name)), precompute=True), x)
    _same(bfs(build(preset(name))), packed.explore(build(preset(name)), precompute=True))


@pytest.mark.parametrize("cores", [1, 2])
def test_the_channel_store_grows_from_no_room(monkeypatch, cores):
    """A store with room for one content and one entry: it says it is full again and again, grows
    each time, and the search is the same."""
    monkeypatch.setattr(packed, "_CHAN_ROOM", (1, 1))
    monkeypatch.setattr(packed, "_SPLIT", 2)
    for cfg in (preset("default"), preset("duplicating")):
        _same(bfs(build(cfg)), packed.explore(build(cfg), chunk=900, cores=cores))


def test_a_kernel_that_says_its_store_is_full_when_it_is_not_stops():
    """A kernel asking for room it has would make the store grow for ever: an error instead."""
    e = packed._Engine(build(preset("default")))
    with pytest.raises(RuntimeError, match=r"says its channel store is full, with room for 1024 contents \(0 used\)"):
        e.chan.grow()


@pytest.mark.parametrize("cores", [1, 2])
def test_a_kernel_that_asks_for_ever_stops_the_search_instead_of_looping(monkeypatch, cores):
    """A kernel run that asks again, from the same row, for the memo entries it was just given (here
    a local entry the tables already hold) makes no progress: the second identical ask is an error."""
    run = packed._Part.run

    def asking(self, lib, *at):
        run(self, lib, *at)
        self.status, self.r, self.j = 1, self.lo, 0
        self.res[:] = (0, 1, self.lo)
        self.miss_memo[0], self.miss_key[0] = 0, int(packed._local_key(0, 0, 0, 3))
    monkeypatch.setattr(packed._Part, "run", asking)
    monkeypatch.setattr(packed, "_SPLIT", 2)
    with pytest.raises(RuntimeError, match=r"asks again for the memo entries it was given \(rows 0\.\., resumed at 0\)"):
        packed.explore(build(preset("default")), cores=cores)
