"""Promela for SPIN, generated from a configuration and its rule table (issue 13).

:func:`promela` writes one Promela model of the same transition system the
explorer searches, such that SPIN 6.5.2 (``spin -a``, then ``pan`` compiled
with ``-DNOREDUCE -DSAFETY``) stores exactly as many distinct states as
tcpcheck finds.  Nothing in it is written by hand for a configuration: the
network, the applications' calls and the timers' guards are generated from
the configuration, and each endpoint's reaction to an event from the rule
table.

How the two models are made the same:

* **The endpoints.**  What an endpoint does on one event (a call, a timeout,
  an arriving segment) is the rule table's row through the segment semantics
  and the actions (layers 1-3), evaluated by the model itself
  (:class:`model.system.Model`) for every (TCB, application, event) the
  search met; each such reaction is one guarded ``d_step`` of the generated
  model, on the interned numbers of TCBs and applications (a bijection, so
  it changes no count).  The rule table reaches SPIN only through those
  reactions: SPIN does not re-derive the sequence-number checks (z3 proves
  those, proofs/).  What SPIN explores on its own is the composition: which
  event can happen in which global state (the applications' calls as their
  reactions allow, the retransmission timer only when nothing is in flight,
  2MSL under the configuration's timer switches), the two channels, and
  the interleaving.  A global state that asks for a reaction the search
  never met makes SPIN report an assertion violation, so a composition that
  reaches more than tcpcheck's cannot pass unnoticed.
* **The channels.**  One per direction, bounded by ``capacity``; a segment
  sent into a full channel is dropped (the step still happens).  With
  reordering a channel is a *bag*: one counter per segment (and the total),
  which is the same state as tcpcheck's sorted tuple.  Without it a channel
  is FIFO: ``capacity`` slots, the unused ones 0, so that each content has
  one representation; a duplicate follows the first copy of its segment, as
  in :mod:`model.channel`.  Losses and duplications are ``d_step`` options
  when the configuration allows them; a loss budget is a counter.
* **SPIN's own state.**  One process, a ``do`` loop whose every option is a
  ``d_step``: SPIN stores no state inside a ``d_step``, and after each option
  the process is back at the loop's head, so every stored state has the same
  process counter and SPIN's count is the count of distinct valuations of
  the variables.  Every variable is a scalar with its own initial value (the
  initial state needs no initialising step, which SPIN would count).  The
  loop is labelled ``end``: a state without successors is a state of the
  model (tcpcheck's terminal states), not an error of SPIN's.

It explores the configuration once (to meet every reaction), then writes
text; it runs nothing else.  ``tcpcheck export --format promela`` prints it.
"""

from __future__ import annotations

from .checker import build
from .config import Config
from .explorer import explore
from .system import ENDPOINTS, Model
from .table import RuleTable
from .tcb import describe_segment

__all__ = ["promela", "Promela"]


class Promela(str):
    """The Promela text, remembering the state count tcpcheck found for it
    (``states``) and what it declares (``segments``: segment -> number)."""

    states: int
    segments: dict


def _chan(direction: str) -> str:
    return {"A->B": "ab", "B->A": "ba"}[direction]


