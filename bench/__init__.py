"""Benchmarks of the sync engine (issue 6); run with `.venv/bin/python -m bench`.

What every benchmark module shares: child processes (simulator, syncs, DuckDB reference) run
from the repository root with this venv's interpreter or its scripts (`sippet-sync`,
`moto_server`), the simulator and the syncs share one API key, and every report marks a
figure against its goal the same way.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
API_KEY = "sk_bench_key"


def verdict(met: bool) -> str:
    """A figure's status in a report table."""
    return "✅ met" if met else "❌ missed"
