"""``tcpcheck.prove``: the z3 proofs of a rule table, as ``tcpcheck prove`` runs them.

:func:`prove` runs every obligation through :func:`tcpcheck.proofs.cli.run_all`
(z3 is imported only when it is called) and returns a :class:`ProofResult`,
whose table of obligations displays in Jupyter.  The whole proof of the
reference table takes a minute or two; a timeout too short for z3 shows the
shape of the result at once (every query given up: unknown, exit code 4):

>>> r = prove(timeout=0.001)
>>> r.exit_code, [o.id for o in r.outcomes]
(4, ['SEG1', 'IND1', 'IND2', 'IND3', 'IND4', 'IND5', 'IND6', 'END1'])
>>> r.table().header
('id', 'obligation', 'verdict', 'queries')
"""

from __future__ import annotations

from html import escape

from .display import Table

__all__ = ["prove", "ProofResult"]


def prove(rules=None, *, mutant: str | None = None, timeout: float = 60.0, jobs: int = 1) -> "ProofResult":
    """Prove the obligations (classification, the invariants, that every connection
    ends) on ``rules`` (a RuleTable or a file; default the reference) or on a
    ``mutant``'s table, each z3 query within ``timeout`` seconds, ``jobs``
    processes at a time."""
    from tcpcheck.model.mutants import apply_mutant, mutant_config
    from tcpcheck.model.table import RuleTable, load_table
    from tcpcheck.proofs.cli import run_all
    from tcpcheck.proofs.obligations import Context

    table = rules if isinstance(rules, RuleTable) or rules is None else load_table(rules)
    if mutant is not None:  # as 'tcpcheck prove --mutant' applies it
        _, table = apply_mutant(mutant, mutant_config(mutant), table)
    table = table if table is not None else load_table()
    return ProofResult(table, run_all(Context(table, timeout=timeout), jobs=jobs))


class ProofResult:
    """The outcome of every obligation (``outcomes``: tcpcheck.proofs' Outcome)."""

    def __init__(self, table, outcomes):
        self.rules, self.outcomes = table, list(outcomes)

    @property
    def exit_code(self) -> int:
        """What ``tcpcheck prove`` would exit with: 0 all proved, 1 one refuted, 4 one unknown."""
        from tcpcheck.proofs.cli import exit_code
        return exit_code(self.outcomes)

    def verdict(self, name: str) -> str:
        """The verdict of the obligation called ``name`` or with the id ``name``."""
        for o in self.outcomes:
            if name in (o.name, o.id):
                return o.verdict
        raise KeyError(f"no obligation '{name}'; they are: {', '.join(o.id for o in self.outcomes)}")

    def table(self) -> Table:
        """id, obligation, verdict, z3 queries."""
        return Table(("id", "obligation", "verdict", "queries"),
                     [(o.id, o.name, o.verdict, o.queries) for o in self.outcomes], title=self.rules.name)

    def counterexample(self, name: str) -> list[str]:
        """A refuted obligation's counterexample as the lines ``tcpcheck prove`` prints."""
        from tcpcheck.proofs.cli import _describe
        for o in self.outcomes:
            if name in (o.name, o.id):
                return _describe(o.counterexample) if o.counterexample else []
        raise KeyError(name)

    def __repr__(self) -> str:
        proved = sum(o.verdict == "proved" for o in self.outcomes)
        return f"{self.rules.name}: {proved} of {len(self.outcomes)} obligations proved\n{self.table()}"

    def _repr_html_(self) -> str:
        proved = sum(o.verdict == "proved" for o in self.outcomes)
        return (f"<p><b>{escape(self.rules.name)}: {proved} of {len(self.outcomes)} obligations proved"
                f"</b></p>{self.table()._repr_html_()}")
