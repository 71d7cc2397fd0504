"""The TCP connection-management model of RFC 9293 and its exhaustive checker.

Data flows one way through the modules, each a layer:
tcb (segments, TCBs, sequence arithmetic) -> events (what an arriving segment
is) -> table (the rule table, rfc9293.rules) -> actions (what a rule does) ->
channel (the network) -> system (two endpoints and the network) -> explorer
(BFS) -> properties (what must hold) -> report and cli (what users see).
"""
