"""The dimension actions: served with paging, filters and sorts, tied to the calls and agents,
changing as the clock passes, hiding values by policy like every other resource."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipelines.simulator.catalogue import fields
from pipelines.simulator.rpc import LIST_ACTIONS

NEW_ACTIONS = {a: r for a, r in LIST_ACTIONS.items() if a in (
    "list_ai_agents", "list_queues", "list_phone_numbers", "list_conversations",
    "list_conversation_items", "list_call_queue_entries", "list_call_participants",
    "list_contacts", "list_gateways")}


def _walk(rpc, action: str, **body) -> list[dict]:
    rows, offset = [], 0
    while True:
        page = rpc.data(action, fields=fields(NEW_ACTIONS[action]), sort="id",
                        page={"limit": 40, "offset": offset}, **body)
        rows += page["results"]
        if not page["hasMore"]:
            return rows
        offset += 40


@pytest.mark.parametrize("action", list(NEW_ACTIONS))
def test_paged_walk_equals_the_ground_truth(rpc, action):
    rows = _walk(rpc, action)
    assert rows == rpc.sim.ground_truth(NEW_ACTIONS[action])
    assert len(rows) >= 3
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_records_link_to_calls_and_agents(rpc):
    sim = rpc.sim
    agents = {a["id"] for a in sim.ground_truth("AiAgent")}
    calls = sim.ground_truth("Call")
    conversations = {c["id"]: c for c in sim.ground_truth("Conversation")}
    assert {e["agentId"] for e in sim.ground_truth("CallAiAuditEvent")} <= agents
    assert {c["conversationId"] for c in calls} - {None} == set(conversations)
    assert {c["aiAgentId"] for c in conversations.values()} <= agents
    items = sim.ground_truth("ConversationItem")
    assert {i["conversationId"] for i in items} <= set(conversations)
    assert len(items) == len(sim.ground_truth("CallTranscript"))
    inbound = {c["callUuid"] for c in calls if c["direction"] == "inbound"}
    entries = sim.ground_truth("CallQueueEntry")
    assert entries and {e["callUuid"] for e in entries} <= inbound
    participants = sim.ground_truth("CallParticipant")
    assert {p["callId"] for p in participants} == {c["id"] for c in calls}
    assert {p["role"] for p in participants} == {"caller", "ai_agent", "operator"}


def test_queue_entries_and_participants_become_final_as_the_clock_passes(rpc):
    sim = rpc.sim
    open_entries = [e for e in sim.ground_truth("CallQueueEntry")
                    if e["completedAt"] is None and e["abandonedAt"] is None]
    present = [p for p in sim.ground_truth("CallParticipant") if p["leftAt"] is None]
    assert open_entries and present  # the anchor calls run across the start
    sim.advance(hours=8)
    entries = {e["id"]: e for e in sim.ground_truth("CallQueueEntry")}
    for entry in open_entries:
        assert entries[entry["id"]]["state"] in ("completed", "abandoned")
    left = {p["id"]: p["leftAt"] for p in sim.ground_truth("CallParticipant")}
    assert all(left[p["id"]] is not None for p in present)


def test_snapshots_lose_and_gain_rows_over_hours(rpc):
    sim = rpc.sim
    names = lambda: {q["queueName"] for q in sim.ground_truth("Queue")}  # noqa: E731
    assert names() == {"support", "sales", "billing", "priority"}
    sim.advance(hours=6)
    assert names() == {"support", "sales", "priority", "callbacks"}
    assert len(sim.ground_truth("PhoneNumber")) == 4  # Berlin gone, Madrid not yet


def test_filters_and_keyset_pages_work_on_the_new_resources(make_rpc):
    rpc = make_rpc(default_page_type="keyset")
    start = rpc.sim.ground_truth("ConversationItem")[0]["occurredAt"]
    page = rpc.data("list_conversation_items", fields=["id", "occurredAt"],
                    filter={"occurredAt": {"greaterThanOrEqual": start}},
                    sort="occurredAt,id", page={"limit": 5})
    assert len(page["results"]) == 5 and all(r["occurredAt"] >= start for r in page["results"])
    after = rpc.data("list_conversation_items", fields=["id", "occurredAt"],
                     filter={"occurredAt": {"greaterThanOrEqual": start}},
                     sort="occurredAt,id", page={"limit": 5, "after": page["nextPage"]})
    assert after["results"][0]["occurredAt"] >= page["results"][-1]["occurredAt"]
    waiting = rpc.data("list_call_queue_entries", fields=["id", "state"],
                       filter={"state": {"eq": "abandoned"}}, page={"limit": 100})
    assert waiting["results"] and {r["state"] for r in waiting["results"]} == {"abandoned"}


def test_the_wallet_summary_takes_no_fields(rpc):
    summary = rpc.data("organisation_wallet_summary")
    assert set(summary) == {"balanceUsd", "currency", "spentTodayUsd", "spentThisMonthUsd",
                            "updatedAt"}
    assert summary["currency"] == "USD"
    assert Decimal(summary["balanceUsd"]) > 0 and Decimal(summary["spentTodayUsd"]) >= 0
    rpc.sim.advance(hours=3)
    later = rpc.data("organisation_wallet_summary")
    assert Decimal(later["balanceUsd"]) < Decimal(summary["balanceUsd"])


def test_policy_nulls_hide_values_of_the_new_resources(make_rpc):
    rpc = make_rpc(policy_null=0.2, seed=16)
    for resource in NEW_ACTIONS.values():
        rows = rpc.sim.ground_truth(resource)
        assert any(v is None for r in rows for k, v in r.items() if k != "id"), resource
        assert all(r["id"] for r in rows)
    served = _walk(rpc, "list_contacts")
    assert served == rpc.sim.ground_truth("Contact")
