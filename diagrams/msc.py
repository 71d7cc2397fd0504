"""Message sequence charts of traces, like the textbooks' handshake pictures.

:func:`msc_dot` turns a trace (the list of steps
:func:`tcpcheck.model.report.trace_json` makes) into DOT source for a
message sequence chart: A's lifeline on the left, B's on the right, time
running downwards one row per step (the step numbers are in the left
margin), and every segment a slanted arrow from the step its sender sent it
to the step its receiver received it, labelled with its flags, SEQ and ACK
(``SYN,ACK  SEQ=300 ACK=4294967295``; a data segment ``DATA,ACK  SEQ=...``).
Arrows from A to B are blue, from B to A green, and so are their labels.

Around the arrows:

* each endpoint's state is written in a box beside its lifeline, below the
  step that changed it (the initial states at the top); state names stay as
  the RFC writes them in every language;
* user calls (OPEN, SEND, CLOSE, ABORT) and timeouts are notes beside the
  lifeline at their step, marked by a dot on it; the events a received
  segment triggered (``rcv ACK of FIN; rcv FIN``) are written small beside
  its arrival point;
* a segment the network lost ends in a red cross part-way across, at the
  step it was lost, marked "lost"; one a full channel dropped ends in a
  cross right at its sender, with its label and "dropped" beside it; a
  duplicate is a second, dashed arrow marked "duplicate" that branches off
  the original (at a dot) where the network copied it; a segment still in
  flight when the trace ends stops at the bottom edge in an open arrowhead,
  marked "in flight".

An arrival is matched to the earliest not-yet-delivered copy of the same
segment in its direction (copies of one segment are indistinguishable); a
loss or a duplication takes the earliest copy too.

Everything is placed here: the DOT asks for ``layout=neato`` (which the
``dot`` program follows) with every node pinned (``pos="x,y!"`` in points,
``inputscale=72``); lifelines and arrows are edges between invisible point
nodes, texts are plaintext nodes.  A segment's label sits on its arrow
(which runs behind it) or, failing that, beside it, at the place along it
that covers the fewest other arrows and labels; the lifelines are set far
enough apart for the widest label and the steepest arrow.  Text widths are
estimated from DejaVu Sans's metrics, the widest of the fonts Graphviz may
use for Helvetica (CJK characters are one em wide).

The output is stable: the same trace gives the same bytes on every run.  In
the DOT (and in SVG renderings), segment arrow ``n`` (numbered in the order
the segments were sent or copied) is the edge with ``id="segn"``; its
``class`` gives its direction and fate (``segment A-B received``, ``...
lost``, ``... dropped``, ``... in-flight``, ``duplicate segment ...``), its
``tooltip`` its label.  State boxes are the nodes ``stateA_k`` and
``stateB_k`` (``k`` is the step), crosses the edges of class ``cross``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .i18n import event_label, phrase
from .render import font_for

__all__ = ["msc_dot", "segment_label"]

# --- sizes (points, 1/72 inch; y grows downwards until written out) and inks --

ROW = 56.0  # from one step to the next
GAP = 10.0  # between a lifeline and the notes and state boxes beside it
HEAD_H = 28.0  # lifeline headers
STATE_H = 20.0  # state boxes
LOSS_AT = 0.6  # how far across a lost segment gets before its cross
CROSS = 5.0  # half the size of a cross
STUB = (38.0, 12.0)  # a dropped segment's stub: across, down
MIN_GAP, MAX_GAP = 330.0, 600.0  # bounds on the distance between the lifelines
WAIT = 34.0  # how far a lifeline that waits for ever goes on, dotted, below the last step

FS_TITLE, FS_HEAD, FS_STATE, FS_SEG, FS_NOTE, FS_SMALL, FS_STEP = 16, 14, 11.5, 11.5, 11, 10, 9

INK = {"A->B": "#1f4e8c", "B->A": "#2d6a2e"}  # arrows and their labels, by direction
RED = "#c62828"  # losses and drops, and waits for ever
CYCLE_INK = "#6a1b9a"  # the frame round a lasso's cycle
CALL_INK, TIMER_INK, EVENT_INK, STEP_INK = "#222222", "#b35300", "#555555", "#9a9a9a"
LIFELINE_INK, HEAD_FILL, STATE_FILL, STATE_LINE = "#606060", "#e4e4e4", "#eef2f8", "#8090a8"

# Advance widths (1/1000 em) of printable ASCII in DejaVu Sans, regular and
# bold: what fontconfig gives Graphviz for "Helvetica" on Debian.  They are
# wider than Helvetica's own, so elsewhere the estimate errs on the roomy side.
_ASCII = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
_REGULAR = dict(zip(_ASCII, (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 710, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 862, 748, 787,
    603, 787, 694, 634, 594, 732, 684, 988, 685, 610, 685, 390, 337, 390, 838, 500,
    500, 613, 634, 550, 634, 615, 345, 634, 634, 278, 278, 579, 278, 974, 634, 612,
    634, 634, 395, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838)))
_BOLD = dict(zip(_ASCII, (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365,
    696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
    1000, 774, 762, 734, 830, 683, 683, 820, 837, 372, 372, 775, 638, 995, 837, 850,
    733, 850, 770, 677, 704, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500,
    500, 675, 716, 592, 716, 678, 405, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 494, 596, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838)))


def _width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of one line of ``text`` set at ``size`` points."""
    table = _BOLD if bold else _REGULAR
    return sum(table.get(c, 1000 if ord(c) >= 0x2E80 else 700) for c in text) * size / 1000


