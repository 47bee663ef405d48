"""The sync entry point: run the selected streams against one warehouse, one after another."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipelines.batch import RunCounters, StreamRun
from pipelines.client import SippetClient
from pipelines.errors import (
    ApiUnreachableError,
    AuthenticationError,
    WrongEndpointError,
)
from pipelines.plan import plan_read, sync_mode
from pipelines.readers import read_stream
from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS, StreamSpec, get_stream
from pipelines.table_docs import raw_table_docs
from warehouse import state
from warehouse.catalog import comment_tables
from warehouse.crashpoints import crash_point
from warehouse.store import WarehouseError, checkpoint, open_warehouse, tune_for_bulk_load

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


ProgressCallback = Callable[[StreamRun], None]


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
            run_id = uuid.uuid4().hex
            for index, spec in enumerate(specs):
                result, fatal = _sync_stream(con, client, settings, spec, run_id=run_id,
                                             end=end, full_refresh=full_refresh, since=since,
                                             progress=progress or _no_progress)
                results.append(result)
                if fatal:
                    results += [_not_run(s, result) for s in specs[index + 1:]]
                    break
                crash_point("between_streams")
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


def _stops_the_run(exc: Exception) -> bool:
    """A failure every other stream would meet too: refused key, host down, wrong URL."""
    return isinstance(exc, AuthenticationError | ApiUnreachableError | WrongEndpointError)


def _not_run(spec: StreamSpec, cause: StreamResult) -> StreamResult:
    """A stream not run because an earlier one proved the API unusable (no ledger row)."""
    return StreamResult(
        stream=spec.name, status="skipped", mode=cause.mode, started_at=cause.ended_at,
        ended_at=cause.ended_at, duration_seconds=0.0,
        error=f"not run: {cause.stream} failed with {(cause.error or '').split(':')[0]}",
    )


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


def _sync_stream(
    con: duckdb.DuckDBPyConnection,
    client: SippetClient,
    settings: SippetSettings,
    spec: StreamSpec,
    *,
    run_id: str,
    end: datetime,
    full_refresh: bool,
    since: datetime | None,
    progress: ProgressCallback,
) -> tuple[StreamResult, bool]:
    """Run one stream; the result and whether its failure should stop the whole run."""
    mode = sync_mode(full_refresh, since)
    started = datetime.now(UTC)
    clock = time.monotonic()
    cursor_before = state.get_cursor(con, spec.name)
    plan, cursor, warnings = plan_read(con, settings, spec, mode=mode, saved=cursor_before,
                                       since=since, end=end)
    state.start_run(con, run_id, spec.name, mode, started, cursor_before)
    run = StreamRun(spec, con, run_id, started, move_cursor=mode != "window", cursor=cursor,
                    cursor_cap=end)
    stats_before = (client.stats.requests, client.stats.retries)
    status, error, fatal = "succeeded", None, False
    try:
        read_stream(run, client, plan, progress)
        if mode != "window":  # a complete walk met every id-less record again
            state.clear_stale_idless(con, spec.name, started)
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        fatal = _stops_the_run(exc)
        log.error("%s: sync failed: %s", spec.name, error)
    run.counters.requests = client.stats.requests - stats_before[0]
    run.counters.retries = client.stats.retries - stats_before[1]
    ended = datetime.now(UTC)
    cursor_after = state.get_cursor(con, spec.name)
    state.update_run(con, run_id, spec.name, run.counters.as_dict(), status=status,
                     ended_at=ended, error=error, cursor_after=cursor_after)
    warnings += [f"unknown fields from the API (ignored): {sorted(run.unknown_fields)}"
                 ] if run.unknown_fields else []
    return StreamResult(
        stream=spec.name, status=status, mode=mode, started_at=started, ended_at=ended,
        duration_seconds=round(time.monotonic() - clock, 3), **run.counters.as_dict(),
        cursor_before=cursor_before, cursor_after=cursor_after, error=error, warnings=warnings,
        quarantine_reasons=[r.reason for r in run.rejections],
    ), fatal
