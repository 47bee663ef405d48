"""The CallAiAuditEvent resource: records derived from compact numeric columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from . import vocab
from .resources import Resource, _enum, _uuids

TOKEN_COLS = ("in_text", "in_audio", "in_image", "c_text", "c_audio", "c_image",
              "out_text", "out_audio", "out_image")
TOKEN_FIELDS = {
    "inputTextTokens": "in_text", "inputAudioTokens": "in_audio", "inputImageTokens": "in_image",
    "inputCachedTextTokens": "c_text", "inputCachedAudioTokens": "c_audio",
    "inputCachedImageTokens": "c_image", "outputTextTokens": "out_text",
    "outputAudioTokens": "out_audio", "outputImageTokens": "out_image",
}
SUMS = {
    "inputTokens": ("in_text", "in_audio", "in_image"),
    "inputCachedTokens": ("c_text", "c_audio", "c_image"),
    "outputTokens": ("out_text", "out_audio", "out_image"),
    "totalTokens": ("in_text", "in_audio", "in_image", "out_text", "out_audio", "out_image"),
}
CALL_SLOTS = {"callId": 0, "callUuid": 1, "agentId": 2, "roomId": 3}
_DEPARTMENTS = ("billing", "support", "sales", "Kundendienst")
_NAMES = ("José Müller", "Zoë O'Neil", "李雷", "Anne-Marie Lefèvre", "Sam \"Sammy\" Smith")


def tool_arguments(tool: int, seed: int) -> dict:
    """Deterministic plausible arguments of a tool call (keys as the model wrote them)."""
    day = 1 + seed % 28
    if tool == 0:
        return {"phone_number": f"+4477009{seed % 100000:05d}", "include_history": seed % 2 == 0}
    if tool == 1:
        return {"date": f"2026-11-{day:02d}", "duration_minutes": (15, 30, 45, 60)[seed % 4]}
    if tool == 2:
        return {"date": f"2026-11-{day:02d}", "time": f"{9 + seed % 8:02d}:{(seed % 4) * 15:02d}",
                "customer_name": _NAMES[seed % len(_NAMES)], "notes": "prefers \"mornings\""}
    if tool == 3:
        return {"department": _DEPARTMENTS[seed % 4], "reason": "caller asked for a human"}
    return {"to": f"+1415555{seed % 10000:04d}", "body": "Your booking is confirmed ✅"}


def tool_output(tool: int, ok: bool, err: int, seed: int) -> dict:
    if not ok:
        return {"ok": False, "error": {"code": f"E{400 + seed % 100}",
                                       "message": vocab.TOOLS[tool][2][err]}}
    results = ({"customer_id": f"cus_{seed:08x}", "tier": "gold"},
               {"slots": ["09:00", "10:30", "14:15"][: 1 + seed % 3]},
               {"appointment_id": f"apt_{seed:08x}", "confirmed": True},
               {"transferred_to": _DEPARTMENTS[seed % 4], "queue_position": seed % 5},
               {"message_sid": f"SM{seed:032x}", "segments": 1 + seed % 2})
    return {"ok": True, "result": results[tool]}


def token_usage(t: tuple[int, ...]) -> dict:
    """The provider's usage object, snake_case keys as stored."""
    it, ia, ii, ct, ca, ci, ot, oa, oi = t
    return {"input_tokens": it + ia + ii, "output_tokens": ot + oa + oi,
            "total_tokens": it + ia + ii + ot + oa + oi,
            "input_token_details": {"text_tokens": it, "audio_tokens": ia, "image_tokens": ii,
                                    "cached_tokens": ct + ca + ci,
                                    "cached_tokens_details": {"text_tokens": ct,
                                                              "audio_tokens": ca,
                                                              "image_tokens": ci}},
            "output_token_details": {"text_tokens": ot, "audio_tokens": oa, "image_tokens": oi}}


def state_value(step: int, total: int) -> dict[str, object]:
    """State fields of a workflow step: the last step is always wrap-up."""
    state = len(vocab.WORKFLOW_STATES) - 1 if step == total - 1 else step
    return {"stateId": vocab.WORKFLOW_STATES[state][0],
            "stateLabel": vocab.WORKFLOW_STATES[state][1], "stepIndex": step,
            "totalSteps": total, "progressPercent": round(100.0 * (step + 1) / total, 2)}


