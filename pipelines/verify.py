"""Source reconciliation: does the warehouse hold what the API holds?

For each of the last N complete UTC days, the API's `count` of a time-cursored stream's rows
whose `occurredAt` falls in that day must equal the warehouse's rows for that day. And every
completed call that ended more than an hour ago (within the same days) must have transcript
lines. Backs the `sippet-sync verify` command and the Dagster reconciliation checks; never
imports dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from pipelines.client import SippetClient
from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS
from pipelines.timestamps import format_instant
from warehouse.store import connect

#: Streams whose daily row counts are compared with the API's (time-cursored, immutable).
RECONCILED_STREAMS = ("call_transcripts", "call_ai_audit_events")
#: A completed call gets its transcript lines within this delay.
TRANSCRIPT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class ReconcileResult:
    """One comparison: `expected` (the source's number) against `actual` (the warehouse's)."""

    check: str  # "daily_count" | "calls_without_transcripts"
    stream: str
    day: date | None
    expected: int | None
    actual: int
    detail: str = ""
    sample_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.expected is not None and self.expected == self.actual


def day_windows(days: int, now: datetime) -> list[tuple[datetime, datetime]]:
    """The last `days` complete UTC days before `now`, newest first, as [start, end)."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return [(midnight - timedelta(days=i + 1), midnight - timedelta(days=i)) for i in range(days)]


def api_count(client: SippetClient, stream: str, start: datetime, end: datetime) -> int | None:
    """The API's count of `stream` rows with start <= cursor < end (None if not reported)."""
    spec = STREAMS[stream]
    data = client.run(
        spec.action,
        fields=["id"],
        filter={
            "and": [
                {spec.cursor_field: {"greaterThanOrEqual": format_instant(start)}},
                {spec.cursor_field: {"lessThan": format_instant(end)}},
            ]
        },
        sort=spec.sort,
        page={"limit": 1, "offset": 0, "count": True},
    )
    count = data.get("count") if isinstance(data, dict) else None
    return count if isinstance(count, int) else None


def warehouse_count(
    con: duckdb.DuckDBPyConnection, stream: str, start: datetime, end: datetime
) -> int:
    """The warehouse's rows of `stream` with start <= cursor < end."""
    spec = STREAMS[stream]
    column = spec.cursor_column  # from our own registry, never from API data
    (count,) = con.execute(
        f"select count(*) from {spec.table} where {column} >= ? and {column} < ?", [start, end]
    ).fetchone()
    return count


def calls_without_transcripts(
    con: duckdb.DuckDBPyConnection, start: datetime, now: datetime
) -> ReconcileResult:
    """Completed calls that ended in [start, now - 1h) and have no transcript line."""
    rows = con.execute(
        "select c.id from sippet.calls c where c.status = 'completed' "
        "and c.ended_at >= ? and c.ended_at < ? "
        "and not exists (select 1 from sippet.call_transcripts t where t.call_id = c.id) "
        "order by c.id",
        [start, now - TRANSCRIPT_GRACE],
    ).fetchall()
    ids = [row[0] for row in rows]
    return ReconcileResult(
        check="calls_without_transcripts",
        stream="call_transcripts",
        day=None,
        expected=0,
        actual=len(ids),
        detail=f"completed calls ended {format_instant(start)} .. "
        f"{format_instant(now - TRANSCRIPT_GRACE)}",
        sample_ids=ids[:10],
    )


def reconcile(
    settings: SippetSettings,
    target: str | None = None,
    days: int = 3,
    now: datetime | None = None,
    streams: tuple[str, ...] = RECONCILED_STREAMS,
) -> list[ReconcileResult]:
    """Compare the last `days` complete days of the API with the warehouse `target`."""
    now = now or datetime.now(UTC)
    windows = day_windows(days, now)
    results: list[ReconcileResult] = []
    con = connect(target or settings.warehouse, read_only=True, wait_seconds=30.0)
    try:
        with SippetClient(settings) as client:
            for stream in streams:
                for start, end in windows:
                    expected = api_count(client, stream, start, end)
                    results.append(
                        ReconcileResult(
                            check="daily_count",
                            stream=stream,
                            day=start.date(),
                            expected=expected,
                            actual=warehouse_count(con, stream, start, end),
                            detail="" if expected is not None else "API returned no count",
                        )
                    )
        if "call_transcripts" in streams:
            results.append(calls_without_transcripts(con, windows[-1][0], now))
    finally:
        con.close()
    return results


def format_report(results: list[ReconcileResult]) -> str:
    """A plain-text table of the results and a one-line verdict."""
    lines = [f"{'check':<26} {'stream':<22} {'day':<10} {'api':>9} {'warehouse':>9}  status"]
    for r in results:
        day = r.day.isoformat() if r.day else "-"
        expected = "-" if r.expected is None else str(r.expected)
        status = "ok" if r.ok else "MISMATCH"
        line = f"{r.check:<26} {r.stream:<22} {day:<10} {expected:>9} {r.actual:>9}  {status}"
        if r.detail and not r.ok:
            line += f" ({r.detail})"
        if r.sample_ids:
            line += f" e.g. {', '.join(r.sample_ids[:3])}"
        lines.append(line)
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results) - failed} of {len(results)} checks passed")
    return "\n".join(lines)
