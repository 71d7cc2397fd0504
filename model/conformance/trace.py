"""Observed segments and connections: what every trace reader produces.

A reader (pcap/pcapng in :mod:`.capture_files`, the JSON trace here, a
packetdrill script later) turns a file into :class:`Observed` segments, one per
TCP packet, in file order.  :func:`split` groups them into
:class:`Connection` s: by 4-tuple, and a SYN without ACK that is not a
retransmission of the connection's own SYN starts a new connection on the same
4-tuple (a reused port pair).  Endpoint A is the one that sent the first SYN
(or, when the capture starts mid-connection, the first segment).

The segment's real 32-bit SEQ and ACK, payload length, window, urgent pointer
and options are kept as read; :func:`relative` gives the numbers relative to
each side's first sequence number, for display only.

Bad input raises :class:`TraceError` (an InputError: exit 2) naming the file
and the packet number or line.  Readers never execute anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from ..errors import InputError, read_input
from ..tcb import MASK, Segment

__all__ = ["TraceError", "Observed", "Connection", "Trace", "split", "relative", "to_segment",
           "read_json_trace", "read_states", "States", "FLAG_NAMES", "VANTAGES", "JSON_FORMAT", "MAX_JSON_BYTES"]

#: The control bits of a TCP header, in the order a display lists them.
FLAG_NAMES = ("SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR")

#: Where a capture may have been taken: at endpoint A, at B, or on the path between.
VANTAGES = ("a", "b", "path")

#: The ``format`` field of a JSON trace.
JSON_FORMAT = "tcpcheck-trace"

#: The largest JSON trace read (a capture is read as a stream, a JSON trace whole).
MAX_JSON_BYTES = 64 * 1024 * 1024


class TraceError(InputError):
    """A trace file that cannot be read: ``FILE: packet N: what is wrong``."""


class Observed(NamedTuple):
    """One TCP segment as seen in a trace.

    ``number`` is the packet's number in the file (1-based, every packet
    counted, as Wireshark numbers them); ``src``/``dst`` are (address, port);
    ``flags`` a frozenset of :data:`FLAG_NAMES`; ``seq``/``ack`` the real
    32-bit values; ``len`` the payload octets; ``window`` the window field as
    sent (unscaled); ``options`` (name, value) pairs as parsed; ``cut`` that
    the capture holds only part of the packet (its snapshot length)."""

    number: int
    time: float
    src: tuple[str, int]
    dst: tuple[str, int]
    flags: frozenset
    seq: int
    ack: int
    len: int
    window: int
    urgent: int = 0
    options: tuple = ()
    cut: bool = False

    @property
    def SYN(self) -> bool:
        return "SYN" in self.flags

    @property
    def ACK(self) -> bool:
        return "ACK" in self.flags

    @property
    def FIN(self) -> bool:
        return "FIN" in self.flags

    @property
    def RST(self) -> bool:
        return "RST" in self.flags

    def option(self, name: str):
        """The value of option ``name`` (e.g. ``wscale``), or None."""
        for k, v in self.options:
            if k == name:
                return v
        return None


def to_segment(o: Observed) -> Segment:
    """The model's :class:`~tcpcheck.model.tcb.Segment` of an observed one: its four
    control bits the model knows, real SEQ and ACK, and the real payload length."""
    f = o.flags
    return Segment("SYN" in f, "ACK" in f, "FIN" in f, "RST" in f, o.seq, o.ack, o.len)


class Connection(NamedTuple):
    """The segments of one connection, in trace order; ``a``/``b`` the endpoints."""

    a: tuple[str, int]
    b: tuple[str, int]
    segments: tuple[Observed, ...]
    starts_mid: bool  # the first segment is not A's SYN: the capture started after the connection did

    @property
    def truncated(self) -> bool:
        """Some segment is cut short by the capture's snapshot length."""
        return any(o.cut for o in self.segments)

    def sender(self, o: Observed) -> str:
        """"A" or "B": who sent ``o``."""
        return "A" if o.src == self.a else "B"

    def name(self) -> str:
        return f"{_addr(self.a)} -> {_addr(self.b)}"


class Trace(NamedTuple):
    """What a reader produces: the file's name, its segments, and what it says about itself."""

    path: str
    segments: tuple[Observed, ...]
    packets: int  # every packet of the file, TCP or not
    skipped: tuple[str, ...] = ()  # notes on packets that are not TCP segments (counted by kind)
    link: str = ""  # the link type, as named in a note ("Ethernet", "JSON trace", ...)
    vantage: str | None = None  # where the trace says it was taken, if it says
    checkpoints: tuple = ()  # (after packet number, {"A": state, "B": state}) from a JSON trace


