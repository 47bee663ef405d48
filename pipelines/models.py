"""Pydantic records, one per Sippet API resource: the wire contract of the sync.

Each model lists every *selectable* field of its resource (see
`shared/reference/sippet-rpc-actions.txt`). Attribute names are the warehouse's snake_case
column names; the camelCase alias is the API's field name. The field description is what
lands in the warehouse as the column comment.

The contract is the reference, not our expectations: `id` is the only field a record must
carry a value for. "A field hidden by policy comes back `null`" (SIPPET_API.md) — any field, on
any record — so every other field is `X | None` and a null lands as NULL; a null alone never
sends a record to quarantine. A key missing from the record, or a value of the wrong type,
still does.

Validation rules that protect the warehouse and its cursors:
- timestamps must carry a timezone (`AwareDatetime`) and are normalised to UTC;
- integers are strict (no "12" or 1.5 silently coerced), NaN/Infinity are rejected;
- unknown extra fields are tolerated (the API may grow) and reported by the sync;
- map fields (`tokenUsage`, `payload`, ...) keep their keys exactly as sent.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool
from pydantic import StrictInt as _StrictInt
from pydantic.alias_generators import to_camel


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
StrictInt = _StrictInt
JsonMap = dict[str, Any] | list[Any]


class SippetRecord(BaseModel):
    """Base of every API record: camelCase aliases, strict numbers, extra fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        allow_inf_nan=False,
        frozen=True,
    )

    id: str = Field(description="Primary key (UUID) of the record in Sippet.")


class Call(SippetRecord):
    """A phone call handled by Sippet. Mutable: status, end and duration change while it runs."""

    direction: str | None = Field(description="`inbound` or `outbound`.")
    from_number: str | None = Field(description="Caller number (E.164).")
    to_number: str | None = Field(description="Called number (E.164).")
    sip_username: str | None = Field(description="SIP user that handled the call, if any.")
    status: str | None = Field(
        description="initiated, ringing, answered (in progress) or completed, failed, busy, "
        "no_answer (final)."
    )
    call_uuid: str | None = Field(description="Telephony-layer call UUID.")
    call_source: str | None = Field(description="Where the call came from (sip, pstn, api, ...).")
    started_at: Timestamp | None = Field(description="When the call started (UTC).")
    ended_at: Timestamp | None = Field(description="When the call ended; null while in progress.")
    duration_seconds: StrictInt | None = Field(
        description="Call length in seconds; null while in progress."
    )
    conversation_id: str | None = Field(description="Conversation the call belongs to.")


class CallTranscript(SippetRecord):
    """One transcript line of a call (immutable; may be committed after `occurredAt`)."""

    content: str | None = Field(description="Spoken text of the line.")
    speaker: str | None = Field(description="`caller` or `agent`.")
    item_id: str | None = Field(description="Realtime conversation item the line belongs to.")
    content_index: StrictInt | None = Field(description="Index of the line within its item.")
    occurred_at: Timestamp | None = Field(description="When the line was spoken (UTC).")
    call_id: str | None = Field(description="Call the line belongs to (calls.id).")