def _num(v: float) -> str:
    """A coordinate, written the same way every time (one decimal, no -0)."""
    s = f"{round(v, 1):.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return "0" if s == "-0" else s


def _inch(points: float) -> str:
    """A node size in inches, as Graphviz wants it."""
    return f"{points / 72:.3f}"


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _h(text: str) -> str:
    """Text escaped for an HTML-like label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (at spaces; anywhere in CJK)."""
    lines: list[str] = []
    line = ""
    for m in re.finditer(r"(\s*)([\u2e80-\uffef]|[^\s\u2e80-\uffef]+)", text):
        gap, word = " " if m.group(1) else "", m.group(2)
        if line and _width(line + gap + word, size) > width:
            lines.append(line)
            line = word
        else:
            line += (gap if line else "") + word
    return lines + [line] if line else lines


# --- segments -------------------------------------------------------------------

_FIELD = re.compile(r"<([A-Z]+)=([^>]*)>")


def _flags(seg: str) -> str:
    """``SYN,ACK``; ``DATA`` first for a segment with data (``DATA(n)`` for n > 1)."""
    f = dict(_FIELD.findall(seg))
    flags = [x for x in f.get("CTL", "").split(",") if x]
    if "DATA" in f:
        flags.insert(0, "DATA" if f["DATA"] == "1" else f"DATA({f['DATA']})")
    return ",".join(flags)


def _numbers(seg: str) -> str:
    """``SEQ=300 ACK=4294967295`` (no ACK field without the ACK flag)."""
    f = dict(_FIELD.findall(seg))
    return " ".join(f"{k}={f[k]}" for k in ("SEQ", "ACK") if k in f)


def segment_label(seg: str | dict) -> str:
    """The label of a segment's arrow, from the RFC notation of the segment
    (or the object of :func:`~tcpcheck.model.interface.segment_json`).

    >>> segment_label("<SEQ=300><ACK=4294967295><CTL=SYN,ACK>")
    'SYN,ACK  SEQ=300 ACK=4294967295'
    >>> segment_label("<SEQ=4294967295><ACK=302><CTL=ACK><DATA=1>")
    'DATA,ACK  SEQ=4294967295 ACK=302'
    """
    seg = _text(seg)
    flags, numbers = _flags(seg), _numbers(seg)
    return f"{flags}  {numbers}" if flags else numbers


# --- what became of each segment ------------------------------------------------

Point = tuple[float, float]
Line = tuple[Point, Point]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass
class _Flight:
    """One copy of a segment on its way: where it came from, how it ended, its arrow."""

    n: int  # 1-based, in the order the copies appeared
    way: str  # "A->B" or "B->A"
    seg: str
    start: int  # the step it was sent or copied at (0: in flight before the trace)
    origin: str  # "send", "duplicate" or "earlier"
    parent: _Flight | None = None  # for a duplicate, the copy it was made from
    number: int | None = None  # the segment's number, as the seed note counts them: the order
    #                            it was sent in (a duplicate has its original's; None: sent earlier)
    end: str = "in-flight"  # or "received", "lost", "dropped"
    stop: int | None = None  # the step it ended at
    p0: Point = (0.0, 0.0)  # where its arrow starts and ends
    p1: Point = (0.0, 0.0)

    @property
    def ends(self) -> tuple[str, str]:
        src, dst = self.way.split("->")
        return src, dst


def _peer(who: str) -> str:
    return "B" if who == "A" else "A"


