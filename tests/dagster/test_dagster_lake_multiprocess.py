"""Dagster's built-in multiprocess executor: every stream's step in a child process, one lake.

`SIPPET_DAGSTER_EXECUTOR=multiprocess` with the repository's dagster.yaml (SQLite storage,
pool default limit 1) in a fresh DAGSTER_HOME: `dagster asset materialize` of every raw asset
into a Postgres-catalog lake with data on moto's S3 server. Each step must run in a process of
its own (not the run's), each stream under its own pool, and the tables must equal the
simulator's ground truth.
"""

from __future__ import annotations

import os

import dagster as dg
import pytest

from assets.pools import LAKE_POOL_PREFIX
from pipelines.streams import STREAMS, StreamKind
from tests.dagster.dagster_harness import REPO_ROOT, materialize_every_stream
from tests.lake.conftest import (  # noqa: F401 (fixtures)
    pg_databases,
    pg_lake,
    pg_port,
    s3_endpoint,
)
from tests.truth import diff_warehouse


@pytest.mark.slow
def test_multiprocess_executor_materializes_every_stream_into_one_lake(
    sim_factory, pg_lake, tmp_path  # noqa: F811 (fixture)
) -> None:
    sim = sim_factory(days=1)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPPET_", "DAGSTER_"))}
    env.update(
        pg_lake.env,
        DAGSTER_HOME=str(home),
        SIPPET_BASE_URL=sim.url,
        SIPPET_API_KEY=sim.api_key,
        SIPPET_WAREHOUSE=pg_lake.target,
        SIPPET_DAGSTER_EXECUTOR="multiprocess",
        SIPPET_SYNC_CONTACTS="true",  # every stream, the opt-in ones too
        SIPPET_SYNC_GATEWAYS="true",
    )
    streams = list(STREAMS)
    output = materialize_every_stream(env, timeout=300)
    assert pg_lake.env["AWS_SECRET_ACCESS_KEY"] not in output

    with dg.DagsterInstance.from_config(str(home)) as instance:
        [record] = instance.get_run_records()
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        events = [e.dagster_event for e in instance.all_logs(record.dagster_run.run_id)
                  if e.dagster_event]
        pools = {p.name for p in instance.event_log_storage.get_pool_limits()}
    [run_pid] = {e.pid for e in events if e.event_type == dg.DagsterEventType.RUN_START}
    starts = {e.step_key: e.pid for e in events
              if e.event_type == dg.DagsterEventType.STEP_START}
    raw_steps = {f"sippet__{name}" for name in streams}
    assert raw_steps <= set(starts)
    # a child process per step: as many distinct processes as steps, none of them the run's
    assert len({starts[s] for s in raw_steps}) == len(raw_steps)
    assert run_pid not in set(starts.values())
    assert {f"{LAKE_POOL_PREFIX}{name}" for name in streams} <= pools

    truth = [s for s in streams if STREAMS[s].kind is not StreamKind.HISTORY]
    assert diff_warehouse(pg_lake.target, sim.simulator, truth, env=pg_lake.env) == []
