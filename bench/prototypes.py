"""Scratch measurements of the engine's hot path, piece by piece, on real simulator pages.

    .venv/bin/python -m bench.prototypes [--pages 400] [--page-size 200]

Fetches audit-event pages the way the sync does (all fields, `occurredAt,id`, offset paging)
and times, per record: the HTTP round trip, JSON parsing, the current page validation
(`TypeAdapter(list[TypedDict]).validate_python`) and alternatives, building the Arrow batch,
and DuckDB's insert-if-absent per batch at several commit sizes. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.harness import API_KEY, Simulator


def timeit(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def fetch_pages(url: str, n: int, size: int) -> tuple[list[bytes], float]:
    from pipelines.models import CallAiAuditEvent, api_fields

    body: dict[str, Any] = {"action": "list_call_ai_audit_events",
                            "fields": api_fields(CallAiAuditEvent), "sort": "occurredAt,id",
                            "filter": {"occurredAt": {"lessThan": "2026-11-01T12:00:00Z"}}}
    pages = []
    with httpx.Client(base_url=url, headers={"x-api-key": API_KEY,
                                             "content-type": "application/json"}) as c:
        t0 = time.perf_counter()
        for i in range(n):
            body["page"] = {"limit": size, "offset": i * size}
            pages.append(c.post("/rpc/public/run", content=orjson.dumps(body)).content)
        return pages, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.prototypes")
    p.add_argument("--scale", type=int, default=200_000)
    p.add_argument("--pages", type=int, default=400)
    p.add_argument("--page-size", type=int, default=200)
    args = p.parse_args(argv)

    import duckdb
    import pyarrow.compute as pc
    from pydantic import TypeAdapter

    from pipelines.arrow_batch import records_to_arrow
    from pipelines.models import CallAiAuditEvent
    from pipelines.validate import _page_adapter

    work = Path(tempfile.mkdtemp(prefix="sippet-proto-"))
    with Simulator(args.scale, log_dir=work) as sim:
        fetch_pages(sim.url, 5, args.page_size)  # warm the server's caches
        raw, http_s = fetch_pages(sim.url, args.pages, args.page_size)
    parsed = [orjson.loads(b)["data"]["results"] for b in raw]
    n = sum(len(r) for r in parsed)
    mb = sum(len(b) for b in raw) / 1e6
    out: list[tuple[str, float]] = [("HTTP round trip (httpx sync, keep-alive, server incl.)",
                                     http_s)]
    out.append(("orjson.loads page", timeit(lambda: [orjson.loads(b) for b in raw])))
    adapter = _page_adapter(CallAiAuditEvent)
    out.append(("validate_python list[TypedDict] (current)",
                timeit(lambda: [adapter.validate_python(r) for r in parsed])))
    # validate_json straight from the bytes of the results array (skips orjson + dict walk)
    arrays = [b[b.index(b'"results":') + 10: b.rindex(b'],"') + 1] for b in raw]
    out.append(("validate_json list[TypedDict] from bytes",
                timeit(lambda: [adapter.validate_json(a) for a in arrays])))
    model_adapter = TypeAdapter(list[CallAiAuditEvent])
    out.append(("validate_python list[BaseModel]",
                timeit(lambda: [model_adapter.validate_python(r) for r in parsed], 1)))
    validated = [adapter.validate_python(r) for r in parsed]
    flat = [rec for page in validated for rec in page]
    batch = 25 * args.page_size
    batches = [flat[i: i + batch] for i in range(0, len(flat), batch)]
    out.append(("records_to_arrow (per batch of 25 pages)",
                timeit(lambda: [records_to_arrow(CallAiAuditEvent, b) for b in batches])))
    tables = [records_to_arrow(CallAiAuditEvent, b) for b in batches]

    def load(commit_pages: int, anti_join: bool = True) -> float:
        db = work / f"load-{commit_pages}-{anti_join}.duckdb"
        con = duckdb.connect(str(db))
        cols = ", ".join(tables[0].schema.names)
        con.register("t0", tables[0])
        con.execute("CREATE TABLE t AS SELECT *, now() AS _synced_at FROM t0 LIMIT 0")
        con.unregister("t0")
        per = max(1, commit_pages * args.page_size)
        t0 = time.perf_counter()
        for i in range(0, len(flat), per):
            tb = records_to_arrow(CallAiAuditEvent, flat[i: i + per])
            con.execute("BEGIN")
            con.register("s", tb)
            probe = "SELECT id FROM t WHERE occurred_at BETWEEN ? AND ?"
            times = tb.column("occurred_at")
            lo, hi = pc.min(times).as_py(), pc.max(times).as_py()
            if anti_join:
                con.execute(f"INSERT INTO t SELECT {cols}, now() FROM s ANTI JOIN ({probe}) p "
                            "ON p.id = s.id", [lo, hi])
            else:
                con.execute(f"INSERT INTO t SELECT {cols}, now() FROM s")
            con.unregister("s")
            con.execute("COMMIT")
        con.execute("CHECKPOINT")
        con.close()
        return time.perf_counter() - t0

    for pages in (1, 25, 100):
        out.append((f"DuckDB arrow->insert-if-absent, commit every {pages} pages "
                    "(arrow build incl.)", load(pages)))
    out.append(("DuckDB arrow->plain insert, commit every 25 pages (arrow build incl.)",
                load(25, anti_join=False)))

    print(f"\n{n:,} audit events in {args.pages} pages of {args.page_size}, {mb:.0f} MB "
          f"({mb * 1e6 / n:,.0f} bytes/record)\n")
    print("| step | seconds | µs/record | records/s |\n| --- | ---: | ---: | ---: |")
    for name, secs in out:
        print(f"| {name} | {secs:.3f} | {secs / n * 1e6:.1f} | {n / secs:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
