"""One analytics asset per `.sql` file in `warehouse/models/`: file stem = asset name = table.

Dependencies come from the tables each model's SQL reads (`ModelFile.depends_on`): another
model becomes an `analytics/<name>` dependency, a raw table `sippet.<stream>` a
`sippet/<stream>` one.
"""

import dagster as dg

from assets.raw import raw_asset_key
from assets.resources import DUCKDB_POOL, WarehouseResource
from assets.schedules import ANALYTICS_GROUP
from pipelines.streams import STREAMS
from warehouse.analytics import ModelFile, build_models, list_models


def analytics_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["analytics", name])


def model_deps(model: ModelFile) -> list[dg.AssetKey]:
    """Asset keys of the tables a model reads: `analytics.<m>` and `sippet.<stream>`."""
    keys = []
    for dep in model.depends_on:
        schema, _, table = dep.partition(".")
        if schema == "analytics":
            keys.append(analytics_asset_key(table))
        elif schema == "sippet" and table in STREAMS:
            keys.append(raw_asset_key(table))
    return keys


def build_analytics_asset(model: ModelFile) -> dg.AssetsDefinition:
    """The asset that (re)builds one analytics model table."""
    description = "\n\n".join(
        part for part in (model.description, model.grain and f"Grain: {model.grain}") if part
    )

    @dg.asset(
        key=analytics_asset_key(model.name),
        group_name=ANALYTICS_GROUP,
        deps=model_deps(model),
        description=description or f"Analytics model {model.name}.",
        pool=DUCKDB_POOL,
        kinds={"duckdb", "sql"},
        metadata={
            "dagster/table_name": f"analytics.{model.name}",
            "sql_file": f"warehouse/models/{model.path.name}",
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(name, description=text) for name, text in model.columns.items()
                ]
            ),
        },
    )
    def _model(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            (built,) = build_models(con, names=[model.name])
        return dg.MaterializeResult(
            metadata={"dagster/row_count": built.rows, "seconds": round(built.seconds, 3)}
        )

    return _model


def build_analytics_assets() -> list[dg.AssetsDefinition]:
    """One asset per model file, in dependency order."""
    return [build_analytics_asset(model) for model in list_models()]
