"""Dagster beyond one process: Postgres run storage, steps on Celery workers, one shared lake.

Two `dagster-celery` worker processes and one `dagster asset materialize` process share a
Dagster instance whose storage is a throwaway Postgres database (docs/dagster-postgres.yaml as
is). Every raw asset (one per stream) syncs into a Postgres-catalog lake with data on moto's S3
server. The tables must equal the simulator's ground truth, every step must have run in a
worker (not in the run's process), in both workers, each stream under its own pool. It runs
once per broker: Redis (keys under a per-test prefix) and RabbitMQ (a throwaway virtual host);
results go to Redis either way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psutil
import pytest
import redis
import yaml

from assets.executors import celery_config
from assets.pools import LAKE_POOL_PREFIX
from pipelines.streams import STREAMS, StreamKind
from tests.dagster.dagster_harness import REPO_ROOT, materialize_every_stream
from tests.lake import servers
from tests.lake.conftest import (  # noqa: F401 (fixtures)
    pg_databases,
    pg_lake,
    pg_port,
    s3_endpoint,
)
from tests.truth import diff_warehouse

BIN = Path(sys.executable).parent
REDIS = "redis://127.0.0.1:6379/0"
RABBITMQ = ("127.0.0.1", 5672)
WORKERS = 2


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Iterator[str]:
    """The broker's URL; the result backend is the local Redis in both cases."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        servers.unavailable(f"Redis is not reachable at {REDIS}: {exc}")
    if request.param == "redis":
        yield REDIS
        return
    with _rabbitmq_vhost() as vhost:
        yield f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/{vhost}"