def _text(seg) -> str | None:
    """A segment of a trace in the RFC's notation: as written, or the ``text`` of
    :func:`~tcpcheck.model.interface.segment_json`'s object."""
    return seg.get("text") if isinstance(seg, dict) else seg


def _flights(trace: list[dict]) -> list[_Flight]:
    """Every copy of every segment in ``trace``, with its fate.  Segments are
    numbered as the seed note numbers them (segment 1-7): in the order they
    were sent, a dropped one too; a duplicate keeps its original's number."""
    flights: list[_Flight] = []
    numbers = 0
    pending: dict[str, list[_Flight]] = {"A->B": [], "B->A": []}  # oldest first

    def take(way: str, seg: str) -> _Flight:
        for f in pending[way]:
            if f.seg == seg:
                pending[way].remove(f)
                return f
        f = _Flight(len(flights) + 1, way, seg, 0, "earlier")  # sent before the trace began
        flights.append(f)
        return f

    for k, st in enumerate(trace[1:], 1):
        actor, kind, seg, way = st.get("actor"), st.get("kind"), _text(st.get("segment")), st.get("event")
        if kind == "rcv" and seg and actor in ("A", "B"):
            f = take(f"{_peer(actor)}->{actor}", seg)
            f.end, f.stop = "received", k
        elif kind == "lose" and seg and way in pending:
            f = take(way, seg)
            f.end, f.stop = "lost", k
        elif kind == "duplicate" and seg and way in pending:
            parent = take(way, seg)
            pending[way].insert(0, parent)  # the original stays in flight, oldest
            f = _Flight(len(flights) + 1, way, seg, k, "duplicate", parent, parent.number)
            flights.append(f)
            pending[way].append(f)
        if actor in ("A", "B"):
            way = f"{actor}->{_peer(actor)}"
            sent = [_text(x) for x in st.get("sent") or []]
            # A full channel stays full for the rest of the step: the last sends are the dropped ones.
            drops, dropped = [_text(x) for x in st.get("dropped") or []], set()
            for i in range(len(sent) - 1, -1, -1):
                if sent[i] in drops:
                    drops.remove(sent[i])
                    dropped.add(i)
            for i, s in enumerate(sent):
                numbers += 1
                f = _Flight(len(flights) + 1, way, s, k, "send", number=numbers)
                flights.append(f)
                if i in dropped:
                    f.end, f.stop = "dropped", k
                else:
                    pending[way].append(f)
    return flights


# --- label placement ------------------------------------------------------------


def _clip_length(line: Line, box: Box) -> float:
    """Length of the part of ``line`` inside ``box`` (Liang-Barsky)."""
    (x0, y0), (x1, y1) = line
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if p == 0:
            if q < 0:
                return 0.0
            continue
        r = q / p
        if p < 0:
            lo = max(lo, r)
        else:
            hi = min(hi, r)
        if lo >= hi:
            return 0.0
    return (hi - lo) * math.hypot(dx, dy)


