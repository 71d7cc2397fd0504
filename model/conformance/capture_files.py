"""Reading pcap and pcapng captures into observed TCP segments (with dpkt).

Link types read: Ethernet (1, VLAN tags included), Linux cooked capture SLL
(113) and SLL2 (276), BSD loopback NULL (0) and LOOP (108), and raw IP (101,
12, 228, 229); IPv4 and IPv6.  A pcapng capture on several interfaces (as
Wireshark writes one taken on eth0 and lo) is read interface by interface,
each packet with its own interface's link type and time resolution (dpkt's
reader applies the first interface's to every packet).  Every packet is
numbered as Wireshark numbers it (from 1, every packet counted); packets that
are not TCP (ARP, UDP, IP fragments after the first) are skipped and counted in
a note.  Checksums are not verified.  The payload length comes from the IP
header, so a packet cut short by the snapshot length still has its real length
(and is marked ``cut``; its connection is then incomplete).

A file that is not a capture, a capture of an unknown link type, a record cut
off at the end of the file, a packet whose headers are damaged, or a capture
without a single TCP segment raises :class:`~.trace.TraceError` naming the
file and the packet: exit 2, never a traceback.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
from pathlib import Path

import dpkt

from .trace import Observed, Trace, TraceError

__all__ = ["read_capture", "LINK_TYPES", "is_capture"]

#: link type number -> (name, decoder of one frame)
LINK_TYPES = {
    1: ("Ethernet", dpkt.ethernet.Ethernet),
    113: ("Linux cooked (SLL)", dpkt.sll.SLL),
    276: ("Linux cooked v2 (SLL2)", dpkt.sll2.SLL2),
    0: ("loopback (NULL)", dpkt.loopback.Loopback),
    108: ("loopback (LOOP)", None),
    101: ("raw IP", None),
    12: ("raw IP", None),
    228: ("raw IPv4", None),
    229: ("raw IPv6", None),
}

_PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

_OPTION_NAMES = {2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "ts", 19: "md5", 29: "ao", 30: "mptcp",
                 34: "tfo"}


def is_capture(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a pcap or pcapng capture."""
    return head[:4] in _PCAP_MAGICS or head[:4] == _PCAPNG_MAGIC


def _raw_ip(buf: bytes):
    if not buf:
        raise dpkt.NeedData("empty packet")
    v = buf[0] >> 4
    if v == 4:
        return dpkt.ip.IP(buf)
    if v == 6:
        return dpkt.ip6.IP6(buf)
    return None


def _loop(buf: bytes):
    """LINKTYPE_LOOP: a 4-byte address family in network byte order, then the packet."""
    return _raw_ip(buf[4:])


def _options(raw: bytes) -> tuple:
    if not raw:
        return ()
    out = []
    for item in dpkt.tcp.parse_opts(raw):
        if item is None:
            out.append(("malformed", raw.hex()))
            break
        kind, data = item
        if kind in (0, 1):
            continue
        name = _OPTION_NAMES.get(kind, f"kind{kind}")
        if kind == 2 and len(data) == 2:
            value = struct.unpack("!H", data)[0]
        elif kind == 3 and len(data) == 1:
            value = data[0]
        elif kind == 8 and len(data) == 8:
            value = "%d/%d" % struct.unpack("!II", data)
        elif kind == 5 and len(data) % 8 == 0:
            value = " ".join("%d-%d" % struct.unpack("!II", data[i:i + 8]) for i in range(0, len(data), 8))
        elif kind == 4 and not data:
            value = True
        else:
            value = data.hex()
        out.append((name, value))
    return tuple(out)


_ADDRESSES: dict = {}


def _address(raw: bytes) -> str:
    """An IPv4 or IPv6 address in its usual text (remembered: a capture repeats a few)."""
    text = _ADDRESSES.get(raw)
    if text is None:
        if len(_ADDRESSES) > 65536:
            _ADDRESSES.clear()
        text = _ADDRESSES[raw] = socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)
    return text


