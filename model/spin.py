"""SPIN beside tcpcheck (issue 13): ``tcpcheck bench --vs spin`` and ``tcpcheck check --engine spin``.

Both run SPIN 6.5.2 (Debian's ``spin``, with ``gcc``) on the Promela that
:mod:`model.promela` generates from the configuration and the rule table:
``spin -a``, then pan compiled with ``-O2 -DNOREDUCE -DSAFETY`` (no partial
order reduction, so that SPIN stores every state tcpcheck does; safety only).

* :func:`bench` runs tcpcheck's search (in a fresh process, with the engine
  asked for) and pan on the same configurations in one run, and prints the
  states (which must be equal), seconds, states/s, peak memory and bytes per
  state side by side, with the ratios of issue 13's targets.  pan's hash
  table is sized to the states (``-w``: the next power of two above twice
  their number), as SPIN's manual advises, so its memory is not a default's.
* :func:`check` decides the safety properties SPIN can check on the
  generated model (the invariants INV1-INV4, the step property STEP1 and
  deadlock freedom DEAD1), with ``-DNCORE=N`` (SPIN's multi-core search) and
  ``-DBITSTATE`` (a bit per hashed state: memory for spaces that do not fit,
  at the price of coverage) when asked.  pan stops at its first violation:
  that property is violated, its trail is replayed (``pan -r -v``) and read
  back, step by step, into the model's own states and steps (each step of
  the trail is matched with the successor tcpcheck's model has with the same
  state after it), then pan runs again without that check, until a run
  finds nothing.  pan's first trail is a depth-first path; each is
  shortened by pan ``-i`` (on a second pan compiled with ``-DREACH``, so
  that a state reached again by a shorter path is searched again) within
  :data:`SHORTEN_SECONDS`, and is known to be a shortest run when that
  search ends (:class:`Trail`).  The reachability and liveness properties
  are not checked by this engine and are reported so.

  The report is check's own (:func:`tcpcheck.model.report.summary_lines`
  on :attr:`SpinCheck.result`, with SPIN's search said by :class:`_Engine`):
  the same verdict lines, counterexamples, known consequences of RFC 9293,
  result line and what to run next, in English or Chinese.  Errors are
  English, as everywhere: pan that does not compile, runs out of memory
  (``-DMEMLIM``, from ``--max-memory``) or does not finish is exit 2
  (:class:`PanError`); a trail that is no run of the model is a bug of
  tcpcheck, an internal error (exit 3, :class:`TrailError`).
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, NamedTuple

from .config import Config
from .errors import InputError
from .engines import accepts
from .interface import stamp

__all__ = ["bench", "check", "require_tools", "Pan", "SPIN_CHECKS", "SpinCheck"]

#: pan's compilation: no partial order reduction (every state stored), safety properties only.
PAN_FLAGS = ("-O2", "-DNOREDUCE", "-DSAFETY")

#: The properties ``check --engine spin`` decides, by id.
SPIN_CHECKS = ("INV1", "INV2", "INV3", "INV4", "STEP1", "DEAD1")

INSTALL_HINT = "Debian/Ubuntu: apt-get install spin gcc"


def require_tools() -> None:
    """Raise InputError (exit 2) unless ``spin`` and ``gcc`` are on PATH."""
    missing = [t for t in ("spin", "gcc") if shutil.which(t) is None]
    if missing:
        raise InputError(f"SPIN needs {' and '.join(missing)} on PATH, which {'is' if len(missing) == 1 else 'are'} "
                         f"not there ({INSTALL_HINT})")


def spin_version() -> str:
    out = subprocess.run(["spin", "-V"], capture_output=True, text=True).stdout.strip()
    m = re.search(r"Spin Version ([\d.]+)", out)
    return m.group(1) if m else out


class Pan(NamedTuple):
    """What one run of pan reported."""

    states: int
    transitions: int
    depth: int
    vector: int  # bytes of SPIN's state vector
    memory_mib: float | None  # pan's "total actual memory usage"
    peak_mib: float  # the process's peak resident memory (getrusage of the child)
    seconds: float  # pan's own "elapsed time"
    errors: int
    message: str | None  # the first error, e.g. "tcpcheck: INV1 violated"
    output: str
    hash_bits: int | None
    max_depth: int  # the -m it ran with


class PanError(InputError):
    """SPIN could not do what it was asked (exit 2): pan did not compile, ran
    out of memory, or ended without finishing its search.  ``folder`` holds
    pan's files, kept for a look."""

    def __init__(self, message: str, folder: Path | None = None):
        super().__init__(message + (f" (pan's files are kept in {folder})" if folder is not None else ""))
        self.folder = folder


def _tail(text: str, n: int = 6) -> str:
    """The last ``n`` lines of ``text`` that say something, joined with " | "."""
    return " | ".join([line.strip() for line in text.splitlines() if line.strip()][-n:])


def _run(cmd, cwd, env=None) -> str:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        what = "spin could not generate pan.c from the Promela" if cmd[0] == "spin" else "gcc could not compile pan"
        raise PanError(f"{what}: '{' '.join(cmd)}' exited with {p.returncode}: {_tail(p.stderr or p.stdout)}",
                       Path(cwd))
    return p.stdout


def compile_pan(text: str | None, folder: Path, defines=(), optimise: str = "-O2", name: str = "pan") -> dict:
    """Write ``text`` to FOLDER/model.pml and generate pan.c (``spin -a``), unless
    ``text`` is None (pan.c is there), then compile it to FOLDER/``name``; returns
    the seconds of each and gcc's flags.  Raises :class:`PanError` when either fails."""
    t0 = time.perf_counter()
    if text is not None:
        (folder / "model.pml").write_text(text)
        _run(["spin", "-a", "model.pml"], folder)
    t1 = time.perf_counter()
    flags = [optimise] + [f for f in PAN_FLAGS if f != "-O2"] + list(defines)
    _run(["gcc", *flags, "-o", name, "pan.c"], folder)
    return {"spin": t1 - t0, "gcc": time.perf_counter() - t1, "flags": flags}


def _number(pattern: str, text: str, kind=int, default=None):
    m = re.search(pattern, text)
    return kind(m.group(1)) if m else default


