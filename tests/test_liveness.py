"""The fair-cycle analysis behind the liveness properties, on small graphs
whose right answer can be seen at a glance, then on the TCP model."""

from tcpcheck.model.explorer import explore
from tcpcheck.model.liveness import leads_to
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
