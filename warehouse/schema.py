"""The warehouse schema: the numbered migrations in `warehouse/migrations/` and applying them.

The same migrations serve a DuckDB file and a DuckLake. DuckLake refuses PRIMARY KEY/UNIQUE, so
on a lake each migration runs with those constraints removed (a key column keeps NOT NULL). No
code relies on the constraints: the sync writes with anti-join inserts and MERGE, which keep ids
unique on both targets, and the primary-key asset check verifies it. Shipped migrations are
never edited, so file warehouses created earlier keep their keys.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse import lake
from warehouse.conflicts import retry_on_conflict
from warehouse.crashpoints import crash_point
from warehouse.errors import WarehouseError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_COLUMN_KEY = re.compile(r"\s+(?:PRIMARY\s+KEY|UNIQUE)\b(?!\s*\()", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*(?:PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def list_migrations() -> list[Migration]:
    """The numbered migrations shipped with this version, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply every migration not yet recorded, each in its own transaction; return those applied.

    On a lake, another process may migrate at the same time: its commit makes ours conflict, or
    creates a table between our reading `_migrations` and our CREATE. Either way our
    transaction rolled back whole: start over (the migrations it applied are then skipped).
    """
    on_lake = lake.is_lake_connection(con)
    return retry_on_conflict(lambda: _migrate(con, on_lake), also=_created_meanwhile)


def _created_meanwhile(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.CatalogException) and "already exists" in str(exc)


def _migrate(con: duckdb.DuckDBPyConnection, on_lake: bool) -> list[Migration]:
    con.execute("CREATE SCHEMA IF NOT EXISTS sippet")
    con.execute(ddl(
        "CREATE TABLE IF NOT EXISTS sippet._migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
        on_lake,
    ))
    applied = {row[0] for row in con.execute("SELECT version FROM sippet._migrations").fetchall()}
    known = list_migrations()
    newest_known = max((m.version for m in known), default=0)
    if applied and max(applied) > newest_known:
        raise WarehouseError(
            f"warehouse schema is at migration {max(applied)}, newer than this version of "
            f"sippet-warehouse knows ({newest_known}): upgrade sippet-warehouse."
        )
    done = []
    for migration in known:
        if migration.version in applied:
            continue
        _apply(con, migration, on_lake)
        done.append(migration)
    return done


def ddl(sql: str, on_lake: bool) -> str:
    """`sql` as shipped, or for a lake with PRIMARY KEY/UNIQUE removed (keys stay NOT NULL)."""
    if not on_lake:
        return sql
    return _COLUMN_KEY.sub(" NOT NULL", _TABLE_KEY.sub("", sql))


def _apply(con: duckdb.DuckDBPyConnection, migration: Migration, on_lake: bool) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(ddl(migration.path.read_text(), on_lake))
        crash_point("during_migration")
        con.execute(
            "INSERT INTO sippet._migrations VALUES (?, ?, now())",
            [migration.version, migration.name],
        )
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        raise


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is open: a failed COMMIT (a lake conflict) already ended it."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")
