"""Policy nulls: "a field hidden by policy comes back null" (SIPPET_API.md).

Unlike the record hazards this is part of the data the API holds: filters, sorts, cursors,
counts and `ground_truth()` all see the null. A value is hidden when a hash of
(seed, field, record id) falls below the rate, so the same (record, field) pairs are hidden on
every read and raising the rate only adds hidden values. The hash is a vectorized splitmix64
over the id's two 64-bit halves (a per-value Python hash would cost ~1 µs, too slow for a
bisected range over a million events); `id` itself is never hidden.
"""

from __future__ import annotations

import numpy as np

from .util import stable_hash

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def unit(seed: int, field: str, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """A float in [0, 1) per record id, stable for (seed, field, id)."""
    salt = np.uint64(stable_hash(seed, "policy_null", field))
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps by design
        z = _mix(hi.astype(np.uint64) ^ salt)
        z = _mix((z + _GOLDEN) ^ lo.astype(np.uint64))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def hidden(seed: int, rate: float, field: str, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Boolean mask: which of these records have `field` hidden at `rate`."""
    if rate <= 0 or field == "id" or len(hi) == 0:
        return np.zeros(len(hi), dtype=bool)
    return unit(seed, field, hi, lo) < rate