def run_pan(folder: Path, hash_bits: int | None = None, skip: int = 0, args=()) -> Pan:
    """Run FOLDER/pan (its search depth raised until it suffices), as a child
    whose peak memory is measured; ``skip``: the TCPCHECK_SKIP bits."""
    env = dict(os.environ, TCPCHECK_SKIP=str(skip))
    depth = 100_000
    while True:
        cmd = ["./pan", f"-m{depth}"] + ([f"-w{hash_bits}"] if hash_bits else []) + list(args)
        for old in folder.glob("*trail"):
            old.unlink()
        with open(folder / "pan.out", "w") as out:
            child = subprocess.Popen(cmd, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        text = (folder / "pan.out").read_text()
        if "max search depth too small" in text and depth < 1 << 30:
            depth *= 10
            continue
        break
    _finished(text, child.returncode)
    message = re.search(r"pan:1: (.*?) \(at depth \d+\)", text)
    return Pan(states=_number(r"(\d+) states, stored", text),
               transitions=_number(r"(\d+) transitions", text, default=0),
               depth=_number(r"depth reached (\d+)", text, default=0),
               vector=_number(r"State-vector (\d+) byte", text, default=0),
               memory_mib=_number(r"([\d.]+)\s+total actual memory usage", text, float),
               peak_mib=usage.ru_maxrss / 1024,
               seconds=_number(r"elapsed time ([\d.e+-]+) seconds", text, float, 0.0),
               errors=_number(r"errors: (\d+)", text, default=0),
               message=message.group(1) if message else None, output=text,
               hash_bits=hash_bits, max_depth=depth)


def _finished(text: str, code: int) -> None:
    """Raise :class:`PanError` unless pan's output ``text`` is that of a search it
    finished, or stopped at an error: out of memory, it prints its statistics and
    "Search not completed" without an error, which is no verdict."""
    memory = re.search(r"pan: (reached -DMEMLIM bound|out of memory)", text)
    if memory:
        used = _number(r"([\d.e+]+) bytes more needed", text, float)
        more = f", {used / 2 ** 20:,.0f} MiB more needed" if used else ""
        raise PanError(f"SPIN ran out of memory ({memory.group(1)}{more}): give it more (--max-memory), "
                       "or search with a bit per state (--bitstate)")
    stopped_at_error = _number(r"errors: (\d+)", text, default=0) > 0  # pan says "not completed" then too
    if "states, stored" not in text or "Search not completed" in text and not stopped_at_error:
        raise PanError(f"pan ended without finishing its search (exit {code}): {_tail(text)}")


def hash_bits_for(states: int) -> int:
    """pan's -w for about ``states`` states: the next power of two above twice as many."""
    return max(10, math.ceil(math.log2(max(states, 1) * 2)))


# --- the benchmark ------------------------------------------------------------------------


#: bench --vs spin repeats a search (each side's) until its runs add up to this many seconds, and reports
#: the mean per run: pan's elapsed time counts ticks of 1/100 s (times()), so a search of 0.02 s is read
#: as 0.01-0.03 s; at most :data:`MAX_RUNS` runs.
REPEAT_SECONDS = 0.2
MAX_RUNS = 50


def _mean_of_runs(first: float, again: Callable[[], float], at_least: float) -> tuple[float, int]:
    """The mean seconds per run and the runs: ``first``, then ``again()`` until
    the runs add up to ``at_least`` seconds or :data:`MAX_RUNS` runs."""
    total, runs = first, 1
    while total < at_least and runs < MAX_RUNS:
        total += again()
        runs += 1
    return total / runs, runs


def _tcpcheck_row(config: Config, engine: str, edges: bool = True, cores: int = 1, precompute: bool = False,
                  at_least: float = 0.0) -> dict:
    """tcpcheck's bare search of ``config`` with ``engine`` (run in a fresh
    process), keeping its edges or not (as SPIN's safety run keeps none), on
    ``cores`` cores when the engine's explore takes them (bfs is one thread):
    the search's seconds, and from the rule table to the count (build() and
    the search); the cores the search used, as the exploration records them;
    its store's bytes (None for an engine that does not say them).  With
    ``precompute``, an engine whose explore takes it (packed) fills the endpoints'
    tables first, from the fixpoint the Promela's tables are made of: its
    seconds are counted in the build (``build_seconds``, and apart in
    ``precompute_seconds``), not in the search's, as SPIN's Promela
    generation is counted in SPIN's build and not in pan's search.  A search
    quicker than ``at_least`` seconds is run again (build() and the search,
    in the same process) until the runs' seconds add up to ``at_least``:
    ``seconds`` is then their mean, the first run included (``runs``, and
    ``first_seconds``); the memory and the rest are the first run's."""
    from .bench import _peak_mib, _start_mib
    from .checker import build
    from .engines import explore_function
    from .explorer import explore as bfs

    start = _start_mib()
    t0 = time.perf_counter()
    model = build(config)
    t1 = time.perf_counter()
    explore = explore_function(engine)
    options = {**({} if edges else {"edges": False}), **({"cores": cores} if accepts(engine, "cores") else {}),
               **({"precompute": True} if precompute and accepts(engine, "precompute") else {})}
    x = explore(model, **options)
    t2 = time.perf_counter()
    pre = getattr(x, "precompute_seconds", 0.0)
    n = len(x.states)
    peak = _peak_mib()
    stored = x.stored_bytes() if hasattr(x, "stored_bytes") else None
    seconds, runs = _mean_of_runs(x.seconds, lambda: explore(build(config), **options).seconds, at_least)
    return {"states": n, "transitions": x.transitions, "seconds": seconds, "edges": x.has_edges,
            "runs": runs, "first_seconds": x.seconds,
            "states_per_second": n / seconds if seconds else 0.0,
            "cores": getattr(x, "cores", 1 if explore is bfs else None),
            "build_seconds": t1 - t0 + pre, "precompute_seconds": pre, "total_seconds": t2 - t0,
            "total_states_per_second": n / (t2 - t0),
            "start_mib": start, "peak_mib": peak, "bytes_per_state": (peak - start) * 2 ** 20 / n,
            "stored_bytes": stored, "stored_bytes_per_state": stored / n if stored is not None else None,
            "store": getattr(x, "store", None)}


def _configs(names) -> list[tuple[str, str, Config]]:
    from .bench import SCALE_NAMES, _scale
    from .config import PRESETS, preset

    from .scale_bench import series

    scale = {**_scale(), **{k: v for k, v in series().items() if k != "default"}}  # and bench --scale's series
    out = []
    for name in names or SCALE_NAMES:
        if name in scale:
            out.append((name, *scale[name]))
        elif name in PRESETS:
            out.append((name, f"preset {name}", preset(name)))
        else:
            from .errors import closest
            hint = closest(name, list(scale) + list(PRESETS))
            raise InputError(f"bench --vs spin: no configuration '{name}'"
                             + (f"; did you mean '{hint}'?" if hint else "")
                             + f" (the scale series: {', '.join(SCALE_NAMES)}; bench --scale's: "
                             + f"{', '.join(n for n in series() if n != 'default')}; or a preset)")
    return out


#: Issue 13's targets: tcpcheck's states/s at least SPIN's (the search alone, and from the rule table to the
#: count), its stored bytes per state at most SPIN's state vector.
SPEED_TARGET = 1.0

#: The fields of tcpcheck's rows that bench --vs spin reports (of :func:`_tcpcheck_row`).
_OURS = ("seconds", "runs", "first_seconds", "states_per_second", "cores", "build_seconds", "precompute_seconds", "total_seconds",
         "total_states_per_second",
         "peak_mib", "start_mib", "bytes_per_state", "stored_bytes", "stored_bytes_per_state", "store",
         "transitions")


def _cores(n: int) -> str:
    return f"{n} core{'s' if n != 1 else ''}"


def _ratio(r: float | None, width: int = 5) -> str:
    return (f"{r:>{width}.2f}x" if r < 100 else f"{r:>{width}.0f}x") if r is not None else f"{'-':>{width + 1}}"


def _at_least(a: float | None, b: float | None) -> bool | None:
    """a >= b, or None (unmeasured) when either is."""
    return None if a is None or b is None else a >= b


def _met(ok: bool | None) -> str:
    return "unmeasured" if ok is None else "met" if ok else "NOT met"


def bench(names: list[str] | None = None, engine: str = "bfs", as_json: bool = False, cores: int = 1) -> int:
    """tcpcheck's search and SPIN's on each configuration (the scale series of
    ``bench --check``, or ``names``: its names or presets), in one run, both on
    ``cores`` cores (tcpcheck's engine with ``cores=N``, pan with -DNCORE=N
    when N > 1); prints them side by side with the ratios, the search alone
    and from the rule table to the count; returns 0, or 1 when a count differs."""
    from .bench import _fresh
    from .promela import promela
    from .scale_bench import can_search_without_edges

    if not isinstance(cores, int) or cores < 1:
        raise InputError(f"bench --vs spin --cores: expected a positive whole number, not '{cores}'")
    if cores > 1 and not accepts(engine, "cores"):
        raise InputError(f"bench --vs spin --cores {cores}: engine {engine} searches on one core (its explore "
                         "takes no cores), so SPIN would run on more than tcpcheck: use --engine packed, or "
                         "--cores 1")
    require_tools()
    configs = _configs(names)
    rows, differ = [], []
    edgeless = can_search_without_edges(engine)
    for name, what, cfg in configs:
        # compared with SPIN's safety run, which stores states and no edges: the search without edges
        # (where the engine has one), its endpoint tables precomputed as the Promela's are (where the
        # engine can: counted in its build); the search with edges, as check runs it, beside it
        with_edges = _fresh(_tcpcheck_row, cfg, engine, True, cores)
        ours = _fresh(_tcpcheck_row, cfg, engine, False, cores, True, REPEAT_SECONDS) if edgeless else \
            _fresh(_tcpcheck_row, cfg, engine, True, cores, False, REPEAT_SECONDS)
        n = ours["states"]
        t0 = time.perf_counter()
        text = promela(cfg, count=False)
        generate = time.perf_counter() - t0
        with tempfile.TemporaryDirectory(prefix="tcpcheck-spin-") as tmp:
            folder = Path(tmp)
            built = compile_pan(text, folder, [f"-DNCORE={cores}"] if cores > 1 else [])
            t1 = time.perf_counter()
            pan = run_pan(folder, hash_bits_for(n))
            pan_wall = time.perf_counter() - t1
            pan_seconds, pan_runs = _mean_of_runs(pan.seconds, lambda: run_pan(folder, hash_bits_for(n)).seconds,
                                                  REPEAT_SECONDS)
        spin_bps = pan.peak_mib * 2 ** 20 / pan.states
        spin_total = generate + built["spin"] + built["gcc"] + pan_wall
        row = {"config": name, "what": what, "states": n, "equal": pan.states == n == with_edges["states"],
               "tcpcheck": {"engine": engine, "edges": ours["edges"], **{k: ours[k] for k in _OURS}},
               "tcpcheck_with_edges": {k: with_edges[k] for k in _OURS},
               "spin": {"states": pan.states, "transitions": pan.transitions, "seconds": pan_seconds,
                        "runs": pan_runs, "first_seconds": pan.seconds,
                        "states_per_second": pan.states / pan_seconds if pan_seconds else None,
                        "peak_mib": pan.peak_mib, "pan_memory_mib": pan.memory_mib,
                        "state_vector_bytes": pan.vector, "bytes_per_state": spin_bps,
                        "hash_bits": pan.hash_bits, "cores": cores, "generate_seconds": generate,
                        "compile_seconds": built["spin"] + built["gcc"], "spin_a_seconds": built["spin"],
                        "gcc_seconds": built["gcc"], "pan_wall_seconds": pan_wall,
                        "total_seconds": spin_total, "total_states_per_second": pan.states / spin_total,
                        "flags": built["flags"]}}
        s, vector = row["spin"], pan.vector or None
        stored, stored_edges = ours["stored_bytes_per_state"], with_edges["stored_bytes_per_state"]
        row["speed_ratio"] = (ours["states_per_second"] / s["states_per_second"] if s["states_per_second"] else None)
        row["end_to_end_ratio"] = ours["total_states_per_second"] / s["total_states_per_second"]
        row["stored_ratio"] = stored / vector if vector and stored is not None else None
        row["stored_ratio_with_edges"] = stored_edges / vector if vector and stored_edges is not None else None
        row["memory_ratio"] = ours["bytes_per_state"] / vector if vector else None
        row["memory_ratio_with_edges"] = with_edges["bytes_per_state"] / vector if vector else None
        row["memory_ratio_to_spin_total"] = ours["bytes_per_state"] / spin_bps if spin_bps else None
        row["target_met"] = {"speed": _at_least(row["speed_ratio"], SPEED_TARGET),
                             "end_to_end": row["end_to_end_ratio"] >= SPEED_TARGET,
                             "memory": _at_least(1.0, row["stored_ratio"]),
                             "memory_with_edges": _at_least(1.0, row["stored_ratio_with_edges"])}
        rows.append(row)
        if not row["equal"]:
            differ.append(name)
        if not as_json:
            if len(rows) == 1:
                kept = "without edges, as SPIN's safety run keeps none" if edgeless else \
                    f"with edges: engine {engine} has no search without them"
                on = (f"{_cores(ours['cores'])}" if ours["cores"] is not None else "cores it does not say") + (
                    f", explore(cores={cores})" if accepts(engine, "cores") else ", one thread")
                print(f"tcpcheck bench --vs spin: tcpcheck's search (engine {engine}, {kept}; on {on}; a fresh "
                      f"process) and SPIN {spin_version()} (pan {' '.join(built['flags'])}, on {_cores(cores)}"
                      f"{'' if cores > 1 else ', no -DNCORE'}) on the same configurations, in one run; beside it "
                      "tcpcheck's search with edges, as check runs it")
                print(f"{'':<24} {'':>9} | {'tcpcheck, no edges' if edgeless else 'tcpcheck':^42} | "
                      f"{'with edges':^22} | {'SPIN':^44} | {'ratios':^27}")
                print(f"{'configuration':<24} {'states':>9} | {'s':>6} {'states/s':>9} {'peak MiB':>8} {'B/state':>8}"
                      f" {'stored':>6} | {'s':>6} {'B/state':>8} {'stored':>6} | {'s':>6} {'states/s':>9} "
                      f"{'peak MiB':>8} {'vector':>6} {'B/state':>8} | {'speed':>6} {'stored':>6} {'peak':>6} "
                      f"{'total':>6}")
            sps = f"{s['states_per_second']:>9,.0f}" if s["states_per_second"] else f"{'-':>9}"
            print(f"{name:<24} {n:>9,} | {ours['seconds']:>6.3f} {ours['states_per_second']:>9,.0f} "
                  f"{ours['peak_mib']:>8.1f} {ours['bytes_per_state']:>8.0f} {_bytes(stored)} | "
                  f"{with_edges['seconds']:>6.2f} {with_edges['bytes_per_state']:>8.0f} {_bytes(stored_edges)} | "
                  f"{pan_seconds:>6.3f} {sps} {pan.peak_mib:>8.1f} {pan.vector:>6} {spin_bps:>8.0f} | "
                  f"{_ratio(row['speed_ratio'])} {_ratio(row['stored_ratio'])} {_ratio(row['memory_ratio'])} "
                  f"{_ratio(row['memory_ratio_to_spin_total'])}", flush=True)
            if not row["equal"]:
                print(f"  the counts DIFFER: tcpcheck {n:,} states, SPIN {pan.states:,}", flush=True)
    out = stamp("bench-spin", {"engine": engine, "spin_version": spin_version(), "cores": cores,
                               "tcpcheck_cores": rows[0]["tcpcheck"]["cores"], "rows": rows,
                               "compared_without_edges": edgeless,
                               "targets": {"speed_ratio": SPEED_TARGET, "end_to_end_ratio": SPEED_TARGET,
                                           "bytes_per_state": "state_vector_bytes",
                                           "judged_bytes_per_state": "stored_bytes_per_state"},
                               "counts_equal": not differ})
    if as_json:
        print(json.dumps(out, indent=2))
        return 1 if differ else 0
    repeated = [f"{r['config']} (tcpcheck {r['tcpcheck']['runs']}, pan {r['spin']['runs']})" for r in rows
                if r["tcpcheck"]["runs"] > 1 or r["spin"]["runs"] > 1]
    print("(search alone: tcpcheck's seconds are its search's, SPIN's pan's own elapsed time (ticks of 1/100 s); "
          f"a search quicker than {REPEAT_SECONDS} s is run again until its runs add up to {REPEAT_SECONDS} s "
          f"(at most {MAX_RUNS} runs; tcpcheck's build() and search again in its fresh process, pan's run again) "
          "and its seconds are the mean per run, the first run included"
          + (f": runs at {', '.join(repeated)}" if repeated else "") + ". stored: the bytes "
          "the search's own store holds per state as it ends (the packed states, the visited set's hash table, "
          "parent, via and depth, and src, dst, lab and edge_offsets with edges; '-' for an engine that does not "
          "say them), "
          "the counterpart of SPIN's state vector ('vector', its bytes per stored state), which the memory "
          "target judges. B/state: tcpcheck's peak resident memory above its start, per state, which also "
          "holds the memo tables, the interpreter and chunk buffers; SPIN's its peak per state, with a hash "
          "table sized to the states (-w). ratios: speed: tcpcheck's states/s over SPIN's; stored and peak: "
          "stored and peak B/state over SPIN's vector; total: peak B/state over SPIN's B/state.)")
    print()
    pre = any(r["tcpcheck"]["precompute_seconds"] > 0 for r in rows)
    print("from the rule table to the count: tcpcheck's build() and search; SPIN's generating the Promela "
          "(tcpcheck's Python computes the endpoints' reactions into its tables), spin -a, gcc and pan's run"
          + (". tcpcheck's build is build() and the same precomputation: the endpoints' tables filled from the "
             "fixpoint over the endpoints alone (system.endpoint_closure, which the Promela's tables are made "
             "of), before the search and outside its seconds, as pan's search alone excludes the Promela's "
             "generation; the channels' steps are the search's (its kernel's), as pan computes its channels itself"
             if pre else ""))
    print(f"{'':<24} {'tcpcheck':^34} | {'SPIN':^51} |")
    print(f"{'configuration':<24} {'build':>6} {'search':>6} {'total':>6} {'states/s':>12} | {'Promela':>7} "
          f"{'spin -a':>7} {'gcc':>6} {'pan':>6} {'total':>6} {'states/s':>12} | {'ratio':>6}")
    for r in rows:
        o, s = r["tcpcheck"], r["spin"]
        print(f"{r['config']:<24} {o['build_seconds']:>6.2f} {o['total_seconds'] - o['build_seconds']:>6.2f} "
              f"{o['total_seconds']:>6.2f} {o['total_states_per_second']:>12,.0f} | {s['generate_seconds']:>7.2f} "
              f"{s['spin_a_seconds']:>7.2f} {s['gcc_seconds']:>6.2f} {s['pan_wall_seconds']:>6.2f} "
              f"{s['total_seconds']:>6.2f} "
              f"{s['total_states_per_second']:>12,.0f} | {_ratio(r['end_to_end_ratio'])}")
    slower = [r for r in rows if r["target_met"]["speed"] is False]
    if slower:
        r = slower[0]
        if r["tcpcheck"]["precompute_seconds"] > 0:
            print(f"(where SPIN's search alone is quicker, as at {r['config']}: both start with the endpoints' "
                  f"reactions in their tables (SPIN's Promela generated in {r['spin']['generate_seconds']:.2f} s, "
                  f"tcpcheck's precomputed in {r['tcpcheck']['precompute_seconds']:.2f} s), and tcpcheck's search "
                  f"({r['tcpcheck']['seconds']:.2f} s) computes the channels' steps in its kernel as pan does, but "
                  "pays a fixed cost per chunk of the queue (a kernel run, the comparison of some of its states "
                  "with Model.successors, the relabelled steps the model interns) that a search this small "
                  "does not amortise. Not counted on either side: starting Python and importing tcpcheck)")
        else:
            print(f"(where SPIN's search alone is quicker, as at {r['config']}: pan starts with the model's "
                  f"reactions in its tables, computed when the Promela was generated "
                  f"({r['spin']['generate_seconds']:.2f} s, in tcpcheck's Python), where tcpcheck's search "
                  f"({r['tcpcheck']['seconds']:.2f} s) computes them as it meets them. Not counted on either side: "
                  "starting Python and importing tcpcheck)")
    for r in rows:
        met, o, e = r["target_met"], r["tcpcheck"], r["tcpcheck_with_edges"]
        speed = f"{r['speed_ratio']:.2f}" if r["speed_ratio"] is not None else "pan's elapsed time rounds to 0"
        where = f"target at {r['config']} on {_cores(cores)}"
        print(f"{where}: tcpcheck's states/s at least SPIN's, the search alone: {_met(met['speed'])} (ratio "
              f"{speed}); from the rule table to the count: {_met(met['end_to_end'])} "
              f"(ratio {r['end_to_end_ratio']:.2f})")
        vector = r["spin"]["state_vector_bytes"]
        print(f"{where}: stored bytes/state at most SPIN's state vector: {_met(met['memory'])} ("
              + (f"{o['stored_bytes_per_state']:.0f} B {'without' if edgeless else 'with'} edges against {vector} B"
                 if o["stored_bytes_per_state"] is not None else f"engine {engine} does not say its store's size")
              + (f"; with edges {e['stored_bytes_per_state']:.0f} B: {_met(met['memory_with_edges'])}"
                 if edgeless and e["stored_bytes_per_state"] is not None else "")
              + f"); peak resident {o['bytes_per_state']:.0f} B/state, {r['memory_ratio']:.2f}x the vector and "
              f"{r['memory_ratio_to_spin_total']:.2f}x SPIN's own total of {r['spin']['bytes_per_state']:.0f} B "
              f"({e['bytes_per_state']:.0f} B with edges)")
    if differ:
        print(f"tcpcheck bench --vs spin: the state counts differ on {', '.join(differ)}: the generated Promela "
              "is not the same model", file=sys.stderr)
        return 1
    return 0


def _bytes(b: float | None) -> str:
    return f"{b:>6.0f}" if b is not None else f"{'-':>6}"


# --- the engine -----------------------------------------------------------------------------


class Trail(NamedTuple):
    """How a violated property's counterexample was found.

    ``search`` is ``"iterative"`` (pan ``-i`` on a pan compiled with
    ``-DREACH``: after each error it lowers its depth bound below that
    error's and searches on, revisiting a state reached by a shorter path,
    until no error is left within the bound) or ``"depth-first"`` (pan's
    first trail, when shortening is off); ``complete``: that iterative search
    ran to its end within its budget; ``shortest``: the run is known to be a
    shortest one, which it is when the iterative search completed on an
    exhaustive (not bitstate) search: pan then searched every shorter run."""

    steps: int
    search: str
    complete: bool
    shortest: bool
    seconds: float  # the shortening's seconds (0 for a depth-first trail)


class SpinCheck(NamedTuple):
    """What ``check --engine spin`` found."""

    config: Config
    table: object
    verdicts: list  # properties.Verdict, in PROPERTIES' order; those not checked have verdict "not checked"
    exploration: object  # an Exploration holding the counterexamples' states and steps (see _Trail)
    pan: Pan  # the last run: the whole search
    runs: int
    cores: int
    bitstate: bool
    seconds: dict
    flags: list
    trails: dict = {}  # property id -> Trail, for each violated one
    shorten_seconds: float = 0.0  # the budget of each shortening (0: none)

    @property
    def result(self):
        """A :class:`~tcpcheck.model.checker.Result` of the properties SPIN decides
        (and the states of their counterexamples), for what reports of a check
        say (:func:`tcpcheck.model.report.summary_lines`, ``known_consequence``)."""
        from .checker import Result

        checked = [v for v in self.verdicts if v.verdict != "not checked"]
        return Result(self.config, self.table, self.exploration, checked,
                      timings={"search": self.seconds["search"], "total": self.seconds["total"]})


class _Trail:
    """Reads pan's replayed trail (``pan -r -v``) into the model's states and steps,
    kept in one :class:`~tcpcheck.model.explorer.Exploration` (each trail a path
    from state 0, the initial state)."""

    def __init__(self, p, x):
        self.p, self.m, self.x = p, p.model, x
        # the same step from the same state is the same node, so that two trails that are
        # one run are one path (and the report says "the same run as ... above")
        self.nodes: dict[tuple, int] = {}
        self.label_ids: dict = {}

    def _state(self, values: dict) -> tuple:
        """The model's internal state of SPIN's valuation."""
        p, m = self.p, self.m
        ta, pa = p.locals[0][values["lA"]]
        tb, pb = p.locals[1][values["lB"]]
        flights = []
        for c in ("ab", "ba"):
            seg = {k: s for s, k in p.segments[c].items()}
            v = values[c]
            if p.bag:
                f = tuple(seg[k + 1] for k in range(len(v)) for _ in range(v[k]))
            else:
                f = tuple(seg[q] for q in v[:values[f"n{c}"]])
            flights.append(m.flight_ids(f))
        s = (ta, tb, pa, pb, flights[0], flights[1])
        return s if m.loss_budget is None else s + (values["lost"],)

    def read(self, output: str) -> tuple[list[int], list[int], str]:
        """The state ids and label ids of the trail in ``output`` (added to the
        exploration), and the error pan ended it with."""
        values = {k: (list(v) if isinstance(v, list) else v) for k, v in self.p.initial.items()}
        steps: list[tuple[int, dict]] = []
        line = None
        for text in output.splitlines():
            if "pan:1:" in text or "trail ends" in text:
                break  # after it, pan shows the state it stopped in, perhaps halfway through a step
            m = re.match(r"\s*\d+: proc\s+\d+ \(tcp\).*\[D_STEP(\d+)\]", text)
            if m:
                if line is not None:
                    steps.append((line, dict(values)))
                line = int(m.group(1))
                values = {k: (list(v) if isinstance(v, list) else v) for k, v in values.items()}
                continue
            m = re.match(r"\s+(?:byte|short|int)\s+(\w+)(?:\[(\d+)\])?:\s+(-?\d+)", text)
            if m:
                name, index, v = m.group(1), m.group(2), int(m.group(3))
                if index is None:
                    values[name] = v
                else:
                    values[name][int(index)] = v
        if line is not None:
            steps.append((line, dict(values)))
        error = re.search(r"pan:1: (.*?) \(at depth", output)
        m = self.m
        s = m.initial_states()[0]
        ids = [self._add(s, -1, -1)]
        labels: list[int] = []
        for line, vals in steps:
            what = self.p.where.get(line)
            target = self._state(vals)
            if what is None or what[0] == "check":
                raise TrailError(f"SPIN's trail takes line {line} of the Promela, which is no step of the model")
            actor, kind = what[0], what[1]
            for label, t in m.successors(s):
                st = m.step(label)
                if t == target and st.actor == actor and (st.kind == kind or (kind == "call" and st.kind == "timer")):
                    break
            else:
                raise TrailError(f"SPIN's trail step {len(labels) + 1} (line {line}) is no step of the model")
            k = self._label(label)
            ids.append(self._add(t, ids[-1], k))
            labels.append(k)
            s = t
        return ids, labels, error.group(1) if error else ""

    def _label(self, label) -> int:
        if label not in self.label_ids:
            self.x.labels.append(label)
            self.label_ids[label] = len(self.x.labels) - 1
        return self.label_ids[label]

    def _add(self, s, parent: int, via: int) -> int:
        if (s, parent, via) in self.nodes:
            return self.nodes[s, parent, via]
        self.nodes[s, parent, via] = len(self.x.states)
        x = self.x
        x.states.append(s)
        x.parent.append(parent)
        x.via.append(via)
        x.depth.append(0 if parent < 0 else x.depth[parent] + 1)
        if parent >= 0:  # the edges stay sorted by their source, as the Exploration's look-ups need
            k = bisect.bisect_right(x.src, parent)
            x.src.insert(k, parent)
            x.dst.insert(k, len(x.states) - 1)
            x.lab.insert(k, via)
        return len(x.states) - 1


def _verdict(prop, trail: _Trail, ids, labels):
    """The Verdict of ``prop``, violated at the end of the trail ``ids``/``labels``."""
    from .liveness import Lasso
    from .properties import REASONS, Text, Verdict

    head = (prop.name, prop.kind, prop.statement)
    x, model = trail.x, trail.m
    last = x.state(ids[-1])
    if prop.kind == "invariant":
        return Verdict(*head, "violated", ids[-1], prop.test(last), id=prop.id)
    if prop.kind == "deadlock":
        why = Text("stuck", REASONS["stuck"], a=last.A.state, b=last.B.state, n=len(last.net_AB) + len(last.net_BA))
        return Verdict(*head, "violated", ids[-1], why, id=prop.id)
    # a step property: pan stopped inside the violating step; it is the first such step from the last state
    s = x.states[ids[-1]]
    for label, t in model.successors(s):
        why = prop.test(last, model.step(label), model.decode(t))
        if why is not None:
            k = trail._label(label)
            tid = trail._add(t, ids[-1], k)
            return Verdict(*head, "violated", None, why, Lasso(ids + [tid], [], labels + [k], []), id=prop.id)
    raise TrailError(f"SPIN reports {prop.id} violated, but no step from the trail's last state violates it")


#: pan ``-i``'s budget, in seconds, to shorten one violated property's trail
#: (``check(shorten_seconds=...)``); when it runs out, the shortest trail pan
#: had found by then is kept and said to be not known to be the shortest.
SHORTEN_SECONDS = 60.0


class TrailError(RuntimeError):
    """SPIN's trail is no run of tcpcheck's model: the generated Promela and the
    model disagree, a bug of tcpcheck (exit 3, "internal error"), not of the input."""


def _replay(folder: Path, binary: str, skip: int, depth: int) -> str:
    """pan's trail in FOLDER, replayed (``pan -r -v``) by ``binary``."""
    env = dict(os.environ, TCPCHECK_SKIP=str(skip))
    p = subprocess.run([f"./{binary}", "-r", "-v", f"-m{depth}"], cwd=folder, capture_output=True, text=True, env=env)
    return p.stdout


def _shorten(folder: Path, skip: int, depth: int, hash_bits: int, seconds: float) -> tuple[str | None, bool, float]:
    """Run FOLDER/panr (``-DREACH``) with ``-i`` for a shorter trail, only the one
    check ``skip`` leaves on, for at most ``seconds``; returns the replayed
    shortest trail found (None if none), whether pan finished, and its seconds."""
    for old in folder.glob("*trail"):
        old.unlink()
    env = dict(os.environ, TCPCHECK_SKIP=str(skip))
    t0 = time.perf_counter()
    with open(folder / "panr.out", "w") as out:
        child = subprocess.Popen(["./panr", f"-m{depth}", f"-w{hash_bits}", "-i"], cwd=folder, stdout=out,
                                 stderr=subprocess.STDOUT, env=env)
        try:
            child.wait(timeout=seconds)
            complete = True
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            complete = False
    took = time.perf_counter() - t0
    if complete:
        _finished((folder / "panr.out").read_text(), child.returncode)
    if not (folder / "model.pml.trail").exists():
        return None, complete, took
    return _replay(folder, "panr", skip, depth), complete, took


def check(config: Config, table=None, cores: int = 1, bitstate: bool = False, hash_bits: int | None = None,
          keep: str | None = None, shorten_seconds: float = SHORTEN_SECONDS,
          memory_mib: int | None = None) -> SpinCheck:
    """Check SPIN's properties (:data:`SPIN_CHECKS`) of ``config`` with ``table``
    through SPIN: one pan, run until no check it still makes fails.

    Each violation's trail is shortened by pan ``-i`` (a second pan, compiled
    with ``-DREACH`` and one core, making that check alone) within
    ``shorten_seconds`` (0: pan's first, depth-first trail is kept);
    :class:`Trail` says which trail it is.  ``memory_mib`` bounds pan's
    memory (``-DMEMLIM``).  Raises :class:`PanError` (exit 2) when pan does
    not compile, runs out of memory or does not finish, and
    :class:`TrailError` (an internal error) when a trail is no run of the model."""
    from .checker import build
    from .explorer import Exploration
    from .promela import AMBIGUOUS, CHECK_BITS, promela
    from .properties import PROPERTIES, Verdict, path_of

    require_tools()
    t0 = time.perf_counter()
    model = build(config, table)
    # a (local state, segment) pair the table does not decide is a reaction that fails if reached
    # (the tables hold local states no run may reach: a table ambiguous only there is checked)
    p = promela(config, count=False, checks=True, model=model)
    t1 = time.perf_counter()
    x = Exploration()
    x.decode, x.describe = model.decode, model.step
    x.attributes = model.edge_attributes
    by_id = {prop.id: prop for prop in PROPERTIES}
    decided: dict[str, Verdict] = {}
    trails: dict[str, Trail] = {}
    limit = [f"-DMEMLIM={memory_mib}"] if memory_mib else []
    defines = ([f"-DNCORE={cores}"] if cores > 1 else []) + (["-DBITSTATE"] if bitstate else []) + limit
    if hash_bits is None:
        hash_bits = 27 if bitstate else 24  # bitstate: 2^27 bits, 16 MiB; else pan's default table
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="tcpcheck-spin-"))
    folder.mkdir(parents=True, exist_ok=True)
    every = sum(1 << CHECK_BITS[i] for i in SPIN_CHECKS)
    runs, search, compile_seconds, shorten = 0, 0.0, 0.0, 0.0
    kept = False  # pan's files are kept for a look when it did not compile, or a trail is no run
    try:
        built = compile_pan(p, folder, defines)
        compile_seconds = built["spin"] + built["gcc"]
        reach = False
        reader = _Trail(p, x)
        t2 = time.perf_counter()
        while True:
            skip = sum(1 << CHECK_BITS[i] for i in decided)
            pan = run_pan(folder, hash_bits, skip)
            runs += 1
            search += pan.seconds
            if pan.message == AMBIGUOUS:
                hit = re.search(r"tcpcheck: ambiguous ([AB]) (\d+)", pan.output)
                what = p.ambiguous.get((hit.group(1), int(hit.group(2)))) if hit else None
                raise InputError(f"the rule table does not decide a reaction that a run reaches: {what} "
                                 "(SPIN's search reached it; no event, or more than one, applies)")
            m = re.match(r"tcpcheck: (\w+) violated", pan.message or "")
            if pan.errors == 0 or m is None:
                if pan.errors:
                    raise TrailError(f"pan reports an error that is none of tcpcheck's: {pan.message}")
                break
            pid = m.group(1)
            trail = _replay(folder, "pan", skip, pan.max_depth)
            how = Trail(0, "depth-first", False, False, 0.0)
            if shorten_seconds > 0:
                if not reach:  # one core: pan's -i is a search of one process
                    more = compile_pan(None, folder, ["-DREACH"] + (["-DBITSTATE"] if bitstate else []) + limit,
                                       name="panr")
                    compile_seconds += more["gcc"]
                    reach = True
                only = every & ~(1 << CHECK_BITS[pid])
                shorter, complete, took = _shorten(folder, only, pan.max_depth, hash_bits, shorten_seconds)
                shorten += took
                if shorter is not None:  # else (its budget ran out before a trail) pan's first is kept
                    trail = shorter
                how = Trail(0, "iterative", complete and shorter is not None,
                            complete and shorter is not None and not bitstate, took)
            ids, labels, _ = reader.read(trail)
            decided[pid] = _verdict(by_id[pid], reader, ids, labels)
            trails[pid] = how._replace(steps=len(path_of(x, decided[pid])) - 1)
        t3 = time.perf_counter()
    except PanError as e:
        kept = e.folder is not None
        raise
    except TrailError as e:
        kept = True
        raise TrailError(f"{e} (the generated Promela and tcpcheck's model disagree: a bug of tcpcheck; "
                         f"pan's files are kept in {folder})") from None
    finally:
        if not keep and not kept:
            shutil.rmtree(folder, ignore_errors=True)
    verdicts = []
    for prop in PROPERTIES:
        if prop.id in decided:
            verdicts.append(decided[prop.id])
        elif prop.id in SPIN_CHECKS:
            verdicts.append(Verdict(prop.name, prop.kind, prop.statement, "holds", None, "", id=prop.id))
        else:
            verdicts.append(Verdict(prop.name, prop.kind, prop.statement, "not checked", None, "", id=prop.id))
    return SpinCheck(config, model.table, verdicts, x, pan, runs, cores, bitstate,
                     {"generate": t1 - t0, "compile": compile_seconds, "search": search, "shorten": shorten,
                      "total": t3 - t0, "searches": t3 - t2}, built["flags"], trails, shorten_seconds)


