"""The invariants the proofs prove: those of ``model/invariants.py``, where each is written once.

The proofs evaluate them on z3 bit-vectors (``proofs.domain.Symbolic``), the
checker on integers (``model.tcb.Concrete``); this module only names them for
the proofs (:data:`INVARIANTS`, ids IND1-IND6, and what they assume).
"""

from __future__ import annotations

from tcpcheck.model.invariants import (ASSUMPTIONS, DATA_LIMIT, FIN_OUT, FIN_RECEIVED, INVARIANTS, MAX_WINDOW, Fact,
                                       Invariant, Side, has_tcb, holds_in, implies, sides_of)

__all__ = ["Side", "Fact", "Invariant", "INVARIANTS", "DATA_LIMIT", "MAX_WINDOW", "ASSUMPTIONS", "FIN_OUT",
           "FIN_RECEIVED", "has_tcb", "implies", "holds_in", "sides_of"]
