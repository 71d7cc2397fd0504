"""Chinese on the last commands that printed English prose under ``--lang zh``:
``cite``, ``grade DIR --out`` (summary.html), ``explore``'s opening lines and
``conform``'s segment table; each pinned on exact Chinese lines, and read for
any English word left outside what stays as written (state names, the shipped
claims and RFC summaries, identifiers, commands).
"""

from __future__ import annotations

import contextlib
import io

import pytest

from tcpcheck.model import claims
from tcpcheck.model.cli import main

from test_i18n_commands import english_words


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


# --- cite -----------------------------------------------------------------------

def _shipped(cid: str) -> list[str]:
    """What cite prints as shipped: the claim's text and part, or the passage's
    title, summary and parts, the titles of passages a claim bears on, the rule rows,
    the events' references."""
    if cid in claims.claims():
        c = claims.claims()[cid]
        return [c.text, c.part, claims.SEED_NOTE.name, claims.CLAIMS_FILE.name, "tcpcheck/model/claims"] + [
            p.title for p in claims.passages().values() if cid in p.claims]
    p = claims.passages()[cid]
    from tcpcheck.model.events import ARRIVALS
    from tcpcheck.model.table import REFERENCE
    rows = [" ".join(r.split()) for r in REFERENCE.read_text(encoding="utf-8").splitlines()]
    return [s for s in (p.title, p.summary, *p.parts.values(), *rows, *(ev.ref for ev in ARRIVALS)) if s]


def _unshipped(lines: list[tuple], cid: str) -> list[str]:
    """The unwrapped lines of ``describe`` without what is shipped."""
    out = []
    for _, text in lines:
        for s in sorted(_shipped(cid), key=len, reverse=True):
            text = text.replace(s, " ")
        out.append(text)
    return out


def test_cite_a_claim_in_chinese():
    lines = claims.describe("C9", "zh")
    assert lines[0] == (0, "C9（学习笔记，The eleven states）")
    assert lines[2] == (2, "来源：用户的学习笔记 000_4fe751ad814872b1.txt，逐条论断见 CLAIMS.md"
                           "（两者都随 tcpcheck/model/claims 一起发布）")
    assert (2, "展示它的：") in lines and (2, "在 RFC 9293 中：") in lines
    assert (4, "变异 two-way-handshake：监听方仅凭 SYN 就进入 ESTABLISHED，不等待对其 SYN,ACK 的 ACK"
               "（“tcpcheck check --mutant two-way-handshake”）") in lines
    assert lines[1] == (2, claims.claims()["C9"].text)  # as shipped
    # an experiment's name and the id 'Figure 5' to type are identifiers
    assert english_words(_unshipped(lines, "C9")) == ["Figure", "syn-rcvd-held"]


def test_cite_a_section_in_chinese():
    lines = claims.describe("3.10.7.4", "zh")
    assert lines[0] == (0, "RFC 9293 第 3.10.7.4 节：Other States")
    assert (2, "（以上是 tcpcheck 自己的话所作的摘要；RFC 原文见该网址）") in lines
    assert (2, "引用它的：") in lines
    assert (4, "事件“收到 FIN”，在 ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, "
               "LAST_ACK 中（3.10.7.4 eighth）") in lines
    # the steps are ids, as the rule table cites them ('3.10.7.4 fifth')
    assert english_words([t for t in _unshipped(lines, "3.10.7.4") if not t.startswith("http")]) == sorted(
        claims.STEPS)


def test_cite_index_in_chinese_and_english_unchanged():
    code, out, err = run("cite", "--lang", "zh")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "学习笔记中的论断（“tcpcheck cite C9”）："
    assert "tcpcheck 引用的 RFC 9293 各部分（“tcpcheck cite 3.10.7.4”、" in out
    code, out, _ = run("cite", "C9", "--lang", "en")
    assert out.splitlines()[0] == "C9 (the seed note, The eleven states)"
    assert "  shown by:" in out.splitlines()


def test_cite_an_unknown_id_errs_in_english_under_lang_zh():
    code, out, err = run("cite", "C99", "--lang", "zh")
    assert code == 2 and out == ""
    assert err.startswith("tcpcheck: error: unknown id 'C99'; did you mean 'C9'?")


def test_the_english_check_finds_the_english_of_cite():
    assert {"shown", "by", "source", "study", "note"} <= set(english_words(_unshipped(claims.describe("C9"), "C9")))


@pytest.mark.parametrize("ids", [(), ("C9",), ("3.10.7.4",), ("C17", "Figure 5")])
def test_cite_in_chinese_fits_80_columns(ids):
    import wcwidth

    code, out, _ = run("cite", *ids, "--lang", "zh")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) > 10 and max(wcwidth.wcswidth(line) for line in lines) <= 79
    assert all("\t" not in line for line in lines)


def test_wrapping_chinese_by_characters_passes_80_columns():
    """The check above fails on what cite printed before: textwrap counts a CJK
    character as one column, so its Chinese lines were up to twice too wide."""
    import textwrap

    import wcwidth

    lines = [line for indent, text, *_ in claims.describe("C9", "zh")
             for line in textwrap.wrap(text, 79, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2))]
    assert max(wcwidth.wcswidth(line) for line in lines) > 80
    assert claims.render(claims.describe("C9", "zh"), 79, "zh").count("\n") > len(lines) - 1  # more, shorter lines
