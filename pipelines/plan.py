"""What one stream's read will cover, decided before its first request.

The plan fixes the read's bounds (cursor minus lookback, up to an end fixed at the sync's
start), the ids to re-read (quarantined records, rows not final yet, rows whose cursor field
is hidden) and whether the stream's cursor may move, so readers never query the warehouse.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

import duckdb

from pipelines.readers import ReadPlan, lookback_start
from pipelines.settings import SippetSettings
from pipelines.slices import time_slice_count
from pipelines.streams import StreamKind, StreamSpec
from pipelines.timestamps import format_instant, parse_instant
from pipelines.windows import WINDOW_TARGET_ROWS
from warehouse import state

log = logging.getLogger("pipelines.sync")


def sync_mode(full_refresh: bool, since: datetime | None) -> str:
    """`window` (--since), `full_refresh` or `incremental`: the ledger's mode column."""
    if since is not None:
        return "window"
    return "full_refresh" if full_refresh else "incremental"


def plan_read(con: duckdb.DuckDBPyConnection, settings: SippetSettings, spec: StreamSpec, *,
              mode: str, saved: str | None, since: datetime | None, end: datetime
              ) -> tuple[ReadPlan, datetime | None, list[str]]:
    """The plan, the cursor the run starts from, and warnings about the saved cursor."""
    cursor = parse_instant(saved) if saved else None
    # A window sync (--since/--until) neither reads from nor moves the cursor, so a cursor
    # past the window's end is expected there, not a fault to repair.
    cursor, warnings = (cursor, []) if mode == "window" else _starting_cursor(
        con, spec, cursor, end)
    plan = _cover_idless_quarantine(con, spec, _plan(con, settings, spec, mode, cursor, since,
                                                     end), mode)
    return plan, cursor, warnings


def _plan(con: duckdb.DuckDBPyConnection, settings: SippetSettings, spec: StreamSpec,
          mode: str, cursor: datetime | None, since: datetime | None, end: datetime
          ) -> ReadPlan:
    if mode == "window":
        start = since
    elif spec.kind in (StreamKind.TIME_CURSOR, StreamKind.TIME_WINDOWS):
        lookback = timedelta(minutes=settings.lookback_minutes.get(spec.name, 60))
        start = lookback_start(None if mode == "full_refresh" else cursor, lookback,
                               settings.start_date, end)
    else:
        start = None
    reread: list[str] = []
    if spec.kind in (StreamKind.TIME_CURSOR, StreamKind.TIME_WINDOWS):
        reread = state.quarantined_ids(con, spec.name)
    if spec.final_when is not None and mode != "window":
        reread = state.non_final_ids(con, spec.table, spec.final_when) + reread
    untimed = (state.ids_where_null(con, spec.table, spec.cursor_column)
               if spec.cursor_column else [])
    return ReadPlan(start=start, end=end, page_size=settings.page_size,
                    commit_every_pages=settings.commit_every_pages, reread_ids=tuple(reread),
                    untimed_ids=frozenset(untimed), read_untimed=mode != "window",
                    held_rows=state.row_count(con, spec.table),
                    concurrency=_parts(con, settings, spec, mode, cursor, start, end))


def _parts(con: duckdb.DuckDBPyConnection, settings: SippetSettings, spec: StreamSpec,
           mode: str, cursor: datetime | None, start: datetime | None, end: datetime) -> int:
    """How many parts the read is cut into (id walks decide from the rows they hold)."""
    limit = settings.max_concurrency
    if limit == 1 or spec.cursor_column is None or start is None:
        return limit
    if cursor is None and mode != "window":
        return limit  # a first read: nothing held says how dense the range is
    held_until = end if mode == "window" or cursor is None else max(start, min(cursor, end))
    held = state.count_between(con, spec.table, spec.cursor_column, start, held_until)
    per_request = WINDOW_TARGET_ROWS if spec.kind is StreamKind.TIME_WINDOWS \
        else settings.page_size
    return time_slice_count(held, held_until - start, end - start, per_request, limit)


def _starting_cursor(con: duckdb.DuckDBPyConnection, spec: StreamSpec,
                     cursor: datetime | None, end: datetime) -> tuple[datetime | None, list[str]]:
    """The cursor to resume from; a saved cursor in the future is repaired, loudly.

    Resuming from `end - lookback` would silently skip rows between the last row held and
    that point, so resume from the newest row actually held instead.
    """
    if cursor is None or cursor <= end or spec.cursor_column is None:
        return cursor, []
    held = state.max_value(con, spec.table, spec.cursor_column)
    repaired = min(held, end) if held is not None else None
    message = (f"{spec.name}: saved cursor {format_instant(cursor)} lies in the future (now "
               f"{format_instant(end)}); resuming from the newest row held "
               f"({format_instant(repaired) if repaired else 'none: full read'}) and "
               "resetting it")
    log.warning(message)
    return repaired, [message]


def _cover_idless_quarantine(con: duckdb.DuckDBPyConnection, spec: StreamSpec, plan: ReadPlan,
                             mode: str) -> ReadPlan:
    """Start early enough to meet again quarantined records that had no id to re-read by."""
    if plan.start is None or mode == "window" or spec.cursor_field is None:
        return plan
    earliest = state.earliest_idless(con, spec.name, spec.cursor_field)
    if earliest is None or earliest >= plan.start:
        return plan
    return dataclasses.replace(plan, start=earliest)
