"""Two endpoints, their applications and the network: the transition system.

Layer 5 of the model.  A global state holds both TCBs, what each application
still means to do, and the segments in flight in each direction.
:meth:`Model.successors` lists every step the system can take from a state,
in a fixed order (A's calls and timers, B's, deliveries, losses,
duplications), each labelled with a :class:`Step` that names the event, the
rules that fired and the segments involved.

Everything an endpoint does comes from the rule table (layer 2) through the
segment semantics (layer 1) and the actions (layer 3).  The only decisions
made here are *when* user calls and timeouts happen:

* An application makes a call only when the table has a row for it in the
  current state: OPEN once per incarnation; SEND while it has data left
  (from LISTEN only if its passive OPEN named the remote socket); CLOSE
  once, in the states its configuration allows; ABORT once, if allowed.
* An application configured to OPEN more than once (``opens``) starts a new
  incarnation when its connection is CLOSED again: it will OPEN once more,
  actively or passively as configured (a server listens again), with the
  data, CLOSE and ABORT of a fresh application, and the k-th OPEN chooses
  ISS = iss + k * iss_step.  Segments of the earlier incarnation may still
  be in flight.  An application with nothing left to do is :data:`APP_DONE`,
  whatever incarnation it finished in.
* A retransmission timer expires only when nothing is in flight in either
  direction (the timer outlasts a round trip); with no retransmissions left,
  that expiry is the user timeout (RFC 9293 3.8.3, R2).
* TIME-WAIT's 2MSL expires only when no segment of the connection is in
  flight: after 2MSL every segment has left the network.  Two switches of
  the configuration change that: ``time_wait_waits_for_network = false``
  lets it expire with segments still in flight (a 2MSL that is too short),
  and ``time_wait_outlasts_rto = true`` also makes it wait until the peer
  has nothing left it may retransmit (2MSL longer than the peer's
  retransmission timeouts).
* With a ``loss_budget``, the network loses at most that many segments in a
  run; the state then counts the losses so far (:attr:`State.lost`).  A
  segment dropped at a full channel is not a loss: a retransmission is only
  ever sent into an empty network, so drops never stop a segment that is
  sent again from getting through.
"""

from __future__ import annotations

from typing import NamedTuple

from .actions import ACTIONS, Params, fire
from .channel import Channel
from .config import Config
from .events import CONTROL, TEXT, ClassificationError, classify, has_text, text_follows
from .table import RuleTable
from .tcb import CLOSED_TCB, TCB, Concrete, Segment, describe_segment

__all__ = ["App", "APP_DONE", "State", "Step", "Model", "ENDPOINTS", "process", "Processed", "endpoint_closure"]

ENDPOINTS = ("A", "B")


class App(NamedTuple):
    """What an application still means to do."""

    open: str  # "active" or "passive" while it has yet to OPEN, else ""
    data: int  # data segments it may still SEND
    close: bool  # it has yet to CLOSE
    abort: bool  # it may still ABORT
    incarnation: int = 0  # which of its OPENs (0, 1, ...) this connection is or will be


#: An application that has nothing left to do (in whichever incarnation it finished).
APP_DONE = App("", 0, False, False)


class State(NamedTuple):
    """A global state: both endpoints, both applications, both directions of the network."""

    A: TCB
    B: TCB
    app_A: App
    app_B: App
    net_AB: tuple[Segment, ...]  # in flight from A to B
    net_BA: tuple[Segment, ...]  # in flight from B to A
    lost: int = 0  # segments the network has lost so far (counted only under a loss budget)


class Step(NamedTuple):
    """What happened in one transition."""

    actor: str  # "A", "B" or "network"
    kind: str  # "call", "timer", "rcv", "lose" or "duplicate"
    event: str  # the call or timer, the arrival events ("rcv ACK of FIN; rcv FIN"), or "A->B"
    segment: Segment | None  # the segment received, lost or duplicated
    rules: tuple[int, ...]  # ids of the rules that fired
    sent: tuple[Segment, ...]  # segments the endpoint put on the wire
    dropped: tuple[Segment, ...] = ()  # of those, the ones a full channel dropped


