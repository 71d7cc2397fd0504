"""Graphviz renderings generated from the model: never drawn by hand.

fsm (the endpoint state diagram, from the rule table), states (the
reachable-state graph, whole or as a quotient), msc (message sequence charts
of traces), i18n (English and Chinese labels), render (DOT to SVG/PNG/PDF),
gallery (the reference diagrams committed beside this file) and cli (the
``tcpcheck diagram`` command, registered through an entry point).  Everything
is built as DOT text first, sorted so that it is the same on every run.
"""
