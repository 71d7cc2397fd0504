"""Every property can fail: for each one in PROPERTIES a deliberately broken
model on which it is violated (counterexample length pinned), and a reference
configuration on which it holds.

The broken models are named after the bug they represent: edited copies of
the reference rule table, action vocabularies with one action replaced, and
one Model subclass.  The reference configuration is preset ``reliable``,
where all fifteen properties hold.
"""

from __future__ import annotations

import pytest

from tcpcheck.model.checker import run
from tcpcheck.model.config import preset
from tcpcheck.model.explorer import explore
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.properties import PROPERTIES, acceptable_end, check_properties
from tcpcheck.model.system import APP_DONE, App, Model, State
from tcpcheck.model.table import load_table, parse_table
from tcpcheck.model.tcb import CLOSED_TCB, MOD, TCB, Segment, STATES
from tcpcheck.model.tcb import Concrete as D

from conftest import (REFERENCE_TEXT, endpoint_states, mutant_actions, mutant_table, run_preset,
                      steps_of, verdict)

REFERENCE_CONFIG = "reliable"


# --- broken actions (same signature as actions.ACTIONS entries) -------------------

def snd_fin_consumes_no_sequence_number(D, t, seg, params):
    """BUG: the FIN is sent at SND.NXT but SND.NXT is not advanced over it."""
    return t, Segment(False, True, True, False, t.snd_nxt, t.rcv_nxt)


def snd_syn_ack_numbered_iss_plus_1(D, t, seg, params):
    """BUG: the SYN,ACK carries SEQ=ISS+1 instead of SEQ=ISS."""
    out = Segment(True, True, False, False, D.add(t.iss, 1), t.rcv_nxt)
    return t._replace(snd_una=t.iss, snd_nxt=D.add(t.iss, 1)), out


def snd_ack_forgets_the_syn(D, t, seg, params):
    """BUG: an ACK acknowledges IRS, as if the peer's SYN took no sequence number."""
    t = t._replace(rcv_nxt=t.irs)
    return t, Segment(False, True, False, False, t.snd_nxt, t.rcv_nxt)


def snd_ack_confuses_una_with_rcv_nxt(D, t, seg, params):
    """BUG: sending an ACK copies RCV.NXT (the peer's numbers) into SND.UNA (ours)."""
    return t._replace(snd_una=t.rcv_nxt), Segment(False, True, False, False, t.snd_nxt, t.rcv_nxt)


# --- a broken system --------------------------------------------------------------

class StartsEstablishedNeverCloses(Model):
    """BUG: the model starts with the connection already ESTABLISHED (the CLOSED
    start of Figure 5 and the handshake skipped) and its applications never close."""

    def initial_states(self):
        pa, pb = self.params
        a = TCB("ESTABLISHED", pa.iss, pb.iss, D.add(pa.iss, 1), D.add(pa.iss, 1), D.add(pb.iss, 1),
                False, pa.retransmissions)
        b = TCB("ESTABLISHED", pb.iss, pa.iss, D.add(pb.iss, 1), D.add(pb.iss, 1), D.add(pa.iss, 1),
                True, pb.retransmissions)
        apps = [App("", getattr(self.config, w).data, False, False) for w in "AB"]
        return [self.encode(State(a, b, apps[0], apps[1], (), ()))]


# --- broken rule tables: (name, edits) ----------------------------------------------

def _row(state, event, actions, to):
    """The exact text of a reference row's first four columns, as the file aligns them."""
    return f"{state:<12} | {event:<23} | {actions:<26} | {to}"


