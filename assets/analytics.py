"""One analytics asset per `.sql` file in `warehouse/models/`: file stem = asset name = table.

Dependencies come from the model files (`warehouse.analytics.list_models()`): another model
becomes an `analytics/<name>` dependency, a raw table `sippet.<stream>` a `sippet/<stream>` one.
"""

import dagster as dg

from assets.raw import raw_asset_key
from assets.resources import DUCKDB_POOL, WarehouseResource
from assets.schedules import ANALYTICS_GROUP
from pipelines.streams import STREAMS
from warehouse.analytics import build_models, list_models


def analytics_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["analytics", name])


def model_deps(depends_on: list[str], models: set[str]) -> list[dg.AssetKey]:
    """Asset keys for a model's dependencies: other models and raw tables."""
    keys = []
    for dep in depends_on:
        name = dep.removeprefix("sippet.").removeprefix("analytics.")
        if name in models:
            keys.append(analytics_asset_key(name))
        elif name in STREAMS:
            keys.append(raw_asset_key(name))
    return keys


def build_analytics_asset(model, models: set[str]) -> dg.AssetsDefinition:
    """The asset that (re)builds one analytics model table."""

    @dg.asset(
        key=analytics_asset_key(model.name),
        group_name=ANALYTICS_GROUP,
        deps=model_deps(list(model.depends_on), models),
        description=getattr(model, "description", None) or f"Analytics model {model.name}.",
        pool=DUCKDB_POOL,
        kinds={"duckdb", "sql"},
        metadata={"dagster/table_name": f"analytics.{model.name}", "sql_file": str(model.path)},
    )
    def _model(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            (built,) = build_models(con, names=[model.name])
        return dg.MaterializeResult(
            metadata={"dagster/row_count": built.rows, "seconds": float(built.seconds)}
        )

    return _model


def build_analytics_assets() -> list[dg.AssetsDefinition]:
    models = list_models()
    names = {m.name for m in models}
    return [build_analytics_asset(m, names) for m in models]
