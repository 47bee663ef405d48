"""The issue-15 marts computed in plain Python from the raw rows (see expected.py for the style)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from tests.analytics.expected import (
    Prices,
    call_facts,
    event_cost,
    tok,
    token_events,
    utc_day,
)
from tests.analytics.raw_dataset import RawDataset, Row

SPLITS = [
    "input_text_tokens",
    "input_audio_tokens",
    "input_image_tokens",
    "input_cached_tokens",
    "output_text_tokens",
    "output_audio_tokens",
    "output_image_tokens",
    "total_tokens",
]


def agent_names(ds: RawDataset) -> dict[str, str | None]:
    """The latest snapshot row's name per agent id."""
    latest: dict[str, Row] = {}
    for row in sorted(ds.ai_agents, key=lambda r: r["_synced_at"]):
        latest[row["id"]] = row
    return {agent_id: row["name"] for agent_id, row in latest.items()}


def agent_costs_daily(ds: RawDataset, prices: Prices) -> dict[tuple, dict[str, Any]]:
    names = agent_names(ds)
    durations = {c["id"]: c["duration_seconds"] for c in ds.calls}
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for e in token_events(ds):
        groups[(utc_day(e), e.get("agent_id"))].append(e)
    out = {}
    for (day, agent), events in groups.items():
        costs = [event_cost(e, prices) for e in events]
        cost = sum((c for c in costs if c is not None), Decimal(0))
        calls = {e["call_id"] for e in events} - {None}
        timed = {c for c in calls if durations.get(c) is not None}
        minutes = sum(durations[c] for c in timed) / 60
        priced = [(e, c) for e, c in zip(events, costs, strict=True) if c is not None]
        timed_cost = sum((c for e, c in priced if e["call_id"] in timed), Decimal(0))
        rec: dict[str, Any] = {s: sum(tok(e, s) for e in events) for s in SPLITS}
        rec.update(
            agent_name=names.get(agent) if agent is not None else None,
            responses=len(events),
            calls=len(calls),
            cost_usd=cost,
            unpriced_events=sum(c is None for c in costs),
            cost_per_call_usd=float(cost) / len(calls) if calls else None,
            call_minutes=float(minutes),
            cost_per_call_minute_usd=float(timed_cost) / minutes if minutes else None,
        )
        out[(day, agent)] = rec
    return out


def _seconds(end: Any, start: Any) -> float | None:
    return None if end is None or start is None else (end - start).total_seconds()


def queue_daily(ds: RawDataset, threshold: int = 20) -> dict[tuple, dict[str, Any]]:
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for q in ds.call_queue_entries:
        start = q.get("wait_started_at")
        groups[(None if start is None else start.date(), q.get("queue_name"))].append(q)
    out = {}
    for key, entries in groups.items():
        answered, abandoned, short, waiting = [], 0, 0, 0
        waits: list[float] = []
        for q in entries:
            start = q.get("wait_started_at")
            if q.get("answered_at") is not None or q.get("state") in ("answered", "completed"):
                wait = _seconds(q.get("answered_at"), start)
                answered.append(wait)
                if wait is not None:
                    waits.append(wait)
            elif q.get("abandoned_at") is not None or q.get("state") == "abandoned":
                wait = _seconds(q.get("abandoned_at"), start)
                if wait is not None:
                    waits.append(wait)
                if wait is not None and wait < 5:
                    short += 1
                else:
                    abandoned += 1
            else:
                waiting += 1
        known = [w for w in answered if w is not None]
        within = sum(w <= threshold for w in known)
        finished = len(answered) + abandoned
        out[key] = {
            "offered": len(entries),
            "answered": len(answered),
            "abandoned": abandoned,
            "short_abandons": short,
            "waiting": waiting,
            "asa_seconds": sum(known) / len(known) if known else None,
            "service_level_threshold_seconds": threshold,
            "answered_within_threshold": within,
            "service_level": within / finished if finished else None,
            "abandonment_rate": abandoned / finished if finished else None,
            "longest_wait_seconds": max(waits) if waits else None,
        }
    return out


def operator_status_durations(ds: RawDataset) -> dict[tuple, dict[str, Any]]:
    until = max(e["_synced_at"] for e in ds.operator_status_events)
    by_operator: dict[str, list[Row]] = defaultdict(list)
    for e in ds.operator_status_events:
        if e["sip_user_id"] is not None:
            by_operator[e["sip_user_id"]].append(e)
    seconds: dict[tuple, float] = defaultdict(float)
    names = {}
    for operator, events in by_operator.items():
        ordered = sorted(events, key=lambda e: (e["_first_seen_at"], e["id"]))
        names[operator] = ordered[-1]["agent_name"]
        ends = [e["_first_seen_at"] for e in ordered[1:]] + [until]
        for e, end in zip(ordered, ends, strict=True):
            start = e["_first_seen_at"]
            seconds[(start.date(), operator, e["status"])] += 0  # seen, if only for 0 s
            while start < end:  # one slice per UTC day
                midnight = datetime.combine(start.date() + timedelta(days=1), time(), UTC)
                stop = min(end, midnight)
                seconds[(start.date(), operator, e["status"])] += (stop - start).total_seconds()
                start = stop
    day_total: dict[tuple, float] = defaultdict(float)
    for (day, operator, _status), s in seconds.items():
        day_total[(day, operator)] += s
    return {
        key: {
            "agent_name": names[key[1]],
            "seconds": s,
            "share_of_observed": s / day_total[key[:2]] if day_total[key[:2]] else None,
        }
        for key, s in seconds.items()
    }


