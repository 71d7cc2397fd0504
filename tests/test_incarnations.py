"""Incarnations, the loss budget and the timer switches of the configuration.

* ``opens``: an application OPENs again once its connection is CLOSED, with
  ISS = iss + k * iss_step for its k-th OPEN; a server listens again;
* ``loss_budget``: the network loses at most that many segments in a run
  (drops at a full channel do not count);
* ``time_wait_outlasts_rto`` and ``time_wait_waits_for_network``: when
  TIME-WAIT's 2MSL may expire.

Every new option at its default leaves every preset exactly as it was (the
pinned counts of test_counts.py); here they are switched on.
"""

from __future__ import annotations

import dataclasses
import doctest

import pytest

from tcpcheck.model import config as config_module
from tcpcheck.model.checker import build, run
from tcpcheck.model.cli import main
from tcpcheck.model.config import ISS_STEP, PRESETS, ConfigError, load_config, parse_config, preset
from tcpcheck.model.explorer import explore, find_path
from tcpcheck.model.system import APP_DONE, App, State
from tcpcheck.model.tcb import CLOSED_TCB, MOD, TCB, Segment

from conftest import endpoint_states, steps_of, with_endpoint

A_ISS, B_ISS = 4294967294, 300
A_ISS_2 = (A_ISS + ISS_STEP) % MOD  # 59999998: the client's ISS wraps past 2**32
B_ISS_2 = B_ISS + ISS_STEP  # 60000300

TWICE = 'preset = "seed"\n[A]\nopens = 2\n[B]\nopens = 2\n'


def _twice():
    return parse_config(TWICE, "twice.toml")


def _explore(cfg):
    x = explore(build(cfg))
    assert x.complete
    return x, [x.state(i) for i in range(len(x.states))]


def _edges(x, states):
    for u, v, k in zip(x.src, x.dst, x.lab):
        yield states[u], x.label(k), states[v]


# --- defaults ---------------------------------------------------------------------------

def test_new_options_default_to_the_old_model():
    for _, cfg in PRESETS.values():
        assert (cfg.loss_budget, cfg.time_wait_outlasts_rto, cfg.time_wait_waits_for_network) == (None, False, True)
        for e in (cfg.A, cfg.B):
            assert (e.opens, e.iss_step) == (1, ISS_STEP)
    assert ISS_STEP == 60_000_000 == 240 * 1_000_000 // 4  # 2MSL = 240 s of a 4 us ISN clock


def test_all_new_options_written_out_at_their_defaults_change_nothing(tmp_path):
    """A file that sets every new option to its default explores the default
    preset's 28,817 states, and its summary lines are the preset's."""
    path = tmp_path / "defaults.toml"
    path.write_text('preset = "default"\niss_step = 60000000\n[network]\n[timers]\n'
                    'time_wait_outlasts_rto = false\ntime_wait_waits_for_network = true\n'
                    '[A]\nopens = 1\n[B]\nopens = 1\niss_step = 60000000\n')
    cfg = load_config(path)
    assert dataclasses.replace(cfg, name="default") == preset("default")
    assert cfg.describe() == preset("default").describe()
    x = explore(build(cfg))
    assert (len(x.states), x.transitions) == (28817, 116481)
    assert len(build(cfg).initial_states()[0]) == 6  # no loss counter without a budget


# --- incarnations -----------------------------------------------------------------------

def test_state_space_with_two_incarnations_each():
    r = run(_twice())
    x = r.exploration
    assert (len(x.states), x.transitions, x.max_depth, len(x.terminal), len(r.fired)) == (34, 40, 23, 2, 16)
    assert [v.name for v in r.verdicts if v.verdict == "violated"] == ["CLOSING is reachable"]
    states = [x.state(i) for i in range(len(x.states))]
    assert {s.app_A.incarnation for s in states} == {s.app_B.incarnation for s in states} == {0, 1}
    # every terminal state is an acceptable end: both done, or the server listening again
    ends = sorted((x.state(i).A.state, x.state(i).B.state, x.state(i).app_B.incarnation) for i in x.terminal)
    assert ends == [("CLOSED", "CLOSED", 0), ("CLOSED", "LISTEN", 1)]


