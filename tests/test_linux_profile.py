"""The linux profile (model/linux.rules, issue 12): its rows, the vocabulary they
need, what they change in the check and the proofs, and --profile everywhere.

Each row where linux.rules parts from rfc9293.rules has a one-step scenario on
which the two tables differ; each new event or action, misused in a table, is
refused at its line; the counts, verdicts and proofs under linux are pinned
(read from runs of the model as it stands).
"""

from __future__ import annotations

import json

import pytest

from tcpcheck.model.actions import ACTIONS, Params
from tcpcheck.model.checker import run
from tcpcheck.model.cli import main
from tcpcheck.model.config import ConfigError, parse_config, preset
from tcpcheck.model.events import ARRIVALS, CONTROL, TEXT, arrival_events, classify
from tcpcheck.model.profiles import PROFILES, ProfileError, profile_path, profile_table
from tcpcheck.model.system import Model, process
from tcpcheck.model.table import LINUX, REFERENCE, TableError, load_table, parse_table
from tcpcheck.model.tcb import STATES, TCB, Segment

RFC = load_table(REFERENCE)
LIN = profile_table("linux")
PARAMS = Params(iss=300, retransmissions=1)
WND = 4


def seg(flags: str, seq: int, ack: int = 0, n: int = 0) -> Segment:
    f = set(flags.split(","))
    return Segment("SYN" in f, "ACK" in f, "FIN" in f, "RST" in f, seq, ack, n)


def arrive(table, tcb, segment):
    p = process(table, ACTIONS, tcb, segment, WND, PARAMS)
    return p.tcb, p.sent, p.events


# --- the table itself ---------------------------------------------------------------------

def test_the_reference_is_untouched():
    assert RFC.arrivals is ARRIVALS and len(RFC.rules) == 146 and RFC.name == "rfc9293.rules"


def test_linux_rules_loads_with_its_refinements():
    assert LIN.name == "linux.rules" and len(LIN.rules) == 153 and LIN.missing == ()
    names = {(s, e.name) for s in STATES for st in (CONTROL, TEXT) for e in arrival_events(s, st, LIN.arrivals)}
    assert {("TIME_WAIT", "rcv SYN above RCV.NXT"), ("SYN_RCVD", "rcv retransmitted SYN"),
            ("SYN_RCVD", "rcv crossing SYN,ACK")} <= names
    assert ("ESTABLISHED", "rcv retransmitted SYN") not in names


def test_every_changed_row_is_commented():
    """Each row not in the reference has a LINUX: comment just above it (in its block)."""
    ref_rows = {(r.state, r.qualifier, r.event, r.actions, r.to) for r in RFC.rules}
    lines = LINUX.read_text().splitlines()
    changed = sorted({int(r.where.rsplit(":", 1)[1]) for r in LIN.rules
                      if (r.state, r.qualifier, r.event, r.actions, r.to) not in ref_rows})
    assert changed == [49, 60, 61, 71, 100, 101, 112, 125, 126]
    for n in changed:
        above = lines[:n - 1]
        block = next(i for i in range(len(above) - 1, -1, -1) if "LINUX:" in above[i] or not above[i].strip())
        assert "LINUX:" in above[block], n


def test_classification_is_proved_under_linux():
    """SEG1 of tcpcheck prove: the refinements keep the events a partition (z3)."""
    from tcpcheck.proofs.obligations import Context, classification
    assert classification(Context(LIN, timeout=60)).verdict == "proved"


def test_the_refined_events_partition_the_segments():
    """Every segment of a small grid is exactly one event in every state of linux.rules."""
    tcbs = [TCB(s, 300, 100, 301, 302, 101, p, 1) for s in STATES for p in (True, False)]
    segs = [Segment(a, b, c, d, q, k, n) for a in (0, 1) for b in (0, 1) for c in (0, 1) for d in (0, 1)
            for q in (99, 100, 101, 103, 200) for k in (300, 301, 302, 303) for n in (0, 1)]
    for t in tcbs:
        for s in segs:
            classify(CONTROL, t, s, WND, arrivals=LIN.arrivals)  # raises if not exactly one


# --- one step where the tables differ, one per changed row ---------------------------------

