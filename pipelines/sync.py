"""The sync entry point: run the selected streams against one warehouse, side by side
(`pipelines.driver`), and report each one's outcome."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipelines.allocators import tune_process_allocators
from pipelines.batch import RunCounters, StreamRun
from pipelines.client import SippetClient
from pipelines.driver import ProgressCallback, StreamOutcome, run_streams
from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS, StreamSpec, get_stream
from pipelines.table_docs import raw_table_docs
from pipelines.timestamps import format_instant
from warehouse import state
from warehouse.catalog import comment_tables
from warehouse.errors import WarehouseError
from warehouse.store import checkpoint, open_warehouse, tune_for_bulk_load

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class StreamResult(RunCounters):
    """What one stream's run did (its counters plus outcome); mirrors `sippet._sync_runs`."""

    stream: str
    status: str
    mode: str
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    cursor_before: str | None = None
    cursor_after: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    quarantine_reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        # An opt-in stream left off is fine; one not run after a fatal failure is not.
        return self.status == "succeeded" or (self.status == "skipped" and not self.error)


def sync(
    settings: SippetSettings,
    target: str | None = None,
    streams: Sequence[str] | None = None,
    *,
    full_refresh: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: ProgressCallback | None = None,
    wait_seconds: float = 0.0,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[StreamResult]:
    """Sync `streams` (default: all) into `target` (default: settings.warehouse).

    `con`: an open, migrated warehouse connection owned by the caller (e.g. the Dagster
    resource); the sync then neither opens nor closes one.
    """
    tune_process_allocators()
    specs = selected_streams(settings, streams)
    skipped = [_opt_in_skipped(spec) for spec in specs if not _enabled(settings, spec)]
    specs = [spec for spec in specs if _enabled(settings, spec)]
    end = until or datetime.now(UTC)
    owned = con is None
    if con is None:
        con = open_warehouse(target or settings.warehouse, wait_seconds=wait_seconds)
    results: list[StreamResult] = skipped
    try:
        comment_tables(con, raw_table_docs())
        tune_for_bulk_load(con, settings.duckdb_memory_limit,
                           settings.duckdb_checkpoint_threshold)
        state.mark_interrupted_runs(con)
        with SippetClient(settings) as client:
            outcomes = run_streams(con, client, settings, specs, run_id=uuid.uuid4().hex,
                                   end=end, full_refresh=full_refresh, since=since,
                                   progress=progress or _no_progress)
        results += [_result(outcome) for outcome in outcomes]
        checkpoint(con)
    except duckdb.Error as exc:
        # Disk full, I/O errors: committed batches are safe (WAL); say so without a traceback.
        raise WarehouseError(
            f"warehouse write failed: {exc}. Committed batches are kept; free space or fix "
            "the storage, then rerun the sync to resume."
        ) from exc
    finally:
        if owned:
            _close_quietly(con)
    return results


def selected_streams(settings: SippetSettings, streams: Sequence[str] | None = None
                     ) -> list[StreamSpec]:
    """The streams named, or else every stream enabled by settings (an opt-in stream only
    with its setting on; a named one without it is reported skipped by `sync`)."""
    if streams:
        return [get_stream(name) for name in streams]
    return [spec for spec in STREAMS.values() if _enabled(settings, spec)]


def _enabled(settings: SippetSettings, spec: StreamSpec) -> bool:
    return spec.opt_in is None or bool(getattr(settings, spec.opt_in))


def _opt_in_skipped(spec: StreamSpec) -> StreamResult:
    """A named opt-in stream whose setting is off: not read (its data is personal or
    secret), reported as skipped rather than failed so "materialize all" stays green."""
    assert spec.opt_in is not None
    now = datetime.now(UTC)
    message = (f"stream {spec.name} is opt-in: set SIPPET_{spec.opt_in.upper()}=true "
               "to sync it")
    log.warning(message)
    return StreamResult(stream=spec.name, status="skipped", mode="incremental",
                        started_at=now, ended_at=now, duration_seconds=0.0,
                        warnings=[message])


def _close_quietly(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.close()
    except duckdb.Error:
        log.warning("closing the warehouse failed; the WAL is replayed on the next open")


def _no_progress(run: StreamRun) -> None:
    return None


def _result(outcome: StreamOutcome) -> StreamResult:
    run = outcome.run
    ended = outcome.ended_at or datetime.now(UTC)
    if outcome.status == "not_run":  # never reached: no counters, no ledger row
        return StreamResult(stream=outcome.spec.name, status="skipped", mode=outcome.mode,
                            started_at=ended, ended_at=ended, duration_seconds=0.0,
                            error=outcome.error)
    warnings = outcome.warnings + ([
        f"unknown fields from the API (ignored): {sorted(run.unknown_fields)}"
    ] if run.unknown_fields else [])
    return StreamResult(
        stream=outcome.spec.name, status=outcome.status, mode=outcome.mode,
        started_at=run.started_at, ended_at=ended,
        duration_seconds=outcome.duration_seconds, **run.counters.as_dict(),
        cursor_before=outcome.cursor_before, cursor_after=_cursor_text(run),
        error=outcome.error, warnings=warnings,
        quarantine_reasons=[r.reason for r in run.rejections],
    )


def _cursor_text(run: StreamRun) -> str | None:
    return format_instant(run.cursor) if run.cursor and run.move_cursor else None