def _addr(e: tuple[str, int]) -> str:
    host, port = e
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split(segments) -> list[Connection]:
    """Group segments into connections by 4-tuple and SYN, in order of first appearance.

    A SYN without ACK from a side that has already sent a SYN with another
    sequence number in the current connection on that 4-tuple starts a new
    connection (a reused port pair); a repeated SYN is a retransmission, and
    the other side's first SYN is a simultaneous open.

    >>> s = lambda n, src, dst, fl, seq: Observed(n, 0.0, src, dst, frozenset(fl), seq, 0, 0, 0)
    >>> a, b = ("10.0.0.1", 1000), ("10.0.0.2", 80)
    >>> [len(c.segments) for c in split([s(1, a, b, ["SYN"], 5), s(2, a, b, ["SYN"], 5), s(3, a, b, ["SYN"], 900)])]
    [2, 1]
    """
    conns: list = []  # [a, b, segments, {side: seq of its SYN}, starts_mid]
    current: dict = {}
    for o in segments:
        key = frozenset((o.src, o.dst))
        cur = current.get(key)
        if cur is not None and o.SYN and not o.ACK and cur[3].get(o.src, o.seq) != o.seq:
            cur = None
        if cur is None:
            cur = current[key] = [o.src, o.dst, [], {}, not (o.SYN and not o.ACK)]
            conns.append(cur)
        if o.SYN:
            cur[3].setdefault(o.src, o.seq)
        cur[2].append(o)
    return [Connection(c[0], c[1], tuple(c[2]), c[4]) for c in conns]


def relative(conn: Connection) -> dict:
    """For each side ("A", "B"), the base its relative numbers count from: its
    first sequence number seen (its ISS when its SYN was captured)."""
    base: dict = {}
    for o in conn.segments:
        base.setdefault(conn.sender(o), o.seq)
    return base


def rel(value: int, base: int | None) -> int:
    """``value`` relative to ``base``, modulo 2**32."""
    return value if base is None else (value - base) & MASK


# --- the JSON trace ----------------------------------------------------------------

_SEG_KEYS = {"from", "flags", "seq", "ack", "len", "window", "time", "urgent", "options"}


