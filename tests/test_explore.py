"""tcpcheck explore over HTTP: the JSON API the page uses, with exact contents,
and the command itself (its address, Ctrl-C, a port in use, bad options).

The server runs in a thread on a free port (``--port 0``'s way); the command
runs as a process.  Every flag the page raises is also shown to stay down on
the reference model, and every bad request to be refused with its reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from tcpcheck.model.checker import run as check_run
from tcpcheck.model.cli import config_from
from tcpcheck.model.config import preset
from tcpcheck.model.errors import InputError
from tcpcheck.model.explore.server import make_server
from tcpcheck.model.explore.session import Session
from tcpcheck.model.explore.texts import ui_texts
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.report import result_json
from tcpcheck.model.tcb import STATES

from schemacheck import errors

TCPCHECK = [sys.executable, "-m", "tcpcheck.model.cli"]

#: the seed's run: segments 1-7 (the open, the client's close, the server's), then 2MSL
SEED_RUN = [0] * 11
SEED_STATES = [("CLOSED", "LISTEN"), ("SYN_SENT", "LISTEN"), ("SYN_SENT", "SYN_RCVD"), ("ESTABLISHED", "SYN_RCVD"),
               ("FIN_WAIT_1", "SYN_RCVD"), ("FIN_WAIT_1", "ESTABLISHED"), ("FIN_WAIT_1", "CLOSE_WAIT"),
               ("FIN_WAIT_1", "LAST_ACK"), ("FIN_WAIT_2", "LAST_ACK"), ("TIME_WAIT", "LAST_ACK"),
               ("TIME_WAIT", "CLOSED"), ("CLOSED", "CLOSED")]


def mutant_session(name: str) -> Session:
    cfg, table = config_from(mutant=name)
    return Session(cfg, table)


class Served:
    """A session's server in a thread; ``get(path)`` -> (status, JSON or text)."""

    def __init__(self, session: Session, lang: str = "en"):
        self.server = make_server(session, 0, lang)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as r:
                body, status, media = r.read(), r.status, r.headers["Content-Type"]
        except urllib.error.HTTPError as e:
            body, status, media = e.read(), e.code, e.headers["Content-Type"]
        return status, (json.loads(body) if media.startswith("application/json") else body.decode("utf-8"))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def seed():
    s = Served(Session(preset("seed")))
    yield s
    s.close()


# --- the state and the steps enabled ---------------------------------------------

def test_the_initial_state_and_its_one_step(seed):
    status, v = seed.get("/api/run")
    assert status == 200
    assert (v["schema_version"], v["kind"], v["run"], v["config"]) == (1, "explore-run", [], "seed")
    assert v["state"] == {
        "A": {"state": "CLOSED", "ISS": 0, "IRS": 0, "SND.UNA": 0, "SND.NXT": 0, "RCV.NXT": 0, "passive": False,
              "retransmissions_left": 0},
        "B": {"state": "LISTEN", "ISS": 300, "IRS": 0, "SND.UNA": 300, "SND.NXT": 300, "RCV.NXT": 0,
              "passive": True, "retransmissions_left": 1},
        "apps": {"A": {"open": "active", "data": 0, "close": True, "abort": False, "incarnation": 0,
                       "text": ["will OPEN actively", "will CLOSE"]},
                 "B": {"open": None, "data": 0, "close": True, "abort": False, "incarnation": 0,
                       "text": ["will CLOSE"]}},
        "in_flight": {"A->B": [], "B->A": []}, "lost": 0}
    assert v["enabled"] == [{
        "index": 0, "actor": "A", "kind": "call", "event": "active OPEN", "what": "A: active OPEN",
        "text": "A: active OPEN", "segment": None,
        "rules": [{"rule": "CLOSED --active OPEN / create TCB; snd SYN--> SYN_SENT", "where": "rfc9293.rules:20"}],
        "sent": [{"text": "<SEQ=4294967294><CTL=SYN>", "SEQ": 4294967294, "ACK": None, "CTL": ["SYN"], "LEN": 0}],
        "dropped": [], "next": {"A": "SYN_SENT", "B": "LISTEN"}}]
    assert (v["terminal"], v["acceptable_end"], v["flagged"], len(v["trace"])) == (False, True, [], 1)
    assert "chart" not in v