NOT_CHECKED = "not checked by this engine"


def _coverage(r: SpinCheck, lang: str = "en") -> str:
    """What the search covered, in ``lang``."""
    from .i18n import translator

    _ = translator(lang)
    if r.bitstate:
        return _("bitstate (-DBITSTATE, 2^{bits} bits): each state is one bit at a few hashed places, so two "
                 "states may share their bits and the second is never explored; states may be missed, so a "
                 "'holds' is not a proof, while a violation found is a real run of the model").format(
            bits=r.pan.hash_bits)
    return _("exhaustive: every reachable state was stored and explored")


def exit_code(r: SpinCheck) -> int:
    return 1 if any(v.verdict == "violated" for v in r.verdicts) else 0


class _Engine:
    """What the report of ``check --engine spin`` says where check's says what
    its exploration found: ``engine`` of :func:`tcpcheck.model.report.summary_lines`.

    The rest of the report (the header, the verdicts, the counterexamples,
    the known consequences of RFC 9293, the result line and what to run
    next) is check's own, made from :attr:`SpinCheck.result`, so that the
    two engines' reports cannot drift apart.  SPIN does not say which
    states each endpoint reached nor which rules fired (pan sees the
    reactions as look-up tables), so those lines are not printed."""

    def __init__(self, r: SpinCheck):
        self.r = r

    def search(self, w, _) -> None:
        r, pan, t = self.r, self.r.pan, self.r.seconds
        w.say(_("Engine: SPIN {version} (pan {flags}{cores}) stored {states} states and {transitions} transitions, "
                "depth {depth} (its depth-first stack); state vector {vector} bytes, {memory} MiB.").format(
            version=spin_version(), flags=" ".join(r.flags),
            cores=_(", {n} cores").format(n=r.cores) if r.cores > 1 else "", states=f"{pan.states:,}",
            transitions=f"{pan.transitions:,}", depth=f"{pan.depth:,}", vector=pan.vector,
            memory=f"{pan.memory_mib or 0:,.1f}"))
        w.say(_("Coverage: {coverage}.").format(coverage=_coverage(r, _.lang)), indent=2)
        w.say(_.ngettext("Time: {total} s in all: generating the Promela {generate} s, compiling pan {compile} s, "
                         "{n} search {search} s, shortening the trails {shorten} s.",
                         "Time: {total} s in all: generating the Promela {generate} s, compiling pan {compile} s, "
                         "{n} searches {search} s (pan stops at a violation, then runs again without that "
                         "check), shortening the trails {shorten} s.", r.runs).format(
            total=f"{t['total']:.2f}", generate=f"{t['generate']:.2f}", compile=f"{t['compile']:.2f}", n=r.runs,
            search=f"{t['search']:.2f}", shorten=f"{t['shorten']:.2f}"), indent=2)
        if r.trails:
            if r.shorten_seconds > 0:
                w.say(_("Trails: each violation's trail is shortened by pan -i (compiled with -DREACH; at most "
                        "{seconds} s each), which searches on below the depth of each error it finds; when it "
                        "ends, no shorter run violates the property.").format(seconds=f"{r.shorten_seconds:g}"),
                      indent=2)
            else:
                w.say(_("Trails: pan's first, depth-first trails, not shortened."), indent=2)

    def trail_note(self, v, _) -> str:
        t = self.r.trails.get(v.id)
        if t is None or t.search == "depth-first":
            return _(", SPIN's depth-first trail, not known to be the shortest")
        if t.shortest:
            return _(", the shortest: pan -i searched every shorter run")
        if not t.complete:
            return _(", not known to be the shortest: pan -i's budget of {seconds} s ran out first").format(
                seconds=f"{self.r.shorten_seconds:g}")
        return _(", not known to be the shortest: a bitstate search may miss shorter runs")

    def result_tail(self, _) -> str:
        rest = sum(v.verdict == "not checked" for v in self.r.verdicts)
        tail = _("; {n} not checked by this engine (reachability and liveness: tcpcheck check --engine bfs "
                 "checks them)").format(n=rest) if rest else ""
        if self.r.bitstate:
            tail += _("; the bitstate search may have missed states, so what holds is not proved")
        return tail


