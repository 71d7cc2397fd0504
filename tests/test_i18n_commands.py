"""Chinese on the commands that print prose: check's summary (and its traces),
``presets`` and ``mutants``; each pinned on its exact words, and read for any
English word left outside what the RFC writes (state names, flags, TCB
fields), identifiers (preset, mutant, file names) and commands.

The English of the same functions is pinned where it was written
(tests/test_report.py, tests/test_cli.py); here it is only checked to be what
the functions said before they spoke Chinese.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys

import pytest
import wcwidth
import z3

from tcpcheck.model.checker import run
from tcpcheck.model.interface import tcb_json
from tcpcheck.model.config import PRESETS, preset
from tcpcheck.model.i18n import translator
from tcpcheck.model.mutants import MUTANTS, apply_mutant, mutant_config
from tcpcheck.model.report import (check_note, mutants_lines, presets_lines,
                                   summary_lines, trace_lines)
from tcpcheck.model.properties import path_of
from tcpcheck.model.table import load_table
from tcpcheck.model.tcb import CLOSED_TCB


def z3_version() -> str:
    return z3.get_version_string()


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


@functools.lru_cache(maxsize=None)
def checked(name: str, mutant: str | None = None, max_states: int | None = None):
    cfg, table = (preset(name), load_table()) if mutant is None else apply_mutant(
        mutant, mutant_config(mutant), load_table())
    return run(cfg, table) if max_states is None else run(cfg, table, max_states=max_states)


def chinese(name: str, mutant: str | None = None, verbosity: int = 0, max_states: int | None = None) -> list[str]:
    result = checked(name, mutant, max_states)
    return summary_lines(result, check_note(result.config, mutant, "zh"), verbosity, lang="zh")


def untimed(lines: list[str]) -> list[str]:
    """The lines with the times (which vary from run to run) as ``T``."""
    return [re.sub(r"\d[\d,]*\.\d\d|每秒 [\d,]+", "T", line) if line.startswith("  时间：") else line
            for line in lines]


# --- words ----------------------------------------------------------------------

#: What stays as the RFC or the system writes it in Chinese prose.
_RFC = re.compile(r"[A-Z][A-Z0-9_]*(?:\.[A-Z]+)*|C\d+(?:-C\d+)?|REACH-[A-Z_0-9]+")
#: and the names tcpcheck gives: presets, mutants, the table, a TCB's JSON fields (an invariant's
#: counterexample ends with both TCBs), Linux's FIN_WAIT_2 timeout
_NAMES = (set(PRESETS) | set(MUTANTS) | set(tcb_json(CLOSED_TCB)) | {"True", "False"}
          | {"tcpcheck", "rfc9293.rules", "Linux", "tcp_fin_timeout"})


def english_words(lines: list[str]) -> list[str]:
    """The Latin words of ``lines`` outside commands (a line that is one, or
    one quoted), segment notation and the names the RFC and tcpcheck give."""
    text = "\n".join(line for line in lines if not line.lstrip().startswith(("tcpcheck ", "画图：tcpcheck")))
    text = re.sub(r"“tcpcheck [^”]*”|(?<![\w-])--?[a-z][a-z-]*|<[^>\n]*>", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_.'-]*[A-Za-z0-9]|[A-Za-z]", text)
    return sorted({w for w in words if w not in _NAMES and not _RFC.fullmatch(w)})


def test_the_word_check_finds_the_english_of_the_english_summary():
    result = checked("default")
    assert {"Explored", "states", "holds", "violated", "Result", "network"} <= set(
        english_words(summary_lines(result, check_note(result.config))))


# --- check ----------------------------------------------------------------------

RELIABLE = """\
tcpcheck：TCP 连接管理（RFC 9293），配置“reliable”
  同 default，但网络既不丢失、不复制也不乱序，且容量足够大，从不丢弃报文段
  网络：每个方向容量 4，无故障，按序传递；RCV.WND=4
  A：主动打开，ISS=4294967294，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭
  B：被动打开，ISS=300，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭
  规则：rfc9293.rules（146 条规则）

