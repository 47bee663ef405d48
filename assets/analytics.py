"""One analytics asset per `.sql` file in `warehouse/models/`: file stem = asset name = table.

Dependencies come from the tables each model's SQL reads (`ModelFile.depends_on`): another
model becomes an `analytics/<name>` dependency, a raw table `sippet.<stream>` a
`sippet/<stream>` one. Each asset rebuilds as soon as its parents are updated
(`AutomationCondition.eager()`), unless a blocking check on a parent failed.
"""

import dagster as dg
import duckdb

from assets.raw import raw_asset_key
from assets.resources import DUCKDB_POOL, WarehouseResource
from pipelines.streams import STREAMS
from warehouse.analytics import ModelFile, build_models, list_models
from warehouse.catalog import column_types

ANALYTICS_GROUP = "analytics"
#: Rebuild once a parent is updated, but not behind a failed blocking check: within a run the
#: check stops the model; this keeps the next automation tick from building it anyway.
ANALYTICS_AUTOMATION = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager, behind passed blocking checks")
#: The marts people read (dashboards, notebooks): they carry a FreshnessPolicy too.
USER_MARTS = ("call_facts", "calls_daily", "token_usage_daily", "tool_reliability")


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


def model_schema(model: ModelFile) -> dg.TableSchema:
    """Columns with the DuckDB types of the built table and the header's descriptions."""
    types = column_types()[f"analytics.{model.name}"]
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, type=data_type.lower(), description=model.columns.get(name))
            for name, data_type in types.items()
        ]
    )


def model_metadata(con: duckdb.DuckDBPyConnection, model: ModelFile) -> dict[str, object]:
    """Latest date (first DATE column) and total cost (`cost_usd`), where the table has them."""
    types = column_types()[f"analytics.{model.name}"]
    dates = [name for name, data_type in types.items() if data_type == "DATE"]
    metadata: dict[str, object] = {}
    if dates:
        (latest,) = con.execute(f"select max({dates[0]}) from analytics.{model.name}").fetchone()
        if latest is not None:
            metadata[f"latest_{dates[0]}"] = latest.isoformat()
    if "cost_usd" in types:
        (cost,) = con.execute(f"select sum(cost_usd) from analytics.{model.name}").fetchone()
        if cost is not None:
            metadata["total_cost_usd"] = dg.MetadataValue.float(float(cost))
    return metadata


def build_analytics_asset(
    model: ModelFile, freshness: dg.FreshnessPolicy | None
) -> dg.AssetsDefinition:
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
        automation_condition=ANALYTICS_AUTOMATION,
        freshness_policy=freshness,
        metadata={
            "dagster/table_name": f"analytics.{model.name}",
            "sql_file": f"warehouse/models/{model.path.name}",
            "dagster/column_schema": model_schema(model),
        },
    )
    def _model(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            (built,) = build_models(con, names=[model.name])
            extra = model_metadata(con, model)
        return dg.MaterializeResult(
            metadata={"dagster/row_count": built.rows, "seconds": round(built.seconds, 3), **extra}
        )

    return _model


def build_analytics_assets(freshness: dg.FreshnessPolicy) -> list[dg.AssetsDefinition]:
    """One asset per model file, in dependency order; the user-facing marts get `freshness`."""
    return [
        build_analytics_asset(model, freshness if model.name in USER_MARTS else None)
        for model in list_models()
    ]
