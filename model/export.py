"""``tcpcheck export``: the reachable-state graph and the counterexamples, for other tools.

    tcpcheck export [--preset NAME | --config FILE] [--rules FILE] [--mutant NAME]
                    --format graphml|json|dot [-o FILE] [--no-size-limit] [--max-states N]
    tcpcheck export ... --counterexamples [-o FILE]

The graph is a networkx ``MultiDiGraph`` (:func:`state_graph`): one node per
reachable state, numbered as the explorer found them (0 is the initial
state), and one edge per transition the checker counted (several steps may
join the same two states; edge key ``j`` is the exploration's ``j``-th
transition).  Every attribute is a plain scalar, as GraphML requires, so one
graph is written three ways: GraphML (Gephi, yEd; ``networkx.read_graphml(f,
node_type=int, force_multigraph=True)`` gives it back exactly),
networkx node-link JSON (``networkx.node_link_graph``) inside the envelope of
every ``--json`` output, and DOT.  :data:`NODE_ATTRIBUTES` and
:data:`EDGE_ATTRIBUTES` say what each attribute is.

``--counterexamples`` writes, instead of the graph, every violated property's
run in the shape ``tcpcheck check --json`` gives it (the configuration, the
rule table and each property's ``counterexample``, ``cycle_from``), which
``tcpcheck diagram trace --file FILE --property NAME`` reads back and draws.

Registered through the ``tcpcheck.commands`` entry point.  It explores and
writes; it decides nothing a check does not, and draws nothing (DOT here is
the data, not a layout: ``tcpcheck diagram states`` draws).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import textwrap
from pathlib import Path

from .errors import InputError, write_output

__all__ = ["register", "ExportError", "state_graph", "graph_bytes", "counterexamples_json",
           "NODE_ATTRIBUTES", "EDGE_ATTRIBUTES", "DOT_LIMIT", "FORMATS"]

FORMATS = ("graphml", "json", "dot", "promela")

#: What the extension of ``-o`` means when --format is not given.
EXTENSIONS = {".graphml": "graphml", ".json": "json", ".dot": "dot", ".gv": "dot", ".pml": "promela"}

#: Above this many states DOT is refused unless --no-size-limit is given: Graphviz
#: takes minutes to lay such a graph out, and the picture cannot be read.
DOT_LIMIT = 500

#: Each node's attributes (X is A or B).
NODE_ATTRIBUTES = {
    "label": "both endpoints' states, 'A ESTABLISHED | B CLOSE_WAIT'",
    "depth": "steps from the initial state on a shortest run",
    "initial": "whether it is the initial state",
    "terminal": "whether no step leads out of it",
    "deadlock": "terminal, and not an acceptable end (something in flight, or an endpoint neither "
                "CLOSED nor LISTENing)",
    "X.state, X.ISS, X.IRS, X.SND.UNA, X.SND.NXT, X.RCV.NXT, X.passive, X.retransmissions_left":
        "endpoint X's TCB (RFC 9293 3.3.1 names, as in every JSON output)",
    "X.app.open, X.app.data, X.app.close, X.app.abort, X.app.incarnation":
        "what X's application still means to do: the OPEN it has yet to make ('active', 'passive' "
        "or ''), the data segments it may still SEND, whether it has yet to CLOSE, whether it may "
        "still ABORT, which of its OPENs this connection is",
    "in_flight.A->B, in_flight.B->A": "the segments in flight each way, in RFC notation, separated "
                                       "by spaces ('' for none)",
    "in_flight.A->B.count, in_flight.B->A.count": "how many",
    "lost": "segments the network has lost so far (counted only under a loss budget, else 0)",
}

#: Each edge's attributes.
EDGE_ATTRIBUTES = {
    "label": "what happened, as a trace says it: 'A: active OPEN', 'B receives <SEQ=..>: rcv SYN'",
    "actor": "A, B or network",
    "kind": "call, timer, rcv, lose or duplicate",
    "event": "the call or timer, the events the RFC makes of an arrival, or the direction (A->B)",
    "rule": "the rules of the table that fired, as file:line ('; ' between several, '' for none)",
    "rule_text": "the same rules as 'STATE --event / actions--> NEXT'",
    "segment": "the segment received, lost or duplicated ('' for none)",
    "sent": "the segments the endpoint sent, separated by spaces",
    "dropped": "of those, the ones a full channel dropped",
}


class ExportError(InputError):
    """Bad input to ``tcpcheck export``: reported in one line, exit code 2."""


def _segments(segs) -> str:
    from .tcb import describe_segment
    return " ".join(describe_segment(q) for q in segs)


def _node(x, i: int, stuck: bool) -> dict:
    from .interface import tcb_json

    s = x.state(i)
    out = {"label": f"A {s.A.state} | B {s.B.state}", "depth": x.depth[i], "initial": i == 0,
           "terminal": False, "deadlock": stuck}
    for who in ("A", "B"):
        out.update({f"{who}.{k}": v for k, v in tcb_json(getattr(s, who)).items()})
        app = getattr(s, f"app_{who}")
        out.update({f"{who}.app.{k}": getattr(app, k) for k in app._fields})
    for direction, segs in (("A->B", s.net_AB), ("B->A", s.net_BA)):
        out[f"in_flight.{direction}"] = _segments(segs)
        out[f"in_flight.{direction}.count"] = len(segs)
    out["lost"] = s.lost
    return out


def _edge(step, table) -> dict:
    from .report import _what

    rules = [table.rules[r] for r in step.rules]
    return {"label": _what(step, table), "actor": step.actor, "kind": step.kind, "event": step.event,
            "rule": "; ".join(r.where for r in rules), "rule_text": "; ".join(r.describe() for r in rules),
            "segment": _segments([step.segment]) if step.segment is not None else "",
            "sent": _segments(step.sent), "dropped": _segments(step.dropped)}


def state_graph(x, table, name: str = ""):
    """The reachable-state graph of the exploration ``x`` of a model of ``table``,
    as a networkx ``MultiDiGraph`` with plain attributes (see the module docstring).

    >>> from tcpcheck.model.checker import build
    >>> from tcpcheck.model.config import preset
    >>> from tcpcheck.model.explorer import explore
    >>> model = build(preset("seed"))
    >>> g = state_graph(explore(model), model.table, "seed")
    >>> g.number_of_nodes(), g.number_of_edges(), g.nodes[0]["label"], g.nodes[0]["B.state"]
    (14, 15, 'A CLOSED | B LISTEN', 'LISTEN')
    >>> e = g.edges[0, 1, 0]
    >>> e["label"], e["rule"], e["sent"]
    ('A: active OPEN', 'rfc9293.rules:20', '<SEQ=4294967294><CTL=SYN>')
    """
    import networkx as nx

    from .properties import acceptable_end

    g = nx.MultiDiGraph(name=name, rules=table.name, complete=x.complete, states=len(x.states),
                        transitions=x.transitions)
    terminal = set(x.terminal)
    for i in range(len(x.states)):
        attrs = _node(x, i, i in terminal and not acceptable_end(x.state(i)))
        attrs["terminal"] = i in terminal
        g.add_node(i, **attrs)
    edges = [_edge(x.label(k), table) for k in range(len(x.labels))]
    for j, (u, v, k) in enumerate(zip(x.src, x.dst, x.lab)):
        g.add_edge(u, v, key=j, **edges[k])
    return g


def _dot_id(text) -> str:
    """A DOT quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_value(v) -> str:
    return _dot_id(str(v).lower() if isinstance(v, bool) else v)


