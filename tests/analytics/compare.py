"""Comparing a model table with the rows expected from Python."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import duckdb

from tests.analytics import expected
from tests.analytics.raw_dataset import RawDataset, query_rows


def assert_table_matches(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: Sequence[str],
    want: dict[Any, dict[str, Any]],
) -> None:
    """Same keys; every expected column equal (exactly, or within 1e-12 for floats)."""
    got = {}
    for row in query_rows(con, f"SELECT * FROM analytics.{table}"):
        got[row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)] = row
    assert got.keys() == want.keys(), table
    for k, columns in want.items():
        for column, value in columns.items():
            actual = got[k][column]
            if isinstance(value, float) and not isinstance(value, Decimal):
                assert actual is not None and math.isclose(actual, value, rel_tol=1e-12), (
                    table,
                    k,
                    column,
                    actual,
                    value,
                )
            else:
                assert actual == value, (table, k, column, actual, value)


def assert_all_models_match(
    con: duckdb.DuckDBPyConnection, ds: RawDataset, prices: expected.Prices
) -> None:
    """Every model equals its Python derivation from `ds` priced with `prices`."""
    day_model_agent = ("usage_date", "model", "agent_id")
    assert_table_matches(
        con, "token_usage_daily", day_model_agent, expected.token_usage_daily(ds, prices)
    )
    assert_table_matches(con, "call_facts", ["call_id"], expected.call_facts(ds, prices))
    assert_table_matches(
        con, "calls_daily", ["call_date", "direction"], expected.calls_daily(ds, prices)
    )
    assert_table_matches(con, "tool_reliability", ["tool_name"], expected.tool_reliability(ds))
    assert_table_matches(
        con, "operator_status_history", ["event_id"], expected.operator_status_history(ds)
    )
    assert_table_matches(
        con,
        "operator_status_current",
        ["operator_status_id"],
        expected.operator_status_current(ds),
    )
