"""iter_time_windows: contiguous half-open windows, adaptive size, no `page` ever sent."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from pipelines.client import SippetClient
from pipelines.errors import PaginationError
from pipelines.settings import SippetSettings
from pipelines.timestamps import format_instant as iso_utc
from pipelines.windows import (
    Window,
    iter_time_windows,
    next_window_size,
    window_filter,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
LIMITS = {"target_rows": 100, "min_window": timedelta(minutes=1), "max_window": 8 * DAY}


class CallsServer:
    """Answers `list_calls` with `rows_per_day[i]` rows for any window starting on day i."""

    def __init__(self, rows_for: Any) -> None:
        self.rows_for = rows_for
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        bounds = body["filter"]
        bounds = bounds["and"][0] if "and" in bounds else bounds
        start = datetime.fromisoformat(bounds["startedAt"]["greaterThanOrEqual"])
        end = datetime.fromisoformat(bounds["startedAt"]["lessThan"])
        rows = [{"id": str(i)} for i in range(self.rows_for(start, end))]
        return httpx.Response(200, json={"success": True, "data": rows})


def windows(server: Any, start: datetime, end: datetime, **kwargs: Any) -> list[Window]:
    settings = SippetSettings(_env_file=None, api_key="sk_test_window_key", base_url="http://t")
    client = SippetClient(settings, transport=httpx.MockTransport(server))
    return list(
        iter_time_windows(
            client,
            "list_calls",
            fields=["id", "startedAt"],
            field="startedAt",
            start=start,
            end=end,
            sort="startedAt,id",
            **kwargs,
        )
    )


def test_iso_utc_has_z_and_microseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2026, 3, 1, 14, 5, tzinfo=plus_two)) == "2026-03-01T12:05:00.000000Z"
    with pytest.raises(ValueError, match="naive"):
        iso_utc(datetime(2026, 3, 1))


def test_window_filter_ands_extra_filter() -> None:
    bounds = {
        "startedAt": {
            "greaterThanOrEqual": "2026-01-01T00:00:00.000000Z",
            "lessThan": "2026-01-02T00:00:00.000000Z",
        }
    }
    assert window_filter("startedAt", T0, T0 + DAY) == bounds
    extra = {"status": {"eq": "completed"}}
    assert window_filter("startedAt", T0, T0 + DAY, extra) == {"and": [bounds, extra]}


def test_windows_are_contiguous_half_open_and_never_send_page() -> None:
    server = CallsServer(lambda start, end: 10)
    got = windows(server, T0, T0 + timedelta(days=5, hours=3), initial=DAY, target_rows=2000)
    assert got[0].start == T0 and got[-1].end == T0 + timedelta(days=5, hours=3)
    assert all(a.end == b.start for a, b in itertools.pairwise(got))
    assert all(w.start < w.end for w in got)
    assert all("page" not in body for body in server.bodies)
    full = [body for body in server.bodies if body["fields"] != ["id"]]
    assert full[0]["sort"] == "startedAt,id"
    assert full[0]["filter"]["startedAt"]["lessThan"] == "2026-01-02T00:00:00.000000Z"


def test_extra_filter_is_sent_with_every_window() -> None:
    server = CallsServer(lambda start, end: 1)
    extra = {"direction": {"eq": "inbound"}}
    windows(server, T0, T0 + 3 * DAY, extra_filter=extra, initial=DAY)
    assert all(body["filter"]["and"][1] == extra for body in server.bodies)


def test_empty_windows_double_up_to_max() -> None:
    server = CallsServer(lambda start, end: 0)
    got = windows(server, T0, T0 + 40 * DAY, initial=DAY, **LIMITS)
    sizes = [w.end - w.start for w in got]
    assert sizes[:5] == [DAY, 2 * DAY, 4 * DAY, 8 * DAY, 8 * DAY]


def test_busy_windows_shrink_proportionally_then_settle() -> None:
    # 400 rows per day, target 100: the day-long window shrinks to a quarter day.
    def rows(start: datetime, end: datetime) -> int:
        return round(400 * (end - start) / DAY)

    got = windows(CallsServer(rows), T0, T0 + 2 * DAY, initial=DAY, **LIMITS)
    sizes = [w.end - w.start for w in got]
    # The first window is counted with ids only and shrunk before any full fetch.
    assert sizes[0] == DAY / 4
    assert all(len(w.results) <= 100 for w in got)


def test_burst_that_cannot_be_split_is_still_delivered() -> None:
    end = T0 + timedelta(minutes=3)
    got = windows(CallsServer(lambda start, end: 1000), T0, end, initial=DAY, **LIMITS)
    assert len(got[0].results) == 1000  # still delivered: the rows are real
    assert [w.end - w.start for w in got] == [timedelta(minutes=1)] * 3


def test_jump_from_empty_history_into_dense_data_is_probed_not_fetched_whole() -> None:
    # Empty for 20 days, then 1,000 rows a day: blind doubling would fetch 8 days at once.
    def rows(start: datetime, end: datetime) -> int:
        dense_from = T0 + 20 * DAY
        overlap = min(end, T0 + 40 * DAY) - max(start, dense_from)
        return max(0, round(1000 * overlap / DAY))

    server = CallsServer(rows)
    got = windows(server, T0, T0 + 40 * DAY, initial=DAY, **LIMITS)
    assert abs(sum(len(w.results) for w in got) - 20_000) <= len(got)  # fake rounds per window
    full = [body for body in server.bodies if body["fields"] != ["id"]]
    # Without the probe the first dense fetch would be an 8-day window: 8,000 rows.
    assert max(len(w.results) for w in got) <= 4 * 100
    assert len(full) < len(server.bodies)


def test_nothing_to_do_for_an_empty_range() -> None:
    assert windows(CallsServer(lambda s, e: 1), T0, T0) == []


def test_paginated_answer_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "data": {"results": []}})

    with pytest.raises(PaginationError, match="expected a plain array"):
        windows(handler, T0, T0 + DAY)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (0, 2 * DAY),
        (50, 2 * DAY),  # half the target: grow, but at most double
        (80, DAY * (100 / 80)),
        (100, DAY),
        (200, DAY / 2),
        (400, DAY / 4),
        (401, DAY * (100 / 401) / 2),  # over 4x target: shrink hard
    ],
)
def test_next_window_size(rows: int, expected: timedelta) -> None:
    assert next_window_size(DAY, rows, **LIMITS) == expected


def test_next_window_size_is_clamped() -> None:
    assert next_window_size(timedelta(minutes=1), 10**6, **LIMITS) == timedelta(minutes=1)
    assert next_window_size(8 * DAY, 0, **LIMITS) == 8 * DAY


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        windows(CallsServer(lambda s, e: 0), datetime(2026, 1, 1), T0 + DAY)
