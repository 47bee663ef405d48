"""Fixtures for the Dagster layer tests: a simulator near the wall clock, a DAGSTER_HOME."""

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import build_definitions
from assets.resources import SippetResource, WarehouseResource
from pipelines.simulator import SimulatorConfig, serve
from tests.dagster.dagster_harness import make_dagster_home


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    """A fresh DAGSTER_HOME holding a copy of the repo's dagster.yaml."""
    return make_dagster_home(tmp_path / "dagster_home")


@pytest.fixture(scope="session")
def sim_now() -> Iterator:
    """A simulator whose history ends at the current hour, so 'the last 3 complete days' of
    the reconciliation checks (which use the wall clock) hold data."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with serve(SimulatorConfig(scale="tiny", days=4, start=start)) as server:
        yield server


def dagster_defs(server, target: str) -> dg.Definitions:
    """The real definitions with resources pointed at `server` and `target`; the API key
    still comes from SIPPET_API_KEY through dg.EnvVar, as in production."""
    return build_definitions(
        sippet=SippetResource(base_url=server.url, api_key=dg.EnvVar("SIPPET_API_KEY")),
        warehouse=WarehouseResource(target=target),
    )


@pytest.fixture(scope="session")
def golden(sim_now, tmp_path_factory) -> Iterator[dict]:
    """Every asset and check materialized once in-process through a real DagsterInstance."""
    root = tmp_path_factory.mktemp("golden")
    target = str(root / "warehouse.duckdb")
    mp = pytest.MonkeyPatch()
    mp.setenv("SIPPET_API_KEY", sim_now.api_key)
    home = make_dagster_home(root / "dagster_home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        defs = dagster_defs(sim_now, target)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False
        )
        events = [str(e) for e in instance.all_logs(result.run_id)]
        yield {"target": target, "result": result, "events": events, "defs": defs}
    mp.undo()


def copy_warehouse(source: str, dest_dir: Path) -> str:
    """A private copy of a warehouse file (and its WAL, if any) to break on purpose."""
    dest = dest_dir / Path(source).name
    shutil.copy(source, dest)
    if Path(source + ".wal").exists():
        shutil.copy(source + ".wal", str(dest) + ".wal")
    return str(dest)
