"""The grade command's promises that no layer keeps alone: a result file is
written even when the grader itself fails, and --bench is wired."""

import json

from tcpcheck.model.cli import main
from tcpcheck.model.table import REFERENCE

ASSIGNMENT = """\
title = "cli"
reference = "builtin:rfc9293"
[[configurations]]
name = "seed"
preset = "seed"
[[tests]]
kind = "rows"
points = 10
[[tests]]
kind = "behaviour"
configuration = "seed"
points = 10
"""


def test_a_failing_grader_still_writes_the_results_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    (tmp_path / "s.rules").write_text(REFERENCE.read_text())
    import tcpcheck.model.grading.grade as grade

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of the grader")
    monkeypatch.setattr(grade, "grade_file", broken)
    out = tmp_path / "results.json"
    code = main(["grade", "--assignment", str(tmp_path / "a.toml"), str(tmp_path / "s.rules"),
                 "--format", "json", "-o", str(out)])
    assert code == 3
    assert "internal error: ZeroDivisionError: a bug of the grader" in capsys.readouterr().err
    r = json.loads(out.read_text())
    assert r["gradable"] is True and r["score"] == 0 and r["max_score"] == 20
    assert [(t["name"], t["status"]) for t in r["tests"]] == [
        ("grading finished", "error"), ("the table, cell by cell", "error"),
        ("behaviour in configuration 'seed'", "error")]
    assert r["tests"][0]["output"] == ("The grader failed on this submission (ZeroDivisionError), so it earns "
                                      "no points yet. Tell your instructor.")


def test_the_same_table_graded_twice_gives_the_same_bytes(tmp_path):
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    (tmp_path / "s.rules").write_text(REFERENCE.read_text().replace(
        "FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING",
        "FIN_WAIT_1   | rcv FIN                 | -                          | same   "))
    outs = []
    for n in range(2):
        out = tmp_path / f"r{n}.json"
        assert main(["grade", "--assignment", str(tmp_path / "a.toml"), str(tmp_path / "s.rules"),
                     "-o", str(out)]) == 1
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    # 10 x 143/144 cells, and the seed configuration never closes simultaneously: full behaviour points
    assert json.loads(outs[0])["score"] == 19.9306


def test_grade_is_listed_in_the_top_level_help(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "grade" in capsys.readouterr().out


def test_the_reference_side_is_cached_and_a_damaged_cache_is_recomputed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TCPCHECK_CACHE", str(tmp_path / "cache"))
    (tmp_path / "a.toml").write_text(ASSIGNMENT)
    assert main(["grade", "--assignment", str(tmp_path / "a.toml"), "--prepare"]) == 0
    [cached] = (tmp_path / "cache").iterdir()
    assert "cached in" in capsys.readouterr().err
    import tcpcheck.model.grading.grade as grade
    from tcpcheck.model.grading.assignment import load_assignment
    first = grade.Prepared(load_assignment(tmp_path / "a.toml")).warm()

    def no_exploring(*args, **kwargs):
        raise AssertionError("the cached reference was explored again")
    with monkeypatch.context() as m:
        m.setattr(grade, "explore", no_exploring)
        again = grade.Prepared(load_assignment(tmp_path / "a.toml")).warm()
    assert (again.reference_states("seed"), again.reference_transitions("seed"), again.exercised()) == (
        14, 15, first.exercised())
    cached.write_text('{"counts": {"seed": "many"}}')  # damaged: recomputed, not trusted
    redone = grade.Prepared(load_assignment(tmp_path / "a.toml")).warm()
    assert redone.reference_states("seed") == 14
    # another bound is another cache file
    (tmp_path / "b.toml").write_text(ASSIGNMENT + "[limits]\nmax_states = 5000\n")
    grade.Prepared(load_assignment(tmp_path / "b.toml")).warm()
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_seeded_table_does_not_name_its_variant(tmp_path, capsys):
    """The edited rows keep the reference's source column: '(mutant no-closing)' would be the answer."""
    from tcpcheck.model.grading.assignment import load_assignment
    variants = ["no-time-wait", "two-way-handshake", "no-closing", "last-ack-silent", "time-wait-forever"]
    (tmp_path / "fix.toml").write_text(f"variants = {variants!r}\n".replace("'", '"') + ASSIGNMENT)
    assert load_assignment(tmp_path / "fix.toml").variants == tuple(variants)
    seen = set()
    for n in range(40):
        out = tmp_path / f"s{n}.rules"
        assert main(["grade", "--assignment", str(tmp_path / "fix.toml"), "--seed", f"student{n}",
                     "-o", str(out)]) == 0
        seen.add(capsys.readouterr().err.split("(")[-1].split(")")[0])
        text = out.read_text()
        assert "mutant" not in text.lower() and not any(v in text for v in variants)
    assert seen == set(variants)  # forty ids reach every variant
