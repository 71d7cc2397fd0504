"""Benchmark of ``tcpcheck conform`` (a script, not a timed test).

    python -m tcpcheck.model.conformance.bench [CONNECTIONS] [PACKETS_PER_CONNECTION]

Writes a synthetic pcap of 1,000 connections x 100 packets (a handshake, data
each way with its ACKs, a close) to a temporary folder, then measures, in the
same run: dpkt's bare parse of the file (the baseline), reading it into
segments, and the whole check.  Prints packets per second and the ratio to the
baseline.  The target: 100,000 packets checked in under 10 s on one core.
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


#: captured at A: with ``path`` a long run of segments one side never needs to have
#: received (B's ACKs while A only sends) keeps every delivery order open, and the
#: worlds grow with the square of that run (see the report: not yet bounded)
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


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    conns = int(args[0]) if args else 1000
    per = int(args[1]) if len(args) > 1 else 100
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.pcap"
        n = synthetic(path, conns, per)
        t0 = time.perf_counter()
        with open(path, "rb") as f:
            for _ts, buf in dpkt.pcap.Reader(f):
                dpkt.ethernet.Ethernet(buf)
        bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        trace = read_capture(path)
        read = time.perf_counter() - t0
        table = load_table()
        t0 = time.perf_counter()
        results = [follow(c, table, VANTAGE) for c in split(trace.segments)]
        check = time.perf_counter() - t0
    verdicts = {v: sum(r.verdict == v for r in results) for v in ("conforms", "deviates", "incomplete")}
    total = read + check
    print(f"{n:,} packets, {len(results):,} connections: {verdicts}")
    print(f"  dpkt bare parse (baseline): {bare:6.2f} s  {n / bare:10,.0f} packets/s")
    print(f"  read into segments:         {read:6.2f} s  {n / read:10,.0f} packets/s")
    print(f"  follow through the table:   {check:6.2f} s  {n / check:10,.0f} packets/s")
    print(f"  conform in all:             {total:6.2f} s  {n / total:10,.0f} packets/s  "
          f"({total / bare:.1f}x the baseline; target under 10 s for 100,000 packets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
