"""What the warehouse's tables are: their comments and their column types.

`comment_tables` stores descriptions with `COMMENT ON` (the raw tables get theirs from the sync
engine, which owns the record models; the analytics models from their SQL headers).
`column_types` builds an empty warehouse in memory (migrations, then every analytics model) and
reads back each table's DuckDB column types, so whoever shows a schema (the Dagster assets)
shows the types the real build produces and cannot drift from the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import duckdb

from warehouse.analytics import build_models
from warehouse.store import open_warehouse

#: {"schema.table": (table description, {column: description})}
TableDocs = Mapping[str, tuple[str, Mapping[str, str]]]


def comment_tables(con: duckdb.DuckDBPyConnection, docs: TableDocs) -> None:
    """`COMMENT ON` each table and each of its columns that exists and has a description.

    Columns described but absent from the table (a field added before its migration) are
    skipped rather than failing the caller.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        for table, (description, columns) in docs.items():
            existing = set(_columns(con, table))
            if not existing:
                continue
            if description:
                con.execute(f"COMMENT ON TABLE {table} IS {_literal(description)}")
            for column, text in columns.items():
                if column in existing and text:
                    con.execute(f"COMMENT ON COLUMN {table}.{column} IS {_literal(text)}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


@cache
def column_types() -> dict[str, dict[str, str]]:
    """{"schema.table": {column: DuckDB type}} of every raw and analytics table, in order.

    Built in memory from the migrations and the model SQL (the seed price list only), so it
    reads neither a warehouse file nor the environment.
    """
    con = open_warehouse(":memory:")
    try:
        build_models(con, prices_csv=[])
        rows = con.execute(
            "SELECT schema_name || '.' || table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name IN ('sippet', 'analytics') "
            "ORDER BY schema_name, table_name, column_index"
        ).fetchall()
    finally:
        con.close()
    types: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        types.setdefault(table, {})[column] = data_type
    return types


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, _, name = table.partition(".")
    return [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "AND database_name = current_database() ORDER BY column_index",
            [schema, name],
        ).fetchall()
    ]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
