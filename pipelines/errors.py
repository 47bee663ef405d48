"""The sync's error hierarchy: every failure names what it was doing.

A message always starts with the RPC action and names the page or window it was on; the sync
records it with the stream that failed (`StreamResult.error`, `sippet._sync_runs.error`), so
an operator reading a failed run knows where to look without a debugger. No message ever
contains the API key: the client builds them from the request it sent (which never holds the
key) and redacts server text.
"""

from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(r"%\{(\w+)\}")


class SippetError(Exception):
    """Base of every error raised by the sync engine."""

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        stream: str | None = None,
        page: Any = None,
        request: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        self.stream = stream
        self.page = page  # page number in the walk, when known
        self.request = request  # the `page` object sent, when known

    def __str__(self) -> str:
        context = []
        if self.stream is not None:
            context.append(f"stream {self.stream}")
        if self.page is not None:
            context.append(f"page {self.page}")
        if self.request is not None:
            context.append(f"request {self.request}")
        if not context:
            return self.message
        return f"{self.message} [{', '.join(context)}]"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only context would be lost by the default exception pickling.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[SippetError], state: dict[str, Any]) -> SippetError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class AuthenticationError(SippetError):
    """The API key is missing or was refused (HTTP 401/403): never retried."""


class TransientError(SippetError):
    """A retryable failure that did not clear up within the retry limits.

    `retry_after` is set when the API asked to wait longer than SIPPET_MAX_RETRY_AFTER_SECONDS:
    honouring it means no request at all until then, so the sync stops every stream.
    """

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        attempts: int = 0,
        elapsed_seconds: float = 0.0,
        request: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, action=action, request=request)
        self.attempts = attempts
        self.elapsed_seconds = elapsed_seconds
        self.retry_after = retry_after


class ApiUnreachableError(TransientError):
    """Every attempt failed to connect: the host is down or SIPPET_BASE_URL is wrong.

    The sync stops the remaining streams on it: they would only wait out the same budget.
    """


class WrongEndpointError(SippetError):
    """A redirect or HTTP 404/405: SIPPET_BASE_URL does not point at the Sippet RPC API."""


class MalformedResponseError(SippetError):
    """The server's body was not the JSON envelope the protocol promises."""


class PaginationError(SippetError):
    """The server's paging cannot be trusted: loops, too many rows, missing cursors."""


def fill_placeholders(message: str, variables: dict[str, Any] | None) -> str:
    """Replace Ash's `%{name}` placeholders with values from `vars` (unknown ones stay)."""
    if not variables or "%{" not in message:
        return message

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(variables[name]) if name in variables else match.group(0)

    return _PLACEHOLDER.sub(substitute, message)


class RpcError(SippetError):
    """The server answered `success: false` with a typed error (a request problem)."""

    def __init__(
        self,
        action: str,
        type: str,
        message: str,
        vars: dict[str, Any] | None = None,
        *,
        request: dict[str, Any] | None = None,
    ) -> None:
        self.type = type
        self.vars = dict(vars or {})
        self.raw_message = message
        text = f"{action}: {type}: {fill_placeholders(message, self.vars)}"
        super().__init__(text, action=action, request=request)

    @classmethod
    def from_error(
        cls, action: str, error: dict[str, Any], *, request: dict[str, Any] | None = None
    ) -> RpcError:
        """Build from one envelope error, reading `type` and falling back to `code`."""
        kind = error.get("type") or error.get("code") or "unknown_error"
        message = error.get("message") or error.get("shortMessage") or "(no message)"
        variables = error.get("vars") if isinstance(error.get("vars"), dict) else None
        return cls(action, str(kind), str(message), variables, request=request)
