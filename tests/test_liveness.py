"""The fair-cycle analysis behind the liveness properties, on small graphs
whose right answer can be seen at a glance, then on the TCP model."""

from collections import deque

import pytest

from tcpcheck.model.explorer import explore
from tcpcheck.model.liveness import Lasso, leads_to
from tcpcheck.model.system import Step


def step(actor, kind):
    return Step(actor, kind, f"{actor} {kind}", None, (), ())


class Toy:
    """A model given by its edges: {state: [(actor, kind, next state), ...]}."""

    def __init__(self, edges):
        self.edges = edges

    def initial_states(self):
        return [0]

    def successors(self, s):
        return [(step(a, k), t) for a, k, t in self.edges.get(s, [])]


def check(edges, goal=3):
    x = explore(Toy(edges))
    return leads_to(x, lambda s: s == 0, lambda s: s == goal)


def test_a_fair_cycle_is_a_counterexample():
    lasso = check({0: [("A", "call", 1)], 1: [("B", "rcv", 2)], 2: [("A", "rcv", 1)]})
    assert lasso.stem == [0, 1] and lasso.cycle == [1, 2, 1]


def test_a_run_that_stops_is_a_counterexample():
    lasso = check({0: [("A", "call", 1)], 1: []})
    assert lasso.stem == [0, 1] and lasso.cycle == []


def test_the_goal_reached_on_every_run_holds():
    assert check({0: [("A", "call", 1), ("B", "call", 2)], 1: [("A", "timer", 3)], 2: [("B", "rcv", 3)]}) is None


def test_a_cycle_that_needs_endless_duplication_is_not_fair():
    edges = {0: [("A", "call", 1)], 1: [("network", "duplicate", 2), ("B", "timer", 3)],
             2: [("A", "rcv", 1)]}
    assert check(edges) is None


def test_a_cycle_that_needs_endless_loss_is_not_fair():
    edges = {0: [("A", "call", 1)], 1: [("network", "lose", 2), ("B", "timer", 3)],
             2: [("A", "timer", 1)]}
    assert check(edges) is None


def test_a_step_possible_everywhere_on_the_cycle_is_eventually_taken():
    # A's timer leads out of the cycle and stays possible in both of its states
    edges = {0: [("A", "call", 1)], 1: [("B", "rcv", 2), ("A", "timer", 3)],
             2: [("A", "rcv", 1), ("A", "timer", 3)]}
    assert check(edges) is None


def test_a_step_possible_only_now_and_then_may_be_ignored():
    # weak fairness only: a step that keeps becoming impossible need not be taken
    edges = {0: [("A", "call", 1)], 1: [("B", "rcv", 2), ("A", "timer", 3)],
             2: [("A", "rcv", 1)]}
    lasso = check(edges)
    assert lasso.stem == [0, 1] and lasso.cycle == [1, 2, 1]


def test_the_should_stop_hook_stops_the_analysis():
    import pytest

    from tcpcheck.model.checker import build
    from tcpcheck.model.config import preset
    from tcpcheck.model.liveness import Stopped
    from tcpcheck.model.properties import acceptable_end

    x = explore(build(preset("default")))
    calls = []

    def should_stop():
        calls.append(1)
        return "max-seconds" if len(calls) == 2 else None

    with pytest.raises(Stopped, match="max-seconds"):
        leads_to(x, lambda s: True, acceptable_end, should_stop=should_stop)
    assert len(calls) == 2
    # never asked to stop, the same analysis answers
    assert leads_to(x, lambda s: True, acceptable_end, should_stop=lambda: None) is not None


