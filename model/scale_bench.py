"""``tcpcheck bench --scale``: how far each search engine goes, and how it grows.

Growing configurations (:data:`SERIES`, from the default preset's 28,817
states to about 45 million) are explored by each engine of
:data:`engines.ENGINES`, each run in a fresh process so that its peak
resident memory is its own, under a budget of seconds and resident memory
(``--max-seconds``, ``--max-memory``: issue 13 asks for 10 minutes and 8 GB).
Each row says states, transitions, seconds, peak MiB, states per second and
bytes per state (the peak above the process's resident memory before the
search, per state); an engine that runs out of its budget on one
configuration is not given the larger ones.  At the end: the largest
configuration each engine completed, and the growth exponents of its time
and memory against the states, fitted by least squares on a log-log scale
over its completed runs of at least :data:`FIT_FROM` states (1.0 is linear).

With ``no_edges`` (``bench --scale --no-edges``) each engine that can search
without edges (``explore(..., edges=False)``, as SPIN's safety run keeps
none) runs the series a second time that way, as ``ENGINE/no-edges``: the
same states, 12 bytes less per transition.  With ``check`` (``bench --scale
--check``) each engine also runs the whole check of each configuration
(``checker.run``: the search with every property, then liveness), as
``ENGINE/check``, under the same budget: the largest configuration it
checks completely, and its growth.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import resource
import time

import numpy as np

from .config import Config
from .interface import stamp

__all__ = ["SERIES", "bench_scale", "can_search_without_edges", "series", "fit_exponent"]

#: The configurations of the series, by name, smallest first (states: as the engines count them).
SERIES = ("default", "dup-cap2", "dup-cap2-retx2", "dup-cap2-data2", "dup-cap2-data2-retx2", "dup-cap2-data3")

#: The smallest run a growth exponent is fitted on (below it fixed costs dominate).
FIT_FROM = 100_000


def series() -> dict[str, tuple[str, Config]]:
    """name -> (what it is, configuration), for :data:`SERIES`."""
    from .config import preset

    base = preset("default")

    def each(cfg, name, **endpoint):
        return dataclasses.replace(cfg, name=name, A=dataclasses.replace(cfg.A, **endpoint),
                                   B=dataclasses.replace(cfg.B, **endpoint))
    dup = dataclasses.replace(base, name="dup-cap2", duplication=True, capacity=2)
    return {
        "default": ("preset default", base),
        "dup-cap2": ("default, capacity 2, the network also duplicates", dup),
        "dup-cap2-retx2": ("as dup-cap2, two retransmissions each", each(dup, "dup-cap2-retx2", retransmissions=2)),
        "dup-cap2-data2": ("as dup-cap2, two data segments each", each(dup, "dup-cap2-data2", data=2)),
        "dup-cap2-data2-retx2": ("as dup-cap2, two data segments and two retransmissions each",
                                 each(dup, "dup-cap2-data2-retx2", data=2, retransmissions=2)),
        "dup-cap2-data3": ("as dup-cap2, three data segments each", each(dup, "dup-cap2-data3", data=3)),
    }


def _run(engine: str, config: Config, max_seconds: float | None, max_memory: int | None,
         edges: bool = True, check: bool = False) -> dict:
    """One search in this (fresh) process, under the budget, keeping edges or
    not; with ``check``, the whole check (search, properties, liveness)."""
    from .checker import Budget, build, resident_memory, run
    from .engines import explore_function

    start = resident_memory()
    extra = {}
    if check:
        t0 = time.perf_counter()
        r = run(config, engine=engine, max_seconds=max_seconds, max_memory=max_memory, started=t0)
        x, complete, stopped = r.exploration, r.stopped is None and r.exploration.complete, r.stopped
        extra = {"verdicts": {v.id: v.verdict for v in r.verdicts}, "search_seconds": r.timings["search"]}
        if getattr(x, "partition_peak_mib", None):  # the cluster's check: the states are on the workers
            extra["workers_peak_mib"] = x.partition_peak_mib
    else:
        model = build(config)
        t0 = time.perf_counter()
        x = explore_function(engine)(model, stop=Budget(t0, max_seconds, max_memory).exceeded,
                                     **({} if edges else {"edges": False}))
        complete, stopped = x.complete, x.stopped
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    n = len(x.states)
    return {"engine": engine, "edges": edges, "check": check, **extra, "config": config.name, "states": n,
            "transitions": x.transitions, "complete": complete, "stopped": stopped, "seconds": seconds,
            "peak_mib": peak / 2 ** 20, "start_mib": start / 2 ** 20,
            "states_per_second": n / seconds if seconds > 0 else 0.0,
            "bytes_per_state": (peak - start) / n if n else 0.0}


def _fresh(engine: str, config: Config, max_seconds: float | None, max_memory: int | None,
           edges: bool = True, check: bool = False) -> dict:
    """:func:`_run` in a fresh process, killed if it outlives its budget by far.
    Not a pool's worker: those are daemons, which may not start processes of
    their own (the Dask engine's local cluster does)."""
    ctx = multiprocessing.get_context("spawn")
    answer, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_run_into, args=(sender, engine, config, max_seconds, max_memory, edges, check))
    wait = None if max_seconds is None else 2 * max_seconds + 60
    failed = {"engine": engine, "edges": edges, "check": check, "config": config.name, "states": 0,
              "transitions": 0, "complete": False, "seconds": wait or 0.0, "peak_mib": 0.0, "start_mib": 0.0,
              "states_per_second": 0.0, "bytes_per_state": 0.0}
    process.start()
    sender.close()
    try:
        if not answer.poll(wait):
            return {**failed, "stopped": "killed"}
        try:
            how, value = answer.recv()
        except EOFError:  # it died without a word: killed from outside (the kernel's OOM killer)
            return {**failed, "stopped": "killed"}
        if how == "memory":  # the process's own limit (ulimit -v, a container) came before the budget's
            return {**failed, "stopped": "max-memory"}
        if how == "error":
            raise value
        return value
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        answer.close()


