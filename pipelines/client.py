"""RPC transport for the Sippet public API: auth header, timeouts, retries, envelope -> errors.

Retries use **tenacity**: capped exponential backoff with full jitter is its
`wait_random_exponential`, and "at most N attempts AND at most B seconds" composes from its
stop primitives, so the policy reads as a declaration instead of a hand-rolled loop. One
`Retrying` object is built per client and reused: a request that succeeds at once pays only
tenacity's bookkeeping (microseconds), which matters at ~1,000 pages/s over loopback.

What is retried is deliberately narrow (see `_Retryable`): connection errors, timeouts,
HTTP 408/425/429/5xx, bodies that are not JSON (truncated), and the envelope error with
`code: "internal_error"` and no `type`. Everything else is a bug or a bad request and fails
at once with a typed error. Every RPC outcome is HTTP 200; non-2xx statuses come from the
edge (bad key, proxy, rate limit) and carry no envelope.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from pipelines.errors import (
    AuthenticationError,
    MalformedResponseError,
    RpcError,
    SippetError,
    TransientError,
)
from pipelines.redaction import install_log_redaction, redact
from pipelines.settings import SippetSettings

log = logging.getLogger(__name__)

RPC_PATH = "/rpc/public/run"
RETRYABLE_STATUSES = frozenset({408, 425, 429})
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 10.0
EXCERPT_CHARS = 200


@dataclass
class ClientStats:
    """Counters over the client's life; every HTTP attempt counts as a request."""

    requests: int = 0
    retries: int = 0
    bytes_received: int = 0


class ApiUnreachableError(TransientError):
    """Every attempt failed to connect: the host is down or SIPPET_BASE_URL is wrong.

    The sync stops the remaining streams on it: they would only wait out the same budget.
    """


class WrongEndpointError(SippetError):
    """A redirect or HTTP 404/405: SIPPET_BASE_URL does not point at the Sippet RPC API."""


class _Retryable(Exception):
    """One attempt failed transiently (internal: converted before leaving the client)."""

    def __init__(
        self,
        reason: str,
        *,
        action: str,
        request: Any,
        retry_after: float | None = None,
        malformed: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.action = action
        self.request = request
        self.retry_after = retry_after
        self.malformed = malformed
        self.unreachable = unreachable


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


class _StopOverBudget(stop_base):
    """Stop when time spent (waiting included) plus the next sleep would exceed the budget."""

    def __init__(self, budget_seconds: float) -> None:
        self.budget_seconds = budget_seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        return _spent(retry_state) + retry_state.upcoming_sleep > self.budget_seconds


def _spent(retry_state: RetryCallState) -> float:
    # idle_for counts injected (fake) sleeps too, which wall time would not.
    return max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)


