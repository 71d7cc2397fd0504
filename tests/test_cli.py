"""The command line, run as a user runs it: in a subprocess.

Exit codes: 0 all hold, 1 violated, 2 bad input, 4 unknown (incomplete).
Bad input gets a one-line message naming the problem, never a traceback.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REFERENCE_TEXT

TCPCHECK = [sys.executable, "-m", "tcpcheck.model"]


def cli(*args, cwd=None):
    return subprocess.run([*TCPCHECK, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@functools.lru_cache(maxsize=None)
def cli_json(*args):
    proc = cli("check", "--json", *args)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def assert_usage_error(proc, message: str):
    """Exit 2, nothing on stdout, and stderr is exactly 'tcpcheck: error: <message>'."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr == f"tcpcheck: error: {message}\n"


# --- normal runs ------------------------------------------------------------------

def test_check_default_finds_the_deadlock():
    proc = cli("check")
    assert proc.returncode == 1
    assert proc.stderr == ""
    out = proc.stdout
    assert "configuration 'default'" in out
    assert "Explored 28,817 states and 116,481 transitions to depth 21" in out
    assert "complete." in out
    flat = " ".join(out.split())  # prose is wrapped to the terminal's width
    assert "  VIOLATED  deadlock      deadlock freedom" in out
    assert ": stuck with A in CLOSED, B in FIN_WAIT_2, 0 segment(s) in flight (a known consequence" in flat
    assert "Counterexample to 'deadlock freedom' (12 steps)" in out
    assert "(dropped: the channel is full)" in out
    assert "Rule coverage: 71 of 146 rules fire; 75 never do in this configuration (-v lists them)." in flat
    assert ("\nResult: 3 of 19 properties violated, all known consequences of RFC 9293 itself,") in out
    assert out.count("VIOLATED") == 3
    assert ("Counterexample to 'every close completes': a fair run never gets there: it stops "
            "with A in CLOSED, B in FIN_WAIT_2; the same run as the counterexample to "
            "'deadlock freedom' above.") in flat


