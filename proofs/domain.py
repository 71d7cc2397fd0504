"""The model's sequence arithmetic on z3 bit-vectors.

:class:`Symbolic` has the method names of ``model.tcb.Concrete``; given it,
the guards and effects of ``model/events.py`` and the actions of
``model/actions.py`` build z3 formulas instead of computing values.  Sequence
numbers are 32-bit bit-vectors, so wraparound is exactly that of TCP.

A TCB here may have a concrete state (a Python string: the endpoint whose
rule is being proved) or a symbolic one (a number indexing
``model.tcb.STATES``, as a 4-bit bit-vector: the peer, in whatever state it is).  This module knows
nothing of invariants or rules.
"""

from __future__ import annotations

from typing import NamedTuple

import z3

from tcpcheck.model.tcb import STATES, TCB, Segment

__all__ = ["Symbolic", "Guarded", "bv", "fresh_tcb", "fresh_segment", "state_code"]

BITS = 32
STATE_BITS = 4  # a symbolic state is a 4-bit number below len(STATES): the solver's logic is bit-vectors only


def bv(x):
    """A z3 32-bit value for ``x`` (a Python int or already a bit-vector)."""
    return x if isinstance(x, z3.BitVecRef) else z3.BitVecVal(x, BITS)


def _b(x):
    return x if isinstance(x, z3.BoolRef) else z3.BoolVal(bool(x))


def state_code(name: str) -> int:
    """The number standing for state ``name`` in a symbolic TCB."""
    return STATES.index(name)


class Guarded(NamedTuple):
    """A segment sent only when ``present`` holds (see :meth:`Symbolic.unless`)."""

    segment: Segment
    present: z3.BoolRef


class Symbolic:
    """Sequence arithmetic and logic on z3 terms (RFC 1982 serial comparisons)."""

    @staticmethod
    def add(a, b):
        return bv(a) + bv(b)

    @staticmethod
    def sub(a, b):
        return bv(a) - bv(b)

    @staticmethod
    def lt(a, b):
        d = bv(b) - bv(a)
        return z3.And(d != 0, z3.ULT(d, 1 << (BITS - 1)))

    @staticmethod
    def ult(a, b):
        return z3.ULT(bv(a), bv(b))

    @staticmethod
    def ule(a, b):
        return z3.ULE(bv(a), bv(b))

    @staticmethod
    def eq(a, b):
        return bv(a) == bv(b)

    @staticmethod
    def And(*xs):
        return z3.And(*[_b(x) for x in xs])

    @staticmethod
    def Or(*xs):
        return z3.Or(*[_b(x) for x in xs])

    @staticmethod
    def Not(x):
        return z3.Not(_b(x))

    @staticmethod
    def If(c, a, b):
        if isinstance(a, (bool, z3.BoolRef)) and isinstance(b, (bool, z3.BoolRef)):
            return z3.If(_b(c), _b(a), _b(b))
        return z3.If(_b(c), bv(a), bv(b))

    @staticmethod
    def num(flag):
        return z3.If(_b(flag), bv(1), bv(0))

    @staticmethod
    def in_states(t, names):
        if isinstance(t.state, str):
            return z3.BoolVal(t.state in names)
        return z3.Or(*[t.state == z3.BitVecVal(state_code(n), STATE_BITS) for n in names]) if names else z3.BoolVal(False)

    @staticmethod
    def unless(cond, seg):
        return Guarded(seg, z3.Not(_b(cond)))


def fresh_tcb(name: str, state: str | None = None) -> TCB:
    """A TCB whose fields are all unknowns named after ``name``; its state is
    ``state`` or, when None, an unknown (a 4-bit number; see :func:`proofs.encoding.valid_state`)."""
    v = {f: z3.BitVec(f"{name}.{f}", BITS) for f in ("iss", "irs", "snd_una", "snd_nxt", "rcv_nxt", "budget")}
    st = state if state is not None else z3.BitVec(f"{name}.state", STATE_BITS)
    return TCB(st, v["iss"], v["irs"], v["snd_una"], v["snd_nxt"], v["rcv_nxt"],
               z3.Bool(f"{name}.passive"), v["budget"])


def fresh_segment(name: str) -> Segment:
    """A segment whose control bits and numbers are all unknowns."""
    return Segment(*(z3.Bool(f"{name}.{c}") for c in ("SYN", "ACK", "FIN", "RST")),
                   *(z3.BitVec(f"{name}.{f}", BITS) for f in ("seq", "ack", "len")))
