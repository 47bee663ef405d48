"""Issue 13's figures: latency hiding, requests per record, CPU per record.

One simulator (its own process) serves every run; each full sync goes into a fresh warehouse.
- latency hiding: full-sync records/s with the simulator holding each request 50 ms and
  200 ms, divided by records/s at zero latency, at the default concurrency;
- requests per record with concurrency 1 and 4 (what slicing costs in extra requests);
- CPU per record: the sync process's user+system CPU for a sync of the audit stream alone,
  per audit event, against DuckDB's `read_json` CPU per event on the same records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import verdict
from bench.measure import SyncRun, run_sync
from bench.reference import duckdb_reference
from bench.servers import Simulator

AUDIT = "call_ai_audit_events"
LATENCIES_MS = (50, 200)
DEFAULT_CONCURRENCY = 4
#: A wider setting at the slowest latency: shows what limits is the setting, not the engine.
WIDE_CONCURRENCY = 16


def measure(scale: int, days: int, work: Path, say: Any) -> dict[str, Any]:
    """Every figure of the latency section, at `scale` audit events."""
    r: dict[str, Any] = {"scale": scale, "runs": {}}
    with Simulator(scale, days=days, log_dir=work) as sim:
        say(f"latency section: simulator of {scale:,} audit events up in "
            f"{sim.startup_seconds:.1f}s")
        for label, latency, concurrency in (("zero latency, concurrency 1", 0, 1),
                                            ("zero latency", 0, DEFAULT_CONCURRENCY),
                                            *((f"{ms} ms per request", ms, DEFAULT_CONCURRENCY)
                                              for ms in LATENCIES_MS),
                                            (_wide(), LATENCIES_MS[-1], WIDE_CONCURRENCY)):
            sim.set_latency(latency)
            run = _full(sim, work, label, {"SIPPET_MAX_CONCURRENCY": str(concurrency)})
            r["runs"][label] = _figures(run, latency, concurrency)
            say(f"  {label}: {run.process.wall_seconds:.1f}s, "
                f"{r['runs'][label]['records_per_second']:,.0f} records/s, "
                f"{run.requests:,} requests")
        sim.set_latency(0)
        r["cpu"] = _cpu_per_event(sim, work, say)
    return r


def _wide() -> str:
    return f"{LATENCIES_MS[-1]} ms per request, concurrency {WIDE_CONCURRENCY}"


def _full(sim: Simulator, work: Path, label: str, env: dict[str, str],
          args: tuple[str, ...] = ()) -> SyncRun:
    warehouse = work / "latency.duckdb"
    for path in (warehouse, Path(f"{warehouse}.wal")):
        path.unlink(missing_ok=True)
    run = run_sync(sim, warehouse, label, extra_env=env, args=args)
    if run.process.returncode != 0:
        raise RuntimeError(f"sync '{label}' exited {run.process.returncode}")
    return run


def _figures(run: SyncRun, latency_ms: int, concurrency: int) -> dict[str, Any]:
    landed = run.landed
    return {"latency_ms": latency_ms, "concurrency": concurrency,
            "wall_seconds": run.process.wall_seconds, "landed": landed,
            "records_per_second": landed / run.process.wall_seconds,
            "requests": run.requests, "requests_per_record": run.requests / landed,
            "peak_rss_bytes": run.process.maxrss_bytes}


def _cpu_per_event(sim: Simulator, work: Path, say: Any) -> dict[str, Any]:
    run = _full(sim, work, "audit events only", {}, ("--stream", AUDIT))
    events = run.stream(AUDIT)["rows_inserted"]
    ndjson = work / "latency-audit.ndjson"
    sim.download_truth("CallAiAuditEvent", ndjson)
    ref = duckdb_reference(ndjson, work / "latency-reference.duckdb")
    ndjson.unlink(missing_ok=True)
    sync_us = run.process.cpu_seconds / events * 1e6
    ref_us = ref["cpu_seconds"] / ref["rows"] * 1e6
    say(f"  CPU per audit event: sync {sync_us:.1f} µs, DuckDB read_json {ref_us:.1f} µs")
    return {"events": events, "sync_cpu_seconds": run.process.cpu_seconds,
            "sync_us_per_event": sync_us, "read_json_rows": ref["rows"],
            "read_json_cpu_seconds": ref["cpu_seconds"], "read_json_us_per_event": ref_us}


def render(r: dict[str, Any]) -> list[str]:
    runs = r["runs"]
    base = runs["zero latency"]
    one = runs["zero latency, concurrency 1"]
    lines = ["", f"Latency hiding (issue 13): full syncs of {r['scale']:,} audit events "
             f"(with their calls, transcripts, operators), each into a fresh warehouse.", "",
             "| figure | value | reference | ratio | status |",
             "| --- | ---: | ---: | ---: | --- |"]
    for ms in LATENCIES_MS:
        run = runs[f"{ms} ms per request"]
        ratio = run["records_per_second"] / base["records_per_second"]
        lines.append(
            f"| latency hiding at {ms} ms/request (concurrency {DEFAULT_CONCURRENCY}) | "
            f"{run['records_per_second']:,.0f} records/s ({run['wall_seconds']:.1f} s) | "
            f"zero latency {base['records_per_second']:,.0f}/s ({base['wall_seconds']:.1f} s)"
            f" | **{ratio:.2f}** | goal ≥ 0.8: {verdict(ratio >= 0.8)}; bound "
            f"{_bound(run, ms):,.0f} records/s |")
    wide = runs[_wide()]
    ratio = wide["records_per_second"] / base["records_per_second"]
    lines.append(
        f"| latency hiding at {LATENCIES_MS[-1]} ms/request, concurrency {WIDE_CONCURRENCY} "
        f"(`SIPPET_MAX_CONCURRENCY={WIDE_CONCURRENCY}`) | {wide['records_per_second']:,.0f} "
        f"records/s ({wide['wall_seconds']:.1f} s) | zero latency, concurrency "
        f"{DEFAULT_CONCURRENCY} | **{ratio:.2f}** | bound {_bound(wide, LATENCIES_MS[-1]):,.0f}"
        " records/s |")
    growth = base["requests_per_record"] / one["requests_per_record"] - 1
    lines.append(
        f"| requests per record, concurrency {DEFAULT_CONCURRENCY} vs 1 | "
        f"{base['requests_per_record']:.5f} ({base['requests']:,}) | "
        f"{one['requests_per_record']:.5f} ({one['requests']:,}) | {growth:+.1%} | "
        f"goal ≤ +5%: {verdict(growth <= 0.05)} |")
    lines.append(
        f"| zero latency, concurrency {DEFAULT_CONCURRENCY} vs 1 | "
        f"{base['records_per_second']:,.0f} records/s | {one['records_per_second']:,.0f}/s |"
        f" {base['records_per_second'] / one['records_per_second']:.2f} | |")
    cpu = r["cpu"]
    ratio = cpu["sync_us_per_event"] / cpu["read_json_us_per_event"]
    lines.append(
        f"| CPU per audit event (sync process, user+system) | {cpu['sync_us_per_event']:.1f}"
        f" µs ({cpu['events']:,} events) | DuckDB `read_json` "
        f"{cpu['read_json_us_per_event']:.1f} µs | {ratio:.1f}x | goal ≤ 2x: "
        f"{verdict(ratio <= 2)} |")
    return lines


def _bound(run: dict[str, Any], latency_ms: int) -> float:
    """Records/s that `concurrency` requests in flight can carry at this latency, each as
    full as the run's pages were on average (the server's own time not even counted)."""
    per_request = run["landed"] / run["requests"]
    return run["concurrency"] * per_request / (latency_ms / 1000)
