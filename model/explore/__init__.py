"""``tcpcheck explore``: the model in a local web page (issue 14).

The page shows the global state of a run (both TCBs, each application's
remaining intentions, the segments in flight), the steps enabled from it
(who acts, the event, the rule of the table at file:line, the segments it
sends), the run's message sequence chart (drawn by the chart code of
``diagram trace``, through the ``tcpcheck.charts`` entry point) and the
properties the run violates.  Clicking a step takes it; the run is in the
URL (``#run=0,0,1``), so the browser's back and forward work and a URL can
be shared and reloaded.  A counterexample of ``check`` opens as a run to
step through.

:mod:`.session` computes everything from the model, :mod:`.server` serves
it (standard library, 127.0.0.1 only), ``static/`` holds the page.  This
package plugs into the command line through the ``tcpcheck.commands`` entry
point group, like the others.  The command line is the one way in:

>>> from tcpcheck.model.cli import parser
>>> args = parser().parse_args(["explore", "--mutant", "syn-counted-twice", "--counterexample", "INV1"])
>>> args.func is cmd_explore, args.port, args.counterexample
(True, 8765, 'INV1')
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path

__all__ = ["register", "cmd_explore"]

EXAMPLES = """\
examples:
  tcpcheck explore --preset seed
  tcpcheck explore --preset seed --port 0 --open
  tcpcheck explore --mutant syn-counted-twice
  tcpcheck explore --preset default --counterexample "deadlock freedom"
  tcpcheck explore --preset default --counterexample DEAD1 --lang zh
  tcpcheck check --mutant no-time-wait --json > r.json; tcpcheck explore --file r.json
  tcpcheck export --preset default --counterexamples -o cex.json; tcpcheck explore --file cex.json

The page: the current state (both TCBs, each application's remaining
intentions, the segments in flight each way), the steps enabled from it (click
one to take it), the run so far and its message sequence chart, the properties
the run violates (flagged at the step they fail), what can still happen from
here, and check's counterexamples to open. The run is in the URL
(#run=0,0,1&lang=en): back and forward work, and the URL can be shared with
anyone who starts the same configuration.

exit codes:
  0    stopped with Ctrl-C
  2    bad input (an option, a configuration, rule or trace file; the port in use)
  3    internal error"""


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, not '{text}'")
    return int(text)


def register(sub) -> None:
    """Add ``explore`` to the command line's subparsers."""
    from ..table import REFERENCE
    from ..i18n import add_lang_option

    p = sub.add_parser(
        "explore", help="walk the model's runs in a local web page",
        description="Start a local web server (127.0.0.1 only) with a page on which you step\n"
                    "through the model's runs: click a step to take it, see both endpoints, the\n"
                    "network and the message sequence chart, and which properties the run breaks.\n"
                    "It prints its address and runs until Ctrl-C; nothing is downloaded.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help="a built-in configuration (default: default; "
                                                      "'tcpcheck presets' lists them)")
    src.add_argument("--config", metavar="FILE", help="a TOML configuration file")
    rules = p.add_mutually_exclusive_group()
    rules.add_argument("--rules", metavar="FILE",
                       help=f"a rule table instead of the reference one ({REFERENCE.name})")
    rules.add_argument("--mutant", metavar="NAME",
                       help="a named broken variant of the model ('tcpcheck mutants'), in its own "
                            "configuration unless --preset or --config is given")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--counterexample", metavar="PROPERTY",
                       help="open at this property's counterexample (or witness): its name, in English "
                            "or Chinese, or its id such as DEAD1")
    start.add_argument("--file", metavar="CHECK.json",
                       help="open at a run of a 'tcpcheck check --json' or 'tcpcheck export "
                            "--counterexamples' output (the first violated property's, or --property's), "
                            "replayed on the configuration and mutant it records unless --preset, --config, "
                            "--rules or --mutant says otherwise; or of a trace file (a list of steps)")
    p.add_argument("--property", metavar="NAME", help="with --file: whose run to open")
    p.add_argument("--port", type=_port, default=8765, metavar="N",
                   help="the port to listen on (default: 8765; 0 picks a free one)")
    p.add_argument("--open", action="store_true", help="also open the page in the web browser")
    add_lang_option(p)
    p.set_defaults(func=cmd_explore)


def cmd_explore(args) -> int:
    from ..cli import config_from
    from ..errors import InputError
    from ..i18n import language, translator
    from ..report import config_name
    from ..recorded import recorded_config, records_config
    from .server import make_server
    from .session import Session, read_json

    if args.property and not args.file:
        raise InputError("--property: give it with --file CHECK.json, to say whose run to open")
    lang = language(args.lang)
    data = read_json(Path(args.file)) if args.file else None
    chosen = any(getattr(args, k) is not None for k in ("preset", "config", "rules", "mutant"))
    if records_config(data) and not chosen:  # replayed on the model the file was checked on
        cfg, table = recorded_config(data, args.file)
    else:
        cfg, table = config_from(args)
    session = Session(cfg, table, mutant=args.mutant)  # a recorded mutant: as the configuration's name says
    if args.counterexample:
        session.open_counterexample(args.counterexample)
    elif args.file:
        session.open_file(args.file, args.property, data)
    server = make_server(session, args.port, lang)
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/"
    start = f"{url}#run={','.join(map(str, session.start))}&lang={lang}" if session.start else url
    _ = translator(lang)
    try:  # a Ctrl-C from the moment the address is printed stops it the same way
        print("tcpcheck explore: " + _("configuration '{config}', rules {rules}").format(
            config=config_name(cfg.name, lang), rules=session.table.name))
        if session.start_what is not None:
            print("  " + _("opening at {what} ({n} steps)").format(what=session.opening(lang), n=len(session.start)))
        print("  " + _("serving {url}  (Ctrl-C to stop)").format(url=start), flush=True)
        if args.open:
            webbrowser.open(start)
        server.serve_forever()
    except KeyboardInterrupt:
        print("tcpcheck explore: " + _("stopped"), file=sys.stderr)
    finally:
        server.server_close()
    return 0