class CallAiAuditEvent(SippetRecord):
    """One AI audit event of a call: a model response, a tool call or a workflow state step."""

    event_type: str | None = Field(description="response, tool_call, tool_result or state_step.")
    tool_name: str | None = Field(description="Tool invoked (tool events only).")
    tool_call_id: str | None = Field(description="Id pairing a tool call with its result.")
    tool_arguments_raw: str | None = Field(description="Tool arguments as the model wrote them.")
    tool_arguments: JsonMap | None = Field(description="Parsed tool arguments (JSON).")
    tool_output: JsonMap | None = Field(description="Tool output (JSON, keys as sent).")
    error: str | None = Field(description="Error message of a failed tool call.")
    success: StrictBool | None = Field(description="Whether the tool call succeeded.")
    state_id: str | None = Field(description="Workflow state id (state steps).")
    state_label: str | None = Field(description="Workflow state label (state steps).")
    step_index: StrictInt | None = Field(description="Index of the workflow step.")
    total_steps: StrictInt | None = Field(description="Number of steps of the workflow.")
    progress_percent: float | None = Field(description="Workflow progress in percent.")
    token_usage: JsonMap | None = Field(description="Token usage as reported by the model (JSON).")
    input_tokens: StrictInt | None = Field(description="Input tokens (text + audio + image).")
    output_tokens: StrictInt | None = Field(description="Output tokens (text + audio + image).")
    total_tokens: StrictInt | None = Field(description="input_tokens + output_tokens.")
    input_text_tokens: StrictInt | None = Field(description="Input text tokens.")
    input_audio_tokens: StrictInt | None = Field(description="Input audio tokens.")
    input_image_tokens: StrictInt | None = Field(description="Input image tokens.")
    input_cached_tokens: StrictInt | None = Field(description="Input tokens served from cache.")
    input_cached_text_tokens: StrictInt | None = Field(description="Cached input text tokens.")
    input_cached_audio_tokens: StrictInt | None = Field(description="Cached input audio tokens.")
    input_cached_image_tokens: StrictInt | None = Field(description="Cached input image tokens.")
    output_text_tokens: StrictInt | None = Field(description="Output text tokens.")
    output_audio_tokens: StrictInt | None = Field(description="Output audio tokens.")
    output_image_tokens: StrictInt | None = Field(description="Output image tokens.")
    model: str | None = Field(description="Model that produced the event.")
    payload: JsonMap | None = Field(description="Raw event payload (JSON, keys as sent).")
    call_uuid: str | None = Field(description="Telephony-layer call UUID.")
    room_id: str | None = Field(description="Realtime room id.")
    agent_id: str | None = Field(description="AI agent that handled the call.")
    occurred_at: Timestamp | None = Field(description="When the event happened (UTC).")
    call_id: str | None = Field(description="Call the event belongs to (calls.id).")
    organisation_id: str | None = Field(description="Organisation owning the call.")


class OperatorStatusEvent(SippetRecord):
    """A change of an operator's status. No timestamp is exposed; ids are random UUIDs."""

    sip_user_id: str | None = Field(description="SIP user (operator) whose status changed.")
    agent_name: str | None = Field(description="Operator display name.")
    status: str | None = Field(description="available, on_break or logged_out.")
    source: str | None = Field(description="widget, api or system.")
    changed_by_user_id: str | None = Field(description="User who made the change, if any.")


class OperatorStatus(SippetRecord):
    """The current status of one operator (a snapshot; operators may disappear)."""

    sip_user_id: str | None = Field(description="SIP user (operator).")
    agent_name: str | None = Field(description="Operator display name.")
    status: str | None = Field(description="available, on_break or logged_out.")
    source: str | None = Field(description="widget, api or system.")
    changed_by_user_id: str | None = Field(description="User who made the last change, if any.")


class AiAgent(SippetRecord):
    """An AI agent (a snapshot: agents may be removed). Ids are stable; names may change."""

    name: str | None = Field(description="Display name of the agent.")
    voice: str | None = Field(description="Voice the agent speaks with.")
    tone: str | None = Field(description="Conversational tone.")
    languages: JsonMap | None = Field(description="Languages spoken (JSON array of codes).")
    workflow: JsonMap | None = Field(description="Workflow definition (JSON, keys as sent).")
    system_prompt: str | None = Field(description="System prompt of the agent.")
    safety_guardrails: JsonMap | None = Field(description="Guardrails (JSON, keys as sent).")
    published: StrictBool | None = Field(description="Whether the agent is live.")


class Queue(SippetRecord):
    """A call queue (a snapshot)."""

    queue_name: str | None = Field(description="Queue name (call_queue_entries.queue_name).")
    strategy: str | None = Field(description="Distribution strategy.")
    moh_sound: str | None = Field(description="Music on hold.")
    max_wait_time: StrictInt | None = Field(description="Longest wait allowed, in seconds.")


class PhoneNumber(SippetRecord):
    """A phone number of the organisation (a snapshot)."""

    phone_e164: str | None = Field(description="Number in E.164.")
    label: str | None = Field(description="Label given to the number.")


class Conversation(SippetRecord):
    """A conversation (call or chat). No timestamp: `_first_seen_at` records when first seen."""

    status: str | None = Field(description="`active` or `ended`.")
    channel: str | None = Field(description="`chat` or `call`.")
    mode: str | None = Field(description="`text` or `voice`.")
    public_id: str | None = Field(description="Public id of the conversation.")
    metadata: JsonMap | None = Field(description="Metadata (JSON, keys as sent).")
    ai_agent_id: str | None = Field(description="AI agent of the conversation (ai_agents.id).")


