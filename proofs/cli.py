"""``tcpcheck prove``: run every proof obligation and print one line per obligation.

Plugged into the main command line through the ``tcpcheck.commands`` entry
point, so model/ never imports proofs/.  Exit codes as for ``check``: 0 all
proved, 1 one refuted, 4 none refuted but one unknown, 2 bad input, 3 internal.
"""

from __future__ import annotations

import argparse
import builtins
import json
import multiprocessing
import os
import signal
import sys
import time
import re
import unicodedata

import z3

from tcpcheck.model.i18n import N_, add_lang_option, language, translator
from tcpcheck.model.interface import segment_json, stamp, tcb_json
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.report import config_name
from tcpcheck.model.table import REFERENCE, load_table
from tcpcheck.model.tcb import CLOSED_TCB, TCB, Segment

from .encoding import shapes
from .invariants import ASSUMPTIONS, INVARIANTS
from .liveness import FAIRNESS, connection_ends
from .obligations import PROVED, REFUTED, UNKNOWN, Context, Outcome, classification, invariant

__all__ = ["register", "run_all", "exit_code", "prove_table"]

NOTE = N_("the invariants are proved together, and liveness from them: each step assumes all the invariants, "
          "so one refuted leaves the others and liveness unsettled")


def _obligations() -> list:
    """Every obligation in order: classification, the invariants, liveness."""
    return [classification, *[lambda c, inv=inv: invariant(inv, c) for inv in INVARIANTS], connection_ends]


_CTX: Context | None = None  # what a worker process proves (inherited through fork)


def _prove_one(i: int) -> Outcome:
    return _obligations()[i](_CTX)


def run_all(ctx: Context, on_result=None, jobs: int = 1) -> list[Outcome]:
    """Every obligation, in order, and ``on_result`` sees each outcome in order.

    Each obligation runs in a fresh process forked from this one, ``jobs`` at
    a time: z3's models depend on what its context has seen before, so this
    way the counterexamples do not depend on ``jobs`` or on the order."""
    global _CTX
    n = len(_obligations())
    if "fork" not in multiprocessing.get_all_start_methods():
        return [_seen(_obligations()[i](ctx), on_result) for i in range(n)]
    _CTX = ctx
    try:
        # Ctrl-C is the parent's to handle: it stops the workers
        with multiprocessing.get_context("fork").Pool(min(jobs, n), signal.signal, (signal.SIGINT, signal.SIG_IGN),
                                                      maxtasksperchild=1) as pool:
            return [_seen(o, on_result) for o in pool.imap(_prove_one, range(n))]
    finally:
        _CTX = None


def _seen(o: Outcome, on_result) -> Outcome:
    if on_result is not None:
        on_result(o)
    return o


def exit_code(outcomes: list[Outcome]) -> int:
    if any(o.verdict == REFUTED for o in outcomes):
        return 1
    if any(o.verdict == UNKNOWN for o in outcomes):
        return 4
    return 0


def _tcb_line(d: dict) -> str:
    return "  ".join(f"{k}={v}" for k, v in d.items() if k != "state")


#: What a refuted step can break (proofs/obligations.py broken_after), said in a language.
#: The same for liveness's ranking (proofs/liveness.py _goals), the directions of another segment
#: in flight and the stages of processing an arrival (RFC 9293 3.10.7.4: first the control, then the text).
_PARTS = {p: p for p in (
    N_("X after the step", "proof"), N_("Y, the peer, after X's step", "proof"),
    N_("the segment X sends", "proof"), N_("another segment in flight", "proof"),
    N_("an arrival moves the endpoint back", "proof"),
    N_("the endpoint's own step does not bring it nearer to CLOSED or LISTEN", "proof"),
    N_("the endpoint leaves CLOSED or LISTEN without using up a SYN", "proof"),
    N_("the step adds to the SYNs that can still arrive", "proof"),
    N_("Y to X", "proof"), N_("X to Y", "proof"), N_("control", "proof"), N_("text", "proof"))}


