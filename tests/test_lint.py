"""The codebase stays ruff-clean and keeps its import direction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sync_engine_never_imports_dagster():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("pipelines", "warehouse")
        for path in (ROOT / folder).rglob("*.py")
        if "import dagster" in path.read_text() or "from dagster" in path.read_text()
    ]
    assert offenders == []
