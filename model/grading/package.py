"""``tcpcheck grade --package``: an assignment's autograder, ready for a platform.

:func:`write_package` writes into the folder ``-o DIR``:

**Gradescope** (upload ``autograder.zip`` on the assignment's "Configure
Autograder" page):

* ``setup.sh``: run once, as root, when Gradescope builds the image (Ubuntu):
  installs python3 (3.11 or later: ``python3.11`` on Ubuntu 22.04), its venv
  module and graphviz with apt, makes the venv ``/autograder/tcpcheck-venv``
  and installs the bundled tcpcheck wheel there.  The wheel's dependencies
  (networkx, z3-solver, graphviz) come from the package index, at build time.
* ``run_autograder``: run once per submission.  It finds the submission in
  ``/autograder/submission`` (the file named by the assignment's
  ``submission``, else the only file), grades it with ``tcpcheck grade
  --format gradescope`` and writes ``/autograder/results/results.json``;
  whenever that fails (no submission, several, tcpcheck missing, too slow,
  crashed) it writes a valid results.json itself saying why, so Gradescope
  never shows "The autograder failed to execute correctly".
* ``assignment.toml`` (``reference = "reference.rules"``), ``reference.rules``,
  ``tcpcheck-VERSION-py3-none-any.whl``;
* ``autograder.zip``: those five files at its root; ``README.txt``.

**PrairieLearn** (a question folder, and a folder of the course's
``serverFilesCourse``):

* ``info.json``: ``"gradingMethod": "External"`` and ``externalGradingOptions``
  (image ``prairielearn/grader-python`` unless told otherwise, entrypoint
  ``/grade/tests/run.sh``, ``serverFilesCourse`` ``["tcpcheck/"]``, a timeout
  from the assignment's limits, at most 600 s, no network);
* ``question.html``: a ``pl-file-upload`` of the submission's file name and
  ``pl-external-grader-results``;
* ``tests/run.sh`` (the entrypoint), ``tests/assignment.toml``,
  ``tests/reference.rules``: a question's ``tests/`` is seen by the grading
  container only, and each question keeps its own assignment;
* ``serverFilesCourse/tcpcheck/``: the tcpcheck wheel and ``wheels/``, the
  wheels of its dependencies for Linux x86_64, downloaded now, because
  grading containers have no network (``dependencies="image"`` leaves them
  out, for an image that already has networkx, z3-solver and graphviz);
* ``README.txt``.

The reference table and the assignment (with its configurations, hidden
tests included) go only where students never look: Gradescope's
``/autograder/source`` and PrairieLearn's ``tests/``.  What a result shows
of the reference is the grader's business (the feedback levels).

Both scripts honour an environment variable that moves their whole tree
(``AUTOGRADER_ROOT`` for ``/autograder``, ``GRADE_ROOT`` for ``/grade``,
both ``/`` by default), so the very same files run outside the platform.

The tcpcheck wheel is built from the installed tcpcheck's source project
(``pip wheel --no-deps`` on a copy of it), or, when that cannot be done (no
source project, no package index for the build backend), assembled from the
installed package files.  Keyword arguments (or the environment variables
``TCPCHECK_PACKAGE_WHEEL``, ``TCPCHECK_PACKAGE_IMAGE`` and
``TCPCHECK_PACKAGE_DEPENDENCIES``) give a wheel, an image, or ``image``
instead of bundled dependencies.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
import uuid
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import InputError, output_folder, read_input
from ..tomllines import TomlLines
from .assignment import Assignment

__all__ = ["PLATFORMS", "DEFAULT_IMAGE", "PackageError", "write_package", "build_wheel",
           "grading_seconds"]

PLATFORMS = ("gradescope", "prairielearn")
#: PrairieLearn's maintained Python grading image (Python 3.13, graphviz).
DEFAULT_IMAGE = "prairielearn/grader-python"
ASSIGNMENT_NAME = "assignment.toml"
REFERENCE_NAME = "reference.rules"
GRADESCOPE_BUDGET = 540  # s: inside Gradescope's default 10-minute timeout, with room for the fallback
PRAIRIELEARN_MAX_TIMEOUT = 600  # s: PrairieLearn's limit
INSTALL_SECONDS = 60  # s: the offline pip install at the start of every PrairieLearn job
#: The platforms PrairieLearn's graders run on, for the dependency wheels
#: (z3-solver is the one binary wheel): x86_64 Linux, glibc 2.17 to 2.34.
PL_PLATFORMS = tuple(f"manylinux_2_{n}_x86_64" for n in range(17, 35)) + ("manylinux2014_x86_64",)
PL_PYTHON = "3.13"  # the Python of prairielearn/grader-python


class PackageError(InputError):
    """The package cannot be written: the output folder, the wheel, the dependencies."""


# --- the entry point -------------------------------------------------------------

def write_package(assignment: Assignment, platform: str, output_dir: str | None, *,
                  wheel: str | Path | None = None, image: str | None = None,
                  dependencies: str | None = None, out=None) -> int:
    """Write ``platform``'s autograder for ``assignment`` into ``output_dir``
    and print what was written; 0 on success.  Raises :class:`PackageError`
    (exit 2) for a folder that cannot be written, a wheel that cannot be built
    or dependencies that cannot be downloaded."""
    out = out or sys.stdout
    if platform not in PLATFORMS:
        raise PackageError(f"--package: unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    if not output_dir:
        raise PackageError(f"--package {platform} needs -o DIR: the folder to write the autograder into")
    wheel = wheel or os.environ.get("TCPCHECK_PACKAGE_WHEEL") or None
    image = image or os.environ.get("TCPCHECK_PACKAGE_IMAGE") or DEFAULT_IMAGE
    dependencies = dependencies or os.environ.get("TCPCHECK_PACKAGE_DEPENDENCIES") or "bundle"
    if dependencies not in ("bundle", "image"):
        raise PackageError(f"dependencies must be 'bundle' (download their wheels into the package) or 'image' "
                           f"(the grading image has them), not {dependencies!r}")
    toml_text = _rewritten_assignment(assignment)
    folder = _output_folder(Path(output_dir), assignment)
    with tempfile.TemporaryDirectory(prefix="tcpcheck-package-") as tmp:
        whl = Path(wheel) if wheel else build_wheel(Path(tmp))
        if not whl.is_file() or not whl.name.endswith(".whl") or not whl.name.startswith("tcpcheck-"):
            raise PackageError(f"{whl}: not a tcpcheck wheel (tcpcheck-VERSION-py3-none-any.whl)")
        if platform == "gradescope":
            written = _gradescope(assignment, folder, toml_text, whl)
        else:
            written = _prairielearn(assignment, folder, toml_text, whl, image, dependencies, Path(tmp))
    _check_package(folder, platform)
    name = {"gradescope": "Gradescope", "prairielearn": "PrairieLearn"}[platform]
    print(f"wrote the {name} autograder of \"{assignment.title}\" to {folder}:", file=out)
    width = max(len(p) for p, _ in written)
    for path, what in written:
        print(f"  {path:<{width}}  {what}", file=out)
    print(f"see {folder / 'README.txt'} for how to install and test it", file=out)
    return 0


def _output_folder(folder: Path, assignment: Assignment) -> Path:
    """The folder of -o, made unless it exists (see errors.output_folder), and
    not the one the assignment or its reference table is in."""
    output_folder(folder, "the autograder", PackageError)
    here = {folder.resolve(), (folder / "tests").resolve()}
    for what, path in (("assignment", assignment.path), ("reference table", assignment.reference_path)):
        if Path(path).resolve().parent in here:
            raise PackageError(f"{folder}: the {what} {path} is in this folder, and the package would overwrite "
                               f"files beside it; give -o a folder of its own, e.g. {folder / 'autograder'}")
    return folder


# --- what goes in every package ----------------------------------------------------

_REFERENCE_LINE = re.compile(r"""^(\s*(?:reference|"reference"|'reference')\s*=\s*)"""
                             r"""("(?:[^"\\\n]|\\.)*"|'[^'\n]*')(\s*(?:#.*)?)$""")


