"""The real CLI in a subprocess: SIGKILL at named crash points, secrets, exit codes, locks."""

from __future__ import annotations

import signal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import POLICY_NULLS, cli_env, run_cli
from tests.truth import diff_warehouse

CRASHES = [
    ("after_page_fetched", 3),
    ("before_commit", 2),
    ("after_commit", 2),
    ("between_streams", 2),
    ("during_migration", 1),
]


@pytest.mark.parametrize(("point", "nth"), CRASHES)
def test_sigkill_at_crash_point_then_rerun_is_exact(sim_factory, warehouse, point, nth):
    server = sim_factory(**POLICY_NULLS)
    env = cli_env(server, warehouse)
    killed = run_cli(["sync", "--no-models"],
                     {**env, "SIPPET_CRASH_AT": f"{point}:{nth}", "SIPPET_COMMIT_EVERY_PAGES": "2",
                      "SIPPET_PAGE_SIZE": "50", "SIPPET_MAX_CONCURRENCY": "8"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    server.simulator.advance(minutes=20)
    rerun = run_cli(["sync", "--no-models"], {**env, "SIPPET_MAX_CONCURRENCY": "8"})
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert diff_warehouse(warehouse, server.simulator) == []
    con = duckdb.connect(warehouse, read_only=True)
    statuses = dict(con.execute(
        "SELECT status, count(*) FROM sippet._sync_runs GROUP BY status").fetchall())
    con.close()
    if point not in ("during_migration", "between_streams"):
        assert statuses.get("interrupted", 0) >= 1, statuses


def test_cli_sync_status_and_secret_never_leaks(sim, warehouse):
    env = cli_env(sim, warehouse)
    result = run_cli(["-v", "sync"], env)
    assert result.returncode == 0, result.stderr
    assert "call_ai_audit_events" in result.stdout and "succeeded" in result.stdout
    assert "built" in result.stdout  # analytics models built after the sync
    status = run_cli(["status"], env)
    assert status.returncode == 0, status.stderr
    assert "operator_statuses" in status.stdout
    key = sim.api_key
    for text in (result.stdout, result.stderr, status.stdout, status.stderr):
        assert key not in text
    for path in Path(warehouse).parent.iterdir():
        assert key.encode() not in path.read_bytes(), path


def test_missing_key_and_wrong_key_fail_clearly(sim, warehouse):
    env = cli_env(sim, warehouse)
    del env["SIPPET_API_KEY"]
    missing = run_cli(["sync"], env)
    assert missing.returncode != 0
    assert "SIPPET_API_KEY" in missing.stderr
    wrong = run_cli(["sync", "--no-models"], {**env, "SIPPET_API_KEY": "sk_wrong"})
    assert wrong.returncode == 1
    assert "AuthenticationError" in wrong.stdout and "SIPPET_API_KEY" in wrong.stdout
    assert "sk_wrong" not in wrong.stdout + wrong.stderr


def test_second_writer_gets_a_clear_lock_message(sim, warehouse):
    env = cli_env(sim, warehouse)
    assert run_cli(["sync", "--no-models"], env).returncode == 0
    holder = duckdb.connect(warehouse)  # e.g. a notebook holding the file read-write
    try:
        blocked = run_cli(["sync", "--no-models"], env)
    finally:
        holder.close()
    assert blocked.returncode == 3  # locked
    assert "locked by another process" in blocked.stderr
    assert "Traceback" not in blocked.stderr


def test_quarantine_exit_code_and_release(sim, warehouse):
    env = cli_env(sim, warehouse)
    sim.simulator.set_faults(poison=0.02)
    poisoned = run_cli(["sync", "--no-models"], env)
    assert poisoned.returncode == 1
    assert "quarantined:" in poisoned.stdout and "field" in poisoned.stdout
    con = duckdb.connect(warehouse, read_only=True)
    held = con.execute("SELECT count(*) FROM sippet._quarantine").fetchone()[0]
    con.close()
    assert held > 0
    sim.simulator.set_faults(poison=0.0)
    healed = run_cli(["sync", "--no-models"], env)
    assert healed.returncode == 0, healed.stdout
    con = duckdb.connect(warehouse, read_only=True)
    assert con.execute("SELECT count(*) FROM sippet._quarantine").fetchone()[0] == 0
    con.close()
    assert diff_warehouse(warehouse, sim.simulator) == []
