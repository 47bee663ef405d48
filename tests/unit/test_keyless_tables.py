"""Migration 011: the tables that grow without bound carry no PRIMARY KEY (no ART index).

A keyed `sippet.calls` made the sync fail with "Out of Memory" under its own 64MB
memory_limit once it held about 450k calls; these tests show the rebuild keeps every row and
that the sync's write path then stays within a memory limit the keyed table exceeds.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from warehouse import loader
from warehouse.schema import list_migrations, migrate
from warehouse.store import tune_for_bulk_load

GROWING = ("calls", "_sync_runs", "_quarantine")
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _at_migration(con: duckdb.DuckDBPyConnection, last: int) -> None:
    """A warehouse as an earlier release left it: migrations up to `last` applied."""
    con.execute("CREATE SCHEMA sippet")
    con.execute("CREATE TABLE sippet._migrations (version INTEGER PRIMARY KEY, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    for m in list_migrations():
        if m.version <= last:
            con.execute(m.path.read_text())
            con.execute("INSERT INTO sippet._migrations VALUES (?, ?, now())", [m.version, m.name])


def _keys(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE schema_name = 'sippet' "
        "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute("SELECT column_name, data_type, is_nullable, column_default "
                       "FROM information_schema.columns WHERE table_schema = 'sippet' "
                       "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()


def test_an_earlier_warehouse_keeps_its_rows_and_columns_and_loses_its_keys():
    con = duckdb.connect()
    _at_migration(con, 10)
    assert set(GROWING) <= _keys(con)
    con.execute("INSERT INTO sippet.calls (id, status, started_at, _synced_at) VALUES "
                "('c2', 'answered', ?, ?), ('c1', 'completed', ?, ?)", [T0, T0, T0, T0])
    con.execute("INSERT INTO sippet._sync_runs (run_id, stream, mode, started_at, status, pages) "
                "VALUES ('r1', 'calls', 'incremental', ?, 'succeeded', 3)", [T0])
    con.execute("INSERT INTO sippet._quarantine VALUES ('calls', 'c9', 'status', 'bad', '{}', "
                "?, ?)", [T0, T0])
    before = {t: (_columns(con, t), con.execute(f"SELECT * FROM sippet.{t} ORDER BY ALL")
                  .fetchall()) for t in GROWING}

    assert [m.version for m in migrate(con)] == [11]

    assert _keys(con) == {"_migrations", "_sync_state", "operator_statuses"}
    for table, (columns, rows) in before.items():
        assert _columns(con, table) == columns, table
        assert con.execute(f"SELECT * FROM sippet.{table} ORDER BY ALL").fetchall() == rows
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE "
                       "'%rebuilt%'").fetchone() == (0,)
    # A ledger row still gets its counters' defaults.
    con.execute("INSERT INTO sippet._sync_runs (run_id, stream, mode, started_at, status) "
                "VALUES ('r2', 'calls', 'incremental', ?, 'running')", [T0])
    assert con.execute("SELECT pages, rows_inserted FROM sippet._sync_runs WHERE run_id = 'r2'"
                       ).fetchone() == (0, 0)


def _load_calls(con: duckdb.DuckDBPyConnection, total: int, batch: int = 5000) -> None:
    """The sync's own write path for `calls` (UPDATE ... FROM, then anti-join INSERT)."""
    columns = ["id", "status", "started_at"]
    for start in range(0, total, batch):
        staged = pa.table({"id": [str(uuid.uuid4()) for _ in range(batch)],
                           "status": ["completed"] * batch,
                           "started_at": [T0 + timedelta(seconds=start + i) for i in range(batch)]})
        loader.stage(con, staged)
        con.execute("BEGIN")
        loader.upsert_changed(con, "sippet.calls", columns, synced_at=T0)
        con.execute("COMMIT")
        loader.unstage(con)


@pytest.mark.parametrize("last_migration", [10, 11])
def test_the_write_path_fits_a_memory_limit_only_without_the_key(tmp_path, last_migration):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _at_migration(con, 10)
    if last_migration == 11:
        migrate(con)
    # The sync's settings at half its memory_limit: measured, a keyed table fails near 150k
    # calls at 32MB (near 450k at the sync's 64MB); without the key 2M calls load at 64MB.
    tune_for_bulk_load(con, "32MB")
    con.execute("SET threads = 1")  # one allocation order, whatever the machine
    if last_migration == 10:
        with pytest.raises(duckdb.OutOfMemoryException, match="Out of Memory Error"):
            _load_calls(con, 300_000)
    else:
        _load_calls(con, 300_000)
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM sippet.calls"
                           ).fetchone() == (300_000, 300_000)
