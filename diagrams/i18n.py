"""Labels for diagrams in English and Chinese.

State names stay as the RFC writes them in every language; events, actions
and the few words diagrams use around them are translated.  English labels
are the rule table's own words, shortened where the RFC's segment notation
would not fit on an arrow (``snd <SEQ=SEG.ACK><CTL=RST>`` is drawn ``snd RST``).

The Chinese comes from the gettext catalogue of :mod:`tcpcheck.model.i18n`
(contexts ``event``, ``action`` and ``phrase``); the model's prose
(experiments' questions and findings, why a property fails, property names,
mutant descriptions) is said by :func:`say`, :func:`question`,
:func:`property_name` and :func:`mutant_description`, from the same catalogue.
"""

from __future__ import annotations

from tcpcheck.model.i18n import LANGS, N_, property_name, say, translator

__all__ = ["LANGS", "event_label", "action_label", "phrase", "edge_label",
           "say", "question", "property_name", "mutant_description", "SHORT_ACTIONS", "PHRASE_KEYS"]

#: Actions whose RFC notation is too long for an arrow, and what is drawn instead.
SHORT_ACTIONS = {
    "snd <SEQ=SND.NXT><CTL=RST>": "snd RST",
    "snd <SEQ=SEG.ACK><CTL=RST>": "snd RST",
    "snd <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>": "snd RST,ACK",
    "snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>": "snd RST,ACK",  # linux.rules' ABORT
}

#: English wording of phrases whose key is a short name: ``phrase("dropped")``.
PHRASE_KEYS = {"dropped": N_("dropped (channel full)", "phrase")}


def event_label(event: str, lang: str = "en") -> str:
    """An event as a diagram shows it, e.g. ``rcv SYN`` or ``收到 SYN``."""
    return translator(lang)(event, "event")


def action_label(action: str, lang: str = "en") -> str:
    """An action as a diagram shows it, e.g. ``snd SYN,ACK`` or ``发送 SYN,ACK``."""
    return translator(lang)(SHORT_ACTIONS.get(action, action), "action")


def phrase(text: str, lang: str = "en") -> str:
    """One of the few fixed words diagrams use (``active close``, ``lost`` ...)."""
    return translator(lang)(PHRASE_KEYS.get(text, text), "phrase")


def edge_label(event: str, actions, lang: str = "en") -> str:
    """``event / action, action`` in the RFC's style (``rcv SYN / snd SYN,ACK``)."""
    acts = [action_label(a, lang) for a in actions]
    head = event_label(event, lang)
    return f"{head} / {phrase(', ', lang).join(acts)}" if acts else head


def question(name: str, english: str, lang: str = "en") -> str:
    """The question of experiment ``name`` (``english`` is the model's wording)."""
    return translator(lang)(english, "question")


def mutant_description(name: str, english: str, lang: str = "en") -> str:
    """What mutant ``name`` changes (``english`` is the model's wording)."""
    return translator(lang)(english, "mutant")
