"""Assignment files and the ``tcpcheck grade`` command line.

Each validation error is pinned at ``file:line`` with its exact message; the
command line's exit codes (0 full marks, 1 fewer or not gradable, 2 a bad
assignment), ``--init`` for every kind (the file written loads as an
assignment) and ``--seed`` (the table written loads and differs from the
reference in exactly the cells of the variant picked, the same for the same
student).  Where the grader is wrong, the test states the right behaviour and
is marked ``xfail(strict=True)``.
"""

from __future__ import annotations

import re

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.grading.assignment import AssignmentError, load_assignment
from tcpcheck.model.grading.cells import compare_cells
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.table import load_table, parse_table

from grading_tables import FIXTURES, REFERENCE_TEXT

BASE = '''\
title = "Lab V"
kind = "table"
reference = "builtin:rfc9293"
feedback = "run"

[[configurations]]
name = "lossy"
preset = "default"

[[tests]]
kind = "rows"
points = 10
'''


ROW_KIND = 'kind = "row"\n'
BEHAVIOUR_KIND = 'kind = "behaviour"'


def _line(text: str, fragment: str) -> int:
    """The 1-based line of ``text`` that contains ``fragment`` (exactly one)."""
    hits = [n for n, line in enumerate(text.splitlines(keepends=True), 1) if fragment in line]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def _errors(tmp_path, text: str, name: str = "lab.toml") -> tuple[str, list[str]]:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(AssignmentError) as info:
        load_assignment(p)
    return str(p), info.value.errors


def test_the_base_assignment_loads(tmp_path):
    p = tmp_path / "lab.toml"
    p.write_text(BASE, encoding="utf-8")
    a = load_assignment(p)
    assert (a.title, a.kind, a.feedback, list(a.configurations), [t.kind for t in a.tests]) == (
        "Lab V", "table", "run", ["lossy"], ["rows"])


# --- each error at file:line ----------------------------------------------------

def test_unknown_top_level_key_with_did_you_mean(tmp_path):
    text = BASE.replace('feedback = "run"\n', 'feedbak = "run"\n')
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'feedbak')}: unknown key 'feedbak'; did you mean 'feedback'?"]


def test_unknown_top_level_key_without_a_close_one(tmp_path):
    text = 'deadline = "friday"\n' + BASE
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'deadline')}: unknown key 'deadline'; expected one of: title, kind, "
                      f"reference, submission, feedback, lang, partial, variants, limits, configurations, tests, questions"]


def test_unknown_test_kind(tmp_path):
    text = BASE.replace('kind = "rows"', 'kind = "row"')
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, ROW_KIND)}: a test's kind must be one of rows, behaviour, "
                      f"properties, prove, not 'row' (did you mean 'rows'?)"]


def test_behaviour_test_without_configuration(tmp_path):
    text = BASE + '\n[[tests]]\nkind = "behaviour"\npoints = 10\n'
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, BEHAVIOUR_KIND)}: a behaviour test names its configuration: "
                      f"configuration = \"NAME\" (one of the [[configurations]]: lossy)"]


def test_unknown_configuration_name(tmp_path):
    text = BASE + '\n[[tests]]\nkind = "behaviour"\nconfiguration = "losy"\npoints = 10\n'
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'losy')}: unknown configuration 'losy'; did you mean 'lossy'?"]


def test_unknown_property_name(tmp_path):
    text = BASE + '\n[[tests]]\nkind = "properties"\nconfiguration = "lossy"\nproperties = ["deadlock fredom"]\n'
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'fredom')}: unknown property 'deadlock fredom'; "
                      f"did you mean 'deadlock freedom'?"]


def test_bad_visibility(tmp_path):
    text = BASE + 'visibility = "after_due"\n'
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'after_due')}: visibility must be one of visible, after_due_date, "
                      f"after_published, hidden (Gradescope's names), not 'after_due' "
                      f"(did you mean 'after_due_date'?)"]


INLINE_CAPACITY = BASE + '''
[[configurations]]
name = "big"
preset = "reliable"
network = { capacity = 99 }
'''


