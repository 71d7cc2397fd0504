"""Grading one submission: the assignment's tests run in order, each scored.

:class:`Prepared` holds what depends only on the assignment (the reference's
explorations and property verdicts, computed once, shared by every
submission of a class).  :func:`grade_file` reads a submission and always
returns a :class:`~.results.GradeResult`: a table that does not load is
"not gradable" with the loader's messages; a test that runs out of its state
or time budget is ``unknown``; a test on which the grader itself fails is
``error``.  None of them earns points, and none of them stops the others.

The layers and their scores:

* **rows**: points x cells right / cells in either table (:mod:`.cells`);
* **behaviour**: full points when no run of the configuration tells the
  tables apart, else points x the agreement of :mod:`.behaviour`, rounded
  down to the hundredth (so a difference never shows as full points);
* **properties**: one test per property, points shared equally; each passes
  when the submission's verdict is the reference's.  With ``properties =
  "all"`` only the properties the reference holds in that configuration are
  graded (a property RFC 9293 itself violates is not held against anyone);
  one named explicitly that the reference violates passes with a note.

Feedback is cut to the test's level; the reference's answer goes only into
``expected``, for outputs that know the due date has passed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from ..checker import run as check
from ..errors import InputError
from ..explorer import explore
from ..i18n import N_, property_name, say, translator
from ..interface import tool_version  # the one version string of every output
from ..properties import PROPERTIES, acceptable_end, path_of, run_of
from ..report import trace_json, trace_lines
from ..system import Model
from ..table import load_table
from ..tcb import describe_segment
from .assignment import Assignment, Test
from .behaviour import BudgetExceeded, compare
from .cells import compare_cells
from .results import GradeResult, TestResult

__all__ = ["Prepared", "grade_file", "grade_table", "planned_tests", "stand_in", "tool_version"]


class TestTimeout(Exception):
    """A test ran past its time budget."""


@contextmanager
def _time_budget(seconds: float):
    """Raise TestTimeout in this (main) thread after ``seconds``."""
    try:
        old = signal.signal(signal.SIGALRM, _alarm)
    except ValueError:  # not the main thread: rely on the state budgets
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _alarm(signum, frame):
    raise TestTimeout()


class Prepared:
    """An assignment with the reference's side of every test computed once."""

    def __init__(self, assignment: Assignment):
        self.assignment = assignment
        self._counts: dict[str, int] = {}
        self._transitions: dict[str, int] = {}
        self._fired: dict[str, frozenset[int]] = {}
        self._verdicts: dict[str, dict] = {}
        self._proofs: list[dict] | None = None

    def reference_proofs(self) -> list[dict]:
        """The z3 obligations on the reference: [{"name", "verdict", ...}], proved once."""
        if self._proofs is None:
            self._proofs = prove(self.assignment.reference)
        return self._proofs

    def reference_states(self, name: str) -> int:
        if name not in self._counts:
            a = self.assignment
            x = explore(Model(a.configurations[name], a.reference), max_states=a.max_states)
            if not x.complete:
                raise InputError(f"{a.path}: the reference's exploration of configuration '{name}' needs "
                                 f"more than [limits] max_states = {a.max_states:,} states; raise it")
            self._counts[name] = len(x.states)
            self._transitions[name] = len(set(zip(x.src, x.lab)))
            self._fired[name] = frozenset(r for k in range(len(x.labels)) for r in x.label(k).rules)
        return self._counts[name]

    def reference_transitions(self, name: str) -> int:
        """The (state, step) pairs of the reference's exploration: the agreement's denominator."""
        self.reference_states(name)
        return self._transitions[name]

    def exercised(self) -> frozenset[int]:
        """The reference's rule ids that fire in some configuration of the assignment."""
        for name in self.assignment.configurations:
            self.reference_states(name)
        return frozenset().union(*self._fired.values()) if self._fired else frozenset()

    def reference_verdicts(self, name: str) -> dict:
        if name not in self._verdicts:
            a = self.assignment
            r = check(a.configurations[name], a.reference, max_states=a.max_states)
            if not r.exploration.complete:
                raise InputError(f"{a.path}: the reference's check of configuration '{name}' needs more "
                                 f"than [limits] max_states = {a.max_states:,} states; raise it")
            self._verdicts[name] = {v.name: v.verdict for v in r.verdicts}
        return self._verdicts[name]

    def warm(self) -> "Prepared":
        """Compute everything any submission will need (before forking workers),
        or read it from the cache (see :func:`cache_path`).  A questions
        assignment computed its answers when it was loaded."""
        if self.assignment.kind == "questions" or self._load():
            return self
        for t in self.assignment.tests:
            if t.configuration is not None:
                self.reference_states(t.configuration)
                if t.kind == "properties":
                    self.reference_verdicts(t.configuration)
            if t.kind == "prove":
                self.reference_proofs()
        self.exercised()
        self._save()
        return self

    # --- the cache: the reference's side depends only on the tool, the reference and the bounds

    def _key(self) -> str:
        a = self.assignment
        facts = {"tool": tool_version(), "reference": a.reference_sha256, "max_states": a.max_states,
                 "configurations": {k: dataclasses.asdict(v) for k, v in sorted(a.configurations.items())},
                 "properties": sorted({t.configuration for t in a.tests if t.kind == "properties"})}
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()

    def _load(self) -> bool:
        path = cache_path(self._key())
        if path is None or not path.is_file():
            return False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            names = set(self.assignment.configurations)
            if set(data["counts"]) != names:
                return False
            counts = {k: int(v) for k, v in data["counts"].items()}
            transitions = {k: int(data["transitions"][k]) for k in names}
            fired = {k: frozenset(int(i) for i in data["fired"][k]) for k in names}
            verdicts = {k: {str(p): str(v) for p, v in d.items()} for k, d in data["verdicts"].items()}
            proofs = data.get("proofs")
            if any(t.kind == "prove" for t in self.assignment.tests) and not (
                    isinstance(proofs, list) and all(isinstance(o, dict) and "name" in o for o in proofs)):
                return False
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False  # a damaged cache is recomputed, never trusted
        self._counts, self._transitions, self._fired, self._verdicts = counts, transitions, fired, verdicts
        self._proofs = proofs
        return True

    def _save(self) -> None:
        path = cache_path(self._key())
        if path is None:
            return
        data = {"counts": self._counts, "transitions": self._transitions,
                "fired": {k: sorted(v) for k, v in self._fired.items()}, "verdicts": self._verdicts,
                "proofs": self._proofs}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # no cache: the next run computes the reference's side again


