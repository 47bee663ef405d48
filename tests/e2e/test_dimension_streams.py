"""The issue-15 streams end to end: opt-in contacts and gateways (the gateway password is never
asked for nor stored), the wallet history, snapshot deletes and rows that change until final."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from pipelines.simulator import Simulator
from pipelines.sync import sync
from tests.conftest import POLICY_NULLS, settings_for
from tests.truth import diff_warehouse, truth_streams


def _by_stream(results):
    assert all(r.ok for r in results), [r.error for r in results]
    return {r.stream: r for r in results}


def test_opt_in_streams_are_off_by_default_and_refused_when_named(sim, warehouse):
    results = _by_stream(sync(settings_for(sim, warehouse)))
    assert "contacts" not in results and "gateways" not in results
    actions = {e["action"] for e in sim.simulator.request_log}
    assert not actions & {"list_contacts", "list_gateways"}
    (named,) = sync(settings_for(sim, warehouse), streams=["contacts"])
    assert (named.status, named.rows_fetched, named.requests) == ("skipped", 0, 0)
    assert named.warnings == ["stream contacts is opt-in: set SIPPET_SYNC_CONTACTS=true to "
                              "sync it"]
    assert "list_contacts" not in {e["action"] for e in sim.simulator.request_log}


@pytest.mark.parametrize("options", [{}, POLICY_NULLS], ids=["plain", "policy_nulls"])
def test_gateway_password_is_never_requested_nor_stored(sim_factory, warehouse, options):
    server = sim_factory(**options)
    settings = settings_for(server, warehouse, sync_contacts=True, sync_gateways=True)
    for minutes in (0, 300):
        server.simulator.advance(minutes=minutes)
        _by_stream(sync(settings))
        assert diff_warehouse(warehouse, server.simulator, truth_streams(opt_in=True)) == []
    requested = [e for e in server.simulator.request_log if e["action"] == "list_gateways"]
    assert requested and all("password" not in e["fields"] for e in requested)
    passwords = {g["password"] for g in server.simulator.ground_truth("Gateway")} - {None}
    con = duckdb.connect(warehouse, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM information_schema.columns "
                           "WHERE column_name ILIKE '%password%'").fetchone()[0] == 0
        held = con.execute("SELECT * FROM sippet.gateways").fetchall()
        assert held and not passwords & {str(v) for row in held for v in row}
    finally:
        con.close()


def test_wallet_keeps_one_row_per_sync_equal_to_the_summary(sim, warehouse):
    settings = settings_for(sim, warehouse)
    summaries = []
    for hours in (0, 2):
        sim.simulator.advance(hours=hours)
        _by_stream(sync(settings, streams=["organisation_wallet_summary"]))
        summaries.append(sim.simulator.wallet_summary())
    con = duckdb.connect(warehouse, read_only=True)
    try:
        rows = con.execute("SELECT id, balance_usd, currency, summary::VARCHAR, fetched_at "
                           "FROM sippet.organisation_wallet_summary ORDER BY fetched_at"
                           ).fetchall()
    finally:
        con.close()
    assert len(rows) == 2 and all(r[0].endswith(":wallet") for r in rows)
    assert [r[1] for r in rows] == [Decimal(s["balanceUsd"]) for s in summaries]
    assert rows[1][1] < rows[0][1] and {r[2] for r in rows} == {"USD"}
    assert [json.loads(r[3]) for r in rows] == summaries


def test_incremental_syncs_follow_deletes_mutations_and_late_items(sim, warehouse, synced_copy):
    settings = settings_for(sim, warehouse)
    synced_copy(warehouse)  # = a first full sync of this simulator (see conftest)
    names = ("queues", "phone_numbers", "call_queue_entries", "call_participants",
             "conversations", "conversation_items")
    totals = {n: {"rows_inserted": 0, "rows_updated": 0, "rows_deleted": 0} for n in names}
    entry = _next_answered_entry(sim.simulator)
    for step in (entry["answeredAt"], entry["completedAt"], None):
        # sync while the entry is answered, after it completed, then 5 hours later
        if step is None:
            sim.simulator.advance(hours=5)
        else:
            sim.simulator.advance_to(datetime.fromisoformat(step) + timedelta(seconds=1))
        results = _by_stream(sync(settings))
        for name in names:
            for counter in totals[name]:
                totals[name][counter] += getattr(results[name], counter)
        assert diff_warehouse(warehouse, sim.simulator) == [], f"at {step}"
    # billing queue removed after 2 h, callbacks added after 5 h; a number gone after 3 h
    assert totals["queues"] == {"rows_inserted": 1, "rows_updated": 0, "rows_deleted": 1}
    assert totals["phone_numbers"]["rows_deleted"] == 1
    # rows re-read by id until final: waiting entries and present members get updated
    for name in ("call_queue_entries", "call_participants", "conversations"):
        assert totals[name]["rows_updated"] > 0, (name, totals[name])
    assert totals["conversation_items"]["rows_inserted"] > 0
    assert totals["conversation_items"]["rows_updated"] == 0


def _next_answered_entry(sim: Simulator) -> dict:
    """The first queue entry answered after the clock (a twin simulator looks a day ahead:
    the dataset is deterministic)."""
    twin = Simulator(sim.config)
    start = twin.now.isoformat().replace("+00:00", "Z")
    twin.advance(hours=24)
    return min((e for e in twin.ground_truth("CallQueueEntry")
                if e["answeredAt"] and e["answeredAt"] > start and e["completedAt"]),
               key=lambda e: e["answeredAt"])
