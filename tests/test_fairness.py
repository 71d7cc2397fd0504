"""The Emerson-Lei refinement of the fairness filter (model/liveness.py), on
hand-made graphs whose right answer can be seen at a glance, then on TCP.

Each toy is {state: [(actor, kind, next state), ...]} from state 0; the claim
checked is "0 leads to 3".  The first two graphs are ones on which the coarse
filter (a component rejected as soon as it has one loss edge inside, and a loss
treated as a step a fair run must eventually take) answered "holds": both hide a
fair run that never reaches 3.
"""

from tcpcheck.model.checker import build
from tcpcheck.model.config import preset
from tcpcheck.model.explorer import explore
from tcpcheck.model.liveness import Lasso, fair_components, fair_cycle
from tcpcheck.model.mutants import apply_mutant, mutant_config

from test_liveness import Toy, check


def test_a_fair_cycle_beside_a_loss_in_the_same_component_is_found():
    # {1, 2, 4} is one component, with a loss inside (1 -> 4); without the loss,
    # 1 -> 2 -> 1 is still a cycle, and a fair one: the run that goes round it for
    # ever loses nothing and leaves no step of an endpoint waiting
    edges = {0: [("A", "call", 1)],
             1: [("B", "rcv", 2), ("network", "lose", 4)],
             2: [("A", "rcv", 1)],
             4: [("A", "timer", 1)]}
    lasso = check(edges)
    assert lasso == Lasso([0, 1], [1, 2, 1], [0], [1, 3])
    x = explore(Toy(edges))
    assert [x.label(k).event for k in lasso.labels] == ["A call", "B rcv", "A rcv"]
    assert fair_components(x) == [[1, 2]]


def test_a_loss_always_possible_is_not_owed():
    # a segment is in flight all the way round 1 -> 2 -> 1 and could be lost (to 5,
    # whence 3), but a fair network need not lose it: going round is fair
    edges = {0: [("A", "call", 1)],
             1: [("B", "rcv", 2), ("network", "lose", 5)],
             2: [("A", "rcv", 1), ("network", "lose", 5)],
             5: [("A", "timer", 3)]}
    assert check(edges) == Lasso([0, 1], [1, 2, 1], [0], [1, 3])


def test_refinement_stops_when_the_loss_held_the_only_cycle():
    # without its loss, {1, 4} is no cycle at all: every fair run reaches 3
    edges = {0: [("A", "call", 1)],
             1: [("network", "lose", 4), ("B", "timer", 3)],
             4: [("A", "rcv", 1)]}
    assert check(edges) is None
    assert fair_components(explore(Toy(edges))) == []


def test_the_cycle_shown_is_fair_itself():
    # A's timer is possible in 1 and 2: going round 1 -> 2 -> 1 alone would ignore
    # it for ever; the component is fair because the timer is taken in it (1 -> 4),
    # so the cycle shown makes that detour
    edges = {0: [("A", "call", 1)],
             1: [("B", "rcv", 2), ("A", "timer", 4)],
             2: [("A", "rcv", 1), ("A", "timer", 3)],
             4: [("B", "rcv", 1)]}
    lasso = check(edges)
    x = explore(Toy(edges))
    assert lasso.stem == [0, 1] and [x.state(i) for i in lasso.cycle] == [1, 2, 1, 4, 1]
    assert [x.label(k).event for k in lasso.cycle_labels] == ["B rcv", "A rcv", "A timer", "B rcv"]
    (comp,) = fair_components(x)
    assert [x.state(i) for i in comp] == [1, 2, 4]
    assert fair_cycle(x, comp, 1) == (lasso.cycle, lasso.cycle_labels)


def test_a_component_that_ignores_a_step_for_ever_is_not_fair():
    # the broken variant of the one above: A's timer never taken inside, possible everywhere
    edges = {0: [("A", "call", 1)],
             1: [("B", "rcv", 2), ("A", "timer", 3)],
             2: [("A", "rcv", 4), ("A", "timer", 3)],
             4: [("B", "rcv", 1), ("A", "timer", 3)]}
    assert check(edges) is None
    assert fair_components(explore(Toy(edges))) == []


def _mutant(name):
    cfg, table = apply_mutant(name, mutant_config(name))
    return explore(build(cfg, table))


def test_fair_components_of_tcp():
    """On the reference presets no fair run goes round for ever (a liveness
    counterexample there is a run that stops); two variants have fair cycles:
    2MSL that never ends, and FINs that take no sequence number, where the two
    endpoints answer each other's unacceptable segments with ACKs for ever."""
    for name in ("reliable", "default", "simultaneous-open"):
        assert fair_components(explore(build(preset(name)))) == []
    x = _mutant("time-wait-forever")
    (comp,) = fair_components(x)
    assert [(x.state(u).A.state, x.state(u).B.state) for u in comp] == [("TIME_WAIT", "CLOSED")]
    assert [x.label(k).event for k in fair_cycle(x, comp, comp[0])[1]] == ["timeout 2MSL"]
    x = _mutant("fin-no-seq")
    comps = fair_components(x)
    for c in comps:
        assert {x.label(k).event for k in fair_cycle(x, c, c[0])[1]} <= {"rcv unacceptable segment",
                                                                          "rcv unacceptable ACK"}
    assert [sorted({(x.state(u).A.state, x.state(u).B.state) for u in c}) for c in comps] == [
        [("CLOSING", "CLOSING")], [("FIN_WAIT_1", "LAST_ACK")], [("LAST_ACK", "FIN_WAIT_1")]]
    assert [len(c) for c in comps] == [3, 3, 3]