def prove(table, jobs: int | None = None, lang: str = "en") -> list[dict]:
    """The z3 obligations on ``table``, through the ``tcpcheck.provers`` entry
    point (model/ never imports proofs/); counterexamples said in ``lang``."""
    from importlib.metadata import entry_points
    found = [ep for ep in entry_points(group="tcpcheck.provers") if ep.name == "obligations"]
    if not found:
        raise InputError("a prove test needs tcpcheck's proofs (the tcpcheck.provers entry point); "
                         "reinstall tcpcheck")
    fn = found[0].load()
    if lang == "en":
        return fn(table, timeout=10.0, jobs=jobs or min(2, os.cpu_count() or 1))
    return fn(table, timeout=10.0, jobs=jobs or min(2, os.cpu_count() or 1), lang=lang)


def cache_path(key: str) -> Path | None:
    """Where the reference's side of an assignment is cached: the folder
    ``$TCPCHECK_CACHE`` (``off``: no cache), else ``$XDG_CACHE_HOME/tcpcheck``
    or ``~/.cache/tcpcheck``.  The file is named by a hash of the tool's
    version, the reference's SHA-256 and the configurations, so a change to
    any of them is a new file."""
    where = os.environ.get("TCPCHECK_CACHE")
    if where == "off":
        return None
    if not where:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        where = os.path.join(base, "tcpcheck")
    return Path(where) / f"reference-{key[:32]}.json"


