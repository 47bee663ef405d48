"""Each model's numbers equal aggregates computed independently in Python from the raw rows."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from tests.analytics import expected
from tests.analytics.compare import assert_table_matches
from tests.analytics.raw_dataset import TOKEN_TOTALS, UNPRICED_MODEL, RawDataset, query_rows


@pytest.fixture(scope="module")
def prices() -> expected.Prices:
    return expected.read_prices()


def test_token_usage_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected.token_usage_daily(dataset, prices)
    assert_table_matches(built, "token_usage_daily", ["usage_date", "model", "agent_id"], want)
    assert len(want) > 10


def test_token_totals_reconcile_exactly_with_raw_table(built: duckdb.DuckDBPyConnection) -> None:
    sums = ", ".join(f"sum({c})" for c in TOKEN_TOTALS)
    raw = built.execute(f"SELECT {sums} FROM sippet.call_ai_audit_events").fetchall()
    model = built.execute(f"SELECT {sums} FROM analytics.token_usage_daily").fetchall()
    assert raw == model
    assert raw[0][0] > 0


def test_unknown_models_are_unpriced_and_flagged(built: duckdb.DuckDBPyConnection) -> None:
    flagged = query_rows(built, "SELECT * FROM analytics.token_usage_daily WHERE NOT is_priced")
    assert flagged, "the dataset has events of an unpriced model"
    assert {r["model"] for r in flagged} == {UNPRICED_MODEL, None}
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
    assert_table_matches(built, "call_facts", ["call_id"], want)  # the orphan call is absent
    assert sum(w["caller_words"] for w in want.values()) > 0
    assert sum(w["tool_failures"] for w in want.values()) > 0


def test_call_costs_add_up_to_event_costs(built: duckdb.DuckDBPyConnection) -> None:
    per_event = built.execute(
        "SELECT sum(cost_usd) FROM analytics.ai_response_costs "
        "WHERE call_id IN (SELECT call_id FROM analytics.call_facts)"
    ).fetchall()
    assert per_event == built.execute("SELECT sum(cost_usd) FROM analytics.call_facts").fetchall()


def test_calls_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected.calls_daily(dataset, prices)
    assert_table_matches(built, "calls_daily", ["call_date", "direction"], want)
    assert any(w["duration_p90_seconds"] is not None for w in want.values())


def test_tool_reliability_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected.tool_reliability(dataset)
    assert_table_matches(built, "tool_reliability", ["tool_name"], want)
    assert any(len(w["top_errors"]) == 3 for w in want.values())


def test_operator_status_history_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected.operator_status_history(dataset)
    assert_table_matches(built, "operator_status_history", ["event_id"], want)


def test_operator_status_current_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected.operator_status_current(dataset)
    assert_table_matches(built, "operator_status_current", ["sip_user_id"], want)
    assert "sip-4" not in want  # gone from the snapshot, still in the history
