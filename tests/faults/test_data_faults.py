"""Bad input: each record lands or goes to quarantine with a clear reason, no hazard poisons a
cursor or crashes the sync, and once the API serves valid data again the warehouse is exact
and the quarantine empty."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from pipelines.streams import STREAMS
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
from tests.truth import diff_warehouse, duplicate_ids, truth_rows, truth_streams, warehouse_rows

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


def _hidden_time_diffs(warehouse: str, simulator) -> list[str]:
    """Rows that differ from the truth other than by a cursor column held as NULL (rows may
    be missing: id-less records are quarantined)."""
    con = duckdb.connect(warehouse, read_only=True)
    problems = []
    try:
        for spec in map(STREAMS.get, truth_streams()):
            truth, held = truth_rows(simulator, spec), warehouse_rows(con, spec)
            problems += [f"{spec.name}: unexpected {i}" for i in held.keys() - truth.keys()]
            for record_id in held.keys() & truth.keys():
                row = dict(held[record_id])
                if spec.cursor_column and row[spec.cursor_column] is None:
                    row[spec.cursor_column] = truth[record_id][spec.cursor_column]
                if row != truth[record_id]:
                    problems.append(f"{spec.name}: {record_id} differs")
            if duplicate_ids(con, spec):
                problems.append(f"{spec.name}: duplicate ids")
    finally:
        con.close()
    return problems


def test_null_ids_are_quarantined_and_null_times_land_then_heal(sim, warehouse):
    """`null_required` nulls the id or the cursor field of a record. Only `id` is required:
    an id-less record is quarantined; a null time lands as NULL (a field hidden by policy)
    and is corrected once the API serves it again."""
    sim.simulator.set_faults(null_required=0.05)
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings)
    assert sum(r.rows_quarantined for r in results.values()) > 0
    held = quarantine_rows(warehouse)
    assert held and all(row[1].startswith("?no-id:") for row in held), held
    assert all("field id:" in row[3] for row in held), held
    untimed = query(warehouse, "SELECT count(*) FROM sippet.call_ai_audit_events "
                               "WHERE occurred_at IS NULL")[0][0]
    assert untimed > 0
    assert _hidden_time_diffs(warehouse, sim.simulator) == []
    _heal_and_check(sim, warehouse, settings)


def test_records_with_a_null_time_land_and_are_updated_when_revealed(sim, warehouse, loopback):
    """A null occurredAt/startedAt (id intact) is not a reason to quarantine: the record lands
    with a NULL time, never moves a cursor, and takes its real time once it is served."""
    def null_time(action: str, records: list[dict]) -> None:
        for record in records[::17]:
            for name in ("occurredAt", "startedAt"):
                if name in record:
                    record[name] = None

    proxy = loopback(forwarding(sim.url, mutate=null_time))
    settings = fast_settings(sim, warehouse)
    results = _sync_ok(settings.model_copy(update={"base_url": proxy.url}))
    assert sum(r.rows_quarantined for r in results.values()) == 0
    assert quarantine_rows(warehouse) == []
    for table, column in (("calls", "started_at"), ("call_transcripts", "occurred_at")):
        nulls = query(warehouse, f"SELECT count(*) FROM sippet.{table} WHERE {column} IS NULL")
        assert nulls[0][0] > 0, table
    assert _hidden_time_diffs(warehouse, sim.simulator) == []
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
    # Which page gets the long line is drawn per request number: one request at a time keeps
    # that order, and so the pages that carry one, the same on every run.
    settings = fast_settings(sim, warehouse, read_timeout=20, max_concurrency=1)
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
    # Immutable lines (and participants already final: never re-read) keep the text first
    # served (with NUL/ESC); nothing else differs.
    problems = diff_warehouse(warehouse, sim.simulator)
    assert all("['speaker']" in p or "['role']" in p or "rows differ" in p
               for p in problems), problems
