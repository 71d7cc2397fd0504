"""The search on a Dask cluster (model/distributed.py) finds exactly what the
one-process search finds: the same states in the same order, the same
parents, steps, depths, edges and terminal states, and so the same verdicts
and counterexamples; under a state budget it stops at the same state.  Run on
a local cluster of two worker processes, started once for the module."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

from dask.distributed import Client, LocalCluster  # noqa: E402

from tcpcheck.model import distributed  # noqa: E402
from tcpcheck.model.checker import build, run  # noqa: E402
from tcpcheck.model.config import PRESETS, preset  # noqa: E402
from tcpcheck.model.explorer import explore  # noqa: E402
from tcpcheck.model.mutants import MUTANTS, apply_mutant, mutant_config  # noqa: E402
from tcpcheck.model.report import result_json  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster) as c:
        yield c


def _seen(x):
    """Everything an exploration found, readable (interned ids differ between processes)."""
    return {"states": [x.state(i) for i in range(len(x.states))], "parent": list(x.parent),
            "via": [x.label(k) for k in x.via if k >= 0], "depth": list(x.depth), "src": list(x.src),
            "dst": list(x.dst), "lab": [x.label(k) for k in x.lab], "terminal": x.terminal,
            "expanded": x.expanded, "complete": x.complete, "stopped": x.stopped}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_presets_are_explored_state_for_state_alike(client, name):
    one = explore(build(preset(name)))
    many = distributed.explore(build(preset(name)), client=client)
    assert _seen(many) == _seen(one)


def test_each_partition_holds_a_share_of_the_states(client):
    """Both workers own states (the hash spreads them), and three partitions
    on two workers give the same exploration as two."""
    x2 = distributed.explore(build(preset("reliable")), client=client)
    x3 = distributed.explore(build(preset("reliable")), client=client, partitions=3)
    assert _seen(x3) == _seen(x2)
    owners = [distributed.owner(x2.state(i), 2) for i in range(len(x2.states))]
    assert 0 < owners.count(0) < len(owners)


@pytest.mark.parametrize("limit", [1, 2, 100, 5000])
def test_a_state_budget_stops_at_the_same_state(client, limit):
    one = explore(build(preset("default")), max_states=limit)
    many = distributed.explore(build(preset("default")), client=client, max_states=limit)
    assert _seen(many) == _seen(one)
    assert many.stopped == "max-states" and len(many.states) == limit


def test_the_coordinator_of_a_search_keeps_the_states_as_columns(client):
    """distributed.explore (the search alone, as the API and the benches call it)
    gives the coordinator the states as 4 bytes per component (ColumnStates),
    which a batch of the properties' monitor reads as columns."""
    x = distributed.explore(build(preset("default")), client=client)
    n = len(x.states)
    assert isinstance(x.states, distributed.ColumnStates) and n == 28817
    cols = x.states.columns(0, n)
    assert [c.dtype.name for c in cols] == ["int64"] * 6 and [tuple(r) for r in zip(*(c.tolist() for c in cols))] \
        == list(x.states) == x.states[0:n]
    assert x.states.nbytes() < 6 * 4 * n * 1.2  # (array's over-allocation)
    assert x.states.take(np.array([0, n - 1, 5])) == [x.states[0], x.states[n - 1], x.states[5]]


def _doc(result):
    doc = result_json(result)
    doc.pop("timings"), doc.pop("seconds")
    for p in doc["properties"]:
        p.pop("seconds", None)
    return doc


def test_the_check_on_the_cluster_leaves_the_exploration_on_the_partitions(client, monkeypatch):
    """check --engine dask: the partitions keep the states, parents and edges and
    check the properties on them; the coordinator keeps one byte per state (its
    owner) and gathers only the states of the counterexamples and witnesses.
    Every verdict and counterexample is the one-process check's: on `default` an
    invariant holds, the step property, deadlock freedom and a liveness property
    are violated (a cycle), and each reachability property has its witness."""
    from tcpcheck.model.cluster_check import ClusterExploration, NotGathered

    monkeypatch.setattr(distributed, "_client", lambda: (client, []))
    r = run(preset("default"), engine="dask")
    x = r.exploration
    assert isinstance(x, ClusterExploration) and len(x.states) == len(x.owner) == 28817
    assert x.transitions == 116481 and x.max_depth == 21 and sorted(set(x.owner)) == [0, 1]
    assert 0 < len(x._known) < 300  # the states of the runs the report prints, not the 28,817
    one = run(preset("default"))
    assert _doc(r) == _doc(one)
    assert [v.verdict for v in r.verdicts].count("violated") == 3
    lasso = next(v.lasso for v in r.verdicts if v.name == "every close completes")
    assert lasso == next(v.lasso for v in one.verdicts if v.name == "every close completes")
    assert len(lasso.stem) == 13 and not lasso.cycle  # B left waiting in FIN_WAIT_2 (claim C11)
    with pytest.raises(NotGathered, match="was not gathered before the cluster was closed"):
        x.state(28000)
    from tcpcheck.model.errors import InputError
    with pytest.raises(InputError, match="reachable-state graph, its export and its diagrams need --engine bfs"):
        x.graph()


