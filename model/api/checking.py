"""``tcpcheck.check``: one check run, as an object a notebook can look at.

:func:`check` runs :func:`tcpcheck.model.checker.run` (what ``tcpcheck
check`` runs) and wraps its result in a :class:`CheckResult`: the verdicts,
the exploration, the counterexamples as :class:`Run` objects, the summary
of ``tcpcheck check`` and its ``--json`` object, the state graph of
``tcpcheck export``.  In Jupyter a result shows its verdict table and a
chart (the first counted violation's counterexample, else the state graph);
a run shows its message sequence chart.  :func:`compare` puts several
results side by side.

>>> r = check(preset="seed")
>>> r.states, r.transitions, r.complete, r.exit_code
(14, 15, True, 0)
>>> r.verdict("deadlock freedom"), r.verdict("INV1"), r.verdict("CLOSING is reachable")
('holds', 'holds', 'violated')
>>> r.violated      # CLOSING is not meant to be reached in the seed preset: it does not count
[]
>>> print(r.table().rows[16])
('DEAD1', 'deadlock freedom', 'deadlock', 'holds', '')
>>> m = check(mutant="no-time-wait")
>>> m.violated
['the passive closer is never reset', 'TIME_WAIT is reachable']
>>> run = m.counterexamples["the passive closer is never reset"]
>>> len(run), run.steps[-1]["what"]
(13, 'B receives <SEQ=0><CTL=RST>: rcv RST')
"""

from __future__ import annotations

from html import escape

from .display import Diagram, Table

__all__ = ["check", "CheckResult", "Run", "compare"]


def check(config=None, *, preset: str | None = None, rules=None, mutant: str | None = None,
          max_states: int | None = None, max_seconds: float | None = None) -> "CheckResult":
    """Explore a configuration exhaustively and check every property, as
    ``tcpcheck check`` does.

    ``config`` is a configuration (:func:`tcpcheck.config`, :func:`tcpcheck.preset`)
    or a TOML file; or ``preset`` names one (default ``default``).  ``rules``
    is a rule table (:func:`tcpcheck.rules`) or a file; ``mutant`` a named
    broken variant, in its own configuration unless one is given.
    ``max_states`` and ``max_seconds`` bound the run (undecided properties
    are then ``unknown``)."""
    from tcpcheck.model.checker import run

    from .sources import resolve

    cfg, table = resolve(config, preset, rules, mutant)
    return CheckResult(run(cfg, table, max_states=max_states, max_seconds=max_seconds), mutant)


class Run:
    """A counterexample or witness of one property: the steps of the model's
    run, as ``check --json`` writes them (``steps``), and its chart."""

    def __init__(self, result: "CheckResult", verdict):
        from tcpcheck.model.properties import path_of
        from tcpcheck.model.report import trace_json

        self.result, self.property = result, verdict.name
        self.kind = "counterexample" if verdict.verdict == "violated" else "witness"
        self.path = path_of(result.exploration, verdict)
        self.steps = trace_json(self.path, result.rules)
        lasso = verdict.lasso
        #: the steps after this one repeat for ever (a lasso), else None
        self.cycle_from = len(lasso.stem) - 1 if lasso is not None and lasso.cycle else None

    def __len__(self) -> int:
        """The number of steps (the initial state is not one)."""
        return len(self.steps) - 1

    def lines(self) -> list[str]:
        """The run as numbered lines, as ``tcpcheck check`` prints a counterexample."""
        from tcpcheck.model.report import trace_lines
        return trace_lines(self.path, self.result.rules)

    def chart(self, lang: str = "en") -> Diagram:
        """The message sequence chart of the run (``tcpcheck diagram trace --counterexample``)."""
        from .diagram import trace
        return trace(run=self, lang=lang)

    def __repr__(self) -> str:
        head = f"{self.kind} of '{self.property}' ({len(self)} steps)"
        return "\n".join([head, *self.lines()])

    def _repr_svg_(self) -> str | None:
        return self.chart()._repr_svg_()


