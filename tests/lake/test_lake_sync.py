"""Full, incremental and crash-resumed syncs into a Postgres-catalog lake with data on S3."""

from __future__ import annotations

import pytest

from pipelines.streams import StreamKind
from pipelines.sync import selected_streams, sync
from tests.conftest import settings_for
from tests.truth import diff_warehouse
from warehouse.analytics import build_models
from warehouse.store import connect


@pytest.fixture
def lake_env(pg_lake, monkeypatch):
    for name, value in pg_lake.env.items():
        monkeypatch.setenv(name, value)
    return pg_lake


def test_full_then_incremental_sync_equal_ground_truth(sim, lake_env):
    settings = settings_for(sim, lake_env.target)
    first = sync(settings)
    default = [spec.name for spec in selected_streams(settings)]
    assert [(r.stream, r.status) for r in first] == [(n, "succeeded") for n in default], [
        r.error for r in first]
    assert sum(r.rows_inserted for r in first) > 1000
    assert diff_warehouse(lake_env.target, sim.simulator, env=lake_env.env) == []
    rerun = sync(settings)
    # nothing changes, except the wallet history's one new row per sync
    changed = {r.stream: r.rows_inserted + r.rows_updated + r.rows_deleted for r in rerun}
    assert {s: n for s, n in changed.items() if n} == {
        s.name: 1 for s in selected_streams(settings) if s.kind is StreamKind.HISTORY}
    for minutes in (45, 240):
        sim.simulator.advance(minutes=minutes)
        results = sync(settings)
        assert all(r.ok for r in results), [r.error for r in results]
        assert diff_warehouse(lake_env.target, sim.simulator, env=lake_env.env) == []
    con = connect(lake_env.target, env=lake_env.env)
    try:
        built = {m.name: m.rows for m in build_models(con)}
        [(calls,)] = con.execute("SELECT count(*) FROM analytics.call_facts").fetchall()
        [(raw_calls,)] = con.execute("SELECT count(*) FROM sippet.calls").fetchall()
    finally:
        con.close()
    assert built["call_facts"] == calls == raw_calls > 0
