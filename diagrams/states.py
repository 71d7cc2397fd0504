"""The reachable-state graph of a configuration, as the checker explored it.

Small graphs are drawn whole: one node per global state, labelled with both
endpoints' states and what is in flight.  Large ones are drawn as a quotient:
one node per pair of endpoint states, saying how many concrete states it
stands for, with an edge wherever some step changes the pair, labelled with
the events that do.  Anything bigger than a reader can follow is refused
with a message rather than drawn as a hairball.  A path (a counterexample or
a witness) can be highlighted.

It draws; it does not explore.  Output is DOT text, sorted so that the same
exploration always gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict

from tcpcheck.model.explorer import Exploration
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


class TooLarge(ValueError):
    """The graph is too large to draw legibly; the message says what to do instead."""


def _q(text: str) -> str:
    """A DOT string literal; newlines become DOT line breaks."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _step_text(step, lang: str) -> str:
    if step.actor == "network":
        return f"{phrase('lost' if step.kind == 'lose' else 'duplicate', lang)} {step.event}"
    events = "; ".join(event_label(e, lang) for e in step.event.split("; "))
    return f"{step.actor}: {events}"


def _header(title: str, lang: str) -> list[str]:
    font = font_for(lang)
    return ["digraph states {",
            f'  graph [label={_q(title)}, labelloc=t, fontname={_q(font)}, fontsize=16, '
            f'rankdir=TB, nodesep=0.35, ranksep=0.55];',
            f'  node [shape=box, style="rounded,filled", fillcolor="#f7f7f7", fontname={_q(font)}, fontsize=11];',
            f'  edge [fontname={_q(font)}, fontsize=9, color="#555555"];']


def _full(x: Exploration, title: str, path: list[int], lang: str, steps: list[int] | None) -> str:
    on_path = set(path)
    path_edges = set(zip(path, path[1:]))
    # the step the path takes between two states, where known: the graph draws one
    # edge per pair of states, and another step may join the same two
    path_steps = dict(zip(zip(path, path[1:]), steps)) if steps is not None else {}
    lines = _header(title, lang)
    for i in range(len(x.states)):
        s = x.state(i)
        flight = [f"A>B {describe_segment(q)}" for q in s.net_AB] + [f"B>A {describe_segment(q)}" for q in s.net_BA]
        label = "\n".join([f"#{i}  A {s.A.state} | B {s.B.state}"] + flight)
        extra = f", {_HIGHLIGHT}" if i in on_path else ""
        lines.append(f"  s{i} [label={_q(label)}{extra}];")
    seen = set()
    for u, v, k in sorted(zip(x.src, x.dst, x.lab)):
        if (u, v) in seen:
            continue
        seen.add((u, v))
        extra = f", {_HIGHLIGHT}" if (u, v) in path_edges else ""
        k = path_steps.get((u, v), k)
        lines.append(f"  s{u} -> s{v} [label={_q(_step_text(x.label(k), lang))}{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _finished(s) -> bool:
    return (s.A.state == s.B.state == "CLOSED" and not s.net_AB and not s.net_BA
            and s.app_A == s.app_B == APP_DONE)


def _quotient(x: Exploration, title: str, path: list[int], lang: str) -> str:
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
    s0 = x.state(0)
    lines = _header(title, lang)
    for c in sorted(count):
        if c == (0, 0):
            label = f"A {s0.A.state}\nB {s0.B.state}\n({phrase('initial state', lang)})"
        elif c == end:
            label = f"A CLOSED\nB CLOSED\n({phrase('finished', lang)}: {count[c]:,})"
        else:
            n = count[c]
            label = f"A {STATES[c[0] - 1]}\nB {STATES[c[1]]}\n({n:,} {'state' if n == 1 else 'states'})"
        start = ", peripheries=2" if c == (0, 0) else ""
        extra = f", {_HIGHLIGHT}" if c in on_path else ""
        lines.append(f"  q{c[0]}_{c[1]} [label={_q(label)}{start}{extra}];")
    for a, b in sorted(edges):
        texts = sorted(edges[(a, b)])
        shown = texts[:2] + ([f"(+{len(texts) - 2} more)"] if len(texts) > 2 else [])
        extra = f", {_HIGHLIGHT}" if (a, b) in path_edges else ""
        label = _q("\n".join(shown))
        lines.append(f"  q{a[0]}_{a[1]} -> q{b[0]}_{b[1]} [label={label}{extra}];")
    lines.append("  { rank=source; q0_0; }")
    if end in count:
        lines.append(f"  {{ rank=sink; q{end[0]}_{end[1]}; }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def states_dot(x: Exploration, title: str = "", quotient: bool | None = None,
               path: list[int] | None = None, lang: str = "en", steps: list[int] | None = None) -> str:
    """DOT text for the state graph of ``x``.

    ``quotient``: True draws the quotient, False the whole graph (refused,
    with :class:`TooLarge`, above ``FULL_LIMIT`` states), None chooses by size.
    ``path`` is a list of state ids to highlight; ``steps``, the label ids of
    its steps where known (a counterexample's exact transitions): the whole
    graph then labels each highlighted edge with the step the path takes.
    """
    path = path or []
    if quotient is None:
        quotient = len(x.states) > FULL_LIMIT
    if not quotient:
        if len(x.states) > FULL_LIMIT:
            raise TooLarge(f"the graph has {len(x.states):,} states, more than the {FULL_LIMIT} that "
                           f"can be drawn legibly; use --quotient for one node per pair of "
                           f"endpoint states")
        return _full(x, title, path, lang, steps)
    return _quotient(x, title, path, lang)
