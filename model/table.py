"""Rule tables: ``(state, event) -> (actions, next state)`` in the RFC's words.

Layer 2 of the model.  A rule table is a text file a person can write (the
reference one is ``rfc9293.rules`` beside this module; a student's table is
the same kind of file).  Each non-comment line is one row::

    from states        | event       | actions (;-separated) | to     | source
    CLOSED             | active OPEN | create TCB; snd SYN   | SYN_SENT | Fig. 5

``from`` lists one or more states separated by commas; a state may carry a
qualifier ``[passive]`` or ``[active]`` (how the connection was opened,
Figure 5 note 1).  ``to`` is a state or ``same``.  Actions may be empty or
``-``.  The loader checks every row against the event and action
vocabularies and reports problems as ``file:line: what is wrong``; it also
checks that the table is complete: every event the segment semantics can
produce in a state has a row.

This module parses and validates; it does not run anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .actions import ACTIONS
from .errors import InputError, read_input
from .events import ARRIVALS, CALLS, CONTROL, TEXT, TIMERS, arrival_events
from .tcb import STATES

__all__ = ["Rule", "RuleTable", "TableError", "load_table", "parse_table", "REFERENCE"]

#: The reference table: RFC 9293 Figure 5, its notes, and section 3.10.
REFERENCE = Path(__file__).with_name("rfc9293.rules")

QUALIFIERS = ("passive", "active")
_ARRIVAL_NAMES = {e.name for e in ARRIVALS}


class TableError(InputError):
    """A rule table that cannot be used; the message names file, line and problem."""


class Rule(NamedTuple):
    """One (state, event) entry of a table after a row's states are expanded."""

    id: int
    state: str
    qualifier: str | None
    event: str
    actions: tuple[str, ...]
    to: str
    source: str
    where: str  # "file:line"

    def describe(self) -> str:
        """The rule as an edge of Figure 5: ``STATE --event / actions--> NEXT``."""
        q = f"[{self.qualifier}]" if self.qualifier else ""
        act = " / " + "; ".join(self.actions) if self.actions else ""
        return f"{self.state}{q} --{self.event}{act}--> {self.to}"


class RuleTable:
    """A validated rule table with lookup by (state, event, how it was opened)."""

    def __init__(self, rules: list[Rule], name: str, arrivals: tuple = ARRIVALS):
        self.rules = tuple(rules)
        self.name = name
        #: The segment semantics the table is run with: events.py's, unless a
        #: variant of the model (mutants.py) changes a guard or an effect.
        self.arrivals = arrivals
        self._index = {(r.state, r.qualifier, r.event): r for r in rules}

    def with_arrivals(self, arrivals: tuple, name: str) -> "RuleTable":
        """The same rows run with another segment semantics (same event names)."""
        return RuleTable(list(self.rules), name, arrivals)

    def lookup(self, state: str, event: str, passive: bool) -> Rule | None:
        """The rule for ``event`` in ``state``, or None when the table has none."""
        r = self._index.get((state, "passive" if passive else "active", event))
        return r if r is not None else self._index.get((state, None, event))

    def rules_for(self, state: str, event: str) -> list[Rule]:
        """Every row for ``event`` in ``state``: one, or one per qualifier."""
        return [r for q in (None, *QUALIFIERS) if (r := self._index.get((state, q, event))) is not None]

    def has(self, state: str, event: str) -> bool:
        """Whether any row (qualified or not) handles ``event`` in ``state``."""
        return any((state, q, event) in self._index for q in (None, *QUALIFIERS))


def _split_states(text: str, where: str) -> list[tuple[str, str | None]]:
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            raise TableError(f"{where}: empty state name in '{text}'")
        qual = None
        if item.endswith("]") and "[" in item:
            item, qual = item[:-1].split("[", 1)
            item, qual = item.strip(), qual.strip()
            if qual not in QUALIFIERS:
                raise TableError(f"{where}: unknown qualifier [{qual}]; expected [passive] or [active]")
        if item not in STATES:
            raise TableError(f"{where}: unknown state '{item}'; expected one of {', '.join(STATES)}")
        out.append((item, qual))
    return out


def _check_event(state: str, event: str, where: str) -> None:
    if event in CALLS or event in TIMERS:
        return
    if event in _ARRIVAL_NAMES:
        if not any(e.name == event for stage in (CONTROL, TEXT) for e in arrival_events(state, stage)):
            allowed = sorted({e.name for st in (CONTROL, TEXT) for e in arrival_events(state, st)})
            raise TableError(f"{where}: event '{event}' cannot happen in {state}; "
                             f"the arrival events of {state} are: {', '.join(allowed)}")
        return
    raise TableError(f"{where}: unknown event '{event}'; expected a user call ({', '.join(CALLS)}), "
                     f"a timeout ({', '.join(TIMERS)}) or an arrival event such as "
                     f"'rcv SYN' (see events.py)")


