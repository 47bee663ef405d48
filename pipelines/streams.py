"""The stream registry: each Sippet stream is a declaration, not a loop.

Adding a stream means one `StreamSpec` here, one model in `models.py` and one migration; the
sync engine, the CLI and the Dagster assets pick it up from `STREAMS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pipelines.models import (
    AiAgent,
    Call,
    CallAiAuditEvent,
    CallParticipant,
    CallQueueEntry,
    CallTranscript,
    Contact,
    Conversation,
    ConversationItem,
    Gateway,
    OperatorStatus,
    OperatorStatusEvent,
    OrganisationWalletSummary,
    PhoneNumber,
    Queue,
    SippetRecord,
    api_fields,
    column_names,
)


class StreamKind(StrEnum):
    """How a stream is read and kept fresh."""

    #: Unpaginated action read in bounded time windows, plus re-reads of non-final rows.
    TIME_WINDOWS = "time_windows"
    #: Paginated, sorted by a time cursor; re-read from `cursor - lookback` (late arrival).
    TIME_CURSOR = "time_cursor"
    #: Paginated, no usable cursor: walk everything each sync, insert ids not yet seen.
    NEW_IDS = "new_ids"
    #: Paginated current snapshot: the table mirrors the last complete walk.
    SNAPSHOT = "snapshot"
    #: One object per sync (no fields, no paging): appended as one row per sync.
    HISTORY = "history"


@dataclass(frozen=True)
class StreamSpec:
    """Everything the engine needs to know about one stream."""

    name: str
    action: str
    model: type[SippetRecord]
    kind: StreamKind
    sort: str
    cursor_field: str | None = None  # camelCase API field the cursor/windows run on
    mutable: bool = False  # rows change after first seen: update them, not only insert
    primary_key: str = "id"
    #: SQL predicate over the table's columns: a row matching it no longer changes. Rows of
    #: a mutable time stream not matching it are re-read by id each sync, whatever their age.
    final_when: str | None = None
    #: Settings flag (a bool attribute of SippetSettings) that must be true to sync the
    #: stream; None: synced by default.
    opt_in: str | None = None
    description: str = ""

    @property
    def table(self) -> str:
        return f"sippet.{self.name}"

    @property
    def fields(self) -> list[str]:
        return api_fields(self.model)

    @property
    def columns(self) -> list[str]:
        return column_names(self.model)

    @property
    def selects_fields(self) -> bool:
        """Whether the action takes a field selection (a history object does not)."""
        return self.kind is not StreamKind.HISTORY

    @property
    def cursor_column(self) -> str | None:
        if self.cursor_field is None:
            return None
        return self.columns[self.fields.index(self.cursor_field)]


STREAMS: dict[str, StreamSpec] = {
    spec.name: spec
    for spec in (
        StreamSpec(
            name="calls",
            action="list_calls",
            model=Call,
            kind=StreamKind.TIME_WINDOWS,
            sort="startedAt,id",
            cursor_field="startedAt",
            mutable=True,
            final_when="status IN ('completed', 'failed', 'busy', 'no_answer')",
            description="One row per call; status, end and duration are updated until final.",
        ),
        StreamSpec(
            name="call_transcripts",
            action="list_call_transcripts",
            model=CallTranscript,
            kind=StreamKind.TIME_CURSOR,
            sort="occurredAt,id",
            cursor_field="occurredAt",
            description="One row per transcript line; immutable, may arrive late.",
        ),
        StreamSpec(
            name="call_ai_audit_events",
            action="list_call_ai_audit_events",
            model=CallAiAuditEvent,
            kind=StreamKind.TIME_CURSOR,
            sort="occurredAt,id",
            cursor_field="occurredAt",
            description="One row per AI audit event (model response, tool call, state step).",
        ),
        StreamSpec(
            name="operator_status_events",
            action="list_operator_status_events",
            model=OperatorStatusEvent,
            kind=StreamKind.NEW_IDS,
            sort="id",
            description="One row per operator status change; no timestamp in the API, so "
            "_first_seen_at records when the sync first saw it.",
        ),
        StreamSpec(
            name="operator_statuses",
            action="list_operator_statuses",
            model=OperatorStatus,
            kind=StreamKind.SNAPSHOT,
            sort="id",
            mutable=True,
            description="Current status per operator; mirrors the API's current list.",
        ),
        *(StreamSpec(name=name, action=f"list_{name}", model=model, kind=StreamKind.SNAPSHOT,
                     sort="id", mutable=True, opt_in=opt_in, description=description)
          for name, model, opt_in, description in (
              ("ai_agents", AiAgent, None, "Current AI agents; mirrors the API's list."),
              ("queues", Queue, None, "Current call queues; mirrors the API's list."),
              ("phone_numbers", PhoneNumber, None, "Current numbers; mirrors the API's list."),
              ("contacts", Contact, "sync_contacts",
               "Contacts (personal data; opt-in: SIPPET_SYNC_CONTACTS=true)."),
              ("gateways", Gateway, "sync_gateways",
               "SIP gateways (opt-in: SIPPET_SYNC_GATEWAYS=true); the password is never "
               "requested nor stored."),
          )),
        StreamSpec(
            name="call_queue_entries",
            action="list_call_queue_entries",
            model=CallQueueEntry,
            kind=StreamKind.TIME_CURSOR,
            sort="waitStartedAt,id",
            cursor_field="waitStartedAt",
            mutable=True,
            final_when="completed_at IS NOT NULL OR abandoned_at IS NOT NULL",
            description="One row per queued call; updated until completed or abandoned.",
        ),
        StreamSpec(
            name="call_participants",
            action="list_call_participants",
            model=CallParticipant,
            kind=StreamKind.TIME_CURSOR,
            sort="joinedAt,id",
            cursor_field="joinedAt",
            mutable=True,
            final_when="left_at IS NOT NULL",
            description="One row per call member (caller, AI agent, operator); updated until "
            "it leaves.",
        ),
        StreamSpec(
            name="conversations",
            action="list_conversations",
            model=Conversation,
            kind=StreamKind.NEW_IDS,
            sort="id",
            mutable=True,
            description="One row per conversation; no timestamp, so every sync walks them all "
            "and updates changed rows; _first_seen_at records when the sync first saw it.",
        ),
        StreamSpec(
            name="conversation_items",
            action="list_conversation_items",
            model=ConversationItem,
            kind=StreamKind.TIME_CURSOR,
            sort="occurredAt,id",
            cursor_field="occurredAt",
            description="One row per conversation item; immutable, may arrive late.",
        ),
        StreamSpec(
            name="organisation_wallet_summary",
            action="organisation_wallet_summary",
            model=OrganisationWalletSummary,
            kind=StreamKind.HISTORY,
            sort="",
            description="The wallet as read at each sync (one row per sync run).",
        ),
    )
}


def get_stream(name: str) -> StreamSpec:
    """The spec of stream `name`, or a clear error listing the known streams."""
    try:
        return STREAMS[name]
    except KeyError:
        known = ", ".join(STREAMS)
        raise ValueError(f"unknown stream {name!r}; known streams: {known}") from None
