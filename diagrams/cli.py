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
import sys
from pathlib import Path

from tcpcheck.model.checker import run
from tcpcheck.model.cli import positive
from tcpcheck.model.config import PRESETS, load_config, preset
from tcpcheck.model.errors import InputError, read_input, write_output
from tcpcheck.model.properties import labels_of, path_of, run_of
from tcpcheck.model.report import trace_json
from tcpcheck.model.scenarios import SCENARIOS, scenario_path
from tcpcheck.model.table import REFERENCE, load_table

from .i18n import LANGS, phrase
from .render import FORMATS, DotMissing, render
from .states import TooLarge, states_dot

__all__ = ["register", "DiagramError"]


class DiagramError(InputError):
    """Bad input to ``tcpcheck diagram``: reported in one line, exit code 2."""


def _output_options(p) -> None:
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write here (default: standard output; the format follows the extension)")
    p.add_argument("--format", choices=FORMATS, help="svg, png, pdf or dot (default: from -o, else svg)")
    p.add_argument("--lang", choices=LANGS, default="en",
                   help="label language: en, or zh for Chinese (state names stay as in the RFC)")


def _source_options(p) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help=f"a built-in configuration: {', '.join(PRESETS)}")
    src.add_argument("--config", metavar="FILE", help="a TOML configuration file (see 'tcpcheck check --help')")
    p.add_argument("--rules", metavar="FILE", help="a rule table instead of the reference one")
    p.add_argument("--max-states", type=positive, metavar="N", help="stop exploring after N states")


def _config(args):
    cfg = load_config(args.config) if args.config else preset(args.preset or "default")
    table = load_table(args.rules) if args.rules else load_table(cfg.rules or REFERENCE)
    return cfg, table


def _names(cfg, lang: str) -> dict:
    roles = {"active": "client", "passive": "server"}
    a, b = cfg.A.open, cfg.B.open
    if {a, b} == {"active", "passive"}:
        return {w: f"{w} ({phrase(roles[getattr(cfg, w).open], lang)})" for w in ("A", "B")}
    return {"A": "A", "B": "B"}


def _emit(args, dot_source: str) -> int:
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "svg")
    if fmt not in FORMATS:
        raise DiagramError(f"cannot tell the format from '{args.output}'; use --format "
                           f"({', '.join(FORMATS)})")
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

    table = load_table(args.rules) if args.rules else load_table()
    return _emit(args, fsm_dot(table, full=args.full, lang=args.lang))


def _property(result, name: str):
    names = [v.name for v in result.verdicts]
    if name not in names:
        raise DiagramError(f"unknown property '{name}'; the properties are: {'; '.join(names)}")
    v = result.verdicts[names.index(name)]
    if v.state is None and v.lasso is None:
        raise DiagramError(f"'{name}' {v.verdict} in this configuration and has no "
                           f"counterexample or witness to show")
    return v


def cmd_states(args) -> int:
    cfg, table = _config(args)
    result = run(cfg, table, max_states=args.max_states)
    x = result.exploration
    path, steps = [], None
    if args.highlight:
        v = _property(result, args.highlight)
        path, steps = run_of(x, v), labels_of(x, v)
    quotient = True if args.quotient else (False if args.whole else None)
    title = f"{cfg.name}: {len(x.states):,} reachable states"
    if args.highlight:
        title += f"; highlighted: {args.highlight}"
    try:
        dot = states_dot(x, title, quotient=quotient, path=path, lang=args.lang, steps=steps)
    except TooLarge as exc:
        raise DiagramError(str(exc)) from None
    return _emit(args, dot)


#: The most steps a trace file may have (a counterexample has tens): a chart of
#: more could not be read, and drawing time grows with the square of the steps
#: (500 steps with every segment in flight take some 20 seconds).
MAX_TRACE_STEPS = 500

_SEGMENTS = "a list of segments like '<SEQ=1><CTL=SYN>'"


def _check_step(p: Path, n: int, step) -> None:
    """Refuse a step of a trace file that msc_dot could not draw: the fields it
    reads, of the types 'tcpcheck check --json' gives them."""
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
    if not isinstance(step.get("segment"), (str, type(None))):
        raise DiagramError(f"{p}: step {n}: 'segment' must be a segment like '<SEQ=1><CTL=SYN>' or null")
    for key in ("sent", "dropped"):
        v = step.get(key, [])
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise DiagramError(f"{p}: step {n}: '{key}' must be {_SEGMENTS}")


