"""How each kind of stream is read: the sources one stream's read is cut into.

A reader never touches the warehouse: everything it needs (bounds, ids to re-read) is in the
`ReadPlan`, built before the first request. It returns a `StreamRead`: the sources workers
walk at once (time slices, id ranges, the re-reads) and what the writer does with their pages
(flush every `commit_every_pages`, or, for a snapshot, once after the complete walk).

Records whose cursor field is hidden by policy (null) are invisible to every range filter
(`greaterThanOrEqual` never matches null), so time-ordered streams read them separately each
sync with `isNil`, and re-read by id the held ones that `isNil` no longer returns (their time
was revealed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pipelines.batch import StreamRun
from pipelines.client import SippetClient
from pipelines.fanout import Event, Pages, Source
from pipelines.paging import iter_pages
from pipelines.slices import (
    SliceBounds,
    id_range_count,
    id_ranges,
    probed_slices,
    time_slices,
)
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
    #: Parts read at once (time slices or id ranges); 1 reads one page after another.
    concurrency: int = 1


ProgressHook = Callable[[StreamRun], None]


def time_filter(field: str, start: datetime | None, end: datetime) -> dict:
    bounds = {"lessThan": format_instant(end)}
    if start is not None:
        bounds["greaterThanOrEqual"] = format_instant(start)
    return {field: bounds}


@dataclass
class StreamRead:
    """One stream's sources, and how the writer commits their pages."""

    run: StreamRun
    plan: ReadPlan
    sources: list[Source]
    snapshot: bool = False

    def on_page(self, event: Event) -> None:
        self.run.add_page(event.results, event.context, event.source.slice_index)
        if not self.snapshot:
            limit = self.plan.commit_every_pages
            if (self.run.pending_pages >= limit
                    or self.run.pending_rows >= limit * self.plan.page_size):
                self.run.flush()

    def on_done(self, source: Source) -> None:
        # No commit here: on a lake every commit is a catalog transaction and a Parquet
        # file, so a part's tail waits for the batch (or the stream's end) like any page.
        if source.slice_index is not None:
            self.run.watermark.finish(source.slice_index)

    def finish(self) -> None:
        """Every source is done: commit the rest (a snapshot: the complete walk at once)."""
        if not self.snapshot:
            self.run.flush()
        elif self.run.counters.rows_fetched == 0 and self.plan.held_rows:
            # An empty list can mean "no access" (Ash policies filter silently): never wipe.
            log.warning("%s: the API returned no rows; keeping the %d rows held",
                        self.run.spec.name, self.plan.held_rows)
            self.run.flush()
        else:
            self.run.flush(snapshot=True)


def stream_read(run: StreamRun, client: SippetClient, plan: ReadPlan) -> StreamRead:
    """The sources of one stream's read, according to its kind."""
    kind = run.spec.kind
    if kind is StreamKind.HISTORY:
        sources = [Source(run.spec.name, partial(_history, run, client))]
    elif kind in (StreamKind.NEW_IDS, StreamKind.SNAPSHOT):
        count = id_range_count(plan.held_rows, plan.page_size, plan.concurrency)
        sources = [_source(run, partial(_pages, run, client, plan, where, _part(i, count)))
                   for i, where in enumerate(id_ranges(count))]
    else:
        sources = [*_slices(run, client, plan), _source(run, partial(_untimed_and_reread,
                                                                     run, client, plan))]
    return StreamRead(run, plan, sources, snapshot=kind is StreamKind.SNAPSHOT)


def _source(run: StreamRun, walk: Callable[[], Pages], index: int | None = None) -> Source:
    return Source(run.spec.name, walk, slice_index=index)


def _part(index: int, count: int) -> str:
    return f"part {index + 1}/{count}, " if count > 1 else ""


def _slices(run: StreamRun, client: SippetClient, plan: ReadPlan) -> list[Source]:
    spec = run.spec
    assert spec.cursor_field is not None
    count = plan.concurrency if plan.start is not None else 1
    if spec.kind is StreamKind.TIME_WINDOWS:  # list_calls takes no `page`: no probe either
        bounds = SliceBounds(partial(time_slices, plan.start, plan.end, count))
        walk = _windows
    else:
        bounds = SliceBounds(partial(probed_slices, client, spec.action, spec.cursor_field,
                                     plan.start, plan.end, count) if count > 1
                             else lambda: [(plan.start, plan.end)])
        walk = _time_pages
    return [_source(run, partial(walk, run, client, plan, bounds, i, _part(i, count)), i)
            for i in range(count)]


