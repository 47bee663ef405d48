"""Copy a file warehouse into another target (usually a DuckLake), verified row for row.

The target is brought to the current schema by the normal migrations, then every table of the
`sippet` and `analytics` schemas is copied in one transaction: a failure leaves the target's
tables empty, and the copy can simply be rerun. Afterwards each table is compared with the
source in both directions (`EXCEPT ALL`, so duplicates count too).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from warehouse import lake
from warehouse.conflicts import retry_on_conflict
from warehouse.errors import WarehouseError
from warehouse.schema import migrate, rollback_quietly
from warehouse.store import connect, open_warehouse

SOURCE = "sippet_source"
SCHEMAS = ("sippet", "analytics")
#: Bookkeeping the target writes for itself when migrated.
_OWN_TABLES = {"sippet._migrations"}


class MigrateError(WarehouseError):
    """The copy was refused (source newer than this version, target not empty) or differs."""


@dataclass
class MigrateReport:
    """What was copied: rows per table (`schema.table`) and whether every table matched."""

    source: str
    target: str
    tables: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def verified(self) -> bool:
        return not self.mismatches

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def migrate_to(
    source: str, target: str, *, env: Mapping[str, str] | None = None
) -> MigrateReport:
    """Copy the DuckDB file `source` into `target` (`ducklake:...` or another file).

    The target must not hold any rows yet. Raises MigrateError when verification fails.
    """
    started = time.perf_counter()
    _bring_source_up_to_date(source)
    con = open_warehouse(target, env=env)
    try:
        con.execute(f"ATTACH '{source.replace(chr(39), chr(39) * 2)}' AS {SOURCE} (READ_ONLY)")
        tables = _source_tables(con)
        _refuse_non_empty(con, tables)
        retry_on_conflict(lambda: _copy(con, tables))
        report = MigrateReport(lake.redact(source), lake.redact(target))
        for table in tables:
            report.tables[table] = _count(con, f"{SOURCE}.{table}")
            report.mismatches += _compare(con, table)
    finally:
        con.close()
    report.seconds = round(time.perf_counter() - started, 3)
    if report.mismatches:
        raise MigrateError("copy differs from the source: " + "; ".join(report.mismatches))
    return report


def _bring_source_up_to_date(source: str) -> None:
    if lake.is_lake(source):
        raise MigrateError("the source must be a DuckDB warehouse file")
    con = connect(source)
    try:
        migrate(con)
    finally:
        con.close()


def _source_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = ? AND schema_name IN (SELECT unnest(?)) ORDER BY 1",
        [SOURCE, list(SCHEMAS)],
    ).fetchall()
    return [row[0] for row in rows if row[0] not in _OWN_TABLES]


def _refuse_non_empty(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    existing = {
        row[0]
        for row in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
    }
    full = [t for t in tables if t in existing and _count(con, t) > 0]
    if full:
        raise MigrateError(f"target already holds rows in {', '.join(full)}: refusing to merge")


def _copy(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in tables:
            if table.startswith("sippet."):
                # Created by the migrations (same columns); copy by name, not position.
                columns = ", ".join(_columns(con, table))
                con.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {SOURCE}.{table}"
                )
            else:
                con.execute(f"CREATE OR REPLACE TABLE {table} AS FROM {SOURCE}.{table}")
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        raise


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index",
        [SOURCE, schema, name],
    ).fetchall()
    return [row[0] for row in rows]


def _compare(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    columns = ", ".join(_columns(con, table))
    problems = []
    for label, left, right in (
        ("missing from the target", f"{SOURCE}.{table}", table),
        ("not in the source", table, f"{SOURCE}.{table}"),
    ):
        extra = _count_sql(
            con, f"SELECT {columns} FROM {left} EXCEPT ALL SELECT {columns} FROM {right}"
        )
        if extra:
            problems.append(f"{table}: {extra} rows {label}")
    return problems


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return _count_sql(con, f"FROM {table}")


def _count_sql(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    [(n,)] = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()
    return int(n)
