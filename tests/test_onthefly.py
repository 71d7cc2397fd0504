"""Properties checked on the fly (model/properties.Monitor, issue 13): while the
search finds the states, with answers remembered per the fields a test reads.

The oracle here is the plain definition, written out again as simply as it can
be: every state decoded in id order, each invariant asked on each, the first
failure or witness kept.  The on-the-fly verdicts must be exactly its verdicts
(states, lassos, reasons) on every preset and every mutant; a test that lies
about what it reads must make them differ; ``stop_at_first`` must stop early
with the same shortest counterexample.
"""

from __future__ import annotations

import pytest

from tcpcheck.model.checker import build, run
from tcpcheck.model.config import PRESETS, preset
from tcpcheck.model.explorer import explore
from tcpcheck.model.liveness import Lasso, leads_to
from tcpcheck.model.mutants import MUTANTS, apply_mutant, mutant_config
from tcpcheck.model import properties
from tcpcheck.model.properties import (PROPERTIES, Monitor, Property, _Memo, _parts, acceptable_end,
                                       check_properties, on_the_fly, reads, when)
from tcpcheck.model.system import State


def oracle(x, p):
    """(verdict, state) of an invariant, reachability or deadlock property by the plain definition."""
    states = [x.state(i) for i in range(len(x.states))]
    if p.kind == "invariant":
        bad = next((i for i, s in enumerate(states) if p.test(s) is not None), None)
        return ("violated", bad) if bad is not None else ("holds" if x.complete else "unknown", None)
    if p.kind == "reachability":
        good = next((i for i, s in enumerate(states) if p.test(s) is None), None)
        return ("holds", good) if good is not None else ("violated" if x.complete else "unknown", None)
    if p.kind == "deadlock":
        bad = next((i for i in x.terminal if not acceptable_end(states[i])), None)
        return ("violated", bad) if bad is not None else ("holds" if x.complete else "unknown", None)
    raise ValueError(p.kind)


def _runs():
    for name in PRESETS:
        yield f"preset {name}", preset(name), None
    for name in MUTANTS:
        cfg, table = apply_mutant(name, mutant_config(name))
        yield f"mutant {name}", cfg, table


RUNS = list(_runs())


def step_oracle(x, p):
    """(verdict, why, lasso) of a step property by the plain definition: the first
    edge, in the exploration's order, whose step it fails (of those its ``when``
    says it can fail on), both ends decoded."""
    for j in range(len(x.src)):
        u, v, k = x.src[j], x.dst[j], x.lab[j]
        if p.test.when(x.label(k)):
            why = p.test(x.state(u), x.label(k), x.state(v))
            if why is not None:
                return "violated", why, Lasso(x.ids_to(u) + [v], [], x.labels_to(u) + [k], [])
    return ("holds" if x.complete else "unknown"), "", None


@pytest.mark.parametrize("name, cfg, table", RUNS, ids=[r[0] for r in RUNS])
def test_on_the_fly_verdicts_are_the_plain_definitions(name, cfg, table):
    r = run(cfg, table)
    x = r.exploration
    assert all(on_the_fly(p) for p in PROPERTIES)  # every built-in property is checked on the fly
    for p, v in zip(PROPERTIES, r.verdicts):
        if p.kind in ("invariant", "reachability", "deadlock"):
            assert (v.verdict, v.state) == oracle(x, p), (name, p.name)
            if v.verdict == "violated" and p.kind == "invariant":
                assert v.detail == p.test(x.state(v.state))
        elif p.kind == "liveness":
            lasso = next((lz for pq in p.test if (lz := leads_to(x, *pq)) is not None), None)
            assert v.lasso == lasso and v.verdict == ("holds" if lasso is None else "violated"), (name, p.name)
        elif p.kind == "step":
            assert (v.verdict, v.detail, v.lasso) == step_oracle(x, p), (name, p.name)
    # what the report lists as reached is what the states say
    seen = {w: {getattr(x.state(i), w).state for i in range(len(x.states))} for w in ("A", "B")}
    assert {w: set(r.reachable()[w]) for w in "AB"} == seen
    assert r.reached is not None


