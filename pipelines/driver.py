"""Every selected stream read side by side, through one writer.

Each stream is planned first (cursor, bounds, ids to re-read: warehouse queries), then its
read is cut into sources (`readers.stream_read`) and every source of every stream goes to one
`FanOut`. This thread is the only one touching the warehouse: it validates each page into
its stream's `StreamRun` and commits batches there, so rows, quarantine, cursor and ledger
still move in one transaction per batch.

A stream's ledger row is written when its first page (or failure) arrives, so a stream
never reached, because an earlier failure proved the API unusable, leaves no row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipelines.batch import StreamRun
from pipelines.client import ClientStats, SippetClient
from pipelines.errors import (
    ApiUnreachableError,
    AuthenticationError,
    TransientError,
    WrongEndpointError,
)
from pipelines.fanout import Event, FanOut
from pipelines.plan import plan_read, sync_mode
from pipelines.readers import StreamRead, stream_read
from pipelines.settings import SippetSettings
from pipelines.streams import StreamSpec
from warehouse import state
from warehouse.crashpoints import crash_point

log = logging.getLogger("pipelines.sync")

ProgressCallback = Callable[[StreamRun], None]


@dataclass
class StreamOutcome:
    """How one stream's read ended, for `sync` to turn into a `StreamResult`."""

    spec: StreamSpec
    mode: str
    run: StreamRun
    read: StreamRead
    cursor_before: str | None
    warnings: list[str]
    stats: ClientStats = field(default_factory=ClientStats)
    clock: float = field(default_factory=time.monotonic)
    ended_at: datetime | None = None
    duration_seconds: float = 0.0
    status: str = "running"
    error: str | None = None
    started: bool = False  # the ledger row is written
    open_sources: int = 0


def stops_the_run(exc: BaseException) -> bool:
    """A failure every other stream would meet too: refused key, host down, wrong URL, or
    the API asking for a pause longer than we wait (no stream may send a request in it)."""
    if isinstance(exc, TransientError) and exc.retry_after is not None:
        return True
    return isinstance(exc, AuthenticationError | ApiUnreachableError | WrongEndpointError)


def run_streams(con: duckdb.DuckDBPyConnection, client: SippetClient, settings: SippetSettings,
                specs: Sequence[StreamSpec], *, run_id: str, end: datetime, full_refresh: bool,
                since: datetime | None, progress: ProgressCallback) -> list[StreamOutcome]:
    """Read `specs` at once; every outcome, in `specs` order. A stream that never started
    because the API proved unusable has status `not_run`."""
    outcomes = [_prepare(con, client, settings, spec, run_id=run_id, end=end,
                         full_refresh=full_refresh, since=since) for spec in specs]
    by_name = {o.spec.name: o for o in outcomes}
    fan = FanOut(settings.max_concurrency,
                 attribute=lambda name: client.attributed_to(by_name[name].stats))
    sources = [source for o in outcomes for source in o.read.sources]
    for event in fan.events(sources):
        outcome = by_name[event.source.stream]
        if outcome.status != "running":
            continue  # a failed stream's late pages: dropped, its batch was not committed
        try:
            _handle(con, outcome, event, progress)
        except Exception as exc:  # the stream fails; the others go on unless all would
            _finish(con, outcome, exc)
            fan.cancel(outcome.spec.name)
            if stops_the_run(exc):
                _abandon(con, outcomes, outcome)
                break
    return outcomes


def _prepare(con: duckdb.DuckDBPyConnection, client: SippetClient, settings: SippetSettings,
             spec: StreamSpec, *, run_id: str, end: datetime, full_refresh: bool,
             since: datetime | None) -> StreamOutcome:
    mode = sync_mode(full_refresh, since)
    cursor_before = state.get_cursor(con, spec.name)
    plan, cursor, warnings = plan_read(con, settings, spec, mode=mode, saved=cursor_before,
                                       since=since, end=end)
    run = StreamRun(spec, con, run_id, datetime.now(UTC), move_cursor=mode != "window",
                    cursor=cursor, cursor_cap=end)
    read = stream_read(run, client, plan)
    return StreamOutcome(spec, mode, run, read, cursor_before, warnings,
                         open_sources=len(read.sources))


def _handle(con: duckdb.DuckDBPyConnection, outcome: StreamOutcome, event: Event,
            progress: ProgressCallback) -> None:
    if not outcome.started:
        run = outcome.run
        state.start_run(con, run.run_id, run.spec.name, outcome.mode, run.started_at,
                        outcome.cursor_before)
        outcome.started = True
    if event.error is not None:
        raise event.error
    if not event.done:
        outcome.read.on_page(event)
        progress(outcome.run)
        return
    outcome.read.on_done(event.source)
    outcome.open_sources -= 1
    if outcome.open_sources == 0:
        outcome.read.finish()
        if outcome.mode != "window":  # a complete walk met every id-less record again
            state.clear_stale_idless(con, outcome.spec.name, outcome.run.started_at)
        _finish(con, outcome, None)
        crash_point("between_streams")


def _finish(con: duckdb.DuckDBPyConnection, outcome: StreamOutcome,
            exc: BaseException | None) -> None:
    """Record the stream's outcome in its ledger row."""
    outcome.status = "succeeded" if exc is None else "failed"
    if exc is not None:
        outcome.error = f"{type(exc).__name__}: {exc}"
        log.error("%s: sync failed: %s", outcome.spec.name, outcome.error)
    run = outcome.run
    run.counters.requests = outcome.stats.requests
    run.counters.retries = outcome.stats.retries
    outcome.ended_at = datetime.now(UTC)
    outcome.duration_seconds = round(time.monotonic() - outcome.clock, 3)
    if outcome.started:
        state.update_run(con, run.run_id, run.spec.name, run.counters.as_dict(),
                         status=outcome.status, ended_at=outcome.ended_at, error=outcome.error,
                         cursor_after=state.get_cursor(con, run.spec.name))


def _abandon(con: duckdb.DuckDBPyConnection, outcomes: list[StreamOutcome],
             cause: StreamOutcome) -> None:
    """The API proved unusable: streams not reached are not run, the others stop failed."""
    reason = f"{cause.spec.name} failed with {(cause.error or '').split(':')[0]}"
    for outcome in outcomes:
        if outcome.status != "running":
            continue
        if outcome.started:
            _finish(con, outcome, RuntimeError(f"stopped: {reason}"))
        else:
            outcome.status, outcome.error = "not_run", f"not run: {reason}"
            outcome.ended_at = cause.ended_at
