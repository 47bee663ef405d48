"""Shared fixtures: a real simulator on a loopback port and a fresh DuckDB file per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines.settings import SippetSettings
from pipelines.simulator import SimulatorConfig, serve
from pipelines.sync import sync

ROOT = Path(__file__).resolve().parents[1]
SIPPET_SYNC = str(Path(sys.executable).parent / "sippet-sync")


@pytest.fixture(autouse=True)
def _no_sippet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure settings explicitly; a developer's SIPPET_* env must not leak in."""
    for name in list(os.environ):
        if name.startswith("SIPPET_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)


#: Simulator options that hide 5% of every field's values (the reference: "a field hidden by
#: policy comes back null"); seed 16 hides at least 2% of each field even at tiny scale.
POLICY_NULLS: dict[str, object] = {"policy_null": 0.05, "seed": 16}


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., object]]:
    """Start simulators (explicit clock, tiny scale unless told); all stopped at the end."""
    stack = []

    def start(**overrides: object):
        config = SimulatorConfig(**{"scale": "tiny", "days": 3, **overrides})
        context = serve(config)
        server = context.__enter__()
        stack.append(context)
        return server

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def sim(sim_factory):
    return sim_factory()


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse.duckdb")


@pytest.fixture(scope="session")
def synced_template(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A warehouse fully synced once per simulator configuration, then only ever copied.

    The simulator is deterministic (seeded, explicit clock), so a fresh simulator with the same
    options serves exactly the data this template holds: a copy stands for "synced it first"
    and saves the tests that start from a synced warehouse one full sync each.
    """
    made: dict[str, Path] = {}

    def template(**sim_options: object) -> Path:
        key = json.dumps(sorted(sim_options.items()), default=str)
        if key not in made:
            path = tmp_path_factory.mktemp("synced") / "warehouse.duckdb"
            config = SimulatorConfig(**{"scale": "tiny", "days": 3, **sim_options})
            with serve(config) as server:
                results = sync(settings_for(server, str(path)))
            assert all(r.ok for r in results), [r.error for r in results]
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def synced_copy(synced_template: Callable[..., Path]) -> Callable[..., None]:
    """`synced_copy(warehouse, **sim_options)`: put a copy of the synced template at
    `warehouse` (the test's simulator must use the same `sim_options`)."""

    def copy(warehouse: str, **sim_options: object) -> None:
        template = synced_template(**sim_options)
        for suffix in ("", ".wal"):  # the template is closed: normally no WAL is left
            source = Path(f"{template}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{warehouse}{suffix}")

    return copy


def settings_for(server, warehouse: str, **overrides: object) -> SippetSettings:
    """Settings pointing at a simulator: fast retries so fault tests stay quick."""
    values = {
        "base_url": server.url,
        "api_key": server.api_key,
        "warehouse": warehouse,
        "read_timeout": 5.0,
        "retry_budget_seconds": 30.0,
        "max_attempts": 8,
        **overrides,
    }
    return SippetSettings(**values)


def cli_env(server, warehouse: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPPET_")}
    env.update(SIPPET_BASE_URL=server.url, SIPPET_API_KEY=server.api_key,
               SIPPET_WAREHOUSE=warehouse, SIPPET_READ_TIMEOUT="5", **extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120
            ) -> subprocess.CompletedProcess:
    return subprocess.run([SIPPET_SYNC, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
