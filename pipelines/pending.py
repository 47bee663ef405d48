"""The batch a stream buffers between two commits: validated records and what the commit needs.

`StreamRun.flush` commits it in one transaction; until then nothing here is in the warehouse,
so a crash loses at most this batch and the next run reads it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipelines.streams import StreamSpec
from pipelines.timestamps import format_instant
from pipelines.validate import ValidatedPage, reject
from warehouse.state import QuarantineRow

#: Clock skew tolerated between Sippet's clock and ours before a timestamp counts as future.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class PendingBatch:
    """Validated pages of one stream not yet committed.

    `records`: by id; a record met again before the commit (a reread, an overlapping slice)
    replaces its older version. `time_ranges`: cursor-field range of the records per slice
    (None: not from a slice), the probe of an insert-if-absent load. `rejected`: records to
    quarantine with the batch.
    """

    spec: StreamSpec
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    time_ranges: dict[int | None, tuple[datetime, datetime]] = field(default_factory=dict)
    rejected: list[QuarantineRow] = field(default_factory=list)
    pages: int = 0

    @property
    def rows(self) -> int:
        return len(self.records)

    def add(self, page: ValidatedPage, context: str, slice_index: int | None,
            cursor_cap: datetime | None) -> datetime | None:
        """Buffer one validated page; return the newest cursor-field value it kept (the
        slice's watermark), None when it has none. A cursor value past `cursor_cap` (the
        sync's end) is refused."""
        self.pages += 1
        records = self._refuse_future(page.records, context, cursor_cap)
        for record in records:
            self.records[record["id"]] = record
        newest = self._note_times(records, slice_index)
        self.rejected.extend(page.rejected)
        return newest

    def clear(self) -> None:
        """Start the next batch: this one is committed."""
        self.records, self.time_ranges, self.rejected, self.pages = {}, {}, [], 0

    def _note_times(self, records: list[dict[str, Any]], slice_index: int | None
                    ) -> datetime | None:
        """Widen the slice's time range by the records' times; a hidden (null) time says
        nothing."""
        field_name = self.spec.cursor_field
        if field_name is None:
            return None
        times = [r[field_name] for r in records if r[field_name] is not None]
        if not times:
            return None
        low, high = min(times), max(times)
        held = self.time_ranges.get(slice_index)
        self.time_ranges[slice_index] = (min(low, held[0]), max(high, held[1])
                                         ) if held else (low, high)
        return high

    def _refuse_future(self, records: list[dict[str, Any]], context: str,
                       cap: datetime | None) -> list[dict[str, Any]]:
        """Quarantine records whose cursor field lies past the sync's end.

        Immutable rows are never rewritten, so a clock error upstream would stay forever and
        a corrected version would escape the id probe of its (new) time range.
        """
        field_name = self.spec.cursor_field
        if field_name is None or cap is None:
            return records
        limit = cap + FUTURE_TOLERANCE
        if all(_not_after(r[field_name], limit) for r in records):
            return records
        kept = []
        for record in records:
            if _not_after(record[field_name], limit):
                kept.append(record)
            else:
                self.rejected.append(reject(
                    record, f"field {field_name}: timestamp in the future ({record[field_name]}"
                    f" > sync end {format_instant(cap)})", f"{self.spec.name}: {context}",
                    field=field_name))
        return kept


def _not_after(value: datetime | None, limit: datetime) -> bool:
    return value is None or value <= limit
