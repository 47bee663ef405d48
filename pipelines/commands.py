"""What the CLI commands do, kept apart from argument parsing so tests can call them."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click
import duckdb

from pipelines.progress import Progress
from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS
from pipelines.sync import StreamResult, sync
from warehouse.errors import WarehouseLockedError
from warehouse.reports import format_table, run_query, table_counts
from warehouse.store import checkpoint, connect, open_warehouse

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
    """Sync, print a summary, build the models; the exit code (0 only if all went well).

    Warehouse errors propagate (the CLI turns them into one line and exit 2, or 3 if locked).
    """
    settings.require_api_key()
    _announce_wait(settings.warehouse, wait_seconds)
    progress = Progress()
    try:
        results = sync(settings, streams=streams, full_refresh=full_refresh, since=since,
                       until=until, progress=progress, wait_seconds=wait_seconds)
    except WarehouseLockedError as exc:
        hint = "" if wait_seconds else " Or rerun with --wait SECONDS to wait for it."
        raise WarehouseLockedError(f"{exc}{hint}", exc.holder) from None
    finally:
        progress.close()
    click.echo(summarize(results))
    verdict = _verdict(results)
    if verdict:
        click.echo(verdict, err=True)
    code = 0 if all(r.ok and not r.rows_quarantined for r in results) else 1
    if build and all(r.ok for r in results):
        code = max(code, build_analytics(settings))
    return code


def _announce_wait(target: str, wait_seconds: float) -> None:
    """Say that `--wait` is waiting and for whom, instead of waiting in silence."""
    if wait_seconds <= 0 or not Path(target).is_file():
        return
    try:  # a writer's probe: it is refused by a reader's hold as well as by a writer's
        connect(target).close()
    except WarehouseLockedError as exc:
        click.echo(f"waiting up to {wait_seconds:g} s for {exc.holder} to release {target}...",
                   err=True)


def _verdict(results: Sequence[StreamResult]) -> str | None:
    """One line on stderr saying what went wrong (the table above has the details)."""
    skipped = [r for r in results if r.status == "skipped"]
    failed = [r for r in results if r.status == "failed"]
    quarantined = sum(r.rows_quarantined for r in results)
    if skipped and failed:
        first = failed[-1]
        return (f"error: {first.stream}: {first.error}; stopped: {len(skipped)} other "
                "stream(s) not run")
    if failed:
        names = ", ".join(r.stream for r in failed)
        return f"error: {len(failed)} stream(s) failed ({names}); see the error lines above"
    if quarantined:
        return (f"warning: {quarantined:,} record(s) quarantined in sippet._quarantine; see "
                "the quarantined lines above (exit code 1)")
    return None


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
            lines.append(f"{'error' if r.status == 'failed' else r.status}: {r.stream}: "
                         f"{r.error}")
        for reason in r.quarantine_reasons[:MAX_REASONS_SHOWN]:
            lines.append(f"quarantined: {reason}")
        hidden = len(r.quarantine_reasons) - MAX_REASONS_SHOWN
        if hidden > 0:
            lines.append(f"quarantined: ... and {hidden} more in sippet._quarantine")
    return "\n".join(lines)


def show_status(settings: SippetSettings) -> None:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        columns, rows = run_query(con, "stream_status", [list(STREAMS)])
        counts = table_counts(con, [spec.table for spec in STREAMS.values()])
    columns.insert(1, "rows")
    rows = [(r[0], counts[STREAMS[r[0]].table], *r[1:]) for r in rows]
    click.echo(format_table(columns, rows))


def build_analytics(settings: SippetSettings) -> int:
    from warehouse.analytics import build_models

    with open_warehouse(settings.warehouse) as con:
        built = build_models(con)
        checkpoint(con)
    total = sum(b.seconds for b in built)
    click.echo(f"built {len(built)} analytics models in {total:.1f} s: "
               + ", ".join(f"{b.name} ({b.rows:,} rows)" for b in built))
    return 0


def run_demo(*, scale: str, warehouse: str) -> int:
    """Sync the built-in simulator into `warehouse` and print what landed."""
    from pipelines.settings import load_settings
    from pipelines.simulator import SimulatorConfig, serve

    config = SimulatorConfig(scale=scale, live=True)
    click.echo(f"Starting the Sippet API simulator (scale {scale}) on loopback...")
    with serve(config) as server:
        # The demo's own server and key; other SIPPET_* settings still apply (and are checked).
        settings = load_settings(base_url=server.url, api_key=server.api_key,
                                 warehouse=warehouse)
        click.echo(f"Syncing {server.url} into {warehouse}...")
        code = run_sync(settings, None)
    if code == 0:
        print_demo_report(warehouse)
    return code


def serve_simulator(*, host: str, port: int, seed: int, scale: str, days: int, live: bool,
                    faults: dict[str, float], api_key: str | None,
                    key_origin: str | None, network: dict[str, float] | None = None) -> None:
    """`sippet-sync simulate`: serve until Ctrl-C; the banner never shows a user's key."""
    from pipelines.simulator import SimulatorConfig
    from pipelines.simulator.config import FaultConfig
    from pipelines.simulator.server import SimulatorServer

    options = {"api_key": api_key} if api_key else {}
    config = SimulatorConfig(seed=seed, scale=scale, days=days, live=live,
                             faults=FaultConfig(**faults), **options, **(network or {}))
    server = SimulatorServer(config, host=host, port=port)
    try:
        server.start()
    except OSError as exc:
        error = click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                                     "pass another --port (0 picks a free one)")
        error.exit_code = 2
        raise error from None
    # The demo key is public (documented); a key the user chose is theirs: name, don't show.
    key = (f"{server.api_key}  (the demo key: SIPPET_API_KEY={server.api_key})"
           if key_origin is None else f"the one from {key_origin} (not shown)")
    click.echo(f"Sippet simulator listening on {server.url}\n  api key: {key}\n"
               f"  point the sync at it: SIPPET_BASE_URL={server.url}\n"
               f"  seed={seed} scale={scale} days={days} live={live} "
               f"records={server.simulator.counts()}")
    if faults:
        click.echo(f"  faults: {faults}")
    if any((network or {}).values()):
        click.echo(f"  policy nulls and network: {network}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        server.stop()


def print_demo_report(warehouse: str) -> None:
    con = open_warehouse(warehouse, read_only=True)
    with con:
        counts = table_counts(con, [spec.table for spec in STREAMS.values()])
        tokens = run_query(con, "tokens_by_model")
        costs = _optional_query(con, "cost_by_model")
        agents = _optional_query(con, "cost_by_agent")
        tools = run_query(con, "top_failing_tools")
    out = sys.stdout
    print("\nRows per table:", file=out)
    print(format_table(["table", "rows"], list(counts.items())), file=out)
    print("\nTokens by model:", file=out)
    print(format_table(*tokens), file=out)
    if costs:
        print("\nEstimated cost by model (USD, analytics.token_usage_daily):", file=out)
        print(format_table(*costs), file=out)
    if agents:
        print("\nEstimated cost by AI agent (USD, analytics.agent_costs_daily):", file=out)
        print(format_table(*agents), file=out)
    print("\nTop failing tools:", file=out)
    print(format_table(*tools), file=out)
    print(_how_to_open(warehouse), file=out)


def _optional_query(con, name: str):
    try:
        return run_query(con, name)
    except duckdb.CatalogException:  # the analytics models were not built
        return None


def _how_to_open(warehouse: str) -> str:
    # Every line works verbatim from the project folder with what the README installs
    # (the `duckdb` shell is not a pip dependency, so it is not suggested).
    query = (f"import duckdb; duckdb.connect('{warehouse}', read_only=True)"
             ".sql('FROM analytics.token_usage_daily LIMIT 5').show()")
    return "\n".join([
        "",
        "Query the demo warehouse (commands default to data/warehouse.duckdb, so name it):",
        f"  Status   : .venv/bin/sippet-sync status --warehouse {warehouse}",
        f"  Rebuild  : .venv/bin/sippet-sync build-models --warehouse {warehouse}",
        f'  Python   : .venv/bin/python -c "{query}"',
        "  Notebook : .venv/bin/pip install -e '.[notebook]' && "
        f"SIPPET_WAREHOUSE={warehouse} .venv/bin/jupyter lab notebooks/sippet_analytics.ipynb",
        '  Dagster  : see "Running with Dagster" in README.md',
    ])