def test_the_tcpcheck_script_is_installed_and_behaves_the_same():
    script = Path(sys.executable).with_name("tcpcheck")
    assert script.exists()
    proc = subprocess.run([str(script), "check", "--preset", "seed"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0  # seed's CLOSING is not meant to be reached: information
    assert "  info      reachability  CLOSING is reachable" in proc.stdout
    assert "Explored 14 states and 15 transitions to depth 11" in proc.stdout


def test_check_reliable_holds():
    proc = cli("check", "--preset", "reliable")
    assert proc.returncode == 0, proc.stdout
    assert "VIOLATED" not in proc.stdout
    assert "Explored 307 states and 572 transitions to depth 17" in proc.stdout
    assert proc.stdout.count("  holds     ") == 19
    assert "\nResult: all 19 properties hold.\n" in proc.stdout


def test_presets_lists_all_six():
    proc = cli("presets")
    assert proc.returncode == 0
    names = [line.split(":")[0] for line in proc.stdout.splitlines() if not line.startswith(" ")]
    assert names == ["default", "reliable", "seed", "simultaneous-open", "duplicating", "abort"]


def test_help_lists_presets_and_exit_codes():
    proc = cli("check", "--help")
    assert proc.returncode == 0
    for word in ("--preset", "--config", "--rules", "--json", "--max-states", "simultaneous-open"):
        assert word in proc.stdout
    top = cli("--help")
    assert top.returncode == 0 and "Exit codes: 0 all properties hold, 1 one is violated" in top.stdout.replace("\n", " ")


@pytest.mark.parametrize("command, kind", [(["check"], "check"), (["bench"], "bench"), (["export"], "export"),
                                           (["prove"], "prove")])
def test_help_names_the_schema_of_the_json_and_it_ships(command, kind):
    from importlib.resources import files

    from tcpcheck.model.interface import KINDS

    proc = cli(*command, "--help")
    text = " ".join(proc.stdout.split())  # argparse wraps the help to the terminal's width
    assert proc.returncode == 0
    assert f"schema: {kind}.schema.json in tcpcheck/model/schemas)" in text, text
    assert kind in KINDS and files("tcpcheck.model").joinpath("schemas", f"{kind}.schema.json").is_file()


# --- JSON ---------------------------------------------------------------------------

KEYS = {"states", "transitions", "depth", "seconds", "complete", "reachable", "rules_fired",
        "rules_dead", "properties"}


def test_json_default():
    code, out, err = cli_json()
    assert code == 1 and err == ""
    assert KEYS <= set(out)
    assert (out["states"], out["transitions"], out["depth"], out["complete"]) == (28817, 116481, 21, True)
    assert isinstance(out["seconds"], float) and out["seconds"] >= 0
    assert out["reachable"] == {
        "A": ["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING",
              "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK"],
        "B": ["CLOSED", "LISTEN", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
              "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK"]}
    assert (len(out["rules_fired"]), len(out["rules_dead"])) == (71, 75)
    assert out["rules_fired"][0] == {"rule": "CLOSED --passive OPEN / create TCB--> LISTEN",
                                     "where": "rfc9293.rules:19"}
    assert all(set(r) == {"rule", "where"} and r["where"].startswith("rfc9293.rules:")
               for r in out["rules_fired"] + out["rules_dead"])
    props = out["properties"]
    assert len(props) == 19
    for p in props:
        assert {"name", "kind", "verdict"} <= set(p)
        assert p["verdict"] in ("holds", "violated", "unknown")
        assert p["kind"] in ("invariant", "step", "reachability", "deadlock", "liveness")
        if p["verdict"] == "violated":
            assert "counterexample" in p
        if p["kind"] == "reachability" and p["verdict"] == "holds":
            assert "witness" in p
    assert [p["name"] for p in props if p["verdict"] == "violated"] == [
        "the passive closer is never reset", "deadlock freedom", "every close completes"]


def test_json_counterexample_trace():
    _, out, _ = cli_json()
    (p,) = [p for p in out["properties"] if p["name"] == "deadlock freedom"]
    trace = p["counterexample"]
    assert p["detail"] == "stuck with A in CLOSED, B in FIN_WAIT_2, 0 segment(s) in flight"
    assert [s["step"] for s in trace] == list(range(13))
    assert trace[0]["what"] == "initial state"
    assert trace[1]["rules"] == ["CLOSED --active OPEN / create TCB; snd SYN--> SYN_SENT"]
    assert [s["text"] for s in trace[1]["sent"]] == ["<SEQ=4294967294><CTL=SYN>"]
    assert trace[7]["what"] == "A: SEND"
    assert [s["text"] for s in trace[7]["dropped"]] == ["<SEQ=4294967295><ACK=302><CTL=ACK><DATA=1>"]
    assert trace[11]["what"] == "network loses <SEQ=4294967295><ACK=302><CTL=ACK><DATA=1> (A->B)"
    last = trace[-1]
    assert (last["actor"], last["kind"], last["event"]) == ("A", "timer", "user timeout")
    assert last["before"] == {"A": "CLOSE_WAIT", "B": "FIN_WAIT_2"}
    assert last["A"]["state"] == "CLOSED"
    assert last["B"] == {"state": "FIN_WAIT_2", "ISS": 300, "IRS": 4294967294, "SND.UNA": 302,
                         "SND.NXT": 302, "RCV.NXT": 4294967295, "passive": True,
                         "retransmissions_left": 1}
    assert last["in_flight"] == {"A->B": [], "B->A": []}


def test_json_reachability_violation_has_a_detail_but_no_trace():
    """A reachability property that fails has no state to show: no counterexample key."""
    code, out, _ = cli_json("--preset", "seed")
    assert code == 0  # not meant to be reached in seed: it does not count
    (p,) = [p for p in out["properties"] if p["verdict"] == "violated"]
    assert p["counts"] is False
    assert p["name"] == "CLOSING is reachable"
    assert p["detail"] == "no explored state has it"
    assert "counterexample" not in p and "witness" not in p


@pytest.mark.parametrize("preset", ["reliable", "abort"])
def test_max_states_gives_unknown_and_exit_4(preset):
    code, out, _ = cli_json("--preset", preset, "--max-states", "100")
    assert code == 4
    assert out["complete"] is False
    assert out["states"] == 100
    verdicts = [p["verdict"] for p in out["properties"]]
    assert "violated" not in verdicts
    assert "unknown" in verdicts
    unknown = {p["name"] for p in out["properties"] if p["verdict"] == "unknown"}
    assert {"deadlock freedom", "no acknowledgment of unsent data"} <= unknown
    assert all("counterexample" not in p for p in out["properties"])


def test_max_states_summary_text():
    proc = cli("check", "--preset", "reliable", "--max-states", "100")
    assert proc.returncode == 4
    flat = " ".join(proc.stdout.split())
    assert "INCOMPLETE: stopped at the state budget" in flat
    assert "  unknown   deadlock      deadlock freedom" in proc.stdout
    assert ("Result: no violation found, but 9 properties are unknown "
            "(the exploration is incomplete; raise --max-states).") in flat


def test_max_states_with_thousands_separators():
    code, out, _ = cli_json("--preset", "reliable", "--max-states", "1_000")
    assert code == 0 and out["complete"] is True and out["states"] == 307


def test_max_states_does_not_hide_an_early_violation():
    code, out, _ = cli_json("--max-states", "100")
    assert code == 4  # default's deadlock lies deeper than 100 states
    code, out, _ = cli_json("--preset", "seed", "--max-states", "14")
    assert code == 0 and out["complete"] is True  # CLOSING, not meant in seed, does not count
    assert [p["name"] for p in out["properties"] if p["verdict"] == "violated"] == ["CLOSING is reachable"]


# --- other rule tables and configuration files ---------------------------------------

def test_rules_option_checks_a_student_table(tmp_path):
    rules = tmp_path / "student.rules"
    rules.write_text(REFERENCE_TEXT.replace(
        "TIME_WAIT    | timeout 2MSL | delete TCB                 | CLOSED      | F20, 3.10.8\n", ""))
    proc = cli("check", "--preset", "reliable", "--rules", str(rules))
    assert proc.returncode == 1
    flat = " ".join(proc.stdout.split())
    assert f"rules: {rules} (145 rules)" in flat
    assert "VIOLATED  deadlock      deadlock freedom" in proc.stdout
    assert ": stuck with A in TIME_WAIT, B in TIME_WAIT, 0 segment(s) in flight" in flat
    assert "known consequence" not in flat
    assert "Counterexample to 'deadlock freedom' (11 steps)" in proc.stdout


def test_config_file_with_wrapping_iss(tmp_path):
    cfg = tmp_path / "wrap.toml"
    cfg.write_text('preset = "reliable"\n[A]\niss = 4294967295\n')
    code, out, _ = cli_json("--config", str(cfg))
    assert code == 0
    assert (out["states"], out["transitions"]) == (307, 572)
    assert out["config"]["A"]["iss"] == 4294967295
    assert out["config"]["name"] == "wrap.toml (from preset reliable)"


def test_config_rules_path_is_relative_to_the_config(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.rules").write_text(REFERENCE_TEXT.replace(
        "TIME_WAIT    | timeout 2MSL | delete TCB                 | CLOSED      | F20, 3.10.8\n", ""))
    cfg = tmp_path / "sub" / "c.toml"
    cfg.write_text('preset = "seed"\nrules = "t.rules"\n')
    code, out, _ = cli_json("--config", str(cfg))
    assert code == 1
    assert out["rules"] == str(tmp_path / "sub" / "t.rules")
    assert [p["name"] for p in out["properties"] if p["verdict"] == "violated"] == [
        "CLOSING is reachable", "deadlock freedom", "every close completes"]


# --- bad input: exit 2, one line, no traceback ---------------------------------------

def test_unknown_preset():
    assert_usage_error(cli("check", "--preset", "nope"),
                       "unknown preset 'nope'; known presets: default, reliable, seed, "
                       "simultaneous-open, duplicating, abort")


def test_missing_config_file(tmp_path):
    path = tmp_path / "missing.toml"
    assert_usage_error(cli("check", "--config", str(path)),
                       f"{path}: cannot read the configuration: No such file or directory")


def test_missing_rules_file(tmp_path):
    path = tmp_path / "missing.rules"
    assert_usage_error(cli("check", "--rules", str(path)),
                       f"{path}: cannot read the rule table: No such file or directory")


CONFIG_ERRORS = [
    ("malformed TOML",
     'preset = "default"\n[A\niss = 1\n',
     "2: not valid TOML: Expected ']' at the end of a table declaration (at line 2, column 3)"),
    ("unknown key in an endpoint",
     'preset = "default"\n[A]\niss = 1\nfoo = 2\n',
     "4: unknown key 'foo' in [A]; expected one of abort, close_in, data, foreign_socket, iss, "
     "iss_step, open, opened, opens, reaches, retransmissions"),
    ("unknown key in network",
     '\n[network]\nloss = true\nbogus = 1\n',
     "4: unknown key 'bogus' in [network]; expected capacity, loss, duplication, reordering or "
     "loss_budget"),
    ("unknown top-level key",
     'preset = "default"\nbogus = 3\n',
     "2: unknown key 'bogus'; expected one of A, B, iss_step, network, preset, profile, rcv_wnd, rules, timers"),
    ("unknown top-level table",
     'preset = "default"\n\n[bogus]\nx = 3\n',
     "3: unknown key 'bogus'; expected one of A, B, iss_step, network, preset, profile, rcv_wnd, rules, timers"),
    ("wrong type: string for a number",
     '[network]\ncapacity = "two"\n',
     "2: capacity must be an integer from 1 to 8, not 'two'"),
    ("wrong type: number for a boolean",
     '[network]\n\nloss = 1\n',
     "3: loss must be true or false, not 1"),
    ("wrong type: boolean for the ISS",
     '[A]\niss = true\n',
     "2: iss must be an integer from 0 to 4294967295, not True"),
    ("ISS out of range",
     '[B]\nopen = "passive"\niss = 4294967296\n',
     "3: iss must be an integer from 0 to 4294967295, not 4294967296"),
    ("unknown state in close_in",
     '[B]\nclose_in = ["ESTABLISHED", "NOPE"]\n',
     "2: close_in must be a list of state names (CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, "
     "FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK), not ['ESTABLISHED', 'NOPE']"),
    ("bad open mode",
     '[A]\nopen = "sideways"\n',
     "2: open must be one of active, passive, none, not 'sideways'"),
    ("receive window zero",
     'preset = "seed"\nrcv_wnd = 0\n',
     "2: rcv_wnd must be an integer from 1 to 1073741824, not 0"),
    ("unknown preset in a file",
     '# comment\npreset = "nope"\n',
     "2: unknown preset 'nope'; known presets: default, reliable, seed, simultaneous-open, "
     "duplicating, abort"),
    ("preset not a string",
     'preset = 3\n',
     "1: preset must be a string"),
    ("endpoint not a table",
     'preset = "seed"\nA = 3\n',
     "2: A must be a table: [A]"),
]


@pytest.mark.parametrize("problem, text, message", CONFIG_ERRORS, ids=[p for p, _, _ in CONFIG_ERRORS])
def test_bad_config_file(tmp_path, problem, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert_usage_error(cli("check", "--config", str(path)), f"{path}:{message}")


def test_config_not_utf8(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xff\xfe preset")
    assert_usage_error(cli("check", "--config", str(path)),
                       f"{path}:1: the configuration is UTF-16 text: save it as UTF-8")


@pytest.mark.parametrize("text, message", [
    pytest.param('preset = "default"\n\nA.foo = 3\n', "3: unknown key 'foo' in [A]", id="dotted key"),
    pytest.param('preset = "default"\n[A]\n"iss" = "x"\n', "3: iss must be an integer", id="quoted key"),
    pytest.param('preset = "default"\n[A]   # the client\niss = -1\n', "3: iss must be an integer",
                 id="comment after [A]"),
    pytest.param('preset = "default"\n\n[bogus] # mine\n', "3: unknown key 'bogus'",
                 id="comment after unknown table"),
    pytest.param('preset = "default"\n[A]\n\nfoo = 3\n', "4: unknown key 'foo' in [A]", id="plain key"),
    pytest.param('preset = "default"\n[A]\n  iss   =   -1  # indented\n', "3: iss must be an integer",
                 id="indented key with comment"),
])
def test_config_error_line_numbers(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    proc = cli("check", "--config", str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"tcpcheck: error: {path}:{message}")


def test_malformed_rules_file(tmp_path):
    path = tmp_path / "bad.rules"
    path.write_text(REFERENCE_TEXT + "LISTEN | rcv FIN | - | same\n")
    assert_usage_error(cli("check", "--rules", str(path)),
                       f"{path}:91: event 'rcv FIN' cannot happen in LISTEN; the arrival events of "
                       f"LISTEN are: rcv RST, rcv SYN, rcv other segment, rcv segment with ACK")


def test_malformed_rules_file_named_in_a_config(tmp_path):
    from tcpcheck.model.table import REFERENCE
    text = REFERENCE.read_text(encoding="utf-8")
    (tmp_path / "bad.rules").write_text(text + "LISTEN | CLOSE | delete TCB\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text('rules = "bad.rules"\n')
    line = len(text.splitlines()) + 1
    assert_usage_error(cli("check", "--config", str(cfg)),
                       f"{tmp_path / 'bad.rules'}:{line}: expected 4 or 5 columns separated by '|' "
                       f"(from | event | actions | to | source), found 3")


def test_every_error_of_a_rules_file_is_printed_on_its_own_line(tmp_path):
    bad = tmp_path / "bad.rules"
    bad.write_text("CLOSED | active OPEN | create TCB; snd SYN | SYN_SENT\n"
                   "LISTEN | CLOSE | delete TCB\n"
                   "ESTABLISED | CLOSE | snd FIN | FIN_WAIT_1\n")
    proc = cli("check", "--rules", str(bad))
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0] == (f"tcpcheck: error: {bad}:2: expected 4 or 5 columns separated by '|' "
                        f"(from | event | actions | to | source), found 3")
    assert lines[1] == f"tcpcheck: error: {bad}:3: unknown state 'ESTABLISED'; did you mean ESTABLISHED?"
    assert lines[2].startswith(f"tcpcheck: error: {bad}:1: the table does not say what to do on ")
    assert len(lines) == 3


@pytest.mark.parametrize("args, prog, message", [
    (["--max-states", "0"], "tcpcheck check", "argument --max-states: expected a positive whole number, not '0'"),
    (["--max-states", "-5"], "tcpcheck check", "argument --max-states: expected a positive whole number, not '-5'"),
    (["--max-states", "many"], "tcpcheck check",
     "argument --max-states: expected a positive whole number, not 'many'"),
    (["--preset", "seed", "--config", "x.toml"], "tcpcheck check",
     "argument --config: not allowed with argument --preset"),
    (["--frobnicate"], "tcpcheck check", "unrecognized arguments: --frobnicate"),
])
def test_bad_arguments(args, prog, message):
    """argparse reports these: its usage lines, then one error line naming the problem."""
    proc = cli("check", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"usage: {prog} ")
    assert lines[-1] == f"{prog}: error: {message}"
    assert sum("error" in line for line in lines) == 1


def test_no_command():
    proc = cli()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("tcpcheck: error: the following arguments are required")