def test_the_same_on_an_incomplete_search():
    for budget in (20, 100, 5000):
        r = run(preset("default"), max_states=budget)
        x = r.exploration
        assert not x.complete
        for p, v in zip(PROPERTIES, r.verdicts):
            if p.kind in ("invariant", "reachability", "deadlock"):
                assert (v.verdict, v.state) == oracle(x, p)
            else:
                assert v.verdict in ("unknown", "violated")


def test_check_properties_on_an_exploration_is_the_same_check():
    x = explore(build(preset("default")))
    r = run(preset("default"))
    assert check_properties(x) == check_properties(x.decoded()) == r.verdicts


@reads("app_B")  # a lie: it reads A's TCB
def _lying(s):
    return "SYN_SENT" if s.A.state == "SYN_SENT" else None


def test_a_test_that_lies_about_what_it_reads_gets_a_wrong_answer():
    """The broken input of the memo: the answer of the first state with that app_A is
    remembered for every state with the same app_B (B already listens and has nothing new to do), so A's SYN_SENT goes unseen."""
    liar = Property("A never in SYN_SENT", "invariant", "A is never in SYN_SENT.", _lying)
    r = run(preset("seed"), properties=(liar,))
    x = r.exploration
    assert oracle(x, liar) == ("violated", 1)
    assert (r.verdicts[0].verdict, r.verdicts[0].state) == ("holds", None)
    # told the truth (no mark), it is checked after the search, on every state
    honest = liar._replace(test=lambda s: _lying(s))
    assert not on_the_fly(honest)
    v = run(preset("seed"), properties=(honest,)).verdicts[0]
    assert (v.verdict, v.state) == ("violated", 1)


FIGURES = {"default": ("violated", 377, 128, 26), "reliable": ("holds", 10, 7, 7), "abort": ("violated", 2609, 150, 34)}


@pytest.mark.parametrize("engine", ["bfs", "packed"])
def test_a_step_test_is_asked_once_per_step_and_values_it_reads(engine, monkeypatch):
    """The step property "the passive closer is never reset" reads both TCBs: it
    is asked of the first edge of each (step, TCBs before, TCBs after) alone, and
    its verdict is still the plain definition's (on default it is violated)."""
    (p,) = [q for q in PROPERTIES if q.kind == "step"]
    asked = []

    def counted(before, step, after):
        asked.append((before, step, after))
        return p.test(before, step, after)
    counted.when, counted.reads = p.test.when, p.test.reads
    prop = p._replace(test=counted)
    for name in ("default", "reliable", "abort"):
        asked.clear()
        r = run(preset(name), properties=(prop,), engine=engine)
        x = r.exploration
        v = r.verdicts[0]
        assert (v.verdict, v.detail, v.lasso) == step_oracle(x, p), name
        relevant = [j for j in range(len(x.src)) if p.test.when(x.label(x.lab[j]))]
        keys = {}
        for j in relevant:
            u, w = x.state(x.src[j]), x.state(x.dst[j])
            keys.setdefault((x.lab[j], u.A, u.B, w.A, w.B), j)
        # each key asked once, of its first edge, in order, up to the first that fails
        want = []
        for j in sorted(keys.values()):
            want.append((x.state(x.src[j]), x.label(x.lab[j]), x.state(x.dst[j])))
            if p.test(*want[-1]) is not None:
                break
        assert asked == want, name
        assert (v.verdict, len(relevant), len(keys), len(asked)) == FIGURES[name], name


@when(lambda step: step.kind == "rcv" and step.segment.RST)
@reads("A", "B")  # a lie: it also reads what is in flight
def _reset_with_more_to_come(before, step, after):
    return "more to come" if after.net_AB else None