def test_after_the_syn_the_syn_ack_is_in_flight_in_chinese(seed):
    _, v = seed.get("/api/run?run=0,0&lang=zh")
    assert (v["state"]["A"]["state"], v["state"]["B"]["state"]) == ("SYN_SENT", "SYN_RCVD")
    assert v["state"]["in_flight"] == {"A->B": [], "B->A": [
        {"text": "<SEQ=300><ACK=4294967295><CTL=SYN,ACK>", "SEQ": 300, "ACK": 4294967295,
         "CTL": ["SYN", "ACK"], "LEN": 0}]}
    assert v["state"]["apps"]["A"]["text"] == ["将关闭"]
    assert [(e["what"], e["text"]) for e in v["enabled"]] == [
        ("A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>: rcv SYN,ACK",
         "A 接收 <SEQ=300><ACK=4294967295><CTL=SYN,ACK>：收到 SYN,ACK")]
    assert [st.get("text") for st in v["trace"]] == [None, "A：主动打开", "B 接收 <SEQ=4294967294><CTL=SYN>：收到 SYN"]


def test_the_seed_run_ends_closed_with_seven_segments(seed):
    _, v = seed.get("/api/run?chart=1&run=" + ",".join(map(str, SEED_RUN)))
    assert [(st["A"]["state"], st["B"]["state"]) for st in v["trace"]] == SEED_STATES
    assert [q["text"] for st in v["trace"][1:] for q in st["sent"]] == [
        "<SEQ=4294967294><CTL=SYN>", "<SEQ=300><ACK=4294967295><CTL=SYN,ACK>",
        "<SEQ=4294967295><ACK=301><CTL=ACK>", "<SEQ=4294967295><ACK=301><CTL=FIN,ACK>",
        "<SEQ=301><ACK=0><CTL=ACK>", "<SEQ=301><ACK=0><CTL=FIN,ACK>", "<SEQ=0><ACK=302><CTL=ACK>"]
    assert (v["enabled"], v["terminal"], v["acceptable_end"], v["flagged"]) == ([], True, True, [])
    if shutil.which("dot"):
        assert len(re.findall(r'<g id="seg\d+"', v["chart"])) == 7
        assert "seed: the run so far, to step 11" in v["chart"]


def test_two_steps_enabled_name_their_rules_at_file_and_line(seed):
    _, v = seed.get("/api/run?run=0,0,0")
    assert [(e["index"], e["what"], [r["where"] for r in e["rules"]], e["next"]) for e in v["enabled"]] == [
        (0, "A: CLOSE", ["rfc9293.rules:26"], {"A": "FIN_WAIT_1", "B": "SYN_RCVD"}),
        (1, "B receives <SEQ=4294967295><ACK=301><CTL=ACK>: rcv ACK of SYN", ["rfc9293.rules:75"],
         {"A": "ESTABLISHED", "B": "ESTABLISHED"})]


@pytest.mark.parametrize("query, error", [
    ("/api/run?run=0,9", "run: step 2 is 9, but from there only 1 step(s) are enabled (0 to 0)"),
    ("/api/run?run=" + ",".join(["0"] * 12), "run: step 12 is 0, but nothing can happen there"),
    ("/api/run?run=0,x", "run: expected step numbers separated by commas, like 3,0,2 (at most 500), not '0,x'"),
    ("/api/run?run=-1", "run: expected step numbers separated by commas, like 3,0,2 (at most 500), not '-1'"),
    ("/api/run?lang=fr", "lang: expected one of en, zh, not 'fr'"),
    ("/api/texts?lang=de", "lang: expected one of en, zh, not 'de'"),
    ("/api/reach?limit=0", "limit: expected a number of states from 1 to 200,000, not '0'"),
    ("/api/reach?limit=many", "limit: expected a number of states from 1 to 200,000, not 'many'"),
])
def test_a_bad_request_is_refused_with_its_reason(seed, query, error):
    assert seed.get(query) == (400, {"error": error})


