"""`sippet-sync` never loads pandas (a 47 MB, 0.4 s import nothing in it uses), while a library
caller of the same sync still can. Each case in a fresh interpreter: imports are per process."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import cli_env

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pandas") is None,
                                reason="pandas is not installed: nothing could load it")

# A real one-stream sync (query parameters bound, an Arrow batch built and loaded), through
# the CLI's entry point or the library function; then: did pandas get loaded?
PROBE = """
import sys
if sys.argv[1] == "cli":
    from pipelines.cli import main
    try:
        main(["sync", "--stream", "queues", "--no-models"])
    except SystemExit as exit_:
        print("exit", exit_.code)
    try:
        import pandas
    except ModuleNotFoundError as exc:
        print("refused:", exc)
else:
    from pipelines.settings import SippetSettings
    from pipelines.sync import sync
    print("ok", all(r.ok for r in sync(SippetSettings(), streams=["queues"])))
print("pandas loaded:", "pandas" in sys.modules)
"""


def _probe(mode: str, env: dict[str, str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()


def test_the_cli_syncs_without_loading_pandas(sim, warehouse: str) -> None:
    lines = _probe("cli", cli_env(sim, warehouse))
    assert lines[-3:] == [
        "exit 0",
        "refused: No module named 'pandas': sippet-sync does not load it "
        "(pipelines.lean_imports)",
        "pandas loaded: False",
    ]


def test_a_library_caller_keeps_pandas(sim, warehouse: str) -> None:
    # The control: the same sync called as a library loads pandas (DuckDB's parameter
    # binding and pyarrow do), so the CLI case above is the refusal at work.
    assert _probe("library", cli_env(sim, warehouse))[-2:] == ["ok True", "pandas loaded: True"]
