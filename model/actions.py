"""What each action of the rule table does to the TCB and puts on the wire.

Layer 3 of the model.  The rule table names actions in the RFC's words
(``snd SYN,ACK``, ``delete TCB``); this module is the one place that says
what they mean.  Each action is a function ``(D, tcb, seg, params) -> (tcb,
segment or None)`` where ``seg`` is the segment being processed (None for user
calls and timeouts) and ``params`` the endpoint's configured ISS and
retransmission budget.  Arithmetic goes through the domain object ``D`` so
that the proofs can evaluate the same functions symbolically.

It must not decide *when* an action happens: that is the rule table.

Two actions are Linux's, not RFC 9293's (``snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>``
and ``create TCB, ISS = SND.NXT+65537``): the linux profile's table uses them.

Two actions at the end of the vocabulary are *not* RFC 9293: ``snd FIN
without sequence number`` and ``retransmit, but never a FIN`` exist so that
the named mutants of :mod:`mutants` (claims C6 and C17) are one edit of the
rule table each.  The reference table does not use them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .tcb import CLOSED_TCB, FIN_SENT, TCB, Segment

__all__ = ["ACTIONS", "READS_SEGMENT", "ONLY_ON", "Params", "front_segment", "fire"]


class Params(NamedTuple):
    """What an endpoint's configuration fixes for one incarnation: the ISS its
    OPEN chooses and its retransmission budget."""

    iss: int
    retransmissions: int


def _fresh(tcb: TCB, params: Params) -> TCB:
    """A TCB as a passive OPEN creates it: ISS chosen, nothing sent or received."""
    return TCB(tcb.state, params.iss, 0, params.iss, params.iss, 0, True, params.retransmissions)


def create_tcb(D, t, seg, params):
    """create TCB: choose the ISS; SND.UNA = SND.NXT = ISS."""
    return _fresh(t, params), None


def delete_tcb(D, t, seg, params):
    """delete TCB: the connection no longer exists."""
    return CLOSED_TCB, None


def return_to_listen(D, t, seg, params):
    """return to LISTEN: flush the retransmission queue, forget the peer (3.10.7.4).

    The TCB keeps its own ISS (the one its OPEN chose), so a listener of any
    incarnation answers the next SYN as its OPEN meant it to."""
    return _fresh(t, params._replace(iss=t.iss)), None


def snd_syn(D, t, seg, params):
    """snd <SEQ=ISS><CTL=SYN>; SND.NXT = ISS+1.  The connection is now active."""
    out = Segment(True, False, False, False, t.iss, 0)
    return t._replace(snd_una=t.iss, snd_nxt=D.add(t.iss, 1), passive=False), out


def snd_syn_ack(D, t, seg, params):
    """snd <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; SND.NXT = ISS+1."""
    out = Segment(True, True, False, False, t.iss, t.rcv_nxt)
    return t._replace(snd_una=t.iss, snd_nxt=D.add(t.iss, 1)), out


def snd_ack(D, t, seg, params):
    """snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    return t, Segment(False, True, False, False, t.snd_nxt, t.rcv_nxt)


def snd_data(D, t, seg, params):
    """snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with one octet of data; SND.NXT += 1."""
    out = Segment(False, True, False, False, t.snd_nxt, t.rcv_nxt, 1)
    return t._replace(snd_nxt=D.add(t.snd_nxt, 1)), out


def snd_fin(D, t, seg, params):
    """snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>; SND.NXT += 1 (a FIN occupies one number)."""
    out = Segment(False, True, True, False, t.snd_nxt, t.rcv_nxt)
    return t._replace(snd_nxt=D.add(t.snd_nxt, 1)), out


def snd_rst_abort(D, t, seg, params):
    """snd <SEQ=SND.NXT><CTL=RST> (ABORT in a synchronized state, 3.10.5)."""
    return t, Segment(False, False, False, True, t.snd_nxt, 0)


def snd_rst_ack_abort(D, t, seg, params):
    """snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>: not RFC 9293's ABORT (3.10.5 sends
    <SEQ=SND.NXT><CTL=RST>) but Linux's: tcp_send_active_reset() in net/ipv4/tcp_output.c
    builds the reset with TCPHDR_ACK | TCPHDR_RST at tcp_acceptable_seq() (SND.NXT)."""
    return t, Segment(False, True, False, True, t.snd_nxt, t.rcv_nxt)


def create_tcb_above_snd_nxt(D, t, seg, params):
    """create TCB, ISS = SND.NXT+65537: a new connection from TIME-WAIT (RFC 9293 3.6.1,
    MAY-2 (1): its ISS larger than any sequence number the old incarnation used).  Linux's
    tcp_timewait_state_process() sets the new ISN to tw_snd_nxt + 65535 + 2.  It records the
    SYN (IRS <- SEG.SEQ, RCV.NXT <- SEG.SEQ+1); the TCB is the listener's (passive)."""
    iss = D.add(t.snd_nxt, 65537)
    return TCB(t.state, iss, seg.seq, iss, iss, D.add(seg.seq, 1), True, params.retransmissions), None


