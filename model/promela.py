"""Promela for SPIN, generated from a configuration and its rule table (issue 13).

:func:`promela` writes one Promela model of the same transition system the
explorer searches, such that SPIN 6.5.2 (``spin -a``, then ``pan`` compiled
with ``-DNOREDUCE -DSAFETY``) stores exactly as many distinct states as
tcpcheck finds.  Nothing in it is written by hand for a configuration: the
network, the applications' calls and the timers' guards are generated from
the configuration, and each endpoint's reaction to an event from the rule
table.

How the two models are made the same:

* **The endpoints, as look-up tables.**  An endpoint's *local state* is its
  TCB and what its application still means to do (model.system's interned
  TCB and App); the generated model numbers them, one variable per endpoint
  (``lA``, ``lB``: a bijection with tcpcheck's pair, so it changes no count).
  What an endpoint does on one event is the rule table's row through the
  segment semantics and the actions (layers 1-3), evaluated by the model
  itself (:class:`model.system.Model`), precomputed here and emitted as
  ``hidden`` arrays (constant data, not in SPIN's state vector):

  - ``A_LN[l*4+timers]`` how many user calls and timeouts local state ``l``
    can take when ``timers`` may expire (1: the retransmission timer, 2:
    2MSL), and for the k-th of them ``A_LNEXT`` its next local state and
    ``A_LSENT`` the segments it sends (0: none), in the order of
    :meth:`Model.local_steps`;
  - ``A_RNEXT[l*NS+q-1]`` and ``A_RSENT`` the reaction to segment ``q``.

  The tables are closed: every local state reachable by any event from a
  local state in them, and every segment any of them sends, is in them (a
  fixpoint over the endpoints alone, far smaller than the composition), so
  SPIN never asks for a reaction that is not there.  What SPIN explores on
  its own is the composition: which event can happen in which global state
  (the timers' guards from the channels and the peer's TCB, as
  :meth:`Model._timers` decides), the two channels, and the interleaving.
  SPIN does not re-derive TCP: each step is a few table look-ups, which is
  what makes its speed a fair basis to compare tcpcheck's search with.
* **The channels.**  One per direction, bounded by ``capacity``; a segment
  sent into a full channel is dropped (the step still happens).  With
  reordering a channel is a *bag*: an array of counters, one per segment its
  sender can send, and the total, which is the same state as tcpcheck's
  sorted tuple.  Without it a channel is FIFO: ``capacity`` slots, the unused
  ones 0, so that each content has one representation; a duplicate follows
  the first copy of its segment, as in :mod:`model.channel`.  Losses and
  duplications are options when the configuration allows them; a loss
  budget is a counter.
* **SPIN's own state.**  One process, a ``do`` loop whose every option is a
  ``d_step``: SPIN stores no state inside a ``d_step``, and after each option
  the process is back at the loop's head, so every stored state has the same
  process counter and SPIN's count is the count of distinct valuations of
  the variables.  Every variable has its own initial value (the initial
  state needs no initialising step, which SPIN would count).  The loop is
  labelled ``end``: a state without successors is a state of the model
  (tcpcheck's terminal states), not an error of SPIN's.

With ``checks=True`` the model also checks tcpcheck's safety properties
(``tcpcheck check --engine spin``, model/spin.py), from more tables: the
invariants INV1-INV4 (one bit each, per pair of TCBs and per pair and
segment in flight, by :func:`model.invariants.checker` itself), each an
option enabled only in a state that breaks it; STEP1 in the arrival of a
segment whose reaction moves LAST_ACK to CLOSED on a reset; and deadlock
freedom as an option guarded by SPIN's ``timeout`` (executable exactly when
no other option is) that fails unless the state is an acceptable end.  None
of them adds a state.  Each fails with pan's ``uerror("tcpcheck: ID
violated")``; the bits of :data:`CHECK_BITS` in the environment variable
``TCPCHECK_SKIP`` turn checks off without compiling again (to look for the
next violation).  :attr:`Promela.where` says which line is which step or
check, so that SPIN's trail can be read back.

A (local state, segment) pair whose reaction the rule table does not decide
(its classification is ambiguous: :class:`model.events.ClassificationError`)
is tabulated as no change, flagged in ``A_RAMBIG``/``B_RAMBIG``; arriving
there prints ``tcpcheck: ambiguous WHO R`` and fails with pan's
``uerror("tcpcheck: ambiguous reaction")``.  The tables hold local states no
run of the composition may reach, so a table ambiguous only there is still
checked; :attr:`Promela.ambiguous` maps ``(WHO, R)`` to the error's text.

``tcpcheck export --format promela`` prints it.
"""

