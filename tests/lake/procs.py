"""Child processes for the lake tests: a sync of chosen streams, and a polling reader.

    python -m tests.lake.procs sync STREAM...   # settings from SIPPET_* env, lake from env
    python -m tests.lake.procs read STOP_FILE   # poll counts until STOP_FILE exists

The reader prints `ready` once it has read, then one JSON line at the end: the counts it saw
(in order) and any errors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from pipelines.settings import SippetSettings
from pipelines.sync import sync
from warehouse.store import connect

TABLES = ("sippet.call_ai_audit_events", "sippet.calls")


def run_sync(streams: list[str]) -> int:
    results = sync(SippetSettings(), streams=streams or None)
    for r in results:
        print(r.stream, r.status, r.error or "")
    return 0 if all(r.ok for r in results) else 1


def run_reader(stop: Path) -> int:
    seen: list[list[int]] = []
    errors: list[str] = []
    con = connect(os.environ["SIPPET_WAREHOUSE"], read_only=True)
    parent = os.getppid()
    while True:
        # checked before reading: the final read follows the sync's end; a test killed
        # before it wrote the stop file leaves this process orphaned: stop polling then too
        last = stop.exists() or os.getppid() != parent
        try:
            seen.append([con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES])
        except Exception as exc:  # the test asserts there are none
            errors.append(f"{type(exc).__name__}: {exc}")
        if len(seen) + len(errors) == 1:
            print("ready", flush=True)
        if last:
            break
        time.sleep(0.2)  # a polling rate (a busy dashboard), not synchronisation
    con.close()
    print(json.dumps({"seen": seen, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.exit(run_sync(args) if command == "sync" else run_reader(Path(args[0])))