def test_a_small_region_is_analysed_on_its_own_subgraph_with_the_same_components():
    """Below half the states the fair components are found on the region's own
    renumbered subgraph: the same components, state for state, as on the whole
    graph; an empty region has none (and the broken input: a region that is
    not what was asked gives other components)."""
    import numpy as np

    from tcpcheck.model import liveness as lv
    from tcpcheck.model.checker import build
    from tcpcheck.model.config import preset
    from tcpcheck.model.explorer import explore

    x = explore(build(preset("default")))
    g = lv._Graph(x)
    n = len(x.states)
    states = [x.state(i) for i in range(n)]
    region = np.array([s.A.state in ("CLOSED", "FIN_WAIT_2") for s in states])
    assert 2 * int(region.sum()) == 2 * (524 + 2792) < n
    whole = lv._grouped(lv._fair_labels(g, region))
    assert lv._grouped(lv._fair_labels_of_region(g, region)) == whole
    assert len(whole) == 17  # runs that stop there, and fair cycles
    assert lv._grouped(lv._fair_labels_of_region(g, np.zeros(n, dtype=bool))) == []
    other = region.copy()
    other[whole[0][0]] = False
    assert lv._grouped(lv._fair_labels_of_region(g, other)) != whole


def test_liveness_on_an_exploration_without_edges_says_it_needs_them():
    """A search that kept no edges (explore(..., edges=False), SPIN's safety run) cannot
    decide liveness: the analysis refuses it with EdgesNotKept, not a numpy TypeError."""
    import pytest

    from tcpcheck.model.checker import build
    from tcpcheck.model.config import preset
    from tcpcheck.model.explorer import EdgesNotKept

    x = explore(build(preset("seed")), edges=False)
    with pytest.raises(EdgesNotKept, match="liveness, the step properties"):
        leads_to(x, lambda s: True, lambda s: False)
    assert leads_to(explore(build(preset("seed"))), lambda s: True, lambda s: True) is None


def test_an_exploration_without_a_single_step_is_analysed():
    """A table under which nothing can happen (one state, no step: the fuzz campaign made
    one) has no edges at all; its one state is a run that stops, a lasso without a cycle."""
    class Still:
        def initial_states(self):
            return [0]

        def successors(self, s):
            return []

    x = explore(Still())
    assert (len(x.states), x.transitions) == (1, 0)
    lasso = leads_to(x, lambda s: True, lambda s: False)
    assert (lasso.stem, lasso.cycle) == ([0], [])
    assert leads_to(x, lambda s: True, lambda s: True) is None


# --- the array analysis against plain Python definitions ------------------------------------
#
# The fair components are found in one decomposition of the region without its losses and
# duplications, the region by a level-by-level BFS or scipy's compiled one: each is compared
# here with the definition it stands for, written out in plain Python (the Emerson-Lei
# refinement in its two passes, a FIFO queue), on random graphs, the presets and mutants, and
# each comparison is shown to fail on a deliberately broken variant.

_KINDS = (("A", "call"), ("A", "timer"), ("B", "rcv"), ("B", "timer"), ("network", "lose"),
          ("network", "duplicate"))


class _Labelled(Toy):
    """A Toy whose steps carry their own event, so that two steps of one kind can join the same states."""

    def successors(self, s):
        return [(Step(a, k, f"{a} {k} {i}", None, (), ()), t) for i, (a, k, t) in enumerate(self.edges.get(s, []))]


def _random_toys(count=150, seed=13):
    import random

    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(2, 9)
        edges = {}
        for u in range(n):
            out = [(*rng.choice(_KINDS), rng.randrange(n)) for _ in range(rng.choice((0, 1, 2, 2, 3, 4)))]
            if out and rng.random() < 0.3:
                out.append((*rng.choice(_KINDS), out[0][2]))  # a second step to the same state
            edges[u] = out
        yield explore(_Labelled(edges))


def _edges(x):
    return [(x.src[j], x.dst[j], x.lab[j]) for j in range(len(x.src))]


