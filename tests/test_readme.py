"""The README stays true to the code: its model catalogue and the commands CI runs."""

from __future__ import annotations

from pathlib import Path

from pipelines.streams import STREAMS
from warehouse.analytics import catalogue_markdown, list_models

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_catalogue_lists_every_model_with_its_columns():
    start, end = README.index("<!-- catalogue:start -->"), README.index("<!-- catalogue:end -->")
    catalogue = README[start:end]
    expected = catalogue_markdown().replace("### `", "#### `")
    assert expected in catalogue, "regenerate the README catalogue (catalogue_markdown)"
    for model in list_models():
        assert f"analytics.{model.name}" in catalogue


def test_readme_lists_every_raw_table():
    for spec in STREAMS.values():
        assert f"`{spec.table}`" in README


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in README