def test_unknown_paths_are_404_and_the_page_is_served(seed):
    assert seed.get("/api/nothing") == (404, {"error": "no such page: /api/nothing"})
    assert seed.get("/static/../session.py")[0] == 404
    assert seed.get("/static/secret.py") == (404, {"error": "no such file: /static/secret.py"})
    status, html = seed.get("/")
    assert status == 200 and '<script src="/static/explore.js"></script>' in html
    status, js = seed.get("/static/explore.js")
    assert status == 200 and "no model logic lives here" in js
    with urllib.request.urlopen(f"http://127.0.0.1:{seed.port}/static/explore.css") as r:
        assert r.headers["Content-Type"] == "text/css; charset=utf-8"


def test_the_session_and_the_words_of_the_page(seed):
    _, s = seed.get("/api/session?lang=zh")
    assert (s["kind"], s["lang"], s["config"], s["rules"], s["start"], s["states"]) == (
        "explore-session", "zh", "seed", "rfc9293.rules", [], list(STATES))
    assert [p["id"] for p in s["properties"]][:5] == ["INV1", "INV2", "INV3", "INV4", "STEP1"]
    assert s["properties"][-3]["name_text"] == "无死锁"
    _, en = seed.get("/api/texts")
    _, zh = seed.get("/api/texts?lang=zh")
    assert (en["kind"], en["lang"], en["texts"]) == ("explore-texts", "en", ui_texts("en"))
    assert zh["texts"] == ui_texts("zh")
    assert (en["texts"]["back"], zh["texts"]["back"]) == ("Back", "后退")
    assert [k for k, v in zh["texts"].items() if not re.search(r"[\u4e00-\u9fff]", v)] == []


# --- what can happen from here ------------------------------------------------------

def test_what_can_happen_after_the_syn(seed):
    _, r = seed.get("/api/reach?run=0")
    assert {k: r[k] for k in ("kind", "run", "states", "transitions", "depth", "complete", "terminal",
                              "deadlocks")} == {
        "kind": "explore-reach", "run": [0], "states": 13, "transitions": 14, "depth": 10, "complete": True,
        "terminal": 1, "deadlocks": 0}
    assert [(x["state"], x["steps"]) for x in r["reach"]["A"]] == [
        ("CLOSED", 10), ("LISTEN", None), ("SYN_SENT", 0), ("SYN_RCVD", None), ("ESTABLISHED", 2),
        ("FIN_WAIT_1", 3), ("FIN_WAIT_2", 6), ("CLOSING", None), ("TIME_WAIT", 8), ("CLOSE_WAIT", None),
        ("LAST_ACK", None)]
    assert [x["state"] for x in r["reach"]["B"] if x["reachable"]] == [
        "CLOSED", "LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK"]
    for who, index in (("A", 0), ("B", 1)):  # each run it offers gets there, in that many steps
        for x in r["reach"][who]:
            if x["reachable"]:
                _, v = seed.get("/api/run?run=" + ",".join(map(str, x["run"])))
                assert v["trace"][-1][who]["state"] == x["state"] and len(x["run"]) == 1 + x["steps"]


def test_a_bounded_search_from_here_says_it_is_incomplete(seed):
    _, r = seed.get("/api/reach?limit=3")
    assert (r["states"], r["complete"], r["limit"]) == (3, False, 3)


# --- properties flagged as they happen ---------------------------------------------

def test_an_invariant_is_flagged_at_the_step_it_fails_on_a_mutant():
    s = mutant_session("syn-counted-twice")
    assert s.view([0])["flagged"] == []
    assert s.view([0, 0], "zh")["flagged"] == [{
        "id": "INV1", "name": "no acknowledgment of unsent data", "name_text": "不确认未发送的数据",
        "kind": "invariant", "step": 2, "detail": "B.RCV.NXT=0 acknowledges beyond A.SND.NXT=4294967295",
        "detail_text": "B.RCV.NXT=0 确认了超出 A.SND.NXT=4294967295 的序列号"}]


def test_a_step_property_is_flagged_on_its_counterexample():
    s = mutant_session("no-time-wait")
    s.open_counterexample("STEP1")
    v = s.view(s.start)
    assert s.start_title == "counterexample to 'the passive closer is never reset'"
    assert [(f["id"], f["kind"], f["step"]) for f in v["flagged"]] == [("STEP1", "step", len(s.start))]
    assert v["flagged"][0]["detail"].startswith("B in LAST_ACK is reset by <SEQ=")
    assert s.view(s.start[:-1])["flagged"] == []  # not before the step that breaks it


