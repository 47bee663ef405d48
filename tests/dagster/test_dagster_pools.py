"""The pools follow the warehouse target: one writer pool on a file, a pool per table on a lake."""

import dagster as dg
import duckdb
import pytest

from assets.definitions import build_definitions
from assets.executors import build_executor, celery_config
from assets.pools import build_time_target, pools_of
from assets.raw import lake_conflict
from assets.resources import DUCKDB_POOL, WarehouseResource
from pipelines.streams import STREAMS
from warehouse.errors import WarehouseError

RAW_OPS = {f"sippet__{name}" for name in STREAMS}
LAKE = "ducklake:postgres:dbname=sippet host=127.0.0.1 user=postgres"


def test_file_target_puts_every_warehouse_op_in_the_duckdb_pool(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SIPPET_WAREHOUSE", LAKE)  # the explicit target wins over the env
    pools = pools_of(build_definitions(warehouse=WarehouseResource(target=str(tmp_path / "w"))))
    assert len(pools) > len(RAW_OPS) + 15
    assert set(pools.values()) == {DUCKDB_POOL}


def test_lake_target_gives_each_raw_asset_its_own_pool(monkeypatch) -> None:
    monkeypatch.setenv("SIPPET_WAREHOUSE", LAKE)
    pools = pools_of(build_definitions())
    assert set(pools) >= RAW_OPS
    expected = {f"sippet__{name}": f"sippet_lake_{name}" for name in STREAMS}
    assert {op: pools[op] for op in RAW_OPS} == expected
    # marts and checks keep the one pool: one model build at a time
    assert {pool for op, pool in pools.items() if op not in RAW_OPS} == {DUCKDB_POOL}


def test_target_read_at_build_time(monkeypatch) -> None:
    monkeypatch.delenv("SIPPET_WAREHOUSE", raising=False)
    monkeypatch.chdir("/")  # no .env here
    assert build_time_target(None) == "data/warehouse.duckdb"
    assert build_time_target(WarehouseResource()) == "data/warehouse.duckdb"
    monkeypatch.setenv("SIPPET_WAREHOUSE", "ducklake:sqlite:/srv/c.sqlite")
    assert build_time_target(WarehouseResource()) == "ducklake:sqlite:/srv/c.sqlite"


def test_executor_choice(monkeypatch) -> None:
    monkeypatch.delenv("SIPPET_DAGSTER_EXECUTOR", raising=False)
    assert build_executor() is dg.in_process_executor
    assert build_executor("multiprocess") is dg.multiprocess_executor
    assert build_executor("celery").name == "celery"
    monkeypatch.setenv("SIPPET_DAGSTER_EXECUTOR", "multiprocess")
    assert build_definitions().executor is dg.multiprocess_executor
    with pytest.raises(ValueError, match="SIPPET_DAGSTER_EXECUTOR='threads'"):
        build_executor("threads")


def test_celery_config_from_env(monkeypatch) -> None:
    for name in ("SIPPET_CELERY_BROKER", "SIPPET_CELERY_BACKEND", "SIPPET_CELERY_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    assert celery_config() == {
        "broker": "redis://127.0.0.1:6379/0", "backend": "redis://127.0.0.1:6379/0"}
    monkeypatch.setenv("SIPPET_CELERY_BROKER", "pyamqp://guest@127.0.0.1:5672//")
    monkeypatch.setenv("SIPPET_CELERY_BACKEND", "rpc://")
    monkeypatch.setenv("SIPPET_CELERY_KEY_PREFIX", "team-a:")
    config = celery_config()
    assert (config["broker"], config["backend"]) == ("pyamqp://guest@127.0.0.1:5672//", "rpc://")
    assert config["config_source"]["broker_transport_options"]["global_keyprefix"] == "team-a:"


def test_a_lake_write_conflict_anywhere_in_the_chain_is_retryable() -> None:
    """Two streams syncing at once can conflict on a statement the sync does not retry (the
    table comments at its start): the raw asset then asks Dagster for another attempt."""
    conflict = duckdb.TransactionException(
        "Failed to commit DuckLake transaction. Transaction conflict - attempting to alter table")
    rollback = duckdb.TransactionException("cannot rollback - no transaction is active")
    rollback.__context__ = conflict
    error = WarehouseError("warehouse write failed")
    error.__cause__ = rollback
    assert lake_conflict(error)
    assert not lake_conflict(WarehouseError("No space left on device"))
