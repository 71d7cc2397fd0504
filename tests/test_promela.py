"""The generated Promela (model/promela.py, issue 13): SPIN 6.5.2, run with
``-DNOREDUCE -DSAFETY``, stores exactly as many distinct states as tcpcheck
finds, on configurations with and without loss, duplication, reordering, a
loss budget and incarnations; and a broken composition is caught (a count that
differs, or SPIN's assertion that a reaction was never met).

Skipped only where ``spin`` or ``gcc`` is absent (Debian: ``apt-get install spin gcc``).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest

from tcpcheck.model.config import preset
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.promela import promela

pytestmark = pytest.mark.skipif(not (shutil.which("spin") and shutil.which("gcc")),
                                reason="needs spin and gcc (apt-get install spin gcc)")


def spin(text: str, tmp_path) -> tuple[int, int]:
    """(states stored, errors) of SPIN's exhaustive search of ``text``."""
    (tmp_path / "model.pml").write_text(text)
    subprocess.run(["spin", "-a", "model.pml"], cwd=tmp_path, check=True, capture_output=True)
    # -O0: the test counts states, it does not time them, and gcc -O2 of a large pan.c takes minutes
    subprocess.run(["gcc", "-O0", "-DNOREDUCE", "-DSAFETY", "-o", "pan", "pan.c"], cwd=tmp_path,
                   check=True, capture_output=True)
    out = subprocess.run(["./pan", "-m100000"], cwd=tmp_path, capture_output=True, text=True).stdout
    return (int(re.search(r"(\d+) states, stored", out).group(1)),
            int(re.search(r"errors: (\d+)", out).group(1)))


def _configs():
    d, r = preset("default"), preset("reliable")
    yield "seed", preset("seed"), None, 14  # no faults, FIFO
    yield "reliable", r, None, 307
    yield "simultaneous-open", preset("simultaneous-open"), None, 1896  # loss, FIFO
    yield "default", d, None, 28817  # loss, reordering: bag channels
    yield "duplicating", preset("duplicating"), None, 17688  # loss, duplication, bag
    yield "duplicating-fifo", dataclasses.replace(preset("duplicating"), reordering=False), None, 6828
    yield "default-loss-budget-1", dataclasses.replace(d, loss_budget=1), None, 22743
    yield "reliable-opens-2", dataclasses.replace(r, A=dataclasses.replace(r.A, opens=2),
                                                  B=dataclasses.replace(r.B, opens=2)), None, 2128
    yield "short-time-wait", *apply_mutant("short-time-wait", mutant_config("short-time-wait")), 21897


CONFIGS = list(_configs())


