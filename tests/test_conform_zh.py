"""tcpcheck conform in Chinese (issue 11): the segment table is padded by display columns
(a CJK character takes two, as model/report.py's _pad counts them), so every column starts
at the same terminal column on every line; lists are joined with the catalogue's Chinese
separators ("；", "、"), not the English "; " and ", "."""

from __future__ import annotations

import re
from pathlib import Path

import wcwidth

from tcpcheck.model.cli import main

HALF_CLOSE = Path(__file__).with_name("captures") / "half-close.pcap"


def conform_zh(capsys):
    assert main(["conform", str(HALF_CLOSE), "--lang", "zh"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()


def columns(line: str) -> list[int]:
    """The display column where each cell of a table line starts (cells are words joined by
    single spaces, apart by two or more)."""
    return [wcwidth.width(line[:m.start()]) for m in re.finditer(r"\S+(?: \S+)*", line)]


def test_the_chinese_segment_table_is_aligned_by_display_columns(capsys):
    lines = conform_zh(capsys)
    head = lines.index(next(x for x in lines if x.startswith("  #  分组")))
    table = [lines[head]] + [x for x in lines[head + 1:head + 19] if not x.lstrip().startswith("选项")]
    assert len(table) == 10
    assert table[0] == ("  #  分组  时间      方向  标志     序号 相对（绝对）  确认号 相对（绝对）  长度  窗口   "
                        "发送为 [规则行]            接收为 [规则行]              A            B")
    assert table[4] == ("  4  4     0.000152  A->B  FIN,ACK  1 (790812649)      1 (522358015)        0     63     "
                        "关闭（推断） [26]          收到 ACK；收到 FIN [78, 86]  FIN_WAIT_1   CLOSE_WAIT")
    # every cell of every row starts at the display column its heading starts at
    assert columns(table[0]) == [2, 5, 11, 21, 27, 36, 55, 76, 82, 89, 116, 145, 158]
    for row in table[1:]:
        assert columns(row) == columns(table[0]), row


def test_chinese_lists_use_the_catalogues_separators(capsys):
    lines = conform_zh(capsys)
    assert "  推断出的（踪迹中没有看到）：A 在 #1 之前 主动打开；B 在 #1 之前 被动打开；A 在 #4 之前 关闭；" \
           "B 在 #6 之前 应用发送数据；B 在 #8 之前 关闭" in lines
    assert "  结束时：A TIME_WAIT、B CLOSED" in lines
    table = "\n".join(lines)
    assert "收到 ACK；收到 数据" not in table and "收到 ACK；收到数据 [78, 84]" in table
    assert "; " not in table.replace("A->B", "")  # no English separator left anywhere


def test_the_english_table_is_unchanged_in_shape(capsys):
    assert main(["conform", str(HALF_CLOSE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  4  4    0.000152  A->B  FIN,ACK  1 (790812649)   1 (522358015)   0    63     CLOSE (inferred) [26]        " \
           "rcv ACK; rcv FIN [78, 86]   FIN_WAIT_1   CLOSE_WAIT" in lines
    assert "  at the end: A TIME_WAIT, B CLOSED" in lines


ABORT = Path(__file__).with_name("captures") / "abort-linger0.pcap"


def test_the_rows_the_table_allows_at_a_deviation_are_said_with_chinese_punctuation(capsys):
    assert main(["conform", str(ABORT), "--lang", "zh"]) == 1
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("  表允许 A 在那里发送的：")
    assert lines[at + 1:at + 5] == [
        "    中止：<SEQ=3821303080><CTL=RST>（rfc9293.rules:29, RFC 9293 3.10.5, note 3）",
        "    关闭：<SEQ=3821303080><ACK=3323086557><CTL=FIN,ACK>（rfc9293.rules:26, RFC 9293 F12, 3.10.4）",
        "    应用发送数据：<SEQ=3821303080><ACK=3323086557><CTL=ACK><DATA=1>（rfc9293.rules:22, RFC 9293 3.10.2）",
        "    重传超时：<SEQ=3821303080><ACK=3323086557><CTL=ACK><DATA=1>（rfc9293.rules:33, RFC 9293 3.10.8, 3.8.1）"]
    assert main(["conform", str(ABORT)]) == 1
    english = capsys.readouterr().out.splitlines()
    assert "    ABORT: <SEQ=3821303080><CTL=RST>  (rfc9293.rules:29, RFC 9293 3.10.5, note 3)" in english


def test_a_row_that_would_send_nothing_says_so_in_chinese(tmp_path):
    """linux.rules without its FIN_WAIT_2 timer: fin-wait-2-timeout's reset deviates, and
    among the rows allowed there is linux's ABORT in TIME_WAIT (x.rules:50), which sends nothing."""
    from tcpcheck.model.conformance.cli import check_file
    from tcpcheck.model.conformance.report import text_report
    from tcpcheck.model.profiles import profile_path
    from tcpcheck.model.table import parse_table

    text = profile_path("linux").read_text(encoding="utf-8").splitlines(keepends=True)
    table = parse_table("".join(x for x in text if not x.startswith("FIN_WAIT_2   | FIN_WAIT_2 timeout")), "x.rules")
    capture = Path(__file__).with_name("captures") / "fin-wait-2-timeout.pcap"
    trace, results, table, where, why = check_file(capture, table)
    zh = text_report(trace, results, table, where, why, "zh")
    en = text_report(trace, results, table, where, why, "en")
    assert [x for x in en if x.startswith("    ABORT: nothing")] == ["    ABORT: nothing  (x.rules:50, RFC 9293 3.10.5)"]
    assert [x for x in zh if x.startswith("    中止：无")] == ["    中止：无（x.rules:50, RFC 9293 3.10.5）"]
