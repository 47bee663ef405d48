"""`migrate_to`: a synced file warehouse copied into a lake gives identical tables."""

from __future__ import annotations

import os
import subprocess

import pytest

from pipelines.sync import sync
from tests.conftest import ROOT, SIPPET_SYNC, settings_for
from tests.truth import diff_warehouse
from warehouse.analytics import build_models, list_models
from warehouse.migrate_to import MigrateError, migrate_to
from warehouse.store import connect, open_warehouse


@pytest.fixture
def synced_file(sim, warehouse, synced_copy):
    synced_copy(warehouse, days=2)  # = a full sync of `sim` (two days, see lake/conftest.py)
    con = open_warehouse(warehouse)
    build_models(con)
    con.close()
    return warehouse


@pytest.mark.parametrize("lake_fixture", ["sqlite_lake", "pg_lake"])
def test_migrate_file_into_lake_is_identical(request, monkeypatch, sim, synced_file,
                                            lake_fixture):
    lake = request.getfixturevalue(lake_fixture)
    report = migrate_to(synced_file, lake.target, env=lake.env)
    assert report.verified
    models = {f"analytics.{m.name}" for m in list_models()}
    assert models <= report.tables.keys()
    assert report.tables["sippet.call_ai_audit_events"] > 1000
    assert diff_warehouse(lake.target, sim.simulator, env=lake.env) == []
    file_con = connect(synced_file, read_only=True)
    lake_con = connect(lake.target, env=lake.env)
    try:
        for table, rows in report.tables.items():
            [(held,)] = lake_con.execute(f"SELECT count(*) FROM {table}").fetchall()
            [(source,)] = file_con.execute(f"SELECT count(*) FROM {table}").fetchall()
            assert held == source == rows, table
    finally:
        file_con.close()
        lake_con.close()
    # The lake carries on from the file's cursors: an incremental sync stays exact.
    for name, value in lake.env.items():
        monkeypatch.setenv(name, value)
    sim.simulator.advance(minutes=30)
    results = sync(settings_for(sim, lake.target))
    assert all(r.ok for r in results), [r.error for r in results]
    assert diff_warehouse(lake.target, sim.simulator, env=lake.env) == []


def test_migrate_refuses_a_target_that_holds_rows(synced_file, sqlite_lake):
    migrate_to(synced_file, sqlite_lake.target, env=sqlite_lake.env)
    held = r"already holds rows in .*analytics\.ai_response_costs.*refusing to merge"
    with pytest.raises(MigrateError, match=held):
        migrate_to(synced_file, sqlite_lake.target, env=sqlite_lake.env)


def test_cli_migrate_to_copies_and_says_so(synced_file, sqlite_lake):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPPET_")}
    done = subprocess.run([SIPPET_SYNC, "migrate-to", sqlite_lake.target],
                          env={**env, "SIPPET_WAREHOUSE": synced_file}, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "verified row for row" in done.stdout
    again = subprocess.run([SIPPET_SYNC, "migrate-to", sqlite_lake.target],
                           env={**env, "SIPPET_WAREHOUSE": synced_file}, cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 1
    assert "already holds rows" in again.stderr
