"""Following a real connection through the rule table: the conformance checker.

Each observed segment must be *explained*: its sender produced it by a row of
the table, and its receiver processed it by one.  The checker keeps the set
of every *world* the trace so far allows (both endpoints' TCBs, the segments
in flight each way, the replies each endpoint still owes), and for each
observed segment keeps only the worlds in which the sender could have sent
it.  When none is left, the stack deviates there.  Nothing is guessed: where
several worlds remain, the report shows every state they allow.

How the abstract model's rows are applied to real segments, without a second
copy of the transitions:

* Arrivals go through the model's own segment semantics: ``events.classify``
  on the receiver's TCB with the real 32-bit SEQ/ACK, the real payload length
  and the receiver's real window (the one it last advertised, scaled by its
  window-scale option when both SYNs carried one, counted from RCV.NXT to the
  right edge it advertised), then ``table.lookup`` and
  ``actions.fire``, in the two stages of RFC 9293 3.10.7.4: the arrival is
  processed by ``system.process``, the function ``system.Model.receive`` is.  The model's segments never carry data and
  a FIN together; a real one that does is processed as its text and then its
  FIN (the seventh step, then the eighth).
* The TCB is the model's own :class:`~tcpcheck.model.tcb.TCB`; the actions
  are ``actions.ACTIONS`` with one concrete variant, passed where the model
  takes an action vocabulary: ``snd data`` sends the observed number of
  octets (the model's sends one) and advances SND.NXT by as many.  The ISS an
  OPEN chooses is the one the endpoint's SYN shows, and the retransmission
  budget is unbounded (real stacks give up after a time, which is the user
  timeout row).
* A sent segment is explained by: a reply the sender owes (the output of a
  row it fired on an arrival: a SYN,ACK, a reset; an owed ACK may come late
  and cover several, as RFC 9293 3.8.6.3 allows delayed ACKs); a user call
  with a row in the sender's state (active OPEN, SEND, CLOSE, ABORT, or SEND
  then CLOSE for data carrying a FIN), whose output must be the segment; a
  retransmission timeout (a segment repeating sequence space already sent);
  or a window update (a pure ACK changing only the window: outside the
  model, shown as such).  Before it, the sender may have processed segments
  in flight to it, and taken one silent step the table has a row for (CLOSE
  or ABORT that send nothing, the 2MSL timeout, the user timeout, linux's
  FIN_WAIT_2 timeout).
* The vantage point decides what may be lost: a segment seen at its sender
  (or on the path) may still be lost before its receiver; a segment seen at
  its receiver has arrived, before the receiver sent anything seen after it.
  Among the worlds that explain the whole trace, those that lose the fewest
  segments are kept: a loss is assumed only where the trace needs it.
* A reset no row of its sender sends, that its receiver must ignore (out of
  the window; in SYN-SENT without an acceptable ACK), is a stray one (spoofed,
  or from an older connection): it arrives and is ignored, never a reset.  No
  user timeout is inferred sooner than :data:`R2` into a connection.
* A checkpoint (a JSON trace's, or ``--states``) is a quiet point: what was
  sent before it has arrived or been lost, and only the worlds agreeing with
  the recorded states are kept; a recorded state none has is a
  :class:`Mismatch`.
* A capture that starts mid-connection starts from every state its first
  segments allow (:meth:`_Follower._mid_worlds`, said in the report); a
  connection on the port pair of an earlier one starts where that one left
  its endpoints (:func:`follow_all`: a new SYN reaching TIME-WAIT).
* One run (:class:`Run`, ``Result.run``): of the explanations kept, the one closest to the
  order the trace shows (replies sent as their cause arrives, arrivals, losses and silent
  steps as soon as they can have happened), step by step with one state per endpoint: what
  ``diagram trace --capture`` draws.  The report shows the union of every explanation.
* Speed: an endpoint's steps are remembered up to a shift of both sequence
  spaces (:class:`_Memo`), so connections that do the same thing are
  followed once.

Urgent data, options and windows beyond acceptability are read and shown,
not checked.  Must not import proofs/ or diagrams/.
"""

from __future__ import annotations

import bisect
import functools
import heapq
from typing import NamedTuple

from ..actions import ACTIONS, Params, fire, front_segment
from ..i18n import N_
from ..system import process
from ..table import RuleTable
from ..tcb import CLOSED_TCB, FIN_SENT, HALF, MASK, TCB, Concrete, Segment, describe_segment, seg_len
from .trace import Connection, Observed, to_segment

__all__ = ["follow", "follow_all", "actions_for", "parts", "retransmits", "Result", "Run", "Send", "Recv", "Lose",
           "Silent", "Mismatch", "Row", "Deviation", "FINISHED", "SIDES", "BUDGET", "IN_FLIGHT", "EXTRA_LOSSES", "MSL", "R2", "Reason"]

D = Concrete
SIDES = ("A", "B")

#: The retransmission budget of a real endpoint: unbounded (it gives up after a time).
BUDGET = 1 << 30

#: How many segments a receiver may send, seen after a segment to it was seen, before that
#: segment has arrived or been lost (the reordering window; ``--in-flight``): 1 is "at the
#: receiver", a larger one lets more cross on the path, and costs time with its square.
IN_FLIGHT = 4

#: How many more unseen losses than the fewest an explanation kept after a segment may
#: assume (``--extra-losses``): each lost cumulative ACK leaves its receiver's SND.UNA
#: further behind, and without a bound every such world would be kept to the end.
EXTRA_LOSSES = 2

#: The Maximum Segment Lifetime, in seconds: no segment stays in the network longer
#: (RFC 9293 3.4.1 takes 2 minutes).
MSL = 120.0

#: The least time, in seconds, after which a user timeout may end a connection: R2 "SHOULD
#: correspond to at least 100 seconds" (RFC 9293 3.8.3).  None is inferred before a
#: segment seen sooner than this after the connection's first.
R2 = 100.0

#: States in which a connection has ended for its endpoint (TIME-WAIT only waits).
FINISHED = ("CLOSED", "LISTEN", "TIME_WAIT")

#: The silent steps the follower may infer, each only where the table has a row for it in the
#: endpoint's state: "FIN_WAIT_2 timeout" is linux.rules' (an orphaned FIN_WAIT_2 ends after
#: net.ipv4.tcp_fin_timeout, a setting, so no least time is assumed); rfc9293.rules has none.
_SILENT = ("CLOSE", "ABORT", "timeout 2MSL", "user timeout", "FIN_WAIT_2 timeout")
_CALLS = ("active OPEN", "SEND", "CLOSE", "ABORT")


@functools.lru_cache(maxsize=4096)
def actions_for(n: int) -> dict:
    """The action vocabulary with ``snd data`` sending ``n`` octets (the concrete variant)."""
    base = ACTIONS["snd data"]

    def snd_data(D, t, seg, params):
        after, out = base(D, t, seg, params)
        return after._replace(snd_nxt=D.add(t.snd_nxt, n)), out._replace(len=n)

    return {**ACTIONS, "snd data": snd_data}


class World(NamedTuple):
    tcbs: tuple  # (A's TCB, B's TCB)
    flights: tuple  # (indices in flight A->B, B->A)
    owed: tuple  # per side: ((Segment, rule id, index of the arrival), ...) not yet seen
    ack_owed: tuple  # per side: (rule id, arrival index) of the latest ACK owed, or None
    lost: int


