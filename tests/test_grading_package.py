"""``tcpcheck grade --package``: the Gradescope and PrairieLearn autograders,
run the way the platforms run them, without docker.

The Gradescope package is unzipped into ``<root>/autograder/source`` of a
temporary root, a student's table goes into ``<root>/autograder/submission``,
tcpcheck's wheel is installed into a fresh virtual environment at
``<root>/autograder/tcpcheck-venv`` (what ``setup.sh`` does on Gradescope),
and the generated ``run_autograder`` itself runs with ``AUTOGRADER_ROOT`` set
to the root.  The PrairieLearn entrypoint runs likewise under ``GRADE_ROOT``,
and installs tcpcheck itself, offline.  ``setup.sh`` is not run (it needs
root, apt and the package index): its content is checked instead.

The student's table is the reference with one wrong cell (mutant
``time-wait-forever``: TIME_WAIT stays on the 2MSL timeout).  Its rows score
is pinned (143 of 144 cells); the whole score must be the one the grader
gives the same table in-process, so that the package neither loses nor adds
anything on the way.
"""

from __future__ import annotations

import html
import json
import re
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, requires
from pathlib import Path

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.cells import compare_cells
from tcpcheck.model.grading.grade import Prepared, grade_file
from tcpcheck.model.grading.package import (DEFAULT_IMAGE, PackageError, _rewritten_assignment, build_wheel,
                                            write_package)
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.table import REFERENCE, load_table

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the autograder scripts are bash")

ASSIGNMENT = '''\
title = "Lab P: the TCP state table"
kind = "table"
reference = "builtin:rfc9293"   # the instructor's table
submission = "tcp.rules"
feedback = "run"

[limits]
max_states = 100000
seconds = 30

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "reliable"
preset = "reliable"

[[tests]]
kind = "rows"
points = 40

[[tests]]
kind = "behaviour"
configuration = "seed"
points = 30

[[tests]]
kind = "behaviour"
configuration = "reliable"
points = 30
visibility = "hidden"
'''

REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")
STUDENT_TEXT = MUTANTS["time-wait-forever"].edited(REFERENCE_TEXT)  # one cell wrong: TIME_WAIT / timeout 2MSL
ROWS_SCORE = round(40 * 143 / 144, 4)  # 143 of the 144 cells right
GS_FILES = {"setup.sh", "run_autograder", "assignment.toml", "reference.rules"}


def _env(**extra) -> dict:
    """The environment of a platform's run: no Python paths of ours, no package index."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(extra)
    return env


# --- fixtures: one package of each kind, one environment of tcpcheck's dependencies ------

@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("package")


@pytest.fixture(scope="module")
def assignment_path(work) -> Path:
    p = work / "lab" / "lab.toml"
    p.parent.mkdir()
    p.write_text(ASSIGNMENT, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def gradescope_dir(work, assignment_path) -> Path:
    out = work / "gradescope"
    # The wheel is built as an instructor's run builds it (pip wheel, else from the installed files).
    assert write_package(load_assignment(assignment_path), "gradescope", str(out)) == 0
    return out


@pytest.fixture(scope="module")
def wheel(gradescope_dir) -> Path:
    (whl,) = gradescope_dir.glob("tcpcheck-*.whl")
    return whl


@pytest.fixture(scope="module")
def deps_dir(work) -> Path:
    """A folder with tcpcheck's dependencies (those its metadata requires, extras
    excepted), linked from the interpreter running the tests.

    It stands in for setup.sh's ``pip install`` of the wheel's dependencies,
    which downloads them from the package index: a ``.pth`` file in each
    fresh virtual environment below puts this folder on its ``sys.path``, so
    the environment has the dependencies, and pip sees them installed (their
    ``.dist-info`` is there), without any network.  Only these three are
    linked, not the whole site-packages (which holds the tcpcheck under test)."""
    names = [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in requires("tcpcheck") or [] if "extra ==" not in r]
    assert "networkx" in names, names
    d = work / "deps"
    d.mkdir()
    for name in names:
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            pytest.skip(f"{name} is not installed")
        base = Path(dist.locate_file(""))
        for top in sorted({f.parts[0] for f in dist.files or [] if f.parts and f.parts[0] != ".."}):
            if (base / top).exists() and not (d / top).exists():
                (d / top).symlink_to(base / top)
    return d


def fresh_venv(path: Path, deps_dir: Path) -> Path:
    """A new virtual environment (without pip: the outer pip installs into it)
    that sees ``deps_dir``; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "tcpcheck-test-deps.pth").write_text(f"{deps_dir}\n", encoding="utf-8")
    return python


