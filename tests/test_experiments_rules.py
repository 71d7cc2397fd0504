"""``tcpcheck experiments --rules FILE`` and ``experiment NAME --rules FILE``:
the seed note's experiments on a student's rule table (issue 10).

Each verdict on the student's table is set beside the reference table's; the
exit code is 0 only when all are the same, and every one that differs is
printed.  The tables here are the reference table with one row changed, as
a student might: what changes, and only that, is pinned.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.experiments import EXPERIMENTS, mutant_table, run_experiment
from tcpcheck.model.mutants import MUTANTS, apply_mutant
from tcpcheck.model.config import preset
from tcpcheck.model.table import REFERENCE, load_table

# the reference table's verdict of each experiment (tests/test_experiments.py pins it)
REFERENCE_VERDICTS = {
    "handshake": "confirmed", "half-close": "confirmed", "active-passive": "confirmed",
    "fin-sequence": "confirmed", "closed-listen": "confirmed", "syn-rcvd-held": "confirmed",
    "syn-sent": "qualified", "fin-wait": "qualified", "time-wait-shortcut": "confirmed",
    "closing": "confirmed", "last-ack": "confirmed", "three-vs-four": "qualified",
    "time-wait-reason": "qualified",
}

FIN_WAIT_2_ROW = "FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth"
CLOSING_ROW = ("FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING     | "
               "F15, 3.10.7.4 eighth (simultaneous close)")


def student_table(tmp_path, name: str, old: str | None = None, new: str | None = None):
    """The reference table saved as ``name`` in ``tmp_path``, with row ``old`` replaced by ``new``."""
    text = REFERENCE.read_text(encoding="utf-8")
    if old is not None:
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_time_wait(tmp_path):
    """FIN_WAIT_2 --rcv FIN--> CLOSED (delete TCB) instead of TIME_WAIT."""
    return student_table(tmp_path, "no-time-wait.rules", FIN_WAIT_2_ROW,
                         "FIN_WAIT_2 | rcv FIN | snd ACK; delete TCB | CLOSED | student: no TIME_WAIT")


@pytest.fixture
def broken_closing(tmp_path):
    """FIN_WAIT_1 ignores the peer's FIN: no CLOSING, and no ACK of that FIN."""
    return student_table(tmp_path, "broken-closing.rules", CLOSING_ROW, "FIN_WAIT_1 | rcv FIN | - | same")


def report_rows(text: str) -> dict[str, tuple[str, str]]:
    """experiment -> (verdict, same as the reference?) from the report's summary table."""
    rows = re.findall(r"^\| \[([a-z0-9-]+)\]\([^)]*\) \| [^|]+ \| (\w+) \| ([^|]+) \|$", text, re.M)
    return {name: (verdict, same.strip()) for name, verdict, same in rows}


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    return code, out, err


# --- an unchanged copy of the reference table -------------------------------------

def test_a_copy_of_the_reference_table_gives_the_reference_verdicts(tmp_path, capsys):
    copy = tmp_path / "copy.rules"
    shutil.copyfile(REFERENCE, copy)
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "experiments", "--rules", str(copy), "--out", str(out))
    report = out / "experiments-copy.md"
    assert (code, err) == (0, "")
    assert stdout == f"13 of 13 experiments give the same verdict as on the reference table; report: {report}\n"
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"# The seed note's claims, checked against the model (rule table {copy})\n")
    assert f"run on the rule table `{copy}` instead of the reference table (rfc9293.rules)" in text
    assert report_rows(text) == {name: (v, "yes") for name, v in REFERENCE_VERDICTS.items()}
    assert text.count("(on the reference table: ") == 13 and "DIFFERENT" not in text
    assert "## Broken variants" not in text  # those are the reference model's, not this table's


def test_a_copy_gives_the_reference_runs_step_for_step(tmp_path):
    copy = load_table(shutil.copyfile(REFERENCE, tmp_path / "copy.rules"))
    for name in EXPERIMENTS:
        mine, ref = run_experiment(name, table=copy), run_experiment(name)
        assert (mine.verdict, len(mine.trace), str(mine.finding)) == (ref.verdict, len(ref.trace), str(ref.finding))
        assert mine.config == f"{ref.config}, rule table {tmp_path / 'copy.rules'}"


# --- FIN_WAIT_2 --rcv FIN--> CLOSED ---------------------------------------------------