class _Node:
    """A step of a world's history; ``parents`` holds every way it was reached."""

    __slots__ = ("record", "parents", "world")

    def __init__(self, record, parents, world=None):
        self.record, self.parents, self.world = record, parents, world


class Send(NamedTuple):
    index: int
    who: int
    how: str  # "reply", "late ACK", a user call, "retransmission timeout", "window update"
    rules: tuple
    cause: int | None  # the arrival a reply answers
    state: str


class Recv(NamedTuple):
    index: int
    who: int
    events: str
    rules: tuple
    state: str
    owes: tuple  # what the rows sent in reply (segments)


class Lose(NamedTuple):
    index: int


class Silent(NamedTuple):
    who: int
    event: str
    rule: int
    before: int  # the index of the segment it came before
    state: str


class Reason(NamedTuple):
    """Why a connection is incomplete: an English template (translated where it is said)
    and its values; ``str()`` is the English."""

    template: str
    values: dict

    def __str__(self) -> str:
        return self.template.format(**self.values)


class Row(NamedTuple):
    """One segment of a connection as the report shows it."""

    index: int
    obs: Observed
    who: str
    explained: tuple  # (how, rule ids, cause index) for each way it was sent
    sender_states: tuple
    received: tuple  # (events, rule ids, state) for each way it was received
    lost: bool  # some kept world loses it
    arrived: bool  # some kept world delivers it


class Deviation(NamedTuple):
    index: int
    who: str
    states: tuple  # the sender's possible states there
    allowed: tuple  # (what the row is, segment it would send, rule ids) per row that could fire


class Mismatch(NamedTuple):
    """A recorded state (a checkpoint of the trace or of ``--states``) that no world the
    trace allows has there: after packet ``after`` (the connection's segment ``index``),
    ``side`` was recorded in ``recorded``; the trace allows only ``inferred``."""

    after: int
    index: int
    side: str
    recorded: str
    inferred: tuple


class Run(NamedTuple):
    """One explanation of a whole connection: a single run of the two endpoints that the
    trace allows (of the fewest unseen events), where the report shows the union of all.
    ``start`` is both endpoints' states before it, ``steps`` its :class:`Send`,
    :class:`Recv`, :class:`Lose` and :class:`Silent` records in the order they happen
    (a deviating connection's run stops before the segment no row allows)."""

    start: tuple  # (A's state, B's state)
    steps: tuple


class Result(NamedTuple):
    conn: Connection
    verdict: str  # "conforms", "deviates", "incomplete"
    reasons: tuple
    rows: tuple
    deviation: Deviation | None
    inferred: tuple  # (who, event, before segment index), sorted
    final: dict  # side -> possible states at the end
    checkpoints: tuple  # (after packet number, {side: states with the network quiet, agreeing with the record})
    vantage: str
    notes: tuple
    bounds: tuple = (IN_FLIGHT, EXTRA_LOSSES)  # (in_flight, extra_losses) it was followed with
    mismatches: tuple = ()  # Mismatch of each recorded state the trace does not allow
    tcbs: tuple = ()  # (A's TCB, B's TCB) of each world kept at the end
    run: Run | None = None  # one explanation of the whole connection (the first world kept)

    @property
    def deviates_at(self) -> int | None:
        """The index of the first segment after which the connection deviates: a segment no
        row allows, or a recorded state no world has."""
        at = [m.index for m in self.mismatches] + ([self.deviation.index] if self.deviation else [])
        return min(at) if at else None


def parts(seg: Segment) -> tuple:
    """A real segment as the model's segments: data and FIN, then its FIN alone."""
    if seg.FIN and seg.len and not seg.RST:
        return (seg._replace(FIN=False), seg._replace(seq=D.add(seg.seq, seg.len), len=0))
    return (seg,)


def _same(a: Segment, b: Segment) -> bool:
    return (a.SYN == b.SYN and a.FIN == b.FIN and a.RST == b.RST and a.ACK == b.ACK and a.seq == b.seq
            and (not a.ACK or a.ack == b.ack) and a.len == b.len)


def retransmits(t: TCB, s: Segment) -> bool:
    """Whether ``s`` repeats sequence space ``t`` has sent and not had acknowledged,
    as the front of its retransmission queue (actions.front_segment) describes it."""
    if s.RST or t.snd_una == t.snd_nxt:
        return False
    front = front_segment(D, t)
    if s.SYN != front.SYN or s.SYN and (s.seq != front.seq or s.ACK != front.ACK or s.ACK and s.ack != front.ack):
        return False
    if s.SYN:
        return s.len == 0 and not s.FIN
    end = D.add(s.seq, seg_len(s))
    if not (D.ule(D.sub(s.seq, t.snd_una), D.sub(t.snd_nxt, t.snd_una))
            and D.ule(D.sub(end, t.snd_una), D.sub(t.snd_nxt, t.snd_una))):
        return False
    if s.FIN and not (t.state in FIN_SENT and end == t.snd_nxt):
        return False
    return s.ACK and s.ack == t.rcv_nxt and (seg_len(s) > 0)


