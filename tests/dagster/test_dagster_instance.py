"""The instance from dagster.yaml never hands the one `sippet_duckdb` slot to two runs at once.

Two processes (as two `dagster job execute` runs are) claim the slot at the same moment, round
after round. Dagster 1.13.27's stock SQLite storage gives it to both in a good share of rounds
(see assets/dagster_instance.py); with the compare-and-set claim exactly one process holds it in
every round. The assertion is an invariant, so it cannot fail by timing when the claim is right.
"""

import multiprocessing as mp
from pathlib import Path

import dagster as dg

from assets.dagster_instance import SippetInstance, SlotSafeSqliteEventLogStorage
from assets.resources import DUCKDB_POOL
from tests.dagster.dagster_harness import make_dagster_home

ROUNDS = 12


def _claimer(home: str, run_id: str, barrier, results) -> None:
    with dg.DagsterInstance.from_config(home) as instance:
        storage = instance.event_log_storage
        for n in range(ROUNDS):
            barrier.wait()  # both processes claim together
            status = storage.claim_concurrency_slot(DUCKDB_POOL, run_id, f"step_{n}")
            results.put((n, run_id, status.is_claimed))
            barrier.wait()  # both have claimed before the holder frees the slot
            # frees the slot if held, and drops the step from the queue either way
            storage.free_concurrency_slot_for_step(run_id, f"step_{n}")
            barrier.wait()


def test_two_processes_never_hold_the_one_slot_together(dagster_home: Path) -> None:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert isinstance(instance, SippetInstance)
        assert isinstance(instance.event_log_storage, SlotSafeSqliteEventLogStorage)
        instance.event_log_storage.set_concurrency_slots(DUCKDB_POOL, 1)
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_claimer, args=(str(dagster_home), run, barrier, results))
        for run in ("run_a", "run_b")
    ]
    for proc in procs:
        proc.start()
    claims = [results.get(timeout=120) for _ in range(2 * ROUNDS)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    holders = [sum(claimed for m, _, claimed in claims if m == n) for n in range(ROUNDS)]
    # never two holders at once (a round where each saw the other's queued step may hold none)
    assert max(holders) == 1


def _opener(home: str, barrier) -> None:
    barrier.wait()  # both processes open the fresh instance together
    with dg.DagsterInstance.from_config(home) as instance:
        instance.get_runs()


def test_two_processes_can_open_a_fresh_instance_at_once(tmp_path: Path) -> None:
    """Two `dagster job execute` runs on a new DAGSTER_HOME: each creates the SQLite files, and
    the instance opens afterwards (stock storage could stamp runs.db twice and refuse to)."""
    ctx = mp.get_context("fork")
    for n in range(4):
        home = str(make_dagster_home(tmp_path / f"home_{n}"))
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=_opener, args=(home, barrier)) for _ in range(2)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        assert [proc.exitcode for proc in procs] == [0, 0]
        with dg.DagsterInstance.from_config(home) as instance:
            assert instance.get_runs() == []