ESTAB = TCB("ESTABLISHED", 300, 100, 301, 301, 101, True, 1)


def local(table, i, tcb, event, msl=True):
    from tcpcheck.model.system import App
    m = Model(preset("default"), table)
    app = App("", 0, True, True)
    return [(st.event, t.state, st.sent) for st, t, _ in m.local_steps(i, tcb, app, True, msl) if st.event == event]


def test_abort_sends_rst_ack_under_linux():
    assert local(RFC, 1, ESTAB, "ABORT") == [("ABORT", "CLOSED", (seg("RST", 301),))]
    assert local(LIN, 1, ESTAB, "ABORT") == [("ABORT", "CLOSED", (seg("RST,ACK", 301, 101),))]


def test_a_passive_syn_rcvd_gives_up_to_listen():
    t = TCB("SYN_RCVD", 300, 100, 300, 301, 101, True, 0)
    assert local(RFC, 1, t, "user timeout") == [("user timeout", "CLOSED", ())]
    assert local(LIN, 1, t, "user timeout") == [("user timeout", "LISTEN", ())]
    active = t._replace(passive=False)
    assert local(LIN, 1, active, "user timeout") == [("user timeout", "CLOSED", ())]


def test_fin_wait_2_times_out_only_under_linux():
    t = TCB("FIN_WAIT_2", 300, 100, 302, 302, 101, True, 1)
    assert local(RFC, 1, t, "FIN_WAIT_2 timeout") == []
    assert local(LIN, 1, t, "FIN_WAIT_2 timeout") == [("FIN_WAIT_2 timeout", "CLOSED", ())]
    assert local(LIN, 1, t, "FIN_WAIT_2 timeout", msl=False) == []  # it expires as 2MSL does


def test_a_retransmitted_syn_gets_the_syn_ack_again():
    t = TCB("SYN_RCVD", 300, 100, 300, 301, 101, True, 1)
    again = seg("SYN", 100)
    assert arrive(RFC, t, again) == (t, (seg("ACK", 301, 101),), ("rcv unacceptable segment",))
    assert arrive(LIN, t, again) == (t, (seg("SYN,ACK", 300, 101),), ("rcv retransmitted SYN",))
    active = t._replace(passive=False)
    assert arrive(LIN, active, again) == (active, (seg("ACK", 301, 101),), ("rcv retransmitted SYN",))


def test_a_crossing_syn_ack_establishes_under_linux():
    t = TCB("SYN_RCVD", 300, 100, 300, 301, 101, False, 1)  # A simultaneous open
    cross = seg("SYN,ACK", 100, 301)
    assert arrive(RFC, t, cross) == (t, (seg("ACK", 301, 101),), ("rcv unacceptable segment",))
    assert arrive(LIN, t, cross) == (t._replace(state="ESTABLISHED", snd_una=301), (seg("ACK", 301, 101),),
                                     ("rcv crossing SYN,ACK",))
    passive = t._replace(passive=True)  # a request socket: out of window, as in the RFC
    assert arrive(LIN, passive, cross) == (passive, (seg("ACK", 301, 101),), ("rcv unacceptable segment",))


def test_a_higher_syn_reopens_from_time_wait():
    t = TCB("TIME_WAIT", 300, 100, 302, 302, 102, True, 1)
    new = seg("SYN", 60_000_100)
    assert arrive(RFC, t, new) == (t, (seg("ACK", 302, 102),), ("rcv unacceptable segment",))
    iss = 302 + 65537
    assert arrive(LIN, t, new) == (TCB("SYN_RCVD", iss, 60_000_100, iss, iss + 1, 60_000_101, True, 1),
                                   (seg("SYN,ACK", iss, 60_000_101),), ("rcv SYN above RCV.NXT",))
    active = t._replace(passive=False)  # no listener: acknowledged, as the reference does
    assert arrive(LIN, active, new) == (active, (seg("ACK", 302, 102),), ("rcv SYN above RCV.NXT",))
    old = seg("SYN", 50)  # an old duplicate: below RCV.NXT, the reference's answer
    assert arrive(LIN, t, old) == arrive(RFC, t, old)


