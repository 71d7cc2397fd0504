"""tcpcheck grade in Chinese: the assignment's ``lang = "zh"`` and ``grade --lang``.

The feedback of one wrong-cell table (rows and behaviour) and of one
questions assignment is pinned on its exact Chinese; every format's text
(text, html, Gradescope's and PrairieLearn's fields) is read for English
words left outside what the RFC writes (state names, segments, rule syntax),
file names and the instructor's own words.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re

import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.grading.assignment import AssignmentError, parse_assignment
from tcpcheck.model.grading.formats import render
from tcpcheck.model.grading.grade import Prepared, grade_file
from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.table import REFERENCE

from test_i18n_commands import english_words

TABLE_LAB = """\
title = "Lab 3"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "run"

[[configurations]]
name = "simultaneous"
preset = "simultaneous-open"

[[tests]]
kind = "rows"
points = 10

[[tests]]
kind = "behaviour"
configuration = "simultaneous"
points = 10
"""

ROW = "FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING"
BROKEN = "FIN_WAIT_1   | rcv FIN                 | -                          | same   "

QUESTIONS_LAB = """\
title = "Lab 2"
kind = "questions"
lang = "zh"
reference = "builtin:rfc9293"
feedback = "run"

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "default"
preset = "default"

[[questions]]
id = "q1"
points = 2
ask = "state-after"
scenario = "seed"
upto_segment = 4
configuration = "seed"

[[questions]]
id = "q2"
points = 3
ask = "segment"
scenario = "seed"
segment = 6
ask_flags = true
configuration = "seed"

[[questions]]
id = "q3"
points = 2
ask = "claim"
property = "deadlock freedom"
configuration = "default"
with_run = true
"""

ANSWERS = """\
[q1]
A = "FIN_WAIT_1"
B = "ESTABLISHED"

[q2]
SEQ = 301
ACK = "none"
CTL = "FIN"

[q3]
holds = false
run = ["A: active OPEN", "B: passive OPEN"]
"""


def _grade(tmp_path, assignment: str, name: str, submission: str, *options: str) -> tuple[int, str]:
    (tmp_path / "lab.toml").write_text(assignment, encoding="utf-8")
    (tmp_path / name).write_text(submission, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["grade", "--assignment", str(tmp_path / "lab.toml"), str(tmp_path / name), *options])
    return code, out.getvalue().replace(str(tmp_path) + "/", "")


def _broken_table() -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    assert text.count(ROW) == 1
    return text.replace(ROW, BROKEN)


def _prose(text: str) -> list[str]:
    """The lines of feedback that are prose: not the trace's steps and segments, the
    echoed answer file, nor the reference's digest; folders taken off file names."""
    return [re.sub(r"/[^\s:]*/", "", line) for line in text.splitlines()
            if not re.match(r" *(\d+\. (初始状态|[AB]|网络)|[AB] --> |[A-Za-z]+ = |states = |run = |holds = )", line)
            and "sha256" not in line]


#: words that are names, not prose: the tool, Gradescope's visibility values, the instructor's
#: configuration, the student's id (the file's stem)
_ALLOWED = {"after_due_date", "z3", "tcpcheck", "simultaneous", "tcp"}


def _english(lines: list[str]) -> list[str]:
    return [w for w in english_words(lines) if w not in _ALLOWED and not w.endswith((".rules", ".toml"))
            and not re.fullmatch(r"q\d+|Lab|rcv|snd|same|active|passive|OPEN", w)]


TABLE_ZH = """\
tcpcheck {version}: Lab 3
  提交的文件：tcp.rules
  得分：17.77 / 20

  0. [ 通过  ] 0/0  能否加载表
       你的表加载成功。
  1. [未通过 ] 9.93/10  逐个单元格检查表
       144 个单元格中有 143 个正确（99%）。
       与参考答案不同的单元格（状态 / 事件：你的行）：
         FIN_WAIT_1 / rcv FIN (tcp.rules:87): 你的：- -> FIN_WAIT_1
  2. [未通过 ] 7.84/10  配置“simultaneous”中的行为
       你的表在配置“simultaneous”中的行为与参考表不同：一致度 78.4%。在参考表的 6,132 个步骤（来自 1,896 个状态）中，有 4,812 个走法相同且从不走得不同；显示差异的最短运行有 8 步。
       第 8 步：B 接收 <SEQ=101><ACK=301><CTL=FIN,ACK>：用你的表，B 最终处于 FIN_WAIT_1，发送的报文段：无；参考表的做法不同。你的行：tcp.rules:87: FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1
       你的表上区分两者的最短运行："""


