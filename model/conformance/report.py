"""What ``tcpcheck conform`` prints: one line per connection, a total, and a
numbered segment table per connection; or one JSON object (``--json``, kind
``conform``, segments in interface.segment_json's shape plus the real fields).

English is the message; Chinese comes through model/i18n.py.  State names,
segment notation, event and rule names stay as the RFC and the table write
them (events are said through their ``event`` context).
"""

from __future__ import annotations

import wcwidth

from ..i18n import N_, translator
from ..interface import segment_json, stamp
from ..report import pad
from ..table import RuleTable
from ..tcb import describe_segment
from .follow import EXTRA_LOSSES, IN_FLIGHT, MSL, SIDES, Result
from .trace import FLAG_NAMES, Trace, rel, relative, to_segment

__all__ = ["text_report", "json_report", "VANTAGE_TEXT", "VERDICTS", "BOUNDS_TEXT", "exit_code", "say_reason", "verdict"]

#: What each vantage point means, as the report says it.
VANTAGE_TEXT = {
    "a": N_("at A: A's segments are seen as they leave it (one may still be lost before B), "
            "B's as they arrive at A", "conform"),
    "b": N_("at B: B's segments are seen as they leave it (one may still be lost before A), "
            "A's as they arrive at B", "conform"),
    "path": N_("on the path: a segment seen may still be lost before its receiver, and segments "
               "crossing each other may arrive in either order", "conform"),
}

#: The verdicts, as the report says them (context ``conform``).
VERDICTS = (N_("conforms", "conform"), N_("deviates", "conform"), N_("incomplete", "conform"))

#: How the report says the bounds a connection was followed with (``--in-flight``,
#: ``--extra-losses``, the MSL).
BOUNDS_TEXT = N_("bounds: a segment seen arrives or is lost before its receiver has sent {n} segments "
                 "seen after it (--in-flight) and within an MSL ({msl:g} s, RFC 9293 3.4.1); "
                 "explanations assuming more than {k} losses beyond the fewest are dropped (--extra-losses)")


def say_reason(reason, _) -> str:
    """A :class:`~.follow.Reason` in the language of ``_``."""
    return _(reason.template).format(**reason.values)


def exit_code(results) -> int:
    """0 every connection conforms, 1 one deviates, 4 none deviates but one is incomplete."""
    verdicts = {r.verdict for r in results}
    return 1 if "deviates" in verdicts else 4 if "incomplete" in verdicts else 0


def _flags(o) -> str:
    return ",".join(f for f in FLAG_NAMES if f in o.flags) or "-"


def _options(o) -> str:
    return " ".join(k if v is True else f"{k}={v}" for k, v in o.options)


def _where(table: RuleTable, ids) -> str:
    return ", ".join(table.rules[i].where.rsplit(":", 1)[-1] for i in ids)


def verdict(r: Result, _) -> str:
    """A connection's verdict as the report says it, in the language of ``_``: at the segment no
    row allows, or after the first checkpoint whose recorded state the trace does not allow."""
    if r.verdict == "deviates":
        d = r.deviation
        if d is not None and d.index == r.deviates_at:
            return _("deviates at segment {n} (packet {packet})").format(
                n=d.index + 1, packet=r.conn.segments[d.index].number)
        m = min(r.mismatches, key=lambda m: (m.index, m.after))
        return _("deviates after segment {n} (packet {packet}): a state recorded there is not one the trace "
                 "allows").format(n=m.index + 1, packet=m.after)
    return _(r.verdict, context="conform")


