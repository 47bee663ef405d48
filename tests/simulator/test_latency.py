"""The simulator models a network: fixed latency + seeded jitter, requests served concurrently."""

from __future__ import annotations

import threading

import httpx
import pytest

from pipelines.simulator import Simulator
from pipelines.simulator.cli import build_config

BODY = {"action": "list_call_ai_audit_events", "fields": ["id", "occurredAt"],
        "sort": "occurredAt,id", "page": {"limit": 20, "offset": 0}}


def _rpc_entries(sim):
    return [e for e in sim.request_log if e["action"] == BODY["action"]]


def test_latency_and_jitter_are_drawn_per_request_reproducibly(make_rpc):
    delays = []
    for _ in range(2):
        rpc = make_rpc(latency_ms=5, jitter_ms=20)
        for _ in range(6):
            assert rpc.raw(BODY).status_code == 200
        delays.append([e["latency_ms"] for e in _rpc_entries(rpc.sim)])
    assert delays[0] == delays[1] and len(set(delays[0])) == 6
    assert all(5 <= d <= 25 for d in delays[0])
    entries = _rpc_entries(rpc.sim)
    # the server holds each reply at least its drawn latency (monotonic server clock)
    assert all(e["finished"] - e["started"] >= e["latency_ms"] / 1000 for e in entries)


def test_faults_draws_do_not_move_with_latency(make_rpc):
    """Latency has its own RNG stream: the same faults hit the same requests with or without."""
    seen = []
    for latency in (0, 1):
        rpc = make_rpc(latency_ms=latency, faults={"rate_limit": 0.5, "retry_after_seconds": 0})
        seen.append([rpc.raw(BODY).status_code for _ in range(12)])
    assert seen[0] == seen[1] and {200, 429} <= set(seen[0])


def test_slow_request_does_not_hold_up_another(make_rpc):
    """A is held 5 s; once the server has drawn A's delay, latency is switched off and B is
    sent: B must be answered while A is still held. A serial server would answer B only
    after A. No race: B is sent only after A is known to be in the server."""
    rpc = make_rpc(latency_ms=5000)
    codes: list[int] = []

    def call() -> None:
        with httpx.Client(base_url=rpc.server.url, timeout=60,
                          headers={"x-api-key": rpc.server.api_key}) as client:
            codes.append(client.post("/rpc/public/run", json=BODY).status_code)

    slow = threading.Thread(target=call)
    slow.start()
    while rpc.sim.latency_counter < 1:  # A's delay is drawn: A is inside the server
        threading.Event().wait(0.01)
    rpc.sim.set_latency(latency_ms=0)
    assert rpc.raw(BODY).status_code == 200
    answered = [e for e in _rpc_entries(rpc.sim) if e.get("finished") is not None]
    assert len(answered) == 1 and slow.is_alive(), "B waited for A"
    slow.join()
    assert codes == [200]
    a, b = _rpc_entries(rpc.sim)  # logged in arrival order
    assert a["latency_ms"] == 5000 and b["latency_ms"] == 0
    assert a["started"] < b["finished"] < a["finished"]


def test_runtime_setters_cli_and_control_endpoint(make_rpc):
    sim = Simulator(scale="tiny")
    assert sim.draw_latency() == 0.0
    assert sim.set_latency(latency_ms=50) == (50.0, 0.0)
    assert sim.set_latency(jitter_ms=20) == (50.0, 20.0)
    assert 0.05 <= sim.draw_latency() <= 0.07
    with pytest.raises(ValueError):
        sim.set_latency(latency_ms=-1)
    rpc = make_rpc()
    resp = rpc.http.post("/_sim/latency", json={"latency_ms": 3, "jitter_ms": 1})
    assert resp.json() == {"latency_ms": 3.0, "jitter_ms": 1.0}
    assert rpc.http.get("/_sim/stats").json()["latency_ms"] == 3.0
    config, _, _ = build_config(["--latency-ms", "50", "--jitter-ms", "20"])
    assert (config.latency_ms, config.jitter_ms) == (50.0, 20.0)
    with pytest.raises(SystemExit):
        build_config(["--latency-ms", "-5"])