class _Follower:
    def __init__(self, conn: Connection, table: RuleTable, vantage: str, in_flight: int = IN_FLIGHT,
                 extra_losses: int = EXTRA_LOSSES):
        self.conn, self.table, self.vantage = conn, table, vantage
        self.obs = conn.segments
        self.segs = [to_segment(o) for o in self.obs]
        self.who = [0 if o.src == conn.a else 1 for o in self.obs]
        iss = [0, 0]
        found = [False, False]
        for o, w in zip(self.obs, self.who):
            if o.SYN and not found[w]:
                iss[w], found[w] = o.seq, True
        self.params = tuple(Params(i, BUDGET) for i in iss)
        self.first = [next((i for i, w in enumerate(self.who) if w == k), len(self.who)) for k in (0, 1)]
        self.windows = self._windows()
        # which side's segments are seen where they arrive (never lost, arrive before the
        # receiver sends again): the receiver's, when the capture was taken at it
        self.at = {"a": 0, "b": 1}.get(vantage)
        self.in_flight, self.extra_losses = in_flight, extra_losses
        self.oldest = self._oldest(in_flight)
        self.last_not_rst = [max((i for i, w in enumerate(self.who) if w == k and not self.segs[i].RST),
                                 default=-1) for k in (0, 1)]
        self.closed_sends_resets_only = _closed_sends_resets_only(table)
        # memos of the steps that depend only on a TCB and the segment (not on the rest of a world)
        self._received: dict = {}
        self._silents: dict = {}
        self._steps: dict = {}
        self.memo = _memo(table)
        self.points: dict = {}  # segment index -> [(after packet, recorded states)] of the checkpoints there
        self.mismatches: list = []
        self.point_states: dict = {}  # (segment index, k) -> {side: states} at its k-th checkpoint met

    def _oldest(self, n: int) -> list:
        """For each index j, the oldest segment of the other side that may still be in flight
        to j's sender when it sends j: one it has sent ``n`` segments since (``n`` - 1 before
        j), one seen more than an MSL before j, or (seen at j's sender) any, has arrived or
        been lost before."""
        out = []
        sent: list = [[], []]
        latest, high = [], float("-inf")
        for o in self.obs:
            high = max(high, o.time)
            latest.append(high)
        for j, who in enumerate(self.who):
            mine = sent[who]
            mine.append(j)
            limit = j if self.at == who else mine[-n] if len(mine) >= n else 0
            limit = max(limit, bisect.bisect_left(latest, self.obs[j].time - MSL))
            out.append(limit)
        return out

    def _windows(self) -> list:
        """For each index, each side's window's right edge as advertised before that segment
        (and, last, after them all)."""
        scale = [0, 0]
        syn_ws = [None, None]
        for o, w in zip(self.obs, self.who):
            if o.SYN and syn_ws[w] is None:
                syn_ws[w] = o.option("wscale")
        if syn_ws[0] is not None and syn_ws[1] is not None:
            scale = [min(int(syn_ws[0]), 14), min(int(syn_ws[1]), 14)]
        elif self.conn.starts_mid:
            # a SYN that said the scale was not captured: the largest (RFC 7323 2.3), unless the
            # other side's SYN,ACK says there was none (it carries the option only if the SYN did)
            seen = [any(o.SYN for o, w in zip(self.obs, self.who) if w == k) for k in (0, 1)]
            if not any(seen):
                scale = [14, 14]
            elif any(syn_ws):
                scale = [min(int(syn_ws[k]), 14) if seen[k] else 14 for k in (0, 1)]
        cur = [None, None]
        out = []
        for o, w in zip(self.obs, self.who):
            out.append((cur[0], cur[1]))
            if o.ACK:  # the window's right edge: SEG.ACK + SEG.WND (RFC 9293 3.3.1, Figure 4)
                cur[w] = D.add(o.ack, o.window if o.SYN else o.window << scale[w])
        out.append((cur[0], cur[1]))
        return out

    def _window(self, now: int, to: int, t: TCB, seg: Segment) -> int:
        """RCV.WND of ``to`` when ``seg`` arrives: from RCV.NXT to the right edge it last
        advertised (65535 before it advertised one).  A zero window still accepts a
        segment of length zero at RCV.NXT (RFC 9293 3.10.7.4, Table 6)."""
        edge = self.windows[now][to]
        wnd = 65535 if edge is None else D.sub(edge, t.rcv_nxt)
        if wnd >= HALF:  # the edge is behind RCV.NXT: nothing more fits
            wnd = 0
        return wnd if wnd or seg_len(seg) else 1

    # --- steps of one world ---------------------------------------------------------

    def _deliver(self, w: World, to: int, now: int):
        """The head of the flight to ``to`` arrives: (world, record)."""
        frm = 1 - to
        j = w.flights[frm][0]
        t = w.tcbs[to]
        key = (to, j, now, t)
        done = self._received.get(key)
        if done is None:
            seg = self.segs[j]
            if seg.FIN and seg.len and not seg.RST:  # two parts, the second's window after the first
                outs, rules, events = [], [], []
                for part in parts(seg):
                    p = process(self.table, ACTIONS, t, part, self._window(now, to, t, part), self.params[to])
                    t = p.tcb
                    outs += zip(p.sent, p.senders)
                    rules += p.rules
                    events += p.events
                done = (t, tuple(outs), tuple(rules), "; ".join(events))
            else:
                done = self.memo.arrival(t, seg, self._window(now, to, t, seg), self.params[to])
            self._received[key] = done
        t, outs, rules, events = done
        owed, ack_owed = w.owed[to], w.ack_owed[to]
        for seg, rule in outs:
            if seg.ACK and not (seg.SYN or seg.FIN or seg.RST or seg.len):
                ack_owed = (rule, j)
            else:
                owed = owed + ((seg, rule, j),)
        flights = (w.flights[0][1:], w.flights[1]) if frm == 0 else (w.flights[0], w.flights[1][1:])
        w2 = World(_put(w.tcbs, to, t), flights, _put(w.owed, to, owed), _put(w.ack_owed, to, ack_owed), w.lost)
        return w2, Recv(j, to, events, rules, t.state, tuple(x for x, _ in outs))

    def _lose(self, w: World, frm: int):
        flights = list(w.flights)
        j = flights[frm][0]
        flights[frm] = flights[frm][1:]
        return w._replace(flights=tuple(flights), lost=w.lost + 1), Lose(j)

    def _silent(self, w: World, who: int, before: int):
        """Steps the table allows that send nothing: (world, record) each."""
        t = w.tcbs[who]
        steps = self._silents.get((who, t))
        if steps is None:
            steps = self._silents[(who, t)] = self.memo.silent(t, self.params[who])
        out = []
        for event, rule, after in steps:
            if event == "user timeout" and self.obs[before].time - self.obs[0].time < R2:
                continue  # no user timeout fires this early in a connection
            if after.state == "CLOSED" and self.closed_sends_resets_only and self.last_not_rst[who] >= before:
                continue  # a CLOSED endpoint (that cannot OPEN again) sends only resets: it did not end here
            w2 = w._replace(tcbs=_put(w.tcbs, who, after))
            if after.state == "CLOSED":
                w2 = w2._replace(owed=_put(w2.owed, who, ()), ack_owed=_put(w2.ack_owed, who, None))
            out.append((w2, Silent(who, event, rule, before, after.state)))
        return out

    def _losable(self, frm: int) -> bool:
        """Whether a segment from ``frm`` seen in the trace may be lost after it was seen."""
        return self.at != 1 - frm

    def _closure(self, w: World, node: _Node, who: int, now: int, silent: bool = True):
        """The worlds ``who`` may be in before it sends segment ``now``: segments in
        flight to it arrive or are lost, and at most one silent step of its own."""
        frm = 1 - who
        out = []
        # fewest losses first: a world reached again with more losses than before is not
        # explored again (one reached with as many is: its history is another explanation)
        # (popped in order of losses, the first of equal worlds but their losses has the fewest;
        # one with as many is the same world)
        stack = [(w.lost, 0, w, node, False)]
        seen = set()
        count = 0
        pop, push = heapq.heappop, heapq.heappush
        while stack:
            _lost, _, x, n, silent_done = pop(stack)
            key = (x[:4], silent_done)
            if key in seen:
                continue
            seen.add(key)
            pending = x.flights[frm]
            if not pending or pending[0] >= self.oldest[now]:
                out.append((x, n))
            steps = []
            if x.flights[frm]:
                steps.append((*self._deliver(x, who, now), silent_done))
                if self._losable(frm):
                    steps.append((*self._lose(x, frm), silent_done))
            if silent and not silent_done:
                steps.extend((y, rec, True) for y, rec in self._silent(x, who, now))
            for y, rec, done in steps:
                count += 1
                push(stack, (y.lost, count, y, _Node(rec, [n]), done))
        return out

    def _emits(self, w: World, who: int, j: int):
        """The ways ``who`` in world ``w`` sends segment ``j``: (world, record) each."""
        s = self.segs[j]
        t = w.tcbs[who]
        found = []  # (tcb, owed replies skipped, owed replies left, ack_owed, how, rules, cause)
        owed = w.owed[who]
        for i, (seg, rule, cause) in enumerate(owed):
            if _same(seg, s):
                found.append((t, i, owed[i + 1:], w.ack_owed[who], "reply" if cause is not None else
                              "before the capture", (rule,) if rule is not None else (), cause))
                break
        pure_ack = s.ACK and not (s.SYN or s.FIN or s.RST or s.len)
        if pure_ack and s.seq == t.snd_nxt and s.ack == t.rcv_nxt and t.state != "CLOSED":
            if w.ack_owed[who] is not None:
                rule, cause = w.ack_owed[who]
                how = "before the capture" if cause is None else "late ACK" if cause != self._last_in(who, j) \
                    else "reply"
                found.append((t, len(owed), (), None, how, (rule,) if rule is not None else (), cause))
            elif j and self._window_changed(who, j):
                found.append((t, len(owed), (), None, "window update", (), None))
        for after, event, rules in self._own_steps(t, who, j):
            found.append((after, len(owed), (), w.ack_owed[who], event, rules, None))
        out = []
        for after, skipped, owed2, ack_owed, how, rules, cause in found:
            # the replies owed before this segment were sent before it (a stack sends a reply as
            # it processes the arrival): unseen, they were lost before the capture point, which
            # cannot be at their sender
            if skipped and self.at == who:
                continue
            if s.ACK and s.ack == after.rcv_nxt:
                ack_owed = None  # this segment acknowledges everything received: no ACK is owed any more
            flights = (w.flights[0] + (j,), w.flights[1]) if who == 0 else (w.flights[0], w.flights[1] + (j,))
            w2 = World(_put(w.tcbs, who, after), flights, _put(w.owed, who, owed2),
                       _put(w.ack_owed, who, ack_owed), w.lost + skipped)
            out.append((w2, Send(j, who, how, tuple(rules), cause, after.state)))
        return out

    def _stray(self, w: World, who: int, j: int):
        """A reset no row of ``who`` sends (spoofed, or from an older connection on the same
        ports) that its receiver must ignore (RFC 9293 3.10.7.3, 3.10.7.4 first and second;
        RFC 5961 3): followed as arriving where it was seen and ignored (the receiver's TCB
        unchanged; a challenge ACK it owes is kept), never as a reset.  (world, (Send, Recv))."""
        to, t = 1 - who, w.tcbs[1 - who]
        head = ((j,) + w.flights[0], w.flights[1]) if who == 0 else (w.flights[0], (j,) + w.flights[1])
        w2, rec = self._deliver(w._replace(flights=head), to, j)
        if w2.tcbs[to] != t:
            return []
        return [(w2, (Send(j, who, "stray", (), None, w.tcbs[who].state), rec))]

    def _own_steps(self, t: TCB, who: int, j: int) -> list:
        """(TCB after, event, rule ids) of each user call or retransmission timeout of
        ``who`` in ``t`` that sends exactly segment ``j``."""
        key = (who, t, j)
        steps = self._steps.get(key)
        if steps is None:
            # one OPEN per endpoint and connection: a later one is a new connection (trace.split)
            steps = self._steps[key] = self.memo.own(t, self.segs[j], self.params[who], self.first[who] >= j)
        return steps

    def _last_in(self, who: int, j: int):
        """The index of the last segment to ``who`` before ``j`` (a reply to it is not late)."""
        for i in range(j - 1, -1, -1):
            if self.who[i] != who:
                return i
        return None

    def _window_changed(self, who: int, j: int) -> bool:
        for i in range(j - 1, -1, -1):
            if self.who[i] == who:
                return self.obs[i].window != self.obs[j].window
        return False

    # --- the whole connection ---------------------------------------------------------

    def _mid_worlds(self) -> list:
        """The worlds a connection whose first segments were not captured may start in: both
        endpoints synchronized (ESTABLISHED, or one's FIN sent and acknowledged) with nothing in
        flight, SND.UNA = SND.NXT and RCV.NXT taken from the first segment (its SEQ and ACK; a
        first segment without ACK takes the other side's first SEQ), and either side may owe an
        ACK for what came before; or, when the first segment is a SYN,ACK, its sender in
        SYN_RCVD owing it and the other side in SYN_SENT."""
        s, x = self.segs[0], self.who[0]
        y = 1 - x
        first_y = next((self.segs[i] for i, w in enumerate(self.who) if w == y), None)
        theirs = s.ack if s.ACK else first_y.seq if first_y is not None else 0
        out = []
        if s.SYN and s.ACK and not s.RST:
            rule = self.table.lookup("LISTEN", "rcv SYN", True)
            tx = TCB("SYN_RCVD", s.seq, D.sub(s.ack, 1), s.seq, D.add(s.seq, 1), s.ack, True, BUDGET)
            ty = TCB("SYN_SENT", D.sub(s.ack, 1), 0, D.sub(s.ack, 1), s.ack, 0, False, BUDGET)
            owed = ((s, rule.id if rule is not None else None, None),)
            tcbs, owes = ((tx, ty), (owed, ())) if x == 0 else ((ty, tx), ((), owed))
            out.append(World(tcbs, ((), ()), owes, (None, None), 0))
            return out
        for sx, sy in (("ESTABLISHED", "ESTABLISHED"), ("FIN_WAIT_2", "CLOSE_WAIT"), ("CLOSE_WAIT", "FIN_WAIT_2")):
            tx = TCB(sx, D.sub(s.seq, 1), D.sub(theirs, 1), s.seq, s.seq, theirs, False, BUDGET)
            ty = TCB(sy, D.sub(theirs, 1), D.sub(s.seq, 1), theirs, theirs, s.seq, False, BUDGET)
            tcbs = (tx, ty) if x == 0 else (ty, tx)
            out.append(World(tcbs, ((), ()), ((), ()), ((None, None), (None, None)), 0))
        return out

    def _worlds_after(self, before) -> dict:
        """The worlds a connection on the port pair of ``before`` (the Result of the one before
        it) starts in: each endpoint as that one left it, unless CLOSED (then CLOSED, and B
        may have OPENed passively again); an endpoint in TIME_WAIT gets the new SYN there."""
        same = before.conn.a == self.conn.a
        listen = self.table.lookup("CLOSED", "passive OPEN", False)
        worlds: dict = {}
        for pair in before.tcbs:
            pair = pair if same else pair[::-1]
            options = []
            for k, t in enumerate(pair):
                here = [(t, None)] if t.state != "CLOSED" else [(CLOSED_TCB, None)]
                if t.state == "CLOSED" and k == 1 and listen is not None:
                    b, _ = fire(D, ACTIONS, listen, CLOSED_TCB, None, self.params[1])
                    here.append((b, listen.id))
                options.append(here)
            for (ta, _ra), (tb, rb) in ((x, y) for x in options[0] for y in options[1]):
                w = World((ta, tb), ((), ()), ((), ()), (None, None), 0)
                root = _Node(None, [], w if rb is None else w._replace(tcbs=(ta, CLOSED_TCB)))
                node = root if rb is None else _Node(Silent(1, "passive OPEN", rb, 0, tb.state), [root])
                worlds.setdefault(w[:4], (w, node))
        return worlds

    def run(self, before=None):
        """(the worlds kept at the end, the nodes of their histories, the Deviation or None).
        The root of each history (a node without parents) holds its initial world."""
        if before is not None and before.tcbs:
            worlds = self._worlds_after(before)
            self.initial = list(worlds.values())
            return self._run(worlds)
        if self.conn.starts_mid:
            worlds = {}
            for w in self._mid_worlds():
                worlds[w[:4]] = (w, _Node(None, [], w))
            self.initial = list(worlds.values())
            return self._run(worlds)
        init_a = World((CLOSED_TCB, CLOSED_TCB), ((), ()), ((), ()), (None, None), 0)
        start = _Node(None, [], init_a)
        worlds = {init_a[:4]: (init_a, start)}
        listen = self.table.lookup("CLOSED", "passive OPEN", False)
        if listen is not None:
            b, _ = fire(D, ACTIONS, listen, CLOSED_TCB, None, self.params[1])
            w = init_a._replace(tcbs=(CLOSED_TCB, b))
            worlds[w[:4]] = (w, _Node(Silent(1, "passive OPEN", listen.id, 0, b.state), [start]))
        self.initial = list(worlds.values())
        return self._run(worlds)

    def _run(self, worlds: dict):
        self.peak = len(worlds)  # the most worlds kept after a segment
        for j in range(len(self.obs)):
            who = self.who[j]
            nxt: dict = {}
            for w, node in worlds.values():
                for c, cn in self._closure(w, node, who, j):
                    for w2, rec in self._emits(c, who, j):
                        _add(nxt, w2, _Node(rec, [cn], w2))
            if not nxt and self.segs[j].RST:
                for w, node in worlds.values():
                    for c, cn in self._closure(w, node, who, j):
                        for w2, recs in self._stray(c, who, j):
                            _add(nxt, w2, _Node(recs[1], [_Node(recs[0], [cn], w2)], w2))
            if not nxt:
                dev = self._deviation(worlds, j)
                return (*self._finish(worlds, dev), dev)
            fewest = min(w.lost for w, _ in nxt.values())
            worlds = {k: v for k, v in nxt.items() if v[0].lost <= fewest + self.extra_losses}
            for k, (after, recorded) in enumerate(self.points.get(j, ())):
                worlds = self._checkpoint(worlds, j, k, after, recorded)
            self.peak = max(self.peak, len(worlds))
        return (*self._finish(worlds, None), None)

    def _checkpoint(self, worlds: dict, j: int, k: int, after: int, recorded: dict) -> dict:
        """Checkpoint ``k`` after segment ``j``: the states were recorded with the network quiet,
        every segment sent having arrived or been lost, so only the worlds that settle so and
        agree with ``recorded`` are kept.  Where none does and a segment follows, an endpoint
        whose recorded state differs may have taken one silent step the table has a row for
        before the record (a timer that expired while nothing was sent: linux's FIN_WAIT_2
        timeout between two checkpoints at one packet), assumed only where the record needs it.
        When still none does, the recorded state is a :class:`Mismatch` and the worlds are kept
        as they were."""
        settled: dict = {}
        for w, node in worlds.values():
            for x, n in self._quiet(w, node, j + 1):
                _add(settled, x, n)

        def agreeing(candidates):
            return {key: v for key, v in candidates.items()
                    if all(v[0].tcbs[SIDES.index(side)].state == st for side, st in recorded.items())}

        agree = agreeing(settled)
        allowed = {side: tuple(sorted({v[0].tcbs[i].state for v in settled.values()})) for i, side in enumerate(SIDES)}
        if not agree and j + 1 < len(self.obs):
            stepped: dict = {}
            for x, n in settled.values():
                ways = [(x, n)]
                for i, side in enumerate(SIDES):  # each side recorded in another state takes its step
                    if side in recorded:
                        ways = [way for y, m in ways for way in (
                            [(y, m)] if y.tcbs[i].state == recorded[side] else
                            [(z, _Node(rec, [m], z)) for z, rec in self._silent(y, i, j + 1)])]
                for y, m in ways:
                    _add(stepped, y, m)
            agree = agreeing(stepped)
            for i, side in enumerate(SIDES):
                allowed[side] = tuple(sorted(set(allowed[side]) | {v[0].tcbs[i].state for v in stepped.values()}))
        if not agree:
            # a state no world has, or (each allowed alone) the first side's
            bad = [side for side, st in recorded.items() if st not in allowed[side]] or list(recorded)[:1]
            self.mismatches.extend(Mismatch(after, j, side, recorded[side], allowed[side]) for side in bad)
        self.point_states[(j, k)] = {side: tuple(sorted({v[0].tcbs[i].state for v in (agree or settled).values()}))
                                     for i, side in enumerate(SIDES)}
        return agree or worlds

    def _quiet(self, w: World, node: _Node, now: int) -> list:
        """Every way the segments in flight each way end (arrive, or are lost where they may
        be), in every order: (world, node) with nothing in flight."""
        out, stack, seen = [], [(w, node)], set()
        while stack:
            x, n = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            if not x.flights[0] and not x.flights[1]:
                out.append((x, n))
                continue
            for frm in (0, 1):
                if x.flights[frm]:
                    y, rec = self._deliver(x, 1 - frm, now)
                    stack.append((y, _Node(rec, [n], y)))
                    if self._losable(frm):
                        y, rec = self._lose(x, frm)
                        stack.append((y, _Node(rec, [n], y)))
        return out

    def _settle(self, w: World, node: _Node, now: int, lossy: bool = True):
        """Every way the segments still in flight end: they arrive (or, when ``lossy``,
        are lost where that is possible; a receiver that saw them arrive cannot have lost them)."""
        out = []
        stack = [(w, node)]
        while stack:
            x, n = stack.pop()
            moved = False
            for frm in (0, 1):
                if x.flights[frm]:
                    y, rec = self._deliver(x, 1 - frm, now)
                    stack.append((y, _Node(rec, [n], y)))
                    if lossy and self._losable(frm):
                        y, rec = self._lose(x, frm)
                        stack.append((y, _Node(rec, [n], y)))
                    moved = True
                    break
            if not moved:
                out.append((x, n))
        return out

    def _finish(self, worlds: dict, deviation: Deviation | None):
        now = len(self.obs)
        final: dict = {}
        for w, node in worlds.values():
            if deviation is not None:
                _add(final, w, node)
                continue
            for x, n in self._settle(w, node, now):
                _add(final, x, n)
        # the explanations that assume the fewest unseen events: segments lost, replies never sent
        cost = {k: w.lost + len(w.owed[0]) + len(w.owed[1]) for k, (w, _) in final.items()}
        best = min(cost.values())
        kept = [final[k] for k in final if cost[k] == best]
        reach = _reachable([n for _, n in kept])
        return kept, reach

    def _deviation(self, worlds: dict, j: int):
        who = self.who[j]
        states, allowed = set(), {}
        for w, node in worlds.values():
            states.update(c.tcbs[who].state for c, _ in self._closure(w, node, who, j, silent=False))
            for c, _ in self._closure(w, node, who, j):
                t = c.tcbs[who]
                for seg, rule, cause in c.owed[who]:
                    allowed.setdefault(("reply", describe_segment(seg)), set()).update({rule} - {None})
                if c.ack_owed[who] is not None and t.state != "CLOSED":  # as _emits: no ACK from CLOSED
                    allowed.setdefault(("reply", describe_segment(
                        Segment(False, True, False, False, t.snd_nxt, t.rcv_nxt))), set()).update(
                        {c.ack_owed[who][0]} - {None})
                for event in _CALLS + ("retransmission timeout",):
                    rule = self.table.lookup(t.state, event, t.passive)
                    if rule is None:
                        continue
                    params = Params(self.segs[j].seq, BUDGET) if event == "active OPEN" else self.params[who]
                    n = self.segs[j].len or 1
                    _, sent = fire(D, actions_for(n), rule, t, None, params)
                    text = "; ".join(describe_segment(x) for x in sent) or "nothing"
                    allowed.setdefault((event, text), set()).add(rule.id)
        return Deviation(j, SIDES[who], tuple(sorted(states)),
                         tuple((k[0], k[1], tuple(sorted(v))) for k, v in sorted(allowed.items())))


