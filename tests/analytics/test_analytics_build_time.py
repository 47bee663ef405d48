"""A full build over a synthetic 1,000,000-row audit events table (generated in SQL): totals
reconcile at scale and after a rebuild. The build time is printed (`pytest -s`), never asserted:
a test does not fail by timing (docs/analytics.md, "Build time", has the measured numbers)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from tests.analytics.raw_dataset import TOKEN_TOTALS, migrate
from warehouse.analytics import build_models

SYNTHETIC_SQL = Path(__file__).with_name("synthetic_raw.sql")


@pytest.mark.slow
def test_full_build_over_a_million_audit_events(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "bench.duckdb"))
    migrate(con)
    con.execute(SYNTHETIC_SQL.read_text())
    sums = ", ".join(f"sum({c})" for c in TOKEN_TOTALS)
    raw = con.execute(f"SELECT count(*), {sums} FROM sippet.call_ai_audit_events").fetchall()
    assert raw[0][0] == 1_000_000
    hidden = con.execute(
        "SELECT count(*) FILTER (WHERE occurred_at IS NULL), count(*) FILTER (WHERE model IS NULL),"
        " count(*) FILTER (WHERE event_type IS NULL) FROM sippet.call_ai_audit_events"
        " WHERE output_tokens > 0"
    ).fetchone()
    assert hidden is not None and all(n > 0 for n in hidden)  # policy nulls at scale

    for attempt in range(2):  # the second build replaces every table: same numbers
        started = time.perf_counter()
        built = build_models(con, prices_csv=[])
        seconds = time.perf_counter() - started
        print(f"build {attempt + 1}: {seconds:.2f}s", {b.name: round(b.seconds, 2) for b in built})
        responses = con.execute(
            f"SELECT sum(events), {sums} FROM analytics.token_usage_daily"
        ).fetchall()
        assert responses[0][1:] == raw[0][1:]
        per_event = con.execute(f"SELECT {sums} FROM analytics.ai_response_costs").fetchall()
        assert per_event[0] == raw[0][1:]
        assert {b.name: b.rows for b in built}["call_facts"] == 50_000
    con.close()
