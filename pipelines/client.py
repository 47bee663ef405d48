"""RPC transport for the Sippet public API: `POST /rpc/public/run` with the key, timeouts and
retries; `run` returns the envelope's `data` or raises a typed error.

What an attempt's response means lives in `responses.py`; when to retry and when to give up in
`retrying.py`; the envelope and page types in `wire.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

import httpx
import orjson

from pipelines.pacing import RequestGate
from pipelines.redaction import install_log_redaction
from pipelines.responses import ResponseReader
from pipelines.retrying import RetryableFailure, RetryPolicy
from pipelines.settings import SippetSettings

RPC_PATH = "/rpc/public/run"


@dataclass
class ClientStats:
    """Counters over the client's life; every HTTP attempt counts as a request.

    Workers of one client update them from several threads: `add` is the only writer."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}


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
        self.gate = RequestGate(settings.max_concurrency, pauses=sleep is None)
        # Counters of the work the current thread is doing for (a stream), beside the total.
        self._attributed = threading.local()
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

    @contextmanager
    def attributed_to(self, stats: ClientStats) -> Iterator[None]:
        """Also count this thread's requests and retries into `stats` (one stream's)."""
        previous = getattr(self._attributed, "stats", None)
        self._attributed.stats = stats
        try:
            yield
        finally:
            self._attributed.stats = previous

    def _count(self, **counts: int) -> None:
        self.stats.add(**counts)
        attributed = getattr(self._attributed, "stats", None)
        if attributed is not None:
            attributed.add(**counts)

    def _count_retry(self) -> None:
        self._count(retries=1)

    def _attempt(self, action: str, body: bytes, page: Any) -> Any:
        with self.gate.slot():
            response = self._send(action, body, page)
            try:
                data = self._reader.read(response, action, page)
            except RetryableFailure as failure:
                if failure.asks_to_slow_down:
                    # Before the slot is given back: no other request starts in the pause.
                    self.gate.back_off(self._policy.pause_after(failure))
                raise
        self.gate.succeeded()
        return data

    def _send(self, action: str, body: bytes, page: Any) -> httpx.Response:
        self._count(requests=1)
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
        self._count(bytes_received=len(response.content))
        return response