def parse_table(text: str, name: str) -> RuleTable:
    """Parse and validate the text of a rule table; ``name`` is used in messages."""
    rules: list[Rule] = []
    seen: dict[tuple[str, str | None, str], str] = {}
    first_row: dict[str, int] = {}  # state -> line of its first row
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{name}:{lineno}"
        cols = [c.strip() for c in line.split("|")]
        if len(cols) == 4:
            cols.append("")
        if len(cols) != 5:
            raise TableError(f"{where}: expected 4 or 5 columns separated by '|' "
                             f"(from | event | actions | to | source), found {len(cols)}")
        states_text, event, actions_text, to_text, source = cols
        actions = tuple(a.strip() for a in actions_text.split(";") if a.strip() and a.strip() != "-")
        for a in actions:
            if a not in ACTIONS:
                raise TableError(f"{where}: unknown action '{a}'; expected one of: {', '.join(ACTIONS)}")
        if to_text != "same" and to_text not in STATES:
            raise TableError(f"{where}: unknown next state '{to_text}'; expected 'same' or one of "
                             f"{', '.join(STATES)}")
        for state, qual in _split_states(states_text, where):
            first_row.setdefault(state, lineno)
            _check_event(state, event, where)
            key = (state, qual, event)
            if key in seen:
                raise TableError(f"{where}: {state} already has a rule for '{event}' at {seen[key]}")
            seen[key] = where
            to = state if to_text == "same" else to_text
            _check_consistency(state, event, actions, to, where)
            rules.append(Rule(len(rules), state, qual, event, actions, to, source, where))
    table = RuleTable(rules, name)
    _check_qualifiers(table, seen)
    _check_complete(table, first_row, len(text.splitlines()) + 1)
    return table


def _check_consistency(state, event, actions, to, where):
    deletes = "delete TCB" in actions
    if state != "CLOSED" and to == "CLOSED" and not deletes:
        raise TableError(f"{where}: {state} --{event}--> CLOSED must 'delete TCB'")
    if deletes and to != "CLOSED":
        raise TableError(f"{where}: 'delete TCB' must lead to CLOSED, not {to}")
    if ("return to LISTEN" in actions) != (to == "LISTEN" and state not in ("CLOSED", "LISTEN")):
        raise TableError(f"{where}: a rule that goes back to LISTEN from {state} must "
                         f"'return to LISTEN', and only such a rule may")
    proceeds = any(e.proceed for e in arrival_events(state) if e.name == event)
    if proceeds and to != "CLOSED" and not arrival_events(to, TEXT):
        raise TableError(f"{where}: after '{event}' the segment's text and FIN are processed, "
                         f"but {to} has no text stage; lead to a synchronized state or CLOSED")


def _check_qualifiers(table, seen):
    for (state, qual, event), where in seen.items():
        if qual is None:
            continue
        if (state, None, event) in seen:
            raise TableError(f"{where}: {state}[{qual}] and {state} both handle '{event}'; "
                             f"use either the qualified rows or the plain one")
        other = "active" if qual == "passive" else "passive"
        if (state, other, event) not in seen:
            raise TableError(f"{where}: {state}[{qual}] handles '{event}' but {state}[{other}] does not")


def _check_complete(table, first_row: dict[str, int], end: int):
    """Every arrival event of every state has a row.  The error points at the
    first row of the first state that lacks one (or the end of the file)."""
    missing = [(s, e.name) for s in STATES for stage in (CONTROL, TEXT)
               for e in arrival_events(s, stage) if not table.has(s, e.name)]
    missing = list(dict.fromkeys(missing))
    if missing:
        line = first_row.get(missing[0][0], end)
        listed = "; ".join(f"{s}: {e}" for s, e in missing)
        raise TableError(f"{table.name}:{line}: the table does not say what to do on "
                         f"{len(missing)} arrival event(s): {listed}")


def load_table(path: str | Path = REFERENCE) -> RuleTable:
    """Load and validate the rule table at ``path`` (the reference table by default)."""
    p = Path(path)
    text = read_input(p, "the rule table", TableError)
    name = p.name if p == REFERENCE else str(p)
    return parse_table(text, name)