def _pages(run: StreamRun, client: SippetClient, plan: ReadPlan, filter_: dict | None,
           label: str) -> Pages:
    spec = run.spec
    for page in iter_pages(client, spec.action, fields=spec.fields, filter=filter_,
                           sort=spec.sort, page_size=plan.page_size):
        yield page.results, f"{label}page {page.number} (request {page.request})"


def _time_pages(run: StreamRun, client: SippetClient, plan: ReadPlan, bounds: SliceBounds,
                index: int, label: str) -> Pages:
    assert run.spec.cursor_field is not None
    slices = bounds.get()
    if index < len(slices):  # a range too short to cut has fewer slices than sources
        low, high = slices[index]
        yield from _pages(run, client, plan, time_filter(run.spec.cursor_field, low, high),
                          label)


def _windows(run: StreamRun, client: SippetClient, plan: ReadPlan, bounds: SliceBounds,
             index: int, label: str) -> Pages:
    spec = run.spec
    assert spec.cursor_field is not None
    slices = bounds.get()
    if index >= len(slices):
        return
    low, high = slices[index]
    assert low is not None
    for window in iter_time_windows(client, spec.action, fields=spec.fields,
                                    field=spec.cursor_field, start=low, end=high,
                                    sort=spec.sort):
        yield window.results, (f"{label}window [{format_instant(window.start)}, "
                               f"{format_instant(window.end)})")


def _fetch(run: StreamRun, client: SippetClient, plan: ReadPlan, filter_: dict, what: str
           ) -> Pages:
    """Every response matching `filter_`, paged where the action is."""
    if run.spec.kind is StreamKind.TIME_WINDOWS:  # list_calls: no pagination, one array
        yield client.run(run.spec.action, fields=run.spec.fields, filter=filter_,
                         sort=run.spec.sort), what
        return
    yield from _pages(run, client, plan, filter_, f"{what}, ")


def _untimed_and_reread(run: StreamRun, client: SippetClient, plan: ReadPlan) -> Pages:
    """The null-cursor read, then every row the plan re-reads by id."""
    seen: set[str] = set()
    if plan.read_untimed:
        assert run.spec.cursor_field is not None
        untimed = {run.spec.cursor_field: {"isNil": True}}
        for results, context in _fetch(run, client, plan, untimed,
                                       f"records without {run.spec.cursor_field}"):
            seen.update(r["id"] for r in results if isinstance(r, dict)
                        and isinstance(r.get("id"), str))
            yield results, context
    revealed = sorted(plan.untimed_ids - seen) if plan.read_untimed else []
    yield from _reread_ids(run, client, plan, [*plan.reread_ids, *revealed])


def _reread_ids(run: StreamRun, client: SippetClient, plan: ReadPlan, ids: Sequence[str]
                ) -> Pages:
    for chunk in _chunks(list(dict.fromkeys(ids))):
        yield from _fetch(run, client, plan, {"id": {"in": chunk}},
                          f"re-read of {len(chunk)} rows by id")


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


def _history(run: StreamRun, client: SippetClient) -> Pages:
    """One object per sync, kept whole in `summary`; its id is the run's, so a retried
    flush or a rerun of the same run never doubles it."""
    summary: Any = client.run(run.spec.action, fields=None)
    if not isinstance(summary, dict):
        raise TypeError(f"{run.spec.action}: expected an object, got {type(summary).__name__}")
    record = {"id": f"{run.run_id}:wallet", "fetchedAt": format_instant(run.started_at),
              "balanceUsd": summary.get("balanceUsd"), "currency": summary.get("currency"),
              "summary": summary}
    yield [record], "summary"


def lookback_start(cursor: datetime | None, lookback: timedelta, floor: datetime,
                   end: datetime) -> datetime:
    """Where an incremental read starts: `cursor - lookback`, never past `end - lookback`."""
    if cursor is None:
        return floor
    return max(floor, min(cursor, end) - lookback)
