"""The fast audit-event renderer must be byte-identical to the generic dict + orjson path."""

from __future__ import annotations

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
