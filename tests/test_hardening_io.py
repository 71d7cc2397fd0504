"""Issue 11: every bad input file or output path is a clear exit 2 naming the
file, never an internal error (exit 3).  The command line is run in-process."""

import errno
import json
import os
import re
import time

import pytest

from tcpcheck.model import errors
from tcpcheck.model.cli import main
from tcpcheck.model.errors import InputError, write_output


def usage_error(capsys, argv, pattern):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert "internal error" not in err and "Traceback" not in err
    assert re.fullmatch(f"tcpcheck: error: {pattern}\n", err), err
    return err


# --- 1. deeply nested TOML and JSON ------------------------------------------------

def test_a_deeply_nested_configuration_is_refused(tmp_path, capsys):
    cfg = tmp_path / "deep.toml"
    cfg.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    usage_error(capsys, ["check", "--config", cfg], re.escape(str(cfg)) + r":1: nested too deeply.*")


def test_a_deeply_nested_trace_file_is_refused(tmp_path, capsys):
    trace = tmp_path / "deep.json"
    trace.write_text("[" * 100_000 + "]" * 100_000)
    usage_error(capsys, ["diagram", "trace", "--file", trace, "--format", "dot"],
                re.escape(str(trace)) + r":1: nested too deeply.*")


# --- 2. output paths ----------------------------------------------------------------

@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "somefile"
    f.write_text("not a folder\n")
    return f


def _bad_outputs(tmp_path, a_file):
    return [(tmp_path / "missing" / "out.svg", "No such file or directory"),
            (tmp_path, "Is a directory"),
            (a_file / "out.svg", "Not a directory"),
            ("/dev/full", "No space left on device")]


@pytest.mark.parametrize("command", [["diagram", "fsm", "--format", "svg"],
                                     ["diagram", "trace", "seed", "--format", "svg"],
                                     ["grade", "--init", "write"]])
def test_an_output_that_cannot_be_written_is_named_with_the_reason(tmp_path, a_file, capsys, command):
    for out, reason in _bad_outputs(tmp_path, a_file):
        usage_error(capsys, [*command, "-o", out],
                    re.escape(str(out)) + r": cannot write the \w+: " + re.escape(reason))
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somefile"]


def test_experiments_out_onto_a_file_is_refused(tmp_path, a_file, capsys):
    usage_error(capsys, ["experiments", "--out", a_file],
                re.escape(str(a_file)) + r": cannot write the report there: not a directory")
    usage_error(capsys, ["experiments", "--out", a_file / "sub"],
                re.escape(str(a_file / "sub")) + r": cannot write the report there: Not a directory")
    assert a_file.read_text() == "not a folder\n"


def test_write_output_removes_the_partial_file_it_created(tmp_path, monkeypatch):
    real_open = open

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[:3])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(errors, "open", lambda p, mode: Full(real_open(p, mode)), raising=False)
    out = tmp_path / "out.svg"
    with pytest.raises(InputError, match=re.escape(f"{out}: cannot write the chart: No space left on device")):
        write_output(out, "<svg>...</svg>", "the chart")
    assert not out.exists()
    old = tmp_path / "old.svg"
    old.write_text("old")
    with pytest.raises(InputError):
        write_output(old, b"new", "the chart")
    assert old.exists()  # not removed: it was the user's