def _rewritten_assignment(a: Assignment) -> str:
    """The assignment's text with ``reference`` naming the bundled copy, every
    other byte as written (so its messages keep their line numbers)."""
    text = read_input(Path(a.path), "the assignment", PackageError)
    old = tomllib.loads(text)
    lines_of = TomlLines(text)
    n = lines_of.line("reference") if lines_of.has("reference") else 0
    lines = text.split("\n")
    m = _REFERENCE_LINE.match(lines[n - 1]) if 0 < n <= len(lines) else None
    if m:
        lines[n - 1] = f'{m.group(1)}"{REFERENCE_NAME}"{m.group(3)}'
        new_text = "\n".join(lines)
        try:
            new = tomllib.loads(new_text)
        except tomllib.TOMLDecodeError:
            new = None
        if new == {**old, "reference": REFERENCE_NAME}:
            return new_text
    raise PackageError(f"{a.path}:{n}: cannot rewrite the reference for the package; write it on one line "
                       f"before any [table], as reference = \"FILE.rules\"")


def _reference_bytes(a: Assignment) -> bytes:
    try:
        data = Path(a.reference_path).read_bytes()
    except OSError as exc:
        raise PackageError(f"{a.reference_path}: cannot read the reference table: {exc.strerror}") from None
    if hashlib.sha256(data).hexdigest() != a.reference_sha256:
        raise PackageError(f"{a.reference_path}: the reference table changed while it was being packaged; run again")
    return data


def _total_points(a: Assignment) -> float:
    if a.kind == "questions":
        return sum(float(getattr(q, "points", 0)) for q in a.questions)
    return sum(t.points for t in a.tests)


def grading_seconds(a: Assignment) -> int:
    """A bound on grading one submission: each test and each configuration's
    reference side within the assignment's per-test ``seconds``, plus 30 s."""
    units = max(1, len(a.questions)) if a.kind == "questions" else len(a.tests) + len(a.configurations)
    return int(30 + a.seconds * units)


def _num(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.4f}"


def _write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise PackageError(f"{path}: cannot write: {exc.strerror}") from None


def _copy_wheel(whl: Path, into: Path) -> Path:
    """The wheel copied into ``into``, other tcpcheck wheels removed from there."""
    try:
        into.mkdir(parents=True, exist_ok=True)
        for old in into.glob("tcpcheck-*.whl"):
            if old.name != whl.name:
                old.unlink()
        target = into / whl.name
        if not target.exists() or not target.samefile(whl):
            shutil.copyfile(whl, target)
    except OSError as exc:
        raise PackageError(f"{into}: cannot write the wheel {whl.name}: {exc.strerror}") from None
    return target


