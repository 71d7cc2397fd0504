"""Make real Linux captures for ``tcpcheck conform`` (run as root, on Linux).

    python -m tcpcheck.model.conformance.make_captures OUTDIR [SCENARIO ...]

Two network namespaces, ``tcpcheck-a`` (10.77.0.1) and ``tcpcheck-b``
(10.77.0.2), are joined by a relay in this process: each namespace has a TAP
device whose other end is a file descriptor here, and every Ethernet frame
from one is written to the other.  The relay is the capture point (vantage
``path``): it writes each frame it receives to a pcap (with dpkt's writer)
*before* it decides what to do with it, and a scenario may drop a frame, hold
it back until the other side has sent (so that two FINs or two SYNs cross),
or deliver it late.  The kernel, with real sockets made in the namespaces, is
the TCP under test.  At checkpoints, once the network has been quiet for a
moment, ``ss -tan`` in each namespace gives the kernel's own states, recorded
beside the capture as ``NAME.json`` with the number of packets captured so
far (:func:`checkpoints` reads them back).

It needs no tc qdiscs or netfilter (not every kernel has them): losses and
reordering are the relay's.  It lives in the package, not the tests, so that
users can make captures of their own kernel the same way.  Namespaces and
devices are removed at the end.

What a re-run reproduces, and what it cannot: each scenario uses the same
addresses and ports (A's port is fixed per scenario), the same user calls in
the same order, and the same drops and holds, so on the same kernel it gives
the same segments (flags, relative sequence numbers, lengths) and the same
checkpoint states.  It cannot reproduce the initial sequence numbers and the
timestamp option's values (the kernel derives both from a secret and a
clock, RFC 6528, RFC 7323 5.4), the capture times, and, where both sides send
at the same moment, the order in which the relay sees them (the scenarios
here avoid that race: the crossing ones order their segments by holds, delays
and pauses of 50 ms or more).  The scenarios that wait for a retransmission
depend on Linux's initial retransmission timeout of 1 s (RFC 6298 2.1).
TIME_WAIT reuse needs the new SYN's sequence number above the old
connection's, which Linux's clock-driven ISN gives within about 4.5 minutes.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import dpkt

from ..errors import closest

__all__ = ["SCENARIOS", "checkpoints", "main"]

NS = ("tcpcheck-a", "tcpcheck-b")
ADDR = ("10.77.0.1", "10.77.0.2")
PORT = 5001
_CLONE_NEWNET = 0x40000000
_TUNSETIFF = 0x400454CA
_IFF_TAP, _IFF_NO_PI = 0x0002, 0x1000
_libc = ctypes.CDLL(None, use_errno=True)

#: ss's state names -> RFC 9293's
SS_STATES = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RCVD",
             "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "TIME-WAIT": "TIME_WAIT",
             "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "CLOSING": "CLOSING", "LISTEN": "LISTEN"}


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _setns(name: str | None) -> None:
    path = f"/var/run/netns/{name}" if name else "/proc/1/ns/net"
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def socket_in(ns: str, *args) -> socket.socket:
    """A socket of namespace ``ns`` (made by this thread while it is in ``ns``)."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        _setns(ns)
        return socket.socket(*args)
    finally:
        _libc.setns(home, _CLONE_NEWNET)
        os.close(home)