@pytest.mark.parametrize("limit", [1, 100, 5000])
def test_the_check_on_the_cluster_under_a_state_budget(client, monkeypatch, limit):
    monkeypatch.setattr(distributed, "_client", lambda: (client, []))
    cfg, table = apply_mutant("no-fin-retransmit", mutant_config("no-fin-retransmit"))
    assert _doc(run(cfg, table, engine="dask", max_states=limit)) == _doc(run(cfg, table, max_states=limit))


def test_a_partition_that_reports_its_own_numbers_is_caught(client, monkeypatch):
    """The comparison can fail: a partition that gives its first finds by its local
    numbers, not the global ids, points the counterexamples at other states."""

    class Local(distributed.Partition):  # defined here: sent to the workers by value
        def finish(self):
            finds = distributed._unpack(super().finish())
            finds["decided"] = {name: v._replace(state=int(np.searchsorted(self.kept.gids, v.state)))
                                for name, v in finds["decided"].items()}
            return distributed._pack(finds)

    cfg, table = apply_mutant("syn-counted-twice", mutant_config("syn-counted-twice"))
    monkeypatch.setattr(distributed, "_client", lambda: (client, []))
    good = run(cfg, table, engine="dask")
    real = distributed.explore
    monkeypatch.setattr(distributed, "explore", functools.partial(real, partition=Local))
    bad = run(cfg, table, engine="dask")
    assert _doc(good) == _doc(run(cfg, table)) != _doc(bad)


def test_a_model_whose_states_are_not_ids_is_kept_as_a_list(client):
    class Counter:
        def initial_states(self):
            return ["s0"]

        def successors(self, s):
            return [("next", f"s{int(s[1:]) + 1}")] if s != "s5" else [("wrap", "s0")]
    x = distributed.explore(Counter(), client=client)
    assert x.states == ["s0", "s1", "s2", "s3", "s4", "s5"] and list(x.dst) == [1, 2, 3, 4, 5, 0]


#: mutants of each kind: changes of the segment semantics (syn-counted-twice, syn-not-counted)
#: and of the table, failing invariants, the step property, deadlock freedom and liveness
SOME_MUTANTS = ["syn-counted-twice", "syn-not-counted", "last-ack-silent", "no-fin-retransmit",
                "time-wait-forever"]


@pytest.mark.parametrize("name", SOME_MUTANTS)
def test_mutants_have_the_same_verdicts_and_counterexamples(client, name, monkeypatch):
    cfg, table = apply_mutant(name, mutant_config(name))
    monkeypatch.setattr(distributed, "_client", lambda: (client, []))
    bfs = result_json(run(cfg, table))
    dask = result_json(run(cfg, table, engine="dask"))
    for doc in (bfs, dask):
        doc.pop("timings"), doc.pop("seconds")
        for p in doc["properties"]:
            p.pop("seconds", None)
    assert dask == bfs
    assert any(p["verdict"] == "violated" for p in bfs["properties"])  # the comparison has something to compare


def test_the_mutants_named_exist():
    assert set(SOME_MUTANTS) <= set(MUTANTS)


def test_a_broken_partition_is_caught_by_the_comparison(client):
    """The comparison above can fail: a partition that forgets what it has
    seen numbers the states it meets again on a later level (those a cycle
    leads back to) as new ones: 327 states instead of 307."""

    class Forgetful(distributed.Partition):  # defined here: sent to the workers by value
        def resolve(self, blobs):
            self.visited.find = lambda states: np.full(len(states), -1)  # it finds nothing again
            return super().resolve(blobs)

    x = distributed.explore(build(preset("reliable")), client=client, partition=Forgetful)
    one = explore(build(preset("reliable")))
    assert (len(x.states), len(one.states)) == (327, 307)
    assert _seen(x) != _seen(one)


def test_check_engine_dask_on_the_cluster_a_variable_names(cluster):
    """`tcpcheck check --engine dask` with TCPCHECK_DASK_SCHEDULER set runs on that
    cluster, and prints what --engine bfs prints but for the times."""
    env = dict(os.environ, TCPCHECK_DASK_SCHEDULER=cluster.scheduler_address)

    def check(engine):
        p = subprocess.run([sys.executable, "-m", "tcpcheck", "check", "--preset", "seed", "--engine", engine, "-q"],
                           capture_output=True, text=True, env=env, timeout=300)
        return p.returncode, p.stdout

    assert check("dask") == check("bfs")
    assert check("dask")[1].splitlines()[-2:] == [
        "Result: all 18 properties hold; CLOSING is not reached, and not meant to be in",
        "    preset 'seed'."]