# --- one submission --------------------------------------------------------------

def grade_file(prepared: Prepared, path: str | Path, student: str | None = None) -> GradeResult:
    """Grade the submission at ``path``: a rule table, or an answer file for a
    questions assignment.  Always returns a result."""
    p = Path(path)
    a = prepared.assignment
    prepared.warm()  # a reference beyond the budgets is the assignment's problem (InputError), not the student's
    student = student or p.stem
    try:
        digest = hashlib.sha256(p.read_bytes()[: 1 << 20]).hexdigest()
    except OSError:
        digest = ""
    if a.kind == "questions":
        return _grade_answers(prepared, p, student, digest)
    try:
        table = load_table(p, partial=a.partial)
    except InputError as exc:
        messages = list(getattr(exc, "errors", None) or str(exc).splitlines())
        return _not_gradable(prepared, str(p), student, digest, messages)
    result = grade_table(prepared, table, str(p), student)
    result.submission_sha256 = digest
    return result


def _result(prepared: Prepared, submission: str, student: str, gradable: bool, messages, tests) -> GradeResult:
    a = prepared.assignment
    return GradeResult(a.title, submission, student, gradable, list(messages), tests, tool_version(),
                       a.reference_sha256, lang=a.lang)


def _tr(prepared: Prepared):
    """The translator of the assignment's language (``_`` of every feedback text)."""
    return translator(prepared.assignment.lang)


def _not_gradable(prepared, submission, student, digest, messages) -> GradeResult:
    _ = _tr(prepared)
    r = stand_in(prepared, submission, student, "failed", _("the table loads"),
                 _("Your table could not be read, so nothing else was graded:") + "\n" + "\n".join(messages),
                 False, "does-not-load", _("your table does not load"), messages)
    r.submission_sha256 = digest
    return r


def planned_tests(prepared: Prepared) -> list[tuple[str, str, float, str, str | None]]:
    """Each test a result lists: (name, kind, points, visibility, configuration)."""
    a = prepared.assignment
    if a.kind == "questions":
        return [(q.name, "question", q.points, q.visibility, q.configuration) for q in a.questions]
    return [(name, t.kind if t.kind != "properties" else "property", points, t.visibility, t.configuration)
            for t, name, points, _ in _expanded(prepared, a.tests)]


def stand_in(prepared: Prepared, submission: str, student: str, status: str, headline: str, message: str,
             gradable: bool, reason: str, short: str, messages: list[str] | None = None) -> GradeResult:
    """A result for a submission that was not (or could not be) graded: a
    first test ``headline`` saying why, and every planned test ``status`` with
    no points.  ``reason`` (a short code) goes into that first test's details."""
    _ = _tr(prepared)
    tests = [TestResult("0", headline, "loads", 0, 0, "failed" if not gradable else status, "visible",
                        message, details={"reason": reason})]
    for n, (name, kind, points, visibility, cfg) in enumerate(planned_tests(prepared), 1):
        tests.append(TestResult(str(n), name, kind, points, 0, status, visibility,
                                _("not graded: {why} (see '{test}')").format(why=short, test=headline), cfg))
    return _result(prepared, submission, student, gradable,
                   messages if messages is not None else ([message] if not gradable else []), tests)


def _expanded(prepared: Prepared, tests: list[Test]) -> list[tuple[Test, str, float, str | None]]:
    """Each graded test: (entry, name, points, property name or None)."""
    _ = _tr(prepared)
    out = []
    for t in tests:
        if t.kind == "rows":
            out.append((t, t.name or _("the table, cell by cell"), t.points, None))
        elif t.kind == "behaviour":
            out.append((t, t.name or _("behaviour in configuration '{configuration}'").format(
                configuration=t.configuration), t.points, None))
        elif t.kind == "prove":
            names = [o["name"] for o in prepared.reference_proofs()]
            for name in names:
                label = f"{t.name}: " if t.name else _("proof: ")
                out.append((t, f"{label}{_(name, 'obligation')}", t.points / len(names), name))
        else:
            names = t.properties
            if names is None:
                verdicts = prepared.reference_verdicts(t.configuration)
                names = tuple(p.name for p in PROPERTIES if verdicts.get(p.name) == "holds")
            share = t.points / len(names) if names else 0
            for name in names:
                label = f"{t.name}: " if t.name else ""
                out.append((t, label + _("'{property}' in configuration '{configuration}'").format(
                    property=property_name(name, _.lang), configuration=t.configuration), share, name))
    return out


