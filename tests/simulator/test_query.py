"""Filters, sorts and pagination against the ground truth."""

from __future__ import annotations

import pytest

from pipelines.simulator.catalogue import fields as api_fields

EVENTS = "list_call_ai_audit_events"


def ids(rows):
    return [r["id"] for r in rows]


def truth(rpc, resource="CallAiAuditEvent"):
    return rpc.sim.ground_truth(resource)


@pytest.mark.parametrize(("op", "value", "pred"), [
    ("eq", "tool_call", lambda v: v == "tool_call"),
    ("notEq", "response", lambda v: v is not None and v != "response"),
    ("in", ["state_step", "tool_result"], lambda v: v in ("state_step", "tool_result")),
])
def test_equality_operators(rpc, op, value, pred):
    rows = rpc.data(EVENTS, fields=["id", "eventType"], filter={"eventType": {op: value}})
    expected = sorted(r["id"] for r in truth(rpc) if pred(r["eventType"]))
    assert sorted(ids(rows)) == expected and expected


@pytest.mark.parametrize(("op", "pred"), [
    ("greaterThan", lambda v, x: v > x), ("greaterThanOrEqual", lambda v, x: v >= x),
    ("lessThan", lambda v, x: v < x), ("lessThanOrEqual", lambda v, x: v <= x),
])
def test_range_operators_on_numbers_and_instants(rpc, op, pred):
    all_rows = truth(rpc)
    rows = rpc.data(EVENTS, fields=["id"], filter={"inputTokens": {op: 1500}})
    assert sorted(ids(rows)) == sorted(
        r["id"] for r in all_rows if r["inputTokens"] is not None and pred(r["inputTokens"], 1500))
    pivot = sorted(r["occurredAt"] for r in all_rows)[len(all_rows) // 2]
    rows = rpc.data(EVENTS, fields=["id"], filter={"occurredAt": {op: pivot}})
    expected = sorted(r["id"] for r in all_rows if pred(r["occurredAt"], pivot))
    assert sorted(ids(rows)) == expected and expected


def test_timestamps_compare_as_instants_across_offsets(rpc):
    pivot = "2026-10-20T12:00:00Z"
    a = rpc.data(EVENTS, fields=["id"], filter={"occurredAt": {"lessThan": pivot}})
    b = rpc.data(EVENTS, fields=["id"],
                 filter={"occurredAt": {"lessThan": "2026-10-20T14:00:00+02:00"}})
    c = rpc.data(EVENTS, fields=["id"],
                 filter={"occurredAt": {"lessThan": "2026-10-20T07:00:00-05:00"}})
    assert ids(a) == ids(b) == ids(c) and a
    assert rpc.error(EVENTS, fields=["id"],
                     filter={"occurredAt": {"lessThan": "soon"}})["type"] == "invalid_query"


def test_is_nil(rpc):
    nil = rpc.data(EVENTS, fields=["id"], filter={"toolName": {"isNil": True}})
    not_nil = rpc.data(EVENTS, fields=["id"], filter={"toolName": {"isNil": False}})
    all_rows = truth(rpc)
    assert sorted(ids(nil)) == sorted(r["id"] for r in all_rows if r["toolName"] is None)
    assert len(nil) + len(not_nil) == len(all_rows) and nil and not_nil


def test_and_or_not_and_implicit_and(rpc):
    all_rows = truth(rpc)
    flt = {"or": [{"eventType": {"eq": "tool_result"}, "success": {"eq": False}},
                  {"and": [{"eventType": {"eq": "state_step"}}, {"stepIndex": {"eq": 0}}]}],
           "not": [{"model": {"eq": "gpt-realtime"}}]}
    rows = rpc.data(EVENTS, fields=["id"], filter=flt)

    def pred(r):
        left = (r["eventType"] == "tool_result" and r["success"] is False) or (
            r["eventType"] == "state_step" and r["stepIndex"] == 0)
        return left and r["model"] != "gpt-realtime"

    expected = sorted(r["id"] for r in all_rows if pred(r))
    assert sorted(ids(rows)) == expected and expected


def test_unknown_filter_field_and_operator(rpc):
    err = rpc.error(EVENTS, fields=["id"], filter={"nope": {"eq": 1}})
    assert err["type"] == "unknown_field" and err["vars"] == {"field": "nope"}
    err = rpc.error(EVENTS, fields=["id"], filter={"model": {"like": "gpt%"}})
    assert err["type"] == "invalid_query" and err["vars"] == {"operator": "like"}


def _order(rows, field, desc, nulls_first):
    nulls = [r for r in rows if r[field] is None]
    vals = sorted((r for r in rows if r[field] is not None),
                  key=lambda r: r[field], reverse=desc)
    return nulls + vals if nulls_first else vals + nulls


@pytest.mark.parametrize(("prefix", "desc", "nulls_first"), [
    ("", False, False), ("+", False, False), ("-", True, True), ("++", False, True),
    ("--", True, False)])
def test_sort_prefixes_and_null_placement(rpc, prefix, desc, nulls_first):
    rows = rpc.data(EVENTS, fields=["id", "inputTokens"], sort=f"{prefix}inputTokens",
                    page={"limit": 250, "offset": 0})["results"]
    full = rpc.data(EVENTS, fields=["id", "inputTokens"], sort=f"{prefix}inputTokens,id")
    values = [r["inputTokens"] for r in full]
    assert values == [r["inputTokens"] for r in _order(full, "inputTokens", desc, nulls_first)]
    assert rows == full[:250]


def test_invalid_sort_field(rpc):
    assert rpc.error(EVENTS, fields=["id"], sort="-bogus")["type"] == "unknown_field"


@pytest.mark.parametrize("sort", ["occurredAt", "-occurredAt", "eventType,-occurredAt", None])
def test_offset_walk_equals_ground_truth(rpc, sort):
    fields = api_fields("CallAiAuditEvent")
    seen, offset = [], 0
    while True:
        data = rpc.data(EVENTS, fields=fields, sort=sort, page={"limit": 97, "offset": offset})
        assert data["type"] == "offset" and len(data["results"]) <= 97
        seen += data["results"]
        offset += 97
        if not data["hasMore"]:
            break
    assert len(ids(seen)) == len(set(ids(seen)))
    assert sorted(seen, key=lambda r: r["id"]) == truth(rpc)


@pytest.mark.parametrize("sort", ["occurredAt,id", "-occurredAt", "--inputTokens", "model"])
def test_keyset_walk_equals_ground_truth(make_rpc, sort):
    rpc = make_rpc(default_page_type="keyset")
    fields = api_fields("CallAiAuditEvent")
    seen, page = [], {"limit": 113}
    while True:
        data = rpc.data(EVENTS, fields=fields, sort=sort, page=page)
        assert data["type"] == "keyset"
        assert set(data) == {"results", "hasMore", "limit", "after", "before", "count",
                             "previousPage", "nextPage", "type"}
        seen += data["results"]
        if not data["hasMore"]:
            break
        page = {"limit": 113, "after": data["nextPage"]}
    assert len(set(ids(seen))) == len(seen)
    assert sorted(seen, key=lambda r: r["id"]) == truth(rpc)
    # walking back with `before` from the last page's first record gives the previous page
    back = rpc.data(EVENTS, fields=fields, sort=sort,
                    page={"limit": 113, "before": data["previousPage"]})
    n = len(data["results"])
    assert back["results"] == seen[-n - 113:-n]


def test_keyset_cursor_is_tied_to_the_sort(make_rpc):
    rpc = make_rpc(default_page_type="keyset")
    cursor = rpc.data(EVENTS, fields=["id"], sort="occurredAt", page={"limit": 10})["nextPage"]
    ok = rpc.data(EVENTS, fields=["id"], sort="occurredAt", page={"limit": 10, "after": cursor})
    assert ok["results"] and ok["after"] == cursor
    err = rpc.error(EVENTS, fields=["id"], sort="-occurredAt",
                    page={"limit": 10, "after": cursor})
    assert err["type"] == "invalid_keyset"
    assert rpc.error(EVENTS, fields=["id"], page={"limit": 5, "after": "garbage!"}
                     )["type"] == "invalid_keyset"


def test_empty_keyset_page_has_null_cursors(make_rpc):
    rpc = make_rpc(default_page_type="keyset")
    data = rpc.data(EVENTS, fields=["id"], filter={"inputTokens": {"lessThan": -1}},
                    page={"limit": 10, "count": True})
    assert data["results"] == [] and data["hasMore"] is False and data["count"] == 0
    assert data["previousPage"] is None and data["nextPage"] is None


def test_default_page_type(rpc, make_rpc):
    assert rpc.data(EVENTS, fields=["id"], page={"limit": 3})["type"] == "offset"
    keyset = make_rpc(default_page_type="keyset")
    assert keyset.data(EVENTS, fields=["id"], page={"limit": 3})["type"] == "keyset"
    assert keyset.data(EVENTS, fields=["id"], page={"limit": 3, "offset": 3})["type"] == "offset"


def test_count(rpc):
    flt = {"eventType": {"eq": "response"}}
    expected = sum(r["eventType"] == "response" for r in truth(rpc))
    data = rpc.data(EVENTS, fields=["id"], filter=flt, page={"limit": 5, "count": True})
    assert data["count"] == expected and len(data["results"]) == 5
    assert rpc.data(EVENTS, fields=["id"], page={"limit": 5})["count"] is None


def test_limit_over_max_returns_251_rows_and_no_more(rpc):
    total = len(truth(rpc))
    assert total > 600
    data = rpc.data(EVENTS, fields=["id"], page={"limit": 500, "offset": 0})
    assert len(data["results"]) == 251 and data["hasMore"] is False
    exact = rpc.data(EVENTS, fields=["id"], page={"limit": 250, "offset": 0})
    assert len(exact["results"]) == 250 and exact["hasMore"] is True


@pytest.mark.parametrize("page", [{"limit": 0}, {"limit": -3}, {"limit": "10"},
                                  {"limit": 2.5}, {"limit": 10, "offset": -1},
                                  {"offset": 0}, {"limit": 5, "offset": 0, "after": "x"},
                                  {"limit": 5, "bogus": 1}, "ten"])
def test_invalid_page(rpc, page):
    assert rpc.error(EVENTS, fields=["id"], page=page)["type"] == "invalid_page"


def test_page_less_read_returns_plain_array_of_all_matches(rpc):
    rows = rpc.data(EVENTS, fields=["id"])
    assert isinstance(rows, list) and len(rows) == len(truth(rpc)) > 250


def test_paginated_reads_break_ties_by_id(rpc):
    rows = rpc.data(EVENTS, fields=["id", "eventType"], sort="eventType",
                    page={"limit": 250, "offset": 0})["results"]
    assert rows == sorted(rows, key=lambda r: (r["eventType"], r["id"]))
