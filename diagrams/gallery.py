"""The reference model's diagrams, as committed under ``diagrams/``.

:func:`gallery` names every diagram the repository ships and gives its DOT
text; ``tcpcheck diagram gallery`` writes them (DOT and SVG) and the tests
fail when a committed DOT file differs from what the model now generates.
"""

from __future__ import annotations

from pathlib import Path

from tcpcheck.model.checker import run
from tcpcheck.model.config import preset
from tcpcheck.model.report import trace_json
from tcpcheck.model.scenarios import SCENARIOS, scenario_path
from tcpcheck.model.table import load_table

from .i18n import phrase
from .render import render

__all__ = ["gallery", "write_gallery"]


def gallery() -> dict[str, str]:
    """File stem -> DOT text for every diagram of the reference model."""
    from .cli import _names
    from .fsm import fsm_dot
    from .msc import msc_dot
    from .states import states_dot

    table = load_table()
    out = {
        "fsm": fsm_dot(table),
        "fsm.zh": fsm_dot(table, lang="zh"),
        "fsm-full": fsm_dot(table, full=True),
    }
    for name, sc in SCENARIOS.items():
        cfg, t, path = scenario_path(name)
        for lang in ("en", "zh"):
            stem = f"trace-{name}" + ("" if lang == "en" else ".zh")
            out[stem] = msc_dot(trace_json(path, t), title=phrase(sc.description, lang),
                                lang=lang, names=_names(cfg, lang))
    seed = run(preset("seed"))
    out["states-seed"] = states_dot(seed.exploration, "seed: every reachable state")
    default = run(preset("default"))
    v = next(v for v in default.verdicts if v.name == "deadlock freedom")
    out["states-default"] = states_dot(default.exploration,
                                       "default: reachable states by pair of endpoint states; "
                                       "highlighted: the counterexample to deadlock freedom",
                                       quotient=True, path=default.exploration.ids_to(v.state))
    return out


def write_gallery(directory: Path, svg: bool = True) -> list[Path]:
    """Write every gallery diagram as DOT (and SVG) into ``directory``."""
    written = []
    for stem, dot in sorted(gallery().items()):
        p = directory / f"{stem}.dot"
        p.write_text(dot, encoding="utf-8")
        written.append(p)
        if svg:
            q = directory / f"{stem}.svg"
            q.write_bytes(render(dot, "svg"))
            written.append(q)
    return written
