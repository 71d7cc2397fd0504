"""``tcpcheck diagram``: what a user gets from the command line."""

import os
import re
import subprocess
import sys


TCPCHECK = [sys.executable, "-m", "tcpcheck.model"]


def cli(*args, env=None):
    return subprocess.run([*TCPCHECK, *args], capture_output=True, text=True, timeout=120, env=env)


def usage_error(proc, pattern):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert re.fullmatch(f"tcpcheck: error: {pattern}\n", proc.stderr), proc.stderr


def test_states_of_a_small_configuration_are_drawn_whole():
    proc = cli("diagram", "states", "--preset", "seed", "--format", "dot")
    assert proc.returncode == 0, proc.stderr
    assert len(re.findall(r"^  s\d+ \[label=", proc.stdout, re.M)) == 14
    assert len(re.findall(r"^  s\d+ -> s\d+ ", proc.stdout, re.M)) == 15


def test_states_of_a_large_configuration_are_drawn_as_a_quotient_with_a_highlight():
    proc = cli("diagram", "states", "--highlight", "deadlock freedom", "--format", "dot")
    assert proc.returncode == 0, proc.stderr
    assert "(initial state)" in proc.stdout and "q0_0" in proc.stdout
    assert not re.search(r"^  s\d+ ", proc.stdout, re.M)
    # the 12-step counterexample passes through 9 classes (A state, B state), drawn in red:
    # start, SYN_SENT/CLOSED, SYN_SENT/LISTEN, SYN_SENT/SYN_RCVD, SYN_SENT/FIN_WAIT_1,
    # ESTABLISHED/FIN_WAIT_1, CLOSE_WAIT/FIN_WAIT_1, CLOSE_WAIT/FIN_WAIT_2, CLOSED/FIN_WAIT_2
    red = [line.split(" [")[0].strip() for line in proc.stdout.splitlines() if "#c0392b" in line]
    assert red == ["q0_0", "q1_6", "q3_0", "q3_1", "q3_3", "q3_5", "q5_5", "q10_5", "q10_6",
                   "q0_0 -> q3_0", "q3_0 -> q3_1", "q3_1 -> q3_3", "q3_3 -> q3_5", "q3_5 -> q5_5",
                   "q5_5 -> q10_5", "q10_5 -> q10_6", "q10_6 -> q1_6"]


def test_whole_graph_refused_when_too_large():
    usage_error(cli("diagram", "states", "--whole", "--format", "dot"),
                r"the graph has 28,817 states, more than the 150 that can be drawn legibly; "
                r"use --quotient for one node per pair of endpoint states")


def test_highlight_of_an_unknown_property():
    usage_error(cli("diagram", "states", "--preset", "seed", "--highlight", "nope", "--format", "dot"),
                r"unknown property 'nope'; the properties are: .*")


def test_trace_list_names_the_scenarios():
    proc = cli("diagram", "trace", "--list")
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines()] == [
        "seed", "simultaneous-open", "simultaneous-close", "lost-final-ack"]


def test_trace_of_the_seed_scenario_has_seven_segments():
    proc = cli("diagram", "trace", "seed", "--format", "dot")
    assert proc.returncode == 0, proc.stderr
    assert len(re.findall(r'id="seg\d+"', proc.stdout)) == 7


def test_trace_of_a_counterexample_and_from_a_check_json_file(tmp_path):
    direct = cli("diagram", "trace", "--counterexample", "deadlock freedom", "--format", "dot")
    assert direct.returncode == 0, direct.stderr
    report = tmp_path / "r.json"
    report.write_text(cli("check", "--json").stdout)
    from_file = cli("diagram", "trace", "--file", str(report), "--property", "deadlock freedom",
                    "--format", "dot")
    assert from_file.returncode == 0, from_file.stderr
    arrows = lambda dot: re.findall(r'id="seg\d+"', dot)  # noqa: E731
    # SYN, SYN,ACK, B's FIN, two ACKs, the data a full channel drops, its retransmission
    assert len(arrows(direct.stdout)) == len(arrows(from_file.stdout)) == 7
    # both are titled with the configuration and the property, not the file's name
    title = "default: counterexample to 'deadlock freedom'"
    assert f'label="{title}"' in direct.stdout and f'label="{title}"' in from_file.stdout


def test_trace_input_errors(tmp_path):
    usage_error(cli("diagram", "trace", "nope"), r"unknown scenario 'nope'; known scenarios: .*")
    usage_error(cli("diagram", "trace"), r"give exactly one of: .*")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"A": {}, "B": {}},\n {"actor": "A"}\n')
    usage_error(cli("diagram", "trace", "--file", str(bad)), re.escape(str(bad)) + r":3: not a JSON trace .*")
    bad.write_text('[{"A": {}, "B": {}}, {"actor": "A"}]')
    usage_error(cli("diagram", "trace", "--file", str(bad)),
                re.escape(str(bad)) + r": step 1 lacks kind, event, sent, A, B")


def test_fsm_in_chinese_uses_the_cjk_font_and_keeps_state_names():
    proc = cli("diagram", "fsm", "--lang", "zh", "--format", "dot")
    assert proc.returncode == 0, proc.stderr
    assert "Noto Sans CJK SC" in proc.stdout and "收到 SYN" in proc.stdout and "SYN_RCVD" in proc.stdout


def test_without_the_dot_program(tmp_path):
    """Rendering says how to install Graphviz and exits 2; DOT output still works."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bindir)}
    out = tmp_path / "fsm.svg"
    usage_error(cli("diagram", "fsm", "-o", str(out), env=env),
                r"the Graphviz 'dot' program is not installed; install it with 'apt-get install "
                r"graphviz' \(Debian/Ubuntu\), or ask for --format dot")
    assert not out.exists()
    proc = cli("diagram", "fsm", "--format", "dot", env=env)
    assert proc.returncode == 0 and proc.stdout.startswith("digraph")


def test_output_file_format_follows_the_extension(tmp_path):
    out = tmp_path / "seed.svg"
    proc = cli("diagram", "trace", "seed", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().lstrip().startswith(b"<?xml")
    usage_error(cli("diagram", "trace", "seed", "-o", str(tmp_path / "x.bmp")),
                r"cannot tell the format from '.*x\.bmp'; use --format \(svg, png, pdf, dot\) or an "
                r"extension \.svg, \.png, \.pdf, \.dot, \.gv")
    assert not (tmp_path / "x.bmp").exists()


def test_format_and_extension_cannot_disagree(tmp_path):
    """--format wins only where the extension means no format; .gv is DOT."""
    for name, fmt in (("a.png", "svg"), ("a.svg", "png"), ("a.dot", "pdf"), ("a.gv", "svg"), ("A.PNG", "dot")):
        implied = {"gv": "dot"}.get(name[2:].lower(), name[2:].lower())
        usage_error(cli("diagram", "fsm", "-o", str(tmp_path / name), "--format", fmt),
                    f"--format {fmt} contradicts '.*{re.escape(name)}', whose extension means {implied}; "
                    f"leave out --format, or name the file \\.{fmt}")
        assert not (tmp_path / name).exists()
    for name, fmt, head in (("a.gv", None, b"digraph"), ("b.PNG", None, b"\x89PNG"), ("c.txt", "dot", b"digraph"),
                            ("d", "svg", b"<?xml"), ("e.svg", "svg", b"<?xml")):
        proc = cli("diagram", "fsm", "-o", str(tmp_path / name), *(["--format", fmt] if fmt else []))
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / name).read_bytes().lstrip().startswith(head), name