def _u32(v, where: str, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MASK:
        raise TraceError(f"{where}: '{what}' must be a whole number from 0 to {MASK}, not {json.dumps(v)}")
    return v



def _json(p: Path, what: str) -> tuple:
    """The JSON document of file ``p`` (a ``what``: "trace", "states file") and
    its text, or :class:`TraceError` at its line (``FILE:LINE: not JSON: ...
    (column C)``)."""
    text = read_input(p, f"the {what}", TraceError, limit=MAX_JSON_BYTES)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise TraceError(f"{p}:{exc.lineno}: not JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise TraceError(f"{p}:1: nested too deeply to be a {what}") from None


def read_json_trace(path: str | Path) -> Trace:
    """Read a JSON trace::

        {"format": "tcpcheck-trace", "version": 1,
         "endpoints": {"A": "10.0.0.1:40000", "B": "10.0.0.2:80"},
         "vantage": "a" | "b" | "path",             (optional)
         "segments": [{"from": "A", "flags": ["SYN"], "seq": 100, "ack": 0,
                       "len": 0, "window": 65535, "time": 0.0}, ...],
         "checkpoints": [{"after": 3, "A": "ESTABLISHED", "B": "ESTABLISHED"}]}   (optional)

    A checkpoint gives the states after segment ``after`` with the network quiet (every
    segment sent before it arrived or was lost), as ``--states`` files do.

    ``len``, ``window``, ``time`` and ``ack`` may be left out (0, 65535, the
    segment's number, 0).  Segments are numbered from 1 in the order listed.
    """
    p = Path(path)
    doc, _ = _json(p, "trace")
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise TraceError(f"{p}: a JSON trace is an object with \"format\": \"{JSON_FORMAT}\"")
    if doc.get("version", 1) != 1:
        raise TraceError(f"{p}: trace version {json.dumps(doc.get('version'))} is not one this tcpcheck reads (1)")
    ends = doc.get("endpoints", {"A": "10.0.0.1:40000", "B": "10.0.0.2:80"})
    if not isinstance(ends, dict) or set(ends) != {"A", "B"}:
        raise TraceError(f"{p}: 'endpoints' must name A and B, e.g. {{\"A\": \"10.0.0.1:40000\", \"B\": \"10.0.0.2:80\"}}")
    addr = {}
    for k in ("A", "B"):
        host, _, port = str(ends[k]).rpartition(":")
        if not host or not port.isdigit() or int(port) > 65535:
            raise TraceError(f"{p}: endpoint {k} '{ends[k]}' must be ADDRESS:PORT")
        addr[k] = (host.strip("[]"), int(port))
    if addr["A"] == addr["B"]:
        raise TraceError(f"{p}: endpoints A and B must differ")
    vantage = doc.get("vantage")
    if vantage is not None and vantage not in VANTAGES:
        raise TraceError(f"{p}: 'vantage' must be one of {', '.join(VANTAGES)}, not {json.dumps(vantage)}")
    segs = doc.get("segments")
    if not isinstance(segs, list) or not segs:
        raise TraceError(f"{p}: 'segments' must be a non-empty list of segments")
    out = []
    for i, s in enumerate(segs, 1):
        where = f"{p}: segment {i}"
        if not isinstance(s, dict):
            raise TraceError(f"{where}: expected an object with 'from', 'flags', 'seq'")
        extra = sorted(set(s) - _SEG_KEYS)
        if extra:
            raise TraceError(f"{where}: unknown field '{extra[0]}'; the fields are {', '.join(sorted(_SEG_KEYS))}")
        who = s.get("from")
        if who not in ("A", "B"):
            raise TraceError(f"{where}: 'from' must be \"A\" or \"B\", not {json.dumps(who)}")
        flags = s.get("flags", [])
        if isinstance(flags, str):
            flags = [f for f in flags.replace("|", ",").split(",") if f.strip()]
        if not isinstance(flags, list) or any(not isinstance(f, str) for f in flags):
            raise TraceError(f"{where}: 'flags' must be a list such as [\"SYN\", \"ACK\"]")
        flags = [f.strip().upper() for f in flags]
        bad = [f for f in flags if f not in FLAG_NAMES]
        if bad:
            raise TraceError(f"{where}: unknown flag '{bad[0]}'; the flags are {', '.join(FLAG_NAMES)}")
        if "seq" not in s:
            raise TraceError(f"{where}: 'seq' is missing")
        seq = _u32(s["seq"], where, "seq")
        ack = _u32(s.get("ack", 0), where, "ack")
        n = s.get("len", 0)
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 65535:
            raise TraceError(f"{where}: 'len' must be a whole number from 0 to 65535, not {json.dumps(n)}")
        w = s.get("window", 65535)
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 65535:
            raise TraceError(f"{where}: 'window' must be a whole number from 0 to 65535, not {json.dumps(w)}")
        t = s.get("time", float(i))
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise TraceError(f"{where}: 'time' must be a number of seconds, not {json.dumps(t)}")
        opts = s.get("options", {})
        if not isinstance(opts, dict):
            raise TraceError(f"{where}: 'options' must be an object such as {{\"mss\": 1460, \"wscale\": 7}}")
        src, dst = (addr["A"], addr["B"]) if who == "A" else (addr["B"], addr["A"])
        out.append(Observed(i, float(t), src, dst, frozenset(flags), seq, ack, n, w,
                            _u32(s.get("urgent", 0), where, "urgent"), tuple(sorted(opts.items()))))
    checkpoints = []
    for j, c in enumerate(doc.get("checkpoints", []), 1):
        from ..table import canonical_state

        where = f"{p}: checkpoint {j}"
        if not isinstance(c, dict) or not isinstance(c.get("after"), int) or not 0 <= c["after"] <= len(out):
            raise TraceError(f"{where}: expected {{\"after\": SEGMENT NUMBER, \"A\": STATE, \"B\": STATE}}")
        states = {}
        for k in ("A", "B"):
            st = canonical_state(str(c.get(k, "")))
            if st is None:
                raise TraceError(f"{where}: '{k}' must be a state such as ESTABLISHED, not {json.dumps(c.get(k))}")
            states[k] = st
        checkpoints.append((c["after"], states))
    return Trace(str(p), tuple(out), len(out), (), "JSON trace", vantage, tuple(checkpoints))


# --- recorded states: checkpoints for a capture (--states FILE) -----------------------

class States(NamedTuple):
    """Recorded states read from a ``--states`` file: ``checkpoints`` are (after packet
    number, {"A": state, "B": state}, line); ``a``/``b`` the endpoints it names, or None."""

    path: str
    checkpoints: tuple
    a: tuple | None = None
    b: tuple | None = None


_CHECKPOINT_KEYS = {"after", "A", "B", "note"}


def _element_lines(text: str, key: str) -> list[int]:
    """The line on which each element of the top-level array ``key`` of a JSON document
    (already known to be valid) starts."""
    import re

    m = re.search(r'"%s"\s*:\s*\[' % re.escape(key), text)
    if m is None:
        return []
    dec, pos, lines = json.JSONDecoder(), m.end(), []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(text.count("\n", 0, pos) + 1)
        _, pos = dec.raw_decode(text, pos)


def _endpoint(value, where: str) -> tuple[str, int]:
    host, _, port = str(value).rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise TraceError(f"{where}: an endpoint is ADDRESS:PORT, such as \"10.0.0.1:40000\", not {json.dumps(value)}")
    return host.strip("[]"), int(port)


def read_states(path: str | Path) -> States:
    """Read a ``--states`` file: the states each endpoint was recorded in (by ``ss``, a
    debugger, the stack's own log) after some packets of the capture, in the format of the
    checkpoints kept beside the fixtures in tests/captures/::

        {"A": "10.0.0.1:40000", "B": "10.0.0.2:80",          (optional: which connection)
         "checkpoints": [
           {"after": 3, "A": "ESTABLISHED", "B": "ESTABLISHED", "note": "connected"},
           {"after": 9, "A": "TIME_WAIT", "B": "CLOSED"}]}

    ``after`` is a packet number of the capture (as Wireshark numbers them, from 1); the
    states are RFC 9293's names (``TIME-WAIT``, ``SYN-RECEIVED`` and ``ss``'s ``ESTAB``,
    ``TIME-WAIT``, ``SYN-RECV``, ``FIN-WAIT-2`` ... are accepted); ``note`` is for people.
    A checkpoint may name one endpoint only.  Other fields (``scenario``, ``vantage``, ...)
    are ignored, so a fixture's metadata file is a states file.  Bad input raises
    :class:`TraceError` as ``FILE:LINE: what was expected``."""
    from ..errors import closest
    from ..table import canonical_state
    from ..tcb import STATES

    p = Path(path)
    doc, text = _json(p, "states file")
    if not isinstance(doc, dict) or not isinstance(doc.get("checkpoints"), list) or not doc["checkpoints"]:
        raise TraceError(f"{p}:1: a states file is an object with a non-empty list \"checkpoints\": "
                         f"[{{\"after\": PACKET, \"A\": STATE, \"B\": STATE}}, ...]")
    ends = [_endpoint(doc[k], f"{p}:1: '{k}'") if k in doc else None for k in ("A", "B")]
    if (ends[0] is None) != (ends[1] is None):
        raise TraceError(f"{p}:1: name both endpoints A and B, or neither")
    lines = _element_lines(text, "checkpoints")
    out = []
    for j, c in enumerate(doc["checkpoints"], 1):
        line = lines[j - 1] if j <= len(lines) else 1
        where = f"{p}:{line}: checkpoint {j}"
        if not isinstance(c, dict):
            raise TraceError(f"{where}: expected an object {{\"after\": PACKET, \"A\": STATE, \"B\": STATE}}")
        extra = sorted(set(c) - _CHECKPOINT_KEYS)
        if extra:
            hint = closest(extra[0], _CHECKPOINT_KEYS)
            raise TraceError(f"{where}: unknown field '{extra[0]}'" + (f" (did you mean '{hint}'?)" if hint else "")
                             + f"; the fields are {', '.join(sorted(_CHECKPOINT_KEYS))}")
        after = c.get("after")
        if isinstance(after, bool) or not isinstance(after, int) or after < 1:
            raise TraceError(f"{where}: 'after' must be a packet number (1 or more), not {json.dumps(after)}")
        states = {}
        for k in ("A", "B"):
            if k not in c:
                continue
            st = canonical_state(str(c[k]).replace("SYN-RECV", "SYN-RECEIVED").replace("SYN_RECV", "SYN_RCVD")
                                 if isinstance(c[k], str) else "")
            if st is None:
                hint = closest(str(c[k]).upper().replace("-", "_"), STATES) if isinstance(c[k], str) else None
                raise TraceError(f"{where}: '{k}' must be a state such as ESTABLISHED, not {json.dumps(c[k])}"
                                 + (f" (did you mean {hint}?)" if hint else ""))
            states[k] = st
        if not states:
            raise TraceError(f"{where}: name the state of A, of B, or of both")
        out.append((after, states, line))
    return States(str(p), tuple(out), ends[0], ends[1])