def test_a_deadlock_is_flagged_where_the_run_is_stuck():
    s = mutant_session("last-ack-silent")
    s.open_counterexample("deadlock freedom")
    v = s.view(s.start)
    assert (v["terminal"], v["acceptable_end"]) == (True, False)
    assert [(f["id"], f["step"], f["detail"]) for f in v["flagged"]] == [
        ("DEAD1", len(s.start), f"stuck with A in {v['state']['A']['state']}, B in LAST_ACK, "
                                f"{len(v['state']['in_flight']['A->B']) + len(v['state']['in_flight']['B->A'])}"
                                f" segment(s) in flight")]


@pytest.mark.skipif(shutil.which("dot") is None, reason="the chart needs Graphviz's dot")
def test_the_chart_of_a_stuck_run_marks_its_end_as_a_wait_for_ever():
    """As diagram trace draws a deadlock's counterexample; a run that can go on is not marked."""
    s = mutant_session("last-ack-silent")
    s.open_counterexample("deadlock freedom")
    waits = re.findall(r">(waits in [A-Z_0-9]+ for ever)<", s.view(s.start, chart=True)["chart"])
    assert waits == ["waits in FIN_WAIT_2 for ever", "waits in LAST_ACK for ever"]
    assert "for ever" not in s.view(s.start[:-1], chart=True)["chart"]
    end = Session(preset("seed"))
    assert "for ever" not in end.view(SEED_RUN, chart=True)["chart"]  # an acceptable end, not a deadlock


def test_the_reference_model_flags_nothing_on_the_lost_final_ack():
    from tcpcheck.model.scenarios import scenario_path
    cfg, table, path = scenario_path("lost-final-ack")
    s = Session(cfg, table)
    run = s.indices_of(path)
    assert run == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
    v = s.view(run)
    assert (v["flagged"], v["acceptable_end"], v["state"]["lost"]) == ([], True, 0)


# --- counterexamples of check as runs ---------------------------------------------------

def test_check_gives_every_verdict_with_its_run(seed):
    _, d = seed.get("/api/check")
    assert (d["kind"], d["states"], d["complete"]) == ("explore-check", 14, True)
    got = {p["id"]: (p["verdict"], p["run"]) for p in d["properties"]}
    assert got["INV1"] == ("holds", None) and got["DEAD1"] == ("holds", None)
    assert got["REACH-CLOSING"] == ("violated", None)
    assert got["REACH-TIME_WAIT"] == ("holds", [0] * 9)
    assert got["REACH-FIN_WAIT_2"] == ("holds", [0, 0, 0, 0, 0, 0, 1])


def test_a_counterexample_by_name_id_or_chinese_name_opens_the_same_run():
    runs = set()
    for name in ("deadlock freedom", "DEAD1", "dead1", "无死锁"):
        s = mutant_session("last-ack-silent")
        s.open_counterexample(name)
        runs.add(tuple(s.start))
    assert len(runs) == 1 and len(next(iter(runs))) > 5


def test_an_unknown_property_or_one_without_a_run_is_refused():
    s = Session(preset("seed"))
    with pytest.raises(InputError, match=r"^--counterexample: unknown property 'deadlock fredom'; "
                                         r"did you mean 'deadlock freedom'\?$"):
        s.open_counterexample("deadlock fredom")
    with pytest.raises(InputError, match=r"^--counterexample: 'deadlock freedom' holds in configuration "
                                         r"'seed' and has no counterexample or witness to open$"):
        s.open_counterexample("deadlock freedom")


def test_a_check_json_file_opens_as_the_same_run(tmp_path):
    s = mutant_session("last-ack-silent")
    s.open_counterexample("deadlock freedom")
    f = tmp_path / "check.json"
    f.write_text(json.dumps(result_json(check_run(s.config, s.table))), encoding="utf-8")
    t = mutant_session("last-ack-silent")
    t.open_file(str(f), "deadlock freedom")
    assert t.start == s.start and t.start_title == "check.json: counterexample to 'deadlock freedom'"


