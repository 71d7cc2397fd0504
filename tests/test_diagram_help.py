"""tcpcheck diagram KIND --help teaches: examples and exit codes for every kind, prose wrapped.

Found by reading each --help as a new user: fsm, states and gallery said no exit
codes, and the descriptions of fsm, states and trace were one line of some 300
characters (their help keeps the examples' line breaks, so nothing wrapped them).
"""

from __future__ import annotations

import pytest

from tcpcheck.model.cli import main


@pytest.mark.parametrize("kind, codes", [
    ("fsm", "exit codes: 0 drawn, 2 bad input (a rule table that does not load, an unknown"),
    ("states", "exit codes: 0 drawn, 2 bad input (an unknown preset, mutant or property, a"),
    ("trace", "exit codes: 0 drawn, 2 bad input (a trace that is not a run of the model,"),
    ("gallery", "exit codes: 0 written, 2 a folder that cannot be written (or no Graphviz dot"),
])
def test_each_kind_says_its_exit_codes_and_wraps_its_prose(capsys, monkeypatch, kind, codes):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as e:
        main(["diagram", kind, "--help"])
    assert e.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert codes in lines
    assert any(line.startswith("example") for line in lines)
    description = lines[lines.index("") + 1:]
    description = description[:description.index("")]
    assert description and all(len(line) <= 78 for line in description), description


@pytest.mark.parametrize("command, first", [
    ("grade", "Grade a submission against an assignment: each cell of the student's table"),
    ("conform", "Follow each TCP connection of a capture through the rule table: the row that"),
    ("export", "Explore a configuration as 'tcpcheck check' does and write its reachable-state"),
])
def test_grade_conform_and_export_wrap_their_description(capsys, monkeypatch, command, first):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main([command, "--help"])
    lines = capsys.readouterr().out.splitlines()
    i = lines.index(first)
    description = lines[i:lines.index("", i)]
    assert len(description) > 1 and all(len(line) <= 78 for line in description)
    assert any(line.startswith("exit codes") for line in lines)
