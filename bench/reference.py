"""What the sync's figures are read against: DuckDB's own load of the same NDJSON (in a child
process, measured like a sync) and the machine the figures came from.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import psutil

from bench import PYTHON
from bench.measure import run_measured

DUCKDB_LOAD = """
import duckdb, json, sys, time
path, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
t0 = time.perf_counter()
con.execute(f"CREATE TABLE t AS SELECT * FROM read_json('{path}')")
t1 = time.perf_counter()
con.execute("CHECKPOINT")
t2 = time.perf_counter()
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
con.close()
print(json.dumps({"rows": rows, "load_seconds": t1 - t0, "checkpoint_seconds": t2 - t1}))
"""


def duckdb_reference(ndjson: Path, db: Path) -> dict[str, Any]:
    """DuckDB loading the NDJSON into a fresh file: rows, seconds (CREATE + CHECKPOINT)."""
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    proc = run_measured([PYTHON, "-c", DUCKDB_LOAD, str(ndjson), str(db)])
    if proc.returncode != 0:
        raise RuntimeError(f"duckdb reference failed: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["seconds"] = result["load_seconds"] + result["checkpoint_seconds"]
    result["process_wall_seconds"] = proc.wall_seconds
    result["peak_rss_bytes"] = proc.maxrss_bytes
    result["cpu_seconds"] = proc.cpu_seconds
    return result


def machine() -> dict[str, Any]:
    """The machine the figures came from: cores, memory, CPU model, Python and DuckDB."""
    import platform

    try:
        import duckdb

        duck = duckdb.__version__
    except Exception:  # pragma: no cover
        duck = "?"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gib": psutil.virtual_memory().total / 2**30,
            "cpu": cpu, "python": platform.python_version(), "duckdb": duck}