def _zip(path: Path, files: list[tuple[str, Path]]) -> None:
    """A zip of ``files`` (name in the zip, file) at its root, byte for byte
    the same for the same files; the executable bits are kept."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, f in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.stat(f).st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            z.writestr(info, f.read_bytes())
    _write(path, buf.getvalue())


def _check_package(folder: Path, platform: str) -> None:
    """The written assignment loads from the package (its reference found beside it)."""
    from .assignment import load_assignment

    where = folder if platform == "gradescope" else folder / "tests"
    try:
        load_assignment(where / ASSIGNMENT_NAME)
    except InputError as exc:  # pragma: no cover - the original loaded, so this is a bug
        raise PackageError(f"{where / ASSIGNMENT_NAME}: the packaged assignment does not load: {exc}") from None


# --- the shell pieces both platforms share --------------------------------------------

def _sh(s: str) -> str:
    """``s`` as one single-quoted shell word."""
    return "'" + s.replace("'", "'\\''") + "'"


_COMMON_SH = r'''
# "$1" as a JSON string: printable ASCII only, so the file is valid whatever a name holds.
json_str() {
    local s
    s=$(printf '%s' "$1" | LC_ALL=C tr -cd '\11\12\40-\176')
    s=${s//'\'/'\\'}
    s=${s//'"'/'\"'}
    s=${s//$'\t'/'\t'}
    s=${s//$'\n'/'\n'}
    printf '"%s"' "$s"
}

# Sets SUBMISSION to the file to grade in folder "$1", or WHY to why there is none.
find_submission() {
    local dir=$1 f
    local -a named=() all=()
    SUBMISSION='' WHY=''
    if [ -f "$dir/$SUBMISSION_NAME" ]; then SUBMISSION="$dir/$SUBMISSION_NAME"; return; fi
    if [ -d "$dir" ]; then
        while IFS= read -r -d '' f; do
            all+=("${f#./}")
            [ "$(basename -- "$f")" = "$SUBMISSION_NAME" ] && named+=("${f#./}")
        done < <(cd "$dir" && find . -mindepth 1 -type f -not -path '*/.*' -not -path './__MACOSX/*' -print0 | sort -z)
    fi
    if [ ${#named[@]} -eq 1 ]; then SUBMISSION="$dir/${named[0]}"; return; fi
    if [ ${#named[@]} -eq 0 ] && [ ${#all[@]} -eq 1 ]; then SUBMISSION="$dir/${all[0]}"; return; fi
    if [ ${#all[@]} -eq 0 ]; then
        WHY="No file was submitted. Upload your file, named $SUBMISSION_NAME."
    else
        local shown="${all[*]:0:10}"
        [ ${#all[@]} -gt 10 ] && shown="$shown ..."
        WHY="The submission holds ${#all[@]} files ($shown), so which one to grade is unclear. Upload one file, named $SUBMISSION_NAME."
    fi
}

# Whether "$1" is a results.json the platform accepts ("$2": gradescope or prairielearn).
valid_results() {
    [ -s "$1" ] || return 1
    local py="$VENV/bin/python"
    [ -x "$py" ] || py=$(command -v python3) || return 0
    "$py" - "$1" "$2" <<'PY' >/dev/null 2>&1
import json, math, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert isinstance(d, dict)
num = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
if sys.argv[2] == "gradescope":
    tests = d.get("tests", [])
    assert isinstance(tests, list) and all(isinstance(t, dict) for t in tests)
    assert num(d["score"]) if "score" in d else tests and all(num(t.get("score")) for t in tests)
else:
    assert d.get("gradable", True) is False or (num(d.get("score")) and 0 <= d["score"] <= 1)
PY
}

# Runs tcpcheck within the seconds left of BUDGET; sets STATUS to its exit code.
run_tcpcheck() {
    local left=$((BUDGET - SECONDS))
    [ "$left" -lt 10 ] && left=10
    LIMIT=$left
    STATUS=0
    if command -v timeout >/dev/null 2>&1; then
        timeout -k 10 "$left" "$VENV/bin/tcpcheck" "$@" 2>&1 || STATUS=$?
    else
        "$VENV/bin/tcpcheck" "$@" 2>&1 || STATUS=$?
    fi
}

# Why tcpcheck's run gave no results, from its exit code, for the student.
why_failed() {
    case "$STATUS" in
        124|137) echo "grading did not finish within $LIMIT seconds" ;;
        126|127) echo "tcpcheck is not installed in the autograder" ;;
        2) echo "the assignment could not be read (exit code 2)" ;;
        *) echo "tcpcheck stopped with exit code $STATUS without writing the results" ;;
    esac
}
'''


# --- Gradescope ---------------------------------------------------------------------

def _gradescope(a: Assignment, folder: Path, toml_text: str, whl: Path) -> list[tuple[str, str]]:
    from ..interface import tool_version

    target = _copy_wheel(whl, folder)
    budget = min(grading_seconds(a), GRADESCOPE_BUDGET)
    _write(folder / ASSIGNMENT_NAME, toml_text)
    _write(folder / REFERENCE_NAME, _reference_bytes(a))
    _write(folder / "setup.sh", _GS_SETUP.format(title=a.title.replace("\n", " "), version=tool_version(),
                                                 wheel=target.name), 0o755)
    _write(folder / "run_autograder",
           _GS_RUN.format(title=a.title.replace("\n", " "), version=tool_version(), name=_sh(a.submission),
                          max_score=_num(_total_points(a)), budget=budget).replace("@COMMON@", _COMMON_SH),
           0o755)
    contents = ["setup.sh", "run_autograder", ASSIGNMENT_NAME, REFERENCE_NAME, target.name]
    _zip(folder / "autograder.zip", [(n, folder / n) for n in contents])
    _write(folder / "Dockerfile", _GS_DOCKERFILE.format(files=" ".join(contents)))
    _write(folder / "README.txt", _GS_README.format(title=a.title, submission=a.submission, budget=budget,
                                                    timeout=(budget + 59) // 60 + 1, wheel=target.name,
                                                    folder=folder.resolve()))
    return [("autograder.zip", "upload this on Gradescope (Configure Autograder, zip file upload)"),
            ("setup.sh", "in the zip: installs Python, graphviz and tcpcheck when the image is built"),
            ("run_autograder", f"in the zip: grades /autograder/submission/{a.submission} (within {budget} s)"),
            (ASSIGNMENT_NAME, f"in the zip: the assignment, reference = \"{REFERENCE_NAME}\""),
            (REFERENCE_NAME, "in the zip: the reference table (in /autograder/source: students never see it)"),
            (target.name, "in the zip: tcpcheck itself"),
            ("Dockerfile", "not in the zip: builds the same image locally, to test it with docker"),
            ("README.txt", "not in the zip: how to upload and test it")]


_GS_SETUP = r'''#!/usr/bin/env bash
# Gradescope setup for "{title}", written by tcpcheck {version} (tcpcheck grade --package gradescope).
# Gradescope runs it once, as root, while it builds the autograder's image (Ubuntu; the zip is in
# /autograder/source).  It needs the network: apt's packages and the wheel's dependencies
# (networkx, z3-solver, graphviz) are downloaded now, never while a submission is graded.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SOURCE=/autograder/source
VENV=/autograder/tcpcheck-venv

apt-get update
apt-get install -y --no-install-recommends python3 python3-venv graphviz

# tcpcheck needs Python 3.11 or later; Ubuntu 22.04's python3 is 3.10, and it has python3.11.
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install "$SOURCE/{wheel}"

# Fail the build, not the first submission, if the assignment does not load; and compute the
# reference's side of every test once, into the cache run_autograder reads (TCPCHECK_CACHE).
TCPCHECK_CACHE="$SOURCE/.tcpcheck-cache" "$VENV/bin/tcpcheck" grade --assignment "$SOURCE/assignment.toml" --prepare
"$VENV/bin/tcpcheck" --help >/dev/null
echo "tcpcheck is installed in $VENV"
'''

_GS_RUN = r'''#!/usr/bin/env bash
# Gradescope autograder for "{title}", written by tcpcheck {version} (tcpcheck grade --package gradescope).
# Gradescope runs it once per submission.  It always leaves a valid /autograder/results/results.json:
# tcpcheck's, or one of its own that says why the submission could not be graded (score 0).
# Its output goes to Gradescope's stdout, which students do not see.
# AUTOGRADER_ROOT (default /) moves the whole /autograder tree, to run this file outside Gradescope.
set -u
ROOT="${{AUTOGRADER_ROOT:-/}}"
AG="${{ROOT%/}}/autograder"
case "$AG" in /*) ;; *) AG="$PWD/$AG" ;; esac
SOURCE="$AG/source"
SUBMISSION_DIR="$AG/submission"
RESULTS_DIR="$AG/results"
RESULTS="$RESULTS_DIR/results.json"
VENV="$AG/tcpcheck-venv"
SUBMISSION_NAME={name}
MAX_SCORE={max_score}
BUDGET={budget}   # seconds for the whole run; Gradescope's timeout (settings) must be longer
unset PYTHONPATH PYTHONHOME
export TCPCHECK_CACHE="$SOURCE/.tcpcheck-cache"   # the reference's side, computed by setup.sh
@COMMON@
# A results.json of one failed test: "$1" its name, "$2" what the student reads.
write_own_results() {{
    local tmp="$RESULTS.tmp"
    printf '{{"score": 0, "output": %s, "stdout_visibility": "hidden", "tests": [{{"name": %s, "number": "0", "score": 0, "max_score": %s, "status": "failed", "visibility": "visible", "output": %s}}]}}\n' \
        "$(json_str "$1: $2")" "$(json_str "$1")" "$MAX_SCORE" "$(json_str "$2")" > "$tmp" && mv -f "$tmp" "$RESULTS"
    valid_results "$RESULTS" gradescope || echo '{{"score": 0, "tests": [{{"name": "the autograder", "score": 0, "status": "failed", "output": "The autograder could not grade this submission. Tell your instructor."}}]}}' > "$RESULTS"
}}

mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS"
find_submission "$SUBMISSION_DIR"
if [ -z "$SUBMISSION" ]; then
    echo "run_autograder: $WHY"
    write_own_results "the submission" "$WHY"
    exit 0
fi
echo "run_autograder: grading $SUBMISSION"
# From the submission's folder, so that messages name the file as the student knows it.
NAME=$(basename -- "$SUBMISSION")
case "$NAME" in -*) NAME="./$NAME" ;; esac
cd "$(dirname -- "$SUBMISSION")" || NAME=$SUBMISSION
run_tcpcheck grade --assignment "$SOURCE/assignment.toml" "$NAME" --format gradescope -o "$RESULTS"
echo "run_autograder: tcpcheck exited with $STATUS"
if ! valid_results "$RESULTS" gradescope; then
    reason=$(why_failed)
    echo "run_autograder: no valid results.json from tcpcheck: $reason"
    write_own_results "the autograder" "The autograder could not grade your submission: $reason. This is not a verdict on your work; tell your instructor (the details are in the autograder's output)."
fi
exit 0
'''

_GS_DOCKERFILE = '''# The Gradescope image of this autograder, built locally to test it (Gradescope's manual_docker sample).
#   docker build -t tcpcheck-autograder .
#   docker run --rm -v "$PWD/submission:/autograder/submission" -v "$PWD/results:/autograder/results" \\
#       tcpcheck-autograder /autograder/run_autograder && cat results/results.json
FROM gradescope/autograder-base:latest
COPY {files} /autograder/source/
RUN cp /autograder/source/run_autograder /autograder/run_autograder && chmod +x /autograder/run_autograder \\
    && apt-get update && bash /autograder/source/setup.sh && apt-get clean && rm -rf /var/lib/apt/lists/*
'''

_GS_README = '''Gradescope autograder for "{title}" (written by tcpcheck grade --package gradescope)

Upload
  1. In the assignment (a "Programming Assignment"), open Configure Autograder, choose "Zip file
     upload", the Ubuntu base image (22.04 or later), and upload autograder.zip.  Gradescope builds
     the image with setup.sh (it downloads Python, graphviz and tcpcheck's dependencies; a few minutes).
  2. Set the autograder timeout (Settings) to at least {timeout} minutes: run_autograder gives
     tcpcheck {budget} s and then writes its own results.json saying grading was too slow.
  3. Students upload one file named {submission}.  Any other single file is graded too; none, or
     several without one of that name, gives 0 with a test saying what to upload.
  4. Try "Test Autograder" with a correct and a wrong table before releasing the assignment.

What students never see: /autograder/source (assignment.toml with every configuration and the hidden
tests, reference.rules) and the autograder's stdout.  What they see of a test is its results.json
entry, cut to the assignment's feedback level, at the test's visibility.

Test it locally without docker (Linux, Python 3.11+, bash):
  ROOT=$(mktemp -d)
  mkdir -p "$ROOT/autograder/source" "$ROOT/autograder/submission" "$ROOT/autograder/results"
  unzip -q {folder}/autograder.zip -d "$ROOT/autograder/source"
  python3 -m venv "$ROOT/autograder/tcpcheck-venv"
  "$ROOT/autograder/tcpcheck-venv/bin/pip" install "$ROOT/autograder/source/{wheel}"
  cp student.rules "$ROOT/autograder/submission/{submission}"
  AUTOGRADER_ROOT="$ROOT" bash "$ROOT/autograder/source/run_autograder"
  cat "$ROOT/autograder/results/results.json"
(AUTOGRADER_ROOT moves /autograder: the script is the one Gradescope runs.)

Test it locally with docker (the image Gradescope builds, from the Dockerfile beside this file):
  cd {folder} && docker build -t tcpcheck-autograder .
  mkdir -p submission results && cp student.rules submission/{submission}
  docker run --rm -v "$PWD/submission:/autograder/submission" -v "$PWD/results:/autograder/results" \\
      tcpcheck-autograder /autograder/run_autograder && cat results/results.json
'''


# --- PrairieLearn -------------------------------------------------------------------

def _prairielearn(a: Assignment, folder: Path, toml_text: str, whl: Path, image: str, dependencies: str,
                  tmp: Path) -> list[tuple[str, str]]:
    from ..interface import tool_version

    sfc = folder / "serverFilesCourse" / "tcpcheck"
    target = _copy_wheel(whl, sfc)
    wheels = sfc / "wheels"
    dep_names: list[str] = []
    if dependencies == "bundle":
        dep_names = _download_dependencies(tmp / "wheels")
        try:
            wheels.mkdir(parents=True, exist_ok=True)
            for old in wheels.glob("*.whl"):
                old.unlink()
            for name in dep_names:
                shutil.copyfile(tmp / "wheels" / name, wheels / name)
        except OSError as exc:
            raise PackageError(f"{wheels}: cannot write the dependency wheels: {exc.strerror}") from None
    timeout = min(PRAIRIELEARN_MAX_TIMEOUT, grading_seconds(a) + INSTALL_SECONDS)
    budget = max(20, timeout - 20)
    tests = folder / "tests"
    _write(tests / ASSIGNMENT_NAME, toml_text)
    _write(tests / REFERENCE_NAME, _reference_bytes(a))
    _write(tests / "run.sh", _PL_RUN.format(title=a.title.replace("\n", " "), version=tool_version(),
                                            name=_sh(a.submission), wheel=_sh(target.name),
                                            budget=budget).replace("@COMMON@", _COMMON_SH), 0o755)
    info = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tcpcheck:{a.title}:{hashlib.sha256(toml_text.encode()).hexdigest()}")),
        "title": a.title,
        "topic": "TCP connection management",
        "tags": ["tcpcheck"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": "/grade/tests/run.sh",
            "serverFilesCourse": ["tcpcheck/"],
            "timeout": timeout,
            "enableNetworking": False,
        },
    }
    _write(folder / "info.json", json.dumps(info, indent=2) + "\n")
    upload_name = a.submission.replace(",", "\\,")
    _write(folder / "question.html", _PL_QUESTION.format(title=html.escape(a.title),
                                                         name=html.escape(a.submission),
                                                         attr=html.escape(upload_name, quote=True)))
    deps_text = (f"serverFilesCourse/tcpcheck/wheels/ holds {', '.join(dep_names)}\n"
                 f"     (Linux x86_64): the grading container installs them with no network."
                 if dependencies == "bundle" else
                 "No dependency wheels were bundled: the image must already have Python 3.11+ with\n"
                 "     networkx, z3-solver and graphviz (the Python package), or run.sh fails and says so.")
    local_deps = ("" if dependencies == "bundle" else
                  "  # no bundled dependencies: give the venv them first\n"
                  "  python3 -m venv \"$ROOT/venv\" && \"$ROOT/venv/bin/pip\" install networkx z3-solver graphviz\n")
    _write(folder / "README.txt", _PL_README.format(title=a.title, submission=a.submission, timeout=timeout,
                                                    image=image, wheel=target.name, deps=deps_text,
                                                    local_deps=local_deps, folder=folder.resolve()))
    rel = lambda p: str(p.relative_to(folder))  # noqa: E731
    written = [("info.json", f"the question's info.json: external grading with {image}, timeout {timeout} s"),
               ("question.html", f"the question: upload {a.submission}, see the grader's results"),
               ("tests/run.sh", "the entrypoint: installs tcpcheck offline, grades, writes results.json"),
               ("tests/" + ASSIGNMENT_NAME, f"the assignment, reference = \"{REFERENCE_NAME}\""),
               ("tests/" + REFERENCE_NAME, "the reference table (in tests/: students never see it)"),
               (rel(target), "tcpcheck itself (copy serverFilesCourse/tcpcheck/ into the course's)")]
    if dep_names:
        written.append((rel(wheels) + "/", f"{len(dep_names)} dependency wheels: {', '.join(dep_names)}"))
    written.append(("README.txt", "how to install and test it"))
    return written


def _requirements() -> list[str]:
    try:
        reqs = distribution("tcpcheck").requires or []
    except PackageNotFoundError:
        raise PackageError("tcpcheck is not installed as a package (pip install tcpcheck), so its "
                           "dependencies are unknown") from None
    return [r for r in reqs if "extra" not in r.partition(";")[2]]


def _download_dependencies(into: Path) -> list[str]:
    """The wheels of tcpcheck's dependencies for PrairieLearn's graders, downloaded into ``into``."""
    reqs = _requirements()
    into.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--retries", "1", "--timeout", "30", "--only-binary=:all:", "--python-version", PL_PYTHON,
           "--implementation", "cp", "-d", str(into)]
    for p in PL_PLATFORMS:
        cmd += ["--platform", p]
    try:
        r = subprocess.run(cmd + reqs, capture_output=True, text=True, timeout=900)
        failed = r.returncode != 0
        said = _tail(r.stderr or r.stdout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        failed, said = True, str(exc)
    names = sorted(p.name for p in into.glob("*.whl"))
    if failed or not names:
        raise PackageError(
            f"cannot download the wheels of tcpcheck's dependencies ({', '.join(reqs)}) for PrairieLearn's "
            f"graders (Linux x86_64, Python {PL_PYTHON}); pip said: {said or 'nothing'}. PrairieLearn grading "
            f"containers have no network, so the package carries them: run again where the package index is "
            f"reachable, or set TCPCHECK_PACKAGE_DEPENDENCIES=image if the grading image already has them")
    return names


def _tail(text: str, n: int = 3) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]  # pip's own, even from its subprocesses
    return " / ".join((errors or lines)[-n:])


_PL_RUN = r'''#!/usr/bin/env bash
# PrairieLearn external grader for "{title}", written by tcpcheck {version}
# (tcpcheck grade --package prairielearn).  The question's entrypoint: /grade/tests/run.sh.
# It installs tcpcheck from /grade/serverFilesCourse/tcpcheck without the network, grades the file
# in /grade/student and always leaves a valid /grade/results/results.json: tcpcheck's, or one of its
# own marked not gradable (no points lost, no attempt used) that says why.
# GRADE_ROOT (default /) moves the whole /grade tree, to run this file outside PrairieLearn;
# TCPCHECK_VENV (default /tmp/tcpcheck-venv) is where tcpcheck is installed.
set -u
ROOT="${{GRADE_ROOT:-/}}"
JOB="${{ROOT%/}}/grade"
case "$JOB" in /*) ;; *) JOB="$PWD/$JOB" ;; esac
TESTS="$JOB/tests"
SFC="$JOB/serverFilesCourse/tcpcheck"
STUDENT="$JOB/student"
RESULTS_DIR="$JOB/results"
RESULTS="$RESULTS_DIR/results.json"
VENV="${{TCPCHECK_VENV:-/tmp/tcpcheck-venv}}"
PYTHON="${{TCPCHECK_PYTHON:-python3}}"
WHEEL={wheel}
SUBMISSION_NAME={name}
BUDGET={budget}   # seconds for the whole job, inside info.json's timeout
unset PYTHONPATH PYTHONHOME
@COMMON@
# A not-gradable results.json: "$1" what the student reads.
write_own_results() {{
    local tmp="$RESULTS.tmp"
    printf '{{"gradable": false, "format_errors": [%s], "message": %s}}\n' "$(json_str "$1")" "$(json_str "$1")" > "$tmp" \
        && mv -f "$tmp" "$RESULTS"
    valid_results "$RESULTS" prairielearn || echo '{{"gradable": false, "format_errors": ["The autograder could not grade this submission. Tell your instructor."]}}' > "$RESULTS"
}}

mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS"
find_submission "$STUDENT"
if [ -z "$SUBMISSION" ]; then
    echo "run.sh: $WHY"
    write_own_results "$WHY"
    exit 0
fi

# tcpcheck and its dependencies, from the bundled wheels only (the container has no network).
if [ ! -x "$VENV/bin/tcpcheck" ]; then
    echo "run.sh: installing tcpcheck into $VENV"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || "$PYTHON" -m venv --without-pip "$VENV" \
        || echo "run.sh: cannot make a virtual environment with $PYTHON"
    if "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        PIP=("$VENV/bin/python" -m pip)
    else  # a venv without pip: the outer pip installs into it
        PIP=("$PYTHON" -m pip --python "$VENV/bin/python")
    fi
    "${{PIP[@]}}" install --quiet --disable-pip-version-check --no-index --find-links "$SFC/wheels" \
        "$SFC/$WHEEL" 2>&1 || echo "run.sh: the offline install of tcpcheck failed"
fi
echo "run.sh: grading $SUBMISSION"
# From the submission's folder, so that messages name the file as the student knows it.
NAME=$(basename -- "$SUBMISSION")
case "$NAME" in -*) NAME="./$NAME" ;; esac
cd "$(dirname -- "$SUBMISSION")" || NAME=$SUBMISSION
run_tcpcheck grade --assignment "$TESTS/assignment.toml" "$NAME" --format prairielearn -o "$RESULTS"
echo "run.sh: tcpcheck exited with $STATUS"
if ! valid_results "$RESULTS" prairielearn; then
    reason=$(why_failed)
    echo "run.sh: no valid results.json from tcpcheck: $reason"
    write_own_results "The autograder could not grade your submission: $reason. This is not a verdict on your work and used no attempt; tell your instructor (the details are in the grading job's output)."
fi
exit 0
'''

_PL_QUESTION = '''<pl-question-panel>
  <p><strong>{title}</strong></p>
  <p>Upload your rule table as a file named <code>{name}</code>. It is graded against the reference
  by tcpcheck; the results below say what was checked and, where your table differs, how.</p>
  <pl-file-upload file-names="{attr}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
'''

_PL_README = '''PrairieLearn external grader for "{title}" (written by tcpcheck grade --package prairielearn)

Install
  1. Make a question folder, e.g. questions/tcp-table/, and copy into it info.json, question.html
     and tests/ (run.sh, assignment.toml, reference.rules).  If the question exists already, merge
     "gradingMethod" and "externalGradingOptions" from info.json into its own, and keep its uuid.
     A question's tests/ goes to the grading container only; students never see it.
  2. Copy serverFilesCourse/tcpcheck/ into the course's serverFilesCourse/ (every tcpcheck question
     of the course shares it; wheels of other tcpcheck versions may stay beside this one).
  3. {deps}
  4. Image: {image}; timeout {timeout} s (PrairieLearn's limit is 600); no network.
     Every job copies serverFilesCourse/tcpcheck/ and installs the wheels (a few seconds); an image
     with tcpcheck installed is faster: then set TCPCHECK_VENV in "environment" to its venv.
  5. Students upload {submission}.  A file that does not load, none, or several files is "not
     gradable": no points lost, no attempt used, with the reason in format_errors.

Test it locally without PrairieLearn (Linux, Python 3.11+, bash):
  ROOT=$(mktemp -d)
  mkdir -p "$ROOT/grade/student" "$ROOT/grade/serverFilesCourse"
  cp -r {folder}/tests "$ROOT/grade/tests"
  cp -r {folder}/serverFilesCourse/tcpcheck "$ROOT/grade/serverFilesCourse/"
  cp student.rules "$ROOT/grade/student/{submission}"
{local_deps}  GRADE_ROOT="$ROOT" TCPCHECK_VENV="$ROOT/venv" bash "$ROOT/grade/tests/run.sh"
  cat "$ROOT/grade/results/results.json"
(GRADE_ROOT moves /grade; the bundled dependency wheels are for Linux x86_64.)

Or with docker, in the grading image itself (no network, as on PrairieLearn):
  docker run --rm --network none -v "$ROOT/grade:/grade" --entrypoint /grade/tests/run.sh {image}
'''


# --- the tcpcheck wheel ---------------------------------------------------------------

class _BuildFailed(Exception):
    pass


def build_wheel(into: Path, method: str = "auto") -> Path:
    """A wheel of the installed tcpcheck, written into ``into``: built with
    ``pip wheel --no-deps`` from a copy of its source project (``pip``), or
    assembled from the installed package files (``files``); ``auto`` tries
    the first and falls back on the second."""
    try:
        dist = distribution("tcpcheck")
    except PackageNotFoundError:
        raise PackageError("tcpcheck is not installed as a package, so there is no wheel to bundle; "
                           "install it (pip install tcpcheck, or pip install -e . in its project)") from None
    root = _project_root(dist)
    into.mkdir(parents=True, exist_ok=True)
    why = []
    if method in ("auto", "pip"):
        if root is None:
            why.append("no source project of the installed tcpcheck was found (for pip wheel)")
        else:
            try:
                return _pip_wheel(root, into)
            except _BuildFailed as exc:
                why.append(f"pip wheel {root} failed: {exc}")
    if method in ("auto", "files"):
        try:
            return _assembled_wheel(dist, root, into)
        except _BuildFailed as exc:
            why.append(f"the installed files do not make a wheel: {exc}")
    raise PackageError("cannot build the tcpcheck wheel to bundle: " + "; ".join(why)
                       + ". Build one (pip wheel --no-deps -w DIR PROJECT) and give it as TCPCHECK_PACKAGE_WHEEL=FILE")


def _is_tcpcheck_project(p: Path) -> bool:
    try:
        return tomllib.loads((p / "pyproject.toml").read_text(encoding="utf-8")).get("project", {}).get("name") == "tcpcheck"
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def _project_root(dist) -> Path | None:
    """The source project the installed tcpcheck came from: the folder its
    ``direct_url.json`` names (pip install -e . or pip install .), else a
    folder above the installed package with tcpcheck's pyproject.toml."""
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except (json.JSONDecodeError, OSError):
        direct = {}
    url = urlparse(direct.get("url", ""))
    if url.scheme == "file" and "vcs_info" not in direct and "archive_info" not in direct:
        p = Path(unquote(url.path))
        if p.is_dir() and _is_tcpcheck_project(p):
            return p
    here = Path(__file__).resolve()
    for p in list(here.parents)[:4]:
        if _is_tcpcheck_project(p):
            return p
    return None


