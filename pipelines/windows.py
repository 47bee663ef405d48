"""Time windows for `list_calls`, which has no pagination: every request returns every match.

The read covers [start, end) with contiguous half-open `startedAt` windows, one request each,
sized adaptively to aim at a target number of rows per response.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipelines.errors import PaginationError
from pipelines.paging import RpcRunner
from pipelines.timestamps import format_instant

#: Rows a `list_calls` window aims at (one unpaginated response).
WINDOW_TARGET_ROWS = 2000


@dataclass
class Window:
    """One half-open time window [start, end) and every row the server returned for it."""

    start: datetime
    end: datetime
    results: list[dict[str, Any]]


def window_filter(
    field_name: str, start: datetime, end: datetime, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`field >= start AND field < end`, ANDed with an optional extra filter."""
    bounds = {field_name: {"greaterThanOrEqual": format_instant(start),
                           "lessThan": format_instant(end)}}
    return {"and": [bounds, extra]} if extra else bounds


def next_window_size(
    size: timedelta,
    rows: int,
    *,
    target_rows: int,
    min_window: timedelta,
    max_window: timedelta,
) -> timedelta:
    """Adapt the window to aim at `target_rows` per request, within [min, max]."""
    if rows == 0:
        size = size * 2
    elif rows > 4 * target_rows:
        # Far over target: the window straddled a burst; overshoot downward to get back fast.
        size = size * (target_rows / rows) / 2
    elif rows > target_rows:
        size = size * (target_rows / rows)
    else:
        size = size * min(2.0, target_rows / rows)
    return max(min_window, min(max_window, size))


def iter_time_windows(
    client: RpcRunner,
    action: str,
    *,
    fields: Sequence[str],
    field: str,
    start: datetime,
    end: datetime,
    sort: str | None,
    extra_filter: dict[str, Any] | None = None,
    initial: timedelta = timedelta(days=1),
    target_rows: int = WINDOW_TARGET_ROWS,
    min_window: timedelta = timedelta(minutes=1),
    max_window: timedelta = timedelta(days=31),
) -> Iterator[Window]:
    """Cover [start, end) with contiguous windows, one unpaginated request each."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if target_rows < 1 or min_window <= timedelta(0) or min_window > max_window:
        raise ValueError("need target_rows >= 1 and 0 < min_window <= max_window")
    size = max(min_window, min(max_window, initial))
    lower = start
    previous_rows = -1  # nothing fetched yet: the first window is probed too
    while lower < end:
        upper = min(lower + size, end)
        if previous_rows <= 0:
            # After an empty window the size doubled blindly: a jump from empty history
            # into dense data could return the whole history in one response. Count the
            # window first with ids only (about 10x smaller), shrinking it until it fits.
            upper, count = _probe(client, action, field, lower, upper, extra_filter,
                                  target_rows=target_rows, min_window=min_window)
            if count == 0:
                yield Window(lower, upper, [])
                size = next_window_size(upper - lower, 0, target_rows=target_rows,
                                        min_window=min_window, max_window=max_window)
                previous_rows, lower = 0, upper
                continue
            size = upper - lower
        data = _fetch_window(client, action, fields, field, lower, upper, sort, extra_filter)
        yield Window(lower, upper, data)
        previous_rows = len(data)
        size = next_window_size(
            size, len(data), target_rows=target_rows, min_window=min_window, max_window=max_window
        )
        lower = upper


def _fetch_window(client: RpcRunner, action: str, fields: Sequence[str], field: str,
                  lower: datetime, upper: datetime, sort: str | None,
                  extra_filter: dict[str, Any] | None) -> list[dict[str, Any]]:
    where = window_filter(field, lower, upper, extra_filter)
    # Never send `page`: list_calls rejects it and always returns every match.
    data = client.run(action, fields=fields, filter=where, sort=sort)
    if not isinstance(data, list):
        raise PaginationError(
            f"{action}: window [{format_instant(lower)}, {format_instant(upper)}): expected a "
            f"plain array, got {type(data).__name__}",
            action=action,
        )
    return data


def _probe(client: RpcRunner, action: str, field: str, lower: datetime, upper: datetime,
           extra_filter: dict[str, Any] | None, *, target_rows: int, min_window: timedelta
           ) -> tuple[datetime, int]:
    """Shrink [lower, upper) until an id-only count is at most twice the target."""
    while True:
        ids = _fetch_window(client, action, ["id"], field, lower, upper, None, extra_filter)
        if len(ids) <= 2 * target_rows or upper - lower <= min_window:
            return upper, len(ids)
        upper = lower + max(min_window, (upper - lower) * (target_rows / len(ids)))
