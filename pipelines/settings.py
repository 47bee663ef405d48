"""Sync settings, read from `SIPPET_*` environment variables (and `.env`) when instantiated.

Nothing here reads the environment at import time: `SippetSettings()` does, so tests and
Dagster resources construct settings when they need them. The API key is a `SecretStr`, so
it never shows in a repr, a log line or the Dagster UI.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import AwareDatetime, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as _SourceError

from pipelines.errors import AuthenticationError

# How far behind its cursor each incremental stream re-reads, because rows are committed
# after the time they describe (transcripts, audit events) or change after first sight (calls).
DEFAULT_LOOKBACK_MINUTES: dict[str, int] = {
    "calls": 180,
    "call_transcripts": 90,
    "call_ai_audit_events": 90,
}

# The server's maximum page size is most likely 250 (Ash's default); above it the server can
# answer max+1 rows with hasMore=false, silently losing data.
MAX_PAGE_SIZE = 250


class SippetSettings(BaseSettings):
    """Everything the sync needs to reach the API and the warehouse."""

    model_config = SettingsConfigDict(
        env_prefix="SIPPET_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    base_url: str = Field("https://api.sippet.ai", description="API origin, without /rpc.")
    api_key: SecretStr | None = Field(None, description="Secret API key (sk_...).")
    page_size: int = Field(250, ge=1, le=MAX_PAGE_SIZE, description="Rows per page requested.")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to establish a connection.")
    read_timeout: float = Field(60.0, gt=0, description="Seconds to wait for response bytes.")
    max_attempts: int = Field(6, ge=1, description="HTTP attempts per request, first included.")
    retry_budget_seconds: float = Field(
        120.0, gt=0, description="Total time one request may spend retrying."
    )
    max_retry_after_seconds: float = Field(
        60.0, ge=0, description="Longest server-requested Retry-After honoured before failing."
    )
    verify_tls: bool = Field(True, description="Verify the server's TLS certificate.")
    warehouse: str = Field(
        "data/warehouse.duckdb", description="DuckDB target (file path or ducklake:...)."
    )
    start_date: AwareDatetime = Field(
        datetime(2020, 1, 1, tzinfo=UTC), description="Earliest instant synced."
    )
    lookback_minutes: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_LOOKBACK_MINUTES),
        description="Per-stream re-read window; env SIPPET_LOOKBACK_MINUTES as JSON.",
    )
    max_concurrency: int = Field(
        4, ge=1, le=64, description="Requests in flight at once (slices, windows and streams "
        "read side by side); 1 reads one page after another."
    )
    commit_every_pages: int = Field(25, ge=1, description="Pages per warehouse transaction.")
    # Measured at 1M audit events on DuckDB 1.5.5 (docs/performance.md): peak RSS of a file
    # sync 487 MB at 128MB/1GB, 460 MB at 96MB/64MB, 380 MB at 64MB/64MB (~10% more time).
    duckdb_checkpoint_threshold: str = Field(
        "64MB", description="WAL size that triggers a DuckDB checkpoint during a sync."
    )
    duckdb_memory_limit: str | None = Field(
        None, description="DuckDB memory_limit for the sync's connection (flat memory); "
        "default 64MB on a file, 256MB on a lake (its S3 writes need ~80 MB blocks)."
    )
    sync_contacts: bool = Field(False, description="Sync contacts (personal data; opt-in).")
    sync_gateways: bool = Field(False, description="Sync SIP gateways (opt-in; no password).")

    @field_validator("base_url")
    @classmethod
    def _http_origin(cls, value: str) -> str:
        # Checked here, once, so a bad URL fails before a warehouse file is created or a
        # request is sent (httpx would otherwise fail per request, or with a traceback).
        try:
            url = httpx.URL(value.strip())
            port = url.port
        except (httpx.InvalidURL, ValueError) as exc:
            raise ValueError(f"not a valid URL ({exc})") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http(s) URL such as https://api.sippet.ai")
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port {port} is out of range")
        return value.strip().rstrip("/")

    @field_validator("start_date")
    @classmethod
    def _start_date_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("lookback_minutes")
    @classmethod
    def _merge_lookback(cls, value: dict[str, int]) -> dict[str, int]:
        # Overriding one stream in the environment should not drop the others' defaults.
        if any(minutes < 0 for minutes in value.values()):
            raise ValueError("lookback minutes must be >= 0")
        return {**DEFAULT_LOOKBACK_MINUTES, **value}

    def require_api_key(self) -> str:
        """The API key in clear, for the HTTP header only; raises if it is not configured."""
        if self.api_key is None or not self.api_key.get_secret_value().strip():
            raise AuthenticationError(
                "SIPPET_API_KEY is not set: export a secret key (sk_...) or put it in .env"
            )
        return self.api_key.get_secret_value().strip()


class ConfigError(Exception):
    """Settings that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def env_name(field: str) -> str:
    return f"SIPPET_{field.upper()}"


def load_settings(flags: dict[str, str] | None = None, **overrides: Any) -> SippetSettings:
    """`SippetSettings(**overrides)`, with every problem as one line naming its variable.

    `flags` maps a field to the CLI flag that set it, so a bad `--base-url` is named as such.
    """
    flags = {k: v for k, v in (flags or {}).items() if overrides.get(k) is not None}
    try:
        return SippetSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError([_problem(error, flags) for error in exc.errors()]) from None
    except _SourceError as exc:
        # pydantic-settings failed to JSON-decode a complex value (a dict such as lookback).
        match = re.search(r'field "(\w+)"', str(exc))
        field = match.group(1) if match else "?"
        raise ConfigError([f"{env_name(field)}: not valid JSON; expected e.g. "
                           f"{_EXAMPLES.get(field, 'a JSON value')}"]) from None


_EXAMPLES = {"lookback_minutes": '{"calls": 180}'}


def _problem(error: Any, flags: dict[str, str]) -> str:
    field = str(error["loc"][0]) if error["loc"] else "?"
    name = flags.get(field) or env_name(field)
    message = str(error["msg"]).removeprefix("Value error, ")
    if field == "api_key":  # never echo a secret, even an invalid one
        return f"{name}: {message}"
    return f"{name}={_short(error.get('input'))}: {message}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
