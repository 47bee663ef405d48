"""Sequential reads (as Airbyte's acceptance suite): repeat, resume from every saved state,
and a saved cursor that lies in the future."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

import pipelines.batch
from pipelines.streams import STREAMS, StreamKind
from pipelines.sync import sync
from tests.faults.conftest import TIME_STREAMS, by_stream, fast_settings, query
from tests.truth import FrozenTruth, diff_warehouse

FUTURE = "2031-01-01T00:00:00Z"


def _state(warehouse: str) -> dict[str, str | None]:
    return dict(query(warehouse, "SELECT stream, cursor_value FROM sippet._sync_state"))


def test_second_sync_right_after_reads_nothing_new(sim_factory, warehouse):
    server = sim_factory(default_page_type="keyset")
    settings = fast_settings(server, warehouse, page_size=37)
    first = sync(settings)
    assert all(r.ok for r in first), [r.error for r in first]
    state = _state(warehouse)
    second = sync(settings)
    assert all(r.ok for r in second), [r.error for r in second]
    for r in second:
        if STREAMS[r.stream].kind is StreamKind.HISTORY:  # one wallet row per sync
            continue
        assert (r.rows_inserted, r.rows_updated, r.rows_deleted, r.rows_quarantined) == (
            0, 0, 0, 0), r
        assert r.warnings == []
    assert _state(warehouse) == state  # nothing new: no cursor moves
    assert diff_warehouse(warehouse, server.simulator) == []


@pytest.mark.slow
@pytest.mark.timeout(600)  # one sync per saved state: minutes on a loaded 2-core machine
def test_resuming_from_every_saved_state_gives_the_same_warehouse(
        sim_factory, warehouse, tmp_path, monkeypatch):
    """Copy the DuckDB file (and WAL) right after every commit of a full sync: each copy is
    exactly what a crash at that instant leaves behind. Resuming from each one must end with
    the same warehouse and the same cursors as the uninterrupted sync. (When it commits
    more than 20 times, an even spread of 20 states is resumed, first and last included,
    to keep the test within minutes.)"""
    server = sim_factory()
    settings = fast_settings(server, warehouse, page_size=50, commit_every_pages=10)
    saved: list[Path] = []
    real_crash_point = pipelines.batch.crash_point

    def snapshot(name: str) -> None:
        real_crash_point(name)
        if name != "after_commit":
            return
        target = tmp_path / f"state{len(saved):03d}" / "warehouse.duckdb"
        target.parent.mkdir()
        for suffix in ("", ".wal"):
            source = Path(warehouse + suffix)
            if source.exists():
                shutil.copyfile(source, str(target) + suffix)
        saved.append(target)

    monkeypatch.setattr(pipelines.batch, "crash_point", snapshot)
    assert all(r.ok for r in sync(settings))
    monkeypatch.setattr(pipelines.batch, "crash_point", real_crash_point)
    final_state = _state(warehouse)
    assert diff_warehouse(warehouse, server.simulator) == []
    assert len(saved) >= 20, len(saved)
    step = (len(saved) - 1) / 19  # every state when there are exactly 20
    spread = [saved[round(i * step)] for i in range(20)]

    failures = []
    truth = FrozenTruth(server.simulator)  # the clock stands still: one truth for every copy
    for copy in spread:
        results = sync(settings.model_copy(update={"warehouse": str(copy)}))
        problems = [r.error for r in results if not r.ok]
        problems += diff_warehouse(str(copy), truth)
        if _state(str(copy)) != final_state:
            problems.append(f"cursors {_state(str(copy))} != {final_state}")
        if problems:
            failures.append((copy.parent.name, problems[:3]))
    assert failures == []


@pytest.mark.parametrize("stream", TIME_STREAMS)
def test_cursor_in_the_future_is_reported_and_repaired(sim_factory, warehouse, stream):
    # Simulator clock near wall time: the sync's bound is the wall clock, as in production.
    server = sim_factory(start=datetime.now(UTC) - timedelta(minutes=40))
    settings = fast_settings(server, warehouse)
    assert all(r.ok for r in sync(settings))
    con = duckdb.connect(warehouse)
    con.execute("UPDATE sippet._sync_state SET cursor_value = ? WHERE stream = ?",
                [FUTURE, stream])
    con.close()
    server.simulator.advance(minutes=20)
    results = by_stream(sync(settings))
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    result = results[stream]
    assert any("future" in w and stream in w for w in result.warnings), result.warnings
    # Moved backwards, but not silently: reported, and reset to the newest row held.
    assert result.cursor_before == FUTURE
    assert result.cursor_after is not None and result.cursor_after < FUTURE
    others = [w for name, r in results.items() if name != stream for w in r.warnings]
    assert others == []
    assert diff_warehouse(warehouse, server.simulator) == []


def test_cursor_in_the_future_after_a_long_pause_loses_nothing(sim_factory, warehouse):
    """Same as above, but the next sync comes 4 h later (longer than the 90 min lookback)."""
    server = sim_factory(start=datetime.now(UTC) - timedelta(hours=5))
    settings = fast_settings(server, warehouse)
    assert all(r.ok for r in sync(settings))
    con = duckdb.connect(warehouse)
    con.execute("UPDATE sippet._sync_state SET cursor_value = ? WHERE stream = "
                "'call_transcripts'", [FUTURE])
    con.close()
    server.simulator.advance(hours=4)
    results = by_stream(sync(settings))
    assert results["call_transcripts"].warnings
    assert diff_warehouse(warehouse, server.simulator, ["call_transcripts"]) == []


def test_every_stream_state_survives_a_rerun_with_no_rows_for_some_streams(sim, warehouse):
    """Streams with no cursor (new ids, snapshot) keep no state; a stream synced alone leaves
    the others' cursors untouched."""
    settings = fast_settings(sim, warehouse)
    assert all(r.ok for r in sync(settings, streams=["call_transcripts"]))
    state = _state(warehouse)
    assert set(state) == {"call_transcripts"}
    assert all(r.ok for r in sync(settings))
    after = _state(warehouse)
    assert after["call_transcripts"] == state["call_transcripts"]
    assert set(after) >= {n for n in STREAMS if n in TIME_STREAMS}
    assert diff_warehouse(warehouse, sim.simulator) == []
