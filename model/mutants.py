"""Named mutants: variants of the reference model, each one deliberate bug.

A mutant is one edit of the reference model: rows of the rule table
replaced (``(old row, new row)`` pairs of ``rfc9293.rules``, each applied
exactly once), or a switch of the configuration turned.  Each one
illustrates claims of the seed note (``shared/seed/CLAIMS.md``) by what goes
wrong without the piece of RFC 9293 it removes, and comes with

* the property that fails on it, with a shortest counterexample, and holds
  on the reference model in the same configuration;
* that configuration, as the TOML text of a configuration file (a preset and
  overrides), so that ``tcpcheck mutants`` can print it and anyone can save
  it and check the reference model in it.

:func:`apply_mutant` turns a configuration and a table into the mutant's;
``tcpcheck check --mutant NAME`` runs it (in the mutant's own configuration
unless ``--preset`` or ``--config`` names another).  An edit that no longer
matches the reference table is a bug of this module and fails loudly.

It defines and applies mutants; it does not run them.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from typing import Callable, NamedTuple

from .config import Config, parse_config
from .errors import InputError, closest
from .events import PLAIN_ACK_STATES, checked
from .table import REFERENCE, RuleTable, load_table, parse_table

__all__ = ["Mutant", "MUTANTS", "MutantError", "apply_mutant", "mutant", "mutant_config"]


class MutantError(InputError):
    """A mutant that does not exist, or cannot be applied to the table given."""


class Mutant(NamedTuple):
    """One named variant of the reference model."""

    name: str
    description: str  # one line: what is different
    claims: tuple[str, ...]  # the seed note's claims it illustrates (CLAIMS.md)
    edits: tuple[tuple[str, str], ...]  # (old row, new row) of rfc9293.rules, each applied once
    settings: dict  # configuration fields it changes (Config field -> value)
    property: str | None  # the property that fails on it and holds on the reference model;
    # None when no bounded run reaches the bug and only ``tcpcheck prove`` sees it
    config: str  # TOML: the configuration in which it is demonstrated
    semantics: Callable | None = None  # ARRIVALS -> ARRIVALS: a changed guard or effect of events.py

    def edited(self, text: str) -> str:
        """``text`` (the reference table) with this mutant's row edits applied.

        Raises RuntimeError when an old row does not occur exactly once: the
        mutant would otherwise silently be (a part of) the reference model."""
        for old, new in self.edits:
            n = text.count(old)
            if n != 1:
                raise RuntimeError(f"mutant {self.name}: the row to replace occurs {n} times "
                                   f"in the table, not once: {old!r}")
            text = text.replace(old, new)
        return text


def _take_any_ack(D, t, s):
    """SND.UNA <- SEG.ACK whenever SEG.ACK is ahead of SND.UNA (serial order)."""
    return t._replace(snd_una=D.If(D.lt(t.snd_una, s.ack), s.ack, t.snd_una))


def _record_syn_at(arrivals, plus: int):
    """The arrival events with IRS <- SEG.SEQ, RCV.NXT <- SEG.SEQ + ``plus`` on every SYN
    (events.py has plus 1: a SYN occupies one sequence number)."""
    def effect(D, t, s, ack=False):
        t = t._replace(irs=s.seq, rcv_nxt=D.add(s.seq, plus))
        return t._replace(snd_una=s.ack) if ack else t
    out = []
    for e in arrivals:
        if e.name == "rcv SYN" and e.effect is not None:
            e = e._replace(effect=effect)
        elif e.name == "rcv SYN,ACK":
            e = e._replace(effect=lambda D, t, s: effect(D, t, s, True))
        out.append(e)
    return tuple(out)


# Pieces of the configurations below (TOML: top-level keys, then tables).
_SEED_LOSSY = '''preset = "seed"
[network]
loss = true
loss_budget = 1      # fewer losses than retransmissions: every segment sent again gets through
capacity = 3         # no channel ever fills up, so nothing is dropped
'''
_EITHER_CLOSES = '''[A]
close_in = ["ESTABLISHED", "CLOSE_WAIT"]   # either side may close first, or both at once
[B]
close_in = ["ESTABLISHED", "CLOSE_WAIT"]
'''

MUTANTS: dict[str, Mutant] = {m.name: m for m in (
    Mutant(
        "no-time-wait",
        "the active closer goes to CLOSED instead of TIME_WAIT on the peer's FIN",
        ("C12", "C17"),
        (("CLOSING      | rcv ACK of FIN          | -                          | TIME_WAIT   | F18, 3.10.7.4 fifth",
              "CLOSING      | rcv ACK of FIN          | delete TCB                 | CLOSED      | F18 (mutant no-time-wait)"),
         ("FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth",
              "FIN_WAIT_2   | rcv FIN                 | snd ACK; delete TCB        | CLOSED      | F16 (mutant no-time-wait)")),
        {},
        "the passive closer is never reset",
        _SEED_LOSSY + '''[timers]
time_wait_outlasts_rto = true   # 2MSL is longer than the peer's retransmission timeouts
''' + _EITHER_CLOSES),
    Mutant(
        "two-way-handshake",
        "the listener is ESTABLISHED on the SYN alone, without waiting for the ACK of its SYN,ACK",
        ("C2", "C3", "C9"),
        (("LISTEN       | rcv SYN                 | snd SYN,ACK                | SYN_RCVD | F4, 3.10.7.2",
              "LISTEN       | rcv SYN                 | snd SYN,ACK                | ESTABLISHED | F4 (mutant two-way-handshake)"),),
        {},
        "ESTABLISHED only on the peer's current SYN",
        '''preset = "seed"
[network]
reordering = true    # an old SYN may arrive after a newer one (RFC 9293 Figure 8)
[A]
opens = 2            # the client gives up its first attempt and connects again, with a new ISS
close_in = ["SYN_SENT", "ESTABLISHED"]
'''),
    Mutant(
        "fin-no-seq",
        "a FIN consumes no sequence number: SND.NXT is not advanced over it",
        ("C6", "C7"),
        tuple((f"{state:<12} | CLOSE        | snd FIN                    | {to:<11} | {src}, 3.10.4",
                   f"{state:<12} | CLOSE        | snd FIN without sequence number | {to:<11} | {src} (mutant fin-no-seq)")
              for state, to, src in (("SYN_RCVD", "FIN_WAIT_1", "F10"), ("ESTABLISHED", "FIN_WAIT_1", "F12"),
                                     ("CLOSE_WAIT", "LAST_ACK", "F17"))),
        {},
        "no acknowledgment of unsent data",
        'preset = "seed"\n' + _EITHER_CLOSES),
    Mutant(
        "no-closing",
        "FIN_WAIT_1 acknowledges a FIN that does not acknowledge its own but ignores it: "
        "it stays in FIN_WAIT_1 and there is no CLOSING",
        ("C13",),
        (("FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING     | F15, 3.10.7.4 eighth (simultaneous close)",
              "FIN_WAIT_1   | rcv FIN                 | snd ACK                    | same        | F15 (mutant no-closing)"),),
        {},
        "deadlock freedom",
        'preset = "seed"\n' + _EITHER_CLOSES),
    Mutant(
        "no-fin-retransmit",
        "a FIN is never retransmitted: when the FIN is all that is unacknowledged, the "
        "retransmission timeout sends nothing",
        ("C11", "C17"),
        (("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | retransmit | same | 3.10.8, 3.8.1",
              "SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | retransmit, but never a FIN | same | 3.10.8 (mutant no-fin-retransmit)"),),
        {},
        "deadlock freedom",
        "# as in the seed note, the server closes only after the client's FIN\n" + _SEED_LOSSY),
    Mutant(
        "short-time-wait",
        "TIME_WAIT's 2MSL may expire while segments of the connection are still in flight",
        ("C17",),
        (),
        {"time_wait_waits_for_network": False},
        "RCV.NXT within the peer's sent range",
        '''preset = "seed"
[network]
loss = true
loss_budget = 1      # one loss makes the server send its data twice
reordering = true    # so that the second copy can still be in flight after the close
capacity = 2
[A]
opens = 2            # the client connects again once the first connection is closed
[B]
opens = 2            # and the server listens again,
data = 1
iss_step = 0         # with the same ISS: its ISN clock has not moved (a reboot, a slow clock)
'''),
    Mutant(
        "time-wait-forever",
        "TIME_WAIT never expires: the 2MSL timeout leaves the endpoint where it is",
        ("C17",),
        (("TIME_WAIT    | timeout 2MSL | delete TCB                 | CLOSED      | F20, 3.10.8",
              "TIME_WAIT    | timeout 2MSL | -                          | same        | F20 (mutant time-wait-forever)"),),
        {},
        "every close completes",
        'preset = "seed"\n'),
    Mutant(
        "last-ack-silent",
        "LAST_ACK never retransmits its FIN: it has no rule for the retransmission timeout",
        ("C11", "C17"),
        (("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | retransmit | same | 3.10.8, 3.8.1",
              "SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING | retransmission timeout | retransmit | same | 3.10.8 (mutant last-ack-silent: not LAST_ACK)"),),
        {},
        "deadlock freedom",
        "# as in the seed note, the server closes only after the client's FIN\n" + _SEED_LOSSY),
    Mutant(
        "syn-counted-twice",
        "on a SYN, RCV.NXT is set to SEG.SEQ+SEG.LEN+1: the SYN's sequence number is counted twice, "
        "so the ACK of the SYN acknowledges one more than was sent",
        ("C2", "C6"),
        (),
        {},
        "no acknowledgment of unsent data",
        'preset = "seed"\n',
        lambda arrivals: _record_syn_at(arrivals, 2)),
    Mutant(
        "syn-not-counted",
        "on a SYN, RCV.NXT is set to SEG.SEQ instead of SEG.SEQ+SEG.LEN: the ACK of the SYN "
        "acknowledges nothing, as if a SYN occupied no sequence number",
        ("C2", "C6"),
        (),
        {},
        "ESTABLISHED is reachable",
        'preset = "seed"\n',
        lambda arrivals: _record_syn_at(arrivals, 0)),
    Mutant(
        "ack-check-forgets-snd-nxt",
        "the ACK check forgets SEG.ACK =< SND.NXT: in ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT and TIME_WAIT "
        "any ACK ahead of SND.UNA is taken, even one for data never sent",
        ("C5",),
        (),
        {},
        None,
        'preset = "seed"\n',
        lambda arrivals: tuple(e._replace(guard=checked, effect=_take_any_ack) if e.name == "rcv ACK" and e.states == PLAIN_ACK_STATES else e
                               for e in arrivals)),
    Mutant(
        "fin-resent-as-new",
        "on the retransmission timeout FIN_WAIT_1 sends a new FIN (snd FIN) instead of retransmitting "
        "the old one, so every timeout takes one more sequence number",
        ("C6",),
        (("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | retransmit | same | 3.10.8, 3.8.1",
              "SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, CLOSING, LAST_ACK | retransmission timeout | retransmit | same | 3.10.8, 3.8.1\n"
              "FIN_WAIT_1   | retransmission timeout  | snd FIN                    | same        | (mutant fin-resent-as-new)"),),
        {},
        None,
        'preset = "seed"\n'),
    Mutant(
        "syn-rcvd-waits-forever",
        "SYN_RCVD has no timer: it neither retransmits its SYN,ACK nor gives up, so a server whose "
        "SYN,ACK is lost waits for the client's ACK (segment 3) for ever",
        ("C9",),
        (("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | retransmit | same | 3.10.8, 3.8.1",
              "SYN_SENT, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | retransmission timeout | retransmit | same | 3.10.8 (mutant syn-rcvd-waits-forever: not SYN_RCVD)"),
         ("SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | user timeout | delete TCB | CLOSED | 3.10.8, 3.8.3 (R2)",
              "SYN_SENT, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK | user timeout | delete TCB | CLOSED | 3.10.8 (mutant syn-rcvd-waits-forever: not SYN_RCVD)")),
        {},
        "deadlock freedom",
        _SEED_LOSSY),
)}


def mutant(name: str) -> Mutant:
    """The mutant called ``name``; MutantError says which was likely meant and
    lists the known ones otherwise.

    >>> try:
    ...     mutant("no-time-wiat")
    ... except MutantError as exc:
    ...     print(str(exc)[:70])
    unknown mutant 'no-time-wiat'; did you mean 'no-time-wait'? known muta
    """
    try:
        return MUTANTS[name]
    except (KeyError, TypeError):
        hint = closest(name, MUTANTS)
        raise MutantError(f"unknown mutant '{name}'; " + (f"did you mean '{hint}'? " if hint else "")
                          + f"known mutants: {', '.join(MUTANTS)}") from None


def mutant_config(name: str) -> Config:
    """The configuration in which mutant ``name`` is demonstrated (for the
    reference model: apply the mutant with :func:`apply_mutant`)."""
    m = mutant(name)
    preset_name = tomllib.loads(m.config).get("preset", "default")
    return parse_config(m.config, f"mutant {name}", name=f"the {name} demonstration (from preset {preset_name})")


def _rows(table: RuleTable) -> list[tuple]:
    """What a table says, without where it says it (file names, lines, sources)."""
    return [(r.state, r.qualifier, r.event, r.actions, r.to) for r in table.rules]


def apply_mutant(name: str, config: Config, table: RuleTable | None = None) -> tuple[Config, RuleTable | None]:
    """``config`` and ``table`` (None: the configuration's own table) as mutant ``name`` has them.

    Table edits apply to the reference table only: a mutant that edits rows
    cannot be combined with another table (MutantError).  The result's names
    say which mutant it is.  A mutant that edits no rows returns ``table``.

    >>> cfg, table = apply_mutant("fin-no-seq", mutant_config("fin-no-seq"))
    >>> table.name, [r.describe() for r in table.rules if r.event == "CLOSE" and r.state == "ESTABLISHED"]
    ('rfc9293.rules, mutant fin-no-seq', ['ESTABLISHED --CLOSE / snd FIN without sequence number--> FIN_WAIT_1'])
    """
    m = mutant(name)
    config = replace(config, name=f"{config.name}, mutant {name}", **m.settings)
    if m.semantics is not None:
        table = table if table is not None else load_table(config.rules or REFERENCE)
        return config, table.with_arrivals(m.semantics(table.arrivals), f"{table.name}, mutant {name}")
    if not m.edits:
        return config, table
    if (config.rules is not None and _rows(load_table(config.rules)) != _rows(load_table())) or (
            table is not None and _rows(table) != _rows(load_table())):
        other = config.rules or table.name
        raise MutantError(f"mutant {name} edits rows of the reference table ({REFERENCE.name}); "
                          f"it cannot be applied to another table ({other})")
    text = m.edited(REFERENCE.read_text(encoding="utf-8"))
    return config, parse_table(text, f"{REFERENCE.name}, mutant {name}")