@pytest.mark.parametrize("name, cfg, table, states", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_spin_counts_the_same_states(name, cfg, table, states, tmp_path):
    p = promela(cfg, table)
    assert p.states == states
    assert spin(p, tmp_path) == (states, 0)


def test_the_text_is_deterministic_and_says_what_it_is():
    a, b = promela(preset("default")), promela(preset("default"))
    assert a == b
    first = a.splitlines()[0]
    assert first.startswith("/* tcpcheck: default: 28817 states (SPIN: pan -DNOREDUCE -DSAFETY")
    assert "active proctype tcp()" in a and "end:" in a
    # the reactions are tables (pan's constant data), not one option per reaction
    assert "static const unsigned char A_RNEXT_0[" in a
    assert len([line for line in a.splitlines() if line.startswith("  :: d_step")]) == 2 * 2 + 22 + 23 + 45


def test_the_tables_are_closed_and_number_every_local_state(tmp_path):
    """The local states (TCB, application) in the tables are closed under every event of
    their endpoint, so they hold every one the search meets (on default: exactly those)."""
    from tcpcheck.model.checker import build
    from tcpcheck.model.explorer import explore

    p = promela(preset("default"), count=False)
    m = build(preset("default"))
    x = explore(m)
    met = [{(s[0], s[2]) for s in x.states}, {(s[1], s[3]) for s in x.states}]
    for i in (0, 1):
        seen = {(m.tcb_ids.items[t], m.app_ids.items[a]) for t, a in met[i]}
        mine = {(p.model.tcb_ids.items[t], p.model.app_ids.items[a]) for t, a in p.locals[i]}
        assert seen == mine and len(mine) == [80, 83][i]
    assert {c: len(ids) for c, ids in p.segments.items()} == {"ab": 22, "ba": 23}


def test_a_channel_that_never_drops_is_another_model(tmp_path):
    """Broken: a full channel takes the segment anyway (no capacity)."""
    p = promela(preset("default"))
    broken = p.replace(" && now.nab < 2)", ")")
    assert broken != p
    n, _ = spin(broken, tmp_path)
    assert n != p.states


def test_a_timer_that_ignores_the_network_is_caught(tmp_path):
    """Broken: the retransmission timer and 2MSL may expire with segments in flight."""
    p = promela(preset("reliable"))
    broken = re.sub(r"#define TIMERS_A .*", "#define TIMERS_A 3", p)
    assert broken != p
    n, errors = spin(broken, tmp_path)
    assert (n, errors) != (p.states, 0)


def test_a_timer_that_sees_one_direction_only_is_caught(tmp_path):
    """Broken: A's timers look only at the channel A sends on, not at the one towards it."""
    p = promela(preset("default"))
    broken = re.sub(r"#define TIMERS_A \(\(now.nab == 0 && now.nba == 0\)", "#define TIMERS_A ((now.nab == 0)", p)
    assert broken != p
    n, errors = spin(broken, tmp_path)
    assert errors == 0 and n != p.states


def test_a_timer_table_read_for_the_wrong_endpoint_is_caught(tmp_path):
    """Broken: when 2MSL outlasts the peer's retransmissions, A's 2MSL asks whether A
    itself, not its peer, has nothing left to retransmit (the table of the other endpoint)."""
    cfg = mutant_config("no-time-wait")  # its configuration, with the reference table
    assert cfg.time_wait_outlasts_rto
    p = promela(cfg)
    assert spin(p, tmp_path) == (p.states, 0)
    broken = p.replace("B_QUIET(B_TCB(now.lB))", "A_QUIET(A_TCB(now.lA))", 1)
    assert broken != p
    assert spin(broken, tmp_path)[0] != p.states


def test_a_duplicate_in_the_wrong_place_is_another_model(tmp_path):
    """Broken: on a FIFO channel the copy is put at the end instead of after the original
    (the seed's exchange with duplication: 3,647 states, where a copy fills three slots)."""
    cfg = dataclasses.replace(preset("seed"), duplication=True, capacity=3)
    p = promela(cfg)
    n, errors = spin(p, tmp_path)
    assert (n, errors) == (p.states, 0)
    # duplicating slot 0 of three writes the copy into slot 1 after moving slot 1 to slot 2;
    # broken, the copy overwrites the slot after the last one in use
    broken = p.replace("now.ab[2] = now.ab[1]; now.ab[1] = now.ab[0]; now.nab++;", "now.ab[2] = now.ab[0]; now.nab++;")
    assert broken != p
    assert spin(broken, tmp_path)[0] != p.states


def test_an_undecided_reaction_is_tabulated_as_an_error(tmp_path):
    """ack-check-forgets-snd-nxt's table leaves 10 pairs undecided, all in local
    states no run reaches: each is flagged (A_RAMBIG) and SPIN counts the same states."""
    cfg, table = apply_mutant("ack-check-forgets-snd-nxt", mutant_config("ack-check-forgets-snd-nxt"))
    p = promela(cfg, table)
    assert (p.states, len(p.ambiguous), sorted({who for who, _ in p.ambiguous})) == (14, 10, ["A", "B"])
    assert p.ambiguous[("A", 34)] == ("ESTABLISHED: segment Segment(SYN=False, ACK=True, FIN=False, RST=False, "
                                      "seq=301, ack=0, len=0) matches rcv unacceptable ACK, rcv ACK at stage control")
    assert sum(line.startswith("c_decl { static const unsigned char A_RAMBIG_0[") for line in p.splitlines()) == 1
    assert 'uerror("tcpcheck: ambiguous reaction")' in p
    assert spin(p, tmp_path) == (14, 0)
    # the reference table decides every pair: no flag table, no test in the arrivals
    q = promela(preset("seed"))
    assert q.ambiguous == {} and "RAMBIG" not in q and "ambiguous" not in q


def test_a_reached_undecided_reaction_fails_in_pan(tmp_path):
    """A hand-made table (rcv ACK takes every ACK) leaves pairs undecided that
    runs of default reach: pan stops there with the error and says which pair."""
    from tcpcheck.model.events import PLAIN_ACK_STATES
    from tcpcheck.model.table import REFERENCE, load_table

    ref = load_table(REFERENCE)
    table = ref.with_arrivals(tuple(e._replace(guard=lambda D, t, s, wnd: s.ACK)
                                    if e.name == "rcv ACK" and e.states == PLAIN_ACK_STATES else e
                                    for e in ref.arrivals), "rcv ACK takes every ACK")
    p = promela(preset("default"), table, count=False)
    assert len(p.ambiguous) > 0
    (tmp_path / "model.pml").write_text(p)
    subprocess.run(["spin", "-a", "model.pml"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["gcc", "-O0", "-DNOREDUCE", "-DSAFETY", "-o", "pan", "pan.c"], cwd=tmp_path,
                   check=True, capture_output=True)
    out = subprocess.run(["./pan", "-m100000"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "pan:1: tcpcheck: ambiguous reaction (at depth " in out and "errors: 1" in out
    who, row = re.search(r"tcpcheck: ambiguous ([AB]) (\d+)", out).groups()
    assert p.ambiguous[(who, int(row))].startswith("TIME_WAIT: segment Segment(SYN=False, ACK=True, FIN=True")
