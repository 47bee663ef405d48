"""How each kind of stream is read: one small function per `StreamKind`.

Each reader feeds pages into a `StreamRun` and decides when a batch is committed; the run
owns validation, loading and state. Readers never query the warehouse: everything they need
to know about it (ids to re-read) is in the `ReadPlan`, built before the first request.

Records whose cursor field is hidden by policy (null) are invisible to every range filter
(`greaterThanOrEqual` never matches null), so time-ordered streams read them separately each
sync with `isNil`, and re-read by id the held ones that `isNil` no longer returns (their time
was revealed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipelines.batch import StreamRun
from pipelines.client import SippetClient
from pipelines.paging import iter_pages
from pipelines.prefetch import prefetch
from pipelines.streams import StreamKind
from pipelines.timestamps import format_instant
from pipelines.windows import iter_time_windows

log = logging.getLogger(__name__)

#: Ids per `in` filter when re-reading rows by id (keeps request bodies small).
ID_CHUNK = 100


@dataclass(frozen=True)
class ReadPlan:
    """The bounds of one stream's read and the ids to re-read, fixed before the first request."""

    start: datetime | None
    end: datetime
    page_size: int
    commit_every_pages: int
    #: Rows re-read by id whatever their age: quarantined records, non-final mutable rows.
    reread_ids: tuple[str, ...] = ()
    #: Held rows whose cursor field is null (re-read by id if `isNil` no longer returns them).
    untimed_ids: frozenset[str] = field(default_factory=frozenset)
    #: Read the records whose cursor field is null (`isNil`); off for `--since` windows.
    read_untimed: bool = True
    #: Rows the table held when the read started (a snapshot never wipes on an empty walk).
    held_rows: int = 0


ProgressHook = Callable[[StreamRun], None]


def time_filter(field: str, start: datetime | None, end: datetime) -> dict:
    bounds = {"lessThan": format_instant(end)}
    if start is not None:
        bounds["greaterThanOrEqual"] = format_instant(start)
    return {field: bounds}


def read_stream(run: StreamRun, client: SippetClient, plan: ReadPlan, progress: ProgressHook
                ) -> None:
    """Read one stream according to its kind, committing as it goes."""
    readers = {
        StreamKind.TIME_CURSOR: _read_time_cursor,
        StreamKind.TIME_WINDOWS: _read_time_windows,
        StreamKind.NEW_IDS: _read_new_ids,
        StreamKind.SNAPSHOT: _read_snapshot,
        StreamKind.HISTORY: _read_history,
    }
    readers[run.spec.kind](run, client, plan, progress)


def _paged(run: StreamRun, client: SippetClient, plan: ReadPlan, filter_: dict | None):
    spec = run.spec
    return prefetch(iter_pages(client, spec.action, fields=spec.fields, filter=filter_,
                               sort=spec.sort, page_size=plan.page_size))


def _fetch(run: StreamRun, client: SippetClient, plan: ReadPlan, filter_: dict, what: str
           ) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """(results, context) of every response matching `filter_`, paged where the action is."""
    if run.spec.kind is StreamKind.TIME_WINDOWS:  # list_calls: no pagination, one array
        yield client.run(run.spec.action, fields=run.spec.fields, filter=filter_,
                         sort=run.spec.sort), what
        return
    for page in _paged(run, client, plan, filter_):
        yield page.results, f"{what}, page {page.number}"


def _walk(run: StreamRun, client: SippetClient, plan: ReadPlan, filter_: dict | None,
          progress: ProgressHook) -> None:
    for page in _paged(run, client, plan, filter_):
        run.add_page(page.results, f"page {page.number} (request {page.request})")
        _maybe_flush(run, plan)
        progress(run)
    run.flush()


def _read_time_cursor(run: StreamRun, client: SippetClient, plan: ReadPlan,
                      progress: ProgressHook) -> None:
    assert run.spec.cursor_field is not None
    _walk(run, client, plan, time_filter(run.spec.cursor_field, plan.start, plan.end), progress)
    _read_untimed_and_reread(run, client, plan, progress)


def _read_untimed_and_reread(run: StreamRun, client: SippetClient, plan: ReadPlan,
                             progress: ProgressHook) -> None:
    """The null-cursor read, then every row the plan re-reads by id."""
    seen: set[str] = set()
    if plan.read_untimed:
        assert run.spec.cursor_field is not None
        untimed = {run.spec.cursor_field: {"isNil": True}}
        for results, context in _fetch(run, client, plan, untimed, "records without "
                                       f"{run.spec.cursor_field}"):
            seen.update(r["id"] for r in results if isinstance(r, dict)
                        and isinstance(r.get("id"), str))
            run.add_page(results, context)
            _maybe_flush(run, plan)
            progress(run)
        run.flush()
    revealed = sorted(plan.untimed_ids - seen) if plan.read_untimed else []
    _reread_ids(run, client, plan, [*plan.reread_ids, *revealed], progress)


def _reread_ids(run: StreamRun, client: SippetClient, plan: ReadPlan, ids: Sequence[str],
                progress: ProgressHook) -> None:
    for chunk in _chunks(list(dict.fromkeys(ids))):
        for results, context in _fetch(run, client, plan, {"id": {"in": chunk}},
                                       f"re-read of {len(chunk)} rows by id"):
            run.add_page(results, context)
            _maybe_flush(run, plan)
            progress(run)
    run.flush()


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


def _read_new_ids(run: StreamRun, client: SippetClient, plan: ReadPlan,
                  progress: ProgressHook) -> None:
    _walk(run, client, plan, None, progress)


def _read_snapshot(run: StreamRun, client: SippetClient, plan: ReadPlan,
                   progress: ProgressHook) -> None:
    # One transaction at the end: the table only changes after a complete walk.
    for page in _paged(run, client, plan, None):
        run.add_page(page.results, f"page {page.number} (request {page.request})")
        progress(run)
    if run.counters.rows_fetched == 0 and plan.held_rows:
        # An empty list can mean "no access" (Ash policies filter silently): never wipe on it.
        log.warning("%s: the API returned no rows; keeping the %d rows held", run.spec.name,
                    plan.held_rows)
        run.flush()
        return
    run.flush(snapshot=True)


def _read_history(run: StreamRun, client: SippetClient, plan: ReadPlan,
                  progress: ProgressHook) -> None:
    """One object per sync, kept whole in `summary`; its id is the run's, so a retried
    flush or a rerun of the same run never doubles it."""
    summary = client.run(run.spec.action, fields=None)
    if not isinstance(summary, dict):
        raise TypeError(f"{run.spec.action}: expected an object, got {type(summary).__name__}")
    record = {"id": f"{run.run_id}:wallet", "fetchedAt": format_instant(run.started_at),
              "balanceUsd": summary.get("balanceUsd"), "currency": summary.get("currency"),
              "summary": summary}
    run.add_page([record], "summary")
    progress(run)
    run.flush()


def _read_time_windows(run: StreamRun, client: SippetClient, plan: ReadPlan,
                       progress: ProgressHook) -> None:
    spec = run.spec
    assert spec.cursor_field is not None and plan.start is not None
    for window in iter_time_windows(client, spec.action, fields=spec.fields,
                                    field=spec.cursor_field, start=plan.start, end=plan.end,
                                    sort=spec.sort):
        where = f"window [{format_instant(window.start)}, {format_instant(window.end)})"
        run.add_page(window.results, where)
        _maybe_flush(run, plan)
        progress(run)
    run.flush()
    _read_untimed_and_reread(run, client, plan, progress)


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
