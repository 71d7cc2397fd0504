"""The endpoint state diagram drawn from the rule table (diagrams/fsm.py).

The DOT text is read back into (from, to, label) triples, so the tests say
what a reader of the picture sees: which arrows, between which states, with
which words, in which style.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tcpcheck.diagrams.fsm import ACTIVE_CLOSE, PASSIVE_CLOSE, fsm_dot
from tcpcheck.diagrams.render import font_for, render
from tcpcheck.model.table import REFERENCE, load_table, parse_table
from tcpcheck.model.tcb import STATES

REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")

_NODE = re.compile(r'^\s*"([^"]+)" \[label="([^"]*)"', re.M)
_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$', re.M)
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,\]]+)')
_KEY_ROW = re.compile(r'<TD ALIGN="LEFT">(\([a-z]\)) ([^<]*)</TD>')


class Diagram:
    """A DOT text from fsm_dot, read back: states, arrows, key."""

    def __init__(self, dot: str):
        self.dot = dot
        self.labels = dict(_NODE.findall(dot))  # box -> the state name written in it
        self.key = dict(_KEY_ROW.findall(dot))  # "(a)" -> the event list it stands for
        self.arrows = []  # (from state, to state, label lines, attributes), as drawn
        for tail, head, attr_text in _EDGE.findall(dot):
            attrs = {k: v.strip('"') for k, v in _ATTR.findall(attr_text)}
            if attrs.get("style") == "invis":
                continue
            if attrs.get("dir") == "back":  # laid out the other way round
                tail, head = head, tail
            text = attrs.get("label", attrs.get("xlabel", ""))
            lines = tuple(x.strip(" \u3000") for x in text.split("\\n") if x.strip(" \u3000"))
            self.arrows.append((self.labels[tail], self.labels[head], lines, attrs))

    def edges(self) -> set[tuple[str, str, str]]:
        """Every arrow as (from, to, label) with the label's lines joined by newlines."""
        return {(a, b, "\n".join(lines)) for a, b, lines, _ in self.arrows}

    def lines(self, src: str, dst: str) -> list[str]:
        """All label lines on arrows from ``src`` to ``dst``, key marks spelled out."""
        out = []
        for a, b, lines, _ in self.arrows:
            if (a, b) == (src, dst):
                for line in lines:
                    mark = line.split(" / ")[0]
                    out.append(line.replace(mark, self.key[mark], 1) if mark in self.key else line)
        return out

    def attrs(self, src: str, dst: str, label: str) -> dict[str, str]:
        (found,) = [attrs for a, b, lines, attrs in self.arrows
                    if (a, b, "\n".join(lines)) == (src, dst, label)]
        return found


def mutant(*edits: tuple[str, str]):
    """The reference table with each (old, new) replacement made exactly once."""
    text = REFERENCE_TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return parse_table(text, "mutant")


@pytest.fixture(scope="module")
def table():
    return load_table()


@pytest.fixture(scope="module")
def default(table):
    return Diagram(fsm_dot(table))


@pytest.fixture(scope="module")
def full(table):
    return Diagram(fsm_dot(table, full=True))


#: RFC 9293 Figure 5 with notes 1 and 2, in the reference table's words.
FIGURE5 = {
    ("CLOSED", "LISTEN", "passive OPEN / create TCB"),
    ("CLOSED", "SYN_SENT", "active OPEN / create TCB, snd SYN"),
    ("LISTEN", "CLOSED", "CLOSE / delete TCB"),
    ("LISTEN", "SYN_RCVD", "rcv SYN / snd SYN,ACK"),
    ("LISTEN", "SYN_SENT", "SEND / snd SYN"),
    ("SYN_SENT", "CLOSED", "CLOSE / delete TCB"),
    ("SYN_SENT", "SYN_RCVD", "rcv SYN / snd SYN,ACK"),
    ("SYN_SENT", "ESTABLISHED", "rcv SYN,ACK / snd ACK"),
    ("SYN_RCVD", "ESTABLISHED", "rcv ACK of SYN"),
    ("SYN_RCVD", "FIN_WAIT_1", "CLOSE / snd FIN"),
    # note 1, and the table's SYN in SYN-RECEIVED after a passive OPEN (3.10.7.4 fourth)
    ("SYN_RCVD", "LISTEN", "rcv RST, SYN [passive] / return to LISTEN"),
    ("ESTABLISHED", "FIN_WAIT_1", "CLOSE / snd FIN"),
    ("ESTABLISHED", "CLOSE_WAIT", "rcv FIN / snd ACK"),
    ("FIN_WAIT_1", "FIN_WAIT_2", "rcv ACK of FIN"),
    ("FIN_WAIT_1", "CLOSING", "rcv FIN / snd ACK"),
    ("FIN_WAIT_1", "TIME_WAIT", "rcv FIN, ACK of FIN / snd ACK"),  # note 2, composed
    ("FIN_WAIT_2", "TIME_WAIT", "rcv FIN / snd ACK"),
    ("CLOSING", "TIME_WAIT", "rcv ACK of FIN"),
    ("TIME_WAIT", "CLOSED", "timeout 2MSL / delete TCB"),
    ("CLOSE_WAIT", "LAST_ACK", "CLOSE / snd FIN"),
    ("LAST_ACK", "CLOSED", "rcv ACK of FIN / delete TCB"),
}