# --- the steps of one endpoint, remembered up to a shift of the sequence spaces -----------

def _arrival(table: RuleTable, t: TCB, seg: Segment, wnd: int, params: Params) -> tuple:
    """(TCB after, ((segment sent, rule id), ...), rule ids, events) of ``seg`` arriving at ``t``."""
    p = process(table, ACTIONS, t, seg, wnd, params)
    return p.tcb, tuple(zip(p.sent, p.senders)), p.rules, "; ".join(p.events)


def _silent_steps(table: RuleTable, t: TCB, params: Params) -> tuple:
    """(event, rule id, TCB after) of each step the table allows ``t`` that sends nothing."""
    steps = []
    for event in _SILENT:
        if event == "user timeout" and t.snd_una == t.snd_nxt:
            continue
        rule = table.lookup(t.state, event, t.passive)
        if rule is None:
            continue
        after, sent = fire(D, ACTIONS, rule, t, None, params)
        if not sent:
            steps.append((event, rule.id, after))
    return tuple(steps)


def _own_steps(table: RuleTable, t: TCB, s: Segment, params: Params, may_open: bool) -> tuple:
    """(TCB after, event, rule ids) of each user call or retransmission timeout of an
    endpoint in ``t`` that sends exactly ``s`` (an active OPEN only when ``may_open``)."""
    steps = [(after, event, rules) for event in _CALLS
             for after, rules in _call(table, t, event, s, params, may_open)]
    rule = table.lookup(t.state, "retransmission timeout", t.passive)
    if rule is not None and retransmits(t, s):
        after, _ = fire(D, ACTIONS, rule, t, None, params)
        # the budget is unbounded: spending one of it changes nothing (and would keep
        # apart worlds that differ only there)
        steps.append((after._replace(budget=t.budget), "retransmission timeout", (rule.id,)))
    return tuple(steps)


