"""HTTP faults at the sync level: each either recovers or fails clearly (naming the action and
page), never loses or duplicates committed rows, and a rerun without the fault is exact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.sync import sync
from tests.conftest import cli_env, run_cli
from tests.faults.conftest import (
    Reply,
    assert_consistent_subset,
    by_stream,
    fast_settings,
    forwarding,
    query,
)
from tests.truth import diff_warehouse

ACTIONS = {"calls": "list_calls", "call_transcripts": "list_call_transcripts",
           "call_ai_audit_events": "list_call_ai_audit_events"}

# (id, faults switched on mid-walk, settings overrides, page type, error class, message parts)
MID_WALK = [
    ("429-long-retry-after", {"rate_limit": 1.0, "retry_after_seconds": 3600}, {}, "offset",
     "TransientError", ["HTTP 429", "retry after 3600 s", "SIPPET_MAX_RETRY_AFTER_SECONDS"]),
    ("429-beyond-budget", {"rate_limit": 1.0, "retry_after_seconds": 0.05}, {}, "offset",
     "TransientError", ["gave up after 3 attempt(s)", "HTTP 429"]),
    ("5xx-html-beyond-budget", {"server_error": 1.0}, {}, "offset",
     "TransientError", ["gave up after 3 attempt(s)", "HTTP 50"]),
    ("hung-connection", {"hang": 1.0, "hang_seconds": 20}, {"read_timeout": 0.3}, "offset",
     "TransientError", ["gave up", "timeout (ReadTimeout)"]),
    ("dropped-connection", {"drop": 1.0}, {}, "offset",
     "TransientError", ["gave up", "connection error"]),
    ("internal-error-envelope", {"internal_error": 1.0}, {}, "offset",
     "TransientError", ["gave up", "internal_error"]),
    ("truncated-json", {"malformed": 1.0}, {}, "offset",
     "MalformedResponseError", ["gave up", "malformed JSON body"]),
    ("empty-page-hasmore-offset", {"empty_has_more": 1.0}, {}, "offset",
     "PaginationError", ["empty pages in a row with hasMore"]),
    ("empty-page-hasmore-keyset", {"empty_has_more": 1.0}, {}, "keyset",
     "PaginationError", ["empty pages in a row with hasMore"]),
    ("repeated-cursor", {"repeat_cursor": 1.0}, {}, "keyset",
     "PaginationError", ["already returned"]),
    ("more-rows-than-asked", {"too_many_rows": 1.0}, {}, "offset",
     "PaginationError", ["rows for limit 100"]),
]


#: Requests of the stream's action answered before its fault starts: enough for two pages
#: (one commit of `commit_every_pages=2`); list_calls first counts its window with ids.
CLEAN_REQUESTS = {"call_transcripts": 2, "calls": 3}
#: The simulator's history (tiny scale): reading from just before it, list_calls's first
#: windows hold rows instead of years of empty history.
HISTORY = timedelta(days=3, hours=1)


@pytest.mark.parametrize(
    ("stream", "faults", "overrides", "page_type", "error", "parts"),
    [pytest.param(stream, *case[1:], id=f"{stream}-{case[0]}")
     for stream in ("call_transcripts", "calls") for case in MID_WALK
     # list_calls is unpaginated: page hazards do not apply to it
     if stream == "call_transcripts" or case[4] != "PaginationError"])
def test_fault_mid_walk_fails_clearly_keeps_committed_rows(
        sim_factory, warehouse, stream, faults, overrides, page_type, error, parts):
    server = sim_factory(default_page_type=page_type)
    # The fault hits only this stream's action, after its first two pages; one request at a
    # time, so those are the first two pages of its walk (faults at concurrency 8: tests/e2e).
    server.simulator.set_faults(**faults, only_action=ACTIONS[stream],
                                only_after=CLEAN_REQUESTS[stream])
    settings = fast_settings(server, warehouse, max_concurrency=1,
                             start_date=server.simulator.now - HISTORY, **overrides)
    results = by_stream(sync(settings))
    failed = results[stream]
    assert failed.status == "failed"
    assert failed.error.startswith(f"{error}: {ACTIONS[stream]}"), failed.error
    for part in parts:
        assert part in failed.error, failed.error
    if stream != "calls":
        assert "page" in failed.error or "request" in failed.error, failed.error
    assert "<html" not in failed.error.lower()
    assert failed.rows_inserted > 0  # earlier batches were committed
    # Budgets hold: the stream gave up within its attempts, no endless retrying.
    faults_served = sum(server.simulator.stats_summary()["faults"].values())
    assert 1 <= faults_served <= settings.max_attempts, faults_served
    ledger = query(warehouse, "SELECT status, error FROM sippet._sync_runs WHERE stream = ?",
                   [stream])
    assert ledger == [("failed", failed.error)]
    assert_consistent_subset(warehouse, server.simulator)

    server.simulator.clear_faults()
    rerun = sync(settings)
    assert all(r.ok for r in rerun), [r.error for r in rerun]
    assert diff_warehouse(warehouse, server.simulator) == []


def test_429_storm_with_long_retry_after_fails_fast_in_the_cli(sim, warehouse):
    sim.simulator.set_faults(rate_limit=1.0, retry_after_seconds=600)
    result = run_cli(["sync", "--no-models"], cli_env(sim, warehouse), timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    # No retry, no wait, no other request: 600 s is past SIPPET_MAX_RETRY_AFTER_SECONDS, so
    # the first answer (first contact goes alone) stops the whole run at once.
    assert sim.simulator.stats_summary()["status_codes"] == {"429": 1}
    assert "not run: calls failed with TransientError" in result.stdout, result.stdout
    assert "error: calls: TransientError: list_calls: HTTP 429 asked to retry after 600 s" in (
        result.stdout)
    assert "Traceback" not in result.stderr
    sim.simulator.clear_faults()
    assert run_cli(["sync", "--no-models"], cli_env(sim, warehouse)).returncode == 0
    assert diff_warehouse(warehouse, sim.simulator) == []


def test_5xx_burst_within_the_retry_budget_recovers_exactly(sim, warehouse):
    """Four 502/503 answers in a row from request 30 on: retried through, nothing lost."""
    simulator = sim.simulator
    real_log, count = simulator.log, {"n": 0}

    def log(entry: dict) -> None:
        count["n"] += 1
        if count["n"] == 30:
            simulator.set_faults(server_error=1.0)
        if count["n"] == 34:
            simulator.set_faults(server_error=0.0)
        real_log(entry)

    simulator.log = log  # the dispatcher logs every request once it is answered
    # One request at a time: with several in flight, one answered before the burst began
    # could be logged inside it, and the burst would hold three failures, not four.
    results = sync(fast_settings(sim, warehouse, max_attempts=6, max_concurrency=1))
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.retries for r in results) == 4
    assert diff_warehouse(warehouse, simulator) == []


@pytest.mark.slow
def test_occasional_hung_connections_time_out_and_are_retried(sim, warehouse):
    sim.simulator.set_faults(hang=0.05, hang_seconds=10)
    results = sync(fast_settings(sim, warehouse, read_timeout=0.3, max_attempts=4))
    assert all(r.ok for r in results), [r.error for r in results]
    assert sum(r.retries for r in results) > 0
    sim.simulator.clear_faults()
    assert diff_warehouse(warehouse, sim.simulator) == []


@pytest.mark.parametrize("page_type", ["offset", "keyset"])
def test_occasional_empty_pages_with_has_more_recover_or_fail_clearly(
        sim_factory, warehouse, page_type):
    server = sim_factory(default_page_type=page_type)
    server.simulator.set_faults(empty_has_more=0.3)
    results = sync(fast_settings(server, warehouse))
    for r in results:
        assert r.ok or "PaginationError" in r.error, r.error
    assert_consistent_subset(warehouse, server.simulator)
    server.simulator.clear_faults()
    assert all(r.ok for r in sync(fast_settings(server, warehouse)))
    assert diff_warehouse(warehouse, server.simulator) == []


def test_proxy_html_page_with_status_200_fails_clearly(sim, warehouse, loopback):
    """A captive portal / proxy answering 200 with an HTML page instead of JSON."""
    html = (b"<!DOCTYPE html><html><head><title>Proxy Authentication Required</title>"
            b"<style>body{color:red}</style></head><body><h1>Access denied</h1></body></html>")
    proxy = loopback(lambda request: Reply(200, html, {"content-type": "text/html"}))
    settings = fast_settings(sim, warehouse).model_copy(update={"base_url": proxy.url})
    results = by_stream(sync(settings))
    error = results["calls"].error
    assert error.startswith("MalformedResponseError: list_calls: gave up after 3 attempt(s)")
    assert "Proxy Authentication Required" in error and "<html" not in error.lower()
    assert all(not r.ok for r in results.values())


def test_proxy_truncating_bodies_mid_record_then_healing(sim, warehouse, loopback):
    """Half of every answer cut off by a proxy: nothing lands; a direct rerun is exact."""
    proxy = loopback(forwarding(sim.url, raw=lambda body: body[: len(body) // 2]))
    results = sync(fast_settings(sim, warehouse).model_copy(update={"base_url": proxy.url}))
    assert all(r.error and r.error.startswith("MalformedResponseError") for r in results)
    assert_consistent_subset(warehouse, sim.simulator)
    assert all(r.ok for r in sync(fast_settings(sim, warehouse)))
    assert diff_warehouse(warehouse, sim.simulator) == []
