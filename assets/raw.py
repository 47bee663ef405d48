"""One raw asset per stream of `pipelines.streams.STREAMS`: adding a stream adds an asset.

Each asset runs the sync of its stream and reports what the sync did. The sync engine owns
pagination, cursors and transactions; nothing here knows about them. A run with `since` (and
optionally `until`) in its config re-reads that window instead (a backfill): rows are upserted
and the live cursor does not move.
"""

from collections.abc import Mapping
from datetime import datetime

import dagster as dg

from assets.pools import raw_pool
from assets.resources import SippetResource, WarehouseResource
from pipelines.arrow_batch import arrow_schema
from pipelines.streams import STREAMS, StreamKind, StreamSpec
from pipelines.sync import StreamResult, sync
from pipelines.table_docs import column_descriptions, table_description
from warehouse.catalog import column_types
from warehouse.conflicts import is_conflict
from warehouse.errors import WarehouseError, WarehouseLockedError

RAW_GROUP = "sippet_raw"
#: A job's run tag saying what it is for; the backfill job's runs must carry a window.
KIND_TAG = "sippet/kind"
BACKFILL = "backfill"
#: Backstop for a writer outside Dagster (CLI sync, notebook); runs are serialized by the pool.
LOCK_WAIT = 60.0
WINDOWED_KINDS = (StreamKind.TIME_WINDOWS, StreamKind.TIME_CURSOR)
#: Error classes (the prefix of `StreamResult.error`) that may clear up on a later attempt.
#: Everything else (a malformed page, broken paging, a refused key, an RPC error) fails the
#: same way again, so it is never retried.
TRANSIENT_ERRORS = ("TransientError",)
#: Two more attempts, 1 then 2 minutes later (with jitter): the client has already retried
#: each request within its own budget, so this covers an outage of a few minutes.
RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


class SyncWindow(dg.Config):
    """Leave both empty for the incremental sync; set `since` to re-read a window (backfill)."""

    since: str | None = None  # ISO 8601 with zone, e.g. 2026-11-01T00:00:00Z
    until: str | None = None  # exclusive end of the window; default now


def raw_asset_key(stream: str) -> dg.AssetKey:
    """The asset key of a stream's raw table: `sippet/<stream>`."""
    return dg.AssetKey(["sippet", stream])


def column_schema(spec: StreamSpec) -> dg.TableSchema:
    """The table's columns with the DuckDB types its migration creates and the models' text.

    A stream whose migration is not written yet shows its model's Arrow (load) types.
    """
    descriptions = column_descriptions(spec)
    types = column_types().get(spec.table) or {
        f.name: str(f.type) for f in arrow_schema(spec.model)
    }
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, type=data_type.lower(), description=descriptions.get(name))
            for name, data_type in types.items()
        ]
    )


def result_metadata(result: StreamResult) -> dict[str, object]:
    """What one stream's sync did, as Dagster metadata; absent values are left out."""
    metadata: dict[str, object] = {
        "mode": result.mode,
        "rows_fetched": result.rows_fetched,
        "rows_inserted": result.rows_inserted,
        "rows_updated": result.rows_updated,
        "rows_deleted": result.rows_deleted,
        "rows_quarantined": result.rows_quarantined,
        "pages": result.pages,
        "requests": result.requests,
        "retries": result.retries,
        "duration_seconds": dg.MetadataValue.float(float(result.duration_seconds or 0.0)),
    }
    optional = {
        "cursor_before": result.cursor_before,
        "cursor_after": result.cursor_after,
        "warnings": "\n".join(result.warnings),
        "quarantine_reasons": "\n".join(result.quarantine_reasons[:20]),
    }
    return {**metadata, **{key: value for key, value in optional.items() if value}}