class Relay:
    """The wire between the namespaces, and the capture point.

    ``decide(side, tcp)`` is asked for each TCP segment after it is captured
    (side 0 is A's, 1 is B's) and answers ``"pass"``, ``"drop"``, ``"hold"``
    (kept until a segment of the other side has passed) or a number of seconds
    to deliver it late; frames that are not TCP (ARP) always pass."""

    def __init__(self, pcap_path: Path):
        self.fds = []
        for i, ns in enumerate(NS):
            fd = os.open("/dev/net/tun", os.O_RDWR)
            fcntl.ioctl(fd, _TUNSETIFF, struct.pack("16sH", f"tcpck{i}".encode(), _IFF_TAP | _IFF_NO_PI))
            self.fds.append(fd)
        for i, ns in enumerate(NS):
            _run("ip", "link", "set", f"tcpck{i}", "netns", ns)
            _run("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.tcpck{i}.disable_ipv6=1")
            _run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{ADDR[i]}/24", "dev", f"tcpck{i}")
            _run("ip", "netns", "exec", ns, "ip", "link", "set", f"tcpck{i}", "up")
        self.file = open(pcap_path, "wb")
        self.writer = dpkt.pcap.Writer(self.file, linktype=dpkt.pcap.DLT_EN10MB)
        self.count = 0
        self.last = time.monotonic()
        self.decide = lambda side, tcp: "pass"
        self.held: list = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop:
            ready, _, _ = select.select(self.fds, [], [], 0.05)
            for fd in ready:
                frame = os.read(fd, 65536)
                side = self.fds.index(fd)
                with self.lock:
                    self.last = time.monotonic()
                    eth = dpkt.ethernet.Ethernet(frame)
                    tcp = eth.data.data if isinstance(eth.data, dpkt.ip.IP) and isinstance(
                        eth.data.data, dpkt.tcp.TCP) else None
                    if tcp is not None:
                        self.writer.writepkt(frame, time.time())
                        self.count += 1
                    what = "pass" if tcp is None else self.decide(side, tcp)
                if what == "pass":
                    os.write(self.fds[1 - side], frame)
                    if tcp is not None and self.held:
                        release = self.release(side, tcp)
                        for s, f in release:
                            os.write(self.fds[1 - s], f)
                elif what == "hold":
                    self.held.append((side, frame))
                elif isinstance(what, float):  # delivered that many seconds later
                    threading.Timer(what, os.write, (self.fds[1 - side], frame)).start()
        for s, f in self.held:
            os.write(self.fds[1 - s], f)

    def release(self, side, tcp):
        """Held frames go once a segment of the other side has passed."""
        out = [(s, f) for s, f in self.held if s != side]
        self.held = [(s, f) for s, f in self.held if s == side]
        return out

    def quiet(self, seconds: float = 0.4, limit: float = 10.0) -> None:
        """Wait until no frame has passed for ``seconds``."""
        start = time.monotonic()
        time.sleep(0.1)  # what the caller's last call sent reaches the relay
        while time.monotonic() - start < limit:
            with self.lock:
                idle = time.monotonic() - max(self.last, start)
            if idle >= seconds:
                return
            time.sleep(0.05)

    def wait_for(self, count: int, limit: float = 10.0) -> None:
        """Wait until ``count`` segments have been captured (a timer's retransmission)."""
        start = time.monotonic()
        while time.monotonic() - start < limit:
            with self.lock:
                if self.count >= count:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"{count} segments expected, {self.count} captured in {limit} s")

    def close(self):
        self.stop = True
        self.thread.join()
        self.file.close()
        for fd in self.fds:
            os.close(fd)


def kernel_state(ns: str, local: tuple, remote: tuple) -> str:
    """The state ``ss`` shows for the socket local -> remote in ``ns`` (CLOSED if none)."""
    out = _run("ip", "netns", "exec", ns, "ss", "-tanH", "state", "all")
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 5 and cols[3] == f"{local[0]}:{local[1]}" and cols[4] == f"{remote[0]}:{remote[1]}":
            return SS_STATES.get(cols[0], "CLOSED")
    return "CLOSED"


class Run:
    """One scenario's capture: the sockets' ends and the checkpoints."""

    def __init__(self, relay: Relay, client_port: int):
        self.relay = relay
        self.a = (ADDR[0], client_port)
        self.b = (ADDR[1], PORT)
        self.checkpoints = []

    def checkpoint(self, note: str) -> None:
        self.relay.quiet()
        with self.relay.lock:
            n = self.relay.count
        self.checkpoints.append({"after": n, "note": note,
                                 "A": kernel_state(NS[0], self.a, self.b),
                                 "B": kernel_state(NS[1], self.b, self.a)})


def _client(port: int) -> socket.socket:
    c = socket_in(NS[0], socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((ADDR[0], port))
    return c


def _listener() -> socket.socket:
    s = socket_in(NS[1], socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR[1], PORT))
    s.listen(4)
    return s


def _open(r: Run):
    ls = _listener()
    c = _client(r.a[1])
    c.connect(r.b)
    srv, _ = ls.accept()
    ls.close()
    return c, srv


def close_by_client(r: Run):
    """A normal close, the client (A) first: data, then FINs from A, then B."""
    c, s = _open(r)
    c.sendall(b"hello")
    s.recv(100)
    r.checkpoint("established, data acknowledged")
    c.close()
    r.checkpoint("A closed")
    s.recv(100)
    s.close()
    r.checkpoint("both closed")