def _reference_components(x, nodes):
    """The fair components of the subgraph on ``nodes`` (a set of state ids) by the
    module's definition, in plain Python: its terminal states; then decompose it (networkx),
    decompose again without losses and duplications each component with one of them
    inside, and keep the cyclic components in which every step owed in all their states
    is taken inside.  Each sorted, ordered by the smallest state."""
    import networkx as nx

    from tcpcheck.model.liveness import UNFAIR

    edges = _edges(x)
    kind = [(x.label(k).actor, x.label(k).kind) for k in range(len(x.labels))]
    unfair = [k[1] in UNFAIR for k in kind]
    owed = {u: set() for u in range(len(x.states))}
    for u, v, k in edges:
        if not unfair[k]:
            owed[u].add(kind[k])

    def decompose(states, fair_only):
        graph = nx.DiGraph()
        graph.add_nodes_from(states)
        graph.add_edges_from((u, v) for u, v, k in edges
                             if u in states and v in states and not (fair_only and unfair[k]))
        return [set(c) for c in nx.strongly_connected_components(graph)]

    def inside(parts):
        of = {u: i for i, c in enumerate(parts) for u in c}
        by = [[] for _ in parts]
        for u, v, k in edges:
            if u in of and of[u] == of.get(v):
                by[of[u]].append(k)
        return by, {of[u] for u, v, k in edges if u == v and u in of and not (fair_only and unfair[k])}

    def judged(parts, ks, loops):
        return [c for i, c in enumerate(parts) if (len(c) > 1 or i in loops)
                and set.intersection(*(owed[u] for u in c)) <= {kind[k] for k in ks[i]}]

    found = [{u} for u in nodes if u in set(x.terminal)]
    fair_only = False
    parts = decompose(nodes, False)
    ks, loops = inside(parts)
    for i, c in enumerate(parts):
        if any(unfair[k] for k in ks[i]):
            if len(c) > 1 or i in loops:
                fair_only = True
                sub = decompose(c, True)
                sub_ks, sub_loops = inside(sub)
                found += judged(sub, sub_ks, sub_loops)
                fair_only = False
        else:
            found += judged([c], [ks[i]], {0} if i in loops else set())
    return sorted((sorted(c) for c in found), key=lambda c: c[0])


def _regions(x, rng):
    """Regions to analyse: every state, those not terminal, two random subsets."""
    n = len(x.states)
    terminal = set(x.terminal)
    yield set(range(n))
    yield {u for u in range(n) if u not in terminal}
    for _ in range(2):
        yield {u for u in range(n) if rng.random() < 0.7}


def _tcp_explorations():
    from tcpcheck.model.checker import build
    from tcpcheck.model.config import preset
    from tcpcheck.model.mutants import apply_mutant, mutant_config

    for name in ("seed", "reliable", "simultaneous-open", "abort"):
        yield explore(build(preset(name)))
    for name in ("fin-no-seq", "time-wait-forever", "no-fin-retransmit", "syn-rcvd-waits-forever"):
        yield explore(build(*apply_mutant(name, mutant_config(name))))


def _component_mismatches(cases):
    """The cases (exploration, region) on which the array analysis, on the whole graph
    and on the region's own subgraph, differs from the plain definition."""
    import numpy as np

    from tcpcheck.model import liveness as lv

    bad = 0
    for x, region in cases:
        g = lv._Graph(x)
        mask = np.zeros(len(x.states), dtype=bool)
        mask[sorted(region)] = True
        want = _reference_components(x, region)
        bad += lv._grouped(lv._fair_labels(g, mask)) != want
        bad += lv._grouped(lv._fair_labels_of_region(g, mask)) != want
    return bad


def _component_cases():
    import random

    rng = random.Random(5)
    return [(x, r) for x in [*_random_toys(), *_tcp_explorations()] for r in _regions(x, rng)]


@pytest.mark.parametrize("scc", ["c", "scipy"])
def test_the_fair_components_are_the_two_pass_refinements(scc, monkeypatch):
    """One decomposition without losses and duplications finds exactly the components of
    the Emerson-Lei refinement's two passes, on 150 random graphs (parallel steps, self-loops,
    losses and duplications inside and beside cycles), four presets and four mutants, each
    on four regions; the corpus has fair cycles of every kind the definition tells apart.
    With the compiled strong components and with scipy's."""
    from tcpcheck.model import liveness as lv

    monkeypatch.setattr(lv, "SCC", scc)
    assert (lv._scc_kernel() is not None) == (scc == "c")
    cases = _component_cases()
    assert len(cases) == 4 * (150 + 8)
    found = [_reference_components(x, r) for x, r in cases]
    assert sum(len(c) > 1 or (c[0] not in set(x.terminal)) for f, (x, r) in zip(found, cases) for c in f) > 100
    assert _component_mismatches(cases) == 0


