"""model/invariants.py: each fact written once, read by the checker and by the proofs.

* the two groupings share their facts: every fact the checker checks is proved,
  and every proved fact that holds across incarnations is checked;
* each checked fact fails on a deliberately broken state, with its exact reason;
* a fact that rests on the proofs' one-incarnation assumption is proved, not
  checked: a state of a second incarnation breaks it and the checker says nothing;
* on integers and on bit-vectors every fact gives the same answer;
* the checked facts written out as Python (what the checker asks on integers)
  answer as the facts do, and a wrongly written-out operation is caught.
"""

from __future__ import annotations

import random

import pytest
import z3

from tcpcheck.model import tcb as tcb_module
from tcpcheck.model.invariants import CHECKED, INVARIANTS, REASONS, Side, compiled, holds_in, violation
from tcpcheck.model.properties import PROPERTIES
from tcpcheck.model.system import APP_DONE, State
from tcpcheck.model.tcb import STATES, TCB, Concrete, Segment
from tcpcheck.proofs.domain import Symbolic
from tcpcheck.proofs.invariants import INVARIANTS as PROVED

A = TCB("ESTABLISHED", 100, 300, 101, 101, 301, False, 1)
B = TCB("ESTABLISHED", 300, 100, 301, 301, 101, True, 1)
OK = State(A, B, APP_DONE, APP_DONE, (), ())
BY_ID = {p.id: p for p in PROPERTIES}


def _ids(invs):
    return {f: inv.id for inv in invs for f in inv.facts}


def test_the_groupings_share_their_facts():
    checked, proved = _ids(CHECKED), _ids(INVARIANTS)
    assert [inv.id for inv in CHECKED] == ["INV1", "INV2", "INV3", "INV4"]
    assert [inv.id for inv in INVARIANTS] == ["IND1", "IND2", "IND3", "IND4", "IND5", "IND6"]
    assert PROVED is INVARIANTS  # the proofs prove these very objects
    assert sum(len(inv.facts) for inv in CHECKED) == len(checked) == 6  # each fact in one property
    assert sum(len(inv.facts) for inv in INVARIANTS) == len(proved) == 15  # and in one obligation
    assert set(checked) == {f for f in proved if f.runs}
    assert {checked[f]: proved[f] for f in checked} == {"INV1": "IND2", "INV2": "IND3", "INV3": "IND1", "INV4": "IND3"}
    assert all(f.why in REASONS and f.facts is not None for f in checked)
    assert all(not f.why and f.facts is None for f in proved if not f.runs)
    # the checker's invariant properties are these, with their names and statements
    assert [(p.id, p.name, p.statement) for p in PROPERTIES if p.kind == "invariant"] == [
        (inv.id, inv.name, inv.statement) for inv in CHECKED]


@pytest.mark.parametrize("pid, state, reason", [
    ("INV1", OK._replace(A=A._replace(rcv_nxt=302)), "A.RCV.NXT=302 acknowledges beyond B.SND.NXT=301"),
    ("INV1", OK._replace(net_AB=(Segment(False, True, False, False, 101, 302, 0),)),
     "segment in flight A->B has ACK=302, beyond B.SND.NXT=301"),
    ("INV2", OK._replace(B=B._replace(irs=99)), "B.IRS=99 but A.ISS=100"),
    ("INV2", OK._replace(A=A._replace(rcv_nxt=300)), "A.RCV.NXT=300 is outside [B.ISS+1, B.SND.NXT] = [301, 301]"),
    ("INV3", OK._replace(B=B._replace(snd_una=302)), "B.SND.UNA=302 is outside [B.ISS, B.SND.NXT] = [300, 301]"),
    ("INV4", OK._replace(A=A._replace(irs=299), B=B._replace(state="SYN_SENT")),
     "A is ESTABLISHED with IRS=299, but B's connection has ISS=300"),
])
def test_each_checked_fact_fails_with_its_reason(pid, state, reason):
    assert all(BY_ID[i].test(OK) is None for i in ("INV1", "INV2", "INV3", "INV4"))
    why = BY_ID[pid].test(state)
    assert why == reason and why.template == REASONS[why.key]
    inv = next(i for i in INVARIANTS if any(f in i.facts for f in next(c for c in CHECKED if c.id == pid).facts))
    assert not holds_in(Concrete, inv, Side(state.A, True, 0), Side(state.B, True, 0), (state.net_AB, state.net_BA))