class CheckResult:
    """Everything one check found (see the module docstring).  ``raw`` is the
    :class:`tcpcheck.model.checker.Result` underneath."""

    def __init__(self, raw, mutant: str | None = None):
        self.raw, self.mutant = raw, mutant

    # --- what was checked, and how much ------------------------------------------
    @property
    def config(self):
        return self.raw.config

    @property
    def rules(self):
        """The rule table checked."""
        return self.raw.table

    @property
    def exploration(self):
        return self.raw.exploration

    @property
    def states(self) -> int:
        return len(self.raw.exploration.states)

    @property
    def transitions(self) -> int:
        return self.raw.exploration.transitions

    @property
    def complete(self) -> bool:
        return self.raw.exploration.complete

    @property
    def exit_code(self) -> int:
        """What ``tcpcheck check`` would exit with: 0 all hold, 1 one violated, 4 unknown."""
        from tcpcheck.model.report import exit_code
        return exit_code(self.raw)

    # --- verdicts -----------------------------------------------------------------
    @property
    def verdicts(self) -> list:
        """The :class:`tcpcheck.model.properties.Verdict` of every property, in order."""
        return list(self.raw.verdicts)

    def _find(self, name: str):
        for v in self.raw.verdicts:
            if name in (v.name, getattr(v, "id", None)):
                return v
        from tcpcheck.model.errors import InputError, closest
        names = [v.name for v in self.raw.verdicts]
        hint = closest(name, names + [v.id for v in self.raw.verdicts if getattr(v, "id", "")])
        raise InputError(f"unknown property '{name}'" + (f"; did you mean '{hint}'?" if hint else "")
                         + f" the properties are: {'; '.join(names)}")

    def verdict(self, name: str) -> str:
        """The verdict of the property called ``name`` (or with the short id ``name``)."""
        return self._find(name).verdict

    def counts(self, name: str) -> bool:
        """Whether the property's verdict counts in the exit code (a state the
        configuration does not mean to reach does not)."""
        from tcpcheck.model.report import counts
        return counts(self.raw, self._find(name))

    @property
    def violated(self) -> list[str]:
        """The violated properties that count, in order."""
        from tcpcheck.model.report import counts
        return [v.name for v in self.raw.verdicts if v.verdict == "violated" and counts(self.raw, v)]

    def run(self, name: str) -> Run:
        """The counterexample or witness of the property ``name``."""
        from tcpcheck.model.errors import InputError
        v = self._find(name)
        if v.state is None and v.lasso is None:
            raise InputError(f"'{v.name}' {v.verdict} here and has no counterexample or witness")
        return Run(self, v)

    @property
    def counterexamples(self) -> dict[str, Run]:
        """Every violated property's counterexample (counted or not), by property name."""
        return {v.name: Run(self, v) for v in self.raw.verdicts
                if v.verdict == "violated" and (v.state is not None or v.lasso is not None)}

    def table(self) -> Table:
        """The verdicts as a table: id, property, kind, verdict (``info`` for a
        state not meant to be reached, which does not count), detail (why
        violated, or how many steps a witness takes)."""
        from tcpcheck.model.report import not_meant

        rows = []
        for v in self.raw.verdicts:
            mark = "info" if not_meant(self.raw, v) and v.verdict != "holds" else v.verdict
            detail = str(v.detail) if v.verdict == "violated" else ""
            if mark == "info":
                detail = "not meant to be reached"
            if v.kind == "reachability" and v.verdict == "holds" and v.state is not None:
                n = self.exploration.depth[v.state]
                detail = f"{n} step{'' if n == 1 else 's'}"
            rows.append((getattr(v, "id", ""), v.name, v.kind, mark, detail))
        return Table(("id", "property", "kind", "verdict", "detail"), rows, title=self.config.name)

    # --- the CLI's outputs ----------------------------------------------------------
    def summary(self, verbosity: int = 0) -> str:
        """The text ``tcpcheck check`` prints (``-q``: -1, ``-v``: 1)."""
        from tcpcheck.model.config import PRESETS
        from tcpcheck.model.report import summary_lines

        note = PRESETS[self.config.name][0] if self.config.name in PRESETS else ""
        return "\n".join(summary_lines(self.raw, note, verbosity=verbosity))

    def json(self) -> dict:
        """The ``tcpcheck check --json`` object."""
        from tcpcheck.model.report import result_json
        return result_json(self.raw)

    def counterexamples_json(self) -> dict:
        """The ``tcpcheck export --counterexamples`` object (``diagram trace --file`` reads it)."""
        from tcpcheck.model.export import counterexamples_json
        return counterexamples_json(self.raw)

    def graph(self):
        """The reachable-state graph as ``tcpcheck export`` writes it: a networkx
        MultiDiGraph with every state variable and every step's attributes."""
        from tcpcheck.model.export import state_graph
        return state_graph(self.exploration, self.rules, self.config.name)

    # --- pictures -----------------------------------------------------------------
    def diagram(self, highlight: str | None = None, quotient: bool | None = None, lang: str = "en") -> Diagram:
        """The reachable-state graph drawn (``tcpcheck diagram states``)."""
        from .diagram import states
        return states(self, highlight=highlight, quotient=quotient, lang=lang)

    def chart(self, lang: str = "en") -> Diagram:
        """What a notebook shows: the chart of the first counted violation's
        counterexample, else the drawn state graph."""
        violated = [n for n in self.violated if n in self.counterexamples]
        return self.counterexamples[violated[0]].chart(lang) if violated else self.diagram(lang=lang)

    def headline(self) -> str:
        """One line: the configuration, the size of the search, the result."""
        from tcpcheck.model.report import counts

        v = self.violated
        unknown = [x.name for x in self.raw.verdicts if x.verdict == "unknown" and counts(self.raw, x)]
        counted = sum(counts(self.raw, x) for x in self.raw.verdicts)
        result = (f"{len(v)} of {counted} properties violated: {', '.join(v)}" if v else
                  f"no violation; {len(unknown)} unknown" if unknown else f"all {counted} properties hold")
        return (f"{self.config.name}: {self.states:,} states, {self.transitions:,} transitions"
                f"{'' if self.complete else ' (incomplete)'}; {result}")

    def result_text(self) -> str:
        """The closing paragraph of ``tcpcheck check``'s summary ("Result: ..."):
        the verdict in words, what is a known consequence of RFC 9293, what to run next."""
        lines = self.summary(verbosity=-1).splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("Result:")), len(lines))
        return "\n".join(lines[start:])

    def __repr__(self) -> str:
        return self.headline()

    def _repr_html_(self) -> str:
        from tcpcheck.diagrams.render import DotMissing
        from tcpcheck.diagrams.states import TooLarge

        try:
            picture = self.chart().svg()
        except (DotMissing, TooLarge) as exc:
            picture = f"<p><i>{escape(str(exc))}</i></p>"
        return (f'<div class="tcpcheck-check"><p><b>{escape(self.headline())}</b></p>'
                f"{self.table()._repr_html_()}"
                f"<pre>{escape(self.result_text())}</pre>"
                f"{picture}</div>")