def _call(table: RuleTable, t: TCB, event: str, s: Segment, params: Params, may_open: bool):
    """(TCB after, rule ids) when the user call ``event`` sends exactly ``s``."""
    if event == "active OPEN":
        if t != CLOSED_TCB or not s.SYN or s.ACK or not may_open:
            return []
        params = Params(s.seq, BUDGET)
    rule = table.lookup(t.state, event, t.passive)
    if rule is None:
        return []
    if event == "SEND" and s.FIN and s.len and "snd data" in rule.actions:
        after, sent = fire(D, actions_for(s.len), rule, t, None, params)
        close = table.lookup(after.state, "CLOSE", after.passive)
        if close is None or len(sent) != 1:
            return []
        after2, fin = fire(D, ACTIONS, close, after, None, params)
        if len(fin) == 1 and fin[0].FIN and fin[0].seq == D.add(sent[0].seq, s.len) \
                and _same(sent[0]._replace(FIN=True), s):
            return [(after2, (rule.id, close.id))]
        return []
    n = s.len if "snd data" in rule.actions else 1
    if "snd data" in rule.actions and not s.len:
        return []
    after, sent = fire(D, actions_for(n), rule, t, None, params)
    if len(sent) == 1 and _same(sent[0], s):
        return [(after, (rule.id,))]
    return []


