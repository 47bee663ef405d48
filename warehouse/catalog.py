"""What the warehouse's tables are: their comments and their column types.

`comment_tables` stores descriptions with `COMMENT ON` (the raw tables get theirs from the sync
engine, which owns the record models; the analytics models from their SQL headers).
`column_types` builds an empty warehouse in memory (migrations, then every analytics model) and
reads back each table's DuckDB column types, so whoever shows a schema (the Dagster assets)
shows the types the real build produces and cannot drift from the SQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from functools import cache

import duckdb

from warehouse.analytics import build_models
from warehouse.conflicts import retry_on_conflict
from warehouse.store import open_warehouse

#: {"schema.table": (table description, {column: description})}
TableDocs = Mapping[str, tuple[str, Mapping[str, str]]]


def comment_tables(con: duckdb.DuckDBPyConnection, docs: TableDocs) -> None:
    """`COMMENT ON` each table and each of its columns that exists and has a description.

    Only comments that differ from the stored ones are written, so a sync after the first
    issues no DDL (on a shared lake every DDL statement is a catalog write other writers
    would conflict with). Columns described but absent from the table (a field added before
    its migration) are skipped rather than failing the caller.
    """
    def attempt() -> None:
        # Recomputed per attempt: after a conflict another writer may have written them.
        statements = [sql for table, doc in docs.items()
                      for sql in _comment_changes(con, table, doc)]
        if not statements:
            return
        con.execute("BEGIN TRANSACTION")
        try:
            for sql in statements:
                con.execute(sql)
            con.execute("COMMIT")
        except BaseException:
            # A failed COMMIT has already ended the transaction: only the cause propagates.
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise

    # Two syncs starting together on a fresh lake both write the comments: one conflicts.
    retry_on_conflict(attempt)


def _comment_changes(con: duckdb.DuckDBPyConnection, table: str,
                     doc: tuple[str, Mapping[str, str]]) -> list[str]:
    description, columns = doc
    schema, _, name = table.partition(".")
    stored = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "AND database_name = current_database()", [schema, name]).fetchall()
    if not stored:
        return []
    held = dict(con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? "
        "AND table_name = ? AND database_name = current_database()", [schema, name]).fetchall())
    changes = []
    if description and stored[0][0] != description:
        changes.append(f"COMMENT ON TABLE {table} IS {_literal(description)}")
    changes += [f"COMMENT ON COLUMN {table}.{column} IS {_literal(text)}"
                for column, text in columns.items()
                if column in held and text and held[column] != text]
    return changes


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


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
