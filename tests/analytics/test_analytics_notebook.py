"""The BI notebook runs headless against a freshly built warehouse and saves every figure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

from tests.analytics import expected
from tests.analytics.raw_dataset import load, make_dataset
from warehouse.analytics import build_models

ROOT = Path(__file__).parents[2]
NOTEBOOK = ROOT / "notebooks" / "sippet_analytics.ipynb"
FIGURES = [
    "cost_per_model_per_day",
    "tokens_by_modality",
    "calls_per_day",
    "tool_failure_rates",
    "operator_status_mix",
    "agent_costs",
    "monthly_spend",
    "cache_savings",
    "queue_service_level",
    "operator_status_over_time",
]
# The dataset's last day with priced AI cost: under way on this "today", so marked partial.
TODAY = "2026-03-03"


@pytest.mark.slow
def test_notebook_runs_and_saves_every_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "demo.duckdb"
    con = duckdb.connect(str(warehouse))
    load(con, make_dataset())
    build_models(con, prices_csv=[])
    con.close()
    figures = tmp_path / "figures"
    monkeypatch.setenv("SIPPET_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SIPPET_FIGURES_DIR", str(figures))
    monkeypatch.setenv("SIPPET_TODAY", TODAY)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=180,
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()

    for name in FIGURES:
        png = figures / f"{name}.png"
        assert png.is_file(), name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000, name
    text = _printed(notebook)
    assert "days: 01 Mar, 02 Mar, 03 Mar (partial)" in text  # the partly elapsed day is marked
    assert _month_summary(warehouse) in text
    # The notebook closed its read-only connection: the file is writable again.
    duckdb.connect(str(warehouse)).close()


def _printed(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            # A printed line may arrive as several stream chunks: join them as they came.
            parts.append(output.get("text", ""))
            plain = output.get("data", {}).get("text/plain", "")
            parts.append(f"{plain}\n" if plain else "")
    return "".join(parts)


def _month_summary(warehouse: Path) -> str:
    """The month-to-date line, its figures computed here from the priced events."""
    prices = expected.read_prices()
    costs = [
        expected.event_cost(e, prices)
        for e in expected.token_events(make_dataset())
        if (day := expected.utc_day(e)) is not None and day <= date(2026, 3, 3)
    ]
    to_date = float(sum(c for c in costs if c is not None))
    projected = to_date / 3 * 31
    return (
        f"March 2026 to date (through {TODAY}, partial day): ${to_date:,.2f}; "
        f"projected for the month: ${projected:,.2f}; previous period (2026-02-01 to "
        "2026-02-03): $0.00; change: n/a (no spend in the previous period)"
    )