def test_a_tampered_trace_file_is_refused_at_its_step(tmp_path):
    s = Session(preset("seed"))
    path, _ = s.walk(SEED_RUN)
    from tcpcheck.model.report import trace_json
    trace = trace_json(path, s.table)
    trace[4]["A"]["state"] = "CLOSING"  # A's CLOSE leads to FIN_WAIT_1, not CLOSING
    f = tmp_path / "t.json"
    f.write_text(json.dumps(trace), encoding="utf-8")
    with pytest.raises(InputError) as e:
        s.open_file(str(f))
    assert str(e.value) == (f"{f}: step 4: 'A: CLOSE' is not a step the model can take here; from here the "
                            "model can: A: CLOSE; B receives <SEQ=4294967295><ACK=301><CTL=ACK>: rcv ACK of SYN "
                            "(give the --preset, --config, --rules or --mutant the file was checked with)")
    trace[4]["A"]["state"] = "FIN_WAIT_1"
    f.write_text(json.dumps(trace), encoding="utf-8")
    s.open_file(str(f))
    assert s.start == SEED_RUN
    f.write_text("[\n{oops", encoding="utf-8")
    with pytest.raises(InputError, match=r"t\.json:2: not JSON: "):
        s.open_file(str(f))
    f.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(InputError, match=r"t\.json:1: expected the output of 'tcpcheck check --json' or a list"):
        s.open_file(str(f))


# --- the command ---------------------------------------------------------------------