def conversation_facts(ds: RawDataset, prices: Prices) -> dict[str, dict[str, Any]]:
    names = agent_names(ds)
    facts = call_facts(ds, prices)
    out = {}
    for conv in ds.conversations:
        items = [i for i in ds.conversation_items if i["conversation_id"] == conv["id"]]
        calls = [c for c in ds.calls if c["conversation_id"] == conv["id"]]
        times = [i["occurred_at"] for i in items if i["occurred_at"] is not None]
        roles = Counter(i["role"] for i in items)
        modalities = Counter(i["modality"] for i in items)
        agent = conv["ai_agent_id"]
        out[conv["id"]] = {
            "status": conv["status"],
            "channel": conv["channel"],
            "mode": conv["mode"],
            "ai_agent_id": agent,
            "agent_name": names.get(agent) if agent is not None else None,
            "items": len(items),
            **{f"{role}_items": roles[role] for role in ("user", "assistant", "system", "tool")},
            "text_items": modalities["text"],
            "audio_items": modalities["audio"],
            "first_item_at": min(times) if times else None,
            "last_item_at": max(times) if times else None,
            "linked_calls": len(calls),
            "call_seconds": sum(c["duration_seconds"] or 0 for c in calls),
            "ai_cost_usd": sum((facts[c["id"]]["cost_usd"] for c in calls), Decimal(0)),
            "unpriced_events": sum(facts[c["id"]]["unpriced_events"] for c in calls),
        }
    return out


def wallet_balance_history(ds: RawDataset) -> dict[str, dict[str, Any]]:
    ordered = sorted(ds.organisation_wallet_summary, key=lambda w: (w["_synced_at"], w["id"]))
    out = {}
    previous = None
    for n, w in enumerate(ordered):
        previous = ordered[n - 1]["balance_usd"] if n else None
        summary = json.loads(w["summary"])
        observed = w["fetched_at"] or w["_synced_at"]
        balance = w["balance_usd"]
        out[w["id"]] = {
            "observed_at": observed,
            "observed_date": observed.date(),
            "balance_usd": balance,
            "previous_balance_usd": previous,
            "balance_change_usd": None if None in (balance, previous) else balance - previous,
            "spent_today_usd": Decimal(summary["spentTodayUsd"]),
            "spent_this_month_usd": Decimal(summary["spentThisMonthUsd"]),
        }
    return out


def wallet_vs_ai_cost_daily(ds: RawDataset, prices: Prices) -> dict[date, dict[str, Any]]:
    out: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"estimated_ai_cost_usd": Decimal(0), "unpriced_events": 0, "snapshots": 0,
                 "wallet_spent_today_usd": None, "balance_change_usd": None}
    )
    for e in token_events(ds):
        day = utc_day(e)
        if day is not None:
            cost = event_cost(e, prices)
            out[day]["estimated_ai_cost_usd"] += cost or 0
            out[day]["unpriced_events"] += cost is None
    history = wallet_balance_history(ds)
    for snap in sorted(history.values(), key=lambda h: h["observed_at"]):
        rec = out[snap["observed_date"]]
        rec["snapshots"] += 1
        rec["wallet_spent_today_usd"] = snap["spent_today_usd"]  # the day's last one wins
        change = snap["balance_change_usd"]
        if change is not None:
            rec["balance_change_usd"] = (rec["balance_change_usd"] or 0) + change
    for rec in out.values():
        spent = rec["wallet_spent_today_usd"]
        rec["ai_share_of_wallet_spend"] = (
            float(rec["estimated_ai_cost_usd"]) / float(spent) if spent else None
        )
    return dict(out)


def cost_anomalies(ds: RawDataset, prices: Prices) -> dict[tuple, dict[str, Any]]:
    """Robust score per (dimension, key, day) over a dense calendar; floats for the statistics."""
    names = agent_names(ds)
    daily: dict[tuple, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    priced_days: dict[tuple, set[date]] = defaultdict(set)
    days = [d for e in token_events(ds) if (d := utc_day(e)) is not None]
    for e in token_events(ds):
        day, cost = utc_day(e), event_cost(e, prices)
        for dim in ("agent", "model"):
            key = e.get("agent_id" if dim == "agent" else "model")
            if key is None or day is None:
                continue
            daily[(dim, key)][day] += cost or 0
            if cost is not None:
                priced_days[(dim, key)].add(day)
    out = {}
    for (dim, key), costs in daily.items():
        if not priced_days[(dim, key)]:
            continue
        day, last = min(priced_days[(dim, key)]), max(days)
        series: list[Decimal] = []
        while day <= last:
            cost = costs.get(day, Decimal(0))
            out[(dim, key, day)] = _score(series[-14:], cost) | {
                "dimension_name": names.get(key) if dim == "agent" else key,
                "cost_usd": cost,
            }
            series.append(cost)
            day += timedelta(days=1)
    return out


def _score(past: list[Decimal], cost: Decimal) -> dict[str, Any]:
    if not past:
        return {"baseline_days": 0, "robust_score": None, "is_anomaly": False}
    values = [float(v) for v in past]
    med = float(np.median(values))
    mad = float(np.median([abs(v - med) for v in values]))
    mean_ad = float(np.mean([abs(v - med) for v in values]))
    score = None
    if len(past) >= 7 and mad > 0:
        score = 0.6745 * (float(cost) - med) / mad
    elif len(past) >= 7 and mean_ad > 0:
        score = (float(cost) - med) / (1.253314 * mean_ad)
    flat_break = len(past) >= 7 and mean_ad == 0 and float(cost) != med
    return {
        "baseline_days": len(past),
        "baseline_median_usd": med,
        "baseline_mad_usd": mad,
        "robust_score": score,
        "is_anomaly": (score is not None and abs(score) > 3.5) or flat_break,
    }
