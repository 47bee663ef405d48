"""`sippet-sync` with experimental engine settings, for measuring a change before it is made.

    BENCH_DUCKDB_MEMORY_LIMIT=256MB BENCH_DUCKDB_THREADS=1 \
        .venv/bin/python -m bench.sync_variant sync --no-models

Patches `warehouse.store._open` so every warehouse connection first runs
`SET memory_limit` / `SET threads` / `SET preserve_insertion_order` from the environment, then
runs the real CLI. Used by `python -m bench --variant`; never by the engine itself.
"""

from __future__ import annotations

import os


def _patch() -> None:
    from warehouse import store

    settings = {"memory_limit": os.environ.get("BENCH_DUCKDB_MEMORY_LIMIT"),
                "threads": os.environ.get("BENCH_DUCKDB_THREADS"),
                "preserve_insertion_order": os.environ.get("BENCH_DUCKDB_PRESERVE_ORDER"),
                "checkpoint_threshold": os.environ.get("BENCH_DUCKDB_CHECKPOINT_THRESHOLD")}
    original = store._open

    def _open(target: str, read_only: bool):  # type: ignore[no-untyped-def]
        con = original(target, read_only)
        for name, value in settings.items():
            if value:
                con.execute(f"SET {name} = '{value}'")
        return con

    store._open = _open


if __name__ == "__main__":
    _patch()
    from pipelines.cli import main

    main()
