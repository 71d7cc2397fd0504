"""Questions the model settles: the ``questions`` kind of assignment.

A questions assignment asks a student about runs of the reference model; the
student answers in a small TOML file.  No answer key is typed by hand: the
expected answer of every question is computed from the assignment's reference
rule table when the assignment is loaded, and every run a question names is
replayed on the reference model then, so an instructor's typo is reported at
``file:line`` before any student sees it.

Four kinds of question (``ask``):

``state-after``
    Which state each endpoint is in at the end of a run.  Answer::

        [q1]
        A = "FIN_WAIT_1"      # the RFC's spellings (FIN-WAIT-1, fin_wait_1, ...) are accepted
        B = "SYN_RCVD"        # SYN-RECEIVED too

    Half the points per endpoint.

``segment``
    The SEQ and ACK (and, with ``ask_flags = true``, the control bits) of
    segment N of a run; segments are numbered 1, 2, ... in the order they are
    sent, as the seed note numbers its segments 1-7.  Answer::

        [q2]
        SEQ = 4294967295
        ACK = 301             # ACK = "none" when the segment carries no ACK
        CTL = "FIN,ACK"       # only when the question sets ask_flags = true; any order

    The points are split equally over the fields asked.

``reachable``
    Which states ``endpoint`` can still reach from the end of a run once
    ``unplugged`` is unplugged: from that global state, every step is explored
    except the unplugged endpoint's (its calls, its timers and the deliveries
    to it); the network may still lose and duplicate segments and deliver them
    to the other endpoint.  The state the endpoint is in counts as reachable.
    Choose a configuration whose network loses segments: otherwise what is sent
    to the unplugged endpoint stays in flight, and a retransmission timer
    (which expires only when nothing is in flight) never fires.  Answer::

        [q3]
        states = ["SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT"]   # any order, RFC spellings accepted

    Graded per state of the eleven (each correctly included or left out):
    points x (states right / 11); an empty answer scores 0.

``claim``
    Whether a property of :data:`properties.PROPERTIES` holds in a
    configuration.  Answer::

        [q4]
        holds = false
        run = ["A: active OPEN", "B: passive OPEN", ...]     # only if the question sets with_run

    With ``with_run = true``, a run is graded whenever the reference's
    verdict can be shown by one: a counterexample when an invariant, step,
    deadlock or liveness property is violated, a witness when a reachability
    property holds.  Then half the points are for ``holds`` and half for a
    run that replays on the reference model and shows the verdict:

    * invariant: some state of the run breaks it;
    * step: some step of the run breaks it;
    * reachability: some state of the run is one it asks for;
    * deadlock: the run ends in a state without successors that is not an
      acceptable end (:func:`properties.acceptable_end`);
    * liveness (``P leads to Q``): the run ends in a state without successors,
      and from some state of it where P holds, Q never holds again.  A list of
      steps cannot go round a cycle for ever, so ``with_run`` is refused at
      load time for a liveness property that the reference violates only by
      runs that cycle.

    When the verdict has no run (an invariant that holds, a state that is not
    reachable), ``holds`` carries all the points.

The run of a ``state-after``, ``segment`` or ``reachable`` question is a
named scenario of :mod:`scenarios` (``scenario = "seed"``, searched in the
question's configuration when it names one, else in the scenario's own) or a
list of steps (``steps = [...]``, replayed from the initial state of the
question's configuration); ``upto_segment = N`` stops it after the step that
sends segment N (not for ``segment`` questions, which name theirs with
``segment = N``).

The step language
-----------------

One step per string, as ``tcpcheck check`` prints them; case and extra spaces
do not matter, and a whole line of a printed trace may be pasted (its number,
the ``: rcv ...`` events after a segment and the state columns are ignored).

* calls: ``A: active OPEN``, ``B: passive OPEN`` (or just ``A: OPEN``),
  ``A: SEND``, ``A: CLOSE``, ``A: ABORT``; the colon is optional;
* timers: ``B: retransmission timeout``, ``B: user timeout``,
  ``A: timeout 2MSL`` (or ``2MSL timeout``, ``2MSL``; ``A: timeout`` is any
  timer of A);
* deliveries: ``B receives SYN`` (by its control bits: an exact match is
  preferred, else any segment that carries them; ``DATA`` for one with
  text), ``B receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>`` (the fields
  given must match), ``B receives segment 4`` (the segment sent as number 4
  in this run) or just ``B receives`` when only one segment can arrive;
* the network: ``network loses A->B FIN,ACK``,
  ``network loses <SEQ=0><ACK=302><CTL=ACK> (A->B)``,
  ``network duplicates B->A segment 2``; the direction may be left out when
  only one segment in flight fits.

Printed lines that are not steps are skipped: ``0. initial state`` and the
``A --> B <...>`` lines that show what a step sent.  A step that is not
possible fails the replay with a precise message, e.g. ``step 3 'B receives
FIN': nothing with FIN is in flight to B (in flight to B: <SEQ=...>); possible
steps here: A: CLOSE; B receives <SEQ=...>; ...``; one that could be several
different steps is refused with the candidates listed.  A student's run may
also be one string with one step per line (a pasted trace).

The answer file
---------------

UTF-8 TOML, at most 64 KiB, one table per question id (``[q1]``); anything
else at the top level is an error (:class:`AnswerError`, ``name:line``).
:func:`parse_answers` returns an :class:`Answers` (a dict: question id -> its
table) that remembers the line of every key.  Problems that are no reason to
refuse the whole file are *warnings*, kept in ``Answers.warnings`` as
``name:line: ...`` strings: an unknown question id or key (with a
did-you-mean), and, when the questions are given, an answer of the wrong type
or an unknown state name.  Such an answer scores 0 for its part and the
grade's output says why at feedback level ``test`` and above.

Everything here is deterministic: the same files give the same results.
"""

from __future__ import annotations

import builtins
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import InputError, closest, decode_input
from ..i18n import canonical_property, property_name, property_names, translator
from ..explorer import Exploration, explore, find_path
from ..properties import PROPERTIES, Property, acceptable_end, check_properties, path_of
from ..report import trace_json
from ..scenarios import SCENARIOS
from ..system import ENDPOINTS, Model, State, Step
from ..table import RuleTable, canonical_state
from ..tcb import STATES, Segment, describe_segment
from ..tomllines import TomlLines, error_line
from .results import VISIBILITIES, TestResult

__all__ = ["ASKS", "FEEDBACKS", "MAX_ANSWER_BYTES", "Question", "QuestionError", "AnswerError",
           "Answers", "Run", "ReplayError", "parse_questions", "load_answers", "parse_answers",
           "answer_warnings", "grade_answers", "answer_key", "replay", "replays", "step_text", "state_name"]

#: The kinds of question.
ASKS = ("state-after", "segment", "reachable", "claim")

#: Feedback levels, from least to most said.
FEEDBACKS = ("pass-fail", "test", "run", "expected")

#: The largest answer file accepted.
MAX_ANSWER_BYTES = 64 * 1024

_COMMON = ("id", "ask", "points", "visibility", "text", "feedback", "configuration")
_RUN = ("scenario", "steps")
_KEYS = {
    "state-after": _COMMON + _RUN + ("upto_segment",),
    "segment": _COMMON + _RUN + ("segment", "ask_flags"),
    "reachable": _COMMON + _RUN + ("upto_segment", "endpoint", "unplugged"),
    "claim": _COMMON + ("property", "with_run"),
}
_ALL_KEYS = sorted({k for keys in _KEYS.values() for k in keys})
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PROPERTY = {p.name: p for p in PROPERTIES}
_FLAGS = ("SYN", "FIN", "RST", "ACK")


