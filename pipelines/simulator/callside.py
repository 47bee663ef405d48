"""Resources derived from the calls: conversations, their items, queue entries, participants.

Each row follows its call's own times, so it changes as the clock passes them: a conversation
is `active` until its call ends, a queue entry waits until answered or abandoned, a participant
has no `leftAt` until it leaves. Conversation items mirror the call's transcript lines (same
times, same commit delays: they may arrive late). Ids are derived from the call's or line's
id, so they are stable across clock readings and seeds stay independent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import vocab
from .dimensions import QUEUE_NAMES, Row, RowResource
from .policy import _mix
from .util import US, uuid_str

_VERSION = np.uint64(0xFFFF_FFFF_FFFF_0FFF)
_VARIANT = np.uint64(0x3FFF_FFFF_FFFF_FFFF)
CALLER_NAMES = ("J. Smith", "M. Rossi", "A. Kowalski", None, "K. Tanaka", None)


def derived_ids(hi: np.ndarray, lo: np.ndarray, tag: int) -> tuple[list[int], list[int]]:
    """Stable uuid4 ids derived from other ids (one per `tag`)."""
    salt = np.uint64(tag * 0x9E37_79B9 + 1)
    with np.errstate(over="ignore"):
        h = (_mix(hi.astype(np.uint64) ^ salt) & _VERSION) | np.uint64(0x4000)
        low = (_mix(lo.astype(np.uint64) + salt) & _VARIANT) | np.uint64(1 << 63)
    return h.tolist(), low.tolist()


def _visible_calls(store: Any, now: int) -> np.ndarray:
    return np.arange(int(np.searchsorted(store.calls["started"], now, side="right")))


def _at(t: int, now: int) -> int | None:
    return t if 0 <= t <= now else None


class Conversations(RowResource):
    name = "Conversation"

    def build(self, now: int) -> list[Row]:
        c, refs = self.store.calls, self.store.call_refs
        pos = _visible_calls(self.store, now)
        pos = pos[c["conv_lo"][pos] != 0]
        out = []
        for i, hi, lo, ended in zip(pos.tolist(), c["conv_hi"][pos].tolist(),
                                    c["conv_lo"][pos].tolist(), c["ended"][pos].tolist(),
                                    strict=True):
            call_id, _, agent_id, room = refs.get(i)
            out.append((hi, lo, {
                "status": "ended" if ended <= now else "active", "channel": "call",
                "mode": "voice", "publicId": f"pub_{lo:016x}",
                "metadata": {"callId": call_id, "roomId": room}, "aiAgentId": agent_id}))
        return out


class ConversationItems(RowResource):
    name = "ConversationItem"

    def build(self, now: int) -> list[Row]:
        t, c = self.store.lines, self.store.calls
        pos = np.flatnonzero(t["commit"] <= now)
        calls = t["call"][pos]
        his, los = derived_ids(t["hi"][pos], t["lo"][pos], 1)
        out = []
        for k, (sp, ph, item, idx, occ, call) in enumerate(zip(
                t["speaker"][pos].tolist(), t["phrase"][pos].tolist(), t["item"][pos].tolist(),
                t["content_index"][pos].tolist(), t["occ"][pos].tolist(), calls.tolist(),
                strict=True)):
            bank = vocab.AGENT_LINES if sp else vocab.CALLER_LINES
            out.append((his[k], los[k], {
                "role": "assistant" if sp else "user", "modality": "audio",
                "content": bank[ph], "metadata": {"source": "realtime", "final": True},
                "itemId": f"item_{item:016x}", "contentIndex": idx, "occurredAt": occ,
                "conversationId": uuid_str(int(c["conv_hi"][call]), int(c["conv_lo"][call]))}))
        return out


class CallQueueEntries(RowResource):
    """Inbound calls that went to a human queue (operator-handled) or were never answered."""

    name = "CallQueueEntry"

    def build(self, now: int) -> list[Row]:
        c, refs, ops = self.store.calls, self.store.call_refs, vocab.OPERATOR_NAMES
        pos = _visible_calls(self.store, now)
        pos = pos[(c["direction"][pos] == 0) & ((c["operator"][pos] >= 0) | (c["final"][pos] > 0))]
        his, los = derived_ids(c["hi"][pos], c["lo"][pos], 2)
        out = []
        for k, (i, s, a, e, op, cust) in enumerate(zip(
                pos.tolist(), c["started"][pos].tolist(), c["answered"][pos].tolist(),
                c["ended"][pos].tolist(), c["operator"][pos].tolist(),
                c["customer"][pos].tolist(), strict=True)):
            wait = s + US
            if wait > now:
                continue
            answered, done = _at(a, now), _at(e, now)
            state = ("waiting" if answered is None and done is None else
                     "abandoned" if a < 0 else "answered" if done is None else "completed")
            out.append((his[k], los[k], {
                "callUuid": refs.get(i)[1], "queueName": QUEUE_NAMES[i % len(QUEUE_NAMES)],
                "callerIdNumber": f"+{cust}", "callerIdName": CALLER_NAMES[i % 6],
                "state": state, "agentName": ops[op] if op >= 0 and answered else None,
                "waitStartedAt": wait, "answeredAt": answered,
                "completedAt": done if a >= 0 else None, "abandonedAt": done if a < 0 else None,
            }))
        return out


class CallParticipants(RowResource):
    """The caller, the AI agent (answered calls) and the operator (operator-handled calls)."""

    name = "CallParticipant"

    def build(self, now: int) -> list[Row]:
        c, refs, store = self.store.calls, self.store.call_refs, self.store
        pos = _visible_calls(store, now)
        ids = [derived_ids(c["hi"][pos], c["lo"][pos], 10 + r) for r in range(3)]
        caller = derived_ids(c["uuid_hi"][pos], c["uuid_lo"][pos], 20)
        out: list[Row] = []
        for k, (i, s, a, e, op) in enumerate(zip(
                pos.tolist(), c["started"][pos].tolist(), c["answered"][pos].tolist(),
                c["ended"][pos].tolist(), c["operator"][pos].tolist(), strict=True)):
            call_id, _, agent_id, _ = refs.get(i)
            handoff = min(a + 20 * US, e)
            members = [("caller", s, e, uuid_str(caller[0][k], caller[1][k]))]
            if a >= 0:
                members.append(("ai_agent", a, handoff if op >= 0 else e, agent_id))
            if op >= 0:
                members.append(("operator", handoff, e,
                                uuid_str(*store.operators.sip_user_ids[op])))
            for r, (role, joined, left, member) in enumerate(members):
                if joined <= now:
                    out.append((ids[r][0][k], ids[r][1][k], {
                        "memberUuid": member, "role": role, "joinedAt": joined,
                        "leftAt": _at(left, now), "callId": call_id,
                        "organisationId": store.org_id}))
        return out
