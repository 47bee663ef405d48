"""Every fault kind, observed over HTTP with httpx directly."""

from __future__ import annotations

import math

import httpx
import orjson
import pytest

from pipelines.simulator.catalogue import fields as api_fields

EVENTS = "list_call_ai_audit_events"
BODY = {"action": EVENTS, "fields": ["id", "inputTokens", "occurredAt"],
        "sort": "occurredAt", "page": {"limit": 50, "offset": 0}}


def post(rpc, body=BODY, **kw):
    return rpc.http.post("/rpc/public/run", content=orjson.dumps(body), **kw)


def test_rate_limit_with_retry_after(rpc):
    rpc.sim.set_faults(rate_limit=1.0, retry_after_seconds=7)
    resp = post(rpc)
    assert resp.status_code == 429 and resp.headers["retry-after"] == "7"
    assert "success" not in resp.json()
    rpc.sim.set_faults(rate_limit=0.0)
    assert post(rpc).status_code == 200


def test_server_error_is_html(rpc):
    rpc.sim.set_faults(server_error=1.0)
    codes = set()
    for _ in range(8):
        resp = post(rpc)
        codes.add(resp.status_code)
        assert resp.headers["content-type"].startswith("text/html")
        assert "<html>" in resp.text
    assert codes <= {502, 503} and codes


