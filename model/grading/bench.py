"""How fast ``tcpcheck grade`` is: the issue's speed targets as a benchmark.

    python -m tcpcheck.model.grading.bench [--assignment A.toml] [--count 200] [--jobs 2] [--serial 20]

(a) **One submission**, without proofs, in a fresh Python process pinned to
one core: *cold* is the wall time from starting the process to the first
result (Python's start, the imports, reading the assignment, preparing the
reference's side of every test, grading one table with a single-cell
mistake); *warm* is the mean time of grading further tables in the same
process once the reference is prepared.  Cold is measured twice: with
nothing cached, and with the reference's side cached as ``tcpcheck grade
--prepare`` leaves it (the Gradescope package does so at image build).
Target: cold under 2 s.  Nothing else here uses a cache.

(b) **A class**: ``--count`` submissions generated from the assignment's
reference (copies with one realistic mistake each: a wrong next state, an
action left out or added, a row left out; a few correct; about one in thirty
unloadable) graded by :func:`.batch.grade_folder` with ``--jobs`` workers,
preparation included.  Target: 200 submissions in under 5 minutes on 2 cores.

The baselines, measured in the same run and the same way, so that the ratios
stay meaningful on a slower or faster machine:

* for (a), a plain ``tcpcheck check`` of the reference table in each of the
  assignment's configurations, in the same one-core process: grading one
  submission costs this many checks;
* for (b), ``--serial`` of the same submissions, evenly spaced through the
  class, graded with one worker: the speed-up of ``--jobs`` workers per
  submission (0 skips it; ``--serial 200`` grades them all again).

The submissions are generated with a fixed seed, so every run grades the
same class.  It prints figures and returns 0; a run in which some student
got no result file returns 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["bench", "generate_class", "TARGET_ONE_SECONDS", "TARGET_CLASS_SECONDS"]

TARGET_ONE_SECONDS = 2.0
TARGET_CLASS_SECONDS = 300.0
TARGET_CLASS_SIZE = 200
DEFAULT_ASSIGNMENT = Path(__file__).with_name("examples") / "write.toml"

_STATES = ("CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
           "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK")
#: Mistakes students make often, as (row text, replacement) of RFC 9293's table; used when they apply.
_COMMON = ("no-closing", "time-wait-forever", "two-way-handshake", "last-ack-silent", "fin-resent-as-new")


# --- a class of submissions ------------------------------------------------------

def _rows(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#") and "|" in line]


def _one_cell(lines: list[str], i: int, rng: random.Random) -> tuple[list[str], str] | None:
    """The table with one cell of row ``i`` changed, and what was done (None: nothing to do)."""
    cols = [c.strip() for c in lines[i].split("|")]
    if len(cols) < 4:
        return None
    states = [s.strip() for s in cols[0].split(",")]
    state = rng.choice(states)
    kind = rng.choice(("to", "to", "drop-action", "add-action", "missing"))
    new = list(cols)
    new[0] = state
    if kind == "to":
        choices = [s for s in _STATES if s not in (state, "CLOSED") and s != cols[3]]
        new[3] = rng.choice(choices)
        what = f"{state} / {cols[1]}: goes to {new[3]}"
    elif kind == "drop-action":
        actions = [a.strip() for a in cols[2].split(";") if a.strip() not in ("", "-")]
        if not actions:
            return None
        dropped = rng.choice(actions)
        new[2] = "; ".join(a for a in actions if a != dropped) or "-"
        what = f"{state} / {cols[1]}: leaves out '{dropped}'"
    elif kind == "add-action":
        if "snd ACK" in cols[2]:
            return None
        new[2] = "snd ACK" if cols[2] in ("", "-") else f"{cols[2]}; snd ACK"
        what = f"{state} / {cols[1]}: also sends an ACK"
    else:
        new = None
        what = f"{state} / {cols[1]}: no row"
    rest = [s for s in states if s != state]
    out = list(lines)
    replaced = []
    if rest:
        replaced.append(" | ".join([", ".join(rest), *cols[1:]]))
    if new is not None:
        replaced.append(" | ".join(new))
    out[i:i + 1] = replaced
    return out, what


def _unloadable(lines: list[str], rng: random.Random) -> tuple[list[str], str]:
    rows = _rows(lines)
    i = rng.choice(rows)
    out = list(lines)
    kind = rng.choice(("typo", "columns", "duplicate"))
    if kind == "typo":
        out[i] = out[i].replace("rcv ", "recv ", 1) if "rcv " in out[i] else out[i].replace("|", "| bogus", 1)
    elif kind == "columns":
        out[i] = out[i].rsplit("|", 2)[0]
    else:
        out.insert(i + 1, out[i])
    return out, f"does not load ({kind})"


def generate_class(reference_text: str, folder: Path, count: int, partial: bool = True,
                   seed: int = 9293) -> dict[str, str]:
    """Write ``count`` submissions ``s000.rules``... into ``folder``; returns id -> what is wrong.

    Every mistake is one cell, and is checked to load (``partial`` as the
    assignment has it); the unloadable ones are meant not to."""
    from ..errors import InputError
    from ..mutants import MUTANTS
    from ..table import parse_table

    rng = random.Random(seed)
    lines = reference_text.splitlines()
    rows = _rows(lines)
    common = {}
    for name in _COMMON:
        try:
            common[name] = MUTANTS[name].edited(reference_text)
        except (RuntimeError, KeyError):
            pass  # a reference written differently from RFC 9293's table
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, str] = {}
    for n in range(count):
        sid = f"s{n:03d}"
        roll = rng.random()
        if n % 30 == 29:
            text_lines, what = _unloadable(lines, rng)
            text = "\n".join(text_lines) + "\n"
        elif roll < 0.08:
            text, what = reference_text, "correct"
        elif roll < 0.35 and common:
            name = rng.choice(sorted(common))
            text, what = common[name], f"common mistake: {name}"
        else:
            for _ in range(1000):
                got = _one_cell(lines, rng.choice(rows), rng)
                if got is None:
                    continue
                text = "\n".join(got[0]) + "\n"
                try:
                    parse_table(text, f"{sid}.rules", partial=partial)
                except InputError:
                    continue
                what = got[1]
                break
            else:  # pragma: no cover - a table none of whose rows can be changed
                text, what = reference_text, "correct"
        (folder / f"{sid}.rules").write_text(text, encoding="utf-8")
        made[sid] = what
    return made


# --- (a) one submission, one core ------------------------------------------------

_ONE = r"""
import json, sys, time
t0 = time.perf_counter()
from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.grade import Prepared, grade_file
t1 = time.perf_counter()
a = load_assignment(sys.argv[1])
t2 = time.perf_counter()
p = Prepared(a).warm()
t3 = time.perf_counter()
r = grade_file(p, sys.argv[2])
t4 = time.perf_counter()
print("cold", flush=True)
warm = []
for f in sys.argv[3:]:
    s = time.perf_counter()
    grade_file(p, f)
    warm.append(time.perf_counter() - s)
