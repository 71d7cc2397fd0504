"""Strict validation of a JSON output against the package's JSON Schemas (for the tests).

The published schemas stay open (readers ignore fields they do not know);
:func:`errors` checks *strictly*: ``unevaluatedProperties: false`` is added
wherever a schema lists properties and says nothing of others, so every field
an output carries must be described by its schema.
"""

from __future__ import annotations

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tcpcheck.model.interface import SCHEMA_BASE, schemas, validator

__all__ = ["errors", "strict_validator"]


def _strict(node):
    """``node`` with ``unevaluatedProperties: false`` wherever it lists properties
    and says nothing of others."""
    if isinstance(node, list):
        return [_strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    # "if" only tests, and "then" / "else" only narrow the properties their parent lists
    out = {k: (v if k in ("const", "if", "then", "else") else _strict(v)) for k, v in node.items()}
    if "properties" in out and not {"additionalProperties", "unevaluatedProperties"} & set(out):
        out["unevaluatedProperties"] = False
    return out


def strict_validator(kind: str):
    docs = {uri: _strict(s) for uri, s in schemas().items()}
    # the envelope is one part (allOf) of every output: the rest is evaluated beside it
    del docs[SCHEMA_BASE + "common.schema.json"]["$defs"]["envelope"]["unevaluatedProperties"]
    registry = Registry().with_resources((uri, DRAFT202012.create_resource(s)) for uri, s in docs.items())
    return jsonschema.Draft202012Validator(docs[f"{SCHEMA_BASE}{kind}.schema.json"], registry=registry)


def _leaves(e):
    """An error, or the errors of each alternative of an anyOf / oneOf."""
    if not e.context:
        yield e
    for sub in e.context:
        yield from _leaves(sub)


def errors(kind: str, doc, strict: bool = True) -> list[tuple[list, str]]:
    """(where, which check) of every error of ``doc`` against ``kind``'s schema."""
    v = strict_validator(kind) if strict else validator(kind)
    found = {(tuple(x.absolute_path), x.validator) for e in v.iter_errors(doc) for x in _leaves(e)}
    return [(list(p), c) for p, c in sorted(found, key=lambda e: (len(e[0]), str(e)))]
