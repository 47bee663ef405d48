"""Small fast helpers: uuid strings from ints, ISO timestamps from microseconds, hashing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

US = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MASK64 = (1 << 64) - 1


def to_us(dt: datetime) -> int:
    """Aware datetime -> integer microseconds since the epoch (exact, no float rounding)."""
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


_SECOND_CACHE: dict[int, str] = {}


def iso(us: int) -> str:
    """Microseconds -> `2026-11-01T12:00:00.123456Z`. Caches the per-second prefix because a
    page of records usually shares few seconds and strftime dominates otherwise."""
    sec, frac = divmod(us, US)
    prefix = _SECOND_CACHE.get(sec)
    if prefix is None:
        if len(_SECOND_CACHE) > 200_000:
            _SECOND_CACHE.clear()
        prefix = (EPOCH + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S")
        _SECOND_CACHE[sec] = prefix
    return f"{prefix}.{frac:06d}Z"


def parse_instant(value: object) -> int | None:
    """An ISO-8601 string with `Z` or an offset -> microseconds; None when not an instant.
    Naive strings are read as UTC (lenient, like a Postgres timestamptz cast)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return to_us(dt)


def uuid_str(hi: int, lo: int) -> str:
    h = f"{hi:016x}{lo:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid_parts(text: str) -> tuple[int, int] | None:
    """Inverse of uuid_str; None when the text is not a uuid."""
    h = text.replace("-", "")
    if len(h) != 32:
        return None
    try:
        n = int(h, 16)
    except ValueError:
        return None
    return n >> 64, n & _MASK64


def uuid4_ints(bits: int) -> tuple[int, int]:
    """128 random bits -> (hi, lo) with the uuid4 version/variant bits set."""
    hi = (bits >> 64) & _MASK64
    lo = bits & _MASK64
    hi = (hi & ~(0xF << 12)) | (0x4 << 12)
    lo = (lo & ~(0x3 << 62)) | (0x2 << 62)
    return hi, lo


def stable_hash(*parts: object) -> int:
    """A 64-bit hash stable across processes (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit_hash(*parts: object) -> float:
    """stable_hash mapped to [0, 1)."""
    return stable_hash(*parts) / 2.0**64
