"""What users read: the summary of a check, its JSON form, and traces.

A trace is a numbered exchange of segments: each step says who did what
(a user call, a timeout, the arrival of a segment and the events the RFC
makes of it, a loss or duplication by the network), which segments were
sent, and both endpoints' states before and after.

The summary is written for a student's first contact: a violation that is a
known consequence of RFC 9293 itself (on the reference model, for the
reason the RFC gives it) says so in one line, with the RFC sections, the seed
note's claim and the command that draws its chart; a state that the
configuration does not mean to reach (``EndpointConfig.reaches``) is
information, not a violation, and does not count in the exit code; prose is
wrapped to the terminal's width (trace tables stay tables); it ends with
what to run next.

It formats and classifies; it decides no property.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shutil
import textwrap
from typing import NamedTuple

import wcwidth

from . import interface
from .checker import Result
from .config import PRESETS
from .i18n import N_, property_name, say, translator
from .mutants import MUTANTS
from .profiles import profile_of
from .properties import FAIRNESS, Verdict, path_of
from .scenarios import SCENARIOS
from .system import State, Step
from .table import RuleTable, load_table
from .tcb import MOD, STATES, describe_segment

__all__ = ["Known", "pad", "known_consequence", "counts", "not_meant", "trace_lines", "trace_json",
           "summary_lines", "result_json", "exit_code", "describe_config", "check_note", "config_name",
           "presets_lines", "mutants_lines", "wrap"]

#: the width prose is wrapped to when the terminal's is not known (and COLUMNS is not set)
DEFAULT_WIDTH = 80
_MIN_WIDTH = 40


def _change(before: str, after: str) -> str:
    return before if before == after else f"{before} -> {after}"


def _what(step: Step, table: RuleTable, lang: str = "en") -> str:
    _ = translator(lang)
    if step.kind in ("call", "timer"):
        return _("{actor}: {event}", "trace").format(actor=step.actor, event=_(step.event, "event"))
    segment = describe_segment(step.segment)
    if step.kind == "rcv":
        events = _("; ", "trace").join(_(e, "event") for e in step.event.split("; "))
        return _("{actor} receives {segment}: {events}", "trace").format(
            actor=step.actor, segment=segment, events=events)
    if step.kind == "lose":
        return _("network loses {segment} ({direction})", "trace").format(segment=segment, direction=step.event)
    return _("network duplicates {segment} ({direction})", "trace").format(segment=segment, direction=step.event)


def _peer(actor: str) -> str:
    return "B" if actor == "A" else "A"


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` columns of a terminal (a CJK character takes two)."""
    return text + " " * (width - wcwidth.width(text))


def trace_lines(path: list[tuple[Step | None, State]], table: RuleTable, lang: str = "en") -> list[str]:
    """A path as numbered lines in ``lang``: what happened, then both
    endpoints' states (state names and segments as the RFC writes them).

    The first line is the initial state; each step shows ``before -> after``
    for an endpoint whose state changed, and the segments it sent; the
    states line up in a terminal however wide the Chinese is.
    """
    _ = translator(lang)
    whats = [_what(step, table, lang) for step, _s in path[1:]]
    width = max([wcwidth.width(w) for w in whats] + [20]) + 2
    s0 = path[0][1]
    lines = [f"   0. {pad(_('initial state', 'trace'), width)} A {s0.A.state} | B {s0.B.state}"]
    prev = s0
    for n, ((step, s), what) in enumerate(zip(path[1:], whats), 1):
        states = f"A {_change(prev.A.state, s.A.state)} | B {_change(prev.B.state, s.B.state)}"
        lines.append(f"{n:>4}. {pad(what, width)} {states}")
        for seg in step.sent:
            note = "   " + _("(dropped: the channel is full)", "trace") if seg in step.dropped else ""
            lines.append(f"          {step.actor} --> {_peer(step.actor)}  {describe_segment(seg)}{note}")
        prev = s
    return lines


def trace_json(path: list[tuple[Step | None, State]], table: RuleTable) -> list[dict]:
    """A path as a list of steps for ``--json``.

    Step 0 is ``{"step": 0, "what": "initial state", "A": TCB, "B": TCB}``;
    every later step is ``{"step", "actor", "kind", "event", "what",
    "segment": SEGMENT or null, "sent": [SEGMENT], "dropped": [SEGMENT],
    "rules": [str], "before": {"A": state, "B": state}, "A": TCB, "B": TCB,
    "in_flight": {"A->B": [SEGMENT], "B->A": [SEGMENT]}}``, where SEGMENT is
    :func:`interface.segment_json` (its ``text`` is the RFC's notation) and
    TCB is :func:`interface.tcb_json`."""
    seg, tcb = interface.segment_json, interface.tcb_json
    out = []
    prev = path[0][1]
    out.append({"step": 0, "what": "initial state", "A": tcb(prev.A), "B": tcb(prev.B)})
    for n, (step, s) in enumerate(path[1:], 1):
        out.append({
            "step": n, "actor": step.actor, "kind": step.kind, "event": step.event,
            "what": _what(step, table),
            "segment": seg(step.segment) if step.segment else None,
            "sent": [seg(q) for q in step.sent],
            "dropped": [seg(q) for q in step.dropped],
            "rules": [table.rules[r].describe() for r in step.rules],
            "before": {"A": prev.A.state, "B": prev.B.state},
            "A": tcb(s.A), "B": tcb(s.B),
            "in_flight": {"A->B": [seg(q) for q in s.net_AB],
                          "B->A": [seg(q) for q in s.net_BA]},
        })
        prev = s
    return out


