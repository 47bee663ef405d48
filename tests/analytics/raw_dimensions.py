"""Deterministic rows for the issue-15 dimension tables (migration 010), tied to the raw dataset.

Generated after `make_dataset` with their own random stream, so adding them moves no existing row.
Every field but `id` is hidden (NULL) in a few rows, like a policy would.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal

from tests.analytics.raw_dataset import DAY0, DAYS, RawDataset, Row

SYNCED = DAY0 + timedelta(days=DAYS)
# agent-b (used by the audit events) is deliberately absent: an unknown agent keeps a NULL name.
AGENTS = [
    ("agent-a", "Front desk", SYNCED),
    ("agent-a", "Reception", DAY0),  # stale row of the renamed agent-a: the latest row wins
    ("agent-c", None, SYNCED),  # name hidden by policy
    ("agent-d", "Sales bot", SYNCED),
]
QUEUES = ["support", "sales"]
HIDE = 0.05


def dimension_tables(seed: int, calls: list[Row]) -> dict[str, list[Row]]:
    """Rows per new raw table (sippet.<name>), consistent with `calls`."""
    rnd = random.Random(seed + 2)
    tables = {
        "ai_agents": [_agent(*a) for a in AGENTS],
        "queues": [_queue(i, name) for i, name in enumerate(QUEUES)],
        "call_queue_entries": _queue_entries(rnd, calls),
        "conversations": [],
        "conversation_items": [],
        "organisation_wallet_summary": _wallet(rnd),
        "operator_status_events": _late_operator(),
    }
    _conversations(rnd, calls, tables)
    _hide(rnd, tables)
    return tables


def _late_operator() -> list[Row]:
    """An operator seen across two midnights: the last sync moves to day 2, 05:00 UTC."""
    seen = [DAY0 + timedelta(days=1, hours=22), DAY0 + timedelta(days=2, hours=3)]
    return [
        {"id": f"late-{n}", "sip_user_id": "sip-9", "agent_name": "Operator 9", "status": status,
         "source": "api", "_first_seen_at": at, "_synced_at": DAY0 + timedelta(days=2, hours=5)}
        for n, (status, at) in enumerate(zip(["available", "on_break"], seen, strict=True))
    ]


def _agent(agent_id: str, name: str | None, synced: object) -> Row:
    return {"id": agent_id, "name": name, "voice": "alloy", "published": True, "_synced_at": synced}


def _queue(i: int, name: str) -> Row:
    return {"id": f"queue-{i}", "queue_name": name, "strategy": "ring_all", "max_wait_time": 300,
            "_synced_at": SYNCED}


def _queue_entries(rnd: random.Random, calls: list[Row]) -> list[Row]:
    rows = []
    for call in calls:
        if call["started_at"] is None or rnd.random() < 0.3:
            continue
        start = call["started_at"] + timedelta(seconds=rnd.randrange(0, 5))
        wait = timedelta(seconds=rnd.choice([0, 1, 3, 4, 5, 8, 15, 20, 21, 35, 60, 95]))
        outcome = rnd.choice(["answered", "completed", "completed", "abandoned", "waiting"])
        row: Row = {
            "id": f"qe-{call['id']}",
            "call_uuid": call["call_uuid"],
            "queue_name": rnd.choice([*QUEUES, *QUEUES, None]),
            "caller_id_number": call["from_number"],
            "state": outcome,
            "wait_started_at": start,
            "_synced_at": SYNCED,
        }
        if outcome in ("answered", "completed"):
            row["answered_at"] = start + wait
            row["agent_name"] = rnd.choice(["Operator 1", "Operator 2"])
        if outcome == "completed":
            row["completed_at"] = start + wait + timedelta(minutes=3)
        if outcome == "abandoned":
            row["abandoned_at"] = start + wait
        rows.append(row)
    return rows


def _conversations(rnd: random.Random, calls: list[Row], tables: dict[str, list[Row]]) -> None:
    ids = [c["conversation_id"] for c in calls if rnd.random() < 0.7]
    ids += [f"conv-chat-{n}" for n in range(6)]
    for conv_id in ids:
        is_chat = conv_id.startswith("conv-chat")
        tables["conversations"].append({
            "id": conv_id,
            "status": rnd.choice(["active", "ended", "ended"]),
            "channel": "chat" if is_chat else "call",
            "mode": "text" if is_chat else rnd.choice(["voice", "voice", "text"]),
            "public_id": f"pub-{conv_id}",
            "ai_agent_id": rnd.choice(["agent-a", "agent-a", "agent-b", "agent-d", None]),
            "_first_seen_at": DAY0 + timedelta(hours=rnd.randrange(1, 5)),
            "_synced_at": SYNCED,
        })
        for n in range(rnd.randrange(0, 7)):
            tables["conversation_items"].append(_item(rnd, conv_id, n))
    # A late item whose conversation the sync has not seen: counted nowhere.
    tables["conversation_items"].append(_item(rnd, "conv-unseen", 0))


def _item(rnd: random.Random, conv_id: str, n: int) -> Row:
    return {
        "id": f"{conv_id}-item-{n}",
        "role": rnd.choice(["user", "assistant", "assistant", "system", "tool"]),
        "modality": rnd.choice(["text", "audio"]),
        "content": "hello",
        "item_id": f"it-{n}",
        "content_index": 0,
        "occurred_at": DAY0 + timedelta(seconds=rnd.randrange(DAYS * 86_400)),
        "conversation_id": conv_id,
        "_synced_at": SYNCED,
    }


def _wallet(rnd: random.Random) -> list[Row]:
    rows, balance, spent_month = [], Decimal("500.000000"), Decimal("12.500000")
    spent_today = Decimal(0)
    for n in range(DAYS * 4):
        fetched = DAY0 + timedelta(hours=6 * n + 1)
        if n == 5:
            balance += Decimal("100")  # a top-up: the balance rises
        spent = Decimal(rnd.randrange(0, 9_000_000)) / 1_000_000
        balance -= spent
        spent_month += spent
        # The wallet's own day restarts with the first snapshot of each UTC day here.
        spent_today = spent if fetched.hour < 6 else spent_today + spent
        summary = {"balanceUsd": str(balance), "currency": "USD",
                   "spentTodayUsd": str(spent_today),
                   "spentThisMonthUsd": str(spent_month), "updatedAt": fetched.isoformat()}
        rows.append({"id": f"run-{n:02d}:wallet", "fetched_at": fetched, "balance_usd": balance,
                     "currency": "USD", "summary": json.dumps(summary), "_synced_at": fetched})
    return rows


HIDDEN = {
    "call_queue_entries": ["queue_name", "state", "wait_started_at", "answered_at", "abandoned_at"],
    "conversations": ["channel", "mode", "ai_agent_id", "status"],
    "conversation_items": ["role", "modality", "conversation_id", "occurred_at"],
    "organisation_wallet_summary": ["balance_usd", "fetched_at"],
}


def _hide(rnd: random.Random, tables: dict[str, list[Row]]) -> None:
    """Null about HIDE of each field's carriers, at least one row each."""
    for table, columns in HIDDEN.items():
        for column in columns:
            carriers = [r for r in tables[table] if r.get(column) is not None]
            chosen = [r for r in carriers if rnd.random() < HIDE]
            for row in chosen or [rnd.choice(carriers)]:
                row[column] = None