TABLE_MUTANTS = {
    "passive_open_sends_syn": [
        ("CLOSED       | passive OPEN | create TCB                 | LISTEN",
         "CLOSED       | passive OPEN | create TCB; snd SYN        | SYN_SENT")],
    "active_open_skips_syn_sent": [
        ("CLOSED       | active OPEN  | create TCB; snd SYN        | SYN_SENT",
         "CLOSED       | active OPEN  | create TCB; snd SYN        | ESTABLISHED")],
    "two_way_handshake": [
        (_row("LISTEN", "rcv SYN", "snd SYN,ACK", "SYN_RCVD"),
         _row("LISTEN", "rcv SYN", "snd SYN,ACK", "ESTABLISHED"))],
    "handshake_ends_in_close_wait": [
        (_row("SYN_SENT", "rcv SYN,ACK", "snd ACK", "ESTABLISHED"),
         _row("SYN_SENT", "rcv SYN,ACK", "snd ACK", "CLOSE_WAIT")),
        (_row("SYN_RCVD", "rcv ACK of SYN", "-", "ESTABLISHED"),
         _row("SYN_RCVD", "rcv ACK of SYN", "-", "CLOSE_WAIT"))],
    "close_skips_fin_wait_1": [
        ("SYN_RCVD     | CLOSE        | snd FIN                    | FIN_WAIT_1",
         "SYN_RCVD     | CLOSE        | snd FIN                    | FIN_WAIT_2"),
        ("ESTABLISHED  | CLOSE        | snd FIN                    | FIN_WAIT_1",
         "ESTABLISHED  | CLOSE        | snd FIN                    | FIN_WAIT_2")],
    "fin_wait_1_ignores_ack_of_fin": [
        (_row("FIN_WAIT_1", "rcv ACK of FIN", "-", "FIN_WAIT_2"),
         _row("FIN_WAIT_1", "rcv ACK of FIN", "-", "same"))],
    "fin_wait_1_ignores_fin": [
        (_row("FIN_WAIT_1", "rcv FIN", "snd ACK", "CLOSING"),
         _row("FIN_WAIT_1", "rcv FIN", "snd ACK", "same"))],
    "no_time_wait": [
        (_row("CLOSING", "rcv ACK of FIN", "-", "TIME_WAIT"),
         _row("CLOSING", "rcv ACK of FIN", "delete TCB", "CLOSED")),
        (_row("FIN_WAIT_2", "rcv FIN", "snd ACK", "TIME_WAIT"),
         _row("FIN_WAIT_2", "rcv FIN", "snd ACK; delete TCB", "CLOSED"))],
    "passive_close_skips_close_wait": [
        (_row("ESTABLISHED", "rcv FIN", "snd ACK", "CLOSE_WAIT"),
         _row("ESTABLISHED", "rcv FIN", "snd ACK; snd FIN", "LAST_ACK"))],
    "last_ack_does_not_wait_for_the_ack": [
        ("CLOSE_WAIT   | CLOSE        | snd FIN                    | LAST_ACK",
         "CLOSE_WAIT   | CLOSE        | snd FIN; delete TCB        | CLOSED")],
    "no_2msl_timeout": [
        ("TIME_WAIT    | timeout 2MSL | delete TCB                 | CLOSED      | F20, 3.10.8\n", "")],
}


def _run_table_mutant(name, config=REFERENCE_CONFIG):
    return run(preset(config), mutant_table(name, *TABLE_MUTANTS[name]))


def _run_model_mutant(cls, config=REFERENCE_CONFIG):
    x = explore(cls(preset(config), load_table()))
    return x, check_properties(x)


# --- the mutant for each property -------------------------------------------------
# property -> (how to build the broken model, states explored, counterexample length
#              or None for reachability, detail of the verdict)

REACHABILITY_MUTANTS = {
    "CLOSED": ("model", StartsEstablishedNeverCloses, 18),
    "LISTEN": ("table", "passive_open_sends_syn", 485),
    "SYN_SENT": ("table", "active_open_skips_syn_sent", 525),
    "SYN_RCVD": ("table", "two_way_handshake", 395),
    "ESTABLISHED": ("table", "handshake_ends_in_close_wait", 473),
    "FIN_WAIT_1": ("table", "close_skips_fin_wait_1", 307),
    "FIN_WAIT_2": ("table", "fin_wait_1_ignores_ack_of_fin", 315),
    "CLOSING": ("table", "fin_wait_1_ignores_fin", 307),
    "TIME_WAIT": ("table", "no_time_wait", 295),
    "CLOSE_WAIT": ("table", "passive_close_skips_close_wait", 245),
    "LAST_ACK": ("table", "last_ack_does_not_wait_for_the_ack", 333),
}

