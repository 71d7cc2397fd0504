"""z3 proofs over the model's rule table: the only package that imports z3.

``domain`` evaluates the model's own guards and actions on bit-vectors,
``encoding`` generates each step of the transition relation from the rule
table, ``invariants`` states the sequence-number invariants once for integers
and bit-vectors, ``obligations`` and ``liveness`` ask z3 about them, and
``cli`` is ``tcpcheck prove``.
"""