class SippetClient:
    """A keep-alive HTTP client for `POST /rpc/public/run` with typed errors and retries."""

    def __init__(
        self,
        settings: SippetSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        key = settings.require_api_key()
        install_log_redaction(key)
        self._settings = settings
        self._secrets = (key,)
        self.stats = ClientStats()
        self._http = httpx.Client(
            base_url=settings.base_url,
            auth=_ApiKeyAuth(key),
            headers={"content-type": "application/json", "accept": "application/json"},
            # Writes are tiny; a stalled one is a dead peer, so it shares the read limit.
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            # Never follow: httpx strips Authorization on cross-origin redirects, not x-api-key.
            follow_redirects=False,
            verify=settings.verify_tls,
            transport=transport,
        )
        self._backoff = wait_random_exponential(
            multiplier=BACKOFF_BASE_SECONDS, max=BACKOFF_CAP_SECONDS
        )
        self._retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(settings.max_attempts)
            | _StopOverBudget(settings.retry_budget_seconds),
            wait=self._wait,
            sleep=sleep or time.sleep,
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )

    def __repr__(self) -> str:
        return f"SippetClient(base_url={self._settings.base_url!r})"

    def __enter__(self) -> SippetClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def run(
        self,
        action: str,
        *,
        fields: Sequence[str],
        filter: dict[str, Any] | None = None,
        sort: str | None = None,
        page: dict[str, Any] | None = None,
    ) -> Any:
        """POST one RPC action (retrying transient failures) and return the envelope's data."""
        payload: dict[str, Any] = {"action": action, "fields": list(fields)}
        if filter is not None:
            payload["filter"] = filter
        if sort is not None:
            payload["sort"] = sort
        if page is not None:
            payload["page"] = page
        return self._retrying(self._attempt, action, orjson.dumps(payload), page)

    # -- one attempt -------------------------------------------------------------------

    def _attempt(self, action: str, body: bytes, page: Any) -> Any:
        self.stats.requests += 1
        try:
            response = self._http.post(RPC_PATH, content=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = f"connection error ({type(exc).__name__}: {exc})"
            raise self._transient(reason, action, page, unreachable=True) from exc
        except httpx.TimeoutException as exc:
            raise self._transient(f"timeout ({type(exc).__name__})", action, page) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            reason = f"connection error ({type(exc).__name__}: {exc})"
            raise self._transient(reason, action, page) from exc
        except httpx.DecodingError as exc:
            raise self._transient("undecodable body", action, page, malformed=True) from exc
        content = response.content
        self.stats.bytes_received += len(content)
        if response.status_code == 200:
            return self._unwrap(self._decode(content, action, page), action, page)
        self._raise_for_status(response, action, page)
        # Other 2xx: not part of the protocol, but the body may still be an envelope.
        return self._unwrap(self._decode(content, action, page), action, page)

    def _transient(self, reason: str, action: str, page: Any, **extra: Any) -> _Retryable:
        return _Retryable(redact(reason, self._secrets), action=action, request=page, **extra)

    def _raise_for_status(self, response: httpx.Response, action: str, page: Any) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            host = urlsplit(location).hostname or "(same host)"
            raise WrongEndpointError(
                f"{action}: HTTP {status} redirect to host {host!r} not followed (the API key "
                "must never be sent elsewhere); check SIPPET_BASE_URL",
                action=action,
                request=page,
            )
        if status in (401, 403):
            raise AuthenticationError(
                f"{action}: HTTP {status}: the API refused the key; check SIPPET_API_KEY "
                "(a secret sk_ key, not expired, not a publishable key)",
                action=action,
                request=page,
            )
        if status in RETRYABLE_STATUSES or status >= 500:
            retry_after = self._retry_after(response, action, page)
            excerpt = self._excerpt(response.content)
            reason = f"HTTP {status}" + (f" ({excerpt})" if excerpt else "")
            raise self._transient(reason, action, page, retry_after=retry_after)
        message = f"{action}: HTTP {status} from the API: {self._excerpt(response.content)}"
        if status in (404, 405):
            raise WrongEndpointError(
                f"{message}; check SIPPET_BASE_URL (the API origin, without /rpc)",
                action=action, request=page,
            )
        raise SippetError(message, action=action, request=page)

    def _retry_after(self, response: httpx.Response, action: str, page: Any) -> float | None:
        seconds = parse_retry_after(response.headers.get("retry-after"))
        limit = self._settings.max_retry_after_seconds
        if seconds is not None and seconds > limit:
            # Sleeping for hours inside a sync hides the problem; fail now and say why.
            raise TransientError(
                f"{action}: HTTP {response.status_code} asked to retry after {seconds:.0f} s, "
                f"more than SIPPET_MAX_RETRY_AFTER_SECONDS={limit:g}; not waiting",
                action=action,
                attempts=self._retrying.statistics.get("attempt_number", 1),
                request=page,
            )
        return seconds

    def _decode(self, content: bytes, action: str, page: Any) -> Any:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
        try:
            # stdlib json accepts bare NaN/Infinity, which orjson refuses: such a record must
            # reach validation (and be quarantined) instead of failing the whole page.
            return json.loads(content)
        except ValueError as exc:
            reason = f"malformed JSON body ({len(content)} bytes: {self._excerpt(content)!r})"
            raise self._transient(reason, action, page, malformed=True) from exc

    def _unwrap(self, envelope: Any, action: str, page: Any) -> Any:
        if not isinstance(envelope, dict) or not isinstance(envelope.get("success"), bool):
            excerpt = self._excerpt(orjson.dumps(envelope))
            raise MalformedResponseError(
                f"{action}: response is not a Sippet envelope: {excerpt}",
                action=action,
                request=page,
            )
        if envelope["success"]:
            if "data" not in envelope:
                raise MalformedResponseError(
                    f"{action}: success envelope without data", action=action, request=page
                )
            return envelope["data"]
        errors = [e for e in envelope.get("errors") or [] if isinstance(e, dict)]
        typed = next((e for e in errors if e.get("type")), None)
        if typed is None and errors and errors[0].get("code") == "internal_error":
            reason = f"server internal_error (errorId {errors[0].get('errorId')})"
            raise self._transient(reason, action, page)
        error = RpcError.from_error(action, typed or (errors[0] if errors else {}), request=page)
        # Server text may echo input (vars): keep the key out of the message and args.
        error.message = redact(error.message, self._secrets)
        error.args = (error.message,)
        raise error

    def _excerpt(self, content: bytes) -> str:
        return redact(body_excerpt(content), self._secrets)

    # -- tenacity hooks ----------------------------------------------------------------

    def _wait(self, retry_state: RetryCallState) -> float:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(failure, _Retryable) and failure.retry_after is not None:
            return failure.retry_after
        return self._backoff(retry_state)

    def _before_sleep(self, retry_state: RetryCallState) -> None:
        self.stats.retries += 1
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        log.warning(
            "%s: attempt %d/%d failed (%s); retrying in %.2f s",
            getattr(failure, "action", "?"),
            retry_state.attempt_number,
            self._settings.max_attempts,
            getattr(failure, "reason", failure),
            retry_state.upcoming_sleep,
        )

    def _give_up(self, retry_state: RetryCallState) -> Any:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if not isinstance(failure, _Retryable):  # pragma: no cover - retry only matches these
            raise failure or SippetError("retry stopped without an outcome")
        attempts, spent = retry_state.attempt_number, _spent(retry_state)
        summary = (
            f"{failure.action}: gave up after {attempts} attempt(s) over {spent:.1f} s "
            f"(limits: {self._settings.max_attempts} attempts, "
            f"{self._settings.retry_budget_seconds:g} s); last failure: {failure.reason}"
        )
        if failure.unreachable:
            raise ApiUnreachableError(
                f"{summary}; cannot reach {self._settings.base_url}: check SIPPET_BASE_URL "
                "and that the API host is up",
                action=failure.action, attempts=attempts, elapsed_seconds=spent,
                request=failure.request,
            ) from failure
        if failure.malformed:
            raise MalformedResponseError(
                summary, action=failure.action, request=failure.request
            ) from failure
        raise TransientError(
            summary,
            action=failure.action,
            attempts=attempts,
            elapsed_seconds=spent,
            request=failure.request,
        ) from failure


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_HTML = re.compile(r"<\s*(!doctype|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def body_excerpt(content: bytes, limit: int = EXCERPT_CHARS) -> str:
    """A one-line excerpt (at most `limit` chars) of a body; HTML pages reduce to their text."""
    text = content[:65536].decode("utf-8", errors="replace")
    if _HTML.search(text):
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", _SCRIPT.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
