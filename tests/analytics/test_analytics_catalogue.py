"""Model discovery, dependency order, partial builds and the column documentation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.analytics import (
    MODELS_DIR,
    ModelError,
    build_models,
    catalogue_markdown,
    list_models,
)

DOCS = Path(__file__).parents[2] / "docs" / "analytics.md"
EXPECTED_MODELS = {
    "model_prices",
    "ai_response_costs",
    "token_usage_daily",
    "call_facts",
    "calls_daily",
    "tool_reliability",
    "operator_status_current",
    "operator_status_history",
    "agent_current",
    "agent_costs_daily",
    "queue_daily",
    "operator_status_durations",
    "conversation_facts",
    "wallet_balance_history",
    "wallet_vs_ai_cost_daily",
    "cost_anomalies",
}


def test_models_are_discovered_with_dependencies_first() -> None:
    models = list_models()
    assert {m.name for m in models} == EXPECTED_MODELS
    assert all(m.path.parent == MODELS_DIR for m in models)
    position = {m.name: i for i, m in enumerate(models)}
    for model in models:
        for dep in model.depends_on:
            schema, _, table = dep.partition(".")
            assert schema in ("analytics", "sippet")
            if schema == "analytics":
                assert position[table] < position[model.name]
    deps = {m.name: m.depends_on for m in models}
    assert deps["calls_daily"] == ("analytics.call_facts",)
    assert "analytics.model_prices" in deps["ai_response_costs"]
    assert "sippet.calls" in deps["call_facts"]


def test_build_only_the_named_models(fresh: duckdb.DuckDBPyConnection) -> None:
    built = build_models(fresh, names=["model_prices", "tool_reliability"])
    assert [b.name for b in built] == ["model_prices", "tool_reliability"]
    assert built[0].rows == 5 and built[1].rows > 0 and built[1].seconds >= 0
    with pytest.raises(ModelError, match="unknown models"):
        build_models(fresh, names=["nope"])


def test_every_table_and_column_is_commented(built: duckdb.DuckDBPyConnection) -> None:
    tables = built.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'analytics'"
    ).fetchall()
    assert {t for t, _ in tables} == EXPECTED_MODELS
    assert all(comment and "Grain:" in comment for _, comment in tables)
    uncommented = built.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'analytics' AND coalesce(comment, '') = ''"
    ).fetchall()
    assert uncommented == []


def test_docs_catalogue_is_generated_from_the_sql_headers() -> None:
    text = DOCS.read_text()
    assert catalogue_markdown() in text, "regenerate the catalogue: see docs/analytics.md"
    for model in list_models():
        assert f"`analytics.{model.name}`" in text
        for column in model.columns:
            assert f"| `{column}` |" in text, (model.name, column)