# --- what the default diagram shows --------------------------------------------

def test_default_diagram_is_figure_5_with_its_notes(default):
    assert default.edges() == FIGURE5


def test_states_are_the_eleven_boxes_named_as_in_the_table(default):
    assert set(default.labels.values()) == set(STATES)
    # CLOSED is drawn twice, top and bottom, as in the RFC; both boxes look the same
    closed = [box for box, name in default.labels.items() if name == "CLOSED"]
    assert len(closed) == 2
    styles = {re.search(rf'"{box}" \[[^\]]*fillcolor=(\w+)', default.dot).group(1) for box in closed}
    assert len(styles) == 1


def test_normal_paths_are_thick_solid_and_thick_dashed(default):
    client = [("CLOSED", "SYN_SENT", "active OPEN / create TCB, snd SYN"),
              ("SYN_SENT", "ESTABLISHED", "rcv SYN,ACK / snd ACK"),
              ("ESTABLISHED", "FIN_WAIT_1", "CLOSE / snd FIN"),
              ("FIN_WAIT_1", "FIN_WAIT_2", "rcv ACK of FIN"),
              ("FIN_WAIT_2", "TIME_WAIT", "rcv FIN / snd ACK"),
              ("TIME_WAIT", "CLOSED", "timeout 2MSL / delete TCB")]
    server = [("CLOSED", "LISTEN", "passive OPEN / create TCB"),
              ("LISTEN", "SYN_RCVD", "rcv SYN / snd SYN,ACK"),
              ("SYN_RCVD", "ESTABLISHED", "rcv ACK of SYN"),
              ("ESTABLISHED", "CLOSE_WAIT", "rcv FIN / snd ACK"),
              ("CLOSE_WAIT", "LAST_ACK", "CLOSE / snd FIN"),
              ("LAST_ACK", "CLOSED", "rcv ACK of FIN / delete TCB")]
    for edge in client:
        assert (default.attrs(*edge)["style"], default.attrs(*edge)["penwidth"]) == ("solid", "3"), edge
    for edge in server:
        assert (default.attrs(*edge)["style"], default.attrs(*edge)["penwidth"]) == ("dashed", "3"), edge
    for edge in FIGURE5 - set(client) - set(server):
        assert default.attrs(*edge)["penwidth"] == "1", edge
    # the legend names all three kinds
    for words in ("client's normal path", "server's normal path", "other transitions"):
        assert words.replace("'", "&#39;") in default.dot or words in default.dot


def test_close_groups_are_labelled_clusters(default):
    for name, states, words in (("active", ACTIVE_CLOSE, "active close"),
                                ("passive", PASSIVE_CLOSE, "passive close")):
        body = re.search(rf"subgraph cluster_{name} \{{(.*?)\n  \}}", default.dot, re.S).group(1)
        assert f'label="{words}"' in body
        assert set(_NODE.findall(body)) == {(s, s) for s in states}


# --- the full diagram ------------------------------------------------------------

def test_full_diagram_shows_strictly_more(default, full):
    pairs = {(a, b) for a, b, _ in default.edges()}
    assert pairs < {(a, b) for a, b, _ in full.edges()}
    assert len([line for *_, lines, _ in full.arrows for line in lines]) > \
        len([line for *_, lines, _ in default.arrows for line in lines])
    # everything the default shows is still said, line for line or among more events
    for a, b, label in default.edges():
        for line in label.split("\n"):
            events, _, actions = line.partition(" / ")
            first = events.split(", ")[0]
            assert any(x.startswith(first) and x.partition(" / ")[2] == actions
                       for x in full.lines(a, b)), (a, b, line)


