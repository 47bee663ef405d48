"""Compare a synced warehouse with the simulator's ground truth, row by row, column by column."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipelines.streams import STREAMS, StreamKind, StreamSpec
from warehouse.store import connect


def resource_of(spec: StreamSpec) -> str:
    """The simulator resource behind a stream: its model is named after the API resource."""
    return spec.model.__name__


def truth_streams(*, opt_in: bool = False) -> list[str]:
    """Streams with a row-by-row ground truth (a history has none), default streams only
    unless `opt_in`."""
    return [name for name, spec in STREAMS.items() if spec.kind is not StreamKind.HISTORY
            and (opt_in or spec.opt_in is None)]


def _normalize(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value.endswith("Z"):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return value
    return value


def truth_rows(simulator: Any, spec: StreamSpec) -> dict[str, dict[str, Any]]:
    """Ground truth of one stream keyed by id, with snake_case keys and typed values."""
    rows = {}
    for record in simulator.ground_truth(resource_of(spec)):
        rows[record["id"]] = {
            column: _normalize(record[field])
            for field, column in zip(spec.fields, spec.columns, strict=True)
        }
    return rows


class FrozenTruth:
    """A simulator's ground truth read once, for many diffs while its clock stands still
    (e.g. resuming from every saved state of one sync): pass it where a simulator goes."""

    def __init__(self, simulator: Any) -> None:
        self.simulator = simulator
        self.now = simulator.now
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}

    def rows(self, spec: StreamSpec) -> dict[str, dict[str, Any]]:
        # the truth is only frozen while the simulator's clock is
        assert self.simulator.now == self.now, "the simulator's clock moved"
        if spec.name not in self._rows:
            self._rows[spec.name] = truth_rows(self.simulator, spec)
        return self._rows[spec.name]


def warehouse_rows(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> dict[str, dict]:
    json_columns = _json_columns(con, spec)
    fetched = con.execute(f"SELECT {', '.join(spec.columns)} FROM {spec.table}").fetchall()
    rows: dict[str, dict] = {}
    for values in fetched:
        row = dict(zip(spec.columns, values, strict=True))
        for column in json_columns:
            if row[column] is not None:
                row[column] = json.loads(row[column])
        rows[row["id"]] = {k: _normalize(v) for k, v in row.items()}
    return rows


def _json_columns(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> set[str]:
    schema, table = spec.table.split(".")
    found = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? AND data_type = 'JSON'",
        [schema, table],
    ).fetchall()
    return {r[0] for r in found}


def duplicate_ids(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> int:
    return con.execute(
        f"SELECT count(*) - count(DISTINCT id) FROM {spec.table}"
    ).fetchone()[0]


def diff_stream(con: duckdb.DuckDBPyConnection, simulator: Any, spec: StreamSpec) -> list[str]:
    """Human-readable differences (empty when the table equals the ground truth exactly)."""
    problems = []
    dupes = duplicate_ids(con, spec)
    if dupes:
        problems.append(f"{spec.name}: {dupes} duplicate ids")
    truth = (simulator.rows(spec) if isinstance(simulator, FrozenTruth)
             else truth_rows(simulator, spec))
    held = warehouse_rows(con, spec)
    missing, extra = truth.keys() - held.keys(), held.keys() - truth.keys()
    if missing:
        problems.append(f"{spec.name}: {len(missing)} missing, e.g. {sorted(missing)[:3]}")
    if extra:
        problems.append(f"{spec.name}: {len(extra)} unexpected, e.g. {sorted(extra)[:3]}")
    changed = [i for i in truth.keys() & held.keys() if truth[i] != held[i]]
    for record_id in changed[:3]:
        cols = [c for c in spec.columns if truth[record_id][c] != held[record_id][c]]
        problems.append(
            f"{spec.name}: {record_id} differs in {cols}: truth "
            f"{[truth[record_id][c] for c in cols]} warehouse {[held[record_id][c] for c in cols]}"
        )
    if len(changed) > 3:
        problems.append(f"{spec.name}: ... {len(changed)} rows differ in total")
    return problems


def diff_warehouse(
    target: str | duckdb.DuckDBPyConnection,
    simulator: Any,
    streams: list[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Differences for a warehouse given as a file path, a `ducklake:` target (opened with
    `env`) or an open connection (left open)."""
    if isinstance(target, duckdb.DuckDBPyConnection):
        return _diff(target, simulator, streams)
    if target.startswith("ducklake:"):
        con = connect(target, read_only=True, env=env)
    else:
        con = duckdb.connect(target, read_only=True)
    try:
        return _diff(con, simulator, streams)
    finally:
        con.close()


def _diff(con: duckdb.DuckDBPyConnection, simulator: Any, streams: list[str] | None
          ) -> list[str]:
    problems = []
    for name in streams or truth_streams():
        problems += diff_stream(con, simulator, STREAMS[name])
    return problems
