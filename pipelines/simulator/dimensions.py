"""Small resources served through the generic dict path: rows built per clock reading.

`RowResource` turns a `build(now)` (a list of (id hi, id lo, row)) into a Resource: policy nulls,
filters, sorts and paging then work as for every other resource. The static snapshots here
(agents, queues, phone numbers, contacts, gateways) are a few dozen rows; some appear or vanish
hours after the start so a sync meets deletes. The wallet summary is a plain object.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from . import vocab
from .generate import DAY_US, HOUR_US
from .resources import Resource
from .util import US, iso, stable_hash, uuid4_ints, uuid_parts, uuid_str

Row = tuple[int, int, dict[str, Any]]


def stable_id(seed: int, *parts: object) -> tuple[int, int]:
    return uuid4_ints(stable_hash(seed, *parts) << 64 | stable_hash(seed, *parts, "lo"))


class RowResource(Resource):
    """A resource whose rows are plain dicts rebuilt when the clock or the data moves."""

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self._cache: tuple[tuple[int, int], list[dict]] | None = None
        self._ids = (np.empty(0, np.uint64), np.empty(0, np.uint64))

    def build(self, now: int) -> list[Row]:
        raise NotImplementedError

    def rows(self, now: int) -> list[dict]:
        key = (now, self.store.version)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        built = self.build(now)
        rows = [{"id": uuid_str(hi, lo), **row} for hi, lo, row in built]
        self._ids = (np.array([b[0] for b in built], dtype=np.uint64),
                     np.array([b[1] for b in built], dtype=np.uint64))
        self._cache = (key, rows)
        return rows

    def id_parts(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._ids[0][pos], self._ids[1][pos]

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return np.arange(len(self.rows(now)))

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        if field not in self.field_set:
            raise KeyError(field)
        rows = self.rows(now)
        return [rows[i][field] for i in pos.tolist()]


class Roster(RowResource):
    """A snapshot of fixed rows, each present within [start + added h, start + removed h)."""

    #: (hours after the start it appears (None: always), hours it vanishes (None: never), row)
    def roster(self) -> list[tuple[float | None, float | None, dict[str, Any]]]:
        raise NotImplementedError

    def build(self, now: int) -> list[Row]:
        start, out = self.store.start_us, []
        for i, (added, removed, row) in enumerate(self.roster()):
            if added is not None and now < start + added * HOUR_US:
                continue
            if removed is not None and now >= start + removed * HOUR_US:
                continue
            out.append((*stable_id(self.store.seed, self.name, i), row))
        return out


AGENT_STYLE = (("alloy", "warm", ["en"]), ("verse", "efficient", ["en", "de"]),
               ("shimmer", "patient", ["en", "es"]), ("coral", "friendly", ["fr", "en"]))


class AiAgents(RowResource):
    name = "AiAgent"

    def build(self, now: int) -> list[Row]:
        out = []
        states = [s for s, _ in vocab.WORKFLOW_STATES]
        for i, (name, agent_id) in enumerate(zip(vocab.AGENT_NAMES, self.store.agent_ids,
                                                 strict=True)):
            voice, tone, languages = AGENT_STYLE[i % len(AGENT_STYLE)]
            hi, lo = uuid_parts(agent_id) or (0, 0)
            out.append((hi, lo, {
                "name": name, "voice": voice, "tone": tone, "languages": list(languages),
                "workflow": {"states": states[: 3 + i], "entry": states[0]},
                "systemPrompt": f"You are {name}, a {tone} voice assistant. Be brief.",
                "safetyGuardrails": {"blockedTopics": ["medical", "legal"][: 1 + i % 2],
                                     "maxCallMinutes": 20 + 5 * i},
                "published": i != 3}))
        return out


QUEUE_NAMES = ("support", "sales", "billing", "priority")


class Queues(Roster):
    name = "Queue"

    def roster(self) -> list[tuple[float | None, float | None, dict[str, Any]]]:
        rows = [(None, 2.0 if name == "billing" else None, {
            "queueName": name, "strategy": ("ring-all", "longest-idle-agent", "round-robin",
                                            "top-down")[i], "mohSound": f"local_stream://{name}",
            "maxWaitTime": 120 + 60 * i}) for i, name in enumerate(QUEUE_NAMES)]
        rows.append((5.0, None, {"queueName": "callbacks", "strategy": "ring-all",
                                 "mohSound": None, "maxWaitTime": 600}))
        return rows


class PhoneNumbers(Roster):
    name = "PhoneNumber"

    def roster(self) -> list[tuple[float | None, float | None, dict[str, Any]]]:
        labels = ("London main", "London support", "San Francisco", "Paris")
        rows: list[tuple[float | None, float | None, dict[str, Any]]] = [
            (None, None, {"phoneE164": n, "label": label})
            for n, label in zip(vocab.ORG_NUMBERS, labels, strict=True)]
        rows.append((None, 3.0, {"phoneE164": "+4915112345678", "label": "Berlin trial"}))
        rows.append((8.0, None, {"phoneE164": "+34911234567", "label": "Madrid"}))
        return rows


FIRST = ("Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hugo", "Iris", "Jon")
LAST = ("Lovelace", "Okoro", "Nguyen", "Patel", "Schmidt")


class Contacts(Roster):
    name = "Contact"

    def roster(self) -> list[tuple[float | None, float | None, dict[str, Any]]]:
        rows: list[tuple[float | None, float | None, dict[str, Any]]] = []
        for i in range(25):
            first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
            rows.append((None if i < 22 else 4.0 * (i - 21), 6.0 if i == 3 else None, {
                "fullName": f"{first} {last}", "email": f"{first}.{last}{i}@example.com".lower(),
                "phoneE164": f"+4477009{i:05d}", "notes": "VIP" if i % 7 == 0 else None}))
        return rows


class Gateways(Roster):
    name = "Gateway"

    def roster(self) -> list[tuple[float | None, float | None, dict[str, Any]]]:
        return [(None, None, {
            "name": name, "provider": provider, "username": f"sippet-{i}", "realm": realm,
            "proxy": f"sip:{realm}:5060", "register": i != 2, "fromDomain": realm,
            "fromUser": f"sippet-{i}", "inboundAcl": "carrier-acl" if i else None,
            "password": f"secret-{stable_hash(self.store.seed, 'gw', i):x}"})
            for i, (name, provider, realm) in enumerate((
                ("Primary trunk", "twilio", "sippet.pstn.twilio.com"),
                ("EU trunk", "telnyx", "sip.telnyx.eu"),
                ("Lab PBX", "asterisk", "pbx.lab.internal")))]


def wallet_summary(store: Any, now: int) -> dict[str, str]:
    """Balance = top-ups - spend; spend is 1.2 cents per minute of every ended call."""
    c = store.calls
    visible = int(np.searchsorted(c["started"], now, side="right"))
    ended = c["ended"][:visible]
    minutes = (ended - c["started"][:visible]) / (60 * US)
    cost = np.where(ended <= now, minutes * 0.012, 0.0)
    day = now - now % DAY_US
    month = day - (int(iso(day)[8:10]) - 1) * DAY_US
    top_ups = 1000 + 500 * ((now - store.origin_us) // (7 * DAY_US))

    def money(value: float) -> str:
        return str(Decimal(repr(float(value))).quantize(Decimal("0.000001")))

    return {"balanceUsd": money(top_ups - cost.sum()), "currency": "USD",
            "spentTodayUsd": money(cost[ended >= day].sum()),
            "spentThisMonthUsd": money(cost[ended >= month].sum()), "updatedAt": iso(now)}