NO_TIME_WAIT_CHANGES = {  # experiment: its verdict on the table (the reference's is in REFERENCE_VERDICTS)
    "active-passive": "refuted",  # the active closer never waits in TIME_WAIT (C5)
    "time-wait-shortcut": "refuted",  # FIN_WAIT_1 never goes straight to TIME_WAIT (C12)
    "time-wait-reason": "refuted",  # nothing is left to acknowledge the retransmitted FIN (C17)
}


def test_fin_wait_2_to_closed_changes_the_time_wait_experiments(no_time_wait, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "experiments", "--rules", str(no_time_wait), "--out", str(out))
    assert (code, err) == (1, "")
    assert stdout.splitlines() == [
        f"active-passive (C5): refuted on {no_time_wait}, confirmed on the reference table",
        f"time-wait-shortcut (C12): refuted on {no_time_wait}, confirmed on the reference table",
        f"time-wait-reason (C17): refuted on {no_time_wait}, qualified on the reference table",
        f"10 of 13 experiments give the same verdict as on the reference table; "
        f"report: {out / 'experiments-no-time-wait.md'}",
    ]
    rows = report_rows((out / "experiments-no-time-wait.md").read_text(encoding="utf-8"))
    assert rows == {name: (NO_TIME_WAIT_CHANGES.get(name, v), "**no**" if name in NO_TIME_WAIT_CHANGES else "yes")
                    for name, v in REFERENCE_VERDICTS.items()}


def test_a_changed_verdict_does_not_keep_the_reference_finding(no_time_wait):
    """active-passive has a run on this table, but not the reference's: the finding says how
    the endpoints went instead of repeating 'FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT'."""
    o = run_experiment("active-passive", table=load_table(no_time_wait))
    assert (o.verdict, o.trace_kind, len(o.trace) - 1) == ("refuted", "counterexample", 10)
    assert o.finding.key == "other-verdict"
    assert o.finding == ("This is not what the reference model shows, so its finding does not apply here. "
                         "In the run below, A goes CLOSED -> SYN_SENT -> ESTABLISHED -> FIN_WAIT_1 -> "
                         "FIN_WAIT_2 -> CLOSED and B goes LISTEN -> SYN_RCVD -> ESTABLISHED -> CLOSE_WAIT "
                         "-> LAST_ACK -> CLOSED.")
    assert not any(s.A.state == "TIME_WAIT" for _, s in o.trace)
    reason = run_experiment("time-wait-reason", table=load_table(no_time_wait))
    assert (reason.verdict, reason.trace) == ("refuted", None)
    assert reason.finding == (f"The claim does not hold: the model (lost-final-ack, rule table {no_time_wait}) "
                              f"has no run of the scenario 'lost-final-ack'.")


# --- FIN_WAIT_1 | rcv FIN | - | same -------------------------------------------------

def test_a_broken_closing_row_changes_the_closing_experiment_only(broken_closing, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "experiments", "--rules", str(broken_closing), "--out", str(out))
    assert (code, err) == (1, "")
    assert stdout.splitlines() == [
        f"closing (C13): refuted on {broken_closing}, confirmed on the reference table",
        f"12 of 13 experiments give the same verdict as on the reference table; "
        f"report: {out / 'experiments-broken-closing.md'}",
    ]
    rows = report_rows((out / "experiments-broken-closing.md").read_text(encoding="utf-8"))
    assert rows["closing"] == ("refuted", "**no**")
    assert all(rows[n] == (v, "yes") for n, v in REFERENCE_VERDICTS.items() if n != "closing")


def test_qualifications_that_a_table_takes_away(tmp_path):
    """Where the reference's qualification is about something the student's table does
    not have, the claim is confirmed as the note states it, and that is a difference too."""
    no_simultaneous_open = student_table(
        tmp_path, "no-so.rules",
        "SYN_SENT     | rcv SYN                 | snd SYN,ACK                | SYN_RCVD    | F7, 3.10.7.3 (simultaneous open)",
        "SYN_SENT | rcv SYN | delete TCB | CLOSED | student: no simultaneous open")
    o = run_experiment("syn-sent", table=load_table(no_simultaneous_open))
    assert (o.verdict, o.finding.key) == ("confirmed", "other-verdict")
    fin_wait_2_timer = tmp_path / "fw2-timer.rules"
    fin_wait_2_timer.write_text(REFERENCE.read_text(encoding="utf-8")
                                + "FIN_WAIT_2 | user timeout | delete TCB | CLOSED | student: a timer\n")
    o = run_experiment("fin-wait", table=load_table(fin_wait_2_timer))
    assert (o.verdict, o.finding.key) == ("confirmed", "other-verdict")


