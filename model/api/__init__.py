"""tcpcheck's Python API (``import tcpcheck``) and ``python -m tcpcheck``.

The command line's packages are ``tcpcheck.model``, ``tcpcheck.proofs`` and
``tcpcheck.diagrams``; this package is what a notebook or script imports.
Everything goes through the same functions as the command line; results,
tables and diagrams display themselves in Jupyter.

    >>> import tcpcheck
    >>> r = tcpcheck.check(preset="seed")            # tcpcheck check --preset seed
    >>> r.headline()
    'seed: 14 states, 15 transitions; all 18 properties hold'
    >>> r.verdict("every close completes")
    'holds'
    >>> m = tcpcheck.check(mutant="no-time-wait")     # tcpcheck check --mutant no-time-wait
    >>> m.exit_code, m.violated[0]
    (1, 'the passive closer is never reset')
    >>> ref = tcpcheck.check(tcpcheck.config(text=tcpcheck.mutant("no-time-wait").config))
    >>> ref.verdict("the passive closer is never reset")   # the reference, in the same configuration
    'holds'
    >>> g = m.graph()                                 # tcpcheck export: a networkx MultiDiGraph
    >>> g.number_of_nodes() == m.states, g.number_of_edges() == m.transitions
    (True, True)
    >>> tcpcheck.diagram.trace(run=m.run("the passive closer is never reset")).dot.startswith("digraph")
    True

What there is:

* loading: :func:`preset`, :func:`presets`, :func:`config` (a file or TOML
  ``text=``), :func:`rules` (a rule table), :func:`mutant`, :func:`mutants`;
* :func:`check` -> :class:`CheckResult` (verdicts, exploration,
  ``counterexamples`` as :class:`Run`, ``table()``, ``summary()``, ``json()``,
  ``graph()``); :func:`compare` -> a :class:`Table` of several checks' verdicts;
* :func:`prove` -> :class:`ProofResult` (z3, imported only then);
* ``tcpcheck.diagram.fsm``, ``.states``, ``.trace`` -> :class:`Diagram`;
* :func:`grade` -> :class:`Grade`, one submission against an assignment;
* :func:`conform` -> :class:`Conformance`, a capture's connections checked
  against a rule table (``tcpcheck conform``), each drawn by ``chart(n)``.

Importing tcpcheck is cheap: the command line imports it first, so nothing
here is loaded (no networkx, z3 or graphviz) until it is used.
"""

from __future__ import annotations

import importlib

__all__ = ["preset", "presets", "config", "rules", "mutant", "mutants", "check", "compare", "prove",
           "grade", "conform", "diagram", "CheckResult", "Run", "ProofResult", "Grade", "Conformance", "Table",
           "Diagram"]

#: where each public name lives (imported when first used)
_WHERE = {
    "preset": "sources", "presets": "sources", "config": "sources", "rules": "sources", "mutant": "sources",
    "mutants": "sources",
    "check": "checking", "compare": "checking", "CheckResult": "checking", "Run": "checking",
    "prove": "proving", "ProofResult": "proving",
    "grade": "grading", "Grade": "grading",
    "conform": "conforming", "Conformance": "conforming",
    "Table": "display", "Diagram": "display",
}


def __getattr__(name: str):
    if name == "diagram":
        return importlib.import_module(f"{__name__}.diagram")
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tcpcheck' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(__all__))