探索了 307 个状态和 572 个迁移，深度 17；完整。
  时间：共 T 秒：搜索 T 秒（T 个状态），性质检查 T 秒。
  A 到达 11 个状态中的 9 个：CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2
      CLOSING TIME_WAIT CLOSE_WAIT LAST_ACK（正是它应到达的全部状态）
  B 到达 11 个状态中的 10 个：CLOSED LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1
      FIN_WAIT_2 CLOSING TIME_WAIT CLOSE_WAIT LAST_ACK（正是它应到达的全部状态）

性质：
  成立      不变式        不确认未发送的数据 [INV1]
  成立      不变式        RCV.NXT 在对端已发送的范围内 [INV2]
  成立      不变式        SND.UNA 在 [ISS, SND.NXT] 之内 [INV3]
  成立      不变式        只凭对端当前连接的 SYN 进入 ESTABLISHED [INV4]
  成立      单步性质      被动关闭方从不被复位 [STEP1]
  成立      可达性        CLOSED 可达 [REACH-CLOSED]（0 步）
  成立      可达性        LISTEN 可达 [REACH-LISTEN]（1 步）
  成立      可达性        SYN_SENT 可达 [REACH-SYN_SENT]（1 步）
  成立      可达性        SYN_RCVD 可达 [REACH-SYN_RCVD]（3 步）
  成立      可达性        ESTABLISHED 可达 [REACH-ESTABLISHED]（4 步）
  成立      可达性        FIN_WAIT_1 可达 [REACH-FIN_WAIT_1]（4 步）
  成立      可达性        FIN_WAIT_2 可达 [REACH-FIN_WAIT_2]（8 步）
  成立      可达性        CLOSING 可达 [REACH-CLOSING]（7 步）
  成立      可达性        TIME_WAIT 可达 [REACH-TIME_WAIT]（10 步）
  成立      可达性        CLOSE_WAIT 可达 [REACH-CLOSE_WAIT]（6 步）
  成立      可达性        LAST_ACK 可达 [REACH-LAST_ACK]（7 步）
  成立      死锁          无死锁 [DEAD1]
  成立      活性          每次关闭都会完成 [LIVE1]
  成立      活性          SYN_SENT 终将到达 ESTABLISHED 或 CLOSED [LIVE2]

规则覆盖：146 条规则中有 34 条触发；112 条在这个配置下从不触发（-v 会列出它
    们）。

活性在以下公平性假设下检查：网络只会有限次地复制报文段；网络只会有限次地丢失报文
    段；一直可以发生的步骤（应用已决定的调用、超时、报文段到达）终将发生。

结果：全部 19 个性质成立。