def test_the_new_connection_goes_to_the_next_incarnation():
    """A server that closed first, in TIME_WAIT, takes the client's second SYN (opens = 2)."""
    cfg = parse_config('preset = "reliable"\n[A]\nopens = 2\n[B]\nopens = 2\n', "two.toml")
    ref, r = run(cfg), run(cfg, LIN)
    assert (len(ref.exploration.states), len(r.exploration.states)) == (2128, 4141)
    fired = {LIN.rules[i].where for i in r.fired}
    assert "linux.rules:125" in fired  # TIME_WAIT[passive] --rcv SYN above RCV.NXT--> SYN_RCVD
    # INV1 fails with two incarnations under both tables (an old ACK against the new SND.NXT)
    assert [v.name for v in ref.verdicts if v.verdict == "violated"] == ["no acknowledgment of unsent data"]
    assert [v.name for v in r.verdicts if v.verdict == "violated"] == [
        "no acknowledgment of unsent data", "the passive closer is never reset"]


# --- misuse of the new vocabulary is refused at its line --------------------------------

BASE = REFERENCE.read_text()
NEXT = len(BASE.splitlines()) + 1


@pytest.mark.parametrize("row, message", [
    ("ESTABLISHED | FIN_WAIT_2 timeout | delete TCB | CLOSED",
     "the timer 'FIN_WAIT_2 timeout' runs only in FIN_WAIT_2, not in ESTABLISHED"),
    ("ESTABLISHED | rcv SYN above RCV.NXT | snd ACK | same",
     "event 'rcv SYN above RCV.NXT' (a refinement of 'rcv unacceptable segment' or 'rcv SYN') "
     "exists only in TIME_WAIT, not in ESTABLISHED"),
    ("TIME_WAIT | rcv SYN | create TCB, ISS = SND.NXT+65537; snd SYN,ACK | SYN_RCVD",
     "'create TCB, ISS = SND.NXT+65537' can only answer 'rcv SYN above RCV.NXT', not 'rcv SYN'"),
    ("FIN_WAIT_2 | FIN_WAIT_2 timeout | - | CLOSED", "FIN_WAIT_2 --FIN_WAIT_2 timeout--> CLOSED must 'delete TCB'"),
    ("SYN_RCVD | rcv crossing SYN,ACK | snd ACK | LISTEN",
     "a rule that goes back to LISTEN from SYN_RCVD must 'return to LISTEN', and only such a rule may"),
    ("FIN_WAIT_2 | FIN_WAIT_2 timout | delete TCB | CLOSED",
     "unknown event 'FIN_WAIT_2 timout'; did you mean 'FIN_WAIT_2 timeout'?"),
])
def test_misused_vocabulary_is_refused_at_its_line(row, message):
    with pytest.raises(TableError) as e:
        parse_table(BASE + row + "\n", "broken.rules")
    assert e.value.errors == [f"broken.rules:{NEXT}: {message}"]


def test_a_linux_table_with_a_duplicate_refinement_row():
    text = LINUX.read_text() + "SYN_RCVD | rcv crossing SYN,ACK | snd ACK | same\n"
    with pytest.raises(TableError) as e:
        parse_table(text, "broken.rules")
    assert e.value.errors == [f"broken.rules:{len(text.splitlines())}: SYN_RCVD already has a rule for "
                              f"'rcv crossing SYN,ACK' at broken.rules:112"]


# --- what linux changes in the check -----------------------------------------------------

# preset: (states, transitions, depth, terminal states, rules fired, never fired), violated
PINNED = {
    "default": ((28835, 116748, 21, 1, 73, 80), ["the passive closer is never reset"]),
    "seed": ((17, 19, 11, 1, 16, 137), ["the passive closer is never reset", "CLOSING is reachable"]),
    "reliable": ((359, 648, 17, 1, 37, 116), ["the passive closer is never reset"]),
    "simultaneous-open": ((2054, 6666, 16, 1, 55, 98), ["the passive closer is never reset", "LISTEN is reachable"]),
}
# the same under rfc9293 (tests/test_counts.py pins them too): what linux changed
RFC_VIOLATED = {
    "default": ["the passive closer is never reset", "deadlock freedom", "every close completes"],
    "seed": ["CLOSING is reachable"],
    "reliable": [],
    "simultaneous-open": ["the passive closer is never reset", "LISTEN is reachable", "deadlock freedom",
                          "every close completes", "SYN_SENT leads to ESTABLISHED or CLOSED"],
}


