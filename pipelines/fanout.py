"""Walk many sources at once on worker threads; hand every page to the one writer thread.

A *source* is one sequential walk feeding one stream: a time slice with its own keyset or
offset pages, a run of `list_calls` windows, an id range, the re-read of held ids. Workers
(at most `concurrency`) walk sources; the thread iterating `FanOut.events` (the writer)
validates and commits. Memory stays bounded: a worker takes a page token before asking for
its next page and the writer gives it back once the page is handled, so at most
`PAGES_PER_WORKER * concurrency` pages are fetched or in flight but not yet handled,
whatever the number of sources (the client's gate keeps requests in flight to `concurrency`).

The first source walks alone until the writer has handled its first event (first contact: a
refused key or a down host fails one request, not `concurrency` of them).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

#: (results, context) pairs: one response's records and where they came from, for errors.
Pages = Iterator[tuple[Any, str]]

_POLL_SECONDS = 0.1
#: Pages a worker may have fetched ahead of the writer. Two kept the workers busy only while
#: the writer handled pages one by one: during a batch commit (~0.15 s for 25 audit pages)
#: they ran out of tokens and the slots idled. Four let them fetch through it (50 ms per
#: request, 100k audit events: 24.6 -> 23.1 s over three pairs; zero latency unchanged).
PAGES_PER_WORKER = 4


@dataclass(frozen=True, eq=False)
class Source:
    """One sequential walk of one stream; `walk` is called on the worker thread."""

    stream: str
    walk: Callable[[], Pages]
    #: Position among the stream's time slices (the cursor's watermark); None: not a slice.
    slice_index: int | None = None


@dataclass(frozen=True)
class Event:
    """What the writer receives: a page, a source finished, or a source failed."""

    source: Source
    results: Any = None
    context: str = ""
    done: bool = False
    error: BaseException | None = None


class FanOut:
    """Runs sources on `concurrency` worker threads; see the module docstring."""

    def __init__(self, concurrency: int,
                 attribute: Callable[[str], AbstractContextManager[Any]] | None = None) -> None:
        self._concurrency = concurrency
        self._attribute = attribute or (lambda stream: nullcontext())
        self._tokens = threading.Semaphore(PAGES_PER_WORKER * concurrency)
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._cancelled: set[str] = set()
        self._stop = threading.Event()

    def cancel(self, stream: str) -> None:
        """Stop walking `stream`'s sources (a page already in flight is still delivered)."""
        self._cancelled.add(stream)

    def events(self, sources: Iterable[Source]) -> Iterator[Event]:
        """Every page of every source, in arrival order, then one `done` or failed event per
        source. Leaving the loop early stops the workers after their current request."""
        sources = list(sources)
        pool = ThreadPoolExecutor(max_workers=self._concurrency,
                                  thread_name_prefix="sippet-fetch")
        try:
            # First contact alone: a refused key or a down host costs one request (with its
            # retries), reported for the first source, before anything else is sent.
            waiting = sources[1:]
            if sources:
                pool.submit(self._walk, sources[0])
            remaining = len(sources)
            while remaining:
                event = self._events.get()
                is_page = not event.done and event.error is None
                remaining -= 0 if is_page else 1
                try:
                    yield event
                finally:
                    if is_page:
                        self._tokens.release()
                if waiting:  # the writer handled the first event and asks for more
                    for source in waiting:
                        pool.submit(self._walk, source)
                    waiting = []
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def _walk(self, source: Source) -> None:
        try:
            with self._attribute(source.stream):
                pages = source.walk()
                while self._take_token(source):
                    try:
                        results, context = next(pages)
                    except StopIteration:
                        self._tokens.release()
                        break
                    except BaseException:
                        self._tokens.release()
                        raise
                    self._events.put(Event(source, results, context))
            self._events.put(Event(source, done=True))
        except BaseException as exc:  # handed to the writer, raised or reported there
            # A failed source fails its stream: its other sources stop now, not once the
            # writer gets to the error (a worker could start one meanwhile).
            self.cancel(source.stream)
            self._events.put(Event(source, error=exc))

    def _take_token(self, source: Source) -> bool:
        while not self._stop.is_set() and source.stream not in self._cancelled:
            if self._tokens.acquire(timeout=_POLL_SECONDS):
                return True
        return False
