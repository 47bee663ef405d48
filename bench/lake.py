"""Full sync into a DuckLake vs into a DuckDB file: wall time and the ratio.

    .venv/bin/python -m bench.lake                     # 200k audit events, file vs lakes
    .venv/bin/python -m bench.lake --scale 1000000     # the issue's 1M events (long)

Targets: a file; `ducklake:sqlite:` with data in a local folder; `ducklake:postgres:` (a fresh
database on 127.0.0.1:5432, dropped afterwards) with data in a local folder. Each is a real
`sippet-sync sync --no-models` process against one simulator (same data for all).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import duckdb

from bench.harness import API_KEY, Simulator, run_measured, sync_command


def _targets(work: Path, postgres: str | None) -> list[tuple[str, str, dict[str, str]]]:
    found = [
        ("file", str(work / "warehouse.duckdb"), {}),
        ("ducklake:sqlite", f"ducklake:sqlite:{work / 'lake' / 'catalog.sqlite'}", {}),
    ]
    if postgres:
        found.append(("ducklake:postgres", f"ducklake:postgres:{postgres}",
                      {"SIPPET_LAKE_DATA_PATH": str(work / "pg-lake-data")}))
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lake", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=200_000, help="audit events (default 200k)")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--no-postgres", action="store_true", help="skip the Postgres catalog")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sippet-bench-lake-"))
    database = None if args.no_postgres else f"sippet_bench_{uuid.uuid4().hex[:8]}"
    postgres = f"dbname={database} host=127.0.0.1 port=5432 user=postgres" if database else None
    if database:
        _admin(f"CREATE DATABASE {database}")
    rows = []
    try:
        with Simulator(args.scale, days=args.days, log_dir=work) as sim:
            print(f"duckdb {duckdb.__version__}; simulator: {sim.records}")
            for label, target, extra in _targets(work, postgres):
                env = {**os.environ, "SIPPET_BASE_URL": sim.url, "SIPPET_API_KEY": API_KEY,
                       "SIPPET_WAREHOUSE": target, **extra}
                run = run_measured([*sync_command(), "sync", "--no-models"], env)
                if run.returncode != 0:
                    print(f"{label}: sync failed\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
                    return 1
                rows.append((label, run.wall_seconds, run.maxrss_bytes / 1e6))
                print(f"  {label}: {run.wall_seconds:.1f} s, peak RSS {rows[-1][2]:.0f} MB")
    finally:
        if database:
            _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0][1]
    print(f"\n| target | full sync of {args.scale:,} audit events | vs file | peak RSS |")
    print("|---|---|---|---|")
    for label, seconds, rss in rows:
        print(f"| {label} | {seconds:.1f} s | {seconds / base:.2f}x | {rss:.0f} MB |")
    return 0


def _admin(sql: str) -> None:
    import psycopg  # a dev dependency: only this benchmark and the lake tests need it

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres",
                         autocommit=True) as con:
        con.execute(sql)  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
