r"""What a check is of: configurations, presets, rule tables and mutants.

Thin front doors to :mod:`tcpcheck.model.config`, :mod:`tcpcheck.model.table`
and :mod:`tcpcheck.model.mutants`; errors are theirs (an
:class:`~tcpcheck.model.errors.InputError` naming the file and line).

>>> preset("seed").name
'seed'
>>> config(text='preset = "seed"\n[network]\nloss = true\n').loss
True
>>> len(rules().rules), rules().name
(146, 'rfc9293.rules')
>>> mutant("no-time-wait").property
'the passive closer is never reset'
>>> "seed" in presets() and "short-time-wait" in mutants()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["preset", "presets", "config", "rules", "mutant", "mutants", "resolve"]


def preset(name: str = "default"):
    """The built-in configuration ``name`` (``tcpcheck presets`` lists them)."""
    from tcpcheck.model.config import preset as _preset
    return _preset(name)


def presets() -> dict[str, str]:
    """Every preset's name and one-line description."""
    from tcpcheck.model.config import PRESETS
    return {name: note for name, (note, _) in PRESETS.items()}


def config(file: str | Path | None = None, *, text: str | None = None, name: str | None = None):
    """A configuration from a TOML ``file``, or from TOML ``text`` (a preset and
    overrides, as ``tcpcheck check --help`` describes); a ``rules`` path in
    ``text`` is relative to the current directory."""
    from tcpcheck.model.config import load_config, parse_config

    if (file is None) == (text is None):
        raise TypeError("config() takes a file or text=..., not both or neither")
    if file is not None:
        return load_config(file)
    return parse_config(text, "<text>", name=name or "<text>")


def rules(file: str | Path | None = None, *, text: str | None = None, partial: bool = False):
    """A rule table: the reference RFC 9293 table, a ``file``, or ``text`` in the same format."""
    from tcpcheck.model.table import REFERENCE, load_table, parse_table

    if file is not None and text is not None:
        raise TypeError("rules() takes a file or text=..., not both")
    if text is not None:
        return parse_table(text, "<text>", partial=partial)
    return load_table(file if file is not None else REFERENCE, partial=partial)


def mutant(name: str):
    """The named mutant (``.description``, ``.claims``, ``.property`` it breaks,
    ``.config``: the TOML text of the configuration it is demonstrated in)."""
    from tcpcheck.model.mutants import mutant as _mutant
    return _mutant(name)


def mutants() -> dict[str, str]:
    """Every mutant's name and description."""
    from tcpcheck.model.mutants import MUTANTS
    return {name: m.description for name, m in MUTANTS.items()}


def resolve(config=None, preset=None, rules=None, mutant=None):
    """The configuration and rule table of a check, chosen as ``tcpcheck check``
    chooses them: ``config`` (a Config or a file) or ``preset`` (default
    ``default``; with a ``mutant`` and neither, the mutant's own configuration),
    ``rules`` (a RuleTable or a file; default the configuration's), then the mutant."""
    from tcpcheck.model.cli import config_from

    return config_from(config=config, preset=preset, rules=rules, mutant=mutant)