def test_a_broken_analysis_differs_from_the_two_pass_refinement(monkeypatch):
    """The comparison fails on variants that are each wrong in one plausible way: the
    decomposition with the losses and duplications kept (no refinement), the region's
    edges taken as those with either end in it (a cycle through states outside it), and
    a loss counted as a step a fair run owes.  (Those with their source in it would do:
    a state outside is then a dead end.)"""
    import numpy as np

    from tcpcheck.model import liveness as lv

    cases = _component_cases()
    with monkeypatch.context() as m:  # the edge mask is scipy's input (the compiled kernel reads the edges itself)
        m.setattr(lv, "SCC", "scipy")
        m.setattr(lv, "_arcs", lambda g, nodes: nodes[g.src] & nodes[g.dst])
        assert _component_mismatches(cases) > 0
        m.setattr(lv, "_arcs", lambda g, nodes: (nodes[g.src] | nodes[g.dst]) & ~g.unfair_label[g.lab])
        assert _component_mismatches(cases) > 0
    real = lv._scc
    with monkeypatch.context() as m:  # the kernel's own reading: losses and duplications taken as fair steps
        m.setattr(lv, "_scc", lambda n, indptr, keep, dst, of=None, big=False: real(
            n, indptr, keep, dst, of=(_NoUnfair(of[0]), of[1]), big=big))
        assert _component_mismatches(cases) > 0

    def owed_with_losses(g, states):
        out = np.zeros(len(states), dtype=g.bits_type)
        for i, u in enumerate(states):
            for j in g.out(u):
                out[i] |= g.kindbit[g.lab[j]]
        return out
    with monkeypatch.context() as m:
        m.setattr(lv, "_owed", owed_with_losses)
        assert _component_mismatches(cases) > 0
    assert _component_mismatches(cases) == 0


class _NoUnfair:
    """A graph whose every step is fair (a broken input of the strong components)."""

    def __init__(self, g):
        self.lab, self.unfair_label = g.lab, g.unfair_label & False


def _reference_bfs(x, starts, allowed):
    """A FIFO queue from ``starts`` through the states ``allowed``, each state's edges in
    the exploration's order: the states in the order met, and who met each (None: a start)."""
    out = {}
    for j, (u, v, k) in enumerate(_edges(x)):
        out.setdefault(u, []).append(v)
    found_by = {s: None for s in starts}
    order, queue = list(starts), deque(starts)
    while queue:
        u = queue.popleft()
        for v in out.get(u, []):
            if allowed[v] and v not in found_by:
                found_by[v] = u
                order.append(v)
                queue.append(v)
    return order, found_by


def _bfs_mismatches(cases):
    import numpy as np

    from tcpcheck.model import liveness as lv

    bad = 0
    for x, starts, allowed in cases:
        g = lv._Graph(x)
        n = len(x.states)
        want_order, want_by = _reference_bfs(x, starts, allowed)
        levels = lambda g, starts, allowed: lv._bfs_order(g, starts, allowed, budget=len(g.src))  # never compiled
        for search in (levels, lv._bfs_order_compiled, lv._bfs_order):
            order, found_by = search(g, np.array(starts, dtype=np.int64), np.array(allowed, dtype=bool))
            got_by = {int(v): (None if found_by[v] == n else int(found_by[v])) for v in order}
            bad += order.tolist() != want_order or got_by != want_by
    return bad


def _bfs_cases():
    import random

    rng = random.Random(7)
    cases = []
    for x in [*_random_toys(), *_tcp_explorations()]:
        n = len(x.states)
        for _ in range(3):
            allowed = [rng.random() < 0.8 for _ in range(n)]
            starts = [u for u in range(n) if allowed[u] and rng.random() < 0.3] or [u for u in range(n) if allowed[u]][:1]
            if starts:
                cases.append((x, starts, allowed))
    return cases