def _sent(row, table, _) -> str:
    parts = []
    for how, rules, cause in row.explained:
        if how in ("reply", "late ACK"):
            what = _("reply to #{n}").format(n=cause + 1) if how == "reply" else _("late ACK for #{n}").format(n=cause + 1)
        elif how == "before the capture":
            what = _("owed for a segment before the capture")
        elif how == "window update":
            what = _("window update (outside the model)")
        elif how == "stray":
            what = _("stray reset (no row of {side} sends it)").format(side=row.who)
        else:
            what = _("{event} (inferred)").format(event=_(how, context="event"))
        parts.append(f"{what} [{_where(table, rules)}]" if rules else what)
    return _("; ", context="phrase").join(dict.fromkeys(parts)) or "-"


def _received(row, table, _) -> str:
    parts = list(dict.fromkeys(f"{_('; ', context='phrase').join(_(e, context='event') for e in events.split('; '))} "
                               f"[{_where(table, rules)}]" for events, rules, _state in row.received))
    if row.lost:
        parts.append(_("lost"))
    return " | ".join(parts) or "-"


def _states(row, side: str, _) -> str:
    if row.who == side:
        states = row.sender_states
    else:
        states = tuple(sorted({s for _e, _r, s in row.received}))
        if row.lost and row.arrived:
            states += ("(" + _("or lost") + ")",)
    return " / ".join(states) or "?"


def text_report(trace: Trace, results: list[Result], table: RuleTable, vantage: str, why: str,
                lang: str = "en") -> list[str]:
    """The lines ``tcpcheck conform`` prints."""
    _ = translator(lang)
    out = [_("{file}: {n} TCP segments in {packets} packets ({link}); rules: {rules}").format(
        file=trace.path, n=len(trace.segments), packets=trace.packets, link=trace.link, rules=table.name)]
    for note in trace.skipped:
        out.append("  " + note)
    out.append(_("vantage: {where} ({why})").format(where=_(VANTAGE_TEXT[vantage], context="conform"), why=why))
    if results:
        n, k = results[0].bounds
        out.append(_(BOUNDS_TEXT).format(n=n, msl=MSL, k=k))
    out.append("")
    for i, r in enumerate(results, 1):
        out.append(_("connection {i}: {name}: {verdict} ({n} segments)").format(
            i=i, name=r.conn.name(), verdict=verdict(r, _), n=len(r.conn.segments)))
    if len(results) > 1:
        counts = {v: sum(r.verdict == v for r in results) for v in ("conforms", "deviates", "incomplete")}
        out.append(_("total: {n} connections: {ok} conform, {bad} deviate, {inc} incomplete").format(
            n=len(results), ok=counts["conforms"], bad=counts["deviates"], inc=counts["incomplete"]))
    for i, r in enumerate(results, 1):
        out.append("")
        out.extend(_connection(i, r, table, _))
    out.append("")
    out.append(_("Parsed and shown, not checked: TCP options, the urgent pointer, PSH/ECE/CWR, window "
                 "sizes (beyond whether a segment is in the window), checksums."))
    return out


