"""Dataset realism, determinism, and the moving clock."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.models import RESOURCE_MODELS
from pipelines.simulator import RESOURCES, Simulator, SimulatorConfig

FINAL = {"completed", "failed", "busy", "no_answer"}
LIVE = {"initiated", "ringing", "answered"}


def test_tiny_size_and_records_validate_against_the_engine_models():
    sim = Simulator(scale="tiny")
    assert 1500 <= len(sim.ground_truth("CallAiAuditEvent")) <= 3000
    for name, model in RESOURCE_MODELS.items():
        for row in sim.ground_truth(name):
            model.model_validate(row)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = Simulator(seed=3), Simulator(seed=3), Simulator(seed=4)
    for name in RESOURCES:
        assert a.ground_truth(name) == b.ground_truth(name)
    assert a.ground_truth("Call") != c.ground_truth("Call")


def test_tokens_add_up_and_are_null_off_responses():
    sim = Simulator(scale="tiny")
    rows = sim.ground_truth("CallAiAuditEvent")
    responses = [r for r in rows if r["eventType"] == "response"]
    assert len({r["model"] for r in responses}) >= 4
    for r in responses:
        assert r["inputTokens"] == r["inputTextTokens"] + r["inputAudioTokens"] + \
            r["inputImageTokens"]
        assert r["inputCachedTokens"] == r["inputCachedTextTokens"] + \
            r["inputCachedAudioTokens"] + r["inputCachedImageTokens"] <= r["inputTokens"]
        assert r["outputTokens"] == r["outputTextTokens"] + r["outputAudioTokens"] + \
            r["outputImageTokens"]
        assert r["totalTokens"] == r["inputTokens"] + r["outputTokens"]
        u = r["tokenUsage"]
        assert (u["input_tokens"], u["output_tokens"], u["total_tokens"]) == (
            r["inputTokens"], r["outputTokens"], r["totalTokens"])
        assert u["input_token_details"]["cached_tokens"] == r["inputCachedTokens"]
    for r in rows:
        if r["eventType"] != "response":
            assert r["inputTokens"] is None and r["tokenUsage"] is None


def test_event_shapes():
    sim = Simulator(scale="small")
    rows = sim.ground_truth("CallAiAuditEvent")
    calls = {c["id"]: c for c in sim.ground_truth("Call")}
    results = [r for r in rows if r["eventType"] == "tool_result"]
    assert {r["toolName"] for r in results} >= {"lookup_customer", "book_appointment",
                                                "transfer_call", "send_sms",
                                                "check_availability"}
    failed = [r for r in results if r["success"] is False]
    assert failed and all(r["error"] for r in failed)
    assert all(r["error"] is None for r in results if r["success"])
    assert all(r["toolName"] is None for r in rows if r["eventType"] == "response")
    steps = [r for r in rows if r["eventType"] == "state_step"]
    assert all(isinstance(r["progressPercent"], float) and r["stateId"] for r in steps)
    assert all(0 <= r["stepIndex"] < r["totalSteps"] for r in steps)
    for r in rows[:500]:
        call = calls[r["callId"]]
        assert r["callUuid"] == call["callUuid"]
        assert call["status"] in ("completed", "answered")


def test_calls_mix_and_nulls():
    sim = Simulator(scale="small")
    calls = sim.ground_truth("Call")
    status = [c["status"] for c in calls]
    assert status.count("completed") > len(calls) * 0.6
    assert {"failed", "busy", "no_answer"} <= set(status)
    assert any(c["sipUsername"] is None for c in calls)
    assert any(c["sipUsername"] for c in calls)
    live = [c for c in calls if c["status"] in LIVE]
    assert live and all(c["endedAt"] is None and c["durationSeconds"] is None for c in live)
    with_lines = {t["callId"] for t in sim.ground_truth("CallTranscript")}
    for c in calls:
        if c["status"] in ("failed", "busy", "no_answer"):
            assert c["durationSeconds"] == 0 and c["id"] not in with_lines
    days = {c["startedAt"][:10] for c in calls}
    assert len(days) >= 28


def test_transcripts_carry_unicode_quotes_and_newlines():
    sim = Simulator(scale="small")
    text = "".join(t["content"] for t in sim.ground_truth("CallTranscript"))
    for needle in ("é", "ü", "😊", "我", '"', "\n"):
        assert needle in text
    assert {t["speaker"] for t in sim.ground_truth("CallTranscript")} == {"caller", "agent"}


def test_long_calls_in_progress_complete_as_time_moves():
    sim = Simulator(scale="tiny")
    start = sim.now
    old = [c for c in sim.ground_truth("Call") if c["status"] in LIVE
           and (start - datetime.fromisoformat(c["startedAt"])).total_seconds() > 3 * 3600]
    assert len(old) >= 2
    sim.advance(minutes=8 * 60)
    now_calls = {c["id"]: c for c in sim.ground_truth("Call")}
    for c in old:
        done = now_calls[c["id"]]
        assert done["status"] == "completed" and done["endedAt"] and done["durationSeconds"] > 0


def test_new_calls_and_late_events_appear():
    sim = Simulator(scale="small")
    before = {r["id"]: r for r in sim.ground_truth("CallAiAuditEvent")}
    calls_before = len(sim.ground_truth("Call"))
    t0 = sim.now
    sim.advance(minutes=180)
    after = sim.ground_truth("CallAiAuditEvent")
    new = [r for r in after if r["id"] not in before]
    assert new and len(sim.ground_truth("Call")) > calls_before
    # late arrivals: rows that occurred before the previous `now` but were not visible then
    late = [r for r in new if datetime.fromisoformat(r["occurredAt"]) < t0]
    assert late


def test_clock_crosses_days_and_generates_more_data():
    sim = Simulator(scale="tiny")
    n = len(sim.ground_truth("Call"))
    sim.advance_to(datetime(2026, 11, 3, 12, tzinfo=UTC))
    assert sim.now == datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert len(sim.ground_truth("Call")) > n


def test_operator_events_and_statuses_move():
    sim = Simulator(scale="tiny")
    events = {e["id"] for e in sim.ground_truth("OperatorStatusEvent")}
    statuses = {s["id"]: s for s in sim.ground_truth("OperatorStatus")}
    assert 15 <= len(statuses) <= 20
    sim.advance(minutes=7 * 60)
    new_events = [e for e in sim.ground_truth("OperatorStatusEvent") if e["id"] not in events]
    assert new_events
    # random uuids: new events are not all after the old ones in id order
    assert min(e["id"] for e in new_events) < max(events)
    later = {s["id"]: s for s in sim.ground_truth("OperatorStatus")}
    assert set(later) < set(statuses)  # some operators disappeared
    assert any(later[i]["status"] != statuses[i]["status"] for i in later)
    assert any(e["changedByUserId"] is None for e in new_events)


def test_operator_status_is_latest_event():
    sim = Simulator(scale="tiny")
    res = sim.resources["OperatorStatusEvent"]
    latest = res.latest(sim.now_us)
    statuses = {s["sipUserId"]: s for s in sim.ground_truth("OperatorStatus")}
    import numpy as np

    rows = res.serialize(res.fields, np.array(sorted(latest.values())), sim.now_us)
    by_user = {r["sipUserId"]: r for r in rows}
    for user, status in statuses.items():
        assert status["status"] == by_user[user]["status"]


def test_config_start_and_live():
    sim = Simulator(SimulatorConfig(start=datetime(2025, 1, 1, tzinfo=UTC)))
    assert sim.now == datetime(2025, 1, 1, tzinfo=UTC)
    live = Simulator(live=True)
    assert abs((live.now - datetime.now(UTC)).total_seconds()) < 5
