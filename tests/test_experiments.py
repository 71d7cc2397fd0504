"""The experiments on the seed note's claims: verdicts and runs pinned."""

import json
import subprocess
import sys

import pytest

from tcpcheck.model.experiments import EXPERIMENTS, run_experiment
from tcpcheck.model.tcb import describe_segment

TCPCHECK = [sys.executable, "-m", "tcpcheck.model"]

# experiment: (verdict, configuration of its run, length of the run)
PINNED = {
    "handshake": ("confirmed", "seed", 4),
    "half-close": ("confirmed", "reliable", 10),
    "active-passive": ("confirmed", "seed", 11),
    "fin-sequence": ("confirmed", "seed", 11),
    "closed-listen": ("confirmed", "reliable", 1),
    "syn-rcvd-held": ("confirmed", "default", 8),
    "syn-sent": ("qualified", "simultaneous-open", 8),
    "fin-wait": ("qualified", "reliable", 10),
    "time-wait-shortcut": ("confirmed", "default", 8),
    "closing": ("confirmed", "simultaneous-close", 12),
    "last-ack": ("confirmed", "seed", 11),
    "three-vs-four": ("qualified", "seed", 11),
    "time-wait-reason": ("qualified", "lost-final-ack", 14),
}


def test_every_claim_has_an_experiment():
    claims = {c for e in EXPERIMENTS.values() for c in e.claims}
    assert claims == {f"C{n}" for n in range(1, 18)}
    assert set(PINNED) == set(EXPERIMENTS)


@pytest.mark.parametrize("name", list(PINNED))
def test_verdict_and_run(name):
    o = run_experiment(name)
    assert (o.verdict, o.config, len(o.trace) - 1) == PINNED[name]
    assert o.verdict == EXPERIMENTS[name].expected


def test_handshake_run_is_the_three_segments():
    o = run_experiment("handshake")
    sent = [describe_segment(q) for step, _ in o.trace[1:] for q in step.sent]
    assert sent == ["<SEQ=4294967294><CTL=SYN>", "<SEQ=300><ACK=4294967295><CTL=SYN,ACK>",
                    "<SEQ=4294967295><ACK=301><CTL=ACK>"]
    assert (o.trace[-1][1].A.state, o.trace[-1][1].B.state) == ("ESTABLISHED", "ESTABLISHED")


def test_syn_rcvd_is_held_until_the_retransmitted_syn_ack_is_answered():
    o = run_experiment("syn-rcvd-held")
    events = [(st.actor, st.kind, st.event) for st, _ in o.trace[1:]]
    assert ("network", "lose", "A->B") in events
    assert events[-3:] == [("B", "timer", "retransmission timeout"),
                           ("A", "rcv", "rcv unacceptable segment"),
                           ("B", "rcv", "rcv ACK of SYN")]
    lost_at = events.index(("network", "lose", "A->B"))
    assert all(s.B.state == "SYN_RCVD" for _, s in o.trace[lost_at + 1:-1])
    assert o.trace[-1][1].B.state == "ESTABLISHED"


def test_time_wait_shortcut_is_one_segment():
    o = run_experiment("time-wait-shortcut")
    step, after = o.trace[-1]
    before = o.trace[-2][1]
    assert (before.A.state, after.A.state) == ("FIN_WAIT_1", "TIME_WAIT")
    assert step.segment.FIN and step.segment.ACK


def test_closing_counts_states():
    assert "8,200 of the default model's 28,817 states" in run_experiment("closing").finding


def cli(*args):
    return subprocess.run([*TCPCHECK, *args], capture_output=True, text=True, timeout=300)


def test_experiment_list_and_one_as_json():
    listed = cli("experiment", "--list")
    assert listed.returncode == 0
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == [[e.id, name] for name, e in EXPERIMENTS.items()]
    one = cli("experiment", "fin-sequence", "--json")
    assert one.returncode == 0
    data = json.loads(one.stdout)
    assert (data["verdict"], data["as_expected"], data["claims"]) == ("confirmed", True, ["C6", "C7"])
    assert len(data["trace"]) == 12 and data["trace"][0]["what"] == "initial state"


