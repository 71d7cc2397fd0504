"""A stable command line (issue 11): every bad input a clear exit 2, a
version, no option-prefix matching, the subcommand's usage for an unknown
option, bounded --timeout and --capacities, documented exit codes, and a
closed pipe that keeps the command's exit code."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from tcpcheck.model import cli as cli_module
from tcpcheck.model.cli import main

TCPCHECK = [sys.executable, "-m", "tcpcheck.model"]


def usage_error(capsys, argv) -> str:
    """Run ``main(argv)``, expect argparse's exit 2 with nothing on stdout; return stderr."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    return err


# --- --version -----------------------------------------------------------------------------

def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"tcpcheck {version('tcpcheck')}\n"


# --- no option-prefix matching -------------------------------------------------------------

@pytest.mark.parametrize("argv, prog, rest", [
    (["check", "--max", "5"], "tcpcheck check", "--max 5"),
    (["check", "--pres", "seed"], "tcpcheck check", "--pres seed"),
    (["grade", "--assign", "x"], "tcpcheck grade", "--assign"),
    (["prove", "--time", "5"], "tcpcheck prove", "--time 5"),
    (["bench", "--cap", "1"], "tcpcheck bench", "--cap 1"),
    (["diagram", "fsm", "--ful"], "tcpcheck diagram fsm", "--ful"),
])
def test_no_prefix_matching(capsys, argv, prog, rest):
    err = usage_error(capsys, argv)
    assert err.splitlines()[-1] == f"{prog}: error: unrecognized arguments: {rest}"


def test_version_is_not_abbreviated(capsys):
    usage_error(capsys, ["--vers"])  # exit 2, not the version


def test_every_parser_has_no_prefix_matching():
    """Every subcommand, those of entry points and nested ones included."""
    seen = []

    def walk(p):
        seen.append(p)
        assert p.allow_abbrev is False, p.prog
        for a in p._actions:
            if a.choices and hasattr(a, "_name_parser_map"):
                for q in a.choices.values():
                    walk(q)
    walk(cli_module.parser())
    progs = {p.prog for p in seen}
    assert {"tcpcheck check", "tcpcheck grade", "tcpcheck prove", "tcpcheck diagram fsm"} <= progs


# --- an unknown option gets the subcommand's usage ---------------------------------------------

def test_unknown_option_prints_the_subcommands_usage(capsys):
    err = usage_error(capsys, ["check", "--bogus"])
    lines = err.splitlines()
    assert lines[0].startswith("usage: tcpcheck check ")
    assert lines[-1] == "tcpcheck check: error: unrecognized arguments: --bogus"
    assert sum("error" in line for line in lines) == 1


def test_unknown_option_of_a_nested_subcommand(capsys):
    err = usage_error(capsys, ["diagram", "fsm", "--bogus"])
    assert err.splitlines()[0].startswith("usage: tcpcheck diagram fsm ")


def test_unknown_option_without_a_command_is_the_top_levels(capsys):
    err = usage_error(capsys, ["--bogus"])
    assert err.splitlines()[0].startswith("usage: tcpcheck ")


# --- prove --timeout is bounded --------------------------------------------------------------

@pytest.mark.parametrize("value", ["1e300", "0", "-1", "nan", "inf", "abc", "0.0001", "3601"])
def test_prove_timeout_out_of_range(capsys, value):
    err = usage_error(capsys, ["prove", "--timeout", value])
    last = err.splitlines()[-1]
    assert last.startswith("tcpcheck prove: error: argument --timeout: expected a number of seconds")
    assert f"'{value}'" in last
    if value != "abc":
        assert "from 0.001 to 3600" in last


@pytest.mark.parametrize("value, seconds", [("0.001", 0.001), ("0.01", 0.01), ("3600", 3600.0),
                                            ("60", 60.0)])
def test_prove_timeout_in_range(value, seconds):
    args = cli_module.parser().parse_args(["prove", "--timeout", value])
    assert args.timeout == seconds


# --- bench --capacities is bounded and the bound documented --------------------------------------