def _addr(ip, v6: bool) -> tuple[str, str]:
    return _address(ip.src), _address(ip.dst)


#: The control bits of each value of the flags octet, by name.
_FLAGS = tuple(frozenset(n for n, bit in (("FIN", 1), ("SYN", 2), ("RST", 4), ("PSH", 8), ("ACK", 16),
                                          ("URG", 32), ("ECE", 64), ("CWR", 128)) if fl & bit)
               for fl in range(256))


class _Counting:
    """A file wrapper that reads no more than the file holds and notices a short read: a
    record whose length field says more than is left (cut off at the end of the file, or
    corrupt: a length of 0xffffffff) is read as far as the file goes, never allocated whole.
    ``short`` is (bytes asked for, bytes left) of the first short read since :meth:`reset`."""

    #: the most a read from a file of unknown size (a pipe) takes at once: pcap's largest
    #: snapshot length (libpcap's MAXIMUM_SNAPLEN) and a pcapng block's headers
    UNSIZED = 262144 + 4096

    def __init__(self, f):
        self.f = f
        self.short = None
        self.name = getattr(f, "name", "")
        st = os.fstat(f.fileno())
        self.size = st.st_size if stat.S_ISREG(st.st_mode) else None

    def read(self, n=-1):
        left = self.UNSIZED if self.size is None else max(0, self.size - self.f.tell())
        if n is None or n < 0 or n > left:
            if n is not None and n > left and self.short is None:
                self.short = (n, None if self.size is None else left)
            n = left
        return self.f.read(n)

    def reset(self):
        self.short = None

    def __getattr__(self, name):
        return getattr(self.f, name)


def read_capture(path: str | Path) -> Trace:
    """The TCP segments of a pcap or pcapng capture."""
    p = Path(path)
    try:
        f = open(p, "rb")
    except OSError as exc:
        raise TraceError(f"{p}: cannot read the capture: {exc.strerror}") from None
    with f:
        head = f.read(4)
        f.seek(0)
        if not is_capture(head):
            raise TraceError(f"{p}: not a pcap or pcapng capture (it starts with {head.hex() or 'nothing'})")
        wrapped = _Counting(f)
        try:
            reader = dpkt.pcapng.Reader(wrapped) if head == _PCAPNG_MAGIC else dpkt.pcap.Reader(wrapped)
        except (ValueError, dpkt.Error, struct.error) as exc:
            raise TraceError(f"{p}: the capture's file header is damaged ({exc})") from None
        link = reader.datalink()
        if head == _PCAPNG_MAGIC:
            f.seek(0)  # the interfaces again, each with its own link type (dpkt's Reader takes the first's)
            it, links = _pcapng_packets(wrapped), set()
        else:
            _check_link(p, link)
            it, links = ((ts, buf, link) for ts, buf in reader), {link}
        segments = []
        skipped: dict[str, int] = {}
        number = 0
        while True:
            wrapped.reset()
            try:
                ts, buf, link = next(it)
            except StopIteration:
                if wrapped.short is not None and wrapped.short[1] != 0:  # a record header begun, not ended
                    raise TraceError(f"{p}: packet {number + 1}: {_cut(wrapped.short)}") from None
                break
            except (ValueError, dpkt.Error, struct.error) as exc:
                if wrapped.short is not None:
                    raise TraceError(f"{p}: packet {number + 1}: {_cut(wrapped.short)}") from None
                raise TraceError(f"{p}: packet {number + 1}: the capture is damaged or cut off here ({exc})") from None
            number += 1
            if wrapped.short is not None:
                raise TraceError(f"{p}: packet {number}: {_cut(wrapped.short)}")
            if ts is None:  # counted, as Wireshark numbers it, and said
                skipped["pcapng simple (time-less)"] = skipped.get("pcapng simple (time-less)", 0) + 1
                continue
            if link not in links:
                _check_link(p, link, number)
                links.add(link)
            seg = _segment(p, number, float(ts), buf, _decoder(link), skipped)
            if seg is not None:
                segments.append(seg)
    name = ", ".join(dict.fromkeys(LINK_TYPES[x][0] for x in sorted(links))) if links else LINK_TYPES.get(
        link, (f"link type {link}",))[0]
    if not segments:
        what = f"{number} packet{'s' if number != 1 else ''}" if number else "no packets"
        raise TraceError(f"{p}: no TCP segment in the capture ({what}; {name})")
    notes = tuple(f"{n} {kind} packet{'s' if n != 1 else ''} skipped" for kind, n in sorted(skipped.items()))
    return Trace(str(p), tuple(segments), number, notes, name)


