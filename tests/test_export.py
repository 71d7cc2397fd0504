"""tcpcheck export: the reachable-state graph for other tools, and the counterexamples as runs."""

import json
import subprocess
import sys

import networkx as nx
import pytest

import tcpcheck
from tcpcheck.model import export
from tcpcheck.model.checker import build
from tcpcheck.model.cli import main
from tcpcheck.model.config import preset
from tcpcheck.model.explorer import explore


# (the documented examples run in tests/test_doctests.py)


def _graph(name):
    model = build(preset(name))
    x = explore(model)
    return x, export.state_graph(x, model.table, name)


def _same(g, h):
    """Every node and edge of ``g`` is in ``h`` with the same attributes, and nothing else."""
    assert dict(g.nodes(data=True)) == dict(h.nodes(data=True))
    assert sorted(g.edges(keys=True, data=True), key=lambda e: e[2]) == \
        sorted(h.edges(keys=True, data=True), key=lambda e: e[2])
    assert {k: v for k, v in h.graph.items() if k not in ("node_default", "edge_default")} == g.graph


@pytest.mark.parametrize("name,states,transitions", [("seed", 14, 15), ("simultaneous-open", 1896, 6132)])
def test_graphml_loads_back_with_the_checkers_counts_and_every_attribute(tmp_path, name, states, transitions):
    out = tmp_path / f"{name}.graphml"
    assert main(["export", "--preset", name, "-o", str(out)]) == 0
    h = nx.read_graphml(out, node_type=int, force_multigraph=True)
    r = tcpcheck.check(preset=name)
    assert (h.number_of_nodes(), h.number_of_edges()) == (r.states, r.transitions) == (states, transitions)
    x, g = _graph(name)
    _same(g, h)


def test_parallel_steps_are_kept_as_separate_edges():
    x, g = _graph("simultaneous-open")
    pairs = list(zip(x.src, x.dst))
    assert len(pairs) - len(set(pairs)) == 446  # several steps join the same two states
    assert g.number_of_edges() == x.transitions == 6132


def test_node_and_edge_attributes():
    x, g = _graph("seed")
    n = g.nodes[11]
    assert {k: n[k] for k in ("label", "depth", "A.state", "A.RCV.NXT", "B.state", "in_flight.A->B",
                              "in_flight.A->B.count", "A.app.close", "B.app.close", "terminal", "deadlock")} == {
        "label": "A TIME_WAIT | B LAST_ACK", "depth": 9, "A.state": "TIME_WAIT", "A.RCV.NXT": 302,
        "B.state": "LAST_ACK", "in_flight.A->B": "<SEQ=0><ACK=302><CTL=ACK>", "in_flight.A->B.count": 1,
        "A.app.close": False, "B.app.close": False, "terminal": False, "deadlock": False}
    assert g.nodes[13]["terminal"] is True and g.nodes[13]["deadlock"] is False
    (u, v, key, e), = [edge for edge in g.edges(keys=True, data=True) if edge[1] == 13]
    assert (u, e) == (12, {"label": "A: timeout 2MSL", "actor": "A", "kind": "timer", "event": "timeout 2MSL",
                           "rule": e["rule"], "rule_text": "TIME_WAIT --timeout 2MSL / delete TCB--> CLOSED",
                           "segment": "", "sent": "", "dropped": ""})
    assert e["rule"].startswith("rfc9293.rules:")
    for _, attrs in g.nodes(data=True):
        assert all(isinstance(v, (str, int, bool)) for v in attrs.values())
    for *_, attrs in g.edges(keys=True, data=True):
        assert all(isinstance(v, str) for v in attrs.values())


def test_a_deadlock_is_marked():
    r = tcpcheck.check(mutant="no-closing")
    g = r.graph()
    stuck = [n for n, d in g.nodes(data=True) if d["deadlock"]]
    v = r.raw.verdicts[[x.name for x in r.verdicts].index("deadlock freedom")]
    assert v.verdict == "violated" and v.state == stuck[0]
    assert all(g.nodes[n]["terminal"] for n in stuck)


def test_node_link_json_loads_back(tmp_path, capsysbinary):
    assert main(["export", "--preset", "seed", "--format", "json"]) == 0
    doc = json.loads(capsysbinary.readouterr().out)
    assert [doc[k] for k in ("schema_version", "kind", "format", "directed", "multigraph")] == \
        [1, "export", "node-link", True, True]
    assert doc["tool"]["name"] == "tcpcheck"
    h = nx.node_link_graph(doc)
    _same(_graph("seed")[1], h)


def test_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a.graphml", tmp_path / "b.graphml"
    main(["export", "--preset", "seed", "-o", str(a)])
    main(["export", "--preset", "seed", "-o", str(b)])
    assert a.read_bytes() == b.read_bytes()


