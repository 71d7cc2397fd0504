"""``tcpcheck experiments --lang zh``: the report is Chinese throughout.

The model's English is the one source of what the prose says; the Chinese is
the gettext catalogue's (``model/locale/zh/LC_MESSAGES/tcpcheck.po``), the
English being the msgid.  These tests fail when an experiment's English has
no Chinese, when a translation's placeholders differ from the English, or
when English prose of the experiments leaks into the Chinese report (that
every message of the program has Chinese is tests/test_i18n.py's business).
"""

from __future__ import annotations

import doctest
import re
import string
import unicodedata

import pytest

from tcpcheck.diagrams import i18n
from tcpcheck.diagrams.experiments import write_report
from tcpcheck.model.report import trace_lines
from tcpcheck.diagrams.i18n import property_name, say
from tcpcheck.model import i18n as model_i18n
from tcpcheck.model import properties
from tcpcheck.model.i18n import translator
from tcpcheck.model.experiments import EXPERIMENTS, FINDINGS, run_experiment
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.properties import PROPERTIES, REASONS, Text

CJK = re.compile(r"[\u4e00-\u9fff]")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


ZH = translator("zh")


def test_every_experiment_has_a_chinese_question():
    for name, e in EXPERIMENTS.items():
        zh = i18n.question(name, e.question, "zh")
        assert CJK.search(zh) and zh != e.question, name


def test_every_experiment_has_a_chinese_finding():
    # each experiment's finding is the template named after it (run_experiment checks below)
    assert set(EXPERIMENTS) <= set(FINDINGS)
    for name in EXPERIMENTS:
        assert CJK.search(ZH(FINDINGS[name], "text")), name


@pytest.mark.parametrize("key", sorted({**FINDINGS, **REASONS}))
def test_every_template_has_chinese_with_the_same_placeholders(key):
    english = FINDINGS.get(key, REASONS.get(key))
    chinese = ZH(english, "text")
    assert placeholders(chinese) == placeholders(english), key
    assert CJK.search(chinese), key


def test_findings_and_reasons_are_named_apart():
    assert not set(FINDINGS) & set(REASONS)


def test_every_property_and_mutant_has_chinese():
    for p in PROPERTIES:
        assert CJK.search(property_name(p.name, "zh")), p.name
    missing = sorted(name for name, m in MUTANTS.items()
                     if not CJK.search(i18n.mutant_description(name, m.description, "zh")))
    assert not missing, f"add the Chinese of these mutants to model/locale/zh/LC_MESSAGES/tcpcheck.po: {missing}"


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_each_finding_is_its_experiments_text(name):
    o = run_experiment(name)
    assert isinstance(o.finding, Text) and o.finding.key == name
    assert o.finding == FINDINGS[name].format(**o.finding.facts)
    zh = say(o.finding, "zh")
    assert CJK.search(zh) and o.finding not in zh


def test_a_missing_run_is_said_in_chinese():
    o = run_experiment("active-passive", "fin-no-seq")
    assert o.finding == ("The claim does not hold: the model (seed, mutant fin-no-seq) has no run of "
                         "the scenario 'seed'.")
    assert say(o.finding, "zh") == "该论断不成立：模型（seed，变体 fin-no-seq）中没有场景 'seed' 的运行。"


def test_a_reason_is_said_in_chinese():
    v = properties._why("stuck", a="CLOSED", b="FIN_WAIT_2", n=0)
    assert v == "stuck with A in CLOSED, B in FIN_WAIT_2, 0 segment(s) in flight"
    assert say(v, "zh") == "在 A 处于 CLOSED、B 处于 FIN_WAIT_2 时卡住，0 个报文段在传输中"
    assert say("not a Text", "zh") == "not a Text"


@pytest.mark.parametrize("module", [properties, model_i18n])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def _width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_a_chinese_trace_says_each_step_and_keeps_its_columns():
    o = run_experiment("syn-rcvd-held")
    lines = trace_lines(o.trace, o.table, "zh")
    assert lines[0].startswith("   0. 初始状态")
    assert any(line.startswith("   5. 网络丢失 <SEQ=4294967295><ACK=301><CTL=ACK>（A->B） ") for line in lines)
    assert any(line.startswith("   6. B：重传超时 ") for line in lines)
    assert any(line.startswith("   7. A 接收 <SEQ=300><ACK=4294967295><CTL=SYN,ACK>：收到不可接受的报文 ")
               for line in lines)
    steps = [line for line in lines if re.match(r" *\d+\. ", line)]
    columns = {_width(line[:line.rindex(" A ")]) for line in steps}
    assert len(columns) == 1  # the states line up, however wide the Chinese is


