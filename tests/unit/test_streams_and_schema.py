"""The stream registry, the wire models and the migrations agree with each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pipelines.readers import lookback_start, time_filter
from pipelines.streams import STREAMS, get_stream
from warehouse.errors import WarehouseError
from warehouse.schema import list_migrations, migrate
from warehouse.store import open_warehouse


def test_every_model_field_has_a_snake_case_typed_column():
    con = duckdb.connect()
    migrate(con)
    expected_types = {"started_at": "TIMESTAMP WITH TIME ZONE", "duration_seconds": "BIGINT",
                      "token_usage": "JSON", "success": "BOOLEAN", "progress_percent": "DOUBLE",
                      "from_number": "VARCHAR"}
    for spec in STREAMS.values():
        schema, table = spec.table.split(".")
        columns = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table]).fetchall())
        assert list(columns)[: len(spec.columns)] == spec.columns
        assert "_synced_at" in columns
        for column, sql_type in expected_types.items():
            if column in columns:
                assert columns[column] == sql_type, (spec.name, column)


def test_field_name_mapping():
    calls = get_stream("calls")
    assert calls.fields[calls.columns.index("started_at")] == "startedAt"
    assert calls.cursor_column == "started_at"
    assert get_stream("call_ai_audit_events").fields.count("inputCachedAudioTokens") == 1
    with pytest.raises(ValueError, match="unknown stream 'nope'; known streams: calls"):
        get_stream("nope")


def test_migrations_apply_once_and_are_recorded(tmp_path):
    target = str(tmp_path / "w.duckdb")
    con = open_warehouse(target)
    assert [r[0] for r in con.execute("SELECT version FROM sippet._migrations ORDER BY 1")
            .fetchall()] == [m.version for m in list_migrations()]
    assert migrate(con) == []
    con.close()


def test_newer_warehouse_is_refused(tmp_path):
    target = str(tmp_path / "w.duckdb")
    con = open_warehouse(target)
    con.execute("INSERT INTO sippet._migrations VALUES (999, 'future', now())")
    with pytest.raises(WarehouseError, match="migration 999, newer than"):
        migrate(con)
    con.close()


def test_garbage_file_gives_a_clear_error(tmp_path):
    target = tmp_path / "broken.duckdb"
    target.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(WarehouseError, match="cannot open warehouse"):
        open_warehouse(str(target))


def test_cursor_arithmetic():
    floor = datetime(2020, 1, 1, tzinfo=UTC)
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert lookback_start(None, hour, floor, now) == floor
    assert lookback_start(now - 2 * hour, hour, floor, now) == now - 3 * hour
    # A cursor in the future never starts the read after now - lookback.
    assert lookback_start(now + 48 * hour, hour, floor, now) == now - hour
    assert lookback_start(floor, hour, floor, now) == floor
    assert time_filter("occurredAt", now - hour, now) == {
        "occurredAt": {"lessThan": "2026-11-01T12:00:00.000000Z",
                       "greaterThanOrEqual": "2026-11-01T11:00:00.000000Z"}}
