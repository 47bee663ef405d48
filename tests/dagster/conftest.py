"""Fixtures for the Dagster layer tests."""

from pathlib import Path

import pytest

from tests.dagster.dagster_harness import make_dagster_home


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    """A fresh DAGSTER_HOME holding a copy of the repo's dagster.yaml."""
    return make_dagster_home(tmp_path / "dagster_home")
