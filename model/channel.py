"""The unreliable network: one bounded channel per direction.

Layer 4 of the model.  A channel is an immutable tuple of segments in
flight.  Loss, duplication and reordering are switches of the configuration,
never branches inside rules.  Without reordering a channel is FIFO; with it,
segments may be delivered in any order, and the channel is kept sorted so
that two channels holding the same segments are the same state.

A channel holds at most ``capacity`` segments.  A segment sent into a full
channel is dropped, as a router drops at a full queue; the step that sent it
records the drop.

It must not know about TCBs or rules.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

from .tcb import Segment

__all__ = ["Channel"]

Flight = tuple[Segment, ...]


class Channel(NamedTuple):
    """The behaviour of one direction of the network (shared by both directions)."""

    capacity: int
    loss: bool
    duplication: bool
    reordering: bool

    def push(self, flight: Flight, seg: Segment) -> tuple[Flight, bool]:
        """Put ``seg`` in flight; returns the new contents and whether it was dropped."""
        if len(flight) >= self.capacity:
            return flight, True
        if self.reordering:
            return tuple(sorted(flight + (seg,))), False
        return flight + (seg,), False

    def deliveries(self, flight: Flight) -> Iterator[tuple[Segment, Flight]]:
        """Each segment that can arrive next, with what stays in flight."""
        if not flight:
            return
        if not self.reordering:
            yield flight[0], flight[1:]
            return
        yield from self._each_removed(flight)

    def losses(self, flight: Flight) -> Iterator[tuple[Segment, Flight]]:
        """Each segment the network can lose, with what stays in flight."""
        if self.loss:
            yield from self._each_removed(flight)

    def duplications(self, flight: Flight) -> Iterator[tuple[Segment, Flight]]:
        """Each segment the network can duplicate (FIFO: the copy follows the original)."""
        if not self.duplication or len(flight) >= self.capacity:
            return
        seen = set()
        for i, seg in enumerate(flight):
            if seg in seen:
                continue
            seen.add(seg)
            if self.reordering:
                yield seg, tuple(sorted(flight + (seg,)))
            else:
                yield seg, flight[:i + 1] + (seg,) + flight[i + 1:]

    @staticmethod
    def _each_removed(flight: Flight) -> Iterator[tuple[Segment, Flight]]:
        seen = set()
        for i, seg in enumerate(flight):
            rest = flight[:i] + flight[i + 1:]
            if (seg, rest) in seen:
                continue
            seen.add((seg, rest))
            yield seg, rest
