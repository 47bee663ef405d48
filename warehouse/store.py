"""Opening the warehouse and applying migrations.

`connect` is the only function in the project that knows what a warehouse target is: a local
DuckDB file path (the default), a MotherDuck database (`md:name`) or a DuckLake catalog
(`ducklake:metadata.ducklake`). Everything else takes a connection.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.crashpoints import crash_point

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock")
_RESERVED_CATALOG_NAMES = {"sippet", "analytics", "main", "memory", "system", "temp"}


class WarehouseError(Exception):
    """The warehouse cannot be opened or is not in a usable state."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the DuckDB file (DuckDB allows one writing process per file)."""

    def __init__(self, message: str, holder: str = "another process") -> None:
        super().__init__(message)
        self.holder = holder


_HOLDER = re.compile(r"held in (\S+) \(PID (\d+)\)")


def _lock_holder(exc: Exception) -> str:
    """'PID 123 (python3)' from DuckDB's lock message, so the user knows what to close."""
    match = _HOLDER.search(str(exc))
    if not match:
        return "another process"
    return f"PID {match.group(2)} ({Path(match.group(1)).name})"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def connect(
    target: str, *, read_only: bool = False, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse `target`; wait up to `wait_seconds` for another writer to finish."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _open(target, read_only)
        except duckdb.IOException as exc:
            if not any(marker in str(exc) for marker in _LOCK_MARKERS):
                raise WarehouseError(f"cannot open warehouse {target!r}: {exc}") from None
            if time.monotonic() >= deadline:
                holder = _lock_holder(exc)
                # Names no CLI option: the caller adds one if it has it (`sync --wait`).
                raise WarehouseLockedError(
                    f"warehouse {target!r} is locked by another process ({holder}: a running "
                    "sync or an open notebook/DuckDB session). DuckDB allows one writer per "
                    "file and no readers while it writes: close the other session or wait "
                    "for the sync to finish.", holder
                ) from None
            time.sleep(0.5)
        except duckdb.Error as exc:
            # A truncated or foreign file, or one written by an incompatible DuckDB version.
            raise WarehouseError(
                f"cannot open warehouse {target!r}: {exc}. Is it a DuckDB database written by "
                "DuckDB 2.0.x? Restore it from a copy or point SIPPET_WAREHOUSE elsewhere."
            ) from None


def _open(target: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    if target.startswith(("md:", "motherduck:")):
        return duckdb.connect(target, read_only=read_only)
    if target.startswith("ducklake:"):
        con = duckdb.connect()
        mode = " (READ_ONLY)" if read_only else ""
        con.execute(f"ATTACH '{_quote(target)}' AS sippet_lake{mode}")
        con.execute("USE sippet_lake")
        return con
    if target == ":memory:":
        return duckdb.connect()
    if Path(target).is_dir():
        raise WarehouseError(f"warehouse {target!r} is a directory: SIPPET_WAREHOUSE or "
                             f"--warehouse must name a DuckDB file, e.g. {target}/warehouse.duckdb")
    if read_only and not Path(target).exists():
        raise WarehouseError(f"warehouse {target!r} does not exist: run `sippet-sync sync` (or "
                             "`sippet-sync demo`) first, or point SIPPET_WAREHOUSE or "
                             "--warehouse at an existing file")
    if not read_only:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    if Path(target).stem.lower() not in _RESERVED_CATALOG_NAMES:
        return duckdb.connect(target, read_only=read_only)
    # DuckDB names the catalog after the file stem: a file called sippet.duckdb would make
    # `sippet.calls` ambiguous (catalog sippet or schema sippet?). Attach it under an alias.
    con = duckdb.connect()
    mode = " (READ_ONLY)" if read_only else ""
    con.execute(f"ATTACH '{_quote(target)}' AS warehouse{mode}")
    con.execute("USE warehouse")
    return con


def _quote(value: str) -> str:
    return value.replace("'", "''")


def list_migrations() -> list[Migration]:
    """The numbered migrations shipped with this version, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply every migration not yet recorded, each in its own transaction; return those applied."""
    con.execute("CREATE SCHEMA IF NOT EXISTS sippet")
    con.execute(
        "CREATE TABLE IF NOT EXISTS sippet._migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
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
        _apply(con, migration)
        done.append(migration)
    return done


def _apply(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(migration.path.read_text())
        crash_point("during_migration")
        con.execute(
            "INSERT INTO sippet._migrations VALUES (?, ?, now())",
            [migration.version, migration.name],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def tune_for_bulk_load(
    con: duckdb.DuckDBPyConnection, memory_limit: str, checkpoint_threshold: str = "1GB"
) -> None:
    """Settings for a writing sync, measured on the 1M-event benchmark.

    - A large checkpoint threshold stops DuckDB from checkpointing inside the many small
      commits of a sync (59 ms per commit measured); the sync ends with one CHECKPOINT.
    - A memory limit keeps the buffer pool from growing with the table (DuckDB's default
      is 80% of RAM): the sync's memory then stays flat as history grows.
    """
    con.execute("SET checkpoint_threshold = ?", [checkpoint_threshold])
    con.execute("SET memory_limit = ?", [memory_limit])


def open_warehouse(
    target: str, *, read_only: bool = False, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """Connect and, for writers, bring the schema up to date."""
    con = connect(target, read_only=read_only, wait_seconds=wait_seconds)
    if not read_only:
        migrate(con)
    return con