def _distance(p: Point, line: Line) -> float:
    """Distance from ``p`` to the segment ``line``."""
    (x0, y0), (x1, y1) = line
    dx, dy = x1 - x0, y1 - y0
    t = min(max(((p[0] - x0) * dx + (p[1] - y0) * dy) / ((dx * dx + dy * dy) or 1.0), 0.0), 1.0)
    return math.hypot(p[0] - x0 - t * dx, p[1] - y0 - t * dy)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class _Placer:
    """Puts labels where they cover the fewest strokes and other labels.

    A candidate is ``(x, y, w, h, penalty, on_line, tag)``: a centre, a size,
    a preference (lower is better), whether it sits on its own arrow, which
    then runs behind it, and what to hand back if it is chosen.  Chosen
    boxes become obstacles for the labels placed after them.
    """

    def __init__(self, lines: list[Line], arrows: list[Line], xmin: float, xmax: float):
        self.lines, self.arrows = lines, arrows  # every stroke; the arrows among them
        self.boxes: list[Box] = []
        self.xmin, self.xmax = xmin, xmax

    def cost(self, box: Box, own: Line | None, on_line: bool) -> float:
        pad = (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2)
        c = sum(8 * _clip_length(line, pad) for line in self.lines if line is not own)
        c += sum(3 * _overlap(pad, b) for b in self.boxes)
        if own is None:
            return c
        ends = [p for p in own if box[0] - 6 < p[0] < box[2] + 6 and box[1] - 6 < p[1] < box[3] + 6]
        c += 200 * len(ends)  # never hide where an arrow starts or ends
        if not on_line:
            c += 60 * _clip_length(own, box)
            # Beside its arrow, a label must be clearly nearer to it than to any other.
            centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            mine = _distance(centre, own)
            c += sum(4 * max(0.0, mine + 12 - _distance(centre, line)) for line in self.arrows if line is not own)
        return c

    def best(self, cands: list[tuple], own: Line | None = None) -> tuple[Box, object]:
        """The cheapest candidate's box (kept as an obstacle) and tag."""
        best = None
        for x, y, w, h, pref, on_line, tag in cands:
            x = min(max(x, self.xmin + w / 2), self.xmax - w / 2)
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            c = self.cost(box, own, on_line) + pref
            if best is None or c < best[0] - 1e-9:
                best = (c, box, tag)
        self.boxes.append(best[1])
        return best[1], best[2]

    def along(self, line: Line, shapes: list[tuple[float, float, float, object]],
              ts=(0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74)) -> tuple[Box, object]:
        """A box for a label of ``line``, on it (preferred) or beside it, somewhere along it.

        ``shapes`` are the forms the label can take, ``(w, h, penalty, tag)``;
        returns the box and the chosen form's tag.
        """
        (x0, y0), (x1, y1) = line
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy) or 1.0
        normals = sorted([(dy / length, -dx / length), (-dy / length, dx / length)], key=lambda n: (n[1], n[0]))
        cands = []
        for w, h, pref, tag in shapes:
            for t in ts:
                ax, ay, p = x0 + t * dx, y0 + t * dy, pref + 40 * abs(t - 0.5)
                cands.append((ax, ay, w, h, p, True, tag))
                for side, (nx, ny) in enumerate(normals):  # above first
                    off = w / 2 * abs(nx) + h / 2 * abs(ny) + 2.5
                    cands.append((ax + nx * off, ay + ny * off, w, h, p + 30 + 4 * side, False, tag))
        return self.best(cands, own=line)

    def around(self, x: float, y: float, w: float, h: float, d: float) -> Box:
        """A box for a note on the point (x, y), ``d`` away from it (below if it can)."""
        spots = [(x, y + d + h / 2, 0), (x + d + w / 2, y, 1), (x - d - w / 2, y, 1), (x, y - d - h / 2, 2),
                 (x + d + w / 2, y + d + h / 2, 3), (x - d - w / 2, y + d + h / 2, 3)]
        return self.best([(cx, cy, w, h, pref, False, None) for cx, cy, pref in spots])[0]


# --- DOT ---------------------------------------------------------------------------


class _Dot:
    """DOT statements, every node pinned where it is put."""

    def __init__(self):
        self.lines: list[str] = []

    def raw(self, line: str) -> None:
        self.lines.append("  " + line)

    def node(self, name: str, at: Point, **attrs) -> None:
        """A node at ``at`` (y downwards); attribute values are written as given."""
        body = ", ".join([f'pos="{_num(at[0])},{_num(-at[1])}!"'] + [f"{k}={v}" for k, v in attrs.items()])
        self.raw(f"{name} [{body}];")

    def text(self, name: str, at: Point, label: str, size: float, ink: str, **attrs) -> None:
        """A text (``label`` is DOT: quoted or HTML-like) centred at ``at``."""
        self.node(name, at, **{"shape": "plaintext", "style": '""', "width": 0, "height": 0, "margin": 0,
                               "label": label, "fontsize": size, "fontcolor": _q(ink), **attrs})

    def stroke(self, name: str, a: Point, b: Point, **attrs) -> None:
        """A straight line from ``a`` to ``b`` between two invisible points."""
        self.node(f"{name}_a", a)
        self.node(f"{name}_b", b)
        self.raw(f"{name}_a -> {name}_b [{', '.join(f'{k}={v}' for k, v in attrs.items())}];")

    def dot(self, name: str, at: Point, ink: str, size: float) -> None:
        """A small filled disc."""
        self.node(name, at, style="filled", width=_inch(size), height=_inch(size), color=_q(ink),
                  fillcolor=_q(ink))


# --- the chart -----------------------------------------------------------------------


def _state(step: dict, who: str) -> str:
    t = step.get(who)
    return str(t.get("state", "")) if isinstance(t, dict) else str(t or "")


