"""Labels for diagrams in English and Chinese.

State names stay as the RFC writes them in every language; events, actions
and the few words diagrams use around them are translated.  English labels
are the rule table's own words, shortened where the RFC's segment notation
would not fit on an arrow (``snd <SEQ=SEG.ACK><CTL=RST>`` is drawn ``snd RST``).

The model's prose (experiments' questions and findings, why a property
fails, property names, mutant descriptions) is said in another language by
:func:`say`, :func:`question`, :func:`property_name` and
:func:`mutant_description`, from the translations in
:mod:`tcpcheck.diagrams.zh_texts`.
"""

from __future__ import annotations

import re

from tcpcheck.model.properties import Text

from . import zh_texts

__all__ = ["LANGS", "event_label", "action_label", "phrase", "edge_label",
           "say", "question", "property_name", "mutant_description"]

LANGS = ("en", "zh")

_SHORT_ACTIONS = {
    "snd <SEQ=SND.NXT><CTL=RST>": "snd RST",
    "snd <SEQ=SEG.ACK><CTL=RST>": "snd RST",
    "snd <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>": "snd RST,ACK",
}

_ZH_EVENTS = {
    "passive OPEN": "被动打开",
    "active OPEN": "主动打开",
    "SEND": "发送数据",
    "CLOSE": "关闭",
    "ABORT": "中止",
    "retransmission timeout": "重传超时",
    "user timeout": "用户超时",
    "timeout 2MSL": "2MSL 超时",
    "rcv RST": "收到 RST",
    "rcv segment with ACK": "收到带 ACK 的报文",
    "rcv segment without ACK": "收到不带 ACK 的报文",
    "rcv SYN": "收到 SYN",
    "rcv other segment": "收到其他报文",
    "rcv unacceptable ACK": "收到不可接受的 ACK",
    "rcv unacceptable RST": "收到不可接受的 RST",
    "rcv SYN,ACK": "收到 SYN,ACK",
    "rcv unacceptable segment": "收到不可接受的报文",
    "rcv retransmitted FIN": "收到重传的 FIN",
    "rcv RST in window": "收到窗口内的 RST",
    "rcv ACK of SYN": "收到对 SYN 的 ACK",
    "rcv ACK of FIN": "收到对 FIN 的 ACK",
    "rcv ACK": "收到 ACK",
    "rcv data": "收到数据",
    "rcv FIN": "收到 FIN",
    "rcv out-of-order segment": "收到乱序报文",
}

_ZH_ACTIONS = {
    "create TCB": "创建 TCB",
    "delete TCB": "删除 TCB",
    "return to LISTEN": "回到 LISTEN",
    "snd SYN": "发送 SYN",
    "snd SYN,ACK": "发送 SYN,ACK",
    "snd ACK": "发送 ACK",
    "snd data": "发送数据",
    "snd FIN": "发送 FIN",
    "snd RST": "发送 RST",
    "snd RST,ACK": "发送 RST,ACK",
    "retransmit": "重传",
}

#: English wording of phrases whose key is a short name.
_EN_PHRASES = {"dropped": "dropped (channel full)"}

_ZH_PHRASES = {
    "active close": "主动关闭",
    "passive close": "被动关闭",
    "client": "客户端",
    "server": "服务器",
    "initial state": "初始状态",
    "finished": "结束",
    "lost": "丢失",
    "duplicate": "重复",
    "dropped": "丢弃（信道已满）",
    "in flight": "传输中",
    "timeout": "超时",
    "client's normal path": "客户端的正常路径",
    "server's normal path": "服务器的正常路径",
    "other transitions": "其他转换",
    # The named scenarios' descriptions (model/scenarios.py), as chart titles.
    "the seed note's segments 1-7: three-way handshake, then the client closes first and "
    "the server after it": "笔记中的报文 1-7：三次握手，然后客户端先关闭，服务器随后关闭",
    "both endpoints open actively at once; each goes SYN_SENT -> SYN_RCVD -> ESTABLISHED "
    "(RFC 9293 Figure 7)": "双方同时主动打开；各自经历 SYN_SENT -> SYN_RCVD -> ESTABLISHED（RFC 9293 图 7）",
    "both endpoints close at once; their FINs cross and each passes through CLOSING "
    "(claim C13)": "双方同时关闭；两个 FIN 交叉，双方都经过 CLOSING（论断 C13）",
    "the final ACK is lost; the server in LAST_ACK retransmits its FIN and the client, still "
    "in TIME_WAIT, acknowledges it again (claim C17)":
        "最后的 ACK 丢失；处于 LAST_ACK 的服务器重传 FIN，仍处于 TIME_WAIT 的客户端再次确认（论断 C17）",
}


def _check(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}'; expected one of {', '.join(LANGS)}")


def event_label(event: str, lang: str = "en") -> str:
    """An event as a diagram shows it, e.g. ``rcv SYN`` or ``收到 SYN``."""
    _check(lang)
    return _ZH_EVENTS.get(event, event) if lang == "zh" else event


def action_label(action: str, lang: str = "en") -> str:
    """An action as a diagram shows it, e.g. ``snd SYN,ACK`` or ``发送 SYN,ACK``."""
    _check(lang)
    short = _SHORT_ACTIONS.get(action, action)
    return _ZH_ACTIONS.get(short, short) if lang == "zh" else short


def phrase(text: str, lang: str = "en") -> str:
    """One of the few fixed words diagrams use (``active close``, ``lost`` ...)."""
    _check(lang)
    return _ZH_PHRASES.get(text, text) if lang == "zh" else _EN_PHRASES.get(text, text)


def edge_label(event: str, actions, lang: str = "en") -> str:
    """``event / action, action`` in the RFC's style (``rcv SYN / snd SYN,ACK``)."""
    acts = [action_label(a, lang) for a in actions]
    head = event_label(event, lang)
    return f"{head} / {', '.join(acts)}" if acts else head


def say(text: str, lang: str = "en") -> str:
    """Prose of the model in ``lang``.  A :class:`~tcpcheck.model.properties.Text`
    (a finding, why a property fails) is said from the translation of its
    template, each fact said in its turn; other text, and a Text whose
    template has no translation, stays as it is.

    >>> say(Text("stops", "it stops"), "zh")
    '它停了下来'
    """
    _check(lang)
    if lang == "en" or not isinstance(text, Text) or text.key not in zh_texts.TEXTS:
        return str(text)
    facts = {k: say(v, lang) if isinstance(v, Text) else v for k, v in text.facts.items()}
    return zh_texts.TEXTS[text.key].format(**facts)


def question(name: str, english: str, lang: str = "en") -> str:
    """The question of experiment ``name`` (``english`` is the model's wording)."""
    _check(lang)
    return zh_texts.QUESTIONS.get(name, english) if lang == "zh" else english


_REACHABLE = re.compile(r"(\S+) is reachable")


def property_name(name: str, lang: str = "en") -> str:
    """A property's name, e.g. ``deadlock freedom`` or ``无死锁``."""
    _check(lang)
    if lang == "en":
        return name
    m = _REACHABLE.fullmatch(name)
    if m:
        return zh_texts.PROPERTY_NAMES["{state} is reachable"].format(state=m.group(1))
    return zh_texts.PROPERTY_NAMES.get(name, name)


def mutant_description(name: str, english: str, lang: str = "en") -> str:
    """What mutant ``name`` changes (``english`` is the model's wording)."""
    _check(lang)
    return zh_texts.MUTANT_DESCRIPTIONS.get(name, english) if lang == "zh" else english
