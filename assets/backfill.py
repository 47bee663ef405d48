"""Daily backfills: a partitioned op job that re-reads one UTC day of the time-windowed streams.

Each partition maps to `sync(settings, target, [stream], since=day_start, until=day_end)`: a
bounded window read that upserts rows but never moves the live incremental cursors. It is an
op job, not partitioned assets, so the raw assets stay unpartitioned and simple; each op
reports a materialization of the raw table it wrote, so the asset's history shows backfills.
"""

import dagster as dg

from assets.raw import LOCK_WAIT, raw_asset_key, result_metadata, stream_failure
from assets.resources import DUCKDB_POOL, SippetResource, WarehouseResource
from pipelines.streams import STREAMS, StreamKind, StreamSpec
from pipelines.sync import sync

#: First day offered for backfills (UTC). Earlier days can still be synced with the CLI.
BACKFILL_START = "2024-01-01"
DAILY = dg.DailyPartitionsDefinition(start_date=BACKFILL_START, timezone="UTC")
WINDOWED_KINDS = (StreamKind.TIME_WINDOWS, StreamKind.TIME_CURSOR)


def build_backfill_op(spec: StreamSpec) -> dg.OpDefinition:
    """An op that syncs one partition's day of one stream."""

    @dg.op(name=f"backfill_{spec.name}", pool=DUCKDB_POOL, tags={"sippet/stream": spec.name})
    def _backfill(
        context: dg.OpExecutionContext, sippet: SippetResource, warehouse: WarehouseResource
    ) -> None:
        window = context.partition_time_window
        target = warehouse.resolved_target()
        settings = sippet.settings(target)
        (result,) = sync(
            settings,
            target,
            [spec.name],
            since=window.start,
            until=window.end,
            wait_seconds=LOCK_WAIT,
        )
        if not result.ok:
            raise stream_failure(result)
        context.log_event(
            dg.AssetMaterialization(
                asset_key=raw_asset_key(spec.name),
                description=f"backfill of {context.partition_key}",
                metadata={**result_metadata(result), "backfill_day": context.partition_key},
            )
        )

    return _backfill


def build_backfill_job() -> dg.JobDefinition:
    """`sippet_backfill`: one run per day partition, one op per time-windowed stream."""
    ops = [build_backfill_op(s) for s in STREAMS.values() if s.kind in WINDOWED_KINDS]

    @dg.job(
        name="sippet_backfill",
        partitions_def=DAILY,
        description="Re-sync one UTC day of the time-windowed streams without moving cursors.",
        tags={"sippet/kind": "backfill"},
    )
    def sippet_backfill() -> None:
        for op in ops:
            op()

    return sippet_backfill
