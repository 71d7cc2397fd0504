"""The long fuzz campaign (issue 11): 10,000+ generated cases, with figures.

    python tests/fuzz_campaign.py                        # 10,000 cases on 2 processes
    python tests/fuzz_campaign.py --cases 2000 --jobs 4 --seed 7 --save /tmp/fuzz-found

The cases are tests/fuzzing.py's (the CI suite, tests/test_fuzz.py, draws a
few dozen per kind of the same ones).  They are shared among the kinds of
input in fixed proportions and cut into shards of at most 250, each run by a
worker process with its own hypothesis seed (so a campaign is repeatable
with the same --seed); every worker's address space is limited to
--memory-gb (a run that would take all memory fails inside the worker, as
a finding, instead of taking the machine), which also lets the strategies
offer endless files such as /dev/zero.

It prints, per kind of input: cases run, the distribution of exit codes, the
slowest case, and every distinct failure (a signature: the exception and
where, or what the message lacks) with how often it came and one reproducer.
With --save DIR, each distinct failure's reproducer is written there.  The
exit code is 0 when no case failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: the share of the cases each kind gets: in-process kinds take 0.02-0.6 s a case, option
#: values run in a subprocess each (0.5-30 s), prove takes seconds even at --timeout 0.05
SHARES = {"config": 0.24, "rules": 0.24, "trace": 0.22, "capture": 0.09, "packetdrill": 0.06,
          "states": 0.04, "assignment": 0.05, "answers": 0.03, "options": 0.028, "prove": 0.002}
SHARD = 250


def _worker(kind: str, seed: int, n: int, out: str) -> None:
    """Run ``n`` cases of ``kind`` drawn with hypothesis seed ``seed``; write the figures to ``out``."""
    sys.path.insert(0, str(HERE))
    import fuzzing
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    strategy = fuzzing.rules_case(prove=True) if kind == "prove" else fuzzing.case_strategy(kind)
    codes: collections.Counter = collections.Counter()
    failures: dict = {}
    slowest = [0.0, ""]

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=strategy)
    def campaign(case):
        outcome, found = fuzzing.run_case(case)
        codes["over budget" if outcome.code is None else str(outcome.code)] += 1
        if outcome.seconds > slowest[0]:
            slowest[:] = [outcome.seconds, " ".join(case.argv)]
        for signature in found:
            entry = failures.setdefault(signature, {"count": 0, "case": case.show(),
                                                    "stderr": outcome.err[-3000:]})
            entry["count"] += 1

    campaign()
    Path(out).write_text(json.dumps({"kind": kind, "codes": codes, "failures": failures,
                                     "slowest": slowest, "cases": sum(codes.values())}))


def _shards(cases: int, seed: int, kinds) -> list[tuple[str, int, int]]:
    shards = []
    for kind in kinds:
        n = max(1, round(cases * SHARES[kind] / sum(SHARES[k] for k in kinds)))
        for i in range(0, n, SHARD):
            shards.append((kind, seed * 1000 + len(shards), min(SHARD, n - i)))
    return shards


def _run_shard(shard, memory_gb: float, folder: str) -> dict:
    kind, seed, n = shard
    out = os.path.join(folder, f"{kind}-{seed}.json")
    limit = int(memory_gb * 2**30)

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(seed), str(n), out],
                          preexec_fn=limited, capture_output=True, text=True)
    if proc.returncode != 0 or not os.path.exists(out):
        return {"kind": kind, "codes": {"worker died": n}, "cases": 0, "slowest": [0, ""],
                "failures": {f"the worker died (exit {proc.returncode})": {
                    "count": 1, "case": f"shard {shard}", "stderr": proc.stderr[-3000:]}}}
    return json.loads(Path(out).read_text())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="exit codes: 0 no case failed, 1 some did, 2 bad usage")
    ap.add_argument("--cases", type=int, default=10_000, help="cases in all (default: 10,000)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes at a time (default: 2)")
    ap.add_argument("--seed", type=int, default=0, help="the campaign's seed (default: 0)")
    ap.add_argument("--kinds", default=",".join(SHARES), help=f"kinds to run (default: {','.join(SHARES)})")
    ap.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit per worker (default: 4)")
    ap.add_argument("--save", metavar="DIR", help="write each distinct failure's reproducer here")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        kind, seed, n, out = args.worker
        _worker(kind, int(seed), int(n), out)
        return 0
    kinds = [k for k in args.kinds.split(",") if k]
    if not kinds or any(k not in SHARES for k in kinds) or args.cases < 1 or args.jobs < 1:
        ap.error(f"--kinds must name some of {', '.join(SHARES)}; --cases and --jobs at least 1")
    shards = _shards(args.cases, args.seed, kinds)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz-campaign-") as folder, \
            ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda s: _run_shard(s, args.memory_gb, folder), shards))
    by_kind: dict = {}
    for r in results:
        k = by_kind.setdefault(r["kind"], {"cases": 0, "codes": collections.Counter(), "failures": {},
                                           "slowest": [0.0, ""]})
        k["cases"] += r["cases"]
        k["codes"].update(r["codes"])
        if r["slowest"][0] > k["slowest"][0]:
            k["slowest"] = r["slowest"]
        for sig, f in r["failures"].items():
            if sig in k["failures"]:
                k["failures"][sig]["count"] += f["count"]
            else:
                k["failures"][sig] = dict(f)
    total = sum(k["cases"] for k in by_kind.values())
    distinct = sum(len(k["failures"]) for k in by_kind.values())
    print(f"fuzz campaign: {total:,} cases in {time.monotonic() - started:,.0f} s on {args.jobs} "
          f"processes (seed {args.seed}); {distinct} distinct failure(s)")
    saved = Path(args.save) if args.save else None
    if saved:
        saved.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        k = by_kind.get(kind)
        if k is None:
            continue
        codes = ", ".join(f"exit {c}: {n:,}" if c[0].isdigit() or c[0] == "-" else f"{c}: {n:,}"
                          for c, n in sorted(k["codes"].items()))
        failed = sum(f["count"] for f in k["failures"].values())
        print(f"\n{kind}: {k['cases']:,} cases; {codes}; {failed:,} failed, "
              f"{len(k['failures'])} distinct cause(s)")
        print(f"  slowest: {k['slowest'][0]:.2f} s: tcpcheck {k['slowest'][1]}")
        for i, (sig, f) in enumerate(sorted(k["failures"].items(), key=lambda x: -x[1]["count"]), 1):
            print(f"  FAIL x{f['count']:,}: {sig}")
            if saved:
                (saved / f"{kind}-{i}.txt").write_text(f"{sig}\n\n{f['case']}\n\nstderr:\n{f['stderr']}\n")
    return 1 if distinct else 0


if __name__ == "__main__":
    sys.exit(main())
