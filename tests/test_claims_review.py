"""tcpcheck cite F12: the arrows of Figure 5, as every report cites them.

Found by copying "F12" from a report ("rfc9293.rules:26, RFC 9293 F12, 3.10.4",
as conform and grade print a row's source) into ``tcpcheck cite F12``: it
answered "unknown id 'F12'; did you mean 'C12'?" (a claim about TIME_WAIT),
and ``cite 'Figure 5'``, whose summary says the rows F1-F20 are its edges,
listed only the four rows citing its notes.
"""

from __future__ import annotations

import re

import pytest

from tcpcheck.model import claims as cl
from tcpcheck.model.cli import main
from tcpcheck.model.table import load_table


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per sentence


def test_the_arrows_are_the_rows_the_reference_table_numbers():
    a = cl.arrows()
    assert list(a) == [f"F{n}" for n in range(1, 21)]
    assert [r.describe() for r in a["F12"]] == ["ESTABLISHED --CLOSE / snd FIN--> FIN_WAIT_1"]
    assert [r.where for r in a["F16"]] == ["rfc9293.rules:88"]
    # each arrow is one row of the file, and every row citing an F is an arrow
    rows = {r.where for r in load_table().rules if re.search(r"\bF\d+\b", r.source)}
    assert rows == {r.where for rules in a.values() for r in rules} and len(rows) == 20


@pytest.mark.parametrize("word", ["F12", "f12", "Figure 5 F12", "fig 5, F12", "F 12"])
def test_lookup_reads_an_arrow(word):
    assert cl.lookup(word) == ("Figure 5", "F12")


def test_cite_an_arrow_names_its_row(capsys):
    assert main(["cite", "F12"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "RFC 9293 Figure 5: TCP Connection State Diagram"
    assert "  F12: one of its arrows, as the rule table's sources number them (F1-F20); the row that is it is " \
           "cited below" in out
    assert [x for x in out if x.startswith("    rule ")] == [
        "    rule rfc9293.rules:26: ESTABLISHED | CLOSE | snd FIN | FIN_WAIT_1 | F12, 3.10.4"]
    assert not any(x.startswith("  note ") for x in out)


def test_cite_figure_5_lists_its_arrows_and_the_rows_citing_its_notes(capsys):
    assert main(["cite", "Figure 5"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"rule rfc9293\.rules:(\d+):", out)
    assert rows == ["19", "20", "21", "23", "24", "25", "26", "27", "29", "35", "45", "51", "52", "53", "64",
                    "66", "75", "79", "80", "81", "86", "87", "88"]
    # a note still lists only the rows citing that note
    assert main(["cite", "note 3"]) == 0
    assert re.findall(r"rule rfc9293\.rules:(\d+):", capsys.readouterr().out) == ["29", "51", "66"]


def test_an_unknown_arrow_exits_2_with_did_you_mean(capsys):
    assert main(["cite", "F21"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tcpcheck: error: unknown id 'F21'; did you mean 'F2'? Known: claims C1-C17;")
    assert err.rstrip().endswith("; Figure 5's arrows F1-F20")


def test_the_index_lists_the_arrows(capsys):
    assert main(["cite"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("The arrows of Figure 5, as the rule table's sources number them (tcpcheck cite F12):")
    assert out[start + 1:start + 3] == ["  F1   CLOSED --passive OPEN / create TCB--> LISTEN",
                                        "  F2   CLOSED --active OPEN / create TCB; snd SYN--> SYN_SENT"]
    assert out[-1] == "  F20  TIME_WAIT --timeout 2MSL / delete TCB--> CLOSED"


def test_chinese(capsys):
    assert main(["cite", "F12", "--lang", "zh"]) == 0
    assert "  F12：图中的一条箭头，按规则表来源列的编号（F1-F20）；对应的那一行列在下面" in capsys.readouterr().out.splitlines()