@pytest.mark.parametrize("text, states, transitions", [
    ('preset = "reliable"\n[A]\nopens = 2\ndata = 0\n[B]\nopens = 2\ndata = 0\n', 542, 1111),
    ('preset = "seed"\n[network]\nloss = true\n[A]\nopens = 2\n[B]\nopens = 2\n', 969, 2183),
    ('preset = "seed"\n[A]\nopens = 3\n[B]\nopens = 2\n', 54, 65),
])
def test_more_state_spaces_with_incarnations(text, states, transitions):
    x = explore(build(parse_config(text, "x.toml")))
    assert (len(x.states), x.transitions) == (states, transitions)


def test_the_server_listens_again_and_a_second_connection_uses_the_new_isns():
    m = build(_twice())
    path = find_path(m, lambda s, n: s.A.state == s.B.state == "ESTABLISHED"
                     and s.app_A.incarnation == s.app_B.incarnation == 1)
    assert len(path) - 1 == 16
    assert [(st.actor, st.event) for st in steps_of(path)][9:] == [
        ("B", "rcv ACK of FIN"),  # the first connection: B's LAST_ACK ends ...
        ("A", "timeout 2MSL"),  # ... and A's TIME_WAIT
        ("A", "active OPEN"),  # the client connects again
        ("B", "passive OPEN"),  # the server listens again
        ("B", "rcv SYN"),
        ("A", "rcv SYN,ACK"),
        ("B", "rcv ACK of SYN"),
    ]
    assert endpoint_states(path, "B")[9:] == ["LAST_ACK", "CLOSED", "CLOSED", "CLOSED", "LISTEN",
                                               "SYN_RCVD", "SYN_RCVD", "ESTABLISHED"]
    sent = [q for st in steps_of(path)[11:] for q in st.sent]
    assert sent == [Segment(True, False, False, False, A_ISS_2, 0),
                    Segment(True, True, False, False, B_ISS_2, A_ISS_2 + 1),
                    Segment(False, True, False, False, A_ISS_2 + 1, B_ISS_2 + 1)]
    end = path[-1][1]
    assert end.A == TCB("ESTABLISHED", A_ISS_2, B_ISS_2, A_ISS_2 + 1, A_ISS_2 + 1, B_ISS_2 + 1, False, 1)
    assert end.B == TCB("ESTABLISHED", B_ISS_2, A_ISS_2, B_ISS_2 + 1, B_ISS_2 + 1, A_ISS_2 + 1, True, 1)
    # the listening TCB of the second incarnation already has the new ISS
    listening = next(s.B for _, s in path if s.B.state == "LISTEN" and s.app_B.incarnation == 1)
    assert listening == TCB("LISTEN", B_ISS_2, 0, B_ISS_2, B_ISS_2, 0, True, 1)


def test_applications_between_incarnations():
    """After the first connection closes, an application with an OPEN left is a
    fresh one of the next incarnation; a finished one is APP_DONE, whatever
    incarnation it finished in."""
    x, states = _explore(_twice())
    for s in states:
        for t, app, e in ((s.A, s.app_A, "active"), (s.B, s.app_B, "passive")):
            if t.state == "CLOSED" and not app.open:
                assert app == APP_DONE
            if t.state == "CLOSED" and app.incarnation == 1:
                assert app == App(e, 0, True, False, 1)  # it has yet to OPEN again
    done = {s.app_A for s in states if s.A.state == "CLOSED" and not s.app_A.open}
    assert done == {APP_DONE}
    assert APP_DONE == App("", 0, False, False, 0)


def test_the_kth_open_chooses_iss_plus_k_steps_modulo_2_32():
    cfg = with_endpoint(with_endpoint(preset("seed"), "A", opens=3, iss_step=1 << 31), "B", opens=2, iss_step=7)
    m = build(cfg)
    assert [p.iss for p in m.incarnations[0]] == [A_ISS, (A_ISS + (1 << 31)) % MOD, A_ISS]
    assert [p.iss for p in m.incarnations[1]] == [300, 307]
    assert m.params == (m.incarnations[0][0], m.incarnations[1][0])