class ConversationItem(SippetRecord):
    """One item of a conversation (immutable; may be committed after `occurredAt`)."""

    role: str | None = Field(description="user, assistant, system or tool.")
    modality: str | None = Field(description="`text` or `audio`.")
    content: str | None = Field(description="Text of the item.")
    metadata: JsonMap | None = Field(description="Metadata (JSON, keys as sent).")
    item_id: str | None = Field(description="Realtime conversation item id.")
    content_index: StrictInt | None = Field(description="Index of the part within its item.")
    occurred_at: Timestamp | None = Field(description="When the item happened (UTC).")
    conversation_id: str | None = Field(description="Conversation (conversations.id).")


class CallQueueEntry(SippetRecord):
    """A call's stay in a queue; mutable until `completedAt` or `abandonedAt` is set."""

    call_uuid: str | None = Field(description="Telephony-layer call UUID (calls.call_uuid).")
    queue_name: str | None = Field(description="Queue the call waited in.")
    caller_id_number: str | None = Field(description="Caller number (E.164).")
    caller_id_name: str | None = Field(description="Caller name, if presented.")
    state: str | None = Field(description="waiting, answered, completed or abandoned.")
    agent_name: str | None = Field(description="Operator who answered, if any.")
    wait_started_at: Timestamp | None = Field(description="When the wait began (UTC).")
    answered_at: Timestamp | None = Field(description="When an operator answered.")
    completed_at: Timestamp | None = Field(description="When the answered call ended.")
    abandoned_at: Timestamp | None = Field(description="When the caller hung up unanswered.")


class CallParticipant(SippetRecord):
    """A member of a call (caller, AI agent, operator); mutable until `leftAt` is set."""

    member_uuid: str | None = Field(description="The member's id (agent, SIP user, caller).")
    role: str | None = Field(description="caller, ai_agent or operator.")
    joined_at: Timestamp | None = Field(description="When the member joined (UTC).")
    left_at: Timestamp | None = Field(description="When the member left; null while present.")
    call_id: str | None = Field(description="Call (calls.id).")
    organisation_id: str | None = Field(description="Organisation owning the call.")


class OrganisationWalletSummary(SippetRecord):
    """The wallet as read at one sync (history: one row per sync; the action has no fields).

    Not a record of the API: the sync builds it from the summary object it received."""

    fetched_at: Timestamp | None = Field(description="When the sync read the summary (UTC).")
    balance_usd: Decimal | None = Field(description="Balance in USD (`balanceUsd`).")
    currency: str | None = Field(description="Currency of the wallet.")
    summary: JsonMap | None = Field(description="The whole summary object, keys as sent.")


class Contact(SippetRecord):
    """A contact (personal data: synced only with SIPPET_SYNC_CONTACTS=true)."""

    full_name: str | None = Field(description="Contact name.")
    email: str | None = Field(description="Contact e-mail.")
    phone_e164: str | None = Field(description="Contact number (E.164).")
    notes: str | None = Field(description="Free-text notes.")


# `register` is the API's field name; pydantic warns that it shadows ABCMeta.register (a
# class-level helper no record uses), which is harmless for a frozen data record.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class Gateway(SippetRecord):
        """A SIP gateway (opt-in). Its `password` is a secret: never requested, never stored."""

        name: str | None = Field(description="Gateway name.")
        provider: str | None = Field(description="Carrier or PBX.")
        username: str | None = Field(description="SIP username.")
        realm: str | None = Field(description="SIP realm.")
        proxy: str | None = Field(description="SIP proxy URI.")
        register: StrictBool | None = Field(description="Whether Sippet registers.")
        from_domain: str | None = Field(description="From domain.")
        from_user: str | None = Field(description="From user.")
        inbound_acl: str | None = Field(description="Inbound access list.")


#: Fields of the reference the sync never selects, with why (the contract test allows them).
EXCLUDED_FIELDS: dict[str, dict[str, str]] = {
    "Gateway": {"password": "a secret: never requested, never stored"},
}


RESOURCE_MODELS: dict[str, type[SippetRecord]] = {
    "Call": Call,
    "CallTranscript": CallTranscript,
    "CallAiAuditEvent": CallAiAuditEvent,
    "OperatorStatusEvent": OperatorStatusEvent,
    "OperatorStatus": OperatorStatus,
    **{m.__name__: m for m in (AiAgent, Queue, PhoneNumber, Conversation, ConversationItem,
                               CallQueueEntry, CallParticipant, Contact, Gateway)},
}


def api_fields(model: type[SippetRecord]) -> list[str]:
    """The camelCase field names to request for a model, in declaration order."""
    return [info.alias or name for name, info in model.model_fields.items()]


def column_names(model: type[SippetRecord]) -> list[str]:
    """The snake_case warehouse column names of a model, in declaration order."""
    return list(model.model_fields)