from __future__ import annotations

from .checker import build
from .config import Config
from .events import ClassificationError
from .explorer import explore
from .invariants import CHECKED, checker
from .system import Model, endpoint_closure
from .table import RuleTable
from .tcb import Concrete, describe_segment

__all__ = ["promela", "Promela", "ENDS", "CHECK_BITS", "AMBIGUOUS"]

#: The properties the generated model checks (``checks=True``), each with its bit of
#: the environment variable ``TCPCHECK_SKIP`` that turns it off when pan runs.
CHECK_BITS = {**{inv.id: k for k, inv in enumerate(CHECKED)}, "STEP1": len(CHECKED), "DEAD1": len(CHECKED) + 1}

#: pan's error message where an endpoint reaches a reaction the rule table does not decide.
AMBIGUOUS = "tcpcheck: ambiguous reaction"

#: The two endpoints: (name, local variable, outgoing channel, incoming channel).
ENDS = (("A", "lA", "ab", "ba"), ("B", "lB", "ba", "ab"))


class Promela(str):
    """The Promela text, with what it was made of.

    ``states``: tcpcheck's count of its states (None when not counted);
    ``model``: the :class:`Model` whose interned TCBs and applications the
    tables number; ``locals``: per endpoint, local number -> (TCB id, App id);
    ``segments``: per channel ("ab", "ba"), segment -> number (from 1);
    ``bag``: whether the channels are bags; ``where``: line -> what the
    option on it is, ``(actor, kind)`` with kind "call" (a user call or
    timeout), "rcv", "lose", "duplicate", or ``("check", property id)``;
    ``initial``: the initial value of each variable, by name (an array's as a
    list); ``ambiguous``: (endpoint, row of its reaction tables) -> the
    :class:`ClassificationError`'s text, for each pair the table does not decide."""

    states: int | None
    model: Model
    locals: tuple
    segments: dict
    bag: bool
    where: dict
    initial: dict
    ambiguous: dict


def _reaction(m: Model, i: int, t: int, p: int, q):
    """:meth:`Model.reaction`, or the ClassificationError's text when the rule
    table does not decide it (a string in place of the (step, TCB, App) triple)."""
    try:
        return m.reaction(i, t, p, q)
    except ClassificationError as e:
        return str(e)


#: Entries per chunk of a table: SPIN 6.5.2 refuses a ``c_decl`` of more than 64 KiB of text.
CHUNK = 1 << 13


def _c_array(name: str, values) -> list[str]:
    """A constant C table ``name(i)`` (pan's own data, not in SPIN's state vector),
    in ``c_decl`` blocks of :data:`CHUNK` entries each, and (last, for the
    ``c_decl`` of the macros) the macro that reads it."""
    values = list(values) or [0]
    lo, hi = min(values), max(values)
    kind = "unsigned char" if 0 <= lo and hi <= 255 else "short" if -32768 <= lo and hi <= 32767 else "int"
    parts = [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]
    out = [f"c_decl {{ static const {kind} {name}_{n}[{len(v)}] = {{{','.join(map(str, v))}}}; }}"
           for n, v in enumerate(parts)]
    if len(parts) == 1:
        out.append(f"#define {name}(i) {name}_0[i]")
    else:
        out.append(f"c_decl {{ static const {kind} *{name}_[{len(parts)}] = {{"
                   + ",".join(f"{name}_{n}" for n in range(len(parts))) + "}; }")
        out.append(f"#define {name}(i) {name}_[(i) >> {CHUNK.bit_length() - 1}][(i) & {CHUNK - 1}]")
    return out


