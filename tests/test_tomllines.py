"""The one TOML line locator (model/tomllines.py): exact lines of keys, tables,
arrays of tables, dotted keys, inline tables and array elements; what is
inside strings and comments is not taken for keys; fallbacks."""

import tomllib
from importlib.resources import files

import pytest

from tcpcheck.model.tomllines import TomlLines, error_line

TEXT = '''\
# a comment: key = 1
title = "Lab # 3"   # the hash in the string is no comment
'quoted.key' = 1
"with \\"escape\\"" = 2
network.capacity = 2
network . loss_budget = 1
inline = { capacity = 2, "loss" = true, sub = { x = 1 } }
doc = """
[not_a_header]
fake = 1
ends with a quote\\""""
lit = \'\'\'
also = "no"
\'\'\'
after = 3
steps = [
  "A: OPEN",   # a comment between elements
  "B: OPEN",

  [1, 2],
  { k = 1 },   # a trailing comma next
]
[limits]   # the limits
max_states = 1000
[[tests]]
kind = "rows"
[[tests]]
kind = "behaviour"
[tests.sub]
x = 1
[[tests.more]]
y = 2
[[tests.more]]
y = 3
[[tests]]
name = "third"
[ "A" ]
iss = 5
[B.x]
z = 1
'''


@pytest.fixture(scope="module")
def lines():
    tomllib.loads(TEXT)  # the text is valid TOML
    return TomlLines(TEXT)


@pytest.mark.parametrize("path, line", [
    (("title",), 2),
    (("quoted.key",), 3),
    (('with "escape"',), 4),
    (("network",), 5),                      # a table implied by a dotted key: where it is first written
    (("network", "capacity"), 5),
    (("network", "loss_budget"), 6),        # blanks around the dot
    (("inline",), 7),
    (("inline", "capacity"), 7),
    (("inline", "loss"), 7),
    (("inline", "sub", "x"), 7),
    (("doc",), 8),
    (("lit",), 12),
    (("after",), 15),
    (("steps",), 16),
    (("steps", 0), 17),
    (("steps", 1), 18),
    (("steps", 2), 20),
    (("steps", 2, 1), 20),
    (("steps", 3), 21),
    (("steps", 3, "k"), 21),
    (("limits",), 23),
    (("limits", "max_states"), 24),
    (("tests",), 25),
    (("tests", 0), 25),
    (("tests", 0, "kind"), 26),
    (("tests", 1), 27),
    (("tests", 1, "kind"), 28),
    (("tests", 1, "sub"), 29),
    (("tests", 1, "sub", "x"), 30),
    (("tests", 1, "more", 0, "y"), 32),
    (("tests", 1, "more", 1), 33),
    (("tests", 1, "more", 1, "y"), 34),
    (("tests", 2, "name"), 36),
    (("A",), 37),
    (("A", "iss"), 38),
    (("B",), 39),
    (("B", "x", "z"), 40),
])
def test_the_line_of_each_path(lines, path, line):
    assert lines.line(*path) == line
    assert lines.has(*path)


def test_what_is_inside_strings_and_comments_is_not_a_key(lines):
    assert not lines.has("not_a_header")
    assert not lines.has("fake")
    assert not lines.has("also")
    assert not lines.has("key")  # the comment on line 1
    assert lines.line("after") == 15  # reading went on past both multi-line strings


def test_a_path_not_written_falls_back_to_its_longest_written_prefix(lines):
    assert lines.line("tests", 1, "points") == 27  # a missing key: its [[tests]] header
    assert lines.line("tests", 7, "kind") == 25  # no eighth [[tests]]: the first line of tests
    assert lines.line("limits", "seconds") == 23
    assert lines.line("nowhere") == 1
    assert lines.line() == 1
    assert not lines.has("tests", 1, "points")


def test_a_repeated_key_counts_where_it_is_first_written():
    text = "a = 1\n[t]\nk = 1\n[[x]]\nk = 1\n[[x]]\nk = 2\n[t]\nk = 2\n"
    lines = TomlLines(text)
    # the same key in each [[x]] is told apart by the index
    assert [lines.line("x", 0, "k"), lines.line("x", 1, "k")] == [5, 7]
    # a real duplicate (which tomllib refuses): the first one
    assert lines.line("t") == 2 and lines.line("t", "k") == 3
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)


def test_elements_of_an_array_and_of_a_multi_line_string():
    text = 'steps = [\n  "A: OPEN",\n\n  "B receives \\"x\\"",\n]\nrun = """\nA: OPEN\n\nB: CLOSE\n"""\nq = ["a", "b"]\n'
    lines = TomlLines(text)
    assert lines.elements(("steps",), ["A: OPEN", 'B receives "x"']) == [2, 4]
    assert lines.elements(("run",), ["A: OPEN", "B: CLOSE"]) == [7, 9]
    assert lines.elements(("run",), ["A: OPEN", "not there"]) == [7, 6]  # not found: the key's line
    assert lines.elements(("q",), ["a", "b"]) == [11, 11]
    # the search stays inside the value: "B: CLOSE" later in the text is not found for q
    assert TomlLines('q = "x"\nr = "B: CLOSE"\n').elements(("q",), ["B: CLOSE"]) == [1]


def test_an_inline_array_of_tables():
    text = 'questions = [\n  { id = "q1" },\n  { id = "q2",\n    ask = "claim" },\n]\n'
    lines = TomlLines(text)
    assert [lines.line("questions", 0, "id"), lines.line("questions", 1, "id")] == [2, 3]
    assert lines.line("questions", 1, "ask") == 4


def test_paths_in_the_order_of_the_text():
    assert TomlLines("b = 1\n[a]\nc = { d = 2 }\n").paths() == [("b",), ("a",), ("a", "c"), ("a", "c", "d")]


def test_every_key_of_the_shipped_example_assignments_is_found_on_a_line_that_names_it():
    """Each key path tomllib reads from a real file is located, on a line where its key is written."""
    examples = sorted(p for p in files("tcpcheck.model.grading").joinpath("examples").iterdir()
                      if p.name.endswith(".toml"))
    assert examples
    checked = 0
    for example in examples:
        text = example.read_text(encoding="utf-8")
        lines = TomlLines(text)
        rows = text.split("\n")

        def walk(value, path):
            nonlocal checked
            if path:
                assert lines.has(*path), (example.name, path)
                if isinstance(path[-1], str):
                    assert path[-1] in rows[lines.line(*path) - 1], (example.name, path)
                checked += 1
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, path + (k,))
            elif isinstance(value, list):
                for j, v in enumerate(value):
                    walk(v, path + (j,))

        walk(tomllib.loads(text), ())
    assert checked > 50


@pytest.mark.parametrize("broken", [
    'a = "never closed\nb = 1\n',
    'doc = """\nnever closed\n',
    "[[\n= = =\n[a\n",
    "x = [1, 2\ny = 3\n",
    "a = {\n",
    "[" * 50_000,
    "a = " + "[" * 50_000,
    "\\",
])
def test_text_that_is_not_toml_ends_and_answers(broken):
    """Not meant for such text (tomllib refuses it first), but it never loops or
    recurses: nesting costs no recursion."""
    with pytest.raises((tomllib.TOMLDecodeError, RecursionError)):
        tomllib.loads(broken)
    lines = TomlLines(broken)
    assert 1 <= lines.line("b") <= broken.count("\n") + 1


def test_error_line_reads_tomllib_s_message():
    with pytest.raises(tomllib.TOMLDecodeError) as exc:
        tomllib.loads("a = 1\nb = \n")
    assert error_line(exc.value) == 2
    assert error_line(ValueError("no position")) == 1