def snd_rst_seg_ack(D, t, seg, params):
    """snd <SEQ=SEG.ACK><CTL=RST>: the reset that answers a segment carrying an ACK."""
    return t, Segment(False, False, False, True, seg.ack, 0)


def snd_rst_ack_seg_seq(D, t, seg, params):
    """snd <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>: the reset that answers a segment without ACK."""
    n = D.add(D.add(seg.len, D.num(seg.SYN)), D.num(seg.FIN))
    return t, Segment(False, True, False, True, 0, D.add(seg.seq, n))


def front_segment(D, t: TCB) -> Segment:
    """The segment at the front of the retransmission queue (the one at SND.UNA).

    SYN (in SYN-SENT) or SYN,ACK while the SYN is unacknowledged; the FIN when
    it is the only thing left unacknowledged in a state that has sent one;
    otherwise the one-octet data segment at SND.UNA.  Written with ``D.If``
    rather than ``if`` so that the proofs can evaluate it on bit-vectors.
    """
    syn = D.eq(t.snd_una, t.iss)
    bare_syn = D.And(syn, t.state == "SYN_SENT")
    fin = D.And(D.Not(syn), t.state in FIN_SENT, D.eq(D.add(t.snd_una, 1), t.snd_nxt))
    return Segment(syn, D.Not(bare_syn), fin, False, D.If(syn, t.iss, t.snd_una),
                   D.If(bare_syn, 0, t.rcv_nxt), D.If(D.Or(syn, fin), 0, 1))


def retransmit(D, t, seg, params):
    """Send the front of the retransmission queue again; one less retransmission left."""
    return t._replace(budget=D.sub(t.budget, 1)), front_segment(D, t)


# --- broken on purpose: for the named mutants (model/mutants.py) only ------------------

def snd_fin_without_sequence_number(D, t, seg, params):
    """NOT RFC 9293 (mutant ``fin-no-seq``, claim C6): snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>
    but SND.NXT stays where it is, as if a FIN occupied no sequence number."""
    return t, Segment(False, True, True, False, t.snd_nxt, t.rcv_nxt)


def retransmit_but_never_a_fin(D, t, seg, params):
    """NOT RFC 9293 (mutant ``no-fin-retransmit``): as ``retransmit``, except that when
    the front of the queue is the FIN nothing is sent; the retransmission is spent all
    the same, so the user timeout still comes."""
    out = front_segment(D, t)
    return t._replace(budget=D.sub(t.budget, 1)), D.unless(out.FIN, out)


#: The action vocabulary of rule tables, in the RFC's words.
ACTIONS: dict[str, Callable] = {
    "create TCB": create_tcb,
    "delete TCB": delete_tcb,
    "return to LISTEN": return_to_listen,
    "snd SYN": snd_syn,
    "snd SYN,ACK": snd_syn_ack,
    "snd ACK": snd_ack,
    "snd data": snd_data,
    "snd FIN": snd_fin,
    "snd <SEQ=SND.NXT><CTL=RST>": snd_rst_abort,
    "snd <SEQ=SEG.ACK><CTL=RST>": snd_rst_seg_ack,
    "snd <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>": snd_rst_ack_seg_seq,
    "retransmit": retransmit,
    # not RFC 9293 but what Linux does (the linux profile, model/linux.rules)
    "snd <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>": snd_rst_ack_abort,
    "create TCB, ISS = SND.NXT+65537": create_tcb_above_snd_nxt,
    # not RFC 9293: used only by the mutants of model/mutants.py
    "snd FIN without sequence number": snd_fin_without_sequence_number,
    "retransmit, but never a FIN": retransmit_but_never_a_fin,
}

#: The actions that read the arriving segment (SEG.SEQ, SEG.ACK, SEG.LEN): they answer a
#: segment, so a rule may name them only for an arrival event, never for a user call or a
#: timeout, where there is no segment (the rule table's loader refuses such a row).
READS_SEGMENT = ("snd <SEQ=SEG.ACK><CTL=RST>", "snd <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>",
                 "create TCB, ISS = SND.NXT+65537")

#: Actions that only make sense on one event (the loader refuses them elsewhere): the new
#: connection from TIME-WAIT needs the SYN its event recorded and the old SND.NXT.
ONLY_ON = {"create TCB, ISS = SND.NXT+65537": ("rcv SYN above RCV.NXT",)}


def fire(D, actions: dict, rule, tcb: TCB, seg: Segment | None, params: Params) -> tuple[TCB, list]:
    """Carry out ``rule``'s actions in order on ``tcb`` and enter its next state:
    (new TCB, segments sent).  The explorer and the proofs both step through here."""
    outs = []
    for name in rule.actions:
        tcb, out = actions[name](D, tcb, seg, params)
        if out is not None:
            outs.append(out)
    return (tcb if tcb.state == rule.to else tcb._replace(state=rule.to)), outs