class _Writer:
    def __init__(self, model: Model, checks: bool):
        self.model = model
        self.cfg = model.config
        self.cap = self.cfg.capacity
        self.bag = self.cfg.reordering
        self.budget = model.loss_budget
        self.checks = checks
        locs, segs = endpoint_closure(model)
        self.locs = locs
        self.loc_id = [{loc: n for n, loc in enumerate(ls)} for ls in locs]
        # segments of each channel numbered from 1 in their order (a bag's sorted tuple is that order too)
        self.seg_id = {c: {s: n + 1 for n, s in enumerate(sorted(segs[i]))}
                       for i, (_, _, c, _) in enumerate(ENDS)}
        self.lines: list[str] = []
        self.where: dict[int, tuple] = {}
        self.initial: dict = {}
        self.ambiguous: dict[tuple[str, int], str] = {}

    # --- channels (C, on pan's state vector ``now``) ---------------------------------

    def _chan_vars(self, c: str, flight) -> list[str]:
        ids = self.seg_id[c]
        if self.bag:  # element k counts segment k+1
            counts = [0] * max(1, len(ids))
            for s in flight:
                counts[ids[s] - 1] += 1
        else:  # slot j holds a segment's number, 0 when unused
            counts = [ids[s] for s in flight] + [0] * (self.cap - len(flight))
        self.initial[c], self.initial[f"n{c}"] = counts, len(flight)
        return [f"byte {c}[{len(counts)}] = {{{','.join(map(str, counts))}}};", f"byte n{c} = {len(flight)};"]

    def push_macros(self) -> list[str]:
        """PUSH_c(q): put segment number q (0: none) on channel c, or drop it when c is full."""
        out = []
        for c in ("ab", "ba"):
            put = f"now.{c}[(q) - 1]++" if self.bag else f"now.{c}[now.n{c}] = (q)"
            out.append(f"#define PUSH_{c}(q) if ((q) != 0 && now.n{c} < {self.cap}) {{ {put}; now.n{c}++; }}")
        return out

    def _remove_at(self, c: str, i: int) -> str:
        """Remove FIFO slot ``i`` of ``c``: the later ones move up, the last becomes 0."""
        moves = [f"now.{c}[{j}] = now.{c}[{j + 1}];" for j in range(i, self.cap - 1)]
        return " ".join(moves + [f"now.{c}[{self.cap - 1}] = 0; now.n{c}--;"])

    def losses(self, c: str):
        """(guard, effect, segment number or FIFO slot) of each loss on ``c``."""
        lost = " now.lost++;" if self.budget is not None else ""
        within = f" && now.lost < {self.budget}" if self.budget is not None else ""
        if self.bag:
            for k in range(len(self.seg_id[c])):
                yield f"now.{c}[{k}] > 0{within}", f"now.{c}[{k}]--; now.n{c}--;{lost}", k + 1
        else:
            for i in range(self.cap):
                yield f"now.n{c} > {i}{within}", self._remove_at(c, i) + lost, i

    def duplications(self, c: str):
        """(guard, effect, segment number or FIFO slot) of each duplication on ``c``."""
        if self.bag:
            for k in range(len(self.seg_id[c])):
                yield f"now.{c}[{k}] > 0 && now.n{c} < {self.cap}", f"now.{c}[{k}]++; now.n{c}++;", k + 1
        else:
            for i in range(self.cap - 1):
                first = "".join(f" && now.{c}[{j}] != now.{c}[{i}]" for j in range(i))  # its first copy only
                moves = [f"now.{c}[{j}] = now.{c}[{j - 1}];" for j in range(self.cap - 1, i + 1, -1)]
                yield (f"now.n{c} > {i} && now.n{c} < {self.cap}{first}",
                       " ".join(moves + [f"now.{c}[{i + 1}] = now.{c}[{i}]; now.n{c}++;"]), i)

    # --- the tables ------------------------------------------------------------------

    def tables(self) -> list[str]:
        """The endpoints' reaction tables (``width``: the most calls and timeouts
        a local state has; ``maxs``: the most segments one step sends)."""
        m = self.model
        local = {(i, t, p, tm): m.local_reactions(i, t, p, tm) for i in (0, 1) for t, p in self.locs[i]
                 for tm in range(4)}
        rcv = {(i, t, p, q): _reaction(m, i, t, p, q) for i, (_, _, _, c_in) in enumerate(ENDS)
               for t, p in self.locs[i] for q in self.seg_id[c_in]}
        self.width = max(1, max(map(len, local.values()), default=1))
        self.maxs = max(1, max((len(m.step(st).sent) for steps in local.values() for st, _, _ in steps),
                               default=1), max((len(m.step(h[0]).sent) for h in rcv.values()
                                                if not isinstance(h, str)), default=1))
        out = []
        for i, (who, _, c_out, c_in) in enumerate(ENDS):
            ids, out_ids = self.loc_id[i], self.seg_id[c_out]

            def sent(step):
                qs = [out_ids[q] for q in m.step(step).sent]
                return qs + [0] * (self.maxs - len(qs))

            n, nxt, lsent = [], [], []
            for t, p in self.locs[i]:
                for tm in range(4):
                    steps = local[(i, t, p, tm)]
                    n.append(len(steps))
                    for k in range(self.width):
                        nxt.append(ids[steps[k][1:]] if k < len(steps) else 0)
                        lsent += sent(steps[k][0]) if k < len(steps) else [0] * self.maxs
            rnext, rsent, rstep, rambig = [], [], [], []
            for t, p in self.locs[i]:
                for q in sorted(self.seg_id[c_in], key=self.seg_id[c_in].get):
                    h = rcv[(i, t, p, q)]
                    if isinstance(h, str):  # undecided: no change, and pan's uerror if it is reached
                        self.ambiguous[(who, len(rnext))] = h
                        rambig.append(1)
                        rnext.append(ids[(t, p)])
                        rsent += [0] * self.maxs
                        rstep.append(0)
                        continue
                    st, t2, p2 = h
                    rambig.append(0)
                    rnext.append(ids[(t2, p2)])
                    rsent += sent(st)
                    rstep.append(int(_reset_in_last_ack(m.tcb_ids.items[t], q, m.tcb_ids.items[t2])))
            out += [*_c_array(f"{who}_LN", n), *_c_array(f"{who}_LNEXT", nxt), *_c_array(f"{who}_LSENT", lsent),
                    *_c_array(f"{who}_RNEXT", rnext), *_c_array(f"{who}_RSENT", rsent)]
            if any(rambig):
                out += _c_array(f"{who}_RAMBIG", rambig)
            if self.checks:
                out += _c_array(f"{who}_STEP1", rstep)
        return out

    def tcb_tables(self) -> list[str]:
        """Per endpoint, local number -> its TCB's number among that endpoint's TCBs;
        the peer-quiet, acceptable-end and invariant tables over those numbers."""
        m = self.model
        self.tcbs = [sorted({t for t, _ in self.locs[i]}) for i in (0, 1)]
        tix = [{t: n for n, t in enumerate(ts)} for ts in self.tcbs]
        out = []
        for i, (who, _, _, _) in enumerate(ENDS):
            out += _c_array(f"{who}_TCB", [tix[i][t] for t, _ in self.locs[i]])
            out += _c_array(f"{who}_QUIET", [int(m.nothing_to_retransmit(t)) for t in self.tcbs[i]])
            if self.checks:
                T = m.tcb_ids.items
                out += _c_array(f"{who}_END", [int(T[t].state == "CLOSED"
                                                   or (T[t].state == "LISTEN" and T[t].passive))
                                               for t in self.tcbs[i]])
        if self.checks:
            out += self._invariant_tables()
        return out

    def _invariant_tables(self) -> list[str]:
        """Bit k-1 for INVk: broken by the pair of TCBs (INV_PAIR), or by a segment
        in flight from A (INV_AB) or from B (INV_BA) with that pair."""
        T = self.model.tcb_ids.items
        checks = [checker(Concrete, inv) for inv in CHECKED]
        pair, ab, ba = [], [], []
        segs_ab = sorted(self.seg_id["ab"], key=self.seg_id["ab"].get)
        segs_ba = sorted(self.seg_id["ba"], key=self.seg_id["ba"].get)

        def bits(*args):
            return sum(1 << k for k, ch in enumerate(checks) if ch(*args) is not None)

        for ta in self.tcbs[0]:
            A = T[ta]
            for tb in self.tcbs[1]:
                B = T[tb]
                pair.append(bits(A, B, (), ()))
                ab += [bits(A, B, (q,), ()) for q in segs_ab]
                ba += [bits(A, B, (), (q,)) for q in segs_ba]
        return [*_c_array("INV_PAIR", pair), *_c_array("INV_AB", ab), *_c_array("INV_BA", ba)]

    # --- the model -----------------------------------------------------------------------

    def timers(self, i: int) -> str:
        """The C expression of endpoint ``i``'s timers (Model._timers): 1 when the
        retransmission timer may expire, plus 2 when 2MSL may."""
        quiet = "(now.nab == 0 && now.nba == 0)"
        cfg = self.cfg
        if not self.model.timer_switches:
            return f"({quiet} ? 3 : 0)"
        peer, peer_var = ("B", "lB") if i == 0 else ("A", "lA")
        nothing = f"{peer}_QUIET({peer}_TCB(now.{peer_var}))"
        msl = (f"({quiet} || {0 if cfg.time_wait_waits_for_network else 1})"
               f" && ({0 if cfg.time_wait_outlasts_rto else 1} || {nothing})")
        return f"(({quiet} ? 1 : 0) + (({msl}) ? 2 : 0))"

    def _invariant_bits(self) -> str:
        """The C expression of the bits of the invariants the current state breaks."""
        ntb = len(self.tcbs[1])
        pair = f"(A_TCB(now.lA) * {ntb} + B_TCB(now.lB))"
        terms = [f"INV_PAIR({pair})"]
        for c, table in (("ab", "INV_AB"), ("ba", "INV_BA")):
            ns = len(self.seg_id[c])
            if self.bag:
                terms += [f"(now.{c}[{k}] > 0 ? {table}({pair} * {ns} + {k}) : 0)" for k in range(ns)]
            else:
                terms += [f"(now.n{c} > {j} ? {table}({pair} * {ns} + now.{c}[{j}] - 1) : 0)"
                          for j in range(self.cap)]
        return " | ".join(terms)

    def _option(self, guard: str, effect: str, what: tuple) -> None:
        """One option of the loop: ``guard`` (a C expression; SPIN refuses a
        ``c_expr`` that calls, so it is a macro of the ``c_decl``) and ``effect``."""
        name = f"G{len(self.guards)}"
        self.guards.append(f"#define {name} ({guard})")
        self.options.append((f"  :: d_step {{ c_expr {{ {name} }} -> c_code {{ {effect} }} }}", what))

    def _sends(self, who: str, table: str, c_out: str) -> str:
        return " ".join(f"PUSH_{c_out}({who}_{table}(r * {self.maxs} + {j}))" for j in range(self.maxs))

    def text(self, states: int | None) -> str:
        m = self.model
        s0 = m.initial_states()[0]
        count = (f"{states} states (SPIN: pan -DNOREDUCE -DSAFETY counts as many)" if states is not None
                 else "states not counted")
        head = [f"/* tcpcheck: {self.cfg.name}: {count}. Generated by tcpcheck export --format promela; "
                "do not edit. */",
                "/* segments by number (in a bag channel, element k counts segment k+1): " + "; ".join(
                    f"{c}#{k} {describe_segment(s)}" for c in ("ab", "ba") for s, k in self.seg_id[c].items())
                + " */",
                "/* local states (lA, lB): " + "; ".join(
                    f"{who}{n} {m.tcb_ids.items[t].state}" for i, (who, _, _, _) in enumerate(ENDS)
                    for n, (t, _) in enumerate(self.locs[i])) + " */"]
        tables = self.tables() + self.tcb_tables()
        kind = "byte" if max(len(self.locs[0]), len(self.locs[1])) <= 256 else "short"
        la, lb = self.loc_id[0][(s0[0], s0[2])], self.loc_id[1][(s0[1], s0[3])]
        self.initial.update(lA=la, lB=lb)
        vars_ = [f"{kind} lA = {la};", f"{kind} lB = {lb};"]
        vars_ += self._chan_vars("ab", m.flight_ids.items[s0[4]]) + self._chan_vars("ba", m.flight_ids.items[s0[5]])
        if self.budget is not None:
            vars_.append(f"byte lost = {s0[6]};")
            self.initial["lost"] = s0[6]
        decl = [t for t in tables if not t.startswith("#")] + ["c_decl {", "typedef int tcpcheck_macros;  /* SPIN calls a block of macros alone empty */"] + [t for t in tables if t.startswith("#")] + [
            f"#define TIMERS_A {self.timers(0)}", f"#define TIMERS_B {self.timers(1)}"] + self.push_macros()
        if self.checks:
            # SPIN runs cpp over the model and refuses a c_expr with an assignment or a call,
            # so the environment is read once, before the search
            decl += ["extern char *getenv(const char *); extern int atoi(const char *);",
                     "static int tcpcheck_skip;",
                     "__attribute__((constructor)) static void tcpcheck_read_skip(void) "
                     "{ char *s = getenv(\"TCPCHECK_SKIP\"); tcpcheck_skip = s ? atoi(s) : 0; }",
                     "/* SKIP(b): bit b of the environment's TCPCHECK_SKIP: a check not to make, by CHECK_BITS */",
                     "#define SKIP(b) ((tcpcheck_skip >> (b)) & 1)"]
            decl.append(f"#define INVARIANTS_BROKEN ({self._invariant_bits()})")
            decl.append("#define ACCEPTABLE_END (now.nab == 0 && now.nba == 0 && A_END(A_TCB(now.lA)) "
                        "&& B_END(B_TCB(now.lB)))")
        decl.append("}")
        self.guards, self.options = [], []
        if self.checks:  # first: SPIN tries the options in order, so a violation is found in the first
            # state of its depth-first path that has it
            for k, inv in enumerate(CHECKED):
                self._option(f"!SKIP({CHECK_BITS[inv.id]}) && ((INVARIANTS_BROKEN) & {1 << k})",
                             f"uerror(\"tcpcheck: {inv.id} violated\");",
                             ("check", inv.id))
            self.options.append((f"  :: d_step {{ timeout -> c_code {{ if (!SKIP({CHECK_BITS['DEAD1']}) && !(ACCEPTABLE_END)) "
                                 "uerror(\"tcpcheck: DEAD1 violated\"); } }", ("check", "DEAD1")))
        w = self.width
        for who, var, c_out, c_in in ENDS:
            row = f"now.{var} * 4 + TIMERS_{who}"
            for k in range(w):
                self._option(f"{who}_LN({row}) > {k}",
                             f"int r = ({row}) * {w} + {k}; {self._sends(who, 'LSENT', c_out)} "
                             f"now.{var} = {who}_LNEXT(r);", (who, "call", k))
        for who, var, c_out, c_in in ENDS:
            ns = len(self.seg_id[c_in])
            if self.bag:
                arrivals = [(f"now.{c_in}[{k}] > 0", f"now.{var} * {ns} + {k}",
                             f"now.{c_in}[{k}]--; now.n{c_in}--;", k + 1) for k in range(ns)]
            else:
                arrivals = [(f"now.n{c_in} > 0", f"now.{var} * {ns} + now.{c_in}[0] - 1",
                             self._remove_at(c_in, 0), 0)]
            ambiguous = (f" if ({who}_RAMBIG(r)) {{ printf(\"tcpcheck: ambiguous {who} %d\\n\", r); "
                         f"uerror(\"{AMBIGUOUS}\"); }}" if any(w == who for w, _ in self.ambiguous) else "")
            for guard, index, take, k in arrivals:
                step1 = (f" if (!SKIP({CHECK_BITS['STEP1']}) && {who}_STEP1(r)) uerror(\"tcpcheck: STEP1 violated\");"
                         if self.checks else "")
                self._option(guard, f"int r = {index};{ambiguous} {take}{step1} {self._sends(who, 'RSENT', c_out)} "
                                    f"now.{var} = {who}_RNEXT(r);", (who, "rcv", k))
        for c in ("ab", "ba"):
            if self.cfg.loss:
                for g, e, k in self.losses(c):
                    self._option(g, e, ("network", "lose", c, k))
            if self.cfg.duplication:
                for g, e, k in self.duplications(c):
                    self._option(g, e, ("network", "duplicate", c, k))
        self.lines = head + vars_ + decl[:-1] + self.guards + ["}", "", "active proctype tcp()", "{", "end:", "  do"]
        for text, what in self.options:
            self.lines.append(text)
            self.where[len(self.lines)] = what
        self.lines += ["  od", "}"]
        return "\n".join(self.lines) + "\n"