def anomaly_dataset() -> RawDataset:
    """Three weeks of one response per agent per day: a spike, a silent gap and a flat baseline.

    agent-a (gpt-4.1-mini) costs about $0.40 a day with a 10x spike on day 17; agent-q
    (gpt-realtime) costs exactly the same each day, then more on day 12 (a break of a flat
    baseline), and is silent on days 15-16 (zero-cost days stay in its baseline).
    """
    ds = RawDataset(ai_agents=[_agent("agent-a", "Front desk", SYNCED)])
    for day in range(21):
        at = DAY0 + timedelta(days=day, hours=12)
        mtok = 1_000_000 + 37_000 * ((day * 7) % 5)
        tokens = {"agent-a": mtok * (10 if day == 17 else 1), "agent-q": 0 if day in (15, 16)
                  else (200_000 if day == 12 else 100_000)}
        for agent, model in (("agent-a", "gpt-4.1-mini"), ("agent-q", "gpt-realtime")):
            if tokens[agent]:
                ds.call_ai_audit_events.append({
                    "id": f"{agent}-{day}", "event_type": "response", "agent_id": agent,
                    "model": model, "occurred_at": at, "input_tokens": tokens[agent],
                    "output_tokens": 0, "total_tokens": tokens[agent], "_synced_at": SYNCED,
                })
    return ds
