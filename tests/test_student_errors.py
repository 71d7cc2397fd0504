"""A student's first contact with errors: a file saved in another encoding,
a row typed on a Chinese keyboard, an empty table (what the loaders say, at
the file and line, and what ``tcpcheck check`` and ``grade`` show of it)."""

import subprocess
import sys

import pytest

from tcpcheck.model.errors import InputError, decode_input, read_input
from tcpcheck.model.table import REFERENCE, TableError, load_table, parse_table

REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")


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


# --- a row typed on a Chinese keyboard ------------------------------------------------

def _line(row: str) -> int:
    return REFERENCE_TEXT.splitlines().index(row) + 1


def _errors(old: str, new: str, partial: bool = False) -> list[str]:
    """The problems of the reference table with its row ``old`` (a whole line) made ``new``."""
    assert REFERENCE_TEXT.count(old + "\n") == 1
    with pytest.raises(TableError) as exc:
        parse_table(REFERENCE_TEXT.replace(old + "\n", new + "\n"), "t.rules", partial=partial)
    return exc.value.errors


F1 = "CLOSED       | passive OPEN | create TCB                 | LISTEN      | F1, 3.10.1"
F2 = "CLOSED       | active OPEN  | create TCB; snd SYN        | SYN_SENT    | F2, 3.10.1"
F4 = "LISTEN       | rcv SYN                 | snd SYN,ACK                | SYN_RCVD | F4, 3.10.7.2"
F8 = "SYN_SENT     | rcv SYN,ACK             | snd ACK                    | ESTABLISHED | F8, 3.10.7.3"
RTO = ("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | "
       "retransmit | same | 3.10.8, 3.8.1")
F11 = ("SYN_RCVD[passive] | rcv RST            | return to LISTEN           | LISTEN      | "
       "F11, note 1, 3.10.7.4 second")


@pytest.mark.parametrize("old, new, message", [
    pytest.param(F1, "CLOSED ｜ passive OPEN | create TCB | LISTEN | F1",
                 "'｜' is a full-width bar; columns are separated by '|'", id="one bar"),
    pytest.param(F1, "CLOSED ｜ passive OPEN ｜ create TCB ｜ LISTEN ｜ F1",
                 "'｜' is a full-width bar; columns are separated by '|'", id="every bar, said once"),
    pytest.param(F2, "CLOSED | active OPEN | create TCB；snd SYN | SYN_SENT | F2",
                 "'；' is a full-width semicolon; actions are separated by ';'", id="semicolon"),
    pytest.param(RTO, RTO.replace("SYN_SENT, SYN_RCVD,", "SYN_SENT，SYN_RCVD，"),
                 "'，' is a full-width comma; states are separated by ','", id="comma between states"),
    pytest.param(F4, F4.replace("snd SYN,ACK", "snd SYN，ACK"),
                 "'，' is a full-width comma; actions are written with ',', as 'snd SYN,ACK'",
                 id="comma in an action"),
    pytest.param(F8, F8.replace("rcv SYN,ACK", "rcv SYN，ACK"),
                 "'，' is a full-width comma; events are written with ',', as 'rcv SYN,ACK'",
                 id="comma in an event"),
    pytest.param(F11, F11.replace("[passive]", "【passive】"),
                 "'【' is a Chinese bracket; a qualifier is written in '[' and ']', as in SYN_RCVD[passive]",
                 id="Chinese brackets"),
    pytest.param(F11, F11.replace("[passive]", "［passive］"),
                 "'［' is a full-width bracket; a qualifier is written in '[' and ']', as in SYN_RCVD[passive]",
                 id="full-width brackets"),
])
def test_a_full_width_mark_is_named_at_its_line(old, new, message):
    """Only the one problem: the row is read as meant (its other columns are checked, and its cell is
    not reported missing), but it is still an error."""
    expected = [f"t.rules:{_line(old)}: {message}"]
    if "］" in new or "】" in new:
        expected.append(expected[0].replace(message[1], message[1].translate(str.maketrans("［【", "］】"))))
    assert _errors(old, new) == expected
    assert _errors(old, new, partial=True) == expected


def test_each_kind_of_mark_is_said_once_a_row_and_the_row_still_checked():
    assert _errors(F2, "CLOSED ｜ active OPEN | create TCB；snd SYN；snd SYN | SYN_SENT | F2") == [
        f"t.rules:{_line(F2)}: '｜' is a full-width bar; columns are separated by '|'",
        f"t.rules:{_line(F2)}: '；' is a full-width semicolon; actions are separated by ';'"]
    assert _errors(F2, "CLOSED ｜ active OPEN | create TCB；snd SYNN | SYN_SENT | F2") == [
        f"t.rules:{_line(F2)}: '｜' is a full-width bar; columns are separated by '|'",
        f"t.rules:{_line(F2)}: '；' is a full-width semicolon; actions are separated by ';'",
        f"t.rules:{_line(F2)}: unknown action 'snd SYNN'; did you mean 'snd SYN'?"]


