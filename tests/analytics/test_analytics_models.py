"""Each model's numbers equal aggregates computed independently in Python from the raw rows."""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pytest

from tests.analytics import expected
from tests.analytics.raw_dataset import TOKEN_TOTALS, UNPRICED_MODEL, RawDataset, query_rows


@pytest.fixture(scope="module")
def prices() -> expected.Prices:
    return expected.read_prices()


def test_token_usage_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected.token_usage_daily(dataset, prices)
    got = {
        (r["usage_date"], r["model"], r["agent_id"]): r
        for r in query_rows(built, "SELECT * FROM analytics.token_usage_daily")
    }
    assert got.keys() == want.keys()
    for key, w in want.items():
        g = got[key]
        for column in [*expected.TOKEN_COLUMNS, "events", "calls", "is_priced", "cost_usd"]:
            assert g[column] == w[column], (key, column)
        assert g["cache_hit_ratio"] == pytest.approx(w["cache_hit_ratio"], rel=1e-12)


def test_token_totals_reconcile_exactly_with_raw_table(built: duckdb.DuckDBPyConnection) -> None:
    sums = ", ".join(f"sum({c})" for c in TOKEN_TOTALS)
    raw = built.execute(f"SELECT {sums} FROM sippet.call_ai_audit_events").fetchall()
    model = built.execute(f"SELECT {sums} FROM analytics.token_usage_daily").fetchall()
    assert raw == model
    assert raw[0][0] > 0


def test_unknown_models_are_unpriced_and_flagged(built: duckdb.DuckDBPyConnection) -> None:
    flagged = query_rows(built, "SELECT * FROM analytics.token_usage_daily WHERE NOT is_priced")
    assert flagged, "the dataset has events of an unpriced model"
    assert {r["model"] for r in flagged} <= {UNPRICED_MODEL, None}
    assert all(r["cost_usd"] is None for r in flagged)
    priced = query_rows(built, "SELECT * FROM analytics.token_usage_daily WHERE is_priced")
    assert all(r["cost_usd"] > 0 for r in priced if r["total_tokens"] > 0)


def test_costs_per_model_and_day_use_seed_prices(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want: dict[tuple, Decimal] = {}
    for (day, model, _agent), rec in expected.token_usage_daily(dataset, prices).items():
        if rec["is_priced"]:
            want[(day, model)] = want.get((day, model), Decimal(0)) + rec["cost_usd"]
    got = built.execute(
        "SELECT usage_date, model, sum(cost_usd) FROM analytics.token_usage_daily "
        "WHERE is_priced GROUP BY ALL"
    ).fetchall()
    assert {(d, m): c for d, m, c in got} == want
    assert len({m for _d, m in want}) == 5  # every seeded model is exercised


def test_call_facts_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected.call_facts(dataset, prices)
    got = {r["call_id"]: r for r in query_rows(built, "SELECT * FROM analytics.call_facts")}
    assert got.keys() == want.keys()  # one row per call; the orphan call is not there
    for call_id, w in want.items():
        for column, value in w.items():
            assert got[call_id][column] == value, (call_id, column)
    assert sum(w["caller_words"] for w in want.values()) > 0
    assert sum(w["tool_failures"] for w in want.values()) > 0


def test_call_costs_add_up_to_daily_token_costs(built: duckdb.DuckDBPyConnection) -> None:
    per_call = built.execute(
        "SELECT sum(cost_usd) FROM analytics.ai_response_costs "
        "WHERE call_id IN (SELECT call_id FROM analytics.call_facts)"
    ).fetchall()
    assert per_call == built.execute("SELECT sum(cost_usd) FROM analytics.call_facts").fetchall()


def test_calls_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected.calls_daily(dataset, prices)
    got = {
        (r["call_date"], r["direction"]): r
        for r in query_rows(built, "SELECT * FROM analytics.calls_daily")
    }
    assert got.keys() == want.keys()
    for key, w in want.items():
        for column, value in w.items():
            if value is None or isinstance(value, int | Decimal):
                assert got[key][column] == value, (key, column)
            else:
                assert math.isclose(got[key][column], value, rel_tol=1e-12), (key, column)
    assert any(w["duration_p90_seconds"] is not None for w in want.values())


def test_tool_reliability_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected.tool_reliability(dataset)
    got = {r["tool_name"]: r for r in query_rows(built, "SELECT * FROM analytics.tool_reliability")}
    assert got.keys() == want.keys()
    for tool, w in want.items():
        for column, value in w.items():
            if isinstance(value, float):
                assert math.isclose(got[tool][column], value), (tool, column)
            else:
                assert got[tool][column] == value, (tool, column)


def test_operator_status_history_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected.operator_status_history(dataset)
    got = {
        r["event_id"]: r
        for r in query_rows(built, "SELECT * FROM analytics.operator_status_history")
    }
    assert got.keys() == want.keys()
    for event_id, w in want.items():
        for column, value in w.items():
            assert got[event_id][column] == value, (event_id, column)


def test_operator_status_current_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected.operator_status_current(dataset)
    got = {
        r["sip_user_id"]: r
        for r in query_rows(built, "SELECT * FROM analytics.operator_status_current")
    }
    assert got.keys() == want.keys()
    for sip_user, w in want.items():
        for column, value in w.items():
            assert got[sip_user][column] == value, (sip_user, column)