# --- what a violation means: known consequences of RFC 9293 ---------------------------


class Known(NamedTuple):
    """Why a violation is a known consequence of RFC 9293 itself."""

    why: str  # one sentence, with the RFC sections
    sections: tuple[str, ...]  # RFC 9293 sections, e.g. ("3.10.8",)
    claims: tuple[str, ...]  # the seed note's claims it relates to (shared/seed/CLAIMS.md)
    chart: str  # the command that draws its counterexample


@functools.lru_cache(maxsize=1)
def _reference():
    t = load_table()
    return [(r.state, r.qualifier, r.event, r.actions, r.to) for r in t.rules], t.arrivals


def _mutant_of(config) -> str | None:
    """The mutant a configuration was made for: apply_mutant names it ``..., mutant NAME``."""
    m = re.search(r", mutant ([A-Za-z0-9-]+)$", getattr(config, "name", ""))
    return m.group(1) if m else None


def is_reference(result: Result) -> bool:
    """Whether ``result`` was checked on the reference model: the reference
    table's rows (unmodified, however the file is laid out) with the
    reference segment semantics, and no mutant."""
    rows, arrivals = _reference()
    t = result.table
    return (not t.missing and t.arrivals == arrivals and _mutant_of(result.config) is None
            and [(r.state, r.qualifier, r.event, r.actions, r.to) for r in t.rules] == rows)


#: How an endpoint deletes its TCB on its own, as RFC 9293 lets it: what
#: happened, in words ("{w}" is the endpoint), and the section.
_DELETIONS = {
    "user timeout": (N_("{w}'s user timeout fired"), "3.10.8"),
    "ABORT": (N_("{w} aborted"), "3.10.5"),
    "timeout 2MSL": (N_("{w}'s 2MSL timeout expired"), "3.10.8"),
}


def _deletion(path, who: str):
    """The step of ``path`` at which ``who`` last went to CLOSED (index, step), or None."""
    for k in range(len(path) - 1, 0, -1):
        step, s = path[k]
        before = getattr(path[k - 1][1], who).state
        if getattr(s, who).state == "CLOSED" and before != "CLOSED":
            return k, step
    return None


def _quote(word: str) -> str:
    return word if re.fullmatch(r"[\w./,:=+-]+", word) else '"' + re.sub(r'(["\\$`])', r"\\\1", word) + '"'


def _source(result: Result) -> list[str]:
    """The options of ``tcpcheck check`` (and ``diagram trace``) that give this
    configuration and table, as well as the report can tell."""
    cfg, args = result.config, []
    name = cfg.name.rsplit(", mutant ", 1)[0] if _mutant_of(cfg) else cfg.name
    m = re.fullmatch(r"(.*) \(from preset [^)]*\)", name)
    if name in PRESETS and name != "default":
        args += ["--preset", name]
    elif m and not name.startswith("the "):
        args += ["--config", m.group(1)]
    rows, _ = _reference()
    if [(r.state, r.qualifier, r.event, r.actions, r.to) for r in result.table.rules] != rows \
            and not _mutant_of(cfg) and cfg.rules is None:
        profile = profile_of(result.table)
        args += ["--profile", profile] if profile else ["--rules", result.table.name]
    if _mutant_of(cfg):
        args += ["--mutant", _mutant_of(cfg)]
    return [_quote(a) for a in args]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "chart"


def chart_command(result: Result, v: Verdict) -> str:
    """The command that draws the counterexample (or witness) of ``v`` as a
    message sequence chart; through a ``--json`` file for a mutant, which
    ``diagram trace`` cannot apply itself."""
    src = _source(result)
    if _mutant_of(result.config):
        return (f"tcpcheck check {' '.join(src)} --json > check.json; tcpcheck diagram trace "
                f"--file check.json --property {_quote(v.name)} -o {_slug(v.name)}.svg")
    return " ".join(["tcpcheck diagram trace", *src, "--counterexample", _quote(v.name),
                     "-o", f"{_slug(v.name)}.svg"])


