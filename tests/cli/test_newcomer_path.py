"""A newcomer's first hour, verbatim: demo, then every command the demo suggests, then the
notebook on the demo warehouse (the suggested `jupyter lab` is interactive: the notebook is
run headless with nbclient instead, which is what `jupyter` would execute)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest

from tests.analytics.test_analytics_notebook import FIGURES
from tests.cli.helpers import bare_env
from tests.conftest import ROOT, SIPPET_SYNC
from warehouse.analytics import list_models

BIN = str(Path(sys.executable).parent)


def _suggested(report: str) -> dict[str, str]:
    """`  Label : command` lines after 'Query the demo warehouse'."""
    tail = report.split("Query the demo warehouse", 1)[1].splitlines()[1:]
    return {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
            for line in tail if " : " in line}


def _run_verbatim(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The commands name .venv/bin/ as the README installs it; the suite may run elsewhere.
    return subprocess.run(["bash", "-c", command.replace(".venv/bin/", f"{BIN}/")], env=env,
                           cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, str]:
    warehouse = str(tmp_path_factory.mktemp("newcomer") / "demo.duckdb")
    result = subprocess.run([SIPPET_SYNC, "demo", "--scale", "tiny", "--warehouse", warehouse],
                            env=bare_env(), cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    return result, warehouse


def test_demo_runs_clean(demo_run):
    result, _ = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    # Only progress lines may reach stderr (one per 5 s, so usually none): no stray
    # "calls: 1 pages, 0 rows" line at the start, no warning, no traceback.
    for line in result.stderr.splitlines():
        assert re.match(r"^[a-z_]+: [\d,]+ pages, [\d,]+ rows", line), result.stderr
        assert " 0 rows" not in line, line
    assert ".0000" not in result.stdout  # numbers formatted for people
    assert "duckdb -readonly" not in result.stdout  # the duckdb shell is not installed


def test_demo_reports_cost_by_agent_name(demo_run):
    result, warehouse = demo_run
    report = result.stdout.split("Estimated cost by AI agent", 1)[1].split("\n\n", 1)[0]
    con = duckdb.connect(warehouse, read_only=True)
    try:
        names = {row[0] for row in con.execute(
            "SELECT name FROM sippet.ai_agents WHERE name IS NOT NULL").fetchall()}
    finally:
        con.close()
    shown = [name for name in names if name in report]
    assert shown, report  # the agents appear by name, not as bare ids


def test_every_command_the_demo_suggests_works_verbatim(demo_run):
    result, warehouse = demo_run
    suggested = _suggested(result.stdout)
    assert {"Status", "Rebuild", "Python", "Notebook"} <= set(suggested), suggested
    status = _run_verbatim(suggested["Status"], bare_env())
    assert status.returncode == 0, status.stderr
    assert "operator_statuses" in status.stdout
    rebuild = _run_verbatim(suggested["Rebuild"], bare_env())
    assert rebuild.returncode == 0, rebuild.stderr
    assert rebuild.stdout.startswith(f"built {len(list_models())} analytics models in ")
    python = _run_verbatim(suggested["Python"], bare_env())
    assert python.returncode == 0, python.stderr
    assert "usage_date" in python.stdout
    assert f"--warehouse {warehouse}" in suggested["Status"]


def test_the_notebook_extra_the_demo_names_exists_and_the_notebook_runs(demo_run, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    result, warehouse = demo_run
    notebook_line = _suggested(result.stdout)["Notebook"]
    assert "pip install -e '.[notebook]'" in notebook_line
    assert f"SIPPET_WAREHOUSE={warehouse}" in notebook_line
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["notebook"]
    assert {e.split("==")[0] for e in extras} >= {"jupyterlab", "nbconvert", "ipykernel"}
    assert "pip install -e '.[notebook]'" in (ROOT / "README.md").read_text()

    notebook = nbformat.read(ROOT / "notebooks" / "sippet_analytics.ipynb", as_version=4)
    env_patch = pytest.MonkeyPatch()
    # As Jupyter opens it: kernel in notebooks/, the warehouse relative to the project root
    # (the way the demo prints data/demo.duckdb).
    env_patch.setenv("SIPPET_WAREHOUSE", os.path.relpath(warehouse, ROOT))
    env_patch.setenv("SIPPET_FIGURES_DIR", str(tmp_path / "figures"))
    try:
        NotebookClient(notebook, kernel_name="python3", timeout=180,
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        env_patch.undo()
    assert sorted(p.stem for p in (tmp_path / "figures").glob("*.png")) == sorted(FIGURES)


def test_readme_snapshot_command_works_on_the_demo_warehouse(demo_run, tmp_path):
    _, warehouse = demo_run
    readme = (ROOT / "README.md").read_text()
    start = readme.index('`.venv/bin/python -c "import duckdb;')
    command = readme[start + 1: readme.index('"`', start) + 1].replace("\n  ", " ")
    command = command.replace("data/warehouse.duckdb", warehouse).replace(
        "data/snapshot", str(tmp_path / "snapshot"))
    done = _run_verbatim(command, bare_env())
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "snapshot" / "schema.sql").is_file()