class _Writer:
    def __init__(self, model: Model, x):
        self.model = model
        self.cfg = model.config
        self.cap = self.cfg.capacity
        self.bag = self.cfg.reordering
        self.budget = model.loss_budget
        segs = set()
        for i in range(len(x.labels)):
            st = model.step(x.labels[i])
            segs.update(st.sent)
            if st.segment is not None:
                segs.add(st.segment)
        for f in model._flight.items:
            segs.update(f)
        self.seg_id = {s: n + 1 for n, s in enumerate(sorted(segs))}
        self.lines: list[str] = []

    # --- channels ------------------------------------------------------------------

    def _vars(self, c: str, flight) -> list[str]:
        if self.bag:
            counts = {k: 0 for k in self.seg_id.values()}
            for s in flight:
                counts[self.seg_id[s]] += 1
            return ([f"byte {c}_s{k} = {v};" for k, v in counts.items()]
                    + [f"byte n{c} = {len(flight)};"])
        slots = [self.seg_id[s] for s in flight] + [0] * (self.cap - len(flight))
        return [f"byte {c}_{k} = {v};" for k, v in enumerate(slots)] + [f"byte n{c} = {len(flight)};"]

    def push(self, c: str, seg) -> str:
        """Put ``seg`` on channel ``c``, or drop it when the channel is full."""
        k = self.seg_id[seg]
        if self.bag:
            return f"if :: n{c} < {self.cap} -> {c}_s{k}++; n{c}++ :: else -> skip fi"
        opts = " ".join(f":: n{c} == {j} -> {c}_{j} = {k}; n{c} = {j + 1}" for j in range(self.cap))
        return f"if {opts} :: else -> skip fi"

    def _remove_at(self, c: str, i: int) -> str:
        """Remove FIFO slot ``i`` of ``c``: the later ones move up, the last becomes 0."""
        moves = [f"{c}_{j} = {c}_{j + 1}" for j in range(i, self.cap - 1)]
        return "; ".join(moves + [f"{c}_{self.cap - 1} = 0", f"n{c}--"])

    def deliveries(self, c: str):
        """(segment number, guard, effect) of each segment that can arrive next on ``c``."""
        for k in self.seg_id.values():
            if self.bag:
                yield k, f"{c}_s{k} > 0", f"{c}_s{k}--; n{c}--"
            else:
                yield k, f"{c}_0 == {k}", self._remove_at(c, 0)

    def losses(self, c: str):
        lost = "; lost++" if self.budget is not None else ""
        within = f" && lost < {self.budget}" if self.budget is not None else ""
        if self.bag:
            for k in self.seg_id.values():
                yield f"{c}_s{k} > 0{within}", f"{c}_s{k}--; n{c}--{lost}"
        else:
            for i in range(self.cap):
                yield f"n{c} > {i}{within}", self._remove_at(c, i) + lost

    def duplications(self, c: str):
        if self.bag:
            for k in self.seg_id.values():
                yield f"{c}_s{k} > 0 && n{c} < {self.cap}", f"{c}_s{k}++; n{c}++"
        else:
            for i in range(self.cap - 1):
                first = "".join(f" && {c}_{j} != {c}_{i}" for j in range(i))  # its first copy only
                moves = [f"{c}_{j} = {c}_{j - 1}" for j in range(self.cap - 1, i + 1, -1)]
                yield (f"n{c} > {i} && n{c} < {self.cap}{first}",
                       "; ".join(moves + [f"{c}_{i + 1} = {c}_{i}", f"n{c}++"]))

    # --- the model -----------------------------------------------------------------------

    def timers(self, i: int) -> str:
        """The expression of endpoint ``i``'s timers (Model._timers): 1 when the
        retransmission timer may expire, plus 2 when 2MSL may."""
        quiet = "(nab == 0 && nba == 0)"
        cfg = self.cfg
        if not self.model._timer_switches:
            return f"({quiet} -> 3 : 0)"
        peer = "tB" if i == 0 else "tA"
        quiet_peer = [t for t in range(len(self.model._tcb.items)) if self.model._nothing_to_retransmit(t)]
        nothing = "(" + (" || ".join(f"{peer} == {t}" for t in quiet_peer) or "false") + ")"
        msl = (f"({quiet} || {'false' if cfg.time_wait_waits_for_network else 'true'})"
               f" && ({'false' if cfg.time_wait_outlasts_rto else 'true'} || {nothing})")
        return f"(({quiet} -> 1 : 0) + (({msl}) -> 2 : 0))"

    def text(self, x) -> str:
        m = self.model
        s0 = x.states[0]
        out = [f"/* tcpcheck: {self.cfg.name}: {len(x.states)} states (SPIN: pan -DNOREDUCE -DSAFETY "
               "counts as many). Generated by tcpcheck export --format promela; do not edit. */",
               "/* segments: " + "; ".join(f"{k} {describe_segment(s)}" for s, k in self.seg_id.items()) + " */",
               f"short tA = {s0[0]};", f"short tB = {s0[1]};", f"byte pA = {s0[2]};", f"byte pB = {s0[3]};"]
        out += self._vars("ab", m._flight.items[s0[4]]) + self._vars("ba", m._flight.items[s0[5]])
        if self.budget is not None:
            out.append(f"byte lost = {s0[6]};")
        out.append(f"#define TIMERS_A {self.timers(0)}")
        out.append(f"#define TIMERS_B {self.timers(1)}")
        out += ["", "active proctype tcp()", "{", "end:", "  do"]
        opts = []
        mine = {0: ("tA", "pA", "ab"), 1: ("tB", "pB", "ba")}
        for (i, tcb, app, timers), hits in sorted(m._local.items()):
            t_var, p_var, c = mine[i]
            tm = "TIMERS_A" if i == 0 else "TIMERS_B"
            for step, t, p in hits:
                sent = [self.push(c, seg) for seg in m.step(step).sent]
                opts.append(f"{t_var} == {tcb} && {p_var} == {app} && {tm} == {timers} -> "
                            + "; ".join([f"{t_var} = {t}", f"{p_var} = {p}"] + sent))
        for (i, tcb, app, seg), (step, t, p) in sorted(m._rcv.items()):
            t_var, p_var, c_out = mine[i]
            c_in = "ba" if i == 0 else "ab"
            k = self.seg_id[seg]
            guard, take = next((g, e) for kk, g, e in self.deliveries(c_in) if kk == k)
            sent = [self.push(c_out, q) for q in m.step(step).sent]
            opts.append(f"{t_var} == {tcb} && {p_var} == {app} && {guard} -> "
                        + "; ".join([take, f"{t_var} = {t}", f"{p_var} = {p}"] + sent))
        # a segment that arrives at a (TCB, application) whose reaction the search never met
        for i in (0, 1):
            t_var, p_var, _ = mine[i]
            c_in = "ba" if i == 0 else "ab"
            met: dict = {}
            for (j, tcb, app, seg) in m._rcv:
                if j == i:
                    met.setdefault(self.seg_id[seg], []).append(f"({t_var} == {tcb} && {p_var} == {app})")
            for k, guard, _ in self.deliveries(c_in):
                known = " || ".join(met.get(k, [])) or "false"
                opts.append(f"{guard} && !({known}) -> assert(false)")
        for c in ("ab", "ba"):
            if self.cfg.loss:
                opts += [f"{g} -> {e}" for g, e in self.losses(c)]
            if self.cfg.duplication:
                opts += [f"{g} -> {e}" for g, e in self.duplications(c)]
        out += [f"  :: d_step {{ {o} }}" for o in opts]
        out += ["  od", "}"]
        return "\n".join(out) + "\n"


def promela(config: Config, table: RuleTable | None = None) -> Promela:
    """The Promela model of ``config`` with ``table`` (else the configuration's,
    else the reference), as text; ``.states`` is tcpcheck's count of its states.

    >>> from tcpcheck.model.config import preset
    >>> p = promela(preset("seed"))
    >>> p.states, p.splitlines()[2]
    (14, 'short tA = 0;')
    """
    model = build(config, table)
    x = explore(model)
    if not x.complete:
        raise ValueError("promela: the exploration did not complete")
    w = _Writer(model, x)
    out = Promela(w.text(x))
    out.states = len(x.states)
    out.segments = dict(w.seg_id)
    return out
