"""Honest output: progress rates over a real interval, numbers formatted for people."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from pipelines.batch import RunCounters
from pipelines.progress import Progress, describe
from pipelines.streams import STREAMS
from warehouse.reports import format_number, format_table


def _run(rows: int, pages: int, started: datetime) -> SimpleNamespace:
    counters = RunCounters(pages=pages, rows_fetched=rows, rows_inserted=rows)
    return SimpleNamespace(spec=STREAMS["calls"], counters=counters, started_at=started)


def test_rate_is_over_the_time_since_the_stream_started():
    start = datetime(2026, 12, 1, tzinfo=UTC)
    line = describe(_run(49_000, 10, start), now=start + timedelta(seconds=10))
    assert line == "calls: 10 pages, 49,000 rows (4,900 rows/s), 49,000 inserted, 0 updated"


def test_no_rate_over_an_interval_too_short_to_mean_anything():
    start = datetime(2026, 12, 1, tzinfo=UTC)
    line = describe(_run(49, 1, start), now=start + timedelta(microseconds=1))
    assert line == "calls: 1 pages, 49 rows, 49 inserted, 0 updated"


def test_plain_progress_prints_nothing_before_its_first_interval():
    out = io.StringIO()
    progress = Progress(out, interactive=False)
    progress(_run(0, 1, datetime.now(UTC)))  # the first page of a sync: no stray line
    progress.close()
    assert out.getvalue() == ""


@pytest.mark.parametrize(("value", "column", "text"), [
    (17.0, "avg_tokens", "17"),
    (0.736, "cache_hit_ratio", "73.6%"),
    (0.5, "success_rate", "50.0%"),
    (27.1, "failure_pct", "27.1%"),
    (1.94321, "seconds", "1.9"),
    (24.9312, "cost_usd", "24.93"),
    (0.7360, "share", "0.736"),
    (1234567.5, "tokens", "1,234,567.5"),
])
def test_numbers_are_formatted_for_people(value, column, text):
    assert format_number(value, column) == text


def test_table_cells_use_their_column_for_the_format():
    table = format_table(["stream", "seconds", "rows"], [("calls", 0.73612, 1200)])
    assert table.splitlines()[2].split() == ["calls", "0.7", "1,200"]


def test_instants_are_shown_to_the_second_in_utc():
    started = datetime(2026, 12, 2, 2, 35, 25, 411696, tzinfo=UTC)
    table = format_table(["last_run_started_at"], [(started,)])
    assert table.splitlines()[2].strip() == "2026-12-02 02:35:25Z"