def pip_into(python: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *args],
                   check=True, env=_env())


@pytest.fixture(scope="module")
def gradescope_venv(work, deps_dir, wheel) -> Path:
    """What setup.sh makes: a venv with the bundled wheel installed (offline here)."""
    venv = work / "gs-venv"
    pip_into(fresh_venv(venv, deps_dir), "--no-deps", "--no-index", str(wheel))
    return venv


def unzip(zip_path: Path, into: Path) -> None:
    """Extract as unzip does, keeping the files' modes."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, into)
            mode = info.external_attr >> 16 & 0o777
            if mode:
                os.chmod(into / info.filename, mode)


def gradescope_root(tmp_path: Path, gradescope_dir: Path, venv: Path | None, files: dict[str, str]) -> Path:
    """``<root>/autograder`` as Gradescope lays it out for one submission."""
    ag = tmp_path / "root" / "autograder"
    for sub in ("source", "submission", "results"):
        (ag / sub).mkdir(parents=True)
    unzip(gradescope_dir / "autograder.zip", ag / "source")
    shutil.copy2(ag / "source" / "run_autograder", ag / "run_autograder")  # as the harness does
    if venv is not None:
        (ag / "tcpcheck-venv").symlink_to(venv)
    for name, text in files.items():
        (ag / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (ag / "submission" / name).write_text(text, encoding="utf-8")
    return tmp_path / "root"


def run_gradescope(root: Path) -> dict:
    r = subprocess.run([str(root / "autograder" / "run_autograder")], env=_env(AUTOGRADER_ROOT=str(root)),
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    text = (root / "autograder" / "results" / "results.json").read_text(encoding="utf-8")
    return json.loads(text)


def visible_text(results: dict) -> str:
    """Everything of a Gradescope result a student sees before the due date."""
    parts = [results.get("output", "")]
    parts += [t.get("name", "") + "\n" + t.get("output", "") for t in results.get("tests", [])
              if t.get("visibility", "visible") == "visible"]
    return html.unescape("\n".join(parts))


def check_gradescope_shape(results: dict) -> None:
    assert isinstance(results["score"], (int, float))
    for t in results["tests"]:
        assert {"name", "score", "max_score", "status"} <= set(t)
        assert t["status"] in ("passed", "failed")
        assert t.get("visibility", "visible") in ("visible", "hidden", "after_due_date", "after_published")
        assert t["score"] <= t["max_score"] + 1e-9 or t["max_score"] == 0


# --- Gradescope -------------------------------------------------------------------------

def test_gradescope_package_files(gradescope_dir, wheel):
    names = {p.name for p in gradescope_dir.iterdir()}
    assert GS_FILES | {"autograder.zip", wheel.name, "README.txt"} <= names
    with zipfile.ZipFile(gradescope_dir / "autograder.zip") as z:
        members = {i.filename: i for i in z.infolist()}
        # the files themselves at the zip's root, not a folder holding them
        assert set(members) == GS_FILES | {wheel.name}
        assert members["run_autograder"].external_attr >> 16 & 0o111
        assert z.read("reference.rules") == REFERENCE.read_bytes()
        toml = tomllib.loads(z.read("assignment.toml").decode())
        assert z.read("run_autograder").startswith(b"#!/usr/bin/env bash\n")
    assert toml["reference"] == "reference.rules"
    assert toml["configurations"][1]["name"] == "reliable" and toml["tests"][2]["visibility"] == "hidden"
    assert os.stat(gradescope_dir / "run_autograder").st_mode & stat.S_IXUSR
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(gradescope_dir / script)], check=True)
    readme = (gradescope_dir / "README.txt").read_text()
    assert "docker run" in readme and "AUTOGRADER_ROOT" in readme


def test_gradescope_setup_sh(gradescope_dir, wheel):
    """Not run (root, apt, the package index): what it would do."""
    text = (gradescope_dir / "setup.sh").read_text()
    lines = text.splitlines()
    assert lines[0] == "#!/usr/bin/env bash" and "set -euo pipefail" in lines
    assert "apt-get install -y --no-install-recommends python3 python3-venv graphviz" in text
    assert "apt-get install -y --no-install-recommends python3.11 python3.11-venv" in text  # Ubuntu 22.04
    assert "VENV=/autograder/tcpcheck-venv" in text and '"$PYTHON" -m venv "$VENV"' in text
    assert f'"$VENV/bin/python" -m pip install "$SOURCE/{wheel.name}"' in text
    # a broken assignment fails the build, not a student's run; the reference's side is computed once
    assert ('TCPCHECK_CACHE="$SOURCE/.tcpcheck-cache" "$VENV/bin/tcpcheck" grade --assignment '
            '"$SOURCE/assignment.toml" --prepare') in lines
    run = (gradescope_dir / "run_autograder").read_text()
    assert 'export TCPCHECK_CACHE="$SOURCE/.tcpcheck-cache"' in run.splitlines()[0:40] or \
        any(line.startswith('export TCPCHECK_CACHE="$SOURCE/.tcpcheck-cache"') for line in run.splitlines())


def test_gradescope_grades_a_table_with_one_wrong_cell(tmp_path, gradescope_dir, gradescope_venv, assignment_path):
    root = gradescope_root(tmp_path, gradescope_dir, gradescope_venv, {"tcp.rules": STUDENT_TEXT})
    results = run_gradescope(root)
    check_gradescope_shape(results)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["the table, cell by cell"]["score"] == ROWS_SCORE
    # The behaviour scores are the grader's (pinned by its own tests): partial credit here, and below
    # the very score the grader gives in-process, whatever the grader's current formula.
    seed = tests["behaviour in configuration 'seed'"]
    assert seed["status"] == "failed" and 0 < seed["score"] < seed["max_score"] == 30
    hidden = tests["behaviour in configuration 'reliable'"]
    assert hidden["visibility"] == "hidden"
    assert [t["name"] for t in results["tests"] if t.get("visibility") == "hidden"] == [hidden["name"]]
    # the same score as the grader in-process on the same table
    student = tmp_path / "tcp.rules"
    student.write_text(STUDENT_TEXT, encoding="utf-8")
    expected = grade_file(Prepared(load_assignment(assignment_path)), student)
    assert results["score"] == pytest.approx(expected.score, abs=1e-3)
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-3)
    # the messages name the file as the student uploaded it, not where Gradescope put it
    assert "tcp.rules:35" in tests["the table, cell by cell"]["output"]
    assert str(root) not in json.dumps(results)
    # nothing of the reference's cells where the student's differ, in anything visible
    seen = visible_text(results)
    wrong = [c for c in compare_cells(load_table(REFERENCE), load_table(student)) if not c.right]
    assert [(c.state, c.event) for c in wrong] == [("TIME_WAIT", "timeout 2MSL")]
    for c in wrong:
        assert c.expected not in seen
    assert "F20, 3.10.8" not in seen and "the reference does delete" not in seen


def test_gradescope_grades_the_only_file_whatever_its_name(tmp_path, gradescope_dir, gradescope_venv):
    root = gradescope_root(tmp_path, gradescope_dir, gradescope_venv, {"lab/my table.txt": STUDENT_TEXT})
    results = run_gradescope(root)
    check_gradescope_shape(results)
    assert {t["name"]: t["score"] for t in results["tests"]}["the table, cell by cell"] == ROWS_SCORE


@pytest.mark.parametrize("files, says", [
    ({}, "No file was submitted. Upload your file, named tcp.rules."),
    ({"a.rules": "x", "b.rules": "y"}, "The submission holds 2 files (a.rules b.rules)"),
])
def test_gradescope_without_a_single_submission(tmp_path, gradescope_dir, gradescope_venv, files, says):
    root = gradescope_root(tmp_path, gradescope_dir, gradescope_venv, files)
    results = run_gradescope(root)
    check_gradescope_shape(results)
    assert results["score"] == 0
    (test,) = results["tests"]
    assert test["name"] == "the submission" and test["status"] == "failed" and test["max_score"] == 100
    assert says in test["output"]


def test_gradescope_when_tcpcheck_fails(tmp_path, gradescope_dir, gradescope_venv):
    root = gradescope_root(tmp_path, gradescope_dir, gradescope_venv, {"tcp.rules": STUDENT_TEXT})
    (root / "autograder" / "source" / "assignment.toml").write_text("title = [unclosed\n")
    results = run_gradescope(root)
    check_gradescope_shape(results)
    assert results["score"] == 0
    (test,) = results["tests"]
    assert test["name"] == "the autograder" and test["status"] == "failed"
    assert "could not grade your submission: the assignment could not be read" in test["output"]


def test_gradescope_without_tcpcheck_installed(tmp_path, gradescope_dir):
    root = gradescope_root(tmp_path, gradescope_dir, None, {"tcp.rules": STUDENT_TEXT})
    results = run_gradescope(root)
    (test,) = results["tests"]
    assert test["name"] == "the autograder" and "tcpcheck is not installed" in test["output"]


# --- PrairieLearn -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def prairielearn_dir(work, assignment_path, wheel) -> Path:
    out = work / "prairielearn"
    # dependencies="image": no download of the dependency wheels (tested apart, below)
    assert write_package(load_assignment(assignment_path), "prairielearn", str(out), wheel=wheel,
                         dependencies="image") == 0
    return out


@pytest.fixture(scope="module")
def prairielearn_venv(work, deps_dir) -> Path:
    """Where run.sh installs tcpcheck (TCPCHECK_VENV): fresh, with the dependencies only."""
    venv = work / "pl-venv"
    fresh_venv(venv, deps_dir)
    return venv


def run_prairielearn(tmp_path: Path, pl_dir: Path, venv: Path, files: dict[str, str]) -> dict:
    job = tmp_path / "root" / "grade"
    (job / "student").mkdir(parents=True)
    (job / "serverFilesCourse").mkdir()
    shutil.copytree(pl_dir / "tests", job / "tests")
    shutil.copytree(pl_dir / "serverFilesCourse" / "tcpcheck", job / "serverFilesCourse" / "tcpcheck")
    for name, text in files.items():
        (job / "student" / name).write_text(text, encoding="utf-8")
    r = subprocess.run([str(job / "tests" / "run.sh")], capture_output=True, text=True, timeout=180,
                       env=_env(GRADE_ROOT=str(tmp_path / "root"), TCPCHECK_VENV=str(venv),
                                TCPCHECK_PYTHON=sys.executable))
    assert r.returncode == 0, r.stdout + r.stderr
    results = json.loads((job / "results" / "results.json").read_text(encoding="utf-8"))
    assert isinstance(results.get("gradable", True), bool)
    if results.get("gradable", True):
        assert 0 <= results["score"] <= 1
    else:
        assert results["format_errors"]
    return results


def test_prairielearn_package_files(prairielearn_dir, wheel, assignment_path):
    info = json.loads((prairielearn_dir / "info.json").read_text())
    assert info["gradingMethod"] == "External" and info["type"] == "v3"
    assert info["externalGradingOptions"] == {
        "enabled": True, "image": DEFAULT_IMAGE, "entrypoint": "/grade/tests/run.sh",
        "serverFilesCourse": ["tcpcheck/"], "timeout": 30 + 30 * 5 + 60, "enableNetworking": False}
    assert 'file-names="tcp.rules"' in (prairielearn_dir / "question.html").read_text()
    run = prairielearn_dir / "tests" / "run.sh"
    assert run.read_text().startswith("#!/usr/bin/env bash\n") and os.stat(run).st_mode & stat.S_IXUSR
    subprocess.run(["bash", "-n", str(run)], check=True)
    assert (prairielearn_dir / "tests" / "reference.rules").read_bytes() == REFERENCE.read_bytes()
    assert tomllib.loads((prairielearn_dir / "tests" / "assignment.toml").read_text())["reference"] == "reference.rules"
    sfc = prairielearn_dir / "serverFilesCourse" / "tcpcheck"
    assert sorted(p.name for p in sfc.iterdir()) == [wheel.name]  # the reference is not in the shared folder
    # nothing a student sees names the reference or the configurations
    question = (prairielearn_dir / "question.html").read_text()
    assert "reliable" not in question and "rfc9293" not in question


def test_prairielearn_runs_offline(tmp_path, prairielearn_dir, prairielearn_venv, assignment_path):
    results = run_prairielearn(tmp_path, prairielearn_dir, prairielearn_venv, {"tcp.rules": STUDENT_TEXT})
    assert results["gradable"] is True
    student = tmp_path / "tcp.rules"
    student.write_text(STUDENT_TEXT, encoding="utf-8")
    expected = grade_file(Prepared(load_assignment(assignment_path)), student)
    assert results["score"] == pytest.approx(expected.score / expected.max_score, abs=1e-4)
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["1. the table, cell by cell"]["points"] == ROWS_SCORE
    assert (prairielearn_venv / "bin" / "tcpcheck").exists()  # run.sh installed it, from the wheel only


def test_prairielearn_not_gradable(tmp_path, prairielearn_dir, prairielearn_venv):
    results = run_prairielearn(tmp_path / "a", prairielearn_dir, prairielearn_venv, {})
    assert results["gradable"] is False and "Upload your file, named tcp.rules" in results["format_errors"][0]
    results = run_prairielearn(tmp_path / "b", prairielearn_dir, prairielearn_venv, {"tcp.rules": "not a table\n"})
    assert results["gradable"] is False


def test_prairielearn_when_tcpcheck_fails(tmp_path, prairielearn_dir, prairielearn_venv):
    broken = tmp_path / "pkg"
    shutil.copytree(prairielearn_dir, broken)
    (broken / "tests" / "assignment.toml").write_text("title = [unclosed\n")
    results = run_prairielearn(tmp_path, broken, prairielearn_venv, {"tcp.rules": STUDENT_TEXT})
    assert results["gradable"] is False
    assert "could not grade your submission: the assignment could not be read" in results["message"]


def test_prairielearn_dependencies_need_the_index(tmp_path, assignment_path, wheel, monkeypatch):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(PackageError, match="cannot download the wheels of tcpcheck's dependencies.*"
                                           "TCPCHECK_PACKAGE_DEPENDENCIES=image"):
        write_package(load_assignment(assignment_path), "prairielearn", str(tmp_path / "out"), wheel=wheel)


# --- the package's inputs ---------------------------------------------------------------

def test_bad_output_folder(tmp_path, assignment_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    rc = main(["grade", "--package", "gradescope", "--assignment", str(assignment_path), "-o", str(a_file)])
    assert rc == 2 and capsys.readouterr().err == f"tcpcheck: error: {a_file}: cannot write the autograder there: not a directory\n"
    with pytest.raises(PackageError, match="would overwrite"):
        write_package(load_assignment(assignment_path), "gradescope", str(assignment_path.parent))
    with pytest.raises(PackageError, match="needs -o DIR"):
        write_package(load_assignment(assignment_path), "gradescope", None)


def test_the_assignment_keeps_every_line_but_the_reference(tmp_path):
    (tmp_path / "private").mkdir()
    shutil.copyfile(REFERENCE, tmp_path / "private" / "ref.rules")
    text = ASSIGNMENT.replace('reference = "builtin:rfc9293"', "reference = 'private/ref.rules'")
    (tmp_path / "lab.toml").write_text(text)
    new = _rewritten_assignment(load_assignment(tmp_path / "lab.toml"))
    old_lines, new_lines = text.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    assert [(o, n) for o, n in zip(old_lines, new_lines) if o != n] == [
        ("reference = 'private/ref.rules'   # the instructor's table",
         'reference = "reference.rules"   # the instructor\'s table')]


def test_wheel_from_the_installed_files(tmp_path, deps_dir):
    """The fallback when pip cannot build (offline): a wheel assembled from
    the installed package, which installs and runs in a fresh environment."""
    whl = build_wheel(tmp_path / "w", method="files")
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
        info = f"tcpcheck-{distribution('tcpcheck').version}.dist-info"
        assert {f"{info}/METADATA", f"{info}/WHEEL", f"{info}/RECORD", f"{info}/entry_points.txt",
                "tcpcheck/model/rfc9293.rules", "tcpcheck/model/grading/examples/write.toml",
                "tcpcheck/model/grading/package.py", "tcpcheck/proofs/cli.py"} <= names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert "tcpcheck.commands" in z.read(f"{info}/entry_points.txt").decode()
    python = fresh_venv(tmp_path / "venv", deps_dir)
    pip_into(python, "--no-deps", "--no-index", str(whl))
    r = subprocess.run([str(tmp_path / "venv" / "bin" / "tcpcheck"), "grade", "--init", "write"],
                       capture_output=True, text=True, env=_env())
    assert r.returncode == 0 and 'kind = "table"' in r.stdout


def test_wheel_offline_falls_back_on_the_installed_files(tmp_path, monkeypatch):
    """Without the package index, pip cannot fetch the build backend: the wheel is assembled instead."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(PackageError, match="pip wheel .* failed: ERROR: .*setuptools"):
        build_wheel(tmp_path / "pip", method="pip")
    whl = build_wheel(tmp_path / "auto")
    with zipfile.ZipFile(whl) as z:
        assert "tcpcheck/model/grading/package.py" in z.namelist()
        assert "Generator: tcpcheck grade --package" in z.read(
            f"tcpcheck-{distribution('tcpcheck').version}.dist-info/WHEEL").decode()
