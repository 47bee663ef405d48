"""A backfill (run config `since`/`until` on the raw assets) restores one UTC day of the
time-windowed streams, cursors untouched, and is recorded on the raw assets themselves."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.raw import WINDOWED_KINDS
from pipelines.streams import STREAMS
from tests.dagster.conftest import copy_warehouse, dagster_defs

#: Every stream the backfill job re-reads by window, with its time column (from the registry).
DAY_COLUMNS = {s.name: s.cursor_column for s in STREAMS.values() if s.kind in WINDOWED_KINDS}


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


def _window_config(start: datetime, end: datetime) -> dict:
    window = {"since": start.isoformat(), "until": end.isoformat()}
    return {"ops": {f"sippet__{stream}": {"config": window} for stream in DAY_COLUMNS}}


def test_backfill_window_restores_a_day_without_moving_cursors(
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
        run_config=_window_config(start, end), instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    assert _day_counts(target, start, end) == expected
    assert _cursors(target) == cursors
    reported = {
        m.asset_key.to_user_string(): (m.metadata["mode"].value, m.metadata["window_since"].value)
        for stream in DAY_COLUMNS
        for m in result.asset_materializations_for_node(f"sippet__{stream}")
    }
    assert reported == {f"sippet/{s}": ("window", start.isoformat()) for s in DAY_COLUMNS}


def test_backfill_into_an_empty_warehouse_sets_no_cursor(
    sim_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise the next incremental sync would start after the backfilled day."""
    monkeypatch.setenv("SIPPET_API_KEY", sim_now.api_key)
    target = str(tmp_path / "fresh.duckdb")
    start = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
    job = dagster_defs(sim_now, target).resolve_job_def("sippet_backfill")
    result = job.execute_in_process(
        run_config=_window_config(start, start + timedelta(days=1)),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert _cursors(target) == []


def test_a_window_on_a_snapshot_stream_fails_without_retry(
    sim_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIPPET_API_KEY", sim_now.api_key)
    defs = dagster_defs(sim_now, str(tmp_path / "w.duckdb"))
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(["sippet", "operator_statuses"])}
    )
    config = {"ops": {"sippet__operator_statuses": {"config": {"since": "2026-11-01T00:00:00Z"}}}}
    result = job.execute_in_process(
        run_config=config, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    failure = result.failure_data_for_node("sippet__operator_statuses")
    assert "only time-windowed streams" in failure.error.message
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retries == []


def test_the_backfill_job_without_a_window_fails_instead_of_syncing(
    sim_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Launched with no `since`, the backfill job would quietly be an incremental sync."""
    monkeypatch.setenv("SIPPET_API_KEY", sim_now.api_key)
    target = str(tmp_path / "w.duckdb")
    job = dagster_defs(sim_now, target).resolve_job_def("sippet_backfill")
    requests_before = sim_now.simulator.stats_summary()["requests"]  # a shared simulator
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    for stream in DAY_COLUMNS:
        failure = result.failure_data_for_node(f"sippet__{stream}")
        assert f"Failure: {stream}: the backfill job re-reads a window: give `since`" in (
            failure.error.message), failure.error.message
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retries == []
    assert sim_now.simulator.stats_summary()["requests"] == requests_before  # nothing synced
