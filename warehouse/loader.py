"""Bulk loads of one staged batch (an Arrow table) into a raw table.

The caller owns the transaction. Table and column names come only from the stream registry
(our own allowlist), never from API data; values always travel as parameters or Arrow data.
Every function expects the batch already deduplicated by id (newest version kept): DuckDB
2.0.1 silently keeps the *first* row when one upsert statement sees a key twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

STAGED = "_sippet_staged_batch"


@dataclass
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def stage(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> None:
    """Expose `batch` to SQL as the staged relation (zero-copy Arrow scan)."""
    con.register(STAGED, batch)


def unstage(con: duckdb.DuckDBPyConnection) -> None:
    con.unregister(STAGED)


def insert_new(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    *,
    synced_at: datetime,
    time_column: str | None = None,
    time_ranges: Sequence[tuple[datetime, datetime]] = (),
    first_seen_at: datetime | None = None,
) -> LoadCounts:
    """Insert staged rows whose id the table does not hold yet (immutable streams).

    With a time column the existence probe of a timed row only scans the batch's time ranges
    (one per slice the batch's pages came from: ids never change time, and DuckDB's zone maps
    skip the rest of a table loaded in time order) plus the rows whose time is hidden (NULL).
    A staged row without a time is probed against the whole table.
    """
    if time_column is None:
        return LoadCounts(inserted=_insert_absent(con, table, columns, synced_at, first_seen_at))
    # Several probes, not one OR: each keeps its own filter pushdown into the table scan.
    probe = f"SELECT id FROM {table} WHERE {time_column} IS NULL"
    params: list[object] = []
    for time_range in time_ranges:
        probe += f" UNION ALL SELECT id FROM {table} WHERE {time_column} BETWEEN ? AND ?"
        params += list(time_range)
    timed = _insert_absent(con, table, columns, synced_at, first_seen_at, probe=probe,
                           probe_params=params, where=f"s.{time_column} IS NOT NULL")
    untimed = _insert_absent(con, table, columns, synced_at, first_seen_at,
                             where=f"s.{time_column} IS NULL")
    return LoadCounts(inserted=timed + untimed)


def update_untimed(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], time_column: str, *,
    synced_at: datetime,
) -> int:
    """Update held rows whose time is hidden (NULL) when the staged version differs.

    Such rows are re-read every sync; an immutable row only "changes" when a field hidden by
    policy is revealed (its time included), and then the revealed values must land.
    """
    return _update_changed(con, table, columns, synced_at, only=f"t.{time_column} IS NULL")


def _insert_absent(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], synced_at: datetime,
    first_seen_at: datetime | None, *, probe: str | None = None,
    probe_params: Sequence[object] = (), where: str = "TRUE",
) -> int:
    cols = ", ".join(f"s.{c}" for c in columns)
    extra, params = _extra_columns(synced_at, first_seen_at)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}{extra['names']}) "
        f"SELECT {cols}{extra['values']} FROM {STAGED} s "
        f"ANTI JOIN ({probe or f'SELECT id FROM {table}'}) t ON t.id = s.id WHERE {where}"
    )
    return _count(con, sql, [*params, *probe_params])


def _extra_columns(synced_at: datetime, first_seen_at: datetime | None) -> tuple[dict, list]:
    names, values, params = ", _synced_at", ", ?", [synced_at]
    if first_seen_at is not None:
        names, values = names + ", _first_seen_at", values + ", ?"
        params.append(first_seen_at)
    return {"names": names, "values": values}, params


def upsert_changed(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], *, synced_at: datetime,
    first_seen_at: datetime | None = None,
) -> LoadCounts:
    """Update rows whose values changed, insert new ones; unchanged rows are not touched."""
    updated = _update_changed(con, table, columns, synced_at)
    counts = insert_new(con, table, columns, synced_at=synced_at, first_seen_at=first_seen_at)
    counts.updated = updated
    return counts


def _update_changed(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], synced_at: datetime,
    only: str = "TRUE",
) -> int:
    value_cols = [c for c in columns if c != "id"]
    assignments = ", ".join(f"{c} = s.{c}" for c in value_cols)
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM s.{c}" for c in value_cols)
    return _count(
        con,
        f"UPDATE {table} t SET {assignments}, _synced_at = ? FROM {STAGED} s "
        f"WHERE t.id = s.id AND {only} AND ({changed})",
        [synced_at],
    )


def delete_missing(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Delete rows absent from the staged batch (snapshot tables, after a complete walk)."""
    return _count(con, f"DELETE FROM {table} WHERE id NOT IN (SELECT id FROM {STAGED})")