@pytest.mark.parametrize("name", list(PINNED))
def test_counts_and_verdicts_under_linux(name):
    r = run(preset(name), LIN)
    x = r.exploration
    assert x.complete
    assert (len(x.states), x.transitions, x.max_depth, len(x.terminal), len(r.fired), len(r.dead)) == PINNED[name][0]
    assert [v.name for v in r.verdicts if v.verdict == "violated"] == PINNED[name][1]
    ref = run(preset(name))
    assert [v.name for v in ref.verdicts if v.verdict == "violated"] == RFC_VIOLATED[name]


def test_the_seed_exchange_under_linux_resets_the_passive_closer(capsys):
    """The FIN_WAIT_2 timer ends the client before the server's application closes: its
    FIN meets a CLOSED endpoint, whose reset ends LAST_ACK (tcp_fin_timeout's price)."""
    assert main(["check", "--profile", "linux", "--preset", "seed", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["rules"].startswith("linux.rules")
    p = next(p for p in doc["properties"] if p["verdict"] == "violated" and p["id"] == "STEP1")
    steps = [(s.get("actor"), s.get("event")) for s in p["counterexample"]][1:]
    assert steps == [("A", "active OPEN"), ("B", "rcv SYN"), ("A", "rcv SYN,ACK"), ("A", "CLOSE"),
                     ("B", "rcv ACK of SYN"), ("B", "rcv ACK; rcv FIN"), ("A", "rcv ACK of FIN"),
                     ("A", "FIN_WAIT_2 timeout"), ("B", "CLOSE"), ("A", "rcv segment with ACK"),
                     ("B", "rcv RST")]


# --- profiles as a name ---------------------------------------------------------------------

def test_the_registry():
    assert list(PROFILES) == ["rfc9293", "linux"]
    assert profile_path("rfc9293") == REFERENCE and profile_path("linux") == LINUX
    with pytest.raises(ProfileError, match=r"^unknown profile 'linus'; did you mean 'linux'\? known profiles: rfc9293, linux$"):
        profile_path("linus")


def test_a_configuration_file_may_name_a_profile():
    assert parse_config('profile = "linux"\n', "p.toml").rules == str(LINUX)
    with pytest.raises(ConfigError, match=r"^p.toml:2: unknown profile 'linus'; did you mean 'linux'\?"):
        parse_config('preset = "seed"\nprofile = "linus"\n', "p.toml")
    with pytest.raises(ConfigError, match=r"^p.toml:2: give rules or profile, not both"):
        parse_config('rules = "x.rules"\nprofile = "linux"\n', "p.toml")
    with pytest.raises(ConfigError, match=r"^p.toml:1: profile must be a name in quotes"):
        parse_config('profile = 3\n', "p.toml")


@pytest.mark.parametrize("argv", [
    ["check", "--profile", "linus"], ["check", "--profile", "linux", "--rules", "x.rules"],
    ["prove", "--profile", "linus"], ["conform", "x.pcap", "--profile", "linus"],
    ["diagram", "fsm", "--profile", "linus"], ["diagram", "fsm", "--profile", "linux", "--rules", "x"],
])
def test_bad_profile_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "did you mean 'linux'" in err or "not allowed with argument" in err


def test_conform_under_linux_takes_the_rst_ack_of_an_abort(capsys):
    """tests/captures/abort-linger0.pcap deviates under rfc9293 at segment 4 (RST,ACK)."""
    from pathlib import Path
    cap = str(Path(__file__).with_name("captures") / "abort-linger0.pcap")
    main(["conform", cap, "--json"])
    rfc = json.loads(capsys.readouterr().out)
    main(["conform", cap, "--profile", "linux", "--json"])
    lin = json.loads(capsys.readouterr().out)
    assert [c["verdict"] for c in rfc["connections"]] == ["deviates"]
    assert [c["verdict"] for c in lin["connections"]] == ["conforms"]
