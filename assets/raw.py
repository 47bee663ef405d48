"""One raw asset per stream of `pipelines.streams.STREAMS`: adding a stream adds an asset.

Each asset runs the incremental sync of its stream and reports what the sync did. The sync
engine owns pagination, cursors and transactions; nothing here knows about them.
"""

import dagster as dg
import duckdb

from assets.resources import DUCKDB_POOL, SippetResource, WarehouseResource
from pipelines.streams import STREAMS, StreamSpec
from pipelines.sync import StreamResult, sync

RAW_GROUP = "sippet_raw"
#: Backstop for a writer outside Dagster (CLI sync, notebook); runs are serialized by the pool.
LOCK_WAIT = 60.0

#: Bookkeeping columns the sync adds to raw tables (not API fields).
_SYNC_COLUMNS = {
    "_synced_at": "When the sync last wrote the row (UTC).",
    "_first_seen_at": "When the sync first saw the row (UTC); the API exposes no timestamp.",
}


def raw_asset_key(stream: str) -> dg.AssetKey:
    """The asset key of a stream's raw table: `sippet/<stream>`."""
    return dg.AssetKey(["sippet", stream])


def column_schema(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> dg.TableSchema:
    """The table's columns with their DuckDB types and the model fields' descriptions."""
    schema, table = spec.table.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    fields = spec.model.model_fields
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type.lower(),
                description=(fields[name].description if name in fields else None)
                or _SYNC_COLUMNS.get(name),
            )
            for name, data_type in rows
        ]
    )


def result_metadata(result: StreamResult) -> dict[str, object]:
    """What one stream's sync did, as Dagster metadata."""
    return {
        "mode": result.mode,
        "rows_fetched": result.rows_fetched,
        "rows_inserted": result.rows_inserted,
        "rows_updated": result.rows_updated,
        "rows_deleted": result.rows_deleted,
        "rows_quarantined": result.rows_quarantined,
        "pages": result.pages,
        "requests": result.requests,
        "retries": result.retries,
        "cursor_before": str(result.cursor_before),
        "cursor_after": str(result.cursor_after),
        "duration_seconds": dg.MetadataValue.float(float(result.duration_seconds or 0.0)),
        "warnings": "\n".join(result.warnings) or "none",
    }


def stream_failure(result: StreamResult) -> dg.Failure:
    """A Dagster failure carrying the stream's error and what it did before failing."""
    return dg.Failure(
        description=f"sync of {result.stream} failed: {result.error}",
        metadata=result_metadata(result),
    )


def build_raw_asset(spec: StreamSpec) -> dg.AssetsDefinition:
    """The asset that incrementally syncs one stream into its raw table."""

    @dg.asset(
        key=raw_asset_key(spec.name),
        group_name=RAW_GROUP,
        description=spec.description or spec.model.__doc__,
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        metadata={"dagster/table_name": spec.table, "stream_kind": spec.kind.value},
    )
    def _raw(sippet: SippetResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
        target = warehouse.resolved_target()
        (result,) = sync(sippet.settings(target), target, [spec.name], wait_seconds=LOCK_WAIT)
        if not result.ok:
            raise stream_failure(result)
        with warehouse.connect() as con:
            (rows,) = con.execute(f"select count(*) from {spec.table}").fetchone()
            schema = column_schema(con, spec)
        return dg.MaterializeResult(
            metadata={
                **result_metadata(result),
                "dagster/row_count": rows,
                "dagster/column_schema": schema,
            }
        )

    return _raw


def build_raw_assets() -> list[dg.AssetsDefinition]:
    """One asset per registered stream, in sync order."""
    return [build_raw_asset(spec) for spec in STREAMS.values()]
