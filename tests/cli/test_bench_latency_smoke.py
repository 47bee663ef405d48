"""`python -m bench --latency-only` runs end to end at a small scale.

The benchmark is not a test of speed (its figures are ratios read by people), but it must not
rot: an earlier DuckDB upgrade broke its ledger reader and no run produced a number for two
sessions. Here it runs every latency-section sync at 3,000 audit events and the figures must
be consistent: every full sync into a fresh warehouse lands the same records.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_latency_only_measures_every_run_and_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "results" / "latest.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--latency-only", "--latency-scale", "3000",
         "--days", "3", "--workdir", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]

    table = (tmp_path / "results" / "latency.md").read_text()
    for row in ("latency hiding at 50 ms/request (concurrency 4)",
                "latency hiding at 200 ms/request (concurrency 4)",
                "requests per record, concurrency 4 vs 1", "CPU per audit event"):
        assert row in table, table
    r = json.loads((tmp_path / "results" / "latency.json").read_text())
    runs = r["runs"]
    assert len(runs) == 5
    landed = {label: run["landed"] for label, run in runs.items()}
    assert len(set(landed.values())) == 1 and min(landed.values()) > 3000, landed
    assert {run["latency_ms"] for run in runs.values()} == {0, 50, 200}
    assert r["cpu"]["events"] == r["cpu"]["read_json_rows"] > 2000