def grade_table(prepared: Prepared, table, submission: str = "", student: str = "") -> GradeResult:
    """Grade a loaded rule table against the assignment."""
    a = prepared.assignment
    _ = _tr(prepared)
    messages = []
    missing = getattr(table, "missing", ())
    if len(missing) == len(table.rules):
        # a partial table of fillers alone (an empty file, or comments only) would earn the points of
        # the properties that hold when nothing ever happens: it is an upload gone wrong, not an answer
        return _not_gradable(prepared, submission, student, "", [_(
            "{file}: the table has no rows (the file is empty, or holds only comments and blank lines): "
            "upload the file with your rows").format(file=submission)])
    if missing:
        cells = ", ".join(f"{table.rules[i].state} / {table.rules[i].event}" for i in missing)
        messages.append(_("{file}: {n} cell(s) have no row and are marked wrong (graded as if the segment were "
                          "ignored): {cells}").format(file=submission, n=len(missing), cells=cells))
    tests = [TestResult("0", _("the table loads"), "loads", 0, 0, "passed", "visible",
                        _("Your table loads.") + (f"\n{messages[0]}" if messages else ""))]
    checks: dict = {}  # configuration -> the submission's check (or the exception it ended in), run once
    fired: set[int] = set()  # the submission's rules that fired in the behaviour searches
    graded = list(enumerate(_expanded(prepared, a.tests), 1))
    results: dict[int, TestResult] = {}
    # the rows tests last: a cell counts as exercised when the submission's own row fired
    for n, (t, name, points, prop) in sorted(graded, key=lambda g: g[1][0].kind == "rows"):
        try:
            # the proofs of a table run once, for all its obligations: a budget of seconds each
            budget = a.seconds * (len(prepared.reference_proofs()) if t.kind == "prove" else 1)
            with _time_budget(budget):
                if t.kind == "rows":
                    res = _rows(prepared, table, t, points, fired)
                elif t.kind == "behaviour":
                    res = _behaviour(prepared, table, t, points, fired)
                elif t.kind == "prove":
                    res = _proof(prepared, table, t, points, prop, checks)
                else:
                    res = _property(prepared, table, t, points, prop, checks)
        except (TestTimeout, BudgetExceeded) as exc:
            what = (_("the state budget ({n} states)").format(n=f"{a.max_states:,}")
                    if isinstance(exc, BudgetExceeded) and str(exc) == "states"
                    else _("the time budget ({seconds} s)").format(seconds=f"{a.seconds:g}"))
            res = TestResult("", "", t.kind, points, 0, "unknown",
                             output=_("unknown: this test needed more than {what}; it earns no points. "
                                      "Tell your instructor.").format(what=what))
        except Exception as exc:  # noqa: BLE001 - a result is always written
            res = TestResult("", "", t.kind, points, 0, "error",
                             output=_("the grader failed on this test ({error}); it earns no points. Tell your "
                                      "instructor.").format(error=f"{type(exc).__name__}: {exc}"))
        res.number, res.name, res.visibility = str(n), name, t.visibility
        res.configuration = t.configuration
        results[n] = res
    tests.extend(results[n] for n, _ in graded)
    return _result(prepared, submission, student, True, messages, tests)


# --- the layers ------------------------------------------------------------------

def _floor(x: float, digits: int) -> float:
    """``x`` rounded down to ``digits`` decimals (a hair of float error forgiven)."""
    scale = 10 ** digits
    return math.floor(x * scale + 1e-9) / scale