接下来可以运行：
  模型的错误变体，每个都附有它破坏的性质：
    tcpcheck mutants
  种子笔记的论断 C1-C17，每个论断一个实验：
    tcpcheck experiments
  所有选项，附有示例和退出码：
    tcpcheck check --help"""


def test_the_chinese_summary_of_reliable():
    assert "\n".join(untimed(chinese("reliable"))) == RELIABLE


def test_the_chinese_summary_of_default_begins_and_ends_so():
    lines = untimed(chinese("default"))
    assert lines[:9] == [
        "tcpcheck：TCP 连接管理（RFC 9293），配置“default”",
        "  客户端（ISS 接近 2**32，因此序列号会回绕）和服务器，每个方向一个数据段；网络会",
        "      丢失和乱序",
        "  网络：每个方向容量 2，丢失、乱序；RCV.WND=4",
        "  A：主动打开，ISS=4294967294，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭",
        "  B：被动打开，ISS=300，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭",
        "  规则：rfc9293.rules（146 条规则）",
        "",
        "探索了 28,817 个状态和 116,481 个迁移，深度 21；完整。",
    ]
    assert "  被违反    单步性质      被动关闭方从不被复位 [STEP1]：处于 LAST_ACK 的 A 被" in lines
    start = lines.index("结果：19 个性质中有 3 个被违反，全部是 RFC 9293 本身的已知后果，而不是模型或规则")
    assert lines[start:start + 6] == [
        "结果：19 个性质中有 3 个被违反，全部是 RFC 9293 本身的已知后果，而不是模型或规则",
        "    表的错误：",
        "  - 性质“被动关闭方从不被复位”：B 的用户超时触发了（RFC 9293 3.10.8），它在 A 的",
        "    FIN 到达之前删除了自己的 TCB；CLOSED 用一个复位回应这个 FIN（3.10.7.1），处",
        "    于 LAST_ACK 的 A 接受了它（3.10.7.4）（论断 C15）。",
        "    画图：tcpcheck diagram trace --counterexample \"the passive closer is never reset\" "
        "-o the-passive-closer-is-never-reset.svg",
    ]
    assert "  - 性质“无死锁”和性质“每次关闭都会完成”：A 的用户超时触发了（RFC 9293" in lines
    assert "“每次关闭都会完成”的反例：公平的运行永远到达不了目标状态：它停了下来，此时 A 处" in lines


def test_the_chinese_trace_lines_up_and_says_each_step_in_chinese():
    result = checked("default")
    v = next(v for v in result.verdicts if v.name == "deadlock freedom")
    lines = trace_lines(path_of(result.exploration, v), result.table, "zh")
    assert lines[0].startswith("   0. 初始状态 ") and lines[0].endswith(" A CLOSED | B CLOSED")
    assert lines[1].startswith("   1. A：主动打开 ")
    assert "          A --> B  <SEQ=4294967295><ACK=302><CTL=ACK><DATA=1>   （丢弃：信道已满）" in lines
    assert any(line.startswith("   6. A 接收 <SEQ=301><ACK=4294967295><CTL=FIN,ACK>：收到 ACK；收到 FIN ")
               for line in lines)
    assert any(line.startswith("  11. 网络丢失 <SEQ=4294967295><ACK=302><CTL=ACK><DATA=1>（A->B） ")
               for line in lines)
    steps = [line for line in lines if re.match(r" *\d+\. ", line)]
    assert len({wcwidth.width(line[:line.rindex(" A ")]) for line in steps}) == 1
    # English as before: the same columns, the English words
    english = trace_lines(path_of(result.exploration, v), result.table)
    assert english[1].startswith("   1. A: active OPEN ") and len(english) == len(lines)


SUMMARIES = [("reliable", None, 0, None), ("default", None, 0, None), ("default", None, 1, None),
             ("default", None, -1, None), ("seed", None, 0, None), ("abort", None, 0, None),
             ("default", None, 0, 2000), ("seed", "no-time-wait", 0, None), ("seed", "fin-no-seq", 0, None)]


@pytest.mark.parametrize("name, mutant, verbosity, max_states", SUMMARIES,
                         ids=["reliable", "default", "default-v", "default-q", "seed", "abort", "incomplete",
                              "mutant", "mutant-beyond-bounds"])
def test_a_chinese_summary_has_no_english_word(name, mutant, verbosity, max_states):
    lines = chinese(name, mutant, verbosity, max_states)
    assert english_words(lines) == []
    prose = [line for line in lines if not re.match(r" *(\d+\. |[AB] --> |tcpcheck |画图：)", line)]
    assert max(wcwidth.width(line) for line in prose) <= 80


def test_an_incomplete_chinese_summary_says_why_and_what_next():
    lines = chinese("default", max_states=2000)
    assert any(line.startswith("探索了 2,0") and "不完整：因状态数上限而停止，已展开" in line for line in lines)
    assert any(line.startswith("目前的规则覆盖：146 条规则中有") for line in lines)
    assert "  继续探索（调高 --max-states：这次运行停在了 2,000 个状态）：" in lines or any(
        "继续探索（调高 --max-states：这次运行停在了" in line for line in lines)


def test_a_mutant_summary_says_the_mutant_in_chinese():
    lines = chinese("seed", "no-time-wait")
    assert lines[:4] == [
        "tcpcheck：TCP 连接管理（RFC 9293），配置“变体 no-time-wait 的演示配置（基于预设",
        "    seed），变体 no-time-wait”",
        "  变体 no-time-wait：主动关闭方收到对端的 FIN 后进入 CLOSED，而不是 TIME_WAIT",
        "      （论断 C12, C17）；它破坏的性质：被动关闭方从不被复位"]
    assert "  规则：rfc9293.rules，变体 no-time-wait（146 条规则）" in lines


def test_the_quiet_chinese_summary_ends_with_a_full_stop():
    lines = chinese("default", verbosity=-1)
    assert lines[-2:] == ["结果：19 个性质中有 3 个被违反，全部是 RFC 9293 本身的已知后果，而不是模型或规则",
                          "    表的错误。"]


# --- presets and mutants ----------------------------------------------------------

def test_presets_in_chinese():
    lines = presets_lines("zh")
    assert lines[:5] == [
        "default：客户端（ISS 接近 2**32，因此序列号会回绕）和服务器，每个方向一个数据段；网络会丢失和乱序",
        "    网络：每个方向容量 2，丢失、乱序；RCV.WND=4",
        "    A：主动打开，ISS=4294967294，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭",
        "    B：被动打开，ISS=300，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭",
        "reliable：同 default，但网络既不丢失、不复制也不乱序，且容量足够大，从不丢弃报文段",
    ]
    assert "    A：主动打开，ISS=4294967294，1 个数据段，1 次重传，在 RFC 允许的任何状态关闭，可能中止（ABORT）" in lines
    assert english_words(lines) == []
    assert {"network", "active", "open"} <= set(english_words(presets_lines()))


def test_mutants_in_chinese():
    lines = mutants_lines("zh")
    assert lines[:3] == [
        "no-time-wait：主动关闭方收到对端的 FIN 后进入 CLOSED，而不是 TIME_WAIT",
        "    论断 C12, C17；它破坏的性质：被动关闭方从不被复位",
        "    它的配置（存为文件后运行“tcpcheck check --config FILE”，加或不加 --mutant no-time-wait）：",
    ]
    # the configuration files stay as they are written (TOML), so the words are read above them
    prose = [line for line in lines if not line.startswith("        ")]
    assert english_words(prose) == []
    assert any("“tcpcheck prove --mutant" in line and "能驳倒它" in line for line in lines)


# --- prove ------------------------------------------------------------------------

#: prove --lang zh of one mutant with the one obligation it breaks (a whole prove takes minutes),
#: in an interpreter of its own: prove's workers are forked from the process that runs it, and
#: z3's models depend on every term its main context made before (the ids it numbered), so a
#: counterexample proved inside the suite would depend on the tests run earlier in the process
_PROVE_ONE = """
import sys
from tcpcheck.model.cli import main
from tcpcheck.proofs import cli as prove_cli
from tcpcheck.proofs.invariants import INVARIANTS
from tcpcheck.proofs.obligations import classification, invariant

