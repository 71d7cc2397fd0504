"""Assignment files: what a course grades, how many points each part is worth,
and what a student may see.

An assignment is a TOML file (``tcpcheck grade --init KIND`` writes a
commented example of each kind)::

    title = "Lab 3: the TCP state table"
    kind = "table"                 # table (write, complete or fix one) or questions
    reference = "reference.rules"  # the instructor's table, relative to this file
                                   # ("builtin:rfc9293" for the one tcpcheck ships)
    submission = "tcp.rules"       # the file name students upload
    feedback = "run"               # pass-fail | test | run | expected
    lang = "en"                    # the feedback's language: en, or zh for Chinese (grade --lang overrides)
    partial = true                 # grade a table with missing cells (marked wrong)
    variants = ["no-closing"]      # fix-a-table: --seed STUDENT picks one of these

    [limits]
    max_states = 300000            # state budget of each test
    seconds = 60                   # time budget of each test

    [[configurations]]             # a preset, with the overrides of a configuration file
    name = "lossy"
    preset = "default"
    network = { capacity = 2 }

    [[tests]]
    kind = "rows"                  # rows | behaviour | properties | prove (optional: z3, ~20 s a table)
    points = 30
    visibility = "visible"         # visible | after_due_date | after_published | hidden

Errors name the file and the line, like a configuration file's; every
error of the file is reported at once where the file can be read at all.
Paths come only from the assignment (the instructor's file), never from a
submission.

It reads and validates; it grades nothing.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, ConfigError, parse_config
from ..errors import InputError, closest, read_input
from ..i18n import LANGS, canonical_property, property_names
from ..tomllines import TomlLines, error_line
from ..mutants import MUTANTS
from ..properties import PROPERTIES
from ..table import REFERENCE, RuleTable, TableError, load_table
from .results import VISIBILITIES

__all__ = ["Assignment", "AssignmentError", "Test", "FEEDBACK", "KINDS", "TEST_KINDS", "load_assignment",
           "parse_assignment", "BUILTIN"]

#: How much a test's feedback says, from least to most.  ``expected`` adds the
#: reference's step or answer, shown only once the due date has passed.
FEEDBACK = ("pass-fail", "test", "run", "expected")
KINDS = ("table", "questions")
TEST_KINDS = ("rows", "behaviour", "properties", "prove")
BUILTIN = "builtin:rfc9293"

_TOP = ("title", "kind", "reference", "submission", "feedback", "lang", "partial", "variants", "limits",
        "configurations", "tests", "questions")
_LIMITS = ("max_states", "seconds")
_CONFIG_KEYS = ("name", "preset", "rcv_wnd", "iss_step", "network", "timers", "A", "B")
_TEST_KEYS = ("kind", "name", "points", "visibility", "feedback", "configuration", "properties")
_PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class AssignmentError(InputError):
    """An assignment file that cannot be used: every problem, each at file:line."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class Test:
    """One entry of ``[[tests]]`` as written (a ``properties`` entry becomes
    one graded test per property when it is graded)."""

    kind: str
    points: float
    visibility: str
    feedback: str
    name: str = ""
    configuration: str | None = None
    properties: tuple[str, ...] | None = None  # None: every property the reference holds there
    line: int = 0


@dataclass
class Assignment:
    """A validated assignment, with its reference table loaded."""

    path: str
    title: str
    kind: str
    reference_path: str
    reference: RuleTable
    reference_sha256: str
    submission: str
    feedback: str
    partial: bool
    variants: tuple[str, ...]
    max_states: int
    seconds: float
    configurations: dict[str, Config]
    tests: list[Test]
    questions: list = field(default_factory=list)  # for kind = "questions" (see questions.py)
    lang: str = "en"  # the language of the feedback (test names, feedback lines, the formats' words)


def _did_you_mean(word: str, choices) -> str:
    close = closest(word, choices)
    return f"; did you mean '{close}'?" if close else f"; expected one of: {', '.join(choices)}"


def _hint(word, choices) -> str:
    """" (did you mean 'X'?)" after a message that lists the choices already, or nothing."""
    close = closest(word, choices) if isinstance(word, str) else None
    return f" (did you mean '{close}'?)" if close else ""


def _lang_hint(word) -> str:
    """" (did you mean 'zh'?)" for a locale or a name of Chinese (zh_CN, cn, chinese, 中文)."""
    if isinstance(word, str) and (word.lower().startswith("zh") or word.lower() in ("cn", "chinese", "中文")):
        return " (did you mean 'zh'?)"
    if isinstance(word, str) and (word.lower().startswith("en") or word.lower() == "english"):
        return " (did you mean 'en'?)"
    return _hint(word, LANGS)