def test_a_wrong_cell_table_is_graded_in_chinese_with_lang(tmp_path):
    from tcpcheck.model.interface import tool_version

    code, text = _grade(tmp_path, TABLE_LAB, "tcp.rules", _broken_table(), "--lang", "zh")
    assert code == 1
    lines = text.splitlines()
    assert "\n".join(lines[:14]) == TABLE_ZH.format(version=tool_version())
    assert lines[14].startswith("          0. 初始状态 ") and lines[-3].startswith("          8. B 接收 ")
    assert lines[-1].startswith("参考表 sha256 ")
    assert _english(_prose(text)) == []
    # the same assignment without --lang is English, as before
    code, english = _grade(tmp_path, TABLE_LAB, "tcp.rules", _broken_table())
    assert "  1. [failed ] 9.93/10  the table, cell by cell" in english.splitlines()
    assert {"cells", "reference", "table"} <= set(english_words(_prose(english)))


QUESTIONS_ZH = """\
  0. [ 通过  ] 0/0  能否加载答案文件
       你的答案文件加载成功。
  1. [未通过 ] 1/2  q1: 场景“seed”的第 4 个报文段之后每个端点处于哪个状态，在配置“seed”中
       不正确：B 的状态错了
       你的答案：
         A = "FIN_WAIT_1"
         B = "ESTABLISHED"
  2. [未通过 ] 1/3  q2: 场景“seed”的第 6 个报文段的 SEQ、ACK 和控制位，在配置“seed”中
       不正确：ACK 字段错了；控制位错了
       你的答案：
         SEQ = 301
         ACK = "none"
         CTL = "FIN"
  3. [未通过 ] 1/2  q3: 性质“无死锁”是否成立，在配置“default”中（附上显示它的运行）
       不正确：运行没有显示这一点
       你的答案：
         holds = false
         run = ["A: active OPEN", "B: passive OPEN"]
       你的运行可以重放（2 步），但运行没有结束在卡住的状态：还可以走下一步（运行结束时 A 处于 SYN_SENT，B 处于 LISTEN）
"""


def test_a_questions_assignment_is_graded_in_chinese_by_its_lang_key(tmp_path):
    code, text = _grade(tmp_path, QUESTIONS_LAB, "answers.toml", ANSWERS)
    assert code == 1
    lines = text.splitlines()
    assert lines[1:3] == ["  提交的文件：answers.toml", "  得分：3 / 7"]
    assert "\n".join(lines[4:-2]) + "\n" == QUESTIONS_ZH
    assert _english(_prose(text)) == []
    # --lang en over the key
    code, english = _grade(tmp_path, QUESTIONS_LAB, "answers.toml", ANSWERS, "--lang", "en")
    assert "       not correct: the state of B is wrong" in english.splitlines()


@pytest.fixture(scope="module")
def graded_zh(tmp_path_factory):
    d = tmp_path_factory.mktemp("zh")
    (d / "lab.toml").write_text(TABLE_LAB.replace('feedback = "run"', 'feedback = "run"\nlang = "zh"'),
                                encoding="utf-8")
    (d / "tcp.rules").write_text(_broken_table(), encoding="utf-8")
    result = grade_file(Prepared(load_assignment(d / "lab.toml")), d / "tcp.rules")
    result.submission = "tcp.rules"  # as a platform's autograder names it (not the temporary folder)
    return result