def close_by_server(r: Run):
    """A normal close, the server (B) first."""
    c, s = _open(r)
    s.sendall(b"hi there")
    c.recv(100)
    r.checkpoint("established, data acknowledged")
    s.close()
    r.checkpoint("B closed")
    c.recv(100)
    c.close()
    r.checkpoint("both closed")


def half_close(r: Run):
    """A shuts down its sending side; B sends data from CLOSE_WAIT, then closes."""
    c, s = _open(r)
    c.shutdown(socket.SHUT_WR)
    r.checkpoint("A half-closed")
    s.recv(100)
    s.sendall(b"still talking")
    c.recv(100)
    r.checkpoint("B sent data in CLOSE_WAIT")
    s.close()
    r.checkpoint("both closed")
    c.close()


def abort_linger0(r: Run):
    """A closes with SO_LINGER 0: an abort, a reset."""
    c, s = _open(r)
    r.checkpoint("established")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    r.checkpoint("A aborted")
    s.close()


def refused(r: Run):
    """A connects to a port nobody listens on: B answers with a reset."""
    c = _client(r.a[1])
    try:
        c.connect(r.b)
    except ConnectionRefusedError:
        pass
    r.checkpoint("refused")
    c.close()


def reset_unread(r: Run):
    """A closes with data it has not read: Linux resets the connection (RFC 2525 2.17)."""
    c, s = _open(r)
    s.sendall(b"unread data")
    r.checkpoint("data sent to A, not read")
    c.close()
    r.checkpoint("A closed with unread data")
    s.close()


def simultaneous_close(r: Run):
    """Both close at once: the relay holds A's FIN until B's has passed, so they cross."""
    c, s = _open(r)
    r.checkpoint("established")
    r.relay.decide = lambda side, tcp: "hold" if side == 0 and tcp.flags & dpkt.tcp.TH_FIN else "pass"
    c.close()
    time.sleep(0.05)
    s.close()
    r.checkpoint("both closed")
    r.relay.decide = lambda side, tcp: "pass"


def lost_final_ack(r: Run):
    """B closes last; A's ACK of B's FIN is lost (the relay drops it); B retransmits its FIN."""
    c, s = _open(r)
    c.close()
    r.checkpoint("A closed")
    dropped = []

    def decide(side, tcp):
        if side == 0 and not dropped and tcp.flags == dpkt.tcp.TH_ACK:
            dropped.append(tcp.seq)
            return "drop"
        return "pass"

    r.relay.decide = decide
    s.recv(100)
    s.close()
    r.checkpoint("B's FIN retransmitted and acknowledged")
    r.relay.decide = lambda side, tcp: "pass"


def syn_retransmitted(r: Run):
    """A's first SYN is lost (the relay drops it); A retransmits it after its timeout."""
    dropped = []

    def decide(side, tcp):
        if side == 0 and not dropped and tcp.flags == dpkt.tcp.TH_SYN:
            dropped.append(tcp.seq)
            return "drop"
        return "pass"

    r.relay.decide = decide
    c, s = _open(r)
    r.relay.decide = lambda side, tcp: "pass"
    r.checkpoint("established after a SYN retransmission")
    c.close()
    s.close()
    r.checkpoint("both closed")


def _once(side: int, flags: int, then: str | float = "drop"):
    """A decision: the first segment from ``side`` with exactly ``flags`` gets ``then``
    (dropped, or delivered that many seconds late); every other segment passes."""
    done = []

    def decide(s, tcp):
        if s == side and not done and tcp.flags == flags:
            done.append(tcp.seq)
            return then
        return "pass"
    return decide


def synack_retransmitted(r: Run):
    """B's first SYN,ACK is lost; A's SYN repeats and B, in SYN_RCVD, answers it with its SYN,ACK again."""
    # A's SYN reaches B 0.3 s late, so that A's retransmission timeout (1 s after its
    # SYN) comes before B's (1 s after its SYN,ACK): B repeats its SYN,ACK for the
    # repeated SYN, not for its own timer.
    first_syn = _once(0, dpkt.tcp.TH_SYN, 0.3)
    lose_synack = _once(1, dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK)
    r.relay.decide = lambda side, tcp: first_syn(side, tcp) if side == 0 else lose_synack(side, tcp)
    c, s = _open(r)
    r.relay.decide = lambda side, tcp: "pass"
    r.checkpoint("established after a SYN,ACK retransmission")
    c.close()
    r.checkpoint("A closed")
    s.close()
    r.checkpoint("both closed")


