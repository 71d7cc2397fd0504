"""model/report.py: which violations are known consequences of RFC 9293, which
states a configuration does not mean to reach, the exit code, the levels of
the summary, wrapping, times and why a run stopped, and the JSON of a check.

Every classification is pinned on the reference model and refused on a
deliberately different one: a student's table, a mutant, another reason.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

from tcpcheck.model import interface
from tcpcheck.model.checker import run
from tcpcheck.model.config import PRESETS, parse_config, preset
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.properties import Text
from tcpcheck.model.report import (DEFAULT_WIDTH, exit_code, is_reference, known_consequence, not_meant,
                                   result_json, summary_lines, trace_json)
from tcpcheck.model.table import parse_table

from conftest import REFERENCE_TEXT


@functools.lru_cache(maxsize=None)
def checked(name: str):
    return run(preset(name))


def _student_table():
    """The reference table with its CLOSING, LAST_ACK and TIME_WAIT ABORT row
    sending a reset: a different table whose default run (no ABORT there) is
    the reference's, step for step."""
    old = "CLOSING, LAST_ACK, TIME_WAIT | ABORT | delete TCB        | CLOSED      | 3.10.5"
    assert REFERENCE_TEXT.count(old) == 1
    text = REFERENCE_TEXT.replace(old, "CLOSING, LAST_ACK, TIME_WAIT | ABORT | snd <SEQ=SND.NXT><CTL=RST>; "
                                       "delete TCB | CLOSED | student")
    return parse_table(text, "student.rules")


def _verdict(result, name):
    (v,) = [v for v in result.verdicts if v.name == name]
    return v


FIN_WAIT_2_WHY = ("A's user timeout fired (RFC 9293 3.10.8) and it deleted its TCB without a FIN; B waits "
                  "in FIN_WAIT_2 for that FIN for ever, since RFC 9293 gives FIN_WAIT_2 no timeout (3.10.8 "
                  "has none; real stacks add one, such as Linux's tcp_fin_timeout)")
RESET_WHY = ("B's user timeout fired (RFC 9293 3.10.8) and it deleted its TCB before A's FIN arrived; CLOSED "
             "answers that FIN with a reset (3.10.7.1), which A in LAST_ACK accepts (3.10.7.4)")


# --- known consequences of RFC 9293 ---------------------------------------------------------


def test_default_violations_are_all_known_with_why_sections_claims_and_chart():
    r = checked("default")
    got = {v.name: known_consequence(r, v) for v in r.verdicts if v.verdict == "violated"}
    assert set(got) == {"the passive closer is never reset", "deadlock freedom", "every close completes"}
    reset, dead, live = (got[n] for n in ("the passive closer is never reset", "deadlock freedom",
                                          "every close completes"))
    assert reset.why == RESET_WHY and reset.sections == ("3.10.8", "3.10.7.1", "3.10.7.4")
    assert reset.claims == ("C15",)
    assert reset.chart == ('tcpcheck diagram trace --counterexample "the passive closer is never reset" '
                           '-o the-passive-closer-is-never-reset.svg')
    assert dead.why == live.why == FIN_WAIT_2_WHY and dead.claims == ("C11",) and dead.sections == ("3.10.8",)
    assert dead.chart == 'tcpcheck diagram trace --counterexample "deadlock freedom" -o deadlock-freedom.svg'


@pytest.mark.parametrize("name, known", [
    ("default", 3), ("reliable", 0), ("seed", 0), ("simultaneous-open", 4), ("duplicating", 3), ("abort", 1)])
def test_every_violation_on_a_preset_is_known(name, known):
    """On the presets every violation that counts is a known consequence."""
    r = checked(name)
    bad = [v for v in r.verdicts if v.verdict == "violated" and not not_meant(r, v)]
    assert len(bad) == known
    assert all(known_consequence(r, v) is not None for v in bad)


def test_abort_preset_reset_is_the_abort():
    r = checked("abort")
    k = known_consequence(r, _verdict(r, "the passive closer is never reset"))
    assert k.why == ("B aborted, and an ABORT sends a reset (RFC 9293 3.10.5), which A in LAST_ACK accepts "
                     "(3.10.7.4)")
    assert k.sections == ("3.10.5", "3.10.7.4")
    assert k.chart.startswith("tcpcheck diagram trace --preset abort --counterexample ")


def test_a_students_table_with_the_same_violations_is_not_known():
    table = _student_table()
    r = run(preset("default"), table)
    assert not is_reference(r)
    bad = [v.name for v in r.verdicts if v.verdict == "violated"]
    assert bad == ["the passive closer is never reset", "deadlock freedom", "every close completes"]
    assert [known_consequence(r, v) for v in r.verdicts] == [None] * len(r.verdicts)
    text = "\n".join(summary_lines(r))
    assert "known consequence" not in text
    assert "Result: 3 of 19 properties violated.\n" in text + "\n"


