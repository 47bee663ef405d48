"""The servers a benchmark syncs against, each in its own process on a free loopback port:
the API simulator (with its `/_sim` controls) and moto's S3 server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench import API_KEY, PYTHON, ROOT, VENV_BIN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
