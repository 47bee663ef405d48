"""A 429 with Retry-After pauses the whole client, not only the worker that got it.

Checked against the simulator's own request log (server-side monotonic stamps; the simulator
runs in this process, so the clock is the one the client's gate uses). The gate is observed
at the instant it sets a pause, under its own lock: no slot can be granted between that
instant and the pause's end, so the only requests that may reach the server in between are
the ones already in flight then. Without the shared pause the other workers would go on
paging through the window.
"""

from __future__ import annotations

import time

import pytest

from pipelines.pacing import RequestGate
from pipelines.sync import sync
from tests.conftest import settings_for
from tests.truth import diff_warehouse

RETRY_AFTER = 0.3
CONCURRENCY = 4


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float, int]]:
    """(set at, paused until, other requests in flight) for every pause of every gate."""
    seen: list[tuple[float, float, int]] = []
    original = RequestGate.back_off

    def observed(gate: RequestGate, seconds: float) -> None:
        with gate._changed:  # the gate's own (re-entrant) lock: no slot moves meanwhile
            at, others = time.monotonic(), gate.in_flight - 1
            original(gate, seconds)
            seen.append((at, gate.paused_until, others))

    monkeypatch.setattr(RequestGate, "back_off", observed)
    return seen


def test_no_request_starts_inside_another_requests_retry_after(sim_factory, warehouse, pauses):
    server = sim_factory()
    server.simulator.set_faults(rate_limit=0.05, retry_after_seconds=RETRY_AFTER)
    settings = settings_for(server, warehouse, max_concurrency=CONCURRENCY, page_size=100,
                            max_attempts=20, retry_budget_seconds=120)
    results = sync(settings)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    log = list(server.simulator.request_log)
    limited = [e for e in log if e["fault"] == "rate_limit"]
    assert len(pauses) == len(limited) >= 3, (len(pauses), len(limited))
    for at, until, in_flight in pauses:
        assert until >= at + RETRY_AFTER
        inside = [e for e in log if at < e["started"] < until]
        assert len(inside) <= in_flight <= CONCURRENCY - 1, (
            f"{len(inside)} requests reached the server during a {RETRY_AFTER} s pause "
            f"set with {in_flight} others in flight")
    served = [e for e in log if e["fault"] is None]
    assert len(served) > 10 * len(limited)
    server.simulator.set_faults()
    assert diff_warehouse(warehouse, server.simulator) == []


def test_never_more_requests_in_flight_than_the_setting(sim_factory, warehouse):
    server = sim_factory(latency_ms=20)
    settings = settings_for(server, warehouse, max_concurrency=CONCURRENCY, page_size=100)
    results = sync(settings)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    spans = sorted((e["started"], e["finished"]) for e in server.simulator.request_log
                   if e["action"])
    # The server never holds more requests of this client than the setting allows.
    assert _peak_overlap(spans) <= CONCURRENCY
    assert diff_warehouse(warehouse, server.simulator) == []


def _peak_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_concurrency_one_sends_one_request_after_another(sim_factory, warehouse):
    server = sim_factory(latency_ms=5)
    results = sync(settings_for(server, warehouse, max_concurrency=1, page_size=100))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    spans = [(e["started"], e["finished"]) for e in server.simulator.request_log if e["action"]]
    assert _peak_overlap(spans) == 1
    assert diff_warehouse(warehouse, server.simulator) == []