def _run_into(sender, *args) -> None:
    """:func:`_run` in the fresh process of :func:`_fresh`, its answer sent back."""
    try:
        sender.send(("ok", _run(*args)))
    except MemoryError:
        sender.send(("memory", None))
    except Exception as exc:  # noqa: BLE001 - raised again in the process that asked
        sender.send(("error", exc))
    finally:
        sender.close()


def can_search_without_edges(engine: str) -> bool:
    """Whether ``engine``'s explore has ``edges=False`` (bfs and packed do).

    >>> can_search_without_edges("packed"), can_search_without_edges("dask")
    (True, False)
    """
    from .engines import accepts

    return accepts(engine, "edges")


def _name(engine: str, edges: bool, check: bool = False) -> str:
    """A run's name in the table and summary: the engine, ENGINE/no-edges or ENGINE/check."""
    return f"{engine}/check" if check else engine if edges else f"{engine}/no-edges"


def fit_exponent(states, values) -> float | None:
    """The slope of log(values) against log(states) by least squares (1.0: linear
    growth); None with fewer than two distinct sizes.

    >>> round(fit_exponent([1e5, 1e6, 1e7], [2.0, 20.0, 200.0]), 3)
    1.0
    >>> round(fit_exponent([1e5, 1e6], [1.0, 100.0]), 3)
    2.0
    """
    s, v = np.asarray(states, dtype=float), np.asarray(values, dtype=float)
    ok = (s > 0) & (v > 0)
    if len(np.unique(s[ok])) < 2:
        return None
    return float(np.polyfit(np.log(s[ok]), np.log(v[ok]), 1)[0])


#: the engines run when none is named: the one-machine searches.  The Dask engine is for a
#: visited set beyond one machine and is slow on one (every successor crosses the network
#: twice): it runs when named, ``--engine dask``.
DEFAULT_ENGINES = ("bfs", "packed")