# the positions of the sequence numbers in a TCB, a segment and the parameters (checked below)
assert TCB._fields[:6] == ("state", "iss", "irs", "snd_una", "snd_nxt", "rcv_nxt")
assert Segment._fields[:6] == ("SYN", "ACK", "FIN", "RST", "seq", "ack") and Params._fields[0] == "iss"
_new = tuple.__new__


def _tcb_by(t: TCB, x: int, y: int) -> TCB:
    """``t`` with its own sequence space moved by ``x`` and its peer's by ``y`` (CLOSED's
    TCB, all zero, is one and the same everywhere)."""
    if t == CLOSED_TCB:
        return t
    return _new(TCB, (t[0], (t[1] + x) & MASK, (t[2] + y) & MASK, (t[3] + x) & MASK, (t[4] + x) & MASK,
                      (t[5] + y) & MASK) + t[6:])


def _seg_by(s: Segment, x: int, y: int) -> Segment:
    """A segment SENT by the endpoint whose spaces move by (``x``, ``y``): its SEQ is in the
    endpoint's own space, its ACK (when the ACK bit is on) in the peer's."""
    return _new(Segment, s[:4] + ((s[4] + x) & MASK, (s[5] + y) & MASK if s[1] else s[5]) + s[6:])


def _arriving_by(s: Segment, x: int, y: int) -> Segment:
    """A segment ARRIVING at the endpoint whose spaces move by (``x``, ``y``): its SEQ is in
    the peer's space, its ACK (whatever the ACK bit) in the endpoint's own."""
    return _new(Segment, s[:4] + ((s[4] + y) & MASK, (s[5] + x) & MASK) + s[6:])


def _params_by(p: Params, x: int) -> Params:
    return _new(Params, ((p[0] + x) & MASK,) + p[1:])


#: The shift of both sequence spaces a remembered step is tried again at, before it is trusted.
_PROBE = (0x6A09E667, 0xBB67AE85)


