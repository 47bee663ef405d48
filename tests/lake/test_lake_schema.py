"""One schema for file and lake: the shipped migrations, keys removed only on a lake."""

from __future__ import annotations

import re

import pytest

from warehouse import lake
from warehouse.store import WarehouseError, connect, ddl, list_migrations, open_warehouse

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