mutant = sys.argv[1]
fin = next(i for i in INVARIANTS if i.id == "IND4")
obligation = {"ack-check-forgets-snd-nxt": classification,
              "fin-no-seq": lambda c: invariant(fin, c)}[mutant]
prove_cli._obligations = lambda: [obligation]
sys.exit(main(["prove", "--jobs", "1", "--mutant", mutant, "--lang", "zh"]))
"""


@pytest.fixture(scope="module")
def proofs_zh():
    """The real command's text for the two mutants, times as ``T``."""
    env = {**os.environ, "COLUMNS": "80", "PYTHONIOENCODING": "utf-8"}
    out = {}
    for mutant in ("ack-check-forgets-snd-nxt", "fin-no-seq"):
        proc = subprocess.run([sys.executable, "-c", _PROVE_ONE, mutant], capture_output=True,
                              encoding="utf-8", env=env, timeout=600)
        assert proc.stderr == "", proc.stderr
        text = re.sub(r"\d+\.\d+ 秒", "T 秒", proc.stdout)
        out[mutant] = (proc.returncode, text.splitlines())
    return out


_PROVE_HEAD = [
    "  对每个 ISS 和每个 32 位的值，假设：",
    "    - 每个端点最多打开一次连接（一个化身），ISS 任意",
    "    - 应用最多发送 1,073,741,824 个数据段，每个一个八位组",
    "    - RCV.WND 在 1 到 1,073,741,824 个八位组之间，这是 TCP 能通告的最大窗口（RFC 7323 第 2.3 节）；"
    "报文段分类对每个非零的 32 位窗口都得到证明",
    "  对于活性，还假设以下公平性：",
    "    - 一直可以发生的超时终将发生（重传、用户超时、2MSL）",
    "    - 应用终将对处于 ESTABLISHED 或 CLOSE_WAIT 的连接调用 CLOSE",
    "    - 网络只会有限次地复制报文段",
    "    - 处于 LISTEN 的应用只会有限次地调用 SEND（一次主动打开）",
    "",
]