def _broken(text: str, _) -> str:
    """One thing a counterexample breaks, in the language of ``_``: an
    obligation's name, one of :data:`_PARTS`, ``NAME, for PART`` or ``the
    segment X sends (#N)``; anything else as the prover wrote it."""
    if _.lang == "en":
        return text
    if text in _PARTS:
        return _(_PARTS[text], "proof")
    if m := re.fullmatch(r"the segment X sends \(#(\d+)\)", text):
        return _("the segment X sends (#{n})", "proof").format(n=m.group(1))
    if m := re.fullmatch(r"(.+?), for (.+)", text):
        return _("{name}, for {part}", "proof").format(name=_broken(m.group(1), _), part=_broken(m.group(2), _))
    said = _(text, "obligation")
    return said


def _describe(cx: dict, lang: str = "en") -> list[str]:
    """A counterexample as lines a student can check by hand, in ``lang``."""
    _ = translator(lang)
    lines = [_("rule: {rule}", "proof").format(rule=cx["rule"])] if "rule" in cx else []
    if "stage" in cx:
        lines.append(_("in {state}, {stage} stage, RCV.WND={wnd}: {tcb}", "proof").format(
            state=cx["state"], stage=_(_PARTS.get(cx["stage"], cx["stage"]), "proof"), wnd=cx["RCV.WND"], tcb=_tcb_line(cx["tcb"])))
        events = cx["events that apply"]
        lines.append(_("segment {segment} (SEG.LEN={len}) is all of: {events}", "proof").format(
            segment=cx["segment"]["segment"], len=cx["segment"]["SEG.LEN"],
            events=_(", ", "proof").join(_(e, "event") for e in events) if events else _("no event", "proof")))
        return lines
    for who, tcb in cx.get("before", {}).items():
        lines.append(_("before: {who} in {state}  {tcb}", "proof").format(
            who=who, state=tcb["state"], tcb=_tcb_line(tcb)).rstrip())
    if "arriving" in cx:
        lines.append(_("arrives at X: {segment}", "proof").format(segment=cx["arriving"]["segment"]))
    for seg in cx.get("sent", []):
        lines.append(_("X sends: {segment}", "proof").format(segment=seg["segment"]))
    for who, tcb in cx.get("after", {}).items():
        lines.append(_("after:  {who} in {state}  {tcb}", "proof").format(
            who=who, state=tcb["state"], tcb=_tcb_line(tcb)).rstrip())
    if "other" in cx:
        lines.append(_("another segment in flight ({direction}): {segment}", "proof").format(
            direction=_(_PARTS.get(cx["other"]["direction"], cx["other"]["direction"]), "proof"), segment=cx["other"]["segment"]))
    lines.append(_("broken for: {what}", "proof").format(
        what=_("; ", "trace").join(_broken(b, _) for b in cx.get("breaks", []))))
    return lines


#: The verdicts of an obligation.
_VERDICTS = {PROVED: N_("proved", "proof"), REFUTED: N_("refuted", "proof"), UNKNOWN: N_("unknown", "proof")}


