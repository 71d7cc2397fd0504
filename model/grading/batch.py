"""Grading a class: every submission of a folder, a result for each, a summary.

    tcpcheck grade --assignment A.toml SUBMISSIONS/ --out OUT/ [--jobs N]

The folder holds one file per student (``alice.rules``: the student's id is
the file's stem) or one sub-folder per student (``alice/tcp.rules``: the id
is the folder's name; the file is the one the assignment names as its
``submission``, else the folder's only file).  Hidden files and folders, and
the output folder if it lies inside, are skipped.  A student folder with no
file or with several, none of them the named one, gets a "not gradable"
result that says so.

The reference's side of every test is computed once (:meth:`Prepared.warm`)
before ``jobs`` worker processes are forked: each inherits it, so the
reference is explored once for the whole class.  A worker grades one
submission at a time.  Each submission has a wall-clock budget,
:func:`submission_budget`: the assignment's per-test ``seconds`` times the
number of its ``[[tests]]`` entries, plus :data:`SLACK_SECONDS` for reading
the table and writing the feedback.  (Each entry runs its search at most once
under the per-test budget: a ``properties`` entry checks its configuration
once for all of its properties.)  A worker that runs past it is killed and
the student's result says the grading timed out (status ``unknown``); a worker
that dies gives a result with status ``error``.  A new worker is forked for
the remaining submissions.  A result is always written for every student.

Written to OUT: ``<id>.json`` (the ``json`` format) and ``<id>.html`` (the
``html`` format when there is one, else ``<id>.txt``, the ``text`` format)
for each student, then ``summary.csv`` and ``summary.html``
(:mod:`.summary`).  A student whose id is ``summary`` has its files called
``student-summary.*``.  Results are in the order of the ids whatever
``jobs`` is, and nothing written depends on the clock or on the number of
workers: the same folder gives the same bytes.

Everything written, and the lines printed on stderr, speak the assignment's
``lang`` (``grade --lang`` over it): the students' pages, the results the
grader gives in place of a worker's, and the summary; errors stay English.

Exit codes: 0 when every submission was graded (whatever the scores); 1 when
any was not gradable, timed out, or has a test the grader could not finish
(status ``error`` or ``unknown``); bad usage (no such folder, an empty one)
raises :class:`~tcpcheck.model.errors.InputError` (exit 2).
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

from ..errors import InputError, output_folder
from ..i18n import translator
from . import formats
from .grade import Prepared, grade_file, stand_in
from .results import GradeResult
from .summary import write_summary

__all__ = ["grade_folder", "discover", "Submission", "submission_budget", "SLACK_SECONDS"]

#: Seconds added to a submission's budget for loading it and writing its feedback.
SLACK_SECONDS = 10.0


@dataclass(frozen=True)
class Submission:
    """One student's submission as found in the folder."""

    student: str  # the id
    path: Path | None  # the file to grade; None when there is none to pick
    problem: str = ""  # why there is no file (a student folder with none, or several)
    stem: str = ""  # the name of the student's output files (without suffix)
    source: Path | None = None  # the file, or the student's folder


def submission_budget(prepared: Prepared) -> float:
    """The wall-clock seconds one submission may take in a worker."""
    a = prepared.assignment
    entries = len(a.tests) if a.kind != "questions" else len(a.questions)
    return a.seconds * max(1, entries) + SLACK_SECONDS


# --- finding the submissions -----------------------------------------------------

def _visible(p: Path) -> bool:
    return not p.name.startswith(".")


def _pick(folder: Path, name: str, lang: str = "en") -> tuple[Path | None, str]:
    """A student folder's submission: the file called ``name``, else its only
    file; else None and why (said to the student, in ``lang``)."""
    _ = translator(lang)
    if (folder / name).is_file():
        return folder / name, ""
    files = sorted((p for p in folder.iterdir() if _visible(p) and p.is_file()), key=lambda p: p.name)
    if len(files) == 1:
        return files[0], ""
    if not files:
        return None, _("{folder}: no submission: the folder holds no file (expected {name})").format(
            folder=folder, name=name)
    return None, _("{folder}: no file called {name} and {n} other files ({files}), so none was picked").format(
        folder=folder, name=name, n=len(files), files=", ".join(p.name for p in files))


