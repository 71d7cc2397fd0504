"""The configuration and rule table a JSON output records, rebuilt to check against.

A ``tcpcheck check --json`` output (and ``tcpcheck export --counterexamples``,
which keeps its shape) records the configuration it explored (``config``:
every setting of :class:`~.config.Config`, the endpoints' in ``A`` and ``B``)
and the rule table's name (``rules``, ending ``, mutant NAME`` for a mutant's
run).  :func:`recorded_config` turns them back into the Config and RuleTable,
so that a run read from such a file (``diagram trace --file``, ``explore
--file``, ``tcpcheck.diagram.trace(file=...)``) is replayed on the model it
came from without the user saying which.

The settings are not trusted: they are written out as a configuration file
would say them and read by :func:`~.config.parse_config`, which checks every
value, so a tampered file gets the same clear errors as a bad configuration.

>>> from tcpcheck.model.checker import run
>>> from tcpcheck.model.cli import config_from
>>> from tcpcheck.model.report import result_json
>>> doc = result_json(run(*config_from(mutant="no-time-wait")))
>>> cfg, table = recorded_config(doc, "r.json")
>>> cfg == config_from(mutant="no-time-wait")[0], table.name
(True, 'rfc9293.rules, mutant no-time-wait')
>>> recorded_config({"config": {"name": "x", "capacity": 99}}, "r.json")
Traceback (most recent call last):
...
tcpcheck.model.errors.InputError: r.json: 'config' is not a configuration tcpcheck can check: capacity must be an integer from 1 to 8, not 99
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from .config import Config, ConfigError, parse_config
from .errors import InputError, unknown
from .mutants import MUTANTS, apply_mutant
from .table import REFERENCE, RuleTable, load_table

__all__ = ["recorded_config", "records_config", "NETWORK", "MUTANT_SUFFIX"]

#: the settings a configuration file puts under ``[network]``
NETWORK = ("capacity", "loss", "duplication", "reordering", "loss_budget")

#: how a mutant's table (and configuration) name ends (:func:`~.mutants.apply_mutant`)
MUTANT_SUFFIX = re.compile(r", mutant ([\w-]+)$")


def records_config(doc) -> bool:
    """Whether ``doc`` (parsed JSON) is an output that records its configuration."""
    return isinstance(doc, dict) and "config" in doc


def _value(source, where: str, v) -> str:
    ok = isinstance(v, (str, int, bool)) or (isinstance(v, (list, tuple)) and all(isinstance(x, (str, int)) for x in v))
    if not ok:
        raise InputError(f"{source}: 'config': {where} must be a number, a string, true, false or a "
                         f"list, not {json.dumps(v)[:40]}")
    return json.dumps(v)  # JSON's scalars and lists of them are TOML too (a tuple: a result_json not yet written)


def recorded_config(doc: dict, source: str | Path = "<json>") -> tuple[Config, RuleTable]:
    """The configuration and table that ``doc`` (a ``check --json`` output, or
    any with its ``config`` and ``rules``) records; ``source`` names it in errors
    (InputError, exit 2: ``FILE: 'config': ...``)."""
    cfg = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(cfg, dict) or not isinstance(cfg.get("name"), str):
        raise InputError(f"{source}: 'config' must be the configuration object 'tcpcheck check --json' "
                         f"writes; or say which to check the trace in with --preset or --config")
    top = {f.name for f in dataclasses.fields(Config)}
    lines = ['preset = "default"']
    sections: dict[str, list[str]] = {"network": [], "timers": [], "A": [], "B": []}
    for key, v in cfg.items():
        if key == "name" or v is None:
            continue
        if key in ("A", "B"):
            if not isinstance(v, dict):
                raise InputError(f"{source}: 'config': {key} must be an object of endpoint settings")
            sections[key] += [f"{k} = {_value(source, f'{key}.{k}', x)}" for k, x in v.items() if x is not None]
        elif key in NETWORK:
            sections["network"].append(f"{key} = {_value(source, key, v)}")
        elif key.startswith("time_wait_"):
            sections["timers"].append(f"{key} = {_value(source, key, v)}")
        elif key in top:
            lines.append(f"{key} = {_value(source, key, v)}")
        else:
            settings = sorted(top - {"name"})
            raise InputError(f"{source}: 'config': " + unknown(
                "setting", key, settings,
                f"the settings are those 'tcpcheck check --json' writes: {', '.join(settings)}"))
    for name, body in sections.items():
        lines += [f"[{name}]", *body]
    try:
        config = parse_config("\n".join(lines) + "\n", "config", name=cfg["name"])
    except ConfigError as exc:
        raise InputError(f"{source}: 'config' is not a configuration tcpcheck can check: "
                         f"{re.sub(r'^config:[0-9]+: ', '', str(exc))}") from None
    table = load_table(config.rules or REFERENCE)
    rules = doc.get("rules")
    m = MUTANT_SUFFIX.search(rules) if isinstance(rules, str) else None
    if m and m.group(1) in MUTANTS:
        name = m.group(1)
        config, mutated = apply_mutant(name, dataclasses.replace(
            config, name=cfg["name"].removesuffix(f", mutant {name}")), table if config.rules else None)
        table = mutated or table
    return config, table
