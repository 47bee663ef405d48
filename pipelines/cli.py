"""`sippet-sync`: the command line of sippet-warehouse (click).

Heavy modules (duckdb, pyarrow, pydantic models, the simulator) are imported inside the
commands, so `sippet-sync --help` and a sync with nothing new start fast. Every expected
failure leaves through `pipelines.cli_errors` as one line and a documented exit code.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

import click

from pipelines.cli_errors import EXIT_CODES_HELP, EXIT_USAGE, fail, one_line_errors
from pipelines.cli_params import Fault, Instant, Scale
from pipelines.lean_imports import refuse_unused_imports


def _stream_names() -> tuple[str, ...]:
    # The registry is the one list of streams (importing it costs ~0.1 s of pydantic).
    from pipelines.streams import STREAMS

    return tuple(STREAMS)


_debug = {"on": False}


def _settings(flags: dict[str, str] | None = None, **overrides: object):
    from pipelines.redaction import install_log_redaction
    from pipelines.settings import load_settings

    settings = load_settings(flags, **overrides)
    if settings.api_key is not None:
        install_log_redaction(settings.api_key.get_secret_value())
    return settings


def _require_key(settings) -> None:
    """Checked before the warehouse is opened, so a missing key creates nothing."""
    if settings.api_key is None or not settings.api_key.get_secret_value().strip():
        fail("SIPPET_API_KEY is not set: export a secret key (export SIPPET_API_KEY=sk_...) "
             "or put it in .env", EXIT_USAGE)


@click.group(epilog=EXIT_CODES_HELP)
@click.option("-v", "--verbose", is_flag=True,
              help="Show retries, warnings and per-stream log lines on stderr (INFO).")
@click.option("--debug", is_flag=True, help="As -v at DEBUG level, and show tracebacks.")
def cli(verbose: bool, debug: bool) -> None:
    """Keep a DuckDB warehouse in sync with the Sippet RPC API."""
    _debug["on"] = verbose or debug
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Without -v the CLI prints what matters itself (summary, one error line); the engine's
    # own log lines (retries, per-stream errors) would only repeat it.
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.CRITICAL
    logging.getLogger("pipelines").setLevel(level)


def main(argv: Sequence[str] | None = None) -> None:
    """The `sippet-sync` entry point."""
    refuse_unused_imports()
    with one_line_errors(lambda: _debug["on"]):
        code = cli.main(args=argv, prog_name="sippet-sync", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)


warehouse_option = click.option(
    "--warehouse", envvar="SIPPET_WAREHOUSE", default=None,
    help="DuckDB target: file path or ducklake:... (env SIPPET_WAREHOUSE). "
    "Default data/warehouse.duckdb.")


@cli.command()
@click.option("--stream", "streams", multiple=True, type=click.Choice(_stream_names()),
              help="Sync only this stream (repeatable). Default: all.")
@click.option("--full-refresh", is_flag=True, help="Re-read all history, ignoring cursors.")
@click.option("--since", type=Instant(), help="Re-read a past window from this instant.")
@click.option("--until", type=Instant(), help="End of the --since window (default: now).")
@warehouse_option
@click.option("--base-url", default=None, help="API origin (env SIPPET_BASE_URL).")
@click.option("--page-size", type=click.IntRange(1, 250), default=None,
              help="Rows per page, 1-250 (env SIPPET_PAGE_SIZE).")
@click.option("--max-concurrency", type=click.IntRange(1, 64), default=None,
              help="Requests in flight at once, 1-64 (env SIPPET_MAX_CONCURRENCY, default 4).")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0), default=0.0,
              help="Wait up to this many seconds for another process to release the file.")
@click.option("--models/--no-models", default=True, help="Build the analytics models after.")
def sync(streams, full_refresh, since, until, warehouse, base_url, page_size, max_concurrency,
         wait_seconds, models) -> None:
    """Sync the Sippet streams into the warehouse (incremental by default)."""
    from pipelines.commands import run_sync

    if until and not since:
        raise click.UsageError("--until needs --since")
    if since and since >= (until or datetime.now(UTC)):
        raise click.UsageError("--since must be before --until (or before now)")
    settings = _settings({"base_url": "--base-url", "warehouse": "--warehouse"},
                         warehouse=warehouse, base_url=base_url, page_size=page_size,
                         max_concurrency=max_concurrency)
    _require_key(settings)
    sys.exit(run_sync(settings, list(streams) or None, full_refresh=full_refresh, since=since,
                      until=until, wait_seconds=wait_seconds, build=models))


@cli.command()
@warehouse_option
def status(warehouse) -> None:
    """Per stream: cursor, last run, rows held, quarantined records."""
    from pipelines.commands import show_status

    show_status(_settings({"warehouse": "--warehouse"}, warehouse=warehouse))


@cli.command("build-models")
@warehouse_option
def build_models_command(warehouse) -> None:
    """(Re)build the analytics models from the raw tables."""
    from pipelines.commands import build_analytics

    sys.exit(build_analytics(_settings({"warehouse": "--warehouse"}, warehouse=warehouse)))


@cli.command()
@click.option("--days", type=click.IntRange(1, 366), default=3, show_default=True)
@warehouse_option
def verify(days, warehouse) -> None:
    """Reconcile the last N days: API counts vs warehouse rows."""
    from pipelines.verify import format_report, reconcile

    settings = _settings({"warehouse": "--warehouse"}, warehouse=warehouse)
    _require_key(settings)
    results = reconcile(settings, settings.warehouse, days=days)
    click.echo(format_report(results))
    sys.exit(0 if all(r.ok for r in results) else 1)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--scale", type=Scale(), default="small", show_default=True,
              help="tiny | small | demo | bench | a number of AI audit events.")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
@click.option("--live/--frozen", default=True, help="Clock follows wall time (default).")
@click.option("--fault", "faults", multiple=True, type=Fault(),
              help="Inject a fault, e.g. --fault rate_limit=0.1 (repeatable).")
@click.option("--api-key", envvar="SIPPET_API_KEY", default=None,
              help="Key the simulator accepts (env SIPPET_API_KEY; default: the demo key).")
@click.option("--policy-null", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of every non-id field's values hidden (served null), as by policy.")
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Fixed delay per request, as over a real network.")
@click.option("--jitter-ms", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Extra uniform random delay per request, 0..this.")
@click.pass_context
def simulate(ctx, port, host, seed, scale, days, live, faults, api_key, policy_null,
             latency_ms, jitter_ms) -> None:
    """Serve the built-in Sippet API simulator on loopback."""
    from pipelines.commands import serve_simulator

    source = ctx.get_parameter_source("api_key")
    origin = None if api_key is None else (
        "--api-key" if source is click.core.ParameterSource.COMMANDLINE else "SIPPET_API_KEY")
    serve_simulator(host=host, port=port, seed=seed, scale=scale, days=days, live=live,
                    faults=dict(faults), api_key=api_key, key_origin=origin,
                    network={"policy_null": policy_null, "latency_ms": latency_ms,
                             "jitter_ms": jitter_ms})


@cli.command()
@click.option("--scale", type=Scale(), default="small", show_default=True,
              help="tiny | small | demo | bench | a number of AI audit events.")
@click.option("--warehouse", default="data/demo.duckdb", show_default=True)
def demo(scale, warehouse) -> None:
    """Start the simulator, sync it into a demo warehouse and print a short report."""
    from pipelines.commands import run_demo

    sys.exit(run_demo(scale=scale, warehouse=warehouse))


@cli.command("migrate-to")
@click.argument("target")
@warehouse_option
def migrate_to_command(target, warehouse) -> None:
    """Copy the file warehouse into TARGET (e.g. ducklake:sqlite:PATH), verified row for row."""
    from warehouse.migrate_to import MigrateError, migrate_to

    source = _settings({"warehouse": "--warehouse"}, warehouse=warehouse).warehouse
    try:
        report = migrate_to(source, target)
    except MigrateError as exc:  # a mismatch after the copy: the data, not the usage
        fail(f"migrate-to {target}: {exc}", 1)
    click.echo(f"copied {report.rows:,} rows in {len(report.tables)} tables to "
               f"{report.target}, verified row for row ({report.seconds:.1f} s)")


if __name__ == "__main__":  # pragma: no cover
    main()
