"""The gettext catalogue: compiled as committed, complete, unambiguous.

* the committed ``tcpcheck.mo`` is byte for byte what Babel compiles the
  ``.po`` to (``pybabel compile -d model/locale -D tcpcheck``);
* every message the program can ask for has Chinese, with the English's
  placeholders: the messages are extracted from the code (the literal
  arguments of ``_``, ``N_``, ``phrase``, ``event_label``, ``action_label``)
  and from the model's vocabularies (events, actions, properties, mutants,
  experiments, templates, scenarios, the experiments report's words); and
  the catalogue holds nothing that nobody asks for;
* no two different events or actions are said with the same words;
* the language is ``--lang``, else the locale; property names are accepted
  in Chinese.

Each check is also run on a deliberately broken input, on which it must fail.
"""

from __future__ import annotations

import ast
import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import tcpcheck.diagrams
import tcpcheck.model
import tcpcheck.proofs
from tcpcheck.diagrams import i18n as diagram_i18n
from tcpcheck.diagrams import experiments
from tcpcheck.model import i18n
from tcpcheck.model.actions import ACTIONS
from tcpcheck.model.config import PRESETS
from tcpcheck.model.events import ARRIVALS, CALLS, REFINEMENTS, TIMERS
from tcpcheck.model.experiments import EXPERIMENTS, FINDINGS
from tcpcheck.model.i18n import canonical_property, language, property_name, translator
from tcpcheck.model.liveness import FAIRNESS
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.properties import PROPERTIES, REASONS
from tcpcheck.model.scenarios import SCENARIOS
from tcpcheck.model.tcb import STATES
from tcpcheck.proofs.invariants import ASSUMPTIONS, INVARIANTS
from tcpcheck.proofs.liveness import FAIRNESS as PROOF_FAIRNESS
from tcpcheck.proofs.liveness import NAME as PROOF_NAME
from tcpcheck.proofs.liveness import STATEMENT as PROOF_STATEMENT
from tcpcheck.proofs.obligations import CLASSIFICATION

PO = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "tcpcheck.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # ideographs and CJK punctuation
SOURCES = [Path(m.__file__).parent for m in (tcpcheck.model, tcpcheck.diagrams, tcpcheck.proofs)]


def read_catalogue(path: Path = PO) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale="zh")


CATALOGUE = read_catalogue()


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


# --- compiled as committed ---------------------------------------------------------

def compiled(catalogue: Catalog) -> bytes:
    """What ``pybabel compile`` writes for ``catalogue`` (read_po, then write_mo)."""
    buf = io.BytesIO()
    write_mo(buf, catalogue, use_fuzzy=False)
    return buf.getvalue()


def test_the_committed_mo_is_the_compiled_po():
    assert MO.read_bytes() == compiled(CATALOGUE), (
        "model/locale/zh/LC_MESSAGES/tcpcheck.mo is stale: run "
        "'pybabel compile -d model/locale -D tcpcheck' and commit it")


def test_a_changed_po_compiles_to_another_mo():
    changed = read_catalogue()
    changed.get("deadlock freedom", context="property").string = "没有死锁"
    assert compiled(changed) != MO.read_bytes()


def test_the_catalogue_is_chinese_without_plural_forms_or_fuzzy_entries():
    assert str(CATALOGUE.locale) == "zh" and CATALOGUE.num_plurals == 1
    assert CATALOGUE.domain is None or CATALOGUE.domain == "tcpcheck"
    assert [m.id for m in CATALOGUE if m.id and m.fuzzy] == []
    assert len([m for m in CATALOGUE if m.id]) == 869


# --- the messages the program asks for ---------------------------------------------

#: Functions whose literal first argument is a message, and the context they use
#: (None: the call's second argument, or its ``context=`` keyword).
KEYWORDS = {"_": None, "N_": None, "phrase": "phrase", "event_label": "event", "action_label": "action"}