def known_consequence(result: Result, v: Verdict, lang: str = "en") -> Known | None:
    """Why violation ``v`` is a known consequence of RFC 9293 itself, or None;
    its ``why`` in ``lang``.

    Only on the reference model (:func:`is_reference`), and only for the
    reason the RFC gives it, read off the counterexample:

    * an endpoint stranded in FIN_WAIT_2 (``deadlock freedom``, ``every close
      completes``, ``... leads to ...``) after its peer deleted its TCB on its
      own: FIN_WAIT_2 has no timeout in RFC 9293;
    * the passive closer reset in LAST_ACK, after its peer deleted its TCB:
      CLOSED answers the FIN with a reset (3.10.7.1), or the peer's ABORT
      sends one (3.10.5), and LAST_ACK accepts it (3.10.7.4).
    """
    if v.verdict != "violated" or not is_reference(result):
        return None
    _ = translator(lang)
    key, facts = getattr(v.detail, "key", None), getattr(v.detail, "facts", {})
    path = path_of(result.exploration, v)
    if not path:
        return None
    end = path[-1][1]
    if key in ("stuck", "never-gets-there"):
        if key == "stuck" and facts.get("n") != 0 or key == "never-gets-there" and facts.get("how") != "it stops":
            return None
        waiting = [w for w in ("A", "B") if getattr(end, w).state == "FIN_WAIT_2"]
        if len(waiting) != 1 or getattr(end, _peer(waiting[0])).state not in ("CLOSED", "LISTEN"):
            return None
        w, peer = waiting[0], _peer(waiting[0])
        found = _deletion(path, peer)
        if found is None or found[1].event not in _DELETIONS:
            return None
        how, section = _DELETIONS[found[1].event]
        why = _("{how} (RFC 9293 {section}) and it deleted its TCB without a FIN; {w} waits in FIN_WAIT_2 "
                "for that FIN for ever, since RFC 9293 gives FIN_WAIT_2 no timeout (3.10.8 has none; real "
                "stacks add one, such as Linux's tcp_fin_timeout)").format(
            how=_(how).format(w=peer), section=section, w=w)
        return Known(why, tuple(dict.fromkeys((section, "3.10.8"))), ("C11",), chart_command(result, v))
    if key == "reset-in-last-ack":
        w = facts.get("actor")
        if w not in ("A", "B"):
            return None
        peer = _peer(w)
        rst = path[-1][0].segment
        sender = next((step for step, _s in reversed(path[1:]) if step.actor == peer and rst in step.sent), None)
        if sender is not None and sender.event == "ABORT":
            why = _("{peer} aborted, and an ABORT sends a reset (RFC 9293 3.10.5), which {w} in LAST_ACK "
                    "accepts (3.10.7.4)").format(peer=peer, w=w)
            return Known(why, ("3.10.5", "3.10.7.4"), ("C15",), chart_command(result, v))
        found = _deletion(path, peer)
        if sender is None or sender.kind != "rcv" or found is None or found[1].event not in _DELETIONS:
            return None
        how, section = _DELETIONS[found[1].event]
        why = _("{how} (RFC 9293 {section}) and it deleted its TCB before {w}'s FIN arrived; CLOSED answers "
                "that FIN with a reset (3.10.7.1), which {w} in LAST_ACK accepts (3.10.7.4)").format(
            how=_(how).format(w=peer), section=section, w=w)
        claims = ("C15", "C17") if found[1].event == "timeout 2MSL" else ("C15",)
        return Known(why, (section, "3.10.7.1", "3.10.7.4"), claims, chart_command(result, v))
    return None


# --- what the configuration means to reach -------------------------------------------


def _intent(config) -> dict[str, tuple[str, ...]] | None:
    """Each endpoint's declared states, or None when neither declares any."""
    a, b = getattr(config.A, "reaches", None), getattr(config.B, "reaches", None)
    if a is None and b is None:
        return None
    return {"A": a if a is not None else STATES, "B": b if b is not None else STATES}


def _state_of(v: Verdict) -> str | None:
    """The state a reachability property is about ("CLOSING is reachable"), or None."""
    name = v.name.removesuffix(" is reachable")
    return name if v.kind == "reachability" and name in STATES else None


def not_meant(result: Result, v: Verdict) -> bool:
    """Whether ``v`` is the reachability of a state no endpoint is meant to reach."""
    intent, state = _intent(result.config), _state_of(v)
    return intent is not None and state is not None and state not in intent["A"] + intent["B"]


def counts(result: Result, v: Verdict) -> bool:
    """Whether ``v`` counts in the exit code: every verdict but a not-meant state's reachability."""
    return not not_meant(result, v)


def exit_code(result) -> int:
    """0 all hold, 1 one is violated, 4 none violated but one unknown.

    ``result`` is a :class:`Result` (a state its configuration does not mean
    to reach does not count) or, as before, a list of verdicts (all count)."""
    verdicts = result.verdicts if isinstance(result, Result) else result
    if isinstance(result, Result):
        verdicts = [v for v in verdicts if counts(result, v)]
    if any(v.verdict == "violated" for v in verdicts):
        return 1
    if any(v.verdict == "unknown" for v in verdicts):
        return 4
    return 0


# --- the human summary ------------------------------------------------------------------


def _width() -> int:
    """The width to wrap prose to: COLUMNS when set, else the terminal's when
    standard output is one, else DEFAULT_WIDTH (so that output is the same
    whatever terminal a redirected or captured run was started from)."""
    import os
    import sys

    try:
        cols = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        cols = 0
    if cols <= 0:
        try:
            cols = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if sys.stdout.isatty() else DEFAULT_WIDTH
        except (AttributeError, ValueError, OSError):
            cols = DEFAULT_WIDTH
    return max(_MIN_WIDTH, cols)


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2018-\u201f"
#: What can stand at the start of a line of Chinese: a space, or a piece that
#: is one ideograph, "RFC 9293" or a run of other (Latin) characters, with the opening
#: marks before it and the closing marks after it (no line starts with ，or ）).
_PIECE = re.compile(rf"\s+|[（“‘《]*(?:RFC \d+|[\u4e00-\u9fff]|[^\s{_CJK}]+)[，。；：、）”’》！？…]*|\S")


def _wrap_cjk(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns (a CJK character
    takes two), broken at spaces and between ideographs; a piece wider than a
    line gets a line of its own."""
    lines, line, space, empty = [], first, "", True
    for piece in _PIECE.findall(re.sub(r"\s", " ", text)):
        if piece.isspace():
            if empty and not lines:
                line += piece  # the paragraph's own indentation stays, as with textwrap
            else:
                space = piece
            continue
        if not empty and wcwidth.width(line + space + piece) > width:
            lines.append(line)
            line, space, empty = rest, "", True
        line, space, empty = line + space + piece, "", False
    if not empty:
        lines.append(line)
    return lines


def wrap(text: str, width: int, first: str = "", rest: str = "", lang: str = "en") -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns, the first begun
    by ``first`` and the others by ``rest``: English wrapped at spaces
    (:mod:`textwrap`), Chinese also between ideographs (:func:`_wrap_cjk`)."""
    if lang == "en":
        return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                             break_long_words=False, break_on_hyphens=False)
    return _wrap_cjk(text, width, first, rest)