INVARIANT_MUTANTS = {
    # property: (action replaced, broken action, states, counterexample length, detail)
    "no acknowledgment of unsent data": (
        "snd FIN", snd_fin_consumes_no_sequence_number, 688, 6,
        "A.RCV.NXT=302 acknowledges beyond B.SND.NXT=301"),
    "RCV.NXT within the peer's sent range": (
        "snd SYN,ACK", snd_syn_ack_numbered_iss_plus_1, 159, 4,
        "A.IRS=301 but B.ISS=300"),
    "SND.UNA within [ISS, SND.NXT]": (
        "snd ACK", snd_ack_confuses_una_with_rcv_nxt, 2874, 4,
        "A.SND.UNA=301 is outside [A.ISS, A.SND.NXT] = [4294967294, 4294967295]"),
}


def test_every_property_has_a_mutant():
    names = {p.name for p in PROPERTIES}
    covered = (set(INVARIANT_MUTANTS) | {f"{s} is reachable" for s in REACHABILITY_MUTANTS}
               | {"deadlock freedom"} | set(LIVENESS_MUTANTS)
               | {m.property for m in MUTANTS.values()  # the named mutants (test_mutants.py);
                  if m.property is not None})  # None: only the proofs catch it
    assert covered == names
    assert len(PROPERTIES) == 19
    assert {p.kind for p in PROPERTIES} == {"invariant", "step", "reachability", "deadlock", "liveness"}


def test_every_property_holds_on_the_reference_configuration():
    r = run_preset(REFERENCE_CONFIG)
    assert r.exploration.complete
    assert [(v.name, v.verdict) for v in r.verdicts] == [(p.name, "holds") for p in PROPERTIES]
    # invariants and deadlock freedom hold without a witness; reachability with one
    for v in r.verdicts:
        assert (v.state is not None) == (v.kind == "reachability")


# --- invariants ---------------------------------------------------------------------

@pytest.mark.parametrize("prop", list(INVARIANT_MUTANTS))
def test_invariant_violated_by_its_mutant(prop):
    action, broken, states, length, detail = INVARIANT_MUTANTS[prop]
    r = run(preset(REFERENCE_CONFIG), actions=mutant_actions({action: broken}))
    v = verdict(r, prop)
    assert v.verdict == "violated"
    assert v.kind == "invariant"
    assert len(r.exploration.states) == states
    path = r.exploration.path(v.state)
    assert len(path) - 1 == length
    assert v.detail == detail
    # the counterexample really ends in a bad state, and no earlier state on it is bad
    test = next(p.test for p in PROPERTIES if p.name == prop)
    assert test(path[-1][1]) == detail
    assert all(test(s) is None for _, s in path[:-1])
    # the broken action fired on the way
    fired = {a for step in steps_of(path) for rid in step.rules for a in r.table.rules[rid].actions}
    assert action in fired


def test_fin_consuming_no_number_counterexample():
    """Claim C6 in reverse: a FIN that takes no sequence number is acknowledged beyond what was sent."""
    r = run(preset(REFERENCE_CONFIG), actions=mutant_actions({"snd FIN": snd_fin_consumes_no_sequence_number}))
    v = verdict(r, "no acknowledgment of unsent data")
    path = r.exploration.path(v.state)
    last = steps_of(path)[-1]
    assert (last.actor, last.event) == ("A", "rcv ACK; rcv FIN")
    assert last.segment == Segment(False, True, True, False, 301, 4294967295)
    end = path[-1][1]
    assert (end.B.state, end.B.snd_nxt, end.A.rcv_nxt) == ("FIN_WAIT_1", 301, 302)


