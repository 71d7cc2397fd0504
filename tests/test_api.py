"""import tcpcheck: the Python API for notebooks, its displays and its documented examples."""

import re
import subprocess
import sys

import pytest

import tcpcheck
from tcpcheck.model.config import ConfigError
from tcpcheck.model.errors import InputError
from tcpcheck.model.mutants import MutantError
from tcpcheck.model.report import trace_lines
from tcpcheck.model.table import TableError

# (the documented examples of every module of the API run in tests/test_doctests.py)


def test_import_is_cheap_and_lazy():
    """The command line imports tcpcheck first: nothing heavy may come with it."""
    code = ("import sys, tcpcheck, tcpcheck.model.cli; "
            "print(sorted(m for m in ('networkx', 'z3', 'graphviz', 'tcpcheck.model.checker', "
            "'tcpcheck.diagrams', 'tcpcheck.proofs') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_public_names_resolve_and_unknown_ones_do_not():
    for name in tcpcheck.__all__:
        assert getattr(tcpcheck, name) is not None
    with pytest.raises(AttributeError, match="module 'tcpcheck' has no attribute 'chek'"):
        tcpcheck.chek  # noqa: B018


def test_check_agrees_with_the_command_line():
    r = tcpcheck.check(preset="reliable")
    assert (r.states, r.transitions, r.complete, r.exit_code) == (307, 572, True, 0)
    doc = r.json()
    assert doc["kind"] == "check" and doc["states"] == 307 and doc["transitions"] == 572
    assert r.summary().startswith("tcpcheck: TCP connection management (RFC 9293), configuration 'reliable'")


def test_the_verdict_table_of_the_seed_and_its_html():
    r = tcpcheck.check(preset="seed")
    t = r.table()
    assert t.header == ("id", "property", "kind", "verdict", "detail")
    assert len(t) == 19
    assert t.rows[0] == ("INV1", "no acknowledgment of unsent data", "invariant", "holds", "")
    assert t.rows[12] == ("REACH-CLOSING", "CLOSING is reachable", "reachability", "info", "not meant to be reached")
    assert t.rows[13] == ("REACH-TIME_WAIT", "TIME_WAIT is reachable", "reachability", "holds", "9 steps")
    assert t.column("verdict").count("holds") == 18
    html = r._repr_html_()
    assert html.startswith('<div class="tcpcheck-check"><p><b>seed: 14 states, 15 transitions; '
                           'all 18 properties hold</b></p><table class="tcpcheck"><caption>seed</caption>')
    assert ('<tr class="info"><td>REACH-CLOSING</td><td>CLOSING is reachable</td><td>reachability</td>'
            '<td style="background:#e8eef7">info</td><td>not meant to be reached</td></tr>') in html
    assert len(re.findall(r'<tr class="holds">', html)) == 18
    assert "<pre>Result: all 18 properties hold; CLOSING is not reached, and not meant to be in\n" in html
    assert html.count("<svg") == 1 and "seed: 14 reachable states" in html  # the state graph


def test_a_violation_shows_its_counterexample_chart():
    m = tcpcheck.check(mutant="no-time-wait")
    assert repr(m) == ("the no-time-wait demonstration (from preset seed), mutant no-time-wait: 165 states, "
                       "243 transitions; 2 of 19 properties violated: the passive closer is never reset, "
                       "TIME_WAIT is reachable")
    assert m.exit_code == 1
    html = m._repr_html_()
    assert '<tr class="violated"><td>STEP1</td><td>the passive closer is never reset</td><td>step</td>' in html
    assert "counterexample to &#39;the passive closer is never reset&#39;" in html or \
        "counterexample to 'the passive closer is never reset'" in html
    run = m.run("STEP1")
    assert run is not None and run.kind == "counterexample" and len(run) == 13 and run.cycle_from is None
    assert run.lines() == trace_lines(run.path, m.rules)
    assert repr(run).splitlines()[0] == "counterexample of 'the passive closer is never reset' (13 steps)"
    assert run._repr_svg_().lstrip().startswith("<?xml")
    assert run.steps[10]["what"] == "network loses <SEQ=0><ACK=302><CTL=ACK> (A->B)"


def test_witness_and_liveness_runs():
    r = tcpcheck.check(preset="seed")
    w = r.run("TIME_WAIT is reachable")
    assert (w.kind, len(w)) == ("witness", 9)
    f = tcpcheck.check(mutant="time-wait-forever")
    lasso = f.counterexamples["every close completes"]
    assert lasso.cycle_from is not None and lasso.kind == "counterexample"


def test_errors_name_what_was_wrong():
    with pytest.raises(InputError, match="^give a config or a preset, not both$"):
        tcpcheck.check(tcpcheck.preset("seed"), preset="seed")
    with pytest.raises(MutantError, match="^unknown mutant 'no-time-wiat'; did you mean 'no-time-wait'\\?"):
        tcpcheck.check(mutant="no-time-wiat")
    with pytest.raises(ConfigError, match="^unknown preset 'sed'; did you mean 'seed'\\?"):
        tcpcheck.check(preset="sed")
    with pytest.raises(ConfigError, match="^<text>:3: unknown key 'capacty' in \\[network\\]"):
        tcpcheck.config(text='preset = "seed"\n[network]\ncapacty = 3\n')
    r = tcpcheck.check(preset="seed")
    with pytest.raises(InputError, match="^unknown property 'deadlock fredom'; did you mean 'deadlock freedom'\\?"):
        r.verdict("deadlock fredom")
    with pytest.raises(InputError, match="^'deadlock freedom' holds here and has no counterexample or witness$"):
        r.run("deadlock freedom")
    with pytest.raises(TypeError):
        tcpcheck.config()


def test_a_configuration_file_and_a_rule_table_object(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('preset = "seed"\n[network]\nloss = true\nloss_budget = 1\ncapacity = 3\n')
    by_file = tcpcheck.check(str(cfg))
    by_text = tcpcheck.check(tcpcheck.config(text=cfg.read_text()))
    assert by_file.states == by_text.states and by_file.transitions == by_text.transitions
    assert by_file.config.name == "c.toml (from preset seed)"
    table = tcpcheck.rules()
    assert tcpcheck.check(preset="seed", rules=table).states == 14
    bad = tmp_path / "bad.rules"
    bad.write_text("CLOSED | active OPEN | snd SYN | SYN_SNT | x\n")
    with pytest.raises(TableError, match="bad.rules:1"):
        tcpcheck.check(preset="seed", rules=str(bad))


def test_compare_only_the_differences():
    ref = tcpcheck.check(tcpcheck.config(text=tcpcheck.mutant("no-time-wait").config))
    mut = tcpcheck.check(mutant="no-time-wait")
    t = tcpcheck.compare({"reference": ref, "no-time-wait": mut}, differing=True)
    assert t.rows == [("STEP1", "the passive closer is never reset", "holds", "violated"),
                      ("REACH-TIME_WAIT", "TIME_WAIT is reachable", "holds", "violated")]
    assert str(t) == (
        "id               property                           reference  no-time-wait\n"
        "---------------  ---------------------------------  ---------  ------------\n"
        "STEP1            the passive closer is never reset  holds      violated\n"
        "REACH-TIME_WAIT  TIME_WAIT is reachable             holds      violated")
    assert t._repr_html_().count('<td style="background:#f9d6d2">violated</td>') == 2


def test_diagrams_display_and_save(tmp_path):
    d = tcpcheck.diagram.fsm()
    assert d._repr_svg_().lstrip().startswith("<?xml")
    out = d.save(tmp_path / "fsm.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from tcpcheck.diagrams.cli import DiagramError
    with pytest.raises(DiagramError, match="--format svg contradicts"):
        d.save(tmp_path / "fsm.png", "svg")
    with pytest.raises(InputError, match="cannot write the diagram"):
        d.save(tmp_path / "missing" / "fsm.svg")
    s = tcpcheck.diagram.states(preset="seed", highlight="TIME_WAIT is reachable")
    assert s.title == "seed: 14 reachable states; highlighted: TIME_WAIT is reachable"
    assert s.dot.count('fontcolor="#c0392b"') == 10 + 9  # the 10 states of the witness and its 9 steps
    with pytest.raises(DiagramError, match="^give exactly one of"):
        tcpcheck.diagram.trace()
    with pytest.raises(DiagramError, match="^unknown scenario 'sed'"):
        tcpcheck.diagram.trace("sed")


def test_a_trace_file_is_checked_against_the_model(tmp_path):
    import json
    m = tcpcheck.check(mutant="no-time-wait")
    f = tmp_path / "cex.json"
    f.write_text(json.dumps(m.counterexamples_json()))
    d = tcpcheck.diagram.trace(file=f, property="the passive closer is never reset")
    assert d.dot == m.run("STEP1").chart().dot
    doc = m.json()
    doc["properties"][4]["counterexample"][3]["A"]["state"] = "CLOSED"  # a step the model does not take
    f.write_text(json.dumps(doc))
    from tcpcheck.diagrams.cli import DiagramError
    with pytest.raises(DiagramError, match="step 3: after 'A receives .*' the model has A in ESTABLISHED, not CLOSED"):
        tcpcheck.diagram.trace(file=f, property="the passive closer is never reset")


def test_prove_with_a_timeout_that_decides_nothing():
    p = tcpcheck.prove(timeout=0.001)
    assert p.exit_code == 4
    assert p.table().column("id") == ["SEG1", "IND1", "IND2", "IND3", "IND4", "IND5", "IND6", "END1"]
    assert set(p.table().column("verdict")) == {"unknown"}
    assert p.verdict("END1") == "unknown"
    assert "<b>rfc9293.rules: 0 of 8 obligations proved</b>" in p._repr_html_()
    with pytest.raises(KeyError):
        p.verdict("IND9")


def test_grade_one_submission(tmp_path):
    from importlib.resources import files
    assignment = files("tcpcheck.model.grading").joinpath("examples", "write.toml")
    sub = tmp_path / "alice.rules"
    sub.write_text(files("tcpcheck.model").joinpath("rfc9293.rules").read_text())
    g = tcpcheck.grade(str(assignment), sub)
    assert g.score == g.max_score > 0
    assert set(g.table().column("status")) == {"passed"}
    assert g.json()["kind"] == "grade" and g.json()["student"] == "alice"
    assert f"<p><b>alice: {g.score:g} / {g.max_score:g}</b></p>" in g._repr_html_()
    broken = tmp_path / "bob.rules"
    broken.write_text("CLOSED | active OPEN | snd SYN | SYN_SNT | x\n")
    b = tcpcheck.grade(str(assignment), broken)
    assert b.score == 0 and b.table().rows[0][2] == "failed"


def test_compare_takes_a_list_named_by_the_configurations_and_refuses_nothing_to_compare():
    seed = tcpcheck.check(preset="seed")
    t = tcpcheck.compare([seed, seed, tcpcheck.check(mutant="time-wait-forever")], differing=True)
    assert t.header == ("id", "property", "seed", "seed (2)",
                        "the time-wait-forever demonstration (from preset seed), mutant time-wait-forever")
    assert t.rows == [("LIVE1", "every close completes", "holds", "holds", "violated")]
    with pytest.raises(ValueError, match="^compare\\(\\) needs at least one check result$"):
        tcpcheck.compare([])


def test_the_state_graph_is_the_command_lines_own_fair_cycles_included(capsys):
    """fin-no-seq has fair cycles besides its liveness counterexample's: both draw them all."""
    from tcpcheck.model.cli import main

    assert main(["diagram", "states", "--mutant", "fin-no-seq", "--quotient", "--format", "dot"]) == 0
    drawn = capsys.readouterr().out
    assert tcpcheck.diagram.states(mutant="fin-no-seq", quotient=True).dot == drawn


# --- tcpcheck.conform and charts of captures (issue 12) -------------------------------

CAPTURES = __import__("pathlib").Path(__file__).parent / "captures"


def _cli(*argv):
    import contextlib
    import io

    from tcpcheck.model.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(map(str, argv)))
    return code, out.getvalue()


def test_conform_gives_what_the_command_reports():
    import json

    f = CAPTURES / "abort-linger0.pcap"
    c = tcpcheck.conform(f)
    assert isinstance(c, tcpcheck.Conformance)
    assert (c.exit_code, c.vantage, c.rules.name) == (1, "path", "rfc9293.rules")
    r = c.connections[0]
    assert (r.verdict, r.deviation.index, r.deviation.who, len(r.rows)) == ("deviates", 3, "A", 4)
    assert c.verdicts() == ["deviates at segment 4 (packet 4)"]
    code, out = _cli("conform", f)
    assert code == c.exit_code and out == c.text() + "\n"
    code, out = _cli("conform", f, "--json")
    assert json.loads(out) == c.json()
    code, out = _cli("conform", f, "--lang", "zh")
    assert out == c.text("zh") + "\n" and "偏离" in out
    assert repr(c).splitlines()[0] == "abort-linger0.pcap: 1 connection(s)"
    assert "<td>deviates at segment 4 (packet 4)</td>" in c._repr_html_()


def test_conform_with_a_profile_and_a_vantage():
    f = CAPTURES / "abort-linger0.pcap"
    linux = tcpcheck.conform(f, rules="linux")
    assert (linux.exit_code, linux.rules.name, linux.verdicts()) == (0, "linux.rules", ["conforms"])
    assert tcpcheck.conform(f, vantage="a").vantage == "a"
    two = tcpcheck.conform(CAPTURES / "time-wait-reuse.pcap")
    assert [len(r.conn.segments) for r in two.connections] == [7, 7]
    assert two.exit_code == _cli("conform", CAPTURES / "time-wait-reuse.pcap")[0]


def test_conform_refuses_what_it_cannot_read(tmp_path):
    junk = tmp_path / "junk.pcap"
    junk.write_text("junk", encoding="utf-8")
    with pytest.raises(InputError, match=r"junk\.pcap: neither a pcap/pcapng capture nor a JSON trace"):
        tcpcheck.conform(junk)
    with pytest.raises(ValueError, match="vantage must be 'a', 'b' or 'path', not 'c'"):
        tcpcheck.conform(CAPTURES / "refused.pcap", vantage="c")
    with pytest.raises(TypeError, match=r"rules: a rule table \(tcpcheck.rules\(...\)\), a rule table file or a "
                                        r"profile name \(rfc9293, linux\), not int"):
        tcpcheck.conform(CAPTURES / "refused.pcap", rules=3)


def test_conform_takes_a_rule_table_object(tmp_path):
    from tcpcheck.model.profiles import profile_path

    f = CAPTURES / "abort-linger0.pcap"
    mine = tmp_path / "my.rules"
    mine.write_text(profile_path("linux").read_text(encoding="utf-8"), encoding="utf-8")
    table = tcpcheck.rules(mine)
    c = tcpcheck.conform(f, rules=table)
    assert c.rules is table and (c.exit_code, c.verdicts()) == (0, ["conforms"])
    assert c.json() == tcpcheck.conform(f, rules=mine).json()
    assert c.chart().dot == tcpcheck.conform(f, rules=mine).chart().dot
    # the table object is the one followed: the reference table's own object deviates where the file does
    ref = tcpcheck.conform(f, rules=tcpcheck.rules())
    assert (ref.exit_code, ref.verdicts()) == (1, ["deviates at segment 4 (packet 4)"])


def test_the_chart_of_a_capture_is_the_command_lines(tmp_path):
    f = CAPTURES / "time-wait-reuse.pcap"
    d = tcpcheck.diagram.trace(capture=f, connection=2)
    code, _ = _cli("diagram", "trace", "--capture", f, "--connection", "2", "-o", tmp_path / "c2.dot")
    out = (tmp_path / "c2.dot").read_text(encoding="utf-8")
    assert code == 0 and d.dot == out
    assert d.title.startswith("time-wait-reuse.pcap, connection 2 (10.77.0.1:40012 -> 10.77.0.2:5001): ")
    assert tcpcheck.conform(f).chart(2).dot == out
    with pytest.raises(InputError, match="holds 2 connections; choose one with --connection N"):
        tcpcheck.diagram.trace(capture=f)
    with pytest.raises(InputError, match="a capture is followed through rules=..., not a configuration"):
        tcpcheck.diagram.trace(capture=f, preset="seed")
    with pytest.raises(InputError, match="connection=... and vantage=... are for capture=..."):
        tcpcheck.diagram.trace("seed", connection=1)
    zh = tcpcheck.conform(CAPTURES / "abort-linger0.pcap").chart(lang="zh")
    assert zh.title.startswith("abort-linger0.pcap，第 1 个连接") and "没有规则允许这个报文段" in zh.dot
