"""Progress output for long syncs: a live line on a terminal, plain lines otherwise.

On a TTY we use `rich` (imported lazily so non-interactive runs and Dagster don't pay for
it); in logs and CI the same information arrives as one plain line every few seconds.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from pipelines.batch import StreamRun

PLAIN_INTERVAL_SECONDS = 5.0


class Progress:
    """Callable handed to `sync()`; call `close()` when the sync returns."""

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None):
        self._out = stream or sys.stderr
        self._interactive = self._out.isatty() if interactive is None else interactive
        self._started: dict[str, float] = {}
        self._last_line = 0.0
        self._live = None
        self._current: str | None = None

    def __call__(self, run: StreamRun) -> None:
        name = run.spec.name
        now = time.monotonic()
        self._started.setdefault(name, now)
        if self._current and self._current != name:
            self._finish_line()
        self._current = name
        text = self._describe(run, now)
        if self._interactive:
            self._show_live(text)
        elif now - self._last_line >= PLAIN_INTERVAL_SECONDS:
            self._last_line = now
            print(text, file=self._out, flush=True)

    def _describe(self, run: StreamRun, now: float) -> str:
        counters = run.counters
        elapsed = max(now - self._started[run.spec.name], 1e-6)
        return (f"{run.spec.name}: {counters.pages:,} pages, {counters.rows_fetched:,} rows "
                f"({counters.rows_fetched / elapsed:,.0f} rows/s), "
                f"{counters.rows_inserted:,} inserted, {counters.rows_updated:,} updated")

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