def test_ack_forgetting_the_syn_breaks_only_the_rcv_nxt_range():
    """RCV.NXT = IRS lies within [peer ISS, peer SND.NXT] but not [peer ISS+1, ...]:
    only the second invariant catches it."""
    r = run(preset(REFERENCE_CONFIG), actions=mutant_actions({"snd ACK": snd_ack_forgets_the_syn}))
    invariants = {v.name: v.verdict for v in r.verdicts if v.kind == "invariant"}
    assert invariants == {"no acknowledgment of unsent data": "holds",
                          "RCV.NXT within the peer's sent range": "violated",
                          "SND.UNA within [ISS, SND.NXT]": "holds",
                          "ESTABLISHED only on the peer's current SYN": "holds"}
    v = verdict(r, "RCV.NXT within the peer's sent range")
    assert len(r.exploration.path(v.state)) - 1 == 4
    assert v.detail == "A.RCV.NXT=300 is outside [B.ISS+1, B.SND.NXT] = [301, 301]"


# --- reachability ---------------------------------------------------------------------

@pytest.mark.parametrize("state", STATES)
def test_reachability_violated_by_its_mutant(state):
    kind, mutant, states = REACHABILITY_MUTANTS[state]
    if kind == "model":
        x, verdicts = _run_model_mutant(mutant)
    else:
        r = _run_table_mutant(mutant)
        x, verdicts = r.exploration, r.verdicts
    assert x.complete
    assert len(x.states) == states
    v = next(v for v in verdicts if v.name == f"{state} is reachable")
    assert (v.verdict, v.state, v.detail) == ("violated", None, "no explored state has it")
    # and indeed no explored state has it, at either endpoint
    assert all(state not in (x.state(i).A.state, x.state(i).B.state) for i in range(len(x.states)))


@pytest.mark.parametrize("state, depth", [
    ("CLOSED", 0), ("LISTEN", 1), ("SYN_SENT", 1), ("SYN_RCVD", 3), ("ESTABLISHED", 4),
    ("FIN_WAIT_1", 4), ("FIN_WAIT_2", 8), ("CLOSING", 7), ("TIME_WAIT", 10),
    ("CLOSE_WAIT", 6), ("LAST_ACK", 7),
])
def test_reachability_holds_on_the_reference_with_a_shortest_witness(state, depth):
    r = run_preset(REFERENCE_CONFIG)
    v = verdict(r, f"{state} is reachable")
    assert v.verdict == "holds"
    path = r.exploration.path(v.state)
    assert len(path) - 1 == depth
    assert state in (path[-1][1].A.state, path[-1][1].B.state)
    # shortest: no state on the way has it
    assert all(state not in (s.A.state, s.B.state) for _, s in path[:-1])


def test_two_way_handshake_mutant_still_connects():
    """The two-way handshake loses SYN_RCVD but both sides still reach ESTABLISHED."""
    r = _run_table_mutant("two_way_handshake")
    assert verdict(r, "ESTABLISHED is reachable").verdict == "holds"
    assert "SYN_RCVD" not in r.reachable()["B"]


# --- deadlock freedom ------------------------------------------------------------------

def test_deadlock_freedom_violated_without_the_2msl_timeout():
    r = _run_table_mutant("no_2msl_timeout")
    v = verdict(r, "deadlock freedom")
    assert v.verdict == "violated"
    assert v.detail == "stuck with A in TIME_WAIT, B in TIME_WAIT, 0 segment(s) in flight"
    x = r.exploration
    assert (len(x.states), x.transitions) == (307, 556)
    path = x.path(v.state)
    assert len(path) - 1 == 11
    end = path[-1][1]
    assert (end.A.state, end.B.state, end.net_AB, end.net_BA) == ("TIME_WAIT", "TIME_WAIT", (), ())
    assert v.state in x.terminal
    # the same state space with the same states reached, only the 2MSL edges are gone
    ref = run_preset(REFERENCE_CONFIG).exploration
    assert len(x.states) == len(ref.states) and ref.transitions - x.transitions == 16
    assert verdict(run_preset(REFERENCE_CONFIG), "deadlock freedom").verdict == "holds"


