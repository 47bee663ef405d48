"""A small deterministic raw dataset for the analytics tests, and how to load it into DuckDB.

Rows are plain dicts shaped like the `sippet.*` raw tables so the expected numbers can be computed
from them in Python (see `expected.py`), independently of the SQL models.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

Row = dict[str, Any]

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 3
PRICED_MODELS = [
    "gpt-4o-realtime-preview",
    "gpt-4o-mini-realtime-preview",
    "gpt-realtime",
    "gpt-4.1-mini",
    "claude-sonnet-4-5",
]
UNPRICED_MODEL = "mystery-model-9"
TOOLS = ["lookup_customer", "book_appointment", "transfer_call"]
ERRORS = ["timeout after 5s", "customer not found", "calendar unavailable", "HTTP 500"]
WORDS = ["hello", "yes", "no", "appointment", "tuesday", "thanks", "can", "I", "help", "you"]
SEPARATORS = [" ", "  ", "\t", " \n "]
FINAL_STATUSES = ["completed", "completed", "completed", "failed", "busy", "no_answer"]
IN_PROGRESS = ["initiated", "ringing", "answered"]
TOKEN_SPLITS = [
    "input_text_tokens",
    "input_audio_tokens",
    "input_image_tokens",
    "input_cached_text_tokens",
    "input_cached_audio_tokens",
    "input_cached_image_tokens",
    "output_text_tokens",
    "output_audio_tokens",
    "output_image_tokens",
]
TOKEN_TOTALS = ["input_tokens", "input_cached_tokens", "output_tokens", "total_tokens"]


@dataclass
class RawDataset:
    calls: list[Row] = field(default_factory=list)
    call_transcripts: list[Row] = field(default_factory=list)
    call_ai_audit_events: list[Row] = field(default_factory=list)
    operator_status_events: list[Row] = field(default_factory=list)
    operator_statuses: list[Row] = field(default_factory=list)
    # Issue-15 dimension tables (migration 010), built by raw_dimensions.py.
    ai_agents: list[Row] = field(default_factory=list)
    queues: list[Row] = field(default_factory=list)
    call_queue_entries: list[Row] = field(default_factory=list)
    conversations: list[Row] = field(default_factory=list)
    conversation_items: list[Row] = field(default_factory=list)
    organisation_wallet_summary: list[Row] = field(default_factory=list)

    def tables(self) -> dict[str, list[Row]]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def make_dataset(seed: int = 5, calls: int = 80) -> RawDataset:
    """Calls over three UTC days with transcripts, AI events and operator status events."""
    rnd = random.Random(seed)
    ds = RawDataset()
    for i in range(calls):
        call = _call(rnd, i)
        ds.calls.append(call)
        if call["status"] in ("answered", "completed") or rnd.random() < 0.2:
            ds.call_transcripts.extend(_transcripts(rnd, call))
            ds.call_ai_audit_events.extend(_events(rnd, call))
    # An orphan line and event of a call the sync has not seen yet: not in call_facts.
    orphan = {"id": "call-orphan", "started_at": DAY0 + timedelta(hours=5)}
    ds.call_transcripts.extend(_transcripts(rnd, orphan)[:1])
    ds.call_ai_audit_events.extend(_events(rnd, orphan)[:1])
    _operators(rnd, ds)
    hide_fields(random.Random(seed + 1), ds)
    from tests.analytics.raw_dimensions import dimension_tables  # it imports this module

    for table, rows in dimension_tables(seed, ds.calls).items():
        getattr(ds, table).extend(rows)
    return ds


# Fields a policy may hide (the API then sends null): nulled in a few percent of the rows, at least
# one row each, after generation so the rest of the dataset does not move.
HIDDEN_FIELDS: dict[str, list[str]] = {
    "calls": ["status", "started_at", "direction", "duration_seconds"],
    "call_transcripts": ["speaker", "content", "call_id", "occurred_at"],
    "call_ai_audit_events": [
        "occurred_at",
        "model",
        "agent_id",
        "event_type",
        "call_id",
        "success",
        "tool_name",
        "input_tokens",
        "output_tokens",
        "input_audio_tokens",
        "total_tokens",
    ],
    "operator_status_events": ["sip_user_id", "status"],
    "operator_statuses": ["sip_user_id", "status"],
}
HIDDEN_SHARE = 0.04


def hide_fields(rnd: random.Random, ds: RawDataset) -> None:
    """Null each field of HIDDEN_FIELDS in about HIDDEN_SHARE of the rows that carry it."""
    for table, columns in HIDDEN_FIELDS.items():
        rows = getattr(ds, table)
        for column in columns:
            carriers = [r for r in rows if r.get(column) is not None]
            chosen = [r for r in carriers if rnd.random() < HIDDEN_SHARE]
            for row in chosen or [rnd.choice(carriers)]:
                row[column] = None
    # The reconciliation test needs token-bearing events with these fields hidden, whatever the
    # draw above gave: hide each on one more priced response.
    for column in ("occurred_at", "model", "agent_id", "event_type"):
        responses = [
            e
            for e in ds.call_ai_audit_events
            if (e.get("input_tokens") or 0) > 0 and e.get("model") in PRICED_MODELS
        ]
        rnd.choice(responses)[column] = None
    # An operator whose latest observed event has a hidden status: its last status is unknown.
    sip_1 = [e for e in ds.operator_status_events if e["sip_user_id"] == "sip-1"]
    max(sip_1, key=lambda e: (e["_first_seen_at"], e["id"]))["status"] = None


def _call(rnd: random.Random, i: int) -> Row:
    started = DAY0 + timedelta(days=i % DAYS, seconds=rnd.randrange(86_400))
    status = rnd.choice(FINAL_STATUSES + IN_PROGRESS)
    duration = None
    if status in FINAL_STATUSES:
        duration = rnd.randrange(20, 900) if status == "completed" else rnd.randrange(0, 40)
    return {
        "id": f"call-{i:03d}",
        "direction": rnd.choice(["inbound", "outbound"]),
        "from_number": f"+4420000{i:04d}",
        "to_number": "+442079460000",
        "sip_username": rnd.choice(["alice", "bob", None]),
        "status": status,
        "call_uuid": f"uuid-{i:03d}",
        "call_source": rnd.choice(["sip", "pstn", "api"]),
        "started_at": started,
        "ended_at": None if duration is None else started + timedelta(seconds=duration),
        "duration_seconds": duration,
        "conversation_id": f"conv-{i:03d}",
        "_synced_at": DAY0 + timedelta(days=DAYS),
    }


def _transcripts(rnd: random.Random, call: Row) -> list[Row]:
    rows = []
    for n in range(rnd.randrange(0, 9)):
        words = [rnd.choice(WORDS) for _ in range(rnd.randrange(0, 7))]
        content = rnd.choice(["", " "]) + "".join(w + rnd.choice(SEPARATORS) for w in words)
        rows.append(
            {
                "id": f"{call['id']}-line-{n}",
                "content": content,
                "speaker": rnd.choice(["caller", "agent"]),
                "item_id": f"item-{n}",
                "content_index": 0,
                "occurred_at": call["started_at"] + timedelta(seconds=5 * n),
                "call_id": call["id"],
                "_synced_at": DAY0 + timedelta(days=DAYS),
            }
        )
    return rows


def _events(rnd: random.Random, call: Row) -> list[Row]:
    model = rnd.choice([*PRICED_MODELS, *PRICED_MODELS, UNPRICED_MODEL, None])
    agent = rnd.choice(["agent-a", "agent-b", None])
    rows = []
    for n in range(rnd.randrange(1, 12)):
        kind = rnd.choice(["response", "response", "tool_call", "tool_result", "state_step"])
        # Offsets up to 2 h so some events fall on the next UTC day.
        at = call["started_at"] + timedelta(seconds=rnd.randrange(0, 7_200))
        row: Row = {
            "id": f"{call['id']}-ev-{n}",
            "event_type": kind,
            "model": model,
            "agent_id": agent,
            "occurred_at": at,
            "call_id": call["id"],
            "_synced_at": DAY0 + timedelta(days=DAYS),
        }
        if kind == "response":
            row.update(response_tokens(rnd, totals_only=model == "claude-sonnet-4-5"))
        elif kind in ("tool_call", "tool_result"):
            row["tool_name"] = rnd.choice([*TOOLS, *TOOLS, None])
            row["tool_call_id"] = f"tc-{n}"
            if kind == "tool_result":
                row["success"] = rnd.choice([True, True, False, False, None])
                if row["success"] is False:
                    row["error"] = rnd.choice([*ERRORS, ERRORS[0], None])
        else:
            row.update(state_id=f"s{n}", state_label="greeting", step_index=n, total_steps=5)
        rows.append(row)
    return rows


def response_tokens(rnd: random.Random, *, totals_only: bool = False) -> Row:
    """Token columns of one response event, consistent like the API's (totals = sum of splits)."""
    text, audio, image = rnd.randrange(0, 4000), rnd.randrange(0, 9000), rnd.choice([0, 0, 765])
    cached = [rnd.randrange(0, text + 1), rnd.randrange(0, audio + 1), rnd.choice([0, image])]
    out = [rnd.randrange(0, 500), rnd.randrange(0, 3000), 0]
    row = dict(zip(TOKEN_SPLITS, [text, audio, image, *cached, *out], strict=True))
    row["input_tokens"] = text + audio + image
    row["input_cached_tokens"] = sum(cached)
    row["output_tokens"] = sum(out)
    row["total_tokens"] = row["input_tokens"] + row["output_tokens"]
    if totals_only:  # some providers report totals without modality splits
        row.update(dict.fromkeys(TOKEN_SPLITS))
        row["input_cached_tokens"] = None
    return row


