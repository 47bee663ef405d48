"""The retry policy of one client: what is retried, how long it waits, when it gives up.

Built on **tenacity**: capped exponential backoff with full jitter is its
`wait_random_exponential`, and "at most N attempts AND at most B seconds" composes from its
stop primitives, so the policy reads as a declaration instead of a hand-rolled loop. One
`Retrying` object is built per client and reused: a request that succeeds at once pays only
tenacity's bookkeeping (microseconds).

Only `RetryableFailure` is retried (connection errors, timeouts, HTTP 408/425/429/5xx, a
truncated body, `internal_error`): the client raises it for one failed attempt; what leaves
the policy is always a typed `SippetError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from pipelines.errors import (
    ApiUnreachableError,
    MalformedResponseError,
    SippetError,
    TransientError,
)
from pipelines.settings import SippetSettings

log = logging.getLogger("pipelines.client")

BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 10.0


class RetryableFailure(Exception):
    """One attempt failed transiently (internal: converted before leaving the client)."""

    def __init__(self, reason: str, *, action: str, request: Any,
                 retry_after: float | None = None, malformed: bool = False,
                 unreachable: bool = False, rate_limited: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.action = action
        self.request = request
        self.retry_after = retry_after
        self.malformed = malformed
        self.unreachable = unreachable  # the connection itself failed (host down, bad URL)
        self.rate_limited = rate_limited  # HTTP 429: the whole client must slow down

    @property
    def asks_to_slow_down(self) -> bool:
        return self.rate_limited or self.retry_after is not None


class _StopOverBudget(stop_base):
    """Stop when time spent (waiting included) plus the next sleep would exceed the budget."""

    def __init__(self, budget_seconds: float) -> None:
        self.budget_seconds = budget_seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        return _spent(retry_state) + retry_state.upcoming_sleep > self.budget_seconds


def _spent(retry_state: RetryCallState) -> float:
    # idle_for counts injected (fake) sleeps too, which wall time would not.
    return max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)


def _failure(retry_state: RetryCallState) -> BaseException | None:
    return retry_state.outcome.exception() if retry_state.outcome else None


class RetryPolicy:
    """A tenacity `Retrying` configured from the settings; `on_retry` counts each retry."""

    def __init__(self, settings: SippetSettings, *, on_retry: Callable[[], None],
                 sleep: Callable[[float], None] | None = None) -> None:
        self._settings = settings
        self._on_retry = on_retry
        self._backoff = wait_random_exponential(multiplier=BACKOFF_BASE_SECONDS,
                                                max=BACKOFF_CAP_SECONDS)
        self.retrying = Retrying(
            retry=retry_if_exception_type(RetryableFailure),
            stop=stop_after_attempt(settings.max_attempts)
            | _StopOverBudget(settings.retry_budget_seconds),
            wait=self._wait,
            sleep=sleep or time.sleep,
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )

    def pause_after(self, failure: RetryableFailure) -> float:
        """How long the whole client pauses after `failure` asked it to slow down: the
        server's Retry-After, else the backoff cap's worth for this attempt."""
        if failure.retry_after is not None:
            return failure.retry_after
        return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** self.attempt_number())

    def attempt_number(self) -> int:
        return self.retrying.statistics.get("attempt_number", 1)

    def _wait(self, retry_state: RetryCallState) -> float:
        failure = _failure(retry_state)
        if isinstance(failure, RetryableFailure) and failure.retry_after is not None:
            return failure.retry_after
        return self._backoff(retry_state)

    def _before_sleep(self, retry_state: RetryCallState) -> None:
        self._on_retry()
        failure = _failure(retry_state)
        log.warning("%s: attempt %d/%d failed (%s); retrying in %.2f s",
                    getattr(failure, "action", "?"), retry_state.attempt_number,
                    self._settings.max_attempts, getattr(failure, "reason", failure),
                    retry_state.upcoming_sleep)

    def _give_up(self, retry_state: RetryCallState) -> Any:
        failure = _failure(retry_state)
        if not isinstance(failure, RetryableFailure):  # pragma: no cover - retry matches these
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
                "and that the API host is up", action=failure.action, attempts=attempts,
                elapsed_seconds=spent, request=failure.request) from failure
        if failure.malformed:
            raise MalformedResponseError(summary, action=failure.action,
                                         request=failure.request) from failure
        raise TransientError(summary, action=failure.action, attempts=attempts,
                             elapsed_seconds=spent, request=failure.request) from failure