class _Memo:
    """The steps of one endpoint (an arrival, its silent steps, its own sends), remembered
    across worlds and connections up to a shift of the two sequence spaces.

    What a step does depends on differences of sequence numbers (RFC 1982 serial
    arithmetic, offsets from RCV.NXT and SND.UNA), so a step is remembered in the frame
    of the TCB's ISS and IRS and reused by any TCB and segment equal to it in that frame:
    the thousand connections of a capture that do the same thing are followed once.  That
    is a property of the steps, not assumed: a kind of step (its state and the rows it
    fires) is remembered only after it gave the same answer, in its frame, with both spaces
    moved by :data:`_PROBE`, on its first :attr:`TRUST` occurrences; a step that depends on an
    absolute number (the ``<SEQ=0>`` reset, a fresh TCB's zeros) fails that and is always
    computed."""

    TRUST = 2
    LIMIT = 1 << 18

    def __init__(self, table: RuleTable):
        self.table = table
        self.kept: dict = {}
        self.trusted: dict = {}  # kind of step -> times confirmed, or -1 when a shift changed it

    def _get(self, key, compute, frame, norm, signature):
        """The step's answer: remembered under ``key`` (inputs in the frame), or computed."""
        have = self.kept.get(key)
        if have is not None and self.trusted.get(have[0], -1) >= self.TRUST:
            return norm(have[1], *frame, -1)
        x, y = frame
        answer = compute(0, 0)
        sig = signature(answer)
        seen = self.trusted.get(sig, 0)
        if seen < 0:
            return answer
        here = norm(answer, x, y, 1)
        if seen < self.TRUST:
            moved = compute(*_PROBE)
            if norm(moved, (x + _PROBE[0]) & MASK, (y + _PROBE[1]) & MASK, 1) != here:
                self.trusted[sig] = -1
                return answer
            self.trusted[sig] = seen + 1
        if len(self.kept) >= self.LIMIT:
            self.kept.clear()
        self.kept[key] = (sig, here)
        return answer

    @staticmethod
    def _frame(t: TCB) -> tuple:
        return (0, 0) if t == CLOSED_TCB else (t.iss, t.irs)

    def arrival(self, t: TCB, seg: Segment, wnd: int, params: Params) -> tuple:
        x, y = self._frame(t)
        # an arriving segment's SEQ is in the peer's space, its ACK in the receiver's own
        key = ("arrival", _tcb_by(t, -x, -y), _arriving_by(seg, -x, -y), wnd, _params_by(params, -x))

        def compute(dx, dy):
            return _arrival(self.table, _tcb_by(t, dx, dy), _arriving_by(seg, dx, dy), wnd, _params_by(params, dx))

        def norm(a, x, y, sign):
            x, y = (-x, -y) if sign > 0 else (x, y)
            return (_tcb_by(a[0], x, y), tuple((_seg_by(g, x, y), r) for g, r in a[1]), a[2], a[3])

        return self._get(key, compute, (x, y), norm, lambda a: ("arrival", t.state, a[2], a[3]))

    def silent(self, t: TCB, params: Params) -> tuple:
        x, y = self._frame(t)
        key = ("silent", _tcb_by(t, -x, -y), _params_by(params, -x))

        def compute(dx, dy):
            return _silent_steps(self.table, _tcb_by(t, dx, dy), _params_by(params, dx))

        def norm(a, x, y, sign):
            x, y = (-x, -y) if sign > 0 else (x, y)
            return tuple((e, r, _tcb_by(after, x, y)) for e, r, after in a)

        return self._get(key, compute, (x, y), norm, lambda a: ("silent", t.state, tuple(r for _, r, _ in a)))

    def own(self, t: TCB, s: Segment, params: Params, may_open: bool) -> tuple:
        x, y = self._frame(t)
        key = ("own", _tcb_by(t, -x, -y), _seg_by(s, -x, -y), _params_by(params, -x), may_open)

        def compute(dx, dy):
            return _own_steps(self.table, _tcb_by(t, dx, dy), _seg_by(s, dx, dy), _params_by(params, dx), may_open)

        def norm(a, x, y, sign):
            x, y = (-x, -y) if sign > 0 else (x, y)
            return tuple((_tcb_by(after, x, y), e, r) for after, e, r in a)

        return self._get(key, compute, (x, y), norm, lambda a: ("own", t.state, tuple((e, r) for _, e, r in a)))


@functools.lru_cache(maxsize=16)
def _memo(table: RuleTable) -> _Memo:
    """The one :class:`_Memo` of a rule table (shared by every connection followed with it)."""
    return _Memo(table)



@functools.lru_cache(maxsize=16)
def _closed_sends_resets_only(table: RuleTable) -> bool:
    """Whether every row of ``table`` for a CLOSED endpoint, but its OPENs, stays CLOSED and
    sends nothing or a reset, whatever arrives (the reference table: RFC 9293 3.10.7.1)."""
    probes = [Segment(syn, ack, fin, rst, 1000, 2000, n) for syn in (False, True) for ack in (False, True)
              for fin in (False, True) for rst in (False, True) for n in (0, 1)]
    for rule in table.rules:
        if rule.state != "CLOSED" or rule.event in ("active OPEN", "passive OPEN"):
            continue
        if rule.to != "CLOSED":
            return False
        for seg in probes:
            _, sent = fire(D, ACTIONS, rule, CLOSED_TCB, seg, Params(0, BUDGET))
            if any(not x.RST for x in sent):
                return False
    return True


def _put(pair: tuple, i: int, value) -> tuple:
    return (value, pair[1]) if i == 0 else (pair[0], value)


def _add(worlds: dict, w: World, node: _Node) -> None:
    """Add ``w`` (reached by ``node``); a world reached again joins the histories,
    and of two equal worlds the one that lost fewer segments is kept."""
    key = w[:4]
    have = worlds.get(key)
    if have is None or have[0].lost > w.lost:
        worlds[key] = (w, node)
    elif have[0].lost == w.lost:
        old = have[1]
        if old.record is None and old.world is None and old.parents and old is not node:
            old.parents.append(node)
        else:
            worlds[key] = (w, _Node(None, [old, node]))


def _one_run(node: _Node) -> Run:
    """The history of one world, from the node it was reached by back to its root.  At a node
    reached several ways (each a whole history of its own), the way closest to the order
    the trace shows: the fewest replies not sent as soon as their cause arrived, then the
    fewest segments sent after one before it arrives, summed (the first of equal ways)."""
    best: dict = {}  # id(node) -> ((late replies, lateness of arrivals), Sends on the way, parent chosen)
    chain, n = [node], node
    while len(n.parents) == 1:
        n = n.parents[0]
        chain.append(n)
    if not n.parents:  # reached one way only (the common case): nothing to choose
        for child, parent in zip(chain, chain[1:] + [None]):
            best[id(child)] = (None, None, parent)
    stack = [] if best else [(node, False)]
    while stack:
        n, ready = stack.pop()
        if id(n) in best:
            continue
        if not ready:
            stack.append((n, True))
            stack.extend((p, False) for p in n.parents if id(p) not in best)
            continue
        choice = min(n.parents, key=lambda p: best[id(p)][0]) if n.parents else None
        (gaps, late), sends = best[id(choice)][:2] if choice is not None else ((0, 0), 0)
        r = n.record
        if isinstance(r, Send):
            sends += 1
            cause = choice.record if choice is not None else None
            if r.how in ("reply", "late ACK") and not (isinstance(cause, Recv) and cause.index == r.cause):
                gaps += 1
        elif isinstance(r, Recv):
            late += sends - 1 - r.index
        best[id(n)] = ((gaps, late), sends, choice)
    steps = []
    while True:
        if node.record is not None:
            steps.append(node.record)
        if best[id(node)][2] is None:
            break
        node = best[id(node)][2]
    start = tuple(t.state for t in node.world.tcbs) if node.world is not None else ("CLOSED", "CLOSED")
    steps.reverse()
    # what nobody saw is placed as early as it can have happened (the follower takes an
    # arrival, a loss or a silent step only when it must, before the endpoint's next send):
    # an arrival or a loss just after the segment was sent and the ones sent before it the same
    # way have arrived or been lost, and an arrival or a silent step (a timer, a call that sends
    # nothing) after the endpoint's own steps before it.  That is the same run: the other
    # endpoint's steps and the losses neither read nor change an endpoint's TCB.
    sender: dict = {}
    out: list = []
    for rec in steps:
        if isinstance(rec, Send):
            sender[rec.index] = rec.who
            out.append(rec)
            continue
        at = len(out)
        while at and not _blocks(out[at - 1], rec, sender):
            at -= 1
        out.insert(at, rec)
    return Run(start, tuple(out))


