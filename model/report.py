"""What users read: the summary of a check, its JSON form, and traces.

A trace is a numbered exchange of segments: each step says who did what
(a user call, a timeout, the arrival of a segment and the events the RFC
makes of it, a loss or duplication by the network), which segments were
sent, and both endpoints' states before and after.

It formats; it decides nothing.
"""

from __future__ import annotations

import dataclasses

from .checker import Result
from .properties import FAIRNESS, Verdict, path_of
from .system import State, Step
from .table import RuleTable
from .tcb import TCB, describe_segment

__all__ = ["trace_lines", "trace_json", "summary_lines", "result_json", "exit_code"]


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


def _tcb_json(t: TCB) -> dict:
    return {"state": t.state, "ISS": t.iss, "IRS": t.irs, "SND.UNA": t.snd_una,
            "SND.NXT": t.snd_nxt, "RCV.NXT": t.rcv_nxt, "passive": t.passive,
            "retransmissions_left": t.budget}


def trace_json(path: list[tuple[Step | None, State]], table: RuleTable) -> list[dict]:
    """A path as a list of steps for ``--json``."""
    out = []
    prev = path[0][1]
    out.append({"step": 0, "what": "initial state", "A": _tcb_json(prev.A), "B": _tcb_json(prev.B)})
    for n, (step, s) in enumerate(path[1:], 1):
        out.append({
            "step": n, "actor": step.actor, "kind": step.kind, "event": step.event,
            "what": _what(step, table),
            "segment": describe_segment(step.segment) if step.segment else None,
            "sent": [describe_segment(q) for q in step.sent],
            "dropped": [describe_segment(q) for q in step.dropped],
            "rules": [table.rules[r].describe() for r in step.rules],
            "before": {"A": prev.A.state, "B": prev.B.state},
            "A": _tcb_json(s.A), "B": _tcb_json(s.B),
            "in_flight": {"A->B": [describe_segment(q) for q in s.net_AB],
                          "B->A": [describe_segment(q) for q in s.net_BA]},
        })
        prev = s
    return out


def _dead_lines(result: Result) -> list[str]:
    by_event: dict[str, list[str]] = {}
    for r in result.dead:
        rule = result.table.rules[r]
        q = f"[{rule.qualifier}]" if rule.qualifier else ""
        by_event.setdefault(rule.event, []).append(rule.state + q)
    return [f"    {event}: {', '.join(states)}" for event, states in by_event.items()]


def summary_lines(result: Result, preset_note: str = "") -> list[str]:
    """The human summary of a check."""
    x, cfg, table = result.exploration, result.config, result.table
    lines = [f"tcpcheck: TCP connection management (RFC 9293), configuration '{cfg.name}'"]
    if preset_note:
        lines.append(f"  {preset_note}")
    lines += [f"  {line}" for line in cfg.describe()]
    lines.append(f"  rules: {table.name} ({len(table.rules)} rules)")
    lines.append("")
    rate = len(x.states) / x.seconds if x.seconds > 0 else float("inf")
    status = "complete" if x.complete else f"INCOMPLETE: stopped at the state budget, {x.expanded:,} states expanded"
    lines.append(f"Explored {len(x.states):,} states and {x.transitions:,} transitions to depth "
                 f"{x.max_depth} in {x.seconds:.2f} s ({rate:,.0f} states/s); {status}.")
    reach = result.reachable()
    for w in ("A", "B"):
        lines.append(f"  {w} reaches {len(reach[w])} of 11 states: {' '.join(reach[w])}")
    lines.append("")
    lines.append("Properties:")
    for v in result.verdicts:
        mark = {"holds": "holds   ", "violated": "VIOLATED", "unknown": "unknown "}[v.verdict]
        extra = ""
        if v.kind == "reachability" and v.verdict == "holds":
            n = x.depth[v.state]
            extra = f"  (shortest: {n} step{'' if n == 1 else 's'})"
        elif v.verdict == "violated" and v.detail:
            extra = f": {v.detail}"
        lines.append(f"  {mark}  {v.kind:<12}  {v.name}{extra}")
    lines.append("")
    fired, dead = result.fired, result.dead
    lines.append(f"Rule coverage: {len(fired)} of {len(table.rules)} rules fire; "
                 f"{len(dead)} never do in this configuration:")
    lines += _dead_lines(result)
    if any(v.kind == "liveness" for v in result.verdicts):
        lines.append("")
        lines.append("Liveness is checked under these fairness assumptions: "
                     + "; ".join(FAIRNESS) + ".")
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
        lines.append("")
        if run_ids in shown:
            lines.append(f"Counterexample to '{v.name}': {v.detail}; the same run as the "
                         f"counterexample to '{shown[run_ids]}' above.")
            continue
        shown[run_ids] = v.name
        extra = f", then a cycle of {len(cycle) - 1} steps" if cycle else ""
        lines.append(f"Counterexample to '{v.name}' ({len(stem) - 1} steps{extra}): {v.detail}")
        lines += trace_lines(x.walk(stem, stem_labels), table)
        if cycle:
            lines.append("      ... and then, for ever:")
            lines += trace_lines(x.walk(cycle, cycle_labels), table)[1:]
        elif v.kind == "liveness":
            lines.append("      ... and then nothing can happen any more.")
        if v.kind == "invariant":
            end = x.state(stem[-1])
            for w, t in (("A", end.A), ("B", end.B)):
                lines.append(f"      {w}: " + ", ".join(f"{k}={val}" for k, val in _tcb_json(t).items()))
    bad = [v for v in result.verdicts if v.verdict == "violated"]
    unknown = [v for v in result.verdicts if v.verdict == "unknown"]
    lines.append("")
    if bad:
        lines.append(f"Result: {len(bad)} of {len(result.verdicts)} properties violated.")
    elif unknown:
        lines.append(f"Result: no violation found, but {len(unknown)} properties are unknown "
                     f"(the exploration is incomplete; raise --max-states).")
    else:
        lines.append(f"Result: all {len(result.verdicts)} properties hold.")
    return lines


def result_json(result: Result) -> dict:
    """The ``--json`` object of a check."""
    x, table = result.exploration, result.table
    props = []
    for v in result.verdicts:
        item = {"name": v.name, "kind": v.kind, "statement": v.statement, "verdict": v.verdict}
        if v.detail:
            item["detail"] = v.detail
        if v.state is not None:
            key = "counterexample" if v.verdict == "violated" else "witness"
            item[key] = trace_json(path_of(x, v), table)
        if v.lasso is not None:
            item["counterexample"] = trace_json(path_of(x, v), table)
            if v.lasso.cycle:
                item["cycle_from"] = len(v.lasso.stem) - 1  # the steps after this one repeat for ever
        props.append(item)

    def rules(ids):
        return [{"rule": table.rules[r].describe(), "where": table.rules[r].where} for r in ids]

    return {
        "config": dataclasses.asdict(result.config),
        "rules": table.name,
        "states": len(x.states),
        "transitions": x.transitions,
        "depth": x.max_depth,
        "seconds": round(x.seconds, 3),
        "complete": x.complete,
        "reachable": result.reachable(),
        "rules_fired": rules(result.fired),
        "rules_dead": rules(result.dead),
        "properties": props,
    }


def exit_code(verdicts: list[Verdict]) -> int:
    """0 all hold, 1 one is violated, 4 none violated but one unknown."""
    if any(v.verdict == "violated" for v in verdicts):
        return 1
    if any(v.verdict == "unknown" for v in verdicts):
        return 4
    return 0
