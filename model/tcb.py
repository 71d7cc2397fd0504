"""Segments, TCBs and 32-bit sequence arithmetic (RFC 9293 section 3.4).

This module holds the data every other layer talks about: the eleven RFC
states, a segment on the wire, an endpoint's transmission control block, and
the arithmetic on sequence numbers.  The arithmetic lives in a *domain* object
(``Concrete`` here) so that the same semantics can be evaluated on Python
integers by the explorer and, later, on z3 bit-vectors by the proofs.

It must not know about rules, channels or the checker.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

__all__ = [
    "STATES", "SYNCHRONIZED", "FIN_SENT", "MOD", "MASK", "HALF",
    "Segment", "TCB", "CLOSED_TCB", "Concrete", "Source", "written_out", "seg_len", "describe_segment",
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


# --- the same operations written out as Python, for speed -------------------------------

def _not_in_python(self, *_):
    raise TypeError("a domain value was used by Python itself (a truth value, ==, +, <): "
                    "not a domain expression")


class _Code(str):
    """The Python source of a value of an expression being written out (see
    :class:`Source`).  Python's own operations on it fail: an expression that
    branches, compares or adds in Python instead of through its domain cannot
    be written out, and says so (its text would not be its meaning)."""

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _not_in_python
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __mod__ = __rmod__ = _not_in_python
    __contains__ = __len__ = __iter__ = _not_in_python
    __hash__ = str.__hash__


class _Names(_Code):
    """An argument of an expression being written out: its own source is its
    name, and its fields are the source that reads them (``t.rcv_nxt``)."""

    def __getattr__(self, field: str) -> _Code:
        if field.startswith("__"):
            raise AttributeError(field)
        return _Code(f"{self}.{field}")


def _src(v) -> str:
    return str.__str__(v) if isinstance(v, str) else repr(v)


def _written(template: str):
    """A binary operation of :class:`Source`: ``template`` with the operands' source."""
    return staticmethod(lambda a, b: _Code(template.format(a=_src(a), b=_src(b))))


class Source:
    """A domain whose values are Python source text.  An expression over a
    domain (a guard, an invariant's fact) evaluated on it is that expression
    written out, which :func:`written_out` compiles: it follows
    :class:`Concrete` operation for operation (the same arithmetic modulo
    2**32, the same serial order), so the compiled function answers as the
    expression does on integers, without the calls."""

    add = _written("(({a} + {b}) & %d)" % MASK)
    sub = _written("(({a} - {b}) & %d)" % MASK)
    lt = _written("(0 < (({b} - {a}) & %d) < %d)" % (MASK, HALF))  # serial order (RFC 1982)
    ult = _written("({a} < {b})")
    ule = _written("({a} <= {b})")
    eq = _written("({a} == {b})")

    @staticmethod
    def And(*xs):
        return _Code("(" + " and ".join(map(_src, xs)) + ")" if xs else "True")

    @staticmethod
    def Or(*xs):
        return _Code("(" + " or ".join(map(_src, xs)) + ")" if xs else "False")

    @staticmethod
    def Not(x):
        return _Code(f"(not {_src(x)})")

    @staticmethod
    def If(c, a, b):
        return _Code(f"({_src(a)} if {_src(c)} else {_src(b)})")

    @staticmethod
    def in_states(t, names):
        return _Code(f"({t.state} in {tuple(names)!r})")

    @staticmethod
    def num(flag):
        return _Code(f"(1 if {_src(flag)} else 0)")


def written_out(expression, *names: str, name: str = "expression"):
    """``expression(D, *args)``, a truth value over a domain, as one compiled
    Python function of ``args`` (named ``names``) that answers as
    ``bool(expression(Concrete, *args))`` does, a few times faster: the
    expression is evaluated once on :class:`Source` and the text compiled.
    None when it cannot be written out (it branches in Python on a domain
    value, or uses an operation :class:`Source` does not have): evaluate it
    on :class:`Concrete` then.  The function's ``reads`` is the set of the
    ``names`` the expression reads at all (its answer depends on no other).

    >>> f = written_out(lambda D, t, x: D.lt(t.snd_una, x), "t", "x")
    >>> t = TCB("ESTABLISHED", snd_una=2**32 - 1)
    >>> f(t, 0), f(t, 2**32 - 2), Concrete.lt(t.snd_una, 0)
    (True, False, True)
    >>> sorted(f.reads), sorted(written_out(lambda D, t, x: D.eq(x, 1), "t", "x").reads)
    (['t', 'x'], ['x'])
    >>> written_out(lambda D, t: 1 if t.state == "CLOSED" else 0, "t") is None
    True
    """
    try:
        body = _src(expression(Source, *map(_Names, names)))
        fn = eval(compile(f"lambda {', '.join(names)}: bool({body})", f"<{name}>", "eval"), {})
    except (TypeError, AttributeError, SyntaxError):
        return None
    fn.reads = frozenset(n.id for n in ast.walk(ast.parse(body, mode="eval")) if isinstance(n, ast.Name)) & set(names)
    return fn


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