def _start(*args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([*TCPCHECK, "explore", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    lines = [p.stdout.readline() for _ in range(2)]
    return p, lines


def test_the_command_prints_its_address_serves_and_stops_on_ctrl_c():
    p, lines = _start("--preset", "seed", "--port", "0")
    try:
        assert lines[0] == "tcpcheck explore: configuration 'seed', rules rfc9293.rules\n"
        m = re.fullmatch(r"  serving http://127\.0\.0\.1:(\d+)/  \(Ctrl-C to stop\)\n", lines[1])
        assert m, lines
        with urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/api/session") as r:
            assert json.loads(r.read())["note"].startswith("the seed note's exchange")
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert (p.returncode, err) == (0, "tcpcheck explore: stopped\n")


def test_the_command_prints_the_address_of_a_counterexample():
    p, lines = _start("--mutant", "syn-counted-twice", "--counterexample", "INV1", "--port", "0", "--lang", "en")
    try:
        assert lines[1] == "  opening at the counterexample to 'no acknowledgment of unsent data' (2 steps)\n"
        assert re.fullmatch(r"  serving http://127\.0\.0\.1:\d+/#run=0,0&lang=en  \(Ctrl-C to stop\)\n",
                            p.stdout.readline())
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
    assert p.returncode == 0


def test_the_command_speaks_chinese_at_start_and_stop():
    p, lines = _start("--preset", "seed", "--counterexample", "TIME_WAIT 可达", "--port", "0", "--lang", "zh")
    try:
        assert lines == ["tcpcheck explore: 配置“seed”，规则 rfc9293.rules\n", "  打开于“TIME_WAIT 可达”的见证（9 步）\n"]
        assert re.fullmatch(r"  服务地址 http://127\.0\.0\.1:\d+/#run=0(,0){8}&lang=zh（按 Ctrl-C 停止）\n",
                            p.stdout.readline())
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert (p.returncode, out, err) == (0, "", "tcpcheck explore: 已停止\n")


def test_the_opening_of_a_file_in_both_languages(tmp_path):
    s = Session(preset("seed"))
    s.start_what = ("t.json", None, None)
    assert (s.opening(), s.opening("zh")) == ("t.json", "t.json")
    s.start_what = ("check.json", "witness", "CLOSED is reachable")
    assert s.opening() == "check.json: witness of 'CLOSED is reachable'"
    assert s.opening("zh") == "check.json：“CLOSED 可达”的见证"
    s.start_what = ("", "counterexample", "deadlock freedom")
    assert (s.opening(), s.opening("zh")) == ("the counterexample to 'deadlock freedom'", "“无死锁”的反例")


def test_a_port_in_use_is_exit_2_with_a_clear_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([*TCPCHECK, "explore", "--preset", "seed", "--port", str(port)],
                           capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (f"tcpcheck: error: --port {port}: the port is in use on 127.0.0.1; choose another "
                        f"with --port N, or --port 0 for a free one\n")


@pytest.mark.parametrize("args, error", [
    (["--counterexample", "deadlock fredom"],
     "tcpcheck: error: --counterexample: unknown property 'deadlock fredom'; did you mean 'deadlock freedom'?\n"),
    (["--property", "DEAD1"],
     "tcpcheck: error: --property: give it with --file CHECK.json, to say whose run to open\n"),
    (["--file", "/nonexistent/check.json"],
     "tcpcheck: error: /nonexistent/check.json: cannot read the trace: No such file or directory\n"),
    (["--port", "70000"], None),
])
def test_bad_options_are_exit_2(args, error):
    r = subprocess.run([*TCPCHECK, "explore", "--preset", "seed", *args], capture_output=True, text=True,
                       timeout=60)
    assert (r.returncode, r.stdout) == (2, "")
    if error is None:
        assert r.stderr.endswith("argument --port: expected a port number from 0 to 65535, not '70000'\n")
    else:
        assert r.stderr == error


def test_help_teaches_examples_and_exit_codes():
    r = subprocess.run([*TCPCHECK, "explore", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "  tcpcheck explore --preset seed\n" in r.stdout
    assert "exit codes:\n  0    stopped with Ctrl-C\n  2    bad input" in r.stdout


# --- a file replayed on the model it records -------------------------------------------

def _explore_file(*args):
    p, lines = _start(*args, "--port", "0")
    try:
        lines.append(p.stdout.readline())
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", lines[2])
        with urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/api/session") as r:
            session = json.loads(r.read())
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
    assert p.returncode == 0
    return lines, session


@pytest.mark.parametrize("command", [["check", "--json"], ["export", "--counterexamples"]])
def test_a_file_opens_on_the_configuration_and_mutant_it_records(tmp_path, command):
    """check --json and export --counterexamples record the configuration and the mutant:
    explore --file replays the run on them without being told (as diagram trace --file does)."""
    f = tmp_path / "r.json"
    r = subprocess.run([*TCPCHECK, *command, "--mutant", "last-ack-silent"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == (1 if command[0] == "check" else 0), r.stderr
    f.write_text(r.stdout, encoding="utf-8")
    lines, session = _explore_file("--file", str(f))
    name = "the last-ack-silent demonstration (from preset seed), mutant last-ack-silent"
    assert lines[:2] == [f"tcpcheck explore: configuration '{name}', rules rfc9293.rules, mutant last-ack-silent\n",
                         "  opening at r.json: counterexample to 'deadlock freedom' (9 steps)\n"]
    assert lines[2].startswith("  serving http://127.0.0.1:") and "/#run=0,0,0,0,0,0,0,0,1&lang=en  " in lines[2]
    assert (session["config"], session["rules"], session["start"]) == (
        name, "rfc9293.rules, mutant last-ack-silent", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert session["note"].startswith("mutant last-ack-silent: " + MUTANTS["last-ack-silent"].description + " (claims ")
    # a configuration given on the command line wins: the reference model cannot take the run
    r = subprocess.run([*TCPCHECK, "explore", "--file", str(f), "--preset", "seed", "--port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and re.fullmatch(
        rf"tcpcheck: error: {re.escape(str(f))}: step \d+: '.*' is not a step the model can take here; .*"
        r"\(give the --preset, --config, --rules or --mutant the file was checked with\)\n", r.stderr), r.stderr


@pytest.mark.parametrize("text, error", [
    ('{"config": "seed", "properties": []}',
     "'config' must be the configuration object 'tcpcheck check --json' writes; or say which to check the "
     "trace in with --preset or --config"),
    ('{"config": {"name": "x", "capacity": 99}, "properties": []}',
     "'config' is not a configuration tcpcheck can check: capacity must be an integer from 1 to 8, not 99"),
    ("[" * 100_000, None),
])
def test_a_file_whose_recorded_configuration_is_bad_is_exit_2(tmp_path, text, error):
    f = tmp_path / "r.json"
    f.write_text(text, encoding="utf-8")
    r = subprocess.run([*TCPCHECK, "explore", "--file", str(f), "--port", "0"], capture_output=True, text=True,
                       timeout=60)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"tcpcheck: error: {f}:" + (f" {error}\n" if error else "1: nested too deeply to be a trace\n")


# --- the JSON API's answers against their published schemas ---------------------------

#: what the page asks, on a mutant whose run the page flags, and the schema each follows
API_CALLS = [("/api/session?lang=zh", "explore-session"), ("/api/texts?lang=zh", "explore-texts"),
             ("/api/run?run=0,0,0&lang=zh&chart=1", "explore-run"), ("/api/run?run=", "explore-run"),
             ("/api/reach?run=0&limit=50", "explore-reach"), ("/api/check?lang=zh", "explore-check")]


@pytest.fixture(scope="module")
def answers():
    served = Served(mutant_session("syn-counted-twice"))
    try:
        yield {path: served.get(path) for path, _ in API_CALLS}
    finally:
        served.close()


@pytest.mark.parametrize("path, kind", API_CALLS)
def test_each_answer_follows_its_schema_and_says_nothing_it_does_not_describe(answers, path, kind):
    status, doc = answers[path]
    assert status == 200 and list(doc)[:3] == ["schema_version", "tool", "kind"] and doc["kind"] == kind
    assert errors(kind, doc) == []
    assert errors(kind, doc, strict=False) == []


def test_the_answers_validated_are_the_interesting_ones(answers):
    """The run has a flag and a chart, the search both reachable and unreachable rows,
    the check a violated property with its run: every part of each schema is used."""
    run = answers["/api/run?run=0,0,0&lang=zh&chart=1"][1]
    assert [f["id"] for f in run["flagged"]] == ["INV1"] and run["chart"].startswith("<?xml")
    reach = answers["/api/reach?run=0&limit=50"][1]["reach"]["A"]
    assert {r["reachable"] for r in reach} == {True, False}
    check = answers["/api/check?lang=zh"][1]["properties"]
    assert check[0]["verdict"] == "violated" and check[0]["run"] == [0, 0]


@pytest.mark.parametrize("path, change, expected", [
    ("/api/session?lang=zh", lambda d: d.update({"lang": "fr"}), [(["lang"], "enum")]),
    ("/api/session?lang=zh", lambda d: d["states"].pop(), [(["states"], "minItems")]),
    ("/api/texts?lang=zh", lambda d: d["texts"].pop("title"), [(["texts"], "required")]),
    ("/api/run?run=0,0,0&lang=zh&chart=1", lambda d: d.update({"run": [0, -1, 0]}), [(["run", 1], "minimum")]),
    ("/api/run?run=0,0,0&lang=zh&chart=1", lambda d: d["state"]["in_flight"]["A->B"][0].update({"CTL": ["PSH"]}),
     [(["state", "in_flight", "A->B", 0, "CTL", 0], "enum")]),
    ("/api/run?run=0,0,0&lang=zh&chart=1", lambda d: d["enabled"][0]["rules"][0].update({"where": "the table"}),
     [(["enabled", 0, "rules", 0, "where"], "pattern")]),
    ("/api/run?run=0,0,0&lang=zh&chart=1", lambda d: d["flagged"][0].update({"kind": "liveness"}),
     [(["flagged", 0, "kind"], "enum")]),
    ("/api/run?run=0,0,0&lang=zh&chart=1", lambda d: d["state"]["apps"]["A"].update({"text": []}),
     [(["state", "apps", "A", "text"], "minItems")]),
    ("/api/reach?run=0&limit=50", lambda d: d["reach"]["A"][0].update({"reachable": False}),
     [(["reach", "A", 0, "run"], "type"), (["reach", "A", 0, "steps"], "type")]),
    ("/api/check?lang=zh", lambda d: d["properties"][0].update({"verdict": "broken"}),
     [(["properties", 0, "verdict"], "enum")]),
    ("/api/check?lang=zh", lambda d: d["properties"][0].update({"id": "inv1"}), [(["properties", 0, "id"], "pattern")]),
])
def test_a_broken_answer_fails_where_it_is_broken(answers, path, change, expected):
    kind = dict(API_CALLS)[path]
    doc = json.loads(json.dumps(answers[path][1]))
    change(doc)
    assert errors(kind, doc) == expected
    assert errors(kind, doc, strict=False) == expected


def test_an_answer_with_a_field_the_schema_does_not_describe_fails_the_strict_check(answers):
    doc = json.loads(json.dumps(answers["/api/run?run=0,0,0&lang=zh&chart=1"][1]))
    doc["enabled"][0]["surprise"] = 1
    assert errors("explore-run", doc) == [(["enabled", 0], "unevaluatedProperties")]
    assert errors("explore-run", doc, strict=False) == []
