"""Fetch the next page while the current batch is validated and written.

A sync alternates between waiting on the network and working in DuckDB/pydantic; running the
page walk one step ahead on a thread overlaps the two (httpx and DuckDB release the GIL while
they wait). The walk owns the client while it runs; closing the iterator stops and joins the
thread, so the client is never used by two threads at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_SECONDS = 0.1


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield `items` in order, produced up to `depth` ahead on a worker thread."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(buffer, (item, None), stop):
                    return
            _put(buffer, (_DONE, None), stop)
        except BaseException as exc:  # handed to the consumer, raised there
            _put(buffer, (_DONE, exc), stop)

    worker = threading.Thread(target=produce, name="sippet-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _put(buffer: queue.Queue, entry: tuple, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            buffer.put(entry, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False
