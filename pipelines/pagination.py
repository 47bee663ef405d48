"""Walkers over the API's page conventions: offset, keyset, and time windows for `list_calls`.

Each convention is a tiny class with three verbs (first request, advance from a response,
has next), as in dlt and the Meltano SDK; `iter_pages` drives whichever one the server's
first response names in its `type` (a `{"limit": n}` request may come back as either).

The walkers distrust the server where trusting it would lose data silently: more rows than
the limit (the server's cap is lower than ours, so `hasMore` is meaningless), a cursor seen
twice or an offset not honoured (an endless loop), a convention switch mid-walk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pipelines.errors import PaginationError

MAX_PAGE_SIZE = 250
MAX_EMPTY_PAGES = 3
_REMEMBERED_CURSORS = 4096  # bounded memory on million-page walks; loops are short anyway


class RpcRunner(Protocol):
    """What the walkers need from `SippetClient`."""

    def run(
        self,
        action: str,
        *,
        fields: Sequence[str],
        filter: dict[str, Any] | None = None,
        sort: str | None = None,
        page: dict[str, Any] | None = None,
    ) -> Any: ...


@dataclass
class Page:
    """One page of results as returned by the server, with the request that fetched it."""

    results: list[dict[str, Any]]
    number: int  # 1-based position in the walk
    type: str  # "offset", "keyset", or "array" (the server ignored `page`)
    has_more: bool
    request: dict[str, Any]


class OffsetPaginator:
    """`{"limit", "offset"}` paging: the next offset is this one plus the rows received."""

    type = "offset"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.offset = 0
        self.has_next = True

    def first_request(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def advance(self, data: dict[str, Any], request: dict[str, Any]) -> str | None:
        """Move past a response; returns a reason if it cannot be trusted."""
        sent = request.get("offset", 0)
        got = data.get("offset")
        if got is not None and got != sent:
            return f"server answered offset {got} for offset {sent}; it is not honouring offsets"
        self.offset = sent + len(data["results"])
        self.has_next = bool(data["hasMore"])
        return None

    def next_request(self) -> dict[str, Any]:
        return {"limit": self.limit, "offset": self.offset}


class KeysetPaginator:
    """`{"limit", "after"}` paging: send back the previous page's `nextPage` cursor."""

    type = "keyset"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.after: str | None = None
        self.has_next = True
        self._seen: set[str] = set()
        self._order: deque[str] = deque()

    def first_request(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def advance(self, data: dict[str, Any], request: dict[str, Any]) -> str | None:
        """Move past a response; returns a reason if it cannot be trusted."""
        self.has_next = bool(data["hasMore"])
        if not data["results"] or not self.has_next:
            # An empty page has null cursors: stay put (the driver counts empty pages).
            return None
        cursor = data.get("nextPage")
        if not cursor:
            return "hasMore is true but nextPage is missing"
        if cursor in self._seen:
            return f"cursor {_short(cursor)} was already returned; the walk would loop"
        self._remember(cursor)
        self.after = cursor
        return None

    def next_request(self) -> dict[str, Any]:
        if self.after is None:
            return self.first_request()
        return {"limit": self.limit, "after": self.after}

    def _remember(self, cursor: str) -> None:
        self._seen.add(cursor)
        self._order.append(cursor)
        if len(self._order) > _REMEMBERED_CURSORS:
            self._seen.discard(self._order.popleft())


PAGINATORS: dict[str, type[OffsetPaginator] | type[KeysetPaginator]] = {
    "offset": OffsetPaginator,
    "keyset": KeysetPaginator,
}


def iter_pages(
    client: RpcRunner,
    action: str,
    *,
    fields: Sequence[str],
    filter: dict[str, Any] | None = None,
    sort: str | None,
    page_size: int,
) -> Iterator[Page]:
    """Walk every page of a paginated action, offset or keyset as the server answers."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        # Above the server's cap it can answer max+1 rows with hasMore=false: silent loss.
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
    paginator: OffsetPaginator | KeysetPaginator | None = None
    request: dict[str, Any] = {"limit": page_size}
    number, empty_streak = 0, 0
    while True:
        number += 1
        data = client.run(action, fields=fields, filter=filter, sort=sort, page=request)
        if isinstance(data, list):
            yield _plain_array_page(action, data, number, request)
            return
        _check_page(action, data, number, request)
        kind = data["type"]
        if paginator is None:
            paginator = PAGINATORS[kind](page_size)
        elif kind != paginator.type:
            _fail(action, number, request, f"server switched from {paginator.type} to {kind}")
        problem = paginator.advance(data, request)
        if problem:
            _fail(action, number, request, problem)
        results = data["results"]
        yield Page(results, number, kind, bool(data["hasMore"]), request)
        if not paginator.has_next:
            return
        empty_streak = empty_streak + 1 if not results else 0
        if empty_streak >= MAX_EMPTY_PAGES:
            _fail(action, number, request, f"{empty_streak} empty pages in a row with hasMore")
        request = paginator.next_request()


def _check_page(action: str, data: Any, number: int, request: dict[str, Any]) -> None:
    if not isinstance(data, dict):
        _fail(action, number, request, f"expected a page object, got {type(data).__name__}")
    if data.get("type") not in PAGINATORS:
        _fail(action, number, request, f"unknown page type {data.get('type')!r}")
    if not isinstance(data.get("results"), list) or not isinstance(data.get("hasMore"), bool):
        _fail(action, number, request, "page lacks a results list or a boolean hasMore")
    _check_row_count(action, len(data["results"]), number, request)


def _plain_array_page(action: str, rows: list[Any], number: int, request: dict) -> Page:
    # The server ignored `page` and sent every match: fine only if it fits in one page,
    # otherwise we cannot tell whether it truncated.
    if number > 1:
        _fail(action, number, request, "server stopped paginating mid-walk (plain array)")
    _check_row_count(action, len(rows), number, request)
    return Page(rows, number, "array", False, request)


def _check_row_count(action: str, rows: int, number: int, request: dict[str, Any]) -> None:
    limit = request["limit"]
    if rows > limit:
        _fail(
            action,
            number,
            request,
            f"server returned {rows} rows for limit {limit}; refusing, since hasMore can no "
            "longer be trusted",
        )


def _fail(action: str, number: int, request: dict[str, Any], reason: str) -> None:
    raise PaginationError(
        f"{action}: page {number} (request {request}): {reason}", action=action, page=number
    )


def _short(cursor: str) -> str:
    return repr(cursor if len(cursor) <= 24 else cursor[:21] + "...")


# -- time windows (list_calls has no pagination) ------------------------------------------


@dataclass
class Window:
    """One half-open time window [start, end) and every row the server returned for it."""

    start: datetime
    end: datetime
    results: list[dict[str, Any]]


def iso_utc(value: datetime) -> str:
    """ISO-8601 UTC with microseconds and `Z`, the one timestamp format we send."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: timestamps must carry a timezone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def window_filter(
    field_name: str, start: datetime, end: datetime, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`field >= start AND field < end`, ANDed with an optional extra filter."""
    bounds = {field_name: {"greaterThanOrEqual": iso_utc(start), "lessThan": iso_utc(end)}}
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
    target_rows: int = 2000,
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
            f"{action}: window [{iso_utc(lower)}, {iso_utc(upper)}): expected a plain "
            f"array, got {type(data).__name__}",
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