class QuestionError(InputError):
    """A ``[[questions]]`` entry that cannot be used.  The message has one
    ``path:line: what is wrong`` line per problem (all the file's problems);
    :attr:`errors` lists them."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = list(errors)


class AnswerError(InputError):
    """An answer file that cannot be read at all: ``name:line: what is wrong``."""


def _did_you_mean(word: str, options) -> str:
    close = closest(word, options)
    return f" (did you mean '{close}'?)" if close else ""


def _describe_value(value, _=None) -> str:
    """A value of an answer file as a message names it, in the language of ``_``."""
    _ = _ or translator("en")
    if isinstance(value, bool):
        return _("the boolean {value}").format(value=str(value).lower())
    if isinstance(value, (int, float)):
        return _("the number {value}").format(value=value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a Chinese name as written
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a table")
    return _("a value of type {type}").format(type=type(value).__name__)


# --- state names -------------------------------------------------------------------

def state_name(text) -> str | None:
    """The model's name of a state written ``text`` as the rule tables accept it
    (:func:`table.canonical_state`: ``FIN-WAIT-2``, ``fin_wait_2``,
    ``SYN-RECEIVED``, ``ESTAB`` ...), or None (also for what is not a string)."""
    return canonical_state(text) if isinstance(text, str) else None


# --- the step language ---------------------------------------------------------------

_LOCAL_EVENTS = {
    "active open": ("active OPEN",), "open active": ("active OPEN",), "connect": ("active OPEN",),
    "passive open": ("passive OPEN",), "open passive": ("passive OPEN",), "listen": ("passive OPEN",),
    "open": ("active OPEN", "passive OPEN"),
    "send": ("SEND",), "send data": ("SEND",),
    "close": ("CLOSE",), "abort": ("ABORT",),
    "retransmission timeout": ("retransmission timeout",), "retransmission": ("retransmission timeout",),
    "retransmit": ("retransmission timeout",), "rto": ("retransmission timeout",),
    "retransmission timer": ("retransmission timeout",),
    "user timeout": ("user timeout",),
    "timeout 2msl": ("timeout 2MSL",), "2msl timeout": ("timeout 2MSL",), "2msl": ("timeout 2MSL",),
    "timeout=2msl": ("timeout 2MSL",), "time_wait timeout": ("timeout 2MSL",),
    "time-wait timeout": ("timeout 2MSL",),
    "timeout": ("retransmission timeout", "user timeout", "timeout 2MSL"),
}
_CALL_EVENTS = ("active OPEN", "passive OPEN", "SEND", "CLOSE", "ABORT")

_NUMBER = re.compile(r"^\s*\d+\s*\.\s+")
_STATES_TAIL = re.compile(
    r"\s+A\s+[A-Z_0-9]+(?:\s*->\s*[A-Z_0-9]+)?\s*\|\s*B\s+[A-Z_0-9]+(?:\s*->\s*[A-Z_0-9]+)?\s*$")
_SENT_LINE = re.compile(r"^\s*[AB]\s*-->\s*[AB]\b", re.I)
_RECEIVES = re.compile(r"^([AB])\s+(?:receives|receive|received|rcv|rcvs|gets|got)\b\s*(.*)$", re.I)
_NETWORK = re.compile(r"^(?:(?:the\s+)?network\s+)?(loses|lose|lost|duplicates|duplicate|duplicated)\b\s*(.*)$",
                      re.I)
_LOCAL = re.compile(r"^([AB])\s*(?::\s*|\s+)(.+)$", re.I)
_DIRECTION = re.compile(r"\(?\s*\b([AB])\s*(?:->|→|=>|\bto\b)\s*([AB])\b\s*\)?", re.I)
_FIELD = re.compile(r"<\s*(SEQ|ACK|CTL|DATA)\s*=\s*([^>]*)>", re.I)
_SEGNUM = re.compile(r"^(?:segment|seg\.?|#)\s*#?\s*(\d+)$", re.I)


@dataclass(frozen=True)
class _Seg:
    """Which segment a step means."""

    number: int | None = None  # "segment 4": the 4th sent in this run
    seq: int | None = None
    ack: int | None = None
    flags: frozenset | None = None  # control bits (and "DATA") it carries
    bare: bool = False  # flags written bare: an exact match first, else any that carries them
    data: int | None = None

    def words(self) -> str:
        if self.number is not None:
            return f"segment {self.number}"
        if self.bare:
            return "with " + ",".join(f for f in (*_FLAGS, "DATA") if f in self.flags) if self.flags else ""
        parts = []
        if self.seq is not None:
            parts.append(f"<SEQ={self.seq}>")
        if self.ack is not None:
            parts.append(f"<ACK={self.ack}>")
        if self.flags is not None:
            parts.append(f"<CTL={','.join(f for f in _FLAGS if f in self.flags)}>")
        if self.data:
            parts.append(f"<DATA={self.data}>")
        return "".join(parts)


@dataclass(frozen=True)
class _Pattern:
    kind: str  # "local", "rcv", "lose", "duplicate" or "skip"
    who: str | None = None  # local/rcv: the endpoint
    events: tuple[str, ...] = ()  # local: the events meant
    direction: str | None = None  # network: "A->B" or "B->A"
    seg: _Seg | None = None


class _BadStep(Exception):
    pass


def _flag_set(seg: Segment) -> frozenset:
    return frozenset([f for f in _FLAGS if getattr(seg, f)] + (["DATA"] if seg.len else []))


def _parse_seg(rest: str) -> _Seg:
    rest = rest.strip().rstrip(".").strip()
    if not rest:
        return _Seg()
    m = _SEGNUM.match(rest)
    if m:
        return _Seg(number=int(m.group(1)))
    if "<" in rest:
        fields = {}
        for m in _FIELD.finditer(rest):
            fields[m.group(1).upper()] = m.group(2).strip()
        if _FIELD.sub("", rest).strip():
            raise _BadStep(f"cannot read the segment '{rest}'; write it as "
                           f"<SEQ=n><ACK=n><CTL=FLAGS>, as tcpcheck prints it")
        out = {}
        for k in ("SEQ", "ACK", "DATA"):
            if k in fields:
                if not fields[k].isdigit():
                    raise _BadStep(f"<{k}={fields[k]}> is not a number")
                out[k.lower()] = int(fields[k])
        flags = None
        if "CTL" in fields:
            flags = set()
            for f in re.split(r"[\s,+/|]+", fields["CTL"].upper()):
                if f and f not in _FLAGS:
                    raise _BadStep(f"unknown control bit '{f}' in <CTL={fields['CTL']}>; "
                                   f"the bits are {', '.join(_FLAGS)}")
                if f:
                    flags.add(f)
            if out.get("data"):
                flags.add("DATA")
            flags = frozenset(flags)
        return _Seg(seq=out.get("seq"), ack=out.get("ack"), flags=flags, data=out.get("data"))
    words = [w for w in re.split(r"[\s,+/|\-]+", rest.upper()) if w]
    flags = set()
    for w in words:
        if w in ("THE", "A", "AN", "SEGMENT", "SEGMENTS", "ITS", "BIT", "BITS"):
            continue
        if w in ("SYNACK",):
            flags |= {"SYN", "ACK"}
        elif w in ("FINACK",):
            flags |= {"FIN", "ACK"}
        elif w in (*_FLAGS, "DATA"):
            flags.add(w)
        elif w in ("TEXT", "PAYLOAD"):
            flags.add("DATA")
        else:
            raise _BadStep(f"cannot read the segment '{rest}'; name it by its control bits "
                           f"(e.g. FIN,ACK), exactly (<SEQ=n><ACK=n><CTL=FLAGS>) or by its "
                           f"number (segment 4)")
    return _Seg(flags=frozenset(flags), bare=True)


def _parse_step(text: str) -> _Pattern:
    """The pattern of one step of the step language (see the module's docstring)."""
    if not isinstance(text, str):
        raise _BadStep(f"a step is a string, not {_describe_value(text)}")
    s = " ".join(text.split())
    s = _NUMBER.sub("", s)
    s = _STATES_TAIL.sub("", s).strip()
    if not s or s.lower() == "initial state" or _SENT_LINE.match(s):
        return _Pattern("skip")
    m = _RECEIVES.match(s)
    if m:
        rest = m.group(2)
        if ":" in rest:
            rest = rest.split(":", 1)[0]
        return _Pattern("rcv", who=m.group(1).upper(), seg=_parse_seg(rest))
    m = _NETWORK.match(s)
    if m:
        verb = m.group(1).lower()
        kind = "lose" if verb.startswith("los") else "duplicate"
        rest = m.group(2)
        direction = None
        d = _DIRECTION.search(rest)
        if d:
            a, b = d.group(1).upper(), d.group(2).upper()
            if a == b:
                raise _BadStep(f"'{d.group(0).strip()}' is not a direction; write A->B or B->A")
            direction = f"{a}->{b}"
            rest = rest[:d.start()] + " " + rest[d.end():]
        return _Pattern(kind, direction=direction, seg=_parse_seg(rest))
    m = _LOCAL.match(s)
    if m:
        what = " ".join(m.group(2).lower().replace("()", "").strip(" .!").split())
        events = _LOCAL_EVENTS.get(what)
        if events is None:
            raise _BadStep(f"'{m.group(2).strip()}' is not something {m.group(1).upper()} can do; "
                           f"the calls are active OPEN, passive OPEN, SEND, CLOSE, ABORT and the "
                           f"timers retransmission timeout, user timeout, timeout 2MSL"
                           f"{_did_you_mean(m.group(2).strip(), list(_LOCAL_EVENTS))}")
        return _Pattern("local", who=m.group(1).upper(), events=events)
    raise _BadStep("not a step; write e.g. 'A: active OPEN', 'B: CLOSE', 'A: timeout 2MSL', "
                   "'B receives SYN', 'B receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>' or "
                   "'network loses A->B FIN,ACK'")


def step_text(step: Step) -> str:
    """A step in the step language, as ``tcpcheck check`` prints it (without the
    arrival's events): it replays as exactly this step where it is possible."""
    if step.kind in ("call", "timer"):
        return f"{step.actor}: {step.event}"
    if step.kind == "rcv":
        return f"{step.actor} receives {describe_segment(step.segment)}"
    verb = "loses" if step.kind == "lose" else "duplicates"
    return f"network {verb} {describe_segment(step.segment)} ({step.event})"


class ReplayError(Exception):
    """A step of a run that is not possible: ``step N 'text': why; possible steps here: ...``.

    ``reason`` is the why alone; ``possible`` the texts of the steps the model
    can take there instead (empty: nothing can happen any more; None for a
    step that cannot be read or is ambiguous, where it is not the question)."""

    def __init__(self, index: int, text: str, reason: str, possible: list[str] | None = None):
        tail = ("" if possible is None else f"; possible steps here: {'; '.join(possible)}" if possible
                else "; nothing can happen here any more")
        super().__init__(f"step {index} '{text}': {reason}{tail}")
        self.index, self.text, self.reason, self.possible = index, text, reason, possible


@dataclass
class Run:
    """A replayed run."""

    path: list  # [(None, s0), (Step, s1), ...] with readable states, as find_path gives
    ids: list  # the model's internal states, s0 first
    texts: list[str]  # the step language of each step (step_text)

    def segments(self) -> list[tuple[int, str, Segment]]:
        """Every segment sent, in order (segment k is item k-1): (step number, sender, segment).
        A segment a full channel drops is counted: it was sent."""
        return [(i, step.actor, seg) for i, (step, _) in enumerate(self.path[1:], 1) for seg in step.sent]

    def upto_segment(self, n: int) -> "Run":
        """The run up to the step that sends segment ``n`` (ValueError if it sends fewer)."""
        sent = 0
        for i, (step, _) in enumerate(self.path[1:], 1):
            sent += len(step.sent)
            if sent >= n:
                return Run(self.path[:i + 1], self.ids[:i + 1], self.texts[:i])
        raise ValueError(f"the run sends {sent} segment(s), not {n}")


def _matches(spec: _Seg, seg: Segment, sent: list[Segment]) -> bool:
    if spec.number is not None:
        return spec.number <= len(sent) and seg == sent[spec.number - 1]
    if spec.seq is not None and seg.seq != spec.seq:
        return False
    if spec.ack is not None and (not seg.ACK or seg.ack != spec.ack):
        return False
    if spec.data is not None and seg.len != spec.data:
        return False
    if spec.flags is not None and not spec.bare and _flag_set(seg) != spec.flags:
        return False
    if spec.bare and spec.flags and not spec.flags <= _flag_set(seg):
        return False
    return True


def _choose(spec: _Seg | None, candidates: list, sent: list[Segment]) -> list:
    """The candidates (label, target, step) whose segment ``spec`` means; bare flags
    prefer an exact match."""
    if spec is None:
        return candidates
    hits = [c for c in candidates if _matches(spec, c[2].segment, sent)]
    if spec.bare and spec.flags:
        exact = [c for c in hits if _flag_set(c[2].segment) == spec.flags]
        if exact:
            return exact
    return hits


def _why_not(model: Model, pat: _Pattern, s: State, sent: list[Segment]) -> str:
    """Why no step of the model is the one ``pat`` means, in state ``s``."""
    cfg = model.config
    if pat.kind == "local":
        who = pat.who
        t, app = getattr(s, who), getattr(s, f"app_{who}")
        quiet = not s.net_AB and not s.net_BA
        ev = pat.events
        if ev == ("active OPEN",) or ev == ("passive OPEN",) or len(ev) == 2:
            if t.state != "CLOSED":
                return f"{who} is in {t.state}, not CLOSED"
            if not app.open:
                return f"{who}'s application does not OPEN (again) in this configuration"
            return f"{who}'s application opens {app.open}ly, not {'actively' if 'active' in ev[0] else 'passively'}"
        if ev == ("SEND",):
            if not app.data:
                return (f"{who}'s application has closed: it sends nothing more" if not app.close
                        else f"{who} has no data left to send")
            return f"{who} cannot SEND in {t.state}"
        if ev == ("CLOSE",) or ev == ("ABORT",):
            e = getattr(cfg, who)
            if ev == ("CLOSE",) and app.close and e.close_in is not None and t.state not in e.close_in:
                return (f"{who} is in {t.state}, and its application closes only in "
                        f"{'/'.join(e.close_in)} in this configuration")
            if ev == ("ABORT",) and not app.abort:
                return f"{who}'s application does not ABORT (any more) in this configuration"
            if not app.close and ev == ("CLOSE",):
                return f"{who}'s application has already closed (or never will)"
            return f"the table has no {ev[0]} for {who} in {t.state}"
        if "timeout 2MSL" in ev and len(ev) == 1:
            if t.state != "TIME_WAIT":
                return f"{who} is in {t.state}, not TIME_WAIT"
            return "2MSL expires only when no segment of the connection is in flight"
        if not quiet:
            return f"{who}'s timers expire only when nothing is in flight in either direction"
        if t.snd_una == t.snd_nxt or t.state in ("CLOSED", "LISTEN"):
            return f"{who} has nothing unacknowledged to retransmit (it is in {t.state})"
        if ev == ("retransmission timeout",) and not t.budget:
            return f"{who} has no retransmissions left: its timer's expiry is the user timeout"
        if ev == ("user timeout",) and t.budget:
            return f"{who} still has retransmissions left: its timer's expiry is a retransmission timeout"
        return f"{who} is in {t.state}"
    if pat.kind in ("lose", "duplicate"):
        if pat.kind == "lose" and not cfg.loss:
            return "the network loses nothing in this configuration"
        if pat.kind == "lose" and model.loss_budget is not None and s.lost >= model.loss_budget:
            return f"the network has already lost {s.lost} segment(s), its budget in this configuration"
        if pat.kind == "duplicate" and not cfg.duplication:
            return "the network duplicates nothing in this configuration"
        directions = [pat.direction] if pat.direction else ["A->B", "B->A"]
        flights = {"A->B": s.net_AB, "B->A": s.net_BA}
        where = pat.direction or "in either direction"
    else:
        directions = ["A->B" if pat.who == "B" else "B->A"]
        flights = {"A->B": s.net_AB, "B->A": s.net_BA}
        where = f"to {pat.who}"
    flight = [q for d in directions for q in flights[d]]
    listed = ", ".join(describe_segment(q) for q in flight)
    if not flight:
        return f"nothing is in flight {where}"
    spec = pat.seg or _Seg()
    if spec.number is not None and spec.number > len(sent):
        return f"only {len(sent)} segment(s) have been sent so far, not {spec.number}"
    inside = [q for q in flight if _matches(spec, q, sent)]
    what = spec.words()
    if spec.number is not None:
        what = f"segment {spec.number} ({describe_segment(sent[spec.number - 1])})"
    elif not what:
        what = "a segment"
    elif spec.bare:
        what = f"nothing {what}"
    if not inside:
        if spec.bare and spec.flags:
            return f"{what} is in flight {where} (in flight {where}: {listed})"
        return f"{what} is not in flight {where} (in flight {where}: {listed})"
    if pat.kind == "duplicate":
        return f"the channel {where} is full, so the network cannot duplicate into it"
    if pat.kind == "rcv" and not cfg.reordering:
        return (f"{describe_segment(inside[0])} is in flight {where}, but the network delivers in "
                f"order and {describe_segment(flight[0])} comes first")
    return "it cannot happen here"


def replay(model: Model, texts, start: tuple | None = None) -> Run:
    """Replay the steps ``texts`` (the step language) on ``model`` from its initial
    state (or the internal state ``start``); ReplayError at the first step that is
    not possible or not readable, counting the entries of ``texts`` from 1.  The
    first of :func:`replays` when the steps fit more than one run."""
    return replays(model, texts, None if start is None else [start])[0]


def _moves(model: Model, pat: _Pattern, s: tuple, sent: list[Segment]) -> list:
    """The steps (label, target, step) from ``s`` that the pattern ``pat`` means."""
    succ = [(label, t, model.step(label)) for label, t in model.successors(s)]
    if pat.kind == "local":
        return [c for c in succ if c[2].actor == pat.who and c[2].kind in ("call", "timer")
                and c[2].event in pat.events]
    if pat.kind == "rcv":
        return _choose(pat.seg, [c for c in succ if c[2].kind == "rcv" and c[2].actor == pat.who], sent)
    return _choose(pat.seg, [c for c in succ if c[2].kind == pat.kind
                             and (pat.direction is None or c[2].event == pat.direction)], sent)


def replays(model: Model, texts, starts: list | None = None) -> list[Run]:
    """Every run of ``model`` that the steps ``texts`` describe, from its initial
    state (or from each internal state of ``starts``), in the model's order.

    Mostly one: a step's text names one step.  But it can name steps to
    different states: on a channel that keeps order, holding R, S, R (R twice,
    from a duplication and a resend), "network loses R" loses the first R or
    the last, and only the steps after it tell which (the next to arrive is S,
    or R).  Each is kept while the steps after it are possible.  ReplayError at
    the first step that none can take (why, for the first run), that is not
    readable, or whose text could mean steps of different texts; entries of
    ``texts`` count from 1.  Runs that come to the same state are one."""
    runs = [Run([(None, model.decode(s))], [s], [])
            for s in (starts if starts is not None else model.initial_states()[:1])]
    for n, text in enumerate(texts, 1):
        try:
            pat = _parse_step(text)
        except _BadStep as exc:
            raise ReplayError(n, str(text), str(exc)) from None
        if pat.kind == "skip":
            continue
        sent = {id(r): [seg for step, _ in r.path[1:] for seg in step.sent] for r in runs}
        moves = [(r, t, step) for r in runs for _, t, step in _moves(model, pat, r.ids[-1], sent[id(r)])]
        if not moves:
            first = runs[0]
            possible = list(dict.fromkeys(step_text(model.step(label))
                                          for label, _ in model.successors(first.ids[-1])))
            raise ReplayError(n, text, _why_not(model, pat, first.path[-1][1], sent[id(first)]), possible)
        distinct = list(dict.fromkeys(step_text(step) for _, _, step in moves))
        if len(distinct) > 1:
            raise ReplayError(n, text, "it could be any of: " + "; ".join(distinct)
                              + "; write the step exactly")
        after, seen = [], set()
        for r, t, step in moves:
            if t not in seen:
                seen.add(t)
                after.append(Run(r.path + [(step, model.decode(t))], r.ids + [t], r.texts + [step_text(step)]))
        runs = after
    return runs


def _run_of_path(model: Model, path) -> Run:
    return Run(list(path), [model.encode(st) for _, st in path], [step_text(st) for st, _ in path[1:]])


# --- questions ---------------------------------------------------------------------

@dataclass
class Question:
    """One validated question, with the reference's answer to it."""

    id: str
    ask: str  # one of ASKS
    points: float
    text: str  # the instructor's text ("" if none)
    description: str  # what it asks, generated from its keys
    visibility: str  # one of results.VISIBILITIES
    feedback: str | None  # its own feedback level, or None for the assignment's
    line: int  # the line of its [[questions]] header
    configuration: str | None  # the configuration's name (the assignment's, or the scenario's)
    config: Config | None
    scenario: str | None = None
    steps: tuple[str, ...] = ()
    upto_segment: int | None = None
    segment: int | None = None  # segment: which one
    ask_flags: bool = False  # segment: CTL is asked too
    endpoint: str | None = None  # reachable: whose states
    unplugged: str | None = None  # reachable: who is unplugged
    property: str | None = None  # claim: the property's name
    with_run: bool = False  # claim: a run is asked for
    run_asked: bool = False  # claim: the reference's verdict has a run, so one is graded
    expected: dict = field(default_factory=dict)  # the correct answer table, as in an answer file
    run: Run | None = field(default=None, repr=False)  # the run the question is about (not claims)
    model: Model | None = field(default=None, repr=False, compare=False)

    @builtins.property  # the field 'property' hides the builtin here
    def name(self) -> str:
        return f"{self.id}: {self.text or self.description}"

    def keys(self) -> tuple[str, ...]:
        """The keys of its answer table."""
        return {"state-after": ("A", "B"),
                "segment": ("SEQ", "ACK", "CTL") if self.ask_flags else ("SEQ", "ACK"),
                "reachable": ("states",),
                "claim": ("holds", "run") if self.with_run else ("holds",)}[self.ask]


class _Context:
    """What parse_questions shares among questions: models, explorations, runs."""

    def __init__(self, reference: RuleTable):
        self.reference = reference
        self.models: dict = {}
        self.explorations: dict = {}
        self.verdicts: dict = {}
        self.scenario_runs: dict = {}

    def model(self, config: Config) -> Model:
        m = self.models.get(config)
        if m is None:
            m = self.models[config] = Model(config, self.reference)
        return m

    def exploration(self, config: Config) -> Exploration:
        x = self.explorations.get(config)
        if x is None:
            x = self.explorations[config] = explore(self.model(config))
        return x

    def verdict(self, config: Config, prop: Property):
        key = (config, prop.name)
        v = self.verdicts.get(key)
        if v is None:
            v = self.verdicts[key] = check_properties(self.exploration(config), (prop,))[0]
        return v

    def scenario(self, name: str, config: Config) -> Run | None:
        key = (name, config)
        if key not in self.scenario_runs:
            sc = SCENARIOS[name]
            model = self.model(config)
            path = find_path(model, sc.goal, sc.observe)
            self.scenario_runs[key] = None if path is None else _run_of_path(model, path)
        return self.scenario_runs[key]


def _describe(q: Question, lang: str = "en") -> str:
    """What question ``q`` asks, generated from its keys, in ``lang``."""
    _ = translator(lang)
    where = (_("scenario '{scenario}'").format(scenario=q.scenario) if q.scenario
             else _("the given {n} step(s)").format(n=len(q.steps)))
    if q.upto_segment:
        where = _("segment {n} of {run}").format(n=q.upto_segment, run=where)
    conf = _(" in configuration '{configuration}'").format(configuration=q.configuration) if q.configuration else ""
    if q.ask == "state-after":
        return _("which state each endpoint is in after {run}{configuration}").format(run=where, configuration=conf)
    if q.ask == "segment":
        what = _("SEQ, ACK and control bits") if q.ask_flags else _("SEQ and ACK")
        return _("the {what} of segment {n} of {run}{configuration}").format(
            what=what, n=q.segment, run=where, configuration=conf)
    if q.ask == "reachable":
        return _("the states {endpoint} can still reach once {unplugged} is unplugged after {run}{configuration}").format(
            endpoint=q.endpoint, unplugged=q.unplugged, run=where, configuration=conf)
    run = _(" (with a run that shows it)") if q.with_run else ""
    return _("whether '{property}' holds{configuration}{run}").format(
        property=property_name(q.property, lang), configuration=conf, run=run)


def _flags_text(seg: Segment) -> str:
    return ",".join(f for f in _FLAGS if getattr(seg, f))


def parse_questions(entries: list[dict], text: str, path: str, configurations: dict[str, Config],
                    reference: RuleTable) -> list[Question]:
    """Validate the ``[[questions]]`` entries of an assignment and compute each
    one's expected answer from ``reference``.

    ``text`` is the assignment's TOML text (to find lines), ``path`` its name in
    messages, ``configurations`` the assignment's configurations by name.
    Raises QuestionError listing every problem of the file as ``path:line: ...``
    (the line of the offending key in the N-th ``[[questions]]`` block).
    """
    lines = TomlLines(text)
    ctx = _Context(reference)
    errors: list[tuple[int, int, str]] = []  # (line, order, message)
    out: list[Question] = []
    seen_ids: dict[str, int] = {}
    if not isinstance(entries, list):
        raise QuestionError([f"{path}:{lines.line('questions')}: questions must be an array of tables: [[questions]]"])
    for i, entry in enumerate(entries):
        errs: list[tuple[int, str]] = []

        def err(key: str | None, message: str, line: int | None = None) -> None:
            n = line if line is not None else (lines.line("questions", i, key) if key else lines.line("questions", i))
            errs.append((n, message))

        if not isinstance(entry, dict):
            err(None, f"question {i + 1} must be a table ([[questions]]), not {_describe_value(entry)}")
            errors.extend((n, len(errors), f"{path}:{n}: {m}") for n, m in errs)
            continue
        q = _parse_entry(i, entry, err, configurations, lines)
        if q is not None:
            first = seen_ids.get(q.id)
            if first is not None:
                err("id", f"duplicate question id '{q.id}' (the first is at line {first})")
            else:
                seen_ids[q.id] = lines.line("questions", i, "id")
        if q is not None:  # well-formed (an unknown key or a duplicate id does not stop it)
            _settle(q, ctx, err, lines, i)
        if errs:
            errors.extend((n, len(errors), f"{path}:{n}: {m}") for n, m in errs)
        elif q is not None:
            out.append(q)
    if errors:
        raise QuestionError([m for _, _, m in sorted(errors)])
    return out


def _parse_entry(i: int, entry: dict, err, configurations: dict[str, Config], lines: TomlLines) -> Question | None:
    """Check the keys and types of one entry; None when it is too broken to go on."""
    ok = True
    ask = entry.get("ask")
    if "ask" not in entry:
        err(None, f"question {i + 1} has no 'ask'; expected one of {', '.join(ASKS)}")
        return None
    if ask not in ASKS:
        err("ask", f"unknown ask {_describe_value(ask)}; expected one of {', '.join(ASKS)}"
                   f"{_did_you_mean(ask, ASKS) if isinstance(ask, str) else ''}")
        return None
    allowed = _KEYS[ask]
    for key in entry:
        if key in allowed:
            continue
        if key in _ALL_KEYS:
            err(key, f"'{key}' is not used by ask = \"{ask}\" questions; their keys are "
                     f"{', '.join(allowed)}")
        else:
            err(key, f"unknown key '{key}'{_did_you_mean(key, allowed)}; the keys of ask = \"{ask}\" "
                     f"questions are {', '.join(allowed)}")
        # not fatal: the rest of the question is still checked (and its run replayed)
    for key in ("id", "points"):
        if key not in entry:
            err(None, f"question {i + 1} has no '{key}'")
            ok = False
    qid = entry.get("id")
    if "id" in entry and not (isinstance(qid, str) and _ID.match(qid)):
        err("id", f"id must be a short name of letters, digits, '_' and '-' (the answer file's "
                  f"[table] for it), not {_describe_value(qid)}")
        ok = False
    points = entry.get("points", 0)
    if "points" in entry and (isinstance(points, bool) or not isinstance(points, (int, float))
                              or not points >= 0 or points != points or points == float("inf")):
        err("points", f"points must be a number >= 0, not {_describe_value(points)}")
        ok = False
    visibility = entry.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        err("visibility", f"visibility must be one of {', '.join(VISIBILITIES)}, not "
                          f"{_describe_value(visibility)}"
                          f"{_did_you_mean(visibility, VISIBILITIES) if isinstance(visibility, str) else ''}")
        ok = False
    feedback = entry.get("feedback")
    if feedback is not None and feedback not in FEEDBACKS:
        err("feedback", f"feedback must be one of {', '.join(FEEDBACKS)}, not {_describe_value(feedback)}"
                        f"{_did_you_mean(feedback, FEEDBACKS) if isinstance(feedback, str) else ''}")
        ok = False
    text = entry.get("text", "")
    if not isinstance(text, str):
        err("text", f"text must be a string, not {_describe_value(text)}")
        ok = False

    def boolean(key: str) -> bool:
        nonlocal ok
        v = entry.get(key, False)
        if not isinstance(v, bool):
            err(key, f"{key} must be true or false, not {_describe_value(v)}")
            ok = False
            return False
        return v

    def count(key: str) -> int | None:
        nonlocal ok
        if key not in entry:
            return None
        v = entry[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            err(key, f"{key} must be a whole number from 1, not {_describe_value(v)}")
            ok = False
            return None
        return v

    # the configuration
    conf_name = entry.get("configuration")
    config = None
    if conf_name is not None:
        if not isinstance(conf_name, str):
            err("configuration", f"configuration must be a name in quotes, not {_describe_value(conf_name)}")
            ok = False
        elif conf_name not in configurations:
            known = ", ".join(sorted(configurations)) or "none"
            err("configuration", f"unknown configuration '{conf_name}'"
                                 f"{_did_you_mean(conf_name, configurations)}; the assignment's "
                                 f"configurations are: {known}")
            ok = False
        else:
            config = configurations[conf_name]
    q = Question(id=qid if isinstance(qid, str) else "", ask=ask,
                 points=float(points) if isinstance(points, (int, float)) else 0.0,
                 text=text if isinstance(text, str) else "", description="",
                 visibility=visibility if visibility in VISIBILITIES else "visible",
                 feedback=feedback, line=lines.line("questions", i), configuration=conf_name, config=config)
    needs_config = ask == "claim"
    if ask != "claim":
        has_sc, has_steps = "scenario" in entry, "steps" in entry
        if has_sc == has_steps:
            err("steps" if has_steps else None,
                "give either scenario = \"NAME\" or steps = [...], not both" if has_sc else
                f"question {i + 1} names no run: give scenario = \"NAME\" (one of "
                f"{', '.join(SCENARIOS)}) or steps = [\"A: active OPEN\", ...]")
            ok = False
        elif has_sc:
            sc = entry["scenario"]
            if sc not in SCENARIOS:
                err("scenario", f"unknown scenario {_describe_value(sc)}"
                                f"{_did_you_mean(sc, SCENARIOS) if isinstance(sc, str) else ''}; "
                                f"the scenarios are: {', '.join(SCENARIOS)}")
                ok = False
            else:
                q.scenario = sc
                if config is None and conf_name is None:
                    q.config = SCENARIOS[sc].config
                    q.configuration = q.config.name
        else:
            st = entry["steps"]
            if not isinstance(st, list) or not st or not all(isinstance(x, str) for x in st):
                err("steps", f"steps must be a non-empty list of steps in quotes, such as "
                             f"[\"A: active OPEN\", \"B receives SYN\"], not {_describe_value(st)}")
                ok = False
            else:
                q.steps = tuple(st)
            needs_config = True
        if ask != "segment":
            q.upto_segment = count("upto_segment")
    if needs_config and conf_name is None:
        if len(configurations) == 1:
            q.configuration, = configurations
            q.config = configurations[q.configuration]
        else:
            known = ", ".join(sorted(configurations)) or "none"
            err(None, f"question {i + 1} names no configuration: add configuration = \"NAME\" "
                      f"(the assignment's configurations are: {known})")
            ok = False
    if ask == "segment":
        if "segment" not in entry:
            err(None, f"question {i + 1} asks about a segment but has no segment = N")
            ok = False
        q.segment = count("segment")
        q.ask_flags = boolean("ask_flags")
    elif ask == "reachable":
        ep, un = entry.get("endpoint"), entry.get("unplugged")
        for key, v in (("endpoint", ep), ("unplugged", un)):
            if v is not None and v not in ENDPOINTS:
                err(key, f"{key} must be \"A\" or \"B\", not {_describe_value(v)}")
                ok = False
        if ep in ENDPOINTS or un in ENDPOINTS:
            if ep not in ENDPOINTS:
                ep = "B" if un == "A" else "A"
            if un not in ENDPOINTS:
                un = "B" if ep == "A" else "A"
            if ep == un:
                err("unplugged", f"the endpoint whose states are asked ({ep}) cannot be the one unplugged")
                ok = False
            q.endpoint, q.unplugged = ep, un
        elif ep is None and un is None:
            err(None, f"question {i + 1} asks what is reachable but names neither endpoint = "
                      f"\"A\"|\"B\" nor unplugged = \"A\"|\"B\"")
            ok = False
    elif ask == "claim":
        prop = entry.get("property")
        if "property" not in entry:
            err(None, f"question {i + 1} makes a claim but names no property = \"NAME\"")
            ok = False
        else:
            found = (canonical_property(prop) if isinstance(prop, str) else None) or next(
                (n for n in _PROPERTY if isinstance(prop, str) and n.lower() == " ".join(prop.lower().split())), None)
            if found is None:
                err("property", f"unknown property {_describe_value(prop)}"
                                f"{_did_you_mean(prop, [*_PROPERTY, *property_names('zh')]) if isinstance(prop, str) else ''}; "
                                f"the properties are: {'; '.join(_PROPERTY)}")
                ok = False
            else:
                q.property = found
        q.with_run = boolean("with_run")
    return q if ok else None


def _settle(q: Question, ctx: _Context, err, lines: TomlLines, i: int) -> None:
    """Replay or search the question's run and compute its expected answer."""
    q.model = ctx.model(q.config)
    if q.ask == "claim":
        _settle_claim(q, ctx, err)
        q.description = _describe(q)
        return
    if q.scenario is not None:
        run = ctx.scenario(q.scenario, q.config)
        if run is None:
            err("scenario", f"scenario '{q.scenario}' has no run in configuration '{q.configuration}'")
            return
        if len(run.path) == 1:
            err("scenario", f"scenario '{q.scenario}' is the empty run in configuration "
                            f"'{q.configuration}' (its goal holds in the initial state)")
            return
    else:
        try:
            run = replay(q.model, q.steps)
        except ReplayError as exc:
            at = lines.elements(("questions", i, "steps"), list(q.steps))
            err("steps", f"{exc} (configuration '{q.configuration}')", line=at[exc.index - 1])
            return
    if q.upto_segment is not None:
        try:
            run = run.upto_segment(q.upto_segment)
        except ValueError as exc:
            err("upto_segment", f"upto_segment = {q.upto_segment}: {exc}")
            return
    q.run = run
    end = run.path[-1][1]
    if q.ask == "state-after":
        q.expected = {"A": end.A.state, "B": end.B.state}
    elif q.ask == "segment":
        segs = run.segments()
        if q.segment > len(segs):
            err("segment", f"segment = {q.segment}: the run sends {len(segs)} segment(s)")
            return
        seg = segs[q.segment - 1][2]
        q.expected = {"SEQ": seg.seq, "ACK": seg.ack if seg.ACK else "none"}
        if q.ask_flags:
            q.expected["CTL"] = _flags_text(seg)
    else:
        q.expected = {"states": _reachable(q.model, run.ids[-1], q.endpoint, q.unplugged)}
    q.description = _describe(q)


class _Unplugged:
    """The model from one state on, without the steps of one endpoint."""

    def __init__(self, model: Model, start: tuple, who: str):
        self.model, self.start, self.who = model, start, who
        self.decode, self.step = model.decode, model.step

    def initial_states(self):
        return [self.start]

    def successors(self, s):
        step = self.model.step
        return [(label, t) for label, t in self.model.successors(s) if step(label).actor != self.who]


def _reachable(model: Model, start: tuple, endpoint: str, unplugged: str) -> list[str]:
    x = explore(_Unplugged(model, start, unplugged))
    seen = {getattr(x.state(i), endpoint).state for i in range(len(x.states))}
    return [s for s in STATES if s in seen]


def _stop_run(x: Exploration, prop: Property):
    """For a liveness property: the shortest run from the initial state that
    reaches a P-state and then, through states without Q, a state without
    successors (the kind of counterexample a list of steps can show); None
    if there is none."""
    states = [x.state(i) for i in range(len(x.states))]
    out: list[list[tuple[int, int]]] = [[] for _ in states]
    for u, v, k in zip(x.src, x.dst, x.lab):
        out[u].append((v, k))
    terminal = set(x.terminal)
    best = None
    for p, q in prop.test:
        not_q = [not q(s) for s in states]
        came = {i: (-1, -1) for i, s in enumerate(states) if not_q[i] and p(s)}
        order = list(came)
        hit = next((u for u in order if u in terminal), None)
        j = 0
        while hit is None and j < len(order):
            u = order[j]
            j += 1
            for v, k in out[u]:
                if not_q[v] and v not in came:
                    came[v] = (u, k)
                    order.append(v)
                    if v in terminal:
                        hit = v
                        break
        if hit is None:
            continue
        chain, labels = [hit], []
        while came[chain[-1]][0] >= 0:
            u, k = came[chain[-1]]
            chain.append(u)
            labels.append(k)
        head = chain[-1]
        ids = x.ids_to(head)[:-1] + chain[::-1]
        labs = x.labels_to(head) + labels[::-1]
        if best is None or len(ids) < len(best[0]):
            best = (ids, labs)
    return None if best is None else x.walk(*best)


def _settle_claim(q: Question, ctx: _Context, err) -> None:
    prop = _PROPERTY[q.property]
    v = ctx.verdict(q.config, prop)
    if v.verdict == "unknown":
        err("configuration", f"'{q.property}' is unknown in configuration '{q.configuration}': the "
                             f"exploration is incomplete")
        return
    holds = v.verdict == "holds"
    q.expected = {"holds": holds}
    has_run = (prop.kind == "reachability") == holds
    if not q.with_run or not has_run:
        return
    x = ctx.exploration(q.config)
    if prop.kind == "liveness":
        path = _stop_run(x, prop)
        if path is None:
            err("with_run", f"with_run: '{q.property}' is violated in configuration "
                            f"'{q.configuration}' only by runs that go round a cycle for ever, which "
                            f"a list of steps cannot show; drop with_run")
            return
    else:
        path = path_of(x, v)
    q.run_asked = True
    q.expected["run"] = [step_text(st) for st, _ in path[1:]]
    # the answer key must itself be a right answer: replay it as a student's run
    if _shows(q, replay(q.model, q.expected["run"])) is not None:  # pragma: no cover - a bug
        raise RuntimeError(f"the reference's run for '{q.property}' does not show its verdict")


# --- checking a student's run of a claim -------------------------------------------------

def _shows(q: Question, run: Run, _=None) -> str | None:
    """None if the replayed ``run`` shows the reference's verdict on q's property,
    else why not (in the language of ``_``)."""
    _ = _ or translator("en")
    prop = _PROPERTY[q.property]
    said = property_name(q.property, _.lang)
    states = [s for _s, s in run.path]
    end = states[-1]
    at = _("(it ends with A in {a}, B in {b})").format(a=end.A.state, b=end.B.state)
    if prop.kind == "invariant":
        if any(prop.test(s) is not None for s in states):
            return None
        return _("no state of the run breaks '{property}' {at}").format(property=said, at=at)
    if prop.kind == "step":
        if any(prop.test(a, st, b) is not None for (_s, a), (st, b) in zip(run.path, run.path[1:])):
            return None
        return _("no step of the run breaks '{property}'").format(property=said)
    if prop.kind == "reachability":
        if any(prop.test(s) is None for s in states):
            return None
        return _("no state of the run is one that '{property}' asks for {at}").format(property=said, at=at)
    stuck = not q.model.successors(run.ids[-1])
    if prop.kind == "deadlock":
        if not stuck:
            return _("the run does not end in a stuck state: steps are still possible {at}").format(at=at)
        if acceptable_end(end):
            return _("the run ends in an acceptable end, not a deadlock {at}").format(at=at)
        return None
    # liveness: a run that stops, in which Q never holds again after some P-state
    if not stuck:
        return _("the run does not end in a state without successors {at}, so a fair run may go on").format(at=at)
    for p, qq in prop.test:
        later_q = False
        for s in reversed(states):
            later_q = later_q or qq(s)
            if p(s) and not later_q:
                return None
    return _("the run gets to what '{property}' promises (or never needs it), so it is no counterexample "
             "{at}").format(property=said, at=at)


# --- answer files ------------------------------------------------------------------------

class Answers(dict):
    """A student's answers: question id -> its answer table (a dict), with the
    file's name, the line of every key and the warnings found so far."""

    def __init__(self, data: dict, name: str, lines: TomlLines | None = None):
        super().__init__(data)
        self.name = name
        self.lines = lines or TomlLines("")
        self.warnings: list[str] = []

    def line(self, qid: str, key: str | None = None) -> int:
        """The line of ``key`` in question ``qid``'s table (of the table without a key); 1 if not written."""
        return self.lines.line(qid) if key is None else self.lines.line(qid, key)

    def where(self, qid: str, key: str | None = None) -> str:
        return f"{self.name}:{self.line(qid, key)}"

    def element_lines(self, qid: str, key: str, values: list) -> list[int]:
        """The line of each of ``values`` (a list, or the lines of a string) given for ``key``."""
        return self.lines.elements((qid, key), values)


def load_answers(path, questions: list[Question] | None = None) -> Answers:
    """Read a student's answer file (see :func:`parse_answers`)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_ANSWER_BYTES + 1)
    except OSError as exc:
        raise AnswerError(f"{p}: cannot read the answer file: {exc.strerror}") from None
    if len(data) > MAX_ANSWER_BYTES:
        raise AnswerError(f"{p}:1: the answer file is larger than {MAX_ANSWER_BYTES // 1024} KiB")
    return parse_answers(decode_input(data, p, "the answer file", AnswerError), str(p), questions)


def parse_answers(text: str, name: str, questions: list[Question] | None = None) -> Answers:
    """The answers in the TOML ``text`` of an answer file called ``name``.

    Every top-level entry must be a table named after a question id (``[q1]``);
    AnswerError (``name:line: ...``) otherwise, or when the text is not TOML or
    larger than 64 KiB.  With ``questions``, the returned Answers' ``warnings``
    list unknown ids and keys and answers of the wrong type (see
    :func:`answer_warnings`)."""
    if len(text.encode("utf-8")) > MAX_ANSWER_BYTES:
        raise AnswerError(f"{name}:1: the answer file is larger than {MAX_ANSWER_BYTES // 1024} KiB")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswerError(f"{name}:{error_line(exc)}: not valid TOML: {exc}") from None
    except RecursionError:  # arrays or inline tables nested past tomllib's depth
        raise AnswerError(f"{name}:1: not valid TOML: nested too deeply") from None
    lines = TomlLines(text)
    for key, value in data.items():
        if not isinstance(value, dict):
            n = lines.line(key)
            raise AnswerError(f"{name}:{n}: '{key}' is not a question's table: write each question's "
                              f"answers under its id, e.g. [q1] then A = \"FIN_WAIT_2\"")
    answers = Answers(data, name, lines)
    if questions is not None:
        answers.warnings.extend(answer_warnings(questions, answers))
    return answers


def _lookup(table: dict, key: str):
    """The student's value for ``key`` (case-insensitively), and the key as written."""
    if key in table:
        return table[key], key
    for k in sorted(table):
        if isinstance(k, str) and k.lower() == key.lower():
            return table[k], k
    return None, None


def answer_warnings(questions: list[Question], answers: Answers) -> list[str]:
    """Warnings about an answer file: unknown question ids and keys (with a
    did-you-mean) and answers of the wrong type, as ``name:line: ...``, in the
    order of the file."""
    by_id = {q.id: q for q in questions}
    out: list[tuple[int, str]] = []
    for qid in answers:
        q = by_id.get(qid)
        if q is None:
            out.append((answers.line(qid), f"{answers.where(qid)}: there is no question '{qid}'"
                        f"{_did_you_mean(qid, by_id)}; its answers are ignored"))
            continue
        table = answers[qid]
        wanted = {k.lower(): k for k in q.keys()}
        for k in table:
            if k.lower() not in wanted:
                out.append((answers.line(qid, k), f"{answers.where(qid, k)}: question '{qid}' has no "
                            f"'{k}'{_did_you_mean(k, q.keys())}; it expects {', '.join(q.keys())}; "
                            f"'{k}' is ignored"))
        for part in _judge(q, table, answers):
            if part.problem:
                out.append((part.line, part.problem))
    return [m for _, m in sorted(out, key=lambda x: x[0])]


# --- grading -------------------------------------------------------------------------------

@dataclass
class _Part:
    key: str
    label: str  # "the state of B"
    weight: float  # fraction of the points
    right: float  # fraction of the part earned, 0..1
    given: bool
    problem: str = ""  # name:line: why the answer cannot be read (a type error...)
    line: int = 1
    note: str = ""  # run level: more about it (a run's replay)
    wrong_count: int = 0  # reachable: how many states are wrong
    run: Run | None = None  # claim: the student's run, replayed
    empty: bool = False  # reachable: no state given


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        if v and all(isinstance(x, str) for x in v) and sum(len(x) for x in v) > 60:
            return "[\n" + "".join(f"    {_toml_value(x)},\n" for x in v) + "]"
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def _toml_table(table: dict, keys) -> str:
    return "\n".join(f"{k} = {_toml_value(table[k])}" for k in keys if k in table)


def _number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _ctl(value) -> frozenset | None:
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        value = ",".join(value)
    if not isinstance(value, str):
        return None
    v = value.upper().replace("<CTL=", "").replace(">", "")
    words = [w for w in re.split(r"[\s,+/|\-]+", v) if w]
    out = set()
    for w in words:
        if w == "SYNACK":
            out |= {"SYN", "ACK"}
        elif w == "FINACK":
            out |= {"FIN", "ACK"}
        elif w in _FLAGS:
            out.add(w)
        elif w not in ("NONE",):
            return None
    return frozenset(out)


def _judge(q: Question, table: dict, answers: Answers, lang: str = "en") -> list[_Part]:
    """Each part of q's answer, judged against the expected answer; its texts in ``lang``."""
    _ = translator(lang)
    name = answers.name

    def value_of(v):
        return _describe_value(v, _)
    parts: list[_Part] = []

    def line(key):
        return answers.line(q.id, key)

    def problem(key, text):
        return f"{name}:{line(key)}: {q.id}.{key}: {text}"

    if q.ask == "state-after":
        for w in ENDPOINTS:
            value, k = _lookup(table, w)
            p = _Part(w, _("the state of {endpoint}").format(endpoint=w), 0.5, 0.0, k is not None, line=line(k or w))
            if k is not None:
                st = state_name(value)
                if st is None:
                    if isinstance(value, str):
                        p.problem = problem(k, _("{value} is not one of the eleven states").format(value=value_of(value))
                                           + _did_you_mean(value.upper().replace('-', '_'), STATES))
                    else:
                        p.problem = problem(k, _("expected a state name in quotes such as \"FIN_WAIT_2\", not {value}").format(
                            value=value_of(value)))
                elif st == q.expected[w]:
                    p.right = 1.0
            parts.append(p)
    elif q.ask == "segment":
        keys = q.keys()
        for key in keys:
            value, k = _lookup(table, key)
            label = {"SEQ": _("the SEQ"), "ACK": _("the ACK"), "CTL": _("the control bits")}[key]
            p = _Part(key, label, 1.0 / len(keys), 0.0, k is not None, line=line(k or key))
            if k is not None:
                want = q.expected[key]
                if key == "SEQ":
                    got = _number(value)
                    if got is None:
                        p.problem = problem(k, _("expected a sequence number such as 4294967295, not {value}").format(
                            value=value_of(value)))
                elif key == "ACK":
                    got = _number(value)
                    if got is None and isinstance(value, str) and value.strip().lower() in (
                            "none", "no", "-", "n/a", "no ack", "nothing"):
                        got = "none"
                    if got is None:
                        p.problem = problem(k, _("expected an acknowledgment number such as 301, or \"none\", not "
                                                 "{value}").format(value=value_of(value)))
                else:
                    got = _ctl(value)
                    want = frozenset(f for f in want.split(",") if f)
                    if got is None:
                        p.problem = problem(k, _("expected control bits such as \"FIN,ACK\", not {value}").format(
                            value=value_of(value)))
                if got is not None and got == want:
                    p.right = 1.0
            parts.append(p)
    elif q.ask == "reachable":
        value, k = _lookup(table, "states")
        p = _Part("states", _("the states"), 1.0, 0.0, k is not None, line=line(k or "states"))
        if k is not None:
            items = value
            if isinstance(items, str):
                items = [x for x in re.split(r"[\s,;]+", items) if x]
            if not isinstance(items, list):
                p.problem = problem(k, _("expected a list of state names such as [\"FIN_WAIT_1\", \"CLOSED\"], not "
                                     "{value}").format(value=value_of(value)))
            else:
                chosen, bad = set(), []
                for x in items:
                    st = state_name(x)
                    if st is None:
                        bad.append(value_of(x))
                    else:
                        chosen.add(st)
                if bad:
                    p.problem = problem(k, _("not state names, left out: {values}").format(values=", ".join(bad)))
                if chosen:
                    want = set(q.expected["states"])
                    right = sum((s in chosen) == (s in want) for s in STATES)
                    p.right = right / len(STATES)
                    p.wrong_count = len(STATES) - right
                else:
                    p.empty = True
        parts.append(p)
    else:
        value, k = _lookup(table, "holds")
        weight = 0.5 if q.run_asked else 1.0
        p = _Part("holds", _("holds", "verdict"), weight, 0.0, k is not None, line=line(k or "holds"))
        if k is not None:
            got = value if isinstance(value, bool) else {
                "true": True, "yes": True, "holds": True, "false": False, "no": False,
                "violated": False}.get(value.strip().lower() if isinstance(value, str) else None)
            if got is None:
                p.problem = problem(k, _("expected true or false, not {value}").format(value=value_of(value)))
            elif got == q.expected["holds"]:
                p.right = 1.0
        parts.append(p)
        if q.with_run:
            value, k = _lookup(table, "run")
            r = _Part("run", _("the run"), 0.5 if q.run_asked else 0.0, 0.0, k is not None,
                      line=line(k or "run"))
            if k is not None:
                steps = value
                if isinstance(steps, str):
                    steps = [x for x in steps.split("\n") if x.strip()]
                if not isinstance(steps, list) or not all(isinstance(x, str) for x in steps):
                    r.problem = problem(k, _("expected a list of steps in quotes such as [\"A: active OPEN\", \"B "
                                         "receives SYN\"], not {value}").format(value=value_of(value)))
                else:
                    try:
                        run = replay(q.model, steps)
                    except ReplayError as exc:
                        n = answers.element_lines(q.id, k, steps)[exc.index - 1]
                        r.note = f"{name}:{n}: " + _("your run does not replay: {why}").format(why=exc)
                    else:
                        why = _shows(q, run, _)
                        if why is None:
                            r.right = 1.0
                            r.note = (_("your run replays ({n} steps) and reaches it") if q.expected.get("holds")
                                      else _("your run replays ({n} steps) and shows the violation")).format(
                                n=len(run.texts))
                        else:
                            r.note = _("your run replays ({n} steps) but {why}").format(n=len(run.texts), why=why)
                        r.run = run
            parts.append(r)
    return parts


def _plain(value):
    """A TOML value as JSON can hold it (dates and times become strings)."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _echo(q: Question, table: dict) -> str:
    shown = {}
    for key in q.keys():
        value, k = _lookup(table, key)
        if k is not None:
            shown[key] = value
    return _toml_table(shown, q.keys()) if shown else ""


def grade_answers(questions: list[Question], answers: dict, feedback: str,
                  first_number: int = 1, lang: str = "en") -> list[TestResult]:
    """One TestResult per question, in order, numbered from ``first_number``,
    its name and feedback in ``lang`` (an instructor's own ``text`` as written).

    ``answers`` is what :func:`parse_answers` returned (a plain dict of tables
    works too; its messages then say "answers").  ``feedback`` is the
    assignment's level (a question's own ``feedback`` overrides it):

    * ``pass-fail``: the output is "correct", "not correct" or "no answer given";
    * ``test``: also which part is wrong ("the state of B is wrong"; for a
      reachable question, how many of the eleven states are wrong) and why an
      answer cannot be read (``name:line``);
    * ``run``: also the student's answer, echoed, and for a claim's run where it
      fails to replay or why it does not show the verdict;
    * ``expected``: as ``run``, and the expected answer (as answer-file TOML) in
      TestResult.expected, never in the output.
    """
    if feedback not in FEEDBACKS:
        raise ValueError(f"unknown feedback level {feedback!r}; expected one of {', '.join(FEEDBACKS)}")
    if not isinstance(answers, Answers):
        answers = Answers(dict(answers), "answers")
    _ = translator(lang)
    results = []
    for n, q in enumerate(questions):
        level = q.feedback or feedback
        rank = FEEDBACKS.index(level)
        table = answers.get(q.id)
        name = q.name if lang == "en" else f"{q.id}: {q.text or _describe(q, lang)}"
        tr = TestResult(number=str(first_number + n), name=name, kind="question",
                        max_score=q.points, score=0.0, status="failed", visibility=q.visibility,
                        configuration=q.configuration)
        if rank >= FEEDBACKS.index("expected"):
            tr.expected = _toml_table(q.expected, q.keys())
        if not isinstance(table, dict) or not table:
            tr.output = _("no answer given")
            tr.details = {"answered": False}
            results.append(tr)
            continue
        parts = _judge(q, table, answers, lang)
        fraction = sum(p.weight * p.right for p in parts if p.weight)
        weights = sum(p.weight for p in parts)
        fraction = fraction / weights if weights else 1.0
        full = all(p.right == 1.0 for p in parts if p.weight)
        tr.score = q.points if full else round(q.points * fraction, 6)
        tr.status = "passed" if full else "failed"
        lines = [_("correct") if full else _("not correct")]
        details: dict = {"answered": True}
        if rank >= 1:
            wrong = []
            for p in parts:
                if not p.weight or p.right == 1.0:
                    continue
                if not p.given:
                    wrong.append(_("{part}: no answer given").format(part=p.label))
                elif p.key == "states" and p.wrong_count:
                    wrong.append(_.ngettext("{n} of the 11 states is wrong (included or left out)",
                                            "{n} of the 11 states are wrong (included or left out)",
                                            p.wrong_count).format(n=p.wrong_count))
                elif p.key == "states" and p.empty:
                    wrong.append(_("no state given (an empty answer scores 0)"))
                elif p.key == "states":
                    wrong.append(_("the states are wrong"))
                elif p.key == "run":
                    wrong.append(_("the run does not show it") if p.given else _("no run given"))
                else:
                    wrong.append((_("{part} are wrong") if p.key == "CTL" else _("{part} is wrong")).format(
                        part=p.label))
            if wrong:
                lines[0] = _("{verdict}: {wrong}").format(verdict=lines[0], wrong=_("; ", "trace").join(wrong))
            lines += [p.problem for p in parts if p.problem]
            details["parts"] = {p.key: round(p.right, 6) for p in parts}
        if rank >= 2:
            echo = _echo(q, table)
            if echo:
                lines.append(_("your answer:"))
                lines += ["  " + x for x in echo.split("\n")]
            lines += [p.note for p in parts if p.note]
            details["answer"] = {k: _plain(table[k]) for k in sorted(table)}
            for p in parts:
                if p.run is not None:
                    tr.run = trace_json(p.run.path, q.model.table)
        tr.output = "\n".join(lines)
        tr.details = details
        results.append(tr)
    return results


def answer_key(questions: list[Question]) -> str:
    """A correct answer file for ``questions``: the reference's answers, as TOML."""
    blocks = []
    for q in questions:
        blocks.append(f"[{q.id}]\n{_toml_table(q.expected, q.keys())}\n")
    return "\n".join(blocks)
