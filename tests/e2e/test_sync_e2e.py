"""End to end: real HTTP to the simulator on loopback, a real DuckDB file, exact comparison."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.streams import STREAMS, StreamKind
from pipelines.sync import selected_streams, sync
from tests.conftest import POLICY_NULLS, settings_for
from tests.truth import diff_warehouse


def _totals(results, counter: str) -> int:
    # a history stream (the wallet) appends one row per sync by design
    return sum(getattr(r, counter) for r in results
               if STREAMS[r.stream].kind is not StreamKind.HISTORY)


def test_full_sync_equals_ground_truth_and_rerun_changes_nothing(sim, warehouse):
    settings = settings_for(sim, warehouse)
    first = sync(settings)
    assert [r.stream for r in first] == [s.name for s in selected_streams(settings)]
    assert all(r.ok for r in first), [r.error for r in first]
    assert diff_warehouse(warehouse, sim.simulator) == []
    assert _totals(first, "rows_inserted") > 1000

    con = duckdb.connect(warehouse, read_only=True)
    synced_before = con.execute("SELECT max(_synced_at) FROM sippet.calls").fetchone()[0]
    con.close()
    second = sync(settings)
    assert all(r.ok for r in second)
    assert _totals(second, "rows_inserted") == 0
    assert _totals(second, "rows_updated") == 0
    assert _totals(second, "rows_deleted") == 0
    con = duckdb.connect(warehouse, read_only=True)
    assert con.execute("SELECT max(_synced_at) FROM sippet.calls").fetchone()[0] == synced_before
    con.close()
    assert diff_warehouse(warehouse, sim.simulator) == []


def test_incremental_follows_time(sim, warehouse, synced_copy):
    settings = settings_for(sim, warehouse)
    synced_copy(warehouse)  # = a first full sync of this simulator (see conftest)
    open_calls = _open_call_count(warehouse)
    assert open_calls > 0, "the dataset should hold calls in progress"
    calls_updated = events_inserted = 0
    for minutes in (7, 45, 240, 600):
        sim.simulator.advance(minutes=minutes)
        results = sync(settings)
        assert all(r.ok for r in results), [r.error for r in results]
        assert diff_warehouse(warehouse, sim.simulator) == [], f"after +{minutes} min"
        by_stream = {r.stream: r for r in results}
        calls_updated += by_stream["calls"].rows_updated
        events_inserted += by_stream["call_ai_audit_events"].rows_inserted
    assert events_inserted > 0
    assert calls_updated >= open_calls  # every call open at the first sync has completed


def test_late_events_within_lookback_are_caught(sim, warehouse, synced_copy):
    settings = settings_for(sim, warehouse)
    synced_copy(warehouse)  # = a first full sync of this simulator (see conftest)
    # Small steps: many late rows (committed up to 30 min after occurredAt) land behind
    # the cursor between two syncs; only the lookback re-read finds them.
    for _ in range(6):
        sim.simulator.advance(minutes=5)
        assert all(r.ok for r in sync(settings))
    assert diff_warehouse(warehouse, sim.simulator) == []


def test_operator_removed_leaves_snapshot_table(sim, warehouse, synced_copy):
    settings = settings_for(sim, warehouse)
    synced_copy(warehouse)  # = a first full sync of this simulator (see conftest)
    before = _count(warehouse, "sippet.operator_statuses")
    deleted = 0
    for _ in range(8):
        sim.simulator.advance(minutes=24 * 60)
        results = {r.stream: r for r in sync(settings)}
        deleted += results["operator_statuses"].rows_deleted
        assert diff_warehouse(warehouse, sim.simulator) == []
    assert deleted > 0, f"no operator disappeared in 8 days ({before} operators)"


def test_keyset_server_and_small_pages(sim_factory, warehouse):
    server = sim_factory(default_page_type="keyset")
    results = sync(settings_for(server, warehouse, page_size=37))
    assert all(r.ok for r in results)
    assert diff_warehouse(warehouse, server.simulator) == []


def test_requests_stay_within_protocol(sim, warehouse):
    sync(settings_for(sim, warehouse, page_size=250))
    sim.simulator.advance(minutes=30)
    sync(settings_for(sim, warehouse, page_size=250))
    log = sim.simulator.request_log
    assert log, "the simulator saw no request"
    limits = [e["page"].get("limit") for e in log if isinstance(e["page"], dict)]
    assert limits and max(limits) <= 250
    assert not [e for e in log if e["action"] == "list_calls" and e["page"] is not None]


def test_full_refresh_repairs_a_deleted_day(sim, warehouse, synced_copy):
    settings = settings_for(sim, warehouse)
    synced_copy(warehouse)  # = a first full sync of this simulator (see conftest)
    con = duckdb.connect(warehouse)
    deleted = con.execute(
        "DELETE FROM sippet.call_ai_audit_events WHERE occurred_at < "
        "(SELECT min(occurred_at) + INTERVAL 1 DAY FROM sippet.call_ai_audit_events)"
    ).fetchone()[0]
    con.close()
    assert deleted > 0
    results = {r.stream: r for r in sync(settings, full_refresh=True)}
    assert results["call_ai_audit_events"].rows_inserted == deleted
    assert diff_warehouse(warehouse, sim.simulator) == []


def test_since_until_window_does_not_move_cursor(sim, warehouse, synced_copy):
    settings = settings_for(sim, warehouse)
    synced_copy(warehouse)  # = a first full sync of this simulator (see conftest)
    con = duckdb.connect(warehouse)
    cursor = con.execute(
        "SELECT cursor_value FROM sippet._sync_state WHERE stream = 'call_transcripts'"
    ).fetchone()[0]
    lo, hi = con.execute(
        "SELECT min(occurred_at), min(occurred_at) + INTERVAL 12 HOUR "
        "FROM sippet.call_transcripts"
    ).fetchone()
    deleted = con.execute(
        "DELETE FROM sippet.call_transcripts WHERE occurred_at < ?", [hi]
    ).fetchone()[0]
    con.close()
    results = sync(settings, streams=["call_transcripts"], since=lo, until=hi)
    results = {r.stream: r for r in results}
    assert results["call_transcripts"].rows_inserted == deleted
    con = duckdb.connect(warehouse, read_only=True)
    assert con.execute(
        "SELECT cursor_value FROM sippet._sync_state WHERE stream = 'call_transcripts'"
    ).fetchone()[0] == cursor
    con.close()
    assert diff_warehouse(warehouse, sim.simulator, ["call_transcripts"]) == []


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "drop", "internal_error",
                                   "malformed"])
def test_transient_faults_at_ten_percent_still_exact(sim_factory, warehouse, fault):
    """With eight requests in flight (issue 13): retries of one never disturb the others."""
    server = sim_factory(**POLICY_NULLS)
    server.simulator.set_faults(**{fault: 0.1, "retry_after_seconds": 0.05})
    results = sync(settings_for(server, warehouse, page_size=50, max_concurrency=8))
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.retries for r in results) > 0
    server.simulator.set_faults(**{fault: 0.0})
    assert diff_warehouse(warehouse, server.simulator) == []


def test_shifting_rows_during_offset_walks(sim_factory, warehouse):
    server = sim_factory(shifting_rows=0.3, **POLICY_NULLS)
    settings = settings_for(server, warehouse, page_size=25, max_concurrency=8)
    for _ in range(3):
        server.simulator.advance(minutes=10)
        assert all(r.ok for r in sync(settings))
    # The clock moved while later streams were walked: rows begun since an earlier stream's
    # walk are the next sync's. One more sync with the clock still gives the exact truth.
    sim = server.simulator
    sim.config = sim.config.model_copy(update={"shifting_rows": 0.0})
    assert all(r.ok for r in sync(settings))
    assert diff_warehouse(warehouse, sim) == []


def _count(warehouse: str, table: str) -> int:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def _open_call_count(warehouse: str) -> int:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        return con.execute(
            "SELECT count(*) FROM sippet.calls WHERE status IN ('initiated','ringing','answered')"
        ).fetchone()[0]
    finally:
        con.close()
