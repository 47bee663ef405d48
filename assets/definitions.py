"""The sippet-warehouse code location: `dagster dev` from the repo root finds `defs` here
(pyproject.toml `[tool.dagster] module_name = "assets.definitions"`)."""

import os

import dagster as dg

from assets.analytics import build_analytics_assets
from assets.analytics_checks import build_analytics_checks
from assets.checks import build_checks
from assets.cost_anomaly_check import cost_anomaly_check
from assets.executors import build_executor
from assets.pools import build_time_target
from assets.raw import build_raw_assets
from assets.resources import SippetResource, WarehouseResource
from assets.schedules import DEFAULT_SYNC_CRON, build_jobs, build_schedules, cron_interval

#: Environment variable read (by `build_definitions`, when the code location loads) for the
#: sync cadence; the API settings are read only when a run starts.
SYNC_CRON_ENV = "SIPPET_SYNC_CRON"


def build_definitions(
    sippet: SippetResource | None = None,
    warehouse: WarehouseResource | None = None,
    *,
    sync_cron: str | None = None,
    executor: str | None = None,
) -> dg.Definitions:
    """All assets, checks, jobs and schedules, with the given (or the default) resources.

    `sync_cron`: cadence of the raw assets (default: $SIPPET_SYNC_CRON, else every 15 minutes).
    Raw assets warn when older than one interval and fail after two; so do the user marts.
    Pools follow the warehouse target (`warehouse.target`, else SIPPET_WAREHOUSE): a lake gives
    each raw asset its own pool (assets/pools.py). `executor`: `in_process` (default),
    `multiprocess` or `celery`, else $SIPPET_DAGSTER_EXECUTOR (assets/executors.py).
    """
    cron = sync_cron or os.environ.get(SYNC_CRON_ENV) or DEFAULT_SYNC_CRON
    interval = cron_interval(cron)
    freshness = dg.FreshnessPolicy.time_window(fail_window=2 * interval, warn_window=interval)
    jobs = build_jobs()
    return dg.Definitions(
        assets=[
            *build_raw_assets(
                dg.AutomationCondition.on_cron(cron), freshness, build_time_target(warehouse)
            ),
            *build_analytics_assets(freshness),
        ],
        asset_checks=[*build_checks(2 * interval), *build_analytics_checks(), cost_anomaly_check],
        jobs=jobs,
        schedules=build_schedules(next(j for j in jobs if j.name == "sippet_reconciliation")),
        executor=build_executor(executor),
        resources={
            # EnvVar: resolved when a run starts and never displayed in the UI.
            "sippet": sippet or SippetResource(api_key=dg.EnvVar("SIPPET_API_KEY")),
            "warehouse": warehouse or WarehouseResource(),
        },
    )


defs = build_definitions()