#: the largest assignment file read (a real one is a few KiB; /dev/zero must not fill the memory)
INPUT_LIMIT = 1 << 20


def load_assignment(path: str | Path) -> Assignment:
    """Read and validate the assignment file at ``path`` and load its reference."""
    p = Path(path)
    return parse_assignment(read_input(p, "the assignment", AssignmentError, limit=INPUT_LIMIT), str(p), p.parent)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v).__name__)


def _shown(v) -> str:
    """A value as the file writes it (TOML), for messages."""
    try:
        return _toml_value(v)
    except TypeError:
        return "a table" if isinstance(v, dict) else repr(v)


def _config_text(entry: dict) -> str:
    """An inline configuration written as the configuration file it stands for."""
    top = [f"{k} = {_toml_value(v)}" for k, v in entry.items() if k != "name" and not isinstance(v, dict)]
    tables = [f"[{k}]\n" + "\n".join(f"{kk} = {_toml_value(vv)}" for kk, vv in v.items())
              for k, v in entry.items() if isinstance(v, dict)]
    return "\n".join(top + tables) + "\n"


def parse_assignment(text: str, path: str, base_dir: Path | None = None) -> Assignment:
    """The assignment described by the TOML ``text`` (``path`` names it in
    messages; relative paths in it are relative to ``base_dir``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError([f"{path}:{error_line(exc)}: not valid TOML: {exc}"]) from None
    except RecursionError:
        raise AssignmentError([f"{path}:1: not valid TOML: nested too deeply"]) from None
    lines = TomlLines(text)
    errors: list[str] = []

    def err(line: int, message: str) -> None:
        errors.append(f"{path}:{line}: {message}")

    for key in data:
        if key not in _TOP:
            err(lines.line(key), f"unknown key '{key}'{_did_you_mean(key, _TOP)}")

    def get(key, types, default, what):
        v = data.get(key, default)
        if not isinstance(v, types) or isinstance(v, bool) and bool not in types:
            err(lines.line(key), f"{key} must be {what}, not {v!r}")
            return default
        return v

    title = get("title", (str,), "", "a string in quotes")
    kind = get("kind", (str,), "table", "a string: table or questions")
    if kind not in KINDS:
        err(lines.line("kind"), f"kind must be 'table' or 'questions', not {kind!r}{_hint(kind, KINDS)}")
        kind = "table"
    feedback = get("feedback", (str,), "run", "a string")
    if feedback not in FEEDBACK:
        err(lines.line("feedback"), f"feedback must be one of {', '.join(FEEDBACK)}, not {feedback!r}"
                                    f"{_hint(feedback, FEEDBACK)}")
        feedback = "run"
    lang = get("lang", (str,), "en", "a string: en or zh")
    if lang not in LANGS:
        err(lines.line("lang"), f"lang must be one of {', '.join(LANGS)} (zh: Chinese), not {lang!r}"
                                f"{_lang_hint(lang)}")
        lang = "en"
    partial = get("partial", (bool,), False, "true or false")
    submission = get("submission", (str,), "submission.rules" if kind == "table" else "answers.toml",
                     "a file name in quotes")
    if "/" in submission or "\\" in submission or submission in ("", ".", ".."):
        err(lines.line("submission"), f"submission must be a plain file name (no folders), not {submission!r}")
    variants = get("variants", (list,), [], "a list of mutant names")
    for v, line in zip(variants, lines.elements(("variants",), variants)):
        if not isinstance(v, str):
            err(line, f"a variant must be a mutant's name in quotes, not {_shown(v)}")
        elif v not in MUTANTS:
            err(line, f"unknown variant {v!r}{_did_you_mean(v, list(MUTANTS))}")
        elif MUTANTS[v].semantics is not None or MUTANTS[v].settings or not MUTANTS[v].edits:
            err(line, f"variant {v!r} changes more than rows of the table; a student "
                      f"can only be given a table to fix (use one that edits rows)")

    limits = data.get("limits", {})
    max_states, seconds = 300_000, 60.0
    if not isinstance(limits, dict):
        err(lines.line("limits"), "limits must be a table: [limits]")
        limits = {}
    for key, value in limits.items():
        line = lines.line("limits", key)
        if key not in _LIMITS:
            err(line, f"unknown key '{key}' in [limits]{_did_you_mean(key, _LIMITS)}")
        elif key == "max_states":
            if type(value) is not int or not 1_000 <= value <= 50_000_000:
                err(line, f"max_states must be a whole number from 1000 to 50000000, not {value!r}")
            else:
                max_states = value
        elif type(value) not in (int, float) or not 1 <= value <= 3600:
            err(line, f"seconds must be a number from 1 to 3600, not {value!r}")
        else:
            seconds = float(value)

    configurations = _configurations(data, lines, path, err)
    tests = _tests(data, lines, kind, configurations, feedback, err)

    ref_text = get("reference", (str,), "", "a path in quotes")
    reference = None
    ref_path, digest = "", ""
    if not ref_text:
        err(lines.line("reference") if "reference" in data else 1,
            f"the assignment must name its reference table: reference = \"FILE.rules\" "
            f"(relative to the assignment), or reference = \"{BUILTIN}\" for the table tcpcheck ships")
    else:
        rp = REFERENCE if ref_text == BUILTIN else (Path(base_dir or ".") / ref_text)
        ref_path = str(rp)
        try:
            reference = load_table(rp)
            digest = hashlib.sha256(rp.read_bytes()).hexdigest()
        except TableError as exc:
            err(lines.line("reference"), f"the reference table does not load: {exc}")
        except OSError as exc:
            err(lines.line("reference"), f"cannot read the reference table {rp}: {exc.strerror}")
        if reference is None and not rp.exists():
            errors.pop()
            err(lines.line("reference"), f"the reference table {rp} does not exist (a path is relative to "
                                       f"the assignment file)")

    questions = []
    if kind == "questions":
        entries = data.get("questions", [])
        if not isinstance(entries, list) or not entries or not all(isinstance(q, dict) for q in entries):
            err(lines.line("questions"), "a questions assignment needs [[questions]] entries")
        elif reference is not None and not errors:
            from .questions import parse_questions
            try:
                questions = parse_questions(entries, text, path,
                                            {k: v for k, v in configurations.items() if v is not None}, reference)
            except InputError as exc:
                errors.extend(getattr(exc, "errors", None) or str(exc).splitlines())
    elif "questions" in data:
        err(lines.line("questions"), "[[questions]] belong in an assignment of kind = \"questions\"")
    if errors:
        raise AssignmentError(sorted(errors, key=_line_number))
    return Assignment(path, title or Path(path).stem, kind, ref_path, reference, digest, submission, feedback,
                      partial, tuple(variants), max_states, seconds,
                      {k: v for k, v in configurations.items() if v is not None}, tests, questions, lang)


def _line_number(message: str) -> int:
    m = re.match(r".*?:(\d+): ", message)
    return int(m.group(1)) if m else 0


def _keys(entry: dict) -> list[tuple[str, ...]]:
    """The paths of the keys of a configuration entry and of its sub-tables."""
    return [(k,) for k in entry] + [(k, kk) for k, v in entry.items() if isinstance(v, dict) for kk in v]


def _configurations(data, lines, path, err) -> dict[str, Config | None]:
    out: dict[str, Config] = {}
    entries = data.get("configurations", [])
    if not isinstance(entries, list):
        err(lines.line("configurations"), "configurations must be [[configurations]] entries")
        return out
    for n, entry in enumerate(entries):
        line = lines.line("configurations", n, "name")
        if not isinstance(entry, dict):
            err(line, "each configuration must be a [[configurations]] table")
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            err(line, "a configuration needs a name: name = \"...\"")
            continue
        if name in out:
            err(line, f"a configuration called '{name}' is already defined above")
            continue
        bad = [k for k in entry if k not in _CONFIG_KEYS]
        for k in bad:
            what = ("the tables come from the assignment's reference and the submission"
                    if k == "rules" else _did_you_mean(k, _CONFIG_KEYS)[2:])
            err(lines.line("configurations", n, k), f"unknown key '{k}' in configuration '{name}'; {what}")
        if bad:
            continue
        out[name] = None  # defined, even if it turns out invalid: tests naming it are not told it is unknown
        try:
            out[name] = parse_config(_config_text(entry), f"configuration '{name}'", name=name)
        except ConfigError as exc:
            msg = re.sub(r"^configuration '[^']*':\d+: ", "", str(exc))
            # the line of the first key of the entry the message names
            named = sorted((m.start(), k) for k in _keys(entry)
                           if (m := re.search(rf"\b{re.escape(k[-1])}\b", msg)))
            err(lines.line("configurations", n, *named[0][1]) if named else line, f"configuration '{name}': {msg}")
        except TypeError:
            err(line, f"configuration '{name}': values must be numbers, strings, booleans or lists")
    return out


def _tests(data, lines, kind, configurations, feedback, err) -> list[Test]:
    out: list[Test] = []
    entries = data.get("tests", [])
    if not isinstance(entries, list):
        err(lines.line("tests"), "tests must be [[tests]] entries")
        return out
    if kind == "questions":
        if entries:
            err(lines.line("tests", 0, "kind"), "a questions assignment grades its [[questions]]; "
                                              "it has no [[tests]]")
        return out
    if not entries:
        err(lines.line("tests") if "tests" in data else 1, "the assignment has no [[tests]]: add at least one, "
                                                          "e.g. [[tests]] kind = \"rows\" points = 10")
    for n, entry in enumerate(entries):
        line = lines.line("tests", n, "kind")
        if not isinstance(entry, dict):
            err(line, "each test must be a [[tests]] table")
            continue

        def at(key):
            return lines.line("tests", n, key)
        ok = True
        for k in entry:
            if k not in _TEST_KEYS:
                err(at(k), f"unknown key '{k}' in a test{_did_you_mean(k, _TEST_KEYS)}")
                ok = False
        t_kind = entry.get("kind")
        if t_kind not in TEST_KINDS:
            err(at("kind"), f"a test's kind must be one of {', '.join(TEST_KINDS)}, not {t_kind!r}"
                            f"{_hint(t_kind, TEST_KINDS)}")
            ok = False
        points = entry.get("points", 0)
        if type(points) not in (int, float) or not 0 <= points <= 10_000:
            err(at("points"), f"points must be a number from 0 to 10000, not {points!r}")
            ok = False
        visibility = entry.get("visibility", "visible")
        if visibility not in VISIBILITIES:
            err(at("visibility"), f"visibility must be one of {', '.join(VISIBILITIES)} (Gradescope's "
                                  f"names), not {visibility!r}{_hint(visibility, VISIBILITIES)}")
            ok = False
        fb = entry.get("feedback", feedback)
        if fb not in FEEDBACK:
            err(at("feedback"), f"feedback must be one of {', '.join(FEEDBACK)}, not {fb!r}{_hint(fb, FEEDBACK)}")
            ok = False
        name = entry.get("name", "")
        if not isinstance(name, str):
            err(at("name"), f"name must be a string, not {name!r}")
            ok = False
        cfg = entry.get("configuration")
        if t_kind in ("behaviour", "properties"):
            if cfg is None:
                err(line, f"a {t_kind} test names its configuration: configuration = \"NAME\" "
                          f"(one of the [[configurations]]: {', '.join(configurations) or 'none defined'})")
                ok = False
            elif not isinstance(cfg, str):
                err(at("configuration"), f"configuration must be the name of one of the [[configurations]] "
                                         f"in quotes, not {_shown(cfg)}")
                ok = False
            elif cfg not in configurations:
                err(at("configuration"), f"unknown configuration {cfg!r}"
                                         f"{_did_you_mean(cfg, list(configurations)) if configurations else '; define it in [[configurations]]'}")
                ok = False
        elif cfg is not None:
            err(at("configuration"), f"a {t_kind} test is about the tables themselves; it has no configuration")
            ok = False
        props = entry.get("properties", "all")
        if t_kind == "properties":
            if props == "all":
                props = None
            elif isinstance(props, list) and props and all(isinstance(p, str) for p in props):
                named = []
                for p, p_line in zip(props, lines.elements(("tests", n, "properties"), props)):
                    c = canonical_property(p)  # its English name, from English or Chinese
                    if c is None:
                        close = closest(p, _PROPERTY_NAMES + tuple(property_names("zh")))
                        err(p_line, f"unknown property {p!r}" + (f"; did you mean '{close}'?" if close else
                                                                 f"; expected one of: {', '.join(_PROPERTY_NAMES)}"))
                        ok = False
                    named.append(c)
                props = tuple(named)
            else:
                err(at("properties"), "properties must be \"all\" or a list of property names")
                ok = False
        elif "properties" in entry:
            err(at("properties"), "only a properties test lists properties")
            ok = False
        if ok:
            out.append(Test(t_kind, float(points), visibility, fb, name, cfg,
                            props if t_kind == "properties" else None, line))
    return out
