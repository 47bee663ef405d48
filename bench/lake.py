"""Full sync into a DuckLake vs into a DuckDB file: wall time, records/s and the ratio.

    .venv/bin/python -m bench.lake                     # 200k audit events, file vs lakes
    .venv/bin/python -m bench.lake --scale 1000000     # the issue's 1M events (long)
    .venv/bin/python -m bench.lake --scale 1000000 --lakes s3   # file vs Postgres+S3 only

Targets: a file; `ducklake:sqlite:` with data in a local folder; `ducklake:postgres:` (a fresh
database on 127.0.0.1:5432, dropped afterwards) with data in a local folder; and, when moto's
S3 server is installed (the dev extra), `ducklake:postgres:` with data on that S3 server (an
in-process Python S3 on loopback: it measures the S3 code path, not a real object store's
speed). Each is a real `sippet-sync sync --no-models` process against one simulator (same
data for all). records/s counts every row the sync landed (inserted + updated + deleted,
all streams) over the process's wall time (start-up included).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bench import API_KEY
from bench.measure import run_measured, sync_command
from bench.servers import Simulator, moto_s3

BUCKET = "sippet-bench-lake"
LANDED_SQL = (
    "SELECT sum(rows_inserted + rows_updated + rows_deleted), "
    "sum(rows_inserted) FILTER (WHERE stream = 'call_ai_audit_events') FROM sippet._sync_runs"
)


@dataclass
class Target:
    key: str  # what --lakes names
    label: str
    target: str
    env: dict[str, str] = field(default_factory=dict)


def _targets(work: Path, databases: list[str], s3: str | None) -> list[Target]:
    found = [
        Target("file", "file", str(work / "warehouse.duckdb")),
        Target("sqlite", "ducklake:sqlite", f"ducklake:sqlite:{work / 'lake' / 'catalog.sqlite'}"),
    ]
    pg = "ducklake:postgres:dbname={} host=127.0.0.1 port=5432 user=postgres"
    if databases:
        found.append(Target("postgres", "ducklake:postgres", pg.format(databases[0]),
                            {"SIPPET_LAKE_DATA_PATH": str(work / "pg-lake-data")}))
    if s3 and len(databases) > 1:
        # moto accepts any credentials; these are throwaway values for a loopback server
        found.append(Target("s3", "ducklake:postgres+s3(moto)", pg.format(databases[1]), {
            "SIPPET_LAKE_DATA_PATH": f"s3://{BUCKET}/{databases[1]}/",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-unused",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": s3}))
    return found


def _landed(target: Target) -> tuple[int, int]:
    """(rows landed over all streams, audit events inserted) from the target's run ledger."""
    from warehouse.store import connect  # after the runs: keeps the engine out until needed

    con = connect(target.target, read_only=True, env={**os.environ, **target.env})
    try:
        landed, audit = con.execute(LANDED_SQL).fetchone()
    finally:
        con.close()
    return int(landed or 0), int(audit or 0)


@contextlib.contextmanager
def _databases(count: int) -> Iterator[list[str]]:
    names = [f"sippet_bench_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    try:
        for name in names:
            _admin(f"CREATE DATABASE {name}")
        yield names
    finally:
        for name in names:
            _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lake", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=200_000, help="audit events (default 200k)")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--no-postgres", action="store_true", help="skip the Postgres catalogs")
    p.add_argument("--no-s3", action="store_true", help="skip the lake with data on moto S3")
    p.add_argument("--lakes", default="sqlite,postgres,s3",
                   help="lakes to compare with the file (default: sqlite,postgres,s3)")
    args = p.parse_args(argv)
    lakes = {"file", *args.lakes.split(",")}
    work = Path(tempfile.mkdtemp(prefix="sippet-bench-lake-"))
    rows: list[tuple[str, float, float, int, int]] = []
    try:
        with contextlib.ExitStack() as stack:
            s3 = None if args.no_s3 or args.no_postgres else stack.enter_context(
                moto_s3(work, BUCKET))
            databases = [] if args.no_postgres else stack.enter_context(
                _databases(2 if s3 else 1))
            sim = stack.enter_context(Simulator(args.scale, days=args.days, log_dir=work))
            print(f"duckdb {duckdb.__version__}; load average {os.getloadavg()}; "
                  f"simulator: {sim.records}")
            if not s3 and not args.no_s3:
                print("  (no S3 target: moto_server is not installed or --no-postgres)")
            for t in [t for t in _targets(work, databases, s3) if t.key in lakes]:
                env = {**os.environ, "SIPPET_BASE_URL": sim.url, "SIPPET_API_KEY": API_KEY,
                       "SIPPET_WAREHOUSE": t.target, **t.env}
                run = run_measured([*sync_command(), "sync", "--no-models"], env)
                if run.returncode != 0:
                    print(f"{t.label}: sync failed\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
                    return 1
                landed, audit = _landed(t)
                rows.append((t.label, run.wall_seconds, run.maxrss_bytes / 1e6, landed, audit))
                print(f"  {t.label}: {run.wall_seconds:.1f} s, {landed / run.wall_seconds:,.0f}"
                      f" records/s ({landed:,} records, {audit:,} audit events), peak RSS "
                      f"{rows[-1][2]:.0f} MB; load average {os.getloadavg()}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _table(args.scale, rows)
    return 0


def _table(scale: int, rows: list[tuple[str, float, float, int, int]]) -> None:
    base = rows[0][1]
    print(f"\n| target | full sync of {scale:,} audit events | records/s | lake/file time "
          "| peak RSS |")
    print("|---|---|---|---|---|")
    for label, seconds, rss, landed, _ in rows:
        print(f"| {label} | {seconds:.1f} s | {landed / seconds:,.0f} | {seconds / base:.2f}x "
              f"| {rss:.0f} MB |")


def _admin(sql: str) -> None:
    import psycopg  # a dev dependency: only this benchmark and the lake tests need it

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres",
                         autocommit=True) as con:
        con.execute(sql)  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