def _trace_from_file(path: str, prop: str | None) -> tuple[list, str]:
    """The steps of a trace file and a title: for 'check --json' output, the
    configuration and the property, as --counterexample has them; else the file's name.
    Each step is checked (see :func:`_check_step`); at most MAX_TRACE_STEPS steps."""
    p = Path(path)
    title = p.name
    text = read_input(p, "the trace", DiagramError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiagramError(f"{p}:{exc.lineno}: not a JSON trace ({exc})") from None
    except RecursionError:
        raise DiagramError(f"{p}:1: nested too deeply to be a trace") from None
    if isinstance(data, dict) and "properties" in data:
        config = data.get("config")
        config = config.get("name", p.name) if isinstance(config, dict) else p.name
        props = data["properties"]
        if not isinstance(props, list) or not all(isinstance(q, dict) for q in props):
            raise DiagramError(f"{p}: 'properties' must be a list of objects, as 'tcpcheck check --json' writes it")
        cands = [q for q in props if "counterexample" in q or "witness" in q]
        if prop is not None:
            cands = [q for q in cands if q.get("name") == prop]
        if not cands:
            raise DiagramError(f"{p}: no property{' named ' + repr(prop) if prop else ''} with a "
                               f"counterexample or witness in this 'tcpcheck check --json' output")
        q = next((q for q in cands if q.get("verdict") == "violated"), cands[0])
        data = q.get("counterexample") or q.get("witness")
        kind = "counterexample to" if "counterexample" in q else "witness of"
        title = f"{config}: {kind} '{q.get('name')}'"
    if not isinstance(data, list) or not data:
        raise DiagramError(f"{p}: expected a list of steps, or the output of 'tcpcheck check --json'")
    if len(data) > MAX_TRACE_STEPS + 1:
        raise DiagramError(f"{p}: the trace has {len(data) - 1:,} steps; the limit is {MAX_TRACE_STEPS:,}")
    for n, step in enumerate(data):
        _check_step(p, n, step)
    return data, title


def cmd_trace(args) -> int:
    from .msc import msc_dot

    if args.list:
        for name, sc in SCENARIOS.items():
            print(f"{name:<20} {sc.description}")
        return 0
    chosen = [x for x in (args.scenario, args.counterexample, args.file) if x]
    if len(chosen) != 1:
        raise DiagramError("give exactly one of: a SCENARIO name (see --list), "
                           "--counterexample PROPERTY, or --file TRACE.json")
    names = {"A": "A", "B": "B"}
    if args.scenario:
        if args.scenario not in SCENARIOS:
            raise DiagramError(f"unknown scenario '{args.scenario}'; known scenarios: {', '.join(SCENARIOS)}")
        cfg, table, path = scenario_path(args.scenario)
        trace, names = trace_json(path, table), _names(cfg, args.lang)
        title = phrase(SCENARIOS[args.scenario].description, args.lang)
    elif args.counterexample:
        cfg, table = _config(args)
        result = run(cfg, table, max_states=args.max_states)
        v = _property(result, args.counterexample)
        kind = "counterexample to" if v.verdict == "violated" else "witness of"
        trace = trace_json(path_of(result.exploration, v), result.table)
        title, names = f"{cfg.name}: {kind} '{v.name}'", _names(cfg, args.lang)
    else:
        trace, title = _trace_from_file(args.file, args.property)
    return _emit(args, msc_dot(trace, title=title, lang=args.lang, names=names))


def cmd_gallery(args) -> int:
    from .gallery import write_gallery

    out = Path(args.out)
    if not out.is_dir():
        raise DiagramError(f"{out}: not a directory")
    try:
        written = write_gallery(out, svg=not args.dot_only)
    except DotMissing as exc:
        raise DiagramError(str(exc)) from None
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
                      description="The eleven states and the transitions of the rule table, in the "
                                  "textbook look: the client's normal path thick and solid, the "
                                  "server's thick and dashed. By default the transitions of RFC 9293 "
                                  "Figure 5 and its notes; --full adds RST, ABORT, timeouts and "
                                  "retransmissions.",
                      epilog="example: tcpcheck diagram fsm -o fsm.png")
    f.add_argument("--rules", metavar="FILE", help="a rule table instead of the reference one")
    f.add_argument("--full", action="store_true", help="also RST, ABORT, timeouts and retransmissions")
    _output_options(f)
    f.set_defaults(func=cmd_fsm)

    s = ds.add_parser("states", help="the reachable-state graph of a configuration",
                      description="The graph of every reachable state, or, when it is large (or with "
                                  "--quotient), one node per pair of endpoint states with the number "
                                  "of states it stands for. A property's counterexample or witness "
                                  "can be highlighted.",
                      epilog='example: tcpcheck diagram states --highlight "deadlock freedom" -o graph.svg')
    _source_options(s)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--quotient", action="store_true", help="one node per pair of endpoint states")
    g.add_argument("--whole", action="store_true", help="every state (refused when too large to read)")
    s.add_argument("--highlight", metavar="PROPERTY",
                   help="highlight this property's counterexample or witness, e.g. 'CLOSING is reachable'")
    _output_options(s)
    s.set_defaults(func=cmd_states)

    t = ds.add_parser("trace", help="a message sequence chart of a scenario, counterexample or trace file",
                      description="A message sequence chart: two lifelines, states where they change, "
                                  "segments as slanted arrows with flags, SEQ and ACK; losses end in a "
                                  "cross, duplicates and timeouts are marked.",
                      epilog="examples:\n  tcpcheck diagram trace --list\n"
                             "  tcpcheck diagram trace seed -o seed.svg\n"
                             '  tcpcheck diagram trace --counterexample "deadlock freedom" -o cex.png\n'
                             "  tcpcheck check --json > r.json; tcpcheck diagram trace --file r.json -o r.svg",
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("scenario", nargs="?", metavar="SCENARIO", help=f"a named scenario: {', '.join(SCENARIOS)}")
    t.add_argument("--list", action="store_true", help="list the named scenarios")
    t.add_argument("--counterexample", metavar="PROPERTY",
                   help="draw this property's counterexample (or witness) in the chosen configuration")
    t.add_argument("--file", metavar="TRACE.json",
                   help="a trace file: the output of 'tcpcheck check --json', or a list of its steps "
                        f"(at most {MAX_TRACE_STEPS:,})")
    t.add_argument("--property", metavar="NAME", help="with --file: which property's trace to draw")
    _source_options(t)
    _output_options(t)
    t.set_defaults(func=cmd_trace)

    y = ds.add_parser("gallery", help="regenerate the reference diagrams committed under diagrams/",
                      description="Write every diagram of the reference model (state diagrams, "
                                  "scenario charts in English and Chinese, state graphs) as DOT "
                                  "and SVG. The tests compare the committed DOT files with what "
                                  "the model generates now.")
    y.add_argument("--out", default="diagrams", metavar="DIR", help="where to write (default: diagrams)")
    y.add_argument("--dot-only", action="store_true", help="write only the DOT files")
    y.set_defaults(func=cmd_gallery)
