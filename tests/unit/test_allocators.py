"""The sync's allocator and garbage-collector settings take effect (each case in a fresh
interpreter: they are process-wide), and a real sync applies them."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from tests.conftest import cli_env

# After a 16 MiB block is freed, is a new 8 MiB block a mapping of its own (glibc's
# IS_MMAPPED bit in the chunk header)? With glibc's dynamic threshold it is not: the free
# raised the threshold to 16 MiB, so the heap grows to hold it.
PROBE = """
import ctypes, gc, os, sys
import pyarrow as pa
if len(sys.argv) > 2:  # the user's own collector threshold
    gc.set_threshold(int(sys.argv[2]))
if sys.argv[1] == "tuned":
    from pipelines.allocators import tune_process_allocators
    tune_process_allocators()
elif sys.argv[1] == "after_sync":  # the settings come from the environment (cli_env)
    from pipelines.settings import SippetSettings
    from pipelines.sync import sync
    assert all(r.ok for r in sync(SippetSettings(), streams=["queues"]))
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(16 << 20))
block = libc.malloc(8 << 20)
mmapped = bool(ctypes.c_size_t.from_address(block - 8).value & 2)
libc.free(block)
print(mmapped, pa.default_memory_pool().backend_name, gc.get_threshold()[0],
      gc.get_freeze_count() > 1000)
"""


def _probe(mode: str, base: dict[str, str] | None = None, *, gc_threshold: int | None = None,
           **env: str) -> list[str]:
    clean = {k: v for k, v in (base or os.environ).items()
             if k not in ("MALLOC_MMAP_THRESHOLD_", "ARROW_DEFAULT_MEMORY_POOL")}
    args = [str(gc_threshold)] if gc_threshold is not None else []
    done = subprocess.run([sys.executable, "-c", PROBE, mode, *args], env={**clean, **env},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_a_sync_process_keeps_large_blocks_in_their_own_mappings_and_uses_the_system_pool(
) -> None:
    assert _probe("default") == ["False", "mimalloc", "700", "False"]
    assert _probe("tuned") == ["True", "system", "10000", "True"]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_a_users_own_allocator_and_collector_settings_are_left_as_set() -> None:
    env = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}
    assert _probe("tuned", gc_threshold=1234, **env) == ["False", "jemalloc", "1234", "True"]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_a_sync_applies_them(sim, warehouse: str) -> None:
    assert _probe("after_sync", cli_env(sim, warehouse)) == ["True", "system", "10000", "True"]
