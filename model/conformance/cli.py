"""``tcpcheck conform``: check real TCP traces against a rule table.

    tcpcheck conform FILE [--rules FILE] [--vantage a|b|path] [--states FILE] [--json] [--lang en|zh]

Plugged into the main command line through the ``tcpcheck.commands`` entry
point.  Exit codes: 0 every connection conforms; 1 a connection deviates; 2
bad input (a capture or trace that cannot be read, a bad rule table); 3
internal error; 4 no connection deviates but one is incomplete.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from ..errors import InputError
from ..i18n import N_, add_lang_option, language
from ..table import REFERENCE, RuleTable, load_table
from .capture_files import read_trace
from .follow import EXTRA_LOSSES, IN_FLIGHT, MSL, follow_all
from .report import VANTAGE_TEXT, exit_code, json_report, text_report
from .trace import VANTAGES, TraceError, read_states, split

__all__ = ["register", "check_file", "choose_vantage"]

EPILOG = """\
FILE is a pcap or pcapng capture (Ethernet, Linux cooked SLL/SLL2, loopback or raw IP;
IPv4 and IPv6) or a JSON trace ({"format": "tcpcheck-trace", "segments": [...]}).
Each TCP connection in it (by 4-tuple and SYN) is followed on its own through the rule
table: for each segment, the row that explains it, the event (an arrival, or a user
call or timeout inferred from the trace) and both endpoints' possible states after it.

