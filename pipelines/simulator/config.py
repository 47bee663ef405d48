"""Configuration of the simulator: data size, clock and fault rates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCALE_PRESETS: dict[str, int] = {
    "tiny": 2_000,
    "small": 20_000,
    "demo": 100_000,
    "bench": 1_000_000,
}

DEFAULT_START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def resolve_scale(scale: int | str) -> int:
    """A preset name or an int (also "250000" or "5e6") -> approximate audit event count."""
    if isinstance(scale, int):
        return max(1, scale)
    if scale in SCALE_PRESETS:
        return SCALE_PRESETS[scale]
    try:
        return max(1, int(float(scale)))
    except ValueError:
        presets = sorted(SCALE_PRESETS)
        raise ValueError(f"unknown scale {scale!r}: use {presets} or an int") from None


class FaultConfig(BaseModel):
    """Fault rates in 0..1. Transport faults are drawn per request; record hazards per record
    (chosen by id hash, so the same records are affected on every read)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # transport / envelope faults, probability per request
    rate_limit: float = Field(0.0, ge=0, le=1)
    server_error: float = Field(0.0, ge=0, le=1)
    drop: float = Field(0.0, ge=0, le=1)
    slow: float = Field(0.0, ge=0, le=1)
    hang: float = Field(0.0, ge=0, le=1)
    internal_error: float = Field(0.0, ge=0, le=1)
    malformed: float = Field(0.0, ge=0, le=1)
    # record hazards, probability per record
    poison: float = Field(0.0, ge=0, le=1)
    extra_field: float = Field(0.0, ge=0, le=1)
    missing_field: float = Field(0.0, ge=0, le=1)
    nan: float = Field(0.0, ge=0, le=1)
    null_required: float = Field(0.0, ge=0, le=1)
    control_chars: float = Field(0.0, ge=0, le=1)
    naive_timestamp: float = Field(0.0, ge=0, le=1)
    future_timestamp: float = Field(0.0, ge=0, le=1)
    # huge_string: probability per transcript page that one line is ~10 MB
    huge_string: float = Field(0.0, ge=0, le=1)
    # page hazards, probability per paginated response
    empty_has_more: float = Field(0.0, ge=0, le=1)
    repeat_cursor: float = Field(0.0, ge=0, le=1)
    too_many_rows: float = Field(0.0, ge=0, le=1)
    # parameters of the faults above
    retry_after_seconds: float = Field(1.0, ge=0)
    slow_seconds: float = Field(2.0, ge=0)
    hang_seconds: float = Field(120.0, ge=0)
    # scope: with `only_action` set, the faults above hit only that action's requests, from
    # its (`only_after` + 1)-th request on (counted from this setting): a fault mid-walk
    # of one stream, however many requests other streams send meanwhile
    only_action: str | None = None
    only_after: int = Field(0, ge=0)

    def active(self) -> dict[str, float]:
        """The non-zero rates (parameters excluded)."""
        return {k: v for k, v in self.model_dump().items() if k in RATE_NAMES and v > 0}


RATE_NAMES: tuple[str, ...] = tuple(
    name for name in FaultConfig.model_fields
    if not name.endswith("_seconds") and not name.startswith("only_")
)


class SimulatorConfig(BaseModel):
    """Everything that determines the simulated dataset and its behaviour."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    seed: int = 7
    scale: int = SCALE_PRESETS["tiny"]
    days: int = Field(30, ge=1, le=3650)
    live: bool = False
    start: datetime | None = None
    api_key: str = "sk_sim_demo_key"
    default_page_type: str = "offset"
    faults: FaultConfig = Field(default_factory=FaultConfig)
    shifting_rows: float = Field(0.0, ge=0, le=1)
    max_page_size: int = 250
    # share of the values of every non-id field hidden by policy (served as null), per
    # (record, field); part of the data: filters, sorts, counts and ground_truth() see it
    policy_null: float = Field(0.0, ge=0, le=1)
    # network model: every RPC request is answered after latency_ms + uniform(0, jitter_ms),
    # drawn per request from an RNG seeded by (seed, request counter); requests on other
    # connections are served meanwhile (one thread per connection)
    latency_ms: float = Field(0.0, ge=0)
    jitter_ms: float = Field(0.0, ge=0)

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> int:
        return resolve_scale(value)

    @field_validator("default_page_type")
    @classmethod
    def _page_type(cls, value: str) -> str:
        if value not in ("offset", "keyset"):
            raise ValueError("default_page_type must be 'offset' or 'keyset'")
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def resolved_start(self) -> datetime:
        """The instant the history ends and the clock starts."""
        if self.start is not None:
            return self.start
        return datetime.now(UTC) if self.live else DEFAULT_START
