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

from . import interface
from .checker import Result
from .config import PRESETS
from .properties import FAIRNESS, Verdict, path_of
from .mutants import MUTANTS
from .scenarios import SCENARIOS
from .system import State, Step
from .table import RuleTable, load_table
from .tcb import STATES, describe_segment

__all__ = ["Known", "known_consequence", "counts", "not_meant", "trace_lines", "trace_json",
           "summary_lines", "result_json", "exit_code"]

#: the width prose is wrapped to when the terminal's is not known (and COLUMNS is not set)
DEFAULT_WIDTH = 80
_MIN_WIDTH = 40


def _change(before: str, after: str) -> str:
    return before if before == after else f"{before} -> {after}"


def _what(step: Step, table: RuleTable) -> str:
    if step.kind == "call":
        return f"{step.actor}: {step.event}"
    if step.kind == "timer":
        return f"{step.actor}: {step.event}"
    if step.kind == "rcv":
        return f"{step.actor} receives {describe_segment(step.segment)}: {step.event}"
    verb = "loses" if step.kind == "lose" else "duplicates"
    return f"network {verb} {describe_segment(step.segment)} ({step.event})"


def _peer(actor: str) -> str:
    return "B" if actor == "A" else "A"


def trace_lines(path: list[tuple[Step | None, State]], table: RuleTable) -> list[str]:
    """A path as numbered lines: what happened, then both endpoints' states.

    The first line is the initial state; each step shows ``before -> after``
    for an endpoint whose state changed, and the segments it sent.
    """
    width = max([len(_what(step, table)) for step, _ in path[1:]] + [20]) + 2
    _, s0 = path[0]
    lines = [f"   0. {'initial state':<{width}} A {s0.A.state} | B {s0.B.state}"]
    prev = s0
    for n, (step, s) in enumerate(path[1:], 1):
        states = f"A {_change(prev.A.state, s.A.state)} | B {_change(prev.B.state, s.B.state)}"
        lines.append(f"{n:>4}. {_what(step, table):<{width}} {states}")
        for seg in step.sent:
            note = "   (dropped: the channel is full)" if seg in step.dropped else ""
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
    "user timeout": ("{w}'s user timeout fired", "3.10.8"),
    "ABORT": ("{w} aborted", "3.10.5"),
    "timeout 2MSL": ("{w}'s 2MSL timeout expired", "3.10.8"),
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
        args += ["--rules", result.table.name]
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