@pytest.mark.parametrize("value", ["0", "9", "1,2,100", "many", ""])
def test_bench_capacities_out_of_range(capsys, value):
    err = usage_error(capsys, ["bench", "--capacities", value])
    assert err.splitlines()[-1].startswith("tcpcheck bench: error: argument --capacities:")


def test_bench_help_documents_the_bound(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert f"each from 1 to {cli_module.MAX_CAPACITY}" in out
    assert "exit codes: 0 measured" in out


# --- exit codes in --help ---------------------------------------------------------------------

def test_top_help_lists_every_exit_code(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for code in ("0 all properties hold", "1 one is violated", "2 bad input", "3 internal error",
                 "4 unknown", "130 interrupted"):
        assert code in out


@pytest.mark.parametrize("command", ["check", "presets", "mutants", "bench", "prove"])
def test_subcommand_help_has_exit_codes(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "exit codes:" in " ".join(capsys.readouterr().out.lower().split())


# --- a closed pipe keeps the command's exit code --------------------------------------------------

class _ClosedPipe:
    """A stdout whose reader has gone: writing fails, flushing nothing does not."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        pass


@pytest.mark.parametrize("argv, code", [(["check"], 1), (["check", "--json"], 1),
                                        (["check", "--preset", "reliable"], 0)])
def test_broken_pipe_keeps_the_exit_code_in_process(monkeypatch, argv, code):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(argv) == code


def test_broken_pipe_in_a_shell_pipeline():
    """``tcpcheck check | head -1`` exits 1: the default model has violations."""
    cmd = f"set -o pipefail; {sys.executable} -m tcpcheck.model check | head -1"
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("tcpcheck:")
    assert proc.stderr == ""


@pytest.mark.parametrize("args, code", [(["check"], 1), (["check", "--json"], 1),
                                        (["check", "--preset", "reliable"], 0)])
def test_broken_pipe_closed_before_any_output(args, code):
    """The reader is gone before the first write: the write fails, the exit code is the
    command's, and no traceback nor 'Exception ignored' reaches stderr."""
    proc = subprocess.Popen([*TCPCHECK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == code, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err == ""


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_broken_pipe_keeps_the_exit_code_of_prove(monkeypatch, json_flag):
    """Every query cut short at 1 ms: unknown, exit 4, even with nobody reading."""
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["prove", "--timeout", "0.001", "--jobs", "2", *json_flag]) == 4


def test_broken_pipe_keeps_the_exit_code_of_prove_in_a_subprocess():
    proc = subprocess.Popen([*TCPCHECK, "prove", "--timeout", "0.001", "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 4, err
    assert err == ""


def test_an_unknown_choice_or_subcommand_gets_a_did_you_mean(capsys):
    with pytest.raises(SystemExit) as e:
        main(["chek"])
    assert e.value.code == 2
    assert "invalid choice: 'chek'; did you mean 'check'? (choose from 'check', " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["diagram", "fsm", "--format", "sgv"])
    assert "invalid choice: 'sgv'; did you mean 'svg'? (choose from 'svg', 'png', 'pdf', 'dot')" \
        in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--lang", "klingon"])
    assert "invalid choice: 'klingon' (choose from 'en', 'zh')" in capsys.readouterr().err


def test_presets_and_mutants_speak_the_language_asked_for(capsys, monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["presets"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "    网络：每个方向容量 2，丢失、乱序；RCV.WND=4"
    assert main(["presets", "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "    network: capacity 2 per direction, loss, reordering; RCV.WND=4"


def test_running_out_of_memory_is_an_undecided_run_not_an_internal_error(monkeypatch, capsys):
    """A MemoryError (a ulimit or container below --max-memory's default; the fuzz campaign
    found one in bench --scale under a 4 GB limit) is exit 4 with a sentence, not exit 3."""
    import tcpcheck.model.checker as checker

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 512. MiB")

    monkeypatch.setattr(checker, "run", out_of_memory)
    assert main(["check", "--preset", "seed"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("tcpcheck: out of memory before the run was done: nothing is decided")
    assert "internal error" not in err
