"""The sippet-warehouse code location: `dagster dev` from the repo root finds `defs` here
(pyproject.toml `[tool.dagster] module_name = "assets.definitions"`)."""

import dagster as dg

from assets.analytics import build_analytics_assets
from assets.backfill import build_backfill_job
from assets.checks import build_checks
from assets.raw import build_raw_assets
from assets.resources import SippetResource, WarehouseResource
from assets.schedules import build_jobs, build_schedules
from pipelines.streams import STREAMS
from pipelines.verify import RECONCILED_STREAMS


def build_definitions(
    sippet: SippetResource | None = None, warehouse: WarehouseResource | None = None
) -> dg.Definitions:
    """All assets, checks, jobs and schedules, with the given (or the default) resources."""
    jobs = build_jobs([name for name in RECONCILED_STREAMS if name in STREAMS])
    return dg.Definitions(
        assets=[*build_raw_assets(), *build_analytics_assets()],
        asset_checks=build_checks(),
        jobs=[*jobs, build_backfill_job()],
        schedules=build_schedules(jobs),
        # Warehouse steps are serialized by the DuckDB pool anyway: a process per step would
        # only add start-up time.
        executor=dg.in_process_executor,
        resources={
            # EnvVar: resolved when a run starts and never displayed in the UI.
            "sippet": sippet or SippetResource(api_key=dg.EnvVar("SIPPET_API_KEY")),
            "warehouse": warehouse or WarehouseResource(),
        },
    )


defs = build_definitions()
