"""``tcpcheck.conform``: real TCP captures checked against a rule table.

:func:`conform` runs what ``tcpcheck conform`` runs
(:func:`tcpcheck.model.conformance.cli.check_file`: read the capture, split
it into connections, follow each through the rule table) and returns a
:class:`Conformance` holding the very objects the command reports on: the
trace read, one :class:`~tcpcheck.model.conformance.follow.Result` per
connection (``connections``), the table, the vantage point and why it was
chosen.  Its ``text()`` is what the command prints, ``json()`` its
``--json``, ``exit_code`` its exit code; ``chart(n)`` draws connection ``n``
as ``tcpcheck diagram trace --capture`` does.  In Jupyter it shows a table
of the connections and their verdicts.

>>> import json, tempfile
>>> seg = lambda frm, flags, seq, ack: {"from": frm, "flags": flags, "seq": seq, "ack": ack}
>>> doc = {"format": "tcpcheck-trace", "segments": [seg("A", ["SYN"], 100, 0),
...        seg("B", ["SYN", "ACK"], 300, 101), seg("A", ["ACK"], 101, 301), seg("A", ["RST", "ACK"], 101, 301)]}
>>> path = tempfile.mkstemp(suffix=".json")[1]
>>> _ = open(path, "w").write(json.dumps(doc))
>>> c = conform(path)                            # tcpcheck conform PATH
>>> c.exit_code, [r.verdict for r in c.connections]
(1, ['deviates'])
>>> c.connections[0].deviation.index + 1, c.connections[0].deviation.who    # segment 4, sent by A
(4, 'A')
>>> print(c.table())
connection  endpoints                      verdict                           segments
----------  -----------------------------  --------------------------------  --------
1           10.0.0.1:40000 -> 10.0.0.2:80  deviates at segment 4 (packet 4)  4
>>> c.json()["kind"], c.vantage
('conform', 'path')
>>> "deviation" in c.chart().dot                  # segment 4 marked: no row allows it
True
>>> import os; os.remove(path)
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from .display import Diagram, Table

__all__ = ["conform", "Conformance"]


def _rules_path(rules):
    """A rule table (:func:`tcpcheck.rules`'s, kept as it is), a rule table file, or a
    profile's (``"linux"``), or None for the reference."""
    if rules is None:
        return None
    from tcpcheck.model.profiles import PROFILES, profile_path
    from tcpcheck.model.table import RuleTable

    if isinstance(rules, RuleTable):
        return rules
    if isinstance(rules, str) and rules in PROFILES:
        return profile_path(rules)
    if isinstance(rules, (str, Path)):
        return rules
    raise TypeError(f"rules: a rule table (tcpcheck.rules(...)), a rule table file or a profile name "
                    f"({', '.join(PROFILES)}), not {type(rules).__name__}")


def conform(path, rules=None, vantage: str | None = None, in_flight: int | None = None,
            extra_losses: int | None = None) -> "Conformance":
    """Check every TCP connection of the capture (pcap, pcapng) or JSON trace at
    ``path`` against ``rules`` (a rule table from :func:`tcpcheck.rules`, a rule
    table file or a profile name such as ``"linux"``; default the reference table), from ``vantage`` (``"a"``,
    ``"b"`` or ``"path"``; default: what the trace says, else ``"path"``), as
    ``tcpcheck conform`` does; ``in_flight`` and ``extra_losses`` are its
    ``--in-flight`` and ``--extra-losses`` bounds.  A file that cannot be read
    raises the command's :class:`~tcpcheck.model.errors.InputError`."""
    from tcpcheck.model.conformance.cli import check_file

    if vantage is not None and vantage not in ("a", "b", "path"):
        raise ValueError(f"vantage must be 'a', 'b' or 'path', not {vantage!r}")
    trace, results, table, where, why = check_file(path, _rules_path(rules), vantage, in_flight, extra_losses)
    return Conformance(path, trace, results, table, where, why, _rules_path(rules))


class Conformance:
    """What ``tcpcheck conform`` found in one file (see the module docstring)."""

    def __init__(self, path, trace, results, table, vantage: str, why: str, rules=None):
        self.path, self.trace, self.connections, self.rules = Path(path), trace, list(results), table
        self.vantage, self.why, self._rules_path = vantage, why, rules

    @property
    def exit_code(self) -> int:
        """0 every connection conforms, 1 one deviates, 4 none deviates but one is incomplete."""
        from tcpcheck.model.conformance.report import exit_code
        return exit_code(self.connections)

    def verdicts(self) -> list[str]:
        """Each connection's verdict as the report says it (``deviates at segment 4 (packet 4)``)."""
        from tcpcheck.diagrams.cli import verdict_text
        return [verdict_text(r, "en") for r in self.connections]

    def table(self) -> Table:
        """One row per connection: its number, endpoints, verdict and segments."""
        rows = [(i, r.conn.name(), v, len(r.conn.segments))
                for i, (r, v) in enumerate(zip(self.connections, self.verdicts()), 1)]
        return Table(["connection", "endpoints", "verdict", "segments"], rows, verdict_column=None)

    def text(self, lang: str = "en") -> str:
        """What ``tcpcheck conform`` prints (``--lang``: ``en`` or ``zh``)."""
        from tcpcheck.model.conformance.report import text_report
        from tcpcheck.model.i18n import translator

        why = translator(lang)(self.why, context="conform") if lang != "en" else self.why
        return "\n".join(text_report(self.trace, self.connections, self.rules, self.vantage, why, lang))

    def json(self) -> dict:
        """``tcpcheck conform --json``'s object (kind ``conform``)."""
        from tcpcheck.model.conformance.report import json_report
        return json_report(self.trace, self.connections, self.rules, self.vantage, self.why)

    def chart(self, connection: int | None = None, lang: str = "en") -> Diagram:
        """The message sequence chart of connection ``connection`` (from 1; needed
        when there are several), as ``tcpcheck diagram trace --capture`` draws it."""
        from .diagram import trace
        return trace(capture=self.path, connection=connection, rules=self._rules_path, vantage=self.vantage,
                     lang=lang)

    def __repr__(self) -> str:
        return f"{self.path.name}: {len(self.connections)} connection(s)\n{self.table()}"

    def _repr_html_(self) -> str:
        return f"<p><b>{escape(self.path.name)}</b></p>{self.table()._repr_html_()}"
