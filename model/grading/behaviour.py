"""Behaviour: a submission's system and the reference's, explored together.

Both tables drive the same configuration: the same applications, network
and segment semantics.  The two systems are explored in lockstep,
breadth-first, over pairs of global states: from a pair, every step of
either system is matched with the step of the other that has the same
*cause* (the same endpoint's call or timeout, the same segment arriving at
the same endpoint, the same segment lost or duplicated).  A step tells the
two apart when only one system can take it, or when the acting endpoint ends
in a different RFC state or sends different segments.  Breadth-first order
makes the first such step found the end of a *shortest distinguishing run*.

A pair after a distinguishing step is not explored further.  The
**agreement** is the share of the reference's transitions (a reachable state
and a step from it) that the lockstep search took together with an equal
step of the submission, and never with a different one; steps only the
submission can take count against it, in the denominator.  It is 1.0
exactly when no run tells the two apart, and smaller the earlier and the
more often the submission parts from the reference.  It is the partial
credit of the behaviour layer.

It explores and compares; it scores nothing and prints nothing.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from ..system import Model, State, Step

__all__ = ["Difference", "Comparison", "compare", "BudgetExceeded"]


class BudgetExceeded(Exception):
    """The lockstep search needed more states or time than the test allows."""


class Difference(NamedTuple):
    """The last step of a shortest distinguishing run."""

    kind: str  # "differs" (both take it, differently), "missing" (only the reference can), "extra" (only the submission can)
    path: list  # the submission's run up to the step before: [(None, s0), (Step, s1), ...]
    cause: tuple  # the step's cause, see _cause
    yours: tuple[Step, State] | None  # the submission's step and the state after it (None when missing)
    expected: tuple[Step, State] | None  # the reference's step and state after (None when extra)


class Comparison(NamedTuple):
    """What the lockstep search found in one configuration."""

    difference: Difference | None  # None: no run of the configuration tells the two apart
    agreement: float  # agreed / (reference_transitions + extra)
    agreed: int  # reference transitions taken the same way, and never differently
    reference_transitions: int  # the reference's transitions in this configuration
    extra: int  # (reference state, step) pairs only the submission can take
    pairs: int  # pairs of states explored
    complete: bool  # False: the state budget stopped the search
    fired: frozenset[int]  # submission rule ids that fired on the runs explored, the differing steps included
    seconds: float


def _cause(step: Step) -> tuple:
    """What made a step happen, independent of the table that answered it."""
    if step.kind in ("call", "timer"):
        return (step.actor, step.kind, step.event)
    if step.kind == "rcv":
        return (step.actor, "rcv", step.segment)
    return ("network", step.kind, step.event, step.segment)


def _effect(step: Step, after: State) -> tuple:
    """What a step shows: the acting endpoint's RFC state after it and the segments it sent."""
    if step.actor == "network":
        return ()
    return (getattr(after, step.actor).state, step.sent)


def _by_cause(model: Model, s: tuple) -> dict[tuple, tuple[int, tuple]]:
    out: dict = {}
    for label, t in model.successors(s):
        out.setdefault(_cause(model.step(label)), (label, t))
    return out


def compare(reference: Model, submission: Model, reference_transitions: int,
            max_pairs: int | None = None, deadline: float | None = None) -> Comparison:
    """Explore ``reference`` and ``submission`` (two models of one configuration)
    together.  ``reference_transitions`` is the number of (state, step) pairs
    of the reference's own exploration, the denominator of the agreement.  Raises BudgetExceeded past
    ``max_pairs`` pairs or the ``deadline`` (a time.monotonic() value) unless a
    difference has already been found, which is then returned as incomplete."""
    started = time.perf_counter()
    index: dict[tuple, int] = {}
    pairs: list[tuple] = []
    parent: list[int] = []
    via: list[int] = []  # the submission's label of the step from the parent
    for r, s in zip(reference.initial_states(), submission.initial_states()):
        index[(r, s)] = len(pairs)
        pairs.append((r, s))
        parent.append(-1)
        via.append(-1)
    agreed: set = set()  # (reference state, reference label) taken the same way
    differed: set = set()  # ... or differently, somewhere
    extra: set = set()  # (reference state, cause) only the submission can take
    fired: set[int] = set()
    first: Difference | None = None
    complete = True
    i = 0
    while i < len(pairs):
        if (i & 255) == 0 and deadline is not None and time.monotonic() > deadline:
            if first is None:
                raise BudgetExceeded("time")
            complete = False
            break
        r, s = pairs[i]
        ref, sub = _by_cause(reference, r), _by_cause(submission, s)
        for cause in list(ref) + [c for c in sub if c not in ref]:
            rl_rt, sl_st = ref.get(cause), sub.get(cause)
            if sl_st is not None:
                fired.update(submission.step(sl_st[0]).rules)
            if rl_rt is not None and sl_st is not None:
                rstep, sstep = reference.step(rl_rt[0]), submission.step(sl_st[0])
                rafter, safter = reference.decode(rl_rt[1]), submission.decode(sl_st[1])
                if _effect(rstep, rafter) == _effect(sstep, safter):
                    agreed.add((r, rl_rt[0]))
                    key = (rl_rt[1], sl_st[1])
                    if key not in index:
                        if max_pairs is not None and len(pairs) >= max_pairs:
                            if first is None:
                                raise BudgetExceeded("states")
                            complete = False
                            continue
                        index[key] = len(pairs)
                        pairs.append(key)
                        parent.append(i)
                        via.append(sl_st[0])
                    continue
                kind = "differs"
                differed.add((r, rl_rt[0]))
            elif sl_st is None:
                kind = "missing"
                differed.add((r, rl_rt[0]))
            else:
                kind = "extra"
                extra.add((r, cause))
            if first is None:
                first = Difference(
                    kind, _path(submission, pairs, parent, via, i), cause,
                    None if sl_st is None else (submission.step(sl_st[0]), submission.decode(sl_st[1])),
                    None if rl_rt is None else (reference.step(rl_rt[0]), reference.decode(rl_rt[1])))
        i += 1
        if not complete:
            break
    good = len(agreed - differed)
    total = reference_transitions + len(extra)
    agreement = 1.0 if first is None else min(good / total, 1.0) if total else 0.0
    return Comparison(first, agreement, good, reference_transitions, len(extra), len(pairs), complete,
                      frozenset(fired), time.perf_counter() - started)


def _path(model: Model, pairs: list, parent: list[int], via: list[int], i: int) -> list:
    """The submission's run to pair ``i``: [(None, s0), (Step, s1), ...]."""
    ids = []
    while i >= 0:
        ids.append(i)
        i = parent[i]
    ids.reverse()
    out = [(None, model.decode(pairs[ids[0]][1]))]
    out.extend((model.step(via[j]), model.decode(pairs[j][1])) for j in ids[1:])
    return out
