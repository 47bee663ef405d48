"""Jobs, the daily reconciliation schedule, and the sync cadence.

The raw assets run on `AutomationCondition.on_cron(sync_cron)` and the analytics assets follow
them eagerly, so no schedule duplicates that. What stays a schedule is the daily
reconciliation: its `matches_source` checks call the API, which should happen once a day, not
with every 15-minute sync.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._utils.schedules import cron_string_iterator

from assets.analytics import ANALYTICS_GROUP
from assets.checks import RECONCILE_CHECK
from assets.raw import BACKFILL, KIND_TAG, RAW_GROUP, WINDOWED_KINDS, raw_asset_key
from pipelines.streams import STREAMS
from pipelines.verify import RECONCILED_STREAMS

#: Default sync cadence; `build_definitions(sync_cron=...)` or SIPPET_SYNC_CRON override it.
DEFAULT_SYNC_CRON = "*/15 * * * *"
RECONCILE_CRON = "30 5 * * *"  # daily, 05:30 UTC: yesterday is complete and synced by then


def cron_interval(cron: str) -> timedelta:
    """The longest gap between two ticks of `cron` over two weeks (a stream is late after it)."""
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    ticks = cron_string_iterator(start, cron, "UTC")
    previous, longest = next(ticks), timedelta(0)
    for tick in ticks:
        if tick.timestamp() - start > 14 * 86400:
            break
        longest, previous = max(longest, tick - previous), tick
    return longest


def _reconcile_checks() -> dg.AssetSelection:
    return dg.AssetSelection.checks(
        *[
            dg.AssetCheckKey(raw_asset_key(name), RECONCILE_CHECK)
            for name in RECONCILED_STREAMS
            if name in STREAMS
        ]
    )


def build_jobs() -> list:
    """Manual jobs: everything once, the reconciliation, and the window re-read (backfill)."""
    windowed = [raw_asset_key(s.name) for s in STREAMS.values() if s.kind in WINDOWED_KINDS]
    return [
        dg.define_asset_job(
            "sippet_incremental",
            selection=dg.AssetSelection.groups(RAW_GROUP, ANALYTICS_GROUP) - _reconcile_checks(),
            description="Sync every stream once, then the analytics models (what automation "
            "does on its cadence), with the warehouse-only checks.",
            tags={KIND_TAG: "incremental"},
        ),
        dg.define_asset_job(
            "sippet_reconciliation",
            selection=dg.AssetSelection.all_asset_checks(),
            description="Every asset check, including the API-vs-warehouse daily counts.",
            tags={KIND_TAG: "reconciliation"},
        ),
        dg.define_asset_job(
            "sippet_backfill",
            selection=dg.AssetSelection.assets(*windowed),
            description="Re-read a time window of the time-windowed streams without moving "
            "their cursors: give each asset `since` (and `until`) in the run config.",
            tags={KIND_TAG: BACKFILL},
        ),
    ]


def build_schedules(reconciliation) -> list[dg.ScheduleDefinition]:
    return [
        dg.ScheduleDefinition(
            name="sippet_reconciliation_daily",
            job=reconciliation,
            cron_schedule=RECONCILE_CRON,
            execution_timezone="UTC",
        )
    ]