# --- one experiment ------------------------------------------------------------------

def test_one_experiment_as_json_names_the_table(no_time_wait, capsys):
    code, stdout, _ = run_cli(capsys, "experiment", "time-wait-reason", "--rules", str(no_time_wait), "--json")
    data = json.loads(stdout)
    assert code == 1
    assert (data["rules"], data["table"], data["mutant"]) == (str(no_time_wait), str(no_time_wait), None)
    assert (data["verdict"], data["expected"], data["as_expected"]) == ("refuted", "qualified", False)
    assert data["trace"] is None and str(no_time_wait) in data["finding"]
    code, stdout, _ = run_cli(capsys, "experiment", "active-passive", "--rules", str(no_time_wait), "--json")
    data = json.loads(stdout)
    assert (code, data["verdict"], data["trace_kind"], data["config"]) == (
        1, "refuted", "counterexample", f"seed, rule table {no_time_wait}")
    code, stdout, _ = run_cli(capsys, "experiment", "fin-sequence", "--rules", str(no_time_wait), "--json")
    data = json.loads(stdout)
    assert (code, data["verdict"], data["as_expected"], len(data["trace"])) == (0, "confirmed", True, 11)
    code, stdout, _ = run_cli(capsys, "experiment", "fin-sequence", "--json")
    assert json.loads(stdout)["table"] == "rfc9293.rules" and json.loads(stdout)["rules"] is None


def test_one_experiment_as_text_names_the_table(no_time_wait, capsys):
    code, stdout, _ = run_cli(capsys, "experiment", "active-passive", "--rules", str(no_time_wait))
    lines = stdout.splitlines()
    assert code == 1
    assert lines[1:3] == [f"rule table: {no_time_wait}",
                          "verdict: refuted (on the reference table: confirmed; DIFFERENT)"]
    assert f"counterexample (seed, rule table {no_time_wait}, 10 steps):" in lines
    code, stdout, _ = run_cli(capsys, "experiment", "handshake", "--rules", str(no_time_wait))
    assert code == 0 and stdout.splitlines()[2] == "verdict: confirmed (on the reference table: confirmed; the same)"


# --- bad tables ----------------------------------------------------------------------

@pytest.mark.parametrize("command", [["experiments"], ["experiment", "closing"]])
def test_a_table_with_a_syntax_error_is_exit_2_with_file_and_line(command, tmp_path, capsys):
    bad = student_table(tmp_path, "typo.rules", FIN_WAIT_2_ROW, "FIN_WAIT_2 | rcv FIN | snd ACK")  # 3 columns
    line = REFERENCE.read_text(encoding="utf-8").splitlines().index(FIN_WAIT_2_ROW) + 1
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, *command, "--rules", str(bad),
                                *(["--out", str(out)] if command == ["experiments"] else []))
    assert (code, stdout) == (2, "")
    assert err.startswith(f"tcpcheck: error: {bad}:{line}: ")
    assert "Traceback" not in err and "internal error" not in err
    assert not out.exists()  # nothing is written


def test_a_table_that_cannot_be_read_is_exit_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, "experiments", "--rules", str(tmp_path / "missing.rules"),
                           "--out", str(tmp_path / "out"))
    assert code == 2 and err.startswith(f"tcpcheck: error: {tmp_path / 'missing.rules'}: ")
    assert not (tmp_path / "out").exists()


# --- --rules with --mutant ----------------------------------------------------------

@pytest.mark.parametrize("name", [n for n, m in MUTANTS.items() if m.edits])
def test_a_mutants_edits_on_a_copy_are_the_mutant(name, tmp_path):
    copy = load_table(shutil.copyfile(REFERENCE, tmp_path / "copy.rules"))
    edited = mutant_table(name, copy)
    mutant = apply_mutant(name, preset("default"))[1]

    def rows(table):
        return sorted((r.state, r.qualifier or "", r.event, r.actions, r.to) for r in table.rules)

    assert rows(edited) == rows(mutant)
    assert [r.id for r in edited.rules] == list(range(len(edited.rules)))
    assert edited.name == f"{tmp_path / 'copy.rules'}, mutant {name}"


