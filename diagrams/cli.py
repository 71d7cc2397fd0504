"""``tcpcheck diagram``: the command that draws.

    tcpcheck diagram fsm    [--rules FILE] [--full] ...
    tcpcheck diagram states [--preset NAME | --config FILE] [--quotient | --whole] [--highlight PROPERTY] ...
    tcpcheck diagram trace  (SCENARIO | --counterexample PROPERTY | --file TRACE.json) ...

Every subcommand takes ``-o FILE``, ``--format svg|png|pdf|dot`` and
``--lang en|zh``.  It is registered with the main command line through the
``tcpcheck.commands`` entry point; errors in what the user gave are raised as
:class:`InputError` and reported by the main command line with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import textwrap
import sys
from pathlib import Path

from tcpcheck.model.checker import build, run
from tcpcheck.model.cli import config_from, positive
from tcpcheck.model.config import PRESETS
from tcpcheck.model.errors import InputError, closest, output_folder, read_input, unknown, write_output
from tcpcheck.model.i18n import add_lang_option, canonical_property, language
from tcpcheck.model.interface import tcb_json
from tcpcheck.model.properties import acceptable_end, labels_of, path_of, run_of
from tcpcheck.model.report import config_name, trace_json
from tcpcheck.model.scenarios import SCENARIOS, scenario_path
from tcpcheck.model.system import ENDPOINTS
from tcpcheck.model.table import load_table
from tcpcheck.model.tcb import describe_segment

from .i18n import phrase, property_name
from .render import FORMATS, DotMissing, render
from .states import TooLarge, states_dot

__all__ = ["register", "DiagramError", "validate_trace", "output_format", "capture_chart", "capture_trace",
           "choose_connection", "verdict_text"]


class DiagramError(InputError):
    """Bad input to ``tcpcheck diagram``: reported in one line, exit code 2."""


def _output_options(p) -> None:
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write here (default: standard output; the format follows the extension)")
    p.add_argument("--format", choices=FORMATS,
                   help="svg, png, pdf or dot (default: the extension of -o, .gv meaning dot, else svg); "
                        "a --format the extension contradicts is an error")
    add_lang_option(p)


def _source_options(p) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help=f"a built-in configuration: {', '.join(PRESETS)}")
    src.add_argument("--config", metavar="FILE", help="a TOML configuration file (see 'tcpcheck check --help')")
    p.add_argument("--rules", metavar="FILE", help="a rule table instead of the reference one")
    p.add_argument("--mutant", metavar="NAME",
                   help="a deliberately broken variant of the model (see 'tcpcheck mutants'), as check has it")
    p.add_argument("--max-states", type=positive, metavar="N", help="stop exploring after N states")


def _config(args):
    """The configuration and table chosen, exactly as 'tcpcheck check' chooses them."""
    return config_from(args)


def _names(cfg, lang: str) -> dict:
    """The lifelines' heads: ``A (client)`` and ``B (server)`` when one opens
    actively and the other passively, else ``A`` and ``B``."""
    roles = {"active": phrase("client", lang), "passive": phrase("server", lang)}
    if {cfg.A.open, cfg.B.open} == {"active", "passive"}:
        return {w: phrase("{endpoint} ({role})", lang).format(endpoint=w, role=roles[getattr(cfg, w).open])
                for w in ("A", "B")}
    return {"A": "A", "B": "B"}


#: The format each output file extension means (.gv is Graphviz's own for DOT).
EXTENSIONS = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot", "gv": "dot"}


def output_format(output: str | None, given: str | None) -> str:
    """The format to write: ``given`` (--format), else the one the extension of
    ``output`` (-o) means, else svg.  A --format that an extension contradicts
    (``-o chart.png --format svg``) and an extension that means no format
    without --format are DiagramErrors: the file never says one thing and holds another."""
    implied = EXTENSIONS.get(Path(output).suffix.lstrip(".").lower()) if output else None
    if given and implied and implied != given:
        raise DiagramError(f"--format {given} contradicts '{output}', whose extension means {implied}; "
                           f"leave out --format, or name the file .{given}")
    if given:
        return given
    if output and implied is None:
        raise DiagramError(f"cannot tell the format from '{output}'; use --format "
                           f"({', '.join(FORMATS)}) or an extension .{', .'.join(EXTENSIONS)}")
    return implied or "svg"


def _emit(args, dot_source: str) -> int:
    if args.output == "-":  # the usual name of standard output, not a file called "-"
        args.output = None
    fmt = output_format(args.output, args.format)
    try:
        data = render(dot_source, fmt)
    except DotMissing as exc:
        raise DiagramError(str(exc)) from None
    if args.output:
        write_output(args.output, data, "the diagram", DiagramError)
        print(f"wrote {args.output} ({fmt})", file=sys.stderr)
    elif fmt in ("png", "pdf") and sys.stdout.isatty():
        raise DiagramError(f"{fmt} is binary: give -o FILE, or redirect the output")
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_fsm(args) -> int:
    from .fsm import fsm_dot

    from tcpcheck.model.profiles import PROFILES, chosen_rules, profile_table

    args.lang = language(args.lang)
    if args.diff:  # two profile names or rule table files (tcpcheck.model.profiles)
        from .fsm import fsm_diff_dot

        from pathlib import Path

        from tcpcheck.model.errors import InputError, closest

        for x in args.diff:
            if x not in PROFILES and not Path(x).exists():
                hint = closest(x, PROFILES)
                raise InputError(f"--diff: '{x}' is neither a profile ({', '.join(PROFILES)}) nor a rule table file"
                                 + (f"; did you mean '{hint}'?" if hint else ""))
        a, b = (profile_table(x) if x in PROFILES else load_table(x) for x in args.diff)
        return _emit(args, fsm_diff_dot(a, b, lang=args.lang))
    rules = chosen_rules(args)
    table = load_table(rules) if rules else load_table()
    return _emit(args, fsm_dot(table, full=args.full, lang=args.lang))


def _property(result, name: str):
    """The verdict of the property ``name``: its name in English or Chinese
    (``无死锁``), or its id (``DEAD1``)."""
    name = canonical_property(name) or name
    names = [v.name for v in result.verdicts]
    ids = [v.id for v in result.verdicts]
    if name not in names and name not in ids:
        raise DiagramError(unknown("property", name, names + [property_name(n, "zh") for n in names] + ids,
                                   f"the properties are: {'; '.join(names)}"))
    v = result.verdicts[names.index(name) if name in names else ids.index(name)]
    if v.state is None and v.lasso is None:
        raise DiagramError(f"'{name}' {v.verdict} in this configuration and has no "
                           f"counterexample or witness to show")
    return v


def _fair_cycles(result) -> list:
    """Every fair cycle of the explored graph, as states_dot marks them: the
    liveness counterexamples' cycles with their exact steps, and each step
    between two states of a component a fair run can stay in for ever
    (liveness.fair_components; every such step, loss and duplication aside,
    lies on a fair cycle round the component)."""
    from tcpcheck.model.liveness import UNFAIR, fair_components

    x = result.exploration
    cycles = {(tuple(v.lasso.cycle), tuple(v.lasso.cycle_labels or ())) for v in result.verdicts
              if v.kind == "liveness" and v.lasso is not None and v.lasso.cycle}
    comp = {u: n for n, c in enumerate(fair_components(x)) for u in c}
    if comp:
        unfair = {k for k in range(len(x.labels)) if x.label(k).kind in UNFAIR}
        cycles |= {((u, v), (k,)) for u, v, k in zip(x.src, x.dst, x.lab)
                   if k not in unfair and u in comp and comp[u] == comp.get(v)}
    return [(list(ids), list(labels) or None) for ids, labels in sorted(cycles)]


def cmd_states(args) -> int:
    args.lang = language(args.lang)
    cfg, table = _config(args)
    result = run(cfg, table, max_states=args.max_states)
    x = result.exploration
    path, steps, v = [], None, None
    if args.highlight:
        v = _property(result, args.highlight)
        path, steps = run_of(x, v), labels_of(x, v)
    quotient = True if args.quotient else (False if args.whole else None)
    title = phrase("{config}: {n} reachable states", args.lang).format(
        config=config_name(cfg.name, args.lang), n=f"{len(x.states):,}")
    if v is not None:
        title += phrase("; highlighted: {property}", args.lang).format(property=property_name(v.name, args.lang))
    cycles = _fair_cycles(result)
    try:
        dot = states_dot(x, title, quotient=quotient, path=path, lang=args.lang, steps=steps, cycles=cycles)
    except TooLarge as exc:
        raise DiagramError(str(exc)) from None
    return _emit(args, dot)


#: The most steps a trace file may have (a counterexample has tens): a chart of
#: more could not be read, and drawing time grows with the square of the steps
#: (500 steps with every segment in flight take some 20 seconds).
MAX_TRACE_STEPS = 500

_SEGMENTS = "a list of segments like '<SEQ=1><CTL=SYN>'"
_KINDS = ("call", "timer", "rcv", "lose", "duplicate")


def _is_segment(v) -> bool:
    """A segment as a trace file may write it: the RFC's notation, or the
    object of :func:`~tcpcheck.model.interface.segment_json` (its ``text``)."""
    return isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("text"), str))


def _seg_text(v) -> str | None:
    return v["text"] if isinstance(v, dict) else v


def _check_step(p: Path, n: int, step) -> None:
    """Refuse a step of a trace file whose fields are missing or of the wrong
    type: those 'tcpcheck check --json' writes, segments as strings or objects."""
    if not isinstance(step, dict):
        raise DiagramError(f"{p}: step {n} must be an object like {{\"actor\": \"A\", \"kind\": \"call\", ...}}, "
                           f"not {json.dumps(step)[:40]}")
    need = ("A", "B") if n == 0 else ("actor", "kind", "event", "sent", "A", "B")
    missing = [k for k in need if k not in step]
    if missing:
        raise DiagramError(f"{p}: step {n} lacks {', '.join(missing)}")
    for who in ("A", "B"):
        t = step[who]
        if not (isinstance(t, str) or (isinstance(t, dict) and isinstance(t.get("state", ""), str))):
            raise DiagramError(f"{p}: step {n}: '{who}' must be an endpoint like {{\"state\": \"CLOSED\"}}")
    if n == 0:
        return
    for key in ("actor", "kind"):
        if not isinstance(step[key], str):
            raise DiagramError(f"{p}: step {n}: '{key}' must be a string, not {step[key]!r:.40}")
    if not isinstance(step["event"], (str, type(None))):
        raise DiagramError(f"{p}: step {n}: 'event' must be a string, not {step['event']!r:.40}")
    if not (step.get("segment") is None or _is_segment(step["segment"])):
        raise DiagramError(f"{p}: step {n}: 'segment' must be a segment like '<SEQ=1><CTL=SYN>' or null")
    for key in ("sent", "dropped"):
        v = step.get(key, [])
        if not (isinstance(v, list) and all(_is_segment(x) for x in v)):
            raise DiagramError(f"{p}: step {n}: '{key}' must be {_SEGMENTS}")
    kind, actor = step["kind"], step["actor"]
    if kind not in _KINDS:
        hint = closest(kind, _KINDS)
        raise DiagramError(f"{p}: step {n}: 'kind' must be one of {', '.join(_KINDS)}, not {kind!r:.40}"
                           + (f"; did you mean '{hint}'?" if hint else ""))
    network = kind in ("lose", "duplicate")
    if actor not in (("network",) if network else ENDPOINTS):
        raise DiagramError(f"{p}: step {n}: 'actor' of a {kind} step must be "
                           f"{'network' if network else 'A or B'}, not {actor!r:.40}")
    if kind in ("call", "timer") and not step["event"]:
        raise DiagramError(f"{p}: step {n}: a {kind} step names its 'event', e.g. "
                           f"{'CLOSE' if kind == 'call' else 'timeout 2MSL'}")
    if network and step["event"] not in ("A->B", "B->A"):
        raise DiagramError(f"{p}: step {n}: the 'event' of a {kind} step is its direction, A->B or B->A")
    if kind != "call" and kind != "timer" and step.get("segment") is None:
        raise DiagramError(f"{p}: step {n}: a {kind} step names its 'segment'")


def _cycle_from(p: Path, q: dict, steps: int) -> int | None:
    """The step after which a lasso's steps repeat for ever ('cycle_from' of check --json)."""
    c = q.get("cycle_from")
    if c is None:
        return None
    if type(c) is not int or not 0 <= c < steps:
        raise DiagramError(f"{p}: 'cycle_from' must be a step number from 0 to {steps - 1}, not {c!r:.40}")
    return c


