"""Fixtures: a temp DuckDB warehouse loaded with the deterministic raw dataset, models built."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.analytics.raw_dataset import RawDataset, load, make_dataset
from warehouse.analytics import build_models


@pytest.fixture(scope="session")
def dataset() -> RawDataset:
    return make_dataset()


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, dataset: RawDataset
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-mostly warehouse built once for the comparison tests (do not mutate)."""
    path = tmp_path_factory.mktemp("analytics") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    # A non-UTC session time zone: every model must still bucket days in UTC.
    con.execute("SET TimeZone = 'America/Los_Angeles'")
    load(con, dataset)
    build_models(con, prices_csv=[])
    yield con
    con.close()


@pytest.fixture
def fresh(
    tmp_path: Path, dataset: RawDataset, monkeypatch: pytest.MonkeyPatch
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private warehouse (raw tables loaded, models not built) that a test may change."""
    monkeypatch.delenv("SIPPET_MODEL_PRICES_CSV", raising=False)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    load(con, dataset)
    yield con
    con.close()