def _line(o: Outcome, lang: str = "en") -> list[str]:
    _ = translator(lang)
    verdict = _(_VERDICTS[o.verdict], "proof")
    queries = _.ngettext("({n} query)", "({n} queries)", o.queries, "proof").format(n=o.queries)
    out = [f"  {_pad(verdict, 8)} " + _("{seconds} s", "proof").format(seconds=f"{o.seconds:6.2f}")
           + f"  {o.id:<4} {_(o.name, 'obligation')}  {queries}",
           f"                     {_(o.statement, 'obligation')}"]
    if o.counterexample:
        out += [f"                     {x}" for x in _describe(o.counterexample, lang)]
    if o.reason:
        out.append("                     " + _("z3 could not decide: {reason}", "proof").format(reason=o.reason))
    return out


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` columns of a terminal (a CJK character takes two)."""
    return text + " " * (width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def cmd_prove(args) -> int:
    from tcpcheck.model.profiles import chosen_rules

    args.rules = chosen_rules(args)  # --profile NAME: the shipped table's file
    if args.mutant:
        cfg, table = apply_mutant(args.mutant, mutant_config(args.mutant),
                                  load_table(args.rules) if args.rules else None)
        table = table if table is not None else load_table()
    else:
        table = load_table(args.rules) if args.rules else load_table(REFERENCE)
    ctx = Context(table, timeout=args.timeout)
    if args.bench:
        from .bench import bench
        return bench(run_all, ctx, args.jobs, args.json)
    start = time.perf_counter()
    if args.json:
        outcomes = run_all(ctx, jobs=args.jobs)
        doc = stamp("prove", {"table": table.name, "z3": z3.get_version_string(), "assumptions": list(ASSUMPTIONS),
               "fairness": list(FAIRNESS), "obligations": [_json(o) for o in outcomes]})
        if _invariant_refuted(outcomes):
            doc["note"] = NOTE
        try:
            json.dump(doc, sys.stdout, indent=2)
            sys.stdout.write("\n")
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        return exit_code(outcomes)
    lang = language(args.lang)
    _ = translator(lang)
    say = _Out().print  # every line of the report, stopped quietly by a closed pipe
    say(_("tcpcheck prove: rule table {table} ({rules} rules, {shapes} step shapes), z3 {z3}, at most "
          "{timeout} s per query, {jobs} process(es)", "proof").format(
        table=config_name(table.name, lang), rules=len(table.rules), shapes=len(shapes(table)), z3=z3.get_version_string(),
        timeout=f"{args.timeout:g}", jobs=args.jobs))
    say("  " + _("for every ISS and every 32-bit value, assuming:", "proof"))
    for a in ASSUMPTIONS:
        say(f"    - {_(a, 'assumption')}")
    say("  " + _("and, for liveness, the fairness:", "proof"))
    for f in FAIRNESS:
        say(f"    - {_(f, 'fairness')}")
    say()

    def show(o):
        say("\n".join(_line(o, lang)))
    outcomes = run_all(ctx, show, args.jobs)
    proved = sum(o.verdict == PROVED for o in outcomes)
    say()
    if _invariant_refuted(outcomes):
        say(_("Note: {note}.", "proof").format(note=_(NOTE)))
    say(_("Result: {proved} of {n} obligations proved in {seconds} s.", "proof").format(
        proved=proved, n=len(outcomes), seconds=f"{time.perf_counter() - start:.1f}"))
    return exit_code(outcomes)


class _Out:
    """Prints to stdout, flushing each time, until the pipe is closed; then
    nothing more, so that the proofs finish and the exit code is theirs."""

    def __init__(self):
        self.closed = False

    def print(self, *args):
        if self.closed:
            return
        try:
            builtins.print(*args, flush=True)
        except BrokenPipeError:
            self.closed = True
            _quiet_stdout()


def _quiet_stdout() -> None:
    """Point stdout at devnull, so the flush at exit neither fails nor prints."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def prove_table(table, timeout: float = 10.0, jobs: int = 1, lang: str = "en") -> list[dict]:
    """Every obligation on ``table``, as plain data for callers outside proofs/
    (the grader finds this through the ``tcpcheck.provers`` entry point): each
    ``{"name", "statement", "verdict", "counterexample": [lines] or [],
    "reason"}``, in the order of ``tcpcheck prove``; the counterexample's lines
    in ``lang`` (name and statement stay English: they are keys)."""
    outcomes = run_all(Context(table, timeout=timeout), jobs=jobs)
    return [{"name": o.name, "statement": o.statement, "verdict": o.verdict,
             "counterexample": _describe(o.counterexample, lang) if o.counterexample else [],
             "reason": o.reason or ""} for o in outcomes]


def _invariant_refuted(outcomes: list[Outcome]) -> bool:
    return any(o.verdict == REFUTED for o in outcomes[1:1 + len(INVARIANTS)])


def _json(o: Outcome) -> dict:
    d = {"id": o.id, "name": o.name, "statement": o.statement, "verdict": o.verdict, "seconds": round(o.seconds, 3),
         "queries": o.queries}
    if o.counterexample:
        d["counterexample"] = _counterexample_json(o.counterexample)
    if o.reason:
        d["reason"] = o.reason
    return d


def _segment(d: dict) -> dict:
    """A segment of a counterexample (proofs/obligations.py's seg_dict) in the one JSON shape of a segment."""
    ctl = set(d["control"])
    return segment_json(Segment("SYN" in ctl, "ACK" in ctl, "FIN" in ctl, "RST" in ctl,
                                d["SEG.SEQ"], d["SEG.ACK"], d["SEG.LEN"]))


def _tcb(d: dict) -> dict:
    """A TCB of a counterexample (proofs/obligations.py's tcb_dict; a CLOSED one has no
    variables) in the one JSON shape of a TCB."""
    if d["state"] == "CLOSED":
        return tcb_json(CLOSED_TCB)
    return tcb_json(TCB(d["state"], d["ISS"], d["IRS"], d["SND.UNA"], d["SND.NXT"], d["RCV.NXT"], d["passive"],
                        d["retransmissions left"]))


def _counterexample_json(cx: dict) -> dict:
    """A counterexample for --json: its lines as ``text``, its segments and TCBs in
    the shapes of :mod:`tcpcheck.model.interface`, the rest as z3's values gave it."""
    out = {"text": _describe(cx)}
    for key, value in cx.items():
        if key in ("tcb",):
            value = _tcb(value)
        elif key in ("before", "after"):
            value = {who: _tcb(t) for who, t in value.items()}
        elif key in ("segment", "arriving"):
            value = _segment(value)
        elif key == "sent":
            value = [_segment(seg) for seg in value]
        elif key == "other":
            value = {"direction": value["direction"], "segment": _segment(value)}
        out[key] = value
    return out


# z3 takes whole milliseconds as an unsigned 32-bit number: 1 ms is its smallest limit (the tests
# use it to make every query unknown), and 1e300 s would overflow it
MIN_TIMEOUT, MAX_TIMEOUT = 0.001, 3600.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not '{text}'") from None
    if not MIN_TIMEOUT <= value <= MAX_TIMEOUT:  # also false for nan
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}, not '{text}'")
    return value


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, 1 or more, not '{text}'")
    return int(text)


def register(sub) -> None:
    """Add ``prove`` to the main command line."""
    p = sub.add_parser(
        "prove", help="prove the sequence-number invariants and that every connection ends, with z3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Prove with z3, for every ISS and all 32-bit values, what no bounded run can:\n"
                    "  1. classifying an arriving segment into an RFC event is total and unambiguous;\n"
                    "  2. the sequence-number invariants hold in every reachable state (initiation,\n"
                    "     and one query per step shape of the rule table and invariant);\n"
                    "  3. every connection ends with both endpoints CLOSED or LISTEN, under stated\n"
                    "     fairness (a ranking function, a count of SYNs, invariants of the FINs),\n"
                    "     except an endpoint left in FIN_WAIT_2 by a peer that deleted its TCB.\n"
                    "Each line gives the verdict (proved, refuted, unknown), the time and the\n"
                    "statement; a refuted one prints the rule and the numbers that break it.\n"
                    "Exit codes: 0 all proved, 1 one refuted, 4 one unknown (a solver timeout,\n"
                    "never counted as proved), 2 bad input, 3 internal error, 130 interrupted.",
        epilog="examples:\n  tcpcheck prove\n  tcpcheck prove --mutant fin-no-seq\n"
               "  tcpcheck prove --profile linux\n"
               "  tcpcheck prove --rules my.rules --json\n  tcpcheck prove --bench")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (schema: prove.schema.json in tcpcheck/model/schemas): "
                        "{schema_version, tool, kind, obligations: [{id, name, statement, verdict, seconds, "
                        "counterexample}]}")
    p.add_argument("--timeout", type=_seconds, default=60.0, metavar="SECONDS",
                   help="time limit of each z3 query, from 0.001 to 3600; a query that runs out is 'unknown' "
                        "(default: 60)")
    p.add_argument("--jobs", type=_jobs, default=min(os.cpu_count() or 1, 8), metavar="N",
                   help="processes that share the obligations (default: the number of CPUs, at most 8)")
    p.add_argument("--bench", action="store_true",
                   help="time the proofs one obligation at a time (the baseline), then --jobs at a time, "
                        "and print both, their ratio and the 60 s target")
    from tcpcheck.model.profiles import add_profile_option

    table_src = p.add_mutually_exclusive_group()
    table_src.add_argument("--rules", metavar="FILE", help="prove a rule table of your own instead of RFC 9293's")
    add_profile_option(table_src)
    p.add_argument("--mutant", metavar="NAME", help="prove a named broken variant (see 'tcpcheck mutants')")
    add_lang_option(p)
    p.set_defaults(func=cmd_prove)