def test_an_unreachable_scheduler_is_a_clear_error():
    env = dict(os.environ, TCPCHECK_DASK_SCHEDULER="tcp://127.0.0.1:9", TCPCHECK_DASK_TIMEOUT="2")
    p = subprocess.run([sys.executable, "-m", "tcpcheck", "check", "--preset", "seed", "--engine", "dask"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2
    assert p.stderr.startswith("tcpcheck: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 "
                               "(TCPCHECK_DASK_SCHEDULER)")
    assert "Traceback" not in p.stderr


def test_a_local_cluster_that_cannot_start_is_a_clear_error(monkeypatch):
    """Found by the fuzz campaign under its memory limit: dask's "Nanny failed to start"
    is exit 2 with what to do, not an internal error; so is a bad worker count."""
    import dask.distributed

    from tcpcheck.model.errors import InputError

    def fails(**kwargs):
        raise RuntimeError("Nanny failed to start.")

    monkeypatch.setattr(dask.distributed, "LocalCluster", fails)
    monkeypatch.delenv("TCPCHECK_DASK_SCHEDULER", raising=False)
    with pytest.raises(InputError, match=r"^cannot start a local Dask cluster of 2 worker process\(es\): "
                                         r"Nanny failed to start\.; or point TCPCHECK_DASK_SCHEDULER"):
        distributed._client()
    monkeypatch.setenv("TCPCHECK_DASK_WORKERS", "two")
    with pytest.raises(InputError, match=r"^TCPCHECK_DASK_WORKERS='two': expected a number"):
        distributed._client()


def test_a_partitions_visited_set_finds_what_it_was_given_across_widenings_and_the_dict():
    """The visited set packs each state into 64 bits, widening the fields as the
    ids grow (and packing what it has again), and falls back to a dict when the
    ids need more than 64 bits together or are not small integers: through all
    of it, each state is found at its local number, and only those added."""
    v = distributed._Visited()
    v.add([(0, 1), (1, 0)], np.array([10, 11]))
    assert v._layout.widths == [1, 1]
    assert v.find([(1, 0), (0, 0), (0, 1)]).tolist() == [1, -1, 0]
    v.add([(5, 300)], np.array([12]))  # outgrows both fields: 3 + 9 bits, the rest of 64 spread over them
    assert v._layout.widths == [29, 35] and v._seen is None
    assert v.find([(5, 300), (0, 1), (1, 0), (300, 5)]).tolist() == [2, 0, 1, -1]
    v.add([(2 ** 31 - 1, 2 ** 31 - 1), (2 ** 30, 7)], np.array([13, 14]))  # 31 + 31 bits: still one word
    assert v._seen is None
    wide = distributed._Visited()
    wide.add([(1, 2, 3)], np.array([0]))
    wide.add([(2 ** 30, 2 ** 30, 2 ** 30)], np.array([1]))  # 3 x 31 bits: a dict from now on, still columns
    assert wide._seen is not None and isinstance(wide.states, distributed.ColumnStates)
    assert wide.find([(2 ** 30, 2 ** 30, 2 ** 30), (1, 2, 3), (1, 2, 4)]).tolist() == [1, 0, -1]
    assert v.find([(2 ** 30, 7), (2 ** 31 - 1, 2 ** 31 - 1), (5, 300), (0, 2)]).tolist() == [4, 3, 2, -1]
    assert list(v.gids) == [10, 11, 12, 13, 14] and v.states[3:5] == [(2 ** 31 - 1, 2 ** 31 - 1), (2 ** 30, 7)]
    odd = distributed._Visited()
    odd.add([("A", None), ("B", 1)], np.array([0, 1]))  # not ids: a list and a dict
    assert odd.states == [("A", None), ("B", 1)] and odd.find([("B", 1), ("A", 1)]).tolist() == [1, -1]
    big = distributed._Visited()
    big.add([(1, 2)], np.array([0]))
    big.add([(2 ** 40, 2)], np.array([1]))  # no longer fits a column of 32-bit ids: a list from then on
    assert big.states == [(1, 2), (2 ** 40, 2)] and big.find([(2 ** 40, 2), (1, 2)]).tolist() == [1, 0]


def test_owners_hashed_from_a_workers_own_ids_are_caught(client):
    """The owner of a state is a hash of its components' readable values,
    which every worker computes alike.  Hashed from the internal ids instead
    (which each worker's model numbers in the order it meets the values), a
    state met by two workers goes to two owners, and is counted twice."""

    class Parochial(distributed.Partition):  # defined here: sent to the workers by value
        def __init__(self, model, index, count):
            super().__init__(model, index, count)
            self.wire._crc = lambda c, ids: ids.astype(np.uint64)  # the ids, not their values' CRC

    x = distributed.explore(build(preset("default")), client=client, partition=Parochial)
    one = explore(build(preset("default")))
    assert (len(x.states), len(one.states)) == (38287, 28817)
