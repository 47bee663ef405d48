"""Record and page hazards applied to an outgoing response (never to the stored data).

Record hazards pick records by a hash of (seed, kind, id): the same records are affected on
every read while the fault is on, and served valid again once it is off. Values that JSON
cannot express (NaN, a lone surrogate escape) are planted as sentinels and substituted in the
serialized bytes.
"""

from __future__ import annotations

import random
from typing import Any

from .config import FaultConfig
from .util import unit_hash

NAN_SENTINEL = "__sim_nan__"
SURROGATE_SENTINEL = "__sim_surrogate__"
TIMESTAMPS = ("occurredAt", "startedAt", "endedAt")
NUMBERS = ("inputTokens", "totalTokens", "progressPercent", "durationSeconds", "contentIndex",
           "outputTokens", "stepIndex")
STRINGS = ("content", "error", "stateLabel", "toolArgumentsRaw", "agentName", "callSource",
           "fromNumber", "model", "eventType", "speaker", "status")
HUGE = 10 * 1024 * 1024


def _hit(seed: int, kind: str, rate: float, rec: dict) -> bool:
    return rate > 0 and unit_hash(seed, kind, rec.get("id")) < rate


def _first(rec: dict, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in rec), None)


def apply_record_hazards(records: list[dict], f: FaultConfig, seed: int, future: str) -> bool:
    """Mutate records in place; True when sentinels need substituting in the bytes."""
    sentinels = False
    for rec in records:
        if _hit(seed, "poison", f.poison, rec):
            _poison(rec, seed)
        if _hit(seed, "extra_field", f.extra_field, rec):
            rec["sentimentScore"] = 0.87
        if _hit(seed, "missing_field", f.missing_field, rec) and len(rec) > 1:
            rec.pop(next(k for k in reversed(rec) if k != "id"))
        if _hit(seed, "nan", f.nan, rec) and (name := _first(rec, NUMBERS)):
            rec[name], sentinels = NAN_SENTINEL, True
        if _hit(seed, "control_chars", f.control_chars, rec) and (name := _first(rec, STRINGS)):
            rec[name] = f"{rec[name] or ''}\u0000\u001b[31m{SURROGATE_SENTINEL}"
            sentinels = True
        if _hit(seed, "naive_timestamp", f.naive_timestamp, rec):
            for name in TIMESTAMPS:
                if isinstance(rec.get(name), str):
                    rec[name] = rec[name].rstrip("Z")
        if _hit(seed, "future_timestamp", f.future_timestamp, rec) and (
                name := _first(rec, TIMESTAMPS)):
            rec[name] = future
        if _hit(seed, "null_required", f.null_required, rec):
            name = "id" if unit_hash(seed, "null_which", rec.get("id")) < 0.5 else (
                _first(rec, ("occurredAt", "startedAt")) or "id")
            if name in rec:
                rec[name] = None
    return sentinels


def _poison(rec: dict, seed: int) -> None:
    """One field of the wrong type: a string where a number or an instant belongs."""
    options = [(n, "12k") for n in NUMBERS if n in rec]
    options += [(n, "yesterday") for n in TIMESTAMPS if n in rec]
    options += [(n, 12345) for n in ("content", "status", "eventType", "speaker") if n in rec]
    if not options:
        rec["id"] = 12345
        return
    name, bad = options[int(unit_hash(seed, "poison_field", rec.get("id")) * len(options))]
    rec[name] = bad


def substitute(body: bytes) -> bytes:
    return (body.replace(f'"{NAN_SENTINEL}"'.encode(), b"NaN")
            .replace(SURROGATE_SENTINEL.encode(), b"\\ud800"))


def apply_huge_string(records: list[dict], f: FaultConfig, rng: random.Random) -> None:
    if f.huge_string and records and "content" in records[0] and rng.random() < f.huge_string:
        line = "Ünïcode ☎ long line. " * (HUGE // 24)
        records[rng.randrange(len(records))]["content"] = line


def apply_page_hazards(data: dict[str, Any], f: FaultConfig, rng: random.Random,
                       request_after: str | None) -> str | None:
    """Mutates a page envelope; returns the name of the hazard applied, if any."""
    if f.empty_has_more and rng.random() < f.empty_has_more:
        data["results"], data["hasMore"] = [], True
        if data["type"] == "keyset":
            data["previousPage"] = data["nextPage"] = None
        return "empty_has_more"
    if f.repeat_cursor and data["type"] == "keyset" and rng.random() < f.repeat_cursor:
        data["nextPage"] = request_after or data["previousPage"]
        data["hasMore"] = True
        return "repeat_cursor"
    return None