def bench_scale(engines: list[str] | None = None, max_seconds: float | None = 600.0,
                max_memory: int | None = 8 * 2 ** 30, names: list[str] | None = None,
                as_json: bool = False, no_edges: bool = False, check: bool = False) -> int:
    """Run the series with each engine (and, with ``no_edges``, each that can
    without edges too; with ``check``, the whole check with each) and print
    it; returns the exit code (0)."""
    engines = list(engines or DEFAULT_ENGINES)
    runs = [(e, True, False) for e in engines]  # (engine, edges, check), each a series of its own
    if no_edges:
        runs = [r for e in engines
                for r in [(e, True, False)] + ([(e, False, False)] if can_search_without_edges(e) else [])]
    if check:
        runs += [(e, True, True) for e in engines]
    table = series()
    names = list(names or SERIES)
    budget = (f"{max_seconds:g} s" if max_seconds else "no time limit") + ", " + \
        (f"{max_memory / 2 ** 30:g} GiB" if max_memory else "no memory limit")
    rows, summary = [], {}
    width = max([7] + [len(_name(*r)) for r in runs])
    if not as_json:
        print(f"tcpcheck bench --scale: engines {', '.join(engines)}; budget {budget} per run; "
              "each run in a fresh process")
        print(f"{'engine':<{width}} {'configuration':<21} {'states':>11} {'transitions':>12} {'seconds':>8} "
              f"{'peak MiB':>9} {'states/s':>9} {'B/state':>8}  result")
    for engine, edges, whole in runs:
        done = []
        for name in names:
            cfg = table[name][1]
            r = _fresh(engine, cfg, max_seconds, max_memory, edges, whole)
            rows.append(r)
            if not as_json:
                result = "complete" if r["complete"] else f"stopped: {r['stopped']}"
                print(f"{_name(engine, edges, whole):<{width}} {name:<21} {r['states']:>11,} {r['transitions']:>12,} "
                      f"{r['seconds']:>8.1f} "
                      f"{r['peak_mib']:>9.0f} {r['states_per_second']:>9,.0f} {r['bytes_per_state']:>8.0f}  "
                      f"{result}", flush=True)
                if r.get("workers_peak_mib"):
                    print(f"{'':<{width}} (the partitions keep the states and edges: the workers' peaks "
                          + " + ".join(f"{m:,.0f}" for m in r["workers_peak_mib"]) + " MiB; the row's is the "
                          "coordinator's)", flush=True)
            if not r["complete"]:
                break  # the larger configurations would not complete either
            done.append(r)
        fit = [r for r in done if r["states"] >= FIT_FROM]
        summary[_name(engine, edges, whole)] = {
            "largest": done[-1]["config"] if done else None,
            "largest_states": done[-1]["states"] if done else 0,
            "time_exponent": fit_exponent([r["states"] for r in fit], [r["seconds"] for r in fit]),
            "memory_exponent": fit_exponent([r["states"] for r in fit],
                                            [r["peak_mib"] - r["start_mib"] for r in fit]),
            "fitted_runs": len(fit)}
    out = stamp("bench-scale", {"engines": engines, "no_edges": no_edges, "check": check, "configurations": names,
                                "max_seconds": max_seconds,
                                "max_memory": max_memory, "rows": rows, "summary": summary})
    if as_json:
        print(json.dumps(out, indent=2))
        return 0
    print("(B/state: peak resident memory above the process's own before the search, per state"
          + ("; ENGINE/no-edges: the search that keeps no edges, as SPIN's safety run keeps none" if no_edges
             else "")
          + ("; ENGINE/check: the whole check, search, properties and liveness" if check else "") + ")")
    for engine, s in summary.items():
        largest = f"{s['largest']} ({s['largest_states']:,} states)" if s["largest"] else "none"
        print(f"{engine}: largest configuration completed within {budget}: {largest}")

        def said(e):
            return "not enough runs" if e is None else f"{e:.2f}"
        print(f"{engine}: growth against states (log-log fit over {s['fitted_runs']} runs of at least "
              f"{FIT_FROM:,} states; 1.00 is linear): time {said(s['time_exponent'])}, "
              f"memory {said(s['memory_exponent'])}")
    return 0
