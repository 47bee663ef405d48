"""SippetClient and the walkers over real loopback HTTP against the simulator.

The unit tests script responses; these check the same behaviour against a server that
speaks the protocol on its own: walks equal the simulator's ground truth, every retryable
fault is retried, Retry-After is honoured, a bad key fails at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from pipelines.client import SippetClient
from pipelines.errors import AuthenticationError, PaginationError, RpcError
from pipelines.models import Call, CallAiAuditEvent, CallTranscript, api_fields
from pipelines.paging import iter_pages
from pipelines.responses import parse_retry_after
from pipelines.settings import SippetSettings
from pipelines.windows import iter_time_windows

simulator = pytest.importorskip("pipelines.simulator")
if not hasattr(simulator, "serve"):  # pragma: no cover - while the simulator is being built
    pytest.skip("pipelines.simulator does not export serve yet", allow_module_level=True)

PAGED = [
    ("list_call_transcripts", CallTranscript, "CallTranscript", "occurredAt,id"),
    ("list_call_ai_audit_events", CallAiAuditEvent, "CallAiAuditEvent", "occurredAt,id"),
]


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP, remembering each status and Retry-After the server sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.statuses: list[int] = []
        self.retry_afters: list[float] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.statuses.append(response.status_code)
        seconds = parse_retry_after(response.headers.get("retry-after"))
        if seconds is not None:
            self.retry_afters.append(seconds)
        return response

    def close(self) -> None:
        self.inner.close()


def client_for(server: Any, **overrides: Any) -> tuple[SippetClient, list[float]]:
    transport = overrides.pop("transport", None)
    values = {
        "base_url": server.url,
        "api_key": server.api_key,
        "read_timeout": 5.0,
        "max_attempts": 10,
        "retry_budget_seconds": 60.0,
        **overrides,
    }
    sleeps: list[float] = []
    settings = SippetSettings(_env_file=None, **values)
    client = SippetClient(settings, transport=transport, sleep=sleeps.append)
    return client, sleeps


def walk_ids(client: SippetClient, action: str, model: type, sort: str, size: int) -> list[str]:
    pages = iter_pages(client, action, fields=api_fields(model), sort=sort, page_size=size)
    return [row["id"] for page in pages for row in page.results]


def logged(entry: Any, name: str) -> Any:
    """A request-log field, whether the simulator logs dicts or objects."""
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


def truth_ids(server: Any, resource: str) -> list[str]:
    return [record["id"] for record in server.simulator.ground_truth(resource)]


@pytest.mark.parametrize("page_type", ["offset", "keyset"])
@pytest.mark.parametrize(("action", "model", "resource", "sort"), PAGED)
def test_walks_equal_ground_truth(sim_factory, page_type, action, model, resource, sort) -> None:
    server = sim_factory(default_page_type=page_type)
    client, sleeps = client_for(server)
    with client:
        ids = walk_ids(client, action, model, sort, 37)
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(truth_ids(server, resource))
    assert sleeps == [] and client.stats.retries == 0


def test_time_windows_cover_every_call_without_page(sim) -> None:
    client, _ = client_for(sim)
    truth = sim.simulator.ground_truth("Call")
    starts = sorted(record["startedAt"] for record in truth)
    first = datetime.fromisoformat(starts[0].replace("Z", "+00:00"))
    last = datetime.fromisoformat(starts[-1].replace("Z", "+00:00"))
    with client:
        windows = list(
            iter_time_windows(
                client,
                "list_calls",
                fields=api_fields(Call),
                field="startedAt",
                start=first,
                end=last + timedelta(microseconds=1),
                sort="startedAt,id",
                initial=timedelta(hours=2),
                target_rows=200,
            )
        )
    ids = [row["id"] for window in windows for row in window.results]
    assert sorted(ids) == sorted(record["id"] for record in truth)
    calls = [e for e in sim.simulator.request_log if logged(e, "action") == "list_calls"]
    assert calls and all(logged(e, "page") is None for e in calls)


@pytest.mark.parametrize(
    "fault", ["rate_limit", "server_error", "drop", "internal_error", "malformed"]
)
def test_each_retryable_fault_is_retried(sim_factory, fault: str) -> None:
    server = sim_factory()
    server.simulator.set_faults(**{fault: 0.3, "retry_after_seconds": 0.01})
    client, sleeps = client_for(server)
    action, model, resource, sort = PAGED[0]
    with client:
        ids = walk_ids(client, action, model, sort, 50)
    server.simulator.set_faults(**{fault: 0.0})
    assert client.stats.retries > 0 and len(sleeps) == client.stats.retries
    assert sorted(set(ids)) == sorted(truth_ids(server, resource))


def test_read_timeouts_are_retried(sim_factory) -> None:
    server = sim_factory()
    server.simulator.set_faults(hang=0.2, hang_seconds=1.0)
    client, _ = client_for(server, read_timeout=0.2)
    action, model, resource, sort = PAGED[0]
    with client:
        ids = walk_ids(client, action, model, sort, 100)
    server.simulator.set_faults(hang=0.0)
    assert client.stats.retries > 0
    assert sorted(set(ids)) == sorted(truth_ids(server, resource))


def test_retry_after_is_honoured(sim_factory) -> None:
    server = sim_factory()
    server.simulator.set_faults(rate_limit=0.4, retry_after_seconds=2)
    transport = RecordingTransport()
    client, sleeps = client_for(server, transport=transport)
    action, model, _, sort = PAGED[0]
    with client:
        walk_ids(client, action, model, sort, 50)
    server.simulator.set_faults(rate_limit=0.0)
    assert 429 in transport.statuses
    assert transport.retry_afters and sleeps == transport.retry_afters  # sleeps are injected


def test_bad_key_fails_at_once(sim) -> None:
    client, sleeps = client_for(sim, api_key="sk_wrong_key_for_the_simulator")
    with client, pytest.raises(AuthenticationError, match="SIPPET_API_KEY"):
        client.run("list_call_transcripts", fields=["id"], page={"limit": 5})
    assert client.stats.requests == 1 and sleeps == []


def test_unknown_action_is_an_rpc_error(sim) -> None:
    client, _ = client_for(sim)
    with client, pytest.raises(RpcError) as caught:
        client.run("list_nothing_at_all", fields=["id"])
    assert caught.value.type and str(caught.value).startswith("list_nothing_at_all: ")
    assert client.stats.requests == 1


@pytest.mark.parametrize(
    ("hazard", "page_type", "reason"),
    [
        ("too_many_rows", "offset", "rows for limit"),
        ("repeat_cursor", "keyset", "already returned"),
        ("empty_has_more", "keyset", "empty pages in a row"),
    ],
)
def test_page_hazards_are_refused(sim_factory, hazard, page_type, reason) -> None:
    server = sim_factory(default_page_type=page_type)
    server.simulator.set_faults(**{hazard: 1.0})
    client, _ = client_for(server)
    action, model, _, sort = PAGED[0]
    with client, pytest.raises(PaginationError, match=reason) as caught:
        walk_ids(client, action, model, sort, 20)
    assert str(caught.value).startswith(f"{action}: page ")
