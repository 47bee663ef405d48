"""One stream's run: validate pages, buffer them, and commit rows + state + ledger together.

Every flush is one DuckDB transaction holding the batch's rows, its quarantined records, the
stream cursor and the run ledger's counters: a crash at any instant loses at most the
unflushed batch, and the next run resumes from the committed cursor with no gap (lookback,
`>=`) and no duplicate (insert-if-absent / upsert by id).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.arrow_batch import records_to_arrow
from pipelines.streams import StreamKind, StreamSpec
from pipelines.timestamps import format_instant
from pipelines.validate import reject, validate_page
from pipelines.watermark import Watermark
from warehouse import lake, loader, state
from warehouse.crashpoints import crash_point

log = logging.getLogger(__name__)

#: Clock skew tolerated between Sippet's clock and ours before a timestamp counts as future.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class RunCounters:
    """What one stream's run did: the one list of counters behind the run ledger
    (`sippet._sync_runs` has a column each), the CLI summary and the Dagster metadata."""

    pages: int = 0
    requests: int = 0
    retries: int = 0
    rows_fetched: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    rows_quarantined: int = 0

    def as_dict(self) -> dict[str, int]:
        # Only the counters, also when called on a subclass carrying more fields.
        return {name: getattr(self, name) for name in RunCounters.__dataclass_fields__}


@dataclass
class StreamRun:
    """Mutable progress of one stream within one sync run."""

    spec: StreamSpec
    con: duckdb.DuckDBPyConnection
    run_id: str
    started_at: datetime
    move_cursor: bool
    cursor: datetime | None = None
    cursor_cap: datetime | None = None
    counters: RunCounters = field(default_factory=RunCounters)
    unknown_fields: set[str] = field(default_factory=set)
    rejections: list[state.QuarantineRow] = field(default_factory=list)
    watermark: Watermark = field(default_factory=Watermark)
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Cursor-field range of the batch's records per slice (None: not from a slice).
    _pending_ranges: dict[int | None, tuple[datetime, datetime]] = field(default_factory=dict)
    _pending_rejected: list[state.QuarantineRow] = field(default_factory=list)
    _pending_pages: int = 0

    @property
    def pending_pages(self) -> int:
        return self._pending_pages

    @property
    def pending_rows(self) -> int:
        return len(self._pending)

    def add_page(self, results: Any, context: str, slice_index: int | None = None) -> None:
        """Validate one page and buffer its records (newest version of an id wins).

        `slice_index`: the time slice the page belongs to; only slices move the cursor."""
        crash_point("after_page_fetched")
        page = validate_page(self.spec.model, results, context=f"{self.spec.name}: {context}")
        self.counters.pages += 1
        self.counters.rows_fetched += len(results)
        self._pending_pages += 1
        records = self._refuse_future(page.records, context)
        for record in records:
            self._pending[record["id"]] = record
        self._note_times(records, slice_index)
        self._pending_rejected.extend(page.rejected)
        new_fields = page.unknown_fields - self.unknown_fields
        if new_fields:
            log.warning("%s: API sent unknown fields %s (kept out of the warehouse)",
                        self.spec.name, sorted(new_fields))
            self.unknown_fields |= new_fields

    def _note_times(self, records: list[dict[str, Any]], slice_index: int | None) -> None:
        """Remember the batch's time range per slice (the insert probe) and each slice's
        newest value (the cursor's watermark); a hidden (null) time says nothing."""
        field_name = self.spec.cursor_field
        if field_name is None:
            return
        times = [r[field_name] for r in records if r[field_name] is not None]
        if not times:
            return
        low, high = min(times), max(times)
        held = self._pending_ranges.get(slice_index)
        self._pending_ranges[slice_index] = (min(low, held[0]), max(high, held[1])
                                             ) if held else (low, high)
        if slice_index is not None:
            self.watermark.saw(slice_index, high)

    def _refuse_future(self, records: list[dict[str, Any]], context: str
                       ) -> list[dict[str, Any]]:
        """Quarantine records whose cursor field lies past the sync's end.

        Immutable rows are never rewritten, so a clock error upstream would stay forever and
        a corrected version would escape the id probe of its (new) time range.
        """
        field_name, cap = self.spec.cursor_field, self.cursor_cap
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
                self._pending_rejected.append(reject(
                    record, f"field {field_name}: timestamp in the future ({record[field_name]}"
                    f" > sync end {format_instant(cap)})", f"{self.spec.name}: {context}",
                    field=field_name))
        return kept

    def flush(self, *, snapshot: bool = False) -> None:
        """Commit the buffered batch, its quarantine entries, cursor and ledger atomically.

        `snapshot`: the batch is the complete current list; rows absent from it are deleted,
        unless a record of it was refused (its row would be deleted while it still exists).
        """
        records = list(self._pending.values())
        batch, unencodable = self._to_arrow(records)
        self._pending_rejected.extend(unencodable)
        before = (dict(vars(self.counters)), self.cursor)

        def attempt() -> None:  # a lake write conflict reruns it: restore what _write moved
            vars(self.counters).update(before[0])
            self.cursor = before[1]
            self.con.execute("BEGIN TRANSACTION")
            try:
                self._write(batch, snapshot)
                crash_point("before_commit")
                self.con.execute("COMMIT")
            except BaseException:
                _rollback_quietly(self.con)
                raise

        lake.retry_on_conflict(attempt)
        crash_point("after_commit")
        self.rejections.extend(self._pending_rejected)
        self._pending, self._pending_rejected, self._pending_pages = {}, [], 0
        self._pending_ranges = {}

    def _to_arrow(self, records: list[dict[str, Any]]) -> tuple[Any, list[state.QuarantineRow]]:
        try:
            return records_to_arrow(self.spec.model, records), []
        except (UnicodeError, ValueError, TypeError, pa.ArrowException):
            # Rare: a map field that is not a map, or text Arrow cannot encode (a lone
            # surrogate). Find the records at fault and quarantine them; load the rest.
            good, bad = [], []
            for record in records:
                try:
                    records_to_arrow(self.spec.model, [record])
                    good.append(record)
                except (UnicodeError, ValueError, TypeError, pa.ArrowException) as exc:
                    bad.append(reject(record, f"cannot be stored: {exc}", self.spec.name))
                    del self._pending[record["id"]]
            records[:] = good
            return records_to_arrow(self.spec.model, good), bad

    def _write(self, batch: Any, snapshot: bool) -> None:
        now = datetime.now(UTC)
        loader.stage(self.con, batch)
        try:
            counts = self._load(now, snapshot and not self._pending_rejected)
            state.release_quarantined(self.con, self.spec.name)
        except BaseException:
            # The failed statement aborted the transaction; unstaging now would raise
            # "transaction is aborted" and hide the real error.
            with contextlib.suppress(duckdb.Error):
                loader.unstage(self.con)
            raise
        loader.unstage(self.con)
        if self._pending_rejected:
            state.quarantine(self.con, self.spec.name, self._pending_rejected, now)
        self.counters.rows_inserted += counts.inserted
        self.counters.rows_updated += counts.updated
        self.counters.rows_deleted += counts.deleted
        self.counters.rows_quarantined += len(self._pending_rejected)
        self._advance_cursor()
        if self.move_cursor and self.cursor is not None:
            state.set_cursor(self.con, self.spec.name, format_instant(self.cursor))
        state.update_run(self.con, self.run_id, self.spec.name, self.counters.as_dict(),
                         cursor_after=format_instant(self.cursor) if self.cursor else None)

    def _load(self, now: datetime, snapshot: bool) -> loader.LoadCounts:
        spec, columns = self.spec, self.spec.columns
        first_seen = self.started_at if spec.kind is StreamKind.NEW_IDS else None
        if spec.mutable:
            counts = loader.upsert_changed(self.con, spec.table, columns, synced_at=now,
                                           first_seen_at=first_seen)
            if snapshot:
                counts.deleted = loader.delete_missing(self.con, spec.table)
            return counts
        time_column = spec.cursor_column
        if time_column is None or spec.cursor_field is None:
            return loader.insert_new(self.con, spec.table, columns, synced_at=now,
                                     first_seen_at=first_seen)
        updated = loader.update_untimed(self.con, spec.table, columns, time_column,
                                        synced_at=now)
        counts = loader.insert_new(self.con, spec.table, columns, synced_at=now,
                                   time_column=time_column,
                                   time_ranges=list(self._pending_ranges.values()),
                                   first_seen_at=first_seen)
        counts.updated = updated
        return counts

    def _advance_cursor(self) -> None:
        newest = self.watermark.position()
        if newest is None:
            return
        if self.cursor_cap is not None:
            # A record from the future must never push the cursor past the sync's bound.
            newest = min(newest, self.cursor_cap)
        if self.cursor is None or newest > self.cursor:
            self.cursor = newest


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    # A failed COMMIT (disk full) has already aborted the transaction: a ROLLBACK error
    # would hide the real cause, so only the original exception propagates.
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _not_after(value: datetime | None, limit: datetime) -> bool:
    return value is None or value <= limit


