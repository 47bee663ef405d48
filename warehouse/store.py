"""Opening a warehouse target, and the settings and maintenance of a writing connection.

`connect` is the only function in the project that knows what a warehouse target is: a local
DuckDB file path (the default) or a DuckLake (`ducklake:postgres:...`, `ducklake:sqlite:PATH`,
see `warehouse.lake`). Everything else takes a connection. `open_warehouse` connects and, for a
writer, applies the migrations (`warehouse.schema`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

import duckdb

from warehouse import lake
from warehouse.errors import WarehouseError, WarehouseLockedError
from warehouse.schema import migrate

_LOCK_MARKERS = ("Could not set lock", "Conflicting lock")
_RESERVED_CATALOG_NAMES = {"sippet", "analytics", "main", "memory", "system", "temp"}


_HOLDER = re.compile(r"held in (\S+) \(PID (\d+)\)")


def _lock_holder(exc: Exception) -> str:
    """'PID 123 (python3)' from DuckDB's lock message, so the user knows what to close."""
    match = _HOLDER.search(str(exc))
    if not match:
        return "another process"
    return f"PID {match.group(2)} ({Path(match.group(1)).name})"


def connect(
    target: str,
    *,
    read_only: bool = False,
    wait_seconds: float = 0.0,
    env: Mapping[str, str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse `target`; wait up to `wait_seconds` for another writer to finish.

    `env` (default: the process environment, read now) supplies a lake's data path and
    storage credentials.
    """
    if lake.is_lake(target):
        return _open_lake(target, read_only, os.environ if env is None else env)
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
                    "for the sync to finish. A DuckLake target (ducklake:sqlite:PATH) lets readers "
                    "and writers work at once: see docs/scaling.md.", holder
                ) from None
            time.sleep(0.5)
        except duckdb.Error as exc:
            # A truncated or foreign file, or one written by an incompatible DuckDB version.
            raise WarehouseError(
                f"cannot open warehouse {target!r}: {exc}. Is it a DuckDB database written by "
                f"DuckDB {duckdb.__version__}? Restore it from a copy or point SIPPET_WAREHOUSE "
                "elsewhere."
            ) from None


def _open_lake(
    target: str, read_only: bool, env: Mapping[str, str]
) -> duckdb.DuckDBPyConnection:
    con = lake.new_connection()
    try:
        lake.attach(con, target, env, read_only)
    except lake.LakeError as exc:
        con.close()
        raise WarehouseError(str(exc)) from None
    return con


def _open(target: str, read_only: bool) -> duckdb.DuckDBPyConnection:
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


#: The sync's DuckDB memory_limit when none is set: a file's buffer pool stays small (peak RSS
#: of a 1M sync 380 MB at 64MB, 487 MB at 128MB); a lake's Parquet-to-S3 writes allocate
#: ~77 MiB blocks and fail with "Out of Memory" at 64MB.
FILE_MEMORY_LIMIT, LAKE_MEMORY_LIMIT = "64MB", "256MB"


def tune_for_bulk_load(
    con: duckdb.DuckDBPyConnection, memory_limit: str | None, checkpoint_threshold: str = "64MB"
) -> None:
    """Settings for a writing sync, measured on the 1M-event benchmark.

    - The checkpoint threshold keeps DuckDB from checkpointing after each of a sync's many
      small commits (59 ms per commit measured) while bounding the WAL it holds in memory.
    - A memory limit keeps the buffer pool from growing with the table (DuckDB's default
      is 80% of RAM): the sync's memory then stays flat as history grows.
    """
    if memory_limit is None:
        memory_limit = LAKE_MEMORY_LIMIT if lake.is_lake_connection(con) else FILE_MEMORY_LIMIT
    con.execute("SET checkpoint_threshold = ?", [checkpoint_threshold])
    con.execute("SET memory_limit = ?", [memory_limit])


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """End of a sync: fold a file's WAL into the file. On a lake this does nothing: DuckLake's
    CHECKPOINT is full maintenance (merging and deleting data files), which would collide
    with other writers; run it on a schedule instead (docs/scaling.md)."""
    if not lake.is_lake_connection(con):
        con.execute("CHECKPOINT")


def open_warehouse(
    target: str,
    *,
    read_only: bool = False,
    wait_seconds: float = 0.0,
    env: Mapping[str, str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect and, for writers, bring the schema up to date."""
    con = connect(target, read_only=read_only, wait_seconds=wait_seconds, env=env)
    if not read_only:
        migrate(con)
    return con