class _Writer:
    """Lines of prose wrapped to a width with hanging indents; tables as they are.

    English is wrapped at spaces (:mod:`textwrap`); Chinese, which has none
    between words, also between two ideographs (:func:`_wrap_cjk`)."""

    def __init__(self, width: int, lang: str = "en"):
        self.width, self.lang, self.lines = width, lang, []

    def say(self, text: str, indent: int = 0, hang: int = 4) -> None:
        self.lines += wrap(text, self.width, " " * indent, " " * (indent + hang), self.lang) or [""]

    def raw(self, *lines: str) -> None:
        self.lines += lines

    def blank(self) -> None:
        self.lines.append("")


#: Why a search stopped early: what stopped it, and what to do about it.
_STOPS = {"max-states": (N_("the state budget"), N_("raise --max-states")),
          "max-memory": (N_("the memory budget"), N_("raise --max-memory")),
          "max-seconds": (N_("the time budget"), N_("raise --max-seconds")),
          "interrupted": (N_("an interrupt"), N_("let it run to the end")),
          "violation": (N_("the first violation (--stop-at-first)"), N_("run without --stop-at-first"))}


def _stopped(result: Result) -> str | None:
    x = result.exploration
    stopped = getattr(result, "stopped", None)
    if stopped is None and not x.complete:
        stopped = "max-states"
    return stopped


def _timings(result: Result) -> dict:
    """search, properties and total seconds; those not measured are None."""
    t = dict(getattr(result, "timings", None) or {})
    t.setdefault("search", result.exploration.seconds)
    return {k: t.get(k) for k in ("search", "properties", "total")}


def _list(items, _) -> str:
    """``a, b and c`` in the language of ``_``."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return _("{items} and {last}").format(items=_(", ").join(items[:-1]), last=items[-1])


def _time_text(result: Result, _) -> str:
    x, t = result.exploration, _timings(result)
    rate = len(x.states) / t["search"] if t["search"] else float("inf")
    search = _("search {seconds} s ({rate} states/s)").format(seconds=f"{t['search']:.2f}", rate=f"{rate:,.0f}")
    if t["total"] is None or t["properties"] is None:
        return _("Time: {search}; the properties' time was not measured.").format(search=search)
    return _("Time: {total} s in all: {search}, properties {properties} s.").format(
        total=f"{t['total']:.2f}", search=search, properties=f"{t['properties']:.2f}")


def _reach_text(result: Result, who: str, complete: bool, _) -> str:
    reach = result.reachable()[who]
    intent = _intent(result.config)
    facts = {"who": who, "n": len(reach), "total": len(STATES), "states": " ".join(reach)}
    if complete:
        text = _("{who} reaches {n} of {total} states: {states}").format(**facts)
    else:
        text = _("{who} reaches so far {n} of {total} states: {states}").format(**facts)
    if intent is None:
        return text
    meant = intent[who]
    missing = [s for s in meant if s not in reach]
    extra = [s for s in reach if s not in meant]
    if not missing and not extra:
        return text + _(" (all it is meant to)")
    notes = []
    if missing:
        if complete:
            notes.append(_("meant to reach: {states}").format(states=" ".join(missing)))
        else:
            notes.append(_("meant to reach but not yet seen: {states}").format(states=" ".join(missing)))
    if extra:
        notes.append(_("not meant to: {states}").format(states=" ".join(extra)))
    return text + _(" ({notes})").format(notes=_("; ", "trace").join(notes))


#: What the verdict column says: a verdict, or ``info`` for a state not meant to be reached.
_MARKS = {"holds": N_("holds", "verdict"), "violated": N_("VIOLATED", "verdict"),
          "unknown": N_("unknown", "verdict"), "info": N_("info", "verdict")}


def _mark(result: Result, v: Verdict, _) -> str:
    which = "info" if not_meant(result, v) and v.verdict != "holds" else v.verdict
    return pad(_(_MARKS[which], "verdict"), 8)


def _where(config, _) -> str:
    if config.name in PRESETS:
        return _("preset '{name}'").format(name=config.name)
    return _("this configuration")


def _verdict_line(result: Result, v: Verdict, known: Known | None, quiet: bool, _, seconds=None) -> str:
    x, lang = result.exploration, _.lang
    extra = ""
    if not_meant(result, v):
        where = _where(result.config, _)
        if v.verdict == "holds":
            extra = _(" (reached, though {where} does not mean it to be)").format(where=where)
        elif v.verdict == "violated":
            extra = _(": not meant to be reached in {where}").format(where=where)
        else:
            extra = _(": not yet seen, and not meant to be reached in {where}").format(where=where)
    elif v.kind == "reachability" and v.verdict == "holds":
        n = x.depth[v.state]
        extra = _.ngettext(" ({n} step)", " ({n} steps)", n).format(n=n)
    elif v.verdict == "violated" and v.detail:
        extra = _(": {detail}").format(detail=say(v.detail, lang))
    if known is not None:
        extra += _(" (a known consequence of RFC 9293)") if quiet else _(" (a known consequence of RFC 9293, see below)")
    if seconds is not None:
        extra += _("  [{seconds} s]").format(seconds=f"{seconds:.2f}")
    ident = f" [{v.id}]" if getattr(v, "id", "") else ""
    return f"  {_mark(result, v, _)}  {pad(_(v.kind, 'kind'), 12)}  {property_name(v.name, lang)}{ident}{extra}"


def _rules_by_event(result: Result, ids, _) -> list[str]:
    by_event: dict[str, list[str]] = {}
    for r in ids:
        rule = result.table.rules[r]
        q = ""
        if rule.qualifier:  # as the diagrams say it: [passive], [被动打开]
            q = f"[{rule.qualifier if _.lang == 'en' else _(rule.qualifier + ' OPEN', 'event')}]"
        by_event.setdefault(rule.event, []).append(rule.state + q)
    return [_("{event}: {states}").format(event=_(event, "event"), states=_(", ").join(states))
            for event, states in by_event.items()]


def _counterexamples(result: Result, w: _Writer, _, note=None) -> None:
    """Each violation's run; ``note(v, _)``, when given, is said after its count of steps."""
    x, table, lang = result.exploration, result.table, _.lang
    shown: dict[tuple, str] = {}  # runs already printed, by their state and step ids
    for v in result.verdicts:
        if v.verdict != "violated" or (v.state is None and v.lasso is None):
            continue
        if v.lasso is not None:
            stem, cycle = v.lasso.stem, v.lasso.cycle
            stem_labels, cycle_labels = v.lasso.stem_labels, v.lasso.cycle_labels
        else:
            stem, cycle = x.ids_to(v.state), []
            stem_labels, cycle_labels = x.labels_to(v.state), []
        # the same states by different steps are a different run
        run_ids = (tuple(stem), tuple(cycle), tuple(stem_labels or ()), tuple(cycle_labels or ()))
        name, detail = property_name(v.name, lang), say(v.detail, lang)
        w.blank()
        if run_ids in shown:
            w.say(_("Counterexample to '{name}': {detail}; the same run as the counterexample to '{other}' "
                    "above.").format(name=name, detail=detail, other=property_name(shown[run_ids], lang)))
            continue
        shown[run_ids] = v.name
        extra = _(", then a cycle of {n} steps").format(n=len(cycle) - 1) if cycle else ""
        if note is not None:
            extra += note(v, _)
        w.say(_("Counterexample to '{name}' ({n} steps{cycle}): {detail}").format(
            name=name, n=len(stem) - 1, cycle=extra, detail=detail))
        w.raw(*trace_lines(x.walk(stem, stem_labels), table, lang))
        if cycle:
            w.raw("      " + _("... and then, for ever:"))
            w.raw(*trace_lines(x.walk(cycle, cycle_labels), table, lang)[1:])
        elif v.kind == "liveness":
            w.raw("      " + _("... and then nothing can happen any more."))
        if v.kind == "invariant":
            end = x.state(stem[-1])
            for who, t in (("A", end.A), ("B", end.B)):
                fields = ", ".join(f"{k}={val}" for k, val in interface.tcb_json(t).items())
                w.say(_("{who}: {fields}").format(who=who, fields=fields), indent=6)


