"""The endpoint state diagram (RFC 9293 Figure 5), drawn from a rule table.

:func:`fsm_dot` turns a :class:`~tcpcheck.model.table.RuleTable` into DOT
source for the classic textbook picture of TCP connection management, in the
shape of the RFC's figure: CLOSED on top, LISTEN below it, SYN_RCVD and
SYN_SENT side by side, ESTABLISHED in the middle, the active-close states
(shaded, lower left) and the passive-close states (shaded, right), TIME_WAIT
and a second CLOSED box at the bottom.  The client's normal path is drawn in
thick solid arrows, the server's in thick dashed ones, every other transition
thin; a legend under the diagram says which is which.  Each arrow is labelled
``event / actions`` in the RFC's words, or in Chinese (labels through
:mod:`.i18n`, font from :func:`.render.font_for`); state names stay as the
table writes them.  Render the text with :func:`.render.render`.

Every arrow comes from the table: change a row and the diagram changes.  The
only knowledge written here by hand is *which* (state, event) pairs make up
the two normal paths, which states form the two close groups, and the
presentation: where the boxes go, and a few hints to dot about where an arrow
meets its box.

What is drawn is selected by event name, so that it works for any table (a
student's too), never by the table's ``source`` column.  By default, what
Figure 5 and its notes show:

* the rules that change state on the user calls OPEN, SEND and CLOSE, on
  ``rcv SYN``, ``rcv SYN,ACK``, ``rcv ACK of SYN``, ``rcv FIN``, ``rcv ACK of
  FIN`` and on ``timeout 2MSL``;
* note 1: the ``rcv RST`` rules that lead back to LISTEN, with their
  qualifier shown (``rcv RST, SYN [passive] / return to LISTEN``);
* note 2: one composite arrow for a segment that carries a FIN and also
  acknowledges ours (``rcv FIN, ACK of FIN / snd ACK``), made by following a
  ``rcv ACK of FIN`` rule with the ``rcv FIN`` rule of the state it leads to:
  the model processes such a segment in two stages, as section 3.10.7.4 does.

``full=True`` adds every other rule that changes state (resets, ABORT, user
timeouts) and every self-loop that sends something (retransmissions,
challenge ACKs, re-acknowledging a retransmitted FIN in TIME_WAIT ...); a
self-loop that does nothing is left out.  The full diagram has a CLOSED box
at the foot of each column, so that the many arrows into CLOSED go down
instead of across; a long list of events that several arrows share is
written once, in a key under the legend, and named ``(a)``, ``(b)`` ... on
the arrows.

In both, arrows of the same kind between the same two boxes are merged into
one, with a label line per action (events that do the same share a line).
The output is stable: the same table gives the same bytes on every run.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from ..model.events import CALLS, CONTROL, TEXT, TIMERS, arrival_events
from ..model.table import Rule, RuleTable
from ..model.tcb import STATES
from .i18n import edge_label, event_label, phrase
from .render import font_for

__all__ = ["fsm_dot", "fsm_diff_dot", "CLIENT_PATH", "SERVER_PATH", "ACTIVE_CLOSE", "PASSIVE_CLOSE", "FIGURE5_EVENTS"]

#: The client's normal path: the (state, event) pairs an active opener that
#: closes first goes through.  Whatever the table says these do is drawn thick.
CLIENT_PATH = (
    ("CLOSED", "active OPEN"), ("SYN_SENT", "rcv SYN,ACK"), ("ESTABLISHED", "CLOSE"),
    ("FIN_WAIT_1", "rcv ACK of FIN"), ("FIN_WAIT_2", "rcv FIN"), ("TIME_WAIT", "timeout 2MSL"),
)

#: The server's normal path: a passive opener whose peer closes first.
SERVER_PATH = (
    ("CLOSED", "passive OPEN"), ("LISTEN", "rcv SYN"), ("SYN_RCVD", "rcv ACK of SYN"),
    ("ESTABLISHED", "rcv FIN"), ("CLOSE_WAIT", "CLOSE"), ("LAST_ACK", "rcv ACK of FIN"),
)

#: The states grouped as "active close" and "passive close".
ACTIVE_CLOSE = ("FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT")
PASSIVE_CLOSE = ("CLOSE_WAIT", "LAST_ACK")

#: The events whose state changes Figure 5 draws.
FIGURE5_EVENTS = (
    "passive OPEN", "active OPEN", "SEND", "CLOSE", "rcv SYN", "rcv SYN,ACK",
    "rcv ACK of SYN", "rcv FIN", "rcv ACK of FIN", "timeout 2MSL",
)

_CLIENT, _SERVER, _OTHER = "client", "server", "other"
# the kinds of arrow of a difference diagram (fsm_diff_dot)
_ONLY_A, _ONLY_B, _BOTH = "only_a", "only_b", "both"
_PATH_OF = {**{k: _CLIENT for k in CLIENT_PATH}, **{k: _SERVER for k in SERVER_PATH}}

#: Edge styles: (style, penwidth, arrowsize).
_STYLES = {
    _CLIENT: ("solid", "3", "1.1"),
    _SERVER: ("dashed", "3", "1.1"),
    _OTHER: ("solid", "1", "0.8"),
    _ONLY_A: ("dashed", "2.5", "1"),
    _ONLY_B: ("solid", "2.5", "1"),
    _BOTH: ("solid", "1", "0.7"),
}

#: Colours of a difference diagram's arrows (the others are black): the first table's
#: rows red and dashed, the second's blue and solid, the Figure 5 context they share grey.
_COLOURS = {_ONLY_A: "#c0392b", _ONLY_B: "#1f5fbf", _BOTH: "gray60"}


class _Transition(NamedTuple):
    """One arrow's worth of one or two rules, before parallel arrows are merged."""

    src: str
    dst: str
    kind: str  # _CLIENT, _SERVER or _OTHER
    events: tuple[str, ...]  # one event, or (text event, proceed event) for a composite
    actions: tuple[str, ...]
    qualifier: str | None