def test_deadlock_freedom_violated_on_seed_without_the_2msl_timeout():
    r = run(preset("seed"), mutant_table("no_2msl_timeout", *TABLE_MUTANTS["no_2msl_timeout"]))
    v = verdict(r, "deadlock freedom")
    assert v.verdict == "violated"
    assert len(r.exploration.path(v.state)) - 1 == 10
    assert v.detail == "stuck with A in TIME_WAIT, B in CLOSED, 0 segment(s) in flight"
    assert verdict(run_preset("seed"), "deadlock freedom").verdict == "holds"


def test_default_deadlock_is_a_stranded_fin_wait_2():
    """The default preset's violation: the server closed first and sits in
    FIN_WAIT_2 (which has no timeout in RFC 9293); the client's data is dropped
    at the full channel, its retransmission lost, and its user timeout deletes
    the TCB without a FIN ever being sent."""
    r = run_preset("default")
    v = verdict(r, "deadlock freedom")
    assert v.verdict == "violated"
    assert v.state == 3959
    assert v.detail == "stuck with A in CLOSED, B in FIN_WAIT_2, 0 segment(s) in flight"
    x = r.exploration
    path = x.path(v.state)
    assert len(path) - 1 == 12
    end = path[-1][1]
    assert end.A == CLOSED_TCB
    assert end.B == TCB("FIN_WAIT_2", 300, 4294967294, 302, 302, 4294967295, True, 1)
    assert (end.app_A, end.app_B, end.net_AB, end.net_BA) == (APP_DONE, APP_DONE, (), ())
    assert v.state in x.terminal
    assert [(st.actor, st.kind, st.event) for st in steps_of(path)] == [
        ("A", "call", "active OPEN"),
        ("B", "call", "passive OPEN"),
        ("B", "rcv", "rcv SYN"),
        ("B", "call", "CLOSE"),
        ("A", "rcv", "rcv SYN,ACK"),
        ("A", "rcv", "rcv ACK; rcv FIN"),
        ("A", "call", "SEND"),
        ("B", "rcv", "rcv ACK"),
        ("B", "rcv", "rcv ACK of FIN"),
        ("A", "timer", "retransmission timeout"),
        ("network", "lose", "A->B"),
        ("A", "timer", "user timeout"),
    ]
    data = Segment(False, True, False, False, 4294967295, 302, 1)
    assert steps_of(path)[6].sent == steps_of(path)[6].dropped == (data,)
    assert steps_of(path)[9].sent == (data,) and steps_of(path)[10].segment == data
    assert endpoint_states(path, "B") == [
        "CLOSED", "CLOSED", "LISTEN", "SYN_RCVD", "FIN_WAIT_1", "FIN_WAIT_1", "FIN_WAIT_1",
        "FIN_WAIT_1", "FIN_WAIT_1", "FIN_WAIT_2", "FIN_WAIT_2", "FIN_WAIT_2", "FIN_WAIT_2"]
    assert endpoint_states(path, "A") == [
        "CLOSED", "SYN_SENT", "SYN_SENT", "SYN_SENT", "SYN_SENT", "ESTABLISHED", "CLOSE_WAIT",
        "CLOSE_WAIT", "CLOSE_WAIT", "CLOSE_WAIT", "CLOSE_WAIT", "CLOSE_WAIT", "CLOSED"]
    # every terminal state of default is either an acceptable end or this kind of stranding
    for i in x.terminal:
        s = x.state(i)
        if not acceptable_end(s):
            assert "FIN_WAIT_2" in (s.A.state, s.B.state) and not s.net_AB and not s.net_BA


@pytest.mark.parametrize("name, states, transitions", [
    ("default", 28817, 116689), ("duplicating", 17688, 96336), ("simultaneous-open", 1896, 6160)])
def test_a_fin_wait_2_timeout_removes_every_deadlock(name, states, transitions):
    """The deadlocks of the lossy presets are all FIN_WAIT_2 strandings: a table
    with a Linux-style FIN_WAIT_2 timer (not in RFC 9293) has none, and reaches
    exactly the same states."""
    table = parse_table(REFERENCE_TEXT + "FIN_WAIT_2 | timeout 2MSL | delete TCB | CLOSED | tcp_fin_timeout\n",
                        "fin-wait-2-timeout")
    r = run(preset(name), table)
    assert (len(r.exploration.states), r.exploration.transitions) == (states, transitions)
    assert len(run_preset(name).exploration.states) == states
    assert verdict(run_preset(name), "deadlock freedom").verdict == "violated"
    assert verdict(r, "deadlock freedom").verdict == "holds"


