"""Lock messages name only options that exist, `--wait` says what it waits for, and
`simulate --api-key` / SIPPET_API_KEY let a user's exported key reach the simulator unprinted."""

from __future__ import annotations

import os
import subprocess

import duckdb
import httpx
import pytest

from tests.cli.helpers import assert_one_line, bare_env, cli
from tests.conftest import ROOT, SIPPET_SYNC, cli_env


@pytest.fixture
def synced(sim, warehouse, synced_copy) -> dict[str, str]:
    """The CLI's environment for a synced warehouse (a copy of the session's template: the
    lock tests need an existing warehouse, not one more CLI sync each)."""
    synced_copy(warehouse)
    return cli_env(sim, warehouse)


def test_locked_sync_exits_3_naming_the_holder_and_wait(synced, warehouse):
    holder = duckdb.connect(warehouse)  # e.g. a notebook holding the file read-write
    try:
        result = cli(["sync", "--no-models"], synced)
    finally:
        holder.close()
    assert_one_line(result, 3, "locked by another process", f"PID {os.getpid()}",
                    "--wait SECONDS")


@pytest.mark.parametrize("command", ["status", "build-models"])
def test_lock_message_of_commands_without_wait_names_no_wait(synced, warehouse, command):
    holder = duckdb.connect(warehouse)
    try:
        result = cli([command], synced)
    finally:
        holder.close()
    line = assert_one_line(result, 3, "locked by another process", f"PID {os.getpid()}")
    assert "--wait" not in line


def test_sync_wait_says_it_is_waiting_and_for_whom(synced, warehouse):
    holder = duckdb.connect(warehouse)
    waiter = subprocess.Popen([SIPPET_SYNC, "sync", "--no-models", "--wait", "120"],
                              env=synced, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        first = waiter.stderr.readline()  # blocks until the waiter has announced itself
    finally:
        holder.close()
    out, err = waiter.communicate(timeout=120)
    assert first.startswith(f"waiting up to 120 s for PID {os.getpid()} "), first
    assert warehouse in first
    assert waiter.returncode == 0, out + err
    assert "Traceback" not in err


def _start_simulator(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([SIPPET_SYNC, "simulate", "--port", "0", "--scale", "tiny",
                             "--days", "2", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = []
    for line in proc.stdout:  # read the banner up to its last line
        banner.append(line)
        if line.lstrip().startswith("seed="):
            break
    return proc, "".join(banner)


def _url(banner: str) -> str:
    return banner.split("SIPPET_BASE_URL=")[1].split()[0]


@pytest.mark.parametrize("how", ["env", "flag"])
def test_simulate_accepts_the_users_key_and_never_prints_it(tmp_path, how):
    key = "sk_live_users_own_secret_42"
    env = bare_env(SIPPET_API_KEY=key) if how == "env" else bare_env()
    args = [] if how == "env" else ["--api-key", key]
    proc, banner = _start_simulator(args, env)
    try:
        assert key not in banner
        origin = "SIPPET_API_KEY" if how == "env" else "--api-key"
        assert f"api key: the one from {origin} (not shown)" in banner
        # The user's exported key now works against the simulator without reading the banner.
        sync_env = bare_env(SIPPET_API_KEY=key, SIPPET_BASE_URL=_url(banner),
                            SIPPET_WAREHOUSE=str(tmp_path / "w.duckdb"))
        result = cli(["sync", "--no-models"], sync_env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert key not in result.stdout + result.stderr
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert key not in out + err


def test_simulate_without_a_key_shows_the_public_demo_key():
    proc, banner = _start_simulator([], bare_env())
    try:
        assert "api key: sk_sim_demo_key" in banner
        assert "SIPPET_API_KEY=sk_sim_demo_key" in banner
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_simulate_on_a_port_in_use_is_one_line(sim):
    port = sim.url.rsplit(":", 1)[1]
    result = cli(["simulate", "--scale", "tiny", "--days", "1", "--port", port], bare_env())
    assert_one_line(result, 2, f"cannot listen on 127.0.0.1:{port}", "another --port")


def test_simulate_hides_fields_and_adds_latency_and_the_sync_stays_clean(tmp_path):
    proc, banner = _start_simulator(["--policy-null", "0.05", "--latency-ms", "5",
                                     "--jitter-ms", "5", "--seed", "16"], bare_env())
    try:
        url = _url(banner)
        stats = httpx.get(f"{url}/_sim/stats", headers={"x-api-key": "sk_sim_demo_key"}).json()
        assert (stats["policy_null"], stats["latency_ms"], stats["jitter_ms"]) == (0.05, 5, 5)
        env = bare_env(SIPPET_API_KEY="sk_sim_demo_key", SIPPET_BASE_URL=url,
                       SIPPET_WAREHOUSE=str(tmp_path / "w.duckdb"))
        result = cli(["sync", "--no-models"], env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "quarantined:" not in result.stdout + result.stderr  # no refused record
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