def _trace_from_file(path: str, prop: str | None) -> tuple[list, str, dict | None, int | None]:
    """What a trace file holds: its steps, a title, the recorded 'tcpcheck check
    --json' output (None for a plain list of steps) and where its cycle begins.
    For check --json output, the property's run is taken (``prop``, else the
    first violated one) and titled with the configuration and the property, as
    --counterexample has it.  Each step is checked for its fields (see
    :func:`_check_step`), not yet against the model; at most MAX_TRACE_STEPS steps."""
    p = Path(path)
    title, report, cycle = p.name, None, None
    text = read_input(p, "the trace", DiagramError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiagramError(f"{p}:{exc.lineno}: not a JSON trace ({exc})") from None
    except RecursionError:
        raise DiagramError(f"{p}:1: nested too deeply to be a trace") from None
    if isinstance(data, dict) and "properties" in data:
        report = data
        config = data.get("config")
        config = config.get("name", p.name) if isinstance(config, dict) else p.name
        props = data["properties"]
        if not isinstance(props, list) or not all(isinstance(q, dict) for q in props):
            raise DiagramError(f"{p}: 'properties' must be a list of objects, as 'tcpcheck check --json' writes it")
        cands = [q for q in props if "counterexample" in q or "witness" in q]
        shown = [str(q.get("name")) for q in cands]
        if prop is not None:
            prop = canonical_property(prop) or prop  # a name in Chinese names it too
            cands = [q for q in cands if q.get("name") == prop]
        if not cands:
            named = any(q.get("name") == prop for q in props)  # there, but nothing to draw: no other guess
            hint = (closest(prop, shown + [property_name(n, "zh") for n in shown])
                    if prop is not None and not named else None)
            raise DiagramError(f"{p}: no property{' named ' + repr(prop) if prop else ''} with a "
                               f"counterexample or witness in this 'tcpcheck check --json' output"
                               + ((f"; did you mean '{hint}'? " if hint else "; ")
                                  + f"those with one: {'; '.join(shown)}" if prop is not None and shown else ""))
        q = next((q for q in cands if q.get("verdict") == "violated"), cands[0])
        data = q.get("counterexample") or q.get("witness")
        kind = "counterexample" if "counterexample" in q else "witness"
        title = (str(config), kind, str(q.get("name")))
        if isinstance(data, list) and data:
            cycle = _cycle_from(p, q, len(data))
    if not isinstance(data, list) or not data:
        raise DiagramError(f"{p}: expected a list of steps, or the output of 'tcpcheck check --json'")
    if len(data) > MAX_TRACE_STEPS + 1:
        raise DiagramError(f"{p}: the trace has {len(data) - 1:,} steps; the limit is {MAX_TRACE_STEPS:,}")
    for n, step in enumerate(data):
        _check_step(p, n, step)
    return data, title, report, cycle


# --- a trace file against the model ----------------------------------------------

def _recorded_config(p: Path, report: dict):
    """The configuration and table a 'tcpcheck check --json' output records
    (model/recorded.py: every value checked as a configuration file's, a
    mutant's run with its mutant)."""
    from tcpcheck.model.recorded import recorded_config

    return recorded_config(report, p)


def _language(st: dict) -> str:
    """A trace file's step in the step language of :func:`~tcpcheck.model.grading.questions.replay`."""
    kind, actor, event, seg = st["kind"], st["actor"], st["event"], _seg_text(st.get("segment"))
    if kind in ("call", "timer"):
        return f"{actor}: {event}"
    if kind == "rcv":
        return f"{actor} receives {seg}"
    return f"network {'loses' if kind == 'lose' else 'duplicates'} {seg} ({event})"


def _endpoint_claims(st: dict, who: str) -> dict:
    """What a trace file's step says of an endpoint after it: its state and any
    TCB variables it gives (by :func:`~tcpcheck.model.interface.tcb_json`'s names)."""
    t = st[who]
    return {"state": t} if isinstance(t, str) else {k: v for k, v in t.items()}


def _disagreement(claims: dict, tcb) -> str | None:
    actual = tcb_json(tcb)
    if "state" in claims and claims["state"] != actual["state"]:
        return f"in {actual['state']}, not {claims['state']}"
    for k, v in claims.items():
        if k in actual and k != "state" and v != actual[k]:
            return f"with {k}={actual[k]}, not {v}"
    return None


def _step_disagreement(p: Path, n: int, st: dict, text: str, step, after) -> str | None:
    """What the model makes of the trace file's step ``n`` (``step``, to the
    readable state ``after``) that the file says otherwise, or None."""
    if st["kind"] == "rcv" and st["event"] is not None and st["event"] != step.event:
        return f"{p}: step {n}: the model makes '{step.event}' of '{text}', not '{st['event']}'"
    for key in ("sent", "dropped"):
        if key in st:
            claimed = [_seg_text(x) for x in st[key]]
            actual = [describe_segment(q) for q in getattr(step, key)]
            if claimed != actual:
                return (f"{p}: step {n}: after '{text}' the model has {key} "
                        f"{', '.join(actual) or 'nothing'}, not {', '.join(claimed) or 'nothing'}")
    for who in ENDPOINTS:
        why = _disagreement(_endpoint_claims(st, who), getattr(after, who))
        if why:
            return f"{p}: step {n}: after '{text}' the model has {who} {why}"
    return None


def validate_trace(p: Path, steps: list[dict], model, cycle_from: int | None = None) -> list:
    """The run of ``model`` that the trace file's ``steps`` describe, as a path
    [(None, s0), (Step, s1), ...]: each step must be one the model can take from
    the state before it (found among :meth:`Model.successors` by
    :func:`~tcpcheck.model.grading.questions.replays`), and what the file says
    came of it (the events, the segments sent and dropped, both endpoints'
    states and TCB variables) must be what the model makes of it.  Where a
    step's text fits steps to different states (losing the first or the last
    of two equal segments), each is followed while the file agrees with it.
    Raises DiagramError naming the first step that is not, and what the model
    can do there.  With ``cycle_from``, the steps after it must come back to its state."""
    from tcpcheck.model.grading.questions import ReplayError, replays

    s = model.initial_states()[0]
    start = [(None, model.decode(s))]
    for who in ENDPOINTS:
        why = _disagreement(_endpoint_claims(steps[0], who), getattr(start[0][1], who))
        if why:
            raise DiagramError(f"{p}: step 0: configuration '{model.config.name}' starts with {who} {why} "
                               f"(--preset or --config checks the trace in another configuration)")
    runs = {s: (start, [s])}  # the last state of each run the steps so far can be -> (path, ids)
    for n, st in enumerate(steps[1:], 1):
        text = _language(st)
        try:
            found = replays(model, [text], starts=list(runs))
        except ReplayError as exc:
            reason = exc.reason
            if exc.possible is not None:
                reason += (f"; from this state the model can: {'; '.join(exc.possible)}" if exc.possible
                           else "; nothing can happen here any more")
            raise DiagramError(f"{p}: step {n}: '{text}' is not a step the model can take: {reason}") from None
        after, first_why = {}, None
        for r in found:
            (step, state), t = r.path[-1], r.ids[-1]
            why = _step_disagreement(p, n, st, text, step, state)
            if why is None:
                path, ids = runs[r.ids[0]]
                after.setdefault(t, (path + [(step, state)], ids + [t]))
            first_why = first_why or why
        if not after:
            raise DiagramError(first_why)
        runs = after
    if cycle_from is not None:
        back = [path for path, ids in runs.values() if ids[cycle_from] == ids[-1]]
        if not back:
            raise DiagramError(f"{p}: the steps after step {cycle_from} are to repeat for ever "
                               f"('cycle_from'), but step {len(steps) - 1} does not come back to the state of "
                               f"step {cycle_from}")
        return back[0]
    return next(iter(runs.values()))[0]


# --- a connection of a capture (tcpcheck conform's follower) -----------------------

def verdict_text(r, lang: str) -> str:
    """A connection's verdict as ``tcpcheck conform`` says it (conformance.report.verdict)."""
    from tcpcheck.model.conformance.report import verdict
    from tcpcheck.model.i18n import translator

    return verdict(r, translator(lang))


def choose_connection(path, results, number: int | None):
    """The connection ``number`` (from 1) of a capture's ``results``; without a
    number, its only one.  A DiagramError lists them otherwise."""
    listing = "; ".join(f"{i} {r.conn.name()} ({verdict_text(r, 'en')}, {len(r.conn.segments)} segment"
                        f"{'s' if len(r.conn.segments) != 1 else ''})" for i, r in enumerate(results, 1))
    if not results:
        raise DiagramError(f"{path}: holds no TCP connection to draw")
    if number is None:
        if len(results) > 1:
            raise DiagramError(f"{path}: holds {len(results)} connections; choose one with --connection N: "
                               f"{listing}")
        number = 1
    if not 1 <= number <= len(results):
        raise DiagramError(f"--connection {number}: {path} holds {len(results)} connection"
                           f"{'s' if len(results) > 1 else ''} (1-{len(results)}): {listing}")
    return number, results[number - 1]


def capture_trace(r, table) -> tuple[list[dict], int | None]:
    """The steps of a followed connection ``r`` (a :class:`~tcpcheck.model.
    conformance.follow.Result`) in :func:`~tcpcheck.model.report.trace_json`'s
    shape, for :func:`~.msc.msc_dot`, and the number of the deviating segment
    (None when none deviates).

    What is drawn is one real run: ``r.run``, one explanation of the whole
    connection that the follower kept (``tcpcheck conform`` shows the union of
    all of them), step by step in its order: the inferred user calls and
    timeouts, each segment sent (a reply in the step its cause arrives, when its
    sender did nothing in between), each arrival with the rows' events and the
    receiver's state after it, and each loss as early as it can have happened.
    The states beside the lifelines are that run's.  SEQ and ACK are relative to
    each side's first sequence number, as in the report.  A deviating connection
    ends with the segment no row allows, in flight.  ``table`` is the rule table
    followed (kept for callers; the run already names its rows)."""
    from tcpcheck.model.conformance.follow import Lose, Recv, Send, Silent
    from tcpcheck.model.conformance.trace import rel, relative, to_segment
    from tcpcheck.model.events import CALLS, TIMERS

    conn = r.conn
    base = relative(conn)
    sides = ("A", "B")
    peer = {"A": "B", "B": "A"}
    start = r.run.start if r.run is not None else ("?", "?")
    state = {"A": "?" if conn.starts_mid and r.run is None else start[0],
             "B": "?" if conn.starts_mid and r.run is None else start[1]}
    steps = [{"step": 0, "A": {"state": state["A"]}, "B": {"state": state["B"]}}]
    text = {}
    for row in r.rows:
        o = row.obs
        seg = to_segment(o._replace(seq=rel(o.seq, base.get(row.who)), ack=rel(o.ack, base.get(peer[row.who]))))
        text[row.index] = describe_segment(seg)

    def add(actor, kind, event, segment=None, sent=()) -> dict:
        st = {"step": len(steps), "actor": actor, "kind": kind, "event": event, "segment": segment,
              "sent": list(sent), "dropped": [], "A": {"state": state["A"]}, "B": {"state": state["B"]}}
        steps.append(st)
        return st

    last = {"A": None, "B": None}  # each side's last step: (its record, its step)
    for rec in (r.run.steps if r.run is not None else ()):
        if isinstance(rec, Silent):
            who = sides[rec.who]
            state[who] = rec.state
            last[who] = (rec, add(who, "call" if rec.event in CALLS else "timer", rec.event))
        elif isinstance(rec, Recv):
            who = sides[rec.who]
            state[who] = rec.state
            last[who] = (rec, add(who, "rcv", rec.events, text[rec.index]))
        elif isinstance(rec, Lose):
            frm = conn.sender(conn.segments[rec.index])
            add(None, "lose", f"{frm}->{peer[frm]}", text[rec.index])
        elif isinstance(rec, Send):
            who = sides[rec.who]
            state[who] = rec.state
            prev = last[who]
            if rec.how in ("reply", "late ACK") and prev is not None and isinstance(prev[0], Recv) \
                    and prev[0].index == rec.cause:
                prev[1][who] = {"state": state[who]}
                prev[1]["sent"].append(text[rec.index])
                continue
            kind = "call" if rec.how in CALLS else "timer" if rec.how in TIMERS else "send"
            last[who] = (rec, add(who, kind, rec.how if kind != "send" else "", sent=[text[rec.index]]))
    deviating = None
    if r.deviation is not None:
        add(r.deviation.who, "send", "", sent=[text[r.deviation.index]])
        deviating = sum(len(st.get("sent", ())) for st in steps)  # the last sent, as the seed note numbers them
    return steps, deviating


def capture_chart(path, connection: int | None = None, rules=None, vantage: str | None = None,
                  lang: str = "en") -> tuple[str, str]:
    """(DOT, title) of the chart of one connection of a capture (or of a JSON
    trace ``tcpcheck conform`` reads), followed through ``rules`` (default the
    reference table) from ``vantage`` as ``tcpcheck conform`` follows it."""
    from tcpcheck.model.conformance.cli import check_file
    from .msc import msc_dot

    trace, results, table, _where, _why = check_file(path, rules, vantage)
    number, r = choose_connection(path, results, connection)
    steps, deviating = capture_trace(r, table)
    if len(steps) > MAX_TRACE_STEPS + 1:
        raise DiagramError(f"--connection {number}: {path} has {len(steps) - 1:,} steps to draw; the limit is "
                           f"{MAX_TRACE_STEPS:,}")
    title = phrase("{file}, connection {i} ({name}): {verdict}; SEQ and ACK relative to each side's first",
                   lang).format(file=Path(trace.path).name, i=number, name=r.conn.name(),
                                verdict=verdict_text(r, lang))
    if _several_runs(r):
        title += phrase("; one run of several the capture allows", lang)
    a, b = r.conn.name().split(" -> ")
    names = {"A": f"A {a}", "B": f"B {b}"}
    if not r.conn.starts_mid and not any(o.SYN and not o.ACK for o in r.conn.segments if r.conn.sender(o) == "B"):
        roles = {"A": phrase("client", lang), "B": phrase("server", lang)}  # A opened, B answered
        names = {w: phrase("{endpoint} ({role})", lang).format(endpoint=w, role=roles[w]) + " " + addr
                 for w, addr in (("A", a), ("B", b))}
    return msc_dot(steps, title=title, lang=lang, names=names, deviating=deviating), title


def _several_runs(r) -> bool:
    """Whether the capture allows more than one explanation of connection ``r``
    (the chart draws one): a segment sent or received in more than one state or
    way, or both lost and arrived in the explanations kept."""
    return any(len(set(row.sender_states)) > 1 or len({st for *_, st in row.received}) > 1
               or len(row.explained) > 1 or (row.lost and row.arrived) for row in r.rows)


def _stuck(model, end) -> bool:
    """Whether a run that ends in the readable state ``end`` waits there for
    ever: nothing can happen any more, and it is not an acceptable end."""
    return not model.successors(model.encode(end)) and not acceptable_end(end)


def _run_title(config: str, kind: str, prop: str, lang: str) -> str:
    """"default: counterexample to 'deadlock freedom'", in ``lang`` (the
    configuration's name too: ``the no-time-wait demonstration ...``)."""
    config = config_name(config, lang)
    if kind == "counterexample":
        return phrase("{config}: counterexample to '{property}'", lang).format(
            config=config, property=property_name(prop, lang))
    return phrase("{config}: witness of '{property}'", lang).format(config=config, property=property_name(prop, lang))


def cmd_trace(args) -> int:
    from .msc import msc_dot

    args.lang = language(args.lang)
    if args.list:
        for name, sc in SCENARIOS.items():
            print(f"{name:<20} {sc.description}")
        return 0
    chosen = [x for x in (args.scenario, args.counterexample, args.file, args.capture) if x]
    if len(chosen) != 1:
        raise DiagramError("give exactly one of: a SCENARIO name (see --list), "
                           "--counterexample PROPERTY, --file TRACE.json or --capture FILE")
    if args.profile and args.rules:
        raise DiagramError("--profile and --rules both name a rule table: give one of them")
    if args.capture:
        from tcpcheck.model.profiles import chosen_rules

        wrong = [o for o, v in (("--preset", args.preset), ("--config", args.config), ("--mutant", args.mutant),
                                ("--property", args.property), ("--max-states", args.max_states)) if v]
        if wrong:
            raise DiagramError(f"{wrong[0]}: not with --capture (a capture is followed through a rule table, "
                               f"--rules or --profile, not a configuration)")
        dot, _title = capture_chart(args.capture, args.connection, chosen_rules(args), args.vantage, args.lang)
        return _emit(args, dot)
    wrong = [o for o, v in (("--connection", args.connection), ("--vantage", args.vantage)) if v]
    if wrong:
        raise DiagramError(f"{wrong[0]}: only with --capture FILE")
    cycle_from = None
    if args.scenario:
        cfg, table, path = scenario_path(args.scenario)  # UnknownName: an InputError with a 'did you mean'
        title = phrase(SCENARIOS[args.scenario].description, args.lang)
    elif args.counterexample:
        cfg, table = _config(args)
        result = run(cfg, table, max_states=args.max_states)
        v = _property(result, args.counterexample)
        path, table = path_of(result.exploration, v), result.table
        if v.lasso is not None and v.lasso.cycle:
            cycle_from = len(v.lasso.stem) - 1
        title = _run_title(cfg.name, "counterexample" if v.verdict == "violated" else "witness", v.name, args.lang)
    else:
        p = Path(args.file)
        steps, title, report, cycle_from = _trace_from_file(args.file, args.property)
        if report is None or args.preset or args.config or args.rules or args.mutant:
            cfg, table = _config(args)
        else:
            cfg, table = _recorded_config(p, report)
        path = validate_trace(p, steps, build(cfg, table), cycle_from)
        if isinstance(title, tuple):
            title = _run_title(*title, args.lang)
    stuck = _stuck(build(cfg, table), path[-1][1])
    trace = trace_json(path, table)
    return _emit(args, msc_dot(trace, title=title, lang=args.lang, names=_names(cfg, args.lang),
                               cycle_from=cycle_from, stuck=stuck))


def cmd_gallery(args) -> int:
    from .gallery import write_gallery

    out = output_folder(args.out, "the gallery", DiagramError)
    try:
        written = write_gallery(out, svg=not args.dot_only)
    except DotMissing as exc:
        raise DiagramError(str(exc)) from None
    except OSError as exc:
        raise DiagramError(f"{out}: cannot write the gallery there: {exc.strerror}") from None
    for p in written:
        print(p)
    return 0


def register(sub) -> None:
    """Add ``diagram`` and its subcommands to the main command line."""
    d = sub.add_parser("diagram", help="draw the state diagram, the state graph or a trace",
                       description="Draw diagrams generated from the rule table and the explored "
                                   "state graph: 'fsm' the endpoint state diagram (RFC 9293 "
                                   "Figure 5), 'states' the reachable-state graph of a "
                                   "configuration, 'trace' a message sequence chart.")
    ds = d.add_subparsers(dest="diagram", metavar="KIND")
    ds.required = True

    f = ds.add_parser("fsm", help="the endpoint state diagram, drawn from the rule table",
                      description=textwrap.fill("The eleven states and the transitions of the rule table, in the "
                                  "textbook look: the client's normal path thick and solid, the "
                                  "server's thick and dashed. By default the transitions of RFC 9293 "
                                  "Figure 5 and its notes; --full adds RST, ABORT, timeouts and "
                                  "retransmissions.", 78),
                      epilog="examples:\n  tcpcheck diagram fsm -o fsm.png\n"
                             "  tcpcheck diagram fsm --profile linux --full -o linux.svg\n"
                             "  tcpcheck diagram fsm --diff rfc9293 linux -o diff.png\n\n"
                             "exit codes: 0 drawn, 2 bad input (a rule table that does not load, an unknown\n"
                             "profile, a --format the extension of -o contradicts, an output that cannot be\n"
                             "written, no Graphviz dot for svg/png/pdf), 3 internal error",
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    from tcpcheck.model.profiles import add_profile_option

    fsrc = f.add_mutually_exclusive_group()
    fsrc.add_argument("--rules", metavar="FILE", help="a rule table instead of the reference one")
    add_profile_option(fsrc)
    fsrc.add_argument("--diff", nargs=2, metavar=("A", "B"),
                      help="draw the difference of two tables, each a profile name or a rule table file: "
                           "rows only in A red and dashed, only in B blue, the Figure 5 transitions "
                           "both have grey")
    f.add_argument("--full", action="store_true", help="also RST, ABORT, timeouts and retransmissions")
    _output_options(f)
    f.set_defaults(func=cmd_fsm)

    s = ds.add_parser("states", help="the reachable-state graph of a configuration",
                      description=textwrap.fill("The graph of every reachable state, or, when it is large (or with "
                                  "--quotient), one node per pair of endpoint states with the number "
                                  "of states it stands for. The states that hold deadlocks are filled "
                                  "red, every fair cycle (a run can go round it for ever under the "
                                  "fairness liveness assumes) drawn purple; a property's counterexample or witness "
                                  "can be highlighted.", 78),
                      epilog='examples:\n  tcpcheck diagram states --highlight "deadlock freedom" -o graph.svg\n'
                             "  tcpcheck diagram states --mutant time-wait-forever -o cycle.png\n\n"
                             "exit codes: 0 drawn, 2 bad input (an unknown preset, mutant or property, a\n"
                             "configuration or rule table that does not load, a graph too large to draw\n"
                             "whole, a --format the extension of -o contradicts, an output that cannot be\n"
                             "written, no Graphviz dot for svg/png/pdf), 3 internal error",
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    _source_options(s)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--quotient", action="store_true", help="one node per pair of endpoint states")
    g.add_argument("--whole", action="store_true", help="every state (refused when too large to read)")
    s.add_argument("--highlight", metavar="PROPERTY",
                   help="highlight this property's counterexample or witness, e.g. 'CLOSING is reachable'")
    _output_options(s)
    s.set_defaults(func=cmd_states)

    t = ds.add_parser("trace", help="a message sequence chart of a scenario, counterexample, trace file or "
                                    "a connection of a capture",
                      description=textwrap.fill("A message sequence chart: two lifelines, states where they change, "
                                  "segments as slanted arrows numbered in the order they are sent "
                                  "(as the seed note numbers segments 1-7), with flags, SEQ and ACK; "
                                  "losses end in a cross, duplicates and timeouts are marked; the "
                                  "steps of a lasso that repeat for ever are framed, and a run "
                                  "that stops where it should not ends in a wait 'for ever'.", 78),
                      epilog="A trace file is checked against the model before it is drawn: every step\n"
                             "must be one the model can take from the state before it, and what the file\n"
                             "says came of it (events, segments sent, states, TCB variables) must be what\n"
                             "the model makes of it; the first step that is not is reported, with what\n"
                             "the model can do there, and nothing is drawn (exit 2). The chart shows the\n"
                             "model's own run. The model is that of the configuration the file records\n"
                             "('tcpcheck check --json' writes its \"config\" and rule table, a mutant's\n"
                             "too); --preset, --config or --rules check it in another one instead. A\n"
                             "plain list of steps is checked in --preset/--config (default: default).\n"
                             "Segments may be strings ('<SEQ=100><CTL=SYN>') or objects with a \"text\".\n\n"
                             "examples:\n  tcpcheck diagram trace --list\n"
                             "  tcpcheck diagram trace seed -o seed.svg\n"
                             '  tcpcheck diagram trace --counterexample "deadlock freedom" -o cex.png\n'
                             "  tcpcheck check --json > r.json; tcpcheck diagram trace --file r.json -o r.svg\n"
                             "  tcpcheck diagram trace --file mine.json --preset seed -o mine.png\n"
                             "  tcpcheck diagram trace --capture tests/captures/abort-linger0.pcap -o abort.svg\n"
                             "  tcpcheck diagram trace --capture many.pcapng --connection 2 --profile linux\n\n"
                             "--capture FILE draws one connection of a pcap or pcapng capture (or of a JSON\n"
                             "trace 'tcpcheck conform' reads), followed as 'tcpcheck conform' follows it\n"
                             "(--rules or --profile, --vantage): each segment sent by the user call,\n"
                             "timeout or arrival that explains it, the states both ends may be in, SEQ and\n"
                             "ACK relative to each side's first; a connection that deviates is drawn up to\n"
                             "the segment no row allows, marked red, with the verdict in the title. A\n"
                             "capture with several connections needs --connection N (the error lists them).\n\n"
                             "exit codes: 0 drawn, 2 bad input (a trace that is not a run of the model,\n"
                             "a file that is not a capture, a --connection it does not hold, a --format\n"
                             "the extension of -o contradicts), 3 internal error",
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("scenario", nargs="?", metavar="SCENARIO", help=f"a named scenario: {', '.join(SCENARIOS)}")
    t.add_argument("--list", action="store_true", help="list the named scenarios")
    t.add_argument("--counterexample", metavar="PROPERTY",
                   help="draw this property's counterexample (or witness) in the chosen configuration")
    t.add_argument("--file", metavar="TRACE.json",
                   help="a trace file: the output of 'tcpcheck check --json', or a list of its steps "
                        f"(at most {MAX_TRACE_STEPS:,})")
    t.add_argument("--property", metavar="NAME", help="with --file: which property's trace to draw")
    t.add_argument("--capture", metavar="FILE",
                   help="a pcap or pcapng capture (or a JSON trace of 'tcpcheck conform'): draw one of its "
                        "connections with the states tcpcheck conform infers")
    t.add_argument("--connection", type=positive, metavar="N",
                   help="with --capture: which connection to draw, from 1 (needed when it holds several)")
    from tcpcheck.model.conformance.trace import VANTAGES

    t.add_argument("--vantage", choices=VANTAGES, default=None,
                   help="with --capture: where it was taken, a, b or path (see 'tcpcheck conform --help')")
    add_profile_option(t)
    _source_options(t)
    _output_options(t)
    t.set_defaults(func=cmd_trace)

    y = ds.add_parser("gallery", help="regenerate the reference diagrams committed under diagrams/",
                      description=textwrap.fill("Write every diagram of the reference model (state diagrams, "
                                  "scenario charts in English and Chinese, state graphs) as DOT "
                                  "and SVG. The tests compare the committed DOT files with what "
                                  "the model generates now. It works anywhere: outside the "
                                  "repository it writes into ./diagrams.", 78),
                      epilog="example: tcpcheck diagram gallery --out /tmp/gallery --dot-only\n\n"
                             "exit codes: 0 written, 2 a folder that cannot be written (or no Graphviz dot\n"
                             "without --dot-only), 3 internal error",
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    y.add_argument("--out", default="diagrams", metavar="DIR",
                   help="the folder to write into, made if missing (default: ./diagrams, the "
                        "repository's own folder when run at its top)")
    y.add_argument("--dot-only", action="store_true", help="write only the DOT files")
    y.set_defaults(func=cmd_gallery)
