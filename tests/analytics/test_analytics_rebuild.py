"""Rebuilds follow raw updates without double counting; price changes and overrides apply."""

from __future__ import annotations

import copy
import csv
import random
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.analytics import expected
from tests.analytics.compare import assert_all_models_match
from tests.analytics.raw_dataset import (
    DAY0,
    UNPRICED_MODEL,
    RawDataset,
    insert,
    query_rows,
    response_tokens,
)
from warehouse.analytics import ModelError, build_models

PRICE_HEADER = [
    "model",
    "valid_from",
    "input_per_mtok",
    "cached_input_per_mtok",
    "output_per_mtok",
    "audio_input_per_mtok",
    "audio_output_per_mtok",
]


def write_prices(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(PRICE_HEADER)
        writer.writerows(rows)
    return path


def test_rebuild_follows_a_call_completing_and_late_events(
    fresh: duckdb.DuckDBPyConnection, dataset: RawDataset
) -> None:
    build_models(fresh)
    ds = copy.deepcopy(dataset)
    call = next(c for c in ds.calls if c["status"] == "answered")
    call.update(status="completed", duration_seconds=321)
    call["ended_at"] = call["started_at"] + timedelta(seconds=321)
    fresh.execute(
        "UPDATE sippet.calls SET status = ?, ended_at = ?, duration_seconds = ? WHERE id = ?",
        [call["status"], call["ended_at"], call["duration_seconds"], call["id"]],
    )
    late_events = [
        {
            "id": f"{call['id']}-late-{n}",
            "event_type": "response",
            "model": "gpt-realtime",
            "agent_id": "agent-a",
            "occurred_at": call["ended_at"] - timedelta(seconds=n),
            "call_id": call["id"],
            "_synced_at": DAY0 + timedelta(days=5),
            **response_tokens(random.Random(n)),
        }
        for n in range(3)
    ]
    late_lines = [
        {
            "id": f"{call['id']}-late-line",
            "content": "thanks  bye now",
            "speaker": "caller",
            "occurred_at": call["ended_at"],
            "call_id": call["id"],
            "_synced_at": DAY0 + timedelta(days=5),
        }
    ]
    for table, rows in (("call_ai_audit_events", late_events), ("call_transcripts", late_lines)):
        insert(fresh, table, rows)
        getattr(ds, table).extend(rows)

    for _ in range(2):  # building twice must not double count anything
        build_models(fresh)
        assert_all_models_match(fresh, ds, expected.read_prices())
    facts = query_rows(fresh, f"SELECT * FROM analytics.call_facts WHERE call_id = '{call['id']}'")
    assert facts[0]["status"] == "completed" and facts[0]["is_final"]
    assert "gpt-realtime" in facts[0]["models_used"]


def test_a_later_price_changes_only_costs_from_that_date(
    fresh: duckdb.DuckDBPyConnection, dataset: RawDataset, tmp_path: Path
) -> None:
    build_models(fresh)
    before = cost_by_day_model(fresh)
    change_day = (DAY0 + timedelta(days=1)).date()
    user_csv = write_prices(
        tmp_path / "prices.csv",
        [
            ["gpt-realtime", change_day, 8, 0.8, 32, 64, 128],
            ["gpt-4.1-mini", change_day, 0.8, 0.2, 3.2, "", ""],
        ],
    )
    build_models(fresh, prices_csv=user_csv)
    after = cost_by_day_model(fresh)

    assert_all_models_match(fresh, dataset, expected.read_prices(user_csv))
    assert before.keys() == after.keys()
    for (day, model), cost in before.items():
        repriced = model in ("gpt-realtime", "gpt-4.1-mini") and day >= change_day
        if repriced:
            assert after[(day, model)] > cost, (day, model)
        else:
            assert after[(day, model)] == cost, (day, model)
    assert any(day >= change_day and m == "gpt-realtime" for day, m in before)
    validity = fresh.execute(
        "SELECT valid_from, valid_to FROM analytics.model_prices WHERE model = 'gpt-realtime' "
        "ORDER BY valid_from"
    ).fetchall()
    assert validity == [(date(2020, 1, 1), change_day), (change_day, None)]


def test_user_csv_from_env_overrides_seed_rows_and_adds_models(
    fresh: duckdb.DuckDBPyConnection,
    dataset: RawDataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_csv = write_prices(
        tmp_path / "mine.csv",
        [
            ["gpt-4.1-mini", "2020-01-01", 1, 0.5, 2, "", ""],
            [UNPRICED_MODEL, "2026-01-01", 1, "", 2, 3, 4],
        ],
    )
    monkeypatch.setenv("SIPPET_MODEL_PRICES_CSV", str(user_csv))
    build_models(fresh)

    prices = query_rows(fresh, "SELECT * FROM analytics.model_prices ORDER BY model")
    assert len(prices) == 6  # 5 seeded models, one replaced, plus one new
    mini = next(p for p in prices if p["model"] == "gpt-4.1-mini")
    assert (mini["input_per_mtok"], mini["output_per_mtok"]) == (1, 2)
    assert mini["source_file"] == str(user_csv.resolve())
    assert_all_models_match(fresh, dataset, expected.read_prices(user_csv))
    unpriced = fresh.execute(
        "SELECT DISTINCT model FROM analytics.token_usage_daily WHERE NOT is_priced"
    ).fetchall()
    # Now priced, the mystery model is only unpriced where a hidden total or date says so.
    assert (None,) in unpriced
    assert fresh.execute(
        "SELECT count(*) FROM analytics.ai_response_costs e JOIN sippet.call_ai_audit_events r "
        "ON r.id = e.event_id WHERE e.model = ? AND NOT e.is_priced AND e.usage_date IS NOT NULL "
        "AND r.input_tokens IS NOT NULL AND r.output_tokens IS NOT NULL",
        [UNPRICED_MODEL],
    ).fetchone() == (0,)


def test_missing_price_csv_fails_loudly(fresh: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="price CSV not found"):
        build_models(fresh, prices_csv=tmp_path / "nope.csv")


def cost_by_day_model(con: duckdb.DuckDBPyConnection) -> dict[tuple, object]:
    rows = con.execute(
        "SELECT usage_date, model, sum(cost_usd) FROM analytics.token_usage_daily "
        "WHERE is_priced GROUP BY ALL"
    ).fetchall()
    return {(d, m): c for d, m, c in rows}