def _literals(node) -> list[str] | None:
    """The strings an argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def extract(paths) -> tuple[set[tuple[str | None, str]], list[str]]:
    """The (context, English) messages of the Python files under ``paths``, as
    literal arguments of the :data:`KEYWORDS` calls (and ``_.ngettext``), and
    the mistakes found: an f-string or a formatted string handed to one of them."""
    found, mistakes = set(), []
    for root in paths:
        for file in sorted(Path(root).rglob("*.py")):
            tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                if isinstance(f, ast.Name) and f.id in KEYWORDS:
                    fixed, n_messages = KEYWORDS[f.id], 1
                elif isinstance(f, ast.Attribute) and f.attr == "ngettext" and isinstance(f.value, ast.Name) \
                        and f.value.id == "_":
                    fixed, n_messages = None, 2
                else:
                    continue
                where = f"{file}:{node.lineno}"
                first = node.args[0]
                if isinstance(first, ast.JoinedStr) or (
                        isinstance(first, ast.Call) and getattr(first.func, "attr", "") == "format"):
                    mistakes.append(f"{where}: {ast.unparse(f)}() of a formatted string: "
                                    "translate the template, then format it")
                    continue
                context = fixed
                if fixed is None:
                    args = node.args[n_messages:n_messages + 1] + [k.value for k in node.keywords
                                                                  if k.arg == "context"]
                    if n_messages == 2:  # _.ngettext(singular, plural, n, context)
                        args = node.args[3:4] + [k.value for k in node.keywords if k.arg == "context"]
                    if args:
                        ctx = _literals(args[0])
                        if ctx is None or len(ctx) != 1:
                            continue
                        context = ctx[0]
                if n_messages == 2:
                    texts = [_literals(a) for a in node.args[:2]]
                    if all(t and len(t) == 1 for t in texts):
                        found.add((context, (texts[0][0], texts[1][0])))
                    continue
                for text in _literals(first) or ():
                    if f.id == "phrase":  # a short key of diagrams/i18n.py ("dropped")
                        text = diagram_i18n.PHRASE_KEYS.get(text, text)
                    found.add((context, text))
    return found, mistakes


def vocabulary() -> set[tuple[str | None, str]]:
    """The messages the model's data asks for: what the diagrams and reports say
    through event_label, action_label, property_name, say ... with a variable."""
    out = {("event", e) for e in (*CALLS, *TIMERS, *(a.name for a in ARRIVALS), *(r.event.name for r in REFINEMENTS))}
    out |= {("action", diagram_i18n.SHORT_ACTIONS.get(a, a)) for a in ACTIONS}
    out |= {("property", p.name) for p in PROPERTIES if not p.name.endswith(" is reachable")}
    out.add(("property", i18n.REACHABLE))
    out |= {("mutant", m.description) for m in MUTANTS.values()}
    out |= {("question", e.question) for e in EXPERIMENTS.values()}
    out |= {("text", t) for t in (*FINDINGS.values(), *REASONS.values())}
    # scenario descriptions are chart titles (diagrams/cli.py, diagrams/gallery.py)
    out |= {("phrase", s.description) for s in SCENARIOS.values()}
    out |= {("report", e) for e in (*experiments.WORDS, *experiments._EN.values())}
    # check's summary (model/report.py): kinds of property, presets' notes, the fairness
    out |= {("kind", p.kind) for p in PROPERTIES}
    out |= {("preset", note) for note, _ in PRESETS.values()}
    out |= {("fairness", f) for f in FAIRNESS}
    # prove's text (proofs/cli.py): the obligations, the assumptions, the fairness
    out |= {("obligation", t) for inv in INVARIANTS for t in (inv.name, inv.statement)}
    out |= {("obligation", t) for t in (*CLASSIFICATION, PROOF_NAME, PROOF_STATEMENT)}
    out |= {("assumption", a) for a in ASSUMPTIONS}
    out |= {("fairness", f) for f in PROOF_FAIRNESS}
    # the grader's feedback (model/grading/grade.py _statement): the properties' statements
    out |= {("statement", p.statement) for p in PROPERTIES if p.kind != "reachability"}
    return out


def wanted(paths=SOURCES) -> set[tuple[str | None, str]]:
    found, mistakes = extract(paths)
    assert mistakes == []
    return found | vocabulary()


def untranslated(messages, catalogue: Catalog = CATALOGUE) -> list[str]:
    """The messages without Chinese in ``catalogue``: missing, empty, fuzzy,
    English, without a CJK character, or with other placeholders than the English."""
    out = []
    for context, text in sorted(messages, key=lambda m: (m[0] or "", str(m[1]))):
        m = catalogue.get(text, context=context)
        zh = m.string if m is not None else None
        if isinstance(zh, tuple):
            zh = zh[0]
        if m is None or not zh or m.fuzzy or zh == text or not CJK.search(zh):
            out.append(f"[{context}] {text!r}: no Chinese")
        elif placeholders(zh) != placeholders(text if isinstance(text, str) else text[0]):
            out.append(f"[{context}] {text!r}: placeholders {sorted(placeholders(zh))} in the Chinese")
    return out


def test_every_message_has_chinese():
    missing = untranslated(wanted())
    assert missing == [], ("add these to model/locale/zh/LC_MESSAGES/tcpcheck.po and recompile:\n"
                           + "\n".join(missing))


def test_the_catalogue_holds_only_messages_someone_asks_for():
    asked = wanted()
    unused = sorted(f"[{m.context}] {m.id!r}" for m in CATALOGUE if m.id and (m.context, m.id) not in asked)
    assert unused == []


def test_the_extraction_finds_each_kind_of_call():
    found, _ = extract(SOURCES)
    assert ("phrase", "lost") in found  # msc.py: phrase("lost", lang)
    assert ("phrase", "duplicate") in found  # states.py: phrase('lost' if ... else 'duplicate', lang)
    assert ("phrase", "active close") in found and ("phrase", "client's normal path") in found  # fsm.py
    assert ("phrase", "dropped (channel full)") in found  # diagrams/i18n.py: N_(..., "phrase")


def test_an_untranslated_message_in_a_module_fails_the_check(tmp_path):
    (tmp_path / "student.py").write_text(
        "from tcpcheck.model.i18n import translator\n"
        "_ = translator('zh')\n"
        "print(_('deadlock freedom', context='property'))\n"  # translated: passes
        "print(_('{n} states explored, none stuck').format(n=3))\n"
        "print(_.ngettext('{n} rule', '{n} rules', 2))\n", encoding="utf-8")
    found, mistakes = extract([tmp_path])
    assert mistakes == []
    assert found == {("property", "deadlock freedom"), (None, "{n} states explored, none stuck"),
                     (None, ("{n} rule", "{n} rules"))}
    assert untranslated(found) == ["[None] ('{n} rule', '{n} rules'): no Chinese",
                                   "[None] '{n} states explored, none stuck': no Chinese"]


def test_a_formatted_message_is_a_mistake(tmp_path):
    (tmp_path / "bad.py").write_text("n = 3\nprint(_(f'{n} states'))\nprint(_('{} x'.format(n)))\n",
                                     encoding="utf-8")
    found, mistakes = extract([tmp_path])
    assert found == set()
    assert [m.split(": ", 1)[1] for m in mistakes] == [
        "_() of a formatted string: translate the template, then format it"] * 2


def test_a_wrong_placeholder_fails_the_check():
    broken = read_catalogue()
    broken.get("it goes round a cycle of {n} steps", context="text").string = "它在一个 {m} 步的环中永远循环"
    assert untranslated({("text", "it goes round a cycle of {n} steps")}, broken) == [
        "[text] 'it goes round a cycle of {n} steps': placeholders ['m'] in the Chinese"]


def test_english_left_as_the_translation_fails_the_check():
    broken = read_catalogue()
    broken.get("rcv SYN", context="event").string = "rcv SYN"
    assert untranslated({("event", "rcv SYN")}, broken) == ["[event] 'rcv SYN': no Chinese"]


# --- no two events or actions said alike -------------------------------------------

def same_words(catalogue: Catalog) -> list[str]:
    """Chinese that two different events or actions share."""
    said: dict[str, list[str]] = {}
    for m in catalogue:
        if m.id and m.context in ("event", "action"):
            said.setdefault(m.string, []).append(f"{m.context} {m.id!r}")
    return [f"{zh!r}: {', '.join(who)}" for zh, who in sorted(said.items()) if len(who) > 1]


def test_no_two_events_or_actions_translate_to_the_same_words():
    assert same_words(CATALOGUE) == []


def test_the_send_call_and_the_snd_data_action_said_alike_fail_the_check():
    broken = read_catalogue()
    broken.get("SEND", context="event").string = broken.get("snd data", context="action").string
    assert same_words(broken) == ["'发送数据': event 'SEND', action 'snd data'"]


def test_the_send_call_and_the_snd_data_action_are_said_apart():
    assert diagram_i18n.event_label("SEND", "zh") == "应用发送数据"
    assert diagram_i18n.action_label("snd data", "zh") == "发送数据"


# --- the language --------------------------------------------------------------------

@pytest.mark.parametrize("requested, env, lang", [
    ("zh", {"LANG": "en_US.UTF-8"}, "zh"),  # --lang wins over the locale
    ("en", {"LC_ALL": "zh_CN.UTF-8"}, "en"),
    (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_GB.UTF-8"}, "zh"),
    (None, {"LC_ALL": "C.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "en"),  # LC_ALL first
    (None, {"LC_ALL": "", "LANG": "zh_HK"}, "zh"),  # an empty variable does not count
    (None, {"LANG": "ZH_cn"}, "zh"),
    (None, {"LANG": "fr_FR.UTF-8"}, "en"),
    (None, {}, "en"),
])
def test_the_language_is_lang_else_the_locale(requested, env, lang):
    assert language(requested, env) == lang


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language 'fr'; expected one of en, zh"):
        language("fr")
    with pytest.raises(ValueError, match="unknown language"):
        translator("fr")


def test_the_lang_option_defaults_to_the_locale():
    import argparse

    p = argparse.ArgumentParser()
    i18n.add_lang_option(p)
    assert p.parse_args([]).lang is None
    assert p.parse_args(["--lang", "zh"]).lang == "zh"
    with pytest.raises(SystemExit):
        p.parse_args(["--lang", "fr"])


def test_a_translator_by_context_and_count():
    zh, en = translator("zh"), translator("en")
    assert zh("lost", "phrase") == "丢失" and en("lost", "phrase") == "lost"
    assert zh("initial state", "trace") == "初始状态"
    assert en.ngettext("{n} rule", "{n} rules", 1) == "{n} rule"
    assert en.ngettext("{n} rule", "{n} rules", 2) == "{n} rules"
    assert translator("zh") is zh and repr(zh) == "translator('zh')"


# --- property names in Chinese -------------------------------------------------------

@pytest.mark.parametrize("p", PROPERTIES, ids=lambda p: p.name)
def test_a_property_is_named_in_english_or_chinese(p):
    zh = property_name(p.name, "zh")
    assert canonical_property(p.name) == p.name
    assert canonical_property(zh) == p.name
    assert canonical_property(f"  {zh} ") == p.name
    assert canonical_property("".join(zh.split())) == p.name  # CLOSED可达


def test_property_names_are_distinct_in_chinese():
    zh = i18n.property_names("zh")
    assert zh == [property_name(p.name, "zh") for p in PROPERTIES]
    assert len(set(zh)) == len(zh) == 8 + len(STATES)
    assert i18n.property_names() == [p.name for p in PROPERTIES]


@pytest.mark.parametrize("name", ["", "无死", "deadlock", "Deadlock Freedom", "FOO 可达", "可达"])
def test_an_unknown_property_name_is_none(name):
    assert canonical_property(name) is None
