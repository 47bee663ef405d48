"""The BI notebook runs headless against a freshly built warehouse and saves every figure."""

from __future__ import annotations

from pathlib import Path

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

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
]


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
    # The notebook closed its read-only connection: the file is writable again.
    duckdb.connect(str(warehouse)).close()
