"""Benchmark of ``tcpcheck conform`` (a script, not a timed test).

    python -m tcpcheck.model.conformance.bench [CONNECTIONS] [PACKETS_PER_CONNECTION]

Writes a synthetic pcap of 1,000 connections x 100 packets (a handshake, data
each way with its ACKs, a close) to a temporary folder, then measures, in the
same run: dpkt's bare parse of the file (the baseline), reading it into
segments, and the whole check, each in wall-clock and CPU seconds (CPU: what one
core spends, whatever else the machine runs).  Prints packets per second and the
ratio to the baseline.  The target: 100,000 packets checked in under 10 s on one core.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import dpkt

from ..table import load_table
from .capture_files import read_capture
from .follow import follow
from .trace import split


#: captured at A (the figure the target is for); ``path`` keeps more worlds (every ACK may
#: still be in flight or lost: bounded by follow.IN_FLIGHT and follow.EXTRA_LOSSES)
VANTAGE = "a"


def _frame(src, dst, sport, dport, flags, seq, ack, n=0):
    tcp = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=65535, data=b"x" * n)
    ip = dpkt.ip.IP(src=src, dst=dst, p=6, data=tcp)
    return bytes(dpkt.ethernet.Ethernet(data=ip, type=0x0800))


def synthetic(path: Path, conns: int = 1000, per: int = 100) -> int:
    """A capture of ``conns`` conforming connections of ``per`` packets each (``per`` >= 7)."""
    S, A, F = dpkt.tcp.TH_SYN, dpkt.tcp.TH_ACK, dpkt.tcp.TH_FIN
    count, t = 0, 1.0
    with open(path, "wb") as f:
        w = dpkt.pcap.Writer(f)
        for c in range(conns):
            a, b = bytes([10, 0, c // 250, c % 250 + 1]), bytes([10, 1, 0, 1])
            pa, pb = 10000 + c, 80
            x, y = (c * 2654435761) & 0xFFFFFFFF, (c * 40503 + 7) & 0xFFFFFFFF
            pkts = [(a, b, pa, pb, S, x, 0, 0), (b, a, pb, pa, S | A, y, x + 1, 0), (a, b, pa, pb, A, x + 1, y + 1, 0)]
            x, y = x + 1, y + 1
            if (per - 7) % 2:  # one data segment whose ACK is delayed and covered by the next one
                pkts.append((a, b, pa, pb, A, x & 0xFFFFFFFF, y & 0xFFFFFFFF, 100))
                x += 100
            for _ in range((per - 7) // 2):
                pkts.append((a, b, pa, pb, A, x & 0xFFFFFFFF, y & 0xFFFFFFFF, 100))
                x += 100
                pkts.append((b, a, pb, pa, A, y & 0xFFFFFFFF, x & 0xFFFFFFFF, 0))
            pkts += [(a, b, pa, pb, F | A, x & 0xFFFFFFFF, y & 0xFFFFFFFF, 0),
                     (b, a, pb, pa, A, y & 0xFFFFFFFF, (x + 1) & 0xFFFFFFFF, 0),
                     (b, a, pb, pa, F | A, y & 0xFFFFFFFF, (x + 1) & 0xFFFFFFFF, 0),
                     (a, b, pa, pb, A, (x + 1) & 0xFFFFFFFF, (y + 1) & 0xFFFFFFFF, 0)]
            for p in pkts:
                w.writepkt(_frame(*p[:7], p[7]), t)
                t += 0.0001
                count += 1
    return count


class _Clock:
    """Wall and CPU time (this process, one core) since the last lap."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    conns = int(args[0]) if args else 1000
    per = int(args[1]) if len(args) > 1 else 100
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.pcap"
        n = synthetic(path, conns, per)
        clock = _Clock()
        with open(path, "rb") as f:
            for _ts, buf in dpkt.pcap.Reader(f):
                dpkt.ethernet.Ethernet(buf)
        bare = clock.lap()
        trace = read_capture(path)
        read = clock.lap()
        table = load_table()
        results = [follow(c, table, VANTAGE) for c in split(trace.segments)]
        check = clock.lap()
    verdicts = {v: sum(r.verdict == v for r in results) for v in ("conforms", "deviates", "incomplete")}
    total = tuple(a + b for a, b in zip(read, check))
    print(f"{n:,} packets, {len(results):,} connections at vantage {VANTAGE}: {verdicts}")
    print("                              wall s     CPU s   packets/s (CPU)")
    for what, (wall, cpu) in (("dpkt bare parse (baseline)", bare), ("read into segments", read),
                              ("follow through the table", check), ("conform in all", total)):
        print(f"  {what:<27} {wall:7.2f}  {cpu:8.2f}  {n / cpu:12,.0f}")
    print(f"  conform / baseline (CPU): {total[1] / bare[1]:.1f}x; target: under 10 s of one core for "
          f"100,000 packets ({'met' if total[1] * 100_000 / n < 10 else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
