"""Building blocks of the benchmark: the simulator in a subprocess, a measured CLI sync, the
run ledger, and DuckDB's own NDJSON load as the reference.

Everything heavy runs in child processes so each figure is that process's own (wall time, peak
RSS); this module only needs the standard library, httpx and psutil.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
API_KEY = "sk_bench_key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sync_command() -> list[str]:
    """The real console script when installed, else the module (same code path)."""
    script = VENV_BIN / "sippet-sync"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-m", "pipelines.cli"]


class Simulator:
    """`python -m pipelines.simulator --fixed-clock` on a free loopback port, in a subprocess."""

    def __init__(self, scale: int, *, seed: int = 7, days: int = 30, log_dir: Path) -> None:
        self.scale, self.seed, self.days = scale, seed, days
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"simulator-{scale}.log"
        self.proc: subprocess.Popen | None = None
        self.startup_seconds = 0.0
        self.records: dict[str, int] = {}
        self.http = httpx.Client(base_url=self.url, headers={"x-api-key": API_KEY},
                                 timeout=httpx.Timeout(600.0, connect=5.0))

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 1800.0) -> None:
        cmd = [PYTHON, "-m", "pipelines.simulator", "--port", str(self.port), "--scale",
               str(self.scale), "--seed", str(self.seed), "--days", str(self.days),
               "--fixed-clock", "--api-key", API_KEY]
        t0 = time.perf_counter()
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited: {self.log_path.read_text()[-2000:]}")
            text = self.log_path.read_text()
            if "records=" in text:
                match = re.search(r"records=(\{.*\})", text)
                if match:
                    self.records = json.loads(match.group(1).replace("'", '"'))
                break
            time.sleep(0.2)
        else:
            raise TimeoutError("simulator did not start")
        self.startup_seconds = time.perf_counter() - t0

    def stop(self) -> None:
        self.http.close()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if hasattr(self, "_log"):
            self._log.close()

    def stats(self) -> dict[str, Any]:
        return self.http.get("/_sim/stats").raise_for_status().json()

    def now(self) -> str:
        return self.http.get("/_sim/now").raise_for_status().json()["now"]

    def set_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> None:
        self.http.post("/_sim/latency", json={"latency_ms": latency_ms, "jitter_ms": jitter_ms}
                       ).raise_for_status()

    def advance(self, minutes: float) -> str:
        return self.http.post("/_sim/advance", json={"minutes": minutes}).raise_for_status(
        ).json()["now"]

    def download_truth(self, resource: str, path: Path) -> tuple[int, int]:
        """Stream `/_sim/truth/{resource}` (NDJSON) into `path`: (records, bytes)."""
        lines = size = 0
        with self.http.stream("GET", f"/_sim/truth/{resource}") as resp, open(path, "wb") as f:
            resp.raise_for_status()
            for chunk in resp.iter_bytes(1 << 20):
                f.write(chunk)
                lines += chunk.count(b"\n")
                size += len(chunk)
        return lines, size


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


@contextlib.contextmanager
def moto_s3(work: Path, bucket: str | None = None) -> Iterator[str | None]:
    """moto's S3 server on a free loopback port (with `bucket` made, if named); its endpoint
    URL, or None when moto_server is not installed (it comes with the dev extra). The lake
    tests start theirs with this too."""
    server = VENV_BIN / "moto_server"
    if not server.exists():
        yield None
        return
    port = free_port()
    with open(work / "moto.log", "wb") as log:
        proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            _wait_listening(port, proc)
            if bucket is not None:
                httpx.put(f"{endpoint}/{bucket}", timeout=30).raise_for_status()
            yield endpoint
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    # Polls a condition (the port accepts connections), not a guessed duration.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto_server did not start listening")
