"""SippetClient over httpx.MockTransport: request shape, error mapping, retries, secrecy."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pipelines.client import SippetClient
from pipelines.errors import (
    AuthenticationError,
    MalformedResponseError,
    RpcError,
    SippetError,
    TransientError,
)
from pipelines.responses import body_excerpt, parse_retry_after
from pipelines.settings import SippetSettings

KEY = "sk_live_unit_test_key_0123456789"
Reply = httpx.Response | Exception


def ok(data: object) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data})


def fail(**error: object) -> httpx.Response:
    return httpx.Response(200, json={"success": False, "errors": [error]})


class Scripted:
    """A MockTransport handler that replays replies in order and records requests."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


def make_client(*replies: Reply, **overrides: object) -> tuple[SippetClient, Scripted, list[float]]:
    script = Scripted(*replies)
    sleeps: list[float] = []
    settings = SippetSettings(_env_file=None, api_key=KEY, base_url="https://api.test", **overrides)
    client = SippetClient(settings, transport=httpx.MockTransport(script), sleep=sleeps.append)
    return client, script, sleeps


def run(client: SippetClient, **kwargs: object) -> object:
    return client.run("list_things", fields=["id"], page={"limit": 5}, **kwargs)


# -- request shape and success ---------------------------------------------------------


def test_posts_body_without_none_keys_and_returns_data() -> None:
    client, script, _ = make_client(ok({"results": [], "hasMore": False}))
    data = client.run("list_things", fields=["id", "occurredAt"], sort="occurredAt,id")
    assert data == {"results": [], "hasMore": False}
    request = script.requests[0]
    assert request.method == "POST"
    assert request.url == "https://api.test/rpc/public/run"
    assert request.headers["x-api-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    assert script.bodies[0] == {
        "action": "list_things",
        "fields": ["id", "occurredAt"],
        "sort": "occurredAt,id",
    }


def test_stats_count_every_attempt_and_bytes() -> None:
    client, _, _ = make_client(httpx.Response(503), ok([1]))
    assert run(client) == [1]
    assert client.stats.requests == 2
    assert client.stats.retries == 1
    assert client.stats.bytes_received == len(b'{"success":true,"data":[1]}')


def test_nan_and_infinity_literals_parse_to_floats() -> None:
    body = b'{"success": true, "data": [{"id": "a", "x": NaN, "y": -Infinity}]}'
    client, script, _ = make_client(httpx.Response(200, content=body))
    [row] = run(client)
    assert math.isnan(row["x"]) and row["y"] == -math.inf
    assert len(script.requests) == 1  # parsed by the stdlib fallback, not retried


def test_missing_key_fails_before_any_request() -> None:
    settings = SippetSettings(_env_file=None, api_key=None)
    with pytest.raises(AuthenticationError, match="SIPPET_API_KEY is not set"):
        SippetClient(settings, transport=httpx.MockTransport(Scripted(ok(1))))


def test_context_manager_closes() -> None:
    client, _, _ = make_client(ok(1))
    with client as entered:
        assert entered.run("a", fields=["id"]) == 1
    with pytest.raises(RuntimeError):
        client.run("a", fields=["id"])


# -- errors that must not be retried ----------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_raise_at_once(status: int) -> None:
    client, script, sleeps = make_client(httpx.Response(status, text="denied"))
    with pytest.raises(AuthenticationError, match="check SIPPET_API_KEY") as caught:
        run(client)
    assert len(script.requests) == 1 and sleeps == []
    assert f"HTTP {status}" in str(caught.value)
    assert caught.value.action == "list_things"


def test_rpc_error_fills_vars_and_is_not_retried() -> None:
    client, script, _ = make_client(
        fail(
            type="unknown_field",
            message="No such field %{field} on %{resource}",
            vars={"field": "nope", "resource": "Call"},
        )
    )
    with pytest.raises(RpcError) as caught:
        run(client)
    assert caught.value.message == "list_things: unknown_field: No such field nope on Call"
    assert str(caught.value) == f"{caught.value.message} [request {{'limit': 5}}]"
    assert caught.value.type == "unknown_field"
    assert caught.value.vars == {"field": "nope", "resource": "Call"}
    assert len(script.requests) == 1


def test_rpc_error_falls_back_to_code() -> None:
    client, _, _ = make_client(fail(code="something_odd", message="boom"))
    with pytest.raises(RpcError, match="list_things: something_odd: boom"):
        run(client)


def test_redirect_is_not_followed_and_names_host_only() -> None:
    redirect = httpx.Response(302, headers={"location": "https://evil.example/steal?k=1"})
    client, script, _ = make_client(redirect, ok(1))
    with pytest.raises(SippetError, match=r"evil\.example") as caught:
        run(client)
    assert "steal" not in str(caught.value)
    assert [str(r.url.host) for r in script.requests] == ["api.test"]


def test_other_4xx_reports_status_and_short_html_excerpt() -> None:
    html = "<html><head><title>404 Not Found</title></head><body>" + "x" * 5000 + "</body>"
    client, script, _ = make_client(httpx.Response(404, text=html))
    with pytest.raises(SippetError) as caught:
        run(client)
    message = str(caught.value)
    assert "HTTP 404" in message and "404 Not Found" in message and "<" not in message
    assert len(script.requests) == 1


def test_non_envelope_json_is_malformed_without_retry() -> None:
    client, script, _ = make_client(httpx.Response(200, json=[1, 2]))
    with pytest.raises(MalformedResponseError, match="not a Sippet envelope"):
        run(client)
    assert len(script.requests) == 1


