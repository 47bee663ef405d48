"""Same simulator, one stream, several engine settings: wall time, stream rate, peak RSS.

    .venv/bin/python -m bench.variants --scale 1000000 --stream call_ai_audit_events \
        --variant base= --variant commit100=SIPPET_COMMIT_EVERY_PAGES=100 ...

A variant is NAME=KEY=VALUE[,KEY=VALUE...]; BENCH_DUCKDB_* keys go through bench.sync_variant.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench import API_KEY, PYTHON
from bench.measure import ledger, run_measured, sync_command
from bench.servers import Simulator


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.variants")
    p.add_argument("--scale", type=int, default=1_000_000)
    p.add_argument("--stream", default="call_ai_audit_events")
    p.add_argument("--variant", action="append", default=[])
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sippet-var-"))
    print("| variant | wall s | stream s | rows | rows/s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |", flush=True)
    with Simulator(args.scale, log_dir=work) as sim:
        for spec in args.variant or ["base="]:
            name, _, rest = spec.partition("=")
            extra = dict(kv.split("=", 1) for kv in rest.split(",") if kv)
            wh = work / f"{name}.duckdb"
            env = {**os.environ, "SIPPET_BASE_URL": sim.url, "SIPPET_API_KEY": API_KEY,
                   "SIPPET_WAREHOUSE": str(wh), **extra}
            cmd = [*sync_command(), "sync", "--no-models", "--stream", args.stream]
            if any(k.startswith("BENCH_") for k in extra):
                cmd = [PYTHON, "-m", "bench.sync_variant", *cmd[1:]]
            run = run_measured(cmd, env)
            s = next(r for r in ledger(wh) if r["stream"] == args.stream)
            print(f"| {name} {rest} | {run.wall_seconds:.1f} | {s['seconds']:.1f} | "
                  f"{s['rows_inserted']:,} | {s['rows_inserted'] / s['seconds']:,.0f} | "
                  f"{run.maxrss_bytes / 1e6:.0f} |", flush=True)
            wh.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
