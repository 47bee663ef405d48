"""`sippet-sync`: the command line of sippet-warehouse (click).

Heavy modules (duckdb, pyarrow, pydantic models, the simulator) are imported inside the
commands, so `sippet-sync --help` and a sync with nothing new start fast.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import click

STREAM_NAMES = (
    "calls",
    "call_transcripts",
    "call_ai_audit_events",
    "operator_status_events",
    "operator_statuses",
)


def _settings(**overrides: object):
    from pipelines.redaction import install_log_redaction
    from pipelines.settings import SippetSettings

    settings = SippetSettings(**{k: v for k, v in overrides.items() if v is not None})
    if settings.api_key is not None:
        install_log_redaction(settings.api_key.get_secret_value())
    return settings


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log retries and warnings (INFO).")
def main(verbose: bool) -> None:
    """Keep a DuckDB warehouse in sync with the Sippet RPC API."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


warehouse_option = click.option(
    "--warehouse", envvar="SIPPET_WAREHOUSE", default=None,
    help="DuckDB target (file path, md:db or ducklake:...). Default data/warehouse.duckdb.")


@main.command()
@click.option("--stream", "streams", multiple=True, type=click.Choice(STREAM_NAMES),
              help="Sync only this stream (repeatable). Default: all.")
@click.option("--full-refresh", is_flag=True, help="Re-read all history, ignoring cursors.")
@click.option("--since", help="Re-read a past window from this instant (ISO-8601).")
@click.option("--until", help="End of the --since window (default: now).")
@warehouse_option
@click.option("--base-url", default=None, help="API origin (env SIPPET_BASE_URL).")
@click.option("--page-size", type=click.IntRange(1, 250), default=None)
@click.option("--wait", "wait_seconds", type=float, default=0.0,
              help="Wait up to this many seconds for another writer to release the file.")
@click.option("--models/--no-models", default=True, help="Build the analytics models after.")
def sync(streams, full_refresh, since, until, warehouse, base_url, page_size, wait_seconds,
         models) -> None:
    """Sync the Sippet streams into the warehouse (incremental by default)."""
    from pipelines.commands import run_sync

    if until and not since:
        raise click.UsageError("--until needs --since")
    settings = _settings(warehouse=warehouse, base_url=base_url, page_size=page_size)
    code = run_sync(settings, list(streams) or None, full_refresh=full_refresh,
                    since=_instant(since), until=_instant(until), wait_seconds=wait_seconds,
                    build=models)
    sys.exit(code)


@main.command()
@warehouse_option
def status(warehouse) -> None:
    """Per stream: cursor, last run, rows held, quarantined records."""
    from pipelines.commands import show_status

    show_status(_settings(warehouse=warehouse))


@main.command("build-models")
@warehouse_option
def build_models_command(warehouse) -> None:
    """(Re)build the analytics models from the raw tables."""
    from pipelines.commands import build_analytics

    sys.exit(build_analytics(_settings(warehouse=warehouse)))


@main.command()
@click.option("--days", type=click.IntRange(1, 366), default=3, show_default=True)
@warehouse_option
def verify(days, warehouse) -> None:
    """Reconcile the last N days: API counts vs warehouse rows."""
    from pipelines.verify import format_report, reconcile

    settings = _settings(warehouse=warehouse)
    results = reconcile(settings, settings.warehouse, days=days)
    click.echo(format_report(results))
    sys.exit(0 if all(r.ok for r in results) else 1)


@main.command()
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--scale", default="small", show_default=True,
              help="tiny | small | demo | bench | a number of AI audit events.")
@click.option("--days", type=int, default=30, show_default=True)
@click.option("--live/--frozen", default=True, help="Clock follows wall time (default).")
@click.option("--fault", "faults", multiple=True, metavar="KIND=RATE",
              help="Inject a fault, e.g. --fault rate_limit=0.1 (repeatable).")
def simulate(port, host, seed, scale, days, live, faults) -> None:
    """Serve the built-in Sippet API simulator on loopback."""
    from pipelines.simulator.cli import main_simulate

    rates = {}
    for item in faults:
        kind, _, rate = item.partition("=")
        rates[kind] = float(rate or 1.0)
    main_simulate(port=port, seed=seed, scale=scale, faults=rates, live=live, days=days,
                  host=host)


@main.command()
@click.option("--scale", default="small", show_default=True)
@click.option("--warehouse", default="data/demo.duckdb", show_default=True)
def demo(scale, warehouse) -> None:
    """Start the simulator, sync it into a demo warehouse and print a short report."""
    from pipelines.commands import run_demo

    sys.exit(run_demo(scale=scale, warehouse=warehouse))


@main.command("migrate-to")
@click.argument("target")
@warehouse_option
def migrate_to_command(target, warehouse) -> None:
    """Copy the file warehouse into TARGET (e.g. ducklake:sqlite:PATH), verified row for row."""
    from warehouse.migrate_to import migrate_to
    from warehouse.store import WarehouseError

    try:
        report = migrate_to(_settings(warehouse=warehouse).warehouse, target)
    except WarehouseError as exc:
        click.echo(f"migrate-to failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"copied {report.rows:,} rows in {len(report.tables)} tables to "
               f"{report.target}, verified row for row ({report.seconds:.1f} s)")

if __name__ == "__main__":  # pragma: no cover
    main()
