"""The explorer page's own words, in English and Chinese.

The page holds no text of its own: it asks ``/api/texts?lang=..`` for these,
each said through :func:`~..i18n.translator` (context ``explore``), so that
the catalogue test finds every one of them and fails on any without Chinese.

>>> ui_texts("en")["back"], ui_texts("zh")["back"]
('Back', '后退')
"""

from __future__ import annotations

from ..i18n import translator

__all__ = ["ui_texts"]


def ui_texts(lang: str) -> dict[str, str]:
    """The page's words in ``lang``, by key."""
    _ = translator(lang)
    return {
        "title": _("tcpcheck explore", "explore"),
        "configuration": _("Configuration", "explore"),
        "rules": _("Rule table", "explore"),
        "state": _("Current state", "explore"),
        "endpoint": _("Endpoint", "explore"),
        "tcb": _("TCB", "explore"),
        "application": _("Application", "explore"),
        "in_flight": _("In flight", "explore"),
        "nothing_in_flight": _("nothing", "explore"),
        "lost": _("segments lost so far: {n}", "explore"),
        "enabled": _("Steps enabled here (click one to take it)", "explore"),
        "no_steps": _("Nothing can happen any more.", "explore"),
        "acceptable_end": _("This is an acceptable end: nothing in flight, each endpoint CLOSED or LISTENing.",
                            "explore"),
        "deadlock_end": _("The run is stuck here: this is a deadlock.", "explore"),
        "sends": _("sends", "explore"),
        "dropped": _("(dropped: the channel is full)", "trace"),
        "run": _("The run so far", "explore"),
        "initial": _("initial state", "trace"),
        "back": _("Back", "explore"),
        "forward": _("Forward", "explore"),
        "restart": _("Start again", "explore"),
        "undo": _("Undo the last step", "explore"),
        "chart": _("Message sequence chart", "explore"),
        "no_chart": _("No chart: Graphviz's dot program is not installed.", "explore"),
        "flagged": _("Properties this run violates", "explore"),
        "none_flagged": _("None so far: every invariant and step property holds on this run.", "explore"),
        "at_step": _("at step {n}", "explore"),
        "reach": _("What can happen from here", "explore"),
        "reach_button": _("Explore from here", "explore"),
        "reach_summary": _("{states} states reachable from here, {deadlocks} of them deadlocks, "
                           "{terminal} where nothing can happen.", "explore"),
        "reach_incomplete": _("The search stopped at {limit} states: more may be reachable.", "explore"),
        "reach_state": _("state", "explore"),
        "reach_no": _("no", "explore"),
        "reach_steps": _("The fewest steps from here to each state, for each endpoint (click a number to go there):",
                          "explore"),
        "reach_go": _("go there", "explore"),
        "check": _("Counterexamples of check", "explore"),
        "check_button": _("Check every property", "explore"),
        "open_run": _("open the run", "explore"),
        "holds": _("holds", "explore"),
        "violated": _("violated", "explore"),
        "unknown": _("unknown", "explore"),
        "language": _("Language", "explore"),
        "error": _("Error", "explore"),
    }