D = Concrete


class Interner:
    """Numbers distinct values 0, 1, 2, ... in the order they are first seen."""

    def __init__(self):
        self.items: list = []
        self.ids: dict = {}

    def __call__(self, value) -> int:
        i = self.ids.get(value)
        if i is None:
            i = self.ids[value] = len(self.items)
            self.items.append(value)
        return i


class Processed(NamedTuple):
    """What :func:`process` returns: the TCB after the arrival, the segments
    sent, the rule and event of each stage, and the rule that sent each segment."""

    tcb: TCB
    sent: tuple
    rules: tuple
    events: tuple
    senders: tuple  # the rule id of each segment of ``sent``


def process(table: RuleTable, actions: dict, tcb: TCB, seg: Segment, rcv_wnd: int, params: Params) -> Processed:
    """``seg`` arrives at ``tcb`` (a receive window of ``rcv_wnd``): classified
    (events.classify), looked up in ``table`` and fired with ``actions``, in the
    two stages of RFC 9293 3.10.7.4 (the control checks, then the text when the
    row lets it follow).  The explorer (:meth:`Model.receive`) and the
    conformance checker (model/conformance/follow.py) both process arrivals here."""
    outs: list = []
    senders: list = []
    rules = []
    events = []
    stage = CONTROL
    t = tcb
    while True:
        ev = classify(stage, t, seg, rcv_wnd, arrivals=table.arrivals)
        rule = table.lookup(t.state, ev.name, t.passive)
        if ev.effect is not None:
            t = ev.effect(D, t, seg)
        t, sent = fire(D, actions, rule, t, seg, params)
        if sent:
            outs.extend(sent)
            senders.extend([rule.id] * len(sent))
        rules.append(rule.id)
        events.append(ev.name)
        if not (text_follows(ev, stage, t.state) and has_text(D, seg)):
            break
        stage = TEXT
    return Processed(t, tuple(outs), tuple(rules), tuple(events), tuple(senders))


