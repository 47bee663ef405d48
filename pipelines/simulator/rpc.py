"""The RPC actions: validate a request body and produce the envelope's `data`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .catalogue import fields as catalogue_fields
from .engine import PageSpec, paginate, parse_page
from .errors import RpcFailure, unknown_field
from .hazards import apply_huge_string, apply_page_hazards, apply_record_hazards
from .query import compile_filter, parse_sort
from .util import iso

if TYPE_CHECKING:
    from .core import Simulator

LIST_ACTIONS = {
    "list_calls": "Call",
    "list_call_transcripts": "CallTranscript",
    "list_call_ai_audit_events": "CallAiAuditEvent",
    "list_operator_status_events": "OperatorStatusEvent",
    "list_operator_statuses": "OperatorStatus",
    "list_ai_agents": "AiAgent",
    "list_queues": "Queue",
    "list_phone_numbers": "PhoneNumber",
    "list_conversations": "Conversation",
    "list_conversation_items": "ConversationItem",
    "list_call_queue_entries": "CallQueueEntry",
    "list_call_participants": "CallParticipant",
    "list_contacts": "Contact",
    "list_gateways": "Gateway",
}
UNPAGINATED = frozenset({"list_calls"})
USER_FIELDS = tuple(catalogue_fields("User"))
YEAR_US = 365 * 86_400 * 1_000_000


RECORD_HAZARDS = ("poison", "extra_field", "missing_field", "nan", "null_required",
                  "control_chars", "naive_timestamp", "future_timestamp", "huge_string",
                  "empty_has_more", "repeat_cursor")
RESULTS_SLOT = "__sim_results__"


@dataclass
class Outcome:
    data: Any = None
    raw_results: bytes | None = None  # pre-rendered JSON array replacing RESULTS_SLOT
    rows: int = 0
    sentinels: bool = False
    hazards: list[str] = field(default_factory=list)


def _fields(body: dict, allowed: frozenset[str] | tuple[str, ...], action: str) -> list[str]:
    fields = body.get("fields")
    if fields is None or fields == []:
        raise RpcFailure("requires_field_selection", "%{action} requires a field selection",
                         {"action": action}, short="Requires field selection", path=["fields"])
    if not isinstance(fields, list):
        raise RpcFailure("invalid_query", "fields must be an array", path=["fields"])
    for f in fields:
        if not isinstance(f, str) or f not in allowed:
            raise unknown_field(f, ["fields"])
    return list(dict.fromkeys(fields))


def execute(sim: Simulator, body: dict, *, validate: bool, rng: random.Random) -> Outcome:
    """Raises RpcFailure for an RPC error; returns data (None when only validating)."""
    action = body.get("action")
    if action == "who_am_i":
        fields = _fields(body, USER_FIELDS, action)
        return Outcome(data=None if validate else {f: sim.user[f] for f in fields}, rows=1)
    if action == "organisation_wallet_summary":  # takes no input and no field selection
        return Outcome(data=None if validate else sim.wallet_summary(), rows=1)
    if action not in LIST_ACTIONS:
        raise RpcFailure("action_not_found", "No action found for %{action}",
                         {"action": str(action)}, short="Action not found", path=["action"])
    res = sim.resources[LIST_ACTIONS[action]]
    fields = _fields(body, res.field_set, action)
    flt = compile_filter(res, body.get("filter"))
    terms = parse_sort(res, body.get("sort"))
    page: PageSpec | None = None
    if body.get("page") is not None:
        if action in UNPAGINATED:
            raise RpcFailure("invalid_pagination", "%{action} does not support pagination",
                             {"action": action}, short="Invalid pagination", path=["page"])
        page = parse_page(body["page"], sim.config.default_page_type)
    if validate:
        return Outcome()
    return _read(sim, res, fields, flt, terms, page, rng)


def _read(sim: Simulator, res: Any, fields: list[str], flt: Any, terms: Any,
          page: PageSpec | None, rng: random.Random) -> Outcome:
    faults, out = sim.faults, Outcome()
    with sim.lock:
        now = sim.now_us
        match = sim.matcher.match(res, flt, terms, now, sim.store.version)
        ahead = None
        if page is None:
            data, sel = None, match.pos
        else:
            data, sel, ahead = paginate(match, page, sim.config.max_page_size)
            if faults.too_many_rows and rng.random() < faults.too_many_rows:
                sel = _extend(match.pos, sel, page.limit + 7)
                out.hazards.append("too_many_rows")
        reader = getattr(res, "reader", None)
        if reader and not any(getattr(faults, h) for h in RECORD_HAZARDS):
            # fast path: JSON text straight from the columns (no hazard needs the dicts)
            version = sim.store.version
            out.raw_results = b"[" + b",".join(reader.render(fields, sel, version)) + b"]"
            if ahead is not None:
                reader.prefetch(fields, ahead, version)
            out.rows = len(sel)
            if data is None:
                out.data = RESULTS_SLOT
            else:
                data["results"], out.data = RESULTS_SLOT, data
            return out
        records = res.serialize(fields, sel, now)
    out.sentinels = apply_record_hazards(records, faults, sim.config.seed, iso(now + 10 * YEAR_US))
    apply_huge_string(records, faults, rng)
    out.rows = len(records)
    if data is None:
        out.data = records
        return out
    data["results"] = records
    hazard = apply_page_hazards(data, faults, rng, page.after if page else None)
    if hazard:
        out.hazards.append(hazard)
        out.rows = len(data["results"])
    out.data = data
    return out


def _extend(all_pos: np.ndarray, sel: np.ndarray, size: int) -> np.ndarray:
    """More rows than asked: continue past the page end in match order."""
    if len(sel) == 0:
        return all_pos[:size]
    start = int(np.flatnonzero(all_pos == sel[0])[0])
    return all_pos[start:start + size]