def test_dot_keeps_every_attribute_and_renders(tmp_path):
    out = tmp_path / "seed.gv"
    assert main(["export", "--preset", "seed", "-o", str(out)]) == 0
    text = out.read_text()
    assert text.count(" -> ") == 15
    assert '11 ["label"="#11  A TIME_WAIT | B LAST_ACK", "depth"="9", ' in text
    assert '12 -> 13 [key=14, "label"="A: timeout 2MSL", "actor"="A", "kind"="timer"' in text
    svg = subprocess.run(["dot", "-Tsvg", str(out)], capture_output=True, check=True).stdout
    assert b"A TIME_WAIT | B LAST_ACK" in svg


def test_big_dot_is_refused_without_the_flag_and_written_with_it(tmp_path, capsys):
    out = tmp_path / "big.gv"
    assert main(["export", "--preset", "simultaneous-open", "--format", "dot", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        "tcpcheck: error: the graph has 1,896 states; DOT of more than 500 is refused by default, as Graphviz "
        "takes minutes to lay it out and the picture cannot be read: give --no-size-limit to write it anyway, "
        "or use --format graphml or json for a graph tool\n")
    assert not out.exists()
    assert main(["export", "--preset", "simultaneous-open", "-o", str(out), "--no-size-limit"]) == 0
    assert out.read_text().count(" -> ") == 6132
    assert capsys.readouterr().err == f"wrote {out} (dot: 1,896 states, 6,132 transitions)\n"


def test_counterexamples_are_runs_diagram_trace_reads(tmp_path):
    out = tmp_path / "cex.json"
    assert main(["export", "--mutant", "no-time-wait", "--counterexamples", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert (doc["kind"], doc["format"], doc["rules"]) == ("export", "counterexamples", "rfc9293.rules, mutant no-time-wait")
    assert [p["name"] for p in doc["properties"]] == ["the passive closer is never reset"]
    steps = doc["properties"][0]["counterexample"]
    assert len(steps) == 14 and steps[13]["segment"] == {"text": "<SEQ=0><CTL=RST>", "SEQ": 0, "ACK": None,
                                                         "CTL": ["RST"], "LEN": 0}
    chart = tmp_path / "c.gv"
    assert main(["diagram", "trace", "--file", str(out), "--property", "the passive closer is never reset",
                 "-o", str(chart)]) == 0
    assert chart.read_text() == tcpcheck.check(mutant="no-time-wait").run("STEP1").chart().dot


def test_counterexamples_of_a_liveness_property_keep_their_cycle(tmp_path):
    out = tmp_path / "cex.json"
    assert main(["export", "--mutant", "time-wait-forever", "--counterexamples", "-o", str(out)]) == 0
    (p,) = [p for p in json.loads(out.read_text())["properties"] if p["name"] == "every close completes"]
    assert "cycle_from" in p
    assert main(["diagram", "trace", "--file", str(out), "--property", "every close completes",
                 "-o", str(tmp_path / "c.gv")]) == 0


def test_no_violation_writes_an_empty_list(tmp_path, capsys):
    out = tmp_path / "none.json"
    assert main(["export", "--preset", "reliable", "--counterexamples", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["properties"] == []
    assert capsys.readouterr().err == f"wrote {out} (json: 0 counterexample(s))\n"


@pytest.mark.parametrize("argv,message", [
    (["--preset", "seed"], "give --format graphml, json or dot (or -o FILE ending in .graphml, .json, .dot or .gv)"),
    (["--preset", "seed", "-o", "x.graphml", "--format", "dot"],
     "--format dot contradicts 'x.graphml', whose extension means graphml; leave out --format, or name the file .dot"),
    (["--preset", "seed", "--counterexamples", "--format", "graphml"],
     "--counterexamples writes JSON; leave out --format graphml"),
    (["--preset", "sed", "--format", "json"],
     "unknown preset 'sed'; did you mean 'seed'? known presets: default, reliable, seed, simultaneous-open, "
     "duplicating, abort"),
    (["--mutant", "no-time-wiat", "--format", "json"], "unknown mutant 'no-time-wiat'; did you mean 'no-time-wait'?"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tcpcheck: error: {message}") and "Traceback" not in err


def test_bad_files_and_output_paths(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('preset = "seed"\n[network]\ncapacity = 99\n')
    assert main(["export", "--config", str(cfg), "--format", "json"]) == 2
    assert capsys.readouterr().err == (f"tcpcheck: error: {cfg}:3: capacity must be an integer from 1 to 8, "
                                       f"not 99\n")
    target = tmp_path / "no" / "such" / "g.graphml"
    assert main(["export", "--preset", "seed", "-o", str(target)]) == 2
    assert capsys.readouterr().err == (f"tcpcheck: error: {target}: cannot write the export: "
                                       f"No such file or directory\n")
    assert main(["export", "--preset", "seed", "-o", str(tmp_path), "--format", "json"]) == 2
    assert "cannot write the export: Is a directory" in capsys.readouterr().err


def test_help_teaches():
    out = subprocess.run([sys.executable, "-m", "tcpcheck", "export", "--help"], capture_output=True, text=True).stdout
    for text in ("tcpcheck export --preset seed -o seed.graphml", "--no-size-limit", "exit codes: 0 written, 2 bad",
                 "networkx.node_link_graph", "--counterexamples"):
        assert text in out
