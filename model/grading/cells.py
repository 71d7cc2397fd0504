"""Row by row: each (state, event) cell of a submission against the reference's.

A cell is what a table does on one event in one state, for a passive and for
an active opener (Figure 5 note 1).  Comparing cells, not rows, makes every
rewriting with the same meaning equal: rows reordered, one row naming several
states split into several rows or merged back, a plain row written as its two
qualified halves, comments, ``same`` for the state itself, ``-`` for no
action.  A cell is right when both tables do the same thing in it: the same
actions in the same order and the same next state.  Rows the loader filled in
for a partial table (``RuleTable.missing``) are never right.

It compares tables; it does not run them.
"""

from __future__ import annotations

from typing import NamedTuple

from ..table import QUALIFIERS, Rule, RuleTable
from ..tcb import STATES

__all__ = ["Cell", "compare_cells"]

_EVENT_ORDER: dict[str, int] = {}


class Cell(NamedTuple):
    """One (state, event) cell and how the submission fares in it."""

    state: str
    event: str
    status: str  # "right", "differs", "missing" (the reference has it, the submission not), "extra"
    where: tuple[str, ...]  # the submission's rows for it (file:line), [] when missing
    reference_where: tuple[str, ...]  # the reference's rows for it
    yours: str  # the submission's cell as text ("-" when missing)
    expected: str  # the reference's cell as text ("-" when it has none)

    @property
    def right(self) -> bool:
        return self.status == "right"

    def describe(self) -> str:
        return f"{self.state} / {self.event}"


def _outcomes(table: RuleTable, state: str, event: str) -> dict[str, tuple] | None:
    """What the table does in the cell, per qualifier; None when it has no row."""
    missing = set(getattr(table, "missing", ()))
    rows = [r for r in table.rules_for(state, event) if r.id not in missing]
    if not rows:
        return None
    out = {}
    for q in QUALIFIERS:
        r = table.lookup(state, event, q == "passive")
        if r is not None and r.id not in missing:
            out[q] = (r.actions, r.to)
    return out


def _text(outcome: dict[str, tuple] | None) -> str:
    if outcome is None:
        return "-"

    def one(actions, to):
        return f"{'; '.join(actions) or '-'} -> {to}"
    if outcome.get("passive") == outcome.get("active"):
        return one(*outcome["passive"])
    return "; ".join(f"[{q}] {one(*outcome[q])}" for q in QUALIFIERS if q in outcome)


def _where(rules: list[Rule], missing: set[int]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.where for r in rules if r.id not in missing))


def _order(event: str) -> int:
    if not _EVENT_ORDER:
        from ..events import ARRIVALS, CALLS, TIMERS
        for name in (*CALLS, *TIMERS, *(e.name for e in ARRIVALS)):
            _EVENT_ORDER.setdefault(name, len(_EVENT_ORDER))
    return _EVENT_ORDER.get(event, len(_EVENT_ORDER))


def compare_cells(reference: RuleTable, submission: RuleTable) -> list[Cell]:
    """Every cell either table has, in the order of the states (Figure 5) and
    then of the events (calls, timers, arrivals), with its status.

    >>> from tcpcheck.model.table import load_table
    >>> cells = compare_cells(load_table(), load_table())
    >>> len(cells), all(c.right for c in cells)
    (144, True)
    """
    keys = {(r.state, r.event) for r in reference.rules} | {(r.state, r.event) for r in submission.rules}
    ref_missing = set(getattr(reference, "missing", ()))
    sub_missing = set(getattr(submission, "missing", ()))
    cells = []
    for state, event in sorted(keys, key=lambda k: (STATES.index(k[0]), _order(k[1]), k[1])):
        ref, sub = _outcomes(reference, state, event), _outcomes(submission, state, event)
        if ref is None and sub is None:
            continue
        if sub is None:
            status = "missing"
        elif ref is None:
            status = "extra"
        else:
            status = "right" if ref == sub else "differs"
        rows = submission.rules_for(state, event)
        if status == "differs":  # name only the rows that differ (a qualified half may be right)
            rows = [r for r in rows if any(ref.get(q) != (r.actions, r.to)
                                           for q in ((r.qualifier,) if r.qualifier else QUALIFIERS))]
        cells.append(Cell(state, event, status,
                          _where(rows, sub_missing),
                          _where(reference.rules_for(state, event), ref_missing),
                          _text(sub), _text(ref)))
    return cells
