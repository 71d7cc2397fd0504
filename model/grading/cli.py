"""``tcpcheck grade``: grade a submission, a class, or set an assignment up.

    tcpcheck grade --assignment A.toml SUBMISSION [--format F] [-o FILE] [--after-due-date]
    tcpcheck grade --assignment A.toml DIR --out OUT [--jobs N]
    tcpcheck grade --init KIND [-o FILE]
    tcpcheck grade --assignment A.toml --seed STUDENT [-o FILE]
    tcpcheck grade --package gradescope|prairielearn --assignment A.toml -o DIR

Plugged into the main command line through the ``tcpcheck.commands`` entry
point.  Exit codes: 0 graded with full marks; 1 graded with less (or the
submission is not gradable); 2 bad assignment or usage; 3 internal error.  A
results file asked for with ``-o`` is written in every case but 2.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import textwrap
from pathlib import Path

from ..errors import InputError, write_output
from ..i18n import LANGS, translator
from .assignment import load_assignment
from .formats import FORMATS, render

__all__ = ["register"]

EXAMPLES = Path(__file__).with_name("examples")
INIT_KINDS = {
    "write": "write the whole table from scratch (the reference is private)",
    "complete": "complete a table with blanks (partial = true: missing cells are marked wrong)",
    "fix": "fix a broken table, seeded per student from the named variants (--seed)",
    "questions": "answer questions the model settles (a small TOML answer file)",
}


class GradeUsageError(InputError):
    """A grade command given the wrong combination of options."""


def _write(text: str, output: str | None) -> None:
    if output:
        write_output(output, text, "the result", GradeUsageError)
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_grade(args) -> int:
    if args.output == "-" and not args.package:  # the usual name of standard output, not a file called "-"
        args.output = None
    if args.bench:
        from .bench import bench
        return bench(args.assignment, count=args.count, jobs=args.jobs if args.jobs != 1 else 2)
    if args.init:
        return _init(args)
    if not args.assignment:
        raise GradeUsageError("give --assignment A.toml (or --init KIND to write an example assignment)")
    assignment = load_assignment(args.assignment)
    if args.lang is not None:  # over the assignment's lang key
        assignment.lang = args.lang
    if args.partial:
        assignment.partial = True
    if args.package:
        from .package import write_package
        return write_package(assignment, args.package, args.output)
    if args.seed is not None:
        return _seed(assignment, args)
    if args.prepare:
        from .grade import Prepared, cache_path
        prepared = Prepared(assignment).warm()
        where = cache_path(prepared._key())
        print(f"{assignment.path}: the reference's side is computed"
              + (f" and cached in {where}" if where is not None and where.is_file() else
                 " (no cache: TCPCHECK_CACHE=off, or the folder is not writable)"), file=sys.stderr)
        return 0
    if args.answer_key:
        if assignment.kind != "questions":
            raise GradeUsageError(f"{_where(assignment, 'kind')}: --answer-key is for a questions assignment "
                                  f"(this one is kind = \"{assignment.kind}\")")
        from .questions import answer_key
        _write(answer_key(assignment.questions), args.output)
        return 0
    if not args.submission:
        raise GradeUsageError("give the SUBMISSION to grade (a file, or a folder of them with --out OUT)")
    target = Path(args.submission)
    if args.out:
        from .batch import grade_folder
        return grade_folder(assignment, target, Path(args.out), jobs=args.jobs, after_due_date=args.after_due_date)
    if target.is_dir():
        target = _the_file_in(target, assignment.submission)
    from .grade import Prepared, grade_file, stand_in

    prepared = Prepared(assignment)
    fmt = args.format or _format_from(args.output)
    try:
        result = grade_file(prepared, target)
    except InputError:
        raise
    except Exception as exc:  # the grader's own failure: still write a result, then report it (exit 3)
        _ = translator(assignment.lang)
        result = stand_in(prepared, str(target), target.stem, "error", _("grading finished"),
                          _("The grader failed on this submission ({error}), so it earns no points yet. Tell "
                            "your instructor.").format(error=type(exc).__name__), True, "error",
                          _("the grader failed"))
        _write(render(result, fmt, args.after_due_date), args.output)
        raise
    _write(render(result, fmt, args.after_due_date), args.output)
    return 0 if result.gradable and result.score >= result.max_score - 1e-9 else 1


def _format_from(output: str | None) -> str:
    suffix = Path(output).suffix.lower() if output else ""
    return {".json": "json", ".xml": "junit", ".html": "html"}.get(suffix, "text")


def _the_file_in(folder: Path, name: str) -> Path:
    """One student's upload folder: the file called ``name``, else its only file."""
    if (folder / name).is_file():
        return folder / name
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if len(files) == 1:
        return files[0]
    raise GradeUsageError(f"{folder}: expected the submission '{name}' there"
                          + (f"; it holds {', '.join(p.name for p in files)}" if files else "; it is empty")
                          + " (to grade a class, give --out OUT)")