def dot_text(g) -> str:
    """``g`` (a :func:`state_graph`) as DOT: every attribute of every node and edge
    kept, nodes in their order, edges in the exploration's order."""
    lines = [f"digraph {_dot_id(g.graph.get('name') or 'states')} {{",
             "  graph [" + ", ".join(f"{_dot_id(k)}={_dot_value(v)}" for k, v in g.graph.items()) + "];",
             "  node [shape=box];"]
    for n, attrs in g.nodes(data=True):
        shown = dict(attrs, label=f"#{n}  {attrs['label']}")
        lines.append(f"  {n} [" + ", ".join(f"{_dot_id(k)}={_dot_value(v)}" for k, v in shown.items()) + "];")
    for u, v, key, attrs in sorted(g.edges(keys=True, data=True), key=lambda e: e[2]):
        lines.append(f"  {u} -> {v} [key={key}, "
                     + ", ".join(f"{_dot_id(k)}={_dot_value(x)}" for k, x in attrs.items()) + "];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def node_link(g) -> dict:
    """``g`` as networkx node-link data in the envelope of every JSON output
    (``networkx.node_link_graph(doc)`` reads it back)."""
    import networkx as nx

    from .interface import stamp

    return stamp("export", {"format": "node-link", **nx.node_link_data(g, edges="edges")})


def graph_bytes(g, fmt: str) -> bytes:
    """``g`` written as ``fmt``: graphml, json (node-link) or dot."""
    import networkx as nx

    if fmt == "graphml":
        out = io.BytesIO()
        nx.write_graphml(g, out)
        return out.getvalue()
    if fmt == "json":
        return (json.dumps(node_link(g), indent=1) + "\n").encode("utf-8")
    if fmt == "dot":
        return dot_text(g).encode("utf-8")
    raise ValueError(f"unknown format '{fmt}'; expected one of {', '.join(FORMATS)}")


def counterexamples_json(result) -> dict:
    """The violated properties of a check ``result`` with their runs, as
    ``tcpcheck check --json`` writes them (its ``config``, ``rules``,
    ``reference_model``, and each property with a ``counterexample``), in the
    envelope of kind ``export``: what ``diagram trace --file`` reads."""
    from .interface import stamp
    from .report import result_json

    doc = result_json(result)
    props = [p for p in doc["properties"] if p["verdict"] == "violated" and "counterexample" in p]
    return stamp("export", {"format": "counterexamples", "config": doc["config"], "rules": doc["rules"],
                            "reference_model": doc["reference_model"], "complete": doc["complete"],
                            "properties": props})


def _format(args) -> str:
    implied = EXTENSIONS.get(Path(args.output).suffix.lower()) if args.output else None
    if args.counterexamples:
        if args.format not in (None, "json"):
            raise ExportError(f"--counterexamples writes JSON; leave out --format {args.format}")
        return "json"
    if args.format and implied and implied != args.format:
        raise ExportError(f"--format {args.format} contradicts '{args.output}', whose extension means "
                          f"{implied}; leave out --format, or name the file .{args.format}")
    fmt = args.format or implied
    if fmt is None:
        raise ExportError("give --format graphml, json or dot (or -o FILE ending in .graphml, .json, "
                          ".dot or .gv)")
    return fmt


def cmd_export(args) -> int:
    from .checker import build, run
    from .cli import config_from
    from .explorer import explore

    if args.output == "-":  # the usual name of standard output, not a file called "-"
        args.output = None
    fmt = _format(args)
    cfg, table = config_from(args)
    if args.counterexamples:
        result = run(cfg, table, max_states=args.max_states)
        doc = counterexamples_json(result)
        data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
        what = f"{len(doc['properties'])} counterexample(s)"
    elif fmt == "promela":  # model/promela.py: SPIN counts the same states (issue 13)
        from .promela import promela
        if args.max_states:
            raise ExportError("--format promela needs the whole exploration; leave out --max-states")
        text = promela(cfg, table)
        data, what = text.encode("utf-8"), f"{text.states:,} states"
    else:
        model = build(cfg, table)
        x = explore(model, max_states=args.max_states)
        if fmt == "dot" and len(x.states) > DOT_LIMIT and not args.no_size_limit:
            raise ExportError(f"the graph has {len(x.states):,} states; DOT of more than {DOT_LIMIT:,} is "
                              f"refused by default, as Graphviz takes minutes to lay it out and the picture "
                              f"cannot be read: give --no-size-limit to write it anyway, or use --format "
                              f"graphml or json for a graph tool")
        data = graph_bytes(state_graph(x, model.table, cfg.name), fmt)
        what = f"{len(x.states):,} states, {x.transitions:,} transitions"
        if not x.complete:
            print(f"tcpcheck: warning: the exploration stopped at --max-states {args.max_states:,}: "
                  f"the graph is incomplete", file=sys.stderr)
    if args.output:
        write_output(args.output, data, "the export", ExportError)
        print(f"wrote {args.output} ({fmt}: {what})", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def register(sub) -> None:
    """Add ``export`` to the main command line."""
    from .cli import positive
    from .config import PRESETS

    p = sub.add_parser(
        "export", help="write the reachable-state graph (GraphML, JSON, DOT) or the counterexamples",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill("Explore a configuration as 'tcpcheck check' does and write its reachable-state "
                    "graph for other tools: one node per state with every state variable (both TCBs, "
                    "each application's remaining intentions, the segments in flight each way), one "
                    "edge per transition with its actor, event, rule (file:line) and segments, all as "
                    "plain attributes. Node and edge counts are the checker's. Or, with "
                    "--counterexamples, every violated property's run as JSON that 'tcpcheck diagram "
                    "trace --file' reads.", 78),
        epilog="formats:\n"
               "  graphml  GraphML: Gephi, yEd, networkx.read_graphml(f, node_type=int, force_multigraph=True)\n"
               "  json     networkx node-link JSON (networkx.node_link_graph(json.load(f))), in the\n"
               "           envelope of every --json output (schema_version, tool, kind 'export';\n"
               "           schema: export.schema.json in tcpcheck/model/schemas)\n"
               f"  dot      Graphviz DOT with every attribute; refused above {DOT_LIMIT} states unless\n"
               "           --no-size-limit ('tcpcheck diagram states' draws a readable picture)\n"
               "  promela  a Promela model of the same system for SPIN: spin -a f.pml; gcc -DNOREDUCE\n"
               "           -DSAFETY -o pan pan.c; ./pan stores exactly as many states as tcpcheck finds\n\n"
               "examples:\n"
               "  tcpcheck export --preset seed -o seed.graphml\n"
               "  tcpcheck export --preset reliable --format json > reliable.json\n"
               "  tcpcheck export --preset default --format dot --no-size-limit -o default.gv\n"
               "  tcpcheck export --mutant no-time-wait --counterexamples -o cex.json\n"
               '  tcpcheck diagram trace --file cex.json --property "the passive closer is never reset" -o c.svg\n'
               "  tcpcheck explore --file cex.json\n\n"
               "exit codes: 0 written, 2 bad input (an option, a configuration or rule file, an output\n"
               "path that cannot be written, a DOT graph too large without --no-size-limit), 3 internal error")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help=f"a built-in configuration: {', '.join(PRESETS)} "
                                                      "(default: default)")
    src.add_argument("--config", metavar="FILE", help="a TOML configuration file (see 'tcpcheck check --help')")
    p.add_argument("--rules", metavar="FILE", help="a rule table instead of the reference one")
    p.add_argument("--mutant", metavar="NAME",
                   help="a deliberately broken variant of the model (see 'tcpcheck mutants'), as check has it")
    p.add_argument("--format", choices=FORMATS, help="graphml, json or dot (default: the extension of -o)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    p.add_argument("--counterexamples", action="store_true",
                   help="write every violated property's run instead of the graph, as JSON (schema: "
                        "export.schema.json in tcpcheck/model/schemas) that 'tcpcheck diagram trace --file' "
                        "and 'tcpcheck explore --file' read back")
    p.add_argument("--no-size-limit", action="store_true",
                   help=f"write DOT of any size (by default refused above {DOT_LIMIT} states)")
    p.add_argument("--max-states", type=positive, metavar="N",
                   help="stop exploring after N states (the graph is then incomplete)")
    p.set_defaults(func=cmd_export)
