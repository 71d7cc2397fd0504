"""A student's first contact with errors: a file saved in another encoding,
a row typed on a Chinese keyboard, an empty table (what the loaders say, at
the file and line, and what ``tcpcheck check`` and ``grade`` show of it)."""

import subprocess
import sys

import pytest

from tcpcheck.model.errors import InputError, decode_input, read_input
from tcpcheck.model.table import TableError, load_table


def cli(*args):
    return subprocess.run([sys.executable, "-m", "tcpcheck.model", *args], capture_output=True, text=True,
                          timeout=120)


# --- not UTF-8 ------------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    pytest.param(b"\xff\xfeC\x00L\x00", "f.rules:1: the rule table is UTF-16 text: save it as UTF-8",
                 id="UTF-16 LE (Notepad's 'Unicode')"),
    pytest.param(b"\xfe\xff\x00C\x00L", "f.rules:1: the rule table is UTF-16 text: save it as UTF-8",
                 id="UTF-16 BE"),
    pytest.param(b"# ok\nCLOSED | CLOSE | - | same # caf\xe9\n",
                 "f.rules:2: the rule table is not UTF-8 text (byte 0xE9 at offset 36); save it as UTF-8",
                 id="Latin-1 on line 2"),
    pytest.param(b"a\r\nb\rc\n\n\xc3(",
                 "f.rules:5: the rule table is not UTF-8 text (byte 0xC3 at offset 8); save it as UTF-8",
                 id="CR, CRLF and LF line ends"),
    pytest.param(b"\xef\xbb\xbfok\n\x80", "f.rules:2: the rule table is not UTF-8 text (byte 0x80 at offset 6); "
                 "save it as UTF-8", id="after a UTF-8 byte-order mark"),
    pytest.param(b"x" * 5000 + b"\xe4\xb8", "f.rules:1: the rule table is not UTF-8 text (byte 0xE4 at offset "
                 "5,000); save it as UTF-8", id="cut in the middle of a character"),
])
def test_a_file_that_is_not_utf8_says_where(data, message):
    with pytest.raises(InputError) as exc:
        decode_input(data, "f.rules", "the rule table", TableError)
    assert type(exc.value) is TableError and str(exc.value) == message


def test_utf8_with_or_without_a_byte_order_mark_still_reads(tmp_path):
    assert decode_input(b"\xef\xbb\xbf\xe8\xa1\xa8\n", "f", "x") == "表\n"
    p = tmp_path / "t.txt"
    p.write_bytes(b"a\r\nb\rc")
    assert read_input(p, "x") == "a\nb\nc"


def test_check_names_the_line_of_a_bad_byte(tmp_path):
    path = tmp_path / "latin1.rules"
    path.write_bytes(b"# r\xe8gles\n")
    proc = cli("check", "--rules", str(path))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (f"tcpcheck: error: {path}:1: the rule table is not UTF-8 text (byte 0xE8 at "
                           f"offset 3); save it as UTF-8\n")


# --- check --help ---------------------------------------------------------------------

def test_check_help_is_wrapped_to_78_columns(capsys, monkeypatch):
    from tcpcheck.model.cli import main
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if len(line) > 78] == []
    # a list item's continuation lines are under its description's column, a long name's too
    i = lines.index("  ack-check-forgets-snd-nxt the ACK check forgets SEG.ACK =< SND.NXT: in")
    assert lines[i + 1:i + 3] == [" " * 21 + "ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT and TIME_WAIT any ACK",
                                  " " * 21 + "ahead of SND.UNA is taken, even one for data never sent"]
    assert lines[lines.index("exit codes:") + 2:][:2] == [
        "  1    a property is violated (also when a budget stopped the run after it was",
        "       found)"]
    assert "Explore every reachable state of two TCP endpoints and the network between" in lines