def test_drop_closes_without_response(rpc):
    rpc.sim.set_faults(drop=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        post(rpc)
    rpc.sim.set_faults(drop=0.0)
    assert post(rpc).status_code == 200  # the client reconnects


def test_slow_and_hang(rpc):
    rpc.sim.set_faults(slow=1.0, slow_seconds=0.3)
    resp = post(rpc)
    assert resp.status_code == 200 and resp.elapsed.total_seconds() >= 0.3
    rpc.sim.set_faults(slow=0.0, hang=1.0, hang_seconds=30)
    with pytest.raises(httpx.ReadTimeout):
        rpc.http.post("/rpc/public/run", content=orjson.dumps(BODY), timeout=0.5)


def test_internal_error_has_code_not_type(rpc):
    rpc.sim.set_faults(internal_error=1.0)
    out = post(rpc).json()
    assert out["success"] is False
    err = out["errors"][0]
    assert err["code"] == "internal_error" and "type" not in err and err["errorId"]


def test_malformed_is_truncated_json_with_200(rpc):
    rpc.sim.set_faults(malformed=1.0)
    resp = post(rpc)
    assert resp.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(resp.content)


def test_poison_is_deterministic_and_reversible(rpc):
    fields = api_fields("CallAiAuditEvent")
    body = {"action": EVENTS, "fields": fields, "sort": "occurredAt,id"}
    clean = post(rpc, body).json()["data"]
    rpc.sim.set_faults(poison=0.1)
    a, b = post(rpc, body).json()["data"], post(rpc, body).json()["data"]
    assert a == b
    bad = [i for i, (x, y) in enumerate(zip(a, clean, strict=True)) if x != y]
    assert 0.05 * len(a) < len(bad) < 0.15 * len(a)
    for i in bad:
        diff = {k for k in fields if a[i][k] != clean[i][k]}
        assert len(diff) == 1
        assert a[i][diff.pop()] in ("12k", "yesterday", 12345)
    assert rpc.sim.ground_truth("CallAiAuditEvent") == sorted(clean, key=lambda r: r["id"])
    rpc.sim.set_faults(poison=0.0)
    assert post(rpc, body).json()["data"] == clean


@pytest.mark.parametrize("kind", ["extra_field", "missing_field", "null_required",
                                  "naive_timestamp", "future_timestamp"])
def test_record_hazards(rpc, kind):
    rpc.sim.set_faults(**{kind: 1.0})
    rows = post(rpc).json()["data"]["results"]
    assert rows
    r = rows[0]
    if kind == "extra_field":
        assert "sentimentScore" in r
    elif kind == "missing_field":
        assert list(r) == ["id", "inputTokens"]
    elif kind == "null_required":
        assert all(x["id"] is None or x["occurredAt"] is None for x in rows)
    elif kind == "naive_timestamp":
        assert not r["occurredAt"].endswith("Z") and "+" not in r["occurredAt"]
    else:
        assert r["occurredAt"] > "2036"


def test_nan_literal(rpc):
    rpc.sim.set_faults(nan=1.0)
    resp = post(rpc)
    assert b"NaN" in resp.content
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(resp.content)
    import json

    rows = json.loads(resp.content)["data"]["results"]
    assert math.isnan(rows[0]["inputTokens"])


def test_control_chars_and_lone_surrogate(rpc):
    rpc.sim.set_faults(control_chars=1.0)
    body = {"action": "list_call_transcripts", "fields": api_fields("CallTranscript"),
            "page": {"limit": 5}}
    resp = post(rpc, body)
    assert b"\\u0000" in resp.content and b"\\u001b" in resp.content
    assert b"\\ud800" in resp.content


def test_huge_string(rpc):
    rpc.sim.set_faults(huge_string=1.0)
    body = {"action": "list_call_transcripts", "fields": ["id", "content"],
            "page": {"limit": 5}}
    rows = post(rpc, body).json()["data"]["results"]
    assert max(len(r["content"]) for r in rows) >= 9_000_000


def test_page_hazards(make_rpc):
    rpc = make_rpc(default_page_type="keyset")
    body = {"action": EVENTS, "fields": ["id"], "page": {"limit": 10}}
    first = post(rpc, body).json()["data"]
    rpc.sim.set_faults(empty_has_more=1.0)
    data = post(rpc, body).json()["data"]
    assert data["results"] == [] and data["hasMore"] is True and data["nextPage"] is None
    rpc.sim.set_faults(empty_has_more=0.0, repeat_cursor=1.0)
    after = {**body, "page": {"limit": 10, "after": first["nextPage"]}}
    assert post(rpc, after).json()["data"]["nextPage"] == first["nextPage"]
    rpc.sim.set_faults(repeat_cursor=0.0, too_many_rows=1.0)
    assert len(post(rpc, body).json()["data"]["results"]) > 10


def test_faults_are_deterministic_per_seed(make_rpc):
    def pattern(rpc):
        rpc.sim.set_faults(rate_limit=0.5)
        return [post(rpc).status_code for _ in range(20)]

    a, b = pattern(make_rpc(seed=11)), pattern(make_rpc(seed=11))
    assert a == b and set(a) == {200, 429}


def test_control_endpoints(rpc):
    http = rpc.http
    assert http.post("/_sim/faults", json={"rate_limit": 1.0}).json()["rate_limit"] == 1.0
    assert post(rpc).status_code == 429
    assert http.post("/_sim/faults", json={"reset": True}).status_code == 200
    assert post(rpc).status_code == 200
    assert http.post("/_sim/faults", json={"bogus": 1}).status_code == 400
    assert http.get("/_sim/now").json() == {"now": "2026-11-01T12:00:00Z"}
    assert http.post("/_sim/advance", json={"minutes": 90}).json()["now"] == \
        "2026-11-01T13:30:00Z"
    lines = http.get("/_sim/truth/CallAiAuditEvent").content.splitlines()
    assert [orjson.loads(x) for x in lines] == rpc.sim.ground_truth("CallAiAuditEvent")
    stats = http.get("/_sim/stats").json()
    assert stats["status_codes"]["429"] == 1 and stats["rows_served"] == 50
    assert httpx.get(rpc.server.url + "/_sim/stats").status_code == 401


def test_shifting_rows_move_offset_pages(make_rpc):
    rpc = make_rpc(scale="small", shifting_rows=1.0)
    t0 = rpc.sim.now
    for offset in (0, 50, 100):
        post(rpc, {**BODY, "page": {"limit": 50, "offset": offset}})
    assert (rpc.sim.now - t0).total_seconds() == 180


def test_list_calls_page_recorded_in_stats(rpc):
    post(rpc, {"action": "list_calls", "fields": ["id"], "page": {"limit": 5}})
    assert rpc.http.get("/_sim/stats").json()["list_calls_paged"] is True