# --- which rules are drawn -----------------------------------------------------

def _single(rule: Rule) -> _Transition:
    kind = _PATH_OF.get((rule.state, rule.event), _OTHER)
    return _Transition(rule.state, rule.to, kind, (rule.event,), rule.actions, rule.qualifier)


def _composites(table: RuleTable, first: str, second: str) -> list[_Transition]:
    """Figure 5 note 2: one segment processed in two stages.

    A rule on ``first`` (a ``proceed`` event such as ``rcv ACK of FIN``) that
    changes state, followed by the rule on ``second`` (``rcv FIN``, of the
    text stage) of the state it leads to, when that rule changes state too,
    make one arrow ``rcv FIN, ACK of FIN / actions of both``.
    """
    out = []
    for r1 in table.rules:
        if r1.event != first or r1.to == r1.state:
            continue
        if not any(e.name == second for e in arrival_events(r1.to, TEXT)):
            continue
        for r2 in table.rules:
            if r2.state != r1.to or r2.event != second or r2.to == r2.state:
                continue
            if r1.qualifier and r2.qualifier and r1.qualifier != r2.qualifier:
                continue
            actions = tuple(dict.fromkeys(r1.actions + r2.actions))
            out.append(_Transition(r1.state, r2.to, _OTHER, (r2.event, r1.event), actions,
                                   r1.qualifier or r2.qualifier))
    return out


def _transitions(table: RuleTable, full: bool) -> list[_Transition]:
    """What the diagram draws, one entry per rule (or pair of rules, for note 2)."""
    out = []
    for r in table.rules:
        changes = r.to != r.state
        if full:
            keep = changes or bool(r.actions)  # a self-loop that does nothing is not drawn
        else:
            keep = changes and (r.event in FIGURE5_EVENTS or (r.event == "rcv RST" and r.to == "LISTEN"))
        if keep:
            out.append(_single(r))
    # a composite that says no more than the plain rcv FIN rule beside it is left out
    # (a table where FIN_WAIT_1 goes to TIME_WAIT on any FIN)
    plain = {(t.src, t.dst, t.events, t.actions, t.qualifier) for t in out}
    return out + [t for t in _composites(table, "rcv ACK of FIN", "rcv FIN")
                  if (t.src, t.dst, t.events[:1], t.actions, t.qualifier) not in plain]


# --- labels ----------------------------------------------------------------------

#: An event list wider than this many columns is named by a letter on the
#: arrow and spelled out once under the diagram (only the full diagram has such lists).
_KEY_OVER = 40


