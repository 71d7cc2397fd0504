"""One version string: grade's results and every --json envelope say the
version of model/interface.tool_version (issue 11)."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version

from tcpcheck.model import interface
from tcpcheck.model.cli import main
from tcpcheck.model.table import REFERENCE

ASSIGNMENT = '''\
title = "Lab"
kind = "table"
reference = "builtin:rfc9293"

[[tests]]
kind = "rows"
points = 10
'''


def graded(tmp_path, capsys) -> tuple[str, str]:
    """The version grade's text says ("tcpcheck VERSION: Lab"), and its --json envelope's."""
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    (tmp_path / "s.rules").write_text(REFERENCE.read_text())
    said = []
    for fmt in ("text", "json"):
        assert main(["grade", "--assignment", str(tmp_path / "a.toml"), str(tmp_path / "s.rules"),
                     "--format", fmt]) == 0
        said.append(capsys.readouterr().out)
    assert said[0].startswith("tcpcheck ") and said[0].splitlines()[0].endswith(": Lab")
    return said[0].splitlines()[0].removeprefix("tcpcheck ").removesuffix(": Lab"), json.loads(said[1])["tool"]["version"]


def test_grade_says_the_interfaces_version(tmp_path, capsys):
    assert graded(tmp_path, capsys) == (interface.tool_version(),) * 2 == (version("tcpcheck"),) * 2


def test_without_an_installed_version_every_output_says_unknown(tmp_path, capsys, monkeypatch):
    def missing(name):
        raise PackageNotFoundError(name)
    monkeypatch.setattr(interface, "version", missing)
    assert graded(tmp_path, capsys) == ("unknown", "unknown")