def test_gradescope_and_prairielearn_text_fields_are_chinese(graded_zh):
    assert graded_zh.lang == "zh"
    gs = json.loads(render(graded_zh, "gradescope"))
    texts = [gs["output"]] + [t["name"] for t in gs["tests"]] + [
        html.unescape(re.sub(r"<[^>]*>|data:[^\"]*", " ", t["output"])) for t in gs["tests"]]
    assert gs["tests"][1]["name"] == "逐个单元格检查表"
    assert _english(_prose("\n".join(texts))) == []
    pl = json.loads(render(graded_zh, "prairielearn"))
    assert pl["message"] == "20 分中得 17.77 分。"
    assert pl["tests"][2]["description"] == "这个配置的每次运行，你的表与参考表的对照"
    assert pl["tests"][2]["message"] == "未通过：10 分中得 7.84 分"
    texts = [pl["output"], pl["message"]] + [t[k] for t in pl["tests"] for k in ("name", "description", "message",
                                                                                 "output")]
    texts += [i["label"] for i in pl["images"]]
    assert _english(_prose("\n".join(texts))) == []


def test_the_html_page_is_chinese(graded_zh):
    page = render(graded_zh, "html")
    assert '<html lang="zh">' in page and '<span class="status">未通过</span>' in page
    visible = re.sub(r"<style>.*?</style>|<[^>]*>|data:[^\"]*", " ", page, flags=re.S)
    visible = html.unescape(visible)
    assert _english(_prose(visible)) == []


@pytest.mark.parametrize("value, message", [
    ('"fr"', "lang must be one of en, zh (zh: Chinese), not 'fr'"),
    ('"zh_CN"', "lang must be one of en, zh (zh: Chinese), not 'zh_CN' (did you mean 'zh'?)"),
    ('"chinese"', "lang must be one of en, zh (zh: Chinese), not 'chinese' (did you mean 'zh'?)"),
    ("3", "lang must be a string: en or zh, not 3"),
])
def test_a_bad_lang_key_is_refused_at_its_line(value, message):
    text = TABLE_LAB.replace('feedback = "run"\n', f'feedback = "run"\nlang = {value}\n')
    with pytest.raises(AssignmentError) as e:
        parse_assignment(text, "lab.toml")
    assert e.value.errors == [f"lab.toml:6: {message}"]


def test_grade_lang_is_refused_when_unknown(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["grade", "--assignment", "x.toml", "--lang", "fr", "y.rules"])
    assert e.value.code == 2


# --- a class graded in Chinese: grade DIR --out OUT --lang zh -----------------------

#: names on a class's pages: the students' ids and the assignment's title ("Lab: batch test")
_CLASS = {"alice", "bob", "carol", "eve", "grace", "batch", "test", "JSON"}


def _visible(page: str) -> str:
    """The text a reader sees on a page: no style sheet, tags or data URLs."""
    return html.unescape(re.sub(r"<style>.*?</style>|<[^>]*>|data:[^\"]*", " ", page, flags=re.S))


@pytest.fixture(scope="module")
def class_zh(tmp_path_factory):
    """A class of five graded with --lang zh: the reference (alice), one wrong cell twice (bob,
    carol), a table that does not load (eve) and a student folder with two files (grace)."""
    from test_grading_batch import ASSIGNMENT, REF, _mutant

    root = tmp_path_factory.mktemp("class-zh")
    (root / "lab.toml").write_text(ASSIGNMENT, encoding="utf-8")
    d = root / "submissions"
    d.mkdir()
    (d / "alice.rules").write_text(REF, encoding="utf-8")
    (d / "bob.rules").write_text(_mutant("no-closing"), encoding="utf-8")
    (d / "carol.rules").write_text(_mutant("no-closing"), encoding="utf-8")
    (d / "eve.rules").write_text(REF.replace("| F17, 3.10.4", "| F17 | extra | columns", 1), encoding="utf-8")
    (d / "grace").mkdir()
    for name in ("draft.rules", "final.rules"):
        (d / "grace" / name).write_text(REF, encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["grade", "--assignment", str(root / "lab.toml"), str(d), "--out", str(root / "out"),
                     "--lang", "zh"])
    return root, code, err.getvalue()


