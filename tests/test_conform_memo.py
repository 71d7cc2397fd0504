"""The follower's memo (model/conformance/follow.py, _Memo): an endpoint's steps are reused
across connections up to a shift of both sequence spaces, and only steps that were seen to
give the same answer when both spaces move are reused.  A step that reads an absolute
number (SYN_RCVD's reset returning to LISTEN leaves IRS and RCV.NXT at zero) is never
reused; without the probe it would be, and the answer would be wrong."""

from __future__ import annotations

import pytest

from tcpcheck.model.actions import Params
from tcpcheck.model.conformance import follow as F
from tcpcheck.model.table import load_table
from tcpcheck.model.tcb import TCB, Segment

TABLE = load_table()


def syn_rcvd(iss, irs):
    return TCB("SYN_RCVD", iss, irs, iss, (iss + 1) % 2 ** 32, (irs + 1) % 2 ** 32, True, F.BUDGET)


def rst(t):
    return Segment(False, False, False, True, t.rcv_nxt, t.snd_nxt, 0)  # the ACK field as sent, unused


def ack_of_syn(t):
    return Segment(False, True, False, False, t.rcv_nxt, t.snd_nxt, 0)


CASES = [(syn_rcvd(1000, 5000), syn_rcvd(77777, 123456)), (syn_rcvd(2 ** 32 - 1, 9), syn_rcvd(40, 2 ** 32 - 2))]


@pytest.mark.parametrize("first,second", CASES)
def test_a_remembered_step_equals_the_step_computed(first, second):
    memo = F._Memo(TABLE)
    for t in (first, second, first, second):
        for seg in (rst(t), ack_of_syn(t)):
            p = Params(t.iss, F.BUDGET)
            assert memo.arrival(t, seg, 1000, p) == F._arrival(TABLE, t, seg, 1000, p)
    # the ACK of the SYN is reused (trusted after two confirmations); the reset is not
    assert memo.trusted[("arrival", "SYN_RCVD", (TABLE.lookup("SYN_RCVD", "rcv ACK of SYN", True).id,),
                         "rcv ACK of SYN")] == 2
    assert memo.trusted[("arrival", "SYN_RCVD", (TABLE.lookup("SYN_RCVD", "rcv RST", True).id,), "rcv RST")] == -1


def test_without_the_probe_a_step_reading_an_absolute_number_would_be_reused_wrongly(monkeypatch):
    monkeypatch.setattr(F, "_PROBE", (0, 0))
    memo = F._Memo(TABLE)
    first, second = CASES[0]
    for t in (first, first):
        memo.arrival(t, rst(t), 1000, Params(t.iss, F.BUDGET))
    p = Params(second.iss, F.BUDGET)
    wrong, right = memo.arrival(second, rst(second), 1000, p), F._arrival(TABLE, second, rst(second), 1000, p)
    assert right[0] == TCB("LISTEN", 77777, 0, 77777, 77777, 0, True, F.BUDGET)
    assert wrong[0] != right[0] and wrong[0].irs == (0 - 5000 + 123456)