def _init(args) -> int:
    kind = args.init
    text = (EXAMPLES / f"{kind}.toml").read_text(encoding="utf-8")
    _write(text, args.output)
    if args.output and kind in ("write", "complete", "fix"):
        print("the example names reference = \"builtin:rfc9293\"; put your own private reference "
              "table beside it and name it there", file=sys.stderr)
    return 0


def _where(assignment, key: str) -> str:
    """``FILE:LINE`` of ``key`` in the assignment (of its first line when it is not written)."""
    from ..tomllines import TomlLines

    try:
        text = Path(assignment.path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):  # it was read a moment ago; name the file alone
        return str(assignment.path)
    return f"{assignment.path}:{TomlLines(text).line(key)}"


def _seed(assignment, args) -> int:
    """Write the broken table one student is to fix: a variant picked by the student's id."""
    from ..mutants import MUTANTS

    if not assignment.variants:
        raise GradeUsageError(f"{_where(assignment, 'variants')}: --seed needs variants = [\"...\"] in the assignment "
                              f"(names from 'tcpcheck mutants' that edit rows of the table)")
    pick = int(hashlib.sha256(args.seed.encode("utf-8")).hexdigest(), 16) % len(assignment.variants)
    name = assignment.variants[pick]
    text = Path(assignment.reference_path).read_text(encoding="utf-8")
    # the edited rows keep the reference's source column: a note saying which variant it is gives it away
    m = MUTANTS[name]
    m = m._replace(edits=tuple((old, _with_source_of(old, new)) for old, new in m.edits))
    try:
        broken = m.edited(text)
    except RuntimeError:
        raise GradeUsageError(f"{assignment.path}: variant '{name}' does not apply to the reference table "
                              f"{assignment.reference_path} (it edits rows of RFC 9293's table that this "
                              f"reference writes differently)") from None
    from ..table import parse_table
    from .cells import compare_cells
    wrong = sum(not c.right for c in compare_cells(assignment.reference, parse_table(broken, "seeded")))
    header = (f"# The table to fix, for {args.seed}: {wrong} cell{'s' if wrong != 1 else ''} of this table "
              f"{'are' if wrong != 1 else 'is'} wrong.\n"
              f"# Find {'them' if wrong != 1 else 'it'}, correct {'them' if wrong != 1 else 'it'}, and submit "
              f"this file as {assignment.submission}.\n")
    _write(header + broken, args.output)
    print(f"{args.seed}: variant {pick + 1} of {len(assignment.variants)} ({name})", file=sys.stderr)
    return 0


def _with_source_of(old: str, new: str) -> str:
    """Row ``new`` with the source column (the fifth) of row ``old``."""
    o, n = old.split("|"), new.split("|")
    return "|".join(n[:4] + o[4:]) if len(o) == 5 and len(n) == 5 else new