from tcpcheck.model.checker import run
check = {}
for name, cfg in a.configurations.items():
    s = time.perf_counter()
    run(cfg, a.reference, max_states=a.max_states)
    check[name] = time.perf_counter() - s
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "prepare": t3 - t2, "grade": t4 - t3,
                  "score": r.score, "max_score": r.max_score, "warm": warm, "check": check}), flush=True)
"""


def _one_core() -> int | None:
    try:
        return min(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return None


def _single(assignment: Path, first: Path, more: list[Path], cache: str = "off") -> dict:
    """(a) in a fresh process pinned to one core, with TCPCHECK_CACHE = ``cache``."""
    core = _one_core()

    def pin():
        if core is not None:
            os.sched_setaffinity(0, {core})
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _ONE, str(assignment), str(first), *map(str, more)],
                            stdout=subprocess.PIPE, text=True, preexec_fn=pin,
                            env={**os.environ, "TCPCHECK_CACHE": cache})
    line = proc.stdout.readline()
    cold = time.perf_counter() - started
    rest = proc.stdout.read()
    if proc.wait() != 0 or line.strip() != "cold":
        raise RuntimeError(f"the one-submission run failed (exit {proc.returncode})")
    out = json.loads(rest)
    out["cold_wall"] = cold
    out["core"] = core
    return out


# --- (b) a class -----------------------------------------------------------------

def _class(assignment, folder: Path, out: Path, jobs: int) -> tuple[float, int]:
    from .batch import grade_folder

    started = time.perf_counter()
    code = grade_folder(assignment, folder, out, jobs=jobs)
    return time.perf_counter() - started, code


def _prepare_seconds(assignment) -> float:
    from .grade import Prepared

    started = time.perf_counter()
    Prepared(assignment).warm()
    return time.perf_counter() - started


def bench(assignment: str | Path | None = None, count: int = TARGET_CLASS_SIZE, jobs: int = 2,
          serial: int = 20, keep: str | Path | None = None) -> int:
    """Run (a) and (b) and print the figures (see the module); returns the exit code."""
    from .assignment import load_assignment

    path = Path(assignment) if assignment else DEFAULT_ASSIGNMENT
    a = load_assignment(path)
    if a.kind != "table":
        from ..errors import InputError
        raise InputError(f"{path}: the benchmark grades rule tables; this assignment is of kind '{a.kind}'")
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="tcpcheck-grade-bench-"))
    try:
        ref_text = Path(a.reference_path).read_text(encoding="utf-8")
        made = generate_class(ref_text, work / "class", count, partial=a.partial)
        unloadable = sum(w.startswith("does not load") for w in made.values())
        print(f"tcpcheck grade bench: assignment {path.name} ({a.title}): {len(a.tests)} test entries, "
              f"configurations {', '.join(a.configurations)}; {os.cpu_count()} core(s) here", flush=True)

        # (a)
        loadable = [sid for sid, w in made.items() if w not in ("correct",) and not w.startswith("does not load")]
        first, more = work / "class" / f"{loadable[0]}.rules", [work / "class" / f"{s}.rules" for s in loadable[1:6]]
        os.environ["TCPCHECK_CACHE"] = "off"  # every figure here computes the reference's side itself...
        one = _single(path, first, more)
        cache = work / "cache"  # ... but one: as after 'tcpcheck grade --prepare' (Gradescope's image)
        _single(path, first, [], str(cache))
        cached = _single(path, first, [], str(cache))
        warm = sum(one["warm"]) / len(one["warm"]) if one["warm"] else one["grade"]
        check = sum(one["check"].values())
        core = f"core {one['core']}" if one["core"] is not None else "one process"
        print(f"\n(a) one submission ({first.name}: {made[first.stem]}), no proofs, pinned to {core}:")
        print(f"    cold {one['cold_wall']:.2f} s wall from process start to the result: imports "
              f"{one['imports']:.2f} s, assignment {one['load']:.2f} s, preparing the reference "
              f"{one['prepare']:.2f} s, grading {one['grade']:.2f} s (the rest is Python starting)")
        middle = sorted(one["warm"])[len(one["warm"]) // 2] if one["warm"] else warm
        print(f"    warm {warm:.2f} s per submission (mean of {len(one['warm'])}, median {middle:.2f} s; "
              f"the reference prepared)")
        print(f"    baseline: plain check of the reference table in its {len(one['check'])} configuration(s) "
              f"{check:.2f} s (" + ", ".join(f"{k} {v:.2f} s" for k, v in one["check"].items()) + ")")
        print(f"    ratio: one warm grading costs {warm / check:.2f}x a plain check of the same configurations")
        print(f"    cold with the reference's side cached (--prepare, as the Gradescope package does at "
              f"image build): {cached['cold_wall']:.2f} s (preparing {cached['prepare']:.2f} s)")
        met = "met" if one["cold_wall"] < TARGET_ONE_SECONDS else "NOT met"
        met_cached = "met" if cached["cold_wall"] < TARGET_ONE_SECONDS else "NOT met"
        print(f"    target cold under {TARGET_ONE_SECONDS:g} s: nothing cached {met} ({one['cold_wall']:.2f} s); "
              f"reference cached {met_cached} ({cached['cold_wall']:.2f} s)")

        # (b)
        print(f"\n(b) {count} submissions ({unloadable} unloadable, "
              f"{sum(w == 'correct' for w in made.values())} correct, the rest one mistake each), "
              f"{jobs} worker(s), preparation included:", flush=True)
        prep = _prepare_seconds(a)
        t_par, code = _class(a, work / "class", work / "out", jobs)
        missing = [sid for sid in made if not (work / "out" / f"{sid}.json").is_file()]
        per = max(t_par - prep, 1e-9) / count
        print(f"    {t_par:.1f} s in all ({count / t_par:.2f} submissions/s; preparing the reference "
              f"{prep:.2f} s, then {per:.3f} s per submission); exit code {code}")
        if serial > 0:
            n = min(serial, count)
            sub = work / "serial"
            sub.mkdir(exist_ok=True)
            ids = list(made)
            for k in range(n):  # evenly spaced through the class, so the mix of mistakes is the same
                sid = ids[k * count // n]
                shutil.copy(work / "class" / f"{sid}.rules", sub / f"{sid}.rules")
            t_ser, _ = _class(a, sub, work / "serial-out", 1)
            per_ser = max(t_ser - prep, 1e-9) / n
            print(f"    baseline: {n} of them (one in {count / n:g}) graded with 1 worker: {t_ser:.1f} s, "
                  f"{per_ser:.3f} s per "
                  f"submission (so about {prep + per_ser * count:.0f} s for all {count})")
            print(f"    ratio: {jobs} workers grade {per_ser / per:.2f}x as many submissions per second as 1")
        scaled = prep + per * TARGET_CLASS_SIZE
        met = "met" if scaled < TARGET_CLASS_SECONDS else "NOT met"
        scale = f", scaled to {TARGET_CLASS_SIZE}: {scaled:.1f} s" if count != TARGET_CLASS_SIZE else ""
        print(f"    target {TARGET_CLASS_SIZE} in under {TARGET_CLASS_SECONDS / 60:g} minutes with 2 workers: "
              f"{met} ({t_par:.1f} s{scale})")
        if missing:
            print(f"    {len(missing)} student(s) got no result: {', '.join(missing[:10])}")
        if keep:
            print(f"\nthe class and its results are in {work}: {work / 'out' / 'summary.html'}")
        return 1 if missing else 0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tcpcheck.model.grading.bench",
                                description="Benchmark tcpcheck grade: one submission cold and warm on one "
                                            "core, and a generated class graded by several workers.")
    p.add_argument("--assignment", metavar="A.toml", help="the assignment (default: the 'write' example)")
    p.add_argument("--count", type=int, default=TARGET_CLASS_SIZE, help="submissions in the class (default 200)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes for the class (default 2)")
    p.add_argument("--serial", type=int, default=20, metavar="N",
                   help="baseline: grade N of them, evenly spaced, with 1 worker (default 20; 0 skips it)")
    p.add_argument("--keep", metavar="DIR", help="write the class and its results here and keep them")
    args = p.parse_args(argv)
    if args.count < 1 or args.jobs < 1 or args.serial < 0:
        p.error("--count and --jobs must be at least 1, --serial at least 0")
    from ..errors import InputError
    try:
        return bench(args.assignment, args.count, args.jobs, args.serial, args.keep)
    except InputError as exc:
        print(f"tcpcheck: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
