"""One stream's run: validate pages, buffer them, and commit rows + state + ledger together.

Pages wait in the run's `PendingBatch` (`pipelines.pending`); this module is the commit path.
Every flush is one DuckDB transaction holding the batch's rows, its quarantined records, the
stream cursor and the run ledger's counters: a crash at any instant loses at most the
unflushed batch, and the next run resumes from the committed cursor with no gap (lookback,
`>=`) and no duplicate (insert-if-absent / upsert by id).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.arrow_batch import records_to_arrow
from pipelines.pending import PendingBatch
from pipelines.streams import StreamKind, StreamSpec
from pipelines.timestamps import format_instant
from pipelines.validate import reject, validate_page
from pipelines.watermark import Watermark
from warehouse import loader, state
from warehouse.conflicts import retry_on_conflict
from warehouse.crashpoints import crash_point

log = logging.getLogger(__name__)

#: What building the Arrow table raises for a record it cannot encode.
_UNENCODABLE = (UnicodeError, ValueError, TypeError, pa.ArrowException)


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
    pending: PendingBatch = field(init=False)

    def __post_init__(self) -> None:
        self.pending = PendingBatch(self.spec)

    @property
    def pending_pages(self) -> int:
        return self.pending.pages

    @property
    def pending_rows(self) -> int:
        return self.pending.rows

    def add_page(self, results: Any, context: str, slice_index: int | None = None) -> None:
        """Validate one page and buffer its records (newest version of an id wins).

        `slice_index`: the time slice the page belongs to; only slices move the cursor."""
        crash_point("after_page_fetched")
        page = validate_page(self.spec.model, results, context=f"{self.spec.name}: {context}")
        self.counters.pages += 1
        self.counters.rows_fetched += len(results)
        newest = self.pending.add(page, context, slice_index, self.cursor_cap)
        if slice_index is not None and newest is not None:
            self.watermark.saw(slice_index, newest)
        new_fields = page.unknown_fields - self.unknown_fields
        if new_fields:
            log.warning("%s: API sent unknown fields %s (kept out of the warehouse)",
                        self.spec.name, sorted(new_fields))
            self.unknown_fields |= new_fields

    def flush(self, *, snapshot: bool = False) -> None:
        """Commit the buffered batch, its quarantine entries, cursor and ledger atomically.

        `snapshot`: the batch is the complete current list; rows absent from it are deleted,
        unless a record of it was refused (its row would be deleted while it still exists).
        """
        batch = self._to_arrow()
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

        retry_on_conflict(attempt)
        crash_point("after_commit")
        self.rejections.extend(self.pending.rejected)
        self.pending.clear()

    def _to_arrow(self) -> Any:
        """The pending records as one Arrow table. A record that cannot be encoded moves from
        the batch's records to its quarantine list, as if refused when it arrived."""
        records = list(self.pending.records.values())
        try:
            return records_to_arrow(self.spec.model, records)
        except _UNENCODABLE:
            # Rare: a map field that is not a map, or text Arrow cannot encode (a lone
            # surrogate). Find the records at fault and quarantine them; load the rest.
            good, bad = [], []
            for record in records:
                try:
                    records_to_arrow(self.spec.model, [record])
                    good.append(record)
                except _UNENCODABLE as exc:
                    bad.append(reject(record, f"cannot be stored: {exc}", self.spec.name))
                    del self.pending.records[record["id"]]
            table = records_to_arrow(self.spec.model, good)
            self.pending.rejected.extend(bad)
            return table

    def _write(self, batch: Any, snapshot: bool) -> None:
        now = datetime.now(UTC)
        loader.stage(self.con, batch)
        try:
            counts = self._load(now, snapshot and not self.pending.rejected)
            state.release_quarantined(self.con, self.spec.name)
        except BaseException:
            # The failed statement aborted the transaction; unstaging now would raise
            # "transaction is aborted" and hide the real error.
            with contextlib.suppress(duckdb.Error):
                loader.unstage(self.con)
            raise
        loader.unstage(self.con)
        if self.pending.rejected:
            state.quarantine(self.con, self.spec.name, self.pending.rejected, now)
        self.counters.rows_inserted += counts.inserted
        self.counters.rows_updated += counts.updated
        self.counters.rows_deleted += counts.deleted
        self.counters.rows_quarantined += len(self.pending.rejected)
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
                                   time_ranges=list(self.pending.time_ranges.values()),
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