def test_prove_refutes_the_classification_in_chinese(proofs_zh):
    code, lines = proofs_zh["ack-check-forgets-snd-nxt"]
    assert code == 1
    assert lines == [
        "tcpcheck prove：规则表 rfc9293.rules，变体 ack-check-forgets-snd-nxt（146 条规则，155 种步骤形状），"
        f"z3 {z3_version()}，每次查询最多 60 秒，1 个进程", *_PROVE_HEAD,
        "  被驳倒     T 秒  SEG1 报文段分类完整且无歧义  （5 次查询）",
        "                     在每个状态和每个处理阶段，每个报文段都恰好适用一个到达事件（所有 32 位的 SEQ、ACK 和 LEN，"
        "任意控制位，任意非零的 RCV.WND）",
        "                     在 ESTABLISHED 的控制处理阶段，RCV.WND=676765701：ISS=0  IRS=0  SND.UNA=4160749568  "
        "SND.NXT=704643072  RCV.NXT=0  passive=False  retransmissions left=0",
        "                     报文段 <SEQ=138428416><ACK=704643073><CTL=ACK><DATA=67575840>"
        "（SEG.LEN=67575840）同时是：收到不可接受的 ACK、收到 ACK",
        "",
        "结果：1 项证明义务中有 0 项得到证明，用时 T 秒。",
    ]


def test_prove_refutes_an_invariant_in_chinese(proofs_zh):
    code, lines = proofs_zh["fin-no-seq"]
    assert code == 1
    assert lines[0].startswith("tcpcheck prove：规则表 rfc9293.rules，变体 fin-no-seq（146 条规则，")
    assert lines[1:11] == _PROVE_HEAD
    assert lines[11:] == [
        "  被驳倒     T 秒  IND4 对 FIN 的 ACK 是它的序列号加一  （9 次查询）",
        "                     传输中的 FIN 占用发送方的最后一个序列号，收到该 FIN 的端点有 RCV.NXT = FIN 的 SEQ + 1"
        "（论断 C6）",
        "                     规则：SYN_RCVD --CLOSE / snd FIN without sequence number--> FIN_WAIT_1 "
        "(rfc9293.rules, mutant fin-no-seq:25)",
        "                     之前：X 处于 SYN_RCVD  ISS=2147483647  IRS=4294967293  SND.UNA=2147483647  "
        "SND.NXT=2147483648  RCV.NXT=1073741821  passive=False  retransmissions left=0",
        "                     之前：Y 处于 CLOSED",
        "                     X 发送：<SEQ=2147483648><ACK=1073741821><CTL=FIN,ACK>",
        "                     之后：X 处于 FIN_WAIT_1  ISS=2147483647  IRS=4294967293  SND.UNA=2147483647  "
        "SND.NXT=2147483648  RCV.NXT=1073741821  passive=False  retransmissions left=0",
        "                     被破坏的是：X 发送的报文段",
        "",
        "结果：1 项证明义务中有 0 项得到证明，用时 T 秒。",
    ]


def test_prove_says_every_obligation_and_what_it_breaks_in_chinese():
    from tcpcheck.proofs.cli import _broken, _line
    from tcpcheck.proofs.invariants import INVARIANTS
    from tcpcheck.proofs.obligations import PROVED, Outcome

    zh = translator("zh")
    for inv in INVARIANTS:
        lines = _line(Outcome(inv.name, inv.statement, PROVED, 1.5, 1, id=inv.id), "zh")
        assert lines[0] == f"  已证明     1.50 秒  {inv.id:<4} {zh(inv.name, 'obligation')}  （1 次查询）"
        assert english_words(lines) == [], inv.id
    assert _broken("supporting facts, for Y, the peer, after X's step", zh) == "辅助事实，对于 X 这一步之后的对端 Y"
    assert _broken("the segment X sends (#2)", zh) == "X 发送的报文段（第 2 个）"
    # a break the catalogue does not know is said as the prover wrote it (and the word check finds it)
    assert english_words(["被破坏的是：" + _broken("a new kind of break", zh)]) == ["a", "break", "kind", "new", "of"]