def test_a_fact_of_one_incarnation_is_proved_not_checked():
    """B's application has reopened: B listens with the ISS of its second incarnation
    (300 + 60,000,000) while A is still ESTABLISHED on B's first connection.  No run of one
    incarnation has this state; with two it is reachable, and the checker's facts hold."""
    state = OK._replace(B=TCB("LISTEN", 60000300, 0, 60000300, 60000300, 0, True, 1))
    assert all(BY_ID[i].test(state) is None for i in ("INV1", "INV2", "INV3", "INV4"))
    sides = Side(state.A, True, 0), Side(state.B, True, 0)
    broken = [inv.id for inv in INVARIANTS if not holds_in(Concrete, inv, *sides, ((), ()))]
    assert broken == ["IND2", "IND3"]
    assert violation(Concrete, INVARIANTS[1], *sides, ((), ())) is None  # IND2's checked facts hold


def test_every_fact_means_the_same_on_integers_and_bit_vectors():
    rng = random.Random(793)
    near = lambda: rng.choice([0, 1, 2, 300, 301, 2**31, 2**32 - 2, 2**32 - 1, rng.randrange(2**32)])  # noqa: E731
    facts = [f for inv in INVARIANTS for f in inv.facts]
    for _ in range(200):
        X, Y = (Side(TCB(rng.choice(STATES), *(near() for _ in range(5)), rng.random() < 0.5, rng.randrange(3)),
                     rng.random() < 0.7, rng.choice([0, 1, 2, 2**30, 2**31])) for _ in range(2))
        s = Segment(*(rng.random() < 0.5 for _ in range(4)), near(), near(), rng.choice([0, 1, near()]))
        for f in facts:
            args = (X, Y) if f.part == "pair" else (s, X, Y)
            want = bool(f.holds(Concrete, *args))
            assert z3.is_true(z3.simplify(Symbolic.And(f.holds(Symbolic, *args)))) == want, (f.holds.__name__, args)


# --- the compiled facts (invariants.compiled: what the checker asks on integers) ----------

_NUMBERS = (0, 1, 2, 100, 101, 300, 301, 302, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1)


def _random_tcb(rng):
    return TCB(rng.choice(STATES), *(rng.choice(_NUMBERS) for _ in range(5)), rng.random() < 0.5, rng.randint(0, 2))


def _random_segment(rng):
    return Segment(*(rng.random() < 0.5 for _ in range(4)), rng.choice(_NUMBERS), rng.choice(_NUMBERS),
                   rng.randint(0, 1))


def _disagreements(n: int = 3000, seed: int = 7) -> list:
    """Where a checked fact compiled (alone, and each invariant's facts together)
    answers otherwise than the fact evaluated call by call on Concrete."""
    rng, out = random.Random(seed), []
    facts = [f for inv in CHECKED for f in inv.facts if f.runs]
    groups = [[f] for f in facts] + [[f for f in inv.facts if f.runs and f.part == part]
                                     for inv in CHECKED for part in ("pair", "segment")]
    groups = [g for g in groups if g]
    fns = [(g, compiled(g, g[0].part)) for g in groups]
    for _ in range(n):
        X, Y, s = _random_tcb(rng), _random_tcb(rng), _random_segment(rng)
        x, y = Side(X, None, None), Side(Y, None, None)
        for g, fn in fns:
            if g[0].part == "pair":
                want, got = all(f.holds(Concrete, x, y) for f in g), fn(X, Y)
            else:
                want, got = all(f.holds(Concrete, s, x, y) for f in g), fn(s, X, Y)
            if want != got or type(got) is not bool:
                out.append((g[0].why, X, Y, s, want, got))
    return out


def test_the_compiled_facts_answer_as_the_facts_do_on_integers():
    assert _disagreements() == []
    # both answers occur, for every fact (the random states reach both sides of each)
    rng = random.Random(7)
    for f in (f for inv in CHECKED for f in inv.facts if f.runs):
        fn = compiled([f], f.part)
        answers = {fn(_random_tcb(rng), _random_tcb(rng)) if f.part == "pair"
                   else fn(_random_segment(rng), _random_tcb(rng), _random_tcb(rng)) for _ in range(400)}
        assert answers == {True, False}, f.why


def test_a_wrongly_written_out_operation_is_caught(monkeypatch):
    # unsigned =< written out as < : the comparison of the two answers must see it
    monkeypatch.setattr(tcb_module.Source, "ule", staticmethod(lambda a, b: f"({a} < {b})"))
    found = _disagreements(n=500)
    assert found and {why for why, *_ in found} >= {"acks-beyond-sent", "snd-una-outside", "ack-in-flight-beyond-sent"}
    # serial order off by one at the half-way point
    monkeypatch.undo()
    monkeypatch.setattr(tcb_module.Source, "sub", staticmethod(lambda a, b: f"(({a} - {b}) & {2 ** 31 - 1})"))
    assert _disagreements(n=500)