def _result_text(result: Result, known: dict, _, listed: bool = True, more: str = "") -> str:
    """The result line; ``listed``: the known consequences are listed after it;
    ``more`` is said after its counts."""
    counted = [v for v in result.verdicts if counts(result, v)]
    bad = [v for v in counted if v.verdict == "violated"]
    unknown = [v for v in counted if v.verdict == "unknown"]
    info = [_state_of(v) for v in result.verdicts if not_meant(result, v) and v.verdict != "holds"]
    tail = ""
    if info:
        facts = {"states": _(", ").join(info), "where": _where(result.config, _)}
        if result.exploration.complete:
            tail = _.ngettext("; {states} is not reached, and not meant to be in {where}",
                              "; {states} are not reached, and not meant to be in {where}", len(info))
        else:
            tail = _.ngettext("; {states} is not reached yet, and not meant to be in {where}",
                              "; {states} are not reached yet, and not meant to be in {where}", len(info))
        tail = tail.format(**facts)
    tail += more
    if bad:
        k = sum(v.name in known for v in bad)
        note = ""
        if k == len(bad) == 1:
            note = _(", a known consequence of RFC 9293 itself, not a mistake of the model or of the table")
        elif k == len(bad):
            note = _(", all known consequences of RFC 9293 itself, not mistakes of the model or of the table")
        elif k:
            note = _.ngettext("; {k} of them is a known consequence of RFC 9293 itself, not mistakes of the "
                              "model or of the table",
                              "; {k} of them are known consequences of RFC 9293 itself, not mistakes of the "
                              "model or of the table", k).format(k=k)
        facts = {"bad": len(bad), "total": len(counted), "note": note, "tail": tail}
        if k and listed:
            return _("Result: {bad} of {total} properties violated{note}{tail}:").format(**facts)
        return _("Result: {bad} of {total} properties violated{note}{tail}.").format(**facts)
    if unknown:
        what, fix = _STOPS.get(_stopped(result), _STOPS["max-states"])
        return _("Result: no violation found, but {n} properties are unknown (the exploration is incomplete; "
                 "{fix}){tail}.").format(n=len(unknown), fix=_(fix), tail=tail)
    return _("Result: all {n} properties hold{tail}.").format(n=len(counted), tail=tail)


def _known_lines(result: Result, known: dict, w: _Writer, _) -> None:
    """One entry per known consequence: why, and the command that draws it; the
    properties one run violates (the same why) share their entry."""
    by_why: dict[str, list[str]] = {}
    for name, k in known.items():
        by_why.setdefault(k.why, []).append(name)
    for why, names in by_why.items():
        k = known[names[0]]
        which = _list((_("'{name}'", "property").format(name=property_name(n, _.lang)) for n in names), _)
        claims = _.ngettext("claim {claims}", "claims {claims}", len(k.claims)).format(claims=", ".join(k.claims))
        w.say(_("- {which}: {why} ({claims}).").format(which=which, why=why, claims=claims), indent=2, hang=2)
        w.raw("    " + _("chart: {command}").format(command=k.chart))


