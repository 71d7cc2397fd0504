"""Conformance: real TCP traces checked against a rule table (issue 12).

A capture (pcap, pcapng) or a JSON trace is read into observed segments
(:mod:`.trace`, :mod:`.capture_files`), split into connections by 4-tuple and
SYN, and each connection is followed through the same rule table, segment
semantics (model/events.py) and actions (model/actions.py) the checker uses
(:mod:`.follow`): which row explains each segment, which event triggered it,
both endpoints' possible states after it, and where a stack did something no
row allows.  :mod:`.report` says it as text or JSON, :mod:`.cli` is
``tcpcheck conform``; :mod:`.make_captures` makes real Linux captures in
network namespaces, and :mod:`.bench` measures the speed.

Like the rest of model/, it never imports proofs/ or diagrams/.
"""
