"""Materializing every asset through Dagster builds the same warehouse as the CLI path."""

from pathlib import Path

import duckdb
import pytest

from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS
from pipelines.sync import sync
from warehouse.analytics import build_models
from warehouse.catalog import column_types
from warehouse.store import open_warehouse

#: Columns that record when the sync ran (raw, state, quarantine and the analytics derived
#: from them), not what the API holds.
WALL_CLOCK_SUFFIXES = ("synced_at", "seen_at", "updated_at")
#: Bookkeeping tables that differ per run (run ids, timings); compared separately.
RUN_TABLES = {"_sync_runs", "_schema_migrations", "_migrations"}
#: Model columns computed from wall-clock sync times (durations between syncs): left out, and
#: the table compared as a set, since its day slices depend on when the syncs ran.
WALL_CLOCK_COLUMNS = {
    "operator_status_durations": ("status_date", "seconds", "share_of_observed"),
    # one wallet snapshot per sync: keyed by the run id, stamped with the time it was fetched
    "organisation_wallet_summary": ("id", "fetched_at"),
    "wallet_balance_history": ("snapshot_id", "observed_at"),
}


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('sippet', 'analytics') order by 1, 2"
    ).fetchall()


def _contents(target: str) -> dict[str, list[tuple]]:
    """Every table's rows (sorted), minus wall-clock columns and per-run bookkeeping."""
    con = duckdb.connect(target, read_only=True)
    try:
        contents = {}
        for schema, table in _tables(con):
            if table in RUN_TABLES:
                continue
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not name.endswith(WALL_CLOCK_SUFFIXES)
                and name not in WALL_CLOCK_COLUMNS.get(table, ())
            ]
            select = ", ".join(f'"{c}"::varchar' for c in columns)
            rows = con.execute(f"select {select} from {schema}.{table}").fetchall()
            if table in WALL_CLOCK_COLUMNS:
                rows = list(set(rows))
            contents[f"{schema}.{table}"] = sorted(rows, key=str)
        return contents
    finally:
        con.close()


def test_every_asset_and_check_succeeds(golden) -> None:
    result = golden["result"]
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    specs = [spec for checks in golden["defs"].asset_checks for spec in checks.check_specs]
    # one check of each kind per raw stream and per mart (grows with the registry and models)
    assert len(evaluations) == len(specs) > 3 * len(STREAMS)
    assert {
        (e.asset_check_key.to_user_string(), e.passed) for e in evaluations if not e.passed
    } == set()


def test_dagster_warehouse_equals_cli_warehouse(golden, sim_now, tmp_path: Path) -> None:
    target = str(tmp_path / "cli.duckdb")
    settings = SippetSettings(base_url=sim_now.url, api_key=sim_now.api_key, warehouse=target)
    assert all(r.ok for r in sync(settings, target))
    con = open_warehouse(target)
    try:
        build_models(con)
    finally:
        con.close()
    dagster_tables, cli_tables = _contents(golden["target"]), _contents(target)
    assert dagster_tables.keys() == cli_tables.keys()
    assert sum(len(rows) for rows in cli_tables.values()) > 1000
    for table in cli_tables:
        assert dagster_tables[table] == cli_tables[table], table


def test_raw_materializations_carry_sync_metadata(golden) -> None:
    materializations = golden["result"].asset_materializations_for_node("sippet__calls")
    metadata = materializations[0].metadata
    for key in (
        "rows_fetched",
        "rows_inserted",
        "rows_updated",
        "pages",
        "requests",
        "retries",
        "cursor_after",
        "duration_seconds",
    ):
        assert key in metadata, key
    assert metadata["rows_inserted"].value == metadata["dagster/row_count"].value > 0
    # a first sync has no cursor before it and no warnings: absent, not "None" / "none"
    assert "cursor_before" not in metadata and "warnings" not in metadata
    assert not [k for k, v in metadata.items() if str(v.value) in ("None", "none", "")]


def test_analytics_materializations_report_rows_dates_and_cost(golden) -> None:
    result = golden["result"]
    daily = result.asset_materializations_for_node("analytics__token_usage_daily")[0].metadata
    con = duckdb.connect(golden["target"], read_only=True)
    try:
        rows, latest, cost = con.execute(
            "select count(*), max(usage_date)::varchar, sum(cost_usd)::double "
            "from analytics.token_usage_daily"
        ).fetchone()
    finally:
        con.close()
    assert daily["dagster/row_count"].value == rows > 0
    assert daily["latest_usage_date"].value == latest
    assert daily["total_cost_usd"].value == pytest.approx(cost)
    tools = result.asset_materializations_for_node("analytics__tool_reliability")[0].metadata
    assert "total_cost_usd" not in tools and tools["dagster/row_count"].value > 0


def test_raw_tables_and_columns_carry_comments(golden) -> None:
    con = duckdb.connect(golden["target"], read_only=True)
    try:
        tables = con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'sippet' "
            "and not table_name like '\\_%' escape '\\' order by 1"
        ).fetchall()
        columns = con.execute(
            "select c.table_name, c.column_name, c.comment from duckdb_columns() c "
            "where c.schema_name = 'sippet' and not c.table_name like '\\_%' escape '\\'"
        ).fetchall()
    finally:
        con.close()
    assert len(tables) == len(STREAMS) and all(comment for _, comment in tables)
    assert len(columns) == sum(len(column_types()[spec.table]) for spec in STREAMS.values())
    assert [(t, c) for t, c, comment in columns if not comment] == []
    started = {(t, c): comment for t, c, comment in columns}[("calls", "started_at")]
    assert started == "When the call started (UTC)."


def test_api_key_never_reaches_the_event_log(golden, sim_now) -> None:
    assert golden["events"]
    assert not [event for event in golden["events"] if sim_now.api_key in event]


def test_failed_stream_fails_its_asset(
    golden, sim_now, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from tests.dagster.conftest import dagster_defs

    monkeypatch.setenv("SIPPET_API_KEY", "sk_wrong_key")
    defs = dagster_defs(sim_now, str(tmp_path / "w.duckdb"))
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(["sippet", "operator_statuses"])}
    )
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("sippet__operator_statuses")
    assert "operator_statuses failed" in failure.error.message
    assert "sk_wrong_key" not in failure.error.message
