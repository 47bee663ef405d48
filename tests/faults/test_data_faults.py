"""Bad input: each record lands or goes to quarantine with a clear reason, no hazard poisons a
cursor or crashes the sync, and once the API serves valid data again the warehouse is exact
and the quarantine empty."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.sync import sync
from tests.faults.conftest import (
    TIME_STREAMS,
    assert_consistent_subset,
    by_stream,
    fast_settings,
    forwarding,
    quarantine_rows,
    query,
)
from tests.truth import diff_warehouse

# hazard -> the field named in the quarantine reason (None: any field)
QUARANTINED = {
    "missing_field": "Field required",
    "nan": "(value: nan)",
    "naive_timestamp": "timezone",
    "control_chars": "cannot be stored",
    "poison": None,
}


def _sync_ok(settings):
    results = sync(settings)
    assert all(r.ok for r in results), [r.error for r in results]
    return by_stream(results)


def _heal_and_check(server, warehouse, settings):
    server.simulator.clear_faults()
    healed = _sync_ok(settings)
    assert sum(r.rows_quarantined for r in healed.values()) == 0
    assert quarantine_rows(warehouse) == []
    assert diff_warehouse(warehouse, server.simulator) == []


@pytest.mark.parametrize("hazard", list(QUARANTINED))
def test_bad_records_are_quarantined_with_a_clear_reason_then_released(
        sim, warehouse, hazard):
    sim.simulator.set_faults(**{hazard: 0.05})
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings)  # a bad record never fails its stream
    assert sum(r.rows_quarantined for r in results.values()) > 0
    held = quarantine_rows(warehouse)
    assert held
    for stream, record_id, field, reason in held:
        assert f"record {record_id}" in reason and stream in reason, reason
        if hazard != "control_chars":
            assert field and f"field {field}" in reason, reason
        if QUARANTINED[hazard]:
            assert QUARANTINED[hazard] in reason, reason
    raw = query(warehouse, "SELECT raw_json FROM sippet._quarantine")
    assert all(r[0].startswith("{") for r in raw)
    assert_consistent_subset(warehouse, sim.simulator)
    _heal_and_check(sim, warehouse, settings)


def test_null_required_fields_are_quarantined_then_released(sim, warehouse):
    sim.simulator.set_faults(null_required=0.05)
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings)
    assert sum(r.rows_quarantined for r in results.values()) > 0
    reasons = [row[3] for row in quarantine_rows(warehouse)]
    assert all("Input should be a valid" in r or "none" in r.lower() for r in reasons), reasons
    assert_consistent_subset(warehouse, sim.simulator)
    _heal_and_check(sim, warehouse, settings)


def test_null_required_records_with_an_id_are_released(sim, warehouse, loopback):
    """A null occurredAt/startedAt (id intact): quarantined by id, re-read, released."""
    def null_time(action: str, records: list[dict]) -> None:
        for record in records[::17]:
            for name in ("occurredAt", "startedAt"):
                if name in record:
                    record[name] = None

    proxy = loopback(forwarding(sim.url, mutate=null_time))
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings.model_copy(update={"base_url": proxy.url}))
    held = quarantine_rows(warehouse)
    assert held and sum(r.rows_quarantined for r in results.values()) >= len(held)
    assert {row[2] for row in held} <= {"occurredAt", "startedAt"}
    assert_consistent_subset(warehouse, sim.simulator)
    _heal_and_check(sim, warehouse, settings)


def test_unknown_fields_are_tolerated_and_reported(sim, warehouse):
    sim.simulator.set_faults(extra_field=1.0)
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings)
    for name, result in results.items():
        assert any("sentimentScore" in w for w in result.warnings), (name, result.warnings)
        assert result.rows_quarantined == 0
    columns = {r[0] for r in query(warehouse, "SELECT column_name FROM "
                                              "information_schema.columns")}
    assert not {"sentimentScore", "sentiment_score"} & columns
    assert diff_warehouse(warehouse, sim.simulator) == []


def test_unknown_field_on_later_records_of_a_page_is_reported(sim, warehouse, loopback):
    def extra_on_last(action: str, records: list[dict]) -> None:
        if len(records) > 1:
            records[-1]["sentimentScore"] = 0.5

    proxy = loopback(forwarding(sim.url, mutate=extra_on_last))
    results = _sync_ok(fast_settings(sim, warehouse).model_copy(
        update={"base_url": proxy.url}))
    assert any("sentimentScore" in w for w in results["call_transcripts"].warnings)


@pytest.mark.slow
def test_a_field_changing_type_quarantines_every_record_naming_the_field(
        sim, warehouse, loopback):
    """The API starts sending inputTokens as a string ("812") for every audit event."""
    def stringly(action: str, records: list[dict]) -> None:
        for record in records:
            if record.get("inputTokens") is not None:
                record["inputTokens"] = str(record["inputTokens"])

    proxy = loopback(forwarding(sim.url, mutate=stringly))
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings.model_copy(update={"base_url": proxy.url}))
    audit = results["call_ai_audit_events"]
    assert audit.rows_quarantined > 100
    fields = {row[2] for row in quarantine_rows(warehouse)}
    assert fields == {"inputTokens"}
    assert all("valid integer" in r for r in audit.quarantine_reasons)
    assert_consistent_subset(warehouse, sim.simulator)
    _heal_and_check(sim, warehouse, settings)


def test_future_timestamps_never_push_a_cursor_past_the_sync_end(sim, warehouse):
    sim.simulator.set_faults(future_timestamp=0.05)
    settings = fast_settings(sim, warehouse)
    before = datetime.now(UTC)
    results = _sync_ok(settings)
    after = datetime.now(UTC)
    for name in TIME_STREAMS:
        cursor = datetime.fromisoformat(results[name].cursor_after.replace("Z", "+00:00"))
        assert cursor <= after, (name, cursor)
        assert results[name].started_at >= before
    dupes = query(warehouse, "SELECT count(*) - count(DISTINCT id) FROM sippet.call_transcripts")
    assert dupes == [(0,)]


def test_future_timestamps_heal_to_an_exact_warehouse(sim, warehouse):
    sim.simulator.set_faults(future_timestamp=0.05)
    settings = fast_settings(sim, warehouse)
    _sync_ok(settings)
    _heal_and_check(sim, warehouse, settings)


@pytest.mark.slow
def test_a_10_mb_transcript_line_lands(sim, warehouse):
    sim.simulator.set_faults(huge_string=0.05)
    settings = fast_settings(sim, warehouse, read_timeout=20)
    results = _sync_ok(settings)
    assert results["call_transcripts"].rows_quarantined == 0
    huge = query(warehouse, "SELECT id, strlen(content) FROM sippet.call_transcripts "
                            "WHERE strlen(content) > 10000000")
    assert huge, "no 10 MB line was served"
    sim.simulator.clear_faults()
    # The simulator invented the long text (the truth keeps the short line): all else exact.
    problems = diff_warehouse(warehouse, sim.simulator)
    assert all("['content']" in p or "rows differ in total" in p for p in problems), problems
    assert query(warehouse, "SELECT count(*) - count(DISTINCT id) FROM "
                            "sippet.call_transcripts") == [(0,)]


def test_lone_surrogate_and_control_characters_never_crash_the_sync(sim, warehouse, loopback):
    """Raw bytes from the wire: NUL/ESC land as text, a lone surrogate goes to quarantine."""
    def hostile(body: bytes) -> bytes:
        return body.replace(b'"caller"', b'"caller\\u0000\\u001b[0m"', 3).replace(
            b'"agent"', b'"agent\\udc80"', 2)

    proxy = loopback(forwarding(sim.url, raw=hostile))
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings.model_copy(update={"base_url": proxy.url}))
    assert results["call_transcripts"].rows_quarantined > 0
    reasons = results["call_transcripts"].quarantine_reasons
    assert all("cannot be stored" in r and "surrogate" in r for r in reasons), reasons
    landed = query(warehouse, "SELECT count(*) FROM sippet.call_transcripts "
                              "WHERE speaker LIKE 'caller' || chr(0) || '%'")
    assert landed[0][0] > 0
    healed = _sync_ok(settings)
    assert sum(r.rows_quarantined for r in healed.values()) == 0
    assert quarantine_rows(warehouse) == []
    # Immutable lines keep the text first served (with NUL/ESC); nothing else differs.
    problems = diff_warehouse(warehouse, sim.simulator)
    assert all("['speaker']" in p or "rows differ" in p for p in problems), problems