def test_a_step_test_that_lies_about_what_it_reads_gets_a_wrong_answer():
    """The broken input of the step memo: the answer of the first reset between two
    TCBs is remembered for every reset between the same TCBs, whatever A has in
    flight, so the reset that arrives while A's segments are still on their way
    (state 54 of reliable) goes unseen."""
    liar = Property("no reset with more to come", "step", "No reset arrives while A has more in flight.",
                    _reset_with_more_to_come)
    r = run(preset("reliable"), properties=(liar,))
    want = step_oracle(r.exploration, liar)
    assert (want[0], want[2].stem[-1]) == ("violated", 54)
    assert (r.verdicts[0].verdict, r.verdicts[0].lasso) == ("holds", None)
    # without the mark, every reset is asked: the plain definition
    honest = liar._replace(test=when(liar.test.when)(lambda b, s, a: _reset_with_more_to_come(b, s, a)))
    v = run(preset("reliable"), properties=(honest,)).verdicts[0]
    assert (v.verdict, v.detail, v.lasso) == want


def test_the_invariants_parts_are_the_whole_test():
    x = explore(build(preset("default")))
    for p in PROPERTIES:
        if p.kind != "invariant":
            continue
        for i in range(0, len(x.states), 7):
            s = x.state(i)
            holds = [fine(s) if each is None else all(fine(s, seg) for seg in getattr(s, each))
                     for _, fine, each in _parts(p.test)]
            assert all(holds) == (p.test(s) is None)
    assert len(acceptable_end.parts) == 2
    # INV1 alone has segment facts: its parts are the pair facts and one per segment of each direction,
    # which reads the receiver's TCB and the segment only (what its facts written out read)
    assert [[(fields, each) for fields, _, each in _parts(p.test)] for p in PROPERTIES if p.kind == "invariant"] == [
        [(("A", "B"), None), (("B", "net_AB"), "net_AB"), (("A", "net_BA"), "net_BA")],
        [(("A", "B"), None)], [(("A", "B"), None)], [(("A", "B"), None)]]


def test_a_segment_fact_that_reads_its_sender_is_keyed_on_the_sender_too():
    """The segment part's fields come from what the facts read: one that reads
    the sender's TCB (its SND.NXT) gets both TCBs, and the on-the-fly verdict
    is still the plain definition's (a wrong key would break it)."""
    from tcpcheck.model.invariants import Fact, Invariant, has_tcb, implies

    def seq_within_sent(D, s, sender, receiver):  # SEG.SEQ at most the sender's SND.NXT, but for resets
        return implies(D, D.And(D.Not(s.RST), has_tcb(D, sender.tcb)),
                       D.ule(D.sub(s.seq, sender.tcb.iss), D.sub(sender.tcb.snd_nxt, sender.tcb.iss)))
    inv = Invariant("INVX", "segments within what their sender sent", "",
                    (Fact("segment", seq_within_sent, True, "ack-in-flight-beyond-sent",
                          lambda D, x, y, s, X, Y: dict(x=x, y=y, ack=s.seq, snd_nxt=X.tcb.snd_nxt)),))
    p = Property(inv.name, "invariant", inv.statement, properties._invariant(inv), inv.id)
    assert [(fields, each) for fields, _, each in _parts(p.test)] == [
        (("A", "B"), None), (("A", "B", "net_AB"), "net_AB"), (("B", "A", "net_BA"), "net_BA")]
    verdicts = []
    for name in ("default", "short-time-wait"):
        cfg, table = apply_mutant(name, mutant_config(name)) if name in MUTANTS else (preset(name), None)
        x = explore(build(cfg, table))
        m = Monitor([p], State._fields)
        m.feed(x)
        v = m.verdict(p, x)
        assert (v.verdict, v.state) == oracle(x, p), name
        verdicts.append(v.verdict)
    assert verdicts == ["holds", "violated"]  # (an old incarnation's segment outlives a short TIME_WAIT)


