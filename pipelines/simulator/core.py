"""The Simulator: dataset + clock + faults + request log, thread-safe."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

from .callside import CallParticipants, CallQueueEntries, ConversationItems, Conversations
from .config import RATE_NAMES, FaultConfig, SimulatorConfig
from .dimensions import AiAgents, Contacts, Gateways, PhoneNumbers, Queues, wallet_summary
from .engine import Matcher
from .events import AuditEvents
from .operators import OperatorStatuses, OperatorStatusEvents
from .resources import CallRefs, Calls, Resource, Transcripts
from .store import Store
from .util import US, from_us, stable_hash, to_us, uuid4_ints, uuid_str

_NO_FAULTS = FaultConfig()

RESOURCES = ("Call", "CallTranscript", "CallAiAuditEvent", "OperatorStatusEvent",
             "OperatorStatus", "AiAgent", "Queue", "PhoneNumber", "Conversation",
             "ConversationItem", "CallQueueEntry", "CallParticipant", "Contact", "Gateway")
LOG_CAP = 200_000


class Simulator:
    """A deterministic, time-moving Sippet dataset. All public methods are thread-safe."""

    def __init__(self, config: SimulatorConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = SimulatorConfig(**overrides)
        elif overrides:
            config = config.model_copy(update=overrides)
        self.config = config
        self.lock = threading.RLock()
        start_us = to_us(config.resolved_start())
        self._clock_us = start_us
        self._live_offset_us = start_us - int(time.time() * US) if config.live else 0
        self.store = Store(config.seed, config.scale, config.days, start_us)
        self.store.call_refs = CallRefs(self.store)
        self.store.policy_null = config.policy_null
        events = OperatorStatusEvents(self.store)
        self.resources: dict[str, Resource] = {
            "Call": Calls(self.store), "CallTranscript": Transcripts(self.store),
            "CallAiAuditEvent": AuditEvents(self.store), "OperatorStatusEvent": events,
            "OperatorStatus": OperatorStatuses(self.store, events)}
        for kind in (AiAgents, Queues, PhoneNumbers, Conversations, ConversationItems,
                     CallQueueEntries, CallParticipants, Contacts, Gateways):
            self.resources[kind.name] = kind(self.store)
        self.matcher = Matcher()
        self._faults = config.faults.model_copy()
        self._request_scope = threading.local()
        self._action_requests: dict[Any, int] = {}
        self.request_log: list[dict[str, Any]] = []
        self.stats: dict[str, Any] = _empty_stats()
        self.request_counter = 0
        self.latency_counter = 0
        self.user = {"id": uuid_str(*uuid4_ints(stable_hash(config.seed, "me") << 64)),
                     "fullName": "Warehouse Sync (simulator)",
                     "email": "warehouse-sync@sippet.example", "sipUsername": None}
        self.store.ensure(self.now_us)

    # ---- clock ----------------------------------------------------------------------
    @property
    def now_us(self) -> int:
        with self.lock:
            if self.config.live:
                # whole seconds so repeated page reads share the cached match
                now = (int(time.time() * US) + self._live_offset_us) // US * US
            else:
                now = self._clock_us
            self.store.ensure(now)
            return now

    @property
    def now(self) -> datetime:
        return from_us(self.now_us)

    def advance(self, minutes: float = 0, *, seconds: float = 0, hours: float = 0) -> datetime:
        delta = int(((hours * 60 + minutes) * 60 + seconds) * US)
        if delta < 0:
            raise ValueError("the clock only moves forward")
        with self.lock:
            self._clock_us += delta
            self._live_offset_us += delta
            return self.now

    def advance_to(self, dt: datetime) -> datetime:
        with self.lock:
            return self.advance(seconds=(to_us(dt) - self.now_us) / US)

    # ---- faults ---------------------------------------------------------------------
    @property
    def faults(self) -> FaultConfig:
        """The faults of the request this thread is answering (see `scope_faults`)."""
        scoped = getattr(self._request_scope, "faults", None)
        return self._faults if scoped is None else scoped

    def scope_faults(self, action: Any) -> None:
        """Called once per RPC request, on its thread: faults aimed at another action, or
        at a later request of this one, do not apply to it."""
        target = self._faults.only_action
        if target is None:
            self._request_scope.faults = None
            return
        with self.lock:
            count = self._action_requests[action] = self._action_requests.get(action, 0) + 1
        hit = action == target and count > self._faults.only_after
        self._request_scope.faults = None if hit else _NO_FAULTS

    def set_faults(self, **rates: float) -> FaultConfig:
        """Change some fault rates/parameters; `set_faults()` with `reset=True` clears all."""
        with self.lock:
            base = FaultConfig() if rates.pop("reset", False) else self._faults
            self._faults = FaultConfig(**{**base.model_dump(), **rates})
            self._action_requests = {}
            return self._faults

    def clear_faults(self) -> FaultConfig:
        return self.set_faults(reset=True)

    # ---- policy nulls -----------------------------------------------------------------
    @property
    def policy_null(self) -> float:
        return self.store.policy_null

    def set_policy_null(self, rate: float) -> float:
        """Hide this share (0..1) of every non-id field's values from now on (see policy.py).
        Stable per (record, field): raising the rate only hides more values."""
        rate = float(rate)
        if not 0 <= rate <= 1:
            raise ValueError(f"policy_null must be within 0..1, got {rate}")
        with self.lock:
            self.config = self.config.model_copy(update={"policy_null": rate})
            self.store.set_policy_null(rate)
            return rate

    # ---- network latency --------------------------------------------------------------
    def set_latency(self, latency_ms: float | None = None, jitter_ms: float | None = None
                    ) -> tuple[float, float]:
        """Change the per-request latency and/or jitter (ms); returns both as now set."""
        update = {k: float(v) for k, v in (("latency_ms", latency_ms), ("jitter_ms", jitter_ms))
                  if v is not None}
        if any(v < 0 for v in update.values()):
            raise ValueError(f"latency must be >= 0 ms, got {update}")
        with self.lock:
            self.config = self.config.model_copy(update=update)
            return self.config.latency_ms, self.config.jitter_ms

    def draw_latency(self) -> float:
        """Seconds to hold the next RPC request: latency + uniform jitter from an RNG seeded by
        (seed, n-th request), its own counter so the fault draws stay as they were."""
        with self.lock:
            base, jitter = self.config.latency_ms, self.config.jitter_ms
            if not base and not jitter:
                return 0.0
            self.latency_counter += 1
            rng = random.Random(stable_hash(self.config.seed, "latency", self.latency_counter))
        return (base + rng.uniform(0, jitter)) / 1000

    # ---- data -----------------------------------------------------------------------
    def ground_truth(self, resource: str) -> list[dict[str, Any]]:
        """Every visible record with all fields, serialized as the API would, sorted by id."""
        res = self.resources[resource]
        with self.lock:
            now = self.now_us
            pos = res.positions(now)
            rows = res.serialize(res.fields, pos, now)
        rows.sort(key=lambda r: r["id"])
        return rows

    def wallet_summary(self) -> dict[str, str]:
        """The organisation's wallet as `organisation_wallet_summary` returns it now."""
        with self.lock:
            return wallet_summary(self.store, self.now_us)

    def counts(self) -> dict[str, int]:
        with self.lock:
            now = self.now_us
            return {name: len(res.positions(now)) for name, res in self.resources.items()}

    def memory_bytes(self) -> int:
        return self.store.nbytes()

    # ---- request log ----------------------------------------------------------------
    def next_request(self) -> int:
        with self.lock:
            self.request_counter += 1
            return self.request_counter

    def log(self, entry: dict[str, Any]) -> None:
        with self.lock:
            if len(self.request_log) >= LOG_CAP:
                del self.request_log[: LOG_CAP // 2]
            self.request_log.append(entry)
            s = self.stats
            action = entry.get("action")
            s["requests"] += 1
            s["requests_per_action"][str(action)] += 1
            s["status_codes"][str(entry["status_code"])] += 1
            s["bytes_served"] += entry["bytes"]
            s["rows_served"] += entry["rows"]
            page = entry.get("page")
            if isinstance(page, dict):
                limit = page.get("limit")
                if isinstance(limit, int) and not isinstance(limit, bool):
                    s["max_page_limit"] = max(s["max_page_limit"] or 0, limit)
                if action == "list_calls":
                    s["list_calls_paged"] = True
            if entry.get("fault"):
                s["faults"][entry["fault"]] += 1

    def stats_summary(self) -> dict[str, Any]:
        with self.lock:
            s = dict(self.stats)
            for key in ("requests_per_action", "status_codes", "faults"):
                s[key] = dict(s[key])
            s["now"] = self.now.isoformat().replace("+00:00", "Z")
            s["fault_rates"] = {k: v for k, v in self._faults.model_dump().items()
                                if k in RATE_NAMES and v}
            s["policy_null"] = self.store.policy_null
            s["latency_ms"], s["jitter_ms"] = self.config.latency_ms, self.config.jitter_ms
            return s


def _empty_stats() -> dict[str, Any]:
    return {"requests": 0, "requests_per_action": Counter(), "status_codes": Counter(),
            "max_page_limit": None, "list_calls_paged": False, "bytes_served": 0,
            "rows_served": 0, "faults": Counter()}


__all__ = ["RESOURCES", "Simulator"]
