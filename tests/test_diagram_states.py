"""``diagram states`` marks the deadlocks and the fair cycles (diagrams/states.py).

The deadlocks are counted here from the exploration itself (states without
successors that are not an acceptable end), the fair cycle is the liveness
counterexample of the mutant whose TIME_WAIT never ends; a preset without
either must show no mark.
"""

from __future__ import annotations

import re
from collections import Counter

from tcpcheck.diagrams.states import states_dot
from tcpcheck.model.checker import run
from tcpcheck.model.cli import main
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.properties import acceptable_end
from tcpcheck.model.tcb import STATES

from conftest import run_preset

PINK, PURPLE = 'fillcolor="#f9d6d2"', 'color="#6a1b9a"'


def node_lines(dot: str, prefix: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(rf"^  ({prefix}\d+(?:_\d+)?) \[.*\];$", dot, re.M)}


def test_the_quotient_marks_each_pair_of_states_that_holds_deadlocks():
    x = run_preset("simultaneous-open").exploration
    order = {s: n for n, s in enumerate(STATES)}
    expected = Counter()
    for i in x.terminal:
        s = x.state(i)
        if not acceptable_end(s):
            expected[f"q{1 + order[s.A.state]}_{order[s.B.state]}"] += 1
    assert sorted(expected.items()) == [("q1_6", 2), ("q7_0", 2)]  # CLOSED/FIN_WAIT_2 and FIN_WAIT_2/CLOSED
    nodes = node_lines(states_dot(x, "t", quotient=True), "q")
    marked = {name: line for name, line in nodes.items() if PINK in line}
    assert sorted(marked) == sorted(expected)
    for name, n in expected.items():
        assert f"(deadlock: {n} states)" in marked[name]


def test_a_configuration_without_deadlocks_or_fair_cycles_marks_nothing():
    r = run_preset("reliable")
    assert [v.verdict for v in r.verdicts if v.kind in ("deadlock", "liveness")] == ["holds"] * 3
    dot = states_dot(r.exploration, "t", quotient=True)
    assert PINK not in dot and PURPLE not in dot and "deadlock" not in dot


def test_the_whole_graph_marks_a_fair_cycle_and_its_step():
    cfg, table = apply_mutant("time-wait-forever", mutant_config("time-wait-forever"))
    r = run(cfg, table)
    v = next(v for v in r.verdicts if v.name == "every close completes")
    assert v.lasso.cycle == [12, 12]  # TIME_WAIT's 2MSL leads back to TIME_WAIT
    x = r.exploration
    dot = states_dot(x, "t", quotient=False, cycles=[(v.lasso.cycle, v.lasso.cycle_labels)])
    nodes = node_lines(dot, "s")
    assert [n for n, line in nodes.items() if PURPLE in line] == ["s12"]
    assert "(on a fair cycle)" in nodes["s12"]
    loops = [line for line in dot.splitlines() if line.startswith("  s12 -> s12 ")]
    assert loops == ['  s12 -> s12 [label="A: timeout 2MSL", color="#6a1b9a", penwidth=2.5];']
    # without the cycle handed in, nothing is purple
    assert PURPLE not in states_dot(x, "t", quotient=False)


def test_the_command_marks_the_fair_cycle_inside_one_quotient_node(capsys):
    assert main(["diagram", "states", "--mutant", "time-wait-forever", "--quotient", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    loop = [line for line in dot.splitlines() if re.match(r"  (q\d+_\d+) -> \1 ", line)]
    # A in TIME_WAIT (the 9th state), B CLOSED
    assert loop == ['  q9_0 -> q9_0 [label="A: timeout 2MSL", color="#6a1b9a", penwidth=2.5, fontcolor="#6a1b9a"];']
    assert "(on a fair cycle)" in node_lines(dot, "q")["q9_0"]
    assert dot.count("13 reachable states") == 1


def test_the_events_of_one_arrival_are_joined_in_the_languages_own_way():
    """phrase("; ", lang): '；' in Chinese, as the sequence charts have it."""
    x = run_preset("seed").exploration
    english = re.findall(r'label="(B: [^"]*; [^"]*)"', states_dot(x, "t", quotient=False))
    chinese = re.findall(r'label="(B: [^"]*)"', states_dot(x, "t", quotient=False, lang="zh"))
    assert english == ["B: rcv ACK; rcv FIN"]
    assert "B: 收到 ACK；收到 FIN" in chinese and not any("; " in c for c in chinese)


def test_the_command_marks_every_fair_cycle_not_only_the_counterexamples(capsys):
    """fin-no-seq has three components a fair run can stay in for ever; the
    liveness counterexample goes round one of them, the graph marks all three."""
    from tcpcheck.model.liveness import fair_components

    r = run(*apply_mutant("fin-no-seq", mutant_config("fin-no-seq")))
    x = r.exploration
    components = fair_components(x)
    assert [len(c) for c in components] == [3, 3, 3]
    (v,) = [v for v in r.verdicts if v.kind == "liveness" and v.lasso is not None]
    assert v.name == "every close completes" and set(v.lasso.cycle) < set(components[0] + components[1] + components[2])
    assert main(["diagram", "states", "--mutant", "fin-no-seq", "--whole", "--format", "dot"]) == 0
    nodes = node_lines(capsys.readouterr().out, "s")
    marked = sorted(int(name[1:]) for name, line in nodes.items() if "(on a fair cycle)" in line)
    assert marked == sorted(components[0] + components[1] + components[2])
    assert len(set(v.lasso.cycle)) < len(marked)
