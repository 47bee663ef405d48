"""Processes sharing one lake: two writers at once, a reader during a sync, SIGKILL + resume."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.truth import diff_warehouse

pytestmark = pytest.mark.slow

FIRST = ["call_ai_audit_events", "calls"]
SECOND = ["call_transcripts", "operator_status_events", "operator_statuses"]


def _env(server, lake, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPPET_", "AWS_"))}
    env.update(lake.env, SIPPET_BASE_URL=server.url, SIPPET_API_KEY=server.api_key,
               SIPPET_WAREHOUSE=lake.target, SIPPET_READ_TIMEOUT="5",
               SIPPET_PAGE_SIZE="200", SIPPET_COMMIT_EVERY_PAGES="1", **extra)
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.lake.procs", *args], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=240)
    return proc.returncode, out + err


LAKES = ["pg_lake", "sqlite_lake"]


@pytest.mark.parametrize("lake_fixture", LAKES)
def test_two_processes_sync_different_streams_into_one_lake(request, sim, lake_fixture):
    lake = request.getfixturevalue(lake_fixture)
    env = _env(sim, lake)
    # Both start by migrating the empty lake: that race is part of the test.
    first, second = _start(["sync", *FIRST], env), _start(["sync", *SECOND], env)
    for proc in (first, second):
        code, output = _finish(proc)
        assert code == 0, output
    assert diff_warehouse(lake.target, sim.simulator, FIRST + SECOND, env=lake.env) == []


@pytest.mark.parametrize("lake_fixture", LAKES)
def test_reader_in_another_process_sees_counts_only_grow(request, sim, lake_fixture, tmp_path):
    env = _env(sim, request.getfixturevalue(lake_fixture))
    assert _finish(_start(["sync", "operator_statuses"], env))[0] == 0  # creates the tables
    stop = tmp_path / "stop"
    reader = _start(["read", str(stop)], env)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    code, output = _finish(_start(["sync", *FIRST], env))
    stop.touch()
    assert code == 0, output
    reader_code, reader_output = _finish(reader)
    assert reader_code == 0, reader_output
    report = json.loads(reader_output.splitlines()[0])
    assert report["errors"] == []
    seen = report["seen"]
    for before, after in itertools.pairwise(seen):
        assert after[0] >= before[0] and after[1] >= before[1], seen
    assert seen[0][0] == 0 and seen[-1][0] > 0  # it read before and after the sync


@pytest.mark.parametrize("point", ["before_commit:3", "after_commit:2"])
def test_sigkill_mid_sync_then_rerun_equals_truth(sim, pg_lake, point):
    env = _env(sim, pg_lake)
    killed = _start(["sync"], {**env, "SIPPET_CRASH_AT": point})
    code, output = _finish(killed)
    assert code == -signal.SIGKILL, output
    sim.simulator.advance(minutes=20)
    code, output = _finish(_start(["sync"], env))
    assert code == 0, output
    assert diff_warehouse(pg_lake.target, sim.simulator, env=pg_lake.env) == []
