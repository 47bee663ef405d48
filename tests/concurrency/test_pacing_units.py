"""RequestGate, Watermark and slicing on their own: the rules, without a network."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from pipelines.fanout import FanOut, Source
from pipelines.pacing import RECOVERY_ROUNDS, RequestGate
from pipelines.slices import id_range_count, id_ranges, time_slice_count, time_slices
from pipelines.watermark import Watermark

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_gate_never_lets_more_than_the_limit_fly():
    gate = RequestGate(3)
    entered = threading.Semaphore(0)
    release = threading.Event()

    def request() -> None:
        with gate.slot():
            entered.release()
            release.wait()

    threads = [threading.Thread(target=request) for _ in range(5)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        assert entered.acquire(timeout=5)
    assert not entered.acquire(timeout=0.2)  # the fourth waits for a slot
    assert gate.in_flight == 3
    release.set()
    for thread in threads:
        thread.join()
    assert gate.peak_in_flight == 3 and gate.in_flight == 0


def test_back_off_halves_the_limit_and_clean_answers_grow_it_back_one_by_one():
    gate = RequestGate(8)
    gate.back_off(0.0)
    assert gate.limit == 4
    gate.back_off(0.0)
    gate.back_off(0.0)
    gate.back_off(0.0)
    assert gate.limit == 1  # never below one
    for expected in (2, 3, 4):
        for _ in range(gate.limit * RECOVERY_ROUNDS - 1):
            gate.succeeded()
        assert gate.limit == expected - 1
        gate.succeeded()
        assert gate.limit == expected
    assert gate.pauses == 4


def test_a_pause_holds_every_new_request_until_it_ends():
    gate = RequestGate(4)
    gate.back_off(0.3)
    paused_until = gate.paused_until
    with gate.slot():
        granted = time.monotonic()
    assert granted >= paused_until  # causal: a slot is never granted inside the pause


def test_the_limit_is_validated():
    with pytest.raises(ValueError, match="max_concurrency must be >= 1"):
        RequestGate(0)


def test_watermark_moves_over_the_contiguous_prefix_only():
    mark = Watermark()
    mark.saw(1, T0 + timedelta(hours=5))  # a later slice first: says nothing yet
    assert mark.position() is None
    mark.saw(0, T0 + timedelta(hours=1))
    assert mark.position() == T0 + timedelta(hours=1)  # slice 0 read up to there, in order
    mark.finish(0)
    assert mark.position() == T0 + timedelta(hours=5)  # slice 1 is now the first unfinished
    mark.saw(2, T0 + timedelta(hours=9))
    mark.finish(2)
    assert mark.position() == T0 + timedelta(hours=5)  # slice 1 unfinished: a hole before 2
    mark.finish(1)
    assert mark.position() == T0 + timedelta(hours=9)


def test_an_empty_finished_slice_does_not_block_the_watermark():
    mark = Watermark()
    mark.finish(0)
    mark.saw(1, T0)
    assert mark.position() == T0


def test_time_slices_cover_the_range_without_gap_or_overlap():
    slices = time_slices(T0, T0 + timedelta(hours=10), 4)
    assert len(slices) == 4
    assert slices[0][0] == T0 and slices[-1][1] == T0 + timedelta(hours=10)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
    assert time_slices(T0, T0, 4) == [(T0, T0)]


def test_id_ranges_split_the_uuid_space_in_order():
    ranges = id_ranges(4)
    assert ranges[0] == {"id": {"lessThan": "40000000-0000-0000-0000-000000000000"}}
    assert ranges[1] == {"id": {"greaterThanOrEqual": "40000000-0000-0000-0000-000000000000",
                                "lessThan": "80000000-0000-0000-0000-000000000000"}}
    assert ranges[3] == {"id": {"greaterThanOrEqual": "c0000000-0000-0000-0000-000000000000"}}
    assert id_ranges(1) == [None]


def test_small_tables_are_not_split():
    assert id_range_count(held_rows=0, page_size=200, concurrency=4) == 1
    assert id_range_count(held_rows=799, page_size=200, concurrency=4) == 1
    assert id_range_count(held_rows=800, page_size=200, concurrency=4) == 2
    assert id_range_count(held_rows=10**6, page_size=200, concurrency=4) == 4


def test_a_range_partly_held_is_cut_as_finely_as_its_density_is_worth():
    hour = timedelta(hours=1)
    # 90 min held with 300 rows, 105 min to read: ~350 rows, under two pages of 200 per slice
    assert time_slice_count(300, 1.5 * hour, 1.75 * hour, 200, 4) == 1
    # the same span held 3,000 rows: ~3,500 expected, cut into every slice allowed
    assert time_slice_count(3000, 1.5 * hour, 1.75 * hour, 200, 4) == 4
    assert time_slice_count(1000, 1.5 * hour, 1.75 * hour, 200, 4) == 2
    assert time_slice_count(10**6, hour, hour, 200, 1) == 1


def test_workers_fetch_at_most_four_pages_per_worker_ahead_of_the_writer():
    """README: pages held between the network and the warehouse are at most
    4 x SIPPET_MAX_CONCURRENCY, whatever the number of sources."""
    produced = {"pages": 0}
    lock = threading.Lock()

    def walk():
        for number in range(50):
            with lock:
                produced["pages"] += 1
            yield [number], f"page {number}"

    concurrency, handled, ahead_seen = 3, 0, 0
    fan = FanOut(concurrency)
    for event in fan.events([Source(f"s{i}", walk) for i in range(8)]):
        if event.done or event.error:
            assert event.error is None
            continue
        if handled == 10:  # a writer held up (a commit): the workers fill every token
            deadline = time.monotonic() + 10
            while produced["pages"] - handled < 4 * concurrency:
                assert time.monotonic() < deadline, "workers stopped short of the bound"
                time.sleep(0.01)
        with lock:  # fetched but not yet handled: this page included
            ahead = produced["pages"] - handled
            assert ahead <= 4 * concurrency
            ahead_seen = max(ahead_seen, ahead)
        handled += 1
    assert handled == produced["pages"] == 8 * 50
    assert ahead_seen == 4 * concurrency
