"""Progress output for long syncs: a live line on a terminal, plain lines otherwise.

On a TTY we use `rich` (imported lazily so non-interactive runs and Dagster don't pay for
it); in logs and CI the same information arrives as one plain line every few seconds.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from pipelines.batch import StreamRun

PLAIN_INTERVAL_SECONDS = 5.0
# Below this much elapsed time a rate is noise (one page in microseconds is not 49M rows/s).
MIN_RATE_INTERVAL_SECONDS = 1.0


class Progress:
    """Callable handed to `sync()`; call `close()` when the sync returns."""

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None):
        self._out = stream or sys.stderr
        self._interactive = self._out.isatty() if interactive is None else interactive
        # The first plain line comes one interval after the start: a sync that finishes
        # sooner needs no progress line (its summary says it all).
        self._last_line = time.monotonic()
        self._live = None
        self._current: str | None = None

    def __call__(self, run: StreamRun) -> None:
        name = run.spec.name
        now = time.monotonic()
        if self._current and self._current != name:
            self._finish_line()
        self._current = name
        text = describe(run)
        if self._interactive:
            self._show_live(text)
        elif now - self._last_line >= PLAIN_INTERVAL_SECONDS:
            self._last_line = now
            print(text, file=self._out, flush=True)

    def _show_live(self, text: str) -> None:
        if self._live is None:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(file=self._out), refresh_per_second=4,
                              transient=False)
            self._live.start()
        self._live.update(text)

    def _finish_line(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def close(self) -> None:
        self._finish_line()


def describe(run: StreamRun, now: datetime | None = None) -> str:
    """One progress line; the rate is over the time since the stream started reading."""
    counters = run.counters
    elapsed = ((now or datetime.now(UTC)) - run.started_at).total_seconds()
    rate = (f" ({counters.rows_fetched / elapsed:,.0f} rows/s)"
            if elapsed >= MIN_RATE_INTERVAL_SECONDS else "")
    return (f"{run.spec.name}: {counters.pages:,} pages, {counters.rows_fetched:,} rows{rate}, "
            f"{counters.rows_inserted:,} inserted, {counters.rows_updated:,} updated")