def test_write_output_writes_text_and_bytes(tmp_path):
    write_output(tmp_path / "a.txt", "héllo\n")
    write_output(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_bytes() == "héllo\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(InputError, match="NUL byte"):
        write_output(str(tmp_path / "a\0b"), "x")


# --- 3. trace files with the wrong types ----------------------------------------------

STEP0 = {"step": 0, "A": {"state": "CLOSED"}, "B": {"state": "LISTEN"}}
STEP = {"step": 1, "actor": "A", "kind": "call", "event": "active OPEN", "segment": None,
        "sent": ["<SEQ=100><CTL=SYN>"], "dropped": [], "A": {"state": "SYN_SENT"}, "B": {"state": "LISTEN"}}


def _trace(tmp_path, steps):
    f = tmp_path / "r.json"
    f.write_text(json.dumps(steps))
    return f


def test_a_good_trace_file_is_drawn(tmp_path, capsys):
    # a run of the seed preset (B listens from the start): A's active OPEN sends its SYN
    f = _trace(tmp_path, [STEP0, {**STEP, "sent": ["<SEQ=4294967294><CTL=SYN>"]}])
    assert main(["diagram", "trace", "--file", str(f), "--preset", "seed", "--format", "dot"]) == 0
    assert "SEQ=4294967294" in capsys.readouterr().out


@pytest.mark.parametrize("change, message", [
    ({"sent": [1]}, r"step 3: 'sent' must be a list of segments like '<SEQ=1><CTL=SYN>'"),
    ({"sent": "<SEQ=1><CTL=SYN>"}, r"step 3: 'sent' must be a list of segments like '<SEQ=1><CTL=SYN>'"),
    ({"dropped": {"a": 1}}, r"step 3: 'dropped' must be a list of segments like '<SEQ=1><CTL=SYN>'"),
    ({"segment": 7}, r"step 3: 'segment' must be a segment like '<SEQ=1><CTL=SYN>' or null"),
    ({"actor": ["A"]}, r"step 3: 'actor' must be a string, not \['A'\]"),
    ({"kind": 3}, r"step 3: 'kind' must be a string, not 3"),
    ({"event": {}}, r"step 3: 'event' must be a string, not \{\}"),
    ({"A": ["SYN_SENT"]}, r"step 3: 'A' must be an endpoint like \{\"state\": \"CLOSED\"\}"),
    ({"B": {"state": 5}}, r"step 3: 'B' must be an endpoint like \{\"state\": \"CLOSED\"\}"),
    ({"sent": None, "A": None}, r"step 3: 'sent' must be .*|step 3: 'A' must be .*"),
])
def test_a_step_with_a_wrong_type_names_the_file_step_and_field(tmp_path, capsys, change, message):
    f = _trace(tmp_path, [STEP0, STEP, STEP, {**STEP, **change}])
    usage_error(capsys, ["diagram", "trace", "--file", f, "--format", "dot"],
                re.escape(str(f)) + ": (?:" + message + ")")


@pytest.mark.parametrize("step, message", [
    ([1, 2], r"step 2 must be an object like .*, not \[1, 2\]"),
    ("<SEQ=1>", r"step 2 must be an object like .*"),
    ({k: v for k, v in STEP.items() if k != "sent"}, r"step 2 lacks sent"),
])
def test_a_step_that_is_not_an_object_or_lacks_a_field(tmp_path, capsys, step, message):
    f = _trace(tmp_path, [STEP0, STEP, step])
    usage_error(capsys, ["diagram", "trace", "--file", f, "--format", "dot"], re.escape(str(f)) + ": " + message)


def test_a_first_step_that_is_not_an_object(tmp_path, capsys):
    f = _trace(tmp_path, [[], STEP])
    usage_error(capsys, ["diagram", "trace", "--file", f, "--format", "dot"],
                re.escape(str(f)) + r": step 0 must be an object like .*")


def test_check_json_output_with_properties_not_a_list(tmp_path, capsys):
    f = _trace(tmp_path, {"properties": {"name": "x"}})
    usage_error(capsys, ["diagram", "trace", "--file", f, "--format", "dot"],
                re.escape(str(f)) + r": 'properties' must be a list of objects.*")
    f = _trace(tmp_path, {"properties": [1, 2]})
    usage_error(capsys, ["diagram", "trace", "--file", f, "--format", "dot"],
                re.escape(str(f)) + r": 'properties' must be a list of objects.*")


def test_a_very_long_trace_is_refused_quickly(tmp_path, capsys):
    from tcpcheck.diagrams.cli import MAX_TRACE_STEPS

    f = _trace(tmp_path, [STEP0] + [STEP] * 100_000)
    started = time.monotonic()
    usage_error(capsys, ["diagram", "trace", "--file", f, "--format", "dot"],
                re.escape(str(f)) + f": the trace has 100,000 steps; the limit is {MAX_TRACE_STEPS:,}")
    assert time.monotonic() - started < 10
    from tcpcheck.diagrams.cli import _trace_from_file

    f = _trace(tmp_path, [STEP0] + [STEP] * MAX_TRACE_STEPS)  # at the limit: accepted
    assert len(_trace_from_file(str(f), None)[0]) == MAX_TRACE_STEPS + 1


# --- 4. a rules path that cannot be followed --------------------------------------------

def test_a_rules_path_in_a_symlink_loop_names_the_configuration_line(tmp_path, capsys):
    (tmp_path / "loop").symlink_to("loop")
    cfg = tmp_path / "c.toml"
    cfg.write_text('preset = "seed"\nrules = "loop"\n')
    usage_error(capsys, ["check", "--config", cfg],
                re.escape(str(cfg)) + r":2: rules: cannot follow 'loop': a loop of symbolic links")


def test_a_rules_path_with_a_nul_byte_names_the_configuration_line(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('preset = "seed"\n\nrules = "a\\u0000b.md"\n')
    usage_error(capsys, ["check", "--config", cfg],
                re.escape(str(cfg)) + r":3: rules must be a path; 'a\\x00b.md' contains a NUL byte")


# --- files that are not what they claim: sizes and types ------------------------------------------

def test_a_configuration_or_assignment_without_end_is_refused_at_its_size_limit(capsys):
    usage_error(capsys, ["check", "--config", "/dev/zero"],
                r"/dev/zero: the configuration is more than 1,048,576 bytes; the limit is 1,048,576")
    usage_error(capsys, ["grade", "--assignment", "/dev/zero", "x.rules"],
                r"/dev/zero: the assignment is more than 1,048,576 bytes; the limit is 1,048,576")


def test_an_assignment_with_a_table_or_list_where_a_name_belongs_names_the_line(tmp_path, capsys):
    a = tmp_path / "A.toml"
    a.write_text('title = "x"\nkind = "table"\nreference = "builtin:rfc9293"\nvariants = [{}]\n'
                 '[[configurations]]\nname = "a"\npreset = "seed"\n'
                 '[[tests]]\nkind = "behaviour"\nconfiguration = [1, 8, true]\npoints = 1\n')
    main(["grade", "--assignment", str(a), str(a)])
    err = capsys.readouterr().err
    assert err == (f"tcpcheck: error: {a}:4: a variant must be a mutant's name in quotes, not a table\n"
                   f"tcpcheck: error: {a}:10: configuration must be the name of one of the [[configurations]] "
                   f"in quotes, not [1, 8, true]\n")


def test_an_option_that_does_not_fit_the_assignment_names_the_line_that_decides(tmp_path, capsys):
    a = tmp_path / "A.toml"
    assert main(["grade", "--init", "write", "-o", str(a)]) == 0
    capsys.readouterr()
    kind_line = a.read_text().splitlines().index('kind = "table"') + 1
    usage_error(capsys, ["grade", "--assignment", a, "--answer-key"],
                re.escape(f"{a}:{kind_line}: --answer-key is for a questions assignment") + ".*")
