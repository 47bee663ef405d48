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


def price_for(prices: Prices, model: str | None, day: date) -> dict[str, Decimal | None] | None:
    candidates = [p for valid_from, p in prices.get(model or "", []) if valid_from <= day]
    return candidates[-1] if candidates else None


def utc_day(row: Row) -> date:
    return row["occurred_at"].date()  # the fixtures are UTC-aware datetimes


def tok(row: Row, column: str) -> int:
    return row.get(column) or 0


def event_cost(row: Row, prices: Prices) -> Decimal | None:
    p = price_for(prices, row.get("model"), utc_day(row))
    if p is None:
        return None
    audio_in = tok(row, "input_audio_tokens") - tok(row, "input_cached_audio_tokens")
    cached = tok(row, "input_cached_tokens")
    other_in = tok(row, "input_tokens") - tok(row, "input_audio_tokens") - cached
    other_in += tok(row, "input_cached_audio_tokens")  # cached audio already left input
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
        if e["event_type"] == "response"
        or any(e.get(c) is not None for c in ("input_tokens", "output_tokens", "total_tokens"))
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
        rec["calls"] = len({e["call_id"] for e in events})
        rec["is_priced"] = all(c is not None for c in costs)
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
        out[call["id"]] = {
            "direction": call["direction"],
            "status": call["status"],
            "call_date": call["started_at"].date(),
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


def calls_daily(ds: RawDataset, prices: Prices) -> dict[tuple, dict[str, Any]]:
    facts = call_facts(ds, prices)
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for f in facts.values():
        groups[(f["call_date"], f["direction"])].append(f)
    out = {}
    for key, calls in groups.items():
        n = len(calls)
        status = Counter(c["status"] for c in calls)
        durations = [
            c["duration_seconds"]
            for c in calls
            if c["status"] == "completed" and c["duration_seconds"] is not None
        ]
        cost = sum((c["cost_usd"] for c in calls), Decimal(0))
        out[key] = {
            "calls": n,
            "answered_calls": status["answered"] + status["completed"],
            "answer_rate": (status["answered"] + status["completed"]) / n,
            "failure_rate": status["failed"] / n,
            "no_answer_rate": status["no_answer"] / n,
            "busy_rate": status["busy"] / n,
            "duration_p50_seconds": percentile(durations, 50),
            "duration_p90_seconds": percentile(durations, 90),
            "ai_cost_usd": cost,
            "ai_cost_per_call_usd": float(cost) / n,
        }
    return out


def percentile(values: list[int], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default, same definition as quantile_cont)."""
    return float(np.percentile(values, q)) if values else None


def tool_reliability(ds: RawDataset) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    tool_events = [
        e for e in ds.call_ai_audit_events if e["event_type"] in ("tool_call", "tool_result")
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
            "calls_with_failure": len({e["call_id"] for e in failed}),
            "top_errors": [{"error": k, "failures": v} for k, v in ranked],
        }
    return out


def operator_status_history(ds: RawDataset) -> dict[str, dict[str, Any]]:
    out = {}
    by_operator: dict[str, list[Row]] = defaultdict(list)
    for e in ds.operator_status_events:
        by_operator[e["sip_user_id"]].append(e)
    for events in by_operator.values():
        previous = None
        ordered = sorted(events, key=lambda e: (e["_first_seen_at"], e["id"]))
        for n, e in enumerate(ordered, start=1):
            out[e["id"]] = {
                "sip_user_id": e["sip_user_id"],
                "sequence_number": n,
                "status": e["status"],
                "previous_status": previous,
                "is_status_change": e["status"] != previous,
            }
            previous = e["status"]
    return out


def operator_status_current(ds: RawDataset) -> dict[str, dict[str, Any]]:
    latest: dict[str, Row] = {}
    for row in ds.operator_statuses:
        kept = latest.get(row["sip_user_id"])
        if kept is None or (row["_synced_at"], row["id"]) > (kept["_synced_at"], kept["id"]):
            latest[row["sip_user_id"]] = row
    history = operator_status_history(ds)
    out = {}
    for sip_user, row in latest.items():
        mine = sorted(
            (h for h in history.values() if h["sip_user_id"] == sip_user),
            key=lambda h: h["sequence_number"],
        )
        out[sip_user] = {
            "operator_status_id": row["id"],
            "status": row["status"],
            "observed_events": len(mine),
            "last_event_status": mine[-1]["status"] if mine else None,
        }
    return out
