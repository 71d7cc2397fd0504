"""The Chinese of the experiments report under its old keys (a transition).

The translations themselves live in the gettext catalogue of
:mod:`tcpcheck.model.i18n` (``model/locale/zh/LC_MESSAGES/tcpcheck.po``);
:mod:`tcpcheck.diagrams.experiments` asks it for the report's words itself
(``WORDS``, ``_EN``, ``TRACE_ENGLISH``).  This module only keeps, for the
tests that still read them, :data:`REPORT` and :data:`TRACE` as read-only
views of that catalogue: ``REPORT[key]`` is the Chinese of the report's English
``_EN.get(key, key)`` (context ``report``), ``TRACE[key]`` that of a trace
line's English as ``tcpcheck.model.report.trace_lines`` writes it (context
``trace``).  A key whose English has no Chinese is missing (KeyError), not
English.  It goes once tests/test_i18n.py reads diagrams/experiments.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from tcpcheck.model.i18n import translator

from . import experiments as _experiments

__all__ = ["REPORT", "TRACE", "TRACE_ENGLISH"]

#: What each key of :data:`TRACE` says in English (``diagrams/experiments.py`` has it now).
TRACE_ENGLISH = _experiments.TRACE_ENGLISH


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
    return {**{w: w for w in _experiments.WORDS}, **_experiments._EN}


#: The experiments report's words in Chinese, by the keys of ``diagrams/experiments.py``.
REPORT: Mapping[str, str] = _Catalogue("report", _report_english)

#: What a numbered step of a trace says in Chinese, by key.
TRACE: Mapping[str, str] = _Catalogue("trace", lambda: TRACE_ENGLISH)