def _next_lines(result: Result, known: dict, w: _Writer, _) -> None:
    """A few commands worth running after this one, each with why."""
    cfg = result.config
    src = " ".join(_source(result))
    items = []
    stopped = _stopped(result)
    if stopped is not None:
        what, fix = _STOPS.get(stopped, _STOPS["max-states"])
        n = len(result.exploration.states)
        items.append((_("further ({fix}: the run stopped at {n} states)").format(fix=_(fix), n=f"{n:,}"),
                      f"tcpcheck check {src}".rstrip() + (f" --max-states {10 * n}" if stopped == "max-states" else "")))
    other = [v for v in result.verdicts if v.verdict == "violated" and v.name not in known and counts(result, v)
             and (v.state is not None or v.lasso is not None)]
    if other:
        items.append((_("the counterexample to '{name}' as a message sequence chart").format(
                          name=property_name(other[0].name, _.lang)),
                      chart_command(result, other[0])))
    if known and cfg.loss and cfg.name != "reliable" and _mutant_of(cfg) is None:
        items.append((_("a client and a server over a network that loses nothing, where every property holds"),
                      "tcpcheck check --preset reliable"))
    m = _mutant_of(cfg)
    if m in MUTANTS and MUTANTS[m].property is None:
        items.append((_("the proof that finds this mutant's bug, which no bounded run reaches"),
                      f"tcpcheck prove --mutant {m}"))
    if cfg.name in SCENARIOS and _mutant_of(cfg) is None:
        items.append((_("the {name} scenario as a message sequence chart").format(name=cfg.name),
                      f"tcpcheck diagram trace {cfg.name} -o {cfg.name}.svg"))
    if _mutant_of(cfg) is None:
        items.append((_("broken variants of the model, each with the property it breaks"), "tcpcheck mutants"))
    items.append((_("the seed note's claims C1-C17, one experiment each"), "tcpcheck experiments"))
    if len(items) < 4:
        items.append((_("every option, with examples and exit codes"), "tcpcheck check --help"))
    w.blank()
    w.raw(_("What to run next:"))
    for why, command in items[:4]:
        w.say(_("{why}:").format(why=why), indent=2)
        w.raw("    " + command)


def _config_name(name: str, _) -> str:
    """A configuration's name in the language of ``_``: the names that
    load_config, mutant_config and apply_mutant give (``FILE (from preset
    P)``, ``the M demonstration (from preset P)``, ``..., mutant M``) said in
    it; a name of the user's own as it is."""
    if _.lang == "en":
        return name
    if m := re.fullmatch(r"(.*), mutant ([A-Za-z0-9-]+)", name):
        return _("{config}, mutant {mutant}").format(config=_config_name(m.group(1), _), mutant=m.group(2))
    if m := re.fullmatch(r"the (\S+) demonstration \(from preset ([^)]*)\)", name):
        return _("the {mutant} demonstration (from preset {preset})").format(mutant=m.group(1), preset=m.group(2))
    if m := re.fullmatch(r"(.*) \(from preset ([^)]*)\)", name):
        return _("{file} (from preset {preset})").format(file=m.group(1), preset=m.group(2))
    return name


def config_name(name: str, lang: str = "en") -> str:
    """The name of a configuration or rule table in ``lang`` (see :func:`_config_name`)."""
    return _config_name(name, translator(lang))


def check_note(config, mutant: str | None = None, lang: str = "en") -> str:
    """The line under check's header in ``lang``: the mutant checked (what it
    changes, its claims, the property it breaks), else the preset's note, else
    nothing."""
    _ = translator(lang)
    if mutant is not None:
        m = MUTANTS[mutant]
        return _("mutant {name}: {description} (claims {claims}); {breaks}").format(
            name=m.name, description=_(m.description, "mutant"), claims=", ".join(m.claims), breaks=_breaks(m, _))
    return _(PRESETS[config.name][0], "preset") if config.name in PRESETS else ""


def _breaks(m, _) -> str:
    if m.property is None:
        return _("no bounded run reaches the bug: 'tcpcheck prove --mutant {name}' refutes it").format(name=m.name)
    return _("the property it breaks: {property}").format(property=property_name(m.property, _.lang))


#: How each fault of the network and each way of opening are said.
_FAULTS = {"loss": N_("loss"), "duplication": N_("duplication"), "reordering": N_("reordering")}
_OPENS = {"active": N_("active open"), "passive": N_("passive open"), "none": N_("none open")}