def _connection(i: int, r: Result, table: RuleTable, _) -> list[str]:
    conn = r.conn
    base = relative(conn)
    t0 = conn.segments[0].time
    out = [_("connection {i}: {name} (A = {a}, B = {b}): {verdict}").format(
        i=i, name=conn.name(), a=conn.name().split(" -> ")[0], b=conn.name().split(" -> ")[1],
        verdict=verdict(r, _))]
    for reason in r.reasons:
        out.append("  " + _("incomplete: {reason}").format(reason=say_reason(reason, _)))
    for note in r.notes:
        out.append("  " + say_reason(note, _))
    head = ["#", _("pkt"), _("time"), _("dir"), _("flags"), _("seq rel (abs)"), _("ack rel (abs)"), _("len"),
            _("win"), _("sent as [rule line]"), _("received as [rule line]"), "A", "B"]
    rows = []
    for row in r.rows:
        o = row.obs
        peer = "B" if row.who == "A" else "A"
        ack = f"{rel(o.ack, base.get(peer))} ({o.ack})" if o.ACK else "-"
        rows.append([str(row.index + 1), str(o.number), f"{o.time - t0:.6f}", f"{row.who}->{peer}", _flags(o),
                     f"{rel(o.seq, base.get(row.who))} ({o.seq})", ack, str(o.len), str(o.window),
                     _sent(row, table, _), _received(row, table, _), _states(row, "A", _), _states(row, "B", _)])
    widths = [max(wcwidth.width(x[k]) for x in [head] + rows) for k in range(len(head))]
    out.append("  " + "  ".join(pad(h, w) for h, w in zip(head, widths)).rstrip())
    for row, cells in zip(r.rows, rows):
        out.append("  " + "  ".join(pad(c, w) for c, w in zip(cells, widths)).rstrip())
        extra = _options(row.obs)
        if row.obs.urgent and "URG" in row.obs.flags:
            extra = (extra + " " if extra else "") + f"urg={row.obs.urgent}"
        if extra:
            out.append("  " + " " * (widths[0] + 2) + _("options: {opts}").format(opts=extra))
        if r.deviation is not None and r.deviation.index == row.index:
            out.extend(_deviation(r, table, _))
            break
    for row in r.rows:
        if any(how == "stray" for how, _r, _c in row.explained):
            out.append("  " + _("#{n} is a reset no row of {side} sends (spoofed, or from an older connection on "
                                "these ports): followed as its receiver must take it, ignored").format(
                n=row.index + 1, side=row.who))
    if r.inferred:
        out.append("  " + _("inferred (not seen in the trace): {events}").format(events=_("; ", context="phrase").join(
            _("{side} {event} before #{n}").format(side=side, event=_(ev, context="event"), n=n + 1)
            for side, ev, n in r.inferred)))
    if r.final:
        out.append("  " + _("at the end: {states}").format(states=_(", ", context="phrase").join(
            f"{side} {' / '.join(r.final[side])}" for side in SIDES)))
    for m in r.mismatches:
        out.append("  " + _("recorded after packet {packet} ({time:.6f} s): {side} {recorded}; the trace allows "
                            "{side} only {states} there").format(
            packet=m.after, time=conn.segments[m.index].time - t0, side=m.side, recorded=m.recorded,
            states=" / ".join(m.inferred) or "?"))
    for after, states in r.checkpoints:
        out.append("  " + _("after packet {n}, with the network quiet (every segment sent arrived or lost): "
                            "{states}").format(
            n=after, states=_(", ", context="phrase").join(f"{side} {' / '.join(states[side]) or '?'}" for side in SIDES)))
    return out


def _deviation(r: Result, table: RuleTable, _) -> list[str]:
    d = r.deviation
    o = r.conn.segments[d.index]
    out = ["  " + _("deviation: {side} sent {segment}, which no row of the table allows in {side}'s "
                    "state there ({states})").format(side=d.who, segment=describe_segment(to_segment(o)),
                                                     states=" / ".join(d.states))]
    out.append("  " + _("what the table allows {side} to send there:").format(side=d.who))
    for what, seg, rules in d.allowed:
        # a row written for several states is a rule per state: its line is named once
        srcs = _("; ", context="phrase").join(dict.fromkeys(
            f"{table.rules[i].where}, RFC 9293 {table.rules[i].source}" for i in rules))
        label = _("reply", context="conform") if what == "reply" else _(what, context="event")
        segment = _("nothing") if seg == "nothing" else seg
        # an ACK owed from before the capture was started has no row to name
        out.append("    " + (_("{what}: {segment}  ({sources})", context="conform").format(
            what=label, segment=segment, sources=srcs) if srcs else
                           _("{what}: {segment}", context="conform").format(what=label, segment=segment)))
    if not d.allowed:
        out.append("    " + _("nothing"))
    for row in r.rows[:d.index]:
        if any(how == "stray" for how, _r, _c in row.explained) and row.received:
            events, rules, _state = row.received[0]
            out.append("  " + _("{side} ignored the reset #{n} before it, as the table says ({event} [{where}], "
                                "RFC 9293 {source}): it was not reset there").format(
                side="B" if row.who == "A" else "A", n=row.index + 1, event=_(events, context="event"),
                where=table.rules[rules[0]].where, source=table.rules[rules[0]].source))
    out.append("  " + _("the segments after it are not followed"))
    return out


