"""Serving benchmark: one sync httpx client against the simulator in another process.

    .venv/bin/python -m pipelines.simulator.bench_serve --scale bench --pages 2000

Walks CallAiAuditEvent with all fields, filter on an occurredAt range, sort `occurredAt,id`,
pages of 250, once with keyset and once with offset paging; prints records/s, and the server
process's RSS per million audit events.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import sys
import time
from typing import Any

import httpx
import orjson
import psutil

from .catalogue import fields as catalogue_fields
from .config import SimulatorConfig
from .server import SimulatorServer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(scale: int | str, port: int, ready: Any) -> None:
    # keyset by default so a first page with only `limit` starts a keyset walk
    sys.setswitchinterval(float(os.environ.get("SIM_SWITCH", "0.005")))
    server = SimulatorServer(SimulatorConfig(scale=scale, default_page_type="keyset"), port=port)
    if os.environ.get("SIM_NO_READAHEAD"):  # to measure what the read-ahead brings
        server.simulator.resources["CallAiAuditEvent"].reader.prefetch = lambda *a: None
    server.start()
    ready.put(server.simulator.memory_bytes())
    server.serve_forever()


def _page_meta(body: bytes, full: bool) -> tuple[int, dict[str, Any]]:
    """(row count, page fields). Without `full`, only the tail after the results array is
    parsed so the number measures the server rather than the client's JSON parser."""
    if full:
        data = orjson.loads(body)["data"]
        return len(data.pop("results")), data
    cut = body.rindex(b'],"hasMore"')
    return body.count(b'"organisationId":', 0, cut), orjson.loads(b"{" + body[cut + 2:-1])


def walk(client: httpx.Client, kind: str, max_pages: int, start: str, end: str,
         full: bool = False) -> tuple[int, int, float]:
    fields = catalogue_fields("CallAiAuditEvent")
    body: dict[str, Any] = {
        "action": "list_call_ai_audit_events", "fields": fields, "sort": "occurredAt,id",
        "filter": {"occurredAt": {"greaterThanOrEqual": start, "lessThan": end}}}
    page: dict[str, Any] = {"limit": 250} | ({"offset": 0} if kind == "offset" else {})
    rows = nbytes = 0
    t0 = time.perf_counter()
    for _ in range(max_pages):
        body["page"] = page
        resp = client.post("/rpc/public/run", content=orjson.dumps(body),
                           headers={"content-type": "application/json"})
        nbytes += len(resp.content)
        n, data = _page_meta(resp.content, full)
        rows += n
        if not data["hasMore"]:
            break
        page = ({"limit": 250, "offset": page["offset"] + 250} if kind == "offset"
                else {"limit": 250, "after": data["nextPage"]})
    return rows, nbytes, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="bench")
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    port, ready = _free_port(), mp.get_context("spawn").Queue()
    t0 = time.perf_counter()
    proc = mp.get_context("spawn").Process(target=_serve, args=(args.scale, port, ready),
                                           daemon=True)
    proc.start()
    store_bytes = ready.get(timeout=600)
    build = time.perf_counter() - t0
    server_proc = psutil.Process(proc.pid)
    cfg = SimulatorConfig(scale=args.scale)
    print(f"scale={cfg.scale} build+start={build:.1f}s store={store_bytes / 1e6:.0f} MB "
          f"rss={server_proc.memory_info().rss / 1e6:.0f} MB")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers={"x-api-key": cfg.api_key}) as client:
            for kind, full in (("keyset", False), ("offset", False), ("keyset", True)):
                cpu0 = sum(server_proc.cpu_times()[:2])
                rows, nbytes, secs = walk(client, kind, args.pages, "2026-10-02T00:00:00Z",
                                          "2026-11-01T12:00:00Z", full)
                cpu = sum(server_proc.cpu_times()[:2]) - cpu0
                label = f"{kind} {'client parses all' if full else 'server rate'}"
                # server CPU per record is independent of other load on the machine: its
                # inverse is what the server could serve with a core to itself
                print(f"{label:28s}: {rows} records in {secs:.2f}s = {rows / secs:,.0f} records/s, "
                      f"{nbytes / secs / 1e6:.1f} MB/s; server CPU {cpu / rows * 1e6:.2f} us/record"
                      f" = capacity {rows / cpu:,.0f} records/s per core")
        rss = server_proc.memory_info().rss
        print(f"server RSS after serving: {rss / 1e6:.0f} MB = "
              f"{rss / 1e6 / (cfg.scale / 1e6):.0f} MB per million audit events "
              f"(numpy columns: {store_bytes / 1e6 / (cfg.scale / 1e6):.0f} MB per million)")
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
