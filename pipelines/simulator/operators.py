"""Operator status events (no timestamp exposed, random ids) and the current-status snapshot."""

from __future__ import annotations

import numpy as np

from . import vocab
from .resources import Resource, _enum, _uuids
from .util import uuid_str


class OperatorStatusEvents(Resource):
    name = "OperatorStatusEvent"
    table = "opev"

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        # physically sorted by occurrence: everything up to `now` is visible
        return np.arange(int(np.searchsorted(self.store.opev["occ"], now, side="right")))

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        o, ops = self.store.opev, self.store.operators
        if field == "id":
            return _uuids(o["hi"][pos], o["lo"][pos])
        if field == "sipUserId":
            return [uuid_str(*ops.sip_user_ids[i]) for i in o["operator"][pos].tolist()]
        if field == "agentName":
            return [vocab.OPERATOR_NAMES[i] for i in o["operator"][pos].tolist()]
        if field == "status":
            return _enum(vocab.OPERATOR_STATUSES, o["status"][pos])
        if field == "source":
            return _enum(vocab.OPERATOR_SOURCES, o["source"][pos])
        if field == "changedByUserId":
            return [self._changed_by(c, op) for c, op in zip(
                o["changed_by"][pos].tolist(), o["operator"][pos].tolist(), strict=True)]
        raise KeyError(field)

    def _changed_by(self, code: int, op: int) -> str | None:
        ops = self.store.operators
        if code == -1:
            return None
        return uuid_str(*(ops.user_ids[op] if code == -2 else ops.supervisor_ids[code]))

    def latest(self, now: int) -> dict[int, int]:
        """operator -> position of its latest visible event."""
        ops = self.store.opev["operator"][: len(self.positions(now))].tolist()
        return {op: i for i, op in enumerate(ops)}


class OperatorStatuses(Resource):
    """One row per operator still present: its latest status event, with the operator's id.
    Policy hides values by the status row's own id (not the event's)."""

    name = "OperatorStatus"

    def __init__(self, store, events: OperatorStatusEvents) -> None:
        super().__init__(store)
        self.events = events
        self._cache: tuple[tuple[int, int], list[dict]] | None = None
        self._ids = (np.empty(0, np.uint64), np.empty(0, np.uint64))

    def _rows(self, now: int) -> list[dict]:
        key = (now, self.store.version)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        ops = self.store.operators
        latest = {op: p for op, p in self.events.latest(now).items()
                  if ops.removed_at.get(op, now + 1) > now}
        ev_pos = np.array(list(latest.values()), dtype=np.int64)
        fields = ["sipUserId", "agentName", "status", "source", "changedByUserId"]
        # raw values: the events' own hidden values are not the status rows'
        cols = [self.events.raw_values(f, ev_pos, now) for f in fields]
        rows = [dict(zip(fields, vals, strict=True)) for vals in zip(*cols, strict=True)]
        for op, row in zip(latest, rows, strict=True):
            row["id"] = uuid_str(*ops.status_ids[op])
        order = sorted(range(len(rows)), key=lambda i: rows[i]["id"])
        rows = [rows[i] for i in order]
        parts = [ops.status_ids[op] for op in latest]
        # values() reads raw values (which refreshes this cache) before the ids it hides by
        self._ids = (np.array([parts[i][0] for i in order], dtype=np.uint64),
                     np.array([parts[i][1] for i in order], dtype=np.uint64))
        self._cache = (key, rows)
        return rows

    def id_parts(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._ids[0][pos], self._ids[1][pos]

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return np.arange(len(self._rows(now)))

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        if field not in self.field_set:
            raise KeyError(field)
        rows = self._rows(now)
        return [rows[i][field] for i in pos.tolist()]
