"""The examples in the modules' docstrings run and give what they show: the
model's modules, the Python API (``import tcpcheck``: every module of it that
a user reads), ``tcpcheck export`` and ``tcpcheck explore``."""

import doctest
import importlib

import pytest

MODULES = ["tcpcheck.model.events", "tcpcheck.model.explorer", "tcpcheck.model.checker", "tcpcheck.model.table",
           "tcpcheck.model.grading.cells", "tcpcheck.model.errors", "tcpcheck.model.cli", "tcpcheck.model.interface",
           "tcpcheck.model.recorded", "tcpcheck.model.packed", "tcpcheck.model.invariants"]

#: the Python API, ``tcpcheck.*`` (model/api/)
API_MODULES = ["tcpcheck", "tcpcheck.sources", "tcpcheck.checking", "tcpcheck.display", "tcpcheck.diagram",
               "tcpcheck.proving", "tcpcheck.grading", "tcpcheck.conforming"]

#: the commands that are for other tools and for the browser
EXPORT_EXPLORE_MODULES = ["tcpcheck.model.export", "tcpcheck.model.explore", "tcpcheck.model.explore.session",
                          "tcpcheck.model.explore.server", "tcpcheck.model.explore.texts"]


@pytest.mark.parametrize("name", MODULES + API_MODULES + EXPORT_EXPLORE_MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0, f"{name} has no examples to run"
    assert result.failed == 0


def test_every_module_of_the_api_is_collected():
    """A module added to model/api/ gets its examples run here too (__main__ is the command line)."""
    from importlib.resources import files

    names = {p.name[:-3] for p in files("tcpcheck").iterdir() if p.name.endswith(".py")}
    assert {f"tcpcheck.{n}" if n != "__init__" else "tcpcheck" for n in names - {"__main__"}} == set(API_MODULES)
