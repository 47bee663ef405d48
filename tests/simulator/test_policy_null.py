"""Policy nulls ("a field hidden by policy comes back null"): part of the data the API holds."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from pipelines.simulator import RESOURCES, Simulator
from pipelines.simulator.catalogue import fields as api_fields
from pipelines.simulator.cli import build_config
from pipelines.simulator.policy import unit
from pipelines.simulator.util import uuid_parts

RATE = 0.05
TIME = {"CallAiAuditEvent": ("list_call_ai_audit_events", "occurredAt"),
        "CallTranscript": ("list_call_transcripts", "occurredAt"),
        "Call": ("list_calls", "startedAt")}


@pytest.fixture(scope="module")
def sims() -> tuple[Simulator, Simulator]:
    """The same dataset without and with policy nulls."""
    return Simulator(scale="tiny"), Simulator(scale="tiny", policy_null=RATE)


@pytest.mark.parametrize("resource", RESOURCES)
def test_nulls_per_field_share_stability_and_ground_truth(sims, resource):
    plain, nulled = (s.ground_truth(resource) for s in sims)
    assert [r["id"] for r in plain] == [r["id"] for r in nulled]  # visibility unchanged
    hi, lo = (np.array(p, dtype=np.uint64) for p in zip(*(uuid_parts(r["id"]) for r in plain),
                                                          strict=True))
    for field in api_fields(resource)[1:]:
        expect = unit(7, field, hi, lo) < RATE  # the documented rule, per (record, field)
        hidden = [a[field] is not None and b[field] is None
                  for a, b in zip(plain, nulled, strict=True)]
        held = [a[field] is not None for a in plain]
        assert hidden == [h and e for h, e in zip(held, expect.tolist(), strict=True)], field
        for a, b, e in zip(plain, nulled, expect.tolist(), strict=True):
            assert b[field] == (None if e else a[field]), (field, a["id"])
        if sum(held) >= 400:  # the share is only meaningful on enough values
            assert abs(sum(hidden) / sum(held) - RATE) < 0.025, (field, sum(hidden), sum(held))
    assert all(r["id"] is not None for r in nulled)


def _walk(rpc, action, flt, sort, kind, count=False):
    """Every record of a paged walk (offset or keyset), with the page counts reported."""
    rows, counts, page = [], [], {"limit": 97, "count": count}
    page |= {"offset": 0} if kind == "offset" else {}
    for _ in range(1000):
        data = rpc.data(action, fields=["id", "occurredAt"], filter=flt, sort=sort, page=page)
        rows += data["results"]
        counts.append(data["count"])
        if not data["hasMore"]:
            return rows, counts
        page = ({"limit": 97, "count": count, "offset": page["offset"] + 97}
                if kind == "offset" else {"limit": 97, "count": count, "after": data["nextPage"]})
    raise AssertionError("walk did not end")


@pytest.mark.parametrize("resource", ["CallAiAuditEvent", "CallTranscript"])
@pytest.mark.parametrize("kind", ["offset", "keyset"])
def test_range_and_is_nil_partition_the_records(make_rpc, resource, kind):
    rpc = make_rpc(policy_null=RATE, default_page_type=kind)
    action, field = TIME[resource]
    truth = rpc.sim.ground_truth(resource)
    nulls = sorted(r["id"] for r in truth if r[field] is None)
    assert nulls and len(nulls) < len(truth)
    times = sorted(r[field] for r in truth if r[field] is not None)
    ranged, c1 = _walk(rpc, action, {field: {"greaterThanOrEqual": times[0],
                                             "lessThan": "2100-01-01T00:00:00Z"}},
                       "occurredAt,id", kind, count=True)
    nil, c2 = _walk(rpc, action, {field: {"isNil": True}}, "occurredAt,id", kind, count=True)
    assert [r[field] for r in ranged] == times  # sorted, nothing hidden in the range
    assert sorted(r["id"] for r in nil) == nulls and all(r[field] is None for r in nil)
    assert [r["id"] for r in nil] == nulls  # null sort values: ordered by id
    ids = [r["id"] for r in ranged + nil]
    assert sorted(ids) == sorted(r["id"] for r in truth) and len(set(ids)) == len(ids)
    assert set(c1) == {len(ranged)} and set(c2) == {len(nil)}
    not_nil, _ = _walk(rpc, action, {field: {"isNil": False}}, "occurredAt,id", kind)
    assert [r["id"] for r in not_nil] == [r["id"] for r in ranged]


@pytest.mark.parametrize("sort", ["occurredAt,id", "-occurredAt,-id", "-occurredAt", "++occurredAt",
                                  "--occurredAt", "speaker,-occurredAt"])
def test_keyset_walks_order_nulls_per_the_sort_rule(make_rpc, sort):
    rpc = make_rpc(policy_null=RATE, default_page_type="keyset")
    truth = rpc.sim.ground_truth("CallTranscript")
    rows, _ = _walk(rpc, "list_call_transcripts", None, sort, "keyset")
    got = [r["id"] for r in rows]
    assert sorted(got) == [r["id"] for r in truth] and len(set(got)) == len(got)
    terms = sort.split(",")
    if all(t.lstrip("+-") != "id" for t in terms):
        terms.append("id")

    def key(r):
        parts = []
        for t in terms:
            prefix = t[: len(t) - len(t.lstrip("+-"))]
            desc = prefix in ("-", "--")
            nulls_first = prefix in ("-", "++")
            v = r[t.lstrip("+-")]
            parts.append((0 if (v is None) == nulls_first else 1,
                          "" if v is None else (tuple(-ord(c) for c in v) if desc else v)))
        return parts

    assert got == [r["id"] for r in sorted(truth, key=key)]


def test_list_calls_windows_reach_null_started_at_only_with_is_nil(make_rpc):
    rpc = make_rpc(policy_null=RATE)
    truth = rpc.sim.ground_truth("Call")
    windowed = rpc.data("list_calls", fields=["id", "startedAt"], sort="startedAt",
                        filter={"startedAt": {"greaterThanOrEqual": "2000-01-01T00:00:00Z",
                                              "lessThan": "2100-01-01T00:00:00Z"}})
    nil = rpc.data("list_calls", fields=["id", "startedAt"], sort="startedAt",
                   filter={"startedAt": {"isNil": True}})
    assert [r["id"] for r in nil] == sorted(r["id"] for r in truth if r["startedAt"] is None)
    assert nil and all(r["startedAt"] is not None for r in windowed)
    assert len(windowed) + len(nil) == len(truth)
    assert {r["id"] for r in windowed} | {r["id"] for r in nil} == {r["id"] for r in truth}


@pytest.mark.parametrize(("resource", "action", "field", "values"), [
    ("CallTranscript", "list_call_transcripts", "speaker", ["caller", "agent"]),
    ("Call", "list_calls", "status", ["completed", "failed", "busy", "no_answer",
                                      "initiated", "ringing", "answered"]),
    ("OperatorStatusEvent", "list_operator_status_events", "status",
     ["available", "on_break", "logged_out"]),
])
def test_eq_in_never_match_null_and_is_nil_does(make_rpc, resource, action, field, values):
    rpc = make_rpc(policy_null=RATE)
    truth = rpc.sim.ground_truth(resource)
    got = {}
    for name, flt in (("in", {field: {"in": values}}), ("nil", {field: {"isNil": True}}),
                      ("not_nil", {field: {"isNil": False}})):
        got[name] = sorted(r["id"] for r in rpc.data(action, fields=["id"], filter=flt))
    eq = sorted(i for v in values for i in (
        r["id"] for r in rpc.data(action, fields=["id"], filter={field: {"eq": v}})))
    assert got["in"] == eq == got["not_nil"]
    assert got["nil"] == sorted(r["id"] for r in truth if r[field] is None) and got["nil"]
    assert sorted(got["in"] + got["nil"]) == sorted(r["id"] for r in truth)


FIELDS = api_fields("CallAiAuditEvent")


@pytest.mark.parametrize("fields", [FIELDS, FIELDS[::-1], ["tokenUsage", "id", "payload"],
                                    ["occurredAt", "id"]])
def test_fast_renderer_matches_dict_path_with_nulls(sims, fields):
    sim = sims[1]
    res = sim.resources["CallAiAuditEvent"]
    pos = res.positions(sim.now_us)
    slow = res.serialize(fields, pos, sim.now_us)
    assert res.renderer.render(fields, pos) == [orjson.dumps(r) for r in slow]
    assert any(v is None for r in slow for k, v in r.items() if k in ("payload", "occurredAt"))


def test_http_fast_and_dict_paths_agree_and_runtime_switch(make_rpc):
    rpc = make_rpc()
    body = {"action": "list_call_ai_audit_events", "fields": FIELDS, "sort": "occurredAt,id",
            "page": {"limit": 200, "offset": 100}}
    before = orjson.loads(rpc.raw(body).content)["data"]["results"]
    assert all(r["occurredAt"] is not None and r["payload"] is not None for r in before)
    resp = rpc.http.post("/_sim/policy-null", json={"rate": RATE})
    assert resp.json() == {"policy_null": RATE} and rpc.sim.config.policy_null == RATE
    fast = rpc.raw(body).content
    rpc.sim.set_faults(extra_field=1e-12)  # forces the dict path, affects no record
    assert rpc.raw(body).content == fast
    rows = orjson.loads(fast)["data"]["results"]
    assert sum(v is None for r in rows for v in r.values()) > sum(
        v is None for r in before for v in r.values())
    assert rpc.http.post("/_sim/policy-null", json={"rate": 2}).status_code == 400
    assert rpc.sim.set_policy_null(0) == 0 and orjson.loads(rpc.raw(body).content)[
        "data"]["results"] == before


def test_cli_flag_and_config():
    config, host, port = build_config(["--policy-null", "0.05", "--port", "9000"])
    assert (config.policy_null, host, port) == (0.05, "127.0.0.1", 9000)
    assert build_config([])[0].policy_null == 0.0
    with pytest.raises(SystemExit):
        build_config(["--policy-null", "1.5"])
