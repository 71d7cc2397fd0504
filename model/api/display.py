"""What the API's results look like: tables and diagrams that show themselves.

A :class:`Table` prints as aligned text and displays in Jupyter as an HTML
table (``_repr_html_``); a :class:`Diagram` holds DOT text, renders it with
Graphviz through :mod:`tcpcheck.diagrams.render` only when asked, and
displays as SVG (``_repr_svg_``).  Nothing here computes a verdict.

>>> t = Table(["property", "verdict"], [["deadlock freedom", "holds"]], title="seed")
>>> print(t)
seed
property          verdict
----------------  -------
deadlock freedom  holds
>>> t.rows[0]
('deadlock freedom', 'holds')
>>> print(t._repr_html_())
<table class="tcpcheck"><caption>seed</caption><thead><tr><th>property</th><th>verdict</th></tr></thead><tbody><tr class="holds"><td>deadlock freedom</td><td style="background:#e3f4e1">holds</td></tr></tbody></table>
"""

from __future__ import annotations

from html import escape
from pathlib import Path

__all__ = ["Table", "Diagram", "VERDICT_COLOURS"]

#: The background of a verdict's cell in HTML (verdicts are also the row's class).
VERDICT_COLOURS = {"holds": "#e3f4e1", "violated": "#f9d6d2", "unknown": "#fff2c6", "info": "#e8eef7",
                   "proved": "#e3f4e1", "refuted": "#f9d6d2", "passed": "#e3f4e1", "failed": "#f9d6d2"}


class Table:
    """Rows of cells under a header.  In HTML a cell that is a verdict
    (:data:`VERDICT_COLOURS`) is coloured, and the value of ``verdict_column``
    is its row's ``class``."""

    def __init__(self, header, rows, title: str = "", verdict_column: str | None = "verdict"):
        self.header = tuple(str(h) for h in header)
        self.rows = [tuple(str(c) for c in row) for row in rows]
        self.title = title
        self._vcol = self.header.index(verdict_column) if verdict_column in self.header else None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, name: str) -> list[str]:
        """The cells of column ``name``, top to bottom."""
        i = self.header.index(name)
        return [row[i] for row in self.rows]

    def __str__(self) -> str:
        widths = [max([len(h)] + [len(r[i]) for r in self.rows]) for i, h in enumerate(self.header)]

        def line(cells):
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        out = ([self.title] if self.title else []) + [line(self.header), line("-" * w for w in widths)]
        return "\n".join(out + [line(r) for r in self.rows])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        cap = f"<caption>{escape(self.title)}</caption>" if self.title else ""
        head = "".join(f"<th>{escape(h)}</th>" for h in self.header)
        body = []
        for r in self.rows:
            cls = f' class="{escape(r[self._vcol])}"' if self._vcol is not None else ""
            cells = []
            for i, c in enumerate(r):
                colour = VERDICT_COLOURS.get(c)
                style = f' style="background:{colour}"' if colour else ""
                cells.append(f"<td{style}>{escape(c)}</td>")
            body.append(f"<tr{cls}>{''.join(cells)}</tr>")
        return f'<table class="tcpcheck">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


class Diagram:
    """A diagram as DOT text (``.dot``); ``svg()``, ``png()`` and ``save(path)``
    render it with Graphviz's ``dot``.  In Jupyter it displays as SVG."""

    def __init__(self, dot: str, title: str = ""):
        self.dot = dot
        self.title = title
        self._svg: str | None = None

    def render(self, fmt: str) -> bytes:
        """The diagram as ``fmt``: svg, png, pdf or dot (raises
        :class:`tcpcheck.diagrams.render.DotMissing` without Graphviz's ``dot``)."""
        from tcpcheck.diagrams.render import render
        return render(self.dot, fmt)

    def svg(self) -> str:
        """The SVG text (rendered once)."""
        if self._svg is None:
            self._svg = self.render("svg").decode("utf-8")
        return self._svg

    def png(self) -> bytes:
        return self.render("png")

    def save(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the diagram to ``path`` in ``fmt`` (default: the extension's,
        as ``tcpcheck diagram -o`` has it); returns the path."""
        from tcpcheck.diagrams.cli import output_format
        from tcpcheck.model.errors import write_output

        fmt = output_format(str(path), fmt)
        write_output(path, self.render(fmt), "the diagram")
        return Path(path)

    def __repr__(self) -> str:
        return f"<Diagram {self.title!r}: {len(self.dot.splitlines())} lines of DOT>"

    def _repr_svg_(self) -> str | None:
        from tcpcheck.diagrams.render import DotMissing
        try:
            return self.svg()
        except DotMissing:
            return None  # Jupyter then shows the text form
