"""The grader's charts end as diagram trace's do (issue 11): a property test's
lasso is framed as repeating for ever and a deadlock waits for ever; the test
result's details say where (cycle_from, stuck), and the tcpcheck.charts
functions draw them."""

from __future__ import annotations

import json

import pytest

from tcpcheck.diagrams.charts import msc_png, msc_svg
from tcpcheck.diagrams.msc import msc_dot
from tcpcheck.model.cli import main
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.table import REFERENCE

ASSIGNMENT = '''\
title = "Lab"
kind = "table"
reference = "builtin:rfc9293"
feedback = "run"

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "lossy seed"
preset = "seed"
network = { loss = true, loss_budget = 1, capacity = 3 }

[[tests]]
kind = "properties"
configuration = "CONFIG"
points = 10
properties = ["PROPERTY"]
'''


def graded_test(tmp_path, capsys, mutant: str, config: str, prop: str) -> dict:
    (tmp_path / "a.toml").write_text(ASSIGNMENT.replace("CONFIG", config).replace("PROPERTY", prop))
    (tmp_path / "s.rules").write_text(MUTANTS[mutant].edited(REFERENCE.read_text()))
    assert main(["grade", "--assignment", str(tmp_path / "a.toml"), str(tmp_path / "s.rules"),
                 "--format", "json"]) == 1
    (test,) = [t for t in json.loads(capsys.readouterr().out)["tests"] if t["kind"] == "property"]
    assert test["status"] == "failed" and test["run"]
    return test


def test_a_lasso_is_framed_as_repeating_for_ever(tmp_path, capsys):
    t = graded_test(tmp_path, capsys, "time-wait-forever", "seed", "every close completes")
    assert {k: t["details"][k] for k in ("verdict", "cycle_from")} == {"verdict": "violated", "cycle_from": 10}
    assert "stuck" not in t["details"]
    assert len(t["run"]) == 12
    dot = msc_dot(t["run"], "t", cycle_from=t["details"]["cycle_from"])
    assert "// steps 11-11 repeat for ever" in dot
    svg = msc_svg(t["run"], "t", cycle_from=10)
    assert "step 11 repeats" in svg and "step 11 repeats" not in msc_svg(t["run"], "t")
    assert msc_png(t["run"], "t", cycle_from=10) != msc_png(t["run"], "t")


def test_a_deadlock_waits_for_ever(tmp_path, capsys):
    t = graded_test(tmp_path, capsys, "last-ack-silent", "lossy seed", "deadlock freedom")
    assert t["details"]["stuck"] is True and "cycle_from" not in t["details"]
    assert "for ever" in msc_svg(t["run"], "t", stuck=True) and "for ever" not in msc_svg(t["run"], "t")


def test_a_bad_cycle_is_refused_by_the_chart():
    """The marks are checked: a cycle_from beyond the run is a ValueError, not a wrong picture."""
    from tcpcheck.model.report import trace_json
    from tcpcheck.model.scenarios import scenario_path

    cfg, table, path = scenario_path("seed")
    with pytest.raises(ValueError, match="^cycle_from must be a step from 0 to "):
        msc_svg(trace_json(path, table), "t", cycle_from=len(path))