def _status(score: float, points: float) -> str:
    return "passed" if score >= points - 1e-9 else "failed"


def _rows(prepared: Prepared, table, t: Test, points: float, fired: set[int]) -> TestResult:
    _ = _tr(prepared)
    cells = compare_cells(prepared.assignment.reference, table)
    ref_rules = prepared.assignment.reference.rules
    exercised_cells = ({(ref_rules[i].state, ref_rules[i].event) for i in prepared.exercised()}
                       | {(table.rules[i].state, table.rules[i].event) for i in fired})
    right = sum(c.right for c in cells)
    score = points * right / len(cells) if cells else points
    wrong = [c for c in cells if not c.right]
    lines = []
    if t.feedback != "pass-fail":
        lines.append(_("{right} of {n} cells are right ({percent}%).").format(
            right=right, n=len(cells), percent=f"{100 * right / len(cells):.0f}"))
    details: dict = {"cells": len(cells), "right": right}
    expected = []
    if t.feedback in ("run", "expected") and wrong:
        lines.append(_("Cells that differ from the reference (state / event: your row):"))
        listed = []
        for c in wrong:
            only = "" if (c.state, c.event) in exercised_cells else "  " + _(
                "[checked by row only: no configuration exercises it]")
            where = ", ".join(c.where) if c.where else _("no row")
            what = {"missing": _("your table has no row for it"),
                    "extra": _("your table has a row the reference has not"),
                    "differs": _("yours: {row}").format(row=c.yours)}[c.status]
            lines.append(f"  {c.describe()} ({where}): {what}{only}")
            listed.append({"state": c.state, "event": c.event, "status": c.status, "where": list(c.where),
                           "yours": c.yours, "by_row_only": bool(only)})
            expected.append(f"  {c.describe()}: " + (_("the reference has no row for it") if c.status == "extra"
                                                     else _("the reference does {row}").format(row=c.expected)))
        details["wrong"] = listed
    elif t.feedback == "test" and wrong:
        details["wrong"] = len(wrong)
    return TestResult("", "", "rows", points, score, _status(score, points), output="\n".join(lines),
                      details=details,
                      expected=(_("The reference's cells:") + "\n" + "\n".join(expected))
                      if t.feedback == "expected" else "")


def _describe_effect(who: str, step, after, _) -> str:
    sent = ", ".join(describe_segment(q) for q in step.sent) or _("nothing")
    return _("{who} ends in {state} and sends {sent}").format(who=who, state=getattr(after, who).state, sent=sent)


def _rows_named(table, step, reference, _) -> list[str]:
    """The submission's rows that made a step, those that differ from the reference's first."""
    rules = [table.rules[i] for i in step.rules]
    differing = []
    for r in rules:
        ref = reference.lookup(r.state, r.event, r.qualifier == "passive")
        if ref is None or (ref.actions, ref.to) != (r.actions, r.to) or r.id in getattr(table, "missing", ()):
            differing.append(r)
    return [_row_text(table, r, _) for r in (differing or rules)]


def _row_text(table, r, _) -> str:
    """A submission's row as feedback names it: file:line and the rule, or the blank it fills."""
    if r.id in getattr(table, "missing", ()):
        return _("no row for '{event}' in {state} (a blank: graded as ignoring the segment)").format(
            event=r.event, state=r.state)
    return f"{r.where}: {r.describe()}"


def _cause_text(cause: tuple, _) -> str:
    if cause[1] in ("call", "timer"):
        return _("{actor}: {event}", "trace").format(actor=cause[0], event=_(cause[2], "event"))
    if cause[1] == "rcv":
        return _("{actor} receives {segment}").format(actor=cause[0], segment=describe_segment(cause[2]))
    if cause[1] == "lose":
        return _("the network loses {segment} ({direction})").format(segment=describe_segment(cause[3]),
                                                                      direction=cause[2])
    return _("the network duplicates {segment} ({direction})").format(segment=describe_segment(cause[3]),
                                                                       direction=cause[2])


