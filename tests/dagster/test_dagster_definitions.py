"""The code location loads, its graph matches the committed snapshot, and its wiring holds."""

import dataclasses
import os
import subprocess
import sys

import dagster as dg
import pytest

from assets.definitions import build_definitions, defs
from assets.resources import DUCKDB_POOL
from pipelines.streams import STREAMS
from tests.dagster.dagster_harness import REPO_ROOT, graph_of, load_snapshot, write_snapshot
from warehouse.analytics import list_models


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("sippet_incremental")
    assert defs.resolve_job_def("sippet_reconciliation")
    assert defs.resolve_job_def("sippet_backfill").partitions_def is not None


def test_asset_graph_matches_snapshot() -> None:
    """Regenerate with SIPPET_UPDATE_SNAPSHOT=1 after an intended change, and review the diff."""
    graph = graph_of(defs)
    if os.environ.get("SIPPET_UPDATE_SNAPSHOT"):
        write_snapshot(graph)
    assert graph == load_snapshot()


def test_one_asset_per_stream_and_per_model() -> None:
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {f"sippet/{name}" for name in STREAMS} <= keys
    assert {f"analytics/{model.name}" for model in list_models()} <= keys
    assert len(keys) == len(STREAMS) + len(list_models())


def test_adding_a_stream_adds_an_asset_and_its_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = dataclasses.replace(STREAMS["operator_statuses"], name="operator_statuses_copy")
    monkeypatch.setitem(STREAMS, extra.name, extra)
    graph = graph_of(build_definitions())
    node = graph["assets"]["sippet/operator_statuses_copy"]
    assert node["checks"] == ["primary_key_unique", "quarantine_empty", "synced_recently"]


def test_everything_that_opens_duckdb_is_in_the_pool() -> None:
    repo = defs.get_repository_def()
    nodes = [
        *[a.op for a in defs.resolve_asset_graph().assets_defs if a.is_executable],
        *[c.op for c in defs.asset_checks],
        *defs.resolve_job_def("sippet_backfill").graph.node_defs,
    ]
    assert len(nodes) > 20
    assert {node.name: node.pool for node in nodes} == {node.name: DUCKDB_POOL for node in nodes}
    assert repo.get_job("sippet_incremental")


def test_incremental_job_leaves_the_api_checks_to_the_daily_job() -> None:
    incremental = defs.resolve_job_def("sippet_incremental").graph.node_names()
    reconciliation = defs.resolve_job_def("sippet_reconciliation").graph.node_names()
    assert not [n for n in incremental if n.endswith("matches_source")]
    assert len([n for n in reconciliation if n.endswith("matches_source")]) == 2
    assert any(n == "sippet__calls" for n in incremental)
    assert not any(n == "sippet__calls" for n in reconciliation)


def test_api_key_comes_from_an_env_var_resolved_at_run_time() -> None:
    sippet = defs.resources["sippet"]
    assert isinstance(sippet.api_key, dg.EnvVar)
    assert sippet.api_key.env_var_name == "SIPPET_API_KEY"


def test_instance_config(dagster_home) -> None:
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_retries_enabled
        assert instance.get_settings("telemetry") == {"enabled": False}
    finally:
        instance.dispose()


def test_loading_reads_no_environment_and_verify_needs_no_dagster() -> None:
    """The code location loads with no SIPPET_* variables; pipelines/verify.py has no dagster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPPET_", "DAGSTER_"))}
    code = (
        "import sys, pipelines.verify; assert 'dagster' not in sys.modules; "
        "import assets.definitions"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True)
