"""Graphviz renderings of the rule table, the state graph and traces.

Planned in the issue "diagrams/: the RFC state diagram, the reachable-state
graph and message sequence charts"; nothing is drawn here yet.
"""
