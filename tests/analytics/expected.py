"""What each analytics model should contain, computed in plain Python from the raw rows.

Deliberately written differently from the SQL (loops over dicts, Decimal arithmetic over the
modality splits, numpy percentiles) so the tests compare two independent derivations.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from tests.analytics.raw_dataset import RawDataset, Row

SEED_CSV = Path(__file__).parents[2] / "warehouse" / "models" / "seeds" / "model_prices.csv"
PRICE_FIELDS = ["input", "cached_input", "output", "audio_input", "audio_output"]
Prices = dict[str, list[tuple[date, dict[str, Decimal | None]]]]
MILLION = Decimal(1_000_000)


def read_prices(*paths: Path) -> Prices:
    """Price rows per model, later files winning for the same (model, valid_from)."""
    rows: dict[tuple[str, date], dict[str, Decimal | None]] = {}
    for path in (SEED_CSV, *paths):
        with path.open(newline="") as fh:
            for rec in csv.DictReader(fh):
                key = (rec["model"], date.fromisoformat(rec["valid_from"]))
                rows[key] = {
                    f: Decimal(rec[f"{f}_per_mtok"]) if rec.get(f"{f}_per_mtok") else None
                    for f in PRICE_FIELDS
                }
    prices: Prices = defaultdict(list)
    for (model, valid_from), p in sorted(rows.items()):
        prices[model].append((valid_from, p))
    return prices


def price_for(
    prices: Prices, model: str | None, day: date | None
) -> dict[str, Decimal | None] | None:
    if model is None or day is None:  # a hidden model or date is never guessed
        return None
    candidates = [p for valid_from, p in prices.get(model, []) if valid_from <= day]
    return candidates[-1] if candidates else None


def utc_day(row: Row) -> date | None:
    at = row.get("occurred_at")
    return None if at is None else at.date()  # the fixtures are UTC-aware datetimes


def tok(row: Row, column: str) -> int:
    return row.get(column) or 0


def event_cost(row: Row, prices: Prices) -> Decimal | None:
    p = price_for(prices, row.get("model"), utc_day(row))
    if p is None or row.get("input_tokens") is None or row.get("output_tokens") is None:
        return None  # without both totals the cost is unknown, not smaller
    # A hidden audio count cannot make audio negative: its tokens stay in the text+image part.
    audio_in = max(tok(row, "input_audio_tokens") - tok(row, "input_cached_audio_tokens"), 0)
    cached = tok(row, "input_cached_tokens")
    other_in = row["input_tokens"] - cached - audio_in
    audio_out = tok(row, "output_audio_tokens")
    other_out = tok(row, "output_tokens") - audio_out
    input_price = p["input"]
    output_price = p["output"]
    assert input_price is not None and output_price is not None
    micro_usd = (
        other_in * input_price
        + audio_in * _or(p["audio_input"], input_price)
        + cached * _or(p["cached_input"], input_price)
        + other_out * output_price
        + audio_out * _or(p["audio_output"], output_price)
    )
    return micro_usd / MILLION


def _or(price: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if price is None else price


def token_events(ds: RawDataset) -> list[Row]:
    return [
        e
        for e in ds.call_ai_audit_events
        if e.get("event_type") == "response" or any(e.get(c) is not None for c in TOKEN_COLUMNS)
    ]


TOKEN_COLUMNS = [
    "input_tokens",
    "input_text_tokens",
    "input_audio_tokens",
    "input_image_tokens",
    "input_cached_tokens",
    "input_cached_text_tokens",
    "input_cached_audio_tokens",
    "input_cached_image_tokens",
    "output_tokens",
    "output_text_tokens",
    "output_audio_tokens",
    "output_image_tokens",
    "total_tokens",
]


def token_usage_daily(ds: RawDataset, prices: Prices) -> dict[tuple, dict[str, Any]]:
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for e in token_events(ds):
        groups[(utc_day(e), e.get("model"), e.get("agent_id"))].append(e)
    out = {}
    for key, events in groups.items():
        rec: dict[str, Any] = {c: sum(tok(e, c) for e in events) for c in TOKEN_COLUMNS}
        costs = [event_cost(e, prices) for e in events]
        rec["events"] = len(events)
        rec["calls"] = len({e["call_id"] for e in events} - {None})
        rec["unpriced_events"] = sum(c is None for c in costs)
        rec["is_priced"] = rec["unpriced_events"] == 0
        rec["cost_usd"] = sum(costs, Decimal(0)) if rec["is_priced"] else None  # type: ignore[arg-type]
        rec["cache_hit_ratio"] = (
            rec["input_cached_tokens"] / rec["input_tokens"] if rec["input_tokens"] else None
        )
        out[key] = rec
    return out


def words(text: str | None) -> int:
    return len((text or "").split())


def call_facts(ds: RawDataset, prices: Prices) -> dict[str, dict[str, Any]]:
    out = {}
    for call in ds.calls:
        lines = [t for t in ds.call_transcripts if t["call_id"] == call["id"]]
        events = [e for e in ds.call_ai_audit_events if e["call_id"] == call["id"]]
        kinds = Counter(e["event_type"] for e in events)
        tokens = [e for e in token_events(ds) if e["call_id"] == call["id"]]
        costs = [event_cost(e, prices) for e in tokens]
        started = call["started_at"]
        out[call["id"]] = {
            "direction": call["direction"],
            "status": call["status"],
            "is_final": call["status"] in FINAL,
            "call_date": None if started is None else started.date(),
            "duration_seconds": call["duration_seconds"],
            "transcript_lines": len(lines),
            "caller_lines": sum(t["speaker"] == "caller" for t in lines),
            "agent_lines": sum(t["speaker"] == "agent" for t in lines),
            "caller_words": sum(words(t["content"]) for t in lines if t["speaker"] == "caller"),
            "agent_words": sum(words(t["content"]) for t in lines if t["speaker"] == "agent"),
            "ai_events": len(events),
            "response_events": kinds["response"],
            "tool_calls": kinds["tool_call"],
            "tool_results": kinds["tool_result"],
            "tool_failures": sum(
                e["event_type"] == "tool_result" and e.get("success") is False for e in events
            ),
            "state_steps": kinds["state_step"],
            "total_tokens": sum(tok(e, "total_tokens") for e in tokens),
            "cost_usd": sum((c for c in costs if c is not None), Decimal(0)),
            "unpriced_events": sum(c is None for c in costs),
            "models_used": sorted({e["model"] for e in events if e.get("model")}),
        }
    return out


FINAL = {"completed", "failed", "busy", "no_answer"}


def calls_daily(ds: RawDataset, prices: Prices) -> dict[tuple, dict[str, Any]]:
    facts = call_facts(ds, prices)
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for f in facts.values():
        groups[(f["call_date"], f["direction"])].append(f)
    out = {}
    for key, calls in groups.items():
        n = len(calls)
        status = Counter(c["status"] for c in calls)
        known = n - status[None]  # a hidden status is no outcome at all: out of every rate
        durations = [
            c["duration_seconds"]
            for c in calls
            if c["status"] == "completed" and c["duration_seconds"] is not None
        ]
        cost = sum((c["cost_usd"] for c in calls), Decimal(0))
        out[key] = {
            "calls": n,
            "unknown_status_calls": status[None],
            "in_progress_calls": sum(status[s] for s in ("initiated", "ringing", "answered")),
            "answered_calls": status["answered"] + status["completed"],
            "answer_rate": ratio(status["answered"] + status["completed"], known),
            "failure_rate": ratio(status["failed"], known),
            "no_answer_rate": ratio(status["no_answer"], known),
            "busy_rate": ratio(status["busy"], known),
            "duration_p50_seconds": percentile(durations, 50),
            "duration_p90_seconds": percentile(durations, 90),
            "ai_cost_usd": cost,
            "ai_cost_per_call_usd": float(cost) / n,
        }
    return out


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(values: list[int], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default, same definition as quantile_cont)."""
    return float(np.percentile(values, q)) if values else None


