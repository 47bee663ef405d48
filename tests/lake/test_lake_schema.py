"""One schema for file and lake: the shipped migrations, keys removed only on a lake."""

from __future__ import annotations

import contextlib
import re
import sqlite3

import duckdb
import pytest

from warehouse import lake
from warehouse.conflicts import retry_on_conflict
from warehouse.errors import WarehouseError
from warehouse.schema import ddl, list_migrations
from warehouse.store import connect, open_warehouse, tune_for_bulk_load

COLUMNS_SQL = (
    "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
    "WHERE database_name = current_database() AND schema_name = 'sippet' ORDER BY ALL"
)


def _code(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def test_lake_ddl_has_no_key_constraints_but_keeps_not_null():
    for migration in list_migrations():
        shipped = migration.path.read_text()
        stripped = _code(ddl(shipped, on_lake=True))
        assert "PRIMARY KEY" not in stripped and "UNIQUE" not in stripped
        assert ddl(shipped, on_lake=False) == shipped
    assert "id VARCHAR NOT NULL," in ddl("CREATE TABLE t (id VARCHAR PRIMARY KEY, x INT)", True)


def test_file_and_lake_get_the_same_columns(tmp_path, sqlite_lake):
    file_con = open_warehouse(str(tmp_path / "w.duckdb"))
    lake_con = open_warehouse(sqlite_lake.target, env=sqlite_lake.env)
    try:
        assert lake.is_lake_connection(lake_con) and not lake.is_lake_connection(file_con)
        file_columns = file_con.execute(COLUMNS_SQL).fetchall()
        assert lake_con.execute(COLUMNS_SQL).fetchall() == file_columns
        assert ("calls", "id", "VARCHAR", False) in file_columns
        # Nothing may be fetched from the network: extensions come from the wheels only.
        settings = lake_con.execute(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')").fetchone()
        assert settings == (False, False)
        versions = [r[0] for r in lake_con.execute(
            "SELECT version FROM sippet._migrations ORDER BY 1").fetchall()]
        assert versions == [m.version for m in list_migrations()]
    finally:
        file_con.close()
        lake_con.close()


def test_a_missing_extension_wheel_is_named(monkeypatch, sqlite_lake):
    monkeypatch.setitem(lake._EXTENSIONS, "sqlite_scanner", "duckdb-extension-not-installed")
    with pytest.raises(WarehouseError, match="pip install duckdb-extension-not-installed=="):
        connect(sqlite_lake.target, env=sqlite_lake.env)


def test_a_sqlite_catalog_is_put_in_wal_mode(sqlite_lake):
    # In the default rollback-journal mode a polling reader meets "database is locked" while a
    # sync commits (test_lake_concurrency's reader caught it); WAL lets both go on.
    catalog = sqlite_lake.target.removeprefix("ducklake:sqlite:")
    open_warehouse(sqlite_lake.target, env=sqlite_lake.env).close()
    with contextlib.closing(sqlite3.connect(catalog)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "ducklake_snapshot" in tables  # DuckLake made its catalog in the WAL-mode file


def test_an_unusable_sqlite_catalog_path_is_a_clear_error(tmp_path):
    (tmp_path / "catalog.sqlite").mkdir()  # a directory where the catalog file should be
    with pytest.raises(WarehouseError, match="cannot open the SQLite catalog"):
        connect(f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}")


def test_the_sync_memory_limit_defaults_to_64mb_on_a_file_and_256mb_on_a_lake(
        tmp_path, sqlite_lake):
    reference = duckdb.connect()
    expected = {}
    for size in ("64MB", "256MB"):
        reference.execute("SET memory_limit = ?", [size])
        expected[size] = reference.execute("SELECT current_setting('memory_limit')").fetchone()
    for target, env, size in ((str(tmp_path / "w.duckdb"), None, "64MB"),
                              (sqlite_lake.target, sqlite_lake.env, "256MB")):
        con = open_warehouse(target, env=env)
        try:
            tune_for_bulk_load(con, None)
            assert con.execute("SELECT current_setting('memory_limit')").fetchone() == (
                expected[size]), target
        finally:
            con.close()


def test_a_lake_conflict_is_retried_and_any_other_error_is_not():
    calls: list[str] = []

    def commits_on_the_fourth_try() -> str:
        calls.append("try")
        if len(calls) < 4:  # what a SQLite catalog's read-to-write upgrade raises
            raise duckdb.TransactionException(
                "Failed to commit DuckLake transaction: database is locked")
        return "committed"

    assert retry_on_conflict(commits_on_the_fourth_try, max_wait=0.01) == "committed"
    assert len(calls) == 4

    def fails_otherwise() -> None:
        calls.append("other")
        raise duckdb.TransactionException("Constraint Error: NOT NULL violated")

    with pytest.raises(duckdb.TransactionException, match="NOT NULL"):
        retry_on_conflict(fails_otherwise, max_wait=0.01)
    assert calls.count("other") == 1

    def always_conflicts() -> None:
        raise duckdb.TransactionException("Transaction conflict on table calls")

    with pytest.raises(duckdb.TransactionException, match="Transaction conflict"):
        retry_on_conflict(always_conflicts, patience=0.0)  # out of patience: raised