def test_the_region_is_found_in_a_fifo_queues_order():
    """Level by level and by scipy's compiled search alike, the region's states come in the
    order a FIFO queue meets them, each found by the state a FIFO queue finds it from, on
    random graphs, presets and mutants with random starts and allowed states; and not when
    the search is depth first, or each level's states are walked in the reverse order."""
    import scipy.sparse.csgraph as csgraph

    from tcpcheck.model import liveness as lv

    cases = _bfs_cases()
    assert len(cases) > 400
    assert _bfs_mismatches(cases) == 0
    real = lv._out_edges
    with pytest.MonkeyPatch.context() as m:
        m.setattr(lv, "breadth_first_order", csgraph.depth_first_order)
        assert _bfs_mismatches(cases) > 0
    with pytest.MonkeyPatch.context() as m:
        m.setattr(lv, "_out_edges", lambda indptr, frontier: real(indptr, frontier[::-1]))
        assert _bfs_mismatches(cases) > 0


def test_the_lasso_is_the_first_fair_component_the_fifo_queue_meets():
    """leads_to's lasso, on the presets' and mutants' liveness properties and on random
    graphs: its stem is the exploration's path to a P-state, then the FIFO queue's path to
    the first state it meets in a fair component of the plain definition (or a terminal
    state), each step the first edge between its two states; None when there is none."""
    from tcpcheck.model.liveness import fair_cycle, leads_to
    from tcpcheck.model.properties import PROPERTIES

    pairs = [pq for p in PROPERTIES if p.kind == "liveness" for pq in p.test]
    cases = [(x, p, q) for x in _tcp_explorations() for p, q in pairs]
    cases += [(x, (lambda s: s == 0), (lambda s: s == 3)) for x in _random_toys(60)]
    assert _lassos_as_defined(cases) > 40


def test_with_p_states_half_the_region_the_lasso_is_the_same_with_or_without_a_search(monkeypatch):
    """When the P-states are at least half the states without Q, the fair components are
    taken over all the states without Q, and the breadth-first search runs only when no
    P-state is in one: the lassos are still the plain definition's, in each of the three
    cases (a P-state in a fair component: no search; none but one reached: a search;
    none at all: holds, no search)."""
    from tcpcheck.model import liveness as lv

    searched = []
    real = lv._bfs_order
    monkeypatch.setattr(lv, "_bfs_order", lambda *a, **k: searched.append(1) or real(*a, **k))
    seen = set()
    for i, x in enumerate(_random_toys(120, seed=29)):
        for p in ((lambda s: s != 3), (lambda s: s % 3 != 1), (lambda s: s in (0, 1, 2, 4))):
            n = len(x.states)
            if 2 * sum(1 for u in range(n) if p(x.state(u)) and x.state(u) != 3) < sum(x.state(u) != 3 for u in range(n)):
                continue
            searched.clear()
            assert _lassos_as_defined([(x, p, lambda s: s == 3)]) in (0, 1)
            seen.add((bool(searched), lv.leads_to(x, p, lambda s: s == 3) is not None))
    assert seen == {(False, True), (True, True), (False, False)}


def _lassos_as_defined(cases) -> int:
    """Asserts that leads_to's lasso on each case is the plain definition's; the lassos found."""
    from tcpcheck.model.liveness import fair_cycle, leads_to

    lassos = 0
    for x, p, q in cases:
        n = len(x.states)
        states = [x.state(u) for u in range(n)]
        allowed = [not q(s) for s in states]
        starts = [u for u in range(n) if allowed[u] and p(states[u])]
        got = leads_to(x, p, q)
        if not starts:
            assert got is None
            continue
        order, found_by = _reference_bfs(x, starts, allowed)
        comps = _reference_components(x, set(order))
        member = {u: c for c in comps for u in c}
        entry = next((u for u in order if u in member), None)
        if entry is None:
            assert got is None
            continue
        path, labels = [entry], []
        while found_by[path[-1]] is not None:
            u, v = found_by[path[-1]], path[-1]
            labels.append(next(k for a, b, k in _edges(x) if a == u and b == v))
            path.append(u)
        head = path[-1]
        cycle = ([], []) if entry in set(x.terminal) else fair_cycle(x, member[entry], entry)
        assert got == Lasso(x.ids_to(head)[:-1] + path[::-1], cycle[0],
                            x.labels_to(head) + labels[::-1], cycle[1])
        lassos += 1
    return lassos