def stream_failure(result: StreamResult) -> dg.Failure:
    """A failure carrying the stream's error; the RetryPolicy applies only to transient ones."""
    return dg.Failure(
        description=f"sync of {result.stream} failed: {result.error}",
        metadata=result_metadata(result),
        allow_retries=(result.error or "").startswith(TRANSIENT_ERRORS),
    )


def lake_conflict(exc: BaseException | None) -> bool:
    """Whether a DuckLake write conflict is anywhere in the error's chain. The sync retries
    its flushes, but not every statement (e.g. the table comments at its start, which two
    streams syncing at once can both alter): another attempt of the step may pass."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if is_conflict(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _window(
    spec: StreamSpec, config: SyncWindow, run_tags: Mapping[str, str]
) -> tuple[datetime | None, datetime | None]:
    if config.since is None and config.until is None:
        if run_tags.get(KIND_TAG) == BACKFILL:
            raise dg.Failure(
                f"{spec.name}: the backfill job re-reads a window: give `since` (and `until`) "
                "in its run config, e.g. since: 2026-11-01T00:00:00Z; without them it would be "
                "an incremental sync",
                allow_retries=False,
            )
        return None, None
    if spec.kind not in WINDOWED_KINDS or config.since is None:
        raise dg.Failure(
            f"{spec.name}: a window needs `since`, and only time-windowed streams "
            f"({', '.join(k.value for k in WINDOWED_KINDS)}) can be re-read by window",
            allow_retries=False,
        )
    since = datetime.fromisoformat(config.since)
    until = datetime.fromisoformat(config.until) if config.until else None
    if since.tzinfo is None or (until is not None and until.tzinfo is None):
        raise dg.Failure(
            "since/until need a time zone, e.g. 2026-11-01T00:00:00Z", allow_retries=False
        )
    return since, until


def build_raw_asset(
    spec: StreamSpec,
    automation: dg.AutomationCondition,
    freshness: dg.FreshnessPolicy,
    pool: str,
) -> dg.AssetsDefinition:
    """The asset that syncs one stream into its raw table, in `pool` (assets/pools.py)."""

    @dg.asset(
        key=raw_asset_key(spec.name),
        group_name=RAW_GROUP,
        description=table_description(spec),
        pool=pool,
        kinds={"duckdb"},
        automation_condition=automation,
        freshness_policy=freshness,
        retry_policy=RETRY_POLICY,
        metadata={
            "dagster/table_name": spec.table,
            "dagster/column_schema": column_schema(spec),
            "stream_kind": spec.kind.value,
        },
    )
    def _raw(
        context: dg.AssetExecutionContext,
        config: SyncWindow,
        sippet: SippetResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        since, until = _window(spec, config, context.run.tags)
        target = warehouse.resolved_target()
        try:
            with warehouse.connect(wait_seconds=LOCK_WAIT) as con:
                (result,) = sync(
                    sippet.settings(target), target, [spec.name], since=since, until=until, con=con
                )
                if not result.ok:
                    raise stream_failure(result)
                (rows,) = con.execute(f"select count(*) from {spec.table}").fetchone()
        except WarehouseLockedError as exc:  # a writer outside Dagster: worth another attempt
            raise dg.Failure(str(exc), allow_retries=True) from None
        except WarehouseError as exc:
            if not lake_conflict(exc):
                raise
            raise dg.Failure(f"lake write conflict: {exc}", allow_retries=True) from None
        window = {"window_since": config.since, "window_until": config.until}
        return dg.MaterializeResult(
            metadata={
                **result_metadata(result),
                **{key: value for key, value in window.items() if value},
                "dagster/row_count": rows,
            }
        )

    return _raw


def build_raw_assets(
    automation: dg.AutomationCondition, freshness: dg.FreshnessPolicy, target: str
) -> list[dg.AssetsDefinition]:
    """One asset per registered stream, in sync order; pools chosen for `target`."""
    return [
        build_raw_asset(spec, automation, freshness, raw_pool(spec.name, target))
        for spec in STREAMS.values()
    ]
