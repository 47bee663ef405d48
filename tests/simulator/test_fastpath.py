"""The fast audit-event renderer must be byte-identical to the generic dict + orjson path."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from pipelines.simulator import Simulator
from pipelines.simulator.catalogue import fields as api_fields

FIELDS = api_fields("CallAiAuditEvent")


@pytest.mark.parametrize("fields", [FIELDS, FIELDS[::-1], ["tokenUsage", "id", "payload"],
                                    ["occurredAt"], ["toolArgumentsRaw", "toolOutput", "error",
                                                     "success", "progressPercent"]])
def test_renderer_matches_dict_path(fields):
    sim = Simulator(scale="tiny")
    res = sim.resources["CallAiAuditEvent"]
    pos = res.positions(sim.now_us)
    fast = res.renderer.render(fields, pos)
    slow = res.serialize(fields, pos, sim.now_us)
    assert fast == [orjson.dumps(r) for r in slow]
    assert {r.get("eventType") for r in res.serialize(["eventType"], pos, sim.now_us)} == {
        "response", "tool_call", "tool_result", "state_step"}


def test_http_fast_and_hazard_paths_serve_the_same_records(rpc):
    body = {"action": "list_call_ai_audit_events", "fields": FIELDS, "sort": "occurredAt,id",
            "page": {"limit": 200, "offset": 100}}
    fast = rpc.raw(body).content
    rpc.sim.set_faults(extra_field=1e-12)  # forces the dict path, affects no record
    slow = rpc.raw(body).content
    assert fast == slow
    assert len(orjson.loads(fast)["data"]["results"]) == 200


def test_sixteen_slices_walked_side_by_side_are_matched_once_each(rpc, monkeypatch):
    """A client walking 16 time slices at once alternates between 16 queries: each must stay
    matched (filter + sort) between its pages, or every page re-filters the whole resource
    (conversation items at 1 s per page at 100k)."""
    matcher = rpc.sim.matcher
    computed: list[str] = []
    real = matcher._compute

    def counting(res, flt, terms, now):
        computed.append(res.name)
        return real(res, flt, terms, now)

    monkeypatch.setattr(matcher, "_compute", counting)
    start = rpc.sim.now - timedelta(days=rpc.sim.config.days)
    step = (rpc.sim.now - start) / 16
    filters = [{"occurredAt": {"greaterThanOrEqual": (start + step * i).isoformat(),
                               "lessThan": (start + step * (i + 1)).isoformat()}}
               for i in range(16)]
    for offset in (0, 2, 4):  # three rounds of one page per slice, like 16 workers
        for flt in filters:
            rpc.data("list_conversation_items", fields=["id"], filter=flt, sort="occurredAt,id",
                     page={"limit": 2, "offset": offset})
    assert computed == ["ConversationItem"] * 16
