"""``tcpcheck.diagram``: the diagrams of ``tcpcheck diagram``, as objects that display.

Each function returns a :class:`~tcpcheck.display.Diagram` (DOT text that
renders to SVG in Jupyter), drawn by the same code as the command line
(:mod:`tcpcheck.diagrams`).

>>> d = fsm()
>>> d.dot.splitlines()[0], "ESTABLISHED" in d.dot
('digraph "TCP state diagram (rfc9293.rules)" {', True)
>>> "A SYN_SENT | B LISTEN" in states(preset="seed").dot
True
>>> trace("seed").title
"the seed note's segments 1-7: three-way handshake, then the client closes first and the server after it"
>>> "SYN_RCVD" in trace("seed").dot
True

A connection of a capture (``tcpcheck diagram trace --capture``) is drawn
the same way: ``trace(capture="mine.pcap", connection=2)``; see
:func:`tcpcheck.conform`, whose results draw themselves with ``chart()``.
"""

from __future__ import annotations

from pathlib import Path

from .display import Diagram

__all__ = ["fsm", "states", "trace"]


def fsm(rules=None, full: bool = False, lang: str = "en") -> Diagram:
    """The endpoint state diagram drawn from a rule table (the reference's by
    default): RFC 9293 Figure 5, or with ``full`` also RST, ABORT and timeouts."""
    from tcpcheck.diagrams.fsm import fsm_dot
    from tcpcheck.model.table import RuleTable, load_table

    table = rules if isinstance(rules, RuleTable) else load_table(rules) if rules else load_table()
    return Diagram(fsm_dot(table, full=full, lang=lang), "state diagram")


def states(result=None, *, config=None, preset: str | None = None, rules=None, mutant: str | None = None,
           highlight: str | None = None, quotient: bool | None = None, lang: str = "en") -> Diagram:
    """The reachable-state graph of a check ``result`` (else of a new check of
    ``config``/``preset``/``rules``/``mutant``), as ``tcpcheck diagram states``
    draws it: deadlocks filled, fair cycles purple, ``highlight`` a property's
    run; the whole graph when small, else (or with ``quotient``) one node per
    pair of endpoint states."""
    from tcpcheck.diagrams.cli import _fair_cycles
    from tcpcheck.diagrams.i18n import phrase, property_name
    from tcpcheck.diagrams.states import states_dot
    from tcpcheck.model.properties import labels_of, run_of

    from .checking import check

    r = result if result is not None else check(config, preset=preset, rules=rules, mutant=mutant)
    x = r.exploration
    path, steps = [], None
    title = phrase("{config}: {n} reachable states", lang).format(config=r.config.name, n=f"{len(x.states):,}")
    if highlight:
        v = r._find(highlight)
        r.run(highlight)  # a property without a run to show is an error
        path, steps = run_of(x, v), labels_of(x, v)
        title += phrase("; highlighted: {property}", lang).format(property=property_name(v.name, lang))
    cycles = _fair_cycles(r.raw)  # every fair cycle, as diagram states marks them
    return Diagram(states_dot(x, title, quotient=quotient, path=path, lang=lang, steps=steps, cycles=cycles), title)


def trace(scenario: str | None = None, *, run=None, file: str | Path | None = None, property: str | None = None,
          config=None, preset: str | None = None, rules=None, mutant: str | None = None,
          capture: str | Path | None = None, connection: int | None = None, vantage: str | None = None,
          lang: str = "en") -> Diagram:
    """A message sequence chart: of a named ``scenario`` (``tcpcheck diagram trace
    --list``), of a :class:`~tcpcheck.checking.Run` (``result.run(name)``), of
    a trace ``file`` (``check --json`` or ``export --counterexamples`` output,
    ``property`` choosing the run; checked against the model first, in the
    configuration it records unless one is given), or of one ``connection``
    (from 1; needed when there are several) of a ``capture`` (pcap, pcapng or
    a JSON trace of ``tcpcheck conform``) followed through ``rules`` (a file or
    a profile name) from ``vantage``, as ``diagram trace --capture`` draws it."""
    from tcpcheck.diagrams import cli as d
    from tcpcheck.diagrams.i18n import phrase
    from tcpcheck.diagrams.msc import msc_dot
    from tcpcheck.model.checker import build
    from tcpcheck.model.recorded import recorded_config
    from tcpcheck.model.report import trace_json
    from tcpcheck.model.scenarios import SCENARIOS, scenario_path

    from .sources import resolve

    if sum(x is not None for x in (scenario, run, file, capture)) != 1:
        raise d.DiagramError("give exactly one of: a scenario name, run=..., file=... or capture=...")
    if capture is not None:
        from .conforming import _rules_path

        if any(x is not None for x in (config, preset, mutant, property)):
            raise d.DiagramError("capture=...: a capture is followed through rules=..., not a configuration")
        dot, title = d.capture_chart(capture, connection, _rules_path(rules), vantage, lang)
        return Diagram(dot, title)
    if connection is not None or vantage is not None:
        raise d.DiagramError("connection=... and vantage=... are for capture=...")
    cycle_from = None
    if scenario is not None:
        if scenario not in SCENARIOS:
            raise d.DiagramError(f"unknown scenario '{scenario}'; known scenarios: {', '.join(SCENARIOS)}")
        cfg, table, path = scenario_path(scenario)
        title = phrase(SCENARIOS[scenario].description, lang)
    elif run is not None:
        cfg, table, path, cycle_from = run.result.config, run.result.rules, run.path, run.cycle_from
        title = d._run_title(cfg.name, run.kind, run.property, lang)
    else:
        p = Path(file)
        steps, title, report, cycle_from = d._trace_from_file(str(p), property)
        if report is None or any(x is not None for x in (config, preset, rules, mutant)):
            cfg, table = resolve(config, preset, rules, mutant)
        else:
            cfg, table = recorded_config(report, p)
        path = d.validate_trace(p, steps, build(cfg, table), cycle_from)
        if isinstance(title, tuple):
            title = d._run_title(*title, lang)
    stuck = d._stuck(build(cfg, table), path[-1][1])
    dot = msc_dot(trace_json(path, table), title=title, lang=lang, names=d._names(cfg, lang),
                  cycle_from=cycle_from, stuck=stuck)
    return Diagram(dot, title)