def _setuptools_layout(root: Path) -> tuple[dict[str, Path], dict[str, list[str]]] | None:
    """(package -> source folder, package -> data globs) from the project's
    ``[tool.setuptools]``; None when it lists no packages."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    st = data.get("tool", {}).get("setuptools", {})
    packages = st.get("packages")
    if not isinstance(packages, list) or not packages:
        return None
    pdir = st.get("package-dir", {}) or {}
    dirs = {}
    for name in packages:
        best = max((k for k in pdir if k == "" or name == k or name.startswith(k + ".")), key=len, default=None)
        if best is None:
            dirs[name] = root / name.replace(".", "/")
        else:
            rest = name[len(best):].lstrip(".")
            dirs[name] = root / pdir[best] / rest.replace(".", "/") if rest else root / pdir[best]
    return dirs, {k: list(v) for k, v in (st.get("package-data", {}) or {}).items()}


_IGNORE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache",
                                 ".venv", "venv", ".tox", ".mypy_cache", "node_modules")


def _pip_wheel(root: Path, into: Path) -> Path:
    """``pip wheel --no-deps`` of a copy of the project (the build leaves nothing in the project itself)."""
    with tempfile.TemporaryDirectory(prefix="tcpcheck-src-") as tmp:
        src = Path(tmp) / "src"
        try:
            layout = _setuptools_layout(root)
            if layout is None:
                shutil.copytree(root, src, ignore=_IGNORE)
            else:
                src.mkdir()
                for f in root.iterdir():
                    if f.is_file() and (f.name == "pyproject.toml" or f.name.startswith(("README", "LICENSE", "COPYING"))
                                        or f.name in ("setup.py", "setup.cfg", "MANIFEST.in")):
                        shutil.copy2(f, src / f.name)
                tops = {d.relative_to(root).parts[0] for d in layout[0].values() if d.is_relative_to(root) and d != root}
                for top in sorted(tops):
                    shutil.copytree(root / top, src / top, ignore=_IGNORE)
        except OSError as exc:
            raise _BuildFailed(f"cannot copy the project: {exc}") from None
        out = Path(tmp) / "wheel"
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
               "--retries", "1", "--timeout", "20", "-w", str(out), str(src)]
        # few and short retries, in the isolated build's own pip too: offline, fail fast and fall back
        env = {**os.environ, "PIP_RETRIES": "1", "PIP_TIMEOUT": "20", "PIP_DEFAULT_TIMEOUT": "20"}
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _BuildFailed(str(exc)) from None
        wheels = sorted(out.glob("tcpcheck-*.whl"))
        if r.returncode != 0 or len(wheels) != 1:
            raise _BuildFailed(_tail(r.stderr or r.stdout) or f"exit code {r.returncode}")
        target = into / wheels[0].name
        shutil.copyfile(wheels[0], target)
        return target


def _assembled_wheel(dist, root: Path | None, into: Path) -> Path:
    """A py3-none-any wheel of the installed tcpcheck, made from its files:
    the package folders and data named by the project's pyproject.toml, or
    the files its RECORD lists (a non-editable install)."""
    files: dict[str, Path] = {}  # name in the wheel -> file
    layout = _setuptools_layout(root) if root else None
    if layout is not None:
        dirs, data = layout
        for name, d in dirs.items():
            arc = name.replace(".", "/")
            if not d.is_dir():
                raise _BuildFailed(f"package {name}: no folder {d}")
            for f in sorted(d.glob("*.py")):
                files[f"{arc}/{f.name}"] = f
            for pattern in data.get(name, []):
                for f in sorted(d.glob(pattern)):
                    if f.is_file():
                        files[f"{arc}/{f.relative_to(d).as_posix()}"] = f
    else:
        for f in dist.files or []:
            parts = f.parts
            if parts and parts[0] == "tcpcheck" and "__pycache__" not in parts and f.suffix != ".pyc":
                p = Path(dist.locate_file(f))
                if p.is_file():
                    files[f.as_posix()] = p
    if "tcpcheck/model/cli.py" not in files:
        raise _BuildFailed("the installed package files were not found (an editable install without its project?)")
    name, ver = dist.metadata["Name"], dist.version
    info = f"{name}-{ver}.dist-info"
    meta = {f"{info}/METADATA": dist.read_text("METADATA") or dist.read_text("PKG-INFO"),  # a .dist-info or .egg-info
            f"{info}/entry_points.txt": dist.read_text("entry_points.txt"),
            f"{info}/top_level.txt": "tcpcheck\n",
            f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tcpcheck grade --package\nRoot-Is-Purelib: true\n"
                             "Tag: py3-none-any\n"}
    if not meta[f"{info}/METADATA"]:
        raise _BuildFailed("the installed tcpcheck has no METADATA")
    target = into / f"{name}-{ver}-py3-none-any.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        def add(arc: str, data: bytes) -> None:
            info_ = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
            info_.compress_type = zipfile.ZIP_DEFLATED
            info_.external_attr = (stat.S_IFREG | 0o644) << 16
            z.writestr(info_, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([arc, f"sha256={digest}", len(data)])
        for arc in sorted(files):
            add(arc, files[arc].read_bytes())
        for arc, text in meta.items():
            if text is not None:
                add(arc, text.encode("utf-8"))
        writer.writerow([f"{info}/RECORD", "", ""])
        rec = zipfile.ZipInfo(f"{info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0))
        rec.external_attr = (stat.S_IFREG | 0o644) << 16
        z.writestr(rec, record.getvalue())
    return target