# -- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transient",
    [
        httpx.Response(408),
        httpx.Response(425),
        httpx.Response(429),
        httpx.Response(500, text="<html><title>502 Bad Gateway</title></html>"),
        httpx.Response(503),
        httpx.Response(200, content=b'{"success": true, "data": [1, 2'),
        httpx.Response(200, content=b""),
        fail(code="internal_error", errorId="abc"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.PoolTimeout("busy"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
    ids=lambda r: type(r).__name__ if isinstance(r, Exception) else str(r.status_code),
)
def test_transient_failures_are_retried(transient: Reply) -> None:
    client, script, sleeps = make_client(transient, ok("fine"))
    assert run(client) == "fine"
    assert len(script.requests) == 2 and len(sleeps) == 1
    assert client.stats.retries == 1


def test_backoff_is_capped_exponential_with_full_jitter() -> None:
    client, _, sleeps = make_client(httpx.Response(503), max_attempts=9, retry_budget_seconds=1000)
    with pytest.raises(TransientError):
        run(client)
    assert len(sleeps) == 8
    for attempt, slept in enumerate(sleeps, start=1):
        assert 0 <= slept <= min(10.0, 0.25 * 2 ** (attempt - 1))


def test_retry_after_seconds_is_honoured() -> None:
    client, _, sleeps = make_client(
        httpx.Response(429, headers={"retry-after": "3"}),
        httpx.Response(503, headers={"retry-after": "1.5"}),
        ok(1),
    )
    assert run(client) == 1
    assert sleeps == [3.0, 1.5]


def test_retry_after_http_date_is_honoured() -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)
    client, _, sleeps = make_client(
        httpx.Response(429, headers={"retry-after": format_datetime(when, usegmt=True)}), ok(1)
    )
    assert run(client) == 1
    assert 17 <= sleeps[0] <= 20


def test_retry_after_longer_than_allowed_fails_at_once() -> None:
    client, script, sleeps = make_client(
        httpx.Response(429, headers={"retry-after": "7200"}), ok(1)
    )
    with pytest.raises(TransientError, match=r"7200 s.*SIPPET_MAX_RETRY_AFTER_SECONDS=60"):
        run(client)
    assert len(script.requests) == 1 and sleeps == []


def test_exhausted_retries_raise_transient_error_with_counts() -> None:
    client, script, sleeps = make_client(httpx.Response(502), max_attempts=4)
    with pytest.raises(TransientError) as caught:
        run(client)
    assert len(script.requests) == 4 and len(sleeps) == 3
    assert caught.value.attempts == 4
    assert "list_things: gave up after 4 attempt(s)" in str(caught.value)
    assert "HTTP 502" in str(caught.value)


def test_retry_budget_bounds_total_time() -> None:
    client, script, sleeps = make_client(
        httpx.Response(503, headers={"retry-after": "2"}), retry_budget_seconds=5
    )
    with pytest.raises(TransientError, match="limits: 6 attempts, 5 s"):
        run(client)
    assert sleeps == [2.0, 2.0]  # a third wait would take the total past 5 s
    assert len(script.requests) == 3


def test_exhausted_malformed_body_raises_malformed_error_naming_page() -> None:
    client, _, _ = make_client(httpx.Response(200, content=b"{truncated"), max_attempts=2)
    with pytest.raises(MalformedResponseError) as caught:
        run(client)
    assert "list_things" in str(caught.value) and "'limit': 5" in str(caught.value)


def test_retries_are_logged_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    client, _, _ = make_client(httpx.Response(503, text=f"echo {KEY}"), ok(1))
    with caplog.at_level("INFO", logger="pipelines.client"):
        run(client)
    [record] = [r for r in caplog.records if r.name == "pipelines.client"]
    assert "list_things: attempt 1/6 failed (HTTP 503" in record.getMessage()
    assert KEY not in caplog.text


# -- the key never leaks -----------------------------------------------------------------

LEAKY_REPLIES: list[Callable[[], Reply]] = [
    lambda: httpx.Response(404, text=f"unknown key {KEY}"),
    lambda: httpx.Response(500, text=f"<html><title>{KEY}</title></html>"),
    lambda: httpx.Response(200, content=f"not json {KEY}".encode()),
    lambda: fail(type="forbidden", message="key %{k} refused", vars={"k": KEY}),
    lambda: httpx.Response(401, text=KEY),
    lambda: httpx.ConnectError(f"failed with {KEY}"),
]


@pytest.mark.parametrize("reply", LEAKY_REPLIES)
def test_key_absent_from_every_error_message(reply: Callable[[], Reply]) -> None:
    client, _, _ = make_client(reply(), max_attempts=2)
    with pytest.raises(SippetError) as caught:
        run(client)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_key_absent_from_client_and_settings_reprs() -> None:
    client, _, _ = make_client(ok(1))
    for text in (
        repr(client),
        str(client),
        repr(client._http),
        repr(client._http.headers),
        repr(client._settings),
        str(client._settings.model_dump()),
    ):
        assert KEY not in text


# -- helpers -----------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_body_excerpt_is_short_single_line() -> None:
    assert body_excerpt(b"a\n\n  b") == "a b"
    long = body_excerpt(b"y" * 1000)
    assert len(long) == 200 and long.endswith("\u2026")
    page = b"<!DOCTYPE html><html><body><style>p{}</style><h1>Bad\nGateway</h1></body></html>"
    assert body_excerpt(page) == "Bad Gateway"