def test_the_class_summary_page_is_chinese(class_zh):
    root, code, err = class_zh
    assert code == 1  # eve and grace are not gradable
    assert re.fullmatch(r"tcpcheck grade: 5 份提交，用时 \d+\.\d 秒，1 个工作进程：3 份已评分，2 份无法评分，"
                        r"0 份未完成；已写入 \S+/out/summary\.html\n", err)
    page = (root / "out" / "summary.html").read_text(encoding="utf-8")
    assert page.splitlines()[1].startswith('<html lang="zh">')
    assert "<h1>Lab: batch test：全班汇总</h1>" in page
    assert re.findall(r"<h2>([^<]*)</h2>", page) == [
        "得分", "最常出错的单元格", "按相同错误分组的学生", "最常未通过的性质", "各项测试的平均得分", "无法评分或未完成",
        "全部学生"]
    assert ('<p class="meta">5 份提交：3 份已评分，2 份无法评分，0 份未完成。已评分的：平均 94.9562，中位数 92.4343，'
            '满分 100；1 份满分。</p>') in page
    assert ("全部提交，按满分的十分之一分段；2 份无法评分或未完成的（灰色）按其所得分数计，什么都没评的计 0 分。") in page
    assert ('<tr><td class="nw">FIN_WAIT_1</td><td class="nw">rcv FIN</td><td class="n">2</td>') in page
    assert "<code>snd ACK -&gt; FIN_WAIT_1</code> (2)" in page
    assert "<h3>第 1 组：2 位学生，得分 92.4343 / 100</h3>" in page
    assert "<li>1. 逐个单元格检查表</li>" in page and "<li>3. 配置“reliable”中的行为</li>" in page
    assert '<td class="bad nw">无法评分</td>' in page
    assert '<td>已评分</td>' in page and '<td>满分</td>' in page and '>结果</a>' in page
    assert "<title>0–10%：2 份未评分</title>" in page and "得分占满分的百分比（最后一段包含 100%）" in page
    # errors stay English: eve's table does not load, and her first message is the parser's
    eve = json.loads((root / "out" / "eve.json").read_text(encoding="utf-8"))
    visible = _visible(page).replace(html.unescape(eve["messages"][0]), " ")
    assert [w for w in _english(_prose(visible)) if w not in _CLASS] == []


def test_the_pages_a_class_run_writes_for_its_students_are_chinese(class_zh):
    root, _, _ = class_zh
    for student in ("alice", "bob", "grace"):
        page = (root / "out" / f"{student}.html").read_text(encoding="utf-8")
        assert '<html lang="zh">' in page
        assert [w for w in _english(_prose(_visible(page))) if w not in _CLASS] == [], student
    grace = json.loads((root / "out" / "grace.json").read_text(encoding="utf-8"))
    assert grace["tests"][0]["name"] == "提交存在"
    assert re.fullmatch(r"无法评分：\S+/grace：没有名为 tcp\.rules 的文件，却有 2 个别的文件（draft\.rules, "
                        r"final\.rules），因此一个也没有选", grace["tests"][0]["output"])
    assert grace["tests"][1]["output"] == "未评分：没有找到提交（见“提交存在”）"


def test_the_word_check_finds_the_english_of_an_english_summary(class_zh):
    from test_grading_batch import _mutant

    from tcpcheck.model.grading.summary import summary_html

    root, _, _ = class_zh
    prepared = Prepared(load_assignment(root / "lab.toml"))  # no lang key: English
    (root / "bob-en.rules").write_text(_mutant("no-closing"), encoding="utf-8")
    results = [grade_file(prepared, root / "bob-en.rules", "bob")]
    english = summary_html(results)
    assert '<html lang="en">' in english and "<h2>The cells most often wrong</h2>" in english
    assert {"class", "summary", "graded", "students"} <= set(english_words(_prose(_visible(english))))
    # the same results on a page asked for in Chinese
    assert "<h2>最常出错的单元格</h2>" in summary_html(results, lang="zh")
