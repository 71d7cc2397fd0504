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

from importlib.metadata import PackageNotFoundError, version

from .tcb import TCB, Segment, describe_segment

__all__ = ["SCHEMA_VERSION", "tool_version", "stamp", "segment_json", "tcb_json"]

#: the version of every JSON output's shape (see the module docstring)
SCHEMA_VERSION = 1


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
