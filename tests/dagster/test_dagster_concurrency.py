"""Two overlapping runs that both write DuckDB: the pool serializes their warehouse steps.

Two `dagster job execute` processes share one fresh DAGSTER_HOME (the repo's dagster.yaml, pool
created from `default_limit: 1` by whichever step claims it first) and one warehouse file.
Both must succeed, their run times must overlap (else the test proves nothing), and no two
warehouse steps of different runs may run at the same time.
"""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.dagster.dagster_harness import REPO_ROOT

DAGSTER = str(Path(sys.executable).parent / "dagster")


def _step_intervals(instance: dg.DagsterInstance, run_id: str) -> list[tuple[float, float, str]]:
    starts, intervals = {}, []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = record.timestamp
        elif event.event_type in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
        ):
            intervals.append((starts[event.step_key], record.timestamp, event.step_key))
    return intervals


def test_overlapping_runs_wait_for_the_duckdb_pool(sim_now, dagster_home, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPPET_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        SIPPET_BASE_URL=sim_now.url,
        SIPPET_API_KEY=sim_now.api_key,
        SIPPET_WAREHOUSE=str(tmp_path / "shared.duckdb"),
    )
    command = [DAGSTER, "job", "execute", "-m", "assets.definitions", "-j", "sippet_incremental"]
    procs = [
        subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=180)[0] for proc in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
        assert "Conflicting lock" not in output and "WarehouseLockedError" not in output

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
        assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        a, b = (_step_intervals(instance, r.run_id) for r in runs)
        assert len(a) == len(b) > 15
        # the runs overlapped in time ...
        assert min(s for s, _, _ in a) < max(e for _, e, _ in b)
        assert min(s for s, _, _ in b) < max(e for _, e, _ in a)
        # ... but no two warehouse steps of different runs did
        clashes = [(x, y) for x in a for y in b if x[0] < y[1] and y[0] < x[1]]
        assert clashes == []
        slots = instance.event_log_storage.get_pool_limits()
        assert [(p.name, p.limit) for p in slots] == [("sippet_duckdb", 1)]

    # run storage, event logs and captured compute logs never hold the API key
    key = sim_now.api_key.encode()
    leaks = [p for p in dagster_home.rglob("*") if p.is_file() and key in p.read_bytes()]
    assert leaks == []
    assert not [output for output in outputs if sim_now.api_key in output]