def test_scipy_is_given_each_row_without_a_repeated_target(monkeypatch):
    """scipy 1.17.1's strong components never return on a row that names a target twice
    (two steps between the same states): every graph handed to it here is in canonical
    form (rows sorted, no repeat), on a graph with such steps, and would not be without the
    merge (then it is not run)."""
    import scipy.sparse

    from tcpcheck.model import liveness as lv

    monkeypatch.setattr(lv, "SCC", "scipy")  # (the compiled kernel needs no such care)
    x = explore(_Labelled({0: [("A", "call", 1), ("B", "rcv", 1), ("A", "call", 1)],
                           1: [("A", "timer", 0), ("A", "timer", 0)]}))
    assert len(x.src) == 5 and len(x.states) == 2
    seen = []
    real = lv.connected_components

    def checked(m, **kw):
        seen.append(scipy.sparse.csr_matrix((m.data, m.indices, m.indptr), shape=m.shape).has_canonical_format)
        return real(m, **kw) if seen[-1] else (1, np.zeros(m.shape[0], dtype=np.int32))
    import numpy as np
    monkeypatch.setattr(lv, "connected_components", checked)
    assert leads_to(x, lambda s: True, lambda s: False) is not None
    assert seen == [True]
    monkeypatch.setattr(scipy.sparse.csr_matrix, "sum_duplicates", lambda self: None)
    leads_to(x, lambda s: True, lambda s: False)
    assert seen == [True, False]


def test_the_compiled_strong_components_are_networkx_s(monkeypatch):
    """Pearce's algorithm in C against networkx's strong components, on 400 random graphs
    with repeated edges, loops and masked edges, with 32- and 64-bit row pointers, and
    numbered 0, 1, ..., with the states of the components of more than one; and read
    as the fair edges between some nodes (the others in no component).  Two broken ones
    must differ: the mask ignored, and every state put in a component of its own.
    Without the kernel, scipy's are the same."""
    import random
    from types import SimpleNamespace

    import networkx as nx
    import numpy as np

    from tcpcheck.model import liveness as lv

    assert lv._scc_kernel() is not None

    def mismatches(run):
        rng = random.Random(17)
        bad = 0
        for trial in range(400):
            n, m = rng.randint(1, 40), rng.randint(0, 140)
            src = np.array(sorted(rng.randrange(n) for _ in range(m)), dtype=np.int32)
            dst = np.array([rng.randrange(n) for _ in range(m)], dtype=np.int32)
            keep = np.array([rng.random() < 0.8 for _ in range(m)], dtype=bool)
            indptr = lv._indptr(n, src).astype(np.int64 if trial % 2 else np.int32)
            g = nx.DiGraph()
            g.add_nodes_from(range(n))
            g.add_edges_from((int(u), int(v)) for u, v, k in zip(src, dst, keep) if k)
            want = sorted(sorted(c) for c in nx.strongly_connected_components(g))
            got = {}
            for u, c in enumerate(run(n, indptr, keep, dst).tolist()):
                got.setdefault(c, []).append(u)
            bad += sorted(got.values()) != want or sorted(got) != list(range(len(want)))
            if run is lv._scc:  # and which components have more than one state, and their states
                _, big, members = lv._scc(n, indptr, keep, dst, big=True)
                bad += big.tolist() != [len(got[c]) > 1 for c in range(len(got))]
                bad += members.tolist() != sorted(u for c in got.values() if len(c) > 1 for u in c)
                if lv._scc_kernel() is not None:  # the kernel's own reading: fair labels between nodes
                    nodes = np.array([rng.random() < 0.7 for _ in range(n)], dtype=bool)
                    of = (SimpleNamespace(lab=(~keep).astype(np.int32), unfair_label=np.array([False, True])), nodes)
                    sub = g.subgraph(u for u in range(n) if nodes[u])
                    want = sorted(sorted(c) for c in nx.strongly_connected_components(sub))
                    scc, big, members = lv._scc(n, indptr, None, dst, of=of, big=True)
                    got = {}
                    for u, c in enumerate(scc.tolist()):
                        got.setdefault(c, []).append(u)
                    outside = got.pop(-1, [])
                    bad += outside != [u for u in range(n) if not nodes[u]]
                    bad += sorted(got.values()) != want or sorted(got) != list(range(len(want)))
                    bad += members.tolist() != sorted(u for c in want if len(c) > 1 for u in c)
        return bad
    assert mismatches(lv._scc) == 0
    assert mismatches(lambda n, indptr, keep, dst: lv._scc(n, indptr, np.ones_like(keep), dst)) > 0
    assert mismatches(lambda n, indptr, keep, dst: np.arange(n, dtype=np.int32)) > 0
    monkeypatch.setattr(lv, "SCC", "scipy")
    assert lv._scc_kernel() is None and mismatches(lv._scc) == 0


