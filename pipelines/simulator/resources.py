"""Resource views over the Store: visibility at `now` and field values per record position.

`values()` returns comparable Python values (timestamps as integer microseconds) used by
filters and sorts, with the values hidden by policy as None; `serialize()` returns JSON-ready
records (timestamps as ISO strings). Subclasses implement `raw_values()` (nothing hidden).
"""

from __future__ import annotations

import numpy as np

from . import catalogue, policy, vocab
from .catalogue import TIMESTAMP_FIELDS
from .store import Store
from .util import US, iso, uuid_str


class Resource:
    name = ""
    time_field: str | None = None  # field whose base order is sorted (bisect fast path)
    table = ""  # the Store table holding the records' columns (`hi`/`lo` are the id)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.fields = catalogue.fields(self.name)
        self.field_set = frozenset(self.fields)

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Visible record positions at `now` within base positions [lo, hi), ascending."""
        raise NotImplementedError

    def time_values(self) -> np.ndarray:
        raise NotImplementedError

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        """Values as held before policy hides any (None where the data itself has none)."""
        raise NotImplementedError

    def id_parts(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The records' ids as (hi, lo) uint64 halves."""
        cols = getattr(self.store, self.table)
        return cols["hi"][pos], cols["lo"][pos]

    def hidden(self, field: str, pos: np.ndarray) -> np.ndarray:
        """Mask over `pos`: the records whose `field` is hidden by policy (see policy.py)."""
        rate = self.store.policy_null
        if not rate or field == "id":
            return np.zeros(len(pos), dtype=bool)
        return policy.hidden(self.store.seed, rate, field, *self.id_parts(pos))

    def values(self, field: str, pos: np.ndarray, now: int) -> list:
        vals = self.raw_values(field, pos, now)
        if self.store.policy_null and field != "id" and len(pos):
            mask = self.hidden(field, pos)
            if mask.any():
                vals = [None if h else v for v, h in zip(vals, mask.tolist(), strict=True)]
        return vals

    def json_values(self, field: str, pos: np.ndarray, now: int) -> list:
        vals = self.values(field, pos, now)
        if field in TIMESTAMP_FIELDS:
            return [None if v is None else iso(v) for v in vals]
        return vals

    def serialize(self, fields: list[str], pos: np.ndarray, now: int) -> list[dict]:
        cols = [self.json_values(f, pos, now) for f in fields]
        return [dict(zip(fields, row, strict=True)) for row in zip(*cols, strict=True)]


def _uuids(hi: np.ndarray, lo: np.ndarray) -> list[str | None]:
    return [uuid_str(h, lo_) if lo_ else None for h, lo_ in zip(hi.tolist(), lo.tolist(),
                                                                strict=True)]


def _enum(names: tuple[str, ...], codes: np.ndarray) -> list[str | None]:
    return [names[c] if c >= 0 else None for c in codes.tolist()]


class CallRefs:
    """String attributes of calls, cached per call position (events of a call share them)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: dict[int, tuple[str, str, str, str]] = {}

    def get(self, index: int) -> tuple[str, str, str, str]:
        """(call id, call uuid, agent id, room id)."""
        hit = self.cache.get(index)
        if hit is None:
            c = self.store.calls
            call_id = uuid_str(int(c["hi"][index]), int(c["lo"][index]))
            agent = int(c["agent"][index])
            hit = (call_id, uuid_str(int(c["uuid_hi"][index]), int(c["uuid_lo"][index])),
                   self.store.agent_ids[agent], "room_" + call_id.replace("-", "")[:20])
            if len(self.cache) > 500_000:
                self.cache.clear()
            self.cache[index] = hit
        return hit

    def column(self, calls: np.ndarray, slot: int) -> list[str]:
        get = self.get
        return [get(i)[slot] for i in calls.tolist()]


class Calls(Resource):
    name = "Call"
    time_field = "startedAt"
    table = "calls"

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        visible = int(np.searchsorted(self.store.calls["started"], now, side="right"))
        return np.arange(lo, visible if hi is None else min(hi, visible))

    def time_values(self) -> np.ndarray:
        return self.store.calls["started"]

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        c = self.store.calls
        if field == "id":
            return _uuids(c["hi"][pos], c["lo"][pos])
        if field == "direction":
            return _enum(vocab.DIRECTIONS, c["direction"][pos])
        if field in ("fromNumber", "toNumber"):
            inbound = (c["direction"][pos] == 0).tolist()
            cust = [f"+{n}" for n in c["customer"][pos].tolist()]
            org = _enum(vocab.ORG_NUMBERS, c["org_number"][pos])
            first = field == "fromNumber"
            return [a if inb == first else b for inb, a, b in zip(inbound, cust, org, strict=True)]
        if field == "sipUsername":
            return [self.store.sip_usernames[o] if o >= 0 else None
                    for o in c["operator"][pos].tolist()]
        if field == "status":
            return self._status(pos, now)
        if field == "callUuid":
            return _uuids(c["uuid_hi"][pos], c["uuid_lo"][pos])
        if field == "callSource":
            return _enum(vocab.CALL_SOURCES, c["source"][pos])
        if field == "startedAt":
            return c["started"][pos].tolist()
        if field == "endedAt":
            return [e if e <= now else None for e in c["ended"][pos].tolist()]
        if field == "durationSeconds":
            return [None if e > now else (0 if a < 0 else (e - a) // US) for a, e in
                    zip(c["answered"][pos].tolist(), c["ended"][pos].tolist(), strict=True)]
        if field == "conversationId":
            return _uuids(c["conv_hi"][pos], c["conv_lo"][pos])
        raise KeyError(field)

    def _status(self, pos: np.ndarray, now: int) -> list[str]:
        c = self.store.calls
        out = []
        for s, a, e, f in zip(c["started"][pos].tolist(), c["answered"][pos].tolist(),
                              c["ended"][pos].tolist(), c["final"][pos].tolist(), strict=True):
            if e <= now:
                out.append(vocab.CALL_STATUSES[3 + f])
            elif now < s + 1_500_000:
                out.append("initiated")
            elif 0 <= a <= now:
                out.append("answered")
            else:
                out.append("ringing")
        return out


class Transcripts(Resource):
    name = "CallTranscript"
    time_field = "occurredAt"
    table = "lines"

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return np.flatnonzero(self.store.lines["commit"][lo:hi] <= now) + lo

    def time_values(self) -> np.ndarray:
        return self.store.lines["occ"]

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        t = self.store.lines
        if field == "id":
            return _uuids(t["hi"][pos], t["lo"][pos])
        if field == "content":
            banks = (vocab.CALLER_LINES, vocab.AGENT_LINES)
            return [banks[s][p] for s, p in zip(t["speaker"][pos].tolist(),
                                                t["phrase"][pos].tolist(), strict=True)]
        if field == "speaker":
            return _enum(vocab.SPEAKERS, t["speaker"][pos])
        if field == "itemId":
            return [f"item_{i:016x}" for i in t["item"][pos].tolist()]
        if field == "contentIndex":
            return t["content_index"][pos].tolist()
        if field == "occurredAt":
            return t["occ"][pos].tolist()
        if field == "callId":
            return self.store.call_refs.column(t["call"][pos], 0)
        raise KeyError(field)