class Model:
    """The transition system of one configuration and one rule table.

    ``actions`` replaces the action vocabulary (a broken variant of the model
    may give an action another meaning; the rule table stays the same).

    Internally a global state is a tuple of six small integers (the interned
    TCBs, applications and channel contents, in the order of :class:`State`),
    so that states hash fast and every per-endpoint and per-channel result is
    computed once; under a loss budget a seventh, the losses so far.
    :meth:`decode` and :meth:`step` turn states and labels back into readable
    :class:`State` and :class:`Step` values.
    """

    def __init__(self, config: Config, table: RuleTable, actions: dict | None = None):
        self.config = config
        self.table = table
        self.actions = ACTIONS if actions is None else actions
        self.channel = Channel(config.capacity, config.loss, config.duplication, config.reordering)
        # the parameters of each endpoint's k-th OPEN (params: of its first), and its
        # application as a new incarnation
        self.incarnations = tuple(
            tuple(Params(D.add(e.iss, k * e.iss_step), e.retransmissions) for k in range(e.opens))
            for e in (getattr(config, w) for w in ENDPOINTS))
        self.params = tuple(p[0] for p in self.incarnations)
        self._reopen = tuple(
            tuple(App(e.open, e.data, True, e.abort, k) for k in range(e.opens))
            if e.open != "none" else () for e in (getattr(config, w) for w in ENDPOINTS))
        self.loss_budget = config.loss_budget if config.loss else None
        self.timer_switches = config.time_wait_outlasts_rto or not config.time_wait_waits_for_network
        self._peer_quiet: dict = {}
        self.send_in_listen = tuple(getattr(config, w).foreign_socket for w in ENDPOINTS)
        self.close_in = tuple(None if getattr(config, w).close_in is None
                              else frozenset(getattr(config, w).close_in) for w in ENDPOINTS)
        self.tcb_ids = Interner()
        self.app_ids = Interner()
        self.flight_ids = Interner()
        self.step_ids = Interner()
        self.empty_flight = self.flight_ids(())
        self._rcv: dict = {}
        self._local: dict = {}
        self._emit: dict = {}
        self._net: dict = {}
        if self.loss_budget is not None:
            self.successors = self._successors_within_budget

    # --- decoding --------------------------------------------------------------

    def decode(self, s: tuple) -> State:
        """The readable form of an internal state."""
        t, a, f = self.tcb_ids.items, self.app_ids.items, self.flight_ids.items
        return State(t[s[0]], t[s[1]], a[s[2]], a[s[3]], f[s[4]], f[s[5]], *s[6:])

    def encode(self, s: State) -> tuple:
        """The internal form of a readable state."""
        out = (self.tcb_ids(s.A), self.tcb_ids(s.B), self.app_ids(s.app_A), self.app_ids(s.app_B),
               self.flight_ids(s.net_AB), self.flight_ids(s.net_BA))
        return out if self.loss_budget is None else out + (s.lost,)

    def columns(self) -> tuple:
        """Per component of the internal state, the interner whose ``items``
        are its readable values (None: the value is itself, the losses so
        far): what the Dask engine sends between workers, each distinct
        component once (:mod:`distributed`)."""
        interners = (self.tcb_ids, self.tcb_ids, self.app_ids, self.app_ids, self.flight_ids, self.flight_ids)
        return interners if self.loss_budget is None else interners + (None,)

    def step(self, label: int) -> Step:
        """The readable form of a transition label."""
        return self.step_ids.items[label]

    def edge_attributes(self, label: int) -> dict:
        """What a graph edge says: who, what kind, the event, the rules that
        fired (as in the table), and the segments received and sent."""
        st = self.step_ids.items[label]
        return {"actor": st.actor, "kind": st.kind, "event": st.event,
                "rules": [self.table.rules[r].describe() for r in st.rules],
                "segment": describe_segment(st.segment) if st.segment else None,
                "sent": [describe_segment(q) for q in st.sent]}

    # --- initial states ------------------------------------------------------

    def initial_states(self) -> list[tuple]:
        """The one initial state: both endpoints CLOSED, except that an endpoint
        configured as ``opened`` has made its OPEN call (through the table's rule)."""
        tcbs, apps, flights = [CLOSED_TCB, CLOSED_TCB], [], [(), ()]
        for i, w in enumerate(ENDPOINTS):
            e = getattr(self.config, w)
            app = App("" if e.open == "none" else e.open, e.data, e.open != "none", e.abort)
            rule = self.table.lookup("CLOSED", f"{e.open} OPEN", False) if e.opened else None
            if rule is not None:
                outs: list = []
                tcbs[i] = self._fire(rule, CLOSED_TCB, None, outs, self.params[i])
                app = app._replace(open="")
                for seg in outs:
                    flights[i], _ = self.channel.push(flights[i], seg)
            apps.append(app)
        return [self.encode(State(tcbs[0], tcbs[1], apps[0], apps[1], flights[0], flights[1], 0))]

    # --- one endpoint ----------------------------------------------------------

    def _fire(self, rule, tcb: TCB, seg: Segment | None, outs: list, params: Params) -> TCB:
        tcb, sent = fire(D, self.actions, rule, tcb, seg, params)
        outs.extend(sent)
        return tcb

    def receive(self, i: int, tcb: TCB, seg: Segment, incarnation: int = 0) -> tuple[TCB, tuple, tuple, str]:
        """Endpoint ``i`` (in its ``incarnation``) processes ``seg``: (new TCB,
        segments sent, rule ids, events).  The reference table's arrival rows
        never choose an ISS (``return to LISTEN`` keeps the TCB's own), so only a
        table that creates a TCB on an arrival depends on the incarnation."""
        p = process(self.table, self.actions, tcb, seg, self.config.rcv_wnd, self.incarnations[i][incarnation])
        return p.tcb, p.sent, p.rules, "; ".join(p.events)

    def local_steps(self, i: int, tcb: TCB, app: App, quiet: bool,
                    msl: bool | None = None) -> list[tuple[Step, TCB, App]]:
        """User calls and timeouts of endpoint ``i``: (Step, TCB, App) triples.

        ``quiet``: the retransmission timer may expire (nothing is in flight);
        ``msl``: TIME-WAIT's 2MSL may expire (by default, when ``quiet``)."""
        who = ENDPOINTS[i]
        state = tcb.state
        options = []  # (kind, event, new app)
        if app.open and state == "CLOSED":
            options.append(("call", f"{app.open} OPEN", app._replace(open="")))
        if app.data and (state != "LISTEN" or self.send_in_listen[i]):
            options.append(("call", "SEND", None))
        close_in = self.close_in[i]
        if app.close and (close_in is None or state in close_in):
            options.append(("call", "CLOSE", app._replace(close=False, data=0)))
        if app.abort:
            options.append(("call", "ABORT", app._replace(close=False, data=0, abort=False)))
        if quiet and tcb.snd_una != tcb.snd_nxt:
            options.append(("timer", "retransmission timeout" if tcb.budget else "user timeout", app))
        if quiet if msl is None else msl:
            options.append(("timer", "timeout 2MSL", app))
            # Linux's tcp_fin_timeout (events.TIMERS), 60 s like TIME-WAIT's TCP_TIMEWAIT_LEN:
            # modelled as 2MSL is; only a table with a row for it (linux.rules) has it
            options.append(("timer", "FIN_WAIT_2 timeout", app))
        params = self.incarnations[i][app.incarnation]
        steps = []
        for kind, event, new_app in options:
            rule = self.table.lookup(state, event, tcb.passive)
            if rule is None:
                continue
            if event == "SEND":
                new_app = app._replace(data=app.data - 1) if "snd data" in rule.actions else app
            outs: list = []
            t = self._fire(rule, tcb, None, outs, params)
            steps.append((Step(who, kind, event, None, (rule.id,), tuple(outs)), t, new_app))
        return steps

    # --- memoized pieces over interned components -------------------------------
    #
    # What the faster engines build on (model/packed.py's packed states, model/promela.py's
    # look-up tables, model/distributed.py's partitions): the interners ``tcb_ids``,
    # ``app_ids``, ``flight_ids`` and ``step_ids`` (call one to intern a value, read its
    # ``items`` for the value of an id), and each piece of a state's successors, memoized per
    # combination of the component ids it reads.

    def _settle(self, i: int, before: TCB, t: TCB, app: App) -> tuple[int, int]:
        """Intern an endpoint's new TCB and application.  An application whose
        connection is gone and that will not open again has nothing left to do;
        one whose connection has just closed (``before`` was not CLOSED) and that
        has an OPEN left starts its next incarnation."""
        if t.state == "CLOSED" and not app.open:
            k = app.incarnation + 1
            app = (self._reopen[i][k] if before.state != "CLOSED" and k < len(self._reopen[i])
                   else APP_DONE)
        elif before.state == "TIME_WAIT" and t.state == "SYN_RCVD":
            # a new connection from TIME-WAIT (linux.rules, RFC 9293 3.6.1 MAY-2): the listener
            # accepts it, so the application's next incarnation, already opened, has it; an
            # application with no OPEN left accepts it, sends nothing and closes it
            k = app.incarnation + 1
            app = (self._reopen[i][k]._replace(open="") if k < len(self._reopen[i])
                   else App("", 0, True, False, app.incarnation))
        return self.tcb_ids(t), self.app_ids(app)

    def local_reactions(self, i: int, tcb: int, app: int, timers: int) -> tuple:
        """Memoized local steps; ``timers`` is 1 when the retransmission timer
        may expire, plus 2 when 2MSL may."""
        key = (i, tcb, app, timers)
        hit = self._local.get(key)
        if hit is None:
            before = self.tcb_ids.items[tcb]
            hit = tuple((self.step_ids(step), *self._settle(i, before, t, new_app))
                        for step, t, new_app in self.local_steps(
                            i, before, self.app_ids.items[app], bool(timers & 1), bool(timers & 2)))
            self._local[key] = hit
        return hit

    def reaction(self, i: int, tcb: int, app: int, seg: Segment) -> tuple:
        key = (i, tcb, app, seg)
        hit = self._rcv.get(key)
        if hit is None:
            a, before = self.app_ids.items[app], self.tcb_ids.items[tcb]
            t, outs, rules, events = self.receive(i, before, seg, a.incarnation)
            step = Step(ENDPOINTS[i], "rcv", events, seg, rules, outs)
            hit = self._rcv[key] = (self.step_ids(step), *self._settle(i, before, t, a))
        return hit

    def nothing_to_retransmit(self, tcb: int) -> bool:
        """Whether an endpoint with this TCB will never retransmit again: it has no
        connection (CLOSED, LISTEN), nothing unacknowledged, or no retransmissions left."""
        hit = self._peer_quiet.get(tcb)
        if hit is None:
            t = self.tcb_ids.items[tcb]
            hit = self._peer_quiet[tcb] = (t.state in ("CLOSED", "LISTEN") or t.snd_una == t.snd_nxt
                                           or t.budget == 0)
        return hit

    def timers(self, quiet: bool, peer: int) -> int:
        """Which timers of an endpoint may expire (see :meth:`local_reactions`) under
        the configuration's timer switches, given its peer's TCB."""
        cfg = self.config
        msl = (quiet or not cfg.time_wait_waits_for_network) and (
            not cfg.time_wait_outlasts_rto or self.nothing_to_retransmit(peer))
        return (1 if quiet else 0) | (2 if msl else 0)

    def send(self, flight: int, step: int) -> tuple[int, int]:
        """Put the segments of ``step`` in flight; the step records any a full channel drops."""
        key = (flight, step)
        hit = self._emit.get(key)
        if hit is None:
            label = self.step_ids.items[step]
            segs = self.flight_ids.items[flight]
            dropped = ()
            for seg in label.sent:
                segs, lost = self.channel.push(segs, seg)
                if lost:
                    dropped += (seg,)
            if dropped:
                step = self.step_ids(label._replace(dropped=dropped))
            hit = self._emit[key] = (self.flight_ids(segs), step)
        return hit

    def network(self, flight: int, direction: str) -> tuple:
        """What the network can do to a channel: deliveries as (segment, new
        flight), then losses and duplications as (label, new flight)."""
        key = (flight, direction)
        hit = self._net.get(key)
        if hit is None:
            segs = self.flight_ids.items[flight]
            ch = self.channel
            deliveries = tuple((seg, self.flight_ids(rest)) for seg, rest in ch.deliveries(segs))
            faults = tuple(
                (self.step_ids(Step("network", kind, direction, seg, (), ())), self.flight_ids(rest))
                for kind, gen in (("lose", ch.losses), ("duplicate", ch.duplications))
                for seg, rest in gen(segs))
            hit = self._net[key] = (deliveries, faults)
        return hit

    # --- the whole system --------------------------------------------------------

    def successors(self, s: tuple) -> list[tuple[int, tuple]]:
        """Every step from internal state ``s`` as (label, state), in a fixed order."""
        A, B, pA, pB, ab, ba = s
        out = []
        send = self.send
        quiet = ab == self.empty_flight and ba == self.empty_flight
        if self.timer_switches:
            timers_A, timers_B = self.timers(quiet, B), self.timers(quiet, A)
        else:
            timers_A = timers_B = 3 if quiet else 0
        for step, t, p in self.local_reactions(0, A, pA, timers_A):
            f, step = send(ab, step)
            out.append((step, (t, B, p, pB, f, ba)))
        for step, t, p in self.local_reactions(1, B, pB, timers_B):
            f, step = send(ba, step)
            out.append((step, (A, t, pA, p, ab, f)))
        deliver_ab, faults_ab = self.network(ab, "A->B")
        deliver_ba, faults_ba = self.network(ba, "B->A")
        for seg, rest in deliver_ab:
            step, t, p = self.reaction(1, B, pB, seg)
            f, step = send(ba, step)
            out.append((step, (A, t, pA, p, rest, f)))
        for seg, rest in deliver_ba:
            step, t, p = self.reaction(0, A, pA, seg)
            f, step = send(ab, step)
            out.append((step, (t, B, p, pB, f, rest)))
        for step, rest in faults_ab:
            out.append((step, (A, B, pA, pB, rest, ba)))
        for step, rest in faults_ba:
            out.append((step, (A, B, pA, pB, ab, rest)))
        return out

    def _successors_within_budget(self, s: tuple) -> list[tuple[int, tuple]]:
        """:meth:`successors` under a loss budget: the seventh component counts
        the losses so far, and the network loses nothing once it is spent."""
        lost = s[6]
        spent = lost >= self.loss_budget
        out = []
        for label, t in Model.successors(self, s[:6]):
            if self.step_ids.items[label].kind == "lose":
                if not spent:
                    out.append((label, t + (lost + 1,)))
            else:
                out.append((label, t + (lost,)))
        return out