def test_full_diagram_has_abort_resets_and_timeouts(full):
    assert "ABORT / snd RST, delete TCB" in full.lines("ESTABLISHED", "CLOSED")
    assert "CLOSE, ABORT / delete TCB" in full.lines("LISTEN", "CLOSED")
    assert "rcv RST, user timeout / delete TCB" in full.lines("CLOSE_WAIT", "CLOSED")
    assert "retransmission timeout / retransmit" in full.lines("SYN_SENT", "SYN_SENT")


def test_full_diagram_re_acks_a_retransmitted_fin_in_time_wait(full):
    loop = full.lines("TIME_WAIT", "TIME_WAIT")
    acks = [line for line in loop if line.endswith(" / snd ACK")]
    assert len(acks) == 1 and "retransmitted FIN" in acks[0], loop
    # the key under the legend spells out what (c) and the like stand for
    assert full.key and all(re.fullmatch(r"\([a-z]\)", mark) for mark in full.key)


def test_full_diagram_leaves_out_self_loops_that_do_nothing(table, full):
    silent = {(r.state, r.event) for r in table.rules if r.to == r.state and not r.actions}
    assert ("LISTEN", "rcv other segment") in silent
    drawn = " ".join(line for *_, lines, _ in full.arrows for line in lines)
    assert "other segment" not in drawn
    assert full.lines("CLOSED", "CLOSED") == ["rcv segment with ACK / snd RST",
                                              "rcv segment without ACK / snd RST,ACK"]


# --- the diagram follows the table -----------------------------------------------

def test_editing_the_table_changes_the_diagram():
    changed = mutant(("FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING ",
                      "FIN_WAIT_1   | rcv FIN                 | snd ACK                    | TIME_WAIT "))
    d = Diagram(fsm_dot(changed))
    assert ("FIN_WAIT_1", "TIME_WAIT", "rcv FIN / snd ACK") in d.edges()
    assert not [e for e in d.edges() if e[:2] == ("FIN_WAIT_1", "CLOSING")]
    assert not [e for e in d.edges() if e[1] == "CLOSING"]  # nothing leads there any more
    assert d.edges() == (FIGURE5 - {("FIN_WAIT_1", "CLOSING", "rcv FIN / snd ACK"),
                                    ("FIN_WAIT_1", "TIME_WAIT", "rcv FIN, ACK of FIN / snd ACK")}
                         | {("FIN_WAIT_1", "TIME_WAIT", "rcv FIN / snd ACK")})


def test_qualifiers_follow_the_table():
    # after a passive OPEN, a reset now closes the connection as after an active one
    changed = mutant(("SYN_RCVD[passive] | rcv RST            | return to LISTEN           | LISTEN ",
                      "SYN_RCVD[passive] | rcv RST            | delete TCB                 | CLOSED "))
    d = Diagram(fsm_dot(changed))
    assert ("SYN_RCVD", "LISTEN", "rcv SYN [passive] / return to LISTEN") in d.edges()
    f = Diagram(fsm_dot(changed, full=True))
    # the same rule for both ways of opening is drawn without a qualifier
    assert "rcv RST, user timeout / delete TCB" in f.lines("SYN_RCVD", "CLOSED")


def test_the_source_column_plays_no_part():
    rows = []
    for line in REFERENCE_TEXT.splitlines():
        body = line.split("#", 1)[0]
        cols = body.split("|")
        rows.append("|".join(cols[:4]) if len(cols) == 5 else line)
    bare = parse_table("\n".join(rows), "rfc9293.rules")
    assert all(not r.source for r in bare.rules)
    for full in (False, True):
        assert fsm_dot(bare, full=full) == fsm_dot(load_table(), full=full)


def test_normal_paths_are_drawn_whatever_the_table_does_with_them():
    # a table in which the server's FIN in ESTABLISHED is answered but ignored:
    # the server's path then stops at ESTABLISHED, and the arrow it had is gone
    changed = mutant(("ESTABLISHED  | rcv FIN                 | snd ACK                    | CLOSE_WAIT ",
                      "ESTABLISHED  | rcv FIN                 | snd ACK                    | same "))
    d = Diagram(fsm_dot(changed))
    assert not [e for e in d.edges() if e[:2] == ("ESTABLISHED", "CLOSE_WAIT")]
    f = Diagram(fsm_dot(changed, full=True))
    # the pair stays on the server's path: a thick dashed self-loop now
    loop = [lines for a, b, lines, attrs in f.arrows
            if (a, b) == ("ESTABLISHED", "ESTABLISHED") and attrs.get("style") == "dashed"]
    assert loop == [("rcv FIN / snd ACK",)]