def test_a_mutant_on_a_students_table_adds_its_breakage(no_time_wait, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "experiments", "--rules", str(no_time_wait), "--mutant", "no-closing",
                                "--out", str(out))
    assert (code, err) == (1, "")
    changed = [line.split(" (")[0] for line in stdout.splitlines()[:-1]]
    assert changed == ["active-passive", "time-wait-shortcut", "closing", "time-wait-reason"]
    report = out / "experiments-no-time-wait-no-closing.md"
    assert stdout.splitlines()[-1].endswith(f"report: {report}")
    assert report.read_text(encoding="utf-8").startswith(
        f"# The seed note's claims, checked against the model (rule table {no_time_wait}) (mutant no-closing: ")
    # a semantic mutant applies to any table
    code, stdout, _ = run_cli(capsys, "experiment", "handshake", "--rules", str(no_time_wait),
                              "--mutant", "syn-not-counted")
    assert code == 1 and stdout.splitlines()[2].startswith("verdict: refuted")


def test_a_mutant_whose_edits_the_table_contradicts_is_refused(broken_closing, tmp_path, capsys):
    for command in (["experiments", "--out", str(tmp_path / "out")], ["experiment", "closing"]):
        code, stdout, err = run_cli(capsys, *command, "--rules", str(broken_closing), "--mutant", "no-closing")
        assert (code, stdout) == (2, "")
        assert err == (f"tcpcheck: error: mutant no-closing cannot be applied to the rule table {broken_closing}: "
                       f"it edits what the reference table (rfc9293.rules) does on FIN_WAIT_1: rcv FIN, and "
                       f"this table does something else there\n")
    assert not (tmp_path / "out").exists()
    code, _, err = run_cli(capsys, "experiment", "closing", "--rules", str(broken_closing), "--mutant", "nope")
    assert code == 2 and err.startswith("tcpcheck: error: unknown mutant 'nope'")


def test_a_mutant_alone_lists_what_it_changes(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run_cli(capsys, "experiments", "--mutant", "no-closing", "--out", str(out))
    assert code == 1
    assert stdout.splitlines() == ["closing (C13): refuted, expected confirmed",
                                   f"12 of 13 experiments came out as expected; "
                                   f"report: {out / 'experiments-no-closing.md'}"]


# --- in Chinese ----------------------------------------------------------------------

def test_a_students_table_in_chinese(no_time_wait, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "experiments", "--rules", str(no_time_wait), "--out", str(out),
                                "--lang", "zh")
    assert (code, err) == (1, "")
    assert stdout.splitlines() == [
        f"active-passive（C5）：在 {no_time_wait} 上的结论为“被否定”，在参考规则表上为“证实”",
        f"time-wait-shortcut（C12）：在 {no_time_wait} 上的结论为“被否定”，在参考规则表上为“证实”",
        f"time-wait-reason（C17）：在 {no_time_wait} 上的结论为“被否定”，在参考规则表上为“有补充”",
        f"13 个实验中有 10 个的结论与参考规则表上的相同；报告：{out / 'experiments-no-time-wait.zh.md'}",
    ]
    text = (out / "experiments-no-time-wait.zh.md").read_text(encoding="utf-8")
    assert text.startswith(f"# tcpcheck：笔记中的论断与模型的检验（规则表 {no_time_wait}）\n")
    assert "13 个实验中有 10 个的结论与参考规则表上的相同。" in text
    assert "**结论：被否定**（参考规则表上：证实；不同）。这与参考模型展示的不同" in text
    assert "This is not what the reference model shows" not in text
    assert "The claim does not hold" not in text
    code, stdout, _ = run_cli(capsys, "experiment", "time-wait-reason", "--rules", str(no_time_wait),
                              "--lang", "zh")
    lines = stdout.splitlines()
    assert code == 1
    assert lines[1] == f"规则表：{no_time_wait}"
    assert lines[2] == (f"结论：被否定（参考规则表上：有补充；不同）。该论断不成立：模型（lost-final-ack，"
                        f"规则表 {no_time_wait}）中没有场景 'lost-final-ack' 的运行。")


def test_the_help_says_what_the_exit_code_means(capsys):
    for command in ("experiments", "experiment"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--rules FILE" in text and "--mutant NAME" in text
        assert "Exit code: 0 when" in text and "reference table" in text