def test_return_to_listen_keeps_the_tcbs_own_iss():
    """SYN_RCVD[passive] --rcv RST--> LISTEN keeps the ISS its OPEN chose, not the
    configuration's: the receive path does not depend on the incarnation."""
    m = build(_twice())
    tcb = TCB("SYN_RCVD", B_ISS_2, 77, B_ISS_2, B_ISS_2 + 1, 78, True, 0)
    out, sent, _, events = m.receive(1, tcb, Segment(False, False, False, True, 78, 0))
    assert (events, sent) == ("rcv RST", ())
    assert out == TCB("LISTEN", B_ISS_2, 0, B_ISS_2, B_ISS_2, 0, True, 1)


def test_an_endpoint_that_never_opens_ignores_opens():
    cfg = with_endpoint(with_endpoint(preset("reliable"), "A", open="none", opens=3), "B", opens=1)
    x, states = _explore(cfg)
    assert [s.B.state for s in states] == ["CLOSED", "LISTEN", "CLOSED"]


# --- the loss budget -----------------------------------------------------------------------

def _lossy_seed(**changes):
    return dataclasses.replace(preset("seed"), loss=True, **changes)


@pytest.mark.parametrize("budget, states, transitions, distinct", [
    (0, 14, 15, 14), (1, 96, 129, 89), (2, 232, 379, 175), (3, 323, 603, 192), (8, 363, 727, 192)])
def test_loss_budget_bounds_the_losses(budget, states, transitions, distinct):
    """``distinct``: states without the loss counter.  Budget 0 is the network
    without loss (14 states); from 3 on, every state of the unbounded network
    (192) is reachable; no run loses more than 5."""
    x, S = _explore(_lossy_seed(loss_budget=budget))
    assert (len(x.states), x.transitions, len({s._replace(lost=0) for s in S})) == (states, transitions, distinct)
    assert max(s.lost for s in S) == min(budget, 5)
    for before, step, after in _edges(x, S):
        assert after.lost == before.lost + (step.kind == "lose")
        assert before.lost < budget or step.kind != "lose"


def test_loss_budget_and_the_unbounded_network_reach_the_same_states():
    unbounded, S = _explore(_lossy_seed())
    _, T = _explore(_lossy_seed(loss_budget=8))
    assert {s._replace(lost=0) for s in T} == set(S)
    assert len(S) == 192 and all(s.lost == 0 for s in S)
    _, none = _explore(dataclasses.replace(preset("seed")))
    _, zero = _explore(_lossy_seed(loss_budget=0))
    assert zero == none


def test_a_drop_at_a_full_channel_is_not_a_loss():
    x, S = _explore(_lossy_seed(capacity=1, loss_budget=1))
    assert len(S) == 141
    drops = [(b, st, a) for b, st, a in _edges(x, S) if st.dropped]
    assert len(drops) == 18
    assert all(a.lost == b.lost for b, st, a in drops)
    # and a drop happens even when the budget is spent
    assert any(b.lost == 1 for b, _, _ in drops)


def test_loss_budget_without_loss_changes_nothing():
    cfg = dataclasses.replace(preset("reliable"), loss_budget=2)
    m = build(cfg)
    assert m.loss_budget is None and len(m.initial_states()[0]) == 6
    assert len(explore(m).states) == 307


def test_state_with_a_loss_counter_decodes_and_encodes():
    m = build(_lossy_seed(loss_budget=1))
    (s0,) = m.initial_states()
    assert len(s0) == 7 and m.decode(s0).lost == 0
    assert m.encode(m.decode(s0)) == s0
    assert State(CLOSED_TCB, CLOSED_TCB, APP_DONE, APP_DONE, (), ()).lost == 0


# --- the timer switches --------------------------------------------------------------------

@pytest.mark.parametrize("changes, states, transitions, expiries, peer_may_resend, in_flight", [
    ({}, 192, 417, 6, 2, 0),
    ({"time_wait_outlasts_rto": True}, 192, 415, 4, 0, 0),
    ({"time_wait_waits_for_network": False}, 208, 477, 25, 8, 19),
    ({"time_wait_outlasts_rto": True, "time_wait_waits_for_network": False}, 202, 453, 17, 0, 13),
])
def test_when_2msl_expires(changes, states, transitions, expiries, peer_may_resend, in_flight):
    """Over the lossy seed network: how many 2MSL expiries there are, how many
    of them while the server in LAST_ACK may still retransmit its FIN, and how
    many while segments are in flight."""
    x, S = _explore(_lossy_seed(**changes))
    assert (len(S), x.transitions) == (states, transitions)
    msl = [(b, a) for b, st, a in _edges(x, S) if st.event == "timeout 2MSL"]
    early = [b for b, _ in msl if b.B.state == "LAST_ACK" and b.B.snd_una != b.B.snd_nxt and b.B.budget]
    assert (len(msl), len(early), sum(1 for b, _ in msl if b.net_AB or b.net_BA)) == (
        expiries, peer_may_resend, in_flight)
    assert all(b.A.state == "TIME_WAIT" and a.A == CLOSED_TCB for b, a in msl)


