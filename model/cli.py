"""The ``tcpcheck`` command line.

    tcpcheck check [--preset NAME | --config FILE] [--rules FILE] [--mutant NAME] [--json]
                   [--max-states N] [--max-memory SIZE] [--max-seconds S] [-q | -v]
    tcpcheck presets
    tcpcheck mutants
    tcpcheck bench [--preset NAME] [--capacities 1,2,3] [--json]

Other packages add subcommands through the entry-point group
``tcpcheck.commands``: each entry point is a function ``register(subparsers)``
that adds its parser and sets ``func``.  That is how proofs/ and diagrams/
plug in without model/ importing them.

Exit codes: 0 every property holds; 1 a property is violated; 2 usage error
or bad input; 3 internal error; 4 no violation found but some property is
unknown (a budget ran out: --max-states, --max-memory, --max-seconds);
130 interrupted (Ctrl-C; check prints what it found so far).
A closed pipe on stdout (``tcpcheck check | head -1``) keeps the command's
own exit code.

Every parser, the subcommands' too, is a ``_Parser``: no option-prefix
matching (``--max`` is not ``--max-states``), and an unknown option is
reported with the usage of the subcommand it was given to.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import textwrap
import time
import traceback
from importlib.metadata import PackageNotFoundError, entry_points, version

from .config import PRESETS, load_config
from .config import preset as _preset
from .engines import CHECK_ENGINES, DEFAULT, ENGINES
from .engines import help_text as engines_help
from .errors import InputError, closest
from .i18n import add_lang_option, language
from .mutants import MUTANTS, apply_mutant, mutant_config
from .mutants import mutant as _mutant
from .profiles import add_profile_option, chosen_rules
from .profiles import help_text as profiles_help
from .table import REFERENCE, load_table

__all__ = ["main", "config_from", "positive", "size", "seconds"]

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_INTERNAL, EXIT_UNKNOWN = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130

#: the highest channel capacity ``bench --capacities`` accepts (the model's own limit, as in a
#: configuration file); every preset explores in seconds at it, as the number of segments in
#: flight is bounded by the endpoints, not by the channel
MAX_CAPACITY = 8

CHECK_BUDGETS_TEXT = (
    textwrap.fill("budgets: --max-states N bounds the search; --max-memory SIZE (default 75% of the "
                  "machine's memory) and --max-seconds S (default none) bound the whole run. When one "
                  "runs out, or on Ctrl-C, the run stops where it is and prints what it found: a "
                  "violation found is genuine (its counterexample is a run of the model), a property "
                  "not decided is unknown.", 78) + "\n\n"
    "exit codes:\n"
    "  0    every property holds\n"
    "  1    a property is violated (also when a budget stopped the run after it was\n"
    "       found)\n"
    "  2    bad input (an option, a configuration or rule file)\n"
    "  3    internal error\n"
    "  4    incomplete: no violation found, but a budget stopped the run and some\n"
    "       property is unknown\n"
    "  130  interrupted (Ctrl-C): the summary printed is what was found so far")


def _default_memory() -> int | None:
    from .checker import default_max_memory
    return default_max_memory()


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser without option-prefix matching.  add_subparsers
    makes its subparsers of the parser's own class, so this reaches every
    subcommand, those entry points register and nested ones included."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def _check_value(self, action, value):
        """A value outside an option's choices (or an unknown subcommand) gets a
        "did you mean" beside the list, as every other name does."""
        if action.choices is not None and value not in action.choices:
            hint = closest(value, [str(c) for c in action.choices])
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r}" + (f"; did you mean {hint!r}?" if hint else "")
                + f" (choose from {', '.join(map(repr, action.choices))})")


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at devnull, so that the flush at
    exit neither fails nor prints 'Exception ignored' (the recipe of
    Python's signal module documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (e.g. captured in tests)
        pass


def _version() -> str:
    try:
        return version("tcpcheck")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        n = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not '{text}'") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not '{text}'")
    return n


def _presets_text() -> str:
    return "\n".join(f"  {name:<18} {note}" for name, (note, _) in PRESETS.items())


def _mutants_text() -> str:
    return "\n".join(f"  {name:<18} {m.description}" for name, m in MUTANTS.items())


def _listing(text: str, width: int = 78) -> str:
    """A ``--help`` list of "  name   what it is" lines, each wrapped to ``width``
    columns with its continuation lines under the descriptions' column (the
    narrowest name's padding; a longer name's description follows it)."""
    items = [re.match(r"( *\S+ +)(.*)", line).groups() for line in text.splitlines()]
    column = " " * min(len(name) for name, _ in items)
    return "\n".join("\n".join(textwrap.wrap(what, width, initial_indent=name, subsequent_indent=column,
                                             break_long_words=False, break_on_hyphens=False))
                     for name, what in items)


def config_from(args=None, *, config=None, preset=None, rules=None, mutant=None):
    """The configuration and rule table of a check, chosen as ``tcpcheck check``
    chooses them: ``config`` (a :class:`~.config.Config` or a TOML file) or
    ``preset`` (a name, default ``default``; with a ``mutant`` and neither, the
    mutant's own configuration), ``rules`` (a :class:`~.table.RuleTable` or a
    file; default the configuration's own), then the ``mutant`` (a name) applied.
    ``args`` is a parsed command line whose ``config``, ``preset``, ``rules`` and
    ``mutant`` attributes say the same (a missing one is None).

    >>> cfg, table = config_from(preset="seed")
    >>> cfg.name, table.name
    ('seed', 'rfc9293.rules')
    >>> cfg, table = config_from(mutant="no-time-wait")
    >>> table.name
    'rfc9293.rules, mutant no-time-wait'
    >>> config_from(config=cfg, preset="seed")
    Traceback (most recent call last):
    ...
    tcpcheck.model.errors.InputError: give a config or a preset, not both
    """
    from .config import Config
    from .table import RuleTable

    if args is not None:
        config, preset, rules, mutant = (getattr(args, k, None) for k in ("config", "preset", "rules", "mutant"))
        rules = chosen_rules(args)  # --profile NAME is the shipped table's file (model/profiles.py)
    if config is not None and preset is not None:
        raise InputError("give a config or a preset, not both")
    if mutant is not None:
        _mutant(mutant)  # an unknown name is reported before anything is read
    if config is not None:
        cfg = config if isinstance(config, Config) else load_config(config)
    elif mutant is not None and preset is None:
        cfg = mutant_config(mutant)
    else:
        cfg = _preset(preset or "default")
    if rules is None:
        table = load_table(cfg.rules or REFERENCE)
    else:
        table = rules if isinstance(rules, RuleTable) else load_table(rules)
    if mutant is not None:
        cfg, table = apply_mutant(mutant, cfg, table)
    return cfg, table



def size(text: str) -> int:
    """An argparse type: a memory size such as 512M, 4G or 1.5GiB (K, M, G and T
    are powers of 1024, with or without B or iB); ``none`` is 0, no budget."""
    if text.strip().lower() == "none":
        return 0
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT])(?:i?B)?\s*", text, re.IGNORECASE)
    if m is None or float(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a size like 512M, 4G or 1.5GiB, or none, not '{text}'")
    return int(float(m.group(1)) * 1024 ** ("KMGT".index(m.group(2).upper()) + 1))


def seconds(text: str) -> float:
    """An argparse type: a number of seconds greater than 0."""
    try:
        s = float(text)
    except ValueError:
        s = float("nan")
    if not 0 < s < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds greater than 0, not '{text}'")
    return s


def _mib(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 2 ** 20:,.0f} MiB"


class _Progress:
    """A one-line progress display on stderr (shown only when it is a terminal):
    the search, then the properties one at a time, each with the time so far."""

    def __init__(self, started: float):
        self.started, self.shown = started, False

    def _show(self, text: str) -> None:
        width = max(shutil.get_terminal_size((100, 24)).columns - 1, 20)
        self.shown = True  # before writing: a Ctrl-C that stops the write still has the line erased
        sys.stderr.write("\r" + text[:width] + "\x1b[K")
        sys.stderr.flush()

    def __call__(self, x):
        rate = x.expanded / x.seconds if x.seconds else 0
        self._show(f"  search: {len(x.states):,} states found, {x.expanded:,} expanded, "
                   f"depth {x.depth[x.expanded - 1]}, {rate:,.0f} states/s, "
                   f"{time.perf_counter() - self.started:.1f} s")

    def property(self, i: int, total: int, prop, seconds: float) -> None:
        elapsed = time.perf_counter() - self.started
        if prop is None:
            what = "reading the states" if i == 0 else "done"
            self._show(f"  properties: {what}, {elapsed:.1f} s")
        else:
            self._show(f"  properties: {i + 1}/{total} {prop.kind}: {prop.name}, {seconds:.1f} s "
                       f"({elapsed:.1f} s in all)")

    def clear(self):
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def cmd_check(args) -> int:
    from .checker import default_max_memory, run
    from .report import check_note, exit_code, result_json, summary_lines

    started = time.perf_counter()
    cfg, table = config_from(args)
    if args.engine in CHECK_ENGINES:  # SPIN (model/spin.py) runs the whole check itself
        from .spin import cmd_check as spin_check
        return spin_check(args, cfg, table)
    if args.spin_cores != 1 or args.bitstate:
        raise InputError("--spin-cores and --bitstate are options of --engine spin")
    max_memory = default_max_memory() if args.max_memory is None else (args.max_memory or None)
    progress = _Progress(started) if sys.stderr.isatty() and not args.quiet else None
    try:
        result = run(cfg, table, max_states=args.max_states, progress=progress, started=started,
                     max_seconds=args.max_seconds, max_memory=max_memory, interruptible=True,
                     stop_at_first=args.stop_at_first, engine=args.engine)
    finally:
        if progress is not None:
            progress.clear()
    try:
        if args.json:
            json.dump(result_json(result), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            lang = language(args.lang)
            verbosity = -1 if args.quiet else 1 if args.verbose else 0
            print("\n".join(summary_lines(result, check_note(cfg, args.mutant, lang), verbosity=verbosity,
                                           lang=lang)))
        sys.stdout.flush()  # a closed pipe is found here, while the result is known
    except BrokenPipeError:
        _quiet_stdout()
    if result.stopped == "interrupted":
        print("tcpcheck: interrupted; the summary above is what was found so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_code(result)


def cmd_presets(args) -> int:
    from .report import presets_lines

    print("\n".join(presets_lines(language(args.lang))))
    return EXIT_OK


def cmd_mutants(args) -> int:
    from .report import mutants_lines

    print("\n".join(mutants_lines(language(args.lang))))
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import bench, bench_check

    if args.cores is not None and args.vs is None:
        raise InputError("--cores is an option of bench --vs spin")
    if args.scale:  # each engine over growing configurations, under a budget
        from .scale_bench import bench_scale
        return bench_scale(args.engine, args.max_seconds, args.max_memory, as_json=args.json,
                           no_edges=args.no_edges, check=args.check)
    if args.vs is not None:  # tcpcheck's search beside SPIN's (model/spin.py)
        from .spin import bench as bench_spin
        names = args.configs or ([args.preset] if args.preset else None)
        return bench_spin(names, engine=(args.engine or [DEFAULT])[-1], as_json=args.json, cores=args.cores or 1)
    if args.check:  # the scale series, or the one preset named
        return bench_check(as_json=args.json, configs=[_preset(args.preset)] if args.preset else None,
                           engines=args.engine)
    return bench(_preset(args.preset or "default"), args.capacities, as_json=args.json)


def _capacities(text: str) -> list[int]:
    try:
        caps = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected capacities like 1,2,3, not '{text}'") from None
    if not caps or any(not 1 <= c <= MAX_CAPACITY for c in caps):
        raise argparse.ArgumentTypeError(f"each capacity must be from 1 to {MAX_CAPACITY}, not '{text}'")
    return caps


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="tcpcheck",
        description="A formal model of TCP connection management (RFC 9293) and an exhaustive "
                    "checker: two endpoints and an unreliable network, every reachable state "
                    "explored, properties verified, shortest counterexamples printed.",
        epilog="Start with 'tcpcheck check' (the built-in default model), then "
               "'tcpcheck check --preset seed' for the seed note's exchange. "
               "Exit codes: 0 all properties hold, 1 one is violated, 2 bad input, "
               "3 internal error, 4 unknown (a budget of the run ran out: --max-states, --max-memory, "
               "--max-seconds), 130 interrupted (Ctrl-C). "
               "Languages: --lang zh (or a Chinese locale) makes every command's output Chinese; "
               "--help texts and error messages stay English in every language, so that they can be "
               "searched for and quoted in bug reports.")
    top.add_argument("--version", action="version", version=f"tcpcheck {_version()}",
                     help="print the version and exit")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    c = sub.add_parser(
        "check", help="explore a configuration exhaustively and check the properties",
        description=textwrap.fill("Explore every reachable state of two TCP endpoints and the network "
                                  "between them, then report which properties hold, with the shortest "
                                  "counterexample of each that does not, and which rules of the table "
                                  "never fire.", 78),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="presets (--preset NAME):\n" + _listing(_presets_text()) + "\n\n"
               "A configuration file is TOML: a preset to start from and overrides, e.g.\n"
               '  preset = "default"\n  [network]\n  capacity = 3\n  duplication = true\n'
               "  [A]\n  iss = 4294967295\n  data = 0\n"
               "Keys: rules or profile, rcv_wnd, iss_step (both endpoints);\n"
               "[network] capacity, loss, duplication, reordering, loss_budget;\n"
               "[timers] time_wait_outlasts_rto, time_wait_waits_for_network;\n"
               "[A] and [B] open, opened, opens, iss, iss_step, data, retransmissions,\n"
               "close_in, abort, foreign_socket.\n\n"
               "mutants (--mutant NAME; 'tcpcheck mutants' shows their configurations):\n"
               + _listing(_mutants_text()) + "\n\n"
               "profiles (--profile NAME, or profile = \"NAME\" in a configuration file):\n"
               + _listing(profiles_help()) + "\n\n"
               + textwrap.fill("engines (--engine NAME; each finds the same states, so the verdicts are the "
                               "same; spin decides the safety properties only, and its counterexamples are "
                               "SPIN's depth-first trails):", 78) + "\n"
               + _listing(engines_help()) + "\n\n"
               "examples:\n  tcpcheck check\n  tcpcheck check --preset seed\n"
               "  tcpcheck check --config my.toml --json > result.json\n"
               "  tcpcheck check --mutant no-time-wait\n"
               "  tcpcheck check --engine spin --mutant fin-no-seq --spin-cores 2\n"
               "  tcpcheck check --profile linux\n"
               "  tcpcheck check --config big.toml --max-memory 4G --max-seconds 600\n"
               "  tcpcheck check -q\n\n" + CHECK_BUDGETS_TEXT)
    src = c.add_mutually_exclusive_group()
    src.add_argument("--preset", metavar="NAME", help="a built-in configuration (default: default)")
    src.add_argument("--config", metavar="FILE", help="a TOML configuration file")
    table_src = c.add_mutually_exclusive_group()
    table_src.add_argument("--rules", metavar="FILE",
                           help=f"a rule table to check instead of the reference one ({REFERENCE.name})")
    add_profile_option(table_src)
    c.add_argument("--mutant", metavar="NAME",
                   help="check a named broken variant of the model instead (in its own configuration "
                        "unless --preset or --config is given)")
    c.add_argument("--json", action="store_true",
                   help="print one JSON object (schema: check.schema.json in tcpcheck/model/schemas) "
                        "instead of the summary")
    c.add_argument("--max-states", type=positive, metavar="N",
                   help="stop the search after N states (the properties are then checked on "
                        "those) and report the run as incomplete (default: no limit)")
    c.add_argument("--max-memory", type=size, metavar="SIZE",
                   help="stop when the process's resident memory reaches SIZE, e.g. 512M, 4G, "
                        "1.5GiB (powers of 1024), or 'none' (default: 75%% of this machine's "
                        f"memory, here {_mib(_default_memory())})")
    c.add_argument("--max-seconds", type=seconds, metavar="S",
                   help="stop when the run has taken S seconds (default: no limit)")
    level = c.add_mutually_exclusive_group()
    level.add_argument("-q", "--quiet", action="store_true",
                       help="print only the verdicts and the result line, and no progress")
    level.add_argument("-v", "--verbose", action="store_true",
                       help="print more detail (each property's time, ...)")
    c.add_argument("--stop-at-first", action="store_true",
                   help="stop the search at the first violated invariant, step property or deadlock, as "
                        "SPIN and TLC can (its counterexample is still a shortest one); the properties "
                        "not yet decided are then unknown")
    c.add_argument("--engine", choices=sorted({**ENGINES, **CHECK_ENGINES}), default=DEFAULT, metavar="NAME",
                   help="the search engine, one of: " + ", ".join(sorted({**ENGINES, **CHECK_ENGINES}))
                        + " (default: %(default)s; listed below)")
    c.add_argument("--spin-cores", type=positive, default=1, metavar="N",
                   help="with --engine spin: SPIN's multi-core search on N cores (pan -DNCORE=N; default 1)")
    c.add_argument("--bitstate", action="store_true",
                   help="with --engine spin: SPIN's bitstate search (pan -DBITSTATE, -w27: 16 MiB of bits): "
                        "far less memory, but states may be missed, so a 'holds' is not a proof")
    add_lang_option(c)
    c.set_defaults(func=cmd_check)

    p = sub.add_parser("presets", help="list the built-in configurations and their settings",
                       epilog="exit codes: 0 listed, 2 bad input")
    add_lang_option(p)
    p.set_defaults(func=cmd_presets)

    m = sub.add_parser("mutants", help="list the named broken variants of the model (--mutant NAME)",
                       epilog="exit codes: 0 listed, 2 bad input")
    add_lang_option(m)
    m.set_defaults(func=cmd_mutants)

    b = sub.add_parser(
        "bench", help="measure exploration speed and memory over a scale series",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Benchmarks, each printing figures and ratios measured in the same run:\n"
                    "  (default)   a preset at several channel capacities, each in a fresh process: states,\n"
                    "              transitions, seconds, states per second and peak memory, beside a bare\n"
                    "              BFS over a synthetic graph of the same shape as the baseline\n"
                    "  --check     the whole check beside the bare search (the time and memory ratios)\n"
                    "  --scale     each engine over growing configurations (the largest it completes\n"
                    "              within the budget, and the growth exponents)\n"
                    "  --vs spin   tcpcheck's search beside SPIN's on the generated Promela",
        epilog="examples:\n"
               "  tcpcheck bench --check --engine bfs --engine packed\n"
               "  tcpcheck bench --scale --check --engine packed --max-memory 20G\n"
               "  tcpcheck bench --vs spin --engine packed                 # one core each\n"
               "  tcpcheck bench --vs spin --engine packed --cores 2 --configs default-dup-cap2\n"
               f"\nCapacities are bounded at {MAX_CAPACITY}, the model's limit: at it every preset explores in\n"
               "seconds (the endpoints, not the channel, bound the segments in flight).\n"
               "exit codes: 0 measured, 1 (--vs spin) SPIN counted other states, 2 bad input,\n"
               "3 internal error, 130 interrupted")
    b.add_argument("--preset", metavar="NAME",
                   help="the preset to scale (default: default); with --check, the one preset to measure")
    b.add_argument("--capacities", type=_capacities, default=[1, 2, 3], metavar="LIST",
                   help=f"channel capacities to run, comma-separated, each from 1 to {MAX_CAPACITY} "
                        "(default: 1,2,3)")
    b.add_argument("--check", action="store_true",
                   help="instead, the whole check beside the bare search on the default configuration and "
                        "two larger ones (435,243 and 871,790 states), each in a fresh process on one core, "
                        "with --engine's search (default bfs; repeat for several), with the time and memory "
                        "ratios (schema: bench-check.schema.json); with --scale, the whole check of each "
                        "configuration of the series too (ENGINE/check rows)")
    b.add_argument("--scale", action="store_true",
                   help="instead, each search engine over growing configurations (28,817 to about 45 million "
                        "states), each run in a fresh process under --max-seconds and --max-memory: the largest "
                        "each completes, and the growth exponents of time and memory against states "
                        "(schema: bench-scale.schema.json)")
    b.add_argument("--engine", action="append", choices=sorted(ENGINES), metavar="NAME",
                   help="with --scale or --check, the engine to run (repeat for several; default: bfs and "
                        "packed with --scale, bfs with --check; with --vs spin, the last one named; "
                        "one of " + ", ".join(sorted(ENGINES)) + ")")
    b.add_argument("--max-seconds", type=seconds, default=600.0, metavar="S",
                   help="with --scale, the seconds one run may take (default: 600)")
    b.add_argument("--max-memory", type=size, default=8 * 2 ** 30, metavar="SIZE",
                   help="with --scale, the resident memory one run may reach, e.g. 8G (default: 8G)")
    b.add_argument("--no-edges", action="store_true",
                   help="with --scale, also run each engine that can without edges (ENGINE/no-edges rows: "
                        "states and parents only, as SPIN's safety run keeps no edges; bench --vs spin compares "
                        "that search always)")
    b.add_argument("--vs", choices=["spin"], metavar="spin",
                   help="instead, tcpcheck's search (the last --engine, default bfs) beside SPIN's on the generated "
                        "Promela (pan -O2 -DNOREDUCE -DSAFETY), on the same configurations (--configs, --preset; "
                        "default the --check series): states (must be equal: exit 1 otherwise), seconds, states/s, "
                        "peak memory, bytes/state, the bytes the search stores per state against SPIN's state "
                        "vector, the time from the rule table to the count, and the ratios, both on --cores "
                        "cores (schema: bench-spin.schema.json); needs spin and gcc")
    b.add_argument("--cores", type=positive, metavar="N",
                   help="with --vs spin, the cores both run on (default 1: one core against one): "
                        "tcpcheck's engine with cores=N (packed; bfs has one thread), pan with -DNCORE=N when N > 1")
    b.add_argument("--configs", type=lambda t: [n for n in t.split(",") if n], metavar="LIST",
                   help="with --vs spin, the configurations, comma-separated: default, default-dup-cap2, "
                        "default-dup-cap2-retx2, bench --scale's series (dup-cap2-data2, ...) or presets")
    b.add_argument("--json", action="store_true",
                   help="print the rows as one JSON object (schema: bench.schema.json in tcpcheck/model/schemas)")
    b.set_defaults(func=cmd_bench)

    for ep in sorted(entry_points(group="tcpcheck.commands"), key=lambda e: e.name):
        ep.load()(sub)
    return top


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """Parse; an unknown argument is reported by the subcommand it was given
    to, with that subcommand's usage, not the top-level one's."""
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra:
        at = top
        for action in top._actions:  # the subcommand chosen, and its nested one if any
            if isinstance(action, argparse._SubParsersAction):
                at = action.choices.get(getattr(args, action.dest, None), top)
                break
        while True:
            inner = next((a for a in at._actions if isinstance(a, argparse._SubParsersAction)), None)
            if inner is None or getattr(args, inner.dest, None) not in inner.choices:
                break
            at = inner.choices[getattr(args, inner.dest)]
        at.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parse(argv)  # inside: a Ctrl-C while the subcommands load is an interrupt too
        return args.func(args)
    except InputError as exc:
        for line in str(exc).splitlines() or [""]:  # every error of a file, each on its own line
            print(f"tcpcheck: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tcpcheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:  # a limit of the process (ulimit -v, a container) below --max-memory's
        print("tcpcheck: out of memory before the run was done: nothing is decided; give a smaller "
              "configuration, or a --max-memory below the memory this process may really use", file=sys.stderr)
        return EXIT_UNKNOWN
    except BrokenPipeError:  # a command that has no result to keep (check and prove keep theirs)
        _quiet_stdout()
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last resort: say so, exit 3
        print(f"tcpcheck: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("TCPCHECK_DEBUG"):
            traceback.print_exc()
        else:
            print("  (set TCPCHECK_DEBUG=1 to see the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
