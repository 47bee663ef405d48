"""The sippet-warehouse benchmark (issue 6): throughput vs DuckDB's own JSON load, incremental
cost, memory, request efficiency.

    .venv/bin/python -m bench                 # 1M audit events (~4-5 min on 2 cores)
    .venv/bin/python -m bench --quick         # 100k audit events, ~1 min smoke run
    .venv/bin/python -m bench --memory-4m     # also a full sync of 4M audit events (long)
    .venv/bin/python -m bench --env SIPPET_PAGE_SIZE=250   # a variant of the engine's settings

Prints a table and writes it to bench/results/latest.md (+ latest.json).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import ROOT, latency
from bench.measure import SyncRun, run_measured, run_sync, sync_command
from bench.reference import duckdb_reference, machine
from bench.report import MB, render
from bench.servers import Simulator

AUDIT = "call_ai_audit_events"
RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=1_000_000, help="audit events (default 1M)")
    p.add_argument("--quick", action="store_true", help="100k audit events, smoke run")
    p.add_argument("--memory-4m", action="store_true",
                   help="also measure the peak RSS of a full sync of 4M audit events")
    p.add_argument("--memory-scale", type=int, default=4_000_000, help=argparse.SUPPRESS)
    p.add_argument("--memory-only", action="store_true",
                   help="only the 4M memory run (peak RSS does not depend on machine load)")
    p.add_argument("--full", action="store_true", help="everything (= --memory-4m)")
    p.add_argument("--latency-scale", type=int, default=100_000,
                   help="audit events of the latency-hiding section (default 100k)")
    p.add_argument("--no-latency", action="store_true", help="skip the latency section")
    p.add_argument("--latency-only", action="store_true",
                   help="only the latency section (issue 13's ratios, ~6 min at 100k)")
    p.add_argument("--days", type=int, default=30, help="simulated history (default 30 days)")
    p.add_argument("--change", type=float, default=0.01,
                   help="fraction of the history the clock advances for the incremental sync")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment for the syncs, e.g. SIPPET_COMMIT_EVERY_PAGES=50; "
                   "BENCH_DUCKDB_MEMORY_LIMIT / BENCH_DUCKDB_THREADS run bench.sync_variant")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where warehouses and NDJSON go (default: a temp dir, removed)")
    p.add_argument("--keep", action="store_true", help="keep the workdir")
    p.add_argument("--out", type=Path, default=RESULTS / "latest.md")
    args = p.parse_args(argv)
    if args.quick:
        args.scale = 100_000
        args.latency_scale = min(args.latency_scale, 20_000)
    if args.full:
        args.memory_4m = True
    return args


def startup_seconds(repeat: int = 3) -> float:
    """Best-of wall time of `sippet-sync --help`: the floor of any sync's wall time."""
    return min(run_measured([*sync_command(), "--help"]).wall_seconds for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    extra_env = dict(item.split("=", 1) for item in args.env)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sippet-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    if args.memory_only:
        return _memory_only(args, work, extra_env)
    if args.latency_only:
        return _latency_only(args, work)
    r: dict[str, Any] = {"machine": machine(), "scale": args.scale, "days": args.days,
                         "env": extra_env, "change_pct": f"{args.change * 100:g}",
                         "when": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        r.update(_throughput(args, work, extra_env))
        if not args.no_latency:
            r["latency"] = latency.measure(args.latency_scale, args.days, work, _say)
        if args.memory_4m:
            r["memory_big"] = _memory_run(args.memory_scale, args.days, work, extra_env,
                                          r["full"]["wall_seconds"] * args.memory_scale
                                          / args.scale)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    r["bench_seconds"] = time.perf_counter() - t_start
    _write_report(args, render(r), r)
    return 0


def _throughput(args: argparse.Namespace, work: Path, extra_env: dict[str, str]
                ) -> dict[str, Any]:
    """Full, incremental and nothing-new syncs into one warehouse, and DuckDB's reference."""
    r: dict[str, Any] = {}
    _say(f"simulator: scale {args.scale:,} audit events, {args.days} days, fixed clock")
    with Simulator(args.scale, days=args.days, log_dir=work) as sim:
        r["simulator"] = {"startup_seconds": sim.startup_seconds, "records": sim.records,
                          "now": sim.now()}
        _say(f"  up in {sim.startup_seconds:.1f}s at {sim.url}: {sim.records}")
        r["startup_seconds"] = startup_seconds()
        wh = work / "warehouse.duckdb"
        _say("full sync ...")
        full = run_sync(sim, wh, "full", extra_env=extra_env)
        _say(f"  {full.process.wall_seconds:.1f}s, {full.landed:,} records, "
             f"peak RSS {full.process.maxrss_bytes / MB:.0f} MB")
        r["full"] = _sync_figures(full)
        r["reference"] = _reference(sim, work)

        minutes = args.days * 24 * 60 * args.change
        _say(f"incremental sync after advancing the clock {minutes:.0f} min ...")
        r["advanced_to"] = sim.advance(minutes)
        r["incremental"] = _resync(sim, wh, "incremental", extra_env)
        _say("sync with nothing new ...")
        r["nothing_new"] = _resync(sim, wh, "nothing new", extra_env)
        r["warehouse_bytes"] = wh.stat().st_size
    return r


def _resync(sim: Simulator, wh: Path, label: str, extra_env: dict[str, str]) -> dict[str, Any]:
    run = run_sync(sim, wh, label, extra_env=extra_env)
    _say(f"  {run.process.wall_seconds:.2f}s, {run.landed:,} records landed")
    return _sync_figures(run)


def _reference(sim: Simulator, work: Path) -> dict[str, Any]:
    """DuckDB's own `read_json` load of the audit events the simulator serves."""
    _say("reference: DuckDB read_json of the audit-event ground truth ...")
    ndjson = work / "audit_events.ndjson"
    t0 = time.perf_counter()
    lines, size = sim.download_truth("CallAiAuditEvent", ndjson)
    _say(f"  {lines:,} records, {size / MB:.0f} MB fetched in {time.perf_counter() - t0:.1f}s")
    ref = duckdb_reference(ndjson, work / "reference.duckdb")
    ref["ndjson_bytes"] = size
    ref["rows_per_second"] = ref["rows"] / ref["seconds"]
    _say(f"  {ref['rows']:,} rows in {ref['seconds']:.2f}s = {ref['rows_per_second']:,.0f} rows/s")
    ndjson.unlink(missing_ok=True)
    return ref


def _write_report(args: argparse.Namespace, text: str, r: dict[str, Any]) -> None:
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    print(f"\nwritten: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


def _memory_only(args: argparse.Namespace, work: Path, extra_env: dict[str, str]) -> int:
    try:
        big = _memory_run(args.memory_scale, args.days, work, extra_env, estimate=None)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    out = args.out.with_name("memory.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(big, indent=2, default=str) + "\n")
    print(f"peak RSS, full sync of {big['scale']:,} audit events: "
          f"{big['peak_rss_bytes'] / MB:.0f} MB ({big['wall_seconds'] / 60:.1f} min, "
          f"{big['landed']:,} landed); written: {out}")
    return 0 if big["returncode"] == 0 else 1


def _latency_only(args: argparse.Namespace, work: Path) -> int:
    try:
        r = latency.measure(args.latency_scale, args.days, work, _say)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    out = args.out.with_name("latency.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(latency.render(r)) + "\n")
    out.with_suffix(".json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    print("\n".join(latency.render(r)))
    print(f"\nwritten: {out}")
    return 0


def _memory_run(scale: int, days: int, work: Path, extra_env: dict[str, str],
                estimate: float | None) -> dict[str, Any]:
    guess = f" (estimated {estimate / 60:.1f} min)" if estimate else ""
    _say(f"memory: full sync of {scale:,} audit events{guess} ...")
    with Simulator(scale, days=days, log_dir=work) as sim:
        _say(f"  simulator up in {sim.startup_seconds:.1f}s")
        wh = work / f"warehouse-{scale}.duckdb"
        run = run_sync(sim, wh, f"full {scale}", extra_env=extra_env)
    wh.unlink(missing_ok=True)
    _say(f"  {run.process.wall_seconds:.1f}s, peak RSS {run.process.maxrss_bytes / MB:.0f} MB")
    return {"scale": scale, **_sync_figures(run)}


def _sync_figures(run: SyncRun) -> dict[str, Any]:
    audit = run.stream(AUDIT) if any(s["stream"] == AUDIT for s in run.streams) else None
    return {
        "wall_seconds": run.process.wall_seconds,
        "returncode": run.process.returncode,
        "peak_rss_bytes": run.process.maxrss_bytes,
        "peak_rss_polled_bytes": run.process.peak_rss_bytes,
        "landed": run.landed,
        "fetched": run.total("rows_fetched"),
        "pages": run.total("pages"),
        "requests": run.requests,
        "bytes_served": run.bytes_served,
        "rows_served": run.rows_served,
        "audit": audit,
        "streams": run.streams,
        "stream_seconds": sum(float(s["seconds"] or 0) for s in run.streams),
    }


def _say(msg: str) -> None:
    print(msg, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