def syn_rcvd_held(r: Run):
    """A's ACK of B's SYN,ACK is lost: A is ESTABLISHED, B stays in SYN_RCVD until its
    timer retransmits the SYN,ACK and A acknowledges it again."""
    ls = _listener()
    r.relay.decide = _once(0, dpkt.tcp.TH_ACK)
    c = _client(r.a[1])
    c.connect(r.b)
    r.checkpoint("A established, its ACK lost")
    r.relay.wait_for(5)  # SYN, SYN,ACK, ACK (lost), SYN,ACK again, ACK
    r.relay.decide = lambda side, tcp: "pass"
    s, _ = ls.accept()
    ls.close()
    r.checkpoint("B's SYN,ACK retransmitted and acknowledged")
    c.close()
    r.checkpoint("A closed")
    s.close()
    r.checkpoint("both closed")


def time_wait_reuse(r: Run):
    """B closes first and is in TIME_WAIT when A connects again from the same port with a
    higher ISN: Linux opens the new connection (RFC 6191)."""
    ls = _listener()
    c = _client(r.a[1])
    c.connect(r.b)
    s, _ = ls.accept()
    s.close()
    r.checkpoint("B closed")
    c.recv(100)
    c.close()
    r.checkpoint("A closed, B in TIME_WAIT")
    c = _client(r.a[1])
    c.connect(r.b)
    s, _ = ls.accept()
    ls.close()
    r.checkpoint("the new connection established")
    c.close()
    r.checkpoint("A closed")
    s.recv(100)
    s.close()
    r.checkpoint("both closed")


def fin_with_data(r: Run):
    """A sends its last data and its FIN in one segment (TCP_CORK holds the data until
    the shutdown adds the FIN); B acknowledges both, then closes."""
    c, s = _open(r)
    r.checkpoint("established")
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    c.sendall(b"last words")
    c.shutdown(socket.SHUT_WR)
    r.checkpoint("A sent data and FIN together")
    s.recv(100)
    s.close()
    r.checkpoint("both closed")
    c.close()


def simultaneous_open(r: Run):
    """A and B connect() to each other at once: the SYNs cross (the relay delivers A's
    0.3 s late, after B's), and so do the SYN,ACKs (it holds A's until B's has passed)."""
    c = _client(r.a[1])
    s = socket_in(NS[1], socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(r.b)
    # The order is fixed by margins of a quarter of a second, not by a race: A's SYN
    # and B's SYN (0.05 s later) are sent first, A's SYN,ACK next (for B's SYN), B's
    # last (for A's SYN, delivered at 0.3 s), and both arrive in SYN_RCVD.
    late_syn = _once(0, dpkt.tcp.TH_SYN, 0.3)
    r.relay.decide = lambda side, tcp: "hold" if side == 0 and tcp.flags == dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK \
        else late_syn(side, tcp)
    for sock, peer in ((c, r.b), (s, r.a)):
        sock.setblocking(False)
        sock.connect_ex(peer)
        time.sleep(0.05)
    for sock in (c, s):
        select.select([], [sock], [], 5)
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            raise OSError("simultaneous open failed")
        sock.setblocking(True)
    r.relay.decide = lambda side, tcp: "pass"
    r.checkpoint("both established")
    c.close()
    r.checkpoint("A closed")
    s.close()
    r.checkpoint("both closed")


def fin_wait_2_timeout(r: Run):
    """A closes (an orphaned FIN_WAIT_2, net.ipv4.tcp_fin_timeout 2 s in A's namespace) while
    B stays in CLOSE_WAIT past the timeout: A's socket is deleted, and B's FIN, sent after,
    is answered with a reset."""
    _run("ip", "netns", "exec", NS[0], "sysctl", "-qw", f"net.ipv4.tcp_fin_timeout={FIN_TIMEOUT}")
    c, s = _open(r)
    c.close()
    r.checkpoint("A closed: orphaned FIN_WAIT_2")
    time.sleep(FIN_TIMEOUT + 1.5)
    r.checkpoint("A's FIN_WAIT_2 timed out, B in CLOSE_WAIT")
    s.close()
    r.checkpoint("B's FIN answered with a reset")


#: net.ipv4.tcp_fin_timeout in A's namespace for fin-wait-2-timeout, in seconds (Linux's
#: default is 60; it waits at least 3.5 retransmission timeouts, 0.7 s on a fast link).
FIN_TIMEOUT = 2


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    close_by_client, close_by_server, half_close, abort_linger0, refused, reset_unread,
    simultaneous_close, lost_final_ack, syn_retransmitted, synack_retransmitted, syn_rcvd_held,
    time_wait_reuse, fin_with_data, simultaneous_open, fin_wait_2_timeout)}


