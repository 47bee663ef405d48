"""Measuring child processes: wall time, exit code, peak RSS and CPU of any command, and of
one CLI sync with its run ledger and the simulator's request counts.

Everything heavy runs in a child process so each figure is that process's own (wall time,
peak RSS); this module needs only the standard library and psutil, and reads the ledger in a
child too, which keeps DuckDB out of the benchmark's own process.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench import API_KEY, PYTHON, ROOT, VENV_BIN
from bench.servers import Simulator


def sync_command() -> list[str]:
    """The real console script when installed, else the module (same code path)."""
    script = VENV_BIN / "sippet-sync"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-m", "pipelines.cli"]


@dataclass
class ProcessRun:
    """Wall time, exit code and peak memory of one child process (and its children)."""

    wall_seconds: float
    returncode: int
    peak_rss_bytes: int  # polled psutil RSS of the process tree (max)
    maxrss_bytes: int  # kernel's ru_maxrss of the child (wait4), the authoritative peak
    stdout: str = ""
    stderr: str = ""
    cpu_seconds: float = 0.0  # user + system CPU of the child (wait4's rusage)


def run_measured(cmd: list[str], env: dict[str, str] | None = None, *, poll: float = 0.05,
                 cwd: Path = ROOT) -> ProcessRun:
    """Run `cmd`, polling the RSS of its process tree; reap it with wait4 for ru_maxrss."""
    out_path = Path(f"/tmp/bench-{os.getpid()}-{time.monotonic_ns()}")
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            try:
                p = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                try:
                    rss = p.memory_info().rss
                    for child in p.children(recursive=True):
                        with contextlib.suppress(psutil.NoSuchProcess):
                            rss += child.memory_info().rss
                    peak = max(peak, rss)
                except psutil.NoSuchProcess:
                    return
                done.wait(poll)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = ProcessRun(wall, proc.returncode, peak, usage.ru_maxrss * 1024, out.read(),
                            err.read(), usage.ru_utime + usage.ru_stime)
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    return result


@dataclass
class SyncRun:
    """One CLI sync: the process figures, the ledger rows and the simulator's request log."""

    label: str
    process: ProcessRun
    streams: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    bytes_served: int = 0
    rows_served: int = 0

    def total(self, key: str) -> int:
        return sum(int(s[key]) for s in self.streams)

    def stream(self, name: str) -> dict[str, Any]:
        return next(s for s in self.streams if s["stream"] == name)

    @property
    def landed(self) -> int:
        """Records written: inserted + updated (+ deleted) over all streams."""
        return self.total("rows_inserted") + self.total("rows_updated") + self.total(
            "rows_deleted")


def run_sync(sim: Simulator, warehouse: Path, label: str, *, extra_env: dict[str, str] | None
             = None, profile_to: Path | None = None, args: tuple[str, ...] = ()) -> SyncRun:
    env = {**os.environ, "SIPPET_BASE_URL": sim.url, "SIPPET_API_KEY": API_KEY,
           "SIPPET_WAREHOUSE": str(warehouse), **(extra_env or {})}
    cmd = [*sync_command(), "sync", "--no-models", *args]
    if any(k.startswith("BENCH_") for k in env):
        cmd = [PYTHON, "-m", "bench.sync_variant", "sync", "--no-models"]
    if profile_to is not None:
        cmd = [PYTHON, "-m", "cProfile", "-o", str(profile_to), "-m", "pipelines.cli", "sync",
               "--no-models"]
    before = sim.stats()
    proc = run_measured(cmd, env)
    after = sim.stats()
    if proc.returncode != 0:
        print(f"warning: sync '{label}' exited {proc.returncode}\n{proc.stdout[-3000:]}\n"
              f"{proc.stderr[-3000:]}", file=sys.stderr)
    run = SyncRun(label, proc, ledger(warehouse),
                  requests=after["requests"] - before["requests"],
                  bytes_served=after["bytes_served"] - before["bytes_served"],
                  rows_served=after["rows_served"] - before["rows_served"])
    return run


LEDGER_SQL = """
SELECT stream, status, pages, requests, rows_fetched, rows_inserted, rows_updated,
       rows_deleted, rows_quarantined,
       epoch(ended_at) - epoch(started_at) AS seconds
FROM sippet._sync_runs
WHERE run_id = (SELECT run_id FROM sippet._sync_runs ORDER BY started_at DESC LIMIT 1)
ORDER BY started_at
"""


def ledger(warehouse: Path) -> list[dict[str, Any]]:
    """The latest run's rows of `sippet._sync_runs` (read in a child: keeps duckdb out of
    this process)."""
    code = ("import duckdb, json, sys\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            # a session option in DuckDB 1.5 (a connect config refuses it)
            "con.execute('SET enable_progress_bar = false')\n"
            "cur = con.execute(sys.argv[2])\n"
            "cols = [d[0] for d in cur.description]\n"
            "print(json.dumps([dict(zip(cols, r)) for r in cur.fetchall()], default=str))\n")
    done = subprocess.run([PYTHON, "-c", code, str(warehouse), LEDGER_SQL],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"cannot read the ledger of {warehouse}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # the JSON line, whatever came before
