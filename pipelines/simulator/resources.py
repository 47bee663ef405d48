"""Resource views over the Store: visibility at `now` and field values per record position.

`values()` returns comparable Python values (timestamps as integer microseconds) used by
filters and sorts; `serialize()` returns JSON-ready records (timestamps as ISO strings).
"""

from __future__ import annotations

import numpy as np

from pipelines.models import RESOURCE_MODELS, api_fields

from . import vocab
from .store import Store
from .util import US, iso, uuid_str

TIMESTAMP_FIELDS = frozenset({"occurredAt", "startedAt", "endedAt"})


class Resource:
    name = ""
    time_field: str | None = None  # field whose base order is sorted (bisect fast path)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.fields = api_fields(RESOURCE_MODELS[self.name])
        self.field_set = frozenset(self.fields)

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Visible record positions at `now` within base positions [lo, hi), ascending."""
        raise NotImplementedError

    def time_values(self) -> np.ndarray:
        raise NotImplementedError

    def values(self, field: str, pos: np.ndarray, now: int) -> list:
        raise NotImplementedError

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

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        visible = int(np.searchsorted(self.store.calls["started"], now, side="right"))
        return np.arange(lo, visible if hi is None else min(hi, visible))

    def time_values(self) -> np.ndarray:
        return self.store.calls["started"]

    def values(self, field: str, pos: np.ndarray, now: int) -> list:
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

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return np.flatnonzero(self.store.lines["commit"][lo:hi] <= now) + lo

    def time_values(self) -> np.ndarray:
        return self.store.lines["occ"]

    def values(self, field: str, pos: np.ndarray, now: int) -> list:
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
