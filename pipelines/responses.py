"""From an HTTP response to the envelope's `data`, or a typed error (SIPPET_API.md).

Every RPC outcome is HTTP 200 with an envelope; a non-2xx status comes from the edge (a
refused key, a proxy, a rate limit) and carries no envelope. What is transient becomes a
`RetryableFailure` for the retry policy; everything else is a typed `SippetError` at once.
Server text can echo input, so every message is redacted of the key before it is raised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from pydantic import ValidationError

from pipelines.errors import (
    AuthenticationError,
    MalformedResponseError,
    RpcError,
    SippetError,
    TransientError,
    WrongEndpointError,
)
from pipelines.redaction import redact
from pipelines.retrying import RetryableFailure
from pipelines.wire import WireError, parse_envelope

RETRYABLE_STATUSES = frozenset({408, 425, 429})
EXCERPT_CHARS = 200


class ResponseReader:
    """Turns one response into data or an error; knows the secrets to keep out of messages."""

    def __init__(self, secrets: tuple[str, ...], max_retry_after_seconds: float,
                 attempt_number: Callable[[], int]) -> None:
        self._secrets = secrets
        self._max_retry_after = max_retry_after_seconds
        self._attempt_number = attempt_number

    def transient(self, reason: str, action: str, page: Any, **extra: Any) -> RetryableFailure:
        return RetryableFailure(redact(reason, self._secrets), action=action, request=page,
                                **extra)

    def read(self, response: httpx.Response, action: str, page: Any) -> Any:
        """The envelope's data of a 2xx response; raises for any other outcome."""
        self._check_status(response, action, page)
        return self._unwrap(self._decode(response.content, action, page), action, page)

    def _check_status(self, response: httpx.Response, action: str, page: Any) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            host = urlsplit(response.headers.get("location", "")).hostname or "(same host)"
            raise WrongEndpointError(
                f"{action}: HTTP {status} redirect to host {host!r} not followed (the API key "
                "must never be sent elsewhere); check SIPPET_BASE_URL", action=action,
                request=page)
        if status in (401, 403):
            raise AuthenticationError(
                f"{action}: HTTP {status}: the API refused the key; check SIPPET_API_KEY "
                "(a secret sk_ key, not expired, not a publishable key)", action=action,
                request=page)
        if status in RETRYABLE_STATUSES or status >= 500:
            retry_after = self._retry_after(response, action, page)
            excerpt = self._excerpt(response.content)
            reason = f"HTTP {status}" + (f" ({excerpt})" if excerpt else "")
            raise self.transient(reason, action, page, retry_after=retry_after,
                                 rate_limited=status == 429)
        message = f"{action}: HTTP {status} from the API: {self._excerpt(response.content)}"
        if status in (404, 405):
            raise WrongEndpointError(f"{message}; check SIPPET_BASE_URL (the API origin, "
                                     "without /rpc)", action=action, request=page)
        raise SippetError(message, action=action, request=page)

    def _retry_after(self, response: httpx.Response, action: str, page: Any) -> float | None:
        seconds = parse_retry_after(response.headers.get("retry-after"))
        if seconds is not None and seconds > self._max_retry_after:
            # Sleeping for hours inside a sync hides the problem; fail now and say why.
            raise TransientError(
                f"{action}: HTTP {response.status_code} asked to retry after {seconds:.0f} s, "
                f"more than SIPPET_MAX_RETRY_AFTER_SECONDS={self._max_retry_after:g}; "
                "not waiting", action=action, attempts=self._attempt_number(), request=page,
                retry_after=seconds)
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
            raise self.transient(reason, action, page, malformed=True) from exc

    def _unwrap(self, body: Any, action: str, page: Any) -> Any:
        try:
            envelope = parse_envelope(body)
        except ValidationError:
            raise MalformedResponseError(
                f"{action}: response is not a Sippet envelope: "
                f"{self._excerpt(orjson.dumps(body))}", action=action, request=page) from None
        if envelope.success:
            if not envelope.has_data:
                raise MalformedResponseError(f"{action}: success envelope without data",
                                             action=action, request=page)
            return envelope.data
        errors = [e for e in envelope.errors or [] if isinstance(e, WireError)]
        typed = next((e for e in errors if e.type), None)
        if typed is None and errors and errors[0].code == "internal_error":
            raise self.transient(f"server internal_error (errorId {errors[0].error_id})",
                                 action, page)
        first = typed or (errors[0] if errors else WireError())
        error = RpcError.from_error(action, first.model_dump(by_alias=True), request=page)
        error.message = redact(error.message, self._secrets)
        error.args = (error.message,)
        raise error

    def _excerpt(self, content: bytes) -> str:
        return redact(body_excerpt(content), self._secrets)


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
