"""The reachable-state graph of a configuration, as the checker explored it.

Small graphs are drawn whole: one node per global state, labelled with both
endpoints' states and what is in flight.  Large ones are drawn as a quotient:
one node per pair of endpoint states, saying how many concrete states it
stands for, with an edge wherever some step changes the pair, labelled with
the events that do.  Anything bigger than a reader can follow is refused
with a message rather than drawn as a hairball.  A path (a counterexample or
a witness) can be highlighted.

Two things are always marked: the states that hold a deadlock (no step
leads out, and they are not an acceptable end: filled red, with how many),
and the fair cycles handed in (the cycles a fair run can go round for ever
without reaching what a liveness property promises: drawn purple, their
nodes say so; a cycle inside one quotient node is a purple loop on it).

It draws; it does not explore.  Output is DOT text, sorted so that the same
exploration always gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict

from tcpcheck.model.explorer import Exploration
from tcpcheck.model.properties import acceptable_end
from tcpcheck.model.system import APP_DONE
from tcpcheck.model.tcb import STATES, describe_segment

from .i18n import event_label, phrase
from .render import font_for

__all__ = ["FULL_LIMIT", "QUOTIENT_EDGE_LIMIT", "TooLarge", "states_dot"]

#: Above this many states the whole graph is not drawn (the quotient is).
FULL_LIMIT = 150
#: Above this many edges even the quotient is refused.
QUOTIENT_EDGE_LIMIT = 400

_HIGHLIGHT = 'color="#c0392b", fontcolor="#c0392b", penwidth=2.5'
_DEADLOCK = 'fillcolor="#f9d6d2"'
_CYCLE_INK = "#6a1b9a"
_CYCLE = f'color="{_CYCLE_INK}", penwidth=2.5'


class TooLarge(ValueError):
    """The graph is too large to draw legibly; the message says what to do instead."""


def _q(text: str) -> str:
    """A DOT string literal; newlines become DOT line breaks."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _step_text(step, lang: str) -> str:
    if step.actor == "network":
        return f"{phrase('lost' if step.kind == 'lose' else 'duplicate', lang)} {step.event}"
    events = phrase("; ", lang).join(event_label(e, lang) for e in step.event.split("; "))
    return f"{step.actor}: {events}"


def _header(title: str, lang: str) -> list[str]:
    font = font_for(lang)
    return ["digraph states {",
            f'  graph [label={_q(title)}, labelloc=t, fontname={_q(font)}, fontsize=16, '
            f'rankdir=TB, nodesep=0.35, ranksep=0.55];',
            f'  node [shape=box, style="rounded,filled", fillcolor="#f7f7f7", fontname={_q(font)}, fontsize=11];',
            f'  edge [fontname={_q(font)}, fontsize=9, color="#555555"];']


def _deadlocks(x: Exploration) -> set[int]:
    """The states without successors that are not an acceptable end."""
    return {i for i in x.terminal if not acceptable_end(x.state(i))}


def _cycle_edges(cycles) -> set[tuple[int, int, int | None]]:
    """(from, to, label id or None) of every step of the fair cycles."""
    out = set()
    for ids, labels in cycles:
        for n, (u, v) in enumerate(zip(ids, ids[1:])):
            out.add((u, v, labels[n] if labels is not None else None))
    return out