def _sentences(template: str) -> list[str]:
    """The literal English of a template, in pieces of three or more words."""
    pieces = re.split(r"\{[^}]*\}", template)
    out = []
    for piece in pieces:
        for part in re.split(r"[.;:()']", piece):
            part = part.strip(" ,")
            if len(re.findall(r"[A-Za-z]{2,}", part)) >= 3:
                out.append(part)
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh")
    path, n, good = write_report(out, "zh")
    assert (path.name, n, good) == ("experiments.zh.md", 13, 13)
    return path.read_text(encoding="utf-8")


def test_the_chinese_report_has_no_english_question_or_finding(report):
    for name, e in EXPERIMENTS.items():
        assert e.question not in report, name
        assert run_experiment(name).finding not in report, name
        assert i18n.question(name, e.question, "zh") in report, name


def test_the_chinese_report_has_no_english_sentence_of_the_model(report):
    english = [s for t in (*FINDINGS.values(), *REASONS.values()) for s in _sentences(t)]
    english += [m.description for m in MUTANTS.values()]
    english += [m.property for m in MUTANTS.values() if m.property is not None]
    assert len(english) > 40
    leaked = [s for s in english if s in report]
    assert leaked == []


def test_the_chinese_report_has_no_english_prose_at_all(report):
    """Outside commands, identifiers (experiment, mutant and configuration
    names, file names), RFC state names, flags and segment notation, no
    English words."""
    text = re.sub(r"`[^`\n]+`", "", report)  # commands
    text = re.sub(r"<[^>\n]*>", "", text)  # segment notation
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    words = set(re.findall(r"[A-Za-z][A-Za-z_'.\-]*[A-Za-z]", text))
    identifiers = (set(EXPERIMENTS) | set(MUTANTS)
                   | {"seed", "default", "reliable", "simultaneous-open", "simultaneous-close",
                      "lost-final-ack", "tcpcheck", "experiments", "check", "shared", "CLAIMS.md"})
    rfc = re.compile(r"([A-Z][A-Z0-9_]*|[AB]\.[A-Z.]+|[A-Z]+\.[A-Z]+)")
    prose = sorted(w for w in words if w not in identifiers and not rfc.fullmatch(w))
    assert prose == []


def test_the_chinese_report_reads_as_chinese(report):
    assert report.startswith("# tcpcheck：笔记中的论断与模型的检验\n")
    assert "13 个实验中有 13 个符合预期。" in report
    assert report.count("**问题**：") == 13
    assert report.count("**结论：") == 13
    assert "## 错误变体" in report
    assert "性质“被动关闭方从不被复位”在参考模型上成立，在这个变体上**被违反**" in report


def test_every_sentence_of_the_report_and_command_has_chinese():
    """The report's own sentences (and what the commands print), with the same placeholders."""
    from tcpcheck.diagrams.experiments import _EN, WORDS

    _ = translator("zh")
    for key, english in _EN.items():
        chinese = _(english, "report")
        assert chinese != english, f"add the Chinese of '{english}' (context report) to the catalogue"
        assert placeholders(chinese) == placeholders(english), key
        assert CJK.search(chinese), key
    assert all(CJK.search(_(w, "report")) for w in WORDS)
    # a trace's words (model/report.py trace_lines, which the report prints)
    assert {e: _(e, "trace") for e in ("initial state", "{actor}: {event}", "{actor} receives {segment}: {events}",
                                       "network loses {segment} ({direction})",
                                       "network duplicates {segment} ({direction})",
                                       "(dropped: the channel is full)", "; ")} == {
        "initial state": "初始状态", "{actor}: {event}": "{actor}：{event}",
        "{actor} receives {segment}: {events}": "{actor} 接收 {segment}：{events}",
        "network loses {segment} ({direction})": "网络丢失 {segment}（{direction}）",
        "network duplicates {segment} ({direction})": "网络复制 {segment}（{direction}）",
        "(dropped: the channel is full)": "（丢弃：信道已满）", "; ": "；"}
