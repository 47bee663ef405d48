"""The issue-15 marts equal figures computed independently in Python from the raw rows."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.analytics import expected, expected_marts
from tests.analytics.compare import assert_table_matches
from tests.analytics.raw_dataset import RawDataset, load, query_rows
from tests.analytics.raw_dimensions import anomaly_dataset
from warehouse.analytics import build_models


@pytest.fixture(scope="module")
def prices() -> expected.Prices:
    return expected.read_prices()


def test_agent_costs_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected_marts.agent_costs_daily(dataset, prices)
    assert_table_matches(built, "agent_costs_daily", ["usage_date", "agent_id"], want)
    names = {(w["agent_name"], agent) for (_day, agent), w in want.items()}
    # agent-a was renamed: one agent under its current name; agent-b is unknown to the snapshot.
    assert ("Front desk", "agent-a") in names and ("Reception", "agent-a") not in names
    assert (None, "agent-b") in names and (None, None) in names
    assert any(w["cost_per_call_minute_usd"] for w in want.values())


def test_agent_costs_reconcile_with_token_usage(built: duckdb.DuckDBPyConnection) -> None:
    sums = "sum(total_tokens), sum(input_cached_tokens)"
    assert (
        built.execute(f"SELECT {sums} FROM analytics.agent_costs_daily").fetchall()
        == built.execute(f"SELECT {sums} FROM analytics.token_usage_daily").fetchall()
    )


def test_queue_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected_marts.queue_daily(dataset)
    assert_table_matches(built, "queue_daily", ["queue_date", "queue_name"], want)
    assert sum(w["short_abandons"] for w in want.values()) > 0
    assert sum(w["abandoned"] for w in want.values()) > 0
    assert {None} < {k[1] for k in want} and {None} < {k[0] for k in want}


def test_queue_service_level_threshold_is_a_setting(
    fresh: duckdb.DuckDBPyConnection, dataset: RawDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIPPET_SERVICE_LEVEL_SECONDS", "60")
    build_models(fresh, names=["queue_daily"])
    want = expected_marts.queue_daily(dataset, threshold=60)
    assert_table_matches(fresh, "queue_daily", ["queue_date", "queue_name"], want)
    build_models(fresh, names=["queue_daily"], service_level_seconds=4)
    rows = query_rows(fresh, "SELECT DISTINCT service_level_threshold_seconds AS t FROM "
                      "analytics.queue_daily")
    assert rows == [{"t": 4}]
    assert_table_matches(fresh, "queue_daily", ["queue_date", "queue_name"],
                         expected_marts.queue_daily(dataset, threshold=4))


def test_operator_status_durations_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected_marts.operator_status_durations(dataset)
    assert_table_matches(built, "operator_status_durations",
                         ["status_date", "sip_user_id", "status"], want)
    # sip-9 is seen across midnight: its time is split over two UTC days; the others' last
    # status lasts to the last sync two days later, so it is split over three.
    assert len({day for day, op, _s in want if op == "sip-9"}) == 2
    assert len({day for day, op, _s in want if op == "sip-0"}) == 3
    assert any(status is None for _d, _o, status in want)  # a hidden status is kept as NULL


def test_conversation_facts_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected_marts.conversation_facts(dataset, prices)
    assert_table_matches(built, "conversation_facts", ["conversation_id"], want)
    assert sum(w["linked_calls"] for w in want.values()) > 10
    assert sum(w["ai_cost_usd"] for w in want.values()) > 0
    assert any(w["channel"] == "chat" and w["linked_calls"] == 0 for w in want.values())
    assert any(w["ai_agent_id"] is None for w in want.values())


def test_wallet_balance_history_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    want = expected_marts.wallet_balance_history(dataset)
    assert_table_matches(built, "wallet_balance_history", ["snapshot_id"], want)
    changes = [w["balance_change_usd"] for w in want.values()]
    assert None in changes and any(c > 0 for c in changes if c is not None)  # hidden; top-up


def test_wallet_vs_ai_cost_daily_matches_python(
    built: duckdb.DuckDBPyConnection, dataset: RawDataset, prices: expected.Prices
) -> None:
    want = expected_marts.wallet_vs_ai_cost_daily(dataset, prices)
    assert_table_matches(built, "wallet_vs_ai_cost_daily", ["day"], want)
    assert any(w["ai_share_of_wallet_spend"] for w in want.values())


def test_cost_anomalies_match_python_on_three_weeks(
    tmp_path: Path, prices: expected.Prices
) -> None:
    ds = anomaly_dataset()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(con, ds)
    build_models(con, prices_csv=[])
    want = expected_marts.cost_anomalies(ds, prices)
    got = {
        (r["dimension"], r["dimension_key"], r["day"]): r
        for r in query_rows(con, "SELECT * FROM analytics.cost_anomalies")
    }
    assert got.keys() == want.keys()
    for key, columns in want.items():
        for column, value in columns.items():
            actual = got[key][column]
            if isinstance(value, float):
                assert math.isclose(float(actual), value, rel_tol=1e-9, abs_tol=1e-12), key
            else:
                assert actual == value, (key, column, actual, value)
    flagged = sorted((d, k, day.day) for d, k, day in want if want[(d, k, day)]["is_anomaly"])
    # 18 March: agent-a's 10x spike; 13 March: agent-q's flat baseline broken; 16-17 March:
    # agent-q falls silent (a drop departs from the baseline as much as a spike).
    assert flagged == [
        ("agent", "agent-a", 18),
        ("agent", "agent-q", 13),
        ("agent", "agent-q", 16),
        ("agent", "agent-q", 17),
        ("model", "gpt-4.1-mini", 18),
        ("model", "gpt-realtime", 13),
        ("model", "gpt-realtime", 16),
        ("model", "gpt-realtime", 17),
    ]
    assert got[("agent", "agent-a", date(2026, 3, 18))]["dimension_name"] == "Front desk"
    con.close()
