"""Several stores as one source of IDs: the seeds' "N databases, step N",
"N Redis servers, each with its offset" and "two ticket servers, odd and
even". Each store keeps a ``Segment`` of its own (its ranges stay in
order, and never meet the others' by construction: offsets and strides,
sequence starts, ticket parity); the group takes IDs from them in turn and
skips one that is down."""

from __future__ import annotations

import threading
from typing import List, Optional, Sequence

from .._errors import IdloomError
from .._idloom import Segment
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
        self._turn = 0
        self._lock = threading.Lock()
        self.skipped = 0

    def _start(self) -> int:
        """Where this turn starts (each turn one further)."""
        with self._lock:
            k = self._turn
            self._turn = (k + 1) % len(self.segments)
        return k

    def next(self) -> int:
        """The next ID from the first segment in turn that can give one."""
        segs, k = self.segments, self._start()
        n = len(segs)
        for i in range(n):  # indexes, not a rotated copy: no list per ID
            seg = segs[(k + i) % n]
            if seg.remaining > 0:
                try:
                    return seg.next()
                except IdloomError:
                    self.skipped += 1
        last: Optional[BaseException] = None
        for i in range(n):
            try:
                return segs[(k + i) % n].next()
            except Exception as e:  # the store's own failure: try the next one
                self.skipped += 1
                last = e
        assert last is not None
        raise last

    def __iter__(self) -> "SegmentGroup":
        return self

    def __next__(self) -> int:
        return self.next()
