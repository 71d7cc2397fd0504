"""Named scenarios: the shortest run of a configuration that shows one thing.

A scenario is a configuration, a goal and what to watch for along the way;
its trace is found by :func:`explorer.find_path`, never written by hand, so
it is always a run the model really has.  The diagrams draw them as sequence
charts; experiments reuse them as witnesses.  A scenario's configuration says,
like a preset's, which states each endpoint is meant to reach.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, NamedTuple

from .checker import build
from .config import Config, preset
from .errors import UnknownName, unknown
from .explorer import find_path

__all__ = ["Scenario", "SCENARIOS", "scenario_path"]


class Scenario(NamedTuple):
    name: str
    description: str
    config: Config
    goal: Callable  # (state, notes) -> bool
    observe: Callable | None = None  # (notes, step, state) -> notes


def _closed(s) -> bool:
    return s.A.state == s.B.state == "CLOSED" and not s.net_AB and not s.net_BA


def _visited(state_name: str):
    """Notes which endpoints have been in ``state_name``."""
    def observe(notes, step, s):
        return notes | {w for w, t in (("A", s.A), ("B", s.B)) if t.state == state_name}
    return observe


def _lost_final_ack(notes, step, s):
    if step.kind == "lose" and step.event == "A->B" and s.A.state == "TIME_WAIT":
        notes = notes | {"final ACK lost"}
    if step.actor == "A" and step.event == "rcv retransmitted FIN" and s.A.state == "TIME_WAIT":
        notes = notes | {"FIN acknowledged again"}
    return notes


_SEED = preset("seed")
# either closes in ESTABLISHED only: the other then waits in CLOSE_WAIT, no LAST_ACK
_ONE_CLOSES_FIRST = ("CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING",
                     "TIME_WAIT", "CLOSE_WAIT")

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("seed", "the seed note's segments 1-7: three-way handshake, then the client "
             "closes first and the server after it",
             _SEED, lambda s, n: _closed(s)),
    Scenario("simultaneous-open", "both endpoints open actively at once; each goes "
             "SYN_SENT -> SYN_RCVD -> ESTABLISHED (RFC 9293 Figure 7)",
             replace(preset("simultaneous-open"), loss=False),
             lambda s, n: s.A.state == s.B.state == "ESTABLISHED" and n == {"A", "B"},
             _visited("SYN_RCVD")),
    Scenario("simultaneous-close", "both endpoints close at once; their FINs cross and "
             "each passes through CLOSING (claim C13)",
             replace(_SEED, name="simultaneous-close",
                     A=replace(_SEED.A, close_in=("ESTABLISHED",), reaches=_ONE_CLOSES_FIRST),
                     B=replace(_SEED.B, close_in=("ESTABLISHED",),
                               reaches=_ONE_CLOSES_FIRST[:1] + ("LISTEN", "SYN_RCVD") + _ONE_CLOSES_FIRST[2:])),
             lambda s, n: _closed(s) and n == {"A", "B"}, _visited("CLOSING")),
    Scenario("lost-final-ack", "the final ACK is lost; the server in LAST_ACK retransmits "
             "its FIN and the client, still in TIME_WAIT, acknowledges it again (claim C17)",
             replace(_SEED, name="lost-final-ack", loss=True),
             lambda s, n: _closed(s) and n == {"final ACK lost", "FIN acknowledged again"},
             _lost_final_ack),
)}


def scenario_path(name: str):
    """(config, table, path) for the scenario ``name``; UnknownName (a KeyError)
    says which was likely meant and lists the known ones.

    >>> scenario_path("lost-final-acks")
    Traceback (most recent call last):
    ...
    tcpcheck.model.errors.UnknownName: unknown scenario 'lost-final-acks'; did you mean 'lost-final-ack'? known scenarios: seed, simultaneous-open, simultaneous-close, lost-final-ack
    """
    if name not in SCENARIOS:
        raise UnknownName(unknown("scenario", name, SCENARIOS))
    sc = SCENARIOS[name]
    model = build(sc.config)
    path = find_path(model, sc.goal, sc.observe)
    if path is None:
        raise RuntimeError(f"scenario '{name}' has no run in its configuration")
    return sc.config, model.table, path
