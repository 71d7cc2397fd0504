"""The languages tcpcheck speaks: English, and Chinese from a gettext catalogue.

English is the message itself (the msgid); Chinese comes from the standard
GNU gettext catalogue ``locale/zh/LC_MESSAGES/tcpcheck.po`` beside this file,
read at run time through Python's :mod:`gettext` from its compiled
``tcpcheck.mo``.  After editing the ``.po``, recompile it (Babel)::

    pybabel compile -d model/locale -D tcpcheck --statistics

``tests/test_i18n.py`` fails when the committed ``.mo`` is not what the
``.po`` compiles to, and when any message the program can ask for has no
Chinese (there is no silent fallback to English).

A caller translates its own sentences like this::

    from tcpcheck.model.i18n import translator
    _ = translator(lang)             # lang from language(args.lang)
    print(_("{n} states explored").format(n=n))
    _("holds", context="verdict")    # a context tells apart equal English words
    _.ngettext("{n} violation", "{n} violations", k).format(n=k)

``_`` must be called with a literal string (no f-string: the placeholders are
filled in after translation), so that the test finds every message; English
kept in data is marked with :func:`N_` where it is written.  Messages are
grouped by context: ``event``, ``action`` (the rule table's vocabulary),
``phrase`` (diagram words), ``property``, ``mutant``, ``question``, ``text``
(the templates of :class:`~tcpcheck.model.properties.Text`), ``report`` and
``trace`` (the experiments report, and every trace line), ``verdict`` and
``kind`` (check's columns), ``preset`` (the presets' notes), ``fairness``,
``obligation``, ``assumption`` and ``proof`` (prove's words); a command's own
sentences have none (check's summary, :mod:`tcpcheck.model.report`).

The language is ``--lang`` when given, else the locale: the first of
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set and not empty decides
(POSIX's order), Chinese when it starts with ``zh`` (``zh_CN.UTF-8``,
``zh_TW``...), English otherwise.  State names, segment notation, TCB fields
and RFC section numbers are never translated.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
from pathlib import Path

__all__ = ["LANGS", "DOMAIN", "LOCALE_DIR", "language", "add_lang_option", "translator", "Translator",
           "N_", "say", "property_name", "property_names", "canonical_property"]

LANGS = ("en", "zh")

#: The gettext domain: ``tcpcheck.po`` / ``tcpcheck.mo``.
DOMAIN = "tcpcheck"

#: The catalogues, ``LOCALE_DIR/<lang>/LC_MESSAGES/tcpcheck.mo``.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def _check(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}'; expected one of {', '.join(LANGS)}")


def language(requested: str | None = None, environ=None) -> str:
    """The language to speak: ``requested`` (``--lang``) when given, else the
    locale's (``zh`` when LC_ALL, LC_MESSAGES or LANG, the first one set,
    starts with ``zh``), else ``en``.

    >>> language("zh"), language(None, {"LANG": "zh_CN.UTF-8"}), language(None, {})
    ('zh', 'zh', 'en')
    >>> language(None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"})  # LC_ALL wins
    'en'
    """
    if requested is not None:
        _check(requested)
        return requested
    env = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def add_lang_option(parser) -> None:
    """Add ``--lang {en,zh}`` to an argparse parser; read it with
    ``language(args.lang)`` (absent: the locale decides)."""
    parser.add_argument("--lang", choices=LANGS, default=None,
                        help="language of what is printed: en, or zh for Chinese (default: the "
                             "locale's, zh when LC_ALL, LC_MESSAGES or LANG starts with 'zh'; state "
                             "names and segment notation stay as the RFC writes them)")


class Translator:
    """Says English messages in one language: ``_(message, context=None)``.

    English is the message itself; a message the catalogue lacks comes back
    as it is (the tests make sure none is lacking).
    """

    def __init__(self, lang: str, catalogue: gettext.NullTranslations):
        self.lang = lang
        self._catalogue = catalogue

    def __call__(self, message: str, context: str | None = None) -> str:
        if context is None:
            return self._catalogue.gettext(message)
        return self._catalogue.pgettext(context, message)

    def ngettext(self, singular: str, plural: str, n: int, context: str | None = None) -> str:
        """The form of a message for the count ``n`` (Chinese has one form)."""
        if context is None:
            return self._catalogue.ngettext(singular, plural, n)
        return self._catalogue.npgettext(context, singular, plural, n)

    def __repr__(self) -> str:
        return f"translator({self.lang!r})"


@functools.lru_cache(maxsize=None)
def translator(lang: str = "en") -> Translator:
    """The :class:`Translator` of ``lang`` (``en`` or ``zh``)."""
    _check(lang)
    if lang == "en":
        return Translator(lang, gettext.NullTranslations())
    # fallback=False: a missing .mo is a broken install, not English in disguise
    return Translator(lang, gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=False))


def N_(message: str, context: str | None = None) -> str:
    """Mark English kept in data as a message (for the extraction test); it is
    translated where it is said: ``translator(lang)(message, context)``."""
    return message


# --- the model's prose -----------------------------------------------------------

def say(text: str, lang: str = "en") -> str:
    """Prose of the model in ``lang``.  A :class:`~tcpcheck.model.properties.Text`
    (a finding, why a property fails) is said from the translation of its
    template (context ``text``), each fact said in its turn; other text stays
    as it is.

    >>> from tcpcheck.model.properties import Text
    >>> say(Text("stops", "it stops"), "zh")
    '它停了下来'
    """
    _ = translator(lang)
    template = getattr(text, "template", None)
    if lang == "en" or template is None:
        return str(text)
    facts = {k: say(v, lang) if getattr(v, "template", None) is not None else v
             for k, v in text.facts.items()}
    return _(template, "text").format(**facts)


_REACHABLE = re.compile(r"(\S+) is reachable")

#: The name of each reachability property, one per state.
REACHABLE = "{state} is reachable"


def property_name(name: str, lang: str = "en") -> str:
    """A property's name in ``lang``, e.g. ``deadlock freedom`` or ``无死锁``.

    >>> property_name("TIME_WAIT is reachable", "zh")
    'TIME_WAIT 可达'
    """
    _ = translator(lang)
    if lang == "en":
        return name
    m = _REACHABLE.fullmatch(name)
    if m:
        return _(REACHABLE, "property").format(state=m.group(1))
    return _(name, "property")


def property_names(lang: str = "en") -> list[str]:
    """Every property's name in ``lang``, in the model's order (for "did you mean").

    >>> property_names("zh")[-3:]
    ['无死锁', '每次关闭都会完成', 'SYN_SENT 终将到达 ESTABLISHED 或 CLOSED']
    """
    from .properties import PROPERTIES

    return [property_name(p.name, lang) for p in PROPERTIES]


def _squash(text: str) -> str:
    return "".join(text.split())


def canonical_property(name: str) -> str | None:
    """The English name of the property ``name`` names, in English or in
    Chinese (spaces aside: ``CLOSED可达`` is ``CLOSED 可达``), or None.

    >>> canonical_property("无死锁"), canonical_property("deadlock  freedom")
    ('deadlock freedom', 'deadlock freedom')
    >>> canonical_property("TIME_WAIT 可达"), canonical_property("no such property")
    ('TIME_WAIT is reachable', None)
    """
    from .properties import PROPERTIES  # properties does not import this module: no cycle

    english = " ".join(name.split())
    squashed = _squash(name)
    for p in PROPERTIES:
        if english == p.name or squashed == _squash(property_name(p.name, "zh")):
            return p.name
    return None