# --- configuration files --------------------------------------------------------------------

def test_every_new_key_in_a_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('preset = "default"\niss_step = 5\n[network]\nloss_budget = 2\n'
                    '[timers]\ntime_wait_outlasts_rto = true\ntime_wait_waits_for_network = false\n'
                    '[A]\nopens = 3\n[B]\nopens = 2\niss_step = 1000\n')
    cfg = load_config(path)
    assert (cfg.loss_budget, cfg.time_wait_outlasts_rto, cfg.time_wait_waits_for_network) == (2, True, False)
    assert (cfg.A.opens, cfg.A.iss_step, cfg.B.opens, cfg.B.iss_step) == (3, 5, 2, 1000)
    assert cfg.describe() == [
        "network: capacity 2 per direction, loss, reordering (at most 2 segment(s) lost in a run); RCV.WND=4",
        "A: active open, ISS=4294967294, 1 data segment(s), 1 retransmission(s), closes anywhere the RFC "
        "allows, opens 3 times (then ISS=3, 8)",
        "B: passive open, ISS=300, 1 data segment(s), 1 retransmission(s), closes anywhere the RFC allows, "
        "opens 2 times (then ISS=1300)",
        "timers: 2MSL may expire while segments are still in flight; 2MSL outlasts the peer's retransmissions",
    ]


CONFIG_ERRORS = [
    ('[A]\nopens = 0\n', "2: opens must be an integer from 1 to 4, not 0"),
    ('[B]\n\nopens = "twice"\n', "3: opens must be an integer from 1 to 4, not 'twice'"),
    ('[A]\niss_step = -1\n', "2: iss_step must be an integer from 0 to 4294967295, not -1"),
    ('preset = "seed"\niss_step = 4294967296\n', "2: iss_step must be an integer from 0 to 4294967295, "
     "not 4294967296"),
    ('[network]\nloss_budget = 9\n', "2: loss_budget must be an integer from 0 to 8 (leave it out for no "
     "limit), not 9"),
    ('[network]\nloss = true\nloss_budget = true\n', "3: loss_budget must be an integer from 0 to 8 (leave "
     "it out for no limit), not True"),
    ('[timers]\ntime_wait_outlasts_rto = 1\n', "2: time_wait_outlasts_rto must be true or false, not 1"),
    ('\n[timers]\ntime_wait_waits_for_network = "no"\n',
     "3: time_wait_waits_for_network must be true or false, not 'no'"),
    ('[timers]\nmsl = 120\n', "2: unknown key 'msl' in [timers]; expected time_wait_outlasts_rto or "
     "time_wait_waits_for_network"),
    ('timers = 3\n', "1: timers must be a table: [timers]"),
]


@pytest.mark.parametrize("text, message", CONFIG_ERRORS, ids=[m.split(":")[1][:40] for _, m in CONFIG_ERRORS])
def test_bad_new_keys_name_the_line(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}:{message}"


def test_per_endpoint_iss_step_wins_over_the_top_level_one():
    cfg = parse_config('iss_step = 10\n[B]\niss_step = 20\n', "x.toml")
    assert (cfg.A.iss_step, cfg.B.iss_step) == (10, 20)
    assert parse_config('[A]\nopens = 2\n', "x.toml").B == preset("default").B


def test_config_module_examples():
    assert doctest.testmod(config_module).failed == 0


def test_help_lists_every_new_key(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    for key in ("iss_step", "loss_budget", "[timers] time_wait_outlasts_rto, time_wait_waits_for_network",
                "opens", "--mutant"):
        assert key in out
