"""Read-ahead for paged walks: render the next pages while the client handles this one.

A sync client asks for page k+1 only after parsing page k, so the server's core idles
during that time. After serving a page we render the following positions (in the walk's
order) on one background thread into a bounded cache; the next request then mostly joins
cached strings. Rendered events never depend on the clock, so only the store version
(positions shift when new data is merged) and the field list key the cache.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from .fastjson import EventRenderer

CHUNK = 250


class ReadAhead:
    def __init__(self, renderer: EventRenderer, capacity: int = 20_000) -> None:
        self.renderer = renderer
        self.capacity = capacity
        self.buckets: dict[tuple, dict[int, bytes]] = {}
        self.lock = threading.Lock()
        self.pool: ThreadPoolExecutor | None = None
        self.pending: Future | None = None

    def _bucket(self, fields: tuple[str, ...], version: int) -> dict[int, bytes]:
        key = (fields, version)
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                if len(self.buckets) >= 4:
                    self.buckets.pop(next(iter(self.buckets)))
                bucket = self.buckets[key] = {}
            elif len(bucket) > self.capacity:
                for stale in list(bucket)[: self.capacity // 2]:
                    bucket.pop(stale, None)
            return bucket

    def render(self, fields: list[str], pos: np.ndarray, version: int) -> list[bytes]:
        """UTF-8 JSON of each record (bytes, so a page is a plain join)."""
        bucket = self._bucket(tuple(fields), version)
        keys = pos.tolist()
        missing = [i for i, p in enumerate(keys) if p not in bucket]
        pending = self.pending
        if missing and pending is not None and not pending.done():
            pending.result()  # it is most likely rendering these very rows
            missing = [i for i in missing if keys[i] not in bucket]
        if missing:
            texts = self.renderer.render(fields, pos[missing])
            for i, text in zip(missing, texts, strict=True):
                bucket[keys[i]] = text
        return [bucket[p] for p in keys]

    def prefetch(self, fields: list[str], pos: np.ndarray, version: int) -> None:
        if len(pos) == 0 or (self.pending is not None and not self.pending.done()):
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="sim-readahead")
        self.pending = self.pool.submit(self._fill, list(fields), pos.copy(), version)

    def _fill(self, fields: list[str], pos: np.ndarray, version: int) -> None:
        bucket = self._bucket(tuple(fields), version)
        for start in range(0, len(pos), CHUNK):
            part = pos[start:start + CHUNK]
            todo = np.array([p for p in part.tolist() if p not in bucket], dtype=np.int64)
            if len(todo):
                for p, text in zip(todo.tolist(), self.renderer.render(fields, todo),
                                   strict=True):
                    bucket[p] = text

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
