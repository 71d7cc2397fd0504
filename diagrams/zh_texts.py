"""The Chinese of the experiments report under its old keys (a transition).

The translations themselves live in the gettext catalogue of
:mod:`tcpcheck.model.i18n` (``model/locale/zh/LC_MESSAGES/tcpcheck.po``);
this module only keeps :data:`REPORT` and :data:`TRACE`, which
:mod:`tcpcheck.diagrams.experiments` still reads by key, as read-only views
of that catalogue: ``REPORT[key]`` is the Chinese of the report's English
``_EN.get(key, key)`` (context ``report``), ``TRACE[key]`` that of a trace
line's English as ``tcpcheck.model.report.trace_lines`` writes it (context
``trace``).  A key whose English has no Chinese is missing (KeyError), not
English.  Once the report calls ``translator(lang)(english, "report")``
itself, this module can go.
"""

from __future__ import annotations

from collections.abc import Mapping

from tcpcheck.model.i18n import translator

__all__ = ["REPORT", "TRACE", "TRACE_ENGLISH"]

#: What each key of :data:`TRACE` says in English (``model/report.py`` trace_lines).
TRACE_ENGLISH = {
    "initial state": "initial state",
    "call": "{actor}: {event}",
    "rcv": "{actor} receives {segment}: {events}",
    "lose": "network loses {segment} ({direction})",
    "duplicate": "network duplicates {segment} ({direction})",
    "dropped": "(dropped: the channel is full)",
    "events": "; ",  # between the events of one arrival
}


class _Catalogue(Mapping):
    """The Chinese of some English, by key: a view of the gettext catalogue."""

    def __init__(self, context: str, english):
        self._context, self._english = context, english

    def _keys(self):
        return self._english()

    def __getitem__(self, key: str) -> str:
        english = self._keys()
        if key not in english:
            raise KeyError(key)
        zh = translator("zh")(english[key], self._context)
        if zh == english[key]:
            raise KeyError(key)  # untranslated: never English in disguise
        return zh

    def __iter__(self):
        return (k for k in self._keys() if k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _report_english() -> dict[str, str]:
    from . import experiments  # imports this module: read when asked, not at import
    words = ("confirmed", "qualified", "refuted", "holds", "violated", "unknown", "Verdict",
             "as expected", "NOT as expected", "witness", "counterexample", "Claims", "Experiment",
             "yes", "no", "the same", "DIFFERENT", "as on the reference table")
    return {**{w: w for w in words}, **experiments._EN}


#: The experiments report's words in Chinese, by the keys of ``diagrams/experiments.py``.
REPORT: Mapping[str, str] = _Catalogue("report", _report_english)

#: What a numbered step of a trace says in Chinese, by key.
TRACE: Mapping[str, str] = _Catalogue("trace", lambda: TRACE_ENGLISH)