def describe_config(config, lang: str = "en") -> list[str]:
    """One line per setting of a configuration, in ``lang`` (the English is
    :meth:`~tcpcheck.model.config.Config.describe`'s)."""
    _ = translator(lang)
    net = [_(_FAULTS[x]) for x in _FAULTS if getattr(config, x)]
    budget = ""
    if config.loss_budget is not None and config.loss:
        budget = _(" (at most {n} segment(s) lost in a run)").format(n=config.loss_budget)
    lines = [_("network: capacity {capacity} per direction, {faults}{budget}{fifo}; RCV.WND={wnd}").format(
        capacity=config.capacity, faults=_(", ").join(net) if net else _("no faults"), budget=budget,
        fifo="" if config.reordering else _(", FIFO"), wnd=config.rcv_wnd)]
    for who in ("A", "B"):
        e = getattr(config, who)
        if e.close_in is None:
            close = _("closes anywhere the RFC allows")
        else:
            close = _("closes in {states}").format(states="/".join(e.close_in))
        more = ""
        if e.abort:
            more += _(", may ABORT")
        if e.foreign_socket and e.open == "passive":
            more += _(", may SEND from LISTEN")
        if e.opens > 1 and e.open != "none":
            isss = ", ".join(str((e.iss + k * e.iss_step) % MOD) for k in range(1, e.opens))
            more += _(", opens {n} times (then ISS={iss})").format(n=e.opens, iss=isss)
        lines.append(_("{who}: {open}{made}, ISS={iss}, {data} data segment(s), {retransmissions} "
                       "retransmission(s), {close}{more}").format(
            who=who, open=_(_OPENS[e.open]), made=_(" (made before the run)") if e.opened else "", iss=e.iss,
            data=e.data, retransmissions=e.retransmissions, close=close, more=more))
    timers = []
    if not config.time_wait_waits_for_network:
        timers.append(_("2MSL may expire while segments are still in flight"))
    if config.time_wait_outlasts_rto:
        timers.append(_("2MSL outlasts the peer's retransmissions"))
    if timers:
        lines.append(_("timers: {timers}").format(timers=_("; ", "trace").join(timers)))
    return lines


def presets_lines(lang: str = "en") -> list[str]:
    """What ``tcpcheck presets`` prints in ``lang``: each preset, its note and its settings."""
    _ = translator(lang)
    lines = []
    for name, (note, cfg) in PRESETS.items():
        lines.append(_("{name}: {note}").format(name=name, note=_(note, "preset")))
        lines += [f"    {line}" for line in describe_config(cfg, lang)]
    return lines


def mutants_lines(lang: str = "en") -> list[str]:
    """What ``tcpcheck mutants`` prints in ``lang``: each mutant, what it changes,
    its claims and the property it breaks, and its configuration file."""
    _ = translator(lang)
    lines = []
    for name, m in MUTANTS.items():
        lines.append(_("{name}: {note}").format(name=name, note=_(m.description, "mutant")))
        lines.append("    " + _("claims {claims}; {breaks}").format(claims=", ".join(m.claims), breaks=_breaks(m, _)))
        lines.append("    " + _("its configuration (save as a file and run 'tcpcheck check --config FILE', with "
                              "--mutant {name} or without):").format(name=name))
        lines += [f"        {line}" for line in m.config.rstrip().splitlines()]
    return lines


def summary_lines(result: Result, preset_note: str = "", verbosity: int = 0, lang: str = "en",
                  engine=None) -> list[str]:
    """The human summary of a check in ``lang``, wrapped to the terminal's width.

    ``verbosity`` -1 (``-q``): one line per verdict and the result line; 0:
    the configuration, the exploration and its times, the verdicts, rule
    coverage in a line, counterexamples, the known consequences of RFC 9293
    and what to run next; 1 (``-v``): also each property's time and which
    rules fired and which did not.  ``preset_note`` is said as it is: give
    :func:`check_note`'s, in the same language.

    ``engine``: an engine that decides the properties itself (``check
    --engine spin``, :mod:`tcpcheck.model.spin`), whose ``result`` holds only
    the properties it decides and the states of their counterexamples; it
    says what the exploration's lines would: ``engine.search(w, _)`` writes
    its search (in place of the states explored, the times, the states each
    endpoint reaches and the rule coverage, which it does not know),
    ``engine.trail_note(v, _)`` is said after a counterexample's count of
    steps (whether it is known to be the shortest), and
    ``engine.result_tail(_)`` after the result line's counts."""
    x, cfg, table = result.exploration, result.config, result.table
    _ = translator(lang)
    w = _Writer(_width(), lang)
    known = {v.name: k for v in result.verdicts if (k := known_consequence(result, v, lang)) is not None}
    seconds = getattr(result, "property_seconds", None) or {}
    if verbosity < 0:
        for v in result.verdicts:
            w.say(_verdict_line(result, v, known.get(v.name), True, _), hang=26)
        more = engine.result_tail(_) if engine is not None else ""
        w.say(_result_text(result, known, _, listed=False, more=more))  # the reasons are not listed
        return w.lines
    w.say(_("tcpcheck: TCP connection management (RFC 9293), configuration '{name}'").format(
        name=_config_name(cfg.name, _)))
    if preset_note:
        w.say(preset_note, indent=2)
    for line in describe_config(cfg, lang):
        w.say(line, indent=2)
    w.say(_.ngettext("rules: {table} ({n} rule)", "rules: {table} ({n} rules)", len(table.rules)).format(
        table=_config_name(table.name, _), n=len(table.rules)), indent=2)
    w.blank()
    stopped = _stopped(result)
    if engine is not None:
        engine.search(w, _)
    else:
        if stopped is None:
            status = _("complete")
        else:
            what, fix = _STOPS.get(stopped, _STOPS["max-states"])
            status = _("INCOMPLETE: stopped at {what}, {n} states expanded").format(what=_(what), n=f"{x.expanded:,}")
        w.say(_("Explored {states} states and {transitions} transitions to depth {depth}; {status}.").format(
            states=f"{len(x.states):,}", transitions=f"{x.transitions:,}", depth=x.max_depth, status=status))
        w.say(_time_text(result, _), indent=2)
        for who in ("A", "B"):
            w.say(_reach_text(result, who, stopped is None, _), indent=2)
    w.blank()
    w.raw(_("Properties:"))
    for v in result.verdicts:
        w.say(_verdict_line(result, v, known.get(v.name), False, _,
                            seconds.get(v.name) if verbosity > 0 else None), hang=26)
    if engine is None:  # an engine that decides the properties itself does not know the rules fired
        w.blank()
        fired, dead = result.fired, result.dead
        facts = {"fired": len(fired), "total": len(table.rules), "dead": len(dead)}
        if stopped is None:
            head = _("Rule coverage: {fired} of {total} rules fire; {dead} never do in this configuration").format(**facts)
        else:
            head = _("Rule coverage so far: {fired} of {total} rules fired; {dead} not yet seen, as the exploration "
                     "is incomplete").format(**facts)
        if verbosity > 0:
            w.say(_("{head}:").format(head=head))
            w.say(_("fired:"), indent=2)
            for line in _rules_by_event(result, fired, _):
                w.say(line, indent=4, hang=4)
            w.say(_("never fire:") if stopped is None else _("not yet seen:"), indent=2)
            for line in _rules_by_event(result, dead, _):
                w.say(line, indent=4, hang=4)
        else:
            w.say(_("{head} (-v lists them).").format(head=head) if dead else _("{head}.").format(head=head))
    if any(v.kind == "liveness" for v in result.verdicts):
        w.blank()
        w.say(_("Liveness is checked under these fairness assumptions: {assumptions}.").format(
            assumptions=_("; ", "trace").join(_(f, "fairness") for f in FAIRNESS)))
    _counterexamples(result, w, _, engine.trail_note if engine is not None else None)
    w.blank()
    w.say(_result_text(result, known, _, more=engine.result_tail(_) if engine is not None else ""))
    _known_lines(result, known, w, _)
    _next_lines(result, known, w, _)
    return w.lines


