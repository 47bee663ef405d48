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
    dated = [r for r in flagged if r["usage_date"] is not None]
    assert {UNPRICED_MODEL, None} <= {r["model"] for r in dated}
    assert all(r["cost_usd"] is None and r["unpriced_events"] > 0 for r in flagged)
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
    assert_table_matches(built, "operator_status_current", ["operator_status_id"], want)
    operators = {w["sip_user_id"] for w in want.values()}
    assert "sip-4" not in operators  # gone from the snapshot, still in the history
    assert None in operators  # a snapshot row whose sip_user_id is hidden is kept, on its own


def test_token_totals_reconcile_when_time_model_and_agent_are_hidden(
    built: duckdb.DuckDBPyConnection,
) -> None:
    hidden = built.execute(
        "SELECT count(*) FILTER (WHERE occurred_at IS NULL), count(*) FILTER (WHERE model IS NULL),"
        " count(*) FILTER (WHERE agent_id IS NULL), count(*) FILTER (WHERE event_type IS NULL)"
        " FROM sippet.call_ai_audit_events WHERE input_tokens > 0"
    ).fetchone()
    assert hidden is not None and all(n > 0 for n in hidden), hidden  # the case is exercised
    sums = ", ".join(f"sum({c})" for c in expected.TOKEN_COLUMNS)
    raw = built.execute(f"SELECT {sums} FROM sippet.call_ai_audit_events").fetchall()
    for table in ("ai_response_costs", "token_usage_daily"):
        assert built.execute(f"SELECT {sums} FROM analytics.{table}").fetchall() == raw, table
    zero_sums = ", ".join(f"coalesce(sum({c}), 0)" for c in expected.TOKEN_COLUMNS)
    undated = built.execute(
        f"SELECT {zero_sums} FROM sippet.call_ai_audit_events WHERE occurred_at IS NULL"
    ).fetchall()
    no_date_row = built.execute(
        f"SELECT {sums}, bool_or(is_priced) FROM analytics.token_usage_daily "
        "WHERE usage_date IS NULL"
    ).fetchall()
    assert no_date_row[0][:-1] == undated[0] and no_date_row[0][-1] is False


def test_hidden_status_is_no_outcome_and_no_call_is_dropped(
    built: duckdb.DuckDBPyConnection,
) -> None:
    calls, unknown = built.execute(
        "SELECT sum(calls), sum(unknown_status_calls) FROM analytics.calls_daily"
    ).fetchone() or (0, 0)
    assert calls == built.execute("SELECT count(*) FROM sippet.calls").fetchone()[0]  # type: ignore[index]
    hidden = query_rows(built, "SELECT * FROM analytics.call_facts WHERE status IS NULL")
    assert unknown == len(hidden) > 0 and not any(r["is_final"] for r in hidden)
    assert built.execute(
        "SELECT count(*) FROM analytics.calls_daily WHERE call_date IS NULL"
    ).fetchone() != (0,)