# --- incomplete runs ---------------------------------------------------------------------

def test_bounded_run_reports_unknown_not_holds():
    r = run(preset(REFERENCE_CONFIG), max_states=100)
    x = r.exploration
    assert not x.complete and len(x.states) == 100
    got = {v.name: v.verdict for v in r.verdicts}
    assert got["deadlock freedom"] == "unknown"
    assert all(got[p.name] == "unknown" for p in PROPERTIES if p.kind == "invariant")
    assert got["TIME_WAIT is reachable"] == "unknown"
    assert got["CLOSING is reachable"] == "holds"  # witnessed within the first 100 states
    assert "violated" not in got.values()


def test_bounded_run_still_finds_an_early_violation():
    action, broken, _, length, detail = INVARIANT_MUTANTS["RCV.NXT within the peer's sent range"]
    r = run(preset(REFERENCE_CONFIG), max_states=20, actions=mutant_actions({action: broken}))
    assert not r.exploration.complete
    v = verdict(r, "RCV.NXT within the peer's sent range")
    assert v.verdict == "violated" and len(r.exploration.path(v.state)) - 1 == length


@pytest.mark.parametrize("budget, complete", [(306, False), (307, True), (308, True)])
def test_state_budget_boundary(budget, complete):
    """A budget equal to the number of reachable states is enough for a complete run."""
    r = run(preset(REFERENCE_CONFIG), max_states=budget)
    assert r.exploration.complete is complete
    assert len(r.exploration.states) == min(budget, 307)
    verdicts = {v.verdict for v in r.verdicts}
    assert verdicts == ({"holds"} if complete else {"holds", "unknown"})


# --- the property tests on hand-made states ----------------------------------------------

def _est(iss, irs, una, nxt, rcv):
    return TCB("ESTABLISHED", iss, irs, una, nxt, rcv, False, 1)


def _test(name):
    return next(p.test for p in PROPERTIES if p.name == name)


def test_invariants_on_states_across_the_wrap():
    a = _est(MOD - 1, 300, 0, 1, 302)  # A sent SYN at 2**32-1 and one octet at 0
    b = _est(300, MOD - 1, 301, 302, 1)
    ok = State(a, b, APP_DONE, APP_DONE, (), ())
    for p in PROPERTIES:
        if p.kind == "invariant":
            assert p.test(ok) is None, p.name
    beyond = ok._replace(B=b._replace(rcv_nxt=2))
    assert _test("no acknowledgment of unsent data")(beyond) == "B.RCV.NXT=2 acknowledges beyond A.SND.NXT=1"
    assert _test("RCV.NXT within the peer's sent range")(beyond) == \
        "B.RCV.NXT=2 is outside [A.ISS+1, A.SND.NXT] = [0, 1]"
    in_flight = ok._replace(net_BA=(Segment(False, True, False, False, 302, 2),))
    assert _test("no acknowledgment of unsent data")(in_flight) == \
        "segment in flight B->A has ACK=2, beyond A.SND.NXT=1"
    # a reset's ACK field is not an acknowledgment
    rst = ok._replace(net_BA=(Segment(False, True, False, True, 0, 2),))
    assert _test("no acknowledgment of unsent data")(rst) is None
    una = ok._replace(A=a._replace(snd_una=MOD - 2))
    assert _test("SND.UNA within [ISS, SND.NXT]")(una) == \
        "A.SND.UNA=4294967294 is outside [A.ISS, A.SND.NXT] = [4294967295, 1]"


