"""Sync state (cursors), the run ledger and the quarantine table.

The sync writes these inside the same transaction as the rows they describe; the functions
here never open or commit transactions themselves. The sync also calls some of them outside a
transaction (run start and end): on a lake such a statement commits by itself and may meet a
concurrent writer's conflict, so writes go through `_write`, which reruns a statement that
lost a conflict. Inside a transaction a conflict only surfaces at COMMIT, where the flush
retries the whole transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.conflicts import retry_on_conflict
from warehouse.loader import STAGED

_QUARANTINE_BATCH = "_sippet_quarantine_batch"


@dataclass(frozen=True)
class QuarantineRow:
    record_id: str
    field: str | None
    reason: str
    raw_json: str


def _write(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one write statement; return the number of rows it changed."""
    row = retry_on_conflict(lambda: con.execute(sql, params).fetchone())
    return int(row[0]) if row else 0


def get_cursor(con: duckdb.DuckDBPyConnection, stream: str) -> str | None:
    row = con.execute(
        "SELECT cursor_value FROM sippet._sync_state WHERE stream = ?", [stream]
    ).fetchone()
    return row[0] if row else None


def set_cursor(con: duckdb.DuckDBPyConnection, stream: str, value: str | None) -> None:
    # MERGE, not ON CONFLICT: DuckLake has no keys for ON CONFLICT to use.
    con.execute(
        "MERGE INTO sippet._sync_state t USING (SELECT ? AS stream, ?::VARCHAR AS cursor_value) s "
        "ON t.stream = s.stream "
        "WHEN MATCHED THEN UPDATE SET cursor_value = s.cursor_value, updated_at = now() "
        "WHEN NOT MATCHED THEN INSERT VALUES (s.stream, s.cursor_value, now())",
        [stream, value],
    )


def mark_interrupted_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Runs still 'running' belong to a process that died (one writer per file).

    On a shared lake a concurrent live run may be marked too; it writes its final status
    when it ends (docs/scaling.md)."""
    return _write(
        con, "UPDATE sippet._sync_runs SET status = 'interrupted' WHERE status = 'running'"
    )


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    stream: str,
    mode: str,
    started_at: datetime,
    cursor_before: str | None,
) -> None:
    _write(
        con,
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
    _write(
        con,
        f"UPDATE sippet._sync_runs SET {', '.join(sets)} WHERE run_id = ? AND stream = ?",
        [*params, run_id, stream],
    )


def quarantine(
    con: duckdb.DuckDBPyConnection, stream: str, rows: Sequence[QuarantineRow], now: datetime
) -> None:
    """Record (or refresh) refused records; the newest reason and raw JSON win."""
    latest = list({row.record_id: row for row in rows}.values())
    batch = pa.table({
        "record_id": pa.array([r.record_id for r in latest], pa.string()),
        "field": pa.array([r.field for r in latest], pa.string()),
        "reason": pa.array([r.reason for r in latest], pa.string()),
        "raw_json": pa.array([r.raw_json for r in latest], pa.string()),
    })
    con.register(_QUARANTINE_BATCH, batch)
    try:
        # MERGE, not ON CONFLICT: DuckLake has no keys for ON CONFLICT to use.
        con.execute(
            f"MERGE INTO sippet._quarantine t USING {_QUARANTINE_BATCH} s "
            "ON t.stream = ? AND t.record_id = s.record_id "
            "WHEN MATCHED THEN UPDATE SET field = s.field, reason = s.reason, "
            "raw_json = s.raw_json, last_seen_at = ? "
            "WHEN NOT MATCHED THEN INSERT "
            "VALUES (?, s.record_id, s.field, s.reason, s.raw_json, ?, ?)",
            [stream, now, stream, now, now],
        )
    finally:
        con.unregister(_QUARANTINE_BATCH)


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
    return _write(
        con,
        "DELETE FROM sippet._quarantine WHERE stream = ? AND starts_with(record_id, '?') "
        "AND last_seen_at < ?",
        [stream, since],
    )


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


def count_between(con: duckdb.DuckDBPyConnection, table: str, column: str, start: datetime,
                  end: datetime) -> int:
    """Rows of a registry-declared table whose `column` lies in [start, end)."""
    row = con.execute(f"SELECT count(*) FROM {table} WHERE {column} >= ? AND {column} < ?",
                      [start, end]).fetchone()
    return int(row[0]) if row else 0