class AuditEvents(Resource):
    name = "CallAiAuditEvent"
    time_field = "occurredAt"
    table = "events"

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        from .fastjson import EventRenderer
        from .readahead import ReadAhead

        self.renderer = EventRenderer(self)
        self.reader = ReadAhead(self.renderer)

    def positions(self, now: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        return np.flatnonzero(self.store.events["commit"][lo:hi] <= now) + lo

    def time_values(self) -> np.ndarray:
        return self.store.events["occ"]

    def raw_values(self, field: str, pos: np.ndarray, now: int) -> list:
        e = self.store.events
        if field in TOKEN_FIELDS:
            return [v if v >= 0 else None for v in e[TOKEN_FIELDS[field]][pos].tolist()]
        if field in SUMS:
            cols = [e[c][pos] for c in SUMS[field]]
            total, null = sum(cols), cols[0] < 0
            return [None if n else v for v, n in zip(total.tolist(), null.tolist(), strict=True)]
        if field in CALL_SLOTS:
            return self.store.call_refs.column(e["call"][pos], CALL_SLOTS[field])
        if field == "id":
            return _uuids(e["hi"][pos], e["lo"][pos])
        if field == "occurredAt":
            return e["occ"][pos].tolist()
        if field == "eventType":
            return _enum(vocab.EVENT_TYPES, e["etype"][pos])
        if field == "toolName":
            return [vocab.TOOLS[t][0] if t >= 0 else None for t in e["tool"][pos].tolist()]
        if field == "toolCallId":
            return [f"call_{t:016x}" if t else None for t in e["tcid"][pos].tolist()]
        if field in ("toolArguments", "toolArgumentsRaw"):
            raw = field == "toolArgumentsRaw"
            out = []
            for et, tool, seed in zip(e["etype"][pos].tolist(), e["tool"][pos].tolist(),
                                      e["args"][pos].tolist(), strict=True):
                args = tool_arguments(tool, seed) if et == 1 else None
                out.append(orjson.dumps(args).decode() if raw and args else args)
            return out
        if field == "toolOutput":
            return [tool_output(t, s == 1, r, a) if et == 2 else None for et, t, s, r, a in zip(
                e["etype"][pos].tolist(), e["tool"][pos].tolist(), e["success"][pos].tolist(),
                e["err"][pos].tolist(), e["args"][pos].tolist(), strict=True)]
        if field == "error":
            return [vocab.TOOLS[t][2][r] if r >= 0 else None
                    for t, r in zip(e["tool"][pos].tolist(), e["err"][pos].tolist(), strict=True)]
        if field == "success":
            return [None if s < 0 else s == 1 for s in e["success"][pos].tolist()]
        if field in ("stateId", "stateLabel", "stepIndex", "totalSteps", "progressPercent"):
            return self._state(field, pos)
        if field == "tokenUsage":
            rows = zip(*(e[c][pos].tolist() for c in TOKEN_COLS), strict=True)
            return [token_usage(r) if r[0] >= 0 else None for r in rows]
        if field == "model":
            return [vocab.MODELS[m][0] if m >= 0 else None for m in e["model"][pos].tolist()]
        if field == "payload":
            return self._payload(pos)
        if field == "organisationId":
            return [self.store.org_id] * len(pos)
        raise KeyError(field)

    def _state(self, field: str, pos: np.ndarray) -> list:
        e = self.store.events
        out = []
        for step, total in zip(e["state"][pos].tolist(), e["total_steps"][pos].tolist(),
                               strict=True):
            out.append(None if step < 0 else state_value(step, total)[field])
        return out

    def _payload(self, pos: np.ndarray) -> list[dict]:
        e = self.store.events
        out = []
        for et, lo, tcid, step in zip(e["etype"][pos].tolist(), e["lo"][pos].tolist(),
                                      e["tcid"][pos].tolist(), e["state"][pos].tolist(),
                                      strict=True):
            if et == 0:
                out.append({"type": "response.done", "response": {
                    "id": f"resp_{lo:016x}", "status": "completed",
                    "modalities": ["audio", "text"]}})
            elif et == 1:
                out.append({"type": "response.function_call_arguments.done",
                            "call_id": f"call_{tcid:016x}"})
            elif et == 2:
                out.append({"type": "conversation.item.create", "item": {
                    "type": "function_call_output", "call_id": f"call_{tcid:016x}"}})
            else:
                out.append({"type": "workflow.state_entered", "step_index": step})
        return out