def compare(results, differing: bool = False) -> Table:
    """The verdicts of several checks side by side, one column per result
    (by the name it is given in a dict; a list's are named by their
    configurations), one row per property (with ``differing``, only the
    properties whose verdicts are not all the same).

    >>> t = compare({"reference": check(preset="seed"), "time-wait-forever": check(mutant="time-wait-forever")})
    >>> t.header
    ('id', 'property', 'reference', 'time-wait-forever')
    >>> [row for row in t.rows if row[2] != row[3]]
    [('LIVE1', 'every close completes', 'holds', 'violated')]
    >>> len(t), compare({"reference": check(preset="seed"), "seed again": check(preset="seed")}, differing=True).rows
    (19, [])
    >>> compare([check(preset="seed"), check(mutant="time-wait-forever")], differing=True).header[2:]
    ('seed', 'the time-wait-forever demonstration (from preset seed), mutant time-wait-forever')
    """
    if not isinstance(results, dict):
        named: dict = {}
        for r in results:
            name, n = r.config.name, 2
            while name in named:  # the same configuration twice: told apart by a number
                name, n = f"{r.config.name} ({n})", n + 1
            named[name] = r
        results = named
    if not results:
        raise ValueError("compare() needs at least one check result")
    names = list(results)
    first = next(iter(results.values()))
    rows = []
    for i, v in enumerate(first.verdicts):
        cells = []
        for r in results.values():
            w = r.raw.verdicts[i]
            cells.append("info" if w.verdict != "holds" and not r.counts(w.name) else w.verdict)
        if not differing or len(set(cells)) > 1:
            rows.append((getattr(v, "id", ""), v.name, *cells))
    return Table(("id", "property", *names), rows, verdict_column=None)
