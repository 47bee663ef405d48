"""How many requests one client may have in flight, and when it must not send at all.

Every request of a client passes one `RequestGate`, whatever thread sends it:
- at most `limit` requests are in flight; `limit` starts at `SIPPET_MAX_CONCURRENCY`;
- a 429, or any answer carrying `Retry-After`, pauses the whole client (not only the worker
  that got it) until the server's time is up, and halves `limit` (never below 1);
- after `limit * RECOVERY_ROUNDS` clean answers in a row, `limit` grows back by one (additive
  increase, multiplicative decrease: the way TCP finds a polite rate).

The pause is set before the rate-limited request gives its slot back, so once a 429 is read no
other request of the client can be granted a slot until the pause ends: the only requests that
can reach the server inside the window are those already in flight when the 429 arrived.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("pipelines.client")

#: Clean answers per unit of `limit` before the limit grows back by one.
RECOVERY_ROUNDS = 4


class RequestGate:
    """A concurrency limit that shrinks on rate limits and recovers on clean answers."""

    def __init__(self, max_concurrency: int, *,
                 clock: Callable[[], float] = time.monotonic, pauses: bool = True) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        self.max_concurrency = max_concurrency
        self.limit = max_concurrency
        self.in_flight = 0
        self.peak_in_flight = 0
        self.paused_until = 0.0
        self.pauses = 0
        self._clean = 0
        self._clock = clock
        #: False where the client's sleeps are injected (unit tests): the retry policy's own
        #: (recorded, not slept) wait stands for the pause, which would otherwise be real time.
        self._pauses = pauses
        self._changed = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the `limit` slots while a request is in flight."""
        self._acquire()
        try:
            yield
        finally:
            with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def _acquire(self) -> None:
        with self._changed:
            while True:
                wait = self.paused_until - self._clock()
                if wait <= 0 and self.in_flight < self.limit:
                    break
                self._changed.wait(timeout=wait if wait > 0 else None)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def back_off(self, seconds: float) -> None:
        """The server asked the client to slow down: pause everyone, halve the limit."""
        with self._changed:
            if self._pauses:
                self.paused_until = max(self.paused_until, self._clock() + max(seconds, 0.0))
            self.limit = max(1, self.limit // 2)
            self._clean = 0
            self.pauses += 1
            log.warning("rate limited: pausing every request for %.2f s; at most %d in "
                        "flight from now on", seconds, self.limit)
            self._changed.notify_all()

    def succeeded(self) -> None:
        """One clean answer; enough in a row lets one more request fly."""
        with self._changed:
            if self.limit >= self.max_concurrency:
                return
            self._clean += 1
            if self._clean >= self.limit * RECOVERY_ROUNDS:
                self.limit += 1
                self._clean = 0
                self._changed.notify_all()
