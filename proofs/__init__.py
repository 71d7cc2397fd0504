"""z3 proofs over the model's rule table (the only package that imports z3).

Planned in the issue "proofs/: z3 proves the sequence-number invariants for
every ISN"; nothing is proved here yet.
"""