def _row_json(row, conn, base, table) -> dict:
    o = row.obs
    peer = "B" if row.who == "A" else "A"
    return {
        "number": row.index + 1, "packet": o.number, "time": o.time, "from": row.who,
        "flags": [f for f in FLAG_NAMES if f in o.flags], "segment": segment_json(to_segment(o)),
        "seq_relative": rel(o.seq, base.get(row.who)), "ack_relative": rel(o.ack, base.get(peer)) if o.ACK else None,
        "len": o.len, "window": o.window, "urgent": o.urgent, "options": {k: v for k, v in o.options},
        "cut": o.cut,
        "sent": [{"how": how, "cause": None if cause is None else cause + 1,
                  "rules": [_rule_json(table, i) for i in rules]} for how, rules, cause in row.explained],
        "received": [{"events": events.split("; "), "rules": [_rule_json(table, i) for i in rules], "state": st}
                     for events, rules, st in row.received],
        "lost": row.lost,
        "states": {side: list(row.sender_states) if row.who == side else
                   sorted({s for _e, _r, s in row.received}) for side in SIDES},
    }


def _rule_json(table: RuleTable, i: int) -> dict:
    r = table.rules[i]
    return {"rule": r.describe(), "where": r.where, "source": r.source}


def json_report(trace: Trace, results: list[Result], table: RuleTable, vantage: str, why: str) -> dict:
    """The ``--json`` object (kind ``conform``)."""
    conns = []
    for r in results:
        base = relative(r.conn)
        d = r.deviation
        conns.append({
            "A": r.conn.name().split(" -> ")[0], "B": r.conn.name().split(" -> ")[1],
            "verdict": r.verdict, "reasons": [str(x) for x in r.reasons], "assumed": [str(x) for x in r.notes],
            "deviation": None if d is None else {
                "number": d.index + 1, "packet": r.conn.segments[d.index].number, "from": d.who,
                "segment": segment_json(to_segment(r.conn.segments[d.index])), "states": list(d.states),
                "allowed": [{"what": what, "sends": seg, "rules": [_rule_json(table, i) for i in rules]}
                            for what, seg, rules in d.allowed]},
            "segments": [_row_json(row, r.conn, base, table) for row in r.rows],
            "inferred": [{"endpoint": side, "event": ev, "before": n + 1} for side, ev, n in r.inferred],
            "final": {k: list(v) for k, v in r.final.items()},
            "checkpoints": [{"after_packet": after, "states": {k: list(v) for k, v in st.items()}}
                            for after, st in r.checkpoints],
            "mismatches": [{"after_packet": m.after, "number": m.index + 1, "endpoint": m.side,
                            "time": r.conn.segments[m.index].time, "recorded": m.recorded,
                            "allowed": list(m.inferred)} for m in r.mismatches],
        })
    counts = {v: sum(r.verdict == v for r in results) for v in ("conforms", "deviates", "incomplete")}
    return stamp("conform", {
        "file": trace.path, "link": trace.link, "packets": trace.packets, "segments": len(trace.segments),
        "skipped": list(trace.skipped), "rules": table.name, "vantage": vantage, "vantage_reason": why,
        "bounds": {"in_flight": results[0].bounds[0] if results else IN_FLIGHT,
                   "extra_losses": results[0].bounds[1] if results else EXTRA_LOSSES, "msl": MSL},
        "connections": conns, "total": {"connections": len(results), **counts},
        "not_checked": ["options", "urgent pointer", "PSH, ECE, CWR", "window sizes beyond acceptability",
                        "checksums"],
    })