@pytest.mark.parametrize("name", ["default", "short-time-wait", "two-way-handshake"])
def test_stop_at_first_stops_at_the_same_shortest_counterexample(name):
    cfg, table = (preset(name), None) if name in PRESETS else apply_mutant(name, mutant_config(name))
    full = run(cfg, table)
    first = run(cfg, table, stop_at_first=True)
    assert first.stopped == "violation" and first.exploration.stopped == "violation"
    assert not first.exploration.complete
    assert len(first.exploration.states) < len(full.exploration.states)
    violated = [(f, v) for f, v in zip(full.verdicts, first.verdicts) if v.verdict == "violated"]
    assert violated
    for f, v in violated:  # the same counterexample, state for state and step for step
        assert (v.state, v.lasso, v.detail) == (f.state, f.lasso, f.detail)
        fx, vx = full.exploration, first.exploration
        run_f = fx.ids_to(f.state) if f.state is not None else f.lasso.ids
        run_v = vx.ids_to(v.state) if v.state is not None else v.lasso.ids
        assert [fx.state(i) for i in run_f] == [vx.state(i) for i in run_v]
    # nothing else claims to hold that needed the whole space
    for p, v in zip(PROPERTIES, first.verdicts):
        if p.kind in ("invariant", "liveness") and v.verdict != "violated":
            assert v.verdict == "unknown"


def test_stop_at_first_without_a_violation_is_the_full_check():
    full, first = run(preset("reliable")), run(preset("reliable"), stop_at_first=True)
    assert first.stopped is None and first.exploration.complete
    assert first.verdicts == full.verdicts and len(first.exploration.states) == len(full.exploration.states) == 307


def test_the_monitor_without_a_layout_decodes_every_state():
    x = explore(build(preset("default")))
    plain, fast = Monitor(PROPERTIES), Monitor(PROPERTIES, State._fields)
    plain.feed(x)
    fast.feed(x)
    assert [plain.verdict(p, x) for p in PROPERTIES] == [fast.verdict(p, x) for p in PROPERTIES]
    assert all(g.key is None for g in plain._groups.values())
    # with the layout, each group remembers far fewer answers than there are states
    assert max(len(g.memo) for g in fast._groups.values()) < len(x.states) // 3



def test_a_part_over_each_segment_is_asked_once_per_segment_beside_the_same_tcbs():
    """A part that holds when it holds of every segment of a channel (as an invariant's
    segment facts are) is asked once per (A, B, segment), not once per channel contents,
    and gives the plain definition's verdict at the same first state."""
    asked = []

    def ok(s, seg):
        return not (seg.FIN and s.B.state == "ESTABLISHED")

    def fine(s, seg):  # the part, as the monitor asks it
        asked.append((s.A, s.B, seg))
        return ok(s, seg)

    def whole(s):
        return None if all(ok(s, seg) for seg in s.net_AB) else "a FIN in flight to an ESTABLISHED B"
    test = reads("A", "B", "net_AB")(whole)
    test.parts = ((("A", "B", "net_AB"), fine, "net_AB"),)
    p = Property("no FIN to an ESTABLISHED B", "invariant", "...", test, "X1")
    r = run(preset("default"), properties=(p,))
    assert len(asked) == len(set(asked)) > 0  # never the same (A, B, segment) twice
    plain = oracle(r.exploration, p._replace(test=lambda s: whole(s)))
    assert plain[0] == "violated"
    assert (r.verdicts[0].verdict, r.verdicts[0].state) == plain


def test_a_part_over_each_segment_that_reads_more_than_it_names_gets_a_wrong_answer():
    """The broken input of the per-segment memo: a part that also reads B's channel while
    naming A's segments beside the two TCBs is remembered from the first state with that
    (A, B, segment), so the state that breaks it goes unseen."""
    def lying(s, seg):  # no reset first in flight to A while A has a segment in flight
        return not (s.net_BA and s.net_BA[0].RST)
    liar = reads("A", "B", "net_AB")(lambda s: None if all(lying(s, seg) for seg in s.net_AB) else "no")
    liar.parts = ((("A", "B", "net_AB"), lying, "net_AB"),)
    q = Property("liar", "invariant", "...", liar, "X2")
    r = run(preset("default"), properties=(q,))
    assert oracle(r.exploration, q) == ("violated", 2897)
    assert (r.verdicts[0].verdict, r.verdicts[0].state) == ("holds", None)