FILE may also be a packetdrill script (.pkt) or a directory of them: the script's local
endpoint is the model's; its < lines arrive, its system calls are the user calls (listen:
passive OPEN, connect: active OPEN, write: SEND, shutdown(SHUT_WR)/close: CLOSE, close after
SO_LINGER 0: ABORT), its > lines must be what the model sends and tcpi_state assertions (and
FreeBSD's sockstat | grep -c STATE idiom) are state checks.  Verdicts: passes, fails at line
N (with the model's answer), or nothing checked; lines outside the model (timing, options,
windows, shell commands) are listed as skipped, never counted as passes.  getsockopt(SO_ERROR)
values are checks; 2MSL and user timeouts are inferred from the script's times; a write larger
than the MSS is sent as several segments.  --states, --vantage, --in-flight and --extra-losses
are for captures and JSON traces, --define for scripts: given with the other, they are refused.

verdicts:
  conforms      every segment is explained by a row of the table
  deviates      at segment N the sender did what no row allows there; the report
                names the rows that could have fired and what they would have sent
  incomplete    the capture starts or ends in the middle of the connection, or a
                packet is cut short by its snapshot length

vantage (--vantage): where the capture was taken decides what a missing or repeated
segment means.  a/b: at that endpoint (segments arriving there were received before it
sent anything after them); path (the default, unless a JSON trace says): anything seen
may still be lost before its receiver.

bounds: a segment seen arrives, or is lost, before its receiver has sent N segments
seen after it (--in-flight N, default {in_flight}), and within an MSL ({msl:g} s, RFC 9293
3.4.1); after each segment, explanations assuming more than K unseen losses beyond the
fewest are dropped (--extra-losses K, default {extra}).  Without them, a long run of
segments one side never had to receive (the ACKs of a bulk transfer) would keep every
order of arrival open.  The report prints the bounds it used.  No user timeout is inferred
sooner than R2 = 100 s into a connection (RFC 9293 3.8.3: "at least 100 seconds").

a reset that no row of its sender sends, and that its receiver must ignore (out of the
window; in SYN-SENT without an acceptable ACK), is followed as a stray one (spoofed, or
from an older connection on the same ports): it arrives and is ignored, never a reset.

recorded states (--states FILE): what the endpoints' own stacks said (ss, a log) after
some packets, as JSON in the format of tests/captures/*.json:
  {"A": "10.0.0.1:40000", "B": "10.0.0.2:80",       (which connection; optional with one)
   "checkpoints": [{"after": 3, "A": "ESTABLISHED", "B": "ESTABLISHED", "note": "..."},
                   {"after": 9, "A": "TIME-WAIT", "B": "CLOSED"}]}
"after" is a packet number (from 1, as Wireshark counts); a state may be left out.  The
states are taken as recorded with the network quiet (each segment sent before has arrived
or been lost): the explanations that disagree are dropped, and a recorded state no
explanation has makes the connection deviate at that packet.

examples:
  tcpcheck conform capture.pcap
  tcpcheck conform capture.pcapng --vantage a --json > result.json
  tcpcheck conform trace.json --rules my.rules --lang zh
  tcpcheck conform capture.pcap --in-flight 16        (a path with many segments crossing)
  tcpcheck conform capture.pcap --states ss.json      (compare the states ss recorded)
  tcpcheck conform handshake.pkt                      (a packetdrill script)
  tcpcheck conform tcp-testsuite/state-event-engine --matrix   (FreeBSD's 11 x 8 table)
  python -m tcpcheck.model.conformance.make_captures OUTDIR   (real Linux captures, as root)

exit codes:
  0    every connection conforms
  1    a connection deviates
  2    bad input (a capture or trace that cannot be read, a bad rule table, an option)
  3    internal error
  4    no connection deviates, but one is incomplete
       (packetdrill: 0 every script passes, 1 one fails, 2 one cannot be read, 4 one checks nothing)"""

EPILOG = EPILOG.replace("{in_flight}", str(IN_FLIGHT)).replace("{extra}", str(EXTRA_LOSSES)).replace(
    "{msl:g}", f"{MSL:g}")


#: The options of a capture or JSON trace (not of packetdrill scripts), and the other way round:
#: given with the other kind of FILE, each is refused rather than silently ignored.
CAPTURE_ONLY = ("states", "vantage", "in_flight", "extra_losses")
SCRIPT_ONLY = ("define",)


def choose_vantage(requested: str | None, trace) -> tuple[str, str]:
    """The vantage point and why it was chosen (English; said with context ``conform``)."""
    if requested is not None:
        return requested, N_("--vantage", "conform")
    if trace.vantage is not None:
        return trace.vantage, N_("the trace says so", "conform")
    return "path", N_("the default: the capture does not say where it was taken, and on the path "
                      "assumes the least", "conform")


def check_file(path, rules=None, vantage=None, in_flight=None, extra_losses=None, states=None):
    """(trace, results, table, vantage, why) of checking the trace at ``path`` against
    ``rules`` (a :class:`~tcpcheck.model.table.RuleTable`, a rule table file, or None for the
    reference table); with ``states`` (a ``--states`` file), its recorded states are compared
    at its checkpoints."""
    table = rules if isinstance(rules, RuleTable) else load_table(rules) if rules else load_table(REFERENCE)
    trace = read_trace(path)
    where, why = choose_vantage(vantage, trace)
    conns = split(trace.segments)
    recorded = recorded_states(read_states(states), trace, conns) if states else {}
    results = follow_all(conns, table, where, trace.checkpoints, in_flight, extra_losses, recorded)
    return trace, results, table, where, why


def recorded_states(states, trace, conns) -> dict:
    """{connection index: checkpoints} of a ``--states`` file (trace.States) for the
    connections of ``trace``: the one its endpoints name (A and B as the file says them),
    or the only one.  A checkpoint outside that connection is bad input (FILE:LINE)."""
    if states.a is not None:
        found = [(k, c) for k, c in enumerate(conns) if {c.a, c.b} == {states.a, states.b}]
        if not found:
            raise TraceError(f"{states.path}:1: no connection between {states.a[0]}:{states.a[1]} and "
                             f"{states.b[0]}:{states.b[1]} in {trace.path}")
    elif len(conns) == 1:
        found = [(0, conns[0])]
    else:
        raise TraceError(f"{states.path}:1: {trace.path} has {len(conns)} connections: name the one the states "
                         f"are of with \"A\" and \"B\" (ADDRESS:PORT)")
    out: dict = {}
    for after, st, line in states.checkpoints:
        where = f"{states.path}:{line}"
        if after > trace.packets:
            raise TraceError(f"{where}: 'after': packet {after} is not in {trace.path} (it has {trace.packets} "
                             f"packets)")
        for k, c in found:
            first, last = c.segments[0].number, c.segments[-1].number
            if first <= after <= last:
                swap = states.a is not None and c.a != states.a
                out.setdefault(k, []).append(
                    (after, {("B" if side == "A" else "A") if swap else side: v for side, v in st.items()}, line))
                break
        else:
            first, last = found[0][1].segments[0].number, found[-1][1].segments[-1].number
            raise TraceError(f"{where}: 'after': packet {after} is outside the connection (packets {first} to "
                             f"{last})")
    return {k: tuple(v) for k, v in out.items()}


def _count(least: int):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not '{text}'") from None
        if n < least:
            raise argparse.ArgumentTypeError(f"expected a whole number from {least}, not {n}")
        return n
    return parse


def cmd_conform(args) -> int:
    from ..profiles import chosen_rules
    from .packetdrill import cmd_packetdrill, is_packetdrill

    scripts = args.matrix or is_packetdrill(args.file)
    unused = [f"--{name.replace('_', '-')}" for name in (CAPTURE_ONLY if scripts else SCRIPT_ONLY)
              if getattr(args, name) is not None]
    if unused:
        what = ("--matrix runs a directory of packetdrill scripts" if args.matrix else
                f"{args.file} is a packetdrill script" if str(args.file).endswith(".pkt") else
                f"{args.file} is a directory of packetdrill scripts") if scripts else \
            f"{args.file} is a capture or JSON trace"
        kind = "a capture or JSON trace" if scripts else "packetdrill scripts"
        raise InputError(f"{' and '.join(unused)}: for {kind} only; {what}, which "
                         f"{'it' if len(unused) == 1 else 'they'} would not change")
    if scripts:
        return cmd_packetdrill(args)

    trace, results, table, where, why = check_file(args.file, chosen_rules(args), args.vantage, args.in_flight,
                                                   args.extra_losses, args.states)
    if args.json:
        json.dump(json_report(trace, results, table, where, why), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        lang = language(args.lang)
        if lang != "en":
            from ..i18n import translator
            why = translator(lang)(why, context="conform")
        print("\n".join(text_report(trace, results, table, where, why, lang)))
    return exit_code(results)


def register(sub) -> None:
    c = sub.add_parser(
        "conform", help="check real TCP captures (pcap, pcapng) or JSON traces against the rule table",
        description=textwrap.fill("Follow each TCP connection of a capture through the rule table: the row that "
                    "explains each segment, the event that triggered it, both endpoints' states, and "
                    "where a stack did something no row allows.", 78),
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG)
    c.add_argument("file", metavar="FILE", help="a pcap or pcapng capture, or a JSON trace")
    from ..profiles import add_profile_option

    table_src = c.add_mutually_exclusive_group()
    table_src.add_argument("--rules", metavar="FILE",
                           help=f"a rule table to check against instead of the reference one ({REFERENCE.name})")
    add_profile_option(table_src)
    c.add_argument("--vantage", choices=VANTAGES, default=None,
                   help="where the capture was taken: " + "; ".join(f"{k}: {v}" for k, v in VANTAGE_TEXT.items())
                        .replace("%", "%%"))
    c.add_argument("--in-flight", metavar="N", type=_count(1), default=None,
                   help=f"a segment seen arrives, or is lost, before its receiver has sent N segments seen "
                        f"after it (default {IN_FLIGHT}; 1 means it arrived before its receiver sent anything "
                        f"seen after it); larger lets more segments cross on the path, and is slower")
    c.add_argument("--extra-losses", metavar="K", type=_count(0), default=None,
                   help=f"keep, after each segment, only the explanations that assume at most K unseen "
                        f"losses more than the fewest (default {EXTRA_LOSSES})")
    c.add_argument("--states", metavar="FILE",
                   help="states recorded during the capture (JSON: {\"checkpoints\": [{\"after\": PACKET, \"A\": "
                        "STATE, \"B\": STATE}]}, the format of tests/captures/*.json), each taken with the network "
                        "quiet: one the trace does not allow there makes the connection deviate")
    c.add_argument("--json", action="store_true", help="print one JSON object (kind conform; packetdrill for scripts)")
    c.add_argument("--define", metavar="NAME", action="append",
                   help="packetdrill scripts: keep the lines of #ifdef NAME (repeat for more names)")
    c.add_argument("--matrix", action="store_true",
                   help="FILE is FreeBSD tcp-testsuite's state-event-engine directory: print the table of "
                        "agreement, states x kinds of arriving segment (defines FreeBSD unless --define)")
    add_lang_option(c)
    c.set_defaults(func=cmd_conform)
