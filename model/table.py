"""Rule tables: ``(state, event) -> (actions, next state)`` in the RFC's words.

Layer 2 of the model.  A rule table is a text file a person can write (the
reference one is ``rfc9293.rules`` beside this module; a student's table is
the same kind of file).  Each non-comment line is one row::

    from states        | event       | actions (;-separated) | to     | source
    CLOSED             | active OPEN | create TCB; snd SYN   | SYN_SENT | Fig. 5

``from`` lists one or more states separated by commas; a state may carry a
qualifier ``[passive]`` or ``[active]`` (how the connection was opened,
Figure 5 note 1).  ``to`` is a state or ``same``.  Actions may be empty or
``-``.  States may be written as the RFC writes them: in any case, with
hyphens or spaces for underscores (``TIME-WAIT``, ``fin_wait_2``),
``SYN-RECEIVED`` for SYN_RCVD and ``ESTAB`` for ESTABLISHED
(:func:`canonical_state`); the table holds the names of ``tcb.STATES``.

The loader checks every row against the event and action vocabularies and
checks that the table is complete: every event the segment semantics can
produce in a state has a row.  Student tables are untrusted data, so it
reports *every* problem of a file at once, each as ``file:line: what is
wrong`` (with a "did you mean" where a name is close to a known one), in one
:class:`TableError` whose ``errors`` lists them.  The full-width marks a Chinese
keyboard types for the syntax's '|', ';', ',' and '[ ]' are named as such, and
a file without a row says so.  With ``partial=True`` an
incomplete table is accepted: each missing cell gets a rule that does
nothing and stays in its state (:attr:`RuleTable.missing`).

This module parses and validates; it does not run anything.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from .actions import ACTIONS, ONLY_ON, READS_SEGMENT
from .errors import InputError, read_input
from .events import (ARRIVALS, CALLS, CONTROL, REFINEMENTS, TEXT, TIMER_STATES, TIMERS, arrival_events,
                     refined_arrivals, refinement)
from .tcb import STATES

__all__ = ["Rule", "RuleTable", "TableError", "load_table", "parse_table", "canonical_state",
           "REFERENCE", "LINUX", "MAX_BYTES", "MAX_ERRORS"]

#: The reference table: RFC 9293 Figure 5, its notes, and section 3.10.
REFERENCE = Path(__file__).with_name("rfc9293.rules")

#: The linux profile's table: the reference's rows with Linux's choices (profiles.py).
LINUX = Path(__file__).with_name("linux.rules")

#: The largest rule table :func:`load_table` reads (the reference is about 8 KiB).
MAX_BYTES = 256 * 1024

#: At most this many problems are listed; the rest are counted ("... and N more").
MAX_ERRORS = 50

QUALIFIERS = ("passive", "active")
_ARRIVAL_NAMES = {e.name for e in ARRIVALS}
_REFINEMENT_NAMES = {r.event.name for r in REFINEMENTS}
_EVENTS = (*CALLS, *TIMERS, *dict.fromkeys(e.name for e in ARRIVALS), *dict.fromkeys(_REFINEMENT_NAMES))

#: Spellings of states other than "the canonical name in any case, with
#: hyphens or spaces for underscores": RFC 9293 writes SYN-RECEIVED in the
#: text and ESTAB in Figure 5.
_STATE_ALIASES = {"SYN_RECEIVED": "SYN_RCVD", "ESTAB": "ESTABLISHED"}


class TableError(InputError):
    """A rule table that cannot be used.

    ``errors`` lists the problems found (at most :data:`MAX_ERRORS`), each
    ``"file:line: what is wrong"``; ``omitted`` counts the ones left out.
    ``str()`` is the list joined by newlines (then ``... and N more``).
    Constructed from one message, it is a one-problem error."""

    def __init__(self, errors: str | list[str], omitted: int = 0):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        self.omitted = omitted
        more = [f"... and {omitted:,} more"] if omitted else []
        super().__init__("\n".join(self.errors + more))


def canonical_state(text: str) -> str | None:
    """The state of ``tcb.STATES`` that ``text`` spells, or None.

    Case does not matter and hyphens, spaces and underscores are the same;
    SYN-RECEIVED and ESTAB (the RFC's own words) are accepted too.

    >>> canonical_state("TIME-WAIT"), canonical_state("syn received"), canonical_state("Estab")
    ('TIME_WAIT', 'SYN_RCVD', 'ESTABLISHED')
    >>> canonical_state("FIN_WAIT") is None
    True
    """
    key = _state_key(text)
    return key if key in STATES else _STATE_ALIASES.get(key)


def _state_key(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip()).upper()


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
    """A validated rule table with lookup by (state, event, how it was opened).

    ``missing`` holds the ids of the rules the loader added in partial mode,
    one per (state, arrival event) the table has no row for (see
    :func:`parse_table`); it is ``()`` for a complete table."""

    def __init__(self, rules: list[Rule], name: str, arrivals: tuple = ARRIVALS,
                 missing: tuple[int, ...] = ()):
        self.rules = tuple(rules)
        self.name = name
        #: The segment semantics the table is run with: events.py's, unless a
        #: variant of the model (mutants.py) changes a guard or an effect, or
        #: a partial table's filler rule must not go on to a text stage.
        self.arrivals = arrivals
        #: Ids of the filler rules of a partial table (``source == "missing"``).
        self.missing = tuple(missing)
        self._index = {(r.state, r.qualifier, r.event): r for r in rules}

    def with_arrivals(self, arrivals: tuple, name: str) -> "RuleTable":
        """The same rows run with another segment semantics (same event names)."""
        return RuleTable(list(self.rules), name, arrivals, self.missing)

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


# --- "did you mean" ------------------------------------------------------------------

_STRONG = 0.85  # a match this close is suggested before any other kind of hint
_FLAGS = {"syn", "fin", "rst"}


def _norm(text: str) -> str:
    """Case folded, runs of spaces, commas, slashes, '+', '-' and '_' as one space."""
    return " ".join(re.split(r"[\s,/+_-]+", text.casefold())).strip()


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _suggest(word: str, choices: dict[str, str], cutoff: float) -> list[str]:
    """What ``word`` may have meant: up to three values of ``choices``
    (spelling -> what to suggest), best first; [] when nothing is close.

    In order: the same words in another case or with other separators; a
    flag list with an ACK that the vocabulary leaves implicit ("snd FIN,ACK"
    is 'snd FIN'); a close spelling (difflib ratio >= 0.85); the one to three
    choices that contain every word of ``word``; a spelling at least
    ``cutoff`` close.  Ties keep the order of ``choices``."""
    key = _norm(word)
    if not key:
        return []
    spelled = {_norm(k): v for k, v in choices.items()}
    if key in spelled:
        return [spelled[key]]
    toks = _tokens(word)
    if "ack" in toks and _FLAGS & set(toks):
        by_words = {" ".join(_tokens(k)): v for k, v in choices.items()}
        without = " ".join(t for t in toks if t not in ("ack", "and"))
        if without in by_words:
            return [by_words[without]]
    scored = sorted(((difflib.SequenceMatcher(None, key, _norm(k)).ratio(), -i, v)
                     for i, (k, v) in enumerate(choices.items())), reverse=True)
    best = scored[0][0]

    def near() -> list[str]:
        return list(dict.fromkeys(v for r, _, v in scored if r >= best - 0.02))[:3]

    if best >= _STRONG:
        return near()
    if toks:
        contained = list(dict.fromkeys(v for k, v in choices.items() if set(toks) <= set(_tokens(k))))
        if 1 <= len(contained) <= 3:
            return contained
    return near() if best >= cutoff else []


def _one_of(items: list[str]) -> str:
    """'A', 'A or B', 'A, B or C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _quoted(items: list[str]) -> list[str]:
    return [f"'{x}'" for x in items]


_STATE_CHOICES = {**{s: s for s in STATES}, **_STATE_ALIASES}
_NEXT_CHOICES = {**_STATE_CHOICES, "same": "'same'", "stay": "'same'", "unchanged": "'same'"}
# server/client are suggestions only: the qualifier says how the connection was opened
_QUALIFIER_CHOICES = {"passive": "passive", "active": "active", "server": "passive", "client": "active",
                      "listen": "passive", "connect": "active", "passive OPEN": "passive",
                      "active OPEN": "active"}
# the vocabulary only the linux profile uses (events.py, actions.py) is suggested only when
# nothing of RFC 9293's is close: a student's 'timeout' or 'snd RST' means an RFC one
_PROFILE_EVENTS = ("FIN_WAIT_2 timeout", *sorted(_REFINEMENT_NAMES))
_PROFILE_ACTIONS = ("snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>", "create TCB, ISS = SND.NXT+65537")
_EVENT_CHOICES = {e: e for e in _EVENTS if e not in _PROFILE_EVENTS}
_PROFILE_EVENT_CHOICES = {e: e for e in _PROFILE_EVENTS}
# the two actions that exist only for the mutants (actions.py) are never suggested
_MUTANT_ACTIONS = ("snd FIN without sequence number", "retransmit, but never a FIN")
_ACTION_CHOICES = {a: a for a in ACTIONS if a not in _MUTANT_ACTIONS and a not in _PROFILE_ACTIONS}
_PROFILE_ACTION_CHOICES = {a: a for a in _PROFILE_ACTIONS}


def _unknown_state(item: str) -> str:
    words = item.split()
    if len(words) >= 2 and all(canonical_state(w) for w in words):  # 'ESTABLISHED CLOSE_WAIT'
        listed = ", ".join(canonical_state(w) for w in words)
        return f"unknown state '{item}'; did you mean {listed}? (states are separated by ',')"
    hint = _suggest(item, _STATE_CHOICES, 0.7)
    if hint:
        return f"unknown state '{item}'; did you mean {_one_of(hint)}?"
    return f"unknown state '{item}'; expected one of {', '.join(STATES)}"


def _unknown_next_state(text: str) -> str:
    if not text:
        return f"no next state (fourth column); expected 'same' or one of {', '.join(STATES)}"
    hint = _suggest(text, _NEXT_CHOICES, 0.7)
    if hint:
        return f"unknown next state '{text}'; did you mean {_one_of(hint)}?"
    return f"unknown next state '{text}'; expected 'same' or one of {', '.join(STATES)}"


def _unknown_qualifier(qual: str) -> str:
    hint = _suggest(qual, _QUALIFIER_CHOICES, 0.6)
    if hint:
        return f"unknown qualifier [{qual}]; did you mean {_one_of([f'[{q}]' for q in hint])}?"
    return f"unknown qualifier [{qual}]; expected [passive] or [active]"


def _unknown_event(event: str) -> str:
    if not event:
        return "no event (second column); expected a user call, a timeout or an arrival event such as 'rcv SYN'"
    hint = _suggest(event, _EVENT_CHOICES, 0.7) or _suggest(event, _PROFILE_EVENT_CHOICES, 0.7)
    if hint:
        return f"unknown event '{event}'; did you mean {_one_of(_quoted(hint))}?"
    return (f"unknown event '{event}'; expected a user call ({', '.join(CALLS)}), "
            f"a timeout ({', '.join(TIMERS)}) or an arrival event such as "
            f"'rcv SYN' (see events.py)")


_SPELLED_ACTIONS = {_norm(a): a for a in ACTIONS}


def _comma_separated_actions(text: str) -> tuple[str, ...] | None:
    """``text`` as two or more actions separated by commas (instead of ';'), or None."""
    parts = text.split(",")
    if len(parts) < 2:
        return None
    spelled = _SPELLED_ACTIONS
    memo: dict[int, tuple[str, ...] | None] = {}

    def split(i: int) -> tuple[str, ...] | None:
        if i == len(parts):
            return ()
        if i not in memo:
            memo[i] = None
            for j in range(len(parts), i, -1):  # longest first: 'snd SYN,ACK' is one action
                a = spelled.get(_norm(",".join(parts[i:j])))
                if a is not None and (tail := split(j)) is not None:
                    memo[i] = (a, *tail)
                    break
        return memo[i]

    found = split(0)
    return found if found is not None and len(found) >= 2 else None


def _unknown_action(action: str) -> str:
    several = _comma_separated_actions(action)
    if several:
        return (f"unknown action '{action}'; did you mean '{'; '.join(several)}'? "
                f"(actions are separated by ';')")
    hint = _suggest(action, _ACTION_CHOICES, 0.7) or _suggest(action, _PROFILE_ACTION_CHOICES, 0.7)
    parts = action.split(",")
    if (len(parts) >= 2 and all(len(p.split()) >= 2 for p in parts)
            and any(_norm(p) in _SPELLED_ACTIONS for p in parts)):  # 'delete TCB, snd RST'
        return f"unknown action '{action}'; actions are separated by ';', not ','"
    if hint:
        return f"unknown action '{action}'; did you mean {_one_of(_quoted(hint))}?"
    return f"unknown action '{action}'; expected one of: {', '.join(ACTIONS)}"


# --- rows ------------------------------------------------------------------------------

# Control characters other than tab (line ends are split off before), the
# Unicode line and paragraph separators and the bidirectional controls: none
# belongs in a text file a person wrote, and they can disguise what a line says.
_BAD_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _bad_char(line: str) -> str | None:
    m = _BAD_CHAR.search(line)
    if m is None:
        return None
    what = "a NUL byte" if m.group() == "\0" else "a control character"
    return (f"{what} (U+{ord(m.group()):04X}) at column {m.start() + 1}; "
            f"a rule table is plain text")


#: What a Chinese keyboard types for the table's own punctuation: the character,
#: what it is, and what the table writes instead (in which columns it can mean that).
#: Only the ASCII marks the syntax uses are listed: '|' between columns, ';' between
#: actions, ',' between states and in the vocabulary ('snd SYN,ACK'), '[ ]' around a
#: qualifier.  (The source column is free text: anything may stand there.)
_WIDE_BAR = ("｜", "a full-width bar", "columns are separated by '|'")
_WIDE = {  # column (from, event, actions) -> (character, what it is, what the table writes)
    0: (("，", "a full-width comma", "states are separated by ','"),
        ("［", "a full-width bracket", "a qualifier is written in '[' and ']', as in SYN_RCVD[passive]"),
        ("］", "a full-width bracket", "a qualifier is written in '[' and ']', as in SYN_RCVD[passive]"),
        ("【", "a Chinese bracket", "a qualifier is written in '[' and ']', as in SYN_RCVD[passive]"),
        ("】", "a Chinese bracket", "a qualifier is written in '[' and ']', as in SYN_RCVD[passive]")),
    1: (("，", "a full-width comma", "events are written with ',', as 'rcv SYN,ACK'"),),
    2: (("；", "a full-width semicolon", "actions are separated by ';'"),
        ("，", "a full-width comma", "actions are written with ',', as 'snd SYN,ACK'")),
}
_ASCII = {"｜": "|", "，": ",", "；": ";", "［": "[", "］": "]", "【": "[", "】": "]"}


def _wide_bars(line: str, errors: list) -> str:
    """``line`` with the full-width bars among its first four column separators
    made '|' (a problem for ``errors`` said once); one in the source column stays."""
    seps = [m.start() for m in re.finditer("[|｜]", line)][:4]
    wide = [i for i in seps if line[i] == _WIDE_BAR[0]]
    if not wide:
        return line
    errors.append(f"'{_WIDE_BAR[0]}' is {_WIDE_BAR[1]}; {_WIDE_BAR[2]}")
    return "".join("|" if i in wide else c for i, c in enumerate(line))


def _wide_marks(cols: list[str], errors: list) -> list[str]:
    """The columns with the full-width forms of the syntax's punctuation (:data:`_WIDE`)
    made ASCII, each kind a problem for ``errors`` (once a row, in column order)."""
    out = list(cols)
    said = set()
    for col, marks in _WIDE.items():
        for char, what, instead in marks:
            if char in out[col]:
                out[col] = out[col].replace(char, _ASCII[char])
                if (char, instead) not in said:
                    said.add((char, instead))
                    errors.append(f"'{char}' is {what}; {instead}")
    return out


class _Later(NamedTuple):
    """A message made only if it is shown (a "did you mean" costs difflib time,
    and an untrusted file may have thousands of faulty rows)."""

    make: object  # (str) -> str
    arg: str

    def __str__(self) -> str:
        return self.make(_clip(self.arg))


def _clip(text: str, width: int = 80) -> str:
    """User text as a message quotes it: at most ``width`` characters."""
    return text if len(text) <= width else text[:width - 3] + "..."


def _split_states(text: str, errors: list, guesses: list | None = None) -> list[tuple[str, str | None]]:
    """The (state, qualifier) pairs of a from column; problems go to ``errors``
    (a state whose qualifier is wrong is still returned, with None).  With
    ``guesses``, the one state an unknown name is close to goes there."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            errors.append(f"empty state name in '{_clip(text)}'")
            continue
        qual = None
        if item.endswith("]") and "[" in item:
            item, qual = item[:-1].split("[", 1)
            item, qual = item.strip(), qual.strip()
            if qual.casefold() in QUALIFIERS:
                qual = qual.casefold()
            else:
                errors.append(_Later(_unknown_qualifier, qual))
                qual = None
        state = canonical_state(item)
        if state is None:
            errors.append(_Later(_unknown_state, item))
            if guesses is not None and len(errors) <= 20 and len(
                    hint := _suggest(_clip(item), _STATE_CHOICES, 0.7)) == 1:
                guesses.append(hint[0])
            continue
        out.append((state, qual))
    return out


def _event_problem(event: str) -> _Later | None:
    if event in CALLS or event in TIMERS or event in _ARRIVAL_NAMES or event in _REFINEMENT_NAMES:
        return None
    return _Later(_unknown_event, event)


def _only_on_problem(event: str, actions: tuple[str, ...]) -> str | None:
    """An action of actions.ONLY_ON on another event."""
    for a in actions:
        if a in ONLY_ON and event not in ONLY_ON[a]:
            return f"'{a}' can only answer {_one_of(_quoted(list(ONLY_ON[a])))}, not '{event}'"
    return None


def _segment_problem(event: str, actions: tuple[str, ...]) -> str | None:
    """An action that reads the arriving segment (SEG.*) on a user call or a timeout,
    where no segment arrives."""
    if event not in CALLS and event not in TIMERS:
        return None
    reads = [a for a in actions if a in READS_SEGMENT]
    if not reads:
        return None
    what = "a user call" if event in CALLS else "a timeout"
    return (f"'{reads[0]}' answers an arriving segment (it reads SEG.*), but '{event}' is {what}: "
            f"no segment arrives; such a reset belongs to a 'rcv ...' event")


def _event_in_state_problem(state: str, event: str) -> str | None:
    if event in TIMER_STATES and state not in TIMER_STATES[event]:
        return (f"the timer '{event}' runs only in {_one_of(list(TIMER_STATES[event]))}, "
                f"not in {state}")
    if event not in _ARRIVAL_NAMES and event not in _REFINEMENT_NAMES:
        return None
    allowed = sorted({e.name for st in (CONTROL, TEXT) for e in arrival_events(state, st)})
    if event in allowed or refinement(state, event) is not None:
        return None
    if event in _REFINEMENT_NAMES:
        where = sorted({s for r in REFINEMENTS if r.event.name == event for s in r.event.states})
        return (f"event '{event}' (a refinement of {_one_of(_quoted(list(_refinement_of(event))))}) "
                f"exists only in {_one_of(where)}, not in {state}")
    return (f"event '{event}' cannot happen in {state}; "
            f"the arrival events of {state} are: {', '.join(allowed)}")


def _refinement_of(event: str) -> tuple[str, ...]:
    return next(r.narrows for r in REFINEMENTS if r.event.name == event)


def _consistency_problem(state, event, actions, to) -> str | None:
    deletes = "delete TCB" in actions
    if state != "CLOSED" and to == "CLOSED" and not deletes:
        return f"{state} --{event}--> CLOSED must 'delete TCB'"
    if deletes and to != "CLOSED":
        return f"'delete TCB' must lead to CLOSED, not {to}"
    if ("return to LISTEN" in actions) != (to == "LISTEN" and state not in ("CLOSED", "LISTEN")):
        return (f"a rule that goes back to LISTEN from {state} must "
                f"'return to LISTEN', and only such a rule may")
    ref = refinement(state, event)
    proceeds = ref.event.proceed if ref is not None else any(
        e.proceed for e in arrival_events(state) if e.name == event)
    if proceeds and to != "CLOSED" and not arrival_events(to, TEXT):
        return (f"after '{event}' the segment's text and FIN are processed, "
                f"but {to} has no text stage; lead to a synchronized state or CLOSED")
    return None


def _lines(text: str) -> list[str]:
    """The lines as an editor numbers them: only CR, LF and CRLF end a line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _cells() -> list[tuple[str, str]]:
    """Every (state, arrival event) a complete table covers: STATES order, then
    the order of events.arrival_events (control stage, then text stage)."""
    return list(dict.fromkeys((s, e.name) for s in STATES for stage in (CONTROL, TEXT)
                              for e in arrival_events(s, stage)))


def parse_table(text: str, name: str, partial: bool = False) -> RuleTable:
    """Parse and validate the text of a rule table; ``name`` is used in messages.

    Every problem is collected, and one :class:`TableError` lists them all
    (``errors``): the problems of the rows in line order, then the events the
    table does not cover.  A row with a problem is left out and the other
    rows are still checked; the cells a faulty row names are not reported
    as missing (nor is a qualified row's partner), its own problem stands.

    ``partial=True`` accepts a table without rows for some arrival events:
    for each missing (state, event) cell a rule is added, after the table's
    own, that does nothing and stays in the state (what an implementation
    without a handler does: the segment is dropped, though its effect on the
    TCB in events.py still applies), with ``source="missing"`` and
    ``where=f"{name}: no row"``.  ``table.missing`` lists their ids.  Every
    other problem is still an error.
    """
    problems: list[tuple[int, str, str | _Later]] = []  # (line, where, message)
    rules: list[Rule] = []
    seen: dict[tuple[str, str | None, str], tuple[str, int]] = {}  # key -> (where, line)
    faulty: set[tuple[str, str]] = set()  # (state, event) named by a row with a problem
    first_row: dict[str, int] = {}  # state -> line of its first row
    lines = _lines(text)
    rows = 0  # lines that are not blank or comments alone
    for lineno, raw in enumerate(lines, 1):
        where = f"{name}:{lineno}"
        errors: list[str | _Later] = []
        bad = _bad_char(raw)
        if bad:
            errors.append(bad)
            raw = _BAD_CHAR.sub("\ufffd", raw)
        line = raw.split("#", 1)[0].strip()
        if not line:
            problems.extend((lineno, where, e) for e in errors)
            continue
        rows += 1
        line = _wide_bars(line, errors)
        cols = [c.strip() for c in line.split("|")]
        if len(cols) == 4:
            cols.append("")
        if len(cols) == 5:
            cols = _wide_marks(cols, errors)
        if len(cols) != 5:
            errors.append(f"expected 4 or 5 columns separated by '|' "
                          f"(from | event | actions | to | source), found {len(cols)}")
            if len(cols) >= 2:  # what the row seems to be about, for the checks that follow
                guessed = [] if len(problems) < 2 * MAX_ERRORS else None
                states = _split_states(cols[0], [], guessed)
                faulty.update(_meant(states, guessed, " ".join(cols[1].split())))
            problems.extend((lineno, where, e) for e in errors)
            continue
        states_text, event, actions_text, to_text, source = cols
        event = " ".join(event.split())
        # only while the problems are few enough to be listed, guess what a faulty row meant
        guessed = [] if len(problems) < 2 * MAX_ERRORS else None
        states = _split_states(states_text, errors, guessed)
        for state, _ in states:
            first_row.setdefault(state, lineno)
        if (problem := _event_problem(event)) is not None:
            errors.append(problem)
        actions = tuple(" ".join(a.split()) for a in actions_text.split(";") if a.strip() and a.strip() != "-")
        errors.extend(_Later(_unknown_action, a) for a in actions if a not in ACTIONS)
        if (problem := _segment_problem(event, actions)) is not None:
            errors.append(problem)
        if (problem := _only_on_problem(event, actions)) is not None:
            errors.append(problem)
        if to_text.casefold() == "same":
            to_text = "same"
        elif (to_state := canonical_state(to_text)) is not None:
            to_text = to_state
        else:
            errors.append(_Later(_unknown_next_state, to_text))
        if errors:
            faulty.update(_meant(states, guessed, event))
            problems.extend((lineno, where, e) for e in errors)
            continue
        for state, qual in states:
            key = (state, qual, event)
            to = state if to_text == "same" else to_text
            problem = _event_in_state_problem(state, event)
            if problem is None and key in seen:
                problems.append((lineno, where, f"{state} already has a rule for '{event}' at {seen[key][0]}"))
                continue
            problem = problem or _consistency_problem(state, event, actions, to)
            if problem is not None:
                problems.append((lineno, where, problem))
                faulty.add((state, event))
                continue
            seen[key] = (where, lineno)
            rules.append(Rule(len(rules), state, qual, event, actions, to, source, where))
    problems.extend(_qualifier_problems(seen, faulty))
    problems.sort(key=lambda p: p[0])  # stable: within a line, in the order found
    unique = list(dict.fromkeys(problems))  # a row that names a state twice says it once
    messages = [f"{where}: {m}" for _, where, m in unique[:MAX_ERRORS]]
    omitted = len(unique) - len(messages)
    covered = {(s, e) for s, _, e in seen}
    missing = [c for c in _cells() if c not in covered and c not in faulty]
    if not rows and not partial:
        messages.append(f"{name}: the table has no rows (the file is empty, or holds only comments and "
                        f"blank lines); a row is 'from | event | actions | to | source', such as "
                        f"'CLOSED | active OPEN | create TCB; snd SYN | SYN_SENT | F2', and a complete "
                        f"table says what to do on {len(missing)} arrival events")
    elif missing and not partial:
        line = first_row.get(missing[0][0], len(lines) + 1)
        listed = "; ".join(f"{s}: {e}" for s, e in missing)
        if len(messages) < MAX_ERRORS:
            messages.append(f"{name}:{line}: the table does not say what to do on "
                            f"{len(missing)} arrival event(s): {listed}")
        else:
            omitted += 1
    if messages:
        raise TableError(messages, omitted)
    # the refinements the table names (events.REFINEMENTS) split the RFC's events in their states
    arrivals = refined_arrivals((r.state, r.event) for r in rules if r.event in _REFINEMENT_NAMES)
    if not partial or not missing:
        return RuleTable(rules, name, arrivals)
    fillers = [Rule(len(rules) + i, s, None, e, (), s, "missing", f"{name}: no row")
               for i, (s, e) in enumerate(missing)]
    return RuleTable(rules + fillers, name, _arrivals_for(fillers, arrivals), tuple(r.id for r in fillers))


def _meant(states, guessed: list[str] | None, event: str) -> list[tuple[str, str]]:
    """The (state, event) cells a faulty row seems to be about: its states and
    the ones its unknown names are close to, with its event or the one it is
    close to (the checks after the rows do not report these cells again)."""
    if guessed is None:
        return [(s, event) for s, _ in states]
    if event not in _EVENTS and len(hint := _suggest(_clip(event), _EVENT_CHOICES, 0.7)) == 1:
        event = hint[0]
    return [(s, event) for s in [*(s for s, _ in states), *guessed]]


def _qualifier_problems(seen, faulty) -> list[tuple[int, str, str]]:
    out = []
    for (state, qual, event), (where, lineno) in seen.items():
        if qual is None:
            continue
        other = "active" if qual == "passive" else "passive"
        if (state, None, event) in seen:
            out.append((lineno, where, f"{state}[{qual}] and {state} both handle '{event}'; "
                                       f"use either the qualified rows or the plain one"))
        elif (state, other, event) not in seen and (state, event) not in faulty:
            out.append((lineno, where, f"{state}[{qual}] handles '{event}' but {state}[{other}] does not"))
    return out


def _arrivals_for(fillers: list[Rule], arrivals: tuple = ARRIVALS) -> tuple:
    """The segment semantics for a table with filler rules.  A filler stays in
    its state; where that state has no text stage (SYN_RCVD's 'rcv ACK of
    SYN'), the event must not go on to one: the segment is dropped whole."""
    stuck = {(r.state, r.event) for r in fillers
             if any(e.proceed for e in arrival_events(r.state) if e.name == r.event)
             and not arrival_events(r.state, TEXT)}
    if not stuck:
        return arrivals
    out = []
    for e in arrivals:
        here = tuple(s for s in e.states if (s, e.name) in stuck)
        if not (here and e.proceed):
            out.append(e)
            continue
        if len(here) < len(e.states):
            out.append(e._replace(states=tuple(s for s in e.states if s not in here)))
        out.append(e._replace(states=here, proceed=False))
    return tuple(out)


def load_table(path: str | Path = REFERENCE, partial: bool = False) -> RuleTable:
    """Load and validate the rule table at ``path`` (the reference table by default).

    A file of more than :data:`MAX_BYTES` bytes is refused before it is read;
    ``partial`` is :func:`parse_table`'s."""
    p = Path(path)
    text = read_input(p, "the rule table", TableError, limit=MAX_BYTES)
    name = p.name if p in (REFERENCE, LINUX) else str(p)
    return parse_table(text, name, partial)