def _operators(rnd: random.Random, ds: RawDataset) -> None:
    syncs = [DAY0 + timedelta(hours=h) for h in (1, 2, 3, 4)]
    for op in range(5):
        sip_user = f"sip-{op}"
        for _ in range(rnd.randrange(1, 7)):
            ds.operator_status_events.append(
                {
                    "id": f"{rnd.getrandbits(64):016x}",
                    "sip_user_id": sip_user,
                    "agent_name": f"Operator {op}",
                    "status": rnd.choice(["available", "on_break", "logged_out"]),
                    "source": rnd.choice(["widget", "api", "system"]),
                    "changed_by_user_id": None,
                    "_first_seen_at": rnd.choice(syncs),  # ties on purpose
                    "_synced_at": syncs[-1],
                }
            )
        if op != 4:  # operator 4 disappeared from the snapshot
            ds.operator_statuses.append(_snapshot_row(rnd, op, f"op-{op}", syncs[-1]))
    # A stale duplicate snapshot row for operator 0: the most recently synced row wins.
    ds.operator_statuses.append(_snapshot_row(rnd, 0, "op-0-old", syncs[0]))


def _snapshot_row(rnd: random.Random, op: int, row_id: str, synced_at: datetime) -> Row:
    return {
        "id": row_id,
        "sip_user_id": f"sip-{op}",
        "agent_name": f"Operator {op}",
        "status": rnd.choice(["available", "on_break", "logged_out"]),
        "source": "widget",
        "changed_by_user_id": None,
        "_synced_at": synced_at,
    }


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables: `warehouse.schema.migrate` if present, else run the SQL files."""
    try:
        from warehouse.schema import migrate as schema_migrate
    except ImportError:
        migrations = Path(__file__).parents[2] / "warehouse" / "migrations"
        for path in sorted(migrations.glob("*.sql")):
            con.execute(path.read_text())
    else:
        schema_migrate(con)


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[Row]) -> None:
    """Append `rows` to `sippet.<table>` (columns missing from the dicts stay NULL)."""
    if not rows:
        return
    names = sorted({key for row in rows for key in row})
    arrow = pa.Table.from_pylist([{k: row.get(k) for k in names} for row in rows])  # noqa: F841
    con.execute(f"INSERT INTO sippet.{table} BY NAME SELECT * FROM arrow")


def load(con: duckdb.DuckDBPyConnection, ds: RawDataset) -> None:
    """Migrate and insert every raw table of `ds`."""
    migrate(con)
    for table, rows in ds.tables().items():
        insert(con, table, rows)


def query_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    """Query results as dicts (column name -> value)."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
