"""The reference says a field hidden by policy comes back `null` — any field but `id`, cursor
fields included. With the simulator hiding 5% of every field's values, full, repeated and
incremental syncs (and a transient fault) each succeed with nothing quarantined and equal the
simulator's ground truth in every row and column."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.streams import STREAMS, StreamKind
from pipelines.sync import sync
from tests.conftest import POLICY_NULLS, cli_env, run_cli, settings_for
from tests.truth import diff_warehouse, truth_rows, truth_streams


@pytest.fixture
def nulled(sim_factory):
    return sim_factory(**POLICY_NULLS)


def _clean(results) -> None:
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.rows_quarantined for r in results) == 0, [r.quarantine_reasons for r in results]


def test_every_non_id_field_is_hidden_somewhere(nulled):
    """The dataset really exercises the contract: at least 2% of each field's values null."""
    for name in truth_streams(opt_in=True):
        spec = STREAMS[name]
        truth = list(truth_rows(nulled.simulator, spec).values())
        if len(truth) < 60:  # a few dozen rows: some value hidden, not 2% of each field
            assert any(v is None for row in truth for v in row.values()), name
            continue
        for column in spec.columns[1:]:
            hidden = sum(row[column] is None for row in truth)
            # a few hundred rows: sampling noise allows under 2%, not none at all
            assert hidden >= 1 if len(truth) < 500 else hidden / len(truth) >= 0.02, (
                spec.name, column, hidden, len(truth))


def test_full_rerun_and_incremental_syncs_equal_the_truth(nulled, warehouse):
    settings = settings_for(nulled, warehouse, max_concurrency=8)
    first = sync(settings)
    _clean(first)
    assert diff_warehouse(warehouse, nulled.simulator) == []
    rerun = sync(settings)
    _clean(rerun)
    assert sum(r.rows_inserted + r.rows_updated + r.rows_deleted for r in rerun
               if STREAMS[r.stream].kind is not StreamKind.HISTORY) == 0
    for minutes in (10, 60, 300):
        nulled.simulator.advance(minutes=minutes)
        _clean(sync(settings))
        assert diff_warehouse(warehouse, nulled.simulator) == [], f"after +{minutes} min"


def test_hidden_cursors_never_move_a_cursor_and_are_read_with_isnil(nulled, warehouse):
    sync(settings_for(nulled, warehouse))
    con = duckdb.connect(warehouse, read_only=True)
    try:
        for name in ("calls", "call_transcripts", "call_ai_audit_events"):
            spec = STREAMS[name]
            untimed = con.execute(f"SELECT count(*) FROM {spec.table} "
                                  f"WHERE {spec.cursor_column} IS NULL").fetchone()[0]
            assert untimed > 0, name
            cursor = con.execute("SELECT cursor_value FROM sippet._sync_state WHERE stream = ?",
                                 [name]).fetchone()[0]
            assert cursor is not None, name
    finally:
        con.close()
    isnil = [e for e in nulled.simulator.request_log
             if '"isNil"' in str(e.get("filter")) or "isNil" in str(e.get("filter"))]
    assert {e["action"] for e in isnil} >= {"list_calls", "list_call_transcripts",
                                             "list_call_ai_audit_events"}


def test_keyset_pages_and_a_transient_fault_with_hidden_fields(sim_factory, warehouse):
    server = sim_factory(**POLICY_NULLS, default_page_type="keyset")
    server.simulator.set_faults(server_error=0.1, retry_after_seconds=0.05)
    results = sync(settings_for(server, warehouse, page_size=50))
    _clean(results)
    assert sum(r.retries for r in results) > 0
    server.simulator.set_faults(server_error=0.0)
    assert diff_warehouse(warehouse, server.simulator) == []


def test_the_cli_exits_0_with_hidden_fields(nulled, warehouse):
    done = run_cli(["sync", "--no-models"], cli_env(nulled, warehouse))
    assert done.returncode == 0, done.stderr
    assert diff_warehouse(warehouse, nulled.simulator) == []