def _cleanup():
    for ns in NS:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def make(outdir: Path, name: str, port: int) -> dict:
    _cleanup()
    for ns in NS:
        _run("ip", "netns", "add", ns)
        _run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
    relay = Relay(outdir / f"{name}.pcap")
    try:
        r = Run(relay, port)
        SCENARIOS[name](r)
        relay.quiet()
    finally:
        relay.close()
        _cleanup()
    meta = {"scenario": name, "description": " ".join(SCENARIOS[name].__doc__.split()), "vantage": "path",
            "kernel": os.uname().release, "A": f"{r.a[0]}:{r.a[1]}", "B": f"{r.b[0]}:{r.b[1]}",
            "checkpoints": r.checkpoints}
    (outdir / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def checkpoints(meta: dict) -> list[tuple[int, dict]]:
    """A capture's checkpoints from its ``NAME.json`` (as :func:`make` writes it), in the
    shape ``follow`` takes: ``[(packets captured so far, {"A": state, "B": state}), ...]``."""
    return [(c["after"], {"A": c["A"], "B": c["B"]}) for c in meta["checkpoints"]]


EPILOG = """examples:
  python -m tcpcheck.model.conformance.make_captures /tmp/caps          every scenario
  python -m tcpcheck.model.conformance.make_captures /tmp/caps simultaneous-open fin-with-data
  tcpcheck conform /tmp/caps/simultaneous-open.pcap --profile linux

Each scenario writes OUTDIR/NAME.pcap (Ethernet, as the relay saw the
frames) and OUTDIR/NAME.json (scenario, description, vantage, kernel
release, A and B, and the checkpoints: after how many packets, and the state
ss showed for A and for B).  It prints one line per scenario with the
checkpoints' states.

exit codes:
  0    every scenario was captured
  2    bad usage (an unknown scenario, an OUTDIR that cannot be made), not root,
       or the namespaces could not be made
  3    a scenario failed while it ran (its capture is left unfinished)"""


def _parser() -> argparse.ArgumentParser:
    width = max(len(k) for k in SCENARIOS)
    desc = (__doc__.strip() + "\n\nscenarios (A is the client, B the server, unless said):\n"
            + "\n".join(f"  {k:<{width}}  {' '.join(v.__doc__.split())}" for k, v in SCENARIOS.items()))
    p = argparse.ArgumentParser(prog="python -m tcpcheck.model.conformance.make_captures", description=desc,
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir", metavar="OUTDIR", type=Path, help="the folder to write NAME.pcap and NAME.json in")
    p.add_argument("scenarios", metavar="SCENARIO", nargs="*", default=[],
                   help="the scenarios to capture (all of them if none is given)")
    return p


def _error(text: str, code: int) -> int:
    print(f"make_captures: error: {text}", file=sys.stderr)
    return code


def main(argv=None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    names = args.scenarios or list(SCENARIOS)
    for name in names:
        if name not in SCENARIOS:
            hint = closest(name, SCENARIOS)
            return _error(f"unknown scenario '{name}'" + (f" (did you mean '{hint}'?)" if hint else "")
                          + f"; the scenarios are: {', '.join(SCENARIOS)}", 2)
    if os.geteuid() != 0:
        return _error("needs root (it makes network namespaces and TAP devices)", 2)
    try:
        args.outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return _error(f"{args.outdir}: cannot make the folder ({e.strerror})", 2)
    for name in names:
        try:
            meta = make(args.outdir, name, 40001 + list(SCENARIOS).index(name))
        except subprocess.CalledProcessError as e:
            return _error(f"{name}: '{' '.join(e.cmd)}' failed: {(e.stderr or '').strip()}", 2)
        except (OSError, TimeoutError) as e:
            return _error(f"{name}: {e}", 3)
        print(f"{name}: {', '.join(c['note'] + ' ' + c['A'] + '/' + c['B'] for c in meta['checkpoints'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
