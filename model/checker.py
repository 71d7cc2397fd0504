"""One check run: configuration and rule table in, verdicts out.

Glue between the layers: it builds the model for a configuration, explores
it, checks the properties and keeps everything a report needs.  The command
line, the benchmark and the tests all go through :func:`run`.
"""

from __future__ import annotations

import dataclasses
import time

from .config import Config
from .explorer import Exploration, explore
from .properties import PROPERTIES, Verdict, check_properties
from .system import Model
from .table import REFERENCE, RuleTable, load_table
from .tcb import STATES

__all__ = ["Result", "build", "run"]


def build(config: Config, table: RuleTable | None = None, actions: dict | None = None) -> Model:
    """The model of ``config`` with ``table`` (else the configuration's, else the
    reference) and ``actions`` (else the standard vocabulary)."""
    if table is None:
        table = load_table(config.rules or REFERENCE)
    return Model(config, table, actions)


@dataclasses.dataclass
class Result:
    """Everything one ``check`` run found.

    ``timings`` are the phases' wall-clock seconds: ``{"search": s,
    "properties": s, "total": s}``, where ``total`` is the whole run (from
    the ``started`` time :func:`run` was given, else from its own start:
    building the model, the search and the properties).
    ``property_seconds`` is ``{property name: seconds}`` for each property
    that was checked, in the order checked.  ``stopped`` says why the run
    ended early: ``None`` (it did not), ``"max-states"``, ``"max-memory"``,
    ``"max-seconds"`` or ``"interrupted"`` (Ctrl-C); then every property
    that could not be decided is ``unknown``, and a violation found is
    genuine (its counterexample is a run of the model).
    """

    config: object
    table: RuleTable
    exploration: Exploration
    verdicts: list[Verdict]
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    property_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    stopped: str | None = None

    @property
    def fired(self) -> list[int]:
        ids = {r for k in range(len(self.exploration.labels)) for r in self.exploration.label(k).rules}
        return sorted(ids)

    @property
    def dead(self) -> list[int]:
        fired = set(self.fired)
        return [r.id for r in self.table.rules if r.id not in fired]

    def reachable(self) -> dict[str, list[str]]:
        seen: dict[str, set] = {"A": set(), "B": set()}
        x = self.exploration
        for i in range(len(x.states)):
            s = x.state(i)
            seen["A"].add(s.A.state)
            seen["B"].add(s.B.state)
        return {w: [st for st in STATES if st in seen[w]] for w in ("A", "B")}



def run(config: Config, table: RuleTable | None = None, max_states: int | None = None,
        progress=None, properties=PROPERTIES, actions: dict | None = None) -> Result:
    """Explore ``config`` exhaustively (up to ``max_states``) and check ``properties``.

    >>> from tcpcheck.model.config import preset
    >>> r = run(preset("seed"))
    >>> len(r.exploration.states), [v.verdict for v in r.verdicts][-1]
    (14, 'holds')
    """
    t0 = time.perf_counter()
    model = build(config, table, actions)
    x = explore(model, max_states=max_states, progress=progress)
    t1 = time.perf_counter()
    verdicts, seconds = [], {}
    for p in properties:
        t = time.perf_counter()
        verdicts += check_properties(x, (p,))
        seconds[p.name] = time.perf_counter() - t
    t2 = time.perf_counter()
    return Result(config, model.table, x, verdicts,
                  timings={"search": x.seconds, "properties": t2 - t1, "total": t2 - t0},
                  property_seconds=seconds, stopped=None if x.complete else "max-states")
