"""What scripts and graders rely on: the envelope of every ``--json`` output
and the one JSON shape of a segment and of a TCB.

Every command's JSON object starts with ``schema_version`` (raised when a
field is removed or changes meaning; adding a field keeps it), ``tool``
(name and version) and ``kind`` (which schema in ``model/schemas/`` it
follows, e.g. ``check``).  A segment is always
``{"text": "<SEQ=100><ACK=301><CTL=SYN,ACK>", "SEQ": 100, "ACK": 301,
"CTL": ["SYN", "ACK"], "LEN": 0}`` and a TCB always carries the RFC 9293
3.3.1 variable names (``SND.UNA``, ``SND.NXT``, ``RCV.NXT``, ``ISS``, ``IRS``).
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files

from .tcb import TCB, Segment, describe_segment

__all__ = ["SCHEMA_VERSION", "KINDS", "SCHEMA_BASE", "tool_version", "stamp", "segment_json", "tcb_json",
           "schema", "schemas", "validator"]

#: the version of every JSON output's shape (see the module docstring)
SCHEMA_VERSION = 1

#: every kind of JSON output, each described by ``schemas/KIND.schema.json``
#: (draft 2020-12); ``common`` holds what they share (the envelope, a segment,
#: a TCB, a trace), ``gradescope`` and ``prairielearn`` describe the
#: platforms' own results.json as ``grade --format`` writes them (no envelope),
#: ``export`` both JSON outputs of ``tcpcheck export`` (the graph as node-link
#: data, the counterexamples), and ``explore-*`` the answers of the JSON API of
#: ``tcpcheck explore`` (``/api/session``, ``/api/texts``, ``/api/run``,
#: ``/api/reach``, ``/api/check``)
KINDS = ("check", "bench", "bench-check", "prove", "prove-bench", "experiment", "experiments", "grade",
         "gradescope", "prairielearn", "export", "explore-session", "explore-texts", "explore-run",
         "explore-reach", "explore-check", "conform", "packetdrill", "bench-scale", "bench-spin", "check-spin")

#: the schemas' ``$id`` is this plus the file name: a name, not an address to fetch
#: (the files ship in the package; read them with :func:`schema`)
SCHEMA_BASE = "https://tcpcheck.invalid/schemas/"


def tool_version() -> str:
    """tcpcheck's installed version, or "unknown" in a source tree that is not installed."""
    try:
        return version("tcpcheck")
    except PackageNotFoundError:
        return "unknown"


def stamp(kind: str, doc: dict) -> dict:
    """``doc`` inside the envelope every ``--json`` output carries."""
    return {"schema_version": SCHEMA_VERSION, "tool": {"name": "tcpcheck", "version": tool_version()},
            "kind": kind, **doc}


def segment_json(seg: Segment) -> dict:
    """A segment: the RFC's notation and its fields."""
    return {"text": describe_segment(seg), "SEQ": seg.seq, "ACK": seg.ack if seg.ACK else None,
            "CTL": [name for name in ("SYN", "FIN", "RST", "ACK") if getattr(seg, name)],
            "LEN": seg.len}


def tcb_json(t: TCB) -> dict:
    """A TCB: its state and the RFC 9293 3.3.1 variables the model keeps."""
    return {"state": t.state, "ISS": t.iss, "IRS": t.irs, "SND.UNA": t.snd_una,
            "SND.NXT": t.snd_nxt, "RCV.NXT": t.rcv_nxt, "passive": t.passive,
            "retransmissions_left": t.budget}


def schema(kind: str) -> dict:
    """The JSON Schema of ``kind`` (one of :data:`KINDS`, or ``common``), from the package."""
    if kind not in KINDS and kind != "common":
        raise ValueError(f"no schema for '{kind}'; the kinds are: {', '.join(KINDS)}")
    return json.loads(files(__package__).joinpath("schemas", f"{kind}.schema.json").read_text(encoding="utf-8"))


def schemas() -> dict[str, dict]:
    """Every schema by its ``$id`` (what a validator's registry needs to follow the ``$ref`` s)."""
    out = {}
    for kind in ("common", *KINDS):
        s = schema(kind)
        out[s["$id"]] = s
    return out


def validator(kind: str):
    """A ``jsonschema`` validator of ``kind`` that resolves the shared definitions
    (needs the optional ``jsonschema`` package: ``pip install tcpcheck[test]``).

    >>> v = validator("bench")
    >>> sorted(e.validator for e in v.iter_errors({"kind": "bench"}))[:1]
    ['required']
    """
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resources(
        (uri, DRAFT202012.create_resource(s)) for uri, s in schemas().items())
    return jsonschema.Draft202012Validator(schema(kind), registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