def test_acceptable_end():
    listen = TCB("LISTEN", 300, 0, 300, 300, 0, True, 1)
    assert acceptable_end(State(CLOSED_TCB, CLOSED_TCB, APP_DONE, APP_DONE, (), ()))
    assert acceptable_end(State(CLOSED_TCB, listen, APP_DONE, APP_DONE, (), ()))
    assert not acceptable_end(State(CLOSED_TCB, listen._replace(passive=False), APP_DONE, APP_DONE, (), ()))
    assert not acceptable_end(State(CLOSED_TCB, CLOSED_TCB, APP_DONE, APP_DONE,
                                    (Segment(True, False, False, False, 0, 0),), ()))
    assert not acceptable_end(State(_est(1, 2, 2, 2, 3), CLOSED_TCB, APP_DONE, APP_DONE, (), ()))


# --- liveness ---------------------------------------------------------------------------

# property: (preset, table edits, length of the lasso's stem, cycle length, endpoint states at the end)
LIVENESS_MUTANTS = {
    # TIME_WAIT never expires: the close never completes; the first stuck run the search
    # meets is a simultaneous close that leaves both endpoints in TIME_WAIT
    "every close completes": (
        "reliable",
        [("TIME_WAIT    | timeout 2MSL | delete TCB                 | CLOSED      | F20, 3.10.8\n", "")],
        11, 0, ("TIME_WAIT", "TIME_WAIT")),
    # SYN_SENT ignores the SYN,ACK and never gives up: the client waits in SYN_SENT for ever
    "SYN_SENT leads to ESTABLISHED or CLOSED": (
        "seed",
        [(_row("SYN_SENT", "rcv SYN,ACK", "snd ACK", "ESTABLISHED"),
          _row("SYN_SENT", "rcv SYN,ACK", "-", "same")),
         ("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | user timeout",
          "SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | user timeout")],
        None, 0, None),
}


@pytest.mark.parametrize("name", list(LIVENESS_MUTANTS))
def test_liveness_violated_by_its_mutant(name):
    config, edits, stem, cycle, end = LIVENESS_MUTANTS[name]
    reference = run_preset(config)
    assert verdict(reference, name).verdict == "holds"
    r = run(preset(config), mutant_table(f"liveness: {name}", *edits))
    v = verdict(r, name)
    assert v.verdict == "violated" and v.lasso is not None
    assert len(v.lasso.cycle) == cycle
    last = r.exploration.state(v.lasso.stem[-1])
    if stem is not None:
        assert len(v.lasso.stem) - 1 == stem
        assert (last.A.state, last.B.state) == end
    else:
        assert last.A.state == "SYN_SENT"
    assert v.lasso.stem[0] == 0


def test_the_short_ids_are_pinned_and_unique():
    """Properties, proof obligations (and the invariants inside END1) and experiments
    have stable short ids, like a linter's rule codes: this list changes only on purpose."""
    from tcpcheck.model.experiments import EXPERIMENTS, IDS as EXPERIMENT_IDS
    from tcpcheck.model.properties import IDS
    from tcpcheck.proofs.liveness import SUPPORT
    from tcpcheck.proofs.obligations import IDS as OBLIGATION_IDS
    assert IDS == ("INV1", "INV2", "INV3", "INV4", "STEP1", *(f"REACH-{s}" for s in STATES), "DEAD1", "LIVE1", "LIVE2")
    assert "REACH-CLOSED" in IDS and "REACH-LAST_ACK" in IDS and len(IDS) == len(PROPERTIES) == 19
    assert OBLIGATION_IDS == ("SEG1", "IND1", "IND2", "IND3", "IND4", "IND5", "IND6", "END1")
    assert [inv.id for inv in SUPPORT] == ["SUP1", "SUP2", "SUP3"]
    assert EXPERIMENT_IDS == tuple(f"EXP{i}" for i in range(1, 14)) and len(EXPERIMENTS) == 13
    everything = [*IDS, *OBLIGATION_IDS, *(inv.id for inv in SUPPORT), *EXPERIMENT_IDS]
    assert len(set(everything)) == len(everything)
    # a verdict carries its property's id, in every run
    assert [v.id for v in run_preset(REFERENCE_CONFIG).verdicts] == list(IDS)
