"""How each kind of stream is read: one small function per `StreamKind`.

Each reader feeds pages into a `StreamRun` and decides when a batch is committed; the run
owns validation, loading and state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipelines.batch import StreamRun
from pipelines.client import SippetClient
from pipelines.pagination import iter_pages, iter_time_windows
from pipelines.prefetch import prefetch
from pipelines.streams import StreamKind
from warehouse import state

log = logging.getLogger(__name__)

#: Ids per `in` filter when re-reading non-final calls (keeps request bodies small).
ID_CHUNK = 100


@dataclass(frozen=True)
class ReadPlan:
    """The bounds of one stream's read, fixed before the first request."""

    start: datetime | None
    end: datetime
    page_size: int
    commit_every_pages: int
    reread_open_rows: bool = True


ProgressHook = Callable[[StreamRun], None]


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def time_filter(field: str, start: datetime | None, end: datetime) -> dict:
    bounds = {"lessThan": iso(end)}
    if start is not None:
        bounds["greaterThanOrEqual"] = iso(start)
    return {field: bounds}


def read_stream(run: StreamRun, client: SippetClient, plan: ReadPlan, progress: ProgressHook
                ) -> None:
    """Read one stream according to its kind, committing as it goes."""
    readers = {
        StreamKind.TIME_CURSOR: _read_time_cursor,
        StreamKind.TIME_WINDOWS: _read_time_windows,
        StreamKind.NEW_IDS: _read_new_ids,
        StreamKind.SNAPSHOT: _read_snapshot,
    }
    readers[run.spec.kind](run, client, plan, progress)


def _paged(run: StreamRun, client: SippetClient, plan: ReadPlan, filter_: dict | None):
    spec = run.spec
    return prefetch(iter_pages(client, spec.action, fields=spec.fields, filter=filter_,
                               sort=spec.sort, page_size=plan.page_size))


def _read_time_cursor(run: StreamRun, client: SippetClient, plan: ReadPlan,
                      progress: ProgressHook) -> None:
    assert run.spec.cursor_field is not None
    filter_ = time_filter(run.spec.cursor_field, plan.start, plan.end)
    for page in _paged(run, client, plan, filter_):
        run.add_page(page.results, f"page {page.number} (request {page.request})")
        _maybe_flush(run, plan)
        progress(run)
    run.flush()
    for chunk in _chunks(state.quarantined_ids(run.con, run.spec.name)):
        for page in _paged(run, client, plan, {"id": {"in": chunk}}):
            run.add_page(page.results, f"re-read of quarantined records, page {page.number}")
    run.flush()


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


def _read_new_ids(run: StreamRun, client: SippetClient, plan: ReadPlan,
                  progress: ProgressHook) -> None:
    for page in _paged(run, client, plan, None):
        run.add_page(page.results, f"page {page.number} (request {page.request})")
        _maybe_flush(run, plan)
        progress(run)
    run.flush()


def _read_snapshot(run: StreamRun, client: SippetClient, plan: ReadPlan,
                   progress: ProgressHook) -> None:
    # One transaction at the end: the table only changes after a complete walk.
    for page in _paged(run, client, plan, None):
        run.add_page(page.results, f"page {page.number} (request {page.request})")
        progress(run)
    table_rows = run.con.execute(f"SELECT count(*) FROM {run.spec.table}").fetchone()[0]
    if run.counters.rows_fetched == 0 and table_rows:
        # An empty list can mean "no access" (Ash policies filter silently): never wipe on it.
        log.warning("%s: the API returned no rows; keeping the %d rows held", run.spec.name,
                    table_rows)
        run.flush()
        return
    run.flush(snapshot=True)


def _read_time_windows(run: StreamRun, client: SippetClient, plan: ReadPlan,
                       progress: ProgressHook) -> None:
    spec = run.spec
    assert spec.cursor_field is not None and plan.start is not None
    for window in iter_time_windows(client, spec.action, fields=spec.fields,
                                    field=spec.cursor_field, start=plan.start, end=plan.end,
                                    sort=spec.sort):
        run.add_page(window.results, f"window [{iso(window.start)}, {iso(window.end)})")
        _maybe_flush(run, plan)
        progress(run)
    run.flush()
    if plan.reread_open_rows:
        _reread_open_rows(run, client, plan, progress)


def _reread_open_rows(run: StreamRun, client: SippetClient, plan: ReadPlan,
                      progress: ProgressHook) -> None:
    """Re-read every row still in a non-final state (or quarantined), whatever its age."""
    spec = run.spec
    open_ids = state.non_final_ids(run.con, spec.table, spec.final_statuses)
    open_ids += state.quarantined_ids(run.con, spec.name)
    for chunk in _chunks(open_ids):
        results = client.run(spec.action, fields=spec.fields, filter={"id": {"in": chunk}},
                             sort=spec.sort)
        run.add_page(results, f"re-read of {len(chunk)} open or quarantined rows")
        _maybe_flush(run, plan)
        progress(run)
    run.flush()


def _maybe_flush(run: StreamRun, plan: ReadPlan) -> None:
    limit = plan.commit_every_pages
    if run.pending_pages >= limit or run.pending_rows >= limit * plan.page_size:
        run.flush()


def lookback_start(cursor: datetime | None, lookback: timedelta, floor: datetime,
                   end: datetime) -> datetime:
    """Where an incremental read starts: `cursor - lookback`, never past `end - lookback`."""
    if cursor is None:
        return floor
    return max(floor, min(cursor, end) - lookback)
