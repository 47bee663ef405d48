"""Jobs and schedules: incremental sync every 15 minutes, reconciliation daily.

The cron strings are constants (not environment variables: the code location reads nothing
from the environment when it loads). Change `SYNC_CRON` and `SYNC_INTERVAL` together; the
freshness checks allow two intervals. Schedules start stopped: turn them on in the UI
(Automation) or with `dagster schedule start`.
"""

from datetime import timedelta

import dagster as dg

from assets.raw import RAW_GROUP, raw_asset_key

SYNC_CRON = "*/15 * * * *"
SYNC_INTERVAL = timedelta(minutes=15)
#: A stream whose last successful sync is older than this fails its freshness check.
FRESHNESS_LIMIT = 2 * SYNC_INTERVAL
RECONCILE_CRON = "30 5 * * *"  # daily, 05:30 UTC: yesterday is complete and synced by then
ANALYTICS_GROUP = "analytics"
#: Name of the checks that call the API; they run daily, not every 15 minutes.
RECONCILE_CHECK = "matches_source"


def _reconcile_checks(streams: list[str]) -> dg.AssetSelection:
    return dg.AssetSelection.checks(
        *[dg.AssetCheckKey(raw_asset_key(name), RECONCILE_CHECK) for name in streams]
    )


def build_jobs(reconciled_streams: list[str]) -> list:
    """The incremental job (all assets + warehouse-only checks) and the reconciliation job."""
    incremental = dg.define_asset_job(
        "sippet_incremental",
        selection=dg.AssetSelection.groups(RAW_GROUP, ANALYTICS_GROUP)
        - _reconcile_checks(reconciled_streams),
        description="Incremental sync of every stream, then the analytics models.",
        tags={"sippet/kind": "incremental"},
    )
    reconciliation = dg.define_asset_job(
        "sippet_reconciliation",
        selection=dg.AssetSelection.all_asset_checks(),
        description="Every asset check, including the API-vs-warehouse daily counts.",
        tags={"sippet/kind": "reconciliation"},
    )
    return [incremental, reconciliation]


def build_schedules(jobs: list) -> list[dg.ScheduleDefinition]:
    incremental, reconciliation = jobs
    return [
        dg.ScheduleDefinition(
            name="sippet_incremental_every_15_minutes",
            job=incremental,
            cron_schedule=SYNC_CRON,
            execution_timezone="UTC",
        ),
        dg.ScheduleDefinition(
            name="sippet_reconciliation_daily",
            job=reconciliation,
            cron_schedule=RECONCILE_CRON,
            execution_timezone="UTC",
        ),
    ]