def register(sub) -> None:
    g = sub.add_parser(
        "grade", help="grade students' rule tables or answers against a reference (course assignments)",
        description=textwrap.fill("Grade a submission against an assignment: each cell of the student's table against "
                    "the reference's, the behaviour of the two tables explored together in each "
                    "configuration (the shortest run that tells them apart is the feedback), and the "
                    "verdicts of the properties. Results for Gradescope, PrairieLearn and JUnit, or a "
                    "class summary.", 78),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="kinds of assignment (--init KIND writes a commented example):\n"
               + "\n".join(f"  {k:<10} {v}" for k, v in INIT_KINDS.items()) + "\n\n"
               "examples:\n"
               "  tcpcheck grade --init write -o lab3.toml\n"
               "  tcpcheck grade --assignment lab3.toml alice.rules\n"
               "  tcpcheck grade --assignment lab3.toml alice.rules --format gradescope -o results.json\n"
               "  tcpcheck grade --assignment lab3.toml alice.rules --lang zh --format html -o alice.html\n"
               "  tcpcheck grade --assignment lab3.toml submissions/ --out graded/ --jobs 2\n"
               "  tcpcheck grade --assignment lab3.toml --seed alice -o alice.rules\n"
               "  tcpcheck grade --init questions -o lab2.toml && tcpcheck grade --assignment lab2.toml --answer-key\n"
               "  tcpcheck grade --package gradescope --assignment lab3.toml -o autograder/\n"
               "  tcpcheck grade --bench   (the speed targets, on the 'write' example)\n\n"
               "exit codes: 0 full marks, 1 fewer (or not gradable), 2 bad assignment or usage, "
               "3 internal error")
    g.add_argument("submission", nargs="?", metavar="SUBMISSION",
                   help="a student's .rules (or answers .toml) file, or a folder of them with --out")
    g.add_argument("--assignment", metavar="A.toml", help="the assignment file")
    g.add_argument("--format", choices=sorted(FORMATS), help="what to write (default: from -o's extension, else text)")
    g.add_argument("-o", "--output", metavar="FILE", help="write the result (or the --init/--seed/--package output) here")
    g.add_argument("--out", metavar="DIR", help="grade a folder: one result per student and a class summary here")
    g.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes for a folder (default: 1)")
    g.add_argument("--after-due-date", action="store_true",
                   help="also show what the reference does where the submission differs")
    g.add_argument("--lang", choices=LANGS, default=None,
                   help="language of the feedback: en, or zh for Chinese (test names, feedback lines, the "
                        "formats' own words; state names, segments and rules stay as the RFC writes them). "
                        "Default: the assignment's lang key, else en; not the locale of the machine that "
                        "grades, since the feedback is the students'")
    g.add_argument("--partial", action="store_true",
                   help="grade a table with missing cells, marking them wrong (as partial = true does)")
    g.add_argument("--bench", action="store_true",
                   help="benchmark grading: one submission cold and warm on one core, and a generated class "
                        "of --count submissions graded by --jobs workers (default 2), against a serial baseline")
    g.add_argument("--count", type=int, default=200, metavar="N",
                   help="with --bench: submissions in the generated class (default: 200)")
    g.add_argument("--init", choices=sorted(INIT_KINDS), metavar="KIND",
                   help=f"write a commented example assignment ({', '.join(INIT_KINDS)})")
    g.add_argument("--seed", metavar="STUDENT", help="write the broken table STUDENT is to fix (fix assignments)")
    g.add_argument("--prepare", action="store_true",
                   help="compute the reference's side of every test now and cache it (TCPCHECK_CACHE: a "
                        "folder, or 'off'; default ~/.cache/tcpcheck), so that each submission pays only for its own")
    g.add_argument("--answer-key", action="store_true",
                   help="write the answers the reference gives to a questions assignment (a correct answer file)")
    g.add_argument("--package", choices=("gradescope", "prairielearn"),
                   help="write the autograder for a platform into the folder -o DIR")
    g.set_defaults(func=cmd_grade)