def test_a_mutant_violating_the_same_property_is_not_known():
    cfg, table = apply_mutant("no-time-wait", mutant_config("no-time-wait"))
    r = run(cfg, table)
    v = _verdict(r, "the passive closer is never reset")
    assert v.verdict == "violated" and v.detail.key == "reset-in-last-ack"
    assert not is_reference(r) and known_consequence(r, v) is None


def test_a_mutant_of_the_configuration_alone_is_not_known():
    """short-time-wait keeps the reference table but is a mutant: its FIN_WAIT_2 is not 'known'."""
    cfg, table = apply_mutant("short-time-wait", mutant_config("short-time-wait"))
    r = run(cfg, table)
    v = _verdict(r, "deadlock freedom")
    assert v.verdict == "violated" and "FIN_WAIT_2" in v.detail
    assert table is None and known_consequence(r, v) is None
    # the same configuration without the mutant, on the reference table, is known
    plain = run(replace(cfg, name="plain"))
    assert known_consequence(plain, _verdict(plain, "deadlock freedom")) is not None


def test_another_reason_for_the_same_property_is_not_known():
    r = checked("default")
    v = _verdict(r, "deadlock freedom")
    other = v._replace(detail=Text("stuck", "stuck with A in {a}, B in {b}, {n} segment(s) in flight",
                                   a="CLOSED", b="FIN_WAIT_2", n=1))
    assert known_consequence(r, v) is not None and known_consequence(r, other) is None
    holds = _verdict(r, "SYN_SENT leads to ESTABLISHED or CLOSED")
    assert holds.verdict == "holds" and known_consequence(r, holds) is None


# --- what a configuration means to reach ------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_reaches_exactly_what_it_means_to(name):
    r, cfg = checked(name), preset(name)
    assert {w: set(r.reachable()[w]) for w in "AB"} == {w: set(getattr(cfg, w).reaches) for w in "AB"}
    assert "(all it is meant to)" in "\n".join(summary_lines(r))


def test_seed_closing_is_information_and_exit_0():
    r = checked("seed")
    v = _verdict(r, "CLOSING is reachable")
    assert v.verdict == "violated" and not_meant(r, v)
    assert exit_code(r) == 0
    assert exit_code(r.verdicts) == 1  # a bare list of verdicts: every one counts
    lines = summary_lines(r)
    assert any(line.startswith("  info      reachability  CLOSING is reachable") for line in lines)
    assert "VIOLATED" not in "\n".join(lines)
    text = "\n".join(lines)
    assert "Result: all 18 properties hold; CLOSING is not reached, and not meant to be in\n    preset 'seed'." in text