def test_full_width_marks_in_the_source_column_and_comments_are_free_text():
    text = REFERENCE_TEXT.replace(F1 + "\n",
                                  "CLOSED | passive OPEN | create TCB | LISTEN | F1，3.10.1（被动）｜；\n")
    text = text.replace(F2 + "\n", F2 + "  # 主动打开；发送 SYN ｜ 【注】\n")
    table = parse_table(text, "t.rules")
    assert table.lookup("CLOSED", "passive OPEN", True).source == "F1，3.10.1（被动）｜；"
    assert len(table.rules) == len(load_table().rules)


def test_check_names_the_full_width_bar(tmp_path):
    path = tmp_path / "s.rules"
    path.write_text(REFERENCE_TEXT.replace(F1, "CLOSED ｜ passive OPEN | create TCB | LISTEN | F1"),
                    encoding="utf-8")
    proc = cli("check", "--rules", str(path), "-q")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (f"tcpcheck: error: {path}:{_line(F1)}: '｜' is a full-width bar; "
                           f"columns are separated by '|'\n")


# --- an empty table -------------------------------------------------------------------

NO_ROWS = ("{name}: the table has no rows (the file is empty, or holds only comments and blank lines); a row is "
           "'from | event | actions | to | source', such as 'CLOSED | active OPEN | create TCB; snd SYN | SYN_SENT "
           "| F2', and a complete table says what to do on 109 arrival events")


@pytest.mark.parametrize("text", ["", "\n\n", "# my table\n   \n# to do\n"])
def test_an_empty_table_says_it_has_no_rows(text):
    with pytest.raises(TableError) as exc:
        parse_table(text, "t.rules")
    assert exc.value.errors == [NO_ROWS.format(name="t.rules")]


def test_an_empty_file_from_notepad_has_no_rows(tmp_path):
    path = tmp_path / "t.rules"
    path.write_bytes(b"\xef\xbb\xbf# my rows\r\n\r\n")
    with pytest.raises(TableError) as exc:
        load_table(path)
    assert str(exc.value) == NO_ROWS.format(name=path)


def test_an_empty_partial_table_is_still_all_fillers():
    """grade (model/grading/grade.py) tells a partial assignment's empty upload apart by that."""
    table = parse_table("# nothing yet\n", "t.rules", partial=True)
    assert len(table.rules) == len(table.missing) == 109


def test_a_table_of_faulty_rows_is_not_said_to_have_none():
    errors = _errors_of("CLOSED ｜ passive OPEN | create TCB | LISTEN | F1\n")
    assert errors[0] == "t.rules:1: '｜' is a full-width bar; columns are separated by '|'"
    assert errors[1].startswith("t.rules:1: the table does not say what to do on 109 arrival event(s): ")
    assert len(errors) == 2


def _errors_of(text: str) -> list[str]:
    with pytest.raises(TableError) as exc:
        parse_table(text, "t.rules")
    return exc.value.errors


def test_check_says_an_empty_table_has_no_rows(tmp_path):
    path = tmp_path / "empty.rules"
    path.write_text("# rows to come\n", encoding="utf-8")
    proc = cli("check", "--rules", str(path), "-q")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "tcpcheck: error: " + NO_ROWS.format(name=path) + "\n"


# --- what grade shows a student -------------------------------------------------------

LAB = """\
title = "Lab 3"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "run"
lang = "{lang}"

[[tests]]
kind = "rows"
points = 10
"""


@pytest.mark.parametrize("lang, head, said, see", [
    ("en", "  0. [failed ] 0/0  the table loads", "Your table could not be read, so nothing else was graded:",
     "not graded: your table does not load (see 'the table loads')"),
    ("zh", "  0. [未通过 ] 0/0  能否加载表", "无法读取你的表，所以其他部分都没有评分：",
     "未评分：你的表无法加载（见“能否加载表”）"),
])
@pytest.mark.parametrize("text, problem", [
    (REFERENCE_TEXT.replace(F1, "CLOSED ｜ passive OPEN | create TCB | LISTEN | F1"),
     f"tcp.rules:{_line(F1)}: '｜' is a full-width bar; columns are separated by '|'"),
    ("# my rows\n", NO_ROWS.format(name="tcp.rules")),
])
def test_grade_tells_the_student_at_the_line(tmp_path, monkeypatch, capsys, lang, head, said, see, text, problem):
    from tcpcheck.model.cli import main
    (tmp_path / "lab.toml").write_text(LAB.format(lang=lang), encoding="utf-8")
    (tmp_path / "tcp.rules").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["grade", "--assignment", "lab.toml", "tcp.rules"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[4:7] == [head, "       " + said, "       " + problem]
    assert lines[7].startswith("  1. ") and lines[8] == "       " + see