def _full(x: Exploration, title: str, path: list[int], lang: str, steps: list[int] | None,
          cycles=()) -> str:
    on_path = set(path)
    path_edges = set(zip(path, path[1:]))
    # the step the path takes between two states, where known: the graph draws one
    # edge per pair of states, and another step may join the same two
    path_steps = dict(zip(zip(path, path[1:]), steps)) if steps is not None else {}
    stuck = _deadlocks(x)
    on_cycle = {i for ids, _ in cycles for i in ids}
    cycle_steps = _cycle_edges(cycles)
    lines = _header(title, lang)
    for i in range(len(x.states)):
        s = x.state(i)
        flight = [f"A>B {describe_segment(q)}" for q in s.net_AB] + [f"B>A {describe_segment(q)}" for q in s.net_BA]
        marks = ([phrase("deadlock", lang)] if i in stuck else []) + (
            [phrase("on a fair cycle", lang)] if i in on_cycle else [])
        label = "\n".join([f"#{i}  A {s.A.state} | B {s.B.state}"] + flight + [f"({m})" for m in marks])
        extra = (f", {_DEADLOCK}" if i in stuck else "") + (f", {_HIGHLIGHT}" if i in on_path else
                                                           f", {_CYCLE}" if i in on_cycle else "")
        lines.append(f"  s{i} [label={_q(label)}{extra}];")
    seen = set()
    for u, v, k in sorted(zip(x.src, x.dst, x.lab)):
        if (u, v) in seen:
            continue
        seen.add((u, v))
        cyc = sorted((c for c in cycle_steps if c[:2] == (u, v)), key=str)
        extra = f", {_HIGHLIGHT}" if (u, v) in path_edges else f", {_CYCLE}" if cyc else ""
        k = path_steps.get((u, v), cyc[0][2] if cyc and cyc[0][2] is not None else k)
        lines.append(f"  s{u} -> s{v} [label={_q(_step_text(x.label(k), lang))}{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _finished(s) -> bool:
    return (s.A.state == s.B.state == "CLOSED" and not s.net_AB and not s.net_BA
            and s.app_A == s.app_B == APP_DONE)


def _quotient(x: Exploration, title: str, path: list[int], lang: str, cycles=()) -> str:
    # One class per pair of endpoint states, except that the initial state and
    # the finished states (both CLOSED, both applications done, nothing in
    # flight) get classes of their own, drawn first and last: runs then flow
    # downwards instead of climbing back to the top.
    order = {name: n for n, name in enumerate(STATES)}
    end = (len(STATES) + 1, 0)
    cls = [end if _finished(s) else (1 + order[s.A.state], order[s.B.state])
           for s in (x.state(i) for i in range(len(x.states)))]
    cls[0] = (0, 0)
    count: dict = defaultdict(int)
    for c in cls:
        count[c] += 1
    edges: dict = defaultdict(set)
    for u, v, k in zip(x.src, x.dst, x.lab):
        if cls[u] != cls[v]:
            edges[(cls[u], cls[v])].add(_step_text(x.label(k), lang))
    if len(edges) > QUOTIENT_EDGE_LIMIT:
        raise TooLarge(f"even the quotient has {len(edges)} edges between {len(count)} pairs of "
                       f"states, more than {QUOTIENT_EDGE_LIMIT} can be drawn legibly; "
                       f"choose a smaller configuration (fewer data segments, a smaller capacity)")
    on_path = {cls[i] for i in path}
    path_edges = {(cls[a], cls[b]) for a, b in zip(path, path[1:]) if cls[a] != cls[b]}
    stuck: dict = defaultdict(int)
    for i in _deadlocks(x):
        stuck[cls[i]] += 1
    on_cycle = {cls[i] for ids, _ in cycles for i in ids}
    cycle_edges: dict = defaultdict(set)  # (class, class) -> the steps of a fair cycle between them
    for u, v, k in _cycle_edges(cycles):
        cycle_edges[(cls[u], cls[v])].add(_step_text(x.label(k), lang) if k is not None else "")
    s0 = x.state(0)
    lines = _header(title, lang)
    for c in sorted(count):
        if c == (0, 0):
            label = f"A {s0.A.state}\nB {s0.B.state}\n({phrase('initial state', lang)})"
        elif c == end:
            label = f"A CLOSED\nB CLOSED\n({phrase('finished', lang)}: {count[c]:,})"
        else:
            n = count[c]
            label = f"A {STATES[c[0] - 1]}\nB {STATES[c[1]]}\n({_states_text(n, lang)})"
        if stuck[c]:
            label += f"\n({phrase('deadlock', lang)}: {_states_text(stuck[c], lang)})"
        if c in on_cycle:
            label += f"\n({phrase('on a fair cycle', lang)})"
        start = ", peripheries=2" if c == (0, 0) else ""
        extra = (f", {_DEADLOCK}" if stuck[c] else "") + (f", {_HIGHLIGHT}" if c in on_path else
                                                          f", {_CYCLE}" if c in on_cycle else "")
        lines.append(f"  q{c[0]}_{c[1]} [label={_q(label)}{start}{extra}];")
    for a, b in sorted(edges):
        texts = sorted(edges[(a, b)])
        shown = texts[:2] + ([phrase("(+{n} more)", lang).format(n=len(texts) - 2)] if len(texts) > 2 else [])
        extra = f", {_HIGHLIGHT}" if (a, b) in path_edges else f", {_CYCLE}" if (a, b) in cycle_edges else ""
        label = _q("\n".join(shown))
        lines.append(f"  q{a[0]}_{a[1]} -> q{b[0]}_{b[1]} [label={label}{extra}];")
    for a in sorted(a for a, b in cycle_edges if a == b):  # a fair cycle inside one node: a loop on it
        texts = sorted(cycle_edges[(a, a)])
        shown = texts[:2] + ([phrase("(+{n} more)", lang).format(n=len(texts) - 2)] if len(texts) > 2 else [])
        lines.append(f"  q{a[0]}_{a[1]} -> q{a[0]}_{a[1]} [label={_q(chr(10).join(shown))}, {_CYCLE}, "
                     f'fontcolor="{_CYCLE_INK}"];')
    lines.append("  { rank=source; q0_0; }")
    if end in count:
        lines.append(f"  {{ rank=sink; q{end[0]}_{end[1]}; }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _states_text(n: int, lang: str) -> str:
    """"1 state", "2,401 states" in ``lang``."""
    return (phrase("{n} state", lang) if n == 1 else phrase("{n} states", lang)).format(n=f"{n:,}")


def states_dot(x: Exploration, title: str = "", quotient: bool | None = None,
               path: list[int] | None = None, lang: str = "en", steps: list[int] | None = None,
               cycles=()) -> str:
    """DOT text for the state graph of ``x``.

    ``quotient``: True draws the quotient, False the whole graph (refused,
    with :class:`TooLarge`, above ``FULL_LIMIT`` states), None chooses by size.
    ``path`` is a list of state ids to highlight; ``steps``, the label ids of
    its steps where known (a counterexample's exact transitions): the whole
    graph then labels each highlighted edge with the step the path takes.
    ``cycles`` are fair cycles to mark, each (state ids round it, first one
    last again; the label ids of its steps or None), e.g. a liveness
    counterexample's ``(lasso.cycle, lasso.cycle_labels)``.  Deadlocks are
    marked whatever is asked.
    """
    path = path or []
    if quotient is None:
        quotient = len(x.states) > FULL_LIMIT
    if not quotient:
        if len(x.states) > FULL_LIMIT:
            raise TooLarge(f"the graph has {len(x.states):,} states, more than the {FULL_LIMIT} that "
                           f"can be drawn legibly; use --quotient for one node per pair of "
                           f"endpoint states")
        return _full(x, title, path, lang, steps, cycles)
    return _quotient(x, title, path, lang, cycles)