def _verdicts_in_batches(x, batch):
    """The monitor's verdicts on ``x`` when it is fed ``batch`` new states at a time, as a search would."""
    m = Monitor(PROPERTIES, State._fields)
    for n in range(batch, len(x.states) + batch, batch):
        m._feed_states(x, m.n_states, min(n, len(x.states)))
    m.feed(x, final=True)
    return [m.verdict(p, x) for p in PROPERTIES]


@pytest.mark.parametrize("name, cfg, table", RUNS, ids=[r[0] for r in RUNS])
def test_the_vectorised_lookups_in_any_batches_and_memo_are_the_plain_definitions(name, cfg, table, monkeypatch):
    """Batches of 61, 4,096 and all the states, each memo a direct table or a sorted array
    (with a dict of recent keys): the same verdicts as the plain definition (counterexample
    states, lassos and reasons), whatever the batches' borders and however a key is found."""
    x = explore(build(cfg, table))
    want = None
    for direct in (20, 0):
        monkeypatch.setattr(properties, "_DIRECT_BITS", direct)
        for batch in (61, 4096, len(x.states)):
            got = _verdicts_in_batches(x, batch)
            if want is None:
                want = got
                for p, v in zip(PROPERTIES, got):
                    if p.kind in ("invariant", "reachability"):
                        assert (v.verdict, v.state) == oracle(x, p), (name, p.name)
            assert got == want, (name, direct, batch)


@pytest.mark.parametrize("direct, allowed, since", [(20, None, 0), (0, None, 0), (0, 22, 2), (0, 30, 4)])
def test_a_memo_finds_exactly_what_it_was_given_across_widenings(direct, allowed, since, monkeypatch):
    """``allowed``: from batch ``since`` on, the memo may be a direct table of that
    many bits (as the monitor allows when the states grow): it becomes one, with
    everything it remembered, when its keys fit (22 bits: until the ids outgrow them;
    30 bits: a sorted memo of 27-bit keys turned into a table)."""
    monkeypatch.setattr(properties, "_DIRECT_BITS", direct)
    import numpy as np
    rng = np.random.default_rng(7)
    memo, truth = _Memo(3), {}
    tables = []
    for batch, top in enumerate((3, 3, 40, 200, 200, 5000)):  # the ids grow: each field's bits widen, keys are remade
        if allowed is not None and batch >= since:
            memo.allow(allowed)
        cols = [rng.integers(0, top, 3000) for _ in range(3)]
        key = memo.key(cols, [int(c.max()) for c in cols])
        tables.append(memo.table is not None)
        got = memo.lookup(key)
        rows = list(zip(*(c.tolist() for c in cols)))
        assert got.tolist() == [truth.get(r, -1) for r in rows]
        fresh = np.flatnonzero(got < 0)
        uk, at = np.unique(key[fresh], return_index=True)
        outs = np.arange(len(truth), len(truth) + len(uk), dtype=np.int32)
        memo.put(uk, outs)
        for o, i in zip(outs.tolist(), fresh[at].tolist()):
            truth[rows[i]] = o
        assert memo.lookup(key).tolist() == [truth[r] for r in rows]
    assert len(truth) > 4096  # the sorted array was merged from the recent keys at least once
    assert (memo.table is not None) == (sum(memo.widths) <= max(direct, allowed or 0))
    assert tables == {20: [True, True, False, False, False, False], 0: [False] * 6,
                      22: [False, False, True, False, False, False], 30: [False] * 4 + [True, False]}[allowed or direct]


