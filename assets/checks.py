"""Asset checks on the raw tables: key uniqueness, quarantine, freshness, source reconciliation.

Every check opens the warehouse, so every check runs in the DuckDB pool too (DuckDB blocks
readers while another process writes).
"""

from datetime import UTC, datetime

import dagster as dg

from assets.raw import raw_asset_key
from assets.resources import DUCKDB_POOL, SippetResource, WarehouseResource
from assets.schedules import FRESHNESS_LIMIT, RECONCILE_CHECK
from pipelines.streams import STREAMS, StreamSpec
from pipelines.verify import RECONCILED_STREAMS, reconcile

#: Complete UTC days compared with the API by the reconciliation checks.
RECONCILE_DAYS = 3


def build_primary_key_check(spec: StreamSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(spec.name),
        name="primary_key_unique",
        description=f"`{spec.primary_key}` is never null and never repeated in {spec.table}.",
        pool=DUCKDB_POOL,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        key = spec.primary_key
        with warehouse.connect(read_only=True) as con:
            dupes, nulls = con.execute(
                f"select count({key}) - count(distinct {key}), count(*) - count({key}) "
                f"from {spec.table}"
            ).fetchone()
            sample = con.execute(
                f"select {key} from {spec.table} group by {key} having count(*) > 1 limit 5"
            ).fetchall()
        return dg.AssetCheckResult(
            passed=dupes == 0 and nulls == 0,
            metadata={
                "duplicate_rows": dupes,
                "null_keys": nulls,
                "sample": ", ".join(str(r[0]) for r in sample),
            },
        )

    return _check


def build_quarantine_check(spec: StreamSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(spec.name),
        name="quarantine_empty",
        description="No record of this stream failed validation (sippet._quarantine).",
        pool=DUCKDB_POOL,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            rows = con.execute(
                "select record_id, reason from sippet._quarantine where stream = ? "
                "order by last_seen_at desc",
                [spec.name],
            ).fetchall()
        return dg.AssetCheckResult(
            passed=not rows,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "quarantined": len(rows),
                "latest": "; ".join(f"{rid}: {reason}" for rid, reason in rows[:5]),
            },
        )

    return _check


def build_freshness_check(spec: StreamSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(spec.name),
        name="synced_recently",
        description=f"An incremental or full sync of {spec.name} succeeded within the last "
        f"{FRESHNESS_LIMIT} (two schedule intervals), per sippet._sync_runs; backfills of a "
        "past window do not count.",
        pool=DUCKDB_POOL,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            (last,) = con.execute(
                "select max(ended_at) from sippet._sync_runs "
                "where stream = ? and status = 'succeeded' and mode <> 'window'",
                [spec.name],
            ).fetchone()
        age = datetime.now(UTC) - last if last else None
        return dg.AssetCheckResult(
            passed=age is not None and age <= FRESHNESS_LIMIT,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "last_success": str(last),
                "age_minutes": round(age.total_seconds() / 60, 1) if age else -1.0,
            },
        )

    return _check


def build_reconcile_check(stream: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(stream),
        name=RECONCILE_CHECK,
        description=f"For each of the last {RECONCILE_DAYS} complete UTC days, the API's count "
        "equals the warehouse's rows (pipelines/verify.py).",
        pool=DUCKDB_POOL,
    )
    def _check(sippet: SippetResource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        target = warehouse.resolved_target()
        results = reconcile(sippet.settings(target), target, RECONCILE_DAYS, streams=(stream,))
        failed = [r for r in results if not r.ok]
        return dg.AssetCheckResult(
            passed=not failed,
            metadata={
                f"{r.check}:{r.day or 'window'}": f"source {r.expected} / warehouse {r.actual}"
                for r in results
            },
            description="; ".join(f"{r.check} {r.day or ''} {r.detail}" for r in failed) or None,
        )

    return _check


def build_checks() -> list[dg.AssetChecksDefinition]:
    """All checks: three per stream, plus source reconciliation for the event streams."""
    checks = []
    for spec in STREAMS.values():
        checks += [build_primary_key_check(spec), build_quarantine_check(spec)]
        checks.append(build_freshness_check(spec))
    checks += [build_reconcile_check(name) for name in RECONCILED_STREAMS if name in STREAMS]
    return checks