def _note(step: dict, lang: str) -> tuple[str, str] | None:
    """What is written beside the actor's lifeline at a step, and in what ink."""
    kind, event = step.get("kind"), step.get("event") or ""
    if kind == "call":
        return event_label(event, lang), CALL_INK
    if kind == "timer":
        return event_label(event, lang), TIMER_INK
    if kind == "rcv":
        return phrase("; ", lang).join(event_label(e.strip(), lang) for e in event.split(";")), EVENT_INK
    return None


def _tag(f: _Flight) -> str:
    """The number written before a segment's label: ``(4)`` for segment 4."""
    return "" if f.number is None else f"({f.number}) "


def msc_dot(trace: list[dict], title: str = "", lang: str = "en", names: dict | None = None,
            cycle_from: int | None = None, stuck: bool = False, deviating: int | None = None) -> str:
    """DOT source of the message sequence chart of ``trace``.

    ``trace`` is what :func:`~tcpcheck.model.report.trace_json` returns (only
    ``actor``, ``kind``, ``event``, ``segment``, ``sent``, ``dropped`` and the
    endpoints' ``state`` are read); ``title`` goes on top; ``names`` head the
    lifelines (default ``{"A": "A", "B": "B"}``); ``lang`` is ``"en"`` or
    ``"zh"``.  Render it with :func:`tcpcheck.diagrams.render.render`.

    Each segment's label begins with its number, ``(1)`` for the first sent
    (the seed note's segment 1).  ``cycle_from`` is the step after which the
    trace's steps repeat for ever (a lasso: the last step comes back to the
    state of step ``cycle_from``): those steps are framed and marked so.
    ``stuck`` says the run can go no further and should have (a deadlock,
    a liveness counterexample that stops): each endpoint not CLOSED at the
    end waits "for ever" at the foot of its lifeline.  ``deviating`` is the
    number of a segment no row of the table allows (a capture's deviation,
    drawn by ``diagram trace --capture``): its arrow is red and thick, of class
    ``deviation``, and marked "no row allows this segment" where it ends.

    >>> dot = msc_dot([{"step": 0, "A": {"state": "CLOSED"}, "B": {"state": "LISTEN"}},
    ...                {"step": 1, "actor": "A", "kind": "call", "event": "active OPEN",
    ...                 "segment": None, "sent": ["<SEQ=100><CTL=SYN>"], "dropped": []}])
    >>> 'class="segment A-B in-flight", tooltip="SYN  SEQ=100"' in dot
    True
    >>> "(1) " in dot
    True
    """
    event_label("SEND", lang)  # rejects an unknown language
    if not trace:
        raise ValueError("a trace has at least its initial state")
    if cycle_from is not None and not 0 <= cycle_from < len(trace) - 1:
        raise ValueError(f"cycle_from must be a step from 0 to {len(trace) - 2}, not {cycle_from}")
    font = font_for(lang)
    names = {"A": "A", "B": "B", **(names or {})}
    n = len(trace) - 1
    flights = _flights(trace)

    # What is written beside each lifeline: the states where they change, the notes.
    states = {w: [(0, _state(trace[0], w))] for w in "AB"}
    notes: dict[str, list[tuple[int, str, str]]] = {"A": [], "B": []}
    for k, st in enumerate(trace[1:], 1):
        for w in "AB":
            s = _state(st, w)
            if s and s != states[w][-1][1]:
                states[w].append((k, s))
        note = _note(st, lang)
        if note and st.get("actor") in notes:
            notes[st["actor"]].append((k, *note))

    # The lifelines are far enough apart for the widest label, and for a label
    # on the steepest arrow to keep clear of the arrows one step above and below.
    one_line = {f.n: _width(_tag(f), FS_SEG) + _width(_flags(f.seg), FS_SEG, True)
                + _width("  " + _numbers(f.seg), FS_SEG) + 8 for f in flights}
    two_lines = {f.n: max(_width(_tag(f), FS_SEG) + _width(_flags(f.seg), FS_SEG, True),
                          _width(_numbers(f.seg), FS_SEG)) + 8 for f in flights}
    widest = max(one_line.values(), default=0.0)
    steepest = max([f.stop - f.start for f in flights if f.end == "received"] + [1])
    gap = min(max(widest + 110, steepest * widest / 1.6, MIN_GAP), MAX_GAP)
    xs = {"A": 0.0, "B": gap}
    state_w = {w: max(_width(s, FS_STATE, True) for _, s in states[w]) + 20 for w in "AB"}
    column = {w: max([state_w[w]] + [_width(t, FS_NOTE) + 2 for _, t, _ in notes[w]]) for w in "AB"}
    side = {"A": -1, "B": 1}

    head_bottom = HEAD_H / 2
    top = head_bottom + 6  # row 0; the initial states sit half a row below it

    def row(k: int) -> float:
        return top + k * ROW

    stays = [f for f in flights if f.end == "in-flight"]
    bottom = row(n) + ROW * (1.25 if stays else 0.9)

    # Where every arrow starts and ends.  A duplicate's original comes before it.
    for f in flights:
        src, dst = f.ends
        if f.origin == "send":
            f.p0 = (xs[src], row(f.start))
        elif f.origin == "earlier":
            f.p0 = (xs[src], head_bottom + 4)
        else:  # on the original, where it was copied
            (a, b), (c, d) = f.parent.p0, f.parent.p1
            y = row(f.start)
            t = (y - b) / (d - b) if d != b else 0.5
            f.p0 = (a + t * (c - a), y)
        if f.end == "received":
            f.p1 = (xs[dst], row(f.stop))
        elif f.end == "lost":
            f.p1 = (f.p0[0] + LOSS_AT * (xs[dst] - f.p0[0]), row(f.stop))
        elif f.end == "dropped":
            f.p1 = (f.p0[0] + math.copysign(STUB[0], xs[dst] - xs[src]), f.p0[1] + STUB[1])
        else:
            f.p1 = (f.p0[0] + max(0.8 - 0.12 * stays.index(f), 0.3) * (xs[dst] - f.p0[0]), bottom)

    arrows: dict[int, Line] = {f.n: (f.p0, f.p1) for f in flights}
    crosses: dict[int, list[Line]] = {}
    for f in flights:
        if f.end in ("lost", "dropped"):
            x, y = f.p1
            crosses[f.n] = [((x - CROSS, y - CROSS), (x + CROSS, y + CROSS)),
                            ((x - CROSS, y + CROSS), (x + CROSS, y - CROSS))]
    placer = _Placer(list(arrows.values()) + [s for c in crosses.values() for s in c],
                     list(arrows.values()), xs["A"] + 3, xs["B"] - 3)
    for f in flights:
        if f.origin == "duplicate":
            placer.boxes.append((f.p0[0] - 4, f.p0[1] - 4, f.p0[0] + 4, f.p0[1] + 4))
        if f.end in ("lost", "dropped"):
            x, y = f.p1
            placer.boxes.append((x - CROSS - 1, y - CROSS - 1, x + CROSS + 1, y + CROSS + 1))

    x_steps = xs["A"] - GAP - column["A"] - 16

    # A lasso's cycle: a frame round the steps that repeat, from the margin to
    # the far side of B's column, with an arrow back up and what it means on its left.
    frame = None
    if cycle_from is not None:
        first, last = cycle_from + 1, n
        words = (phrase("step {n} repeats for ever", lang).format(n=first) if first == last else
                 phrase("steps {first}-{last} repeat for ever", lang).format(first=first, last=last))
        lines = _wrap(words, FS_NOTE, 96)
        x0, x1 = x_steps - 14, xs["B"] + GAP + column["B"] + 8
        y0, y1 = row(first) - ROW * 0.29, row(last) + ROW / 2 + STATE_H / 2 + 6
        frame = (x0, y0, x1, y1, x0 - 9, lines, max(_width(t, FS_NOTE) for t in lines) + 4)

    # Labels.  First the words at crosses and open arrowheads, which must sit
    # right by their point; then the labels of dropped segments, which must
    # sit near their sender; then the others, on or beside their arrows.
    marks: dict[int, tuple[Box, str, str]] = {}
    bad = {f.n for f in flights if deviating is not None and f.number == deviating and f.origin == "send"}
    for f in flights:
        if f.end in ("lost", "in-flight"):
            word = phrase("lost", lang) if f.end == "lost" else phrase("in flight", lang)
            if f.n in bad:
                word = phrase("no row allows this segment", lang)
            w, h = _width(word, FS_SMALL) + 6, FS_SMALL * 1.3 + 2
            box = placer.around(*f.p1, w, h, CROSS + 3 if f.end == "lost" else 5)
            marks[f.n] = (box, word, RED if f.end == "lost" or f.n in bad else INK[f.way])
    line_h = FS_SEG * 1.25 + 3
    labels: dict[int, tuple[Box, str, float]] = {}
    leaders: dict[int, Line] = {}
    for f in sorted(flights, key=lambda f: (f.end != "dropped", f.n)):
        flags, numbers = _h(_flags(f.seg)), _h(_numbers(f.seg))
        if f.end == "dropped":
            word = phrase("dropped", lang)
            (x, y), sign = f.p1, 1 if f.way == "A->B" else -1
            cands = []
            for w, h, pref, lines in ((one_line[f.n], line_h + FS_SMALL * 1.3, 0, 1),
                                      (two_lines[f.n], 2 * line_h + FS_SMALL * 1.3, 10, 2)):
                w = max(w, _width(word, FS_SMALL) + 8)
                cands += [(x + sign * (CROSS + 4 + dx + w / 2), y + dy, w, h,
                           pref + 0.3 * dx + 0.4 * abs(dy), False, lines)
                          for dy in (2, h / 2 + 8, -h / 2 - 8, h + 10, -h - 10) for dx in (0, 15, 30, 50, 80)]
            box, lines = placer.best(cands)
            near = (min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3]))
            if math.hypot(near[0] - x, near[1] - y) > CROSS + 10:  # far from its cross: a leader line
                leaders[f.n] = ((x + sign * CROSS * 0.8, y + CROSS * 0.8), near)
                placer.lines.append(leaders[f.n])
            br = f'<br align="{"left" if sign > 0 else "right"}"/>'  # flush with the cross's side
            tag = _h(_tag(f))
            body = f"{tag}<b>{flags}</b>{br if lines == 2 else '  '}{numbers}" if flags else tag + numbers
            labels[f.n] = (box, f'<{body}{br}<font color="{RED}" point-size="{FS_SMALL}"><i>{_h(word)}</i></font>{br}>',
                           FS_SEG)
        elif f.origin == "duplicate":
            word = _tag(f) + phrase("duplicate", lang)
            box, _ = placer.along(arrows[f.n], [(_width(word, FS_SMALL) + 8, FS_SMALL * 1.3 + 2, 0, None)])
            labels[f.n] = (box, f"<<i>{_h(word)}</i>>", FS_SMALL)
        else:
            box, sep = placer.along(arrows[f.n], [(one_line[f.n], line_h, 0, "  "),
                                                  (two_lines[f.n], 2 * line_h - 3, 12, "<br/>")])
            labels[f.n] = (box, f"<{_h(_tag(f))}{f'<b>{flags}</b>{sep}' if flags else ''}{numbers}>", FS_SEG)

    title_lines = _wrap(title, FS_TITLE, max(xs["B"] + GAP + column["B"] - x_steps, 300))

    dot = _Dot()
    dot.raw(f"graph [layout=neato, inputscale=72, splines=line, overlap=true, outputorder=edgesfirst, "
            f"pad=0.25, bgcolor=white, fontname={_q(font)}, fontsize={FS_TITLE}"
            + (f", label={_q(chr(10).join(title_lines))}, labelloc=t" if title else "") + "];")
    dot.raw(f'node [fontname={_q(font)}, shape=point, width=0.01, height=0.01, style=invis, label=""];')
    dot.raw(f"edge [fontname={_q(font)}, headclip=false, tailclip=false, arrowhead=none];")

    dot.raw("// lifelines, and the steps down the left margin")
    for w in "AB":
        hw = max(_width(names[w], FS_HEAD, True) + 24, 64)
        dot.node(f"head{w}", (xs[w], 0), shape="box", style="filled", fillcolor=_q(HEAD_FILL),
                 color=_q(LIFELINE_INK), fixedsize="true", width=_inch(hw), height=_inch(HEAD_H), margin=0,
                 label=f"<<b>{_h(names[w])}</b>>", fontsize=FS_HEAD)
        dot.stroke(f"life{w}", (xs[w], head_bottom), (xs[w], bottom), **{"class": '"lifeline"'},
                   color=_q(LIFELINE_INK), penwidth=1.4)
    for k in range(1, n + 1):
        dot.text(f"step{k}", (x_steps, row(k)), _q(str(k)), FS_STEP, STEP_INK)

    if frame is not None:
        x0, y0, x1, y1, xa, lines, tw = frame
        dot.raw(f"// steps {cycle_from + 1}-{n} repeat for ever")
        for i, (a, b) in enumerate((((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)),
                                    ((x0, y1), (x0, y0)))):
            dot.stroke(f"cycle{i + 1}", a, b, **{"class": '"cycle"'}, color=_q(CYCLE_INK), style="dashed",
                       penwidth=1.3)
        dot.stroke("cycle_back", (xa, y1 - 4), (xa, y0 + 4), id='"cycle_back"', **{"class": '"cycle"'},
                   color=_q(CYCLE_INK), penwidth=1.6, arrowhead="normal", arrowsize=0.8)
        label = '"' + "".join(t.replace('"', '\\"') + "\\r" for t in lines) + '"'
        dot.text("cycle_note", (xa - 6 - tw / 2, (y0 + y1) / 2), label, FS_NOTE, CYCLE_INK, fixedsize="true",
                 width=_inch(tw), height=_inch(FS_NOTE * 1.3 * len(lines)))
    if stuck:
        end = trace[-1]
        for w in "AB":
            if _state(end, w) not in ("", "CLOSED"):
                dot.raw(f"// {w} waits in {_state(end, w)} for ever")
                dot.stroke(f"wait{w}", (xs[w], bottom), (xs[w], bottom + WAIT), **{"class": '"wait"'},
                           color=_q(LIFELINE_INK), style="dotted", penwidth=1.6)
                dot.text(f"wait{w}_note", (xs[w], bottom + WAIT + FS_NOTE), f"<<i>{_h(phrase('waits in {state} for ever', lang).format(state=_state(end, w)))}</i>>",
                         FS_NOTE, RED)

    dot.raw("// states and notes beside the lifelines")
    for w in "AB":
        for k, s in states[w]:
            dot.node(f"state{w}_{k}", (xs[w] + side[w] * (GAP + state_w[w] / 2), row(k) + ROW / 2), shape="box",
                     style='"rounded,filled"', fillcolor=_q(STATE_FILL), color=_q(STATE_LINE), fixedsize="true",
                     width=_inch(state_w[w]), height=_inch(STATE_H), margin=0, label=f"<<b>{_h(s)}</b>>",
                     fontsize=FS_STATE)
        x = xs[w] + side[w] * (GAP + column[w] / 2)
        flush = "\\r" if w == "A" else "\\l"  # against the lifeline
        for k, t, ink in notes[w]:
            size = FS_SMALL if ink == EVENT_INK else FS_NOTE
            dot.text(f"note{w}_{k}", (x, row(k)), '"' + t.replace('"', '\\"') + flush + '"', size, ink,
                     fixedsize="true", width=_inch(column[w]), height=_inch(size * 1.6))
            if ink != EVENT_INK:  # a call or a timeout happens here
                dot.dot(f"dot{w}_{k}", (xs[w], row(k)), ink, 5)

    dot.raw("// segments")
    for f in flights:
        src, dst = f.ends
        ink = RED if f.n in bad else INK[f.way]
        klass = (f"{'duplicate ' if f.origin == 'duplicate' else ''}segment {src}-{dst} {f.end}"
                 + (" deviation" if f.n in bad else ""))
        dot.raw(f"// {f.n}: {f.way} {segment_label(f.seg)}, {f.origin} at step {f.start}, "
                f"{f.end}{'' if f.stop is None else f' at step {f.stop}'}")
        dot.stroke(f"seg{f.n}", f.p0, f.p1, id=f'"seg{f.n}"', **{"class": _q(klass)},
                   tooltip=_q(segment_label(f.seg)), color=_q(ink), penwidth=3 if f.n in bad else 1.5,
                   arrowhead={"received": "normal", "in-flight": "empty"}.get(f.end, "none"), arrowsize=0.9,
                   **({"style": "dashed"} if f.origin == "duplicate" else {}))
        if f.origin == "duplicate":
            dot.dot(f"seg{f.n}_copy", f.p0, ink, 6)
        for i, (a, b) in enumerate(crosses.get(f.n, []), 1):
            dot.stroke(f"seg{f.n}_cross{i}", a, b, id=f'"seg{f.n}_cross{i}"', **{"class": _q(f"cross {f.end}")},
                       color=_q(RED), penwidth=2.4)
        if f.n in leaders:
            dot.stroke(f"seg{f.n}_leader", *leaders[f.n], **{"class": '"leader"'}, color=_q(RED),
                       style="dashed", penwidth=1)
        box, label, size = labels[f.n]
        dot.text(f"seg{f.n}_label", ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), label, size, ink,
                 style="filled", fillcolor='"#ffffff"', color="none", margin='"0.03,0.01"')
        if f.n in marks:
            box, word, mark_ink = marks[f.n]
            dot.text(f"seg{f.n}_note", ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), f"<<i>{_h(word)}</i>>",
                     FS_SMALL, mark_ink)
    return "digraph msc {\n" + "\n".join(dot.lines) + "\n}\n"
