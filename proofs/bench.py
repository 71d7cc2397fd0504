"""``tcpcheck prove --bench``: how long the proofs take, against a serial baseline.

The baseline, measured in the same run, proves one obligation at a time;
the measured run shares them among ``--jobs`` processes.  Both must reach
the same verdicts (and, as each obligation has a fresh process, the same
counterexamples).  The ratio says what the processes gain and stays
meaningful on a slower or faster machine; the target is the issue's: the
whole ``prove`` run under 60 seconds on a 2-core machine.
"""

from __future__ import annotations

import json
import time

from tcpcheck.model.interface import stamp

from .obligations import Context

__all__ = ["bench", "TARGET_SECONDS"]

TARGET_SECONDS = 60.0


def _timed(run_all, ctx: Context, jobs: int) -> tuple[float, list]:
    start = time.perf_counter()
    outcomes = run_all(ctx, jobs=jobs)
    return time.perf_counter() - start, outcomes


def bench(run_all, ctx: Context, jobs: int, as_json: bool = False) -> int:
    """Time ``run_all`` (see :mod:`proofs.cli`) one at a time, then ``jobs`` at a time;
    print both; returns the exit code (0, or 3 if the verdicts differ)."""
    serial, base = _timed(run_all, ctx, 1)
    shared, outcomes = _timed(run_all, ctx, jobs)
    if [o.verdict for o in base] != [o.verdict for o in outcomes]:
        raise RuntimeError("the serial and the shared runs reached different verdicts")
    ratio = serial / shared
    rows = [{"id": o.id, "name": o.name, "verdict": o.verdict, "queries": o.queries, "seconds": round(o.seconds, 3)}
            for o in base]
    if as_json:
        print(json.dumps(stamp("prove-bench", {
            "table": ctx.table.name, "jobs": jobs, "baseline_seconds": round(serial, 3),
            "seconds": round(shared, 3), "ratio": round(ratio, 3), "obligations": rows,
            "target_seconds": TARGET_SECONDS}), indent=2))
        return 0
    print(f"tcpcheck prove --bench: rule table {ctx.table.name}")
    print(f"{'seconds':>8} {'queries':>8}  obligation (one at a time)")
    for r in rows:
        print(f"{r['seconds']:>8.2f} {r['queries']:>8}  {r['id']:<4} {r['name']} ({r['verdict']})")
    print(f"baseline: one obligation at a time: {serial:.1f} s")
    print(f"measured: shared among {jobs} process(es): {shared:.1f} s, the same verdicts")
    print(f"ratio: {ratio:.2f}x faster than the baseline")
    met = "met" if shared < TARGET_SECONDS else "NOT met"
    print(f"target: the whole run under {TARGET_SECONDS:.0f} s (on a 2-core machine): {met} ({shared:.1f} s)")
    return 0