def _behaviour(prepared: Prepared, table, t: Test, points: float, fired: set[int]) -> TestResult:
    a = prepared.assignment
    _ = _tr(prepared)
    cfg = a.configurations[t.configuration]
    n = prepared.reference_states(t.configuration)
    c = compare(Model(cfg, a.reference), Model(cfg, table), prepared.reference_transitions(t.configuration),
                max_pairs=a.max_states, deadline=time.monotonic() + a.seconds)
    fired.update(c.fired)
    d = c.difference
    details: dict = {"agreement": _floor(c.agreement, 4), "reference_states": n,
                     "reference_transitions": c.reference_transitions, "agreeing_transitions": c.agreed,
                     "extra_transitions": c.extra, "complete": c.complete}
    if d is None:
        return TestResult("", "", "behaviour", points, points, "passed",
                          output="" if t.feedback == "pass-fail" else
                          _("No run of configuration '{configuration}' tells your table from the reference "
                            "({n} states).").format(configuration=t.configuration, n=f"{n:,}"), details=details)
    # rounded down, so that a difference is never shown as full agreement or full points
    score = _floor(points * c.agreement, 2) if c.complete else 0.0
    lines = []
    if t.feedback != "pass-fail":
        facts = {"configuration": t.configuration, "agreement": f"{_floor(100 * c.agreement, 1):.1f}",
                 "agreed": f"{c.agreed:,}", "steps": f"{c.reference_transitions:,}", "n": f"{n:,}",
                 "extra": f"{c.extra:,}", "length": len(d.path)}
        lines.append((_("Your table behaves differently in configuration '{configuration}': agreement {agreement}%. "
                        "It takes {agreed} of the reference's {steps} steps (from {n} states) the same way and "
                        "never differently, and has {extra} step(s) the reference cannot take; the shortest run "
                        "that shows a difference has {length} steps.") if c.extra else
                      _("Your table behaves differently in configuration '{configuration}': agreement {agreement}%. "
                        "It takes {agreed} of the reference's {steps} steps (from {n} states) the same way and "
                        "never differently; the shortest run that shows a difference has {length} steps."))
                     .format(**facts))
    run = None
    expected = ""
    if t.feedback in ("run", "expected"):
        path = d.path + ([d.yours] if d.yours is not None else [])
        run = trace_json(path, table)
        k = len(d.path)
        who = d.cause[0]
        if d.kind == "differs":
            step, after = d.yours
            rows = _rows_named(table, step, a.reference, _)
            lines.append(_("Step {k}: {cause}: with your table {effect}; the reference does otherwise. Your "
                           "row(s): {rows}").format(k=k, cause=_cause_text(d.cause, _),
                                                    effect=_describe_effect(who, step, after, _),
                                                    rows="; ".join(rows)))
            details["rows"] = rows
        elif d.kind == "missing":
            state = getattr(d.path[-1][1], who).state if who != "network" else ""
            lines.append(_("Step {k}: {cause} cannot happen with your table in {state}: it has no row for it, and "
                           "the reference has one.").format(k=k, cause=_cause_text(d.cause, _), state=state))
        else:
            step, after = d.yours
            rows = _rows_named(table, step, a.reference, _)
            lines.append(_("Step {k}: {cause} happens with your table ({rows}), but cannot happen with the "
                           "reference here.").format(k=k, cause=_cause_text(d.cause, _), rows="; ".join(rows)))
            details["rows"] = rows
        lines.append(_("The shortest run that tells them apart, on your table:"))
        lines.extend(trace_lines(path, table, a.lang))
        details["step"] = k
        if d.expected is not None:
            step, after = d.expected
            ref_rows = [f"{a.reference.rules[i].where}: {a.reference.rules[i].describe()}" for i in step.rules]
            expected = _("Step {k} with the reference: {effect} ({rows}).").format(
                k=k, effect=_describe_effect(who, step, after, _), rows="; ".join(ref_rows))
        else:
            expected = _("Step {k} cannot happen with the reference.").format(k=k)
    if not c.complete:
        lines.append(_("The search stopped at the state budget, so this test earns no points."))
    return TestResult("", "", "behaviour", points, score, "failed" if c.complete else "unknown",
                      output="\n".join(lines), details=details, run=run,
                      expected=expected if t.feedback == "expected" else "")