# --- JSON -------------------------------------------------------------------------------


def result_json(result: Result) -> dict:
    """The ``--json`` object of a check: ``interface.stamp("check", {...})`` with

    * ``config``: the configuration (``dataclasses.asdict``; each endpoint's
      ``reaches`` is the list of states it is meant to reach, or null);
    * ``rules``: the table's name; ``reference_model``: whether it is the
      reference model (the reference table's rows and segment semantics, no
      mutant), the only one on which a violation can be a known consequence;
    * ``states``, ``transitions``, ``depth``; ``seconds``: the search's time
      (as ``timings.search``);
    * ``timings``: ``{"search", "properties", "total"}`` in seconds (a phase
      that was not measured is left out);
    * ``complete``; ``stopped``: null, or why the search stopped early:
      ``"max-states"``, ``"max-memory"``, ``"max-seconds"``, ``"violation"`` (``--stop-at-first``) or ``"interrupted"``;
    * ``reachable``: ``{"A": [state], "B": [state]}``; ``intended``: the same
      shape, the states each endpoint is meant to reach, or null when the
      configuration declares none;
    * ``rules_fired`` and ``rules_dead``: ``[{"rule", "where"}]``; a dead rule
      fired in no explored transition: it never fires when ``complete``, it is
      not yet seen otherwise;
    * ``properties``: one object per property, in order: ``id`` (when the
      property has one), ``name``, ``kind``, ``statement``, ``verdict``
      (``"holds"``, ``"violated"``, ``"unknown"``), ``counts`` (false for the
      reachability of a state no endpoint is meant to reach: information,
      not counted in the exit code), ``seconds`` (when measured), and when
      they apply ``detail`` (why it is violated), ``counterexample`` or
      ``witness`` (a trace, see :func:`trace_json`), ``cycle_from`` (the steps
      after this one repeat for ever), ``known_consequence`` (``{"why",
      "rfc": [section], "claims": [claim], "chart": command}``);
    * ``exit_code``: the command's exit code (see :func:`exit_code`).
    """
    x, table = result.exploration, result.table
    seconds = getattr(result, "property_seconds", None) or {}
    props = []
    for v in result.verdicts:
        item = {}
        if getattr(v, "id", ""):
            item["id"] = v.id
        item.update({"name": v.name, "kind": v.kind, "statement": v.statement, "verdict": v.verdict,
                     "counts": counts(result, v)})
        if v.name in seconds:
            item["seconds"] = round(seconds[v.name], 3)
        if v.detail:
            item["detail"] = v.detail
        if v.state is not None:
            key = "counterexample" if v.verdict == "violated" else "witness"
            item[key] = trace_json(path_of(x, v), table)
        if v.lasso is not None:
            item["counterexample"] = trace_json(path_of(x, v), table)
            if v.lasso.cycle:
                item["cycle_from"] = len(v.lasso.stem) - 1  # the steps after this one repeat for ever
        k = known_consequence(result, v)
        if k is not None:
            item["known_consequence"] = {"why": k.why, "rfc": list(k.sections), "claims": list(k.claims),
                                         "chart": k.chart}
        props.append(item)

    def rules(ids):
        return [{"rule": table.rules[r].describe(), "where": table.rules[r].where} for r in ids]

    intent = _intent(result.config)
    t = _timings(result)
    return interface.stamp("check", {
        "config": dataclasses.asdict(result.config),
        "rules": table.name,
        "reference_model": is_reference(result),
        "states": len(x.states),
        "transitions": x.transitions,
        "depth": x.max_depth,
        "seconds": round(x.seconds, 3),
        "timings": {k: round(s, 3) for k, s in t.items() if s is not None},
        "complete": x.complete,
        "stopped": _stopped(result),
        "reachable": result.reachable(),
        "intended": {w: list(s) for w, s in intent.items()} if intent is not None else None,
        "rules_fired": rules(result.fired),
        "rules_dead": rules(result.dead),
        "properties": props,
        "exit_code": exit_code(result),
    })
