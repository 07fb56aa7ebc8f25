"""Several stores as one source of IDs: the seeds' "N databases, step N",
"N Redis servers, each with its offset" and "two ticket servers, odd and
even". Each store keeps a ``Segment`` of its own (its ranges stay in
order, and never meet the others' by construction: offsets and strides,
sequence starts, ticket parity); the group takes IDs from them in turn and
skips one that is down."""

from __future__ import annotations

from typing import List, Optional, Sequence

from .._errors import IdloomError
from .._idloom import Segment, _GroupTurn
from ._lease import error


class SegmentGroup:
    """IDs from several segments in turn (round robin), skipping a segment
    whose store is down: one with IDs in memory first; when every memory is
    dry, each is asked in turn (waiting at most its own ``timeout_ms``) and
    the last failure is raised only if none answers. ``skipped`` counts the
    segments passed over because they failed."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        if not segments or not all(isinstance(s, Segment) for s in segments):
            raise error("invalid_type", "segments must be a non-empty sequence of Segment")
        self.segments: List[Segment] = list(segments)
        self._turn = _GroupTurn(len(self.segments))  # the core's: each call starts one further

    @property
    def skipped(self) -> int:
        """Segments passed over because they failed."""
        return self._turn.skipped

    def next(self) -> int:
        """The next ID from the first segment in turn that can give one."""
        segs, turn = self.segments, self._turn
        order = turn.order()  # the core's order for this call (a tuple made once per start: no list per ID)
        for k in order:
            seg = segs[k]
            if seg.remaining > 0:
                try:
                    return seg.next()
                except IdloomError:
                    turn.skip()
        last: Optional[BaseException] = None
        for k in order:
            try:
                return segs[k].next()
            except Exception as e:  # the store's own failure: try the next one
                turn.skip()
                last = e
        assert last is not None
        raise last

    def __iter__(self) -> "SegmentGroup":
        return self

    def __next__(self) -> int:
        return self.next()
