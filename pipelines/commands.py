"""What the CLI commands do, kept apart from argument parsing so tests can call them."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime

import click
import duckdb

from pipelines.progress import Progress
from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS
from pipelines.sync import StreamResult, sync
from warehouse.reports import format_table, run_query, table_counts
from warehouse.store import WarehouseError, checkpoint, open_warehouse

MAX_REASONS_SHOWN = 5


def run_sync(
    settings: SippetSettings,
    streams: Sequence[str] | None,
    *,
    full_refresh: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    wait_seconds: float = 0.0,
    build: bool = True,
) -> int:
    """Sync, print a summary, build the models; the exit code (0 only if all went well)."""
    settings.require_api_key()
    progress = Progress()
    try:
        results = sync(settings, streams=streams, full_refresh=full_refresh, since=since,
                       until=until, progress=progress, wait_seconds=wait_seconds)
    except WarehouseError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    finally:
        progress.close()
    click.echo(summarize(results))
    code = 0 if all(r.ok and not r.rows_quarantined for r in results) else 1
    if build and all(r.ok for r in results):
        code = max(code, build_analytics(settings))
    return code


def summarize(results: Sequence[StreamResult]) -> str:
    """The end-of-sync table plus every error and (a few) quarantine reasons."""
    columns = ["stream", "status", "pages", "fetched", "inserted", "updated", "deleted",
               "quarantined", "seconds", "cursor"]
    rows = [(r.stream, r.status, r.pages, r.rows_fetched, r.rows_inserted, r.rows_updated,
             r.rows_deleted, r.rows_quarantined, r.duration_seconds, r.cursor_after or "")
            for r in results]
    lines = [format_table(columns, rows)]
    for r in results:
        lines += [f"warning: {w}" for w in r.warnings]
        if r.error:
            lines.append(f"error: {r.stream}: {r.error}")
        for reason in r.quarantine_reasons[:MAX_REASONS_SHOWN]:
            lines.append(f"quarantined: {reason}")
        hidden = len(r.quarantine_reasons) - MAX_REASONS_SHOWN
        if hidden > 0:
            lines.append(f"quarantined: ... and {hidden} more in sippet._quarantine")
    return "\n".join(lines)


def show_status(settings: SippetSettings) -> None:
    try:
        con = open_warehouse(settings.warehouse, read_only=True)
    except WarehouseError as exc:
        raise click.ClickException(str(exc)) from None
    with con:
        columns, rows = run_query(con, "stream_status", [list(STREAMS)])
        counts = table_counts(con, [spec.table for spec in STREAMS.values()])
    columns.insert(1, "rows")
    rows = [(r[0], counts[STREAMS[r[0]].table], *r[1:]) for r in rows]
    click.echo(format_table(columns, rows))


def build_analytics(settings: SippetSettings) -> int:
    from warehouse.analytics import build_models

    try:
        con = open_warehouse(settings.warehouse)
    except WarehouseError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    with con:
        built = build_models(con)
        checkpoint(con)
    total = sum(b.seconds for b in built)
    click.echo(f"built {len(built)} analytics models in {total:.2f}s: "
               + ", ".join(f"{b.name} ({b.rows:,} rows)" for b in built))
    return 0


def run_demo(*, scale: str, warehouse: str) -> int:
    """Sync the built-in simulator into `warehouse` and print what landed."""
    from pipelines.simulator import SimulatorConfig, serve

    click.echo(f"Starting the Sippet API simulator (scale {scale}) on loopback...")
    with serve(SimulatorConfig(scale=scale, live=True)) as server:
        settings = SippetSettings(base_url=server.url, api_key=server.api_key,
                                  warehouse=warehouse)
        click.echo(f"Syncing {server.url} into {warehouse}...")
        code = run_sync(settings, None)
    if code == 0:
        print_demo_report(warehouse)
    return code


def print_demo_report(warehouse: str) -> None:
    con = open_warehouse(warehouse, read_only=True)
    with con:
        counts = table_counts(con, [spec.table for spec in STREAMS.values()])
        tokens = run_query(con, "tokens_by_model")
        costs = _optional_query(con, "cost_by_model")
        tools = run_query(con, "top_failing_tools")
    out = sys.stdout
    print("\nRows per table:", file=out)
    print(format_table(["table", "rows"], list(counts.items())), file=out)
    print("\nTokens by model:", file=out)
    print(format_table(*tokens), file=out)
    if costs:
        print("\nEstimated cost by model (USD, analytics.token_usage_daily):", file=out)
        print(format_table(*costs), file=out)
    print("\nTop failing tools:", file=out)
    print(format_table(*tools), file=out)
    print(_how_to_open(warehouse), file=out)


def _optional_query(con, name: str):
    try:
        return run_query(con, name)
    except duckdb.CatalogException:  # the analytics models were not built
        return None


def _how_to_open(warehouse: str) -> str:
    return f"""
Open the warehouse:
  DuckDB CLI : duckdb -readonly {warehouse}
  Python     : duckdb.connect("{warehouse}", read_only=True).sql("FROM analytics.token_usage_daily")
  Notebook   : SIPPET_WAREHOUSE={warehouse} + notebooks/sippet_analytics.ipynb
  Dagster    : see "Running with Dagster" in README.md
"""
