"""Turning DOT text into SVG, PNG or PDF with Graphviz's ``dot`` binary.

Every diagram is built as DOT text first (stable: the same model gives the
same bytes), then rendered here.  Without the ``dot`` binary, rendering raises
:class:`DotMissing`, whose message says how to install it; DOT output needs no
binary.
"""

from __future__ import annotations

import graphviz

__all__ = ["FORMATS", "DotMissing", "render", "font_for"]

FORMATS = ("svg", "png", "pdf", "dot")

#: Fonts by language; the CJK one comes from Debian's fonts-noto-cjk.
FONTS = {"en": "Helvetica", "zh": "Noto Sans CJK SC"}


class DotMissing(RuntimeError):
    """The Graphviz ``dot`` binary is not installed."""


def font_for(lang: str) -> str:
    """The font family diagrams in ``lang`` are set in."""
    return FONTS[lang]


def render(dot_source: str, fmt: str) -> bytes:
    """``dot_source`` rendered as ``fmt`` (svg, png, pdf; dot returns the source)."""
    if fmt == "dot":
        return dot_source.encode("utf-8")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; expected one of {', '.join(FORMATS)}")
    try:
        return graphviz.pipe("dot", fmt, dot_source.encode("utf-8"))
    except graphviz.ExecutableNotFound:
        raise DotMissing("the Graphviz 'dot' program is not installed; install it with "
                         "'apt-get install graphviz' (Debian/Ubuntu), or ask for --format dot") from None
