"""Every command that writes into a folder says the same when it cannot
(model/errors.output_folder): "DIR: cannot write WHAT there: not a directory"
for a file in the way, the system's reason for a path through a file; exit 2,
nothing written (issue 11)."""

from __future__ import annotations

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.errors import InputError, output_folder

ASSIGNMENT = '''\
title = "Lab"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"

[[tests]]
kind = "rows"
points = 10
'''


def commands(tmp_path, out):
    a = tmp_path / "lab" / "lab.toml"
    a.parent.mkdir(exist_ok=True)
    a.write_text(ASSIGNMENT)
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True, exist_ok=True)
    (subs / "alice" / "tcp.rules").write_text("")
    return {
        "the gallery": ["diagram", "gallery", "--dot-only", "--out", out],
        "the report": ["experiments", "--out", out],
        "the results": ["grade", "--assignment", a, subs, "--out", out],
        "the autograder": ["grade", "--package", "gradescope", "--assignment", a, "-o", out],
    }


@pytest.mark.parametrize("what", ["the gallery", "the report", "the results", "the autograder"])
def test_a_file_where_the_folder_should_be(tmp_path, capsys, what):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    assert main([str(x) for x in commands(tmp_path, taken)[what]]) == 2
    assert capsys.readouterr().err == f"tcpcheck: error: {taken}: cannot write {what} there: not a directory\n"
    assert taken.read_text() == "mine"
    below = taken / "sub"
    assert main([str(x) for x in commands(tmp_path, below)[what]]) == 2
    assert capsys.readouterr().err == f"tcpcheck: error: {below}: cannot write {what} there: Not a directory\n"


def test_output_folder_makes_the_folder_and_its_parents(tmp_path):
    out = output_folder(tmp_path / "a" / "b", "the report")
    assert out == tmp_path / "a" / "b" and out.is_dir()
    assert output_folder(out, "the report") == out  # an existing folder is fine
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere" / "file")  # a dangling link is in the way too
    with pytest.raises(InputError, match=f"^{link}: cannot write the report there: not a directory$"):
        output_folder(link, "the report")
    with pytest.raises(InputError, match="cannot write the report there: the path contains a NUL byte$"):
        output_folder(str(tmp_path / "a\0b"), "the report")
