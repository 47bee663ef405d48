"""The code location loads, its graph matches the committed snapshot, and its wiring holds."""

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg
import pytest

from assets.dagster_instance import SippetInstance
from assets.definitions import SYNC_CRON_ENV, build_definitions, defs
from assets.raw import RETRY_POLICY, stream_failure
from assets.resources import DUCKDB_POOL
from pipelines.streams import STREAMS
from pipelines.sync import StreamResult
from tests.dagster.dagster_harness import REPO_ROOT, graph_of, load_snapshot, write_snapshot
from warehouse.analytics import list_models
from warehouse.catalog import column_types


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("sippet_incremental")
    assert defs.resolve_job_def("sippet_reconciliation")
    # backfills are run config on the raw assets: no partitions, so none show as "missing"
    assert defs.resolve_job_def("sippet_backfill").partitions_def is None
    assert not [a for a in defs.resolve_asset_graph().assets_defs if a.partitions_def]


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
    assert node["blocking_checks"] == ["primary_key_unique", "quarantine_empty"]


def test_everything_that_opens_duckdb_is_in_the_pool() -> None:
    repo = defs.get_repository_def()
    nodes = [
        *[a.op for a in defs.resolve_asset_graph().assets_defs if a.is_executable],
        *[c.op for c in defs.asset_checks],
    ]
    assert len(nodes) > 15
    assert {node.name: node.pool for node in nodes} == {node.name: DUCKDB_POOL for node in nodes}
    assert repo.get_job("sippet_incremental")


def _checks(job: str) -> set[str]:
    graph = defs.resolve_job_def(job).asset_layer.asset_graph
    return {key.to_user_string() for key in graph.asset_check_keys}


def test_incremental_job_leaves_the_api_checks_to_the_daily_job() -> None:
    incremental = defs.resolve_job_def("sippet_incremental").graph.node_names()
    reconciliation = defs.resolve_job_def("sippet_reconciliation").graph.node_names()
    assert not [c for c in _checks("sippet_incremental") if c.endswith(":matches_source")]
    assert sorted(c for c in _checks("sippet_reconciliation") if c.endswith(":matches_source")) == [
        "sippet/call_ai_audit_events:matches_source",
        "sippet/call_transcripts:matches_source",
    ]
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
        assert isinstance(instance, SippetInstance)
        # no run retries: they re-ran deterministic failures; the raw assets' RetryPolicy
        # retries transient ones only
        assert not instance.run_retries_enabled
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


def test_sync_cadence_comes_from_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    hourly = graph_of(build_definitions(sync_cron="0 * * * *"))["assets"]
    assert hourly["sippet/calls"]["automation"] == "on_cron(0 * * * *, UTC)"
    assert hourly["sippet/calls"]["freshness"] == {"fail_seconds": 7200, "warn_seconds": 3600}
    assert hourly["analytics/calls_daily"]["automation"] == "eager, behind passed blocking checks"
    monkeypatch.setenv(SYNC_CRON_ENV, "*/5 * * * *")
    every5 = graph_of(build_definitions())["assets"]["sippet/calls"]
    assert every5["automation"] == "on_cron(*/5 * * * *, UTC)"
    assert every5["freshness"] == {"fail_seconds": 600, "warn_seconds": 300}


def test_schemas_are_typed_before_any_materialization() -> None:
    graph = defs.resolve_asset_graph()
    raw, analytics = {}, {}
    for key in graph.get_all_asset_keys():
        schema = graph.get(key).metadata["dagster/column_schema"]
        target = raw if key.path[0] == "sippet" else analytics
        target.update({f"{key.to_user_string()}.{c.name}": c for c in schema.columns})
    # Every column of every raw table, as the migrations create them (155 for 15 streams).
    tables = column_types()
    assert len(raw) == sum(len(tables[spec.table]) for spec in STREAMS.values())
    assert {c.name: c.type for c in raw.values() if c.name == "started_at"} == {
        "started_at": "timestamp with time zone"
    }
    assert [name for name, c in raw.items() if not c.description] == []
    assert analytics["analytics/calls_daily.call_date"].type == "date"
    assert analytics["analytics/calls_daily.calls"].type == "bigint"
    assert analytics["analytics/ai_response_costs.cost_usd"].type.startswith("decimal")
    assert len({c.type for c in analytics.values()}) > 5


def _result(error: str) -> StreamResult:
    now = datetime.now(UTC)
    return StreamResult(stream="calls", status="failed", mode="incremental", started_at=now,
                        ended_at=now, duration_seconds=0.0, error=error)


def test_only_transient_failures_are_retried() -> None:
    graph = defs.resolve_asset_graph()
    for name in STREAMS:
        assert graph.assets_def_for_key(dg.AssetKey(["sippet", name])).op.retry_policy == (
            RETRY_POLICY
        )
    assert (RETRY_POLICY.max_retries, RETRY_POLICY.delay) == (2, 60)
    assert RETRY_POLICY.backoff == dg.Backoff.EXPONENTIAL
    assert RETRY_POLICY.jitter == dg.Jitter.PLUS_MINUS
    assert stream_failure(_result("TransientError: HTTP 503 after 5 attempts")).allow_retries
    for error in ("MalformedResponseError: not JSON", "PaginationError: loop",
                  "AuthenticationError: 401", "RpcError: forbidden"):
        failure = stream_failure(_result(error))
        assert failure.allow_retries is False, error
        assert "cursor_before" not in failure.metadata  # absent values are left out


def test_readme_dagster_section_is_docs_dagster_md() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## Running with Dagster") : readme.index("## Guarantees")]
    assert section.strip() == (REPO_ROOT / "docs" / "dagster.md").read_text().strip()
