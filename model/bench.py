"""``tcpcheck bench``: exploration speed and memory over a scale series.

Each row explores one configuration in a fresh Python process, so that its
peak resident memory is its own.  The baseline, measured in the same run
and the same way, is the same BFS explorer over a synthetic graph with the
same number of states and the same branching, whose successor function does
no work: the ratio says how much of the time the TCP model itself costs, and
stays meaningful on a slower or faster machine.

Targets (from the project's issue): the default configuration explored in
under 2 seconds, at least 100,000 states per second.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import resource

from .config import Config
from .interface import stamp

__all__ = ["bench"]

TARGET_SECONDS = 2.0
TARGET_RATE = 100_000


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _row(config: Config) -> dict:
    from .checker import build
    from .explorer import explore

    x = explore(build(config))
    return {"capacity": config.capacity, "states": len(x.states), "transitions": x.transitions,
            "depth": x.max_depth, "seconds": x.seconds, "states_per_second": len(x.states) / x.seconds,
            "peak_mib": _peak_mib()}


class _Synthetic:
    """A graph of n states where state i has b successors, all reachable from 0."""

    def __init__(self, n: int, b: int):
        self.n, self.b = n, b

    def initial_states(self):
        return [0]

    def successors(self, i):
        n = self.n
        return [(k, (i * 7919 + k * 104729 + 1) % n if k else (i + 1) % n) for k in range(self.b)]


def _baseline(n: int, b: int) -> dict:
    from .explorer import explore

    x = explore(_Synthetic(n, b))
    return {"states": len(x.states), "transitions": x.transitions, "seconds": x.seconds,
            "states_per_second": len(x.states) / x.seconds, "peak_mib": _peak_mib()}


def _fresh(fn, *args):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def bench(config: Config, capacities: list[int], as_json: bool = False) -> int:
    """Run the series and print it; returns the exit code (0)."""
    rows = []
    for cap in capacities:
        rows.append(_fresh(_row, dataclasses.replace(config, capacity=cap)))
        if not as_json:
            r = rows[-1]
            if len(rows) == 1:
                print(f"tcpcheck bench: configuration '{config.name}', channel capacity "
                      f"{', '.join(map(str, capacities))}; each row in a fresh process")
                print(f"{'capacity':>8} {'states':>10} {'transitions':>12} {'depth':>6} "
                      f"{'seconds':>8} {'states/s':>10} {'peak MiB':>9}")
            print(f"{r['capacity']:>8} {r['states']:>10,} {r['transitions']:>12,} {r['depth']:>6} "
                  f"{r['seconds']:>8.2f} {r['states_per_second']:>10,.0f} {r['peak_mib']:>9.1f}", flush=True)
    ref = next((r for r in rows if r["capacity"] == config.capacity), rows[-1])
    branching = max(1, round(ref["transitions"] / ref["states"]))
    base = _fresh(_baseline, ref["states"], branching)
    ratio = ref["states_per_second"] / base["states_per_second"]
    out = stamp("bench", {"config": config.name, "rows": rows, "baseline": base, "ratio": ratio,
                          "targets": {"seconds": TARGET_SECONDS, "states_per_second": TARGET_RATE}})
    if as_json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"baseline: the same BFS over a synthetic graph of {base['states']:,} states with "
          f"{branching} successors each and no model: {base['seconds']:.2f} s, "
          f"{base['states_per_second']:,.0f} states/s, {base['peak_mib']:.1f} MiB")
    print(f"ratio: capacity {ref['capacity']} runs at {ratio:.2f}x the baseline's states/s")
    met_s = "met" if ref["seconds"] < TARGET_SECONDS else "NOT met"
    met_r = "met" if ref["states_per_second"] >= TARGET_RATE else "NOT met"
    print(f"targets at capacity {ref['capacity']}: under {TARGET_SECONDS:.0f} s: {met_s} "
          f"({ref['seconds']:.2f} s); at least {TARGET_RATE:,} states/s: {met_r} "
          f"({ref['states_per_second']:,.0f})")
    return 0
