"""Cut one stream's read into parts that can be walked at once.

- A time range is cut into slices of equal length. A first read (no cursor yet) is cut into
  `concurrency` slices and first asks for the single oldest and newest records, so the slices
  cover the data rather than years of empty history or a quiet recent past; a later read is
  cut as finely as the rows already held in its range say it is worth (a 15-minute increment
  is usually one slice).
- An id walk is cut into ranges of the id space. Ids are random UUIDs, so ranges of equal
  width hold about equal shares of the rows; a table held small is not split (each range
  costs at least one request).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pipelines.paging import RpcRunner
from pipelines.timestamps import format_instant, parse_instant

#: A range shorter than this is not probed for its oldest record: it is recent and dense.
PROBE_RANGES_LONGER_THAN = timedelta(days=1)
#: An id walk is split only when the table held at least this many pages per range.
PAGES_PER_ID_RANGE = 2
#: A time range already partly held is cut only when each slice would hold this many pages.
PAGES_PER_SLICE = 2
_UUID_SPACE = 1 << 128
_ONE_MICROSECOND = timedelta(microseconds=1)


def time_slices(start: datetime, end: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """`count` contiguous half-open slices covering [start, end), equal in length."""
    if end <= start or count <= 1:
        return [(start, end)]
    step = (end - start) / count
    bounds = [start + step * i for i in range(count)] + [end]
    return [(low, high) for low, high in itertools.pairwise(bounds) if low < high]


def edge_time(client: RpcRunner, action: str, field: str, start: datetime, end: datetime,
              *, newest: bool = False) -> datetime | None:
    """The oldest (or newest) `field` value in [start, end), by one request for one record."""
    data = client.run(action, fields=["id", field], sort=f"-{field},-id" if newest else field,
                      page={"limit": 1},
                      filter={field: {"greaterThanOrEqual": format_instant(start),
                                      "lessThan": format_instant(end)}})
    results = data.get("results") if isinstance(data, dict) else data
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return None
    value = results[0].get(field)
    try:
        return parse_instant(value) if isinstance(value, str) else None
    except ValueError:  # the walk itself will name the bad record; here: no hint
        return None


def data_span(client: RpcRunner, action: str, field: str, start: datetime, end: datetime,
              count: int) -> tuple[datetime, datetime]:
    """Where the records of [start, end) lie: from the oldest to just after the newest, by two
    one-record requests when a long range is cut (the whole range otherwise)."""
    if count <= 1 or end - start <= PROBE_RANGES_LONGER_THAN:
        return start, end
    oldest = edge_time(client, action, field, start, end)
    if oldest is None:
        return start, end
    newest = edge_time(client, action, field, oldest, end, newest=True)
    low = max(start, min(oldest, end))
    high = end if newest is None else min(end, max(low, newest + _ONE_MICROSECOND))
    return low, high


def id_range_count(held_rows: int, page_size: int, concurrency: int) -> int:
    """How many id ranges to walk: one per `PAGES_PER_ID_RANGE` pages held, at most
    `concurrency`."""
    return max(1, min(concurrency, held_rows // (page_size * PAGES_PER_ID_RANGE)))


def id_ranges(count: int) -> list[dict[str, Any] | None]:
    """Filters splitting the UUID space into `count` ranges (None: the whole space)."""
    if count <= 1:
        return [None]
    bounds = [_uuid(i * _UUID_SPACE // count) for i in range(1, count)]
    lows: list[str | None] = [None, *bounds]
    highs: list[str | None] = [*bounds, None]
    return [_between(low, high) for low, high in zip(lows, highs, strict=True)]


def _between(low: str | None, high: str | None) -> dict[str, Any]:
    bounds = {}
    if low is not None:
        bounds["greaterThanOrEqual"] = low
    if high is not None:
        bounds["lessThan"] = high
    return {"id": bounds}


def _uuid(value: int) -> str:
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class SliceBounds:
    """The slices of one time range, computed once by whichever slice's worker asks first
    (the oldest-record probe is a request: it runs on a worker, not while planning)."""

    def __init__(self, compute: Callable[[], list[tuple[datetime, datetime]]]) -> None:
        self._compute = compute
        self._bounds: list[tuple[datetime, datetime]] | None = None
        self._lock = threading.Lock()

    def get(self) -> list[tuple[datetime, datetime]]:
        with self._lock:
            if self._bounds is None:
                self._bounds = self._compute()
            return self._bounds


def probed_slices(client: RpcRunner, action: str, field: str, start: datetime, end: datetime,
                  count: int) -> list[tuple[datetime, datetime]]:
    """`count` slices over [start, end), equal in length over the span holding data; the
    first still starts at `start` and the last still ends at `end` (nothing before the
    oldest record nor after the newest, such as a record written meanwhile, is skipped)."""
    low, high = data_span(client, action, field, start, end, count)
    bounds = time_slices(low, high, count)
    bounds[0] = (start, bounds[0][1])
    bounds[-1] = (bounds[-1][0], end)
    return bounds


def time_slice_count(held: int, held_span: timedelta, span: timedelta, rows_per_request: int,
                     concurrency: int) -> int:
    """Slices worth cutting a time range into, from the rows held in part of it.

    `held` rows lie in the `held_span` already read (e.g. the lookback up to the cursor); the
    whole range spans `span`. A slice costs at least one request, so a range expected to
    hold fewer than `PAGES_PER_SLICE` requests' worth per slice is cut less, or not at all.
    """
    expected = held * (span / held_span) if held_span > timedelta(0) else held
    return max(1, min(concurrency, int(expected // (rows_per_request * PAGES_PER_SLICE))))
