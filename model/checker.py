"""One check run: configuration and rule table in, verdicts out.

Glue between the layers: it builds the model for a configuration, explores
it, checks the properties and keeps everything a report needs.  The command
line, the benchmark and the tests all go through :func:`run`.
"""

from __future__ import annotations

import dataclasses

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
    """Everything one ``check`` run found."""

    config: object
    table: RuleTable
    exploration: Exploration
    verdicts: list[Verdict]

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
    model = build(config, table, actions)
    x = explore(model, max_states=max_states, progress=progress)
    return Result(config, model.table, x, check_properties(x, properties))
