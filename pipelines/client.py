"""RPC transport for the Sippet public API: `POST /rpc/public/run` with the key, timeouts and
retries; `run` returns the envelope's `data` or raises a typed error.

What an attempt's response means lives in `responses.py`; when to retry and when to give up in
`retrying.py`; the envelope and page types in `wire.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from pipelines.redaction import install_log_redaction
from pipelines.responses import ResponseReader
from pipelines.retrying import RetryPolicy
from pipelines.settings import SippetSettings

RPC_PATH = "/rpc/public/run"


@dataclass
class ClientStats:
    """Counters over the client's life; every HTTP attempt counts as a request."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0


class _ApiKeyAuth(httpx.Auth):
    """Adds `x-api-key` per request, so the key is not in the client's default headers
    (httpx's header repr would print it: it only hides `authorization`)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request):  # type: ignore[override]
        request.headers["x-api-key"] = self._key
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(key=[REDACTED])"


class SippetClient:
    """A keep-alive HTTP client for `POST /rpc/public/run` with typed errors and retries."""

    def __init__(self, settings: SippetSettings, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        key = settings.require_api_key()
        install_log_redaction(key)
        self._settings = settings
        self.stats = ClientStats()
        self._http = httpx.Client(
            base_url=settings.base_url,
            auth=_ApiKeyAuth(key),
            headers={"content-type": "application/json", "accept": "application/json"},
            # Writes are tiny; a stalled one is a dead peer, so it shares the read limit.
            timeout=httpx.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                                  write=settings.read_timeout, pool=settings.connect_timeout),
            # Never follow: httpx strips Authorization on cross-origin redirects, not x-api-key.
            follow_redirects=False,
            verify=settings.verify_tls,
            transport=transport,
        )
        self._policy = RetryPolicy(settings, on_retry=self._count_retry, sleep=sleep)
        self._reader = ResponseReader((key,), settings.max_retry_after_seconds,
                                      self._policy.attempt_number)

    def __repr__(self) -> str:
        return f"SippetClient(base_url={self._settings.base_url!r})"

    def __enter__(self) -> SippetClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def run(self, action: str, *, fields: Sequence[str] | None,
            filter: dict[str, Any] | None = None,
            sort: str | None = None, page: dict[str, Any] | None = None) -> Any:
        """POST one RPC action (retrying transient failures) and return the envelope's data:
        a list of records, or a page object where `page` was sent."""
        payload: dict[str, Any] = {"action": action}
        if fields is not None:  # None: an action without a field selection
            payload["fields"] = list(fields)
        if filter is not None:
            payload["filter"] = filter
        if sort is not None:
            payload["sort"] = sort
        if page is not None:
            payload["page"] = page
        return self._policy.retrying(self._attempt, action, orjson.dumps(payload), page)

    def _count_retry(self) -> None:
        self.stats.retries += 1

    def _attempt(self, action: str, body: bytes, page: Any) -> Any:
        self.stats.requests += 1
        transient = self._reader.transient
        try:
            response = self._http.post(RPC_PATH, content=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = f"connection error ({type(exc).__name__}: {exc})"
            raise transient(reason, action, page, unreachable=True) from exc
        except httpx.TimeoutException as exc:
            raise transient(f"timeout ({type(exc).__name__})", action, page) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            reason = f"connection error ({type(exc).__name__}: {exc})"
            raise transient(reason, action, page) from exc
        except httpx.DecodingError as exc:
            raise transient("undecodable body", action, page, malformed=True) from exc
        self.stats.bytes_received += len(response.content)
        return self._reader.read(response, action, page)
