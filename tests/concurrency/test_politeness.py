"""A 429 with Retry-After pauses the whole client, not only the worker that got it.

Read from the simulator's own request log (server-side monotonic stamps; the simulator
runs in this process, so the clock is shared): a 429 answer is stamped before its first byte
leaves, so the client reads it no earlier than the stamp T, pauses until at least
T + Retry-After, and grants no slot meanwhile. The only requests that can reach the server
inside [T, T + Retry-After) are those already in flight when the 429 was read: at most
`concurrency - 1`. Without the shared pause the other workers would go on paging.
"""

from __future__ import annotations

from pipelines.sync import sync
from tests.conftest import settings_for
from tests.truth import diff_warehouse

RETRY_AFTER = 0.3
CONCURRENCY = 4


def test_no_request_starts_inside_another_requests_retry_after(sim_factory, warehouse):
    server = sim_factory()
    server.simulator.set_faults(rate_limit=0.05, retry_after_seconds=RETRY_AFTER)
    settings = settings_for(server, warehouse, max_concurrency=CONCURRENCY, page_size=100,
                            max_attempts=20, retry_budget_seconds=120)
    results = sync(settings)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    log = list(server.simulator.request_log)
    limited = [e for e in log if e["fault"] == "rate_limit"]
    assert len(limited) >= 3, f"only {len(limited)} rate-limited answers: the test needs some"
    for answer in limited:
        start = answer["finished"]
        inside = [e for e in log if e is not answer
                  and start < e["started"] < start + RETRY_AFTER]
        assert len(inside) <= CONCURRENCY - 1, (
            f"{len(inside)} requests reached the server within {RETRY_AFTER} s of a 429")
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