def _submission_check(prepared: Prepared, table, name: str, checks: dict):
    """The submission's check in configuration ``name`` of every property some
    test grades there, run once; a budget it ran out of is raised again."""
    if name not in checks:
        a = prepared.assignment
        wanted = {prop for t, _, _, prop in _expanded(prepared, a.tests) if t.configuration == name and prop}
        try:
            checks[name] = check(a.configurations[name], table, max_states=a.max_states,
                                 properties=tuple(p for p in PROPERTIES if p.name in wanted))
        except TestTimeout as exc:
            checks[name] = exc
    if isinstance(checks[name], Exception):
        raise checks[name]
    return checks[name]


def _property(prepared: Prepared, table, t: Test, points: float, name: str, checks: dict) -> TestResult:
    a = prepared.assignment
    _ = _tr(prepared)
    said = property_name(name, a.lang)
    ref = prepared.reference_verdicts(t.configuration)[name]
    if ref != "holds":
        return TestResult("", "", "property", points, points, "passed",
                          output="" if t.feedback == "pass-fail" else
                          _("The reference table itself violates '{property}' in this configuration, so it is "
                            "not held against you.").format(property=said), details={"reference": ref})
    prop = next(p for p in PROPERTIES if p.name == name)
    r = _submission_check(prepared, table, t.configuration, checks)
    v = next(v for v in r.verdicts if v.name == name)
    details = {"verdict": v.verdict, "reference": ref}
    if v.verdict == "holds":
        return TestResult("", "", "property", points, points, "passed",
                          output="" if t.feedback == "pass-fail" else
                          _("'{property}' holds on your table.").format(property=said),
                          details=details)
    if v.verdict == "unknown":
        return TestResult("", "", "property", points, 0, "unknown",
                          output=_("unknown: the check of '{property}' did not finish within the state budget "
                                   "({n} states); it earns no points.").format(property=said, n=f"{a.max_states:,}"),
                          details=details)
    lines = [] if t.feedback == "pass-fail" else [
        _("'{property}' is violated on your table: {why}.").format(property=said, why=say(v.detail, a.lang))]
    if t.feedback == "test":
        lines.append(_("It says: {statement}").format(statement=_statement(prop, _)))
    run = None
    if t.feedback in ("run", "expected"):
        path = path_of(r.exploration, v)
        if path:
            run = trace_json(path, table)
            details.update(_chart_marks(r.exploration, v, path))
            lines.append(_("The shortest run that shows it, on your table:"))
            lines.extend(trace_lines(path, table, a.lang))
            fired = sorted({i for step, _s in path[1:] for i in step.rules})
            rows = _rows_differing(table, a.reference, fired, _)
            if rows:
                lines.append(_("Rows of yours on this run that differ from the reference: {rows}").format(
                    rows="; ".join(rows)))
                details["rows"] = rows
    return TestResult("", "", "property", points, 0, "failed", output="\n".join(lines), details=details, run=run)


#: The statement of each reachability property, one per state (the others' statements are their own).
_REACHES = N_("Some endpoint reaches {state}.", "statement")


def _statement(prop, _) -> str:
    """A property's statement in the language of ``_``."""
    if prop.kind == "reachability":
        return _(_REACHES, "statement").format(state=prop.name.removesuffix(" is reachable"))
    return _(prop.statement, "statement")