# --- stable text -----------------------------------------------------------------

def test_same_table_same_bytes(table):
    for kw in ({}, {"full": True}, {"lang": "zh"}, {"full": True, "lang": "zh"}):
        first = fsm_dot(table, **kw)
        assert fsm_dot(table, **kw) == first
        assert fsm_dot(load_table(), **kw) == first


def test_same_bytes_whatever_the_hash_seed():
    code = ("import sys; from tcpcheck.model.table import load_table; "
            "from tcpcheck.diagrams.fsm import fsm_dot; t = load_table(); "
            "sys.stdout.write(fsm_dot(t) + fsm_dot(t, full=True) + fsm_dot(t, full=True, lang='zh'))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3")}
    assert len(outs) == 1


# --- Chinese ---------------------------------------------------------------------

def test_chinese_labels_font_and_unchanged_state_names(table, default):
    zh = Diagram(fsm_dot(table, lang="zh"))
    font = font_for("zh")
    for part in ("graph", "node", "edge"):
        assert re.search(rf'^  {part} \[fontname="{font}"', zh.dot, re.M), part
    assert zh.labels == default.labels  # state names are never translated
    assert ("CLOSED", "LISTEN", "被动打开 / 创建 TCB") in zh.edges()
    assert ("FIN_WAIT_2", "TIME_WAIT", "收到 FIN / 发送 ACK") in zh.edges()
    assert {(a, b) for a, b, _ in zh.edges()} == {(a, b) for a, b, _ in default.edges()}
    assert "主动关闭" in zh.dot and "被动关闭" in zh.dot and "客户端的正常路径" in zh.dot
    for english in ("passive OPEN", "rcv ", "snd ", "active close", "normal path"):
        assert english not in zh.dot


def test_unknown_language_is_refused(table):
    with pytest.raises(ValueError, match="unknown language"):
        fsm_dot(table, lang="fr")


# --- rendering -------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("kw", [{}, {"full": True}, {"lang": "zh"}], ids=["default", "full", "zh"])
def test_renders_to_svg(table, kw):
    svg = render(fsm_dot(table, **kw), "svg").decode("utf-8")
    assert "<svg" in svg
    for state in STATES:
        assert f">{state}</text>" in svg
    if kw.get("lang") == "zh":
        assert "收到 FIN / 发送 ACK" in svg
    else:
        assert "rcv FIN, ACK of FIN / snd ACK" in svg