def endpoint_closure(m: Model, budget: int | None = None) -> tuple[list, list] | None:
    """Every local state (TCB, App) each endpoint can reach by any of its
    events, and every segment each can send, from the initial state: the
    fixpoint over the endpoints alone (an ambiguous reaction leads nowhere),
    through :meth:`Model.local_reactions` (every ``timers``) and
    :meth:`Model.reaction` (each local state with every segment its peer can
    send), which it leaves memoized.  Returns (locals, segments), each a pair
    of lists (endpoint A's, B's) in the order first met.  The generated
    Promela's tables (model/promela.py) and the packed engine's precomputed
    memo tables (model/packed.py) are made from it.  The fixpoint need not be
    finite where the composition is (a table whose endpoint alone counts on
    for ever, as a broken variant may): with a ``budget``, None once it has
    asked more than that many reactions and local states' steps."""
    s0 = m.initial_states()[0]
    locs = [[(s0[0], s0[2])], [(s0[1], s0[3])]]
    segs = [list(m.flight_ids.items[s0[4]]), list(m.flight_ids.items[s0[5]])]
    seen_l = [set(locs[0]), set(locs[1])]
    seen_s = [set(segs[0]), set(segs[1])]
    done_local = [0, 0]  # how many of locs[i] have had their local steps taken
    done_rcv = [set(), set()]

    def add(i, loc, sent):
        if loc not in seen_l[i]:
            seen_l[i].add(loc)
            locs[i].append(loc)
        for q in sent:
            if q not in seen_s[i]:
                seen_s[i].add(q)
                segs[i].append(q)

    changed = True
    while changed:
        changed = False
        for i in (0, 1):
            while done_local[i] < len(locs[i]):
                t, p = locs[i][done_local[i]]
                done_local[i] += 1
                changed = True
                if budget is not None and done_local[0] + done_local[1] + len(done_rcv[0]) + len(done_rcv[1]) > budget:
                    return None
                for timers in range(4):
                    for st, t2, p2 in m.local_reactions(i, t, p, timers):
                        add(i, (t2, p2), m.step(st).sent)
            for loc in list(locs[i]):
                for q in list(segs[1 - i]):
                    if (loc, q) not in done_rcv[i]:
                        done_rcv[i].add((loc, q))
                        changed = True
                        if budget is not None and done_local[0] + done_local[1] + len(done_rcv[0]) \
                                + len(done_rcv[1]) > budget:
                            return None
                        try:
                            r = m.reaction(i, loc[0], loc[1], q)
                        except ClassificationError:
                            continue
                        add(i, (r[1], r[2]), m.step(r[0]).sent)
    return locs, segs
