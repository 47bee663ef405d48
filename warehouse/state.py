"""Sync state (cursors), the run ledger and the quarantine table.

The sync writes these inside the same transaction as the rows they describe; the functions
here never open or commit transactions themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from warehouse.loader import STAGED


@dataclass(frozen=True)
class QuarantineRow:
    record_id: str
    field: str | None
    reason: str
    raw_json: str


def get_cursor(con: duckdb.DuckDBPyConnection, stream: str) -> str | None:
    row = con.execute(
        "SELECT cursor_value FROM sippet._sync_state WHERE stream = ?", [stream]
    ).fetchone()
    return row[0] if row else None


def set_cursor(con: duckdb.DuckDBPyConnection, stream: str, value: str | None) -> None:
    con.execute(
        "INSERT INTO sippet._sync_state VALUES (?, ?, now()) ON CONFLICT (stream) "
        "DO UPDATE SET cursor_value = excluded.cursor_value, updated_at = excluded.updated_at",
        [stream, value],
    )


def mark_interrupted_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Runs still 'running' belong to a process that died (one writer per file)."""
    row = con.execute(
        "UPDATE sippet._sync_runs SET status = 'interrupted' WHERE status = 'running'"
    ).fetchone()
    return int(row[0]) if row else 0


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    stream: str,
    mode: str,
    started_at: datetime,
    cursor_before: str | None,
) -> None:
    con.execute(
        "INSERT INTO sippet._sync_runs (run_id, stream, mode, started_at, status, cursor_before)"
        " VALUES (?, ?, ?, ?, 'running', ?)",
        [run_id, stream, mode, started_at, cursor_before],
    )


def update_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    stream: str,
    counters: dict[str, int],
    *,
    cursor_after: str | None = None,
    status: str | None = None,
    ended_at: datetime | None = None,
    error: str | None = None,
) -> None:
    """Write the run's counters (absolute values) and, when given, its outcome.

    `counters` maps ledger columns to values; its keys come from the engine's `RunCounters`
    (our own allowlist, one column each in `sippet._sync_runs`), never from API data.
    """
    sets = [f"{name} = ?" for name in counters]
    params: list[Any] = list(counters.values())
    for column, value in (
        ("cursor_after", cursor_after),
        ("status", status),
        ("ended_at", ended_at),
        ("error", error),
    ):
        if value is not None:
            sets.append(f"{column} = ?")
            params.append(value)
    con.execute(
        f"UPDATE sippet._sync_runs SET {', '.join(sets)} WHERE run_id = ? AND stream = ?",
        [*params, run_id, stream],
    )


def quarantine(
    con: duckdb.DuckDBPyConnection, stream: str, rows: Sequence[QuarantineRow], now: datetime
) -> None:
    """Record (or refresh) refused records; the newest reason and raw JSON win."""
    latest = {row.record_id: row for row in rows}
    con.executemany(
        "INSERT INTO sippet._quarantine VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (stream, record_id) DO UPDATE SET field = excluded.field, "
        "reason = excluded.reason, raw_json = excluded.raw_json, "
        "last_seen_at = excluded.last_seen_at",
        [
            [stream, r.record_id, r.field, r.reason, r.raw_json, now, now]
            for r in latest.values()
        ],
    )


def release_quarantined(con: duckdb.DuckDBPyConnection, stream: str) -> int:
    """Records of the staged batch that validated now leave quarantine."""
    row = con.execute(
        "DELETE FROM sippet._quarantine WHERE stream = ? "
        f"AND record_id IN (SELECT id FROM {STAGED})",
        [stream],
    ).fetchone()
    return int(row[0]) if row else 0


def quarantined_ids(con: duckdb.DuckDBPyConnection, stream: str) -> list[str]:
    """Ids of this stream's quarantined records (re-read each sync until they validate)."""
    rows = con.execute(
        "SELECT record_id FROM sippet._quarantine WHERE stream = ? "
        "AND NOT starts_with(record_id, '?') ORDER BY record_id",
        [stream],
    ).fetchall()
    return [row[0] for row in rows]


def earliest_idless(
    con: duckdb.DuckDBPyConnection, stream: str, cursor_field: str
) -> datetime | None:
    """Earliest cursor value among quarantined records that came without an id.

    They cannot be re-read by id, so the next read starts early enough to meet them again.
    `cursor_field` comes from the stream registry (a JSON path, never API data).
    """
    row = con.execute(
        "SELECT min(TRY_CAST(json_extract_string(raw_json, ?) AS TIMESTAMPTZ)) "
        "FROM sippet._quarantine WHERE stream = ? AND starts_with(record_id, '?')",
        [f"$.{cursor_field}", stream],
    ).fetchall()
    return row[0][0] if row else None


def clear_stale_idless(con: duckdb.DuckDBPyConnection, stream: str, since: datetime) -> int:
    """After a complete walk, id-less records not refused again were served valid: drop them."""
    row = con.execute(
        "DELETE FROM sippet._quarantine WHERE stream = ? AND starts_with(record_id, '?') "
        "AND last_seen_at < ?",
        [stream, since],
    ).fetchone()
    return int(row[0]) if row else 0


def max_value(con: duckdb.DuckDBPyConnection, table: str, column: str) -> datetime | None:
    """Largest value of a registry-declared column (used to repair a cursor in the future)."""
    row = con.execute(f"SELECT max({column}) FROM {table}").fetchall()
    return row[0][0] if row else None


def non_final_ids(con: duckdb.DuckDBPyConnection, table: str, final_when: str) -> list[str]:
    """Ids of rows not yet final (they must be re-read whatever their age).

    `final_when` is the registry's SQL predicate; a row where it is NULL (a hidden column)
    counts as not final."""
    rows = con.execute(
        f"SELECT id FROM {table} WHERE NOT coalesce(({final_when}), false) ORDER BY id"
    ).fetchall()
    return [row[0] for row in rows]


def ids_where_null(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[str]:
    """Ids of rows whose registry-declared `column` is NULL (a cursor hidden by policy)."""
    rows = con.execute(f"SELECT id FROM {table} WHERE {column} IS NULL ORDER BY id").fetchall()
    return [row[0] for row in rows]


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows held by a registry-declared table."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