def known_consequence(result: Result, v: Verdict) -> Known | None:
    """Why violation ``v`` is a known consequence of RFC 9293 itself, or None.

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
        why = (f"{how.format(w=peer)} (RFC 9293 {section}) and it deleted its TCB without a FIN; "
               f"{w} waits in FIN_WAIT_2 for that FIN for ever, since RFC 9293 gives FIN_WAIT_2 "
               f"no timeout (3.10.8 has none; real stacks add one, such as Linux's tcp_fin_timeout)")
        return Known(why, tuple(dict.fromkeys((section, "3.10.8"))), ("C11",), chart_command(result, v))
    if key == "reset-in-last-ack":
        w = facts.get("actor")
        if w not in ("A", "B"):
            return None
        peer = _peer(w)
        rst = path[-1][0].segment
        sender = next((step for step, _ in reversed(path[1:]) if step.actor == peer and rst in step.sent), None)
        if sender is not None and sender.event == "ABORT":
            why = (f"{peer} aborted, and an ABORT sends a reset (RFC 9293 3.10.5), which {w} in "
                   f"LAST_ACK accepts (3.10.7.4)")
            return Known(why, ("3.10.5", "3.10.7.4"), ("C15",), chart_command(result, v))
        found = _deletion(path, peer)
        if sender is None or sender.kind != "rcv" or found is None or found[1].event not in _DELETIONS:
            return None
        how, section = _DELETIONS[found[1].event]
        why = (f"{how.format(w=peer)} (RFC 9293 {section}) and it deleted its TCB before {w}'s FIN "
               f"arrived; CLOSED answers that FIN with a reset (3.10.7.1), which {w} in LAST_ACK "
               f"accepts (3.10.7.4)")
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


def _where(config) -> str:
    return f"preset '{config.name}'" if config.name in PRESETS else "this configuration"


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


class _Writer:
    """Lines of prose wrapped to a width with hanging indents; tables as they are."""

    def __init__(self, width: int):
        self.width, self.lines = width, []

    def say(self, text: str, indent: int = 0, hang: int = 4) -> None:
        self.lines += textwrap.wrap(text, self.width, initial_indent=" " * indent,
                                    subsequent_indent=" " * (indent + hang), break_long_words=False,
                                    break_on_hyphens=False) or [""]

    def raw(self, *lines: str) -> None:
        self.lines += lines

    def blank(self) -> None:
        self.lines.append("")


_STOPS = {"max-states": ("the state budget", "raise --max-states"),
          "max-memory": ("the memory budget", "raise --max-memory"),
          "max-seconds": ("the time budget", "raise --max-seconds"),
          "interrupted": ("an interrupt", "let it run to the end")}


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


def _time_text(result: Result) -> str:
    x, t = result.exploration, _timings(result)
    rate = len(x.states) / t["search"] if t["search"] else float("inf")
    search = f"search {t['search']:.2f} s ({rate:,.0f} states/s)"
    if t["total"] is None or t["properties"] is None:
        return f"Time: {search}; the properties' time was not measured."
    return f"Time: {t['total']:.2f} s in all: {search}, properties {t['properties']:.2f} s."


def _reach_text(result: Result, who: str, complete: bool) -> str:
    reach = result.reachable()[who]
    intent = _intent(result.config)
    so_far = "" if complete else " so far"
    text = f"{who} reaches{so_far} {len(reach)} of {len(STATES)} states: {' '.join(reach)}"
    if intent is None:
        return text
    meant = intent[who]
    missing = [s for s in meant if s not in reach]
    extra = [s for s in reach if s not in meant]
    if not missing and not extra:
        return text + " (all it is meant to)"
    notes = []
    if missing:
        notes.append(f"meant to reach{'' if complete else ' but not yet seen'}: {' '.join(missing)}")
    if extra:
        notes.append(f"not meant to: {' '.join(extra)}")
    return text + " (" + "; ".join(notes) + ")"


def _mark(result: Result, v: Verdict) -> str:
    if not_meant(result, v) and v.verdict != "holds":
        return "info    "
    return {"holds": "holds   ", "violated": "VIOLATED", "unknown": "unknown "}[v.verdict]


def _verdict_line(result: Result, v: Verdict, known: Known | None, quiet: bool, seconds=None) -> str:
    x = result.exploration
    extra = ""
    if not_meant(result, v):
        if v.verdict == "holds":
            extra = f" (reached, though {_where(result.config)} does not mean it to be)"
        elif v.verdict == "violated":
            extra = f": not meant to be reached in {_where(result.config)}"
        else:
            extra = f": not yet seen, and not meant to be reached in {_where(result.config)}"
    elif v.kind == "reachability" and v.verdict == "holds":
        n = x.depth[v.state]
        extra = f" ({n} step{'' if n == 1 else 's'})"
    elif v.verdict == "violated" and v.detail:
        extra = f": {v.detail}"
    if known is not None:
        extra += " (a known consequence of RFC 9293" + (")" if quiet else ", see below)")
    if seconds is not None:
        extra += f"  [{seconds:.2f} s]"
    ident = f" [{v.id}]" if getattr(v, "id", "") else ""
    return f"  {_mark(result, v)}  {v.kind:<12}  {v.name}{ident}{extra}"


def _rules_by_event(result: Result, ids) -> list[str]:
    by_event: dict[str, list[str]] = {}
    for r in ids:
        rule = result.table.rules[r]
        q = f"[{rule.qualifier}]" if rule.qualifier else ""
        by_event.setdefault(rule.event, []).append(rule.state + q)
    return [f"{event}: {', '.join(states)}" for event, states in by_event.items()]


def _counterexamples(result: Result, w: _Writer) -> None:
    x, table = result.exploration, result.table
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
        w.blank()
        if run_ids in shown:
            w.say(f"Counterexample to '{v.name}': {v.detail}; the same run as the "
                  f"counterexample to '{shown[run_ids]}' above.")
            continue
        shown[run_ids] = v.name
        extra = f", then a cycle of {len(cycle) - 1} steps" if cycle else ""
        w.say(f"Counterexample to '{v.name}' ({len(stem) - 1} steps{extra}): {v.detail}")
        w.raw(*trace_lines(x.walk(stem, stem_labels), table))
        if cycle:
            w.raw("      ... and then, for ever:")
            w.raw(*trace_lines(x.walk(cycle, cycle_labels), table)[1:])
        elif v.kind == "liveness":
            w.raw("      ... and then nothing can happen any more.")
        if v.kind == "invariant":
            end = x.state(stem[-1])
            for who, t in (("A", end.A), ("B", end.B)):
                w.say(f"{who}: " + ", ".join(f"{k}={val}" for k, val in interface.tcb_json(t).items()),
                      indent=6)


def _result_text(result: Result, known: dict) -> str:
    counted = [v for v in result.verdicts if counts(result, v)]
    bad = [v for v in counted if v.verdict == "violated"]
    unknown = [v for v in counted if v.verdict == "unknown"]
    info = [_state_of(v) for v in result.verdicts if not_meant(result, v) and v.verdict != "holds"]
    tail = ""
    if info:
        tail = (f"; {', '.join(info)} {'is' if len(info) == 1 else 'are'} not reached"
                f"{'' if result.exploration.complete else ' yet'}, and not meant to be in "
                f"{_where(result.config)}")
    if bad:
        k = sum(v.name in known for v in bad)
        note = ""
        itself = "of RFC 9293 itself, not mistakes of the model or of the table"
        if k == len(bad) == 1:
            note = ", a known consequence of RFC 9293 itself, not a mistake of the model or of the table"
        elif k == len(bad):
            note = f", all known consequences {itself}"
        elif k:
            note = f"; {k} of them {'is a known consequence' if k == 1 else 'are known consequences'} {itself}"
        return f"Result: {len(bad)} of {len(counted)} properties violated{note}{tail}{':' if k else '.'}"
    if unknown:
        what, fix = _STOPS.get(_stopped(result), _STOPS["max-states"])
        return (f"Result: no violation found, but {len(unknown)} properties are unknown "
                f"(the exploration is incomplete; {fix}){tail}.")
    return f"Result: all {len(counted)} properties hold{tail}."


def _known_lines(result: Result, known: dict, w: _Writer) -> None:
    """One entry per known consequence: why, and the command that draws it; the
    properties one run violates (the same why) share their entry."""
    by_why: dict[str, list[str]] = {}
    for name, k in known.items():
        by_why.setdefault(k.why, []).append(name)
    for why, names in by_why.items():
        k = known[names[0]]
        quoted = [f"'{n}'" for n in names]
        which = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        claims = f"claim{'s' if len(k.claims) > 1 else ''} {', '.join(k.claims)}"
        w.say(f"- {which}: {why} ({claims}).", indent=2, hang=2)
        w.raw("    chart: " + k.chart)


def _next_lines(result: Result, known: dict, w: _Writer) -> None:
    """A few commands worth running after this one, each with why."""
    cfg = result.config
    src = " ".join(_source(result))
    items = []
    stopped = _stopped(result)
    if stopped is not None:
        what, fix = _STOPS.get(stopped, _STOPS["max-states"])
        n = len(result.exploration.states)
        items.append((f"further ({fix}: the run stopped at {n:,} states)",
                      f"tcpcheck check {src}".rstrip() + (f" --max-states {10 * n}" if stopped == "max-states" else "")))
    other = [v for v in result.verdicts if v.verdict == "violated" and v.name not in known and counts(result, v)
             and (v.state is not None or v.lasso is not None)]
    if other:
        items.append((f"the counterexample to '{other[0].name}' as a message sequence chart",
                      chart_command(result, other[0])))
    if known and cfg.loss and cfg.name != "reliable" and _mutant_of(cfg) is None:
        items.append(("a client and a server over a network that loses nothing, where every property holds",
                      "tcpcheck check --preset reliable"))
    m = _mutant_of(cfg)
    if m in MUTANTS and MUTANTS[m].property is None:
        items.append(("the proof that finds this mutant's bug, which no bounded run reaches",
                      f"tcpcheck prove --mutant {m}"))
    if cfg.name in SCENARIOS and _mutant_of(cfg) is None:
        items.append((f"the {cfg.name} scenario as a message sequence chart",
                      f"tcpcheck diagram trace {cfg.name} -o {cfg.name}.svg"))
    if _mutant_of(cfg) is None:
        items.append(("broken variants of the model, each with the property it breaks", "tcpcheck mutants"))
    items.append(("the seed note's claims C1-C17, one experiment each", "tcpcheck experiments"))
    if len(items) < 4:
        items.append(("every option, with examples and exit codes", "tcpcheck check --help"))
    w.blank()
    w.raw("What to run next:")
    for why, command in items[:4]:
        w.say(why + ":", indent=2)
        w.raw("    " + command)


def summary_lines(result: Result, preset_note: str = "", verbosity: int = 0) -> list[str]:
    """The human summary of a check, wrapped to the terminal's width.

    ``verbosity`` -1 (``-q``): one line per verdict and the result line; 0:
    the configuration, the exploration and its times, the verdicts, rule
    coverage in a line, counterexamples, the known consequences of RFC 9293
    and what to run next; 1 (``-v``): also each property's time and which
    rules fired and which did not."""
    x, cfg, table = result.exploration, result.config, result.table
    w = _Writer(_width())
    known = {v.name: k for v in result.verdicts if (k := known_consequence(result, v)) is not None}
    seconds = getattr(result, "property_seconds", None) or {}
    if verbosity < 0:
        for v in result.verdicts:
            w.say(_verdict_line(result, v, known.get(v.name), True), hang=26)
        text = _result_text(result, known)
        w.say(text[:-1] + "." if text.endswith(":") else text)  # the reasons are not listed
        return w.lines
    w.say(f"tcpcheck: TCP connection management (RFC 9293), configuration '{cfg.name}'")
    if preset_note:
        w.say(preset_note, indent=2)
    for line in cfg.describe():
        w.say(line, indent=2)
    w.say(f"rules: {table.name} ({len(table.rules)} rules)", indent=2)
    w.blank()
    stopped = _stopped(result)
    if stopped is None:
        status = "complete"
    else:
        what, _ = _STOPS.get(stopped, _STOPS["max-states"])
        status = f"INCOMPLETE: stopped at {what}, {x.expanded:,} states expanded"
    w.say(f"Explored {len(x.states):,} states and {x.transitions:,} transitions to depth "
          f"{x.max_depth}; {status}.")
    w.say(_time_text(result), indent=2)
    for who in ("A", "B"):
        w.say(_reach_text(result, who, stopped is None), indent=2)
    w.blank()
    w.raw("Properties:")
    for v in result.verdicts:
        w.say(_verdict_line(result, v, known.get(v.name), False,
                            seconds.get(v.name) if verbosity > 0 else None), hang=26)
    w.blank()
    fired, dead = result.fired, result.dead
    if stopped is None:
        head = (f"Rule coverage: {len(fired)} of {len(table.rules)} rules fire; {len(dead)} never do "
                f"in this configuration")
    else:
        head = (f"Rule coverage so far: {len(fired)} of {len(table.rules)} rules fired; {len(dead)} "
                f"not yet seen, as the exploration is incomplete")
    if verbosity > 0:
        w.say(head + ":")
        w.say("fired:", indent=2)
        for line in _rules_by_event(result, fired):
            w.say(line, indent=4, hang=4)
        w.say("never fire:" if stopped is None else "not yet seen:", indent=2)
        for line in _rules_by_event(result, dead):
            w.say(line, indent=4, hang=4)
    else:
        w.say(head + (" (-v lists them)." if dead else "."))
    if any(v.kind == "liveness" for v in result.verdicts):
        w.blank()
        w.say("Liveness is checked under these fairness assumptions: " + "; ".join(FAIRNESS) + ".")
    _counterexamples(result, w)
    w.blank()
    w.say(_result_text(result, known))
    _known_lines(result, known, w)
    _next_lines(result, known, w)
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
      ``"max-states"``, ``"max-memory"``, ``"max-seconds"`` or ``"interrupted"``;
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