def _check_link(p: Path, link: int, number: int | None = None) -> None:
    if link not in LINK_TYPES:
        known = ", ".join(f"{n} ({v[0]})" for n, v in sorted(LINK_TYPES.items()))
        where = f"packet {number}: its interface's " if number is not None else ""
        raise TraceError(f"{p}: {where}link type {link} is not one tcpcheck reads; it reads {known}")


def _decoder(link: int):
    """The decoder of one frame of link type ``link`` (one of LINK_TYPES)."""
    decode = LINK_TYPES[link][1]
    return decode if decode is not None else _loop if link == 108 else _raw_ip


def _pcapng_packets(f):
    """(timestamp, frame, link type) of each packet of the pcapng file ``f``, read from its
    start: every section header (its byte order), every interface description (its link
    type, if_tsresol and if_tsoffset) and the enhanced and obsolete packet blocks, each
    with its own interface's; a simple packet block (no time stamp) is
    (None, b"", None); other blocks are skipped, as dpkt's reader skips them.  A
    packet on an interface no description block declared is a damaged capture (ValueError)."""
    ng = dpkt.pcapng
    le, interfaces = True, []
    while True:
        head = f.read(8)
        if len(head) < 8:
            return
        if head[:4] == _PCAPNG_MAGIC:  # a section header: its byte-order magic says the byte order
            bom = f.read(4)
            if len(bom) < 4:
                raise ValueError("a section header cut short")
            le = struct.unpack("<I", bom)[0] == ng.BYTE_ORDER_MAGIC
            if not le and struct.unpack(">I", bom)[0] != ng.BYTE_ORDER_MAGIC:
                raise ValueError("a section header with an unknown byte order")
            length = _block_length(struct.unpack("<I" if le else ">I", head[4:])[0])
            (ng.SectionHeaderBlockLE if le else ng.SectionHeaderBlock)(head + bom + f.read(length - 12))
            interfaces = []  # interface ids are numbered per section
            continue
        kind, length = struct.unpack("<II" if le else ">II", head)
        buf = head + f.read(_block_length(length) - 8)
        if kind == ng.PCAPNG_BT_IDB:
            idb = (ng.InterfaceDescriptionBlockLE if le else ng.InterfaceDescriptionBlock)(buf)
            divisor, offset = 1e6, 0
            for opt in idb.opts:
                if opt.code == ng.PCAPNG_OPT_IF_TSRESOL and opt.data:  # MSB 0: a negative power of 10, else of 2
                    v = opt.data[0]
                    divisor = float((2 if v & 0x80 else 10) ** (v & 0x7F))
                elif opt.code == ng.PCAPNG_OPT_IF_TSOFFSET:
                    offset = struct.unpack("<q" if le else ">q", opt.data[:8])[0]
            interfaces.append((idb.linktype, divisor, offset))
        elif kind in (ng.PCAPNG_BT_EPB, ng.PCAPNG_BT_PB):
            block = ((ng.EnhancedPacketBlockLE if le else ng.EnhancedPacketBlock) if kind == ng.PCAPNG_BT_EPB
                     else (ng.PacketBlockLE if le else ng.PacketBlock))(buf)
            if block.iface_id >= len(interfaces):
                raise ValueError(f"a packet on interface {block.iface_id}, which no interface description "
                                 f"block declares")
            link, divisor, offset = interfaces[block.iface_id]
            yield offset + ((block.ts_high << 32) | block.ts_low) / divisor, block.pkt_data, link
        elif kind == ng.PCAPNG_BT_SPB:  # a simple packet block: a packet, but no time stamp to follow it by
            yield None, b"", None