def test_inline_configuration_with_a_bad_value_is_reported(tmp_path):
    path, errors = _errors(tmp_path, INLINE_CAPACITY)
    assert len(errors) == 1
    assert re.fullmatch(re.escape(path) + r":\d+: configuration 'big': capacity must be an integer from 1 to 8, "
                                          r"not 99", errors[0])


def test_inline_configuration_with_a_bad_value_at_the_line_of_that_key(tmp_path):
    path, errors = _errors(tmp_path, INLINE_CAPACITY)
    assert errors == [f"{path}:{_line(INLINE_CAPACITY, 'capacity = 99')}: configuration 'big': capacity must be "
                      f"an integer from 1 to 8, not 99"]


def test_sub_table_configuration_with_a_bad_value_at_the_line_of_that_key(tmp_path):
    text = BASE + '\n[[configurations]]\nname = "big"\npreset = "reliable"\n\n[configurations.network]\n' \
                  'loss = true\ncapacity = 99\n'
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'capacity = 99')}: configuration 'big': capacity must be an integer "
                      f"from 1 to 8, not 99"]


def test_reference_path_that_does_not_exist(tmp_path):
    text = BASE.replace('reference = "builtin:rfc9293"', 'reference = "private/nope.rules"')
    path, errors = _errors(tmp_path, text)
    assert errors == [f"{path}:{_line(text, 'nope.rules')}: the reference table {tmp_path / 'private' / 'nope.rules'} "
                      f"does not exist (a path is relative to the assignment file)"]


def test_reference_path_that_is_a_directory_is_not_called_missing(tmp_path):
    (tmp_path / "private").mkdir()
    text = BASE.replace('reference = "builtin:rfc9293"', 'reference = "private"')
    path, errors = _errors(tmp_path, text)
    assert len(errors) == 1 and errors[0].startswith(f"{path}:{_line(text, 'private')}: ")
    assert "does not exist" not in errors[0]


def test_a_reference_that_is_not_a_valid_table(tmp_path):
    (tmp_path / "ref.rules").write_text(FIXTURES["typo"].text, encoding="utf-8")
    text = BASE.replace('reference = "builtin:rfc9293"', 'reference = "ref.rules"')
    path, errors = _errors(tmp_path, text)
    line = _line(FIXTURES["typo"].text, "ESTABLISED")
    assert errors == [f"{path}:{_line(text, 'ref.rules')}: the reference table does not load: "
                      f"{tmp_path / 'ref.rules'}:{line}: unknown state 'ESTABLISED'; did you mean ESTABLISHED?"]


SEVERAL = BASE.replace('feedback = "run"\n', 'feedbak = "run"\n') + '''
[[configurations]]
name = "big"
preset = "reliable"

[configurations.network]
capacity = 99

[[tests]]
kind = "row"
points = 10

[[tests]]
kind = "behaviour"
points = 10

[[tests]]
kind = "behaviour"
configuration = "losy"
points = 10

[[tests]]
kind = "properties"
configuration = "lossy"
properties = ["deadlock fredom"]

[[tests]]
kind = "rows"
visibility = "after_due"
'''


def test_several_errors_reported_together_in_line_order(tmp_path):
    path, errors = _errors(tmp_path, SEVERAL)
    s = SEVERAL
    assert errors == [
        f"{path}:{_line(s, 'feedbak')}: unknown key 'feedbak'; did you mean 'feedback'?",
        f"{path}:{_line(s, 'capacity = 99')}: configuration 'big': capacity must be an integer from 1 to 8, not 99",
        f"{path}:{_line(s, ROW_KIND)}: a test's kind must be one of rows, behaviour, properties, prove, not 'row' "
        f"(did you mean 'rows'?)",
        f"{path}:{_nth(s, BEHAVIOUR_KIND, 0)}: a behaviour "
        # 'big' is defined, though invalid (its own error is above), so it is one of the names to pick
        f"test names its configuration: configuration = \"NAME\" (one of the [[configurations]]: lossy, big)",
        f"{path}:{_line(s, 'losy')}: unknown configuration 'losy'; did you mean 'lossy'?",
        f"{path}:{_line(s, 'fredom')}: unknown property 'deadlock fredom'; did you mean 'deadlock freedom'?",
        f"{path}:{_line(s, 'after_due')}: visibility must be one of visible, after_due_date, after_published, "
        f"hidden (Gradescope's names), not 'after_due' (did you mean 'after_due_date'?)",
    ]


