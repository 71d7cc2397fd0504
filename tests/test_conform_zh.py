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
