"""Profile one full CLI sync under cProfile and print the hot spots.

    .venv/bin/python -m bench.profile [--scale 1000000] [--stream call_ai_audit_events]
                                      [--env KEY=VALUE ...] [--out /tmp/sync.prof]

The simulator runs in its own process (not profiled); the sync runs as
`python -m cProfile -o OUT -m pipelines.cli sync --no-models`. cProfile adds overhead to
Python-heavy code, so read the shares, not the absolute seconds.
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import tempfile
from pathlib import Path

from bench import API_KEY, PYTHON
from bench.measure import run_measured
from bench.servers import Simulator


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile")
    p.add_argument("--scale", type=int, default=1_000_000)
    p.add_argument("--stream", action="append", default=[])
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path, default=Path("/tmp/sippet-sync.prof"))
    p.add_argument("--top", type=int, default=35)
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sippet-prof-"))
    with Simulator(args.scale, log_dir=work) as sim:
        env = {**os.environ, "SIPPET_BASE_URL": sim.url, "SIPPET_API_KEY": API_KEY,
               "SIPPET_WAREHOUSE": str(work / "w.duckdb"),
               **dict(e.split("=", 1) for e in args.env)}
        cmd = [PYTHON, "-m", "cProfile", "-o", str(args.out), "-m", "pipelines.cli", "sync",
               "--no-models", *[a for s in args.stream for a in ("--stream", s)]]
        run = run_measured(cmd, env)
    print(run.stdout[-3000:], run.stderr[-2000:])
    print(f"wall {run.wall_seconds:.1f}s (under cProfile), profile in {args.out}")
    report(args.out, args.top)
    return 0


def report(path: Path, top: int) -> None:
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        stats = pstats.Stats(str(path), stream=buf)
        stats.sort_stats(key).print_stats(top)
        print(f"==== by {key} ====")
        print(buf.getvalue())


if __name__ == "__main__":
    raise SystemExit(main())
