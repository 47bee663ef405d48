"""A backfill partition restores one UTC day of the time-windowed streams, cursors untouched."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.dagster.conftest import copy_warehouse, dagster_defs

DAY_COLUMNS = {
    "calls": "started_at",
    "call_transcripts": "occurred_at",
    "call_ai_audit_events": "occurred_at",
}


def _day_counts(target: str, start: datetime, end: datetime) -> dict[str, int]:
    con = duckdb.connect(target, read_only=True)
    try:
        return {
            stream: con.execute(
                f"select count(*) from sippet.{stream} where {column} >= ? and {column} < ?",
                [start, end],
            ).fetchone()[0]
            for stream, column in DAY_COLUMNS.items()
        }
    finally:
        con.close()


def _cursors(target: str) -> list[tuple]:
    con = duckdb.connect(target, read_only=True)
    try:
        return con.execute(
            "select stream, cursor_value from sippet._sync_state order by 1"
        ).fetchall()
    finally:
        con.close()


def test_backfill_partition_restores_a_day_without_moving_cursors(
    golden, sim_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIPPET_API_KEY", sim_now.api_key)
    target = copy_warehouse(golden["target"], tmp_path)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=1)
    expected, cursors = _day_counts(target, start, end), _cursors(target)
    assert min(expected.values()) > 0

    con = duckdb.connect(target)
    for stream, column in DAY_COLUMNS.items():
        con.execute(
            f"delete from sippet.{stream} where {column} >= ? and {column} < ?", [start, end]
        )
    con.close()
    assert set(_day_counts(target, start, end).values()) == {0}

    job = dagster_defs(sim_now, target).resolve_job_def("sippet_backfill")
    result = job.execute_in_process(
        partition_key=start.date().isoformat(), instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    assert _day_counts(target, start, end) == expected
    assert _cursors(target) == cursors
    reported = {
        m.asset_key.to_user_string(): m.metadata["backfill_day"].value
        for node in ("backfill_calls", "backfill_call_transcripts", "backfill_call_ai_audit_events")
        for m in result.asset_materializations_for_node(node)
    }
    assert reported == {f"sippet/{s}": start.date().isoformat() for s in DAY_COLUMNS}


def test_backfill_into_an_empty_warehouse_sets_no_cursor(
    sim_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise the next incremental sync would start after the backfilled day."""
    monkeypatch.setenv("SIPPET_API_KEY", sim_now.api_key)
    target = str(tmp_path / "fresh.duckdb")
    day = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    job = dagster_defs(sim_now, target).resolve_job_def("sippet_backfill")
    result = job.execute_in_process(partition_key=day, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert _cursors(target) == []
