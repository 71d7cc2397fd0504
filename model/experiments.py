"""The seed note's claims C1-C17 as experiments anyone can run.

Each experiment asks the model one question about one or more claims and
answers with a verdict, a finding in plain words and the shortest run that
shows it (a witness, or a counterexample on a broken variant of the model).
Verdicts say how the model relates to the note:

* ``confirmed``: the model does what the note says;
* ``qualified``: it does, but the model shows more, or a limit the note does
  not mention (the finding says what);
* ``refuted``: the model does otherwise.

Every experiment has the verdict it is expected to give, the one the
reference model gives; the report and the exit code say whether each came
out as expected.  Experiments compute; they do not draw (the report with
charts is written by the diagrams package).

They run on the reference model, on a named mutant of it, or on any other
rule table (a student's: :func:`run_experiment` with ``table=``), with or
without a mutant's edits on top.  On a model whose verdict is not the
reference model's, the reference's finding does not apply: the finding then
says so and how the two endpoints went in the run shown (``other-verdict``).

The English of the findings is the one source of what they say: each finding
is a :class:`~tcpcheck.model.properties.Text` made from a template of
:data:`FINDINGS` (named after its experiment, or ``experiment/part`` for a
part of one) and the facts the run gave.  Translations are kept by the
diagrams package under the same names, and under the experiment's name for
its question.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, NamedTuple

from .checker import build, run
from .config import preset
from .errors import UnknownName, unknown
from .explorer import find_path
from .events import TIMERS
from .mutants import MutantError, apply_mutant, mutant as _mutant
from .properties import Text
from .scenarios import SCENARIOS
from .table import RuleTable, load_table
from .tcb import MOD, describe_segment

__all__ = ["Outcome", "Experiment", "EXPERIMENTS", "IDS", "FINDINGS", "On", "experiment_name", "run_experiment", "mutant_table"]


class Outcome(NamedTuple):
    verdict: str  # "confirmed", "qualified" or "refuted"
    finding: str  # what the model shows, in a few sentences (a Text of FINDINGS); an
    # experiment's run may leave it None when its verdict is not the expected one, for which
    # run_experiment says what the model shows instead
    config: str  # the configuration the trace comes from (a Text when on a mutant)
    table: object  # the rule table the trace was run with
    trace: list | None  # the shortest run that shows it: [(None, s0), (step, s1), ...]
    trace_kind: str = "witness"  # or "counterexample"


class Experiment(NamedTuple):
    """One question put to the model about claims of the seed note, with its stable
    short id (EXP1-EXP13, see :data:`IDS`), printed beside its name."""

    name: str
    claims: tuple[str, ...]
    question: str
    expected: str
    run: Callable[["On"], Outcome]
    id: str = ""


#: What each experiment found, as English templates filled in with the facts of
#: its run: the key is the experiment's name, or "name/part" for a part of one.
FINDINGS: dict[str, str] = {
    "handshake":
        "The client sends {syn}; the server answers with one segment carrying both SYN and ACK, "
        "{syn_ack}, whose ACK is the client's ISS+1; the client's {ack} acknowledges the server's "
        "SYN. The client is ESTABLISHED on the SYN,ACK, the server on the ACK.",
    "active-passive":
        "The side that closes first (the client) goes FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT: the "
        "active close. The other goes CLOSE_WAIT -> LAST_ACK: the passive close. Only the active "
        "closer waits in TIME_WAIT.",
    "fin-sequence":
        "Each FIN is acknowledged with its sequence number plus one: the client's FIN has "
        "SEQ={client_fin} and is acknowledged with ACK={client_ack}{wrap}; the server's FIN has "
        "SEQ={server_fin} and ACK={server_ack}. A FIN occupies one sequence number, like a SYN.",
    "fin-sequence/wrap": " ({seq} + 1 wraps to 0: sequence arithmetic is modulo 2^32)",
    "closed-listen":
        "Both endpoints start CLOSED (no TCB). A passive OPEN creates a TCB in LISTEN: the server "
        "waits for a SYN.",
    "syn-rcvd-held":
        "When the final ACK of the handshake is lost, the server stays in SYN_RCVD while the "
        "client is already ESTABLISHED. The model shows how it gets out: its retransmission timer "
        "resends the SYN,ACK, the ESTABLISHED client answers this old segment with an ACK (an "
        "unacceptable segment gets an ACK, RFC 9293 3.10.7.4), and that ACK moves the server to "
        "ESTABLISHED. Data from the client, which carries the ACK too, would do the same, sooner.",
    "syn-sent":
        "The client enters SYN_SENT when it sends its SYN (active OPEN) and waits for the "
        "server's SYN,ACK, which moves it to ESTABLISHED. The note leaves out one way out: in a "
        "simultaneous open a SYN without ACK arrives in SYN_SENT, and the endpoint goes to "
        "SYN_RCVD (the scenario 'simultaneous-open', shown here).",
    "fin-wait":
        "FIN_WAIT_1 is left on the ACK of the FIN, for FIN_WAIT_2, where the connection is "
        "half-closed: here the client, in FIN_WAIT_2, still receives and acknowledges data from "
        "the server. The model also shows what the note does not: RFC 9293 gives FIN_WAIT_2 no "
        "timeout, so over a lossy network a FIN_WAIT_2 endpoint whose peer gives up waits for "
        "ever (the 'deadlock freedom' counterexample of 'tcpcheck check').",
    "time-wait-shortcut":
        "TIME_WAIT follows the receipt and acknowledgment of the peer's FIN. One segment that "
        "carries the peer's FIN and the ACK of our FIN takes FIN_WAIT_1 straight to TIME_WAIT "
        "(Figure 5, note 2): the ACK is processed first, then the FIN.",
    "closing":
        "CLOSING is reached only when an endpoint that sent a FIN receives the peer's FIN before "
        "the ACK of its own: in every reachable state of the default model where the client is "
        "in CLOSING, the server has sent its FIN too. Both closed at about the same time. It is "
        "rare in runs, not in the state space: {share:,} of the default model's {states:,} "
        "states have an endpoint in CLOSING.",
    "half-close":
        "A FIN closes one direction only. After the client's FIN the server is in CLOSE_WAIT, "
        "still sends data, and the client (FIN_WAIT_2) accepts and acknowledges it; the server's "
        "own CLOSE comes later.",
    "last-ack":
        "The passive closer sends its FIN and waits in LAST_ACK; the ACK of that FIN deletes its "
        "TCB and it is CLOSED, with no TIME_WAIT of its own.",
    "three-vs-four":
        "Opening takes three segments because the listener puts its ACK and its SYN in one "
        "segment. Closing takes four here: RFC 9293 acknowledges a FIN at once ('rcv FIN / snd ACK'), "
        "and the server's FIN comes only when its application closes. The note says the ACK and "
        "the FIN 'can be combined when nothing is left to send'; the RFC's procedure never "
        "combines them (every FIN segment carries an ACK field, but the FIN is always "
        "acknowledged first on its own). A stack that delays its ACKs (RFC 1122) can combine "
        "them; this model does not delay ACKs.{combined}",
    "three-vs-four/combined": " (A combined FIN+ACK was seen.)",
    "time-wait-reason":
        "The final ACK is lost; the server in LAST_ACK retransmits its FIN after a timeout; the "
        "client, still in TIME_WAIT, acknowledges it again and the server closes cleanly. The "
        "model shows the limit of this answer: time is not modelled, so there are also runs "
        "where TIME_WAIT expires before the retransmitted FIN arrives and CLOSED answers it with "
        "a reset. TIME_WAIT works only because 2MSL is longer than the peer's retransmission "
        "timeouts. RFC 9293 gives a second reason the note does not: old segments of this "
        "connection must die out before it can be opened again.",
    # when the model has no run of the kind an experiment looks for
    "no-run": "The claim does not hold: the model ({config}) has no {what}.",
    "no-run/shows-it": "run that shows it",
    "no-run/scenario": "run of the scenario '{name}'",
    # when the verdict is not the reference model's: its finding does not apply
    "other-verdict":
        "This is not what the reference model shows, so its finding does not apply here. In the "
        "run below, A goes {a} and B goes {b}.",
    # the configuration of a run on a broken variant, or on another rule table
    "on-mutant": "{config}, mutant {mutant}",
    "on-table": "{config}, rule table {table}",
}


def _say(key: str, **facts) -> Text:
    """The finding (or part of one) ``key`` with ``facts`` filled in."""
    return Text(key, FINDINGS[key], **facts)


def _sent(path) -> list[tuple[str, object]]:
    return [(step.actor, seg) for step, _ in path[1:] for seg in step.sent]


def _flags(seg) -> str:
    return ",".join(n for n in ("SYN", "FIN", "RST", "ACK") if getattr(seg, n)) + ("+data" if seg.len else "")


class NoRun(Exception):
    """The model has no run of the kind an experiment looks for: ``args[0]`` says so (a Text)."""


def _key(rule) -> tuple:
    return rule.state, rule.qualifier, rule.event


def _says(rule) -> tuple | None:
    return None if rule is None else (rule.actions, rule.to)


def mutant_table(name: str, table: RuleTable) -> RuleTable:
    """``table`` with the row edits of mutant ``name`` made on it: each (state,
    event) entry the mutant changes in the reference table is changed in
    ``table`` the same way.  That is only meaningful where ``table`` says what
    the reference table says there (or what the mutant says already):
    MutantError names the entries where it does not.  (A mutant that edits no
    rows returns ``table``.)"""
    m = _mutant(name)
    if not m.edits:
        return table
    reference = {_key(r): r for r in load_table().rules}
    edited = {_key(r): r for r in apply_mutant(name, preset("default"))[1].rules}
    changed = [k for k in dict.fromkeys([*reference, *edited]) if _says(reference.get(k)) != _says(edited.get(k))]
    own = {_key(r): r for r in table.rules}
    clash = [k for k in changed if _says(own.get(k)) not in (_says(reference.get(k)), _says(edited.get(k)))]
    if clash:
        rows = "; ".join(f"{s}{f'[{q}]' if q else ''}: {e}" for s, q, e in clash)
        raise MutantError(f"mutant {name} cannot be applied to the rule table {table.name}: it edits "
                          f"what the reference table ({load_table().name}) does on {rows}, and this "
                          f"table does something else there")
    changed = set(changed)
    # the table's own rows in its order, an edited one in its place, a new one at the end
    rules = [edited[_key(r)] if _key(r) in changed else r for r in table.rules
             if _key(r) not in changed or _key(r) in edited]
    rules += [edited[k] for k in edited if k in changed and k not in own]
    return RuleTable([r._replace(id=i) for i, r in enumerate(rules)], f"{table.name}, mutant {name}",
                     table.arrivals)


class On:
    """The model an experiment runs on: the reference, a named mutant of it, or
    another rule table (``table``), with a mutant's edits or without.

    An unknown mutant, or one whose edits cannot be made on ``table``, is a
    MutantError here, before anything runs."""

    def __init__(self, mutant: str | None = None, table: RuleTable | None = None):
        self.mutant, self.table = mutant, table
        self._edited = table
        if mutant is not None:
            _mutant(mutant)
            if table is not None:
                self._edited = mutant_table(mutant, table)

    def prepare(self, config):
        """(configuration, table) of this model for ``config`` (table None: the reference)."""
        if self.mutant is None:
            return config, self.table
        if self.table is None or not _mutant(self.mutant).edits:
            return apply_mutant(self.mutant, config, self.table)
        # the row edits are made on the table already; the mutant's settings apply to the configuration
        return apply_mutant(self.mutant, config)[0], self._edited

    def named(self, config: str):
        """The name of configuration ``config`` on this model (a Text when it is not the reference)."""
        name = config if self.table is None else _say("on-table", config=config, table=self.table.name)
        return name if self.mutant is None else _say("on-mutant", config=name, mutant=self.mutant)

    def search(self, config, goal, observe=None, what=None):
        """(table, shortest path to ``goal``); NoRun if there is none (``what``
        names the run that is missing, as a Text of FINDINGS)."""
        model = build(*self.prepare(config))
        path = find_path(model, goal, observe)
        if path is None:
            raise NoRun(_say("no-run", config=self.named(config.name), what=what or _say("no-run/shows-it")))
        return model.table, path

    def scenario(self, name):
        sc = SCENARIOS[name]
        table, path = self.search(sc.config, sc.goal, sc.observe, _say("no-run/scenario", name=name))
        return sc.config, table, path  # the scenario's configuration, by its own name

    def run(self, config):
        return run(*self.prepare(config))


def _via(*facts):
    """An observer noting which of ``facts`` (name, predicate on step and state) happened."""
    def observe(notes, step, s):
        return notes | {name for name, test in facts if test(step, s)}
    return observe


# --- the experiments -------------------------------------------------------------

def _handshake(on: On) -> Outcome:
    cfg = preset("seed")
    table, path = on.search(cfg, lambda s, n: s.A.state == s.B.state == "ESTABLISHED")
    first = _sent(path)
    a_iss, b_iss = cfg.A.iss, cfg.B.iss
    ok = ([(w, _flags(q)) for w, q in first] == [("A", "SYN"), ("B", "SYN,ACK"), ("A", "ACK")]
          and first[1][1].ack == (a_iss + 1) % MOD and first[2][1].ack == (b_iss + 1) % MOD)
    finding = (_say("handshake", syn=describe_segment(first[0][1]), syn_ack=describe_segment(first[1][1]),
                    ack=describe_segment(first[2][1])) if ok else None)
    return Outcome("confirmed" if ok else "refuted", finding, "seed", table, path)


def _active_passive(on: On) -> Outcome:
    cfg, table, path = on.scenario("seed")
    a = [s.A.state for _, s in path]
    b = [s.B.state for _, s in path]
    ok = ({"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"} <= set(a) and not {"CLOSE_WAIT", "LAST_ACK"} & set(a)
          and {"CLOSE_WAIT", "LAST_ACK"} <= set(b) and "TIME_WAIT" not in b)
    return Outcome("confirmed" if ok else "refuted", _say("active-passive"), "seed", table, path)


def _fin_sequence(on: On) -> Outcome:
    cfg, table, path = on.scenario("seed")
    sent = _sent(path)
    fins = [(i, q) for i, (_, q) in enumerate(sent) if q.FIN]
    acks = [next((q for _, q in sent[i + 1:] if q.ACK and not q.FIN and q.ack == (f.seq + 1) % MOD), None)
            for i, f in fins]
    ok = len(fins) == 2 and all(acks)
    if not ok:
        return Outcome("refuted", None, "seed", table, path)
    wrap = fins[0][1].seq == MOD - 1
    return Outcome("confirmed",
                   _say("fin-sequence", client_fin=fins[0][1].seq, client_ack=acks[0].ack,
                        wrap=_say("fin-sequence/wrap", seq=fins[0][1].seq) if wrap else "",
                        server_fin=fins[1][1].seq, server_ack=acks[1].ack),
                   "seed", table, path)


def _closed_listen(on: On) -> Outcome:
    table, path = on.search(preset("reliable"), lambda s, n: s.B.state == "LISTEN")
    ok = path is not None and path[0][1].A.state == path[0][1].B.state == "CLOSED"
    return Outcome("confirmed" if ok else "refuted", _say("closed-listen"), "reliable", table, path)


def _syn_rcvd_held(on: On) -> Outcome:
    lost = ("final ACK lost", lambda st, s: st.kind == "lose" and st.event == "A->B"
            and st.segment.ACK and not st.segment.SYN and not st.segment.FIN and s.B.state == "SYN_RCVD")
    resent = ("SYN,ACK resent", lambda st, s: st.actor == "B" and st.event == "retransmission timeout"
              and s.B.state == "SYN_RCVD")
    answered = ("bare ACK", lambda st, s: st.actor == "B" and st.event == "rcv ACK of SYN"
                and not st.segment.len)
    table, path = on.search(preset("default"),
                          lambda s, n: n == {"final ACK lost", "SYN,ACK resent", "bare ACK"},
                          _via(lost, resent, answered))
    held = path is not None and path[-1][1].B.state == "ESTABLISHED"
    return Outcome("confirmed" if held else "refuted", _say("syn-rcvd-held"), "default", table, path)


def _syn_sent(on: On) -> Outcome:
    cfg, table, path = on.scenario("seed")
    steps = list(zip(path, path[1:]))
    opened = any(before.A.state != "SYN_SENT" and s.A.state == "SYN_SENT" and step.actor == "A"
                 and any(q.SYN for q in step.sent) for (_, before), (step, s) in steps)
    left = any(before.A.state == "SYN_SENT" and s.A.state == "ESTABLISHED" and step.kind == "rcv"
               and _flags(step.segment) == "SYN,ACK" for (_, before), (step, s) in steps)
    if not (opened and left):
        return Outcome("refuted", None, "seed", table, path)
    try:  # the way out the note leaves out
        _, so_table, so_path = on.scenario("simultaneous-open")
    except NoRun:  # this model has none: the note's account is the whole of it
        return Outcome("confirmed", None, "seed", table, path)
    return Outcome("qualified", _say("syn-sent"), "simultaneous-open", so_table, so_path)


def _fin_wait(on: On) -> Outcome:
    cfg = replace(preset("reliable"), name="reliable")
    got_data = ("data in FIN_WAIT_2", lambda st, s: st.actor == "A" and "rcv data" in st.event
                and s.A.state == "FIN_WAIT_2")
    table, path = on.search(cfg, lambda s, n: bool(n), _via(got_data))
    ok = path is not None and any(s.A.state == "FIN_WAIT_1" for _, s in path)
    # the qualification: no timeout takes FIN_WAIT_2 anywhere, so it can wait for ever
    no_timeout = not any(r.to != "FIN_WAIT_2" for e in TIMERS for r in table.rules_for("FIN_WAIT_2", e))
    verdict = ("qualified" if no_timeout else "confirmed") if ok else "refuted"
    return Outcome(verdict, _say("fin-wait"), "reliable", table, path)


def _time_wait_shortcut(on: On) -> Outcome:
    shortcut = ("FIN_WAIT_1 -> TIME_WAIT", lambda st, s: st.kind == "rcv" and st.event == "rcv ACK of FIN; rcv FIN"
                and s.A.state == "TIME_WAIT")
    table, path = on.search(preset("default"), lambda s, n: bool(n), _via(shortcut))
    ok = path is not None and path[-2][1].A.state == "FIN_WAIT_1"
    return Outcome("confirmed" if ok else "refuted", _say("time-wait-shortcut"), "default", table, path)


def _closing(on: On) -> Outcome:
    cfg, table, path = on.scenario("simultaneous-close")
    r = on.run(preset("default"))
    sent_fin = {"FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "TIME_WAIT", "LAST_ACK", "CLOSED"}
    x = r.exploration
    both = all(s.B.state in sent_fin for s in (x.state(i) for i in range(len(x.states)))
               if s.A.state == "CLOSING")
    share = sum(1 for i in range(len(x.states)) if "CLOSING" in (x.state(i).A.state, x.state(i).B.state))
    return Outcome("confirmed" if both else "refuted", _say("closing", share=share, states=len(x.states)),
                   cfg.name, table, path)


def _half_close(on: On) -> Outcome:
    sent_in_close_wait = ("data from CLOSE_WAIT", lambda st, s: st.actor == "B" and st.event == "SEND"
                          and s.B.state == "CLOSE_WAIT")
    delivered = ("delivered", lambda st, s: st.actor == "A" and "rcv data" in st.event
                 and s.B.state in ("CLOSE_WAIT", "LAST_ACK"))
    table, path = on.search(preset("reliable"), lambda s, n: n == {"data from CLOSE_WAIT", "delivered"},
                          _via(sent_in_close_wait, delivered))
    ok = path is not None
    return Outcome("confirmed" if ok else "refuted", _say("half-close"), "reliable", table, path)


def _last_ack(on: On) -> Outcome:
    cfg, table, path = on.scenario("seed")
    i = next((n for n, (_, s) in enumerate(path) if n and s.B.state == "CLOSED"), None)
    ok = i is not None and path[i - 1][1].B.state == "LAST_ACK" and path[i][0].event == "rcv ACK of FIN"
    return Outcome("confirmed" if ok else "refuted", _say("last-ack"), "seed", table, path)


def _three_vs_four(on: On) -> Outcome:
    cfg, table, path = on.scenario("seed")
    sent = _sent(path)
    # combined: the first segment B sends that acknowledges A's FIN is itself B's FIN
    # (every FIN carries an ACK field, so 'FIN and ACK' alone would always be true)
    a_fin = next((q for w, q in sent if w == "A" and q.FIN), None)
    first_ack = next((q for w, q in sent if w == "B" and a_fin is not None and q.ACK
                      and q.ack == (a_fin.seq + 1) % MOD), None)
    combined = first_ack is not None and first_ack.FIN
    r = on.run(preset("reliable"))
    x = r.exploration
    # Is there any run in which the passive closer's FIN is its first answer to the peer's FIN,
    # i.e. the ACK and the FIN travel together?  In the table, 'rcv FIN' always sends an ACK at once.
    rows = r.table.rules_for("ESTABLISHED", "rcv FIN")
    acks_at_once = all("snd ACK" in rule.actions for rule in rows)
    return Outcome("qualified" if acks_at_once else "confirmed",
                   _say("three-vs-four", combined=_say("three-vs-four/combined") if combined else ""),
                   "seed", table, path)


def _time_wait_reason(on: On) -> Outcome:
    cfg, table, path = on.scenario("lost-final-ack")
    reacked = any(st and st.event == "rcv retransmitted FIN" and s.A.state == "TIME_WAIT" for st, s in path)
    return Outcome("qualified" if reacked else "refuted", _say("time-wait-reason"), cfg.name, table, path)


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("handshake", ("C1", "C2", "C3"),
               "Does opening take SYN; SYN+ACK (acknowledging SYN+1); ACK, leaving both ESTABLISHED?",
               "confirmed", _handshake, id="EXP1"),
    Experiment("half-close", ("C4", "C14"),
               "After receiving a FIN, can an endpoint still send data, and is it delivered?",
               "confirmed", _half_close, id="EXP2"),
    Experiment("active-passive", ("C5",),
               "Does the side that closes first go through FIN_WAIT and TIME_WAIT, the other through "
               "CLOSE_WAIT and LAST_ACK?", "confirmed", _active_passive, id="EXP3"),
    Experiment("fin-sequence", ("C6", "C7"),
               "Is each FIN acknowledged with its sequence number plus one?", "confirmed", _fin_sequence, id="EXP4"),
    Experiment("closed-listen", ("C8",),
               "Do endpoints start CLOSED, and does a passive OPEN lead to LISTEN?", "confirmed",
               _closed_listen, id="EXP5"),
    Experiment("syn-rcvd-held", ("C9",),
               "If the handshake's final ACK is lost, does the server stay in SYN_RCVD, and what gets "
               "it out?", "confirmed", _syn_rcvd_held, id="EXP6"),
    Experiment("syn-sent", ("C10",),
               "Is SYN_SENT entered on an active OPEN and left on the server's SYN,ACK?", "qualified",
               _syn_sent, id="EXP7"),
    Experiment("fin-wait", ("C11",),
               "Is FIN_WAIT_1 left on the ACK of the FIN, and is FIN_WAIT_2 a half-closed connection?",
               "qualified", _fin_wait, id="EXP8"),
    Experiment("time-wait-shortcut", ("C12",),
               "Does a segment carrying FIN and the ACK of our FIN take FIN_WAIT_1 straight to TIME_WAIT?",
               "confirmed", _time_wait_shortcut, id="EXP9"),
    Experiment("closing", ("C13",),
               "Is CLOSING reached only when both ends close at about the same time?", "confirmed", _closing,
               id="EXP10"),
    Experiment("last-ack", ("C15",),
               "Does the ACK of its FIN take LAST_ACK to CLOSED?", "confirmed", _last_ack, id="EXP11"),
    Experiment("three-vs-four", ("C16",),
               "Why three segments to open but four to close, and can the ACK and FIN be combined?",
               "qualified", _three_vs_four, id="EXP12"),
    Experiment("time-wait-reason", ("C17",),
               "Does TIME_WAIT let the active closer acknowledge a retransmitted FIN after the final "
               "ACK is lost?", "qualified", _time_wait_reason, id="EXP13"),
)}


#: The experiments' stable short ids, in order: EXP1-EXP13 (never changed nor given
#: to another experiment; a new experiment takes the next number).
IDS: tuple[str, ...] = tuple(e.id for e in EXPERIMENTS.values())


def _went(path, who: str) -> str:
    """The states ``who`` went through along ``path``: ``CLOSED -> SYN_SENT -> ...``."""
    states = [getattr(s, who).state for _, s in path]
    return " -> ".join(st for i, st in enumerate(states) if i == 0 or st != states[i - 1])


def experiment_name(name: str) -> str:
    """The name of the experiment ``name`` names, by name or id (``EXP4``, ``exp4``);
    UnknownName says which was likely meant and lists the known ones.

    >>> experiment_name("exp1"), experiment_name("handshake")
    ('handshake', 'handshake')
    >>> experiment_name("handshak")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tcpcheck.model.errors.UnknownName: unknown experiment 'handshak'; did you mean 'handshake'? known experiments: handshake, ...
    """
    if name in EXPERIMENTS:
        return name
    by_id = {e.id: n for n, e in EXPERIMENTS.items()}
    if isinstance(name, str) and name.upper() in by_id:
        return by_id[name.upper()]
    raise UnknownName(unknown("experiment", name, [*EXPERIMENTS, *by_id],
                              f"known experiments: {', '.join(EXPERIMENTS)} (or their ids, "
                              f"{IDS[0]}-{IDS[-1]})"))


def run_experiment(name: str, mutant: str | None = None, table: RuleTable | None = None) -> Outcome:
    """Run the experiment ``name`` on the reference model, on ``mutant``, on the
    rule table ``table`` (e.g. a student's, from :func:`~tcpcheck.model.table.load_table`),
    or on ``table`` with the edits of ``mutant`` (see :func:`mutant_table`).

    ``name`` may be the experiment's id (``EXP4``).  UnknownName (a KeyError)
    with the name likely meant and the known ones if there is no such experiment; MutantError
    for an unknown mutant or one that cannot be applied to ``table``.  When the
    model has no run of the kind the experiment looks for, the verdict is
    ``refuted`` and the finding says which run is missing.  When the verdict is
    not the expected one (the reference model's), the finding says that the
    reference's finding does not apply, and how the endpoints went instead."""
    name = experiment_name(name)
    on = On(mutant, table)
    try:
        outcome = EXPERIMENTS[name].run(on)
    except NoRun as exc:
        return Outcome("refuted", exc.args[0], on.named("default"), None, None)
    if outcome.verdict != EXPERIMENTS[name].expected:
        outcome = outcome._replace(finding=_say("other-verdict", a=_went(outcome.trace, "A"),
                                                b=_went(outcome.trace, "B")))
        if outcome.verdict == "refuted":  # the run shows that the claim does not hold
            outcome = outcome._replace(trace_kind="counterexample")
    return outcome._replace(config=on.named(outcome.config))