def _width(text: str) -> int:
    """Columns ``text`` takes (a CJK character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _event_rank(state: str, event: str) -> tuple[int, int]:
    """Where ``event`` comes in the order a label lists events: user calls, then
    arrivals in the order section 3.10.7 checks them in ``state``, then timeouts."""
    if event in CALLS:
        return (0, CALLS.index(event))
    arrivals = [e.name for e in (*arrival_events(state, CONTROL), *arrival_events(state, TEXT))]
    if event in arrivals:
        return (1, arrivals.index(event))
    return (2, TIMERS.index(event)) if event in TIMERS else (3, 0)


def _shorten(heads: list[str], lang: str) -> str:
    """``rcv SYN``, ``rcv data`` -> ``rcv SYN, data``: the word arrivals begin with,
    shared with the event before, is written once (as Figure 5 note 2 says "rcv
    FIN, ACK of FIN"; in Chinese ``收到 FIN、对 FIN 的 ACK``)."""
    verb = phrase("rcv", lang)
    out = []
    for prev, head in zip([None, *heads], heads):
        if prev is not None and prev.startswith(verb) and head.startswith(verb) and len(head) > len(verb):
            head = head[len(verb):].lstrip()
        out.append(head)
    return phrase(", ", lang).join(out)


def _qualified(text: str, qualifier: str | None, lang: str) -> str:
    """``rcv RST [passive]``: how the connection was opened, as the table writes it."""
    if not qualifier:
        return text
    return f"{text} [{qualifier if lang == 'en' else event_label(qualifier + ' OPEN', lang)}]"


class _Line(NamedTuple):
    """One line of an arrow's label: the events (with qualifiers) that have the same actions."""

    events: tuple[tuple[tuple[str, ...], str | None], ...]  # ((event, ...), qualifier) each
    actions: tuple[str, ...]

    def heads(self, lang: str) -> str:
        """``rcv RST, SYN [passive]``: the events, a qualifier they share written once."""
        quals = {q for _, q in self.events}
        if len(quals) == 1:
            names = [event_label(e, lang) for events, _ in self.events for e in events]
            return _qualified(_shorten(names, lang), quals.pop(), lang)
        return _shorten([_qualified(_shorten([event_label(e, lang) for e in events], lang), q, lang)
                         for events, q in self.events], lang)

    def text(self, lang: str, key: dict[str, str]) -> str:
        """``event / actions`` as :func:`.i18n.edge_label` writes it, or ``(a) / actions``."""
        first = self.events[0][0][0]
        tail = edge_label(first, self.actions, lang)[len(event_label(first, lang)):]
        heads = self.heads(lang)
        return key.get(heads, heads) + tail


def _label_lines(ts: list[_Transition]) -> list[_Line]:
    """The lines of one arrow's label: events with the same actions share a line
    (a composite ``rcv FIN, ACK of FIN`` keeps a line of its own)."""
    by_actions: dict[tuple, list[_Transition]] = {}
    for t in sorted(ts, key=lambda t: ([_event_rank(t.src, e) for e in t.events], t.qualifier or "")):
        by_actions.setdefault((t.actions, len(t.events)), []).append(t)
    return [_Line(tuple((t.events, t.qualifier) for t in group), actions)
            for (actions, _), group in by_actions.items()]


def _collapse_qualifiers(ts: list[_Transition]) -> list[_Transition]:
    """``X[passive]`` and ``X[active]`` doing the same thing are drawn as plain ``X``."""
    out = []
    for t in ts:
        if t.qualifier:
            twin = t._replace(qualifier="active" if t.qualifier == "passive" else "passive")
            if twin in ts:
                t = t._replace(qualifier=None)
                if t in out:
                    continue
        out.append(t)
    return out


# --- layout ----------------------------------------------------------------------
#
# dot places boxes by itself; to get Figure 5's shape every box is given a
# place on a grid of ranks (top to bottom) and columns (0 left, 1 centre,
# 2 right), kept there by rank=same groups, group= columns and invisible edges.
# CLOSED is drawn more than once, as the RFC draws it at the top and at the
# bottom; all its boxes look alike (grey).  The rest here is presentation
# only: where a few arrows meet their boxes, on which side a self-loop sits.

_ENDS = ("CLOSED_end", "CLOSED_end_left", "CLOSED_end_centre", "CLOSED_end_right")


class _Layout(NamedTuple):
    """Where the boxes go, and the few hints that keep dot's arrows apart."""

    places: dict[str, tuple[int, int]]  # box -> (rank, column)
    closed: dict[str, str]  # state -> the CLOSED box its arrows into CLOSED end at
    ports: dict[tuple[str, str], dict[str, str]]  # (from box, to box) -> {box: compass point}
    loops: dict[str, tuple[str, str]]  # state -> (tailport, headport) of its self-loop
    xlabels: frozenset  # (from box, to box) whose label dot places after routing, off the route
    first: frozenset  # (from box, to box) given to dot before the arrow the other way (on its left)
    holders: bool  # hold empty places with invisible points (keeps crowded columns straight)


_FIGURE5_PLACES = {
    "CLOSED": (0, 1),
    "LISTEN": (1, 1),
    "SYN_RCVD": (2, 0), "SYN_SENT": (2, 2),
    "ESTABLISHED": (3, 1),
    "FIN_WAIT_1": (4, 0), "CLOSE_WAIT": (4, 2),
    "FIN_WAIT_2": (5, 0), "CLOSING": (5, 1), "LAST_ACK": (5, 2),
    "TIME_WAIT": (6, 1),
}

#: Figure 5: a second CLOSED at the bottom right, for TIME_WAIT and LAST_ACK.
_DEFAULT = _Layout(
    places={**_FIGURE5_PLACES, "CLOSED_end": (7, 2)},
    closed={s: "CLOSED" if _FIGURE5_PLACES[s][0] <= 2 else "CLOSED_end" for s in STATES},
    ports={("SYN_SENT", "CLOSED"): {"CLOSED": "ne"},  # not where active OPEN leaves
           ("LISTEN", "CLOSED"): {"LISTEN": "nw"},  # not where note 1's arrow comes in
           ("FIN_WAIT_1", "TIME_WAIT"): {"TIME_WAIT": "ne"}},  # round CLOSING, clear of the rest
    loops={},
    xlabels=frozenset(),
    first=frozenset({("LISTEN", "CLOSED")}),  # passive OPEN straight down, CLOSE to its left
    holders=False,
)

#: The full diagram has an arrow into CLOSED from nearly every state: each
#: column gets a CLOSED box at the bottom, so that those arrows go straight down.
_FULL = _Layout(
    places={**_FIGURE5_PLACES, "CLOSED_end_left": (7, 0), "CLOSED_end_centre": (7, 1),
            "CLOSED_end_right": (7, 2)},
    closed={"CLOSED": "CLOSED", "LISTEN": "CLOSED", "SYN_SENT": "CLOSED",
            "SYN_RCVD": "CLOSED", "FIN_WAIT_1": "CLOSED_end_left",
            "FIN_WAIT_2": "CLOSED_end_left", "ESTABLISHED": "CLOSED_end_centre",
            "CLOSING": "CLOSED_end_centre", "TIME_WAIT": "CLOSED_end_centre",
            "CLOSE_WAIT": "CLOSED_end_right", "LAST_ACK": "CLOSED_end_right"},
    # the top CLOSED has six arrows and a loop: each gets its own side
    ports={("SYN_SENT", "CLOSED"): {"CLOSED": "ne"}, ("CLOSED", "SYN_SENT"): {"CLOSED": "e"},
           ("LISTEN", "CLOSED"): {"CLOSED": "sw"}, ("SYN_RCVD", "CLOSED"): {"CLOSED": "w"},
           ("FIN_WAIT_1", "TIME_WAIT"): {"TIME_WAIT": "nw"}},
    # loops where no arrow leaves: above the top CLOSED, left of SYN_RCVD, under ESTABLISHED
    loops={"CLOSED": ("n", "n"), "SYN_RCVD": ("nw", "sw"), "ESTABLISHED": ("s", "s")},
    xlabels=frozenset({("SYN_RCVD", "CLOSED")}),  # else its label lands on note 1's arrow
    first=frozenset({("SYN_RCVD", "LISTEN")}),  # note 1 above the server's rcv SYN
    holders=True,
)

_CLUSTERS = {"active": ACTIVE_CLOSE, "passive": PASSIVE_CLOSE}


def _cluster_of(layout: _Layout, rank: int, col: int) -> str | None:
    """The close group whose rectangle on the grid covers a place."""
    for name, states in _CLUSTERS.items():
        ranks = [layout.places[s][0] for s in states]
        cols = [layout.places[s][1] for s in states]
        if min(ranks) <= rank <= max(ranks) and min(cols) <= col <= max(cols):
            return name
    return None


# --- DOT -------------------------------------------------------------------------

def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _letters(n: int) -> str:
    """a, b, ... z, aa, ab ...: the marks of the key."""
    return (_letters(n // 26 - 1) if n >= 26 else "") + chr(ord("a") + n % 26)


def _edges(ts: list[_Transition], layout: _Layout, lang: str):
    """The arrows as dot should lay them out, and the key to the long event lists.

    Returns ``(edges, key)``: ``edges`` are (tail box, head box, attributes),
    ``key`` maps a long event list to the mark that stands for it.  Arrows
    between the same two boxes and of the same kind are merged into one, with
    a label line per action.  dot ranks arrows downwards and draws an arrow
    within a rank from left to right: an arrow going up or to the left is
    given to dot the other way round, with ``dir=back``.
    """
    arrows: dict[tuple[str, str, str], list[_Transition]] = {}
    for t in ts:
        dst = layout.closed[t.src] if t.dst == "CLOSED" else t.dst
        arrows.setdefault((t.src, dst, t.kind), []).append(t)
    place = {s: i for i, s in enumerate((*STATES, *_ENDS))}
    kinds = {_CLIENT: 0, _SERVER: 1, _OTHER: 2, _BOTH: 3, _ONLY_A: 4, _ONLY_B: 5}

    laid = []
    for src, dst, kind in arrows:
        (r1, c1), (r2, c2) = layout.places[src], layout.places[dst]
        back = r2 < r1 or (r1 == r2 and c1 > c2)
        tail, head = (dst, src) if back else (src, dst)
        # the order dot meets arrows in decides, between two boxes, which is on the left
        first = 0 if (src, dst) in layout.first else 1 + back
        laid.append(((place[tail], place[head], first, kinds[kind]), tail, head, src, dst, kind))
    laid.sort()

    key: dict[str, str] = {}
    for *_, src, dst, kind in laid:
        for line in _label_lines(arrows[(src, dst, kind)]):
            heads = line.heads(lang)
            if _width(heads) > _KEY_OVER and heads not in key:
                key[heads] = f"({_letters(len(key))})"

    # dot 2.43 fails on several labelled arrows between two boxes of one rank, and
    # on one that touches a cluster ("trouble in init_rank", "merge_chain"): arrows
    # within a rank (a student's table may have such) become one arrow between the
    # two boxes, ``dir=both`` if they go both ways, its label placed after layout
    groups: dict[tuple, list] = {}
    for _, tail, head, src, dst, kind in laid:
        flat = tail != head and layout.places[tail][0] == layout.places[head][0]
        groups.setdefault((tail, head) if flat else (tail, head, src, dst, kind), []).append(
            (src, dst, kind))

    pad = "\u3000\u3000" if lang == "zh" else "   "  # keeps the text off the line it labels
    edges = []
    weighted = set()
    for group_key, members in groups.items():
        tail, head = group_key[:2]
        src, dst, kind = members[0]
        ways = {(s, d) for s, d, _ in members}
        lines = []
        for s, d, k in members:
            mark = ("\u2192 " if s == tail else "\u2190 ") if len(ways) > 1 else ""
            lines += [mark + line.text(lang, key) for line in _label_lines(arrows[(s, d, k)])]
        label = "\\n".join(_q(f"{pad}{x}{pad}")[1:-1] for x in lines)
        side = layout.loops.get(src, ("",))[0] if src == dst else ""
        if side in ("n", "s"):  # dot sets a loop's label above or below it a little too close
            label = label + "\\n " if side == "n" else " \\n" + label
        flat = len(group_key) == 2
        grouped = flat and {tail, head} & {*ACTIVE_CLOSE, *PASSIVE_CLOSE}
        which = "xlabel" if (src, dst) in layout.xlabels or grouped or len(members) > 1 else "label"
        style, pen, arrow = _STYLES[kind]
        attrs = [f'{which}="{label}"', f"style={style}", f"penwidth={pen}", f"arrowsize={arrow}"]
        if kind in _COLOURS:
            attrs += [f'color="{_COLOURS[kind]}"', f'fontcolor="{_COLOURS[kind]}"']
        if len(ways) > 1:
            attrs.append("dir=both")
        elif src != tail:
            attrs.append("dir=back")
        for box, port in sorted(layout.ports.get((src, dst), {}).items()):
            attrs.append(f"{'tailport' if box == tail else 'headport'}={port}")
        if src == dst and src in layout.loops:
            attrs += [f"tailport={layout.loops[src][0]}", f"headport={layout.loops[src][1]}"]
        (r1, c1), (r2, c2) = layout.places[tail], layout.places[head]
        between = [b for b, (r, c) in layout.places.items() if c == c1 and r1 < r < r2]
        if c1 == c2 and r1 < r2 and not between and src == tail and (tail, head) not in weighted:
            attrs.append("weight=8")  # keeps the column straight, as the invisible edges do
            weighted.add((tail, head))  # (the first of parallel arrows: a normal path's)
        edges.append((tail, head, attrs))
    return edges, key


def fsm_dot(table: RuleTable, full: bool = False, lang: str = "en", _diff=None) -> str:
    """DOT source for the endpoint state diagram of ``table``.

    ``full=False`` draws the transitions of RFC 9293 Figure 5 and its notes 1
    and 2; ``full=True`` adds resets, ABORT, the timeouts and the self-loops
    that send something.  ``lang`` is ``"en"`` or ``"zh"`` (labels through
    :mod:`.i18n`, font from :func:`.render.font_for`); state names are never
    translated.  The same table always gives the same text.
    """
    phrase("other transitions", lang)  # rejects an unknown language early
    font = _q(font_for(lang))
    layout = _FULL if full or _diff else _DEFAULT
    ts = _diff[1] if _diff else _collapse_qualifiers(sorted(set(_transitions(table, full)),
                                                            key=lambda t: (*t[:5], t.qualifier or "")))
    edges, key = _edges(ts, layout, lang)
    drawn = {(a, b) for a, b, _ in edges}
    # the states, and the CLOSED boxes at the bottom that some arrow ends at
    used = set(STATES) | {box for a, b, _ in edges for box in (a, b)}
    at = {where: box for box, where in layout.places.items() if box in used}
    rows = max(r for r, _ in at) + 1
    cols = max(c for _, c in at) + 1
    # an empty place is held by an invisible point, unless an arrow within the rank crosses it
    spanned = {(layout.places[a][0], c) for a, b, _ in edges
               if layout.places[a][0] == layout.places[b][0]
               for c in range(layout.places[a][1] + 1, layout.places[b][1])}
    present = [(r, c) for r in range(rows) for c in range(cols)
               if (r, c) in at or (layout.holders and (r, c) not in spanned)]

    def name(where: tuple[int, int]) -> str:
        return at.get(where, f"_r{where[0]}c{where[1]}")

    def node(where: tuple[int, int], indent: str = "  ") -> str:
        if where not in at:
            return (f"{indent}{_q(name(where))} [shape=point, style=invis, width=0.01, "
                    f'height=0.01, label="", group=c{where[1]}];')
        label = "CLOSED" if at[where] in _ENDS else at[where]
        fill = "gray88" if label == "CLOSED" else "white"  # every CLOSED box grey: one state
        return f"{indent}{_q(at[where])} [label={_q(label)}, group=c{where[1]}, fillcolor={fill}];"

    title = (phrase("TCP state diagram ({table})", lang).format(table=table.name) if not _diff else
             phrase("TCP state diagram: {a} and {b}", lang).format(a=_diff[0][0], b=_diff[0][1]))
    out = [
        f"digraph {_q(title)} {{",
        f"  graph [fontname={font}, fontsize=10, rankdir=TB, newrank=true, nodesep=0.5, ranksep=0.6];",
        f'  node [fontname={font}, fontsize=12, shape=box, style="rounded,filled", width=1.45, height=0.45];',
        f"  edge [fontname={font}, fontsize=10];",
        "",
        "  // the states (CLOSED drawn more than once, as in Figure 5), and invisible",
        "  // points holding empty places of the grid",
    ]
    out += [node(w) for w in present if _cluster_of(layout, *w) is None]
    # the close groups are shaded areas: a label that crosses the edge of one stays legible
    for group, title, where, fill in (
            ("active", phrase("active close", lang), "labelloc=b, labeljust=l", "#e8eef7"),
            ("passive", phrase("passive close", lang), "labelloc=t, labeljust=r", "#f7efe4")):
        out.append(f"  subgraph cluster_{group} {{")
        out.append(f"    graph [label={_q(title)}, {where}, fontsize=11, "
                   f'margin=14, style="filled,rounded", fillcolor="{fill}", color="{fill}", '
                   f"fontcolor=gray25];")
        out += [node(w, "    ") for w in present if _cluster_of(layout, *w) == group]
        out.append("  }")

    out += ["", "  // the shape of Figure 5: ranks, the order within a rank, columns"]
    for rank in range(rows):
        row = [name(w) for w in present if w[0] == rank]
        out.append(f"  {{ rank=same; {'; '.join(_q(n) for n in row)}; }}")
        for a, b in zip(row, row[1:]):
            if (a, b) not in drawn:  # dot 2.43 loses a labelled edge doubled by an invisible one
                out.append(f"  {_q(a)} -> {_q(b)} [style=invis];")
    for col in range(cols):
        column = [w for w in present if w[1] == col]
        for a, b in zip(column, column[1:]):
            if (name(a), name(b)) not in drawn:
                out.append(f"  {_q(name(a))} -> {_q(name(b))} [style=invis, weight=8, "
                           f"minlen={b[0] - a[0]}];")

    out += ["", "  // the transitions"]
    out += [f"  {_q(a)} -> {_q(b)} [{', '.join(attrs)}];" for a, b, attrs in edges]

    out += ["", "  // the legend, and the key to the event lists named by a letter"]
    out.append(f"  graph [labelloc=b, labeljust=r, label=<{_legend(lang, key, _diff and _diff[0])}>];")
    out.append("}")
    return "\n".join(out) + "\n"


def _rows(table: RuleTable) -> set[_Transition]:
    """Every row of ``table`` as an arrow, a qualified pair that does the same as one."""
    return set(_collapse_qualifiers(sorted({_single(r)._replace(kind=_OTHER) for r in table.rules},
                                           key=lambda t: (*t[:5], t.qualifier or ""))))


def fsm_diff_dot(a: RuleTable, b: RuleTable, lang: str = "en") -> str:
    """DOT source for the difference of two rule tables, on the full diagram's grid.

    A row of ``a`` that ``b`` does not have (the same state, qualifier, event,
    actions and next state) is a red dashed arrow, a row only ``b`` has a blue
    solid one; a row only one table has may be for an event the other does not
    name (a refinement, events.REFINEMENTS, or the FIN_WAIT_2 timeout).  For
    orientation, the transitions of Figure 5 that both draw are thin grey
    arrows.  A legend names the two tables.  The same tables give the same text.
    """
    ra, rb = _rows(a), _rows(b)
    shared = set(_transitions(a, False)) & set(_transitions(b, False))
    ts = ([t._replace(kind=_BOTH) for t in shared if t._replace(kind=_OTHER) in rb]
          + [t._replace(kind=_ONLY_A) for t in ra - rb] + [t._replace(kind=_ONLY_B) for t in rb - ra])
    ts = sorted(set(ts), key=lambda t: (*t[:5], t.qualifier or ""))
    return fsm_dot(a, lang=lang, _diff=((a.name, b.name), ts))


def _legend(lang: str, key: dict[str, str], diff: tuple[str, str] | None = None) -> str:
    """An HTML-like table: a sample line and what it means for each kind of
    arrow, then the event lists that arrows name by a letter."""
    cells = []
    kinds = (((_ONLY_A, phrase("only in {table}", lang).format(table=diff[0])),
              (_ONLY_B, phrase("only in {table}", lang).format(table=diff[1])),
              (_BOTH, phrase("in both (Figure 5)", lang))) if diff else
             ((_CLIENT, phrase("client's normal path", lang)),
              (_SERVER, phrase("server's normal path", lang)),
              (_OTHER, phrase("other transitions", lang))))
    for kind, text in kinds:
        style, pen, _ = _STYLES[kind]
        colour = f' COLOR="{_COLOURS[kind]}"' if kind in _COLOURS else ""
        font = (f'<FONT COLOR="{_COLOURS[kind]}">{_html(text)}</FONT>' if kind in _COLOURS else _html(text))
        cells.append(f'<TD WIDTH="40" HEIGHT="8" BORDER="{pen}" SIDES="B" STYLE="{style}"{colour}></TD>'
                     f'<TD ALIGN="LEFT">{font}</TD>')
    rows = ['<TR><TD><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="6" CELLPADDING="0"><TR>'
            + "<TD></TD>".join(cells) + "</TR></TABLE></TD></TR>"]
    for heads, mark in key.items():
        rows.append(f'<TR><TD ALIGN="LEFT">{_html(mark)} {_html(heads)}</TD></TR>')
    return '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>"
