"""Operations: concurrent syncs, readers during a sync, a full disk, damaged warehouse files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SIPPET_SYNC, cli_env, run_cli
from tests.faults.conftest import assert_consistent_subset
from tests.truth import diff_warehouse

FAST = {"SIPPET_PAGE_SIZE": "100", "SIPPET_COMMIT_EVERY_PAGES": "2"}
#: Seconds per answer while a sync must keep holding the file: it holds it far longer than the
#: competitors take to start, then the fault is cleared (no race with their start-up).
SLOW = 2.0


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([SIPPET_SYNC, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_file(path: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    time.sleep(0.3)  # past the migrations: the writer now holds the file


def _stderr_until(process: subprocess.Popen, prefix: str) -> list[str]:
    """The process's stderr lines up to the one starting with `prefix` (it must come)."""
    said = []
    for line in process.stderr:
        said.append(line)
        if line.startswith(prefix):
            return said
    raise AssertionError(f"{prefix!r} never said: {said}")


@pytest.mark.slow
def test_two_syncs_at_once_one_waits_one_stops_clearly(sim, warehouse):
    sim.simulator.set_faults(slow=1.0, slow_seconds=SLOW)  # the first sync holds the file
    env = {**cli_env(sim, warehouse), **FAST}
    first = _start_cli(["sync", "--no-models"], env)
    _wait_for_file(warehouse)
    stopped = run_cli(["sync", "--no-models"], env)
    waiter = _start_cli(["sync", "--no-models", "--wait", "120"], env)
    said = _stderr_until(waiter, "waiting up to 120 s for ")
    sim.simulator.clear_faults()  # both competitors met the lock: let the first sync finish
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    w_out, w_err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, w_out + w_err
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr  # locked
    assert "locked by another process" in stopped.stderr and "--wait" in stopped.stderr
    assert "Traceback" not in stopped.stderr + err + "".join(said) + w_err
    assert diff_warehouse(warehouse, sim.simulator) == []
    runs = duckdb.connect(warehouse, read_only=True).execute(
        "SELECT count(DISTINCT run_id), count(*) FILTER (WHERE status <> 'succeeded') "
        "FROM sippet._sync_runs").fetchone()
    assert runs == (2, 0)  # the stopped one never started a run


@pytest.mark.slow
def test_a_reader_during_a_sync_gets_a_clear_message_and_the_sync_ends_exact(sim, warehouse):
    sim.simulator.set_faults(slow=1.0, slow_seconds=SLOW)
    env = {**cli_env(sim, warehouse), **FAST}
    writer = _start_cli(["sync", "--no-models"], env)
    _wait_for_file(warehouse)
    status = run_cli(["status"], env)
    sim.simulator.clear_faults()
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, out + err
    assert status.returncode != 0
    assert "locked by another process" in status.stderr, status.stderr
    assert "Traceback" not in status.stderr
    assert diff_warehouse(warehouse, sim.simulator) == []


@pytest.mark.slow
def test_a_reader_holding_the_file_makes_the_sync_wait_then_succeed(sim, warehouse):
    env = {**cli_env(sim, warehouse), **FAST}
    assert run_cli(["sync", "--no-models"], env).returncode == 0
    sim.simulator.advance(minutes=30)
    # The reader holds the file until told to let go: no race with the sync's start-up.
    hold = ("import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); sys.stdin.readline(); c.close()")
    reader = subprocess.Popen([sys.executable, "-c", hold, warehouse], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    waiter = _start_cli(["sync", "--no-models", "--wait", "60"], env)
    _stderr_until(waiter, "waiting up to 60 s for ")
    assert waiter.poll() is None
    reader.communicate("release\n", timeout=30)
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, out + err
    assert diff_warehouse(warehouse, sim.simulator) == []


# -- disk full -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 1.5 MB tmpfs (root only): the warehouse outgrows it during the first sync."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill_disk(sim, small_disk) -> tuple[str, subprocess.CompletedProcess]:
    warehouse = str(small_disk / "warehouse.duckdb")
    full = run_cli(["sync", "--no-models"], {**cli_env(sim, warehouse), **FAST})
    return warehouse, full


def test_disk_full_at_commit_keeps_the_warehouse_consistent(sim, small_disk):
    warehouse, full = _fill_disk(sim, small_disk)
    assert full.returncode != 0, full.stdout
    assert "No space left on device" in full.stdout + full.stderr
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    assert_consistent_subset(warehouse, sim.simulator)
    rerun = run_cli(["sync", "--no-models"], cli_env(sim, warehouse))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert diff_warehouse(warehouse, sim.simulator) == []


def test_disk_full_fails_with_a_clear_message_and_no_traceback(sim, small_disk):
    _, full = _fill_disk(sim, small_disk)
    assert full.returncode == 2
    assert "Traceback" not in full.stderr
    assert "no transaction is active" not in full.stdout + full.stderr
    assert "No space left on device" in full.stdout + full.stderr


# -- damaged or foreign warehouse files -----------------------------------------------------


def _damage_garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 500)


def _damage_truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:8192])


def _damage_newer_schema(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO sippet._migrations VALUES (999, 'from_the_future', now())")
    con.close()


@pytest.mark.parametrize(("damage", "message"), [
    (_damage_garbage, "cannot open warehouse"),
    (_damage_truncated, "cannot open warehouse"),
    (_damage_newer_schema, "newer than this version"),
])
def test_damaged_or_newer_warehouse_fails_with_exit_2_and_no_traceback(
        sim, warehouse, synced_copy, damage, message):
    env = {**cli_env(sim, warehouse), **FAST}
    synced_copy(warehouse)  # a synced warehouse (see conftest), without one more CLI start-up
    damage(Path(warehouse))
    before = Path(warehouse).read_bytes()
    result = run_cli(["sync", "--no-models"], env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sim.api_key not in result.stdout + result.stderr
    if damage is not _damage_newer_schema:
        assert Path(warehouse).read_bytes() == before  # a damaged file is never overwritten