def test_a_state_that_is_meant_counts(tmp_path):
    """The same run with CLOSING declared as meant: its reachability is a violation again."""
    text = 'preset = "seed"\n[A]\nreaches = ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "CLOSING"]\n'
    cfg = parse_config(text, "c.toml")
    assert cfg.A.reaches == ("CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "CLOSING")
    r = run(cfg)
    assert not not_meant(r, _verdict(r, "CLOSING is reachable")) and exit_code(r) == 1
    lines = summary_lines(r)
    assert ("  A reaches 6 of 11 states: CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2\n"
            "      TIME_WAIT (meant to reach: CLOSING; not meant to: FIN_WAIT_2 TIME_WAIT)") in "\n".join(lines)


def test_changing_an_endpoints_behaviour_drops_the_presets_intent():
    cfg = parse_config('preset = "seed"\n[A]\nclose_in = ["ESTABLISHED", "CLOSE_WAIT"]\n', "c.toml")
    assert cfg.A.reaches is None and cfg.B.reaches == preset("seed").B.reaches
    same = parse_config('preset = "seed"\n[A]\niss = 7\n', "c.toml")
    assert same.A.reaches == preset("seed").A.reaches


@pytest.mark.parametrize("text, message", [
    ('[A]\nreaches = ["CLOSED", "ESTABLISED"]\n',
     "c.toml:2: reaches must be a list of state names (CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, "
     "FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK), not ['CLOSED', 'ESTABLISED']; "
     "did you mean 'ESTABLISHED' for 'ESTABLISED'?"),
    ('preset = "seed"\n[B]\n\nreaches = "LISTEN"\n',
     "c.toml:4: reaches must be a list of state names (CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, "
     "FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK), not 'LISTEN'"),
    ('[B]\nreaches = [1]\n',
     "c.toml:2: reaches must be a list of state names (CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, "
     "FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK), not [1]"),
])
def test_bad_reaches_in_a_file(text, message):
    from tcpcheck.model.config import ConfigError
    with pytest.raises(ConfigError) as err:
        parse_config(text, "c.toml")
    assert str(err.value) == message


def test_reaches_is_kept_in_the_rfcs_order_once_each():
    cfg = parse_config('[B]\nreaches = ["LAST_ACK", "CLOSED", "LAST_ACK"]\n', "c.toml")
    assert cfg.B.reaches == ("CLOSED", "LAST_ACK")


# --- the summary ------------------------------------------------------------------------


@pytest.fixture
def columns(monkeypatch):
    def set_to(n):
        monkeypatch.setenv("COLUMNS", str(n))
    set_to(DEFAULT_WIDTH)
    return set_to


def _trace_or_command(line: str) -> bool:
    return (line[:5].strip().rstrip(".").isdigit() or "-->" in line or line.startswith("    chart: tcpcheck ")
            or line.startswith("    tcpcheck "))


@pytest.mark.parametrize("width", [60, 80, 120])
def test_prose_fits_the_width_and_traces_stay_tables(columns, width):
    columns(width)
    r = checked("default")
    lines = summary_lines(r)
    long = [line for line in lines if len(line) > width and not _trace_or_command(line)]
    assert long == []
    # the trace table is as trace_lines has it, whatever the width
    assert ("  12. A: user timeout" + " " * 55 + "A CLOSE_WAIT -> CLOSED | B FIN_WAIT_2") in lines


def test_quiet_is_one_line_per_verdict_and_the_result(columns):
    columns(200)
    r = checked("default")
    lines = summary_lines(r, verbosity=-1)
    assert len(lines) == len(r.verdicts) + 1
    assert lines[-1] == ("Result: 3 of 19 properties violated, all known consequences of RFC 9293 itself, not "
                         "mistakes of the model or of the table.")
    assert lines[4].startswith("  VIOLATED  step          the passive closer is never reset")
    assert lines[4].endswith(": A in LAST_ACK is reset by <SEQ=302><CTL=RST> (a known consequence of RFC 9293)")


def test_default_level_says_why_and_what_next(columns):
    lines = summary_lines(checked("default"))
    text = "\n".join(lines)
    assert "Rule coverage: 71 of 146 rules fire; 75 never do in this configuration (-v lists\n    them)." in text
    start = lines.index("Result: 3 of 19 properties violated, all known consequences of RFC 9293 itself,")
    assert lines[start:start + 2] == [
        "Result: 3 of 19 properties violated, all known consequences of RFC 9293 itself,",
        "    not mistakes of the model or of the table:"]
    assert ("  - 'deadlock freedom' and 'every close completes': A's user timeout fired (RFC\n"
            "    9293 3.10.8) and it deleted its TCB without a FIN; B waits in FIN_WAIT_2 for\n") in text
    assert ("(claim C11).\n"
            '    chart: tcpcheck diagram trace --counterexample "deadlock freedom" -o deadlock-freedom.svg\n') in text
    nxt = lines[lines.index("What to run next:"):]
    assert nxt == [
        "What to run next:",
        "  a client and a server over a network that loses nothing, where every property",
        "      holds:",
        "    tcpcheck check --preset reliable",
        "  broken variants of the model, each with the property it breaks:",
        "    tcpcheck mutants",
        "  the seed note's claims C1-C17, one experiment each:",
        "    tcpcheck experiments",
        "  every option, with examples and exit codes:",
        "    tcpcheck check --help"]


def test_verbose_lists_every_rule_and_each_propertys_time(columns):
    r = run(preset("seed"))
    r.property_seconds = {v.name: 0.25 for v in r.verdicts}
    lines = summary_lines(r, verbosity=1)
    assert "Rule coverage: 13 of 146 rules fire; 133 never do in this configuration:" in lines
    assert "  fired:" in lines and "  never fire:" in lines
    fired, never = lines.index("  fired:"), lines.index("  never fire:")
    assert "    active OPEN: CLOSED" in lines[fired:never]
    assert "    passive OPEN: CLOSED" in lines[never:]  # seed's server listens already
    assert any(line.startswith("    ABORT: ") for line in lines)
    first = lines[lines.index("Properties:") + 1]
    assert first.startswith("  holds     invariant     no acknowledgment of unsent data") and first.endswith("  [0.25 s]")
    assert not any("[0.25 s]" in line for line in summary_lines(r))


def test_incomplete_run_says_not_yet_seen(columns):
    r = run(preset("default"), max_states=500)
    text = "\n".join(summary_lines(r))
    assert ("Explored 500 states and 950 transitions to depth 9; INCOMPLETE: stopped at the\n"
            "    state budget, 240 states expanded.") in text
    assert ("Rule coverage so far: 46 of 146 rules fired; 100 not yet seen, as the\n"
            "    exploration is incomplete (-v lists them).") in text
    assert "never" not in text.split("Rule coverage")[1].split("\n\n")[0]
    assert "  A reaches so far 9 of 11 states:" in text
    assert ("  further (raise --max-states: the run stopped at 500 states):\n"
            "    tcpcheck check --max-states 5000") in text
    verbose = summary_lines(r, verbosity=1)
    assert "  not yet seen:" in verbose and "  never fire:" not in verbose
    assert exit_code(r) == 4


def test_times_and_why_it_stopped_are_said_honestly(columns):
    r = run(preset("default"), max_states=500)
    r.timings = {"search": 4.4, "properties": 15.6, "total": 20.0}
    r.stopped = "max-memory"
    lines = summary_lines(r)
    assert "  Time: 20.00 s in all: search 4.40 s (114 states/s), properties 15.60 s." in lines
    assert ("Explored 500 states and 950 transitions to depth 9; INCOMPLETE: stopped at the\n"
            "    memory budget, 240 states expanded.") in "\n".join(lines)
    assert ("Result: no violation found, but 8 properties are unknown (the exploration is\n"
            "    incomplete; raise --max-memory).") in "\n".join(lines)
    j = result_json(r)
    assert (j["timings"], j["stopped"], j["complete"]) == ({"search": 4.4, "properties": 15.6, "total": 20.0},
                                                           "max-memory", False)
    # without the budgets' figures the search time is not passed off as the whole
    plain = run(preset("seed"))
    plain.timings = {}
    assert any(line.startswith("  Time: search ") and line.endswith("the properties' time was not measured.")
               for line in summary_lines(plain))


# --- JSON -------------------------------------------------------------------------------


def test_json_envelope_and_classification():
    r = checked("default")
    j = result_json(r)
    assert (j["schema_version"], j["kind"], j["tool"]["name"]) == (interface.SCHEMA_VERSION, "check", "tcpcheck")
    assert j["reference_model"] is True and j["exit_code"] == 1 and j["stopped"] is None
    assert j["intended"] == {"A": list(preset("default").A.reaches), "B": list(preset("default").B.reaches)}
    assert list(j["config"]["A"]["reaches"]) == list(preset("default").A.reaches)
    by = {p["name"]: p for p in j["properties"]}
    assert by["deadlock freedom"]["known_consequence"] == {
        "why": FIN_WAIT_2_WHY, "rfc": ["3.10.8"], "claims": ["C11"],
        "chart": 'tcpcheck diagram trace --counterexample "deadlock freedom" -o deadlock-freedom.svg'}
    assert all(p["counts"] for p in j["properties"])
    assert sum("known_consequence" in p for p in j["properties"]) == 3
    seed = result_json(checked("seed"))
    by = {p["name"]: p for p in seed["properties"]}
    assert by["CLOSING is reachable"]["counts"] is False and seed["exit_code"] == 0
    assert [p["name"] for p in seed["properties"] if not p["counts"]] == ["CLOSING is reachable"]


def test_json_segments_and_tcbs_have_the_interface_shape():
    r = checked("default")
    (p,) = [p for p in result_json(r)["properties"] if p["name"] == "deadlock freedom"]
    trace = p["counterexample"]
    assert trace[0] == {"step": 0, "what": "initial state", "A": trace[0]["A"], "B": trace[0]["B"]}
    assert trace[1]["sent"] == [{"text": "<SEQ=4294967294><CTL=SYN>", "SEQ": 4294967294, "ACK": None,
                                 "CTL": ["SYN"], "LEN": 0}]
    assert trace[3]["segment"]["text"] == "<SEQ=4294967294><CTL=SYN>"
    assert trace[7]["dropped"][0]["text"] == "<SEQ=4294967295><ACK=302><CTL=ACK><DATA=1>"
    assert trace[7]["dropped"][0]["LEN"] == 1 and trace[7]["what"] == "A: SEND"
    assert trace[-1]["B"] == {"state": "FIN_WAIT_2", "ISS": 300, "IRS": 4294967294, "SND.UNA": 302,
                              "SND.NXT": 302, "RCV.NXT": 4294967295, "passive": True,
                              "retransmissions_left": 1}
    assert trace[-1]["in_flight"] == {"A->B": [], "B->A": []}
    assert trace[1]["segment"] is None


def test_json_validates_against_the_published_schema():
    jsonschema = pytest.importorskip("jsonschema")
    try:
        v = interface.validator("check")
    except (FileNotFoundError, ValueError, AttributeError) as exc:  # the schema lands with the json engineer
        pytest.skip(f"no check schema yet: {exc}")
    for name in ("default", "seed"):
        errors = sorted(e.message for e in v.iter_errors(result_json(checked(name))))
        assert errors == []
    assert jsonschema
