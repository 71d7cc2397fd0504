"""model/recorded.py: the configuration a check --json output records, rebuilt exactly,
and every tampered part of it refused with the file and the field."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from tcpcheck.model.cli import config_from
from tcpcheck.model.config import PRESETS
from tcpcheck.model.errors import InputError
from tcpcheck.model.mutants import MUTANTS
from tcpcheck.model.recorded import recorded_config, records_config


def recorded(cfg, table) -> dict:
    """What check --json records of a configuration and table, through JSON as a file has it."""
    return json.loads(json.dumps({"config": dataclasses.asdict(cfg), "rules": table.name}))


def _semantics(table) -> list:
    """The table's segment semantics, comparable: a mutant's guards are new functions
    each time it is applied, made by the same code."""
    code = lambda f: getattr(f, "__code__", f)  # noqa: E731
    return [(e.name, e.states, e.stage, e.proceed, e.ref, code(e.guard), code(e.effect)) for e in table.arrivals]


def same(a, b) -> bool:
    (ca, ta), (cb, tb) = a, b
    return ca == cb and ta.name == tb.name and ta.rules == tb.rules and _semantics(ta) == _semantics(tb)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_comes_back_as_itself(name):
    chosen = config_from(preset=name)
    assert same(recorded_config(recorded(*chosen), "r.json"), chosen)


@pytest.mark.parametrize("name", list(MUTANTS))
def test_every_mutant_comes_back_with_its_table_and_semantics(name):
    chosen = config_from(mutant=name)
    back = recorded_config(recorded(*chosen), "r.json")
    assert same(back, chosen)
    assert back[0].name.endswith(f", mutant {name}") and back[0].name.count(", mutant") == 1


def test_a_mutant_on_a_preset_keeps_the_preset():
    chosen = config_from(preset="default", mutant="fin-no-seq")
    back = recorded_config(recorded(*chosen), "r.json")
    assert same(back, chosen) and back[0].name == "default, mutant fin-no-seq"


def test_a_mutant_name_tcpcheck_does_not_know_is_left_as_the_table_recorded():
    doc = recorded(*config_from(preset="seed"))
    doc["rules"] = "rfc9293.rules, mutant made-up"
    cfg, table = recorded_config(doc, "r.json")
    assert (cfg.name, table.name) == ("seed", "rfc9293.rules")


def test_only_outputs_with_a_config_record_one():
    assert records_config({"config": {}}) and not records_config([{"step": 0}]) and not records_config({"x": 1})


@pytest.mark.parametrize("change, message", [
    ({"config": "seed"}, "r.json: 'config' must be the configuration object 'tcpcheck check --json' writes; "
                         "or say which to check the trace in with --preset or --config"),
    ({"config": {"capacity": 2}}, "r.json: 'config' must be the configuration object"),
    ({"capacity": 99}, "r.json: 'config' is not a configuration tcpcheck can check: capacity must be an "
                       "integer from 1 to 8, not 99"),
    ({"capacity": {"deep": [1]}}, 'r.json: \'config\': capacity must be a number, a string, true, false or '
                                  'a list, not {"deep": [1]}'),
    ({"A": 3}, "r.json: 'config': A must be an object of endpoint settings"),
    ({"capacty": 2}, "r.json: 'config': unknown setting 'capacty'; did you mean 'capacity'? the settings are "
                     "those 'tcpcheck check --json' writes: "),
    ({"time_wait_outlasts_rto": "yes"}, "r.json: 'config' is not a configuration tcpcheck can check: "),
])
def test_a_tampered_configuration_is_refused_naming_the_file_and_field(change, message):
    doc = recorded(*config_from(preset="seed"))
    if "config" in change:
        doc.update(change)
    else:
        doc["config"].update(change)
    with pytest.raises(InputError) as e:
        recorded_config(doc, "r.json")
    assert str(e.value).startswith(message), str(e.value)
    assert re.search(r"Traceback|internal", str(e.value)) is None
