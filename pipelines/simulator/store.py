"""The dataset: compact numpy columns grown chunk by chunk as the clock moves.

Lines, events and operator events are kept physically sorted by (time, id) so a time-range
filter is a bisect; calls stay in generation order (also (startedAt, id) order) because lines
and events reference them by position.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any

import numpy as np

from . import generate, vocab
from .generate import DAY_US, HOUR_US, Chunk
from .util import US, stable_hash, uuid4_ints, uuid_str

_ASCII = str.maketrans("éüøóíá", "euooia")


def _to_numpy(columns: dict) -> dict[str, np.ndarray]:
    return {name: np.frombuffer(col, dtype=col.typecode).copy() if len(col) else
            np.empty(0, dtype=np.dtype(col.typecode)) for name, col in columns.items()}


def _trim_heap() -> None:
    """Hand the generator's freed scratch memory back to the OS (glibc keeps it otherwise,
    which would double the resident size of a big dataset)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _sort(merged: dict[str, np.ndarray], time_col: str) -> dict[str, np.ndarray]:
    order = np.lexsort((merged["lo"], merged["hi"], merged[time_col]))
    if np.all(order[1:] > order[:-1]):
        return merged
    return {k: v[order] for k, v in merged.items()}


class Operators:
    """The ~20 human operators: stable ids per seed, and when some of them leave."""

    COUNT = 20

    def __init__(self, seed: int, start_us: int) -> None:
        def uid(*parts: object) -> tuple[int, int]:
            return uuid4_ints(stable_hash(seed, *parts) << 64 | stable_hash(seed, *parts, "lo"))

        self.status_ids = [uid("operator", i) for i in range(self.COUNT)]
        self.sip_user_ids = [uid("sip_user", i) for i in range(self.COUNT)]
        self.user_ids = [uid("user", i) for i in range(self.COUNT)]
        self.supervisor_ids = [uid("supervisor", i) for i in range(3)]
        # operators 16..19 leave: one before the start, the others as time goes by
        offsets = {16: -3 * DAY_US, 17: HOUR_US, 18: 6 * HOUR_US, 19: 2 * DAY_US}
        self.removed_at = {op: start_us + off for op, off in offsets.items()}


class Store:
    """All generated chunks, merged. Not thread-safe: the Simulator holds a lock around it."""

    def __init__(self, seed: int, scale: int, days: int, start_us: int) -> None:
        self.seed, self.days, self.start_us = seed, days, start_us
        self.origin_us = start_us - days * DAY_US
        self.per_day = generate.calls_per_day(scale, days)
        self.operators = Operators(seed, start_us)
        self.chunks = 0
        self.org_id = uuid_str(*uuid4_ints(stable_hash(seed, "org") << 64 | stable_hash(seed)))
        self.agent_ids = [uuid_str(*uuid4_ints(stable_hash(seed, "agent", i) << 64 |
                                               stable_hash(seed, "agent-lo", i)))
                          for i in range(len(vocab.AGENT_NAMES))]
        self.sip_usernames = ["op." + name.split()[0].lower().translate(_ASCII)
                              for name in vocab.OPERATOR_NAMES]
        self.call_refs: Any = None  # set by the Simulator (resources.CallRefs)
        self.calls: dict[str, np.ndarray] = {}
        self.lines: dict[str, np.ndarray] = {}
        self.events: dict[str, np.ndarray] = {}
        self.opev: dict[str, np.ndarray] = {}
        self.version = 0  # bumped on every growth: invalidates query caches
        # share of non-id values hidden by policy (policy.py); a change bumps `version` too
        self.policy_null = 0.0

    def set_policy_null(self, rate: float) -> None:
        self.policy_null = rate
        self.version += 1

    def _anchors(self, k: int) -> list[tuple[int, int]]:
        """Long calls started 3-6 hours before the start, still running at the start."""
        if k != self.days - 1:
            return []
        jitter = stable_hash(self.seed, "anchors") % US
        return [(self.start_us - int(h * HOUR_US) + jitter, talk * 60)
                for h, talk in ((5.5, 410), (4.2, 300), (3.1, 215))]

    def ensure(self, now_us: int) -> None:
        """Generate every chunk whose calls may have started by `now_us`."""
        needed = (now_us - self.origin_us) // DAY_US + 1
        if needed <= self.chunks:
            return
        parts: list[Chunk] = []
        offset = len(self.calls.get("hi", ()))
        for k in range(self.chunks, needed):
            chunk = generate.generate_chunk(self.seed, k, self.origin_us, self.per_day, offset,
                                            self._anchors(k))
            offset += len(chunk.calls["hi"])
            parts.append(chunk)
        self.chunks = needed
        self._absorb(parts)
        del parts
        self.version += 1
        _trim_heap()

    def _absorb(self, parts: list[Chunk]) -> None:
        """Merge new chunks in one concatenation and one sort per table (merging chunk by
        chunk would copy the tables once per chunk)."""
        for table in ("calls", "lines", "events", "opev"):
            new = [_to_numpy(getattr(p, table)) for p in parts]
            for p in parts:
                setattr(p, table, None)  # free the array.array buffers early
            old = getattr(self, table)
            columns = {k: np.concatenate(([old[k]] if old else []) + [n[k] for n in new])
                       for k in new[0]}
            del new
            # calls keep generation order: lines and events point at them by position
            setattr(self, table, columns if table == "calls" else _sort(columns, "occ"))

    def nbytes(self) -> int:
        return sum(a.nbytes for t in (self.calls, self.lines, self.events, self.opev)
                   for a in t.values())


__all__ = ["US", "Operators", "Store"]