def tool_reliability(ds: RawDataset) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    tool_events = [
        e for e in ds.call_ai_audit_events if e.get("event_type") in ("tool_call", "tool_result")
    ]
    for name in {e.get("tool_name") or "(unknown)" for e in tool_events}:
        events = [e for e in tool_events if (e.get("tool_name") or "(unknown)") == name]
        results = [e for e in events if e["event_type"] == "tool_result"]
        ok = sum(e.get("success") is True for e in results)
        failed = [e for e in results if e.get("success") is False]
        errors = Counter(e["error"] for e in failed if e.get("error") is not None)
        ranked = sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        out[name] = {
            "tool_calls": sum(e["event_type"] == "tool_call" for e in events),
            "tool_results": len(results),
            "successes": ok,
            "failures": len(failed),
            "unknown_outcomes": sum(e.get("success") is None for e in results),
            "success_rate": ok / (ok + len(failed)) if ok + len(failed) else None,
            "calls_with_failure": len({e["call_id"] for e in failed if e["call_id"] is not None}),
            "top_errors": [{"error": k, "failures": v} for k, v in ranked],
        }
    return out


def operator_status_history(ds: RawDataset) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    by_operator: dict[str, list[Row]] = defaultdict(list)
    for e in ds.operator_status_events:
        if e["sip_user_id"] is None:  # no operator, so no place in any sequence
            out[e["id"]] = {
                "sip_user_id": None,
                "sequence_number": None,
                "status": e["status"],
                "previous_status": None,
                "is_status_change": None,
            }
        else:
            by_operator[e["sip_user_id"]].append(e)
    for events in by_operator.values():
        ordered = sorted(events, key=lambda e: (e["_first_seen_at"], e["id"]))
        for n, e in enumerate(ordered, start=1):
            previous = ordered[n - 2]["status"] if n > 1 else None
            if e["status"] is None or (n > 1 and previous is None):
                change = None  # one side unknown: whether it changed is unknown
            else:
                change = e["status"] != previous
            out[e["id"]] = {
                "sip_user_id": e["sip_user_id"],
                "sequence_number": n,
                "status": e["status"],
                "previous_status": previous,
                "is_status_change": change,
            }
    return out


def operator_status_current(ds: RawDataset) -> dict[str, dict[str, Any]]:
    """Keyed by the snapshot row id: rows with a hidden sip_user_id are each kept."""
    latest: dict[str, Row] = {}
    kept_rows = [row for row in ds.operator_statuses if row["sip_user_id"] is None]
    for row in ds.operator_statuses:
        if row["sip_user_id"] is None:
            continue
        kept = latest.get(row["sip_user_id"])
        if kept is None or (row["_synced_at"], row["id"]) > (kept["_synced_at"], kept["id"]):
            latest[row["sip_user_id"]] = row
    history = operator_status_history(ds)
    out = {}
    for row in [*latest.values(), *kept_rows]:
        mine = sorted(
            (
                h
                for h in history.values()
                if row["sip_user_id"] is not None and h["sip_user_id"] == row["sip_user_id"]
            ),
            key=lambda h: h["sequence_number"],
        )
        out[row["id"]] = {
            "sip_user_id": row["sip_user_id"],
            "status": row["status"],
            "observed_events": len(mine),
            "last_event_status": mine[-1]["status"] if mine else None,
        }
    return out