@contextlib.contextmanager
def _rabbitmq_vhost() -> Iterator[str]:
    """A virtual host of its own, so no queue of another run (or a killed test) is shared."""
    try:
        socket.create_connection(RABBITMQ, timeout=3).close()
    except OSError as exc:
        servers.unavailable(f"RabbitMQ is not reachable at {RABBITMQ}: {exc}")
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        servers.unavailable("rabbitmqctl is not on PATH (needed for a throwaway vhost)")
    vhost = f"sippet-test-{uuid.uuid4().hex[:8]}"

    def rabbitmqctl(*args: str) -> None:
        subprocess.run([ctl, *args], check=True, capture_output=True, timeout=60)

    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield vhost
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def dagster_pg(pg_port: int) -> Iterator[str]:  # noqa: F811 (fixture)
    """The URL of a throwaway database for Dagster's storage, dropped afterwards."""
    name = f"sippet_dagster_test_{uuid.uuid4().hex[:8]}"
    servers.admin(pg_port, f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg2://postgres@127.0.0.1:{pg_port}/{name}"
    servers.admin(pg_port, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def cluster_env(sim_factory, pg_lake, dagster_pg, broker, tmp_path) -> dict:  # noqa: F811
    """The environment shared by the workers and the run: instance, API, lake, broker."""
    sim = sim_factory(days=1)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "docs" / "dagster-postgres.yaml").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIPPET_", "DAGSTER_"))}
    env.update(
        pg_lake.env,
        DAGSTER_HOME=str(home),
        DAGSTER_PG_URL=dagster_pg,
        SIPPET_BASE_URL=sim.url,
        SIPPET_API_KEY=sim.api_key,
        SIPPET_WAREHOUSE=pg_lake.target,
        SIPPET_DAGSTER_EXECUTOR="celery",
        # every stream, the opt-in ones too (else their steps succeed as skipped, tables empty)
        SIPPET_SYNC_CONTACTS="true",
        SIPPET_SYNC_GATEWAYS="true",
        SIPPET_CELERY_BROKER=broker,
        SIPPET_CELERY_BACKEND=REDIS,
        SIPPET_CELERY_KEY_PREFIX=f"sippet-test-{uuid.uuid4().hex[:8]}:",
        # `dagster-celery worker start` runs `celery` from PATH: this venv's
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    # One process creates the storage's tables first: processes opening a fresh Postgres
    # instance at once race on CREATE TABLE (docs/scaling.md: `dagster instance migrate`).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_PG_URL", dagster_pg)
        dg.DagsterInstance.from_config(str(home)).dispose()
    return {"env": env, "sim": sim, "lake": pg_lake, "home": home}


def _wait_ready(log: Path, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    # Polls a condition (celery logs "ready." once it consumes), it does not guess a duration.
    deadline = time.monotonic() + timeout
    while " ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def celery_workers(cluster_env, tmp_path) -> Iterator[list[subprocess.Popen]]:
    """Two `dagster-celery worker start` processes, each running one step at a time."""
    env = cluster_env["env"]
    config = tmp_path / "celery.yaml"
    with pytest.MonkeyPatch.context() as mp:  # celery_config() reads its settings from env
        for name in ("SIPPET_CELERY_KEY_PREFIX", "SIPPET_CELERY_BROKER", "SIPPET_CELERY_BACKEND"):
            mp.setenv(name, env[name])
        config.write_text(yaml.safe_dump({"execution": {"config": celery_config()}}))
    procs, logs = [], []
    for n in range(WORKERS):
        log = tmp_path / f"worker{n}.log"
        logs.append(log)
        procs.append(subprocess.Popen(
            [BIN / "dagster-celery", "worker", "start", "-A", "dagster_celery.app",
             "-y", config, "--name", f"sippet{n}-{uuid.uuid4().hex[:6]}", "--", "--pool=solo"],
            cwd=REPO_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the CLI runs celery as a child
        ))
    try:
        for proc, log in zip(procs, logs, strict=True):
            _wait_ready(log, proc)
        yield procs
    finally:
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
        # this test's Redis keys (queues and bindings on the Redis broker, results) go with it
        keys = redis.Redis.from_url(REDIS)
        stale = list(keys.scan_iter(match=f"{env['SIPPET_CELERY_KEY_PREFIX']}*"))
        if stale:
            keys.delete(*stale)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    # the group of a worker this fixture started (the CLI and its celery child)
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, sig)


def _worker_pids(procs: list[subprocess.Popen]) -> set[int]:
    pids = set()
    for proc in procs:
        parent = psutil.Process(proc.pid)
        pids |= {parent.pid, *(child.pid for child in parent.children(recursive=True))}
    return pids


@pytest.mark.slow
def test_celery_workers_materialize_streams_into_one_lake(
    cluster_env, celery_workers, monkeypatch
) -> None:
    env, sim, lake = cluster_env["env"], cluster_env["sim"], cluster_env["lake"]
    workers = _worker_pids(celery_workers)
    streams = list(STREAMS)
    output = materialize_every_stream(env, timeout=240)
    assert ":guest@" not in output  # the RabbitMQ URL's password

    monkeypatch.setenv("DAGSTER_PG_URL", env["DAGSTER_PG_URL"])
    with dg.DagsterInstance.from_config(str(cluster_env["home"])) as instance:
        [record] = instance.get_run_records()
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert ":guest@" not in str(record.dagster_run.run_config)
        starts = {
            e.dagster_event.step_key: e.dagster_event.pid
            for e in instance.all_logs(record.dagster_run.run_id)
            if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_START
        }
        pools = {p.name for p in instance.event_log_storage.get_pool_limits()}
    raw_steps = {f"sippet__{name}" for name in streams}
    assert raw_steps <= set(starts)
    # every step ran in a worker process, none in the run's own process, and both workers ran
    # steps: two idle solo workers and four steps or more queued at once, one step per worker at
    # a time, so the second step always goes to the second worker
    assert set(starts.values()) <= workers  # the checks' steps too
    assert len({starts[s] for s in raw_steps}) == WORKERS
    # no single writer pool: each stream held its own
    assert {f"{LAKE_POOL_PREFIX}{name}" for name in streams} <= pools

    truth = [s for s in streams if STREAMS[s].kind is not StreamKind.HISTORY]
    assert diff_warehouse(lake.target, sim.simulator, truth, env=lake.env) == []