def _nth(text: str, fragment: str, n: int) -> int:
    return [i for i, line in enumerate(text.splitlines(), 1) if fragment in line][n]


ORDER = '''\
title = "order"
reference = "nope.rules"
feedback = "lots"

[[configurations]]
name = "lossy"
preset = "defualt"

[[tests]]
kind = "behaviour"
configuration = "lossy"
points = 10
visibility = "public"
'''


def test_errors_of_every_kind_in_line_order(tmp_path):
    path, errors = _errors(tmp_path, ORDER)
    lines = [int(e[len(path) + 1:].split(":", 1)[0]) for e in errors]
    assert lines == sorted(lines)


def test_unknown_preset_at_the_line_of_preset(tmp_path):
    path, errors = _errors(tmp_path, ORDER)
    assert (f"{path}:{_line(ORDER, 'defualt')}: configuration 'lossy': unknown preset 'defualt'; did you mean "
            f"'default'? known presets: default, reliable, seed, simultaneous-open, duplicating, abort") in errors


def test_a_configuration_with_errors_is_not_called_undefined(tmp_path):
    path, errors = _errors(tmp_path, ORDER)
    assert not any("unknown configuration" in e or "define it in [[configurations]]" in e for e in errors), errors
    assert not any(e.startswith(f"{path}:{_line(ORDER, 'configuration = ')}:") for e in errors), errors


def test_errors_of_order_example_as_reported_now(tmp_path):
    """What the file above gets, every error at once, in line order."""
    path, errors = _errors(tmp_path, ORDER)
    assert errors == [
        f"{path}:2: the reference table {tmp_path / 'nope.rules'} does not exist (a path is relative to the "
        f"assignment file)",
        f"{path}:3: feedback must be one of pass-fail, test, run, expected, not 'lots'",
        f"{path}:7: configuration 'lossy': unknown preset 'defualt'; did you mean 'default'? known presets: "
        f"default, reliable, seed, simultaneous-open, duplicating, abort",
        f"{path}:13: visibility must be one of visible, after_due_date, after_published, hidden (Gradescope's "
        f"names), not 'public'",
    ]


# --- the command line ------------------------------------------------------------

SMALL = '''\
title = "Lab C"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "run"

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
'''


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.toml"
    p.write_text(SMALL, encoding="utf-8")
    return p


def _table(tmp_path, name: str, text: str):
    p = tmp_path / f"{name}.rules"
    p.write_text(text, encoding="utf-8")
    return p


def test_cli_full_marks_exit_0(small, tmp_path, capsys):
    p = _table(tmp_path, "good", REFERENCE_TEXT)
    assert main(["grade", "--assignment", str(small), str(p)]) == 0
    out = capsys.readouterr().out
    assert "  score: 20 / 20\n" in out


def test_cli_fewer_points_exit_1(small, tmp_path, capsys):
    p = _table(tmp_path, "fw1", FIXTURES["fw1_to_time_wait"].text)
    assert main(["grade", "--assignment", str(small), str(p)]) == 1
    out = capsys.readouterr().out
    assert "  score: 15.93 / 20\n" in out  # 19.86/2 for the rows, 6.00 (9 of the 15 steps) for the seed run


def test_cli_not_gradable_exit_1(small, tmp_path, capsys):
    p = _table(tmp_path, "typo", FIXTURES["typo"].text)
    assert main(["grade", "--assignment", str(small), str(p)]) == 1
    out = capsys.readouterr().out
    assert "  score: 0 / 20  (not gradable: the file does not load)\n" in out
    assert "unknown state 'ESTABLISED'; did you mean ESTABLISHED?" in out