def discover(folder: Path, submission_name: str, skip: Path | None = None, lang: str = "en") -> list[Submission]:
    """Every student's submission in ``folder``, sorted by id (see the module's
    docstring for the two layouts; both may be mixed); why a student folder
    has none is said in ``lang``."""
    if not folder.exists():
        raise InputError(f"{folder}: no such folder of submissions")
    if not folder.is_dir():
        raise InputError(f"{folder}: is a file, not a folder of submissions (to grade one submission, "
                         f"leave out --out)")
    skip_resolved = skip.resolve() if skip is not None else None
    try:
        entries = sorted((p for p in folder.iterdir() if _visible(p)), key=lambda p: p.name)
    except OSError as exc:
        raise InputError(f"{folder}: cannot list the folder: {exc.strerror}") from None
    found: list[tuple[str, Path, bool]] = []  # (id, path, is a student folder)
    for p in entries:
        if skip_resolved is not None and p.resolve() == skip_resolved:
            continue
        if p.is_dir():
            found.append((p.name, p, True))
        elif p.is_file():
            found.append((p.stem, p, False))
    if not found:
        raise InputError(f"{folder}: holds no submissions (no files, no student folders)")
    counts: dict[str, int] = {}
    for sid, _, _ in found:
        counts[sid] = counts.get(sid, 0) + 1
    out = []
    for sid, p, is_dir in found:
        if counts[sid] > 1 and not is_dir:
            sid = p.name  # alice.rules and alice.txt: each keeps its whole name
        if is_dir:
            path, problem = _pick(p, submission_name, lang)
        else:
            path, problem = p, ""
        out.append(Submission(sid, path, problem, source=p))
    out.sort(key=lambda s: s.student)
    stems: set[str] = set()
    final = []
    for s in out:
        stem = s.student if s.student.lower() != "summary" else "student-summary"
        while stem.lower() in stems:
            stem += "_"
        stems.add(stem.lower())
        final.append(Submission(s.student, s.path, s.problem, stem, s.source))
    return final


# --- results the workers could not give ------------------------------------------

def _stand_in(prepared: Prepared, sub: Submission, status: str, headline: str, message: str,
              gradable: bool, why: str, short: str) -> GradeResult:
    """A result for a submission no worker graded: every test ``status``, no points."""
    where = str(sub.path if sub.path is not None else sub.source)
    return stand_in(prepared, where, sub.student, status, headline, message, gradable, why, short)


def _no_file(prepared: Prepared, sub: Submission) -> GradeResult:
    _ = translator(prepared.assignment.lang)
    return _stand_in(prepared, sub, "failed", _("the submission is there"),
                     _("Nothing could be graded: {problem}").format(problem=sub.problem), False, "no-file",
                     _("no submission was found"))


def _timed_out(prepared: Prepared, sub: Submission, budget: float) -> GradeResult:
    _ = translator(prepared.assignment.lang)
    return _stand_in(prepared, sub, "unknown", _("grading finished"),
                     _("Grading this submission took longer than its budget of {seconds} s and was stopped, so it "
                       "earns no points yet. Tell your instructor.").format(seconds=f"{budget:g}"), True, "timeout",
                     _("grading ran out of time"))


def _died(prepared: Prepared, sub: Submission, why: str) -> GradeResult:
    _ = translator(prepared.assignment.lang)
    return _stand_in(prepared, sub, "error", _("grading finished"),
                     _("The grader failed on this submission ({error}), so it earns no points yet. Tell "
                       "your instructor.").format(error=why), True, "error", _("the grader failed"))


def needs_attention(result: GradeResult) -> bool:
    """Not gradable, or a test the grader did not finish (error or unknown)."""
    return not result.gradable or any(t.status in ("error", "unknown") for t in result.tests)


# --- the workers -----------------------------------------------------------------

def _grade_one(prepared: Prepared, path: Path, student: str) -> GradeResult:
    """Grade one submission in a worker (looked up at call time, so a test can
    replace it before the workers are forked)."""
    return grade_file(prepared, path, student)


