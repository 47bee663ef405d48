"""Contract tests of the RPC envelope, auth, actions and field selection."""

from __future__ import annotations

import httpx

from pipelines.simulator.catalogue import fields as api_fields

ACTIONS = {"list_calls": "Call", "list_call_transcripts": "CallTranscript",
           "list_call_ai_audit_events": "CallAiAuditEvent",
           "list_operator_status_events": "OperatorStatusEvent",
           "list_operator_statuses": "OperatorStatus"}


def test_missing_or_wrong_key_is_401_without_envelope(server, rpc):
    for headers in ({}, {"x-api-key": "sk_wrong"}):
        resp = httpx.post(server.url + "/rpc/public/run", headers=headers,
                          json={"action": "who_am_i", "fields": ["id"]})
        assert resp.status_code == 401
        assert resp.json() == {"error": "unauthorized"}
        assert "success" not in resp.json()
    assert rpc.sim.request_log[-1]["api_key_ok"] is False
    assert "sk_wrong" not in repr(rpc.sim.request_log)


def test_who_am_i(rpc):
    data = rpc.data("who_am_i", fields=["email", "id", "sipUsername"])
    assert list(data) == ["email", "id", "sipUsername"]
    assert data["email"].endswith("@sippet.example")


def test_action_not_found(rpc):
    err = rpc.error("drop_tables", fields=["id"])
    assert err["type"] == "action_not_found"
    assert err["vars"] == {"action": "drop_tables"}
    assert err["message"] == "No action found for %{action}"
    assert set(err) == {"type", "message", "shortMessage", "vars", "fields", "path"}


def test_unknown_field(rpc):
    err = rpc.error("list_calls", fields=["id", "fooBar"])
    assert err["type"] == "unknown_field"
    assert err["message"] == "unknown field %{field}"
    assert err["vars"] == {"field": "fooBar"}
    # snake_case is not a field name on the wire
    assert rpc.error("list_calls", fields=["started_at"])["type"] == "unknown_field"


def test_requires_field_selection(rpc):
    assert rpc.error("list_calls")["type"] == "requires_field_selection"
    assert rpc.error("list_calls", fields=[])["type"] == "requires_field_selection"


def test_records_have_exactly_the_requested_fields_in_order(rpc):
    for action, resource in ACTIONS.items():
        fields = api_fields(resource)[::-1]
        rows = rpc.data(action, fields=fields)
        assert rows, action
        assert all(list(r) == fields for r in rows), action


def test_every_action_serves_all_model_fields_matching_ground_truth(rpc):
    for action, resource in ACTIONS.items():
        fields = api_fields(resource)
        rows = rpc.data(action, fields=fields, sort="id")
        assert rows == rpc.sim.ground_truth(resource), action


def test_map_keys_are_returned_as_stored(rpc):
    rows = rpc.data("list_call_ai_audit_events", fields=["eventType", "tokenUsage"],
                    filter={"eventType": {"eq": "response"}}, page={"limit": 5})["results"]
    usage = rows[0]["tokenUsage"]
    assert "input_tokens" in usage and "inputTokens" not in usage
    assert "cached_tokens_details" in usage["input_token_details"]


def test_validate_endpoint(rpc):
    ok = rpc.raw({"action": "list_calls", "fields": ["id"]}, "/rpc/public/validate").json()
    assert ok == {"success": True, "data": None}
    bad = rpc.raw({"action": "list_calls", "fields": ["nope"]}, "/rpc/public/validate").json()
    assert bad["success"] is False and bad["errors"][0]["type"] == "unknown_field"
    paged = rpc.raw({"action": "list_calls", "fields": ["id"], "page": {"limit": 1}},
                    "/rpc/public/validate").json()
    assert paged["errors"][0]["type"] == "invalid_pagination"


def test_list_calls_is_never_paginated(rpc):
    err = rpc.error("list_calls", fields=["id"], page={"limit": 10})
    assert err["type"] == "invalid_pagination"
    rows = rpc.data("list_calls", fields=["id"])
    assert isinstance(rows, list) and len(rows) == len(rpc.sim.ground_truth("Call"))


def test_timestamps_are_utc_with_microseconds(rpc):
    rows = rpc.data("list_calls", fields=["startedAt", "endedAt"])
    for row in rows:
        assert len(row["startedAt"]) == 27 and row["startedAt"].endswith("Z")
        assert row["startedAt"][19] == "."


def test_request_log(rpc):
    rpc.data("list_call_transcripts", fields=["id"], sort="occurredAt",
             filter={"speaker": {"eq": "agent"}}, page={"limit": 7})
    entry = rpc.sim.request_log[-1]
    assert entry["action"] == "list_call_transcripts"
    assert entry["fields"] == ["id"]
    assert entry["filter"] == {"speaker": {"eq": "agent"}}
    assert entry["sort"] == "occurredAt"
    assert entry["page"] == {"limit": 7}
    assert entry["status_code"] == 200 and entry["rows"] == 7
    assert entry["bytes"] > 0 and entry["api_key_ok"] is True
    assert "x-api-key" in entry["headers"]
    assert rpc.sim.config.api_key not in repr(entry)
    stats = rpc.http.get("/_sim/stats").json()
    assert stats["requests_per_action"]["list_call_transcripts"] == 1
    assert stats["max_page_limit"] == 7 and stats["list_calls_paged"] is False