def test_one_experiment_in_chinese():
    proc = cli("experiment", "fin-sequence", "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "fin-sequence (C6, C7): 每个 FIN 是否都以它的序列号加一来确认？"
    assert lines[1].startswith("结论：证实（预期：证实；符合预期）。") and "**" not in lines[1]
    assert lines[3] == "示例运行：配置 seed，共 11 步。"
    assert lines[4].split()[:2] == ["0.", "初始状态"] and lines[-1].split()[:2] == ["11.", "A：2MSL"]
    # the same run as in English, step for step
    english = cli("experiment", "fin-sequence").stdout.splitlines()
    assert len(lines) == len(english) - 1 and lines[-1].split()[-5:] == english[-1].split()[-5:]


def test_unknown_experiment():
    proc = cli("experiment", "nope")
    assert proc.returncode == 2
    assert proc.stderr.startswith("tcpcheck: error: unknown experiment 'nope'; known experiments: handshake,")


def test_experiments_report(tmp_path):
    proc = cli("experiments", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"13 of 13 experiments came out as expected; report: {tmp_path / 'experiments.md'}\n"
    text = (tmp_path / "experiments.md").read_text()
    assert "13 of 13 experiments came out as expected." in text
    assert text.count("\n## ") == 13 + 1  # the experiments, then the broken variants
    from tcpcheck.model.mutants import MUTANTS
    # a chart per experiment, and one per mutant whose property fails with a run to draw
    charts = {p.name for p in tmp_path.glob("*.svg")}
    assert {f"{n}.svg" for n in EXPERIMENTS} <= charts
    assert charts - {f"{n}.svg" for n in EXPERIMENTS} <= {f"mutant-{m}.svg" for m in MUTANTS}
    assert {f"mutant-{m}.svg" for m in ("no-time-wait", "two-way-handshake", "fin-no-seq")} <= charts


# mutant: the experiments whose verdict it changes (all others still come out as expected)
BROKEN_BY = {
    "no-time-wait": {"active-passive", "time-wait-shortcut", "time-wait-reason"},
    "two-way-handshake": {"syn-rcvd-held"},
    "fin-no-seq": {"half-close", "active-passive", "fin-sequence", "syn-sent", "closing",
                   "last-ack", "three-vs-four", "time-wait-reason"},
    "no-closing": {"closing"},
    "no-fin-retransmit": {"time-wait-reason"},
    "short-time-wait": set(),  # it needs incarnations: see its own configuration in test_mutants.py
}


@pytest.mark.parametrize("mutant", list(BROKEN_BY))
def test_a_mutant_breaks_the_experiments_of_the_claims_it_breaks(mutant):
    broken = {name for name, e in EXPERIMENTS.items()
              if run_experiment(name, mutant).verdict != e.expected}
    assert broken == BROKEN_BY[mutant]
    for name in broken:
        o = run_experiment(name, mutant)
        assert o.verdict == "refuted"
        # the reference's finding is not repeated for a model that does otherwise
        assert o.finding.key == ("no-run" if o.trace is None else "other-verdict"), name
        assert o.trace_kind == "counterexample" or o.trace is None


def test_experiment_on_a_mutant_from_the_command_line():
    proc = cli("experiment", "closing", "--mutant", "no-closing")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[1] == "verdict: refuted (expected: confirmed; NOT as expected)"
    bad = cli("experiment", "closing", "--mutant", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("tcpcheck: error: unknown mutant 'nope'")


def test_report_shows_every_mutant_with_its_counterexample(tmp_path):
    from tcpcheck.diagrams.experiments import write_report
    from tcpcheck.model.mutants import MUTANTS

    report, n, good = write_report(tmp_path)
    text = report.read_text()
    assert (n, good) == (13, 13)
    for name, m in MUTANTS.items():
        assert f"### {name} (" in text
        if m.property is None:  # no bounded run reaches the bug: the report says the proofs find it
            assert f"`tcpcheck prove --mutant {name}` finds it" in text
            continue
        assert f"'{m.property}' holds on the reference model and is **violated** on this variant" in text
        # the counterexample is drawn, unless there is none (an unreachable state)
        assert (f"![{name}](mutant-{name}.svg)" in text) == (tmp_path / f"mutant-{name}.svg").exists()
        if not m.property.endswith(" is reachable"):
            assert (tmp_path / f"mutant-{name}.svg").exists()


def test_three_vs_four_does_not_claim_a_combined_fin_ack_on_the_reference():
    """Every FIN carries an ACK field; 'combined' means the first acknowledgment of the
    peer's FIN is itself a FIN, which RFC 9293's rcv FIN / snd ACK never does."""
    from tcpcheck.model.experiments import run_experiment
    out = run_experiment("three-vs-four")
    assert "combined FIN+ACK was seen" not in str(out.finding)