def _worker(conn, prepared: Prepared) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and kills the workers
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path, student = task
        try:
            result = _grade_one(prepared, path, student)
            conn.send((index, result, ""))
        except Exception as exc:  # noqa: BLE001 - the parent writes a result saying so
            conn.send((index, None, f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx, prepared: Prepared):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker, args=(child, prepared), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _run(prepared: Prepared, subs: list[Submission], jobs: int, budget: float, done) -> None:
    """Grade ``subs`` (those with a file) in ``jobs`` workers; ``done(i, result)`` for each."""
    ctx = multiprocessing.get_context("fork")
    todo = list(range(len(subs)))
    todo.reverse()  # pop() takes them in order
    workers: list[_Worker] = []
    try:
        while todo or any(w.task is not None for w in workers):
            idle = [w for w in workers if w.task is None]
            while todo and (idle or len(workers) < jobs):
                w = idle.pop() if idle else None
                if w is None:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    w = _Worker(ctx, prepared)
                    workers.append(w)
                i = todo.pop()
                w.task, w.deadline = i, time.monotonic() + budget
                w.conn.send((i, subs[i].path, subs[i].student))
            busy = [w for w in workers if w.task is not None]
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
            for w in busy:
                i = w.task
                if w.conn.poll() or w.process.sentinel in ready:
                    try:
                        got = w.conn.recv() if w.conn.poll() else None
                    except (EOFError, OSError):
                        got = None
                    if got is not None:
                        _, result, failure = got
                        w.task = None
                        done(i, result if result is not None else _died(prepared, subs[i], failure))
                        continue
                    w.kill()
                    workers.remove(w)
                    code = w.process.exitcode
                    _ = translator(prepared.assignment.lang)
                    why = (_("its worker process was killed by signal {signal}").format(signal=-code)
                           if code is not None and code < 0 else
                           _("its worker process exited with code {code}").format(code=code))
                    done(i, _died(prepared, subs[i], why))
                elif time.monotonic() >= w.deadline:
                    w.kill()
                    workers.remove(w)
                    done(i, _timed_out(prepared, subs[i], budget))
    finally:
        for w in workers:
            if w.task is None:
                w.stop()
            else:
                w.kill()


# --- the class -------------------------------------------------------------------

def _page_format() -> tuple[str, str]:
    return ("html", ".html") if "html" in formats.FORMATS else ("text", ".txt")


def _page(result: GradeResult, fmt: str, after_due_date: bool) -> str:
    """The student's page; should its format fail, the text format (in a page when it is HTML)."""
    try:
        return formats.render(result, fmt, after_due_date)
    except Exception as exc:  # noqa: BLE001 - a result is always written
        text = formats.render(result, "text", after_due_date)
        if fmt != "html":
            return text
        from html import escape
        _ = translator(result.lang)
        failed = _("(the {format} format failed: {error}; the text result follows)").format(
            format=fmt, error=type(exc).__name__)
        return (f'<!DOCTYPE html>\n<html lang="{escape(result.lang)}"><head><meta charset="utf-8"><title>'
                f'{escape(result.student)}</title></head><body><p>{escape(failed)}</p><pre>{escape(text)}</pre>'
                f'</body></html>\n')


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def grade_folder(assignment, folder: Path, out: Path, jobs: int = 1, after_due_date: bool = False) -> int:
    """Grade every submission in ``folder`` into ``out``; the exit code (see the module)."""
    folder, out = Path(folder), Path(out)
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    _ = translator(assignment.lang)
    subs = discover(folder, assignment.submission, skip=out, lang=assignment.lang)
    output_folder(out, "the results")
    started = time.monotonic()
    prepared = Prepared(assignment).warm()
    budget = submission_budget(prepared)
    page_fmt, page_suffix = _page_format()
    results: list[GradeResult | None] = [None] * len(subs)
    tty = sys.stderr.isatty()
    count = 0

    def done(i: int, result: GradeResult) -> None:
        nonlocal count
        sub = subs[i]
        result.student = sub.student
        results[i] = result
        _write(out / f"{sub.stem}.json", formats.render(result, "json", after_due_date))
        _write(out / f"{sub.stem}{page_suffix}", _page(result, page_fmt, after_due_date))
        count += 1
        if tty:
            by_workers = count - no_file
            if by_workers > 0:  # the rate of the workers, since they started
                eta = (time.monotonic() - workers_started) / by_workers * (len(subs) - count)
                when = _(", ETA {eta}").format(eta=_duration(eta))
            else:
                when = ""
            print("\r\x1b[K" + _("graded {n} of {total} ({student})").format(n=count, total=len(subs),
                                                                             student=sub.student) + when,
                  end="", file=sys.stderr, flush=True)

    no_file = 0
    workers_started = time.monotonic()
    for i, sub in enumerate(subs):
        if sub.path is None:
            no_file += 1
            done(i, _no_file(prepared, sub))
    workers_started = time.monotonic()
    graded = [i for i, s in enumerate(subs) if s.path is not None]
    if graded:
        mapping = [subs[i] for i in graded]
        _run(prepared, mapping, min(jobs, len(mapping)), budget, lambda k, r: done(graded[k], r))
    if tty:
        print("\r\x1b[K", end="", file=sys.stderr)
    final = [r for r in results if r is not None]
    assert len(final) == len(subs)
    write_summary(final, out, {s.student: f"{s.stem}{page_suffix}" for s in subs},
                  {s.student: f"{s.stem}.json" for s in subs}, assignment.lang)
    bad = sum(needs_attention(r) for r in final)
    not_gradable = sum(not r.gradable for r in final)
    print("tcpcheck grade: " + _("{n} submission(s) in {seconds} s with {workers} worker(s): {graded} graded, "
                                 "{not_gradable} not gradable, {unfinished} not finished; wrote {file}").format(
        n=len(final), seconds=f"{time.monotonic() - started:.1f}", workers=min(jobs, max(1, len(graded))),
        graded=len(final) - bad, not_gradable=not_gradable, unfinished=bad - not_gradable,
        file=out / "summary.html"), file=sys.stderr)
    return 1 if bad else 0
