"""A student's first contact with ``tcpcheck check``, run as they run it (a
subprocess at 80 columns): the known consequences of RFC 9293 are explained,
a narrow preset's unreached states are information, an incomplete run says
"not yet seen", and an unknown preset or mutant gets a "did you mean".
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

TCPCHECK = [sys.executable, "-m", "tcpcheck.model"]


def cli(*args, columns="80"):
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run([*TCPCHECK, *args], capture_output=True, text=True, timeout=120, env=env)


def _prose(out: str) -> list[str]:
    """Lines that are neither trace table rows nor commands to copy."""
    return [line for line in out.splitlines()
            if not (line[:5].strip().rstrip(".").isdigit() or "-->" in line
                    or line.startswith(("    chart: tcpcheck ", "    tcpcheck ")))]


def test_default_explains_its_violations_and_keeps_exit_1():
    proc = cli("check")
    assert proc.returncode == 1 and proc.stderr == ""
    out = proc.stdout
    assert max(len(line) for line in _prose(out)) <= 80
    assert ("Result: 3 of 19 properties violated, all known consequences of RFC 9293 itself,\n"
            "    not mistakes of the model or of the table:\n"
            "  - 'the passive closer is never reset': B's user timeout fired (RFC 9293\n") in out
    assert " ".join(out.split()).count("(a known consequence of RFC 9293, see below)") == 3
    charts = [line for line in out.splitlines() if line.startswith("    chart: ")]
    assert charts == [
        '    chart: tcpcheck diagram trace --counterexample "the passive closer is never reset" '
        '-o the-passive-closer-is-never-reset.svg',
        '    chart: tcpcheck diagram trace --counterexample "deadlock freedom" -o deadlock-freedom.svg']
    assert out.rstrip().endswith("What to run next:" + out.rstrip().split("What to run next:")[1])
    assert "    tcpcheck check --preset reliable\n" in out


def test_the_chart_command_printed_draws_the_chart(tmp_path):
    pytest.importorskip("tcpcheck.diagrams")
    out = cli("check").stdout
    chart = next(line for line in out.splitlines() if "deadlock-freedom.svg" in line)
    command = chart.removeprefix("    chart: tcpcheck ").replace("-o deadlock-freedom.svg",
                                                             f"--format dot -o {tmp_path / 'd.dot'}")
    import shlex
    proc = subprocess.run([*TCPCHECK, *shlex.split(command)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    dot = (tmp_path / "d.dot").read_text(encoding="utf-8")
    assert "counterexample to 'deadlock freedom'" in dot and "FIN_WAIT_2" in dot


def test_a_students_table_gets_no_known_label(tmp_path):
    from conftest import REFERENCE_TEXT
    rules = tmp_path / "student.rules"
    old = "CLOSING, LAST_ACK, TIME_WAIT | ABORT | delete TCB        | CLOSED      | 3.10.5"
    rules.write_text(REFERENCE_TEXT.replace(old, "CLOSING, LAST_ACK, TIME_WAIT | ABORT | snd <SEQ=SND.NXT><CTL=RST>; "
                                                 "delete TCB | CLOSED | student"))
    proc = cli("check", "--rules", str(rules))
    assert proc.returncode == 1
    assert "known consequence" not in proc.stdout
    assert "\nResult: 3 of 19 properties violated.\n" in proc.stdout
    assert f"    tcpcheck diagram trace --rules {rules} --counterexample" in proc.stdout


def test_a_mutant_gets_no_known_label():
    proc = cli("check", "--mutant", "no-time-wait")
    assert proc.returncode == 1
    assert "known consequence" not in proc.stdout
    assert "\nResult: 2 of 19 properties violated.\n" in proc.stdout
    assert ("    tcpcheck check --mutant no-time-wait --json > check.json; tcpcheck diagram trace "
            "--file check.json --property \"the passive closer is never reset\"") in proc.stdout


def test_a_narrow_preset_reports_its_unreached_state_as_information():
    out = cli("check", "--preset", "seed").stdout
    assert ("  info      reachability  CLOSING is reachable [REACH-CLOSING]: not meant to be\n"
            "                          reached in preset 'seed'\n") in out
    assert "VIOLATED" not in out
    assert ("Result: all 18 properties hold; CLOSING is not reached, and not meant to be in\n"
            "    preset 'seed'.\n") in out
    assert "    tcpcheck diagram trace seed -o seed.svg\n" in out


def test_a_narrow_preset_exits_0():
    assert cli("check", "--preset", "seed").returncode == 0


def test_an_incomplete_run_says_not_yet_seen():
    proc = cli("check", "--max-states", "500")
    assert proc.returncode == 4
    out = proc.stdout
    assert "never do" not in out and "never fire" not in out
    assert ("Rule coverage so far: 46 of 146 rules fired; 100 not yet seen, as the\n"
            "    exploration is incomplete (-v lists them).\n") in out
    assert "    tcpcheck check --max-states 5000\n" in out


@pytest.mark.parametrize("args, message", [
    (["--preset", "defualt"], "unknown preset 'defualt'; did you mean 'default'? known presets: default, "
                              "reliable, seed, simultaneous-open, duplicating, abort"),
    (["--preset", "nope"], "unknown preset 'nope'; known presets: default, reliable, seed, simultaneous-open, "
                           "duplicating, abort"),
    (["--mutant", "no-time-wiat"], "unknown mutant 'no-time-wiat'; did you mean 'no-time-wait'? known mutants: "
                                   "no-time-wait, two-way-handshake, fin-no-seq, no-closing, no-fin-retransmit, "
                                   "short-time-wait, time-wait-forever, last-ack-silent, syn-counted-twice, "
                                   "syn-not-counted, ack-check-forgets-snd-nxt, fin-resent-as-new, "
                                   "syn-rcvd-waits-forever"),
])
def test_did_you_mean(args, message):
    proc = cli("check", *args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"tcpcheck: error: {message}\n")


def test_a_config_file_declares_what_it_means_to_reach(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('preset = "seed"\n[B]\nreaches = ["CLOSED", "LISTEN", "CLOSING"]\n')
    proc = cli("check", "--config", str(path))
    assert proc.returncode == 1
    assert "  VIOLATED  reachability  CLOSING is reachable" in proc.stdout
    path.write_text('preset = "seed"\n[B]\nreaches = ["CLOSED", "LISTN"]\n')
    proc = cli("check", "--config", str(path))
    assert proc.returncode == 2 and proc.stderr.startswith(f"tcpcheck: error: {path}:3: reaches must be a list")
    assert proc.stderr.endswith("; did you mean 'LISTEN' for 'LISTN'?\n")