def _reset_in_last_ack(before, seg, after) -> bool:
    """STEP1's test (model.properties): a reset moves LAST_ACK to CLOSED."""
    return bool(seg.RST) and before.state == "LAST_ACK" and after.state == "CLOSED"


def promela(config: Config, table: RuleTable | None = None, *, checks: bool = False,
            count: bool = True, model: Model | None = None) -> Promela:
    """The Promela model of ``config`` with ``table`` (else the configuration's,
    else the reference), as text.  With ``count`` tcpcheck explores it first and
    ``.states`` is its count of states (said in the first line); ``checks``
    adds the safety properties (see the module's docstring).  ``model``: the
    model to generate from, instead of a new one built from ``config``.

    >>> from tcpcheck.model.config import preset
    >>> p = promela(preset("seed"))
    >>> p.states, p.splitlines()[3]
    (14, 'byte lA = 0;')
    """
    model = model if model is not None else build(config, table)
    states = None
    if count:
        x = explore(build(config, model.table, model.actions))
        if not x.complete:
            raise ValueError("promela: the exploration did not complete")
        states = len(x.states)
    w = _Writer(model, checks)
    out = Promela(w.text(states))
    out.states, out.model, out.bag = states, model, w.bag
    out.locals = tuple(tuple(ls) for ls in w.locs)
    out.segments = {c: dict(ids) for c, ids in w.seg_id.items()}
    out.where, out.initial, out.ambiguous = dict(w.where), dict(w.initial), dict(w.ambiguous)
    return out
