"""Storage credentials stay secret: not in errors, reprs, logs or the catalog."""

from __future__ import annotations

import logging
import shutil
import subprocess

import pytest

from tests.lake.servers import unavailable
from warehouse import lake as lakemod
from warehouse.errors import WarehouseError
from warehouse.store import connect, open_warehouse


def test_secret_is_not_in_errors_or_reprs(pg_lake, caplog):
    caplog.set_level(logging.DEBUG)
    secret = pg_lake.env["AWS_SECRET_ACCESS_KEY"]
    # A bucket that does not exist: DuckDB's error text comes back through our message.
    env = {**pg_lake.env, "SIPPET_LAKE_DATA_PATH": "s3://no-such-bucket-here/x/"}
    con = open_warehouse(pg_lake.target, env=env)
    with pytest.raises(Exception) as failed:
        con.execute("INSERT INTO sippet._sync_state SELECT range::VARCHAR, NULL, now() "
                    "FROM range(100)")
    con.close()
    target = lakemod.parse_target(pg_lake.target + " password=hunter2", pg_lake.env)
    texts = [str(failed.value), repr(target), caplog.text]
    assert all(secret not in text for text in texts)
    assert "hunter2" not in repr(target)


def test_wrong_target_says_what_to_use_without_the_password():
    with pytest.raises(WarehouseError, match="ducklake:postgres:dbname=") as failed:
        connect("ducklake:mysql:host=x password=hunter2", env={})
    assert "hunter2" not in str(failed.value)


def test_missing_data_path_for_postgres_catalog_is_explained(pg_lake):
    with pytest.raises(WarehouseError, match="SIPPET_LAKE_DATA_PATH"):
        connect(pg_lake.target, env={})


def test_secret_is_never_stored_in_the_catalog(pg_lake, pg_port):
    if shutil.which("pg_dump") is None:
        unavailable("pg_dump is not installed")
    con = open_warehouse(pg_lake.target, env=pg_lake.env)
    con.execute("INSERT INTO sippet._sync_state SELECT range::VARCHAR, NULL, now() "
                "FROM range(100)")  # more rows than DuckLake inlines: a Parquet file on S3
    con.close()
    dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres",
                           pg_lake.database], capture_output=True, text=True, check=True).stdout
    assert "_sync_state" in dump or "ducklake" in dump
    assert pg_lake.env["AWS_SECRET_ACCESS_KEY"] not in dump
    assert pg_lake.env["AWS_ACCESS_KEY_ID"] not in dump
