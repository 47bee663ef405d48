"""How far a stream's cursor may move while its time slices are read at once.

A time-cursor stream's range is cut into slices walked side by side, each sorted by the
cursor field. Pages of a later slice can be committed before an earlier slice is finished,
so the cursor may only move over what is read without a hole: every finished slice of the
contiguous prefix, plus the part of the first unfinished slice already read (its pages come
in cursor order). A crash anywhere then resumes from a cursor behind which nothing is
missing; rows of later slices already committed are met again and not inserted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Watermark:
    """Newest cursor value seen per slice, and which slices are finished."""

    _newest: dict[int, datetime] = field(default_factory=dict)
    _finished: set[int] = field(default_factory=set)

    def saw(self, slice_index: int, newest: datetime) -> None:
        """Records of `slice_index` up to `newest` were added (and commit with the batch)."""
        held = self._newest.get(slice_index)
        if held is None or newest > held:
            self._newest[slice_index] = newest

    def finish(self, slice_index: int) -> None:
        """Every page of `slice_index` has been added."""
        self._finished.add(slice_index)

    def position(self) -> datetime | None:
        """The newest value the cursor may take: nothing behind it is still unread."""
        index, best = 0, None
        while True:
            newest = self._newest.get(index)
            if newest is not None and (best is None or newest > best):
                best = newest
            if index not in self._finished:
                return best
            index += 1