def lines(r: SpinCheck, note: str = "", verbosity: int = 0, lang: str = "en") -> list[str]:
    """The text report of ``check --engine spin`` in ``lang``: check's summary
    (:func:`tcpcheck.model.report.summary_lines`) of the properties SPIN decides,
    with SPIN's search in place of the exploration's (:class:`_Engine`)."""
    from .report import summary_lines

    return summary_lines(r.result, note, verbosity, lang, engine=_Engine(r))


def result_json(r: SpinCheck) -> dict:
    """``check --engine spin --json``: kind ``check-spin`` (schema check-spin.schema.json);
    ``diagram trace --file`` draws its counterexamples.  A violated property
    has, as in check's JSON, its ``counterexample`` and, on the reference
    model, its ``known_consequence``; and how its trail was found: ``shortest``
    and ``trail`` (:class:`Trail`: ``steps``, ``search``, ``complete``)."""
    from .properties import path_of
    from .report import known_consequence, trace_json

    result = r.result
    props = []
    for v in r.verdicts:
        item = {"id": v.id, "name": v.name, "kind": v.kind, "statement": v.statement, "verdict": v.verdict}
        if v.verdict == "not checked":
            item["detail"] = NOT_CHECKED
        elif v.detail:
            item["detail"] = str(v.detail)
        if v.verdict == "violated":
            item["counterexample"] = trace_json(path_of(r.exploration, v), r.table)
            t = r.trails[v.id]
            item["shortest"] = t.shortest
            item["trail"] = {"steps": t.steps, "search": t.search, "complete": t.complete}
            k = known_consequence(result, v)
            if k is not None:
                item["known_consequence"] = {"why": k.why, "rfc": list(k.sections), "claims": list(k.claims),
                                             "chart": k.chart}
        props.append(item)
    pan = r.pan
    return stamp("check-spin", {
        "config": dataclasses.asdict(r.config),
        "rules": r.table.name,
        "engine": {"name": "spin", "spin_version": spin_version(), "flags": r.flags, "cores": r.cores,
                   "bitstate": r.bitstate, "hash_bits": pan.hash_bits, "shorten_seconds": r.shorten_seconds},
        "coverage": "bitstate" if r.bitstate else "exhaustive",
        "coverage_note": _coverage(r),
        "states": pan.states, "transitions": pan.transitions, "depth": pan.depth,
        "state_vector_bytes": pan.vector, "memory_mib": pan.memory_mib,
        "runs": r.runs, "timings": {k: round(s, 3) for k, s in r.seconds.items()},
        "properties": props,
        "exit_code": exit_code(r),
    })


def cmd_check(args, config: Config, table) -> int:
    """``tcpcheck check --engine spin``: the check through SPIN, its report (in
    ``--lang``, with ``-q``/``-v``) or JSON; the exit code.  ``--max-memory``
    (default as check's) bounds pan's memory (``-DMEMLIM``)."""
    from .checker import default_max_memory
    from .i18n import language
    from .report import check_note

    if args.max_states is not None or args.stop_at_first or args.max_seconds is not None:
        raise InputError("--engine spin searches every state (or, with --bitstate, a bit per state) and "
                         "stops at each violation by itself, bounded by --max-memory only: --max-states, "
                         "--max-seconds and --stop-at-first are for the tcpcheck engines")
    lang = language(args.lang)  # an unknown language is refused before SPIN runs
    limit = default_max_memory() if args.max_memory is None else (args.max_memory or None)
    r = check(config, table, cores=args.spin_cores, bitstate=args.bitstate,
              memory_mib=max(1, limit // 2 ** 20) if limit else None)
    if args.json:
        json.dump(result_json(r), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        verbosity = -1 if args.quiet else 1 if args.verbose else 0
        print("\n".join(lines(r, check_note(config, args.mutant, lang), verbosity, lang)))
    return exit_code(r)