def _words(dot: str) -> set[str]:
    """The Latin words of every text of a diagram: its name, labels, legend and key."""
    texts = re.findall(r'(?:digraph |label=|xlabel=)"((?:[^"\\]|\\.)*)"', dot)
    texts += re.findall(r">([^<>]+)</TD>", dot)
    return {w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", t.replace("\\n", " "))}


#: What the RFC writes, and stays in a Chinese diagram: TCP, state names, flags, TCB, 2MSL, the key's marks.
_RFC_WORDS = set(STATES) | {"TCP", "SYN", "ACK", "FIN", "RST", "TCB", "MSL", "a", "b", "c"}


@pytest.mark.parametrize("full", [False, True], ids=["default", "full"])
def test_a_chinese_diagram_has_no_english_word(table, full):
    dot = fsm_dot(table, full=full, lang="zh")
    assert sorted(_words(dot.replace(table.name, "")) - _RFC_WORDS) == []  # the table's file name aside
    assert 'digraph "TCP 状态图（rfc9293.rules）"' in dot
    # the same check on the English diagram finds its English
    assert {"state", "diagram", "rcv", "snd", "client", "normal", "path"} <= _words(fsm_dot(table, full=full)) - _RFC_WORDS


def test_chinese_event_lists_write_the_verb_once_with_a_chinese_comma(table):
    zh = Diagram(fsm_dot(table, lang="zh"))
    assert ("SYN_RCVD", "LISTEN", "收到 RST、SYN [被动打开] / 回到 LISTEN") in zh.edges()
    assert ("FIN_WAIT_1", "TIME_WAIT", "收到 FIN、对 FIN 的 ACK / 发送 ACK") in zh.edges()
    assert ("CLOSED", "SYN_SENT", "主动打开 / 创建 TCB、发送 SYN") in zh.edges()
    assert ("CLOSED", "SYN_SENT", "active OPEN / create TCB, snd SYN") in Diagram(fsm_dot(table)).edges()


# --- the difference of two tables (diagram fsm --diff) -------------------------------------

def _diff_edges(dot: str) -> list[tuple[str, str, str, str]]:
    """(tail, head, colour, label) of every drawn arrow of a difference diagram."""
    out = []
    for m in re.finditer(r'^  "([^"]+)" -> "([^"]+)" \[(x?label)="([^"]*)".*?color="([^"]+)"', dot, re.M):
        out.append((m.group(1), m.group(2), m.group(5), " | ".join(x.strip() for x in m.group(4).split("\\n"))))
    return out


def test_the_diff_of_rfc9293_and_linux_is_pinned():
    from tcpcheck.diagrams.fsm import fsm_diff_dot
    from tcpcheck.model.profiles import profile_table

    dot = fsm_diff_dot(profile_table("rfc9293"), profile_table("linux"))
    red, blue = "#c0392b", "#1f5fbf"
    changed = [e for e in _diff_edges(dot) if e[2] != "gray60"]
    rst_ack = "snd RST,ACK"  # linux.rules' ABORT, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, drawn short
    assert changed == [
        ("CLOSED", "SYN_RCVD", red, "ABORT / snd RST, delete TCB | user timeout / delete TCB"),
        ("CLOSED", "SYN_RCVD", blue, f"ABORT / {rst_ack}, delete TCB | user timeout [active] / delete TCB"),
        ("LISTEN", "SYN_RCVD", blue, "user timeout [passive] / return to LISTEN"),
        ("SYN_RCVD", "SYN_RCVD", blue, "rcv retransmitted SYN [active] / snd ACK | "
                                       "rcv retransmitted SYN [passive] / snd SYN,ACK"),
        ("SYN_RCVD", "ESTABLISHED", blue, "rcv crossing SYN,ACK / snd ACK"),
        ("SYN_RCVD", "TIME_WAIT", blue, "rcv SYN above RCV.NXT [passive] / create TCB, ISS = SND.NXT+65537, "
                                        "snd SYN,ACK"),
        ("ESTABLISHED", "CLOSED_end_centre", red, "ABORT / snd RST, delete TCB"),
        ("ESTABLISHED", "CLOSED_end_centre", blue, f"ABORT / {rst_ack}, delete TCB"),
        ("FIN_WAIT_1", "CLOSED_end_left", red, "ABORT / snd RST, delete TCB"),
        ("FIN_WAIT_1", "CLOSED_end_left", blue, f"ABORT / {rst_ack}, delete TCB"),
        ("FIN_WAIT_2", "CLOSED_end_left", red, "ABORT / snd RST, delete TCB"),
        ("FIN_WAIT_2", "CLOSED_end_left", blue, f"ABORT / {rst_ack}, delete TCB | FIN_WAIT_2 timeout / delete TCB"),
        ("TIME_WAIT", "TIME_WAIT", blue, "rcv SYN above RCV.NXT [active] / snd ACK"),
        ("CLOSE_WAIT", "CLOSED_end_right", red, "ABORT / snd RST, delete TCB"),
        ("CLOSE_WAIT", "CLOSED_end_right", blue, f"ABORT / {rst_ack}, delete TCB"),
    ]
    # the arrows that go up are given to dot the other way round (dir=back): SYN_RCVD -> CLOSED ...
    assert len([e for e in _diff_edges(dot) if e[2] == "gray60"]) == 20
    assert 'only in rfc9293.rules' in dot and 'only in linux.rules' in dot and 'in both (Figure 5)' in dot
    assert dot.startswith('digraph "TCP state diagram: rfc9293.rules and linux.rules" {')
    assert fsm_diff_dot(profile_table("rfc9293"), profile_table("linux")) == dot  # deterministic


def test_the_diff_of_a_table_with_itself_has_only_context():
    from tcpcheck.diagrams.fsm import fsm_diff_dot

    table = load_table(REFERENCE)
    assert {e[2] for e in _diff_edges(fsm_diff_dot(table, table))} == {"gray60"}


def test_diagram_fsm_diff_renders(tmp_path):
    from tcpcheck.model.cli import main

    out = tmp_path / "diff.png"
    assert main(["diagram", "fsm", "--diff", "rfc9293", "linux", "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
