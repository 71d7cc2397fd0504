"""The examples in the modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["tcpcheck.model.events", "tcpcheck.model.explorer", "tcpcheck.model.checker", "tcpcheck.model.table",
           "tcpcheck.model.grading.cells", "tcpcheck.model.errors"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0, f"{name} has no examples to run"
    assert result.failed == 0
