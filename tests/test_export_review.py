"""``-o -`` is standard output, as the help's "default: standard output" leads a user to expect.

Found by running ``tcpcheck export --preset seed --format json -o -``: it
wrote a file called "-" (and said "wrote -"), as did ``diagram`` and
``grade``.
"""

from __future__ import annotations

import json
import os

import pytest

from tcpcheck.model.cli import main


@pytest.fixture()
def here(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


def test_export_dash_is_standard_output(here, capsysbinary):
    assert main(["export", "--preset", "seed", "--format", "json", "-o", "-"]) == 0
    out, err = capsysbinary.readouterr()
    doc = json.loads(out)
    assert (doc["kind"], len(doc["nodes"]), len(doc["edges"])) == ("export", 14, 15)
    assert err == b"" and not (here / "-").exists()


def test_export_counterexamples_dash_is_standard_output(here, capsysbinary):
    assert main(["export", "--mutant", "no-time-wait", "--counterexamples", "-o", "-"]) == 0
    out, _ = capsysbinary.readouterr()
    assert [p["id"] for p in json.loads(out)["properties"]] == ["STEP1"]
    assert not (here / "-").exists()


def test_diagram_dash_is_standard_output(here, capsysbinary):
    assert main(["diagram", "fsm", "--format", "dot", "-o", "-"]) == 0
    out, err = capsysbinary.readouterr()
    assert out.startswith(b"digraph") and err == b"" and not (here / "-").exists()


def test_grade_dash_is_standard_output(here, capsys):
    assert main(["grade", "--init", "write", "-o", "-"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith('# A "write the table" assignment for tcpcheck grade.')
    assert not (here / "-").exists()


def test_a_file_is_still_written(here, capsysbinary):
    assert main(["export", "--preset", "seed", "--format", "json", "-o", "g.json"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == b"" and err == b"wrote g.json (json: 14 states, 15 transitions)\n"
    assert json.loads((here / "g.json").read_text())["kind"] == "export"
