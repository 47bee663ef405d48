"""Checks on the raw tables, one multi-asset check per concern, each opening the warehouse once.

- `primary_key_unique` and `quarantine_empty` are blocking: a failure stops the analytics
  assets downstream in the same run, so a duplicate key or a lost record never reaches a mart.
- `synced_recently` stays hand-written although every raw asset has a `FreshnessPolicy`: the
  policy counts any materialization, a backfill of a past window included, while this check
  asks `sippet._sync_runs` whether the live (incremental or full) sync succeeded lately.
- `matches_source` asks the API (daily counts); it runs in the daily reconciliation job.

Every check opens the warehouse, so every check runs in the DuckDB pool too (DuckDB blocks
readers while another process writes).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb

from assets.raw import raw_asset_key
from assets.resources import DUCKDB_POOL, SippetResource, WarehouseResource
from pipelines.streams import STREAMS, StreamSpec
from pipelines.verify import RECONCILED_STREAMS, reconcile

#: Complete UTC days compared with the API by the reconciliation checks.
RECONCILE_DAYS = 3
#: Name of the checks that call the API; they run daily, not with every sync.
RECONCILE_CHECK = "matches_source"
#: The warehouse-only checks run whenever their asset is updated (in the same run when the
#: asset is requested by automation), so a blocking one can stop the marts.
CHECK_AUTOMATION = dg.AutomationCondition.eager()


def _specs(name: str, description: str, *, blocking: bool) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name, asset=raw_asset_key(s.name), description=description, blocking=blocking
        )
        for s in STREAMS.values()
    ]


def _selected(context: dg.AssetCheckExecutionContext) -> Iterator[StreamSpec]:
    keys = context.selected_asset_check_keys
    return (s for s in STREAMS.values() if any(k.asset_key == raw_asset_key(s.name) for k in keys))


def _key_result(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> dg.AssetCheckResult:
    key = spec.primary_key
    dupes, nulls = con.execute(
        f"select count({key}) - count(distinct {key}), count(*) - count({key}) from {spec.table}"
    ).fetchone()
    sample = con.execute(
        f"select {key} from {spec.table} group by {key} having count(*) > 1 order by 1 limit 5"
    ).fetchall()
    metadata = {"duplicate_rows": dupes, "null_keys": nulls}
    if sample:
        metadata["sample"] = ", ".join(str(r[0]) for r in sample)
    return dg.AssetCheckResult(
        asset_key=raw_asset_key(spec.name),
        check_name="primary_key_unique",
        passed=dupes == 0 and nulls == 0,
        metadata=metadata,
    )


def build_key_check() -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="raw_primary_keys_unique",
        specs=_specs(
            "primary_key_unique", "The primary key is never null and never repeated.", blocking=True
        ),
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect(read_only=True) as con:
            results = [_key_result(con, spec) for spec in _selected(context)]
        yield from results

    return _check


def build_quarantine_check() -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="raw_quarantine_empty",
        specs=_specs(
            "quarantine_empty",
            "No record of this stream failed validation (sippet._quarantine).",
            blocking=True,
        ),
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect(read_only=True) as con:
            rows = con.execute(
                "select stream, record_id, reason from sippet._quarantine "
                "order by last_seen_at desc"
            ).fetchall()
        for spec in _selected(context):
            held = [f"{rid}: {reason}" for stream, rid, reason in rows if stream == spec.name]
            yield dg.AssetCheckResult(
                asset_key=raw_asset_key(spec.name),
                check_name="quarantine_empty",
                passed=not held,
                metadata={
                    "quarantined": len(held),
                    **({"latest": "; ".join(held[:5])} if held else {}),
                },
            )

    return _check


def build_synced_recently_check(limit: timedelta) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="raw_synced_recently",
        specs=_specs(
            "synced_recently",
            f"An incremental or full sync succeeded within {limit}"
            " (sippet._sync_runs); backfills of a past window do not count.",
            blocking=False,
        ),
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect(read_only=True) as con:
            last = dict(
                con.execute(
                    "select stream, max(ended_at) from sippet._sync_runs "
                    "where status = 'succeeded' and mode <> 'window' group by stream"
                ).fetchall()
            )
        now = datetime.now(UTC)
        for spec in _selected(context):
            ended = last.get(spec.name)
            age = now - ended if ended else None
            if ended is None and spec.opt_in:  # never turned on: nothing is stale
                yield dg.AssetCheckResult(
                    asset_key=raw_asset_key(spec.name), check_name="synced_recently",
                    passed=True, severity=dg.AssetCheckSeverity.WARN,
                    metadata={"last_success": f"never: opt-in, SIPPET_{spec.opt_in.upper()} "
                                              "is off"})
                continue
            yield dg.AssetCheckResult(
                asset_key=raw_asset_key(spec.name),
                check_name="synced_recently",
                passed=age is not None and age <= limit,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "last_success": str(ended),
                    "age_minutes": round(age.total_seconds() / 60, 1),
                }
                if age is not None
                else {"last_success": "never"},
            )

    return _check


def build_reconcile_check() -> dg.AssetChecksDefinition:
    streams = tuple(name for name in RECONCILED_STREAMS if name in STREAMS)

    @dg.multi_asset_check(
        name="raw_matches_source",
        specs=[
            dg.AssetCheckSpec(
                RECONCILE_CHECK,
                asset=raw_asset_key(name),
                description=f"For each of the last {RECONCILE_DAYS} complete UTC "
                "days, the API's count equals the warehouse's rows.",
            )
            for name in streams
        ],
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        sippet: SippetResource,
        warehouse: WarehouseResource,
    ) -> Iterator[dg.AssetCheckResult]:
        target = warehouse.resolved_target()
        selected = tuple(s.name for s in _selected(context))
        results = reconcile(sippet.settings(target), target, RECONCILE_DAYS, streams=selected)
        for name in selected:
            mine = [r for r in results if r.stream == name]
            failed = [r for r in mine if not r.ok]
            yield dg.AssetCheckResult(
                asset_key=raw_asset_key(name),
                check_name=RECONCILE_CHECK,
                passed=not failed,
                metadata={
                    f"{r.check}:{r.day or 'window'}": f"source {r.expected} / warehouse {r.actual}"
                    for r in mine
                },
                description="; ".join(f"{r.check} {r.day or ''} {r.detail}" for r in failed)
                or None,
            )

    return _check


def build_checks(freshness_limit: timedelta) -> list[dg.AssetChecksDefinition]:
    """The raw tables' checks: one multi-asset check per concern."""
    return [
        build_key_check(),
        build_quarantine_check(),
        build_synced_recently_check(freshness_limit),
        build_reconcile_check(),
    ]