def _blocks(x, rec, sender: dict) -> bool:
    """Whether the record ``rec`` (an arrival, a loss or a silent step) must come after ``x``."""
    own = not isinstance(rec, Lose) and isinstance(x, (Send, Recv, Silent)) and x.who == rec.who
    if isinstance(rec, Silent):
        return own
    flight = (isinstance(x, Send) and x.index == rec.index) or (
        isinstance(x, (Recv, Lose)) and x.index < rec.index and sender.get(x.index) == sender.get(rec.index))
    return flight or (isinstance(rec, Recv) and own)


def _reachable(nodes) -> list:
    seen, out, stack = set(), [], list(nodes)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        stack.extend(n.parents)
    return out


def follow_all(conns, table: RuleTable, vantage: str = "path", checkpoints=(), in_flight: int | None = None,
               extra_losses: int | None = None, extra: dict | None = None) -> list[Result]:
    """:func:`follow` each connection of ``conns`` (trace.split's, in order); a connection on
    the port pair of an earlier one that did not deviate starts where that one left its
    endpoints (a new SYN reaching TIME_WAIT).  ``extra`` adds checkpoints per connection index."""
    out: list = []
    last: dict = {}
    for k, c in enumerate(conns):
        key = frozenset((c.a, c.b))
        prev = last.get(key)
        r = follow(c, table, vantage, tuple(checkpoints) + tuple((extra or {}).get(k, ())), in_flight,
                   extra_losses, before=prev if prev is not None and prev.deviation is None else None)
        last[key] = r
        out.append(r)
    return out


def follow(conn: Connection, table: RuleTable, vantage: str = "path", checkpoints=(),
           in_flight: int | None = None, extra_losses: int | None = None, before: Result | None = None) -> Result:
    """Follow ``conn`` through ``table`` as seen from ``vantage`` ("a", "b" or "path"); a
    segment seen arrives or is lost before its receiver has sent ``in_flight`` segments
    seen after it (:data:`IN_FLIGHT` by default), and within an :data:`MSL`; after each
    segment, the explanations that assume more than ``extra_losses`` losses beyond the
    fewest (:data:`EXTRA_LOSSES`) are dropped."""
    in_flight = IN_FLIGHT if in_flight is None else in_flight
    extra_losses = EXTRA_LOSSES if extra_losses is None else extra_losses
    reasons, notes = [], []
    if conn.starts_mid:
        o = conn.segments[0]
        reasons.append(Reason(N_("the capture starts in the middle of the connection: its first segment, "
                                 "packet {packet}, is not a SYN"), {"packet": o.number}))
        first = next((x for x in conn.segments if x.src != o.src), None)
        if o.SYN and o.ACK and not o.RST:
            notes.append(Reason(N_("assumed at the start: {x} in SYN_RCVD owing this SYN,ACK to the SYN before the "
                                   "capture, {y} in SYN_SENT, nothing else in flight"),
                                {"x": conn.sender(o), "y": "B" if conn.sender(o) == "A" else "A"}))
        else:
            notes.append(Reason(N_("assumed at the start: both endpoints synchronized (ESTABLISHED, or one in "
                                   "FIN_WAIT_2 and the other in CLOSE_WAIT), nothing in flight, either may owe an "
                                   "ACK; {x}'s SND.NXT = {seq} and RCV.NXT = {ack} from packet {packet}, and {y}'s "
                                   "the other way round; windows scaled by 2^14, the most (the SYNs that said the "
                                   "scale were not captured)"),
                                {"x": conn.sender(o), "y": "B" if conn.sender(o) == "A" else "A", "seq": o.seq,
                                 "ack": o.ack if o.ACK else first.seq if first is not None else 0,
                                 "packet": o.number}))
    f = _Follower(conn, table, vantage, in_flight, extra_losses)
    numbers = [o.number for o in conn.segments]
    for point in checkpoints:
        after, recorded = point[0], point[1]
        if numbers[0] <= after <= numbers[-1]:  # else before or after the connection (another on these ports)
            f.points.setdefault(bisect.bisect_right(numbers, after) - 1, []).append((after, dict(recorded)))
    kept, reach, dev = f.run(before)
    return _result(f, conn, kept, reach, dev, vantage, checkpoints, reasons, notes)


def _result(f: _Follower, conn, kept, reach, dev, vantage, checkpoints, reasons, notes) -> Result:
    sends: dict = {}
    recvs: dict = {}
    lost, arrived = set(), set()
    inferred = set()
    for n in reach:
        r = n.record
        if isinstance(r, Send):
            sends.setdefault(r.index, set()).add((r.how, r.rules, r.cause, r.state))
            if r.how in _CALLS or r.how == "retransmission timeout":
                inferred.add((SIDES[r.who], r.how, r.index))
        elif isinstance(r, Recv):
            recvs.setdefault(r.index, set()).add((r.events, r.rules, r.state))
            arrived.add(r.index)
        elif isinstance(r, Lose):
            lost.add(r.index)
        elif isinstance(r, Silent):
            inferred.add((SIDES[r.who], r.event, r.before))
    rows = []
    for i, o in enumerate(conn.segments):
        s = sorted(sends.get(i, ()), key=lambda x: (x[0], x[1], x[2] if x[2] is not None else -1, x[3]))
        rows.append(Row(i, o, conn.sender(o), tuple(dict.fromkeys((h, r, c) for h, r, c, _ in s)),
                        tuple(sorted({x[3] for x in s})), tuple(sorted(recvs.get(i, ()))),
                        i in lost, i in arrived))
    final = {side: tuple(sorted({w.tcbs[k].state for w, _ in kept})) for k, side in enumerate(SIDES)}
    if dev is not None:
        verdict = "deviates"
    else:
        verdict = "incomplete" if conn.starts_mid else "conforms"
        if conn.truncated:
            o = next(o for o in conn.segments if o.cut)
            verdict = "incomplete"
            reasons.append(Reason(N_("packet {packet} is cut short by the capture's snapshot length"),
                                  {"packet": o.number}))
        if not any(all(w.tcbs[k].state in FINISHED for k in (0, 1)) for w, _ in kept):
            verdict = "incomplete"
            states = ", ".join(f"{side} {' or '.join(final[side])}" for side in SIDES)
            reasons.append(Reason(N_("the capture ends before the connection does ({states})"), {"states": states}))
    mismatches = [m for m in f.mismatches if dev is None or m.index < dev.index]
    points = [(after, f.point_states.get((i, k), {side: () for side in SIDES}))
              for i in sorted(f.points) for k, (after, _) in enumerate(f.points[i])]
    if mismatches:
        verdict = "deviates"
    return Result(conn, verdict, tuple(reasons), tuple(rows), dev,
                  tuple(sorted(inferred, key=lambda x: (x[2], x[0], x[1]))), final, tuple(points),
                  vantage, tuple(notes), (f.in_flight, f.extra_losses), tuple(mismatches),
                  tuple(sorted({w.tcbs for w, _ in kept})), _one_run(kept[0][1]) if kept else None)