def test_cli_bad_assignment_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text(SEVERAL, encoding="utf-8")
    t = _table(tmp_path, "good", REFERENCE_TEXT)
    assert main(["grade", "--assignment", str(p), str(t)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 7
    assert err[0] == f"tcpcheck: error: {p}:{_line(SEVERAL, 'feedbak')}: unknown key 'feedbak'; did you mean 'feedback'?"
    assert all(line.startswith(f"tcpcheck: error: {p}:") for line in err)


def test_cli_writes_the_result_file_with_o(small, tmp_path, capsys):
    p = _table(tmp_path, "good", REFERENCE_TEXT)
    out = tmp_path / "r.json"
    assert main(["grade", "--assignment", str(small), str(p), "-o", str(out)]) == 0
    import json
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["score"] == data["max_score"] == 20 and data["gradable"] is True


@pytest.mark.parametrize("kind", ["write", "complete", "fix", "questions"])
def test_init_writes_an_assignment_that_loads(tmp_path, capsys, kind):
    p = tmp_path / f"{kind}.toml"
    code = main(["grade", "--init", kind, "-o", str(p)])
    err = capsys.readouterr().err
    if kind == "questions" and code != 0 and "questions.toml" in err and "No such file" in err:
        pytest.skip("no questions template yet")
    assert code == 0
    a = load_assignment(p)
    assert a.kind == ("questions" if kind == "questions" else "table")
    if kind == "fix":
        assert a.variants
    if kind == "complete":
        assert a.partial


def test_init_without_o_writes_to_stdout(tmp_path, capsys):
    assert main(["grade", "--init", "write"]) == 0
    text = capsys.readouterr().out
    p = tmp_path / "w.toml"
    p.write_text(text, encoding="utf-8")
    assert load_assignment(p).kind == "table"


# --seed: one id per variant of the fix example (found once; pinned so the test is cheap)
SEED_IDS = {"alice": "no-time-wait", "grace": "two-way-handshake", "dave": "no-closing", "uma": "last-ack-silent",
            "carol": "time-wait-forever"}


@pytest.fixture
def fix_assignment(tmp_path, capsys):
    p = tmp_path / "fix.toml"
    assert main(["grade", "--init", "fix", "-o", str(p)]) == 0
    capsys.readouterr()
    return p


def _wrong_cells(table) -> set:
    return {(c.state, c.event, c.status) for c in compare_cells(load_table(), table) if not c.right}


def _seed(fix_assignment, tmp_path, capsys, student: str):
    out = tmp_path / f"{student}.rules"
    assert main(["grade", "--assignment", str(fix_assignment), "--seed", student, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    m = re.search(rf"^{student}: variant (\d+) of (\d+) \(([a-z0-9-]+)\)$", err, re.M)
    assert m, err
    return out, m.group(3)


def test_seed_ids_cover_every_variant(fix_assignment):
    assert sorted(SEED_IDS.values()) == sorted(load_assignment(fix_assignment).variants)


@pytest.mark.parametrize("student", sorted(SEED_IDS))
def test_seed_writes_the_variant_table(fix_assignment, tmp_path, capsys, student):
    out, variant = _seed(fix_assignment, tmp_path, capsys, student)
    assert variant == SEED_IDS[student]
    assert variant in load_assignment(fix_assignment).variants
    text = out.read_text(encoding="utf-8")
    n = len(_wrong_cells(load_table(out)))
    assert text.startswith(f"# The table to fix, for {student}: {n} "
                           f"cell{'s' * (n != 1)} of this table {'is' if n == 1 else 'are'} wrong.\n")
    table = load_table(out)  # it loads
    expected = _wrong_cells(parse_table(MUTANTS[variant].edited(REFERENCE_TEXT), "variant"))
    assert expected  # the variant changes something
    assert _wrong_cells(table) == expected
    # the same id gives the same table, byte for byte
    (tmp_path / "again").mkdir()
    again, variant2 = _seed(fix_assignment, tmp_path / "again", capsys, student)
    assert variant2 == variant and again.read_bytes() == text.encode("utf-8")


def test_seed_differs_between_variants(fix_assignment, tmp_path, capsys):
    a, _ = _seed(fix_assignment, tmp_path, capsys, "alice")
    g, _ = _seed(fix_assignment, tmp_path, capsys, "grace")
    assert a.read_text(encoding="utf-8") != g.read_text(encoding="utf-8")


def test_seed_header_does_not_miscount_the_wrong_cells(fix_assignment, tmp_path, capsys):
    out, variant = _seed(fix_assignment, tmp_path, capsys, "alice")
    assert variant == "no-time-wait"
    n = len(_wrong_cells(load_table(out)))
    assert n == 2
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "# The table to fix, for alice: 2 cells of this table are wrong."


BUDGET = '''\
title = "budget"
reference = "builtin:rfc9293"

[limits]
max_states = 1000

[[configurations]]
name = "lossy"
preset = "default"

[[tests]]
kind = "behaviour"
configuration = "lossy"
points = 10
'''


def test_reference_check_over_the_state_budget_is_a_bad_assignment(tmp_path, capsys):
    p = tmp_path / "budget.toml"
    p.write_text(BUDGET + '\n[[tests]]\nkind = "properties"\nconfiguration = "lossy"\npoints = 10\n',
                 encoding="utf-8")
    t = _table(tmp_path, "good", REFERENCE_TEXT)
    assert main(["grade", "--assignment", str(p), str(t)]) == 2
    # the exploration, which the behaviour test needs too, is checked first (and the check explores as much)
    assert capsys.readouterr().err == (f"tcpcheck: error: {p}: the reference's exploration of configuration 'lossy' "
                                       f"needs more than [limits] max_states = 1,000 states; raise it\n")


def test_reference_exploration_over_the_state_budget_is_a_bad_assignment(tmp_path, capsys):
    p = tmp_path / "budget.toml"
    p.write_text(BUDGET, encoding="utf-8")
    t = _table(tmp_path, "good", REFERENCE_TEXT)
    assert main(["grade", "--assignment", str(p), str(t)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"tcpcheck: error: {p}: the reference's exploration of configuration 'lossy' "
                            f"needs more than [limits] max_states = 1,000 states; raise it\n")
    assert "score:" not in captured.out  # no student is graded


def test_a_questions_assignment_is_not_held_to_the_state_budget_it_does_not_use(tmp_path, capsys):
    p = tmp_path / "q.toml"
    assert main(["grade", "--init", "questions", "-o", str(p)]) == 0
    text = p.read_text(encoding="utf-8")
    if "configuration = \"default\"" not in text:
        pytest.skip("the questions template has no question on the lossy configuration")
    p.write_text(text.replace('\n[[configurations]]', '\n[limits]\nmax_states = 1000\n\n[[configurations]]', 1),
                 encoding="utf-8")
    capsys.readouterr()
    assert main(["grade", "--assignment", str(p), "--answer-key"]) == 0
    answers = tmp_path / "answers.toml"
    answers.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["grade", "--assignment", str(p), str(answers)]) == 0
    assert "  score: 14 / 14\n" in capsys.readouterr().out


def test_an_unknown_variant_or_property_at_the_line_of_its_own_element(tmp_path):
    """A list written over several lines: each bad element is reported on its own line
    (model/tomllines.py), not on the line of the key."""
    text = BASE.replace('feedback = "run"\n', 'feedback = "run"\nvariants = [\n  "no-closing",\n  "no-tme-wait",\n]\n') + (
        '\n[[tests]]\nkind = "properties"\nconfiguration = "lossy"\npoints = 5\nproperties = [\n'
        '  "deadlock freedom",\n  "deadlok freedom",   # a typo\n]\n')
    path, errors = _errors(tmp_path, text)
    assert errors == [
        f"{path}:{_line(text, 'no-tme-wait')}: unknown variant 'no-tme-wait'; did you mean 'no-time-wait'?",
        f"{path}:{_line(text, 'deadlok')}: unknown property 'deadlok freedom'; did you mean 'deadlock freedom'?",
    ]