def _block_length(n: int) -> int:
    if n < 12:  # a block is at least its type, its length twice
        raise ValueError(f"a block length of {n} bytes")
    return n


def _cut(short: tuple) -> str:
    asked, left = short
    if left is None:
        return (f"its record says {asked} more bytes, more than a capture's record holds "
                f"({_Counting.UNSIZED} at most): the record's length is corrupt")
    return (f"the capture is cut off in the middle of this packet (its record says {asked} more bytes; "
            f"the file has {left} left: the file ends early, or the record's length is corrupt)")


def _segment(p, number, ts, buf, decode, skipped) -> Observed | None:
    try:
        frame = decode(buf)
    except (dpkt.Error, struct.error, IndexError, ValueError) as exc:
        raise TraceError(f"{p}: packet {number}: cannot decode its link-layer header ({exc})") from None
    ip = frame
    while ip is not None and not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
        ip = getattr(ip, "data", None)
        if isinstance(ip, (bytes, bytearray)):
            ip = None
    if ip is None:
        skipped["non-IP"] = skipped.get("non-IP", 0) + 1
        return None
    v6 = isinstance(ip, dpkt.ip6.IP6)
    proto = getattr(ip, "p", None)  # IPv6: dpkt's p is the protocol after the extension headers
    if not v6 and ip.offset:
        skipped["IP fragment"] = skipped.get("IP fragment", 0) + 1
        return None
    if proto != dpkt.ip.IP_PROTO_TCP:
        kind = {17: "UDP", 1: "ICMP", 58: "ICMPv6"}.get(proto, f"IP protocol {proto}")
        skipped[kind] = skipped.get(kind, 0) + 1
        return None
    tcp = ip.data
    if not isinstance(tcp, dpkt.tcp.TCP):
        raise TraceError(f"{p}: packet {number}: its TCP header is damaged or cut short "
                         f"({len(bytes(tcp))} bytes of it in the capture; a header has at least 20)")
    off = tcp.off * 4
    if off < 20:
        raise TraceError(f"{p}: packet {number}: its TCP header length is {off} bytes (at least 20)")
    if v6:
        ext = len(ip) - 40 - len(tcp) if ip.plen else 0
        length = ip.plen - ext - off if ip.plen else len(tcp.data)
    else:
        length = ip.len - ip.hl * 4 - off
    if length < 0:
        raise TraceError(f"{p}: packet {number}: its IP length is shorter than its headers")
    cut = len(tcp.data) < length
    flags = _FLAGS[tcp.flags & 0xFF]
    src, dst = _addr(ip, v6)
    return Observed(number, ts, (src, tcp.sport), (dst, tcp.dport), flags, tcp.seq, tcp.ack, length,
                    tcp.win, tcp.urp, _options(tcp.opts), cut)


def read_trace(path: str | Path) -> Trace:
    """A capture or a JSON trace, told apart by the first bytes of the file."""
    from .trace import read_json_trace

    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise TraceError(f"{p}: cannot read the trace: {exc.strerror}") from None
    if os.path.isdir(p):
        raise TraceError(f"{p}: is a folder, not a capture")
    if is_capture(head):
        return read_capture(p)
    if head.lstrip()[:1] in (b"{", b"") and head.strip():
        return read_json_trace(p)
    if head.startswith(b"\xef\xbb\xbf"):
        return read_json_trace(p)
    raise TraceError(f"{p}: neither a pcap/pcapng capture nor a JSON trace (it starts with {head.hex() or 'nothing'})")
