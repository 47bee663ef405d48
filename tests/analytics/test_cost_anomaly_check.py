"""The cost anomaly asset check warns on the latest day's anomalies, and passes without any."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from assets.cost_anomaly_check import cost_anomaly_check
from assets.resources import WarehouseResource
from tests.analytics.raw_dataset import load
from tests.analytics.raw_dimensions import anomaly_dataset
from warehouse.analytics import build_models


def _warehouse(tmp_path: Path, days: int) -> WarehouseResource:
    ds = anomaly_dataset()
    ds.call_ai_audit_events = [
        e for e in ds.call_ai_audit_events if (e["occurred_at"].day - 1) < days
    ]
    target = str(tmp_path / "w.duckdb")
    con = duckdb.connect(target)
    load(con, ds)
    build_models(con, prices_csv=[])
    con.close()
    return WarehouseResource(target=target)


def test_warns_on_the_latest_days_spike(tmp_path: Path) -> None:
    result = cost_anomaly_check(warehouse=_warehouse(tmp_path, days=18))  # up to the spike
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["anomalies"].value == 2  # agent-a and its model gpt-4.1-mini
    details = result.metadata["details"].value
    assert details.splitlines()[0].startswith("agent Front desk: $4.59 on 2026-03-18 vs median")


def test_passes_when_the_latest_day_is_ordinary(tmp_path: Path) -> None:
    result = cost_anomaly_check(warehouse=_warehouse(tmp_path, days=21))
    assert result.passed is True and result.metadata["anomalies"].value == 0