def _chart_marks(x, v, path) -> dict:
    """How a chart of the run of verdict ``v`` ends, as ``diagram trace`` draws it:
    ``cycle_from``, the step after which a lasso's steps repeat for ever, or
    ``stuck``, a run that waits for ever where it ends (a deadlock)."""
    if v.lasso is not None and v.lasso.cycle:
        return {"cycle_from": len(v.lasso.stem) - 1}
    ids = run_of(x, v)
    if ids and ids[-1] in set(x.terminal) and not acceptable_end(path[-1][1]):
        return {"stuck": True}
    return {}


def _proof(prepared: Prepared, table, t: Test, points: float, name: str, checks: dict) -> TestResult:
    """One z3 obligation on the submission, against the reference's verdict."""
    _ = _tr(prepared)
    said = _(name, "obligation")
    ref = next(o for o in prepared.reference_proofs() if o["name"] == name)
    if ref["verdict"] != "proved":
        return TestResult("", "", "prove", points, points, "passed",
                          output="" if t.feedback == "pass-fail" else
                          _("The reference table itself is not proved to satisfy '{obligation}' ({verdict}), so "
                            "it is not held against you.").format(obligation=said,
                                                                  verdict=_(ref["verdict"], "proof")),
                          details={"reference": ref["verdict"]})
    if "prove" not in checks:
        try:
            checks["prove"] = {o["name"]: o for o in prove(table, lang=prepared.assignment.lang)}
        except TestTimeout as exc:
            checks["prove"] = exc
    if isinstance(checks["prove"], Exception):
        raise checks["prove"]
    o = checks["prove"][name]
    details = {"verdict": o["verdict"], "reference": ref["verdict"]}
    if o["verdict"] == "proved":
        return TestResult("", "", "prove", points, points, "passed",
                          output="" if t.feedback == "pass-fail" else
                          _("Proved on your table: {statement}").format(statement=_(o["statement"], "obligation")),
                          details=details)
    if o["verdict"] != "refuted":
        return TestResult("", "", "prove", points, 0, "unknown",
                          output=_("unknown: z3 could not decide '{obligation}' on your table ({reason}); it earns "
                                   "no points.").format(obligation=said, reason=o["reason"] or _("timeout")),
                          details=details)
    lines = [] if t.feedback == "pass-fail" else [
        _("Refuted on your table: {statement}").format(statement=_(o["statement"], "obligation"))]
    if t.feedback in ("run", "expected"):
        lines.append(_("z3's counterexample, one step of your table (X is the endpoint that moves, Y its peer):"))
        lines.extend(f"  {x}" for x in o["counterexample"])
        details["counterexample"] = o["counterexample"]
    return TestResult("", "", "prove", points, 0, "failed", output="\n".join(lines), details=details)


def _rows_differing(table, reference, ids, _) -> list[str]:
    out = []
    for i in ids:
        r = table.rules[i]
        ref = reference.lookup(r.state, r.event, r.qualifier == "passive")
        if ref is None or (ref.actions, ref.to) != (r.actions, r.to) or i in getattr(table, "missing", ()):
            out.append(_row_text(table, r, _))
    return out


# --- questions -------------------------------------------------------------------

def _grade_answers(prepared: Prepared, p: Path, student: str, digest: str) -> GradeResult:
    from .questions import grade_answers, load_answers

    a = prepared.assignment
    _ = _tr(prepared)
    try:
        answers = load_answers(p, a.questions)
    except InputError as exc:
        messages = list(getattr(exc, "errors", None) or str(exc).splitlines())
        r = stand_in(prepared, str(p), student, "failed", _("the answer file loads"),
                     _("Your answer file could not be read, so nothing was graded:") + "\n" + "\n".join(messages),
                     False, "does-not-load", _("your answer file does not load"), messages)
        r.submission_sha256 = digest
        return r
    warnings = list(answers.warnings)
    tests = [TestResult("0", _("the answer file loads"), "loads", 0, 0, "passed", "visible",
                        "\n".join([_("Your answer file loads."), *warnings]))]
    tests += grade_answers(a.questions, answers, a.feedback, first_number=1, lang=a.lang)
    r = _result(prepared, str(p), student, True, warnings, tests)
    r.submission_sha256 = digest
    return r