def test_the_graph_takes_the_packed_engine_s_row_offsets():
    """Liveness reads the packed search's edge_offsets as its row pointers instead of
    making them from src again (tests/test_packed.py pins them equal to _indptr's), and
    a verdict depends on them: offsets one edge off change the analysis' answer.  An
    exploration without them (the explorer's) gets _indptr's."""
    import numpy as np

    from tcpcheck.model import liveness as lv, packed
    from tcpcheck.model.checker import build
    from tcpcheck.model.explorer import explore
    from tcpcheck.model.scenarios import preset

    model = build(preset("default"))
    x = packed.explore(model)
    g = lv._Graph(x)
    assert g.indptr is x.edge_offsets
    y = explore(model)
    assert getattr(y, "edge_offsets", None) is None
    assert np.array_equal(lv._Graph(y).indptr, g.indptr)

    def close_completes(x):
        return lv.leads_to(x, lambda s: s.A.state == "FIN_WAIT_1", lambda s: s.A.state in ("TIME_WAIT", "CLOSED"))
    want = close_completes(y)
    assert want is not None and close_completes(x) == want
    off = np.array(x.edge_offsets)
    off[1:-1] += 1
    x.edge_offsets = off
    assert close_completes(x) != want


def test_row_pointers_and_kept_rows_are_the_plain_counts(monkeypatch):
    """_indptr and _kept_rows (by slices) against plain counting, on random sorted rows
    and masks with slices of every small size; a slice boundary off by one is caught."""
    import random

    import numpy as np

    from tcpcheck.model import liveness as lv

    def mismatches():
        rng = random.Random(3)
        bad = 0
        for _ in range(300):
            n, m = rng.randint(1, 30), rng.randint(0, 90)
            rows = np.array(sorted(rng.randrange(n) for _ in range(m)), dtype=np.int32)
            keep = np.array([rng.random() < 0.5 for _ in range(m)], dtype=bool)
            indptr = lv._indptr(n, rows)
            bad += indptr.tolist() != [sum(1 for r in rows if r < u) for u in range(n + 1)]
            lv._SLICE = rng.randint(1, 12)
            bad += lv._kept_rows(indptr, keep).tolist() != [int(keep[:p].sum()) for p in indptr]
        return bad

    monkeypatch.setattr(lv, "_SLICE", lv._SLICE)
    assert mismatches() == 0
    real = lv._slices
    monkeypatch.setattr(lv, "_slices", lambda m: (slice(s.start, s.stop - 1 if s.stop > s.start + 1 else s.stop)
                                                  for s in real(m)))
    assert mismatches() > 0
