"""Segments, TCBs and 32-bit sequence arithmetic (RFC 9293 section 3.4).

This module holds the data every other layer talks about: the eleven RFC
states, a segment on the wire, an endpoint's transmission control block, and
the arithmetic on sequence numbers.  The arithmetic lives in a *domain* object
(``Concrete`` here) so that the same semantics can be evaluated on Python
integers by the explorer and, later, on z3 bit-vectors by the proofs.

It must not know about rules, channels or the checker.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "STATES", "SYNCHRONIZED", "FIN_SENT", "MOD", "MASK", "HALF",
    "Segment", "TCB", "CLOSED_TCB", "Concrete", "seg_len", "describe_segment",
]

#: The eleven states of RFC 9293 section 3.3.2, in the order of Figure 5.
STATES = (
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
    "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK",
)

#: States in which the connection is synchronized (RFC 9293 3.5.2, third class):
#: an arriving segment goes through the checks of section 3.10.7.4.
SYNCHRONIZED = (
    "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING",
    "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK",
)

#: States in which our FIN has been sent but possibly not yet acknowledged.
FIN_SENT = ("FIN_WAIT_1", "CLOSING", "LAST_ACK")

MOD = 1 << 32
MASK = MOD - 1
HALF = 1 << 31


class Segment(NamedTuple):
    """One TCP segment: control bits, SEG.SEQ, SEG.ACK and the payload length.

    ``len`` counts payload octets only (the model's data segments carry one
    abstract octet); SYN and FIN each occupy one more sequence number, see
    :func:`seg_len`.  Segments carrying SYN or FIN carry no payload here.
    """

    SYN: bool
    ACK: bool
    FIN: bool
    RST: bool
    seq: int
    ack: int
    len: int = 0


class TCB(NamedTuple):
    """An endpoint's transmission control block (RFC 9293 3.3.1), as modelled.

    ``passive`` records that the connection was opened passively (it went
    through LISTEN; Figure 5 note 1).  ``budget`` is what is left of the
    retransmission budget: each retransmission spends one, and at zero the
    next expiry of the timer is the user timeout (RFC 9293 3.8.3, R2).
    """

    state: str
    iss: int = 0
    irs: int = 0
    snd_una: int = 0
    snd_nxt: int = 0
    rcv_nxt: int = 0
    passive: bool = False
    budget: int = 0


#: The TCB of a connection that does not exist: every field zero, so that all
#: CLOSED endpoints are one and the same state.
CLOSED_TCB = TCB("CLOSED")


def seg_len(seg: Segment) -> int:
    """SEG.LEN: payload octets plus one for SYN and one for FIN (RFC 9293 3.4)."""
    return seg.len + seg.SYN + seg.FIN


class Concrete:
    """Sequence arithmetic on Python integers modulo 2**32.

    Every operation the semantics uses goes through a domain object; a
    symbolic domain with the same method names evaluates the same guards and
    actions on bit-vectors.  Comparisons follow RFC 1982 serial arithmetic:
    ``lt(a, b)`` holds when b is less than 2**31 ahead of a.
    """

    @staticmethod
    def add(a, b):
        return (a + b) & MASK

    @staticmethod
    def sub(a, b):
        return (a - b) & MASK

    @staticmethod
    def lt(a, b):
        """a < b in serial order (RFC 1982): 0 < b - a < 2**31."""
        return 0 < ((b - a) & MASK) < HALF

    @staticmethod
    def ult(a, b):
        """Unsigned a < b for values already reduced modulo 2**32."""
        return a < b

    @staticmethod
    def ule(a, b):
        return a <= b

    @staticmethod
    def eq(a, b):
        return a == b

    @staticmethod
    def And(*xs):
        return all(xs)

    @staticmethod
    def Or(*xs):
        return any(xs)

    @staticmethod
    def Not(x):
        return not x

    @staticmethod
    def If(c, a, b):
        return a if c else b

    @staticmethod
    def in_states(t, names):
        """Whether TCB ``t`` is in one of the states ``names``."""
        return t.state in names

    @staticmethod
    def unless(cond, seg):
        """``seg``, or no segment at all when ``cond`` holds."""
        return None if cond else seg

    @staticmethod
    def num(flag):
        """A control bit as a number (0 or 1)."""
        return 1 if flag else 0


def describe_segment(seg: Segment) -> str:
    """The RFC's notation for a segment, e.g. ``<SEQ=100><ACK=301><CTL=SYN,ACK>``."""
    ctl = ",".join(name for name in ("SYN", "FIN", "RST", "ACK") if getattr(seg, name))
    parts = [f"<SEQ={seg.seq}>"]
    if seg.ACK:
        parts.append(f"<ACK={seg.ack}>")
    if ctl:
        parts.append(f"<CTL={ctl}>")
    if seg.len:
        parts.append(f"<DATA={seg.len}>")
    return "".join(parts)