def test_keys_where_two_fields_collide_get_wrong_answers(monkeypatch):
    """The broken input of the vectorised memo: fields combined without room of their own
    (A's and B's ids overlapping: ``A + B``), so that two TCB pairs share a key and the answer of
    the first is given to the second."""
    def colliding(self, cols):
        key = cols[0]
        for c in cols[1:]:
            key = key + c
        return key
    x = explore(build(preset("default")))
    right = _verdicts_in_batches(x, 64)
    monkeypatch.setattr(_Memo, "_combine", colliding)
    wrong = _verdicts_in_batches(x, 64)
    differ = [(p.id, r.verdict, r.state, w.verdict, w.state) for p, r, w in zip(PROPERTIES, right, wrong)
              if (r.verdict, r.state) != (w.verdict, w.state)]
    # CLOSE_WAIT's witness is found late (state 66, not 58), and LIVE2 is said violated where it holds
    assert differ == [("REACH-CLOSE_WAIT", "holds", 58, "holds", 66), ("LIVE2", "holds", None, "violated", None)]


class _ColumnStates:
    """States kept as columns, as a packed engine keeps them: a tuple only when one state is
    read, and ``columns(n0, n1)`` (the Monitor's protocol) for a batch; a slice is refused."""

    def __init__(self, states):
        import numpy as np
        self.cols = [np.array(c, dtype=np.int64) for c in zip(*states)]

    def __len__(self):
        return len(self.cols[0])

    def __getitem__(self, i):
        assert not isinstance(i, slice), "the monitor unpacked a batch of states"
        return tuple(int(c[i]) for c in self.cols)

    def columns(self, n0, n1):
        return [c[n0:n1] for c in self.cols]


@pytest.mark.parametrize("name", ["default", "short-time-wait"])
def test_states_that_give_their_columns_are_checked_from_them(name):
    import copy
    cfg, table = (preset(name), None) if name in PRESETS else apply_mutant(name, mutant_config(name))
    x = explore(build(cfg, table))
    y = copy.copy(x)
    y.states = _ColumnStates(x.states)
    assert _verdicts_in_batches(y, 4096) == _verdicts_in_batches(x, 4096) == run(cfg, table).verdicts


def test_bench_check_repeats_a_short_run_and_keeps_the_least_cpu(monkeypatch, capsys):
    import json

    from tcpcheck.model import bench
    from tcpcheck.model.cli import main

    calls, fresh = [], bench._fresh

    def counted(fn, *args):
        calls.append(fn.__name__)
        return fresh(fn, *args)
    monkeypatch.setattr(bench, "_fresh", counted)
    assert main(["bench", "--check", "--preset", "seed", "--json"]) == 0
    row, = json.loads(capsys.readouterr().out)["rows"]
    assert calls == ["_search_row", "_check_row"] * bench.REPEATS and row["repeats"] == bench.REPEATS == 3
    assert (row["config"], row["states"], row["check"]["states"]) == ("seed", 14, 14)
    assert row["check"]["verdicts"] == {v.id: v.verdict for v in run(preset("seed")).verdicts}
    assert row["time_ratio"] == row["check"]["cpu_seconds"] / row["search"]["cpu_seconds"]
    assert row["met"] == (row["time_ratio"] <= 1.5 and row["memory_ratio"] <= 1.5)

    assert row["engine"] == "bfs"

    # another engine, on one core: the packed engine's rows beside bfs's, the same states and verdicts
    calls.clear()
    assert main(["bench", "--check", "--preset", "seed", "--engine", "bfs", "--engine", "packed", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["engine"], r["states"], r["check"]["verdicts"]) for r in rows] == [
        ("bfs", 14, row["check"]["verdicts"]), ("packed", 14, row["check"]["verdicts"])]
    assert bench._one_core("packed") == {"cores": 1} and bench._one_core("bfs") == {}

    # a search of a second or more is run once: it is not mostly what a process does once
    def slow(fn, *args):
        calls.append(fn.__name__)
        return {**fresh(fn, *args), "cpu_seconds": 1.0}
    calls.clear()
    monkeypatch.setattr(bench, "_fresh", slow)
    assert main(["bench", "--check", "--preset", "seed", "--json"]) == 0
    assert calls == ["_search_row", "_check_row"] and json.loads(capsys.readouterr().out)["rows"][0]["repeats"] == 1
