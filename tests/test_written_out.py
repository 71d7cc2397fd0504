"""Expressions over a domain written out as Python (model/tcb.py's ``Source``
and ``written_out``): what ``classify`` asks of every guard on integers, and
what the checker asks of the invariants' facts (tests/test_invariants.py).

* every arrival guard, of the reference, of linux.rules and of every mutant
  that changes the segment semantics, answers written out as it does on
  ``Concrete``, on random TCBs, segments and windows across wraparound;
* an expression that uses a domain value in Python itself (a truth value,
  ``==``, ``+``) is not written out, and ``classify`` then asks the guard
  itself: the same event;
* a wrongly written-out operation makes the comparison fail.
"""

from __future__ import annotations

import random

import pytest

from tcpcheck.model import events as events_module
from tcpcheck.model import tcb as tcb_module
from tcpcheck.model.events import ARRIVALS, CONTROL, Event, classify
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.profiles import profile_table
from tcpcheck.model.tcb import STATES, TCB, Concrete, Segment, written_out

_NUMBERS = (0, 1, 2, 99, 100, 101, 300, 301, 302, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1)


def _random_case(rng):
    t = TCB(rng.choice(STATES), *(rng.choice(_NUMBERS) for _ in range(5)), rng.random() < 0.5, rng.randint(0, 2))
    s = Segment(*(rng.random() < 0.5 for _ in range(4)), rng.choice(_NUMBERS), rng.choice(_NUMBERS),
                rng.randint(0, 1))
    return t, s, rng.choice((1, 2, 4, 2 ** 16, 2 ** 30))


def _arrival_sets():
    sets = {"rfc9293": ARRIVALS, "linux": profile_table("linux").arrivals}
    for name, m in MUTANTS.items():
        if m.semantics is not None:
            sets[f"mutant {name}"] = m.semantics(ARRIVALS)
    return sets


def _disagreements(arrivals, n: int = 2000, seed: int = 5) -> list:
    rng = random.Random(seed)
    written = [(e, written_out(e.guard, "t", "s", "w")) for e in arrivals]
    assert all(f is not None for _, f in written), [e.name for e, f in written if f is None]
    out = []
    for _ in range(n):
        t, s, w = _random_case(rng)
        for e, f in written:
            want, got = bool(e.guard(Concrete, t, s, w)), f(t, s, w)
            if got is not want:
                out.append((e.name, t, s, w, want, got))
    return out


@pytest.mark.parametrize("name", sorted(_arrival_sets()))
def test_every_guard_written_out_answers_as_the_guard(name):
    arrivals = _arrival_sets()[name]
    assert _disagreements(arrivals) == []


def test_the_semantics_mutants_are_among_them():
    assert sum(k.startswith("mutant ") for k in _arrival_sets()) >= 3


def test_python_on_a_domain_value_is_not_written_out():
    assert written_out(lambda D, t, s, w: s.RST if t.state == "CLOSED" else s.ACK, "t", "s", "w") is None
    assert written_out(lambda D, t, s, w: D.eq(s.seq + s.len, t.rcv_nxt), "t", "s", "w") is None
    assert written_out(lambda D, t, s, w: D.eq(s.seq, 1) or s.ACK, "t", "s", "w") is None
    assert written_out(lambda D, t, s, w: D.lt(t.nothing_of_the_kind(), 1), "t", "s", "w") is None


def test_classify_asks_a_guard_that_cannot_be_written_out_itself():
    """A variant whose guard branches in Python: classify falls back on it, and the events stay a partition."""
    def python_guard(D, t, s, w):
        return s.RST if t.state == "CLOSED" else False
    arrivals = tuple(e._replace(guard=python_guard) if (e.name, e.states) == ("rcv RST", ("CLOSED",)) else e
                     for e in ARRIVALS)
    assert isinstance(arrivals[0], Event) and arrivals[0].guard is python_guard
    closed = TCB("CLOSED")
    rst, ack = Segment(False, True, False, True, 5, 6), Segment(False, True, False, False, 5, 6)
    assert classify(CONTROL, closed, rst, 4, arrivals=arrivals).name == "rcv RST"
    assert classify(CONTROL, closed, ack, 4, arrivals=arrivals).name == "rcv segment with ACK"
    assert classify(CONTROL, closed, rst, 4, D=Concrete, arrivals=ARRIVALS).name == "rcv RST"


def test_classify_on_integers_is_classify_on_the_guards():
    """classify's written-out path and the guards themselves pick the same event (or both refuse)."""
    rng = random.Random(9)
    index = events_module._index(ARRIVALS)
    for _ in range(3000):
        t, s, w = _random_case(rng)
        want = [e.name for e in index[(t.state, CONTROL)] if e.guard(Concrete, t, s, w)]
        try:
            got = [classify(CONTROL, t, s, w).name]
        except events_module.ClassificationError:
            got = None
        assert got == (want if len(want) == 1 else None), (t, s, w)


def test_a_wrongly_written_out_operation_is_caught(monkeypatch):
    # subtraction without its reduction modulo 2**32
    monkeypatch.setattr(tcb_module.Source, "sub", staticmethod(lambda a, b: f"({a} - {b})"))
    assert _disagreements(ARRIVALS, n=500)
    monkeypatch.undo()
    # a window test off by one
    monkeypatch.setattr(tcb_module.Source, "ult", staticmethod(lambda a, b: f"({a} <= {b})"))
    assert {name for name, *_ in _disagreements(ARRIVALS, n=500)} >= {"rcv unacceptable segment"}
