"""Process-wide allocator and garbage-collector settings for a long sync.

A sync allocates and frees the same sizes for hours: DuckDB's 256 KiB blocks, page bodies,
one Arrow table per batch. Two defaults keep memory that is already freed:

- glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), so later
  large blocks come from the per-thread heaps, which cannot give memory back while a small
  allocation sits above it. A fixed threshold keeps blocks of 128 KiB and more in mappings
  of their own, returned to the system on free.
- pyarrow's default pool (mimalloc) keeps freed segments for reuse; the system pool does not.

Measured on a full sync of 1M audit events: peak RSS 388-397 MB with the defaults, 347 MB
with both (docs/performance.md). A user's own `MALLOC_MMAP_THRESHOLD_` or
`ARROW_DEFAULT_MEMORY_POOL` is left as set.

Python's cycle collector is tuned too: every page leaves thousands of new dicts (records and
their map fields), and with CPython's default threshold (a young-generation collection per
700 new containers) the collector took 1.76 s of a 100k-event sync's ~11 s of CPU. Objects
alive at the start (modules, pydantic schemas) are frozen out of its scans and the young
generation holds 10,000 containers: 0.62 s (docs/performance.md). A threshold the user has
changed from CPython's default is kept.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import platform

import pyarrow as pa

log = logging.getLogger(__name__)

#: mallopt parameter number of M_MMAP_THRESHOLD (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
#: glibc's own starting value, held fixed instead of growing with the largest block freed.
MMAP_THRESHOLD_BYTES = 128 * 1024

#: CPython's default young-generation threshold, and the one a sync uses instead.
CPYTHON_GEN0_THRESHOLD, SYNC_GEN0_THRESHOLD = 700, 10_000

_tuned = False


def tune_process_allocators() -> None:
    """Apply the settings once per process; a no-op where they do not apply."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    _tune_garbage_collector()
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or platform.libc_ver()[0] != "glibc":
        return
    if not ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES):
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; glibc's default is kept")


def _tune_garbage_collector() -> None:
    # Frozen objects are never scanned again; they are still freed by reference counting.
    gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    if young == CPYTHON_GEN0_THRESHOLD:
        gc.set_threshold(SYNC_GEN0_THRESHOLD, *older)
