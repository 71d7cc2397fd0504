"""The optional prove tests of an assignment: z3's obligations on a student's
table, each against the reference's verdict (about 20 s: the reference and the
student's table are each proved once)."""

import pytest

from tcpcheck.model.grading.assignment import load_assignment
from tcpcheck.model.grading.grade import Prepared, grade_file
from tcpcheck.model.table import REFERENCE

ASSIGNMENT = """\
title = "prove"
reference = "builtin:rfc9293"
[[configurations]]
name = "seed"
preset = "seed"
[[tests]]
kind = "prove"
points = 80
"""

NO_CLOSING = ("FIN_WAIT_1   | rcv FIN                 | snd ACK                    | CLOSING",
              "FIN_WAIT_1   | rcv FIN                 | -                          | same   ")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    d = tmp_path_factory.mktemp("prove")
    (d / "a.toml").write_text(ASSIGNMENT)
    text = REFERENCE.read_text()
    assert text.count(NO_CLOSING[0]) == 1
    (d / "nc.rules").write_text(text.replace(*NO_CLOSING))
    prepared = Prepared(load_assignment(d / "a.toml"))
    return prepared, grade_file(prepared, d / "nc.rules"), d / "nc.rules"


def test_the_reference_proves_every_obligation(graded):
    prepared, _, _ = graded
    assert [o["verdict"] for o in prepared.reference_proofs()] == ["proved"] * 8


def test_a_table_whose_fin_wait_1_ignores_a_fin_fails_only_liveness(graded):
    _, r, path = graded
    proofs = [t for t in r.tests if t.kind == "prove"]
    assert [(t.name, t.score, t.status) for t in proofs] == [
        ("proof: segment classification is total and unambiguous", 10, "passed"),
        ("proof: SND.UNA never passes SND.NXT", 10, "passed"),
        ("proof: no acknowledgment of unsent data", 10, "passed"),
        ("proof: RCV.NXT within the peer's sent range", 10, "passed"),
        ("proof: the ACK of a FIN is its sequence number plus one", 10, "passed"),
        ("proof: segments in flight lie in their sender's sent range", 10, "passed"),
        ("proof: supporting facts", 10, "passed"),
        ("proof: every connection ends", 0, "failed")]
    assert r.score == 70 and r.max_score == 80
    cx = proofs[-1].details["counterexample"]
    # the student's own row, at its line of the student's file
    assert cx[0] == (f"rule: FIN_WAIT_1 --rcv ACK--> FIN_WAIT_1 ({path}:78) then "
                     f"FIN_WAIT_1 --rcv FIN--> FIN_WAIT_1 ({path}:87)")
    assert cx[-1].startswith("broken for: a FIN received is known, for X after the step")
    assert "rfc9293.rules" not in proofs[-1].output
