"""Real servers for the lake tests: PostgreSQL (catalog) and moto's S3 server (data files).

PostgreSQL: the one on 127.0.0.1:5432 (trust auth, user postgres), else a throwaway cluster
started with initdb/pg_ctl when the binaries exist. When neither works the tests skip with the
reason, except under CI (env CI set), where they fail: CI must run them.
"""

from __future__ import annotations

import glob
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from bench.servers import free_port, moto_s3


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"lake tests cannot run in CI: {reason}")
    pytest.skip(reason)


def pg_reachable(port: int, host: str = "127.0.0.1") -> bool:
    try:
        psycopg.connect(host=host, port=port, user="postgres", dbname="postgres",
                        connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


@contextmanager
def postgres(tmp: Path) -> Iterator[int]:
    """The port of a reachable PostgreSQL (trust auth, user postgres)."""
    if pg_reachable(5432):
        yield 5432
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not bins:
        unavailable("PostgreSQL is not reachable on 127.0.0.1:5432 and no pg_ctl is installed")
    bindir = Path(bins[-1]).parent
    data, port = tmp / "pgdata", free_port()
    subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True)
    subprocess.run([bindir / "pg_ctl", "-D", data, "-w", "-l", tmp / "pg.log", "-o",
                    f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield port
    finally:
        subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)


def admin(port: int, sql: str) -> None:
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                         autocommit=True) as con:
        con.execute(sql)  # type: ignore[arg-type]


@contextmanager
def s3_server(tmp: Path) -> Iterator[str]:
    """moto's S3 server on a free loopback port (bench's launcher); yields its endpoint URL."""
    with moto_s3(tmp) as endpoint:
        if endpoint is None:
            unavailable("moto[server] is not installed (pip install -e '.[dev]')")
        yield endpoint

